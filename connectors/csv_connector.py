"""A catalog CSV as tables: each row names a table and lists its columns and their types.

``CsvConnector`` reads a catalog with the columns ``name,column_names,column_types``
(the lists split by ``;``, the types as ``parse_type_spec`` reads them) and walks
``connectors.base.DatabaseTopology``: a service, a database named after the
business unit, the schema ``default``, then one table per row::

    CsvConnector.create({"source_directory": "catalog.csv", "business_unit": "sales"})

A bad row is one failure, named after its table and saying the file and line;
the other rows still come out. ``CsvDataConnector`` (data files, types
inferred) lives in ``connectors.csv_data`` and is importable from here too.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import attrs

from connectors.base import DatabaseSource, failure
from connectors.csv_data import CsvDataConnector, CsvFileError, CsvProfile, profile_csv_file
from connectors.csv_files import (
    bounded_lines,
    detect_encoding,
    field_limit,
    file_chunks,
    first_undecodable,
    invisible_character,
    unreadable_file_problem,
)
from connectors.models import Column, Table, parse_type_spec
from minigest import Either, InvalidSourceException

__all__ = ["CsvConnector", "CsvDataConnector", "CsvFileError", "CsvProfile", "profile_csv_file"]


@attrs.frozen
class CatalogRow:
    """One row of the catalog, or a problem with the catalog file itself (``line`` 0 or the header)."""

    line: int
    name: str
    column_names: list[str] = attrs.field(factory=list)
    column_types: list[str] = attrs.field(factory=list)
    problem: str | None = None
    # False when ``name`` is no table's name: a problem with the whole file, or a name we cannot read.
    names_a_table: bool = True


class CsvConnector(DatabaseSource):
    """Tables described by a catalog CSV: ``name,column_names,column_types``."""

    default_service_name = "csv_catalog"
    source_kind = "file"

    def test_connection(self) -> None:
        """The catalog must be a readable, non-empty file."""
        super().test_connection()
        problem = unreadable_file_problem(self.path)
        if problem is not None:
            raise InvalidSourceException(f"{self.name}: source_directory {str(self.path)!r} {problem}")

    def get_tables(self) -> Iterator[CatalogRow]:
        yield from read_catalog(self.path)

    def table_name(self, row: CatalogRow) -> str | None:
        return row.name if row.names_a_table else None

    def locate(self, row: CatalogRow) -> str:
        return f"{self.path}, line {row.line}" if row.line else str(self.path)

    def yield_table(self, row: CatalogRow) -> Iterator[Either[Table]]:
        """One catalog row becomes a Table, or one failure naming the file, the line and the problem."""
        try:
            if row.problem is not None:
                raise ValueError(row.problem)
            table = Table(
                name=row.name, database_schema=self.schema_fqn, columns=catalog_columns(row), table_type="Regular"
            )
        except ValueError as exc:
            yield failure(row.name, f"{self.locate(row)}: {exc}")
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
        invisible = invisible_character(column_name)
        if invisible is not None:
            raise ValueError(f"column {position} ({column_name!r}) holds {invisible[1]} at character {invisible[0]}")
        try:
            columns.append(Column(name=column_name, **parse_type_spec(type_spec)))
        except ValueError as exc:
            raise ValueError(f"column {column_name!r}: {exc}") from None
    return columns


# --- Reading the catalog file -------------------------------------------------------

CATALOG_COLUMNS = ("name", "column_names", "column_types")


def read_catalog(path: Path) -> Iterator[CatalogRow]:
    """The catalog's rows, each with its line number; a problem with the file is one last row."""
    problem = unreadable_file_problem(path)
    if problem is not None:
        yield CatalogRow(line=0, name=path.name, problem=problem, names_a_table=False)
        return
    reader = None
    encoding = "utf-8"
    try:
        with open(path, "rb") as head:
            encoding, evidence = detect_encoding(head.read(4096))
        byte_order_mark = len("\ufeff".encode(encoding)) if evidence == "byte order mark" else 0
        # surrogateescape keeps bytes that are not UTF-8, so only the rows holding them fail (UTF-16
        # cannot do that: a bad byte there fails the file).
        errors = "surrogateescape" if encoding == "utf-8" else "strict"
        with open(path, encoding=encoding, errors=errors, newline="") as text:
            lines = _RawLines(text, encoding, byte_order_mark)
            reader = csv.reader(lines)
            records = _bounded_records(reader)
            header = next(filter(None, records), None)
            if header is None:
                yield CatalogRow(line=reader.line_num, name=path.name, problem="the file has only blank lines",
                                 names_a_table=False)
                return
            header = [cell.strip().lower() for cell in header]
            missing = [column for column in CATALOG_COLUMNS if column not in header]
            if missing:
                yield CatalogRow(
                    line=reader.line_num,
                    name=path.name,
                    problem=f"the header must name the columns {','.join(CATALOG_COLUMNS)}; "
                    f"missing {','.join(missing)}",
                    names_a_table=False,
                )
                return
            positions = [header.index(column) for column in CATALOG_COLUMNS]
            lines.take()  # the header
            for cells in records:
                start, raw = lines.take()
                if not cells:
                    continue
                row = catalog_row(reader.line_num, cells, positions, len(header))
                bad = None if raw.isascii() else first_undecodable([raw.encode(encoding, errors)], encoding, start)
                yield row if bad is None else attrs.evolve(row, problem=bad, names_a_table=False)
    except CsvFileError as exc:
        line = reader.line_num if reader is not None else 0
        yield CatalogRow(line=line, name=path.name, problem=str(exc), names_a_table=False)
    except csv.Error as exc:
        line = reader.line_num if reader is not None else 0
        yield CatalogRow(line=line, name=path.name, problem=f"not readable as CSV: {exc}", names_a_table=False)
    except UnicodeDecodeError:
        with open(path, "rb") as handle:
            problem = first_undecodable(file_chunks(handle), encoding) or f"the file is not valid {encoding}"
        yield CatalogRow(line=0, name=path.name, problem=problem, names_a_table=False)
    except OSError as exc:
        yield CatalogRow(line=0, name=path.name, problem=f"cannot read the file: {exc.strerror or exc}",
                         names_a_table=False)


