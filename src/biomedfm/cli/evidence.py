"""``biomedfm evidence ingest|search``: parse → call the library → print."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from biomedfm.cli.output import print_error, register_models_command
from biomedfm.errors import BiomedfmError
from biomedfm.evidence.llm.base import LLM

app = typer.Typer(
    help="Chain-of-evidence over a local corpus: ingest, search, ask, answer.", no_args_is_help=True
)
err = Console(stderr=True)
STORE_FILE = "corpus.sqlite"
LLM_URL_OPTION = typer.Option(
    None, "--llm-base-url", help="OpenAI-compatible server (or BIOMEDFM_LLM__BASE_URL)."
)
LLM_MODEL_OPTION = typer.Option(None, "--llm-model", help="Model name (or BIOMEDFM_LLM__MODEL).")
LLM_EMBEDDED_OPTION = typer.Option(
    False,
    "--llm-embedded",
    help="Use the embedded llama.cpp model (extra 'llm'; or BIOMEDFM_LLM__EMBEDDED=1).",
)


def _require_index(index: Path, level: str) -> None:
    """Exit with a clear message when ``index`` was not made by ``evidence ingest``."""
    from biomedfm.evidence.retrieval.bm25 import has_index

    if not has_index(index, level):
        print_error(err, f"{index} holds no index: run 'biomedfm evidence ingest' first")
        raise typer.Exit(code=2)


def _require_input(input: Path) -> None:
    """Exit with a clear message when a batch input file is missing."""
    if not input.is_file():
        print_error(err, f"input file {input} does not exist")
        raise typer.Exit(code=2)


def _llm(base_url: str | None, model: str | None, embedded: bool = False) -> LLM | None:
    """The configured LLM, or None for the LLM-free default."""
    from biomedfm.evidence.llm import configured_llm

    try:
        return configured_llm(base_url, model, embedded)
    except BiomedfmError as error:
        print_error(err, error)
        raise typer.Exit(code=2) from None


@app.command()
def ingest(
    inputs: list[Path] = typer.Option(
        ...,
        "--input",
        "-i",
        help="Corpus file(s): .jsonl, .json (PubMedQA) or .xml (PubMed/MEDLINE), .gz allowed.",
    ),
    index: Path = typer.Option(
        ..., help="Index directory (created; re-ingesting adds only new documents)."
    ),
    dense: bool = typer.Option(True, help="Also embed with MiniLM for hybrid search."),
) -> None:
    """Store new documents and sentences, then rebuild the BM25 (and dense) indexes."""
    from biomedfm.evidence.ingest import read_corpus
    from biomedfm.evidence.retrieval.bm25 import build_indexes
    from biomedfm.evidence.store import EvidenceStore

    store = EvidenceStore(index / STORE_FILE)
    try:
        for path in inputs:
            report = store.add(read_corpus(path))
            err.print(
                f"{path.name}: {report.added} added, {report.duplicates} already stored, "
                f"{len(report.problems)} malformed"
            )
            for problem in report.problems[:20]:
                err.print(f"  [yellow]skipped[/yellow] {problem.location}: {problem.reason}")
        build_indexes(store, index, dense=dense)
        err.print(f"index {index}: {len(store)} documents")
    except BiomedfmError as error:
        print_error(err, error)
        raise typer.Exit(code=2) from None
    finally:
        store.close()


@app.command()
def search(
    query: str = typer.Argument(..., help="Free-text query."),
    index: Path = typer.Option(..., help="Index directory made by 'evidence ingest'."),
    k: int = typer.Option(5, "-k", min=1, help="Number of hits."),
    sentences: bool = typer.Option(False, help="Rank sentences instead of documents."),
    as_json: bool = typer.Option(False, "--json", help="Print hits as JSON."),
) -> None:
    """Hybrid search (BM25 + MiniLM, reciprocal-rank fusion) of the indexed corpus."""
    from biomedfm.evidence.retrieval.hybrid import HybridRetriever
    from biomedfm.evidence.store import EvidenceStore

    level = "sentences" if sentences else "documents"
    _require_index(index, level)
    hits = HybridRetriever.load(index, level).search(query, k)
    store = EvidenceStore(index / STORE_FILE)
    rows: list[dict[str, str | float]] = []
    for hit in hits:
        if sentences:
            sentence = store.sentence(hit.id)
            text = sentence.text if sentence else ""
        else:
            document = store.document(hit.id)
            text = (document.title or document.abstract[:200]) if document else ""
        rows.append({"id": hit.id, "score": round(hit.score, 4), "text": text})
    store.close()
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title=f"{len(rows)} hit(s) for {query!r}")
    for column in ("id", "score", "text"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["id"]), f"{row['score']:.4f}", str(row["text"]))
    Console().print(table)


@app.command()
def ask(
    question: str = typer.Argument(..., help="A yes/no research question."),
    index: Path = typer.Option(..., help="Index directory made by 'evidence ingest'."),
    as_json: bool = typer.Option(False, "--json", help="Print the chain (and trace) as JSON."),
    smiles: str | None = typer.Option(None, help="Molecule to add an affinity prediction for."),
    sequence: str | None = typer.Option(None, help="Target protein sequence (with --smiles)."),
    affinity_model: str = typer.Option("davis", help="Affinity model for --smiles/--sequence."),
    llm_base_url: str | None = LLM_URL_OPTION,
    llm_model: str | None = LLM_MODEL_OPTION,
    llm_embedded: bool = LLM_EMBEDDED_OPTION,
) -> None:
    """Answer one question with a verified chain of evidence (no LLM)."""
    from biomedfm.evidence.agents.team import EvidenceTeam

    if (smiles is None) != (sequence is None):
        print_error(err, "give --smiles and --sequence together")
        raise typer.Exit(code=2)
    molecules = [(smiles, sequence)] if smiles is not None and sequence is not None else None

    _require_index(index, "documents")
    try:
        chain, trace = EvidenceTeam.from_index(
            index, _llm(llm_base_url, llm_model, llm_embedded)
        ).answer(question, molecules=molecules, affinity_model=affinity_model)
    except BiomedfmError as error:
        print_error(err, error)
        raise typer.Exit(code=2) from None
    if as_json:
        payload = {**chain.model_dump(mode="json"), "trace": trace.model_dump()["steps"]}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        sys.stdout.write(chain.to_markdown())


@app.command()
def answer(
    input: Path = typer.Option(..., "--input", "-i", help="JSONL: {id, question[, contexts]}."),
    output: Path = typer.Option(..., "--output", "-o", help="JSONL of chains."),
    index: Path | None = typer.Option(None, help="Index directory (retrieval setting)."),
    with_context: bool = typer.Option(
        False, help="Answer each question from its own 'contexts' (PubMedQA setting)."
    ),
    llm_base_url: str | None = LLM_URL_OPTION,
    llm_model: str | None = LLM_MODEL_OPTION,
    llm_embedded: bool = LLM_EMBEDDED_OPTION,
) -> None:
    """Answer a batch; bad lines are reported on stderr and get an 'error' record."""
    from biomedfm.evidence.agents.team import EvidenceTeam

    _require_input(input)
    if not with_context and (index is None or not (index / "bm25_documents").is_dir()):
        print_error(err, "give --index (made by 'evidence ingest') or --with-context")
        raise typer.Exit(code=2)
    llm = _llm(llm_base_url, llm_model, llm_embedded)
    team = EvidenceTeam.from_index(index, llm) if index is not None and not with_context else None
    done = failed = 0
    with input.open() as lines, output.open("w") as out:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                question_id, question = str(record["id"]), str(record["question"])
                if with_context:
                    contexts = record.get("contexts")
                    if not isinstance(contexts, list) or not contexts:
                        raise ValueError("--with-context needs a non-empty 'contexts' list")
                    chain, _ = EvidenceTeam.from_contexts(
                        [str(c) for c in contexts], question_id, llm
                    ).answer(question, question_id)
                else:
                    assert team is not None
                    chain, _ = team.answer(question, question_id)
                out.write(chain.model_dump_json() + "\n")
                done += 1
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, BiomedfmError) as error:
                failed += 1
                reason = f"missing field {error}" if isinstance(error, KeyError) else str(error)
                err.print(f"  [yellow]line {number}[/yellow]: {reason}")
                out.write(json.dumps({"line": number, "error": reason}) + "\n")
    err.print(f"answered {done} question(s), {failed} bad line(s) → {output}")


@app.command("train-decision")
def train_decision(
    output: Path = typer.Option(..., "--output", "-o", help="Model directory to write."),
    data_dir: Path | None = typer.Option(
        None, help="Benchmark data folder (or BIOMEDFM_DATA) holding pubmedqa/."
    ),
    input: Path | None = typer.Option(
        None, "--input", "-i", help="A PubMedQA-style JSON file instead of the benchmark's."
    ),
    repeats: int = typer.Option(3, min=1, help="Repeats of the nested 5-fold CV."),
    answer_reader: Path | None = typer.Option(
        None,
        help="Answer reader trained on the same questions (its out-of-fold probabilities are "
        "the training features; default: the shipped one).",
    ),
    version: str = typer.Option("", help="Version recorded in the model's config."),
) -> None:
    """Train the yes/no/maybe decision model; print its nested cross-validated accuracy."""
    from biomedfm.evidence.decision_train import train_decision_model
    from biomedfm.evidence.reader import ANSWER_DIR

    try:
        report = train_decision_model(
            _pubmedqa_path(input, data_dir),
            output,
            repeats=repeats,
            answer_reader=answer_reader or ANSWER_DIR,
            version=version,
        )
    except BiomedfmError as error:
        print_error(err, error)
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(report, indent=2))


@app.command("train-roles")
def train_roles_command(
    output: Path = typer.Option(..., "--output", "-o", help="Model directory to write."),
    data_dir: Path | None = typer.Option(
        None, help="Benchmark data folder (or BIOMEDFM_DATA) holding evidence/ and pubmedqa/."
    ),
    per_role: int = typer.Option(2500, min=10, help="Training sentences per role (at most)."),
    version: str = typer.Option("", help="Version recorded in the model's config."),
) -> None:
    """Train the sentence-role model (background / methods / results) a quote is checked by."""
    from biomedfm.evidence.roles import train_role_model

    try:
        report = train_role_model(
            _training_data_dir(data_dir), output, per_role=per_role, version=version
        )
    except BiomedfmError as error:
        print_error(err, error)
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(report, indent=2))


def _pubmedqa_path(input: Path | None, data_dir: Path | None) -> Path:
    from biomedfm.config import resolve_data_dir

    path = input or resolve_data_dir(data_dir) / "pubmedqa" / "pqal_trainval.json"
    if not path.is_file():
        raise BiomedfmError(f"{path}: no such file; give --input or --data-dir")
    return path


@app.command("train-answer")
def train_answer_command(
    output: Path = typer.Option(..., "--output", "-o", help="Answer reader directory."),
    data_dir: Path | None = typer.Option(
        None, help="Benchmark data folder (or BIOMEDFM_DATA) holding pubmedqa/."
    ),
    input: Path | None = typer.Option(
        None, "--input", "-i", help="A PubMedQA-style JSON file instead of the benchmark's."
    ),
    start: Path | None = typer.Option(
        None, "--from", help="Reader to warm-start from (default: the shipped reader)."
    ),
    folds: int = typer.Option(5, min=2, help="Cross-fitting folds (out-of-fold probabilities)."),
    epochs: int = typer.Option(3, min=1, help="Passes over the questions."),
    keep_folds: Path | None = typer.Option(
        None, help="Also save each fold's reader here (for cross-fitted benchmarks)."
    ),
    limit: int | None = typer.Option(None, min=10, help="Only the first N questions (smoke)."),
    version: str = typer.Option("", help="Version recorded in the reader's config."),
    warm_up: bool = typer.Option(
        False,
        help="First fine-tune on yes/no questions made from the Evidence Inference trials "
        "(needs evidence/evidence_inference in the data folder).",
    ),
    warm_up_from: list[str] = typer.Option(
        ["trials"],
        help="The warm-up's questions: 'trials' (the doctors' findings), 'abstracts' (each "
        "abstract's conclusion made a question, as PubMedQA's PQA-A was); repeat for both.",
    ),
    warm_up_epochs: int = typer.Option(1, min=1, help="Passes over the warm-up questions."),
    seed: int = typer.Option(
        0, help="Seed of the readers' initialisation and shuffling (the folds stay fixed)."
    ),
    keep_end: bool = typer.Option(
        False,
        help="Truncate a passage too long for the reader from its start, not its end, so its "
        "last results sentences are read.",
    ),
    trained_layers: int | None = typer.Option(
        None,
        min=1,
        max=6,
        help="Transformer layers tuned, from the top (default: the start reader's 3 of 6; "
        "each more stores ~3.5 MB).",
    ),
    lr: float = typer.Option(4e-5, min=1e-7, help="Peak learning rate."),
) -> None:
    """Fine-tune the answer reader (a study's results against a yes/no question)."""
    import logging

    from biomedfm.evidence.reader import SHIPPED_DIR
    from biomedfm.evidence.reader.answer import AnswerFit, train_answer_reader

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not warm_up and (warm_up_from != ["trials"] or warm_up_epochs != 1):
        print_error(err, BiomedfmError("--warm-up-from and --warm-up-epochs need --warm-up"))
        raise typer.Exit(code=2)
    try:
        report = train_answer_reader(
            _pubmedqa_path(input, data_dir),
            output,
            start or SHIPPED_DIR,
            folds=folds,
            fit=AnswerFit(
                epochs=epochs,
                lr=lr,
                seed=seed,
                truncation_side="left" if keep_end else "right",
                trained_layers=trained_layers,
            ),
            limit=limit,
            version=version,
            keep_folds=keep_folds,
            warm_up=(
                _training_data_dir(data_dir) / "evidence" / "evidence_inference"
                if warm_up
                else None
            ),
            warm_up_from=tuple(warm_up_from),
            warm_up_epochs=warm_up_epochs,
        )
    except BiomedfmError as error:
        print_error(err, error)
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(report, indent=2))


