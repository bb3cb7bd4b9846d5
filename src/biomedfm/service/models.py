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

from biomedfm.affinity.finetune import LITE_DIR
from biomedfm.affinity.io import list_shipped_models, read_model_config, resolve_model_dir
from biomedfm.config import get_settings
from biomedfm.errors import ModelNotFoundError

FINETUNED_PATTERN = r"ft-[0-9a-f]{12}(?:-lite)?"
"""A fine-tuned model's name (the OpenAPI ``model`` pattern adds the shipped names to it);
``ft-…-lite`` is the one-network lite student of ``ft-…`` (a job asked with ``lite``)."""
LITE_SUFFIX = "-lite"
SCORES = ("compounds", "oof_rmse", "coverage90")


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
        run, lite = name.removesuffix(LITE_SUFFIX), name.endswith(LITE_SUFFIX)
        try:
            return resolve_model_dir(finetuned_root(home) / run / (LITE_DIR if lite else ""))
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
        if not is_finetuned_name(folder.name) or folder.name.endswith(LITE_SUFFIX):
            continue
        summary_path = folder / "finetune.json"
        if not summary_path.is_file():
            continue  # still training, or failed
        summary = json.loads(summary_path.read_text())
        created = summary_path.stat().st_mtime
        for name, directory, scores in (
            (folder.name, folder, summary),
            (folder.name + LITE_SUFFIX, folder / LITE_DIR, summary.get("lite") or {}),
        ):
            try:
                config = read_model_config(resolve_model_dir(directory))
            except (ModelNotFoundError, ValueError, OSError):
                continue  # no lite student asked for
            found.append(
                {
                    "name": name,
                    "target": config.target,
                    "members": config.net.n_members,
                    "version": config.version or "",
                    "base": str(config.training.get("finetuned_from", "")),
                    "created": created,
                    **{k: scores[k] for k in SCORES if k in scores},
                }
            )
    return sorted(found, key=lambda m: (-float(m["created"]), m["name"]))
