"""The served models' embedding caches change speed, never predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    assert len(model.protein_cache) == 3
    assert model.protein_cache.keys() <= set(sequences)


def test_drug_cache_skips_parsing_and_keeps_predictions() -> None:
    from biomedfm.affinity.predict import predict_frame

    model = load_model("davis-lite")
    sequences = random_sequences(2, seed=3)
    frame = pd.DataFrame(
        {"smiles": [DRUGS[i % 6] for i in range(12)] + ["C1CC("], "sequence": sequences[0]}
    )
    plain = predict_frame(model, frame)
    model.cache_drugs(4)
    cached = predict_frame(model, frame)
    again = predict_frame(model, frame)
    np.testing.assert_allclose(cached.mean, plain.mean, rtol=1e-5, equal_nan=True)
    np.testing.assert_allclose(again.sigma, plain.sigma, rtol=1e-5, equal_nan=True)
    assert len(model.drug_cache) == 4
    assert again.errors.iloc[-1].startswith("invalid SMILES")  # bad input is never cached
