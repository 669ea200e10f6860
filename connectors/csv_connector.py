"""Two CSV connectors: a catalog that lists tables, and a folder of data files.

``CsvConnector`` reads a catalog CSV with the columns
``name,column_names,column_types`` (the lists split by ``;``): one table per
row, the types given. ``CsvDataConnector`` reads data ``.csv`` files: one table
per file, named after the file, with column types inferred from the values.

Both walk ``connectors.base.DatabaseTopology``: a service, a database named
after the business unit, the schema ``default``, then the tables. A bad row or
file is one failure, named after its table, and the others still come out.

The file reads top to bottom: the two connectors, then how a CSV file is
opened and sniffed, then type inference.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import itertools
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Callable

import attrs

from connectors.base import DatabaseSource, failure, path_option, reject_unknown_options, text_option
from connectors.models import Column, Table, parse_type_spec
from minigest import Either, InvalidSourceException, StackTraceError

__all__ = ["CsvConnector", "CsvDataConnector", "CsvFileError", "ColumnTypes", "profile_csv_file"]


# --- The catalog connector --------------------------------------------------


@attrs.frozen
class CatalogRow:
    """One row of the catalog, or a problem with the catalog file itself."""

    line: int
    name: str
    column_names: list[str] = attrs.field(factory=list)
    column_types: list[str] = attrs.field(factory=list)
    problem: str | None = None


class CsvConnector(DatabaseSource):
    """Tables described by a catalog CSV: ``name,column_names,column_types``."""

    def __init__(self, source_directory: str, business_unit: str, service_name: str = "csv_catalog") -> None:
        super().__init__(service_name=service_name, business_unit=business_unit)
        self.path = Path(source_directory)
        self.seen_tables: set[str] = set()

    @classmethod
    def create(cls, config: dict[str, Any]) -> CsvConnector:
        """Build from config options; a missing or bad option raises InvalidSourceException."""
        reject_unknown_options(cls.__name__, config, ["source_directory", "business_unit", "service_name"])
        return cls(
            source_directory=path_option(cls.__name__, config, "source_directory"),
            business_unit=text_option(cls.__name__, config, "business_unit"),
            service_name=text_option(cls.__name__, config, "service_name", "csv_catalog"),
        )

    def prepare(self) -> None:
        if not self.path.exists():
            raise InvalidSourceException(f"{self.name}: source_directory {str(self.path)!r} does not exist")

    def test_connection(self) -> None:
        """The catalog must be a readable, non-empty file."""
        problem = unreadable_file_problem(self.path)
        if problem is not None:
            raise InvalidSourceException(f"{self.name}: source_directory {str(self.path)!r} {problem}")

    def get_tables(self) -> Iterator[CatalogRow]:
        yield from read_catalog(self.path)

    def yield_table(self, row: CatalogRow) -> Iterator[Either[Table]]:
        """One catalog row becomes a Table, or one failure naming the file, the line and the problem."""
        where = f"{self.path}, line {row.line}" if row.line else str(self.path)
        try:
            if row.problem is not None:
                raise ValueError(row.problem)
            if row.name in self.seen_tables:
                raise ValueError(f"table {row.name!r} is listed twice; this row is skipped")
            self.seen_tables.add(row.name)
            table = Table(
                name=row.name, database_schema=self.schema_fqn, columns=catalog_columns(row), table_type="Regular"
            )
        except ValueError as exc:
            yield failure(row.name, f"{where}: {exc}")
            return
        yield Either(right=table)


def catalog_columns(row: CatalogRow) -> list[Column]:
    """The columns a catalog row lists; ValueError says what is wrong with them."""
    if not row.column_names and not row.column_types:
        raise ValueError(f"table {row.name!r} has no columns")
    if len(row.column_names) != len(row.column_types):
        raise ValueError(f"{len(row.column_names)} column names but {len(row.column_types)} column types")
    columns = []
    for position, (column_name, type_spec) in enumerate(zip(row.column_names, row.column_types), start=1):
        if not column_name:
            raise ValueError(f"column {position} has an empty name")
        try:
            columns.append(Column(name=column_name, **parse_type_spec(type_spec)))
        except ValueError as exc:
            raise ValueError(f"column {column_name!r}: {exc}") from None
    return columns


CATALOG_COLUMNS = ("name", "column_names", "column_types")


def read_catalog(path: Path) -> Iterator[CatalogRow]:
    """The catalog's rows, each with its line number; a problem with the file is one last row."""
    problem = unreadable_file_problem(path)
    if problem is not None:
        yield CatalogRow(line=0, name=path.name, problem=problem)
        return
    reader = None
    try:
        # surrogateescape keeps bytes that are not UTF-8, so only the rows holding them fail
        with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
            with open(path, "rb") as head:
                lines = _RawLines(text, len(codecs.BOM_UTF8) if head.read(3) == codecs.BOM_UTF8 else 0)
            reader = csv.reader(lines)
            header = next(filter(None, reader), None)
            if header is None:
                yield CatalogRow(line=reader.line_num, name=path.name, problem="the file has only blank lines")
                return
            header = [cell.strip().lower() for cell in header]
            missing = [column for column in CATALOG_COLUMNS if column not in header]
            if missing:
                yield CatalogRow(
                    line=reader.line_num,
                    name=path.name,
                    problem=f"the header must name the columns {','.join(CATALOG_COLUMNS)}; "
                    f"missing {','.join(missing)}",
                )
                return
            positions = [header.index(column) for column in CATALOG_COLUMNS]
            lines.take()  # the header
            for cells in reader:
                start, raw = lines.take()
                if not cells:
                    continue
                row = catalog_row(reader.line_num, cells, positions, len(header))
                bad = _first_undecodable(raw, start)
                yield row if bad is None else attrs.evolve(row, problem=bad)
    except csv.Error as exc:
        line = reader.line_num if reader is not None else 0
        yield CatalogRow(line=line, name=path.name, problem=f"not readable as CSV: {exc}")
    except OSError as exc:
        yield CatalogRow(line=0, name=path.name, problem=f"cannot read the file: {exc.strerror or exc}")


