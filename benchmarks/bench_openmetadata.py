"""Publishing to OpenMetadata: entities per second into the loopback server, three ways side by side.

2,000 tables of 10 columns (100 with quick=True), with their service, database and schema, are
staged once; then the same ``OpenMetadataBulkSink`` publishes the file three ways, turn about,
each into a fresh loopback server (connectors/testing_openmetadata_server.py, in this process):
batches of 100 through the bulk routes on one kept-alive connection (the default); one PUT per
entity on that connection (batches off); one PUT per entity on a new connection each time.
The sink's own CPU per entity is the CPU time of the thread running the sink (the server
answers from its own threads), divided by the entities published.
Run alone: ``python benchmarks/bench_openmetadata.py [--quick]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import figure

from connectors.models import Column, Database, DatabaseSchema, DatabaseService, Table
from connectors.openmetadata import OpenMetadataBulkSink
from connectors.outputs import FileStage
from connectors.testing_openmetadata_server import OpenMetadataTestServer
from minigest import ListSource, Workflow

TOKEN = "benchmark-token"


def stage(path: Path, tables: int) -> int:
    """Write the staging file; returns the number of entities in it."""
    service = DatabaseService(name="bench")
    database = Database(name="warehouse", service=service.fqn)
    schema = DatabaseSchema(name="default", database=database.fqn)
    records: list[Any] = [service, database, schema]
    types = ["INT", "BIGINT", "STRING", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN", "VARCHAR", "DECIMAL", "TIME"]
    for number in range(tables):
        columns = [Column(name=f"column_{index}", data_type=kind, data_length=40 if kind == "VARCHAR" else None)
                   for index, kind in enumerate(types)]
        records.append(Table(name=f"table_{number:05d}", database_schema=schema.fqn, columns=columns))
    Workflow(ListSource(records), [FileStage(str(path))]).execute()
    return len(records)


def publish(staging: Path, entities: int, batch_size: int, keep_alive: bool) -> tuple[float, float, int]:
    """One publication into a fresh server: (seconds, sink CPU seconds, connections the server saw)."""
    with OpenMetadataTestServer(token=TOKEN) as server:
        sink = OpenMetadataBulkSink(str(staging), server.host_port, TOKEN, batch_size=batch_size)
        sink.client.keep_alive = keep_alive
        started, cpu = time.perf_counter(), time.thread_time()
        sink.run()
        cpu, seconds = time.thread_time() - cpu, time.perf_counter() - started
        sink.close()
        if sink.status.records != entities or sink.status.failure_count:
            raise RuntimeError(f"bench_openmetadata: published {sink.status.records} of {entities} entities, "
                               f"{sink.status.failure_count} failures")
        return seconds, cpu, server.connections


def measure(quick: bool = False) -> list[dict[str, Any]]:
    tables = 100 if quick else 2000
    repeat = 1 if quick else 3
    ways = {"batched": (100, True), "one by one": (1, True), "new connection each": (1, False)}
    best: dict[str, tuple[float, float, int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        staging = Path(folder) / "staging.jsonl"
        entities = stage(staging, tables)
        for _ in range(repeat):  # turn about, so every way sees the same machine load
            for way, (batch_size, keep_alive) in ways.items():
                result = publish(staging, entities, batch_size, keep_alive)
                if way not in best or result[0] < best[way][0]:
                    best[way] = result
    rate = {way: entities / seconds for way, (seconds, _, _) in best.items()}
    connections = {way: count for way, (_, _, count) in best.items()}
    size = f"{tables:,} tables x 10 columns + 3 parents"
    cpu_ms = best["batched"][1] / entities * 1000
    cpu_one_ms = best["one by one"][1] / entities * 1000
    cpu = figure(
        "OpenMetadata bulk sink: its own CPU per entity (batched)", cpu_ms, None, "ms", "<= 0.5 ms", None,
        f"one by one: {cpu_one_ms:.3f} ms per entity; CPU of the sink's thread only",
    )
    cpu["passed"] = cpu_ms <= 0.5
    return [
        figure(
            f"OpenMetadata publish, batched vs a new connection per request ({size})", rate["batched"],
            rate["new connection each"], "entities/s", ">= 2x", 2.0,
            f"batches of 100 on {connections['batched']} connection(s) vs one PUT per entity on "
            f"{connections['new connection each']:,} connections", higher_is_better=True,
        ),
        figure(
            "OpenMetadata publish, batched vs batches off (one kept-alive connection)", rate["batched"],
            rate["one by one"], "entities/s", ">= 1.5x", 1.5,
            f"one PUT per entity on {connections['one by one']} connection(s): {rate['one by one']:,.0f} entities/s",
            higher_is_better=True,
        ),
        figure(
            "OpenMetadata publish, kept-alive vs a new connection per request (batches off)", rate["one by one"],
            rate["new connection each"], "entities/s", "informative", None,
            "the same one-by-one PUTs; only the connection handling differs", higher_is_better=True,
        ),
        cpu,
    ]


if __name__ == "__main__":
    figures = measure(quick="--quick" in sys.argv)
    for item in figures:
        ratio = f"{item['ratio']:.2f}x" if item["ratio"] else "-"
        print(f"{item['figure']}: ours {item['ours']:,.3f} {item['unit']}, baseline "
              f"{item['baseline'] if item['baseline'] is None else format(item['baseline'], ',.3f')}, "
              f"ratio {ratio}, target {item['target']}, passed {item['passed']} ({item['note']})")
