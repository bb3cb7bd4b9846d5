"""The agent team that turns a question into a verified chain of evidence, without an LLM.

planner → retriever (hybrid search, then the most relevant sentences of the best documents)
→ appraiser (design and evidence level per source) → synthesizer (extractive: the question's
proposition becomes the claim; quotes whose wording reports an effect support it, quotes that
report no effect contradict it; the decision comes from the trained decision model over the best
source's sentences — :mod:`biomedfm.evidence.decision` — or, without it, from the quotes'
evidence-level-weighted balance)
→ verifier (quotes must be verbatim; unsupported claims go; nothing left → ``insufficient``).

With an LLM configured, the LLM reads the verified quotes and gives the decision and summary
instead (it cannot add quotes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from biomedfm.evidence.agents.llm_synthesis import llm_decide
from biomedfm.evidence.agents.planner import Plan, plan
from biomedfm.evidence.agents.trace import Trace
from biomedfm.evidence.appraisal import Appraisal, appraise
from biomedfm.evidence.bio import affinity_claim
from biomedfm.evidence.chain import Citation, Claim, Decision, EvidenceChain, Stance
from biomedfm.evidence.decision import DecisionModel, decision_features, shipped_decision_model
from biomedfm.evidence.ingest import Document
from biomedfm.evidence.llm.base import LLM
from biomedfm.evidence.retrieval.dense import embed
from biomedfm.evidence.retrieval.hybrid import HybridRetriever
from biomedfm.evidence.store import EvidenceStore, Sentence
from biomedfm.evidence.verify import verify_chain

_NO_EFFECT = re.compile(
    r"\bno (?:statistically )?significant|\bnot (?:statistically )?significant|\bdid not\b|"
    r"\bdoes not\b|\bdo not\b|\bno (?:significant )?difference|\bnot associated|"
    r"\bno (?:significant )?association|\bno evidence|\bfailed to\b|\bwas not\b|\bwere not\b|"
    r"\bno (?:significant )?(?:effect|correlation|benefit|improvement)|\bunrelated\b|"
    r"\bcomparable\b|\bsimilar\b",
    re.IGNORECASE,
)
_EFFECT = re.compile(
    r"\bsignificant(?:ly)?\b|\bassociated with\b|\bimproved\b|\beffective\b|\bpredict(?:ed|s|or)"
    r"\b|\breduced\b|\bincreased\b|\bdecreased\b|\bhigher\b|\blower\b|\bcorrelated\b|"
    r"\bbenefit(?:ed|s)?\b|\bbetter\b|\bworse\b|\brisk factor\b",
    re.IGNORECASE,
)
_AUXILIARY = re.compile(
    r"^(?:does|do|did|is|are|was|were|can|could|should|will|would|has|have|may)\s+",
    re.IGNORECASE,
)


def polarity(sentence: str) -> int:
    """+1 when a sentence reports an effect/association, −1 when it reports none, else 0."""
    if _NO_EFFECT.search(sentence):
        return -1
    return 1 if _EFFECT.search(sentence) else 0


def proposition(question: str) -> str:
    """The yes/no question as the statement it tests ("Does X reduce Y?" → "X reduce Y")."""
    statement = _AUXILIARY.sub("", question.strip()).rstrip(" ?")
    return statement[:1].upper() + statement[1:]


@dataclass
class _Quote:
    sentence: Sentence
    relevance: float
    polarity: int
    appraisal: Appraisal


@dataclass
class _Evidence:
    """What the decision model reads: the best document's sentences, in order, embedded."""

    sentences: list[str]
    vectors: np.ndarray  # (n, 384)
    question_vector: np.ndarray  # (384,)


