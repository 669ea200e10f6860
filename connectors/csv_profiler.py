"""The CSV data connector's profiler and sampler roles: one profile, or one sample, per data file.

Both are sources that walk the same topology as ``CsvDataConnector`` (same
files, filters, table names and fully qualified names) but yield, for each
table the metadata role would yield, a ``TableProfile`` or a ``SampleData``
instead: no service, database, schema or ``Contents``.

How a file is read: the metadata role infers the column types first (its
``sample_rows`` rule, its warnings), then one streaming pass reads every row
with the same null and type rules. A value past the inference sample that
does not fit its column's type is still a value (counted, distinct), left out
of min, max, mean, sum and stddev, and said in a warning.
"""

from __future__ import annotations

import abc
import contextlib
import datetime
import gc
import itertools
import json
import math
import operator
import random
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Callable, NamedTuple

from connectors.base import DatabaseSource, failure
from connectors.csv_data import CsvDataConnector, csv_rows
from connectors.csv_files import CsvFileError
from connectors.csv_types import (
    _CLOCK,
    _SURE_DATE,
    _ZONE,
    ACCEPTS,
    BIGINT,
    BOOLEAN,
    DATE,
    DOUBLE,
    INT,
    NULLS,
    STRING,
    TIME,
    TIMESTAMP,
)
from connectors.models import Contents, SampleData, Table, TableProfile
from connectors.profiling import (
    DEFAULT_MAX_DISTINCT_VALUES,
    DEFAULT_SKETCH_SIZE,
    ColumnAccumulator,
    first_rows,
    reservoir_sample,
)
from minigest import Either, InvalidSourceException

__all__ = ["CsvProfiler", "CsvSampler", "TableRole", "profile_table", "sample_table", "timestamp_key"]

# Rows profiled at a time: per-batch work is amortised, and a bigger batch transposes slower (CPU cache).
PROFILE_BATCH_ROWS = 1024
DISTINCT_CHECK_AT = 16_384  # cells counted before a column that is nearly all distinct is decoded as it comes


# --- The walk: the metadata role's topology, keeping only what comes of the tables ----------


class TableRole(DatabaseSource):
    """A DatabaseSource for a role that yields one record per table (a profile, a sample).

    The service, database and schema stages still run (their failures and
    filters are the metadata role's), and their names still go into the
    topology context, so fully qualified names are the same; only the entities
    themselves, and the ``Contents`` lists, are not yielded.
    """

    def yield_database_service(self, name: str) -> Iterator[Either[Any]]:
        yield from self._names_only("database_service", super().yield_database_service(name))

    def yield_database(self, name: str) -> Iterator[Either[Any]]:
        yield from self._names_only("database", super().yield_database(name))

    def yield_database_schema(self, name: str) -> Iterator[Either[Any]]:
        yield from self._names_only("database_schema", super().yield_database_schema(name))

    def yield_schema_contents(self) -> Iterator[Either[Contents]]:
        """No mark-deleted lists: a profile run says nothing about which tables exist."""
        return iter(())

    def yield_database_contents(self) -> Iterator[Either[Contents]]:
        return iter(())

    def _names_only(self, key: str, results: Iterable[Either[Any]]) -> Iterator[Either[Any]]:
        """Pass on failures; for an entity, set its context name (as the walk would) and drop it."""
        for result in results:
            if result.left is not None:
                yield result
            else:
                self.context.set(key, getattr(result.right, "name", result.right))


class _CsvRole(TableRole, CsvDataConnector):
    """What the CSV profiler and sampler share: the data connector's options and walk."""

    def yield_table(self, path: Path) -> Iterator[Either[Any]]:
        """The metadata role's table (types, warnings, failures), then this role's record for it."""
        for result in super().yield_table(path):
            if result.left is not None:
                yield result
                continue
            table = result.right
            assert table is not None
            try:
                yield Either(right=self.describe(path, table))
            except CsvFileError as exc:
                yield failure(table.name, str(exc))

    @abc.abstractmethod
    def describe(self, path: Path, table: Table) -> Any:
        """This role's record for one file, whose table the metadata role gave."""


