"""``biomedfm affinity train|finetune|predict|evaluate|models|demo``: parse, call, print."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from biomedfm.cli.output import print_error
from biomedfm.errors import BiomedfmError

app = typer.Typer(
    help="Protein–ligand binding affinity: train, predict, evaluate.", no_args_is_help=True
)
err = Console(stderr=True)

SMILES_OPTION = typer.Option("smiles", "--smiles-column", help="Column holding SMILES.")
SEQUENCE_OPTION = typer.Option("sequence", "--sequence-column", help="Column holding sequences.")
AFFINITY_OPTION = typer.Option("affinity", "--affinity-column", help="Column holding labels.")


def _fail(error: Exception) -> typer.Exit:
    if isinstance(error, ValidationError):  # a bad --set or option value: name the field
        message = "; ".join(
            f"{'.'.join(map(str, item['loc']))}: {item['msg'].removeprefix('Value error, ')}"
            for item in error.errors()
        )
    else:
        message = str(error)
    print_error(err, message)
    return typer.Exit(code=2)


@app.command()
def train(
    output: Path = typer.Option(..., "--output", "-o", help="Run directory (resumed if present)."),
    input: Path | None = typer.Option(None, "--input", "-i", help="Labelled pair CSV."),
    dataset: str | None = typer.Option(None, help="Benchmark instead of -i: davis or kiba."),
    data_dir: Path | None = typer.Option(None, help="Benchmark data folder (or BIOMEDFM_DATA)."),
    preset: str = typer.Option("main", help="main (best accuracy) or lite (fast, distilled)."),
    split: str | None = typer.Option(
        None,
        help="given, random, cold-drug (by scaffold), cold-drug-smiles, cold-protein (by "
        "sequence), both-cold (default: given folds "
        "when the table has a 'fold' column, else random).",
    ),
    n_folds: int | None = typer.Option(None, help="Cross-validation folds."),
    epochs: int | None = typer.Option(None, help="Epochs per member."),
    batch_size: int | None = typer.Option(None, help="Pairs per step."),
    lr: float | None = typer.Option(None, help="Peak learning rate."),
    seed: int | None = typer.Option(None, help="Random seed."),
    teacher: Path | None = typer.Option(None, help="Main run directory to distil from (lite)."),
    refit: bool = typer.Option(True, help="Refit the final members on all pairs after CV."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    name: str | None = typer.Option(None, help="Model name stored in its config."),
    target: str | None = typer.Option(None, help="Target name for pred_<target> columns."),
    max_pairs: int | None = typer.Option(None, help="Use a random subset (quick runs)."),
    override: bool = typer.Option(False, help="Start over instead of resuming."),
    settings: list[str] | None = typer.Option(
        None, "--set", help="Any config field as key.path=json, e.g. net.dropout=0.2."
    ),
    smiles_column: str = SMILES_OPTION,
    sequence_column: str = SEQUENCE_OPTION,
    affinity_column: str = AFFINITY_OPTION,
) -> None:
    """Cross-validate, calibrate and train a model; writes the resolved config and metrics."""
    from biomedfm.affinity.data import DATASETS, PairColumns, read_dta_dataset, read_pairs
    from biomedfm.affinity.presets import resolve_config
    from biomedfm.affinity.train import run_training
    from biomedfm.config import get_settings

    try:
        if (input is None) == (dataset is None):
            raise BiomedfmError("give either -i labelled.csv or --dataset davis|kiba")
        if dataset is not None:
            frame = read_dta_dataset(dataset, data_dir)
            target = target or DATASETS[dataset]["target"]
        else:
            assert input is not None
            columns = PairColumns(smiles_column, sequence_column, affinity_column)
            frame = read_pairs(input, columns, labelled=True)
        if max_pairs is not None and max_pairs < len(frame):
            frame = frame.sample(max_pairs, random_state=seed or 0).reset_index(drop=True)
        config = resolve_config(
            preset,
            [*get_settings().train_settings(), *(settings or [])],
            split=split or ("given" if "fold" in frame.columns else "random"),
            n_folds=n_folds,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            teacher=str(teacher) if teacher else None,
            refit=refit,
            device=device,
            name=name or output.name,
            target=target,
            target_description=DATASETS[dataset]["description"] if dataset else None,
        )
        started = time.perf_counter()
        with _progress() as progress:
            tasks: dict[str, Any] = {}

            def report(stage: str, epoch: int, total: int, info: dict[str, float]) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(
                        f"{config.preset} {stage}", total=total, status=""
                    )
                losses = [v for k, v in info.items() if k.startswith("val_mse")]
                status = f"val mse {sum(losses) / len(losses):.3f} (std units)" if losses else ""
                progress.update(tasks[stage], completed=epoch, status=status)

            result = run_training(frame, config, output, override=override, progress=report)
        summary = result.cv_metrics["summary"]
        err.print(
            f"CV ({config.split}, {result.cv_metrics['n_folds']} folds): "
            f"MSE {summary['mse']['mean']:.3f} ± {summary['mse']['sd']:.3f}, "
            f"CI {summary['ci']['mean']:.3f} ± {summary['ci']['sd']:.3f}, "
            f"90% coverage {result.cv_metrics['coverage90_mean']:.3f}; "
            f"model in {result.model_dir} ({time.perf_counter() - started:.0f} s)"
        )
    except (BiomedfmError, ValueError) as error:
        raise _fail(error) from None


@app.command()
def finetune(
    input: Path = typer.Option(
        ..., "--input", "-i", help="Assay CSV: SMILES and a measured value."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Run directory (resumed if present)."),
    base: str = typer.Option(
        "kiba",
        "--from",
        help="Pretrained start: a shipped model (kiba, davis, ...), a run directory, "
        "'encoder' (the MOSES-pretrained drug encoder) or 'scratch' (same network from "
        "random weights).",
    ),
    target_column: str = typer.Option(
        "affinity", "--target-column", help="Column of measured values (pki, pic50, pkd, ...)."
    ),
    target_sequence: str | None = typer.Option(
        None, "--target-sequence", help="The one target's protein sequence (single-target assay)."
    ),
    sequence_column: str | None = typer.Option(
        None, "--sequence-column", help="Column of protein sequences (multi-target table)."
    ),
    smiles_column: str = SMILES_OPTION,
    epochs: int | None = typer.Option(None, help="Epochs per member (early stopping picks)."),
    seed: int = typer.Option(0, help="Random seed."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    override: bool = typer.Option(False, help="Start over instead of resuming."),
    lite: bool = typer.Option(
        False,
        "--lite",
        help="Also distil a one-network student in the lite's shape into OUTPUT/lite "
        "(predicts at the lite's speed, for screening).",
    ),
) -> None:
    """Re-specialise a pretrained model to a lab's own assay (5-member ensemble, early
    stopping on held-out folds, conformal 90% intervals, applicability domain)."""
    from biomedfm.affinity.finetune import (
        DEPLOYED_SIGMA_FACTOR,
        LITE_DIR,
        FinetuneSettings,
        finetune_lite,
        read_assay,
    )
    from biomedfm.affinity.finetune import finetune as run_finetune

    try:
        assay = read_assay(
            input,
            target_column,
            smiles_column=smiles_column,
            sequence_column=sequence_column,
            target_sequence=target_sequence,
        )
        for line, message in list(assay.skipped.items())[:10]:
            err.print(f"[yellow]left out line {line}[/yellow]: {message}")
        if assay.skipped:
            err.print(f"{len(assay.skipped)} row(s) left out; {len(assay.frame)} used")
        defaults = FinetuneSettings()
        settings = FinetuneSettings(epochs=epochs or defaults.epochs, seed=seed)
        started = time.perf_counter()
        result = run_finetune(
            assay.frame,
            output,
            base=base,
            target=target_column,
            target_sequence=assay.target_sequence,
            settings=settings,
            override=override,
            device=device,
        )
        student = None
        if lite:
            student = finetune_lite(
                assay.frame,
                output,
                target=target_column,
                target_sequence=assay.target_sequence,
                settings=settings,
                override=override,
                device=device,
            )
    except (BiomedfmError, ValueError) as error:
        raise _fail(error) from None
    oof = result.cv_metrics["oof"]
    err.print(
        f"fine-tuned {base} on {len(assay.frame)} compounds: out-of-fold RMSE "
        f"{oof['mse'] ** 0.5:.3f}, 90% coverage {result.cv_metrics['coverage90_mean']:.3f} "
        f"(deployed σ × {DEPLOYED_SIGMA_FACTOR}: the full ensemble errs less); "
        f"model in {result.model_dir} ({time.perf_counter() - started:.0f} s); predict with "
        f"'biomedfm affinity predict --model {output}'"
    )
    if student is not None:
        err.print(
            f"lite student: out-of-fold RMSE {student.cv_metrics['oof']['mse'] ** 0.5:.3f}; "
            f"predict with 'biomedfm affinity predict --model {output / LITE_DIR}'"
        )


@app.command()
def predict(
    input: Path = typer.Option(..., "--input", "-i", help="CSV with SMILES and sequence columns."),
    output: Path = typer.Option(..., "--output", "-o", help="Predictions CSV."),
    model: str = typer.Option("davis", help="Shipped model name or a run/model directory."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    smiles_column: str = SMILES_OPTION,
    sequence_column: str = SEQUENCE_OPTION,
) -> None:
    """Predict affinity and uncertainty; bad rows get an 'error' column, the rest are scored."""
    from biomedfm.affinity.data import PairColumns, read_pairs
    from biomedfm.affinity.io import load_model, read_model_config
    from biomedfm.affinity.predict import predict_frame, with_predictions

    try:
        single = read_model_config(model).target_sequence  # a fine-tuned single-target model
        frame = read_pairs(
            input, PairColumns(smiles_column, sequence_column), default_sequence=single
        )
        added = frame.attrs.get("sequence_added", False)
        input_columns = [
            c
            for c in frame.columns
            if (c not in ("smiles", "sequence") or c in (smiles_column, sequence_column))
            and not (added and c == "sequence")
        ]
        loaded = load_model(model, device=device)
        result = predict_frame(loaded, frame)
        with_predictions(frame, input_columns, loaded, result).to_csv(output, index=False)
    except BiomedfmError as error:
        raise _fail(error) from None
    n = len(frame)
    err.print(f"predicted {n - result.n_invalid} of {n} rows with {loaded.config.name} → {output}")
    if result.n_invalid:
        err.print(f"[yellow]{result.n_invalid} invalid row(s)[/yellow]; see the 'error' column:")
        bad = result.errors[result.errors != ""]
        for row, message in list(bad.items())[:10]:
            err.print(f"  row {int(str(row)) + 1}: {message}")


@app.command()
def evaluate(
    input: Path = typer.Option(..., "--input", "-i", help="Labelled pair CSV."),
    model: str = typer.Option("davis", help="Shipped model name or a run/model directory."),
    as_json: bool = typer.Option(False, "--json", help="Print metrics as JSON."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    smiles_column: str = SMILES_OPTION,
    sequence_column: str = SEQUENCE_OPTION,
    affinity_column: str = AFFINITY_OPTION,
) -> None:
    """MSE, CI, rm², Pearson, Spearman and 90%-interval coverage on labelled pairs."""
    from biomedfm.affinity.data import PairColumns, read_pairs
    from biomedfm.affinity.io import load_model
    from biomedfm.affinity.predict import evaluate_frame

    try:
        columns = PairColumns(smiles_column, sequence_column, affinity_column)
        report = evaluate_frame(
            load_model(model, device=device), read_pairs(input, columns, labelled=True)
        )
    except BiomedfmError as error:
        raise _fail(error) from None
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return
    table = Table(title=f"{report['model']} on {input.name} ({report['n']} pairs)")
    for key in ("mse", "ci", "rm2", "pearson", "spearman", "coverage90"):
        table.add_row(key, f"{report[key]:.4f}")
    Console().print(table)


@app.command()
def models(
    card: str | None = typer.Option(None, "--card", help="Print this model's whole card."),
) -> None:
    """List the shipped models (version, domain, cross-validation numbers), or one's card."""
    from biomedfm.affinity.io import list_shipped_models, load_model
    from biomedfm.cli.output import print_model_cards

    if card is not None:
        try:
            print_model_cards("affinity", card)
        except ValueError as error:
            raise _fail(error) from None
        return
    table = Table(title="shipped affinity models (--card NAME for training data, domain, licence)")
    for column in ("name", "version", "preset", "target", "members", "CV MSE", "CV CI", "domain"):
        table.add_column(column, no_wrap=column in ("name", "target"))
    for name in list_shipped_models():
        model = load_model(name)
        config = model.config
        cv = config.training.get("cv_summary", {})
        domain = "kinases" if model.domain is not None and model.domain.kinase_model else "assay"
        table.add_row(
            name,
            config.version,
            config.preset,
            config.target,
            str(config.net.n_members),
            f"{cv.get('mse', {}).get('mean', float('nan')):.3f}",
            f"{cv.get('ci', {}).get('mean', float('nan')):.3f}",
            domain if model.domain is not None else "not recorded",
        )
    console = Console()
    console.print(table)
    from biomedfm.model_cards import shipped_models

    for other in shipped_models("affinity"):
        if other.name not in list_shipped_models():  # the encoder: a start for fine-tuning
            console.print(
                f"also: {other.name} {other.version} ({other.size_mb:.1f} MB): {other.summary}"
            )


