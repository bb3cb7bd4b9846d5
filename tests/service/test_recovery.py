"""Durable jobs: dead workers, lost queue messages, bursts, and the Redis queue."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from biomedfm.config import get_settings
from biomedfm.service.app import create_app
from biomedfm.service.jobs.queue import open_queue
from biomedfm.service.jobs.store import JobStatus, JobStore
from biomedfm.service.keys import KeyStore
from tests.service.conftest import SEQUENCE, finished_job, free_port, wait_for, wait_until

PARAMS = {"model": "davis-lite", "pairs": [{"smiles": "CCO", "sequence": SEQUENCE}]}


def test_expired_lease_requeues_then_fails_after_max_attempts(home: Path) -> None:
    queue = open_queue(get_settings())
    store = JobStore(queue.store.engine, lease_s=0.01, max_attempts=2)
    job, _ = store.submit("k", "affinity-predict", PARAMS)
    sent: list[str] = []
    assert store.claim(job.id, "ghost-1") is not None
    assert store.claim(job.id, "ghost-2") is None  # one worker wins
    time.sleep(0.05)
    assert store.recover(sent.append, queue_empty=False) == [job.id]
    assert store.get(job.id).status == JobStatus.QUEUED  # type: ignore[union-attr]
    assert store.claim(job.id, "ghost-3") is not None
    time.sleep(0.05)
    assert store.recover(sent.append, queue_empty=False) == []
    failed = store.get(job.id)
    assert failed is not None
    assert failed.status == JobStatus.FAILED
    assert "worker lost 2 time(s)" in (failed.error or "")
    assert not store.finish(job.id, "ghost-3", {"late": True})  # a zombie cannot overwrite


@pytest.mark.slow
def test_job_claimed_by_a_dead_worker_is_retried_and_finishes(
    home: Path, admin_key: str, worker: Callable[[], object]
) -> None:
    queue = open_queue(get_settings())
    job, _ = queue.store.submit("k", "affinity-predict", PARAMS)
    queue.store.claim(job.id, "worker-that-died")
    worker()
    final = finished_job(queue.store, job.id)
    assert final.status == JobStatus.SUCCEEDED
    assert final.attempts == 2


@pytest.mark.slow
def test_lost_queue_message_is_sent_again(home: Path, worker: Callable[[], object]) -> None:
    queue = open_queue(get_settings())
    job, _ = queue.store.submit("k", "affinity-predict", PARAMS)  # stored, never queued
    worker()
    final = finished_job(queue.store, job.id)
    assert final.status == JobStatus.SUCCEEDED
    assert final.attempts == 1


def _corpus(path: Path, n: int = 40) -> Path:
    lines = [
        f'{{"id": "d{i}", "abstract": "Trial {i} of drug D{i} in {10 + i} patients. '
        f'Drug D{i} significantly reduced symptom score {i} versus placebo."}}'
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
def test_worker_killed_with_sigkill_mid_job_loses_nothing(
    api: TestClient, admin_key: str, worker: Callable[[], subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    corpus = _corpus(tmp_path / "corpus.jsonl")
    first = worker()
    job = api.post(
        "/api/v1/evidence/ingest", json={"path": str(corpus)}, headers={"X-API-Key": admin_key}
    ).json()
    deadline = time.monotonic() + 60
    while (
        api.get(f"/api/v1/jobs/{job['id']}", headers={"X-API-Key": admin_key}).json()["status"]
        != "running"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    worker()
    final = wait_for(api, admin_key, job["id"], timeout=120)
    assert final["status"] == "succeeded", final
    assert final["attempts"] == 2
    result = api.get(f"/api/v1/jobs/{job['id']}/result", headers={"X-API-Key": admin_key}).json()
    assert result["added"] + result["duplicates"] == 40
    assert api.get("/api/v1/health").json()["evidence_documents"] == 40


@pytest.mark.slow
def test_burst_of_jobs_on_two_workers_runs_each_exactly_once(
    api: TestClient, user_key: str, worker: Callable[[], object]
) -> None:
    worker()
    worker()
    ids = [
        api.post("/api/v1/affinity/jobs", json=PARAMS, headers={"X-API-Key": user_key}).json()["id"]
        for _ in range(30)
    ]
    assert len(set(ids)) == 30
    finals = [wait_for(api, user_key, job_id) for job_id in ids]
    assert all(f["status"] == "succeeded" for f in finals)
    assert all(f["attempts"] == 1 for f in finals)


@pytest.fixture
def redis_url(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real redis-server on a free loopback port (CI installs Debian's redis-server)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    wait_until(lambda: bool(redis.Redis.from_url(url).ping()), 10, "redis-server started")
    monkeypatch.setenv("BIOMEDFM_QUEUE_URL", url)
    get_settings.cache_clear()
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.slow
def test_jobs_run_through_a_redis_queue(
    redis_url: str, keys: KeyStore, worker: Callable[[], object]
) -> None:
    key = keys.create("lab-redis")
    with TestClient(create_app(get_settings())) as api:
        assert api.get("/api/v1/health").json()["queue"] == "redis"
        job = api.post("/api/v1/affinity/jobs", json=PARAMS, headers={"X-API-Key": key}).json()
        worker()
        final = wait_for(api, key, job["id"])
        assert final["status"] == "succeeded"


def test_queue_url_must_be_redis(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from biomedfm.errors import BiomedfmError

    monkeypatch.setenv("BIOMEDFM_QUEUE_URL", "amqp://localhost")
    get_settings.cache_clear()
    with pytest.raises(BiomedfmError, match="not a redis:// URL"):
        open_queue(get_settings())
