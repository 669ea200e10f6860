"""minigest: OpenMetadata's ingestion pattern in one small file.

A *source* yields ``Either`` results; each right travels through the
*processors* into a *sink* (or a *stage*, whose output a *bulk sink* loads
once the source is done). A left, an exception or a filtered record stops
that one record only; every step counts what happened to it in its
``Status`` and the workflow ends with a report you can trust. The vocabulary
is OpenMetadata's (``Either``, ``StackTraceError``, ``Source``, ``Processor``,
``Sink``, ``Stage``, ``BulkSink``, ``Workflow``, ``TopologyNode``); no server
is needed. Dependencies: the standard library and ``attrs``.

Example::

    from minigest import Either, ListSink, ListSource, Processor, Workflow

    class Double(Processor):
        def _run(self, record):
            if record < 0:
                return None                      # filtered
            return Either(right=record * 2)

    sink = ListSink()
    workflow = Workflow(ListSource([1, 2, -3, 4]), [Double(), sink])
    workflow.execute()
    workflow.print_status()
    assert sink.records == [2, 4, 8]

Command line: ``minigest run CONFIG`` and ``minigest check CONFIG``.
"""

from __future__ import annotations

import abc
import contextlib
import importlib
import inspect
import itertools
import os
import re
import reprlib
import sys
import tempfile
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, ClassVar, Generic, TypeVar

import attrs

__version__ = "0.1.0"
__all__ = [
    "AtomicWriter", "BulkSink", "Collected", "ConfigError", "Either", "InvalidSourceException", "JsonLinesSink",
    "ListSink", "ListSource", "NodeStage", "Processor", "ServiceSpec", "ServiceTopology", "Sink",
    "Source", "Stage", "StackTraceError", "Status", "Step", "TopologyContext", "TopologyNode",
    "TopologyRunnerMixin", "Workflow", "WorkflowExecutionError", "WorkflowFatalError",
    "collect", "fqn_join", "import_class", "load_config", "main", "render_topology",
]

T = TypeVar("T")
StepT = TypeVar("StepT", bound="Step")

MAX_ERROR_CHARS = 2_000  # longest error text kept in a Status
MAX_TRACE_CHARS = 8_000  # longest stack trace kept (its end, where the cause is)


# --- Errors -----------------------------------------------------------------


class MinigestError(Exception):
    """Base class of every error minigest raises on purpose."""


class ConfigError(MinigestError, ValueError):
    """A config, option or step definition is wrong; the message says which and where."""


class InvalidSourceException(ConfigError):
    """A source's option is missing or bad (in ``create()``), or its path is missing (``prepare()``)."""


class WorkflowExecutionError(MinigestError):
    """A step's success fell below the workflow's threshold (``raise_from_status()``)."""


class WorkflowFatalError(MinigestError):
    """Raised by any step to stop the whole run at once; it propagates out of ``execute()``."""


# --- Results ----------------------------------------------------------------


@attrs.frozen
class StackTraceError:
    """What went wrong with one entity: its name, the error and (optionally) the stack trace."""

    name: str
    error: str
    stack_trace: str | None = None


@attrs.frozen
class Either(Generic[T]):
    """A step's result: ``left`` holds the error, ``right`` the value; exactly one is set."""

    left: StackTraceError | None = None
    right: T | None = None

    def __attrs_post_init__(self) -> None:
        if (self.left is None) == (self.right is None):
            raise ValueError("Either needs exactly one of left and right")


def short(value: Any, width: int = 80) -> str:
    """A one-line, bounded description of a value, for reports and traces."""
    name = getattr(value, "name", None)
    if isinstance(name, str):
        return f"{type(value).__name__}({name!r})"
    return _REPR.repr(value)[:width]


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60


def error_from_exception(name: str, exc: BaseException, context: str = "") -> StackTraceError:
    """A StackTraceError for an exception: its message, and the frames that led to it."""
    import traceback  # imported when first needed: keeps `import minigest` cheap

    prefix = f"{context}: " if context else ""
    message = _clip(f"{type(exc).__name__}: {exc}", MAX_ERROR_CHARS)
    frames = "".join(traceback.format_tb(exc.__traceback__))  # the message is not repeated: it may be huge
    return StackTraceError(name=name, error=prefix + message, stack_trace=f"Traceback:\n{frames}{type(exc).__name__}")


def _clip(text: str, limit: int, keep_end: bool = False) -> str:
    if len(text) <= limit:
        return text
    cut = f"... [{len(text) - limit} characters cut] ..."
    return cut + text[-limit:] if keep_end else text[:limit] + cut


# --- Status -----------------------------------------------------------------


@attrs.define(eq=False)
class Status:
    """What one step did: counts that stay small, and the details of the first failures."""

    records: int = 0
    filtered: int = 0
    warnings: int = 0
    failures: list[StackTraceError] = attrs.field(factory=list)
    failure_count: int = 0
    max_failures_kept: int = 1000
    filtered_details: list[tuple[str, str]] = attrs.field(factory=list)
    warning_details: list[tuple[str, str]] = attrs.field(factory=list)
    seconds: float = 0.0
    on_failure: Callable[[StackTraceError, Any], None] | None = attrs.field(default=None, repr=False)

    def scanned(self, record: Any = None) -> None:
        """Count one record that went through (OpenMetadata's name for it)."""
        self.records += 1

    def filter(self, name: str, reason: str) -> None:
        """Count one record that was deliberately dropped, keeping the first reasons."""
        self.filtered += 1
        if len(self.filtered_details) < self.max_failures_kept:
            self.filtered_details.append((name, reason))

    def warning(self, name: str, reason: str) -> None:
        """Count a warning about ``name``; the record still went on."""
        self.warnings += 1
        if len(self.warning_details) < self.max_failures_kept:
            self.warning_details.append((name, _clip(reason, MAX_ERROR_CHARS)))

    def failed(self, error: StackTraceError, record: Any = None) -> None:
        """Count a failure; keep its (clipped) details while fewer than ``max_failures_kept``."""
        self.failure_count += 1
        if len(error.error) > MAX_ERROR_CHARS or len(error.stack_trace or "") > MAX_TRACE_CHARS:
            error = attrs.evolve(
                error,
                error=_clip(error.error, MAX_ERROR_CHARS),
                stack_trace=error.stack_trace and _clip(error.stack_trace, MAX_TRACE_CHARS, keep_end=True),
            )
        if len(self.failures) < self.max_failures_kept:
            self.failures.append(error)
        if self.on_failure is not None:
            self.on_failure(error, record)

    def calculate_success(self) -> float:
        """Percentage of records that did not fail; 100.0 when nothing happened."""
        total = self.records + self.failure_count
        return 100.0 if total == 0 else 100.0 * self.records / total

    def as_dict(self) -> dict[str, Any]:
        """The status as JSON-serialisable data."""
        return {
            "records": self.records,
            "filtered": self.filtered,
            "warnings": self.warnings,
            "failure_count": self.failure_count,
            "success": round(self.calculate_success(), 2),
            "seconds": round(self.seconds, 6),
            "failures": [attrs.asdict(failure) for failure in self.failures],
            "filtered_details": [list(item) for item in self.filtered_details],
            "warning_details": [list(item) for item in self.warning_details],
        }


