"""Can a per-class bias on the answer reader's readings buy macro-F1? Cross-fitted, no training.

The answer reader rarely answers ``maybe`` (11% of PubMedQA), which caps its macro-F1. This
adds a bias to each question's log-probabilities (yes fixed at 0; no and maybe on a grid),
chosen on the other folds of ``cross_fit.json`` for accuracy, macro-F1 or their sum, and
scores it on the held-out fold, so no question is answered with a bias chosen on it. The
in-sample best bias is reported too, as a ceiling.

Usage: python benchmarks/evidence_answer_bias.py READER_DIR [--data-dir D] [--out FILE]
"""

from __future__ import annotations

import numpy as np

from _report import (
    accuracy_and_macro_f1,
    cross_fitted,
    directory_arguments,
    emit_report,
    pubmedqa_records,
)

BIASES = [
    np.array([0.0, b_no, b_maybe])
    for b_no in np.round(np.arange(-1.0, 1.01, 0.1), 2)
    for b_maybe in np.round(np.arange(-1.0, 2.01, 0.1), 2)
]
OBJECTIVES = ("accuracy", "macro_f1", "sum")


def objective(scores: dict[str, float], name: str) -> float:
    return scores["accuracy"] + scores["macro_f1"] if name == "sum" else scores[name]


def main() -> None:
    args = directory_arguments(__doc__, ("reader", "answer reader directory (with cross_fit.json)"))
    readings = cross_fitted(args.reader, pubmedqa_records(args.data_dir))
    gold, fold, logp = readings.gold, readings.fold, np.log(readings.probabilities)

    def answers(bias: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return (logp[rows] + bias).argmax(axis=1)

    def scores(bias: np.ndarray, rows: np.ndarray) -> dict[str, float]:
        return accuracy_and_macro_f1(gold[rows], answers(bias, rows))

    everything = np.arange(len(gold))
    report: dict[str, object] = {
        "questions": len(gold),
        "no_bias": scores(np.zeros(3), everything),
    }
    for name in OBJECTIVES:
        read = np.zeros(len(gold), dtype=np.int64)
        for k in sorted(set(fold.tolist())):
            inner, outer = np.where(fold != k)[0], np.where(fold == k)[0]
            bias = max(BIASES, key=lambda b: objective(scores(b, inner), name))
            read[outer] = answers(bias, outer)
        report[f"cross_fitted_{name}"] = accuracy_and_macro_f1(gold, read)
    ceiling = max(BIASES, key=lambda b: objective(scores(b, everything), "sum"))
    report["in_sample_ceiling"] = {"bias": ceiling.tolist(), **scores(ceiling, everything)}
    emit_report(report, args.out)


if __name__ == "__main__":
    main()
