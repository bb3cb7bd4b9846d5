"""BM25 over documents and over sentences (bm25s), persisted in the index directory."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import bm25s
import Stemmer

from biomedfm.evidence.store import EvidenceStore

_STEMMER = Stemmer.Stemmer("english")


@dataclass(frozen=True)
class Hit:
    """A retrieved document or sentence, best first."""

    id: str
    score: float


def _tokens(texts: list[str]) -> list[list[str]]:
    tokenized = bm25s.tokenize(
        texts, stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False
    )
    return [list(tokens) for tokens in tokenized]


class BM25Index:
    """One BM25 index and the ids of the texts it holds (row i ↔ ``ids[i]``)."""

    def __init__(self, retriever: bm25s.BM25, ids: list[str]) -> None:
        self.retriever = retriever
        self.ids = ids

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> BM25Index:
        retriever = bm25s.BM25()
        retriever.index(_tokens(texts), show_progress=False)
        return cls(retriever, ids)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.retriever.save(str(directory), show_progress=False)
        (directory / "ids.json").write_text(json.dumps(self.ids))

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        ids = json.loads((directory / "ids.json").read_text())
        return cls(bm25s.BM25.load(str(directory)), ids)

    def search(self, query: str, k: int = 10) -> list[Hit]:
        """The ``k`` best-scoring texts for ``query`` (fewer when the index is smaller)."""
        k = min(k, len(self.ids))
        tokens = _tokens([query])
        if k == 0 or not tokens[0]:
            return []
        rows, scores = self.retriever.retrieve(tokens, k=k, show_progress=False)
        return [
            Hit(self.ids[int(row)], float(score))
            for row, score in zip(rows[0], scores[0], strict=True)
            if score > 0
        ]


def has_index(index_dir: Path, level: str = "documents") -> bool:
    """Whether ``build_indexes`` has written the ``level`` (documents/sentences) index here."""
    return (index_dir / f"bm25_{level}" / "ids.json").is_file()


def build_indexes(
    store: EvidenceStore, index_dir: Path, *, dense: bool = True
) -> tuple[BM25Index, BM25Index]:
    """(Re)build the document and sentence indexes from the whole store and save them.

    ``dense`` also embeds documents and sentences with MiniLM; embeddings of texts already
    embedded by an earlier build are reused, so re-ingesting only embeds what is new.
    """
    documents = list(store.documents())
    doc_ids = [d.id for d in documents]
    doc_texts = [f"{d.title} {d.abstract}".strip() for d in documents]
    sentences = store.sentences()
    sentence_ids = [s.id for s in sentences]
    sentence_texts = [s.text for s in sentences]
    doc_index = BM25Index.build(doc_ids, doc_texts)
    sentence_index = BM25Index.build(sentence_ids, sentence_texts)
    doc_index.save(index_dir / "bm25_documents")
    sentence_index.save(index_dir / "bm25_sentences")
    if dense:
        from biomedfm.evidence.retrieval.dense import update_dense_index

        update_dense_index(index_dir / "dense_documents", doc_ids, doc_texts)
        update_dense_index(index_dir / "dense_sentences", sentence_ids, sentence_texts)
    return doc_index, sentence_index