# --- Steps ------------------------------------------------------------------


class Step(abc.ABC):
    """What every step has: a ``name``, a ``status`` and ``close()``."""

    name: str
    status: Status

    def __init__(self) -> None:
        self.name = type(self).__name__
        self.status = Status()

    @classmethod
    def create(cls: type[StepT], config: dict[str, Any]) -> StepT:
        """Build the step from its config options, passed to the constructor as keywords."""
        error = InvalidSourceException if issubclass(cls, Source) else ConfigError
        if not isinstance(config, dict):
            raise error(f"{cls.__name__}: options must be a mapping, got {type(config).__name__}")
        try:
            inspect.signature(cls).bind(**config)
        except TypeError as exc:
            raise error(f"{cls.__name__}: bad options: {exc}") from None
        try:
            return cls(**config)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise error(f"{cls.__name__}: {exc}") from exc

    def close(self) -> None:
        """Release what the step holds (files, connections). Called exactly once."""


class Source(Step):
    """Produces records: ``_iter()`` yields ``Either`` results, ``run()`` yields the rights."""

    def prepare(self) -> None:
        """Get ready to read (open files, check paths). Called once before ``run()``."""

    def test_connection(self) -> None:
        """Check that the source can be reached; raise to say it cannot."""

    @abc.abstractmethod
    def _iter(self) -> Iterable[Any]:
        """Yield one ``Either`` per record or failure."""

    def run(self) -> Generator[Any, None, None]:
        """Yield the rights of ``_iter()``; every left and error goes to ``status``, never further."""
        status = self.status
        try:
            for item in self._iter():
                if isinstance(item, Either):
                    if item.left is None:
                        status.records += 1
                        yield item.right
                    else:
                        status.failed(item.left)
                else:
                    problem = f"{self.name} yielded {short(item)}, not an Either"
                    status.failed(StackTraceError("Not an Either", problem), item)
        except WorkflowFatalError as exc:
            status.failed(error_from_exception(self.name, exc, "stopped the run"))
            raise
        except Exception as exc:
            status.failed(error_from_exception(self.name, exc, "the source stopped early"))


class Processor(Step):
    """Transforms one record: ``_run(record)`` returns an ``Either``, or None to filter it."""

    @abc.abstractmethod
    def _run(self, record: Any) -> Either[Any] | None:
        """Process one record."""


class Sink(Processor):
    """The last step: writes one record; returns an ``Either`` like a processor."""


class Stage(Step):
    """Writes records somewhere a ``BulkSink`` will load them from; records go no further."""

    @abc.abstractmethod
    def _run(self, record: Any) -> Iterable[Either[Any]]:
        """Stage one record; yield a right per item written and a left per failure."""


class BulkSink(Step):
    """Loads what the stage wrote, once, after the source is exhausted."""

    @abc.abstractmethod
    def run(self) -> None:
        """Do the load, counting in ``self.status``."""


@attrs.define
class ServiceSpec:
    """What a connector module offers, by class or dotted path (OpenMetadata's service_spec)."""

    metadata_source_class: type[Source] | str
    lineage_source_class: type[Source] | str | None = None
    usage_source_class: type[Source] | str | None = None
    profiler_class: type | str | None = None
    sampler_class: type | str | None = None


# --- Built-in steps ---------------------------------------------------------


class ListSource(Source):
    """A source made of literal values, for scripts and tests; an ``Either`` passes as is."""

    def __init__(self, values: Iterable[Any] = ()) -> None:
        super().__init__()
        self.values = values

    def _iter(self) -> Iterator[Any]:
        for value in self.values:
            yield value if isinstance(value, Either) else Either(right=value)


