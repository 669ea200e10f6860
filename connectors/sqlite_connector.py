"""A SQLite database file, with every role of a ServiceSpec: metadata, lineage, usage, profiler, sampler.

SQLite is in Python's standard library, so this connector shows each role on a real engine::

    source = SqliteMetadataSource(database="shop.db")        # service -> shop -> main -> tables, views
    SqliteLineageSource(database="shop.db", query_log="queries.csv")   # view and query lineage
    SqliteUsageSource(database="shop.db", query_log="queries.csv")     # -> UsageStage -> SqliteBulkSink
    SqliteProfilerSource(database="shop.db")                 # one aggregate query per table
    SqliteSamplerSource(database="shop.db", seed=7)          # a repeatable random sample

The source file is only ever opened read-only (a ``file:...?mode=ro`` URI). Lineage and usage ask
the engine which tables and columns a statement reads, through an authorizer callback while the
statement is prepared (``EXPLAIN``, so nothing runs), on an in-memory copy of the schema: exact where
a SQL parser guesses (aliases, CTEs, subqueries, ``*``), and a statement that would write (an
``INSERT``, a ``CREATE TABLE ... AS``) cannot touch the source.

The file reads top to bottom: opening the database, SQLite's type affinity, reading the schema,
asking the engine what a statement reads, then the five sources and the usage stage.
"""

from __future__ import annotations

import csv
import datetime
import functools
import inspect
import itertools
import math
import os
import random
import re
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Callable, Optional

import attrs

import minigest
from connectors.base import DatabaseSource, failure
from connectors.models import (
    Column,
    ColumnProfile,
    Contents,
    Database,
    DatabaseSchema,
    DatabaseService,
    LineageEdge,
    Query,
    SampleData,
    Table,
    TableConstraint,
    TableProfile,
    TableUsage,
)
from connectors.outputs import FileStage
from minigest import ConfigError, Either, InvalidSourceException, Source, StackTraceError, fqn_join

__all__ = [
    "ServiceSpec",
    "SqliteLineageSource",
    "SqliteMetadataSource",
    "SqliteProfilerSource",
    "SqliteSamplerSource",
    "SqliteSourceError",
    "SqliteUsageSource",
    "UsageStage",
    "map_declared_type",
]

# --- Opening the database, read-only ------------------------------------------


class SqliteSourceError(Exception):
    """The database cannot be read: locked by another process, or not a SQLite file."""


def quote(name: str) -> str:
    """A SQL identifier, double-quoted so that any name (dots, spaces, quotes) is taken literally."""
    return '"' + name.replace('"', '""') + '"'


def read_only_uri(path: str | Path) -> str:
    """The URI that opens ``path`` read-only: SQLite refuses every write through it."""
    return Path(path).resolve().as_uri() + "?mode=ro"


def connect_read_only(path: str | Path, timeout: float) -> sqlite3.Connection:
    """Open ``path`` read-only; a lock held by a writer is waited for ``timeout`` seconds."""
    connection = sqlite3.connect(read_only_uri(path), uri=True, timeout=timeout, isolation_level=None)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the header: is it SQLite?
    except sqlite3.Error as exc:
        connection.close()
        raise SqliteSourceError(explain_error(path, exc, timeout)) from None
    return connection


def explain_error(path: str | Path, error: sqlite3.Error, timeout: float) -> str:
    """One line saying why the database could not be read."""
    text = str(error)
    if "locked" in text or "busy" in text:
        return f"{path}: the database is locked by another process (waited {timeout:g} s): {text}"
    if "not a database" in text:
        return f"{path}: not a SQLite database ({text})"
    return f"{path}: {text}"


# --- SQLite's type affinity, mapped to OpenMetadata's data types -----------------
# SQLite keeps a value's type per value; a column's declared type only gives it an affinity, found by
# the five rules of https://sqlite.org/datatype3.html#determination_of_column_affinity, in order.
# Within an affinity, the declared name says more (VARCHAR(40), DECIMAL(10,2), DATETIME), and OpenMetadata
# wants that detail; every integer is 64-bit and every real a double, whatever the name says.


@attrs.frozen
class SqlType:
    """A declared column type as OpenMetadata describes it."""

    data_type: str
    display: str | None = None  # the type as declared
    data_length: int | None = None
    precision: int | None = None
    scale: int | None = None


# Names whose affinity is TEXT or NUMERIC but which OpenMetadata has a closer type for.
_TEXT_TYPES = {"VARCHAR": "VARCHAR", "NVARCHAR": "VARCHAR", "VARYING CHARACTER": "VARCHAR",
               "CHARACTER VARYING": "VARCHAR", "CHAR": "CHAR", "CHARACTER": "CHAR", "NCHAR": "CHAR",
               "NATIVE CHARACTER": "CHAR", "TEXT": "TEXT", "CLOB": "CLOB", "MEDIUMTEXT": "MEDIUMTEXT",
               "LONGTEXT": "TEXT", "TINYTEXT": "TEXT"}
_NUMERIC_TYPES = {"DECIMAL": "DECIMAL", "NUMERIC": "NUMERIC", "NUMBER": "NUMBER", "BOOLEAN": "BOOLEAN",
                  "BOOL": "BOOLEAN", "DATE": "DATE", "DATETIME": "DATETIME", "TIMESTAMP": "TIMESTAMP",
                  "TIME": "TIME", "JSON": "JSON", "UUID": "UUID"}
_BLOB_TYPES = {"BLOB": "BLOB", "LONGBLOB": "LONGBLOB", "MEDIUMBLOB": "MEDIUMBLOB"}
# OpenMetadata refuses a CHAR or VARCHAR without dataLength; its own SQL connectors give 1 then.
_NEEDS_LENGTH = {"CHAR", "VARCHAR"}


def affinity_of(declared: str) -> str:
    """SQLite's affinity of a declared type, by its rules in their order ('' has BLOB affinity)."""
    upper = declared.upper()
    if "INT" in upper:
        return "INTEGER"
    if "CHAR" in upper or "CLOB" in upper or "TEXT" in upper:
        return "TEXT"
    if "BLOB" in upper or not upper.strip():
        return "BLOB"
    if "REAL" in upper or "FLOA" in upper or "DOUB" in upper:
        return "REAL"
    return "NUMERIC"


def _type_arguments(declared: str) -> tuple[str, list[int]]:
    """``DECIMAL ( 10, 2 )`` -> ('DECIMAL', [10, 2]); arguments that are not whole numbers are dropped."""
    name, _, rest = declared.partition("(")
    numbers: list[int] = []
    for part in rest.rstrip().rstrip(")").split(","):
        text = part.strip().lstrip("+")
        if text.isdigit():
            numbers.append(int(text))
    return " ".join(name.upper().split()), numbers


@functools.lru_cache(maxsize=1024)  # a database repeats a few spellings over and over
def map_declared_type(declared: str | None) -> SqlType:
    """The OpenMetadata type of a column declared as ``declared`` (a view column may have none)."""
    declared = (declared or "").strip()
    affinity = affinity_of(declared)
    if not declared:  # no declared type: any value goes, so the type is not known
        return SqlType("UNKNOWN")
    name, numbers = _type_arguments(declared)
    display = declared
    if affinity == "INTEGER":
        return SqlType("BIGINT", display)
    if affinity == "REAL":
        return SqlType("DOUBLE", display)
    if affinity == "BLOB":
        return SqlType(_BLOB_TYPES.get(name, "BLOB"), display)
    if affinity == "TEXT":
        data_type = _TEXT_TYPES.get(name, "TEXT")
        length = numbers[0] if numbers and data_type in _NEEDS_LENGTH else None
        if data_type in _NEEDS_LENGTH and length is None:
            length = 1
        return SqlType(data_type, display, data_length=length)
    data_type = _NUMERIC_TYPES.get(name, "NUMERIC")
    if data_type in ("DECIMAL", "NUMERIC", "NUMBER") and numbers:
        scale = numbers[1] if len(numbers) > 1 else None
        return SqlType(data_type, display, precision=numbers[0], scale=scale)
    return SqlType(data_type, display)


