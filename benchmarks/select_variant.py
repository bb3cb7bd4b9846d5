"""Print the sweep variant with the lowest mean CV MSE (validation folds only).

Usage: python benchmarks/select_variant.py RUNS_DIR PREFIX  → prints the variant name.
Variants that did not finish have no cv_metrics.json and are skipped; 'base' when none did.
"""

import json
import sys
from pathlib import Path


def main() -> None:
    runs, prefix = Path(sys.argv[1]), sys.argv[2]
    scores = {}
    for metrics in sorted(runs.glob(f"{prefix}*/cv_metrics.json")):
        summary = json.loads(metrics.read_text())["summary"]
        scores[metrics.parent.name[len(prefix) :]] = summary["mse"]["mean"]
        print(f"{metrics.parent.name}: CV MSE {summary['mse']['mean']:.4f}", file=sys.stderr)
    print(min(scores, key=scores.__getitem__) if scores else "base")


if __name__ == "__main__":
    main()
