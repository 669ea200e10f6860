"""The SQLite connector on real database files: every role, and the read-only guarantee."""

from __future__ import annotations

import json
import math
import random
import sqlite3
import statistics
import threading
from collections import Counter
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import minigest
from connectors import sqlite_connector
from connectors.models import Contents, LineageEdge, Query, SampleData, Table, TableProfile, TableUsage
from connectors.outputs import parse_staging_line
from connectors.samples.sqlite_build import build
from connectors.sqlite_connector import (
    SqliteLineageSource,
    SqliteMetadataSource,
    SqliteProfilerSource,
    SqliteSamplerSource,
    SqliteSourceError,
    SqliteUsageSource,
    UsageStage,
    affinity_of,
    column_sources,
    connect_read_only,
    map_declared_type,
    split_select,
)
from minigest import InvalidSourceException, Workflow, collect

SAMPLES = Path(__file__).resolve().parent / "samples"
QUERY_LOG = SAMPLES / "sqlite_query_log.csv"
SHOP = "sqlite.sqlite_shop.main"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """The sample database, built from its SQL into a fresh file."""
    return build(tmp_path / "sqlite_shop.db", SAMPLES / "sqlite_shop.sql")  # named as in the query log


def make_db(path: Path, script: str) -> Path:
    connection = sqlite3.connect(path)
    connection.executescript(script)
    connection.commit()
    connection.close()
    return path


def rights_of(source: minigest.Source) -> list[Any]:
    result = collect(source)
    return list(result.rights)


# --- Types: SQLite's affinity rules -----------------------------------------------


@pytest.mark.parametrize(
    ("declared", "data_type", "length", "precision", "scale"),
    [
        ("INTEGER", "BIGINT", None, None, None),
        ("BIGINT", "BIGINT", None, None, None),
        ("int", "BIGINT", None, None, None),
        ("TINYINT", "BIGINT", None, None, None),  # every SQLite integer is 64-bit
        ("UNSIGNED BIG INT", "BIGINT", None, None, None),
        ("VARCHAR(40)", "VARCHAR", 40, None, None),
        ("varchar ( 255 )", "VARCHAR", 255, None, None),
        ("VARCHAR", "VARCHAR", 1, None, None),  # OpenMetadata refuses a VARCHAR without a length
        ("NVARCHAR(10)", "VARCHAR", 10, None, None),
        ("CHARACTER(20)", "CHAR", 20, None, None),
        ("NATIVE CHARACTER(70)", "CHAR", 70, None, None),
        ("TEXT", "TEXT", None, None, None),
        ("CLOB", "CLOB", None, None, None),
        ("BLOB", "BLOB", None, None, None),
        ("", "UNKNOWN", None, None, None),
        ("REAL", "DOUBLE", None, None, None),
        ("DOUBLE PRECISION", "DOUBLE", None, None, None),
        ("FLOAT", "DOUBLE", None, None, None),
        ("DECIMAL(10,2)", "DECIMAL", None, 10, 2),
        ("NUMERIC(8)", "NUMERIC", None, 8, None),
        ("NUMERIC", "NUMERIC", None, None, None),
        ("BOOLEAN", "BOOLEAN", None, None, None),
        ("DATE", "DATE", None, None, None),
        ("DATETIME", "DATETIME", None, None, None),
        ("TIMESTAMP", "TIMESTAMP", None, None, None),
        ("JSON", "JSON", None, None, None),
        ("STRING", "NUMERIC", None, None, None),  # SQLite gives STRING numeric affinity
        ("FLOATING POINT", "BIGINT", None, None, None),  # "POINT" holds "INT": rule 1 comes first
        ("MONEY", "NUMERIC", None, None, None),
    ],
)
def test_declared_types_map_by_affinity(
    declared: str, data_type: str, length: int | None, precision: int | None, scale: int | None
) -> None:
    mapped = map_declared_type(declared)
    assert (mapped.data_type, mapped.data_length, mapped.precision, mapped.scale) == (
        data_type, length, precision, scale
    )
    assert mapped.display == (declared or None)


AFFINITY_OF_TEXT_12 = {"INTEGER": "integer", "NUMERIC": "integer", "REAL": "real", "TEXT": "text", "BLOB": "text"}


@pytest.mark.parametrize(
    "declared",
    ["INTEGER", "BIGINT", "VARCHAR(40)", "NCHAR(2)", "CLOB", "BLOB", "", "REAL", "DOUBLE", "FLOAT", "DECIMAL(10,2)",
     "BOOLEAN", "DATETIME", "STRING", "FLOATING POINT", "MEDIUMTEXT", "DATETEXT", "JSONB"],
)
def test_affinity_agrees_with_the_engine(declared: str) -> None:
    """What SQLite does with the text '12' in a column tells its affinity: our rules must agree."""
    connection = sqlite3.connect(":memory:")
    connection.execute(f"CREATE TABLE t (c {declared})")
    connection.execute("INSERT INTO t VALUES ('12')")
    stored = connection.execute("SELECT typeof(c) FROM t").fetchone()[0]
    assert AFFINITY_OF_TEXT_12[affinity_of(declared)] == stored


# --- Metadata --------------------------------------------------------------------


def test_metadata_walks_service_database_schema_tables_and_views(shop: Path) -> None:
    rights = rights_of(SqliteMetadataSource(database=str(shop)))
    assert [type(r).__name__ for r in rights[:3]] == ["DatabaseService", "Database", "DatabaseSchema"]
    assert rights[0].name == "sqlite" and rights[0].service_type == "SQLite"
    assert rights[1].name == "sqlite_shop"  # the file's stem
    assert rights[2].name == "main"
    tables = {r.name: r for r in rights if isinstance(r, Table)}
    assert sorted(tables) == [
        "big_customers", "customer_orders", "customer_updates", "customers", "daily_sales", "monthly_revenue",
        "order_items", "orders", "product_search", "products", "top_products", "vip_report",
    ]  # no sqlite_ tables, no FTS5 shadow tables (product_search_data, ...)
    contents = [r for r in rights if isinstance(r, Contents)]
    assert [(c.parent_fqn, c.kind) for c in contents] == [(SHOP, "table"), ("sqlite.sqlite_shop", "databaseSchema")]
    assert set(contents[0].names) == set(tables)


