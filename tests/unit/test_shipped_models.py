"""The shipped affinity models: the 40 MB weight budget, and each lite beside its main."""

from __future__ import annotations

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
