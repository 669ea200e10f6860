"""minigest: OpenMetadata's ingestion pattern in one small file.

A *source* yields ``Either`` results; each right travels through the
*processors* into a *sink* (or a *stage*, whose output a *bulk sink* loads
once the source is done). Every step owns the rules for one record: a right
is counted and passed on, a left, an exception or a ``None`` stops that one
record only, and each step counts what happened in its ``Status``. The
``Workflow`` is the lifecycle around them: prepare, loop, commit the outputs,
bulk sink, close, report. The vocabulary is OpenMetadata's (``Either``,
``StackTraceError``, ``Source``, ``Processor``, ``Sink``, ``Stage``,
``BulkSink``, ``Workflow``, ``TopologyNode``); no server is needed.
Dependencies: the standard library and ``attrs``.

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
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, Optional, TypeVar, Union

import attrs

if TYPE_CHECKING:
    import logging

__version__ = "0.2.0"
__all__ = [
    "AtomicWriter", "BulkSink", "Collected", "ConfigError", "Either", "FAILED", "FILTERED",
    "InvalidSourceException", "JsonLinesSink", "JsonLinesWriter", "ListSink", "ListSource", "MinigestError",
    "NodeStage", "Observer", "OutputError", "Processor", "ServiceSpec", "ServiceTopology", "Sink", "Source",
    "Stage", "StackTraceError", "Status", "Step", "TopologyContext", "TopologyNode", "TopologyRunnerMixin",
    "Workflow", "WorkflowExecutionError", "WorkflowFatalError", "collect", "fqn_join", "import_class",
    "load_config", "logger", "main", "read_options", "render_topology",
]

T = TypeVar("T")
StepT = TypeVar("StepT", bound="Step")
WorkflowT = TypeVar("WorkflowT", bound="Workflow")

MAX_ERROR_CHARS = 2_000  # longest error text kept in a Status
MAX_NAME_CHARS = 300  # longest entity name kept
MAX_TRACE_CHARS = 8_000  # longest stack trace kept (its end, where the cause is)


def logger() -> logging.Logger:
    """The ``minigest`` logger, where minigest and the connectors say what they do (imported on first use)."""
    import logging

    return logging.getLogger("minigest")


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


class OutputError(WorkflowFatalError):
    """minigest could not write one of its own outputs (the failures file): the run stops."""

    _minigest_recorded = True  # not a failure of the step that was running when it happened


# --- Results ----------------------------------------------------------------


def _text(value: Any, limit: int = MAX_ERROR_CHARS, keep_end: bool = False) -> str:
    """A field that must hold text, clipped to ``limit``: an exception becomes ``Type: message``."""
    if isinstance(value, BaseException):
        value = f"{type(value).__name__}: {value}"
    return _clip(value if isinstance(value, str) else str(value), limit, keep_end)


def _name(value: Any) -> str:
    return _text(value, MAX_NAME_CHARS)


def _trace(value: Any) -> str | None:
    return None if value is None else _text(value, MAX_TRACE_CHARS, keep_end=True)  # its end holds the cause


@attrs.frozen
class StackTraceError:
    """What went wrong with one entity: its name, the error and (optionally) the stack trace; bounded text."""

    name: str = attrs.field(converter=_name)
    error: str = attrs.field(converter=_text)
    stack_trace: str | None = attrs.field(default=None, converter=_trace)


def _as_error(value: Any) -> StackTraceError:
    """A left that is not a StackTraceError is wrapped, so the user's words reach the report."""
    if isinstance(value, StackTraceError):
        return value
    if isinstance(value, BaseException):
        return error_from_exception(type(value).__name__, value)
    return StackTraceError(name="-", error=value)


@attrs.frozen
class Either(Generic[T]):
    """A step's result: ``left`` holds the error, ``right`` the value; exactly one is set."""

    left: StackTraceError | None = None
    right: T | None = None

    def __attrs_post_init__(self) -> None:
        if (self.left is None) == (self.right is None):
            raise ValueError("Either needs exactly one of left and right")
        if self.left is not None and type(self.left) is not StackTraceError:
            object.__setattr__(self, "left", _as_error(self.left))  # frozen: set once, while being built


def short(value: Any, width: int = 80) -> str:
    """A one-line, bounded description of a value, for reports, traces and error messages."""
    name = getattr(value, "name", None)
    if isinstance(name, str):
        return f"{type(value).__name__}({_clip(name, width)!r})"
    return _REPR.repr(value)[:width]


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60


def entity_name(record: Any) -> str:
    """What a failure is named after: the record's ``name``, else a short description of it."""
    name = getattr(record, "name", None)
    return name if isinstance(name, str) else short(record, 60)


def error_from_exception(name: str, exc: BaseException, context: str = "") -> StackTraceError:
    """A StackTraceError for an exception: its message, and the frames that led to it."""
    import traceback  # imported when first needed: keeps `import minigest` cheap

    prefix = f"{context}: " if context else ""
    message = f"{type(exc).__name__}: {exc}"
    if exc.__traceback__ is None:  # never raised (an exception given as a left): no frames to show
        return StackTraceError(name=name, error=prefix + message)
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

    def scanned(self, record: Any = None) -> None:
        """Count one record that went through (OpenMetadata's name for it)."""
        self.records += 1

    def filter(self, name: str, reason: str) -> None:
        """Count one record that was deliberately dropped, keeping the first reasons."""
        self.filtered += 1
        self._note(self.filtered_details, name, reason)

    def warning(self, name: str, reason: str) -> None:
        """Count a warning about ``name``; the record still went on."""
        self.warnings += 1
        self._note(self.warning_details, name, reason)

    def _note(self, kept: list[tuple[str, str]], name: str, reason: str) -> None:
        if len(kept) < self.max_failures_kept:
            kept.append((_clip(name, MAX_NAME_CHARS), _clip(reason, MAX_ERROR_CHARS)))

    def failed(self, error: StackTraceError) -> None:
        """Count a failure; keep its details while fewer than ``max_failures_kept``."""
        self.failure_count += 1
        if len(self.failures) < self.max_failures_kept:
            self.failures.append(error)

    def calculate_success(self) -> float:
        """Percentage of records that did not fail; 100.0 when nothing happened."""
        total = self.records + self.failure_count
        return 100.0 if total == 0 else 100.0 * self.records / total

    def as_dict(self) -> dict[str, Any]:
        """The status as JSON-serialisable data."""
        data = attrs.asdict(self, recurse=True)
        data.update(success=round(self.calculate_success(), 2), seconds=round(self.seconds, 6))
        data["filtered_details"] = [list(item) for item in self.filtered_details]
        data["warning_details"] = [list(item) for item in self.warning_details]
        return data


# --- Steps ------------------------------------------------------------------


class Dropped:
    """What a step's ``run(record)`` returns when the record goes no further: FILTERED or FAILED."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return self.why.upper()


FILTERED, FAILED = Dropped("filtered"), Dropped("failed")


class Step(abc.ABC):
    """What every step has: a ``name``, a ``status``, ``commit()`` and ``close()``."""

    name: str
    status: Status
    observers: tuple[Observer, ...] = ()  # set by the Workflow for one run, when someone watches it

    def __init__(self) -> None:
        self.name = type(self).__name__
        self.status = Status()

    @classmethod
    def create(cls: type[StepT], config: dict[str, Any]) -> StepT:
        """Build the step from its config options, checked against the constructor's signature."""
        options = read_options(cls, config)
        error = InvalidSourceException if issubclass(cls, Source) else ConfigError
        try:
            return cls(**options)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise error(f"{cls.__name__}: {exc}") from exc

    def commit(self) -> None:
        """The run completed: make this step's output final. Called once, before ``close()``."""

    def close(self) -> None:
        """Release what the step holds; output not committed is thrown away. Called exactly once."""

    def fail(self, error: StackTraceError, record: Any = None) -> Dropped:
        """Count a failure and show it to whoever watches the run; ``status.failed()`` would tell no one."""
        self.status.failed(error)
        for observer in self.observers:
            try:
                observer.failed(self, error, record)
            except MinigestError:
                raise
            except Exception as exc:  # a broken observer stops the run; it is no failure of this step
                raise OutputError(f"{type(observer).__name__}.failed() raised {type(exc).__name__}: {exc}") from exc
        return FAILED

    def _raised(self, exc: Exception, record: Any = None, context: str = "") -> Dropped:
        """User code raised: one failure of this step; a fatal error is recorded once, then raised on."""
        name = self.name if record is None else entity_name(record)
        if isinstance(exc, WorkflowFatalError):
            if not getattr(exc, "_minigest_recorded", False):
                exc._minigest_recorded = True  # type: ignore[attr-defined]  # outer steps do not count it again
                self.fail(error_from_exception(name, exc, "stopped the run"), record)
            raise exc
        if self.observers or len(self.status.failures) < self.status.max_failures_kept:
            return self.fail(error_from_exception(name, exc, context), record)
        return self.fail(StackTraceError(name, type(exc).__name__))  # only counted: skip formatting the trace

    def _call(self, what: str, function: Callable[[], Any]) -> bool:
        """Run a lifecycle method (prepare, commit, run, close), timed; a failure is this step's, not the end."""
        started = time.perf_counter()
        try:
            function()
        except Exception as exc:
            self._raised(exc, context=f"{what} failed")
            return False
        finally:
            self.status.seconds += time.perf_counter() - started
        return True


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
                if not isinstance(item, Either):
                    problem = f"{self.name} yielded {short(item)}, not an Either"
                    self.fail(StackTraceError("Not an Either", problem), item)
                elif item.left is None:
                    status.records += 1
                    yield item.right
                else:
                    self.fail(item.left)
        except Exception as exc:
            self._raised(exc, context="the source stopped early")


