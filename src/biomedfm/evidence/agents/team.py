"""The agent team that turns a question into a verified chain of evidence, without an LLM.

planner → retriever (hybrid search, then the sentences of the best documents)
→ reader (the trained evidence reader, :mod:`biomedfm.evidence.reader`, judges every candidate
sentence against the question's proposition: supports / contradicts / does not address it;
the answer reader, :mod:`biomedfm.evidence.reader.answer`, joins in on which way each quote
points; in a corpus the sentence-role model, :mod:`biomedfm.evidence.roles`, keeps background
sentences, prior work and the study's aims, out of the quotes)
→ appraiser (design and evidence level per source)
→ synthesizer (the quotes are the sentences the reader finds relevant, each with its stance and
probabilities; nothing relevant → ``insufficient``, saying what was searched; otherwise the
decision model reads the best source's wording, the reader's stances and the answer reader's
yes / no / maybe for the source's results, and the decision must
agree with the chain it shows: a ``yes`` needs a supporting quote, a ``no`` a contradicting one,
and across a corpus the weighted stance of the quotes on its side too, else the answer is
``maybe``)
→ verifier (quotes must be verbatim; unsupported claims go; nothing left → ``insufficient``).

With an LLM configured, the LLM reads the verified quotes and gives the decision and summary
instead (it cannot add quotes), under the same consistency rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from biomedfm.evidence.agents.llm_synthesis import llm_decide
from biomedfm.evidence.agents.planner import PICO, Plan, plan
from biomedfm.evidence.agents.trace import Trace
from biomedfm.evidence.appraisal import Appraisal, appraise
from biomedfm.evidence.bio import affinity_claim
from biomedfm.evidence.chain import Citation, Claim, Decision, EvidenceChain, Stance
from biomedfm.evidence.decision import (
    DecisionModel,
    decision_features,
    proposition,
    shipped_decision_model,
)
from biomedfm.evidence.ingest import Document
from biomedfm.evidence.llm.base import LLM
from biomedfm.evidence.reader import load_reader
from biomedfm.evidence.reader.answer import (
    answer_passage,
    answer_probabilities,
    passage_start,
)
from biomedfm.evidence.reader.model import EvidenceReaderModel, effect_query
from biomedfm.evidence.retrieval.dense import embed
from biomedfm.evidence.retrieval.hybrid import HybridRetriever
from biomedfm.evidence.roles import RoleModel, relative_positions, shipped_role_model
from biomedfm.evidence.store import EvidenceStore, Sentence
from biomedfm.evidence.verify import verify_chain

__all__ = ["EvidenceTeam", "proposition"]


# The gates of a corpus quote, chosen on the abstention benchmark (half the PubMedQA abstracts
# indexed, validation data; BENCHMARKS.md, "Decisions: PubMedQA and abstention"). A document is
# read for quotes only when one of its sentences, of any role, has MiniLM similarity 0.6 to the
# question (what a study asks shows whether it addresses the question: its aims and title-like
# sentences match it best); each quote then needs reader relevance 0.3, similarity 0.3 and not
# to be background. Measured: 8.0% false answers with 86.0% of the answerable questions
# answered when every quote needed similarity 0.55 itself; with a document gate of 0.65 1.6% /
# 85.6% without the role check and 1.6% / 84.0% with it (background probability ≥ 0.95 left
# out; benchmarks/evidence_gate_sweep.py, then evidence_abstention.py). The outcome gate
# (CORPUS_MIN_REPORTED) then cost answers: 1.6% / 81.2% at 0.65, too near the 80% bar for a
# held-back set (one standard error of the answered share is 2.5 points), so the document gate
# was lowered to 0.6: 6.8% / 85.6%, a margin of 13 and 5.6 points on the two bars. A quote
# floor of 0.4 gave 1.2% / 82.4% before the outcome gate: 0.3 keeps more margin on the
# answered share.
CORPUS_MIN_RELEVANCE = 0.3
CORPUS_MIN_SIMILARITY = 0.6
CORPUS_QUOTE_MIN_SIMILARITY = 0.3
BACKGROUND_MIN_PROBABILITY = 0.95
"""A corpus sentence the role model reads as background with this probability is no quote;
argmax (about 0.5) also dropped aims that restate the question and left 59.6% of answerable
questions answered."""
# Passages the user gave: no similarity gate, the reader's alone, and low: the passages are
# the study asked about. On PubMedQA with context (validation, one quote of the needed stance
# required; measured before the answer reader) 0.5 left 48 of 500 questions "insufficient" and
# answered 0.450 right, 0.3 left 28 (0.482), 0.1 left 5 (0.516), where the decision model alone
# read 0.573; with the answer reader, 0.1 answers 0.550 (BENCHMARKS.md).
CONTEXT_MIN_RELEVANCE = 0.1
CORPUS_MIN_REPORTED = 0.4
"""In a corpus, when the question names an intervention and an outcome: a document gives
quotes only when the outcome reader (a direction reader trained on other outcomes' quotes)
reads one of them as reporting the question's comparison, in its population, with this
probability (see :meth:`EvidenceTeam._other_outcome_documents`). Chosen on the half-indexed
PubMedQA set (benchmarks/evidence_abstention.py, with the document gate then at 0.65): 47
answerable questions name both and are quoted from their own abstract; 0.35–0.42 leaves 40 of
them their abstract (answered 84.0% → 81.2%, false answers unchanged at 1.6%), 0.5 leaves 35
(79.2%). The statin question's two studies (recovery after a stroke; atrial fibrillation
after bypass surgery) read 0.29 and 0.37."""
RESERVE_QUOTES = 12
"""Held-back sentences (passing every gate, below the quotes shown) the synthesizer may read
for the quote a proposed answer needs (see :meth:`EvidenceTeam._needed_quote`)."""


@dataclass
class _Quote:
    sentence: Sentence
    stances: np.ndarray  # (3,) supports / contradicts / neutral
    appraisal: Appraisal

    @property
    def relevance(self) -> float:
        return 1.0 - float(self.stances[2])

    @property
    def stance(self) -> Stance:
        return Stance.SUPPORTS if self.stances[0] >= self.stances[1] else Stance.CONTRADICTS


@dataclass
class _Evidence:
    """What the decision model reads: the best document's sentences, in order."""

    doc_id: str
    sentences: list[str]
    vectors: np.ndarray  # (n, 384)
    question_vector: np.ndarray  # (384,)
    stances: np.ndarray  # (n, 3)
    stored: list[Sentence] = field(default_factory=list)  # the same sentences: ids, offsets
    appraisal: Appraisal | None = None