@app.command()
def demo() -> None:
    """Score a few well-known kinase inhibitors with every shipped model."""
    from biomedfm.affinity.demo import demo_pairs
    from biomedfm.affinity.io import list_shipped_models, load_model

    pairs = demo_pairs()
    table = Table(title="biomedfm affinity demo (pred ± unc; 90% interval = ± 1.645·unc)")
    table.add_column("drug")
    table.add_column("target")
    columns = []
    for name in list_shipped_models():
        model = load_model(name)
        table.add_column(f"{name} ({model.target})", justify="right")
        prediction = model.predict(pairs["smiles"].tolist(), pairs["sequence"].tolist())
        columns.append(
            [f"{m:.2f} ± {s:.2f}" for m, s in zip(prediction.mean, prediction.sigma, strict=True)]
        )
    for row, (drug, protein) in enumerate(zip(pairs["drug"], pairs["protein"], strict=True)):
        table.add_row(drug, protein, *[column[row] for column in columns])
    Console().print(table)


@app.command()
def screen(
    input: Path = typer.Option(
        ..., "--input", "-i", help="Library: .smi, .csv, .tsv or .sdf, optionally .gz."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Hits CSV: the top-K per target."),
    target_fasta: Path | None = typer.Option(
        None, help="Target FASTA; several records make a panel."
    ),
    target_sequence: str | None = typer.Option(None, help="One target sequence instead."),
    model: str = typer.Option("davis-lite", help="Shipped model, run/model or ONNX directory."),
    top: int = typer.Option(1000, help="Hits kept per target."),
    selectivity: bool = typer.Option(
        False, help="Rank by affinity to the first target minus the max over the others."
    ),
    all_scores: Path | None = typer.Option(None, help="Also write every score to this Parquet."),
    resume: bool = typer.Option(False, help="Continue an interrupted run with the same settings."),
    backend: str = typer.Option("torch", help="torch, onnx (exported model) or ray."),
    address: str | None = typer.Option(None, help="Ray cluster address (ray backend)."),
    workers: int | None = typer.Option(
        None, min=0, help="Featurization processes (default: one per CPU; 0: none)."
    ),
    chunk_size: int = typer.Option(10_000, min=1, help="Records per chunk (resume unit)."),
    device: str = typer.Option("cpu", help="cpu or cuda (torch and ray backends)."),
    smiles_column: str = typer.Option("smiles", help="SMILES column of a CSV/TSV library."),
    id_column: str | None = typer.Option(None, help="Compound-id column (default: guessed)."),
) -> None:
    """Screen a compound library against a target or a panel; streamed, parallel, resumable."""
    from biomedfm.affinity.screening import Screen, ScreenSettings, read_targets
    from biomedfm.affinity.screening.backends import make_backend, make_scorer

    try:
        targets = read_targets(target_fasta, target_sequence)
        scorer = make_scorer(model, backend, device)
        settings = ScreenSettings(
            library=input,
            targets=targets,
            model=model,
            top=top,
            chunk_size=chunk_size,
            selectivity=selectivity,
            smiles_column=smiles_column,
            id_column=id_column,
            all_scores=all_scores,
        )
        run = Screen(settings, scorer, output)
        engine = make_backend(backend, scorer, targets, model, workers, device, address)
        with _progress() as bar:
            task = bar.add_task("screen", total=None, status="counting records")
            from biomedfm.affinity.library import count_records

            total = count_records(input)
            bar.update(task, total=total, status="")

            def hook(done: int, total: int, rate: float) -> None:
                bar.update(task, completed=done, status=f"{rate:,.0f} compounds/s")

            summary = run.run(engine, resume=resume, progress=hook, total=total)
    except BiomedfmError as error:
        raise _fail(error) from None
    except (OSError, EOFError, ValueError) as error:  # unreadable gzip, malformed CSV line, ...
        raise _fail(
            BiomedfmError(f"cannot read {input}: {error}; fix or replace the file and rerun")
        ) from None
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/yellow]: continue with the same command plus --resume")
        raise typer.Exit(130) from None
    err.print(
        f"screened {summary.n_records - summary.resumed_from:,} compounds in "
        f"{summary.seconds:.1f} s ({summary.compounds_per_s:,.0f}/s) against "
        f"{len(targets)} target(s): {summary.n_valid:,} scored, {summary.n_invalid:,} invalid"
    )
    for kind, path in summary.outputs.items():
        err.print(f"  {kind}: {path}")


@app.command()
def export(
    model: str = typer.Option(..., help="Shipped model name or a run/model directory."),
    output: Path = typer.Option(..., "--output", "-o", help="Directory for the exported model."),
    format: str = typer.Option("onnx", help="Export format (onnx)."),
    int8: bool = typer.Option(False, help="Dynamic int8 quantization of the weights."),
) -> None:
    """Export a model for onnxruntime; screen with it via --backend onnx --model DIR."""
    from biomedfm.affinity.io import load_model
    from biomedfm.affinity.onnx_export import export_onnx

    if format != "onnx":
        raise _fail(BiomedfmError(f"unknown format {format!r}; the supported format is onnx"))
    try:
        directory = export_onnx(load_model(model), output, int8=int8)
    except BiomedfmError as error:
        raise _fail(error) from None
    size = sum(p.stat().st_size for p in directory.glob("*.onnx")) / 2**20
    err.print(f"exported {model} ({'int8' if int8 else 'fp32'}, {size:.1f} MB) → {directory}")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    )
