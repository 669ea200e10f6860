"""The lexer: a .proto text as a flat list of tokens, and the way back from a token to `file:line:column`.

One compiled regular expression cuts the text into tokens (comments and whitespace skipped); the
few tokens whose first character does not say what they are (numbers, strings, strays) are checked
one by one, and a bad one is reported with protoc's message at the character protoc points at.
"""

from __future__ import annotations

import bisect
import re
from typing import NoReturn

__all__ = ["EOF", "FLOAT", "IDENTIFIER", "INTEGER", "STRING", "SYMBOL", "ProtoParseError", "Source", "int_value"]

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
IDENTIFIER, INTEGER, FLOAT, STRING, SYMBOL, EOF = "identifier", "integer", "number", "string", "symbol", "end of file"
_CHECK = "to check"
# Most tokens are known by their first character; the others (numbers, strings,
# a dot that may start a number, strays) are checked one by one.
_FIRST_CHARACTER_KIND = {
    **{character: SYMBOL for character in map(chr, range(33, 127))},
    **{character: IDENTIFIER for character in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"},
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


def _decode_string(raw: str, source: Source, token: int) -> str:
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


class Source:
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
        kinds.append(EOF)
        self.texts, self.kinds = texts, kinds

    def check(self, text: str, index: int) -> str:
        """The kind of a token that its first character does not settle (numbers, strings, strays)."""
        first = text[0]
        if text == "." or text == "/":
            return SYMBOL
        if first in "0123456789.":
            if _INT_RE.fullmatch(text):
                return INTEGER
            if _FLOAT_RE.fullmatch(text) and ("." in text or "e" in text or "E" in text):
                return FLOAT
            message, offset = _number_error(self.text, self.token_offset(index))
            self.fail_at(message, offset)
        if first in "\"'" and len(text) > 1:
            self.strings[index] = _decode_string(text, self, index)
            return STRING
        if text == "/*":
            line, _ = self.location(index)
            self.fail_at(f"End-of-file inside block comment. The comment starts on line {line}.", len(self.text))
        if first in "\"'":
            message, offset = _string_error(self.text, self.token_offset(index))
            self.fail_at(message, offset)
        if text == "\ufeff":
            self.fail("A byte order mark is only allowed at the very start of the file.", index)
        self.fail(f"Unexpected character {text!r}.", index)


def int_value(text: str) -> int:
    """The value of an integer token: hexadecimal, octal (a leading zero) or decimal."""
    if text[:2] in ("0x", "0X"):
        return int(text, 16)
    if len(text) > 1 and text[0] == "0":
        return int(text, 8)
    return int(text)

