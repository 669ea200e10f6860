"""Random and mutated bytes into both CSV connectors: failures or tables, never an escaping exception.

Random comma files are also checked against a plain, value-by-value reading
of the csv-dev README's type rules, written here apart from the connector.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.csv_connector import CsvConnector, CsvDataConnector, profile_csv_file
from connectors.models import Contents, Table
from connectors.test_csv_types import no_hang
from minigest import collect

SAMPLES = Path(__file__).parent / "samples"
SEEDS = [
    (SAMPLES / "catalog.csv").read_bytes(),
    (SAMPLES / "data" / "customers.csv").read_bytes(),
    (SAMPLES / "data" / "orders.csv").read_bytes(),
]
# Methods of the topology walk: a failure named after one means an exception escaped our own handling.
WALK_METHODS = {
    "get_tables", "yield_table", "get_services", "get_databases", "get_database_schemas", "list_databases",
    "list_database_schemas", "list_tables", "read_table", "yield_schema_contents", "yield_database_contents",
}


@st.composite
def mutated(draw: Any) -> bytes:
    """A sample file with a few bytes flipped, inserted or deleted."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete"]))
        byte = draw(st.sampled_from([0, 0x0A, 0x0D, 0x22, 0x27, 0x2C, 0x3B, 0x09, 0xC3, 0xFF, 0xEF, 0xBB, 0xBF]))
        if action == "insert" or position == len(data):
            data.insert(position, byte)
        elif action == "flip":
            data[position] = byte
        else:
            del data[position]
    return bytes(data)


def check(connector: type, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.csv"
        path.write_bytes(content)
        result = collect(connector.create({"source_directory": str(path), "business_unit": "fuzz"}))
    assert [type(entity).__name__ for entity in result.rights[:3]] == ["DatabaseService", "Database", "DatabaseSchema"]
    tables = [entity for entity in result.rights[3:] if not isinstance(entity, Contents)]
    contents = result.rights[3 + len(tables):]
    assert all(isinstance(entity, Table) for entity in tables)
    # Then what the run found: the schema's tables (unless the file itself was unreadable), the database's schemas.
    assert [entity.kind for entity in contents] in (["table", "databaseSchema"], ["databaseSchema"])
    if len(contents) == 2:
        assert {table.name for table in tables} <= set(contents[0].names)
    for failure in result.failures:
        assert failure.name not in WALK_METHODS, failure
        assert failure.stack_trace is None, failure  # every failure is one we meant to report
        assert failure.error


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_into_the_data_connector(content: bytes) -> None:
    check(CsvDataConnector, content)


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_into_the_catalog_connector(content: bytes) -> None:
    check(CsvConnector, content)


@FUZZ
@given(mutated())
def test_mutated_samples_into_the_data_connector(content: bytes) -> None:
    check(CsvDataConnector, content)


@FUZZ
@given(mutated())
def test_mutated_samples_into_the_catalog_connector(content: bytes) -> None:
    check(CsvConnector, content)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list('ab1.-:,;"\'\t\n\r ')), max_size=300))
def test_csv_like_text_into_the_data_connector(content: str) -> None:
    check(CsvDataConnector, content.encode("utf-8"))


# --- An independent reading of the type rules ------------------------------

RULE_NULLS = {"", "NA", "N/A", "NULL", "null"}
RULE_INTEGER = re.compile(r"[+-]?[0-9]+")
RULE_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:nan|inf|infinity)", re.I)
RULE_CLOCK = r"([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?"
RULE_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
RULE_TIMESTAMP = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]" + RULE_CLOCK + r"(Z|[+-][0-9]{2}:?[0-9]{2})?")
RULE_TIME = re.compile(RULE_CLOCK)


def rule_type(value: str) -> str:
    """The README's type of one non-null value, checked from scratch."""

    def real_date(year: str, month: str, day: str) -> bool:
        try:
            return bool(datetime.date(int(year), int(month), int(day)))
        except ValueError:
            return False

    def real_clock(hours: str, minutes: str, seconds: str | None, zone: str | None = None) -> bool:
        zone_digits = (zone or "Z").lstrip("+-").replace(":", "")
        zone_ok = zone_digits == "Z" or (int(zone_digits[:2]) < 24 and int(zone_digits[2:]) < 60)
        return int(hours) < 24 and int(minutes) < 60 and int(seconds or 0) < 60 and zone_ok

    if value.lower() in ("true", "false"):
        return "BOOLEAN"
    if RULE_INTEGER.fullmatch(value):
        number = int(value)
        return "INT" if -(2**31) <= number < 2**31 else "BIGINT" if -(2**63) <= number < 2**63 else "DOUBLE"
    if RULE_DECIMAL.fullmatch(value):
        return "DOUBLE"
    if match := RULE_DATE.fullmatch(value):
        return "DATE" if real_date(*match.groups()) else "STRING"
    if match := RULE_TIMESTAMP.fullmatch(value):
        ok = real_date(*match.groups()[:3]) and real_clock(*match.groups()[3:])
        return "TIMESTAMP" if ok else "STRING"
    if match := RULE_TIME.fullmatch(value):
        return "TIME" if real_clock(*match.groups()) else "STRING"
    return "STRING"


