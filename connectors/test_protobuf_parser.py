"""Corner cases of the .proto lexer, parser, name resolution and column trees."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from connectors.models import Column
from connectors.protobuf import (
    MAX_NESTING,
    WELL_KNOWN_FILES,
    ProtoFile,
    ProtoParseError,
    find_message,
    iter_columns,
    message_columns,
    parse_file,
    parse_text,
)


def columns_of(text: str, message: str | None = None, tmp_path: Path | None = None) -> list[Column]:
    return message_columns(find_message(load(text, tmp_path), message))


def load(text: str, tmp_path: Path | None = None, name: str = "test.proto") -> ProtoFile:
    """Parse and resolve `text` as a file (in tmp_path when given, so imports can be found)."""
    if tmp_path is None:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_text(text)
            return parse_file(path)
    path = tmp_path / name
    path.write_text(text)
    return parse_file(path, [tmp_path])


def error_of(text: str) -> ProtoParseError:
    """The error of `text` read as the file `t.proto`: grammar, resolution and protoc's checks."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder, pytest.raises(ProtoParseError) as caught:
        (Path(folder) / "t.proto").write_text(text)
        parse_file(Path(folder) / "t.proto")
    error = caught.value
    return ProtoParseError(error.message, Path(error.file).name, error.line, error.column)


def shape(columns: Iterable[Column]) -> list[Any]:
    """A compact view: name:TYPE, name:ARRAY<T>, with children in brackets."""
    out: list[Any] = []
    for column in columns:
        kind = column.data_type
        if kind == "ARRAY":
            kind = f"ARRAY<{column.array_data_type}>"
        out.append(f"{column.name}:{kind}")
        if column.children:
            out.append(shape(column.children))
    return out


# --- lexer ------------------------------------------------------------------


def test_comments_between_any_tokens() -> None:
    text = """/*a*/syntax/*b*/=//c
    "proto3"/*d*/;package/**/a/* */./* */b;message/**/M/**/{/**/repeated/**/a/**/./**/b/**/.M/**/m/**/=/**/1/**/;}"""
    proto = load(text)
    assert proto.package == "a.b"
    assert shape(message_columns(proto.messages[0])) == ["m:ARRAY<RECORD>"]


def test_adjacent_strings_are_joined_and_escapes_decoded(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "b.proto").write_text('syntax = "proto3"; message B { int32 x = 1; }')
    proto = load('syntax = "pro" \'to3\'; import "d" "\\x69r/\\142" \'.proto\'; message A { B b = 1; }', tmp_path)
    assert proto.syntax == "proto3"
    assert proto.imports[0][0] == "dir/b.proto"
    assert shape(message_columns(proto.messages[0])) == ["b:RECORD", ["x:INT"]]


def test_every_escape_form_is_accepted() -> None:
    escapes = r'''"\a\b\f\n\r\t\v\\\?\'\"\0\12\177\x4\x41\u00e9\U0001F600"'''
    text = f'syntax = "proto2"; message M {{ optional string s = 1 [default = {escapes}]; }}'
    assert parse_text(text).messages[0].fields[0].name == "s"


@pytest.mark.parametrize("literal", [r'"\q"', r'"\x"', r'"\u12"', r'"\UFFFFFFFF"', r'"\U00200000"', r'"\U12"'])
def test_bad_escapes_are_located_errors(literal: str) -> None:
    error = error_of(f'syntax = "proto2"; message M {{ optional string s = 1 [default = {literal}]; }}')
    assert error.line == 1 and error.column >= 62
    assert "escape" in error.message


@pytest.mark.parametrize("value", ["0x7f", "0X7F", "-017", "0", "-0", "1.", ".5", "1e5", "1E+5", "-1.5e-3", "0.0",
                                   "0e0", "inf", "-inf", "nan", "-nan", "18446744073709551616", "1.e5"])
def test_number_forms_in_option_values(value: str) -> None:
    parse_text(f'syntax = "proto2"; message M {{ optional double d = 1 [default = {value}]; }}')


