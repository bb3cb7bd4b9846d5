"""Applicability domain of the shipped kinase models, on the 30 MoleculeACE ChEMBL targets.

For each shipped model: its domain is built from its training pairs (Davis or KIBA, every
training fold: what the shipped model saw) and each MoleculeACE train-split compound is
predicted against its target's UniProt sequence. Reported per target class (kinase or not):
the share flagged ``in_domain=false``, and the 90%-interval coverage of the measured pKi/pEC50
before and after widening σ out of domain; plus the share of the model's own training pairs
(Davis/KIBA, same kinases and compounds as their held-back warm test folds) flagged in domain.

The out-of-domain σ is calibrated on the non-kinase targets' measured values (the 90% quantile
of |y − ŷ| / 1.645) and its coverage is reported leave-one-target-out (σ from the other
targets), so the coverage quoted is for a target the calibration never saw. KIBA scores are not
in pK units, so for the KIBA models the out-of-domain σ is the spread of their training labels
(no better than knowing nothing of the pair) and coverage in pK units is not reported.

``--write`` saves each domain (with its σ) as ``domain.npz`` beside the shipped weights.

Usage: python benchmarks/affinity_domain.py [--data-dir ../shared/data] [--write]
       [--models davis davis-lite kiba kiba-lite] [--out benchmarks/results/affinity_domain.json]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from _report import emit_report  # benchmarks/ is the script's own directory
from biomedfm.affinity.data import read_dta_dataset
from biomedfm.affinity.domain import ApplicabilityDomain
from biomedfm.affinity.io import load_model, resolve_model_dir
from biomedfm.chem.molecules import to_mol
from biomedfm.config import resolve_data_dir
from biomedfm.errors import InputError

Z90 = 1.6448536
P_UNITS = {"pkd"}  # targets whose units match pKi / pEC50


def read_moleculeace(directory: Path) -> pd.DataFrame:
    """Every train-split compound with its target's sequence and class."""
    frames = []
    with (directory / "targets.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if not row["sequence"]:
                continue  # FXR has no sequence
            frame = pd.read_csv(directory / f"{row['dataset']}_train.csv")
            value = next(c for c in frame.columns if c.startswith("p"))
            frames.append(
                pd.DataFrame(
                    {
                        "dataset": row["dataset"],
                        "kinase": row["target_class"] == "Kinase",
                        "smiles": frame["smiles"],
                        "sequence": row["sequence"],
                        "y": frame[value].astype(float),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def parse(smiles: list[str]) -> dict[str, Any]:
    mols = {}
    for s in dict.fromkeys(smiles):
        try:
            mols[s] = to_mol(s)
        except InputError:
            continue
    return mols


def ood_sigma(residuals: np.ndarray) -> float:
    return float(np.quantile(np.abs(residuals), 0.9) / Z90) if len(residuals) else 0.0


def coverage(y: np.ndarray, mean: np.ndarray, sigma: np.ndarray) -> float:
    return round(float(np.mean(np.abs(y - mean) <= Z90 * sigma)), 3) if len(y) else float("nan")


def evaluate_model(
    name: str, chembl: pd.DataFrame, mols: dict[str, Any], data_dir: Path, write: bool
) -> dict[str, Any]:
    model = load_model(name)
    dataset = "davis" if name.startswith("davis") else "kiba"
    training = read_dta_dataset(dataset, data_dir)
    training_mols = parse(training["smiles"].unique().tolist())
    started = time.time()
    domain = ApplicabilityDomain.from_training(
        list(training_mols.values()), training["sequence"].unique().tolist()
    )
    build_seconds = time.time() - started
    rows = chembl[chembl["smiles"].isin(mols)].reset_index(drop=True)
    prediction = model.predict(rows["smiles"].tolist(), rows["sequence"].tolist(), mols=mols)
    started = time.time()
    evidence = domain.assess([mols[s] for s in rows["smiles"]], rows["sequence"].tolist())
    assess_seconds = time.time() - started
    sample = training.sample(n=min(3000, len(training)), random_state=0)
    own = domain.assess([training_mols[s] for s in sample["smiles"]], sample["sequence"].tolist())
    y, mean, sigma = rows["y"].to_numpy(), prediction.mean, prediction.sigma
    kinase = rows["kinase"].to_numpy()
    report: dict[str, Any] = {
        "model": name,
        "kinase_model": domain.kinase_model,
        "training_compounds": len(domain.fingerprints),
        "training_targets": len(domain.sequences),
        "build_seconds": round(build_seconds, 1),
        "assess_pairs_per_second": round(len(rows) / max(assess_seconds, 1e-9)),
        "own_training_pairs_in_domain": round(float(own.in_domain.mean()), 3),
        "nonkinase_pairs": int((~kinase).sum()),
        "nonkinase_flagged_out": round(float((~evidence.in_domain[~kinase]).mean()), 3),
        "kinase_pairs": int(kinase.sum()),
        "kinase_pairs_in_domain": round(float(evidence.in_domain[kinase].mean()), 3),
        "median_compound_similarity": {
            "kinase_targets": round(float(np.median(evidence.compound_similarity[kinase])), 3),
            "nonkinase_targets": round(float(np.median(evidence.compound_similarity[~kinase])), 3),
        },
    }
    out = ~evidence.in_domain
    if model.target in P_UNITS:
        calibrate = out & ~kinase
        domain.out_of_domain_sigma = ood_sigma((y - mean)[calibrate])
        domain.calibration = {
            "on": "MoleculeACE train splits, non-kinase targets, out of domain",
            "pairs": int(calibrate.sum()),
        }
        per_target = {}
        for target in sorted(rows.loc[~kinase, "dataset"].unique()):
            here = (rows["dataset"] == target).to_numpy()
            held = ood_sigma((y - mean)[calibrate & ~here])
            widened = np.where(out[here], np.maximum(sigma[here], held), sigma[here])
            per_target[target] = {
                "before": coverage(y[here], mean[here], sigma[here]),
                "after": coverage(y[here], mean[here], widened),
            }
        widened_all = domain.widen(sigma, evidence)
        report["coverage90"] = {
            "nonkinase_before": coverage(y[~kinase], mean[~kinase], sigma[~kinase]),
            "nonkinase_after_leave_one_target_out": round(
                float(np.mean([v["after"] for v in per_target.values()])), 3
            ),
            "kinase_targets_before": coverage(y[kinase], mean[kinase], sigma[kinase]),
            "kinase_targets_after": coverage(y[kinase], mean[kinase], widened_all[kinase]),
            "per_nonkinase_target": per_target,
        }
        report["nonkinase_rmse"] = round(float(np.sqrt(np.mean((y - mean)[~kinase] ** 2))), 3)
        report["nonkinase_mean_prediction"] = round(float(mean[~kinase].mean()), 2)
        report["nonkinase_mean_measured"] = round(float(y[~kinase].mean()), 2)
    else:
        domain.out_of_domain_sigma = float(training["affinity"].std())
        domain.calibration = {"on": f"{dataset} training label spread (no pK-unit data)"}
    report["out_of_domain_sigma"] = round(domain.out_of_domain_sigma, 3)
    report["median_sigma_nonkinase_before"] = round(float(np.median(sigma[~kinase])), 3)
    if write:
        domain.save(resolve_model_dir(name))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--models", nargs="+", default=["davis", "davis-lite", "kiba", "kiba-lite"])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    data_dir = resolve_data_dir(args.data_dir)
    chembl = read_moleculeace(data_dir / "moleculeace")
    mols = parse(chembl["smiles"].tolist())
    reports = [evaluate_model(n, chembl, mols, data_dir, args.write) for n in args.models]
    emit_report({"models": reports}, args.out)


if __name__ == "__main__":
    main()
