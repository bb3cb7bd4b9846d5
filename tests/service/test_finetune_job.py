"""Fine-tuning through the service: upload an assay, get a model by name, predict with it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from biomedfm.client import Client, ServiceError
from tests.cli.test_affinity_finetune_cli import SEQUENCE, _assay


def test_bad_assays_give_a_failed_job_at_once_naming_the_fix(
    api: TestClient, user_key: str, tmp_path: Path
) -> None:
    headers = {"X-API-Key": user_key}

    def send(content: bytes, **data: str) -> Response:
        return api.post(
            "/api/v1/affinity/finetune",
            headers=headers,
            files={"file": ("assay.csv", content, "text/csv")},
            data=data,
        )

    def refused(content: bytes, **data: str) -> str:
        """A schema-valid upload whose rows cannot be used: 202, a job already failed."""
        response = send(content, **data)
        assert response.status_code == 202, response.text
        job = response.json()
        assert job["status"] == "failed"
        assert job["attempts"] == 0
        stored = api.get(f"/api/v1/jobs/{job['id']}", headers=headers).json()
        assert stored["status"] == "failed"
        assert stored["error"] == job["error"]
        return str(job["error"])

    two_numeric = b"smiles,pki,pic50\nCCO,5,6\n"
    assert "candidates pki, pic50" in refused(two_numeric)
    assert "no column 'pkd'" in refused(two_numeric, target_column="pkd")
    too_few = _assay(tmp_path / "few.csv", n=5).read_bytes()
    assert "at least 20" in refused(too_few)
    words = b"smiles,pki\n" + b"CCO,high\n" * 25
    assert "pki" in refused(words, target_column="pki")
    assert refused(b"\x89PNG\r\n\x1a\n\x00").startswith("file: not a UTF-8 CSV file")
    # What the schema states is still refused as a request (422), naming the field.
    empty = send(b"")
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "file"]
    letters = send(two_numeric, target_column="pki", target_sequence="MKT1234567890")
    assert letters.status_code == 422
    assert letters.json()["detail"][0]["loc"] == ["body", "target_sequence"]
    assert api.get("/api/v1/jobs", headers=headers).json()["jobs"][0]["status"] == "failed"
    unknown = api.post(
        "/api/v1/affinity/predict",
        headers=headers,
        json={"model": "ft-0123456789ab", "pairs": [{"smiles": "CCO", "sequence": SEQUENCE}]},
    )
    assert unknown.status_code == 404
    assert "affinity-finetune" in unknown.json()["detail"]
    path = api.post(
        "/api/v1/affinity/predict",
        headers=headers,
        json={"model": "/etc", "pairs": [{"smiles": "CCO", "sequence": SEQUENCE}]},
    )
    assert path.status_code == 422  # a name, never a server path


@pytest.mark.slow
def test_finetune_job_makes_a_model_that_predict_serves(
    live_server: str, user_key: str, worker: Callable[[], object], tmp_path: Path
) -> None:
    worker()
    assay = _assay(tmp_path / "assay.csv", n=30, bad=True)
    with Client(live_server, user_key) as client:
        job = client.finetune(
            assay, base="kiba-lite", target_sequence=SEQUENCE, epochs=3, lite=True
        )
        client.wait(job.id, timeout=240)
        result = client.result(job.id)
        name = result["model"]
        assert name.startswith("ft-")
        assert result["target"] == "pki"  # the only numeric column, found
        assert result["compounds"] == 29
        assert result["skipped"][0]["line"] == 5
        assert 0 < result["oof_rmse"] < 5
        assert result["lite"]["model"] == f"{name}-lite"
        assert 0 < result["lite"]["oof_rmse"] < 5
        listed = client.models().finetuned
        assert [m.name for m in listed] == [name, f"{name}-lite"]
        assert listed[0].base == "kiba-lite"
        assert listed[1].members == 1
        fast = client.predict([{"smiles": "CCCCO", "sequence": SEQUENCE}], model=f"{name}-lite")
        assert fast.rows[0]["in_domain"] is True
        scored = client.predict(
            [
                {"smiles": "CCCCO", "sequence": SEQUENCE},
                {"smiles": "c1ccc2ccccc2c1", "sequence": SEQUENCE},
            ],
            model=name,
        )
        assert scored.target == "pki"
        assert [r["in_domain"] for r in scored.rows] == [True, False]
        with pytest.raises(ServiceError, match="finetune"):
            client.result(job.id, "csv")  # not a table: JSON only
    frame = pd.DataFrame(scored.rows)
    assert frame["unc_pki"][1] >= frame["unc_pki"][0]


def test_form_fields_mean_what_the_schema_says(api: TestClient, user_key: str) -> None:
    """A form has no null and no loose booleans: what the schema allows, the server takes."""
    spec = api.get("/api/v1/openapi.json").json()
    ref = spec["paths"]["/api/v1/affinity/finetune"]["post"]["requestBody"]["content"]
    name = ref["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = spec["components"]["schemas"][name]["properties"]
    assert all("anyOf" not in node for node in fields.values())
    assert fields["target_sequence"]["pattern"].startswith("^(?:")
    assert fields["target_column"]["minLength"] == 1
    headers = {"X-API-Key": user_key}
    csv = b"smiles,pki\nCCO,5\n"

    def status(**data: str) -> tuple[int, object]:
        response = api.post(
            "/api/v1/affinity/finetune",
            headers=headers,
            files={"file": ("assay.csv", csv, "text/csv")},
            data=data,
        )
        body = response.json()
        return response.status_code, body["detail"][0]["loc"] if "detail" in body else None

    assert status(lite="0") == (422, ["body", "lite"])
    assert status(epochs="") == (422, ["body", "epochs"])
    assert status(target_sequence="null") == (422, ["body", "target_sequence"])
    assert status(lite="TRUE", target_column="pki") == (202, None)  # a job, refused for 1 row
    upload = api.post(
        "/api/v1/affinity/upload",
        headers=headers,
        files={"file": ("pairs.csv", csv, "text/csv")},
        data={"model": ""},
    )
    assert upload.status_code == 422
    assert upload.json()["detail"][0]["loc"] == ["body", "model"]
    twice = api.post(
        "/api/v1/affinity/upload",
        headers=headers,
        files=[("file", ("pairs.csv", csv, "text/csv"))],
        data={"model": ["davis", "kiba"]},
    )
    assert twice.status_code == 422
    assert twice.json()["detail"][0]["msg"] == "sent 2 times: send it once"