def rule_column_type(values: list[str]) -> str:
    """Widen along INT < BIGINT < DOUBLE and DATE < TIMESTAMP; any other mix, or no value, is STRING."""
    found = {rule_type(value) for value in values if value not in RULE_NULLS}
    for chain in (["INT", "BIGINT", "DOUBLE"], ["DATE", "TIMESTAMP"]):
        if found and found <= set(chain):
            return max(found, key=chain.index)
    return found.pop() if len(found) == 1 else "STRING"


RULE_EDGES = [
    "0", "-0", "+5", "007", "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
    "9223372036854775808", "-9223372036854775809", "1e5", ".5", "5.", "1_000", " 12", "12 ", "nan", "-Inf",
    "+infinity", "NaN", "true", "FALSE", "T", "2023-02-29", "2024-02-29", "1900-02-29", "2024-04-31",
    "2024-01-01T10:00", "2024-01-01 10:00:59.5Z", "2024-01-01T10:00+05:30", "2024-01-01T10:00-0530",
    "2024-01-01T24:00", "2024-01-01T10:00:60", "2024-01-01T10:00+2400", "2024-01-01t10:00", "10:00", "23:59:59.9",
    "24:00", "23:59:60", "9:30", "Null", "na", "NA", "N/A", "NULL", "null", "", "a, b", "x;y", "p|q", "it's",
    'say "hi"', "two\nlines",
]
CELLS = st.one_of(
    st.sampled_from(RULE_EDGES),
    st.text(alphabet=st.sampled_from(list("0123456789.-+:eETZ ;|'\",\nab")), max_size=12),
)


@st.composite
def comma_files(draw: Any) -> tuple[list[str], list[list[str]], str]:
    """A header of 2-4 names and rows whose columns each draw from a few values, written by csv.writer."""
    width = draw(st.integers(min_value=2, max_value=4))
    suffixes = st.sampled_from(["", " x", ";y", "|z", "'", ",e"])  # names that hold other delimiters or quotes
    header = [f"c{position}{draw(suffixes)}" for position in range(width)]
    pools = [draw(st.lists(CELLS, min_size=1, max_size=4)) for _ in range(width)]
    rows = draw(st.lists(st.tuples(*[st.sampled_from(pool) for pool in pools]).map(list), max_size=25))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator=draw(st.sampled_from(["\n", "\r\n"])),
                        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])))
    writer.writerow(header)
    writer.writerows(rows)
    return header, rows, text.getvalue()


@FUZZ
@given(comma_files())
def test_comma_files_get_the_types_the_rules_give(case: tuple[list[str], list[list[str]], str]) -> None:
    header, rows, text = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.csv"
        path.write_text(text, encoding="utf-8", newline="")
        profile = profile_csv_file(path, sample_rows=0)
    expected = [rule_column_type([row[position] for row in rows]) for position in range(len(header))]
    assert (profile.names, profile.types, profile.rows_read) == (header, expected, len(rows))


# --- Numeric-looking values: the shapes that made inference backtrack exponentially -----------

NUMERIC_LOOKING = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.integers(min_value=0, max_value=10**6).map(lambda number: f"{number:07d}"),  # zero-padded codes
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.from_regex(r"[+-]?0*[0-9]{1,12}(\.[0-9]{0,4})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["02134-1234", "1.2.3", "1e", ".", "-", "0x1F", "1,000", "12:30", "2024-01-01", "NA", ""]),
)


@st.composite
def numeric_columns(draw: Any) -> list[str]:
    """Issue 18's shape: a value that picks DOUBLE or INT, many integers (zero-padded or not), then a mix."""
    head = draw(st.sampled_from(["0.5", "1e3", "00001", "007", "1", "-0.0"]))
    padding = draw(st.integers(min_value=0, max_value=8))
    body = draw(st.lists(st.integers(min_value=0, max_value=10**9), min_size=20, max_size=60))
    tail = draw(st.lists(NUMERIC_LOOKING, min_size=1, max_size=5))
    return [head, *(f"{number:0{padding}d}" for number in body), *tail]


@FUZZ
@given(numeric_columns(), st.lists(NUMERIC_LOOKING, min_size=1, max_size=80))
def test_numeric_looking_columns_get_the_types_the_rules_give(shaped: list[str], mixed: list[str]) -> None:
    """Through the data connector, as a user's file: one column of issue 18's shape, one of random numbers."""
    rows = [[shaped[i] if i < len(shaped) else "", mixed[i] if i < len(mixed) else ""]
            for i in range(max(len(shaped), len(mixed)))]
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([["a", "b"], *rows])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "numbers.csv"
        path.write_text(text.getvalue(), encoding="utf-8", newline="")
        with no_hang():
            result = collect(CsvDataConnector.create({"source_directory": str(path), "business_unit": "fuzz"}))
    assert result.failures == []  # a hang stopped by no_hang() shows here, as the table's failure
    [table] = [entity for entity in result.rights if isinstance(entity, Table)]
    assert [column.data_type for column in table.columns] == [
        rule_column_type([row[position] for row in rows]) for position in (0, 1)]
