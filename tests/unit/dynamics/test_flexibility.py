"""Learned flexibility: the table, the pocket hook, training, and the CLI contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from biomedfm.cli.main import app
from biomedfm.dynamics.flexibility import (
    FEATURE_NAMES,
    flexibility_features,
    load_flexibility_model,
    pocket_flexibility,
    predict_flexibility,
)
from biomedfm.dynamics.structure_io import read_structure
from biomedfm.errors import InputError
from tests.unit.dynamics.test_structure_io import atom

runner = CliRunner()


def globule_pdb(path: Path, n: int = 80, seed: int = 0) -> Path:
    """A compact self-avoiding C-alpha chain (3.8 Å bonds) whose B-factors grow outwards."""
    rng = np.random.default_rng(seed)
    ca = [np.zeros(3)]
    while len(ca) < n:
        here = ca[-1]
        for _ in range(200):
            step = rng.normal(size=3) - 0.08 * here  # drift back towards the centre
            candidate = here + 3.8 * step / np.linalg.norm(step)
            if min(np.linalg.norm(candidate - c) for c in ca[:-1] or [here + 10]) > 4.2:
                ca.append(candidate)
                break
        else:
            ca = ca[:-1] or [np.zeros(3)]  # dead end: step back
    xyz = np.asarray(ca) - np.mean(ca, axis=0)
    b = 5.0 + 3.0 * np.linalg.norm(xyz, axis=1)
    names = ["ALA", "GLY", "LEU", "SER", "LYS"]
    lines = [
        atom(i + 1, "CA", names[i % 5], "A", i + 1, tuple(xyz[i]), b=float(b[i])) for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\nEND\n")
    return path


def test_flexibility_table_and_shipped_model(tmp_path: Path) -> None:
    structure = read_structure(globule_pdb(tmp_path / "g.pdb"))
    features = flexibility_features(structure)
    assert features.shape == (80, len(FEATURE_NAMES))
    assert np.isfinite(features).all()
    model = load_flexibility_model()
    assert model.metadata["cv"]["mean_r"] > 0.6
    table = predict_flexibility(structure, model)
    assert list(table.columns) == [
        "chain",
        "resnum",
        "resname",
        "pred_flexibility",
        "pred_rmsf_angstrom",
    ]
    assert abs(table["pred_flexibility"].mean()) < 1e-3
    assert (table["pred_rmsf_angstrom"] > 0).all()
    # surface residues (high B here) are predicted more flexible than the core
    r = np.corrcoef(table["pred_flexibility"], structure.bfactors)[0, 1]
    assert r > 0.3


def test_pocket_flexibility_and_unknown_residues(tmp_path: Path) -> None:
    structure = read_structure(globule_pdb(tmp_path / "g.pdb"))
    result = pocket_flexibility(structure, ["A:1", "2", "A:3"])
    assert set(result["residues"]) == {"A:1", "A:2", "A:3"}
    assert 0 <= result["percentile"] <= 100
    with pytest.raises(InputError, match="not in"):
        pocket_flexibility(structure, ["B:999"])
    with pytest.raises(InputError, match="at least 5"):
        flexibility_features(read_structure(globule_pdb(tmp_path / "tiny.pdb", n=3)))


@pytest.mark.slow
def test_cli_flexibility_pocket_and_training(tmp_path: Path) -> None:
    pdb = globule_pdb(tmp_path / "g.pdb")
    out = tmp_path / "g.csv"
    result = runner.invoke(app, ["dynamics", "flexibility", "-i", str(pdb), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 80
    pocket = runner.invoke(app, ["dynamics", "pocket", "-i", str(pdb), "--residues", "A:5,A:6"])
    assert json.loads(pocket.stdout)["residues"]["A:5"] is not None
    bad = tmp_path / "bad.pdb"
    bad.write_text("nothing here\n")
    failed = runner.invoke(app, ["dynamics", "flexibility", "-i", str(bad), "-o", str(out)])
    assert failed.exit_code == 2
    assert "error" in failed.output
    folder = tmp_path / "train"
    folder.mkdir()
    for seed in range(6):
        globule_pdb(folder / f"p{seed}.pdb", n=60 + 5 * seed, seed=seed)
    trained = runner.invoke(
        app, ["dynamics", "train-flexibility", "-i", str(folder), "-o", str(tmp_path / "m")]
    )
    assert trained.exit_code == 0, trained.output
    report = json.loads(trained.stdout[trained.stdout.index("{") :])
    assert report["proteins"] == 6
    assert report["mean_r"] > 0.5  # surface-vs-core is learnable from packing
