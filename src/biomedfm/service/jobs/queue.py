"""The job queue (huey) and the worker that runs jobs from it.

huey carries job ids only: SQLite under ``BIOMEDFM_HOME`` on one machine, Redis
(``BIOMEDFM_QUEUE_URL=redis://...``) across hosts. What a job is and where it stands lives in
:class:`~biomedfm.service.jobs.store.JobStore`, so a killed worker or a lost message costs a
retry, never a job: :meth:`JobStore.recover` runs in the server and in every worker.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from dataclasses import dataclass
from typing import Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey, TaskWrapper

from biomedfm.config import Settings
from biomedfm.errors import BiomedfmError
from biomedfm.service.db import connect, database_url
from biomedfm.service.jobs.runners import RUNNERS, JobContext
from biomedfm.service.jobs.store import JobCancelledError, JobStore

log = logging.getLogger(__name__)


def make_huey(settings: Settings) -> Huey:
    """SQLite queue under the home folder, or Redis when ``queue_url`` is set."""
    if settings.queue_url:
        if not settings.queue_url.startswith(("redis://", "rediss://", "unix://")):
            raise BiomedfmError(
                f"BIOMEDFM_QUEUE_URL={settings.queue_url!r} is not a redis:// URL; unset it for "
                "the embedded SQLite queue"
            )
        return RedisHuey("biomedfm", url=settings.queue_url, results=False)
    settings.home.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        "biomedfm", filename=str(settings.home / "queue.sqlite"), results=False, timeout=30
    )


@dataclass
class JobQueue:
    """The queue, the job store and the task that runs a job by id."""

    settings: Settings
    store: JobStore
    huey: Huey
    task: TaskWrapper

    def enqueue(self, job_id: str) -> None:
        self.task(job_id)

    def queue_empty(self) -> bool:
        return bool(self.huey.pending_count() == 0)

    def recover(self) -> list[str]:
        """Re-send lost jobs (see :meth:`JobStore.recover`)."""
        return self.store.recover(self.enqueue, self.queue_empty())

    def run(self, job_id: str) -> None:
        """Claim and run one job; every outcome ends in the job's record, never in a crash."""
        worker = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        job = self.store.claim(job_id, worker)
        if job is None:
            return  # cancelled, finished, or claimed by another worker after a re-send
        runner = RUNNERS.get(job.kind)
        if runner is None:
            self.store.fail(job_id, worker, f"unknown job kind {job.kind!r}")
            return
        stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(job_id, worker, stop), daemon=True, name="heartbeat"
        )
        beat.start()
        context = JobContext(
            evidence_index=self.settings.home / "evidence-index",
            report=lambda fraction, message: self.store.report(job_id, fraction, message),
        )
        try:
            result = runner(job.params, context)
        except JobCancelledError:
            log.info("job %s cancelled", job_id)
        except (BiomedfmError, LookupError, ValueError, OSError) as error:
            self.store.fail(job_id, worker, str(error))
        except Exception:  # a bug: keep the traceback in the log, a one-line reason in the job
            log.exception("job %s failed", job_id)
            self.store.fail(job_id, worker, traceback.format_exc(limit=1).strip().splitlines()[-1])
        else:
            self.store.finish(job_id, worker, result)
        finally:
            stop.set()

    def _heartbeat(self, job_id: str, worker: str, stop: threading.Event) -> None:
        interval = max(self.store.lease_s / 4, 0.2)
        while not stop.wait(interval):
            try:
                self.store.heartbeat(job_id, worker)
            except Exception:  # a missed beat only shortens the lease; never kill the job
                log.warning("heartbeat for job %s failed", job_id, exc_info=True)


def open_queue(settings: Settings) -> JobQueue:
    """Connect the database and queue named by ``settings`` and register the job task."""
    engine = connect(database_url(settings.home, settings.database_url))
    store = JobStore(
        engine,
        lease_s=settings.service.job_lease_s,
        max_attempts=settings.service.max_attempts,
    )
    huey = make_huey(settings)
    holder: dict[str, JobQueue] = {}

    def run_job(job_id: str) -> None:
        holder["queue"].run(job_id)

    task = huey.task(name="run_job", retries=0)(run_job)
    holder["queue"] = JobQueue(settings, store, huey, task)
    return holder["queue"]


def run_worker(settings: Settings, workers: int = 1) -> None:
    """Consume jobs until stopped (SIGINT/SIGTERM), looking for lost jobs every few seconds."""
    queue = open_queue(settings)
    stop = threading.Event()

    def reap() -> None:
        while not stop.wait(settings.service.reaper_interval_s):
            try:
                queue.recover()
            except Exception:
                log.warning("looking for lost jobs failed", exc_info=True)

    queue.recover()
    threading.Thread(target=reap, daemon=True, name="reaper").start()
    consumer: Any = queue.huey.create_consumer(workers=workers, worker_type="thread")
    try:
        consumer.run()
    finally:
        stop.set()
