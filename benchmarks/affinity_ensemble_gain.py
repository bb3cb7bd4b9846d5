"""How much the 5-member ensemble gains over one member, measured on a validation fold.

CV numbers in BENCHMARKS.md are per member (member k validated on fold k). The shipped main
models average 5 members, so this script trains 5 members on folds != K and scores fold K with
each member and with their average — the same architecture and epochs as the shipped model.

Usage: python benchmarks/affinity_ensemble_gain.py --dataset davis [--fold 0] [--epochs 200]
       [--preset main|lite] [--members 5] [--set key.path=json ...] [--out result.json]

With ``--set`` and ``--members 1`` it is also the quick screen for a variant (one validation
fold instead of the full 5-fold CV); the full CV of a winner is ``biomedfm affinity train``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from biomedfm.affinity.data import DATASETS, read_dta_dataset
from biomedfm.affinity.metrics import regression_report
from biomedfm.affinity.presets import resolve_config
from biomedfm.affinity.train import featurize_frame, fixed_split_fitter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="davis")
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--preset", default="main")
    parser.add_argument("--members", type=int, default=None, help="default: the preset's")
    parser.add_argument("--set", dest="settings", action="append", default=[])
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args()
    frame = read_dta_dataset(args.dataset, args.data_dir)
    settings = list(args.settings)
    if args.members is not None:
        settings.append(f"net.n_members={args.members}")
    config = resolve_config(args.preset, settings, epochs=args.epochs, device=args.device)
    features = featurize_frame(frame, config)
    train = np.flatnonzero(frame["fold"].to_numpy() != args.fold)
    val = np.flatnonzero(frame["fold"].to_numpy() == args.fold)
    members = config.net.n_members
    with tempfile.TemporaryDirectory() as tmp:
        fitter, (y_mean, y_std) = fixed_split_fitter(
            features, config, train, np.empty(0, dtype=np.int64), Path(tmp)
        )
        fitter.fit()
        preds = np.stack([fitter.member_outputs(m, val)[0] for m in range(members)])
    preds = preds * y_std + y_mean
    y = features.y[val]
    singles = [regression_report(y, p) for p in preds]
    result = {
        "dataset": args.dataset,
        "fold": args.fold,
        "epochs": args.epochs,
        "preset": args.preset,
        "settings": args.settings,
        "members": members,
        "member_mse_mean": float(np.mean([s["mse"] for s in singles])),
        "member_ci_mean": float(np.mean([s["ci"] for s in singles])),
        "ensemble": regression_report(y, preds.mean(axis=0)),
    }
    print(json.dumps(result, indent=2))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
