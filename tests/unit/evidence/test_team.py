"""The agent team end to end on tiny corpora (real MiniLM, no LLM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from biomedfm.evidence.agents.planner import plan
from biomedfm.evidence.agents.team import (
    EvidenceTeam,
    consistent_decision,
    proposition,
    stance_balance,
)
from biomedfm.evidence.chain import Citation, Decision, Stance
from biomedfm.evidence.ingest import Document
from biomedfm.evidence.retrieval.bm25 import build_indexes
from biomedfm.evidence.store import EvidenceStore

POSITIVE = [
    "Aspirin after myocardial infarction was compared with placebo in 4,000 patients.",
    "Patients were randomized to aspirin or placebo.",
    "Aspirin significantly reduced mortality at one year (p < 0.01).",
]
NEGATIVE = ["Aspirin did not reduce mortality in a retrospective review of 300 records."]


def test_planner_extracts_pico() -> None:
    the_plan = plan(
        "Does aspirin reduce mortality in patients with myocardial infarction "
        "compared with placebo?"
    )
    assert the_plan.pico.intervention == "aspirin"
    assert the_plan.pico.outcome == "mortality"
    assert the_plan.pico.population == "patients with myocardial infarction"
    assert the_plan.pico.comparison == "placebo"


@pytest.mark.parametrize(
    ("question", "intervention", "outcome"),
    [
        (
            "Does maternal obesity have an influence on feeding behavior of obese children?",
            "maternal obesity",
            "feeding behavior of obese children",
        ),
        (
            "Can the Internet be used to improve sexual health awareness in young people?",
            "the Internet",
            "sexual health awareness",
        ),
        ("Is the Hawkins sign able to predict necrosis?", "the Hawkins sign", "necrosis"),
        (
            "Does preoperative anemia adversely affect colon and rectal surgery outcomes?",
            "preoperative anemia",
            "colon and rectal surgery outcomes",
        ),
        (
            "Does a family history increase the risk of stroke?",
            "a family history",
            "the risk of stroke",
        ),
        ("Is there an increase in the incidence of GBS carriage?", None, None),
        ("Can we predict urinary stone composition from hair?", None, None),
        ("Do the changes in serum IL-6 reflect the inflammatory activity?", None, None),
    ],
)
def test_planner_reads_the_subject_not_the_phrasing(
    question: str, intervention: str | None, outcome: str | None
) -> None:
    pico = plan(question).pico
    assert (pico.intervention, pico.outcome) == (intervention, outcome)


def test_planner_reads_who_benefits_from_what() -> None:
    pico = plan("Do older men benefit from curative therapy of localized prostate cancer?").pico
    assert pico.population == "older men"
    assert pico.intervention == "curative therapy of localized prostate cancer"
    assert pico.outcome is None


def test_proposition() -> None:
    assert proposition("Does aspirin reduce mortality?") == "Aspirin reduce mortality"


def test_a_decision_never_contradicts_the_quotes_it_shows() -> None:
    supporting = Citation(doc_id="d", quote="q", stance=Stance.SUPPORTS)
    contradicting = Citation(doc_id="d", quote="q", stance=Stance.CONTRADICTS)
    assert consistent_decision(Decision.YES, [supporting]) == (Decision.YES, [])
    strong_against = contradicting.model_copy(update={"evidence_level": 2})
    assert consistent_decision(Decision.NO, [supporting, strong_against])[0] == Decision.NO
    # one quote each way, equal weight: across a corpus neither a yes nor a no is carried;
    # in one study's passages a quote of the needed stance suffices
    assert consistent_decision(Decision.NO, [supporting, contradicting])[0] == Decision.MAYBE
    assert consistent_decision(Decision.NO, [supporting, contradicting], weigh=False) == (
        Decision.NO,
        [],
    )
    decision, why = consistent_decision(Decision.NO, [supporting])
    assert decision == Decision.MAYBE
    assert "no quote contradicts" in why[0]
    assert consistent_decision(Decision.YES, [contradicting])[0] == Decision.MAYBE
    assert consistent_decision(Decision.MAYBE, [])[0] == Decision.MAYBE


def test_a_no_needs_the_weight_of_the_quotes_against() -> None:
    """The statin case: four quotes lean to support, one contradicts; a "no" is not shown."""

    def quote(p_supports: float, p_contradicts: float) -> Citation:
        stance = Stance.SUPPORTS if p_supports >= p_contradicts else Stance.CONTRADICTS
        p_neutral = 1.0 - p_supports - p_contradicts
        return Citation(
            doc_id="d",
            quote="q",
            stance=stance,
            evidence_level=4,
            p_supports=p_supports,
            p_contradicts=p_contradicts,
            p_neutral=p_neutral,
        )

    quotes = [quote(0.66, 0.32), quote(0.35, 0.25), quote(0.45, 0.27), quote(0.30, 0.40)]
    support, against = stance_balance(quotes)
    assert support > against
    decision, why = consistent_decision(Decision.NO, quotes)
    assert decision == Decision.MAYBE
    assert "weigh" in why[0]
    assert f"{support:.2f}" in why[0]
    assert consistent_decision(Decision.YES, quotes) == (Decision.YES, [])
    machine = Citation(doc_id="m", quote="q", stance=Stance.CONTRADICTS, experimental=False)
    assert stance_balance([machine]) == (0.0, 0.0)  # a prediction never weighs in


def test_answer_from_context_is_verified_and_traced() -> None:
    team = EvidenceTeam.from_contexts(POSITIVE, "pmid1")
    chain, trace = team.answer("Does aspirin reduce mortality after myocardial infarction?", "q1")
    assert chain.id == "q1"
    assert chain.decision == Decision.YES
    citations = chain.claims[0].citations
    assert citations
    assert all(c.quote in " ".join(POSITIVE) for c in citations)
    assert citations[0].study_design == "randomized controlled trial"
    assert citations[0].evidence_level == 2
    assert [step.agent for step in trace.steps] == [
        "planner",
        "retriever",
        "reader",
        "appraiser",
        "synthesizer",
        "verifier",
    ]


def test_contradicting_evidence_is_shown(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "corpus.sqlite")
    store.add([Document("rct", " ".join(POSITIVE)), Document("retro", NEGATIVE[0])])
    build_indexes(store, tmp_path)
    store.close()
    chain, _ = EvidenceTeam.from_index(tmp_path).answer(
        "Does aspirin reduce mortality after myocardial infarction?"
    )
    stances = {(c.doc_id, c.stance) for c in chain.claims[0].citations}
    assert ("rct", Stance.SUPPORTS) in stances
    assert ("retro", Stance.CONTRADICTS) in stances
    for claim in chain.claims:
        for citation in claim.citations:
            assert citation.p_supports is not None
            assert citation.p_contradicts is not None
    if chain.decision == Decision.YES:
        assert any(c.stance == Stance.SUPPORTS for c in chain.claims[0].citations)


def test_off_topic_question_abstains(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "corpus.sqlite")
    store.add([Document("rct", " ".join(POSITIVE))])
    build_indexes(store, tmp_path)
    store.close()
    chain, trace = EvidenceTeam.from_index(tmp_path).answer(
        "Which football club won the league in 1998?"
    )
    assert chain.decision == Decision.INSUFFICIENT
    assert chain.claims == []
    assert "searched 1 document(s)" in chain.notes[0]  # says what was searched
    # and which gate stopped it: no document was close enough, so no relevance is claimed
    assert "none is close enough to the question to quote" in chain.notes[0]
    assert "addresses the question with probability" not in chain.notes[0]
    assert "read 3 sentence(s), 0 address it" in trace.steps[2].summary


def test_unrelated_corpus_gives_insufficient_not_a_guess(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "corpus.sqlite")
    store.add(
        [
            Document(
                "carotid",
                "Carotid intima-media thickness was measured by ultrasound in 1,200 black "
                "African adults. Thickness increased with age and systolic blood pressure.",
            )
        ]
    )
    build_indexes(store, tmp_path)
    store.close()
    chain, _ = EvidenceTeam.from_index(tmp_path).answer(
        "Do statins reduce the risk of stroke in elderly patients?"
    )
    assert chain.decision == Decision.INSUFFICIENT


def test_background_sentences_are_never_quotes(tmp_path: Path) -> None:
    """A study's introduction restating others' findings is not the study's evidence."""
    store = EvidenceStore(tmp_path / "corpus.sqlite")
    store.add(
        [
            Document(
                "after-stroke",
                "In primary and secondary prevention trials, statins have been shown to reduce "
                "the risk of stroke. We studied 300 patients admitted with an acute stroke. "
                "Patients on statins were discharged home earlier (odds ratio 1.4).",
            )
        ]
    )
    build_indexes(store, tmp_path)
    store.close()
    team = EvidenceTeam.from_index(tmp_path)
    chain, trace = team.answer("Do statins reduce the risk of stroke?")
    quotes = [c.quote for claim in chain.claims for c in claim.citations]
    assert not any(q.startswith("In primary and secondary prevention") for q in quotes)
    assert "left out as background" in trace.steps[2].summary
    team.roles = None  # without the role check the background sentence is the first quote
    team.outcome_reader = None  # (and no outcome gate, which that quote would pass)
    chain, _ = team.answer("Do statins reduce the risk of stroke?")
    quotes = [c.quote for claim in chain.claims for c in claim.citations]
    assert quotes
    assert quotes[0].startswith("In primary and secondary prevention")