@dataclass
class _Reading:
    """Everything the reader step produced, for the synthesizer and the trace."""

    quotes: list[_Quote]
    evidence: _Evidence | None
    documents: list[str]
    sentences_read: int
    best_relevance: float  # among sentences that pass the similarity gate
    best_similarity: float
    close_documents: int = 0  # documents with a sentence at the similarity gate
    background: int = 0  # sentences that would have been quotes but are background
    reserve: list[_Quote] = field(default_factory=list)
    """Sentences that pass every quote gate but were not among the most relevant shown, most
    relevant first: where the synthesizer looks for the quote a proposed answer needs."""
    other_outcomes: dict[str, float] = field(default_factory=dict)
    """Documents left out because none of their quotes reports the question's outcome: the
    best probability that one does."""


class EvidenceTeam:
    """Answers questions over one corpus (an index directory, or contexts given inline)."""

    def __init__(
        self,
        store: EvidenceStore,
        retriever: HybridRetriever | None = None,
        *,
        top_documents: int = 3,
        quotes_per_document: int = 4,
        sentences_per_document: int = 40,
        min_relevance: float | None = None,
        min_similarity: float = CORPUS_MIN_SIMILARITY,
        quote_min_similarity: float = CORPUS_QUOTE_MIN_SIMILARITY,
        llm: LLM | None = None,
        decision_model: DecisionModel | Literal["shipped"] | None = "shipped",
        reader: EvidenceReaderModel | Path | str | None = None,
        answer_reader: EvidenceReaderModel | Path | str | None = None,
        roles: RoleModel | Literal["shipped"] | None = "shipped",
        direction_reader: EvidenceReaderModel | Path | str | None = "default",
        outcome_reader: EvidenceReaderModel | Path | str | None = "default",
        min_reported: float = CORPUS_MIN_REPORTED,
        passage_quotes: bool = True,
    ) -> None:
        """
        Args:
            sentences_per_document: the reader reads at most this many sentences of a
                document, the most similar to the question (MiniLM) first.
            min_relevance: a sentence is a quote when the reader's probability that it
                addresses the question (1 − p_neutral) reaches this (default: 0.3 in a
                corpus, where the similarity gate also applies; 0.1 for inline contexts).
            min_similarity: in a corpus (not for contexts given inline) a document gives
                quotes only when one of its sentences has this MiniLM cosine similarity to
                the question. The reader alone takes results about neighbouring questions for
                evidence (85% false answers when a question's own abstract was absent,
                BENCHMARKS.md); the similarity gate is what separates them.
            quote_min_similarity: in a corpus, each quote's own similarity floor.
            reader: evidence reader directory (default: the shipped reader).
            answer_reader: answer reader directory (default: the shipped one); it reads the
                best study's results against the question for the decision model.
            roles: sentence-role model (:mod:`biomedfm.evidence.roles`); in a corpus, a
                sentence it reads as background (prior work, the study's aims) is never a
                quote, however well it matches the question. Passages given inline are the
                study asked about and get no role check (it cost PubMedQA with context 0.550
                → 0.536). None: no role check.
            direction_reader: the trial-finding direction reader ("shipped", a directory or a
                model); when the question names an intervention, an outcome and what it
                claims of it, it reads which way each quote points (see
                :meth:`_read_directions`). None: the evidence and answer readers alone.
                "default": the shipped one for passages given with the question, none in a
                corpus. It takes every sentence for a finding on the question's comparison:
                true of the study a user gives (PubMedQA with context 0.550 → 0.562), not of
                a retrieved neighbour on another outcome, which it reads as a confident
                finding (in a corpus it turned the statin question's `maybe` into a `no`
                resting on results about recovery after a stroke, for one more point of
                answers right on the half-indexed set; BENCHMARKS.md).
            outcome_reader: in a corpus, a direction reader whose ``not_reported`` class was
                trained on other outcomes' quotes of the same comparison ("shipped", a
                directory or a model). When the question names an intervention and an
                outcome, a document none of whose quotes it reads as reporting them (with
                ``min_reported``) gives no quotes: a study of the same exposure and another
                outcome is not evidence on this one. "default": the shipped outcome reader
                in a corpus, none for passages the user gives (they are the study asked
                about). None: no such check.
            passage_quotes: when the decision model proposes yes or no and no sentence
                carries it, quote the best study's results passage if the answer reader
                reads it that way (see :func:`_passage_citation`), before answering maybe.
        """
        self.passage_quotes = passage_quotes
        self.llm = llm
        self.decision_model = (
            shipped_decision_model() if decision_model == "shipped" else decision_model
        )
        self.reader = load_reader(reader)
        self.answer_reader = load_reader(answer_reader, role="answer")
        self.roles = shipped_role_model() if roles == "shipped" else roles
        if direction_reader == "default":
            direction_reader = "shipped" if retriever is None else None
        self.direction_reader = (
            None
            if direction_reader is None
            else load_reader(
                None if direction_reader == "shipped" else direction_reader, "direction"
            )
        )
        if outcome_reader == "default":
            outcome_reader = "shipped" if retriever is not None else None
        self.outcome_reader = (
            None
            if outcome_reader is None
            else load_reader(None if outcome_reader == "shipped" else outcome_reader, "outcome")
        )
        self.min_reported = min_reported
        self.store = store
        self.retriever = retriever
        self.top_documents = top_documents
        self.quotes_per_document = quotes_per_document
        self.sentences_per_document = sentences_per_document
        if min_relevance is None:
            min_relevance = CORPUS_MIN_RELEVANCE if retriever is not None else CONTEXT_MIN_RELEVANCE
        self.min_relevance = min_relevance
        self.min_similarity = min_similarity if retriever is not None else -1.0
        self.quote_min_similarity = quote_min_similarity if retriever is not None else -1.0

    @classmethod
    def from_index(
        cls,
        index_dir: Path,
        llm: LLM | None = None,
        decision_model: DecisionModel | Literal["shipped"] | None = "shipped",
        reader: EvidenceReaderModel | Path | str | None = None,
        answer_reader: EvidenceReaderModel | Path | str | None = None,
    ) -> EvidenceTeam:
        return cls(
            EvidenceStore(index_dir / "corpus.sqlite"),
            HybridRetriever.load(index_dir),
            llm=llm,
            decision_model=decision_model,
            reader=reader,
            answer_reader=answer_reader,
        )

    @classmethod
    def from_contexts(
        cls,
        contexts: list[str],
        doc_id: str = "context",
        llm: LLM | None = None,
        decision_model: DecisionModel | Literal["shipped"] | None = "shipped",
        reader: EvidenceReaderModel | Path | str | None = None,
        min_relevance: float = CONTEXT_MIN_RELEVANCE,
        answer_reader: EvidenceReaderModel | Path | str | None = None,
        direction_reader: EvidenceReaderModel | Path | str | None = "default",
        passage_quotes: bool = True,
    ) -> EvidenceTeam:
        """A one-document corpus made of the given context passages (PubMedQA setting a)."""
        store = EvidenceStore.in_memory()
        store.add([Document(doc_id, " ".join(c.strip() for c in contexts))])
        return cls(
            store,
            retriever=None,
            top_documents=1,
            llm=llm,
            decision_model=decision_model,
            reader=reader,
            min_relevance=min_relevance,
            answer_reader=answer_reader,
            direction_reader=direction_reader,
            passage_quotes=passage_quotes,
        )

    def answer(
        self,
        question: str,
        question_id: str = "",
        molecules: list[tuple[str, str]] | None = None,
        affinity_model: str = "davis",
    ) -> tuple[EvidenceChain, Trace]:
        """The verified chain for ``question`` and the trace of how it was made.

        Args:
            molecules: (SMILES, target sequence) pairs; each adds an affinity prediction as a
                level-5, non-experimental claim. It never changes the decision, which rests on
                the literature alone.
            affinity_model: shipped name or directory of the affinity model to call.
        """
        trace = Trace()
        with trace.step("planner") as notes:
            the_plan = plan(question)
            notes.append(f"{len(the_plan.sub_questions)} sub-question(s)")
            notes.append(f"PICO {the_plan.pico.model_dump(exclude_none=True)}")
        with trace.step("retriever") as notes:
            doc_ids, sentences = self._retrieve(the_plan)
            notes.append(f"query {the_plan.query!r}: {len(doc_ids)} document(s) {doc_ids}")
        with trace.step("reader") as notes:
            reading = self._read(the_plan, doc_ids, sentences)
            notes.append(
                f"claim {proposition(the_plan.sub_questions[0])!r}: read "
                f"{reading.sentences_read} sentence(s), {len(reading.quotes)} address it "
                f"(best relevance {reading.best_relevance:.2f}, best similarity "
                f"{reading.best_similarity:.2f}); {reading.background} more left out as "
                "background (prior work or the study's aims, not its finding)"
            )
            notes.extend(
                f"{q.sentence.id}: supports {q.stances[0]:.2f} / contradicts "
                f"{q.stances[1]:.2f} / neutral {q.stances[2]:.2f}"
                for q in reading.quotes
            )
            if reading.other_outcomes:
                notes.append(_other_outcomes_note(reading.other_outcomes, self.min_reported)[2:])
        with trace.step("appraiser") as notes:
            notes.extend(
                sorted(
                    {
                        f"{q.sentence.doc_id}: {q.appraisal.design.value}, level "
                        f"{q.appraisal.evidence_level}"
                        for q in reading.quotes
                    }
                )
            )
        with trace.step("synthesizer") as notes:
            chain = self._synthesize(the_plan, reading, question_id, notes)
            notes.append(f"decision {chain.decision.value}")
        if self.llm is not None and chain.claims:
            with trace.step(f"synthesizer (LLM {self.llm.name})") as notes:
                decided = llm_decide(self.llm, the_plan.question, chain.claims[0].citations)
                if decided is None:
                    chain = chain.model_copy(
                        update={
                            "notes": [
                                *chain.notes,
                                "LLM reply was not usable; extractive decision kept",
                            ]
                        }
                    )
                    notes.append("reply not usable")
                else:
                    decision, why = consistent_decision(
                        decided[0], chain.claims[0].citations, weigh=self.retriever is not None
                    )
                    chain = chain.model_copy(
                        update={
                            "decision": decision,
                            "summary": decided[1] or chain.summary,
                            "notes": [*chain.notes, *why],
                        }
                    )
                    notes.append(f"decision {decision.value}")
        with trace.step("verifier") as notes:
            chain = verify_chain(chain, self.store)
            notes.append(f"{len(chain.notes)} note(s); decision {chain.decision.value}")
        if molecules:
            with trace.step("affinity model") as notes:
                claims = [affinity_claim(s, q, affinity_model) for s, q in molecules]
                chain = chain.model_copy(update={"claims": [*chain.claims, *claims]})
                notes.append(f"{len(claims)} computational prediction(s) by {affinity_model}")
        return chain, trace

    def _retrieve(self, the_plan: Plan) -> tuple[list[str], list[Sentence]]:
        if self.retriever is not None:
            doc_ids = [h.id for h in self.retriever.search(the_plan.query, self.top_documents)]
        else:
            doc_ids = [d.id for d in self.store.documents()][: self.top_documents]
        return doc_ids, [s for doc_id in doc_ids for s in self.store.sentences(doc_id)]

    def _read(self, the_plan: Plan, doc_ids: list[str], sentences: list[Sentence]) -> _Reading:
        """The reader's stance on the candidate sentences; the relevant ones become quotes."""
        if not sentences:
            return _Reading([], None, doc_ids, 0, 0.0, 0.0)
        vectors = embed([the_plan.query] + [s.text for s in sentences])
        similarity = vectors[1:] @ vectors[0]
        rows: dict[str, list[int]] = {}
        for i, s in enumerate(sentences):
            rows.setdefault(s.doc_id, []).append(i)
        chosen: list[int] = []
        for doc_rows in rows.values():
            ranked = sorted(doc_rows, key=lambda i: -float(similarity[i]))
            chosen += sorted(ranked[: self.sentences_per_document])
        claim = proposition(the_plan.sub_questions[0])
        stances = np.zeros((len(sentences), 3), dtype=np.float32)
        stances[:, 2] = 1.0
        stances[chosen] = self.reader.probabilities(
            [claim] * len(chosen), [sentences[i].text for i in chosen], "stance"
        )
        appraisals: dict[str, Appraisal] = {}
        for doc_id in rows:
            document = self.store.document(doc_id)
            if document is not None:
                appraisals[doc_id] = appraise(
                    f"{document.title} {document.abstract}", document.publication_types
                )
        background = np.zeros(len(sentences), dtype=bool)
        if self.roles is not None and self.retriever is not None:
            positions = np.zeros(len(sentences))
            for doc_rows in rows.values():
                in_order = sorted(doc_rows, key=lambda i: sentences[i].position)
                positions[in_order] = relative_positions(len(in_order))
            background = self.roles.is_background(
                vectors[1:], positions, BACKGROUND_MIN_PROBABILITY
            )
        eligible = np.zeros(len(sentences), dtype=bool)
        for doc_rows in rows.values():
            if max(float(similarity[i]) for i in doc_rows) >= self.min_similarity:
                eligible[doc_rows] = True
        quotes: list[_Quote] = []
        reserve: list[_Quote] = []
        skipped = 0
        for doc_id, doc_rows in rows.items():
            relevant = [
                i
                for i in doc_rows
                if eligible[i]
                and 1.0 - stances[i, 2] >= self.min_relevance
                and similarity[i] >= self.quote_min_similarity
            ]
            skipped += sum(bool(background[i]) for i in relevant)
            relevant = sorted(
                (i for i in relevant if not background[i]), key=lambda i: stances[i, 2]
            )
            shown = relevant[: self.quotes_per_document]
            quotes += [
                _Quote(sentences[i], stances[i].copy(), appraisals[doc_id])
                for i in sorted(shown, key=lambda i: sentences[i].position)
            ]
            reserve += [
                _Quote(sentences[i], stances[i].copy(), appraisals[doc_id])
                for i in relevant[self.quotes_per_document :]
            ]
        other_outcomes = self._other_outcome_documents(the_plan.pico, quotes)
        quotes = [q for q in quotes if q.sentence.doc_id not in other_outcomes]
        reserve = [q for q in reserve if q.sentence.doc_id not in other_outcomes]
        self._read_directions(claim, quotes, the_plan.pico)
        reserve = sorted(reserve, key=lambda q: q.stances[2])[:RESERVE_QUOTES]
        evidence = None
        if quotes:
            best = sorted(rows[quotes[0].sentence.doc_id], key=lambda i: sentences[i].position)
            evidence = _Evidence(
                quotes[0].sentence.doc_id,
                [sentences[i].text for i in best],
                vectors[1:][best],
                vectors[0],
                stances[best],
                [sentences[i] for i in best],
                quotes[0].appraisal,
            )
        gate = eligible[chosen] & (similarity[chosen] >= self.quote_min_similarity)
        return _Reading(
            quotes,
            evidence,
            doc_ids,
            len(chosen),
            float((1.0 - stances[chosen, 2])[gate].max()) if gate.any() else 0.0,
            float(similarity[chosen].max()) if chosen else 0.0,
            sum(bool(eligible[doc_rows[0]]) for doc_rows in rows.values()),
            skipped,
            reserve,
            other_outcomes,
        )

    def _other_outcome_documents(self, pico: PICO, quotes: list[_Quote]) -> dict[str, float]:
        """Documents none of whose quotes reports the question's comparison, with the best
        probability that one does (by the outcome reader, ``1 − p(not_reported)``).

        The evidence reader reads a result on another outcome of the same exposure as
        addressing the claim (82.8% of such pairs on the Evidence Inference validation
        trials), and its relevance cannot tell a study's own finding from a neighbour's. The
        outcome reader asks the narrower question for the comparison the question names
        (without a comparator: against no intervention), with the outcome in the question's
        population ("the risk of stroke in elderly patients"): a study of statins in people
        who had a stroke reports on them, not on their risk of one.
        """
        if self.outcome_reader is None or not quotes or not (pico.intervention and pico.outcome):
            return {}
        query = _comparison_query(pico, with_population=True)
        unreported = self.outcome_reader.probabilities(
            [query] * len(quotes), [q.sentence.text for q in quotes], "effect"
        )[:, 3]
        best: dict[str, float] = {}
        for quote, p_unreported in zip(quotes, unreported.tolist(), strict=True):
            doc_id = quote.sentence.doc_id
            best[doc_id] = max(best.get(doc_id, 0.0), 1.0 - p_unreported)
        return {doc_id: p for doc_id, p in best.items() if p < self.min_reported}

    def _needed_quote(
        self, claim: str, pico: PICO, reading: _Reading, needed: Stance
    ) -> _Quote | None:
        """The most relevant held-back sentence that points the way a proposed answer needs.

        Only the most relevant sentences of a document are shown; when none of them carries
        the proposed answer, the one that does may sit just below them (the decision model
        reads the whole study). Its direction is read as every quote's is; None when no
        held-back sentence points that way, and the answer becomes ``maybe``.
        """
        if not reading.reserve:
            return None
        self._read_directions(claim, reading.reserve, pico)
        return next((q for q in reading.reserve if q.stance == needed), None)

    def _direction_shares(self, pico: PICO, quotes: list[_Quote]) -> np.ndarray | None:
        """Each quote's probability of pointing the way the question claims, by the direction
        reader; None when there is none or the question does not name an intervention, an
        outcome and what it claims of it.

        The direction reader reads a finding for one comparison (intervention versus
        comparator: outcome) as increased / decreased / no difference; the question's verb
        says which of those it claims (:data:`planner._CLAIMED_EFFECT`; "any": either sign).
        Without a comparator in the question, the comparison is with no intervention.
        """
        if self.direction_reader is None or not (pico.intervention and pico.outcome):
            return None
        if pico.effect is None:  # the verb was not found: nothing claimed to read against
            return None
        query = _comparison_query(pico)
        found = self.direction_reader.probabilities(
            [query] * len(quotes), [q.sentence.text for q in quotes], "effect"
        )[:, :3]
        found = found / np.maximum(found.sum(axis=1, keepdims=True), 1e-9)
        increased, decreased, _ = found.T
        if pico.effect == "increased":
            return np.asarray(increased)
        if pico.effect == "decreased":
            return np.asarray(decreased)
        return np.asarray(increased + decreased)

    def _read_directions(self, claim: str, quotes: list[_Quote], pico: PICO) -> None:
        """Each quote's direction: the direction reader's where the question says what it
        claims and the team has one (:meth:`_direction_shares`; PubMedQA with context 0.562 /
        0.424 against 0.564 / 0.414 averaged with the answer reader, which reads "increased
        mortality" as support for "reduces mortality"), otherwise the mean of the evidence
        reader's and the answer reader's.

        The evidence reader tells well whether a sentence addresses the question, less well
        which way it points; the answer reader, trained on PubMedQA's own questions, reads
        the way better. On PubMedQA with context (validation, cross-fitted readers) quotes
        directed by the mean made the one-quote rule cost less: 0.550 accuracy end to end,
        against 0.516 with the evidence reader's direction alone (BENCHMARKS.md). Relevance
        (1 − p_neutral) stays the evidence reader's; only its split between supports and
        contradicts changes, so the probabilities shown still add up to one.
        """
        if not quotes:
            return
        shares = self._direction_shares(pico, quotes)
        if shares is None:  # only then is the answer reader's reading used
            answer = answer_probabilities(
                self.answer_reader, [claim] * len(quotes), [q.sentence.text for q in quotes]
            )
            mean_shares = []
            for quote, (p_yes, p_no, _) in zip(quotes, answer, strict=True):
                supports, contradicts = float(quote.stances[0]), float(quote.stances[1])
                evidence_share = supports / max(supports + contradicts, 1e-9)
                answer_share = float(p_yes) / max(float(p_yes + p_no), 1e-9)
                mean_shares.append(0.5 * (evidence_share + answer_share))
            shares = np.asarray(mean_shares)
        for quote, share in zip(quotes, shares.tolist(), strict=True):
            neutral = float(quote.stances[2])
            quote.stances = np.array(
                [(1.0 - neutral) * share, (1.0 - neutral) * (1.0 - share), neutral],
                dtype=np.float32,
            )

    def _searched_note(self, query: str, reading: _Reading) -> str:
        """What was searched and which gate stopped every sentence, in that order: no document
        close enough to quote, no sentence that addresses the question, only background, or
        only other outcomes."""
        searched = (
            f"searched {len(reading.documents)} document(s) for {query!r} and read "
            f"{reading.sentences_read} sentence(s)"
        )
        if reading.sentences_read and not reading.close_documents:
            return (
                f"{searched}; none is close enough to the question to quote: the closest "
                f"sentence has similarity {reading.best_similarity:.2f}, and a document is "
                f"quoted only when one of its sentences reaches {self.min_similarity}"
            )
        if reading.sentences_read:
            searched += (
                f"; the best of the {reading.close_documents} document(s) close enough to quote"
                f" addresses the question with probability {reading.best_relevance:.2f} (a "
                f"quote needs {self.min_relevance})"
            )
        if reading.background:
            searched += (
                f"; {reading.background} sentence(s) that passed are background (prior work or"
                " the study's aims), not findings"
            )
        return searched + _other_outcomes_note(reading.other_outcomes, self.min_reported)

    def _synthesize(
        self, the_plan: Plan, reading: _Reading, question_id: str, notes: list[str]
    ) -> EvidenceChain:
        chain = EvidenceChain(
            id=question_id, question=the_plan.question, decision=Decision.INSUFFICIENT
        )
        if not reading.quotes:
            searched = self._searched_note(the_plan.query, reading)
            return chain.model_copy(
                update={
                    "summary": _insufficient_summary(reading.other_outcomes),
                    "notes": [searched],
                }
            )
        citations = [_citation(q) for q in reading.quotes]
        answer: np.ndarray | None = None
        if self.decision_model is not None and reading.evidence is not None:
            evidence = reading.evidence
            answer = answer_probabilities(
                self.answer_reader,
                [proposition(the_plan.sub_questions[0])],
                [answer_passage(evidence.sentences)],
            )[0]
            notes.append(
                f"answer reader on {evidence.doc_id}'s last passage: yes {answer[0]:.2f} / "
                f"no {answer[1]:.2f} / maybe {answer[2]:.2f}"
            )
            label, probability = self.decision_model.decide(
                decision_features(
                    the_plan.question,
                    evidence.sentences,
                    evidence.vectors,
                    evidence.question_vector,
                    evidence.stances,
                    answer,
                )
            )
            proposed = Decision(label)
            how = (
                f"decision model p={probability:.2f}; the answer reader read the study's results "
                f"as yes {answer[0]:.2f} / no {answer[1]:.2f} / maybe {answer[2]:.2f}"
            )
        else:
            support, against = stance_balance(citations)
            share = support / max(support + against, 1e-9)
            proposed = (
                Decision.YES if share >= 0.65 else Decision.NO if share <= 0.35 else Decision.MAYBE
            )
            how = f"stance balance {share:.2f} towards support"
        needed = NEEDED_STANCE.get(proposed)
        shown: list[str] = []  # why a quote was added, for the chain's own notes
        if needed is not None and not any(c.stance == needed for c in citations if c.experimental):
            claim = proposition(the_plan.sub_questions[0])
            extra = self._needed_quote(claim, the_plan.pico, reading, needed)
            if extra is not None:
                citations.append(_citation(extra))
                notes.append(
                    f"no quote shown {needed.value} the proposed {proposed.value!r}; added "
                    f"{extra.sentence.id} (relevance {extra.relevance:.2f}), the most relevant "
                    "held-back sentence that does"
                )
            elif self.passage_quotes and answer is not None and reading.evidence is not None:
                document = self.store.document(reading.evidence.doc_id)
                abstract = document.abstract if document is not None else ""
                passage = _passage_citation(reading.evidence, abstract, answer, needed)
                if passage is not None:
                    citations.append(passage)
                    shown.append(
                        f"no sentence {needed.value} the proposed {proposed.value!r}; quoted "
                        f"{reading.evidence.doc_id}'s results passage, which the answer reader "
                        f"reads that way (yes {answer[0]:.2f} / no {answer[1]:.2f})"
                    )
                    notes.append(shown[-1])
        decision, why = consistent_decision(proposed, citations, weigh=self.retriever is not None)
        why = [*shown, *why]
        support, against = stance_balance(citations)
        supporting = sum(c.stance == Stance.SUPPORTS for c in citations)
        summary = (
            f"{decision.value}: {supporting} quote(s) support and "
            f"{len(citations) - supporting} contradict the claim, from "
            f"{len({c.doc_id for c in citations})} source(s); best evidence level "
            f"{min(c.evidence_level for c in citations)}; evidence-level-weighted stance "
            f"{support:.2f} for / {against:.2f} against ({how})."
        )
        return chain.model_copy(
            update={
                "decision": decision,
                "summary": summary,
                "notes": why,
                "claims": [Claim(text=proposition(the_plan.sub_questions[0]), citations=citations)],
            }
        )


