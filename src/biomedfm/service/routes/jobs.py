"""Jobs: list, status, progress as server-sent events, result as JSON or CSV, cancel."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import StreamingResponse

from biomedfm.service.deps import KeyDep, ServicesDep, visible_job
from biomedfm.service.jobs.store import JobStatus
from biomedfm.service.routes.submit import job_out
from biomedfm.service.schemas import KEYED_RESPONSES, JobList, JobOut, Problem

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=KEYED_RESPONSES)


@router.get("")
def list_jobs(
    services: ServicesDep,
    key: KeyDep,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this state.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JobList:
    """This key's jobs, newest first (every key's for an admin key)."""
    jobs = services.queue.store.find(None if key.admin else key.id, status, limit)
    return JobList(jobs=[job_out(job) for job in jobs])


@router.get(
    "/{job_id}", responses={404: {"model": Problem, "description": "No such job for this key."}}
)
def get_job(job_id: str, services: ServicesDep, key: KeyDep) -> JobOut:
    return job_out(visible_job(services, key, job_id))


@router.post(
    "/{job_id}/cancel",
    responses={404: {"model": Problem, "description": "No such job for this key."}},
)
def cancel_job(job_id: str, services: ServicesDep, key: KeyDep) -> JobOut:
    """Cancel a queued or running job; a finished job is returned unchanged."""
    visible_job(services, key, job_id)
    job = services.queue.store.cancel(job_id)
    assert job is not None
    return job_out(job)


@router.get(
    "/{job_id}/result",
    responses={
        200: {"content": {"text/csv": {}, "application/json": {}}},
        404: {"model": Problem, "description": "No such job for this key."},
        409: {
            "model": Problem,
            "description": "The job has no result yet (or failed), or a CSV was asked of a "
            "result that is not a table.",
        },
    },
)
def job_result(
    job_id: str,
    services: ServicesDep,
    key: KeyDep,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv.")] = "json",
) -> Response:
    """The result of a succeeded job; CSV for tabular results (predictions, screens)."""
    job = visible_job(services, key, job_id)
    if job.status != JobStatus.SUCCEEDED:
        raise HTTPException(409, f"job {job_id} is {job.status.value}; no result to download")
    if format == "json":
        return Response(json.dumps(job.result), media_type="application/json")
    rows = job.result.get("rows") if isinstance(job.result, dict) else None
    if rows is None:
        raise HTTPException(409, f"a {job.kind} result is not a table: ask for format=json")
    buffer = io.StringIO()
    pd.DataFrame(rows).to_csv(buffer, index=False)
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{job.kind}-{job.id}.csv"'},
    )


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={404: {"model": Problem, "description": "No such job for this key."}},
)
async def job_events(job_id: str, services: ServicesDep, key: KeyDep) -> StreamingResponse:
    """Server-sent events: the job's state whenever it changes, until it finishes."""
    visible_job(services, key, job_id)
    store = services.queue.store

    async def stream() -> AsyncIterator[str]:
        last = ""
        while True:
            job = await asyncio.to_thread(store.get, job_id)
            if job is None:
                return
            data = job_out(job).model_dump_json()
            if data != last:
                yield f"event: {'done' if job.finished else 'progress'}\ndata: {data}\n\n"
                last = data
            if job.finished:
                return
            await asyncio.sleep(0.25)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
