"""Where database entities go: a JSON-lines staging file, then a SQLite catalog.

``FileStage`` writes each entity as one JSON line (its kind, fully qualified
name and OpenMetadata body) under a temporary name, renamed into place when the
Workflow commits the run; a reader never sees half a file. ``SqliteBulkSink``
then loads exactly the file this run's stage committed into SQLite in one
transaction, upserting by fully qualified name: a second run adds no
duplicates, a load that fails midway (even on Ctrl-C) leaves the catalog as it
was and reports nothing loaded, and with ``mark_deleted`` the tables and schemas
the source no longer has are removed in that same transaction.
"""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Optional

from connectors.models import (
    ENTITY_KINDS,
    NAMED_BY_TABLE,
    PROFILE_METRICS,
    Contents,
    Database,
    DatabaseSchema,
    DatabaseService,
    LineageEdge,
    Query,
    SampleData,
    Table,
    TableProfile,
    TableUsage,
    kind_of,
)
from minigest import BulkSink, ConfigError, Either, JsonLinesWriter, StackTraceError, Stage

__all__ = ["FileStage", "SqliteBulkSink", "SCHEMA", "parse_staging_line"]


# --- The staging file -------------------------------------------------------


class FileStage(Stage):
    """Writes each entity as one JSON line: {"kind": ..., "fqn": ..., "body": to_dict()}.

    ``commit()`` renames the file into place and keeps it open for reading, so the bulk sink of the
    same run loads exactly this file, even if another job renames its own file over the path.
    """

    def __init__(self, staging_file: Path) -> None:
        super().__init__()
        if not os.fspath(staging_file).strip():
            raise ConfigError(f"{self.name}: option 'staging_file' must be a non-empty path")
        self.path = Path(staging_file)
        if not self.path.parent.is_dir():
            folder = str(self.path.parent)
            raise ConfigError(f"{self.name}: option 'staging_file': the folder {folder!r} does not exist")
        self._writer: JsonLinesWriter | None = None
        self._committed: IO[str] | None = None  # what commit() renamed into place, open for reading
        self._identity: tuple[int, int] | None = None  # its (device, inode)
        self._broken: str | None = None  # the first write that failed: such a file is never committed

    def _run(self, record: Any) -> Iterator[Either[Any]]:
        try:
            kind = kind_of(record)
        except ValueError as exc:
            yield Either(left=StackTraceError(name=type(record).__name__, error=str(exc)))
            return
        if self._writer is None:  # created on first use, next to the staging file so the rename is atomic
            self._writer = JsonLinesWriter(self.path)
        try:
            self._writer.write({"kind": kind, "fqn": record.fqn, "body": record.to_dict()})
        except OSError as exc:  # a full disk: this record fails, and the file may now hold half a line
            self._broken = self._broken or f"{type(exc).__name__}: {exc}"
            raise
        yield Either(right=record)

    def commit(self) -> None:
        """The run completed: put this run's file in place (staging nothing gives an empty file).

        When that fails, nothing was staged: the records counted so far are reset to 0.
        """
        writer, self._writer = self._writer or JsonLinesWriter(self.path), None
        try:
            if self._broken is not None:
                raise OSError(f"{self.path} not written: a write failed during the run ({self._broken})")
            writer.file.flush()
            reader = open(writer.temporary, encoding="utf-8")  # noqa: SIM115 - kept open for the bulk sink
        except BaseException:
            writer.discard()
            self.status.records = 0
            raise
        try:
            writer.commit()  # discards the temporary file itself when it fails
        except BaseException:
            reader.close()
            self.status.records = 0
            raise
        stat = os.fstat(reader.fileno())
        self._committed, self._identity = reader, (stat.st_dev, stat.st_ino)

    def open_committed(self) -> IO[str]:
        """The file this run committed, open for reading from its start; the caller closes it.

        Raises ValueError when the stage committed nothing this run, or when the file at the path
        is no longer the one it committed and its handle is gone.
        """
        if self._committed is not None:
            handle, self._committed = self._committed, None
            handle.seek(0)
            return handle
        if self._identity is None:
            raise ValueError(f"{self.name} did not commit {self.path} in this run")
        handle = open(self.path, encoding="utf-8")  # noqa: SIM115 - returned to the caller
        stat = os.fstat(handle.fileno())
        if (stat.st_dev, stat.st_ino) != self._identity:
            handle.close()
            raise ValueError(f"{self.path} is no longer the file {self.name} wrote: another run replaced it")
        return handle

    def discard(self) -> None:
        """Forget what was written and not committed; the staging file is left as it was."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.discard()

    def close(self) -> None:
        """Drop an uncommitted file and a committed one's handle nobody took."""
        committed, self._committed = self._committed, None
        try:
            self.discard()
        finally:
            if committed is not None:
                committed.close()