class _RawLines:
    """The file's lines for csv.reader, keeping the raw text read since the last ``take()``."""

    def __init__(self, text: Iterable[str], offset: int) -> None:
        self.lines = iter(text)
        self.offset = offset
        self.pending: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.pending.append(line)
        return line

    def take(self) -> tuple[int, str]:
        """The byte offset and raw text of the lines read since the last call (one record)."""
        raw, start = "".join(self.pending), self.offset
        self.offset += len(raw.encode("utf-8", "surrogateescape"))
        self.pending = []
        return start, raw


def _first_undecodable(raw: str, start: int) -> str | None:
    """Where the first byte that is not UTF-8 sits in a record (its file offset), or None."""
    for index, char in enumerate(raw):
        if "\udc80" <= char <= "\udcff":
            offset = start + len(raw[:index].encode("utf-8", "surrogateescape"))
            return f"byte {offset} (0x{ord(char) - 0xDC00:02x}) is not valid UTF-8; save the file as UTF-8"
    return None


def catalog_row(line: int, cells: list[str], positions: list[int], width: int) -> CatalogRow:
    """Split one catalog record into the table name and its two lists."""
    name = cells[positions[0]].strip() if positions[0] < len(cells) else ""
    label = name or f"line {line}"
    if len(cells) != width:
        return CatalogRow(line=line, name=label, problem=f"{len(cells)} fields where the header has {width}")
    if not name:
        return CatalogRow(line=line, name=label, problem="the table name is empty")
    names, types = (split_list(cells[position]) for position in positions[1:])
    return CatalogRow(line=line, name=name, column_names=names, column_types=types)


def split_list(cell: str) -> list[str]:
    """'a; b;c' -> ['a', 'b', 'c']; an empty cell is an empty list."""
    return [item.strip() for item in cell.split(";")] if cell.strip() else []


# --- The data-file connector ------------------------------------------------


