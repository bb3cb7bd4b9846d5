"""The REST API with the real app, real SQLite and (where jobs run) a real worker process."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from biomedfm.service.keys import KeyStore
from tests.service.conftest import SEQUENCE, wait_for

PAIRS = [
    {"smiles": "CC(=O)Oc1ccccc1C(=O)O", "sequence": SEQUENCE, "id": "aspirin"},
    {"smiles": "not-a-smiles", "sequence": SEQUENCE, "id": "bad"},
]


def h(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def test_health_models_and_openapi_need_no_key(api: TestClient) -> None:
    health = api.get("/api/v1/health").json()
    assert health["status"] == "ok"
    assert health["queue"] == "sqlite"
    assert health["database"] == "sqlite"
    listing = api.get("/api/v1/models").json()
    names = {m["name"] for m in listing["models"]}
    assert {"davis", "davis-lite", "kiba", "kiba-lite"} <= names
    assert all(m["version"] == "2026.11" for m in listing["models"])
    cards = {(c["kind"], c["name"]): c for c in listing["cards"]}
    assert set(cards) >= {
        *(("affinity", n) for n in names),
        ("evidence", "reader"),
        ("evidence", "reader-direction"),
        ("evidence", "reader-outcome"),
        ("evidence", "reader-answer"),
        ("evidence", "decision"),
        ("dynamics", "flexibility"),
    }
    for card in cards.values():  # every shipped model says what it is for and its licence
        assert card["version"]
        assert "Intended use" in card["card"]
        assert "Licence" in card["card"]
    assert "Kinases only" in cards[("affinity", "davis")]["card"]
    spec = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/affinity/predict" in spec["paths"]
    # the codes the server can answer are in the spec, so generated clients know them
    predict = spec["paths"]["/api/v1/affinity/predict"]["post"]["responses"]
    assert {"200", "400", "401", "422", "429", "500"} <= set(predict)
    assert "404" in spec["paths"]["/api/v1/jobs/{job_id}"]["get"]["responses"]
    assert "413" in spec["paths"]["/api/v1/affinity/upload"]["post"]["responses"]
    # and the limits it enforces (the service settings' defaults here)
    schemas = spec["components"]["schemas"]
    assert schemas["PredictRequest"]["properties"]["pairs"]["maxItems"] == 1000
    assert schemas["PredictJobRequest"]["properties"]["pairs"]["maxItems"] == 100_000
    assert schemas["ScreenRequest"]["properties"]["targets"]["maxItems"] == 20
    smiles = schemas["AskRequest"]["properties"]["smiles"]["anyOf"][0]
    assert smiles["maxLength"] == 1000
    assert "/api/v1/evidence/ask" in spec["paths"]


def test_depictions_are_svg_and_bad_smiles_get_a_named_placeholder(api: TestClient) -> None:
    picture = api.get("/api/v1/depict", params={"smiles": "c1ccccc1O", "size": 100})
    assert picture.status_code == 200
    assert picture.headers["content-type"].startswith("image/svg+xml")
    assert picture.text.lstrip().startswith("<?xml")
    assert "<svg" in picture.text
    bad = api.get("/api/v1/depict", params={"smiles": "C1CC("})
    assert bad.status_code == 200
    assert "invalid SMILES" in bad.headers["X-Depiction-Error"]
    assert "invalid SMILES" in bad.text
    assert "<svg" in bad.text


def test_predict_refuses_missing_wrong_and_revoked_keys(
    api: TestClient, keys: KeyStore, user_key: str
) -> None:
    body = {"pairs": PAIRS[:1]}
    assert api.post("/api/v1/affinity/predict", json=body).status_code == 401
    forged = user_key[:-3] + "xyz"
    assert api.post("/api/v1/affinity/predict", json=body, headers=h(forged)).status_code == 401
    assert api.post("/api/v1/affinity/predict", json=body, headers=h(user_key)).status_code == 200
    keys.revoke("lab1")
    assert api.post("/api/v1/affinity/predict", json=body, headers=h(user_key)).status_code == 401


def test_predict_scores_valid_rows_and_explains_bad_ones(api: TestClient, user_key: str) -> None:
    response = api.post(
        "/api/v1/affinity/predict",
        json={"model": "davis-lite", "pairs": PAIRS},
        headers=h(user_key),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["target"] == "pkd"
    assert body["n_invalid"] == 1
    good, bad = body["rows"]
    assert good["id"] == "aspirin"
    assert 3.0 < good["pred_pkd"] < 11.0
    assert good["unc_pkd"] > 0
    assert good["error"] is None
    assert bad["pred_pkd"] is None
    assert "invalid SMILES" in bad["error"]


def test_field_level_422_for_schema_and_configured_limits(
    api: TestClient, user_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = api.post("/api/v1/affinity/predict", json={"pairs": []}, headers=h(user_key))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "pairs"]
    response = api.post(
        "/api/v1/affinity/predict",
        json={"pairs": [{"smiles": "C" * 2000, "sequence": SEQUENCE}]},
        headers=h(user_key),
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body", "pairs", 0, "smiles"]
    assert "limit of 1000" in detail[0]["msg"]
    response = api.post(
        "/api/v1/affinity/predict",
        json={"model": "no-such-model", "pairs": PAIRS[:1]},
        headers=h(user_key),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "model"]
    too_many = {"pairs": PAIRS[:1] * 1001}
    response = api.post("/api/v1/affinity/predict", json=too_many, headers=h(user_key))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "pairs"]


def test_body_size_limit(api: TestClient, user_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    big = json.dumps({"pairs": [{"smiles": "C", "sequence": "A" * 99_000}] * 600})
    response = api.post(
        "/api/v1/affinity/predict",
        content=big,
        headers={**h(user_key), "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_daily_quota_and_rate_limit(
    home: Path, keys: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from biomedfm.config import get_settings
    from biomedfm.service.app import create_app

    monkeypatch.setenv("BIOMEDFM_SERVICE__RATE_PER_MINUTE", "3")
    get_settings.cache_clear()
    limited = keys.create("small", quota_per_day=1)
    with TestClient(create_app(get_settings())) as api:
        body = {"pairs": PAIRS[:1]}
        assert (
            api.post("/api/v1/affinity/predict", json=body, headers=h(limited)).status_code == 200
        )
        second = api.post("/api/v1/affinity/predict", json=body, headers=h(limited))
        assert second.status_code == 429
        assert "daily quota" in second.json()["detail"]
        third = api.get("/api/v1/jobs", headers=h(limited))
        assert third.status_code == 200
        fourth = api.get("/api/v1/jobs", headers=h(limited))
        assert fourth.status_code == 429
        assert "rate limit" in fourth.json()["detail"]


def _submit_predict_job(api: TestClient, key: str, **headers: str) -> Any:
    response = api.post(
        "/api/v1/affinity/jobs",
        json={"model": "davis-lite", "pairs": PAIRS},
        headers={**h(key), **headers},
    )
    assert response.status_code in (200, 202)
    return response


@pytest.mark.slow
def test_prediction_job_runs_on_a_worker_and_is_private_to_its_key(
    api: TestClient, user_key: str, admin_key: str, keys: KeyStore, worker: Callable[[], object]
) -> None:
    worker()
    job = _submit_predict_job(api, user_key).json()
    assert job["status"] == "queued"
    final = wait_for(api, user_key, job["id"])
    assert final["status"] == "succeeded", final
    csv = api.get(f"/api/v1/jobs/{job['id']}/result?format=csv", headers=h(user_key)).text
    header, first, second = csv.strip().splitlines()
    assert header.split(",") == [
        *("smiles", "sequence", "id", "pred_pkd", "unc_pkd"),
        *("in_domain", "nearest_compound_similarity", "nearest_target_identity", "kinase_score"),
        "error",
    ]
    assert first.split(",")[2] == "aspirin"
    assert "invalid SMILES" in second
    other = keys.create("lab2")
    assert api.get(f"/api/v1/jobs/{job['id']}", headers=h(other)).status_code == 404
    assert api.get("/api/v1/jobs", headers=h(other)).json()["jobs"] == []
    assert api.get(f"/api/v1/jobs/{job['id']}", headers=h(admin_key)).status_code == 200
    admin_view = api.get("/api/v1/jobs", headers=h(admin_key)).json()["jobs"]
    assert [j["id"] for j in admin_view] == [job["id"]]


def test_idempotency_key_makes_one_job(api: TestClient, user_key: str) -> None:
    first = _submit_predict_job(api, user_key, **{"Idempotency-Key": "run-42"})
    second = _submit_predict_job(api, user_key, **{"Idempotency-Key": "run-42"})
    third = _submit_predict_job(api, user_key, **{"Idempotency-Key": "run-43"})
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert third.json()["id"] != first.json()["id"]
    assert len(api.get("/api/v1/jobs", headers=h(user_key)).json()["jobs"]) == 2


def test_cancel_a_queued_job_and_result_of_unfinished_job(api: TestClient, user_key: str) -> None:
    job = _submit_predict_job(api, user_key).json()
    pending = api.get(f"/api/v1/jobs/{job['id']}/result", headers=h(user_key))
    assert pending.status_code == 409
    cancelled = api.post(f"/api/v1/jobs/{job['id']}/cancel", headers=h(user_key)).json()
    assert cancelled["status"] == "cancelled"


def test_jobs_and_results_survive_a_server_restart(
    home: Path, user_key: str, worker: Callable[[], object]
) -> None:
    from biomedfm.config import get_settings
    from biomedfm.service.app import create_app

    with TestClient(create_app(get_settings())) as api:
        job = _submit_predict_job(api, user_key).json()
    worker()  # runs while no server is up
    with TestClient(create_app(get_settings())) as api:
        final = wait_for(api, user_key, job["id"])
        assert final["status"] == "succeeded"
        result = api.get(f"/api/v1/jobs/{job['id']}/result", headers=h(user_key)).json()
        assert result["rows"][0]["id"] == "aspirin"


def test_upload_csv_and_bad_uploads(api: TestClient, user_key: str) -> None:
    good = f"id,smiles,sequence\na,CCO,{SEQUENCE}\n".encode()
    response = api.post(
        "/api/v1/affinity/upload",
        files={"file": ("pairs.csv", good, "text/csv")},
        data={"model": "davis-lite"},
        headers=h(user_key),
    )
    assert response.status_code == 202
    assert response.json()["kind"] == "affinity-predict"
    missing = b"smiles,protein\nCCO,AAAA\n"
    response = api.post(
        "/api/v1/affinity/upload",
        files={"file": ("pairs.csv", missing, "text/csv")},
        headers=h(user_key),
    )
    # The request is well formed, its file is not: a job that has already failed, saying why.
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "failed"
    assert job["error"].startswith("file: CSV lacks column(s) sequence; found smiles, protein")
    assert api.get(f"/api/v1/jobs/{job['id']}", headers=h(user_key)).json()["status"] == "failed"
    long_row = f"smiles,sequence\nCCO,{SEQUENCE}\n{'C' * 20_000},{SEQUENCE}\n".encode()
    response = api.post(
        "/api/v1/affinity/upload",
        files={"file": ("pairs.csv", long_row, "text/csv")},
        headers=h(user_key),
    )
    assert response.status_code == 202
    assert response.json()["error"].startswith("file, row 2, smiles: 20000 SMILES characters")
    empty = api.post(
        "/api/v1/affinity/upload",
        files={"file": ("pairs.csv", b"", "text/csv")},
        headers=h(user_key),
    )
    assert empty.status_code == 422  # the schema says a file has at least one byte


def test_ask_validates_molecule_pairs_and_ingest_needs_admin(
    api: TestClient, user_key: str
) -> None:
    response = api.post(
        "/api/v1/evidence/ask",
        json={"question": "Does X help?", "smiles": "CCO"},
        headers=h(user_key),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "sequence"]
    response = api.post("/api/v1/evidence/ingest", json={"path": "/x"}, headers=h(user_key))
    assert response.status_code == 403


@pytest.mark.slow
def test_evidence_job_streams_progress_and_returns_a_verified_chain(
    api: TestClient, user_key: str, worker: Callable[[], object]
) -> None:
    worker()
    body = {
        "question": "Does drug A reduce blood pressure?",
        "contexts": [
            "In a randomized controlled trial of 240 adults, drug A significantly reduced "
            "systolic blood pressure compared with placebo (p < 0.001)."
        ],
    }
    job = api.post("/api/v1/evidence/ask", json=body, headers=h(user_key)).json()
    events = []
    with api.stream("GET", f"/api/v1/jobs/{job['id']}/events", headers=h(user_key)) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert events[-1]["status"] == "succeeded"
    assert len(events) >= 2
    result = api.get(f"/api/v1/jobs/{job['id']}/result", headers=h(user_key)).json()
    chain = result["chain"]
    assert chain["decision"] == "yes"
    quote = chain["claims"][0]["citations"][0]["quote"]
    assert quote in body["contexts"][0]
    assert result["trace"][0]["agent"] == "planner"
    csv = api.get(f"/api/v1/jobs/{job['id']}/result?format=csv", headers=h(user_key))
    assert csv.status_code == 409  # an evidence chain is not a table


def test_metrics_and_access_log_without_bodies(
    api: TestClient, user_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret_question = "Unpublished question about compound ZX-99?"
    with caplog.at_level(logging.INFO, logger="biomedfm.service.access"):
        api.post("/api/v1/evidence/ask", json={"question": secret_question}, headers=h(user_key))
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name.endswith("access")]
    assert lines[-1]["route"] == "/api/v1/evidence/ask"
    assert lines[-1]["key"] == "lab1"
    assert "ZX-99" not in caplog.text
    metrics = api.get("/metrics").text
    assert 'biomedfm_requests_total{method="POST",route="/api/v1/evidence/ask",status="202"}' in (
        metrics
    )


def test_screen_targets_are_checked_at_submission(api: TestClient, user_key: str) -> None:
    body = {
        "model": "davis-lite",
        "targets": [
            {"name": "T1", "sequence": SEQUENCE},
            {"name": "T1", "sequence": "MKV1234QQ"},
        ],
        "compounds": [{"id": "a", "smiles": "CCO"}],
    }
    response = api.post("/api/v1/affinity/screen", json=body, headers=h(user_key))
    assert response.status_code == 422
    problems = {tuple(p["loc"]): p["msg"] for p in response.json()["detail"]}
    assert list(problems) == [("body", "targets", 1, "sequence")]
    assert "non-amino-acid" in problems[("body", "targets", 1, "sequence")]


def test_repeated_target_names_are_numbered_not_refused(api: TestClient, user_key: str) -> None:
    from biomedfm.service.schemas import ScreenRequest

    targets = [{"name": n, "sequence": SEQUENCE} for n in ("T1", "T1", "T2", "T1")]
    body = {"model": "davis-lite", "targets": targets, "compounds": [{"id": "a", "smiles": "CCO"}]}
    names = [t.name for t in ScreenRequest.model_validate(body).targets]
    assert names == ["T1", "T1 (2)", "T2", "T1 (3)"]
    response = api.post("/api/v1/affinity/screen", json=body, headers=h(user_key))
    assert response.status_code == 202, response.text


def test_uncapped_usage_is_flushed_off_the_request_path(
    keys: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from biomedfm.service import keys as keys_module

    monkeypatch.setattr(keys_module, "FLUSH_S", 0.0)
    keys.create("busy")
    key = keys.list()[-1]
    for _ in range(50):
        assert keys.spend(key)
    deadline = time.monotonic() + 10
    while keys._flushing and time.monotonic() < deadline:  # the background writer finishes
        time.sleep(0.01)
    assert keys.used_today(key) == 50


def test_stance_and_effect_endpoints_read_with_the_reader(api: TestClient, user_key: str) -> None:
    claim = "Aspirin reduces mortality"
    body = {
        "pairs": [
            {"id": "r", "claim": claim, "evidence": "Aspirin did not reduce mortality (p = 0.7)."},
            {"id": "o", "claim": claim, "evidence": "The car park was resurfaced in 2019."},
        ]
    }
    response = api.post("/api/v1/evidence/stance", json=body, headers=h(user_key))
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert [r["id"] for r in rows] == ["r", "o"]
    assert rows[0]["stance"] == "contradicts"
    assert rows[1]["stance"] == "neutral"
    blank = {"pairs": [{"claim": claim, "evidence": "   "}]}
    response = api.post("/api/v1/evidence/stance", json=blank, headers=h(user_key))
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["loc"] == ["body", "pairs", 0, "evidence"]
    assert "only white space" in problem["msg"]
    too_many = {"pairs": [{"claim": claim, "evidence": "x"}] * 257}
    assert (
        api.post("/api/v1/evidence/stance", json=too_many, headers=h(user_key)).status_code == 422
    )

    text = (
        "ABSTRACT.RESULTS:\nWe randomised 300 adults to drug Q or placebo. Nausea did not differ "
        "between drug Q and placebo (12% vs 11%, p = 0.80).\n"
    )
    prompt = {"intervention": "drug Q", "comparator": "placebo", "outcome": "nausea"}
    response = api.post(
        "/api/v1/evidence/effect", json={**prompt, "text": text, "id": "t1"}, headers=h(user_key)
    )
    assert response.status_code == 200, response.text
    finding = response.json()
    assert finding["id"] == "t1"
    assert finding["effect"] == "no_difference"
    assert text[finding["start"] : finding["end"]] == finding["quote"]
    response = api.post(
        "/api/v1/evidence/effect", json={**prompt, "text": "n=4"}, headers=h(user_key)
    )
    assert response.status_code == 422
    assert "no sentence long enough" in response.text
    assert api.post("/api/v1/evidence/effect", json=prompt).status_code == 401
