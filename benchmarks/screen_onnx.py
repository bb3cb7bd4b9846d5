"""ONNX export: accuracy parity and speed against PyTorch (issue: virtual screening).

For each model: export fp32 and dynamic-int8 ONNX; predict every labelled pair of the dataset's
training folds with PyTorch and with both ONNX graphs (MSE against the labels and the MSE
change), and time the model part alone (encode + score, features precomputed) on 50,000 MOSES
compounds against one target, 2 threads, best of 3.

With ``--holdout MODEL_DIR PAIRS_CSV`` the parity is also measured on pairs the model never
saw: a lite-shaped model trained on Davis folds 0-3 and scored on fold 4 (the shipped models
were trained on every training fold, so for them the MSE is an in-sample number).

Usage: python benchmarks/screen_onnx.py --models davis-lite kiba-lite davis \
         --holdout /tmp/scr/lite_f0123 /tmp/scr/davis_f4.csv
Writes benchmarks/results/screening/onnx_parity.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from biomedfm.affinity.data import read_dta_dataset
from biomedfm.affinity.io import load_model
from biomedfm.affinity.onnx_export import OnnxScorer, export_onnx
from biomedfm.affinity.screening import TorchScorer, featurize_smiles
from biomedfm.chem.featurizers import make_featurizer

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("BIOMEDFM_DATA", ROOT.parent / "shared" / "data"))


def best_of(scorer: Any, features: np.ndarray, targets: Any, repeats: int = 3) -> float:
    """Best-of-``repeats`` seconds for encoding and scoring ``features`` against ``targets``."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        scorer.score(features, targets)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["davis-lite", "kiba-lite"])
    parser.add_argument("--compounds", type=int, default=50_000)
    parser.add_argument("--holdout", nargs=2, default=None, metavar=("MODEL", "PAIRS_CSV"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    smiles = pd.read_csv(DATA / "screening" / "moses_1.58M.csv.gz", nrows=args.compounds)["smiles"]
    results = []
    jobs = [(name, None) for name in args.models]
    if args.holdout:
        jobs.append((args.holdout[0], args.holdout[1]))
    for name, pairs_csv in jobs:
        model = load_model(name)
        dataset = "kiba" if name.startswith("kiba") else "davis"
        pairs = pd.read_csv(pairs_csv) if pairs_csv else read_dta_dataset(dataset, DATA)
        sequences = pairs["sequence"].str.upper().tolist()
        torch_pred = model.predict(pairs["smiles"].tolist(), sequences).mean
        y = pairs["affinity"].to_numpy()
        featurizer = make_featurizer("drug", model.config.drug_featurizer)
        features = featurize_smiles(smiles.tolist(), {}, featurizer).features
        target = [pairs["sequence"].iloc[0].upper()]
        torch_scorer = TorchScorer(model)
        row: dict[str, object] = {
            "model": name,
            "pairs": pairs_csv or f"{dataset} training folds (in-sample)",
            "n_pairs": len(pairs),
            "compounds": len(features),
        }
        row["torch_mse"] = float(np.mean((torch_pred - y) ** 2))
        encoded = torch_scorer.encode_targets(target)
        row["torch_model_s"] = best_of(torch_scorer, features, encoded)
        with tempfile.TemporaryDirectory() as tmp:
            for label, int8 in (("onnx_fp32", False), ("onnx_int8", True)):
                scorer = OnnxScorer(export_onnx(model, Path(tmp) / label, int8=int8), threads=2)
                drug_keys, drug_index = np.unique(pairs["smiles"], return_inverse=True)
                protein_keys, protein_index = np.unique(sequences, return_inverse=True)
                drug_x = featurize_smiles(list(drug_keys), {}, featurizer).features
                drugs = scorer.encode_drugs(drug_x)
                proteins = scorer.encode_targets(list(protein_keys))
                pred, _ = scorer.score_pairs(drugs, proteins, drug_index, protein_index)
                row[f"{label}_mse"] = float(np.mean((pred - y) ** 2))
                row[f"{label}_mse_change"] = row[f"{label}_mse"] - row["torch_mse"]  # type: ignore[operator]
                row[f"{label}_max_abs_diff"] = float(np.abs(pred - torch_pred).max())
                encoded_onnx = scorer.encode_targets(target)
                row[f"{label}_model_s"] = best_of(scorer, features, encoded_onnx)
                row[f"{label}_speedup"] = row["torch_model_s"] / row[f"{label}_model_s"]  # type: ignore[operator]
                size = sum(p.stat().st_size for p in (Path(tmp) / label).glob("*.onnx"))
                row[f"{label}_mb"] = round(size / 2**20, 2)
        print(json.dumps(row), flush=True)
        results.append(row)
    out = ROOT / "benchmarks" / "results" / "screening" / "onnx_parity.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