class CsvDataConnector(DatabaseSource):
    """One table per data ``.csv`` file, its column types inferred from the values."""

    def __init__(
        self,
        source_directory: str,
        business_unit: str,
        sample_rows: int = 10_000,
        service_name: str = "csv_files",
    ) -> None:
        super().__init__(service_name=service_name, business_unit=business_unit)
        self.path = Path(source_directory)
        self.sample_rows = sample_rows
        self.seen_tables: set[str] = set()

    @classmethod
    def create(cls, config: dict[str, Any]) -> CsvDataConnector:
        """Build from config options; a missing or bad option raises InvalidSourceException."""
        owner = cls.__name__
        reject_unknown_options(owner, config, ["source_directory", "business_unit", "sample_rows", "service_name"])
        sample_rows = config.get("sample_rows", 10_000)
        if isinstance(sample_rows, bool) or not isinstance(sample_rows, int) or sample_rows < 0:
            raise InvalidSourceException(
                f"{owner}: option 'sample_rows' must be a whole number >= 0 (0 reads every row), got {sample_rows!r}"
            )
        return cls(
            source_directory=path_option(owner, config, "source_directory"),
            business_unit=text_option(owner, config, "business_unit"),
            sample_rows=sample_rows,
            service_name=text_option(owner, config, "service_name", "csv_files"),
        )

    def prepare(self) -> None:
        if not self.path.exists():
            raise InvalidSourceException(f"{self.name}: source_directory {str(self.path)!r} does not exist")

    def test_connection(self) -> None:
        """The source must be a folder we can list, or a readable, non-empty file."""
        if self.path.is_dir():
            try:
                next(self.path.iterdir(), None)
            except OSError as exc:
                raise InvalidSourceException(f"{self.name}: cannot list {str(self.path)!r}: {exc.strerror}") from None
            return
        problem = unreadable_file_problem(self.path)
        if problem is not None:
            raise InvalidSourceException(f"{self.name}: source_directory {str(self.path)!r} {problem}")

    def get_tables(self) -> Iterator[Path]:
        if not self.path.is_dir():
            yield self.path
            return
        try:
            files = sorted(entry for entry in self.path.iterdir() if entry.suffix.lower() == ".csv")
        except OSError as exc:
            self.status.failed(StackTraceError(str(self.path), f"{self.path}: cannot list the folder: {exc.strerror}"))
            return
        if not files:
            self.status.warning(str(self.path), "the folder holds no .csv files")
        yield from files

    def yield_table(self, path: Path) -> Iterator[Either[Table]]:
        table_name = path.stem
        if table_name in self.seen_tables:
            yield failure(table_name, f"{path}: another file already gave a table named {table_name!r}")
            return
        self.seen_tables.add(table_name)
        try:
            profile = profile_csv_file(path, self.sample_rows)
            columns = [Column(name=name, data_type=data_type) for name, data_type in zip(profile.names, profile.types)]
            table = Table(name=table_name, database_schema=self.schema_fqn, columns=columns, table_type="Regular")
        except (CsvFileError, ValueError) as exc:
            yield failure(table_name, str(exc) if isinstance(exc, CsvFileError) else f"{path}: {exc}")
            return
        for warning in profile.warnings:
            self.status.warning(table_name, f"{path}: {warning}")
        yield Either(right=table)


# --- Opening and sniffing a CSV file ----------------------------------------

SNIFF_CHARS = 8 * 1024  # the sample the delimiter and quote are chosen from
BATCH_ROWS = 512  # rows inferred at a time: few enough to stay in the CPU cache, memory stays flat
SNIFFABLE_DELIMITERS = ",;\t|"  # in order of preference: a tie goes to the first
QUOTE_CHARS = "\"'"

# Python's default limit (128 KiB per field) rejects real files with long text
# cells; 64 MiB still stops a runaway quote from eating all memory.
FIELD_SIZE_LIMIT = 64 * 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), FIELD_SIZE_LIMIT))


class CsvFileError(Exception):
    """A data file that cannot be read as CSV; the message names the file (and line or byte)."""


@attrs.frozen
class CsvProfile:
    """What reading one data file found: column names and types, and warnings."""

    names: list[str]
    types: list[str]
    rows_read: int
    warnings: list[str]


def profile_csv_file(path: Path, sample_rows: int = 10_000) -> CsvProfile:
    """Sniff, read (at most ``sample_rows`` data rows, 0 = all) and infer the columns of one file."""
    problem = unreadable_file_problem(path)
    if problem is not None:
        raise CsvFileError(f"{path}: {problem}")
    reader = None
    try:
        with open(path, encoding="utf-8-sig", newline="") as text:
            sample = text.read(SNIFF_CHARS)
            sample += text.readline()  # end the sample on a whole line
            reader = csv.reader(itertools.chain(io.StringIO(sample, newline=""), text), sniff_dialect(sample))
            return profile_rows(filter(None, reader), sample_rows)  # filter(None): skip blank lines
    except CsvFileError as exc:
        raise CsvFileError(f"{path}: {exc}") from None
    except UnicodeDecodeError:
        raise CsvFileError(f"{path}: {undecodable_problem(path)}") from None
    except csv.Error as exc:
        line = reader.line_num if reader is not None else 0
        raise CsvFileError(f"{path}, line {line}: not readable as CSV: {exc}") from None
    except OSError as exc:
        raise CsvFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from None