class ListSink(Sink):
    """Keeps every record it receives in ``records``."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[Any] = []

    def _run(self, record: Any) -> Either[Any]:
        self.records.append(record)
        return Either(right=record)


def to_jsonable(record: Any) -> Any:
    """A record as JSON data: its ``to_dict()``, ``attrs.asdict`` for attrs classes, else as is."""
    to_dict = getattr(record, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if attrs.has(type(record)):
        return attrs.asdict(record)
    return record


class AtomicWriter:
    """A text file written under a temporary name and renamed into place on ``commit()``.

    A reader sees the old file or the whole new one, never a half-written one.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        handle, self.temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.temporary, 0o666 & ~umask)  # the mode a plain open() would give, not mkstemp's 0600
        self.file = os.fdopen(handle, "w", encoding="utf-8", newline="\n")

    def commit(self) -> None:
        """Flush to disk, and move the finished file to its real name (or leave no trace and raise)."""
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.temporary, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Forget the file; the real path is left as it was."""
        self.file.close()
        Path(self.temporary).unlink(missing_ok=True)


class JsonLinesSink(Sink):
    """Writes each record as one JSON line to ``path`` (atomically), or to stdout when no path."""

    def __init__(self, path: str | None = None) -> None:
        super().__init__()
        import json

        if path not in (None, "-") and not Path(str(path)).parent.is_dir():
            raise ConfigError(f"JsonLinesSink: option 'path': the folder of {path} does not exist")
        self.path = None if path == "-" else path
        self._writer: AtomicWriter | None = None
        self._dumps = json.dumps

    def _run(self, record: Any) -> Either[Any]:
        line = self._dumps(to_jsonable(record), ensure_ascii=False, allow_nan=False) + "\n"
        if self.path is None:
            sys.stdout.write(line)
        else:
            if self._writer is None:  # opened on first use, so building the step writes nothing
                self._writer = AtomicWriter(self.path)
            self._writer.file.write(line)
        return Either(right=record)

    def close(self) -> None:
        if self.path is None:
            sys.stdout.flush()
            return
        if self._writer is None:
            self._writer = AtomicWriter(self.path)
        self._writer.commit()


# --- Workflow ---------------------------------------------------------------

# Timing every call would cost more than a simple step itself, so after the first records only one
# record in SAMPLE_EVERY is timed, and each step's total is scaled up by the share sampled.
SAMPLE_EVERY = 64
TIME_ALL_FIRST = 1_000


class Workflow:
    """Runs a source through processors into a sink or stage, then the bulk sink; reports at the end."""

    def __init__(
        self,
        source: Source,
        steps: Sequence[Step] = (),
        bulk_sink: BulkSink | None = None,
        *,
        success_threshold: float = 90.0,
        max_failures_kept: int = 1000,
    ) -> None:
        if not isinstance(source, Source):
            raise ValueError(f"the source must be a Source, got {short(source)}")
        steps = list(steps)
        for position, step in enumerate(steps):
            last = position == len(steps) - 1
            if isinstance(step, (Sink, Stage)) and not last:
                raise ValueError(f"{type(step).__name__} must be the last step, found at position {position + 1}")
            if not isinstance(step, (Processor, Stage)):
                raise ValueError(f"step {position + 1} must be a Processor, Sink or Stage, got {short(step)}")
        if bulk_sink is not None and not isinstance(bulk_sink, BulkSink):
            raise ValueError(f"bulk_sink must be a BulkSink, got {short(bulk_sink)}")
        if isinstance(success_threshold, bool) or not isinstance(success_threshold, (int, float)):
            raise ValueError(f"success_threshold must be a number from 0 to 100, got {success_threshold!r}")
        if not 0 <= success_threshold <= 100:
            raise ValueError(f"success_threshold must be a number from 0 to 100, got {success_threshold}")
        if isinstance(max_failures_kept, bool) or not isinstance(max_failures_kept, int) or max_failures_kept < 0:
            raise ValueError(f"max_failures_kept must be a whole number, 0 or more, got {max_failures_kept!r}")
        self.source = source
        self.steps = steps
        self.bulk_sink = bulk_sink
        self.success_threshold = float(success_threshold)
        self.elapsed = 0.0
        self.interrupted = False
        self.stopped: str | None = None  # why the last run ended early, if it did
        self.skipped: list[Step] = []  # steps a dry run left out
        self._collected: list[Any] | None = None
        for step in self.all_steps():
            if not hasattr(step, "status"):  # its __init__ skipped super().__init__(): give it a name and status
                Step.__init__(step)
            step.status.max_failures_kept = max_failures_kept

    def all_steps(self) -> list[Step]:
        """The source, the steps and the bulk sink, in run order."""
        return [self.source, *self.steps, *([self.bulk_sink] if self.bulk_sink else [])]

    def active_steps(self) -> list[Step]:
        """The steps the last run used: all of them, less what a dry run left out."""
        return [step for step in self.all_steps() if step not in self.skipped]

    # Running

    def execute(
        self,
        *,
        limit: int | None = None,
        dry_run: bool = False,
        trace: IO[str] | None = None,
        failures: IO[str] | None = None,
        progress: IO[str] | None = None,
    ) -> None:
        """Run everything once and close every step exactly once, also when something raised.

        ``limit`` stops after that many source records; ``dry_run`` leaves out the sink, stage and bulk
        sink (they are neither run nor closed, so they write nothing); ``trace`` follows each record;
        ``failures`` receives every failed input as JSON lines; ``progress`` (a terminal) shows a status
        line during long runs.
        """
        start = time.perf_counter()
        self.skipped = [step for step in self.all_steps() if dry_run and isinstance(step, (Sink, Stage, BulkSink))]
        self.interrupted, self.stopped = False, None
        closed = {id(step) for step in self.skipped}
        steps = [step for step in self.steps if step not in self.skipped]
        if failures is not None:
            self._send_failures_to(failures)
        source_records: Generator[Any, None, None] = self.source.run()
        try:
            if self._prepare():
                records: Iterable[Any] = source_records
                if limit is not None:
                    records = itertools.islice(records, limit)
                if progress is not None:
                    records = self._with_progress(records, progress, start)
                if trace is not None:
                    records = self._traced_source(records, trace)
                self._pump(records, steps, trace)
            source_records.close()  # a source cut short by --limit cleans up before it is closed
            self._close_all([self.source, *self.steps], closed)  # the stage's output is complete...
            if self.bulk_sink is not None and not dry_run:
                self._run_bulk_sink(self.bulk_sink)  # ...before the bulk sink loads it
        except KeyboardInterrupt:
            self.interrupted, self.stopped = True, "interrupted (Ctrl-C)"
            raise
        except (WorkflowFatalError, ConfigError) as exc:
            self.stopped = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            source_records.close()
            self._close_all(self.all_steps(), closed)
            if failures is not None or trace is not None:
                for step in self.all_steps():
                    step.status.on_failure = None  # the streams they wrote to are the caller's
            self.elapsed = time.perf_counter() - start
            self.source.status.seconds = max(
                0.0, self.elapsed - sum(step.status.seconds for step in self.all_steps()[1:])
            )

    def _prepare(self) -> bool:
        try:
            self.source.prepare()
        except (ConfigError, WorkflowFatalError) as exc:
            self.source.status.failed(StackTraceError(self.source.name, f"prepare() failed: {exc}"))
            raise
        except Exception as exc:
            self.source.status.failed(error_from_exception(self.source.name, exc, "prepare() failed"))
            return False
        return True

    def _pump(self, records: Iterable[Any], steps: list[Step], trace: IO[str] | None) -> None:
        """The per-record loop; a record stops at its first left, None or exception."""
        processors = [step for step in steps if isinstance(step, Processor)]
        stage = next((step for step in steps if isinstance(step, Stage)), None)
        fast: list[tuple[Callable[[Any], Any], Status]] = [(step._run, step.status) for step in processors]
        if trace is not None:
            fast = [(self._traced(step._run, step.name, trace), step.status) for step in processors]
        timed = [(_timed(run, status), status) for run, status in fast]
        stage_feed = self._stage_feeder(stage, trace) if stage is not None else None
        if self._collected is not None:  # the test kit keeps what comes out of the last step
            keep, feed = self._collected.append, stage_feed

            def keep_and_feed(record: Any) -> None:
                keep(record)
                if feed is not None:
                    feed(record)

            stage_feed = keep_and_feed
        timed_stage_feed = _timed(stage_feed, stage.status) if stage_feed and stage else stage_feed
        status = self.source.status  # in the loop: the status of the step being run, for the except clauses
        result: Any = None
        count = 0
        for record in records:
            count += 1
            sampled = count <= TIME_ALL_FIRST or count % SAMPLE_EVERY == 0
            chain = timed if sampled else fast
            try:
                for run, status in chain:
                    result = run(record)
                    if result is None:
                        status.filtered += 1
                        break
                    if result.left is not None:
                        status.failed(result.left, record)
                        break
                    status.records += 1
                    record = result.right
                else:
                    if stage_feed is not None:
                        (timed_stage_feed if sampled else stage_feed)(record)  # type: ignore[misc]
            except WorkflowFatalError as exc:
                status.failed(error_from_exception(_entity_name(record), exc, "stopped the run"), record)
                raise
            except Exception as exc:
                status.failed(_step_error(record, exc, result), record)
                result = None
        timed_records = min(count, TIME_ALL_FIRST) + max(0, count // SAMPLE_EVERY - TIME_ALL_FIRST // SAMPLE_EVERY)
        for step in steps:  # every step saw the same share of sampled records: scale up by it
            step.status.seconds *= count / timed_records if timed_records else 1.0

    @staticmethod
    def _stage_feeder(stage: Stage, trace: IO[str] | None) -> Callable[[Any], None]:
        status = stage.status

        def feed(record: Any) -> None:
            try:
                for result in stage._run(record):
                    if not isinstance(result, Either):
                        raise TypeError(f"{stage.name}._run yielded {short(result)}, not an Either")
                    if result.left is None:
                        status.records += 1
                    else:
                        status.failed(result.left, record)
                    if trace is not None:
                        outcome = f"failed, {result.left.error}" if result.left else f"staged {short(result.right)}"
                        trace.write(f"    {stage.name}: {outcome}\n")
            except WorkflowFatalError as exc:
                status.failed(error_from_exception(_entity_name(record), exc, "stopped the run"), record)
                raise
            except Exception as exc:
                if trace is not None:
                    trace.write(f"    {stage.name}: failed, {type(exc).__name__}: {exc}\n")
                status.failed(error_from_exception(_entity_name(record), exc), record)

        return feed

    def _run_bulk_sink(self, bulk_sink: BulkSink) -> None:
        started = time.perf_counter()
        try:
            bulk_sink.run()
        except WorkflowFatalError as exc:
            bulk_sink.status.failed(error_from_exception(bulk_sink.name, exc, "stopped the run"))
            raise
        except Exception as exc:
            bulk_sink.status.failed(error_from_exception(bulk_sink.name, exc, "run() failed"))
        finally:
            bulk_sink.status.seconds = time.perf_counter() - started

    @staticmethod
    def _close_all(steps: list[Step], closed: set[int]) -> None:
        """Close each step not closed yet; a failing close() is that step's failure, not the end."""
        pending: BaseException | None = None  # a fatal error or Ctrl-C: raised once all are closed
        for step in steps:
            if id(step) in closed:
                continue
            closed.add(id(step))
            try:
                step.close()
            except (WorkflowFatalError, KeyboardInterrupt) as exc:
                pending = pending or exc
            except Exception as exc:
                step.status.failed(error_from_exception(step.name, exc, "close() failed"))
        if pending is not None:
            raise pending

    # Tracing, dead letters and progress: set up only when asked for, so they cost nothing otherwise.

    def _traced_source(self, records: Iterable[Any], out: IO[str]) -> Iterator[Any]:
        status, passed_on = self.source.status, self.source.status.on_failure

        def show(error: StackTraceError, record: Any) -> None:
            out.write(f"#- {self.source.name}: failed, {error.name}: {error.error}\n")
            if passed_on is not None:
                passed_on(error, record)

        status.on_failure = show
        for number, record in enumerate(records, 1):
            out.write(f"#{number} {self.source.name}: {short(record)}\n")
            yield record

    @staticmethod
    def _traced(run: Callable[[Any], Any], name: str, out: IO[str]) -> Callable[[Any], Any]:
        def traced(record: Any) -> Any:
            try:
                result = run(record)
            except Exception as exc:
                out.write(f"    {name}: failed, {type(exc).__name__}: {exc}\n")
                raise
            if result is None:
                out.write(f"    {name}: filtered\n")
            elif not isinstance(result, Either):
                out.write(f"    {name}: failed, returned {short(result)}, not an Either or None\n")
            elif result.left is not None:
                out.write(f"    {name}: failed, {result.left.error}\n")
            else:
                out.write(f"    {name}: passed on {short(result.right)}\n")
            return result

        return traced

    def _send_failures_to(self, out: IO[str]) -> None:
        import json

        for step in self.all_steps():

            def write(error: StackTraceError, record: Any, step_name: str = step.name) -> None:
                entry = {"step": step_name, **attrs.asdict(error)}
                if record is not None:
                    entry["record"] = _jsonable_or_repr(record)
                out.write(json.dumps(entry, ensure_ascii=False) + "\n")
                out.flush()

            step.status.on_failure = write

    def _with_progress(self, records: Iterable[Any], out: IO[str], start: float) -> Iterator[Any]:
        shown = start
        for record in records:
            yield record
            now = time.perf_counter()
            if now - shown >= 0.5 and now - start >= 2.0:
                shown, seconds = now, now - start
                line = "  ".join(
                    f"{step.name} {step.status.records:,} ({step.status.records / seconds:,.0f}/s)"
                    for step in self.active_steps()
                )
                out.write(f"\r{line}\x1b[K")
                out.flush()
        if shown != start:
            out.write("\n")

    # Verdicts

    def calculate_success(self) -> float:
        """The mean success of the source, every step and the bulk sink (those the run used)."""
        steps = self.active_steps()
        return sum(step.status.calculate_success() for step in steps) / len(steps)

    def failing_steps(self) -> list[Step]:
        """Steps that have failures and a success strictly below the threshold."""
        return [
            step for step in self.active_steps()
            if step.status.failure_count and step.status.calculate_success() < self.success_threshold
        ]

    def raise_from_status(self) -> None:
        """Raise ``WorkflowExecutionError`` when a step with failures is below the threshold."""
        failing = self.failing_steps()
        if failing:
            names = ", ".join(f"{s.name} ({s.status.calculate_success():.1f}%)" for s in failing)
            raise WorkflowExecutionError(f"below the {self.success_threshold:g}% success threshold: {names}")

    def result_status(self) -> int:
        """0 when no step (source included) has a failure, else 1."""
        return 1 if any(step.status.failure_count for step in self.all_steps()) else 0

    # Report

    def status_dict(self) -> dict[str, Any]:
        """Everything ``print_status()`` shows, as JSON-serialisable data."""
        return {
            "success": round(self.calculate_success(), 2),
            "success_threshold": self.success_threshold,
            "below_threshold": [step.name for step in self.failing_steps()],
            "result_status": self.result_status(),
            "interrupted": self.interrupted,
            "stopped": self.stopped,
            "elapsed_seconds": round(self.elapsed, 6),
            "steps": [
                {"name": step.name, "kind": _kind(step), "skipped": step in self.skipped, **step.status.as_dict()}
                for step in self.all_steps()
            ],
        }

    def print_status(self, file: IO[str] | None = None, max_rows: int = 100) -> None:
        """Print the per-step summary, the failure table and the workflow's success and time."""
        out = file if file is not None else sys.stdout
        paint = _painter(out)
        rows = []
        for step in self.all_steps():
            s = step.status
            if step in self.skipped:
                rows.append([step.name, _kind(step), "-", "-", "-", "-", "skipped", "-"])
                continue
            ok = s.failure_count == 0 or s.calculate_success() >= self.success_threshold
            success = paint(f"{s.calculate_success():.1f}%", "32" if ok else "31")
            rows.append([step.name, _kind(step), str(s.records), str(s.filtered), str(s.warnings),
                         str(s.failure_count), success, f"{s.seconds:.3f}s"])
        out.write(_table(["Step", "Kind", "Records", "Filtered", "Warnings", "Failures", "Success", "Time"], rows))
        failures = [(step.name, failure) for step in self.all_steps() for failure in step.status.failures]
        total = sum(step.status.failure_count for step in self.all_steps())
        if failures:
            out.write("\nFailures\n")
            table = [[step, _wrap(f.name, 30), _wrap(f.error, 60), _last_lines(f.stack_trace, 3)]
                     for step, f in failures[:max_rows]]
            out.write(_table(["From", "Entity Name", "Message", "Stack Trace"], table, ruled=True))
            if total > min(len(failures), max_rows):
                out.write(f"... {total - min(len(failures), max_rows)} more failures not shown ({total} in all)\n")
        for title, kept in (("Warnings", "warning_details"), ("Filtered, with a reason", "filtered_details")):
            notes = [(step.name, n, r) for step in self.all_steps() for n, r in getattr(step.status, kept)]
            if notes:
                out.write(f"\n{title}\n")
                rows = [[step, _wrap(name, 30), _wrap(reason, 80)] for step, name, reason in notes[:max_rows]]
                out.write(_table(["From", "Entity Name", "Message"], rows))
        failing = self.failing_steps()
        if self.stopped:
            verdict = f"stopped: {self.stopped}"
        elif failing:
            below = ", ".join(f"{s.name} {s.status.calculate_success():.1f}%" for s in failing)
            verdict = f"below the {self.success_threshold:g}% threshold: {below}"
        else:
            verdict = f"ok: no step below the {self.success_threshold:g}% threshold"
        steps = len(self.active_steps())
        line = f"\nWorkflow success: {self.calculate_success():.2f}% (mean of {steps} steps); {verdict}"
        out.write(paint(line, "31" if self.stopped or failing else "32") + f"; {self.elapsed:.3f}s\n")

    # Config

    @classmethod
    def create(cls, config: dict[str, Any], *, origin: str = "config") -> Workflow:
        """Build a workflow from a config mapping (the shape is in the README); errors name the key."""
        return _build_workflow(config, origin)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Workflow:
        """Build a workflow from a JSON, TOML or YAML file."""
        return _build_workflow(load_config(path), str(path))


