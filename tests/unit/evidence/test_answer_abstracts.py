"""Yes/no questions made from abstracts' conclusions (PQA-A's recipe, the answer reader's
warm-up), on sentences and articles the tests write."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from biomedfm.errors import InputError
from biomedfm.evidence.decision import proposition
from biomedfm.evidence.reader.answer import WarmUp, warm_up_questions
from biomedfm.evidence.reader.answer_abstracts import (
    abstract_question,
    conclusion_question,
    opening,
    read_abstract_questions,
)
from tests.unit.evidence.test_reader_data import DATA, write_trial_set

ARTICLE = (
    "TITLE:\nAspirin after myocardial infarction\n\n"
    "ABSTRACT.BACKGROUND:\nAspirin is widely used after myocardial infarction.\n\n"
    "ABSTRACT.METHODS:\n"
    "We randomly assigned 4,000 patients with myocardial infarction to aspirin or placebo.\n\n"
    "ABSTRACT.RESULTS:\n"
    "Mortality at one year was 8.1% with aspirin and 10.9% with placebo (p < 0.001).\n\n"
    "ABSTRACT.CONCLUSIONS:\n"
    "Further trials are planned. In conclusion, daily aspirin significantly reduced mortality at "
    "one year after myocardial infarction.\n\n"
    "BODY.INTRODUCTION:\nThe body restates the conclusion: aspirin reduced mortality.\n"
)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "In conclusion, daily aspirin significantly reduced mortality at one year.",
            ("Did daily aspirin reduce mortality at one year?", "yes"),
        ),
        (
            "Our results suggest that unfractionated heparin did not reduce major bleeding.",
            ("Did unfractionated heparin reduce major bleeding?", "no"),
        ),
        (
            "The results of the current study show that vitamin D was not associated with "
            "fracture risk in older women.",
            ("Was vitamin D associated with fracture risk in older women?", "no"),
        ),
        (
            "There was no significant difference in pain scores between the groups.",
            ("Was there a difference in pain scores between the groups?", "no"),
        ),
        (
            "Ginger tea had no effect on nausea after surgery.",
            ("Did ginger tea affect nausea after surgery?", "no"),
        ),
        (
            "Exercise training may improve quality of life, but not survival.",
            ("May exercise training improve quality of life?", "yes"),
        ),
        (
            "In older adults, the exercise program reduced falls at home.",
            ("Did the exercise program reduce falls at home in older adults?", "yes"),
        ),
        (
            "The new dressing failed to shorten healing time.",
            ("Did the new dressing shorten healing time?", "no"),
        ),
        ("CT is more accurate than ultrasound for staging.", None),  # "accurate" is not after is
        ("Further studies are needed.", None),
        ("Aspirin reduced mortality at one year.", None),  # one-word subjects are refused
        ("The program reduced falls.", None),  # too little left to ask
        ("None of the biomarkers was predictive of response.", None),  # would invert the answer
        ("Patients with increased pain were older.", None),  # an adjective, not the verb
    ],
)
def test_conclusions_become_questions_answered_by_their_negation(
    sentence: str, expected: tuple[str, str] | None
) -> None:
    assert conclusion_question(sentence) == expected


def test_the_question_reads_as_the_proposition_the_reader_judges() -> None:
    made = conclusion_question("Our data indicate that daily aspirin did not reduce stroke.")
    assert made is not None
    assert proposition(made[0]) == "Daily aspirin reduce stroke"


def test_the_passage_is_the_abstract_without_its_conclusion() -> None:
    made = abstract_question(ARTICLE, "9")
    assert made is not None
    assert (made.question, made.answer, made.source) == (
        "Did daily aspirin reduce mortality at one year after myocardial infarction?",
        "yes",
        "9",
    )
    # the first conclusion sentence a rule fits
    assert made.conclusion.startswith("In conclusion, daily aspirin")
    passage = " ".join(made.passage_sentences)
    assert passage.startswith("Aspirin is widely used")
    assert passage.endswith("(p < 0.001).")
    assert "In conclusion" not in passage
    assert "body restates" not in passage
    assert abstract_question(ARTICLE.replace("ABSTRACT.CONCLUSIONS", "BODY.CONCLUSIONS")) is None


def test_validation_articles_and_questions_being_trained_on_stay_out(tmp_path: Path) -> None:
    directory = write_trial_set(tmp_path)  # PMC1, PMC2: no conclusion section
    for pmcid in ("7", "8"):
        (directory / "articles" / f"PMC{pmcid}.txt").write_text(ARTICLE)
    with (directory / "prompts.csv").open("a", newline="") as handle:
        csv.writer(handle).writerow([4, 8, "validation", "True", "aspirin", "placebo", "death"])
    assert [q.source for q in read_abstract_questions(directory)] == ["7"]
    same = {opening("Aspirin is widely used after myocardial infarction.")}
    assert read_abstract_questions(directory, same) == []


def test_warm_up_questions_come_from_either_source_or_both(tmp_path: Path) -> None:
    directory = write_trial_set(tmp_path)
    (directory / "articles" / "PMC7.txt").write_text(ARTICLE)
    trials = warm_up_questions(directory, WarmUp(("trials",)))
    abstracts = warm_up_questions(directory, WarmUp(("abstracts",)))
    assert len(trials) == 4
    assert abstracts == [
        (
            "Daily aspirin reduce mortality at one year after myocardial infarction",
            "Aspirin is widely used after myocardial infarction. We randomly assigned 4,000 "
            "patients with myocardial infarction to aspirin or placebo. Mortality at one year "
            "was 8.1% with aspirin and 10.9% with placebo (p < 0.001).",
            "yes",
        )
    ]
    assert warm_up_questions(directory, WarmUp(("trials", "abstracts"))) == trials + abstracts
    with pytest.raises(InputError, match="trials and/or abstracts"):
        warm_up_questions(directory, WarmUp(("titles",)))


@pytest.mark.skipif(
    not (DATA / "evidence" / "evidence_inference" / "prompts.csv").is_file(),
    reason="the Evidence Inference data is not beside the checkout",
)
def test_the_measured_warm_up_is_rebuilt_from_the_real_trials() -> None:
    """BENCHMARKS.md's warm-up was 873 questions (706 yes); the rules must still make them."""
    from biomedfm.evidence.reader.answer import pubmedqa_openings

    openings = pubmedqa_openings(DATA / "pubmedqa" / "pqal_trainval.json")
    made = warm_up_questions(
        DATA / "evidence" / "evidence_inference", WarmUp(("abstracts",), 2, None, openings)
    )
    assert (len(made), sum(answer == "yes" for _, _, answer in made)) == (873, 706)