def test_columns_in_order_with_types_constraints_and_keys(shop: Path) -> None:
    tables = {r.name: r for r in rights_of(SqliteMetadataSource(database=str(shop))) if isinstance(r, Table)}
    items = tables["order_items"].to_dict()
    assert [c["name"] for c in items["columns"]] == ["order_id", "line", "sku", "quantity", "unit_price", "line_total"]
    unit_price = items["columns"][4]
    assert unit_price == {"name": "unit_price", "dataType": "DECIMAL", "dataTypeDisplay": "DECIMAL(10, 2)",
                          "precision": 10, "scale": 2, "constraint": "NOT_NULL", "ordinalPosition": 5}
    assert items["columns"][5]["description"] == "generated column (STORED)"  # generated columns are kept
    assert items["tableConstraints"] == [
        {"constraintType": "PRIMARY_KEY", "columns": ["order_id", "line"]},  # composite
        {"constraintType": "FOREIGN_KEY", "columns": ["order_id"], "referredColumns": [f"{SHOP}.orders.id"]},
        {"constraintType": "FOREIGN_KEY", "columns": ["sku"], "referredColumns": [f"{SHOP}.products.sku"]},
    ]
    customers = tables["customers"].to_dict()
    name = customers["columns"][1]
    assert (name["dataType"], name["dataLength"], name["dataTypeDisplay"]) == ("VARCHAR", 40, "VARCHAR(40)")
    assert customers["tableConstraints"] == [
        {"constraintType": "PRIMARY_KEY", "columns": ["id"]}, {"constraintType": "UNIQUE", "columns": ["email"]},
    ]
    assert tables["products"].description == "SQLite WITHOUT ROWID table"
    assert tables["product_search"].description == "SQLite virtual table (module fts5)"
    assert [c.name for c in tables["product_search"].columns] == ["sku", "title"]  # FTS5's hidden columns left out


def test_views_carry_their_definition(shop: Path) -> None:
    tables = {r.name: r for r in rights_of(SqliteMetadataSource(database=str(shop))) if isinstance(r, Table)}
    view = tables["vip_report"].to_dict()
    assert view["tableType"] == "View"
    assert view["viewDefinition"] == "CREATE VIEW vip_report AS SELECT * FROM big_customers WHERE spent > 500"
    assert [c["name"] for c in view["columns"]] == ["customer_id", "name", "spent"]
    assert "tableConstraints" not in view
    assert tables["orders"].table_type == "Regular" and tables["orders"].view_definition is None


def test_foreign_key_without_columns_points_at_the_parents_primary_key(tmp_path: Path) -> None:
    db = make_db(tmp_path / "k.db", "CREATE TABLE p (a, b, PRIMARY KEY (a, b));"
                                    "CREATE TABLE c (x, y, FOREIGN KEY (x, y) REFERENCES p);"
                                    "CREATE TABLE orphan (z REFERENCES gone);")
    tables = {r.name: r for r in rights_of(SqliteMetadataSource(database=str(db))) if isinstance(r, Table)}
    assert tables["c"].to_dict()["tableConstraints"] == [
        {"constraintType": "FOREIGN_KEY", "columns": ["x", "y"], "referredColumns": ["sqlite.k.main.p.a",
                                                                                     "sqlite.k.main.p.b"]},
    ]
    source = SqliteMetadataSource(database=str(db))
    collect(source)
    assert "orphan" in tables and "tableConstraints" not in tables["orphan"].to_dict()
    assert source.status.warnings == 1 and "gone" in source.status.warning_details[0][1]


def test_database_name_and_attached_databases(tmp_path: Path) -> None:
    main = make_db(tmp_path / "main.db", "CREATE TABLE a (x INTEGER);")
    archive = make_db(tmp_path / "archive.db", "CREATE TABLE old (y TEXT); CREATE VIEW v AS SELECT y FROM old;")
    source = SqliteMetadataSource(database=str(main), database_name="sales", service_name="files",
                                  attach={"archive": str(archive)})
    fqns = [r.fqn for r in rights_of(source) if isinstance(r, Table)]
    assert fqns == ["files.sales.main.a", "files.sales.archive.old", "files.sales.archive.v"]
    lineage = rights_of(SqliteLineageSource(database=str(main), database_name="sales", service_name="files",
                                            attach={"archive": str(archive)}))
    assert [(e.from_fqn, e.to_fqn) for e in lineage] == [("files.sales.archive.old", "files.sales.archive.v")]


def test_filter_patterns_apply(shop: Path) -> None:
    source = SqliteMetadataSource(database=str(shop), table_filter_pattern={"includes": ["customer"]})
    names = [r.name for r in rights_of(source) if isinstance(r, Table)]
    assert names == ["customer_orders", "customer_updates", "customers"]
    assert source.status.filtered == 9


def test_generated_columns_without_rowid_and_virtual_tables_do_not_stop_the_walk(tmp_path: Path) -> None:
    db = make_db(tmp_path / "odd.db", """
        CREATE TABLE g (a INTEGER, b AS (a * 2), c INTEGER GENERATED ALWAYS AS (a + 1) STORED);
        CREATE TABLE w (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
        CREATE VIRTUAL TABLE f USING fts5 (body);
        CREATE VIRTUAL TABLE r USING rtree (id, x0, x1);
        INSERT INTO g (a) VALUES (1), (2);
        INSERT INTO f VALUES ('hello world');
    """)
    result = collect(SqliteMetadataSource(database=str(db)))
    assert result.failures == []
    tables = {r.name: r for r in result.rights if isinstance(r, Table)}
    assert sorted(tables) == ["f", "g", "r", "w"]
    assert [c.name for c in tables["g"].columns] == ["a", "b", "c"]
    assert [c.description for c in tables["g"].columns] == [None, "generated column (VIRTUAL)",
                                                            "generated column (STORED)"]
    profiles = {p.table_fqn: p for p in rights_of(SqliteProfilerSource(database=str(db)))}
    assert [c.max for c in profiles["sqlite.odd.main.g"].columns] == [2, None, 3]  # b has no declared type
    assert profiles["sqlite.odd.main.f"].row_count == 1


