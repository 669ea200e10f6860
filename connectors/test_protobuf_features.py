"""Editions features as protoc resolves them, the UNSTABLE edition, `validate`, and the type as written.

Every snippet here was written for this project; the verdicts are protoc's (35.1) for the same text.
"""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from connectors.protobuf import (
    WELL_KNOWN_FILES,
    ProtoFile,
    ProtoParseError,
    find_message,
    iter_columns,
    message_columns,
    parse_file,
)
from connectors.protobuf.features import feature, resolve
from connectors.protobuf.resolution import well_known_text
from connectors.protobuf_connector import ProtobufConnector
from minigest import InvalidSourceException, collect

DATA = Path(__file__).parent / "testdata" / "proto"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def load(folder: Path, text: str, name: str = "x.proto", **options: Any) -> ProtoFile:
    return parse_file(write(folder, name, text), [folder], **options)


def error(folder: Path, text: str, name: str = "x.proto") -> str:
    """`line:column: message` of the error for `text`."""
    with pytest.raises(ProtoParseError) as caught:
        load(folder, text, name)
    return f"{caught.value.line}:{caught.value.column}: {caught.value.message}"


def types(proto: ProtoFile, message: str) -> list[tuple[str, str]]:
    return [(column.name, column.data_type) for column in message_columns(find_message(proto, message))]


# --- features written as message literals ---------------------------------------------------------


def test_a_file_level_literal_closes_enums(tmp_path: Path) -> None:
    proto = load(tmp_path, 'edition = "2023";\noption features = { enum_type: CLOSED };\n'
                           "enum Color { RED = 1; GREEN = 2; }\nmessage Paint { Color color = 1; }\n")
    assert types(proto, "Paint") == [("color", "ENUM")]
    assert proto.warnings == []


def test_nested_literals_lists_and_extensions_are_read(tmp_path: Path) -> None:
    proto = load(tmp_path, 'edition = "2023";\nimport "google/protobuf/cpp_features.proto";\n'
                           "option features = { enum_type: CLOSED [pb.cpp] { legacy_closed_enum: true } };\n"
                           "option features.(pb.cpp) = { string_type: VIEW };\n"
                           "message M {\n  option features = { json_format: LEGACY_BEST_EFFORT; "
                           "utf8_validation: NONE };\n"
                           "  message N { string s = 1 [features = { field_presence: IMPLICIT }]; }\n}\n")
    assert resolve(proto)["(pb.cpp).legacy_closed_enum"] == "true"
    assert resolve(proto)["(pb.cpp).string_type"] == "VIEW"
    inner = proto.all_messages["M.N"]
    # Inherited downwards: file -> message -> nested message -> field, the edition's defaults underneath.
    assert feature(inner, "json_format") == "LEGACY_BEST_EFFORT"
    assert feature(inner.fields[0], "utf8_validation") == "NONE"
    assert feature(inner.fields[0], "field_presence") == "IMPLICIT"
    assert feature(inner.fields[0], "enum_type") == "CLOSED"
    assert feature(inner, "repeated_field_encoding") == "PACKED"


def test_features_of_oneofs_enums_and_values_are_inherited(tmp_path: Path) -> None:
    proto = load(tmp_path, 'edition = "2024";\nmessage M {\n  oneof o {\n    option features.utf8_validation = NONE;\n'
                           "    string s = 1;\n  }\n  enum E { option features = { enum_type: CLOSED }; "
                           "A = 1 [features = { }]; }\n}\n")
    message = proto.all_messages["M"]
    assert feature(message.fields[0], "utf8_validation") == "NONE"
    assert feature(message.fields[0], "default_symbol_visibility") == "EXPORT_TOP_LEVEL"  # 2024's default
    assert feature(proto.enums[0].values[0], "enum_type") == "CLOSED"


def test_legacy_best_effort_as_a_literal_only_warns_of_a_json_clash(tmp_path: Path) -> None:
    proto = load(tmp_path, 'edition = "2023";\noption features = { json_format: LEGACY_BEST_EFFORT };\n'
                           "message M { int32 a_b = 1; int32 aB = 2; }\n")
    [warning] = proto.warnings
    assert "x.proto:3:34: The default JSON name of field \"aB\"" in warning and "only warns" in warning


