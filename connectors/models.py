"""The entities a database connector yields, shaped like OpenMetadata's create requests.

Each entity is a frozen attrs value; ``to_dict()`` returns the JSON body of the
matching OpenMetadata request (``CreateDatabaseServiceRequest``,
``CreateDatabaseRequest``, ``CreateDatabaseSchemaRequest``, ``CreateTableRequest``)
and ``from_dict()`` rebuilds the entity from that body. Parents are referenced by
fully qualified name, as OpenMetadata does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from minigest import fqn_join

__all__ = [
    "DATA_TYPES",
    "Column",
    "ColumnProfile",
    "Contents",
    "LineageEdge",
    "Query",
    "SampleData",
    "TableProfile",
    "TableUsage",
    "Database",
    "DatabaseSchema",
    "DatabaseService",
    "Table",
]

# OpenMetadata's column DataType enum, in the order of
# openmetadata-spec/.../entity/data/table.json (definitions.dataType).
DATA_TYPES = frozenset(
    [
        "NUMBER", "TINYINT", "SMALLINT", "INT", "BIGINT", "BYTEINT", "BYTES", "FLOAT", "DOUBLE", "DECIMAL",
        "NUMERIC", "TIMESTAMP", "TIMESTAMPZ", "TIME", "DATE", "DATETIME", "INTERVAL", "STRING",
        "MEDIUMTEXT", "TEXT", "CHAR", "LONG", "VARCHAR", "BOOLEAN", "BINARY", "VARBINARY", "ARRAY", "BLOB",
        "LONGBLOB", "MEDIUMBLOB", "MAP", "STRUCT", "UNION", "SET", "GEOGRAPHY", "ENUM", "JSON", "UUID",
        "VARIANT", "GEOMETRY", "BYTEA", "AGGREGATEFUNCTION", "ERROR", "FIXED", "RECORD", "NULL", "SUPER",
        "HLLSKETCH", "PG_LSN", "PG_SNAPSHOT", "TSQUERY", "TXID_SNAPSHOT", "XML", "MACADDR", "TSVECTOR",
        "UNKNOWN", "CIDR", "INET", "CLOB", "ROWID", "LOWCARDINALITY", "YEAR", "POINT", "POLYGON", "TUPLE",
        "SPATIAL", "TABLE",
    ]
)

# OpenMetadata limits: table and column names at most 128 characters, other
# entity names 256, and no name may contain "::".
_TABLE_NAME_MAX = 128
_ENTITY_NAME_MAX = 256


def _name_validator(max_length: int) -> Any:
    """Build an attrs validator for an OpenMetadata entity or column name."""

    def check(instance: Any, attribute: attrs.Attribute, value: str) -> None:  # type: ignore[type-arg]
        kind = type(instance).__name__
        if not isinstance(value, str) or not value:
            raise ValueError(f"{kind} name must be a non-empty string, got {value!r}")
        if len(value) > max_length:
            raise ValueError(f"{kind} name {value[:40]!r}... is longer than {max_length} characters")
        if "::" in value:
            raise ValueError(f"{kind} name {value!r} must not contain '::'")

    return check


def _parent_validator(instance: Any, attribute: attrs.Attribute, value: str) -> None:  # type: ignore[type-arg]
    """A parent reference is a non-empty fully qualified name."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be a fully qualified name, got {value!r}")


def _data_type_validator(instance: Any, attribute: attrs.Attribute, value: str | None) -> None:  # type: ignore[type-arg]
    if value is None and attribute.name == "array_data_type":
        return
    if value not in DATA_TYPES:
        raise ValueError(f"column {instance.name!r}: {value!r} is not an OpenMetadata data type")


def _optional_text(value: str | None) -> str | None:
    """Keep descriptions and display names as given, but treat '' as absent."""
    return value or None


def _drop_empty(body: dict[str, Any]) -> dict[str, Any]:
    """Leave out keys with no value, as OpenMetadata's serialized requests do."""
    return {key: value for key, value in body.items() if value is not None and value != []}


def _column_tuple(columns: Iterable[Column]) -> tuple[Column, ...]:
    return tuple(columns)


