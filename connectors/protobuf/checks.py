"""protoc's validation rules, as a separate pass over the parsed and resolved model.

What protoc's parser refuses is refused by the grammar; what its validator (the descriptor
builder) refuses is here: names defined twice, field numbers, reserved and extension ranges, JSON
name clashes, enum rules, editions features used where they are not allowed, and the rules that
need resolved types. Nothing here changes the model, so a reader can skip this file, and the
connector's `validate: false` skips the pass to ingest a file protoc would refuse. A rule whose
inputs cannot be known for sure (a features literal this parser could not read) only warns:
never refuse what protoc accepts.
"""

from __future__ import annotations

import bisect

from connectors.protobuf.features import certain, feature
from connectors.protobuf.grammar import map_entry_name
from connectors.protobuf.lexer import IDENTIFIER
from connectors.protobuf.model import (
    EDITION_ORDER,
    MAP_ENTRY,
    MAX_FIELD_NUMBER,
    SCALAR_TYPES,
    EnumDef,
    FieldDef,
    MessageDef,
    ProtoFile,
    Ranges,
    Symbol,
)
from connectors.protobuf.resolution import holds_package

__all__ = ["UNSTABLE_EXEMPT_PREFIXES", "Owners", "check_file", "check_target_edition"]

#: Import names protoc compiles whatever their edition (its CanSkipEditionCheck).
UNSTABLE_EXEMPT_PREFIXES = ("google/protobuf/", "upb/", "com/google/protobuf/", "conformance/test_protos/",
                            "test_messages_edition_unstable")

# The only messages a proto3 file may extend: those of custom options.
_PROTO3_EXTENDEES = frozenset(f"google.protobuf.{kind}Options" for kind in (
    "File", "Message", "Field", "Oneof", "Enum", "EnumValue", "Service", "Method", "ExtensionRange"))
_PACKABLE = frozenset(SCALAR_TYPES) - {"string", "bytes"}


def check_target_edition(file: ProtoFile) -> None:
    """protoc checks an UNSTABLE edition only for the files it is asked to compile, and not for its own."""
    if file.edition == "UNSTABLE" and not file.name.startswith(UNSTABLE_EXEMPT_PREFIXES):
        file.source.fail("is a file using edition UNSTABLE, which is later than the protoc maximum supported "
                         "edition 2024.", file.edition_token)


class Owners:
    """Which file defined each name so far, across the files of one run, as protoc's pool keeps them."""

    def __init__(self) -> None:
        self.symbols: dict[str, ProtoFile] = {}
        self.longest = 0
        self.packages: dict[str, list[tuple[str, ProtoFile]]] = {}  # first part -> (package, file)
        self.longest_package = 0

    def package_owner(self, name: str) -> ProtoFile | None:
        """The first file whose package is `name` or starts with it."""
        if len(name) > self.longest_package:  # most names are longer than every package: skip them at once
            return None
        for package, owner in self.packages.get(name.partition(".")[0], ()):
            if holds_package([package], name):
                return owner
        return None

    def add(self, file: ProtoFile) -> None:
        for name in file.symbols:
            self.symbols.setdefault(name, file)
        self.longest = max(self.longest, max(map(len, file.symbols), default=0))
        if file.package:
            self.packages.setdefault(file.package.partition(".")[0], []).append((file.package, file))
            self.longest_package = max(self.longest_package, len(file.package))


def check_file(file: ProtoFile, owners: Owners) -> None:
    """Every validation rule on one resolved file (its imports checked before it); the first failure raises."""
    _check_edition(file)
    if file.duplicates:
        name, token = file.duplicates[0]
        scope, _, last = name.rpartition(".")
        file.source.fail(f"\"{last}\" is already defined in \"{scope}\"." if scope else f"\"{last}\" is already "
                         "defined.", token)
    _check_unique_names(file, owners)
    for message in file.all_messages.values():
        _check_message(file, message)
    for enum in file.enums:
        _check_enum(file, enum)
    # protoc refuses a type local to another file as it links the field, before checking its features.
    for token, refusal, sure in file.hidden_uses:
        _fail_or_warn(file, sure, refusal, token)
    for field in file.fields:
        _check_field(file, field)
    _check_resolved(file)


