"""Appraisal from the text alone: study design, sample size, Oxford CEBM 2011 evidence level.

A transparent, rule-based classifier: each design has weighted patterns; the design with the
highest score wins, ties broken by the evidence hierarchy. Every decision carries the phrases
that triggered it, so a reader can check why a source was graded as it was. Publication types
(when a MEDLINE record has them) are strong signals and are used when present; MeSH terms never
are, so the design accuracy measured against MeSH tags is not circular.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class StudyDesign(StrEnum):
    """Study designs, in order of the evidence hierarchy (strongest first)."""

    META_ANALYSIS = "meta-analysis / systematic review"
    RCT = "randomized controlled trial"
    PROSPECTIVE_COHORT = "prospective cohort"
    RETROSPECTIVE_COHORT = "retrospective cohort"
    CASE_CONTROL = "case-control"
    CROSS_SECTIONAL = "cross-sectional"
    DIAGNOSTIC_ACCURACY = "diagnostic accuracy"
    CASE_SERIES = "case series / case report"
    ANIMAL = "animal"
    IN_VITRO = "in vitro"
    COMPUTATIONAL = "computational prediction"
    OTHER = "other"


EVIDENCE_LEVEL: dict[StudyDesign, int] = {
    StudyDesign.META_ANALYSIS: 1,
    StudyDesign.RCT: 2,
    StudyDesign.PROSPECTIVE_COHORT: 3,
    StudyDesign.RETROSPECTIVE_COHORT: 3,
    StudyDesign.DIAGNOSTIC_ACCURACY: 3,
    StudyDesign.CASE_CONTROL: 4,
    StudyDesign.CROSS_SECTIONAL: 4,
    StudyDesign.CASE_SERIES: 4,
    StudyDesign.ANIMAL: 5,
    StudyDesign.IN_VITRO: 5,
    StudyDesign.COMPUTATIONAL: 5,
    StudyDesign.OTHER: 5,
}
"""Oxford CEBM 2011 levels, read for questions of treatment benefit: 1 systematic review,
2 randomized trial, 3 non-randomized cohort, 4 case-series / case-control / cross-sectional,
5 mechanism-based reasoning (animal, in vitro, computational)."""

_RULES: dict[StudyDesign, list[tuple[str, float]]] = {
    StudyDesign.META_ANALYSIS: [
        (r"meta-?analys[ie]s", 3.0),
        (r"systematic(ally)? review", 3.0),
        (r"pooled analysis", 1.5),
    ],
    StudyDesign.RCT: [
        (r"randomi[sz]ed,? (\w+[- ])?(controlled|clinical|placebo|double|single|open)", 3.0),
        (r"randomi[sz]ed (\w+ )?trial", 3.0),
        (r"(were|was) randomi[sz]ed", 2.5),
        (r"randomly (assigned|allocated)", 2.5),
        (r"double-blind", 1.5),
        (r"placebo", 1.0),
    ],
    StudyDesign.PROSPECTIVE_COHORT: [
        (r"prospective(ly)?", 2.0),
        (r"cohort", 1.0),
        (r"followed (up )?for", 1.0),
        (r"\bwere followed\b", 1.0),
        (r"longitudinal", 1.0),
        (r"enrolled", 0.5),
        (r"follow-up", 0.5),
    ],
    StudyDesign.RETROSPECTIVE_COHORT: [
        (r"retrospective(ly)?", 2.5),
        (r"(medical|hospital|clinical) records", 1.5),
        (r"chart(s)? (review|were reviewed)", 2.0),
        (r"were reviewed", 1.0),
        (
            r"we reviewed|\breview(ed)? (of )?(all |the )?(medical |clinical |hospital )?"
            r"(records|charts|files|notes)",
            1.5,
        ),
        (r"between (19|20)\d\d and (19|20)\d\d|from (19|20)\d\d (to|through) (19|20)\d\d", 1.0),
        (r"database", 0.5),
        (r"registry", 0.5),
    ],
    StudyDesign.CASE_CONTROL: [
        (r"case[-–\s](control|referent)", 3.0),
        (r"matched controls?", 2.0),
        (r"controls? matched", 2.0),
        (r"\bcases and (\w+ )?controls\b", 2.0),
        (r"(healthy|normal) controls?\b|\bcontrol (subjects|individuals)\b", 1.0),
    ],
    StudyDesign.CROSS_SECTIONAL: [
        (r"cross-sectional", 3.0),
        (r"\bsurvey(ed|s)?\b", 1.5),
        (r"questionnaires?", 1.5),
        (r"prevalence", 0.5),
        (r"population-based", 0.5),
    ],
    StudyDesign.DIAGNOSTIC_ACCURACY: [
        (r"sensitivity", 1.5),
        (r"specificity", 1.5),
        (r"(positive|negative) predictive", 1.5),
        (r"receiver operating|\bROC\b|area under the (ROC )?curve", 1.0),
        (r"diagnostic (accuracy|performance|value)", 1.5),
        (r"(gold|reference) standard", 1.5),
    ],
    StudyDesign.CASE_SERIES: [
        (r"case report", 3.0),
        (r"case series", 3.0),
        (
            r"we (report|describe|present) (a|an|two|three|four|five|\d+) "
            r"(\w+ )?(cases?|patients?)",
            2.5,
        ),
    ],
    StudyDesign.ANIMAL: [
        (r"\b(rats?|mice|murine|rabbits?|dogs|canine|pigs|porcine|sheep|primates?)\b", 2.0),
        (r"animal models?", 2.0),
    ],
    StudyDesign.IN_VITRO: [
        (r"in vitro", 2.0),
        (r"cell lines?", 2.0),
        (r"cultured (\w+ )?cells", 2.0),
    ],
    StudyDesign.COMPUTATIONAL: [
        (r"in silico", 2.5),
        (r"simulation", 1.5),
        (r"computational model", 2.0),
        (r"machine learning|deep learning|neural network", 1.5),
        (r"docking", 1.5),
    ],
}
_COMPILED = {
    design: [(re.compile(pattern, re.IGNORECASE), weight) for pattern, weight in rules]
    for design, rules in _RULES.items()
}
_PUBLICATION_TYPES = {
    "meta-analysis": StudyDesign.META_ANALYSIS,
    "systematic review": StudyDesign.META_ANALYSIS,
    "randomized controlled trial": StudyDesign.RCT,
    "case reports": StudyDesign.CASE_SERIES,
}
_SAMPLE = re.compile(
    r"(?:\bn\s*=\s*(\d[\d,]*))|(?:\b(\d[\d,]*)\s+(?:consecutive\s+|adult\s+|eligible\s+)?"
    r"(?:patients|participants|subjects|women|men|children|adults|individuals|infants|"
    r"volunteers|respondents|cases|persons|people|residents|students|pregnancies))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Appraisal:
    """The graded design of one source, with the phrases that decided it."""

    design: StudyDesign
    evidence_level: int
    sample_size: int | None
    signals: tuple[str, ...]


def appraise(text: str, publication_types: tuple[str, ...] = ()) -> Appraisal:
    """Classify the design of a study from its title/abstract (and publication types)."""
    for publication_type in publication_types:
        design = _PUBLICATION_TYPES.get(publication_type.lower())
        if design is not None:
            return Appraisal(
                design,
                EVIDENCE_LEVEL[design],
                sample_size(text),
                (f"publication type: {publication_type}",),
            )
    scores: dict[StudyDesign, float] = {}
    signals: dict[StudyDesign, list[str]] = {}
    for design, rules in _COMPILED.items():
        for pattern, weight in rules:
            match = pattern.search(text)
            if match:
                scores[design] = scores.get(design, 0.0) + weight
                signals.setdefault(design, []).append(match.group(0))
    if not scores:
        return Appraisal(
            StudyDesign.OTHER, EVIDENCE_LEVEL[StudyDesign.OTHER], sample_size(text), ()
        )
    order = list(StudyDesign)
    best = max(scores, key=lambda design: (scores[design], -order.index(design)))
    return Appraisal(best, EVIDENCE_LEVEL[best], sample_size(text), tuple(signals[best]))


def sample_size(text: str) -> int | None:
    """The largest participant count stated ("n = 120", "1,099 women"), if any."""
    counts = []
    for match in _SAMPLE.finditer(text):
        number = (match.group(1) or match.group(2)).replace(",", "")
        if number.isdigit() and 0 < int(number) < 10_000_000:
            counts.append(int(number))
    return max(counts) if counts else None