def test_export_all_as_a_literal_makes_nested_types_visible(tmp_path: Path) -> None:
    write(tmp_path, "a.proto", 'edition = "2024";\npackage a;\noption features = { default_symbol_visibility: '
                               "EXPORT_ALL };\nmessage Outer { message Inner { int32 x = 1; } }\n")
    proto = load(tmp_path, 'edition = "2024";\nimport "a.proto";\nmessage B { a.Outer.Inner i = 1; }\n')
    assert types(proto, "B") == [("i", "RECORD")] and proto.warnings == []


LOCAL_ALL_LITERAL = ('edition = "2024";\npackage a;\noption features = { default_symbol_visibility: LOCAL_ALL };\n'
                     "message Outer { int32 x = 1; }\nenum Color { RED = 0; }\n")
NOT_VISIBLE = ('Symbol "a.{name}", defined in "a.proto" is not visible from "x.proto". It defaulted to local from '
               "file-level 'option features.default_symbol_visibility = LOCAL_ALL;' and cannot be accessed outside "
               "its own file")


@pytest.mark.parametrize(("field", "name"), [("a.Outer o = 1;", "Outer"), ("a.Color c = 1;", "Color")])
def test_local_all_as_a_literal_refuses_even_top_level_types_of_another_file(tmp_path: Path, field: str,
                                                                             name: str) -> None:
    write(tmp_path, "a.proto", LOCAL_ALL_LITERAL)
    text = f'edition = "2024";\nimport "a.proto";\nmessage B {{ {field} }}\n'
    assert error(tmp_path, text) == "3:13: " + NOT_VISIBLE.format(name=name)


def test_validate_false_reads_a_type_local_to_another_file_as_its_real_type(tmp_path: Path) -> None:
    write(tmp_path, "a.proto", LOCAL_ALL_LITERAL)
    proto = load(tmp_path, 'edition = "2024";\nimport "a.proto";\nmessage B { a.Outer o = 1; map<string, a.Color> '
                           "m = 2; }\n", validate=False)
    assert types(proto, "B") == [("o", "RECORD"), ("m", "MAP")] and proto.warnings == []


def test_local_all_makes_an_extendee_local_but_not_an_rpc_type(tmp_path: Path) -> None:
    write(tmp_path, "a.proto", 'edition = "2024";\npackage a;\noption features = { default_symbol_visibility: '
                               "LOCAL_ALL };\nmessage Ext { extensions 1 to 9; }\n")
    head = 'edition = "2024";\nimport "a.proto";\n'
    assert error(tmp_path, head + "extend a.Ext { int32 n = 1; }\n") == (
        '3:8: Symbol "a.Ext", defined in "a.proto" target of extend is not visible from "x.proto". It defaulted to '
        "local from file-level 'option features.default_symbol_visibility = LOCAL_ALL;' and cannot be accessed "
        "outside its own file")
    # protoc links an rpc's input and output types without checking their visibility.
    proto = load(tmp_path, head + "service S { rpc Get(a.Ext) returns (a.Ext); }\n")
    assert proto.warnings == []


def test_an_unreadable_features_literal_makes_a_local_type_only_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "a.proto", 'edition = "2024";\npackage a;\noption features = { enum_type: CLOSED, 5 };\n'
                               "message Outer { message Inner { int32 x = 1; } }\n")
    proto = load(tmp_path, 'edition = "2024";\nimport "a.proto";\nmessage B { a.Outer.Inner i = 1; }\n')
    [warning] = proto.warnings
    assert 'x.proto:3:13: Symbol "a.Outer.Inner", defined in "a.proto" is not visible' in warning
    assert "(not refused" in warning and types(proto, "B") == [("i", "RECORD")]


# --- what protoc refuses, in either form ------------------------------------------------------------


def test_an_enum_level_open_overrides_a_file_level_closed(tmp_path: Path) -> None:
    text = ('edition = "2023";\noption features = { enum_type: CLOSED };\n'
            "enum Color {\n  option features = { enum_type: OPEN };\n  RED = 1;\n}\n")
    assert error(tmp_path, text) == "5:9: The first enum value must be zero for open enums."
    dotted = text.replace("option features = { enum_type: OPEN };", "option features.enum_type = OPEN;")
    assert error(tmp_path, dotted) == "5:9: The first enum value must be zero for open enums."


