"""Tests for minigest.py: the contract's rules, each with an assertion a regression would break."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Optional

import attrs
import pytest

import minigest
from minigest import (
    BulkSink,
    ConfigError,
    Either,
    InvalidSourceException,
    JsonLinesSink,
    ListSink,
    ListSource,
    MinigestError,
    NodeStage,
    OutputError,
    Processor,
    ServiceTopology,
    Sink,
    Source,
    StackTraceError,
    Stage,
    Status,
    Step,
    TopologyNode,
    TopologyRunnerMixin,
    Workflow,
    WorkflowExecutionError,
    WorkflowFatalError,
    collect,
    fqn_join,
    render_topology,
)

ROOT = Path(__file__).resolve().parent


# --- helpers used by the tests and by the configs they write -------------------------------------


class AddOne(Processor):
    def _run(self, record: Any) -> Either[Any]:
        return Either(right=record + 1)


class Picky(Processor):
    """Filters negatives, fails on 13 with a left, raises on 7."""

    def _run(self, record: Any) -> Either[Any] | None:
        if record < 0:
            return None
        if record == 13:
            return Either(left=StackTraceError(name=str(record), error="unlucky"))
        if record == 7:
            raise RuntimeError("seven is not allowed")
        return Either(right=record)


class Recorder(Processor):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Any] = []
        self.closed = 0

    def _run(self, record: Any) -> Either[Any]:
        self.seen.append(record)
        return Either(right=record)

    def close(self) -> None:
        self.closed += 1


class CountingSink(ListSink):
    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class ListStage(Stage):
    def __init__(self) -> None:
        super().__init__()
        self.staged: list[Any] = []
        self.closed = self.committed = 0

    def _run(self, record: Any) -> Iterable[Either[Any]]:
        if record == 2:
            yield Either(left=StackTraceError(name="2", error="stage refuses 2"))
            return
        self.staged.append(record)
        yield Either(right=record)
        yield Either(right=record)  # a stage may write several items per record

    def commit(self) -> None:
        self.committed += 1

    def close(self) -> None:
        self.closed += 1


class Loader(BulkSink):
    def __init__(self, stage: ListStage | None = None) -> None:
        super().__init__()
        self.stage = stage
        self.runs = 0
        self.loaded: list[Any] = []
        self.closed = 0
        self.stage_committed_before_run: bool | None = None

    def run(self) -> None:
        self.runs += 1
        if self.stage is not None:
            self.stage_committed_before_run = self.stage.committed == 1
            self.loaded = list(self.stage.staged)
            self.status.records += len(self.loaded)

    def close(self) -> None:
        self.closed += 1


class BrokenSource(Source):
    """Yields 1, 2, then raises from _iter."""

    def _iter(self) -> Iterator[Either[int]]:
        yield Either(right=1)
        yield Either(right=2)
        raise OSError("disk went away")


class MixedSource(Source):
    def _iter(self) -> Iterator[Any]:
        yield Either(right=1)
        yield "not wrapped"
        yield Either(left=StackTraceError(name="row 3", error="bad row"))
        yield Either(right=4)


class FatalAt(Processor):
    def __init__(self, at: int = 3) -> None:
        super().__init__()
        self.at = at

    def _run(self, record: Any) -> Either[Any]:
        if record == self.at:
            raise WorkflowFatalError("the target is gone")
        return Either(right=record)


class InterruptAt(Processor):
    def __init__(self, at: int = 3) -> None:
        super().__init__()
        self.at = at

    def _run(self, record: Any) -> Either[Any]:
        if record == self.at:
            raise KeyboardInterrupt
        return Either(right=record)


class NumbersSource(Source):
    """Config-driven source: yields range(count); fails every `fail_every`-th when set."""

    def __init__(self, count: int = 5, fail_every: int = 0, service_name: str = "numbers") -> None:
        super().__init__()
        self.count = count
        self.fail_every = fail_every
        self.service_name = service_name

    def _iter(self) -> Iterator[Either[int]]:
        for i in range(self.count):
            if self.fail_every and i % self.fail_every == 0:
                yield Either(left=StackTraceError(name=str(i), error="divisible"))
            else:
                yield Either(right=i)


class FailingClose(Processor):
    def _run(self, record: Any) -> Either[Any]:
        return Either(right=record)

    def close(self) -> None:
        raise RuntimeError("cannot close")


def run(source: Source, steps: list[Any] = [], bulk_sink: BulkSink | None = None, **kw: Any) -> Workflow:  # noqa: B006
    workflow = Workflow(source, steps, bulk_sink, **kw)
    workflow.execute()
    return workflow


# --- results ---------------------------------------------------------------------------------------


def test_either_needs_exactly_one_side() -> None:
    with pytest.raises(ValueError):
        Either()
    with pytest.raises(ValueError):
        Either(left=StackTraceError("a", "b"), right=1)
    assert Either(right=0).right == 0  # falsy values are values
    assert Either(left=StackTraceError("a", "b")).right is None


def test_results_are_frozen_values() -> None:
    error = StackTraceError("name", "boom")
    assert error.stack_trace is None
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        error.name = "other"  # type: ignore[misc]
    either = Either(right=1)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        either.right = 2  # type: ignore[misc]
    assert Either(right=1) == Either(right=1)


# --- steps -----------------------------------------------------------------------------------------


def test_step_defaults() -> None:
    step = AddOne()
    assert step.name == "AddOne"
    assert isinstance(step.status, Status) and step.status.records == 0
    assert AddOne.create({}).name == "AddOne"
    assert step.commit() is None and step.close() is None  # they do nothing...
    source = ListSource([1])
    assert source.prepare() is None and source.test_connection() is None
    assert list(source.run()) == [1]  # ...and leave the step working
    assert step.run(1) == 2 and step.status.records == 1


def test_only_iter_run_and_bulk_run_are_abstract() -> None:
    with pytest.raises(TypeError, match=r"abstract method '?_iter"):
        Source()  # type: ignore[abstract]
    with pytest.raises(TypeError, match=r"abstract method '?_run"):
        Processor()  # type: ignore[abstract]
    with pytest.raises(TypeError, match=r"abstract method '?_run"):
        Stage()  # type: ignore[abstract]
    with pytest.raises(TypeError, match=r"abstract method '?run"):
        BulkSink()  # type: ignore[abstract]


def test_create_passes_options_and_names_a_bad_one() -> None:
    assert NumbersSource.create({"count": 3}).count == 3
    with pytest.raises(InvalidSourceException, match="colour"):
        NumbersSource.create({"colour": "red"})
    with pytest.raises(ConfigError, match="AddOne"):
        AddOne.create({"unexpected": 1})


def test_source_run_yields_rights_and_records_everything_else() -> None:
    source = MixedSource()
    assert list(source.run()) == [1, 4]
    assert source.status.records == 2
    assert [f.name for f in source.status.failures] == ["Not an Either", "row 3"]
    assert "not wrapped" in source.status.failures[0].error


# --- per-record rules ------------------------------------------------------------------------------


def test_right_is_counted_and_passed_on() -> None:
    sink = ListSink()
    workflow = run(ListSource([1, 2, 3]), [AddOne(), AddOne(), sink])
    assert sink.records == [3, 4, 5]
    assert [step.status.records for step in workflow.all_steps()] == [3, 3, 3, 3]


def test_left_none_and_exception_stop_only_that_record() -> None:
    picky, after, sink = Picky(), Recorder(), ListSink()
    run(ListSource([1, -1, 13, 7, 2]), [picky, after, sink])
    assert after.seen == [1, 2]  # the filtered, failed and raising records went no further
    assert sink.records == [1, 2]
    assert picky.status.records == 2
    assert picky.status.filtered == 1
    assert picky.status.failure_count == 2
    left, raised = picky.status.failures
    assert left.error == "unlucky"
    assert "RuntimeError: seven is not allowed" in raised.error
    assert raised.stack_trace and "seven is not allowed" in raised.stack_trace
    assert after.status.failure_count == 0


def test_source_yielding_non_either_continues() -> None:
    sink = ListSink()
    workflow = run(MixedSource(), [sink])
    assert sink.records == [1, 4]
    assert workflow.source.status.failures[0].name == "Not an Either"


def test_exception_escaping_iter_is_a_failure_and_the_run_goes_on() -> None:
    stage = ListStage()
    loader = Loader(stage)
    workflow = run(BrokenSource(), [stage], loader)
    assert workflow.source.status.records == 2
    assert workflow.source.status.failure_count == 1
    assert "disk went away" in workflow.source.status.failures[0].error
    assert loader.runs == 1
    out = io.StringIO()
    workflow.print_status(out)
    assert "disk went away" in out.getvalue()


def test_fatal_error_stops_at_once_and_closes_every_step() -> None:
    recorder, sink = Recorder(), CountingSink()
    loader = Loader()
    workflow = Workflow(ListSource([1, 2, 3, 4, 5]), [FatalAt(3), recorder, sink], loader)
    with pytest.raises(WorkflowFatalError, match="target is gone"):
        workflow.execute()
    assert sink.records == [1, 2]
    assert loader.runs == 0
    assert (recorder.closed, sink.closed, loader.closed) == (1, 1, 1)


def test_fatal_error_from_the_source_stops_the_run() -> None:
    class FatalSource(Source):
        def _iter(self) -> Iterator[Either[int]]:
            yield Either(right=1)
            raise WorkflowFatalError("credentials revoked")

    loader = Loader()
    with pytest.raises(WorkflowFatalError):
        Workflow(FatalSource(), [ListSink()], loader).execute()
    assert loader.runs == 0 and loader.closed == 1


def test_stage_counts_rights_records_lefts_and_keeps_records() -> None:
    stage, loader = ListStage(), Loader()
    loader.stage = stage
    run(ListSource([1, 2, 3]), [AddOne(), stage], loader)
    assert stage.staged == [3, 4]
    assert stage.status.records == 4  # two rights per staged record
    assert stage.status.failure_count == 1
    assert loader.runs == 1 and loader.loaded == [3, 4]
    assert loader.stage_committed_before_run is True
    assert stage.closed == 1 and loader.closed == 1


def test_every_step_is_closed_exactly_once_even_after_interrupt() -> None:
    recorder, sink, loader = Recorder(), CountingSink(), Loader()
    workflow = Workflow(ListSource([1, 2, 3, 4]), [InterruptAt(3), recorder, sink], loader)
    with pytest.raises(KeyboardInterrupt):
        workflow.execute()
    assert workflow.interrupted
    assert sink.records == [1, 2]
    assert loader.runs == 0
    assert (recorder.closed, sink.closed, loader.closed) == (1, 1, 1)


def test_failing_close_and_bulk_sink_are_counted_in_their_step() -> None:
    class BadLoader(BulkSink):
        def run(self) -> None:
            raise RuntimeError("load failed")

    closer, sink = FailingClose(), CountingSink()
    workflow = run(ListSource([1, 2]), [closer, sink], BadLoader())
    assert closer.status.failure_count == 1 and "cannot close" in closer.status.failures[0].error
    assert workflow.bulk_sink is not None and "load failed" in workflow.bulk_sink.status.failures[0].error
    assert sink.closed == 1


def test_sink_failing_every_third_record() -> None:
    class Flaky(Sink):
        def _run(self, record: Any) -> Either[Any]:
            if record % 3 == 0:
                raise OSError(f"write {record} failed")
            return Either(right=record)

    workflow = run(ListSource(range(1, 10)), [AddOne(), Flaky()])
    flaky = workflow.steps[-1]
    assert (flaky.status.records, flaky.status.failure_count) == (6, 3)
    assert workflow.steps[0].status.failure_count == 0


def test_prepare_failing_is_a_source_failure() -> None:
    class Unprepared(ListSource):
        def prepare(self) -> None:
            raise PermissionError("no access to /data")

    workflow = run(Unprepared([1]), [ListSink()])
    assert workflow.source.status.failure_count == 1
    assert "no access" in workflow.source.status.failures[0].error


# --- status ----------------------------------------------------------------------------------------


def test_status_keeps_counts_and_only_the_first_failures() -> None:
    workflow = Workflow(NumbersSource(count=5000, fail_every=2), [ListSink()], max_failures_kept=10)
    workflow.execute()
    status = workflow.source.status
    assert status.failure_count == 2500
    assert len(status.failures) == 10
    assert status.records == 2500
    assert status.calculate_success() == 50.0
    out = io.StringIO()
    workflow.print_status(out)
    assert re.search(r"\| NumbersSource +\| Source +\| 2,500 +\| 0 +\| 0 +\| 2,500 +\| 50\.0%", out.getvalue())


def test_success_formula() -> None:
    status = Status()
    assert status.calculate_success() == 100.0
    status.records = 3
    status.failed(StackTraceError("x", "y"))
    assert status.calculate_success() == 75.0
    status.filter("f", "why")  # filtered records do not count against success
    assert status.calculate_success() == 75.0


def test_huge_error_texts_are_capped() -> None:
    status = Status()
    status.failed(StackTraceError("big", "x" * 20_000_000, "y" * 20_000_000))
    kept = status.failures[0]
    assert len(kept.error) < 5_000
    assert kept.stack_trace is not None and len(kept.stack_trace) < 10_000
    assert "characters cut" in kept.error


# --- workflow construction and verdicts --------------------------------------------------------------


def test_workflow_rejects_bad_step_lists() -> None:
    with pytest.raises(ValueError, match="last"):
        Workflow(ListSource([]), [ListSink(), AddOne()])
    with pytest.raises(ValueError, match="ListSink must be the last step, found at position 1"):
        Workflow(ListSource([]), [ListSink(), ListSink()])
    with pytest.raises(ValueError, match="ListStage must be the last step"):
        Workflow(ListSource([]), [ListStage(), ListSink()])
    with pytest.raises(ValueError, match="step 1 must be a Processor, Sink or Stage"):
        Workflow(ListSource([]), [Loader()])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="bulk_sink must be a BulkSink"):
        Workflow(ListSource([]), [], AddOne())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="the source must be a Source"):
        Workflow(AddOne(), [])  # type: ignore[arg-type]


def test_calculate_success_is_the_mean_of_every_step() -> None:
    workflow = run(ListSource([1, 13, 2, 3]), [Picky(), ListSink()], Loader())
    # source 100, Picky 3/(3+1)=75, sink 100, bulk sink 100
    assert workflow.calculate_success() == pytest.approx((100 + 75 + 100 + 100) / 4)


def test_raise_from_status_uses_a_strict_threshold() -> None:
    workflow = run(ListSource([1, 13, 2, 3]), [Picky(), ListSink()], success_threshold=75)
    workflow.raise_from_status()  # exactly 75% is not below 75
    assert workflow.result_status() == 1
    workflow.success_threshold = 75.1
    with pytest.raises(WorkflowExecutionError, match="Picky"):
        workflow.raise_from_status()


def test_result_status_is_zero_only_without_failures() -> None:
    assert run(ListSource([1, 2]), [ListSink()]).result_status() == 0
    assert run(MixedSource(), [ListSink()]).result_status() == 1


def test_print_status_report() -> None:
    workflow = run(NumbersSource(count=300, fail_every=2), [Picky(), ListSink()])
    out = io.StringIO()
    workflow.print_status(out)
    text = out.getvalue()
    assert "\x1b[" not in text  # no colour when not a terminal
    for header in ("Records", "Filtered", "Warnings", "Failures", "Success", "Time"):
        assert header in text
    assert re.search(r"\| From\s+\| Entity Name\s+\| Message\s+\| Stack Trace\s+\|", text)
    assert "| NumbersSource" in text
    assert re.search(r"\| NumbersSource +\| 0 +\| divisible ", text)  # 150 alike failures: one row
    assert re.search(r"\| +\| \(and 149 more\) +\|", text)
    one_row = io.StringIO()
    workflow.print_status(one_row, max_rows=1)
    assert "... 2 more failures not shown (152 in all; --failures PATH writes every one)" in one_row.getvalue()
    assert "Workflow success:" in text


def test_status_dict_is_json_and_matches_the_report() -> None:
    workflow = run(ListSource([1, 13, -2]), [Picky(), ListSink()])
    data = json.loads(json.dumps(workflow.status_dict()))
    picky = data["steps"][1]
    assert picky["name"] == "Picky"
    assert (picky["records"], picky["filtered"], picky["failure_count"]) == (1, 1, 1)
    assert picky["failures"][0]["error"] == "unlucky"
    assert data["success"] == pytest.approx(workflow.calculate_success(), abs=0.01)
    assert data["below_threshold"] == ["Picky"]


def test_time_is_measured_per_step() -> None:
    class Slow(Processor):
        def _run(self, record: Any) -> Either[Any]:
            import time

            time.sleep(0.01)
            return Either(right=record)

    workflow = run(ListSource(range(5)), [Slow(), ListSink()])
    assert workflow.steps[0].status.seconds >= 0.04
    assert workflow.steps[1].status.seconds < 0.04


def test_memory_detail_is_bounded_for_filtered_reasons_too() -> None:
    status = Status(max_failures_kept=5)
    for i in range(100):
        status.filter(str(i), "skip")
        status.warning(str(i), "hmm")
    assert (status.filtered, status.warnings) == (100, 100)
    assert len(status.filtered_details) == 5 and len(status.warning_details) == 5


# --- built-in steps and the test kit ---------------------------------------------------------------


def test_json_lines_sink_writes_atomically(tmp_path: Path) -> None:
    @attrs.define
    class Point:
        x: int
        y: int

    class WithDict:
        def to_dict(self) -> dict[str, Any]:
            return {"kind": "custom"}

    target = tmp_path / "out.jsonl"
    sink = JsonLinesSink(str(target))
    workflow = Workflow(ListSource([Point(1, 2), WithDict(), {"a": 1}, object()]), [sink])
    workflow.execute()
    lines = target.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [{"x": 1, "y": 2}, {"kind": "custom"}, {"a": 1}]
    assert sink.status.failure_count == 1  # the object() is not JSON: a failure, not a crash
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_json_lines_sink_builds_without_writing(tmp_path: Path) -> None:
    JsonLinesSink(str(tmp_path / "never.jsonl"))
    assert list(tmp_path.iterdir()) == []


def test_collect_a_source() -> None:
    result = collect(MixedSource())
    assert result.rights == [1, 4]
    assert [f.name for f in result.failures] == ["Not an Either", "row 3"]
    assert result.status.records == 2


def test_collect_a_workflow() -> None:
    result = collect(Workflow(ListSource([1, 13, 2]), [Picky(), AddOne()]))
    assert result.rights == [2, 3]
    assert [f.error for f in result.failures] == ["unlucky"]
    assert result.statuses["Picky"].failure_count == 1


def test_list_source_passes_eithers_through() -> None:
    result = collect(ListSource([Either(left=StackTraceError("a", "b")), 5]))
    assert result.rights == [5] and result.failures[0].name == "a"


# --- run options: limit, dry run, trace, failures file, progress -----------------------------------


def test_limit_stops_after_n_source_records() -> None:
    closed: list[bool] = []

    class Endless(Source):
        def _iter(self) -> Iterator[Either[int]]:
            n = 0
            try:
                while True:
                    n += 1
                    yield Either(right=n)
            finally:
                closed.append(True)

    sink = CountingSink()
    workflow = Workflow(Endless(), [sink])
    workflow.execute(limit=5)
    assert sink.records == [1, 2, 3, 4, 5]
    assert closed == [True] and sink.closed == 1


def test_dry_run_skips_sink_stage_and_bulk_sink() -> None:
    recorder, stage, loader = Recorder(), ListStage(), Loader()
    Workflow(ListSource([1, 2]), [recorder, stage], loader).execute(dry_run=True)
    assert recorder.seen == [1, 2]
    assert stage.staged == [] and loader.runs == 0


def test_trace_follows_each_record() -> None:
    out = io.StringIO()
    Workflow(ListSource([1, -1, 13]), [Picky(), AddOne(), ListSink()]).execute(trace=out)
    text = out.getvalue()
    assert "#1 ListSource: 1" in text
    assert "Picky: passed on 1" in text and "AddOne: passed on 2" in text
    assert "#2 ListSource: -1\n    Picky: filtered" in text
    assert "Picky: failed, unlucky" in text


def test_failures_file_gets_every_failed_input(tmp_path: Path) -> None:
    out = tmp_path / "failures.jsonl"
    Workflow(MixedSource(), [Picky(), ListSink()]).execute(failures=out)
    Workflow(ListSource([13]), [Picky()]).execute(failures=tmp_path / "second.jsonl")
    entries = [json.loads(line) for name in ("failures.jsonl", "second.jsonl")
               for line in (tmp_path / name).read_text().splitlines()]
    assert [entry["step"] for entry in entries] == ["MixedSource", "MixedSource", "Picky"]
    assert entries[2] == {"step": "Picky", "name": "13", "error": "unlucky", "stack_trace": None, "record": 13}


def test_progress_line_only_for_long_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(minigest.time, "perf_counter", lambda: now[0])

    class Tick(Processor):  # each record takes 10 ms of (fake) time
        def _run(self, record: Any) -> Either[Any]:
            now[0] += 0.01
            return Either(right=record)

    out = io.StringIO()
    Workflow(ListSource(range(3000)), [Tick(), ListSink()]).execute(progress=out)
    text = out.getvalue()
    assert re.search(r"ListSource [\d,]+ \([\d,]+/s\)  Tick [\d,]+ \([\d,]+/s\)  ListSink", text)
    assert 50 <= text.count("\r") <= 61  # 30 s of run: at most twice a second, from the second second on
    quiet = io.StringIO()
    Workflow(ListSource(range(100)), [Tick(), ListSink()]).execute(progress=quiet)  # 1 s: too short to show
    assert quiet.getvalue() == ""


# --- topology ----------------------------------------------------------------------------------------


class TwoLevel(ServiceTopology):
    root = TopologyNode(
        producer="get_schemas",
        stages=[NodeStage(type_=str, processor="yield_schema", context="schema")],
        children=["table"],
        post_process=["mark_deleted"],
    )
    table = TopologyNode(
        producer="get_tables",
        stages=[NodeStage(type_=str, processor="yield_table", context="table", consumer=["schema"])],
    )


class TwoLevelSource(TopologyRunnerMixin, Source):
    topology = TwoLevel()

    def __init__(self, schemas: list[str] | None = None, fail_on: str = "", bad_producer: bool = False) -> None:
        super().__init__()
        self.schemas = schemas or ["schema1", "schema2"]
        self.fail_on = fail_on
        self.bad_producer = bad_producer
        self.calls: list[str] = []

    def get_schemas(self) -> Iterator[str]:
        yield from self.schemas

    def yield_schema(self, name: str) -> Iterator[Either[str]]:
        if name == self.fail_on:
            raise ValueError(f"cannot read {name}")
        if name == "left":
            yield Either(left=StackTraceError(name, "refused"))
            return
        yield Either(right=name)

    def get_tables(self) -> Iterator[str]:
        yield "table1"
        if self.bad_producer and self.context.schema == "schema1":
            raise ConnectionError("lost the catalog")
        yield "table2"

    def yield_table(self, name: str) -> Iterator[Either[str]]:
        self.calls.append(f"{self.context.schema}/{name}")
        yield Either(right=name)

    def mark_deleted(self) -> Iterator[Either[str]]:
        yield Either(right="post_process")


def test_topology_walks_depth_first_with_post_process_last() -> None:
    result = collect(TwoLevelSource())
    assert result.rights == ["schema1", "table1", "table2", "schema2", "table1", "table2", "post_process"]
    assert result.failures == []


def test_topology_checks_method_names_at_construction() -> None:
    class Typo(ServiceTopology):
        root = TopologyNode(producer="get_schemas", stages=[NodeStage(type_=str, processor="yield_shema")])

    class TypoSource(TopologyRunnerMixin, Source):
        topology = Typo

        def get_schemas(self) -> Iterator[str]:
            yield "s"

    with pytest.raises(InvalidSourceException, match=r"'root'.*'yield_shema'"):
        TypoSource()


def test_producer_failure_keeps_what_came_before_and_goes_on() -> None:
    source = TwoLevelSource(bad_producer=True)
    result = collect(source)
    assert result.rights == ["schema1", "table1", "schema2", "table1", "table2", "post_process"]
    assert len(result.failures) == 1
    assert result.failures[0].name == "get_tables"
    assert "lost the catalog" in result.failures[0].error


def test_processor_failure_skips_that_elements_children_only() -> None:
    source = TwoLevelSource(schemas=["schema1", "broken", "left", "schema3"], fail_on="broken")
    result = collect(source)
    assert result.rights == ["schema1", "table1", "table2", "schema3", "table1", "table2", "post_process"]
    assert [f.name for f in result.failures] == ["yield_schema", "left"]
    assert "cannot read broken" in result.failures[0].error
    assert source.status.filtered == 2
    assert "skipped" in source.status.filtered_details[0][1]
    assert source.calls == ["schema1/table1", "schema1/table2", "schema3/table1", "schema3/table2"]


def test_context_does_not_leak_from_a_previous_sibling() -> None:
    class Topo(ServiceTopology):
        root = TopologyNode(
            producer="items",
            stages=[
                NodeStage(type_=str, processor="maybe", context="first", nullable=True),
                NodeStage(type_=str, processor="look", context="seen"),
            ],
        )

    class Src(TopologyRunnerMixin, Source):
        topology = Topo

        def items(self) -> list[str]:
            return ["a", "skip", "c"]

        def maybe(self, item: str) -> Iterator[Either[str] | None]:
            yield None if item == "skip" else Either(right=item.upper())

        def look(self, item: str) -> Iterator[Either[str]]:
            yield Either(right=f"{item}:{self.context.first}")

    assert collect(Src()).rights == ["A", "a:A", "skip:None", "C", "c:C"]


def test_non_nullable_stage_yielding_none_is_a_failure_naming_the_stage() -> None:
    class Topo(ServiceTopology):
        root = TopologyNode(producer="items", stages=[NodeStage(type_=str, processor="nothing")])

    class Src(TopologyRunnerMixin, Source):
        topology = Topo

        def items(self) -> list[int]:
            return [1, 2]

        def nothing(self, item: int) -> Iterator[None]:
            yield None

    result = collect(Src())
    assert len(result.failures) == 2
    assert result.failures[0].name == "nothing" and "not nullable" in result.failures[0].error


def test_store_all_and_clear_context() -> None:
    class Topo(ServiceTopology):
        root = TopologyNode(
            producer="items",
            stages=[
                NodeStage(type_=str, processor="keep", context="all", store_all_in_context=True),
                NodeStage(type_=str, processor="keep", context="temporary", clear_context=True),
            ],
            children=["child"],
        )
        child = TopologyNode(producer="one", stages=[NodeStage(type_=str, processor="show")])

    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

    class Src(TopologyRunnerMixin, Source):
        topology = Topo

        def items(self) -> list[str]:
            return ["x", "y"]

        def keep(self, item: str) -> Iterator[Either[Named]]:
            yield Either(right=Named(item))

        def one(self) -> list[int]:
            return [1]

        def show(self, _: int) -> Iterator[Either[str]]:
            yield Either(right=f"{self.context.all}|{self.context.temporary}")

    rights = collect(Src()).rights
    assert [r for r in rights if isinstance(r, str)] == ["['x']|None", "['x', 'y']|None"]


def test_store_all_starts_a_list_over_another_stages_value() -> None:
    class Topo(ServiceTopology):
        root = TopologyNode(producer="items", stages=[
            NodeStage(type_=str, processor="keep", context="seen"),  # leaves a text in the key...
            NodeStage(type_=str, processor="keep", context="seen", store_all_in_context=True),  # ...then a list
        ])

    class Src(TopologyRunnerMixin, Source):
        topology = Topo

        def items(self) -> list[str]:
            return ["x"]

        def keep(self, item: str) -> Iterator[Either[str]]:
            yield Either(right=item)

    source = Src()
    assert collect(source).failures == [] and source.context.seen == ["x"]


def test_a_child_is_not_walked_twice_and_roots_are_found() -> None:
    assert TwoLevel.roots() == ["root"]
    assert collect(TwoLevelSource()).rights.count("schema1") == 1


def test_fqn_from_stage_quotes_parts_with_dots() -> None:
    source = TwoLevelSource()
    source.context.set("schema", "my.schema")
    stage = TwoLevel.table.stages[0]
    assert source.context.fqn_from_stage(stage, "orders") == '"my.schema".orders'
    assert fqn_join("svc", "db", "a.b") == 'svc.db."a.b"'


def test_topology_cycle_is_refused() -> None:
    class Loop(ServiceTopology):
        a = TopologyNode(producer="p", stages=[], children=["b"])
        b = TopologyNode(producer="p", stages=[], children=["a"])

    class Src(TopologyRunnerMixin, Source):
        topology = Loop

        def p(self) -> list[int]:
            return []

    with pytest.raises(InvalidSourceException, match=r"root|loops"):
        Src()


def test_topology_check_visits_shared_children_once() -> None:
    levels = {f"n{i}": TopologyNode(producer="p", stages=[], children=[f"n{i + 1}"] * 2) for i in range(40)}
    levels["n40"] = TopologyNode(producer="p", stages=[])
    checked: list[str] = []

    class Src(TopologyRunnerMixin, Source):
        topology = type("Diamonds", (ServiceTopology,), levels)  # 2**40 paths from the root to the last node

        def p(self) -> list[int]:
            return []

        def _check_node(self, name: str, path: tuple[str, ...], done: set[str]) -> None:
            checked.append(name)
            assert len(checked) <= 3 * len(levels), "a node checked again for each path to it"
            super()._check_node(name, path, done)

    Src()  # each node once, plus a quick return for each second edge


def test_render_topology_shows_the_tree() -> None:
    text = render_topology(TwoLevel)
    assert "root: for each element of get_schemas()" in text
    assert "stage yield_table(element) yields str -> context.table" in text
    assert text.index("table:") > text.index("root:")
    assert "then mark_deleted()" in text


def test_topology_source_in_a_workflow() -> None:
    sink = ListSink()
    run(TwoLevelSource(), [sink])
    assert sink.records[-1] == "post_process" and len(sink.records) == 7


# --- config ------------------------------------------------------------------------------------------


def config_dict(**over: Any) -> dict[str, Any]:
    """A config; a key given as None is left out."""
    config: dict[str, Any] = {
        "source": {"type": "test_minigest.NumbersSource", "service_name": "nums", "options": {"count": 4}},
        "processors": [{"type": "test_minigest.AddOne"}],
        "sink": {"type": "minigest.ListSink"},
        "workflow": {"success_threshold": 80},
    }
    config.update(over)
    return {key: value for key, value in config.items() if value is not None}


def test_workflow_create_from_a_dict() -> None:
    workflow = Workflow.create(config_dict())
    assert isinstance(workflow.source, NumbersSource)
    assert workflow.source.service_name == "nums"  # service_name reaches the source's options
    assert workflow.success_threshold == 80
    workflow.execute()
    assert workflow.steps[-1].records == [1, 2, 3, 4]  # type: ignore[attr-defined]


def test_config_files_json_toml_yaml(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps(config_dict()))
    (tmp_path / "c.toml").write_text(textwrap.dedent("""
        [source]
        type = "test_minigest.NumbersSource"
        options = { count = 2 }
        [sink]
        type = "minigest.ListSink"
    """))
    (tmp_path / "c.yaml").write_text("source:\n  type: test_minigest.NumbersSource\n  options: {count: 3}\n")
    assert Workflow.from_file(tmp_path / "c.json").source.count == 4  # type: ignore[attr-defined]
    assert Workflow.from_file(tmp_path / "c.toml").source.count == 2  # type: ignore[attr-defined]
    assert Workflow.from_file(tmp_path / "c.yaml").source.count == 3  # type: ignore[attr-defined]


CONFIG_ERRORS = {
    '{"sourse": {}}': r"bad.json: unknown key 'sourse'",
    '{"processors": []}': r"'source' is required",
    '{"source": {"type": "test_minigest.Nope"}}': r"source.type: module 'test_minigest' has no attribute 'Nope'",
    '{"source": {"type": "no_such_pkg.Source"}}': r"source.type: no module named 'no_such_pkg'",
    '{"source": {"type": "os.path; rm -rf"}}': r"not a dotted Python path",
    '{"source": {"type": "test_minigest.AddOne"}}': r"is not a Source class",
    '{"source": {"type": "test_minigest.NumbersSource", "options": {"cnt": 1}}}': r"source: .*cnt",
    '{"source": {"type": "minigest.ListSource"}, "processors": [{"type": "minigest.ListSink", "x": 1}]}':
        r"processors\[0\]: unknown key 'x'",
    '{"source": {"type": "minigest.ListSource"}, "workflow": {"success_threshold": 150}}':
        r"workflow: success_threshold",
    '{"source": {"type": "minigest.ListSource"}, "workflow": {"threshold": 1}}': r"unknown key 'threshold'",
    '{"source": ': r"bad.json:1:\d+: invalid JSON",
    '{"source": {"type": "minigest.ListSource"}, "source": {}}': r"bad.json:1: the key 'source' is given twice",
    '{"source": {"type": "minigest.ListSource", "options": []}}': r"source.options: must be a mapping",
    '{"source": {"type": "minigest.ListSource", "options": 0}}': r"source.options: must be a mapping",
    '{"source": {"type": "minigest.ListSource", "name": 7}}': r"source.name: must be a non-empty string",
    '{"source": {"type": "minigest.ListSource"}, "workflow": {"success_threshold": true}}':
        r"success_threshold must be a number",
    '{"source": {"type": "minigest.ListSource"}, "workflow": {"success_threshold": "90"}}':
        r"success_threshold must be a number",
    '{"source": {"type": "minigest.ListSource"}, "workflow": {"max_failures_kept": "lots"}}':
        r"workflow: max_failures_kept must be a whole number",
    '{"source": {"type": "minigest.ListSource"}, "workflow": {"max_failures_kept": -5}}':
        r"max_failures_kept must be a whole number, 0 or more",
    '{"source": {"type": "minigest.ListSource"}, "bulk_sink": {"type": "test_minigest.Loader"}}':
        r"'bulk_sink' loads what a 'stage' wrote",
    '{"source": {"type": "test_minigest.Raising"}}': r"source: Raising: count must be positive",
}


@pytest.mark.parametrize(("text", "pattern"), CONFIG_ERRORS.items(), ids=range(len(CONFIG_ERRORS)))
def test_config_errors_name_the_file_and_key(tmp_path: Path, text: str, pattern: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=pattern):
        Workflow.from_file(path)


class Raising(ListSource):
    def __init__(self, count: int = 0) -> None:
        super().__init__()
        if count <= 0:
            raise ValueError("count must be positive")


def test_a_source_constructor_refusing_a_value_is_an_invalid_source() -> None:
    with pytest.raises(InvalidSourceException, match="Raising: count must be positive"):
        Raising.create({"count": -1})


def test_unknown_config_format_is_named(tmp_path: Path) -> None:
    path = tmp_path / "workflow.ini"
    path.write_text("[source]\n")
    with pytest.raises(ConfigError, match=r"workflow.ini: unknown config format '.ini'"):
        Workflow.from_file(path)


def test_service_spec_module_names_the_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "myconnector"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import minigest\n"
        "class Hello(minigest.ListSource):\n"
        "    def __init__(self, service_name='x'):\n"
        "        super().__init__(['hello', service_name])\n"
        "ServiceSpec = minigest.ServiceSpec(metadata_source_class='myconnector.Hello')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    workflow = Workflow.create(
        {"source": {"type": "myconnector", "service_name": "svc"}, "sink": {"type": "minigest.ListSink"}}
    )
    workflow.execute()
    assert workflow.steps[0].records == ["hello", "svc"]  # type: ignore[attr-defined]


def test_yaml_without_pyyaml_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    path = tmp_path / "c.yaml"
    path.write_text("source: {}\n")
    with pytest.raises(ConfigError, match="PyYAML"):
        minigest.load_config(path)


# --- command line --------------------------------------------------------------------------------------


def write_config(tmp_path: Path, **over: Any) -> Path:
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(config_dict(**over)))
    return path


def test_cli_run_success_and_status_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status_file = tmp_path / "status.json"
    code = minigest.main(["run", str(write_config(tmp_path)), "--status-file", str(status_file)])
    assert code == 0
    assert "Workflow success: 100.00%" in capsys.readouterr().out
    data = json.loads(status_file.read_text())
    assert data["steps"][0]["records"] == 4


def test_cli_run_below_threshold_exits_1(tmp_path: Path) -> None:
    source = {"type": "test_minigest.NumbersSource", "options": {"count": 10, "fail_every": 2}}
    assert minigest.main(["run", str(write_config(tmp_path, source=source))]) == 1


def test_cli_bad_config_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path, source={"type": "test_minigest.Missing"})
    assert minigest.main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("minigest: error: ") and "Missing" in err
    assert minigest.main(["run", str(tmp_path / "nowhere.json")]) == 2
    assert "nowhere.json" in capsys.readouterr().err


def test_cli_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert minigest.main(["launch"]) == 2  # returned, as main() promises, not raised
    assert capsys.readouterr().err.startswith("minigest: error:")


def test_cli_interrupt_exits_130_with_report_and_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status_file = tmp_path / "status.json"
    path = write_config(tmp_path, processors=[{"type": "test_minigest.InterruptAt", "options": {"at": 2}}])
    assert minigest.main(["run", str(path), "--status-file", str(status_file)]) == 130
    assert "interrupted" in capsys.readouterr().out
    assert json.loads(status_file.read_text())["interrupted"] is True


def test_cli_options_limit_dry_run_trace_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.jsonl"
    dead = tmp_path / "dead.jsonl"
    path = write_config(
        tmp_path,
        source={"type": "test_minigest.NumbersSource", "options": {"count": 20}},
        processors=[{"type": "test_minigest.Picky"}],
        sink={"type": "minigest.JsonLinesSink", "options": {"path": str(out)}},
        workflow={"success_threshold": 0},
    )
    assert minigest.main(["run", str(path), "--limit", "9", "--failures", str(dead), "--trace"]) == 0
    assert out.read_text().splitlines() == ["0", "1", "2", "3", "4", "5", "6", "8"]
    assert [json.loads(line)["record"] for line in dead.read_text().splitlines()] == [7]
    assert "Picky: failed, RuntimeError: seven is not allowed" in capsys.readouterr().err
    out.unlink()
    assert minigest.main(["run", str(path), "--dry-run"]) == 0
    assert not out.exists()


def test_cli_check_shows_steps_and_topology(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path, source={"type": "test_minigest.TwoLevelSource"})
    assert minigest.main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "TwoLevelSource" in out and "AddOne" in out and "get_schemas()" in out and "connection ok" in out


def test_cli_as_script_and_module(tmp_path: Path) -> None:
    path = write_config(tmp_path, source={"type": "minigest.ListSource"}, processors=[])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for command in ([sys.executable, str(ROOT / "minigest.py")], [sys.executable, "-m", "minigest"]):
        done = subprocess.run([*command, "run", str(path)], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "Workflow success" in done.stdout
        bad = subprocess.run([*command, "run", "missing.toml"], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr


# --- the module stands alone ---------------------------------------------------------------------------


def readme_quickstart() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1]
    return section.split("```python", 1)[1].split("```", 1)[0]


def test_copied_alone_the_module_runs_the_readme_quickstart(tmp_path: Path) -> None:
    """Only the standard library and attrs: -S hides site-packages, PYTHONPATH offers attrs alone."""
    import attr

    only_attrs = tmp_path / "site"
    for package in (attrs, attr):
        shutil.copytree(Path(package.__file__).parent, only_attrs / package.__name__)
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "minigest.py", project / "minigest.py")
    (project / "quickstart.py").write_text(readme_quickstart())
    env = {**os.environ, "PYTHONPATH": str(only_attrs)}
    done = subprocess.run([sys.executable, "-S", "quickstart.py"], capture_output=True, text=True, cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert "Workflow success" in done.stdout and "[12.5, 3.0]" in done.stdout


def test_module_docstring_example_runs() -> None:
    example = minigest.__doc__.split("Example::", 1)[1].split("Command line")[0]  # type: ignore[union-attr]
    exec(compile(textwrap.dedent(example), "<docstring>", "exec"), {})


# --- faults: interrupts, failing steps, outputs ------------------------------------------------------


class ExplodingLoader(BulkSink):
    def run(self) -> None:
        raise RuntimeError("bulk load exploded")


class FlakySink(Sink):
    def _run(self, record: Any) -> Either[Any]:
        if record % 3 == 0:
            raise OSError(f"write {record} failed")
        return Either(right=record)


class FlakyStage(Stage):
    def _run(self, record: Any) -> Iterator[Either[Any]]:
        if record % 3 == 0:
            raise OSError(f"write {record} failed")
        yield Either(right=record)


def test_interrupted_json_lines_output_has_only_complete_lines(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    workflow = Workflow(ListSource([{"n": i} for i in range(10)] + [3]), [InterruptAt(3), JsonLinesSink(str(target))])
    with pytest.raises(KeyboardInterrupt):
        workflow.execute(keep_partial=True)
    text = target.read_text()
    assert text.endswith("\n")
    assert [json.loads(line)["n"] for line in text.splitlines()] == list(range(10))
    assert list(tmp_path.iterdir()) == [target]


def test_status_file_is_written_when_every_kind_of_step_fails(tmp_path: Path) -> None:
    status_file = tmp_path / "status.json"
    path = write_config(
        tmp_path,
        source={"type": "test_minigest.NumbersSource", "options": {"count": 9}},
        processors=[{"type": "test_minigest.Picky"}, {"type": "test_minigest.FailingClose"}],
        sink=None,
        stage={"type": "test_minigest.FlakyStage"},
        bulk_sink={"type": "test_minigest.ExplodingLoader"},
    )
    assert minigest.main(["run", str(path), "--status-file", str(status_file)]) == 1
    steps = {step["name"]: step for step in json.loads(status_file.read_text())["steps"]}
    assert steps["Picky"]["failure_count"] == 1  # the 7
    assert steps["FailingClose"]["failure_count"] == 1  # its close()
    assert steps["FlakyStage"]["failure_count"] == 3  # 0, 3 and 6
    assert steps["ExplodingLoader"]["failure_count"] == 1
    assert steps["NumbersSource"]["failure_count"] == 0


def test_a_huge_error_does_not_make_a_huge_report_or_status_file(tmp_path: Path) -> None:
    class Huge(Processor):
        def _run(self, record: Any) -> Either[Any]:
            raise ValueError("x" * 20_000_000)

    workflow = run(ListSource([1, 2]), [Huge()])
    out = io.StringIO()
    workflow.print_status(out)
    assert len(out.getvalue()) < 20_000
    assert len(json.dumps(workflow.status_dict())) < 40_000


SLOW_SOURCE = """
import time
import minigest

