"""The SQLite connector on a generated database of 1,000 tables of 20 columns (50 with quick=True).

Metadata: the metadata source (tables, columns, keys, through the workflow machinery) against a bare
loop reading the same catalog with sqlite3 (sqlite_master, then PRAGMA table_xinfo per table).
Profile: the profiler source against one hand-written aggregate query per table on the same file
(count, nulls, distinct, unique, min, max, mean, sum, lengths per column), fetching one row each.
The database is generated once into benchmarks/_data/. Run alone: ``python benchmarks/bench_sqlite.py``.
"""

from __future__ import annotations

import random
import sqlite3
import sys
from pathlib import Path
from typing import Any

from _common import ROOT, figure, interleaved

from connectors.models import Table
from connectors.sqlite_connector import (
    SqliteMetadataSource,
    SqliteProfilerSource,
    list_columns,
    list_tables,
    table_column,
)
from minigest import Source

DATA = ROOT / "benchmarks" / "_data"
COLUMN_TYPES = ["INTEGER", "REAL", "TEXT", "VARCHAR(40)", "DATE"]


def database(tables: int, rows: int) -> Path:
    """A deterministic database of ``tables`` tables of 20 columns and ``rows`` rows each, made once."""
    path = DATA / f"sqlite_{tables}x20x{rows}.db"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    generator = random.Random(tables)
    connection = sqlite3.connect(partial)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", None]
    for number in range(tables):
        types = [COLUMN_TYPES[(number + position) % len(COLUMN_TYPES)] for position in range(19)]
        columns = ", ".join(f"c{position} {kind}" for position, kind in enumerate(types))
        connection.execute(f"CREATE TABLE t{number:04d} (id INTEGER PRIMARY KEY, {columns})")

        def value(kind: str) -> Any:
            if generator.random() < 0.05:
                return None
            if kind == "INTEGER":
                return generator.randint(-1000, 1000)
            if kind == "REAL":
                return generator.uniform(-1e6, 1e6)
            if kind == "DATE":
                return f"2024-{generator.randint(1, 12):02d}-{generator.randint(1, 28):02d}"
            return generator.choice(words)

        connection.executemany(
            f"INSERT INTO t{number:04d} VALUES ({', '.join('?' * 20)})",
            [(row, *(value(kind) for kind in types)) for row in range(rows)],
        )
    connection.commit()
    connection.close()
    partial.replace(path)
    return path


def drain(source: Source) -> int:
    """Prepare, count every record, close: what a Workflow does around a source."""
    source.prepare()
    try:
        return sum(1 for _ in source.run())
    finally:
        source.close()


def metadata(path: Path) -> int:
    return drain(SqliteMetadataSource(database=str(path)))


def hand_metadata(path: Path) -> int:
    """The same reads and the same Table entities, in a plain loop: what the walker and source add."""
    source = SqliteMetadataSource(database=str(path))
    source.prepare()
    connection, schema_fqn, count = source.file.connection, "sqlite.x.main", 0
    for table in list_tables(connection, "main"):
        columns = list_columns(connection, "main", table.name)
        Table(name=table.name, database_schema=schema_fqn, table_type="Regular",
              columns=[table_column(column, position) for position, column in enumerate(columns, start=1)],
              table_constraints=source.table_constraints(table, columns))
        count += 1
    source.close()
    return count


def bare_metadata(path: Path) -> int:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    count = 0
    for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"):
        connection.execute("SELECT * FROM pragma_table_xinfo(?)", (name,)).fetchall()
        connection.execute("SELECT * FROM pragma_foreign_key_list(?)", (name,)).fetchall()
        count += 1
    connection.close()
    return count


def profiler(path: Path) -> int:
    return drain(SqliteProfilerSource(database=str(path)))


def hand_profile(path: Path) -> int:
    """What someone would write by hand: one aggregate query per table, every metric of every column."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    count = 0
    tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
    for (table,) in tables:
        columns = [row[1] for row in connection.execute("SELECT * FROM pragma_table_info(?)", (table,))]
        parts = ["count(*)"]
        for column in columns:
            parts += [f"count({column})", f"count(DISTINCT {column})",
                      f"(SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {column} IS NOT NULL "
                      f"GROUP BY {column} HAVING count(*) = 1))",
                      f"min({column})", f"max({column})", f"avg({column})", f"total({column})",
                      f"total({column} * {column})", f"min(length({column}))", f"max(length({column}))"]
        connection.execute(f"SELECT {', '.join(parts)} FROM {table}").fetchone()
        count += 1
    connection.close()
    return count


def measure(quick: bool = False) -> list[dict[str, Any]]:
    tables, rows = (50, 100) if quick else (1000, 100)
    path = database(tables, rows)
    assert metadata(path) == tables + 3 + 2  # service, database, schema, the tables, two Contents
    assert bare_metadata(path) == hand_metadata(path) == tables
    assert profiler(path) == hand_profile(path) == tables
    repeat = 3
    ours, hand_loop = interleaved(repeat, lambda: metadata(path), lambda: hand_metadata(path))
    _, bare = interleaved(repeat, lambda: None, lambda: bare_metadata(path))
    profile, hand = interleaved(repeat, lambda: profiler(path), lambda: hand_profile(path))
    size = f"{tables:,} tables x 20 columns"
    return [
        figure(f"SQLite metadata, {size}", ours, hand_loop, "s", "<= 1.5x hand loop, same reads and entities", 1.5,
               f"{tables / ours:,.0f} tables/s (hand loop {tables / hand_loop:,.0f}/s)"),
        figure("SQLite metadata vs reading the catalog alone", ours, bare, "s", "informative", None,
               f"bare sqlite3 (sqlite_master, table_xinfo, foreign_key_list; no entities) {tables / bare:,.0f} "
               "tables/s"),
        figure(f"SQLite profile, {size}, {rows} rows each", profile, hand, "s",
               "<= 1.5x one hand-written aggregate query per table", 1.5,
               f"{tables / profile:,.0f} tables/s (hand-written {tables / hand:,.0f}/s)"),
    ]


if __name__ == "__main__":
    from run import print_table

    print_table(measure(quick="--quick" in sys.argv))
