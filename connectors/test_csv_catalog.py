"""CsvConnector: a catalog CSV of tables, its bad rows and bad files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.csv_connector import CsvConnector
from connectors.models import Contents, Table
from minigest import InvalidSourceException, collect

SAMPLES = Path(__file__).parent / "samples"
HEADER = "name,column_names,column_types\n"


def run(path: Path, **options: Any) -> Any:
    return collect(CsvConnector.create({"source_directory": str(path), "business_unit": "sales", **options}))


def catalog(tmp_path: Path, content: str | bytes, name: str = "catalog.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def tables(result: Any) -> list[Table]:
    return [entity for entity in result.rights if isinstance(entity, Table)]


def table_names(result: Any) -> list[str]:
    return [table.name for table in tables(result)]


def test_the_sample_catalog() -> None:
    result = run(SAMPLES / "catalog.csv")
    assert result.failures == []
    assert [type(entity).__name__ for entity in result.rights] == [
        "DatabaseService", "Database", "DatabaseSchema", "Table", "Table", "Table", "Contents", "Contents",
    ]
    assert [entity.fqn for entity in result.rights[:3]] == ["csv_catalog", "csv_catalog.sales",
                                                          "csv_catalog.sales.default"]
    customers, orders, events = result.rights[3:6]
    # What the run found, for a catalog to forget the rest: the schema's tables, then the database's schemas.
    assert result.rights[6:] == [
        Contents(parent_fqn="csv_catalog.sales.default", kind="table",
                 names=["customers", "orders", "shipping.events"]),
        Contents(parent_fqn="csv_catalog.sales", kind="databaseSchema", names=["default"]),
    ]
    assert customers.to_dict() == {
        "name": "customers",
        "tableType": "Regular",
        "databaseSchema": "csv_catalog.sales.default",
        "columns": [
            {"name": "id", "dataType": "INT", "ordinalPosition": 1},
            {"name": "name", "dataType": "VARCHAR", "dataLength": 120, "ordinalPosition": 2},
            {"name": "email", "dataType": "STRING", "ordinalPosition": 3},
            {"name": "signed_up", "dataType": "DATE", "ordinalPosition": 4},
            {"name": "is_active", "dataType": "BOOLEAN", "ordinalPosition": 5},
        ],
    }
    assert orders.columns[4].to_dict() == {
        "name": "tags", "dataType": "ARRAY", "arrayDataType": "STRING", "dataTypeDisplay": "array<string>",
        "ordinalPosition": 5,
    }
    assert events.fqn == 'csv_catalog.sales.default."shipping.events"'


def test_each_bad_row_is_one_failure_and_the_others_come_out(tmp_path: Path) -> None:
    path = catalog(
        tmp_path,
        HEADER
        + "good1,a;b,INT;STRING\n"
        + "badtype,a;b,INT;WHATEVER\n"
        + "uneven,a;b;c,INT;STRING\n"
        + ",a,INT\n"
        + "good1,x,INT\n"
        + "emptycol,a;;c,INT;INT;INT\n"
        + "ragged,a,INT,extra\n"
        + "nocolumns,,\n"
        + "good2, x ; y ,date;  timestamp\n",
    )
    result = run(path)
    assert table_names(result) == ["good1", "good2"]
    assert [(failure.name, failure.error) for failure in result.failures] == [
        ("badtype", f"{path}, line 3: column 'b': unknown data type 'WHATEVER'"),
        ("uneven", f"{path}, line 4: 3 column names but 2 column types"),
        ("line 5", f"{path}, line 5: the table name is empty"),
        ("good1", f"{path}, line 6: a table named 'good1' was already read; this one is skipped"),
        ("emptycol", f"{path}, line 7: column 2 has an empty name"),
        ("ragged", f"{path}, line 8: 4 fields where the header has 3"),
        ("nocolumns", f"{path}, line 9: table 'nocolumns' has no columns"),
    ]
    good2 = tables(result)[-1]
    assert [(column.name, column.data_type) for column in good2.columns] == [("x", "DATE"), ("y", "TIMESTAMP")]


def test_bom_crlf_and_quoted_fields_with_the_separator(tmp_path: Path) -> None:
    path = catalog(tmp_path, '\ufeffname,column_names,column_types\r\n"sales, 2024","id;""total, net""",INT;DOUBLE\r\n')
    result = run(path)
    assert result.failures == []
    [table] = [entity for entity in result.rights if isinstance(entity, Table)]
    assert table.name == "sales, 2024"
    assert [column.name for column in table.columns] == ["id", '"total, net"']


def test_a_quoted_multi_line_row_reports_the_line_where_it_ends(tmp_path: Path) -> None:
    path = catalog(tmp_path, HEADER + '"two\nlines",a,INT\nbad,a,NOPE\n')
    result = run(path)
    assert table_names(result) == ["two\nlines"]
    assert result.failures[0].error.startswith(f"{path}, line 4:")


def test_header_columns_may_come_in_any_order_and_case(tmp_path: Path) -> None:
    path = catalog(tmp_path, "Column_Types, NAME ,column_names\nINT;INT,t,a;b\n")
    result = run(path)
    assert result.failures == [] and table_names(result) == ["t"]


