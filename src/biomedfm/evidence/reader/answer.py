"""The answer reader: what a study's results say to a yes/no question, read as a whole.

The evidence reader judges one sentence against one claim and tells well whether a sentence
bears on a question, but not which way a study's results point: over PubMedQA its features
left the decision model at 0.573 accuracy (majority 0.552). The answer reader is a copy of the
evidence reader fine-tuned on PubMedQA's own questions: the question's proposition against the
end of the abstract (results and the last sentences before the conclusion, about 250 word
pieces), and against the authors' conclusion as a second, cleaner example of the same
judgement. Its stance head is reused with yes → supports, no → contradicts, maybe → neutral,
so the warm start already knows which way "supports" points.

Its three probabilities are features of the decision model (:mod:`biomedfm.evidence.decision`).
The decision model must learn from probabilities the answer reader gives to questions it never
saw, so training cross-fits: ``folds`` readers, each trained without one fold, read that fold
(``cross_fit.json``: the out-of-fold probabilities, by question id), and the shipped reader is
then trained on every question.
"""

from __future__ import annotations

import json
import logging
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from biomedfm.errors import InputError
from biomedfm.evidence.reader.model import EvidenceReaderModel

log = logging.getLogger(__name__)
ANSWER_LABELS = ("yes", "no", "maybe")  # in the stance head's supports/contradicts/neutral order
MAX_LENGTH = 256
PASSAGE_CHARS = 1100
CROSS_FIT_FILE = "cross_fit.json"
WARM_UP_SOURCES = ("trials", "abstracts")


def last_within(lengths: list[int], budget: int) -> int:
    """Index of the first of the last items whose lengths sum within ``budget`` (at least
    the last one, however long)."""
    start, total = len(lengths), 0
    while start > 0 and (start == len(lengths) or total + lengths[start - 1] <= budget):
        start -= 1
        total += lengths[start]
    return start


def passage_start(sentences: list[str], chars: int = PASSAGE_CHARS) -> int:
    """Index of the first of the last sentences that fit in ``chars`` (at least the last
    one, however long): where :func:`answer_passage` begins."""
    return last_within([len(s) for s in sentences], chars)


def answer_passage(sentences: list[str], chars: int = PASSAGE_CHARS) -> str:
    """The last sentences of a study (in text order) up to ``chars``: where its results are.

    At least the last sentence is kept, however long (the tokenizer then truncates it).
    """
    return " ".join(sentences[passage_start(sentences, chars) :])


def answer_probabilities(
    reader: EvidenceReaderModel, propositions: list[str], passages: list[str]
) -> np.ndarray:
    """(n, 3) yes / no / maybe probabilities of each (proposition, passage)."""
    return reader.probabilities(propositions, passages, "stance")


@dataclass
class AnswerExamples:
    """PubMedQA questions as the answer reader learns them."""

    ids: list[str]
    propositions: list[str]
    passages: list[str]
    conclusions: list[str]
    labels: np.ndarray  # (n,) index into ANSWER_LABELS


def read_answer_examples(path: Path) -> AnswerExamples:
    """The questions, passages, conclusions and decisions of a PubMedQA JSON file.

    Raises:
        InputError: a record lacks its question, contexts, long answer or decision.
    """
    from biomedfm.evidence.decision import proposition
    from biomedfm.evidence.decision_train import context_sentences

    records = json.loads(path.read_text())
    examples = AnswerExamples([], [], [], [], np.zeros(0, dtype=np.int64))
    labels = []
    for key, record in records.items():
        decision = record.get("final_decision")
        if (
            not record.get("question")
            or not record.get("contexts")
            or not record.get("long_answer")
            or decision not in ANSWER_LABELS
        ):
            raise InputError(
                f"{path} record {key}: needs 'question', 'contexts', 'long_answer' and "
                "'final_decision' (yes/no/maybe)"
            )
        examples.ids.append(str(key))
        examples.propositions.append(proposition(record["question"]))
        examples.passages.append(answer_passage(context_sentences(record["contexts"])))
        examples.conclusions.append(str(record["long_answer"]))
        labels.append(ANSWER_LABELS.index(decision))
    examples.labels = np.asarray(labels, dtype=np.int64)
    return examples


