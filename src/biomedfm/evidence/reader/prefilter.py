"""Cheap lexical ranking of a trial's sentences, so the reader reads tens, not hundreds.

BM25 (bm25s, stemmed) over the trial's own sentences: the outcome's words count twice, the
arms' once, and a sentence that states a result (a p-value, "significant", "differ", a
confidence interval) gets a bonus, because the finding is what the reader is looking for.
"""

from __future__ import annotations

import re

import bm25s
import numpy as np
import Stemmer

from biomedfm.evidence.reader.trial import TrialText

_STEMMER = Stemmer.Stemmer("english")
_RESULT = re.compile(
    r"\bp\s*[<=>≤≥]|\bsignifican|\bdiffer|\b95\s*%|\bCI\b|\bcompared\b|\bversus\b|\bvs\b"
    r"|\bincreas|\bdecreas|\breduc|\bimprov|\bhigher\b|\blower\b",
    re.IGNORECASE,
)


def _scores(retriever: bm25s.BM25, query: str) -> np.ndarray:
    tokens = bm25s.tokenize(
        [query], stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False
    )[0]
    known = [t for t in tokens if t in retriever.vocab_dict]
    if not known:
        return np.zeros(retriever.scores["num_docs"], dtype=np.float32)
    return np.asarray(retriever.get_scores(known), dtype=np.float32)


def rank_sentences(trial: TrialText, intervention: str, comparator: str, outcome: str) -> list[int]:
    """Sentence indices of ``trial``, most likely to report the comparison first."""
    sentences = [trial.sentence(i) for i in range(len(trial.spans))]
    if len(sentences) <= 1:
        return list(range(len(sentences)))
    tokens = bm25s.tokenize(
        sentences, stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False
    )
    retriever = bm25s.BM25()
    retriever.index([list(t) for t in tokens], show_progress=False)
    score = 2.0 * _scores(retriever, outcome) + _scores(retriever, f"{intervention} {comparator}")
    scale = float(score.max()) if score.max() > 0 else 1.0
    bonus = np.array([0.25 * scale * min(2, len(_RESULT.findall(s))) for s in sentences])
    return [int(i) for i in np.argsort(-(score + bonus), kind="stable")]