# protoc 35.1's message and column for each: it points at the first character that does not fit.
@pytest.mark.parametrize(("value", "message", "column"), [
    ("0.0.0", "Already saw decimal point or exponent; can't have another one.", 68),
    ("1to3", "Need space between number and identifier.", 66),
    ("08", "Numbers starting with leading zero must be in octal.", 66),
    ("09.5", "Numbers starting with leading zero must be in octal.", 66),
    ("0x", "\"0x\" must be followed by hex digits.", 67),
    ("1e", "\"e\" must be followed by exponent.", 67),
    ("1e+", "\"e\" must be followed by exponent.", 68),
    ("012.5", "Hex and octal numbers must be integers.", 68),
    ("0x1.5", "Hex and octal numbers must be integers.", 68),
    ("1.0f", "Need space between number and identifier.", 68),
])
def test_malformed_numbers(value: str, message: str, column: int) -> None:
    error = error_of(f'syntax = "proto2"; message M {{ optional double d = 1 [default = {value}]; }}')
    assert error.message == message
    assert (error.line, error.column) == (1, column)


def test_field_numbers_in_hex_and_octal() -> None:
    proto = parse_text('syntax = "proto3"; message M { int32 a = 0x10; int32 b = 010; int32 c = 536870911; }')
    assert [field.number for field in proto.messages[0].fields] == [16, 8, 536870911]


def test_byte_order_mark_only_at_start() -> None:
    assert parse_text('\ufeffsyntax = "proto3"; message M {}').syntax == "proto3"
    assert "byte order mark" in error_of('syntax = "proto3";\n\ufeffmessage M {}').message


@pytest.mark.parametrize(("text", "where"), [
    # protoc reports an open comment at the end of the text and an open string at the end of its line.
    ('syntax = "proto3";\nmessage M { int32 a = 1; }\n/* open', (3, 8)),
    ('syntax = "proto3";\noption x = "abc\n;', (2, 16)),
    ('syntax = "proto3";\nmessage M { int32 é = 1; }', (2, 19)),
    ('syntax = "proto3";\nmessage M { int32 a = 1; } \x00', (2, 28)),
])
def test_lexical_errors_are_located(text: str, where: tuple[int, int]) -> None:
    error = error_of(text)
    assert (error.line, error.column) == where
    assert str(error).startswith(f"t.proto:{where[0]}:{where[1]}: ")


# --- parser -----------------------------------------------------------------


def test_keywords_are_names_where_protoc_allows() -> None:
    text = """syntax = "proto3"; package syntax.import;
    message message { int32 message = 1; int32 optional = 2; int32 to = 3; int32 max = 4; int32 stream = 5; }
    message map { int32 x = 1; }
    message stream { int32 y = 1; }
    enum enum { to = 0; max = 1; inf = 2; syntax = 3; }
    message Use {
      map m = 1; map<string, map> mm = 2; repeated message ms = 3; .syntax.import.enum e = 4;
      optional enum oe = 5; stream s = 6; import.message im = 7;
    }
    service service { rpc rpc(stream stream) returns (.syntax.import.stream) {} rpc returns(map) returns (map); }"""
    assert shape(columns_of(text, "Use")) == [
        "m:RECORD", ["x:INT"], "mm:MAP", ["key:STRING", "value:RECORD", ["x:INT"]],
        "ms:ARRAY<RECORD>", ["message:INT", "optional:INT", "to:INT", "max:INT", "stream:INT"],
        "e:ENUM", "oe:ENUM", "s:RECORD", ["y:INT"], "im:RECORD",
        ["message:INT", "optional:INT", "to:INT", "max:INT", "stream:INT"]]


