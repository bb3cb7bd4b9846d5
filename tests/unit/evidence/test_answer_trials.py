"""Yes/no questions made from Evidence Inference prompts (the answer reader's warm-up)."""

from __future__ import annotations

import random
from pathlib import Path

from biomedfm.evidence.reader.answer_trials import (
    read_trial_questions,
    trial_answer,
    trial_passage,
)
from biomedfm.evidence.reader.trial import TrialText
from tests.unit.evidence.test_reader_data import write_trial_set


def test_each_verb_is_answered_by_the_finding() -> None:
    assert [trial_answer(v, "increased") for v in ("increase", "reduce", "affect")] == [
        "yes",
        "no",
        "yes",
    ]
    assert [trial_answer(v, "decreased") for v in ("increase", "reduce", "affect")] == [
        "no",
        "yes",
        "yes",
    ]
    assert {trial_answer(v, "no_difference") for v in ("increase", "reduce", "affect")} == {"no"}


def test_questions_ask_the_prompt_of_a_passage_holding_its_quote(tmp_path: Path) -> None:
    questions = read_trial_questions(write_trial_set(tmp_path), chars=1100)
    assert len(questions) == 4  # two labelled prompts, two questions each; the unlabelled one out
    for claim, passage, answer in questions:
        if claim.startswith("Aspirin"):  # the trial found mortality decreased
            assert claim.endswith("mortality at one year compared with placebo")
            assert "8.1% with aspirin" in passage
            assert answer == ("no" if " increase " in claim else "yes")
        else:  # heparin: no difference in bleeding, whatever the verb
            assert claim.startswith("Heparin")
            assert "major bleeding" in claim
            assert "did not differ" in passage
            assert answer == "no"


def test_the_passage_is_a_window_of_whole_sentences_around_the_anchor() -> None:
    text = "\n".join(f"Sentence number {i} reports a finding of the trial." for i in range(40))
    trial = TrialText(text)
    sentences = [trial.sentence(i) for i in range(len(trial.spans))]
    places = set()
    for seed in range(20):
        passage = trial_passage(trial, 20, chars=300, rng=random.Random(seed))
        count = passage.count("Sentence number")
        assert len(passage) <= 300 + count  # the joining spaces
        assert sentences[20] in passage
        first = next(i for i, s in enumerate(sentences) if passage.startswith(s + " "))
        assert passage == " ".join(sentences[first : first + count])  # contiguous, in order
        places.add(20 - first)
    assert len(places) > 2  # the anchor is not always in the same place
    assert trial_passage(trial, 0, chars=10, rng=random.Random(0)) == sentences[0]
