"""The pretrained drug encoder: descriptors, pretraining, safetensors save/load, warm start."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from biomedfm.affinity.encoder import (
    DESCRIPTOR_NAMES,
    EncoderConfig,
    compute_descriptors,
    featurize,
    is_encoder,
    load_encoder,
    pretrain,
    save_encoder,
    standardise,
)
from biomedfm.affinity.io import read_model_config
from biomedfm.affinity.nn import AffinityNet
from biomedfm.affinity.train import warm_start
from biomedfm.errors import InputError

SMILES = (
    ["C" * k + "O" for k in range(1, 21)]
    + ["c1ccccc1" + "C" * k for k in range(1, 21)]
    + ["CC(=O)Oc1ccccc1C(=O)O", "not a smiles"]
)


def _encoder(tmp_path: Path, epochs: int = 3) -> tuple[Path, EncoderConfig]:
    descriptors = compute_descriptors(SMILES, n_jobs=1, chunk=16)
    targets, mean, std = standardise(descriptors)
    config = EncoderConfig(
        version="test", descriptor_mean=mean.tolist(), descriptor_std=std.tolist()
    )
    result = pretrain(
        featurize(SMILES, config),
        targets,
        config,
        epochs=epochs,
        batch_size=8,
        lr=3e-3,
        val_fraction=0.2,
        log=lambda _: None,
    )
    save_encoder(result.net, config, tmp_path / "encoder")
    return tmp_path / "encoder", config


def test_descriptors_are_computed_in_parallel_and_invalid_smiles_stay_nan() -> None:
    serial = compute_descriptors([*SMILES[:6], "not a smiles"], n_jobs=1)
    parallel = compute_descriptors([*SMILES[:6], "not a smiles"], n_jobs=2, chunk=3)
    assert serial.shape == (7, len(DESCRIPTOR_NAMES))
    np.testing.assert_allclose(serial, parallel, equal_nan=True)
    assert np.isnan(serial[-1]).all()
    weight = DESCRIPTOR_NAMES.index("MolWt")
    assert serial[0, weight] == pytest.approx(32.04, abs=0.01)  # methanol


def test_pretraining_learns_descriptors_and_saves_without_pickle(tmp_path: Path) -> None:
    folder, config = _encoder(tmp_path, epochs=30)
    assert is_encoder(folder)
    assert not is_encoder(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["encoder.json", "encoder.safetensors"]
    loaded_config, tensors = load_encoder(folder)
    assert loaded_config == config
    assert all(name.startswith("drug_tower.") for name in tensors)
    assert json.loads((folder / "encoder.json").read_text())["drug_dim"] == 1191
    with pytest.raises(InputError, match="not a pretrained encoder"):
        load_encoder(tmp_path)


def test_pretraining_beats_predicting_the_mean(tmp_path: Path) -> None:
    descriptors = compute_descriptors(SMILES, n_jobs=1)
    targets, mean, std = standardise(descriptors)
    config = EncoderConfig(version="t", descriptor_mean=mean.tolist(), descriptor_std=std.tolist())
    result = pretrain(
        featurize(SMILES, config),
        targets,
        config,
        epochs=40,
        batch_size=8,
        lr=3e-3,
        val_fraction=0.2,
        log=lambda _: None,
    )
    first, best = result.history[0]["train"], min(h["train"] for h in result.history)
    assert best < 0.5 * first  # it learns the descriptors it is shown


def test_warm_start_sets_the_drug_tower_alone(tmp_path: Path) -> None:
    folder, _ = _encoder(tmp_path)
    kiba = read_model_config("kiba").net.model_copy(update={"n_members": 3})
    net = AffinityNet(kiba)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    warm_start(net, str(folder))
    after = net.state_dict()
    tensors = load_encoder(folder)[1]
    for name, tensor in after.items():
        if name in tensors:
            for member in range(3):  # every member from the same pretrained tower
                torch.testing.assert_close(tensor[member], tensors[name][0])
        else:
            torch.testing.assert_close(tensor, before[name])  # the rest stays random
