"""The parsed model: what the grammar records of a .proto file, for resolution, checks and columns.

Every definition keeps the token where it was written (`Source.location()` turns it into
`line:column` for messages) and the editions features written on it (`features`, read by
`features.py`, which alone decides what a feature resolves to).
"""

from __future__ import annotations

from typing import Union

from connectors.protobuf.lexer import Source

__all__ = [
    "EDITION_ORDER", "SCALAR_TYPES", "MAP_KEY_TYPES", "INTEGER_RANGES", "MAX_FIELD_NUMBER",
    "EnumDef", "EnumValue", "FieldDef", "MessageDef", "Oneof", "ProtoFile", "Ranges", "Symbol",
    "SERVICE", "VALUE", "MAP_ENTRY", "NO_FEATURES",
]

SCALAR_TYPES: dict[str, str] = {
    "double": "DOUBLE", "float": "FLOAT",
    "int32": "INT", "int64": "INT", "uint32": "INT", "uint64": "INT", "sint32": "INT", "sint64": "INT",
    "fixed32": "INT", "fixed64": "INT", "sfixed32": "INT", "sfixed64": "INT",
    "bool": "BOOLEAN", "string": "STRING", "bytes": "BYTES",
}
MAP_KEY_TYPES = frozenset(SCALAR_TYPES) - {"double", "float", "bytes"}
INTEGER_RANGES = {
    **dict.fromkeys(("int32", "sint32", "sfixed32"), (-(2**31), 2**31 - 1)),
    **dict.fromkeys(("int64", "sint64", "sfixed64"), (-(2**63), 2**63 - 1)),
    **dict.fromkeys(("uint32", "fixed32"), (0, 2**32 - 1)),
    **dict.fromkeys(("uint64", "fixed64"), (0, 2**64 - 1)),
}
MAX_FIELD_NUMBER = 536_870_911
#: Editions in protoc's order (its Edition enum); the checks refuse those protoc does not support.
EDITION_ORDER = {"LEGACY": 900, "1_TEST_ONLY": 1, "2_TEST_ONLY": 2, "2023": 1000, "2024": 1001, "2026": 1002,
                 "UNSTABLE": 9999, "99997_TEST_ONLY": 99997, "99998_TEST_ONLY": 99998, "99999_TEST_ONLY": 99999,
                 "MAX": 2**31 - 1}

#: What an element has written when it sets no feature: one shared empty dict (most elements set none,
#: and a dict each would cost time and memory); the grammar gives an element its own before writing.
NO_FEATURES: dict[str, str] = {}

# Symbol kinds other than messages and enums. A map field's synthetic entry message holds names
# (it hides outer ones), but no field may name it as its type. Packages are kept apart, in
# `ProtoFile.package`, so that a package of many dotted parts costs its length, not its prefixes.
SERVICE, VALUE, MAP_ENTRY = "service", "value", "map entry"


class Ranges:
    """What a message or enum body reserves, and a message's extension ranges: (low, high, token) each."""

    __slots__ = ("extensions", "names", "reserved")

    def __init__(self) -> None:
        self.reserved: list[tuple[int, int, int]] = []
        self.names: dict[str, int] = {}
        self.extensions: list[tuple[int, int, int]] = []


class EnumValue:
    """One value of an enum."""

    __slots__ = ("features", "name", "number", "number_token", "parent", "resolved_features", "token")

    def __init__(self, name: str, number: int, token: int, number_token: int, parent: EnumDef) -> None:
        self.name = name
        self.number = number
        self.token = token
        self.number_token = number_token
        self.parent = parent
        self.features: dict[str, str] = NO_FEATURES
        self.resolved_features: dict[str, str] | None = None


class EnumDef:
    """An enum definition: its values, and what protoc checks of them."""

    __slots__ = ("allow_alias", "features", "file", "full_name", "name", "nested", "parent", "ranges",
                 "resolved_features", "token", "value_names", "values", "visibility")

    def __init__(self, name: str, full_name: str, file: ProtoFile, token: int,
                 parent: MessageDef | ProtoFile) -> None:
        self.name = name
        self.full_name = full_name
        self.file = file
        self.token = token              # the name
        self.parent = parent            # where features are inherited from
        self.visibility = ""            # edition 2024's `export` or `local` when written
        self.nested = False             # defined inside a message
        self.values: list[EnumValue] = []
        self.value_names: set[str] = set()  # to check a field's default
        self.allow_alias = False
        self.ranges = Ranges()
        self.features: dict[str, str] = NO_FEATURES
        self.resolved_features: dict[str, str] | None = None


class FieldDef:
    """A field of a message (or an extension); `target` is set by resolution."""

    __slots__ = ("default_token", "extendee", "features", "full_name", "has_default", "is_group", "is_map",
                 "json_name", "key_type", "label", "name", "name_token", "number", "number_token", "oneof", "parent",
                 "resolved_features", "target", "type_name", "type_token")

    def __init__(self, name: str, number: int, label: str, type_name: str, token: int, full_name: str,
                 key_type: str | None = None) -> None:
        self.name = name
        self.number = number
        self.label = label              # optional, required, repeated or ""
        self.type_name = type_name      # as written; the value type for a map
        self.key_type = key_type        # map key type, None for other fields
        self.is_map = key_type is not None
        self.is_group = False
        self.name_token = token
        self.number_token = token + 2
        self.type_token = token         # where the type is written (`map` for a map), for messages about it
        self.default_token = 0          # the default of an enum or message field, checked once resolved
        self.has_default = False
        self.full_name = full_name      # its type is looked up from the scopes around it
        self.json_name: str | None = None  # a custom json_name, if given
        self.oneof: Oneof | None = None
        self.extendee: str | None = None   # the extended type, as written, for an extension
        self.parent: MessageDef | Oneof | ProtoFile | None = None  # where features are inherited from
        self.features: dict[str, str] = NO_FEATURES
        self.resolved_features: dict[str, str] | None = None
        self.target: str | MessageDef | EnumDef | None = SCALAR_TYPES.get(type_name)


