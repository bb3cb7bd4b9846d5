"""The ``biomedfm`` command: sets up logging and mounts each area's sub-command."""

from __future__ import annotations

import logging

import typer

from biomedfm import __version__
from biomedfm.cli.affinity import app as affinity_app
from biomedfm.cli.dynamics import app as dynamics_app
from biomedfm.cli.evidence import app as evidence_app
from biomedfm.cli.remote import app as remote_app
from biomedfm.cli.serve import keys_app, serve, worker
from biomedfm.config import get_settings

app = typer.Typer(
    name="biomedfm",
    help="Biomedical foundation models: binding affinity with uncertainty, evidence search.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(affinity_app, name="affinity")
app.add_typer(dynamics_app, name="dynamics")
app.add_typer(evidence_app, name="evidence")
app.add_typer(keys_app, name="keys")
app.add_typer(remote_app, name="remote")
app.command()(serve)
app.command()(worker)


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only log errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """biomedfm command line."""
    threads = get_settings().threads
    if threads:
        import torch

        torch.set_num_threads(threads)
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(max(level, logging.WARNING))  # chatty at DEBUG
