"""ProtobufConnector: options, the entities it yields, and how bad input comes out."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest

from connectors.models import Contents
from connectors.protobuf import columns as protobuf_columns
from connectors.protobuf_connector import ProtobufConnector
from minigest import InvalidSourceException, Workflow, collect

CORPUS = Path(__file__).parent / "testdata" / "proto" / "corpus" / "handwritten"
SHOP = """syntax = "proto3";
package shop.v1;
import "google/protobuf/timestamp.proto";
message OrderLine { string sku = 1; int32 quantity = 2; }
message Order {
  string id = 1;
  repeated OrderLine lines = 2;
  map<string, string> labels = 3;
  google.protobuf.Timestamp placed_at = 4;
}
"""


def run(**options: Any) -> Any:
    return without_contents(collect(ProtobufConnector.create({"business_unit": "sales", **options})))


def without_contents(result: Any) -> Any:
    """The entities alone: DatabaseSource's Contents records (what a run found) are tested in test_base.py."""
    return result._replace(rights=[right for right in result.rights if not isinstance(right, Contents)])


def kinds(result: Any) -> list[str]:
    return [type(right).__name__ for right in result.rights]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    path = tmp_path / "shop.proto"
    path.write_text(SHOP)
    return path


def test_one_message_becomes_one_table(shop: Path) -> None:
    result = run(source_directory=str(shop), schema_name="shop.v1.Order", service_name="protos")
    assert result.failures == []
    assert kinds(result) == ["DatabaseService", "Database", "DatabaseSchema", "Table"]
    service, database, schema, table = result.rights
    assert (service.name, database.name, schema.name) == ("protos", "sales", "default")
    body = table.to_dict()
    assert body["name"] == "Order"
    assert body["databaseSchema"] == "protos.sales.default"
    assert body["description"] == "Protocol Buffers message `shop.v1.Order` of shop.proto"
    assert [(c["name"], c["dataType"], c.get("arrayDataType")) for c in body["columns"]] == [
        ("id", "STRING", None), ("lines", "ARRAY", "RECORD"), ("labels", "MAP", None), ("placed_at", "RECORD", None)]
    assert [c["name"] for c in body["columns"][1]["children"]] == ["sku", "quantity"]
    assert [c["name"] for c in body["columns"][2]["children"]] == ["key", "value"]
    assert [c["name"] for c in body["columns"][3]["children"]] == ["seconds", "nanos"]
    assert result.status.warnings == 0


@pytest.mark.parametrize("name", ["Order", "order", ".shop.v1.Order", "order_line", "OrderLine", "shop.v1.orderLine"])
def test_schema_name_forms(shop: Path, name: str) -> None:
    result = run(source_directory=str(shop), schema_name=name)
    assert result.failures == []
    assert result.rights[-1].name.lower() == name.rpartition(".")[2].replace("_", "").lower()


def test_schema_name_may_be_left_out_with_one_top_level_message(tmp_path: Path) -> None:
    path = tmp_path / "one.proto"
    path.write_text('syntax = "proto3"; message Only { message Nested {} Nested n = 1; }')
    result = run(source_directory=path)
    assert result.failures == []
    assert result.rights[-1].name == "Only"


def test_without_schema_name_several_messages_is_a_failure_naming_them(shop: Path) -> None:
    result = run(source_directory=str(shop))
    assert kinds(result) == ["DatabaseService", "Database", "DatabaseSchema"]
    assert len(result.failures) == 1
    assert "2 top-level messages (OrderLine, Order)" in result.failures[0].error


def test_unknown_schema_name_is_a_failure(shop: Path) -> None:
    result = run(source_directory=str(shop), schema_name="Invoice")
    assert len(result.failures) == 1
    assert result.failures[0].name == "Invoice"
    assert "names no message" in result.failures[0].error


def test_all_messages_gives_a_table_per_top_level_message(shop: Path) -> None:
    result = run(source_directory=str(shop), all_messages=True)
    assert result.failures == []
    assert [right.name for right in result.rights[3:]] == ["OrderLine", "Order"]


def test_nested_message_table_name_is_its_name_inside_the_package() -> None:
    result = run(source_directory=str(CORPUS / "nested" / "nested.proto"), schema_name="dev.nested.deep.Outer.Middle")
    assert result.rights[-1].name == "Outer.Middle"
    assert result.rights[-1].fqn.endswith('."Outer.Middle"')


def test_import_paths_reach_other_files() -> None:
    result = run(source_directory=str(CORPUS / "multi" / "company.proto"), schema_name="Company",
                 import_paths=[str(CORPUS)])
    assert result.failures == [] and result.status.warnings == 0
    missing = run(source_directory=str(CORPUS / "multi" / "company.proto"), schema_name="Company")
    assert missing.failures == []
    assert missing.status.warnings >= 2
    assert any("multi/address.proto" in reason and "not found" in reason
               for _, reason in missing.status.warning_details)


