"""Abstention: an index that holds only some questions' abstracts, every question asked.

The PubMedQA abstracts of every other question (even positions) are ingested; all questions are
answered in the retrieval setting by the shipped team. A question whose abstract is absent
should get ``insufficient`` (a yes/no/maybe there is a false answer); one whose abstract is
present should be answered. The closest sentence's MiniLM similarity per question is kept, so
the curve over the document similarity gate (``EvidenceTeam(min_similarity=...)``) is
reported too (an upper bound: a quote must also pass the reader and the quote gates). The
gates were chosen on this validation set; the held-back set is scored independently.

Usage: python benchmarks/evidence_abstention.py [--data-dir ../shared/data] [--limit N]
       [--min-similarity S] [--quote-min-similarity S] [--min-relevance R] [--no-roles]
       [--direction-reader] [--outcome-reader DIR] [--min-reported P] [--quotes FILE]
       [--out benchmarks/results/evidence_abstention.json]

``--quotes FILE`` keeps each question's decision and quotes (document, stance probabilities,
text) as JSON, so a gate on the quotes can be swept without asking again.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _half_index import half_index_team  # benchmarks/ is the script's own directory
from _report import emit_report
from biomedfm.config import resolve_data_dir
from biomedfm.evidence.reader import load_reader

_BEST = re.compile(r"best relevance ([0-9.]+), best similarity ([0-9.]+)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="Ask only the first N questions.")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--min-similarity", type=float, default=None, help="Override the document gate."
    )
    parser.add_argument(
        "--quote-min-similarity", type=float, default=None, help="Override the quote gate."
    )
    parser.add_argument(
        "--no-roles", action="store_true", help="Quote background sentences too (no role check)."
    )
    parser.add_argument(
        "--min-relevance", type=float, default=None, help="Override the reader's relevance gate."
    )
    parser.add_argument(
        "--direction-reader",
        action="store_true",
        help="Read quote directions with the direction reader in the corpus too.",
    )
    parser.add_argument("--outcome-reader", type=Path, default=None, help="Another outcome reader.")
    parser.add_argument(
        "--min-reported", type=float, default=None, help="Override the outcome gate (0: off)."
    )
    parser.add_argument("--quotes", type=Path, default=None, help="Keep every answer's quotes.")
    args = parser.parse_args()
    path = resolve_data_dir(args.data_dir) / "pubmedqa" / "pqal_trainval.json"
    records = json.loads(path.read_text())
    ids = list(records)
    present = set(ids[::2])
    asked = ids[: args.limit] if args.limit else ids
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        team = half_index_team(records, present, Path(tmp))
        if args.min_similarity is not None:
            team.min_similarity = args.min_similarity
        if args.min_relevance is not None:
            team.min_relevance = args.min_relevance
        if args.quote_min_similarity is not None:
            team.quote_min_similarity = args.quote_min_similarity
        if args.no_roles:
            team.roles = None
        if args.outcome_reader is not None:
            team.outcome_reader = load_reader(args.outcome_reader, "direction")
        if args.min_reported is not None:
            team.min_reported = args.min_reported
        if args.direction_reader:
            team.direction_reader = load_reader(None, "direction")
        for pubid in asked:
            started = time.perf_counter()
            chain, trace = team.answer(records[pubid]["question"], pubid)
            seconds = time.perf_counter() - started
            reader_step = next(s for s in trace.steps if s.agent == "reader")
            match = _BEST.search(reader_step.summary)
            rows.append(
                {
                    "present": pubid in present,
                    "decision": chain.decision.value,
                    "gold": records[pubid]["final_decision"],
                    "best_relevance": float(match.group(1)) if match else 0.0,
                    "best_similarity": float(match.group(2)) if match else 0.0,
                    "seconds": seconds,
                    "cites_own_abstract": any(
                        c.doc_id == pubid for claim in chain.claims for c in claim.citations
                    ),
                    "quotes": [
                        [c.doc_id, c.p_supports, c.p_contradicts, c.p_neutral, c.quote]
                        for claim in chain.claims
                        for c in claim.citations
                    ],
                    "id": pubid,
                }
            )
    if args.quotes is not None:
        args.quotes.write_text(json.dumps(rows))
    absent_rows = [r for r in rows if not r["present"]]
    present_rows = [r for r in rows if r["present"]]
    answered = [r for r in present_rows if r["decision"] != "insufficient"]

    def share(items: list[dict[str, object]], test: Callable[[dict[str, object]], object]) -> float:
        return round(sum(1 for r in items if test(r)) / max(1, len(items)), 3)

    curve = {}  # over the similarity gate (the reader's relevance gate stays at min_relevance)
    for threshold in (0.4, 0.5, 0.55, 0.6, 0.65, 0.7):

        def reaches(r: dict[str, object], t: float = threshold) -> bool:
            return float(str(r["best_similarity"])) >= t

        curve[str(threshold)] = {
            "absent_answered": share(absent_rows, reaches),
            "present_answered": share(present_rows, reaches),
        }
    report = {
        "questions": len(rows),
        "absent": len(absent_rows),
        "present": len(present_rows),
        "min_relevance": team.min_relevance,
        "min_similarity": team.min_similarity,
        "quote_min_similarity": team.quote_min_similarity,
        "roles": team.roles is not None,
        "min_reported": team.min_reported,
        "absent_false_answers": share(absent_rows, lambda r: r["decision"] != "insufficient"),
        "present_answered": share(present_rows, lambda r: r["decision"] != "insufficient"),
        "present_answered_accuracy": share(answered, lambda r: r["decision"] == r["gold"]),
        "present_answered_citing_own_abstract": share(answered, lambda r: r["cites_own_abstract"]),
        "median_seconds_per_question": round(statistics.median(r["seconds"] for r in rows), 3),
        "curve_by_threshold": curve,
    }
    emit_report(report, args.out)


if __name__ == "__main__":
    main()
