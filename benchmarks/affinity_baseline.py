"""Sanity floor: drug-mean + protein-mean − global-mean, 5-fold CV on the given folds.

Usage: python benchmarks/affinity_baseline.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from biomedfm.affinity.data import read_dta_dataset
from biomedfm.affinity.metrics import regression_report
from biomedfm.affinity.splits import given_folds
from biomedfm.affinity.train import summarise


def additive_means(frame: pd.DataFrame, train: np.ndarray, val: np.ndarray) -> np.ndarray:
    """Prediction = mean(drug) + mean(protein) − mean(all) from the training pairs."""
    fit = frame.iloc[train]
    overall = fit["affinity"].mean()
    drug = fit.groupby("drug_id")["affinity"].mean()
    protein = fit.groupby("sequence")["affinity"].mean()
    rows = frame.iloc[val]
    d = rows["drug_id"].map(drug).fillna(overall).to_numpy()
    p = rows["sequence"].map(protein).fillna(overall).to_numpy()
    return np.asarray(d + p - overall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    out = {}
    for dataset in ("davis", "kiba"):
        frame = read_dta_dataset(dataset, args.data_dir)
        per_fold = [
            regression_report(frame["affinity"].to_numpy()[val], additive_means(frame, train, val))
            for train, val in given_folds(frame)
        ]
        summary = summarise(per_fold)
        out[dataset] = {k: f"{v['mean']:.3f} ± {v['sd']:.3f}" for k, v in summary.items()}
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
