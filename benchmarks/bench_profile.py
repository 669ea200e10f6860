"""The CSV profiler and sampler against a bare csv.reader loop over the same file: speed and peak memory.

The data file is bench_csv's generated one (10 mixed-type columns, about 200 MB;
5 MB with quick=True; five of its columns are nearly all distinct, so they pass
the distinct-value budget and are estimated). The profiler runs as a user runs
it: the source, its type inference over the first 10,000 rows, then one pass
over every row. Peak memory is the peak RSS of a fresh child process at two
file sizes, to show it does not grow with rows.
Run alone: ``python benchmarks/bench_profile.py [--quick]``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from _common import child, figure, interleaved
from bench_csv import PEAK_KIB, RSS_KIB, bare_loop, data_file

PROFILE_PEAK = f"""
import sys
from connectors.csv_profiler import CsvProfiler
baseline = {RSS_KIB}
source = CsvProfiler(source_directory=sys.argv[1], business_unit="bench")
source.prepare()
(profile,) = source.run()
assert profile.row_count > 0
print({PEAK_KIB}, baseline)
"""


def profile(path: Path) -> Any:
    from connectors.csv_profiler import CsvProfiler

    source = CsvProfiler(source_directory=str(path), business_unit="bench")
    source.prepare()
    (result,) = source.run()
    return result


def sample(path: Path) -> Any:
    from connectors.csv_profiler import CsvSampler

    source = CsvSampler(source_directory=str(path), business_unit="bench", seed=1)
    source.prepare()
    (result,) = source.run()
    return result


def measure(quick: bool = False) -> list[dict[str, Any]]:
    big_mb, small_mb = (5, 1) if quick else (200, 20)
    big, small = data_file(big_mb), data_file(small_mb)
    result = profile(big)
    rows = result.row_count
    if result.column_count != 10 or rows != bare_loop(big):
        raise RuntimeError(f"bench_profile: profiled {rows} rows x {result.column_count} columns")
    ours, bare = interleaved(1 if quick else 2, lambda: profile(big), lambda: bare_loop(big))
    sampled, bare_again = interleaved(1 if quick else 2, lambda: sample(big), lambda: bare_loop(big))
    peak_big, base_big = (float(kib) / 1024 for kib in child(PROFILE_PEAK, str(big)).split())
    peak_small, _ = (float(kib) / 1024 for kib in child(PROFILE_PEAK, str(small)).split())
    size = f"{big.stat().st_size / 1e6:.0f} MB, {rows:,} rows x 10 columns"
    growth = figure(
        f"CSV profile peak RSS growth, {small_mb} MB -> {big_mb} MB file", peak_big - peak_small, None, "MB",
        "<= 8 MB growth (flat)", None,
        f"peak RSS {peak_small:.1f} MB -> {peak_big:.1f} MB (fresh process each); {base_big:.1f} MB after imports",
    )
    growth["passed"] = growth["ours"] <= 8.0
    return [
        figure(
            f"CSV profile, every row ({size})", ours, bare, "s", "<= 4x bare csv.reader loop", 4.0,
            f"{rows / ours:,.0f} rows/s vs {rows / bare:,.0f} rows/s for `for row in csv.reader(f): pass`",
        ),
        growth,
        figure(
            f"CSV random sample of 50 rows ({size})", sampled, bare_again, "s", "informative", None,
            "reservoir sampling (Algorithm L) over every row, vs the bare loop",
        ),
    ]


if __name__ == "__main__":
    figures = measure(quick="--quick" in sys.argv)
    for item in figures:
        ratio = f"{item['ratio']:.2f}x" if item["ratio"] else "-"
        print(f"{item['figure']}: ours {item['ours']:,.3f} {item['unit']}, baseline "
              f"{item['baseline'] if item['baseline'] is None else format(item['baseline'], ',.3f')}, "
              f"ratio {ratio}, target {item['target']}, passed {item['passed']} ({item['note']})")
