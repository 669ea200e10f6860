"""The walk every database connector shares: service -> database -> schema -> tables.

``DatabaseTopology`` is OpenMetadata's database topology cut down to four
levels. ``DatabaseSource`` implements the first three (one service named by
``service_name``, one database named after the business unit, one schema) and
everything connectors have in common, so that a connector subclasses it and
writes only its own story:

- ``get_tables()``: what to read, one element per table (a file, a catalog row, a message...);
- ``yield_table(element)``: how one element becomes a ``Table`` or a failure;
- optionally ``table_name(element)`` (the name the table will have; default ``element.name``)
  and ``locate(element)`` (where the element is, for messages; default the source path).

``DatabaseSource`` brings the options every connector takes (``source_directory``,
``business_unit``, ``service_name`` and OpenMetadata's filter patterns), checks
the path in ``prepare()``, refuses a second table of the same name, skips what
the filters exclude (counted as filtered, with the reason), and after each
fully listed schema and database yields a ``Contents`` naming every child it
found, so that a catalog can remove what is gone.
"""

from __future__ import annotations

import abc
import inspect
import logging
import os
import re
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Optional

import attrs

from connectors.models import Contents, Database, DatabaseSchema, DatabaseService, Table
from minigest import (
    Either,
    InvalidSourceException,
    NodeStage,
    ServiceTopology,
    Source,
    StackTraceError,
    TopologyNode,
    TopologyRunnerMixin,
    fqn_join,
)

__all__ = ["DatabaseSource", "DatabaseTopology", "EntityFilter", "FilterPattern", "failure"]

FilterPattern = dict[str, list[str]]
"""OpenMetadata's ``FilterPattern``: ``{"includes": [regex, ...], "excludes": [regex, ...]}``."""


class DatabaseTopology(ServiceTopology):
    """Service, then its databases, then their schemas, then their tables; depth first."""

    root = TopologyNode(
        producer="get_services",
        stages=[NodeStage(type_=DatabaseService, processor="yield_database_service", context="database_service")],
        children=["database"],
    )
    database = TopologyNode(
        producer="list_databases",
        stages=[
            NodeStage(type_=Database, processor="yield_database", context="database", consumer=["database_service"])
        ],
        children=["database_schema"],
    )
    database_schema = TopologyNode(
        producer="list_database_schemas",
        stages=[
            NodeStage(
                type_=DatabaseSchema,
                processor="yield_database_schema",
                context="database_schema",
                consumer=["database_service", "database"],
            )
        ],
        children=["table"],
        post_process=["yield_database_contents"],  # after every schema of one database
    )
    table = TopologyNode(
        producer="list_tables",
        stages=[
            NodeStage(
                type_=Table,
                processor="read_table",
                context="table",
                consumer=["database_service", "database", "database_schema"],
            )
        ],
        post_process=["yield_schema_contents"],  # after every table of one schema
    )


# --- Filter patterns ----------------------------------------------------------


