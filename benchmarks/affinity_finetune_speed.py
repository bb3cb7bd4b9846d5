"""Cost of fine-tuning, and the prediction speed of a fine-tuned model against the lite's.

Also distils the fine-tuned ensemble into its one-network lite student (``affinity finetune
--lite``): its training time, its out-of-fold RMSE beside the ensemble's, and its speed.

Fine-tunes ``--from`` on one MoleculeACE train split (all of it; timed end to end, as
``affinity finetune`` runs it), then predicts the same ``--compounds`` MOSES molecules against
the assay's target with the fine-tuned model and with each ``--lite`` model (best of three
passes each, featurization included, one process on the machine's cores).

Usage: python benchmarks/affinity_finetune_speed.py [--dataset CHEMBL219_Ki] [--from encoder]
       [--compounds 20000] [--lite kiba-lite davis-lite] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from _report import emit_report  # benchmarks/ is the script's own directory
from biomedfm.affinity.finetune import finetune, finetune_lite
from biomedfm.affinity.io import load_model
from biomedfm.config import resolve_data_dir


def rate(model: Any, smiles: list[str], sequence: str) -> float:
    """Compounds per second, best of three passes."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        model.predict(smiles, [sequence] * len(smiles))
        best = min(best, time.perf_counter() - started)
    return round(len(smiles) / best, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--dataset", default="CHEMBL219_Ki")
    parser.add_argument("--from", dest="base", default="encoder")
    parser.add_argument("--compounds", type=int, default=20_000)
    parser.add_argument("--lite", nargs="+", default=["kiba-lite", "davis-lite"])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    data = resolve_data_dir(args.data_dir)
    with (data / "moleculeace" / "targets.csv").open(newline="") as handle:
        target = next(r for r in csv.DictReader(handle) if r["dataset"] == args.dataset)
    assay = pd.read_csv(data / "moleculeace" / f"{args.dataset}_train.csv")
    value = next(c for c in assay.columns if c.startswith("p"))
    frame = pd.DataFrame(
        {"smiles": assay["smiles"], "sequence": target["sequence"], "affinity": assay[value]}
    )
    library = pd.read_csv(
        data / "screening" / "moses_1.58M.csv.gz", usecols=["smiles"], nrows=args.compounds
    )["smiles"].tolist()
    report: dict[str, Any] = {"dataset": args.dataset, "compounds": len(frame), "base": args.base}
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = finetune(
            frame,
            Path(folder) / "run",
            base=args.base,
            target=value,
            target_sequence=target["sequence"],
        )
        report["finetune_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        student = finetune_lite(
            frame,
            Path(folder) / "run",
            target=value,
            target_sequence=target["sequence"],
        )
        report["lite_student_seconds"] = round(time.perf_counter() - started, 1)
        report["out_of_fold_rmse"] = {
            "fine-tuned": round(result.cv_metrics["oof"]["mse"] ** 0.5, 4),
            "fine-tuned lite student": round(student.cv_metrics["oof"]["mse"] ** 0.5, 4),
        }
        tuned = load_model(result.model_dir)
        report["predict_compounds_per_s"] = {
            "fine-tuned": rate(tuned, library, target["sequence"]),
            "fine-tuned lite student": rate(
                load_model(student.model_dir), library, target["sequence"]
            ),
            **{name: rate(load_model(name), library, target["sequence"]) for name in args.lite},
        }
    report["library"] = f"first {len(library)} MOSES molecules"
    emit_report(report, args.out)


if __name__ == "__main__":
    main()
