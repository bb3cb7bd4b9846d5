"""Fine-tuning through the service: upload an assay, get a model by name, predict with it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from biomedfm.client import Client, ServiceError
from tests.cli.test_affinity_finetune_cli import SEQUENCE, _assay


def test_bad_assays_are_refused_before_a_job_naming_the_fix(
    api: TestClient, user_key: str, tmp_path: Path
) -> None:
    headers = {"X-API-Key": user_key}

    def post(content: bytes, **data: str) -> dict[str, object]:
        response = api.post(
            "/api/v1/affinity/finetune",
            headers=headers,
            files={"file": ("assay.csv", content, "text/csv")},
            data=data,
        )
        assert response.status_code == 422, response.text
        return response.json()["detail"][0]  # type: ignore[no-any-return]

    two_numeric = b"smiles,pki,pic50\nCCO,5,6\n"
    assert "candidates pki, pic50" in str(post(two_numeric)["msg"])
    assert "no column 'pkd'" in str(post(two_numeric, target_column="pkd")["msg"])
    too_few = _assay(tmp_path / "few.csv", n=5).read_bytes()
    assert "at least 20" in str(post(too_few)["msg"])
    words = b"smiles,pki\n" + b"CCO,high\n" * 25
    assert "pki" in str(post(words, target_column="pki")["msg"])
    assert post(b"")["loc"] == ["body", "file"]
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
