"""Affinity: synchronous prediction (small batches), prediction jobs, CSV upload, screening."""

from __future__ import annotations

import asyncio
import io
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Header,
    HTTPException,
    Request,
    Response,
    UploadFile,
)
from pydantic import BeforeValidator

from biomedfm.affinity.io import read_model_config
from biomedfm.affinity.model import ModelConfig
from biomedfm.chem.sequences import SEQUENCE_PATTERN, validate_sequence
from biomedfm.errors import InputError, ModelNotFoundError
from biomedfm.service.batching import PredictionBatcher
from biomedfm.service.deps import KeyDep, ServicesDep, spend_quota
from biomedfm.service.limits import LimitChecker, check_molecules
from biomedfm.service.models import (
    is_finetuned_name,
    new_finetuned_name,
    resolve_service_model,
)
from biomedfm.service.routes.submit import refuse_job, submit_job
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

# An empty file is refused (422), so the schema says a file has at least one byte; what its
# rows hold no schema can state, so an unusable file gets a job that has already failed.
NON_EMPTY_FILE: dict[str, Any] = {"format": "binary", "minLength": 1}
# What validate_sequence accepts (a field sent empty is refused, as every form field is).
FORM_SEQUENCE: dict[str, Any] = {"pattern": SEQUENCE_PATTERN}
router = APIRouter(prefix="/affinity", tags=["affinity"], responses=KEYED_RESPONSES)


def _form_bool(value: object) -> object:
    """A form's boolean is the text true or false (as the schema's boolean is sent), no
    other spelling: pydantic would also take 0, 1, yes, no, on and off."""
    if isinstance(value, str) and value.lower() not in ("true", "false"):
        raise ValueError("send true or false")
    return value


FormBool = Annotated[bool, BeforeValidator(_form_bool)]


async def _form_fields_as_stated(request: Request) -> None:
    """422 for a form field of the endpoint sent empty or more than once: the framework
    would read an empty one as absent (the default) and keep the last of repeated ones,
    neither of which the schema says; leave a field out for its default, or send it once.
    The fields are the endpoint's own form parameters (unknown fields are ignored)."""
    route = request.scope.get("route")
    names = [field.alias for field in getattr(getattr(route, "dependant", None), "body_params", [])]
    form = await request.form()
    problems = []
    for name in names:
        values = form.getlist(name)
        if len(values) > 1:
            problems.append((name, f"sent {len(values)} times: send it once"))
        elif values and isinstance(values[0], str) and not values[0]:
            problems.append((name, "sent empty: leave the field out for its default"))
    if problems:
        raise HTTPException(
            422, [{"loc": ["body", n], "msg": m, "type": "value_error"} for n, m in problems]
        )


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


def _check_pairs(
    services: ServicesDep, pairs: list[Pair], limit: int, where: str = "pairs"
) -> None:
    """422 for too many pairs or an over-long SMILES/sequence; ``where="file"`` names the
    rows of an uploaded CSV (row 1 is the first after the header)."""
    checker = LimitChecker()
    checker.at_most((where,), len(pairs), limit, "pairs")
    check_molecules(
        checker,
        services.settings.service,
        pairs,
        where,
        row_name=(lambda i: f"row {i + 1}") if where == "file" else (lambda i: i),
    )
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
    dependencies=[Depends(_form_fields_as_stated)],
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
    """A prediction job from an uploaded CSV (columns ``smiles``, ``sequence``, optional ``id``).

    A file whose rows cannot be used (not a CSV, a column missing, a row over a limit) gives a
    job that has already failed (``status: failed``), its ``error`` naming the column or row
    to fix; a file's rows are beyond what the schema can state."""
    limit = services.settings.service.max_upload_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise HTTPException(413, f"upload is over {limit} bytes: split the file")
    if not content:
        raise _csv_problem("the file is empty: send a CSV with smiles and sequence columns")
    _check_model(model)
    try:
        records = _read_pairs_csv(content)
        pairs = [
            Pair.model_construct(smiles=r["smiles"], sequence=r["sequence"], id=r.get("id"))
            for r in records
        ]
        _check_pairs(services, pairs, services.settings.service.max_job_pairs, "file")
    except HTTPException as problem:
        if problem.status_code != 422:
            raise
        refused = {"model": model, "file": file.filename}
        return refuse_job(services, key, "affinity-predict", refused, problem, response)
    params = {"model": model, "pairs": records}
    return submit_job(services, key, "affinity-predict", params, idempotency_key, response)


