"""Shared by the abstention benchmarks: a team over every other PubMedQA question's abstract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from biomedfm.evidence.agents.team import EvidenceTeam
from biomedfm.evidence.ingest import read_corpus
from biomedfm.evidence.retrieval.bm25 import build_indexes
from biomedfm.evidence.store import EvidenceStore


def half_index_team(records: dict[str, Any], present: set[str], folder: Path) -> EvidenceTeam:
    """Index the abstracts of the ``present`` questions in ``folder``; the shipped team on it."""
    half = folder / "half.json"
    half.write_text(json.dumps({k: v for k, v in records.items() if k in present}))
    store = EvidenceStore(folder / "corpus.sqlite")
    store.add(read_corpus(half))
    build_indexes(store, folder)
    store.close()
    return EvidenceTeam.from_index(folder)
