"""The yes / no / maybe decision model, trained by us on the PubMedQA questions.

Transparent on purpose: about 70 named features of how the evidence is worded — (non-)
significance, (no) difference or association, negation, hedging, p-values below or above 0.05,
effect sizes — each counted over all sentences, weighted by the sentence's MiniLM similarity to
the question, weighted towards the end of the abstract (where results sit), and in the last
sentences; plus the question's own form (negated, "or", "is it worth/safe/effective ..."); plus
what the trained evidence reader (:mod:`biomedfm.evidence.reader`) makes of each sentence against
the question's proposition (how strongly and where it supports or contradicts it, and whether
anything addresses it at all); plus the answer reader's yes / no / maybe reading of the end of
the study (:mod:`biomedfm.evidence.reader.answer`), the strongest single signal. A multinomial
logistic regression turns them into probabilities.
It needs no LLM; with one, the LLM's reading of the verified quotes takes precedence.

Weights ship as ``model.safetensors`` + ``config.json`` (labels, feature names, scaler, CV
metrics); loading never unpickles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from biomedfm.linear_io import load_linear, save_linear

LABELS = ("yes", "no", "maybe")
SHIPPED_DIR = Path(__file__).parent / "models" / "decision"

_EVIDENCE_CUES = {
    "no_significance": r"\bno (?:statistically )?significant|\bnot (?:statistically )?significant"
    r"|\bnon-?significant|\bnot significantly|\bwithout (?:a )?significant",
    "no_difference": r"\bno (?:significant )?differences?|\bdid not differ|\bsimilar\b"
    r"|\bcomparable\b|\bnot differ|\bequivalent\b|\bno change",
    "no_association": r"\bnot associated|\bno (?:significant )?(?:association|correlation|"
    r"relationship)|\bunrelated\b|\bindependent of\b|\bnot correlated|\bnot predict",
    "negation": r"\bdid not\b|\bdoes not\b|\bdo not\b|\bwas not\b|\bwere not\b|\bfailed to\b"
    r"|\bno evidence\b|\bneither\b|\bnor\b|\bcannot\b|\bnot\b",
    "significance": r"\bsignificant(?:ly)?\b",
    "association": r"\bassociated with\b|\bcorrelated\b|\bpredict(?:ed|s|or|ive)\b"
    r"|\brisk factor\b|\bindependent(?:ly)? (?:predictor|risk|associated)",
    "direction": r"\bimproved\b|\breduced\b|\bincreased\b|\bdecreased\b|\bhigher\b|\blower\b"
    r"|\bbetter\b|\bworse\b|\bgreater\b",
    "hedging": r"\bmay\b|\bmight\b|\bpossibl|\bunclear\b|\btrend\b|\bmarginal|\bborderline"
    r"|\bhowever\b|\balthough\b|\bbut\b|\blimited\b",
    "p_below_05": r"p\s*[<≤]\s*0?\.0[0-5]|p\s*=\s*0?\.0[0-4]\d*|p\s*<\s*0?\.001",
    "p_above_05": r"p\s*[>≥]\s*0?\.0?5|p\s*=\s*0?\.(?:0[5-9]|[1-9])\d*|\bns\b|\bn\.s\.",
    "confidence_interval": r"\b95\s*%\s*c",
    "effect_size": r"\bodds ratio|\bhazard ratio|\brelative risk|\bOR\b|\bHR\b|\bRR\b",
}
_QUESTION_CUES = {
    "q_negated": r"\bnot\b|n't\b|\bno\b|\bwithout\b",
    "q_is": r"^(?:is|are|was|were)\b",
    "q_do": r"^(?:do|does|did)\b",
    "q_modal": r"^(?:can|could|should|will|would|may)\b",
    "q_or": r"\bor\b",
    "q_worth": r"\bworth|\bjustified|\bnecessary|\bneeded|\buseful|\breliable|\bsafe\b"
    r"|\beffective|\baccurate",
    "q_association": r"\bassociat|\brelat|\bcorrelat|\bpredict|\brisk",
    "q_comparison": r"\bdiffer|\bcompar|\bbetter|\bsuperior|\bmore\b|\bless\b",
}
_EVIDENCE_RE = {name: re.compile(p, re.IGNORECASE) for name, p in _EVIDENCE_CUES.items()}
_QUESTION_RE = {name: re.compile(p, re.IGNORECASE) for name, p in _QUESTION_CUES.items()}
_AGGREGATES = (
    "log_count",
    "relevance_weighted",
    "position_weighted",
    "in_last_sentence",
    "in_last_3",
)

READER_FEATURES = (
    "reader:max_supports",
    "reader:max_contradicts",
    "reader:weighted_supports",
    "reader:weighted_contradicts",
    "reader:last_3_supports",
    "reader:last_3_contradicts",
    "reader:log_relevant",
    "reader:max_relevance",
)
ANSWER_FEATURES = ("answer:p_yes", "answer:p_no", "answer:p_maybe")
FEATURE_NAMES = tuple(
    [f"{cue}:{how}" for cue in _EVIDENCE_CUES for how in _AGGREGATES]
    + list(_QUESTION_CUES)
    + ["max_relevance", "mean_relevance", "log_sentences", "log_characters"]
    + list(READER_FEATURES)
    + list(ANSWER_FEATURES)
)
# Where the answer reader has not read the study (no sentences), its features say "maybe".
NO_ANSWER = np.array([0.0, 0.0, 1.0])
_AUXILIARY = re.compile(
    r"^(?:does|do|did|is|are|was|were|can|could|should|will|would|has|have|may)\s+",
    re.IGNORECASE,
)


def proposition(question: str) -> str:
    """The yes/no question as the statement it tests ("Does X reduce Y?" → "X reduce Y").

    This is the claim the evidence reader judges each sentence against.
    """
    statement = _AUXILIARY.sub("", question.strip()).rstrip(" ?")
    return statement[:1].upper() + statement[1:]


def reader_features(stances: np.ndarray) -> list[float]:
    """Aggregates of the reader's (n, 3) supports/contradicts/neutral probabilities."""
    if len(stances) == 0:
        return [0.0] * len(READER_FEATURES)
    supports, contradicts = stances[:, 0], stances[:, 1]
    relevance = 1.0 - stances[:, 2]
    weights = relevance / max(float(relevance.sum()), 1e-9)
    return [
        float(supports.max()),
        float(contradicts.max()),
        float((weights * supports).sum()),
        float((weights * contradicts).sum()),
        float(supports[-3:].mean()),
        float(contradicts[-3:].mean()),
        float(np.log1p((relevance >= 0.5).sum())),
        float(relevance.max()),
    ]


