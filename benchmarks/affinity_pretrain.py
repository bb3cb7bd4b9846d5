"""Pretrain the drug encoder on MOSES molecules by RDKit-descriptor regression.

Samples ``--n`` molecules from the 1.58M MOSES library (seeded), computes their RDKit
descriptors in ``--jobs`` processes and their Morgan-count + MACCS features, both cached under
``--cache`` (a rerun reuses them), then fits the drug tower (the KIBA model's shape) to the
standardised descriptors, keeping the epoch with the lowest loss on a 2% validation split.
Reported: validation MSE in standardised units (1.0 = predicting each descriptor's mean) and the
share of descriptors with validation R² ≥ 0.5. ``--write`` saves the encoder where
``affinity finetune --from encoder`` finds it.

Usage: python benchmarks/affinity_pretrain.py [--n 300000] [--epochs 20] [--jobs 2] [--write]
       [--cache runs/pretrain] [--out benchmarks/results/affinity_pretrain.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from biomedfm.affinity.encoder import (
    DESCRIPTOR_NAMES,
    ENCODER_DIR,
    EncoderConfig,
    compute_descriptors,
    featurize,
    pretrain,
    save_encoder,
    standardise,
)
from biomedfm.config import resolve_data_dir


def load_library(data_dir: Path, n: int, seed: int) -> list[str]:
    frame = pd.read_csv(data_dir / "screening" / "moses_1.58M.csv.gz", usecols=["smiles"])
    rows = np.random.default_rng(seed).choice(len(frame), size=min(n, len(frame)), replace=False)
    return frame["smiles"].iloc[np.sort(rows)].tolist()


def cached(path: Path, compute: object) -> np.ndarray:
    if path.is_file():
        return np.load(path)
    value = compute()  # type: ignore[operator]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, value)
    return value


def per_descriptor_r2(
    net: torch.nn.Module, features: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    net.eval()
    with torch.inference_mode():
        pred = net(torch.from_numpy(features.astype(np.float32))).numpy()
    mask = ~np.isnan(targets)
    r2 = np.full(targets.shape[1], np.nan)
    for j in range(targets.shape[1]):
        y, p = targets[mask[:, j], j], pred[mask[:, j], j]
        if len(y) > 1 and y.var() > 1e-8:
            r2[j] = 1 - ((y - p) ** 2).mean() / y.var()
    return r2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--version", default="2026.12")
    parser.add_argument("--cache", type=Path, default=Path("runs/pretrain"))
    parser.add_argument("--write", action="store_true", help="save as the shipped encoder")
    parser.add_argument("--save-to", type=Path, default=None, help="save the encoder here")
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/results/affinity_pretrain.json")
    )
    args = parser.parse_args()
    torch.set_num_threads(args.jobs)

    data_dir = resolve_data_dir(args.data_dir)
    start = time.perf_counter()
    smiles = load_library(data_dir, args.n, args.seed)
    config = EncoderConfig(version=args.version)
    tag = f"moses_{len(smiles)}_seed{args.seed}"
    descriptors = cached(
        args.cache / f"{tag}_descriptors.npy",
        lambda: compute_descriptors(smiles, n_jobs=args.jobs),
    )
    descriptor_seconds = time.perf_counter() - start
    print(f"descriptors {descriptors.shape} in {descriptor_seconds:.0f} s", flush=True)
    features = cached(
        args.cache / f"{tag}_features.npy", lambda: featurize(smiles, config).astype(np.float16)
    )
    valid = ~np.isnan(descriptors).all(axis=1)
    features, descriptors = features[valid], descriptors[valid]
    targets, mean, std = standardise(descriptors)
    config.descriptor_mean, config.descriptor_std = mean.tolist(), std.tolist()
    print(f"features {features.shape} after {time.perf_counter() - start:.0f} s", flush=True)

    fit_start = time.perf_counter()
    result = pretrain(
        features,
        targets,
        config,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        log=lambda line: print(line, flush=True),
    )
    fit_seconds = time.perf_counter() - fit_start
    held = result.val_rows[:5000]  # validation molecules: never trained on
    r2 = per_descriptor_r2(result.net, features[held], targets[held])
    best = result.history[result.best_epoch - 1]
    config.training = {
        "library": "MOSES training set (1.58M), seeded sample",
        "molecules": len(features),
        "descriptors": len(DESCRIPTOR_NAMES),
        "epochs": args.epochs,
        "best_epoch": result.best_epoch,
        "val_mse": best["val"],
        "date": datetime.date.today().isoformat(),
    }
    report = {
        "molecules": len(features),
        "descriptors": len(DESCRIPTOR_NAMES),
        "descriptor_seconds": descriptor_seconds,
        "fit_seconds": fit_seconds,
        "best_epoch": result.best_epoch,
        "val_mse": best["val"],
        "median_r2": float(np.nanmedian(r2)),
        "share_r2_at_least_0.5": float(np.nanmean(r2 >= 0.5)),
        "worst_descriptors": sorted(
            ((DESCRIPTOR_NAMES[j], float(r2[j])) for j in np.flatnonzero(~np.isnan(r2))),
            key=lambda item: item[1],
        )[:10],
        "history": result.history,
        "command": "python benchmarks/affinity_pretrain.py "
        f"--n {args.n} --epochs {args.epochs} --jobs {args.jobs}",
    }
    target_dir = ENCODER_DIR if args.write else args.save_to
    if target_dir is not None:
        save_encoder(result.net, config, target_dir)
        report["saved_to"] = str(target_dir)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "history"}, indent=2))


if __name__ == "__main__":
    main()
