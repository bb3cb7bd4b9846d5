"""Fine-tuning a pretrained affinity model on a lab's own assay.

A lab's data is one table: compounds measured on one target (no sequence column: the target
is given once) or on several (a sequence column). Its unit is whatever the column holds
(pKi, pIC50, pKd, pEC50). Fine-tuning is a training run (:func:`run_training`) whose members
start from a pretrained model's weights instead of random ones, with the same guarantees:

- **validation inside the data**: five random folds; member k never sees fold k and keeps the
  weights of the epoch where its fold's error was lowest (early stopping);
- **a kernel regressor beside the network**: each target's Tanimoto SVR on ECFP (the method
  to beat on such assays) is averaged with the ensemble (:mod:`biomedfm.affinity.kernel`);
  its out-of-fold predictions use the ensemble's folds, so the out-of-fold metrics are the
  blend's;
- **uncertainty**: the five members are the ensemble; σ is scaled so that the out-of-fold 90%
  intervals of the blend hold 90% of the values (conformal calibration on the held-out folds),
  then by :data:`DEPLOYED_SIGMA_FACTOR`, because the deployed blend errs less than the
  out-of-fold one the scale is fitted on;
- **applicability domain**: the run's model carries the assay's compounds and target, so every
  prediction says how far it is from them (see :mod:`biomedfm.affinity.domain`).

The run directory works with ``affinity predict --model runs/NAME``; a single-target model
needs no sequence column there either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biomedfm.affinity.data import PairColumns, check_pairs, read_pairs
from biomedfm.affinity.domain import ApplicabilityDomain
from biomedfm.affinity.encoder import ENCODER_NAME, is_encoder, load_encoder
from biomedfm.affinity.io import load_model, read_model_config, save_model
from biomedfm.affinity.kernel import KERNEL_WEIGHT, KernelRegressor, out_of_fold
from biomedfm.affinity.metrics import regression_report
from biomedfm.affinity.presets import PRESETS, TrainConfig
from biomedfm.affinity.train import ProgressCallback, RunResult, calibrate, run_training, summarise
from biomedfm.chem.sequences import validate_sequence
from biomedfm.errors import InputError

DEFAULT_BASE = "kiba"
"""The best measured base: its ensemble alone has mean RMSE 0.657 over the 30 MoleculeACE
assays (the MOSES encoder 0.678, no pretraining 0.724), 0.646 averaged with the kernel
regressor (BENCHMARKS.md, "Fine-tuning on a lab's assay"); ``davis`` as a base is behind it
on the 6 assays it was measured on (0.708 against 0.673, ensembles alone)."""
SCRATCH = "scratch"
"""``--from scratch``: the same network and recipe from random weights (the no-pretraining
baseline every fine-tuning result is measured against)."""
ENCODER = ENCODER_NAME
"""``--from encoder`` (or an encoder directory): the scratch network whose drug tower starts
from the MOSES-pretrained encoder (:mod:`biomedfm.affinity.encoder`); nothing else differs."""
UNNAMED_TARGET = "X" * 32
"""Stands in for the protein of a single-target assay given without its sequence: the model
then knows one unnamed target (its protein features are a constant either way)."""
DEPLOYED_SIGMA_FACTOR = 0.67
"""σ of a fine-tuned ensemble, times this. Its conformal scale is fitted on out-of-fold errors
(one member's prediction, blended with a kernel SVR fitted without that fold); a deployed
prediction averages all five members and an SVR fitted on every compound, and errs less, so
the out-of-fold scale held 0.972 of held-out compounds where 90% was asked (the 30
MoleculeACE assays, inner 80/20 split). The factor each assay needed to hold exactly 90% was
0.55-0.80, median 0.669, unrelated to the assay's size (r = 0.04 with log size);
``benchmarks/affinity_finetune_coverage.py`` measures the factor built in, leave-one-assay-out
(BENCHMARKS.md). The lite student is calibrated on its own out-of-fold errors and keeps them."""


@dataclass(frozen=True)
class FinetuneSettings:
    """The recipe. Set once, not tuned: 40 epochs with early stopping, a small batch for
    assays of 50-3,000 compounds, a learning rate half the presets'."""

    epochs: int = 40
    lr: float = 1e-3
    batch_size: int = 64
    n_folds: int = 5
    seed: int = 0
    dropout: float | None = None  # None: the base's


@dataclass
class Assay:
    """A lab's assay read for fine-tuning: the usable rows and what was left out."""

    frame: pd.DataFrame  # smiles, sequence, affinity (+ the user's columns)
    target_sequence: str | None  # the single target's sequence; None for a multi-target table
    skipped: dict[int, str]  # 1-based file line → why the row was left out


def read_assay(
    path: Path,
    target_column: str,
    *,
    smiles_column: str = "smiles",
    sequence_column: str | None = None,
    target_sequence: str | None = None,
) -> Assay:
    """The assay as a labelled pair table; rows with a bad SMILES or sequence are left out
    (and listed), replicates averaged or, when they disagree, left out (listed too); the rest
    are used.

    Raises:
        InputError: both sequence options, a bad target sequence, missing columns,
            non-numeric values, or fewer than 20 usable rows.
    """
    if sequence_column and target_sequence:
        raise InputError("give --target-sequence or --sequence-column, not both")
    single = None
    if not sequence_column:
        single = UNNAMED_TARGET
        if target_sequence:
            single = validate_sequence("".join(target_sequence.split()).upper())
    columns = PairColumns(smiles_column, sequence_column or "sequence", target_column)
    frame = read_pairs(path, columns, labelled=True, default_sequence=single)
    check = check_pairs(frame)
    errors = check.errors
    skipped = {int(str(i)) + 2: str(m) for i, m in errors[errors != ""].items()}  # 1: header
    frame = frame.loc[(errors == "").to_numpy()]
    frame, replicates = merge_replicates(frame, check.mols)
    skipped = dict(sorted({**skipped, **replicates}.items()))
    frame = frame.reset_index(drop=True)
    if len(frame) < 20:
        raise InputError(
            f"{path} has {len(frame)} usable rows ({len(skipped)} left out); fine-tuning "
            "needs at least 20 measured compounds"
        )
    frame["sequence"] = ["".join(s.split()).upper() for s in frame["sequence"]]
    frame["smiles"] = frame["smiles"].str.strip()
    return Assay(frame, single, skipped)


REPLICATE_TOLERANCE = 1.0
"""Measurements of one compound on one target further apart than this (log units, a 10-fold
difference) contradict each other: both are left out rather than averaged."""


def merge_replicates(
    frame: pd.DataFrame, mols: dict[str, Any]
) -> tuple[pd.DataFrame, dict[int, str]]:
    """One row per (compound, target): replicates (the same molecule, however written) are
    averaged into the first; replicates that disagree by more than REPLICATE_TOLERANCE are
    all left out. Returns the rows kept and, per file line merged or left out, why.
    """
    from rdkit import Chem

    keys = [
        (Chem.MolToSmiles(mols[s.strip()]), q)
        for s, q in zip(frame["smiles"], frame["sequence"], strict=True)
    ]
    groups: dict[tuple[str, str], list[Any]] = {}
    for index, key in zip(frame.index, keys, strict=True):
        groups.setdefault(key, []).append(index)
    notes: dict[int, str] = {}
    drop: list[Any] = []
    values = frame["affinity"].astype(float)
    frame = frame.copy()
    for rows in (r for r in groups.values() if len(r) > 1):
        lines = [int(str(i)) + 2 for i in rows]
        measured = values.loc[rows]
        smiles = str(frame.at[rows[0], "smiles"]).strip()
        if measured.max() - measured.min() > REPLICATE_TOLERANCE:
            shown = ", ".join(f"{v:g} (line {n})" for v, n in zip(measured, lines, strict=True))
            for line in lines:
                notes[line] = (
                    f"compound {smiles} is measured {shown} on the same target, more than "
                    f"{REPLICATE_TOLERANCE:g} apart: left out; keep the value you trust"
                )
            drop += rows
        else:
            frame.loc[rows[0], "affinity"] = float(measured.mean())
            for line in lines[1:]:
                notes[line] = f"replicate of line {lines[0]} ({smiles}): averaged into it"
            drop += rows[1:]
    return frame.drop(index=drop), notes


def finetune_config(
    base: str, name: str, target: str, settings: FinetuneSettings, device: str = "cpu"
) -> TrainConfig:
    """A training config with the base's featurizers and shape, started from its weights."""
    if base == SCRATCH:
        model_config = read_model_config(DEFAULT_BASE)
        init_from = None
    elif is_encoder(base):
        model_config = read_model_config(DEFAULT_BASE)
        encoder_config, _ = load_encoder(base)
        if encoder_config.drug_featurizer != model_config.drug_featurizer:
            raise InputError(
                f"the encoder {base!r} reads {encoder_config.drug_featurizer}, the network "
                f"it would start reads {model_config.drug_featurizer}; pretrain it on those"
            )
        init_from = base
    else:
        model_config = read_model_config(base)
        init_from = base
    net = model_config.net.model_copy(
        update={
            "n_members": settings.n_folds,
            **({"dropout": settings.dropout} if settings.dropout is not None else {}),
        }
    )
    return TrainConfig(
        preset=model_config.preset if model_config.preset in PRESETS else "main",
        name=name,
        target=target,
        target_description=f"{target} as measured in the fine-tuning assay",
        drug_featurizer=model_config.drug_featurizer,
        protein_featurizer=model_config.protein_featurizer,
        net=net,
        split="random",
        n_folds=settings.n_folds,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        lr=settings.lr,
        seed=settings.seed,
        refit=False,
        init_from=init_from,
        early_stopping=True,
        device=device,
    )


def finetune(
    frame: pd.DataFrame,
    out_dir: Path,
    *,
    base: str = DEFAULT_BASE,
    target: str = "affinity",
    target_sequence: str | None = None,
    settings: FinetuneSettings | None = None,
    override: bool = False,
    device: str = "cpu",
    progress: ProgressCallback | None = None,
) -> RunResult:
    """Fine-tune ``base`` (a shipped name, a run or model directory, or ``scratch``) on a
    labelled pair table (``smiles``, ``sequence``, ``affinity``); save the run in ``out_dir``.

    Args:
        target_sequence: the protein of a single-target assay (recorded in the model, so its
            predictions need no sequence column).
    """
    settings = settings or FinetuneSettings()
    config = finetune_config(base, out_dir.name, target, settings, device)
    result = run_training(frame, config, out_dir, override=override, progress=progress)
    mols = check_pairs(frame).mols
    kernel = KernelRegressor.fit(
        [mols[s.strip()] for s in frame["smiles"]], _sequences(frame), _labels(frame)
    )
    result = _blend_out_of_fold(result, frame, mols, out_dir)
    _record_assay(result, frame, target_sequence, {"finetuned_from": base}, kernel, mols)
    return result


def _labels(frame: pd.DataFrame) -> np.ndarray:
    return frame["affinity"].to_numpy(dtype=np.float64)


def _sequences(frame: pd.DataFrame) -> list[str]:
    """The targets as prediction sees them (whitespace removed, upper case)."""
    return ["".join(str(s).split()).upper() for s in frame["sequence"]]


def _blend_out_of_fold(
    result: RunResult, frame: pd.DataFrame, mols: dict[str, Any], out_dir: Path
) -> RunResult:
    """The run's out-of-fold predictions, metrics and conformal scale redone for the blend of
    ensemble and kernel regressor (``oof.csv`` keeps both parts: ``pred_ensemble``,
    ``pred_kernel``; ``cv_metrics.json`` keeps the ensemble's alone as ``ensemble_oof``)."""
    oof = pd.read_csv(out_dir / "oof.csv").sort_values("row").reset_index(drop=True)
    rows = oof["row"].to_numpy()
    sequences = _sequences(frame)
    kernel = out_of_fold(
        [mols[s.strip()] for s in frame["smiles"].iloc[rows]],
        [sequences[i] for i in rows],
        _labels(frame)[rows],
        oof["fold"].to_numpy(),
    )
    oof["pred_ensemble"] = oof["pred"]
    oof["pred_kernel"] = kernel
    blended = (1 - KERNEL_WEIGHT) * oof["pred"] + KERNEL_WEIGHT * kernel
    oof["pred"] = np.where(np.isnan(kernel), oof["pred"], blended)
    oof.to_csv(out_dir / "oof.csv", index=False)
    sigma_scale, coverage = calibrate(oof)
    per_fold = [
        regression_report(part["y"].to_numpy(), part["pred"].to_numpy())
        for _, part in oof.groupby("fold")
    ]
    metrics = {
        **result.cv_metrics,
        "per_fold": per_fold,
        "summary": summarise(per_fold),
        "oof": regression_report(oof["y"].to_numpy(), oof["pred"].to_numpy()),
        "ensemble_oof": regression_report(oof["y"].to_numpy(), oof["pred_ensemble"].to_numpy()),
        "kernel_rows": int(np.isfinite(kernel).sum()),
        "sigma_scale": sigma_scale,
        "coverage90_per_fold": coverage,
        "coverage90_mean": float(np.mean(list(coverage.values()))),
    }
    (out_dir / "cv_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return RunResult(model_dir=result.model_dir, cv_metrics=metrics)


def _record_assay(
    result: RunResult,
    frame: pd.DataFrame,
    target_sequence: str | None,
    training: dict[str, str],
    kernel: KernelRegressor | None = None,
    mols: dict[str, Any] | None = None,
) -> None:
    """Write into the trained model what the assay adds: its one target (if any), where it
    started from, the assay's applicability domain and (for the ensemble) its kernel
    regressor with the blend's conformal scale (times :data:`DEPLOYED_SIGMA_FACTOR`) and CV
    summary. ``mols``: the assay's
    molecules by SMILES, when the caller has parsed them already."""
    model = load_model(result.model_dir)
    model.config.target_sequence = target_sequence
    model.config.training.update(training)
    model.domain = _assay_domain(model, frame, mols or check_pairs(frame).mols)
    if kernel is not None:
        model.kernel = kernel if kernel.targets else None
        model.config.sigma_scale = float(result.cv_metrics["sigma_scale"]) * DEPLOYED_SIGMA_FACTOR
        model.config.training["sigma_scale_out_of_fold"] = result.cv_metrics["sigma_scale"]
        model.config.training["deployed_sigma_factor"] = DEPLOYED_SIGMA_FACTOR
        model.config.training["cv_summary"] = result.cv_metrics["summary"]
        model.config.training["coverage90_mean"] = result.cv_metrics["coverage90_mean"]
        model.config.training["kernel"] = {
            "weight": kernel.weight,
            "targets": len(kernel.targets),
            "c": [k.c for k in kernel.targets.values()],
        }
    save_model(model, result.model_dir)


LITE_DIR = "lite"
"""Where :func:`finetune_lite` puts the student inside the teacher's run directory."""
LITE_START = "kiba-lite"
"""The student's start: the shipped KIBA lite (Morgan counts, one network)."""


def finetune_lite(
    frame: pd.DataFrame,
    teacher_run: Path,
    *,
    target: str = "affinity",
    target_sequence: str | None = None,
    settings: FinetuneSettings | None = None,
    override: bool = False,
    device: str = "cpu",
    progress: ProgressCallback | None = None,
) -> RunResult:
    """A one-network student of a fine-tuned ensemble, in the lite's shape and inputs.

    A fine-tuned ensemble reads MACCS keys and runs five networks, so it predicts about four
    times slower than the lite (1,244 against 5,146 compounds/s on CHEMBL219). The student
    starts from the shipped KIBA lite and learns the assay with the teacher's predictions
    blended into its targets (``distill_weight``); its CV member k learns from the teacher's
    CV member k, on the same folds, so its out-of-fold numbers stay honest. There it matched
    its teacher (RMSE 0.746 against 0.745) at 4,555 compounds/s (BENCHMARKS.md). Saved in
    ``teacher_run/lite``.
    """
    settings = settings or FinetuneSettings()
    config = finetune_config(LITE_START, teacher_run.name + "-lite", target, settings, device)
    config = config.model_copy(
        update={
            "net": config.net.model_copy(update={"n_members": 1}),
            "refit": True,
            "teacher": str(teacher_run),
        }
    )
    result = run_training(
        frame, config, teacher_run / LITE_DIR, override=override, progress=progress
    )
    _record_assay(
        result,
        frame,
        target_sequence,
        {"finetuned_from": LITE_START, "distilled_from": str(teacher_run)},
    )
    return result


def _assay_domain(model: Any, frame: pd.DataFrame, mols: dict[str, Any]) -> ApplicabilityDomain:
    """The assay's compounds and targets; out of domain, σ no smaller than the assay's spread
    (a compound unlike every measured one is predicted no better than the assay's mean)."""
    spread = float(np.std(frame["affinity"].to_numpy(dtype=np.float64)))
    return ApplicabilityDomain.from_training(
        [mols[s] for s in dict.fromkeys(frame["smiles"])],
        frame["sequence"].unique().tolist(),
        out_of_domain_sigma=spread,
        calibration={"on": "the fine-tuning assay's label spread"},
    )
