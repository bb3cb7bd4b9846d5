"""What each job kind does: plain functions of (params, context) → a JSON-able result.

Params were validated by the API schemas before the job was stored; runners still never let one
bad row stop a batch (rows carry an ``error`` field instead).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biomedfm.affinity.io import load_model
from biomedfm.affinity.model import AffinityModel
from biomedfm.affinity.predict import predict_frame
from biomedfm.chem.sequences import validate_sequence
from biomedfm.config import get_settings
from biomedfm.service.models import LITE_SUFFIX, finetuned_root, resolve_service_model


@dataclass
class JobContext:
    """What a runner may use: where the evidence index lives and how to report progress."""

    evidence_index: Path
    report: Callable[[float, str], None]


Runner = Callable[[dict[str, Any], JobContext], Any]


PROTEIN_CACHE_SIZE = 1024
"""Target embeddings kept per served model (targets repeat across requests)."""


@lru_cache(maxsize=8)
def _model(directory: str, mtime: float) -> AffinityModel:
    del mtime  # part of the cache key: a retrained run directory is loaded again
    model = load_model(directory)
    model.cache_proteins(PROTEIN_CACHE_SIZE)
    model.cache_drugs(get_settings().service.drug_cache_size)
    return model


def cached_model(name: str) -> AffinityModel:
    """A loaded model per shipped or fine-tuned name, kept for the life of the process."""
    directory = resolve_service_model(name)
    return _model(str(directory), (directory / "model.safetensors").stat().st_mtime)


def predict_rows(model: AffinityModel, pairs: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Per input pair: its fields + ``pred_<target>``, ``unc_<target>``, the applicability-
    domain fields (``in_domain`` and its evidence, when the model has a domain) and ``error``."""
    frame = pd.DataFrame(  # object columns: no Arrow string conversion on the hot path
        {
            "smiles": [p.get("smiles", "") for p in pairs],
            "sequence": [p.get("sequence", "") for p in pairs],
        },
        dtype=object,
    )
    result = predict_frame(model, frame)
    target = model.target
    means = [None if math.isnan(v) else v for v in np.round(result.mean, 4).tolist()]
    sigmas = [None if math.isnan(v) else v for v in np.round(result.sigma, 4).tolist()]
    errors = [e or None for e in result.errors.tolist()]
    domain = [
        {name: _plain(values[i]) for name, values in (result.domain or {}).items()}
        for i in range(len(pairs))
    ]
    return [
        {**pair, f"pred_{target}": m, f"unc_{target}": u, **d, "error": e}
        for pair, m, u, d, e in zip(pairs, means, sigmas, domain, errors, strict=True)
    ]