def _read_pairs_csv(content: bytes) -> list[dict[str, str]]:
    """The rows of an uploaded pairs CSV (id, smiles, sequence); 422 naming what is wrong."""
    try:
        frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as error:
        raise _csv_problem(f"not a CSV file: {error}") from None
    missing = [c for c in ("smiles", "sequence") if c not in frame.columns]
    if missing:
        raise _csv_problem(
            f"CSV lacks column(s) {', '.join(missing)}; found "
            f"{', '.join(map(str, frame.columns)) or 'none'}"
        )
    columns = [c for c in ("id", "smiles", "sequence") if c in frame.columns]
    return [{str(k): str(v) for k, v in row.items()} for row in frame[columns].to_dict("records")]


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
    dependencies=[Depends(_form_fields_as_stated)],
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
            min_length=1,
            max_length=200,
            description="Column of measured values (pki, pic50, ...); "
            "default: the table's only numeric column.",
        ),
    ] = None,
    base: Annotated[FinetuneBase, Form(description="Pretrained start.")] = "kiba",
    target_sequence: Annotated[
        str | None,
        Form(
            max_length=5000,
            json_schema_extra=FORM_SEQUENCE,
            description="The one target's protein sequence (single target).",
        ),
    ] = None,
    sequence_column: Annotated[
        str | None,
        Form(min_length=1, max_length=200, description="Column of sequences (several targets)."),
    ] = None,
    smiles_column: Annotated[str, Form(min_length=1, max_length=200)] = "smiles",
    epochs: Annotated[int, Form(ge=1, le=200, description="Epochs per member.")] = 40,
    lite: Annotated[
        FormBool,
        Form(
            description="Also distil a one-network student in the lite's shape, served as "
            "``ft-…-lite`` (the lite's speed, for screening; about twice the job's time)."
        ),
    ] = False,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    """Fine-tune a model on your assay (a job); its result names the new model (``ft-…``),
    which ``/affinity/predict`` and the other endpoints then take as ``model``.

    The assay is read as the job will read it before the job is queued: a file that cannot be
    used (not a UTF-8 CSV, no such column, too few usable rows) gives a job that has already
    failed (``status: failed``), its ``error`` naming the column or row and the fix."""
    limit = services.settings.service.max_upload_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise HTTPException(413, f"upload is over {limit} bytes: split the file")
    if not content:
        raise _csv_problem("the file is empty: send a CSV with a smiles column and your values")
    if target_sequence:
        try:
            validate_sequence(target_sequence)
        except InputError as error:
            problem = {"loc": ["body", "target_sequence"], "msg": str(error), "type": "value_error"}
            raise HTTPException(422, [problem]) from None
    params: dict[str, object] = {
        "name": new_finetuned_name(),
        "base": base,
        "smiles_column": smiles_column,
        "sequence_column": sequence_column or None,
        "target_sequence": target_sequence or None,
        "epochs": epochs,
        "lite": lite,
    }
    try:
        params.update(_assay_csv(content, target_column))
        await asyncio.to_thread(_read_assay_upload, content, params)
    except HTTPException as problem:
        if problem.status_code != 422:
            raise
        refused = {"base": base, "file": file.filename}
        return refuse_job(services, key, "affinity-finetune", refused, problem, response)
    return submit_job(services, key, "affinity-finetune", params, idempotency_key, response)


def _assay_csv(content: bytes, target_column: str | None) -> dict[str, object]:
    """The assay's text and its column of measured values; 422 naming what is wrong."""
    if not content.strip():
        raise _csv_problem("the file holds only white space: send a CSV with a smiles column")
    try:
        text = content.decode("utf-8-sig")
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as error:
        raise _csv_problem(f"not a UTF-8 CSV file: {error}") from None
    return {"csv": text, "target_column": _value_column(frame, target_column)}