class EvidenceTeam:
    """Answers questions over one corpus (an index directory, or contexts given inline)."""

    def __init__(
        self,
        store: EvidenceStore,
        retriever: HybridRetriever | None = None,
        *,
        top_documents: int = 3,
        quotes_per_document: int = 3,
        min_relevance: float = 0.3,
        llm: LLM | None = None,
        decision_model: DecisionModel | Literal["shipped"] | None = "shipped",
    ) -> None:
        self.llm = llm
        self.decision_model = (
            shipped_decision_model() if decision_model == "shipped" else decision_model
        )
        self.store = store
        self.retriever = retriever
        self.top_documents = top_documents
        self.quotes_per_document = quotes_per_document
        self.min_relevance = min_relevance

    @classmethod
    def from_index(
        cls,
        index_dir: Path,
        llm: LLM | None = None,
        decision_model: DecisionModel | Literal["shipped"] | None = "shipped",
    ) -> EvidenceTeam:
        return cls(
            EvidenceStore(index_dir / "corpus.sqlite"),
            HybridRetriever.load(index_dir),
            llm=llm,
            decision_model=decision_model,
        )

    @classmethod
    def from_contexts(
        cls,
        contexts: list[str],
        doc_id: str = "context",
        llm: LLM | None = None,
        decision_model: DecisionModel | Literal["shipped"] | None = "shipped",
    ) -> EvidenceTeam:
        """A one-document corpus made of the given context passages (PubMedQA setting a)."""
        store = EvidenceStore.in_memory()
        store.add([Document(doc_id, " ".join(c.strip() for c in contexts))])
        return cls(store, retriever=None, top_documents=1, llm=llm, decision_model=decision_model)

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
            quotes, evidence = self._retrieve(the_plan)
            notes.append(
                f"{len(quotes)} relevant sentence(s) from "
                f"{len({q.sentence.doc_id for q in quotes})} document(s)"
            )
        with trace.step("appraiser") as notes:
            notes.extend(
                sorted(
                    {
                        f"{q.sentence.doc_id}: {q.appraisal.design.value}, level "
                        f"{q.appraisal.evidence_level}"
                        for q in quotes
                    }
                )
            )
        with trace.step("synthesizer") as notes:
            chain = self._synthesize(the_plan, quotes, question_id, evidence)
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
                    chain = chain.model_copy(
                        update={"decision": decided[0], "summary": decided[1] or chain.summary}
                    )
                    notes.append(f"decision {decided[0].value}")
        with trace.step("verifier") as notes:
            chain = verify_chain(chain, self.store)
            notes.append(f"{len(chain.notes)} removal(s); decision {chain.decision.value}")
        if molecules:
            with trace.step("affinity model") as notes:
                claims = [affinity_claim(s, q, affinity_model) for s, q in molecules]
                chain = chain.model_copy(update={"claims": [*chain.claims, *claims]})
                notes.append(f"{len(claims)} computational prediction(s) by {affinity_model}")
        return chain, trace

    def _retrieve(self, the_plan: Plan) -> tuple[list[_Quote], _Evidence | None]:
        if self.retriever is not None:
            doc_ids = [h.id for h in self.retriever.search(the_plan.query, self.top_documents)]
        else:
            doc_ids = [d.id for d in self.store.documents()][: self.top_documents]
        sentences = [s for doc_id in doc_ids for s in self.store.sentences(doc_id)]
        if not sentences:
            return [], None
        vectors = embed([the_plan.query] + [s.text for s in sentences])
        relevance = vectors[1:] @ vectors[0]
        appraisals = {}
        for doc_id in doc_ids:
            document = self.store.document(doc_id)
            if document is not None:
                appraisals[doc_id] = appraise(
                    f"{document.title} {document.abstract}", document.publication_types
                )
        quotes: list[_Quote] = []
        for doc_id in doc_ids:
            rows = [i for i, s in enumerate(sentences) if s.doc_id == doc_id]
            if not rows or float(relevance[rows].max()) < self.min_relevance:
                continue
            # the most relevant sentences, plus the document's effect statements (the results)
            ranked = sorted(rows, key=lambda i: -float(relevance[i]))
            chosen = (
                ranked[: self.quotes_per_document]
                + [i for i in ranked[self.quotes_per_document :] if polarity(sentences[i].text)][:2]
            )
            quotes.extend(
                _Quote(
                    sentences[i],
                    float(relevance[i]),
                    polarity(sentences[i].text),
                    appraisals[doc_id],
                )
                for i in sorted(chosen, key=lambda i: sentences[i].position)
            )
        if not quotes:
            return [], None
        best = [i for i, s in enumerate(sentences) if s.doc_id == quotes[0].sentence.doc_id]
        best.sort(key=lambda i: sentences[i].position)
        evidence = _Evidence([sentences[i].text for i in best], vectors[1:][best], vectors[0])
        return quotes, evidence

    def _synthesize(
        self,
        the_plan: Plan,
        quotes: list[_Quote],
        question_id: str,
        evidence: _Evidence | None = None,
    ) -> EvidenceChain:
        chain = EvidenceChain(
            id=question_id, question=the_plan.question, decision=Decision.INSUFFICIENT
        )
        if not quotes:
            return chain.model_copy(
                update={
                    "summary": "No relevant evidence was found in the corpus.",
                    "notes": [f"no sentence reached relevance {self.min_relevance}"],
                }
            )
        weights = np.array([6 - q.appraisal.evidence_level for q in quotes], dtype=float)
        balance = float(np.sum(weights * np.array([q.polarity for q in quotes])))
        polar = [q for q in quotes if q.polarity]
        how = "quote balance"
        if self.decision_model is not None and evidence is not None:
            label, probability = self.decision_model.decide(
                decision_features(
                    the_plan.question,
                    evidence.sentences,
                    evidence.vectors,
                    evidence.question_vector,
                )
            )
            decision = Decision(label)
            how = f"decision model, p={probability:.2f}"
        elif balance > 0:
            decision = Decision.YES
        elif balance < 0:
            decision = Decision.NO
        else:
            decision = Decision.MAYBE
        cited = polar or quotes[: self.quotes_per_document]
        citations = [
            Citation(
                doc_id=q.sentence.doc_id,
                sentence_ids=[q.sentence.id],
                quote=q.sentence.text,
                stance=Stance.CONTRADICTS if q.polarity < 0 else Stance.SUPPORTS,
                study_design=q.appraisal.design.value,
                evidence_level=q.appraisal.evidence_level,
                sample_size=q.appraisal.sample_size,
            )
            for q in cited
        ]
        claim_text = (
            proposition(the_plan.sub_questions[0])
            if polar
            else "The sources discuss the question without reporting a clear effect"
        )
        supporting = sum(c.stance == Stance.SUPPORTS for c in citations)
        summary = (
            f"{decision.value}: {supporting} quote(s) report an effect and "
            f"{len(citations) - supporting} report none, from "
            f"{len({c.doc_id for c in citations})} source(s); best evidence level "
            f"{min(c.evidence_level for c in citations)} ({how})."
        )
        return chain.model_copy(
            update={
                "decision": decision,
                "summary": summary,
                "claims": [Claim(text=claim_text, citations=citations)],
            }
        )