def _training_data_dir(data_dir: Path | None) -> Path:
    """The data folder holding ``evidence/evidence_inference`` (logging on for the run)."""
    import logging

    from biomedfm.config import resolve_data_dir

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    directory = resolve_data_dir(data_dir) / "evidence"
    if not (directory / "evidence_inference" / "prompts.csv").is_file():
        raise BiomedfmError(f"{directory}: no evidence_inference/prompts.csv; give --data-dir")
    return directory.parent


@app.command("train-reader")
def train_reader_command(
    output: Path = typer.Option(..., "--output", "-o", help="Reader directory to write."),
    data_dir: Path | None = typer.Option(
        None, help="Benchmark data folder (or BIOMEDFM_DATA) holding evidence/."
    ),
    epochs: int = typer.Option(2, min=1, help="Passes over the training pairs."),
    batch_size: int = typer.Option(16, min=1, help="Pairs per step."),
    lr: float = typer.Option(5e-5, help="Learning rate of the tuned layers (heads: 10x)."),
    trained_layers: int = typer.Option(3, min=1, max=6, help="Top MiniLM layers to tune."),
    limit: int | None = typer.Option(None, min=8, help="At most this many pairs per head."),
    hard_neutrals: bool = typer.Option(
        False, help="Add methods sentences of the claim's own trial as neutral pairs."
    ),
    flips: bool = typer.Option(
        False, help="Add direction-flipped and negated copies of supported claims."
    ),
    other_outcomes: bool = typer.Option(
        False,
        help="Add a trial's result for another outcome of the same arms as neutral pairs.",
    ),
    start: Path | None = typer.Option(
        None, "--from", help="Continue from this reader (default: the packaged MiniLM)."
    ),
    sample: float = typer.Option(
        1.0, min=0.01, max=1.0, help="Share of the training pairs used (seeded)."
    ),
    version: str = typer.Option("", help="Version recorded in the reader's config."),
) -> None:
    """Fine-tune the evidence reader (stance + trial-effect heads) on the evidence/ sets."""
    from biomedfm.evidence.reader.train import train_reader

    try:
        report = train_reader(
            _training_data_dir(data_dir),
            output,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            trained_layers=trained_layers,
            limit=limit,
            hard_neutrals=hard_neutrals,
            flips=flips,
            other_outcomes=other_outcomes,
            start=start,
            sample=sample,
            version=version,
        )
    except BiomedfmError as error:
        print_error(err, error)
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(report["validation"], indent=2))


