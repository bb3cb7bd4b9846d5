"""``biomedfm serve`` (API, web UI, embedded workers), ``biomedfm worker``, ``biomedfm keys``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from biomedfm.cli.output import print_error
from biomedfm.config import get_settings
from biomedfm.errors import BiomedfmError

if TYPE_CHECKING:  # the service's libraries load only when a service command runs
    from biomedfm.service.keys import KeyStore

keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
console = Console(stderr=True)


def _fail(error: BiomedfmError) -> typer.Exit:
    print_error(console, error)
    return typer.Exit(2)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(
        1, min=0, help="Job worker processes to start beside the server (0: run them elsewhere)."
    ),
    corpus: Path | None = typer.Option(
        None, help="Evidence corpus to index at first start (when the index is empty)."
    ),
    http_workers: int | None = typer.Option(
        None,
        min=1,
        help="Server processes answering HTTP (default BIOMEDFM_SERVICE__HTTP_WORKERS or 2).",
    ),
) -> None:
    """Run the REST API and web UI; a local admin key is printed at first start."""
    import uvicorn

    from biomedfm.service.app import create_app
    from biomedfm.service.bootstrap import ensure_admin_key, ensure_corpus
    from biomedfm.service.jobs.queue import open_queue
    from biomedfm.service.keys import KeyStore

    settings = get_settings()
    if corpus is not None:
        if not corpus.is_file():
            raise _fail(BiomedfmError(f"--corpus {corpus}: no such file"))
        settings.service.evidence_corpus = corpus.resolve()
    try:
        queue = open_queue(settings)
    except BiomedfmError as error:
        raise _fail(error) from None
    keys = KeyStore(queue.store.engine)
    admin_key = ensure_admin_key(keys)
    ingest_job = ensure_corpus(settings, keys, queue)
    console.print(f"state in {settings.home}")
    if admin_key:
        console.print(
            "[bold]local admin key (shown once; keep it):[/bold]\n"
            f"  {admin_key}\n  paste it into the web UI or send it as X-API-Key"
        )
    if ingest_job:
        console.print(
            f"indexing evidence corpus {settings.service.evidence_corpus} (job {ingest_job})"
        )
    children = [
        subprocess.Popen([sys.executable, "-m", "biomedfm", "worker"], env=os.environ.copy())
        for _ in range(workers)
    ]
    console.print(f"serving on http://{host}:{port} with {workers} worker process(es)")
    processes = http_workers or settings.service.http_workers
    try:
        if processes == 1:
            uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
        else:  # each process builds its own app from the environment
            uvicorn.run(
                "biomedfm.service.app:create_app",
                factory=True,
                workers=processes,
                host=host,
                port=port,
                log_level="warning",
            )
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)


def worker(
    threads: int = typer.Option(1, min=1, help="Jobs run at once by this worker."),
) -> None:
    """Run jobs from the queue (SQLite under BIOMEDFM_HOME, or BIOMEDFM_QUEUE_URL's Redis)."""
    from biomedfm.service.jobs.queue import run_worker

    try:
        run_worker(get_settings(), threads)
    except BiomedfmError as error:
        raise _fail(error) from None


def _keys() -> KeyStore:
    from biomedfm.service.db import connect, database_url
    from biomedfm.service.keys import KeyStore

    settings = get_settings()
    return KeyStore(connect(database_url(settings.home, settings.database_url)))


@keys_app.command("create")
def create_key(
    name: str = typer.Option(..., help="Who the key is for, e.g. lab1."),
    quota: int | None = typer.Option(
        None, help="Calls per day (predictions, jobs); unset: no cap."
    ),
    admin: bool = typer.Option(False, help="May see every job and ingest into the corpus."),
) -> None:
    """Create a key and print it (only its salted hash is stored)."""
    keys = _keys()
    try:
        typer.echo(keys.create(name, admin=admin, quota_per_day=quota))
    except BiomedfmError as error:
        raise _fail(error) from None


@keys_app.command("list")
def list_keys() -> None:
    """Every key: name, id, role, quota, today's use, state."""
    keys = _keys()
    table = Table("name", "id", "role", "quota/day", "used today", "state")
    for key in keys.list():
        table.add_row(
            key.name,
            key.id,
            "admin" if key.admin else "user",
            str(key.quota_per_day or "-"),
            str(keys.used_today(key)),
            "revoked" if key.revoked else "active",
        )
    Console().print(table)


@keys_app.command("revoke")
def revoke_key(name: str = typer.Argument(..., help="Key name or id.")) -> None:
    """Revoke a key: its calls are refused from now on; its jobs stay."""
    keys = _keys()
    try:
        key = keys.revoke(name)
    except BiomedfmError as error:
        raise _fail(error) from None
    typer.echo(f"revoked {key.name} ({key.id})")
