"""Per-residue flexibility: elastic-network physics + local packing, learned against B-factors.

Features per residue (all from C-alpha positions and the residue type): GNM fluctuations at two
cutoffs, contact numbers at four radii, weighted contact number and its inverse, distance from
the centroid (in radii of gyration), distance from a chain end, chain size, local C-alpha
geometry (i→i+3, i→i+4 distances: helix vs strand vs loop), the same structural features averaged
over ±2 and ±5 residues, and the residue type. A ridge regression trained by us on the
crystallographic B-factors of 182 proteins (z-scored per protein) turns them into
``pred_flexibility`` (relative, z-scored). ``pred_rmsf_angstrom`` maps it through the training
set's median B-factor mean and spread (B = 8π²/3 · RMSF²): a rough absolute scale, since crystal
B-factors differ from one structure to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from biomedfm.dynamics.modes import gnm
from biomedfm.dynamics.structure_io import Structure, one_letter
from biomedfm.errors import InputError
from biomedfm.linear_io import load_linear, save_linear

AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
STRUCTURAL = (
    "gnm_7.3",
    "gnm_10",
    "contacts_8",
    "contacts_10",
    "contacts_12",
    "contacts_15",
    "weighted_contacts",
    "inverse_weighted_contacts",
    "centroid_distance",
    "log_chain_end_distance",
    "log_residues",
    "ca_i_i3",
    "ca_i_i4",
)
WINDOWS = (2, 5)
FEATURE_NAMES = (
    *STRUCTURAL,
    *(f"{name}~{w}" for w in WINDOWS for name in STRUCTURAL),
    *(f"aa_{a}" for a in AMINO_ACIDS),
)
SHIPPED_DIR = Path(__file__).parent / "models" / "flexibility"


def _z(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)


def _window_mean(column: np.ndarray, half: int) -> np.ndarray:
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    return np.convolve(np.pad(column, half, mode="edge"), kernel, mode="valid")


def _gap_distance(ca: np.ndarray, step: int) -> np.ndarray:
    out = np.full(len(ca), 3.8 * step)
    if len(ca) > step:
        distance = np.linalg.norm(ca[step:] - ca[:-step], axis=1)
        out[:-step] = distance
    return out


def flexibility_features(structure: Structure) -> np.ndarray:
    """Features (n, len(FEATURE_NAMES)) of every residue.

    Raises:
        InputError: fewer than 5 residues (no network to speak of).
    """
    ca = structure.ca
    n = len(ca)
    if n < 5:
        raise InputError(f"{structure.name} has {n} residues; flexibility needs at least 5")
    tree = cKDTree(ca)
    columns: dict[str, np.ndarray] = {
        "gnm_7.3": _z(gnm(ca, 7.3).fluctuations()),
        "gnm_10": _z(gnm(ca, 10.0).fluctuations()),
    }
    for radius in (8, 10, 12, 15):
        counts = np.array([len(x) - 1 for x in tree.query_ball_point(ca, radius)], dtype=float)
        columns[f"contacts_{radius}"] = _z(counts)
    distances, _ = tree.query(ca, k=min(n, 64))
    with np.errstate(divide="ignore"):
        inverse_square = np.where(distances > 0, 1.0 / distances**2, 0.0)
    weighted = inverse_square.sum(axis=1)
    columns["weighted_contacts"] = _z(weighted)
    columns["inverse_weighted_contacts"] = _z(1.0 / np.maximum(weighted, 1e-9))
    centre = ca.mean(axis=0)
    gyration = float(np.sqrt(((ca - centre) ** 2).sum(axis=1).mean())) or 1.0
    columns["centroid_distance"] = np.linalg.norm(ca - centre, axis=1) / gyration
    end_distance = np.zeros(n)
    chains = np.asarray(structure.chains)
    for chain in dict.fromkeys(structure.chains):
        rows = np.flatnonzero(chains == chain)
        position = np.arange(len(rows))
        end_distance[rows] = np.minimum(position, len(rows) - 1 - position)
    columns["log_chain_end_distance"] = np.log1p(end_distance)
    columns["log_residues"] = np.full(n, np.log(n))
    columns["ca_i_i3"] = _gap_distance(ca, 3)
    columns["ca_i_i4"] = _gap_distance(ca, 4)
    base = np.column_stack([columns[name] for name in STRUCTURAL])
    smoothed = [
        np.column_stack([_window_mean(base[:, j], w) for j in range(base.shape[1])])
        for w in WINDOWS
    ]
    letters = [one_letter(name) for name in structure.resnames]
    one_hot = np.array([[letter == a for a in AMINO_ACIDS] for letter in letters], dtype=float)
    return np.column_stack([base, *smoothed, one_hot])


@dataclass
class FlexibilityModel:
    """Standardised features → ridge regression → z-scored flexibility."""

    coef: np.ndarray  # (n_features,)
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    metadata: dict[str, Any]

    def predict(self, features: np.ndarray) -> np.ndarray:
        raw = ((features - self.mean) / self.scale) @ self.coef + self.intercept
        return _z(np.asarray(raw, dtype=np.float64))

    def rmsf_angstrom(self, flexibility: np.ndarray) -> np.ndarray:
        """Rough absolute RMSF (Å) from z-scores via the training set's typical B-factors."""
        b_mean = float(self.metadata.get("b_mean", 20.0))
        b_spread = float(self.metadata.get("b_spread", 8.0))
        b = np.maximum(b_mean + b_spread * flexibility, 2.0)
        return np.asarray(np.sqrt(3.0 * b / (8.0 * np.pi**2)))

    def save(self, directory: Path) -> None:
        arrays = {"coef": self.coef, "intercept": np.array([self.intercept]), "mean": self.mean}
        save_linear(
            directory,
            {**arrays, "scale": self.scale},
            {"features": list(FEATURE_NAMES), **self.metadata},
        )

    @classmethod
    def load(cls, directory: Path) -> FlexibilityModel:
        arrays, metadata = load_linear(
            directory,
            {"features": list(FEATURE_NAMES)},
            "flexibility model",
            "biomedfm dynamics train-flexibility",
        )
        return cls(
            coef=arrays["coef"],
            intercept=float(arrays["intercept"][0]),
            mean=arrays["mean"],
            scale=arrays["scale"],
            metadata=metadata,
        )


