"""Per-epoch trace of one training member: the tool for chasing a training instability.

Trains one member of a preset on the folds other than ``--fold`` and prints one JSON line per
epoch: training loss, validation MSE (standardised units), the member's prediction spread on
validation pairs, the smallest and median predicted log-variance, and the per-step gradient norm
(median, 99th percentile, max) before any clipping. Commit 7bd7e41 used it to size ``grad_clip``
and to try to reproduce, on the CPU, a member collapse seen on the H100 (BENCHMARKS.md).

Usage: python benchmarks/affinity_training_trace.py --dataset kiba [--fold 0] [--epochs 100]
       [--preset main] [--set key.path=json ...] [--device cpu] [--out trace.jsonl]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from biomedfm.affinity.data import DATASETS, read_dta_dataset
from biomedfm.affinity.presets import resolve_config
from biomedfm.affinity.train import featurize_frame, fixed_split_fitter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="davis")
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--preset", default="main")
    parser.add_argument("--set", dest="settings", action="append", default=[])
    parser.add_argument("--out", type=Path, default=None, help="also append the lines here")
    args = parser.parse_args()
    frame = read_dta_dataset(args.dataset, args.data_dir)
    settings = [*args.settings, "net.n_members=1"]
    config = resolve_config(args.preset, settings, epochs=args.epochs, device=args.device)
    features = featurize_frame(frame, config)
    folds = frame["fold"].to_numpy()
    train, val = np.flatnonzero(folds != args.fold), np.flatnonzero(folds == args.fold)
    probe = np.random.default_rng(0).choice(val, size=min(4096, len(val)), replace=False)
    norms: list[float] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        fitter, _ = fixed_split_fitter(features, config, train, val, Path(tmp))
        # Norms before any clipping: read where the clip would act, or before the step.
        if config.grad_clip is None:
            step = fitter.optimizer.step

            def traced_step(*step_args: Any, **step_kwargs: Any) -> Any:
                norms.append(float(fitter.member_gradient_norms()[0]))
                return step(*step_args, **step_kwargs)

            fitter.optimizer.step = traced_step  # type: ignore[method-assign]
        else:
            clip = fitter._clip_member_gradients

            def traced_clip(max_norm: float) -> None:
                norms.append(float(fitter.member_gradient_norms()[0]))
                clip(max_norm)

            fitter._clip_member_gradients = traced_clip  # type: ignore[method-assign]

        def progress(stage: str, epoch: int, total: int, info: dict[str, float]) -> None:
            mean, log_var = fitter.member_outputs(0, probe)  # a fixed random 4,096
            recent = np.array(norms[-fitter.steps_per_epoch :])
            line = {
                "epoch": epoch,
                "seconds": round(time.monotonic() - started),
                "train_loss": round(info["train_loss"], 4),
                "val_mse_std_units": round(info["val_mse_0"], 4),
                "val_spread": round(float(mean.std()), 4),
                "log_var_min": round(float(log_var.min()), 2),
                "log_var_median": round(float(np.median(log_var)), 2),
                "grad_norm_p50": round(float(np.median(recent)), 3),
                "grad_norm_p99": round(float(np.quantile(recent, 0.99)), 3),
                "grad_norm_max": round(float(recent.max()), 3),
            }
            text = json.dumps(line)
            print(text, flush=True)
            if args.out is not None:
                with args.out.open("a") as handle:
                    handle.write(text + "\n")

        print(json.dumps({"settings": settings, "grad_clip": config.grad_clip}), flush=True)
        fitter.fit(progress)


if __name__ == "__main__":
    main()
