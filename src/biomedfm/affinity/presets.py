"""Training presets and the resolved training configuration saved beside every run."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from biomedfm.affinity.nn import NetConfig
from biomedfm.affinity.splits import SPLITTERS
from biomedfm.chem.featurizers import make_featurizer


class TrainConfig(BaseModel):
    """Everything that determines a training run; written to ``<run>/config.json``."""

    model_config = ConfigDict(extra="forbid")

    preset: str = Field(description="Preset this config started from (main or lite).")
    name: str = Field("model", description="Name recorded in the trained model's config.")
    target: str = Field("affinity", description="Predicted quantity (pkd, kiba_score, ...).")
    target_description: str = Field("", description="Unit and meaning of the target.")
    drug_featurizer: dict[str, Any] = Field(description="Drug featurizer name and parameters.")
    protein_featurizer: dict[str, Any] = Field(description="Protein featurizer spec.")
    net: NetConfig = Field(description="Network shape; n_members = members of the final model.")
    split: str = Field("given", description="CV splitter: given, random, cold-drug, ...")
    n_folds: int = Field(5, ge=2, description="Cross-validation folds (one CV member each).")
    epochs: int = Field(100, ge=1, description="Epochs for every CV member and refit member.")
    batch_size: int = Field(1024, ge=1, description="Pairs per optimisation step and member.")
    lr: float = Field(2e-3, gt=0, description="Peak learning rate of the one-cycle schedule.")
    weight_decay: float = Field(1e-2, ge=0, description="AdamW weight decay.")
    grad_clip: float | None = Field(
        2.0,
        gt=0,
        description=(
            "Largest gradient norm of one member in one step (None: no clipping). Per-step "
            "norms are mostly 0.2-1.5 (up to ~3 where a short warm-up ends); the cap stops a "
            "rare spike from moving every weight at once."
        ),
    )
    seed: int = Field(0, description="Seed for splits, initialisation, shuffling and dropout.")
    refit: bool = Field(
        True, description="After CV, train the final members on all pairs for the same epochs."
    )
    teacher: str | None = Field(
        None, description="Run directory of a trained main model to distil from (lite)."
    )
    distill_weight: float = Field(
        0.7, ge=0, le=1, description="Weight of the teacher's prediction in the lite target."
    )
    distill_unlabelled: float = Field(
        0.0,
        ge=0,
        description=(
            "With a teacher and distill_transfer: unlabelled transfer pairs, scored by the "
            "teacher alone, drawn each epoch per labelled training pair (0: labelled pairs only)."
        ),
    )
    distill_transfer: str | None = Field(
        None,
        description=(
            "CSV of other molecules (smiles) and/or proteins (sequence): paired with the "
            "table's proteins and drugs, they make the unlabelled pairs. Never the table's own "
            "unmeasured combinations: held-out pairs of the same entities are among those."
        ),
    )
    rank_weight: float = Field(
        0.0,
        ge=0,
        description=(
            "Weight of a pairwise ranking loss beside the MSE (0: none): a logistic loss on "
            "the order of each batch pair's predictions where their targets differ. Aims at "
            "the concordance index, which MSE alone optimises only indirectly."
        ),
    )
    init_from: str | None = Field(
        None,
        description=(
            "A model (shipped name or directory) whose weights start every member: fine-tuning "
            "(member m starts from its member m mod M). Featurizers and shape must match it."
        ),
    )
    early_stopping: bool = Field(
        False,
        description=(
            "Keep each member's weights from the epoch of its lowest validation MSE (members "
            "without a validation fold keep their last epoch)."
        ),
    )
    device: str = Field("cpu", description="Torch device: cpu, cuda, cuda:1 ...")

    @field_validator("split")
    @classmethod
    def _known_split(cls, value: str) -> str:
        if value not in SPLITTERS:
            raise ValueError(f"unknown split {value!r}; choose from {', '.join(SPLITTERS)}")
        return value

    @model_validator(mode="after")
    def _unlabelled_needs_a_teacher(self) -> TrainConfig:
        if self.distill_unlabelled and not (self.teacher and self.distill_transfer):
            raise ValueError(
                "distill_unlabelled needs a teacher and a transfer set: add --teacher RUN_DIR "
                "(a trained main run) and --set distill_transfer=PATH (a CSV of other molecules "
                "and/or proteins)"
            )
        return self

    def digest(self) -> str:
        """Hash of the settings that change results (device excluded)."""
        payload = self.model_dump(exclude={"device"})
        # keys added after commit befa66a: unset, they stay out, so older runs keep their digest
        for key in (
            "distill_unlabelled",
            "distill_transfer",
            "rank_weight",
            "init_from",
            "early_stopping",
        ):
            if not payload[key]:
                del payload[key]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


_DRUG_MAIN = {"name": "morgan", "radius": 2, "n_bits": 2048, "counts": True}
# Global 1/2/3-mer composition (which protein) + the aligned kinase ATP-pocket residues (what a
# ligand meets there); both selected on Davis validation folds
# (docs/benchmarks-history-2026-11.md, commit 4bde908).
_KMER = {"name": "kmer", "ks": [1, 2, 3], "bins": 1024}
# The main model takes 12 BLOSUM62 components per pocket position (its 5 members must fit the
# 40 MB weight budget); the one-member lite takes the full rows, which did better on its own.
_POCKET = {"name": "kinase_pocket", "encoding": "blosum", "min_score": 0.055}
_PROTEIN_MAIN = {"name": "concat", "parts": [_KMER, {**_POCKET, "components": 12}]}
_PROTEIN_LITE = {"name": "concat", "parts": [_KMER, {**_POCKET, "components": None}]}
# The presets are dataset-agnostic starting points. The shipped models override some settings,
# each chosen on validation folds and recorded in the model's config.json (commands in
# docs/benchmarks-history-2026-11.md, "Reproducing the shipped models"): the Davis main is
# seven members of the lite's shape and inputs with dropout 0.2 (on Davis five of them rank
# better than five main-shape members; dropout 0.2 ranks better than 0.1),
# and the Davis lite is narrower (embedding 64, head [128]) so that it stays >= 10x faster per
# pair than that main; the KIBA main takes MACCS keys beside 1,024 Morgan counts, 4 members and
# dropout 0.2 (its lite keeps Morgan counts alone: MACCS keys cost the lite its speed, and
# learns from the main on transfer pairs too: distill_unlabelled=1 with a distill_transfer
# set built by benchmarks/distill_transfer_set.py).

PRESETS: dict[str, TrainConfig] = {
    "main": TrainConfig(
        preset="main",
        drug_featurizer=_DRUG_MAIN,
        protein_featurizer=_PROTEIN_MAIN,
        net=NetConfig(
            n_members=5,
            drug_dim=2048,
            protein_dim=make_featurizer("protein", _PROTEIN_MAIN).dim,
            tower_hidden=256,
            embed_dim=256,
            head_hidden=[512, 256],
            dropout=0.1,  # with the pocket features: 0.1 over 0.2/0.3, 100 over 200 epochs
        ),
        epochs=100,
        batch_size=1024,
        lr=2e-3,
    ),
    "lite": TrainConfig(
        preset="lite",
        drug_featurizer={"name": "morgan", "radius": 2, "n_bits": 1024, "counts": True},
        protein_featurizer=_PROTEIN_LITE,
        net=NetConfig(
            n_members=1,
            drug_dim=1024,
            protein_dim=make_featurizer("protein", _PROTEIN_LITE).dim,
            tower_hidden=256,
            embed_dim=128,
            head_hidden=[256],
            dropout=0.1,
        ),
        epochs=100,
        batch_size=1024,
        lr=2e-3,
    ),
}
"""Preset registry; the keys are the CLI's ``--preset`` choices."""


def resolve_config(preset: str, settings: list[str] | None = None, **overrides: Any) -> TrainConfig:
    """Start from a preset, apply ``key.path=json`` settings, then overrides (None is skipped).

    Args:
        settings: e.g. ``["net.tower_hidden=512", "protein_featurizer.bins=null"]``; values are
            JSON (bare words are taken as strings).
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    data = PRESETS[preset].model_dump()
    for item in settings or []:
        key, separator, text = item.partition("=")
        if not separator:
            raise ValueError(f"--set {item!r}: write key=value, e.g. net.dropout=0.2")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        *parents, leaf = key.split(".")
        node = data
        for part in parents:
            if not isinstance(node.get(part), dict):
                raise ValueError(f"--set {item!r}: {part!r} is not a settings group")
            node = node[part]
        node[leaf] = value
    for key, value in overrides.items():
        if value is not None:
            data[key] = value
    return TrainConfig.model_validate(data)