def test_unresolved_type_is_unknown_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "u.proto"
    path.write_text('syntax = "proto3";\nmessage M {\n  Missing m = 1;\n  repeated Gone g = 2;\n}\n')
    result = run(source_directory=str(path))
    assert result.failures == []
    columns = result.rights[-1].to_dict()["columns"]
    assert [(c["dataType"], c.get("arrayDataType")) for c in columns] == [("UNKNOWN", None), ("ARRAY", "UNKNOWN")]
    assert result.status.warnings == 2
    assert f"{path}:3:3: type \"Missing\"" in result.status.warning_details[0][1]


def test_syntax_error_is_one_located_failure(tmp_path: Path) -> None:
    path = tmp_path / "bad.proto"
    path.write_text('syntax = "proto3";\nmessage M {\n  int32 a = 1\n}\n')
    result = run(source_directory=str(path))
    assert kinds(result) == ["DatabaseService", "Database", "DatabaseSchema"]
    assert [failure.error for failure in result.failures] == [f'{path}:4:1: Expected ";".']


def test_folder_empty_and_unreadable_files_are_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidSourceException, match="is a folder; give a file"):  # at once, before any entity
        run(source_directory=str(tmp_path))
    empty = tmp_path / "empty.proto"
    empty.write_text("  \n")
    assert [failure.error for failure in run(source_directory=str(empty)).failures] == [f"{empty}: is empty"]
    locked = tmp_path / "locked.proto"
    locked.write_text('syntax = "proto3"; message M {}')
    real_open = builtins.open

    def deny(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(locked):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny)
    assert [failure.error for failure in run(source_directory=str(locked)).failures] == [
        f"{locked}: cannot be read: Permission denied"]


def test_a_message_too_large_to_expand_is_one_failure_and_the_others_come_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protobuf_columns, "MAX_COLUMNS", 1000)
    depth = 10
    chain = " ".join(f"message M{i} {{ M{i + 1} a = 1; M{i + 1} b = 2; }}" for i in range(depth))
    path = tmp_path / "huge.proto"
    path.write_text(f'syntax = "proto3"; {chain} message M{depth} {{ int32 x = 1; }}')
    sizes = [1]  # columns of M10, M9, ...: two copies of the next message's tree plus the two fields
    while len(sizes) <= depth:
        sizes.append(2 + 2 * sizes[-1])
    too_large = [f"M{i}" for i in range(depth + 1) if sizes[depth - i] > 1000]
    assert too_large == ["M0", "M1"]
    result = run(source_directory=str(path), all_messages=True)
    assert [failure.name for failure in result.failures] == too_large
    assert result.failures[0].error == f"{path}: message M0 expands to more than 1000 columns, too many to ingest"
    assert [table.name for table in result.rights[3:]] == [f"M{i}" for i in range(2, depth + 1)]


def test_a_column_name_openmetadata_refuses_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "long.proto"
    path.write_text(f'syntax = "proto3"; message M {{ int32 {"x" * 200} = 1; }}')
    result = run(source_directory=str(path))
    assert len(result.failures) == 1
    assert result.failures[0].error.startswith(f"{path}: message M: ")


def test_missing_path_raises_in_prepare(tmp_path: Path) -> None:
    source = ProtobufConnector.create({"source_directory": str(tmp_path / "nope.proto"), "business_unit": "x"})
    with pytest.raises(InvalidSourceException, match=r"nope\.proto"):
        source.prepare()
    source = ProtobufConnector.create({
        "source_directory": str(CORPUS / "basics" / "scalars.proto"), "business_unit": "x",
        "import_paths": [str(tmp_path / "no-such-root")]})
    with pytest.raises(InvalidSourceException, match="import_paths"):
        source.prepare()


@pytest.mark.parametrize(("options", "message"), [
    ({"business_unit": "x"}, "'source_directory' is required"),
    ({"source_directory": "a.proto"}, "'business_unit' is required"),
    ({"source_directory": "a.proto", "business_unit": "x", "schema_name": 5}, "'schema_name' must be"),
    ({"source_directory": "a.proto", "business_unit": "x", "import_paths": 5}, "'import_paths' must be a list"),
    ({"source_directory": "a.proto", "business_unit": "x", "import_paths": ["", "b"]}, "'import_paths' holds"),
    ({"source_directory": "a.proto", "business_unit": "x", "all_messages": "yes"}, "'all_messages' must be"),
    ({"source_directory": "a.proto", "business_unit": "x", "all_messages": True, "schema_name": "M"}, "not both"),
    ({"source_directory": "a.proto", "business_unit": "x", "schema": "M"}, "unknown option 'schema'"),
])
def test_bad_options_raise_in_create(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidSourceException, match=message):
        ProtobufConnector.create(options)


def test_a_single_import_path_string_is_accepted() -> None:
    source = ProtobufConnector.create({"source_directory": "a.proto", "business_unit": "x", "import_paths": "roots"})
    assert source.import_paths == ["roots"]


def test_runs_from_a_workflow_config(shop: Path) -> None:
    workflow = Workflow.create({
        "source": {"type": "connectors.protobuf_connector.ProtobufConnector", "service_name": "proto_svc",
                   "options": {"source_directory": str(shop), "business_unit": "sales", "schema_name": "Order"}},
    })
    result = without_contents(collect(workflow))
    assert result.failures == []
    assert result.rights[-1].fqn == "proto_svc.sales.default.Order"
    assert workflow.result_status() == 0
