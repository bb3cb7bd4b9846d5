"""The job and key database on a real PostgreSQL server (BIOMEDFM_DATABASE_URL)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from biomedfm.config import get_settings
from biomedfm.service.app import create_app
from biomedfm.service.db import connect, database_url
from biomedfm.service.keys import KeyStore
from tests.service.conftest import SEQUENCE, free_port, wait_for, wait_until


@pytest.fixture
def postgres_url(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free loopback port (CI installs Debian's postgresql)."""
    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdb:
        pytest.skip("PostgreSQL server not installed (.ci/run installs it)")
    pytest.importorskip("psycopg")
    bindir = Path(initdb[-1]).parent
    datadir = Path(tempfile.mkdtemp(prefix="biomedfm-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(datadir, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_postgres, str(bindir / "initdb"), "-D", str(datadir), "-A", "trust", "-U", "bmf"],
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [
            *(*as_postgres, str(bindir / "postgres"), "-D", str(datadir), "-p", str(port)),
            *("-k", str(datadir), "-h", "127.0.0.1"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"postgresql+psycopg://bmf@127.0.0.1:{port}/postgres"
    import psycopg

    def accepts() -> bool:
        psycopg.connect(f"postgresql://bmf@127.0.0.1:{port}/postgres").close()
        return True

    wait_until(accepts, 30, "PostgreSQL started")
    monkeypatch.setenv("BIOMEDFM_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(datadir, ignore_errors=True)


@pytest.mark.slow
def test_keys_and_jobs_live_in_postgresql(postgres_url: str, worker: Callable[[], object]) -> None:
    settings = get_settings()
    keys = KeyStore(connect(database_url(settings.home, settings.database_url)))
    key = keys.create("lab-pg", quota_per_day=10)
    with TestClient(create_app(settings)) as api:
        assert api.get("/api/v1/health").json()["database"] == "postgresql"
        body = {"model": "davis-lite", "pairs": [{"smiles": "CCO", "sequence": SEQUENCE}]}
        first = api.post(
            "/api/v1/affinity/jobs",
            json=body,
            headers={"X-API-Key": key, "Idempotency-Key": "pg-1"},
        )
        again = api.post(
            "/api/v1/affinity/jobs",
            json=body,
            headers={"X-API-Key": key, "Idempotency-Key": "pg-1"},
        )
        assert again.json()["id"] == first.json()["id"]
        worker()
        final = wait_for(api, key, first.json()["id"])
        assert final["status"] == "succeeded"
    assert keys.used_today(keys.list()[0]) == 1
    assert not (settings.home / "biomedfm.sqlite").exists()
