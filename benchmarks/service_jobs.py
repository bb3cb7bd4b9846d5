"""Durable jobs under stress, on loopback with a fresh BIOMEDFM_HOME.

burst: submit N prediction jobs at once (16 client threads) to a server with job workers; every
    job must finish exactly once (status succeeded, attempts 1, its own result).
chaos: keep screening jobs flowing while a job worker is killed with SIGKILL mid-job K times and
    the server is killed with SIGKILL K times (each restarted); every job must still succeed.

Prints one JSON line per mode.

Usage: python benchmarks/service_jobs.py burst [--jobs 1000] [--workers 2]
       python benchmarks/service_jobs.py chaos [--kills 10]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from _loopback import wait_until_up
from biomedfm.service.db import connect, database_url
from biomedfm.service.keys import KeyStore

SEQUENCE = (
    "SPNYDKWEMERTDITMKHKLGGGQYGEVYEGVWKKYSLTVAVKTLKEDTMEVEEFLKEAAVMKEIKHPNLVQLLGVCTREPPFYIIT"
    "EFMTYGNLLDYLRECNRQEVNAVVLLYMATQISSAMEYLEKKNFIHRDLAARNCLVGENHLVKVADFGLSRLMTGDTYTAHAGAKF"
)
COMPOUNDS = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CCN(CC)CC", "c1ccc2ccccc2c1"]


class Stack:
    """A server and job workers as separate processes on one home, each killable."""

    def __init__(self, home: Path, port: int) -> None:
        self.env = {**os.environ, "BIOMEDFM_HOME": str(home)}
        self.env["BIOMEDFM_SERVICE__JOB_LEASE_S"] = "5"
        self.env["BIOMEDFM_SERVICE__REAPER_INTERVAL_S"] = "1"
        self.port = port
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.server: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    def _spawn(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "biomedfm", "-q", *args],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start_server(self) -> None:
        self.server = self._spawn(
            "serve", "--port", str(self.port), "--workers", "0", "--http-workers", "1"
        )
        wait_until_up(f"{self.base}/health")

    def start_worker(self) -> subprocess.Popen[bytes]:
        worker = self._spawn("worker")
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for process in [*self.workers, *([self.server] if self.server else [])]:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


def _get(url: str, key: str) -> Any:
    """GET that rides out a server restart."""
    for _ in range(600):
        try:
            response = httpx.get(url, headers={"X-API-Key": key}, timeout=30)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"GET {url} kept failing")


def wait_all(stack: Stack, key: str, ids: list[str], timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    pending = set(ids)
    finals: dict[str, dict[str, Any]] = {}
    while pending and time.monotonic() < deadline:
        listed = _get(f"{stack.base}/jobs?limit=1000", key)["jobs"]
        for job in listed:
            if job["id"] in pending and job["status"] in ("succeeded", "failed", "cancelled"):
                finals[job["id"]] = job
                pending.discard(job["id"])
        time.sleep(0.5)
    return [finals.get(i, {"id": i, "status": "lost"}) for i in ids]


def burst(args: argparse.Namespace, stack: Stack, key: str) -> dict[str, Any]:
    stack.start_server()
    for _ in range(args.workers):
        stack.start_worker()
    started = time.perf_counter()

    def submit(i: int) -> str:
        body = {
            "model": "davis-lite",
            "pairs": [{"smiles": COMPOUNDS[i % 5], "sequence": SEQUENCE}],
        }
        response = httpx.post(
            f"{stack.base}/affinity/jobs", json=body, headers={"X-API-Key": key}, timeout=60
        )
        response.raise_for_status()
        return str(response.json()["id"])

    with ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(submit, range(args.jobs)))
    submitted = time.perf_counter() - started
    finals = wait_all(stack, key, ids, timeout=1800)
    elapsed = time.perf_counter() - started
    results_ok = sum(
        len(_get(f"{stack.base}/jobs/{f['id']}/result", key)["rows"]) == 1
        for f in finals[:: max(1, len(finals) // 50)]  # spot-check 50 results
    )
    return {
        "mode": "burst",
        "jobs": args.jobs,
        "job_workers": args.workers,
        "distinct_ids": len(set(ids)),
        "succeeded": sum(f["status"] == "succeeded" for f in finals),
        "lost": sum(f["status"] == "lost" for f in finals),
        "failed": sum(f["status"] == "failed" for f in finals),
        "ran_more_than_once": sum(f.get("attempts", 0) > 1 for f in finals),
        "results_spot_checked_ok": results_ok,
        "submit_seconds": round(submitted, 1),
        "total_seconds": round(elapsed, 1),
        "jobs_per_s": round(args.jobs / elapsed, 1),
    }


def chaos(args: argparse.Namespace, stack: Stack, key: str) -> dict[str, Any]:
    stack.start_server()
    worker = stack.start_worker()
    library = [{"id": f"c{i}", "smiles": COMPOUNDS[i % 5] + "C" * (i % 7)} for i in range(3000)]
    body = {
        "model": "davis",
        "targets": [{"name": "t", "sequence": SEQUENCE}],
        "compounds": library,
    }
    ids: list[str] = []
    kills = {"worker": 0, "server": 0}

    def submit() -> None:
        for _ in range(300):
            try:
                response = httpx.post(
                    f"{stack.base}/affinity/screen",
                    json={**body, "top": 10},
                    headers={"X-API-Key": key},
                    timeout=60,
                )
                ids.append(response.json()["id"])
                return
            except httpx.HTTPError:
                time.sleep(0.2)

    for round_ in range(2 * args.kills):
        submit()
        submit()
        if round_ % 2 == 0:  # SIGKILL the worker while a job is running
            deadline = time.monotonic() + 60
            while not any(
                j["status"] == "running" for j in _get(f"{stack.base}/jobs?limit=5", key)["jobs"]
            ):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            kills["worker"] += 1
            worker = stack.start_worker()
        else:  # SIGKILL the server mid-job, then start it again
            assert stack.server is not None
            time.sleep(0.3)
            os.kill(stack.server.pid, signal.SIGKILL)
            stack.server.wait()
            kills["server"] += 1
            stack.start_server()
    finals = wait_all(stack, key, ids, timeout=1800)
    return {
        "mode": "chaos",
        "jobs": len(ids),
        "sigkill_worker": kills["worker"],
        "sigkill_server": kills["server"],
        "succeeded": sum(f["status"] == "succeeded" for f in finals),
        "lost": sum(f["status"] == "lost" for f in finals),
        "failed": sum(f["status"] == "failed" for f in finals),
        "retried_jobs": sum(f.get("attempts", 0) > 1 for f in finals),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["burst", "chaos"])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--port", type=int, default=8777)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        key = KeyStore(connect(database_url(home, None))).create("bench", admin=True)
        stack = Stack(home, args.port)
        try:
            result = (burst if args.mode == "burst" else chaos)(args, stack, key)
        finally:
            stack.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