@attrs.frozen
class EntityFilter:
    """One filter pattern option, compiled: which names of one kind of entity are ingested.

    OpenMetadata's rules: each regex is matched at the start of the name
    (``re.match``), ignoring case. A name must match one of the includes, when
    there are any, and then none of the excludes. (OpenMetadata ignores the
    excludes when includes are given; here both apply, so an exclude is never
    silently dropped.)
    """

    option: str
    includes: tuple[re.Pattern[str], ...] = ()
    excludes: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def from_option(cls, owner: str, option: str, value: FilterPattern | None) -> EntityFilter | None:
        """Compile an option's value; a bad regex or key raises InvalidSourceException naming the option."""
        if not value:
            return None
        unknown = sorted(set(value) - {"includes", "excludes"})
        if unknown:
            raise InvalidSourceException(
                f"{owner}: option {option!r}: unknown key {unknown[0]!r} (expected includes and/or excludes)"
            )
        compiled: dict[str, tuple[re.Pattern[str], ...]] = {}
        for key in ("includes", "excludes"):
            patterns = value.get(key) or []
            if not isinstance(patterns, list) or not all(isinstance(pattern, str) for pattern in patterns):
                raise InvalidSourceException(f"{owner}: option {option!r}: {key} must be a list of regexes")
            try:
                compiled[key] = tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns)
            except (re.error, TypeError) as exc:
                raise InvalidSourceException(f"{owner}: option {option!r}: {key}: bad regex: {exc}") from None
        return cls(option, compiled["includes"], compiled["excludes"])

    def reason(self, name: str) -> str | None:
        """Why ``name`` is filtered out, or None when it is ingested."""
        if self.includes and not any(pattern.match(name) for pattern in self.includes):
            shown = ", ".join(repr(pattern.pattern) for pattern in self.includes)
            return f"matches none of {self.option}'s includes ({shown})"
        for pattern in self.excludes:
            if pattern.match(name):
                return f"matches {self.option}'s excludes {pattern.pattern!r}"
        return None


# --- The source ------------------------------------------------------------------


@attrs.define
class _Listing:
    """The children one producer found under one parent, in order, and whether it found them all."""

    names: dict[str, None] = attrs.field(factory=dict)  # a dict: ordered, and a set for `in`
    complete: bool = False


@attrs.frozen
class _Duplicate:
    """An element whose table name another element already gave: it becomes a failure."""

    name: str
    element: Any


