"""The served models' protein-embedding cache changes speed, never predictions."""

from __future__ import annotations

import numpy as np

from biomedfm.affinity.io import load_model
from tests.conftest import DRUGS, random_sequences


def test_cached_and_uncached_predictions_match_and_the_cache_is_bounded() -> None:
    model = load_model("davis-lite")
    sequences = random_sequences(4, seed=11)
    smiles = [DRUGS[i % 5] for i in range(20)]
    targets = [sequences[i % 4] for i in range(20)]
    plain = model.predict(smiles, targets)
    model.cache_proteins(3)
    first = model.predict(smiles, targets)
    again = model.predict(smiles, targets)
    np.testing.assert_allclose(first.mean, plain.mean, rtol=1e-5)
    np.testing.assert_allclose(again.sigma, plain.sigma, rtol=1e-5)
    assert len(model._protein_cache) == 3
    assert set(model._protein_cache) <= set(sequences)
