"""Can a per-class bias on the answer reader's readings buy macro-F1? Cross-fitted, no training.

The answer reader rarely answers ``maybe`` (11% of PubMedQA), which caps its macro-F1. This
adds a bias to each question's log-probabilities (yes fixed at 0; no and maybe on a grid),
chosen on the other folds of ``cross_fit.json`` for accuracy, macro-F1 or their sum, and
scores it on the held-out fold, so no question is answered with a bias chosen on it. The
in-sample best bias is reported too, as a ceiling.

Usage: python benchmarks/evidence_answer_bias.py READER_DIR [--data-dir D] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from _report import accuracy_and_macro_f1, emit_report, pubmedqa_records
from biomedfm.evidence.reader.answer import ANSWER_LABELS, CROSS_FIT_FILE

BIASES = [
    np.array([0.0, b_no, b_maybe])
    for b_no in np.round(np.arange(-1.0, 1.01, 0.1), 2)
    for b_maybe in np.round(np.arange(-1.0, 2.01, 0.1), 2)
]
OBJECTIVES = ("accuracy", "macro_f1", "sum")


def objective(scores: dict[str, float], name: str) -> float:
    return scores["accuracy"] + scores["macro_f1"] if name == "sum" else scores[name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("reader", type=Path, help="answer reader directory (with cross_fit.json)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    records = pubmedqa_records(args.data_dir)
    cross_fit = json.loads((args.reader / CROSS_FIT_FILE).read_text())
    ids = list(records)
    gold = np.array([ANSWER_LABELS.index(records[k]["final_decision"]) for k in ids])
    fold = np.array([int(cross_fit["fold"][k]) for k in ids])
    logp = np.log(np.array([cross_fit["probabilities"][k] for k in ids], dtype=np.float64))

    def scores(bias: np.ndarray, rows: np.ndarray) -> dict[str, float]:
        return accuracy_and_macro_f1(gold[rows], (logp[rows] + bias).argmax(axis=1))

    everything = np.arange(len(ids))
    report: dict[str, object] = {
        "questions": len(ids),
        "no_bias": scores(np.zeros(3), everything),
    }
    for name in OBJECTIVES:
        read = np.zeros(len(ids), dtype=np.int64)
        for k in sorted(set(fold.tolist())):
            inner, outer = np.where(fold != k)[0], np.where(fold == k)[0]
            bias = max(BIASES, key=lambda b: objective(scores(b, inner), name))
            read[outer] = (logp[outer] + bias).argmax(axis=1)
        report[f"cross_fitted_{name}"] = accuracy_and_macro_f1(gold, read)
    ceiling = max(BIASES, key=lambda b: objective(scores(b, everything), "sum"))
    report["in_sample_ceiling"] = {"bias": ceiling.tolist(), **scores(ceiling, everything)}
    emit_report(report, args.out)


if __name__ == "__main__":
    main()
