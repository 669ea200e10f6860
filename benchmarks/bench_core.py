"""Workflow overhead, memory and import cost: minigest against the same work done by hand.

Figure 1 runs a source of ``Either(right=i)`` through three processors (``Either(right=r + 1)``)
into a summing sink with ``Workflow.execute()``. Its baseline is a hand-written loop over the same
generator that calls the same processor functions and creates and unwraps the same ``Either``
objects: what is left between the two is what minigest adds.
"""

from __future__ import annotations

import py_compile
import sys
from collections.abc import Iterator
from typing import Any

from _common import ROOT, child, figure, interleaved, median_process_times

from minigest import Either, Processor, Sink, Source, Workflow


def numbers(count: int) -> Iterator[Either[int]]:
    for i in range(count):
        yield Either(right=i)


def add_one(record: int) -> Either[int]:
    return Either(right=record + 1)


class Numbers(Source):
    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def _iter(self) -> Iterator[Either[int]]:
        return numbers(self.count)


class AddOne(Processor):
    def _run(self, record: int) -> Either[int]:
        return add_one(record)


class FailTenth(Processor):
    """Raises on every tenth record: the costliest kind of failure (a stack trace is kept)."""

    def _run(self, record: int) -> Either[int]:
        if record % 10 == 0:
            raise ValueError(f"record {record} is a tenth")
        return Either(right=record)


class Sum(Sink):
    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def _run(self, record: int) -> Either[int]:
        self.total += record
        return Either(right=record)


def with_minigest(count: int, failing: bool = False) -> int:
    sink = Sum()
    steps: list[Any] = [AddOne(), FailTenth() if failing else AddOne(), AddOne(), sink]
    Workflow(Numbers(count), steps).execute()
    return sink.total


def by_hand(count: int) -> int:
    total = 0
    for either in numbers(count):
        record = either.right
        record = add_one(record).right  # type: ignore[arg-type]
        record = add_one(record).right  # type: ignore[arg-type]
        record = add_one(record).right  # type: ignore[arg-type]
        total += record  # type: ignore[operator]
        Either(right=record)  # the sink's result
    return total


PEAK = """
import resource, sys
sys.path[:0] = ['benchmarks', '.']
from bench_core import with_minigest
with_minigest(int(sys.argv[1]), sys.argv[2] == 'fail')
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_kib(count: int, failing: bool) -> float:
    return float(child(PEAK, str(count), "fail" if failing else "ok"))


def measure(quick: bool = False) -> list[dict[str, Any]]:
    count = 100_000 if quick else 1_000_000
    assert with_minigest(1000) == by_hand(1000)  # the two do the same work
    ours, hand = interleaved(2 if quick else 3, lambda: with_minigest(count), lambda: by_hand(count))
    rows = [figure(
        f"workflow, {count:,} records, 3 processors + sink", ours, hand, "s", "<= 1.3x hand loop", 1.3,
        f"{count / ours:,.0f} records/s (hand loop {count / hand:,.0f}/s)",
    )]
    small, large = (20_000, 200_000) if quick else (100_000, 2_000_000)
    for failing in (False, True):
        low, high = peak_kib(small, failing), peak_kib(large, failing)
        label = "10% failing" if failing else "no failures"
        rows.append(figure(
            f"peak memory growth {small:,} -> {large:,} records, {label}", (high - low) / 1024, None, "MB",
            "<= 5 MB", None, f"peak RSS {low / 1024:.1f} MB -> {high / 1024:.1f} MB",
        ))
        rows[-1]["passed"] = (high - low) / 1024 <= 5
    runs = 7 if quick else 31
    py_compile.compile(str(ROOT / "minigest.py"))  # cached bytecode, as after pip install
    mine, attrs_only = median_process_times("import minigest", "import attrs", runs)
    rows.append(figure(
        "import minigest vs import attrs (whole process)", mine, attrs_only, "s", "<= 1.15x", 1.15,
        f"medians of {runs} fresh processes each, run turn about, bytecode cached",
    ))
    return rows


if __name__ == "__main__":
    from run import print_table

    print_table(measure(quick="--quick" in sys.argv))
