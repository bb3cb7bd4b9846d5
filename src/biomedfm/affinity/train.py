"""Training: a cross-validated ensemble, an optional refit on all pairs, distillation, resume.

One run directory holds everything:

``config.json``      resolved :class:`TrainConfig` and its digest (a rerun must match it)
``cv/``              the CV ensemble (member k trained without fold k) and its checkpoint
``oof.csv``          out-of-fold predictions (member k on fold k): CV metrics and calibration
``cv_metrics.json``  per-fold metrics, mean ± sd, 90%-interval coverage
``refit/``           checkpoint of the members trained on all pairs
``model/``           the final model (``model.safetensors`` + ``config.json``)

Each stage checkpoints every epoch (safetensors + JSON, never pickle), so an interrupted run
resumes where it stopped and ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as nn_functional
from safetensors.torch import load_file, save_file

from biomedfm import __version__
from biomedfm.affinity.distill import (
    member_unlabelled,
    read_transfer,
    teacher_means,
    transfer_pairs,
)
from biomedfm.affinity.io import check_device, save_model
from biomedfm.affinity.metrics import interval_coverage, regression_report
from biomedfm.affinity.model import Z90, AffinityModel, ModelConfig
from biomedfm.affinity.nn import AffinityNet, NetConfig
from biomedfm.affinity.presets import TrainConfig
from biomedfm.affinity.splits import SPLITTERS, Fold
from biomedfm.chem.featurizers import make_featurizer
from biomedfm.chem.molecules import to_mol
from biomedfm.errors import InputError, TrainingError

CHECKPOINT_EVERY_S = 30.0
"""Checkpoint at most this often (and after the last epoch): a kill loses at most this much."""
SPREAD_SAMPLE = 1024
"""Training pairs per member on which the prediction spread is measured every epoch."""
COLLAPSE_FRACTION = 0.01
"""A member whose prediction spread falls below this fraction of its peak has collapsed."""
EVAL_CHUNK = 8192
"""Pairs per member per forward pass when scoring in eval mode."""

ProgressCallback = Callable[[str, int, int, dict[str, float]], None]
"""Called after every epoch with (stage, epoch done, epochs, info such as validation MSE)."""


@dataclass
class FeatureSet:
    """Features of the distinct entities of a pair table and each pair's row in them.

    ``drugs``/``proteins`` are the distinct SMILES and (upper-case) sequences, row by row (what
    a teacher model is asked about when distilling). The
    entities and pairs that :func:`add_transfer_pairs` appends follow the table's; ``y`` is NaN.
    """

    drug_x: np.ndarray
    protein_x: np.ndarray
    drug_index: np.ndarray
    protein_index: np.ndarray
    y: np.ndarray
    drugs: np.ndarray
    proteins: np.ndarray

    def sized(self, net: NetConfig) -> NetConfig:
        """``net`` with its input widths set to these features' (featurizer options change them)."""
        return net.model_copy(
            update={"drug_dim": self.drug_x.shape[1], "protein_dim": self.protein_x.shape[1]}
        )


