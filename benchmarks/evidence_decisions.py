"""Decision accuracy and macro-F1 of `EvidenceTeam` on the 500 PubMedQA questions (no LLM).

(a) with context: each question answered from its own abstract (contexts, no conclusion);
(b) retrieval only: every question answered from an index of all 500 abstracts.
Cross-fitted: the decision model answering a question was trained (C chosen by inner CV) on the
other four folds only, so no question is answered by a model that saw it. `--rule` measures the
rule-based quote balance instead (no trained model). Also: answers with ≥ 1 citation and
latency per question, and the same decisions under the earlier consistency rule (one quote of
the needed stance suffices, no weighing), read off each chain's notes, so the weighted rule's
effect is measured on the same chains.

The answer reader is cross-fitted the same way: each question is read by the fold reader that
never saw it (``evidence train-answer --keep-folds runs/answer-folds``).

``--per-question FILE`` keeps every decision; ``--paired EARLIER`` tests this run's against an
earlier file's on the same questions (McNemar, exact).

Usage: python benchmarks/evidence_decisions.py [--data-dir ../shared/data] [--limit N] [--rule]
       [--context-only] [--answer DIR] [--answer-folds runs/answer-folds]
       [--per-question FILE] [--paired EARLIER] [--no-direction-reader]
       [--no-passage-quotes]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from sklearn.model_selection import StratifiedKFold

from _report import mcnemar_p  # benchmarks/ is the script's own directory
from biomedfm.config import resolve_data_dir
from biomedfm.evidence.agents.team import CONTEXT_MIN_RELEVANCE, EvidenceTeam
from biomedfm.evidence.decision import DecisionModel
from biomedfm.evidence.decision_train import (
    cross_fitted_answers,
    featurize,
    fit,
    read_pubmedqa,
    select_c,
)
from biomedfm.evidence.ingest import read_corpus
from biomedfm.evidence.reader import ANSWER_DIR
from biomedfm.evidence.reader.model import EvidenceReaderModel
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


WEIGHED = re.compile(r"^'(yes|no)' was proposed but the quotes weigh")


def count_rule_decision(decision: str, notes: list[str]) -> str:
    """What the earlier consistency rule (a quote of the needed stance suffices) would have
    answered: the proposal that the weighted-stance check turned into ``maybe``."""
    for note in notes:
        match = WEIGHED.match(note)
        if match:
            return match.group(1)
    return decision


def run(name: str, answer: object, questions: dict[str, dict[str, object]]) -> dict[str, object]:
    gold, predicted, by_count, latencies, cited = [], [], [], [], 0
    for pubid, entry in questions.items():
        started = time.perf_counter()
        chain, _ = answer(pubid, entry)  # type: ignore[operator]
        latencies.append(time.perf_counter() - started)
        gold.append(str(entry["final_decision"]))
        predicted.append(chain.decision.value)
        by_count.append(count_rule_decision(chain.decision.value, chain.notes))
        cited += any(claim.citations for claim in chain.claims)
    n = len(gold)
    ids = list(questions)
    return {
        "decisions": dict(zip(ids, predicted, strict=True)),
        "gold": dict(zip(ids, gold, strict=True)),
        "setting": name,
        "accuracy": round(sum(g == p for g, p in zip(gold, predicted, strict=True)) / n, 3),
        "macro_f1": round(macro_f1(gold, predicted), 3),
        "count_rule_accuracy": round(
            sum(g == p for g, p in zip(gold, by_count, strict=True)) / n, 3
        ),
        "count_rule_macro_f1": round(macro_f1(gold, by_count), 3),
        "turned_maybe_by_weight": sum(a != b for a, b in zip(predicted, by_count, strict=True)),
        "answers_with_citations": round(cited / n, 3),
        "predicted": {label: predicted.count(label) for label in (*LABELS, "insufficient")},
        "median_latency_s": round(statistics.median(latencies), 3),
    }


Models = dict[str, tuple[DecisionModel | None, EvidenceReaderModel | None]]


def cross_fitted_models(
    path: Path, rule: bool, answer: Path, answer_folds: Path
) -> tuple[Models, str]:
    """For each question, a decision model and an answer reader trained without it.

    The answer reader's folds (``answer_folds/fold-K``, from ``evidence train-answer
    --keep-folds``) are the same seeded split as the decision model's; the decision model's
    training features hold the answer reader's out-of-fold probabilities (``answer``'s
    cross-fit), as ``evidence train-decision`` trains it.
    """
    records = json.loads(path.read_text())
    ids = list(records)
    if rule:
        return dict.fromkeys(ids, (None, None)), "rule (quote balance)"
    questions, sentences, labels = read_pubmedqa(path)
    features = featurize(questions, sentences, answers=cross_fitted_answers(path, answer))
    models: Models = {}
    folds = StratifiedKFold(5, shuffle=True, random_state=0).split(features, labels)
    for k, (train, test) in enumerate(folds):
        model = fit(features[train], labels[train], select_c(features[train], labels[train]))
        reader = EvidenceReaderModel.load(answer_folds / f"fold-{k}")
        models.update({ids[i]: (model, reader) for i in test})
    return models, "decision model and answer reader, cross-fitted (5 folds)"


def retrieval_only(
    path: Path, questions: dict[str, dict[str, object]], models: Models
) -> dict[str, object]:
    """(b): every question against an index of all 500 abstracts."""
    with tempfile.TemporaryDirectory() as tmp:
        store = EvidenceStore(Path(tmp) / "corpus.sqlite")
        store.add(read_corpus(path))
        build_indexes(store, Path(tmp))
        store.close()
        team = EvidenceTeam.from_index(Path(tmp))

        def answer(pubid: str, entry: dict[str, object]) -> object:
            team.decision_model, reader = models[pubid]
            if reader is not None:
                team.answer_reader = reader
            return team.answer(str(entry["question"]), pubid)

        return run("retrieval only", answer, questions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--rule", action="store_true", help="Rule-based decisions, no model.")
    parser.add_argument(
        "--context-only", action="store_true", help="Only (a), each question with its abstract."
    )
    parser.add_argument(
        "--context-min-relevance",
        type=float,
        default=CONTEXT_MIN_RELEVANCE,
        help="quote gate for passages given with the question",
    )
    parser.add_argument(
        "--answer",
        type=Path,
        default=ANSWER_DIR,
        help="answer reader whose cross-fit trains the decision models",
    )
    parser.add_argument(
        "--answer-folds",
        type=Path,
        default=Path("runs/answer-folds"),
        help="its fold readers (evidence train-answer --keep-folds)",
    )
    parser.add_argument(
        "--per-question", type=Path, default=None, help="write every decision here (JSON)"
    )
    parser.add_argument(
        "--paired",
        type=Path,
        default=None,
        help="an earlier --per-question file: McNemar's test against its decisions",
    )
    parser.add_argument(
        "--no-passage-quotes",
        action="store_true",
        help="no results-passage quote when no sentence carries the proposed answer",
    )
    parser.add_argument(
        "--no-direction-reader",
        action="store_true",
        help="quote directions from the evidence and answer readers alone",
    )
    args = parser.parse_args()
    path = resolve_data_dir(args.data_dir) / "pubmedqa" / "pqal_trainval.json"
    questions = json.loads(path.read_text())
    models, how = cross_fitted_models(path, args.rule, args.answer, args.answer_folds)
    if args.limit:
        questions = dict(list(questions.items())[: args.limit])
    results = [
        run(
            "with context",
            lambda pubid, e: EvidenceTeam.from_contexts(
                e["contexts"],
                pubid,
                decision_model=models[pubid][0],
                min_relevance=args.context_min_relevance,
                answer_reader=models[pubid][1],
                direction_reader=None if args.no_direction_reader else "shipped",
                passage_quotes=not args.no_passage_quotes,
            ).answer(e["question"], pubid),
            questions,
        ),
    ]
    if not args.context_only:
        results.append(retrieval_only(path, questions, models))
    for result in results:
        result["decisions_by"] = how
    if args.per_question is not None:
        args.per_question.write_text(
            json.dumps({r["setting"]: r["decisions"] for r in results}, indent=1) + "\n"
        )
    if args.paired is not None:
        earlier = json.loads(args.paired.read_text())
        for result in results:
            if result["setting"] in earlier:
                result["paired"] = paired(result, earlier[result["setting"]])
    for result in results:
        del result["decisions"], result["gold"]
    print(json.dumps(results, indent=2))


def paired(result: dict[str, object], earlier: dict[str, str]) -> dict[str, object]:
    """McNemar's exact test against earlier decisions of the same questions: how many each
    got right that the other got wrong, and the two-sided binomial p on those."""
    decisions, gold = result["decisions"], result["gold"]
    assert isinstance(decisions, dict)
    assert isinstance(gold, dict)
    now_only = sum(decisions[q] == gold[q] != earlier[q] for q in decisions)
    before_only = sum(earlier[q] == gold[q] != decisions[q] for q in decisions)
    p = mcnemar_p(now_only, before_only)
    return {"now_right_only": now_only, "before_right_only": before_only, "p": p}


if __name__ == "__main__":
    main()