def _plain(value: Any) -> Any:
    """A JSON value: NaN → None, numpy scalars → Python."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def run_affinity_predict(params: dict[str, Any], context: JobContext) -> Any:
    """A prediction too large for the synchronous endpoint, in chunks with progress."""
    model = cached_model(params["model"])
    pairs: list[dict[str, str]] = params["pairs"]
    rows: list[dict[str, Any]] = []
    chunk = 2000
    for start in range(0, len(pairs), chunk):
        rows.extend(predict_rows(model, pairs[start : start + chunk]))
        done = min(start + chunk, len(pairs))
        context.report(done / len(pairs), f"{done}/{len(pairs)} pairs")
    return {"model": params["model"], "target": model.target, "rows": rows}


def run_affinity_screen(params: dict[str, Any], context: JobContext) -> Any:
    """Every compound against every target with the screening engine; the top ``top`` each."""
    import tempfile

    from biomedfm.affinity.screening import (
        LocalBackend,
        Screen,
        ScreenSettings,
        Target,
        TorchScorer,
    )

    model = cached_model(params["model"])
    scorer = TorchScorer(model)
    targets = [Target(t["name"], validate_sequence(t["sequence"])) for t in params["targets"]]
    compounds: list[dict[str, str]] = params["compounds"]
    with tempfile.TemporaryDirectory(prefix="biomedfm-screen-") as tmp:
        library = Path(tmp) / "library.csv"
        pd.DataFrame(
            {
                "smiles": [c["smiles"] for c in compounds],
                "compound_id": [c["id"] for c in compounds],
            }
        ).to_csv(library, index=False)
        settings = ScreenSettings(
            library=library, targets=targets, model=params["model"], top=params["top"]
        )
        output = Path(tmp) / "hits.csv"
        run = Screen(settings, scorer, output)
        backend = LocalBackend(scorer, scorer.encode_targets([t.sequence for t in targets]), 0)
        run.run(
            backend,
            total=len(compounds),
            progress=lambda done, total, _: context.report(
                done / total, f"{done}/{total} compounds"
            ),
        )
        hits = pd.read_csv(output, dtype={"compound_id": str, "smiles": str})
        invalid = pd.read_csv(run.invalid_path, dtype=str, keep_default_na=False)
    return {
        "model": params["model"],
        "target": model.target,
        "rows": hits.to_dict("records"),
        "invalid": [
            {"id": row["compound_id"], "smiles": row["smiles"], "error": row["error"]}
            for row in invalid.to_dict("records")
        ],
    }


def run_evidence_ask(params: dict[str, Any], context: JobContext) -> Any:
    """A chain of evidence from the service's index, or from contexts given with the question."""
    from biomedfm.evidence.agents.team import EvidenceTeam
    from biomedfm.evidence.llm import configured_llm
    from biomedfm.evidence.retrieval.bm25 import has_index

    context.report(0.05, "planning")
    if params.get("contexts"):
        team = EvidenceTeam.from_contexts(
            params["contexts"], doc_id=params.get("id") or "context", llm=configured_llm()
        )
    else:
        if not (context.evidence_index / "corpus.sqlite").is_file():
            raise LookupError(
                "the service has no evidence corpus yet: start it with --corpus FILE or send "
                "contexts with the question"
            )
        if not has_index(context.evidence_index):
            raise LookupError(
                "the evidence corpus is still being indexed (see the evidence-ingest job); "
                "ask again when it has finished"
            )
        team = EvidenceTeam.from_index(context.evidence_index, llm=configured_llm())
    molecules = (
        [(params["smiles"], params["sequence"])]
        if params.get("smiles") and params.get("sequence")
        else None
    )
    context.report(0.2, "retrieving and appraising evidence")
    chain, trace = team.answer(
        params["question"],
        params.get("id") or "",
        molecules=molecules,
        affinity_model=str(resolve_service_model(params.get("model") or "davis")),
    )
    return {
        "chain": chain.model_dump(mode="json"),
        "trace": [step.model_dump(mode="json") for step in trace.steps],
    }


def run_evidence_ingest(params: dict[str, Any], context: JobContext) -> Any:
    """Add a corpus file to the service's index (incremental) and rebuild the search indexes."""
    from biomedfm.evidence.ingest import read_corpus
    from biomedfm.evidence.retrieval.bm25 import build_indexes
    from biomedfm.evidence.store import EvidenceStore

    context.evidence_index.mkdir(parents=True, exist_ok=True)
    store = EvidenceStore(context.evidence_index / "corpus.sqlite")
    try:
        context.report(0.05, "reading documents")
        report = store.add(read_corpus(Path(params["path"])))
        context.report(0.4, f"{report.added} new document(s); building search indexes")
        build_indexes(store, context.evidence_index)
    finally:
        store.close()
    return {
        "added": report.added,
        "duplicates": report.duplicates,
        "problems": [f"{p.location}: {p.reason}" for p in report.problems[:100]],
    }


