"""Shared helpers for the benchmark modules: timing, child processes and the figure record."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def figure(
    name: str,
    ours: float,
    baseline: float | None,
    unit: str,
    target: str,
    limit: float | None,
    note: str = "",
    higher_is_better: bool = False,
) -> dict[str, Any]:
    """One row of the table; ``limit`` is the most (or least) the ratio may be to pass."""
    ratio = ours / baseline if baseline else None
    passed = None
    if ratio is not None and limit is not None:
        passed = ratio >= limit if higher_is_better else ratio <= limit
    return {"figure": name, "ours": ours, "baseline": baseline, "unit": unit, "ratio": ratio,
            "target": target, "passed": passed, "note": note}


def best_of(repeat: int, function: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs, in seconds: the least disturbed by a noisy machine."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def interleaved(repeat: int, first: Callable[[], object], second: Callable[[], object]) -> tuple[float, float]:
    """Best times of two functions run turn about, so both see the same machine load."""
    a, b = [], []
    for _ in range(repeat):
        a.append(best_of(1, first))
        b.append(best_of(1, second))
    return min(a), min(b)


def child(code: str, *args: str) -> str:
    """Run Python code in a fresh interpreter (with the repo importable) and return its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def median_process_times(first: str, second: str, runs: int) -> tuple[float, float]:
    """Median wall times of ``python -c first`` and ``python -c second``, run turn about in fresh processes."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for code, kept in zip((first, second), times):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
            kept.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])
