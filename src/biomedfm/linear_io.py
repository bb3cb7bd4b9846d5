"""Small standardised linear models (ours: the evidence decision and protein flexibility
models) on disk: arrays in ``model.safetensors``, names and provenance in ``config.json``.

Loading checks that the model was made for the features the code computes now, so a stale
model fails with a retrain hint instead of predicting from misaligned inputs; it never unpickles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from biomedfm.errors import InputError

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


def save_linear(directory: Path, arrays: dict[str, np.ndarray], config: dict[str, Any]) -> None:
    """Arrays as float32 safetensors, ``config`` as JSON."""
    directory.mkdir(parents=True, exist_ok=True)
    save_file(
        {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()},
        str(directory / WEIGHTS_FILE),
    )
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")


def load_linear(
    directory: Path, expected: dict[str, list[str]], what: str, retrain: str
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """float64 arrays and the rest of the config (metadata).

    Args:
        expected: config entries that must match exactly (feature names, labels).
        what: the model's name in messages; retrain: the command that remakes it.

    Raises:
        InputError: an ``expected`` entry differs.
    """
    config = json.loads((directory / CONFIG_FILE).read_text())
    if any(config.get(key) != list(value) for key, value in expected.items()):
        raise InputError(
            f"{what} in {directory} was made for other features: retrain it with '{retrain}'"
        )
    arrays = {k: v.astype(np.float64) for k, v in load_file(str(directory / WEIGHTS_FILE)).items()}
    return arrays, {k: v for k, v in config.items() if k not in expected}