class CsvProfiler(_CsvRole):
    """One ``TableProfile`` per data file: row and column counts, and every column's metrics."""

    def __init__(self, max_distinct_values: int = DEFAULT_MAX_DISTINCT_VALUES, **options: Any) -> None:
        super().__init__(**options)
        if max_distinct_values < 1:
            raise InvalidSourceException(f"{self.name}: option 'max_distinct_values' must be at least 1")
        self.max_distinct_values = max_distinct_values

    def describe(self, path: Path, table: Table) -> TableProfile:
        profile, warnings = profile_table(path, table, self.max_distinct_values)
        for warning in warnings:
            self.status.warning(table.name, f"{path}: {warning}")
        return profile


class CsvSampler(_CsvRole):
    """One ``SampleData`` per data file: the first rows, or a uniform random sample of the whole file.

    ``sample_data_count`` rows (OpenMetadata's option, default 50);
    ``randomized_sample`` false takes the first rows, true (the default) a
    reservoir sample of all rows in one pass, repeatable with ``seed``.
    Values are typed as the column types say (numbers, booleans, null).
    """

    def __init__(
        self, sample_data_count: int = 50, randomized_sample: bool = True, seed: int | None = None, **options: Any
    ) -> None:
        super().__init__(**options)
        if sample_data_count < 0:
            raise InvalidSourceException(f"{self.name}: option 'sample_data_count' must be >= 0")
        self.sample_data_count = sample_data_count
        self.randomized_sample = randomized_sample
        self.seed = seed

    def describe(self, path: Path, table: Table) -> SampleData:
        # One generator per table, seeded from the seed and the table: adding a file changes no other sample.
        rng = random.Random(f"{self.seed}/{table.name}") if self.seed is not None else random.Random()
        return sample_table(path, table, self.sample_data_count, rng if self.randomized_sample else None)


# --- Reading a file's rows -------------------------------------------------


@contextlib.contextmanager
def data_rows(path: Path) -> Iterator[Iterator[list[str]]]:
    """The file's data rows (the header skipped, blank lines too), read as the metadata role reads them."""
    with csv_rows(path) as (rows, _, _):
        next(rows, None)  # the header
        yield rows


# --- Profiling ------------------------------------------------------------------


def profile_table(path: Path, table: Table, max_distinct_values: int = DEFAULT_MAX_DISTINCT_VALUES,
                  sketch_size: int = DEFAULT_SKETCH_SIZE) -> tuple[TableProfile, list[str]]:
    """Profile every row of ``path`` under the table's column types: the profile, and warnings."""
    timestamp = int(time.time() * 1000)
    columns = [_CsvColumn(column.name, column.data_type, max_distinct_values, sketch_size) for column in table.columns]
    width = len(columns)
    row_count = 0
    with data_rows(path) as rows, cyclic_gc_paused():
        while True:
            batch = list(itertools.islice(rows, PROFILE_BATCH_ROWS))
            if not batch:
                break
            # zip() stops at the shortest row: if that has ``width`` cells or more, the first ``width``
            # columns are those of the evened rows (extra cells cut), with no pass to check the lengths.
            cells = list(zip(*batch))
            if len(cells) < width:  # a short row: padded with nulls
                cells = list(zip(*[even(row, width) for row in batch]))
            for column, values in zip(columns, cells):
                column.add(values)
            row_count += len(batch)
    for column in columns:
        column.finish()
    warnings = [warning for column in columns for warning in column.warnings()]
    profile = TableProfile(
        table_fqn=table.fqn,
        timestamp=timestamp,
        row_count=row_count,
        column_count=width,
        columns=[column.accumulator.result(column.name, row_count) for column in columns],
    )
    return profile, warnings


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the block runs, then leave it as the caller had it.

    A batch holds 1,024 rows (lists) at once, so the collector's young generation fills (at 700
    objects) once or twice a batch, and it walks each batch's rows, and some again when they are
    older, only to find no cycle: about 7% of a profile. Rows are freed by their reference counts
    all the same, so memory stays flat. Like csv's field limit, the switch is process-wide: it is
    set for the pass only and restored after it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def even(row: list[str], width: int) -> list[str]:
    """A row with exactly ``width`` cells: a short one padded with nulls, a long one cut (as inference does)."""
    return row if len(row) == width else (row + [""] * width)[:width]



