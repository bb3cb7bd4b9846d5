"""Service fixtures: a fresh BIOMEDFM_HOME per test, the real app, real worker processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from biomedfm.config import get_settings
from biomedfm.service.app import create_app
from biomedfm.service.db import connect, database_url
from biomedfm.service.jobs.store import Job, JobStore
from biomedfm.service.keys import KeyStore
from tests.conftest import random_sequences

SEQUENCE = random_sequences(1, seed=3)[0]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Service state in a temporary folder, with short leases so recovery tests are quick."""
    home = tmp_path / "home"
    monkeypatch.setenv("BIOMEDFM_HOME", str(home))
    monkeypatch.setenv("BIOMEDFM_SERVICE__JOB_LEASE_S", "2")
    monkeypatch.setenv("BIOMEDFM_SERVICE__REAPER_INTERVAL_S", "0.3")
    monkeypatch.delenv("BIOMEDFM_QUEUE_URL", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def keys(home: Path) -> KeyStore:
    settings = get_settings()
    return KeyStore(connect(database_url(settings.home, settings.database_url)))


@pytest.fixture
def admin_key(keys: KeyStore) -> str:
    return keys.create("admin", admin=True)


@pytest.fixture
def user_key(keys: KeyStore) -> str:
    return keys.create("lab1")


@pytest.fixture
def api(home: Path) -> Iterator[TestClient]:
    """The real app (lifespan run) on this test's home."""
    with TestClient(create_app(get_settings())) as client:
        yield client


def start_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "biomedfm", "-q", "worker"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def worker(home: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Starts real worker processes (``biomedfm worker``) on demand; all stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def launch() -> subprocess.Popen[bytes]:
        process = start_worker()
        started.append(process)
        return process

    yield launch
    for process in started:
        if process.poll() is None:
            process.terminate()
    for process in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(client: TestClient, key: str, job_id: str, timeout: float = 90.0) -> dict[str, object]:
    """Poll a job until it finishes; its final state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, object] = client.get(
            f"/api/v1/jobs/{job_id}", headers={"X-API-Key": key}
        ).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {job}")


def wait_until(ready: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``ready`` (exceptions count as not ready) until it is true; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except Exception:  # a server still starting refuses connections
            pass
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.1)


def finished_job(store: JobStore, job_id: str, timeout: float = 60.0) -> Job:
    """Wait for a job record to reach a final state; the record."""
    wait_until(lambda: bool((job := store.get(job_id)) and job.finished), timeout, "job finished")
    job = store.get(job_id)
    assert job is not None
    return job


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(home: Path) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread: its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(get_settings()), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise AssertionError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
