"""Training and nested cross-validation of the decision model on PubMedQA-style questions.

The inner folds pick the regularisation strength; the outer folds only measure, so the reported
accuracy was never used to choose anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from biomedfm.errors import InputError
from biomedfm.evidence.decision import (
    LABELS,
    NO_ANSWER,
    DecisionModel,
    decision_features,
    proposition,
)
from biomedfm.evidence.reader import ANSWER_DIR, load_reader
from biomedfm.evidence.reader.answer import answer_passage, answer_probabilities, read_cross_fit
from biomedfm.evidence.retrieval.dense import embed
from biomedfm.evidence.sentences import split_sentences

C_GRID = (0.01, 0.03, 0.1, 0.3)


def context_sentences(contexts: list[str]) -> list[str]:
    """The sentences of a question's contexts, split as the evidence store splits them."""
    text = " ".join(c.strip() for c in contexts)
    return [text[start:end] for start, end in split_sentences(text)]


def read_pubmedqa(path: Path) -> tuple[list[str], list[list[str]], np.ndarray]:
    """Questions, their context sentences and labels from a PubMedQA JSON file.

    Raises:
        InputError: a record lacks ``question``, ``contexts`` or a yes/no/maybe decision.
    """
    records = json.loads(path.read_text())
    questions, sentences, labels = [], [], []
    for key, record in records.items():
        decision = record.get("final_decision")
        if not record.get("question") or not record.get("contexts") or decision not in LABELS:
            raise InputError(
                f"{path} record {key}: needs 'question', 'contexts' and 'final_decision' "
                "(yes/no/maybe)"
            )
        questions.append(record["question"])
        sentences.append(context_sentences(record["contexts"]))
        labels.append(decision)
    return questions, sentences, np.asarray(labels)


def pubmedqa_ids(path: Path) -> list[str]:
    """The record keys of a PubMedQA JSON file, in :func:`read_pubmedqa`'s order."""
    return [str(key) for key in json.loads(path.read_text())]


def featurize(
    questions: list[str],
    sentences: list[list[str]],
    reader: str | Path | None = None,
    answers: np.ndarray | None = None,
    answer_reader: str | Path | None = None,
) -> np.ndarray:
    """(n, n_features) for every question; embeds and reads all texts in one pass each.

    Args:
        reader: evidence reader directory (default: the shipped reader).
        answers: (n, 3) the answer reader's probabilities, given (training uses its
            out-of-fold ones); else ``answer_reader`` (default: the shipped one) reads them.
    """
    flat = [s for group in sentences for s in group]
    vectors = embed(flat)
    question_vectors = embed(questions)
    claims = [proposition(q) for q, group in zip(questions, sentences, strict=True) for _ in group]
    stances = load_reader(reader).probabilities(claims, flat, "stance")
    if answers is None:
        answers = answer_probabilities(
            load_reader(answer_reader, role="answer"),
            [proposition(q) for q in questions],
            [answer_passage(group) for group in sentences],
        )
    rows, start = [], 0
    for question, question_vector, group, answer in zip(
        questions, question_vectors, sentences, answers, strict=True
    ):
        rows.append(
            decision_features(
                question,
                group,
                vectors[start : start + len(group)],
                question_vector,
                stances[start : start + len(group)],
                answer if group else NO_ANSWER,
            )
        )
        start += len(group)
    return np.vstack(rows)


def fit(features: np.ndarray, labels: np.ndarray, c: float) -> DecisionModel:
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    regression = LogisticRegression(C=c, max_iter=5000)
    regression.fit((features - mean) / scale, labels)
    order = [list(regression.classes_).index(label) for label in LABELS]
    return DecisionModel(
        coef=regression.coef_[order],
        intercept=regression.intercept_[order],
        mean=mean,
        scale=scale,
        metadata={"C": c, "n_train": len(labels)},
    )


def _cv_predictions(
    features: np.ndarray, labels: np.ndarray, folds: int, seed: int, make: Callable[..., Any]
) -> np.ndarray:
    predicted = np.empty(len(labels), dtype=object)
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(
        features, labels
    ):
        model = make(features[train], labels[train], seed)
        predicted[test] = [LABELS[i] for i in model.probabilities(features[test]).argmax(axis=1)]
    return predicted


def select_c(features: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """The grid value with the best inner-CV accuracy."""
    scores = {
        c: accuracy_score(
            labels, _cv_predictions(features, labels, 5, seed, lambda x, y, _s, c=c: fit(x, y, c))
        )
        for c in C_GRID
    }
    return max(scores, key=lambda c: scores[c])


def nested_cv(
    features: np.ndarray, labels: np.ndarray, repeats: int = 3, folds: int = 5
) -> dict[str, Any]:
    """Accuracy and macro-F1 (mean ± sd over repeats) with C chosen inside each outer fold."""
    accuracies, f1s = [], []
    for seed in range(repeats):
        predicted = _cv_predictions(
            features, labels, folds, seed, lambda x, y, s: fit(x, y, select_c(x, y, s))
        )
        accuracies.append(accuracy_score(labels, predicted))
        f1s.append(f1_score(labels, predicted, average="macro"))
    majority = max(np.mean(labels == label) for label in LABELS)
    return {
        "accuracy": round(float(np.mean(accuracies)), 3),
        "accuracy_sd": round(float(np.std(accuracies)), 3),
        "macro_f1": round(float(np.mean(f1s)), 3),
        "macro_f1_sd": round(float(np.std(f1s)), 3),
        "majority_accuracy": round(float(majority), 3),
        "folds": folds,
        "repeats": repeats,
    }


def cross_fitted_answers(path: Path, answer_reader: Path) -> np.ndarray:
    """(n, 3) out-of-fold answer-reader probabilities of ``path``'s questions, in order.

    Raises:
        InputError: the answer reader was cross-fitted on other questions.
    """
    cross_fit = read_cross_fit(answer_reader)
    ids = pubmedqa_ids(path)
    missing = [key for key in ids if key not in cross_fit]
    if missing:
        raise InputError(
            f"{answer_reader}: its cross-fit lacks {len(missing)} of {path.name}'s questions "
            f"(first: {missing[0]}); train the answer reader on the same file"
        )
    return np.asarray([cross_fit[key] for key in ids], dtype=np.float64)


def train_decision_model(
    path: Path,
    output: Path,
    repeats: int = 3,
    reader: str | Path | None = None,
    answer_reader: Path = ANSWER_DIR,
    version: str = "",
) -> dict[str, Any]:
    """Nested-CV report, then the final model on every question, saved to ``output``.

    The answer-reader features of the training questions are the reader's out-of-fold ones,
    so the regression learns how far to trust it on questions it has not seen.
    """
    questions, sentences, labels = read_pubmedqa(path)
    answers = cross_fitted_answers(path, answer_reader)
    features = featurize(questions, sentences, reader, answers=answers)
    report = nested_cv(features, labels, repeats=repeats)
    c = select_c(features, labels)
    model = fit(features, labels, c)
    model.metadata.update({"source": path.name, "cv": report, "version": version})
    model.save(output)
    return {**report, "C": c, "n": len(labels)}
