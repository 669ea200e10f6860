"""The walk every database connector shares: service -> database -> schema -> tables.

``DatabaseTopology`` is OpenMetadata's database topology cut down to four
levels. ``DatabaseSource`` implements the first three (one service named by
``service_name``, one database named after the business unit, one schema);
a connector subclasses it and writes only ``get_tables()`` (what to read) and
``yield_table(element)`` (how one element becomes a ``Table`` or a failure).
"""

from __future__ import annotations

import abc
import os
from collections.abc import Iterable, Iterator
from typing import Any

from connectors.models import Database, DatabaseSchema, DatabaseService, Table
from minigest import (
    Either,
    InvalidSourceException,
    NodeStage,
    ServiceTopology,
    Source,
    StackTraceError,
    TopologyNode,
    TopologyRunnerMixin,
    fqn_join,
)

__all__ = ["DatabaseSource", "DatabaseTopology", "failure", "path_option", "text_option", "reject_unknown_options"]


class DatabaseTopology(ServiceTopology):
    """Service, then its databases, then their schemas, then their tables; depth first."""

    root = TopologyNode(
        producer="get_services",
        stages=[NodeStage(type_=DatabaseService, processor="yield_database_service", context="database_service")],
        children=["database"],
    )
    database = TopologyNode(
        producer="get_databases",
        stages=[
            NodeStage(type_=Database, processor="yield_database", context="database", consumer=["database_service"])
        ],
        children=["database_schema"],
    )
    database_schema = TopologyNode(
        producer="get_database_schemas",
        stages=[
            NodeStage(
                type_=DatabaseSchema,
                processor="yield_database_schema",
                context="database_schema",
                consumer=["database_service", "database"],
            )
        ],
        children=["table"],
    )
    table = TopologyNode(
        producer="get_tables",
        stages=[
            NodeStage(
                type_=Table,
                processor="yield_table",
                context="table",
                consumer=["database_service", "database", "database_schema"],
            )
        ],
    )


class DatabaseSource(TopologyRunnerMixin, Source):
    """A source that walks ``DatabaseTopology``; subclasses supply the tables."""

    topology = DatabaseTopology()
    service_type = "CustomDatabase"

    def __init__(self, service_name: str, business_unit: str, schema_name: str = "default") -> None:
        super().__init__()
        self.service_name = service_name
        self.business_unit = business_unit
        self.schema_name = schema_name

    # The three levels above the tables: one element each.

    def get_services(self) -> Iterator[str]:
        yield self.service_name

    def yield_database_service(self, name: str) -> Iterator[Either[DatabaseService]]:
        yield Either(right=DatabaseService(name=name, service_type=self.service_type))

    def get_databases(self) -> Iterator[str]:
        yield self.business_unit

    def yield_database(self, name: str) -> Iterator[Either[Database]]:
        yield Either(right=Database(name=name, service=fqn_join(self.context.database_service)))

    def get_database_schemas(self) -> Iterator[str]:
        yield self.schema_name

    def yield_database_schema(self, name: str) -> Iterator[Either[DatabaseSchema]]:
        database_fqn = fqn_join(self.context.database_service, self.context.database)
        yield Either(right=DatabaseSchema(name=name, database=database_fqn))

    # The tables: what a connector writes.

    @abc.abstractmethod
    def get_tables(self) -> Iterable[Any]:
        """Yield one element per table to describe (a file, a catalog row, a message...)."""

    @abc.abstractmethod
    def yield_table(self, element: Any) -> Iterable[Either[Table]]:
        """Turn one element of ``get_tables()`` into a Table, or into a failure."""

    @property
    def schema_fqn(self) -> str:
        """The fully qualified name of the schema the tables go into."""
        return fqn_join(self.context.database_service, self.context.database, self.context.database_schema)


def failure(name: str, error: str) -> Either[Any]:
    """A left for one bad input, named after the table it would have been."""
    return Either(left=StackTraceError(name=name, error=error))


# Option helpers for create(): each problem is one line naming the option.


def reject_unknown_options(owner: str, config: dict[str, Any], known: Iterable[str]) -> None:
    """Refuse a misspelt or unsupported option instead of ignoring it."""
    if not isinstance(config, dict):
        raise InvalidSourceException(f"{owner}: options must be a mapping, got {type(config).__name__}")
    allowed = set(known)
    for key in config:
        if key not in allowed:
            raise InvalidSourceException(
                f"{owner}: unknown option {key!r} (expected one of {', '.join(sorted(allowed))})"
            )


def text_option(owner: str, config: dict[str, Any], key: str, default: str | None = None) -> str:
    """A required (or defaulted) non-empty string option."""
    value = config.get(key, default)
    if value is None:
        raise InvalidSourceException(f"{owner}: option {key!r} is required")
    if not isinstance(value, str) or not value.strip():
        raise InvalidSourceException(f"{owner}: option {key!r} must be a non-empty string, got {value!r}")
    return value


def path_option(owner: str, config: dict[str, Any], key: str) -> str:
    """A required path option (a string or os.PathLike), returned as a string."""
    value = config.get(key)
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    return text_option(owner, {key: value}, key)
