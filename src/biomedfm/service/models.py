"""Which affinity models the service loads: the shipped ones and those fine-tuned through it.

A fine-tuned model is a run directory under ``BIOMEDFM_HOME/affinity-models/ft-<12 hex>``,
made by an ``affinity-finetune`` job. Requests name a model, never a path: a name outside
these two sets is refused, so no request makes the server read a directory of its choosing.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

from biomedfm.affinity.io import list_shipped_models, read_model_config, resolve_model_dir
from biomedfm.config import get_settings
from biomedfm.errors import ModelNotFoundError

FINETUNED_PATTERN = r"ft-[0-9a-f]{12}"
"""A fine-tuned model's name (the OpenAPI ``model`` pattern adds the shipped names to it)."""


def finetuned_root(home: Path | None = None) -> Path:
    return (home or get_settings().home) / "affinity-models"


def new_finetuned_name() -> str:
    return f"ft-{secrets.token_hex(6)}"


def is_finetuned_name(name: str) -> bool:
    return re.fullmatch(FINETUNED_PATTERN, name) is not None


def resolve_service_model(name: str, home: Path | None = None) -> Path:
    """The model directory behind a request's ``model`` name.

    Raises:
        ModelNotFoundError: neither a shipped model nor a finished fine-tuned one.
    """
    if is_finetuned_name(name):
        try:
            return resolve_model_dir(finetuned_root(home) / name)
        except ModelNotFoundError:
            raise ModelNotFoundError(
                f"fine-tuned model {name!r} not found: it is made by a finished "
                "affinity-finetune job (POST /api/v1/affinity/finetune); see GET /api/v1/models"
            ) from None
    if name not in list_shipped_models():
        raise ModelNotFoundError(
            f"model {name!r} not found: give a shipped name ({', '.join(list_shipped_models())})"
            " or a fine-tuned model's name (ft-…, see GET /api/v1/models)"
        )
    return resolve_model_dir(name)


def list_finetuned(home: Path | None = None) -> list[dict[str, Any]]:
    """Finished fine-tuned models, newest first: name, target, base, compounds, scores."""
    root = finetuned_root(home)
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        if not is_finetuned_name(folder.name):
            continue
        try:
            config = read_model_config(resolve_model_dir(folder))
        except (ModelNotFoundError, ValueError, OSError):
            continue  # still training, or failed
        summary_path = folder / "finetune.json"
        summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
        found.append(
            {
                "name": folder.name,
                "target": config.target,
                "members": config.net.n_members,
                "version": config.version or "",
                "base": str(config.training.get("finetuned_from", "")),
                "created": summary_path.stat().st_mtime if summary_path.is_file() else 0.0,
                **{k: summary[k] for k in ("compounds", "oof_rmse", "coverage90") if k in summary},
            }
        )
    return sorted(found, key=lambda m: -float(m["created"]))
