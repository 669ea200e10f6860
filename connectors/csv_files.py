"""Reading CSV text safely, for both CSV connectors: encodings, bounded lines, sniffing, bad bytes.

What a hostile or careless file can do, and what stops it here:
- bytes that are not text: the first bad byte is found one way (``first_undecodable``) and named by offset;
- UTF-16 (Excel's "Unicode text"), with or without a byte order mark: recognised, and read as such;
- a line or field of hundreds of megabytes: lines are read at most ``MAX_LINE_CHARS`` at a time and
  fields are capped by the csv module's limit, raised only while our own reader runs (``field_limit``);
- invisible characters in names (NUL, a byte order mark in mid-header): found, so callers warn or fail.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

__all__ = [
    "FIELD_SIZE_LIMIT", "MAX_LINE_CHARS", "CsvFileError", "bounded_lines", "detect_encoding", "field_limit",
    "first_undecodable", "invisible_character", "sniff_dialect", "unreadable_file_problem",
]

# Python's default limit (128 KiB per field) rejects real files with long text cells; 16 Mi characters
# still stops a runaway quote from eating all memory (the csv module keeps 4 bytes per character).
FIELD_SIZE_LIMIT = 16 * 1024 * 1024
MAX_LINE_CHARS = FIELD_SIZE_LIMIT  # a longer physical line would hold a longer field, or be hostile

SNIFF_CHARS = 8 * 1024  # the sample the delimiter and quote are chosen from
SNIFFABLE_DELIMITERS = ",;\t|"  # in order of preference: a tie goes to the first
QUOTE_CHARS = "\"'"


class CsvFileError(Exception):
    """A file that cannot be read as CSV; the message names the file (and line or byte)."""


def unreadable_file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file (a folder, empty, no permission), or None."""
    try:
        if path.is_dir():
            return "is a folder, not a file"
        if not path.is_file():
            return "is not a regular file" if path.exists() else "does not exist"
        if path.stat().st_size == 0:
            return "the file is empty"
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    return None


# --- Encodings and bad bytes -------------------------------------------------


def detect_encoding(head: bytes) -> tuple[str, str]:
    """The codec of a file from its first bytes, and how it was told: ``("utf-16-le", "byte order mark")``.

    A byte order mark decides; without one, UTF-16 shows as NUL bytes in every
    other position (its ASCII characters), which UTF-8 text does not have.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", "byte order mark"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", "byte order mark"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", "byte order mark"
    pairs = len(head) // 2
    if pairs >= 2:
        even_nuls, odd_nuls = head[0:2 * pairs:2].count(0), head[1:2 * pairs:2].count(0)
        if odd_nuls * 2 >= pairs and even_nuls == 0:
            return "utf-16-le", "NUL bytes in every other position"
        if even_nuls * 2 >= pairs and odd_nuls == 0:
            return "utf-16-be", "NUL bytes in every other position"
    return "utf-8", ""


def first_undecodable(chunks: Iterable[bytes], encoding: str = "utf-8", start: int = 0) -> str | None:
    """Where the first byte that is not valid ``encoding`` sits (its file offset), or None.

    The one place that finds and words a bad byte: the catalog passes the raw
    bytes of one record, the data connector the whole file in chunks.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = start
    for chunk in _then_none(chunks):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk or b"", final=chunk is None)
        except UnicodeDecodeError as exc:
            bad = offset - pending + exc.start
            byte = exc.object[exc.start]
            name = "UTF-8" if encoding == "utf-8" else encoding.upper().replace("-LE", "").replace("-BE", "")
            return f"byte {bad} (0x{byte:02x}) is not valid {name}; save the file as UTF-8"
        offset += len(chunk or b"")
    return None


def _then_none(chunks: Iterable[bytes]) -> Iterator[bytes | None]:
    yield from chunks
    yield None


def file_chunks(handle: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """A binary file in chunks of ``size`` bytes."""
    return iter(lambda: handle.read(size), b"")


# --- Lines and fields, bounded ------------------------------------------------


def bounded_lines(text: IO[str], limit: int | None = None) -> Iterator[str]:
    """The lines of ``text`` for csv.reader, each read at most ``limit`` characters at a time.

    A longer line raises CsvFileError naming it: reading it whole would hold
    the hostile line in memory before any field limit applies. A leading byte
    order mark is dropped (the codecs here keep it as U+FEFF).
    """
    limit = limit or MAX_LINE_CHARS
    readline = text.readline
    line = readline(limit)
    if line.startswith("\ufeff"):
        line = line[1:]
    number = 1
    while line:
        if len(line) >= limit and line[-1] not in "\r\n":
            raise CsvFileError(f"line {number} is longer than {limit:,} characters")
        yield line
        line = readline(limit)
        number += 1


@contextlib.contextmanager
def field_limit(limit: int = FIELD_SIZE_LIMIT) -> Iterator[None]:
    """Allow fields up to ``limit`` characters while the block runs, then restore the caller's limit.

    csv's limit is process-wide: setting it at import would change it for the
    whole program that imported us.
    """
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


# --- Sniffing the delimiter and quote ------------------------------------------


class SniffedDialect(csv.Dialect):
    """The sniffed delimiter and quote, with settings that never trim or reject a value."""

    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False  # " 12" is a string, not 12
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL
    strict = False


def sniff_dialect(sample: str) -> type[csv.Dialect]:
    """The delimiter and quote under which most sample records have as many cells as the header.

    csv.Sniffer counts characters without honouring quotes, so a comma file
    whose quoted text holds "; " comes out split on ';'. Parsing the sample
    once per candidate is exact and cheap; ties go to ',' and '"', the CSV
    defaults (a header-only "a;b,c;d" is read as two columns), and a header of
    one cell under every candidate keeps them too.
    """
    best, best_score = (",", '"'), 0.0
    # An apostrophe is the quote only in a sample with no double quote: it's common in text.
    for quotechar in QUOTE_CHARS if '"' not in sample else '"':
        for delimiter in SNIFFABLE_DELIMITERS:
            score = _records_like_the_header(sample, delimiter, quotechar)
            if score > best_score:
                best, best_score = (delimiter, quotechar), score
    delimiter, quotechar = best
    return type("Sniffed", (SniffedDialect,), {"delimiter": delimiter, "quotechar": quotechar})


def _records_like_the_header(sample: str, delimiter: str, quotechar: str) -> float:
    """The share of the sample's records with the header's number of cells (0 for a one-cell header)."""
    dialect = type("Candidate", (SniffedDialect,), {"delimiter": delimiter, "quotechar": quotechar})
    try:
        records = [record for record in csv.reader(io.StringIO(sample, newline=""), dialect) if record]
    except csv.Error:
        return 0.0
    if len(records) > 2:
        records.pop()  # the sample may end inside the last record
    if not records or len(records[0]) < 2:
        return 0.0
    width = len(records[0])
    return sum(len(record) == width for record in records) / len(records)


# --- Names ----------------------------------------------------------------------


def invisible_character(name: str) -> tuple[int, str] | None:
    """The first control character in ``name`` (NUL, ESC...) or byte order mark, and its position, or None.

    Such characters come from a wrongly decoded file or a pasted header; passed
    on, they make names that look equal and are not.
    """
    if name.isprintable():  # the fast answer for nearly every name
        return None
    for position, char in enumerate(name, start=1):
        if (unicodedata.category(char) == "Cc" and char not in "\t\n\r") or char == "\ufeff":
            return position, f"U+{ord(char):04X}"
    return None
