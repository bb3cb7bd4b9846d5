"""The screening path (score_grid) computes the same function as pairwise scoring."""

from __future__ import annotations

import numpy as np
import pytest

from biomedfm.affinity.io import load_model


@pytest.mark.parametrize("name", ["davis-lite", "davis"])
def test_score_grid_equals_pairwise_scores(name: str) -> None:
    model = load_model(name)
    rng = np.random.default_rng(0)
    drugs = model.encode_drugs(rng.random((23, model.config.net.drug_dim), dtype=np.float32))
    proteins = model.encode_proteins(
        rng.random((3, model.config.net.protein_dim), dtype=np.float32)
    )
    grid = model.score_grid(drugs, proteins, block=5)  # blocks that do not divide n
    pairs = model.score_embeddings(
        drugs, proteins, np.tile(np.arange(23), 3), np.repeat(np.arange(3), 23)
    )
    assert grid.mean.shape == (23, 3)
    np.testing.assert_allclose(grid.mean, pairs.mean.reshape(3, 23).T, atol=1e-4)
    np.testing.assert_allclose(grid.sigma, pairs.sigma.reshape(3, 23).T, atol=1e-4)
