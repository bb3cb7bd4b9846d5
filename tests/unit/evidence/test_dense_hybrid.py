"""Dense MiniLM retrieval (the real packaged model) and reciprocal-rank fusion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biomedfm.evidence.ingest import Document
from biomedfm.evidence.retrieval.bm25 import Hit, build_indexes
from biomedfm.evidence.retrieval.dense import DenseIndex, embed
from biomedfm.evidence.retrieval.hybrid import HybridRetriever, reciprocal_rank_fusion
from biomedfm.evidence.store import EvidenceStore


def test_rrf_by_hand() -> None:
    fused = reciprocal_rank_fusion(
        [[Hit("a", 9), Hit("b", 8)], [Hit("b", 0.9), Hit("c", 0.1)]], k=1
    )
    assert [h.id for h in fused] == ["b", "a", "c"]
    assert fused[0].score == pytest.approx(1 / 3 + 1 / 2)


def test_embeddings_are_normalised_and_semantic() -> None:
    vectors = embed(["heart attack", "myocardial infarction", "tax law"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_dense_finds_paraphrase_bm25_misses(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "corpus.sqlite")
    store.add(
        [
            Document("mi", "Myocardial infarction patients given aspirin had fewer deaths."),
            Document("tax", "Income tax reform changed household savings in 2010."),
        ]
    )
    build_indexes(store, tmp_path)
    retriever = HybridRetriever.load(tmp_path, "documents")
    assert retriever.dense is not None
    assert retriever.bm25.search("heart attack", k=2) == []  # no shared word
    assert retriever.dense.search("heart attack", k=1)[0].id == "mi"
    assert retriever.search("heart attack", k=1)[0].id == "mi"
    # re-ingesting embeds only what is new and keeps the old vectors
    before = DenseIndex.load(tmp_path / "dense_documents").embeddings
    store.add([Document("new", "Statins lower cholesterol.")])
    build_indexes(store, tmp_path)
    after = DenseIndex.load(tmp_path / "dense_documents")
    assert after.ids == ["mi", "tax", "new"]
    assert np.allclose(after.embeddings[:2], before)
