"""The chain models, their renderings and the verifier."""

from __future__ import annotations

import json
from pathlib import Path

from biomedfm.evidence.chain import (
    Citation,
    Claim,
    Decision,
    EvidenceChain,
    Stance,
    write_schema,
)
from biomedfm.evidence.ingest import Document
from biomedfm.evidence.store import EvidenceStore
from biomedfm.evidence.verify import verify_chain

ABSTRACT = "Statins lower LDL cholesterol. Atorvastatin reduced stroke by 20% vs. placebo."


def _store(tmp_path: Path) -> EvidenceStore:
    store = EvidenceStore(tmp_path / "corpus.sqlite")
    store.add([Document("d1", ABSTRACT, title="Statins and stroke")])
    return store


def _chain(*citations: Citation) -> EvidenceChain:
    return EvidenceChain(
        question="Do statins prevent stroke?",
        decision=Decision.YES,
        claims=[Claim(text="Statins reduce stroke.", citations=list(citations))],
    )


def test_verbatim_quote_survives(tmp_path: Path) -> None:
    citation = Citation(
        doc_id="d1", quote="Atorvastatin reduced stroke  by 20%", sentence_ids=["d1:s1"]
    )
    verified = verify_chain(_chain(citation), _store(tmp_path))
    assert verified.decision == Decision.YES
    assert verified.claims[0].citations == [citation]
    assert verified.notes == []


def test_forged_quote_is_dropped_and_the_claim_with_it(tmp_path: Path) -> None:
    forged = Citation(doc_id="d1", quote="Atorvastatin reduced stroke by 50%")
    unknown = Citation(doc_id="nope", quote="Statins lower LDL cholesterol.")
    verified = verify_chain(_chain(forged, unknown), _store(tmp_path))
    assert verified.claims == []
    assert verified.decision == Decision.INSUFFICIENT
    assert any("not found verbatim in d1" in note for note in verified.notes)
    assert any("unknown document 'nope'" in note for note in verified.notes)


def test_contradicting_evidence_is_kept(tmp_path: Path) -> None:
    contra = Citation(
        doc_id="d1", quote="Statins lower LDL cholesterol.", stance=Stance.CONTRADICTS
    )
    verified = verify_chain(_chain(contra), _store(tmp_path))
    assert verified.claims[0].contradicting == [contra]


def test_computational_prediction_is_kept_and_labelled(tmp_path: Path) -> None:
    real = Citation(
        doc_id="d1",
        quote="Statins lower LDL cholesterol.",
        evidence_level=2,
        study_design="randomized controlled trial",
    )
    model = Citation(
        doc_id="model:davis",
        quote="predicted pKd 7.3 ± 0.9",
        evidence_level=5,
        study_design="computational prediction",
        experimental=False,
    )
    verified = verify_chain(_chain(real, model), _store(tmp_path))
    assert len(verified.claims[0].citations) == 2
    markdown = verified.to_markdown()
    assert "computational prediction" in markdown
    assert "“Statins lower LDL cholesterol.” [d1]" in markdown
    assert '<blockquote class="supports">' in verified.to_html()


def test_html_escapes_text() -> None:
    chain = EvidenceChain(question="<script>?", decision=Decision.MAYBE)
    assert "&lt;script&gt;" in chain.to_html()


def test_published_schema_is_current(tmp_path: Path) -> None:
    write_schema(tmp_path / "schema.json")
    published = Path(__file__).parents[3] / "docs" / "evidence-chain.schema.json"
    assert json.loads(published.read_text()) == json.loads((tmp_path / "schema.json").read_text())
