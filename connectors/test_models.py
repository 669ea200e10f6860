"""The entity models: validation, fully qualified names and OpenMetadata request bodies."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.models import (
    DATA_TYPES,
    Column,
    Database,
    DatabaseSchema,
    DatabaseService,
    Table,
    kind_of,
    parse_type_spec,
)


def nested_table() -> Table:
    return Table(
        name="orders",
        database_schema="svc.sales.default",
        description="Customer orders",
        table_type="Regular",
        columns=[
            Column(name="id", data_type="BIGINT", description="primary key"),
            Column(name="tags", data_type="ARRAY", array_data_type="STRING", data_type_display="array<string>"),
            Column(
                name="customer",
                data_type="RECORD",
                children=[
                    Column(name="name", data_type="VARCHAR", data_length=80),
                    Column(name="address", data_type="STRUCT", children=[Column(name="city", data_type="STRING")]),
                ],
            ),
        ],
    )


def test_service_body_is_a_create_database_service_request() -> None:
    service = DatabaseService(name="svc", description="CSV files")
    assert service.to_dict() == {"name": "svc", "description": "CSV files", "serviceType": "CustomDatabase"}
    assert service.fqn == "svc"


def test_database_and_schema_bodies_name_their_parent_by_fqn() -> None:
    database = Database(name="sales", service="svc")
    schema = DatabaseSchema(name="default", database=database.fqn)
    assert database.to_dict() == {"name": "sales", "service": "svc"}
    assert schema.to_dict() == {"name": "default", "database": "svc.sales"}
    assert schema.fqn == "svc.sales.default"


def test_table_body_has_camel_case_keys_ordinal_positions_and_nested_children() -> None:
    assert nested_table().to_dict() == {
        "name": "orders",
        "description": "Customer orders",
        "tableType": "Regular",
        "databaseSchema": "svc.sales.default",
        "columns": [
            {"name": "id", "dataType": "BIGINT", "description": "primary key", "ordinalPosition": 1},
            {
                "name": "tags",
                "dataType": "ARRAY",
                "arrayDataType": "STRING",
                "dataTypeDisplay": "array<string>",
                "ordinalPosition": 2,
            },
            {
                "name": "customer",
                "dataType": "RECORD",
                "ordinalPosition": 3,
                "children": [
                    {"name": "name", "dataType": "VARCHAR", "dataLength": 80, "ordinalPosition": 1},
                    {
                        "name": "address",
                        "dataType": "STRUCT",
                        "ordinalPosition": 2,
                        "children": [{"name": "city", "dataType": "STRING", "ordinalPosition": 1}],
                    },
                ],
            },
        ],
    }


def test_keys_without_a_value_are_left_out() -> None:
    body = Table(name="t", database_schema="s.d.default", columns=[Column(name="c", data_type="INT")]).to_dict()
    assert body == {
        "name": "t",
        "databaseSchema": "s.d.default",
        "columns": [{"name": "c", "dataType": "INT", "ordinalPosition": 1}],
    }
    assert DatabaseService(name="x", description="").to_dict() == {"name": "x", "serviceType": "CustomDatabase"}


@pytest.mark.parametrize(
    "entity",
    [
        DatabaseService(name="svc", description="d", display_name="Service"),
        Database(name="sales", service="svc", description="d"),
        DatabaseSchema(name="default", database="svc.sales"),
        nested_table(),
    ],
)
def test_every_entity_is_rebuilt_from_its_body(entity: object) -> None:
    rebuilt = type(entity).from_dict(entity.to_dict())  # type: ignore[attr-defined]
    assert rebuilt == entity


def test_a_name_with_a_dot_is_quoted_in_the_fqn() -> None:
    database = Database(name="eu.sales", service="svc")
    table = Table(name="a.b", database_schema=DatabaseSchema(name="default", database=database.fqn).fqn)
    assert database.fqn == 'svc."eu.sales"'
    assert table.fqn == 'svc."eu.sales".default."a.b"'


def test_walk_columns_gives_fqns_and_parents_depth_first() -> None:
    walked = [(fqn, parent, column.ordinal_position) for fqn, parent, column in nested_table().walk_columns()]
    base = "svc.sales.default.orders"
    assert walked == [
        (f"{base}.id", None, 1),
        (f"{base}.tags", None, 2),
        (f"{base}.customer", None, 3),
        (f"{base}.customer.name", f"{base}.customer", 1),
        (f"{base}.customer.address", f"{base}.customer", 2),
        (f"{base}.customer.address.city", f"{base}.customer.address", 1),
    ]


def test_data_types_are_openmetadatas() -> None:
    assert {"INT", "BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "TIME", "STRING", "RECORD", "MAP"} <= DATA_TYPES
    assert {"ENUM", "BYTES", "ARRAY", "FLOAT", "UNKNOWN", "TIMESTAMPZ"} <= DATA_TYPES
    assert "INTEGER" not in DATA_TYPES and "int" not in DATA_TYPES


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Column(name="c", data_type="INTEGER"), "not an OpenMetadata data type"),
        (lambda: Column(name="c", data_type="ARRAY"), "needs array_data_type"),
        (lambda: Column(name="c", data_type="INT", array_data_type="INT"), "only for ARRAY"),
        (lambda: Column(name="c", data_type="ARRAY", array_data_type="LIST"), "not an OpenMetadata data type"),
        (lambda: Column(name="", data_type="INT"), "non-empty"),
        (lambda: Column(name="a::b", data_type="INT"), "'::'"),
        (lambda: Table(name="x" * 129, database_schema="s.d.default"), "longer than 128"),
        (lambda: Table(name="t", database_schema=""), "fully qualified name"),
        (lambda: Database(name="d", service=None), "fully qualified name"),  # type: ignore[arg-type]
        (lambda: Table(name="t", database_schema="s", columns=["id"]), "must be Columns"),
        (
            lambda: Table(name="t", database_schema="s", columns=[Column("a", "INT"), Column("a", "DATE")]),
            "appears twice",
        ),
    ],
)
def test_invalid_entities_are_refused_with_a_clear_message(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_kind_of_names_the_staging_kind() -> None:
    assert kind_of(nested_table()) == "table"
    assert kind_of(DatabaseService(name="s")) == "databaseService"
    with pytest.raises(ValueError, match="not a database entity"):
        kind_of("table")


@pytest.mark.parametrize(
    ("spec", "fields"),
    [
        ("INT", {"data_type": "INT"}),
        (" double ", {"data_type": "DOUBLE"}),
        ("varchar(20)", {"data_type": "VARCHAR", "data_length": 20}),
        ("array<int>", {"data_type": "ARRAY", "array_data_type": "INT", "data_type_display": "array<int>"}),
    ],
)
def test_type_specs_from_a_catalog(spec: str, fields: dict) -> None:
    assert parse_type_spec(spec) == fields


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("INTEGER", "unknown data type 'INTEGER'"),
        ("", "unknown data type"),
        ("ARRAY", "needs an element type"),
        ("MAP<INT>", "only ARRAY takes an element type"),
        ("ARRAY<WHATEVER>", "unknown array element type"),
        ("INT(", "unknown data type"),
    ],
)
def test_bad_type_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_type_spec(spec)


# --- Profiles, samples, lineage, usage, queries and contents -------------------

import json  # noqa: E402

from connectors.models import ColumnProfile, Contents, LineageEdge, Query, SampleData, TableProfile, TableUsage  # noqa: E402
from connectors.outputs import parse_staging_line  # noqa: E402

TABLE_FQN = "svc.db.default.orders"


def test_table_profile_body_is_create_table_profile_request() -> None:
    profile = TableProfile(
        TABLE_FQN, timestamp=1_700_000_000_000, row_count=3, column_count=1,
        columns=[ColumnProfile("amount", values_count=2, null_count=1, null_proportion=1 / 3, min=1, max=5.5)],
    )
    body = profile.to_dict()
    assert body == {
        "tableProfile": {"timestamp": 1_700_000_000_000, "rowCount": 3, "columnCount": 1},
        "columnProfile": [{"name": "amount", "timestamp": 1_700_000_000_000, "valuesCount": 2, "nullCount": 1,
                           "nullProportion": 1 / 3, "min": 1, "max": 5.5}],
    }
    assert TableProfile.from_dict(body, TABLE_FQN) == profile


def test_sample_data_is_table_data_and_rows_match_columns() -> None:
    sample = SampleData(TABLE_FQN, columns=["id", "name"], rows=[[1, "a"], [2, None]])
    assert sample.to_dict() == {"columns": ["id", "name"], "rows": [[1, "a"], [2, None]]}
    with pytest.raises(ValueError, match="row 2 has 1 values for 2 columns"):
        SampleData(TABLE_FQN, columns=["id", "name"], rows=[[1, "a"], [2]])


def test_lineage_edge_is_add_lineage_request_by_name() -> None:
    edge = LineageEdge("svc.db.main.orders", "svc.db.main.big_orders",
                       columns=[(["svc.db.main.orders.amount"], "svc.db.main.big_orders.amount")],
                       sql="SELECT amount FROM orders")
    body = edge.to_dict()["edge"]
    assert body["fromEntity"] == {"type": "table", "fullyQualifiedName": "svc.db.main.orders"}
    assert body["lineageDetails"]["columnsLineage"] == [
        {"fromColumns": ["svc.db.main.orders.amount"], "toColumn": "svc.db.main.big_orders.amount"}
    ]
    assert LineageEdge.from_dict(edge.to_dict()) == edge
    with pytest.raises(ValueError, match="source"):
        LineageEdge("a.b", "c.d", source="Guess")


def test_usage_query_and_contents_round_trip_through_a_staging_line() -> None:
    entities = [
        TableUsage(TABLE_FQN, date="2026-11-30", count=4),
        Query("SELECT 1 FROM orders", service="svc", table_fqns=[TABLE_FQN], user_name="ana", query_date=5),
        Contents("svc.db.default", "table", names=["orders", "refunds"]),
        SampleData(TABLE_FQN, columns=["id"], rows=[[1]]),
    ]
    from connectors.models import kind_of

    for entity in entities:
        line = json.dumps({"kind": kind_of(entity), "fqn": entity.fqn, "body": entity.to_dict()})
        assert parse_staging_line(line) == entity
    with pytest.raises(ValueError, match="date"):
        TableUsage(TABLE_FQN, date="30/11/2026", count=1)
    with pytest.raises(ValueError, match="kind"):
        Contents("svc.db", "column", names=[])


# --- Bodies the server accepts, and the shapes the SQLite connector needs --------

from connectors.models import ENTITY_KINDS, NAMED_BY_TABLE, TableConstraint  # noqa: E402


def test_a_table_with_no_columns_keeps_an_empty_column_list() -> None:
    table = Table(name="empty", database_schema="svc.db.default")
    assert table.to_dict() == {"name": "empty", "databaseSchema": "svc.db.default", "columns": []}
    assert Table.from_dict(table.to_dict()) == table


@pytest.mark.parametrize("data_type", ["CHAR", "VARCHAR", "BINARY", "VARBINARY"])
def test_a_length_type_without_a_length_gets_length_one(data_type: str) -> None:
    column = Column(name="c", data_type=data_type)
    assert column.data_length == 1
    assert column.to_dict() == {"name": "c", "dataType": data_type, "dataLength": 1}
    assert Column(name="c", data_type=data_type, data_length=40).data_length == 40
    assert Column(name="c", data_type="STRING").data_length is None


def sqlite_table() -> Table:
    """What the SQLite connector gives for a view and a table with keys."""
    return Table(
        name="order_lines",
        database_schema="svc.shop.main",
        table_type="Regular",
        columns=[
            Column(name="order_id", data_type="BIGINT", constraint="NOT_NULL", data_type_display="INTEGER"),
            Column(name="line", data_type="BIGINT", constraint="NOT_NULL"),
            Column(name="price", data_type="DECIMAL", precision=10, scale=2, data_type_display="DECIMAL(10,2)"),
            Column(name="sku", data_type="VARCHAR", data_length=40, constraint="UNIQUE"),
        ],
        table_constraints=[
            TableConstraint("PRIMARY_KEY", ["order_id", "line"]),
            TableConstraint("FOREIGN_KEY", ["order_id"], referred_columns=["svc.shop.main.orders.id"]),
        ],
    )


def test_keys_precision_and_views_are_in_openmetadatas_shapes() -> None:
    body = sqlite_table().to_dict()
    assert body["tableConstraints"] == [
        {"constraintType": "PRIMARY_KEY", "columns": ["order_id", "line"]},
        {"constraintType": "FOREIGN_KEY", "columns": ["order_id"], "referredColumns": ["svc.shop.main.orders.id"]},
    ]
    assert body["columns"][0] == {
        "name": "order_id", "dataType": "BIGINT", "dataTypeDisplay": "INTEGER", "constraint": "NOT_NULL",
        "ordinalPosition": 1,
    }
    assert body["columns"][2] == {
        "name": "price", "dataType": "DECIMAL", "precision": 10, "scale": 2, "dataTypeDisplay": "DECIMAL(10,2)",
        "ordinalPosition": 3,
    }
    assert Table.from_dict(body) == sqlite_table()
    view = Table(name="v", database_schema="svc.shop.main", table_type="View", view_definition="SELECT 1 AS one",
                 columns=[Column("one", "INT")])
    assert view.to_dict()["viewDefinition"] == "SELECT 1 AS one"
    assert view.to_dict()["tableType"] == "View"
    assert Table.from_dict(view.to_dict()) == view


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Column("p", "DECIMAL", scale=2), "scale 2 needs a precision"),
        (lambda: Column("p", "DECIMAL", precision=2, scale=3), "scale 3 is larger than precision 2"),
        (lambda: Column("p", "DECIMAL", precision=-1), "must be a whole number >= 0"),
        (lambda: Column("c", "INT", data_length="8"), "must be a whole number >= 0"),
        (lambda: Column("c", "INT", constraint="NOT NULL"), "must be one of NULL, NOT_NULL, UNIQUE, PRIMARY_KEY"),
        (lambda: Column("s", "STRUCT"), "a STRUCT column needs children"),
        (lambda: Column("s", "STRUCT", children=[Column("a", "INT"), Column("a", "INT")]), "'a' appears twice"),
        (lambda: Table(name="t", database_schema="s", table_type="Table"), "must be one of Regular, External"),
        (
            lambda: Table(name="t", database_schema="s", columns=[Column("a", "INT", constraint="PRIMARY_KEY"),
                                                                  Column("b", "INT", constraint="PRIMARY_KEY")]),
            "'a' and 'b' are both PRIMARY_KEY",
        ),
        (
            lambda: Table(name="t", database_schema="s", columns=[Column("a", "INT")],
                          table_constraints=[TableConstraint("UNIQUE", ["b"])]),
            "names column 'b', which the table does not have",
        ),
        (lambda: TableConstraint("FOREIGN_KEY", ["a", "b"], ["x.a"]), "one referred column per column"),
        (lambda: TableConstraint("UNIQUE", ["a"], ["x.a"]), "only a FOREIGN_KEY has referred columns"),
        (lambda: TableConstraint("UNIQUE", []), "needs columns"),
        (lambda: TableConstraint("UNIQUE", "ab"), "list of names"),
        (lambda: TableConstraint("CHECK", ["a"]), "constraint_type"),
        (lambda: Column("a::b", "STRUCT", children=[Column("x", "INT")]), "'::'"),
    ],
)
def test_what_openmetadatas_server_refuses_is_refused_here(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_every_kind_is_rebuilt_from_its_body_by_the_generated_from_dict() -> None:
    samples = {
        "databaseService": DatabaseService(name="svc", service_type="SQLite"),
        "database": Database(name="shop", service="svc"),
        "databaseSchema": DatabaseSchema(name="main", database="svc.shop"),
        "table": sqlite_table(),
        "tableProfile": TableProfile(TABLE_FQN, 1, 2, 1, columns=[ColumnProfile("a", values_count=2, min="x")]),
        "sampleData": SampleData(TABLE_FQN, ["a"], [["x"], [None]]),
        "lineage": LineageEdge("a.b.c.d", "a.b.c.e", columns=[(["a.b.c.d.x"], "a.b.c.e.x")], source="QueryLineage"),
        "tableUsage": TableUsage(TABLE_FQN, "2026-01-02", 3),
        "query": Query("SELECT 1", "svc"),
        "contents": Contents("svc.shop", "databaseSchema", ["main"]),
    }
    assert set(samples) == set(ENTITY_KINDS)
    for kind, entity in samples.items():
        assert type(entity) is ENTITY_KINDS[kind] and kind_of(entity) == kind
        fqn = entity.fqn if kind in NAMED_BY_TABLE else None
        assert ENTITY_KINDS[kind].from_dict(entity.to_dict(), fqn) == entity
    assert {"tableProfile", "sampleData", "tableUsage"} == NAMED_BY_TABLE


@pytest.mark.parametrize(
    ("cls", "body", "error", "message"),
    [
        (Table, {"name": "t"}, KeyError, "databaseSchema"),
        (Table, {"name": "t", "databaseSchema": "s", "columns": "id"}, ValueError, "'columns' must be a list of obj"),
        (Table, {"name": "t", "databaseSchema": "s", "columns": [3]}, ValueError, "'columns' must be a list of obj"),
        (Table, [], ValueError, "a Table body must be an object"),
        (TableProfile, {"tableProfile": 5}, ValueError, "'tableProfile' must be an object"),
        (TableProfile, {"tableProfile": {"timestamp": 1, "rowCount": 1}}, KeyError, "tableProfile.columnCount"),
        (LineageEdge, {"edge": {"fromEntity": "a", "toEntity": {}}}, ValueError, "must be an object with a fully"),
        (Query, {"query": "q", "service": "s", "users": "ana"}, ValueError, "'users' must be a list"),
    ],
)
def test_a_bad_body_says_which_key_is_wrong(cls: Any, body: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        cls.from_dict(body, TABLE_FQN)


def test_a_body_without_its_table_needs_the_fqn() -> None:
    with pytest.raises(ValueError, match="needs the fqn"):
        TableUsage.from_dict({"date": "2026-01-02", "count": 1})


@pytest.mark.parametrize(
    ("spec", "fields"),
    [
        ("DECIMAL(10,2)", {"data_type": "DECIMAL", "precision": 10, "scale": 2}),
        ("numeric( 12 )", {"data_type": "NUMERIC", "precision": 12}),
        ("CHAR(3)", {"data_type": "CHAR", "data_length": 3}),
    ],
)
def test_precision_and_scale_from_a_catalog(spec: str, fields: dict) -> None:
    assert parse_type_spec(spec) == fields
    Column(name="c", **fields)  # and the server's rules accept it


def test_a_scale_on_a_type_without_one_is_refused() -> None:
    with pytest.raises(ValueError, match="only DECIMAL, NUMERIC and NUMBER take a scale"):
        parse_type_spec("VARCHAR(10,2)")