# Streaming checks of a "\n"-joined batch, each exact together with the step after it:
# numbers are only these characters and then convert (int() and float() refuse the rest);
# the others are searched for a line that is not a value (None: every line is one).
_NUMBER_CHARS = {
    INT: re.compile(r"[0-9+\-\n]*"), BIGINT: re.compile(r"[0-9+\-\n]*"), DOUBLE: re.compile(r"[0-9.eE+\-\n]*"),
}
_INT_RANGE = {INT: (-(2**31), 2**31 - 1), BIGINT: (-(2**63), 2**63 - 1)}
# Every null but "" starts with one of these: a batch whose text has none of them (and no empty cell) has no null.
_NULL_INITIALS = frozenset(null[0] for null in NULLS if null)


class _Ints(NamedTuple):
    """An integer batch decoded by the fast check, with the (min, max) its range check found."""

    values: list[int]
    extremes: tuple[int, int]
_NOT_A_VALUE = {
    data_type: re.compile(f"^(?!(?:{pattern})$)", re.MULTILINE)
    for data_type, pattern in {
        DATE: _SURE_DATE, TIMESTAMP: _SURE_DATE + r"(?:[T ]" + _CLOCK + _ZONE + r"?)?", TIME: _CLOCK,
    }.items()
}


class _CsvColumn:
    """One column of a file: its cells, counted as text, then decoded for its accumulator.

    While the column has at most ``max_distinct_values`` distinct cells they
    are only counted (a Counter, in C), and each distinct cell is decoded once
    at the end, its metrics weighted by its count: exact, and cheap for the
    codes, flags, dates and small numbers most columns hold. Past the budget
    (or once nine in ten of its first 16,384 cells are distinct) the counted cells are
    decoded once and every later batch is decoded as it comes (vectorised),
    its values going into the accumulator's distinct counter: exact up to the
    budget, then a sketch.
    """

    def __init__(self, name: str, data_type: str, max_distinct_values: int, sketch_size: int) -> None:
        self.name = name
        self.data_type = data_type
        order_key = timestamp_key if data_type == TIMESTAMP else None
        self.accumulator = ColumnAccumulator(data_type, max_distinct_values, sketch_size, order_key)
        self.accepts: Callable[[str], bool] | None = ACCEPTS.get(data_type)
        self.raw: Counter[str] | None = Counter()
        self.cells_counted = 0
        self.budget = max_distinct_values + len(NULLS)
        self.misfits = 0
        self.misfit_example = ""
        self.known_dates: set[str] = set()

    def add(self, cells: Sequence[str]) -> None:
        """One batch of the column's cells."""
        raw = self.raw
        if raw is None:
            self._stream(cells)
            return
        raw.update(cells)
        seen = self.cells_counted = self.cells_counted + len(cells)
        # Past the budget, or 16,384 cells in and still nine in ten distinct (ids, amounts, times):
        # counting the text would not save decoding them one by one, so decode as they come.
        if len(raw) > self.budget or (seen - len(cells) < DISTINCT_CHECK_AT <= seen and len(raw) * 10 > seen * 9):
            self.finish()

    def finish(self) -> None:
        """Decode the counted cells, once each (called at the end, or when the budget runs out)."""
        raw, self.raw = self.raw, None
        if raw is None:
            return
        accumulator = self.accumulator
        accumulator.null_count += sum(raw.pop(null, 0) for null in NULLS)
        cells = list(raw)
        counts = list(raw.values())
        accumulator.values_count += sum(counts)
        if cells:
            self._decode(cells, counts)

    def _stream(self, cells: Sequence[str]) -> None:
        """A batch past the budget: nulls counted, then the values decoded as they come."""
        accumulator = self.accumulator
        joined = None
        if self.accepts is not None:
            # A typed column's batch is joined for its check anyway: text searches of the joined batch
            # for an empty line and for the first letters of the nulls tell it holds no null, without
            # hashing every cell (NULLS.isdisjoint), which numbers and dates only need for this. (A cell
            # holding a line break may look like an empty one: that batch only takes the path below.)
            joined = "\n".join(cells)
            empty_cell = not joined or joined[0] == "\n" or joined[-1] == "\n" or "\n\n" in joined
            if not empty_cell and not any(initial in joined for initial in _NULL_INITIALS):
                accumulator.values_count += len(cells)
                self._decode(cells, None, joined)
                return
        values: Sequence[str] = cells
        if not NULLS.isdisjoint(cells):
            values = list(itertools.filterfalse(NULLS.__contains__, cells))
            accumulator.null_count += len(cells) - len(values)
            joined = None  # joined with the nulls
        accumulator.values_count += len(values)
        if values:
            self._decode(values, None, joined)

    def _decode(self, cells: Sequence[str], counts: Sequence[int] | None, joined: str | None = None) -> None:
        """Non-null cells (each once, or ``counts[i]`` times) into the accumulator; misfits apart.

        ``joined``: the cells joined by line breaks, when the caller has joined them already.
        """
        fit, decoded = self._batch_fits(cells, joined)
        if not fit:
            assert self.accepts is not None
            fits = list(map(self.accepts, cells))
            if not all(fits):
                weights = counts if counts is not None else [1] * len(cells)
                misfits = list(map(operator.not_, fits))
                self._misfits(list(itertools.compress(cells, misfits)), list(itertools.compress(weights, misfits)))
                cells = list(itertools.compress(cells, fits))
                counts = None if counts is None else list(itertools.compress(counts, fits))
            if not cells:
                return
            decoded = None
        self._decoded(cells, counts, decoded)

    def _batch_fits(self, values: Sequence[str], joined: str | None = None) -> tuple[bool, Any]:
        """Whether every value fits the column type, checked on the whole batch at once.

        Also gives what the check found: the numbers, or for dates and times
        whether the batch sorts as text. ``joined``: the values joined by line breaks, if done already.
        """
        data_type = self.data_type
        if self.accepts is None:
            return True, None  # text: everything fits
        if joined is None:
            joined = "\n".join(values)
        if joined.count("\n") != len(values) - 1:
            return False, None  # a cell holding a line break: the value-by-value check decides
        chars = _NUMBER_CHARS.get(data_type)
        if chars is not None:
            if chars.fullmatch(joined) is None:
                return False, None
            try:
                numbers: list[Any] = _integers(values, joined) if data_type in _INT_RANGE else list(map(float, values))
            except ValueError:
                return False, None
            if data_type in _INT_RANGE:
                low, high = _INT_RANGE[data_type]
                extremes = min(numbers), max(numbers)
                if extremes[0] < low or extremes[1] > high:
                    return False, None
                return True, _Ints(numbers, extremes)  # the range check found min and max: kept for the stats
            return True, numbers
        if data_type in _ISO_FIELDS:
            uniform = uniform_iso_batch(values, joined, data_type, self.known_dates)
            if uniform:
                return True, uniform == 2
            return _NOT_A_VALUE[data_type].search(joined) is None, data_type != TIMESTAMP
        return False, None  # booleans: value by value (a column holds few distinct ones)

    def _misfits(self, cells: Sequence[str], counts: Sequence[int]) -> None:
        """Values that do not fit the column type: values all the same, told apart by their text."""
        if not self.misfits:
            self.misfit_example = cells[0]
        self.misfits += sum(counts)
        self.accumulator.distinct.add_counts(cells, counts)

    def _decoded(self, cells: Sequence[str], counts: Sequence[int] | None, decoded: Any) -> None:
        """Fitting, non-null cells into the accumulator; ``decoded`` is what _batch_fits found."""
        accumulator = self.accumulator
        data_type = self.data_type
        keys: Sequence[Any] = cells
        apart: Sequence[str] = ()  # keys of another type than ``keys``: NaN and infinities as text
        apart_counts: Sequence[int] | None = None
        if data_type in (INT, BIGINT):
            assert accumulator.numbers is not None
            if decoded is not None:
                keys = decoded.values
                accumulator.numbers.add_ints(keys, counts, decoded.extremes)
            else:
                keys = list(map(_integer, cells))
                accumulator.numbers.add_ints(keys, counts)
        elif data_type == DOUBLE:
            assert accumulator.numbers is not None
            extremes = None
            if decoded is not None:
                # Read from digits, signs, points and exponents only, so no NaN: the batch is all finite
                # exactly when its least and greatest values are (an overflow to infinity is one of them).
                keys = decoded
                extremes = min(keys), max(keys)
                all_finite = math.isfinite(extremes[0]) and math.isfinite(extremes[1])
            else:
                keys = list(map(float, cells))
                all_finite = all(map(math.isfinite, keys))  # checked once here, not again by add_floats
            accumulator.numbers.add_floats(keys, counts, finite=all_finite, extremes=extremes if all_finite else None)
            if not all_finite:  # NaN is never equal to itself: these are told apart by their text
                finite = list(map(math.isfinite, keys))
                others = list(map(operator.not_, finite))
                apart = [repr(number) for number in itertools.compress(keys, others)]
                apart_counts = None if counts is None else list(itertools.compress(counts, others))
                keys = list(itertools.compress(keys, finite))
                counts = None if counts is None else list(itertools.compress(counts, finite))
        elif data_type == BOOLEAN:
            keys = list(map(str.lower, cells))  # TRUE and true are one value
        elif accumulator.extremes is not None:
            # ISO dates and times, and timestamps written alike in one zone, sort as text: two
            # comparisons by key per batch. Other timestamps are each parsed to their UTC instant.
            if decoded:
                accumulator.extremes.add_extremes(min(cells), max(cells))
            else:
                accumulator.extremes.add(cells)
        elif accumulator.lengths is not None:
            accumulator.lengths.add(cells)
        distinct = accumulator.distinct
        for chosen, weights in ((keys, counts), (apart, apart_counts)):
            if chosen:
                if weights is None:
                    distinct.add(chosen)
                else:
                    distinct.add_counts(chosen, weights)

    def warnings(self) -> Iterator[str]:
        """What the reader should know about this column's profile."""
        accumulator = self.accumulator
        if self.misfits:
            yield (f"column {self.name!r}: {self.misfits} values (such as {self.misfit_example[:40]!r}) do not "
                   f"fit its type {self.data_type}, inferred from the first rows: they count as values but "
                   "are left out of min, max, mean, sum and stddev (sample_rows 0 infers from all rows)")
        if accumulator.distinct.estimated:
            sketch = accumulator.distinct.sketch_size
            yield (f"column {self.name!r} has more than {accumulator.distinct.max_distinct_values:,} distinct "
                   f"values (max_distinct_values): distinctCount and uniqueCount are estimates "
                   f"(a {sketch}-hash sketch, typically within {200 / math.sqrt(sketch):.0f}%)")
        numbers = accumulator.numbers
        if numbers is not None and numbers.non_finite:
            yield (f"column {self.name!r}: {numbers.non_finite} values are NaN or infinite: they count as "
                   "values but are left out of min, max, mean, sum and stddev")
        if numbers is not None and numbers.count and numbers.total() is None:
            yield f"column {self.name!r}: the sum is beyond the range of a double; sum is left out"


