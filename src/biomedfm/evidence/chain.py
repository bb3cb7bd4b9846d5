"""The chain of evidence: answer → claims → citations (verbatim quotes with graded sources).

These pydantic models are the contract every agent, the CLI and (later) the service speak; the
JSON schema is published as ``docs/evidence-chain.schema.json`` (``write_schema``).
"""

from __future__ import annotations

import html
import json
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class Decision(StrEnum):
    """The answer to a yes/no research question; ``insufficient`` when evidence is lacking."""

    YES = "yes"
    NO = "no"
    MAYBE = "maybe"
    INSUFFICIENT = "insufficient"


class Stance(StrEnum):
    """How a quote bears on its claim."""

    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"


class Citation(BaseModel):
    """A verbatim quote from one source, with the source's appraisal."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(description="Id of the cited document in the corpus.")
    sentence_ids: list[str] = Field(
        default_factory=list, description="Ids of the sentences the quote spans."
    )
    quote: str = Field(min_length=1, description="Text copied verbatim from the document.")
    stance: Stance = Field(Stance.SUPPORTS, description="Supports or contradicts the claim.")
    study_design: str = Field("other", description="Study design of the cited source.")
    evidence_level: int = Field(5, ge=1, le=5, description="Oxford CEBM 2011 level (1 best).")
    sample_size: int | None = Field(None, description="Participants stated in the source.")
    experimental: bool = Field(
        True, description="False for computational predictions (e.g. the affinity model)."
    )
    p_supports: float | None = Field(
        None, ge=0, le=1, description="Evidence reader: probability the quote supports the claim."
    )
    p_contradicts: float | None = Field(
        None, ge=0, le=1, description="Evidence reader: probability it contradicts the claim."
    )
    p_neutral: float | None = Field(
        None, ge=0, le=1, description="Evidence reader: probability it does not address it."
    )


class Claim(BaseModel):
    """One statement of the answer and the quotes that bear on it."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="The claim, in one sentence.")
    citations: list[Citation] = Field(default_factory=list, description="Quotes for/against it.")

    @property
    def supporting(self) -> list[Citation]:
        return [c for c in self.citations if c.stance == Stance.SUPPORTS]

    @property
    def contradicting(self) -> list[Citation]:
        return [c for c in self.citations if c.stance == Stance.CONTRADICTS]


class EvidenceChain(BaseModel):
    """A complete, machine-checkable answer."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field("", description="Question id (batch input's 'id').")
    question: str = Field(description="The question asked.")
    decision: Decision = Field(description="yes / no / maybe / insufficient.")
    summary: str = Field("", description="Short answer in words.")
    claims: list[Claim] = Field(default_factory=list, description="Claims with their citations.")
    notes: list[str] = Field(
        default_factory=list, description="What the verifier removed, and why."
    )

    def to_markdown(self) -> str:
        """A readable rendering: decision, then each claim with its quotes and grades."""
        lines = [f"## {self.question}", "", f"**Answer: {self.decision.value}**"]
        if self.summary:
            lines += ["", self.summary]
        for number, claim in enumerate(self.claims, start=1):
            lines += ["", f"{number}. {claim.text}"]
            for citation in claim.citations:
                label = "supports" if citation.stance == Stance.SUPPORTS else "CONTRADICTS"
                kind = "" if citation.experimental else ", computational prediction"
                sure = _stance_probability(citation)
                lines.append(
                    f"   - ({label}{sure}; {citation.study_design}, level "
                    f"{citation.evidence_level}{kind}) “{citation.quote}” [{citation.doc_id}]"
                )
        if self.notes:
            lines += ["", "Verifier notes:"] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        """The same content as HTML, quotes in ``<blockquote>`` with their grade badges."""
        parts = [
            f"<h2>{html.escape(self.question)}</h2>",
            f"<p><strong>Answer: {self.decision.value}</strong></p>",
        ]
        if self.summary:
            parts.append(f"<p>{html.escape(self.summary)}</p>")
        parts.append("<ol>")
        for claim in self.claims:
            parts.append(f"<li><p>{html.escape(claim.text)}</p>")
            for citation in claim.citations:
                parts.append(
                    f'<blockquote class="{citation.stance.value}">'
                    f'<span class="level">level {citation.evidence_level}'
                    f"{_stance_probability(citation)}</span> "
                    f"{html.escape(citation.quote)} "
                    f"<cite>{html.escape(citation.doc_id)}</cite></blockquote>"
                )
            parts.append("</li>")
        parts.append("</ol>")
        return "\n".join(parts) + "\n"


def _stance_probability(citation: Citation) -> str:
    """' p=0.87': the reader's probability of the citation's stance, when it has one."""
    p = citation.p_supports if citation.stance == Stance.SUPPORTS else citation.p_contradicts
    return "" if p is None else f" p={p:.2f}"


def write_schema(path: Path) -> None:
    """Publish the JSON schema of :class:`EvidenceChain`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(EvidenceChain.model_json_schema(), indent=2) + "\n")