def _comparison_query(pico: PICO, *, with_population: bool = False) -> str:
    """The effect query for the comparison a question names (without a comparator: against
    no intervention); the outcome gate also names the population ("... in elderly patients")."""
    assert pico.intervention, "callers check the question names an intervention"
    assert pico.outcome, "and an outcome"
    outcome = pico.outcome
    if with_population and pico.population:
        outcome = f"{outcome} in {pico.population}"
    return effect_query(pico.intervention, pico.comparison or f"no {pico.intervention}", outcome)


def _insufficient_summary(other_outcomes: dict[str, float]) -> str:
    """Why nothing was quoted: nothing addressed the question, or only other outcomes did."""
    if other_outcomes:
        studies = "the study" if len(other_outcomes) == 1 else f"the {len(other_outcomes)} studies"
        return (
            f"Insufficient evidence: {studies} found on this intervention report other "
            "outcomes, not the question's."
        )
    return "Insufficient evidence: no sentence in the corpus addresses the question."


def _other_outcomes_note(documents: dict[str, float], min_reported: float) -> str:
    """'; left out ...' for the documents whose quotes report another outcome ('' if none)."""
    if not documents:
        return ""
    each = ", ".join(f"{doc_id} ({p:.2f})" for doc_id, p in documents.items())
    return (
        f"; left out {len(documents)} document(s) whose quotes report other outcomes, not "
        f"the question's (best probability of reporting it, {min_reported} needed): {each}"
    )


