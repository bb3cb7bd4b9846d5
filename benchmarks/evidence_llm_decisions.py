"""Decisions and latency with the embedded LLM (Gemma 3 270M base, llama.cpp, 2 CPU cores).

Setting (a), each question with its own abstract; the LLM's few-shot pick among yes/no/maybe
(contextually calibrated) replaces the decision model's. Needs the `llm` extra.

Usage: python benchmarks/evidence_llm_decisions.py [--data-dir ../shared/data] [--limit 100]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from sklearn.metrics import f1_score

from biomedfm.config import resolve_data_dir
from biomedfm.evidence.agents.team import EvidenceTeam
from biomedfm.evidence.decision import LABELS
from biomedfm.evidence.llm.embedded import EmbeddedLLM


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()
    path = resolve_data_dir(args.data_dir) / "pubmedqa" / "pqal_trainval.json"
    questions = dict(list(json.loads(path.read_text()).items())[: args.limit])
    llm = EmbeddedLLM()
    gold, predicted, latencies = [], [], []
    for pubid, entry in questions.items():
        started = time.perf_counter()
        chain, _ = EvidenceTeam.from_contexts(entry["contexts"], pubid, llm=llm).answer(
            entry["question"], pubid
        )
        latencies.append(time.perf_counter() - started)
        gold.append(entry["final_decision"])
        predicted.append(chain.decision.value)
    print(
        json.dumps(
            {
                "setting": "with context, embedded LLM",
                "questions": len(gold),
                "accuracy": round(
                    sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold), 3
                ),
                "macro_f1": round(
                    float(f1_score(gold, predicted, labels=list(LABELS), average="macro")), 3
                ),
                "predicted": {label: predicted.count(label) for label in LABELS},
                "median_latency_s": round(statistics.median(latencies), 2),
                "p90_latency_s": round(sorted(latencies)[int(0.9 * len(latencies))], 2),
                "model": llm.name,
            }
        )
    )


if __name__ == "__main__":
    main()
