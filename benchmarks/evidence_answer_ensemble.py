"""Answer readers trained with different seeds, averaged: does the average read PubMedQA better?

Each reader directory holds ``cross_fit.json`` (``evidence train-answer --seed S`` writes it;
the folds are the same whatever the seed). This writes the question-by-question mean of their
out-of-fold probabilities as ``OUT_DIR/cross_fit.json``, in the same format, so that

- ``python benchmarks/evidence_answer_paired.py FIRST_DIR OUT_DIR`` pairs the average with
  one reader (accuracy, macro-F1, per fold, McNemar), and
- ``biomedfm evidence train-decision --answer-reader OUT_DIR -o DIR`` reports the decision
  model's nested CV on the averaged readings,

with nothing trained again. How far the seeds disagree (argmax agreement, mean probability
difference) is printed too: it says how much of one reader's reading is its seed's.

Usage: python benchmarks/evidence_answer_ensemble.py DIR DIR [DIR ...] --out-dir OUT_DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from biomedfm.evidence.reader.answer import ANSWER_LABELS, CROSS_FIT_FILE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("readers", type=Path, nargs="+", help="answer reader directories")
    parser.add_argument("--out-dir", type=Path, required=True)
    args = parser.parse_args()
    if len(args.readers) < 2:
        raise SystemExit("give two or more reader directories")
    fits = [json.loads((d / CROSS_FIT_FILE).read_text()) for d in args.readers]
    first = fits[0]
    for directory, fit in zip(args.readers[1:], fits[1:], strict=True):
        if fit["fold"] != first["fold"] or fit["labels"] != list(ANSWER_LABELS):
            raise SystemExit(f"{directory} was not cross-fitted on the same questions and folds")
    keys = list(first["probabilities"])
    stacked = np.array([[fit["probabilities"][k] for k in keys] for fit in fits])  # (R, n, 3)
    mean = stacked.mean(axis=0)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / CROSS_FIT_FILE).write_text(
        json.dumps(
            {
                "labels": list(ANSWER_LABELS),
                "folds": first["folds"],
                "fold": first["fold"],
                "probabilities": {
                    k: [round(float(v), 5) for v in row] for k, row in zip(keys, mean, strict=True)
                },
                "averaged": [str(d) for d in args.readers],
            }
        )
        + "\n"
    )
    argmax = stacked.argmax(axis=2)
    agreement = float(np.mean(argmax == argmax[0]))
    print(
        json.dumps(
            {
                "readers": [str(d) for d in args.readers],
                "questions": len(keys),
                "argmax_agreement_with_first": round(agreement, 3),
                "mean_abs_probability_difference": round(
                    float(np.abs(stacked - stacked[0]).mean()), 4
                ),
                "written": str(args.out_dir / CROSS_FIT_FILE),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