@attrs.frozen
class Column:
    """One column of a table; RECORD, STRUCT, MAP and ARRAY columns hold children."""

    name: str = attrs.field(validator=_name_validator(_TABLE_NAME_MAX))
    data_type: str = attrs.field(validator=_data_type_validator)
    array_data_type: str | None = attrs.field(default=None, validator=_data_type_validator)
    children: tuple[Column, ...] = attrs.field(default=(), converter=_column_tuple)
    description: str | None = attrs.field(default=None, converter=_optional_text)
    data_type_display: str | None = attrs.field(default=None, converter=_optional_text)
    data_length: int | None = None
    ordinal_position: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.data_type == "ARRAY" and self.array_data_type is None:
            raise ValueError(f"column {self.name!r}: an ARRAY column needs array_data_type")
        if self.data_type != "ARRAY" and self.array_data_type is not None:
            raise ValueError(f"column {self.name!r}: array_data_type is only for ARRAY columns")
        for child in self.children:
            if not isinstance(child, Column):
                raise ValueError(f"column {self.name!r}: children must be Columns, got {type(child).__name__}")

    def to_dict(self) -> dict[str, Any]:
        """The column as it appears in CreateTableRequest.columns."""
        return _drop_empty(
            {
                "name": self.name,
                "dataType": self.data_type,
                "arrayDataType": self.array_data_type,
                "dataLength": self.data_length,
                "dataTypeDisplay": self.data_type_display,
                "description": self.description,
                "ordinalPosition": self.ordinal_position,
                "children": [child.to_dict() for child in self.children],
            }
        )

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Column:
        """Rebuild a column from its to_dict() body."""
        return cls(
            name=body["name"],
            data_type=body["dataType"],
            array_data_type=body.get("arrayDataType"),
            children=[cls.from_dict(child) for child in body.get("children", [])],
            description=body.get("description"),
            data_type_display=body.get("dataTypeDisplay"),
            data_length=body.get("dataLength"),
            ordinal_position=body.get("ordinalPosition"),
        )


def numbered(columns: list[Column]) -> tuple[Column, ...]:
    """Give columns (and, recursively, their children) 1-based ordinal positions."""
    return tuple(
        attrs.evolve(column, ordinal_position=position, children=numbered(list(column.children)))
        for position, column in enumerate(columns, start=1)
    )


def _positioned_columns(value: Iterable[Column]) -> tuple[Column, ...]:
    """Table.columns converter: a tuple of Columns, numbered when any has no position."""
    columns = tuple(value)
    for column in columns:
        if not isinstance(column, Column):
            raise ValueError(f"table columns must be Columns, got {type(column).__name__}")
    if any(column.ordinal_position is None for column in columns):
        return numbered(list(columns))
    return columns


@attrs.frozen
class DatabaseService:
    """A database service: the root of the topology (CreateDatabaseServiceRequest)."""

    name: str = attrs.field(validator=_name_validator(_ENTITY_NAME_MAX))
    service_type: str = "CustomDatabase"
    description: str | None = attrs.field(default=None, converter=_optional_text)
    display_name: str | None = attrs.field(default=None, converter=_optional_text)

    @property
    def fqn(self) -> str:
        return fqn_join(self.name)

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "name": self.name,
                "displayName": self.display_name,
                "description": self.description,
                "serviceType": self.service_type,
            }
        )

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> DatabaseService:
        return cls(
            name=body["name"],
            service_type=body.get("serviceType", "CustomDatabase"),
            description=body.get("description"),
            display_name=body.get("displayName"),
        )


@attrs.frozen
class Database:
    """A database inside a service (CreateDatabaseRequest); `service` is the service's fqn."""

    name: str = attrs.field(validator=_name_validator(_ENTITY_NAME_MAX))
    service: str = attrs.field(validator=_parent_validator)
    description: str | None = attrs.field(default=None, converter=_optional_text)
    display_name: str | None = attrs.field(default=None, converter=_optional_text)

    @property
    def fqn(self) -> str:
        return f"{self.service}.{fqn_join(self.name)}"

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "name": self.name,
                "displayName": self.display_name,
                "description": self.description,
                "service": self.service,
            }
        )

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Database:
        return cls(
            name=body["name"],
            service=body["service"],
            description=body.get("description"),
            display_name=body.get("displayName"),
        )


@attrs.frozen
class DatabaseSchema:
    """A schema inside a database (CreateDatabaseSchemaRequest); `database` is the database's fqn."""

    name: str = attrs.field(validator=_name_validator(_ENTITY_NAME_MAX))
    database: str = attrs.field(validator=_parent_validator)
    description: str | None = attrs.field(default=None, converter=_optional_text)
    display_name: str | None = attrs.field(default=None, converter=_optional_text)

    @property
    def fqn(self) -> str:
        return f"{self.database}.{fqn_join(self.name)}"

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "name": self.name,
                "displayName": self.display_name,
                "description": self.description,
                "database": self.database,
            }
        )

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> DatabaseSchema:
        return cls(
            name=body["name"],
            database=body["database"],
            description=body.get("description"),
            display_name=body.get("displayName"),
        )


