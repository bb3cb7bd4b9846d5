"""Evidence: questions answered as jobs (progress by server-sent events), corpus ingestion."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from biomedfm.errors import InputError
from biomedfm.service.deps import KeyDep, ServicesDep
from biomedfm.service.limits import LimitChecker
from biomedfm.service.routes.affinity import MODEL_RESPONSES, IdempotencyKey, _check_model
from biomedfm.service.routes.submit import submit_job
from biomedfm.service.schemas import (
    KEYED_RESPONSES,
    AskRequest,
    EffectRequest,
    EffectResponse,
    IngestRequest,
    JobOut,
    StanceRequest,
    StanceResponse,
    StanceRow,
)

router = APIRouter(prefix="/evidence", tags=["evidence"], responses=KEYED_RESPONSES)


@router.post("/ask", status_code=202, responses=MODEL_RESPONSES)
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


@router.post("/stance")
def stance(body: StanceRequest, key: KeyDep) -> StanceResponse:
    """Does each evidence text support, contradict or not address its claim (trained reader)."""
    from biomedfm.evidence.reader import load_reader, read_stance

    reader = load_reader()
    try:
        readings = read_stance([(p.claim, p.evidence) for p in body.pairs], reader)
    except InputError as error:  # e.g. a claim of white space only: "pair 3: 'claim' ..."
        raise HTTPException(
            422, [{"loc": ["body", "pairs"], "msg": str(error), "type": "value_error"}]
        ) from None
    return StanceResponse(
        reader=reader.config.version or "unversioned",
        rows=[
            StanceRow(
                id=pair.id,
                stance=reading.stance,
                p_supports=round(reading.p_supports, 4),
                p_contradicts=round(reading.p_contradicts, 4),
                p_neutral=round(reading.p_neutral, 4),
            )
            for pair, reading in zip(body.pairs, readings, strict=True)
        ],
    )


@router.post("/effect")
def effect(body: EffectRequest, key: KeyDep) -> EffectResponse:
    """What a trial report found for one intervention/comparator/outcome, with its quote."""
    from biomedfm.evidence.reader import read_effect

    try:
        finding = read_effect(body.intervention, body.comparator, body.outcome, body.text)
    except InputError as error:
        raise HTTPException(
            422, [{"loc": ["body", "text"], "msg": str(error), "type": "value_error"}]
        ) from None
    return EffectResponse(
        id=body.id,
        effect=finding.effect,
        probability=round(finding.probability, 4),
        quote=finding.quote,
        start=finding.start,
        end=finding.end,
        p_increased=round(finding.p_increased, 4),
        p_decreased=round(finding.p_decreased, 4),
        p_no_difference=round(finding.p_no_difference, 4),
        p_reported=round(finding.p_reported, 4),
    )
