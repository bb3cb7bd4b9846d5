"""Job records and their life cycle: queued → running → succeeded | failed | cancelled.

Every transition is one conditional UPDATE, so a job is claimed by one worker even when its id
was queued twice, and a job whose worker died (no heartbeat within the lease) goes back to the
queue until ``max_attempts`` runs have been spent.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from biomedfm.service.db import jobs


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass(frozen=True)
class Job:
    """A job as stored; ``result`` is its JSON result once it succeeded."""

    id: str
    key_id: str
    kind: str
    status: JobStatus
    params: dict[str, Any]
    progress: float
    message: str
    result: Any
    error: str | None
    attempts: int
    idempotency_key: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class JobCancelledError(Exception):
    """Raised inside a running job when its record says it was cancelled."""


class JobStore:
    """All reads and writes of job records."""

    def __init__(self, engine: Engine, *, lease_s: float = 30.0, max_attempts: int = 3) -> None:
        self.engine = engine
        self.lease_s = lease_s
        self.max_attempts = max_attempts

    def submit(
        self,
        key_id: str,
        kind: str,
        params: dict[str, Any],
        idempotency_key: str | None = None,
    ) -> tuple[Job, bool]:
        """Store a new queued job; with a known idempotency key, the existing job instead.

        Returns:
            The job and whether it was created now (False: the key's earlier job).
        """
        try:
            job_id = self._insert(
                key_id, kind, params, JobStatus.QUEUED, "queued", idempotency_key=idempotency_key
            )
        except IntegrityError:
            with self.engine.connect() as connection:
                row = connection.execute(
                    select(jobs).where(
                        jobs.c.key_id == key_id, jobs.c.idempotency_key == idempotency_key
                    )
                ).one()
            return _to_job(row._mapping), False
        job = self.get(job_id)
        assert job is not None
        return job, True

    def refuse(self, key_id: str, kind: str, params: dict[str, Any], error: str) -> Job:
        """Store a job that failed before it was queued: its uploaded file cannot be used.

        The request itself was well formed (a schema cannot judge a file's rows), so the
        caller gets the job, with the row or column to fix in ``error``, as a worker would
        have left it; no idempotency key is kept, so the fixed file can be sent again.
        """
        job_id = self._insert(
            key_id,
            kind,
            params,
            JobStatus.FAILED,
            "refused: the file cannot be used",
            error=error[:2000],
            finished=True,
        )
        job = self.get(job_id)
        assert job is not None
        return job

    def _insert(
        self,
        key_id: str,
        kind: str,
        params: dict[str, Any],
        status: JobStatus,
        message: str,
        *,
        idempotency_key: str | None = None,
        error: str | None = None,
        finished: bool = False,
    ) -> str:
        """One new job record; its id."""
        job_id = uuid.uuid4().hex
        now = time.time()
        with self.engine.begin() as connection:
            connection.execute(
                insert(jobs).values(
                    id=job_id,
                    key_id=key_id,
                    kind=kind,
                    status=status.value,
                    params=json.dumps(params),
                    progress=0.0,
                    message=message,
                    error=error,
                    attempts=0,
                    idempotency_key=idempotency_key,
                    created_at=now,
                    finished_at=now if finished else None,
                )
            )
        return job_id

    def get(self, job_id: str) -> Job | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else _to_job(row._mapping)

    def find(
        self, key_id: str | None = None, status: JobStatus | None = None, limit: int = 100
    ) -> list[Job]:
        """Newest first; ``key_id=None`` lists every key's jobs (admin view)."""
        query = select(jobs).order_by(jobs.c.created_at.desc()).limit(limit)
        if key_id is not None:
            query = query.where(jobs.c.key_id == key_id)
        if status is not None:
            query = query.where(jobs.c.status == status.value)
        with self.engine.connect() as connection:
            return [_to_job(row._mapping) for row in connection.execute(query)]

    def claim(self, job_id: str, worker: str) -> Job | None:
        """Mark a queued job running for ``worker``; None when it is not queued (any more)."""
        now = time.time()
        with self.engine.begin() as connection:
            claimed = connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status == JobStatus.QUEUED.value)
                .values(
                    status=JobStatus.RUNNING.value,
                    worker=worker,
                    attempts=jobs.c.attempts + 1,
                    lease_until=now + self.lease_s,
                    started_at=now,
                    message="started",
                )
            ).rowcount
        return self.get(job_id) if claimed else None

    def heartbeat(self, job_id: str, worker: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(jobs)
                .where(
                    jobs.c.id == job_id,
                    jobs.c.worker == worker,
                    jobs.c.status == JobStatus.RUNNING.value,
                )
                .values(lease_until=time.time() + self.lease_s)
            )

    def report(self, job_id: str, progress: float, message: str) -> None:
        """Record progress; raises :class:`JobCancelledError` once the job was cancelled."""
        with self.engine.begin() as connection:
            connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status == JobStatus.RUNNING.value)
                .values(progress=min(max(progress, 0.0), 1.0), message=message[:500])
            )
            status = connection.execute(select(jobs.c.status).where(jobs.c.id == job_id)).scalar()
        if status == JobStatus.CANCELLED.value:
            raise JobCancelledError(job_id)

    def finish(self, job_id: str, worker: str, result: Any) -> bool:
        return self._end(job_id, worker, JobStatus.SUCCEEDED, result=json.dumps(result))

    def fail(self, job_id: str, worker: str, error: str) -> bool:
        return self._end(job_id, worker, JobStatus.FAILED, error=error[:2000])

    def _end(self, job_id: str, worker: str, status: JobStatus, **values: Any) -> bool:
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(jobs)
                .where(
                    jobs.c.id == job_id,
                    jobs.c.worker == worker,
                    jobs.c.status == JobStatus.RUNNING.value,
                )
                .values(
                    status=status.value,
                    finished_at=time.time(),
                    progress=1.0 if status == JobStatus.SUCCEEDED else jobs.c.progress,
                    message=status.value,
                    lease_until=None,
                    **values,
                )
            ).rowcount
        return bool(changed)

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued or running job (a running one stops at its next progress report)."""
        with self.engine.begin() as connection:
            connection.execute(
                update(jobs)
                .where(
                    jobs.c.id == job_id,
                    jobs.c.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]),
                )
                .values(
                    status=JobStatus.CANCELLED.value,
                    finished_at=time.time(),
                    message="cancelled",
                    lease_until=None,
                )
            )
        return self.get(job_id)

    def recover(self, enqueue: Callable[[str], None], queue_empty: bool) -> list[str]:
        """Send lost jobs to the queue again; fail those out of attempts.

        A running job whose lease expired lost its worker: it is queued again (or failed after
        ``max_attempts``). A queued job is re-sent only when the queue is empty (its message was
        lost, e.g. the server died between storing and sending it); re-sending is harmless
        because :meth:`claim` lets one worker win.

        Returns:
            The ids that were sent again.
        """
        now = time.time()
        resent: list[str] = []
        with self.engine.begin() as connection:
            stale = connection.execute(
                select(jobs.c.id, jobs.c.attempts).where(
                    jobs.c.status == JobStatus.RUNNING.value, jobs.c.lease_until < now
                )
            ).all()
            for job_id, attempts in stale:
                out_of_attempts = attempts >= self.max_attempts
                changed = connection.execute(
                    update(jobs)
                    .where(
                        jobs.c.id == job_id,
                        jobs.c.status == JobStatus.RUNNING.value,
                        jobs.c.lease_until < now,
                    )
                    .values(
                        status=(JobStatus.FAILED if out_of_attempts else JobStatus.QUEUED).value,
                        error=f"worker lost {attempts} time(s)" if out_of_attempts else None,
                        finished_at=now if out_of_attempts else None,
                        message="worker lost; retrying" if not out_of_attempts else "failed",
                        worker=None,
                        lease_until=None,
                    )
                ).rowcount
                if changed and not out_of_attempts:
                    resent.append(job_id)
            if queue_empty:
                resent.extend(
                    row.id
                    for row in connection.execute(
                        select(jobs.c.id).where(
                            jobs.c.status == JobStatus.QUEUED.value,
                            jobs.c.created_at < now - 2.0,
                        )
                    )
                    if row.id not in resent
                )
        for job_id in resent:
            enqueue(job_id)
        return resent


def _to_job(row: Any) -> Job:
    return Job(
        id=row["id"],
        key_id=row["key_id"],
        kind=row["kind"],
        status=JobStatus(row["status"]),
        params=json.loads(row["params"]),
        progress=float(row["progress"]),
        message=row["message"] or "",
        result=json.loads(row["result"]) if row["result"] else None,
        error=row["error"],
        attempts=int(row["attempts"]),
        idempotency_key=row["idempotency_key"],
        created_at=float(row["created_at"]),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )
