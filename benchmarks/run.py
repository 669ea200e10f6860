"""Run every benchmark and print one table of figures, each measured side by side in this run.

Usage: ``python benchmarks/run.py [--quick] [--only TOPIC,...] [--json PATH]``; the topics are
core, topology, csv, profile, protobuf, openmetadata, catalog and sqlite.
Optional peers (proto-schema-parser, grpcio-tools) are used when installed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

TOPICS = ["core", "topology", "csv", "profile", "protobuf", "openmetadata", "catalog", "sqlite"]


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:,.2f} {unit}".strip()


def print_table(rows: list[dict[str, Any]]) -> None:
    """Print the figures as a Markdown table (it goes into the README as is)."""
    print("| figure | minigest | baseline | ratio | target | verdict | notes |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}x"
        if row["ratio"] and row["ratio"] < 1 and row["unit"] in ("s", "ms"):
            ratio += f" ({1 / row['ratio']:.0f}x faster)"
        verdict = {True: "pass", False: "MISS", None: "-"}[row["passed"]]
        print(f"| {row['figure']} | {_number(row['ours'], row['unit'])} | {_number(row['baseline'], row['unit'])} "
              f"| {ratio} | {row['target']} | {verdict} | {row['note']} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", default=",".join(TOPICS), help="comma-separated topics")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for topic in args.only.split(","):
        try:
            module = importlib.import_module(f"bench_{topic}")
        except ImportError as exc:
            print(f"skipping {topic}: {exc}", file=sys.stderr)
            continue
        print(f"measuring {topic} ...", file=sys.stderr, flush=True)
        rows.extend(module.measure(quick=args.quick))
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}; "
          f"{'quick' if args.quick else 'full'} run in {time.perf_counter() - started:.0f} s\n")
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0 if all(row["passed"] is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
