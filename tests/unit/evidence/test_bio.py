"""An affinity prediction enters the chain as labelled, level-5, non-experimental evidence."""

from __future__ import annotations

import pytest

from biomedfm.affinity.demo import demo_pairs
from biomedfm.errors import InputError
from biomedfm.evidence.agents.team import EvidenceTeam
from biomedfm.evidence.bio import affinity_claim
from biomedfm.evidence.chain import Decision

ERLOTINIB = demo_pairs().query("drug == 'erlotinib' and protein == 'EGFR'").iloc[0]


def test_affinity_claim_is_labelled() -> None:
    claim = affinity_claim(ERLOTINIB["smiles"], ERLOTINIB["sequence"], "davis-lite")
    (citation,) = claim.citations
    assert citation.doc_id == "model:davis-lite"
    assert citation.experimental is False
    assert citation.evidence_level == 5
    assert citation.study_design == "computational prediction"
    assert "predicted pkd" in citation.quote
    assert "not an experimental measurement" in citation.quote


def test_prediction_joins_but_does_not_decide() -> None:
    team = EvidenceTeam.from_contexts(["Erlotinib significantly inhibited EGFR signalling."])
    chain, trace = team.answer(
        "Does erlotinib inhibit EGFR?",
        molecules=[(ERLOTINIB["smiles"], ERLOTINIB["sequence"])],
        affinity_model="davis-lite",
    )
    assert chain.decision == Decision.YES  # from the literature quote
    assert chain.claims[-1].citations[0].experimental is False
    assert trace.steps[-1].agent == "affinity model"
    assert "computational prediction" in chain.to_markdown()


def test_bad_molecule_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="invalid SMILES"):
        affinity_claim("C1CC(", ERLOTINIB["sequence"], "davis-lite")