STROKE_RISK = (
    "We randomized 5,000 elderly patients to statins or placebo to study the risk of stroke. "
    "Statins reduced the risk of stroke compared with placebo in elderly patients (hazard "
    "ratio 0.75, p = 0.01)."
)
AFTER_BYPASS = (
    "We studied whether statins reduce the risk of complications in elderly patients after "
    "coronary artery bypass grafting. Postoperative atrial fibrillation was significantly "
    "lower in the statin group compared with the non-statin group (16% versus 33%, p = 0.005)."
)


def _corpus(tmp_path: Path, documents: list[Document]) -> Path:
    store = EvidenceStore(tmp_path / "corpus.sqlite")
    store.add(documents)
    build_indexes(store, tmp_path)
    store.close()
    return tmp_path


def test_a_study_of_another_outcome_is_no_evidence_on_this_one(tmp_path: Path) -> None:
    """The statin question's error: a finding on atrial fibrillation quoted for stroke."""
    question = "Do statins reduce the risk of stroke in elderly patients?"
    team = EvidenceTeam.from_index(
        _corpus(tmp_path, [Document("risk", STROKE_RISK), Document("af", AFTER_BYPASS)])
    )
    assert team.outcome_reader is not None  # on by default in a corpus
    chain, trace = team.answer(question)
    assert {c.doc_id for claim in chain.claims for c in claim.citations} == {"risk"}
    assert "left out 1 document(s) whose quotes report other outcomes" in trace.steps[2].summary
    assert "af (" in trace.steps[2].summary


