"""What screening needs of a model, and one scored chunk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from biomedfm.affinity.domain import fingerprint
from biomedfm.affinity.library import LibraryChunk
from biomedfm.affinity.screening.featurize import Featurized
from biomedfm.chem.molecules import to_mol


class Scorer(Protocol):
    """What screening needs of a model (the PyTorch and the ONNX backends both provide it)."""

    @property
    def target(self) -> str: ...

    @property
    def drug_featurizer_spec(self) -> dict[str, Any]: ...

    def encode_targets(self, sequences: list[str]) -> Any: ...

    def score(self, features: np.ndarray, targets: Any) -> tuple[np.ndarray, np.ndarray]:
        """Drug features (n, D) → mean and sigma, (n, n_targets) each, in target units."""
        ...


class TorchScorer:
    """:class:`Scorer` over an :class:`biomedfm.affinity.model.AffinityModel`."""

    def __init__(self, model: Any) -> None:
        self.model = model

    @property
    def target(self) -> str:
        return str(self.model.target)

    @property
    def domain(self) -> Any:
        """The model's applicability domain (None for a model saved without one)."""
        return self.model.domain

    @property
    def drug_featurizer_spec(self) -> dict[str, Any]:
        return dict(self.model.config.drug_featurizer)

    @property
    def kernel(self) -> Any:
        """A fine-tuned model's kernel regressor (None otherwise): see :func:`score_chunk`."""
        return self.model.kernel

    def encode_targets(self, sequences: list[str]) -> Any:
        self.target_sequences = list(sequences)
        return self.model.encode_proteins(self.model.featurize_proteins(sequences))

    def score(self, features: np.ndarray, targets: Any) -> tuple[np.ndarray, np.ndarray]:
        prediction = self.model.score_grid(self.model.encode_drugs(features), targets)
        return prediction.mean, prediction.sigma


@dataclass
class ChunkScores:
    """A scored chunk: scores of its valid molecules and the reasons for the invalid ones."""

    chunk: LibraryChunk
    valid: np.ndarray
    mean: np.ndarray
    sigma: np.ndarray
    errors: list[tuple[int, str]]


def score_chunk(
    scorer: Scorer, targets: Any, chunk: LibraryChunk, featurized: Featurized
) -> ChunkScores:
    """Score one featurized chunk against every target.

    A scorer with a kernel regressor (a fine-tuned model) averages it in for the targets it
    has one for, as :meth:`AffinityModel.predict` does, so a screen ranks by what predict
    says; the fingerprints are taken here, in this process, only for such a model.
    """
    if len(featurized.valid):
        mean, sigma = scorer.score(featurized.features, targets)
        mean = _with_kernel(scorer, chunk, featurized, mean)
    else:
        n_targets = int(targets.shape[1])
        mean = sigma = np.empty((0, n_targets))
    return ChunkScores(chunk, featurized.valid, mean, sigma, featurized.errors)


def _with_kernel(
    scorer: Scorer, chunk: LibraryChunk, featurized: Featurized, mean: np.ndarray
) -> np.ndarray:
    kernel = getattr(scorer, "kernel", None)
    sequences = getattr(scorer, "target_sequences", None)
    if kernel is None or not kernel.targets or not sequences:
        return mean
    fingerprints = [fingerprint(to_mol(chunk.smiles[int(i)])) for i in featurized.valid]
    mean = np.array(mean, dtype=np.float64)
    for column, sequence in enumerate(sequences):
        mean[:, column] = kernel.blend_column(mean[:, column], fingerprints, sequence)
    return mean