def unreadable_file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file (a folder, empty, no permission), or None."""
    try:
        if path.is_dir():
            return "is a folder, not a file"
        if not path.is_file():
            return "is not a regular file" if path.exists() else "does not exist"
        if path.stat().st_size == 0:
            return "the file is empty"
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    return None


def undecodable_problem(path: Path) -> str:
    """Find the first byte that is not UTF-8 (only called after decoding failed)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        with open(path, "rb") as handle:
            for chunk in itertools.chain(iter(lambda: handle.read(1 << 20), b""), [None]):
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(chunk or b"", final=chunk is None)
                except UnicodeDecodeError as exc:
                    bad = offset - pending + exc.start
                    return f"byte {bad} (0x{exc.object[exc.start]:02x}) is not valid UTF-8; save the file as UTF-8"
                offset += len(chunk or b"")
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    return "the file is not valid UTF-8"


class SniffedDialect(csv.Dialect):
    """The sniffed delimiter and quote, with settings that never trim or reject a value."""

    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False  # " 12" is a string, not 12
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL
    strict = False


def sniff_dialect(sample: str) -> type:
    """The delimiter and quote under which most sample records have as many cells as the header.

    csv.Sniffer counts characters without honouring quotes, so a comma file
    whose quoted text holds "; " comes out split on ';'. Parsing the sample
    once per candidate is exact and cheap; ties go to ',' and '"', the CSV
    defaults (a header-only "a;b,c;d" is read as two columns), and a header of
    one cell under every candidate keeps them too.
    """
    best, best_score = (",", '"'), 0.0
    # An apostrophe is the quote only in a sample with no double quote: it's common in text.
    for quotechar in QUOTE_CHARS if '"' not in sample else '"':
        for delimiter in SNIFFABLE_DELIMITERS:
            score = _records_like_the_header(sample, delimiter, quotechar)
            if score > best_score:
                best, best_score = (delimiter, quotechar), score
    delimiter, quotechar = best
    return type("Sniffed", (SniffedDialect,), {"delimiter": delimiter, "quotechar": quotechar})


def _records_like_the_header(sample: str, delimiter: str, quotechar: str) -> float:
    """The share of the sample's records with the header's number of cells (0 for a one-cell header)."""
    dialect = type("Candidate", (SniffedDialect,), {"delimiter": delimiter, "quotechar": quotechar})
    try:
        records = [record for record in csv.reader(io.StringIO(sample, newline=""), dialect) if record]
    except csv.Error:
        return 0.0
    if len(records) > 2:
        records.pop()  # the sample may end inside the last record
    if not records or len(records[0]) < 2:
        return 0.0
    width = len(records[0])
    return sum(len(record) == width for record in records) / len(records)


def profile_rows(rows: Iterator[list[str]], sample_rows: int) -> CsvProfile:
    """Infer column types from parsed rows; the first row is the header, whatever it holds."""
    header = next(rows, None)
    if header is None:
        raise CsvFileError("the file has only blank lines")
    inference = ColumnTypes(len(header))
    remaining = sample_rows if sample_rows > 0 else None
    while remaining is None or remaining > 0:
        batch = list(itertools.islice(rows, BATCH_ROWS if remaining is None else min(BATCH_ROWS, remaining)))
        if not batch:
            break
        inference.add(batch)
        if remaining is not None:
            remaining -= len(batch)
    warnings: list[str] = []
    names = column_names(header, warnings)
    if header_looks_like_data(header, inference.types):
        warnings.append(
            "the header row looks like data (no cell is a name and its values fit the columns below); "
            "it is still read as the header: add one if the file has none"
        )
    if inference.ragged_rows:
        warnings.append(
            f"{inference.ragged_rows} rows do not have {len(header)} cells like the header "
            f"(first at data row {inference.first_ragged_row}): missing cells count as nulls, extra cells are ignored"
        )
    return CsvProfile(names, inference.result(), inference.rows, warnings)