@dataclass(frozen=True)
class AnswerFit:
    """How one answer reader is fine-tuned (the same for every fold and the final reader)."""

    epochs: int = 3
    lr: float = 4e-5
    batch_size: int = 16
    seed: int = 0
    # "right" cuts the end of a too-long passage, "left" its start (keeps the last results)
    truncation_side: str = "right"
    # transformer layers tuned, from the top; None keeps the start reader's (3 of 6)
    trained_layers: int | None = None


def fit_answer_reader(
    start: Path,
    examples: AnswerExamples,
    rows: np.ndarray,
    fit: AnswerFit = AnswerFit(),
    say: Callable[[str], None] = log.info,
) -> EvidenceReaderModel:
    """A reader warm-started from ``start``, fine-tuned on the examples at ``rows``.

    Each question is shown twice an epoch, with its passage and with its conclusion.
    """
    items = [
        (examples.propositions[i], text, int(examples.labels[i]))
        for i in rows
        for text in (examples.passages[i], examples.conclusions[i])
    ]
    return fit_answer_items(start, items, fit, say=say)


def length_batches(
    items: list[tuple[str, str, int]], batch_size: int, rng: random.Random
) -> list[list[tuple[str, str, int]]]:
    """The items in batches of similar length, the batches in random order.

    Padding costs as much as text: a batch mixing 250-piece passages with 60-piece
    conclusions pads every conclusion to 250. Items are shuffled, sorted by length within
    pools of 8 batches, cut into batches, and the batches shuffled.
    """
    items = list(items)
    rng.shuffle(items)
    pool = 8 * batch_size
    batches = []
    for begin in range(0, len(items), pool):
        ordered = sorted(items[begin : begin + pool], key=lambda item: len(item[0]) + len(item[1]))
        batches += [ordered[b : b + batch_size] for b in range(0, len(ordered), batch_size)]
    rng.shuffle(batches)
    return batches


