"""The topology walker against a hand-written nested loop making the same calls.

Three levels (database -> schema -> table) produce 100,000 tables. The hand loop calls the same
producers and processors in the same order and keeps every result; the walker does that plus
its context, checks and failure containment.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from _common import figure, interleaved

from minigest import Either, NodeStage, ServiceTopology, Source, TopologyNode, TopologyRunnerMixin


class Named:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class ThreeLevels(ServiceTopology):
    database = TopologyNode(
        producer="get_databases",
        stages=[NodeStage(type_=Named, processor="yield_database", context="database")],
        children=["schema"],
    )
    schema = TopologyNode(
        producer="get_schemas",
        stages=[NodeStage(type_=Named, processor="yield_schema", context="schema", consumer=["database"])],
        children=["table"],
    )
    table = TopologyNode(
        producer="get_tables",
        stages=[NodeStage(type_=Named, processor="yield_table", context="table", consumer=["database", "schema"])],
    )


class Catalog(TopologyRunnerMixin, Source):
    topology = ThreeLevels

    def __init__(self, databases: int, schemas: int, tables: int) -> None:
        super().__init__()
        self.sizes = databases, schemas, tables

    def get_databases(self) -> Iterator[str]:
        return (f"db{i}" for i in range(self.sizes[0]))

    def get_schemas(self) -> Iterator[str]:
        return (f"schema{i}" for i in range(self.sizes[1]))

    def get_tables(self) -> Iterator[str]:
        return (f"table{i}" for i in range(self.sizes[2]))

    def yield_database(self, name: str) -> Iterator[Either[Named]]:
        yield Either(right=Named(name))

    def yield_schema(self, name: str) -> Iterator[Either[Named]]:
        yield Either(right=Named(name))

    def yield_table(self, name: str) -> Iterator[Either[Named]]:
        yield Either(right=Named(name))


def walker(source: Catalog) -> list[Any]:
    return list(source.run())


def by_hand(source: Catalog) -> list[Any]:
    out = []
    for database in source.get_databases():
        for result in source.yield_database(database):
            out.append(result.right)
        for schema in source.get_schemas():
            for result in source.yield_schema(schema):
                out.append(result.right)
            for table in source.get_tables():
                for result in source.yield_table(table):
                    out.append(result.right)
    return out


def measure(quick: bool = False) -> list[dict[str, Any]]:
    sizes = (10, 20, 50) if quick else (10, 100, 100)
    leaves = sizes[0] * sizes[1] * sizes[2]
    source = Catalog(*sizes)
    assert [e.name for e in walker(source)] == [e.name for e in by_hand(source)]
    ours, hand = interleaved(3 if quick else 5, lambda: walker(source), lambda: by_hand(source))
    return [figure(
        f"topology walk, 3 levels, {leaves:,} tables", ours, hand, "s", "<= 1.5x hand loop", 1.5,
        f"{leaves / ours:,.0f} tables/s (hand loop {leaves / hand:,.0f}/s)",
    )]


if __name__ == "__main__":
    from run import print_table

    print_table(measure(quick="--quick" in sys.argv))