# --------------------------------------------------------------------------- the file


def _check_unique_names(file: ProtoFile, owners: Owners) -> None:
    """No two files may define the same name (packages excepted): protoc checks this across its pool."""
    clashes: dict[str, tuple[int, ProtoFile, str]] = {}  # name -> (token, earlier file, kind)
    symbols, longest_package = owners.symbols, owners.longest_package
    for name in file.symbols:
        owner = symbols.get(name)
        if owner is None and len(name) <= longest_package:
            owner = owners.package_owner(name)
        if owner is not None and owner is not file:
            clashes[name] = (file.symbol_tokens[name], owner, "")
    package = file.package
    if package:
        # Each leading part of the package is a name too; none longer than the longest name defined so far
        # can clash, so a package of many parts costs its length, not its prefixes.
        end = package.find(".")
        while True:
            prefix = package if end < 0 else package[:end]
            if len(prefix) > owners.longest:
                break
            owner = owners.symbols.get(prefix)
            if owner is not None and owner is not file:
                clashes[prefix] = (file.package_token, owner, " (as something other than a package)")
            if end < 0:
                break
            end = package.find(".", end + 1)
    owners.add(file)
    if not clashes:
        return
    # protoc names a message after its contents: report the first clash that holds no other.
    name = min(clashes, key=lambda clash: clashes[clash][0])
    inner = [clash for clash in clashes if clash.startswith(name + ".")]
    while inner:
        name = min(inner, key=lambda clash: clashes[clash][0])
        inner = [clash for clash in inner if clash.startswith(name + ".")]
    token, owner, kind = clashes[name]
    file.source.fail(f"\"{name}\" is already defined{kind} in file \"{owner.name}\".", token)


def _check_edition(file: ProtoFile) -> None:
    """Editions protoc knows by name but does not support; features outside editions."""
    rank = EDITION_ORDER.get(file.edition, EDITION_ORDER["2023"])
    if file.syntax == "editions" and file.edition != "UNSTABLE":
        if rank > EDITION_ORDER["2024"]:
            file.source.fail(f"Edition {file.edition} is later than the maximum supported edition 2024",
                             file.edition_token)
        if rank < EDITION_ORDER["2023"]:
            file.source.fail(f"Edition {file.edition} is earlier than the minimum supported edition PROTO2",
                             file.edition_token)
    if file.syntax != "editions" and file.option_features:
        file.source.fail("Features are only valid under editions.", file.option_features[0][1])


def _fail_or_warn(file: ProtoFile, sure: bool, message: str, token: int) -> None:
    """Refuse when the rule's inputs are certain; otherwise only warn, since protoc may accept the file."""
    if sure:
        file.source.fail(message, token)
    file.warnings.append(f"{file.location(token)}: {message} (not refused: protoc may accept it, since what the "
                         "rule depends on is not known for sure here)")


# --------------------------------------------------------------------------- messages


def _check_number(file: ProtoFile, number: int, token: int, *, extension: bool) -> None:
    # Extensions of a MessageSet may go up to 2**31 - 1; they are checked against the extendee's ranges.
    limit = 2**31 - 1 if extension else MAX_FIELD_NUMBER
    if number < 1:
        file.source.fail("Field numbers must be positive integers.", token)
    if number > limit:
        file.source.fail(f"Field numbers cannot be greater than {limit}.", token)
    if 19000 <= number <= 19999:
        file.source.fail("Field numbers 19000 through 19999 are reserved for the protocol buffer "
                         "library implementation.", token)


