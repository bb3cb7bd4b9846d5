"""LLM synthesis: an LLM reads the verified quotes and gives the decision and summary.

The LLM sees only the numbered quotes that the retriever found and the verifier will check; it
cannot add quotes, so every citation in the chain stays verbatim. An answer that is not the
requested JSON is ignored (the extractive decision stands) and the chain says so.
"""

from __future__ import annotations

import json
import math
import re

from biomedfm.evidence.chain import Citation, Decision
from biomedfm.evidence.llm.base import LLM, OptionScorer

SYSTEM_PROMPT = (
    "You answer a biomedical yes/no research question using ONLY the numbered quotes given. "
    "Reply with one JSON object and nothing else: "
    '{"decision": "yes" | "no" | "maybe", "summary": "one or two sentences citing quotes '
    'as [1], [2]"}. Say "maybe" when the quotes disagree or do not settle the question.'
)
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


FEW_SHOT = (
    "Answer each biomedical research question with yes, no or maybe, from the evidence only.\n\n"
    "Evidence: In 180 randomized patients, drug K significantly lowered systolic blood pressure "
    "compared with placebo (p < 0.001).\nQuestion: Does drug K lower blood pressure?\n"
    "Answer: yes\n\n"
    "Evidence: Mortality did not differ between early and late surgery (12% vs 13%, p = 0.71)."
    "\nQuestion: Does early surgery reduce mortality?\nAnswer: no\n\n"
    "Evidence: Patients on the diet lost slightly more weight, but the difference was not "
    "significant in this small pilot and the trend needs confirmation.\n"
    "Question: Does the diet cause weight loss?\nAnswer: maybe\n\n"
)


def scored_decision(
    llm: OptionScorer, question: str, citations: list[Citation]
) -> tuple[Decision, float]:
    """A base model's pick among yes/no/maybe after a few-shot prompt, and its probability."""
    evidence = " ".join(c.quote for c in citations)
    prompt = f"{FEW_SHOT}Evidence: {evidence}\nQuestion: {question}\nAnswer:"
    scores = llm.option_logprobs(prompt, list(OPTIONS))
    bias = _content_free_bias(llm)
    calibrated = {k: scores[k] - bias[k] for k in OPTIONS}
    total = sum(math.exp(v) for v in calibrated.values())
    best = max(calibrated, key=lambda k: calibrated[k])
    return Decision(best), math.exp(calibrated[best]) / total


OPTIONS = ("yes", "no", "maybe")
_BIAS: dict[str, dict[str, float]] = {}


def _content_free_bias(llm: OptionScorer) -> dict[str, float]:
    """The model's answer log-probabilities with no evidence at all ("N/A"), per model.

    Subtracting them (contextual calibration, Zhao et al. 2021) removes a small model's prior
    for one label and for the last few-shot answer, so the evidence decides.
    """
    if llm.name not in _BIAS:
        prompt = f"{FEW_SHOT}Evidence: N/A\nQuestion: N/A\nAnswer:"
        _BIAS[llm.name] = llm.option_logprobs(prompt, list(OPTIONS))
    return _BIAS[llm.name]


def llm_decide(llm: LLM, question: str, citations: list[Citation]) -> tuple[Decision, str] | None:
    """The LLM's decision and summary, or ``None`` when its reply cannot be used.

    A base model that scores options (the embedded one) answers by few-shot scoring and gives
    no summary of its own; a chat model answers in JSON.
    """
    if isinstance(llm, OptionScorer):
        decision, probability = scored_decision(llm, question, citations)
        return decision, f"{decision.value} (embedded LLM {llm.name}, p={probability:.2f})"
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
    label = str(payload.get("decision", "")).strip().lower()
    if label not in ("yes", "no", "maybe"):
        return None
    return Decision(label), str(payload.get("summary", "")).strip()