def decision_features(
    question: str,
    sentences: list[str],
    sentence_vectors: np.ndarray,
    question_vector: np.ndarray,
    stances: np.ndarray,
    answer: np.ndarray,
) -> np.ndarray:
    """Features (len(FEATURE_NAMES),) of a question and the evidence sentences, in text order.

    Args:
        sentence_vectors: (n, 384) normalised MiniLM embeddings of ``sentences``.
        question_vector: (384,) normalised embedding of the question.
        stances: (n, 3) the reader's supports/contradicts/neutral probabilities of each
            sentence against :func:`proposition` of the question.
        answer: (3,) the answer reader's yes / no / maybe probabilities of the sentences'
            last passage (:func:`biomedfm.evidence.reader.answer.answer_passage`).
    """
    n = len(sentences)
    if n == 0:
        empty = np.zeros(len(FEATURE_NAMES), dtype=np.float64)
        empty[-len(ANSWER_FEATURES) :] = NO_ANSWER
        return empty
    relevance = sentence_vectors @ question_vector
    weights = np.exp(8.0 * (relevance - relevance.max()))
    weights /= weights.sum()
    position = np.arange(n) / max(n - 1, 1)
    features: list[float] = []
    for pattern in _EVIDENCE_RE.values():
        hits = np.array([len(pattern.findall(s)) for s in sentences], dtype=np.float64)
        features += [
            float(np.log1p(hits.sum())),
            float((hits * weights).sum()),
            float((hits * position).sum() / max(position.sum(), 1e-9)),
            float(np.log1p(hits[-1])),
            float((hits[-3:] > 0).any()),
        ]
    features += [float(len(pattern.findall(question))) for pattern in _QUESTION_RE.values()]
    features += [
        float(relevance.max()),
        float(relevance.mean()),
        float(np.log1p(n)),
        float(np.log1p(sum(len(s) for s in sentences))),
    ]
    features += reader_features(stances)
    features += [float(v) for v in answer]
    return np.asarray(features, dtype=np.float64)


@dataclass
class DecisionModel:
    """Standardised features → multinomial logistic regression over :data:`LABELS`."""

    coef: np.ndarray  # (3, n_features)
    intercept: np.ndarray  # (3,)
    mean: np.ndarray  # (n_features,)
    scale: np.ndarray  # (n_features,)
    metadata: dict[str, Any]

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(n, n_features) or (n_features,) → (n, 3) probabilities in :data:`LABELS` order."""
        x = (np.atleast_2d(features) - self.mean) / self.scale
        logits = x @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return np.asarray(p / p.sum(axis=1, keepdims=True))

    def decide(self, features: np.ndarray) -> tuple[str, float]:
        """The most probable label and its probability."""
        p = self.probabilities(features)[0]
        best = int(p.argmax())
        return LABELS[best], float(p[best])

    def save(self, directory: Path) -> None:
        arrays = {"coef": self.coef, "intercept": self.intercept, "mean": self.mean}
        save_linear(
            directory,
            {**arrays, "scale": self.scale},
            {"labels": list(LABELS), "features": list(FEATURE_NAMES), **self.metadata},
        )

    @classmethod
    def load(cls, directory: Path) -> DecisionModel:
        arrays, metadata = load_linear(
            directory,
            {"features": list(FEATURE_NAMES), "labels": list(LABELS)},
            "decision model",
            "biomedfm evidence train-decision",
        )
        return cls(**arrays, metadata=metadata)


@lru_cache(maxsize=1)
def shipped_decision_model() -> DecisionModel | None:
    """The shipped model, or None when the package was built without it."""
    if not (SHIPPED_DIR / "model.safetensors").is_file():
        return None
    return DecisionModel.load(SHIPPED_DIR)
