"""Regression tests for differences from protoc found by comparing with it on many inputs.

Each expected message and `line:column` below is what protoc 35.1 (grpcio-tools 1.85.1)
printed for the same text; the inputs were written for this project.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.protobuf import ProtoParseError, parse_file, parse_text
from connectors.protobuf import message_columns as column_tree


def message_columns(message: Any) -> list[dict[str, Any]]:
    """The column tree as the bodies compared here: name, data type and children only."""
    def bare(column: Any) -> dict[str, Any]:
        body = {key: value for key, value in column.to_dict().items() if key in ("name", "dataType", "arrayDataType")}
        if column.children:
            body["children"] = [bare(child) for child in column.children]
        return body

    return [bare(column) for column in column_tree(message)]


def parsed(tmp_path: Path, text: str) -> object:
    path = tmp_path / "x.proto"
    path.write_text(text)
    return parse_file(path)


def error_at(tmp_path: Path, text: str) -> str:
    """`line:column: message` of the error parse_file raises for `text`."""
    path = tmp_path / "x.proto"
    path.write_text(text)
    with pytest.raises(ProtoParseError) as caught:
        parse_file(path)
    return f"{caught.value.line}:{caught.value.column}: {caught.value.message}"


# --- a map field's entry message is a name of its scope --------------------------------------------


def test_a_field_cannot_name_a_map_entry_even_with_a_message_of_that_name_outside(tmp_path: Path) -> None:
    # Used to bind to the top-level FooEntry and give it as a RECORD; protoc finds M.FooEntry first.
    text = ('syntax = "proto3";\nmessage FooEntry { int32 top = 1; }\n'
            'message M { map<string, int32> foo = 1; FooEntry x = 2; }\n')
    assert error_at(tmp_path, text) == (
        "3:41: map_entry should not be set explicitly. Use map<KeyType, ValueType> instead.")


def test_a_map_entry_hides_outer_names_for_the_first_part_of_a_dotted_name(tmp_path: Path) -> None:
    # "FooEntry.X" binds FooEntry to M.FooEntry, where there is no X: unresolved, as in protoc.
    proto = parsed(tmp_path, 'syntax = "proto3";\nmessage FooEntry { message X { int32 a = 1; } }\n'
                             'message M { map<string, int32> foo = 1; FooEntry.X x = 2; }\n')
    columns = message_columns(proto.all_messages["M"])  # type: ignore[attr-defined]
    assert columns[1] == {"name": "x", "dataType": "UNKNOWN"}
    assert any('"M.FooEntry.X"' in warning for warning in proto.warnings)  # type: ignore[attr-defined]


def test_extending_a_map_entry_is_refused_for_its_missing_extension_range(tmp_path: Path) -> None:
    text = ('syntax = "proto2";\nmessage X { optional int32 b = 1; extensions 10 to 20; }\n'
            'message M { map<string, int32> x = 1; extend XEntry { optional int32 e = 10; } }\n')
    assert error_at(tmp_path, text) == '3:74: "M.XEntry" does not declare 10 as an extension number.'


def test_an_rpc_may_name_a_map_entry(tmp_path: Path) -> None:
    proto = parsed(tmp_path, 'syntax = "proto3";\nmessage M { map<string, int32> x = 1; }\n'
                             "service S { rpc Q(M.XEntry) returns (M); }\n")
    assert proto.warnings == []  # type: ignore[attr-defined]


# --- the extendee is looked up among all names ---------------------------------------------------


@pytest.mark.parametrize(("between", "where"), [
    ("optional int32 X = 1;", "3:42"),   # a field named like the message hides it
    ("enum X { A = 0; }", "3:38"),       # so does an enum
])
def test_an_extendee_that_is_not_a_message_is_refused(tmp_path: Path, between: str, where: str) -> None:
    text = ('syntax = "proto2";\nmessage X { optional int32 b = 1; extensions 10 to 20; }\n'
            f"message M {{ {between} extend X {{ optional int32 e = 10; }} }}\n")
    assert error_at(tmp_path, text) == f'{where}: "X" is not a message type.'


# --- proto3 files and proto2 definitions ----------------------------------------------------------

CLOSED = 'syntax = "proto2";\npackage p;\nenum C { A = 0; B = 1; }\nmessage Ext { extensions 100 to 200; }\n'


@pytest.mark.parametrize(("field", "where", "user"), [
    ("p.C c = 1;", "3:13", "M"),
    ("repeated p.C c = 1;", "3:22", "M"),
    ("oneof o { p.C c = 1; }", "3:23", "M"),
    ("map<string, p.C> c = 1;", "3:13", "M.CEntry"),
])
def test_a_proto3_message_cannot_use_a_closed_enum(tmp_path: Path, field: str, where: str, user: str) -> None:
    (tmp_path / "p2.proto").write_text(CLOSED)
    text = f'syntax = "proto3";\nimport "p2.proto";\nmessage M {{ {field} }}\n'
    assert error_at(tmp_path, text) == (
        f'{where}: Enum type "p.C" is not an open enum, but is used in "{user}" which is a proto3 message type.')


def test_editions_may_use_a_closed_enum(tmp_path: Path) -> None:
    (tmp_path / "p2.proto").write_text(CLOSED)
    proto = parsed(tmp_path, 'edition = "2023";\nimport "p2.proto";\nmessage M { p.C c = 1; }\n')
    assert message_columns(proto.all_messages["M"]) == [{"name": "c", "dataType": "ENUM"}]  # type: ignore[attr-defined]


@pytest.mark.parametrize("extendee", ["p.Ext", "google.protobuf.FeatureSet", "google.protobuf.SourceCodeInfo"])
def test_proto3_extends_only_options(tmp_path: Path, extendee: str) -> None:
    (tmp_path / "p2.proto").write_text(CLOSED)
    text = (f'syntax = "proto3";\nimport "p2.proto";\nimport "google/protobuf/descriptor.proto";\n'
            f"extend {extendee} {{ int32 x = 100; }}\n")
    assert error_at(tmp_path, text) == "4:8: Extensions in proto3 are only allowed for defining options."


def test_proto3_custom_options_of_every_kind_are_accepted(tmp_path: Path) -> None:
    kinds = ["File", "Message", "Field", "Oneof", "Enum", "EnumValue", "Service", "Method", "ExtensionRange"]
    extends = "".join(f"extend google.protobuf.{kind}Options {{ int32 x{kind} = 50000; }}\n" for kind in kinds)
    proto = parsed(tmp_path, f'syntax = "proto3";\nimport "google/protobuf/descriptor.proto";\n{extends}')
    assert proto.warnings == []  # type: ignore[attr-defined]


def test_a_missing_option_import_is_a_warning(tmp_path: Path) -> None:
    proto = parsed(tmp_path, 'edition = "2024";\nimport option "missing.proto";\nmessage M { int32 a = 1; }\n')
    assert len(proto.warnings) == 1 and '2:1: import option "missing.proto" was not found' in (  # type: ignore[attr-defined]
        proto.warnings[0])  # type: ignore[attr-defined]


def test_unresolved_types_are_reported_where_the_type_is_written(tmp_path: Path) -> None:
    proto = parsed(tmp_path, 'syntax = "proto3";\nmessage M {\n  repeated  .a.Missing m = 1;\n}\n')
    assert ':3:13: type ".a.Missing" of field "m" is not defined' in proto.warnings[0]  # type: ignore[attr-defined]


# --- map keys --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("declarations", "key", "message"), [
    ("enum E { A = 0; }", "E", "Key in map fields cannot be enum types."),
    ("", "M", "Key in map fields cannot be float/double, bytes or message types."),
    ("", "bytes", "Key in map fields cannot be float/double, bytes or message types."),
    ("", "Q", '"Q" is not defined.'),
])
def test_map_keys_refused_where_protoc_refuses_them(tmp_path: Path, declarations: str, key: str,
                                                     message: str) -> None:
    text = f'syntax = "proto3";\n{declarations}\nmessage M {{ map<{key}, int32> m = 1; }}\n'
    assert error_at(tmp_path, text) == f"3:13: {message}"


# --- where protoc puts its syntax errors -----------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ('syntax = "proto3";\nmessage M { repeated map<string, string> m = 1; }\n',
     "2:25: Field labels (required/optional/repeated) are not allowed on map fields."),
    ('syntax = "proto3";\nmessage M { oneof o { map<string, string> m = 1; } }\n',
     "2:26: Map fields are not allowed in oneofs."),
    ('syntax = "proto2";\nmessage M { extensions 1 to 5; }\nextend M { map<string, int32> m = 1; }\n',
     "3:15: Map fields are not allowed to be extensions."),
    ('syntax = "proto3";\nmessage M { map<double, int32> m = 1; }\n',
     "2:13: Key in map fields cannot be float/double, bytes or message types."),
    ('edition = "2026";\nmessage M {}\n', "1:1: Edition 2026 is later than the maximum supported edition 2024"),
    ('edition = "2023";\nmessage M { required int32 a = 1; }\n',
     '2:13: Label "required" is not supported in editions, use features.field_presence = LEGACY_REQUIRED.'),
    ('edition = "2023";\nmessage M { optional int32 a = 1; }\n',
     '2:13: Label "optional" is not supported in editions. By default, all singular fields have presence '
     "unless features.field_presence is set."),
    ('syntax = "proto2";\nmessage M { optional string s = 1 [default = "\\xZ"]; }\n',
     "2:49: Expected hex digits for escape sequence."),
    ('syntax = "proto2";\nmessage M { optional string s = 1 [default = "\\u12G4"]; }\n',
     "2:51: Expected four hex digits for \\u escape sequence."),
    ('syntax = "proto2";\nmessage M { optional string s = 1 [default = "\\U00A"]; }\n',
     "2:51: Expected eight hex digits up to 10ffff for \\U escape sequence"),
    ('syntax = "proto2";\nmessage M { optional string s = 1 [default = "\\8"]; }\n',
     "2:48: Invalid escape sequence in string literal."),
    ('syntax = "proto3";\noption x = "a\\\nb";\n', "2:15: Invalid escape sequence in string literal."),
    ('syntax = "proto3";\noption x = "ab\\"c\n', '2:18: Multiline strings are not allowed. Did you miss a "?.'),
    ('syntax = "proto3";\noption x = "abc', "2:16: Unexpected end of string."),
    ('syntax = "proto3";\n/* abc\n\n', "4:1: End-of-file inside block comment. The comment starts on line 2."),
])
def test_error_positions_and_messages_as_protoc_gives_them(tmp_path: Path, text: str, expected: str) -> None:
    assert error_at(tmp_path, text) == expected


# --- the first error in the text is the one reported ----------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    # A syntax error before a malformed number: protoc reports the syntax error first.
    ('syntax = "proto3";\nmessage M {\n  int32 a 1;\n  int32 b = 2x;\n}\n', "3:11: Missing field number."),
    ('syntax = "proto3";\nmessage M {\n  int32 a = 1 [deprecated = true;\n}\nmessage N { int32 b = 0x; }\n',
     '3:33: Expected "," or "]".'),
    # A bad number between two statements is still an error, where protoc puts it.
    ('syntax = "proto3";\nmessage M { int32 a = 1; }\n1x\nmessage N { int32 b = 1; }\n',
     "3:2: Need space between number and identifier."),
])
def test_an_earlier_syntax_error_wins_over_a_later_bad_token(tmp_path: Path, text: str, expected: str) -> None:
    assert error_at(tmp_path, text) == expected


def test_a_message_literal_running_into_a_bad_token_reports_the_token() -> None:
    # The literal never closes before the bad number, so the number is the first thing protoc refuses.
    text = ('syntax = "proto2";\nmessage M {\n  optional int32 a = 1 [(o) = { a: 1\n'
            "  b: 2x }];\n}\n")
    with pytest.raises(ProtoParseError) as caught:
        parse_text(text, "t.proto")
    assert (caught.value.line, caught.value.column, caught.value.message) == (
        4, 7, "Need space between number and identifier.")


# --- names defined in two files ------------------------------------------------------------------


@pytest.mark.parametrize(("imported", "text", "expected"), [
    ('syntax = "proto3";\npackage foo;\nmessage M { int32 a = 1; }\n',
     'syntax = "proto3";\npackage foo;\nimport "a.proto";\nmessage M { int32 a = 1; }\n',
     '4:19: "foo.M.a" is already defined in file "a.proto".'),  # protoc names the contents first
    ('syntax = "proto3";\npackage foo;\nmessage M {}\n',
     'syntax = "proto3";\npackage foo.M;\nimport "a.proto";\nmessage N {}\n',
     '2:1: "foo.M" is already defined (as something other than a package) in file "a.proto".'),
    ('syntax = "proto3";\npackage foo;\nenum E { A = 0; }\n',
     'syntax = "proto3";\npackage foo;\nimport "a.proto";\nmessage A {}\n',
     '4:9: "foo.A" is already defined in file "a.proto".'),
])
def test_a_name_defined_in_two_files_is_refused(tmp_path: Path, imported: str, text: str, expected: str) -> None:
    # Before, the later definition silently replaced the earlier one in name lookups.
    (tmp_path / "a.proto").write_text(imported)
    assert error_at(tmp_path, text) == expected


def test_two_files_may_share_a_package(tmp_path: Path) -> None:
    (tmp_path / "a.proto").write_text('syntax = "proto3";\npackage foo.bar;\nmessage A { int32 a = 1; }\n')
    proto = parsed(tmp_path, 'syntax = "proto3";\npackage foo.bar;\nimport "a.proto";\nmessage B { A a = 1; }\n')
    columns = message_columns(proto.all_messages["foo.bar.B"])  # type: ignore[attr-defined]
    assert columns == [{"name": "a", "dataType": "RECORD", "children": [{"name": "a", "dataType": "INT"}]}]


def test_an_unclosed_message_literal_is_reported_at_the_end_of_the_text(tmp_path: Path) -> None:
    assert error_at(tmp_path, 'syntax = "proto3";\noption x = { a: 1 ;\n\nmessage M {}\n') == (
        "5:1: Unexpected end of stream while parsing aggregate value. The value starts on line 2.")


@pytest.mark.parametrize(("edition", "expected"), [
    ("2025", '1:11: Unknown edition "2025".'),  # protoc only knows the editions of its enum
    ("99999", '1:11: Unknown edition "99999".'),
    ("MAX", "1:1: Edition MAX is later than the maximum supported edition 2024"),
    ("99998_TEST_ONLY", "1:1: Edition 99998_TEST_ONLY is later than the maximum supported edition 2024"),
    ("LEGACY", "1:1: Edition LEGACY is earlier than the minimum supported edition PROTO2"),
    ("1_TEST_ONLY", "1:1: Edition 1_TEST_ONLY is earlier than the minimum supported edition PROTO2"),
])
def test_editions_protoc_does_not_support(tmp_path: Path, edition: str, expected: str) -> None:
    assert error_at(tmp_path, f'edition = "{edition}";\nmessage M {{ int32 a = 1; }}\n') == expected


def test_an_unsupported_edition_is_reported_after_the_syntax_errors(tmp_path: Path) -> None:
    assert error_at(tmp_path, 'edition = "2026";\nmessage M { int32 a = ; }\n') == "2:23: Expected field number."


# --- edition 2024 symbol visibility ---------------------------------------------------------------


@pytest.mark.parametrize(("imported", "type_name", "visible"), [
    ('edition = "2024";\nmessage Outer { message Inner { int32 a = 1; } }\n', "Outer.Inner", False),
    ('edition = "2024";\nmessage Outer { export message Inner { int32 a = 1; } }\n', "Outer.Inner", True),
    ('edition = "2024";\nmessage Outer { enum E { A = 0; } }\n', "Outer.E", False),
    ('edition = "2024";\nlocal message Top { int32 a = 1; }\n', "Top", False),
    ('edition = "2024";\nlocal message Top { export message In { int32 a = 1; } }\n', "Top.In", True),
    ('edition = "2024";\noption features.default_symbol_visibility = EXPORT_ALL;\n'
     "message Outer { message Inner { int32 a = 1; } }\n", "Outer.Inner", True),
    ('edition = "2024";\noption features.default_symbol_visibility = LOCAL_ALL;\nmessage Top { int32 a = 1; }\n',
     "Top", False),
    ('edition = "2024";\noption features.default_symbol_visibility = STRICT;\nexport message Top { int32 a = 1; }\n',
     "Top", True),
    ('edition = "2024";\noption features.default_symbol_visibility = STRICT;\nenum Top { A = 0; }\n', "Top", False),
    ('edition = "2024";\noption features.default_symbol_visibility = LOCAL_ALL;\n'
     "message Top { export enum E { A = 0; } }\n", "Top.E", True),
    ('edition = "2023";\nmessage Outer { message Inner { int32 a = 1; } }\n', "Outer.Inner", True),
])
def test_edition_2024_local_types_are_not_visible_from_other_files(tmp_path: Path, imported: str, type_name: str,
                                                                   visible: bool) -> None:
    # protoc refuses a field whose type is local to another file; it used to be expanded here.
    (tmp_path / "a.proto").write_text(imported)
    text = f'syntax = "proto3";\nimport "a.proto";\nmessage B {{ {type_name} x = 1; }}\n'
    if visible:
        proto = parsed(tmp_path, text)
        column = message_columns(proto.all_messages["B"])[0]  # type: ignore[attr-defined]
        assert column["dataType"] != "UNKNOWN" and proto.warnings == []  # type: ignore[attr-defined]
    else:
        assert error_at(tmp_path, text).startswith(f'3:13: Symbol "{type_name}", defined in "a.proto" is not visible '
                                                   'from "x.proto". It ')


def test_a_local_type_is_visible_in_its_own_file(tmp_path: Path) -> None:
    proto = parsed(tmp_path, 'edition = "2024";\nmessage Outer { message Inner { int32 a = 1; } }\n'
                             "message Uses { Outer.Inner i = 1; }\n")
    assert message_columns(proto.all_messages["Uses"]) == [  # type: ignore[attr-defined]
        {"name": "i", "dataType": "RECORD", "children": [{"name": "a", "dataType": "INT"}]}]


def test_a_oneof_of_only_options_is_refused(tmp_path: Path) -> None:
    # `option` opens an option statement inside a oneof, so this oneof has no field: protoc refuses it.
    assert error_at(tmp_path, 'syntax = "proto2";\nmessage M { oneof o { option deprecated = true; } }\n') == (
        "2:19: Oneof must have at least one field.")


# --- JSON name conflicts under features.json_format = LEGACY_BEST_EFFORT ------------------------

TWO_CUSTOM = '  int32 a = 1 [json_name = "x"];\n  int32 b = 2 [json_name = "x"];\n'
TWO_DEFAULT = "  int32 a_b = 1;\n  int32 aB = 2;\n"
CLASH = 'The custom JSON name of field "b" ("x") conflicts with the custom JSON name of field "a".'


@pytest.mark.parametrize(("text", "expected"), [
    # LEGACY_BEST_EFFORT is as lenient as proto2: two equal custom names still clash (they were let through).
    (f'edition = "2023";\noption features.json_format = LEGACY_BEST_EFFORT;\nmessage M {{\n{TWO_CUSTOM}}}\n',
     f"5:9: {CLASH}"),
    (f'edition = "2023";\nmessage M {{\n  option features.json_format = LEGACY_BEST_EFFORT;\n{TWO_CUSTOM}}}\n',
     f"5:9: {CLASH}"),
    # A clash involving a default name is only a warning there, as protoc gives it.
    (f'edition = "2023";\noption features.json_format = LEGACY_BEST_EFFORT;\nmessage M {{\n{TWO_DEFAULT}}}\n',
     "warning"),
    (f'edition = "2023";\nmessage M {{\n  option features.json_format = LEGACY_BEST_EFFORT;\n{TWO_DEFAULT}}}\n',
     "warning"),
    # The deprecated legacy option allows every conflict.
    (f'edition = "2023";\nmessage M {{\n  option deprecated_legacy_json_field_conflicts = true;\n{TWO_CUSTOM}}}\n',
     None),
])
def test_json_name_conflicts_as_protoc_judges_them(tmp_path: Path, text: str, expected: str | None) -> None:
    if expected is None:
        assert parsed(tmp_path, text).warnings == []  # type: ignore[attr-defined]
    elif expected == "warning":
        [warning] = parsed(tmp_path, text).warnings  # type: ignore[attr-defined]
        assert '5:9: The default JSON name of field "aB" ("aB") conflicts' in warning and "only warns" in warning
    else:
        assert error_at(tmp_path, text) == expected


# --- extension and reserved ranges ----------------------------------------------------------------


@pytest.mark.parametrize(("body", "expected"), [
    # protoc reads range bounds as 32-bit integers and stores the end plus one.
    ("reserved 5 to 2147483648;", "3:17: Integer out of range."),
    ("extensions 2147483648;", "3:14: Integer out of range."),
    ("reserved 5 to 2147483647;", "3:12: Reserved range end number must be greater than start number."),
    ("extensions 2147483647;", "3:24: Field number out of bounds."),
    ("extensions 2147483647 to 2147483647;", "3:25: Field number out of bounds."),
    ("extensions 5 to 2147483647;", "3:29: Field number out of bounds."),
    # Outside a MessageSet, `max` is 536870911 and no extension number may pass it.
    ("extensions 536870912 to max;", "3:14: Extension range end number must be greater than start number."),
    ("extensions 536870911 to 536870916;", "3:14: Extension numbers cannot be greater than 536870911."),
    ("option message_set_wire_format = true;\n  optional int32 a = 1;",
     "4:18: MessageSets cannot have fields, only extensions."),
    # Overlaps: two of a kind are reported at the earlier range, a mixed pair at the extension range.
    ("extensions 1 to 2;\n  extensions 5;\n  extensions 3 to 10;",
     "4:14: Extension range 3 to 10 overlaps with already-defined range 5 to 5."),
    ("reserved 1 to 10;\n  reserved 5;", "3:12: Reserved range 5 to 5 overlaps with already-defined range 1 to 10."),
    ("reserved 1 to 2;\n  extensions 3 to 10;\n  reserved 5;",
     "4:14: Extension range 3 to 10 overlaps with reserved range 5 to 5."),
])
def test_ranges_refused_as_protoc_refuses_them(tmp_path: Path, body: str, expected: str) -> None:
    assert error_at(tmp_path, f'syntax = "proto2";\nmessage M {{\n  {body}\n}}\n') == expected


def test_ranges_protoc_accepts(tmp_path: Path) -> None:
    proto = parsed(tmp_path, 'syntax = "proto2";\nmessage S {\n  option message_set_wire_format = true;\n'
                             "  extensions 4 to 2147483646;\n}\nmessage M {\n  extensions 5 to max;\n"
                             "  reserved 536870912;\n}\nenum E {\n  A = 0;\n  reserved 2147483647, -2147483648;\n}\n"
                             "extend M { optional int32 x = 536870911; }\n")
    assert proto.warnings == []  # type: ignore[attr-defined]
    assert proto.all_messages["M"].extension_ranges == [(5, 536870911)]  # type: ignore[attr-defined]


def test_a_messageset_is_not_proto3(tmp_path: Path) -> None:
    assert error_at(tmp_path, 'syntax = "proto3";\nmessage M {\n  option message_set_wire_format = true;\n}\n') == (
        "2:9: MessageSet is not supported in proto3.")


# --- defaults of enum and message fields, checked once the type is known --------------------------


@pytest.mark.parametrize(("field", "expected"), [
    ("optional M f = 1 [default = A];", "5:31: Messages can't have default values."),
    ("optional E f = 1 [default = 1];", "5:31: Default value for an enum field must be an identifier."),
    ("optional E f = 1 [default = \"A\"];", "5:31: Default value for an enum field must be an identifier."),
    ("optional E f = 1 [default = true];", '5:31: Enum type "p.E" has no value named "true".'),
])
def test_defaults_of_named_types_refused_as_protoc_refuses_them(tmp_path: Path, field: str, expected: str) -> None:
    text = f'syntax = "proto2";\npackage p;\nenum E {{ A = 0; B = 1; }}\nmessage M {{\n  {field}\n}}\n'
    assert error_at(tmp_path, text) == expected


def test_an_enum_default_naming_one_of_its_values_is_accepted(tmp_path: Path) -> None:
    proto = parsed(tmp_path, 'syntax = "proto2";\nenum E { A = 0; B = 1; }\n'
                             "message M { optional E f = 1 [default = B]; }\n")
    assert proto.warnings == []  # type: ignore[attr-defined]
