"""A processor for the example workflows: the filter people write first.

``SkipTables`` drops tables whose name matches a pattern (OpenMetadata's table filter pattern, in
shell style). Everything that is not a table passes through.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from connectors.models import Table
from minigest import ConfigError, Either, Processor


class SkipTables(Processor):
    """Filter out tables whose name matches one of ``patterns`` (``tmp_*``, ``*_backup``)."""

    def __init__(self, patterns: list[str]) -> None:
        super().__init__()
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise ConfigError(f"SkipTables: option 'patterns' must be a list of strings, got {patterns!r}")
        self.patterns = patterns

    def _run(self, record: Any) -> Either[Any] | None:
        if isinstance(record, Table) and any(fnmatch.fnmatchcase(record.name, p) for p in self.patterns):
            return None
        return Either(right=record)