@app.command("train-direction")
def train_direction_command(
    output: Path = typer.Option(..., "--output", "-o", help="Direction reader directory."),
    start: Path | None = typer.Option(
        None, "--from", help="Reader to warm-start from (default: the shipped reader)."
    ),
    data_dir: Path | None = typer.Option(
        None, help="Benchmark data folder (or BIOMEDFM_DATA) holding evidence/."
    ),
    epochs: int = typer.Option(2, min=1, help="Passes over the finding sentences."),
    lr: float = typer.Option(8e-5, help="Learning rate of the tuned layers (head: 5x)."),
    limit: int | None = typer.Option(None, min=8, help="At most this many pairs (smoke runs)."),
    version: str = typer.Option("", help="Version recorded in the reader's config."),
    other_outcomes: bool = typer.Option(
        False,
        "--other-outcomes",
        help="Also train not_reported on other outcomes' quotes of the same comparison.",
    ),
) -> None:
    """Fine-tune the direction reader (which way a trial's finding sentence points)."""
    from biomedfm.evidence.reader import SHIPPED_DIR
    from biomedfm.evidence.reader.direction import train_direction

    try:
        report = train_direction(
            _training_data_dir(data_dir),
            start or SHIPPED_DIR,
            output,
            epochs=epochs,
            lr=lr,
            limit=limit,
            version=version,
            other_outcomes=other_outcomes,
        )
    except BiomedfmError as error:
        print_error(err, error)
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps({k: v for k, v in report.items() if k != "history"}, indent=2))


