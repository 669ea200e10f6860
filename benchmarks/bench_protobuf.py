"""The .proto parser: a large real-world file against proto-schema-parser, and linear growth.

Figure 1 parses and resolves google/protobuf/descriptor.proto (about 60 KB,
full of comments and options) as shipped with grpcio-tools; when grpcio-tools
is not installed a generated file of the same size stands in, and the note
says so. Its baseline is proto-schema-parser (a pure-Python ANTLR parser,
`pip install -r benchmarks/requirements-protobuf.txt`) on the same text in the
same run; without it there is no baseline. Figure 2 parses a generated 1 MB
file (messages, nested types, enums, maps, oneofs, options and comments);
figure 3 compares its cost per byte with a 100 KB file of the same kind;
figure 4 is the worst growth of the cost per byte, ten times the input, over
texts a careless lexer handles in quadratic time (long runs of strings,
comments, literals, dotted names; unclosed; a schema failing at its end).
Run alone: ``python benchmarks/bench_protobuf.py [--quick]``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from _common import best_of, figure, interleaved

from connectors.protobuf import ProtoParseError, find_message, iter_columns, message_columns, parse_file, parse_text


def descriptor_proto() -> tuple[Path | None, str]:
    """descriptor.proto from an installed grpcio-tools, and where it came from."""
    try:
        import grpc_tools  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        return None, "grpcio-tools not installed"
    path = Path(grpc_tools.__file__).parent / "_proto" / "google" / "protobuf" / "descriptor.proto"
    if not path.is_file():
        return None, f"grpcio-tools {getattr(grpc_tools, '__version__', '')} has no descriptor.proto"
    return path, "google/protobuf/descriptor.proto from grpcio-tools"


def generated_proto(size: int, seed: int = 7) -> str:
    """A deterministic proto3 file of about `size` characters that looks like a real schema."""
    generator = random.Random(seed)
    scalars = ["string", "int32", "int64", "bool", "double", "bytes", "uint64", "float"]
    parts = ['// Generated for benchmarks/bench_protobuf.py.\nsyntax = "proto3";\n\npackage bench.generated;\n\n'
             'import "google/protobuf/timestamp.proto";\n\noption java_multiple_files = true;\n\n']
    length = sum(len(part) for part in parts)
    number = 0
    while length < size:
        fields = []
        for position in range(1, generator.randint(4, 14)):
            kind = generator.random()
            name = f"field_{number}_{position}"
            if kind < 0.5:
                fields.append(f"  {generator.choice(scalars)} {name} = {position};")
            elif kind < 0.6:
                fields.append(f"  repeated {generator.choice(scalars)} {name} = {position} [packed = true];")
            elif kind < 0.7:
                fields.append(f"  map<string, {generator.choice(scalars)}> {name} = {position};")
            elif kind < 0.8 and number:
                fields.append(f"  Message{generator.randrange(number)} {name} = {position};  // a reference")
            elif kind < 0.9:
                fields.append(f"  google.protobuf.Timestamp {name} = {position} [deprecated = true];")
            else:
                fields.append(f"  Kind{number} {name} = {position};")
        text = (
            f"/* Message {number}: a block comment\n * over two lines. */\n"
            f"message Message{number} {{\n"
            f'  option (bench.table) = {{ name: "message_{number}" tags: ["a", "b"] }};\n'
            + "\n".join(fields)
            + f"\n  oneof choice {{\n    string text = 100;\n    Nested nested = 101;\n  }}\n"
            f"  message Nested {{\n    int32 depth = 1;\n    repeated string path = 2;\n  }}\n"
            f"  reserved 200 to 210, 300;\n}}\n\n"
            f"enum Kind{number} {{\n  KIND{number}_UNSPECIFIED = 0;\n"
            f"  KIND{number}_ONE = 1 [deprecated = true];\n}}\n\n"
        )
        parts.append(text)
        length += len(text)
        number += 1
    return "".join(parts)


def proto_schema_parser() -> Callable[[str], Any] | None:
    """proto-schema-parser's parse function with its error chatter silenced, when installed."""
    try:
        from proto_schema_parser.parser import Parser  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None

    def parse(text: str) -> Any:
        with contextlib.redirect_stderr(io.StringIO()):
            return Parser().parse(text)

    return parse


def complaints(parse: Callable[[str], Any], text: str) -> int:
    """How many error lines proto-schema-parser prints for a text."""
    from proto_schema_parser.parser import Parser  # type: ignore[import-not-found, unused-ignore]

    captured = io.StringIO()
    with contextlib.redirect_stderr(captured):
        Parser().parse(text)
    return len([line for line in captured.getvalue().splitlines() if line.strip()])