# The fields of the ISO forms, to check a batch of values written alike position by position.
_ISO_FIELDS = {
    DATE: re.compile(r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"),
    TIME: re.compile(r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.[0-9]+)?)?"),
    TIMESTAMP: re.compile(
        r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
        r"(?::(?P<second>[0-9]{2})(?:\.[0-9]+)?)?(?:Z|[+-](?P<zone_hour>[0-9]{2}):?(?P<zone_minute>[0-9]{2}))?)?"
    ),
}
_KNOWN_DATES_MAX = 50_000  # real calendar dates remembered per column, so each is checked once
_cut: Callable[[str, slice], str] = operator.getitem  # text[slice], mapped in C
# Every ASCII digit as "0": a batch written alike translates to its first value's shape, repeated.
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_DIGIT_TABLES: dict[str, bytes] = {}


def _lines_with(data: bytes, at: int, step: int, digits: str) -> int:
    """A bit mask of the lines whose character at ``at`` is one of ``digits``: one byte per line, 1 or 0.

    ``translate`` turns the strided column into those bytes and ``int.from_bytes``
    into one number, so "some line has a 2 here and a 4 or more next" is one ``&``
    of two such masks: a field's range checked for a whole batch in a few C calls.
    """
    table = _DIGIT_TABLES.get(digits)
    if table is None:
        table = _DIGIT_TABLES[digits] = bytes(1 if chr(code) in digits else 0 for code in range(256))
    return int.from_bytes(data[at::step].translate(table), "big")


