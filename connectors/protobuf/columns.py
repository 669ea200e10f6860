"""Columns: pick a message, and turn it into the contract's column tree of `connectors.models.Column`.

Fields come in declaration order; messages and groups are RECORD columns with the message's
fields as children, `repeated T` is ARRAY of T, `map<K, V>` is MAP with `key` and `value`, and a
message already on the path from the root is a childless RECORD (recursion is cut, never
expanded). Each column's `data_type_display` says the type as the schema writes it, messages and
enums fully qualified (`sfixed32`, `map<string, shop.Item>`, `repeated google.protobuf.Timestamp`,
`group Item`), so the width and signedness the INT data type drops are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from connectors.models import Column
from connectors.protobuf.grammar import MAX_NESTING
from connectors.protobuf.lexer import ProtoParseError
from connectors.protobuf.model import SCALAR_TYPES, EnumDef, FieldDef, MessageDef, ProtoFile

__all__ = ["MAX_COLUMNS", "find_message", "iter_columns", "message_columns"]

#: Largest column tree built for one message before giving up with an error.
MAX_COLUMNS = 100_000


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


def _display(type_name: str, target: str | MessageDef | EnumDef | None) -> str:
    """A type as the schema writes it: the keyword of a scalar, the full name of a message or enum."""
    if isinstance(target, (MessageDef, EnumDef)):
        return target.full_name
    return type_name.lstrip(".")


class _TreeBuilder:
    """Builds the columns of one message; a message already on the path becomes a childless RECORD."""

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
        target = field.target
        if field.is_map:
            key_type = field.key_type or "string"
            key = Column(name="key", data_type=SCALAR_TYPES.get(key_type, "UNKNOWN"),
                         data_type_display=key_type.lstrip("."))
            value = self.typed("value", target, _display(field.type_name, target))
            return Column(name=field.name, data_type="MAP", children=(key, value),
                          data_type_display=f"map<{key.data_type_display}, {value.data_type_display}>")
        display = f"group {target.name}" if field.is_group and isinstance(target, MessageDef) else _display(
            field.type_name, target)
        if field.label == "repeated":
            element = self.typed(field.name, target, display)
            return Column(name=field.name, data_type="ARRAY", array_data_type=element.data_type,
                          children=element.children, data_type_display=f"repeated {display}")
        return self.typed(field.name, target, display)

    def typed(self, name: str, target: str | MessageDef | EnumDef | None, display: str) -> Column:
        if isinstance(target, str):
            return Column(name=name, data_type=target, data_type_display=display)
        if isinstance(target, MessageDef):
            children = self.columns(target) if target.full_name not in self.path else []
            return Column(name=name, data_type="RECORD", children=children, data_type_display=display)
        if isinstance(target, EnumDef):
            return Column(name=name, data_type="ENUM", data_type_display=display)
        return Column(name=name, data_type="UNKNOWN", data_type_display=display)


def message_columns(message: MessageDef, max_columns: int | None = None) -> list[Column]:
    """The message's column tree.

    More than `max_columns` columns (default MAX_COLUMNS) is a ProtoParseError, not a hang; a
    field name OpenMetadata refuses as a column name is a ValueError naming it."""
    try:
        return _TreeBuilder(message, MAX_COLUMNS if max_columns is None else max_columns).columns(message)
    except RecursionError:
        line, column = message.file.source.location(message.token)
        raise ProtoParseError(f"the column tree of {message.full_name} is nested too deeply for Python's "
                              "recursion limit", message.file.path, line, column) from None


def iter_columns(columns: Iterable[Column]) -> Iterator[Column]:
    """Every column of a tree, depth first."""
    stack = list(reversed(list(columns)))
    while stack:
        column = stack.pop()
        yield column
        stack.extend(reversed(column.children))
