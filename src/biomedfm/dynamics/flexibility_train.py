"""Training the flexibility model on structures with B-factors, cross-validated by protein.

Targets are B-factors z-scored per protein (the benchmark scores Pearson r per protein, so only
the shape of each profile matters). Ridge strength is chosen on inner folds; the outer folds
only measure, on proteins the model never saw.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import pearsonr
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold

from biomedfm.dynamics.flexibility import FlexibilityModel, flexibility_features
from biomedfm.dynamics.structure_io import read_structure
from biomedfm.errors import InputError

ALPHAS = (1.0, 10.0, 100.0, 1000.0)


def load_training_set(
    folder: Path, progress: Callable[[int, int], None] | None = None
) -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
    """Features, raw B-factors and names of every ``*.pdb``/``*.cif`` in ``folder``."""
    paths = sorted([*folder.glob("*.pdb"), *folder.glob("*.cif")])
    if not paths:
        raise InputError(f"{folder} holds no .pdb or .cif files")
    features, bfactors, names = [], [], []
    for done, path in enumerate(paths, start=1):
        structure = read_structure(path)
        features.append(flexibility_features(structure))
        bfactors.append(structure.bfactors)
        names.append(path.stem)
        if progress:
            progress(done, len(paths))
    return features, bfactors, names


def _zscore(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() or 1.0)


def fit(features: list[np.ndarray], bfactors: list[np.ndarray], alpha: float) -> FlexibilityModel:
    x = np.vstack(features)
    y = np.concatenate([_zscore(b) for b in bfactors])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    ridge = Ridge(alpha=alpha).fit((x - mean) / scale, y)
    return FlexibilityModel(
        coef=ridge.coef_,
        intercept=float(ridge.intercept_),
        mean=mean,
        scale=scale,
        metadata={
            "alpha": alpha,
            "n_proteins": len(features),
            "b_mean": float(np.median([b.mean() for b in bfactors])),
            "b_spread": float(np.median([b.std() for b in bfactors])),
        },
    )


def _per_protein_r(
    features: list[np.ndarray], bfactors: list[np.ndarray], folds: int, make: Callable[..., Any]
) -> np.ndarray:
    groups = np.arange(len(features))
    scores = np.zeros(len(features))
    for train, test in GroupKFold(min(folds, len(features))).split(groups, groups, groups):
        model = make([features[i] for i in train], [bfactors[i] for i in train])
        for i in test:
            scores[i] = pearsonr(model.predict(features[i]), bfactors[i])[0]
    return scores


def select_alpha(features: list[np.ndarray], bfactors: list[np.ndarray]) -> float:
    means = {
        alpha: float(
            _per_protein_r(features, bfactors, 5, lambda f, b, a=alpha: fit(f, b, a)).mean()
        )
        for alpha in ALPHAS
    }
    return max(means, key=lambda a: means[a])


def cross_validate(features: list[np.ndarray], bfactors: list[np.ndarray]) -> dict[str, Any]:
    """Nested 5-fold CV by protein: mean and median per-protein Pearson r, plus GNM alone."""
    scores = _per_protein_r(features, bfactors, 5, lambda f, b: fit(f, b, select_alpha(f, b)))
    gnm_only = np.array([pearsonr(f[:, 0], b)[0] for f, b in zip(features, bfactors, strict=True)])
    return {
        "mean_r": round(float(scores.mean()), 3),
        "median_r": round(float(np.median(scores)), 3),
        "gnm_7.3_mean_r": round(float(gnm_only.mean()), 3),
        "proteins": len(features),
        "folds": 5,
    }


def train_flexibility_model(
    folder: Path, output: Path, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Nested-CV report, then the final model on every protein, saved to ``output``."""
    features, bfactors, _ = load_training_set(folder, progress)
    if len(features) < 4:
        raise InputError(f"{folder} holds {len(features)} structures; training needs at least 4")
    report = cross_validate(features, bfactors)
    alpha = select_alpha(features, bfactors)
    model = fit(features, bfactors, alpha)
    model.metadata.update({"source": folder.name, "cv": report})
    model.save(output)
    return {**report, "alpha": alpha}
