"""The service's own evidence corpus under ``BIOMEDFM_HOME/evidence-index``."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def count_documents(index_dir: Path) -> int:
    """Documents indexed so far (0 before the first ingest); read-only, never blocks a writer."""
    path = index_dir / "corpus.sqlite"
    if not path.is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as connection:
            return int(connection.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    except sqlite3.Error:
        return 0