def test_groups_in_messages_oneofs_and_extends() -> None:
    text = """syntax = "proto2"; package g;
    message M {
      optional group Single = 1 { optional int32 a = 1; repeated group Inner = 2 { optional string s = 1; } }
      oneof choice { group Picked = 3 { optional int32 id = 1; } string other = 4; }
      extensions 100 to max;
      extend M { optional group Ext = 100 { optional int32 e = 1; } }
    }
    extend M { repeated group Top = 101 { optional int32 t = 1; } }"""
    proto = load(text)
    assert list(proto.all_messages) == ["g.M", "g.M.Single", "g.M.Single.Inner", "g.M.Picked", "g.M.Ext", "g.Top"]
    assert [message.name for message in proto.messages] == ["M", "Top"]
    assert shape(message_columns(proto.messages[0])) == [
        "single:RECORD", ["a:INT", "inner:ARRAY<RECORD>", ["s:STRING"]], "picked:RECORD", ["id:INT"],
        "other:STRING"]


def test_options_of_every_shape() -> None:
    text = """syntax = "proto2"; package o;
    import "google/protobuf/descriptor.proto";
    option java_package = "a" "b";
    option (my.file).a.(b.c).d = -inf;
    option (x) = { a: 1 b: [1, 2] c < d: "}" > e { f: 'x' } [g.h]: 5 [type.googleapis.com/x.Y] { z: 1 } # note
    };
    message M {
      option (m) = { };
      optional int32 a = 1 [default = -0x10, (f) = {a: {b: {c: 1}}}, (g).h = "i", json_name = "A"];
      extensions 10 to 20 [declaration = { number: 10 full_name: ".o.e" type: "int32" }, verification = DECLARATION];
      reserved 2, 3 to 5, 100 to max;
      reserved "x", "y";
      enum E { option allow_alias = true; reserved -10 to -1, 7; reserved "Q"; A = 0 [(v) = 1]; B = 0; C = -15; }
    }
    service S { option (s) = { a: 1 }; rpc R(M) returns (M) { option (r) = { b: 2 }; ; } ; }"""
    assert shape(columns_of(text)) == ["a:INT"]


