"""The topology walker against a hand-written nested loop making the same calls.

The source is a ``connectors.base.DatabaseSource`` (the topology every bundled
connector walks) with 10 databases x 100 schemas x 100 tables. The hand loop
calls the same producers, processors and post processes in the same order,
sets the same context and keeps every entity (the ``Contents`` of each schema
and database too); the walker does that plus its checks and failure
containment.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from _common import figure, interleaved

from connectors.base import DatabaseSource
from connectors.models import Contents
from minigest import Either


class Named:
    """A table as light as can be, so the figure shows the walk, not the entity's validation."""

    __slots__ = ("fqn", "name")

    def __init__(self, name: str) -> None:
        self.name = self.fqn = name


class Catalog(DatabaseSource):
    """Databases, schemas and tables that are only names."""

    default_service_name = "bench"

    def __init__(self, databases: int, schemas: int, tables: int) -> None:
        super().__init__(source_directory=__file__, business_unit="unused")
        self.sizes = databases, schemas, tables

    def get_databases(self) -> list[str]:
        return [f"db{i}" for i in range(self.sizes[0])]

    def get_database_schemas(self) -> list[str]:
        return [f"schema{i}" for i in range(self.sizes[1])]

    def get_tables(self) -> Iterator[str]:
        return (f"table{i}" for i in range(self.sizes[2]))

    def table_name(self, element: str) -> str:
        return element

    def yield_table(self, element: str) -> Iterator[Either[Any]]:
        yield Either(right=Named(element))


def walker(source: Catalog) -> list[Any]:
    return list(source.run())


def by_hand(source: Catalog) -> list[Any]:
    """The walk written out: the topology's producers, processors and post processes, in its order."""
    out: list[Any] = []
    context = source.context
    for service in source.get_services():
        for result in source.yield_database_service(service):
            out.append(result.right)
            context.set("database_service", result.right.name)
        for database in source.list_databases():
            for result in source.yield_database(database):
                out.append(result.right)
                context.set("database", result.right.name)
            for schema in source.list_database_schemas():
                for result in source.yield_database_schema(schema):
                    out.append(result.right)
                    context.set("database_schema", result.right.name)
                for table in source.list_tables():
                    for result in source.read_table(table):
                        out.append(result.right)
                out.extend(result.right for result in source.yield_schema_contents())
            out.extend(result.right for result in source.yield_database_contents())
    return out


def measure(quick: bool = False) -> list[dict[str, Any]]:
    sizes = (10, 20, 50) if quick else (10, 100, 100)
    leaves = sizes[0] * sizes[1] * sizes[2]
    source = Catalog(*sizes)
    walked = walker(source)
    assert [entity.fqn for entity in walked] == [entity.fqn for entity in by_hand(source)]
    contents = sum(isinstance(entity, Contents) for entity in walked)
    assert contents == sizes[0] * sizes[1] + sizes[0]  # one Contents per schema and one per database
    ours, hand = interleaved(3 if quick else 5, lambda: walker(source), lambda: by_hand(source))
    return [figure(
        f"topology walk (connectors.base), 3 levels, {leaves:,} tables", ours, hand, "s", "<= 1.5x hand loop", 1.5,
        f"{leaves / ours:,.0f} tables/s (hand loop {leaves / hand:,.0f}/s)",
    )]


if __name__ == "__main__":
    from run import print_table

    print_table(measure(quick="--quick" in sys.argv))
