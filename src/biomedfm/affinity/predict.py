"""Batch prediction and evaluation over pair tables that may hold bad rows.

Bad rows never stop a batch: they get an ``error`` message naming what is wrong, the rest are
predicted, and the caller reports the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from biomedfm.affinity.data import check_pairs
from biomedfm.affinity.domain import DomainEvidence
from biomedfm.affinity.metrics import interval_coverage, regression_report
from biomedfm.affinity.model import AffinityModel
from biomedfm.chem.molecules import to_mol
from biomedfm.errors import InputError


@dataclass
class PredictionResult:
    """Predictions aligned with the input rows (NaN where the row is invalid)."""

    mean: np.ndarray
    sigma: np.ndarray
    errors: pd.Series
    domain: dict[str, np.ndarray] | None = None
    """Applicability-domain columns (see :mod:`biomedfm.affinity.domain`), None for a model
    saved without a domain; invalid rows hold NaN (``in_domain``: None)."""

    @property
    def n_invalid(self) -> int:
        return int((self.errors != "").sum())


def predict_frame(model: AffinityModel, frame: pd.DataFrame) -> PredictionResult:
    """Predict every valid row of a frame with canonical ``smiles``/``sequence`` columns."""
    check = check_pairs(frame, known_smiles=model.drug_cache)
    errors = check.errors
    valid = (errors == "").to_numpy()
    mean = np.full(len(frame), np.nan)
    sigma = np.full(len(frame), np.nan)
    if valid.any():
        rows = frame.loc[valid]
        prediction = model.predict(
            rows["smiles"].str.strip().tolist(),
            ["".join(s.split()).upper() for s in rows["sequence"]],
            mols=check.mols,
        )
        mean[valid] = prediction.mean
        sigma[valid] = prediction.sigma
        if model.domain is not None:
            # molecules the model had cached were not parsed while checking
            evidence = model.domain.assess(
                [check.mols.get(s.strip()) or to_mol(s) for s in rows["smiles"]],
                ["".join(s.split()).upper() for s in rows["sequence"]],
            )
            sigma[valid] = model.domain.widen(prediction.sigma, evidence)
            return PredictionResult(mean, sigma, errors, _aligned(evidence, valid))
    return PredictionResult(mean=mean, sigma=sigma, errors=errors)


def _aligned(evidence: DomainEvidence, valid: np.ndarray) -> dict[str, np.ndarray]:
    """The evidence columns over every input row (invalid rows empty)."""
    columns: dict[str, np.ndarray] = {}
    for name, values in evidence.columns().items():
        full = np.full(len(valid), None if values.dtype == bool else np.nan, dtype=object)
        full[valid] = values
        columns[name] = full
    return columns


def with_predictions(
    frame: pd.DataFrame, input_columns: list[str], model: AffinityModel, result: PredictionResult
) -> pd.DataFrame:
    """The user's columns plus ``pred_<target>``, ``unc_<target>``, the applicability-domain
    columns (when the model has a domain) and (if any) ``error``."""
    out = frame[input_columns].copy()
    out[f"pred_{model.target}"] = np.round(result.mean, 4)
    out[f"unc_{model.target}"] = np.round(result.sigma, 4)
    for name, values in (result.domain or {}).items():
        out[name] = values
    if result.n_invalid:
        out["error"] = result.errors.to_numpy()
    return out


def evaluate_frame(model: AffinityModel, frame: pd.DataFrame) -> dict[str, Any]:
    """Metrics on the valid labelled rows, plus the 90%-interval coverage and invalid count.

    Raises:
        InputError: fewer than two valid rows.
    """
    result = predict_frame(model, frame)
    valid = (result.errors == "").to_numpy()
    if valid.sum() < 2:
        raise InputError("evaluation needs at least two valid labelled rows")
    y = frame["affinity"].to_numpy(dtype=np.float64)[valid]
    report: dict[str, Any] = regression_report(y, result.mean[valid])
    report["n"] = int(valid.sum())
    report["coverage90"] = interval_coverage(y, result.mean[valid], result.sigma[valid])
    report["n_invalid"] = result.n_invalid
    report["model"] = model.config.name
    report["target"] = model.target
    return report