# What the profiler computes for a column, by its OpenMetadata type.
NUMERIC_DATA_TYPES = frozenset({"BIGINT", "INT", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "DECIMAL", "NUMERIC",
                                "NUMBER"})
TEMPORAL_DATA_TYPES = frozenset({"DATE", "DATETIME", "TIMESTAMP", "TIME"})
TEXT_DATA_TYPES = frozenset({"VARCHAR", "CHAR", "TEXT", "CLOB", "MEDIUMTEXT", "STRING", "JSON", "UUID"})


# --- Reading the schema ---------------------------------------------------------


@attrs.frozen
class TableInfo:
    """One table or view of a schema, as sqlite_master and PRAGMA table_list give it."""

    schema: str
    name: str
    kind: str  # 'table', 'view' or 'virtual'
    sql: str | None
    without_rowid: bool = False


@attrs.frozen
class ColumnInfo:
    """One column, from PRAGMA table_xinfo; ``hidden`` 2 and 3 are generated columns."""

    position: int
    name: str
    declared: str
    not_null: bool
    primary_key: int  # 1-based position in the primary key, 0 when not in it
    hidden: int = 0


def list_tables(connection: sqlite3.Connection, schema: str) -> list[TableInfo]:
    """The tables, virtual tables and views of ``schema``, by name; SQLite's own and shadow tables left out."""
    master = f"{quote(schema)}.sqlite_master"
    rows = connection.execute(
        f"SELECT name, type, sql FROM {master} WHERE type IN ('table', 'view') ORDER BY name"
    ).fetchall()
    kinds: dict[str, tuple[str, bool]] = {}
    try:  # PRAGMA table_list (SQLite 3.37) tells shadow and virtual tables and WITHOUT ROWID apart
        for name, kind, without_rowid in connection.execute(
            "SELECT name, type, wr FROM pragma_table_list WHERE schema = ?", (schema,)
        ):
            kinds[name] = (kind, bool(without_rowid))
    except sqlite3.OperationalError:
        pass
    tables = []
    for name, kind, sql in rows:
        if name.startswith("sqlite_"):
            continue
        listed, without_rowid = kinds.get(name, (kind, False))
        if listed == "shadow":  # the storage of a virtual table (FTS5's _data, _idx...), not a table of its own
            continue
        if kind == "table" and (listed == "virtual" or (sql or "").upper().startswith("CREATE VIRTUAL")):
            kind = "virtual"
        tables.append(TableInfo(schema, name, kind, sql, without_rowid))
    return tables


def list_columns(connection: sqlite3.Connection, schema: str, table: str) -> list[ColumnInfo]:
    """The columns a SELECT * sees, in order, plus generated ones (hidden columns of virtual tables left out).

    Raises sqlite3.Error when the table cannot be read (a view whose table is gone).
    """
    try:
        rows = connection.execute("SELECT * FROM pragma_table_xinfo(?, ?)", (table, schema)).fetchall()
    except sqlite3.OperationalError as exc:
        if "pragma_table_xinfo" not in str(exc):
            raise
        rows = [(*row, 0) for row in connection.execute("SELECT * FROM pragma_table_info(?, ?)", (table, schema))]
    return [
        ColumnInfo(position=cid, name=name, declared=declared or "", not_null=bool(not_null), primary_key=pk,
                   hidden=hidden)
        for cid, name, declared, not_null, _default, pk, hidden in rows
        if hidden != 1  # 1: a virtual table's hidden column (FTS5's rank); 2, 3: generated columns
    ]


# --- Asking the engine what a statement reads -----------------------------------
# sqlite3.Connection.set_authorizer calls back once per table column a statement reads (SQLITE_READ)
# and per table it writes, while the statement is compiled. EXPLAIN compiles a statement without
# running it. Both happen on an in-memory copy of the schema (SchemaCopy), never on the source file.

_WRITES = {
    sqlite3.SQLITE_INSERT: "insert", sqlite3.SQLITE_UPDATE: "update", sqlite3.SQLITE_DELETE: "delete",
    sqlite3.SQLITE_CREATE_TABLE: "create", sqlite3.SQLITE_CREATE_TEMP_TABLE: "create",
    sqlite3.SQLITE_CREATE_VIEW: "create", sqlite3.SQLITE_CREATE_TEMP_VIEW: "create",
}


@attrs.frozen
class Reads:
    """What one statement touches: (schema, table, column) read and (schema, table) written, in order."""

    columns: tuple[tuple[str, str, str], ...] = ()
    written: tuple[tuple[str, str], ...] = ()  # inserted into, updated or created: data flows in
    deleted: tuple[tuple[str, str], ...] = ()  # deleted from: used, but no data flows in

    @property
    def tables(self) -> list[tuple[str, str]]:
        """Every (schema, table) read, written or deleted from, each once, in order of first use."""
        seen = dict.fromkeys((schema, table) for schema, table, _ in self.columns)
        seen.update(dict.fromkeys(self.written))
        seen.update(dict.fromkeys(self.deleted))
        return list(seen)


class _Recorder:
    """The authorizer callback: keeps every read and write it is asked about, and allows them all."""

    def __init__(self) -> None:
        self.columns: list[tuple[str, str, str]] = []
        self.written: list[tuple[str, str]] = []
        self.deleted: list[tuple[str, str]] = []
        self.created: list[tuple[str, str]] = []  # CREATE TABLE / VIEW targets, seen before SQLite checks them

    def __call__(self, action: int, first: str | None, second: str | None, schema: str | None, _by: str | None) -> int:
        if first is None or first.startswith("sqlite_"):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            self.columns.append((schema or "main", first, second or ""))
        elif action in _WRITES:
            temporary = action in (sqlite3.SQLITE_CREATE_TEMP_TABLE, sqlite3.SQLITE_CREATE_TEMP_VIEW)
            target = ("temp" if temporary else schema or "main", first)
            kept = self.deleted if _WRITES[action] == "delete" else self.written
            if target not in kept:
                kept.append(target)
            if _WRITES[action] == "create":
                self.created.append(target)
        return sqlite3.SQLITE_OK

    def reads(self) -> Reads:
        return Reads(tuple(self.columns), tuple(self.written), tuple(self.deleted))


def _allow_everything(*_: Any) -> int:
    return sqlite3.SQLITE_OK


def compile_with(connection: sqlite3.Connection, sql: str, recorder: _Recorder) -> None:
    """Compile ``sql`` with the recorder as authorizer, never running it; sqlite3.Error if it does not compile."""
    connection.set_authorizer(recorder)
    try:
        connection.execute("EXPLAIN " + sql)
    finally:
        connection.set_authorizer(_allow_everything)  # not None: Python before 3.11 would call None, denying all


def engine_reads(connection: sqlite3.Connection, sql: str) -> Reads:
    """What ``sql`` reads and writes, by the engine."""
    recorder = _Recorder()
    compile_with(connection, sql, recorder)
    return recorder.reads()


