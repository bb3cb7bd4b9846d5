"""A drug encoder pretrained on the MOSES library by descriptor regression.

The recipe is CheMeleon's (predict a molecule's computed descriptors from its representation)
with RDKit's descriptors in place of Mordred's: self-supervised, cheap on a CPU, and it teaches
the drug tower what size, polarity, ring systems and charge a fingerprint stands for before it
sees a single measured affinity.

The encoder has exactly the shape of the KIBA model's drug tower (Morgan counts + MACCS keys →
256 → 256), so ``affinity finetune --from encoder`` is the model trained from scratch with one
difference: its drug tower starts pretrained. That is what makes the measured gain the gain of
pretraining. Stored as safetensors (no pickle) beside an ``encoder.json``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from rdkit import Chem, RDLogger
from rdkit.Chem import Descriptors
from safetensors.torch import load_file, save_file
from torch import nn

from biomedfm.affinity.nn import MemberLinear, _mlp
from biomedfm.chem.featurizers import make_featurizer
from biomedfm.errors import InputError

ENCODER_NAME = "encoder"
ENCODER_DIR = Path(__file__).parent / "models" / ENCODER_NAME
ENCODER_FILE = "encoder.json"
WEIGHTS_FILE = "encoder.safetensors"

# qed alone costs a quarter of the descriptor time and is a function of the others.
_SKIPPED = {"qed"}
DESCRIPTOR_NAMES: tuple[str, ...] = tuple(n for n, _ in Descriptors._descList if n not in _SKIPPED)
_FUNCTIONS = dict(Descriptors._descList)
KIBA_DRUG_FEATURIZER: dict[str, Any] = {
    "name": "concat",
    "parts": [{"name": "morgan", "radius": 2, "n_bits": 1024, "counts": True}, {"name": "maccs"}],
}
CLIP = 5.0  # standardised descriptors are clipped to ±5 so heavy tails (Ipc) do not dominate


class EncoderConfig(BaseModel):
    """What an encoder is: its input featurizer, its shape and its descriptor scaling."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = 1
    name: str = ENCODER_NAME
    version: str = Field(description="Release of the weights, e.g. 2026.12.")
    drug_featurizer: dict[str, Any] = Field(default_factory=lambda: dict(KIBA_DRUG_FEATURIZER))
    drug_dim: int = 1191
    tower_hidden: int = 256
    embed_dim: int = 256
    dropout: float = 0.1
    descriptors: list[str] = Field(default_factory=lambda: list(DESCRIPTOR_NAMES))
    descriptor_mean: list[float] = Field(default_factory=list)
    descriptor_std: list[float] = Field(default_factory=list)
    training: dict[str, Any] = Field(default_factory=dict)


class DescriptorNet(nn.Module):
    """The drug tower (same module layout as ``AffinityNet.drug_tower``) + a descriptor head."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.drug_tower = _mlp(
            1,
            [config.drug_dim, config.tower_hidden, config.embed_dim],
            config.dropout,
            last_activation=False,
        )
        self.head = nn.Sequential(
            nn.GELU(), MemberLinear(1, config.embed_dim, len(config.descriptors))
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.drug_tower(features))[0]


def _descriptor_row(smiles: str) -> np.ndarray:
    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    row = np.full(len(DESCRIPTOR_NAMES), np.nan, dtype=np.float32)
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return row
    for column, name in enumerate(DESCRIPTOR_NAMES):
        try:
            value = float(_FUNCTIONS[name](mol))
        except (ValueError, ZeroDivisionError, OverflowError, RuntimeError):
            continue
        row[column] = value if math.isfinite(value) else np.nan
    return row


def _descriptor_chunk(smiles: Sequence[str]) -> np.ndarray:
    return np.stack([_descriptor_row(s) for s in smiles]).astype(np.float32)


def compute_descriptors(smiles: Sequence[str], n_jobs: int = 2, chunk: int = 2000) -> np.ndarray:
    """SMILES (n,) → RDKit descriptors (n, len(DESCRIPTOR_NAMES)), NaN where one fails."""
    chunks = [list(smiles[i : i + chunk]) for i in range(0, len(smiles), chunk)]
    if n_jobs <= 1:
        parts = [_descriptor_chunk(c) for c in chunks]
    else:
        with ProcessPoolExecutor(n_jobs) as pool:
            parts = list(pool.map(_descriptor_chunk, chunks))
    return np.concatenate(parts) if parts else np.zeros((0, len(DESCRIPTOR_NAMES)), np.float32)


def standardise(
    descriptors: np.ndarray, mean: np.ndarray | None = None, std: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Descriptors → clipped z-scores (NaN kept) and the mean/std used (constant ones: std 1)."""
    if mean is None or std is None:
        mean = np.nanmean(descriptors, axis=0)
        std = np.nanstd(descriptors, axis=0)
        std = np.where(std > 1e-8, std, 1.0)
    z = np.clip((descriptors - mean) / std, -CLIP, CLIP)
    return z.astype(np.float32), mean.astype(np.float64), std.astype(np.float64)