# --- The SQLite catalog -----------------------------------------------------

# Entity tables reference their parents; the other roles' tables are keyed by the table's fqn with
# no foreign key, so a profile, sample, lineage or usage run does not need a metadata run first.
SCHEMA = """
CREATE TABLE IF NOT EXISTS services (
    fqn TEXT PRIMARY KEY, name TEXT NOT NULL, service_type TEXT, description TEXT, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS databases (
    fqn TEXT PRIMARY KEY, name TEXT NOT NULL, service_fqn TEXT NOT NULL REFERENCES services(fqn),
    description TEXT, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS databases_by_service ON databases (service_fqn);
CREATE TABLE IF NOT EXISTS schemas (
    fqn TEXT PRIMARY KEY, name TEXT NOT NULL, database_fqn TEXT NOT NULL REFERENCES databases(fqn),
    description TEXT, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS schemas_by_database ON schemas (database_fqn);
CREATE TABLE IF NOT EXISTS tables (
    fqn TEXT PRIMARY KEY, name TEXT NOT NULL, schema_fqn TEXT NOT NULL REFERENCES schemas(fqn),
    table_type TEXT, description TEXT, body TEXT NOT NULL, view_definition TEXT
);
CREATE INDEX IF NOT EXISTS tables_by_schema ON tables (schema_fqn);
CREATE TABLE IF NOT EXISTS columns (
    fqn TEXT PRIMARY KEY, name TEXT NOT NULL,
    table_fqn TEXT NOT NULL REFERENCES tables(fqn) ON DELETE CASCADE,
    parent_fqn TEXT REFERENCES columns(fqn) ON DELETE CASCADE,
    ordinal_position INTEGER NOT NULL, data_type TEXT NOT NULL, array_data_type TEXT,
    data_type_display TEXT, data_length INTEGER, description TEXT,
    precision INTEGER, scale INTEGER, constraint_type TEXT
);
CREATE INDEX IF NOT EXISTS columns_by_table ON columns (table_fqn, ordinal_position);
CREATE INDEX IF NOT EXISTS columns_by_parent ON columns (parent_fqn);
CREATE TABLE IF NOT EXISTS table_profiles (
    table_fqn TEXT PRIMARY KEY, timestamp INTEGER NOT NULL, row_count INTEGER, column_count INTEGER,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS column_profiles (
    table_fqn TEXT NOT NULL, name TEXT NOT NULL, values_count INTEGER, null_count INTEGER,
    null_proportion REAL, distinct_count INTEGER, distinct_proportion REAL, unique_count INTEGER,
    unique_proportion REAL, min, max, mean REAL, sum REAL, stddev REAL, min_length INTEGER,
    max_length INTEGER, PRIMARY KEY (table_fqn, name)
);
CREATE TABLE IF NOT EXISTS samples (
    table_fqn TEXT PRIMARY KEY, columns TEXT NOT NULL, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sample_rows (
    table_fqn TEXT NOT NULL, row_number INTEGER NOT NULL, row TEXT NOT NULL, PRIMARY KEY (table_fqn, row_number)
);
CREATE TABLE IF NOT EXISTS lineage (
    from_fqn TEXT NOT NULL, to_fqn TEXT NOT NULL, source TEXT NOT NULL, sql TEXT, body TEXT NOT NULL,
    PRIMARY KEY (from_fqn, to_fqn)
);
CREATE INDEX IF NOT EXISTS lineage_by_target ON lineage (to_fqn);
CREATE TABLE IF NOT EXISTS column_lineage (
    from_fqn TEXT NOT NULL, to_fqn TEXT NOT NULL, from_column TEXT NOT NULL, to_column TEXT NOT NULL,
    PRIMARY KEY (from_fqn, to_fqn, to_column, from_column)
);
CREATE TABLE IF NOT EXISTS table_usage (
    table_fqn TEXT NOT NULL, date TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (table_fqn, date)
);
CREATE TABLE IF NOT EXISTS queries (
    fqn TEXT PRIMARY KEY, service_fqn TEXT NOT NULL, sql TEXT NOT NULL, user_name TEXT, query_date INTEGER,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS query_tables (
    query_fqn TEXT NOT NULL, table_fqn TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (query_fqn, table_fqn)
);
CREATE INDEX IF NOT EXISTS query_tables_by_day ON query_tables (table_fqn, day);
"""