def test_a_header_without_the_catalog_columns_is_one_failure(tmp_path: Path) -> None:
    path = catalog(tmp_path, "table,columns\nt,a\n")
    result = run(path)
    assert table_names(result) == []
    [failure] = result.failures
    assert failure.name == "catalog.csv"
    assert failure.error == (
        f"{path}, line 1: the header must name the columns name,column_names,column_types; "
        "missing name,column_names,column_types"
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty"),
        (b"\n\r\n\n", "the file has only blank lines"),
    ],
)
def test_empty_catalogs_are_a_failure_naming_the_file(tmp_path: Path, content: bytes, problem: str) -> None:
    path = catalog(tmp_path, content)
    [failure] = run(path).failures
    assert str(path) in failure.error and problem in failure.error


def test_a_folder_where_the_catalog_file_is_expected_fails_in_prepare(tmp_path: Path) -> None:
    source = CsvConnector.create({"source_directory": str(tmp_path), "business_unit": "sales"})
    with pytest.raises(InvalidSourceException, match=f"source_directory '{tmp_path}' is a folder; give a file"):
        source.prepare()


def test_bytes_that_are_not_utf8_name_the_offset(tmp_path: Path) -> None:
    content = b"\xef\xbb\xbf" + (HEADER + "t,a,INT\nz\xfcrich,a,INT\n\"q\nuoted\",b,INT\n").encode("latin-1")
    path = catalog(tmp_path, content)
    result = run(path)
    [failure] = result.failures
    assert f"byte {content.index(0xfc)} (0xfc) is not valid UTF-8" in failure.error and str(path) in failure.error
    assert "line 3" in failure.error
    assert table_names(result) == ["t", "q\nuoted"]  # the good rows still come out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"business_unit": "sales"}, "'source_directory'"),
        ({"source_directory": "c.csv"}, "'business_unit'"),
        ({"source_directory": ["c.csv"], "business_unit": "sales"}, "'source_directory' must be"),
        ({"source_directory": "c.csv", "business_unit": 3}, "'business_unit' must be"),
        ({"source_directory": "", "business_unit": "sales"}, "'source_directory' must not be empty"),
        ({"source_directory": "c.csv", "business_unit": "sales", "sample_rows": 3}, "unknown option 'sample_rows'"),
        ("c.csv", "options must be a mapping"),
    ],
)
def test_bad_options_raise_in_create(options: Any, message: str) -> None:
    with pytest.raises(InvalidSourceException, match=message):
        CsvConnector.create(options)


def test_a_missing_catalog_raises_in_prepare(tmp_path: Path) -> None:
    source = CsvConnector.create({"source_directory": str(tmp_path / "missing.csv"), "business_unit": "sales"})
    with pytest.raises(InvalidSourceException, match=r"missing\.csv' does not exist"):
        source.prepare()


def test_service_name_option(tmp_path: Path) -> None:
    path = catalog(tmp_path, HEADER + "t,a,INT\n")
    assert tables(run(path, service_name="warehouse"))[0].fqn == "warehouse.sales.default.t"


def test_test_connection_checks_the_catalog_file(tmp_path: Path) -> None:
    CsvConnector.create({"source_directory": str(SAMPLES / "catalog.csv"), "business_unit": "s"}).test_connection()
    empty = catalog(tmp_path, b"", "empty.csv")
    for path, problem in [(tmp_path, "is a folder"), (tmp_path / "none.csv", "does not exist"), (empty, "is empty")]:
        source = CsvConnector.create({"source_directory": str(path), "business_unit": "s"})
        with pytest.raises(InvalidSourceException, match=problem):
            source.test_connection()


def test_control_characters_in_names_fail_the_row_naming_line_and_character(tmp_path: Path) -> None:
    path = catalog(tmp_path, HEADER + "ok,a,INT\nbe\x07ll,a,INT\nt,a;b\x00,INT;INT\n")
    result = run(path)
    assert table_names(result) == ["ok"]
    assert [failure.error for failure in result.failures] == [
        f"{path}, line 3: the table name holds U+0007 at character 3",
        f"{path}, line 4: column 2 ('b\\x00') holds U+0000 at character 2",
    ]


@pytest.mark.parametrize("bom", [b"\xff\xfe", b""])
def test_a_utf16_catalog_is_read(tmp_path: Path, bom: bytes) -> None:
    path = catalog(tmp_path, bom + (HEADER + "zoë,a;b,INT;DATE\n").encode("utf-16-le"))
    result = run(path)
    assert result.failures == [] and table_names(result) == ["zoë"]


def test_a_utf16_catalog_with_a_bad_byte_fails_naming_the_offset(tmp_path: Path) -> None:
    content = b"\xff\xfe" + (HEADER + "t,a,INT\n").encode("utf-16-le") + b"\x00\xdc"
    path = catalog(tmp_path, content)
    [failure] = run(path).failures
    assert failure.error == f"{path}: byte {len(content) - 2} (0x00) is not valid UTF-16; save the file as UTF-8"
    assert contents_kinds(run(path)) == ["databaseSchema"]  # an unreadable catalog deletes nothing


def contents_kinds(result: Any) -> list[str]:
    return [entity.kind for entity in result.rights if isinstance(entity, Contents)]
