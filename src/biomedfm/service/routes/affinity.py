"""Affinity: synchronous prediction (small batches), prediction jobs, CSV upload, screening."""

from __future__ import annotations

import asyncio
import io
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, File, Form, Header, HTTPException, Request, Response, UploadFile

from biomedfm.affinity.io import read_model_config
from biomedfm.affinity.model import ModelConfig
from biomedfm.chem.sequences import validate_sequence
from biomedfm.errors import InputError, ModelNotFoundError
from biomedfm.service.batching import PredictionBatcher
from biomedfm.service.deps import KeyDep, ServicesDep, spend_quota
from biomedfm.service.limits import LimitChecker, check_molecules
from biomedfm.service.models import (
    is_finetuned_name,
    new_finetuned_name,
    resolve_service_model,
)
from biomedfm.service.routes.submit import submit_job
from biomedfm.service.schemas import (
    KEYED_RESPONSES,
    JobOut,
    Pair,
    PredictJobRequest,
    PredictRequest,
    PredictResponse,
    Problem,
    ScreenRequest,
)

# An empty file is refused (422), so the schema says a file has at least one byte.
NON_EMPTY_FILE: dict[str, Any] = {"format": "binary", "minLength": 1}
router = APIRouter(prefix="/affinity", tags=["affinity"], responses=KEYED_RESPONSES)

IdempotencyKey = Annotated[
    str | None,
    Header(max_length=200, description="Same key, same job: a repeated submission runs once."),
]


@lru_cache(maxsize=64)
def _model_config(name: str) -> ModelConfig:
    """Configs of the models asked for so far (only found ones are cached)."""
    return read_model_config(resolve_service_model(name))


def _check_model(name: str) -> None:
    """422 for a name that is no model; 404 for a fine-tuned model that does not exist (yet)."""
    try:
        _model_config(name)
    except ModelNotFoundError as error:
        if is_finetuned_name(name):
            raise HTTPException(404, str(error)) from None
        raise HTTPException(
            422, [{"loc": ["body", "model"], "msg": str(error), "type": "value_error"}]
        ) from None


MODEL_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "No fine-tuned model of that name (ft-…)."}
}


def _check_pairs(services: ServicesDep, pairs: list[Pair], limit: int) -> None:
    checker = LimitChecker()
    checker.at_most(("pairs",), len(pairs), limit, "pairs")
    check_molecules(checker, services.settings.service, pairs, "pairs")
    checker.raise_if_any()


@router.post("/predict", responses=MODEL_RESPONSES)
async def predict(
    body: PredictRequest, request: Request, services: ServicesDep, key: KeyDep
) -> PredictResponse:
    """Score up to ``max_pairs`` pairs now; invalid rows carry an ``error`` and are not scored."""
    _check_pairs(services, body.pairs, services.settings.service.max_pairs)
    _check_model(body.model)
    if key.quota_per_day is None:
        spend_quota(services, key)  # counted in memory
    else:
        await asyncio.to_thread(spend_quota, services, key)  # a database transaction
    batcher: PredictionBatcher = request.app.state.batcher
    scored = await batcher.predict(
        body.model, [p.model_dump(exclude_none=True) for p in body.pairs]
    )
    rows = [{k: v for k, v in row.items() if k != "sequence"} for row in scored]
    return PredictResponse(
        model=body.model,
        target=_model_config(body.model).target,
        rows=rows,
        n_invalid=sum(bool(r["error"]) for r in rows),
    )


