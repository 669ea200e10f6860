"""Imports and names: load a file and what it imports, then bind every type name as protoc does.

Imports are looked up under the import roots, then in the ingested file's folder, then among the
well-known types shipped beside this module (`well_known/google/protobuf/*.proto`). A name that
would leave the roots (absolute, `..`, or a symlink whose real path is outside its root) is
refused. A type that cannot be bound is no error: the field's `target` stays None (an UNKNOWN
column) and the file gets a warning, as for a missing import.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources

from connectors.protobuf import features
from connectors.protobuf.grammar import parse_text
from connectors.protobuf.lexer import ProtoParseError
from connectors.protobuf.model import MAP_ENTRY, SCALAR_TYPES, VALUE, EnumDef, MessageDef, ProtoFile, Symbol

__all__ = ["PACKAGE", "WELL_KNOWN_FILES", "Loader", "Names", "hidden_from", "holds_package", "resolve",
           "visible_files", "well_known_text"]

#: The kind a lookup gives for a package (or a leading part of one).
PACKAGE = "package"


def _well_known_names() -> tuple[str, ...]:
    """The import names of the well-known files shipped as package data."""
    names: list[str] = []
    stack = [(resources.files("connectors.protobuf") / "well_known", "")]
    while stack:
        folder, prefix = stack.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                stack.append((entry, f"{prefix}{entry.name}/"))
            elif entry.name.endswith(".proto"):
                names.append(prefix + entry.name)
    return tuple(sorted(names))


#: Import names of the well-known types every protoc ships (`google/protobuf/timestamp.proto`, ...):
#: their structure (fields, nested types, enum values) is built in, so schemas need no copy.
WELL_KNOWN_FILES = _well_known_names()


def well_known_text(name: str) -> str:
    """The text of a well-known file, by import name."""
    entry = resources.files("connectors.protobuf") / "well_known"
    for part in name.split("/"):
        entry = entry / part
    return entry.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- loading


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


def _inside(path: str, root: str) -> bool:
    """Whether `path`'s real path (symlinks followed) is inside `root`'s."""
    real, real_root = os.path.realpath(path), os.path.realpath(root or ".")
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


class Loader:
    """Loads a file and its imports once each; `files` lists them dependencies first."""

    def __init__(self, import_paths: Sequence[str]) -> None:
        self.import_paths = [str(path) for path in import_paths]
        self.by_path: dict[str, ProtoFile] = {}
        self.loading: list[str] = []
        self.files: list[ProtoFile] = []

    def load_target(self, path: str) -> ProtoFile:
        """The file to ingest, named as protoc names it: its path under the first root that holds it."""
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
            text = well_known_text(name)
            shown = f"<built-in {name}>"
        else:
            text = _read_text(path, allow_empty=not target)
            shown = path
        file = parse_text(text, name, shown)
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

    def find(self, file: ProtoFile, name: str, token: int, folder: str) -> str | None:
        """The path of an import under the roots or the folder, refusing names and symlinks that leave them."""
        refused = _check_import_name(name)
        if refused:
            file.source.fail(f"Import \"{name}\" is refused: {refused}.", token)
        for root in [*self.import_paths, folder]:
            candidate = os.path.join(root, *name.split("/"))
            if os.path.isfile(candidate):
                if not _inside(candidate, root):
                    file.source.fail(f"Import \"{name}\" is refused: it is a link to "
                                     f"{os.path.realpath(candidate)}, outside the import root {root or '.'}.", token)
                return candidate
        return None

    def load_import(self, file: ProtoFile, name: str, token: int, folder: str) -> ProtoFile | None:
        candidate = self.find(file, name, token, folder)
        if candidate is not None:
            if os.path.realpath(candidate) in self.loading:
                file.source.fail(f"File recursively imports itself: \"{name}\".", token)
            return self.load(name, candidate, folder)
        if name in WELL_KNOWN_FILES:
            return self.by_path.get("<builtin>/" + name) or self.load(name, None, folder)
        roots = ", ".join([*self.import_paths, folder or "."])
        file.warnings.append(f"{file.location(token)}: import \"{name}\" was not found (searched {roots}); "
                             "its types are UNKNOWN")
        return None

    def look_for_option_import(self, file: ProtoFile, name: str, token: int, folder: str) -> None:
        if name in WELL_KNOWN_FILES or self.find(file, name, token, folder) is not None:
            return
        roots = [*self.import_paths, folder]
        file.warnings.append(f"{file.location(token)}: import option \"{name}\" was not found (searched "
                             f"{', '.join(root or '.' for root in roots)}); protoc needs it for the options")


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


# --------------------------------------------------------------------------- names


def visible_files(file: ProtoFile) -> list[ProtoFile]:
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


def holds_package(packages: Iterable[str], name: str) -> bool:
    """Whether `name` is one of `packages` or a leading part of one (`a.b` of `a.b.c`)."""
    return any(package == name or (package.startswith(name) and package[len(name)] == ".") for package in packages)


class Names:
    """The names a file can see: its own and its visible imports' definitions, and their packages."""

    def __init__(self, files: Iterable[ProtoFile]) -> None:
        self.symbols: dict[str, Symbol] = {}
        packages = set()
        for visible in reversed(list(files)):
            self.symbols.update(visible.symbols)
            if visible.package:
                packages.add(visible.package)
        self.packages = sorted(packages)
        self.by_last: dict[str, list[str]] | None = None  # last part -> full names, built for deep scopes

    def get(self, name: str) -> Symbol | None:
        found = self.symbols.get(name)
        if found is None and holds_package(self.packages, name):
            return PACKAGE
        return found

    def lookup(self, name: str, relative_to: str, *, types_only: bool = True) -> tuple[Symbol | None, str, str]:
        """protoc's name lookup from the scope of `relative_to`: innermost scope first, the first part binding.

        Gives the symbol found, its full name, and why nothing was found. With `types_only`, a
        single name skips symbols that are no type (fields, enum values, packages), as protoc does
        for field types; a dotted name binds its first part to the innermost aggregate of that name.
        """
        if name.startswith("."):
            return self.get(name[1:]), name[1:], "is not defined"
        first, dot, rest = name.partition(".")
        scope = relative_to.rpartition(".")[0]
        candidates = (self._deep_candidates(first, scope, packages=bool(dot) or not types_only)
                      if scope.count(".") > _SHALLOW else _candidates(first, scope))
        symbols = self.symbols
        for candidate in candidates:
            found = symbols.get(candidate)
            if found is None and (dot or not types_only):
                found = self.get(candidate)
            if found is None:
                continue
            if dot:
                if found != VALUE:  # only a message, enum, package, service or map entry holds names
                    full = f"{candidate}.{rest}"
                    return self.get(full), full, (f"is resolved to \"{full}\", which is not defined (the "
                                                  "innermost scope is searched first)")
            elif not types_only or isinstance(found, (MessageDef, EnumDef)) or found == MAP_ENTRY:
                return found, candidate, ""
        return None, name, "is not defined"

    def _deep_candidates(self, first: str, scope: str, *, packages: bool) -> list[str]:
        """The names `first` may mean from a scope of many parts, innermost first, found from an index.

        Walking up a scope of n parts builds n names of up to n parts each; a hostile package of
        20,000 parts made that quadratic. Here only the names that end in `first` are tried.
        """
        if self.by_last is None:
            self.by_last = {}
            for full in self.symbols:
                self.by_last.setdefault(full.rpartition(".")[2], []).append(full)
        found = [full for full in self.by_last.get(first, ()) if _encloses(full[:-len(first) - 1], scope)]
        if packages:
            # A leading part of a package named `first`: a package always binds, so only the innermost counts.
            for package in self.packages:
                innermost = 0
                at = package.find(first)
                while at >= 0:
                    end = at + len(first)
                    whole_part = (at == 0 or package[at - 1] == ".") and (end == len(package) or package[end] == ".")
                    if whole_part and _encloses(package[:max(at - 1, 0)], scope):
                        innermost = end
                    at = package.find(first, end)
                if innermost:
                    found.append(package[:innermost])
        return sorted(set(found), key=len, reverse=True)