class Oneof:
    """A oneof: its fields are the message's, it only adds a scope for features."""

    __slots__ = ("features", "members", "name", "parent", "resolved_features", "token")

    def __init__(self, name: str, token: int, parent: MessageDef) -> None:
        self.name = name
        self.token = token
        self.parent = parent
        self.members = 0
        self.features: dict[str, str] = NO_FEATURES
        self.resolved_features: dict[str, str] | None = None


class MessageDef:
    """A message (or a group's message): its fields in declaration order."""

    __slots__ = ("extension_ranges", "features", "fields", "file", "full_name", "legacy_json", "message_set",
                 "messages", "name", "nested", "oneofs", "parent", "ranges", "resolved_features", "token",
                 "visibility")

    def __init__(self, name: str, full_name: str, file: ProtoFile, token: int,
                 parent: MessageDef | ProtoFile | None = None) -> None:
        self.name = name
        self.full_name = full_name
        self.file = file
        self.token = token              # the name
        self.parent = parent            # where features are inherited from
        self.visibility = ""            # edition 2024's `export` or `local` when written
        self.nested = False             # defined inside a message
        self.fields: list[FieldDef] = []
        self.messages: list[MessageDef] = []   # nested messages, groups included
        self.oneofs: list[Oneof] = []
        self.ranges = Ranges()
        self.extension_ranges: list[tuple[int, int]] = []  # inclusive, set by the checks' reading of `max`
        self.legacy_json = False        # option deprecated_legacy_json_field_conflicts = true
        self.message_set = False        # option message_set_wire_format = true
        self.features: dict[str, str] = NO_FEATURES
        self.resolved_features: dict[str, str] | None = None

    @property
    def relative_name(self) -> str:
        """The name inside the package (`Outer.Inner`)."""
        package = self.file.package
        return self.full_name[len(package) + 1:] if package else self.full_name

    def __repr__(self) -> str:
        return f"<MessageDef {self.full_name}>"


Symbol = Union[MessageDef, EnumDef, str]


class ProtoFile:
    """One parsed .proto file: definitions, imports, and what resolution found."""

    def __init__(self, name: str, path: str, text: str) -> None:
        self.name = name                     # import name (path under its root)
        self.path = path                     # where it was read from, for messages
        self.syntax = "proto2"               # proto2, proto3 or editions
        self.edition = ""                    # "2023", "2024", "UNSTABLE"... for editions
        self.edition_token = 0               # the `edition` keyword, for messages about it
        self.package = ""
        self.package_token = 0
        self.imports: list[tuple[str, str, int]] = []   # (import name, "", "public", "weak" or "option", token)
        self.messages: list[MessageDef] = []            # top-level messages, groups of top-level extends included
        self.all_messages: dict[str, MessageDef] = {}   # by full name, in declaration order
        self.enums: list[EnumDef] = []                  # every enum, in declaration order
        self.fields: list[FieldDef] = []                # every field and extension, for resolution
        # (type name, scope, token, extension fields): extends, and rpc types (with no fields)
        self.extendees: list[tuple[str, str, int, list[FieldDef]]] = []
        # (key type name, field, `map` token): map keys naming a message or enum, refused once resolved
        self.named_map_keys: list[tuple[str, FieldDef, int]] = []
        self.symbols: dict[str, Symbol] = {}             # full name -> definition, the first one kept
        self.symbol_tokens: dict[str, int] = {}          # where each symbol is defined, for messages
        self.duplicates: list[tuple[str, int]] = []      # names defined twice in the file, and where
        self.option_features: list[tuple[str, int]] = []  # (option, token) of every feature set, for the checks
        self.features: dict[str, str] = NO_FEATURES
        self.resolved_features: dict[str, str] | None = None
        # What resolution bound, for the checks: (type name, full name, definition or None, token, extensions)
        self.bound_extendees: list[tuple[str, str, Symbol | None, int, list[FieldDef]]] = []
        # (key type name, field, token, definition or None, why not found) of map keys naming a type
        self.bound_map_keys: list[tuple[str, FieldDef, int, Symbol | None, str]] = []
        self.map_entry_types: list[FieldDef] = []        # fields naming a map's entry message as their type
        # (token, why, certain) of each use of another file's edition 2024 type that is local to it
        self.hidden_uses: list[tuple[int, str, bool]] = []
        self.dependencies: list[ProtoFile] = []          # direct imports that were found
        self.public_dependencies: list[ProtoFile] = []
        self.warnings: list[str] = []
        self.source = Source(text, path)

    def location(self, token: int) -> str:
        """`file:line:column` of a token of this file."""
        line, column = self.source.location(token)
        return f"{self.path}:{line}:{column}"

    def at_least(self, edition: str) -> bool:
        """Whether the file is of `edition` (2023, 2024) or a later one."""
        return self.syntax == "editions" and EDITION_ORDER.get(self.edition, 0) >= EDITION_ORDER[edition]

    def __repr__(self) -> str:
        return f"<ProtoFile {self.name}>"

