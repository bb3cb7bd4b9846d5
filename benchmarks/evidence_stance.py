"""Stance (supports / contradicts / neutral) of the evidence reader against the baselines.

Sets (built by `biomedfm.evidence.reader.data.build_reader_data`, the reader's own validation
pairs, never trained on): COVID-Fact dev + neutrals, Evidence Inference validation-trial
claims + neutrals, the same trials' results for another outcome of the same arms against a
claim about this outcome (all neutral: `other_outcome_pairs`), and SciFact + neutrals — SciFact
is a *cross-source* set: no SciFact pair is
in the reader's training data, and it is the closest public set to the held-back benchmark
(health claims against scientific abstracts).

Baselines in the same run:
- majority class of each set;
- the regular expression the agent team used before the reader ("significant" → supports,
  "no significant" → contradicts, neither → neutral);
- a model trained from scratch on the same training pairs (TF-IDF of claim, evidence and
  their shared words → logistic regression), i.e. the reader's data without pretraining.

Usage: python benchmarks/evidence_stance.py [--data-dir ../shared/data] [--reader DIR]
       [--out benchmarks/results/evidence_stance.json]
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from _report import emit_report  # benchmarks/ is the script's own directory
from biomedfm.config import resolve_data_dir
from biomedfm.evidence.reader import load_reader
from biomedfm.evidence.reader.data import Pair, build_reader_data
from biomedfm.evidence.reader.model import STANCE_LABELS

_NO_EFFECT = re.compile(  # the team's rule before the reader, kept here as the baseline
    r"\bno (?:statistically )?significant|\bnot (?:statistically )?significant|\bdid not\b|"
    r"\bdoes not\b|\bdo not\b|\bno (?:significant )?difference|\bnot associated|"
    r"\bno (?:significant )?association|\bno evidence|\bfailed to\b|\bwas not\b|\bwere not\b|"
    r"\bno (?:significant )?(?:effect|correlation|benefit|improvement)|\bunrelated\b|"
    r"\bcomparable\b|\bsimilar\b",
    re.IGNORECASE,
)
_EFFECT = re.compile(
    r"\bsignificant(?:ly)?\b|\bassociated with\b|\bimproved\b|\beffective\b|\bpredict(?:ed|s|or)"
    r"\b|\breduced\b|\bincreased\b|\bdecreased\b|\bhigher\b|\blower\b|\bcorrelated\b|"
    r"\bbenefit(?:ed|s)?\b|\bbetter\b|\bworse\b|\brisk factor\b",
    re.IGNORECASE,
)


def regex_stance(evidence: str) -> str:
    if _NO_EFFECT.search(evidence):
        return "contradicts"
    return "supports" if _EFFECT.search(evidence) else "neutral"


def scores(truth: list[str], predicted: list[str]) -> dict[str, object]:
    labels = list(STANCE_LABELS)
    return {
        "macro_f1": round(float(f1_score(truth, predicted, labels=labels, average="macro")), 3),
        "accuracy": round(
            float(np.mean([a == b for a, b in zip(truth, predicted, strict=True)])), 3
        ),
        "per_class_f1": dict(
            zip(
                labels,
                (
                    round(float(v), 3)
                    for v in f1_score(truth, predicted, labels=labels, average=None)
                ),
                strict=True,
            )
        ),
    }


class ScratchModel:
    """TF-IDF (claim, evidence, shared words) → logistic regression, no pretraining."""

    def __init__(self, pairs: list[Pair]) -> None:
        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        self.vectorizer.fit([p.first for p in pairs] + [p.second for p in pairs])
        self.model = LogisticRegression(C=3.0, max_iter=3000)
        self.model.fit(self._features(pairs), [p.label for p in pairs])

    def _features(self, pairs: list[Pair]) -> object:
        claims = self.vectorizer.transform([p.first for p in pairs])
        evidence = self.vectorizer.transform([p.second for p in pairs])
        return hstack([claims, evidence, claims.multiply(evidence)]).tocsr()

    def predict(self, pairs: list[Pair]) -> list[str]:
        return [str(x) for x in self.model.predict(self._features(pairs))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--reader", default=None, help="Reader directory (default: shipped).")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    data = build_reader_data(resolve_data_dir(args.data_dir), other_outcomes=True)
    reader = load_reader(args.reader)
    scratch = ScratchModel(data.stance_train)
    sets = {
        "covidfact_dev": [p for p in data.stance_validation if p.source.startswith("covidfact")],
        "evidence_inference_validation": [
            p
            for p in data.stance_validation
            if not p.source.startswith("covidfact") and p.source != "ei-other-outcome"
        ],
        "evidence_inference_other_outcome": [
            p for p in data.stance_validation if p.source == "ei-other-outcome"
        ],
        "scifact_cross_source": data.stance_cross_source,
    }
    report: dict[str, object] = {"reader": reader.config.version, "sets": {}}
    for name, pairs in sets.items():
        truth = [p.label for p in pairs]
        majority = max(set(truth), key=truth.count)
        started = time.perf_counter()
        p = reader.probabilities([x.first for x in pairs], [x.second for x in pairs], "stance")
        seconds = time.perf_counter() - started
        report["sets"][name] = {  # type: ignore[index]
            "pairs": len(pairs),
            "labels": {label: truth.count(label) for label in STANCE_LABELS},
            "reader": scores(truth, [STANCE_LABELS[i] for i in p.argmax(1)]),
            "from_scratch_tfidf_logreg": scores(truth, scratch.predict(pairs)),
            "regex": scores(truth, [regex_stance(x.second) for x in pairs]),
            "majority": scores(truth, [majority] * len(truth)),
            "reader_pairs_per_second": round(len(pairs) / seconds, 1),
        }
    emit_report(report, args.out)


if __name__ == "__main__":
    main()