def _timed(run: Callable[[Any], T], status: Status) -> Callable[[Any], T]:
    perf_counter = time.perf_counter

    def timed(record: Any) -> T:
        start = perf_counter()
        try:
            return run(record)
        finally:
            status.seconds += perf_counter() - start

    return timed


def _step_error(record: Any, exc: Exception, result: Any) -> StackTraceError:
    """The failure for an exception in a step; a result that is not an Either is named as the cause."""
    if isinstance(exc, AttributeError) and result is not None and not isinstance(result, Either):
        return StackTraceError(_entity_name(record), f"_run returned {short(result)}, not an Either or None")
    return error_from_exception(_entity_name(record), exc)


def _entity_name(record: Any) -> str:
    name = getattr(record, "name", None)
    return name if isinstance(name, str) else short(record, 60)


def _jsonable_or_repr(record: Any) -> Any:
    import json

    try:
        data = to_jsonable(record)
        json.dumps(data)
        return data
    except Exception:
        return repr(record)[:MAX_ERROR_CHARS]


def _kind(step: Step) -> str:
    for kind in (Source, Sink, Processor, Stage, BulkSink):
        if isinstance(step, kind):
            return kind.__name__
    return type(step).__name__


def _painter(out: IO[str]) -> Callable[[str, str], str]:
    colour = hasattr(out, "isatty") and out.isatty() and "NO_COLOR" not in os.environ
    return (lambda text, code: f"\x1b[{code}m{text}\x1b[0m") if colour else (lambda text, code: text)


