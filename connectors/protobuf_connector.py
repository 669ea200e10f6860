"""A connector that describes a Protocol Buffers message as a table.

``ProtobufConnector`` reads one ``.proto`` file (proto2, proto3 or editions)
with ``connectors.protobuf_parser``, picks a message and yields the service, a
database named after the business unit, the schema ``default`` and one table
whose columns are the message's fields, nested messages as RECORD columns with
children, repeated fields as ARRAY, maps as MAP::

    ProtobufConnector.create({
        "source_directory": "protos/shop/order.proto",
        "business_unit": "sales",
        "schema_name": "shop.Order",          # or "Order", "order"; optional with one message
        "import_paths": ["protos"],           # optional include roots
    })

Set ``all_messages`` to true to get one table per top-level message instead.
A syntax error, an unreadable file or an unknown message is one failure that
names the file (and line and column); an unresolved type is an UNKNOWN column
plus a warning.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs

from connectors.base import DatabaseSource, failure, path_option, reject_unknown_options, text_option
from connectors.models import Column, Table
from connectors.protobuf_parser import MessageDef, ProtoParseError, find_message, message_columns, parse_file
from minigest import Either, InvalidSourceException

__all__ = ["ProtobufConnector"]

_FILTERS = ("database_filter_pattern", "schema_filter_pattern", "table_filter_pattern", "use_fqn_for_filtering")
_OPTIONS = ("source_directory", "business_unit", "schema_name", "import_paths", "all_messages", "service_name",
            *_FILTERS)


@attrs.frozen
class _Problem:
    """Something that stops the file from giving a table: it becomes one failure."""

    name: str
    error: str


class ProtobufConnector(DatabaseSource):
    """One table for a message of a .proto file (or one per top-level message)."""

    def __init__(
        self,
        source_directory: str,
        business_unit: str,
        schema_name: str | None = None,
        import_paths: Sequence[str] = (),
        all_messages: bool = False,
        service_name: str = "protobuf",
        **options: Any,
    ) -> None:
        super().__init__(source_directory=source_directory, service_name=service_name, business_unit=business_unit,
                         **options)
        self.message_name = schema_name
        self.import_paths = list(import_paths)
        self.all_messages = all_messages

    @classmethod
    def create(cls, config: dict[str, Any]) -> ProtobufConnector:
        """Build from config options; a missing or bad option raises InvalidSourceException."""
        owner = cls.__name__
        reject_unknown_options(owner, config, _OPTIONS)
        schema_name = config.get("schema_name")
        if schema_name is not None:
            schema_name = text_option(owner, config, "schema_name").strip()
        all_messages = config.get("all_messages", False)
        if not isinstance(all_messages, bool):
            raise InvalidSourceException(f"{owner}: option 'all_messages' must be true or false, got {all_messages!r}")
        if all_messages and schema_name:
            raise InvalidSourceException(f"{owner}: give either option 'schema_name' or 'all_messages', not both")
        return cls(
            source_directory=path_option(owner, config, "source_directory"),
            business_unit=text_option(owner, config, "business_unit"),
            schema_name=schema_name,
            import_paths=_import_paths_option(owner, config.get("import_paths")),
            all_messages=all_messages,
            service_name=text_option(owner, config, "service_name", "protobuf"),
            **{key: config[key] for key in _FILTERS if key in config},
        )

    def prepare(self) -> None:
        super().prepare()
        for root in self.import_paths:
            if not os.path.isdir(root):
                raise InvalidSourceException(f"{self.name}: import_paths entry {root!r} is not a folder")

    def test_connection(self) -> None:
        self.prepare()

    def get_tables(self) -> Iterator[MessageDef | _Problem]:
        label = self.message_name or os.path.basename(self.path)
        try:
            proto = parse_file(self.path, self.import_paths)
        except ProtoParseError as error:
            yield _Problem(label, str(error))
            return
        for warning in proto.warnings:
            self.status.warning(proto.name, warning)
        if self.all_messages:
            if not proto.messages:
                yield _Problem(label, f"{self.path}: the file defines no message")
            yield from proto.messages
            return
        try:
            yield find_message(proto, self.message_name)
        except LookupError as error:
            yield _Problem(label, str(error.args[0]))

    def table_name(self, element: MessageDef | _Problem) -> str | None:
        return None if isinstance(element, _Problem) else element.relative_name

    def yield_table(self, element: MessageDef | _Problem) -> Iterator[Either[Table]]:
        if isinstance(element, _Problem):
            yield failure(element.name, element.error)
            return
        name = element.relative_name
        try:
            columns = [_column(body) for body in message_columns(element)]
            table = Table(name=name, database_schema=self.schema_fqn, columns=columns, table_type="Regular",
                          description=f"Protocol Buffers message `{element.full_name}` of {element.file.name}")
        except ProtoParseError as error:  # a tree too large or too deep
            yield failure(name, str(error))
            return
        except ValueError as error:  # a name OpenMetadata refuses
            yield failure(name, f"{self.path}: message {element.full_name}: {error}")
            return
        yield Either(right=table)


def _column(body: dict[str, Any]) -> Column:
    """A models.Column from the parser's column dict, children included."""
    return Column(
        name=body["name"],
        data_type=body["dataType"],
        array_data_type=body.get("arrayDataType"),
        children=[_column(child) for child in body.get("children", ())],
    )


def _import_paths_option(owner: str, value: Any) -> list[str]:
    """`import_paths`: a list of folders (a single folder is accepted too)."""
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        value = [value]
    paths: list[str] = []
    if not isinstance(value, Iterable) or isinstance(value, dict):
        raise InvalidSourceException(f"{owner}: option 'import_paths' must be a list of folders, got {value!r}")
    for item in value:
        if not isinstance(item, (str, os.PathLike)) or not os.fspath(item):
            raise InvalidSourceException(f"{owner}: option 'import_paths' holds {item!r}, which is not a folder path")
        paths.append(os.fspath(item))
    return paths