@pytest.mark.parametrize(("text", "message"), [
    ('syntax = "proto3"; message M { int32 a = 1 [deprecated = true,]; }', "Expected identifier."),
    ('syntax = "proto3"; message M { int32 a = 1 [deprecated = ]; }', "Expected option value."),
    ('syntax = "proto3"; option x = -foo;', "inf or nan"),
    ('syntax = "proto3"; option x = -"s";', "Expected option value."),
    ('syntax = "proto3"; option x = { a: 1 ;', "aggregate value"),
    ('syntax = "proto3"; option x = a.b;', 'Expected ";".'),
    ('syntax = "proto3"; package a; package b;', "Multiple package definitions."),
    ('syntax = "proto3"; message M { int32 a = 1 }', 'Expected ";".'),
    ('syntax = "proto3"; message M { int32 = 1; }', "Expected field name."),
    ('syntax = "proto3"; message M { int32 a 1; }', "Missing field number."),
    ('syntax = "proto3"; message M { int32 a = b; }', "Expected field number."),
    ('syntax = "proto3"; message M { int32 a = -1; }', "Expected field number."),
    ('syntax = "proto3"; message M { required int32 a = 1; }', "Required fields are not allowed in proto3."),
    ('syntax = "proto3"; message M { oneof o { optional int32 a = 1; } }', "must not have labels"),
    ('syntax = "proto3"; message M { map<bytes, string> m = 1; }', "Key in map fields"),
    ('syntax = "proto2"; message M { extend M { map<string, string> m = 1; } }', "not allowed to be extensions"),
    ('edition = "2023"; message M { group G = 1 {} }', "Group syntax is no longer supported in editions"),
    ('edition = "2023"; import option "x.proto";', "only supported in edition 2024"),
    ('edition = "2024"; import weak "x.proto";', "weak import is not supported"),
    ('edition = "2023"; export message M {}', "Expected top-level statement"),
    ('syntax = "proto3"; message M { message N { int32 a = 1; }', "missing '}'"),
    ('syntax = "proto3"; enum E { A = 0; ', "missing '}'"),
    ('syntax = "proto3"; enum E { A = 1.5; }', "Expected integer."),
    ('syntax = "proto3"; service S { rpc A(M) returns M; }', 'Expected "(".'),
    ('syntax = "proto3"; service S { message M {} }', 'Expected "rpc" or "option".'),
    ('syntax = "proto3"; message M { reserved 1 to; }', "Expected field number range."),
    ('syntax = "proto3"; message M { reserved "a", b; }', "Expected string."),
    ('syntax = "proto3"; message M { int32 a = 1; message a {} }', '"a" is already defined in "M".'),
    ('syntax = "proto3"; enum E { A = 0; } enum F { A = 0; }', '"A" is already defined.'),
    ('syntax = "proto3"; message M { int32 a = 19999; }', "19000 through 19999"),
    ('syntax = "proto2"; message M { optional int32 a = 1; oneof o { int32 b = 1; } }', "Field number 1"),
    ("syntax = proto3;", 'Expected a string after "syntax ="'),
    ('syntax = "proto3"; }', "Expected top-level statement"),
    ('syntax = "proto3"; message M { int32.x a = 1; }', "Expected field name."),
    ('syntax = "proto3"; message M { .int32 a = 1 ; } message N { M.. x = 1; }', "Expected identifier."),
    ('syntax = "proto2"; message M { optional int32 a = 1 [default = 1.5]; }', "Expected integer for field default"),
    ('syntax = "proto2"; message M { optional int32 a = 1 [default = 2147483648]; }', "Integer out of range."),
    ('syntax = "proto2"; message M { optional uint32 a = 1 [default = -1]; }', "can't have negative default"),
    ('syntax = "proto2"; message M { optional double a = 1 [default = INF]; }', "Expected number."),
    ('syntax = "proto2"; message M { optional bool a = 1 [default = True]; }', 'Expected "true" or "false".'),
    ('syntax = "proto2"; message M { optional string a = 1 [default = x]; }', "Expected string for field default"),
    ('syntax = "proto2"; message M { optional group G = 1 [default = 1] {} }', "Messages can't have default values."),
    ('syntax = "proto3"; message M { string a = 1 [default = "x"]; }', "not allowed in proto3"),
    ('syntax = "proto3"; message M { string a = 1 [json_name = A]; }', "Expected string for JSON name."),
    ('syntax = "proto3"; option x = +1;', "Expected option value."),
    ('syntax = "proto3"; message M { oneof o { } }', "Expected type name."),
    ('syntax = "proto3"; message M { oneof o { ; int32 a = 1; } }', "Expected type name."),
    ('syntax = "proto3"; enum E { }', "Enums must contain at least one value."),
    ('syntax = "proto3"; enum E { A = 0; B = 2147483648; }', "Integer out of range."),
    ('syntax = "proto3"; message M { extensions 100 to 200; }', "Extension ranges are not allowed in proto3."),
    ('syntax = "proto2"; message M { extend M { required int32 r = 1; } }', "cannot be required"),
    ('edition = "2024"; message local {} message M { local l = 1; }', "visibility modifiers are valid only"),
    ('edition = "2024"; export service S {}', "visibility modifiers are valid only"),
    ('edition = "2023"; enum E { A = 1; }', "The first enum value must be zero for open enums."),
    ('edition = "2023"; enum E { option features.enum_type = OPEN; A = 1; }', "must be zero for open enums."),
    ('syntax = "proto3"; message stream {} service S { rpc A(stream) returns (stream); }', "Expected type name."),
])
def test_syntax_errors(text: str, message: str) -> None:
    error = error_of(text)
    assert message in error.message
    assert error.line == 1 and error.column > 1


def test_a_package_below_definitions_still_names_them() -> None:
    text = """syntax = "proto3";
    message A { B b = 1; late.B c = 2; }
    message B { int32 x = 1; }
    package late;
    message C { A a = 1; }"""
    proto = load(text)
    assert list(proto.all_messages) == ["late.A", "late.B", "late.C"]
    assert shape(message_columns(proto.all_messages["late.C"])) == [
        "a:RECORD", ["b:RECORD", ["x:INT"], "c:RECORD", ["x:INT"]]]
    assert proto.warnings == []


