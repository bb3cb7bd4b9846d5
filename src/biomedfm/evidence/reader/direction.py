"""The direction reader: which way a trial's finding sentence points, for one comparison.

The main reader finds the sentence that reports a comparison well (its quotes fall on the
doctors' evidence 76% of the time) but reads the direction of a finding poorly: given the
doctors' own sentence it names increased / decreased / no difference right for only about half
of the prompts, below a TF-IDF logistic regression. Direction is a narrower skill than stance,
so it gets its own copy of the tuned top layers, warm-started from the reader and fine-tuned on
finding sentences only (160 tokens: findings are long sentences with their numbers).

Showing each sentence again with intervention and comparator swapped (label swapped too) was
tried so that the model would have to read which arm a sentence favours: on the validation
trials it did worse (macro-F1 0.566 on the doctors' quotes, against 0.748 without), so it is
off by default (``swapped``).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from sklearn.metrics import f1_score

from biomedfm.evidence.reader.data import (
    Pair,
    TrialPrompt,
    evidence_sentences,
    load_trials,
    read_trial_prompts,
)
from biomedfm.evidence.reader.model import EFFECT_LABELS, EvidenceReaderModel, effect_query
from biomedfm.evidence.reader.trial import TrialText

log = logging.getLogger(__name__)
DIRECTIONS = EFFECT_LABELS[:3]
_SWAP = {"increased": "decreased", "decreased": "increased", "no_difference": "no_difference"}


def direction_pairs(
    prompts: list[TrialPrompt],
    trials: dict[str, TrialText],
    swapped: bool = False,
    per_prompt: int = 3,
) -> list[Pair]:
    """(effect query, finding sentence) → direction: the first doctor's quote and the article
    sentences overlapping any quote (at most ``per_prompt`` texts); with ``swapped`` each also
    with the arms exchanged."""
    pairs: list[Pair] = []
    for prompt in prompts:
        texts = [q[0].strip() for q in prompt.quotes[:1] if q[0].strip()]
        trial = trials.get(prompt.pmcid)
        if trial is not None:
            texts += [trial.sentence(i) for i in sorted(evidence_sentences(trial, prompt))]
        texts = list(dict.fromkeys(texts))[:per_prompt]
        query = effect_query(prompt.intervention, prompt.comparator, prompt.outcome)
        flipped = effect_query(prompt.comparator, prompt.intervention, prompt.outcome)
        for text in texts:
            pairs.append(Pair(query, text, prompt.label, "direction"))
            if swapped:
                pairs.append(Pair(flipped, text, _SWAP[prompt.label], "direction-swapped"))
    return pairs


def oracle_pairs(prompts: list[TrialPrompt]) -> list[Pair]:
    """Validation: each prompt once, with its first doctor's quote (no swap, no duplicates)."""
    return [
        Pair(
            effect_query(p.intervention, p.comparator, p.outcome),
            p.quotes[0][0].strip(),
            p.label,
            "direction",
        )
        for p in prompts
        if p.quotes and p.quotes[0][0].strip()
    ]


def _direction_loss(model: EvidenceReaderModel, batch: list[Pair]) -> torch.Tensor:
    labels = torch.tensor([DIRECTIONS.index(p.label) for p in batch])
    logits = model(model.encode([p.first for p in batch], [p.second for p in batch]), "effect")
    return torch.nn.functional.cross_entropy(logits[:, :3], labels)


def _oracle_macro_f1(model: EvidenceReaderModel, pairs: list[Pair]) -> float:
    # the 4th effect class (not_reported) is never trained here and never predicted
    p = model.probabilities([x.first for x in pairs], [x.second for x in pairs], "effect")
    predicted = [DIRECTIONS[i] for i in p[:, :3].argmax(1)]
    truth = [x.label for x in pairs]
    return float(f1_score(truth, predicted, labels=list(DIRECTIONS), average="macro"))


def train_direction(
    data_dir: Path,
    start: Path,
    output: Path,
    *,
    epochs: int = 2,
    batch_size: int = 16,
    lr: float = 8e-5,
    seed: int = 0,
    limit: int | None = None,
    swapped: bool = False,
    max_length: int | None = 160,
    version: str = "",
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Warm-start from the reader in ``start``, fine-tune on direction pairs, save the epoch
    with the best oracle macro-F1 on the validation trials in ``output``; return the report."""
    say = progress or log.info
    torch.manual_seed(seed)
    rng = random.Random(seed)
    directory = data_dir / "evidence" / "evidence_inference"
    prompts = read_trial_prompts(directory)
    trials = load_trials(directory, {p.pmcid for p in prompts})
    train = direction_pairs([p for p in prompts if p.split == "train"], trials, swapped)
    validation = oracle_pairs([p for p in prompts if p.split == "validation"])
    if limit is not None:
        train, validation = train[:limit], validation[:limit]
    model = EvidenceReaderModel.load(start)
    model.config.version = version or model.config.version
    model.config.max_length = max_length or model.config.max_length
    encoder = [p for n, p in model.named_parameters() if p.requires_grad and "heads" not in n]
    head = list(model.heads["effect"].parameters())
    optimizer = torch.optim.AdamW(
        [{"params": encoder, "lr": lr}, {"params": head, "lr": lr * 5}], weight_decay=0.01
    )
    steps = -(-len(train) // batch_size) * epochs
    warmup = max(1, steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    say(f"direction pairs: train {len(train)}, validation {len(validation)}")
    history = [{"epoch": 0, "oracle_macro_f1": _oracle_macro_f1(model, validation)}]
    say(json.dumps(history[0]))
    best = history[0]
    model.save(output, {"training": {"epoch": 0}})
    started, step = time.time(), 0
    for epoch in range(1, epochs + 1):
        model.train()
        model.encoder.embeddings.eval()
        shuffled = train[:]
        rng.shuffle(shuffled)
        for begin in range(0, len(shuffled), batch_size):
            loss = _direction_loss(model, shuffled[begin : begin + batch_size])
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(encoder + head, 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            if step % 50 == 0:
                say(
                    f"epoch {epoch} step {step}/{steps} loss {float(loss):.3f} "
                    f"({time.time() - started:.0f} s)"
                )
        scores = {
            "epoch": epoch,
            "oracle_macro_f1": _oracle_macro_f1(model, validation),
            "seconds": round(time.time() - started, 1),
        }
        history.append(scores)
        say(json.dumps(scores))
        if scores["oracle_macro_f1"] > best["oracle_macro_f1"]:
            best = scores
            model.save(output, {"training": {"epoch": epoch}})
    report = {
        "selected_epoch": best["epoch"],
        "oracle_macro_f1": best["oracle_macro_f1"],
        "history": history,
        "pairs": {"train": len(train), "validation": len(validation)},
        "settings": {
            "epochs": epochs,
            "batch_size": batch_size,
            "lr": lr,
            "seed": seed,
            "start": str(start),
            "swapped": swapped,
            "max_length": model.config.max_length,
            "limit": limit,
        },
    }
    EvidenceReaderModel.load(output).save(output, {"training": report, "role": "direction"})
    return report