def uniform_iso_batch(values: Sequence[str], joined: str, data_type: str, known_dates: set[str]) -> int:
    """Check a batch of ISO values written alike without a regex per value.

    When every value has the first one's length, digits where it has digits
    and its other characters, each field is checked once per batch on the
    column of characters it occupies (a strided slice of the joined bytes):
    hours at most 23, minutes and seconds at most 59, and each distinct date
    a real one. 0: not written alike (or not valid), ask the regex. 1: all
    valid. 2: all valid and in one zone, so they sort as text.
    """
    first, count = values[0], len(values)
    width = len(first)
    step = width + 1
    if len(joined) != count * step - 1 or not joined.isascii():
        return 0
    fields = _ISO_FIELDS[data_type].fullmatch(first)
    if fields is None:
        return 0
    data = joined.encode("ascii")  # bytes: strided slices and translate, without Unicode tables
    # The shape of every line at once: one C pass maps each digit to "0", and the batch is written
    # alike exactly when that equals the first value's shape repeated (the newlines included).
    shape = first.encode("ascii").translate(_DIGITS_AS_ZERO) + b"\n"
    if data.translate(_DIGITS_AS_ZERO) != (shape * count)[:-1]:
        return 0
    spans = {name: fields.start(name) for name, value in fields.groupdict().items() if value is not None}

    def lines_with(field: str, offset: int, digits: str) -> int:
        return _lines_with(data, spans[field] + offset, step, digits)

    for name in ("hour", "zone_hour"):  # above 23: a tens digit of 3 or more, or a 2 then 4 or more
        if name in spans and (
            lines_with(name, 0, "3456789") or lines_with(name, 0, "2") & lines_with(name, 1, "456789")
        ):
            return 0
    for name in ("minute", "second", "zone_minute"):  # above 59: a tens digit of 6 or more
        if name in spans and lines_with(name, 0, "6789"):
            return 0
    # A date with month 01-12, day 01-28 and a year other than 0000 is real in every calendar: no
    # date to check one by one. Only a batch with another (days 29 to 31) checks its distinct dates.
    if "date" in spans and (
        lines_with("date", 0, "0") & lines_with("date", 1, "0") & lines_with("date", 2, "0")
        & lines_with("date", 3, "0")
        or lines_with("date", 5, "23456789") or lines_with("date", 5, "0") & lines_with("date", 6, "0")
        or lines_with("date", 5, "1") & lines_with("date", 6, "3456789")
        or lines_with("date", 8, "3456789") or lines_with("date", 8, "0") & lines_with("date", 9, "0")
        or lines_with("date", 8, "2") & lines_with("date", 9, "9")
    ):
        dates = set(map(_cut, values, itertools.repeat(slice(0, 10))))
        is_date = ACCEPTS[DATE]
        for date in dates.difference(known_dates):
            if not is_date(date):
                return 0
            if len(known_dates) < _KNOWN_DATES_MAX:
                known_dates.add(date)
    if "zone_hour" in spans:
        # One zone when every character of the offset is the same on every line.
        for position in range(spans["zone_hour"] - 1, width):
            column = data[position::step]
            if column != column[:1] * count:
                return 1  # several offsets: the text order is not the time order
    return 2


