"""Data CSV files as tables: one table per file, its column types inferred from the values.

``CsvDataConnector`` reads a folder of ``.csv`` files (or one file) and walks
``connectors.base.DatabaseTopology``: a service, a database named after the
business unit, the schema ``default``, then one table per file, named after
the file's stem::

    CsvDataConnector.create({"source_directory": "data/", "business_unit": "sales", "sample_rows": 10000})

Each file is sniffed (delimiter, quote, encoding), its first row is the
header, and at most ``sample_rows`` data rows (0 = all) go through
``connectors.csv_types``. A bad file is one failure, named after its table,
and the other files still come out. The module's ``ServiceSpec`` names the
roles this service has.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

import minigest
from connectors.base import DatabaseSource, failure
from connectors.csv_files import (
    SNIFF_CHARS,
    CsvFileError,
    bounded_lines,
    detect_encoding,
    field_limit,
    file_chunks,
    first_undecodable,
    invisible_character,
    sniff_dialect,
    unreadable_file_problem,
)
from connectors.csv_types import STRING, ColumnTypes, header_looks_like_data
from connectors.models import Column, Table
from minigest import Either, InvalidSourceException

__all__ = ["CsvDataConnector", "CsvFileError", "CsvProfile", "ServiceSpec", "profile_csv_file"]

BATCH_ROWS = 512  # rows inferred at a time: few enough to stay in the CPU cache, memory stays flat


class CsvDataConnector(DatabaseSource):
    """One table per data ``.csv`` file, its column types inferred from the values."""

    default_service_name = "csv_files"
    source_kind = "file or folder"

    def __init__(self, sample_rows: int = 10_000, **options: Any) -> None:
        super().__init__(**options)
        if sample_rows < 0:
            raise InvalidSourceException(
                f"{self.name}: option 'sample_rows' must be 0 or more (0 reads every row), got {sample_rows!r}"
            )
        self.sample_rows = sample_rows

    def prepare(self) -> None:
        """Beyond the path: a folder must hold at least one .csv file."""
        super().prepare()
        if self.path.is_dir():
            try:
                found = next(csv_files_in(self.path), None)
            except OSError as exc:
                raise InvalidSourceException(f"{self.name}: cannot list {str(self.path)!r}: {exc.strerror}") from None
            if found is None:
                raise InvalidSourceException(f"{self.name}: source_directory {str(self.path)!r} holds no .csv files")

    def test_connection(self) -> None:
        """The source must be a folder of .csv files, or a readable, non-empty file."""
        self.prepare()
        problem = None if self.path.is_dir() else unreadable_file_problem(self.path)
        if problem is not None:
            raise InvalidSourceException(f"{self.name}: source_directory {str(self.path)!r} {problem}")

    def get_tables(self) -> Iterator[Path]:
        if self.path.is_dir():
            yield from sorted(csv_files_in(self.path))
        else:
            yield self.path

    def table_name(self, path: Path) -> str:
        return path.stem

    def locate(self, path: Path) -> str:
        return str(path)

    def yield_table(self, path: Path) -> Iterator[Either[Table]]:
        try:
            profile = profile_csv_file(path, self.sample_rows)
            columns = [Column(name=name, data_type=data_type) for name, data_type in zip(profile.names, profile.types)]
            table = Table(name=path.stem, database_schema=self.schema_fqn, columns=columns, table_type="Regular")
        except (CsvFileError, ValueError) as exc:
            yield failure(path.stem, str(exc) if isinstance(exc, CsvFileError) else f"{path}: {exc}")
            return
        for warning in profile.warnings:
            self.status.warning(path.stem, f"{path}: {warning}")
        yield Either(right=table)


ServiceSpec = minigest.ServiceSpec(
    metadata_source_class=CsvDataConnector,
    profiler_class="connectors.csv_profiler.CsvProfiler",  # dotted: csv_profiler imports this module
    sampler_class="connectors.csv_profiler.CsvSampler",
)


def csv_files_in(folder: Path) -> Iterator[Path]:
    """The ``.csv`` files of a folder (any letter case), in no particular order."""
    return (entry for entry in folder.iterdir() if entry.suffix.lower() == ".csv")


# --- Reading one file -----------------------------------------------------------


@attrs.frozen
class CsvProfile:
    """What reading one data file found: column names and types, and warnings."""

    names: list[str]
    types: list[str]
    rows_read: int
    warnings: list[str]


def profile_csv_file(path: Path, sample_rows: int = 10_000) -> CsvProfile:
    """Sniff, read (at most ``sample_rows`` data rows, 0 = all) and infer the columns of one file.

    Memory stays bounded whatever the file holds: the sniffing sample is
    ``SNIFF_CHARS`` long, a line is read at most ``MAX_LINE_CHARS`` at a time,
    and rows are inferred ``BATCH_ROWS`` at a time.
    """
    with csv_rows(path) as (rows, encoding, evidence):
        profile = profile_rows(rows, sample_rows)
    if evidence.startswith("NUL"):
        profile.warnings.insert(0, f"read as {encoding.upper()} ({evidence}); save the file as UTF-8")
    return profile


@contextlib.contextmanager
def csv_rows(path: Path) -> Iterator[tuple[Iterator[list[str]], str, str]]:
    """A data file's rows (header first, blank lines skipped), its encoding and how it was told.

    Every role reads a file through this, so all see the same rows; a problem reading it raises
    CsvFileError naming the file (and the line), also when it happens while the caller reads.
    """
    problem = unreadable_file_problem(path)
    if problem is not None:
        raise CsvFileError(f"{path}: {problem}")
    reader = None
    encoding = "utf-8"
    try:
        with open(path, "rb") as raw:
            encoding, evidence = detect_encoding(raw.read(4096))
        with open(path, encoding=encoding, newline="") as text, field_limit():
            dialect = sniff_dialect(text.read(SNIFF_CHARS).lstrip("\ufeff"))
            text.seek(0)  # the sample is read again by the reader: no line is ever cut in two
            reader = csv.reader(bounded_lines(text), dialect)
            yield filter(None, reader), encoding, evidence  # filter(None): skip blank lines
    except CsvFileError as exc:
        raise CsvFileError(f"{path}: {exc}") from None
    except UnicodeDecodeError:
        raise CsvFileError(f"{path}: {undecodable_problem(path, encoding)}") from None
    except csv.Error as exc:
        line = reader.line_num if reader is not None else 0
        raise CsvFileError(f"{path}, line {line}: not readable as CSV: {exc}") from None
    except OSError as exc:
        raise CsvFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from None


def undecodable_problem(path: Path, encoding: str) -> str:
    """Where the file's first bad byte is (only called after decoding failed)."""
    try:
        with open(path, "rb") as handle:
            return first_undecodable(file_chunks(handle), encoding) or f"the file is not valid {encoding}"
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"


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


