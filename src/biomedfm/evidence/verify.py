"""The verifier: every quote must occur verbatim in its source, or its citation is dropped.

Claims left without any verified citation are removed (a claim whose quotes all contradict it
stays: contradicting evidence is shown, never hidden); a chain left without claims becomes
``insufficient``. Every removal is recorded in ``notes`` so the reader sees what was rejected.
"""

from __future__ import annotations

import re

from biomedfm.evidence.chain import Decision, EvidenceChain
from biomedfm.evidence.store import EvidenceStore


def _normalise(text: str) -> str:
    """Collapse white space only: a quote must match the source word for word."""
    return re.sub(r"\s+", " ", text).strip()


def verify_chain(chain: EvidenceChain, store: EvidenceStore) -> EvidenceChain:
    """Return a copy of ``chain`` holding only verifiable citations and supported claims."""
    notes = list(chain.notes)
    claims = []
    for claim in chain.claims:
        kept = []
        for citation in claim.citations:
            if not citation.experimental:
                kept.append(citation)  # model predictions cite a model, not a document
                continue
            document = store.document(citation.doc_id)
            if document is None:
                notes.append(f"dropped a quote citing unknown document {citation.doc_id!r}")
            elif _normalise(citation.quote) not in _normalise(
                f"{document.title} {document.abstract}"
            ):
                notes.append(
                    f"dropped a quote not found verbatim in {citation.doc_id}: "
                    f"{citation.quote[:80]!r}"
                )
            else:
                kept.append(citation)
        if kept:  # evidence for or against: contradicting quotes are shown, not hidden
            claims.append(claim.model_copy(update={"citations": kept}))
        else:
            notes.append(f"removed a claim without verified evidence: {claim.text[:80]!r}")
    decision = chain.decision if claims else Decision.INSUFFICIENT
    return chain.model_copy(update={"claims": claims, "notes": notes, "decision": decision})