class Slow(minigest.Source):
    def _iter(self):
        for i in range(10_000):
            time.sleep(0.005)
            yield minigest.Either(right={"n": i})
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(("signal_name", "code", "keep_partial"), [("SIGINT", 130, False), ("SIGTERM", 143, False),
                                                                   ("SIGINT", 130, True)])
def test_a_real_signal_closes_everything_reports_and_keeps_the_previous_output(
    tmp_path: Path, signal_name: str, code: int, keep_partial: bool
) -> None:
    import signal

    (tmp_path / "slowsource.py").write_text(SLOW_SOURCE)
    config = {
        "source": {"type": "slowsource.Slow"},
        "sink": {"type": "minigest.JsonLinesSink", "options": {"path": "out.jsonl"}},
    }
    (tmp_path / "run.json").write_text(json.dumps(config))
    (tmp_path / "out.jsonl").write_text('{"previous": true}\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(ROOT / "minigest.py"), "run", "run.json", "--status-file", "status.json", "--trace"]
    process = subprocess.Popen(command + (["--keep-partial"] if keep_partial else []), cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    while "#3 " not in process.stderr.readline():  # wait until records flow, not for a fixed time
        pass
    process.send_signal(getattr(signal, signal_name))
    out, err = process.communicate(timeout=30)
    assert process.returncode == code, err
    assert "Traceback" not in err
    assert "stopped: interrupted" in out
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["interrupted"] is True
    assert status["steps"][1]["records"] >= 2
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    if keep_partial:
        assert [json.loads(line)["n"] for line in lines] == list(range(status["steps"][1]["records"]))
    else:
        assert lines == ['{"previous": true}']  # the previous output is exactly as it was
        assert status["outputs_left_as_they_were"] == ["JsonLinesSink"]
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []  # no temporary file


def test_topology_source_that_skips_super_init_gets_a_clear_failure() -> None:
    class Forgetful(TwoLevelSource):
        def __init__(self) -> None:
            pass

    source = Forgetful()
    Workflow.__init__(Workflow.__new__(Workflow), source)  # adopts it: name and status
    assert list(source.run()) == []
    assert "must call super().__init__()" in source.status.failures[0].error


def test_json_lines_sink_refuses_a_missing_folder_and_writes_readable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="option 'path'"):
        JsonLinesSink(str(tmp_path / "no" / "such" / "out.jsonl"))
    target = tmp_path / "out.jsonl"
    run(ListSource([1]), [JsonLinesSink(str(target))])
    assert target.stat().st_mode & 0o044 == 0o044 & ~_umask()  # not mkstemp's private 0600


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_cli_fatal_error_is_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path, processors=[{"type": "test_minigest.FatalAt", "options": {"at": 2}}])
    assert minigest.main(["run", str(path)]) == 1
    err = capsys.readouterr().err
    assert err == "minigest: error: the target is gone\n"