def run_affinity_finetune(params: dict[str, Any], context: JobContext) -> Any:
    """Fine-tune a base model on an uploaded assay; the model is then served by its name."""
    import json
    import tempfile
    import time

    from biomedfm.affinity.finetune import FinetuneSettings, finetune, finetune_lite, read_assay

    out_dir = finetuned_root() / params["name"]
    with tempfile.TemporaryDirectory(prefix="biomedfm-finetune-") as tmp:
        path = Path(tmp) / "assay.csv"
        path.write_text(params["csv"])
        assay = read_assay(
            path,
            params["target_column"],
            smiles_column=params.get("smiles_column") or "smiles",
            sequence_column=params.get("sequence_column"),
            target_sequence=params.get("target_sequence"),
        )
    context.report(0.02, f"{len(assay.frame)} compounds read, {len(assay.skipped)} left out")
    epochs = int(params.get("epochs") or FinetuneSettings().epochs)
    started = time.perf_counter()

    settings = FinetuneSettings(epochs=epochs, seed=int(params.get("seed") or 0))
    share = 0.6 if params.get("lite") else 0.93  # the student takes about as long again

    def progress(stage: str, epoch: int, total: int, info: dict[str, float]) -> None:
        del stage, info
        context.report(0.02 + share * epoch / total, f"epoch {epoch}/{total}")

    result = finetune(
        assay.frame,
        out_dir,
        base=params["base"],
        target=params["target_column"],
        target_sequence=assay.target_sequence,
        settings=settings,
        progress=progress,
    )
    lite: dict[str, Any] | None = None
    if params.get("lite"):
        context.report(0.62, "distilling the lite student")
        student = finetune_lite(
            assay.frame,
            out_dir,
            target=params["target_column"],
            target_sequence=assay.target_sequence,
            settings=settings,
        )
        lite = {
            "model": params["name"] + LITE_SUFFIX,
            "compounds": len(assay.frame),
            "oof_rmse": round(float(student.cv_metrics["oof"]["mse"]) ** 0.5, 4),
            "coverage90": round(float(student.cv_metrics["coverage90_mean"]), 4),
        }
    oof = result.cv_metrics["oof"]
    summary = {
        "model": params["name"],
        "base": params["base"],
        "target": params["target_column"],
        "compounds": len(assay.frame),
        "single_target": assay.target_sequence is not None,
        "oof_rmse": round(float(oof["mse"]) ** 0.5, 4),
        "coverage90": round(float(result.cv_metrics["coverage90_mean"]), 4),
        "seconds": round(time.perf_counter() - started, 1),
        "skipped": [{"line": line, "error": why} for line, why in assay.skipped.items()],
        "lite": lite,
    }
    (out_dir / "finetune.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def run_dynamics(params: dict[str, Any], context: JobContext) -> Any:
    """Flexibility table, or an ensemble (mmCIF text) with its states, from a structure."""
    import tempfile

    from biomedfm.dynamics.ensemble import EnsembleConfig, carry_backbone, generate_ensemble
    from biomedfm.dynamics.flexibility import predict_flexibility
    from biomedfm.dynamics.states import cluster_states
    from biomedfm.dynamics.structure_io import read_structure, write_ensemble

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input.{params['format']}"
        path.write_text(params["structure"])
        structure = read_structure(path, params.get("chains") or None)
        context.report(0.1, f"{len(structure)} residues read")
        if params["task"] == "flexibility":
            table = predict_flexibility(structure)
            return {"task": "flexibility", "rows": table.to_dict("records")}
        config = EnsembleConfig(conformers=params["conformers"], seed=params["seed"])
        members = generate_ensemble(
            structure,
            config,
            lambda done, total: context.report(0.1 + 0.8 * done / total, f"path {done}/{total}"),
        )
        states = cluster_states(members, min(params["states"], len(members)))
        out = Path(folder) / "ensemble.cif"
        write_ensemble(out, structure, [carry_backbone(structure, c) for c in members])
        return {
            "task": "ensemble",
            "conformers": len(members),
            "states": [
                {
                    "representative_model": s.representative + 1,
                    "population": s.population,
                    "mean_rmsd_to_representative": s.mean_rmsd_to_representative,
                }
                for s in states
            ],
            "mmcif": out.read_text(),
        }


RUNNERS: dict[str, Runner] = {
    "affinity-predict": run_affinity_predict,
    "affinity-screen": run_affinity_screen,
    "affinity-finetune": run_affinity_finetune,
    "evidence-ask": run_evidence_ask,
    "evidence-ingest": run_evidence_ingest,
    "dynamics": run_dynamics,
}