_TIMESTAMP_PARTS = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?"
    r"(Z|([+-])([0-9]{2}):?([0-9]{2}))?)?"
)


def timestamp_key(value: str) -> tuple[datetime.datetime, str]:
    """A sort key for a TIMESTAMP cell: its UTC instant (no zone: taken as UTC), then its fraction.

    The fraction is compared as text ('5' > '45', as .5 > .45), so digits
    beyond microseconds still order correctly.
    """
    match = _TIMESTAMP_PARTS.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not a timestamp")
    year, month, day, hour, minute, second, fraction, _zone, sign, zone_hours, zone_minutes = match.groups()
    instant = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    if sign is not None:
        offset = datetime.timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
        instant = instant - offset if sign == "+" else instant + offset
    return instant, fraction or ""


# --- Sampling -------------------------------------------------------------------


def sample_table(path: Path, table: Table, size: int, rng: random.Random | None) -> SampleData:
    """``size`` rows of ``path``: a uniform random sample (given ``rng``) or the first rows, typed."""
    width = len(table.columns)
    with data_rows(path) as rows:
        picked = first_rows(rows, size) if rng is None else reservoir_sample(rows, size, rng)
    chosen = [even(row, width) for row in picked]
    converters = [_typed_value(column.data_type) for column in table.columns]
    return SampleData(
        table_fqn=table.fqn,
        columns=tuple(column.name for column in table.columns),
        rows=[[convert(cell) for convert, cell in zip(converters, row)] for row in chosen],
    )


