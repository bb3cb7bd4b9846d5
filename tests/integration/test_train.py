"""Short real trainings (2 epochs, ~200 pairs) through the library."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from biomedfm.affinity.distill import member_unlabelled, read_transfer, transfer_pairs
from biomedfm.affinity.io import load_model
from biomedfm.affinity.nn import AffinityNet
from biomedfm.affinity.predict import evaluate_frame, predict_frame
from biomedfm.affinity.presets import TrainConfig, resolve_config
from biomedfm.affinity.train import (
    EnsembleFitter,
    calibrate,
    featurize_frame,
    fixed_split_fitter,
    pairwise_rank_loss,
    run_training,
)
from biomedfm.errors import InputError, TrainingError
from tests.conftest import DRUGS, SMALL_NET, random_sequences


def _config(preset: str = "main", **overrides: object) -> TrainConfig:
    return resolve_config(preset, SMALL_NET, **{"epochs": 2, "target": "pkd", **overrides})


def test_train_writes_a_loadable_model(tmp_path: Path, pairs: pd.DataFrame) -> None:
    result = run_training(pairs, _config(), tmp_path / "run")
    for name in (
        "config.json",
        "oof.csv",
        "cv_metrics.json",
        "model/config.json",
        "model/model.safetensors",
    ):
        assert (tmp_path / "run" / name).is_file(), name
    metrics = json.loads((tmp_path / "run" / "cv_metrics.json").read_text())
    assert len(metrics["per_fold"]) == 5
    assert metrics["summary"]["mse"]["mean"] > 0
    assert 0.5 < metrics["coverage90_mean"] < 1.0
    model = load_model(result.model_dir)
    assert model.config.net.n_members == 5
    assert model.target == "pkd"
    prediction = model.predict(pairs["smiles"].tolist()[:7], pairs["sequence"].tolist()[:7])
    assert prediction.mean.shape == (7,)
    assert (prediction.sigma > 0).all()
    assert model.config.training["data_digest"]
    assert model.config.sigma_scale > 0


def test_training_learns_the_signal(tmp_path: Path, pairs: pd.DataFrame) -> None:
    config = resolve_config("lite", SMALL_NET, epochs=60, target="pkd", lr=5e-3, refit=False)
    result = run_training(pairs, config, tmp_path / "run")
    baseline = float(np.var(pairs["affinity"]))
    assert result.cv_metrics["summary"]["mse"]["mean"] < 0.6 * baseline


def test_pairwise_rank_loss_by_hand() -> None:
    # one member, batch of 3: pairs (0,2), (1,0), (2,1) after the roll
    mean = torch.tensor([[1.0, 0.0, 3.0]])
    target = torch.tensor([[2.0, 2.0, 5.0]])
    # (0 vs 2): target 2 < 5, prediction 1 < 3: softplus(-2); (1 vs 0): tied target, left out;
    # (2 vs 1): target 5 > 2, prediction 3 > 0: softplus(-3)
    expected = (np.log1p(np.exp(-2.0)) + np.log1p(np.exp(-3.0))) / 2
    assert pairwise_rank_loss(mean, target).item() == pytest.approx(expected, rel=1e-6)
    swapped = pairwise_rank_loss(-mean, target).item()  # wrong order costs more
    assert swapped == pytest.approx((np.log1p(np.exp(2.0)) + np.log1p(np.exp(3.0))) / 2)
    assert pairwise_rank_loss(mean, torch.full((1, 3), 4.0)).item() == 0.0  # all tied


def test_rank_weight_trains_and_keeps_older_digests(tmp_path: Path, pairs: pd.DataFrame) -> None:
    plain = _config()
    # a config written before the later keys existed hashes as it did then
    before = plain.model_dump(
        exclude={
            *("device", "distill_unlabelled", "distill_transfer", "rank_weight"),
            *("init_from", "early_stopping"),
        }
    )
    digest = hashlib.sha256(json.dumps(before, sort_keys=True).encode()).hexdigest()[:16]
    assert plain.digest() == digest
    assert plain.digest() != _config(rank_weight=0.3).digest()
    config = resolve_config(
        "lite", SMALL_NET, epochs=60, target="pkd", lr=5e-3, refit=False, rank_weight=0.3
    )
    result = run_training(pairs, config, tmp_path / "run")
    summary = result.cv_metrics["summary"]
    assert summary["mse"]["mean"] < 0.6 * float(np.var(pairs["affinity"]))
    assert summary["ci"]["mean"] > 0.6
    assert load_model(result.model_dir).config.training["rank_weight"] == 0.3


class Interrupted(Exception):
    pass


def test_resume_after_interrupt_gives_the_same_weights(
    tmp_path: Path, pairs: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("biomedfm.affinity.train.CHECKPOINT_EVERY_S", 0.0)
    config = _config(epochs=3)
    run_training(pairs, config, tmp_path / "once")

    def stop_in_refit(stage: str, epoch: int, total: int, info: dict[str, float]) -> None:
        if stage == "refit" and epoch == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_training(pairs, config, tmp_path / "twice", progress=stop_in_refit)
    assert not (tmp_path / "twice" / "model").exists()
    epochs_seen: list[tuple[str, int]] = []
    run_training(
        pairs,
        config,
        tmp_path / "twice",
        progress=lambda stage, epoch, total, info: epochs_seen.append((stage, epoch)),
    )
    assert epochs_seen == [("refit", 3)]  # CV and two refit epochs came from the checkpoints
    smiles, sequences = pairs["smiles"].tolist(), pairs["sequence"].tolist()
    a = load_model(tmp_path / "once").predict(smiles, sequences)
    b = load_model(tmp_path / "twice").predict(smiles, sequences)
    assert np.allclose(a.mean, b.mean, atol=1e-3)
    assert np.allclose(a.sigma, b.sigma, atol=1e-3)


def test_rerun_with_other_settings_needs_override(tmp_path: Path, pairs: pd.DataFrame) -> None:
    run_training(pairs, _config(refit=False), tmp_path / "run")
    with pytest.raises(InputError, match="--override"):
        run_training(pairs, _config(refit=False, lr=1e-4), tmp_path / "run")
    run_training(pairs, _config(refit=False, lr=1e-4), tmp_path / "run", override=True)


def test_lite_distils_from_main(tmp_path: Path, pairs: pd.DataFrame) -> None:
    run_training(pairs, _config(), tmp_path / "main")
    lite = run_training(pairs, _config("lite", teacher=str(tmp_path / "main")), tmp_path / "lite")
    model = load_model(lite.model_dir)
    assert model.config.net.n_members == 1
    assert model.config.training["teacher"] == str(tmp_path / "main")
    with pytest.raises(InputError, match="same folds"):
        run_training(
            pairs,
            _config("lite", teacher=str(tmp_path / "main"), split="random"),
            tmp_path / "lite-random",
        )


def test_predict_frame_keeps_going_past_bad_rows(tmp_path: Path, pairs: pd.DataFrame) -> None:
    run_training(pairs, _config(refit=False), tmp_path / "run")
    model = load_model(tmp_path / "run")
    frame = pairs.head(4).copy()
    frame.loc[1, "smiles"] = "C1CC("
    frame.loc[2, "sequence"] = "MKT*AYIAKQR"
    result = predict_frame(model, frame)
    assert result.n_invalid == 2
    assert np.isfinite(result.mean[[0, 3]]).all()
    assert np.isnan(result.mean[[1, 2]]).all()
    assert "invalid SMILES" in result.errors[1]
    assert "'*'" in result.errors[2]
    report = evaluate_frame(model, frame)
    assert report["n"] == 2
    assert report["n_invalid"] == 2


def test_calibration_is_cross_fitted() -> None:
    rng = np.random.default_rng(0)
    sigma = rng.uniform(0.5, 2.0, 4000)
    oof = pd.DataFrame(
        {
            "fold": np.arange(4000) % 4,
            "y": rng.normal(0, sigma),
            "pred": 0.0,
            "sigma_raw": sigma / 3,
        }
    )
    scale, coverage = calibrate(oof)
    assert scale == pytest.approx(3.0, rel=0.1)
    assert all(0.87 < value < 0.93 for value in coverage.values())


def _fitter(pairs: pd.DataFrame, tmp_path: Path) -> EnsembleFitter:
    config = resolve_config(
        "main", [*SMALL_NET, "net.n_members=2"], epochs=2, target="pkd", grad_clip=1.0
    )
    rows = np.arange(len(pairs))
    fitter, _ = fixed_split_fitter(
        featurize_frame(pairs, config), config, rows, np.empty(0, dtype=np.int64), tmp_path
    )
    return fitter


def _member_grad_norms(fitter: EnsembleFitter) -> np.ndarray:
    return np.sqrt(
        sum(p.grad.pow(2).flatten(1).sum(1).numpy() for p in fitter.net.parameters())  # type: ignore[union-attr]
    )


def test_a_gradient_spike_is_clipped_for_its_member_only(
    tmp_path: Path, pairs: pd.DataFrame
) -> None:
    fitter = _fitter(pairs, tmp_path)
    for param in fitter.net.parameters():
        param.grad = torch.ones_like(param) * 1e-4
        param.grad[0] *= 1e6  # member 0 spikes, member 1 is quiet
    before = _member_grad_norms(fitter)
    fitter._clip_member_gradients(1.0)
    after = _member_grad_norms(fitter)
    assert after[0] == pytest.approx(1.0, rel=1e-4)
    assert after[1] == pytest.approx(before[1], rel=1e-6)
    assert before[1] < 1.0


def test_a_collapsed_member_fails_the_run_with_a_clear_message(
    tmp_path: Path, pairs: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    healthy = _fitter(pairs, tmp_path / "healthy")
    healthy.fit()  # two epochs: an almost untrained net, whose spread is ~0.001 too
    assert healthy.collapsed_members() == []
    with torch.no_grad():
        healthy.net.output.bias[0] = float("nan")
    assert healthy.collapsed_members() == [0]
    original_fit = EnsembleFitter.fit

    def fit_then_collapse(self: EnsembleFitter, *args: object, **kwargs: object) -> None:
        original_fit(self, *args, **kwargs)  # type: ignore[arg-type]
        with torch.no_grad():
            self.net.output.weight[1] = 0.0  # member 1 now outputs its bias: a constant

    monkeypatch.setattr(EnsembleFitter, "fit", fit_then_collapse)
    with pytest.raises(TrainingError, match=r"cv stage: member\(s\) 1 collapsed.*--set seed=1"):
        run_training(pairs, _config(), tmp_path / "run")


def test_scoring_from_cached_encodings_equals_per_pair_forward(
    tmp_path: Path, pairs: pd.DataFrame
) -> None:
    """Validation encodes each molecule once per member; it must give the per-pair numbers."""
    config = resolve_config("main", [*SMALL_NET, "net.n_members=3"], epochs=1, target="pkd")
    features = featurize_frame(pairs, config)
    rows = np.arange(len(pairs))
    folds = [rows[:60], rows[60:150], rows[150:155]]  # unequal sizes, as in cold splits
    labels = (features.y - features.y.mean()) / features.y.std()
    torch.manual_seed(0)
    fitter = EnsembleFitter(
        AffinityNet(features.sized(config.net)),
        features,
        np.repeat(labels[None], 3, axis=0),
        labels,
        [np.setdiff1d(rows, fold) for fold in folds],
        folds,
        config,
        tmp_path,
    )
    fitter.net.eval()
    validation = fitter.validation_mse()
    fold_outputs = fitter.validation_outputs()
    with torch.no_grad():
        for member, fold in enumerate(folds):
            index = torch.as_tensor(fold)
            mean, log_var = fitter.net(
                fitter.drug_x[fitter.drug_index[index]],
                fitter.protein_x[fitter.protein_index[index]],
            )
            expected = float(((mean[member].numpy() - labels[fold]) ** 2).mean())
            assert validation[f"val_mse_{member}"] == pytest.approx(expected, rel=1e-5)
            for got_mean, got_log_var in (
                fitter.member_outputs(member, fold),
                fold_outputs[member],
            ):
                np.testing.assert_allclose(got_mean, mean[member].numpy(), rtol=1e-5, atol=1e-6)
                np.testing.assert_allclose(
                    got_log_var, log_var[member].numpy(), rtol=1e-5, atol=1e-6
                )
    assert fitter.member_outputs(0, np.empty(0, dtype=np.int64))[0].shape == (0,)


def test_transfer_pairs_pair_new_entities_with_the_tables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # table: drugs 0-1, proteins 0-1; transfer: drug 2, protein 2
    drugs, proteins = transfer_pairs(2, 2, 1, 1, seed=0)
    pairs = sorted(zip(drugs.tolist(), proteins.tolist(), strict=True))
    assert pairs == [(0, 2), (1, 2), (2, 0), (2, 1)]  # never table x table, never new x new
    monkeypatch.setattr("biomedfm.affinity.distill.MAX_UNLABELLED", 3)
    drugs, proteins = transfer_pairs(2, 2, 1, 1, seed=0)
    assert len(drugs) == 3
    assert set(zip(drugs.tolist(), proteins.tolist(), strict=True)) <= set(pairs)


def test_transfer_set_drops_the_tables_own_entities_and_names_bad_rows(tmp_path: Path) -> None:
    sequence = random_sequences(1, seed=3)[0]
    mutant = sequence[:30] + ("A" if sequence[30] != "A" else "G") + sequence[31:]
    other = random_sequences(1, seed=4)[0]
    path = tmp_path / "transfer.csv"
    pd.DataFrame(
        {
            "smiles": ["OCC", "C[C@H](N)C(=O)O", "c1ccncc1", "", ""],
            "sequence": ["", "", sequence.lower(), mutant, other],
        }
    ).to_csv(path, index=False)
    smiles, sequences = read_transfer(path, ["CCO", "CC(N)C(=O)O"], [sequence])
    # ethanol written another way and a stereoisomer of the table's alanine go; so do the
    # table protein and its point mutant (near-identical features)
    assert smiles == ["c1ccncc1"]
    assert sequences == [other]
    pd.DataFrame({"smiles": ["CCO", "C1CC"]}).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"row 3.*invalid SMILES"):
        read_transfer(path, [], [])
    pd.DataFrame({"name": ["x"]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="'smiles' and/or a 'sequence' column"):
        read_transfer(path, [], [])


def test_a_member_meets_only_its_own_training_entities_unlabelled() -> None:
    # pairs 0-3 are labelled (drugs 0-2, proteins 0-1); rows 4-7 are unlabelled, with transfer
    # drug 3 and transfer protein 2
    drug_index = np.array([0, 1, 2, 2, 0, 2, 3, 3])
    protein_index = np.array([0, 1, 0, 1, 2, 2, 0, 1])
    unlabelled = np.array([4, 5, 6, 7])
    pools = member_unlabelled(
        drug_index, protein_index, unlabelled, [np.array([0, 1]), np.array([2])]
    )
    assert pools[0].tolist() == [4, 6, 7]  # drug 2 is held out from member 0
    assert pools[1].tolist() == [5, 6]  # member 1 trains on drug 2 and protein 0 only


def test_lite_distils_on_transfer_pairs_too(
    tmp_path: Path, pairs: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = pairs[pairs["smiles"].isin(DRUGS[:16])].reset_index(drop=True)
    transfer = tmp_path / "transfer.csv"
    sequences = random_sequences(3, seed=7)
    pd.DataFrame(
        {"smiles": [*DRUGS[16:20], "", "", ""], "sequence": ["", "", "", "", *sequences]}
    ).to_csv(transfer, index=False)
    run_training(table, _config(), tmp_path / "main")
    seen: list[tuple[list[int], list[int], int]] = []
    batches = EnsembleFitter._batches

    def record(self: EnsembleFitter, epoch: int) -> torch.Tensor:
        rows = batches(self, epoch)
        sizes = [len(train) for train in self.member_train]
        seen.append((list(self.unlabelled_draws), sizes, int((rows >= len(table)).sum())))
        return rows

    monkeypatch.setattr(EnsembleFitter, "_batches", record)
    config = _config(
        "lite",
        teacher=str(tmp_path / "main"),
        distill_unlabelled=0.5,
        distill_transfer=str(transfer),
    )
    result = run_training(table, config, tmp_path / "lite")
    # 2 CV epochs, then 2 refit epochs. The refit member trains on all 160 labelled pairs and
    # draws 80 of the 16 x 3 + 4 x 10 = 88 transfer pairs each epoch.
    assert len(seen) == 4
    assert seen[-1][0] == [80]
    cv_draws, cv_sizes, _ = seen[0]
    assert all(0 < d <= n / 2 + 1 for d, n in zip(cv_draws, cv_sizes, strict=True))
    assert all(count >= sum(draws) for draws, _, count in seen)
    assert np.isfinite(result.cv_metrics["summary"]["mse"]["mean"])
    model = load_model(result.model_dir)
    assert model.config.training["distill_transfer"] == str(transfer)
    prediction = model.predict(table["smiles"][:5].tolist(), table["sequence"][:5].tolist())
    assert np.isfinite(prediction.mean).all()
    with pytest.raises(ValueError, match="needs a teacher and a transfer set"):
        _config("lite", teacher=str(tmp_path / "main"), distill_unlabelled=1.0)
    pd.DataFrame({"smiles": DRUGS[:3]}).to_csv(transfer, index=False)  # the table's own
    with pytest.raises(InputError, match="makes no transfer pairs"):
        run_training(table, config, tmp_path / "lite-none")
