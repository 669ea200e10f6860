"""Where database entities go: a JSON-lines staging file, then a SQLite catalog.

``FileStage`` writes each entity as one JSON line (its kind, fully qualified
name and create-request body) under a temporary name and renames the file into
place when the run ends well, so a reader never sees half a file.
``SqliteBulkSink`` then loads that file into SQLite in one transaction,
upserting by fully qualified name: a second run adds no duplicates, and a load
that fails midway (even on Ctrl-C) leaves the database as it was.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from connectors.models import ENTITY_KINDS, NAMED_BY_TABLE, Database, DatabaseSchema, DatabaseService, Table, kind_of
from minigest import BulkSink, ConfigError, Either, JsonLinesWriter, StackTraceError, Stage

__all__ = ["FileStage", "SqliteBulkSink", "SCHEMA"]


def _path_option(owner: str, config: dict[str, Any], key: str) -> str:
    """A required path option; a missing or empty one is a ConfigError (a ValueError) naming it."""
    if not isinstance(config, dict):
        raise ConfigError(f"{owner}: options must be a mapping, got {type(config).__name__}")
    unknown = sorted(set(config) - {"staging_file", "database"})
    if unknown:
        raise ConfigError(f"{owner}: unknown option {unknown[0]!r}")
    value = config.get(key)
    if value is None:
        raise ConfigError(f"{owner}: option {key!r} is required")
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{owner}: option {key!r} must be a non-empty path, got {value!r}")
    return value


# --- The staging file -------------------------------------------------------


class FileStage(Stage):
    """Writes each entity as one JSON line: {"kind": ..., "fqn": ..., "body": to_dict()}."""

    def __init__(self, staging_file: str) -> None:
        super().__init__()
        self.path = Path(staging_file)
        self._writer: JsonLinesWriter | None = None

    @classmethod
    def create(cls, config: dict[str, Any]) -> FileStage:
        """Options: staging_file (required), the JSON-lines file to write."""
        if isinstance(config, dict) and "database" in config:
            raise ConfigError(f"{cls.__name__}: unknown option 'database'")
        staging_file = _path_option(cls.__name__, config, "staging_file")
        folder = Path(staging_file).parent
        if not folder.is_dir():
            raise ConfigError(f"{cls.__name__}: option 'staging_file': the folder {str(folder)!r} does not exist")
        return cls(staging_file)

    def _run(self, record: Any) -> Iterator[Either[Any]]:
        try:
            kind = kind_of(record)
        except ValueError as exc:
            yield Either(left=StackTraceError(name=type(record).__name__, error=str(exc)))
            return
        if self._writer is None:  # created next to the staging file, so the final rename is atomic
            self._writer = JsonLinesWriter(self.path)
        self._writer.write({"kind": kind, "fqn": record.fqn, "body": record.to_dict()})
        yield Either(right=record)

    def commit(self) -> None:
        """The run completed: rename the finished file into place (staging nothing still makes a file)."""
        writer, self._writer = self._writer or JsonLinesWriter(self.path), None
        writer.commit()

    def close(self) -> None:
        """Forget what was not committed; the previous staging file is left as it was."""
        if self._writer is not None:
            self._writer.discard()
        self._writer = None


# --- The SQLite catalog -----------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS services (
    fqn TEXT PRIMARY KEY, name TEXT NOT NULL, service_type TEXT, description TEXT, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS databases (
    fqn TEXT PRIMARY KEY, name TEXT NOT NULL, service_fqn TEXT NOT NULL REFERENCES services(fqn),
    description TEXT, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS schemas (
    fqn TEXT PRIMARY KEY, name TEXT NOT NULL, database_fqn TEXT NOT NULL REFERENCES databases(fqn),
    description TEXT, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tables (
    fqn TEXT PRIMARY KEY, name TEXT NOT NULL, schema_fqn TEXT NOT NULL REFERENCES schemas(fqn),
    table_type TEXT, description TEXT, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS columns (
    fqn TEXT PRIMARY KEY, name TEXT NOT NULL,
    table_fqn TEXT NOT NULL REFERENCES tables(fqn) ON DELETE CASCADE,
    parent_fqn TEXT REFERENCES columns(fqn) ON DELETE CASCADE,
    ordinal_position INTEGER NOT NULL, data_type TEXT NOT NULL, array_data_type TEXT,
    data_type_display TEXT, data_length INTEGER, description TEXT
);
CREATE INDEX IF NOT EXISTS columns_by_table ON columns (table_fqn, ordinal_position);
"""


