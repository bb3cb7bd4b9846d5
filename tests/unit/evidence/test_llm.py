"""The OpenAI-compatible backend against a real HTTP server on loopback, and LLM synthesis."""

from __future__ import annotations

import json

import pytest

from biomedfm.evidence.agents.team import EvidenceTeam
from biomedfm.evidence.chain import Decision
from biomedfm.evidence.llm import LLMError, OpenAICompatibleLLM
from tests.conftest import FakeChatServer

CONTEXT = ["Aspirin significantly reduced mortality after myocardial infarction."]


def test_llm_decision_replaces_the_extractive_one(llm_server: str) -> None:
    FakeChatServer.reply = 'Sure. {"decision": "maybe", "summary": "Only one trial [1]."}'
    llm = OpenAICompatibleLLM(llm_server, "tiny")
    chain, trace = EvidenceTeam.from_contexts(CONTEXT, "p1", llm=llm).answer(
        "Does aspirin reduce mortality?"
    )
    assert chain.decision == Decision.MAYBE
    assert chain.summary == "Only one trial [1]."
    assert trace.steps[5].agent == "synthesizer (LLM tiny)"
    sent = FakeChatServer.requests[0]
    assert sent["model"] == "tiny"
    assert CONTEXT[0] in json.dumps(sent["messages"])  # the quotes reach the model
    assert chain.claims[0].citations[0].quote == CONTEXT[0]  # quotes stay verbatim


def test_unusable_reply_keeps_the_extractive_decision(llm_server: str) -> None:
    FakeChatServer.reply = "I think yes."
    llm = OpenAICompatibleLLM(llm_server, "tiny")
    chain, _ = EvidenceTeam.from_contexts(CONTEXT, llm=llm).answer("Does aspirin reduce mortality?")
    assert chain.decision == Decision.YES
    assert any("not usable" in note for note in chain.notes)


def test_unreachable_server_is_an_llm_error() -> None:
    llm = OpenAICompatibleLLM("http://127.0.0.1:9/v1", "tiny", timeout_s=2.0)
    with pytest.raises(LLMError, match="LLM server error"):
        llm.complete([{"role": "user", "content": "hi"}])
