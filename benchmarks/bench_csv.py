"""CSV type inference against a bare csv.reader loop over the same file: speed and peak memory.

The data file (10 mixed-type columns, about 200 MB; 5 MB with quick=True) is
generated once into benchmarks/_data/. Inference reads every row
(sample_rows=0), sniffing included. Peak memory is the peak RSS of a fresh
child process, measured at two file sizes to show it does not grow with rows.

Hostile shapes (issue 18): columns of numeric-looking values (the shapes that
made the old patterns backtrack exponentially) must take time linear in the
rows; a 100,000-column header time linear in the columns; one 100 MB field
memory bounded by the line limit, not by the field.
Run alone: ``python benchmarks/bench_csv.py [--quick]``.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path
from typing import Any

from _common import ROOT, child, figure, interleaved

DATA = ROOT / "benchmarks" / "_data"
HEADER = "id,active,quantity,account,price,day,updated_at,opens_at,customer,note\n"

# From /proc (Linux): VmHWM is the peak RSS of this process image (ru_maxrss would also count the
# parent that forked us) and VmRSS the current RSS, taken after the imports as the baseline.
PEAK_KIB = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
RSS_KIB = "int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1])"

FIELD_PEAK = f"""
import sys
from pathlib import Path
from connectors.csv_data import CsvFileError, profile_csv_file
baseline = {RSS_KIB}
try:
    profile_csv_file(Path(sys.argv[1]), 0)
except CsvFileError:
    pass
else:
    raise SystemExit("a line longer than the limit was read")
print({PEAK_KIB}, baseline)
"""

INFER_PEAK = f"""
import sys
from pathlib import Path
from connectors.csv_data import profile_csv_file
baseline = {RSS_KIB}
profile = profile_csv_file(Path(sys.argv[1]), 0)
assert profile.rows_read > 0
print({PEAK_KIB}, baseline)
"""

BARE_PEAK = f"""
import csv, sys
baseline = {RSS_KIB}
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for row in csv.reader(f):
        pass