def test_a_view_whose_table_was_dropped_is_one_failure(tmp_path: Path) -> None:
    db = make_db(tmp_path / "d.db", "CREATE TABLE t (a); CREATE TABLE u (b); CREATE VIEW broken AS SELECT a FROM t;"
                                    "CREATE VIEW fine AS SELECT b FROM u; DROP TABLE t;")
    result = collect(SqliteMetadataSource(database=str(db)))
    assert [r.name for r in result.rights if isinstance(r, Table)] == ["fine", "u"]
    assert [f.name for f in result.failures] == ["broken"]
    assert "view main.broken" in result.failures[0].error and "no such table: main.t" in result.failures[0].error
    lineage = collect(SqliteLineageSource(database=str(db)))
    assert [(e.from_fqn, e.to_fqn) for e in lineage.rights] == [("sqlite.d.main.u", "sqlite.d.main.fine")]
    assert [f.name for f in lineage.failures] == ["broken"]


def test_quoted_names_with_dots_and_spaces(tmp_path: Path) -> None:
    db = make_db(tmp_path / "q.db", '''
        CREATE TABLE "order.items v2" ("unit price" REAL, "a.b" INTEGER, "say ""hi""" TEXT);
        INSERT INTO "order.items v2" VALUES (1.5, 2, 'x'), (2.5, 3, NULL);
        CREATE VIEW "my view" AS SELECT "unit price" * 2 AS "double price", "a.b" FROM "order.items v2";
    ''')
    tables = {r.name: r for r in rights_of(SqliteMetadataSource(database=str(db))) if isinstance(r, Table)}
    table = tables["order.items v2"]
    assert table.fqn == 'sqlite.q.main."order.items v2"'
    assert [c.name for c in table.columns] == ["unit price", "a.b", 'say "hi"']
    [edge] = rights_of(SqliteLineageSource(database=str(db)))
    assert (edge.from_fqn, edge.to_fqn) == ('sqlite.q.main."order.items v2"', "sqlite.q.main.my view")
    assert [(list(a), b) for a, b in edge.columns] == [
        (['sqlite.q.main."order.items v2".unit price'], "sqlite.q.main.my view.double price"),
        (['sqlite.q.main."order.items v2"."a.b"'], 'sqlite.q.main.my view."a.b"'),
    ]
    [profile] = rights_of(SqliteProfilerSource(database=str(db)))
    assert profile.table_fqn == table.fqn and profile.columns[0].sum == 4.0
    samples = {s.table_fqn: s for s in rights_of(SqliteSamplerSource(database=str(db), randomized_sample=False))}
    assert samples[table.fqn].rows == ((1.5, 2, "x"), (2.5, 3, None))


# --- Read-only, locks and bad files ---------------------------------------------


def fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.mark.parametrize("role", ["metadata", "lineage", "usage", "profiler", "sampler"])
def test_no_role_changes_the_source_database(shop: Path, tmp_path: Path, role: str) -> None:
    before = fingerprint(shop)
    sources = {
        "metadata": lambda: SqliteMetadataSource(database=str(shop)),
        "lineage": lambda: SqliteLineageSource(database=str(shop), query_log=str(QUERY_LOG)),
        "usage": lambda: SqliteUsageSource(database=str(shop), query_log=str(QUERY_LOG)),
        "profiler": lambda: SqliteProfilerSource(database=str(shop), include_views=True),
        "sampler": lambda: SqliteSamplerSource(database=str(shop), seed=1),
    }
    result = collect(sources[role]())
    assert result.rights
    assert fingerprint(shop) == before
    assert sorted(p.name for p in shop.parent.iterdir()) == ["sqlite_shop.db"]  # no journal or WAL file left either


def test_the_connection_refuses_writes(shop: Path) -> None:
    connection = connect_read_only(shop, timeout=0.1)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        connection.execute("CREATE TABLE intruder (x)")
    connection.close()


def test_a_locked_database_is_waited_for_then_a_clear_failure(shop: Path) -> None:
    writer = sqlite3.connect(shop, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")  # another process in the middle of writing
    try:
        source = SqliteMetadataSource(database=str(shop), timeout=0.2)
        with pytest.raises(SqliteSourceError, match=r"locked by another process \(waited 0.2 s\)"):
            source.prepare()
        workflow = Workflow(SqliteMetadataSource(database=str(shop), timeout=0.2), [minigest.ListSink()])
        workflow.execute()
        assert workflow.result_status() == 1
        assert "locked" in workflow.source.status.failures[0].error
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_lock_released_within_the_timeout_is_waited_for(shop: Path) -> None:
    writer = sqlite3.connect(shop, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.3, lambda: writer.execute("ROLLBACK"))
    release.start()
    try:
        tables = [r for r in rights_of(SqliteMetadataSource(database=str(shop), timeout=10)) if isinstance(r, Table)]
        assert len(tables) == 12
    finally:
        release.join()
        writer.close()


def test_a_wal_database_is_read_while_a_writer_is_in_a_transaction(tmp_path: Path) -> None:
    db = make_db(tmp_path / "wal.db", "PRAGMA journal_mode = WAL; CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)")
    before = db.read_bytes()
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (2)")
    try:
        [profile] = rights_of(SqliteProfilerSource(database=str(db), timeout=0.1))
        assert profile.row_count == 1  # the committed state: WAL readers never wait for writers
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert db.read_bytes() == before


def test_a_missing_file_or_a_file_that_is_no_database(tmp_path: Path) -> None:
    with pytest.raises(InvalidSourceException, match=r"database .*nothing\.db' does not exist"):
        SqliteMetadataSource(database=str(tmp_path / "nothing.db")).prepare()
    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("just some text, long enough to fill a header " * 20)
    with pytest.raises(SqliteSourceError, match="not a SQLite database"):
        SqliteMetadataSource(database=str(not_sqlite)).prepare()
    with pytest.raises(InvalidSourceException, match=r"query_log .* does not exist"):
        SqliteLineageSource(database=str(not_sqlite), query_log=str(tmp_path / "none.csv")).prepare()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "'database'"),  # required
        ({"database": "x.db", "source_directory": "x.db"}, "'source_directory'"),  # database fills it
        ({"database": "x.db", "timout": 1}, "'timout'"),
        ({"database": "x.db", "timeout": -1}, "'timeout' must be 0 or more"),
        ({"database": "x.db", "attach": {"main": "y.db"}}, "'main' is a schema name SQLite reserves"),
        ({"database": "x.db", "table_filter_pattern": {"includes": ["("]}}, "bad regex"),
    ],
)
def test_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidSourceException, match=message):
        SqliteMetadataSource.create(options)