#: Scopes up to this many dots are walked up part by part; deeper ones use Names' index.
_SHALLOW = 32


def _candidates(first: str, scope: str) -> Iterator[str]:
    """`first` in `scope`, then in each enclosing scope, up to the top."""
    while True:
        yield f"{scope}.{first}" if scope else first
        if not scope:
            return
        scope = scope.rpartition(".")[0]


def _encloses(parent: str, scope: str) -> bool:
    """Whether `parent` is `scope` or one of the scopes around it ("" is the top)."""
    return not parent or scope == parent or (scope.startswith(parent) and scope[len(parent)] == ".")


def hidden_from(found: Symbol | None, file: ProtoFile, usage: str = "") -> tuple[str, bool] | None:
    """protoc's refusal of an edition 2024 message or enum local to another file, and whether it is certain.

    A type is local when marked `local`, or when unmarked and its file's default_symbol_visibility
    makes it so: EXPORT_TOP_LEVEL for a nested type, LOCAL_ALL and STRICT for every type. None when
    `file` may use it. The refusal is uncertain when that default comes from features not fully read.
    """
    if not isinstance(found, (MessageDef, EnumDef)) or found.file is file or not found.file.at_least("2024"):
        return None
    sure = True
    if found.visibility:
        if found.visibility == "export":
            return None
        why = "It is explicitly marked 'local'"
    else:
        default = features.feature(found.file, "default_symbol_visibility")
        if default == "EXPORT_ALL" or (default == "EXPORT_TOP_LEVEL" and not found.nested):
            return None
        sure = features.certain(found.file)
        why = f"It defaulted to local from file-level 'option features.default_symbol_visibility = {default};'"
    usage = f" {usage}" if usage else ""
    return (f"Symbol \"{found.full_name}\", defined in \"{found.file.name}\"{usage} is not visible from "
            f"\"{file.name}\". {why} and cannot be accessed outside its own file"), sure


