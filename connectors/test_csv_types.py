"""csv_types: the fast-path patterns match each value one way only, so a failing batch fails fast.

A pattern that can split a value in several ways (``[0-9]+\\.?[0-9]*`` on
``12345``) makes a batch that fails at its last cell try every combination of
splits: a DOUBLE column of 12 integers and one word took 107 s. Here such
batches are inferred; without the fix they never finish, and the guard below
turns that hang into a failure (a guard against hanging, not a timing check:
the work takes microseconds).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from connectors import csv_types
from connectors.csv_types import ColumnTypes, type_of


@contextmanager
def no_hang(seconds: int = 30) -> Iterator[None]:
    """Fail instead of hanging (the regex engine checks signals while it backtracks)."""
    def stop(*_: object) -> None:
        raise AssertionError(f"still inferring after {seconds} s: a pattern backtracks exponentially")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def infer(values: list[str]) -> str:
    types = ColumnTypes(1)
    types.add([[value] for value in values])
    return types.result()[0]


# The shapes of issue 18: each batch fails at its last cell, after many cells a bad pattern splits many ways.
SHAPES = [
    # (values, the type of all but the last, which is no number)
    (["0.5"] + [str(1000 + i) for i in range(200)] + ["n/a?"], "DOUBLE"),  # DOUBLE, then integers, then text
    (["0.5"] + [str(10**15 + i) for i in range(200)] + ["1.2.3"], "DOUBLE"),
    ([f"{i:05d}" for i in range(1, 200)] + ["02134-1234"], "INT"),  # zero-padded INT, then a ZIP+4 code
    ([f"{10**12 + i:020d}" for i in range(1, 200)] + ["9" * 30 + "x"], "BIGINT"),  # zero-padded BIGINT
    (["0"] * 3 + ["0" * 5000 + "x"], "INT"),  # a long run of zeros
    ([f"2024-01-{i % 28 + 1:02d}T10:{i % 60:02d}:00.{i}Z" for i in range(200)] + ["2024-01-01T10:00:00.5+"],
     "TIMESTAMP"),
    (["1e5"] + [f"{i}.{i}e{i}" for i in range(200)] + ["1e"], "DOUBLE"),
]


@pytest.mark.parametrize(("values", "before_the_last"), SHAPES)
def test_batches_failing_at_the_end_are_inferred_without_backtracking(values: list[str], before_the_last: str) -> None:
    with no_hang():
        assert infer(values[:-1]) == before_the_last
        assert infer(values) == "STRING"


@pytest.mark.parametrize("name", sorted(csv_types.FAST_BATCH))
def test_each_fast_pattern_fails_fast_on_a_long_batch_of_its_values(name: str) -> None:
    sample = {"BOOLEAN": "true", "INT": "00012", "BIGINT": "0001234567890123", "DOUBLE": "12345.678",
              "DATE": "2024-02-29", "TIMESTAMP": "2024-02-29T10:00:00.125", "TIME": "10:00:00.125"}[name]
    batch = "\n".join([sample] * 2000)
    with no_hang():
        assert csv_types.FAST_BATCH[name].fullmatch(batch)
        assert csv_types.FAST_BATCH[name].fullmatch(batch + "\n" + sample + "?") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "INT"), ("-0", "INT"), ("000", "INT"), ("0002147483647", "INT"), ("0002147483648", "BIGINT"),
     ("1000000000000000000", "BIGINT"), ("8999999999999999999", "BIGINT"), ("+", "STRING"), ("-", "STRING"),
     ("0" * 5000, "INT"), ("0" * 5000 + "1", "INT"), ("5.", "DOUBLE"), (".", "STRING"), ("1.5.", "STRING")],
)
def test_integers_and_decimals_with_leading_zeros_and_edges(value: str, expected: str) -> None:
    assert type_of(value) == expected
    assert infer([value, value]) == expected  # the fast path agrees with the exact check