print({PEAK_KIB}, baseline)
"""


def data_file(megabytes: int) -> Path:
    """A deterministic CSV of about ``megabytes`` MB, written once (atomically) and reused."""
    path = DATA / f"mixed_{megabytes}mb.csv"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    generator = random.Random(megabytes)
    randint, choice, uniform = generator.randint, generator.choice, generator.uniform
    days = [f"{year}-{month:02d}-{day:02d}" for year in (2023, 2024) for month in range(1, 13) for day in range(1, 29)]
    days += ["2024-02-29", "2024-01-31", ""]
    notes = ["", "", "", "NULL", "fragile", "leave at door", "call first", '"left, by the gate"']

    def row(number: int) -> str:
        # Realistic cardinality: ids, accounts, prices, timestamps and names are (nearly) all distinct.
        return (
            f"{number},{choice(('true', 'false', 'TRUE', 'False'))},{randint(-5000, 5000)},"
            f"{randint(2**33, 2**62)},{uniform(0, 10_000):.2f},{choice(days)},"
            f"2024-{randint(1, 12):02d}-{randint(1, 28):02d}T{randint(0, 23):02d}:{randint(0, 59):02d}:"
            f"{randint(0, 59):02d}Z,{randint(0, 23):02d}:{choice(('00', '15', '30', '45'))},"
            f"customer {randint(1, 10**7)},{choice(notes)}\n"
        )

    target = megabytes * 1_000_000
    temporary = path.with_suffix(".tmp")
    with open(temporary, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        written, number = len(HEADER), 0
        while written < target:
            chunk = "".join(row(number + offset) for offset in range(1, 10_001))
            number += 10_000
            out.write(chunk)
            written += len(chunk)
    temporary.replace(path)
    return path


def numeric_looking_file(rows: int) -> Path:
    """Six columns of random numeric-looking values: zero-padded codes, decimals, exponents, and a few words."""
    path = DATA / f"numeric_looking_{rows}.csv"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    generator = random.Random(rows)
    randint, choice = generator.randint, generator.choice
    makers = [
        lambda: f"{randint(0, 99_999):05d}",  # zip codes
        lambda: str(randint(-(10**12), 10**12)),
        lambda: f"{randint(0, 10**6)}.{randint(0, 99)}",
        lambda: f"{randint(1, 9)}.{randint(0, 999)}e{randint(-20, 20)}",
        lambda: f"{randint(0, 10**18):019d}",
    ]
    head = ["0.5", "00001", "1e3", "-0.0", "7", "0000000000000000042"]
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("a,b,c,d,e,f\n")
        for number in range(rows):
            if number == 0:
                cells = head
            elif number == rows - 1:  # the last row widens every column: its batch fails at its end
                cells = ["02134-1234", "1.2.3", "n/a?", "1e", "0x1F", "12:30"]
            else:
                cells = [choice(makers)() for _ in range(6)]
            out.write(",".join(cells) + "\n")
    return path


def wide_file(columns: int) -> Path:
    """A header of ``columns`` names over ten rows of integers."""
    path = DATA / f"wide_{columns}.csv"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        header = ",".join(f"column_name_{i}" for i in range(columns))
        path.write_text(header + "\n" + (",".join(["1"] * columns) + "\n") * 10, encoding="utf-8")
    return path


def one_field_file(megabytes: int) -> Path:
    """One row whose second field is ``megabytes`` MB of text on one line."""
    path = DATA / f"one_field_{megabytes}mb.csv"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as out:
            out.write("id,text\n1,")
            for _ in range(megabytes):
                out.write("x" * 1_000_000)
            out.write("\n2,short\n")
    return path


def hostile_shapes(quick: bool) -> list[dict[str, Any]]:
    """Per-row and per-column time at two sizes (a constant means linear), and the one-field peak memory."""
    small_rows, big_rows = (2_000, 16_000) if quick else (20_000, 160_000)
    small, big = numeric_looking_file(small_rows), numeric_looking_file(big_rows)
    if infer(big).types != ["STRING"] * 6:
        raise RuntimeError("bench_csv: the numeric-looking columns should all widen to STRING at the last row")
    big_time, small_time = interleaved(3, lambda: infer(big), lambda: infer(small))
    per_row = figure(
        f"CSV inference on numeric-looking columns, time per row, {big_rows:,} vs {small_rows:,} rows",
        big_time / big_rows, small_time / small_rows, "s", "<= 1.5x (linear in rows)", 1.5,
        f"{big_time:.2f} s for {big_rows:,} rows, {small_time:.3f} s for {small_rows:,}; "
        "zero-padded codes, decimals, exponents, widened to STRING by the last row",
    )
    narrow_columns, wide_columns = (5_000, 20_000) if quick else (25_000, 100_000)
    narrow, wide = wide_file(narrow_columns), wide_file(wide_columns)
    wide_time, narrow_time = interleaved(3, lambda: infer(wide), lambda: infer(narrow))
    per_column = figure(
        f"CSV header of {wide_columns:,} columns, time per column vs {narrow_columns:,} columns",
        wide_time / wide_columns, narrow_time / narrow_columns, "s", "<= 1.5x (linear in columns)", 1.5,
        f"{wide_time:.2f} s for {wide_columns:,} columns (was 63 s: quadratic)",
    )
    megabytes = 20 if quick else 100
    peak, baseline = (float(kib) / 1024 for kib in child(FIELD_PEAK, str(one_field_file(megabytes))).split())
    field = figure(
        f"CSV file with one {megabytes} MB field: peak RSS above the imports", peak - baseline, None, "MB",
        "<= 100 MB (was 1.27 GB)", None,
        "refused as a line longer than 16 Mi characters, read at most that much at a time",
    )
    field["passed"] = field["ours"] <= 100.0
    return [per_row, per_column, field]


def bare_loop(path: Path) -> int:
    rows = 0
    with open(path, newline="", encoding="utf-8") as f:
        for _ in csv.reader(f):
            rows += 1
    return rows - 1


def infer(path: Path) -> Any:
    from connectors.csv_data import profile_csv_file

    return profile_csv_file(path, 0)


def measure(quick: bool = False) -> list[dict[str, Any]]:
    big_mb, small_mb = (5, 1) if quick else (200, 20)
    big, small = data_file(big_mb), data_file(small_mb)
    profile = infer(big)
    expected = ["INT", "BOOLEAN", "INT", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "TIME", "STRING", "STRING"]
    if profile.types != expected:
        raise RuntimeError(f"bench_csv: inferred {profile.types}, expected {expected}")
    rows = profile.rows_read
    ours, bare = interleaved(3, lambda: infer(big), lambda: bare_loop(big))
    infer_big, infer_base = (float(kib) / 1024 for kib in child(INFER_PEAK, str(big)).split())
    infer_small, _ = (float(kib) / 1024 for kib in child(INFER_PEAK, str(small)).split())
    bare_big, bare_base = (float(kib) / 1024 for kib in child(BARE_PEAK, str(big)).split())
    size = f"{big.stat().st_size / 1e6:.0f} MB, {rows:,} rows x 10 columns"
    growth = figure(
        f"CSV inference peak RSS growth, {small_mb} MB -> {big_mb} MB file", infer_big - infer_small, None,
        "MB", "<= 5 MB growth", None, f"peak RSS {infer_small:.1f} MB -> {infer_big:.1f} MB (fresh process each)",
    )
    growth["passed"] = growth["ours"] <= 5.0
    extra = figure(
        f"CSV peak RSS above the imports, {big_mb} MB file", infer_big - infer_base, None, "MB",
        "<= 16 MB (a batch of rows)", None,
        f"inference {infer_base:.1f} -> {infer_big:.1f} MB; the bare loop {bare_base:.1f} -> {bare_big:.1f} MB",
    )
    extra["passed"] = extra["ours"] <= 16.0
    return [
        figure(
            f"CSV type inference, every row ({size})", ours, bare, "s", "<= 3x bare csv.reader loop", 3.0,
            f"{rows / ours:,.0f} rows/s vs {rows / bare:,.0f} rows/s for `for row in csv.reader(f): pass`",
        ),
        figure(
            "CSV inference throughput", rows / ours, rows / bare, "rows/s", "informative", None,
            "same file, same run, best of interleaved runs", higher_is_better=True,
        ),
        growth,
        extra,
        *hostile_shapes(quick),
    ]


if __name__ == "__main__":
    figures = measure(quick="--quick" in sys.argv)
    for item in figures:
        ratio = f"{item['ratio']:.2f}x" if item["ratio"] else "-"
        print(f"{item['figure']}: ours {item['ours']:,.3f} {item['unit']}, baseline "
              f"{item['baseline'] if item['baseline'] is None else format(item['baseline'], ',.3f')}, "
              f"ratio {ratio}, target {item['target']}, passed {item['passed']} ({item['note']})")
