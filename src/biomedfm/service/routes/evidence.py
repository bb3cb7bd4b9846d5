"""Evidence: questions answered as jobs (progress by server-sent events), corpus ingestion."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from biomedfm.service.deps import KeyDep, ServicesDep
from biomedfm.service.limits import LimitChecker
from biomedfm.service.routes.affinity import IdempotencyKey, _check_model
from biomedfm.service.routes.submit import submit_job
from biomedfm.service.schemas import AskRequest, IngestRequest, JobOut

router = APIRouter(prefix="/evidence", tags=["evidence"])


@router.post("/ask", status_code=202)
def ask(
    body: AskRequest,
    services: ServicesDep,
    key: KeyDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    """Answer a question with a verified chain of evidence (follow /jobs/{id}/events)."""
    limits = services.settings.service
    checker = LimitChecker()
    checker.at_most(("question",), len(body.question), limits.max_question_chars, "characters")
    checker.at_most(
        ("contexts",),
        sum(len(c) for c in body.contexts or []),
        limits.max_contexts_chars,
        "characters of contexts",
    )
    if body.smiles is not None:
        checker.at_most(("smiles",), len(body.smiles), limits.max_smiles_chars, "characters")
    if body.sequence is not None:
        checker.at_most(("sequence",), len(body.sequence), limits.max_sequence_chars, "residues")
    checker.raise_if_any()
    if (body.smiles is None) != (body.sequence is None):
        raise HTTPException(
            422,
            [
                {
                    "loc": ["body", "sequence" if body.sequence is None else "smiles"],
                    "msg": "an affinity prediction needs both smiles and sequence",
                    "type": "value_error",
                }
            ],
        )
    if body.smiles is not None:
        _check_model(body.model)
    return submit_job(services, key, "evidence-ask", body.model_dump(), idempotency_key, response)


@router.post("/ingest", status_code=202)
def ingest(
    body: IngestRequest,
    services: ServicesDep,
    key: KeyDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    """Add a corpus file on the server to the service's index (admin keys only)."""
    if not key.admin:
        raise HTTPException(403, "ingesting into the shared corpus needs an admin key")
    return submit_job(
        services, key, "evidence-ingest", body.model_dump(), idempotency_key, response
    )