def _check_message(file: ProtoFile, message: MessageDef) -> None:
    """protoc's checks of a message's numbers and names against what it reserves."""
    numbers: dict[int, str] = {}
    for field in message.fields:
        if not 0 < field.number < 19000 and not 19999 < field.number <= MAX_FIELD_NUMBER:
            _check_number(file, field.number, field.number_token, extension=False)
        if field.number in numbers:
            file.source.fail(f"Field number {field.number} has already been used in \"{message.full_name}\" by "
                             f"field \"{numbers[field.number]}\".", field.number_token)
        numbers[field.number] = field.name
    for oneof in message.oneofs:
        if not oneof.members:
            file.source.fail("Oneof must have at least one field.", oneof.token)
    _check_json_names(file, message)
    ranges = message.ranges
    if message.message_set:
        if file.syntax == "proto3":
            file.source.fail("MessageSet is not supported in proto3.", message.token)
        if message.fields:
            file.source.fail("MessageSets cannot have fields, only extensions.", message.fields[0].name_token)
        message.extension_ranges = [(low, high) for low, high, _ in ranges.extensions]
    elif ranges.extensions:
        # Only a MessageSet's extensions go past 536870911; for others `max` means that number.
        adjusted = []
        for low, high, at in ranges.extensions:
            if high == 2**31 - 1:
                high = MAX_FIELD_NUMBER
                if high < low:
                    file.source.fail("Extension range end number must be greater than start number.", at)
            elif high > MAX_FIELD_NUMBER:
                file.source.fail(f"Extension numbers cannot be greater than {MAX_FIELD_NUMBER}.", at)
            adjusted.append((low, high, at))
        ranges.extensions[:] = adjusted
        message.extension_ranges = [(low, high) for low, high, _ in adjusted]
    _check_ranges(file, ranges)
    if not (ranges.names or ranges.reserved or ranges.extensions):
        return
    reserved, extensions = sorted(ranges.reserved), sorted(ranges.extensions)
    for field in message.fields:
        if field.name in ranges.names:
            file.source.fail(f"Field name \"{field.name}\" is reserved.", field.name_token)
        if _in_ranges(reserved, field.number):
            file.source.fail(f"Field \"{field.name}\" uses reserved number {field.number}.", field.number_token)
        extension = _in_ranges(extensions, field.number)
        if extension:
            file.source.fail(f"Extension range {extension[0]} to {extension[1]} includes field \"{field.name}\" "
                             f"({field.number}).", extension[2])


def _check_ranges(file: ProtoFile, ranges: Ranges) -> None:
    """No two reserved or extension ranges may overlap; sorted first, so this stays linear."""
    tagged = [(low, high, at, "Reserved") for low, high, at in ranges.reserved]
    tagged += [(low, high, at, "Extension") for low, high, at in ranges.extensions]
    widest: tuple[int, int, int, str] | None = None
    for current in sorted(tagged):
        if widest is not None and current[0] <= widest[1]:
            # protoc's wording and place: two of a kind at the earlier one, else at the extension range.
            earlier, later = sorted((widest, current), key=lambda item: item[2])
            if earlier[3] == later[3]:
                file.source.fail(f"{later[3]} range {later[0]} to {later[1]} overlaps with already-defined range "
                                 f"{earlier[0]} to {earlier[1]}.", earlier[2])
            extension, other = (earlier, later) if earlier[3] == "Extension" else (later, earlier)
            file.source.fail(f"Extension range {extension[0]} to {extension[1]} overlaps with reserved range "
                             f"{other[0]} to {other[1]}.", extension[2])
        if widest is None or current[1] > widest[1]:
            widest = current


def _in_ranges(ordered: list[tuple[int, int, int]], number: int) -> tuple[int, int, int] | None:
    """The range (low, high, token) holding `number`, from sorted ranges that do not overlap."""
    index = bisect.bisect_right(ordered, (number, 2**63, 2**63)) - 1
    return ordered[index] if index >= 0 and ordered[index][1] >= number else None


def json_name(field_name: str) -> str:
    """protoc's default JSON name: `foo_bar` -> `fooBar` (underscores dropped, the next letter upper-cased)."""
    parts = field_name.split("_")
    return parts[0] + "".join(part[:1].upper() + part[1:] for part in parts[1:])


