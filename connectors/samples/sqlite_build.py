"""Write connectors/samples/sqlite_shop.db from sqlite_shop.sql (run from anywhere: python sqlite_build.py)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build(target: Path = HERE / "sqlite_shop.db", script: Path = HERE / "sqlite_shop.sql") -> Path:
    """Build the database anew (a previous file is replaced only once the new one is complete)."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    connection = sqlite3.connect(partial)
    try:
        connection.executescript(script.read_text(encoding="utf-8"))
        connection.commit()
    finally:
        connection.close()
    partial.replace(target)
    return target


if __name__ == "__main__":
    if any(argument.startswith("-") for argument in sys.argv[1:]):
        sys.exit("usage: python sqlite_build.py [TARGET.db [SCRIPT.sql]]  (default: sqlite_shop.db from its .sql)")
    print(build(*map(Path, sys.argv[1:3])))