_STATEMENTS = [statement.strip() for statement in SCHEMA.split(";") if statement.strip()]


class SqliteBulkSink(BulkSink):
    """Loads this run's staging file into a SQLite catalog in one transaction, upserting by fqn.

    In a Workflow it loads exactly what the run's ``FileStage`` committed (the Workflow sets
    ``stage``); built alone, it loads ``staging_file``. ``mark_deleted`` removes, in the same
    transaction, the tables and schemas under each parent the source walked that it no longer has.
    ``busy_timeout`` is how long (seconds) to wait for a catalog another process holds locked;
    ``max_queries_per_day`` caps the queries kept per table per day.
    """

    def __init__(
        self,
        staging_file: Optional[Path] = None,  # noqa: UP045  # Python 3.9 reads Optional
        *,
        database: Path,
        mark_deleted: bool = True,
        busy_timeout: float = 5.0,
        max_queries_per_day: int = 100,
    ) -> None:
        super().__init__()
        if busy_timeout < 0:
            raise ConfigError(f"{self.name}: option 'busy_timeout' must be seconds >= 0, got {busy_timeout!r}")
        if max_queries_per_day < 0:
            raise ConfigError(f"{self.name}: option 'max_queries_per_day' must be >= 0, got {max_queries_per_day!r}")
        if not os.fspath(database).strip():
            raise ConfigError(f"{self.name}: option 'database' must be a non-empty path")
        self.staging_file = None if staging_file is None else Path(staging_file)
        self.database = Path(database)
        self.mark_deleted = mark_deleted
        self.busy_timeout = float(busy_timeout)
        self.max_queries_per_day = max_queries_per_day
        self.stage: Stage | None = None  # set by the Workflow before run()
        self.removed: list[str] = []  # the fqns mark_deleted removed in the last committed load

    # The load

    def run(self) -> None:
        opened = self._open_staged()
        if isinstance(opened, str):
            self.fail(StackTraceError(self.name, opened))
            return
        where, lines = opened
        with lines:
            try:
                connection = sqlite3.connect(str(self.database), timeout=self.busy_timeout, isolation_level=None)
            except sqlite3.Error as exc:
                self.fail(StackTraceError(str(self.database), f"cannot open SQLite database "
                                                                       f"{self.database}: {exc}"))
                return
            try:
                self._transaction(connection, where, lines)
            finally:
                connection.close()

    def _open_staged(self) -> tuple[str, IO[str]] | str:
        return open_staged(self.name, self.stage, self.staging_file)

    def _transaction(self, connection: sqlite3.Connection, where: str, lines: IO[str]) -> None:
        """Everything in one transaction: it commits whole, or nothing is loaded and the run fails."""
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("BEGIN IMMEDIATE")  # take the write lock now (waiting busy_timeout for it)
            for statement in _STATEMENTS:
                connection.execute(statement)
            _add_missing_columns(connection)
            removed = self._load(connection, where, lines)
            connection.execute("COMMIT")
        except BaseException as exc:
            self._rolled_back(connection, exc)
            if not isinstance(exc, Exception):  # Ctrl-C: reported, rolled back, and on its way
                raise
            return
        self.removed = removed
        for fqn in removed:
            self.status.warning(fqn, "removed from the catalog: the source no longer has it")

    def _rolled_back(self, connection: sqlite3.Connection, error: BaseException) -> None:
        """Nothing was loaded: say so with the error that caused it, and count nothing as loaded."""
        if connection.in_transaction:  # SQLite has already rolled back after some errors (SQLITE_FULL)
            try:
                connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the original error is the one worth reporting; the transaction is gone either way
        loaded, self.status.records, self.removed = self.status.records, 0, []
        reason = "interrupted" if isinstance(error, KeyboardInterrupt) else f"{type(error).__name__}: {error}"
        if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
            reason += f" (waited {self.busy_timeout:g} s; option 'busy_timeout')"
        message = f"nothing loaded into {self.database} ({loaded} entities rolled back): {reason}"
        self.fail(StackTraceError(str(self.database), message))

    def _load(self, connection: sqlite3.Connection, where: str, lines: IO[str]) -> list[str]:
        """Each staging line: parse it, then store it inside a savepoint so a bad one leaves no trace.

        Returns the fqns mark_deleted removed (once every line is stored, so a table seen anywhere in
        the file is kept).
        """
        contents: dict[tuple[str, str], set[str]] = {}
        for number, line in enumerate(lines, start=1):
            place = f"{where}, line {number}"
            try:
                entity = parse_staging_line(line)
            except ValueError as exc:
                self.fail(StackTraceError(place, f"{place}: {exc}"))
                continue
            if isinstance(entity, Contents):  # applied once every line is stored
                if self.mark_deleted:
                    contents.setdefault((entity.parent_fqn, entity.kind), set()).update(entity.names)
                    self.status.records += 1
                else:
                    self.status.filter(entity.fqn, "mark_deleted is off: the catalog keeps what the source lost")
                continue
            connection.execute("SAVEPOINT entity")
            try:
                stored = self.upsert(connection, entity, max_queries_per_day=self.max_queries_per_day)
            except sqlite3.IntegrityError as exc:  # this entity only: the transaction goes on
                connection.execute("ROLLBACK TO entity")
                connection.execute("RELEASE entity")
                self.fail(StackTraceError(entity.fqn, f"{place}: {entity.fqn} not loaded: {explain(exc)}"), entity)
                continue
            connection.execute("RELEASE entity")
            if stored is None:
                self.status.records += 1
            else:
                self.status.filter(entity.fqn, stored)
        removed: list[str] = []
        for (parent_fqn, kind), names in contents.items():
            removed.extend(remove_unseen(connection, parent_fqn, kind, names))
        return removed

    @staticmethod
    def upsert(connection: sqlite3.Connection, entity: Any, max_queries_per_day: int = 100) -> str | None:
        """Insert or update one entity by its key; returns None, or why it was not stored."""
        store = _STORES.get(type(entity))
        if store is None:
            raise TypeError(f"cannot load a {type(entity).__name__}")
        return store(connection, entity, max_queries_per_day)


