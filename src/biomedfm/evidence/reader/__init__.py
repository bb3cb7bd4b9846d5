"""The evidence reader: stance of evidence sentences and trial findings, read by a trained model.

``read_stance`` answers "does this sentence support, contradict or not address this claim";
``read_effect`` answers "what did this trial find for this intervention, comparator and outcome,
and which sentence says so". Both use the shipped reader (``models/reader``) unless given one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from biomedfm.errors import InputError
from biomedfm.evidence.reader.model import (
    EFFECT_LABELS,
    STANCE_LABELS,
    EvidenceReaderModel,
    effect_query,
)
from biomedfm.evidence.reader.prefilter import rank_sentences
from biomedfm.evidence.reader.trial import TrialText

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "models" / "reader"
DIRECTION_DIR = Path(__file__).resolve().parent.parent / "models" / "reader-direction"
ANSWER_DIR = Path(__file__).resolve().parent.parent / "models" / "reader-answer"
OUTCOME_DIR = Path(__file__).resolve().parent.parent / "models" / "reader-outcome"
MAX_CLAIM_CHARS = 2000
MAX_EVIDENCE_CHARS = 20_000
MAX_TRIAL_CHARS = 2_000_000
CANDIDATE_SENTENCES = 24
RANK_DISCOUNT = 6.0

__all__ = [
    "EFFECT_LABELS",
    "STANCE_LABELS",
    "EffectFinding",
    "StanceReading",
    "check_stance_pair",
    "load_reader",
    "read_effect",
    "read_stance",
    "shipped_reader",
]


@lru_cache(maxsize=1)
def shipped_reader() -> EvidenceReaderModel:
    """The reader that ships with the package (loaded once per process)."""
    return _shipped(SHIPPED_DIR, "an evidence reader", "'biomedfm evidence train-reader'")


@lru_cache(maxsize=1)
def shipped_direction_reader() -> EvidenceReaderModel:
    """The direction reader that ships with the package (see ``reader/direction.py``)."""
    return _shipped(DIRECTION_DIR, "a direction reader", "'biomedfm evidence train-direction'")


@lru_cache(maxsize=1)
def shipped_answer_reader() -> EvidenceReaderModel:
    """The answer reader that ships with the package (see ``reader/answer.py``)."""
    return _shipped(ANSWER_DIR, "an answer reader", "'biomedfm evidence train-answer'")


@lru_cache(maxsize=1)
def shipped_outcome_reader() -> EvidenceReaderModel:
    """The outcome reader that ships with the package: a direction reader whose
    ``not_reported`` class learned other outcomes' findings (``train-direction
    --other-outcomes``); the team's corpus gate asks it whether a study reports the outcome."""
    return _shipped(
        OUTCOME_DIR, "an outcome reader", "'biomedfm evidence train-direction --other-outcomes'"
    )


def _shipped(directory: Path, what: str, command: str) -> EvidenceReaderModel:
    if not (directory / "model.safetensors").is_file():
        raise InputError(
            f"the package has no {what} at {directory}; train one with {command} and pass "
            "its directory"
        )
    return EvidenceReaderModel.load(directory)


def load_reader(
    reader: EvidenceReaderModel | Path | str | None = None, role: str = "reader"
) -> EvidenceReaderModel:
    """``None``/"shipped" → the shipped reader (``role`` "direction", "outcome" or "answer":
    the shipped direction, outcome or answer reader); a directory → that reader; a model →
    itself."""
    if reader is None or reader == "shipped":
        shipped = {
            "answer": shipped_answer_reader,
            "direction": shipped_direction_reader,
            "outcome": shipped_outcome_reader,
        }
        return shipped.get(role, shipped_reader)()
    if isinstance(reader, EvidenceReaderModel):
        return reader
    return _load_directory(str(reader))


@lru_cache(maxsize=4)
def _load_directory(directory: str) -> EvidenceReaderModel:
    return EvidenceReaderModel.load(Path(directory))


