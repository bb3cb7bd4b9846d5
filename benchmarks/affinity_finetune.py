"""Fine-tuning on MoleculeACE (30 ChEMBL single-target assays), against ECFP baselines.

The MoleculeACE test splits are held back (scored independently through ``affinity finetune``
+ ``affinity predict``), so this measures on an inner split of each train split: 80% to train
on, 20% to score (random, seed 0; the assay's own ``cliff_mol`` flags give the cliff RMSE on
that 20%). In the same run, on the same compounds:

- ``svm``: support-vector regression on ECFP4 (2048 bits) with a Tanimoto kernel, C chosen by
  5-fold CV on the 80% from {1, 5, 10} (the MoleculeACE paper's best method);
- ``rf``: random forest on the same bits (200 trees);
- ``finetune:<base>``: ``affinity finetune --from <base>`` (kiba, davis; a 5-member ensemble
  with early stopping and conformal σ), and ``scratch``, the same network and recipe from
  random weights: the gain of pretraining is the difference from ``scratch``.

``--curve 50 100 200 500`` also trains every method on that many compounds of the 80%
(the learning curve). Reported: RMSE and cliff RMSE per dataset and their means, the 90%
interval coverage of the fine-tuned models, seconds per fine-tune, and the published means
(SVM on ECFP 0.671 / 0.751 on the real test splits; not the same compounds: an anchor only).

``--lite`` also distils each fine-tuned ensemble into its one-network student in the lite's
shape (``affinity finetune --lite``), reported as ``finetune:<base>:lite``.

``finetune:<base>`` is what ``affinity finetune`` ships: the average of the fine-tuned
ensemble and the assay's Tanimoto SVR (:mod:`biomedfm.affinity.kernel`, fitted inside the
product on the same 80%); ``finetune:<base>:ensemble`` is its network alone (the same model
with the kernel set aside). ``blend_gap`` checks the product against this script's own
average of that ensemble and ``svm`` (the same regressor: it should be ~0).

``--bases`` may name ``encoder`` (the scratch network with the MOSES-pretrained drug tower:
the gain of that pretraining is its difference from ``scratch``). ``--merge EARLIER.json``
(one or more) keeps earlier reports' per-dataset measures and adds this run's (the split is
seeded).

Usage: python benchmarks/affinity_finetune.py [--data-dir ../shared/data]
       [--datasets CHEMBL214_Ki ...] [--bases kiba davis encoder scratch]
       [--curve 50 100 200 500] [--merge EARLIER.json]
       [--out benchmarks/results/affinity_finetune.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rdkit import DataStructs
from rdkit.Chem import rdFingerprintGenerator
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import KFold
from sklearn.svm import SVR

from _report import emit_report  # benchmarks/ is the script's own directory
from biomedfm.affinity.finetune import FinetuneSettings, finetune, finetune_lite
from biomedfm.affinity.io import load_model
from biomedfm.chem.molecules import to_mol
from biomedfm.config import resolve_data_dir

_ECFP = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)


def ecfp(smiles: list[str]) -> list[Any]:
    return [_ECFP.GetFingerprint(to_mol(s)) for s in smiles]


def tanimoto(a: list[Any], b: list[Any]) -> np.ndarray:
    return np.array([DataStructs.BulkTanimotoSimilarity(x, b) for x in a])


def svm_predict(train_fp: list[Any], y: np.ndarray, test_fp: list[Any]) -> np.ndarray:
    kernel = tanimoto(train_fp, train_fp)
    best_c, best = 1.0, np.inf
    for c in (1.0, 5.0, 10.0):
        errors = []
        for tr, va in KFold(5, shuffle=True, random_state=0).split(kernel):
            model = SVR(kernel="precomputed", C=c).fit(kernel[np.ix_(tr, tr)], y[tr])
            errors.append(np.mean((model.predict(kernel[np.ix_(va, tr)]) - y[va]) ** 2))
        if np.mean(errors) < best:
            best_c, best = c, float(np.mean(errors))
    model = SVR(kernel="precomputed", C=best_c).fit(kernel, y)
    return np.asarray(model.predict(tanimoto(test_fp, train_fp)))


def rf_predict(train_fp: list[Any], y: np.ndarray, test_fp: list[Any]) -> np.ndarray:
    def bits(fps: list[Any]) -> np.ndarray:
        out = np.zeros((len(fps), 2048), dtype=np.uint8)
        for i, fp in enumerate(fps):
            DataStructs.ConvertToNumpyArray(fp, out[i])
        return out

    model = RandomForestRegressor(200, n_jobs=-1, random_state=0).fit(bits(train_fp), y)
    return np.asarray(model.predict(bits(test_fp)))


Fitted = tuple[np.ndarray, np.ndarray, float]


def finetune_predict(
    base: str,
    train: pd.DataFrame,
    test: pd.DataFrame,
    sequence: str,
    epochs: int,
    lite: bool = False,
) -> tuple[Fitted, np.ndarray, Fitted | None]:
    """(mean, σ, seconds) of the fine-tuned model on ``test``, its ensemble's mean alone, and
    with ``lite`` (mean, σ, seconds) of its distilled one-network student (seconds: the
    student's own training)."""
    frame = pd.DataFrame(
        {"smiles": train["smiles"], "sequence": sequence, "affinity": train["y"]}
    ).reset_index(drop=True)
    settings = FinetuneSettings(epochs=epochs)
    smiles, sequences = test["smiles"].tolist(), [sequence] * len(test)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        run = Path(folder) / "run"
        result = finetune(
            frame, run, base=base, target="p", target_sequence=sequence, settings=settings
        )
        seconds = time.perf_counter() - started
        model = load_model(result.model_dir)
        prediction = model.predict(smiles, sequences)
        model.kernel = None
        ensemble = model.predict(smiles, sequences).mean
        student = None
        if lite:
            started = time.perf_counter()
            lite_result = finetune_lite(
                frame, run, target="p", target_sequence=sequence, settings=settings
            )
            lite_seconds = time.perf_counter() - started
            small = load_model(lite_result.model_dir).predict(smiles, sequences)
            student = (small.mean, small.sigma, lite_seconds)
    return (prediction.mean, prediction.sigma, seconds), ensemble, student


def rmse(y: np.ndarray, p: np.ndarray) -> float:
    return round(float(np.sqrt(np.mean((y - p) ** 2))), 4) if len(y) else float("nan")


def read_datasets(directory: Path, names: list[str] | None) -> list[dict[str, str]]:
    with (directory / "targets.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r for r in rows if names is None or r["dataset"] in names]


def evaluate(
    directory: Path,
    target: dict[str, str],
    bases: list[str],
    size: int | None,
    epochs: int,
    lite: bool = False,
) -> dict[str, Any]:
    frame = pd.read_csv(directory / f"{target['dataset']}_train.csv")
    frame = frame.rename(columns={next(c for c in frame.columns if c.startswith("p")): "y"})
    order = np.random.default_rng(0).permutation(len(frame))
    cut = int(0.8 * len(frame))
    train, test = frame.iloc[order[:cut]], frame.iloc[order[cut:]]
    if size is not None:
        train = train.iloc[:size]
    y, cliff = test["y"].to_numpy(), test["cliff_mol"].to_numpy() == 1
    train_fp, test_fp = ecfp(train["smiles"].tolist()), ecfp(test["smiles"].tolist())
    predictions = {
        "svm": svm_predict(train_fp, train["y"].to_numpy(), test_fp),
        "rf": rf_predict(train_fp, train["y"].to_numpy(), test_fp),
    }
    report: dict[str, Any] = {"dataset": target["dataset"], "train": len(train), "test": len(test)}
    sequence = target["sequence"] or "X" * 32
    for base in bases:
        shipped, ensemble, student = finetune_predict(base, train, test, sequence, epochs, lite)
        predictions[f"finetune:{base}:ensemble"] = ensemble
        report[f"finetune:{base}_blend_gap"] = round(
            float(np.max(np.abs(shipped[0] - 0.5 * (ensemble + predictions["svm"])))), 4
        )
        for name, fitted in ((base, shipped), (f"{base}:lite", student)):
            if fitted is None:
                continue
            mean, sigma, seconds = fitted
            predictions[f"finetune:{name}"] = mean
            report[f"finetune:{name}_coverage90"] = round(
                float(np.mean(np.abs(y - mean) <= 1.6448536 * sigma)), 3
            )
            report[f"finetune:{name}_seconds"] = round(seconds, 1)
    for name, p in predictions.items():
        report[f"{name}_rmse"] = rmse(y, p)
        report[f"{name}_cliff_rmse"] = rmse(y[cliff], p[cliff])
    return report


def summarise(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Means over the datasets that have each measure (all of them once a run is complete)."""
    keys = dict.fromkeys(
        k for r in rows for k in r if k.endswith(("_rmse", "_coverage90", "_seconds"))
    )
    return {k: round(float(np.nanmean([r[k] for r in rows if k in r])), 4) for k in keys} | {
        "datasets": len(rows)
    }


def merge_rows(previous: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per dataset, the earlier run's measures with this run's added or replacing them (the
    inner split is seeded, so both runs scored the same compounds)."""
    merged = {r["dataset"]: _current_names(dict(r)) for r in previous}
    for row in new:
        merged.setdefault(row["dataset"], {}).update(row)
    return list(merged.values())


def _current_names(row: dict[str, Any]) -> dict[str, Any]:
    """A report from before ``affinity finetune`` shipped the kernel (2026-12-01) called the
    ensemble ``finetune:<base>`` and its average with ``svm`` ``blend:<base>+svm``; that
    average is what the product now predicts (``blend_gap`` 0 on every assay re-run, the
    fine-tune being seeded), so the names move to ``finetune:<base>:ensemble`` and
    ``finetune:<base>``. Rows without a blend keep their names."""
    blends = [k for k in row if k.startswith("blend:") and k.endswith("+svm_rmse")]
    for key in blends:
        base = key[len("blend:") : -len("+svm_rmse")]
        for suffix in ("_rmse", "_cliff_rmse"):
            row[f"finetune:{base}:ensemble{suffix}"] = row.pop(f"finetune:{base}{suffix}")
            row[f"finetune:{base}{suffix}"] = row.pop(f"blend:{base}+svm{suffix}")
        row.pop(f"finetune:{base}_coverage90", None)  # the ensemble's σ, not the product's
    return row


def wins(rows: list[dict[str, Any]], a: str, b: str) -> str:
    both = [r for r in rows if f"{a}_rmse" in r and f"{b}_rmse" in r]
    return f"{sum(r[f'{a}_rmse'] < r[f'{b}_rmse'] for r in both)}/{len(both)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--bases", nargs="+", default=["kiba", "davis", "scratch"])
    parser.add_argument("--curve", nargs="*", type=int, default=[])
    parser.add_argument("--epochs", type=int, default=FinetuneSettings().epochs)
    parser.add_argument(
        "--curve-only", action="store_true", help="only the --curve sizes, not the full assays"
    )
    parser.add_argument(
        "--lite",
        action="store_true",
        help="also distil each fine-tuned ensemble into its one-network lite student",
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        default=None,
        help="earlier reports: their per-dataset measures are kept, this run's added",
    )
    args = parser.parse_args()
    directory = resolve_data_dir(args.data_dir) / "moleculeace"
    targets = read_datasets(directory, args.datasets)
    report: dict[str, Any] = {
        "split": "inner 80/20 of each MoleculeACE train split (seed 0)",
        "published_test_means": {
            "svm_ecfp": [0.671, 0.751],
            "chemeleon": [0.666, 0.765],
            "acanet": [0.647, 0.732],
        },
    }
    rows = []
    for target in targets if not args.curve_only else []:
        rows.append(evaluate(directory, target, args.bases, None, args.epochs, args.lite))
        print(rows[-1], flush=True)
    for path in args.merge or []:  # this run wins over every file, the first file over later ones
        earlier = json.loads(path.read_text())
        rows = merge_rows(earlier.get("all", earlier).get("per_dataset", []), rows)
    kinase = {r["dataset"] for r in read_datasets(directory, None) if r["target_class"] == "Kinase"}
    report["all"] = {
        "mean": summarise(rows),
        "mean_kinase": summarise([r for r in rows if r["dataset"] in kinase]),
        "mean_nonkinase": summarise([r for r in rows if r["dataset"] not in kinase]),
        "wins": {
            f"{a} over {b}": wins(rows, a, b)
            for a, b in [
                ("finetune:encoder", "finetune:scratch"),
                ("finetune:encoder", "svm"),
                ("finetune:kiba", "finetune:scratch"),
                ("finetune:kiba", "svm"),
                ("finetune:encoder", "finetune:kiba"),
                ("finetune:kiba:lite", "svm"),
                ("finetune:kiba:lite", "finetune:kiba"),
                ("finetune:kiba:ensemble", "svm"),
                ("finetune:kiba", "finetune:kiba:ensemble"),
            ]
        },
        "per_dataset": rows,
    }
    for size in args.curve:
        curve = []
        for target in targets:
            curve.append(evaluate(directory, target, args.bases, size, args.epochs))
            print(size, curve[-1], flush=True)
        report[f"n{size}"] = {"mean": summarise(curve), "per_dataset": curve}
    emit_report(report, args.out)


if __name__ == "__main__":
    main()
