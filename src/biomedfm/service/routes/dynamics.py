"""Dynamics: per-residue flexibility or a conformer ensemble from a structure, as a job."""

from __future__ import annotations

from fastapi import APIRouter, Response

from biomedfm.service.deps import KeyDep, ServicesDep
from biomedfm.service.limits import LimitChecker
from biomedfm.service.routes.affinity import IdempotencyKey
from biomedfm.service.routes.submit import submit_job
from biomedfm.service.schemas import KEYED_RESPONSES, DynamicsRequest, JobOut

router = APIRouter(prefix="/dynamics", tags=["dynamics"], responses=KEYED_RESPONSES)


@router.post("", status_code=202)
def dynamics(
    body: DynamicsRequest,
    services: ServicesDep,
    key: KeyDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    """Flexibility (result rows, CSV too) or ensemble (result ``mmcif`` + ``states``)."""
    checker = LimitChecker()
    checker.at_most(
        ("structure",),
        len(body.structure.encode()),
        services.settings.service.max_upload_bytes,
        "bytes of structure",
    )
    checker.raise_if_any()
    return submit_job(services, key, "dynamics", body.model_dump(), idempotency_key, response)
