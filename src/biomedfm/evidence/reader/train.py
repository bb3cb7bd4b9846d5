"""Fine-tuning of the evidence reader on 2 CPU cores (about 20 minutes an epoch).

Batches alternate between the two heads in proportion to their data; the top layers learn at
``lr``, the freshly initialised heads at ten times that, with linear warm-up and decay. After
every epoch the reader is scored on the validation pairs and the cross-source SciFact set, and
the epoch with the best validation macro-F1 (stance and effect averaged; SciFact is reported,
never selected on) is the one saved.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import f1_score

from biomedfm.errors import InputError
from biomedfm.evidence.reader.data import Pair, ReaderData, build_reader_data
from biomedfm.evidence.reader.model import (
    HEADS,
    STANCE_LABELS,
    EvidenceReaderModel,
    ReaderConfig,
)

log = logging.getLogger(__name__)
STANCE_INDEX = {label: i for i, label in enumerate(STANCE_LABELS)}


def score_pairs(model: EvidenceReaderModel, pairs: list[Pair], head: str) -> dict[str, Any]:
    """Macro-F1, accuracy and per-source accuracy of one head on labelled pairs."""
    if not pairs:
        return {"pairs": 0}
    labels = HEADS[head]
    p = model.probabilities([x.first for x in pairs], [x.second for x in pairs], head)
    predicted = [labels[i] for i in p.argmax(1)]
    truth = [x.label for x in pairs]
    by_source: dict[str, list[bool]] = {}
    for pair, guess in zip(pairs, predicted, strict=True):
        by_source.setdefault(pair.source, []).append(guess == pair.label)
    return {
        "pairs": len(pairs),
        "macro_f1": float(f1_score(truth, predicted, labels=list(labels), average="macro")),
        "accuracy": float(np.mean([a == b for a, b in zip(truth, predicted, strict=True)])),
        "per_class_f1": dict(
            zip(
                labels,
                (float(v) for v in f1_score(truth, predicted, labels=list(labels), average=None)),
                strict=True,
            )
        ),
        "accuracy_by_source": {k: float(np.mean(v)) for k, v in sorted(by_source.items())},
    }


def _batches(
    data: dict[str, list[Pair]], batch_size: int, rng: random.Random
) -> list[tuple[str, list[Pair]]]:
    batches = []
    for head, pairs in data.items():
        shuffled = pairs[:]
        rng.shuffle(shuffled)
        batches += [
            (head, shuffled[i : i + batch_size]) for i in range(0, len(shuffled), batch_size)
        ]
    rng.shuffle(batches)
    return batches


def calibrate_stance(
    model: EvidenceReaderModel, pairs: list[Pair], grid: float = 1.5, step: float = 0.1
) -> tuple[float, float, float]:
    """Logit offsets for supports and contradicts (neutral fixed at 0) that maximise the
    stance macro-F1 on ``pairs`` (validation pairs: a class-prior correction, 2 numbers)."""
    saved = model.config.stance_logit_bias
    model.config.stance_logit_bias = (0.0, 0.0, 0.0)
    p = model.probabilities([x.first for x in pairs], [x.second for x in pairs], "stance")
    model.config.stance_logit_bias = saved
    logits = np.log(np.clip(p, 1e-9, 1.0))
    truth = [STANCE_INDEX[x.label] for x in pairs]
    values = np.arange(-grid, grid + 1e-9, step)
    best, best_score = (0.0, 0.0, 0.0), -1.0
    for a in values:
        for b in values:
            guess = (logits + np.array([a, b, 0.0])).argmax(1)
            score = float(f1_score(truth, guess, labels=[0, 1, 2], average="macro"))
            if score > best_score + 1e-9:
                best, best_score = (round(float(a), 2), round(float(b), 2), 0.0), score
    return best


def evaluate(model: EvidenceReaderModel, data: ReaderData) -> dict[str, Any]:
    stance = score_pairs(model, data.stance_validation, "stance")
    effect = score_pairs(model, data.effect_validation, "effect")
    return {
        "stance_validation": stance,
        "effect_validation": effect,
        "stance_cross_source_scifact": score_pairs(model, data.stance_cross_source, "stance"),
        "selection_score": (stance["macro_f1"] + effect["macro_f1"]) / 2,
    }


def train_reader(
    data_dir: Path,
    output: Path,
    *,
    epochs: int = 2,
    batch_size: int = 16,
    lr: float = 5e-5,
    trained_layers: int = 3,
    max_length: int = 128,
    seed: int = 0,
    limit: int | None = None,
    hard_neutrals: bool = False,
    flips: bool = False,
    other_outcomes: bool = False,
    start: Path | None = None,
    sample: float = 1.0,
    version: str = "",
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Build the pairs, fine-tune, keep the best epoch in ``output``; return the report.

    Args:
        limit: use at most this many training pairs per head (smoke tests).
        start: continue from this reader instead of the packaged MiniLM (its trained layers
            and length are kept; its stance calibration is redone at the end).
        sample: train on this seeded share of each head's pairs (a continued fine-tune needs
            a pass over part of the data, not all of it: 2 cores take 38 min for all).
    """
    say = progress or log.info
    torch.manual_seed(seed)
    rng = random.Random(seed)
    data = build_reader_data(
        data_dir, seed=seed, hard_neutrals=hard_neutrals, flips=flips, other_outcomes=other_outcomes
    )
    if limit is not None:
        data.stance_train = data.stance_train[:limit]
        data.effect_train = data.effect_train[:limit]
        data.stance_validation = data.stance_validation[:limit]
        data.effect_validation = data.effect_validation[:limit]
        data.stance_cross_source = data.stance_cross_source[:limit]
    if not 0.0 < sample <= 1.0:
        raise InputError(f"sample must be in (0, 1], not {sample}")
    if sample < 1.0:
        data.stance_train = data.stance_train[: max(1, round(len(data.stance_train) * sample))]
        data.effect_train = data.effect_train[: max(1, round(len(data.effect_train) * sample))]
    train = {"stance": data.stance_train, "effect": data.effect_train}
    say(f"pairs: stance {len(data.stance_train)}, effect {len(data.effect_train)}")
    if start is not None:
        model = EvidenceReaderModel.load(start)
        model.config.stance_logit_bias = (0.0, 0.0, 0.0)
        model.config.version = version
        model.config.metadata = {}
        trained_layers, max_length = model.config.trained_layers, model.config.max_length
    else:
        config = ReaderConfig(trained_layers=trained_layers, max_length=max_length, version=version)
        model = EvidenceReaderModel(config)
    head_parameters = list(model.heads.parameters())
    head_ids = {id(p) for p in head_parameters}
    encoder_parameters = [
        p for p in model.parameters() if p.requires_grad and id(p) not in head_ids
    ]
    optimizer = torch.optim.AdamW(
        [
            {"params": encoder_parameters, "lr": lr},
            {"params": head_parameters, "lr": lr * 10},
        ],
        weight_decay=0.01,
    )
    steps_per_epoch = sum(-(-len(v) // batch_size) for v in train.values())
    total = steps_per_epoch * epochs
    warmup = max(1, total // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warmup, max(0.0, (total - step) / (total - warmup))),
    )
    history: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    started = time.time()
    step = 0
    for epoch in range(1, epochs + 1):
        model.train()
        model.encoder.embeddings.eval()  # frozen, no dropout below the trained layers
        running = 0.0
        for head, batch in _batches(train, batch_size, rng):
            labels = torch.tensor([HEADS[head].index(p.label) for p in batch])
            logits = model(model.encode([p.first for p in batch], [p.second for p in batch]), head)
            loss = torch.nn.functional.cross_entropy(logits, labels)
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(encoder_parameters + head_parameters, 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            value = float(loss.detach())
            running = 0.98 * running + 0.02 * value if step > 1 else value
            if step % 50 == 0:
                say(
                    f"epoch {epoch} step {step}/{total} loss {running:.3f} "
                    f"({time.time() - started:.0f} s)"
                )
        scores = evaluate(model, data)
        scores["epoch"] = epoch
        scores["seconds"] = round(time.time() - started, 1)
        history.append(scores)
        say(json.dumps({k: v for k, v in scores.items() if k != "history"}))
        if best is None or scores["selection_score"] > best["selection_score"]:
            best = scores
            model.save(output, {"training": {"epoch": epoch}})
    assert best is not None
    report = {
        "selected_epoch": best["epoch"],
        "validation": best,
        "history": history,
        "pairs": {
            "stance_train": len(data.stance_train),
            "effect_train": len(data.effect_train),
            "stance_validation": len(data.stance_validation),
            "effect_validation": len(data.effect_validation),
            "stance_cross_source": len(data.stance_cross_source),
        },
        "settings": {
            "epochs": epochs,
            "batch_size": batch_size,
            "lr": lr,
            "trained_layers": trained_layers,
            "max_length": max_length,
            "seed": seed,
            "limit": limit,
            "hard_neutrals": hard_neutrals,
            "flips": flips,
            "other_outcomes": other_outcomes,
            "start": str(start) if start is not None else None,
            "sample": sample,
        },
    }
    saved = EvidenceReaderModel.load(output)
    saved.config.stance_logit_bias = calibrate_stance(saved, data.stance_validation)
    report["stance_logit_bias"] = list(saved.config.stance_logit_bias)
    report["calibrated"] = evaluate(saved, data)
    saved.save(output, {"training": report})
    return report
