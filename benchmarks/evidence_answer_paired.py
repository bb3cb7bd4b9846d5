"""Two answer readers' cross-fitted readings of the 500 PubMedQA questions, paired.

Each reader directory holds ``cross_fit.json`` (``evidence train-answer`` writes it: every
question read by the fold reader that never saw it), so two training recipes are compared on
the same questions without training anything: accuracy and macro-F1 of each, per fold, and
McNemar's exact test on the questions only one of them gets right.

Usage: python benchmarks/evidence_answer_paired.py BEFORE_DIR AFTER_DIR [--data-dir D]
       [--out FILE]
"""

from __future__ import annotations

import json
from pathlib import Path

from _report import (
    accuracy_and_macro_f1,
    directory_arguments,
    emit_report,
    mcnemar_p,
    pubmedqa_records,
)
from biomedfm.evidence.reader.answer import ANSWER_LABELS, CROSS_FIT_FILE


def argmax_answers(directory: Path) -> tuple[dict[str, str], dict[str, int]]:
    """Each question's most probable answer and its fold, from a reader's cross-fit file."""
    cross_fit = json.loads((directory / CROSS_FIT_FILE).read_text())
    answers = {
        key: ANSWER_LABELS[max(range(3), key=lambda j: probabilities[j])]
        for key, probabilities in cross_fit["probabilities"].items()
    }
    return answers, {key: int(k) for key, k in cross_fit["fold"].items()}


def scores(gold: dict[str, str], answers: dict[str, str], keys: list[str]) -> dict[str, float]:
    return accuracy_and_macro_f1([gold[k] for k in keys], [answers[k] for k in keys])


def main() -> None:
    args = directory_arguments(
        __doc__,
        ("before", "answer reader directory (the reference)"),
        ("after", "answer reader directory (the candidate)"),
    )
    records = pubmedqa_records(args.data_dir)
    gold = {key: str(record["final_decision"]) for key, record in records.items()}
    before, folds = argmax_answers(args.before)
    after, after_folds = argmax_answers(args.after)
    if set(before) != set(after) or folds != after_folds:
        raise SystemExit("the two readers were not cross-fitted on the same questions and folds")
    keys = sorted(before, key=int)
    only_after = sum(after[k] == gold[k] != before[k] for k in keys)
    only_before = sum(before[k] == gold[k] != after[k] for k in keys)
    report = {
        "questions": len(keys),
        "before": {"reader": str(args.before), **scores(gold, before, keys)},
        "after": {"reader": str(args.after), **scores(gold, after, keys)},
        "per_fold": [
            {
                "fold": k,
                "before": scores(gold, before, [q for q in keys if folds[q] == k]),
                "after": scores(gold, after, [q for q in keys if folds[q] == k]),
            }
            for k in sorted(set(folds.values()))
        ],
        "mcnemar": {
            "after_right_only": only_after,
            "before_right_only": only_before,
            "p_value": mcnemar_p(only_after, only_before),
        },
    }
    emit_report(report, args.out)


if __name__ == "__main__":
    main()