def _wrap(text: str, width: int) -> str:
    text = text if len(text) <= 400 else text[:400] + " ..."
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or "-"


def _last_lines(trace: str | None, count: int) -> str:
    if not trace:
        return "-"
    lines = [line.strip()[:70] for line in trace.strip().splitlines() if line.strip().strip("^~")]
    return "\n".join((["..."] if len(lines) > count else []) + lines[-count:])


def _table(headers: list[str], rows: list[list[str]], ruled: bool = False) -> str:
    """A plain-text grid; cells may hold several lines, and ``ruled`` draws a line under every row."""
    cells = [[cell.splitlines() or [""] for cell in row] for row in [headers, *rows]]
    widths = [max(_width(line) for row in cells for line in row[i]) for i in range(len(headers))]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+\n"
    out = [rule]
    for index, row in enumerate(cells):
        for depth in range(max(len(cell) for cell in row)):
            parts = []
            for cell, width in zip(row, widths):
                line = cell[depth] if depth < len(cell) else ""
                parts.append(" " + line + " " * (width - _width(line)) + " ")
            out.append("|" + "|".join(parts) + "|\n")
        if ruled or index == 0 or index == len(cells) - 1:
            out.append(rule)
    return "".join(out)


def _width(text: str) -> int:
    """Columns a text takes on a terminal: colour codes take none, wide (CJK) characters two."""
    import unicodedata

    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return len(text) + sum(unicodedata.east_asian_width(char) in "WF" for char in text if ord(char) > 0x1100)


# --- Topology ---------------------------------------------------------------


@attrs.frozen
class NodeStage:
    """One processor run on each element of a node; its rights may be kept in the context."""

    type_: Any
    processor: str
    context: str | None = None
    store_all_in_context: bool = False
    clear_context: bool = False
    nullable: bool = False
    consumer: list[str] | None = None