@dataclass(frozen=True)
class StanceReading:
    """How one evidence text bears on one claim."""

    stance: str
    p_supports: float
    p_contradicts: float
    p_neutral: float

    @property
    def relevance(self) -> float:
        """Probability that the evidence addresses the claim at all."""
        return 1.0 - self.p_neutral


def _check_text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"'{field}' must be a non-empty string")
    if len(value) > limit:
        raise InputError(f"'{field}' has {len(value):,} characters; the limit is {limit:,}")
    return value


def check_stance_pair(claim: object, evidence: object) -> tuple[str, str]:
    """The pair as strings, or an InputError naming the field and the limit."""
    return (
        _check_text(claim, "claim", MAX_CLAIM_CHARS),
        _check_text(evidence, "evidence", MAX_EVIDENCE_CHARS),
    )


def read_stance(
    pairs: list[tuple[str, str]],
    reader: EvidenceReaderModel | Path | str | None = None,
) -> list[StanceReading]:
    """(claim, evidence) pairs → stance readings, in input order.

    Raises:
        InputError: an empty or over-long claim or evidence, naming the pair.
    """
    for number, (claim, evidence) in enumerate(pairs):
        try:
            check_stance_pair(claim, evidence)
        except InputError as error:
            raise InputError(f"pair {number}: {error}") from None
    model = load_reader(reader)
    p = model.probabilities([c for c, _ in pairs], [e for _, e in pairs], "stance")
    return [
        StanceReading(STANCE_LABELS[int(row.argmax())], float(row[0]), float(row[1]), float(row[2]))
        for row in p
    ]


@dataclass(frozen=True)
class EffectFinding:
    """What a trial found for one comparison, and the verbatim sentence that says it."""

    effect: str  # increased / decreased / no_difference
    probability: float
    quote: str
    start: int
    end: int
    p_increased: float
    p_decreased: float
    p_no_difference: float
    p_reported: float  # how sure the reader is that the quote reports this comparison
    sentences_read: int


def read_effect(
    intervention: str,
    comparator: str,
    outcome: str,
    text: str,
    reader: EvidenceReaderModel | Path | str | None = None,
    candidates: int = CANDIDATE_SENTENCES,
    direction: EvidenceReaderModel | Path | str | None = None,
) -> EffectFinding:
    """The finding of ``text`` (a trial report, any length) for one prompt.

    Sentences are first ranked lexically against the prompt (the outcome counts most); the
    reader reads the best ``candidates`` and the one most likely to report the comparison is
    the quote. Its effect is the direction reader's distribution over the three findings.

    Raises:
        InputError: empty fields, or a text with no sentence long enough to report a finding.
    """
    _check_text(intervention, "intervention", MAX_CLAIM_CHARS)
    _check_text(comparator, "comparator", MAX_CLAIM_CHARS)
    _check_text(outcome, "outcome", MAX_CLAIM_CHARS)
    _check_text(text, "text", MAX_TRIAL_CHARS)
    trial = TrialText(text)
    if not trial.spans:
        raise InputError("'text' holds no sentence long enough to report a finding")
    order = rank_sentences(trial, intervention, comparator, outcome)[:candidates]
    model = load_reader(reader)
    query = effect_query(intervention, comparator, outcome)
    p = model.probabilities([query] * len(order), [trial.sentence(i) for i in order], "effect")
    prior = 1.0 / (1.0 + np.arange(len(order)) / RANK_DISCOUNT)
    best = int(np.argmax((1.0 - p[:, 3]) * prior))
    start, end = trial.spans[order[best]]
    read = load_reader(direction, "direction").probabilities([query], [text[start:end]], "effect")
    findings = read[0, :3] / max(float(read[0, :3].sum()), 1e-9)  # not_reported: not trained
    label = int(findings.argmax())
    return EffectFinding(
        effect=EFFECT_LABELS[label],
        probability=float(findings[label]),
        quote=text[start:end],
        start=start,
        end=end,
        p_increased=float(findings[0]),
        p_decreased=float(findings[1]),
        p_no_difference=float(findings[2]),
        p_reported=float(1.0 - p[best, 3]),
        sentences_read=len(order),
    )