@attrs.frozen
class Table:
    """A table inside a schema (CreateTableRequest); `database_schema` is the schema's fqn.

    Columns get their ordinal positions (1-based, also inside nested columns)
    when they have none.
    """

    name: str = attrs.field(validator=_name_validator(_TABLE_NAME_MAX))
    database_schema: str = attrs.field(validator=_parent_validator)
    columns: tuple[Column, ...] = attrs.field(default=(), converter=_positioned_columns)
    description: str | None = attrs.field(default=None, converter=_optional_text)
    display_name: str | None = attrs.field(default=None, converter=_optional_text)
    table_type: str | None = None

    def __attrs_post_init__(self) -> None:
        seen = set()
        for column in self.columns:
            if column.name in seen:
                raise ValueError(f"table {self.name!r}: column {column.name!r} appears twice")
            seen.add(column.name)

    @property
    def fqn(self) -> str:
        return f"{self.database_schema}.{fqn_join(self.name)}"

    def walk_columns(self) -> Iterator[tuple[str, str | None, Column]]:
        """Every column, nested ones included, depth first, as (fqn, parent column fqn, column)."""
        stack: list[tuple[str, str | None, Column]] = [
            (f"{self.fqn}.{fqn_join(column.name)}", None, column) for column in reversed(self.columns)
        ]
        while stack:
            column_fqn, parent_fqn, column = stack.pop()
            yield column_fqn, parent_fqn, column
            stack.extend(
                (f"{column_fqn}.{fqn_join(child.name)}", column_fqn, child) for child in reversed(column.children)
            )

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "name": self.name,
                "displayName": self.display_name,
                "description": self.description,
                "tableType": self.table_type,
                "columns": [column.to_dict() for column in self.columns],
                "databaseSchema": self.database_schema,
            }
        )

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Table:
        return cls(
            name=body["name"],
            database_schema=body["databaseSchema"],
            columns=[Column.from_dict(column) for column in body.get("columns", [])],
            description=body.get("description"),
            display_name=body.get("displayName"),
            table_type=body.get("tableType"),
        )


# --- What the other roles yield: profiles, samples, lineage, usage ----------
# A profile, a sample or a usage count belongs to a table that may live in another run's catalog,
# so these carry the table's fully qualified name instead of a parent reference in their body.

PROFILE_METRICS = (
    # OpenMetadata's column metric names, in ColumnProfile's order. Proportions are of the
    # non-null values (distinct, unique) or of all rows (null); stddev is the population one.
    "valuesCount", "nullCount", "nullProportion", "distinctCount", "distinctProportion", "uniqueCount",
    "uniqueProportion", "min", "max", "mean", "sum", "stddev", "minLength", "maxLength",
)


def _metric(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, type(None))):
        raise ValueError(f"a profile metric must be a number or text, got {value!r}")
    return value


@attrs.frozen
class ColumnProfile:
    """One column's metrics (OpenMetadata's ColumnProfile); a metric that does not apply is None."""

    name: str = attrs.field(validator=_name_validator(_TABLE_NAME_MAX))
    values_count: int | None = None
    null_count: int | None = None
    null_proportion: float | None = None
    distinct_count: int | None = None
    distinct_proportion: float | None = None
    unique_count: int | None = None
    unique_proportion: float | None = None
    min: Any = attrs.field(default=None, converter=_metric)
    max: Any = attrs.field(default=None, converter=_metric)
    mean: float | None = None
    sum: float | None = None
    stddev: float | None = None
    min_length: int | None = None
    max_length: int | None = None

    def to_dict(self, timestamp: int) -> dict[str, Any]:
        """The column's entry of CreateTableProfileRequest.columnProfile."""
        values = attrs.astuple(self)[1:]
        return _drop_empty({"name": self.name, "timestamp": timestamp, **dict(zip(PROFILE_METRICS, values))})

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> ColumnProfile:
        """Rebuild a column profile from its to_dict() body."""
        return cls(body["name"], *(body.get(metric) for metric in PROFILE_METRICS))


def _column_profiles(value: Iterable[ColumnProfile]) -> tuple[ColumnProfile, ...]:
    profiles = tuple(value)
    for profile in profiles:
        if not isinstance(profile, ColumnProfile):
            raise ValueError(f"column profiles must be ColumnProfiles, got {type(profile).__name__}")
    return profiles