class Processor(Step):
    """Transforms one record: ``_run(record)`` returns an ``Either``, or None to filter it."""

    @abc.abstractmethod
    def _run(self, record: Any) -> Either[Any] | None:
        """Process one record."""

    def run(self, record: Any) -> Any:
        """Apply the per-record rules; return what goes on to the next step, or FILTERED / FAILED."""
        try:
            result = self._run(record)
        except Exception as exc:
            return self._raised(exc, record)
        if result.__class__ is not Either:  # None, or something else: rare, so checked after the one test
            if result is None:
                self.status.filtered += 1
                return FILTERED
            if not isinstance(result, Either):
                problem = f"{self.name}._run returned {short(result)}, not an Either or None"
                return self.fail(StackTraceError(entity_name(record), problem), record)
        if result.left is not None:
            return self.fail(result.left, record)
        self.status.records += 1
        return result.right


class Sink(Processor):
    """The last step: writes one record; returns an ``Either`` like a processor."""


class Stage(Step):
    """Writes records somewhere a ``BulkSink`` will load them from; records go no further."""

    @abc.abstractmethod
    def _run(self, record: Any) -> Iterable[Either[Any]]:
        """Stage one record; yield a right per item written and a left per failure."""

    def run(self, record: Any) -> Any:
        """Count each right the stage yields and record each left; return the record it was given."""
        try:
            for result in self._run(record):
                if not isinstance(result, Either):
                    raise TypeError(f"{self.name}._run yielded {short(result)}, not an Either")
                if result.left is None:
                    self.status.records += 1
                else:
                    self.fail(result.left, record)
        except Exception as exc:
            return self._raised(exc, record)
        return record


class BulkSink(Step):
    """Loads what the stage wrote, once, after the source is exhausted and the stage committed."""

    stage: Stage | None = None  # the workflow's stage, set before run(): read what *it* committed

    @abc.abstractmethod
    def run(self) -> None:
        """Do the load, counting in ``self.status``."""


ROLES = ("metadata", "lineage", "usage", "profiler", "sampler")


@attrs.define
class ServiceSpec:
    """What one service can do: a Source class (or its dotted path) per role; ``kind`` picks one."""

    metadata_source_class: type[Source] | str
    lineage_source_class: type[Source] | str | None = None
    usage_source_class: type[Source] | str | None = None
    profiler_class: type[Source] | str | None = None
    sampler_class: type[Source] | str | None = None

    def roles(self) -> dict[str, type[Source] | str]:
        """The roles this service has, each with its class or dotted path, in OpenMetadata's order."""
        classes = attrs.astuple(self, recurse=False)
        return {role: found for role, found in zip(ROLES, classes) if found is not None}


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
    """A text file written under a temporary name, renamed into place on ``commit()``: never seen half-written."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import errno
        import tempfile  # imported when first needed, like every module only some runs use

        self.path = Path(path)
        if self.path.exists() and not self.path.is_file():  # a device or a folder is never renamed over
            raise OSError(errno.EINVAL, f"{self.path} is not a regular file, so it is not replaced")
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
        """Forget the file, whatever happens on the way; the real path is left as it was."""
        try:
            self.file.close()
        except OSError:
            pass  # a full disk fails the last flush; the temporary file goes all the same
        finally:
            Path(self.temporary).unlink(missing_ok=True)


class JsonLinesWriter(AtomicWriter):
    """One JSON object per line (``to_jsonable`` of each record), committed whole or not at all."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        import json

        self._dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode

    def write(self, record: Any) -> None:
        """Add one record as a line of strict JSON."""
        self.file.write(self._dumps(to_jsonable(record)) + "\n")


class JsonLinesSink(Sink):
    """Writes each record as one JSON line to ``path``, committed when the run completes; or to stdout."""

    def __init__(self, path: Optional[Path] = None) -> None:  # noqa: UP045  # readable by Python 3.9's options reader
        super().__init__()
        self.path = None if path is None or str(path) == "-" else Path(path)
        if self.path is not None and not self.path.parent.is_dir():
            raise ConfigError(f"JsonLinesSink: option 'path': the folder of {path} does not exist")
        if self.path is not None and self.path.exists() and not self.path.is_file():
            raise ConfigError(f"JsonLinesSink: option 'path': {path} is not a regular file")
        self._writer: JsonLinesWriter | None = None
        import json

        self._dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode

    def _run(self, record: Any) -> Either[Any]:
        if self.path is None:
            try:
                sys.stdout.write(self._dumps(to_jsonable(record)) + "\n")
            except BrokenPipeError:  # `minigest run ... | head`: nobody reads any more
                raise WorkflowFatalError("stdout was closed (broken pipe)") from None
        else:
            if self._writer is None:  # opened on first use, so building the step writes nothing
                self._writer = JsonLinesWriter(self.path)
            self._writer.write(record)
        return Either(right=record)

    def commit(self) -> None:
        if self.path is None:
            sys.stdout.flush()
            return
        writer, self._writer = self._writer or JsonLinesWriter(self.path), None  # no record still makes a file
        writer.commit()

    def close(self) -> None:
        if self._writer is not None:  # the run did not complete: the previous file stays
            self._writer.discard()
            self._writer = None


# --- Watching a run ---------------------------------------------------------


class Observer:
    """Watches a run: override what you need. Set up only when asked for, so free when off."""

    def record(self, number: int, record: Any) -> None:
        """The source produced its ``number``-th record."""

    def step(self, step: Step, result: Any) -> None:
        """A step ran on a record: ``result`` is what it passed on, or FILTERED / FAILED."""

    def failed(self, step: Step, error: StackTraceError, record: Any) -> None:
        """A step recorded a failure (``record`` is the input, when there was one)."""

    def output(self, record: Any) -> None:
        """A record came out of the last step (or went into the stage)."""

    def finished(self, workflow: Workflow) -> None:
        """The run is over, every step closed."""


class Trace(Observer):
    """Follows each record through every step, one line per step."""

    def __init__(self, out: IO[str], source: Source) -> None:
        self.out, self.source = out, source

    def record(self, number: int, record: Any) -> None:
        self.out.write(f"#{number} {self.source.name}: {short(record)}\n")

    def step(self, step: Step, result: Any) -> None:
        if result is FILTERED:
            self.out.write(f"    {step.name}: filtered\n")
        elif result is not FAILED:
            verb = "staged" if isinstance(step, Stage) else "passed on"
            self.out.write(f"    {step.name}: {verb} {short(result)}\n")

    def failed(self, step: Step, error: StackTraceError, record: Any) -> None:
        if isinstance(step, Source):
            self.out.write(f"#- {step.name}: failed, {error.name}: {error.error}\n")
        else:
            self.out.write(f"    {step.name}: failed, {error.error}\n")


class FailuresFile(Observer):
    """Every failure, with its input, as one JSON line; a line is whole or not there at all."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import json

        self.path = path
        self._dumps = json.JSONEncoder(ensure_ascii=False, default=lambda value: repr(value)[:MAX_ERROR_CHARS]).encode
        try:
            self.file = open(path, "wb", buffering=0)  # unbuffered: each line is one write  # noqa: SIM115
        except OSError as exc:
            raise OutputError(f"--failures {path}: {exc.strerror or exc}") from None
        self.written = 0  # bytes of whole lines

    def failed(self, step: Step, error: StackTraceError, record: Any) -> None:
        entry = {"step": step.name, **attrs.asdict(error)}
        if record is not None:
            try:
                entry["record"] = to_jsonable(record)
            except Exception:  # a to_dict() that raises: the record's repr instead
                entry["record"] = repr(record)[:MAX_ERROR_CHARS]
        line = (self._dumps(entry) + "\n").encode("utf-8", "backslashreplace")  # a stray surrogate is escaped
        try:
            if self.file.write(line) != len(line):  # a short write: the disk is full
                raise OSError(28, os.strerror(28))
        except OSError as exc:
            with contextlib.suppress(OSError):
                self.file.truncate(self.written)  # no torn last line
                self.file.seek(self.written)
            raise OutputError(f"--failures {self.path}: {exc.strerror or exc}") from None
        self.written += len(line)

    def finished(self, workflow: Workflow) -> None:
        self.file.close()


class Progress(Observer):
    """A status line on a terminal during long runs: records per step, and their rate."""

    def __init__(self, out: IO[str], steps: Sequence[Step]) -> None:
        self.out, self.steps = out, steps
        self.start = self.shown = time.perf_counter()

    def record(self, number: int, record: Any) -> None:
        now = time.perf_counter()
        if now - self.shown >= 0.5 and now - self.start >= 2.0:
            self.shown, seconds = now, now - self.start
            line = "  ".join(f"{s.name} {s.status.records:,} ({s.status.records / seconds:,.0f}/s)" for s in self.steps)
            self.out.write(f"\r{line}\x1b[K")
            self.out.flush()

    def finished(self, workflow: Workflow) -> None:
        if self.shown != self.start:
            self.out.write("\n")


class Collector(Observer):
    """Keeps what came out of the last step, for the test kit."""

    def __init__(self) -> None:
        self.rights: list[Any] = []

    def output(self, record: Any) -> None:
        self.rights.append(record)


# --- Workflow ---------------------------------------------------------------


class _Sampler:
    """Times every one of the first records, then one in ``every`` (timing each call costs more than a simple step).

    Each step's time is scaled up by its own calls over its timed calls: a step behind a filter is charged fairly.
    """

    def __init__(self, steps: Sequence[Step], first: int = 1_000, every: int = 64) -> None:
        self.steps, self.first, self.every = list(steps), first, every
        self.timed_calls = [0] * len(self.steps)
        self.runs: list[Callable[[Any], Any]] = [step.run for step in self.steps]  # type: ignore[attr-defined]
        self.timed = [self.timer(index, run) for index, run in enumerate(self.runs)]

    def chains(self, plain: T, timed: T) -> Iterator[T]:
        """What to call for each record in turn: ``timed`` for the records sampled, else ``plain``."""
        then = itertools.cycle([plain] * (self.every - 1) + [timed])
        return itertools.chain(itertools.repeat(timed, self.first), then)

    def timer(self, index: int, run: Callable[[Any], T]) -> Callable[[Any], T]:
        """``run`` timed into its step's status, counting the calls it timed."""
        clock, status, counts = time.perf_counter, self.steps[index].status, self.timed_calls

        def timed(record: Any) -> T:
            counts[index] += 1
            start = clock()
            try:
                return run(record)
            finally:
                status.seconds += clock() - start

        return timed

    def scale_up(self, seen: int) -> None:
        """Each step's time over its timed calls, made up to all its calls (what the step before passed on)."""
        calls = seen
        for step, timed in zip(self.steps, self.timed_calls):
            if timed:
                step.status.seconds *= calls / timed
            calls = step.status.records