def test_sampler_and_stage_options() -> None:
    with pytest.raises(InvalidSourceException, match="sample_data_count"):
        SqliteSamplerSource.create({"database": "x.db", "sample_data_count": -1})
    with pytest.raises(minigest.ConfigError, match="max_queries"):
        UsageStage.create({"staging_file": "s.jsonl", "max_queries": -5})
    with pytest.raises(InvalidSourceException, match="query_log"):
        SqliteUsageSource.create({"database": "x.db"})


# --- Lineage from the engine -----------------------------------------------------


def edges(source: minigest.Source) -> dict[tuple[str, str], LineageEdge]:
    result = collect(source)
    return {(e.from_fqn.rpartition(".")[2], e.to_fqn.rpartition(".")[2]): e for e in result.rights}


def test_view_lineage_resolves_views_over_views_and_keeps_view_edges(shop: Path) -> None:
    found = edges(SqliteLineageSource(database=str(shop)))
    assert set(found) == {
        ("customers", "customer_orders"), ("orders", "customer_orders"),
        ("customer_orders", "big_customers"), ("customers", "big_customers"), ("orders", "big_customers"),
        ("big_customers", "vip_report"), ("customers", "vip_report"), ("orders", "vip_report"),
        ("orders", "monthly_revenue"), ("order_items", "monthly_revenue"),  # the CTE "lines" is no table
    }
    edge = found[("customer_orders", "big_customers")]
    assert edge.source == "ViewLineage" and edge.sql is not None and edge.sql.startswith("CREATE VIEW big_customers")
    assert edge.to_dict()["edge"]["fromEntity"] == {"type": "table", "fullyQualifiedName": f"{SHOP}.customer_orders"}


def pairs(edge: LineageEdge) -> dict[str, list[str]]:
    return {target.rpartition(".")[2]: [s.rpartition(".")[2] for s in sources] for sources, target in edge.columns}


def test_view_column_pairs_through_aliases_stars_ctes_and_views(shop: Path) -> None:
    found = edges(SqliteLineageSource(database=str(shop)))
    assert pairs(found[("customers", "customer_orders")]) == {"customer_id": ["id"], "name": ["name"]}
    assert pairs(found[("orders", "customer_orders")]) == {"order_id": ["id"], "ordered_on": ["ordered_on"],
                                                           "total": ["total"]}
    assert pairs(found[("customer_orders", "big_customers")]) == {"customer_id": ["customer_id"], "name": ["name"],
                                                                  "spent": ["total"]}
    assert pairs(found[("orders", "vip_report")]) == {"spent": ["total"]}  # * over a view over a view
    assert pairs(found[("order_items", "monthly_revenue")]) == {"revenue": ["line_total"]}  # through the CTE
    assert pairs(found[("orders", "monthly_revenue")]) == {"month": ["ordered_on"]}


def test_lineage_is_exact_where_parsers_guess(tmp_path: Path) -> None:
    db = make_db(tmp_path / "g.db", """
        CREATE TABLE a (id INTEGER, x INTEGER, y INTEGER);
        CREATE TABLE b (id INTEGER, z INTEGER);
        CREATE TABLE c (id INTEGER);
        -- an alias that is another table's name, a correlated subquery, and a column read only in a filter
        CREATE VIEW tricky AS
            SELECT b.x + b.y AS total, (SELECT max(z) FROM b AS inner_b WHERE inner_b.id = b.id) AS top
            FROM a AS b WHERE b.id IN (SELECT id FROM c);
        CREATE VIEW compound AS SELECT id FROM a UNION SELECT id FROM b;
    """)
    found = edges(SqliteLineageSource(database=str(db)))
    assert set(found) == {("a", "tricky"), ("b", "tricky"), ("c", "tricky"), ("a", "compound"), ("b", "compound")}
    assert pairs(found[("a", "tricky")]) == {"total": ["x", "y"], "top": ["id"]}
    assert pairs(found[("b", "tricky")]) == {"top": ["id", "z"]}
    assert pairs(found[("c", "tricky")]) == {}  # c only filters: no column of the view comes from it
    assert found[("a", "compound")].columns == ()  # a compound SELECT: no pairs rather than guessed ones


def test_split_select() -> None:
    parts = split_select("WITH q(a) AS (SELECT 1, 2) SELECT DISTINCT f(a, 'x,y') AS n, \"c,d\" FROM q "
                         "WHERE a > 0 GROUP BY n ORDER BY 1 LIMIT 3")
    assert parts is not None
    assert parts.ctes == (("q", "(a)", "SELECT 1, 2"),)
    assert parts.items == ("f(a, 'x,y') AS n", '"c,d"')
    assert parts.tail == "FROM q WHERE a > 0 GROUP BY n"
    assert split_select("VALUES (1)") is None
    assert split_select("SELECT 1 UNION SELECT 2") is None
    assert split_select("WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r") is None