# --- How each kind is stored: the one place a kind meets its catalog tables --------------------


def _upsert_row(
    connection: sqlite3.Connection, table: str, row: dict[str, Any], key: tuple[str, ...], when: str = ""
) -> bool:
    """INSERT ... ON CONFLICT DO UPDATE [WHERE when]; whether a row was written.

    The table and column names are ours, never the input's.
    """
    updates = ", ".join(f"{name} = excluded.{name}" for name in row if name not in key)
    cursor = connection.execute(
        f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}{f' WHERE {when}' if when else ''}",
        tuple(row.values()),
    )
    return cursor.rowcount > 0


def _body(entity: Any) -> str:
    return json.dumps(entity.to_dict(), ensure_ascii=False, sort_keys=True)


def _entity_row(entity: Any, **parent: Any) -> dict[str, Any]:
    return {"fqn": entity.fqn, "name": entity.name, **parent, "description": entity.description, "body": _body(entity)}


def _store_service(connection: sqlite3.Connection, entity: DatabaseService, cap: int) -> None:
    _upsert_row(connection, "services", _entity_row(entity, service_type=entity.service_type), ("fqn",))


def _store_database(connection: sqlite3.Connection, entity: Database, cap: int) -> None:
    _upsert_row(connection, "databases", _entity_row(entity, service_fqn=entity.service), ("fqn",))