class Workflow:
    """Runs a source through processors into a sink or stage, then the bulk sink; reports at the end."""

    def __init__(self, source: Source, steps: Sequence[Step] = (), bulk_sink: BulkSink | None = None, *,
                 success_threshold: float = 90.0, max_failures_kept: int = 1000) -> None:
        self.steps = _check_shape(source, steps, bulk_sink, success_threshold, max_failures_kept)
        self.source, self.bulk_sink = source, bulk_sink
        self.success_threshold = float(success_threshold)
        self.service_spec: ServiceSpec | None = None  # where the source came from, for `minigest check`
        self.elapsed, self.dry_run, self.started, self.interrupted = 0.0, False, False, False
        self.limit: int | None = None
        self.stopped: str | None = None  # why the run ended early, if it did
        self.ran: list[Step] = []  # the steps the run reached, in run order
        self.skipped: list[Step] = []  # what a dry run leaves out
        self.committed: list[Step] = []  # whose output this run made final
        for step in self.all_steps():
            _adopt(step, max_failures_kept)

    def all_steps(self) -> list[Step]:
        """The source, the steps and the bulk sink, in run order."""
        return [self.source, *self.steps, *([self.bulk_sink] if self.bulk_sink else [])]

    def execute(self, *, limit: int | None = None, dry_run: bool = False, trace: IO[str] | None = None,
                failures: str | os.PathLike[str] | None = None, progress: IO[str] | None = None,
                observers: Sequence[Observer] = (), keep_partial: bool = False) -> None:
        """Run once: prepare, every record through the steps, commit, bulk sink; close every step once.

        ``limit``: stop after N source records; ``dry_run``: no sink, stage or bulk sink; ``trace``, ``failures``,
        ``progress``, ``observers``: watch the run; ``keep_partial``: commit the outputs even when interrupted.
        """
        if self.started:
            raise MinigestError("this workflow has already run; build a new one to run again")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be a whole number, 0 or more, got {short(limit)}")
        self.started, self.limit, self.dry_run = True, limit, dry_run
        self.skipped = [step for step in self.all_steps() if dry_run and isinstance(step, (Sink, Stage, BulkSink))]
        steps = [step for step in self.steps if step not in self.skipped]
        start, watchers = time.perf_counter(), list(observers)
        try:
            watchers += _standard_observers(self.source, steps, trace, failures, progress)
            for step in self.all_steps():
                step.observers = tuple(watchers)
            self._run(steps, watchers)
        except KeyboardInterrupt as exc:
            self.interrupted, self.stopped = True, f"interrupted ({str(exc) or 'Ctrl-C'})"
            if keep_partial:
                self._commit(steps)
            raise
        except Exception as exc:
            self.stopped = self.stopped or f"{type(exc).__name__}: {exc}"
            raise
        finally:
            pending = self._finish(watchers, start)
        if pending is not None:  # a close() raised it, and nothing else is on its way out
            raise pending

    def _run(self, steps: list[Step], watchers: list[Observer]) -> None:
        """The lifecycle: prepare, the record loop, commit, then the bulk sink on what was committed."""
        self.ran, log = [self.source], logger()
        log.info("preparing %s", self.source.name)
        if not self._prepare():
            return
        self.ran.extend(steps)
        log.info("running %s", " -> ".join(step.name for step in self.ran))
        with contextlib.closing(self.source.run()) as records:  # the source cleans up before anything commits
            self._pump(records if self.limit is None else itertools.islice(records, self.limit), steps, watchers)
        log.info("%s gave %d records; committing the outputs", self.source.name, self.source.status.records)
        if self._commit([self.source, *steps]) and self.bulk_sink is not None and self.bulk_sink not in self.skipped:
            log.info("%s loading what %s committed", self.bulk_sink.name, type(steps[-1]).__name__ if steps else "-")
            self.bulk_sink.stage = next((step for step in steps if isinstance(step, Stage)), None)
            self.bulk_sink._call("run()", self.bulk_sink.run)
            self.ran.append(self.bulk_sink)  # only once it returned: an interrupted bulk sink did not run

    def _prepare(self) -> bool:
        """The source gets ready; a bad path stops the run as a config error, anything else as a failure."""
        try:
            self.source.prepare()
        except ConfigError as exc:  # the config names what is missing: the message says it all, no trace
            self.source.fail(StackTraceError(self.source.name, f"prepare() failed: {exc}"))
            self.stopped = str(exc)
            raise
        except Exception as exc:
            self.stopped = "the source could not prepare"
            self.source._raised(exc, context="prepare() failed")
            return False
        return True

    def _pump(self, records: Iterable[Any], steps: list[Step], watchers: list[Observer]) -> None:
        """The record loop: each record through every step, until a step drops it."""
        sampler = _Sampler(steps)
        runs, timed = sampler.runs, sampler.timed  # each step's run(), and the same timed into its status
        if watchers:
            records, runs, timed = _watched(records, steps, runs, timed, watchers)
        seen = 0  # zip with a counter: after the loop, how many records the source gave
        for record, chain, seen in zip(records, sampler.chains(runs, timed), itertools.count(1)):  # noqa: B007
            for run in chain:
                record = run(record)  # what goes on to the next step...
                if record.__class__ is Dropped:  # ...or FILTERED / FAILED (an identity test: the cheapest)
                    break
        sampler.scale_up(seen)

    def _commit(self, steps: list[Step]) -> bool:
        """Make every output final, in run order, once; a step that cannot stops the run before the bulk sink."""
        for step in steps:
            if step in self.committed:
                continue
            if not step._call("commit()", step.commit):
                self.stopped = f"{step.name} could not commit its output"
                return False
            self.committed.append(step)
        return True

    def _finish(self, watchers: list[Observer], start: float) -> BaseException | None:
        """Close every step, time the run and tell the observers; a fatal error or Ctrl-C in close() is returned."""
        pending = _close_all([step for step in self.all_steps() if step not in self.skipped])
        if pending is not None and not self.stopped:
            self.interrupted = isinstance(pending, KeyboardInterrupt)
            self.stopped = f"a step's close() raised {type(pending).__name__}: {pending}"
        self.elapsed = time.perf_counter() - start
        self.source.status.seconds = max(0.0, self.elapsed - sum(s.status.seconds for s in self.all_steps()[1:]))
        for step in self.all_steps():
            step.observers = ()  # the streams they wrote to belonged to this run
        for watcher in watchers:
            watcher.finished(self)
        return pending

    def calculate_success(self) -> float:
        """The mean success of the steps the run reached (all of them before a run)."""
        steps = self.ran or self.all_steps()
        return sum(step.status.calculate_success() for step in steps) / len(steps)

    def failing_steps(self) -> list[Step]:
        """Steps that have failures and a success strictly below the threshold."""
        below = self.success_threshold
        return [s for s in self.all_steps() if s.status.failure_count and s.status.calculate_success() < below]

    def raise_from_status(self) -> None:
        """Raise ``WorkflowExecutionError`` when a step with failures is below the threshold."""
        failing = self.failing_steps()
        if failing:
            names = ", ".join(f"{s.name} ({s.status.calculate_success():.1f}%)" for s in failing)
            raise WorkflowExecutionError(f"below the {self.success_threshold:g}% success threshold: {names}")

    def result_status(self) -> int:
        """0 when no step (source included) has a failure, else 1 (OpenMetadata's meaning)."""
        return 1 if any(step.status.failure_count for step in self.all_steps()) else 0

    def exit_code(self) -> int:
        """The verdict as the command line exits: 0 ok, 1 stopped or below the threshold."""
        return 1 if self.stopped or self.failing_steps() else 0

    def status_dict(self) -> dict[str, Any]:
        """Everything ``print_status()`` shows, as JSON-serialisable data."""
        return report_dict(self)

    def print_status(self, file: IO[str] | None = None, max_rows: int = 100) -> None:
        """Print the per-step summary, the failure table and the workflow's success and time."""
        print_report(self, file if file is not None else sys.stdout, max_rows)

    @classmethod
    def create(cls: type[WorkflowT], config: dict[str, Any], *, origin: str = "config",
               folder: Path | None = None) -> WorkflowT:
        """Build a workflow from a config mapping (the shape is in the README); errors name the key."""
        return _Builder(cls, origin, folder).workflow(config)  # type: ignore[no-any-return]

    @classmethod
    def from_file(cls: type[WorkflowT], path: str | os.PathLike[str]) -> WorkflowT:
        """Build a workflow from a JSON, TOML or YAML file; relative paths in it start at its folder."""
        return cls.create(load_config(path), origin=str(path), folder=Path(path).parent)  # as given: short messages


