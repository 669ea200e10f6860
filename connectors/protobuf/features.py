"""Editions features, resolved as protoc resolves them: the one place that says what a feature is.

A feature is written on a file, message, field, oneof, enum or enum value, either dotted
(`option features.enum_type = CLOSED;`, `[features.field_presence = IMPLICIT]`) or as a message
literal (`option features = { enum_type: CLOSED };`, nested literals and lists included). The
grammar keeps what is written on each element (`element.features`, a flat dict such as
`{"enum_type": "CLOSED", "(pb.cpp).legacy_closed_enum": "true"}`); `resolve()` lays it over what
the element inherits (file -> message -> nested message -> oneof -> field, file or message -> enum ->
value; an extension inherits from where it is declared) and, under everything, the defaults of the
file's edition (proto2 and proto3 behave as their own editions). Checks and column decisions ask
`feature()` and never read options themselves.
"""

from __future__ import annotations

from typing import Protocol

from connectors.protobuf.lexer import EOF, FLOAT, IDENTIFIER, INTEGER, STRING
from connectors.protobuf.model import EDITION_ORDER

__all__ = ["UNREADABLE", "certain", "feature", "read_literal", "resolve"]

_LEGACY_STYLE = {"message_encoding": "LENGTH_PREFIXED", "enforce_naming_style": "STYLE_LEGACY",
                 "default_symbol_visibility": "EXPORT_ALL"}
_EDITION_2023 = {"field_presence": "EXPLICIT", "enum_type": "OPEN", "repeated_field_encoding": "PACKED",
                 "utf8_validation": "VERIFY", "json_format": "ALLOW", **_LEGACY_STYLE}
#: protoc's defaults for each edition (FeatureSetDefaults); later editions change a few of them.
EDITION_DEFAULTS: dict[str, dict[str, str]] = {
    "proto2": {"field_presence": "EXPLICIT", "enum_type": "CLOSED", "repeated_field_encoding": "EXPANDED",
               "utf8_validation": "NONE", "json_format": "LEGACY_BEST_EFFORT", **_LEGACY_STYLE},
    "proto3": {"field_presence": "IMPLICIT", "enum_type": "OPEN", "repeated_field_encoding": "PACKED",
               "utf8_validation": "VERIFY", "json_format": "ALLOW", **_LEGACY_STYLE},
    "2023": _EDITION_2023,
    "2024": {**_EDITION_2023, "enforce_naming_style": "STYLE2024", "default_symbol_visibility": "EXPORT_TOP_LEVEL"},
}

#: The key under which an element records a features literal that could not be read: the features it
#: resolves to are then uncertain, and checks that depend on them warn instead of refusing.
UNREADABLE = "(unreadable)"


class _HasFeatures(Protocol):
    """A file, message, field, oneof, enum or enum value (their `parent` leads up to the file)."""

    features: dict[str, str]
    resolved_features: dict[str, str] | None


def _defaults(file: _HasFeatures) -> dict[str, str]:
    syntax, edition = getattr(file, "syntax", "proto2"), getattr(file, "edition", "")
    if syntax != "editions":
        return EDITION_DEFAULTS[syntax]
    # Editions after 2024 (UNSTABLE, test-only ones) are refused by the checks; read them as 2024.
    later = EDITION_ORDER.get(edition, 0) > EDITION_ORDER["2024"]
    return EDITION_DEFAULTS.get(edition, EDITION_DEFAULTS["2024"] if later else _EDITION_2023)


def resolve(element: _HasFeatures) -> dict[str, str]:
    """Every feature of `element`: what is written on it over what it inherits. Cached on the element."""
    resolved = element.resolved_features
    if resolved is not None:
        return resolved
    chain: list[_HasFeatures] = []
    current: _HasFeatures | None = element
    while current is not None and current.resolved_features is None:
        chain.append(current)
        current = getattr(current, "parent", None)
    # A loop, not recursion: the chain is as deep as the nesting, and each link is resolved once.
    base = current.resolved_features if current is not None else None
    for link in reversed(chain):
        if base is None:  # the file: its edition's defaults underneath
            base = _defaults(link)
        link.resolved_features = base = {**base, **link.features} if link.features else base
    assert base is not None
    return base


def feature(element: _HasFeatures, name: str) -> str:
    """One resolved feature of `element` (`enum_type`, `field_presence`, `json_format`, ...)."""
    return resolve(element).get(name, "")


def certain(element: _HasFeatures) -> bool:
    """False when a features literal on the way down could not be read, so a feature may be other than it seems."""
    return UNREADABLE not in resolve(element)


# --------------------------------------------------------------------------- reading a literal


class _Unreadable(Exception):
    """A features literal this reader does not follow: recorded as UNREADABLE, never an error."""


def read_literal(texts: list[str], kinds: list[str], start: int, prefix: str) -> dict[str, str]:
    """The features a message literal sets, flattened: `{ enum_type: CLOSED, [pb.cpp] { x: true } }`.

    `start` is the token after the literal's `{`; `prefix` is what the option name already says
    (`(pb.cpp)` for `option features.(pb.cpp) = {...}`). A list is kept as its items joined by
    commas. protoc reads the text format strictly only when it interprets options; a literal this
    reader cannot follow gives `{UNREADABLE: ...}` so that the checks depending on it only warn.
    """
    found: dict[str, str] = {}
    try:
        _read_fields(texts, kinds, start, "}", prefix, found)
    except (_Unreadable, IndexError, ValueError, RecursionError):  # ran off the literal, or nested too deep
        return {UNREADABLE: "true"}
    return found


def _read_fields(texts: list[str], kinds: list[str], at: int, closing: str, prefix: str,
                 found: dict[str, str]) -> int:
    """Read `name: value` pairs up to `closing`; gives the token after it."""
    while texts[at] != closing:
        if kinds[at] is EOF:
            raise _Unreadable
        if texts[at] == "[":  # an extension (or Any type URL): [pb.cpp]
            end = texts.index("]", at)
            name = "(" + "".join(texts[at + 1:end]) + ")"
            at = end + 1
        elif kinds[at] is IDENTIFIER:
            name = texts[at]
            at += 1
        else:
            raise _Unreadable
        key = f"{prefix}.{name}" if prefix else name
        if texts[at] == ":":
            at += 1
        at = _read_value(texts, kinds, at, key, found)
        if texts[at] in (",", ";"):
            at += 1
    return at + 1


def _read_value(texts: list[str], kinds: list[str], at: int, key: str, found: dict[str, str]) -> int:
    text = texts[at]
    if text in ("{", "<"):
        return _read_fields(texts, kinds, at + 1, "}" if text == "{" else ">", key, found)
    if text == "[":
        items: list[str] = []
        at += 1
        while texts[at] != "]":
            if texts[at] in ("{", "<"):
                at = _read_value(texts, kinds, at, key, found)
            else:
                at = _scalar(texts, kinds, at, items)
            if texts[at] == ",":
                at += 1
        found[key] = ",".join(items)
        return at + 1
    items = []
    at = _scalar(texts, kinds, at, items)
    found[key] = items[0]
    return at


def _scalar(texts: list[str], kinds: list[str], at: int, items: list[str]) -> int:
    sign = ""
    if texts[at] == "-":
        sign, at = "-", at + 1
    if kinds[at] not in (IDENTIFIER, INTEGER, FLOAT, STRING):
        raise _Unreadable
    items.append(sign + texts[at])
    at += 1
    while kinds[at] is STRING and kinds[at - 1] is STRING:  # adjacent strings are one value
        at += 1
    return at