def featurize_entities(
    smiles: list[str], sequences: list[str], config: TrainConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Features of distinct SMILES and sequences with the config's featurizers."""
    drug_featurizer = make_featurizer("drug", config.drug_featurizer)
    protein_featurizer = make_featurizer("protein", config.protein_featurizer)
    return (
        drug_featurizer.featurize([to_mol(s) for s in smiles]),
        protein_featurizer.featurize(sequences),
    )


def featurize_frame(frame: pd.DataFrame, config: TrainConfig) -> FeatureSet:
    """Featurize each distinct SMILES and sequence of ``frame`` once."""
    drugs, drug_index = np.unique(frame["smiles"].to_numpy(dtype=object), return_inverse=True)
    proteins, protein_index = np.unique(
        frame["sequence"].str.upper().to_numpy(dtype=object), return_inverse=True
    )
    drug_x, protein_x = featurize_entities(list(drugs), list(proteins), config)
    return FeatureSet(
        drug_x=drug_x,
        protein_x=protein_x,
        drug_index=drug_index.astype(np.int64),
        protein_index=protein_index.astype(np.int64),
        y=frame["affinity"].to_numpy(dtype=np.float64),
        drugs=drugs,
        proteins=proteins,
    )


def add_transfer_pairs(features: FeatureSet, config: TrainConfig) -> FeatureSet:
    """``features`` plus the transfer set's new molecules and proteins (``distill_transfer``)
    and their unlabelled pairs with the table's entities (see :mod:`biomedfm.affinity.distill`)."""
    assert config.distill_transfer is not None
    smiles, sequences = read_transfer(
        Path(config.distill_transfer), list(features.drugs), list(features.proteins)
    )
    if not smiles and not sequences:
        raise InputError(
            f"distill_transfer {config.distill_transfer}: every molecule and protein in it is "
            "(nearly) one of the training table's own, so it makes no transfer pairs; give "
            "other molecules or proteins, or drop distill_unlabelled"
        )
    drug_x, protein_x = featurize_entities(smiles, sequences, config)
    drug_rows, protein_rows = transfer_pairs(
        len(features.drugs), len(features.proteins), len(smiles), len(sequences), config.seed
    )
    return FeatureSet(
        drug_x=np.concatenate([features.drug_x, drug_x.astype(features.drug_x.dtype)]),
        protein_x=np.concatenate([features.protein_x, protein_x.astype(features.protein_x.dtype)]),
        drug_index=np.concatenate([features.drug_index, drug_rows]),
        protein_index=np.concatenate([features.protein_index, protein_rows]),
        y=np.concatenate([features.y, np.full(len(drug_rows), np.nan)]),
        drugs=np.concatenate([features.drugs, np.array(smiles, dtype=object)]),
        proteins=np.concatenate([features.proteins, np.array(sequences, dtype=object)]),
    )


def data_digest(frame: pd.DataFrame) -> str:
    """Hash of the training pairs and labels, recorded in the model for provenance."""
    digest = hashlib.sha256()
    for column in ("smiles", "sequence", "affinity"):
        digest.update(pd.util.hash_pandas_object(frame[column], index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


class EnsembleFitter:
    """Trains the M members of an :class:`AffinityNet` side by side, each on its own pairs.

    Args:
        net: the ensemble, M members.
        features: the pair table's features.
        targets: (M, n_pairs) standardised regression target of each member (labels, or a
            teacher/label blend when distilling).
        labels: (n_pairs,) standardised labels, used by the variance head and validation.
        member_train: M arrays of training pair indices.
        member_val: M arrays of validation pair indices (empty arrays when refitting).
        checkpoint_dir: where the per-epoch checkpoint lives.
        member_unlabelled: M arrays of unlabelled pair indices (teacher targets only, NaN
            labels); each epoch a member also trains on ``config.distill_unlabelled`` times
            as many of them as it has training pairs, drawn afresh.
    """

    def __init__(
        self,
        net: AffinityNet,
        features: FeatureSet,
        targets: np.ndarray,
        labels: np.ndarray,
        member_train: list[np.ndarray],
        member_val: list[np.ndarray],
        config: TrainConfig,
        checkpoint_dir: Path,
        member_unlabelled: list[np.ndarray] | None = None,
    ) -> None:
        self.device = torch.device(config.device)
        self.net = net.to(self.device)
        self.config = config
        self.drug_x = torch.as_tensor(features.drug_x, device=self.device)
        self.protein_x = torch.as_tensor(features.protein_x, device=self.device)
        self.drug_index = torch.as_tensor(features.drug_index, device=self.device)
        self.protein_index = torch.as_tensor(features.protein_index, device=self.device)
        self.targets = torch.as_tensor(targets, dtype=torch.float32, device=self.device)
        self.labels = torch.as_tensor(labels, dtype=torch.float32, device=self.device)
        self.member_train = member_train
        self.member_val = member_val
        self.member_unlabelled = member_unlabelled or [np.empty(0, np.int64) for _ in member_train]
        self.unlabelled_draws = [
            min(len(pool), round(config.distill_unlabelled * len(train)))
            for pool, train in zip(self.member_unlabelled, member_train, strict=True)
        ]
        self.checkpoint_dir = checkpoint_dir
        # (M, S) fixed training pairs per member on which prediction_spread watches for collapse
        rng = np.random.default_rng(config.seed)
        size = min(SPREAD_SAMPLE, *(len(train) for train in member_train))
        self.spread_pairs = torch.as_tensor(
            np.stack([rng.choice(train, size=size, replace=False) for train in member_train]),
            device=self.device,
        )
        self.steps_per_epoch = math.ceil(
            max(len(t) + n for t, n in zip(member_train, self.unlabelled_draws, strict=True))
            / config.batch_size
        )
        self.optimizer = torch.optim.AdamW(
            net.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer,
            max_lr=config.lr,
            total_steps=config.epochs * self.steps_per_epoch,
            pct_start=0.1,
        )
        self.epoch = 0
        self.history: list[dict[str, Any]] = []

    def _batches(self, epoch: int) -> torch.Tensor:
        """(steps, M, batch) pair indices: each member's own shuffled pairs (and this epoch's
        draw of unlabelled ones), cycled to length."""
        rng = np.random.default_rng([self.config.seed, epoch])
        length = self.steps_per_epoch * self.config.batch_size
        rows = []
        for train, pool, draws in zip(
            self.member_train, self.member_unlabelled, self.unlabelled_draws, strict=True
        ):
            if draws:
                train = np.concatenate([train, rng.choice(pool, size=draws, replace=False)])
            order = rng.permutation(train)
            rows.append(np.resize(order, length))
        stacked = np.stack(rows).reshape(len(rows), self.steps_per_epoch, -1).transpose(1, 0, 2)
        return torch.as_tensor(np.ascontiguousarray(stacked), device=self.device)

    def _loss(self, batch: torch.Tensor) -> torch.Tensor:
        d = self.drug_index[batch]
        p = self.protein_index[batch]
        mean, log_var = self.net(self.drug_x[d], self.protein_x[p])
        target = torch.gather(self.targets, 1, batch)
        label = self.labels[batch]
        mse = ((mean - target) ** 2).mean(dim=1)
        # Variance head: Gaussian NLL around the *detached* mean, so it never pulls the mean
        # away from the MSE optimum; on labelled pairs only (unlabelled ones have NaN labels).
        labelled = ~torch.isnan(label)
        error = torch.where(labelled, label - mean.detach(), 0.0)
        nll = 0.5 * (log_var + error**2 * torch.exp(-log_var)) * labelled
        nll = nll.sum(dim=1) / labelled.sum(dim=1).clamp(min=1)
        loss = mse + 0.1 * nll
        if self.config.rank_weight:
            loss = loss + self.config.rank_weight * pairwise_rank_loss(mean, target)
        return loss.sum()

    def fit(self, progress: ProgressCallback | None = None, stage: str = "train") -> None:
        """Train to ``config.epochs``, resuming from the checkpoint when one exists."""
        self._restore()
        saved = time.monotonic()
        best: dict[int, tuple[float, dict[str, torch.Tensor]]] = {}
        while self.epoch < self.config.epochs:
            torch.manual_seed(self.config.seed * 100_003 + self.epoch)
            self.net.train()
            running = 0.0
            for batch in self._batches(self.epoch):
                loss = self._loss(batch)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if self.config.grad_clip is not None:
                    self._clip_member_gradients(self.config.grad_clip)
                self.optimizer.step()
                self.scheduler.step()
                running += float(loss.detach())
            self.epoch += 1
            info = {"epoch": self.epoch, "train_loss": running / self.steps_per_epoch}
            info.update(self.validation_mse())
            info.update(self.prediction_spread())
            self.history.append(info)
            if self.config.early_stopping:
                self._remember_best(info, best)
            if self.epoch == self.config.epochs or time.monotonic() - saved >= CHECKPOINT_EVERY_S:
                self._save_checkpoint()
                saved = time.monotonic()
            if progress is not None:
                progress(stage, self.epoch, self.config.epochs, info)
        if best:
            self._restore_best(best)

    def _remember_best(
        self, info: dict[str, Any], best: dict[int, tuple[float, dict[str, torch.Tensor]]]
    ) -> None:
        """Copy each member's weights when its validation MSE is the lowest so far."""
        state = self.net.state_dict()
        for member in range(len(self.member_val)):
            mse = info.get(f"val_mse_{member}")
            if mse is not None and (member not in best or mse < best[member][0]):
                best[member] = (mse, {k: v[member].detach().clone() for k, v in state.items()})

    @torch.no_grad()
    def _restore_best(self, best: dict[int, tuple[float, dict[str, torch.Tensor]]]) -> None:
        state = self.net.state_dict()
        for member, (mse, weights) in best.items():
            for name, tensor in weights.items():
                state[name][member] = tensor
            self.history[-1][f"best_val_mse_{member}"] = mse
        self.net.load_state_dict(state)

    @torch.no_grad()
    def _clip_member_gradients(self, max_norm: float) -> None:
        """Scale each member's gradient down to ``max_norm`` when its norm is larger.

        Why: the variance head's loss grows as exp(−log σ²), so one badly predicted pair late
        in training can give a gradient thousands of times the usual size. Adam then moves
        every weight by several learning rates at once, which can leave a member predicting one
        constant. Clipping per member (every parameter has the member axis first) keeps one
        member's spike from throttling the others.
        """
        grads = [p.grad for p in self.net.parameters() if p.grad is not None]
        if not grads:
            return
        scale = (max_norm / (self.member_gradient_norms() + 1e-6)).clamp(max=1.0)
        for grad in grads:
            grad.mul_(scale.view(-1, *([1] * (grad.dim() - 1))))

    @torch.no_grad()
    def member_gradient_norms(self) -> torch.Tensor:
        """(M,) each member's gradient norm over all its parameters (member axis first)."""
        grads = [p.grad for p in self.net.parameters() if p.grad is not None]
        if not grads:
            return torch.zeros(len(self.member_train), device=self.device)
        return torch.stack([g.pow(2).flatten(1).sum(dim=1) for g in grads]).sum(dim=0).sqrt()

    def prediction_spread(self) -> dict[str, float]:
        """Standard deviation of each member's predictions on its fixed ``spread_pairs``
        (standardised units; −1 if any is not finite). About 1 when healthy, ~0 when
        collapsed, but ~0.001 untrained too: hence the per-epoch history. Member m sees only
        its own row of pairs."""
        mean, _ = self.pair_outputs(self.spread_pairs)
        spread = mean.std(dim=1, unbiased=False).tolist()
        finite = torch.isfinite(mean).all(dim=1).tolist()
        return {
            f"spread_{member}": value if ok else -1.0
            for member, (value, ok) in enumerate(zip(spread, finite, strict=True))
        }

    def collapsed_members(self) -> list[int]:
        """Members whose prediction spread is now below 1% of its peak, or not finite.

        That is the failure seen twice on KIBA in commit 7bd7e41
        (docs/benchmarks-history-2026-11.md, "Model selection"): the member learned (spread
        ~0.9), then one bad step left it predicting one constant.
        The peak comes from the epoch history (checkpoints of older runs may lack it).
        With early stopping a member holds the weights of its best epoch, which on a small
        assay can be one of the first, still close to predicting the mean: that is the
        honest answer of little data, not a divergence (a diverged member was never its best
        epoch), so only a non-finite spread counts then. Seen fine-tuning on 50 compounds.
        """
        now = self.prediction_spread()
        collapsed = []
        for member in range(len(self.member_train)):
            key = f"spread_{member}"
            current = now[key]
            peak = max([info[key] for info in self.history if key in info] + [current])
            flat = current < COLLAPSE_FRACTION * peak and not self.config.early_stopping
            if current < 0 or flat:
                collapsed.append(member)
        return collapsed

    @torch.inference_mode()
    def pair_outputs(self, pairs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pair indices (M, L), row m scored by member m → standardised mean and log-variance,
        (M, L) each, in eval mode.

        Why not one forward pass per pair: late fusion lets each member encode every distinct
        drug and protein of a chunk once and then score the chunk's pairs from those
        embeddings (the same function, computed once per molecule). Scoring each member's
        validation fold per pair with all M members took 45% of a KIBA CV epoch on 2 CPU
        cores. Chunks keep memory bounded however many molecules a dataset has.
        """
        self.net.eval()
        members = torch.arange(pairs.shape[0], device=self.device)[:, None]
        means, log_vars = [], []
        for start in range(0, pairs.shape[1], EVAL_CHUNK):
            chunk = pairs[:, start : start + EVAL_CHUNK]
            drugs, drug_rows = self.drug_index[chunk].unique(return_inverse=True)
            proteins, protein_rows = self.protein_index[chunk].unique(return_inverse=True)
            mean, log_var = self.net.score(
                self.net.encode_drugs(self.drug_x[drugs])[members, drug_rows],
                self.net.encode_proteins(self.protein_x[proteins])[members, protein_rows],
            )
            means.append(mean)
            log_vars.append(log_var)
        return torch.cat(means, dim=1), torch.cat(log_vars, dim=1)

    def member_outputs(self, member: int, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Member ``member``'s standardised mean and log-variance on ``pairs``, (n,) each."""
        if len(pairs) == 0:
            return np.empty(0), np.empty(0)
        index = torch.as_tensor(pairs, device=self.device)
        rows = index.expand(self.net.config.n_members, -1)
        mean, log_var = self.pair_outputs(rows)
        return mean[member].cpu().numpy(), log_var[member].cpu().numpy()

    def validation_outputs(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each member's standardised mean and log-variance on its own validation fold, (n_m,)
        each (empty for a member without one), from one pass for all members: each fold is
        cycled to the longest fold's length and only the member's own pairs are kept."""
        sizes = [len(val) for val in self.member_val]
        if not any(sizes):
            return [(np.empty(0), np.empty(0)) for _ in sizes]
        length = max(sizes)
        rows = np.stack(
            [
                np.resize(val, length) if len(val) else np.zeros(length, np.int64)
                for val in self.member_val
            ]
        )
        mean, log_var = self.pair_outputs(torch.as_tensor(rows, device=self.device))
        mean_np, log_var_np = mean.cpu().numpy(), log_var.cpu().numpy()
        return [(mean_np[m, :size], log_var_np[m, :size]) for m, size in enumerate(sizes)]

    def validation_mse(self) -> dict[str, float]:
        """Standardised validation MSE of each member that has a validation fold."""
        labels = self.labels.cpu().numpy()
        return {
            f"val_mse_{member}": float(np.mean((mean - labels[val]) ** 2))
            for member, (val, (mean, _)) in enumerate(
                zip(self.member_val, self.validation_outputs(), strict=True)
            )
            if len(val)
        }

    def _checkpoint_paths(self) -> tuple[Path, Path]:
        return (
            self.checkpoint_dir / "checkpoint.safetensors",
            self.checkpoint_dir / "checkpoint.json",
        )

    def _save_checkpoint(self) -> None:
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        tensors = {
            f"net.{k}": v.detach().cpu().contiguous() for k, v in self.net.state_dict().items()
        }
        for index, param in enumerate(self.net.parameters()):
            state = self.optimizer.state.get(param, {})
            for key in ("exp_avg", "exp_avg_sq", "step"):
                if key in state:
                    tensors[f"opt.{index}.{key}"] = (
                        state[key].detach().cpu().reshape(-1).clone()
                        if key == "step"
                        else state[key].detach().cpu().contiguous()
                    )
        weights, meta = self._checkpoint_paths()
        weights_tmp = weights.with_name(weights.name + ".tmp")
        meta_tmp = meta.with_name(meta.name + ".tmp")
        save_file(tensors, str(weights_tmp))
        meta_tmp.write_text(
            json.dumps(
                {
                    "epoch": self.epoch,
                    "scheduler": self.scheduler.state_dict(),
                    # one-cycle moves lr and beta1 inside the optimizer: restore them too
                    "param_groups": [
                        {"lr": group["lr"], "betas": list(group["betas"])}
                        for group in self.optimizer.param_groups
                    ],
                    "history": self.history,
                }
            )
        )
        weights_tmp.replace(weights)
        meta_tmp.replace(meta)

    def _restore(self) -> None:
        weights, meta = self._checkpoint_paths()
        if not (weights.is_file() and meta.is_file()):
            return
        info = json.loads(meta.read_text())
        tensors = load_file(str(weights), device=str(self.device))
        self.net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
        for index, param in enumerate(self.net.parameters()):
            if f"opt.{index}.exp_avg" in tensors:
                self.optimizer.state[param] = {
                    "step": tensors[f"opt.{index}.step"].reshape(()).cpu(),
                    "exp_avg": tensors[f"opt.{index}.exp_avg"],
                    "exp_avg_sq": tensors[f"opt.{index}.exp_avg_sq"],
                }
        self.scheduler.load_state_dict(info["scheduler"])
        for group, saved in zip(self.optimizer.param_groups, info["param_groups"], strict=True):
            group["lr"] = saved["lr"]
            group["betas"] = tuple(saved["betas"])
        self.epoch = int(info["epoch"])
        self.history = list(info["history"])


def pairwise_rank_loss(mean: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(M,) RankNet loss per member: softplus(−sign(Δtarget)·Δprediction), averaged over pairs.

    Each pair in a member's batch is compared with its neighbour; batches are shuffled every
    epoch, so neighbours are random partners and the cost stays O(batch). Tied targets (Davis's
    many pKd = 5 floor values) carry no order and are left out, as the concordance index does.
    """
    order = torch.sign(target - target.roll(1, dims=1))
    loss = nn_functional.softplus(-order * (mean - mean.roll(1, dims=1))) * order.abs()
    return loss.sum(dim=1) / order.abs().sum(dim=1).clamp(min=1)


def fixed_split_fitter(
    features: FeatureSet,
    config: TrainConfig,
    train: np.ndarray,
    val: np.ndarray,
    checkpoint_dir: Path,
) -> tuple[EnsembleFitter, tuple[float, float]]:
    """A fitter whose ``config.net.n_members`` members all train on ``train`` and validate on
    ``val``, with labels standardised on ``train``: the one-split experiment behind the
    ensemble-gain screen and the training trace (CV training uses one split per member).

    Returns the fitter and the (mean, sd) that turn its outputs back into target units.
    """
    members = config.net.n_members
    net_config = features.sized(config.net)
    scaling = (float(features.y[train].mean()), float(features.y[train].std()))
    labels = (features.y - scaling[0]) / scaling[1]
    torch.manual_seed(config.seed)
    fitter = EnsembleFitter(
        AffinityNet(net_config),
        features,
        np.repeat(labels[None], members, axis=0),
        labels,
        [train] * members,
        [val] * members,
        config,
        checkpoint_dir,
    )
    return fitter, scaling


@dataclass
class RunResult:
    """What a finished run produced."""

    model_dir: Path
    cv_metrics: dict[str, Any]


def prepare_run_dir(out_dir: Path, config: TrainConfig, *, override: bool) -> None:
    """Create the run directory or check that a rerun asks for the same config (resume).

    Raises:
        InputError: the directory holds a run with a different config and ``override`` is off.
    """
    config_path = out_dir / "config.json"
    if override and out_dir.exists():
        for stage in ("cv", "refit", "model"):
            for path in (out_dir / stage).glob("*"):
                path.unlink()
        for name in ("oof.csv", "cv_metrics.json"):
            (out_dir / name).unlink(missing_ok=True)
    elif config_path.is_file():
        saved = json.loads(config_path.read_text())
        if saved.get("digest") != config.digest():
            raise InputError(
                f"{out_dir} holds a run with different settings; pass --override to start "
                "over, or choose another output directory"
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = {"digest": config.digest(), "config": config.model_dump(), "version": __version__}
    config_path.write_text(json.dumps(payload, indent=2) + "\n")


def _fit_stage(
    stage: str,
    n_members: int,
    features: FeatureSet,
    member_train: list[np.ndarray],
    member_val: list[np.ndarray],
    config: TrainConfig,
    out_dir: Path,
    scaling: tuple[float, float],
    progress: ProgressCallback | None,
) -> EnsembleFitter:
    y_mean, y_std = scaling
    labels = (features.y - y_mean) / y_std
    targets = np.repeat(labels[None, :], n_members, axis=0)
    pools = None
    if config.teacher:
        means = teacher_means(
            config,
            features.drugs,
            features.proteins,
            features.drug_index,
            features.protein_index,
            stage,
            n_members,
        )
        teacher = (means - y_mean) / y_std
        blend = config.distill_weight * teacher + (1 - config.distill_weight) * targets
        targets = np.where(np.isnan(targets), teacher, blend)  # unlabelled: teacher alone
        unlabelled = np.flatnonzero(np.isnan(features.y))
        if len(unlabelled):
            pools = member_unlabelled(
                features.drug_index, features.protein_index, unlabelled, member_train
            )
    torch.manual_seed(config.seed + (0 if stage == "cv" else 1))
    net = AffinityNet(config.net.model_copy(update={"n_members": n_members}))
    if config.init_from:
        warm_start(net, config.init_from)
    fitter = EnsembleFitter(
        net, features, targets, labels, member_train, member_val, config, out_dir / stage, pools
    )
    fitter.fit(progress, stage)
    collapsed = fitter.collapsed_members()
    if collapsed:
        raise TrainingError(
            f"{stage} stage: member(s) {', '.join(map(str, collapsed))} collapsed to a constant "
            f"prediction (training diverged). Rerun with --override and another seed "
            f"(--set seed={config.seed + 1}) or a lower learning rate "
            f"(--set lr={config.lr / 2:g}); the {stage} checkpoint in {out_dir / stage} holds "
            "the collapsed weights"
        )
    return fitter


def warm_start(net: AffinityNet, base: str) -> None:
    """Start every member of ``net`` from a trained model's member (m mod M_base), or its
    drug tower alone from a pretrained encoder (every member from the same weights).

    Raises:
        InputError: the base's shapes differ (other featurizers or network width).
    """
    from biomedfm.affinity.encoder import is_encoder, load_encoder
    from biomedfm.affinity.io import load_model

    target = net.state_dict()
    encoder = is_encoder(base)  # a pretrained drug encoder starts the drug tower alone
    source = load_encoder(base)[1] if encoder else load_model(base).net.state_dict()
    for name, tensor in target.items():
        if name not in source and encoder:
            continue
        if name not in source or source[name].shape[1:] != tensor.shape[1:]:
            raise InputError(
                f"cannot start from {base!r}: its layer {name} has shape "
                f"{tuple(source[name].shape) if name in source else 'none'}, this network "
                f"needs {tuple(tensor.shape)}; use the base's featurizers and net settings"
            )
        members = torch.arange(tensor.shape[0]) % source[name].shape[0]
        target[name] = source[name][members].clone()
    net.load_state_dict(target)


def _model_config(
    config: TrainConfig,
    n_members: int,
    scaling: tuple[float, float],
    sigma_scale: float,
    training: dict[str, Any],
) -> ModelConfig:
    return ModelConfig(
        name=config.name,
        preset=config.preset,
        target=config.target,
        target_description=config.target_description,
        drug_featurizer=config.drug_featurizer,
        protein_featurizer=config.protein_featurizer,
        net=config.net.model_copy(update={"n_members": n_members}),
        y_mean=scaling[0],
        y_std=scaling[1],
        sigma_scale=sigma_scale,
        training=training,
    )


def calibrate(oof: pd.DataFrame) -> tuple[float, dict[str, float]]:
    """Conformal scale for ``pred ± 1.645·unc`` and its cross-conformal coverage per fold.

    The scale is the 90% quantile of |y − pred| / σ_raw over all out-of-fold predictions,
    divided by 1.645. Coverage for fold k uses the scale fitted on the *other* folds, so the
    reported coverage is an honest out-of-sample estimate.
    """
    scores = np.abs(oof["y"] - oof["pred"]) / oof["sigma_raw"]
    scale = float(np.quantile(scores, 0.9) / Z90)
    coverage = {}
    for fold in sorted(oof["fold"].unique()):
        inside = oof["fold"] == fold
        fold_scale = float(np.quantile(scores[~inside], 0.9) / Z90)
        coverage[str(fold)] = interval_coverage(
            oof.loc[inside, "y"].to_numpy(),
            oof.loc[inside, "pred"].to_numpy(),
            oof.loc[inside, "sigma_raw"].to_numpy() * fold_scale,
        )
    return scale, coverage


def summarise(per_fold: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean and sample standard deviation of each metric over folds."""
    keys = [k for k in per_fold[0] if k != "n"]
    return {
        key: {
            "mean": float(np.mean([f[key] for f in per_fold])),
            "sd": float(np.std([f[key] for f in per_fold], ddof=1)) if len(per_fold) > 1 else 0.0,
        }
        for key in keys
    }


def run_training(
    frame: pd.DataFrame,
    config: TrainConfig,
    out_dir: Path,
    *,
    override: bool = False,
    progress: ProgressCallback | None = None,
) -> RunResult:
    """Cross-validate, calibrate, optionally refit on all pairs, and save the final model."""
    check_device(config.device)
    prepare_run_dir(out_dir, config, override=override)
    features = featurize_frame(frame, config)
    config = config.model_copy(update={"net": features.sized(config.net)})
    folds: list[Fold] = SPLITTERS[config.split](frame, n_folds=config.n_folds, seed=config.seed)
    # Standardisation uses all pairs: in CV this lets the validation labels shift the target's
    # mean/sd by well under 1%, an offset the output bias absorbs anyway; nothing else is fitted
    # on validation labels.
    scaling = (float(features.y.mean()), float(features.y.std()) or 1.0)
    if config.distill_unlabelled:
        features = add_transfer_pairs(features, config)

    cv = _fit_stage(
        "cv",
        len(folds),
        features,
        [f[0] for f in folds],
        [f[1] for f in folds],
        config,
        out_dir,
        scaling,
        progress,
    )
    save_model(
        AffinityModel(_model_config(config, len(folds), scaling, 1.0, {}), cv.net),
        out_dir / "cv",
        half=False,
    )

    rows, per_fold = [], []
    for member, ((_, val), (mean, log_var)) in enumerate(
        zip(folds, cv.validation_outputs(), strict=True)
    ):
        pred = mean * scaling[1] + scaling[0]
        per_fold.append(regression_report(features.y[val], pred))
        rows.append(
            pd.DataFrame(
                {
                    "row": val,
                    "fold": member,
                    "y": features.y[val],
                    "pred": pred,
                    "sigma_raw": np.exp(0.5 * log_var) * scaling[1],
                }
            )
        )
    oof = pd.concat(rows, ignore_index=True)
    oof.to_csv(out_dir / "oof.csv", index=False)
    sigma_scale, coverage = calibrate(oof)
    cv_metrics = {
        "split": config.split,
        "n_folds": len(folds),
        "per_fold": per_fold,
        "summary": summarise(per_fold),
        "oof": regression_report(oof["y"].to_numpy(), oof["pred"].to_numpy()),
        "sigma_scale": sigma_scale,
        "coverage90_per_fold": coverage,
        "coverage90_mean": float(np.mean(list(coverage.values()))),
    }
    (out_dir / "cv_metrics.json").write_text(json.dumps(cv_metrics, indent=2) + "\n")

    training = {
        "data_digest": data_digest(frame),
        "config_digest": config.digest(),
        "package_version": __version__,
        "n_pairs": len(frame),
        "refit": config.refit,
        "cv_summary": cv_metrics["summary"],
        "coverage90_mean": cv_metrics["coverage90_mean"],
        "teacher": config.teacher,
        "distill_unlabelled": config.distill_unlabelled,
        "distill_transfer": config.distill_transfer,
        "rank_weight": config.rank_weight,
    }
    if config.refit:
        everything = np.arange(len(frame))
        n = config.net.n_members
        final = _fit_stage(
            "refit",
            n,
            features,
            [everything] * n,
            [np.empty(0, dtype=np.int64)] * n,
            config,
            out_dir,
            scaling,
            progress,
        )
        net, n_members = final.net, n
    else:
        net, n_members = cv.net, len(folds)
    model = AffinityModel(
        _model_config(config, n_members, scaling, sigma_scale, training), net.cpu()
    )
    save_model(model, out_dir / "model")
    return RunResult(model_dir=out_dir / "model", cv_metrics=cv_metrics)
