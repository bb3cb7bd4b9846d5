"""Load on `POST /api/v1/affinity/predict`: 10 pairs, lite model, 32 concurrent clients, 60 s.

Starts `biomedfm serve` on loopback with a fresh BIOMEDFM_HOME, makes a key, then drives it with
wrk (Debian package `wrk`). Every request draws 10 random compounds from the 2,111 KIBA drugs
and one random kinase from the 379 Davis sequences, so neither caches nor batching see repeats
they would not see in use. The server keeps each compound's embedding (``drug_cache_size``,
10,000 by default), so after the first seconds the 2,111 compounds are served from that cache;
``--drug-cache 0`` turns it off, which measures the cost when every compound is new. Prints one
JSON line: requests/s, p50/p95/p99 latency (ms), errors
(socket errors + non-2xx responses).

Usage: python benchmarks/service_load.py [--seconds 60] [--connections 32] [--model davis-lite]
       [--http-workers 1] [--drug-cache 0] [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from _loopback import wait_until_up
from biomedfm.config import resolve_data_dir
from biomedfm.service.db import connect, database_url
from biomedfm.service.keys import KeyStore

LUA = """
local smiles = {%(smiles)s}
local sequences = {%(sequences)s}
local key = "%(key)s"
local model = "%(model)s"
math.randomseed(%(seed)d)
request = function()
  local sequence = sequences[math.random(#sequences)]
  local pairs = {}
  for i = 1, 10 do
    pairs[i] = '{"smiles": ' .. smiles[math.random(#smiles)] .. ', "sequence": ' .. sequence .. '}'
  end
  local body = '{"model": "' .. model .. '", "pairs": [' .. table.concat(pairs, ", ") .. ']}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-API-Key"] = key}, body)
end
done = function(summary, latency, requests)
  io.write(string.format(
    "RESULT {\\"requests\\": %%d, \\"seconds\\": %%.3f, \\"p50_ms\\": %%.2f, \\"p95_ms\\": %%.2f, "
    .. "\\"p99_ms\\": %%.2f, \\"max_ms\\": %%.2f, \\"socket_errors\\": %%d, \\"non_2xx\\": %%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def lua_strings(values: list[str]) -> str:
    """Each value as a JSON string literal inside a Lua long string."""
    return ", ".join(f"[[{json.dumps(v)}]]" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--model", default="davis-lite")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--http-workers", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--drug-cache", type=int, default=None, help="Compound cache size.")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        # measure serving, not the per-key rate limit (6,000/min by default)
        env = {
            **os.environ,
            "BIOMEDFM_HOME": str(home),
            "BIOMEDFM_SERVICE__RATE_PER_MINUTE": "10000000",
        }
        if args.drug_cache is not None:
            env["BIOMEDFM_SERVICE__DRUG_CACHE_SIZE"] = str(args.drug_cache)
        key = KeyStore(connect(database_url(home, None))).create("load", admin=True)
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "biomedfm", "-q", "serve", "--port", str(args.port)),
                *("--workers", "0", "--http-workers", str(args.http_workers)),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{args.port}/api/v1/affinity/predict"
            data = resolve_data_dir(args.data_dir) / "dta"
            smiles = pd.read_csv(data / "kiba" / "drugs.csv")["smiles"].tolist()
            sequences = sorted(set(pd.read_csv(data / "davis" / "proteins.csv")["sequence"]))
            pairs = [{"smiles": s, "sequence": sequences[0]} for s in smiles[:10]]
            body = json.dumps({"model": args.model, "pairs": pairs})
            headers = {"X-API-Key": key, "Content-Type": "application/json"}
            wait_until_up(url, method="POST", content=body, headers=headers)
            script = Path(tmp) / "predict.lua"
            script.write_text(
                LUA
                % {
                    "smiles": lua_strings(smiles),
                    "sequences": lua_strings(sequences),
                    "key": key,
                    "model": args.model,
                    "seed": 0,
                }
            )
            threads = 2
            out = subprocess.run(
                [
                    "wrk",
                    f"-t{threads}",
                    f"-c{args.connections}",
                    f"-d{args.seconds}s",
                    "--timeout",
                    "10s",
                    "-s",
                    str(script),
                    url,
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            line = next(x for x in out.splitlines() if x.startswith("RESULT "))
            result = json.loads(line[len("RESULT ") :])
            result["requests_per_s"] = round(result["requests"] / result["seconds"], 1)
            result.update(
                connections=args.connections,
                model=args.model,
                pairs_per_request=10,
                http_workers=args.http_workers,
                drug_cache=args.drug_cache,
            )
            print(json.dumps(result))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
