"""LLM synthesis: an LLM reads the verified quotes and gives the decision and summary.

The LLM sees only the numbered quotes that the retriever found and the verifier will check; it
cannot add quotes, so every citation in the chain stays verbatim. An answer that is not the
requested JSON is ignored (the extractive decision stands) and the chain says so.
"""

from __future__ import annotations

import json
import re

from biomedfm.evidence.chain import Citation, Decision
from biomedfm.evidence.llm.base import LLM

SYSTEM_PROMPT = (
    "You answer a biomedical yes/no research question using ONLY the numbered quotes given. "
    "Reply with one JSON object and nothing else: "
    '{"decision": "yes" | "no" | "maybe", "summary": "one or two sentences citing quotes '
    'as [1], [2]"}. Say "maybe" when the quotes disagree or do not settle the question.'
)
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def llm_decide(llm: LLM, question: str, citations: list[Citation]) -> tuple[Decision, str] | None:
    """The LLM's decision and summary, or ``None`` when its reply cannot be used."""
    quotes = "\n".join(
        f"[{n}] ({c.study_design}, evidence level {c.evidence_level}) {c.quote}"
        for n, c in enumerate(citations, start=1)
    )
    reply = llm.complete(
        [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Question: {question}\nQuotes:\n{quotes}"},
        ]
    )
    match = _OBJECT.search(reply)
    if match is None:
        return None
    try:
        payload = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    if not isinstance(payload, dict):
        return None
    decision = str(payload.get("decision", "")).strip().lower()
    if decision not in ("yes", "no", "maybe"):
        return None
    return Decision(decision), str(payload.get("summary", "")).strip()
