"""Cost of one epoch's validation in a KIBA CV run: per-pair forward passes (before commit befa66a)
against scoring from per-chunk cached encodings (``EnsembleFitter.validation_mse`` now).

Five main-preset members (1,024 Morgan bits), untrained, on the five given folds; the two must
agree. Usage: python benchmarks/affinity_validation_speed.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from biomedfm.affinity.data import read_dta_dataset
from biomedfm.affinity.nn import AffinityNet
from biomedfm.affinity.presets import resolve_config
from biomedfm.affinity.splits import SPLITTERS
from biomedfm.affinity.train import EnsembleFitter, featurize_frame
from biomedfm.config import resolve_data_dir


def per_pair_validation(fitter: EnsembleFitter, folds: list[np.ndarray]) -> dict[int, float]:
    """The old way: every member runs on every pair of each fold; member m's row is kept."""
    fitter.net.eval()
    labels = fitter.labels.numpy()
    out = {}
    with torch.inference_mode():
        for member, val in enumerate(folds):
            means = []
            for start in range(0, len(val), 8192):
                index = torch.as_tensor(val[start : start + 8192])
                mean, _ = fitter.net(
                    fitter.drug_x[fitter.drug_index[index]],
                    fitter.protein_x[fitter.protein_index[index]],
                )
                means.append(mean[member])
            out[member] = float(((torch.cat(means).numpy() - labels[val]) ** 2).mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    frame = read_dta_dataset("kiba", resolve_data_dir(args.data_dir))
    config = resolve_config("main", ["drug_featurizer.n_bits=1024", "net.dropout=0.2"])
    features = featurize_frame(frame, config)
    folds = SPLITTERS["given"](frame, n_folds=5, seed=0)
    labels = (features.y - features.y.mean()) / features.y.std()
    with tempfile.TemporaryDirectory() as tmp:
        fitter = EnsembleFitter(
            AffinityNet(features.sized(config.net)),
            features,
            np.repeat(labels[None], 5, axis=0),
            labels,
            [train for train, _ in folds],
            [val for _, val in folds],
            config,
            Path(tmp),
        )
        fitter.validation_mse()  # warm-up
        started = time.perf_counter()
        cached = fitter.validation_mse()
        cached_s = time.perf_counter() - started
        started = time.perf_counter()
        per_pair = per_pair_validation(fitter, [val for _, val in folds])
        per_pair_s = time.perf_counter() - started
    difference = max(abs(per_pair[m] - cached[f"val_mse_{m}"]) for m in per_pair)
    result = {
        "threads": torch.get_num_threads(),
        "per_pair_s": round(per_pair_s, 2),
        "cached_s": round(cached_s, 2),
        "speedup": round(per_pair_s / cached_s, 1),
        "max_mse_difference": difference,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
