"""The SQLite catalog: mark deleted, the other roles' tables, and loads that do not commit."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
    TableProfile,
    TableUsage,
)
from connectors.outputs import SCHEMA, FileStage, SqliteBulkSink
from connectors.test_outputs import count, dump, load, staged
from minigest import JsonLinesWriter, ListSource, Workflow, WorkflowExecutionError

SCHEMA_FQN = "svc.sales.default"


def tables(*names: str, schema: str = "default", service: str = "svc") -> list[Any]:
    """A service, its database `sales`, one schema, and a table per name with two columns."""
    database = Database(name="sales", service=service)
    parent = DatabaseSchema(name=schema, database=database.fqn)
    made = [Table(name=name, database_schema=parent.fqn,
                  columns=[Column("id", "INT"), Column("info", "RECORD", children=[Column("x", "INT")])])
            for name in names]
    return [DatabaseService(name=service), database, parent, *made]


def catalog_rows(database: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(query).fetchall()


def table_fqns(database: Path) -> list[str]:
    return [fqn for (fqn,) in catalog_rows(database, "SELECT fqn FROM tables ORDER BY fqn")]


# --- Mark deleted -------------------------------------------------------------


def test_a_table_the_source_no_longer_has_is_removed_with_its_columns(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    first = [*tables("orders", "refunds", "returns"), Contents(SCHEMA_FQN, "table", ["orders", "refunds", "returns"])]
    load(staged(staging, first), database)
    # "refunds" was filtered this time (so it is listed) and "returns" is gone from the source
    second = [*tables("orders"), Contents(SCHEMA_FQN, "table", ["orders", "refunds"])]
    sink = load(staged(staging, second), database)
    assert table_fqns(database) == [f"{SCHEMA_FQN}.orders", f"{SCHEMA_FQN}.refunds"]
    assert sink.removed == [f"{SCHEMA_FQN}.returns"]
    assert sink.status.warnings == 1
    assert sink.status.warning_details[0][0] == f"{SCHEMA_FQN}.returns"
    assert catalog_rows(database, f"SELECT count(*) FROM columns WHERE table_fqn = '{SCHEMA_FQN}.returns'") == [(0,)]
    assert count(database, "columns") == 6  # orders and refunds, three columns each


def test_nothing_outside_the_walked_parent_is_removed(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    load(staged(staging, [*tables("a", "b"), *tables("c", schema="other"), *tables("a", "b", service="svc2")]),
         database)
    # this run walked only svc's schema `default`, and found just `a` there
    sink = load(staged(staging, [*tables("a"), Contents(SCHEMA_FQN, "table", ["a"])]), database)
    assert sink.removed == [f"{SCHEMA_FQN}.b"]
    assert table_fqns(database) == ["svc.sales.default.a", "svc.sales.other.c", "svc2.sales.default.a",
                                    "svc2.sales.default.b"]


def test_a_schema_the_database_no_longer_has_is_removed_with_its_tables(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    load(staged(staging, [*tables("a"), *tables("b", "c", schema="old")]), database)
    sink = load(staged(staging, [*tables("a"), Contents("svc.sales", "databaseSchema", ["default"])]), database)
    assert sorted(sink.removed) == ["svc.sales.old", "svc.sales.old.b", "svc.sales.old.c"]
    assert table_fqns(database) == ["svc.sales.default.a"]
    assert [fqn for (fqn,) in catalog_rows(database, "SELECT fqn FROM schemas")] == ["svc.sales.default"]


def test_mark_deleted_off_keeps_everything(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    load(staged(staging, tables("a", "b")), database)
    sink = load(staged(staging, [*tables("a"), Contents(SCHEMA_FQN, "table", ["a"])]), database, mark_deleted=False)
    assert sink.removed == [] and sink.status.warnings == 0
    assert sink.status.filtered == 1 and "mark_deleted is off" in sink.status.filtered_details[0][1]
    assert len(table_fqns(database)) == 2


def test_a_load_that_rolls_back_removes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    load(staged(staging, tables("a", "b")), database)
    before = dump(database)
    staged(staging, [*tables("a"), Contents(SCHEMA_FQN, "table", ["a"])])
    real = SqliteBulkSink._load

    def load_then_fail(self: SqliteBulkSink, *args: Any) -> list[str]:
        removed = real(self, *args)
        assert removed == [f"{SCHEMA_FQN}.b"]  # removed inside the transaction...
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(SqliteBulkSink, "_load", load_then_fail)
    sink = load(staging, database)
    assert dump(database) == before  # ...and back, with the rollback
    assert sink.removed == [] and sink.status.warnings == 0 and sink.status.records == 0


# --- The other roles' tables ----------------------------------------------------

TABLE = f"{SCHEMA_FQN}.orders"


def profile(timestamp: int, rows: int) -> TableProfile:
    return TableProfile(TABLE, timestamp=timestamp, row_count=rows, column_count=2, columns=[
        ColumnProfile("id", values_count=rows, null_count=0, distinct_count=rows, min=1, max=rows, mean=2.0),
        ColumnProfile("name", values_count=rows - 1, null_count=1, min="ana", max="zoe", min_length=3, max_length=3),
    ])


def test_a_profile_loads_without_its_table_and_joins_it_once_loaded(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    sink = load(staged(staging, [profile(1_000, 3)]), database)  # a profile run first: no metadata yet
    assert sink.status.records == 1 and sink.status.failures == []
    load(staged(staging, tables("orders")), database)
    joined = catalog_rows(database, """
        SELECT t.name, p.row_count, c.name, c.null_count, c.min, c.max
        FROM tables t JOIN table_profiles p ON p.table_fqn = t.fqn
        JOIN column_profiles c ON c.table_fqn = t.fqn ORDER BY c.name""")
    assert joined == [("orders", 3, "id", 0, 1, 3), ("orders", 3, "name", 1, "ana", "zoe")]


def test_the_latest_profile_is_kept(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    load(staged(staging, [profile(2_000, 5)]), database)
    first = dump(database)
    load(staging, database)
    assert dump(database) == first  # the same profile again changes nothing
    sink = load(staged(staging, [profile(1_000, 3)]), database)
    assert sink.status.filtered == 1 and "older" in sink.status.filtered_details[0][1]
    assert catalog_rows(database, "SELECT timestamp, row_count FROM table_profiles") == [(2_000, 5)]
    load(staged(staging, [profile(3_000, 4)]), database)
    assert catalog_rows(database, "SELECT timestamp, row_count FROM table_profiles") == [(3_000, 4)]
    assert catalog_rows(database, "SELECT values_count FROM column_profiles ORDER BY name") == [(4,), (3,)]


def test_sample_rows_are_replaced_by_the_next_sample(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    load(staged(staging, [SampleData(TABLE, ["id", "name"], [[1, "ana"], [2, None], [3, "zoé"]])]), database)
    rows = catalog_rows(database, "SELECT row_number, row FROM sample_rows ORDER BY row_number")
    assert [(number, json.loads(row)) for number, row in rows] == [(1, [1, "ana"]), (2, [2, None]), (3, [3, "zoé"])]
    load(staged(staging, [SampleData(TABLE, ["id", "name"], [[9, "x"]])]), database)
    assert catalog_rows(database, "SELECT row FROM sample_rows") == [("[9, \"x\"]",)]
    assert json.loads(catalog_rows(database, "SELECT columns FROM samples")[0][0]) == ["id", "name"]


def test_lineage_edges_keep_their_column_pairs_and_sql(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    edge = LineageEdge(TABLE, f"{SCHEMA_FQN}.big_orders", sql="SELECT id, a + b AS total FROM orders",
                       columns=[([f"{TABLE}.id"], f"{SCHEMA_FQN}.big_orders.id"),
                                ([f"{TABLE}.a", f"{TABLE}.b"], f"{SCHEMA_FQN}.big_orders.total")])
    load(staged(staging, [edge, edge]), database)
    load(staging, database)
    assert catalog_rows(database, "SELECT from_fqn, to_fqn, source, sql FROM lineage") == [
        (TABLE, f"{SCHEMA_FQN}.big_orders", "ViewLineage", "SELECT id, a + b AS total FROM orders"),
    ]
    assert catalog_rows(database, "SELECT from_column, to_column FROM column_lineage ORDER BY 2, 1") == [
        (f"{TABLE}.id", f"{SCHEMA_FQN}.big_orders.id"),
        (f"{TABLE}.a", f"{SCHEMA_FQN}.big_orders.total"),
        (f"{TABLE}.b", f"{SCHEMA_FQN}.big_orders.total"),
    ]


def test_usage_is_the_logs_count_per_day_however_often_it_is_loaded(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    usage = [TableUsage(TABLE, "2026-11-30", 4), TableUsage(TABLE, "2026-12-01", 2)]
    load(staged(staging, usage), database)
    load(staging, database)  # the same log twice: the counts do not double
    assert catalog_rows(database, "SELECT date, count FROM table_usage ORDER BY date") == [
        ("2026-11-30", 4), ("2026-12-01", 2),
    ]
    load(staged(staging, [TableUsage(TABLE, "2026-12-01", 7)]), database)  # a later log says 7 for that day
    assert catalog_rows(database, "SELECT date, count FROM table_usage ORDER BY date") == [
        ("2026-11-30", 4), ("2026-12-01", 7),
    ]


def test_queries_are_capped_per_table_per_day_and_not_doubled(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    day = 1_764_547_200_000  # 2025-12-01T00:00:00Z, in ms
    queries = [Query(f"SELECT {n} FROM orders", "svc", [TABLE], user_name="ana", query_date=day + n)
               for n in range(3)]
    other_day = Query("SELECT 9 FROM orders", "svc", [TABLE], query_date=day + 86_400_000)
    sink = load(staged(staging, [*queries, other_day]), database, max_queries_per_day=2)
    assert sink.status.records == 3 and sink.status.filtered == 1
    assert "over the cap of 2 queries per table per day (2025-12-01)" in sink.status.filtered_details[0][1]
    load(staging, database, max_queries_per_day=2)  # the same log again
    assert catalog_rows(database, "SELECT day, count(*) FROM query_tables GROUP BY day ORDER BY day") == [
        ("2025-12-01", 2), ("2025-12-02", 1),
    ]
    assert count(database, "queries") == 3
    assert catalog_rows(database, "SELECT user_name FROM queries WHERE sql = 'SELECT 0 FROM orders'") == [("ana",)]


def test_a_catalog_made_before_these_columns_is_brought_up_to_date(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    with sqlite3.connect(database) as connection:  # the first version's two entity tables
        connection.execute("CREATE TABLE tables (fqn TEXT PRIMARY KEY, name TEXT NOT NULL, schema_fqn TEXT NOT NULL, "
                           "table_type TEXT, description TEXT, body TEXT NOT NULL)")
        connection.execute("CREATE TABLE columns (fqn TEXT PRIMARY KEY, name TEXT NOT NULL, table_fqn TEXT NOT NULL, "
                           "parent_fqn TEXT, ordinal_position INTEGER NOT NULL, data_type TEXT NOT NULL, "
                           "array_data_type TEXT, data_type_display TEXT, data_length INTEGER, description TEXT)")
    view = Table(name="v", database_schema=SCHEMA_FQN, table_type="View", view_definition="SELECT 1 AS one",
                 columns=[Column("price", "DECIMAL", precision=10, scale=2, constraint="NOT_NULL")])
    sink = load(staged(staging, [*tables(), view]), database)
    assert sink.status.failures == []
    assert catalog_rows(database, "SELECT view_definition FROM tables") == [("SELECT 1 AS one",)]
    assert catalog_rows(database, "SELECT precision, scale, constraint_type FROM columns") == [(10, 2, "NOT_NULL")]


def test_every_foreign_key_and_delete_path_is_indexed() -> None:
    """Without an index, each cascading delete scans the whole child table: re-loads go quadratic."""
    connection = sqlite3.connect(":memory:")
    connection.executescript(SCHEMA)
    names = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in names:
        leading = {connection.execute(f"PRAGMA index_info({index[1]})").fetchone()[2]
                   for index in connection.execute(f"PRAGMA index_list({table})")}
        for key in connection.execute(f"PRAGMA foreign_key_list({table})"):
            assert key[3] in leading, f"{table}.{key[3]} references {key[2]} but has no index"
    assert "columns_by_parent" in {index[1] for index in connection.execute("PRAGMA index_list(columns)")}


# --- Loads that do not commit report nothing loaded (issue 18.2) ----------------------


def test_a_full_disk_reports_the_real_error_and_nothing_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLITE_FULL rolls the whole transaction back; the error must not become 'no such savepoint'."""
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    staged(staging, tables(*(f"t{n}" for n in range(400))))
    real_connect = sqlite3.connect

    def small_disk(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = real_connect(*args, **kwargs)
        connection.execute("PRAGMA max_page_count = 20")  # this connection may not grow the file past 20 pages
        return connection

    monkeypatch.setattr(sqlite3, "connect", small_disk)
    sink = load(staging, database)
    assert sink.status.records == 0
    error = sink.status.failures[-1].error
    assert "database or disk is full" in error and "savepoint" not in error
    assert error.startswith(f"nothing loaded into {database} (")


def mounted_tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 200 KB file system (root only; skipped otherwise)."""
    yield from mounted_tmpfs(tmp_path / "small", "200k")


def test_a_catalog_on_a_full_disk_is_not_reported_as_loaded(tmp_path: Path, small_disk: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", small_disk / "catalog.db"
    load(staged(staging, tables("first")), database)
    before = dump(database)
    staged(staging, tables(*(f"t{n}" for n in range(2_000))))
    sink = load(staging, database)
    assert sink.status.records == 0
    assert "database or disk is full" in sink.status.failures[-1].error
    assert "savepoint" not in sink.status.failures[-1].error
    assert dump(database) == before


def test_a_catalog_locked_past_the_busy_timeout_loads_nothing(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    load(staged(staging, tables("first")), database)
    before = dump(database)
    staged(staging, tables("first", "second"))
    reader = sqlite3.connect(database, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM tables").fetchone()  # a reader's transaction: COMMIT must wait for it
    try:
        sink = load(staging, database, busy_timeout=0.2)
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert sink.status.records == 0 and sink.status.calculate_success() == 0.0
    assert "database is locked" in sink.status.failures[-1].error
    assert "option 'busy_timeout'" in sink.status.failures[-1].error
    assert dump(database) == before


def test_a_catalog_locked_for_a_moment_is_waited_for(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    load(staged(staging, tables("first")), database)
    staged(staging, tables("first", "second"))
    writer = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")  # another process is writing...
    release = threading.Timer(0.3, lambda: writer.execute("COMMIT"))  # ...and finishes soon after
    release.start()
    try:
        sink = load(staging, database, busy_timeout=30)
    finally:
        release.join()
        writer.close()
    assert sink.status.failures == [] and sink.status.records == 5
    assert len(table_fqns(database)) == 2


@pytest.mark.parametrize(("options", "message"), [
    ({"busy_timeout": -1}, "option 'busy_timeout' must be seconds >= 0"),
    ({"busy_timeout": "5"}, "option 'busy_timeout' must be .*, got '5'"),
    ({"max_queries_per_day": 1.5}, "option 'max_queries_per_day' must be .*, got 1.5"),
    ({"max_queries_per_day": -1}, "option 'max_queries_per_day' must be >= 0"),
    ({"mark_deleted": "yes"}, "option 'mark_deleted' must be .*, got 'yes'"),
])
def test_bad_catalog_options_are_config_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SqliteBulkSink.create({"database": "c.db", **options})


# --- The bulk sink loads exactly what this run's stage committed (issue 18.1, 18.3) ------------


def test_a_stage_that_did_not_commit_loads_nothing_not_the_previous_file(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    staged(staging, tables("previous_run"))
    stage = FileStage(str(staging))  # this run's stage could not write its file: it never committed
    sink = SqliteBulkSink(str(staging), database=str(database))
    sink.stage = stage
    sink.run()
    assert sink.status.records == 0 and sink.status.failure_count == 1
    assert "did not commit" in sink.status.failures[0].error
    assert not database.exists()


def test_another_job_renaming_its_file_over_the_path_does_not_change_what_is_loaded(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    job_a = FileStage(str(staging))
    for entity in tables("a_table"):
        list(job_a._run(entity))
    job_a.commit()
    staged(staging, tables("b_table"))  # job B commits its own file to the same path
    sink = SqliteBulkSink(str(staging), database=str(database))
    sink.stage = job_a
    sink.run()
    job_a.close()
    assert table_fqns(database) == [f"{SCHEMA_FQN}.a_table"]
    assert sink.status.records == 4


def test_a_replaced_file_whose_handle_is_gone_is_refused(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    job_a = FileStage(str(staging))
    list(job_a._run(tables("a_table")[0]))
    job_a.commit()
    job_a.close()  # closed before its bulk sink ran: the handle is gone, the identity is kept
    staged(staging, tables("b_table"))
    sink = SqliteBulkSink(database=str(database))
    sink.stage = job_a
    sink.run()
    assert sink.status.records == 0
    assert "another run replaced it" in sink.status.failures[0].error
    assert not database.exists()


def test_a_staging_file_option_that_is_not_the_stages_file_is_refused(tmp_path: Path) -> None:
    stage = FileStage(str(tmp_path / "mine.jsonl"))
    stage.commit()
    sink = SqliteBulkSink(str(tmp_path / "other.jsonl"), database=str(tmp_path / "catalog.db"))
    sink.stage = stage
    sink.run()
    stage.close()
    assert "is not the file the stage writes" in sink.status.failures[0].error


# --- In a Workflow: a stage that could not write, another job, a load that rolled back --------------


def run_workflow(records: list[Any], staging: Path, database: Path, stage: FileStage | None = None,
                 **options: Any) -> Workflow:
    stage = stage or FileStage(str(staging))
    workflow = Workflow(ListSource(records), [stage],
                        bulk_sink=SqliteBulkSink(str(staging), database=str(database), **options))
    workflow.execute()
    return workflow


def leftovers(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def test_a_stage_whose_writes_fail_commits_nothing_and_the_old_file_is_not_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    staged(staging, tables("previous_run"))
    previous = staging.read_bytes()
    real_write, written = JsonLinesWriter.write, []

    def disk_fills_up(self: JsonLinesWriter, record: Any) -> None:
        if len(written) >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, record)
        written.append(record)

    monkeypatch.setattr(JsonLinesWriter, "write", disk_fills_up)
    workflow = run_workflow(tables("a", "b"), staging, database)
    stage, sink = workflow.steps[0], workflow.bulk_sink
    assert stage.status.failure_count == 4  # three records could not be written, then the commit refused
    assert "not written: a write failed during the run" in stage.status.failures[-1].error
    assert stage.status.records == 0  # the two written were never committed: nothing was staged
    assert sink is not None and sink.status.records == 0
    assert not database.exists()  # the previous run's staging file was not loaded
    assert workflow.result_status() == 1
    assert staging.read_bytes() == previous and leftovers(tmp_path) == []


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KB file system holding a previous staging file and filled to the last byte (root only)."""
    for folder in mounted_tmpfs(tmp_path / "full", "64k"):
        staged(folder / "staging.jsonl", tables("previous_run"))
        with open(folder / "filler", "wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"x" * 512)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        yield folder


def test_a_staging_file_on_a_full_disk_fails_the_run_and_leaves_no_temporary_file(
    tmp_path: Path, full_disk: Path
) -> None:
    staging, database = full_disk / "staging.jsonl", tmp_path / "catalog.db"
    previous = staging.read_bytes()
    for records in (tables("a"), tables(*(f"t{n}" for n in range(200)))):  # fits the buffer; does not
        workflow = run_workflow(records, staging, database)
        stage = workflow.steps[0]
        assert stage.status.failure_count >= 1 and "commit()" in stage.status.failures[-1].error
        assert stage.status.records == 0
        assert workflow.stopped == "FileStage could not commit its output"
        assert workflow.bulk_sink is not None and workflow.bulk_sink.status.records == 0
        assert workflow.result_status() == 1
        assert not database.exists()
        assert staging.read_bytes() == previous
        assert leftovers(full_disk) == []


class RacedFileStage(FileStage):
    """Job A's stage; right after it commits, job B renames its own staging file over the same path."""

    def commit(self) -> None:
        super().commit()
        staged(self.path, tables("b_table"))


def test_in_a_workflow_the_bulk_sink_loads_its_own_stages_file(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    workflow = run_workflow(tables("a_table"), staging, database, stage=RacedFileStage(str(staging)))
    assert workflow.result_status() == 0
    assert table_fqns(database) == [f"{SCHEMA_FQN}.a_table"]
    assert "b_table" in staging.read_text(encoding="utf-8")  # B's file is there, and was not loaded


def test_a_load_that_rolls_back_fails_the_run(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    load(staged(staging, tables("first")), database)
    before = dump(database)
    reader = sqlite3.connect(database, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM tables").fetchone()
    try:
        workflow = run_workflow(tables("first", "second"), staging, database, busy_timeout=0.1)
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert workflow.result_status() == 1
    with pytest.raises(WorkflowExecutionError):
        workflow.raise_from_status()
    assert workflow.bulk_sink is not None and workflow.bulk_sink.status.records == 0
    assert dump(database) == before