def test_column_sources_leave_the_copy_as_it_was() -> None:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("CREATE TABLE t (a, b)")
    found = column_sources(connection, "WITH w AS (SELECT a FROM t) SELECT a AS x FROM w", ["x"], set())
    assert found == {"x": frozenset({("t", "a")})}
    assert connection.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]  # the CTE view is gone


def test_query_log_lineage(shop: Path) -> None:
    source = SqliteLineageSource(database=str(shop), query_log=str(QUERY_LOG))
    result = collect(source)
    query_edges = [e for e in result.rights if e.source == "QueryLineage"]
    assert [(e.from_fqn, e.to_fqn) for e in query_edges] == [
        (f"{SHOP}.orders", f"{SHOP}.daily_sales"),  # INSERT INTO ... SELECT
        (f"{SHOP}.order_items", f"{SHOP}.top_products"),  # CREATE TABLE ... AS, although top_products exists now
        (f"{SHOP}.customer_updates", f"{SHOP}.customers"),  # UPDATE ... FROM
    ]
    assert query_edges[1].sql == "CREATE TABLE top_products AS SELECT sku, sum(quantity) AS sold FROM order_items " \
                                 "GROUP BY sku"
    log = str(QUERY_LOG)
    assert [(f.name, f.error) for f in result.failures] == [
        (f"{log}, line 12", f"{log}, line 12: the query does not compile: no such table: old_orders"),
        (f"{log}, line 13", f'{log}, line 13: the query does not compile: near "SELEC": syntax error'),
    ]  # lines of the file: the record on line 4 holds three lines
    assert source.status.filtered_details == [
        (f"{log}, line 14", "the query was aborted"),
        (f"{log}, line 15", "the query ran on database 'billing', not 'sqlite_shop'"),
    ]


def test_query_log_statements_of_every_kind(tmp_path: Path) -> None:
    db = make_db(tmp_path / "w.db", "CREATE TABLE src (k TEXT UNIQUE, v INTEGER); CREATE TABLE dst (k TEXT UNIQUE, v);"
                                    "CREATE VIEW src_view AS SELECT k, v FROM src;")
    log = tmp_path / "log.csv"
    log.write_text(
        "query_text,start_time\n"
        "\"DELETE FROM dst WHERE k IN (SELECT k FROM src)\",2024-01-01 10:00:00\n"
        "\"INSERT INTO dst SELECT k, v FROM src_view WHERE true ON CONFLICT (k) DO UPDATE SET v = excluded.v\",\n"
        "\"CREATE TEMP TABLE scratch AS SELECT * FROM src\",\n"
        "\"WITH s AS (SELECT k FROM src) INSERT INTO dst (k) SELECT k FROM s\",\n"
        "\"CREATE TABLE IF NOT EXISTS dst AS SELECT k, v FROM src\",\n"
        "\"SELECT 1; SELECT 2\",\n"
    )
    before = fingerprint(db)
    result = collect(SqliteLineageSource(database=str(db), query_log=str(log)))
    assert [(e.from_fqn, e.to_fqn) for e in result.rights if e.source == "QueryLineage"] == [
        ("sqlite.w.main.src_view", "sqlite.w.main.dst"),  # an upsert, through its unique index; from the view
        ("sqlite.w.main.src", "sqlite.w.main.dst"),  # a CTE's table
        ("sqlite.w.main.src", "sqlite.w.main.dst"),  # IF NOT EXISTS of a table that exists
    ]  # DELETE moves no data in; a temporary table is no catalog table
    assert [f.name for f in result.failures] == [f"{log}, line 7"]
    assert "one statement at a time" in result.failures[0].error
    assert fingerprint(db) == before