def _passage_citation(
    evidence: _Evidence, abstract: str, answer: np.ndarray, needed: Stance
) -> Citation | None:
    """The study's results passage (its last sentences, which the answer reader read, quoted
    from the abstract as one verbatim span) when the answer reader reads it the way
    ``needed`` points.

    A sentence-level reader sees one sentence at a time; the answer reader reads the passage
    against the question, and its reading is a stance on that passage as a sentence's is.
    None when it does not point the needed way (then the answer is maybe).
    """
    p_yes, p_no, p_maybe = (float(x) for x in answer)
    points = p_yes > p_no if needed == Stance.SUPPORTS else p_no > p_yes
    if not points or evidence.appraisal is None or not evidence.stored:
        return None
    read = evidence.stored[passage_start(evidence.sentences) :]
    quote = abstract[read[0].start : read[-1].end].strip()
    if not quote:
        return None
    return Citation(
        doc_id=evidence.doc_id,
        sentence_ids=[s.id for s in read],
        quote=quote,
        stance=needed,
        study_design=evidence.appraisal.design.value,
        evidence_level=evidence.appraisal.evidence_level,
        sample_size=evidence.appraisal.sample_size,
        p_supports=round(p_yes, 4),
        p_contradicts=round(p_no, 4),
        p_neutral=round(p_maybe, 4),
    )


