"""Model directories: ``model.safetensors`` + ``config.json`` (+ ``domain.npz``, and for a
fine-tuned model ``kernel.npz``). Loading never unpickles."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from biomedfm.affinity.domain import ApplicabilityDomain
from biomedfm.affinity.kernel import KernelRegressor
from biomedfm.affinity.model import AffinityModel, ModelConfig
from biomedfm.affinity.nn import AffinityNet
from biomedfm.errors import InputError, ModelNotFoundError

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


def shipped_models_dir() -> Path:
    """Folder inside the package that holds the shipped models, one sub-folder each."""
    return Path(str(resources.files("biomedfm.affinity") / "models"))


def list_shipped_models() -> list[str]:
    """Names accepted by ``--model`` besides run directories."""
    folder = shipped_models_dir()
    return sorted(p.name for p in folder.iterdir() if (p / CONFIG_FILE).is_file())


def save_model(model: AffinityModel, directory: Path, *, half: bool = True) -> None:
    """Write the model; ``half`` stores weights as fp16 (half the size, same predictions ±1e-3)."""
    directory.mkdir(parents=True, exist_ok=True)
    dtype = torch.float16 if half else torch.float32
    tensors = {
        key: value.detach().to("cpu", dtype).contiguous()
        for key, value in model.net.state_dict().items()
    }
    save_file(tensors, str(directory / WEIGHTS_FILE), metadata={"format": "biomedfm-affinity"})
    (directory / CONFIG_FILE).write_text(model.config.model_dump_json(indent=2) + "\n")
    if model.domain is not None:
        model.domain.save(directory)
    if model.kernel is not None:
        model.kernel.save(directory)


def resolve_model_dir(name_or_path: str | Path) -> Path:
    """A shipped model name, a model directory, or a training run directory (``run/model``)."""
    candidate = Path(name_or_path)
    for folder in (candidate, candidate / "model"):
        if (folder / CONFIG_FILE).is_file() and (folder / WEIGHTS_FILE).is_file():
            return folder
    shipped = shipped_models_dir() / str(name_or_path)
    if (shipped / CONFIG_FILE).is_file():
        return shipped
    raise ModelNotFoundError(
        f"model {str(name_or_path)!r} not found: give a shipped name "
        f"({', '.join(list_shipped_models()) or 'none installed'}) or a directory made by "
        "'biomedfm affinity train'"
    )


def check_device(device: str | torch.device) -> torch.device:
    """A usable torch device, or a clear error (e.g. ``cuda`` on a machine without a GPU)."""
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise InputError(f"unknown device {str(device)!r}: use cpu, cuda or cuda:N") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InputError(
            f"device {str(device)!r} asked for, but no CUDA GPU is available: use --device cpu"
        )
    return resolved


def read_model_config(name_or_path: str | Path) -> ModelConfig:
    """A model's configuration (target, sizes, featurizers) without loading its weights."""
    directory = resolve_model_dir(name_or_path)
    return ModelConfig.model_validate(json.loads((directory / CONFIG_FILE).read_text()))


def load_model(name_or_path: str | Path, device: str | torch.device = "cpu") -> AffinityModel:
    """Load a model by shipped name or directory, in float32 on ``device``."""
    device = check_device(device)
    directory = resolve_model_dir(name_or_path)
    config = read_model_config(directory)
    net = AffinityNet(config.net)
    state = {key: value.float() for key, value in load_file(str(directory / WEIGHTS_FILE)).items()}
    net.load_state_dict(state)
    return AffinityModel(
        config,
        net.to(device),
        ApplicabilityDomain.load(directory),
        KernelRegressor.load(directory),
    )
