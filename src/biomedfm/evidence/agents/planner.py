"""Planner: splits a question and extracts population / intervention / comparison / outcome.

Heuristic, transparent patterns over the question's wording (an LLM planner can replace it
behind the same :class:`Plan`); the search query is the question itself plus the PICO terms.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

_SPLIT = re.compile(r"\?\s+|;\s+|\s+and (?=(?:does|is|are|do|can|should|will)\s)", re.IGNORECASE)
_POPULATION = re.compile(
    r"\b(?:in|among|for)\s+((?:\w+[- ]){0,4}?(?:patients|women|men|children|adults|infants|"
    r"people|individuals|subjects|elderly|neonates|smokers|survivors)(?:\s+with\s+[\w\s-]+?)?)"
    r"(?=[?,.]|\s+(?:who|after|before|undergoing|treated|compared|than)\b|$)",
    re.IGNORECASE,
)
_COMPARISON = re.compile(
    r"\b(?:compared (?:with|to)|versus|vs\.?|rather than|than)\s+([\w\s-]+?)(?=[?,.]|$)",
    re.IGNORECASE,
)
_EFFECT = re.compile(
    r"^(?:does|do|is|are|can|could|should|will|did|was|were)\s+(.+?)\s+"
    r"(improve|reduce|increase|decrease|affect|predict|prevent|cause|influence|lower|raise|"
    r"change|alter|worsen|benefit|associated with|related to|correlate with|lead to)s?\s+(.+?)"
    r"(?=\s+(?:in|among|for|compared|versus|vs)\b|[?]|$)",
    re.IGNORECASE,
)


# Phrasings rewritten to the one verb _EFFECT reads, so the intervention is the subject alone:
# "X have an influence on Y" -> "X influence Y", "X be used to predict Y" -> "X predict Y".
_REWRITES = (
    (
        re.compile(r"\s+(?:have|has)\s+an?\s+(?:\w+\s+)?(?:influence|effect|impact)\s+on\s+", re.I),
        " affect ",
    ),
    (re.compile(r"\s+(?:be\s+used|be\s+able|able|help|serve)\s+to\s+(?=\w)", re.I), " "),
    (re.compile(r"\s+help\s+(?=(?:predict|improve|reduce|prevent)\b)", re.I), " "),
    (re.compile(r"\s+(?:result|results)\s+in\s+(?:lower|less|fewer|reduced)\s+", re.I), " reduce "),
    (
        re.compile(r"\s+(?:result|results)\s+in\s+(?:higher|more|increased|greater)\s+", re.I),
        " increase ",
    ),
    (re.compile(r"\s+an?\s+(?:[\w-]+\s+)?(?:method|way|means|tool|strategy)\s+to\s+", re.I), " "),
)
# What a question's subject is when it names no intervention ("Is there an increase in ...",
# "Can we predict ...", "Do the changes in ... reflect"): no intervention, rather than a wrong one.
_NO_INTERVENTION = re.compile(
    r"^(?:there\b|we\b|you\b|it\b|they\b|the\b\s*$|a\b\s*$|an\b\s*$)", re.I
)
# Adverbs end a subject ("preoperative anemia adversely affect"), not nouns in -ly (family,
# elderly, Italy): the adverb endings and a few common ones, in lower case.
_TRAILING = re.compile(
    r"(?:[\s,;:]+|\s+(?:[a-z]+(?:ively|ally|ately|ently|ously|edly|antly)|adversely|really"
    r"|truly|also|still))+$"
)


def _subject(text: str) -> str | None:
    """The intervention as read: adverbs ("adversely") and punctuation trimmed off its end;
    None where the subject names no intervention."""
    subject = _TRAILING.sub("", text).strip()
    if not subject or _NO_INTERVENTION.match(subject):
        return None
    return subject


_CLAIMED_EFFECT = {
    **dict.fromkeys(("reduce", "decrease", "lower", "prevent"), "decreased"),
    **dict.fromkeys(("increase", "raise", "cause", "lead to"), "increased"),
}
"""What the question's verb claims of the outcome; any other verb (improve, affect, associated
with, ...) claims an effect of unknown sign ("any"): "improve" raises survival but lowers pain."""


class PICO(BaseModel):
    """The parts of a clinical question (any may be unknown)."""

    population: str | None = Field(None, description="Who: patients, condition, setting.")
    intervention: str | None = Field(None, description="Exposure, treatment or test.")
    comparison: str | None = Field(None, description="What the intervention is compared with.")
    outcome: str | None = Field(None, description="What is measured.")
    effect: str | None = Field(
        None,
        description="What the question claims the intervention does to the outcome: "
        "increased, decreased or any (an effect of either sign).",
    )


class Plan(BaseModel):
    """What the retriever will look for."""

    question: str = Field(description="The question as asked.")
    sub_questions: list[str] = Field(description="The question split into its parts.")
    pico: PICO = Field(description="Population / intervention / comparison / outcome.")
    query: str = Field(description="Search query for the retriever.")


def plan(question: str) -> Plan:
    """Split ``question`` and extract its PICO elements."""
    text = " ".join(question.split())
    parts = [p.strip(" ?") + "?" for p in _SPLIT.split(text) if p.strip(" ?")]
    first = parts[0] if parts else text
    population = _POPULATION.search(first)
    comparison = _COMPARISON.search(first)
    for pattern, verb in _REWRITES:
        first = pattern.sub(verb, first)
    effect = _EFFECT.search(first)
    intervention = _subject(effect.group(1)) if effect else None
    if effect is None or intervention is None:
        effect = None
    who = population.group(1).strip() if population else None
    outcome = effect.group(3).strip() if effect else None
    if effect and effect.group(2).lower() == "benefit" and outcome and outcome.startswith("from "):
        # "Do older men benefit from curative therapy?": the subject is who, the object what.
        who, intervention, outcome = who or intervention, outcome[5:], None
    pico = PICO(
        population=who,
        intervention=intervention,
        comparison=comparison.group(1).strip() if comparison else None,
        outcome=outcome,
        effect=_CLAIMED_EFFECT.get(effect.group(2).lower(), "any") if effect else None,
    )
    return Plan(question=text, sub_questions=parts or [text], pico=pico, query=text)
