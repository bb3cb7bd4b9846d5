"""Training pairs for the evidence reader, built from the public sets in ``evidence/``.

Stance (claim, evidence) → supports / contradicts / neutral:
- COVID-Fact and FEVER claim pairs (entailment → supports, not_entailment → contradicts; COVID-
  Fact claims lower-cased, since its refuted counter-claims were generated without capitals);
- Evidence Inference prompts turned into claims in three directions ("X increases Y compared
  with Z", "... decreases ...", "... does not change ..."), each against the doctors' quote:
  the quote supports the claim whose direction it reports and contradicts the other two;
- ``neutral`` pairs, which none of the sets has: a claim with a sentence from the *same* trial
  that is not the quoted evidence (hard: same topic, does not address it), with another
  claim's evidence (same domain), and with a sentence of another article (easy).

Effect ("intervention versus comparator: outcome", sentence) → increased / decreased /
no_difference / not_reported: the doctors' evidence sentence with its label, the same with
intervention and comparator swapped (increased ↔ decreased), and other sentences of the same
article, the most lexically similar first, as ``not_reported``.

SciFact is kept out of training on purpose: it is the cross-source validation set (health
claims against scientific abstracts, like the held-back stance benchmark).
"""

from __future__ import annotations

import csv
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from biomedfm.evidence.reader.model import effect_query
from biomedfm.evidence.reader.trial import TrialText

_WORD = re.compile(r"[a-z0-9]+")
_LABEL_OF_ENTAILMENT = {"entailment": "supports", "not_entailment": "contradicts"}
DIRECTION_CLAIMS = {
    "increased": ("{i} increases {o} compared with {c}", "{o} is higher with {i} than with {c}"),
    "decreased": ("{i} decreases {o} compared with {c}", "{o} is lower with {i} than with {c}"),
    "no_difference": (
        "{i} does not change {o} compared with {c}",
        "{o} does not differ between {i} and {c}",
    ),
}
"""Claims of each finding; the first wording of each is also how ``read_effect`` asks."""
_SWAP = {"increased": "decreased", "decreased": "increased", "no_difference": "no_difference"}


@dataclass(frozen=True)
class Pair:
    """One training or validation example for a head."""

    first: str
    second: str
    label: str
    source: str


def direction_claim(direction: str, intervention: str, comparator: str, outcome: str) -> str:
    """The claim that the trial found ``direction`` (first wording of DIRECTION_CLAIMS)."""
    claim = DIRECTION_CLAIMS[direction][0].format(i=intervention, c=comparator, o=outcome.lower())
    return claim[:1].upper() + claim[1:]


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))


def read_claim_pairs(path: Path, source: str, lowercase_claims: bool = False) -> list[Pair]:
    """An RTE-style claims CSV (evidence, claim, label) as supports/contradicts pairs."""
    pairs = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            label = _LABEL_OF_ENTAILMENT.get(row["label"].strip())
            claim, evidence = row["claim"].strip(), row["evidence"].strip()
            if label is None or not claim or not evidence:
                continue
            pairs.append(
                Pair(claim.lower() if lowercase_claims else claim, evidence, label, source)
            )
    return pairs


_ANTONYMS = [
    ("increases", "decreases"),
    ("increased", "decreased"),
    ("increase", "decrease"),
    ("reduces", "increases"),
    ("reduced", "increased"),
    ("reduce", "increase"),
    ("lowers", "raises"),
    ("lower", "higher"),
    ("higher", "lower"),
    ("improves", "worsens"),
    ("improved", "worsened"),
    ("improve", "worsen"),
    ("better", "worse"),
    ("more", "less"),
    ("less", "more"),
    ("positive", "negative"),
    ("prevents", "causes"),
    ("effective", "ineffective"),
    ("safe", "unsafe"),
]
_ANTONYM = re.compile(r"\b(" + "|".join(a for a, _ in _ANTONYMS) + r")\b", re.IGNORECASE)
_ANTONYM_OF = dict(_ANTONYMS)
_AUXILIARY = re.compile(r"\b(is|are|was|were|can|may|will|could|should|has been|have been)\b")


def flip_claim(claim: str) -> str | None:
    """The claim with its direction reversed ("reduces" → "increases") or negated ("is" →
    "is not"); None when it has neither a direction word nor an auxiliary to negate."""
    match = _ANTONYM.search(claim)
    if match:
        word = match.group(1)
        other = _ANTONYM_OF[word.lower()]
        other = other.capitalize() if word[0].isupper() else other
        return claim[: match.start()] + other + claim[match.end() :]
    match = _AUXILIARY.search(claim)
    if match and " not " not in claim and "n't" not in claim:
        return claim[: match.end()] + " not" + claim[match.end() :]
    return None