def _check_json_names(file: ProtoFile, message: MessageDef) -> None:
    """protoc's rule: no two fields of a message may share a JSON name.

    Under json_format LEGACY_BEST_EFFORT (proto2's default) a clash that involves a default name is
    only a warning, as protoc gives it; two equal custom names are refused unless the deprecated
    legacy option allows everything.
    """
    fields = message.fields
    # Equal JSON names need equal names once underscores and case are dropped: usually none do.
    if (len({field.name.replace("_", "").lower() for field in fields}) == len(fields)
            and not any(field.json_name for field in fields)):
        return
    legacy = message.legacy_json
    best_effort = feature(message, "json_format") == "LEGACY_BEST_EFFORT"
    strict = not legacy and not best_effort
    sure = certain(message)
    defaults: dict[str, FieldDef] = {}
    effective: dict[str, FieldDef] = {}
    for field in fields:
        default = json_name(field.name)
        other = defaults.setdefault(default, field)
        if other is not field and not legacy:
            text = (f"The default JSON name of field \"{field.name}\" (\"{default}\") conflicts with the default "
                    f"JSON name of field \"{other.name}\".")
            if strict:
                _fail_or_warn(file, sure, text, field.name_token)
            else:
                file.warnings.append(f"{file.location(field.name_token)}: {text} (protoc only warns: "
                                     "json_format is LEGACY_BEST_EFFORT)")
        name = field.json_name or default
        other = effective.setdefault(name, field)
        if other is field or not (field.json_name or other.json_name):
            continue
        this_kind = "custom" if field.json_name else "default"
        other_kind = "custom" if other.json_name else "default"
        text = (f"The {this_kind} JSON name of field \"{field.name}\" (\"{name}\") conflicts with the {other_kind} "
                f"JSON name of field \"{other.name}\".")
        if (field.json_name and other.json_name and not legacy) or strict:
            _fail_or_warn(file, sure, text, field.name_token)
        elif not legacy:
            file.warnings.append(f"{file.location(field.name_token)}: {text} (protoc only warns: json_format is "
                                 "LEGACY_BEST_EFFORT)")


# --------------------------------------------------------------------------- enums


def _check_enum(file: ProtoFile, enum: EnumDef) -> None:
    ranges = enum.ranges
    _check_ranges(file, ranges)
    reserved = sorted(ranges.reserved)
    for value in enum.values:
        if value.name in ranges.names:
            file.source.fail(f"Enum value \"{value.name}\" is reserved.", value.token)
        if _in_ranges(reserved, value.number):
            file.source.fail(f"Enum value \"{value.name}\" uses reserved number {value.number}.", value.number_token)
    first_names: dict[int, str] = {}
    for value in enum.values:
        first = first_names.setdefault(value.number, value.name)
        if first != value.name and not enum.allow_alias:
            file.source.fail(f"\"{value.name}\" uses the same enum value as \"{first}\". If this is intended, "
                             "set 'option allow_alias = true;' to the enum definition.", value.token)
    if enum.allow_alias and enum.values and len(first_names) == len(enum.values):
        file.source.fail(f"\"{enum.full_name}\" declares support for enum aliases but no enum values share field "
                         "numbers. Please remove the unnecessary 'option allow_alias = true;' declaration.", enum.token)
    if not enum.values:
        file.source.fail("Enums must contain at least one value.", enum.token)
    if enum.values[0].number != 0 and feature(enum, "enum_type") != "CLOSED":
        _fail_or_warn(file, certain(enum), "The first enum value must be zero for open enums.",
                      enum.values[0].number_token)


# --------------------------------------------------------------------------- fields and their features


def _check_field(file: ProtoFile, field: FieldDef) -> None:
    extension = field.extendee is not None
    if extension:
        _check_number(file, field.number, field.number_token, extension=True)
        if field.label == "required":
            file.source.fail(f"The extension {field.name} cannot be required.", field.name_token)
    if file.syntax == "editions":
        _check_field_features(file, field, extension)


