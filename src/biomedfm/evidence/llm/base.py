"""The one thing the agents need from a language model: a chat completion."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from biomedfm.errors import BiomedfmError


class LLMError(BiomedfmError):
    """The LLM server could not be reached or answered with an error."""


class LLM(Protocol):
    """A chat model: messages in (``{"role", "content"}``), text out."""

    name: str

    def complete(self, messages: list[dict[str, str]], max_tokens: int = 256) -> str: ...


@runtime_checkable
class OptionScorer(Protocol):
    """A plain (not chat-tuned) language model that scores continuations of a prompt.

    Small base models follow few-shot patterns better than instructions: asking which of a
    few answers is the likeliest next word is how they are used as classifiers.
    """

    name: str

    def option_logprobs(self, prompt: str, options: list[str]) -> dict[str, float]: ...