def _citation(q: _Quote) -> Citation:
    return Citation(
        doc_id=q.sentence.doc_id,
        sentence_ids=[q.sentence.id],
        quote=q.sentence.text,
        stance=q.stance,
        study_design=q.appraisal.design.value,
        evidence_level=q.appraisal.evidence_level,
        sample_size=q.appraisal.sample_size,
        p_supports=round(float(q.stances[0]), 4),
        p_contradicts=round(float(q.stances[1]), 4),
        p_neutral=round(float(q.stances[2]), 4),
    )


NEEDED_STANCE = {Decision.YES: Stance.SUPPORTS, Decision.NO: Stance.CONTRADICTS}
"""The stance a quote must have for the chain to carry each answer."""


def stance_balance(citations: list[Citation]) -> tuple[float, float]:
    """Evidence-level- and relevance-weighted stance of the experimental quotes: (for, against).

    Each quote weighs (6 − evidence level) × relevance (1 − p_neutral) and adds its
    p_supports to one side and p_contradicts to the other; a quote without the reader's
    probabilities (an LLM-era chain) counts fully for its stance.
    """
    support = against = 0.0
    for c in citations:
        if not c.experimental:
            continue
        if c.p_supports is None or c.p_contradicts is None:
            weight = float(6 - c.evidence_level)
            support += weight * (c.stance == Stance.SUPPORTS)
            against += weight * (c.stance == Stance.CONTRADICTS)
            continue
        weight = (6 - c.evidence_level) * (1.0 - (c.p_neutral or 0.0))
        support += weight * c.p_supports
        against += weight * c.p_contradicts
    return support, against


