"""Type inference for CSV values: pure functions over strings, no files, no I/O.

Each column keeps its current candidate type: None until a non-null value
arrives, then the narrowest type holding every value seen, widened along
INT < BIGINT < DOUBLE and DATE < TIMESTAMP; any other mix is STRING::

    types = ColumnTypes(2)
    types.add([["1", "2024-01-01"], ["2.5", ""]])
    types.result()   # ['DOUBLE', 'DATE']

Rows come in batches. The fast path joins a column's batch with "\\n" and
checks it with one compiled regex that accepts a safe subset of the current
type (and nulls): one C call per column per batch. Only a batch that fails
goes value by value through the exact checks, which widen the type.

Every pattern here can match a given text in at most one way (no two
alternatives, and no two adjacent repeats, can take the same characters), so
a batch that does not match fails in time linear in its length. A pattern
such as ``[0-9]+\\.?[0-9]*`` can split ``12345`` in five ways, and a batch of
them that fails at its last cell tries every combination: exponential time.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Iterable, Sequence
from typing import Callable

__all__ = [
    "BIGINT", "BOOLEAN", "DATE", "DOUBLE", "INT", "NULLS", "STRING", "TIME", "TIMESTAMP",
    "ColumnTypes", "header_looks_like_data", "type_of", "widen",
]

NULLS = frozenset({"", "NA", "N/A", "NULL", "null"})
BOOLEAN, INT, BIGINT, DOUBLE, DATE, TIMESTAMP, TIME, STRING = (
    "BOOLEAN", "INT", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "TIME", "STRING",
)
WIDENING_CHAINS = ((INT, BIGINT, DOUBLE), (DATE, TIMESTAMP))

# --- The patterns: one way to match each value -------------------------------

_BOOLEAN = r"[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]"
# Digits with an optional fraction, or a bare fraction: "12.5" has one split, "." none.
_DOUBLE = (
    r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|[Nn][Aa][Nn]|[Ii][Nn][Ff](?:[Ii][Nn][Ii][Tt][Yy])?)"
)
_CLOCK = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?"
_ZONE = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])"
_ANY_DATE = r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
# Dates that are real whatever the year: the fast path needs no calendar. The day ranges are disjoint.
_SURE_DATE = (
    r"(?!0000)(?:[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    r"|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)"  # leap days
)
# Integers in range, for the fast path: leading zeros are taken by `0*` alone, because each
# alternative after it starts with a non-zero digit ("0" itself is the last alternative).
_SURE_INT = r"[+-]?(?:0*(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8})|0+)"  # below 2.1e9 < 2**31
# The 19-digit alternative comes first: tried second, it would follow 18 failed steps back through
# `[0-9]{0,17}` on every value of a column of large ids.
_SURE_BIGINT = r"[+-]?(?:0*(?:[1-8][0-9]{18}|[1-9][0-9]{0,17})|0+)"  # below 9e18 < 2**63

_BOOLEAN_RE = re.compile(_BOOLEAN)
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_DOUBLE_RE = re.compile(_DOUBLE)
_DATE_RE = re.compile(_ANY_DATE)
_TIMESTAMP_OR_DATE_RE = re.compile(_ANY_DATE + r"(?:[T ]" + _CLOCK + _ZONE + r"?)?")
_TIME_RE = re.compile(_CLOCK)


def _fits_integer(value: str, limit: int) -> bool:
    """An optional sign and digits whose value lies in [-limit, limit)."""
    if _INTEGER_RE.fullmatch(value) is None:
        return False
    digits = value.lstrip("+-").lstrip("0")
    if len(digits) > 19:  # longer than any 64-bit value: int() never sees it
        return False
    number = int(digits or "0")
    return number <= limit if value[0] == "-" else number < limit


def _is_calendar_date(match: re.Match[str] | None) -> bool:
    if match is None:
        return False
    try:
        datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return True


# The exact check of each type; a wider type accepts its narrower ones.
ACCEPTS: dict[str, Callable[[str], bool]] = {
    BOOLEAN: lambda value: _BOOLEAN_RE.fullmatch(value) is not None,
    INT: lambda value: _fits_integer(value, 2**31),
    BIGINT: lambda value: _fits_integer(value, 2**63),
    DOUBLE: lambda value: _DOUBLE_RE.fullmatch(value) is not None,
    DATE: lambda value: _is_calendar_date(_DATE_RE.fullmatch(value)),
    TIMESTAMP: lambda value: _is_calendar_date(_TIMESTAMP_OR_DATE_RE.fullmatch(value)),
    TIME: lambda value: _TIME_RE.fullmatch(value) is not None,
}


def type_of(value: str) -> str:
    """The narrowest type of one non-null value."""
    for candidate in (BOOLEAN, INT, BIGINT, DOUBLE, DATE, TIMESTAMP, TIME):
        if ACCEPTS[candidate](value):
            return candidate
    return STRING


def widen(current: str | None, new: str) -> str:
    """The narrowest type holding both ``current`` and ``new``."""
    if current is None or current == new:
        return new
    for chain in WIDENING_CHAINS:
        if current in chain and new in chain:
            return chain[max(chain.index(current), chain.index(new))]
    return STRING


def _batch_pattern(value: str) -> re.Pattern[str]:
    """A regex for a "\\n"-joined batch of cells, each null or matching ``value``.

    ``value`` never matches the empty text, a null or a newline, so each cell
    has exactly one way to match and the "\\n" fixes where the next begins.
    """
    cell = f"(?:{value}|NA|N/A|NULL|null|)"
    return re.compile(f"{cell}(?:\n{cell})*")


# The fast path: each pattern accepts only values its type's exact check accepts.
FAST_BATCH = {
    BOOLEAN: _batch_pattern(_BOOLEAN),
    INT: _batch_pattern(_SURE_INT),
    BIGINT: _batch_pattern(_SURE_BIGINT),
    DOUBLE: _batch_pattern(_DOUBLE),
    DATE: _batch_pattern(_SURE_DATE),
    TIMESTAMP: _batch_pattern(_SURE_DATE + r"(?:[T ]" + _CLOCK + _ZONE + r"?)?"),
    TIME: _batch_pattern(_CLOCK),
}


# --- Columns: types widened batch by batch ----------------------------------


class ColumnTypes:
    """Per-column candidate types, widened batch by batch; memory grows with columns, not rows."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.types: list[str | None] = [None] * width
        self.deduplicate = [True] * width  # turned off for a column once most of its values are distinct
        self.rows = 0
        self.ragged_rows = 0
        self.first_ragged_row = 0

    def add(self, rows: list[list[str]]) -> None:
        """Widen the column types with a batch of rows."""
        if not rows:
            return
        width = self.width
        if len(rows[0]) != width or len(set(map(len, rows))) != 1:
            rows = self._even(rows)
        self.rows += len(rows)
        types = self.types
        for index, values in enumerate(zip(*rows)):
            current = types[index]
            if current is None:
                if NULLS.issuperset(values):
                    continue
                # The first value picks the candidate; the fast path then checks the rest.
                current = types[index] = type_of(next(value for value in values if value not in NULLS))
            if current == STRING:
                continue
            checked: Collection[str] = values
            if self.deduplicate[index]:  # flags, codes and dates repeat: check each distinct value once
                checked = set(values)
                self.deduplicate[index] = len(checked) * 2 < len(values)
            joined = "\n".join(checked)
            # A value holding "\n" (a quoted line break) would fake a cell boundary: such a batch goes slow.
            if joined.count("\n") == len(checked) - 1 and FAST_BATCH[current].fullmatch(joined):
                continue
            types[index] = self._widen_by_value(current, checked)

    @staticmethod
    def _widen_by_value(current: str | None, values: Iterable[str]) -> str | None:
        """The slow path: check each value exactly, widening on the first that does not fit."""
        accepts = ACCEPTS[current] if current is not None else None
        for value in values:
            if value in NULLS or (accepts is not None and accepts(value)):
                continue
            current = widen(current, type_of(value))
            if current == STRING:
                return STRING
            accepts = ACCEPTS[current]
        return current

    def _even(self, rows: list[list[str]]) -> list[list[str]]:
        """Pad short rows with nulls and cut long ones, counting them."""
        width = self.width
        for position, row in enumerate(rows):
            if len(row) != width:
                if not self.ragged_rows:
                    self.first_ragged_row = self.rows + position + 1
                self.ragged_rows += 1
        return [row if len(row) == width else (row + [""] * width)[:width] for row in rows]

    def result(self) -> list[str]:
        """The inferred types; a column with only nulls is STRING."""
        return [column_type or STRING for column_type in self.types]


def header_looks_like_data(header: Sequence[str], types: Sequence[str | None]) -> bool:
    """True when no header cell reads as a name and its values go with the types below.

    Only a warning: the first row is always the header (a header such as
    ``1990,1991`` over numbers is real), but a file saved without one is worth
    a word.
    """
    evidence = False
    for cell, column_type in zip(header, types):
        if cell in NULLS:
            continue
        cell_type = type_of(cell)
        if cell_type == STRING:
            return False  # a name
        if column_type is None or column_type == STRING:
            continue  # a number above text says nothing either way
        if widen(column_type, cell_type) == STRING:
            return False  # e.g. a year above a column of dates
        evidence = True
    return evidence
