"""The SQLite catalog: a re-load must cost about what the first load costs, and grow linearly.

Re-loading replaces every table's columns; without an index on ``columns.parent_fqn`` each
cascading delete scanned the whole columns table, so a re-load of 4,000 tables took 75 times the
first load (issue 18.7).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import best_of, figure

from connectors.models import Column, Contents, Database, DatabaseSchema, DatabaseService, Table
from connectors.outputs import FileStage, SqliteBulkSink


def write_staging(path: Path, tables: int, variant: int = 0) -> None:
    """A service, one schema, and ``tables`` tables of 20 columns (two of them records with children).

    Another ``variant`` changes one nested column of every table, so each table's columns are replaced.
    """
    service = DatabaseService(name="bench")
    database = Database(name="db", service=service.fqn)
    schema = DatabaseSchema(name="main", database=database.fqn)
    columns = [Column(f"c{n}", "INT") for n in range(18)] + [
        Column(f"r{n}", "RECORD", children=[Column(f"x{m}_{variant}", "STRING") for m in range(3)]) for n in range(2)
    ]
    names = [f"t{n:05d}" for n in range(tables)]
    stage = FileStage(str(path))
    for entity in [service, database, schema, *(Table(name, schema.fqn, columns) for name in names),
                   Contents(schema.fqn, "table", names)]:
        list(stage._run(entity))
    stage.commit()
    stage.close()


def load(staging: Path, database: Path) -> None:
    sink = SqliteBulkSink(str(staging), database=str(database))
    sink.run()
    assert sink.status.failure_count == 0, sink.status.failures[:1]


def first_and_again(folder: Path, tables: int, repeat: int) -> tuple[float, float, float]:
    """Best times of a first load (into a new catalog), a re-load of the same file, and a re-load in
    which every table changed, turn about."""
    staging, changed = folder / f"staging{tables}.jsonl", folder / f"changed{tables}.jsonl"
    write_staging(staging, tables)
    write_staging(changed, tables, variant=1)
    loaded = folder / f"loaded{tables}.db"
    load(staging, loaded)
    fresh = [folder / f"fresh{tables}-{n}.db" for n in range(repeat)]
    firsts, agains, changes = [], [], []
    for _ in range(repeat):
        firsts.append(best_of(1, lambda: load(staging, fresh.pop())))
        agains.append(best_of(1, lambda: load(staging, loaded)))
        changes.append(best_of(1, lambda: (load(changed, loaded), load(staging, loaded))) / 2)
    return min(firsts), min(agains), min(changes)


def measure(quick: bool = False) -> list[dict[str, Any]]:
    size = 400 if quick else 4_000
    repeat = 2 if quick else 3
    with tempfile.TemporaryDirectory() as folder:
        first, again, changed = first_and_again(Path(folder), size, repeat)
        double_first, _, _ = first_and_again(Path(folder), 2 * size, 1 if quick else 2)
    return [
        figure(
            f"SQLite catalog re-load, {size:,} tables x 20 columns, every table changed", changed, first, "s",
            "<= 1.5x the first load", 1.5,
            f"first load {size / first:,.0f} tables/s, re-load {size / changed:,.0f} tables/s (columns replaced)",
        ),
        figure(
            f"SQLite catalog re-load, {size:,} tables, nothing changed", again, first, "s", "<= 1.5x the first load",
            1.5, f"{size / again:,.0f} tables/s: an unchanged table's columns are not rewritten",
        ),
        figure(
            f"SQLite catalog load cost per table, {2 * size:,} vs {size:,} tables", double_first / (2 * size),
            first / size, "s", "<= 1.5x (linear growth)", 1.5, "first loads into a new catalog",
        ),
    ]


if __name__ == "__main__":
    from run import print_table

    print_table(measure(quick="--quick" in sys.argv))