def test_extension_numbers_may_reach_the_message_set_limit() -> None:
    text = """syntax = "proto2";
    message Set { option message_set_wire_format = true; extensions 4 to max; }
    extend Set { optional string big = 2147483647; }"""
    assert parse_text(text).fields[0].number == 2**31 - 1
    assert "cannot be greater than 536870911" in error_of(
        'syntax = "proto2"; message M { optional int32 a = 536870912; }').message


def test_accepted_defaults_and_closed_editions_enums() -> None:
    parse_text("""syntax = "proto2"; enum E { A = 1; } message M {
      optional int32 a = 1 [default = -2147483648]; optional uint64 b = 2 [default = 0xFFFFFFFFFFFFFFFF];
      optional double c = 3 [default = -inf]; optional float d = 4 [default = 5]; optional bool e = 5 [default = true];
      optional bytes f = 6 [default = "\\0" 'x']; optional E g = 7 [default = A, json_name = "G"]; }""")
    parse_text('edition = "2023"; enum E { option features.enum_type = CLOSED; A = 1; }')
    parse_text('edition = "2023"; enum E { A = 1; } option features.enum_type = CLOSED;')


def test_extension_numbers_must_be_in_a_declared_range() -> None:
    proto = load("""syntax = "proto2"; import "google/protobuf/descriptor.proto";
    message M { extensions 10 to 20, 30; }
    extend M { optional int32 a = 10; optional int32 b = 30; }
    extend google.protobuf.FieldOptions { optional string c = 50000; }""")
    assert [field.name for field in proto.fields] == ["a", "b", "c"]
    with pytest.raises(ProtoParseError, match=r'"M" does not declare 21 as an extension number\.'):
        load('syntax = "proto2"; message M { extensions 10 to 20; }\nextend M { optional int32 a = 21; }')


def test_proto2_is_assumed_without_syntax() -> None:
    proto = parse_text("message M { optional int32 a = 1; }")
    assert proto.syntax == "proto2"
    assert "no syntax specified" in proto.warnings[0]
    assert "Expected \"required\"" in error_of("message M { int32 a = 1; }").message


def test_editions_syntax() -> None:
    text = """edition = "2024"; package e; import option "google/protobuf/descriptor.proto";
    option features.field_presence = IMPLICIT;
    export message A { local message B { int32 x = 1; } B b = 1 [features.message_encoding = DELIMITED];
      repeated int32 r = 2 [features.repeated_field_encoding = EXPANDED]; reserved foo, bar; }
    local enum E { option features.enum_type = CLOSED; E1 = 1; reserved BAD; }
    message local { int32 export = 1; E e = 2; }"""
    proto = parse_text(text)
    assert proto.edition == "2024"
    assert [message.full_name for message in proto.all_messages.values()] == ["e.A", "e.A.B", "e.local"]


# --- name resolution and imports ----------------------------------------------


def test_innermost_scope_and_partial_names() -> None:
    text = """syntax = "proto3"; package a.b;
    message Bar { int32 top = 1; }
    message Foo {
      message Bar { int32 inner = 1; }
      int32 Baz = 9;
      Bar x = 1; .a.b.Bar y = 2; b.Bar z = 3; a.b.Bar w = 4; Foo.Bar v = 5;
    }
    message Baz { int32 baz = 1; }
    message Q { Foo.Baz not_a_type = 1; }"""
    proto = load(text)
    assert shape(message_columns(proto.all_messages["a.b.Foo"])) == [
        "Baz:INT", "x:RECORD", ["inner:INT"], "y:RECORD", ["top:INT"], "z:RECORD", ["top:INT"], "w:RECORD",
        ["top:INT"], "v:RECORD", ["inner:INT"]]
    assert shape(message_columns(proto.all_messages["a.b.Q"])) == ["not_a_type:UNKNOWN"]
    assert any('"Foo.Baz"' in warning and "not a message or enum" in warning for warning in proto.warnings)


