"""The CSV data connector's profiler and sampler, checked against plain Python over the same files."""

from __future__ import annotations

import collections
import csv
import datetime
import importlib
import json
import math
import random
import statistics
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from connectors.csv_data import CsvDataConnector
from connectors.csv_profiler import CsvProfiler, CsvSampler
from connectors.models import SampleData, Table, TableProfile
from connectors.outputs import FileStage, parse_staging_line
from connectors.profiling import ColumnAccumulator, DistinctCounter, NumberStats, reservoir_sample
from minigest import JsonLinesSink, Workflow, import_class

HERE = Path(__file__).resolve().parent
SAMPLES = HERE / "samples"
# ../shared/csv-dev when the repo is cloned with shared/ beside it, else the repo's byte-for-byte copy.
CSV_DEV = (Path(__file__).resolve().parents[2] / "shared" / "csv-dev", HERE / "testdata" / "csv")
SHARED = next((folder for folder in CSV_DEV if (folder / "golden.json").is_file()), CSV_DEV[0])
NULLS = {"", "NA", "N/A", "NULL", "null"}
NUMERIC = {"INT", "BIGINT", "DOUBLE"}


# --- An independent profile: plain Python over the whole file ---------------------------------


def _instant(text: str) -> datetime.datetime:
    """A timestamp cell as an aware datetime (no zone: UTC), by the standard library's own parser."""
    text = text.replace(" ", "T", 1).replace("Z", "+00:00")
    if "." in text:  # fromisoformat takes at most 6 fraction digits
        head, _, tail = text.partition(".")
        digits = tail[: len(tail) - len(tail.lstrip("0123456789"))]
        text = f"{head}.{digits[:6].ljust(6, '0')}{tail[len(digits):]}"
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # +0200 -> +02:00
        text = f"{text[:-2]}:{text[-2:]}"
    value = datetime.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def pstdev(values: list[Any]) -> float:
    """The population standard deviation in exact arithmetic (statistics.pstdev overflows on 1e300 in 3.9)."""
    scale = Fraction(max(abs(value) for value in values) or 1)
    exact = [Fraction(value) / scale for value in values]
    mean = sum(exact) / len(exact)
    return float(scale) * math.sqrt(sum((value - mean) ** 2 for value in exact) / len(exact))


