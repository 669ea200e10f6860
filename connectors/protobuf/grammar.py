"""The grammar: a recursive-descent parser that fills the model from the lexer's tokens.

It refuses what protoc's parser refuses (with protoc's message and place) and records everything
else, including what protoc's validator will judge later (numbers, reserved ranges, JSON names,
enum values): those rules live in `checks.py`, a separate pass. Names are recorded inside the file
(`Outer.Inner`) and given the package once the whole file is read, so a `package` statement below
definitions needs no second parse (a package above them, the usual case, is used as it is read).
Options are checked for shape; only features, `json_name`, `default` and the few options protoc's
validator reads are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, Union

from connectors.protobuf import features
from connectors.protobuf.lexer import EOF, FLOAT, IDENTIFIER, INTEGER, STRING, SYMBOL, int_value
from connectors.protobuf.model import (
    EDITION_ORDER,
    INTEGER_RANGES,
    MAP_ENTRY,
    MAP_KEY_TYPES,
    MAX_FIELD_NUMBER,
    NO_FEATURES,
    SCALAR_TYPES,
    SERVICE,
    VALUE,
    EnumDef,
    EnumValue,
    FieldDef,
    MessageDef,
    Oneof,
    ProtoFile,
    Ranges,
    Symbol,
)

__all__ = ["MAX_NAME_CHARACTERS", "MAX_NESTING", "map_entry_name", "parse_text"]

#: Deepest nesting of definitions (and of column trees) accepted; deeper input
#: gets a clear error instead of Python's RecursionError.
MAX_NESTING = 100
#: Most characters all full names of one file may add up to. Each name repeats the package and its
#: scopes, so a hostile file (a package of 500 KB before 25,000 fields) would otherwise take gigabytes;
#: real files stay thousands of times below this.
MAX_NAME_CHARACTERS = 64_000_000

_LABELS = ("optional", "required", "repeated")
_Featured = Union[ProtoFile, MessageDef, FieldDef, Oneof, EnumDef, EnumValue]


def parse_text(text: str, name: str = "<string>", path: str | None = None) -> ProtoFile:
    """Parse one .proto text (imports are recorded, not loaded, and nothing is resolved or checked)."""
    file = ProtoFile(name, path or name, text)
    return _Parser(file).parse()


def map_entry_name(field_name: str) -> str:
    """The name of the message protoc makes for a map field: `my_map` -> `MyMapEntry`."""
    return "".join(part[:1].upper() + part[1:] for part in field_name.split("_")) + "Entry"


class _Parser:
    """Recursive-descent parser filling a ProtoFile from its tokens."""

    def __init__(self, file: ProtoFile) -> None:
        self.file = file
        self.source = file.source
        self.source.tokenize()
        self.kinds, self.texts, self.strings = self.source.kinds, self.source.texts, self.source.strings
        self.i = 0
        self.depth = 0
        self.written_visibility = ""  # `export` or `local` just read, for the message or enum after it
        self.literal_start = 0  # the first token inside the message literal option_value() just skipped
        self.every_message: list[MessageDef] = []  # also those a second definition of a name hides
        self.scope = ""  # the package, when it came before every definition (names then need no renaming)
        self.name_characters = 0  # the length of every name defined so far, held to MAX_NAME_CHARACTERS
        self.names_before_package = 0

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
        if self.kinds[i] is not IDENTIFIER:
            self.error(message)
        self.i = i + 1
        return self.texts[i]

    def string(self, message: str = "Expected string.") -> str:
        """A string literal; adjacent literals are joined as in C."""
        i = self.i
        if self.kinds[i] is not STRING:
            self.error(message)
        parts = [self.strings[i]]
        i += 1
        while self.kinds[i] is STRING:
            parts.append(self.strings[i])
            i += 1
        self.i = i
        return "".join(parts)

    def integer(self, message: str = "Expected integer.") -> int:
        i = self.i
        if self.kinds[i] is not INTEGER:
            self.error(message)
        self.i = i + 1
        return int_value(self.texts[i])

    def dotted(self, message: str = "Expected identifier.") -> str:
        """`a.b.c`, whitespace and comments allowed around the dots."""
        parts = [self.ident(message)]
        while self.accept("."):
            parts.append(self.ident())
        return ".".join(parts)

    def type_name(self) -> str:
        """A scalar type keyword, or a (possibly absolute) message or enum name."""
        i = self.i
        if self.kinds[i] is IDENTIFIER and self.texts[i] in SCALAR_TYPES:
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

    def define(self, name: str, symbol: Symbol, index: int) -> None:
        """Record a name (inside the file; the package comes later); a second definition is for the checks."""
        # Below a late package statement, the names still get the package at the end.
        self.count_name_characters(len(name) + (len(self.file.package) if not self.scope else 0), index)
        symbols = self.file.symbols
        if name in symbols:
            self.file.duplicates.append((name, index))
            return
        symbols[name] = symbol
        self.file.symbol_tokens[name] = index

    def count_name_characters(self, count: int, index: int) -> None:
        self.name_characters += count
        if self.name_characters > MAX_NAME_CHARACTERS:
            self.error(f"The full names this file defines add up to more than {MAX_NAME_CHARACTERS:,} characters "
                       f"(the package alone has {len(self.file.package):,}): too large to read.", index)

    @staticmethod
    def qualify(scope: str, name: str) -> str:
        return f"{scope}.{name}" if scope else name

    # -- file

    def parse(self) -> ProtoFile:
        try:
            self.statements()
        except RecursionError:
            # MAX_NESTING keeps well below Python's limit; this only fires when that limit was set lower.
            self.error("Definitions are nested too deeply for Python's recursion limit.")
        if self.source.lex_error is not None:  # the text stopped at a bad token between two statements
            raise self.source.lex_error[1]
        if self.file.package and not self.scope:
            # A package below definitions: each name written above it grows by the package's length.
            self.count_name_characters(self.names_before_package * len(self.file.package), self.file.package_token)
            _give_package(self.file, self.every_message)
        return self.file

    def statements(self) -> None:
        file = self.file
        texts = self.texts
        if texts[0] in ("syntax", "edition") and texts[1] == "=":
            self.syntax_statement()
        else:
            file.warnings.append(f"{file.path}: no syntax specified, assuming proto2")
        package_seen = False
        while self.kinds[self.i] is not EOF:
            word = texts[self.i]
            if word == ";":
                self.i += 1
            elif word == "message":
                self.message(self.scope, file.messages, file)
            elif word == "enum":
                self.enum(self.scope, file)
            elif word == "service":
                self.service()
            elif word == "extend":
                self.extend(self.scope, file.messages, file)
            elif word == "import":
                self.import_statement()
            elif word == "package":
                if package_seen:
                    self.error("Multiple package definitions.")
                package_seen = True
                self.package_statement()
            elif word == "option":
                self.option_statement(file)
            elif self.visibility():
                if texts[self.i] == "message":
                    self.message(self.scope, file.messages, file)
                else:
                    self.enum(self.scope, file)
            else:
                self.error("Expected top-level statement (e.g. \"message\").")

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
            # protoc knows these names from its Edition enum; it refuses the unsupported ones only after
            # the parse (checks.py), and UNSTABLE only for the file it was asked to compile.
            if value not in EDITION_ORDER:
                self.error(f"Unknown edition \"{value}\".", at)
            file.syntax = "editions"
            file.edition = value
            file.edition_token = keyword_at
        self.end()

    def visibility(self) -> bool:
        """Edition 2024's `export` / `local`, which must come before a message or enum."""
        i = self.i
        if self.texts[i] not in ("export", "local") or not self.file.at_least("2024"):
            return False
        if self.texts[i + 1] not in ("message", "enum"):
            self.error("'local' and 'export' visibility modifiers are valid only on 'message' and 'enum'")
        self.written_visibility = self.texts[i]
        self.i = i + 1
        return True

    def package_statement(self) -> None:
        self.file.package_token = self.i  # protoc places package errors at the keyword
        self.i += 1
        self.file.package = self.dotted("Expected package name.")
        self.names_before_package = len(self.file.symbols)
        if not self.file.symbols:
            self.scope = self.file.package
        self.end()

    def import_statement(self) -> None:
        at = self.i
        self.i += 1
        modifier = ""
        if self.kinds[self.i] is IDENTIFIER and self.texts[self.i] in ("public", "weak", "option"):
            modifier = self.texts[self.i]
            if modifier == "weak" and self.file.at_least("2024"):
                self.error("weak import is not supported in edition 2024 and above. "
                           "Consider using option import instead.")
            if modifier == "option" and not self.file.at_least("2024"):
                self.error("option import is only supported in edition 2024 and above.")
            self.i += 1
        name = self.string("Expected a string naming the file to import.")
        self.file.imports.append((name, modifier, at))
        self.end()

    # -- options

    def option_statement(self, target: _Featured | None) -> tuple[str, str]:
        """`option name = value;`: the name and, for a single-token value, its text."""
        self.i += 1
        name_at = self.i
        name = self.option_name()
        self.expect("=")
        value = self.option_value()
        if target is not None:
            self.keep_features(target, name, value, name_at)
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
        """The value's text for a single token (a string keeps its quotes), `{` for a message literal."""
        kinds, texts = self.kinds, self.texts
        if self.accept("{"):
            self.literal_start = self.i
            self.skip_aggregate()
            return "{"
        negative = self.accept("-")
        kind = kinds[self.i]
        value = texts[self.i]
        if kind is IDENTIFIER:
            if negative and value not in ("inf", "nan"):
                self.error("Identifier after '-' symbol must be inf or nan.")
            self.i += 1
        elif kind is INTEGER or kind is FLOAT:
            self.i += 1
        elif kind is STRING and not negative:
            self.string()
        else:
            self.error("Expected option value.")
        return value

    def keep_features(self, target: _Featured, name: str, value: str, name_at: int) -> None:
        """Record a `features` option on what it is written on; a literal is read from its tokens."""
        if name != "features" and not name.startswith("features."):
            return
        self.file.option_features.append((name, name_at))
        if target.features is NO_FEATURES:
            target.features = {}
        prefix = name[len("features."):]
        if value == "{":
            target.features.update(features.read_literal(self.texts, self.kinds, self.literal_start, prefix))
        elif prefix:
            target.features[prefix] = value

    def default_value(self, field: FieldDef, field_type: str, name_at: int) -> None:
        """`default = ...` checked against the field's type, as protoc does while parsing."""
        if self.file.syntax == "proto3":
            self.error("Explicit default values are not allowed in proto3.", name_at)
        field.has_default = True
        texts, kinds = self.texts, self.kinds
        if field_type in INTEGER_RANGES:
            low, high = INTEGER_RANGES[field_type]
            negative = self.accept("-")
            if negative and low == 0:
                self.error("Unsigned field can't have negative default value.", self.i - 1)
            at = self.i
            value = self.integer("Expected integer for field default value.") * (-1 if negative else 1)
            if not low <= value <= high:
                self.error("Integer out of range.", at)
        elif field_type in ("double", "float"):
            self.accept("-")
            if not (kinds[self.i] is INTEGER or kinds[self.i] is FLOAT or texts[self.i] in ("inf", "nan")):
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
            if kinds[self.i] is EOF:
                self.error("Expected option value.")
            field.default_token = self.i
            self.i += 1

    def skip_aggregate(self) -> None:
        """Skip a message literal after its `{`, as protoc does: by balancing braces."""
        texts, kinds = self.texts, self.kinds
        opened = self.i - 1
        depth = 1
        i = self.i
        while True:
            kind = kinds[i]
            if kind is SYMBOL:
                text = texts[i]
                if text == "{":
                    depth += 1
                elif text == "}":
                    depth -= 1
                    if depth == 0:
                        self.i = i + 1
                        return
            elif kind is EOF:
                self.i = i
                line, _ = self.source.location(opened)  # protoc reports the end of the text
                self.error(f"Unexpected end of stream while parsing aggregate value. The value starts on line {line}.")
            i += 1

    def compact_options(self, target: _Featured | None = None, field: FieldDef | None = None,
                        field_type: str = "", name_at: int = 0) -> None:
        """`[name = value, ...]` after a field, enum value or range, if present.

        For a field, `default` and `json_name` are no options but parts of the field, and their
        values are checked and kept."""
        if not self.accept("["):
            return
        seen = set()
        while True:
            word = self.texts[self.i]
            if field is not None and word in ("default", "json_name"):
                if word in seen:
                    self.error(f"Already set option \"{word}\".")
                seen.add(word)
                self.i += 1
                self.expect("=")
                if word == "json_name":
                    field.json_name = self.string("Expected string for JSON name.")
                elif field.label == "repeated":
                    self.error("Repeated fields can't have default values.")
                else:
                    self.default_value(field, field_type, name_at)
            else:
                option_at = self.i
                name = self.option_name()
                self.expect("=")
                value = self.option_value()
                if target is not None:
                    self.keep_features(target, name, value, option_at)
            if self.accept("]"):
                return
            self.expect(",", "Expected \",\" or \"]\".")

    # -- messages

    def message(self, scope: str, siblings: list[MessageDef], parent: MessageDef | ProtoFile) -> MessageDef:
        at = self.i
        self.i += 1
        name_at = self.i
        name = self.ident("Expected message name.")
        message = self.new_message(name, scope, name_at, siblings, parent)
        self.nest(at)
        self.message_body(message, at)
        self.depth -= 1
        return message

    def new_message(self, name: str, scope: str, index: int, siblings: list[MessageDef],
                    parent: MessageDef | ProtoFile) -> MessageDef:
        full_name = self.qualify(scope, name)
        message = MessageDef(name, full_name, self.file, index, parent)
        message.visibility, self.written_visibility = self.written_visibility, ""
        message.nested = self.depth > 0
        self.define(full_name, message, index)
        self.file.all_messages.setdefault(full_name, message)
        self.every_message.append(message)
        siblings.append(message)
        return message

    def message_body(self, message: MessageDef, opened: int) -> None:
        self.expect("{")
        texts, kinds = self.texts, self.kinds
        scope = message.full_name
        # These words always start their statement here; a type with such a name needs a label or a dot.
        statements: dict[str, Callable[[], object]] = {
            "message": lambda: self.message(scope, message.messages, message),
            "enum": lambda: self.enum(scope, message),
            "extensions": lambda: self.extension_ranges(message),
            "reserved": lambda: self.reserved(message.ranges, enum=False),
            "extend": lambda: self.extend(scope, message.messages, message),
            "option": lambda: self.message_option(message),
            "oneof": lambda: self.oneof(message),
        }
        while True:
            word = texts[self.i]
            if word == "}":
                self.i += 1
                return
            if word == ";":
                self.i += 1
            elif word in statements:
                statements[word]()
            elif self.visibility():
                statements[texts[self.i]]()
            elif kinds[self.i] is EOF:
                line, _ = self.source.location(opened)
                self.error(f"Reached end of input in message definition (missing '}}' for the "
                           f"message opened on line {line}).")
            else:
                self.field(message, scope, message)

    def message_option(self, message: MessageDef) -> None:
        option, value = self.option_statement(message)
        if (option, value) == ("deprecated_legacy_json_field_conflicts", "true"):
            message.legacy_json = True
        if (option, value) == ("message_set_wire_format", "true"):
            message.message_set = True

    def field(self, message: MessageDef, scope: str, parent: MessageDef | Oneof | ProtoFile, *,
              oneof: Oneof | None = None, extendee: str | None = None) -> None:
        """One field, map field or group; `message` is where a group's type goes."""
        texts, kinds = self.texts, self.kinds
        file = self.file
        start = self.i
        label = ""
        if kinds[start] is IDENTIFIER and texts[start] in _LABELS:
            label = texts[start]
            if oneof is not None:
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
        if texts[type_at] == "map" and kinds[type_at] is IDENTIFIER and texts[type_at + 1] == "<":
            # protoc's parser stops at the `<` (it reads `map` as a type name first).
            if label:
                self.error("Field labels (required/optional/repeated) are not allowed on map fields.", type_at + 1)
            if oneof is not None:
                self.error("Map fields are not allowed in oneofs.", type_at + 1)
            if extendee is not None:
                self.error("Map fields are not allowed to be extensions.", type_at + 1)
            self.i += 2
            key_type = self.type_name()
            if key_type in SCALAR_TYPES and key_type not in MAP_KEY_TYPES:
                self.error("Key in map fields cannot be float/double, bytes or message types.", type_at)
            self.expect(",")
            if texts[self.i] == "group":
                self.error("Expected type name.")
            type_name = self.type_name()
            self.expect(">")
        else:
            if not label and oneof is None and file.syntax == "proto2":
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
        field_name = name.lower() if is_group else name
        field = FieldDef(field_name, number, label, type_name, name_at, self.qualify(scope, field_name), key_type)
        field.is_group = is_group
        field.type_token = type_at
        field.number_token = number_at
        field.oneof = oneof
        field.extendee = extendee
        field.parent = parent
        self.compact_options(field, field, "group" if is_group else "map" if key_type else type_name, name_at)
        if is_group:
            if not name[0].isupper():
                self.error("Group names must start with a capital letter.", name_at)
            if file.syntax != "proto2":
                self.error("Groups are not supported in proto3 syntax." if file.syntax == "proto3"
                           else "Group syntax is no longer supported in editions. To get group behavior "
                                "you can specify features.message_encoding = DELIMITED on a message field.",
                           type_at)
            # The group's message lives beside the field, and inherits features from the same place.
            group_parent = parent.parent if isinstance(parent, Oneof) else parent
            group = self.new_message(name, scope, name_at, message.messages, group_parent)
            field.type_name = "." + group.full_name  # given the package with every other name
            field.target = group
            self.nest(start)
            self.message_body(group, start)
            self.depth -= 1
        else:
            self.end()
        if key_type is not None and key_type not in SCALAR_TYPES:
            file.named_map_keys.append((key_type, field, type_at))
        self.define(field.full_name, VALUE, name_at)
        if key_type is not None:
            # protoc makes a nested message for each map field; its name must be free too.
            self.define(self.qualify(scope, map_entry_name(field_name)), MAP_ENTRY, name_at)
        message.fields.append(field)
        file.fields.append(field)
        if oneof is not None:
            oneof.members += 1

    def oneof(self, message: MessageDef) -> None:
        self.i += 1
        name_at = self.i
        name = self.ident("Expected oneof name.")
        self.define(self.qualify(message.full_name, name), VALUE, name_at)
        oneof = Oneof(name, name_at, message)
        message.oneofs.append(oneof)
        self.expect("{")
        # protoc wants at least one member and no empty statement here.
        while True:
            if self.kinds[self.i] is EOF:
                self.error("Reached end of input in oneof definition (missing '}').")
            if self.texts[self.i] == "option":
                self.option_statement(oneof)
            else:
                self.field(message, message.full_name, oneof, oneof=oneof)
            if self.accept("}"):
                return

    def extend(self, scope: str, siblings: list[MessageDef], parent: MessageDef | ProtoFile) -> None:
        """`extend T { ... }`: extensions are no fields of T, but groups define messages here."""
        self.i += 1
        at = self.i
        extendee = self.type_name()
        self.expect("{")
        holder = MessageDef("", scope, self.file, 0, parent)  # collects the extensions; groups go to `siblings`
        holder.messages = siblings
        self.file.extendees.append((extendee, scope, at, holder.fields))
        # protoc wants at least one field and no empty statement here.
        while True:
            if self.kinds[self.i] is EOF:
                self.error("Reached end of input in extend definition (missing '}').")
            self.field(holder, scope, parent, extendee=extendee)
            if self.accept("}"):
                return

    def extension_ranges(self, message: MessageDef) -> None:
        if self.file.syntax == "proto3":
            self.error("Extension ranges are not allowed in proto3.")
        # `max` is 2**31 - 1 for now: the checks lower it unless the message is a MessageSet.
        message.ranges.extensions.extend(self.ranges("Extension", negative=False, maximum=2**31 - 1))

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

    def reserved(self, ranges: Ranges, *, enum: bool) -> None:
        """`reserved` numbers or names (strings before editions, identifiers in editions)."""
        kind = self.kinds[self.i + 1]
        if kind is STRING or kind is IDENTIFIER:
            editions = self.file.syntax == "editions"
            if kind is STRING and editions:
                self.error("Reserved names must be identifiers in editions, not string literals.", self.i + 1)
            if kind is IDENTIFIER and not editions:
                self.error("Reserved names must be string literals. (Only editions supports identifiers.)",
                           self.i + 1)
            self.i += 1
            while True:
                at = self.i
                name = self.ident() if editions else self.string()
                if name in ranges.names:
                    self.error(f"{'Enum value' if enum else 'Field name'} \"{name}\" is reserved multiple times.", at)
                ranges.names[name] = at
                if not self.accept(","):
                    break
            self.end()
            return
        found = self.ranges("Reserved", negative=enum, maximum=2**31 - 1 if enum else MAX_FIELD_NUMBER)
        for low, _, at in found:
            if low < 1 and not enum:
                self.error("Reserved field numbers must be positive integers.", at)
        ranges.reserved.extend(found)

    # -- enums and services

    def enum(self, scope: str, parent: MessageDef | ProtoFile) -> None:
        at = self.i
        self.i += 1
        name_at = self.i
        name = self.ident("Expected enum name.")
        full_name = self.qualify(scope, name)
        definition = EnumDef(name, full_name, self.file, name_at, parent)
        definition.visibility, self.written_visibility = self.written_visibility, ""
        definition.nested = self.depth > 0
        self.define(full_name, definition, name_at)
        self.file.enums.append(definition)
        self.expect("{")
        while not self.accept("}"):
            word = self.texts[self.i]
            kind = self.kinds[self.i]
            if kind is EOF:
                line, _ = self.source.location(at)
                self.error(f"Reached end of input in enum definition (missing '}}' for the enum opened "
                           f"on line {line}).")
            if self.accept(";"):
                continue
            if kind is IDENTIFIER and word == "option":
                option, value = self.option_statement(definition)
                if option == "allow_alias":
                    definition.allow_alias = value == "true"
            elif kind is IDENTIFIER and word == "reserved":
                self.reserved(definition.ranges, enum=True)
            else:
                value_at = self.i
                value_name = self.ident()
                self.expect("=", "Missing numeric value for enum constant.")
                negative = self.accept("-")
                number_at = self.i
                number = self.integer("Expected integer.") * (-1 if negative else 1)
                if not -(2**31) <= number < 2**31:
                    self.error("Integer out of range.", number_at)
                enum_value = EnumValue(value_name, number, value_at, number_at, definition)
                self.compact_options(enum_value)
                self.end()
                # Enum values live in the scope that holds the enum, as in C++.
                self.define(self.qualify(scope, value_name), VALUE, value_at)
                definition.value_names.add(value_name)
                definition.values.append(enum_value)

    def service(self) -> None:
        self.i += 1
        name_at = self.i
        name = self.ident("Expected service name.")
        name = self.qualify(self.scope, name)
        self.define(name, SERVICE, name_at)
        self.expect("{")
        while not self.accept("}"):
            kind = self.kinds[self.i]
            word = self.texts[self.i]
            if kind is EOF:
                self.error("Reached end of input in service definition (missing '}').")
            if self.accept(";"):
                continue
            if kind is IDENTIFIER and word == "option":
                self.option_statement(None)  # a service's features never matter
                continue
            self.expect("rpc", "Expected \"rpc\" or \"option\".")
            method_at = self.i
            method = self.ident("Expected method name.")
            self.define(self.qualify(name, method), VALUE, method_at)
            for keyword in ("", "returns"):
                if keyword:
                    self.expect(keyword)
                self.expect("(")
                self.accept("stream")  # always the keyword here: a type named stream needs a dot
                at = self.i
                self.file.extendees.append((self.type_name(), name, at, []))
                self.expect(")")
            if self.accept("{"):
                while not self.accept("}"):
                    if self.accept(";"):
                        continue
                    if self.texts[self.i] == "option" and self.kinds[self.i] is IDENTIFIER:
                        self.option_statement(None)
                    else:
                        self.error("Expected \"option\" or \"}\".")
            else:
                self.end()


def _give_package(file: ProtoFile, messages: list[MessageDef]) -> None:
    """Put the package in front of every name the file defines, once it is read (it may come last)."""
    package = file.package

    def full(name: str) -> str:
        return f"{package}.{name}" if name else package

    for message in messages:
        message.full_name = full(message.full_name)
    for enum in file.enums:
        enum.full_name = full(enum.full_name)
    for field in file.fields:
        field.full_name = full(field.full_name)
        if field.is_group:
            field.type_name = "." + full(field.type_name[1:])
    file.all_messages = {message.full_name: message for message in file.all_messages.values()}
    file.extendees = [(type_name, full(scope), at, fields) for type_name, scope, at, fields in file.extendees]
    file.symbols = {full(name): symbol for name, symbol in file.symbols.items()}
    file.symbol_tokens = {full(name): token for name, token in file.symbol_tokens.items()}
    file.duplicates = [(full(name), token) for name, token in file.duplicates]
