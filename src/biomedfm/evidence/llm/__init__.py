"""LLM backends: any OpenAI-compatible server (vLLM, Ollama, llama.cpp server)."""

from biomedfm.evidence.llm.base import LLM, LLMError
from biomedfm.evidence.llm.openai_compat import OpenAICompatibleLLM

__all__ = ["LLM", "LLMError", "OpenAICompatibleLLM"]