def test_a_field_does_not_hide_a_type_of_the_same_name() -> None:
    text = """syntax = "proto3"; package p;
    message Thing { int32 v = 1; }
    message M { int32 Thing = 1; Thing t = 2; }"""
    assert shape(columns_of(text, "M")) == ["Thing:INT", "t:RECORD", ["v:INT"]]


def test_public_imports_are_transitive_and_plain_ones_are_not(tmp_path: Path) -> None:
    (tmp_path / "c.proto").write_text('syntax = "proto3"; package c; message C { int32 c = 1; }')
    (tmp_path / "b.proto").write_text('syntax = "proto3"; package b; import public "c.proto"; message B { c.C c = 1; }')
    (tmp_path / "x.proto").write_text('syntax = "proto3"; package x; import "c.proto"; message X { int32 x = 1; }')
    (tmp_path / "a.proto").write_text('syntax = "proto3"; package a; import public "b.proto"; message A {}')
    proto = load('syntax = "proto3"; import "a.proto"; import "x.proto";\n'
                 "message M { b.B b = 1; c.C c = 2; x.X x = 3; }", tmp_path, "m.proto")
    assert shape(message_columns(proto.messages[0])) == [
        "b:RECORD", ["c:RECORD", ["c:INT"]], "c:RECORD", ["c:INT"], "x:RECORD", ["x:INT"]]
    hidden = load('syntax = "proto3"; import "x.proto"; message M { c.C c = 1; }', tmp_path, "n.proto")
    assert shape(message_columns(hidden.messages[0])) == ["c:UNKNOWN"]


def test_imports_from_the_files_own_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "dep.proto").write_text('syntax = "proto3"; message D { string d = 1; }')
    (tmp_path / "sub" / "main.proto").write_text('syntax = "proto3"; import "dep.proto"; message M { D d = 1; }')
    proto = parse_file(tmp_path / "sub" / "main.proto")
    assert shape(message_columns(proto.messages[0])) == ["d:RECORD", ["d:STRING"]]
    assert proto.warnings == []


def test_missing_import_is_a_warning(tmp_path: Path) -> None:
    proto = load('syntax = "proto3";\nimport "nowhere/x.proto";\nmessage M { nowhere.X x = 1; }', tmp_path)
    assert shape(message_columns(proto.messages[0])) == ["x:UNKNOWN"]
    assert 'test.proto:2:1: import "nowhere/x.proto" was not found' in proto.warnings[0]
    assert "test.proto:3:13" in proto.warnings[1]  # where the type is written, as protoc says


@pytest.mark.parametrize("name", ["../secret.proto", "a/../../b.proto", "/etc/passwd", "C:/x.proto", ""])
def test_imports_that_leave_the_roots_are_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / "secret.proto").write_text('syntax = "proto3"; message S {}')
    (tmp_path / "root").mkdir()
    with pytest.raises(ProtoParseError, match="refused"):
        load(f'syntax = "proto3";\nimport "{name}";\nmessage M {{}}', tmp_path / "root")


def test_an_empty_import_is_fine_but_an_empty_file_to_read_is_not(tmp_path: Path) -> None:
    (tmp_path / "empty.proto").write_text("")
    proto = load('syntax = "proto3"; import "empty.proto"; message M {}', tmp_path)
    assert proto.messages[0].name == "M"
    with pytest.raises(ProtoParseError, match="is empty"):
        parse_file(tmp_path / "empty.proto")


def test_import_cycle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "b.proto").write_text('syntax = "proto3"; import "a.proto"; message B {}')
    with pytest.raises(ProtoParseError, match="recursively imports itself"):
        load('syntax = "proto3"; import "b.proto"; message A {}', tmp_path, "a.proto")


def test_syntax_error_in_an_import_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "bad.proto").write_text('syntax = "proto3";\nmessage B { int32 b = 1 }')
    with pytest.raises(ProtoParseError) as caught:
        load('syntax = "proto3"; import "bad.proto"; message A {}', tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'bad.proto'}:2:25: ")