def test_an_unreadable_query_log_is_one_failure(shop: Path, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("sql,user\nSELECT 1,me\n")
    result = collect(SqliteLineageSource(database=str(shop), query_log=str(log)))
    assert len(result.rights) == 10  # the views' lineage is still there
    assert [f.error for f in result.failures] == [
        f"{log}: the query log cannot be read: {log}: the query log needs a header with a query_text column, "
        "got ['sql', 'user']"
    ]


# --- Usage: source -> UsageStage -> staging file ------------------------------------


def run_usage(shop: Path, staging: Path, log: Path = QUERY_LOG, **stage_options: Any) -> Workflow:
    workflow = Workflow(SqliteUsageSource(database=str(shop), query_log=str(log)),
                        [UsageStage(staging_file=str(staging), **stage_options)])
    workflow.execute()
    return workflow


def staged(path: Path) -> list[Any]:
    return [parse_staging_line(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_usage_counts_each_tables_queries_per_day(shop: Path, tmp_path: Path) -> None:
    staging = tmp_path / "usage.jsonl"
    workflow = run_usage(shop, staging)
    assert workflow.source.status.records == 8 and workflow.source.status.failure_count == 2
    entities = staged(staging)
    usage = {(u.table_fqn.rpartition(".")[2], u.date): u.count for u in entities if isinstance(u, TableUsage)}
    assert usage == {
        ("customers", "2024-06-01"): 2, ("orders", "2024-06-01"): 2, ("customer_orders", "2024-06-01"): 1,
        ("daily_sales", "2024-06-01"): 1, ("order_items", "2024-06-01"): 1, ("top_products", "2024-06-01"): 1,
        ("customers", "2024-06-02"): 2, ("customer_updates", "2024-06-02"): 1, ("monthly_revenue", "2024-06-02"): 1,
    }
    queries = [q for q in entities if isinstance(q, Query)]
    assert len(queries) == 7  # the query run on two days is one Query
    first = queries[0]
    assert first.sql == "SELECT name, email FROM customers WHERE country = 'GB'"
    assert first.user_name == "ada" and first.table_fqns == (f"{SHOP}.customers",)
    assert first.query_date == 1717232400000  # 2024-06-01 09:00:00 UTC


def test_usage_counts_are_the_same_on_a_second_run(shop: Path, tmp_path: Path) -> None:
    staging = tmp_path / "usage.jsonl"
    run_usage(shop, staging)
    first = staging.read_text()
    run_usage(shop, staging)
    assert staging.read_text() == first  # totals per table per day, not increments: a reload adds nothing


def test_usage_keeps_at_most_max_queries(shop: Path, tmp_path: Path) -> None:
    staging = tmp_path / "usage.jsonl"
    workflow = run_usage(shop, staging, max_queries=2)
    entities = staged(staging)
    assert len([q for q in entities if isinstance(q, Query)]) == 2
    assert sum(u.count for u in entities if isinstance(u, TableUsage)) == 12  # every query still counted
    assert workflow.steps[0].status.warnings == 1


def test_a_query_without_start_time_counts_on_the_log_files_day(shop: Path, tmp_path: Path) -> None:
    import os

    log = tmp_path / "log.csv"
    log.write_text("query_text,user_name\nSELECT * FROM orders,ada\n")
    os.utime(log, (1_700_000_000, 1_700_000_000))  # 2023-11-14 22:13:20 UTC
    staging = tmp_path / "usage.jsonl"
    run_usage(shop, staging, log)
    [usage, query] = staged(staging)
    assert (usage.date, usage.count) == ("2023-11-14", 1)
    assert query.query_date == 1_699_920_000_000


def test_a_bad_start_time_is_a_located_failure(shop: Path, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("query_text,start_time\nSELECT * FROM orders,yesterday\nSELECT * FROM orders,2024-01-02T03:04:05Z\n")
    result = collect(SqliteUsageSource(database=str(shop), query_log=str(log)))
    assert [f.error for f in result.failures] == [f"{log}, line 2: start_time 'yesterday' is not a date and time"]
    assert [q.query_date for q in result.rights] == [1704164645000]


# --- Profiler ----------------------------------------------------------------------


PROFILED = """
CREATE TABLE p (
    i INTEGER, r REAL, d DECIMAL(10, 2), t VARCHAR(20), day DATE, blank TEXT, b BLOB, mixed INTEGER, words INTEGER
);
INSERT INTO p VALUES
    (1, 1.5, 10.25, 'a', '2024-01-03', NULL, x'00', 1, 'one'),
    (2, -2.5, 10.25, 'ünïcödé', '2023-12-31', NULL, x'0102', 'text in an integer column', 'two'),
    (2, NULL, 99999999.99, '', NULL, NULL, NULL, 3, NULL),
    (NULL, 1e300, 0, 'a', '2024-02-29', NULL, NULL, NULL, 'three'),
    (9007199254740993, 3.0, -5, 'zz', '2024-01-03', NULL, x'', 4.5, 'four');
CREATE TABLE empty (a INTEGER, b TEXT);
"""


def exact_pstdev(numbers: list[float]) -> float:
    """The population standard deviation in exact arithmetic (statistics.pstdev overflows on 1e300 on 3.9)."""
    values = [Fraction(number) for number in numbers]
    mean = sum(values) / len(values)
    scale = max(abs(value) for value in values) or Fraction(1)
    return float(scale) * math.sqrt(sum(((value - mean) / scale) ** 2 for value in values) / len(values))


def independent_profile(connection: sqlite3.Connection, table: str, column: str, data_type: str) -> dict[str, Any]:
    """The metrics, by plain Python over every value (what the profiler must match without reading rows)."""
    values = [row[0] for row in connection.execute(f'SELECT "{column}" FROM "{table}"')]
    present = [v for v in values if v is not None]
    counts = Counter(present)
    expected: dict[str, Any] = {
        "valuesCount": len(present), "nullCount": len(values) - len(present),
        "distinctCount": len(counts), "uniqueCount": sum(1 for n in counts.values() if n == 1),
        "nullProportion": (len(values) - len(present)) / len(values) if values else None,
        "distinctProportion": len(counts) / len(present) if present else None,
    }
    numbers = [v for v in present if isinstance(v, (int, float))]
    texts = [v for v in present if isinstance(v, str)]
    if data_type in ("BIGINT", "DOUBLE", "DECIMAL") and numbers:
        expected.update(min=min(numbers), max=max(numbers), mean=statistics.fmean(numbers),
                        sum=math.fsum(numbers), stddev=exact_pstdev(numbers))
    if data_type == "DATE" and texts:
        expected.update(min=min(texts), max=max(texts))
    if data_type in ("VARCHAR", "TEXT") and texts:
        expected.update(minLength=min(map(len, texts)), maxLength=max(map(len, texts)))
    return expected


def test_profile_matches_an_independent_computation(tmp_path: Path) -> None:
    db = make_db(tmp_path / "p.db", PROFILED)
    profiles = {p.table_fqn: p for p in rights_of(SqliteProfilerSource(database=str(db)))}
    profile = profiles["sqlite.p.main.p"]
    assert (profile.row_count, profile.column_count) == (5, 9)
    connection = sqlite3.connect(db)
    types = {"i": "BIGINT", "r": "DOUBLE", "d": "DECIMAL", "t": "VARCHAR", "day": "DATE", "blank": "TEXT",
             "b": "BLOB", "mixed": "BIGINT", "words": "BIGINT"}  # words: an INTEGER column of texts only
    for column in profile.columns:
        body = column.to_dict(profile.timestamp)
        expected = independent_profile(connection, "p", column.name, types[column.name])
        for metric, value in expected.items():
            wanted = pytest.approx(value, rel=1e-12) if isinstance(value, float) else value
            assert body.get(metric) == wanted, (column.name, metric)
        assert set(body) - {"name", "timestamp", "uniqueProportion"} == {k for k, v in expected.items()
                                                                         if v is not None}, column.name
    empty = profiles["sqlite.p.main.empty"]
    assert empty.row_count == 0 and empty.columns[0].to_dict(0) == {
        "name": "a", "timestamp": 0, "valuesCount": 0, "nullCount": 0, "distinctCount": 0, "uniqueCount": 0}


def test_stddev_of_large_values_keeps_its_precision(tmp_path: Path) -> None:
    db = make_db(tmp_path / "big.db", "CREATE TABLE t (x REAL);"
                                      "INSERT INTO t VALUES (1e9 + 1), (1e9 + 2), (1e9 + 3), (1e9 + 4);")
    [profile] = rights_of(SqliteProfilerSource(database=str(db)))
    assert profile.columns[0].stddev == pytest.approx(statistics.pstdev([1, 2, 3, 4]), rel=1e-9)


def test_the_profile_is_one_query_per_table(shop: Path) -> None:
    source = SqliteProfilerSource(database=str(shop))
    source.prepare()
    statements: list[str] = []
    source.file.connection.set_trace_callback(statements.append)
    profiles = list(source.run())
    source.close()
    reads = [s for s in statements if 'FROM "main"."' in s]  # quoted as the profiler quotes; FTS5 uses 'main'
    passes = [s for s in reads if s.startswith("SELECT count(*), count(")]
    firsts = [s for s in reads if s.startswith("SELECT (SELECT ")]  # each numeric column's first number only
    assert all(s.count("LIMIT 1") == s.count("(SELECT ") for s in firsts)
    assert len(passes) == 8 and len(passes) + len(firsts) == len(reads)
    assert len(profiles) == 8  # one aggregate query a table; nothing else reads a whole table


def test_views_are_profiled_when_asked(shop: Path) -> None:
    source = SqliteProfilerSource(database=str(shop))
    assert len(rights_of(source)) == 8 and source.status.filtered == 4
    profiles = {p.table_fqn: p for p in rights_of(SqliteProfilerSource(database=str(shop), include_views=True))}
    assert profiles[f"{SHOP}.big_customers"].row_count == 2


# --- Sampler -----------------------------------------------------------------------


def test_sampler_takes_the_first_rows_or_a_repeatable_random_sample(tmp_path: Path) -> None:
    rows = ",".join(f"({n}, 'row {n}', x'{n:02x}')" for n in range(100))
    db = make_db(tmp_path / "s.db", f"CREATE TABLE t (n INTEGER, label TEXT, raw BLOB); INSERT INTO t VALUES {rows};")
    [first] = rights_of(SqliteSamplerSource(database=str(db), sample_data_count=3, randomized_sample=False))
    assert first.to_dict() == {"columns": ["n", "label", "raw"],
                               "rows": [[0, "row 0", "x'00'"], [1, "row 1", "x'01'"], [2, "row 2", "x'02'"]]}
    [default] = rights_of(SqliteSamplerSource(database=str(db)))
    assert len(default.rows) == 50  # OpenMetadata's default sample size, random by default
    assert [row[0] for row in default.rows] != list(range(50))

    def sample(seed: int) -> list[int]:
        [result] = rights_of(SqliteSamplerSource(database=str(db), sample_data_count=10, seed=seed))
        assert isinstance(result, SampleData)
        return [row[0] for row in result.rows]

    assert sample(7) == sample(7)
    assert sample(7) != sample(8)
    assert sample(7) == sorted(sample(7)) and len(set(sample(7))) == 10
    assert max(sample(7) + sample(8) + sample(9)) > 50  # from the whole table, not its start
    [small] = rights_of(SqliteSamplerSource(database=str(db), sample_data_count=1000, seed=1))
    assert len(small.rows) == 100


# --- The ServiceSpec and the sample configs -----------------------------------------


def test_the_service_spec_names_every_role() -> None:
    spec = sqlite_connector.ServiceSpec
    assert isinstance(spec, minigest.ServiceSpec)
    assert (spec.metadata_source_class, spec.lineage_source_class, spec.usage_source_class, spec.profiler_class,
            spec.sampler_class) == (SqliteMetadataSource, SqliteLineageSource, SqliteUsageSource,
                                    SqliteProfilerSource, SqliteSamplerSource)
    workflow = Workflow.create({"source": {"type": "connectors.sqlite_connector", "options": {"database": "x.db"}}})
    assert isinstance(workflow.source, SqliteMetadataSource)
    for kind, cls in [("lineage", SqliteLineageSource), ("profiler", SqliteProfilerSource),
                      ("sampler", SqliteSamplerSource)]:
        entry = {"type": "connectors.sqlite_connector", "kind": kind, "options": {"database": "x.db"}}
        assert type(Workflow.create({"source": entry}).source) is cls


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The samples folder in a scratch copy, with the sample database built, as the current folder."""
    target = tmp_path / "connectors" / "samples"
    target.mkdir(parents=True)
    for path in SAMPLES.glob("sqlite_*"):
        if path.suffix != ".db":
            (target / path.name).write_bytes(path.read_bytes())
    build(target / "sqlite_shop.db", target / "sqlite_shop.sql")
    monkeypatch.chdir(tmp_path)
    yield tmp_path


ROLE_CONFIGS = ["sqlite_metadata.json", "sqlite_lineage.json", "sqlite_usage.json", "sqlite_profiler.json",
                "sqlite_sampler.json"]


@pytest.mark.parametrize("config", ROLE_CONFIGS)
def test_sample_configs_stage_what_their_role_yields(repo_copy: Path, config: str) -> None:
    settings = json.loads((repo_copy / "connectors" / "samples" / config).read_text())
    settings.pop("bulk_sink")  # the stage alone: the catalog's loading is the outputs' tests' business
    samples = repo_copy / "connectors" / "samples"
    workflow = Workflow.create(settings, folder=samples)  # its paths start at its folder
    workflow.execute()
    staging = samples / settings["stage"]["options"]["staging_file"]
    kinds = Counter(json.loads(line)["kind"] for line in staging.read_text().splitlines())
    expected = {
        "sqlite_metadata.json": {"databaseService": 1, "database": 1, "databaseSchema": 1, "table": 12, "contents": 2},
        "sqlite_lineage.json": {"lineage": 13},
        "sqlite_usage.json": {"tableUsage": 9, "query": 7},
        "sqlite_profiler.json": {"tableProfile": 8},
        "sqlite_sampler.json": {"sampleData": 12},
    }[config]
    assert dict(kinds) == expected
    assert all(entity.fqn.startswith("sqlite") for entity in staged(staging))


def test_the_committed_sample_database_script_builds(tmp_path: Path) -> None:
    db = build(tmp_path / "again.db", SAMPLES / "sqlite_shop.sql")
    tables = sqlite3.connect(db).execute("SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view')")
    assert tables.fetchone()[0] > 12  # with FTS5's shadow tables
    assert isinstance(rights_of(SqliteProfilerSource(database=str(db)))[0], TableProfile)


def readme_section() -> str:
    readme = (SAMPLES.parent.parent / "README.md").read_text(encoding="utf-8")
    return readme.split("## The SQLite connector: every role", 1)[1].split("\n## ", 1)[0]


def as_text_table(cursor: sqlite3.Cursor) -> str:
    """Rows as the README shows them: left-aligned columns two spaces apart, NULL as nothing."""
    header = [column[0] for column in cursor.description]
    rows = [["" if value is None else str(value) for value in row] for row in cursor.fetchall()]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in [header, *rows]) + "\n"


def test_every_role_into_one_catalog_gives_the_readme_query_result(repo_copy: Path) -> None:
    section = readme_section()
    runs = [line.split()[-1] for line in section.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
            if line.startswith("minigest run")]
    assert runs == [f"connectors/samples/{config}" for config in ROLE_CONFIGS]
    for _ in range(2):  # a second run of every role changes nothing
        for config in runs:
            assert minigest.main(["run", config]) == 0, config
    query = section.split("```sql\n", 1)[1].split("```", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    catalog = sqlite3.connect(repo_copy / "connectors" / "samples" / "catalog.db")  # next to the configs
    assert as_text_table(catalog.execute(query)) == shown
    assert catalog.execute("SELECT count(*), sum(count) FROM table_usage").fetchone() == (9, 12)
    pairs_loaded = catalog.execute(
        "SELECT from_column, to_column FROM column_lineage WHERE to_fqn = ? ORDER BY to_column",
        (f"{SHOP}.monthly_revenue",),
    ).fetchall()
    assert pairs_loaded == [(f"{SHOP}.orders.ordered_on", f"{SHOP}.monthly_revenue.month"),
                            (f"{SHOP}.order_items.line_total", f"{SHOP}.monthly_revenue.revenue")]


def test_integer_sums_are_exact_integers_as_the_csv_profilers(shop: Path, tmp_path: Path) -> None:
    profiles = {p.table_fqn: p for p in rights_of(SqliteProfilerSource(database=str(shop)))}
    order_id = profiles[f"{SHOP}.orders"].columns[0]
    assert order_id.sum == 510 and isinstance(order_id.sum, int)
    assert isinstance(profiles[f"{SHOP}.orders"].columns[4].sum, float)  # total DECIMAL(10, 2) holds reals
    huge = make_db(tmp_path / "huge.db", "CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (9007199254740993), (1);")
    [profile] = rights_of(SqliteProfilerSource(database=str(huge)))
    assert profile.columns[0].sum == pytest.approx(9007199254740994.0)  # past 2**53: a double, never a wrong int


def test_a_table_wider_than_sqlites_result_columns_is_profiled(tmp_path: Path) -> None:
    columns = ", ".join(f"c{n} INTEGER" for n in range(260))  # 260 x 11 metrics: more than 2,000 results
    db = make_db(tmp_path / "wide.db", f"CREATE TABLE wide ({columns}); INSERT INTO wide (c0, c259) VALUES (1, 7);")
    [profile] = rights_of(SqliteProfilerSource(database=str(db)))
    assert profile.column_count == 260 and profile.row_count == 1
    assert (profile.columns[0].max, profile.columns[259].max, profile.columns[130].null_count) == (1, 7, 1)


def test_a_dropped_view_leaves_the_catalog_on_the_next_metadata_run(repo_copy: Path) -> None:
    config = "connectors/samples/sqlite_metadata.json"
    assert minigest.main(["run", config]) == 0
    catalog = repo_copy / "connectors" / "samples" / "catalog.db"

    def views() -> list[str]:
        rows = sqlite3.connect(catalog).execute("SELECT name FROM tables WHERE table_type = 'View' ORDER BY name")
        return [name for (name,) in rows]

    assert views() == ["big_customers", "customer_orders", "monthly_revenue", "vip_report"]
    source = sqlite3.connect(repo_copy / "connectors" / "samples" / "sqlite_shop.db")
    source.execute("DROP VIEW vip_report")
    source.commit()
    source.close()
    assert minigest.main(["run", config]) == 0
    assert views() == ["big_customers", "customer_orders", "monthly_revenue"]  # the Contents of main said so


def test_a_random_sample_of_a_rowid_table_reads_only_the_chosen_rows(tmp_path: Path) -> None:
    rows = ",".join(f"({n}, 'row {n}')" for n in range(2000))
    db = make_db(tmp_path / "r.db", f"CREATE TABLE t (n INTEGER, label TEXT); INSERT INTO t VALUES {rows};"
                                    "CREATE TABLE odd (rowid TEXT, _rowid_ TEXT, oid TEXT); "
                                    "INSERT INTO odd VALUES ('a', 'b', 'c'), ('d', 'e', 'f');")
    source = SqliteSamplerSource(database=str(db), sample_data_count=600, seed=3)
    source.prepare()
    statements: list[str] = []
    source.file.connection.set_trace_callback(statements.append)
    samples = {s.table_fqn: s for s in source.run()}
    source.close()
    every_row = sqlite3.connect(db).execute('SELECT "n", "label" FROM "main"."t"').fetchall()
    expected = sqlite_connector._reservoir(every_row, 600, random.Random("3/main/t"))
    assert list(samples["sqlite.r.main.t"].rows) == expected  # the same rows as a reservoir over whole rows
    assert not any(s.startswith('SELECT "n", "label" FROM') for s in statements)  # never every whole row
    assert sorted(samples["sqlite.r.main.odd"].rows) == [("a", "b", "c"), ("d", "e", "f")]  # no row id name left
