"""`biomedfm evidence stance|effect`: the JSONL contracts, and bad lines that spare the rest."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from biomedfm.cli.main import app
from tests.unit.evidence.test_reader import CLAIM, TRIAL

runner = CliRunner()


def run(command: str, tmp_path: Path, lines: list[str]) -> tuple[list[dict[str, object]], str]:
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["evidence", command, "-i", str(source), "-o", str(output)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in output.read_text().splitlines()], result.output


def test_stance_contract_and_bad_lines(tmp_path: Path) -> None:
    good = {"id": "a", "claim": CLAIM, "evidence": "Aspirin did not reduce mortality (p = 0.5)."}
    rows, messages = run(
        "stance",
        tmp_path,
        [
            json.dumps(good),
            json.dumps({"id": "b", "claim": CLAIM}),
            "{not json",
            json.dumps({"id": "c", "claim": CLAIM, "evidence": ""}),
            json.dumps({"id": "d", "claim": CLAIM, "evidence": "x" * 30_000}),
            json.dumps({**good, "id": "e", "evidence": "The car park was resurfaced."}),
        ],
    )
    assert len(rows) == 6
    assert rows[0]["id"] == "a"
    assert rows[0]["claim"] == CLAIM  # the input is kept
    assert rows[0]["stance"] == "contradicts"
    total = sum(float(rows[0][k]) for k in ("p_supports", "p_contradicts", "p_neutral"))  # type: ignore[arg-type]
    assert abs(total - 1) < 1e-3
    assert rows[1] == {"line": 2, "error": "missing field(s) evidence"}
    assert "not JSON" in str(rows[2]["error"])
    assert "'evidence' must be a non-empty string" in str(rows[3]["error"])
    assert "limit is 20,000" in str(rows[4]["error"])
    assert rows[5]["stance"] == "neutral"
    assert "read 2 pair(s), 4 bad line(s)" in messages


def test_effect_contract_and_bad_lines(tmp_path: Path) -> None:
    prompt = {"intervention": "aspirin", "comparator": "placebo", "outcome": "mortality"}
    rows, messages = run(
        "effect",
        tmp_path,
        [
            json.dumps({"id": 1, **prompt, "text": TRIAL}),
            json.dumps({"id": 2, **prompt}),
            json.dumps({"id": 3, **prompt, "text": ""}),
            json.dumps({"id": 4, **prompt, "text": "x " * 1_100_000}),
            json.dumps({"id": 5, **prompt, "text": 7}),
            json.dumps({"id": 6, **prompt, "text": TRIAL.replace("placebo", "control")}),
        ],
    )
    assert [r.get("id") for r in rows] == [1, 2, 3, 4, 5, 6]
    first = rows[0]
    assert first["effect"] in {"increased", "decreased", "no_difference"}
    assert "Mortality at one year" in str(first["quote"])
    assert TRIAL[int(first["start"]) : int(first["end"])] == first["quote"]  # type: ignore[call-overload]
    assert set(first) >= {"probability", "p_increased", "p_decreased", "p_no_difference"}
    assert rows[1]["error"] == "missing field(s) text"
    assert "'text' must be a non-empty string" in str(rows[2]["error"])
    assert "limit is 2,000,000" in str(rows[3]["error"])
    assert "must be strings" in str(rows[4]["error"])
    assert "effect" in rows[5]
    assert "read 2 trial(s), 4 bad line(s)" in messages


def test_missing_input_file_is_a_clear_error(tmp_path: Path) -> None:
    for command in ("stance", "effect"):
        result = runner.invoke(
            app, ["evidence", command, "-i", str(tmp_path / "nope.jsonl"), "-o", "x.jsonl"]
        )
        assert result.exit_code == 2
        assert "does not exist" in " ".join(result.output.split())
