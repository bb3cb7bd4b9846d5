"""Does the answer reader improve the PubMedQA decision? Paired, on the same folds.

The 500 PubMedQA questions, each answered from its own abstract. Two decision models are
cross-fitted on identical stratified 5-fold splits (C chosen by inner CV, 3 repeats): the one
that shipped before the answer reader (wording + evidence-reader features), and the same with
the answer reader's out-of-fold probabilities (its cross-fit, ``evidence train-answer``).
Reported: accuracy and macro-F1 of each and of the answer reader alone, and McNemar's exact
test on the paired per-question correctness (each repeat), so a gain is shown, not assumed.

Usage: python benchmarks/evidence_decision_paired.py [--data-dir ../shared/data] [--reader DIR]
       [--answer DIR] [--out benchmarks/results/evidence_decision_paired.json]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from _report import emit_report, mcnemar_p  # benchmarks/ is the script's own directory
from biomedfm.config import resolve_data_dir
from biomedfm.evidence.decision import ANSWER_FEATURES, FEATURE_NAMES, LABELS
from biomedfm.evidence.decision_train import (
    cross_fitted_answers,
    featurize,
    fit,
    read_pubmedqa,
    select_c,
)
from biomedfm.evidence.reader import ANSWER_DIR


def cross_fitted(features: np.ndarray, labels: np.ndarray, seed: int) -> np.ndarray:
    predicted = np.empty(len(labels), dtype=object)
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(features, labels):
        model = fit(features[train], labels[train], select_c(features[train], labels[train], seed))
        predicted[test] = [LABELS[i] for i in model.probabilities(features[test]).argmax(axis=1)]
    return predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--reader", default=None)
    parser.add_argument("--answer", type=Path, default=ANSWER_DIR)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    path = resolve_data_dir(args.data_dir) / "pubmedqa" / "pqal_trainval.json"
    questions, sentences, labels = read_pubmedqa(path)
    answers = cross_fitted_answers(path, args.answer)
    features = featurize(questions, sentences, args.reader, answers=answers)
    previous = [i for i, name in enumerate(FEATURE_NAMES) if name not in ANSWER_FEATURES]
    alone = np.asarray([LABELS[i] for i in answers.argmax(axis=1)])
    report: dict[str, object] = {
        "questions": len(labels),
        "answer_reader_alone": {
            "accuracy": round(float(accuracy_score(labels, alone)), 3),
            "macro_f1": round(float(f1_score(labels, alone, average="macro")), 3),
        },
        "repeats": [],
    }
    for seed in range(args.repeats):
        before = cross_fitted(features[:, previous], labels, seed)
        after = cross_fitted(features, labels, seed)
        right_before, right_after = before == labels, after == labels
        only_after = int(np.sum(right_after & ~right_before))
        only_before = int(np.sum(right_before & ~right_after))
        p_value = mcnemar_p(only_after, only_before)
        report["repeats"].append(  # type: ignore[attr-defined]
            {
                "seed": seed,
                "before_answer_reader": {
                    "accuracy": round(float(accuracy_score(labels, before)), 3),
                    "macro_f1": round(float(f1_score(labels, before, average="macro")), 3),
                },
                "with_answer_reader": {
                    "accuracy": round(float(accuracy_score(labels, after)), 3),
                    "macro_f1": round(float(f1_score(labels, after, average="macro")), 3),
                    "predicted": {label: int(np.sum(after == label)) for label in LABELS},
                },
                "mcnemar": {
                    "only_with_answer_reader_right": only_after,
                    "only_before_right": only_before,
                    "p_value": p_value,
                },
            }
        )
    emit_report(report, args.out)


if __name__ == "__main__":
    main()