def _store_schema(connection: sqlite3.Connection, entity: DatabaseSchema, cap: int) -> None:
    _upsert_row(connection, "schemas", _entity_row(entity, database_fqn=entity.database), ("fqn",))


def _store_table(connection: sqlite3.Connection, entity: Table, cap: int) -> None:
    row = _entity_row(entity, schema_fqn=entity.database_schema, table_type=entity.table_type)
    row["view_definition"] = entity.view_definition
    if not _upsert_row(connection, "tables", row, ("fqn",), when="tables.body IS NOT excluded.body"):
        return None  # unchanged, and so are its columns: a re-run of the same source rewrites nothing
    connection.execute("DELETE FROM columns WHERE table_fqn = ?", (entity.fqn,))  # a re-run replaces them
    connection.executemany(
        "INSERT INTO columns (fqn, name, table_fqn, parent_fqn, ordinal_position, data_type, array_data_type, "
        "data_type_display, data_length, description, precision, scale, constraint_type) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                column_fqn, column.name, entity.fqn, parent_fqn, column.ordinal_position, column.data_type,
                column.array_data_type, column.data_type_display, column.data_length, column.description,
                column.precision, column.scale, column.constraint,
            )
            for column_fqn, parent_fqn, column in entity.walk_columns()
        ],
    )


_METRIC_COLUMNS = (
    "values_count", "null_count", "null_proportion", "distinct_count", "distinct_proportion", "unique_count",
    "unique_proportion", "min", "max", "mean", "sum", "stddev", "min_length", "max_length",
)
assert len(_METRIC_COLUMNS) == len(PROFILE_METRICS)


def _store_profile(connection: sqlite3.Connection, entity: TableProfile, cap: int) -> str | None:
    """The table's latest profile: an older one than the catalog holds is left out."""
    row = {"table_fqn": entity.table_fqn, "timestamp": entity.timestamp, "row_count": entity.row_count,
           "column_count": entity.column_count, "body": _body(entity)}
    if not _upsert_row(connection, "table_profiles", row, ("table_fqn",),
                       when="excluded.timestamp >= table_profiles.timestamp"):
        return "older than the profile the catalog holds"
    connection.execute("DELETE FROM column_profiles WHERE table_fqn = ?", (entity.table_fqn,))
    connection.executemany(
        f"INSERT INTO column_profiles (table_fqn, name, {', '.join(_METRIC_COLUMNS)}) "
        f"VALUES ({', '.join('?' * (len(_METRIC_COLUMNS) + 2))})",
        [(entity.table_fqn, column.name, *(getattr(column, name) for name in _METRIC_COLUMNS))
         for column in entity.columns],
    )
    return None


def _store_sample(connection: sqlite3.Connection, entity: SampleData, cap: int) -> None:
    columns = json.dumps(list(entity.columns), ensure_ascii=False)
    _upsert_row(connection, "samples", {"table_fqn": entity.table_fqn, "columns": columns, "body": _body(entity)},
                ("table_fqn",))
    connection.execute("DELETE FROM sample_rows WHERE table_fqn = ?", (entity.table_fqn,))
    connection.executemany(
        "INSERT INTO sample_rows (table_fqn, row_number, row) VALUES (?, ?, ?)",
        [(entity.table_fqn, number, json.dumps(list(row), ensure_ascii=False))
         for number, row in enumerate(entity.rows, start=1)],
    )


