"""Retrieval recall@1/5/10 of each PubMedQA question's own abstract: BM25, dense, hybrid.

The index holds the 500 PubMedQA abstracts (contexts only, conclusions excluded), ingested
with the same code as `biomedfm evidence ingest`.

Usage: python benchmarks/evidence_retrieval.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from biomedfm.config import resolve_data_dir
from biomedfm.evidence.ingest import read_corpus
from biomedfm.evidence.retrieval.bm25 import build_indexes
from biomedfm.evidence.retrieval.hybrid import HybridRetriever
from biomedfm.evidence.store import EvidenceStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    path = resolve_data_dir(args.data_dir) / "pubmedqa" / "pqal_trainval.json"
    questions = json.loads(path.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        store = EvidenceStore(Path(tmp) / "corpus.sqlite")
        started = time.perf_counter()
        store.add(read_corpus(path))
        build_indexes(store, Path(tmp))
        build_s = time.perf_counter() - started
        hybrid = HybridRetriever.load(Path(tmp), "documents")
        assert hybrid.dense is not None
        retrievers = {
            "bm25": hybrid.bm25.search,
            "dense": hybrid.dense.search,
            "hybrid": hybrid.search,
        }
        report: dict[str, object] = {
            "questions": len(questions),
            "ingest_and_index_s": round(build_s, 2),
        }
        for name, search in retrievers.items():
            found, latencies = {1: 0, 5: 0, 10: 0}, []
            for pubid, entry in questions.items():
                started = time.perf_counter()
                ids = [hit.id for hit in search(entry["question"], 10)]
                latencies.append(time.perf_counter() - started)
                for k in found:
                    found[k] += pubid in ids[:k]
            report[name] = {
                **{f"recall@{k}": round(v / len(questions), 3) for k, v in found.items()},
                "median_query_ms": round(1000 * statistics.median(latencies), 2),
            }
        store.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