def test_a_proto3_message_cannot_use_a_closed_editions_enum(tmp_path: Path) -> None:
    write(tmp_path, "e.proto", 'edition = "2023";\npackage e;\nenum Closed {\n  option features.enum_type = CLOSED;\n'
                               "  A = 1;\n}\n")
    assert error(tmp_path, 'syntax = "proto3";\nimport "e.proto";\nmessage M { e.Closed c = 1; }\n') == (
        '3:13: Enum type "e.Closed" is not an open enum, but is used in "M" which is a proto3 message type.')


@pytest.mark.parametrize(("field", "expected"), [
    ("int32 a = 1 [default = 5]", "Implicit presence fields can't specify defaults."),
    ("E e = 1", "Implicit presence enum fields must always be open."),
    ("M m = 1 [features.field_presence = IMPLICIT]", "Message fields can't specify implicit presence."),
    ("repeated int32 r = 1 [features.field_presence = EXPLICIT]", "Repeated fields can't specify field presence."),
    ("int32 a = 1 [features.repeated_field_encoding = EXPANDED]",
     "Only repeated fields can specify repeated field encoding."),
    ("int32 a = 1 [features.utf8_validation = NONE]", "Only string fields can specify utf8 validation."),
    ("int32 a = 1 [features.message_encoding = DELIMITED]", "Only message fields can specify message encoding."),
])
def test_field_features_refused_as_protoc_refuses_them(tmp_path: Path, field: str, expected: str) -> None:
    text = ('edition = "2023";\nenum E { option features.enum_type = CLOSED; A = 1; }\n'
            f"message M {{\n  option features = {{ field_presence: IMPLICIT }};\n  {field};\n}}\n")
    assert error(tmp_path, text).endswith(expected)


def test_inherited_implicit_presence_on_a_repeated_closed_enum_only_warns(tmp_path: Path) -> None:
    proto = load(tmp_path, 'edition = "2023";\noption features.field_presence = IMPLICIT;\n'
                           "enum E { option features.enum_type = CLOSED; A = 1; }\nmessage M { repeated E e = 1; }\n")
    [warning] = proto.warnings
    assert "4:24: Implicit presence enum fields must always be open. (not refused" in warning


def test_features_outside_editions_are_refused(tmp_path: Path) -> None:
    assert error(tmp_path, 'syntax = "proto3";\noption features.enum_type = CLOSED;\n') == (
        "2:8: Features are only valid under editions.")


def test_an_unreadable_features_literal_turns_the_checks_it_feeds_into_warnings(tmp_path: Path) -> None:
    proto = load(tmp_path, 'edition = "2023";\noption features = { enum_type: CLOSED, 5 };\nenum E { A = 1; }\n')
    [warning] = proto.warnings
    assert "3:14: The first enum value must be zero for open enums. (not refused" in warning


# --- edition = "UNSTABLE", as protoc's CanSkipEditionCheck --------------------------------------


UNSTABLE = 'edition = "UNSTABLE";\npackage u;\nmessage U { int32 x = 1; }\n'


def test_unstable_is_refused_for_the_file_ingested(tmp_path: Path) -> None:
    assert error(tmp_path, UNSTABLE) == ("1:1: is a file using edition UNSTABLE, which is later than the protoc "
                                         "maximum supported edition 2024.")


def test_unstable_is_accepted_in_an_import(tmp_path: Path) -> None:
    write(tmp_path, "u.proto", UNSTABLE)
    proto = load(tmp_path, 'syntax = "proto3";\nimport "u.proto";\nmessage M { u.U u = 1; }\n')
    assert types(proto, "M") == [("u", "RECORD")]


@pytest.mark.parametrize("name", ["google/protobuf/unstable.proto", "upb/x.proto", "com/google/protobuf/x.proto",
                                  "conformance/test_protos/x.proto", "test_messages_edition_unstable.proto"])
def test_unstable_is_accepted_for_the_files_protoc_skips(tmp_path: Path, name: str) -> None:
    assert types(load(tmp_path, UNSTABLE, name), "U") == [("x", "INT")]


def test_validate_false_also_skips_the_unstable_check(tmp_path: Path) -> None:
    assert types(load(tmp_path, UNSTABLE, validate=False), "U") == [("x", "INT")]


# --- validate: protoc's checks are a pass that can be turned off -------------------------------------

REFUSED = 'syntax = "proto3";\nmessage M { int32 a = 1; string b = 1; }\n'