def _close_all(steps: list[Step]) -> BaseException | None:
    """Close each step once (a failing close() is its failure); a fatal error or Ctrl-C is returned, raised later."""
    pending: BaseException | None = None
    for step in steps:
        try:
            step._call("close()", step.close)
        except (WorkflowFatalError, KeyboardInterrupt) as exc:
            pending = pending or exc
    return pending


def _adopt(step: Step, max_failures_kept: int) -> None:
    """The workflow's failure cap on a step; one whose ``__init__`` skipped ``super().__init__()`` gets a name too."""
    if not hasattr(step, "name"):
        step.name = type(step).__name__
    if not hasattr(step, "status"):
        step.status = Status()
    step.status.max_failures_kept = max_failures_kept


def _standard_observers(source: Source, steps: list[Step], trace: IO[str] | None,
                        failures: str | os.PathLike[str] | None, progress: IO[str] | None) -> list[Observer]:
    """The observers ``execute()``'s options ask for: none when none is asked for."""
    watchers: list[Observer] = []
    if trace is not None:
        watchers.append(Trace(trace, source))
    if failures is not None:
        watchers.append(FailuresFile(failures))
    if progress is not None:
        watchers.append(Progress(progress, [source, *steps]))
    return watchers


def _check_shape(source: Any, steps: Iterable[Any], bulk_sink: Any, threshold: Any, kept: Any) -> list[Step]:
    """A Source, Processors, at most one Sink or Stage last, a BulkSink, a threshold, a cap; the steps as a list."""
    if isinstance(steps, Step):
        raise ValueError(f"steps must be a list of steps, got the single step {short(steps)}: write [{steps.name}]")
    steps = list(steps)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 100:
        raise ValueError(f"success_threshold must be a number from 0 to 100, got {short(threshold)}")
    if isinstance(kept, bool) or not isinstance(kept, int) or kept < 0:
        raise ValueError(f"max_failures_kept must be a whole number, 0 or more, got {short(kept)}")
    if not isinstance(source, Source):
        raise ValueError(f"the source must be a Source, got {short(source)}")
    for position, step in enumerate(steps, start=1):
        if not isinstance(step, (Processor, Stage)):
            raise ValueError(f"step {position} must be a Processor, Sink or Stage, got {short(step)}")
        if isinstance(step, (Sink, Stage)) and position != len(steps):
            raise ValueError(f"{type(step).__name__} must be the last step, found at position {position}")
    if bulk_sink is not None and not isinstance(bulk_sink, BulkSink):
        raise ValueError(f"bulk_sink must be a BulkSink, got {short(bulk_sink)}")
    return steps


def _watched(records: Iterable[Any], steps: list[Step], runs: list[Callable[[Any], Any]],
             timed: list[Callable[[Any], Any]], watchers: list[Observer]) -> tuple[Any, ...]:
    """The same loop, showing each record, step result and output to the observers that want them."""
    def wanting(hook: str) -> list[Observer]:  # an observer pays only for the hooks it overrides
        return [w for w in watchers if getattr(type(w), hook) is not getattr(Observer, hook)]

    on_record, on_step, on_output = wanting("record"), wanting("step"), wanting("output")

    def numbered() -> Iterator[Any]:
        for number, record in enumerate(records, start=1):
            for watcher in on_record:
                watcher.record(number, record)
            yield record

    def watch(run: Callable[[Any], Any], step: Step) -> Callable[[Any], Any]:
        def watched(record: Any) -> Any:
            result = run(record)
            for watcher in on_step:
                watcher.step(step, result)
            return result
        return watched

    def output(record: Any) -> Any:  # one more "step" at the end: only a record no step dropped reaches it
        for watcher in on_output:
            watcher.output(record)
        return record

    if on_step:
        runs, timed = list(map(watch, runs, steps)), list(map(watch, timed, steps))
    if on_output:
        runs, timed = [*runs, output], [*timed, output]
    return (numbered() if on_record else records), runs, timed


# --- Report -----------------------------------------------------------------


def report_dict(workflow: Workflow) -> dict[str, Any]:
    """The report as JSON data: the verdict, how the run ended, and every step's status."""
    return {
        "success": round(workflow.calculate_success(), 2),
        "success_threshold": workflow.success_threshold,
        "below_threshold": [step.name for step in workflow.failing_steps()],
        "result_status": workflow.result_status(),
        "exit_code": workflow.exit_code(),
        "interrupted": workflow.interrupted,
        "stopped": workflow.stopped,
        "limit": workflow.limit,
        "dry_run": workflow.dry_run,
        "outputs_left_as_they_were": _unwritten(workflow),
        "elapsed_seconds": round(workflow.elapsed, 6),
        "steps": [
            {"name": step.name, "kind": _kind(step), "state": _state(workflow, step),
             "skipped": step in workflow.skipped, **step.status.as_dict()}
            for step in workflow.all_steps()
        ],
    }


def _state(workflow: Workflow, step: Step) -> str:
    """'ran', or why a step did not run: a dry run skipped it, or the run stopped before it."""
    if step in workflow.skipped:
        return "skipped"
    return "not run" if workflow.started and step not in workflow.ran else "ran"


def _unwritten(workflow: Workflow) -> list[str]:
    """Steps with an output of their own (they override commit()) that a stopped run did not commit."""
    if not workflow.stopped:
        return []
    return [step.name for step in workflow.steps if type(step).commit is not Step.commit and
            step not in workflow.committed and step not in workflow.skipped]


def print_report(workflow: Workflow, out: IO[str], max_rows: int = 100) -> None:
    """The steps table, the failures grouped by step and message, notes, then the verdict line."""
    paint, width, failing = _painter(out), _terminal_width(out), workflow.failing_steps()
    rows = []
    for step in workflow.all_steps():
        s, state = step.status, _state(workflow, step)
        success = paint(f"{s.calculate_success():.1f}%", "31" if step in failing else "32")
        counts = [f"{n:,}" for n in (s.records, s.filtered, s.warnings, s.failure_count)]
        cells = [*counts, success, f"{s.seconds:.3f}s"] if state == "ran" else ["-", "-", "-", "-", state, "-"]
        rows.append([step.name, _kind(step), *cells])
    out.write(_table(["Step", "Kind", "Records", "Filtered", "Warnings", "Failures", "Success", "Time"], rows, width))
    _print_failures(workflow, out, width, max_rows)
    for title, kept in (("Warnings", "warning_details"), ("Filtered, with a reason", "filtered_details")):
        notes = [[step.name, name, reason]
                 for step in workflow.all_steps() for name, reason in getattr(step.status, kept)]
        if notes:
            out.write(f"\n{title}\n" + _table(["From", "Entity Name", "Message"], notes[:max_rows], width))
    counted = len(workflow.ran or workflow.all_steps())
    line = f"\nWorkflow success: {workflow.calculate_success():.2f}% (mean of {counted} steps); {_verdict(workflow)}"
    out.write(paint(line, "31" if workflow.exit_code() else "32") + f"; {workflow.elapsed:.3f}s\n")


def _verdict(workflow: Workflow) -> str:
    """Why the run ended as it did, then what else to know: a limit, a dry run, outputs left as they were."""
    failing, unwritten = workflow.failing_steps(), _unwritten(workflow)
    if workflow.stopped:
        notes = [f"stopped: {workflow.stopped}"]
    elif failing:
        below = ", ".join(f"{s.name} {s.status.calculate_success():.1f}%" for s in failing)
        notes = [f"below the {workflow.success_threshold:g}% threshold: {below}"]
    else:
        notes = [f"ok: no step below the {workflow.success_threshold:g}% threshold"]
    notes += [f"limited to {workflow.limit:,} records"] if workflow.limit is not None else []
    notes += ["dry run: nothing written"] if workflow.dry_run else []
    notes += [f"outputs left as they were: {', '.join(unwritten)}"] if unwritten else []
    return "; ".join(notes)


