"""Ensembles: plausible conformers, reproducible, more diverse than thermal noise; states; CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from biomedfm.cli.main import app
from biomedfm.dynamics.ensemble import (
    EnsembleConfig,
    anm_sampler,
    carry_backbone,
    check_conformer,
    generate_ensemble,
    rmsd,
)
from biomedfm.dynamics.states import cluster_states
from biomedfm.dynamics.structure_io import read_models, read_structure
from biomedfm.errors import InputError
from tests.unit.dynamics.test_flexibility import globule_pdb
from tests.unit.dynamics.test_structure_io import helix_pdb


def test_rmsd_ignores_rigid_motion() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(30, 3)) * 5
    rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    rotation *= np.sign(np.linalg.det(rotation))
    assert rmsd(a, a @ rotation.T + 7.0) == pytest.approx(0.0, abs=1e-6)
    assert rmsd(a, a + 1.0, superpose=False) == pytest.approx(np.sqrt(3.0))


def test_every_conformer_is_plausible_and_the_ensemble_is_reproducible(tmp_path: Path) -> None:
    structure = read_structure(globule_pdb(tmp_path / "g.pdb", n=90))
    config = EnsembleConfig(conformers=12, seed=3)
    members = generate_ensemble(structure, config)
    assert len(members) == 12
    for conformer in members:
        check = check_conformer(structure, conformer)
        assert check["min_nonbonded_ca"] >= 3.0
        assert check["max_bond_deviation"] <= 0.2
    again = generate_ensemble(structure, config)
    np.testing.assert_allclose(members[0], again[0])
    distances = [rmsd(c, structure.ca) for c in members]
    assert max(distances) > 1.5  # it travels, beyond thermal noise
    thermal = anm_sampler(structure, 12, scale=float(np.mean(distances)))
    pairwise = np.mean([rmsd(a, b) for a in members for b in members if a is not b])
    pairwise_thermal = np.mean([rmsd(a, b) for a in thermal for b in thermal if a is not b])
    assert pairwise > 0.5 * pairwise_thermal


def test_backbone_atoms_follow_and_small_inputs_are_refused(tmp_path: Path) -> None:
    structure = read_structure(helix_pdb(tmp_path / "h.pdb", n=14))
    carried = carry_backbone(structure, structure.ca + 0.5)  # a translation moves every atom
    np.testing.assert_allclose(carried["N"] - structure.backbone["N"], 0.5, atol=1e-9)
    rng = np.random.default_rng(2)
    rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    rotation *= np.sign(np.linalg.det(rotation))
    turned = carry_backbone(structure, structure.ca @ rotation.T)  # so does a rotation
    np.testing.assert_allclose(turned["O"], structure.backbone["O"] @ rotation.T, atol=1e-9)
    members = generate_ensemble(structure, EnsembleConfig(conformers=4, max_rmsd=2.0))
    for conformer in members:  # N-CA and CA-C bond lengths survive the deformation
        atoms = carry_backbone(structure, conformer)
        for name in ("N", "C"):
            lengths = np.linalg.norm(atoms[name] - atoms["CA"], axis=1)
            reference = np.linalg.norm(structure.backbone[name] - structure.ca, axis=1)
            np.testing.assert_allclose(lengths, reference, atol=1e-6)
    with pytest.raises(InputError, match="10 or more"):
        generate_ensemble(read_structure(helix_pdb(tmp_path / "s.pdb", n=6)))


def test_states_are_clusters_with_populations() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=(40, 3)) * 6
    open_ = base.copy()
    open_[:20] += 4.0
    members = [base + rng.normal(0, 0.1, base.shape) for _ in range(6)]
    members += [open_ + rng.normal(0, 0.1, base.shape) for _ in range(3)]
    found = cluster_states(members, 2)
    assert [s.population for s in found] == [
        pytest.approx(6 / 9, abs=1e-3),
        pytest.approx(3 / 9, abs=1e-3),
    ]
    assert set(found[1].members) == {6, 7, 8}
    with pytest.raises(InputError, match="cannot make"):
        cluster_states(members[:2], 3)


@pytest.mark.slow
def test_cli_ensemble_then_states(tmp_path: Path) -> None:
    pdb = globule_pdb(tmp_path / "g.pdb", n=60)
    out = tmp_path / "e.cif"
    runner = CliRunner()
    made = runner.invoke(
        app, ["dynamics", "ensemble", "-i", str(pdb), "-o", str(out), "--conformers", "8"]
    )
    assert made.exit_code == 0, made.output
    _, models = read_models(out)
    assert len(models) == 8
    clustered = runner.invoke(
        app, ["dynamics", "states", "-i", str(out), "--states", "3", "-o", str(tmp_path / "s.cif")]
    )
    assert clustered.exit_code == 0, clustered.output
    states = json.loads(clustered.stdout)
    assert len(states) == 3
    assert sum(s["members"] for s in states) == 8
    assert len(read_models(tmp_path / "s.cif")[1]) == 3