def _check_field_features(file: ProtoFile, field: FieldDef, extension: bool) -> None:
    """protoc's rules on the features of an editions field (resolved, and written on the field itself)."""
    sure = certain(field)
    presence = feature(field, "field_presence")
    target = field.target
    at = field.name_token
    # Presence inherited by a repeated, oneof or extension field is not something protoc is known to
    # judge the same way in every version: there the two rules below only warn.
    singular = field.label != "repeated" and not field.is_map and field.oneof is None and not extension
    if field.has_default and presence == "IMPLICIT":
        _fail_or_warn(file, sure and singular, "Implicit presence fields can't specify defaults.", at)
    if (isinstance(target, EnumDef) and not field.is_map and presence == "IMPLICIT"
            and feature(target, "enum_type") != "OPEN"):
        _fail_or_warn(file, sure and singular and certain(target), "Implicit presence enum fields must always "
                      "be open.", at)
    if extension and presence == "LEGACY_REQUIRED":
        _fail_or_warn(file, sure, "Extensions can't be required.", at)
    written = field.features
    if not written:
        return
    repeated = field.label == "repeated" or field.is_map
    if "field_presence" in written:
        if field.oneof is not None:
            file.source.fail("Oneof fields can't specify field presence.", at)
        if repeated:
            file.source.fail("Repeated fields can't specify field presence.", at)
        if extension and written["field_presence"] != "LEGACY_REQUIRED":
            file.source.fail("Extensions can't specify field presence.", at)
        if isinstance(target, MessageDef) and written["field_presence"] == "IMPLICIT":
            file.source.fail("Message fields can't specify implicit presence.", at)
    if "repeated_field_encoding" in written:
        if not repeated:
            file.source.fail("Only repeated fields can specify repeated field encoding.", at)
        packable = field.type_name in _PACKABLE or isinstance(target, EnumDef)
        if written["repeated_field_encoding"] == "PACKED" and (field.is_map or not packable) and target is not None:
            file.source.fail("Only repeated primitive fields can specify PACKED repeated field encoding.", at)
    if "utf8_validation" in written and field.type_name != "string" and not field.is_map:
        file.source.fail("Only string fields can specify utf8 validation.", at)
    if "message_encoding" in written and (field.is_map or (target is not None and not isinstance(target, MessageDef))):
        file.source.fail("Only message fields can specify message encoding.", at)


# --------------------------------------------------------------------------- rules on resolved types


def _check_resolved(file: ProtoFile) -> None:
    for field in file.map_entry_types:
        file.source.fail("map_entry should not be set explicitly. Use map<KeyType, ValueType> instead.",
                         field.type_token)
    for field in file.fields:
        target = field.target
        if field.default_token and isinstance(target, (MessageDef, EnumDef)):
            _check_named_default(file, field, target)
        if (isinstance(target, EnumDef) and file.syntax == "proto3" and field.extendee is None
                and feature(target, "enum_type") == "CLOSED"):
            scope = field.full_name.rpartition(".")[0]
            user = f"{scope}.{map_entry_name(field.name)}" if field.is_map else scope
            _fail_or_warn(file, certain(target), f"Enum type \"{target.full_name}\" is not an open enum, but is used "
                          f"in \"{user}\" which is a proto3 message type.", field.type_token)
    for key_type, _, token, found, tried in file.bound_map_keys:
        # protoc refuses any key that is not a scalar; which message it gives depends on what the name is.
        if found is None:
            file.source.fail(f"\"{key_type}\" {tried}.", token)
        file.source.fail("Key in map fields cannot be enum types." if isinstance(found, EnumDef) else
                         "Key in map fields cannot be float/double, bytes or message types.", token)
    for type_name, full, found, token, extensions in file.bound_extendees:
        _check_extendee(file, type_name, full, found, token, extensions)


def _check_extendee(file: ProtoFile, type_name: str, full: str, found: Symbol | None, token: int,
                    extensions: list[FieldDef]) -> None:
    if not isinstance(found, MessageDef) and found != MAP_ENTRY:
        file.source.fail(f"\"{type_name}\" is not a message type.", token)
    if extensions and file.syntax == "proto3" and full not in _PROTO3_EXTENDEES:
        file.source.fail("Extensions in proto3 are only allowed for defining options.", token)
    ranges = found.extension_ranges if isinstance(found, MessageDef) else []
    for extension in extensions:
        if not any(low <= extension.number <= high for low, high in ranges):
            file.source.fail(f"\"{full}\" does not declare {extension.number} as an extension number.",
                             extension.number_token)


def _check_named_default(file: ProtoFile, field: FieldDef, target: MessageDef | EnumDef) -> None:
    """protoc's checks of `[default = ...]` on a field whose type is a message or an enum."""
    token = field.default_token
    if isinstance(target, MessageDef):
        file.source.fail("Messages can't have default values.", token)
    if file.source.kinds[token] is not IDENTIFIER:
        file.source.fail("Default value for an enum field must be an identifier.", token)
    value = file.source.texts[token]
    if value not in target.value_names:
        file.source.fail(f"Enum type \"{target.full_name}\" has no value named \"{value}\".", token)