def test_only_other_outcomes_in_the_corpus_is_insufficient(tmp_path: Path) -> None:
    team = EvidenceTeam.from_index(_corpus(tmp_path, [Document("af", AFTER_BYPASS)]))
    chain, _ = team.answer("Do statins reduce the risk of stroke in elderly patients?")
    assert chain.decision == Decision.INSUFFICIENT
    assert "report other outcomes" in chain.summary
    assert "af (" in chain.notes[0]
    team.outcome_reader = None  # without the gate the bypass study is quoted
    chain, _ = team.answer("Do statins reduce the risk of stroke in elderly patients?")
    assert chain.decision != Decision.INSUFFICIENT


class _Proposes:
    """A decision model that always proposes one answer (the chain must then carry it)."""

    def __init__(self, label: str) -> None:
        self.label = label

    def decide(self, features: object) -> tuple[str, float]:
        return self.label, 0.9


def test_the_quote_a_proposed_answer_needs_is_found_below_the_shown_ones() -> None:
    """Only the most relevant sentence is shown; the other way's sentence is held back."""
    mixed = [
        "Aspirin significantly increased mortality at one year (p < 0.01).",
        "Aspirin significantly reduced mortality in older patients (p < 0.01).",
    ]
    question = "Does aspirin reduce mortality?"
    added: list[bool] = []
    for label, needed in (("yes", Stance.SUPPORTS), ("no", Stance.CONTRADICTS)):
        team = EvidenceTeam.from_contexts(mixed, "mixed", decision_model=_Proposes(label))  # type: ignore[arg-type]
        team.quotes_per_document = 1
        chain, trace = team.answer(question, "q")
        assert chain.decision == Decision(label)
        assert any(c.stance == needed for c in chain.claims[0].citations)
        added += ["no quote shown" in trace.steps[4].summary]
    assert sum(added) == 1  # the one shown sentence carried one answer; the other was added
    team = EvidenceTeam.from_contexts(POSITIVE, "pos", decision_model=_Proposes("no"))  # type: ignore[arg-type]
    team.quotes_per_document = 1
    chain, _ = team.answer(question, "q")
    assert chain.decision == Decision.MAYBE  # nothing held back contradicts: no "no"


def test_a_results_passage_is_quoted_verbatim_when_the_answer_reader_reads_it_so() -> None:
    """No sentence carries the proposed yes: the passage the answer reader read is the quote,
    copied from the abstract as one span (its sentences' own spacing kept)."""
    import numpy as np

    from biomedfm.evidence.agents.team import _Evidence, _passage_citation
    from biomedfm.evidence.appraisal import appraise

    store = EvidenceStore.in_memory()
    abstract = " ".join(POSITIVE) + "  Adverse events were rare."
    store.add([Document("trial", abstract)])
    sentences = sorted(store.sentences("trial"), key=lambda s: s.position)
    evidence = _Evidence(
        "trial",
        [s.text for s in sentences],
        np.zeros((len(sentences), 384)),
        np.zeros(384),
        np.zeros((len(sentences), 3)),
        sentences,
        appraise(abstract),
    )
    yes = np.array([0.7, 0.2, 0.1])
    citation = _passage_citation(evidence, abstract, yes, Stance.SUPPORTS)
    assert citation is not None
    assert citation.quote in abstract
    assert citation.quote.endswith("Adverse events were rare.")
    assert "significantly reduced mortality" in citation.quote
    assert citation.sentence_ids[-1] == sentences[-1].id
    assert citation.p_supports == 0.7
    assert _passage_citation(evidence, abstract, yes, Stance.CONTRADICTS) is None