def test_validate_false_reads_a_file_protoc_refuses(tmp_path: Path) -> None:
    assert error(tmp_path, REFUSED) == '2:37: Field number 1 has already been used in "M" by field "a".'
    assert types(load(tmp_path, REFUSED, validate=False), "M") == [("a", "INT"), ("b", "STRING")]


def test_validate_false_still_refuses_syntax_errors(tmp_path: Path) -> None:
    with pytest.raises(ProtoParseError, match="Expected"):
        load(tmp_path, 'syntax = "proto3";\nmessage M { int32 = 1; }\n', validate=False)


def test_the_connector_option_validate(tmp_path: Path) -> None:
    path = write(tmp_path, "x.proto", REFUSED)
    options = {"source_directory": str(path), "business_unit": "u"}
    assert len(collect(ProtobufConnector.create(options)).failures) == 1
    result = collect(ProtobufConnector.create({**options, "validate": False}))
    assert result.failures == [] and [column.name for column in result.rights[3].columns] == ["a", "b"]  # 3: the table
    with pytest.raises(InvalidSourceException, match="'validate' must be true or false"):
        ProtobufConnector.create({**options, "validate": "no"})


# --- dataTypeDisplay: the type as the schema writes it --------------------------------------------


def test_the_type_as_written_is_on_every_column(tmp_path: Path) -> None:
    proto = load(tmp_path, 'syntax = "proto2";\npackage shop;\nimport "google/protobuf/timestamp.proto";\n'
                           "message Item { optional sfixed32 id = 1; }\nenum Kind { A = 0; }\n"
                           "message Order {\n  optional int64 total = 1;\n  map<string, Item> items = 2;\n"
                           "  repeated google.protobuf.Timestamp times = 3;\n  optional group Line = 4 { "
                           "optional bytes raw = 1; }\n  repeated Kind kinds = 5;\n  optional Missing gone = 6;\n}\n")
    shown = {column.name: column.data_type_display for column in iter_columns(message_columns(
        find_message(proto, "Order")))}
    assert shown == {
        "total": "int64", "items": "map<string, shop.Item>", "key": "string", "value": "shop.Item",
        "id": "sfixed32", "times": "repeated google.protobuf.Timestamp", "seconds": "int64", "nanos": "int32",
        "line": "group Line", "raw": "bytes", "kinds": "repeated shop.Kind", "gone": "Missing"}


def test_every_golden_column_says_its_type() -> None:
    for root in ("handwritten", "samples"):
        for path in sorted((DATA / "corpus" / root).rglob("*.proto")):
            proto = parse_file(path, [DATA / "corpus" / root])
            for message in proto.all_messages.values():
                for column in iter_columns(message_columns(message)):
                    assert column.to_dict()["dataTypeDisplay"], (path, message, column.name)


# --- the well-known types are package data -------------------------------------------------------------


def test_well_known_files_ship_as_package_data() -> None:
    folder = Path(__file__).parent / "protobuf" / "well_known"
    assert set(WELL_KNOWN_FILES) == {str(path.relative_to(folder)).replace(os.sep, "/")
                                     for path in folder.rglob("*.proto")}
    assert "google/protobuf/timestamp.proto" in WELL_KNOWN_FILES
    assert "message Timestamp" in well_known_text("google/protobuf/timestamp.proto")


# --- hostile input ------------------------------------------------------------------------------------


def test_a_package_of_many_parts_costs_its_length_not_its_prefixes(tmp_path: Path) -> None:
    """A 129 KB package of 20,000 dotted parts took 2.58 GB when every prefix was a name."""
    package = ".".join(f"p{index % 1000:03d}" for index in range(20_000))
    path = write(tmp_path, "deep.proto", f'syntax = "proto3";\npackage {package};\nmessage M {{ M m = 1; }}\n')
    tracemalloc.start()
    try:
        proto = parse_file(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert proto.messages[0].full_name == f"{package}.M"
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB for a {path.stat().st_size / 1e3:.0f} KB file"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")
def test_a_symlink_leaving_the_import_root_is_refused(tmp_path: Path) -> None:
    outside = write(tmp_path, "outside/secret.proto", 'syntax = "proto3";\nmessage Secret { string key = 1; }\n')
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.proto").symlink_to(outside)
    write(root, "inner/real.proto", 'syntax = "proto3";\nmessage Real { int32 x = 1; }\n')
    (root / "alias.proto").symlink_to(root / "inner" / "real.proto")  # inside the root: fine
    with pytest.raises(ProtoParseError, match=r'Import "link.proto" is refused: it is a link to .*outside the '
                                              "import root"):
        load(root, 'syntax = "proto3";\nimport "link.proto";\nmessage M { Secret s = 1; }\n')
    proto = load(root, 'syntax = "proto3";\nimport "alias.proto";\nmessage M { Real r = 1; }\n')
    assert types(proto, "M") == [("r", "RECORD")]


