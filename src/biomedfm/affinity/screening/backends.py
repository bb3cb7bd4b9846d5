"""Choosing how a screen runs: the model runtime (PyTorch or ONNX) and where chunks go."""

from __future__ import annotations

import os
from typing import Any

from biomedfm.affinity.screening.local import LocalBackend
from biomedfm.affinity.screening.scoring import Scorer, TorchScorer
from biomedfm.affinity.screening.targets import Target
from biomedfm.errors import InputError

BACKENDS = ("torch", "onnx", "ray")


def make_scorer(model: str, backend: str, device: str) -> Scorer:
    """The scorer for ``backend``: an ONNX model directory for onnx, else a PyTorch model."""
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if backend == "onnx":
        from biomedfm.affinity.onnx_export import OnnxScorer

        return OnnxScorer.load(model)
    from biomedfm.affinity.io import load_model

    loaded = load_model(model, device=device)
    return TorchScorer(loaded)


def make_backend(
    backend: str,
    scorer: Scorer,
    targets: list[Target],
    model: str,
    workers: int | None,
    device: str,
    address: str | None,
) -> Any:
    """A backend object whose ``map(chunks)`` yields scored chunks in library order."""
    n_workers = (os.cpu_count() or 1) if workers is None else workers
    if backend == "ray":
        from biomedfm.affinity.screening.ray_backend import RayBackend

        return RayBackend(model, targets, device=device, address=address, workers=workers)
    if n_workers > 0 and device == "cpu":
        import torch

        torch.set_num_threads(1)  # the cores featurize; one thread scores between chunks
    encoded = scorer.encode_targets([t.sequence for t in targets])
    return LocalBackend(scorer, encoded, n_workers)
