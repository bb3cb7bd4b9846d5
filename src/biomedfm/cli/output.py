"""What every CLI area prints the same way."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape


def print_error(console: Console, error: object) -> None:
    """``error: <message>`` in red; the message is escaped, so ``[onnx]`` in a hint survives."""
    console.print(f"[red]error:[/red] {escape(str(error))}")


def print_model_cards(kind: str, card: str | None) -> None:
    """``<kind> models``: a table of the shipped models, or one model's whole card."""
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.table import Table

    from biomedfm.model_cards import shipped_models

    found = shipped_models(kind)
    console = Console()
    if card is not None:
        chosen = [m for m in found if m.name == card]
        if not chosen:
            raise ValueError(
                f"no shipped {kind} model {card!r}; choose from {', '.join(m.name for m in found)}"
            )
        console.print(Markdown(chosen[0].card or f"{card} has no model card"))
        return
    table = Table(title=f"shipped {kind} models (--card NAME for the whole card)")
    for column in ("name", "version", "MB", "what it is"):
        table.add_column(column, overflow="fold")
    for model in found:
        table.add_row(model.name, model.version, f"{model.size_mb:.1f}", model.summary)
    console.print(table)


def register_models_command(app: typer.Typer, kind: str, err: Console) -> None:
    """Add ``<kind> models [--card NAME]`` to a command group."""

    @app.command("models")
    def models_command(
        card: str | None = typer.Option(None, "--card", help="Print this model's whole card."),
    ) -> None:
        try:
            print_model_cards(kind, card)
        except ValueError as error:
            print_error(err, error)
            raise typer.Exit(code=2) from None

    models_command.__doc__ = f"List the shipped {kind} models (version, size), or one's card."
