"""Shared by the evidence benchmarks: print a JSON report and keep a copy where asked."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def emit_report(report: dict[str, Any], out: Path | None) -> None:
    """The report as indented JSON on stdout, and in ``out`` when given."""
    text = json.dumps(report, indent=2)
    print(text)
    if out is not None:
        out.write_text(text + "\n")


def mcnemar_p(only_first: int, only_second: int) -> float:
    """McNemar's exact test on paired correctness: the two-sided binomial p of the questions
    only the first system got right against those only the second did (1.0 when none differ)."""
    from scipy.stats import binomtest

    discordant = only_first + only_second
    return round(float(binomtest(only_first, discordant).pvalue), 4) if discordant else 1.0


def accuracy_and_macro_f1(truth: ArrayLike, read: ArrayLike) -> dict[str, float]:
    """Accuracy and macro-F1 of answers against gold labels, to three decimals."""
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": round(float(accuracy_score(truth, read)), 3),
        "macro_f1": round(float(f1_score(truth, read, average="macro")), 3),
    }


def pubmedqa_records(data_dir: Path | None) -> dict[str, Any]:
    """The 500 PubMedQA questions of the data folder (``--data-dir`` or BIOMEDFM_DATA), by id."""
    from biomedfm.config import resolve_data_dir

    path = resolve_data_dir(data_dir) / "pubmedqa/pqal_trainval.json"
    return dict(json.loads(path.read_text()))


def directory_arguments(doc: str, *directories: tuple[str, str]) -> argparse.Namespace:
    """The command line of the answer-reader benchmarks: their directories (name, help),
    ``--data-dir`` and ``--out``."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    for name, help_text in directories:
        parser.add_argument(name, type=Path, help=help_text)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args()


@dataclass(frozen=True)
class CrossFitted:
    """An answer reader's out-of-fold readings of the PubMedQA questions, in records' order."""

    ids: list[str]
    gold: np.ndarray  # (n,) index of each gold answer in ANSWER_LABELS
    fold: np.ndarray  # (n,) the fold whose reader never saw the question
    probabilities: np.ndarray  # (n, 3) yes / no / maybe


def cross_fitted(reader: Path, records: dict[str, Any]) -> CrossFitted:
    """``reader``'s ``cross_fit.json`` (from ``evidence train-answer``) against ``records``."""
    from biomedfm.evidence.reader.answer import ANSWER_LABELS, CROSS_FIT_FILE

    cross_fit = json.loads((reader / CROSS_FIT_FILE).read_text())
    ids = list(records)
    return CrossFitted(
        ids=ids,
        gold=np.array([ANSWER_LABELS.index(records[k]["final_decision"]) for k in ids]),
        fold=np.array([int(cross_fit["fold"][k]) for k in ids]),
        probabilities=np.array([cross_fit["probabilities"][k] for k in ids], dtype=np.float64),
    )