@dataclass
class PretrainResult:
    """The fitted network and the validation loss per epoch (standardised units)."""

    net: DescriptorNet
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    val_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def pretrain(
    features: np.ndarray,
    targets: np.ndarray,
    config: EncoderConfig,
    *,
    epochs: int = 20,
    batch_size: int = 512,
    lr: float = 1e-3,
    val_fraction: float = 0.02,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> PretrainResult:
    """Fit the drug tower to predict standardised descriptors (masked MSE); keep the epoch with
    the lowest validation loss. ``targets`` is (n, d) with NaN for descriptors that failed."""
    generator = np.random.default_rng(seed)
    order = generator.permutation(len(features))
    n_val = max(1, int(len(features) * val_fraction))
    val, train = order[:n_val], order[n_val:]
    torch.manual_seed(seed)
    net = DescriptorNet(config)
    optimiser = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * math.ceil(len(train) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=steps)
    x_all = torch.from_numpy(features)
    y_all = torch.from_numpy(targets)
    result = PretrainResult(net, val_rows=val)
    best, best_state = math.inf, None
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        net.train()
        generator.shuffle(train)
        total = 0.0
        for i in range(0, len(train), batch_size):
            rows = torch.from_numpy(train[i : i + batch_size])
            loss = _masked_mse(net(x_all[rows].float()), y_all[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(rows)
        val_loss = evaluate(net, features[val], targets[val])
        result.history.append(
            {
                "epoch": epoch,
                "train": total / len(train),
                "val": val_loss,
                "seconds": time.perf_counter() - start,
            }
        )
        log(
            f"epoch {epoch}: train {total / len(train):.4f} val {val_loss:.4f} "
            f"({time.perf_counter() - start:.0f} s)"
        )
        if val_loss < best:
            best, result.best_epoch = val_loss, epoch
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    if best_state is not None:
        net.load_state_dict(best_state)
    return result


def _masked_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    mask = ~torch.isnan(target)
    return ((pred - torch.nan_to_num(target)) ** 2 * mask).sum() / mask.sum().clamp(min=1)


@torch.inference_mode()
def evaluate(net: DescriptorNet, features: np.ndarray, targets: np.ndarray) -> float:
    """Masked MSE of the standardised descriptors (1.0 = predicting the mean)."""
    net.eval()
    pred = torch.cat(
        [
            net(torch.from_numpy(features[i : i + 4096]).float())
            for i in range(0, len(features), 4096)
        ]
    )
    return float(_masked_mse(pred, torch.from_numpy(targets)))


def featurize(smiles: Sequence[str], config: EncoderConfig) -> np.ndarray:
    """SMILES → the encoder's input features (invalid SMILES: zeros)."""
    featurizer = make_featurizer("drug", config.drug_featurizer)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    valid = [m if m is not None else Chem.Mol() for m in mols]
    return np.asarray(featurizer.featurize(valid), dtype=np.float32)


def save_encoder(net: DescriptorNet, config: EncoderConfig, out_dir: Path) -> None:
    """Write the drug tower's weights (fp32 safetensors) and ``encoder.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tower = {k: v.contiguous() for k, v in net.state_dict().items() if k.startswith("drug_tower.")}
    save_file(tower, str(out_dir / WEIGHTS_FILE))
    (out_dir / ENCODER_FILE).write_text(config.model_dump_json(indent=2) + "\n")


def is_encoder(path: str | Path) -> bool:
    """Whether ``path`` (or the name ``encoder``) is a pretrained encoder directory."""
    return (resolve_encoder(path) / ENCODER_FILE).is_file()


def resolve_encoder(path: str | Path) -> Path:
    return ENCODER_DIR if str(path) == ENCODER_NAME else Path(path)


def load_encoder(path: str | Path = ENCODER_NAME) -> tuple[EncoderConfig, dict[str, torch.Tensor]]:
    """An encoder's config and its drug-tower tensors (keys ``drug_tower.*``, member dim 1)."""
    folder = resolve_encoder(path)
    config_path = folder / ENCODER_FILE
    if not config_path.is_file():
        raise InputError(
            f"{folder} is not a pretrained encoder (no {ENCODER_FILE}); train one with "
            "benchmarks/affinity_pretrain.py or use --from encoder"
        )
    config = EncoderConfig.model_validate(json.loads(config_path.read_text()))
    return config, load_file(str(folder / WEIGHTS_FILE))