def header_looks_like_data(header: Sequence[str], types: Sequence[str | None]) -> bool:
    """True when no header cell reads as a name and its values go with the types below.

    Only a warning: the first row is always the header (a header such as
    ``1990,1991`` over numbers is real), but a file saved without one is worth
    a word.
    """
    evidence = False
    for cell, column_type in zip(header, types):
        if cell in NULLS:
            continue
        cell_type = type_of(cell)
        if cell_type == STRING:
            return False  # a name
        if column_type is None or column_type == STRING:
            continue  # a number above text says nothing either way
        if widen(column_type, cell_type) == STRING:
            return False  # e.g. a year above a column of dates
        evidence = True
    return evidence


def column_names(header: Sequence[str], warnings: list[str]) -> list[str]:
    """The header cells as column names.

    A cell that is empty, repeated or refused by OpenMetadata (too long, or
    holding '::') gets a made-up name and a warning: one odd header cell must
    not cost the whole table.
    """
    names: list[str] = []
    taken = set(header)
    for position, cell in enumerate(header, start=1):
        problem = "is empty" if not cell else "is repeated" if cell in names else _column_name_problem(cell)
        name = cell
        if problem is not None:
            name = f"column_{position}"
            while name in taken:
                name += "_"
            shown = repr(cell) if len(cell) <= 40 else repr(cell[:40]) + "..."
            warnings.append(f"header cell {position} ({shown}) {problem}: named {name!r}")
        taken.add(name)
        names.append(name)
    return names


def _column_name_problem(name: str) -> str | None:
    """Why OpenMetadata would refuse ``name`` as a column name (the model's own check), or None."""
    try:
        Column(name=name, data_type=STRING)
    except ValueError as exc:
        return f"is not a valid column name ({exc})"
    return None


# --- Type inference ---------------------------------------------------------
#
# Each column keeps its current candidate type: None until a non-null value
# arrives, then the narrowest type holding every value seen, widened along
# INT < BIGINT < DOUBLE and DATE < TIMESTAMP; any other mix is STRING.
#
# Rows come in batches. The fast path joins a column's batch with "\n" and
# checks it with one compiled regex that accepts a safe subset of the current
# type (and nulls): one C call per column per batch. Only a batch that fails
# goes value by value through the exact checks below, which widen the type.

NULLS = frozenset({"", "NA", "N/A", "NULL", "null"})
BOOLEAN, INT, BIGINT, DOUBLE, DATE, TIMESTAMP, TIME, STRING = (
    "BOOLEAN", "INT", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "TIME", "STRING",
)
WIDENING_CHAINS = ((INT, BIGINT, DOUBLE), (DATE, TIMESTAMP))

_BOOLEAN = r"[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]"
_DOUBLE = (
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|[Nn][Aa][Nn]|[Ii][Nn][Ff](?:[Ii][Nn][Ii][Tt][Yy])?)"
)
_CLOCK = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?"
_ZONE = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])"
_ANY_DATE = r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
# Dates that are real whatever the year: the fast path needs no calendar.
_SURE_DATE = (
    r"(?!0000)(?:[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    r"|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)"  # leap days
)

_BOOLEAN_RE = re.compile(_BOOLEAN)
_INTEGER_RE = re.compile(r"[+-]?0*([0-9]+)")
_DOUBLE_RE = re.compile(_DOUBLE)
_DATE_RE = re.compile(_ANY_DATE)
_TIMESTAMP_OR_DATE_RE = re.compile(_ANY_DATE + r"(?:[T ]" + _CLOCK + _ZONE + r"?)?")
_TIME_RE = re.compile(_CLOCK)


def _fits_integer(value: str, limit: int) -> bool:
    """An optional sign and digits whose value lies in [-limit, limit)."""
    match = _INTEGER_RE.fullmatch(value)
    if match is None or len(match[1]) > 19:  # longer than any 64-bit value; int() never sees it
        return False
    number = int(match[1])
    return number <= limit if value[0] == "-" else number < limit


def _is_calendar_date(match: re.Match[str] | None) -> bool:
    if match is None:
        return False
    try:
        datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return True


# The exact check of each type; a wider type accepts its narrower ones.
ACCEPTS: dict[str, Callable[[str], bool]] = {
    BOOLEAN: lambda value: _BOOLEAN_RE.fullmatch(value) is not None,
    INT: lambda value: _fits_integer(value, 2**31),
    BIGINT: lambda value: _fits_integer(value, 2**63),
    DOUBLE: lambda value: _DOUBLE_RE.fullmatch(value) is not None,
    DATE: lambda value: _is_calendar_date(_DATE_RE.fullmatch(value)),
    TIMESTAMP: lambda value: _is_calendar_date(_TIMESTAMP_OR_DATE_RE.fullmatch(value)),
    TIME: lambda value: _TIME_RE.fullmatch(value) is not None,
}