def test_well_known_types_are_built_in_and_need_their_import() -> None:
    imports = "".join(f'import "{name}";' for name in WELL_KNOWN_FILES)
    text = f"""syntax = "proto3"; {imports}
    message M {{ google.protobuf.Timestamp t = 1; google.protobuf.Struct s = 2; google.protobuf.Any a = 3;
      google.protobuf.FileDescriptorSet fds = 4; google.protobuf.compiler.CodeGeneratorRequest req = 5;
      pb.CppFeatures cpp = 6; google.protobuf.Api api = 7; }}"""
    proto = load(text)
    assert proto.warnings == []
    columns = message_columns(proto.messages[0])
    assert shape(columns[:3]) == [
        "t:RECORD", ["seconds:INT", "nanos:INT"],
        "s:RECORD", ["fields:MAP", ["key:STRING", "value:RECORD", [
            "null_value:ENUM", "number_value:DOUBLE", "string_value:STRING", "bool_value:BOOLEAN",
            "struct_value:RECORD", "list_value:RECORD", ["values:ARRAY<RECORD>"]]]],
        "a:RECORD", ["type_url:STRING", "value:BYTES"]]
    assert len(list(iter_columns(columns))) > 1000
    without = load('syntax = "proto3"; message M { google.protobuf.Timestamp t = 1; }')
    assert shape(message_columns(without.messages[0])) == ["t:UNKNOWN"]


def test_a_well_known_file_on_disk_wins(tmp_path: Path) -> None:
    (tmp_path / "google" / "protobuf").mkdir(parents=True)
    (tmp_path / "google" / "protobuf" / "empty.proto").write_text(
        'syntax = "proto3"; package google.protobuf; message Empty { int32 local_copy = 1; }')
    proto = load('syntax = "proto3"; import "google/protobuf/empty.proto"; message M { google.protobuf.Empty e = 1; }',
                 tmp_path)
    assert shape(message_columns(proto.messages[0])) == ["e:RECORD", ["local_copy:INT"]]


# --- column trees ---------------------------------------------------------------


def test_recursion_is_cut_at_the_first_repeated_ancestor() -> None:
    text = """syntax = "proto3";
    message T { T a = 1; T b = 2; repeated T c = 3; map<string, T> d = 4; U u = 5; }
    message U { T t = 1; U u = 2; }"""
    assert shape(columns_of(text, "T")) == [
        "a:RECORD", "b:RECORD", "c:ARRAY<RECORD>", "d:MAP", ["key:STRING", "value:RECORD"],
        "u:RECORD", ["t:RECORD", "u:RECORD"]]


def test_many_self_references_finish_at_once() -> None:
    fields = " ".join(f"N f{i} = {i};" for i in range(1, 201))
    columns = columns_of(f'syntax = "proto3"; message N {{ {fields} }}')  # each reference cut at once: no blow-up
    assert len(columns) == 200 and all(not column.children for column in columns)


def test_an_exploding_tree_is_refused_with_a_clear_error() -> None:
    chain = " ".join(f"message M{i} {{ M{i + 1} a = 1; M{i + 1} b = 2; }}" for i in range(40))
    proto = load(f'syntax = "proto3"; {chain} message M40 {{ int32 x = 1; }}')
    with pytest.raises(ProtoParseError, match="more than 100000 columns"):
        message_columns(proto.all_messages["M0"])
    assert len(message_columns(proto.all_messages["M30"])) == 2


def test_deep_definitions_and_deep_trees_give_clear_errors() -> None:
    depth = MAX_NESTING + 50
    nested = "message M { " * depth + "}" * depth
    error = error_of('syntax = "proto3"; ' + nested)
    assert f"nested more than {MAX_NESTING} levels" in error.message
    chain = " ".join(f"message C{i} {{ C{i + 1} next = 1; }}" for i in range(depth))
    proto = load(f'syntax = "proto3"; {chain} message C{depth} {{}}')
    with pytest.raises(ProtoParseError, match=f"nested more than {MAX_NESTING} levels"):
        message_columns(proto.all_messages["C0"])