@attrs.frozen
class TableProfile:
    """A table's profile at one moment (CreateTableProfileRequest); ``timestamp`` is in milliseconds."""

    table_fqn: str = attrs.field(validator=_parent_validator)
    timestamp: int
    row_count: int
    column_count: int
    columns: tuple[ColumnProfile, ...] = attrs.field(default=(), converter=_column_profiles)

    @property
    def fqn(self) -> str:
        return self.table_fqn

    def to_dict(self) -> dict[str, Any]:
        table = {"timestamp": self.timestamp, "rowCount": self.row_count, "columnCount": self.column_count}
        return {"tableProfile": table, "columnProfile": [column.to_dict(self.timestamp) for column in self.columns]}

    @classmethod
    def from_dict(cls, body: dict[str, Any], table_fqn: str) -> TableProfile:
        table = body["tableProfile"]
        return cls(
            table_fqn=table_fqn,
            timestamp=table["timestamp"],
            row_count=table["rowCount"],
            column_count=table["columnCount"],
            columns=[ColumnProfile.from_dict(column) for column in body.get("columnProfile", [])],
        )


def _rows(value: Iterable[Iterable[Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(row) for row in value)


@attrs.frozen
class SampleData:
    """Some rows of a table (OpenMetadata's TableData): the column names, then each row's values."""

    table_fqn: str = attrs.field(validator=_parent_validator)
    columns: tuple[str, ...] = attrs.field(converter=tuple)
    rows: tuple[tuple[Any, ...], ...] = attrs.field(default=(), converter=_rows)

    def __attrs_post_init__(self) -> None:
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.columns):
                raise ValueError(f"sample of {self.table_fqn}: row {number} has {len(row)} values "
                                 f"for {len(self.columns)} columns")

    @property
    def fqn(self) -> str:
        return self.table_fqn

    def to_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "rows": [list(row) for row in self.rows]}

    @classmethod
    def from_dict(cls, body: dict[str, Any], table_fqn: str) -> SampleData:
        return cls(table_fqn=table_fqn, columns=body["columns"], rows=body["rows"])


def _column_pairs(value: Iterable[tuple[Iterable[str], str]]) -> tuple[tuple[tuple[str, ...], str], ...]:
    return tuple((tuple(sources), target) for sources, target in value)


@attrs.frozen
class LineageEdge:
    """Data flows from one table (or view) to another (AddLineageRequest, by fully qualified names).

    ``columns`` pairs the source columns' fqns with the target column's fqn they feed, where known;
    ``source`` is OpenMetadata's lineage source: ViewLineage or QueryLineage.
    """

    from_fqn: str = attrs.field(validator=_parent_validator)
    to_fqn: str = attrs.field(validator=_parent_validator)
    columns: tuple[tuple[tuple[str, ...], str], ...] = attrs.field(default=(), converter=_column_pairs)
    sql: str | None = attrs.field(default=None, converter=_optional_text)
    source: str = attrs.field(default="ViewLineage", validator=attrs.validators.in_(["ViewLineage", "QueryLineage"]))

    @property
    def fqn(self) -> str:
        return f"{self.from_fqn} -> {self.to_fqn}"

    def to_dict(self) -> dict[str, Any]:
        """AddLineageRequest with entity references by name: a sink puts in the ids it resolves."""
        details = _drop_empty({
            "sqlQuery": self.sql,
            "source": self.source,
            "columnsLineage": [{"fromColumns": list(sources), "toColumn": target} for sources, target in self.columns],
        })
        return {"edge": {
            "fromEntity": {"type": "table", "fullyQualifiedName": self.from_fqn},
            "toEntity": {"type": "table", "fullyQualifiedName": self.to_fqn},
            "lineageDetails": details,
        }}

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> LineageEdge:
        edge = body["edge"]
        details = edge.get("lineageDetails", {})
        return cls(
            from_fqn=edge["fromEntity"]["fullyQualifiedName"],
            to_fqn=edge["toEntity"]["fullyQualifiedName"],
            columns=[(pair["fromColumns"], pair["toColumn"]) for pair in details.get("columnsLineage", [])],
            sql=details.get("sqlQuery"),
            source=details.get("source", "ViewLineage"),
        )


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@attrs.frozen
class TableUsage:
    """How many queries used a table on one day (OpenMetadata's UsageRequest); ``date`` is YYYY-MM-DD."""

    table_fqn: str = attrs.field(validator=_parent_validator)
    date: str = attrs.field(validator=attrs.validators.matches_re(_DAY))
    count: int = attrs.field(validator=attrs.validators.ge(0))

    @property
    def fqn(self) -> str:
        return self.table_fqn

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date, "count": self.count}

    @classmethod
    def from_dict(cls, body: dict[str, Any], table_fqn: str) -> TableUsage:
        return cls(table_fqn=table_fqn, date=body["date"], count=body["count"])