def _store_lineage(connection: sqlite3.Connection, entity: LineageEdge, cap: int) -> None:
    """One edge per (from, to); loading it again replaces its SQL and column pairs."""
    row = {"from_fqn": entity.from_fqn, "to_fqn": entity.to_fqn, "source": entity.source, "sql": entity.sql,
           "body": _body(entity)}
    _upsert_row(connection, "lineage", row, ("from_fqn", "to_fqn"))
    connection.execute("DELETE FROM column_lineage WHERE from_fqn = ? AND to_fqn = ?", (entity.from_fqn, entity.to_fqn))
    connection.executemany(
        "INSERT OR IGNORE INTO column_lineage (from_fqn, to_fqn, from_column, to_column) VALUES (?, ?, ?, ?)",
        [(entity.from_fqn, entity.to_fqn, source, target) for sources, target in entity.columns for source in sources],
    )


def _store_usage(connection: sqlite3.Connection, entity: TableUsage, cap: int) -> None:
    """The day's count is what the log says for that day: loading the same log twice changes nothing."""
    _upsert_row(connection, "table_usage", {"table_fqn": entity.table_fqn, "date": entity.date, "count": entity.count},
                ("table_fqn", "date"))


def _store_query(connection: sqlite3.Connection, entity: Query, cap: int) -> str | None:
    """A query is kept for each table that has fewer than ``cap`` queries that day; a known one is updated."""
    day = _day_of(entity.query_date)
    known = {table for (table,) in connection.execute("SELECT table_fqn FROM query_tables WHERE query_fqn = ?",
                                                       (entity.fqn,))}
    room = [
        table for table in dict.fromkeys(entity.table_fqns)
        if table in known or connection.execute(
            "SELECT count(*) FROM query_tables WHERE table_fqn = ? AND day = ?", (table, day)).fetchone()[0] < cap
    ]
    if entity.table_fqns and not room:
        return f"over the cap of {cap} queries per table per day ({day or 'no date'})"
    row = {"fqn": entity.fqn, "service_fqn": entity.service, "sql": entity.sql, "user_name": entity.user_name,
           "query_date": entity.query_date, "body": _body(entity)}
    _upsert_row(connection, "queries", row, ("fqn",))
    connection.executemany(
        "INSERT OR IGNORE INTO query_tables (query_fqn, table_fqn, day) VALUES (?, ?, ?)",
        [(entity.fqn, table, day) for table in room],
    )
    return None


def _day_of(milliseconds: int | None) -> str:
    """The UTC day of a query time in ms, '' when unknown or out of the calendar's range."""
    if milliseconds is None:
        return ""
    try:
        return datetime.datetime.fromtimestamp(milliseconds / 1000, datetime.timezone.utc).date().isoformat()
    except (OverflowError, OSError, ValueError):
        return ""


_STORES: dict[type, Callable[[sqlite3.Connection, Any, int], str | None]] = {
    DatabaseService: _store_service,
    Database: _store_database,
    DatabaseSchema: _store_schema,
    Table: _store_table,
    TableProfile: _store_profile,
    SampleData: _store_sample,
    LineageEdge: _store_lineage,
    TableUsage: _store_usage,
    Query: _store_query,
}
assert set(_STORES) | {Contents} == set(ENTITY_KINDS.values()), "every kind is stored (Contents by the load)"