def type_of(value: str) -> str:
    """The narrowest type of one non-null value."""
    for candidate in (BOOLEAN, INT, BIGINT, DOUBLE, DATE, TIMESTAMP, TIME):
        if ACCEPTS[candidate](value):
            return candidate
    return STRING


def widen(current: str | None, new: str) -> str:
    """The narrowest type holding both ``current`` and ``new``."""
    if current is None or current == new:
        return new
    for chain in WIDENING_CHAINS:
        if current in chain and new in chain:
            return chain[max(chain.index(current), chain.index(new))]
    return STRING


def _batch_pattern(value: str) -> re.Pattern[str]:
    """A regex for a "\\n"-joined batch of cells, each null or matching ``value``."""
    cell = f"(?:{value}|NA|N/A|NULL|null|)"
    return re.compile(f"{cell}(?:\n{cell})*")


# The fast path: each pattern accepts only values its type's exact check accepts.
FAST_BATCH = {
    BOOLEAN: _batch_pattern(_BOOLEAN),
    INT: _batch_pattern(r"[+-]?0*(?:[0-9]{1,9}|1[0-9]{9}|20[0-9]{8})"),  # below 2.1e9 < 2**31
    BIGINT: _batch_pattern(r"[+-]?0*(?:[0-9]{1,18}|[0-8][0-9]{18})"),  # below 9e18 < 2**63
    DOUBLE: _batch_pattern(_DOUBLE),
    DATE: _batch_pattern(_SURE_DATE),
    TIMESTAMP: _batch_pattern(_SURE_DATE + r"(?:[T ]" + _CLOCK + _ZONE + r"?)?"),
    TIME: _batch_pattern(_CLOCK),
}


class ColumnTypes:
    """Per-column candidate types, widened batch by batch; memory grows with columns, not rows."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.types: list[str | None] = [None] * width
        self.deduplicate = [True] * width  # turned off for a column once most of its values are distinct
        self.rows = 0
        self.ragged_rows = 0
        self.first_ragged_row = 0

    def add(self, rows: list[list[str]]) -> None:
        """Widen the column types with a batch of rows."""
        if not rows:
            return
        width = self.width
        if len(rows[0]) != width or len(set(map(len, rows))) != 1:
            rows = self._even(rows)
        self.rows += len(rows)
        types = self.types
        for index, values in enumerate(zip(*rows)):
            current = types[index]
            if current is None:
                if NULLS.issuperset(values):
                    continue
                # The first value picks the candidate; the fast path then checks the rest.
                current = types[index] = type_of(next(value for value in values if value not in NULLS))
            if current == STRING:
                continue
            checked: Collection[str] = values
            if self.deduplicate[index]:  # flags, codes and dates repeat: check each distinct value once
                checked = set(values)
                self.deduplicate[index] = len(checked) * 2 < len(values)
            joined = "\n".join(checked)
            if joined.count("\n") == len(checked) - 1 and FAST_BATCH[current].fullmatch(joined):
                continue
            types[index] = self._widen_by_value(current, checked)

    @staticmethod
    def _widen_by_value(current: str | None, values: Iterable[str]) -> str | None:
        """The slow path: check each value exactly, widening on the first that does not fit."""
        accepts = ACCEPTS[current] if current is not None else None
        for value in values:
            if value in NULLS or (accepts is not None and accepts(value)):
                continue
            current = widen(current, type_of(value))
            if current == STRING:
                return STRING
            accepts = ACCEPTS[current]
        return current

    def _even(self, rows: list[list[str]]) -> list[list[str]]:
        """Pad short rows with nulls and cut long ones, counting them."""
        width = self.width
        for position, row in enumerate(rows):
            if len(row) != width:
                if not self.ragged_rows:
                    self.first_ragged_row = self.rows + position + 1
                self.ragged_rows += 1
        return [row if len(row) == width else (row + [""] * width)[:width] for row in rows]

    def result(self) -> list[str]:
        """The inferred types; a column with only nulls is STRING."""
        return [column_type or STRING for column_type in self.types]