def flipped_pairs(pairs: list[Pair], rng: random.Random, share: float = 0.5) -> list[Pair]:
    """Supported claims with their direction reversed or negated → contradicts."""
    out = []
    supported = [p for p in pairs if p.label == "supports"]
    for pair in rng.sample(supported, int(len(supported) * share)):
        flipped = flip_claim(pair.first)
        if flipped is not None:
            out.append(Pair(flipped, pair.second, "contradicts", f"{pair.source}-flipped"))
    return out


def cross_neutrals(pairs: list[Pair], rng: random.Random, share: float = 0.5) -> list[Pair]:
    """Claims paired with the evidence of an unrelated claim of the same set → neutral."""
    evidences = sorted({p.second for p in pairs})
    out = []
    for pair in rng.sample(pairs, int(len(pairs) * share)):
        for _ in range(5):
            other = rng.choice(evidences)
            if other != pair.second and overlap(words(pair.first), words(other)) < 0.5:
                out.append(Pair(pair.first, other, "neutral", f"{pair.source}-neutral"))
                break
    return out


@dataclass
class TrialPrompt:
    """A labelled Evidence Inference prompt with its doctors' quotes."""

    prompt_id: str
    pmcid: str
    split: str
    intervention: str
    comparator: str
    outcome: str
    label: str
    quotes: list[tuple[str, int, int]]  # (text, start, end); offsets -1 when unknown


