"""``biomedfm remote``: the service's API from the shell, through the Python SDK."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from biomedfm.cli.output import print_error
from biomedfm.client import Client, ServiceError

app = typer.Typer(
    help="Use a running biomedfm service (see 'biomedfm serve').", no_args_is_help=True
)
console = Console(stderr=True)

URL = typer.Option("http://127.0.0.1:8000", envvar="BIOMEDFM_URL", help="Service address.")
KEY = typer.Option(None, envvar="BIOMEDFM_API_KEY", help="API key (X-API-Key).")


def _client(url: str, api_key: str | None) -> Client:
    return Client(url, api_key)


def _fail(error: ServiceError) -> typer.Exit:
    print_error(console, error)
    return typer.Exit(2)


@app.command()
def health(url: str = URL) -> None:
    """Is the service up, and on which engines."""
    try:
        typer.echo(_client(url, None).health().model_dump_json(indent=2))
    except (ServiceError, OSError) as error:
        print_error(console, error)
        raise typer.Exit(2) from None


@app.command()
def predict(
    input: Path = typer.Option(..., "--input", "-i", exists=True, help="CSV: smiles, sequence."),
    output: Path = typer.Option(..., "--output", "-o", help="CSV with pred_/unc_ columns."),
    model: str = typer.Option("davis-lite", help="Shipped model name."),
    url: str = URL,
    api_key: str | None = KEY,
) -> None:
    """Upload a pair table as a job, wait for it, write the predictions."""
    client = _client(url, api_key)
    try:
        job = client.upload(input, model)
        client.wait(job.id, timeout=3600)
        output.write_text(client.result(job.id, "csv"))
    except ServiceError as error:
        raise _fail(error) from None
    console.print(f"job {job.id}: predictions written to {output}")


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question."),
    as_json: bool = typer.Option(False, "--json", help="Print the chain as JSON."),
    url: str = URL,
    api_key: str | None = KEY,
) -> None:
    """Ask the service's evidence agents and print the chain."""
    try:
        chain = _client(url, api_key).ask(question)
    except ServiceError as error:
        raise _fail(error) from None
    if as_json:
        typer.echo(json.dumps(chain, indent=2))
        return
    from biomedfm.evidence.chain import EvidenceChain

    typer.echo(EvidenceChain.model_validate(chain).to_markdown())


@app.command()
def jobs(url: str = URL, api_key: str | None = KEY) -> None:
    """This key's jobs, newest first."""
    try:
        listed = _client(url, api_key).jobs()
    except ServiceError as error:
        raise _fail(error) from None
    table = Table("id", "kind", "status", "progress", "message")
    for job in listed.jobs:
        table.add_row(job.id, job.kind, job.status, f"{job.progress:.0%}", job.message)
    Console().print(table)


@app.command()
def result(
    job_id: str = typer.Argument(..., help="Job id."),
    output: Path = typer.Option(..., "--output", "-o", help="File (.csv for a table, else JSON)."),
    url: str = URL,
    api_key: str | None = KEY,
) -> None:
    """Download a finished job's result."""
    fmt = "csv" if output.suffix == ".csv" else "json"
    try:
        content = _client(url, api_key).result(job_id, fmt)  # type: ignore[arg-type]
    except ServiceError as error:
        raise _fail(error) from None
    output.write_text(content if fmt == "csv" else json.dumps(content, indent=2))


@app.command()
def cancel(
    job_id: str = typer.Argument(..., help="Job id."), url: str = URL, api_key: str | None = KEY
) -> None:
    """Cancel a queued or running job."""
    try:
        job = _client(url, api_key).cancel(job_id)
    except ServiceError as error:
        raise _fail(error) from None
    typer.echo(f"{job.id}: {job.status}")
