"""Throughput of `affinity predict` on this machine, end to end (read CSV → parse SMILES →
featurize → encode → score → write CSV), for the main and lite models.

Workloads (compounds: the first N molecules of the MOSES library, real drug-like SMILES):
  one-target  one kinase (ABL1) × N compounds
  random      N pairs: N distinct compounds × kinases drawn at random from the Davis panel
Also times the network alone: on cached encodings (the per-pair cost of scoring), and encoding
each compound plus scoring it against one target (the per-compound cost of a screen).

Usage: python benchmarks/affinity_throughput.py [--n 10000] [--data-dir ../shared/data]
       [--main davis --lite davis-lite]   (any pair: kiba kiba-lite, or run directories)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from biomedfm.affinity.data import read_pairs
from biomedfm.affinity.demo import demo_pairs
from biomedfm.affinity.io import load_model
from biomedfm.affinity.predict import predict_frame, with_predictions
from biomedfm.config import resolve_data_dir


def end_to_end(model_name: str, table: Path, out: Path) -> float:
    """Seconds for read → validate/parse → featurize → predict → write, model already loaded."""
    model = load_model(model_name)
    started = time.perf_counter()
    frame = read_pairs(table)
    result = predict_frame(model, frame)
    with_predictions(frame, ["smiles", "sequence"], model, result).to_csv(out, index=False)
    return time.perf_counter() - started


def network_only(model_name: str, n_pairs: int) -> float:
    """Seconds to score ``n_pairs`` from cached drug/protein embeddings."""
    model = load_model(model_name)
    rng = np.random.default_rng(0)
    drugs = model.encode_drugs(rng.random((1000, model.config.net.drug_dim), dtype=np.float32))
    proteins = model.encode_proteins(
        rng.random((100, model.config.net.protein_dim), dtype=np.float32)
    )
    d, p = rng.integers(0, 1000, n_pairs), rng.integers(0, 100, n_pairs)
    model.score_embeddings(drugs, proteins, d[:1000], p[:1000])  # warm-up
    started = time.perf_counter()
    model.score_embeddings(drugs, proteins, d, p)
    return time.perf_counter() - started


def network_per_compound(model_name: str, n_compounds: int) -> float:
    """Seconds to encode ``n_compounds`` drug feature rows and score them against one target."""
    model = load_model(model_name)
    rng = np.random.default_rng(0)
    features = rng.random((n_compounds, model.config.net.drug_dim), dtype=np.float32)
    protein = model.encode_proteins(rng.random((1, model.config.net.protein_dim), dtype=np.float32))
    index, target = np.arange(n_compounds), np.zeros(n_compounds, dtype=np.int64)
    model.score_embeddings(
        model.encode_drugs(features[:1000]), protein, index[:1000], target[:1000]
    )
    started = time.perf_counter()
    model.score_embeddings(model.encode_drugs(features), protein, index, target)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--main", default="davis", help="main model: shipped name or directory")
    parser.add_argument("--lite", default="davis-lite", help="lite model: name or directory")
    args = parser.parse_args()
    main_model, lite_model = args.main, args.lite
    data = resolve_data_dir(args.data_dir)
    compounds = pd.read_csv(data / "screening" / "moses_1.58M.csv.gz", nrows=args.n)["smiles"]
    kinases = pd.read_csv(data / "dta" / "davis" / "proteins.csv")["sequence"]
    abl1 = demo_pairs().query("protein == 'ABL1'")["sequence"].iloc[0]
    rng = np.random.default_rng(0)
    workloads = {
        "one-target": pd.DataFrame({"smiles": compounds, "sequence": abl1}),
        "random": pd.DataFrame(
            {
                "smiles": compounds,
                "sequence": kinases.sample(args.n, replace=True, random_state=0).to_numpy(),
            }
        ),
    }
    results = {"threads": torch.get_num_threads(), "n_pairs": args.n}
    with tempfile.TemporaryDirectory() as tmp:
        for workload, frame in workloads.items():
            table = Path(tmp) / f"{workload}.csv"
            frame.sample(frac=1.0, random_state=int(rng.integers(1000))).to_csv(table, index=False)
            for model in (main_model, lite_model):
                seconds = end_to_end(model, table, Path(tmp) / "out.csv")
                results[f"{workload}/{model}/pairs_per_s"] = round(args.n / seconds, 1)
        for model in (main_model, lite_model):
            seconds = network_only(model, 200_000)
            results[f"network-only/{model}/pairs_per_s"] = round(200_000 / seconds, 1)
            seconds = network_per_compound(model, 50_000)
            results[f"network-encode+score/{model}/compounds_per_s"] = round(50_000 / seconds, 1)
    for measure, unit in (("network-only", "pairs"), ("network-encode+score", "compounds")):
        results[f"{measure} speed ratio lite/main"] = round(
            results[f"{measure}/{lite_model}/{unit}_per_s"]
            / results[f"{measure}/{main_model}/{unit}_per_s"],
            1,
        )
    for workload in workloads:
        results[f"{workload} speed ratio lite/main"] = round(
            results[f"{workload}/{lite_model}/pairs_per_s"]
            / results[f"{workload}/{main_model}/pairs_per_s"],
            1,
        )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
