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

``other_outcomes`` also trains the fourth class, ``not_reported``, on the doctors' quotes for
*another outcome* of the same comparison in the same trial (and on the trial's sentence most
like the prompt that is not its evidence). The shipped reader takes most of those for a report
of this outcome; a team that asks "does this quote report the question's outcome at all?" needs
a reader that can tell (the statin question: a study of recovery *after* a stroke, read as
evidence on the risk of stroke). Validation reports, for every reader, how well
``1 − p(not_reported)`` ranks the doctors' quote above other outcomes' quotes (ROC AUC).
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
from sklearn.metrics import f1_score, roc_auc_score

from biomedfm.evidence.reader.data import (
    Pair,
    TrialPrompt,
    evidence_sentences,
    load_trials,
    non_evidence_by_similarity,
    other_outcome_quotes,
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


UNREPORTED = EFFECT_LABELS[3]


def _unreported(prompt: TrialPrompt, text: str, source: str) -> Pair:
    query = effect_query(prompt.intervention, prompt.comparator, prompt.outcome)
    return Pair(query, text, UNREPORTED, source)


def unreported_pairs(
    prompts: list[TrialPrompt], trials: dict[str, TrialText], rng: random.Random
) -> list[Pair]:
    """(effect query, a sentence that does not report its finding) → ``not_reported``: up to
    two other outcomes' quotes of the same comparison (:func:`other_outcome_quotes`) and the
    trial's non-evidence sentence that shares most words with the prompt."""
    pairs = [
        _unreported(p, quote, "other-outcome") for p, quote in other_outcome_quotes(prompts, rng)
    ]
    for prompt in prompts:
        trial = trials.get(prompt.pmcid)
        if trial is None:
            continue
        ranked = non_evidence_by_similarity(trial, prompt, evidence_sentences(trial, prompt))
        if ranked:
            pairs.append(_unreported(prompt, trial.sentence(ranked[0]), "same-trial"))
    return pairs


def reported_pairs(prompts: list[TrialPrompt]) -> list[Pair]:
    """Validation of ``not_reported``: each prompt's first doctor's quote (reported) and the
    other outcomes' quotes of the same comparison (not reported), drawn with a fixed seed."""
    reported = oracle_pairs(prompts)
    return reported + [
        _unreported(p, quote, "other-outcome")
        for p, quote in other_outcome_quotes(prompts, random.Random(0))
    ]


def _both_kinds(pairs: list[Pair], limit: int) -> list[Pair]:
    """The first ``limit`` pairs, half reported and half not, so the AUC stays defined."""
    kept = [x for x in pairs if x.label != UNREPORTED][: limit // 2]
    return kept + [x for x in pairs if x.label == UNREPORTED][: limit - len(kept)]


def _direction_loss(
    model: EvidenceReaderModel, batch: list[Pair], with_unreported: bool = False
) -> torch.Tensor:
    classes = EFFECT_LABELS if with_unreported else DIRECTIONS
    labels = torch.tensor([classes.index(p.label) for p in batch])
    logits = model(model.encode([p.first for p in batch], [p.second for p in batch]), "effect")
    return torch.nn.functional.cross_entropy(logits[:, : len(classes)], labels)


def _reported_auc(model: EvidenceReaderModel, pairs: list[Pair]) -> float:
    """ROC AUC of ``1 − p(not_reported)``: the doctors' quote against other outcomes' quotes."""
    p = model.probabilities([x.first for x in pairs], [x.second for x in pairs], "effect")
    truth = [x.label != UNREPORTED for x in pairs]
    if all(truth) or not any(truth):
        return float("nan")
    return float(roc_auc_score(truth, 1.0 - p[:, 3]))


def _oracle_macro_f1(model: EvidenceReaderModel, pairs: list[Pair]) -> float:
    # directions only: the 4th effect class (not_reported) is never predicted here
    pairs = [x for x in pairs if x.label != UNREPORTED]
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
    other_outcomes: bool = False,
    max_length: int | None = 160,
    version: str = "",
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Warm-start from the reader in ``start``, fine-tune on direction pairs, save the epoch
    with the best oracle macro-F1 on the validation trials in ``output``; return the report.

    With ``other_outcomes`` the ``not_reported`` class is trained too (:func:`unreported_pairs`)
    and the epoch is chosen by the mean of the oracle macro-F1 and the reported AUC."""
    say = progress or log.info
    torch.manual_seed(seed)
    rng = random.Random(seed)
    directory = data_dir / "evidence" / "evidence_inference"
    prompts = read_trial_prompts(directory)
    trials = load_trials(directory, {p.pmcid for p in prompts})
    train_prompts = [p for p in prompts if p.split == "train"]
    validation_prompts = [p for p in prompts if p.split == "validation"]
    train = direction_pairs(train_prompts, trials, swapped)
    validation = oracle_pairs(validation_prompts)
    if other_outcomes:
        train += unreported_pairs(train_prompts, trials, rng)
        rng.shuffle(train)  # so that a --limit keeps both kinds
    reported = reported_pairs(validation_prompts)
    if limit is not None:
        train, validation = train[:limit], validation[:limit]
        reported = _both_kinds(reported, limit)
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

    def scores_now(epoch: int) -> dict[str, Any]:
        return {
            "epoch": epoch,
            "oracle_macro_f1": _oracle_macro_f1(model, validation),
            "reported_auc": _reported_auc(model, reported),
        }

    def choice(scores: dict[str, Any]) -> float:
        if other_outcomes:
            return 0.5 * (float(scores["oracle_macro_f1"]) + float(scores["reported_auc"]))
        return float(scores["oracle_macro_f1"])

    history = [scores_now(0)]
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
            loss = _direction_loss(model, shuffled[begin : begin + batch_size], other_outcomes)
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(encoder + head, 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            if step % 50 == 0:
                say(
                    f"epoch {epoch} step {step}/{steps} loss {loss.item():.3f} "
                    f"({time.time() - started:.0f} s)"
                )
        scores = {**scores_now(epoch), "seconds": round(time.time() - started, 1)}
        history.append(scores)
        say(json.dumps(scores))
        if choice(scores) > choice(best):
            best = scores
            model.save(output, {"training": {"epoch": epoch}})
    report = {
        "selected_epoch": best["epoch"],
        "oracle_macro_f1": best["oracle_macro_f1"],
        "reported_auc": best["reported_auc"],
        "history": history,
        "pairs": {"train": len(train), "validation": len(validation), "reported": len(reported)},
        "settings": {
            "epochs": epochs,
            "batch_size": batch_size,
            "lr": lr,
            "seed": seed,
            "start": str(start),
            "swapped": swapped,
            "other_outcomes": other_outcomes,
            "max_length": model.config.max_length,
            "limit": limit,
        },
    }
    EvidenceReaderModel.load(output).save(output, {"training": report, "role": "direction"})
    return report
