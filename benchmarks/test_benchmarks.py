"""Smoke test: every benchmark module runs at its quick size and reports well-formed figures.

Speed is never asserted here (this machine is shared and noisy); ``python benchmarks/run.py`` does
that, side by side, in one run.
"""

from __future__ import annotations

import importlib
import math

import pytest


@pytest.mark.parametrize("topic", ["core", "topology", "csv", "protobuf", "openmetadata", "catalog", "sqlite"])
def test_benchmark_runs_and_reports_figures(topic: str) -> None:
    module = importlib.import_module(f"bench_{topic}")
    rows = module.measure(quick=True)
    assert rows
    for row in rows:
        assert set(row) >= {"figure", "ours", "baseline", "unit", "ratio", "target", "passed", "note"}
        assert isinstance(row["ours"], (int, float)) and math.isfinite(row["ours"])
        if row["baseline"]:
            assert row["ratio"] == pytest.approx(row["ours"] / row["baseline"])