def consistent_decision(
    proposed: Decision, citations: list[Citation], weigh: bool = True
) -> tuple[Decision, list[str]]:
    """``proposed``, unless the quotes shown cannot carry it; then ``maybe``, and why.

    A ``yes`` must show at least one supporting quote, a ``no`` at least one contradicting
    quote. With ``weigh`` (answers from a corpus: several studies) the evidence-level- and
    relevance-weighted stance of all quotes must also be on its side (:func:`stance_balance`):
    an answer across studies follows their balance. Passages given with a question are one
    study, read by the decision model as a whole; there the stance of single sentences is
    too weak a signal to overrule it (weighing turned 0.482 accuracy into 0.418 on PubMedQA,
    BENCHMARKS.md), so one quote of the needed stance suffices.
    """
    needed = NEEDED_STANCE.get(proposed)
    if needed is None:
        return proposed, []
    if not any(c.stance == needed for c in citations if c.experimental):
        return Decision.MAYBE, [
            f"'{proposed.value}' was proposed but no quote {needed.value} the claim; answered maybe"
        ]
    support, against = stance_balance(citations)
    agrees = support > against if proposed == Decision.YES else against > support
    if agrees or not weigh:
        return proposed, []
    return Decision.MAYBE, [
        f"'{proposed.value}' was proposed but the quotes weigh {support:.2f} for and "
        f"{against:.2f} against the claim; answered maybe"
    ]