def test_cli_refuses_output_paths_in_missing_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path)
    for option in ("--status-file", "--failures"):
        for target in (tmp_path / "missing" / "x.json", tmp_path):
            assert minigest.main(["run", str(path), option, str(target)]) == 2
            assert capsys.readouterr().err.startswith(f"minigest: error: {option}")


# --- a run that stops early says so ------------------------------------------------------------------


def test_fatal_error_is_reported_on_its_step_and_in_the_verdict() -> None:
    workflow = Workflow(ListSource([1, 2, 3, 4]), [FatalAt(3), ListSink()])
    with pytest.raises(WorkflowFatalError):
        workflow.execute()
    fatal_step = workflow.steps[0]
    assert fatal_step.status.failure_count == 1
    assert "stopped the run: WorkflowFatalError: the target is gone" in fatal_step.status.failures[0].error
    assert workflow.result_status() == 1
    data = workflow.status_dict()
    assert data["stopped"] == "WorkflowFatalError: the target is gone"
    out = io.StringIO()
    workflow.print_status(out)
    assert "stopped: WorkflowFatalError: the target is gone" in out.getvalue()


def test_missing_source_path_is_a_failure_of_the_source_too() -> None:
    class NeedsFile(ListSource):
        def prepare(self) -> None:
            raise InvalidSourceException("NeedsFile: source_directory 'x.csv' does not exist")

    workflow = Workflow(NeedsFile([1]), [ListSink()])
    with pytest.raises(InvalidSourceException):
        workflow.execute()
    failure = workflow.source.status.failures[0]  # the config's mistake in its own words, no trace
    assert failure.error == "prepare() failed: NeedsFile: source_directory 'x.csv' does not exist"
    assert failure.stack_trace is None
    assert workflow.stopped is not None and workflow.result_status() == 1


