"""The protobuf connector against the proto-dev fixtures: protoc's column trees and its rejects.

`testdata/proto/golden/<root>.json` holds, for every message of every corpus
file, the column tree protoc's descriptors imply; each record is checked the
way the fixtures' README says (the connector run with the message's full name,
then its name inside the package). `testdata/proto/reject/` holds files protoc
refuses, with `index.json` saying why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.protobuf_connector import ProtobufConnector
from connectors.protobuf_parser import ProtoParseError, message_columns, parse_file
from minigest import collect

DATA = Path(__file__).parent / "testdata" / "proto"
MANIFEST = json.loads((DATA / "manifest.json").read_text())
REJECTS = json.loads((DATA / "reject" / "index.json").read_text())


def _golden_records() -> list[Any]:
    records = []
    for root, info in MANIFEST["roots"].items():
        roots = [str(DATA / "corpus" / include) for include in info["include_roots"]]
        for record in json.loads((DATA / "golden" / f"{root}.json").read_text()):
            records.append(pytest.param(root, roots, record, id=f"{root}/{record['file']}:{record['message']}"))
    return records


def _compared(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only the keys the fixtures compare, empty values left out."""
    kept = []
    for column in columns:
        body = {key: column[key] for key in ("name", "dataType", "arrayDataType") if column.get(key)}
        if column.get("children"):
            body["children"] = _compared(column["children"])
        kept.append(body)
    return kept


@pytest.mark.parametrize(("root", "roots", "record"), _golden_records())
def test_golden_column_tree(root: str, roots: list[str], record: dict[str, Any]) -> None:
    package = record["package"]
    relative = record["message"][len(package) + 1:] if package else record["message"]
    for schema_name in dict.fromkeys([record["message"], relative]):
        source = ProtobufConnector.create({
            "source_directory": str(DATA / "corpus" / root / record["file"]),
            "business_unit": "dev",
            "schema_name": schema_name,
            "import_paths": roots,
        })
        result = collect(source)
        assert result.failures == []
        assert [type(right).__name__ for right in result.rights] == [
            "DatabaseService", "Database", "DatabaseSchema", "Table", "Contents", "Contents"]
        table = result.rights[3]
        assert table.name == relative
        assert _compared(table.to_dict().get("columns", [])) == _compared(record["columns"]), schema_name


def test_golden_covers_every_corpus_file() -> None:
    """Every target file of the manifest has golden records, and all of them are checked above."""
    for root, info in MANIFEST["roots"].items():
        files = {record["file"] for record in json.loads((DATA / "golden" / f"{root}.json").read_text())}
        assert files == set(info["targets"])
        assert len(_golden_records()) == sum(i["counts"]["messages"] for i in MANIFEST["roots"].values())


def _rejects(kind: str) -> list[str]:
    return sorted(name for name, info in REJECTS.items() if info["kind"] == kind)


@pytest.mark.parametrize("name", _rejects("syntax"))
def test_syntax_reject_is_a_located_error(name: str) -> None:
    path = DATA / "reject" / name
    with pytest.raises(ProtoParseError) as caught:
        parse_file(path)
    error = caught.value
    assert error.line > 0 and error.column > 0
    assert str(error).startswith(f"{path}:{error.line}:{error.column}: ")
    # protoc's line, or earlier: an unclosed comment is reported where it opens, not at the end of the file.
    protoc_line = int(REJECTS[name]["protoc_error"].split(":")[1])
    assert 0 < protoc_line - error.line <= (1 if name == "unterminated_block_comment.proto" else 0) or (
        error.line == protoc_line), (str(error), REJECTS[name]["protoc_error"])


@pytest.mark.parametrize("name", _rejects("syntax"))
def test_syntax_reject_is_one_failure_in_the_connector(name: str) -> None:
    result = collect(ProtobufConnector.create({"source_directory": str(DATA / "reject" / name), "business_unit": "x"}))
    # No Contents for the schema: a file that could not be read says nothing about which tables are gone.
    assert [type(right).__name__ for right in result.rights] == [
        "DatabaseService", "Database", "DatabaseSchema", "Contents"]
    assert result.rights[-1].kind == "databaseSchema"
    assert len(result.failures) == 1
    assert f"{DATA / 'reject' / name}:" in result.failures[0].error


@pytest.mark.parametrize("name", _rejects("semantic"))
def test_semantic_reject_is_a_located_error(name: str) -> None:
    """protoc's validation errors (duplicates, number ranges, open enums): rejected too, with a location."""
    with pytest.raises(ProtoParseError) as caught:
        parse_file(DATA / "reject" / name)
    assert caught.value.line > 0 and caught.value.column > 0


def test_every_semantic_reject_is_rejected() -> None:
    for name in _rejects("semantic"):
        with pytest.raises(ProtoParseError):
            parse_file(DATA / "reject" / name)


@pytest.mark.parametrize("name", _rejects("resolution"))
def test_resolution_reject_gives_unknown_columns_and_warnings(name: str) -> None:
    result = collect(ProtobufConnector.create({
        "source_directory": str(DATA / "reject" / name), "business_unit": "x", "all_messages": True}))
    assert result.failures == []
    assert result.status.warnings >= 1
    tables = [right for right in result.rights if type(right).__name__ == "Table"]
    assert tables
    if name != "missing_import.proto":
        types = [column["dataType"] for table in tables for column in table.to_dict().get("columns", [])]
        assert "UNKNOWN" in types
    reasons = " ".join(reason for _, reason in result.status.warning_details)
    assert f"{name}:" in reasons


def test_partial_name_binds_innermost_scope() -> None:
    """`b.Bar` binds `b` to the nested message Foo.b; the package a.b is never tried."""
    proto = parse_file(DATA / "reject" / "partial_name_binds_innermost.proto")
    assert any('"a.b.Foo.b.Bar"' in warning for warning in proto.warnings)


# --- agreement with protoc on small snippets --------------------------------------------------

# Each snippet was compiled alone by protoc 35.1 (grpcio-tools 1.85.1); its verdict and first error are
# stored. `not_checked` says why a file protoc refuses is still read here (options are not interpreted;
# an unresolved name is an UNKNOWN column and a warning).
PARITY = json.loads((DATA / "protoc_parity.json").read_text())


@pytest.mark.parametrize("case", PARITY, ids=[f"snippet{number}" for number in range(len(PARITY))])
def test_agrees_with_protoc(case: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "x.proto"
    path.write_text(case["text"])
    if case["protoc"] == "accepts":
        proto = parse_file(path)
        for message in proto.all_messages.values():
            message_columns(message)
        assert [warning for warning in proto.warnings if "no syntax specified" not in warning] == []
    elif "not_checked" in case:
        proto = parse_file(path)
        if "UNKNOWN" in case["not_checked"]:
            assert proto.warnings
    else:
        with pytest.raises(ProtoParseError) as caught:
            parse_file(path)
        assert caught.value.line >= 1, (str(caught.value), case["protoc_error"])


def test_parity_cases_are_mostly_checked() -> None:
    refused = [case for case in PARITY if case["protoc"] == "rejects"]
    assert len(refused) > 100
    assert sum("not_checked" in case for case in refused) <= 30
