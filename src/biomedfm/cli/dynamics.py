"""``biomedfm dynamics flexibility|pocket|train-flexibility``: parse → call the library → print."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from biomedfm.errors import BiomedfmError

app = typer.Typer(
    help="Protein dynamics: per-residue flexibility, pocket flexibility, conformer ensembles.",
    no_args_is_help=True,
)
err = Console(stderr=True)


def _fail(error: BiomedfmError) -> typer.Exit:
    err.print(f"[red]error:[/red] {error}")
    return typer.Exit(code=2)


@app.command()
def flexibility(
    inputs: list[Path] = typer.Option(..., "--input", "-i", help="PDB/mmCIF file(s)."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="CSV (one input) or folder (several inputs: NAME.csv each)."
    ),
    chains: list[str] | None = typer.Option(None, "--chain", help="Only these chains."),
    model: Path | None = typer.Option(None, help="Model directory (default: the shipped one)."),
) -> None:
    """One row per residue: chain, resnum, resname, pred_flexibility, pred_rmsf_angstrom."""
    from biomedfm.dynamics.flexibility import load_flexibility_model, predict_flexibility
    from biomedfm.dynamics.structure_io import read_structure

    try:
        trained = load_flexibility_model(str(model) if model else None)
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("flexibility", total=len(inputs))
            for path in inputs:
                table = predict_flexibility(read_structure(path, chains or None), trained)
                target = output if len(inputs) == 1 else output / f"{path.stem}.csv"
                target.parent.mkdir(parents=True, exist_ok=True)
                table.to_csv(target, index=False)
                progress.advance(task)
    except BiomedfmError as error:
        raise _fail(error) from None
    err.print(f"wrote {output}")


@app.command()
def pocket(
    input: Path = typer.Option(..., "--input", "-i", help="PDB/mmCIF file."),
    residues: str = typer.Option(..., help="Comma-separated residues, e.g. A:45,A:46,A:90."),
) -> None:
    """Flexibility of a residue set (a binding site) against the whole protein, as JSON."""
    from biomedfm.dynamics.flexibility import pocket_flexibility
    from biomedfm.dynamics.structure_io import read_structure

    try:
        result = pocket_flexibility(read_structure(input), [r.strip() for r in residues.split(",")])
    except BiomedfmError as error:
        raise _fail(error) from None
    typer.echo(json.dumps(result, indent=2))


@app.command("train-flexibility")
def train_flexibility(
    output: Path = typer.Option(..., "--output", "-o", help="Model directory to write."),
    data_dir: Path | None = typer.Option(
        None, help="Benchmark data folder (or BIOMEDFM_DATA) holding dynamics/bfactor/."
    ),
    input: Path | None = typer.Option(
        None, "--input", "-i", help="A folder of structures with B-factors instead."
    ),
) -> None:
    """Train the flexibility model; print its nested cross-validated per-protein Pearson r."""
    from biomedfm.config import resolve_data_dir
    from biomedfm.dynamics.flexibility_train import train_flexibility_model

    try:
        folder = input or resolve_data_dir(data_dir) / "dynamics" / "bfactor"
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("features", total=None)
            report = train_flexibility_model(
                folder,
                output,
                lambda done, total: progress.update(task, completed=done, total=total),
            )
    except BiomedfmError as error:
        raise _fail(error) from None
    typer.echo(json.dumps(report, indent=2))
