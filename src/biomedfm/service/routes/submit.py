"""One way to create a job: store it (once per idempotency key), count the quota, queue it."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from biomedfm.service.deps import Services, spend_quota
from biomedfm.service.jobs.store import Job
from biomedfm.service.keys import ApiKey
from biomedfm.service.schemas import JobOut


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=job.status.value,
        progress=job.progress,
        message=job.message,
        error=job.error,
        attempts=job.attempts,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def submit_job(
    services: Services,
    key: ApiKey,
    kind: str,
    params: dict[str, Any],
    idempotency_key: str | None,
    response: Response,
) -> JobOut:
    """202 with the new job, or 200 with the earlier job of the same idempotency key."""
    if idempotency_key is not None:
        earlier = services.queue.store.submit(key.id, kind, params, idempotency_key)
        if not earlier[1]:
            response.status_code = 200
            return job_out(earlier[0])
        job = earlier[0]
        try:
            spend_quota(services, key)
        except Exception:
            services.queue.store.cancel(job.id)
            raise
    else:
        spend_quota(services, key)
        job, _ = services.queue.store.submit(key.id, kind, params)
    services.queue.enqueue(job.id)
    response.status_code = 202
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return job_out(job)
