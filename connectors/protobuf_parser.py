"""A fast, standard-library-only reader for Protocol Buffers schemas.

It reads `.proto` files of every syntax protoc knows (proto2, proto3, editions
2023 and 2024), loads their imports, resolves type names the way protoc does
and turns a message into the column tree of the minigest contract::

    proto = parse_file("shop/order.proto", import_paths=["protos"])
    message = find_message(proto, "shop.Order")
    columns = message_columns(message)      # [{"name": ..., "dataType": ...}, ...]
    proto.warnings                          # unresolved types, missing imports

Bad text raises `ProtoParseError`, whose text is `file:line:column: message`:
what protoc's parser refuses, and most of what its validator refuses
(duplicate names and numbers, field number ranges, reserved numbers and names,
extension ranges, open enums starting at zero, enum aliases, JSON name clashes). An unresolvable type
is not an error: its column is UNKNOWN and `ProtoFile.warnings` says why, as
for a missing import. Well-known types (`google/protobuf/*.proto`) are built
in, so a schema that imports them needs no copy of those files.

The lexer is one compiled regular expression; the parser is recursive descent
over a flat token list; options are checked for shape but not interpreted,
since they never change columns.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NoReturn, Union

__all__ = [
    "ProtoParseError",
    "ProtoFile",
    "MessageDef",
    "EnumDef",
    "FieldDef",
    "parse_text",
    "parse_file",
    "find_message",
    "message_columns",
    "iter_columns",
    "WELL_KNOWN_FILES",
    "MAX_NESTING",
    "MAX_COLUMNS",
]

#: Deepest nesting of definitions (and of column trees) accepted; deeper input
#: gets a clear error instead of Python's RecursionError.
MAX_NESTING = 100
#: Largest column tree built for one message before giving up with an error.
MAX_COLUMNS = 100_000

# --------------------------------------------------------------------------- errors


class ProtoParseError(Exception):
    """A .proto file that cannot be read; `str()` is `file:line:column: message`."""

    def __init__(self, message: str, file: str, line: int = 0, column: int = 0) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}: {self.message}"
        return f"{self.file}: {self.message}"


def _line_starts(text: str) -> list[int]:
    return [0] + [match.end() for match in re.finditer("\n", text)]


def _locate(starts: list[int], offset: int) -> tuple[int, int]:
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


# --------------------------------------------------------------------------- lexer

_TOKEN_RE = re.compile(
    r"""
    (?:[ \t\r\n\f\v]+|//[^\n]*|/\*(?s:.*?)\*/)*             # whitespace and comments, skipped
    (
      [A-Za-z_][A-Za-z0-9_]*                                # identifier
    | (?:[0-9]|\.[0-9])(?:[eE][+-][0-9]|[A-Za-z0-9_.])*     # number, checked afterwards
    | "(?:[^"\\\n]|\\[^\n])*" | '(?:[^'\\\n]|\\[^\n])*'   # string
    | /\*                                                   # unterminated comment
    | .                                                     # symbol, or a stray character
    | \Z                                                   # end of text
    )
    """,
    re.VERBOSE | re.ASCII | re.DOTALL,
)
_INT_RE = re.compile(r"0[xX][0-9A-Fa-f]+|0[0-7]*|[1-9][0-9]*")
_FLOAT_RE = re.compile(r"(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ESCAPE_RE = re.compile(
    r"\\(?:([0-7]{1,3})|[xX]([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{4})|U(00[01][0-9A-Fa-f]{5})|([abfnrtv\\?'\"])|(.?))"
)
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
                   "\\": "\\", "?": "?", "'": "'", '"': '"'}

# Token kinds. A token's text tells symbols and keywords apart (a string's text
# keeps its quotes), so the parser mostly compares texts.
_ID, _INT, _FLOAT, _STR, _SYM, _EOF = "identifier", "integer", "number", "string", "symbol", "end of file"
_CHECK = "to check"
# Most tokens are known by their first character; the others (numbers, strings,
# a dot that may start a number, strays) are checked one by one.
_FIRST_CHARACTER_KIND = {
    **{character: _SYM for character in map(chr, range(33, 127))},
    **{character: _ID for character in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"},
    **{character: _CHECK for character in "0123456789.\"'/"},
}


_DIGITS, _OCTAL_DIGITS = frozenset("0123456789"), frozenset("01234567")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")


def _number_error(text: str, start: int) -> tuple[str, int]:
    """What is wrong with the number at `text[start]`, and where, read as protoc's tokenizer reads it.

    protoc reports the first character that does not fit (the `x` of `1x`, the `9` of `09`),
    so the column matches its message.
    """
    end = len(text)
    at = start

    def more(allowed: frozenset[str]) -> int:
        position = at
        while position < end and text[position] in allowed:
            position += 1
        return position

    is_float = text[at] == "."
    if text[at] == "0" and text[at + 1:at + 2] in ("x", "X"):
        at += 2
        if at >= end or text[at] not in _HEX_DIGITS:
            return "\"0x\" must be followed by hex digits.", at
        at = more(_HEX_DIGITS)
    elif text[at] == "0" and text[at + 1:at + 2].isdigit():
        at = more(_OCTAL_DIGITS)
        if at < end and text[at] in _DIGITS:
            return "Numbers starting with leading zero must be in octal.", at
    else:
        if is_float:
            at += 1
        at = more(_DIGITS)
        if not is_float and text[at:at + 1] == ".":
            is_float = True
            at += 1
            at = more(_DIGITS)
        if text[at:at + 1] in ("e", "E"):
            is_float = True
            at += 1
            if text[at:at + 1] in ("+", "-"):
                at += 1
            if at >= end or text[at] not in _DIGITS:
                return "\"e\" must be followed by exponent.", at
            at = more(_DIGITS)
    if at < end and text[at] in _LETTERS:
        return "Need space between number and identifier.", at
    if text[at:at + 1] == ".":
        if is_float:
            return "Already saw decimal point or exponent; can't have another one.", at
        return "Hex and octal numbers must be integers.", at
    return "Malformed number.", start  # not reached for a token the number patterns refused


def _decode_string(raw: str, source: _Source, token: int) -> str:
    """The value of a string literal (quotes included in `raw`), escapes decoded."""
    body = raw[1:-1]
    if "\\" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        octal, hex_, short_u, long_u, simple, _ = match.groups()
        if octal is not None:
            return chr(int(octal, 8) & 0xFF)
        if hex_ is not None:
            return chr(int(hex_, 16))
        if short_u is not None or long_u is not None:
            code = int(short_u or long_u, 16)
            return chr(code) if code <= 0x10FFFF else "\ufffd"  # protoc's tokenizer lets up to 1fffff pass
        if simple is not None:
            return _SIMPLE_ESCAPES[simple]
        message, where = _string_error(source.text, source.token_offset(token))
        source.fail_at(message, where)
        return ""  # not reached: fail_at() raises

    return _ESCAPE_RE.sub(replace, body)


_ESCAPE_U32 = (frozenset("0"), frozenset("0"), frozenset("01"), *[_HEX_DIGITS] * 5)


def _string_error(text: str, start: int) -> tuple[str, int]:
    """The first problem of the string literal opening at `text[start]`, and where, as protoc reports it.

    protoc points at the character that does not fit: the end of the line for an unclosed string,
    the first wrong digit of an escape.
    """
    quote, end, at = text[start], len(text), start + 1
    while True:
        if at >= end:
            return "Unexpected end of string.", at
        character = text[at]
        if character == quote:
            return "Malformed string.", start  # not reached for a literal the string pattern refused
        if character == "\n":
            return "Multiline strings are not allowed. Did you miss a \"?.", at
        at += 1
        if character != "\\":
            continue
        character = text[at:at + 1]
        if character and character in "abfnrtv\\?'\"01234567":
            at += 1
            continue
        if character in ("x", "X"):
            expected, message = [_HEX_DIGITS], "Expected hex digits for escape sequence."
        elif character == "u":
            expected, message = [_HEX_DIGITS] * 4, "Expected four hex digits for \\u escape sequence."
        elif character == "U":
            expected, message = list(_ESCAPE_U32), "Expected eight hex digits up to 10ffff for \\U escape sequence"
        else:
            return "Invalid escape sequence in string literal.", at
        at += 1
        for allowed in expected:
            if text[at:at + 1] not in allowed or at >= end:
                return message, at
            at += 1


class _Source:
    """One file's text, its tokens, and the way back from a token to `file:line:column`.

    Token offsets are only needed for messages, so they are found again lazily
    (with the same regular expression) the first time one is asked for.
    """

    __slots__ = ("_line_starts", "_offsets", "file", "kinds", "lex_error", "start", "strings", "text", "texts")

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.start = 1 if text.startswith("\ufeff") else 0
        self._line_starts: list[int] | None = None
        self._offsets: list[int] | None = None
        self.texts: list[str] = []
        self.kinds: list[str] = []
        self.strings: dict[int, str] = {}
        # The first bad token and its error: the tokens stop there, and the error is raised when the
        # parser gets that far, so an earlier syntax error is still the one reported, as protoc does.
        self.lex_error: tuple[int, ProtoParseError] | None = None

    def token_offset(self, token: int) -> int:
        if self._offsets is None:
            self._offsets = [match.start(1) for match in _TOKEN_RE.finditer(self.text, self.start)]
        return self._offsets[token] if token < len(self._offsets) else len(self.text)

    def location_at(self, offset: int) -> tuple[int, int]:
        if self._line_starts is None:
            self._line_starts = _line_starts(self.text)
        return _locate(self._line_starts, offset)

    def location(self, token: int) -> tuple[int, int]:
        return self.location_at(self.token_offset(token))

    def fail_at(self, message: str, offset: int) -> NoReturn:
        line, column = self.location_at(offset)
        raise ProtoParseError(message, self.file, line, column)

    def fail(self, message: str, token: int) -> NoReturn:
        if self.lex_error is not None and token >= self.lex_error[0]:
            raise self.lex_error[1]
        self.fail_at(message, self.token_offset(token))

    def tokenize(self) -> None:
        """Fill `texts` and `kinds` (and `strings`, the decoded string literals), or fail at a bad token."""
        texts = _TOKEN_RE.findall(self.text, self.start)
        while texts and not texts[-1]:
            texts.pop()  # the end of text, matched once or twice
        kinds = [_FIRST_CHARACTER_KIND.get(text[0], _CHECK) for text in texts]
        for index in [index for index, kind in enumerate(kinds) if kind is _CHECK]:
            try:
                kinds[index] = self.check(texts[index], index)
            except ProtoParseError as error:
                self.lex_error = (index, error)
                del texts[index:], kinds[index:]
                break
        texts.append("")
        kinds.append(_EOF)
        self.texts, self.kinds = texts, kinds

    def check(self, text: str, index: int) -> str:
        """The kind of a token that its first character does not settle (numbers, strings, strays)."""
        first = text[0]
        if text == "." or text == "/":
            return _SYM
        if first in "0123456789.":
            if _INT_RE.fullmatch(text):
                return _INT
            if _FLOAT_RE.fullmatch(text) and ("." in text or "e" in text or "E" in text):
                return _FLOAT
            message, offset = _number_error(self.text, self.token_offset(index))
            self.fail_at(message, offset)
        if first in "\"'" and len(text) > 1:
            self.strings[index] = _decode_string(text, self, index)
            return _STR
        if text == "/*":
            line, _ = self.location(index)
            self.fail_at(f"End-of-file inside block comment. The comment starts on line {line}.", len(self.text))
        if first in "\"'":
            message, offset = _string_error(self.text, self.token_offset(index))
            self.fail_at(message, offset)
        if text == "\ufeff":
            self.fail("A byte order mark is only allowed at the very start of the file.", index)
        self.fail(f"Unexpected character {text!r}.", index)


# --------------------------------------------------------------------------- model

SCALAR_TYPES: dict[str, str] = {
    "double": "DOUBLE", "float": "FLOAT",
    "int32": "INT", "int64": "INT", "uint32": "INT", "uint64": "INT", "sint32": "INT", "sint64": "INT",
    "fixed32": "INT", "fixed64": "INT", "sfixed32": "INT", "sfixed64": "INT",
    "bool": "BOOLEAN", "string": "STRING", "bytes": "BYTES",
}
_MAP_KEY_TYPES = frozenset(SCALAR_TYPES) - {"double", "float", "bytes"}
_INTEGER_RANGES = {
    **dict.fromkeys(("int32", "sint32", "sfixed32"), (-(2**31), 2**31 - 1)),
    **dict.fromkeys(("int64", "sint64", "sfixed64"), (-(2**63), 2**63 - 1)),
    **dict.fromkeys(("uint32", "fixed32"), (0, 2**32 - 1)),
    **dict.fromkeys(("uint64", "fixed64"), (0, 2**64 - 1)),
}
_LABELS = ("optional", "required", "repeated")
_MAX_FIELD_NUMBER = 536_870_911


class EnumDef:
    """An enum definition: only its name matters for columns."""

    __slots__ = ("file", "full_name", "name", "nested", "token", "values", "visibility")

    def __init__(self, name: str, full_name: str, file: ProtoFile, token: int) -> None:
        self.name = name
        self.full_name = full_name
        self.file = file
        self.token = token
        self.visibility = ""   # edition 2024's `export` or `local` when written
        self.nested = False    # defined inside a message
        self.values: set[str] = set()  # value names, to check a field's default


class FieldDef:
    """A field of a message (or an extension); `target` is set by resolution."""

    __slots__ = ("default_token", "full_name", "is_map", "json_name", "key_type", "label", "name", "number",
                 "target", "token", "type_name", "type_token")

    def __init__(self, name: str, number: int, label: str, type_name: str, token: int, full_name: str,
                 key_type: str | None = None) -> None:
        self.name = name
        self.number = number
        self.label = label
        self.type_name = type_name      # as written; the value type for a map
        self.key_type = key_type        # map key type, None for other fields
        self.is_map = key_type is not None
        self.token = token
        self.type_token = token         # where the type is written (`map` for a map), for messages about it
        self.default_token = 0          # the default of an enum or message field, checked once resolved
        self.full_name = full_name      # its type is looked up from the scopes around it
        self.json_name: str | None = None  # a custom json_name, if given
        self.target: str | MessageDef | EnumDef | None = SCALAR_TYPES.get(type_name)


class MessageDef:
    """A message (or a group's message): its fields in declaration order."""

    __slots__ = ("extension_ranges", "fields", "file", "full_name", "messages", "name", "nested", "token",
                 "visibility")

    def __init__(self, name: str, full_name: str, file: ProtoFile, token: int) -> None:
        self.name = name
        self.full_name = full_name
        self.file = file
        self.token = token
        self.visibility = ""   # edition 2024's `export` or `local` when written
        self.nested = False    # defined inside a message
        self.fields: list[FieldDef] = []
        self.messages: list[MessageDef] = []   # nested messages, groups included
        self.extension_ranges: list[tuple[int, int]] = []  # inclusive; `max` is 536870911 unless a MessageSet

    @property
    def relative_name(self) -> str:
        """The name inside the package (`Outer.Inner`)."""
        package = self.file.package
        return self.full_name[len(package) + 1:] if package else self.full_name

    def __repr__(self) -> str:
        return f"<MessageDef {self.full_name}>"


_LATER_EDITIONS = frozenset(["2026", "99997_TEST_ONLY", "99998_TEST_ONLY", "99999_TEST_ONLY", "MAX"])
_EARLIER_EDITIONS = frozenset(["LEGACY", "1_TEST_ONLY", "2_TEST_ONLY"])

# Symbol kinds other than messages and enums: aggregates can hold names. A map field's synthetic
# entry message is an aggregate too, so it hides outer names, but no field may name it as its type.
_PACKAGE, _SERVICE, _VALUE, _MAP_ENTRY = "package", "service", "value", "map entry"
_Symbol = Union[MessageDef, EnumDef, str]


class ProtoFile:
    """One parsed .proto file: definitions, imports, and what resolution found."""

    def __init__(self, name: str, path: str, text: str) -> None:
        self.name = name                     # import name (path under its root)
        self.path = path                     # where it was read from, for messages
        self.syntax = "proto2"               # proto2, proto3 or editions
        self.edition = ""                    # "2023", "2024" for editions
        self.package = ""
        self.imports: list[tuple[str, str, int]] = []   # (import name, "", "public", "weak" or "option", token)
        self.messages: list[MessageDef] = []            # top-level messages, groups of top-level extends included
        self.all_messages: dict[str, MessageDef] = {}   # by full name, in declaration order
        self.fields: list[FieldDef] = []                # every field and extension, for resolution
        # (type name, scope, token, extension fields): extends, and rpc types (with no fields)
        self.extendees: list[tuple[str, str, int, list[FieldDef]]] = []
        # (key type name, field, `map` token): map keys naming a message or enum, refused once resolved
        self.named_map_keys: list[tuple[str, FieldDef, int]] = []
        self.symbols: dict[str, _Symbol] = {}
        self.symbol_tokens: dict[str, int] = {}          # where each symbol is defined, for messages
        self.default_visibility = "EXPORT_TOP_LEVEL"      # features.default_symbol_visibility (edition 2024)
        self.dependencies: list[ProtoFile] = []          # direct imports that were found
        self.public_dependencies: list[ProtoFile] = []
        self.warnings: list[str] = []
        self.source = _Source(text, path)

    def location(self, token: int) -> str:
        """`file:line:column` of a token of this file."""
        line, column = self.source.location(token)
        return f"{self.path}:{line}:{column}"

    def __repr__(self) -> str:
        return f"<ProtoFile {self.name}>"


# --------------------------------------------------------------------------- parser


class _Reserved:
    """What a message or enum body reserves, and its extension ranges: (low, high, token) each."""

    __slots__ = ("best_effort_json", "extensions", "legacy_json", "message_set", "names", "ranges")

    def __init__(self) -> None:
        self.ranges: list[tuple[int, int, int]] = []
        self.names: dict[str, int] = {}
        self.extensions: list[tuple[int, int, int]] = []
        self.legacy_json = False   # deprecated_legacy_json_field_conflicts: any JSON name conflict is allowed
        self.best_effort_json = False  # features.json_format = LEGACY_BEST_EFFORT: as lenient as proto2
        self.message_set = False  # message_set_wire_format: extensions only, numbers up to 2**31 - 2


class _LatePackage(Exception):
    """A package statement below definitions: the parse starts again with the package known."""

    def __init__(self, package: str, token: int) -> None:
        super().__init__(package)
        self.package = package
        self.token = token


class _Parser:
    """Recursive-descent parser filling a ProtoFile from its tokens."""

    def __init__(self, file: ProtoFile, text: str) -> None:
        self.file = file
        self.source = file.source
        self.source.tokenize()
        self.kinds, self.texts, self.strings = self.source.kinds, self.source.texts, self.source.strings
        self.i = 0
        self.depth = 0
        self.open_enum_checks: list[int] = []   # editions enums starting at a nonzero value
        self.json_checks: list[tuple[str, int, bool]] = []   # editions JSON name conflicts (and custom-custom?)
        self.unsupported_edition: tuple[str, int] | None = None  # reported after the parse, as protoc does
        self.written_visibility = ""  # `export` or `local` just read, for the message or enum after it
        self.named_default = 0  # the default just read for a field of a named type

    # -- token helpers

    def error(self, message: str, index: int | None = None) -> NoReturn:
        lex_error = self.source.lex_error
        if lex_error is not None and self.i >= lex_error[0]:
            raise lex_error[1]  # the parser ran into the bad token, maybe reporting where a construct began
        self.source.fail(message, self.i if index is None else index)

    # A token's text is enough to recognise a symbol or keyword: a string token keeps its quotes.

    def expect(self, text: str, message: str | None = None) -> int:
        i = self.i
        if self.texts[i] != text:
            self.error(message or f"Expected \"{text}\".")
        self.i = i + 1
        return i

    def accept(self, text: str) -> bool:
        if self.texts[self.i] == text:
            self.i += 1
            return True
        return False

    def ident(self, message: str = "Expected identifier.") -> str:
        i = self.i
        if self.kinds[i] is not _ID:
            self.error(message)
        self.i = i + 1
        return self.texts[i]

    def string(self, message: str = "Expected string.") -> str:
        """A string literal; adjacent literals are joined as in C."""
        i = self.i
        if self.kinds[i] is not _STR:
            self.error(message)
        parts = [self.strings[i]]
        i += 1
        while self.kinds[i] is _STR:
            parts.append(self.strings[i])
            i += 1
        self.i = i
        return "".join(parts)

    def integer(self, message: str = "Expected integer.") -> int:
        i = self.i
        if self.kinds[i] is not _INT:
            self.error(message)
        self.i = i + 1
        return _int_value(self.texts[i])

    def dotted(self, message: str = "Expected identifier.") -> str:
        """`a.b.c`, whitespace and comments allowed around the dots."""
        parts = [self.ident(message)]
        while self.accept("."):
            parts.append(self.ident())
        return ".".join(parts)

    def type_name(self) -> str:
        """A scalar type keyword, or a (possibly absolute) message or enum name."""
        i = self.i
        if self.kinds[i] is _ID and self.texts[i] in SCALAR_TYPES:
            self.i = i + 1
            return self.texts[i]
        if self.accept("."):
            return "." + self.dotted("Expected type name.")
        return self.dotted("Expected type name.")

    def end(self) -> None:
        self.expect(";")

    def nest(self, index: int) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.error(f"Definitions are nested more than {MAX_NESTING} levels deep.", index)

    def define(self, full_name: str, symbol: _Symbol, index: int) -> None:
        symbols = self.file.symbols
        if full_name in symbols:
            scope, _, name = full_name.rpartition(".")
            self.error(f"\"{name}\" is already defined in \"{scope}\"." if scope
                       else f"\"{name}\" is already defined.", index)
        symbols[full_name] = symbol
        self.file.symbol_tokens[full_name] = index

    @staticmethod
    def qualify(scope: str, name: str) -> str:
        return f"{scope}.{name}" if scope else name

    # -- file

    def parse(self) -> ProtoFile:
        try:
            file = self.parse_once()
        except RecursionError:
            # MAX_NESTING keeps well below Python's limit; this only fires when that limit was set lower.
            self.error("Definitions are nested too deeply for Python's recursion limit.")
        if self.source.lex_error is not None:  # the text stopped at a bad token between two statements
            raise self.source.lex_error[1]
        if self.unsupported_edition is not None:
            self.error(*self.unsupported_edition)
        return file

    def parse_once(self) -> ProtoFile:
        try:
            return self.statements()
        except _LatePackage as late:
            # The package names every definition of the file, also those above it: start again knowing it.
            file = self.file
            for definitions in (file.imports, file.messages, file.all_messages, file.fields, file.extendees,
                                file.named_map_keys, file.symbols, file.symbol_tokens, file.warnings):
                definitions.clear()
            self.i = self.depth = 0
            self.open_enum_checks.clear()
            self.json_checks.clear()
            self.declare_package(late.package, late.token)
            return self.statements()

    def statements(self) -> ProtoFile:
        file = self.file
        texts = self.texts
        if texts[0] in ("syntax", "edition") and texts[1] == "=":
            self.syntax_statement()
        else:
            file.warnings.append(f"{file.path}: no syntax specified, assuming proto2")
        package_seen = False
        enums_closed = legacy_json = False
        while self.kinds[self.i] is not _EOF:
            word = texts[self.i]
            if word == ";":
                self.i += 1
            elif word == "message":
                self.message(file.package, file.messages)
            elif word == "enum":
                self.enum(file.package)
            elif word == "service":
                self.service()
            elif word == "extend":
                self.extend(file.package, file.messages)
            elif word == "import":
                self.import_statement()
            elif word == "package":
                if package_seen:
                    self.error("Multiple package definitions.")
                package_seen = True
                self.package_statement()
            elif word == "option":
                option, value = self.option_statement()
                if option == "features.enum_type":
                    enums_closed = value == "CLOSED"
                if option == "features.json_format":
                    legacy_json = value == "LEGACY_BEST_EFFORT"
                if option == "features.default_symbol_visibility":
                    file.default_visibility = value
            elif self.visibility():
                if texts[self.i] == "message":
                    self.message(file.package, file.messages)
                else:
                    self.enum(file.package)
            else:
                self.error("Expected top-level statement (e.g. \"message\").")
        if self.open_enum_checks and not enums_closed:
            self.error("The first enum value must be zero for open enums.", self.open_enum_checks[0])
        # A file-wide LEGACY_BEST_EFFORT makes JSON names as lenient as proto2's: two custom names still clash.
        for message, token, custom_pair in self.json_checks:
            if custom_pair or not legacy_json:
                self.error(message, token)
        return file

    def syntax_statement(self) -> None:
        file = self.file
        keyword_at = self.i
        keyword = self.texts[self.i]
        self.i += 2
        at = self.i
        value = self.string(f"Expected a string after \"{keyword} =\".")
        if keyword == "syntax":
            if value not in ("proto2", "proto3"):
                self.error(f"Unrecognized syntax identifier \"{value}\".  This parser only recognizes "
                           "\"proto2\" and \"proto3\".", at)
            file.syntax = value
        else:
            if value not in ("2023", "2024"):
                # protoc knows these names from its Edition enum, and refuses them only after the parse.
                if value in _LATER_EDITIONS:
                    self.unsupported_edition = (
                        f"Edition {value} is later than the maximum supported edition 2024", keyword_at)
                elif value in _EARLIER_EDITIONS:
                    self.unsupported_edition = (
                        f"Edition {value} is earlier than the minimum supported edition PROTO2", keyword_at)
                elif value == "UNSTABLE":
                    self.unsupported_edition = (
                        "is a file using edition UNSTABLE, which is later than the protoc maximum supported "
                        "edition 2024.", keyword_at)
                else:
                    self.error(f"Unknown edition \"{value}\".", at)
            file.syntax = "editions"
            file.edition = value
        self.end()

    def visibility(self) -> bool:
        """Edition 2024's `export` / `local`, which must come before a message or enum."""
        i = self.i
        if self.texts[i] not in ("export", "local") or self.file.edition < "2024":
            return False
        if self.texts[i + 1] not in ("message", "enum"):
            self.error("'local' and 'export' visibility modifiers are valid only on 'message' and 'enum'")
        self.written_visibility = self.texts[i]
        self.i = i + 1
        return True

    def package_statement(self) -> None:
        at = self.i  # protoc places package errors at the keyword
        self.i += 1
        name = self.dotted("Expected package name.")
        if name != self.file.package:
            if self.file.symbols:
                raise _LatePackage(name, at)
            self.declare_package(name, at)
        self.end()

    def declare_package(self, name: str, at: int) -> None:
        self.file.package = name
        parts = name.split(".")
        for count in range(1, len(parts) + 1):
            self.file.symbols[".".join(parts[:count])] = _PACKAGE
            self.file.symbol_tokens[".".join(parts[:count])] = at

    def import_statement(self) -> None:
        at = self.i
        self.i += 1
        modifier = ""
        if self.kinds[self.i] is _ID and self.texts[self.i] in ("public", "weak", "option"):
            modifier = self.texts[self.i]
            if modifier == "weak" and self.file.edition >= "2024":
                self.error("weak import is not supported in edition 2024 and above. "
                           "Consider using option import instead.")
            if modifier == "option" and self.file.edition < "2024":
                self.error("option import is only supported in edition 2024 and above.")
            self.i += 1
        name = self.string("Expected a string naming the file to import.")
        self.file.imports.append((name, modifier, at))
        self.end()

    # -- options

    def option_statement(self) -> tuple[str, str]:
        """`option name = value;`: the name and, for a single-token value, its text (for features)."""
        self.i += 1
        name = self.option_name()
        self.expect("=")
        value = self.option_value()
        self.end()
        return name, value

    def option_name(self) -> str:
        parts = []
        while True:
            if self.accept("("):
                dot = "." if self.accept(".") else ""
                parts.append(f"({dot}{self.dotted()})")
                self.expect(")", "Expected \")\".")
            else:
                parts.append(self.ident())
            if not self.accept("."):
                return ".".join(parts)

    def option_value(self) -> str:
        kinds, texts = self.kinds, self.texts
        if self.accept("{"):
            self.skip_aggregate()
            return ""
        negative = self.accept("-")
        kind = kinds[self.i]
        value = texts[self.i]
        if kind is _ID:
            if negative and value not in ("inf", "nan"):
                self.error("Identifier after '-' symbol must be inf or nan.")
            self.i += 1
        elif kind is _INT or kind is _FLOAT:
            self.i += 1
        elif kind is _STR and not negative:
            self.string()
        else:
            self.error("Expected option value.")
        return value

    def default_value(self, field_type: str, name_at: int) -> None:
        """`default = ...` checked against the field's type, as protoc does while parsing."""
        if self.file.syntax == "proto3":
            self.error("Explicit default values are not allowed in proto3.", name_at)
        texts, kinds = self.texts, self.kinds
        if field_type in _INTEGER_RANGES:
            low, high = _INTEGER_RANGES[field_type]
            negative = self.accept("-")
            if negative and low == 0:
                self.error("Unsigned field can't have negative default value.", self.i - 1)
            at = self.i
            value = self.integer("Expected integer for field default value.") * (-1 if negative else 1)
            if not low <= value <= high:
                self.error("Integer out of range.", at)
        elif field_type in ("double", "float"):
            self.accept("-")
            if not (kinds[self.i] is _INT or kinds[self.i] is _FLOAT or texts[self.i] in ("inf", "nan")):
                self.error("Expected number.")
            self.i += 1
        elif field_type == "bool":
            if texts[self.i] not in ("true", "false"):
                self.error("Expected \"true\" or \"false\".")
            self.i += 1
        elif field_type in ("string", "bytes"):
            self.string("Expected string for field default value.")
        elif field_type == "group":
            self.error("Messages can't have default values.")
        else:
            # An enum or message name (which it is, is known later): protoc takes the next token as is,
            # and checks it once the type is resolved.
            if kinds[self.i] is _EOF:
                self.error("Expected option value.")
            self.named_default = self.i
            self.i += 1

    def skip_aggregate(self) -> None:
        """Skip a message literal after its `{`, as protoc does: by balancing braces."""
        texts, kinds = self.texts, self.kinds
        opened = self.i - 1
        depth = 1
        i = self.i
        while True:
            kind = kinds[i]
            if kind is _SYM:
                text = texts[i]
                if text == "{":
                    depth += 1
                elif text == "}":
                    depth -= 1
                    if depth == 0:
                        self.i = i + 1
                        return
            elif kind is _EOF:
                self.i = i
                line, _ = self.source.location(opened)  # protoc reports the end of the text
                self.error(f"Unexpected end of stream while parsing aggregate value. The value starts on line {line}.")
            i += 1

    def compact_options(self, field_type: str | None = None, name_at: int = 0, label: str = "") -> str | None:
        """`[name = value, ...]` after a field, enum value or range, if present.

        For a field (`field_type` given) `default` and `json_name` are no options but
        parts of the field, and their values are checked; the custom JSON name is returned."""
        json_name = None
        if not self.accept("["):
            return json_name
        seen = set()
        while True:
            word = self.texts[self.i]
            if field_type is not None and word in ("default", "json_name"):
                if word in seen:
                    self.error(f"Already set option \"{word}\".")
                seen.add(word)
                self.i += 1
                self.expect("=")
                if word == "json_name":
                    json_name = self.string("Expected string for JSON name.")
                elif label == "repeated":
                    self.error("Repeated fields can't have default values.")
                else:
                    self.default_value(field_type, name_at)
            else:
                self.option_name()
                self.expect("=")
                self.option_value()
            if self.accept("]"):
                return json_name
            self.expect(",", "Expected \",\" or \"]\".")

    # -- messages

    def message(self, scope: str, siblings: list[MessageDef]) -> MessageDef:
        at = self.i
        self.i += 1
        name_at = self.i
        name = self.ident("Expected message name.")
        message = self.new_message(name, scope, name_at, siblings)
        self.nest(at)
        self.message_body(message, at)
        self.depth -= 1
        return message

    def new_message(self, name: str, scope: str, index: int, siblings: list[MessageDef]) -> MessageDef:
        full_name = self.qualify(scope, name)
        message = MessageDef(name, full_name, self.file, index)
        message.visibility, self.written_visibility = self.written_visibility, ""
        message.nested = self.depth > 0
        self.define(full_name, message, index)
        self.file.all_messages[full_name] = message
        siblings.append(message)
        return message

    def message_body(self, message: MessageDef, opened: int) -> None:
        self.expect("{")
        texts, kinds = self.texts, self.kinds
        scope = message.full_name
        numbers: dict[int, str] = {}
        reserved = _Reserved()
        # These words always start their statement here; a type with such a name needs a label or a dot.
        statements: dict[str, Callable[[], object]] = {
            "message": lambda: self.message(scope, message.messages),
            "enum": lambda: self.enum(scope),
            "extensions": lambda: self.extension_ranges(message, reserved),
            "reserved": lambda: self.reserved(reserved, enum=False),
            "extend": lambda: self.extend(scope, message.messages),
            "option": lambda: self.message_option(reserved),
            "oneof": lambda: self.oneof(message, numbers),
        }
        while True:
            word = texts[self.i]
            if word == "}":
                self.i += 1
                self.check_message(message, reserved)
                return
            if word == ";":
                self.i += 1
            elif word in statements:
                statements[word]()
            elif self.visibility():
                statements[texts[self.i]]()
            elif kinds[self.i] is _EOF:
                line, _ = self.source.location(opened)
                self.error(f"Reached end of input in message definition (missing '}}' for the "
                           f"message opened on line {line}).")
            else:
                self.field(message, scope, numbers, in_oneof=False, extendee=False)

    def field(self, message: MessageDef, scope: str, numbers: dict[int, str] | None, *,
              in_oneof: bool, extendee: bool) -> None:
        """One field, map field or group; `message` is where a group's type goes."""
        texts, kinds = self.texts, self.kinds
        file = self.file
        start = self.i
        label = ""
        if kinds[start] is _ID and texts[start] in _LABELS:
            label = texts[start]
            if in_oneof:
                self.error("Fields in oneofs must not have labels (required / optional / repeated).")
            if file.syntax == "editions" and label != "repeated":
                self.error(f"Label \"{label}\" is not supported in editions"
                           + (", use features.field_presence = LEGACY_REQUIRED." if label == "required" else
                              ". By default, all singular fields have presence unless features.field_presence is set."))
            if file.syntax == "proto3" and label == "required":
                self.error("Required fields are not allowed in proto3.")
            self.i += 1
        type_at = self.i
        key_type: str | None = None
        is_group = False
        if texts[type_at] == "map" and kinds[type_at] is _ID and texts[type_at + 1] == "<":
            # protoc's parser stops at the `<` (it reads `map` as a type name first).
            if label:
                self.error("Field labels (required/optional/repeated) are not allowed on map fields.", type_at + 1)
            if in_oneof:
                self.error("Map fields are not allowed in oneofs.", type_at + 1)
            if extendee:
                self.error("Map fields are not allowed to be extensions.", type_at + 1)
            self.i += 2
            key_type = self.type_name()
            if key_type in SCALAR_TYPES and key_type not in _MAP_KEY_TYPES:
                self.error("Key in map fields cannot be float/double, bytes or message types.", type_at)
            self.expect(",")
            if texts[self.i] == "group":
                self.error("Expected type name.")
            type_name = self.type_name()
            self.expect(">")
        else:
            if not label and not in_oneof and file.syntax == "proto2":
                self.error("Expected \"required\", \"optional\", or \"repeated\".")
            if texts[type_at] == "group":
                is_group = True
                self.i += 1
                type_name = ""
            elif texts[type_at] == "map":
                self.i += 1  # a type named map, as protoc reads it: never followed by a dotted part
                type_name = "map"
            else:
                type_name = self.type_name()
        name_at = self.i
        name = self.ident("Expected field name.")
        self.expect("=", "Missing field number.")
        number_at = self.i
        number = self.integer("Expected field number.")
        self.check_number(number, number_at, extension=extendee)
        if extendee and label == "required":
            self.error(f"The extension {name} cannot be required.", name_at)
        json_name = self.compact_options("group" if is_group else "map" if key_type else type_name, name_at, label)
        if is_group:
            if not name[0].isupper():
                self.error("Group names must start with a capital letter.", name_at)
            if file.syntax != "proto2":
                self.error("Groups are not supported in proto3 syntax." if file.syntax == "proto3"
                           else "Group syntax is no longer supported in editions. To get group behavior "
                                "you can specify features.message_encoding = DELIMITED on a message field.",
                           type_at)
            group = self.new_message(name, scope, name_at, message.messages)
            type_name = "." + group.full_name
            field_name = name.lower()
        else:
            field_name = name
        full_name = self.qualify(scope, field_name)
        field = FieldDef(field_name, number, label, type_name, name_at, full_name, key_type)
        field.type_token = type_at
        field.default_token, self.named_default = self.named_default, 0
        if key_type is not None and key_type not in SCALAR_TYPES:
            file.named_map_keys.append((key_type, field, type_at))
        field.json_name = json_name
        if is_group:
            field.target = group
            self.nest(start)
            self.message_body(group, start)
            self.depth -= 1
        else:
            self.end()
        self.define(full_name, _VALUE, name_at)
        if key_type is not None:
            # protoc makes a nested message for each map field; its name must be free too.
            self.define(self.qualify(scope, _map_entry_name(field_name)), _MAP_ENTRY, name_at)
        if numbers is not None:
            if number in numbers:
                self.error(f"Field number {number} has already been used in \"{scope}\" by field "
                           f"\"{numbers[number]}\".", number_at)
            numbers[number] = field_name
        message.fields.append(field)
        file.fields.append(field)

    def check_number(self, number: int, index: int, *, extension: bool = False) -> None:
        # Extensions of a MessageSet may go up to 2**31 - 1; which extendee is one is not known here.
        limit = 2**31 - 1 if extension else _MAX_FIELD_NUMBER
        if number < 1:
            self.error("Field numbers must be positive integers.", index)
        if number > limit:
            self.error(f"Field numbers cannot be greater than {limit}.", index)
        if 19000 <= number <= 19999:
            self.error("Field numbers 19000 through 19999 are reserved for the protocol buffer "
                       "library implementation.", index)

    def oneof(self, message: MessageDef, numbers: dict[int, str]) -> None:
        self.i += 1
        name_at = self.i
        name = self.ident("Expected oneof name.")
        self.define(self.qualify(message.full_name, name), _VALUE, name_at)
        self.expect("{")
        members = len(message.fields)
        # protoc wants at least one member and no empty statement here.
        while True:
            if self.kinds[self.i] is _EOF:
                self.error("Reached end of input in oneof definition (missing '}').")
            if self.texts[self.i] == "option":
                self.option_statement()
            else:
                self.field(message, message.full_name, numbers, in_oneof=True, extendee=False)
            if self.accept("}"):
                if len(message.fields) == members:  # only options: protoc's validator refuses it
                    self.error("Oneof must have at least one field.", name_at)
                return

    def extend(self, scope: str, siblings: list[MessageDef]) -> None:
        """`extend T { ... }`: extensions are no fields of T, but groups define messages here."""
        self.i += 1
        at = self.i
        extendee = self.type_name()
        self.expect("{")
        holder = MessageDef("", scope, self.file, 0)  # collects the extensions; groups go to `siblings`
        holder.messages = siblings
        self.file.extendees.append((extendee, scope, at, holder.fields))
        # protoc wants at least one field and no empty statement here.
        while True:
            if self.kinds[self.i] is _EOF:
                self.error("Reached end of input in extend definition (missing '}').")
            self.field(holder, scope, None, in_oneof=False, extendee=True)
            if self.accept("}"):
                return

    def extension_ranges(self, message: MessageDef, reserved: _Reserved) -> None:
        if self.file.syntax == "proto3":
            self.error("Extension ranges are not allowed in proto3.")
        # `max` is 2**31 - 1 for now: check_message() lowers it unless the message is a MessageSet.
        ranges = self.ranges("Extension", negative=False, maximum=2**31 - 1)
        reserved.extensions.extend(ranges)
        message.extension_ranges.extend((low, high) for low, high, _ in ranges)

    def ranges(self, what: str, *, negative: bool, maximum: int) -> list[tuple[int, int, int]]:
        """`extensions` / `reserved` numbers: `1, 5 to 9, 100 to max`, then options; (low, high, token) each."""
        self.i += 1
        found = []
        while True:
            at = self.i
            low = high = self.range_bound(negative)
            if what == "Extension" and low == 2**31 - 1:
                self.error("Field number out of bounds.")  # protoc cannot store the end past it
            if self.accept("to"):
                high = maximum if self.accept("max") else self.range_bound(negative)
            elif not negative and high == 2**31 - 1:
                high = 2**31  # protoc's exclusive end overflows: caught below
            if high < low:
                self.error(f"{what} range end number must be greater than start number.", at)
            if not negative and high >= 2**31 - 1 and (what == "Reserved" or self.texts[self.i - 1] != "max"):
                # protoc stores the end plus one in 32 bits: a written end of 2**31 - 1 does not fit.
                if what == "Reserved":
                    self.error("Reserved range end number must be greater than start number.", at)
                self.error("Field number out of bounds.")
            found.append((low, high, at))
            if not self.accept(","):
                break
        self.compact_options()
        self.end()
        return found

    def range_bound(self, negative: bool) -> int:
        sign = -1 if negative and self.accept("-") else 1
        at = self.i
        value = sign * self.integer("Expected field number range.")
        if not -2**31 <= value < 2**31:  # protoc reads range bounds as 32-bit integers
            self.error("Integer out of range.", at)
        return value

    def reserved(self, reserved: _Reserved, *, enum: bool) -> None:
        """`reserved` numbers or names (strings before editions, identifiers in editions)."""
        kind = self.kinds[self.i + 1]
        if kind is _STR or kind is _ID:
            editions = self.file.syntax == "editions"
            if kind is _STR and editions:
                self.error("Reserved names must be identifiers in editions, not string literals.", self.i + 1)
            if kind is _ID and not editions:
                self.error("Reserved names must be string literals. (Only editions supports identifiers.)",
                           self.i + 1)
            self.i += 1
            while True:
                at = self.i
                name = self.ident() if editions else self.string()
                if name in reserved.names:
                    self.error(f"{'Enum value' if enum else 'Field name'} \"{name}\" is reserved multiple times.", at)
                reserved.names[name] = at
                if not self.accept(","):
                    break
            self.end()
            return
        ranges = self.ranges("Reserved", negative=enum, maximum=2**31 - 1 if enum else _MAX_FIELD_NUMBER)
        for low, _, at in ranges:
            if low < 1 and not enum:
                self.error("Reserved field numbers must be positive integers.", at)
        reserved.ranges.extend(ranges)

    def check_ranges(self, reserved: _Reserved) -> None:
        """No two reserved or extension ranges may overlap; sorted first, so this stays linear."""
        tagged = [(low, high, at, "Reserved") for low, high, at in reserved.ranges]
        tagged += [(low, high, at, "Extension") for low, high, at in reserved.extensions]
        widest: tuple[int, int, int, str] | None = None
        for current in sorted(tagged):
            if widest is not None and current[0] <= widest[1]:
                # protoc's wording and place: two of a kind at the earlier one, else at the extension range.
                earlier, later = sorted((widest, current), key=lambda item: item[2])
                if earlier[3] == later[3]:
                    self.error(f"{later[3]} range {later[0]} to {later[1]} overlaps with already-defined range "
                               f"{earlier[0]} to {earlier[1]}.", earlier[2])
                extension, other = (earlier, later) if earlier[3] == "Extension" else (later, earlier)
                self.error(f"Extension range {extension[0]} to {extension[1]} overlaps with reserved range "
                           f"{other[0]} to {other[1]}.", extension[2])
            if widest is None or current[1] > widest[1]:
                widest = current

    def message_option(self, reserved: _Reserved) -> None:
        option, value = self.option_statement()
        if (option, value) == ("deprecated_legacy_json_field_conflicts", "true"):
            reserved.legacy_json = True
        if (option, value) == ("features.json_format", "LEGACY_BEST_EFFORT"):
            reserved.best_effort_json = True
        if (option, value) == ("message_set_wire_format", "true"):
            reserved.message_set = True

    def check_json_names(self, message: MessageDef, legacy: bool, best_effort: bool) -> None:
        """protoc's rule: no two fields of a message may share a JSON name.

        proto2 and LEGACY_BEST_EFFORT only refuse two equal custom names; the deprecated legacy
        option allows everything.
        """
        fields = message.fields
        # Equal JSON names need equal names once underscores and case are dropped: usually none do.
        if (len({field.name.replace("_", "").lower() for field in fields}) == len(fields)
                and not any(field.json_name for field in fields)):
            return
        strict = self.file.syntax != "proto2" and not legacy and not best_effort
        defaults: dict[str, FieldDef] = {}
        effective: dict[str, FieldDef] = {}
        for field in message.fields:
            default = _json_name(field.name)
            other = defaults.setdefault(default, field)
            if other is not field and strict:
                self.json_conflict(f"The default JSON name of field \"{field.name}\" (\"{default}\") conflicts "
                                   f"with the default JSON name of field \"{other.name}\".", field.token, False)
            name = field.json_name or default
            other = effective.setdefault(name, field)
            if other is field or not (field.json_name or other.json_name):
                continue
            if (field.json_name and other.json_name and not legacy) or strict:
                this_kind = "custom" if field.json_name else "default"
                other_kind = "custom" if other.json_name else "default"
                self.json_conflict(f"The {this_kind} JSON name of field \"{field.name}\" (\"{name}\") conflicts "
                                   f"with the {other_kind} JSON name of field \"{other.name}\".", field.token,
                                   bool(field.json_name and other.json_name))

    def json_conflict(self, message: str, token: int, custom_pair: bool) -> None:
        if self.file.syntax == "editions":
            # Decided at the end of the file, which may set features.json_format = LEGACY_BEST_EFFORT.
            self.json_checks.append((message, token, custom_pair))
        else:
            self.error(message, token)

    def check_message(self, message: MessageDef, reserved: _Reserved) -> None:
        """protoc's checks of a message's numbers and names against what it reserves."""
        self.check_json_names(message, reserved.legacy_json, reserved.best_effort_json)
        if reserved.message_set:
            if self.file.syntax == "proto3":
                self.error("MessageSet is not supported in proto3.", message.token)
            if message.fields:
                self.error("MessageSets cannot have fields, only extensions.", message.fields[0].token)
        elif reserved.extensions:
            # Only a MessageSet's extensions go past 536870911; for others `max` means that number.
            adjusted = []
            for low, high, at in reserved.extensions:
                if high == 2**31 - 1:
                    high = _MAX_FIELD_NUMBER
                    if high < low:
                        self.error("Extension range end number must be greater than start number.", at)
                elif high > _MAX_FIELD_NUMBER:
                    self.error(f"Extension numbers cannot be greater than {_MAX_FIELD_NUMBER}.", at)
                adjusted.append((low, high, at))
            reserved.extensions[:] = adjusted
            message.extension_ranges[:] = [(low, high) for low, high, _ in adjusted]
        self.check_ranges(reserved)
        if not (reserved.names or reserved.ranges or reserved.extensions):
            return
        reserved_ranges, extension_ranges = sorted(reserved.ranges), sorted(reserved.extensions)
        for field in message.fields:
            if field.name in reserved.names:
                self.error(f"Field name \"{field.name}\" is reserved.", field.token)
            if _in_ranges(reserved_ranges, field.number):
                self.error(f"Field \"{field.name}\" uses reserved number {field.number}.", field.token + 2)
            extension = _in_ranges(extension_ranges, field.number)
            if extension:
                self.error(f"Extension range {extension[0]} to {extension[1]} includes field \"{field.name}\" "
                           f"({field.number}).", extension[2])

    # -- enums and services

    def enum(self, scope: str) -> None:
        at = self.i
        self.i += 1
        name_at = self.i
        name = self.ident("Expected enum name.")
        full_name = self.qualify(scope, name)
        definition = EnumDef(name, full_name, self.file, name_at)
        definition.visibility, self.written_visibility = self.written_visibility, ""
        definition.nested = self.depth > 0
        self.define(full_name, definition, name_at)
        self.expect("{")
        first_number_at: int | None = None
        closed: bool | None = None   # features.enum_type set on the enum itself
        allow_alias = False
        values: dict[int, str] = {}   # number -> first value name
        declared: list[tuple[str, int, int]] = []   # (name, number, token)
        aliased = False
        reserved = _Reserved()
        while not self.accept("}"):
            word = self.texts[self.i]
            kind = self.kinds[self.i]
            if kind is _EOF:
                line, _ = self.source.location(at)
                self.error(f"Reached end of input in enum definition (missing '}}' for the enum opened "
                           f"on line {line}).")
            if self.accept(";"):
                continue
            if kind is _ID and word == "option":
                option, value = self.option_statement()
                if option == "features.enum_type":
                    closed = value == "CLOSED"
                if option == "allow_alias":
                    allow_alias = value == "true"
            elif kind is _ID and word == "reserved":
                self.reserved(reserved, enum=True)
            else:
                value_at = self.i
                value_name = self.ident()
                self.expect("=", "Missing numeric value for enum constant.")
                negative = self.accept("-")
                number_at = self.i
                number = self.integer("Expected integer.") * (-1 if negative else 1)
                if not -(2**31) <= number < 2**31:
                    self.error("Integer out of range.", number_at)
                if first_number_at is None and number != 0:
                    first_number_at = number_at
                elif first_number_at is None:
                    first_number_at = -1
                self.compact_options()
                self.end()
                # Enum values live in the scope that holds the enum, as in C++.
                self.define(self.qualify(scope, value_name), _VALUE, value_at)
                definition.values.add(value_name)
                declared.append((value_name, number, value_at))
                if number in values:
                    aliased = True
                    alias_at, alias_name, alias_of = value_at, value_name, values[number]
                values.setdefault(number, value_name)
        self.check_ranges(reserved)
        reserved_ranges = sorted(reserved.ranges)
        for value_name, number, value_at in declared:
            if value_name in reserved.names:
                self.error(f"Enum value \"{value_name}\" is reserved.", value_at)
            if _in_ranges(reserved_ranges, number):
                self.error(f"Enum value \"{value_name}\" uses reserved number {number}.", value_at + 2)
        if aliased and not allow_alias:
            self.error(f"\"{alias_name}\" uses the same enum value as \"{alias_of}\". If this is intended, "
                       "set 'option allow_alias = true;' to the enum definition.", alias_at)
        if allow_alias and not aliased and values:
            self.error(f"\"{full_name}\" declares support for enum aliases but no enum values share field "
                       "numbers. Please remove the unnecessary 'option allow_alias = true;' declaration.", name_at)
        if first_number_at is None:
            self.error("Enums must contain at least one value.", name_at)
        if first_number_at >= 0 and self.file.syntax != "proto2" and not closed:
            if self.file.syntax == "proto3":
                self.error("The first enum value must be zero for open enums.", first_number_at)
            if closed is None:
                self.open_enum_checks.append(first_number_at)  # unless the file makes enums closed
            else:
                self.error("The first enum value must be zero for open enums.", first_number_at)

    def service(self) -> None:
        self.i += 1
        name_at = self.i
        name = self.ident("Expected service name.")
        full_name = self.qualify(self.file.package, name)
        self.define(full_name, _SERVICE, name_at)
        self.expect("{")
        while not self.accept("}"):
            kind = self.kinds[self.i]
            word = self.texts[self.i]
            if kind is _EOF:
                self.error("Reached end of input in service definition (missing '}').")
            if self.accept(";"):
                continue
            if kind is _ID and word == "option":
                self.option_statement()
                continue
            self.expect("rpc", "Expected \"rpc\" or \"option\".")
            method_at = self.i
            method = self.ident("Expected method name.")
            self.define(self.qualify(full_name, method), _VALUE, method_at)
            for keyword in ("", "returns"):
                if keyword:
                    self.expect(keyword)
                self.expect("(")
                self.accept("stream")  # always the keyword here: a type named stream needs a dot
                at = self.i
                self.file.extendees.append((self.type_name(), full_name, at, []))
                self.expect(")")
            if self.accept("{"):
                while not self.accept("}"):
                    if self.accept(";"):
                        continue
                    if self.texts[self.i] == "option" and self.kinds[self.i] is _ID:
                        self.option_statement()
                    else:
                        self.error("Expected \"option\" or \"}\".")
            else:
                self.end()


def _in_ranges(ordered: list[tuple[int, int, int]], number: int) -> tuple[int, int, int] | None:
    """The range (low, high, token) holding `number`, from sorted ranges that do not overlap."""
    index = bisect.bisect_right(ordered, (number, 2**63, 2**63)) - 1
    return ordered[index] if index >= 0 and ordered[index][1] >= number else None


def _json_name(field_name: str) -> str:
    """protoc's default JSON name: `foo_bar` -> `fooBar` (underscores dropped, the next letter upper-cased)."""
    parts = field_name.split("_")
    return parts[0] + "".join(part[:1].upper() + part[1:] for part in parts[1:])


def _map_entry_name(field_name: str) -> str:
    """The name of the message protoc makes for a map field: `my_map` -> `MyMapEntry`."""
    return "".join(part[:1].upper() + part[1:] for part in field_name.split("_")) + "Entry"


def _int_value(text: str) -> int:
    if text[:2] in ("0x", "0X"):
        return int(text, 16)
    if len(text) > 1 and text[0] == "0":
        return int(text, 8)
    return int(text)


def parse_text(text: str, name: str = "<string>", path: str | None = None) -> ProtoFile:
    """Parse one .proto text (imports are recorded, not loaded, and nothing is resolved)."""
    file = ProtoFile(name, path or name, text)
    return _Parser(file, text).parse()


# --------------------------------------------------------------------------- loading and resolution


def _check_import_name(name: str) -> str | None:
    """Why an import name is refused, or None when it stays inside the roots."""
    if not name:
        return "an empty import path"
    if name.startswith(("/", "\\")) or os.path.isabs(name) or re.match(r"[A-Za-z]:", name):
        return "an absolute path"
    parts = re.split(r"[/\\]", name)
    if ".." in parts:
        return "a path with '..' that would leave the import roots"
    return None


class _Loader:
    """Loads a file and its imports once each, then resolves every field's type."""

    def __init__(self, import_paths: Sequence[str]) -> None:
        self.import_paths = [str(path) for path in import_paths]
        self.by_path: dict[str, ProtoFile] = {}
        self.loading: list[str] = []
        self.files: list[ProtoFile] = []

    def load_target(self, path: str) -> ProtoFile:
        real = os.path.realpath(path)
        name = os.path.basename(path)
        for root in self.import_paths:
            root_real = os.path.realpath(root)
            if real.startswith(root_real.rstrip(os.sep) + os.sep):
                name = os.path.relpath(real, root_real).replace(os.sep, "/")
                break
        return self.load(name, path, os.path.dirname(path), target=True)

    def load(self, name: str, path: str | None, folder: str, *, target: bool = False) -> ProtoFile:
        key = os.path.realpath(path) if path else "<builtin>/" + name
        if key in self.by_path:
            return self.by_path[key]
        if path is None:
            text = WELL_KNOWN_FILES[name]
            shown = f"<built-in {name}>"
        else:
            text = _read_text(path, allow_empty=not target)
            shown = path
        file = ProtoFile(name, shown, text)
        _Parser(file, text).parse()
        self.by_path[key] = file
        self.loading.append(key)
        for import_name, modifier, token in file.imports:
            if modifier == "option":
                # Option imports serve options only, which never become columns: not read, only looked for.
                self.look_for_option_import(file, import_name, token, folder)
                continue
            dependency = self.load_import(file, import_name, token, folder)
            if dependency is None:
                continue
            file.dependencies.append(dependency)
            if modifier == "public":
                file.public_dependencies.append(dependency)
        self.loading.pop()
        self.files.append(file)
        return file

    def load_import(self, file: ProtoFile, name: str, token: int, folder: str) -> ProtoFile | None:
        refused = _check_import_name(name)
        if refused:
            file.source.fail(f"Import \"{name}\" is refused: {refused}.", token)
        for root in [*self.import_paths, folder]:
            candidate = os.path.join(root, *name.split("/"))
            if os.path.isfile(candidate):
                key = os.path.realpath(candidate)
                if key in self.loading:
                    file.source.fail(f"File recursively imports itself: \"{name}\".", token)
                return self.load(name, candidate, folder)
        if name in WELL_KNOWN_FILES:
            key = "<builtin>/" + name
            return self.by_path.get(key) or self.load(name, None, folder)
        roots = ", ".join([*self.import_paths, folder or "."])
        file.warnings.append(f"{file.location(token)}: import \"{name}\" was not found (searched {roots}); "
                             "its types are UNKNOWN")
        return None

    def look_for_option_import(self, file: ProtoFile, name: str, token: int, folder: str) -> None:
        refused = _check_import_name(name)
        if refused:
            file.source.fail(f"Import \"{name}\" is refused: {refused}.", token)
        roots = [*self.import_paths, folder]
        if name in WELL_KNOWN_FILES or any(os.path.isfile(os.path.join(root, *name.split("/"))) for root in roots):
            return
        file.warnings.append(f"{file.location(token)}: import option \"{name}\" was not found (searched "
                             f"{', '.join(root or '.' for root in roots)}); protoc needs it for the options")

    def resolve_all(self) -> None:
        """Check and resolve each file, dependencies first, as protoc builds them."""
        owners: dict[str, tuple[_Symbol, ProtoFile]] = {}
        for file in self.files:
            _check_unique_names(file, owners)
            _resolve(file)


def _read_text(path: str, *, allow_empty: bool) -> str:
    """The file's text; an empty file is refused as the file to ingest (an import may be empty)."""
    if os.path.isdir(path):
        raise ProtoParseError("is a folder, not a .proto file", path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise ProtoParseError(f"cannot be read: {error.strerror or error}", path) from None
    if not allow_empty and not data.strip():
        raise ProtoParseError("is empty", path)
    return data.decode("utf-8", errors="surrogateescape")


def _visible_files(file: ProtoFile) -> list[ProtoFile]:
    """The file, its imports, and what those re-export with `import public`, transitively."""
    seen = {id(file)}
    order = [file]
    stack = list(file.dependencies)
    while stack:
        dependency = stack.pop()
        if id(dependency) in seen:
            continue
        seen.add(id(dependency))
        order.append(dependency)
        stack.extend(dependency.public_dependencies)
    return order


def _check_unique_names(file: ProtoFile, owners: dict[str, tuple[_Symbol, ProtoFile]]) -> None:
    """No two files may define the same name (packages excepted): protoc checks this across its pool."""
    clashes = []
    for name, symbol in file.symbols.items():
        owner = owners.setdefault(name, (symbol, file))
        if owner[1] is not file and (symbol != _PACKAGE or owner[0] != _PACKAGE):
            clashes.append(name)
    if not clashes:
        return
    # protoc names a message after its contents: report the first clash that holds no other.
    tokens = file.symbol_tokens
    name = min(clashes, key=tokens.__getitem__)
    inner = [clash for clash in clashes if clash.startswith(name + ".")]
    while inner:
        name = min(inner, key=tokens.__getitem__)
        inner = [clash for clash in inner if clash.startswith(name + ".")]
    kind = " (as something other than a package)" if file.symbols[name] == _PACKAGE else ""
    file.source.fail(f"\"{name}\" is already defined{kind} in file \"{owners[name][1].name}\".", tokens[name])


def _resolve(file: ProtoFile) -> None:
    """Bind every field type of `file` to a definition, as protoc's name lookup does."""
    symbols: dict[str, _Symbol] = {}
    for visible in reversed(_visible_files(file)):
        symbols.update(visible.symbols)
    extension_ids = {id(extension) for *_, fields in file.extendees for extension in fields}
    for field in file.fields:
        if field.target is None:
            found, full, tried = _lookup(symbols, field.type_name, field.full_name)
            if found == _MAP_ENTRY:
                file.source.fail("map_entry should not be set explicitly. Use map<KeyType, ValueType> instead.",
                                 field.type_token)
            hidden = _hidden_from(found, file)
            if hidden:
                file.warnings.append(f"{file.location(field.type_token)}: type \"{field.type_name}\" of field "
                                     f"\"{field.name}\" {hidden}; the column is UNKNOWN")
            elif isinstance(found, (MessageDef, EnumDef)):
                field.target = found
                if field.default_token:
                    _check_named_default(file, field, found)
                if (isinstance(found, EnumDef) and file.syntax == "proto3" and found.file.syntax == "proto2"
                        and id(field) not in extension_ids):
                    scope = field.full_name.rpartition(".")[0]
                    user = f"{scope}.{_map_entry_name(field.name)}" if field.is_map else scope
                    file.source.fail(f"Enum type \"{found.full_name}\" is not an open enum, but is used in "
                                     f"\"{user}\" which is a proto3 message type.", field.type_token)
            else:
                file.warnings.append(
                    f"{file.location(field.type_token)}: type \"{field.type_name}\" of field \"{field.name}\" "
                    f"{tried if found is None else 'is not a message or enum type'}; the column is UNKNOWN")
    for key_type, field, token in file.named_map_keys:
        # protoc refuses any key that is not a scalar; which message it gives depends on what the name is.
        found, _, tried = _lookup(symbols, key_type, field.full_name)
        if found is None:
            file.source.fail(f"\"{key_type}\" {tried}.", token)
        file.source.fail("Key in map fields cannot be enum types." if isinstance(found, EnumDef) else
                         "Key in map fields cannot be float/double, bytes or message types.", token)
    for type_name, scope, token, extensions in file.extendees:
        if type_name in SCALAR_TYPES:
            continue
        # The extendee is looked up among all names, not only types: a field or enum in between hides a message.
        found, full, tried = _lookup(symbols, type_name, scope + ".x", types_only=False)
        if found is None:
            file.warnings.append(f"{file.location(token)}: type \"{type_name}\" {tried}")
            continue
        if not isinstance(found, MessageDef) and found != _MAP_ENTRY:
            file.source.fail(f"\"{type_name}\" is not a message type.", token)
        hidden = _hidden_from(found, file)
        if hidden:
            file.warnings.append(f"{file.location(token)}: type \"{type_name}\" {hidden}")
            continue
        if extensions and file.syntax == "proto3" and full not in _PROTO3_EXTENDEES:
            file.source.fail("Extensions in proto3 are only allowed for defining options.", token)
        ranges = found.extension_ranges if isinstance(found, MessageDef) else []
        for extension in extensions:
            if not any(low <= extension.number <= high for low, high in ranges):
                file.source.fail(f"\"{full}\" does not declare {extension.number} as an "
                                 "extension number.", extension.token + 2)


def _check_named_default(file: ProtoFile, field: FieldDef, target: MessageDef | EnumDef) -> None:
    """protoc's checks of `[default = ...]` on a field whose type is a message or an enum."""
    token = field.default_token
    if isinstance(target, MessageDef):
        file.source.fail("Messages can't have default values.", token)
    if file.source.kinds[token] is not _ID:
        file.source.fail("Default value for an enum field must be an identifier.", token)
    value = file.source.texts[token]
    if value not in target.values:
        file.source.fail(f"Enum type \"{target.full_name}\" has no value named \"{value}\".", token)


def _hidden_from(found: _Symbol | None, file: ProtoFile) -> str:
    """Why an edition 2024 message or enum of another file may not be used in `file`, or ""."""
    if not isinstance(found, (MessageDef, EnumDef)) or found.file is file or found.file.edition < "2024":
        return ""
    if found.visibility:
        if found.visibility == "export":
            return ""
        why = "is marked 'local'"
    else:
        default = found.file.default_visibility
        if default == "EXPORT_ALL" or (default == "EXPORT_TOP_LEVEL" and not found.nested):
            return ""
        why = f"is local by default (features.default_symbol_visibility = {default})"
    return f"is not visible: \"{found.full_name}\" of \"{found.file.name}\" {why}, so protoc refuses it here"


# The only messages a proto3 file may extend: those of custom options.
_PROTO3_EXTENDEES = frozenset(f"google.protobuf.{kind}Options" for kind in (
    "File", "Message", "Field", "Oneof", "Enum", "EnumValue", "Service", "Method", "ExtensionRange"))


def _lookup(symbols: dict[str, _Symbol], name: str, relative_to: str, *, types_only: bool = True
            ) -> tuple[_Symbol | None, str, str]:
    """protoc's name lookup from the scope of `relative_to`: innermost scope first, the first part binding.

    Gives the symbol found, its full name, and why nothing was found. With `types_only`, a
    single name skips symbols that are no type (fields, enum values, packages), as protoc does
    for field types; a dotted name binds its first part to the innermost aggregate of that name.
    """
    if name.startswith("."):
        return symbols.get(name[1:]), name[1:], "is not defined"
    first, dot, rest = name.partition(".")
    scope = relative_to.rpartition(".")[0]
    while True:
        candidate = f"{scope}.{first}" if scope else first
        found = symbols.get(candidate)
        if found is not None:
            if dot:
                if found != _VALUE:  # only a message, enum, package, service or map entry holds names
                    full = f"{candidate}.{rest}"
                    return symbols.get(full), full, (f"is resolved to \"{full}\", which is not defined (the "
                                                     "innermost scope is searched first)")
            elif not types_only or isinstance(found, (MessageDef, EnumDef)) or found == _MAP_ENTRY:
                return found, candidate, ""
        if not scope:
            return None, name, "is not defined"
        scope = scope.rpartition(".")[0]


def parse_file(path: str | os.PathLike[str], import_paths: Iterable[str | os.PathLike[str]] = ()
               ) -> ProtoFile:
    """Parse a .proto file and its imports and resolve its types.

    Imports are looked up under `import_paths`, then in the file's own folder,
    then among the built-in well-known types. Warnings (missing imports,
    unresolved types) from the file and its imports are in `.warnings`.
    """
    path = os.fspath(path)
    loader = _Loader([os.fspath(root) for root in import_paths])
    target = loader.load_target(path)
    loader.resolve_all()
    warnings: list[str] = []
    for file in loader.files:
        if file is not target:
            warnings.extend(file.warnings)
    target.warnings[:0] = warnings
    return target


# --------------------------------------------------------------------------- choosing a message


def _squash(name: str) -> str:
    """`user_profile`, `UserProfile` and `userProfile` all squash to `userprofile`."""
    return name.replace("_", "").lower()


def find_message(file: ProtoFile, name: str | None) -> MessageDef:
    """The message `name` picks: its full or relative name, or that name in snake_case or CamelCase.

    With no name the file must hold exactly one top-level message. Raises
    LookupError with the choices when nothing or more than one thing matches.
    """
    if not name:
        if len(file.messages) == 1:
            return file.messages[0]
        names = ", ".join(message.name for message in file.messages) or "none"
        raise LookupError(f"{file.path} has {len(file.messages)} top-level messages ({names}); "
                          "say which one with schema_name")
    wanted = name.lstrip(".")
    messages = list(file.all_messages.values())
    for candidate in messages:
        if candidate.full_name == wanted:
            return candidate
    for candidate in messages:
        if candidate.relative_name == wanted:
            return candidate
    squashed = _squash(wanted)
    matches = [candidate for candidate in messages
               if squashed in (_squash(candidate.relative_name), _squash(candidate.full_name))]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise LookupError(f"schema_name {name!r} matches several messages in {file.path}: "
                          + ", ".join(match.full_name for match in matches))
    choices = ", ".join(message.full_name for message in messages[:20]) or "none"
    raise LookupError(f"schema_name {name!r} names no message of {file.path} (messages: {choices})")


# --------------------------------------------------------------------------- column trees

Column = dict[str, object]


class _TreeBuilder:
    """Builds column dicts; a message already on the path becomes a childless RECORD."""

    def __init__(self, root: MessageDef, max_columns: int) -> None:
        self.root = root
        self.path: set[str] = set()
        self.count = 0
        self.max_columns = max_columns

    def columns(self, message: MessageDef) -> list[Column]:
        if len(self.path) > MAX_NESTING:
            line, column = message.file.source.location(message.token)
            raise ProtoParseError(f"the column tree of {self.root.full_name} is nested more than {MAX_NESTING} "
                                  f"levels deep (at message {message.full_name})", message.file.path, line, column)
        self.path.add(message.full_name)
        result = [self.field(field) for field in message.fields]
        self.path.discard(message.full_name)
        return result

    def field(self, field: FieldDef) -> Column:
        self.count += 1
        if self.count > self.max_columns:
            raise ProtoParseError(f"message {self.root.full_name} expands to more than {self.max_columns} "
                                  "columns, too many to ingest", self.root.file.path)
        if field.is_map:
            key = {"name": "key", "dataType": SCALAR_TYPES.get(field.key_type or "string", "UNKNOWN")}
            return {"name": field.name, "dataType": "MAP", "children": [key, self.typed("value", field.target)]}
        column = self.typed(field.name, field.target)
        if field.label == "repeated":
            array: Column = {"name": field.name, "dataType": "ARRAY", "arrayDataType": column["dataType"]}
            if "children" in column:
                array["children"] = column["children"]
            return array
        return column

    def typed(self, name: str, target: str | MessageDef | EnumDef | None) -> Column:
        if isinstance(target, str):
            return {"name": name, "dataType": target}
        if isinstance(target, MessageDef):
            column: Column = {"name": name, "dataType": "RECORD"}
            if target.full_name not in self.path:
                children = self.columns(target)
                if children:
                    column["children"] = children
            return column
        if isinstance(target, EnumDef):
            return {"name": name, "dataType": "ENUM"}
        return {"name": name, "dataType": "UNKNOWN"}


def message_columns(message: MessageDef, max_columns: int | None = None) -> list[Column]:
    """The message's column tree as dicts with `name`, `dataType`, `arrayDataType`, `children`.

    More than `max_columns` columns (default MAX_COLUMNS) is a ProtoParseError, not a hang."""
    try:
        return _TreeBuilder(message, MAX_COLUMNS if max_columns is None else max_columns).columns(message)
    except RecursionError:
        line, column = message.file.source.location(message.token)
        raise ProtoParseError(f"the column tree of {message.full_name} is nested too deeply for Python's "
                              "recursion limit", message.file.path, line, column) from None


def iter_columns(columns: list[Column]) -> Iterator[Column]:
    """Every column of a tree, depth first."""
    stack = list(reversed(columns))
    while stack:
        column = stack.pop()
        yield column
        stack.extend(reversed(column.get("children", [])))  # type: ignore[call-overload]


# --------------------------------------------------------------------------- well-known types

# Compact definitions of the files every protoc ships, so that schemas using
# them need no copy: structure only (fields, nested types, enum values), no
# comments or options. Struct, Value and ListValue recurse into each other.
WELL_KNOWN_FILES: dict[str, str] = {
    "google/protobuf/any.proto": """syntax = "proto3"; package google.protobuf;
message Any {
  string type_url = 1;
  bytes value = 2;
}""",
    "google/protobuf/api.proto": """syntax = "proto3"; package google.protobuf;
import "google/protobuf/source_context.proto";
import "google/protobuf/type.proto";
message Api {
  string name = 1;
  repeated Method methods = 2;
  repeated Option options = 3;
  string version = 4;
  SourceContext source_context = 5;
  repeated Mixin mixins = 6;
  Syntax syntax = 7;
  string edition = 8;
}
message Method {
  string name = 1;
  string request_type_url = 2;
  bool request_streaming = 3;
  string response_type_url = 4;
  bool response_streaming = 5;
  repeated Option options = 6;
  Syntax syntax = 7;
  string edition = 8;
}
message Mixin {
  string name = 1;
  string root = 2;
}""",
    "google/protobuf/compiler/plugin.proto": """syntax = "proto2"; package google.protobuf.compiler;
import "google/protobuf/descriptor.proto";
message Version {
  optional int32 major = 1;
  optional int32 minor = 2;
  optional int32 patch = 3;
  optional string suffix = 4;
}
message CodeGeneratorRequest {
  repeated string file_to_generate = 1;
  optional string parameter = 2;
  repeated google.protobuf.FileDescriptorProto proto_file = 15;
  repeated google.protobuf.FileDescriptorProto source_file_descriptors = 17;
  optional Version compiler_version = 3;
}
message CodeGeneratorResponse {
  optional string error = 1;
  optional uint64 supported_features = 2;
  optional int32 minimum_edition = 3;
  optional int32 maximum_edition = 4;
  repeated CodeGeneratorResponse.File file = 15;
  message File {
    optional string name = 1;
    optional string insertion_point = 2;
    optional string content = 15;
    optional google.protobuf.GeneratedCodeInfo generated_code_info = 16;
  }
  enum Feature { FEATURE_NONE = 0; FEATURE_PROTO3_OPTIONAL = 1; FEATURE_SUPPORTS_EDITIONS = 2; }
}""",
    "google/protobuf/cpp_features.proto": """syntax = "proto2"; package pb;
import "google/protobuf/descriptor.proto";
message CppFeatures {
  optional bool legacy_closed_enum = 1;
  optional CppFeatures.StringType string_type = 2;
  optional bool enum_name_uses_string_view = 3;
  optional CppFeatures.RepeatedType repeated_type = 4;
  enum StringType { STRING_TYPE_UNKNOWN = 0; VIEW = 1; CORD = 2; STRING = 3; }
  enum RepeatedType { REPEATED_TYPE_UNKNOWN = 0; LEGACY = 1; PROXY = 2; }
}
extend google.protobuf.FeatureSet { optional CppFeatures cpp = 1000; }""",
    "google/protobuf/descriptor.proto": """syntax = "proto2"; package google.protobuf;
message FileDescriptorSet {
  repeated FileDescriptorProto file = 1;
  extensions 536000000 to 536000000;
}
message FileDescriptorProto {
  optional string name = 1;
  optional string package = 2;
  repeated string dependency = 3;
  repeated int32 public_dependency = 10;
  repeated int32 weak_dependency = 11;
  repeated string option_dependency = 15;
  repeated DescriptorProto message_type = 4;
  repeated EnumDescriptorProto enum_type = 5;
  repeated ServiceDescriptorProto service = 6;
  repeated FieldDescriptorProto extension = 7;
  optional FileOptions options = 8;
  optional SourceCodeInfo source_code_info = 9;
  optional string syntax = 12;
  optional Edition edition = 14;
}
message DescriptorProto {
  optional string name = 1;
  repeated FieldDescriptorProto field = 2;
  repeated FieldDescriptorProto extension = 6;
  repeated DescriptorProto nested_type = 3;
  repeated EnumDescriptorProto enum_type = 4;
  repeated DescriptorProto.ExtensionRange extension_range = 5;
  repeated OneofDescriptorProto oneof_decl = 8;
  optional MessageOptions options = 7;
  repeated DescriptorProto.ReservedRange reserved_range = 9;
  repeated string reserved_name = 10;
  optional SymbolVisibility visibility = 11;
  message ExtensionRange {
    optional int32 start = 1;
    optional int32 end = 2;
    optional ExtensionRangeOptions options = 3;
  }
  message ReservedRange {
    optional int32 start = 1;
    optional int32 end = 2;
  }
}
message ExtensionRangeOptions {
  repeated UninterpretedOption uninterpreted_option = 999;
  repeated ExtensionRangeOptions.Declaration declaration = 2;
  optional FeatureSet features = 50;
  optional ExtensionRangeOptions.VerificationState verification = 3;
  message Declaration {
    optional int32 number = 1;
    optional string full_name = 2;
    optional string type = 3;
    optional bool reserved = 5;
    optional bool repeated = 6;
  }
  enum VerificationState { DECLARATION = 0; UNVERIFIED = 1; }
  extensions 990 to 998;
  extensions 1000 to max;
}
message FieldDescriptorProto {
  optional string name = 1;
  optional int32 number = 3;
  optional FieldDescriptorProto.Label label = 4;
  optional FieldDescriptorProto.Type type = 5;
  optional string type_name = 6;
  optional string extendee = 2;
  optional string default_value = 7;
  optional int32 oneof_index = 9;
  optional string json_name = 10;
  optional FieldOptions options = 8;
  optional bool proto3_optional = 17;
  enum Type {
    TYPE_DOUBLE = 1; TYPE_FLOAT = 2; TYPE_INT64 = 3; TYPE_UINT64 = 4; TYPE_INT32 = 5; TYPE_FIXED64 = 6;
    TYPE_FIXED32 = 7; TYPE_BOOL = 8; TYPE_STRING = 9; TYPE_GROUP = 10; TYPE_MESSAGE = 11; TYPE_BYTES = 12;
    TYPE_UINT32 = 13; TYPE_ENUM = 14; TYPE_SFIXED32 = 15; TYPE_SFIXED64 = 16; TYPE_SINT32 = 17; TYPE_SINT64 = 18;
  }
  enum Label { LABEL_OPTIONAL = 1; LABEL_REPEATED = 3; LABEL_REQUIRED = 2; }
}
message OneofDescriptorProto {
  optional string name = 1;
  optional OneofOptions options = 2;
}
message EnumDescriptorProto {
  optional string name = 1;
  repeated EnumValueDescriptorProto value = 2;
  optional EnumOptions options = 3;
  repeated EnumDescriptorProto.EnumReservedRange reserved_range = 4;
  repeated string reserved_name = 5;
  optional SymbolVisibility visibility = 6;
  message EnumReservedRange {
    optional int32 start = 1;
    optional int32 end = 2;
  }
}
message EnumValueDescriptorProto {
  optional string name = 1;
  optional int32 number = 2;
  optional EnumValueOptions options = 3;
}
message ServiceDescriptorProto {
  optional string name = 1;
  repeated MethodDescriptorProto method = 2;
  optional ServiceOptions options = 3;
}
message MethodDescriptorProto {
  optional string name = 1;
  optional string input_type = 2;
  optional string output_type = 3;
  optional MethodOptions options = 4;
  optional bool client_streaming = 5;
  optional bool server_streaming = 6;
}
message FileOptions {
  optional string java_package = 1;
  optional string java_outer_classname = 8;
  optional bool java_multiple_files = 10;
  optional bool java_generate_equals_and_hash = 20;
  optional bool java_string_check_utf8 = 27;
  optional FileOptions.OptimizeMode optimize_for = 9;
  optional string go_package = 11;
  optional bool cc_generic_services = 16;
  optional bool java_generic_services = 17;
  optional bool py_generic_services = 18;
  optional bool deprecated = 23;
  optional bool cc_enable_arenas = 31;
  optional string objc_class_prefix = 36;
  optional string csharp_namespace = 37;
  optional string swift_prefix = 39;
  optional string php_class_prefix = 40;
  optional string php_namespace = 41;
  optional string php_metadata_namespace = 44;
  optional string ruby_package = 45;
  optional FeatureSet features = 50;
  repeated UninterpretedOption uninterpreted_option = 999;
  enum OptimizeMode { SPEED = 1; CODE_SIZE = 2; LITE_RUNTIME = 3; }
  extensions 990 to 998;
  extensions 1000 to max;
}
message MessageOptions {
  optional bool message_set_wire_format = 1;
  optional bool no_standard_descriptor_accessor = 2;
  optional bool deprecated = 3;
  optional bool map_entry = 7;
  optional bool deprecated_legacy_json_field_conflicts = 11;
  optional FeatureSet features = 12;
  repeated UninterpretedOption uninterpreted_option = 999;
  extensions 990 to 998;
  extensions 1000 to max;
}
message FieldOptions {
  optional FieldOptions.CType ctype = 1;
  optional bool packed = 2;
  optional FieldOptions.JSType jstype = 6;
  optional bool lazy = 5;
  optional bool unverified_lazy = 15;
  optional bool deprecated = 3;
  optional bool weak = 10;
  optional bool debug_redact = 16;
  optional FieldOptions.OptionRetention retention = 17;
  repeated FieldOptions.OptionTargetType targets = 19;
  repeated FieldOptions.EditionDefault edition_defaults = 20;
  optional FeatureSet features = 21;
  optional FieldOptions.FeatureSupport feature_support = 22;
  repeated UninterpretedOption uninterpreted_option = 999;
  message EditionDefault {
    optional Edition edition = 3;
    optional string value = 2;
  }
  message FeatureSupport {
    optional Edition edition_introduced = 1;
    optional Edition edition_deprecated = 2;
    optional string deprecation_warning = 3;
    optional Edition edition_removed = 4;
    optional string removal_error = 5;
  }
  enum CType { STRING = 0; CORD = 1; STRING_PIECE = 2; }
  enum JSType { JS_NORMAL = 0; JS_STRING = 1; JS_NUMBER = 2; }
  enum OptionRetention { RETENTION_UNKNOWN = 0; RETENTION_RUNTIME = 1; RETENTION_SOURCE = 2; }
  enum OptionTargetType {
    TARGET_TYPE_UNKNOWN = 0; TARGET_TYPE_FILE = 1; TARGET_TYPE_EXTENSION_RANGE = 2; TARGET_TYPE_MESSAGE = 3;
    TARGET_TYPE_FIELD = 4; TARGET_TYPE_ONEOF = 5; TARGET_TYPE_ENUM = 6; TARGET_TYPE_ENUM_ENTRY = 7;
    TARGET_TYPE_SERVICE = 8; TARGET_TYPE_METHOD = 9;
  }
  extensions 990 to 998;
  extensions 1000 to max;
}
message OneofOptions {
  optional FeatureSet features = 1;
  repeated UninterpretedOption uninterpreted_option = 999;
  extensions 990 to 998;
  extensions 1000 to max;
}
message EnumOptions {
  optional bool allow_alias = 2;
  optional bool deprecated = 3;
  optional bool deprecated_legacy_json_field_conflicts = 6;
  optional FeatureSet features = 7;
  repeated UninterpretedOption uninterpreted_option = 999;
  extensions 990 to 998;
  extensions 1000 to max;
}
message EnumValueOptions {
  optional bool deprecated = 1;
  optional FeatureSet features = 2;
  optional bool debug_redact = 3;
  optional FieldOptions.FeatureSupport feature_support = 4;
  repeated UninterpretedOption uninterpreted_option = 999;
  extensions 990 to 998;
  extensions 1000 to max;
}
message ServiceOptions {
  optional FeatureSet features = 34;
  optional bool deprecated = 33;
  repeated UninterpretedOption uninterpreted_option = 999;
  extensions 990 to 998;
  extensions 1000 to max;
}
message MethodOptions {
  optional bool deprecated = 33;
  optional MethodOptions.IdempotencyLevel idempotency_level = 34;
  optional FeatureSet features = 35;
  repeated UninterpretedOption uninterpreted_option = 999;
  enum IdempotencyLevel { IDEMPOTENCY_UNKNOWN = 0; NO_SIDE_EFFECTS = 1; IDEMPOTENT = 2; }
  extensions 990 to 998;
  extensions 1000 to max;
}
message UninterpretedOption {
  repeated UninterpretedOption.NamePart name = 2;
  optional string identifier_value = 3;
  optional uint64 positive_int_value = 4;
  optional int64 negative_int_value = 5;
  optional double double_value = 6;
  optional bytes string_value = 7;
  optional string aggregate_value = 8;
  message NamePart {
    required string name_part = 1;
    required bool is_extension = 2;
  }
}
message FeatureSet {
  optional FeatureSet.FieldPresence field_presence = 1;
  optional FeatureSet.EnumType enum_type = 2;
  optional FeatureSet.RepeatedFieldEncoding repeated_field_encoding = 3;
  optional FeatureSet.Utf8Validation utf8_validation = 4;
  optional FeatureSet.MessageEncoding message_encoding = 5;
  optional FeatureSet.JsonFormat json_format = 6;
  optional FeatureSet.EnforceNamingStyle enforce_naming_style = 7;
  optional FeatureSet.VisibilityFeature.DefaultSymbolVisibility default_symbol_visibility = 8;
  message VisibilityFeature {
    enum DefaultSymbolVisibility {
      DEFAULT_SYMBOL_VISIBILITY_UNKNOWN = 0; EXPORT_ALL = 1; EXPORT_TOP_LEVEL = 2; LOCAL_ALL = 3; STRICT = 4;
    }
  }
  enum FieldPresence { FIELD_PRESENCE_UNKNOWN = 0; EXPLICIT = 1; IMPLICIT = 2; LEGACY_REQUIRED = 3; }
  enum EnumType { ENUM_TYPE_UNKNOWN = 0; OPEN = 1; CLOSED = 2; }
  enum RepeatedFieldEncoding { REPEATED_FIELD_ENCODING_UNKNOWN = 0; PACKED = 1; EXPANDED = 2; }
  enum Utf8Validation { UTF8_VALIDATION_UNKNOWN = 0; VERIFY = 2; NONE = 3; }
  enum MessageEncoding { MESSAGE_ENCODING_UNKNOWN = 0; LENGTH_PREFIXED = 1; DELIMITED = 2; }
  enum JsonFormat { JSON_FORMAT_UNKNOWN = 0; ALLOW = 1; LEGACY_BEST_EFFORT = 2; }
  enum EnforceNamingStyle { ENFORCE_NAMING_STYLE_UNKNOWN = 0; STYLE2024 = 1; STYLE_LEGACY = 2; STYLE2026 = 3; }
  extensions 1000 to 9994;
  extensions 9995 to 9999;
  extensions 10000 to 10000;
}
message FeatureSetDefaults {
  repeated FeatureSetDefaults.FeatureSetEditionDefault defaults = 1;
  optional Edition minimum_edition = 4;
  optional Edition maximum_edition = 5;
  message FeatureSetEditionDefault {
    optional Edition edition = 3;
    optional FeatureSet overridable_features = 4;
    optional FeatureSet fixed_features = 5;
  }
}
message SourceCodeInfo {
  repeated SourceCodeInfo.Location location = 1;
  message Location {
    repeated int32 path = 1;
    repeated int32 span = 2;
    optional string leading_comments = 3;
    optional string trailing_comments = 4;
    repeated string leading_detached_comments = 6;
  }
  extensions 536000000 to 536000000;
}
message GeneratedCodeInfo {
  repeated GeneratedCodeInfo.Annotation annotation = 1;
  message Annotation {
    repeated int32 path = 1;
    optional string source_file = 2;
    optional int32 begin = 3;
    optional int32 end = 4;
    optional GeneratedCodeInfo.Annotation.Semantic semantic = 5;
    enum Semantic { NONE = 0; SET = 1; ALIAS = 2; }
  }
}
enum Edition {
  EDITION_UNKNOWN = 0; EDITION_LEGACY = 900; EDITION_PROTO2 = 998; EDITION_PROTO3 = 999; EDITION_2023 = 1000;
  EDITION_2024 = 1001; EDITION_2026 = 1002; EDITION_UNSTABLE = 9999; EDITION_1_TEST_ONLY = 1;
  EDITION_2_TEST_ONLY = 2; EDITION_99997_TEST_ONLY = 99997; EDITION_99998_TEST_ONLY = 99998;
  EDITION_99999_TEST_ONLY = 99999; EDITION_MAX = 2147483647;
}
enum SymbolVisibility { VISIBILITY_UNSET = 0; VISIBILITY_LOCAL = 1; VISIBILITY_EXPORT = 2; }""",
    "google/protobuf/duration.proto": """syntax = "proto3"; package google.protobuf;
message Duration {
  int64 seconds = 1;
  int32 nanos = 2;
}""",
    "google/protobuf/empty.proto": """syntax = "proto3"; package google.protobuf;
message Empty {}""",
    "google/protobuf/field_mask.proto": """syntax = "proto3"; package google.protobuf;
message FieldMask { repeated string paths = 1; }""",
    "google/protobuf/go_features.proto": """syntax = "proto2"; package pb;
import "google/protobuf/descriptor.proto";
message GoFeatures {
  optional bool legacy_unmarshal_json_enum = 1;
  optional GoFeatures.APILevel api_level = 2;
  optional GoFeatures.StripEnumPrefix strip_enum_prefix = 3;
  optional GoFeatures.OptimizeModeFeature.OptimizeMode optimize_mode = 4;
  message OptimizeModeFeature { enum OptimizeMode { OPTIMIZE_MODE_UNSPECIFIED = 0; SPEED = 1; CODE_SIZE = 2; } }
  enum APILevel { API_LEVEL_UNSPECIFIED = 0; API_OPEN = 1; API_HYBRID = 2; API_OPAQUE = 3; }
  enum StripEnumPrefix {
    STRIP_ENUM_PREFIX_UNSPECIFIED = 0; STRIP_ENUM_PREFIX_KEEP = 1; STRIP_ENUM_PREFIX_GENERATE_BOTH = 2;
    STRIP_ENUM_PREFIX_STRIP = 3;
  }
}
extend google.protobuf.FeatureSet { optional GoFeatures go = 1002; }""",
    "google/protobuf/java_features.proto": """syntax = "proto2"; package pb;
import "google/protobuf/descriptor.proto";
message JavaFeatures {
  optional bool legacy_closed_enum = 1;
  optional JavaFeatures.Utf8Validation utf8_validation = 2;
  optional bool large_enum = 3;
  optional bool use_old_outer_classname_default = 4;
  optional JavaFeatures.NestInFileClassFeature.NestInFileClass nest_in_file_class = 5;
  message NestInFileClassFeature {
    enum NestInFileClass { NEST_IN_FILE_CLASS_UNKNOWN = 0; NO = 1; YES = 2; LEGACY = 3; }
  }
  enum Utf8Validation { UTF8_VALIDATION_UNKNOWN = 0; DEFAULT = 1; VERIFY = 2; }
}
extend google.protobuf.FeatureSet { optional JavaFeatures java = 1001; }""",
    "google/protobuf/source_context.proto": """syntax = "proto3"; package google.protobuf;
message SourceContext { string file_name = 1; }""",
    "google/protobuf/struct.proto": """syntax = "proto3"; package google.protobuf;
message Struct { map<string, Value> fields = 1; }
message Value {
  oneof kind {
    NullValue null_value = 1; double number_value = 2; string string_value = 3; bool bool_value = 4;
    Struct struct_value = 5; ListValue list_value = 6;
  }
}
message ListValue { repeated Value values = 1; }
enum NullValue { NULL_VALUE = 0; }""",
    "google/protobuf/timestamp.proto": """syntax = "proto3"; package google.protobuf;
message Timestamp {
  int64 seconds = 1;
  int32 nanos = 2;
}""",
    "google/protobuf/type.proto": """syntax = "proto3"; package google.protobuf;
import "google/protobuf/any.proto";
import "google/protobuf/source_context.proto";
message Type {
  string name = 1;
  repeated Field fields = 2;
  repeated string oneofs = 3;
  repeated Option options = 4;
  SourceContext source_context = 5;
  Syntax syntax = 6;
  string edition = 7;
}
message Field {
  Field.Kind kind = 1;
  Field.Cardinality cardinality = 2;
  int32 number = 3;
  string name = 4;
  string type_url = 6;
  int32 oneof_index = 7;
  bool packed = 8;
  repeated Option options = 9;
  string json_name = 10;
  string default_value = 11;
  enum Kind {
    TYPE_UNKNOWN = 0; TYPE_DOUBLE = 1; TYPE_FLOAT = 2; TYPE_INT64 = 3; TYPE_UINT64 = 4; TYPE_INT32 = 5;
    TYPE_FIXED64 = 6; TYPE_FIXED32 = 7; TYPE_BOOL = 8; TYPE_STRING = 9; TYPE_GROUP = 10; TYPE_MESSAGE = 11;
    TYPE_BYTES = 12; TYPE_UINT32 = 13; TYPE_ENUM = 14; TYPE_SFIXED32 = 15; TYPE_SFIXED64 = 16; TYPE_SINT32 = 17;
    TYPE_SINT64 = 18;
  }
  enum Cardinality {
    CARDINALITY_UNKNOWN = 0; CARDINALITY_OPTIONAL = 1; CARDINALITY_REQUIRED = 2; CARDINALITY_REPEATED = 3;
  }
}
message Enum {
  string name = 1;
  repeated EnumValue enumvalue = 2;
  repeated Option options = 3;
  SourceContext source_context = 4;
  Syntax syntax = 5;
  string edition = 6;
}
message EnumValue {
  string name = 1;
  int32 number = 2;
  repeated Option options = 3;
}
message Option {
  string name = 1;
  Any value = 2;
}
enum Syntax { SYNTAX_PROTO2 = 0; SYNTAX_PROTO3 = 1; SYNTAX_EDITIONS = 2; }""",
    "google/protobuf/wrappers.proto": """syntax = "proto3"; package google.protobuf;
message DoubleValue { double value = 1; }
message FloatValue { float value = 1; }
message Int64Value { int64 value = 1; }
message UInt64Value { uint64 value = 1; }
message Int32Value { int32 value = 1; }
message UInt32Value { uint32 value = 1; }
message BoolValue { bool value = 1; }
message StringValue { string value = 1; }
message BytesValue { bytes value = 1; }""",
}
