"""Distillation: a trained main model's predictions as the lite's targets.

Beyond the labelled pairs, the teacher can also label the *unmeasured* drug × protein
combinations of the same table (``distill_unlabelled``): KIBA measures about a quarter of its
2,068 × 229 matrix. A one-member student that learns the ensemble's predictions over the whole
matrix sees four times as many targets, each one the ensemble's smoother guess, which is the
classic route of distillation with transfer data. No label leaks: in CV, student member k
learns from teacher CV member k (which never saw fold k's labels), on combinations of the drugs
and proteins of its own training pairs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from biomedfm.affinity.io import load_model
from biomedfm.affinity.presets import TrainConfig
from biomedfm.errors import InputError

MAX_UNLABELLED = 2_000_000
"""Most unlabelled combinations kept (drawn at random on a larger matrix): bounds memory."""


def unlabelled_pairs(
    drug_index: np.ndarray, protein_index: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Drug and protein rows of the combinations that no labelled pair measures.

    Args:
        drug_index, protein_index: (n,) each labelled pair's distinct drug and protein row.

    Returns:
        (drug rows, protein rows), every unmeasured combination of the distinct drugs and
        proteins, or ``MAX_UNLABELLED`` of them drawn at random when the matrix is larger.
    """
    n_drugs = int(drug_index.max()) + 1 if len(drug_index) else 0
    n_proteins = int(protein_index.max()) + 1 if len(protein_index) else 0
    grid = n_drugs * n_proteins
    rng = np.random.default_rng(seed)
    if grid <= 4 * MAX_UNLABELLED:
        keys = np.arange(grid, dtype=np.int64)
    else:
        keys = np.unique(rng.integers(0, grid, size=2 * MAX_UNLABELLED, dtype=np.int64))
    measured = drug_index.astype(np.int64) * n_proteins + protein_index
    keys = keys[~np.isin(keys, measured)]
    if len(keys) > MAX_UNLABELLED:
        keys = np.sort(rng.choice(keys, size=MAX_UNLABELLED, replace=False))
    return keys // max(n_proteins, 1), keys % max(n_proteins, 1)


def member_unlabelled(
    drug_index: np.ndarray,
    protein_index: np.ndarray,
    unlabelled_rows: np.ndarray,
    member_train: list[np.ndarray],
) -> list[np.ndarray]:
    """Per member, the unlabelled rows whose drug and protein both occur in its training pairs
    (so a cold-split member never meets its held-out drugs or proteins, even unlabelled)."""
    pools = []
    for train in member_train:
        drugs = np.zeros(int(drug_index.max()) + 1, dtype=bool)
        proteins = np.zeros(int(protein_index.max()) + 1, dtype=bool)
        drugs[drug_index[train]] = True
        proteins[protein_index[train]] = True
        keep = drugs[drug_index[unlabelled_rows]] & proteins[protein_index[unlabelled_rows]]
        pools.append(unlabelled_rows[keep])
    return pools


def teacher_means(
    config: TrainConfig, smiles: list[str], sequences: list[str], stage: str, n_members: int
) -> np.ndarray:
    """Teacher predictions (n_members, n) for each student member, in target units.

    For the CV stage member k of the student learns from member k of the teacher's CV ensemble
    (which never saw fold k either), so the student's CV numbers stay honest. For the refit
    stage every member learns from the teacher's final ensemble.
    """
    assert config.teacher is not None
    teacher_run = Path(config.teacher)
    teacher_config = json.loads((teacher_run / "config.json").read_text())["config"]
    if stage == "cv":
        for key in ("split", "n_folds", "seed"):
            if teacher_config[key] != getattr(config, key):
                raise InputError(
                    f"teacher {teacher_run} used {key}={teacher_config[key]!r} but this run uses "
                    f"{getattr(config, key)!r}: distil from a teacher trained on the same folds"
                )
        teacher = load_model(teacher_run / "cv", device=config.device)
    else:
        teacher = load_model(teacher_run / "model", device=config.device)
    means = teacher.member_means(smiles, sequences)
    if stage == "cv":
        return means
    return np.repeat(means.mean(axis=0, keepdims=True), n_members, axis=0)