def resolve(file: ProtoFile) -> None:
    """Bind every field type of `file` to a definition; record extendees and map keys for the checks."""
    names = Names(visible_files(file))
    for field in file.fields:
        if field.target is not None:
            continue
        found, _, tried = names.lookup(field.type_name, field.full_name)
        if found == MAP_ENTRY:
            file.map_entry_types.append(field)
            continue
        if isinstance(found, (MessageDef, EnumDef)):
            # A type local to another file is still bound: the checks refuse it, `validate=False` reads it.
            field.target = found
            hidden = hidden_from(found, file)
            if hidden:
                file.hidden_uses.append((field.type_token, *hidden))
        else:
            file.warnings.append(
                f"{file.location(field.type_token)}: type \"{field.type_name}\" of field \"{field.name}\" "
                f"{tried if found is None else 'is not a message or enum type'}; the column is UNKNOWN")
    for key_type, field, token in file.named_map_keys:
        found, _, tried = names.lookup(key_type, field.full_name)
        file.bound_map_keys.append((key_type, field, token, found, tried))
    for type_name, scope, token, extensions in file.extendees:
        if type_name in SCALAR_TYPES:
            continue
        # The extendee is looked up among all names, not only types: a field or enum in between hides a message.
        found, full, tried = names.lookup(type_name, scope + ".x", types_only=False)
        if found is None:
            file.warnings.append(f"{file.location(token)}: type \"{type_name}\" {tried}")
            continue
        # protoc checks visibility for an extend's fields (after "is not a message type"), never for rpc types.
        hidden = hidden_from(found, file, "target of extend") if extensions and isinstance(found, MessageDef) else None
        if hidden:
            file.hidden_uses.append((token, *hidden))
        file.bound_extendees.append((type_name, full, found, token, extensions))