@attrs.frozen
class TopologyNode:
    """A level of the walk: the producer's elements, their stages, then the children."""

    producer: str
    stages: list[NodeStage]
    children: list[str] = attrs.field(factory=list)
    post_process: list[str] = attrs.field(factory=list)


class ServiceTopology:
    """Subclass it with class attributes holding ``TopologyNode``s; their names link the children."""

    @classmethod
    def nodes(cls) -> dict[str, TopologyNode]:
        """Every node by name, in definition order (base classes first)."""
        found: dict[str, TopologyNode] = {}
        for klass in reversed(cls.__mro__):
            found.update({key: value for key, value in vars(klass).items() if isinstance(value, TopologyNode)})
        return found

    @classmethod
    def roots(cls) -> list[str]:
        """The nodes that are no node's child."""
        nodes = cls.nodes()
        children = {child for node in nodes.values() for child in node.children}
        return [name for name in nodes if name not in children]


def fqn_join(*parts: str) -> str:
    """Join names into a fully qualified name; a part that holds a dot is double-quoted."""
    return ".".join(f'"{part}"' if "." in part and not part.startswith('"') else part for part in parts)


class TopologyContext:
    """The names the walk has produced so far, one key per stage context."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self.values: dict[str, Any] = {key: None for key in keys}

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["values"][key]
        except KeyError:
            raise AttributeError(f"the topology context has no key {key!r}") from None

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``."""
        return self.values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``."""
        self.values[key] = value

    def fqn_from_stage(self, stage: NodeStage, name: str) -> str:
        """The stage's consumer keys' values and ``name``, joined as a fully qualified name."""
        parts = []
        for key in stage.consumer or []:
            value = self.values.get(key)
            if value is None:
                raise ValueError(f"the context key {key!r} is empty: its stage produced nothing")
            parts.append(str(value))
        return fqn_join(*parts, name)


class _Plan:
    """A node with its methods looked up once, so the walk does no name lookups per element."""

    def __init__(self, name: str, node: TopologyNode, method: Callable[[str, str], Callable[..., Any]]) -> None:
        self.name = name
        self.producer: Callable[[], Iterable[Any]] = method("producer", node.producer)
        self.producer_name = node.producer
        self.stages = [(stage, method("processor", stage.processor)) for stage in node.stages]
        self.children = list(node.children)
        self.post_process = [(post, method("post_process", post)) for post in node.post_process]
        self.cleared = [stage.context for stage in node.stages if stage.clear_context and stage.context]
        self.collected = [stage.context for stage in node.stages if stage.store_all_in_context and stage.context]


class TopologyRunnerMixin:
    """Mix into a ``Source`` with a ``topology``: its ``_iter()`` walks the topology depth first."""

    topology: ClassVar[type[ServiceTopology] | ServiceTopology]
    status: Status
    name: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topology = getattr(self, "topology", None)
        if topology is None:
            raise InvalidSourceException(f"{type(self).__name__} has no topology")
        nodes = topology.nodes()
        self._plans = {name: self._plan(name, node, nodes) for name, node in nodes.items()}
        self._roots = topology.roots()
        if nodes and not self._roots:
            raise InvalidSourceException(f"{type(self).__name__}: the topology has no root (its children form a cycle)")
        keys = [stage.context for node in nodes.values() for stage in node.stages if stage.context]
        self.context = TopologyContext(keys)
        _check_acyclic(nodes, type(self).__name__)

    def _plan(self, name: str, node: TopologyNode, nodes: dict[str, TopologyNode]) -> _Plan:
        def method(role: str, method_name: str) -> Callable[..., Any]:
            found = getattr(self, method_name, None)
            if not callable(found):
                raise InvalidSourceException(
                    f"{type(self).__name__}: topology node {name!r} names {role} {method_name!r}, "
                    f"which is not a method of {type(self).__name__}"
                )
            return found  # type: ignore[no-any-return]

        for child in node.children:
            if child not in nodes:
                raise InvalidSourceException(
                    f"{type(self).__name__}: topology node {name!r} has child {child!r}, which is no node"
                )
        return _Plan(name, node, method)

    def _iter(self) -> Iterator[Either[Any]]:
        if "_plans" not in vars(self):
            raise InvalidSourceException(f"{type(self).__name__}.__init__ must call super().__init__()")
        for root in self._roots:
            yield from self._walk(self._plans[root])

    def _walk(self, plan: _Plan) -> Generator[Either[Any], None, None]:
        """Each element: its stages in order, then its children; at the end, the post processes."""
        values = self.context.values
        values.update((key, []) for key in plan.collected)  # collected anew under each parent element
        try:
            for element in plan.producer():
                complete = True  # no stage failed: the children have a parent
                for stage, processor in plan.stages:
                    key = stage.context
                    if stage.store_all_in_context:
                        key = None  # appended to by _keep_all; a new list for each parent element
                    elif key is not None:
                        values[key] = None  # no value leaks from the previous sibling
                    try:
                        for result in processor(element):
                            if type(result) is not Either:
                                if result is None and stage.nullable:
                                    continue
                                result = self._not_either(stage, element, result)
                            if result.left is not None:
                                complete = False
                            elif key is not None:
                                values[key] = getattr(result.right, "name", result.right)
                            elif stage.store_all_in_context and stage.context:
                                self._keep_all(stage, result.right)
                            yield result
                    except (WorkflowFatalError, GeneratorExit):
                        raise
                    except Exception as exc:
                        complete = False
                        where = f"{stage.processor}({short(element)})"
                        yield Either(left=error_from_exception(stage.processor, exc, where))
                if plan.cleared:
                    values.update(dict.fromkeys(plan.cleared))
                if not plan.children:
                    continue
                if complete:
                    for child in plan.children:
                        yield from self._walk(self._plans[child])
                else:
                    reason = f"children of {plan.name} {short(element)} skipped: a stage failed"
                    self.status.filter(short(element), reason)
        except (WorkflowFatalError, GeneratorExit):
            raise
        except Exception as exc:
            yield Either(left=error_from_exception(plan.producer_name, exc, f"producer of {plan.name}"))
        for post_name, post in plan.post_process:
            try:
                yield from post()
            except (WorkflowFatalError, GeneratorExit):
                raise
            except Exception as exc:
                yield Either(left=error_from_exception(post_name, exc, f"post_process of {plan.name}"))

    def _keep_all(self, stage: NodeStage, right: Any) -> None:
        """Append a right's name (or the right itself) to the stage's context list."""
        kept = self.context.values.get(str(stage.context))
        if not isinstance(kept, list):
            kept = self.context.values[str(stage.context)] = []
        kept.append(getattr(right, "name", right))

    @staticmethod
    def _not_either(stage: NodeStage, element: Any, result: Any) -> Either[Any]:
        if isinstance(result, Either):  # a subclass of Either is fine
            return result
        problem = "None, and the stage is not nullable" if result is None else short(result)
        return Either(left=StackTraceError(
            stage.processor, f"{stage.processor}({short(element)}) yielded {problem}, not an Either"
        ))


def _check_acyclic(nodes: dict[str, TopologyNode], owner: str) -> None:
    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise InvalidSourceException(f"{owner}: the topology loops: {' -> '.join((*path, name))}")
        for child in nodes[name].children:
            visit(child, (*path, name))

    for name in nodes:
        visit(name, ())


def render_topology(topology: type[ServiceTopology] | ServiceTopology) -> str:
    """The topology as an indented tree: nodes, their stages, children and post processes."""
    nodes = topology.nodes()
    lines = [type(topology).__name__ if isinstance(topology, ServiceTopology) else topology.__name__]

    def show(name: str, depth: int) -> None:
        node, pad = nodes[name], "    " * depth
        lines.append(f"{pad}- {name}: for each element of {node.producer}()")
        for stage in node.stages:
            produced = getattr(stage.type_, "__name__", str(stage.type_))
            keep = f" -> context.{stage.context}" if stage.context else ""
            keep += "[]" if stage.context and stage.store_all_in_context else ""
            lines.append(f"{pad}    stage {stage.processor}(element) yields {produced}{keep}")
        for child in node.children:
            show(child, depth + 1)
        for post in node.post_process:
            lines.append(f"{pad}    then {post}()")

    for root in topology.roots():
        show(root, 1)
    return "\n".join(lines)


# --- Config -----------------------------------------------------------------


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a JSON, TOML or YAML (when PyYAML is installed) config file into a dict."""
    import json

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read the config: {exc}") from None
    suffix = file.suffix.lower()
    if suffix not in (".json", ".toml", ".yaml", ".yml"):
        raise ConfigError(f"{file}: unknown config format {suffix or '(no suffix)'!r}: use .json, .toml or .yaml")
    try:
        if suffix == ".toml":
            data = _toml_loads(text, file)
        elif suffix in (".yaml", ".yml"):
            try:
                yaml = importlib.import_module("yaml")
            except ImportError:
                raise ConfigError("YAML configs need PyYAML (pip install 'minigest[yaml]')") from None
            data = yaml.safe_load(text)
        else:
            data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{file}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except Exception as exc:  # TOML and YAML parse errors carry their own position
        raise ConfigError(f"{file}: invalid {suffix.lstrip('.').upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: the config must be a mapping at the top level")
    return data


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: a repeated key is a mistake, not an override."""
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise ConfigError(f"the key {key!r} is given twice")
        mapping[key] = value
    return mapping


def _toml_loads(text: str, file: Path) -> Any:
    for name in ("tomllib", "tomli"):  # tomllib is in the standard library from Python 3.11
        with contextlib.suppress(ImportError):
            return importlib.import_module(name).loads(text)
    raise ConfigError("TOML configs need Python 3.11 or the tomli package (pip install tomli)")


def import_class(path: str, key: str = "type") -> Any:
    """Import ``pkg.module.Class``, or a module's ``ServiceSpec.metadata_source_class``."""
    if not isinstance(path, str) or not all(part.isidentifier() for part in path.split(".")):
        raise ConfigError(f"{key}: {path!r} is not a dotted Python path like 'package.module.Class'")
    module_name, _, attribute = path.rpartition(".")
    try:
        module = importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name is None or not path.startswith(exc.name):
            raise ConfigError(f"{key}: importing {path!r} failed: {exc}") from None
    except Exception as exc:
        raise ConfigError(f"{key}: importing {path!r} failed: {type(exc).__name__}: {exc}") from exc
    else:
        spec = getattr(module, "ServiceSpec", None)
        if not isinstance(spec, ServiceSpec):
            raise ConfigError(f"{key}: module {path!r} has no ServiceSpec; name a class in it instead")
        source = spec.metadata_source_class
        return import_class(source, f"{key} (ServiceSpec)") if isinstance(source, str) else source
    if not module_name:
        raise ConfigError(f"{key}: no module named {path!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        raise ConfigError(f"{key}: no module named {module_name!r} (from {path!r})") from None
    except Exception as exc:
        raise ConfigError(f"{key}: importing {module_name!r} failed: {type(exc).__name__}: {exc}") from exc
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ConfigError(f"{key}: module {module_name!r} has no attribute {attribute!r}") from None


_TOP_KEYS = {"source", "processors", "sink", "stage", "bulk_sink", "workflow"}
_STEP_KEYS = {"type", "options", "name"}
_WORKFLOW_KEYS = {"success_threshold", "max_failures_kept"}


def _build_workflow(config: dict[str, Any], origin: str) -> Workflow:
    if not isinstance(config, dict):
        raise ConfigError(f"{origin}: the config must be a mapping")
    _only(config, _TOP_KEYS, origin)
    if "source" not in config:
        raise ConfigError(f"{origin}: 'source' is required")
    if "sink" in config and "stage" in config:
        raise ConfigError(f"{origin}: give 'sink' or 'stage', not both")
    if "bulk_sink" in config and "stage" not in config:
        raise ConfigError(f"{origin}: 'bulk_sink' loads what a 'stage' wrote, and there is no 'stage'")
    source_entry = config["source"]
    source = _build_step(source_entry, f"{origin}: source", Source, extra=frozenset({"service_name"}))
    processors = config.get("processors", [])
    if not isinstance(processors, list):
        raise ConfigError(f"{origin}: processors: must be a list")
    steps: list[Step] = [_build_step(p, f"{origin}: processors[{i}]", Processor) for i, p in enumerate(processors)]
    if "sink" in config:
        steps.append(_build_step(config["sink"], f"{origin}: sink", Sink))
    if "stage" in config:
        steps.append(_build_step(config["stage"], f"{origin}: stage", Stage))
    bulk_sink = _build_step(config["bulk_sink"], f"{origin}: bulk_sink", BulkSink) if "bulk_sink" in config else None
    settings = config.get("workflow", {})
    if not isinstance(settings, dict):
        raise ConfigError(f"{origin}: workflow: must be a mapping")
    _only(settings, _WORKFLOW_KEYS, f"{origin}: workflow")
    try:
        return Workflow(source, steps, bulk_sink, **settings)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{origin}: workflow: {exc}") from None


def _only(mapping: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (expected one of {', '.join(sorted(allowed))})")


def _subclass_of(candidate: Any, kind: type) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, kind)


def _build_step(entry: Any, where: str, kind: type, extra: frozenset[str] = frozenset()) -> Any:
    if not isinstance(entry, dict) or "type" not in entry:
        raise ConfigError(f"{where}: must be a mapping with a 'type'")
    _only(entry, _STEP_KEYS | extra, where)
    cls: Any = import_class(entry["type"], f"{where}.type")
    if not _subclass_of(cls, kind):
        raise ConfigError(f"{where}.type: {entry['type']!r} is not a {kind.__name__} class")
    options = entry.get("options")
    options = {} if options is None else options
    if not isinstance(options, dict):
        raise ConfigError(f"{where}.options: must be a mapping, got {short(options)}")
    name = entry.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ConfigError(f"{where}.name: must be a non-empty string, got {short(name)}")
    if entry.get("service_name") is not None:
        options = {"service_name": entry["service_name"], **options}
    try:
        step = cls.create(options)
    except ConfigError as exc:
        raise type(exc)(f"{where}: {exc}") from exc
    except Exception as exc:
        raise ConfigError(f"{where}: {cls.__name__}.create() failed: {type(exc).__name__}: {exc}") from exc
    if name is not None:
        step.name = name
    return step


# --- Test kit ---------------------------------------------------------------


@attrs.frozen
class Collected:
    """What a run produced: the rights, every failure, and each step's status by name."""

    rights: list[Any]
    failures: list[StackTraceError]
    status: Status
    statuses: dict[str, Status]


def collect(target: Source | Workflow, *, limit: int | None = None) -> Collected:
    """Run a source (prepare, iterate, close) or a whole workflow, and return what came out.

    For a workflow, ``rights`` are the records that came out of its last step (or went into its stage).
    """
    if isinstance(target, Source):
        try:
            target.prepare()
            rights = list(itertools.islice(target.run(), limit))
        finally:
            target.close()
        return Collected(rights, list(target.status.failures), target.status, {target.name: target.status})
    target._collected = rights = []
    try:
        target.execute(limit=limit)
    finally:
        target._collected = None
    failures = [failure for step in target.all_steps() for failure in step.status.failures]
    return Collected(rights, failures, target.source.status, {s.name: s.status for s in target.all_steps()})


# --- Command line -----------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``minigest run CONFIG`` and ``minigest check CONFIG``; returns the exit code."""
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> Any:  # one line, as every other error
            self.exit(2, f"minigest: error: {message}\n")

    parser = Parser(prog="minigest", description="Run or check a minigest workflow config.")
    parser.add_argument("--version", action="version", version=f"minigest {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the workflow a config describes")
    check = commands.add_parser("check", help="build every step, test the connection, show what would run")
    for command in (run, check):
        command.add_argument("config", help="a .json, .toml or .yaml config file")
        command.add_argument("--debug", action="store_true", help="show the traceback of an error")
    run.add_argument("--status-file", metavar="PATH", help="write the run's status as JSON to PATH")
    run.add_argument("--trace", action="store_true", help="follow each record through every step (stderr)")
    run.add_argument("--limit", type=int, metavar="N", help="stop after N source records")
    run.add_argument("--dry-run", action="store_true", help="run the source and processors only")
    run.add_argument("--failures", metavar="PATH", help="write every failed input as JSON lines to PATH")
    args = parser.parse_args(argv)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # so 'type' can name modules next to the config, as python -m does
    if args.command == "run":
        if args.limit is not None and args.limit < 0:
            parser.error("--limit must be 0 or more")
        for option, path in (("--status-file", args.status_file), ("--failures", args.failures)):
            if path and (Path(path).is_dir() or not Path(path).parent.is_dir()):
                parser.error(f"{option} {path}: not a file in a folder that exists")
    try:
        workflow = Workflow.from_file(args.config)
        return _check(workflow) if args.command == "check" else _run(workflow, args)
    except KeyboardInterrupt:
        sys.stderr.write("minigest: interrupted\n")
        return 130
    except Exception as exc:
        return _fail(exc, args.debug)


def _fail(exc: BaseException, debug: bool) -> int:
    """One line on stderr; 2 for a config problem, 1 for a run that could not finish."""
    if debug:
        import traceback

        traceback.print_exc()
    text = str(exc) if isinstance(exc, MinigestError) else f"{type(exc).__name__}: {exc}"
    sys.stderr.write(f"minigest: error: {_clip(' '.join(text.split()), 1000)}\n")
    return 2 if isinstance(exc, ConfigError) else 1


def _check(workflow: Workflow) -> int:
    try:
        workflow.source.test_connection()
        connection = "ok"
    except Exception as exc:
        connection = f"failed: {type(exc).__name__}: {exc}"
        sys.stderr.write(f"minigest: error: {workflow.source.name}.test_connection() {connection}\n")
    finally:  # the other steps are neither run nor closed: closing a sink would write its (empty) output
        workflow._close_all([workflow.source], set())
    for step in workflow.all_steps():
        print(f"{_kind(step):<10} {step.name} ({type(step).__module__}.{type(step).__qualname__})")
    print(f"threshold  {workflow.success_threshold:g}%")
    topology = getattr(workflow.source, "topology", None)
    if topology is not None:
        print(render_topology(topology))
    print(f"connection {connection}")
    return 0 if connection == "ok" else 1


def _run(workflow: Workflow, args: Any) -> int:
    code = 0
    trace = sys.stderr if args.trace else None
    progress = sys.stderr if sys.stderr.isatty() and not args.trace else None
    try:
        with open(args.failures, "w", encoding="utf-8") if args.failures else contextlib.nullcontext() as failures:
            workflow.execute(limit=args.limit, dry_run=args.dry_run, trace=trace, failures=failures, progress=progress)
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:
        code = _fail(exc, args.debug)
    to_stdout = any(isinstance(step, JsonLinesSink) and step.path is None for step in workflow.steps)
    workflow.print_status(sys.stderr if to_stdout else sys.stdout)  # keep stdout for the records
    if args.status_file:
        import json

        try:
            writer = AtomicWriter(args.status_file)
            json.dump(workflow.status_dict(), writer.file, indent=2)
            writer.commit()
        except OSError as exc:
            sys.stderr.write(f"minigest: error: --status-file {args.status_file}: {exc}\n")
            code = code or 2
    return code or (1 if workflow.failing_steps() else 0)


if __name__ == "__main__":
    sys.modules.setdefault("minigest", sys.modules[__name__])  # configs naming minigest.X get these classes
    sys.exit(main())
