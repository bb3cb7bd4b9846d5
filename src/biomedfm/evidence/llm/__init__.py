"""LLM backends: any OpenAI-compatible server (vLLM, Ollama, llama.cpp server) or the
embedded llama.cpp model; :func:`configured_llm` picks one from settings."""

from __future__ import annotations

from biomedfm.evidence.llm.base import LLM, LLMError, OptionScorer
from biomedfm.evidence.llm.openai_compat import OpenAICompatibleLLM


def configured_llm(
    base_url: str | None = None, model: str | None = None, embedded: bool = False
) -> LLM | None:
    """The LLM the arguments or settings name: a server URL wins, then the embedded model.

    Raises:
        LLMError: the embedded model was asked for but is not installed.
    """
    from biomedfm.config import get_settings

    settings = get_settings().llm
    url = base_url or settings.base_url
    if url:
        return OpenAICompatibleLLM(url, model or settings.model, settings.api_key)
    if embedded or settings.embedded:
        from biomedfm.evidence.llm.embedded import EmbeddedLLM

        return EmbeddedLLM()
    return None


__all__ = ["LLM", "LLMError", "OpenAICompatibleLLM", "OptionScorer", "configured_llm"]