def test_deep_scopes_resolve_names_as_the_walk_up_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The index used for scopes of many parts binds every name of the corpus as the part-by-part walk does."""
    from connectors.protobuf import resolution

    def trees() -> list[Any]:
        found = []
        for root in ("handwritten", "samples"):
            for path in sorted((DATA / "corpus" / root).rglob("*.proto")):
                proto = parse_file(path, [DATA / "corpus" / root])
                found.append((proto.warnings, [[column.to_dict() for column in message_columns(message)]
                                               for message in proto.all_messages.values()]))
        return found

    walked = trees()
    monkeypatch.setattr(resolution, "_SHALLOW", -1)  # every scope counts as deep
    assert trees() == walked
    partial = parse_file(DATA / "reject" / "partial_name_binds_innermost.proto")
    assert any('"a.b.Foo.b.Bar"' in warning for warning in partial.warnings)


def test_many_unresolved_names_in_a_deep_package_stay_fast_to_report(tmp_path: Path) -> None:
    package = ".".join(f"p{index % 1000:03d}" for index in range(20_000))
    fields = " ".join(f"Missing{number} f{number} = {number}; p001.M g{number} = {number + 100};"
                      for number in range(1, 51))
    proto = load(tmp_path, f'syntax = "proto3";\npackage {package};\nmessage M {{ {fields} }}\n')
    assert len(proto.warnings) == 100 and all("UNKNOWN" in warning for warning in proto.warnings)


@pytest.mark.parametrize("late", [False, True])
def test_a_long_package_before_many_names_is_refused_before_it_takes_gigabytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late: bool) -> None:
    """Every full name repeats the package: a 500 KB package before 25,000 fields would be 12 GB of names."""
    from connectors.protobuf import grammar

    monkeypatch.setattr(grammar, "MAX_NAME_CHARACTERS", 1_000_000)
    package = "p" * 20_000
    fields = " ".join(f"int32 f{number} = {number};" for number in range(1, 101))
    statement = f"package {package};\n"
    text = f'syntax = "proto3";\n{"" if late else statement}message M {{ {fields} }}\n{statement if late else ""}'
    assert "add up to more than 1,000,000 characters (the package alone has 20,000)" in error(tmp_path, text)
    monkeypatch.setattr(grammar, "MAX_NAME_CHARACTERS", 3_000_000)
    assert len(message_columns(load(tmp_path, text).messages[0])) == 100


@pytest.mark.parametrize("literal", [
    "{ [pb.cpp { x: 1 } }", "{ a: [1, 2, { b: 3 }], c < d: 4 > }", "{ " + "a { " * 5000 + "}" * 5001])
def test_odd_features_literals_never_crash(tmp_path: Path, literal: str) -> None:
    proto = load(tmp_path, f'edition = "2023";\noption features = {literal} ;\nmessage M {{ int32 a = 1; }}\n')
    assert types(proto, "M") == [("a", "INT")]


def test_the_create_table_body_of_the_sample_says_every_type() -> None:
    samples = Path(__file__).parent / "samples" / "protos"
    result = collect(ProtobufConnector.create({
        "source_directory": str(samples / "shop" / "order.proto"), "business_unit": "sales",
        "schema_name": "shop.Order", "import_paths": [str(samples)]}))
    table = result.rights[3]  # after service, database and schema; before the Contents records
    body = table.to_dict()

    def walk(columns: list[dict[str, Any]]) -> list[str]:
        return [text for column in columns for text in [column["dataTypeDisplay"], *walk(column.get("children", []))]]

    shown = walk(body["columns"])
    assert len(shown) == sum(1 for _ in iter_columns(table.columns))
    assert {"repeated shop.Order.Line", "map<string, string>", "google.protobuf.Timestamp"} <= set(shown)
