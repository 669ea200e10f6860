"""A fast, standard-library-only reader for Protocol Buffers schemas, as protoc reads them.

It reads `.proto` files of every syntax protoc knows (proto2, proto3, editions 2023 and 2024),
loads their imports, resolves names and editions features the way protoc does, applies protoc's
validation rules, and turns a message into the contract's column tree::

    proto = parse_file("shop/order.proto", import_paths=["protos"])
    message = find_message(proto, "shop.Order")
    columns = message_columns(message)      # [connectors.models.Column, ...]
    proto.warnings                          # unresolved types, missing imports

The modules, in the order a file goes through them:

- `lexer`: the text as tokens, and `ProtoParseError` (`file:line:column: message`);
- `grammar`: recursive descent filling the `model` (what protoc's parser refuses is refused here);
- `features`: editions features, resolved downwards from the file with the edition's defaults;
- `resolution`: imports (the well-known types ship in `well_known/`) and type names;
- `checks`: protoc's validation rules, a separate pass (`validate=False` skips it);
- `columns`: the message's tree of `connectors.models.Column`, with the type as written.

An unresolvable type is not an error: its column is UNKNOWN and `ProtoFile.warnings` says why.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from connectors.protobuf.checks import Owners, check_file, check_target_edition
from connectors.protobuf.columns import MAX_COLUMNS, find_message, iter_columns, message_columns
from connectors.protobuf.grammar import MAX_NESTING, parse_text
from connectors.protobuf.lexer import ProtoParseError
from connectors.protobuf.model import SCALAR_TYPES, EnumDef, FieldDef, MessageDef, ProtoFile
from connectors.protobuf.resolution import WELL_KNOWN_FILES, Loader, resolve

__all__ = [
    "MAX_COLUMNS", "MAX_NESTING", "SCALAR_TYPES", "WELL_KNOWN_FILES",
    "EnumDef", "FieldDef", "MessageDef", "ProtoFile", "ProtoParseError",
    "find_message", "iter_columns", "message_columns", "parse_file", "parse_text",
]


def parse_file(path: str | os.PathLike[str], import_paths: Iterable[str | os.PathLike[str]] = (), *,
               validate: bool = True) -> ProtoFile:
    """Parse a .proto file and its imports, resolve their names, and check them as protoc does.

    Imports are looked up under `import_paths`, then in the file's own folder, then among the
    built-in well-known types. With `validate=False` protoc's validation rules are skipped (its
    parser's are not), to read a file protoc would refuse. Warnings (missing imports, unresolved
    types) from the file and its imports are in `.warnings`.
    """
    loader = Loader([os.fspath(root) for root in import_paths])
    target = loader.load_target(os.fspath(path))
    owners = Owners()
    for file in loader.files:  # dependencies first, as protoc builds them
        resolve(file)
        if validate:
            check_file(file, owners)
    if validate:
        check_target_edition(target)
    for file in loader.files:
        if file is not target:
            target.warnings[:0] = file.warnings
    return target
