"""Cost of fine-tuning, and the prediction speed of a fine-tuned model against the lite's.

Also distils the fine-tuned ensemble into its one-network lite student (``affinity finetune
--lite``): its training time, its out-of-fold RMSE beside the ensemble's, and its speed.

Fine-tunes ``--from`` on one MoleculeACE train split (all of it; timed end to end, as
``affinity finetune`` runs it), then predicts the same ``--compounds`` MOSES molecules against
the assay's target with the fine-tuned model and with each ``--lite`` model (best of
``--passes`` passes each, taken in turn, featurization included, one process on the
machine's cores).

Usage: python benchmarks/affinity_finetune_speed.py [--dataset CHEMBL219_Ki] [--from encoder]
       [--compounds 20000] [--lite kiba-lite davis-lite] [--passes 5] [--out FILE]
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


def rates(
    models: dict[str, Any], smiles: list[str], sequence: str, passes: int
) -> dict[str, float]:
    """Compounds per second of each model, best of ``passes`` passes.

    The passes go round the models in turn, so a slow spell of the machine (the noise was
    about ±15% between runs) falls on all of them alike rather than on whichever ran then.
    """
    best = dict.fromkeys(models, float("inf"))
    sequences = [sequence] * len(smiles)
    for _ in range(passes):
        for name, model in models.items():
            started = time.perf_counter()
            model.predict(smiles, sequences)
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: round(len(smiles) / seconds, 1) for name, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--dataset", default="CHEMBL219_Ki")
    parser.add_argument("--from", dest="base", default="encoder")
    parser.add_argument("--compounds", type=int, default=20_000)
    parser.add_argument("--lite", nargs="+", default=["kiba-lite", "davis-lite"])
    parser.add_argument("--passes", type=int, default=5)
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
        models = {
            "fine-tuned": load_model(result.model_dir),
            "fine-tuned lite student": load_model(student.model_dir),
            **{name: load_model(name) for name in args.lite},
        }
        report["predict_compounds_per_s"] = rates(models, library, target["sequence"], args.passes)
        report["timing"] = f"best of {args.passes} passes, taken in turn across the models"
    report["library"] = f"first {len(library)} MOSES molecules"
    emit_report(report, args.out)


if __name__ == "__main__":
    main()