def test_dry_run_leaves_skipped_steps_out_of_the_verdict() -> None:
    class Always13(ListSink):
        def _run(self, record: Any) -> Either[Any]:
            return Either(left=StackTraceError("x", "sink refuses"))

    workflow = Workflow(ListSource([1, 2]), [AddOne(), Always13()], Loader())
    workflow.execute(dry_run=True)
    assert workflow.calculate_success() == 100.0 and workflow.failing_steps() == []
    out = io.StringIO()
    workflow.print_status(out)
    assert re.search(r"\| Always13\s+\| Sink\s+\| -\s+\| -\s+\| -\s+\| -\s+\| skipped", out.getvalue())
    assert "(mean of 2 steps)" in out.getvalue()
    assert [step["skipped"] for step in workflow.status_dict()["steps"]] == [False, False, True, True]


def test_a_step_returning_junk_is_named_as_the_cause() -> None:
    class Junk(Processor):
        def _run(self, record: Any) -> Any:
            return "oops"

    class JunkStage(Stage):
        def _run(self, record: Any) -> Any:
            yield 42

    workflow = run(ListSource([1]), [Junk()])
    assert workflow.steps[0].status.failures[0].error == "Junk._run returned 'oops', not an Either or None"
    trace = io.StringIO()
    Workflow(ListSource([1]), [JunkStage()]).execute(trace=trace)
    assert "JunkStage: failed, TypeError: JunkStage._run yielded 42, not an Either" in trace.getvalue()