class DatabaseSource(TopologyRunnerMixin, Source):
    """A source that walks ``DatabaseTopology``; subclasses supply the tables.

    A subclass's ``__init__`` takes its own options and passes the rest on
    (``**options``) to this one, which takes the options every connector has.
    """

    topology = DatabaseTopology()
    service_type: ClassVar[str] = "CustomDatabase"
    default_service_name: ClassVar[str] = "custom"
    # What source_directory must name: "file", "folder" or "file or folder" (checked in prepare()).
    source_kind: ClassVar[str] = "file"

    # Optional[...], not `X | None`: an options reader evaluates these annotations, also on Python 3.9.
    def __init__(
        self,
        *,
        source_directory: Path,
        business_unit: str,
        service_name: Optional[str] = None,  # noqa: UP045
        database_filter_pattern: Optional[FilterPattern] = None,  # noqa: UP045
        schema_filter_pattern: Optional[FilterPattern] = None,  # noqa: UP045
        table_filter_pattern: Optional[FilterPattern] = None,  # noqa: UP045
        use_fqn_for_filtering: bool = False,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        for option, value in (("source_directory", source_directory), ("business_unit", business_unit),
                              ("service_name", "-" if service_name is None else service_name)):
            if not str(value).strip():
                raise InvalidSourceException(f"{owner}: option {option!r} must not be empty")
        self.path = Path(os.fspath(source_directory))
        self.service_name = service_name or self.default_service_name
        self.business_unit = business_unit
        self.schema_name = "default"
        self.use_fqn_for_filtering = use_fqn_for_filtering
        self.filters = {
            "database": EntityFilter.from_option(owner, "database_filter_pattern", database_filter_pattern),
            "schema": EntityFilter.from_option(owner, "schema_filter_pattern", schema_filter_pattern),
            "table": EntityFilter.from_option(owner, "table_filter_pattern", table_filter_pattern),
        }
        self._schemas = self._tables = _Listing()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__signature__ = _options_signature(cls)  # type: ignore[attr-defined]

    def prepare(self) -> None:
        """The path must exist and be what this connector reads (a file, a folder)."""
        path, kind = Path(self.path), self.source_kind  # a subclass may keep self.path as a string
        if not path.exists():
            raise InvalidSourceException(f"{self.name}: source_directory {str(path)!r} does not exist")
        if kind == "file" and path.is_dir():
            raise InvalidSourceException(f"{self.name}: source_directory {str(path)!r} is a folder; give a file")
        if kind == "folder" and not path.is_dir():
            raise InvalidSourceException(f"{self.name}: source_directory {str(path)!r} is not a folder")
        logging.getLogger("minigest.connectors").info("%s reads %s", self.name, path)

    def test_connection(self) -> None:
        """What prepare() checks: a source that cannot be read is said before the run."""
        self.prepare()

    # The three levels above the tables: one element each.

    def get_services(self) -> Iterator[str]:
        yield self.service_name

    def yield_database_service(self, name: str) -> Iterator[Either[DatabaseService]]:
        yield Either(right=DatabaseService(name=name, service_type=self.service_type))

    def get_databases(self) -> Iterable[str]:
        """The databases of the service: one, named after the business unit."""
        return [self.business_unit]

    def yield_database(self, name: str) -> Iterator[Either[Database]]:
        yield Either(right=Database(name=name, service=fqn_join(self.context.database_service)))

    def get_database_schemas(self) -> Iterable[str]:
        """The schemas of the current database: one, ``default``."""
        return [self.schema_name]

    def yield_database_schema(self, name: str) -> Iterator[Either[DatabaseSchema]]:
        database_fqn = fqn_join(self.context.database_service, self.context.database)
        yield Either(right=DatabaseSchema(name=name, database=database_fqn))

    # The tables: what a connector writes.

    @abc.abstractmethod
    def get_tables(self) -> Iterable[Any]:
        """Yield one element per table to describe (a file, a catalog row, a message...)."""

    @abc.abstractmethod
    def yield_table(self, element: Any) -> Iterable[Either[Table]]:
        """Turn one element of ``get_tables()`` into a Table, or into a failure."""

    def table_name(self, element: Any) -> str | None:
        """The name the element's table will have, for filters and duplicates.

        None says the element is no table but a problem with the source itself
        (an unreadable catalog): it is not filtered, and the schema's list of
        tables is then incomplete, so nothing under it is marked deleted.
        """
        return str(element.name)

    def locate(self, element: Any) -> str:
        """Where an element comes from, to start its messages with (a file, a file and line)."""
        return str(self.path)

    @property
    def schema_fqn(self) -> str:
        """The fully qualified name of the schema the tables go into."""
        return fqn_join(self.context.database_service, self.context.database, self.context.database_schema)

    # What the topology runs: the connector's elements, filtered, deduplicated and accounted for.

    def list_databases(self) -> Iterator[str]:
        """``get_databases()`` less what database_filter_pattern leaves out."""
        parent = fqn_join(self.context.database_service)
        for name in self.get_databases():
            if self._kept("database", name, parent):
                yield name

    def list_database_schemas(self) -> Iterator[str]:
        """``get_database_schemas()`` less the filtered ones; every name is kept for the database's Contents."""
        self._schemas = listing = _Listing()
        parent = fqn_join(self.context.database_service, self.context.database)
        for name in self.get_database_schemas():
            listing.names[name] = None
            if self._kept("schema", name, parent):
                yield name
        listing.complete = True

    def list_tables(self) -> Iterator[Any]:
        """``get_tables()`` less the filtered ones, a second of a name marked; every name kept for Contents."""
        self._tables = listing = _Listing()
        names, table_name, filtered = listing.names, self.table_name, self.filters["table"] is not None
        parent = self.schema_fqn
        whole = True
        for element in self.get_tables():
            name = table_name(element)
            if name is None:
                whole = False  # a problem with the source itself hides what else was there
            elif name in names:
                element = _Duplicate(name, element)
            else:
                names[name] = None
                if filtered and not self._kept("table", name, parent):
                    continue
            yield element
        listing.complete = whole

    def read_table(self, element: Any) -> Iterable[Either[Table]]:
        """The connector's ``yield_table``, or the failure of a table whose name was already read."""
        if isinstance(element, _Duplicate):
            return [failure(element.name, f"{self.locate(element.element)}: a table named {element.name!r} "
                                          "was already read; this one is skipped")]
        return self.yield_table(element)

    def yield_schema_contents(self) -> Iterator[Either[Contents]]:
        """After the last table of a schema: every table name listed (loaded, failed or filtered)."""
        if self._tables.complete:
            yield Either(right=_contents(self.schema_fqn, "table", self._tables))

    def yield_database_contents(self) -> Iterator[Either[Contents]]:
        """After the last schema of a database: every schema name listed."""
        if self._schemas.complete:
            database_fqn = fqn_join(self.context.database_service, self.context.database)
            yield Either(right=_contents(database_fqn, "databaseSchema", self._schemas))

    def _kept(self, kind: str, name: str, parent_fqn: str) -> bool:
        """Whether ``name`` passes its filter pattern; a filtered one is counted, with the reason."""
        pattern = self.filters[kind]
        if pattern is None:
            return True
        subject = f"{parent_fqn}.{fqn_join(name)}" if self.use_fqn_for_filtering else name
        reason = pattern.reason(subject)
        if reason is None:
            return True
        self.status.filter(name, f"{kind} {subject!r} {reason}")
        return False


def _contents(parent_fqn: str, kind: str, listing: _Listing) -> Contents:
    names: Any = tuple(listing.names)  # Any: mypy's attrs plugin cannot type Contents' `tuple` converter
    return Contents(parent_fqn=parent_fqn, kind=kind, names=names)


def failure(name: str, error: str) -> Either[Any]:
    """A left for one bad input, named after the table it would have been."""
    return Either(left=StackTraceError(name=name, error=error))


def _options_signature(cls: type) -> inspect.Signature:
    """Every option of ``cls``: its ``__init__``'s keywords, then those its ``**options`` pass up the classes.

    So ``inspect.signature(CsvDataConnector)`` (what ``Step.create`` checks a
    config against) lists ``sample_rows`` and the options of DatabaseSource,
    with their types, although the subclass only writes its own.
    """
    parameters: dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None:
            continue
        try:
            hints = typing.get_type_hints(init)
        except Exception:  # an annotation this Python cannot evaluate stays a string
            hints = {}
        passes_on = False
        for parameter in list(inspect.signature(init).parameters.values())[1:]:
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                passes_on = True
            elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
                annotation = hints.get(parameter.name, parameter.annotation)
                parameters.setdefault(parameter.name, parameter.replace(
                    kind=inspect.Parameter.KEYWORD_ONLY, annotation=annotation))
        if not passes_on:
            break
    return inspect.Signature(list(parameters.values()))


# Option helpers for create() overrides; only protobuf_connector.py still has one, until
# minigest's options reader checks every option from the __init__ annotations.


def reject_unknown_options(owner: str, config: dict[str, Any], known: Iterable[str]) -> None:
    """Refuse a misspelt or unsupported option instead of ignoring it."""
    if not isinstance(config, dict):
        raise InvalidSourceException(f"{owner}: options must be a mapping, got {type(config).__name__}")
    allowed = set(known)
    for key in config:
        if key not in allowed:
            raise InvalidSourceException(
                f"{owner}: unknown option {key!r} (expected one of {', '.join(sorted(allowed))})"
            )


def text_option(owner: str, config: dict[str, Any], key: str, default: str | None = None) -> str:
    """A required (or defaulted) non-empty string option."""
    value = config.get(key, default)
    if value is None:
        raise InvalidSourceException(f"{owner}: option {key!r} is required")
    if not isinstance(value, str) or not value.strip():
        raise InvalidSourceException(f"{owner}: option {key!r} must be a non-empty string, got {value!r}")
    return value


def path_option(owner: str, config: dict[str, Any], key: str) -> str:
    """A required path option (a string or os.PathLike), returned as a string."""
    value = config.get(key)
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    return text_option(owner, {key: value}, key)
