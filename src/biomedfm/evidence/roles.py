"""What a sentence is in its paper: background (prior work, aims), methods, or results.

A study's evidence is what it found. Its introduction restates what others found ("In primary
and secondary prevention trials, statins have been shown to reduce the risk of stroke.") and
its aims say what it set out to ask; both can match a question word for word and neither is
the study's finding. The reader judges a sentence against a claim, not where the sentence
stands in its paper, so this classifier says that, and a quote must not be background.

A multinomial logistic regression over the sentence's MiniLM embedding (the vector the team
already computes to rank sentences, so reading a role costs one matrix product) and its
relative position in the abstract (0 first, 1 last: background comes first). It learns from the
labelled abstracts of the Evidence Inference trials (training trials only: background /
objectives → background, methods → methods, results and conclusions → results) and is
validated on a source it never saw: the section labels of the PubMedQA abstracts.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from biomedfm.linear_io import load_linear, save_linear

ROLES = ("background", "methods", "results")
SHIPPED_DIR = Path(__file__).resolve().parent / "models" / "roles"
_SECTION_ROLES = (
    (
        re.compile(r"DISCUSSION|LIMITATION|COMPETING|ACKNOWLEDG|SUPPLEMENT|ABBREVIATION|HISTORY"),
        None,
    ),
    (re.compile(r"INTRODUCTION|BACKGROUND|OBJECTIVE|AIM|PURPOSE|RATIONALE|CONTEXT"), "background"),
    (re.compile(r"RESULT|FINDING|ABSTRACT\.CONCLUSION"), "results"),
    (
        re.compile(r"METHOD|DESIGN|PATIENTS|PARTICIPANTS|SUBJECTS|SETTING|INTERVENTION|STATIST"),
        "methods",
    ),
)


def section_role(header: str) -> str | None:
    """The role of a full-text section header (``ABSTRACT.RESULTS``), or None (mixed or
    not a part of the study: discussion, competing interests, ...)."""
    name = header.upper()
    for pattern, role in _SECTION_ROLES:
        if pattern.search(name):
            return role
    return None


PUBMEDQA_ROLES = {
    "BACKGROUND": "background",
    "INTRODUCTION": "background",
    "OBJECTIVE": "background",
    "OBJECTIVES": "background",
    "PURPOSE": "background",
    "AIMS": "background",
    "AIM": "background",
    "METHODS": "methods",
    "MATERIALS AND METHODS": "methods",
    "PATIENTS AND METHODS": "methods",
    "MATERIAL AND METHODS": "methods",
    "METHOD": "methods",
    "DESIGN": "methods",
    "STUDY DESIGN": "methods",
    "SETTING": "methods",
    "PATIENTS": "methods",
    "PARTICIPANTS": "methods",
    "RESULTS": "results",
    "FINDINGS": "results",
}
"""PubMedQA context labels with an unambiguous role (the validation set's truth)."""


@dataclass
class RoleModel:
    """Normalised MiniLM sentence embedding (384,) and relative position → background /
    methods / results."""

    coef: np.ndarray  # (3, 386)
    intercept: np.ndarray  # (3,)
    metadata: dict[str, Any]

    def probabilities(self, vectors: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """(n, 384) embeddings and (n,) relative positions in [0, 1] → (n, 3) probabilities
        in :data:`ROLES` order."""
        logits = role_features(vectors, positions) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return np.asarray(p / p.sum(axis=1, keepdims=True))

    def is_background(
        self, vectors: np.ndarray, positions: np.ndarray, min_probability: float = 0.5
    ) -> np.ndarray:
        """(n,) True where the background probability reaches ``min_probability``."""
        p = self.probabilities(vectors, positions)[:, ROLES.index("background")]
        return np.asarray(p >= min_probability)

    def save(self, directory: Path) -> None:
        save_linear(
            directory,
            {"coef": self.coef, "intercept": self.intercept},
            {"roles": list(ROLES), **self.metadata},
        )

    @classmethod
    def load(cls, directory: Path) -> RoleModel:
        arrays, metadata = load_linear(
            directory,
            {"roles": list(ROLES)},
            "sentence role model",
            "biomedfm evidence train-roles",
        )
        return cls(arrays["coef"], arrays["intercept"], metadata)


def role_features(vectors: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """(n, 384) embeddings, (n,) relative positions → (n, 386) features."""
    position = np.asarray(positions, dtype=np.float64).reshape(-1, 1)
    return np.hstack([np.atleast_2d(vectors).astype(np.float64), position, position**2])


MIN_STRUCTURED_SENTENCES = 3
"""A text shorter than this has no background-methods-results order to speak of (a claim, a
one-line finding): its sentences all sit at 0.5, so the role is read from the words alone.
At position 0 the model reads even "Aspirin significantly reduced mortality" as background
(0.99), since the first sentence of an abstract almost always is."""


def relative_positions(count: int) -> np.ndarray:
    """Relative positions of ``count`` sentences in text order: 0 first, 1 last (all 0.5 in
    a text of fewer than :data:`MIN_STRUCTURED_SENTENCES`)."""
    if count < MIN_STRUCTURED_SENTENCES:
        return np.full(count, 0.5)
    return np.arange(count, dtype=np.float64) / (count - 1)


@lru_cache(maxsize=1)
def shipped_role_model() -> RoleModel | None:
    """The shipped model, or None when the package was built without it."""
    if not (SHIPPED_DIR / "model.safetensors").is_file():
        return None
    return RoleModel.load(SHIPPED_DIR)


def role_sentences(
    articles: list[Path], per_role: int, seed: int = 0
) -> tuple[list[str], list[float], list[str]]:
    """Up to ``per_role`` abstract sentences of each role from the given full texts, seeded:
    their texts, relative positions in their abstract and roles."""
    from biomedfm.evidence.reader.trial import TrialText

    found: dict[str, list[tuple[str, float]]] = {role: [] for role in ROLES}
    for path in articles:
        trial = TrialText(path.read_text(errors="replace"))
        abstract = [i for i, section in enumerate(trial.sections) if section.startswith("ABSTRACT")]
        positions = relative_positions(len(abstract))
        for index, position in zip(abstract, positions, strict=True):
            role = section_role(trial.sections[index])
            if role is not None:
                found[role].append((trial.sentence(index), float(position)))
    rng = random.Random(seed)
    texts, where, labels = [], [], []
    for role, sentences in found.items():
        for sentence, position in rng.sample(sentences, min(per_role, len(sentences))):
            texts.append(sentence)
            where.append(position)
            labels.append(role)
    return texts, where, labels


def pubmedqa_role_sentences(path: Path) -> tuple[list[str], list[float], list[str]]:
    """The sentences of PubMedQA contexts whose label has a role, split as the store splits:
    texts, relative positions in their abstract, roles."""
    import json

    from biomedfm.evidence.sentences import split_sentences

    texts, where, labels = [], [], []
    for record in json.loads(path.read_text()).values():
        sentences = [
            (context[start:end], label)
            for context, label in zip(record["contexts"], record["context_labels"], strict=True)
            for start, end in split_sentences(context)
        ]
        positions = relative_positions(len(sentences))
        for (text, label), position in zip(sentences, positions, strict=True):
            role = PUBMEDQA_ROLES.get(str(label).upper())
            if role is not None:
                texts.append(text)
                where.append(float(position))
                labels.append(role)
    return texts, where, labels


def train_role_model(
    data_dir: Path, output: Path, *, per_role: int = 2500, version: str = "", seed: int = 0
) -> dict[str, Any]:
    """Fit on Evidence Inference training trials, validate on PubMedQA; save in ``output``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    from biomedfm.evidence.reader.data import article_path, read_trial_prompts
    from biomedfm.evidence.retrieval.dense import embed

    trials_dir = data_dir / "evidence" / "evidence_inference"
    pmcids = sorted({p.pmcid for p in read_trial_prompts(trials_dir) if p.split == "train"})
    articles = [article_path(trials_dir, pmcid) for pmcid in pmcids]
    texts, where, labels = role_sentences([a for a in articles if a.is_file()], per_role, seed)
    regression = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced").fit(
        role_features(embed(texts), np.asarray(where)), labels
    )
    order = [list(regression.classes_).index(role) for role in ROLES]
    model = RoleModel(regression.coef_[order], regression.intercept_[order], {})
    pubmedqa = data_dir / "pubmedqa" / "pqal_trainval.json"
    report: dict[str, Any] = {"trained_on": {role: labels.count(role) for role in ROLES}}
    if pubmedqa.is_file():
        val_texts, val_where, val_labels = pubmedqa_role_sentences(pubmedqa)
        p = model.probabilities(embed(val_texts), np.asarray(val_where))
        guess = [ROLES[i] for i in p.argmax(axis=1)]
        per_class = f1_score(val_labels, guess, labels=list(ROLES), average=None)
        truth_background = np.array([v == "background" for v in val_labels])
        said_background = np.array([g == "background" for g in guess])
        report["validation_pubmedqa"] = {
            "sentences": len(val_texts),
            "accuracy": round(float(accuracy_score(val_labels, guess)), 3),
            "macro_f1": round(float(f1_score(val_labels, guess, average="macro")), 3),
            "per_class_f1": {r: round(float(v), 3) for r, v in zip(ROLES, per_class, strict=True)},
            "results_read_as_background": round(
                float(said_background[np.array([v == "results" for v in val_labels])].mean()), 3
            ),
            "background_recall": round(float(said_background[truth_background].mean()), 3),
        }
    model.metadata = {"version": version, "training": report}
    model.save(output)
    return report
