"""ONNX export of an affinity model and an onnxruntime scorer (optionally int8-quantized).

The export keeps late fusion: three graphs (drug encoder, protein encoder, scorer) so screening
still encodes each compound and each target once. The scorer graph also folds the ensemble
(mean over members, total variance), so the runtime only rescales to target units. Dynamic int8
quantization (onnxruntime) stores weights as int8 and quantizes activations on the fly: smaller
files and faster matrix products on CPUs with VNNI/AVX-512.

Needs the ``onnx`` extra (``pip install 'biomedfm[onnx]'``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from biomedfm.affinity.domain import ApplicabilityDomain
from biomedfm.affinity.kernel import KernelRegressor
from biomedfm.affinity.model import AffinityModel, ModelConfig
from biomedfm.affinity.nn import combine_members
from biomedfm.chem.featurizers import make_featurizer
from biomedfm.chem.sequences import validate_sequence
from biomedfm.errors import BiomedfmError, InputError

GRAPHS = ("drug_encoder", "protein_encoder", "scorer")
ONNX_INFO = "onnx.json"


def _require_onnx() -> None:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        raise BiomedfmError(
            "ONNX support needs the onnx extra: pip install 'biomedfm[onnx]'"
        ) from None


class _Encoder(nn.Module):
    def __init__(self, model: AffinityModel, which: str) -> None:
        super().__init__()
        self.net = model.net
        self.which = which

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if self.which == "drug":
            return self.net.encode_drugs(features)
        return self.net.encode_proteins(features)


class _Scorer(nn.Module):
    """Paired embeddings → ensemble mean and total variance (standardised units)."""

    def __init__(self, model: AffinityModel) -> None:
        super().__init__()
        self.net = model.net

    def forward(
        self, drug_embedding: torch.Tensor, protein_embedding: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_var = self.net.score(drug_embedding, protein_embedding)
        return combine_members(mean, log_var, self.net.config.n_members)


def export_onnx(model: AffinityModel, directory: Path, *, int8: bool = False) -> Path:
    """Write ``drug_encoder.onnx``, ``protein_encoder.onnx``, ``scorer.onnx`` and the config.

    Args:
        int8: dynamically quantize the weights of every graph to int8.
    """
    _require_onnx()
    model.net.float().cpu().eval()
    config = model.config.net
    directory.mkdir(parents=True, exist_ok=True)
    m, e = config.n_members, config.embed_dim
    encoder_io = (["features"], ["embedding"], {"features": {0: "n"}, "embedding": {1: "n"}})
    examples: dict[
        str, tuple[nn.Module, tuple[torch.Tensor, ...], list[str], list[str], dict[str, Any]]
    ] = {
        f"{kind}_encoder": (_Encoder(model, kind).eval(), (torch.zeros(3, dim),), *encoder_io)
        for kind, dim in (("drug", config.drug_dim), ("protein", config.protein_dim))
    }
    examples["scorer"] = (
        _Scorer(model).eval(),
        (torch.zeros(m, 4, e), torch.zeros(m, 4, e)),
        ["drug_embedding", "protein_embedding"],
        ["mean", "variance"],
        {
            "drug_embedding": {1: "n"},
            "protein_embedding": {1: "n"},
            "mean": {0: "n"},
            "variance": {0: "n"},
        },
    )
    for name, (module, args, inputs, outputs, axes) in examples.items():
        path = directory / f"{name}.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            # the TorchScript exporter is deprecated in favour of dynamo (which needs onnxscript)
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(
                module,
                args,
                str(path),
                input_names=inputs,
                output_names=outputs,
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        if int8:
            _quantize(path)
    # torch.onnx.export puts each wrapper back in the mode it found it in, and a wrapper made
    # in training mode took the model's network with it (dropout on in later predictions)
    model.net.eval()
    (directory / "config.json").write_text(model.config.model_dump_json(indent=2) + "\n")
    (directory / ONNX_INFO).write_text(json.dumps({"int8": int8, "graphs": list(GRAPHS)}) + "\n")
    if model.domain is not None:  # screening output keeps its applicability-domain columns
        model.domain.save(directory)
    if model.kernel is not None:  # a fine-tuned model's scores stay the blend predict gives
        model.kernel.save(directory)
    return directory


def _quantize(path: Path) -> None:
    """Dynamic int8 quantization in place (onnxruntime logs every tensor at INFO: muted)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantized = path.with_suffix(".int8.onnx")
        quantize_dynamic(str(path), str(quantized), weight_type=QuantType.QInt8)
        quantized.replace(path)
    finally:
        root.setLevel(level)


def is_onnx_dir(path: Path) -> bool:
    return (path / ONNX_INFO).is_file()


class OnnxScorer:
    """Screening scorer (see :class:`biomedfm.affinity.screening.Scorer`) on onnxruntime."""

    def __init__(self, directory: Path, threads: int = 1) -> None:
        _require_onnx()
        import onnxruntime as ort

        self.directory = directory
        self.config = ModelConfig.model_validate_json((directory / "config.json").read_text())
        self.domain = ApplicabilityDomain.load(directory)
        self.kernel = KernelRegressor.load(directory)
        self.info = json.loads((directory / ONNX_INFO).read_text())
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.sessions = {
            name: ort.InferenceSession(
                str(directory / f"{name}.onnx"), options, providers=["CPUExecutionProvider"]
            )
            for name in GRAPHS
        }
        self.protein_featurizer = make_featurizer("protein", self.config.protein_featurizer)

    @classmethod
    def load(cls, path: str | Path) -> OnnxScorer:
        directory = Path(path)
        if not is_onnx_dir(directory):
            raise InputError(
                f"{path} is not an exported ONNX model: make one with 'biomedfm affinity "
                "export --model NAME --format onnx -o DIR' and pass DIR as --model"
            )
        return cls(directory)

    @property
    def target(self) -> str:
        return self.config.target

    @property
    def drug_featurizer_spec(self) -> dict[str, Any]:
        return dict(self.config.drug_featurizer)

    def encode_drugs(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(
            self.sessions["drug_encoder"].run(None, {"features": features.astype(np.float32)})[0]
        )

    def encode_targets(self, sequences: list[str]) -> np.ndarray:
        self.target_sequences = list(sequences)
        features = self.protein_featurizer.featurize([validate_sequence(s) for s in sequences])
        return np.asarray(
            self.sessions["protein_encoder"].run(None, {"features": features.astype(np.float32)})[0]
        )

    def score_pairs(
        self,
        drugs: np.ndarray,
        targets: np.ndarray,
        drug_index: np.ndarray,
        target_index: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mean and sigma (target units) of each (drug_index, target_index) pair."""
        mean, variance = self.sessions["scorer"].run(
            None,
            {
                "drug_embedding": np.ascontiguousarray(drugs[:, drug_index]),
                "protein_embedding": np.ascontiguousarray(targets[:, target_index]),
            },
        )
        c = self.config
        return (
            np.asarray(mean, dtype=np.float64) * c.y_std + c.y_mean,
            np.sqrt(np.asarray(variance, dtype=np.float64)) * c.y_std * c.sigma_scale,
        )

    def score(self, features: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n, n_targets = len(features), targets.shape[1]
        drugs = self.encode_drugs(features)
        mean, sigma = self.score_pairs(
            drugs, targets, np.tile(np.arange(n), n_targets), np.repeat(np.arange(n_targets), n)
        )
        return mean.reshape(n_targets, n).T, sigma.reshape(n_targets, n).T
