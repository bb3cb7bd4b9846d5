"""Shared fixtures: a small synthetic pair table the tests make themselves (no shared data)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from biomedfm.chem.sequences import STANDARD_AMINO_ACIDS

DRUGS = [
    "CCO",
    "CC(=O)Oc1ccccc1C(=O)O",
    "c1ccccc1",
    "CCN(CC)CC",
    "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "c1ccc2ccccc2c1",
    "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
    "OC(=O)CCc1ccccc1",
    "Clc1ccc(Cl)cc1",
    "CC1=CC=CC=C1N",
    "COc1ccc(cc1)C=O",
    "C1CCCCC1O",
    "NC(=O)c1cccnc1",
    "CC(C)(C)OC(=O)N",
    "Oc1ccc(cc1)O",
    "C1=CC=C(C=C1)C2=CC=CC=C2",
    "CCCCCCCCO",
    "O=C1CCCN1",
    "CS(=O)C",
    "Fc1ccc(cc1)C(=O)O",
]


def random_sequences(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    letters = np.array(list(STANDARD_AMINO_ACIDS))
    return ["".join(rng.choice(letters, size=int(rng.integers(60, 120)))) for _ in range(n)]


def make_pairs(n_drugs: int = 20, n_proteins: int = 10, seed: int = 0) -> pd.DataFrame:
    """All drug × protein pairs with a learnable synthetic affinity and a fold column."""
    rng = np.random.default_rng(seed)
    proteins = random_sequences(n_proteins, seed)
    drug_effect = rng.normal(0, 1, n_drugs)
    protein_effect = rng.normal(0, 1, n_proteins)
    rows = []
    for i, smiles in enumerate(DRUGS[:n_drugs]):
        for j, sequence in enumerate(proteins):
            affinity = (
                6 + drug_effect[i] + protein_effect[j] + 0.5 * drug_effect[i] * protein_effect[j]
            )
            rows.append(
                {
                    "drug_id": f"d{i}",
                    "protein_id": f"p{j}",
                    "smiles": smiles,
                    "sequence": sequence,
                    "affinity": affinity + rng.normal(0, 0.1),
                }
            )
    frame = pd.DataFrame(rows)
    frame["fold"] = rng.permutation(len(frame)) % 5
    return frame


@pytest.fixture
def pairs() -> pd.DataFrame:
    return make_pairs()


@pytest.fixture
def pairs_csv(tmp_path: Path, pairs: pd.DataFrame) -> Path:
    path = tmp_path / "pairs.csv"
    pairs.to_csv(path, index=False)
    return path


SMALL_NET = [
    "net.tower_hidden=32",
    "net.embed_dim=16",
    "net.head_hidden=[32]",
    "batch_size=64",
]
"""--set overrides that keep test trainings to a second or two."""


class FakeChatServer(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions with a canned reply and records the requests."""

    reply: ClassVar[str] = ""
    requests: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeChatServer.requests.append(body)
        payload = json.dumps(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": FakeChatServer.reply},
                    }
                ],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def llm_server() -> Iterator[str]:
    """An OpenAI-compatible chat server on loopback; set ``FakeChatServer.reply`` first."""
    httpd = HTTPServer(("127.0.0.1", 0), FakeChatServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    FakeChatServer.requests.clear()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
