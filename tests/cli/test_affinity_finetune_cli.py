"""`biomedfm affinity finetune` on a tiny assay made here, then `affinity predict` on its run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from biomedfm.affinity.demo import demo_pairs
from biomedfm.affinity.finetune import DEPLOYED_SIGMA_FACTOR
from biomedfm.cli.main import app

runner = CliRunner()
SEQUENCE = demo_pairs()["sequence"][0]


def _assay(path: Path, n: int = 30, bad: bool = False) -> Path:
    smiles = ["C" * k + "O" for k in range(1, n + 1)]
    values = [5.0 + 0.1 * k for k in range(1, n + 1)]
    if bad:
        smiles[3] = "C1CC("
    pd.DataFrame({"smiles": smiles, "pki": values}).to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_single_target_finetune_then_predict_without_a_sequence_column(tmp_path: Path) -> None:
    assay = _assay(tmp_path / "assay.csv", bad=True)
    run = tmp_path / "runs" / "lab"
    result = runner.invoke(
        app,
        [
            *("affinity", "finetune", "-i", str(assay), "-o", str(run), "--from", "davis-lite"),
            *("--target-column", "pki", "--target-sequence", SEQUENCE, "--epochs", "3"),
            "--lite",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "left out line 5" in result.output  # the bad SMILES, named; the rest used
    assert f"--model {run / 'lite'}" in result.output.replace("\n", "")
    student = json.loads((run / "lite" / "model" / "config.json").read_text())
    assert student["net"]["n_members"] == 1  # one network of the lite's shape
    assert student["drug_featurizer"]["name"] == "morgan"
    assert student["target_sequence"] == SEQUENCE
    assert student["training"]["distilled_from"] == str(run)
    config = json.loads((run / "model" / "config.json").read_text())
    assert config["target"] == "pki"
    assert config["target_sequence"] == SEQUENCE
    assert config["net"]["n_members"] == 5
    assert config["training"]["finetuned_from"] == "davis-lite"
    assert (run / "model" / "domain.npz").is_file()
    assert (run / "model" / "kernel.npz").is_file()  # the assay's SVR, averaged in
    assert config["training"]["kernel"]["targets"] == 1
    assert not (run / "lite" / "model" / "kernel.npz").exists()  # the student stays one net
    metrics = json.loads((run / "cv_metrics.json").read_text())
    oof = pd.read_csv(run / "oof.csv")
    assert oof["pred_kernel"].notna().all()  # 29 compounds: every fold keeps ≥ 20 to fit on
    blend = 0.5 * (oof["pred_ensemble"] + oof["pred_kernel"])
    assert abs(float(((oof["y"] - blend) ** 2).mean()) - metrics["oof"]["mse"]) < 1e-9
    assert metrics["ensemble_oof"]["mse"] != metrics["oof"]["mse"]
    # the out-of-fold scale is kept; the deployed one is narrower (the full ensemble errs less)
    assert config["training"]["sigma_scale_out_of_fold"] == pytest.approx(metrics["sigma_scale"])
    assert config["sigma_scale"] == pytest.approx(metrics["sigma_scale"] * DEPLOYED_SIGMA_FACTOR)
    queries = tmp_path / "queries.csv"
    pd.DataFrame({"smiles": ["CCCCO", "c1ccc2ccccc2c1"]}).to_csv(queries, index=False)
    out = tmp_path / "pred.csv"
    predicted = runner.invoke(
        app, ["affinity", "predict", "-i", str(queries), "-o", str(out), "--model", str(run)]
    )
    assert predicted.exit_code == 0, predicted.output
    frame = pd.read_csv(out)
    assert list(frame.columns[:3]) == ["smiles", "pred_pki", "unc_pki"]
    assert frame["in_domain"].tolist() == [True, False]  # naphthalene is no alcohol
    assert frame["unc_pki"][1] >= frame["unc_pki"][0]
    fast = tmp_path / "fast.csv"
    args = ["affinity", "predict", "-i", str(queries), "-o", str(fast)]
    predicted = runner.invoke(app, [*args, "--model", str(run / "lite")])
    assert predicted.exit_code == 0, predicted.output
    assert pd.read_csv(fast)["in_domain"].tolist() == [True, False]


@pytest.mark.slow
def test_scratch_and_a_multi_target_table(tmp_path: Path) -> None:
    assay = _assay(tmp_path / "assay.csv", n=50)
    frame = pd.read_csv(assay)
    frame["protein"] = [SEQUENCE, demo_pairs()["sequence"].iloc[-1]] * (len(frame) // 2)
    frame.to_csv(assay, index=False)
    result = runner.invoke(
        app,
        [
            *("affinity", "finetune", "-i", str(assay), "-o", str(tmp_path / "run")),
            *("--from", "scratch", "--target-column", "pki", "--sequence-column", "protein"),
            *("--epochs", "2"),
        ],
    )
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "run" / "model" / "config.json").read_text())
    assert config["target_sequence"] is None
    assert config["training"]["finetuned_from"] == "scratch"
    assert config["training"]["kernel"]["targets"] == 2  # 25 compounds each: one SVR per target
    oof = pd.read_csv(tmp_path / "run" / "oof.csv")
    assert oof["pred_kernel"].isna().sum() > 0  # a fold that leaves < 20 of a target: ensemble


def test_bad_options_are_named(tmp_path: Path) -> None:
    assay = _assay(tmp_path / "assay.csv")
    both = runner.invoke(
        app,
        [
            *("affinity", "finetune", "-i", str(assay), "-o", str(tmp_path / "r")),
            *("--target-column", "pki", "--target-sequence", SEQUENCE),
            *("--sequence-column", "protein"),
        ],
    )
    assert both.exit_code == 2
    assert "not both" in both.output
    small = runner.invoke(
        app,
        [
            *("affinity", "finetune", "-i", str(_assay(tmp_path / "s.csv", n=10))),
            *("-o", str(tmp_path / "r"), "--target-column", "pki"),
        ],
    )
    assert small.exit_code == 2
    assert "at least 20" in small.output
    column = runner.invoke(
        app, ["affinity", "finetune", "-i", str(assay), "-o", str(tmp_path / "r")]
    )
    assert column.exit_code == 2
    assert "'affinity'" in column.output


def test_replicates_are_averaged_and_conflicting_ones_left_out(tmp_path: Path) -> None:
    from biomedfm.affinity.finetune import read_assay

    path = _assay(tmp_path / "assay.csv", n=25)
    frame = pd.read_csv(path)
    extra = pd.DataFrame(
        {"smiles": ["OC", "C(O)CC", "OCCC"], "pki": [5.3, 9.0, 5.6]}
    )  # methanol, propanol twice, written otherwise
    pd.concat([frame, extra]).to_csv(path, index=False)
    assay = read_assay(path, "pki", target_sequence=SEQUENCE)
    assert len(assay.frame) == 24  # 25 + 3 rows, one merged, propanol's 3 left out
    assert "averaged into it" in assay.skipped[27]
    methanol = assay.frame.loc[assay.frame["smiles"] == "CO", "affinity"].item()
    assert methanol == pytest.approx((5.1 + 5.3) / 2)
    for line in (4, 28, 29):  # propanol: 5.3 on line 4, 9.0 and 5.6 below
        assert "more than 1 apart" in assay.skipped[line]
        assert "9 (line 28)" in assay.skipped[line]


def test_non_numeric_values_are_named(tmp_path: Path) -> None:
    path = _assay(tmp_path / "assay.csv")
    frame = pd.read_csv(path).astype({"pki": object})
    frame.loc[6, "pki"] = "n.d."
    frame.to_csv(path, index=False)
    result = runner.invoke(
        app,
        [
            "affinity",
            "finetune",
            "-i",
            str(path),
            "-o",
            str(tmp_path / "r"),
            "--target-column",
            "pki",
        ],
    )
    assert result.exit_code == 2
    assert "'pki' is not a number in row(s) 7" in " ".join(result.output.split())


@pytest.mark.slow
def test_a_rerun_resumes_the_finished_run(tmp_path: Path) -> None:
    assay = _assay(tmp_path / "assay.csv")
    command = [
        *("affinity", "finetune", "-i", str(assay), "-o", str(tmp_path / "run")),
        *("--from", "kiba-lite", "--target-column", "pki", "--epochs", "2"),
    ]
    first = runner.invoke(app, command)
    assert first.exit_code == 0, first.output
    weights = tmp_path / "run" / "model" / "model.safetensors"
    before = load_file(weights)
    again = runner.invoke(app, command)
    assert again.exit_code == 0, again.output
    after = load_file(weights)  # the same run, resumed: the same weights (fp16 rounding)
    for name, tensor in before.items():
        torch.testing.assert_close(after[name].float(), tensor.float(), atol=2e-3, rtol=1e-3)
    other = runner.invoke(app, [*command[:-2], "--epochs", "3"])
    assert other.exit_code == 2
    assert "--override" in other.output