def read_trial_prompts(directory: Path) -> list[TrialPrompt]:
    """Labelled prompts with at least one valid doctor's answer (majority label)."""
    prompts: dict[str, dict[str, str]] = {}
    with (directory / "prompts.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["labelled"] == "True":
                prompts[row["prompt_id"]] = row
    labels: dict[str, list[str]] = defaultdict(list)
    quotes: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    with (directory / "annotations.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            pid = row["prompt_id"]
            if pid not in prompts or row["label"] not in _SWAP or not row["evidence"].strip():
                continue
            labels[pid].append(row["label"])
            quotes[pid].append(
                (row["evidence"], int(row["evidence_start"]), int(row["evidence_end"]))
            )
    out = []
    for pid, row in prompts.items():
        if not labels[pid]:
            continue
        label = max(sorted(set(labels[pid])), key=labels[pid].count)  # ties: alphabetical
        out.append(
            TrialPrompt(
                pid,
                row["pmcid"],
                row["split"],
                row["intervention"].strip(),
                row["comparator"].strip(),
                row["outcome"].strip(),
                label,
                quotes[pid],
            )
        )
    return sorted(out, key=lambda p: int(p.prompt_id))


def article_path(directory: Path, pmcid: str) -> Path:
    return directory / "articles" / f"PMC{pmcid}.txt"


def evidence_sentences(trial: TrialText, prompt: TrialPrompt) -> set[int]:
    """Indices of the trial's sentences that overlap any doctor's quote of ``prompt``."""
    hits: set[int] = set()
    quote_words = [words(q[0]) for q in prompt.quotes]
    for index, (start, end) in enumerate(trial.spans):
        text_words = words(trial.text[start:end])
        for (_, q_start, q_end), q_words in zip(prompt.quotes, quote_words, strict=True):
            if (q_start >= 0 and q_start < end and q_end > start) or overlap(
                text_words, q_words
            ) >= 0.6:
                hits.add(index)
    return hits


_NO_FINDINGS = re.compile(r"METHOD|BACKGROUND|INTRODUCTION|OBJECTIVE|AIM|DESIGN|PATIENTS")


def stance_pairs_from_trials(
    prompts: list[TrialPrompt],
    trials: dict[str, TrialText],
    rng: random.Random,
    hard_neutrals: bool = False,
) -> list[Pair]:
    """Direction claims against the doctors' quotes, plus same-trial and other-trial neutrals.

    Args:
        hard_neutrals: also pair each claim with the methods/background sentence of its own
            trial that shares the most words with it (it names the arms or the outcome but
            reports no finding: the reader must not count it).
    """
    pairs = []
    pmcids = sorted(trials)
    for prompt in prompts:
        values = {"i": prompt.intervention, "c": prompt.comparator, "o": prompt.outcome.lower()}
        quote = rng.choice(prompt.quotes)[0].strip()
        for direction, templates in DIRECTION_CLAIMS.items():
            claim = rng.choice(templates).format(**values)
            claim = claim[:1].upper() + claim[1:]
            label = "supports" if direction == prompt.label else "contradicts"
            if label == "contradicts" and rng.random() < 0.5:
                continue  # keep supports and contradicts roughly balanced
            pairs.append(Pair(claim, quote, label, "evidence-inference"))
        claim = rng.choice(DIRECTION_CLAIMS[rng.choice(list(DIRECTION_CLAIMS))]).format(**values)
        claim = claim[:1].upper() + claim[1:]
        trial = trials.get(prompt.pmcid)
        if trial is not None and trial.spans:
            near = evidence_sentences(trial, prompt)
            others = [i for i in range(len(trial.spans)) if i not in near]
            if others:
                pairs.append(
                    Pair(claim, trial.sentence(rng.choice(others)), "neutral", "ei-same-trial")
                )
            methods = [i for i in others if _NO_FINDINGS.search(trial.sections[i])]
            if hard_neutrals and methods:
                claim_words = words(claim)
                index = max(methods, key=lambda i: overlap(claim_words, words(trial.sentence(i))))
                pairs.append(Pair(claim, trial.sentence(index), "neutral", "ei-methods"))
        other_trial = trials[rng.choice(pmcids)]
        if other_trial.spans and other_trial is not trial:
            index = rng.randrange(len(other_trial.spans))
            pairs.append(Pair(claim, other_trial.sentence(index), "neutral", "ei-other-trial"))
    return pairs


def other_outcome_quotes(
    prompts: list[TrialPrompt], rng: random.Random, max_overlap: float = 0.3, per_prompt: int = 2
) -> Iterator[tuple[TrialPrompt, str]]:
    """(prompt, a doctor's quote for *another outcome* of the same comparison in the same trial).

    Same intervention, same comparator, same trial, often the same sentence form: only the
    outcome differs, so nothing but reading the outcome tells that the quote does not report
    this prompt's finding. A quote that shares more than ``max_overlap`` of its words with the
    prompt's outcome may report it too and is left out; each prompt gets up to ``per_prompt``
    such quotes, from different outcomes.
    """
    by_arms: dict[tuple[str, str, str], list[TrialPrompt]] = defaultdict(list)
    for prompt in prompts:
        key = (prompt.pmcid, prompt.intervention.lower(), prompt.comparator.lower())
        by_arms[key].append(prompt)
    for group in by_arms.values():
        for prompt in group:
            outcome_words = words(prompt.outcome)
            others = [
                quote
                for other in group
                if overlap(words(other.outcome), outcome_words) < max_overlap
                for quote, _, _ in other.quotes[:1]
                if overlap(outcome_words, words(quote)) < max_overlap
            ]
            if others:  # lazily: a caller drawing from ``rng`` per quote keeps its order
                for quote in rng.sample(others, min(per_prompt, len(others))):
                    yield prompt, quote.strip()


def other_outcome_pairs(
    prompts: list[TrialPrompt], rng: random.Random, max_overlap: float = 0.3, per_prompt: int = 2
) -> list[Pair]:
    """Neutral pairs of the hardest kind: a trial's result for another outcome of the same
    comparison (:func:`other_outcome_quotes`), against a claim about this outcome.

    The shipped reader 2026.12 read 89% of such pairs as addressing the claim; a study of
    statins and recovery *after* a stroke, read against "statins reduce the risk of stroke",
    is this error.
    """
    pairs = []
    for prompt, quote in other_outcome_quotes(prompts, rng, max_overlap, per_prompt):
        template = rng.choice(DIRECTION_CLAIMS[rng.choice(list(DIRECTION_CLAIMS))])
        claim = template.format(
            i=prompt.intervention, c=prompt.comparator, o=prompt.outcome.lower()
        )
        claim = claim[:1].upper() + claim[1:]
        pairs.append(Pair(claim, quote, "neutral", "ei-other-outcome"))
    return pairs


def non_evidence_by_similarity(trial: TrialText, prompt: TrialPrompt, near: set[int]) -> list[int]:
    """The trial's sentences outside ``near`` (its evidence), those sharing most words with
    the prompt's outcome and intervention first (ties in reading order)."""
    query_words = words(f"{prompt.outcome} {prompt.intervention}")
    candidates = [i for i in range(len(trial.spans)) if i not in near]
    return sorted(candidates, key=lambda i: -overlap(query_words, words(trial.sentence(i))))


def effect_pairs(
    prompts: list[TrialPrompt],
    trials: dict[str, TrialText],
    rng: random.Random,
    negatives: int = 3,
) -> list[Pair]:
    """Evidence sentences with their label (and swapped), other sentences as not_reported."""
    pairs = []
    for prompt in prompts:
        query = effect_query(prompt.intervention, prompt.comparator, prompt.outcome)
        swapped = effect_query(prompt.comparator, prompt.intervention, prompt.outcome)
        trial = trials.get(prompt.pmcid)
        near = evidence_sentences(trial, prompt) if trial is not None else set()
        positives = [trial.sentence(i) for i in sorted(near)][:2] if trial else []
        positives += [q[0].strip() for q in prompt.quotes[:1]]
        for text in dict.fromkeys(positives):
            pairs.append(Pair(query, text, prompt.label, "effect"))
            pairs.append(Pair(swapped, text, _SWAP[prompt.label], "effect-swapped"))
        if trial is None:
            continue
        ranked = non_evidence_by_similarity(trial, prompt, near)
        if not ranked:
            continue
        candidates = sorted(ranked)
        chosen = [*ranked[: negatives - 1], rng.choice(candidates)]
        for index in dict.fromkeys(chosen):
            pairs.append(
                Pair(
                    rng.choice([query, swapped]),
                    trial.sentence(index),
                    "not_reported",
                    "effect-none",
                )
            )
    return pairs


def load_trials(directory: Path, pmcids: set[str]) -> dict[str, TrialText]:
    trials = {}
    for pmcid in sorted(pmcids):
        path = article_path(directory, pmcid)
        if path.is_file():
            trials[pmcid] = TrialText(path.read_text(encoding="utf-8", errors="replace"))
    return trials


@dataclass
class ReaderData:
    """Training and validation pairs per head, and the cross-source stance set."""

    stance_train: list[Pair]
    effect_train: list[Pair]
    stance_validation: list[Pair]
    effect_validation: list[Pair]
    stance_cross_source: list[Pair]  # SciFact + neutrals: never trained on


def build_reader_data(
    data_dir: Path,
    seed: int = 0,
    fever_pairs: int = 2000,
    hard_neutrals: bool = False,
    flips: bool = False,
    other_outcomes: bool = False,
) -> ReaderData:
    """Every pair the reader trains and is selected on, from ``<data_dir>/evidence``.

    Args:
        hard_neutrals: see :func:`stance_pairs_from_trials`.
        flips: add direction-flipped and negated copies of supported claims (contradicts).
        other_outcomes: add :func:`other_outcome_pairs` (neutral), to training and validation.
    """
    rng = random.Random(seed)
    claims = data_dir / "evidence" / "claims"
    trials_dir = data_dir / "evidence" / "evidence_inference"
    covid_train = read_claim_pairs(claims / "covidfact_train.csv", "covidfact", True)
    covid_dev = read_claim_pairs(claims / "covidfact_dev.csv", "covidfact", True)
    fever = read_claim_pairs(claims / "fever_dev.csv", "fever")
    fever = rng.sample(fever, min(fever_pairs, len(fever)))
    scifact = read_claim_pairs(claims / "scifact_train.csv", "scifact")
    prompts = read_trial_prompts(trials_dir)
    trials = load_trials(trials_dir, {p.pmcid for p in prompts})
    train_prompts = [p for p in prompts if p.split == "train"]
    validation_prompts = [p for p in prompts if p.split == "validation"]
    stance_train = (
        covid_train
        + cross_neutrals(covid_train, rng)
        + fever
        + cross_neutrals(fever, rng, 0.3)
        + stance_pairs_from_trials(train_prompts, trials, rng, hard_neutrals)
    )
    if flips:
        stance_train += flipped_pairs(covid_train + fever, rng)
    stance_validation = (
        covid_dev
        + cross_neutrals(covid_dev, rng)
        + stance_pairs_from_trials(validation_prompts, trials, rng, hard_neutrals)
    )
    rng.shuffle(stance_train)
    if other_outcomes:  # their own generator: every other pair stays as it is without them
        outcome_rng = random.Random(seed + 1)
        stance_train += other_outcome_pairs(train_prompts, outcome_rng)
        outcome_rng.shuffle(stance_train)
        stance_validation += other_outcome_pairs(validation_prompts, outcome_rng)
    effect_train = effect_pairs(train_prompts, trials, rng)
    rng.shuffle(effect_train)
    return ReaderData(
        stance_train=stance_train,
        effect_train=effect_train,
        stance_validation=stance_validation,
        effect_validation=effect_pairs(validation_prompts, trials, rng),
        stance_cross_source=scifact + cross_neutrals(scifact, rng),
    )