@attrs.frozen
class Query:
    """One query of a query log and the tables it used (CreateQueryRequest); ``query_date`` in ms."""

    sql: str = attrs.field(validator=_parent_validator)
    service: str = attrs.field(validator=_parent_validator)
    table_fqns: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    user_name: str | None = attrs.field(default=None, converter=_optional_text)
    query_date: int | None = None

    @property
    def fqn(self) -> str:
        import hashlib

        return f"{self.service}.query.{hashlib.sha256(self.sql.encode()).hexdigest()[:16]}"

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty({
            "query": self.sql,
            "service": self.service,
            "queryDate": self.query_date,
            "users": [self.user_name] if self.user_name else None,
            "queryUsedIn": [{"type": "table", "fullyQualifiedName": fqn} for fqn in self.table_fqns],
        })

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Query:
        users = body.get("users") or [None]
        return cls(
            sql=body["query"],
            service=body["service"],
            table_fqns=[reference["fullyQualifiedName"] for reference in body.get("queryUsedIn", [])],
            user_name=users[0],
            query_date=body.get("queryDate"),
        )


# --- What a run saw ---------------------------------------------------------


@attrs.frozen
class Contents:
    """Every child a run found under one parent (loaded, failed or filtered).

    A catalog removes the children it holds under ``parent_fqn`` that are not in ``names``: what the
    source no longer has. It is yielded only for a parent walked to the end, so a run cut short
    removes nothing. ``kind`` is the children's kind: ``databaseSchema`` or ``table``.
    """

    parent_fqn: str = attrs.field(validator=_parent_validator)
    kind: str = attrs.field(validator=attrs.validators.in_(["databaseSchema", "table"]))
    names: tuple[str, ...] = attrs.field(default=(), converter=tuple)

    @property
    def fqn(self) -> str:
        return self.parent_fqn

    def to_dict(self) -> dict[str, Any]:
        return {"parent": self.parent_fqn, "kind": self.kind, "names": list(self.names)}

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Contents:
        return cls(parent_fqn=body["parent"], kind=body["kind"], names=body["names"])


# Used by the staging file and the SQLite loader to name an entity's kind.
ENTITY_KINDS: dict[str, Any] = {
    "databaseService": DatabaseService,
    "database": Database,
    "databaseSchema": DatabaseSchema,
    "table": Table,
    "tableProfile": TableProfile,
    "sampleData": SampleData,
    "lineage": LineageEdge,
    "tableUsage": TableUsage,
    "query": Query,
    "contents": Contents,
}
# Kinds whose body does not name their table: the staging line's fqn is passed to from_dict().
NAMED_BY_TABLE = frozenset({"tableProfile", "sampleData", "tableUsage"})
KIND_OF = {cls: kind for kind, cls in ENTITY_KINDS.items()}


def kind_of(entity: Any) -> str:
    """The staging-file kind name of an entity, e.g. 'table'."""
    try:
        return KIND_OF[type(entity)]
    except KeyError:
        raise ValueError(f"{type(entity).__name__} is not a database entity") from None


_TYPE_SPEC = re.compile(
    r"\s*(?P<type>[A-Za-z_]+)\s*(?:\(\s*(?P<length>[0-9]{1,9})\s*\)|<\s*(?P<element>[A-Za-z_]+)\s*>)?\s*"
)


def parse_type_spec(spec: str) -> dict[str, Any]:
    """Parse a column type written as INT, varchar(20) or array<int> into Column keyword arguments.

    Raises ValueError naming the spelling when it is not an OpenMetadata data type.
    """
    match = _TYPE_SPEC.fullmatch(spec)
    if match is None:
        raise ValueError(f"unknown data type {spec!r}")
    data_type = match["type"].upper()
    if data_type not in DATA_TYPES:
        raise ValueError(f"unknown data type {spec.strip()!r}")
    fields: dict[str, Any] = {"data_type": data_type}
    if match["length"] is not None:
        fields["data_length"] = int(match["length"])
    if match["element"] is not None:
        element = match["element"].upper()
        if data_type != "ARRAY":
            raise ValueError(f"data type {spec.strip()!r}: only ARRAY takes an element type")
        if element not in DATA_TYPES:
            raise ValueError(f"unknown array element type {match['element']!r} in {spec.strip()!r}")
        fields["array_data_type"] = element
        fields["data_type_display"] = f"array<{element.lower()}>"
    elif data_type == "ARRAY":
        raise ValueError("data type ARRAY needs an element type, e.g. ARRAY<INT>")
    return fields