def _print_failures(workflow: Workflow, out: IO[str], width: int, max_rows: int) -> None:
    """One row per step and message, with how many entities failed that way."""
    groups: dict[tuple[str, str], list[StackTraceError]] = {}
    for step in workflow.all_steps():
        for failure in step.status.failures:
            groups.setdefault((step.name, failure.error), []).append(failure)
    if not groups:
        return
    import sysconfig  # where the standard library is, whose frames the Stack Trace column looks past

    library = tuple(os.path.abspath(sysconfig.get_paths()[key]) for key in ("stdlib", "platstdlib"))
    rows, listed = [], 0
    for (step_name, message), same in itertools.islice(groups.items(), max_rows):
        more = f"\n(and {len(same) - 1} more)" if len(same) > 1 else ""
        rows.append([step_name, same[0].name + more, message, _where(same[0].stack_trace, library)])
        listed += len(same)
    out.write("\nFailures\n" + _table(["From", "Entity Name", "Message", "Stack Trace"], rows, width, ruled=True))
    total = sum(step.status.failure_count for step in workflow.all_steps())
    if total > listed:
        out.write(f"... {total - listed:,} more failures not shown ({total:,} in all; "
                  "--failures PATH writes every one)\n")


_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>.+)$', re.MULTILINE)


def _where(trace: str | None, library: tuple[str, ...]) -> str:
    """The innermost frame of the user's code (not minigest's, not in the standard ``library``), then the error."""
    if not trace:
        return "-"
    own = {os.path.abspath(__file__), __file__}
    frames = [m for m in _FRAME.finditer(trace) if "site-packages" in m["file"] or (m["file"] not in own and
              not m["file"].startswith("<frozen ") and not os.path.abspath(m["file"]).startswith(library))]
    exception = trace.rstrip().rsplit("\n", 1)[-1].strip()
    if not frames:
        return exception
    file, line, function = frames[-1].group("file", "line", "function")
    with contextlib.suppress(ValueError):  # a file on another drive (Windows) has no relative path
        file = os.path.relpath(file) if not os.path.relpath(file).startswith("..") else os.path.basename(file)
    return f"{file}:{line} in {function}\n{exception}"


def _kind(step: Step) -> str:
    """The role a step plays (a Sink is also a Processor, so it is looked for first)."""
    return next((kind.__name__ for kind in (Source, Sink, Processor, Stage, BulkSink) if isinstance(step, kind)), "-")


def _painter(out: IO[str]) -> Callable[[str, str], str]:
    colour = hasattr(out, "isatty") and out.isatty() and "NO_COLOR" not in os.environ
    return (lambda text, code: f"\x1b[{code}m{text}\x1b[0m") if colour else (lambda text, code: text)


def _terminal_width(out: IO[str]) -> int:
    """COLUMNS, else the terminal's width, else 100 columns (a log, a file, a pipe); never under 40."""
    with contextlib.suppress(KeyError, ValueError):
        return max(40, int(os.environ["COLUMNS"]))
    with contextlib.suppress(AttributeError, ValueError, OSError):
        return max(40, os.get_terminal_size(out.fileno()).columns) if out.isatty() else 100
    return 100


def _table(headers: list[str], rows: list[list[str]], width: int = 100, ruled: bool = False) -> str:
    """A plain-text grid at most ``width`` columns wide; long cells wrap inside their column."""
    columns = list(zip(headers, *rows))
    widths = [max(_width(line) for cell in column for line in cell.splitlines() or [""]) for column in columns]
    # the longest word of each column's data (headers may wrap; data rather not)
    words = [max([4] + [_width(word) for cell in column[1:] for word in cell.split()]) for column in columns]
    room = width - 3 * len(headers) - 1  # each column has a space either side and a bar
    for floor in (words, [4] * len(headers)):  # wrap between words first; break words only if that is not enough
        while sum(widths) > room and any(w > least for w, least in zip(widths, floor)):
            widest = max((i for i, w in enumerate(widths) if w > floor[i]), key=widths.__getitem__)
            widths[widest] -= 1  # narrow the widest column first
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+\n"
    lines = [rule]
    for index, row in enumerate([headers, *rows]):
        for parts in itertools.zip_longest(*(_wrap(cell, w) for cell, w in zip(row, widths)), fillvalue=""):
            padded = [f" {part}{' ' * (w - _width(part))} " for part, w in zip(parts, widths)]
            lines.append("|" + "|".join(padded) + "|\n")
        if ruled or index in (0, len(rows)):
            lines.append(rule)
    return "".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    """A cell's lines, each at most ``width`` columns; very long texts are cut first."""
    import textwrap

    text = text if len(text) <= 600 else text[:600] + " ..."
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        fits = _width(paragraph) <= width  # kept whole (a coloured cell's codes take no room)
        for line in [paragraph] if fits else textwrap.wrap(paragraph, width, break_on_hyphens=False) or [""]:
            while _width(line) > width:  # a wide (CJK) character takes two columns: cut again by display width
                cut = next(i for i in range(len(line), 0, -1) if _width(line[:i]) <= width)
                lines.append(line[:cut])
                line = line[cut:]
            lines.append(line)
    return lines


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
        return {name: value for klass in reversed(cls.__mro__) for name, value in vars(klass).items()
                if isinstance(value, TopologyNode)}

    @classmethod
    def roots(cls) -> list[str]:
        """The nodes that are no node's child."""
        nodes = cls.nodes()
        return [name for name in nodes if not any(name in node.children for node in nodes.values())]


def fqn_join(*parts: str) -> str:
    """Join names into a fully qualified name; a part that holds a dot is double-quoted."""
    return ".".join(f'"{part}"' if "." in part and not part.startswith('"') else part for part in parts)


class TopologyContext:
    """The names the walk has produced so far, one key per stage context, also read as attributes."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self.values: dict[str, Any] = dict.fromkeys(keys)

    def __getattr__(self, key: str) -> Any:
        if key not in self.__dict__.get("values", ()):  # not self.values: before __init__ that would recurse
            raise AttributeError(f"the topology context has no key {key!r}")
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value

    def fqn_from_stage(self, stage: NodeStage, name: str) -> str:
        """The stage's consumer keys' values and ``name``, joined as a fully qualified name."""
        empty = [key for key in stage.consumer or [] if self.values.get(key) is None]
        if empty:
            raise ValueError(f"the context key {empty[0]!r} is empty: its stage produced nothing")
        return fqn_join(*(str(self.values[key]) for key in stage.consumer or []), name)


class TopologyRunnerMixin:
    """Mix into a ``Source`` with a ``topology``: its ``_iter()`` walks the topology depth first."""

    topology: ClassVar[type[ServiceTopology] | ServiceTopology]
    status: Status

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if getattr(self, "topology", None) is None:
            raise InvalidSourceException(f"{type(self).__name__} has no topology")
        self._nodes, checked = self.topology.nodes(), set[str]()
        for name in self._nodes:  # from every node: a loop that no root reaches is refused too
            self._check_node(name, (), checked)
        keys = [stage.context for node in self._nodes.values() for stage in node.stages if stage.context]
        self.context = TopologyContext(keys)

    def _check_node(self, name: str, path: tuple[str, ...], checked: set[str]) -> None:
        """The node's methods must exist, and its children be nodes that do not lead back to the path."""
        if name not in self._nodes:
            raise InvalidSourceException(f"{type(self).__name__}: topology child {name!r} of {path[-1]!r} is no node")
        if name in path:
            raise InvalidSourceException(f"{type(self).__name__}: the topology loops: {' -> '.join((*path, name))}")
        if name in checked:  # shared children are checked once, not once per path to them
            return
        checked.add(name)
        node = self._nodes[name]
        for method in [node.producer, *(stage.processor for stage in node.stages), *node.post_process]:
            if not callable(getattr(self, method, None)):
                raise InvalidSourceException(f"{type(self).__name__}: topology node {name!r}: no method {method!r}")
        for child in node.children:
            self._check_node(child, (*path, name), checked)

    def _iter(self) -> Iterator[Either[Any]]:
        if "_nodes" not in vars(self):
            raise InvalidSourceException(f"{type(self).__name__}.__init__ must call super().__init__()")
        for root in self.topology.roots():
            yield from self._walk(root)

    def _walk(self, name: str) -> Iterator[Either[Any]]:
        """Each element: its stages in order, then its children; at the end, the post processes."""
        node, values = self._nodes[name], self.context.values
        stages = [(stage, getattr(self, stage.processor), None if stage.store_all_in_context else stage.context)
                  for stage in node.stages]  # looked up once per walk of the node, with the key each right sets
        cleared = dict.fromkeys(stage.context for stage in node.stages if stage.clear_context and stage.context)
        values.update((stage.context, []) for stage in node.stages if stage.store_all_in_context and stage.context)
        try:
            for element in getattr(self, node.producer)():
                complete = True  # no stage failed: the children have a parent
                for stage, processor, key in stages:
                    if key is not None:
                        values[key] = None  # no value leaks from the previous sibling
                    try:
                        for result in processor(element):
                            if not isinstance(result, Either):
                                if result is None and stage.nullable:
                                    continue
                                result = _not_an_either(stage.processor, element, result)
                            if result.left is not None:
                                complete = False
                            elif key is not None:
                                values[key] = getattr(result.right, "name", result.right)
                            elif stage.store_all_in_context and stage.context:
                                if not isinstance(values[stage.context], list):  # cleared, or set by another stage
                                    values[stage.context] = []
                                values[stage.context].append(getattr(result.right, "name", result.right))
                            yield result
                    except Exception as exc:
                        complete = False
                        yield _failure_or_raise(exc, stage.processor, f"{stage.processor}({short(element)})")
                if cleared:
                    values.update(cleared)
                if complete:
                    for child in node.children:
                        yield from self._walk(child)
                elif node.children:
                    self.status.filter(short(element), f"children of {name} {short(element)} skipped: a stage failed")
        except Exception as exc:  # the producer raised: what it yielded before stays
            yield _failure_or_raise(exc, node.producer, f"producer of {name}")
        yield from self._post_process(name, node.post_process)

    def _post_process(self, name: str, methods: list[str]) -> Iterator[Either[Any]]:
        for method in methods:
            try:
                yield from getattr(self, method)()
            except Exception as exc:
                yield _failure_or_raise(exc, method, f"post_process of {name}")


