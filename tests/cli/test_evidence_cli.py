"""`biomedfm evidence ingest|search` on a corpus the test writes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from biomedfm.cli.main import app
from tests.conftest import FakeChatServer

runner = CliRunner()


def ingest_one(tmp_path: Path, abstract: str) -> Path:
    """Index a one-document corpus (id ``p1``) and return the index directory."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"id": "p1", "abstract": abstract}) + "\n")
    index = tmp_path / "idx"
    result = runner.invoke(app, ["evidence", "ingest", "-i", str(corpus), "--index", str(index)])
    assert result.exit_code == 0, result.output
    return index


def ask(index: Path, question: str, *options: str) -> Result:
    """`biomedfm evidence ask QUESTION --index INDEX [options]`."""
    return runner.invoke(app, ["evidence", "ask", question, "--index", str(index), *options])


def test_ingest_twice_then_search(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        json.dumps({"id": "p1", "title": "Statins", "abstract": "Statins reduce stroke."})
        + "\n"
        + "garbage\n"
        + json.dumps({"id": "p2", "abstract": "Aspirin raises bleeding risk. It was small."})
        + "\n"
    )
    index = tmp_path / "idx"
    result = runner.invoke(app, ["evidence", "ingest", "-i", str(corpus), "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert "2 added, 0 already stored, 1 malformed" in result.output
    assert "corpus.jsonl:2" in result.output
    result = runner.invoke(app, ["evidence", "ingest", "-i", str(corpus), "--index", str(index)])
    assert "0 added, 2 already stored" in result.output
    result = runner.invoke(
        app, ["evidence", "search", "aspirin bleeding", "--index", str(index), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["id"] == "p2"
    result = runner.invoke(
        app, ["evidence", "search", "bleeding", "--index", str(index), "--sentences", "--json"]
    )
    hits = json.loads(result.output)
    assert hits[0] == {
        "id": "p2:s0",
        "score": hits[0]["score"],
        "text": "Aspirin raises bleeding risk.",
    }


def test_search_without_index_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["evidence", "search", "x", "--index", str(tmp_path)])
    assert result.exit_code == 2
    assert "run 'biomedfm evidence ingest' first" in " ".join(result.output.split())


def test_ingest_unknown_format(tmp_path: Path) -> None:
    corpus = tmp_path / "c.csv"
    corpus.write_text("id,abstract\n")
    result = runner.invoke(
        app, ["evidence", "ingest", "-i", str(corpus), "--index", str(tmp_path / "i")]
    )
    assert result.exit_code == 2
    assert "unknown corpus format" in " ".join(result.output.split())


def test_ask_and_answer(tmp_path: Path) -> None:
    index = ingest_one(
        tmp_path,
        "Patients were randomized to aspirin or placebo. Aspirin significantly reduced "
        "mortality after myocardial infarction.",
    )
    result = ask(index, "Does aspirin reduce mortality after myocardial infarction?", "--json")
    assert result.exit_code == 0, result.output
    chain = json.loads(result.output)
    assert chain["decision"] == "yes"
    assert chain["claims"][0]["citations"][0]["doc_id"] == "p1"
    assert [step["agent"] for step in chain["trace"]][1:3] == ["retriever", "reader"]
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps(
            {
                "id": "a",
                "question": "Does aspirin reduce mortality?",
                "contexts": ["Aspirin significantly reduced mortality."],
            }
        )
        + "\n"
        + "{broken\n"
        + json.dumps({"id": "b", "question": "Does aspirin help?"})
        + "\n"
    )
    out = tmp_path / "a.jsonl"
    result = runner.invoke(
        app, ["evidence", "answer", "-i", str(questions), "-o", str(out), "--with-context"]
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records[0]["id"] == "a"
    assert records[0]["decision"] == "yes"
    assert records[0]["claims"][0]["citations"][0]["quote"] == (
        "Aspirin significantly reduced mortality."
    )
    assert records[1]["line"] == 2
    assert "contexts" in records[2]["error"]
    assert "2 bad line(s)" in result.output


def test_ask_with_molecule_flags(tmp_path: Path) -> None:
    index = ingest_one(tmp_path, "Erlotinib inhibits EGFR.")
    question = "Does erlotinib inhibit EGFR?"
    result = ask(index, question, "--smiles", "CCO")
    assert result.exit_code == 2
    assert "together" in result.output
    result = ask(index, question, "--smiles", "C1CC(", "--sequence", "MKTAYIAKQRQISF")
    assert result.exit_code == 2
    assert "invalid SMILES" in result.output
    result = ask(
        index,
        question,
        "--smiles",
        "CCO",
        "--sequence",
        "MKTAYIAKQRQISF",
        "--affinity-model",
        "davis-lite",
        "--json",
    )
    assert result.exit_code == 0, result.output
    chain = json.loads(result.output)
    assert chain["claims"][-1]["citations"][0]["doc_id"] == "model:davis-lite"


def test_ask_with_an_llm_server(tmp_path: Path, llm_server: str) -> None:
    FakeChatServer.reply = '{"decision": "no", "summary": "Refuted [1]."}'
    index = ingest_one(
        tmp_path, "Aspirin significantly reduced mortality after myocardial infarction."
    )
    question = "Does aspirin reduce mortality?"
    result = ask(index, question, "--llm-base-url", llm_server, "--llm-model", "m", "--json")
    assert result.exit_code == 0, result.output
    chain = json.loads(result.output)
    # the LLM said "no" above a quote that supports the claim: the chain cannot carry a "no"
    assert chain["decision"] == "maybe"
    assert chain["summary"] == "Refuted [1]."
    assert any("no quote contradicts" in note for note in chain["notes"])
    result = ask(index, question, "--llm-base-url", "http://127.0.0.1:9/v1")
    assert result.exit_code == 2
    assert "LLM server error" in result.output
