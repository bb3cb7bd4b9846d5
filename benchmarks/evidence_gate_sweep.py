"""The corpus gates swept over one reading of the abstention set (how they were chosen).

As `evidence_abstention.py`: the abstracts of every other PubMedQA question are indexed and
every question is asked in the retrieval setting. Each question's candidate sentences are read
once by the shipped team's parts (retriever, MiniLM similarity, evidence reader relevance,
role model's background probability); then every combination of the gates is applied to those
readings:

- document gate: a document gives quotes only when one of its sentences reaches this
  similarity (``EvidenceTeam(min_similarity=...)``);
- quote floor: each quote's own similarity (``quote_min_similarity``);
- background: a sentence whose background probability reaches this is no quote (None: no role
  check);
- finding gate: a document is read as addressing the question only when one of its quotes
  has reader relevance at least this (its other quotes need only the relevance gate; None:
  no such gate), i.e. a study counts when one of its own findings clearly bears on the
  question, not only sentences near its topic.

A question is answered when some sentence passes every gate (the team then answers yes / no /
maybe; ``insufficient`` only when nothing passes), so false answers (absent abstract) and the
answered share (present abstract) follow without running the decision step. The chosen row is
then run for real with `evidence_abstention.py`.

``--readings FILE`` keeps the readings (JSON), so a second sweep need not read again.

Usage: python benchmarks/evidence_gate_sweep.py [--data-dir ../shared/data] [--out FILE]
       [--readings FILE]
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from _half_index import half_index_team  # benchmarks/ is the script's own directory
from _report import emit_report
from biomedfm.config import resolve_data_dir
from biomedfm.evidence.agents.planner import plan
from biomedfm.evidence.agents.team import CORPUS_MIN_RELEVANCE, EvidenceTeam
from biomedfm.evidence.decision import proposition
from biomedfm.evidence.retrieval.dense import embed
from biomedfm.evidence.roles import relative_positions

Reading = list[tuple[str, float, float, float]]  # (doc id, similarity, relevance, p_background)


def read_question(team: EvidenceTeam, question: str) -> Reading:
    """Every candidate sentence the reader reads for ``question``, with what the gates test."""
    the_plan = plan(question)
    _, sentences = team._retrieve(the_plan)
    if not sentences:
        return []
    vectors = embed([the_plan.query] + [s.text for s in sentences])
    similarity = vectors[1:] @ vectors[0]
    rows: dict[str, list[int]] = {}
    for i, sentence in enumerate(sentences):
        rows.setdefault(sentence.doc_id, []).append(i)
    chosen = sorted(
        i
        for doc_rows in rows.values()
        for i in sorted(doc_rows, key=lambda i: -float(similarity[i]))[
            : team.sentences_per_document
        ]
    )
    relevance = np.zeros(len(sentences))
    claim = proposition(the_plan.sub_questions[0])
    stances = team.reader.probabilities(
        [claim] * len(chosen), [sentences[i].text for i in chosen], "stance"
    )
    relevance[chosen] = 1.0 - stances[:, 2]
    positions = np.zeros(len(sentences))
    for doc_rows in rows.values():
        in_order = sorted(doc_rows, key=lambda i: sentences[i].position)
        positions[in_order] = relative_positions(len(in_order))
    assert team.roles is not None, "the role model ships with the package"
    background = team.roles.probabilities(vectors[1:], positions)[:, 0]
    return [
        (sentences[i].doc_id, float(similarity[i]), float(relevance[i]), float(background[i]))
        for i in range(len(sentences))
    ]


def answered(
    reading: Reading,
    document: float,
    quote: float,
    background: float | None,
    finding: float | None = None,
) -> bool:
    best: dict[str, float] = {}
    for doc_id, similarity, _, _ in reading:
        best[doc_id] = max(best.get(doc_id, -1.0), similarity)
    floor = max(CORPUS_MIN_RELEVANCE, finding or 0.0)
    return any(
        best[doc_id] >= document
        and relevance >= floor
        and similarity >= quote
        and (background is None or p_background < background)
        for doc_id, similarity, relevance, p_background in reading
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--readings", type=Path, default=None)
    args = parser.parse_args()
    path = resolve_data_dir(args.data_dir) / "pubmedqa" / "pqal_trainval.json"
    records = json.loads(path.read_text())
    ids = list(records)
    present = set(ids[::2])
    if args.readings is not None and args.readings.is_file():
        readings = {
            q: [tuple(r) for r in rs] for q, rs in json.loads(args.readings.read_text()).items()
        }
    else:
        with tempfile.TemporaryDirectory() as tmp:
            team = half_index_team(records, present, Path(tmp))
            readings = {q: read_question(team, str(records[q]["question"])) for q in ids}
        if args.readings is not None:
            args.readings.write_text(json.dumps(readings))
    rows: list[dict[str, Any]] = []
    for document, quote, background, finding in itertools.product(
        (0.0, 0.55, 0.6, 0.65),
        (0.3, 0.4, 0.5, 0.55),
        (None, 0.5, 0.9, 0.95),
        (None, 0.5, 0.7, 0.8, 0.9),
    ):
        gates = (document, quote, background, finding)
        absent = [answered(readings[q], *gates) for q in ids if q not in present]
        here = [answered(readings[q], *gates) for q in ids if q in present]
        rows.append(
            {
                "document_gate": document,
                "quote_floor": quote,
                "background_gate": background,
                "finding_gate": finding,
                "absent_false_answers": round(float(np.mean(absent)), 3),
                "present_answered": round(float(np.mean(here)), 3),
            }
        )
    report = {
        "questions": len(ids),
        "relevance_gate": CORPUS_MIN_RELEVANCE,
        "meets_both_bars_fewest_false_answers": min(
            (r for r in rows if r["present_answered"] >= 0.8),
            key=lambda r: (r["absent_false_answers"], -r["present_answered"]),
        ),
        "sweep": rows,
    }
    emit_report(report, args.out)


if __name__ == "__main__":
    main()