def _not_an_either(processor: str, element: Any, result: Any) -> Either[Any]:
    problem = "None, and the stage is not nullable" if result is None else short(result)
    return Either(left=StackTraceError(processor, f"{processor}({short(element)}) yielded {problem}, not an Either"))


def _failure_or_raise(exc: Exception, method: str, where: str) -> Either[Any]:
    """A method of the walk raised: one failure naming it; a WorkflowFatalError goes on up (it stops the run)."""
    if isinstance(exc, WorkflowFatalError):
        raise exc
    return Either(left=error_from_exception(method, exc, where))


def render_topology(topology: type[ServiceTopology] | ServiceTopology) -> str:
    """The topology as an indented tree: nodes, their stages, children and post processes."""
    nodes = topology.nodes()

    def show(name: str, pad: str) -> Iterator[str]:
        node = nodes[name]
        yield f"{pad}- {name}: for each element of {node.producer}()"
        for stage in node.stages:
            produced = getattr(stage.type_, "__name__", stage.type_)
            kept = f" -> context.{stage.context}{'[]' if stage.store_all_in_context else ''}" if stage.context else ""
            yield f"{pad}    stage {stage.processor}(element) yields {produced}{kept}"
        for child in node.children:
            yield from show(child, pad + "    ")
        yield from (f"{pad}    then {post}()" for post in node.post_process)

    title = topology.__name__ if isinstance(topology, type) else type(topology).__name__
    return "\n".join([title, *(line for root in topology.roots() for line in show(root, "    "))])


# --- Config -----------------------------------------------------------------