def test_not_an_either_keeps_the_item_for_the_failures_file(tmp_path: Path) -> None:
    out = tmp_path / "failures.jsonl"
    Workflow(MixedSource(), [ListSink()]).execute(failures=out)
    first = json.loads(out.read_text().splitlines()[0])
    assert first["name"] == "Not an Either" and first["record"] == "not wrapped"


def test_stack_trace_of_a_huge_message_still_shows_where() -> None:
    class Huge(Processor):
        def _run(self, record: Any) -> Either[Any]:
            raise ValueError("x" * 5_000_000)

    workflow = run(ListSource([1]), [Huge()])
    failure = workflow.steps[0].status.failures[0]
    assert failure.stack_trace is not None and "test_minigest.py" in failure.stack_trace
    assert len(failure.error) < 3_000


def test_every_step_is_closed_even_if_a_close_is_interrupted() -> None:
    class InterruptedClose(AddOne):
        def close(self) -> None:
            raise KeyboardInterrupt

    sink, loader = CountingSink(), Loader()
    workflow = Workflow(ListSource([1]), [InterruptedClose(), sink], loader)
    with pytest.raises(KeyboardInterrupt):
        workflow.execute()
    assert (sink.closed, loader.closed) == (1, 1)



def test_cli_json_lines_to_stdout_moves_the_report_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, sink={"type": "minigest.JsonLinesSink"}, processors=[])
    assert minigest.main(["run", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["0", "1", "2", "3"]
    assert "Workflow success" in err


def test_json_lines_are_strict_json() -> None:
    sink = JsonLinesSink("-")
    run(ListSource([float("nan")]), [sink])
    assert sink.status.failure_count == 1 and "JSON" in sink.status.failures[0].error


def test_cli_check_reports_a_failed_connection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path, source={"type": "test_minigest.Unreachable"})
    assert minigest.main(["check", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.err == ""  # said once, on stdout with the rest of the check
    assert captured.out.count("no route") == 1
    assert "connection failed: Unreachable: OSError: no route" in captured.out


class Unreachable(ListSource):
    def test_connection(self) -> None:
        raise OSError("no route")


def test_report_tables_align_wide_characters() -> None:
    workflow = run(ListSource([Either(left=StackTraceError("東京", "壊れた"))]), [ListSink()])
    out = io.StringIO()
    workflow.print_status(out)
    failures = out.getvalue().split("\nFailures\n", 1)[1].split("Workflow success")[0]
    lines = [line for line in failures.splitlines() if line.startswith(("|", "+"))]
    wide = set("東京壊れた")  # each of these takes two columns on a terminal
    assert "東京" in failures and len({len(line) + sum(char in wide for char in line) for line in lines}) == 1


def test_a_stage_that_yields_nothing_still_walks_the_children() -> None:
    class Topo(ServiceTopology):
        root = TopologyNode(
            producer="parents", stages=[NodeStage(type_=str, processor="silent", context="parent")], children=["kid"]
        )
        kid = TopologyNode(producer="kids", stages=[NodeStage(type_=str, processor="show")])

    class Src(TopologyRunnerMixin, Source):
        topology = Topo

        def parents(self) -> list[str]:
            return ["p"]

        def silent(self, _: str) -> Iterator[Either[str]]:
            yield from ()

        def kids(self) -> list[str]:
            return ["k"]

        def show(self, kid: str) -> Iterator[Either[str]]:
            yield Either(right=f"{kid} under {self.context.parent}")

    result = collect(Src())
    assert result.rights == ["k under None"] and result.failures == []


def test_store_all_collects_per_parent_and_the_nodes_post_process_sees_it() -> None:
    class Topo(ServiceTopology):
        database = TopologyNode(
            producer="databases", stages=[NodeStage(type_=str, processor="keep", context="database")],
            children=["schema"],
        )
        schema = TopologyNode(
            producer="schemas",
            stages=[NodeStage(type_=str, processor="keep", context="schemas", store_all_in_context=True)],
            post_process=["summary"],
        )

    class Src(TopologyRunnerMixin, Source):
        topology = Topo

        def databases(self) -> list[str]:
            return ["d1", "d2"]

        def schemas(self) -> list[str]:
            return [f"{self.context.database}.s1", f"{self.context.database}.s2"]

        def keep(self, name: str) -> Iterator[Either[str]]:
            yield Either(right=name)

        def summary(self) -> Iterator[Either[str]]:
            yield Either(right=f"{self.context.database}: {self.context.schemas}")

    rights = collect(Src()).rights
    assert "d1: ['d1.s1', 'd1.s2']" in rights
    assert "d2: ['d2.s1', 'd2.s2']" in rights  # nothing of d1 leaks into d2


def test_atomic_writer_leaves_no_temporary_file_when_the_rename_fails(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    writer = minigest.AtomicWriter(target)
    writer.file.write("data")
    target.mkdir()  # a folder took the file's place meanwhile: the rename fails
    with pytest.raises(OSError):
        writer.commit()
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


# --- The redesign: each rule, with a test a regression would break ------------------------------


class FatalStage(Stage):
    def _run(self, record: Any) -> Iterable[Either[Any]]:
        raise WorkflowFatalError("the target went away")


def test_a_fatal_error_in_a_stage_is_one_failure_of_the_stage_only() -> None:
    add_one, stage = AddOne(), FatalStage()
    workflow = Workflow(ListSource([1, 2]), [add_one, stage])
    with pytest.raises(WorkflowFatalError, match="the target went away"):
        workflow.execute()
    assert add_one.status.failure_count == 0 and add_one.status.records == 1
    assert stage.status.failure_count == 1
    assert workflow.source.status.failure_count == 0
    assert workflow.stopped == "WorkflowFatalError: the target went away"


def test_outputs_are_committed_by_the_workflow_not_by_interpreter_state(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    try:
        raise ValueError("an unrelated error the caller is handling")
    except ValueError:
        Workflow(ListSource([1, 2]), [JsonLinesSink(target)]).execute()  # run inside an except block
    assert target.read_text().splitlines() == ["1", "2"]


class MissingPath(ListSource):
    def prepare(self) -> None:
        raise InvalidSourceException("MissingPath: /nowhere does not exist")


@pytest.mark.parametrize("how", ["bad path", "fatal", "interrupt", "prepare crash"])
def test_a_run_that_stops_leaves_the_previous_output_exactly_as_it_was(tmp_path: Path, how: str) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("previous\n")

    class Crashing(ListSource):
        def prepare(self) -> None:
            raise OSError("the disk is not there")

    source = {"bad path": MissingPath([1]), "prepare crash": Crashing([1])}.get(how, ListSource([1, 2, 3, 4]))
    middle: list[Step] = {"fatal": [FatalAt(3)], "interrupt": [InterruptAt(3)]}.get(how, [])
    workflow = Workflow(source, [*middle, JsonLinesSink(target)])
    with contextlib.suppress(MinigestError, KeyboardInterrupt):
        workflow.execute()
    assert target.read_text() == "previous\n"
    assert [path.name for path in tmp_path.iterdir()] == ["out.jsonl"]  # no temporary file left
    assert workflow.stopped and workflow.exit_code() == 1
    assert workflow.status_dict()["outputs_left_as_they_were"] == ["JsonLinesSink"]
    out = io.StringIO()
    workflow.print_status(out)
    assert "outputs left as they were: JsonLinesSink" in out.getvalue()


def test_a_failed_commit_fails_the_run_and_the_bulk_sink_does_not_run() -> None:
    class Unwritable(ListStage):
        def commit(self) -> None:
            raise OSError(28, "No space left on device")

    stage, loader = Unwritable(), Loader()
    workflow = Workflow(ListSource([1, 3]), [stage], loader)
    workflow.execute()
    assert stage.status.failure_count == 1 and "commit() failed: OSError" in stage.status.failures[0].error
    assert loader.runs == 0 and loader.closed == 1
    assert workflow.stopped == "Unwritable could not commit its output" and workflow.exit_code() == 1
    assert workflow.status_dict()["steps"][2]["state"] == "not run"


def test_the_bulk_sink_is_handed_the_stage_it_loads_from() -> None:
    stage, loader = ListStage(), Loader()
    run(ListSource([1, 3]), [stage], loader)
    assert loader.stage is stage and loader.loaded == [1, 3]


@pytest.mark.parametrize("left", ["row 2 is bad", ValueError("row 2 is bad"), 42])
def test_a_left_that_is_not_a_stack_trace_error_is_one_failure_with_the_users_words(left: Any) -> None:
    workflow = run(ListSource([1, Either(left=left), 3]), [ListSink()])
    status = workflow.source.status
    assert status.failure_count == 1 and status.records == 2  # the source went on after it
    assert str(left) in status.failures[0].error
    assert workflow.steps[0].records == [1, 3]  # type: ignore[attr-defined]


def test_stack_trace_error_fields_always_hold_text() -> None:
    error = StackTraceError(name=7, error=ValueError("boom"))  # type: ignore[arg-type]
    assert (error.name, error.error) == ("7", "ValueError: boom")
    workflow = run(ListSource([Either(left=error)]), [])
    assert workflow.source.status.failure_count == 1
    assert workflow.source.status.failures[0].error == "ValueError: boom"


def test_a_workflow_runs_once() -> None:
    sink = ListSink()
    workflow = Workflow(ListSource([1, 2]), [sink])
    workflow.execute()
    with pytest.raises(MinigestError, match="already run; build a new one"):
        workflow.execute()
    assert sink.records == [1, 2] and sink.status.records == 2


def test_the_sampler_times_the_first_records_then_one_in_every() -> None:
    sampler = minigest._Sampler([], first=10, every=4)
    chosen = list(itertools.islice(sampler.chains("plain", "timed"), 30))
    assert chosen[:10] == ["timed"] * 10
    assert chosen[10:] == ["plain", "plain", "plain", "timed"] * 5


def test_per_step_time_is_sampled_and_scaled_up_to_every_record(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    monkeypatch.setattr(minigest.time, "perf_counter", lambda: clock[0])

    class OneSecond(Processor):
        def _run(self, record: Any) -> Either[Any]:
            clock[0] += 1.0  # every record costs exactly one (fake) second
            return Either(right=record)

    step = OneSecond()
    Workflow(ListSource(range(5_000)), [step]).execute()
    assert step.status.seconds == pytest.approx(5_000)  # 1,000 + 4,000 / 64 timed, scaled up to all 5,000

    class FirstThousand(Processor):
        def _run(self, record: Any) -> Either[Any] | None:
            return Either(right=record) if record < 1_000 else None

    behind_a_filter = OneSecond()
    Workflow(ListSource(range(5_000)), [FirstThousand(), behind_a_filter]).execute()
    assert behind_a_filter.status.seconds == pytest.approx(1_000)  # scaled by its own calls, not the source's


def test_create_and_from_file_build_the_subclass(tmp_path: Path) -> None:
    class MyWorkflow(Workflow):
        pass

    config = {"source": {"type": "minigest.ListSource"}}
    assert type(MyWorkflow.create(config)) is MyWorkflow
    (tmp_path / "w.json").write_text(json.dumps(config))
    assert type(MyWorkflow.from_file(tmp_path / "w.json")) is MyWorkflow


def test_errors_share_one_base_and_diagnostics_go_to_the_minigest_logger() -> None:
    for error in (ConfigError, InvalidSourceException, WorkflowExecutionError, WorkflowFatalError, OutputError):
        assert issubclass(error, minigest.MinigestError)
    assert "MinigestError" in minigest.__all__
    assert minigest.logger().name == "minigest"


class Tidy(Source):
    """A source whose iterator cleans up in a finally block; it says when that, commit() and close() happen."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def _iter(self) -> Iterator[Either[int]]:
        try:
            yield from (Either(right=i) for i in range(10))
        finally:
            self.events.append("iterator closed")

    def commit(self) -> None:
        self.events.append("commit")

    def close(self) -> None:
        self.events.append("close")


def test_a_source_cut_short_by_the_limit_cleans_up_before_it_commits() -> None:
    source = Tidy()
    Workflow(source, [ListSink()]).execute(limit=2)
    assert source.events == ["iterator closed", "commit", "close"]


def test_trace_and_failures_file_both_see_every_failure(tmp_path: Path) -> None:
    trace = io.StringIO()
    Workflow(ListSource([13, 1]), [Picky(), ListSink()]).execute(trace=trace, failures=tmp_path / "f.jsonl")
    assert "Picky: failed, unlucky" in trace.getvalue()
    assert json.loads((tmp_path / "f.jsonl").read_text())["error"] == "unlucky"


def test_observers_are_set_up_only_when_asked_for() -> None:
    plain = Workflow(ListSource([1]), [AddOne()])
    plain.execute()
    assert all(step.observers == () for step in plain.all_steps())

    class Seen(minigest.Observer):
        def __init__(self) -> None:
            self.events: list[str] = []

        def record(self, number: int, record: Any) -> None:
            self.events.append(f"record {number}")

        def step(self, step: Step, result: Any) -> None:
            self.events.append(f"{step.name} -> {result}")

        def output(self, record: Any) -> None:
            self.events.append(f"out {record}")

    seen = Seen()
    Workflow(ListSource([1, -1]), [Picky(), AddOne()]).execute(observers=[seen])
    assert seen.events == ["record 1", "Picky -> 1", "AddOne -> 2", "out 2", "record 2", "Picky -> FILTERED"]


def test_an_observer_pays_only_for_the_hooks_it_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    for hook in ("record", "step", "output"):
        monkeypatch.setattr(minigest.Observer, hook, lambda self, *args, hook=hook: calls.append(hook))

    class OnlyFailures(minigest.Observer):
        def failed(self, step: Step, error: StackTraceError, record: Any) -> None:
            calls.append("failed")

    Workflow(ListSource([1, "x"]), [AddOne(), ListSink()]).execute(observers=[OnlyFailures()])
    assert calls == ["failed"]  # no wrapper around the source or the steps for hooks it does not override


def test_dropped_records_are_markers_no_record_equals() -> None:
    assert minigest.FILTERED != "FILTERED" and minigest.FAILED != "FAILED"
    assert repr(minigest.FILTERED) == "FILTERED"


def test_progress_shows_only_the_steps_that_run(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(minigest.time, "perf_counter", lambda: now[0])

    class Ticking(Processor):
        def _run(self, record: Any) -> Either[Any]:
            now[0] += 1.0
            return Either(right=record)

    out = io.StringIO()
    Workflow(ListSource(range(5)), [Ticking(), ListSink()]).execute(dry_run=True, progress=out)
    assert "Ticking" in out.getvalue() and "ListSink" not in out.getvalue()


# --- Options, config files and the command line as a user meets them -------------------------------


class Counted(Source):
    """A user's source with typed options, as a one-off connector writer would write it."""

    def __init__(self, n: int, patterns: Optional[list[str]] = None, ratio: float = 1.0,  # noqa: UP045
                 where: Optional[Path] = None, label: str = "x") -> None:  # noqa: UP045  # readable on Python 3.9
        super().__init__()
        self.n, self.patterns, self.ratio, self.where, self.label = n, patterns, ratio, where, label

    def _iter(self) -> Iterator[Either[int]]:
        yield from (Either(right=i) for i in range(self.n))


@pytest.mark.parametrize(("options", "message"), [
    ({"n": "5"}, "Counted: option 'n' must be int, got '5'"),
    ({"n": 5, "pattern": ["a"]}, "unknown option 'pattern' (valid options: n, patterns, ratio, where, label); "
                                 "did you mean 'patterns'?"),
    ({}, "Counted: option 'n' is required"),
    ({"n": True}, "option 'n' must be int, got True"),
    ({"n": 1, "patterns": ["a", 3]}, "option 'patterns' must be Optional[list[str]], got ['a', 3]"),
    ({"n": 1, "label": False}, "option 'label' must be str, got False (YAML reads yes/no/on/off as booleans"),
])
def test_options_are_checked_from_the_constructors_annotations(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidSourceException) as caught:
        Counted.create(options)
    assert message in str(caught.value)


def test_options_of_the_right_type_are_taken_and_paths_become_paths() -> None:
    source = Counted.create({"n": 2, "ratio": 3, "where": "data/x.csv", "patterns": ["a"]})
    assert (source.n, source.ratio, source.patterns) == (2, 3, ["a"])
    assert source.where == Path("data/x.csv")


def test_a_mistyped_option_fails_at_check_not_halfway_through_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, source={"type": "test_minigest.Counted", "options": {"n": "5"}})
    assert minigest.main(["check", str(path)]) == 2
    assert "source: Counted: option 'n' must be int, got '5'" in capsys.readouterr().err


def test_service_name_is_passed_only_to_a_source_that_takes_it() -> None:
    workflow = Workflow.create({"source": {"type": "minigest.ListSource", "service_name": "svc"}})
    assert isinstance(workflow.source, ListSource)
    numbers = Workflow.create({"source": {"type": "test_minigest.NumbersSource", "service_name": "svc"}})
    assert numbers.source.service_name == "svc"  # type: ignore[attr-defined]


def test_environment_variables_are_substituted_in_strings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIGEST_COUNT_LABEL", "from-env")
    config = {"source": {"type": "test_minigest.Counted",
                         "options": {"n": 1, "label": "${MINIGEST_COUNT_LABEL}/${MINIGEST_UNSET:-fallback}"}}}
    (tmp_path / "c.json").write_text(json.dumps(config))
    assert Workflow.from_file(tmp_path / "c.json").source.label == "from-env/fallback"  # type: ignore[attr-defined]
    config["source"]["options"]["label"] = "${MINIGEST_UNSET}"  # type: ignore[index]
    (tmp_path / "c.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match=r"c.json: source.options.label: the environment variable MINIGEST_UNSET "
                                          r"is not set"):
        Workflow.from_file(tmp_path / "c.json")


def test_relative_paths_start_at_the_config_folder_and_types_are_found_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "local_steps.py").write_text("from test_minigest import Counted as LocalCounted\n")
    config = {"source": {"type": "local_steps.LocalCounted", "options": {"n": 1, "where": "data/in.csv"}},
              "sink": {"type": "minigest.JsonLinesSink", "options": {"path": "out.jsonl"}}}
    (project / "run.json").write_text(json.dumps(config))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    workflow = Workflow.from_file(project / "run.json")
    assert workflow.source.where == project / "data" / "in.csv"  # type: ignore[attr-defined]
    workflow.execute()
    assert (project / "out.jsonl").read_text() == "0\n"
    config["source"]["type"] = "missing_steps.Counted"  # type: ignore[index]
    (project / "run.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match=f"no module named 'missing_steps' \\(searched .*{project.name}"):
        Workflow.from_file(project / "run.json")


@pytest.mark.parametrize(("name", "text", "message"), [
    ("dup.yaml", "source:\n  type: minigest.ListSource\n  type: minigest.ListSink\n",
     "dup.yaml:3: the key 'source.type' is given twice"),
    ("dup.json", '{"source": {"type": "minigest.ListSource",\n "type": "x"}}',
     "dup.json:2: the key 'source.type' is given twice"),
    ("split.json", '{"source": {"type": "minigest.ListSource",\n "type":\n   "x"}}',
     "split.json:2: the key 'source.type' is given twice"),  # the key's line, not its value's
    ("empty.json", "  \n", "empty.json: the config is empty"),
    ("empty.yaml", "# nothing yet\n", "empty.yaml: the config must be a mapping at the top level, got NoneType"),
    ("typo.json", '{"source": {"type": "test_minigest.Countd"}}', "has no attribute 'Countd'; did you mean 'Counted'?"),
])
def test_config_file_mistakes_are_one_clear_line(tmp_path: Path, name: str, text: str, message: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError) as caught:
        Workflow.from_file(tmp_path / name)
    assert message in str(caught.value)


def test_a_folder_given_as_the_config_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder, not a config file"):
        Workflow.from_file(tmp_path)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + b'{"source": {"type": "minigest.ListSource"}}')
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + b'[source]\ntype = "minigest.ListSource"\n')
    for name in ("bom.json", "bom.toml"):
        assert isinstance(Workflow.from_file(tmp_path / name).source, ListSource)


def test_a_yaml_billion_laughs_is_refused_without_expanding_it(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    (tmp_path / "laughs.yaml").write_text("\n".join(lines) + "\nsource: *a11\n")
    with pytest.raises(ConfigError) as caught:
        Workflow.from_file(tmp_path / "laughs.yaml")
    assert len(str(caught.value)) < 400


def test_yaml_hint_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    (tmp_path / "c.yaml").write_text("source: {}\n")
    with pytest.raises(ConfigError, match=r"pip install PyYAML\)"):
        Workflow.from_file(tmp_path / "c.yaml")


def test_help_shows_an_example_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["run", "--help"]):
        assert minigest.main(argv) == 0
        out = capsys.readouterr().out
        assert "example:" in out and "minigest run connectors/samples/csv_catalog.json" in out
        assert "143 terminated (SIGTERM)" in out and "3    minigest could not write its own output" in out
    assert minigest.main([]) == 2
    assert "usage: minigest" in capsys.readouterr().err


def test_verbose_and_quiet_set_the_minigest_loggers_level(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    class Chatty(ListSource):
        def prepare(self) -> None:
            minigest.logger().info("chatty is preparing")

    path = write_config(tmp_path, source={"type": "test_minigest.ChattySource"})
    globals()["ChattySource"] = Chatty
    assert minigest.main(["run", str(path), "--verbose"]) == 0
    assert "minigest: INFO: chatty is preparing" in capsys.readouterr().err
    assert minigest.main(["run", str(path)]) == 0
    assert "chatty is preparing" not in capsys.readouterr().err


def test_check_lists_the_roles_of_a_service_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "spec_module.py").write_text(
        "import minigest\n"
        "ServiceSpec = minigest.ServiceSpec(metadata_source_class=minigest.ListSource,\n"
        "                                   profiler_class='test_minigest.Counted')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    path = write_config(tmp_path, source={"type": "spec_module"})
    assert minigest.main(["check", str(path)]) == 0
    assert "roles      metadata, profiler (the source's 'kind' picks one)" in capsys.readouterr().out
    profiler = Workflow.create({"source": {"type": "spec_module", "kind": "profiler", "options": {"n": 2}}})
    assert isinstance(profiler.source, Counted)
    with pytest.raises(ConfigError, match=r"ServiceSpec of 'spec_module' has no 'lineage' role \(it has: metadata, "
                                          r"profiler\)"):
        Workflow.create({"source": {"type": "spec_module", "kind": "lineage"}})
    with pytest.raises(ConfigError, match="'sideways' is not a role"):
        Workflow.create({"source": {"type": "spec_module", "kind": "sideways"}})


# --- Faults, signals and hostile input: nothing reported as done that was not done -------------------


def test_a_failures_file_that_cannot_be_written_stops_the_run_with_the_reason(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    workflow = Workflow(ListSource([13, 1, 2]), [Picky(), ListSink()])
    with pytest.raises(OutputError, match="--failures /dev/full: No space left on device"):
        workflow.execute(failures="/dev/full")
    assert workflow.stopped and "No space left" in workflow.stopped and workflow.exit_code() == 1


def test_a_failures_file_on_a_full_disk_keeps_only_whole_lines(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root to mount a small tmpfs")
    try:
        source = ListSource([Either(left=StackTraceError(f"row {i}", "x" * 700)) for i in range(2_000)])
        workflow = Workflow(source, [ListSink()])
        with pytest.raises(OutputError, match="No space left on device"):
            workflow.execute(failures=mount / "failures.jsonl")
        lines = (mount / "failures.jsonl").read_bytes().split(b"\n")
        assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])  # no torn last line
        assert workflow.stopped and workflow.exit_code() == 1
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_name_that_is_not_text_is_escaped_in_the_failures_file_and_the_source_goes_on(tmp_path: Path) -> None:
    name = b"bad\xff".decode("utf-8", "surrogateescape")  # what os.listdir gives for such a file name
    source = ListSource([Either(left=StackTraceError(name, "broken")), 1, 2])
    workflow = Workflow(source, [ListSink()])
    workflow.execute(failures=tmp_path / "failures.jsonl")
    assert workflow.source.status.records == 2
    entry = json.loads((tmp_path / "failures.jsonl").read_text(encoding="utf-8"))  # the file is valid UTF-8...
    assert entry["name"] == name  # ...and gives the name back as it was


def test_a_report_on_a_strict_utf8_stdout_escapes_what_it_cannot_encode(tmp_path: Path) -> None:
    (tmp_path / "oddnames.py").write_text(
        "import minigest\n"
        "class Odd(minigest.Source):\n"
        "    def _iter(self):\n"
        "        yield minigest.Either(left=minigest.StackTraceError(b'bad\\xff'.decode('utf-8', 'surrogateescape'),"
        " 'broken'))\n"
    )
    path = write_config(tmp_path, source={"type": "oddnames.Odd"}, processors=None)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "PYTHONIOENCODING": "utf-8:strict"}
    done = subprocess.run([sys.executable, "-m", "minigest", "run", str(path), "--status-file",
                           str(tmp_path / "s.json")], env=env, capture_output=True, text=True, errors="replace")
    assert "Traceback" not in done.stderr and "bad\\udcff" in done.stdout
    assert json.loads((tmp_path / "s.json").read_text())["steps"][0]["failure_count"] == 1


def test_a_closed_stdout_pipe_stops_the_run_at_once(tmp_path: Path) -> None:
    path = write_config(tmp_path, source={"type": "test_minigest.NumbersSource", "options": {"count": 200_000}},
                        processors=None, sink={"type": "minigest.JsonLinesSink"})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "minigest", "run", str(path)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # what `| head -1` does
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1
    assert "stopped: WorkflowFatalError: stdout was closed (broken pipe)" in err
    assert len(err) < 5_000  # one stop, not a failure per record


def test_ctrl_c_at_any_moment_of_main_is_exit_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(argv: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(minigest, "_main", interrupted)
    assert minigest.main(["run", "x.json"]) == 130
    assert capsys.readouterr().err == "minigest: interrupted\n"


def test_a_status_file_that_cannot_be_written_exits_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(self: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(minigest.AtomicWriter, "commit", full)
    code = minigest.main(["run", str(write_config(tmp_path)), "--status-file", str(tmp_path / "s.json")])
    assert code == 3


def test_a_status_file_that_fails_while_written_leaves_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    config = write_config(tmp_path)
    monkeypatch.setattr(json, "dump", full)  # the disk fills while the status is written, before the commit
    assert minigest.main(["run", str(config), "--status-file", str(tmp_path / "s.json")]) == 3
    assert sorted(path.name for path in tmp_path.iterdir()) == ["workflow.json"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe")
def test_a_special_file_is_never_replaced_by_an_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pipe = tmp_path / "pipe"  # stands for /dev/null or /dev/full, which a run as root would otherwise rename over
    os.mkfifo(pipe)
    assert minigest.main(["run", str(write_config(tmp_path)), "--status-file", str(pipe)]) == 2
    assert "not a regular file" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="not a regular file"):
        JsonLinesSink(pipe)
    with pytest.raises(OSError, match="not a regular file"):
        minigest.AtomicWriter(pipe)
    assert pipe.is_fifo()


def test_main_runs_off_the_main_thread(tmp_path: Path) -> None:
    import threading

    config, codes = write_config(tmp_path), []
    worker = threading.Thread(target=lambda: codes.append(minigest.main(["check", str(config)])))
    worker.start()
    worker.join()
    assert codes == [0]  # SIGTERM is left to the main thread, which alone may handle signals


def test_hostile_failure_names_are_capped() -> None:
    source = ListSource([Either(left=StackTraceError("n" * 1_000_000, "bad"))])
    workflow = run(source, [])
    kept = workflow.source.status.failures[0].name
    assert len(kept) < 400 and kept.startswith("nnn")


# --- What a review of the redesign found, each kept fixed ---------------------------------------------


def test_keep_partial_after_the_commit_does_not_empty_what_was_committed(tmp_path: Path) -> None:
    class InterruptedLoad(BulkSink):
        def run(self) -> None:
            raise KeyboardInterrupt

    target = tmp_path / "out.jsonl"
    stage_like = JsonLinesSink(target)
    workflow = Workflow(ListSource([1, 2]), [stage_like])
    workflow.execute()
    assert target.read_text() == "1\n2\n"

    from connectors.outputs import FileStage

    stage = FileStage(str(tmp_path / "staging.jsonl"))
    workflow = Workflow(ListSource([]), [stage], InterruptedLoad())
    with pytest.raises(KeyboardInterrupt):
        workflow.execute(keep_partial=True)
    assert (tmp_path / "staging.jsonl").exists()
    assert workflow.status_dict()["outputs_left_as_they_were"] == []  # the stage did commit
    assert workflow.status_dict()["steps"][2]["state"] == "not run"  # an interrupted bulk sink did not run
    assert workflow.stopped == "interrupted (Ctrl-C)"


def test_the_same_exception_raised_for_every_record_counts_every_record() -> None:
    shared = ValueError("always this one")

    class Raiser(Processor):
        def _run(self, record: Any) -> Either[Any]:
            raise shared

    step = Raiser()
    run(ListSource([1, 2, 3, 4]), [step])
    assert step.status.failure_count == 4


def test_a_fatal_error_in_close_still_times_the_run_and_tells_the_observers(tmp_path: Path) -> None:
    class FatalClose(ListSink):
        def close(self) -> None:
            raise WorkflowFatalError("the connection pool is gone")

    workflow = Workflow(ListSource([1]), [FatalClose()])
    with pytest.raises(WorkflowFatalError, match="pool is gone"):
        workflow.execute(failures=tmp_path / "f.jsonl")
    assert workflow.stopped and "pool is gone" in workflow.stopped
    assert workflow.elapsed > 0
    assert json.loads((tmp_path / "f.jsonl").read_text())["step"] == "FatalClose"  # the file was closed whole


def test_bad_run_options_are_refused_before_anything_runs(tmp_path: Path) -> None:
    sink = CountingSink()
    with pytest.raises(ValueError, match="limit must be a whole number"):
        Workflow(ListSource([1]), [sink]).execute(limit=-1)
    workflow = Workflow(ListSource([1]), [CountingSink()])
    with pytest.raises(OutputError, match="--failures"):
        workflow.execute(failures=tmp_path / "missing" / "f.jsonl")
    assert workflow.steps[0].closed == 1 and workflow.stopped  # type: ignore[attr-defined]


def test_a_broken_observer_stops_the_run_and_is_not_blamed_on_a_step() -> None:
    class Broken(minigest.Observer):
        def failed(self, step: Step, error: StackTraceError, record: Any) -> None:
            raise RuntimeError("observer bug")

    workflow = Workflow(ListSource([Either(left=StackTraceError("a", "b")), 1]), [ListSink()])
    with pytest.raises(OutputError, match=r"Broken.failed\(\) raised RuntimeError: observer bug"):
        workflow.execute(observers=[Broken()])
    assert workflow.source.status.failure_count == 1  # only the left itself
    assert all(step.observers == () for step in workflow.all_steps())  # nothing left attached


def test_the_source_cleans_up_before_it_is_closed_also_on_a_fatal_error() -> None:
    source = Tidy()
    with pytest.raises(WorkflowFatalError):
        Workflow(source, [FatalAt(3)]).execute()
    assert source.events == ["iterator closed", "close"]  # no commit after a fatal error


def test_the_bulk_sink_is_timed_on_its_own_step(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    monkeypatch.setattr(minigest.time, "perf_counter", lambda: clock[0])

    class SlowLoad(Loader):
        def run(self) -> None:
            clock[0] += 7.0

    loader = SlowLoad()
    workflow = Workflow(ListSource([1]), [ListStage()], loader)
    workflow.execute()
    assert loader.status.seconds == pytest.approx(7.0)
    assert workflow.source.status.seconds == pytest.approx(0.0)


def test_a_step_that_skips_super_init_keeps_its_own_name() -> None:
    class NoSuper(ListSink):
        def __init__(self) -> None:
            self.name = "custom"
            self.records = []

    step = NoSuper()
    Workflow(ListSource([1]), [step]).execute()
    assert step.name == "custom" and step.status.records == 1


def test_option_hints_beyond_the_simple_ones() -> None:
    class Pairs(Source):
        def __init__(self, pair: tuple[int, str] = (0, ""), paths: list[Path] | None = None) -> None:
            super().__init__()
            self.pair, self.paths = pair, paths

        def _iter(self) -> Iterator[Either[Any]]:
            return iter(())

    assert Pairs.create({"pair": [2, "b"]}).pair == [2, "b"]
    with pytest.raises(InvalidSourceException, match="option 'pair' must be tuple"):
        Pairs.create({"pair": [2, 3]})


def test_a_yaml_merge_key_may_be_overridden(tmp_path: Path) -> None:
    (tmp_path / "merge.yaml").write_text(
        "defaults: &defaults {type: test_minigest.NumbersSource, options: {count: 1}}\n"
        "source:\n  <<: *defaults\n  options: {count: 3}\n"
    )
    config = minigest.load_config(tmp_path / "merge.yaml")
    assert config["source"] == {"type": "test_minigest.NumbersSource", "options": {"count": 3}}


def test_a_json_repeat_is_located_on_its_own_line_past_nested_keys(tmp_path: Path) -> None:
    (tmp_path / "dup.json").write_text(
        '{"source": {\n  "type": "minigest.ListSource",\n  "options": {\n    "type": 1\n  },\n  "type": "x"\n}}'
    )
    with pytest.raises(ConfigError, match=r"dup.json:6: the key 'source.type' is given twice"):
        minigest.load_config(tmp_path / "dup.json")


def test_the_status_file_says_the_exit_code_the_process_gave(tmp_path: Path) -> None:
    status_file = tmp_path / "s.json"

    class Interrupting(ListSource):
        def _iter(self) -> Iterator[Any]:
            yield Either(right=1)
            raise KeyboardInterrupt

    globals()["InterruptingSource"] = Interrupting
    path = write_config(tmp_path, source={"type": "test_minigest.InterruptingSource"})
    assert minigest.main(["run", str(path), "--status-file", str(status_file)]) == 130
    assert json.loads(status_file.read_text())["exit_code"] == 130


# --- The report on a projector and in a log -----------------------------------------------------------


def test_report_tables_fit_the_terminal_width_and_wrap_long_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    long_message = "a long explanation " * 30
    workflow = run(ListSource([Either(left=StackTraceError("row 1", long_message))]), [ListSink()])
    for columns in ("80", "100"):
        monkeypatch.setenv("COLUMNS", columns)
        out = io.StringIO()
        workflow.print_status(out)
        table_lines = [line for line in out.getvalue().splitlines() if line.startswith(("|", "+"))]
        assert max(len(line) for line in table_lines) <= int(columns)
        assert "a long explanation a long" in out.getvalue()  # wrapped, not cut
    monkeypatch.delenv("COLUMNS")
    out = io.StringIO()  # not a terminal: 100 columns
    workflow.print_status(out)
    assert max(len(line) for line in out.getvalue().splitlines() if line.startswith(("|", "+"))) <= 100


def test_the_stack_trace_column_shows_where_the_users_code_failed() -> None:
    class ParseJson(Processor):
        def _run(self, record: Any) -> Either[Any]:
            return Either(right=json.loads(record))  # fails inside the standard library

    workflow = run(ListSource(["{bad"]), [ParseJson(), ListSink()])
    out = io.StringIO()
    workflow.print_status(out)
    cell = out.getvalue().split("Stack Trace", 1)[1]
    line = next(number for number, text in enumerate(Path(__file__).read_text().splitlines(), 1)
                if "return Either(right=json.loads(record))  # fails inside" in text)
    assert f"test_minigest.py:{line} in _run" in cell  # the innermost frame that is neither minigest's nor json's
    assert "JSONDecodeError" in cell and "json/decoder.py" not in cell


def test_the_stack_trace_column_shows_code_run_by_exec() -> None:
    namespace: dict[str, Any] = {"Processor": Processor}
    exec("class Exec(Processor):\n    def _run(self, record):\n        raise ValueError('no')\n", namespace)
    workflow = run(ListSource([1]), [namespace["Exec"]()])
    out = io.StringIO()
    workflow.print_status(out)
    assert "<string>:3 in _run" in out.getvalue()


def test_the_stack_trace_column_looks_past_frozen_standard_library_frames() -> None:
    trace = ('Traceback:\n  File "/home/me/job.py", line 7, in load\n    x()\n'
             '  File "<frozen os>", line 680, in __getitem__\nKeyError')
    workflow = run(ListSource([Either(left=StackTraceError("row", "bad", trace))]), [])
    out = io.StringIO()
    workflow.print_status(out)
    assert "job.py:7 in load" in out.getvalue() and "<frozen os>" not in out.getvalue()


def test_the_report_says_when_a_run_was_limited_or_dry() -> None:
    limited = Workflow(ListSource([1, 2, 3]), [ListSink()])
    limited.execute(limit=2)
    dry = Workflow(ListSource([1]), [ListSink()])
    dry.execute(dry_run=True)
    for workflow, note in ((limited, "limited to 2 records"), (dry, "dry run: nothing written")):
        out = io.StringIO()
        workflow.print_status(out)
        assert note in out.getvalue().splitlines()[-1]
    assert (limited.status_dict()["limit"], dry.status_dict()["dry_run"]) == (2, True)
    assert dry.status_dict()["steps"][1]["state"] == "skipped"


def test_a_coloured_report_on_a_terminal_keeps_its_table_aligned(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "120")
    out = Terminal()
    run(ListSource([1, Either(left=StackTraceError("x", "bad"))]), [ListSink()]).print_status(out)
    steps_table = out.getvalue().split("\n\n", 1)[0].splitlines()
    assert "\x1b[32m" in out.getvalue()  # coloured...
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in steps_table]
    assert len({len(line) for line in plain}) == 1 and len(plain) == 6  # ...one line per row, all aligned
