"""A processor for the example workflows: the filter people write first.

``SkipTables`` drops tables whose name matches a shell-style pattern (``tmp_*``). It is here to teach
what a processor is; to leave tables out of a real run, use the filter patterns every connector takes
(``table_filter_pattern`` in ``connectors/base.py``): a filtered table is then never read at all.
Everything that is not a table passes through.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from connectors.models import Table
from minigest import Either, Processor


class SkipTables(Processor):
    """Filter out tables whose name matches one of ``patterns`` (``tmp_*``, ``*_backup``)."""

    def __init__(self, patterns: list[str]) -> None:
        super().__init__()
        self.patterns = patterns

    def _run(self, record: Any) -> Either[Any] | None:
        if isinstance(record, Table) and any(fnmatch.fnmatchcase(record.name, p) for p in self.patterns):
            return None
        return Either(right=record)
