"""Property-based API testing: schemathesis against the service's own OpenAPI spec.

Starts `biomedfm serve` (with one job worker) on loopback with a fresh BIOMEDFM_HOME and an admin
key, runs `schemathesis run` with the `not_a_server_error` check (any 5xx fails) over every
operation, and prints one JSON line: operations, generated cases, 5xx failures, exit code.
Needs `pip install schemathesis`.

Usage: python benchmarks/service_schemathesis.py [--max-examples 100] [--checks all]
       [--log schemathesis.log]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _loopback import wait_until_up
from biomedfm.service.db import connect, database_url
from biomedfm.service.keys import KeyStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--port", type=int, default=8788)
    parser.add_argument(
        "--checks", default="not_a_server_error", help="schemathesis checks, e.g. all"
    )
    parser.add_argument("--log", type=Path, default=None, help="keep schemathesis' whole output")
    args = parser.parse_args()
    binary = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = {**os.environ, "BIOMEDFM_HOME": str(home)}
        env["BIOMEDFM_SERVICE__RATE_PER_MINUTE"] = "10000000"
        key = KeyStore(connect(database_url(home, None))).create("fuzz", admin=True)
        server = subprocess.Popen(
            [sys.executable, "-m", "biomedfm", "-q", "serve", "--port", str(args.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{args.port}"
        try:
            wait_until_up(f"{base}/api/v1/health")
            run = subprocess.run(
                [
                    binary,
                    "run",
                    f"{base}/api/v1/openapi.json",
                    "--url",
                    base,
                    "-H",
                    f"X-API-Key: {key}",
                    "--checks",
                    args.checks,
                    "--max-examples",
                    str(args.max_examples),
                    "--request-timeout",
                    "60",
                ],
                capture_output=True,
                text=True,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    output = run.stdout + run.stderr
    cases = re.findall(r"(\d+) generated", output)
    operations = re.findall(r"(\d+) (?:operations? )?(?:tested|selected)", output)
    print(output[-3000:], file=sys.stderr)
    if args.log is not None:
        args.log.write_text(output)
    print(
        json.dumps(
            {
                "exit_code": run.returncode,
                "operations": int(operations[0]) if operations else None,
                "generated_cases": int(cases[0]) if cases else None,
                "server_errors": len(re.findall(r"Server error", output)),
                "max_examples": args.max_examples,
                "checks": args.checks,
            }
        )
    )


if __name__ == "__main__":
    main()
