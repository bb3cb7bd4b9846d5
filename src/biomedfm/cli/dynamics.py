"""``biomedfm dynamics flexibility|pocket|train-flexibility``: parse → call the library → print."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from biomedfm.cli.output import print_error, register_models_command
from biomedfm.errors import BiomedfmError

app = typer.Typer(
    help="Protein dynamics: per-residue flexibility, pocket flexibility, conformer ensembles.",
    no_args_is_help=True,
)
err = Console(stderr=True)


def _fail(error: BiomedfmError) -> typer.Exit:
    print_error(err, error)
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


@app.command()
def ensemble(
    input: Path = typer.Option(..., "--input", "-i", help="PDB/mmCIF file (the start state)."),
    output: Path = typer.Option(..., "--output", "-o", help="Multi-model mmCIF to write."),
    conformers: int = typer.Option(50, min=1, max=1000, help="Conformers to generate."),
    modes: int = typer.Option(10, min=1, max=100, help="Slowest ANM modes to combine."),
    max_rmsd: float | None = typer.Option(None, help="Largest RMSD from the start (Å)."),
    seed: int = typer.Option(0, help="Random seed (same seed, same ensemble)."),
    chains: list[str] | None = typer.Option(None, "--chain", help="Only these chains."),
) -> None:
    """Diverse, relaxed conformers reaching other states: one mmCIF model per conformer."""
    from biomedfm.dynamics.ensemble import (
        EnsembleConfig,
        carry_backbone,
        check_conformer,
        generate_ensemble,
    )
    from biomedfm.dynamics.structure_io import read_structure, write_ensemble

    try:
        structure = read_structure(input, chains or None)
        config = EnsembleConfig(conformers=conformers, modes=modes, max_rmsd=max_rmsd, seed=seed)
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("conformer paths", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            members = generate_ensemble(structure, config, advance)
        write_ensemble(output, structure, [carry_backbone(structure, c) for c in members])
    except BiomedfmError as error:
        raise _fail(error) from None
    checks = [check_conformer(structure, c) for c in members]
    err.print(
        f"wrote {output}: {len(members)} conformers; closest non-bonded C-alpha pair "
        f"{min(c['min_nonbonded_ca'] for c in checks):.2f} Å"
    )


@app.command()
def states(
    input: Path = typer.Option(..., "--input", "-i", help="Multi-model mmCIF/PDB ensemble."),
    k: int = typer.Option(5, "--states", min=1, help="Number of states."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Multi-model mmCIF of the representatives (optional)."
    ),
) -> None:
    """Cluster an ensemble into k states; print each state's representative and population."""
    from biomedfm.dynamics.states import cluster_states
    from biomedfm.dynamics.structure_io import read_models, write_ensemble

    try:
        structure, models = read_models(input)
        found = cluster_states(models, k)
        if output is not None:
            write_ensemble(
                output,
                structure,
                [{"CA": models[s.representative]} for s in found],
            )
    except BiomedfmError as error:
        raise _fail(error) from None
    typer.echo(
        json.dumps(
            [
                {
                    "state": number,
                    "representative_model": s.representative + 1,
                    "population": s.population,
                    "members": len(s.members),
                    "mean_rmsd_to_representative": s.mean_rmsd_to_representative,
                }
                for number, s in enumerate(found, start=1)
            ],
            indent=2,
        )
    )


register_models_command(app, "dynamics", err)