def fit_answer_items(
    start: Path,
    items: list[tuple[str, str, int]],
    fit: AnswerFit,
    say: Callable[[str], None] = log.info,
) -> EvidenceReaderModel:
    """The reader at ``start`` fine-tuned on (proposition, passage, answer index) items.

    The classes are weighted by 1/√frequency (maybe is about a tenth of PubMedQA), linear
    warm-up over the first 10% of steps, then linear decay; batches hold items of similar
    length (:func:`length_batches`).
    """
    torch.manual_seed(fit.seed)
    rng = random.Random(fit.seed)
    model = EvidenceReaderModel.load(start)
    if fit.trained_layers is not None:
        model.tune_top_layers(fit.trained_layers)
    model.config.max_length = MAX_LENGTH
    model.config.truncation_side = fit.truncation_side
    model.config.stance_logit_bias = (0.0, 0.0, 0.0)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=fit.lr, weight_decay=0.01)
    total = fit.epochs * -(-len(items) // fit.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / (0.1 * total)) * max(0.0, 1 - s / total)
    )
    frequency = np.bincount([item[2] for item in items], minlength=3) / len(items)
    inverse = 1.0 / np.sqrt(np.maximum(frequency, 1e-3))
    loss_of = torch.nn.CrossEntropyLoss(
        weight=torch.tensor(inverse / inverse.mean(), dtype=torch.float32)
    )
    started = time.time()
    for epoch in range(1, fit.epochs + 1):
        model.train()
        running = 0.0
        for chunk in length_batches(items, fit.batch_size, rng):
            batch = model.encode([c[0] for c in chunk], [c[1] for c in chunk])
            loss = loss_of(model(batch, "stance"), torch.tensor([c[2] for c in chunk]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            running += float(loss.detach()) * len(chunk)
        say(f"epoch {epoch}: loss {running / len(items):.3f} ({time.time() - started:.0f} s)")
    model.eval()
    return model


def _scores(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    predicted = probabilities.argmax(1)
    return {
        "accuracy": round(float(accuracy_score(labels, predicted)), 3),
        "macro_f1": round(float(f1_score(labels, predicted, average="macro")), 3),
    }


def train_answer_reader(
    path: Path,
    output: Path,
    start: Path,
    *,
    folds: int = 5,
    fit: AnswerFit = AnswerFit(),
    limit: int | None = None,
    version: str = "",
    keep_folds: Path | None = None,
    warm_up: Path | None = None,
    warm_up_from: tuple[str, ...] = ("trials",),
    warm_up_epochs: int = 1,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Cross-fit ``folds`` readers (out-of-fold probabilities), then train on every question.

    Args:
        start: the reader to warm-start from (the shipped evidence reader).
        warm_up: an ``evidence_inference`` folder: first fine-tune ``start`` on yes/no
            questions made from it, then start every fold and the final reader from that.
        warm_up_from: which questions (:data:`WARM_UP_SOURCES`): ``trials``, the doctors'
            findings (:mod:`~biomedfm.evidence.reader.answer_trials`); ``abstracts``, the
            abstracts' own conclusions, as PQA-A was made
            (:mod:`~biomedfm.evidence.reader.answer_abstracts`).
        warm_up_epochs: passes over the warm-up questions.
        keep_folds: also save each fold's reader under ``keep_folds/fold-K`` (benchmarks use
            them to answer each question with a reader that never saw it).
        limit: use only the first ``limit`` questions, and as many warm-up questions of
            each source (smoke runs).
        fit: epochs, learning rate, seed, truncation side and tuned layers of every
            reader. The folds stay the same whatever the seed, so readers trained with
            different settings can be paired or averaged question by question.
            ``truncation_side="left"`` cuts a passage that overruns the token budget from its
            start (about half of PubMedQA's do), so the last results sentences are read.
    """
    say = progress or log.info
    examples = read_answer_examples(path)
    if limit is not None:
        examples = AnswerExamples(
            examples.ids[:limit],
            examples.propositions[:limit],
            examples.passages[:limit],
            examples.conclusions[:limit],
            examples.labels[:limit],
        )
    with tempfile.TemporaryDirectory(prefix="biomedfm-answer-") as scratch:
        warm_up_report: dict[str, Any] = {}
        if warm_up is not None:
            start, warm_up_report = _warm_up(
                start,
                warm_up,
                Path(scratch),
                WarmUp(warm_up_from, warm_up_epochs, limit, pubmedqa_openings(path)),
                fit,
                say,
            )
        return _cross_fit_and_train(
            start,
            examples,
            output,
            folds,
            fit,
            version,
            keep_folds,
            say,
            {"source": path.name, **({"warm_up": warm_up_report} if warm_up_report else {})},
        )


@dataclass(frozen=True)
class WarmUp:
    """Which questions the warm-up makes, how often it shows them, and what it leaves out."""

    sources: tuple[str, ...] = ("trials",)
    epochs: int = 1
    limit: int | None = None  # at most this many questions of each source (smoke runs)
    exclude_openings: frozenset[str] = frozenset()  # abstracts being trained or validated on


def pubmedqa_openings(path: Path) -> frozenset[str]:
    """The opening words of each PubMedQA abstract's first sentences (to keep a trial that is
    one of its questions out of the warm-up)."""
    from biomedfm.evidence.decision_train import context_sentences
    from biomedfm.evidence.reader.answer_abstracts import opening

    records = json.loads(path.read_text())
    return frozenset(
        opening(sentence)
        for record in records.values()
        for sentence in context_sentences(record.get("contexts") or [])[:3]
    )


def warm_up_questions(directory: Path, warm_up: WarmUp) -> list[tuple[str, str, str]]:
    """(proposition, passage, yes/no) from an ``evidence_inference`` folder, by source."""
    from biomedfm.evidence.decision import proposition
    from biomedfm.evidence.reader.answer_abstracts import read_abstract_questions
    from biomedfm.evidence.reader.answer_trials import read_trial_questions

    unknown = sorted(set(warm_up.sources) - set(WARM_UP_SOURCES))
    if unknown or not warm_up.sources:
        raise InputError(
            f"warm-up questions come from {' and/or '.join(WARM_UP_SOURCES)}, not {unknown}"
        )
    questions: list[tuple[str, str, str]] = []
    if "trials" in warm_up.sources:
        questions += read_trial_questions(directory, PASSAGE_CHARS)[: warm_up.limit]
    if "abstracts" in warm_up.sources:
        made = read_abstract_questions(directory, warm_up.exclude_openings)
        questions += [
            (proposition(q.question), answer_passage(q.passage_sentences), q.answer)
            for q in made[: warm_up.limit]
        ]
    return questions


def _warm_up(
    start: Path,
    directory: Path,
    scratch: Path,
    warm_up: WarmUp,
    fit: AnswerFit,
    say: Callable[[str], None],
) -> tuple[Path, dict[str, Any]]:
    """``start`` fine-tuned on the warm-up questions, saved in scratch.

    The run's own settings (seed, learning rate, truncation, tuned layers) apply; only the
    epochs are the warm-up's.
    """
    questions = warm_up_questions(directory, warm_up)
    items = [(claim, passage, ANSWER_LABELS.index(answer)) for claim, passage, answer in questions]
    say(f"warm-up: {len(items)} questions from {', '.join(warm_up.sources)}")
    reader = fit_answer_items(start, items, replace(fit, epochs=warm_up.epochs), say=say)
    reader.save(scratch / "warm-up", {"role": "answer warm-up"})
    counts = np.bincount([item[2] for item in items], minlength=3)
    return scratch / "warm-up", {
        "source": directory.name,
        "from": list(warm_up.sources),
        "questions": len(items),
        "yes": int(counts[0]),
        "no": int(counts[1]),
        "epochs": warm_up.epochs,
    }


def _cross_fit_and_train(
    start: Path,
    examples: AnswerExamples,
    output: Path,
    folds: int,
    fit: AnswerFit,
    version: str,
    keep_folds: Path | None,
    say: Callable[[str], None],
    about: dict[str, Any],
) -> dict[str, Any]:
    """The cross-fitting and final training of :func:`train_answer_reader`; its report."""
    n = len(examples.ids)
    out_of_fold = np.zeros((n, 3), dtype=np.float64)
    fold_of = np.zeros(n, dtype=np.int64)
    fold_reports = []
    splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
    for k, (train, test) in enumerate(splitter.split(examples.labels, examples.labels)):
        say(f"fold {k + 1}/{folds}: {len(train)} questions")
        reader = fit_answer_reader(start, examples, train, fit, say)
        out_of_fold[test] = answer_probabilities(
            reader, [examples.propositions[i] for i in test], [examples.passages[i] for i in test]
        )
        fold_of[test] = k
        fold_reports.append(_scores(examples.labels[test], out_of_fold[test]))
        say(f"fold {k + 1}: {fold_reports[-1]}")
        if keep_folds is not None:
            reader.save(keep_folds / f"fold-{k}", {"version": version, "fold": k})
    cross_fit = _scores(examples.labels, out_of_fold)
    majority = float(np.bincount(examples.labels, minlength=3).max() / n)
    say(f"cross-fitted: {cross_fit} (majority {majority:.3f})")
    say(f"final reader: all {n} questions")
    reader = fit_answer_reader(start, examples, np.arange(n), fit, say)
    reader.config.version = version
    report = {
        "questions": n,
        **about,
        "cross_fitted": {**cross_fit, "majority_accuracy": round(majority, 3), "folds": folds},
        "per_fold": fold_reports,
        "settings": {
            "epochs": fit.epochs,
            "lr": fit.lr,
            "max_length": MAX_LENGTH,
            "passage_chars": PASSAGE_CHARS,
            "seed": fit.seed,
            "truncation_side": fit.truncation_side,
            "trained_layers": reader.config.trained_layers,
            "length_batches": True,
        },
    }
    reader.save(output, {"version": version, "role": "answer", "training": report})
    (output / CROSS_FIT_FILE).write_text(
        json.dumps(
            {
                "labels": list(ANSWER_LABELS),
                "folds": folds,
                "fold": dict(zip(examples.ids, fold_of.tolist(), strict=True)),
                "probabilities": {
                    key: [round(float(v), 5) for v in row]
                    for key, row in zip(examples.ids, out_of_fold, strict=True)
                },
            }
        )
        + "\n"
    )
    return report


def read_cross_fit(directory: Path) -> dict[str, list[float]]:
    """The out-of-fold yes / no / maybe probabilities of a trained answer reader, by id."""
    file = directory / CROSS_FIT_FILE
    if not file.is_file():
        raise InputError(
            f"{directory} has no {CROSS_FIT_FILE}; train the answer reader with "
            "'biomedfm evidence train-answer'"
        )
    return dict(json.loads(file.read_text())["probabilities"])