# Run in a fresh interpreter, whose stack at the top level is a frame deep, so that a fixed, modest
# recursion limit means the same whatever runs the suite; this process's limit is never touched.
_UNDER_A_LOWERED_LIMIT = """
import json, sys
from connectors.protobuf import ProtoParseError, find_message, message_columns, parse_file, parse_text

def outcome(run):
    try:
        run()
    except ProtoParseError as error:
        return [error.line, error.message]
    except RecursionError:
        return "a bare RecursionError"
    return "no error"

def nested(depth):
    return 'syntax = "proto3"; ' + "message M { " * depth + "}" * depth

chain = parse_file(sys.argv[1])  # C0 -> C1 -> ... -> C80, read under the usual limit
limit = sys.getrecursionlimit()
sys.setrecursionlimit(120)
try:
    found = {
        "deep parse": outcome(lambda: parse_text(nested(80), "t.proto")),
        "shallow parse": outcome(lambda: parse_text(nested(5), "t.proto")),
        "deep tree": outcome(lambda: message_columns(find_message(chain, "C0"))),
        "shallow tree": outcome(lambda: message_columns(find_message(chain, "C75"))),
    }
finally:
    sys.setrecursionlimit(limit)
print(json.dumps(found))
"""


def test_a_lowered_recursion_limit_still_gives_a_located_error(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    chain = " ".join(f"message C{i} {{ C{i + 1} next = 1; }}" for i in range(80))
    path = tmp_path / "chain.proto"
    path.write_text(f'syntax = "proto3"; {chain} message C80 {{}}')
    done = subprocess.run([sys.executable, "-c", _UNDER_A_LOWERED_LIMIT, str(path)], capture_output=True,
                          text=True, cwd=Path(__file__).parent.parent, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "deep parse": [1, "Definitions are nested too deeply for Python's recursion limit."],
        "shallow parse": "no error",  # the limit is low, not so low that nothing parses
        "deep tree": [1, "the column tree of C0 is nested too deeply for Python's recursion limit"],
        "shallow tree": "no error",
    }


def test_deeply_nested_option_literal_is_fine() -> None:
    text = 'syntax = "proto3"; option (x) = ' + "{ a " * 5000 + "}" * 5000 + "; message M {}"
    assert parse_text(text).messages[0].name == "M"


def test_a_map_lookalike_message_is_an_ordinary_array() -> None:
    text = """syntax = "proto3";
    message LabelsEntry { string key = 1; string value = 2; }
    message M { repeated LabelsEntry labels = 1; map<int64, LabelsEntry> m = 2; }"""
    assert shape(columns_of(text, "M")) == [
        "labels:ARRAY<RECORD>", ["key:STRING", "value:STRING"],
        "m:MAP", ["key:INT", "value:RECORD", ["key:STRING", "value:STRING"]]]


# --- choosing a message -------------------------------------------------------------


def test_find_message_by_every_kind_of_name() -> None:
    proto = load("""syntax = "proto3"; package shop.v1;
    message OrderLine { message TaxInfo { int32 r = 1; } }
    message Customer {}""")
    for name in ["shop.v1.OrderLine", ".shop.v1.OrderLine", "OrderLine", "order_line", "orderLine", "ORDER_LINE",
                 "shop.v1.order_line"]:
        assert find_message(proto, name).full_name == "shop.v1.OrderLine"
    for name in ["shop.v1.OrderLine.TaxInfo", "OrderLine.TaxInfo", "order_line.tax_info"]:
        assert find_message(proto, name).full_name == "shop.v1.OrderLine.TaxInfo"
    with pytest.raises(LookupError, match="names no message"):
        find_message(proto, "Invoice")
    with pytest.raises(LookupError, match="2 top-level messages"):
        find_message(proto, None)


def test_find_message_reports_ambiguity() -> None:
    proto = load('syntax = "proto3"; message FooBar {} message foo_bar {}')
    assert find_message(proto, "FooBar").name == "FooBar"
    with pytest.raises(LookupError, match="several messages"):
        find_message(proto, "FOOBAR")
