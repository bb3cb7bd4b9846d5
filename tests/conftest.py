"""Shared fixtures: a small synthetic pair table the tests make themselves (no shared data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from biomedfm.chem.sequences import STANDARD_AMINO_ACIDS

DRUGS = [
    "CCO",
    "CC(=O)Oc1ccccc1C(=O)O",
    "c1ccccc1",
    "CCN(CC)CC",
    "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "c1ccc2ccccc2c1",
    "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
    "OC(=O)CCc1ccccc1",
    "Clc1ccc(Cl)cc1",
    "CC1=CC=CC=C1N",
    "COc1ccc(cc1)C=O",
    "C1CCCCC1O",
    "NC(=O)c1cccnc1",
    "CC(C)(C)OC(=O)N",
    "Oc1ccc(cc1)O",
    "C1=CC=C(C=C1)C2=CC=CC=C2",
    "CCCCCCCCO",
    "O=C1CCCN1",
    "CS(=O)C",
    "Fc1ccc(cc1)C(=O)O",
]


def random_sequences(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    letters = np.array(list(STANDARD_AMINO_ACIDS))
    return ["".join(rng.choice(letters, size=int(rng.integers(60, 120)))) for _ in range(n)]


def make_pairs(n_drugs: int = 20, n_proteins: int = 10, seed: int = 0) -> pd.DataFrame:
    """All drug × protein pairs with a learnable synthetic affinity and a fold column."""
    rng = np.random.default_rng(seed)
    proteins = random_sequences(n_proteins, seed)
    drug_effect = rng.normal(0, 1, n_drugs)
    protein_effect = rng.normal(0, 1, n_proteins)
    rows = []
    for i, smiles in enumerate(DRUGS[:n_drugs]):
        for j, sequence in enumerate(proteins):
            affinity = (
                6 + drug_effect[i] + protein_effect[j] + 0.5 * drug_effect[i] * protein_effect[j]
            )
            rows.append(
                {
                    "drug_id": f"d{i}",
                    "protein_id": f"p{j}",
                    "smiles": smiles,
                    "sequence": sequence,
                    "affinity": affinity + rng.normal(0, 0.1),
                }
            )
    frame = pd.DataFrame(rows)
    frame["fold"] = rng.permutation(len(frame)) % 5
    return frame


@pytest.fixture
def pairs() -> pd.DataFrame:
    return make_pairs()


@pytest.fixture
def pairs_csv(tmp_path: Path, pairs: pd.DataFrame) -> Path:
    path = tmp_path / "pairs.csv"
    pairs.to_csv(path, index=False)
    return path


SMALL_NET = [
    "net.tower_hidden=32",
    "net.embed_dim=16",
    "net.head_hidden=[32]",
    "batch_size=64",
]
"""--set overrides that keep test trainings to a second or two."""
