"""The entities a database connector yields, shaped like OpenMetadata's create requests.

Each entity is a frozen attrs value; ``to_dict()`` returns the JSON body of the
matching OpenMetadata request (``CreateDatabaseServiceRequest``,
``CreateDatabaseRequest``, ``CreateDatabaseSchemaRequest``, ``CreateTableRequest``,
``CreateTableProfileRequest``...) and ``from_dict()`` rebuilds the entity from that
body. Both are generated from the attrs fields: a field's metadata names its key in
the body (``body_key("dataType")``), so adding a field is one line. Parents are
referenced by fully qualified name, as OpenMetadata does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar, TypeVar

import attrs

from minigest import fqn_join

__all__ = [
    "COLUMN_CONSTRAINTS",
    "DATA_TYPES",
    "ENTITY_KINDS",
    "NAMED_BY_TABLE",
    "TABLE_CONSTRAINT_TYPES",
    "TABLE_TYPES",
    "BodyKey",
    "Column",
    "ColumnProfile",
    "Contents",
    "Database",
    "DatabaseSchema",
    "DatabaseService",
    "LineageEdge",
    "Model",
    "Query",
    "SampleData",
    "Table",
    "TableConstraint",
    "TableProfile",
    "TableUsage",
    "body_key",
    "kind_of",
    "parse_type_spec",
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
# OpenMetadata's server refuses these without a dataLength; its SQL connectors use 1 when the
# source gives none, and so do we.
LENGTH_REQUIRED = frozenset(["CHAR", "VARCHAR", "BINARY", "VARBINARY"])
# table.json: definitions.constraint (a column's), tableConstraint.constraintType, tableType.
COLUMN_CONSTRAINTS = ("NULL", "NOT_NULL", "UNIQUE", "PRIMARY_KEY")
TABLE_CONSTRAINT_TYPES = ("UNIQUE", "PRIMARY_KEY", "FOREIGN_KEY", "SORT_KEY", "DIST_KEY")
TABLE_TYPES = (
    "Regular", "External", "Dynamic", "View", "SecureView", "MaterializedView", "Iceberg", "Local",
    "Partitioned", "Foreign", "Transient", "Stream",
)

# OpenMetadata limits: table and column names at most 128 characters, other
# entity names 256, and no name may contain "::".
_TABLE_NAME_MAX = 128
_ENTITY_NAME_MAX = 256


# --- Bodies generated from the fields --------------------------------------

_BODY = "openmetadata"  # the attrs metadata key holding a field's BodyKey
_NAMED_BY = "openmetadata.fqn"  # marks the field that holds the staging line's fqn (not in the body)
_MISSING = object()

M = TypeVar("M", bound="Model")


@attrs.frozen
class BodyKey:
    """Where a field goes in the OpenMetadata body, and how its value is written and read back.

    ``path`` is the key, with one part per nesting level (``tableProfile.rowCount``).
    ``entity`` names the Model class of a nested entity (or of each item of a list of them).
    Keys whose value is None or ``[]`` are left out of the body unless ``keep_empty``.
    ``encode(owner, value)`` and ``decode(json)`` replace the default conversions.
    """

    path: tuple[str, ...]
    entity: str | None = None
    keep_empty: bool = False
    encode: Callable[[Any, Any], Any] | None = None
    decode: Callable[[Any], Any] | None = None

    @property
    def key(self) -> str:
        return ".".join(self.path)


def body_key(
    key: str,
    *,
    entity: str | None = None,
    keep_empty: bool = False,
    encode: Callable[[Any, Any], Any] | None = None,
    decode: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """The attrs field metadata that puts a field in the body under ``key`` (dots nest)."""
    return {_BODY: BodyKey(tuple(key.split(".")), entity, keep_empty, encode, decode)}


# The field of a profile, sample or usage count that names its table: the body does not hold it,
# so it travels as the staging line's fqn and from_dict() takes it as its second argument.
NAMED_BY_FQN: dict[str, Any] = {_NAMED_BY: True}

# One entry per field: (name, body key or None for the fqn field, first key, whether the key is
# nested, whether the field is required). Worked out once per class: bodies are built per entity.
_Slot = tuple[str, "BodyKey | None", str, bool, bool]
_PLANS: dict[type, tuple[_Slot, ...]] = {}


def _plan(cls: type) -> tuple[_Slot, ...]:
    """The slots of a class's fields that are in its body, or name its fqn."""
    plan = _PLANS.get(cls)
    if plan is None:
        slots: list[_Slot] = []
        for field in _fields(cls):
            required = field.default is attrs.NOTHING
            if field.metadata.get(_NAMED_BY):
                slots.append((field.name, None, "", False, required))
            elif _BODY in field.metadata:
                spec: BodyKey = field.metadata[_BODY]
                slots.append((field.name, spec, spec.path[0], len(spec.path) > 1, required))
        plan = _PLANS[cls] = tuple(slots)
    return plan


