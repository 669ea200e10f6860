"""Random and mutated bytes into both CSV connectors: failures or tables, never an escaping exception."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.csv_connector import CsvConnector, CsvDataConnector
from connectors.models import Table
from minigest import collect

SAMPLES = Path(__file__).parent / "samples"
SEEDS = [
    (SAMPLES / "catalog.csv").read_bytes(),
    (SAMPLES / "data" / "customers.csv").read_bytes(),
    (SAMPLES / "data" / "orders.csv").read_bytes(),
]
# Methods of the topology walk: a failure named after one means an exception escaped our own handling.
WALK_METHODS = {"get_tables", "yield_table", "get_services", "get_databases", "get_database_schemas"}


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
    assert all(isinstance(entity, Table) for entity in result.rights[3:])
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
