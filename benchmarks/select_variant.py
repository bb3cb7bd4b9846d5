"""Print the sweep variant with the lowest mean CV MSE (validation folds only).

Usage: python benchmarks/select_variant.py RUNS_DIR PREFIX [--baseline MSE]
→ prints the variant name. Variants that did not finish have no cv_metrics.json and are
skipped; ``--baseline`` enters the currently shipped model's recorded CV MSE as 'base', which
is also the answer when no variant finished. A variant must beat 'base' by ``--min-gain``
(relative, default 1%) to replace it: smaller gaps are fold noise, and a tie keeps the model
whose lite is already distilled and measured.
"""

import argparse
import json
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", type=Path)
    parser.add_argument("prefix")
    parser.add_argument("--baseline", type=float, default=None)
    parser.add_argument("--min-gain", type=float, default=0.01)
    args = parser.parse_args()
    scores = {} if args.baseline is None else {"base": args.baseline}
    for metrics in sorted(args.runs.glob(f"{args.prefix}*/cv_metrics.json")):
        variant = metrics.parent.name[len(args.prefix) :]
        if "-" in variant or "lite" in variant:  # another stage's run (lite, cold splits)
            continue
        summary = json.loads(metrics.read_text())["summary"]
        scores[variant] = summary["mse"]["mean"]
    for name, mse in sorted(scores.items(), key=lambda item: item[1]):
        print(f"{args.prefix}{name}: CV MSE {mse:.4f}", file=sys.stderr)
    best = min(scores, key=scores.__getitem__) if scores else "base"
    if args.baseline is not None and scores[best] > args.baseline * (1 - args.min_gain):
        best = "base"
    print(best)


if __name__ == "__main__":
    main()