def column_names(header: Sequence[str], warnings: list[str]) -> list[str]:
    """The header cells as column names.

    Control characters and byte order marks (a UTF-16 file read as UTF-8, two
    files pasted together) are removed, with a warning. A cell that is then
    empty, repeated or refused by OpenMetadata (too long, or holding '::')
    gets a made-up name and a warning: one odd header cell must not cost the
    whole table.
    """
    names: list[str] = []
    used: set[str] = set()  # a set: a header of 100,000 cells must not be quadratic
    taken = set(header)
    for position, cell in enumerate(header, start=1):
        invisible = invisible_character(cell)
        if invisible is not None:
            index, code = invisible
            cleaned = "".join(char for char in cell if invisible_character(char) is None)
            warnings.append(f"header cell {position} ({_shown(cell)}) holds {code} at character {index}: "
                            f"removed, named {cleaned!r}")
            cell = cleaned
        problem = "is empty" if not cell else "is repeated" if cell in used else _column_name_problem(cell)
        name = cell
        if problem is not None:
            name = f"column_{position}"
            while name in taken:
                name += "_"
            warnings.append(f"header cell {position} ({_shown(cell)}) {problem}: named {name!r}")
        taken.add(name)
        used.add(name)
        names.append(name)
    return names


def _shown(cell: str) -> str:
    return repr(cell) if len(cell) <= 40 else repr(cell[:40]) + "..."


def _column_name_problem(name: str) -> str | None:
    """Why OpenMetadata would refuse ``name`` as a column name (the model's own check), or None."""
    try:
        Column(name=name, data_type=STRING)
    except ValueError as exc:
        return f"is not a valid column name ({exc})"
    return None
