"""The Python SDK and the ``biomedfm remote`` / ``biomedfm keys`` commands against a live server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from biomedfm.cli.main import app
from biomedfm.client import Client, ServiceError
from tests.service.conftest import SEQUENCE

runner = CliRunner()


def test_keys_commands_create_list_revoke(home: Path) -> None:
    created = runner.invoke(app, ["keys", "create", "--name", "lab7", "--quota", "5"])
    assert created.exit_code == 0, created.output
    assert created.stdout.strip().startswith("bmf_")
    duplicate = runner.invoke(app, ["keys", "create", "--name", "lab7"])
    assert duplicate.exit_code == 2
    assert "pick another --name" in duplicate.output
    listed = runner.invoke(app, ["keys", "list"])
    assert "lab7" in listed.stdout
    assert "active" in listed.stdout
    revoked = runner.invoke(app, ["keys", "revoke", "lab7"])
    assert revoked.exit_code == 0
    assert "revoked" in runner.invoke(app, ["keys", "list"]).stdout
    assert runner.invoke(app, ["keys", "revoke", "nobody"]).exit_code == 2


@pytest.mark.slow
def test_sdk_predict_screen_ask_and_errors(
    live_server: str, user_key: str, worker: Callable[[], object]
) -> None:
    worker()
    with Client(live_server, user_key) as client:
        assert client.health().status == "ok"
        assert "davis-lite" in {m.name for m in client.models().models}
        predicted = client.predict([{"smiles": "CCO", "sequence": SEQUENCE}])
        assert predicted.rows[0]["pred_pkd"] is not None
        job = client.screen(
            targets=[{"name": "T1", "sequence": SEQUENCE}],
            compounds=[
                {"id": "a", "smiles": "CCO"},
                {"id": "b", "smiles": "c1ccccc1O"},
                {"id": "c", "smiles": "bad(("},
            ],
            top=2,
        )
        client.wait(job.id, timeout=90)
        hits = client.result(job.id)
        assert [h["rank"] for h in hits["rows"]] == [1, 2]
        assert hits["rows"][0]["pred_pkd"] >= hits["rows"][1]["pred_pkd"]
        assert [bad["id"] for bad in hits["invalid"]] == ["c"]
        events = client.events(job.id)
        assert events[-1].status == "succeeded"
        chain = client.ask(
            "Does drug Q lower LDL cholesterol?",
            contexts=["Drug Q did not significantly lower LDL cholesterol versus placebo."],
        )
        # the decision model says "no"; it stands only if the reader marks the quote as
        # contradicting (reader 2026.12 often misreads "did not significantly lower", so the
        # consistency rule may answer "maybe"): never "yes" above this quote
        assert chain["decision"] in {"no", "maybe"}
        stances = {c["stance"] for c in chain["claims"][0]["citations"]}
        assert chain["decision"] != "no" or "contradicts" in stances
        with pytest.raises(ServiceError, match=r"pairs: .*at least 1"):
            client.predict([])
    with Client(live_server, "bmf_bad_key") as anonymous, pytest.raises(ServiceError) as error:
        anonymous.jobs()
    assert error.value.status == 401


@pytest.mark.slow
def test_remote_commands(
    live_server: str,
    user_key: str,
    worker: Callable[[], object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker()
    monkeypatch.setenv("BIOMEDFM_URL", live_server)
    monkeypatch.setenv("BIOMEDFM_API_KEY", user_key)
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"smiles,sequence\nCCO,{SEQUENCE}\nnope((,{SEQUENCE}\n")
    out = tmp_path / "out.csv"
    predicted = runner.invoke(app, ["remote", "predict", "-i", str(pairs), "-o", str(out)])
    assert predicted.exit_code == 0, predicted.output
    lines = out.read_text().strip().splitlines()
    assert lines[0] == (
        "smiles,sequence,pred_pkd,unc_pkd,in_domain,nearest_compound_similarity,"
        "nearest_target_identity,kinase_score,error"
    )
    assert len(lines) == 3
    asked = runner.invoke(
        app, ["remote", "ask", "Does anything help?", "--json"], catch_exceptions=False
    )
    assert asked.exit_code == 2  # the service has no corpus yet: a clear error, not a traceback
    assert "no evidence corpus" in asked.output
    unusable = tmp_path / "unusable.csv"
    unusable.write_text("smiles,protein\nCCO,MKT\n")
    refused = runner.invoke(app, ["remote", "predict", "-i", str(unusable), "-o", str(out)])
    assert refused.exit_code == 2  # the refused job's reason, as a refused request's
    assert "lacks column(s) sequence" in refused.output
    assert "422" in refused.output
    listed = runner.invoke(app, ["remote", "jobs"])
    assert "affinity-predict" in listed.stdout
    health = runner.invoke(app, ["remote", "health"])
    assert json.loads(health.stdout)["status"] == "ok"
