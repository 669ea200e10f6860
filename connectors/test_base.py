"""DatabaseSource: the options every connector shares, filter patterns, duplicates, and Contents."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.base import DatabaseSource, EntityFilter, failure
from connectors.csv_data import CsvDataConnector
from connectors.models import Column, Contents, Table
from minigest import ConfigError, Either, InvalidSourceException, Workflow, collect


class Names(DatabaseSource):
    """A connector whose tables are the names it is given (``!`` makes one fail, ``?`` a source problem)."""

    default_service_name = "names"
    source_kind = "file or folder"

    def __init__(self, tables: list[str], **options: Any) -> None:
        super().__init__(**options)
        self.tables = tables
        self.read: list[str] = []

    def get_tables(self) -> Iterator[str]:
        for name in self.tables:
            if name == "boom":
                raise OSError("the listing broke")
            if name == "^C":
                raise KeyboardInterrupt
            yield name

    def table_name(self, element: str) -> str | None:
        return None if element.startswith("?") else element.rstrip("!")

    def locate(self, element: str) -> str:
        return f"list item {self.tables.index(element) + 1}"

    def yield_table(self, element: str) -> Iterator[Either[Table]]:
        self.read.append(element)
        if element.endswith("!") or element.startswith("?"):
            yield failure(element, f"{element} is bad")
            return
        yield Either(right=Table(name=element, database_schema=self.schema_fqn, columns=[Column("c", "INT")]))


def source(tables: list[str], **options: Any) -> Names:
    return Names.create({"tables": tables, "source_directory": __file__, "business_unit": "unit", **options})


def tables_of(result: Any) -> list[str]:
    return [right.name for right in result.rights if isinstance(right, Table)]


def contents_of(result: Any) -> list[Contents]:
    return [right for right in result.rights if isinstance(right, Contents)]


# --- Filter patterns ------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "kept"),
    [
        ({"includes": ["sales_"]}, ["sales_2024", "SALES_eu"]),  # re.match: a prefix, in any letter case
        ({"includes": [".*_eu$"]}, ["SALES_eu"]),
        ({"excludes": ["tmp", ".*_bak$"]}, ["sales_2024", "SALES_eu", "orders"]),
        ({"includes": ["sales_", "orders"], "excludes": ["sales_2"]}, ["SALES_eu", "orders", "orders_bak"]),  # both
        ({"includes": [], "excludes": []}, ["sales_2024", "SALES_eu", "tmp_x", "orders", "orders_bak"]),
        ({}, ["sales_2024", "SALES_eu", "tmp_x", "orders", "orders_bak"]),
    ],
)
def test_table_filter_pattern(pattern: dict[str, list[str]], kept: list[str]) -> None:
    names = ["sales_2024", "SALES_eu", "tmp_x", "orders", "orders_bak"]
    result = collect(source(names, table_filter_pattern=pattern))
    assert tables_of(result) == kept
    assert result.status.filtered == len(names) - len(kept)
    assert [name for name, _ in result.status.filtered_details] == [name for name in names if name not in kept]


def test_a_filtered_table_is_not_read_and_its_reason_is_in_the_report() -> None:
    names = source(["keep", "tmp_x"], table_filter_pattern={"excludes": ["tmp_"]})
    result = collect(names)
    assert names.read == ["keep"]
    assert result.status.filtered_details == [
        ("tmp_x", "table 'tmp_x' matches table_filter_pattern's excludes 'tmp_'")]
    assert result.status.calculate_success() == 100.0


def test_includes_name_the_patterns_in_the_reason() -> None:
    result = collect(source(["a", "b"], table_filter_pattern={"includes": ["a"]}))
    assert result.status.filtered_details == [("b", "table 'b' matches none of table_filter_pattern's includes ('a')")]


def test_use_fqn_for_filtering_matches_the_fully_qualified_name() -> None:
    pattern = {"includes": [r"names\.unit\.default\.t1$"]}
    assert tables_of(collect(source(["t1", "t2"], table_filter_pattern=pattern))) == []  # the name is "t1"
    assert tables_of(collect(source(["t1", "t2"], table_filter_pattern=pattern, use_fqn_for_filtering=True))) == [
        "t1"]


def test_a_filtered_schema_or_database_yields_nothing_below_it() -> None:
    result = collect(source(["t"], schema_filter_pattern={"excludes": ["default"]}))
    assert [type(right).__name__ for right in result.rights] == ["DatabaseService", "Database", "Contents"]
    assert result.rights[-1] == Contents(parent_fqn="names.unit", kind="databaseSchema", names=["default"])
    assert result.status.filtered_details == [("default", "schema 'default' matches schema_filter_pattern's "
                                                          "excludes 'default'")]
    result = collect(source(["t"], database_filter_pattern={"includes": ["other"]}))
    assert [type(right).__name__ for right in result.rights] == ["DatabaseService"]
    assert result.status.filtered == 1
    fqn = {"includes": ["names.unit"]}
    assert len(collect(source(["t"], database_filter_pattern=fqn, use_fqn_for_filtering=True)).rights) == 6


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("table_filter_pattern", {"includes": ["("]}, "option 'table_filter_pattern': includes: bad regex"),
        ("schema_filter_pattern", {"excludes": ["[a-"]}, "option 'schema_filter_pattern': excludes: bad regex"),
        ("database_filter_pattern", {"include": ["a"]}, "option 'database_filter_pattern': unknown key 'include'"),
    ],
)
def test_a_bad_filter_pattern_is_a_config_error_naming_the_option(option: str, value: Any, message: str) -> None:
    with pytest.raises(InvalidSourceException, match=message):
        source(["t"], **{option: value})


def test_every_connector_takes_the_filter_patterns(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("id\n1\n")
    (tmp_path / "tmp_orders.csv").write_bytes(b"\xff\xfe\x00broken")  # filtered: never read, never a failure
    result = collect(CsvDataConnector.create({
        "source_directory": str(tmp_path), "business_unit": "s", "table_filter_pattern": {"excludes": ["tmp_"]}}))
    assert tables_of(result) == ["orders"] and result.failures == [] and result.status.filtered == 1
    assert contents_of(result)[0].names == ("orders", "tmp_orders")


def test_a_workflow_config_passes_the_filter_options(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id\n1\n")
    (tmp_path / "b.csv").write_text("id\n1\n")
    workflow = Workflow.create({"source": {
        "type": "connectors.csv_connector.CsvDataConnector",
        "options": {"source_directory": str(tmp_path), "business_unit": "s",
                    "table_filter_pattern": {"includes": ["b"]}},
    }})
    assert tables_of(collect(workflow)) == ["b"]


def test_entity_filter_alone() -> None:
    pattern = EntityFilter.from_option("Owner", "table_filter_pattern", {"includes": ["a"], "excludes": ["ab"]})
    assert pattern is not None
    assert [pattern.reason(name) is None for name in ("a", "A1", "ab", "b")] == [True, True, False, False]
    assert EntityFilter.from_option("Owner", "table_filter_pattern", None) is None


# --- Options and the path --------------------------------------------------------


def test_the_signature_lists_the_connector_options_and_the_shared_ones() -> None:
    parameters = inspect.signature(CsvDataConnector).parameters
    assert list(parameters)[:3] == ["sample_rows", "source_directory", "business_unit"]
    assert {"table_filter_pattern", "schema_filter_pattern", "database_filter_pattern",
            "use_fqn_for_filtering", "service_name"} <= set(parameters)
    assert parameters["sample_rows"].annotation is int


def test_an_unknown_option_is_refused_in_create() -> None:
    with pytest.raises(InvalidSourceException, match="table_filter_patern"):
        source(["t"], table_filter_patern={"includes": ["a"]})


@pytest.mark.parametrize(
    ("kind", "make", "message"),
    [
        ("file", lambda tmp: tmp, "is a folder; give a file"),
        ("folder", lambda tmp: tmp / "f.txt", "is not a folder"),
        ("file or folder", lambda tmp: tmp / "missing", "does not exist"),
    ],
)
def test_prepare_checks_the_path_is_what_the_connector_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, make: Any, message: str
) -> None:
    (tmp_path / "f.txt").write_text("x")
    monkeypatch.setattr(Names, "source_kind", kind)
    names = source(["t"], source_directory=str(make(tmp_path)))
    with pytest.raises(InvalidSourceException, match=message):
        names.prepare()


# --- Duplicates and Contents --------------------------------------------------------


def test_a_second_table_of_the_same_name_is_one_failure_naming_where() -> None:
    result = collect(source(["a", "b", "a"]))
    assert tables_of(result) == ["a", "b"]
    assert [(failure.name, failure.error) for failure in result.failures] == [
        ("a", "list item 1: a table named 'a' was already read; this one is skipped")]
    assert contents_of(result)[0].names == ("a", "b")


def test_contents_name_every_table_found_loaded_failed_or_filtered() -> None:
    result = collect(source(["t1", "bad!", "tmp_x", "t2"], table_filter_pattern={"excludes": ["tmp_"]}))
    assert tables_of(result) == ["t1", "t2"]
    assert contents_of(result) == [
        Contents(parent_fqn="names.unit.default", kind="table", names=["t1", "bad", "tmp_x", "t2"]),
        Contents(parent_fqn="names.unit", kind="databaseSchema", names=["default"]),
    ]
    assert result.rights[-2:] == contents_of(result)  # after the schema's tables, after the database's schemas


def test_a_run_cut_short_yields_no_contents() -> None:
    assert contents_of(collect(source(["t1", "t2", "t3"]), limit=5)) == []  # --limit
    names = source(["t1", "^C", "t2"])
    seen: list[Any] = []
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C
        for right in names.run():
            seen.append(right)
    assert [type(right).__name__ for right in seen] == ["DatabaseService", "Database", "DatabaseSchema", "Table"]


def test_a_listing_that_broke_or_a_source_problem_gives_no_contents_for_that_schema() -> None:
    for tables in (["t1", "boom"], ["t1", "?unreadable"]):
        result = collect(source(tables))
        assert tables_of(result) == ["t1"] and len(result.failures) == 1
        assert [contents.kind for contents in contents_of(result)] == ["databaseSchema"], tables


def test_skip_tables_the_teaching_processor() -> None:
    from connectors.processors import SkipTables

    workflow = Workflow(source(["orders", "tmp_x"]), [SkipTables(["tmp_*"])])
    result = collect(workflow)
    assert tables_of(result) == ["orders"]
    assert workflow.steps[0].status.filtered == 1
    with pytest.raises(ConfigError, match="'patterns' must be"):
        SkipTables.create({"patterns": "tmp_*"})
