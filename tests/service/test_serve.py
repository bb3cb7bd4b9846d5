"""``biomedfm serve`` as a newcomer runs it: admin key printed once, corpus indexed, UI served."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from biomedfm.config import get_settings
from biomedfm.service.bootstrap import ensure_admin_key, ensure_corpus
from biomedfm.service.jobs.queue import open_queue
from biomedfm.service.keys import KeyStore
from tests.service.conftest import free_port


def test_admin_key_made_once_and_again_after_revocation(keys: KeyStore) -> None:
    first = ensure_admin_key(keys)
    assert first is not None
    assert keys.check(first) is not None
    assert ensure_admin_key(keys) is None
    keys.revoke("local-admin")
    second = ensure_admin_key(keys)
    assert second is not None
    assert {k.name for k in keys.list()} == {"local-admin", "local-admin-2"}


def test_corpus_queued_once_when_the_index_is_empty(
    keys: KeyStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "1", "abstract": "A study."}\n')
    settings = get_settings()
    queue = open_queue(settings)
    assert ensure_corpus(settings, keys, queue) is None  # no corpus configured
    settings.service.evidence_corpus = corpus
    assert ensure_corpus(settings, keys, queue) is None  # no admin key to own the job
    ensure_admin_key(keys)
    job_id = ensure_corpus(settings, keys, queue)
    assert job_id is not None
    assert ensure_corpus(settings, keys, queue) == job_id  # same idempotency key, same job
    assert queue.huey.pending_count() == 1


@pytest.mark.slow
def test_serve_prints_a_key_indexes_the_corpus_and_serves_the_ui(
    home: Path, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        '{"id": "p1", "abstract": "In a randomized trial of 80 adults, statins significantly '
        'reduced LDL cholesterol."}\n'
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "biomedfm", "serve", "--port", str(port), "--corpus", str(corpus)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        assert process.stdout is not None
        while not any("serving on" in line for line in lines):
            line = process.stdout.readline()
            assert line, "serve exited: " + "".join(lines)
            lines.append(line)
        key = next(line.strip() for line in lines if line.strip().startswith("bmf_"))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(f"{base}/api/v1/health").json()
            except httpx.HTTPError:
                health = {"evidence_documents": 0}
            if health["evidence_documents"] == 1:
                break
            assert time.monotonic() < deadline, f"corpus not indexed: {health}"
            time.sleep(0.5)
        page = httpx.get(base)
        assert page.status_code == 200
        assert 'data-testid="api-key"' in page.text
        jobs = httpx.get(f"{base}/api/v1/jobs", headers={"X-API-Key": key}).json()["jobs"]
        assert [j["kind"] for j in jobs] == ["evidence-ingest"]
    finally:
        process.terminate()
        process.wait(timeout=30)
