"""Property-based tests of the .proto parser (hypothesis).

For any text, random or a mutation of a real schema, the parser either
succeeds or raises its own ProtoParseError with a location; generated valid
schemas give the column trees their structure implies; and the cost per byte
stays flat as inputs grow (a ratio, not a wall-clock limit).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from connectors.protobuf import (  # noqa: E402
    SCALAR_TYPES,
    ProtoFile,
    ProtoParseError,
    message_columns,
    parse_file,
    parse_text,
)

CORPUS = Path(__file__).parent / "testdata" / "proto" / "corpus"
SAMPLES = {str(path.relative_to(CORPUS)): path.read_text() for path in sorted(CORPUS.rglob("*.proto"))}
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TOKENS = [
    "syntax", "edition", "=", '"proto2"', '"proto3"', '"2023"', '"2024"', ";", "package", "import", "public", "weak",
    "option", "message", "enum", "service", "rpc", "returns", "stream", "extend", "extensions", "reserved", "to",
    "max", "oneof", "map", "<", ">", ",", "group", "optional", "repeated", "required", "{", "}", "[", "]", "(", ")",
    ".", "-", "+", ":", "/", "#", "$", "int32", "string", "bytes", "double", "Foo", "foo", "G", "x", "inf", "nan",
    "0", "1", "7", "0x1F", "017", "1.5", ".5", "1e9", "1to3", "0.0.0", "08", '"a\\x41"', "'b'", '"\\q"', '"open',
    "/* c */", "// c\n", "/* open", "\n", "\t", "\ufeff", "é", "\x00", "export", "local", "true",
    # editions features, so that their literal reader and the checks built on them are fuzzed too
    "features", "enum_type", "CLOSED", "OPEN", "field_presence", "IMPLICIT", "json_format", "LEGACY_BEST_EFFORT",
    "[pb.cpp]", '"UNSTABLE"',
]


_FUZZ_FOLDER = tempfile.TemporaryDirectory()


def assert_parses_or_fails_with_a_location(text: str) -> ProtoFile | None:
    """The property: success (grammar, resolution, checks, columns), or our own error carrying file:line:column."""
    if not text.strip(" \t\n\r\f\v"):  # protobuf's white space (Python's str.strip() also takes '\x1f')
        return parse_text(text, "fuzz.proto")  # an empty file to ingest is refused, with no line to give
    path = Path(_FUZZ_FOLDER.name) / "fuzz.proto"
    path.write_text(text, encoding="utf-8")
    try:
        proto = parse_file(path)
    except ProtoParseError as error:
        assert error.file == str(path)
        assert error.line >= 1 and error.column >= 1
        assert str(error).startswith(f"{path}:{error.line}:{error.column}: ")
        assert error.line <= text.count("\n") + 1
        return None
    for message in proto.all_messages.values():
        message_columns(message)
    return proto


@FAST
@given(st.lists(st.sampled_from(TOKENS), max_size=80).map(" ".join))
def test_random_token_soup(text: str) -> None:
    assert_parses_or_fails_with_a_location(text)


@FAST
@given(st.text(max_size=300))
def test_random_characters(text: str) -> None:
    assert_parses_or_fails_with_a_location(text)


@st.composite
def mutated_sample(draw: Callable[..., Any]) -> str:
    text: str = SAMPLES[draw(st.sampled_from(sorted(SAMPLES)))]
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        operation = draw(st.sampled_from(["delete", "insert", "replace", "duplicate"]))
        if operation == "delete":
            text = text[:start] + text[end:]
        elif operation == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        else:
            token = draw(st.sampled_from(TOKENS))
            text = text[:start] + f" {token} " + (text[end:] if operation == "replace" else text[start:])
    return text


@FAST
@given(mutated_sample())
def test_mutated_real_schemas(text: str) -> None:
    assert_parses_or_fails_with_a_location(text)


def test_every_sample_still_parses_unmutated() -> None:
    for name, text in SAMPLES.items():
        assert assert_parses_or_fails_with_a_location(text) is not None, name


# --- generated valid schemas give the trees their structure implies ------------------

NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
SCALARS = sorted(SCALAR_TYPES)
KEYS = sorted(set(SCALARS) - {"double", "float", "bytes"})


@st.composite
def schema(draw: Callable[..., Any]) -> tuple[str, list[list[tuple[str, str, str, Any]]]]:
    """Up to four messages M0..M3 whose fields are scalars, enums, maps or references to any message."""
    count = draw(st.integers(1, 4))
    messages = []
    for _ in range(count):
        # Names that differ only in underscores would clash as JSON names, which protoc refuses.
        names = draw(st.lists(NAMES, unique_by=lambda name: name.replace("_", ""), max_size=6))
        fields = []
        for name in names:
            label = draw(st.sampled_from(["", "repeated"]))
            kind = draw(st.sampled_from(["scalar", "enum", "message", "map"]))
            if kind == "scalar":
                target: Any = draw(st.sampled_from(SCALARS))
            elif kind == "enum":
                target = "E"
            elif kind == "message":
                target = draw(st.integers(0, count - 1))
            else:
                label = ""
                value = draw(st.one_of(st.sampled_from(SCALARS), st.integers(0, count - 1)))
                target = (draw(st.sampled_from(KEYS)), value)
            fields.append((name, label, kind, target))
        messages.append(fields)

    def type_text(target: Any) -> str:
        return f"M{target}" if isinstance(target, int) else target

    lines = ['syntax = "proto3";', "package gen;", "enum E { E0 = 0; }"]
    for index, fields in enumerate(messages):
        body = []
        for number, (name, label, kind, target) in enumerate(fields, start=1):
            if kind == "map":
                body.append(f"map<{target[0]}, {type_text(target[1])}> {name} = {number};")
            else:
                body.append(f"{label} {type_text(target)} {name} = {number};".strip())
        lines.append(f"message M{index} {{ {' '.join(body)} }}")
    return "\n".join(lines), messages


def expected_tree(messages: list[list[tuple[str, str, str, Any]]], index: int, path: frozenset[int]) -> list[Any]:
    """The column bodies (as `Column.to_dict()` gives them) the generated message implies."""
    def display(target: Any) -> str:
        return f"gen.M{target}" if isinstance(target, int) else "gen.E" if target == "E" else target

    def typed(name: str, target: Any) -> dict[str, Any]:
        if isinstance(target, int):
            column: dict[str, Any] = {"name": name, "dataType": "RECORD", "dataTypeDisplay": display(target)}
            if target not in path:
                children = expected_tree(messages, target, path | {target})
                if children:
                    column["children"] = children
            return column
        if target == "E":
            return {"name": name, "dataType": "ENUM", "dataTypeDisplay": "gen.E"}
        return {"name": name, "dataType": SCALAR_TYPES[target], "dataTypeDisplay": target}

    columns = []
    for name, label, kind, target in messages[index]:
        if kind == "map":
            columns.append({"name": name, "dataType": "MAP",
                            "dataTypeDisplay": f"map<{target[0]}, {display(target[1])}>",
                            "children": [typed("key", target[0]), typed("value", target[1])]})
        elif label == "repeated":
            column = typed(name, target)
            array = {"name": name, "dataType": "ARRAY", "arrayDataType": column["dataType"],
                     "dataTypeDisplay": f"repeated {display(target)}"}
            if "children" in column:
                array["children"] = column["children"]
            columns.append(array)
        else:
            columns.append(typed(name, target))
    return columns


_FOLDER = tempfile.TemporaryDirectory()


@FAST
@given(schema())
def test_generated_schemas_give_their_column_trees(generated: tuple[str, list[Any]]) -> None:
    text, messages = generated
    path = Path(_FOLDER.name) / "gen.proto"
    path.write_text(text)
    proto = parse_file(path)
    assert proto.warnings == []
    for index in range(len(messages)):
        expected = expected_tree(messages, index, frozenset({index}))
        assert [column.to_dict() for column in message_columns(proto.all_messages[f"gen.M{index}"])] == expected

# The cost per byte staying flat (valid input, input failing at its end, pathological repetitions)
# is measured by benchmarks/bench_protobuf.py, side by side, never by a timed test.
