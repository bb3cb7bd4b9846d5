"""The affinity CLI contracts: column names, error handling, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from biomedfm.affinity.demo import demo_pairs
from biomedfm.cli.main import app
from tests.conftest import SMALL_NET

DOMAIN_COLUMNS = (
    "in_domain",
    "nearest_compound_similarity",
    "nearest_target_identity",
    "kinase_score",
)

runner = CliRunner()


def run_predict(table: Path, out: Path, model: str, *extra: str) -> Result:
    """`biomedfm affinity predict -i table -o out --model model [extra]`."""
    args = ["affinity", "predict", "-i", str(table), "-o", str(out), "--model", model]
    return runner.invoke(app, [*args, *extra])


@pytest.fixture
def demo_csv(tmp_path: Path) -> Path:
    path = tmp_path / "demo.csv"
    demo_pairs().to_csv(path, index=False)
    return path


def test_predict_with_shipped_lite_model(tmp_path: Path, demo_csv: Path) -> None:
    out = tmp_path / "pred.csv"
    result = run_predict(demo_csv, out, "davis-lite")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame.columns) == [
        *("drug", "protein", "smiles", "sequence", "pred_pkd", "unc_pkd"),
        *DOMAIN_COLUMNS,
    ]
    assert frame["pred_pkd"].between(3, 12).all()
    assert (frame["unc_pkd"] > 0).all()
    # gefitinib and erlotinib are EGFR inhibitors: they must score higher on EGFR than on SRC
    by_pair = frame.set_index(["drug", "protein"])["pred_pkd"]
    for drug in ("erlotinib", "gefitinib"):
        assert by_pair[(drug, "EGFR")] > by_pair[(drug, "SRC")] + 1.0


def test_predict_keeps_custom_columns_and_reports_bad_rows(tmp_path: Path) -> None:
    sequence = demo_pairs()["sequence"][0]
    table = tmp_path / "mine.csv"
    pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "mol": ["CCO", "C1CC(", "c1ccccc1O", "CCN", "CCC"],
            "prot": [sequence, sequence, "MKTAYIAKQRJJ", "A" * 6000, "MKT"],
        }
    ).to_csv(table, index=False)
    out = tmp_path / "pred.csv"
    result = run_predict(
        table, out, "davis-lite", "--smiles-column", "mol", "--sequence-column", "prot"
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, keep_default_na=False)
    assert list(frame.columns) == [
        "id",
        "mol",
        "prot",
        "pred_pkd",
        "unc_pkd",
        *DOMAIN_COLUMNS,
        "error",
    ]
    assert frame.loc[0, "error"] == ""
    assert frame.loc[0, "pred_pkd"] != ""
    assert "invalid SMILES" in frame.loc[1, "error"]
    assert "non-amino-acid letters 'J'" in frame.loc[2, "error"]
    assert "more than the 5000 limit" in frame.loc[3, "error"]
    assert "fewer than 10" in frame.loc[4, "error"]
    assert "4 invalid row(s)" in result.output
    assert "row 2:" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("smiles,protein\nCCO,MKTAYIAKQR\n", "lacks column(s) 'sequence'"),
        ("smiles,sequence\n", "no rows"),
    ],
)
def test_predict_rejects_unusable_files(tmp_path: Path, content: str, message: str) -> None:
    table = tmp_path / "bad.csv"
    table.write_text(content)
    result = run_predict(table, tmp_path / "o.csv", "davis-lite")
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_unknown_model_lists_the_shipped_ones(tmp_path: Path, demo_csv: Path) -> None:
    result = run_predict(demo_csv, tmp_path / "o.csv", "nope")
    assert result.exit_code == 2
    assert "davis-lite" in result.output
    assert "kiba" in result.output


def test_train_then_evaluate_via_cli(tmp_path: Path, pairs_csv: Path) -> None:
    run = tmp_path / "run"
    args = [
        "affinity",
        "train",
        "-i",
        str(pairs_csv),
        "-o",
        str(run),
        "--preset",
        "lite",
        "--epochs",
        "2",
    ]
    for item in SMALL_NET:
        args += ["--set", item]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "CV (given, 5 folds)" in " ".join(result.output.split())
    saved = json.loads((run / "config.json").read_text())
    assert saved["config"]["net"]["tower_hidden"] == 32
    assert saved["digest"]
    result = runner.invoke(
        app, ["affinity", "evaluate", "-i", str(pairs_csv), "--model", str(run), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["n"] == 200
    assert {"mse", "ci", "rm2", "pearson", "spearman"} <= set(report)


def test_train_rejects_non_numeric_labels(tmp_path: Path, pairs: pd.DataFrame) -> None:
    pairs = pairs.astype({"affinity": object})
    pairs.loc[3, "affinity"] = "n/a"
    table = tmp_path / "bad.csv"
    pairs.to_csv(table, index=False)
    result = runner.invoke(
        app, ["affinity", "train", "-i", str(table), "-o", str(tmp_path / "run")]
    )
    assert result.exit_code == 2
    assert "not a number in row(s) 4" in " ".join(result.output.split())


def test_models_and_demo_commands() -> None:
    result = runner.invoke(app, ["affinity", "models"])
    assert result.exit_code == 0
    assert "kiba-lite" in result.output
    result = runner.invoke(app, ["affinity", "demo"])
    assert result.exit_code == 0
    assert "imatinib" in result.output


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--split", "nope"], "split: unknown split 'nope'"),
        (["--set", "net.dropout=2"], "net.dropout: Input should be less than 1"),
        (["--set", "epochs"], "write key=value"),
    ],
)
def test_train_rejects_bad_settings(
    tmp_path: Path, pairs_csv: Path, option: list[str], message: str
) -> None:
    result = runner.invoke(
        app, ["affinity", "train", "-i", str(pairs_csv), "-o", str(tmp_path / "r"), *option]
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="a GPU is present")
def test_cuda_without_gpu_is_a_clear_error(tmp_path: Path, demo_csv: Path) -> None:
    result = run_predict(demo_csv, tmp_path / "o.csv", "davis-lite", "--device", "cuda")
    assert result.exit_code == 2
    assert "no CUDA GPU is available" in " ".join(result.output.split())
