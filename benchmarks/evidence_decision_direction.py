"""Does the direction reader's reading of a study add to the decision model? Nested CV.

The shipped decision features (wording, evidence reader, the answer reader's out-of-fold
probabilities) against the same plus six read by the shipped direction reader where the
planner finds an intervention, an outcome and what the question claims of it (111 of the 500
PubMedQA questions): whether it read, the reported-weighted share of the claimed finding, of
no difference and of the opposite finding, and the largest claimed and no-difference
probabilities over the study's sentences. Both under `nested_cv` (C chosen inside each outer
fold, three repeats).

Usage: python benchmarks/evidence_decision_direction.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from biomedfm.config import resolve_data_dir
from biomedfm.evidence.agents.planner import plan
from biomedfm.evidence.agents.team import _comparison_query
from biomedfm.evidence.decision_train import (
    cross_fitted_answers,
    featurize,
    nested_cv,
    read_pubmedqa,
)
from biomedfm.evidence.reader import ANSWER_DIR, load_reader


def direction_features(questions: list[str], sentences: list[list[str]]) -> np.ndarray:
    """(n, 6) the direction reader's reading of each study against its question's claim."""
    reader = load_reader(None, "direction")
    rows = []
    for question, group in zip(questions, sentences, strict=True):
        pico = plan(question).pico
        if not (pico.intervention and pico.outcome and pico.effect and group):
            rows.append([0.0] * 6)
            continue
        found = reader.probabilities([_comparison_query(pico)] * len(group), group, "effect")
        increased, decreased, none = found[:, 0], found[:, 1], found[:, 2]
        reported = increased + decreased + none
        weights = reported / max(float(reported.sum()), 1e-9)
        if pico.effect == "increased":
            claimed, opposite = increased, decreased
        elif pico.effect == "decreased":
            claimed, opposite = decreased, increased
        else:
            claimed, opposite = increased + decreased, np.zeros_like(increased)
        rows.append(
            [
                1.0,
                float((weights * claimed).sum()),
                float((weights * none).sum()),
                float((weights * opposite).sum()),
                float(claimed.max()),
                float(none.max()),
            ]
        )
    return np.asarray(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    path = resolve_data_dir(args.data_dir) / "pubmedqa" / "pqal_trainval.json"
    questions, sentences, labels = read_pubmedqa(path)
    base = featurize(questions, sentences, answers=cross_fitted_answers(path, ANSWER_DIR))
    direction = direction_features(questions, sentences)
    report = {
        "questions_read_by_direction": int(direction[:, 0].sum()),
        "shipped_features": nested_cv(base, labels),
        "with_direction": nested_cv(np.hstack([base, direction]), labels),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
