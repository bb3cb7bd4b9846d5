"""One way to create a job: store it (once per idempotency key), count the quota, queue it;
and one way to answer an upload whose file cannot be used: a job that has already failed."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Response

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


def problem_text(detail: Any) -> str:
    """A 422's detail as one line: ``file: msg``, ``file, row 3, smiles: msg``, ..."""
    if not isinstance(detail, list):
        return str(detail)
    return "; ".join(
        f"{', '.join(str(part) for part in item.get('loc', [])[1:])}: {item.get('msg')}"
        for item in detail
        if isinstance(item, dict)
    )


def refuse_job(
    services: Services,
    key: ApiKey,
    kind: str,
    params: dict[str, Any],
    problem: HTTPException,
    response: Response,
) -> JobOut:
    """202 with a job that already failed, saying why: for uploads whose rows are unusable.

    A file's rows are beyond what the OpenAPI schema can state, so a schema-valid upload is
    always taken (as batch APIs take a file and then validate it); the job is failed at once
    rather than queued, so the caller learns of the problem without waiting for a worker.
    No quota is spent.
    """
    job = services.queue.store.refuse(key.id, kind, params, problem_text(problem.detail))
    response.status_code = 202
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return job_out(job)