class SchemaCopy:
    """An in-memory database with one schema's tables (and indexes) as they are, and its views as tables.

    A view stands in as a plain table with the view's columns, so a statement compiled here reads
    the view itself, not what the view reads: each read is a direct one. ``view_reads()`` puts one
    view back, in a savepoint, to learn what that view reads. Triggers are not copied: what a
    trigger writes is not traced.
    """

    def __init__(self, source: sqlite3.Connection, schema: str) -> None:
        self.schema = schema
        self.uri = f"file:minigest-{uuid.uuid4().hex}?mode=memory&cache=shared"  # shared: attachable by URI
        self.connection = sqlite3.connect(self.uri, uri=True, isolation_level=None, cached_statements=0)
        self.views: dict[str, TableInfo] = {}
        for table in list_tables(source, schema):
            if table.kind == "view":
                self.views[table.name] = table
                self._stand_in(source, table)
            else:
                try:
                    self.connection.execute(str(table.sql))
                except sqlite3.Error:  # e.g. a virtual table whose module this SQLite lacks
                    self._stand_in(source, table)
        master = f"{quote(schema)}.sqlite_master"
        for (sql,) in source.execute(f"SELECT sql FROM {master} WHERE type = 'index' AND sql IS NOT NULL"):
            try:
                self.connection.execute(sql)  # an UPSERT's ON CONFLICT needs its unique index to compile
            except sqlite3.Error:
                pass  # an index of a table that has no copy

    def _stand_in(self, source: sqlite3.Connection, table: TableInfo) -> None:
        """A plain table with the columns of ``table``; none when SQLite cannot read it (a broken view)."""
        try:
            columns = list_columns(source, self.schema, table.name)
        except sqlite3.Error:
            return
        if columns:
            definition = ", ".join(f"{quote(c.name)} {quote(c.declared) if c.declared else ''}" for c in columns)
            self.connection.execute(f"CREATE TABLE {quote(table.name)} ({definition})")

    def view_reads(self, view: str) -> ViewReads:
        """What the view's own query reads (of tables and of other views), and which columns feed
        each of its columns where the engine can tell (see ``column_sources``)."""
        connection = self.connection
        connection.execute("SAVEPOINT view_probe")
        try:
            connection.execute(f"DROP TABLE IF EXISTS {quote(view)}")
            connection.execute(str(self.views[view].sql))
            reads = engine_reads(connection, f"SELECT * FROM {quote(view)}")
            names = [column.name for column in list_columns(connection, "main", view)]
            body = view_body(str(self.views[view].sql))
            sources = column_sources(connection, body, names, set(self.views) | {view}) if body else None
        finally:
            connection.execute("ROLLBACK TO view_probe")
            connection.execute("RELEASE view_probe")
        own = [read for read in reads.columns if read[1] != view]  # the outer SELECT reads the view itself
        return ViewReads(tuple((table, column) for _, table, column in own), sources)

    def close(self) -> None:
        self.connection.close()


@attrs.frozen
class ViewReads:
    """A view's direct reads, as (table, column), and, when known, the columns feeding each of its columns."""

    columns: tuple[tuple[str, str], ...]
    sources: dict[str, frozenset[tuple[str, str]]] | None


# --- Column lineage: which columns feed each column of a view -------------------
# The authorizer says which columns a statement reads, not which result column each read feeds. So
# the view's SELECT is cut at its top-level commas (a tokenizer, no SQL grammar) and each result
# column is compiled on its own, the others replaced by NULL: its reads, less those of the query with
# every column NULL (the joins and filters), are what feeds it. A CTE is made a view for the probe,
# so reading its columns shows up as reads and can be followed. Anything the cut cannot handle (a
# compound SELECT, VALUES, a recursive CTE, a probe that does not compile, a count that does not
# match the view's columns) gives no column pairs, never guessed ones.

_TOKENS = re.compile(
    r"""(?P<space>\s+|--[^\n]*|/\*.*?(?:\*/|\Z))
      | (?P<string>'(?:[^']|'')*')
      | (?P<name>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
      | (?P<word>[A-Za-z_][A-Za-z_0-9$]*)
      | (?P<open>\() | (?P<close>\)) | (?P<comma>,) | (?P<other>.)""",
    re.S | re.X,
)
_CLAUSE_ENDS = {"FROM", "WHERE", "GROUP", "HAVING", "WINDOW", "ORDER", "LIMIT", "UNION", "INTERSECT", "EXCEPT"}


@attrs.frozen
class _Token:
    kind: str
    text: str
    start: int
    end: int
    depth: int  # parentheses around the token

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def tokens(sql: str) -> list[_Token]:
    """The tokens of ``sql`` that matter for cutting it (no spaces or comments), with their depth."""
    found, depth = [], 0
    for match in _TOKENS.finditer(sql):
        kind = str(match.lastgroup)
        if kind == "space":
            continue
        if kind == "close":
            depth -= 1
        found.append(_Token(kind, match.group(), match.start(), match.end(), depth))
        if kind == "open":
            depth += 1
    return found


def _name_of(token: _Token) -> str:
    """An identifier's name, unquoted."""
    if token.kind == "name":
        quote_char = token.text[0]
        inner = token.text[1:-1]
        return inner if quote_char == "[" else inner.replace(quote_char * 2, quote_char)
    return token.text


def _closing(parts: list[_Token], index: int) -> int:
    """The index of the parenthesis closing the one at ``index``."""
    depth = parts[index].depth
    for position in range(index + 1, len(parts)):
        if parts[position].kind == "close" and parts[position].depth == depth:
            return position
    raise ValueError("unbalanced parentheses")


def view_body(sql: str) -> str | None:
    """The query of ``CREATE [TEMP] VIEW [IF NOT EXISTS] name [(columns)] AS query``."""
    parts = tokens(sql)
    for token in parts:
        if token.depth == 0 and token.keyword == "AS":
            return sql[token.end:].strip().rstrip(";")
    return None


@attrs.frozen
class SelectParts:
    """A simple SELECT cut into its CTEs, its result columns and what follows them."""

    ctes: tuple[tuple[str, str, str], ...]  # (name, column list or '', query)
    items: tuple[str, ...]
    tail: str  # FROM ... WHERE ... GROUP BY ... HAVING ... WINDOW ..., without ORDER BY and LIMIT


def split_select(sql: str) -> SelectParts | None:
    """Cut a query at its top level, or None when it is not one plain SELECT."""
    parts = tokens(sql)
    try:
        return _split(sql, parts)
    except (ValueError, IndexError):
        return None


def _split(sql: str, parts: list[_Token]) -> SelectParts | None:
    index, ctes = 0, []
    if parts and parts[0].keyword == "WITH":
        index = 1
        if parts[index].keyword == "RECURSIVE":
            return None
        while True:
            name = _name_of(parts[index])
            index += 1
            columns = ""
            if parts[index].kind == "open":
                end = _closing(parts, index)
                columns = sql[parts[index].start:parts[end].end]
                index = end + 1
            if parts[index].keyword != "AS":
                return None
            index += 1
            while parts[index].keyword in ("NOT", "MATERIALIZED"):
                index += 1
            end = _closing(parts, index)
            ctes.append((name, columns, sql[parts[index].end:parts[end].start]))
            index = end + 1
            if parts[index].kind != "comma":
                break
            index += 1
    if parts[index].keyword != "SELECT":
        return None  # VALUES, or something this cut does not know
    index += 1
    if parts[index].keyword in ("DISTINCT", "ALL"):
        index += 1
    items, start = [], parts[index].start
    tail_start = tail_end = len(sql)
    for position in range(index, len(parts)):
        token = parts[position]
        if token.depth != 0:
            continue
        if token.kind == "comma":
            items.append(sql[start:token.start].strip())
            start = parts[position + 1].start
        elif token.keyword in _CLAUSE_ENDS and parts[position - 1].keyword != "DISTINCT":  # IS DISTINCT FROM
            items.append(sql[start:token.start].strip())
            tail_start = token.start
            break
    else:
        items.append(sql[start:].strip().rstrip(";"))
    for token in parts:
        if token.depth == 0 and token.start >= tail_start:
            if token.keyword in ("UNION", "INTERSECT", "EXCEPT"):
                return None  # a compound SELECT: a column takes from every arm
            if token.keyword in ("ORDER", "LIMIT") and tail_end == len(sql):
                tail_end = token.start
    return SelectParts(tuple(ctes), tuple(items), sql[tail_start:tail_end].strip().rstrip(";"))


