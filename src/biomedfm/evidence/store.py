"""SQLite store of documents and their sentences; ingest is incremental and deduplicating.

A document is skipped when its id is already stored or when its abstract has the same content
hash as a stored one (the same abstract under two ids, as PubMed mirrors often carry).
Sentences keep their character offsets in the abstract, so a quote can be checked verbatim.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from biomedfm.evidence.ingest import Document, IngestReport, Record, RecordProblem
from biomedfm.evidence.sentences import split_sentences

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    abstract TEXT NOT NULL,
    year INTEGER,
    mesh TEXT NOT NULL,
    publication_types TEXT NOT NULL,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS sentences (
    id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(id),
    position INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_by_doc ON sentences(doc_id, position);
"""


@dataclass(frozen=True)
class Sentence:
    """A sentence of a stored abstract; ``id`` is ``<doc_id>:s<position>``."""

    id: str
    doc_id: str
    position: int
    start: int
    end: int
    text: str


def content_hash(text: str) -> str:
    """Hash of the abstract with case and white space normalised."""
    return hashlib.sha256(re.sub(r"\s+", " ", text).strip().lower().encode()).hexdigest()


class EvidenceStore:
    """The corpus on disk (``<index>/corpus.sqlite``, WAL mode)."""

    def __init__(self, path: Path) -> None:
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    @classmethod
    def in_memory(cls) -> EvidenceStore:
        """A throw-away store (inline contexts, tests): SQLite's ``:memory:`` database."""
        return cls(Path(":memory:"))

    def close(self) -> None:
        self._db.close()

    def add(self, records: Iterable[Record]) -> IngestReport:
        """Store new documents and their sentences; report duplicates and bad records."""
        report = IngestReport()
        with self._db:
            for record in records:
                if isinstance(record, RecordProblem):
                    report.problems.append(record)
                elif self._insert(record):
                    report.added += 1
                else:
                    report.duplicates += 1
        return report

    def _insert(self, document: Document) -> bool:
        digest = content_hash(document.abstract)
        exists = self._db.execute(
            "SELECT 1 FROM documents WHERE id = ? OR content_hash = ?", (document.id, digest)
        ).fetchone()
        if exists:
            return False
        self._db.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                document.id,
                document.title,
                document.abstract,
                document.year,
                json.dumps(list(document.mesh)),
                json.dumps(list(document.publication_types)),
                document.source,
                digest,
            ),
        )
        self._db.executemany(
            "INSERT INTO sentences VALUES (?, ?, ?, ?, ?, ?)",
            [
                (f"{document.id}:s{i}", document.id, i, start, end, document.abstract[start:end])
                for i, (start, end) in enumerate(split_sentences(document.abstract))
            ],
        )
        return True

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def document(self, doc_id: str) -> Document | None:
        row = self._db.execute(
            "SELECT id, abstract, title, year, mesh, publication_types, source "
            "FROM documents WHERE id = ?",
            (doc_id,),
        ).fetchone()
        return _to_document(row) if row else None

    def documents(self) -> Iterator[Document]:
        """All documents in insertion order."""
        cursor = self._db.execute(
            "SELECT id, abstract, title, year, mesh, publication_types, source "
            "FROM documents ORDER BY rowid"
        )
        for row in cursor:
            yield _to_document(row)

    def sentence(self, sentence_id: str) -> Sentence | None:
        """One sentence by id (``<doc_id>:s<position>``)."""
        row = self._db.execute(
            "SELECT id, doc_id, position, start, end, text FROM sentences WHERE id = ?",
            (sentence_id,),
        ).fetchone()
        return Sentence(*row) if row else None

    def sentences(self, doc_id: str | None = None) -> list[Sentence]:
        """Sentences of one document, or of all documents, in order."""
        query = "SELECT id, doc_id, position, start, end, text FROM sentences"
        if doc_id is None:
            rows = self._db.execute(query + " ORDER BY rowid").fetchall()
        else:
            rows = self._db.execute(
                query + " WHERE doc_id = ? ORDER BY position", (doc_id,)
            ).fetchall()
        return [Sentence(*row) for row in rows]


def _to_document(row: tuple[str, str, str, int | None, str, str, str]) -> Document:
    doc_id, abstract, title, year, mesh, publication_types, source = row
    return Document(
        id=doc_id,
        abstract=abstract,
        title=title,
        year=year,
        mesh=tuple(json.loads(mesh)),
        publication_types=tuple(json.loads(publication_types)),
        source=source,
    )
