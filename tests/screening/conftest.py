"""A small compound library and target panel the screening tests make themselves."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import random_sequences

GROUPS = ["O", "N", "Cl", "F", "Br", "C(=O)O", "C#N", "OC", "S", "C(F)(F)F", "NC(=O)C", "C(=O)N"]


def library_smiles(n_chains: int = 25) -> list[str]:
    """Distinct valid drug-like-ish molecules: alkyl chain × para substituent on benzene."""
    return [f"{'C' * i}c1ccc({g})cc1" for i in range(1, n_chains + 1) for g in GROUPS]


@pytest.fixture
def library_csv(tmp_path: Path) -> Path:
    """300 valid molecules plus two bad rows (an unparsable and an empty SMILES)."""
    smiles = library_smiles()
    frame = pd.DataFrame(
        {"smiles": smiles, "compound_id": [f"C{i:04d}" for i in range(len(smiles))]}
    )
    bad = pd.DataFrame({"smiles": ["C1CC(", ""], "compound_id": ["BAD_RING", "BAD_EMPTY"]})
    frame = pd.concat([frame.iloc[:40], bad, frame.iloc[40:]], ignore_index=True)
    path = tmp_path / "library.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def panel_fasta(tmp_path: Path) -> Path:
    path = tmp_path / "panel.fasta"
    path.write_text("".join(f">kin{i} desc\n{s}\n" for i, s in enumerate(random_sequences(3, 7))))
    return path