def _bounded_records(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """The reader's records, with csv's field limit raised only while one is being read.

    This is a generator that hands rows to other code between reads: the
    process-wide limit must be back to the caller's then.
    """
    while True:
        with field_limit():
            cells = next(reader, None)
        if cells is None:
            return
        yield cells


class _RawLines:
    """The file's lines for csv.reader (bounded), keeping the raw text read since the last ``take()``."""

    def __init__(self, text: IO[str], encoding: str, start: int) -> None:
        self.lines = bounded_lines(text)  # drops the byte order mark, which is `start` bytes long
        self.encoding = encoding
        self.errors = "surrogateescape" if encoding == "utf-8" else "strict"
        self.offset = start
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
        self.offset += len(raw.encode(self.encoding, self.errors))
        self.pending = []
        return start, raw


def catalog_row(line: int, cells: list[str], positions: list[int], width: int) -> CatalogRow:
    """Split one catalog record into the table name and its two lists."""
    name = cells[positions[0]].strip() if positions[0] < len(cells) else ""
    label = name or f"line {line}"
    if len(cells) != width:
        return CatalogRow(line=line, name=label, problem=f"{len(cells)} fields where the header has {width}")
    if not name:
        return CatalogRow(line=line, name=label, problem="the table name is empty", names_a_table=False)
    invisible = invisible_character(name)
    if invisible is not None:
        return CatalogRow(line=line, name=name, problem=f"the table name holds {invisible[1]} at character "
                                                        f"{invisible[0]}")
    names, types = (split_list(cells[position]) for position in positions[1:])
    return CatalogRow(line=line, name=name, column_names=names, column_types=types)


def split_list(cell: str) -> list[str]:
    """'a; b;c' -> ['a', 'b', 'c']; an empty cell is an empty list."""
    return [item.strip() for item in cell.split(";")] if cell.strip() else []
