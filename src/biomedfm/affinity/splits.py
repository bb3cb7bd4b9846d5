"""Splitters: the given folds, random, cold-drug, cold-protein and both-cold.

Every splitter returns a list of ``(train_index, validation_index)`` integer arrays. Cold splits
group pairs by entity before assigning folds, so no molecule (or scaffold) and no protein
*sequence* appears on both sides — Davis mutants that share the wild-type sequence are one group.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from biomedfm.chem.molecules import canonical_smiles, murcko_scaffold

Fold = tuple[np.ndarray, np.ndarray]


def given_folds(frame: pd.DataFrame) -> list[Fold]:
    """The folds in the ``fold`` column (DeepDTA's published CV folds)."""
    fold = frame["fold"].to_numpy()
    return [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in np.unique(fold)]


def random_folds(frame: pd.DataFrame, n_folds: int = 5, seed: int = 0) -> list[Fold]:
    """Pairs shuffled into ``n_folds`` equal folds (the "warm" setting)."""
    order = np.random.default_rng(seed).permutation(len(frame))
    assignment = np.empty(len(frame), dtype=np.int64)
    assignment[order] = np.arange(len(frame)) % n_folds
    return _folds_from_assignment(assignment, n_folds)


def cold_drug_folds(
    frame: pd.DataFrame, n_folds: int = 5, seed: int = 0, by: str = "scaffold"
) -> list[Fold]:
    """Unseen drugs in each validation fold, grouped by Murcko ``scaffold`` or ``smiles``."""
    key: Callable[[str], str] = murcko_scaffold if by == "scaffold" else canonical_smiles
    if by not in ("scaffold", "smiles"):
        raise ValueError("cold-drug grouping must be 'scaffold' or 'smiles'")
    groups = _map_unique(frame["smiles"], key)
    return _folds_from_assignment(_assign_groups(groups, n_folds, seed), n_folds)


def cold_protein_folds(frame: pd.DataFrame, n_folds: int = 5, seed: int = 0) -> list[Fold]:
    """Unseen protein sequences in each validation fold (grouped by sequence, not id)."""
    groups = frame["sequence"].str.upper().to_numpy()
    return _folds_from_assignment(_assign_groups(groups, n_folds, seed), n_folds)


def both_cold_folds(
    frame: pd.DataFrame, n_folds: int = 5, seed: int = 0, by: str = "scaffold"
) -> list[Fold]:
    """Validation pairs whose drug *and* protein are both unseen.

    Drugs and proteins are each split into ``n_folds`` groups; fold k validates on pairs whose
    drug and protein are both in group k and trains on pairs with neither in group k. Pairs with
    exactly one entity in group k are left out of fold k entirely, which is what keeps it cold.
    """
    drug_groups = _map_unique(frame["smiles"], murcko_scaffold if by == "scaffold" else str)
    drug_fold = _assign_groups(drug_groups, n_folds, seed)
    protein_fold = _assign_groups(frame["sequence"].str.upper().to_numpy(), n_folds, seed + 1)
    folds = []
    for k in range(n_folds):
        validation = np.flatnonzero((drug_fold == k) & (protein_fold == k))
        train = np.flatnonzero((drug_fold != k) & (protein_fold != k))
        folds.append((train, validation))
    return folds


SPLITTERS: dict[str, Callable[..., list[Fold]]] = {
    "given": lambda frame, n_folds=5, seed=0: given_folds(frame),
    "random": random_folds,
    "cold-drug": cold_drug_folds,
    "cold-drug-smiles": lambda frame, n_folds=5, seed=0: cold_drug_folds(
        frame, n_folds, seed, by="smiles"
    ),
    "cold-protein": cold_protein_folds,
    "both-cold": both_cold_folds,
}
"""Splitter registry; the keys are the CLI's ``--split`` choices."""


def _map_unique(values: pd.Series, key: Callable[[str], str]) -> np.ndarray:
    cache = {value: key(value) for value in values.unique()}
    return values.map(cache).to_numpy()


def _assign_groups(groups: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Assign whole groups to folds, largest first to the smallest fold, after a seeded shuffle.

    Returns:
        The fold of every row, shape (n_rows,).
    """
    names, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    if len(names) < n_folds:
        raise ValueError(f"only {len(names)} distinct groups; cannot make {n_folds} cold folds")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(names))
    order = order[np.argsort(-counts[order], kind="stable")]
    sizes = np.zeros(n_folds, dtype=np.int64)
    group_fold = np.empty(len(names), dtype=np.int64)
    for group in order:
        target = int(np.argmin(sizes))
        group_fold[group] = target
        sizes[target] += counts[group]
    return group_fold[inverse]


def _folds_from_assignment(assignment: np.ndarray, n_folds: int) -> list[Fold]:
    return [
        (np.flatnonzero(assignment != k), np.flatnonzero(assignment == k)) for k in range(n_folds)
    ]