def remove_unseen(connection: sqlite3.Connection, parent_fqn: str, kind: str, names: set[str]) -> list[str]:
    """Remove the tables (or schemas, with their tables) under ``parent_fqn`` not in ``names``.

    Only that parent's children are looked at, so nothing of another service, database or schema
    is touched. Columns go with their table (ON DELETE CASCADE). Returns the removed fqns.
    """
    connection.execute("CREATE TEMP TABLE IF NOT EXISTS seen_names (name TEXT PRIMARY KEY)")
    connection.execute("DELETE FROM temp.seen_names")
    connection.executemany("INSERT OR IGNORE INTO temp.seen_names (name) VALUES (?)", [(name,) for name in names])
    unseen = "name NOT IN (SELECT name FROM temp.seen_names)"
    if kind == "table":
        tables = [fqn for (fqn,) in connection.execute(
            f"SELECT fqn FROM tables WHERE schema_fqn = ? AND {unseen} ORDER BY fqn", (parent_fqn,))]
        connection.executemany("DELETE FROM tables WHERE fqn = ?", [(fqn,) for fqn in tables])
        return tables
    removed = []
    schemas = [fqn for (fqn,) in connection.execute(
        f"SELECT fqn FROM schemas WHERE database_fqn = ? AND {unseen} ORDER BY fqn", (parent_fqn,))]
    for schema in schemas:
        removed.extend(remove_unseen(connection, schema, "table", set()))
        connection.execute("DELETE FROM schemas WHERE fqn = ?", (schema,))
        removed.append(schema)
    return removed


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    """Bring a catalog made by an older version up to SCHEMA: add the columns it lacks (all nullable)."""
    expected = sqlite3.connect(":memory:")
    try:
        for statement in _STATEMENTS:
            expected.execute(statement)
        for (table,) in expected.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            have = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
            for _, column, declared, *_ in expected.execute(f"PRAGMA table_info({table})"):
                if column not in have:
                    connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declared}")
    finally:
        expected.close()


def _same_path(first: Path, second: Path) -> bool | None:
    """Whether two paths name the same file; None when that cannot be told (neither exists yet)."""
    try:
        return first.resolve() == second.resolve()
    except OSError:
        return None


def parse_staging_line(line: str) -> Any:
    """Rebuild the entity of one staging line; ValueError says what is wrong with the line."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(record, dict) or not {"kind", "fqn", "body"} <= set(record):
        raise ValueError("expected an object with the keys kind, fqn and body")
    entity_class = ENTITY_KINDS.get(record["kind"])
    if entity_class is None:
        raise ValueError(f"unknown kind {record['kind']!r} (expected one of {', '.join(ENTITY_KINDS)})")
    if not isinstance(record["body"], dict):
        raise ValueError("body must be an object")
    named_by = record["fqn"] if record["kind"] in NAMED_BY_TABLE else None
    if named_by is not None and (not isinstance(named_by, str) or not named_by):
        raise ValueError(f"fqn must be a table's fully qualified name, got {named_by!r}")
    try:
        entity = entity_class.from_dict(record["body"], named_by)
    except KeyError as exc:
        raise ValueError(f"{record['kind']} body has no {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bad {record['kind']} body: {exc}") from None
    if entity.fqn != record["fqn"]:
        raise ValueError(f"fqn {record['fqn']!r} does not match the body, which gives {entity.fqn!r}")
    return entity


def explain(error: sqlite3.IntegrityError) -> str:
    """Say which rule a load broke, in words."""
    if "FOREIGN KEY" in str(error):
        return "its parent is not in the catalog (was it staged?)"
    return str(error)


def open_staged(owner: str, stage: Stage | None, staging_file: Path | None) -> tuple[str, IO[str]] | str:
    """The file a bulk sink loads (its name, open): what this run's stage committed, else ``staging_file``.

    A str is the reason there is nothing to load. Every bulk sink fed by a FileStage reads through this,
    so none can load another run's file.
    """
    if stage is not None:
        if not isinstance(stage, FileStage):
            return f"{owner} loads what a FileStage wrote, not a {type(stage).__name__}"
        if staging_file is not None and _same_path(staging_file, stage.path) is False:
            return f"option 'staging_file' ({staging_file}) is not the file the stage writes ({stage.path})"
        try:
            return str(stage.path), stage.open_committed()
        except (OSError, ValueError) as exc:
            return f"nothing loaded: {exc}"
    if staging_file is None:
        return f"{owner} has no stage and no option 'staging_file': nothing to load"
    try:
        return str(staging_file), open(staging_file, encoding="utf-8")
    except FileNotFoundError:
        problem = "does not exist (did the stage run?)"
    except IsADirectoryError:
        problem = "is a folder"
    except OSError as exc:
        problem = f"cannot be read: {exc.strerror or exc}"
    return f"staging file {staging_file} {problem}"