class SqliteBulkSink(BulkSink):
    """Loads the staging file into a SQLite catalog in one transaction, upserting by fqn."""

    def __init__(self, staging_file: str, database: str) -> None:
        super().__init__()
        self.staging_file = Path(staging_file)
        self.database = Path(database)

    @classmethod
    def create(cls, config: dict[str, Any]) -> SqliteBulkSink:
        """Options: staging_file (what FileStage wrote) and database (the SQLite file), both required."""
        return cls(
            staging_file=_path_option(cls.__name__, config, "staging_file"),
            database=_path_option(cls.__name__, config, "database"),
        )

    def run(self) -> None:
        if not self.staging_file.is_file():
            problem = "is a folder" if self.staging_file.is_dir() else "does not exist (did the stage run?)"
            self.status.failed(StackTraceError(str(self.staging_file), f"staging file {self.staging_file} {problem}"))
            return
        try:
            connection = sqlite3.connect(str(self.database), isolation_level=None)  # we manage the transaction
        except sqlite3.Error as exc:
            error = f"cannot open SQLite database {self.database}: {exc}"
            self.status.failed(StackTraceError(str(self.database), error))
            return
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("BEGIN IMMEDIATE")
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
            self._load(connection)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()

    def _load(self, connection: sqlite3.Connection) -> None:
        """Each staging line: parse it, then upsert it inside a savepoint so a bad one leaves no trace."""
        with open(self.staging_file, encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                where = f"{self.staging_file}, line {number}"
                try:
                    entity = parse_staging_line(line)
                except ValueError as exc:
                    self.status.failed(StackTraceError(where, f"{where}: {exc}"))
                    continue
                connection.execute("SAVEPOINT entity")
                try:
                    self.upsert(connection, entity)
                except sqlite3.IntegrityError as exc:
                    connection.execute("ROLLBACK TO entity")
                    self.status.failed(StackTraceError(entity.fqn, f"{where}: {entity.fqn} not loaded: {explain(exc)}"))
                else:
                    self.status.scanned(entity)
                finally:
                    connection.execute("RELEASE entity")

    @staticmethod
    def upsert(connection: sqlite3.Connection, entity: Any) -> None:
        """Insert or update one entity (a table with its columns) by fully qualified name."""
        row = {"fqn": entity.fqn, "name": entity.name}
        if isinstance(entity, DatabaseService):
            table, row = "services", {**row, "service_type": entity.service_type}
        elif isinstance(entity, Database):
            table, row = "databases", {**row, "service_fqn": entity.service}
        elif isinstance(entity, DatabaseSchema):
            table, row = "schemas", {**row, "database_fqn": entity.database}
        elif isinstance(entity, Table):
            table, row = "tables", {**row, "schema_fqn": entity.database_schema, "table_type": entity.table_type}
        else:  # parse_staging_line only builds the four kinds above
            raise TypeError(f"cannot load a {type(entity).__name__}")
        body = json.dumps(entity.to_dict(), ensure_ascii=False, sort_keys=True)
        row.update(description=entity.description, body=body)
        updates = ", ".join(f"{name} = excluded.{name}" for name in row if name != "fqn")
        connection.execute(  # the table and column names are ours, never the input's
            f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) "
            f"ON CONFLICT (fqn) DO UPDATE SET {updates}",
            tuple(row.values()),
        )
        if isinstance(entity, Table):
            connection.execute("DELETE FROM columns WHERE table_fqn = ?", (entity.fqn,))  # a re-run replaces them
            connection.executemany(
                "INSERT INTO columns (fqn, name, table_fqn, parent_fqn, ordinal_position, data_type, "
                "array_data_type, data_type_display, data_length, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        column_fqn, column.name, entity.fqn, parent_fqn, column.ordinal_position, column.data_type,
                        column.array_data_type, column.data_type_display, column.data_length, column.description,
                    )
                    for column_fqn, parent_fqn, column in entity.walk_columns()
                ],
            )


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
    try:
        if record["kind"] in NAMED_BY_TABLE:
            entity = entity_class.from_dict(record["body"], record["fqn"])
        else:
            entity = entity_class.from_dict(record["body"])
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