class _Mapping(dict):  # type: ignore[type-arg]
    """A config mapping that remembers the first key given twice in it, and on which line."""

    repeated: tuple[Any, int] | None = None

    def note_repeats(self, keys: list[Any], line: Callable[[int], int]) -> _Mapping:
        """Remember the first of ``keys`` that repeats an earlier one; ``line(index)`` says where it is."""
        seen: set[Any] = set()
        for index, key in enumerate(keys):
            if key in seen:
                self.repeated = key, line(index)
                break
            seen.add(key)
        return self


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a JSON, TOML or YAML (when PyYAML is installed) config file; ``${VAR}`` comes from the environment."""
    import json

    file = Path(path)
    if file.is_dir():
        raise ConfigError(f"{file}: is a folder, not a config file")
    suffix = file.suffix.lower()
    if suffix not in _PARSERS:
        raise ConfigError(f"{file}: unknown config format {suffix or '(no suffix)'!r}: use .json, .toml or .yaml")
    try:
        text = file.read_bytes().decode("utf-8-sig")  # a byte-order mark is what an editor added, not content
        if not text.strip():
            raise ConfigError("the config is empty")
        data = _PARSERS[suffix](text)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read the config: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{file}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except Exception as exc:  # TOML and YAML parse errors carry their own position
        said = " ".join(str(exc).replace('"<unicode string>"', str(file)).split())  # one line, naming the file
        raise ConfigError(f"{file}: invalid {suffix.lstrip('.').upper()}: {_clip(said, 500)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: the config must be a mapping at the top level, got {type(data).__name__}")
    return _checked(data, str(file), {})  # type: ignore[no-any-return]


def _json_loads(text: str) -> Any:
    """JSON whose objects remember a key given twice, and the line of that key."""
    import json.decoder
    import json.scanner

    def parse_object(s_and_end: tuple[str, int], strict: bool, scan_once: Any, *_: Any) -> tuple[_Mapping, int]:
        starts: list[int] = []

        def scan(string: str, index: int) -> Any:  # JSONObject scans each of its values from where it starts
            starts.append(index)
            return scan_once(string, index)

        pairs, end = json.decoder.JSONObject(s_and_end, strict, scan, None, list)  # type: ignore[attr-defined]
        keys = [key for key, _ in pairs]
        def line(index: int) -> int:  # only a colon and blanks stand between a key's closing quote and its value
            return text.count("\n", 0, text.rfind('"', 0, starts[index])) + 1

        return _Mapping(pairs).note_repeats(keys, line), end

    decoder = json.JSONDecoder()
    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]  # the Python scanner honours parse_object
    return decoder.decode(text)


def _yaml_loads(text: str) -> Any:
    """YAML (PyYAML's safe loader) whose mappings remember a key given twice, and its line."""
    try:
        yaml = importlib.import_module("yaml")
    except ImportError:
        raise ConfigError("YAML configs need PyYAML (pip install PyYAML), or a JSON or TOML config") from None

    class Loader(yaml.SafeLoader):  # type: ignore[misc,name-defined]
        pass

    def mapping(loader: Any, node: Any) -> _Mapping:
        own = [key for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge"]  # a merged key may be overridden
        result = _Mapping(loader.construct_mapping(node, deep=True))  # PyYAML's, which merges `<<: *base`
        return result.note_repeats([loader.construct_object(key) for key in own], lambda i: own[i].start_mark.line + 1)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return yaml.load(text, Loader=Loader)


def _toml_loads(text: str) -> Any:
    for name in ("tomllib", "tomli"):  # tomllib is in the standard library from Python 3.11; it refuses repeats
        with contextlib.suppress(ImportError):
            return importlib.import_module(name).loads(text)
    raise ConfigError("TOML configs need Python 3.11 or the tomli package (pip install tomli)")


_PARSERS = {".json": _json_loads, ".toml": _toml_loads, ".yaml": _yaml_loads, ".yml": _yaml_loads}
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _checked(value: Any, file: str, done: dict[int, Any], path: str = "") -> Any:
    """Refuse a key given twice (a mistake, not an override) and fill in ``${VAR}`` and ``${VAR:-default}``."""
    if id(value) in done:  # a shared (YAML alias) value is walked once, not once per path to it
        return done[id(value)]
    if isinstance(value, _Mapping) and value.repeated:
        key, line = value.repeated
        raise ConfigError(f"{file}:{line}: the key {f'{path}.{key}' if path else str(key)!r} is given twice")

    def variable(match: re.Match[str]) -> str:  # from the environment; nothing else is evaluated
        found = os.environ.get(match[1], match[2])
        if found is None:
            raise ConfigError(f"{file}: {path}: the environment variable {match[1]} is not set "
                              f"(write ${{{match[1]}:-default}} to give a default)")
        return found

    result: Any = value
    if isinstance(value, str) and "${" in value:
        result = _VARIABLE.sub(variable, value)
    elif isinstance(value, dict):
        result = {key: _checked(item, file, done, f"{path}.{key}" if path else str(key)) for key, item in value.items()}
    elif isinstance(value, list):
        result = [_checked(item, file, done, f"{path}[{index}]") for index, item in enumerate(value)]
    done[id(value)] = result
    return result


# Options: one reader for every step, driven by the constructor's signature and annotations.


def read_options(cls: type, config: Any) -> dict[str, Any]:
    """Check options against ``cls.__init__``: unknown, missing and mistyped ones are named, one line each."""
    error = InvalidSourceException if issubclass(cls, Source) else ConfigError
    owner = cls.__name__
    if not isinstance(config, dict):
        raise error(f"{owner}: options must be a mapping, got {type(config).__name__}")
    hints, required, takes_any = _parameters(cls)
    if not takes_any:
        _only(config, list(hints), owner, "option", error)
    missing = [name for name in required if name not in config]
    if missing:
        raise error(f"{owner}: option {missing[0]!r} is required")
    for name, value in config.items():
        if not _fits(value, hints.get(name, Any)):
            shown = type(value).__name__ if re.search("token|password|secret", name) else short(value, 40)
            yaml_hint = " (YAML reads yes/no/on/off as booleans: quote the value)" if isinstance(value, bool) else ""
            raise error(f"{owner}: option {name!r} must be {_describe(hints[name])}, got {shown}{yaml_hint}")
    return {name: _as_paths(value, hints.get(name, Any), None) for name, value in config.items()}


def _parameters(cls: type) -> tuple[dict[str, Any], list[str], bool]:
    """A constructor's keyword parameters with their type hints, the required ones, and whether it takes **kwargs."""
    namespace = getattr(vars(cls).get("__init__") or cls.__init__, "__globals__", {})  # type: ignore[misc]
    hints: dict[str, Any] = {}
    required, takes_any = [], False
    for name, parameter in inspect.signature(cls).parameters.items():
        takes_any |= parameter.kind is parameter.VAR_KEYWORD
        if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            continue
        required += [name] if parameter.default is parameter.empty else []
        annotation = Any if parameter.annotation is parameter.empty else parameter.annotation
        try:  # evaluated as typing.get_type_hints would, one at a time: a hint that cannot be read checks nothing
            hints[name] = eval(annotation, namespace) if isinstance(annotation, str) else annotation
        except Exception:  # `X | None` on Python 3.9, or a name the module imports only for type checkers
            hints[name] = Any
    return hints, required, takes_any


def _members(hint: Any) -> tuple[Any, ...]:
    """What a hint allows: each member of a union (``Path | None``), else the hint itself."""
    import types
    import typing

    union = typing.get_origin(hint) in (Union, getattr(types, "UnionType", Union))
    return typing.get_args(hint) if union else (hint,)


_ACCEPTS: dict[Any, Any] = {float: (int, float), Path: (str, os.PathLike), os.PathLike: (str, os.PathLike)}


def _fits(value: Any, hint: Any) -> bool:
    """Whether a config value has the type a parameter's annotation asks for."""
    import typing
    from collections.abc import Mapping

    members, origin, arguments = _members(hint), typing.get_origin(hint), typing.get_args(hint)
    if len(members) > 1:
        return any(_fits(value, member) for member in members)
    if origin is typing.Literal:
        return value in arguments
    if origin is tuple and arguments and arguments[-1] is not Ellipsis:  # tuple[int, str]: one type per place
        return isinstance(value, (list, tuple)) and len(value) == len(arguments) and all(map(_fits, value, arguments))
    if origin in (list, tuple, Sequence, Iterable):
        return isinstance(value, (list, tuple)) and all(_fits(item, (*arguments, Any)[0]) for item in value)
    if origin in (dict, Mapping):
        key, item = arguments or (Any, Any)
        return isinstance(value, dict) and all(_fits(k, key) and _fits(v, item) for k, v in value.items())
    if origin is not None or hint is Any or not isinstance(hint, type):  # a TypeVar, or a hint we do not check
        return True
    if isinstance(value, bool) and hint in (int, float):  # a bool is an int to Python, not to a config
        return False
    return isinstance(value, _ACCEPTS.get(hint, hint))


def _as_paths(value: Any, hint: Any, folder: Path | None) -> Any:
    """A path option (or a list of them) as ``Path``s; relative ones start at ``folder``, the config's."""
    import typing

    for member in _members(hint):
        if isinstance(value, list) and typing.get_origin(member) in (list, tuple, Sequence, Iterable):
            return [_as_paths(item, (*typing.get_args(member), Any)[0], folder) for item in value]
        if isinstance(value, str) and value.strip() and value != "-" and member in (Path, os.PathLike):
            return Path(folder or ".", value)  # "-" is stdout, not a file; an absolute value replaces the folder
    return value


def _describe(hint: Any) -> str:
    """A type hint as a user reads it: ``int``, ``list[str] | None``."""
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "").replace("NoneType", "None")


def _close(word: Any, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` naming the choice closest to a mistyped word, or nothing."""
    import difflib

    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _only(given: dict[Any, Any], valid: list[str], where: str, what: str = "key", error: type = ConfigError) -> None:
    """Refuse a key that is not ``valid``, naming the ones that are and the closest."""
    for key in given:
        if key not in valid:
            named = ", ".join(valid) or "none"
            raise error(f"{where}: unknown {what} {short(key)} (valid {what}s: {named}){_close(key, valid)}")


# Types: a dotted path names a class, or a module whose ServiceSpec names one class per role.


def _import(name: str, key: str) -> Any:
    """The module ``name``, or None when there is no such module; any other import error is a ConfigError."""
    try:
        return importlib.import_module(name) if name else None
    except ModuleNotFoundError as exc:
        if exc.name is None or not name.startswith(exc.name):  # the module exists; something it imports does not
            raise ConfigError(f"{key}: importing {name!r} failed: {exc}") from None
        return None
    except Exception as exc:
        raise ConfigError(f"{key}: importing {name!r} failed: {type(exc).__name__}: {exc}") from exc


def import_class(path: str, key: str = "type", kind: str = "metadata") -> Any:
    """Import ``pkg.module.Class``, or the ``kind`` role of a module's ``ServiceSpec``."""
    if not isinstance(path, str) or not all(part.isidentifier() for part in path.split(".")):
        raise ConfigError(f"{key}: {short(path)} is not a dotted Python path like 'package.module.Class'")
    spec_module = _import(path, key)
    if spec_module is not None:
        spec = getattr(spec_module, "ServiceSpec", None)
        if not isinstance(spec, ServiceSpec):
            raise ConfigError(f"{key}: module {path!r} has no ServiceSpec; name a class in it instead")
        roles = spec.roles()
        if kind not in roles:
            raise ConfigError(f"{key}: the ServiceSpec of {path!r} has no {kind!r} role (it has: {', '.join(roles)})")
        found = roles[kind]
        return import_class(found, f"{key} (ServiceSpec {kind})") if isinstance(found, str) else found
    module_name, _, attribute = path.rpartition(".")
    module = _import(module_name, key)
    if module is None:
        searched = ", ".join(dict.fromkeys(str(Path(folder or ".").resolve()) for folder in sys.path[:2]))
        raise ConfigError(f"{key}: no module named {(module_name or path)!r} (searched {searched} "
                          "and the installed packages)")
    if kind != "metadata":
        raise ConfigError(f"{key}: 'kind' picks a role of a ServiceSpec: name its module, not the class {path!r}")
    if not hasattr(module, attribute):
        close = _close(attribute, [name for name in dir(module) if not name.startswith("_")])
        raise ConfigError(f"{key}: module {module_name!r} has no attribute {attribute!r}{close}")
    return getattr(module, attribute)


class _Builder:
    """Builds a workflow from a config mapping; every error names the file and the key."""

    def __init__(self, workflow_class: type[WorkflowT], origin: str, folder: Path | None) -> None:
        self.workflow_class, self.origin, self.folder = workflow_class, origin, folder

    def workflow(self, config: Any) -> Any:
        """The config's shape first, then every step in order, then the workflow itself."""
        origin = self.origin
        if not isinstance(config, dict):
            raise ConfigError(f"{origin}: the config must be a mapping")
        _only(config, ["source", "processors", "sink", "stage", "bulk_sink", "workflow"], origin)
        processors, settings = config.get("processors", []), config.get("workflow", {})
        if "source" not in config:
            raise ConfigError(f"{origin}: 'source' is required")
        if "sink" in config and "stage" in config:
            raise ConfigError(f"{origin}: give 'sink' or 'stage', not both")
        if "bulk_sink" in config and "stage" not in config:
            raise ConfigError(f"{origin}: 'bulk_sink' loads what a 'stage' wrote, and there is no 'stage'")
        if not isinstance(processors, list):
            raise ConfigError(f"{origin}: processors: must be a list")
        if not isinstance(settings, dict):
            raise ConfigError(f"{origin}: workflow: must be a mapping")
        _only(settings, ["success_threshold", "max_failures_kept"], f"{origin}: workflow")
        with self._importable():
            source = self.step("source", Source, config["source"])
            steps = [self.step(f"processors[{index}]", Processor, entry) for index, entry in enumerate(processors)]
            last = [(key, base) for key, base in (("sink", Sink), ("stage", Stage)) if key in config]
            steps += [self.step(key, base, config[key]) for key, base in last]
            bulk_sink = self.step("bulk_sink", BulkSink, config["bulk_sink"]) if "bulk_sink" in config else None
        try:
            workflow = self.workflow_class(source, steps, bulk_sink, **settings)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{origin}: workflow: {exc}") from None
        workflow.service_spec = getattr(sys.modules.get(config["source"]["type"]), "ServiceSpec", None)  # for `check`
        return workflow

    @contextlib.contextmanager
    def _importable(self) -> Iterator[None]:
        """Modules named by ``type`` are looked for in the current folder, then in the config's folder."""
        added = [folder for folder in (os.getcwd(), str(self.folder or "")) if folder and folder not in sys.path]
        sys.path[:0] = added
        try:
            yield
        finally:
            for folder in added:
                sys.path.remove(folder)

    def step(self, key: str, base: type[Step], entry: Any) -> Any:
        """One step: the class its ``type`` names, built by ``Class.create(options)``, with its ``name``."""
        where = f"{self.origin}: {key}"
        if not isinstance(entry, dict) or "type" not in entry:
            raise ConfigError(f"{where}: must be a mapping with a 'type'")
        _only(entry, ["type", "options", "name", *(["service_name", "kind"] if base is Source else [])], where)
        role, options, name = entry.get("kind", "metadata"), entry.get("options"), entry.get("name")
        if role not in ROLES:
            raise ConfigError(f"{where}.kind: {short(role)} is not a role (one of {', '.join(ROLES)})")
        if not isinstance(options, (dict, type(None))):
            raise ConfigError(f"{where}.options: must be a mapping, got {short(options)}")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ConfigError(f"{where}.name: must be a non-empty string, got {short(name)}")
        cls = import_class(entry["type"], f"{where}.type", role)
        if not (isinstance(cls, type) and issubclass(cls, base)):
            by_role = entry["type"] in sys.modules  # the type named a module, whose ServiceSpec named the class
            named = f"the {role} role of {entry['type']!r}, {short(cls)}," if by_role else repr(entry["type"])
            raise ConfigError(f"{where}.type: {named} is not a {base.__name__} class")
        hints, _, takes_any = _parameters(cls)
        options, service_name = options or {}, entry.get("service_name")
        if service_name is not None and ("service_name" in hints or takes_any):
            options = {"service_name": service_name, **options}  # the source's, for a source that takes one
        elif service_name is not None:
            logger().debug("%s takes no service_name: %r is not passed on", cls.__name__, service_name)
        if self.folder is not None:  # relative paths start at the config's folder, wherever minigest runs
            options = {key: _as_paths(value, hints.get(key, Any), self.folder) for key, value in options.items()}
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


class Collected(NamedTuple):  # a named tuple, not an attrs class: cheaper to define at import time
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
    collector = Collector()
    target.execute(limit=limit, observers=[collector])
    failures = [failure for step in target.all_steps() for failure in step.status.failures]
    return Collected(collector.rights, failures, target.source.status, {s.name: s.status for s in target.all_steps()})


# --- Command line -----------------------------------------------------------

EXIT_CODES = """exit codes:
  0    the run completed and no step fell below the success threshold
  1    a step fell below the threshold, or the run stopped early (a fatal error)
  2    a bad config, option or command line
  3    minigest could not write its own output (--status-file, --failures)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM)"""


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: close everything, report, exit 143."""


def main(argv: Sequence[str] | None = None) -> int:
    """``minigest run CONFIG`` and ``minigest check CONFIG``; returns the exit code."""
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:  # from the first line on, Ctrl-C is an exit code, not a traceback
        sys.stderr.write("minigest: interrupted\n")
        return 143 if isinstance(exc, Terminated) else 130
    except SystemExit as exc:  # argparse's way of saying --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2


def _main(argv: Sequence[str] | None) -> int:
    """Run or check the config, with SIGTERM handled as Ctrl-C and the minigest logger writing to stderr."""
    import logging
    import signal
    import threading

    def terminate(number: int, frame: Any) -> None:
        raise Terminated("SIGTERM")

    in_main_thread = threading.current_thread() is threading.main_thread()  # only it may handle signals
    previous = signal.signal(signal.SIGTERM, terminate) if in_main_thread else None
    handler = logging.StreamHandler(sys.stderr)
    try:
        args = _arguments(argv)
        for stream in (sys.stdout, sys.stderr):  # a name with bytes that are not text is escaped, never a crash
            with contextlib.suppress(AttributeError, ValueError):
                stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        handler.setFormatter(logging.Formatter("minigest: %(levelname)s: %(message)s"))
        logger().addHandler(handler)
        logger().setLevel(logging.DEBUG if args.debug else logging.INFO if args.verbose else
                          logging.ERROR if args.quiet else logging.WARNING)
        try:
            workflow = Workflow.from_file(args.config)
            return _check(workflow) if args.command == "check" else _run(workflow, args)
        except Exception as exc:
            return _fail(exc, args.debug)
    finally:
        logger().removeHandler(handler)
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _arguments(argv: Sequence[str] | None) -> Any:
    """The command line, parsed and checked; a mistake is one line and SystemExit(2), as argparse does."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_usage(sys.stderr)
        parser.exit(2)
    if args.command == "run":
        if args.limit is not None and args.limit < 0:
            parser.error("--limit must be 0 or more")
        for option, path in (("--status-file", args.status_file), ("--failures", args.failures)):
            if path and (Path(path).is_dir() or not Path(path).parent.is_dir()):
                parser.error(f"{option} {path}: not a file in a folder that exists")
        if args.status_file and Path(args.status_file).exists() and not Path(args.status_file).is_file():
            parser.error(f"--status-file {args.status_file}: not a regular file (it would be replaced)")
    return args


def _parser() -> Any:
    """``minigest``'s commands and options; ``--help`` ends with an example and the exit codes."""
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> Any:  # one line, as every other error
            self.exit(2, f"minigest: error: {message} (see minigest --help)\n")

    def helped(example: str, exit_codes: str = "\n\n" + EXIT_CODES) -> Any:  # --help ends with an example
        return {"epilog": f"example:\n  minigest {example}{exit_codes}",
                "formatter_class": argparse.RawDescriptionHelpFormatter}

    parser = Parser(prog="minigest", description="Run or check a minigest workflow config.",
                    **helped("run connectors/samples/csv_catalog.json"))
    parser.add_argument("--version", action="version", version=f"minigest {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{run,check}")
    run = commands.add_parser("run", help="run the workflow a config describes",
                              **helped("run connectors/samples/csv_catalog.json --status-file run.json"))
    check = commands.add_parser("check", help="build every step, test the connection, show what would run",
                                **helped("check connectors/samples/csv_catalog.json", exit_codes=""))
    for command in (run, check):
        command.add_argument("config", help="a .json, .toml or .yaml config file")
        command.add_argument("--debug", action="store_true", help="show the traceback of an error")
        command.add_argument("-v", "--verbose", action="store_true", help="log what minigest and connectors do")
        command.add_argument("-q", "--quiet", action="store_true", help="log errors only")
    run.add_argument("--status-file", metavar="PATH", help="write the run's status as JSON to PATH")
    run.add_argument("--trace", action="store_true", help="follow each record through every step (stderr)")
    run.add_argument("--limit", type=int, metavar="N", help="stop after N source records")
    run.add_argument("--dry-run", action="store_true", help="run the source and processors only")
    run.add_argument("--failures", metavar="PATH", help="write every failure with its input as JSON lines to PATH")
    run.add_argument("--keep-partial", action="store_true", help="on Ctrl-C, keep the outputs written so far")
    return parser


def _fail(exc: BaseException, debug: bool) -> int:
    """One line on stderr; 2 for a config problem, 3 for minigest's own output, 1 for a run that stopped."""
    if debug:
        import traceback

        traceback.print_exc()
    sys.stderr.write(f"minigest: error: {_one_line(exc)}\n")
    return 2 if isinstance(exc, ConfigError) else 3 if isinstance(exc, OutputError) else 1


def _one_line(exc: BaseException) -> str:
    """An error as one bounded line: minigest's own say what and where, any other is named by its type."""
    text = str(exc) if isinstance(exc, MinigestError) else f"{type(exc).__name__}: {exc}"
    return _clip(" ".join(text.split()), 1000)


def _check(workflow: Workflow) -> int:
    """Test each connection (the source's, and any sink's that has one), close every step, say what would run."""
    failed: tuple[Step, Exception] | None = None
    for step in workflow.all_steps():
        try:
            if callable(getattr(step, "test_connection", None)):
                step.test_connection()  # type: ignore[attr-defined]
        except Exception as exc:
            failed = (step, exc)
            break
    _close_all(workflow.all_steps())  # closed without a commit, so no output is written
    for step in workflow.all_steps():
        print(f"{_kind(step):<10} {step.name} ({type(step).__module__}.{type(step).__qualname__})")
    print(f"threshold  {workflow.success_threshold:g}%")
    if workflow.service_spec is not None:
        print(f"roles      {', '.join(workflow.service_spec.roles())} (the source's 'kind' picks one)")
    if getattr(workflow.source, "topology", None) is not None:
        print(render_topology(workflow.source.topology))  # type: ignore[attr-defined]
    if failed is None:
        print("connection ok")
        return 0
    step, problem = failed
    print(f"connection failed: {'' if isinstance(problem, MinigestError) else f'{step.name}: '}{_one_line(problem)}")
    return 2 if isinstance(problem, ConfigError) else 1  # a missing path is a config error, as in `run`


def _run(workflow: Workflow, args: Any) -> int:
    """Execute, then print the report and write the status file whatever happened; returns the exit code."""
    progress = sys.stderr if sys.stderr.isatty() and not args.trace else None  # one line that updates, on a terminal
    try:
        workflow.execute(limit=args.limit, dry_run=args.dry_run, trace=sys.stderr if args.trace else None,
                         failures=args.failures, progress=progress, keep_partial=args.keep_partial)
        code = workflow.exit_code()
    except KeyboardInterrupt as exc:
        code = 143 if isinstance(exc, Terminated) else 130
    except ConfigError as exc:  # found when the source prepared (a missing path): say which config
        code = _fail(type(exc)(f"{args.config}: source: {exc}"), args.debug)
    except Exception as exc:
        code = _fail(exc, args.debug)
    to_stdout = any(isinstance(step, JsonLinesSink) and step.path is None for step in workflow.steps)
    with contextlib.suppress(BrokenPipeError):
        workflow.print_status(sys.stderr if to_stdout else sys.stdout)  # keep stdout for the records
    if args.status_file:
        import json

        writer: AtomicWriter | None = None
        try:
            writer = AtomicWriter(args.status_file)
            json.dump({**workflow.status_dict(), "exit_code": code}, writer.file, indent=2, ensure_ascii=True)
            writer.commit()
        except OSError as exc:
            if writer is not None:  # a full disk while writing: no temporary file is left behind
                writer.discard()
            sys.stderr.write(f"minigest: error: --status-file {args.status_file}: {exc.strerror or exc}\n")
            code = code or 3
    return code


if __name__ == "__main__":
    sys.modules.setdefault("minigest", sys.modules[__name__])  # configs naming minigest.X get these classes
    sys.exit(main())