def _integers(cells: Sequence[str], joined: str) -> list[int]:
    """The integers of a batch that passed the integer character check (``joined``: its cells by line).

    json's C scanner reads the whole batch as one array, a fifth faster than int() cell by cell; it
    reads exactly the plain integers (-?digits, no leading zero), as int() does. Anything else ("+5",
    "007", "1-2") it refuses, and int() decides cell by cell (raising ValueError for a non-integer).
    The character check lets no comma in, so the array has one number per cell.
    """
    try:
        numbers: list[int] = json.loads("[" + joined.replace("\n", ",") + "]")
    except ValueError:
        return list(map(int, cells))
    return numbers


def _integer(cell: str) -> int:
    """An INT or BIGINT cell as an int; leading zeros go first (int() refuses over 4,300 digits)."""
    sign = "-" if cell[0] == "-" else ""
    return int(sign + (cell.lstrip("+-").lstrip("0") or "0"))


def _typed_value(data_type: str) -> Callable[[str], Any]:
    """How a cell becomes a JSON value: null, a number, a boolean, or text (dates, times, misfits)."""
    accepts = ACCEPTS.get(data_type)

    def convert(cell: str) -> Any:
        if cell in NULLS:
            return None
        if accepts is None or data_type == STRING or not accepts(cell):
            return cell  # text, dates and times as written; a value that does not fit stays text
        if data_type in (INT, BIGINT):
            return _integer(cell)
        if data_type == DOUBLE:
            number = float(cell)
            return number if math.isfinite(number) else cell  # JSON has no NaN or infinity
        if data_type == BOOLEAN:
            return cell.lower() == "true"
        return cell

    return convert
