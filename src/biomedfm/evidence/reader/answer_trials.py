"""Yes/no questions made from Evidence Inference trials: a warm-up for the answer reader.

PubMedQA gives the answer reader 500 questions to learn from (400 per cross-fitting fold). Its
authors' own larger model learned most from 211k artificial questions, which we do not have;
the Evidence Inference prompts are the nearest thing we do have: a doctor read what a trial found
for an intervention, a comparator and an outcome, and quoted where it says so. Each prompt becomes
questions in PubMedQA's form, asked of a passage of the trial around that quote:

- "Does I increase / reduce O compared with C?" → yes when the trial found that direction, no
  when it found the other one or no difference;
- "Does I affect O compared with C?" → yes for either direction, no for no difference.

The passage is a window of the report's sentences about as long as the answer reader's passage
(:data:`~biomedfm.evidence.reader.answer.PASSAGE_CHARS`), holding a quoted sentence at a random
place, so the reader must find the finding in it rather than read the last sentence. There is no
``maybe``: a trial's quoted finding always answers its own prompt.
"""

from __future__ import annotations

import random
from pathlib import Path

from biomedfm.evidence.reader.data import (
    TrialPrompt,
    evidence_sentences,
    load_trials,
    read_trial_prompts,
)
from biomedfm.evidence.reader.trial import TrialText

QUESTION_VERBS = {
    "increase": "{i} increase {o} compared with {c}",
    "reduce": "{i} reduce {o} compared with {c}",
    "affect": "{i} affect {o} compared with {c}",
}
"""Propositions (PubMedQA questions without their auxiliary, as ``proposition`` words them)."""
_YES_FOR = {
    "increase": {"increased"},
    "reduce": {"decreased"},
    "affect": {"increased", "decreased"},
}
QUESTIONS_PER_PROMPT = 2


def trial_answer(verb: str, finding: str) -> str:
    """``yes`` when a trial that found ``finding`` answers the ``verb`` question yes."""
    return "yes" if finding in _YES_FOR[verb] else "no"


def trial_passage(trial: TrialText, anchor: int, chars: int, rng: random.Random) -> str:
    """Sentences around sentence ``anchor`` (kept in text order) up to about ``chars``.

    The window grows one sentence at a time on a randomly chosen side, so the anchor lands
    anywhere in it; it always holds the anchor, however long.
    """
    first = last = anchor
    total = len(trial.sentence(anchor))
    while True:
        sides = [s for s in (-1, 1) if 0 <= (first - 1 if s < 0 else last + 1) < len(trial.spans)]
        if not sides:
            break
        side = rng.choice(sides)
        index = first - 1 if side < 0 else last + 1
        length = len(trial.sentence(index))
        if total + length > chars:
            break
        total += length
        first, last = min(first, index), max(last, index)
    return " ".join(trial.sentence(i) for i in range(first, last + 1))


def trial_questions(
    prompts: list[TrialPrompt],
    trials: dict[str, TrialText],
    chars: int,
    seed: int = 0,
    per_prompt: int = QUESTIONS_PER_PROMPT,
) -> list[tuple[str, str, str]]:
    """(proposition, passage, yes/no) for each prompt whose quote is found in its trial."""
    rng = random.Random(seed)
    out = []
    for prompt in prompts:
        trial = trials.get(prompt.pmcid)
        if trial is None or not trial.spans:
            continue
        anchors = sorted(evidence_sentences(trial, prompt))
        if not anchors:
            continue
        values = {"i": prompt.intervention, "c": prompt.comparator, "o": prompt.outcome.lower()}
        for verb in rng.sample(sorted(QUESTION_VERBS), per_prompt):
            claim = QUESTION_VERBS[verb].format(**values)
            passage = trial_passage(trial, rng.choice(anchors), chars, rng)
            out.append((claim[:1].upper() + claim[1:], passage, trial_answer(verb, prompt.label)))
    return out


def read_trial_questions(directory: Path, chars: int, seed: int = 0) -> list[tuple[str, str, str]]:
    """The training-split prompts of an ``evidence_inference`` folder as yes/no questions.

    Its validation split stays out, as it does for the evidence reader.
    """
    prompts = [p for p in read_trial_prompts(directory) if p.split == "train"]
    trials = load_trials(directory, {p.pmcid for p in prompts})
    return trial_questions(prompts, trials, chars, seed)