def _fields(cls: type) -> tuple[attrs.Attribute[Any], ...]:
    return tuple(attrs.fields(cls))


_PLAIN = (str, int, float, bool, type(None))


def _jsonable(value: Any) -> Any:
    """A field value as JSON data: nested entities by their body, tuples as lists."""
    if value.__class__ in _PLAIN:
        return value
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, (tuple, list)):
        return [_jsonable(item) for item in value]
    return value


def _lookup(body: dict[str, Any], spec: BodyKey) -> Any:
    """The value at a nested key's path, or _MISSING; an object expected on the way must be one."""
    value: Any = body
    for depth, part in enumerate(spec.path):
        if not isinstance(value, dict):
            raise ValueError(f"{'.'.join(spec.path[:depth])!r} must be an object, got {type(value).__name__}")
        value = value.get(part, _MISSING)
        if value is _MISSING:
            return _MISSING
    return value


def _decode(spec: BodyKey, value: Any) -> Any:
    if spec.decode is not None:
        return spec.decode(value)
    if spec.entity is None:
        return value
    model: type[Model] = globals()[spec.entity]  # named, not referenced: Column nests Columns
    if isinstance(value, dict):
        return model.from_dict(value)
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return [model.from_dict(item) for item in value]
    raise ValueError(f"{spec.key!r} must be a list of objects, got {type(value).__name__}")


class Model:
    """An attrs class whose body is generated from the fields that carry a ``body_key``."""

    def to_dict(self) -> dict[str, Any]:
        """The OpenMetadata body: each keyed field under its key, keys with no value left out."""
        body: dict[str, Any] = {}
        for name, spec, key, nested, _ in _plan(type(self)):
            if spec is None:
                continue
            value = getattr(self, name)
            value = _jsonable(value) if spec.encode is None else spec.encode(self, value)
            if not spec.keep_empty and (value is None or value == []):
                continue
            target = body
            if nested:
                for part in spec.path[:-1]:
                    target = target.setdefault(part, {})
                key = spec.path[-1]
            target[key] = value
        return body

    @classmethod
    def from_dict(cls: type[M], body: dict[str, Any], fqn: str | None = None) -> M:
        """Rebuild the entity from its to_dict() body; ``fqn`` names the table when the body does not.

        A missing required key raises KeyError naming it; a value of the wrong shape, ValueError.
        """
        if not isinstance(body, dict):
            raise ValueError(f"a {cls.__name__} body must be an object, got {type(body).__name__}")
        values: dict[str, Any] = {}
        for name, spec, key, nested, required in _plan(cls):
            if spec is None:
                if fqn is None:
                    raise ValueError(f"{cls.__name__}.from_dict() needs the fqn: its body does not name it")
                values[name] = fqn
                continue
            value = _lookup(body, spec) if nested else body.get(key, _MISSING)
            if value is _MISSING or (value is None and not required):
                if required:
                    raise KeyError(spec.key)
                continue
            values[name] = _decode(spec, value)
        return cls(**values)


# --- Validators --------------------------------------------------------------


def _name_validator(max_length: int) -> Any:
    """Build an attrs validator for an OpenMetadata entity or column name."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
        kind = type(instance).__name__
        if not isinstance(value, str) or not value:
            raise ValueError(f"{kind} name must be a non-empty string, got {value!r}")
        if len(value) > max_length:
            raise ValueError(f"{kind} name {value[:40]!r}... is longer than {max_length} characters")
        if "::" in value:
            raise ValueError(f"{kind} name {value!r} must not contain '::'")

    return check


def _parent_validator(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    """A parent reference is a non-empty fully qualified name."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be a fully qualified name, got {value!r}")


