"""FileStage and SqliteBulkSink: atomic staging, one-transaction loads, idempotent re-runs."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.models import Column, Database, DatabaseSchema, DatabaseService, Table
from connectors.outputs import FileStage, SqliteBulkSink
from minigest import Either, ListSource, Source, Workflow

REPO = Path(__file__).parent.parent


def entities(table_name: str = "orders") -> list[Any]:
    service = DatabaseService(name="svc")
    database = Database(name="sales", service=service.fqn)
    schema = DatabaseSchema(name="default", database=database.fqn)
    table = Table(
        name=table_name,
        database_schema=schema.fqn,
        columns=[
            Column(name="id", data_type="BIGINT"),
            Column(
                name="customer",
                data_type="RECORD",
                children=[Column(name="name", data_type="STRING"), Column(name="tags", data_type="ARRAY",
                                                                          array_data_type="STRING")],
            ),
        ],
    )
    return [service, database, schema, table]


def stage(path: Path, records: list[Any]) -> FileStage:
    file_stage = FileStage.create({"staging_file": str(path)})
    workflow = Workflow(ListSource(records), [file_stage])
    workflow.execute()
    return file_stage


def staged(path: Path, records: list[Any]) -> Path:
    """Write a staging file as a FileStage does in a completed run, without a Workflow."""
    file_stage = FileStage(str(path))
    for record in records:
        assert all(result.right is record for result in file_stage._run(record))
    file_stage.commit()
    file_stage.close()
    return path


def load(staging: Path, database: Path, **options: Any) -> SqliteBulkSink:
    """Load a staging file by hand, as a bulk sink built alone does."""
    sink = SqliteBulkSink.create({"staging_file": str(staging), "database": str(database), **options})
    sink.run()
    return sink


def dump(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return list(connection.iterdump())


def count(database: Path, table: str) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# --- FileStage --------------------------------------------------------------


def test_each_entity_is_one_json_line(tmp_path: Path) -> None:
    staging = tmp_path / "staging.jsonl"
    file_stage = stage(staging, entities())
    lines = [json.loads(line) for line in staging.read_text(encoding="utf-8").splitlines()]
    assert [(line["kind"], line["fqn"]) for line in lines] == [
        ("databaseService", "svc"),
        ("database", "svc.sales"),
        ("databaseSchema", "svc.sales.default"),
        ("table", "svc.sales.default.orders"),
    ]
    assert lines[3]["body"] == entities()[3].to_dict()
    assert file_stage.status.records == 4
    assert os.listdir(tmp_path) == ["staging.jsonl"]  # no temporary file left behind


def test_the_staging_file_appears_only_when_the_stage_commits(tmp_path: Path) -> None:
    staging = tmp_path / "staging.jsonl"
    file_stage = FileStage(str(staging))
    list(file_stage._run(entities()[0]))
    assert not staging.exists()
    file_stage.commit()
    file_stage.close()
    assert len(staging.read_text(encoding="utf-8").splitlines()) == 1


def test_a_stage_closed_without_a_commit_leaves_the_previous_file(tmp_path: Path) -> None:
    staging = tmp_path / "staging.jsonl"
    staging.write_text("previous\n", encoding="utf-8")
    file_stage = FileStage(str(staging))
    list(file_stage._run(entities()[0]))
    file_stage.close()
    assert staging.read_text(encoding="utf-8") == "previous\n"
    assert os.listdir(tmp_path) == ["staging.jsonl"]


def test_something_that_is_no_entity_is_a_failure(tmp_path: Path) -> None:
    file_stage = stage(tmp_path / "s.jsonl", ["not an entity", *entities()[:1]])
    assert file_stage.status.records == 1
    assert file_stage.status.failures[0].error == "str is not a database entity"


class InterruptedSource(Source):
    """Yields some entities, then the user presses Ctrl-C."""

    def _iter(self) -> Iterator[Either[Any]]:
        for entity in entities("new_table")[:3]:
            yield Either(right=entity)
        raise KeyboardInterrupt


def test_ctrl_c_leaves_the_previous_staging_file_whole(tmp_path: Path) -> None:
    staging = tmp_path / "staging.jsonl"
    stage(staging, entities())
    before = staging.read_bytes()
    workflow = Workflow(InterruptedSource(), [FileStage(str(staging))])
    with pytest.raises(KeyboardInterrupt):
        workflow.execute()
    assert staging.read_bytes() == before
    assert os.listdir(tmp_path) == ["staging.jsonl"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "option 'staging_file' is required"),
        ({"staging_file": ""}, "option 'staging_file' must be a non-empty path"),
        ({"staging_file": 3}, "option 'staging_file' must be .*, got 3"),
        ({"staging_file": "s", "database": "x"}, "unknown option 'database'"),
        ({"staging_file": "s", "mode": "x"}, "unknown option 'mode'"),
        ({"staging_file": "no/such/folder/s.jsonl"}, "option 'staging_file': the folder 'no/such/folder' does not"),
    ],
)
def test_file_stage_options(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FileStage.create(options)


# --- SqliteBulkSink ---------------------------------------------------------


def test_the_load_fills_every_table_with_parent_links(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    staged(staging, entities())
    sink = load(staging, database)
    assert sink.status.records == 4 and sink.status.failures == []
    assert [count(database, table) for table in ("services", "databases", "schemas", "tables", "columns")] == [
        1, 1, 1, 1, 4,
    ]
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT fqn, parent_fqn, ordinal_position, data_type, array_data_type FROM columns ORDER BY fqn"
        ).fetchall()
        schema_of_table = connection.execute("SELECT schema_fqn FROM tables").fetchone()[0]
        body = connection.execute("SELECT body FROM tables").fetchone()[0]
    base = "svc.sales.default.orders"
    assert rows == [
        (f"{base}.customer", None, 2, "RECORD", None),
        (f"{base}.customer.name", f"{base}.customer", 1, "STRING", None),
        (f"{base}.customer.tags", f"{base}.customer", 2, "ARRAY", "STRING"),
        (f"{base}.id", None, 1, "BIGINT", None),
    ]
    assert schema_of_table == "svc.sales.default"
    assert Table.from_dict(json.loads(body)) == entities()[3]


def test_a_second_run_adds_no_duplicates(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    staged(staging, entities())
    load(staging, database)
    first = dump(database)
    load(staging, database)
    assert dump(database) == first
    staged(staging, [*entities(), entities("returns")[3]])
    load(staging, database)
    assert count(database, "tables") == 2 and count(database, "columns") == 8 and count(database, "services") == 1


def test_a_changed_table_replaces_its_columns(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    staged(staging, entities())
    load(staging, database)
    smaller = Table(name="orders", database_schema="svc.sales.default", columns=[Column("id", "INT")])
    staged(staging, [*entities()[:3], smaller])
    load(staging, database)
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT fqn, data_type FROM columns").fetchall() == [
            ("svc.sales.default.orders.id", "INT"),
        ]


@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_a_load_that_fails_midway_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    staged(staging, entities())
    load(staging, database)
    before = dump(database)
    staged(staging, [*entities(), entities("returns")[3], entities("refunds")[3]])
    calls = []
    real_upsert = SqliteBulkSink.upsert

    def failing_upsert(connection: sqlite3.Connection, entity: Any, **options: Any) -> str | None:
        calls.append(entity.fqn)
        if len(calls) == 6:
            raise error
        return real_upsert(connection, entity, **options)

    monkeypatch.setattr(SqliteBulkSink, "upsert", staticmethod(failing_upsert))
    sink = SqliteBulkSink(str(staging), database=str(database))
    if isinstance(error, KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            Workflow(ListSource([]), bulk_sink=sink).execute()
    else:
        Workflow(ListSource([]), bulk_sink=sink).execute()
        assert "disk on fire" in sink.status.failures[0].error
    assert sink.status.records == 0  # nothing was loaded, so nothing is reported as loaded
    assert sink.status.failures[-1].error.startswith(f"nothing loaded into {database} (5 entities rolled back): ")
    assert len(calls) == 6
    assert dump(database) == before


def test_a_bad_staging_line_is_a_failure_naming_file_and_line(tmp_path: Path) -> None:
    staging, database = tmp_path / "staging.jsonl", tmp_path / "catalog.db"
    staged(staging, entities())
    lines = staging.read_text(encoding="utf-8").splitlines()
    lines[2:2] = [
        "{not json",
        json.dumps({"kind": "view", "fqn": "x", "body": {}}),
        json.dumps({"kind": "table", "fqn": "svc.sales.default.t", "body": {"name": "t"}}),
        json.dumps({"kind": "database", "fqn": "wrong", "body": {"name": "d", "service": "svc"}}),
        json.dumps({"kind": "table", "fqn": "a.b.c.t", "body": {"name": "t", "databaseSchema": "a.b.c"}}),
    ]
    staging.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sink = load(staging, database)
    assert sink.status.records == 4
    errors = [failure.error for failure in sink.status.failures]
    assert errors[0].startswith(f"{staging}, line 3: not JSON")
    assert errors[1].startswith(f"{staging}, line 4: unknown kind 'view' (expected one of databaseService, ")
    assert errors[2] == f"{staging}, line 5: table body has no 'databaseSchema'"
    assert errors[3] == f"{staging}, line 6: fqn 'wrong' does not match the body, which gives 'svc.d'"
    assert errors[4] == f"{staging}, line 7: a.b.c.t not loaded: its parent is not in the catalog (was it staged?)"
    assert count(database, "tables") == 1


def test_a_missing_staging_file_is_a_failure(tmp_path: Path) -> None:
    sink = load(tmp_path / "nope.jsonl", tmp_path / "catalog.db")
    assert "does not exist" in sink.status.failures[0].error
    assert not (tmp_path / "catalog.db").exists()


def test_a_database_that_cannot_be_opened_is_a_failure(tmp_path: Path) -> None:
    staged(tmp_path / "s.jsonl", entities())
    sink = load(tmp_path / "s.jsonl", tmp_path / "no" / "such" / "catalog.db")
    assert "cannot open SQLite database" in sink.status.failures[0].error


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"staging_file": "s.jsonl"}, "option 'database' is required"),
        ({"staging_file": "s.jsonl", "database": None}, "option 'database' must be .*, got None"),
        ({"staging_file": "s.jsonl", "database": ""}, "option 'database' must be a non-empty path"),
        ({"staging_file": "s.jsonl", "database": "c.db", "table": "x"}, "unknown option 'table'"),
    ],
)
def test_bulk_sink_options(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SqliteBulkSink.create(options)


# --- The sample configs, end to end -----------------------------------------


@pytest.mark.parametrize("config", ["csv_catalog.json", "csv_catalog.toml", "csv_data.json", "csv_data.toml"])
def test_sample_configs_run_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str) -> None:
    samples = tmp_path / "connectors" / "samples"
    outputs = shutil.ignore_patterns("*.db", "*.jsonl", ".*.tmp")  # what an earlier example run left there
    shutil.copytree(REPO / "connectors" / "samples", samples, ignore=outputs)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # paths in a config start at its folder, wherever minigest runs
    for _ in range(2):  # the second run must add nothing
        workflow = Workflow.from_file(samples / config)
        workflow.execute()
        assert workflow.result_status() == 0
    assert count(samples / "catalog.db", "tables") == 3
    assert count(samples / "catalog.db", "services") == 1
    assert (samples / "staging.jsonl").exists()
    assert list(elsewhere.iterdir()) == []