READER_OPTION = typer.Option(
    None, "--reader", help="Reader directory (default: the shipped reader)."
)


def _jsonl_records(path: Path) -> list[tuple[int, dict[str, object] | str]]:
    """(line number, record or the reason it is unusable) for every non-blank line."""
    rows: list[tuple[int, dict[str, object] | str]] = []
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                rows.append((number, f"not JSON ({error.msg}); write one object per line"))
                continue
            if not isinstance(record, dict):
                rows.append((number, "not a JSON object; write one object per line"))
                continue
            rows.append((number, record))
    return rows


@app.command()
def stance(
    input: Path = typer.Option(..., "--input", "-i", help="JSONL: {id, claim, evidence}."),
    output: Path = typer.Option(..., "--output", "-o", help="JSONL: input + stance + p_*."),
    reader: Path | None = READER_OPTION,
) -> None:
    """Does each evidence text support, contradict or not address its claim (trained reader)."""
    from biomedfm.evidence.reader import check_stance_pair, read_stance

    _require_input(input)
    records = _jsonl_records(input)
    good: list[tuple[int, dict[str, object]]] = []
    problems: dict[int, str] = {}
    for number, record in records:
        if isinstance(record, str):
            problems[number] = record
            continue
        missing = [f for f in ("id", "claim", "evidence") if f not in record]
        if missing:
            problems[number] = f"missing field(s) {', '.join(missing)}"
            continue
        try:
            check_stance_pair(record["claim"], record["evidence"])
        except BiomedfmError as error:
            problems[number] = str(error)
            continue
        good.append((number, record))
    try:
        readings = read_stance([(str(r["claim"]), str(r["evidence"])) for _, r in good], reader)
    except BiomedfmError as error:
        print_error(err, error)
        raise typer.Exit(code=2) from None
    by_line = {
        number: (record, reading) for (number, record), reading in zip(good, readings, strict=True)
    }
    with output.open("w") as out:
        for number, _ in records:
            if number in problems:
                err.print(f"  [yellow]line {number}[/yellow]: {problems[number]}")
                out.write(json.dumps({"line": number, "error": problems[number]}) + "\n")
                continue
            record, reading = by_line[number]
            out.write(
                json.dumps(
                    {
                        **record,
                        "stance": reading.stance,
                        "p_supports": round(reading.p_supports, 4),
                        "p_contradicts": round(reading.p_contradicts, 4),
                        "p_neutral": round(reading.p_neutral, 4),
                    }
                )
                + "\n"
            )
    err.print(f"read {len(good)} pair(s), {len(problems)} bad line(s) → {output}")