def _data_type_validator(instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None and attribute.name == "array_data_type":
        return
    if value not in DATA_TYPES:
        raise ValueError(f"column {instance.name!r}: {value!r} is not an OpenMetadata data type")


def _count(instance: Any, attribute: attrs.Attribute[Any], value: int | None) -> None:
    """An optional whole number, never negative (lengths, positions, precision)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be a whole number >= 0, got {value!r}")


def _one_of(choices: Iterable[str]) -> Any:
    """An optional value among OpenMetadata's enum values; the error lists them."""
    allowed = tuple(choices)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
        if value is not None and value not in allowed:
            raise ValueError(f"{type(instance).__name__}.{attribute.name} must be one of {', '.join(allowed)}, "
                             f"got {value!r}")

    return check


def _optional_text(value: str | None) -> str | None:
    """Keep descriptions and display names as given, but treat '' as absent."""
    return value or None


def _texts(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):  # a lone string is not a list of names
        raise ValueError(f"expected a list of names, got the string {value!r}")
    return tuple(value)


def _unique_names(owner: str, columns: Iterable[Column]) -> None:
    seen = set()
    for column in columns:
        if column.name in seen:
            raise ValueError(f"{owner}: column {column.name!r} appears twice")
        seen.add(column.name)


def _column_tuple(columns: Iterable[Column]) -> tuple[Column, ...]:
    return tuple(columns)


# --- The metadata entities ---------------------------------------------------


@attrs.frozen
class Column(Model):
    """One column of a table; RECORD, STRUCT, MAP and ARRAY columns hold children.

    A CHAR, VARCHAR, BINARY or VARBINARY column without a length gets ``data_length`` 1, as
    OpenMetadata's SQL connectors give it (its server refuses such a column otherwise).
    """

    name: str = attrs.field(validator=_name_validator(_TABLE_NAME_MAX), metadata=body_key("name"))
    data_type: str = attrs.field(validator=_data_type_validator, metadata=body_key("dataType"))
    array_data_type: str | None = attrs.field(
        default=None, validator=_data_type_validator, metadata=body_key("arrayDataType")
    )
    children: tuple[Column, ...] = attrs.field(
        default=(), converter=_column_tuple, metadata=body_key("children", entity="Column")
    )
    description: str | None = attrs.field(default=None, converter=_optional_text, metadata=body_key("description"))
    data_type_display: str | None = attrs.field(
        default=None, converter=_optional_text, metadata=body_key("dataTypeDisplay")
    )
    data_length: int | None = attrs.field(default=None, validator=_count, metadata=body_key("dataLength"))
    ordinal_position: int | None = attrs.field(default=None, validator=_count, metadata=body_key("ordinalPosition"))
    precision: int | None = attrs.field(default=None, validator=_count, metadata=body_key("precision"))
    scale: int | None = attrs.field(default=None, validator=_count, metadata=body_key("scale"))
    constraint: str | None = attrs.field(
        default=None, validator=_one_of(COLUMN_CONSTRAINTS), metadata=body_key("constraint")
    )

    def __attrs_post_init__(self) -> None:
        if self.data_type == "ARRAY" and self.array_data_type is None:
            raise ValueError(f"column {self.name!r}: an ARRAY column needs array_data_type")
        if self.data_type != "ARRAY" and self.array_data_type is not None:
            raise ValueError(f"column {self.name!r}: array_data_type is only for ARRAY columns")
        for child in self.children:
            if not isinstance(child, Column):
                raise ValueError(f"column {self.name!r}: children must be Columns, got {type(child).__name__}")
        if self.data_type == "STRUCT" and not self.children:
            raise ValueError(f"column {self.name!r}: a STRUCT column needs children")
        _unique_names(f"column {self.name!r}", self.children)
        if self.scale is not None and self.precision is None:
            raise ValueError(f"column {self.name!r}: scale {self.scale} needs a precision")
        if self.scale is not None and self.precision is not None and self.scale > self.precision:
            raise ValueError(f"column {self.name!r}: scale {self.scale} is larger than precision {self.precision}")
        if self.data_length is None and self.data_type in LENGTH_REQUIRED:
            object.__setattr__(self, "data_length", 1)  # frozen: the one way to set a derived default


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
class DatabaseService(Model):
    """A database service: the root of the topology (CreateDatabaseServiceRequest)."""

    KIND: ClassVar[str] = "databaseService"

    name: str = attrs.field(validator=_name_validator(_ENTITY_NAME_MAX), metadata=body_key("name"))
    service_type: str = attrs.field(default="CustomDatabase", metadata=body_key("serviceType"))
    description: str | None = attrs.field(default=None, converter=_optional_text, metadata=body_key("description"))
    display_name: str | None = attrs.field(default=None, converter=_optional_text, metadata=body_key("displayName"))

    @property
    def fqn(self) -> str:
        return fqn_join(self.name)


@attrs.frozen
class Database(Model):
    """A database inside a service (CreateDatabaseRequest); `service` is the service's fqn."""

    KIND: ClassVar[str] = "database"

    name: str = attrs.field(validator=_name_validator(_ENTITY_NAME_MAX), metadata=body_key("name"))
    service: str = attrs.field(validator=_parent_validator, metadata=body_key("service"))
    description: str | None = attrs.field(default=None, converter=_optional_text, metadata=body_key("description"))
    display_name: str | None = attrs.field(default=None, converter=_optional_text, metadata=body_key("displayName"))

    @property
    def fqn(self) -> str:
        return f"{self.service}.{fqn_join(self.name)}"


@attrs.frozen
class DatabaseSchema(Model):
    """A schema inside a database (CreateDatabaseSchemaRequest); `database` is the database's fqn."""

    KIND: ClassVar[str] = "databaseSchema"

    name: str = attrs.field(validator=_name_validator(_ENTITY_NAME_MAX), metadata=body_key("name"))
    database: str = attrs.field(validator=_parent_validator, metadata=body_key("database"))
    description: str | None = attrs.field(default=None, converter=_optional_text, metadata=body_key("description"))
    display_name: str | None = attrs.field(default=None, converter=_optional_text, metadata=body_key("displayName"))

    @property
    def fqn(self) -> str:
        return f"{self.database}.{fqn_join(self.name)}"


@attrs.frozen
class TableConstraint(Model):
    """A key over one or more columns of a table (OpenMetadata's tableConstraint).

    ``columns`` are the table's column names; a FOREIGN_KEY's ``referred_columns`` are the fully
    qualified names of the columns it points to, one per column.
    """

    constraint_type: str = attrs.field(
        validator=attrs.validators.in_(TABLE_CONSTRAINT_TYPES), metadata=body_key("constraintType")
    )
    columns: tuple[str, ...] = attrs.field(converter=_texts, metadata=body_key("columns"))
    referred_columns: tuple[str, ...] = attrs.field(
        default=(), converter=_texts, metadata=body_key("referredColumns")
    )

    def __attrs_post_init__(self) -> None:
        if not self.columns:
            raise ValueError(f"a {self.constraint_type} table constraint needs columns")
        if self.constraint_type == "FOREIGN_KEY" and len(self.referred_columns) != len(self.columns):
            raise ValueError(f"FOREIGN_KEY ({', '.join(self.columns)}) needs one referred column per column, "
                             f"got {len(self.referred_columns)}")
        if self.constraint_type != "FOREIGN_KEY" and self.referred_columns:
            raise ValueError(f"only a FOREIGN_KEY has referred columns, not a {self.constraint_type}")


def _constraint_tuple(value: Iterable[TableConstraint]) -> tuple[TableConstraint, ...]:
    constraints = tuple(value)
    for constraint in constraints:
        if not isinstance(constraint, TableConstraint):
            raise ValueError(f"table constraints must be TableConstraints, got {type(constraint).__name__}")
    return constraints


@attrs.frozen
class Table(Model):
    """A table inside a schema (CreateTableRequest); `database_schema` is the schema's fqn.

    Columns get their ordinal positions (1-based, also inside nested columns) when they have none.
    ``columns`` stays in the body when empty: CreateTableRequest requires it.
    """

    KIND: ClassVar[str] = "table"

    name: str = attrs.field(validator=_name_validator(_TABLE_NAME_MAX), metadata=body_key("name"))
    database_schema: str = attrs.field(validator=_parent_validator, metadata=body_key("databaseSchema"))
    columns: tuple[Column, ...] = attrs.field(
        default=(), converter=_positioned_columns, metadata=body_key("columns", entity="Column", keep_empty=True)
    )
    description: str | None = attrs.field(default=None, converter=_optional_text, metadata=body_key("description"))
    display_name: str | None = attrs.field(default=None, converter=_optional_text, metadata=body_key("displayName"))
    table_type: str | None = attrs.field(default=None, validator=_one_of(TABLE_TYPES), metadata=body_key("tableType"))
    table_constraints: tuple[TableConstraint, ...] = attrs.field(
        default=(), converter=_constraint_tuple, metadata=body_key("tableConstraints", entity="TableConstraint")
    )
    view_definition: str | None = attrs.field(
        default=None, converter=_optional_text, metadata=body_key("viewDefinition")
    )

    def __attrs_post_init__(self) -> None:
        _unique_names(f"table {self.name!r}", self.columns)
        keys = [column.name for column in self.columns if column.constraint == "PRIMARY_KEY"]
        if len(keys) > 1:
            raise ValueError(f"table {self.name!r}: columns {' and '.join(map(repr, keys))} are both PRIMARY_KEY; "
                             "a composite key is one PRIMARY_KEY table constraint")
        names = {column.name for column in self.columns}
        for constraint in self.table_constraints:
            for name in constraint.columns:
                if name not in names:
                    raise ValueError(f"table {self.name!r}: its {constraint.constraint_type} constraint names "
                                     f"column {name!r}, which the table does not have")

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
class ColumnProfile(Model):
    """One column's metrics (OpenMetadata's ColumnProfile); a metric that does not apply is None."""

    name: str = attrs.field(validator=_name_validator(_TABLE_NAME_MAX), metadata=body_key("name"))
    values_count: int | None = attrs.field(default=None, metadata=body_key("valuesCount"))
    null_count: int | None = attrs.field(default=None, metadata=body_key("nullCount"))
    null_proportion: float | None = attrs.field(default=None, metadata=body_key("nullProportion"))
    distinct_count: int | None = attrs.field(default=None, metadata=body_key("distinctCount"))
    distinct_proportion: float | None = attrs.field(default=None, metadata=body_key("distinctProportion"))
    unique_count: int | None = attrs.field(default=None, metadata=body_key("uniqueCount"))
    unique_proportion: float | None = attrs.field(default=None, metadata=body_key("uniqueProportion"))
    min: Any = attrs.field(default=None, converter=_metric, metadata=body_key("min"))
    max: Any = attrs.field(default=None, converter=_metric, metadata=body_key("max"))
    mean: float | None = attrs.field(default=None, metadata=body_key("mean"))
    sum: float | None = attrs.field(default=None, metadata=body_key("sum"))
    stddev: float | None = attrs.field(default=None, metadata=body_key("stddev"))
    min_length: int | None = attrs.field(default=None, metadata=body_key("minLength"))
    max_length: int | None = attrs.field(default=None, metadata=body_key("maxLength"))

    def to_dict(self, timestamp: int | None = None) -> dict[str, Any]:
        """The column's entry of CreateTableProfileRequest.columnProfile, stamped with its table's time."""
        body = super().to_dict()
        if timestamp is None:
            return body
        return {"name": body.pop("name"), "timestamp": timestamp, **body}


def _column_profiles(value: Iterable[ColumnProfile]) -> tuple[ColumnProfile, ...]:
    profiles = tuple(value)
    for profile in profiles:
        if not isinstance(profile, ColumnProfile):
            raise ValueError(f"column profiles must be ColumnProfiles, got {type(profile).__name__}")
    return profiles


def _stamped_columns(profile: TableProfile, columns: tuple[ColumnProfile, ...]) -> list[dict[str, Any]]:
    return [column.to_dict(profile.timestamp) for column in columns]


@attrs.frozen
class TableProfile(Model):
    """A table's profile at one moment (CreateTableProfileRequest); ``timestamp`` is in milliseconds."""

    KIND: ClassVar[str] = "tableProfile"

    table_fqn: str = attrs.field(validator=_parent_validator, metadata=NAMED_BY_FQN)
    timestamp: int = attrs.field(metadata=body_key("tableProfile.timestamp"))
    row_count: int = attrs.field(metadata=body_key("tableProfile.rowCount"))
    column_count: int = attrs.field(metadata=body_key("tableProfile.columnCount"))
    columns: tuple[ColumnProfile, ...] = attrs.field(
        default=(),
        converter=_column_profiles,
        metadata=body_key("columnProfile", entity="ColumnProfile", keep_empty=True, encode=_stamped_columns),
    )

    @property
    def fqn(self) -> str:
        return self.table_fqn


def _rows(value: Iterable[Iterable[Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(row) for row in value)


@attrs.frozen
class SampleData(Model):
    """Some rows of a table (OpenMetadata's TableData): the column names, then each row's values."""

    KIND: ClassVar[str] = "sampleData"

    table_fqn: str = attrs.field(validator=_parent_validator, metadata=NAMED_BY_FQN)
    columns: tuple[str, ...] = attrs.field(converter=_texts, metadata=body_key("columns", keep_empty=True))
    rows: tuple[tuple[Any, ...], ...] = attrs.field(
        default=(), converter=_rows, metadata=body_key("rows", keep_empty=True)
    )

    def __attrs_post_init__(self) -> None:
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.columns):
                raise ValueError(f"sample of {self.table_fqn}: row {number} has {len(row)} values "
                                 f"for {len(self.columns)} columns")

    @property
    def fqn(self) -> str:
        return self.table_fqn


def _column_pairs(value: Iterable[tuple[Iterable[str], str]]) -> tuple[tuple[tuple[str, ...], str], ...]:
    return tuple((_texts(sources), target) for sources, target in value)


def _table_reference(owner: Any, fqn: str) -> dict[str, str]:
    return {"type": "table", "fullyQualifiedName": fqn}


def _referenced_fqn(reference: Any) -> Any:
    if not isinstance(reference, dict) or "fullyQualifiedName" not in reference:
        raise ValueError(f"an entity reference must be an object with a fullyQualifiedName, got {reference!r}")
    return reference["fullyQualifiedName"]


def _lineage_pairs(owner: Any, pairs: tuple[tuple[tuple[str, ...], str], ...]) -> list[dict[str, Any]]:
    return [{"fromColumns": list(sources), "toColumn": target} for sources, target in pairs]


def _read_lineage_pairs(pairs: Any) -> list[tuple[Any, Any]]:
    if not isinstance(pairs, list) or not all(isinstance(pair, dict) for pair in pairs):
        raise ValueError("'columnsLineage' must be a list of objects")
    return [(pair["fromColumns"], pair["toColumn"]) for pair in pairs]


@attrs.frozen
class LineageEdge(Model):
    """Data flows from one table (or view) to another (AddLineageRequest, by fully qualified names).

    ``columns`` pairs the source columns' fqns with the target column's fqn they feed, where known;
    ``source`` is OpenMetadata's lineage source: ViewLineage or QueryLineage. The body references the
    tables by name: a sink puts in the ids it resolves.
    """

    KIND: ClassVar[str] = "lineage"

    from_fqn: str = attrs.field(
        validator=_parent_validator,
        metadata=body_key("edge.fromEntity", encode=_table_reference, decode=_referenced_fqn),
    )
    to_fqn: str = attrs.field(
        validator=_parent_validator,
        metadata=body_key("edge.toEntity", encode=_table_reference, decode=_referenced_fqn),
    )
    columns: tuple[tuple[tuple[str, ...], str], ...] = attrs.field(
        default=(),
        converter=_column_pairs,
        metadata=body_key("edge.lineageDetails.columnsLineage", encode=_lineage_pairs, decode=_read_lineage_pairs),
    )
    sql: str | None = attrs.field(
        default=None, converter=_optional_text, metadata=body_key("edge.lineageDetails.sqlQuery")
    )
    source: str = attrs.field(
        default="ViewLineage",
        validator=attrs.validators.in_(["ViewLineage", "QueryLineage"]),
        metadata=body_key("edge.lineageDetails.source"),
    )

    @property
    def fqn(self) -> str:
        return f"{self.from_fqn} -> {self.to_fqn}"


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@attrs.frozen
class TableUsage(Model):
    """How many queries used a table on one day (OpenMetadata's UsageRequest); ``date`` is YYYY-MM-DD."""

    KIND: ClassVar[str] = "tableUsage"

    table_fqn: str = attrs.field(validator=_parent_validator, metadata=NAMED_BY_FQN)
    date: str = attrs.field(validator=attrs.validators.matches_re(_DAY), metadata=body_key("date"))
    count: int = attrs.field(validator=attrs.validators.ge(0), metadata=body_key("count"))

    @property
    def fqn(self) -> str:
        return self.table_fqn


def _users(owner: Any, user_name: str | None) -> list[str] | None:
    return [user_name] if user_name else None


def _first_user(users: Any) -> Any:
    if not isinstance(users, list):
        raise ValueError(f"'users' must be a list, got {type(users).__name__}")
    return users[0] if users else None


def _table_references(owner: Any, fqns: tuple[str, ...]) -> list[dict[str, str]]:
    return [_table_reference(owner, fqn) for fqn in fqns]


def _referenced_fqns(references: Any) -> list[Any]:
    if not isinstance(references, list):
        raise ValueError(f"'queryUsedIn' must be a list, got {type(references).__name__}")
    return [_referenced_fqn(reference) for reference in references]


@attrs.frozen
class Query(Model):
    """One query of a query log and the tables it used (CreateQueryRequest); ``query_date`` in ms."""

    KIND: ClassVar[str] = "query"

    sql: str = attrs.field(validator=_parent_validator, metadata=body_key("query"))
    service: str = attrs.field(validator=_parent_validator, metadata=body_key("service"))
    table_fqns: tuple[str, ...] = attrs.field(
        default=(), converter=_texts,
        metadata=body_key("queryUsedIn", encode=_table_references, decode=_referenced_fqns),
    )
    user_name: str | None = attrs.field(
        default=None, converter=_optional_text, metadata=body_key("users", encode=_users, decode=_first_user)
    )
    query_date: int | None = attrs.field(default=None, validator=_count, metadata=body_key("queryDate"))

    @property
    def fqn(self) -> str:
        """The service's fqn and a digest of the SQL: the same text is the same query."""
        return f"{self.service}.query.{hashlib.sha256(self.sql.encode()).hexdigest()[:16]}"


# --- What a run saw ---------------------------------------------------------


@attrs.frozen
class Contents(Model):
    """Every child a run found under one parent (loaded, failed or filtered).

    A catalog removes the children it holds under ``parent_fqn`` that are not in ``names``: what the
    source no longer has. It is yielded only for a parent walked to the end, so a run cut short
    removes nothing. ``kind`` is the children's kind: ``databaseSchema`` or ``table``.
    """

    KIND: ClassVar[str] = "contents"

    parent_fqn: str = attrs.field(validator=_parent_validator, metadata=body_key("parent"))
    kind: str = attrs.field(validator=attrs.validators.in_(["databaseSchema", "table"]), metadata=body_key("kind"))
    names: tuple[str, ...] = attrs.field(default=(), converter=_texts, metadata=body_key("names", keep_empty=True))

    @property
    def fqn(self) -> str:
        return self.parent_fqn


# --- Kinds: the one place an entity's class is named by a string ------------

# The staging file, the SQLite loader and the OpenMetadata sink all name an entity by its KIND.
ENTITY_KINDS: dict[str, Any] = {
    cls.KIND: cls
    for cls in (
        DatabaseService, Database, DatabaseSchema, Table, TableProfile, SampleData, LineageEdge, TableUsage,
        Query, Contents,
    )
}
# Kinds whose body does not name their table: the staging line's fqn is passed to from_dict().
NAMED_BY_TABLE = frozenset(
    kind for kind, cls in ENTITY_KINDS.items() if any(field.metadata.get(_NAMED_BY) for field in _fields(cls))
)
KIND_OF = {cls: kind for kind, cls in ENTITY_KINDS.items()}


def kind_of(entity: Any) -> str:
    """The staging-file kind name of an entity, e.g. 'table'."""
    try:
        return KIND_OF[type(entity)]
    except KeyError:
        raise ValueError(f"{type(entity).__name__} is not a database entity") from None


# One pattern with a single way to match any text: each part is separated by a literal.
_TYPE_SPEC = re.compile(
    r"\s*(?P<type>[A-Za-z_]+)\s*"
    r"(?:\(\s*(?P<length>[0-9]{1,9})\s*(?:,\s*(?P<scale>[0-9]{1,9})\s*)?\)|<\s*(?P<element>[A-Za-z_]+)\s*>)?\s*"
)
_PRECISION_TYPES = frozenset(["DECIMAL", "NUMERIC", "NUMBER"])


def parse_type_spec(spec: str) -> dict[str, Any]:
    """Parse a column type written as INT, varchar(20), decimal(10,2) or array<int> into Column arguments.

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
        if data_type in _PRECISION_TYPES:  # DECIMAL(10,2): precision and scale, not a length
            fields["precision"] = int(match["length"])
            if match["scale"] is not None:
                fields["scale"] = int(match["scale"])
        elif match["scale"] is not None:
            raise ValueError(f"data type {spec.strip()!r}: only DECIMAL, NUMERIC and NUMBER take a scale")
        else:
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
