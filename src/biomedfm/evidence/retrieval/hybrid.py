"""Hybrid retrieval: BM25 and dense rankings merged by reciprocal-rank fusion (RRF)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from biomedfm.evidence.retrieval.bm25 import BM25Index, Hit
from biomedfm.evidence.retrieval.dense import DenseIndex

RRF_K = 60
"""The constant of Cormack et al. (2009); ranks beyond ~k matter little."""


def reciprocal_rank_fusion(rankings: list[list[Hit]], k: int = RRF_K) -> list[Hit]:
    """Merge rankings: score(id) = Σ 1 / (k + rank), rank starting at 1."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.id] = scores.get(hit.id, 0.0) + 1.0 / (k + rank)
    return [Hit(i, s) for i, s in sorted(scores.items(), key=lambda item: -item[1])]


@dataclass
class HybridRetriever:
    """BM25 + dense over one level (documents or sentences); dense is optional."""

    bm25: BM25Index
    dense: DenseIndex | None = None

    @classmethod
    def load(cls, index_dir: Path, level: str = "documents") -> HybridRetriever:
        dense_dir = index_dir / f"dense_{level}"
        dense = DenseIndex.load(dense_dir) if (dense_dir / "ids.json").is_file() else None
        return cls(BM25Index.load(index_dir / f"bm25_{level}"), dense)

    def search(self, query: str, k: int = 10, depth: int = 50) -> list[Hit]:
        """Top ``k`` after fusing the top ``depth`` of each ranking."""
        rankings = [self.bm25.search(query, depth)]
        if self.dense is not None:
            rankings.append(self.dense.search(query, depth))
        return reciprocal_rank_fusion(rankings)[:k]
