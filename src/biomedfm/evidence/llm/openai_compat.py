"""Any OpenAI-compatible chat server through the official ``openai`` client.

vLLM, Ollama (``http://localhost:11434/v1``) and the llama.cpp server all speak this API; the
base URL, model and key come from settings (``BIOMEDFM_LLM__BASE_URL`` ...) or the CLI.
"""

from __future__ import annotations

from biomedfm.evidence.llm.base import LLMError


class OpenAICompatibleLLM:
    """Chat completions from an OpenAI-compatible server."""

    def __init__(
        self, base_url: str, model: str, api_key: str = "not-needed", timeout_s: float = 60.0
    ) -> None:
        from openai import OpenAI

        self.name = model
        self._client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=1)

    def complete(self, messages: list[dict[str, str]], max_tokens: int = 256) -> str:
        """The first choice's text; server and network failures become :class:`LLMError`."""
        from openai import OpenAIError

        try:
            response = self._client.chat.completions.create(
                model=self.name,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=0.0,
            )
        except OpenAIError as error:
            raise LLMError(f"LLM server error ({self.name}): {error}") from None
        content = response.choices[0].message.content if response.choices else None
        if not content:
            raise LLMError(f"LLM {self.name} returned an empty answer")
        return content