@router.post("/jobs", status_code=202, responses=MODEL_RESPONSES)
def predict_job(
    body: PredictJobRequest,
    services: ServicesDep,
    key: KeyDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    """A prediction job for batches up to ``max_job_pairs``; result as JSON or CSV."""
    _check_pairs(services, body.pairs, services.settings.service.max_job_pairs)
    _check_model(body.model)
    params = {"model": body.model, "pairs": [p.model_dump(exclude_none=True) for p in body.pairs]}
    return submit_job(services, key, "affinity-predict", params, idempotency_key, response)


@router.post(
    "/upload",
    status_code=202,
    responses={
        413: {"model": Problem, "description": "Upload over the size limit."},
        **MODEL_RESPONSES,
    },
)
async def upload(
    services: ServicesDep,
    key: KeyDep,
    response: Response,
    file: Annotated[
        UploadFile,
        File(description="CSV with smiles and sequence columns.", json_schema_extra=NON_EMPTY_FILE),
    ],
    model: Annotated[str, Form(max_length=200)] = "davis-lite",
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    """A prediction job from an uploaded CSV (columns ``smiles``, ``sequence``, optional ``id``)."""
    limit = services.settings.service.max_upload_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise HTTPException(413, f"upload is over {limit} bytes: split the file")
    try:
        frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as error:
        raise HTTPException(
            422, [{"loc": ["body", "file"], "msg": f"not a CSV file: {error}", "type": "csv"}]
        ) from None
    missing = [c for c in ("smiles", "sequence") if c not in frame.columns]
    if missing:
        raise HTTPException(
            422,
            [
                {
                    "loc": ["body", "file"],
                    "msg": f"CSV lacks column(s) {', '.join(missing)}; found "
                    f"{', '.join(map(str, frame.columns)) or 'none'}",
                    "type": "csv",
                }
            ],
        )
    columns = [c for c in ("id", "smiles", "sequence") if c in frame.columns]
    records = [
        {str(k): str(v) for k, v in row.items()} for row in frame[columns].to_dict("records")
    ]
    pairs = [
        Pair.model_construct(smiles=r["smiles"], sequence=r["sequence"], id=r.get("id"))
        for r in records
    ]
    _check_pairs(services, pairs, services.settings.service.max_job_pairs)
    _check_model(model)
    params = {"model": model, "pairs": records}
    return submit_job(services, key, "affinity-predict", params, idempotency_key, response)


@router.post("/screen", status_code=202, responses=MODEL_RESPONSES)
def screen(
    body: ScreenRequest,
    services: ServicesDep,
    key: KeyDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    """Rank a compound library against one or more targets; top ``top`` per target."""
    limits = services.settings.service
    checker = LimitChecker()
    checker.at_most(("compounds",), len(body.compounds), limits.max_library, "compounds")
    checker.at_most(("targets",), len(body.targets), limits.max_targets, "targets")
    check_molecules(checker, limits, body.compounds, "compounds")
    check_molecules(checker, limits, body.targets, "targets")
    for i, target in enumerate(body.targets):
        if len(target.sequence) <= limits.max_sequence_chars:
            try:
                validate_sequence(target.sequence)
            except InputError as error:
                checker.invalid(("targets", i, "sequence"), str(error))
    checker.raise_if_any()
    _check_model(body.model)
    return submit_job(
        services, key, "affinity-screen", body.model_dump(), idempotency_key, response
    )


FinetuneBase = Literal["kiba", "davis", "kiba-lite", "davis-lite", "encoder", "scratch"]
IDENTITY_COLUMNS = {"smiles", "sequence", "id", "name", "target", "compound_id"}


def _csv_problem(message: str) -> HTTPException:
    return HTTPException(422, [{"loc": ["body", "file"], "msg": message, "type": "csv"}])


def _value_column(frame: pd.DataFrame, asked: str | None) -> str:
    """The column of measured values: the one asked for, else the table's only numeric one."""
    if asked:
        if asked not in frame.columns:
            raise _csv_problem(
                f"no column {asked!r}; the CSV has {', '.join(map(str, frame.columns))}"
            )
        return asked
    numeric = [
        str(c)
        for c in frame.columns
        if str(c).lower() not in IDENTITY_COLUMNS
        and pd.to_numeric(frame[c], errors="coerce").notna().mean() >= 0.9
    ]
    if len(numeric) != 1:
        raise _csv_problem(
            "name the column of measured values (target_column): "
            + (f"candidates {', '.join(numeric)}" if numeric else "no numeric column found")
        )
    return numeric[0]


def _read_assay_upload(content: bytes, params: dict[str, object]) -> int:
    """Check the assay as the job will read it; the number of usable rows (422 if none)."""
    from biomedfm.affinity.finetune import read_assay

    with tempfile.TemporaryDirectory(prefix="biomedfm-upload-") as tmp:
        path = Path(tmp) / "assay.csv"
        path.write_bytes(content)
        try:
            assay = read_assay(
                path,
                str(params["target_column"]),
                smiles_column=str(params["smiles_column"]),
                sequence_column=params["sequence_column"],  # type: ignore[arg-type]
                target_sequence=params["target_sequence"],  # type: ignore[arg-type]
            )
        except InputError as error:
            raise _csv_problem(str(error).replace(str(path), "the upload")) from None
    return len(assay.frame)


@router.post(
    "/finetune",
    status_code=202,
    responses={413: {"model": Problem, "description": "Upload over the size limit."}},
)
async def finetune_job(
    services: ServicesDep,
    key: KeyDep,
    response: Response,
    file: Annotated[
        UploadFile,
        File(
            description="Assay CSV: a smiles column and a column of measured values.",
            json_schema_extra=NON_EMPTY_FILE,
        ),
    ],
    target_column: Annotated[
        str | None,
        Form(
            max_length=200,
            description="Column of measured values (pki, pic50, ...); "
            "default: the table's only numeric column.",
        ),
    ] = None,
    base: Annotated[FinetuneBase, Form(description="Pretrained start.")] = "kiba",
    target_sequence: Annotated[
        str | None,
        Form(max_length=5000, description="The one target's protein sequence (single target)."),
    ] = None,
    sequence_column: Annotated[
        str | None, Form(max_length=200, description="Column of sequences (several targets).")
    ] = None,
    smiles_column: Annotated[str, Form(min_length=1, max_length=200)] = "smiles",
    epochs: Annotated[int, Form(ge=1, le=200, description="Epochs per member.")] = 40,
    lite: Annotated[
        bool,
        Form(
            description="Also distil a one-network student in the lite's shape, served as "
            "``ft-…-lite`` (the lite's speed, for screening; about twice the job's time)."
        ),
    ] = False,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    """Fine-tune a model on your assay (a job); its result names the new model (``ft-…``),
    which ``/affinity/predict`` and the other endpoints then take as ``model``."""
    limit = services.settings.service.max_upload_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise HTTPException(413, f"upload is over {limit} bytes: split the file")
    if not content.strip():
        raise _csv_problem("the file is empty: send a CSV with a smiles column and your values")
    try:
        text = content.decode("utf-8-sig")
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as error:
        raise _csv_problem(f"not a UTF-8 CSV file: {error}") from None
    params: dict[str, object] = {
        "name": new_finetuned_name(),
        "csv": text,
        "target_column": _value_column(frame, target_column),
        "base": base,
        "smiles_column": smiles_column,
        "sequence_column": sequence_column or None,
        "target_sequence": target_sequence or None,
        "epochs": epochs,
        "lite": lite,
    }
    await asyncio.to_thread(_read_assay_upload, content, params)
    return submit_job(services, key, "affinity-finetune", params, idempotency_key, response)
