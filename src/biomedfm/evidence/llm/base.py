"""The one thing the agents need from a language model: a chat completion."""

from __future__ import annotations

from typing import Protocol

from biomedfm.errors import BiomedfmError


class LLMError(BiomedfmError):
    """The LLM server could not be reached or answered with an error."""


class LLM(Protocol):
    """A chat model: messages in (``{"role", "content"}``), text out."""

    name: str

    def complete(self, messages: list[dict[str, str]], max_tokens: int = 256) -> str: ...
