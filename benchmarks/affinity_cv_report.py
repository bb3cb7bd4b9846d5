"""Markdown table of the cross-validation metrics of training runs (their cv_metrics.json).

Usage: python benchmarks/affinity_cv_report.py RUN_DIR_OR_JSON [...]
(e.g. benchmarks/results/affinity_cv/*.json, the copies kept from the shipped runs)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    print("| run | split | MSE | CI | rm² | Pearson | Spearman | 90% coverage |")
    print("|---|---|---|---|---|---|---|---|")
    for run in map(Path, sys.argv[1:]):
        path = run if run.suffix == ".json" else run / "cv_metrics.json"
        metrics = json.loads(path.read_text())
        if "summary" not in metrics:  # e.g. an ensemble-gain result kept beside the CV files
            print(f"skipped {path}: not a cv_metrics.json", file=sys.stderr)
            continue
        s = metrics["summary"]
        cells = [
            f"{s[k]['mean']:.3f} ± {s[k]['sd']:.3f}"
            for k in ("mse", "ci", "rm2", "pearson", "spearman")
        ]
        name = run.stem if run.suffix == ".json" else run.name
        print(
            f"| {name} | {metrics['split']} | {' | '.join(cells)} | "
            f"{metrics['coverage90_mean']:.3f} |"
        )


if __name__ == "__main__":
    main()