@lru_cache(maxsize=4)
def load_flexibility_model(directory: str | None = None) -> FlexibilityModel:
    """A trained model directory, or the shipped one."""
    path = Path(directory) if directory else SHIPPED_DIR
    if not (path / "model.safetensors").is_file():
        raise InputError(
            f"no flexibility model in {path}: train one with 'dynamics train-flexibility'"
        )
    return FlexibilityModel.load(path)


def predict_flexibility(
    structure: Structure, model: FlexibilityModel | None = None
) -> pd.DataFrame:
    """One row per residue: chain, resnum, resname, pred_flexibility, pred_rmsf_angstrom."""
    model = model or load_flexibility_model()
    flexibility = model.predict(flexibility_features(structure))
    return pd.DataFrame(
        {
            "chain": structure.chains,
            "resnum": [
                f"{n}{i}" if i else n
                for n, i in zip(structure.resnums, structure.icodes, strict=True)
            ],
            "resname": structure.resnames,
            "pred_flexibility": np.round(flexibility, 4),
            "pred_rmsf_angstrom": np.round(model.rmsf_angstrom(flexibility), 3),
        }
    )


def pocket_flexibility(
    structure: Structure, residues: list[str], model: FlexibilityModel | None = None
) -> dict[str, Any]:
    """Flexibility of a residue set (e.g. a binding site) against the whole protein.

    Args:
        residues: labels ``A:42`` (chain:number) or bare numbers ``42`` (any chain).

    Returns:
        Per-residue values, their mean, and the share of the protein that is less flexible.

    Raises:
        InputError: a residue is not in the structure.
    """
    table = predict_flexibility(structure, model)
    labels = [f"{c}:{n}" for c, n in zip(table["chain"], table["resnum"], strict=True)]
    index: dict[str, int] = {}
    for i, label in enumerate(labels):
        index.setdefault(label, i)
        index.setdefault(label.split(":", 1)[1], i)
    missing = [r for r in residues if r not in index]
    if missing:
        raise InputError(
            f"residue(s) {', '.join(missing)} not in {structure.name}: use chain:number, e.g. "
            f"{labels[0]}"
        )
    rows = [index[r] for r in residues]
    values = table["pred_flexibility"].to_numpy()
    mean = float(values[rows].mean())
    return {
        "residues": {labels[i]: float(values[i]) for i in rows},
        "mean_flexibility": round(mean, 4),
        "percentile": round(float((values < mean).mean() * 100), 1),
        "mean_rmsf_angstrom": round(float(table["pred_rmsf_angstrom"].to_numpy()[rows].mean()), 3),
    }