def _without(events: list[tuple[str, str]], baseline: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``events`` less one occurrence of each baseline event, taken from the end (joins and filters
    are compiled after the result columns)."""
    left = list(events)
    for event in reversed(baseline):
        for position in range(len(left) - 1, -1, -1):
            if left[position] == event:
                del left[position]
                break
    return left


def _probe(connection: sqlite3.Connection, sql: str) -> list[tuple[str, str]]:
    return [(table, column) for _, table, column in engine_reads(connection, sql).columns]


def column_sources(
    connection: sqlite3.Connection, query: str, names: Sequence[str], taken: set[str], depth: int = 0
) -> dict[str, frozenset[tuple[str, str]]] | None:
    """For each result column of ``query`` (named ``names``), the (table, column) pairs that feed it.

    ``taken`` holds names a CTE must not shadow. None when the engine cannot be asked column by column.
    """
    parts = split_select(query)
    if parts is None or depth > 8:
        return None
    stars = [item for item in parts.items if item == "*" or item.endswith(".*")]
    if stars and len(parts.items) > 1:
        return None
    if not stars and len(parts.items) != len(names):
        return None
    savepoint = f"column_probe_{depth}"
    connection.execute(f"SAVEPOINT {savepoint}")
    try:
        ctes: dict[str, dict[str, frozenset[tuple[str, str]]] | None] = {}
        for name, columns, body in parts.ctes:
            if name.lower() in {taken_name.lower() for taken_name in taken} or name in ctes:
                return None
            connection.execute(f"CREATE VIEW {quote(name)} {columns} AS {body}")
            cte_names = [column.name for column in list_columns(connection, "main", name)]
            ctes[name] = column_sources(connection, body, cte_names, taken | set(ctes) | {name}, depth + 1)
        nulls = [f"NULL AS {quote(name)}" for name in names]
        baseline = _probe(connection, f"SELECT {', '.join(nulls) or 'NULL'} {parts.tail}")
        found: dict[str, set[tuple[str, str]]] = {}
        if stars:
            reads = _without(_probe(connection, f"SELECT {stars[0]} {parts.tail}"), baseline)
            if len(reads) != len(names):
                return None
            found.update((name, {read}) for name, read in zip(names, reads))
        else:
            for position, name in enumerate(names):
                probe = [*nulls[:position], parts.items[position], *nulls[position + 1:]]
                found[name] = set(_without(_probe(connection, f"SELECT {', '.join(probe)} {parts.tail}"), baseline))
    except sqlite3.Error:
        return None
    finally:
        connection.execute(f"ROLLBACK TO {savepoint}")
        connection.execute(f"RELEASE {savepoint}")
    resolved: dict[str, frozenset[tuple[str, str]]] = {}
    for name, feeds in found.items():
        through: set[tuple[str, str]] = set()
        for table, column in feeds:
            if table in ctes:  # a CTE's column: what feeds it, if known
                cte = ctes[table]
                if cte is None:
                    return None
                through |= cte.get(column, frozenset())
            else:
                through.add((table, column))
        resolved[name] = frozenset(through)
    return resolved


class QueryCompiler:
    """Compiles query-log statements against the copies of every schema, attached under their own names."""

    def __init__(self, copies: dict[str, SchemaCopy]) -> None:
        self.connection = sqlite3.connect(copies["main"].uri, uri=True, isolation_level=None, cached_statements=0)
        for schema, copy in copies.items():
            if schema != "main":
                self.connection.execute("ATTACH DATABASE ? AS " + quote(schema), (copy.uri,))

    def reads(self, sql: str) -> Reads:
        """What ``sql`` reads and writes. A CREATE of a table that exists now (the query made it) is
        compiled as it first ran: with that table dropped, in a savepoint of the copy."""
        recorder = _Recorder()
        try:
            compile_with(self.connection, sql, recorder)
        except sqlite3.OperationalError as exc:
            if "already exists" not in str(exc) or not recorder.created:
                raise
        else:
            if not recorder.created or not self._kind(*recorder.created[0]):
                return recorder.reads()
        schema, name = recorder.created[0]  # CREATE ... IF NOT EXISTS compiled to nothing, or failed
        self.connection.execute("SAVEPOINT query_probe")
        try:
            self.connection.execute(f"DROP {self._kind(schema, name)} {quote(schema)}.{quote(name)}")
            return engine_reads(self.connection, sql)
        finally:
            self.connection.execute("ROLLBACK TO query_probe")
            self.connection.execute("RELEASE query_probe")

    def _kind(self, schema: str, name: str) -> str | None:
        """'TABLE' or 'VIEW' when the copy has that name, else None."""
        row = self.connection.execute(
            f"SELECT upper(type) FROM {quote(schema)}.sqlite_master WHERE name = ? AND type IN ('table', 'view')",
            (name,),
        ).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        self.connection.close()


# --- The query log --------------------------------------------------------------
# OpenMetadata's query-log CSV: a header row, then one query per record (quote a query that holds
# commas or newlines). query_text (or query) is required; user_name, start_time and end_time
# ('YYYY-MM-DD HH:MM:SS' or ISO 8601), aborted (true/false) and database_name are read; schema_name
# is not: SQLite has no current schema, and resolves a name as it always does (main, then attached).


@attrs.frozen
class LoggedQuery:
    """One record of the query log, with where it is (for failures) and when it ran."""

    where: str
    sql: str
    user_name: str | None
    start: datetime.datetime | None
    aborted: bool
    database_name: str | None


class QueryLogError(ValueError):
    """A query log that cannot be read at all (no header, no query_text column)."""


def parse_time(text: str) -> datetime.datetime:
    """'2024-05-01 10:00:00', ISO 8601 with T, fractions, Z or an offset; naive times are taken as UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def read_query_log(path: Path) -> Iterator[LoggedQuery | StackTraceError]:
    """Each record of the log, or a located failure for a record that cannot be used."""
    with open(path, encoding="utf-8-sig", newline="") as file:  # -sig: a spreadsheet's byte order mark
        reader = csv.DictReader(file)
        header = [name.strip().lower() for name in reader.fieldnames or []]
        if "query_text" not in header and "query" not in header:
            raise QueryLogError(f"{path}: the query log needs a header with a query_text column, got {header}")
        reader.fieldnames = header
        line = reader.line_num + 1
        for record in reader:
            where, line = f"{path}, line {line}", reader.line_num + 1
            text = (record.get("query_text") or record.get("query") or "").strip()
            if not text:
                yield StackTraceError(where, f"{where}: the record has no query_text")
                continue
            start = (record.get("start_time") or "").strip()
            try:
                started = parse_time(start) if start else None
            except ValueError:
                yield StackTraceError(where, f"{where}: start_time {start!r} is not a date and time")
                continue
            yield LoggedQuery(
                where=where, sql=text, user_name=(record.get("user_name") or "").strip() or None, start=started,
                aborted=(record.get("aborted") or "").strip().lower() in ("true", "1", "yes"),
                database_name=(record.get("database_name") or "").strip() or None,
            )


# --- The sources ------------------------------------------------------------------


class SqliteFile:
    """The source database opened read-only (with the attached files), and in-memory copies of its schemas."""

    def __init__(self, path: str | Path, attach: dict[str, str] | None, timeout: float) -> None:
        self.path = Path(path)
        self.attach = dict(attach or {})
        self.timeout = float(timeout)
        self._connection: sqlite3.Connection | None = None
        self._copies: dict[str, SchemaCopy] = {}

    def check(self, owner: str) -> None:
        """Refuse option values that cannot work, before anything is opened."""
        for schema in self.attach:
            if not isinstance(schema, str) or schema.lower() in ("main", "temp"):
                raise InvalidSourceException(f"{owner}: option 'attach': {schema!r} is a schema name SQLite reserves")
        if self.timeout < 0:
            raise InvalidSourceException(f"{owner}: option 'timeout' must be 0 or more seconds, got {self.timeout}")

    def open(self, owner: str) -> None:
        """Open the file read-only (and the attached ones); a missing file is a config error."""
        for path in [self.path, *map(Path, self.attach.values())]:
            if not path.is_file():
                raise InvalidSourceException(f"{owner}: database {str(path)!r} does not exist")
        self._connection = connect_read_only(self.path, self.timeout)
        for schema, attached in self.attach.items():
            try:
                self._connection.execute(f"ATTACH DATABASE ? AS {quote(schema)}", (read_only_uri(attached),))
                self._connection.execute(f"SELECT count(*) FROM {quote(schema)}.sqlite_master").fetchone()
            except sqlite3.Error as exc:
                self.close()
                raise SqliteSourceError(explain_error(attached, exc, self.timeout)) from None

    @property
    def is_open(self) -> bool:
        return self._connection is not None

    @property
    def connection(self) -> sqlite3.Connection:
        """The read-only connection (the source's prepare() opens it)."""
        if self._connection is None:
            raise SqliteSourceError(f"{self.path}: the database is not open (prepare() was not called)")
        return self._connection

    @property
    def schemas(self) -> list[str]:
        return ["main", *self.attach]

    def schema_copy(self, schema: str) -> SchemaCopy:
        """The in-memory copy of one schema, made once."""
        if schema not in self._copies:
            self._copies[schema] = SchemaCopy(self.connection, schema)
        return self._copies[schema]

    def query_compiler(self) -> QueryCompiler:
        """A connection to the copies of every schema, for the statements of a query log."""
        return QueryCompiler({schema: self.schema_copy(schema) for schema in self.schemas})

    def error(self, exc: sqlite3.Error) -> str:
        return explain_error(self.path, exc, self.timeout)

    def close(self) -> None:
        for copy in self._copies.values():
            copy.close()
        self._copies.clear()
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class SqliteSource(DatabaseSource):
    """What the roles that walk the tables share: the options, and the walk down to each table and view.

    Options: ``database`` (the file), ``database_name`` (default the file's stem), ``attach`` (schema
    name -> another database file, walked read-only after ``main``), ``timeout`` (seconds to wait for
    a database another process is writing), and DatabaseSource's ``service_name`` and filter patterns.
    """

    service_type = "SQLite"
    default_service_name = "sqlite"

    # Optional[...], not `X | None`: the options reader evaluates these annotations, also on Python 3.9.
    def __init__(
        self,
        *,
        database: Path,
        database_name: Optional[str] = None,  # noqa: UP045
        attach: Optional[dict[str, str]] = None,  # noqa: UP045
        timeout: float = 5.0,
        **options: Any,
    ) -> None:
        path = Path(os.fspath(database))
        super().__init__(source_directory=path, business_unit=database_name or path.stem, **options)
        self.file = SqliteFile(str(path), attach, timeout)
        self.file.check(self.name)
        self.database_name = self.business_unit

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__signature__ = _without_path_options(cls)  # type: ignore[attr-defined]

    def prepare(self) -> None:
        self.file.open(self.name)

    def test_connection(self) -> None:
        self.prepare()
        self.close()

    def close(self) -> None:
        self.file.close()

    def table_name(self, element: TableInfo | StackTraceError) -> str | None:
        return element.name if isinstance(element, TableInfo) else None  # None: the listing itself failed

    def locate(self, element: Any) -> str:
        return str(self.file.path)

    def get_database_schemas(self) -> Iterator[str]:
        yield from self.file.schemas

    def get_tables(self) -> Iterator[TableInfo | StackTraceError]:
        schema = str(self.context.database_schema)
        try:
            yield from list_tables(self.file.connection, schema)
        except sqlite3.Error as exc:
            yield StackTraceError(schema, self.file.error(exc))

    def table_fqn(self, schema: str, table: str) -> str:
        """The fully qualified name of a table of this database (the same in every role)."""
        return fqn_join(self.service_name, self.database_name, schema, table)


def _without_path_options(cls: type) -> inspect.Signature:
    """The options of ``cls`` less DatabaseSource's source_directory and business_unit, which
    ``database`` and ``database_name`` fill."""
    signature = inspect.signature(cls)
    kept = [p for p in signature.parameters.values() if p.name not in ("source_directory", "business_unit")]
    return signature.replace(parameters=kept)


class SqliteMetadataSource(SqliteSource):
    """Service -> database -> schema ``main`` (and attached ones) -> tables and views, with their columns."""

    def yield_table(self, element: TableInfo | StackTraceError) -> Iterator[Either[Table]]:
        if isinstance(element, StackTraceError):
            yield Either(left=element)
            return
        where = f"{self.file.path}: {'view' if element.kind == 'view' else 'table'} {element.schema}.{element.name}"
        try:
            columns = list_columns(self.file.connection, element.schema, element.name)
        except sqlite3.Error as exc:  # a view whose table was dropped, a virtual table without its module
            yield failure(element.name, f"{where}: {exc}")
            return
        view = element.kind == "view"
        try:
            table = Table(
                name=element.name,
                database_schema=self.schema_fqn,
                columns=[table_column(column, position) for position, column in enumerate(columns, start=1)],
                table_type="View" if view else "Regular",
                description=_table_note(element),
                table_constraints=[] if view else self.table_constraints(element, columns),
                view_definition=element.sql if view else None,
            )
        except ValueError as exc:  # a name OpenMetadata refuses
            yield failure(element.name, f"{where}: {exc}")
            return
        yield Either(right=table)


    def table_constraints(self, table: TableInfo, columns: Sequence[ColumnInfo]) -> list[TableConstraint]:
        """The primary key, UNIQUE constraints and foreign keys (pointing at the referred columns' fqns)."""
        connection, schema = self.file.connection, table.schema
        constraints = []
        key = [column.name for column in sorted(columns, key=lambda c: c.primary_key) if column.primary_key]
        if key:
            constraints.append(TableConstraint(constraint_type="PRIMARY_KEY", columns=key))
        for index, origin in connection.execute(
            "SELECT name, origin FROM pragma_index_list(?, ?) ORDER BY seq DESC", (table.name, schema)
        ):
            if origin == "u":
                names = [row[0] for row in connection.execute(
                    "SELECT name FROM pragma_index_info(?, ?) ORDER BY seqno", (index, schema))]
                if names and None not in names:
                    constraints.append(TableConstraint(constraint_type="UNIQUE", columns=names))
        keys: dict[int, list[tuple[str, str, str | None]]] = {}
        for number, _seq, parent, child, referred in connection.execute(
            "SELECT id, seq, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?, ?) ORDER BY id DESC, seq",
            (table.name, schema),
        ):
            keys.setdefault(number, []).append((parent, child, referred))
        for parts in keys.values():
            parent = parts[0][0]
            referred = [to for _, _, to in parts]
            if None in referred:  # REFERENCES parent, without columns: the parent's primary key
                parent_columns = list_columns(connection, schema, parent) if _exists(connection, schema, parent) else []
                referred = [c.name for c in sorted(parent_columns, key=lambda c: c.primary_key) if c.primary_key]
            if len(referred) != len(parts):
                self.status.warning(table.name, f"{self.file.path}: {schema}.{table.name}: the foreign key to "
                                                f"{parent!r} names no columns and {parent!r} has no primary key")
                continue
            parent_fqn = self.table_fqn(schema, parent)
            constraints.append(TableConstraint(
                constraint_type="FOREIGN_KEY", columns=[child for _, child, _ in parts],
                referred_columns=[f"{parent_fqn}.{fqn_join(str(name))}" for name in referred],
            ))
        return constraints


def _exists(connection: sqlite3.Connection, schema: str, table: str) -> bool:
    master = f"{quote(schema)}.sqlite_master"
    return connection.execute(f"SELECT 1 FROM {master} WHERE name = ? COLLATE NOCASE", (table,)).fetchone() is not None


def _table_note(table: TableInfo) -> str | None:
    """What a plain table description cannot say: a virtual table's module, WITHOUT ROWID."""
    if table.kind == "virtual":
        module = (table.sql or "").partition(" USING ")[2].split("(", 1)[0].strip() or "unknown"
        return f"SQLite virtual table (module {module})"
    if table.without_rowid:
        return "SQLite WITHOUT ROWID table"
    return None


def table_column(column: ColumnInfo, position: int) -> Column:
    """A models.Column from PRAGMA table_xinfo's row, the declared type mapped by affinity."""
    mapped = map_declared_type(column.declared)
    description = {2: "generated column (VIRTUAL)", 3: "generated column (STORED)"}.get(column.hidden)
    return Column(
        name=column.name,
        data_type=mapped.data_type,
        data_type_display=mapped.display,
        data_length=mapped.data_length,
        precision=mapped.precision,
        scale=mapped.scale,
        constraint="NOT_NULL" if column.not_null else None,
        description=description,
        ordinal_position=position,
    )


class _TablesOnly(SqliteSource):
    """A role that walks the same topology but passes on only what it makes per table.

    The service, database and schema still go through the walk, so the context (and every fqn) is
    the metadata role's, but they are not yielded: this role describes tables the metadata role made.
    """

    def _iter(self) -> Iterator[Either[Any]]:
        for result in super()._iter():
            if result.left is None and isinstance(result.right, _WALK_ONLY):
                continue
            yield result


_WALK_ONLY = (DatabaseService, Database, DatabaseSchema, Contents)


class SqliteLineageSource(_TablesOnly):
    """Lineage from the engine: what each view reads, then what each query of the query log writes.

    A view yields an edge from every base table it reads, also through other views, and an edge from
    each view it reads directly (ViewLineage). ``INSERT INTO t SELECT``, ``CREATE TABLE t AS SELECT``
    and ``UPDATE t ... FROM`` in ``query_log`` yield edges from the tables read to the table written
    (QueryLineage). A statement that does not compile is one failure naming the log file and line.
    """

    def __init__(self, *, query_log: Optional[Path] = None, **options: Any) -> None:  # noqa: UP045
        super().__init__(**options)
        self.query_log = Path(query_log) if query_log else None
        self._direct: dict[tuple[str, str], ViewReads | str] = {}

    def prepare(self) -> None:
        _check_query_log(self.name, self.query_log)
        super().prepare()

    def yield_table(self, element: TableInfo | StackTraceError) -> Iterator[Either[Any]]:
        if isinstance(element, StackTraceError):
            yield Either(left=element)
            return
        if element.kind != "view":
            return
        schema, view = element.schema, element.name
        reads = self._reads_of_view(schema, view)
        if isinstance(reads, str):
            yield failure(view, f"{self.file.path}: view {schema}.{view}: {reads}")
            return
        views = self.file.schema_copy(schema).views
        sources = dict.fromkeys(table for table, _ in reads.columns)  # what the view reads itself
        for table in list(sources):
            if table in views:  # and, through a view, the base tables under it
                under = self._closure(schema, table, set())
                sources.update(dict.fromkeys(base for base, _ in sorted(under) if base not in views))
        feeding = {
            column: self._column_closure(schema, direct, {view}) for column, direct in (reads.sources or {}).items()
        }
        to_fqn = self.table_fqn(schema, view)
        for table in sources:
            if table == view:
                continue
            from_fqn = self.table_fqn(schema, table)
            pairs = [
                ([f"{from_fqn}.{fqn_join(name)}" for name in sorted(c for t, c in feeds if t == table)],
                 f"{to_fqn}.{fqn_join(column)}")
                for column, feeds in feeding.items()
            ]
            yield Either(right=LineageEdge(
                from_fqn=from_fqn, to_fqn=to_fqn, sql=element.sql, source="ViewLineage",
                columns=[(sources_, target) for sources_, target in pairs if sources_],
            ))

    def _reads_of_view(self, schema: str, view: str) -> ViewReads | str:
        """The view's direct reads, or why it has none (it does not compile)."""
        key = (schema, view)
        if key not in self._direct:
            try:
                self._direct[key] = self.file.schema_copy(schema).view_reads(view)
            except sqlite3.Error as exc:
                self._direct[key] = str(exc)
        return self._direct[key]

    def _closure(self, schema: str, view: str, path: set[str]) -> set[tuple[str, str]]:
        """Every (table, column) under a view, through the views it reads (a cycle is cut)."""
        reads = self._reads_of_view(schema, view)
        if isinstance(reads, str) or view in path:
            return set()
        views = self.file.schema_copy(schema).views
        found = set(reads.columns)
        for table, _ in reads.columns:
            if table in views:
                found |= self._closure(schema, table, path | {view})
        return found

    def _column_closure(self, schema: str, direct: Iterable[tuple[str, str]], path: set[str]) -> set[tuple[str, str]]:
        """The columns feeding a column, through views, where each view says which of its columns are fed by what."""
        views = self.file.schema_copy(schema).views
        found = set(direct)
        for table, column in direct:
            if table in views and table not in path:
                reads = self._reads_of_view(schema, table)
                if not isinstance(reads, str) and reads.sources is not None:
                    found |= self._column_closure(schema, reads.sources.get(column, ()), path | {table})
        return found

    def _iter(self) -> Iterator[Either[Any]]:
        yield from super()._iter()
        if self.query_log is not None and self.file.is_open:
            yield from self._query_log_lineage(self.query_log)

    def _query_log_lineage(self, query_log: Path) -> Iterator[Either[LineageEdge]]:
        compiler = self.file.query_compiler()
        try:
            for entry, reads in _compiled_queries(self, query_log, compiler):
                if isinstance(entry, StackTraceError):
                    yield Either(left=entry)
                    continue
                read = dict.fromkeys((schema, table) for schema, table, _ in reads.columns if schema != "temp")
                for target in reads.written:
                    if target[0] == "temp":
                        continue  # a temporary table is no table of the catalog
                    for source in read:
                        if source != target:
                            yield Either(right=LineageEdge(
                                from_fqn=self.table_fqn(*source), to_fqn=self.table_fqn(*target),
                                sql=entry.sql, source="QueryLineage",
                            ))
        finally:
            compiler.close()


def _check_query_log(owner: str, path: Path | None) -> None:
    if path is not None and not path.is_file():
        raise InvalidSourceException(f"{owner}: query_log {str(path)!r} does not exist")


def _compiled_queries(
    source: SqliteSource | SqliteUsageSource, path: Path, compiler: QueryCompiler
) -> Iterator[tuple[LoggedQuery | StackTraceError, Reads]]:
    """Each usable query of the log with what it reads, or a located failure.

    Aborted queries and those of another database are counted as filtered.
    """
    try:
        for entry in read_query_log(path):
            if isinstance(entry, StackTraceError):
                yield entry, Reads()
                continue
            if entry.aborted:
                source.status.filter(entry.where, "the query was aborted")
                continue
            if entry.database_name not in (None, source.database_name):
                source.status.filter(entry.where, f"the query ran on database {entry.database_name!r}, "
                                                  f"not {source.database_name!r}")
                continue
            try:
                reads = compiler.reads(entry.sql)
            except (sqlite3.Error, sqlite3.Warning) as exc:
                yield StackTraceError(entry.where, f"{entry.where}: the query does not compile: {exc}"), Reads()
                continue
            yield entry, reads
    except (OSError, UnicodeDecodeError, csv.Error, QueryLogError) as exc:
        yield StackTraceError(str(path), f"{path}: the query log cannot be read: {exc}"), Reads()


class SqliteUsageSource(Source):
    """The query log as ``Query`` entities, each naming the tables it used (found by the engine).

    Send them to ``UsageStage``, which counts each table's queries per day, then to ``SqliteBulkSink``.
    A query without start_time counts on the day the log file was last modified.
    """

    def __init__(
        self,
        *,
        database: Path,
        query_log: Path,
        database_name: Optional[str] = None,  # noqa: UP045
        service_name: str = "sqlite",
        attach: Optional[dict[str, str]] = None,  # noqa: UP045
        timeout: float = 5.0,
    ) -> None:
        super().__init__()
        self.file = SqliteFile(database, attach, timeout)
        self.file.check(self.name)
        self.query_log = Path(query_log)
        self.database_name = database_name or self.file.path.stem
        self.service_name = service_name

    def prepare(self) -> None:
        _check_query_log(self.name, self.query_log)
        self.file.open(self.name)

    def test_connection(self) -> None:
        self.prepare()
        self.close()

    def close(self) -> None:
        self.file.close()

    def table_fqn(self, schema: str, table: str) -> str:
        return fqn_join(self.service_name, self.database_name, schema, table)

    def _iter(self) -> Iterator[Either[Query]]:
        modified = datetime.datetime.fromtimestamp(self.query_log.stat().st_mtime, tz=datetime.timezone.utc)
        log_day = modified.replace(hour=0, minute=0, second=0, microsecond=0)
        compiler = self.file.query_compiler()
        try:
            for entry, reads in _compiled_queries(self, self.query_log, compiler):
                if isinstance(entry, StackTraceError):
                    yield Either(left=entry)
                    continue
                tables = [self.table_fqn(schema, table) for schema, table in reads.tables if schema != "temp"]
                yield Either(right=Query(
                    sql=entry.sql, service=self.service_name, table_fqns=tables,
                    user_name=entry.user_name,
                    query_date=int((entry.start or log_day).timestamp() * 1000),
                ))
        finally:
            compiler.close()


# --- Profiles and samples, computed in the database -------------------------------


# SQLite returns at most 2,000 result columns (SQLITE_MAX_COLUMN): a wider table's metrics take
# more than one query, each a pass over the table.
MAX_RESULT_COLUMNS = 1_900


def shift_query(schema: str, table: str, columns: Sequence[tuple[str, str]]) -> str | None:
    """One value of each numeric column (the first stored as a number): what its squares are shifted by.

    It reads only until each column's first number; None when the table has no numeric column.
    """
    source = f"{quote(schema)}.{quote(table)}"
    firsts = [f"(SELECT {quote(name)} FROM {source} WHERE typeof({quote(name)}) IN ('integer', 'real') LIMIT 1)"
              for name, data_type in columns if data_type in NUMERIC_DATA_TYPES]
    return f"SELECT {', '.join(firsts)}" if firsts else None


def profile_queries(schema: str, table: str, columns: Sequence[tuple[str, str]]) -> list[str]:
    """The SELECTs returning every metric of every column of the table, each in one row: one query,
    unless the table is so wide that its metrics exceed SQLite's result columns.

    ``columns`` are (name, OpenMetadata type). Numeric metrics use only the values stored as numbers,
    lengths only the values stored as text (SQLite lets any value into any column). The standard
    deviation is the population one, from sums of squares shifted by one value of the column, the
    named parameter ``shift_<i>`` for the i-th numeric column (see ``shift_query``): the same
    variance, without the cancellation that large values would cause.
    """
    source = f"{quote(schema)}.{quote(table)}"
    queries, parts, numeric = [], ["count(*)"], 0
    for name, data_type in columns:
        metrics = _column_metrics(source, quote(name), data_type, f":shift_{numeric}")
        numeric += data_type in NUMERIC_DATA_TYPES
        if len(parts) + len(metrics) > MAX_RESULT_COLUMNS:
            queries.append(f"SELECT {', '.join(parts)} FROM {source}")
            parts = ["count(*)"]
        parts += metrics
    queries.append(f"SELECT {', '.join(parts)} FROM {source}")
    return queries


def _column_metrics(source: str, c: str, data_type: str, shift: str) -> list[str]:
    """The aggregate expressions of one column, in the order profile_from_row reads them."""
    parts = [
        f"count({c})",
        f"count(DISTINCT {c})",
        f"(SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {c} IS NOT NULL GROUP BY {c} HAVING count(*) = 1))",
    ]
    if data_type in NUMERIC_DATA_TYPES:
        number = f"(CASE WHEN typeof({c}) IN ('integer', 'real') THEN {c} END)"
        parts += [  # min(c) is min(number) when there are numbers: SQLite orders them before text and blobs
            f"min({c})", f"max({number})", f"avg({number})", f"total({number})", f"count({number})",
            f"count(CASE WHEN typeof({c}) = 'integer' THEN 1 END)",
            f"total(({number} - {shift}) * ({number} - {shift}))", f"total({number} - {shift})",
        ]
    elif data_type in TEMPORAL_DATA_TYPES:
        text = f"(CASE WHEN typeof({c}) = 'text' THEN {c} END)"
        parts += [f"min({text})", f"max({text})"]
    if data_type in TEXT_DATA_TYPES:
        length = f"(CASE WHEN typeof({c}) = 'text' THEN length({c}) END)"
        parts += [f"min({length})", f"max({length})"]
    return parts


def _ratio(part: int | None, whole: int | None) -> float | None:
    return None if part is None or not whole else part / whole


def _finite(value: Any) -> Any:
    """A metric JSON can carry: a sum or mean beyond the largest double is not given."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _population_stddev(squares: float, shifted: float, count: int) -> float | None:
    """sqrt(E[(x-s)^2] - E[x-s]^2), or None when the sums overflowed a double."""
    mean = shifted / count
    variance = squares / count - mean * mean
    return math.sqrt(max(variance, 0.0)) if math.isfinite(variance) else None


def profile_from_row(table_fqn: str, row: Sequence[Any], columns: Sequence[tuple[str, str]],
                     timestamp: int, rescale: Callable[[str, Any, Any], float | None] | None = None) -> TableProfile:
    """The TableProfile of the rows of ``profile_queries``, joined into one (a single count(*) first).

    ``rescale(column, min, max)`` is asked for the standard deviation of a column whose squares
    overflowed a double (values near 1e154 and beyond).
    """
    values = iter(row)
    row_count = next(values)
    profiles = []
    for name, data_type in columns:
        count, distinct, unique = next(values), next(values), next(values)
        metrics: dict[str, Any] = {}
        if data_type in NUMERIC_DATA_TYPES:
            low, high, mean, total, numbers, integers, squares, shifted = itertools.islice(values, 8)
            if not numbers:
                low = None  # min(c) of a column holding no number is a text's
            elif integers == numbers and max(abs(low), abs(high)) * numbers < 2**53:
                total = int(total)  # every partial sum of these integers is exact in a double: the CSV's int sum
            metrics.update(min=low, max=high, mean=_finite(mean), sum=_finite(total) if numbers else None)
            if numbers:
                stddev = _population_stddev(squares, shifted, numbers)
                if stddev is None and rescale is not None:
                    stddev = rescale(name, low, high)
                metrics["stddev"] = stddev
        elif data_type in TEMPORAL_DATA_TYPES:
            metrics["min"], metrics["max"] = itertools.islice(values, 2)
        if data_type in TEXT_DATA_TYPES:
            metrics["min_length"], metrics["max_length"] = itertools.islice(values, 2)
        profiles.append(ColumnProfile(
            name=name, values_count=count, null_count=row_count - count,
            null_proportion=_ratio(row_count - count, row_count), distinct_count=distinct,
            distinct_proportion=_ratio(distinct, count), unique_count=unique,
            unique_proportion=_ratio(unique, count), **metrics,
        ))
    return TableProfile(table_fqn=table_fqn, timestamp=timestamp, row_count=row_count, column_count=len(columns),
                        columns=profiles)


class SqliteProfilerSource(_TablesOnly):
    """One ``TableProfile`` per table, each computed by one aggregate query in the database.

    Views are left out unless ``include_views`` (profiling a view runs its query).
    """

    def __init__(self, *, include_views: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.include_views = include_views

    def yield_table(self, element: TableInfo | StackTraceError) -> Iterator[Either[Any]]:
        if isinstance(element, StackTraceError):
            yield Either(left=element)
            return
        if element.kind == "view" and not self.include_views:
            self.status.filter(element.name, "a view (set include_views to profile views)")
            return
        where = f"{self.file.path}: {element.schema}.{element.name}"
        try:
            columns = [(c.name, map_declared_type(c.declared).data_type)
                       for c in list_columns(self.file.connection, element.schema, element.name)]
            connection = self.file.connection
            first = shift_query(element.schema, element.name, columns)
            firsts = connection.execute(first).fetchone() if first else ()
            shifts = {f"shift_{index}": value for index, value in enumerate(firsts)}
            row: list[Any] = []
            for query in profile_queries(element.schema, element.name, columns):
                values = connection.execute(query, shifts).fetchone()  # a query takes the shifts it names
                row.extend(values if not row else values[1:])  # each starts with count(*)
        except sqlite3.Error as exc:
            yield failure(element.name, f"{where}: cannot profile: {self.file.error(exc)}")
            return
        timestamp = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
        def rescale(column: str, low: float, high: float) -> float | None:
            return self._rescaled_stddev(element, column, max(abs(low), abs(high)))

        profile = profile_from_row(self.table_fqn(element.schema, element.name), row, columns, timestamp, rescale)
        for column in profile.columns:
            if column.values_count and (column.mean is None) != (column.sum is None):
                self.status.warning(element.name, f"{where}: column {column.name!r}: the sum of its values is "
                                                  "beyond the largest double, so it is not given")
        yield Either(right=profile)

    def _rescaled_stddev(self, table: TableInfo, column: str, scale: float) -> float | None:
        """The standard deviation of values too large to square: computed on x / max|x|, then scaled back."""
        c, source = quote(column), f"{quote(table.schema)}.{quote(table.name)}"
        number = f"(CASE WHEN typeof({c}) IN ('integer', 'real') THEN {c} / ? END)"
        squares, total, count = self.file.connection.execute(
            f"SELECT total({number} * {number}), total({number}), count({number}) FROM {source}", (scale,) * 4
        ).fetchone()
        stddev = _population_stddev(squares, total, count) if count else None
        return None if stddev is None else scale * stddev


def _json_value(value: Any) -> Any:
    """A stored value as JSON can carry it: blobs as hex text, infinities as text."""
    if isinstance(value, bytes):
        return "x'" + value.hex() + "'"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class SqliteSamplerSource(_TablesOnly):
    """Some rows of each table and view as ``SampleData``, with the CSV sampler's options.

    ``sample_data_count`` rows (OpenMetadata's option, default 50); ``randomized_sample`` true (the
    default) takes a uniform sample of the whole table in one pass (reservoir sampling), repeatable
    with ``seed``; false takes the first rows (``LIMIT``).
    """

    # Optional[...], not `X | None`: the options reader evaluates these annotations, also on Python 3.9.
    def __init__(
        self,
        *,
        sample_data_count: int = 50,
        randomized_sample: bool = True,
        seed: Optional[int] = None,  # noqa: UP045
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if isinstance(sample_data_count, bool) or not isinstance(sample_data_count, int) or sample_data_count < 0:
            raise InvalidSourceException(
                f"{self.name}: option 'sample_data_count' must be 0 or more, got {sample_data_count!r}"
            )
        self.sample_data_count = sample_data_count
        self.randomized_sample = randomized_sample
        self.seed = seed

    def yield_table(self, element: TableInfo | StackTraceError) -> Iterator[Either[Any]]:
        if isinstance(element, StackTraceError):
            yield Either(left=element)
            return
        where = f"{self.file.path}: {element.schema}.{element.name}"
        connection = self.file.connection
        try:
            names = [column.name for column in list_columns(connection, element.schema, element.name)]
            select = f"SELECT {', '.join(map(quote, names))} FROM {quote(element.schema)}.{quote(element.name)}"
            if self.randomized_sample:
                # One generator per table, from the seed and the table: adding a table changes no other sample.
                chooser = random.Random(f"{self.seed}/{element.schema}/{element.name}") if self.seed is not None \
                    else random.Random()
                rowid = _rowid_name(element, names)
                if rowid is None:  # a view or a WITHOUT ROWID table: the whole rows go through the reservoir
                    rows = _reservoir(connection.execute(select), self.sample_data_count, chooser)
                else:  # only the row ids do, then the chosen rows are read (the same rows, in the same order)
                    source = f"{quote(element.schema)}.{quote(element.name)}"
                    chosen = _reservoir((row[0] for row in connection.execute(f"SELECT {rowid} FROM {source}")),
                                        self.sample_data_count, chooser)
                    rows = _rows_by_id(connection, select.replace("SELECT ", f"SELECT {rowid}, ", 1), rowid, chosen)
            else:
                rows = connection.execute(select + " LIMIT ?", (self.sample_data_count,)).fetchall()
        except sqlite3.Error as exc:
            yield failure(element.name, f"{where}: cannot sample: {self.file.error(exc)}")
            return
        yield Either(right=SampleData(
            table_fqn=self.table_fqn(element.schema, element.name), columns=names,
            rows=[[_json_value(value) for value in row] for row in rows],
        ))


def _rows_by_id(connection: sqlite3.Connection, select: str, rowid: str, ids: list[int]) -> list[Any]:
    """The rows with these row ids, in row id order; ``select`` reads the row id first (then dropped)."""
    found = []
    for start in range(0, len(ids), 500):  # bound parameters per statement stay under old SQLite's 999
        batch = ids[start:start + 500]
        found += connection.execute(f"{select} WHERE {rowid} IN ({', '.join('?' * len(batch))})", batch).fetchall()
    return [row[1:] for row in sorted(found, key=lambda row: row[0])]


def _rowid_name(table: TableInfo, columns: Sequence[str]) -> str | None:
    """A name that reads the table's row id (one its columns do not take), or None when it has none."""
    if table.kind != "table" or table.without_rowid:
        return None
    taken = {name.lower() for name in columns}
    return next((name for name in ("rowid", "_rowid_", "oid") if name not in taken), None)


def _reservoir(rows: Iterable[Any], size: int, chooser: random.Random) -> list[Any]:
    """A uniform sample of ``size`` rows in one pass (Algorithm R), kept in table order."""
    kept: list[tuple[int, Any]] = []
    for number, row in enumerate(rows):
        if number < size:
            kept.append((number, row))
        else:
            slot = chooser.randint(0, number)
            if slot < size:
                kept[slot] = (number, row)
    return [row for _, row in sorted(kept, key=lambda item: item[0])]


# --- The usage stage ------------------------------------------------------------


class UsageStage(FileStage):
    """Counts each table's queries per day; when the run completes, stages the totals and the queries.

    What it writes is a FileStage file ({"kind", "fqn", "body"} lines), so ``SqliteBulkSink`` loads
    it: one ``TableUsage`` per table per day (a total, so loading the same log twice counts nothing
    twice), then each distinct query once, at most ``max_queries`` of them (the rest are counted but
    not kept).
    """

    def __init__(self, staging_file: Path, max_queries: int = 1000) -> None:
        super().__init__(staging_file)
        if isinstance(max_queries, bool) or not isinstance(max_queries, int) or max_queries < 0:
            raise ConfigError(f"UsageStage: option 'max_queries' must be 0 or more, got {max_queries!r}")
        self.max_queries = max_queries
        self.counts: Counter[tuple[str, str]] = Counter()
        self.queries: dict[str, Query] = {}
        self._dropped = 0

    @classmethod
    def create(cls, config: dict[str, Any]) -> UsageStage:
        """Options from ``__init__``'s signature (FileStage's own create() knows only staging_file)."""
        return super(FileStage, cls).create(config)

    def _run(self, record: Any) -> Iterator[Either[Any]]:
        if not isinstance(record, Query):
            yield Either(left=StackTraceError(type(record).__name__, f"UsageStage counts Query records, "
                                                                     f"got a {type(record).__name__}"))
            return
        day = _day(record.query_date)
        for table_fqn in dict.fromkeys(record.table_fqns):
            self.counts[(table_fqn, day)] += 1
        if record.fqn not in self.queries:
            if len(self.queries) < self.max_queries:
                self.queries[record.fqn] = record
            else:
                self._dropped += 1
        yield Either(right=record)

    def entities(self) -> Iterator[TableUsage | Query]:
        """What the stage writes: the counts, by table and day, then the queries."""
        for (table_fqn, day), count in sorted(self.counts.items()):
            yield TableUsage(table_fqn=table_fqn, date=day, count=count)
        yield from self.queries.values()

    def commit(self) -> None:
        """Stage the totals through FileStage, then put the file in place."""
        if self._dropped:
            self.status.warning("queries", f"{self._dropped} distinct queries beyond max_queries "
                                           f"({self.max_queries}) were counted but not kept")
        for entity in self.entities():
            for result in super()._run(entity):
                if result.left is not None:
                    raise ValueError(result.left.error)
        super().commit()


def _day(query_date: int | None) -> str:
    moment = datetime.datetime.fromtimestamp((query_date or 0) / 1000, tz=datetime.timezone.utc)
    return moment.date().isoformat()


# The roles of this connector: a config's type "connectors.sqlite_connector" runs the metadata one.
ServiceSpec = minigest.ServiceSpec(
    metadata_source_class=SqliteMetadataSource,
    lineage_source_class=SqliteLineageSource,
    usage_source_class=SqliteUsageSource,
    profiler_class=SqliteProfilerSource,
    sampler_class=SqliteSamplerSource,
)
