"""Trial findings (`biomedfm evidence effect`) on the Evidence Inference 2.0 validation trials.

Each validation prompt (intervention, comparator, outcome) is read against its article's full
text, as the CLI does. Reported: macro-F1 of increased / decreased / no_difference against the
doctors' majority label; that every quote is verbatim (``text[start:end] == quote``); the share
of quotes that fall on a doctor's evidence (the quote overlaps an annotated evidence span, or
shares ≥ 60% of its words with an annotated quote); seconds per trial.

Baselines in the same run: the majority label; the lexical prefilter's best sentence read by a
regular expression ("no significant" / "did not differ" → no_difference, else the direction
word it contains) — what a pipeline without a trained reader gives.

Also: the direction reader's macro-F1 on the doctors' own (first) quote, which separates
reading the direction from finding the sentence.

Usage: python benchmarks/evidence_effect.py [--data-dir ../shared/data] [--reader DIR]
       [--direction DIR]
       [--limit N] [--out benchmarks/results/evidence_effect.json]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

from sklearn.metrics import f1_score

from _report import emit_report  # benchmarks/ is the script's own directory
from biomedfm.config import resolve_data_dir
from biomedfm.evidence.reader import load_reader, read_effect
from biomedfm.evidence.reader.data import (
    TrialPrompt,
    article_path,
    overlap,
    read_trial_prompts,
    words,
)
from biomedfm.evidence.reader.model import effect_query
from biomedfm.evidence.reader.prefilter import rank_sentences
from biomedfm.evidence.reader.trial import TrialText

LABELS = ["increased", "decreased", "no_difference"]
_NO_DIFFERENCE = re.compile(
    r"\bno (?:statistically )?significant|\bnot (?:statistically )?significant|\bdid not\b|"
    r"\bno (?:significant )?difference|\bsimilar\b|\bcomparable\b|\bp\s*[>=]\s*0?\.[1-9]",
    re.IGNORECASE,
)
_DECREASED = re.compile(r"\breduc|\bdecreas|\blower\b|\bless\b|\bfewer\b|\bshorter\b", re.I)
_INCREASED = re.compile(r"\bincreas|\bhigher\b|\bmore\b|\bgreater\b|\bimprov|\blonger\b", re.I)


def regex_effect(sentence: str) -> str:
    if _NO_DIFFERENCE.search(sentence):
        return "no_difference"
    if _DECREASED.search(sentence):
        return "decreased"
    return "increased" if _INCREASED.search(sentence) else "no_difference"


def on_evidence(prompt: TrialPrompt, start: int, end: int, quote: str) -> bool:
    quote_words = words(quote)
    for text, q_start, q_end in prompt.quotes:
        if q_start >= 0 and q_start < end and q_end > start:
            return True
        if overlap(quote_words, words(text)) >= 0.6:
            return True
    return False


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    return round(float(f1_score(truth, predicted, labels=LABELS, average="macro")), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--reader", default=None)
    parser.add_argument("--direction", default=None, help="direction reader directory")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    directory = resolve_data_dir(args.data_dir) / "evidence" / "evidence_inference"
    prompts = [p for p in read_trial_prompts(directory) if p.split == "validation"]
    prompts = prompts[: args.limit] if args.limit else prompts
    reader = load_reader(args.reader)
    direction = load_reader(args.direction, "direction")
    truth, predicted, baseline, hits, verbatim, seconds, baseline_hits = [], [], [], 0, 0, [], 0
    for prompt in prompts:
        text = article_path(directory, prompt.pmcid).read_text(encoding="utf-8", errors="replace")
        started = time.perf_counter()
        finding = read_effect(
            prompt.intervention,
            prompt.comparator,
            prompt.outcome,
            text,
            reader=reader,
            direction=direction,
        )
        seconds.append(time.perf_counter() - started)
        truth.append(prompt.label)
        predicted.append(finding.effect)
        verbatim += text[finding.start : finding.end] == finding.quote
        hits += on_evidence(prompt, finding.start, finding.end, finding.quote)
        trial = TrialText(text)
        top = rank_sentences(trial, prompt.intervention, prompt.comparator, prompt.outcome)[0]
        start, end = trial.spans[top]
        baseline.append(regex_effect(text[start:end]))
        baseline_hits += on_evidence(prompt, start, end, text[start:end])
    n = len(prompts)
    oracle = direction.probabilities(
        [effect_query(p.intervention, p.comparator, p.outcome) for p in prompts],
        [p.quotes[0][0] for p in prompts],
        "effect",
    )
    majority = max(set(truth), key=truth.count)
    report = {
        "reader": reader.config.version,
        "direction_reader": direction.config.version,
        "prompts": n,
        "articles": len({p.pmcid for p in prompts}),
        "labels": {label: truth.count(label) for label in LABELS},
        "reader_macro_f1": macro_f1(truth, predicted),
        "reader_accuracy": round(sum(a == b for a, b in zip(truth, predicted, strict=True)) / n, 3),
        "reader_per_class_f1": dict(
            zip(
                LABELS,
                (
                    round(float(v), 3)
                    for v in f1_score(truth, predicted, labels=LABELS, average=None)
                ),
                strict=True,
            )
        ),
        "direction_on_doctors_quote_macro_f1": macro_f1(
            truth, [LABELS[i] for i in oracle[:, :3].argmax(1)]
        ),
        "quotes_verbatim": round(verbatim / n, 3),
        "quotes_on_doctors_evidence": round(hits / n, 3),
        "median_seconds_per_trial": round(statistics.median(seconds), 3),
        "p90_seconds_per_trial": round(sorted(seconds)[int(0.9 * (n - 1))], 3),
        "baseline_prefilter_regex_macro_f1": macro_f1(truth, baseline),
        "baseline_prefilter_quotes_on_doctors_evidence": round(baseline_hits / n, 3),
        "majority_macro_f1": macro_f1(truth, [majority] * n),
    }
    emit_report(report, args.out)


if __name__ == "__main__":
    main()