def measure(quick: bool = False) -> list[dict[str, Any]]:
    """The figures for benchmarks/run.py."""
    repeat = 3 if quick else 10
    peer = proto_schema_parser()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        real, origin = descriptor_proto()
        if real is None:
            real = Path(folder) / "descriptor_stand_in.proto"
            real.write_text(generated_proto(60_000))
            origin = f"NO descriptor.proto ({origin}): a generated 60 KB file stands in"
        text = real.read_text()
        proto = parse_file(real)
        ours = best_of(repeat, lambda: parse_file(real))
        baseline = best_of(2 if quick else 3, lambda: peer(text)) if peer else None
        note = f"{origin}; parse + imports + name resolution, best of {repeat}"
        if peer:
            errors = complaints(peer, text)
            note += "; proto-schema-parser on the same text" + (
                f" (it reported {errors} syntax errors on it)" if errors else "")
        else:
            note += "; proto-schema-parser not installed: no baseline"
        rows.append(figure(f"parse .proto, {len(text) / 1000:.0f} KB real-world file", ours, baseline, "s",
                           ">= 20x faster than proto-schema-parser", 1 / 20, note))

        if proto.package == "google.protobuf":
            message = find_message(proto, "FileDescriptorSet")
            count = len(list(iter_columns(message_columns(message))))
            tree = best_of(repeat, lambda: message_columns(message))
            rows.append(figure(f"column tree of google.protobuf.FileDescriptorSet ({count:,} columns)", tree, None,
                               "s", "informative", None, "every nested message expanded, recursion cut"))

        small_text, large_text = generated_proto(100_000), generated_proto(1_000_000)
        small_path, large_path = Path(folder) / "small.proto", Path(folder) / "large.proto"
        small_path.write_text(small_text)
        large_path.write_text(large_text)
        # Turn about, so that both sizes see the same machine load.
        large, small = interleaved(3 if quick else 7, lambda: parse_file(large_path), lambda: parse_file(small_path))
        large_baseline = best_of(1, lambda: peer(large_text)) if peer and not quick else None
        rows.append(figure(
            f"parse generated .proto, {len(large_text) / 1e6:.1f} MB", large, large_baseline, "s",
            ">= 20x faster than proto-schema-parser", 1 / 20,
            f"{len(large_text) / large / 1e6:.1f} MB/s"
            + ("" if large_baseline else "; proto-schema-parser not run (quick run or not installed)")))
        per_byte_large, per_byte_small = large / len(large_text), small / len(small_text)
        rows.append(figure(
            "parse cost per KB, 1 MB vs 100 KB file", per_byte_large * 1e9, per_byte_small * 1e9, "us/KB",
            "<= 1.5x (linear growth)", 1.5, "same generator; the ratio is the growth of the per-byte cost"))
        rows.append(worst_growth(quick))
    assert parse_text(large_text).messages, "the generated file parsed to nothing"
    return rows


# Texts whose cost per byte must not grow with their length: repetitions that a careless lexer or
# parser handles in quadratic time, and a schema failing only at its very end.
PATHOLOGICAL_UNITS = ['"a" ', "/* comment */ ", "// line\n", "{ a: 1 } ", "0x1F ", "ident.", "{ ", "[features = {} ] "]


def worst_growth(quick: bool) -> dict[str, Any]:
    """The largest per-byte cost growth, 10x the input, over pathological repetitions."""
    copies = 2_000 if quick else 20_000

    def option_literal(unit: str, count: int) -> str:
        return 'syntax = "proto3"; option (x) = { v: ' + unit * count + "\n"

    def parse(text: str) -> None:
        try:
            parse_text(text, "big.proto")
        except ProtoParseError:
            pass  # most of these end without closing what they opened: the error is the point

    growths = []
    for unit in [*PATHOLOGICAL_UNITS, "schema"]:
        if unit == "schema":
            size = 20_000 if quick else 100_000
            small, large = generated_proto(size) + "message {", generated_proto(size * 10) + "message {"
        else:
            small, large = option_literal(unit, copies), option_literal(unit, copies * 10)
        large_time, small_time = interleaved(2 if quick else 5, functools.partial(parse, large),
                                             functools.partial(parse, small))
        growths.append(((large_time / len(large)) / (small_time / len(small)), unit))
    worst, unit = max(growths)
    # Quadratic work would show as 10x; the allowance is for a shared, noisy machine and cache effects.
    return figure("worst parse cost growth per byte, 10x input", worst, 1.0, "x", "<= 3x (linear, never quadratic)",
                  3.0, f"worst of {len(growths)} pathological inputs: {unit.strip()!r} (unclosed literals, "
                  "a schema failing at its end)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    for item in measure(quick="--quick" in sys.argv):
        ratio = f"{item['ratio']:.3f}x" if item["ratio"] else "-"
        baseline = "-" if item["baseline"] is None else f"{item['baseline']:,.4f}"
        print(f"{item['figure']}: ours {item['ours']:,.4f} {item['unit']}, baseline {baseline}, "
              f"ratio {ratio}, target {item['target']}, passed {item['passed']} ({item['note']})")
