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
    effect = _EFFECT.search(first)
    pico = PICO(
        population=population.group(1).strip() if population else None,
        intervention=effect.group(1).strip() if effect else None,
        comparison=comparison.group(1).strip() if comparison else None,
        outcome=effect.group(3).strip() if effect else None,
        effect=_CLAIMED_EFFECT.get(effect.group(2).lower(), "any") if effect else None,
    )
    return Plan(question=text, sub_questions=parts or [text], pico=pico, query=text)