def reference_profile(path: Path, delimiter: str, types: list[str]) -> dict[str, dict[str, Any]]:
    """Every metric of every column, computed the obvious way (all values in memory)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle, delimiter=delimiter) if row]
    header, data = rows[0], rows[1:]
    data = [(row + [""] * len(header))[: len(header)] for row in data]
    result = {}
    for index, data_type in enumerate(types):
        cells = [row[index] for row in data]
        values = [cell for cell in cells if cell not in NULLS]
        if data_type in ("INT", "BIGINT"):
            keys: list[Any] = [int(value) for value in values]
        elif data_type == "DOUBLE":
            keys = [float(value) for value in values]
        elif data_type == "BOOLEAN":
            keys = [value.lower() for value in values]
        else:
            keys = values
        counts = collections.Counter(key if key == key else "nan" for key in keys)
        metrics: dict[str, Any] = {
            "valuesCount": len(values),
            "nullCount": len(cells) - len(values),
            "nullProportion": (len(cells) - len(values)) / len(cells) if cells else None,
            "distinctCount": len(counts),
            "distinctProportion": len(counts) / len(values) if values else None,
            "uniqueCount": sum(1 for count in counts.values() if count == 1),
            "uniqueProportion": sum(1 for count in counts.values() if count == 1) / len(values) if values else None,
        }
        finite = [key for key in keys if data_type in NUMERIC and math.isfinite(key)]
        if finite:
            metrics.update(min=min(finite), max=max(finite), mean=statistics.fmean(finite),
                           stddev=pstdev(finite), sum=math.fsum(finite))
        if data_type in ("DATE", "TIME") and values:
            metrics.update(min=min(values), max=max(values))
        if data_type == "TIMESTAMP" and values:
            metrics.update(min=min(values, key=_instant), max=max(values, key=_instant))
        if data_type == "STRING" and values:
            metrics.update(minLength=min(map(len, values)), maxLength=max(map(len, values)))
        result[header[index]] = metrics
    return result


def run_source(source: Any) -> list[Any]:
    source.prepare()
    return list(source.run())


def metadata_types(path: Path, **options: Any) -> list[str]:
    """The column types the metadata role gives the file."""
    source = CsvDataConnector(source_directory=str(path), business_unit="b", **options)
    tables = [record for record in run_source(source) if isinstance(record, Table)]
    assert len(tables) == 1
    return [column.data_type for column in tables[0].columns]


def profile_of(path: Path, **options: Any) -> tuple[TableProfile, CsvProfiler]:
    profiler = CsvProfiler(source_directory=str(path), business_unit="b", **options)
    records = run_source(profiler)
    assert [type(record) for record in records] == [TableProfile], profiler.status.failures
    return records[0], profiler


def assert_matches_reference(path: Path, delimiter: str, **options: Any) -> TableProfile:
    types = metadata_types(path, **{key: value for key, value in options.items() if key == "sample_rows"})
    profile, _ = profile_of(path, max_distinct_values=10**9, **options)
    expected = reference_profile(path, delimiter, types)
    body = profile.to_dict()
    assert body["tableProfile"]["columnCount"] == len(types)
    columns = {column["name"]: column for column in body["columnProfile"]}
    assert list(columns) == list(expected)
    for name, metrics in expected.items():
        got = dict(columns[name])
        assert got.pop("timestamp") == body["tableProfile"]["timestamp"]
        assert got.pop("name") == name
        for metric, value in metrics.items():
            if value is None:
                assert metric not in got, (name, metric)
            elif isinstance(value, float):
                assert got[metric] == pytest.approx(value, rel=1e-9, abs=1e-12), (name, metric)
            else:
                assert got[metric] == value, (name, metric)
        assert set(got) == {metric for metric, value in metrics.items() if value is not None}, name
    return profile


# --- Profiles --------------------------------------------------------------------------


@pytest.mark.parametrize("name, delimiter", [("customers", ","), ("orders", ";"), ("sensor_readings", "\t")])
def test_sample_files_profile_as_plain_python_computes_them(name: str, delimiter: str) -> None:
    profile = assert_matches_reference(SAMPLES / "data" / f"{name}.csv", delimiter)
    assert profile.table_fqn == f"csv_files.b.default.{name}"


@pytest.mark.skipif(not (SHARED / "golden.json").is_file(), reason="no csv-dev files (../shared/csv-dev)")
@pytest.mark.parametrize("name", sorted(path.name for path in SHARED.glob("*.csv")) if SHARED.is_dir() else [])
def test_csv_dev_files_profile_as_plain_python_computes_them(name: str) -> None:
    profile = assert_matches_reference(SHARED / name, ",", sample_rows=0)
    golden = json.loads((SHARED / "golden.json").read_text())["files"][name]
    assert (profile.row_count, profile.column_count) == (golden["rows"], golden["columns"])


EDGES = """\
id,amount,big,ratio,word,nothing,day,seen_at,at,flag
1,-5,9223372036854775807,1e300,naïve,,2024-02-29,2024-05-01T09:30:00Z,09:00,TRUE
2,NA,-9223372036854775808,-1e300,日本語,NA,NULL,2024-05-01 11:00:00+02:00,23:59:59.5,false
3,-2147483648,-1,1.5e-300,👍🏽,N/A,1999-12-31,2024-05-01T08:00:00.123456789-0130,,True
4,2147483647,0,-0.0,"a, ""quoted"" word",null,2000-01-01,2024-04-30,00:00,
5,7,12345678901234,.5,,,1970-01-01,2024-05-02T00:00,12:30,FALSE
"""


def test_edge_values_nulls_unicode_huge_negative_and_dates(tmp_path: Path) -> None:
    path = tmp_path / "edges.csv"
    path.write_text(EDGES, encoding="utf-8")
    assert metadata_types(path) == ["INT", "INT", "BIGINT", "DOUBLE", "STRING", "STRING", "DATE", "TIMESTAMP",
                                    "TIME", "BOOLEAN"]
    profile = assert_matches_reference(path, ",")
    columns = {column.name: column for column in profile.columns}
    assert (columns["big"].min, columns["big"].max, columns["big"].sum) == (-(2**63), 2**63 - 1, 12345678901232)
    assert columns["word"].min_length == 2 and columns["word"].max_length == 16  # code points: 👍🏽 is two
    nothing = columns["nothing"]
    assert (nothing.values_count, nothing.null_count, nothing.null_proportion) == (0, 5, 1.0)
    assert (nothing.distinct_count, nothing.distinct_proportion, nothing.min_length) == (0, None, None)
    assert (columns["day"].min, columns["day"].max) == ("1970-01-01", "2024-02-29")
    # 11:00+02:00 is 09:00Z, before 09:30Z; 08:00-01:30 is 09:30Z too but later by its fraction.
    assert columns["seen_at"].min == "2024-04-30"
    assert columns["seen_at"].max == "2024-05-02T00:00"
    assert (columns["at"].min, columns["at"].max) == ("00:00", "23:59:59.5")
    assert (columns["flag"].distinct_count, columns["flag"].unique_count) == (2, 0)
    assert columns["amount"].mean == pytest.approx(statistics.fmean([-5, -(2**31), 2**31 - 1, 7]))


def test_a_long_file_profiles_exactly_within_the_budget(tmp_path: Path) -> None:
    # Past 16,384 rows the nearly distinct columns are decoded as they come, the others counted: both exact.
    rng = random.Random(11)
    path = tmp_path / "long.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "amount", "code", "at", "label", "maybe"])
        for number in range(30_000):
            writer.writerow([number, f"{rng.uniform(-1e4, 1e4):.3f}", rng.choice(["+7", "007", "7", "-3", "NA"]),
                             f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00Z",
                             f"label {rng.randint(0, 10**9)}", rng.choice(["", "true", "FALSE"])])
    profile = assert_matches_reference(path, ",")
    assert profile.columns[0].distinct_count == profile.columns[0].unique_count == 30_000
    assert profile.columns[2].distinct_count == 2  # +7, 007 and 7 are one number


def test_short_and_long_rows_and_odd_integers_past_the_first_batches(tmp_path: Path) -> None:
    # Whole batches of long rows (extra cells cut), batches with a short row (padded with nulls), and
    # streamed integers written "+12" or "0012" in some batches only: the profile is still exact.
    rng = random.Random(7)
    path = tmp_path / "ragged.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "amount", "word"])
        for number in range(20_000):
            odd = 5_000 <= number < 6_000 and number % 7 == 0
            cells = [f"+{number}" if odd else f"00{number}" if number % 4_001 == 0 else str(number),
                     str(rng.randint(-(10**12), 10**12)), rng.choice(["a", "bb", "NA"])]
            if 2_048 <= number < 4_096:
                cells += ["extra"] * rng.randint(0, 2)  # two batches where most rows are too long
            elif number % 3_000 == 1:
                cells = cells[: rng.randint(1, 2)]
            writer.writerow(cells)
    profile = assert_matches_reference(path, ",")
    assert profile.row_count == 20_000
    assert profile.columns[0].distinct_count == profile.columns[0].unique_count == 20_000


def test_one_row_and_header_only_files(tmp_path: Path) -> None:
    one = tmp_path / "one.csv"
    one.write_text("n,x,t\n42,2.5,hello\n")
    profile = assert_matches_reference(one, ",")
    n = profile.columns[0]
    assert (profile.row_count, n.min, n.max, n.mean, n.stddev, n.sum, n.unique_count) == (1, 42, 42, 42.0, 0.0, 42, 1)
    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    profile, _ = profile_of(empty)
    assert profile.row_count == 0 and profile.column_count == 2
    assert profile.columns[0].to_dict(0) == {"name": "a", "timestamp": 0, "valuesCount": 0, "nullCount": 0,
                                              "distinctCount": 0, "uniqueCount": 0}


def test_stddev_is_the_population_one_and_numerically_stable(tmp_path: Path) -> None:
    # A large offset and a tiny spread: the naive sum-of-squares formula loses every digit here.
    rng = random.Random(7)
    values = [1e9 + rng.random() for _ in range(20_000)]
    path = tmp_path / "offset.csv"
    path.write_text("x\n" + "".join(f"{value!r}\n" for value in values))
    profile, _ = profile_of(path, max_distinct_values=100)
    column = profile.columns[0]
    assert column.stddev == pytest.approx(statistics.pstdev(values), rel=1e-7)  # the data's own digits: 4e-7
    assert column.stddev != pytest.approx(statistics.stdev(values), rel=1e-7)  # not the sample stddev
    assert column.mean == pytest.approx(statistics.fmean(values), rel=1e-15)
    assert column.sum == pytest.approx(math.fsum(values), rel=1e-15)


def test_nan_infinity_and_an_overflowing_sum_are_left_out_with_warnings(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("x,y\n1.5,1e308\nnan,1e308\ninf,-1\n-Infinity,2\nNaN,3\n")
    profile, profiler = profile_of(path)
    x, y = profile.columns
    assert (x.values_count, x.min, x.max, x.mean, x.sum, x.stddev) == (5, 1.5, 1.5, 1.5, 1.5, 0.0)
    assert (x.distinct_count, x.unique_count) == (4, 3)  # 1.5, nan (twice), inf, -inf
    assert y.sum is None and y.mean == pytest.approx(4e307)
    warnings = profiler.status.warning_details
    assert all(name == "odd" for name, _ in warnings)
    assert any("'x': 4 values are NaN or infinite" in reason for _, reason in warnings)
    assert any("'y': the sum is beyond the range of a double" in reason for _, reason in warnings)
    json.dumps(profile.to_dict(), allow_nan=False)  # what JsonLinesSink does: no NaN, no infinity


def test_values_past_the_inference_sample_that_do_not_fit_are_counted_and_said(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text("n\n" + "".join(f"{number}\n" for number in range(1, 21)) + "oops\n21\n")
    profile, profiler = profile_of(path, sample_rows=5)
    n = profile.columns[0]
    assert (n.values_count, n.distinct_count, n.max, n.sum) == (22, 22, 21, sum(range(22)))
    (name, reason), = profiler.status.warning_details
    assert name == "late" and "column 'n': 1 values (such as 'oops') do not fit its type INT" in reason


def test_many_distinct_values_switch_to_an_estimate_with_a_warning(tmp_path: Path) -> None:
    rng = random.Random(3)
    # 30,000 values seen once, 10,000 seen twice: 40,000 distinct, 30,000 unique.
    values = [f"u{number}" for number in range(30_000)] + [f"t{number}" for number in range(10_000)] * 2
    rng.shuffle(values)
    numbers = list(range(50_000))
    rng.shuffle(numbers)
    path = tmp_path / "wide.csv"
    path.write_text("text,number,code\n" + "".join(f"{text},{number},{number % 7}\n"
                                                  for text, number in zip(values, numbers)))
    profile, profiler = profile_of(path, max_distinct_values=1000)
    text, number, code = profile.columns
    assert text.distinct_count == pytest.approx(40_000, rel=0.08)
    assert text.unique_count == pytest.approx(30_000, rel=0.1)
    assert number.distinct_count == pytest.approx(50_000, rel=0.08) and number.distinct_count <= 50_000
    assert (code.distinct_count, code.unique_count) == (7, 0)  # within the budget: exact
    assert number.sum == sum(range(50_000))  # the other metrics stay exact
    estimated = [reason for name, reason in profiler.status.warning_details if "estimates" in reason]
    assert len(estimated) == 2 and all(name == "wide" for name, _ in profiler.status.warning_details)
    assert "column 'text' has more than 1,000 distinct values (max_distinct_values)" in estimated[0]
    exact, _ = profile_of(path)
    assert (exact.columns[0].distinct_count, exact.columns[0].unique_count) == (40_000, 30_000)
    assert exact.columns[0] != text and not profile_of(path)[1].status.warnings


def test_profiler_walks_the_metadata_topology_and_yields_only_profiles() -> None:
    options = {"source_directory": str(SAMPLES / "data"), "business_unit": "sales",
               "table_filter_pattern": {"excludes": ["orders"]}}
    tables = [record.fqn for record in run_source(CsvDataConnector(**options)) if isinstance(record, Table)]
    profiler = CsvProfiler(**options)
    profiles = run_source(profiler)
    assert [profile.fqn for profile in profiles] == tables == [
        "csv_files.sales.default.customers", "csv_files.sales.default.sensor_readings"]
    assert profiler.status.filtered == 1 and profiler.status.records == 2
    now = int(time.time() * 1000)
    assert all(now - 60_000 < profile.timestamp <= now for profile in profiles)


def test_a_bad_file_is_one_failure_and_the_others_are_profiled(tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_text("a\n1\n")
    (tmp_path / "bad.csv").write_bytes(b"a,b\n1,\xff\xfe\n")
    profiler = CsvProfiler(source_directory=str(tmp_path), business_unit="b")
    assert [profile.fqn for profile in run_source(profiler)] == ["csv_files.b.default.good"]
    (failure,) = profiler.status.failures
    assert failure.name == "bad" and "bad.csv" in failure.error


def test_a_problem_past_the_inference_sample_fails_the_profile_only(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_bytes(b"n,z\n" + b"".join(b"%d,%s\n" % (n, b"0" * 5000 + b"7") for n in range(40)) + b"41,\xff\n")
    assert [type(record) for record in run_source(CsvDataConnector(source_directory=str(path), business_unit="b",
                                                                   sample_rows=10))].count(Table) == 1
    profiler = CsvProfiler(source_directory=str(path), business_unit="b", sample_rows=10)
    assert run_source(profiler) == []
    (failure,) = profiler.status.failures
    assert failure.name == "late" and str(path) in failure.error and "not valid" in failure.error
    (sample,) = run_source(CsvSampler(source_directory=str(path), business_unit="b", sample_rows=10,
                                      sample_data_count=2, randomized_sample=False))
    assert sample.rows == ((0, 7), (1, 7))  # 5,000 leading zeros: still an INT


def test_the_garbage_collector_is_paused_for_the_pass_only_and_left_as_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from connectors import csv_profiler

    good, bad = tmp_path / "good", tmp_path / "bad"
    for folder in (good, bad):
        folder.mkdir()
    (good / "t.csv").write_text("n\n" + "".join(f"{n}\n" for n in range(3000)))
    (bad / "t.csv").write_bytes(b"n\n" + b"1\n" * 3000 + b"\xff\n")  # fails mid-pass
    seen: list[bool] = []
    real_add = csv_profiler._CsvColumn.add

    def add(column: Any, cells: Any) -> None:
        seen.append(gc.isenabled())
        real_add(column, cells)

    monkeypatch.setattr(csv_profiler._CsvColumn, "add", add)
    was_enabled = gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            for folder in (good, bad):
                profiler = CsvProfiler(source_directory=str(folder), business_unit="b", sample_rows=10)
                run_source(profiler)
                assert bool(profiler.status.failures) == (folder is bad)
                assert gc.isenabled() == enabled
    finally:
        (gc.enable if was_enabled else gc.disable)()
    assert seen and not any(seen)


def test_options_are_checked_when_built() -> None:
    with pytest.raises(Exception, match="max_distinct_values"):
        CsvProfiler.create({"source_directory": "x", "business_unit": "b", "max_distinct_values": 0})
    with pytest.raises(Exception, match="sample_data_count"):
        CsvSampler.create({"source_directory": "x", "business_unit": "b", "sample_data_count": -1})


# --- Outputs and configs ---------------------------------------------------------------------


def test_json_lines_and_staging_hold_the_openmetadata_bodies(tmp_path: Path) -> None:
    options = {"source_directory": str(SAMPLES / "data"), "business_unit": "sales"}
    lines = tmp_path / "profiles.jsonl"
    Workflow(CsvProfiler(**options), [JsonLinesSink(str(lines))]).execute()
    bodies = [json.loads(line) for line in lines.read_text().splitlines()]
    assert len(bodies) == 3 and all(set(body) == {"tableProfile", "columnProfile"} for body in bodies)
    staging = tmp_path / "staging.jsonl"
    Workflow(CsvSampler(seed=1, **options), [FileStage(str(staging))]).execute()
    samples = [parse_staging_line(line) for line in staging.read_text().splitlines()]
    assert [sample.fqn for sample in samples] == ["csv_files.sales.default.customers", "csv_files.sales.default.orders",
                                                  "csv_files.sales.default.sensor_readings"]
    assert all(isinstance(sample, SampleData) for sample in samples)


@pytest.mark.parametrize("name, kind, cls", [("csv_profile.json", "profiler", CsvProfiler),
                                              ("csv_sample.json", "sampler", CsvSampler)])
def test_sample_configs_name_the_data_module_and_a_role(name: str, kind: str, cls: type, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config = json.loads((SAMPLES / name).read_text())
    source = config["source"]
    assert source["kind"] == kind
    spec = importlib.import_module(source["type"]).ServiceSpec
    role = getattr(spec, f"{kind}_class")
    assert import_class(role) is cls
    staging = tmp_path / "staging.jsonl"
    config["stage"]["options"]["staging_file"] = str(staging)
    del config["bulk_sink"]  # the SQLite catalog's own tests load profiles and samples
    workflow = Workflow.create(config, folder=SAMPLES)  # the sample's paths start at its folder
    assert isinstance(workflow.source, cls)
    workflow.execute()
    assert workflow.result_status() == 0
    kinds = [json.loads(line)["kind"] for line in staging.read_text().splitlines()]
    assert kinds == ["tableProfile" if kind == "profiler" else "sampleData"] * 3


# --- Samples ----------------------------------------------------------------------------------


def sample_of(path: Path, **options: Any) -> SampleData:
    sampler = CsvSampler(source_directory=str(path), business_unit="b", **options)
    (sample,) = run_source(sampler)
    assert isinstance(sample, SampleData)
    return sample


def numbered_file(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "numbered.csv"
    path.write_text("n,half,flag,note\n" + "".join(
        f"{number},{number / 2},{'true' if number % 2 else 'FALSE'},{'' if number % 3 else 'three'}\n"
        for number in range(rows)))
    return path


def test_first_rows_mode_gives_the_first_rows_typed(tmp_path: Path) -> None:
    sample = sample_of(numbered_file(tmp_path, 100), sample_data_count=3, randomized_sample=False)
    assert sample.to_dict() == {"columns": ["n", "half", "flag", "note"], "rows": [
        [0, 0.0, False, "three"], [1, 0.5, True, None], [2, 1.0, False, None]]}
    assert len(sample_of(numbered_file(tmp_path, 100), randomized_sample=False).rows) == 50  # OpenMetadata's default


def test_random_sample_is_repeatable_with_a_seed_and_in_file_order(tmp_path: Path) -> None:
    path = numbered_file(tmp_path, 1000)
    first, again = sample_of(path, seed=42), sample_of(path, seed=42)
    assert first == again and len(first.rows) == 50
    numbers = [row[0] for row in first.rows]
    assert numbers == sorted(numbers) and numbers != list(range(50))
    assert sample_of(path, seed=43) != first
    assert [row[0] for row in sample_of(path, sample_data_count=2000, seed=1).rows] == list(range(1000))
    assert sample_of(path, sample_data_count=0).rows == ()


def test_reservoir_sampling_is_uniform() -> None:
    # Each of 20 items should be picked in 5/20 of 4,000 draws: 1,000, with a standard deviation of 27.
    rng = random.Random(2024)
    picked = collections.Counter(item for _ in range(4000) for item in reservoir_sample(range(20), 5, rng))
    assert sorted(picked) == list(range(20)) and sum(picked.values()) == 20_000
    assert all(850 < count < 1150 for count in picked.values()), picked
    # Over a long input too: the tenth of the rows at its end holds a tenth of the picks.
    late = sum(item >= 9000 for _ in range(300) for item in reservoir_sample(range(10_000), 20, rng))
    assert 450 < late < 750


# --- The pure accumulators --------------------------------------------------------------------


def test_number_stats_by_batches_and_weights_equal_one_pass() -> None:
    rng = random.Random(5)
    values = [rng.uniform(-1e6, 1e6) for _ in range(5000)]
    stats = NumberStats()
    for start in range(0, len(values), 333):
        stats.add_floats(values[start:start + 333])
    assert stats.stddev() == pytest.approx(statistics.pstdev(values), rel=1e-12)
    assert stats.mean() == pytest.approx(statistics.fmean(values), rel=1e-12)
    weighted = NumberStats()
    weighted.add_ints([3, -7, 10**18], [2, 1, 4])
    plain = [3, 3, -7] + [10**18] * 4
    assert (weighted.total(), weighted.minimum, weighted.maximum) == (sum(plain), -7, 10**18)
    assert weighted.stddev() == pytest.approx(statistics.pstdev(plain), rel=1e-15)
    both = NumberStats()
    both.add_ints([1, 2, 3])
    both.add_floats([10.5, -4.25])
    assert both.mean() == pytest.approx(statistics.fmean([1, 2, 3, 10.5, -4.25]))
    assert both.stddev() == pytest.approx(statistics.pstdev([1, 2, 3, 10.5, -4.25]))


def test_distinct_counter_is_exact_within_the_budget_and_close_past_it() -> None:
    counter = DistinctCounter(max_distinct_values=10)
    counter.add(["a", "b", "a"])
    counter.add_counts(["c", "b"], [1, 5])
    assert (counter.distinct(), counter.unique(), counter.estimated) == (3, 1, False)
    big = DistinctCounter(max_distinct_values=1000)
    for start in range(0, 200_000, 1000):
        big.add(list(range(start, start + 1000)))
    assert big.estimated and big.distinct() == pytest.approx(200_000, rel=0.05)
    assert big.unique() == pytest.approx(200_000, rel=0.05)


def test_column_accumulator_takes_typed_values_from_any_reader() -> None:
    days = ColumnAccumulator("DATE")
    days.add([datetime.date(2024, 2, 29), datetime.date(1999, 1, 1)], nulls=1)
    days.add([datetime.date(1999, 1, 1)])
    profile = days.result("day", row_count=4)
    assert (profile.min, profile.max, profile.null_proportion) == ("1999-01-01", "2024-02-29", 0.25)
    assert (profile.values_count, profile.distinct_count, profile.unique_count) == (3, 2, 1)
    prices = ColumnAccumulator("DOUBLE")
    prices.add([1.5, 2.5])
    prices.add([4.0])
    assert prices.result("price", 3).to_dict(0) == {
        "name": "price", "timestamp": 0, "valuesCount": 3, "nullCount": 0, "nullProportion": 0.0, "distinctCount": 3,
        "distinctProportion": 1.0, "uniqueCount": 3, "uniqueProportion": 1.0, "min": 1.5, "max": 4.0,
        "mean": statistics.fmean([1.5, 2.5, 4.0]), "sum": 8.0,
        "stddev": pytest.approx(statistics.pstdev([1.5, 2.5, 4.0]), rel=1e-15)}
    names = ColumnAccumulator("VARCHAR")
    names.add(["Zoë", "Ada"])
    assert (names.result("n", 2).min_length, names.result("n", 2).max_length) == (3, 3)


# --- The batch-at-once checks agree with the value-by-value rules -----------------------------


def test_batch_checks_never_accept_a_value_the_type_rules_refuse() -> None:
    from connectors.csv_profiler import _CsvColumn, timestamp_key
    from connectors.csv_types import ACCEPTS

    rng = random.Random(99)

    def field(high: int, bad: int) -> str:  # now and then one past the range: month 13, hour 24, minute 60
        return f"{bad if rng.random() < 0.03 else rng.randint(0, high):02d}"

    def timestamps() -> list[str]:  # one batch written alike: separator, seconds, fraction and zone kind
        separator, seconds, fraction = rng.choice("T "), rng.random() < 0.7, rng.choice(["", ".5", ".123456789"])
        zones = rng.choice([[""], ["Z"], ["+02:00"], ["+02:00", "-05:30"], ["+0130"], ["+24:00"], ["+05:60"]])
        batch = []
        for _ in range(rng.randint(1, 8)):
            year = rng.choice(["1999", "2024", "2023", "0000"])
            text = f"{year}-{field(12, 13)}-{field(28, rng.choice([29, 30, 31]))}"
            text += f"{separator}{field(23, 24)}:{field(59, 60)}"
            text += (f":{field(59, 60)}{fraction}" if seconds else "") + rng.choice(zones)
            batch.append(text.replace("-00-", "-01-").replace("-00T", "-01T").replace("-00 ", "-01 "))
        return batch

    def number() -> str:
        text = rng.choice(["", "-", "+"]) + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 21)))
        if rng.random() < 0.4:
            text += "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 4)))
        if rng.random() < 0.2:
            text += rng.choice("eE") + rng.choice(["", "-", "+"]) + str(rng.randint(0, 400))
        if rng.random() < 0.1:  # a slip: a sign, dot or exponent in the wrong place
            at = rng.randint(0, len(text))
            text = text[:at] + rng.choice("+-.eE") + text[at:]
        return text

    checked = dict.fromkeys(["TIMESTAMP", "INT", "BIGINT", "DOUBLE"], 0)
    sorted_as_text = 0
    for _ in range(4000):
        data_type = rng.choice(list(checked))
        values = timestamps() if data_type == "TIMESTAMP" else [number() for _ in range(rng.randint(1, 4))]
        fits, decoded = _CsvColumn("c", data_type, 100, 64)._batch_fits(values)
        if fits:
            checked[data_type] += 1
            assert all(ACCEPTS[data_type](value) for value in values), values
            if data_type == "TIMESTAMP" and decoded:  # said to sort as text: it does
                sorted_as_text += 1
                assert min(values) == min(values, key=timestamp_key), values
                assert max(values) == max(values, key=timestamp_key), values
    assert all(count > 50 for count in checked.values()), checked  # each check passed many valid batches
    assert sorted_as_text > 50
