"""Print the sweep variant with the best mean CV score (validation folds only).

Usage: python benchmarks/select_variant.py RUNS_DIR PREFIX [--baseline MSE]
           [--by ci --baseline-ci CI]
→ prints the variant name. Variants that did not finish have no cv_metrics.json and are
skipped; ``--baseline`` enters the currently shipped model's recorded CV MSE as 'base', which
is also the answer when no variant finished.

``--by mse`` (default): the lowest CV MSE wins, and must beat 'base' by ``--min-gain``
(relative, default 1%) to replace it: smaller gaps are fold noise, and a tie keeps the model
whose lite is already distilled and measured.
``--by ci`` (for a model whose MSE is good enough and whose CI is not): the highest CV CI
among variants whose CV MSE is at most 1% above the baseline's wins, and must beat
``--baseline-ci`` by ``--min-ci-gain`` (absolute, default 0.003: about one fold sd).
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
    parser.add_argument("--by", choices=("mse", "ci"), default="mse")
    parser.add_argument("--baseline-ci", type=float, default=None)
    parser.add_argument("--min-ci-gain", type=float, default=0.003)
    args = parser.parse_args()
    if args.by == "ci" and (args.baseline is None or args.baseline_ci is None):
        parser.error("--by ci needs --baseline MSE and --baseline-ci CI")
    scores = {} if args.baseline is None else {"base": (args.baseline, args.baseline_ci or 0.0)}
    for metrics in sorted(args.runs.glob(f"{args.prefix}*/cv_metrics.json")):
        variant = metrics.parent.name[len(args.prefix) :]
        if "-" in variant or "lite" in variant:  # another stage's run (lite, cold splits)
            continue
        summary = json.loads(metrics.read_text())["summary"]
        scores[variant] = (summary["mse"]["mean"], summary["ci"]["mean"])
    for name, (mse, ci) in sorted(scores.items(), key=lambda item: item[1]):
        print(f"{args.prefix}{name}: CV MSE {mse:.4f} CI {ci:.4f}", file=sys.stderr)
    if not scores:
        print("base")
        return
    if args.by == "mse":
        best = min(scores, key=lambda name: scores[name][0])
        if args.baseline is not None and scores[best][0] > args.baseline * (1 - args.min_gain):
            best = "base"
    else:
        allowed = [n for n, (mse, _) in scores.items() if mse <= args.baseline * 1.01]
        best = max(allowed, key=lambda name: scores[name][1])
        if scores[best][1] < args.baseline_ci + args.min_ci_gain:
            best = "base"
    print(best)


if __name__ == "__main__":
    main()