@app.command()
def effect(
    input: Path = typer.Option(
        ..., "--input", "-i", help="JSONL: {id, intervention, comparator, outcome, text}."
    ),
    output: Path = typer.Option(
        ..., "--output", "-o", help="JSONL: id, effect, quote, start, end, probability."
    ),
    reader: Path | None = READER_OPTION,
) -> None:
    """What each trial found for its intervention/comparator/outcome, with the verbatim quote."""
    from biomedfm.evidence.reader import load_reader, read_effect

    _require_input(input)
    try:
        model = load_reader(reader)
    except BiomedfmError as error:
        print_error(err, error)
        raise typer.Exit(code=2) from None
    done = failed = 0
    fields = ("id", "intervention", "comparator", "outcome", "text")
    with output.open("w") as out:
        for number, record in _jsonl_records(input):
            try:
                if isinstance(record, str):
                    raise BiomedfmError(record)
                missing = [f for f in fields if f not in record]
                if missing:
                    raise BiomedfmError(f"missing field(s) {', '.join(missing)}")
                values = [record[f] for f in fields[1:]]
                if not all(isinstance(v, str) for v in values):
                    raise BiomedfmError(
                        "intervention, comparator, outcome and text must be strings"
                    )
                intervention, comparator, outcome, text = (str(v) for v in values)
                finding = read_effect(intervention, comparator, outcome, text, reader=model)
            except BiomedfmError as error:
                failed += 1
                err.print(f"  [yellow]line {number}[/yellow]: {error}")
                row: dict[str, object] = {"line": number, "error": str(error)}
                if not isinstance(record, str) and "id" in record:
                    row["id"] = record["id"]
                out.write(json.dumps(row) + "\n")
                continue
            out.write(
                json.dumps(
                    {
                        "id": record["id"],
                        "effect": finding.effect,
                        "probability": round(finding.probability, 4),
                        "quote": finding.quote,
                        "start": finding.start,
                        "end": finding.end,
                        "p_increased": round(finding.p_increased, 4),
                        "p_decreased": round(finding.p_decreased, 4),
                        "p_no_difference": round(finding.p_no_difference, 4),
                        "p_reported": round(finding.p_reported, 4),
                    }
                )
                + "\n"
            )
            done += 1
    err.print(f"read {done} trial(s), {failed} bad line(s) → {output}")


register_models_command(app, "evidence", err)
