"""The shipped affinity models: the 40 MB weight budget, and each lite beside its main."""

from __future__ import annotations

import numpy as np
import pytest

from biomedfm.affinity.io import load_model, shipped_models_dir

WEIGHT_BUDGET_BYTES = 40_000_000  # issue 2: "<= 40 MB in all"


def test_shipped_weights_fit_the_budget() -> None:
    files = sorted(shipped_models_dir().glob("*/model.safetensors"))
    assert {f.parent.name for f in files} >= {"davis", "davis-lite", "kiba", "kiba-lite"}
    assert sum(f.stat().st_size for f in files) <= WEIGHT_BUDGET_BYTES


@pytest.mark.parametrize("dataset", ["davis", "kiba"])
def test_lite_is_one_network_predicting_the_mains_target(dataset: str) -> None:
    main, lite = load_model(dataset), load_model(f"{dataset}-lite")
    assert lite.config.net.n_members == 1 < main.config.net.n_members
    assert lite.config.target == main.config.target


def test_sigma_parts_add_up_to_the_predicted_sigma() -> None:
    model = load_model("davis")
    smiles = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]
    sequences = ["MKKLLPTAAAGLLLLAAQPAMA" * 3] * 3
    aleatoric, disagreement = model.sigma_parts(smiles, sequences)
    sigma = model.predict(smiles, sequences).sigma
    assert aleatoric.shape == disagreement.shape == (3,)
    assert (disagreement > 0).all()  # five members never agree exactly
    np.testing.assert_allclose(np.hypot(aleatoric, disagreement), sigma, rtol=1e-4)
