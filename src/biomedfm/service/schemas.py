"""Request and response bodies of the REST API (they are the OpenAPI schema).

Static bounds here are the hard ceilings; the configurable limits (``BIOMEDFM_SERVICE__*``) are
checked per request by :mod:`biomedfm.service.limits` and reported in the same 422 shape.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from biomedfm.chem.sequences import SEQUENCE_PATTERN
from biomedfm.evidence.reader.trial import READABLE_TEXT
from biomedfm.patterns import NOT_BLANK

ModelName = Field(
    default="davis-lite",
    min_length=1,
    max_length=200,
    description="Shipped model name (see /models): davis, davis-lite, kiba, kiba-lite; or a "
    "model fine-tuned through this service (ft-…).",
)


def _not_blank(value: str) -> str:
    if re.search(NOT_BLANK, value) is None:
        raise ValueError("holds only white space: write the text")
    return value


NonBlank = Annotated[str, AfterValidator(_not_blank)]


def _not_boolean(value: object) -> object:
    if isinstance(value, bool):  # JSON true/false is no integer, though Python's bool is one
        raise ValueError("give a whole number, not true or false")
    return value


Count = Annotated[int, BeforeValidator(_not_boolean)]


def _non_blank(max_length: int, description: str, min_length: int = 1) -> Any:
    """A text field that must hold more than white space: stated in the schema as a pattern,
    checked by ``_not_blank`` (so the error says what to fix, not which regex failed)."""
    return Field(
        min_length=min_length,
        max_length=max_length,
        json_schema_extra={"pattern": NOT_BLANK},
        description=description,
    )


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Pair(_Body):
    smiles: str = Field(min_length=1, max_length=10_000, description="Compound SMILES.")
    sequence: str = Field(
        min_length=1, max_length=100_000, description="Target protein sequence (one letter)."
    )
    id: str | None = Field(default=None, max_length=200, description="Your id for the pair.")
    target: str | None = Field(
        default=None, max_length=200, description="The target's name, echoed in the results."
    )


class PredictRequest(_Body):
    model: str = ModelName
    pairs: list[Pair] = Field(min_length=1, max_length=1_000_000, description="Pairs to score.")


class PredictJobRequest(PredictRequest):
    """The same body as /predict; a job takes more pairs (``max_job_pairs``)."""


class PredictResponse(BaseModel):
    model: str = Field(description="Model that made the predictions.")
    target: str = Field(description="Predicted quantity: rows hold pred_<target>, unc_<target>.")
    rows: list[dict[str, Any]] = Field(
        description="One row per input pair, in order: its id and smiles (the sequence is not "
        "echoed), pred_<target>, unc_<target> (1 σ; widened outside the domain), the "
        "applicability domain (in_domain, nearest_compound_similarity, nearest_target_identity, "
        "kinase_score; for models saved with a domain) and error (null if valid)."
    )
    n_invalid: int = Field(description="Rows that could not be predicted (see their error).")


class Target(_Body):
    name: str = Field(min_length=1, max_length=200, description="Target name for the output.")
    sequence: str = Field(
        min_length=1,
        max_length=100_000,
        json_schema_extra={"pattern": SEQUENCE_PATTERN},  # checked with validate_sequence's words
        description="Protein sequence (one-letter codes).",
    )


class Compound(_Body):
    id: str = Field(min_length=1, max_length=200, description="Compound id.")
    smiles: str = Field(min_length=1, max_length=10_000, description="Compound SMILES.")


def distinct_names(targets: list[Target]) -> list[Target]:
    """Repeated target names get " (2)", " (3)", ... so each ranking has its own name (as
    pandas does with repeated column names); the first keeps its name."""
    seen: dict[str, int] = {}
    named = []
    for target in targets:
        count = seen.get(target.name, 0) + 1
        seen[target.name] = count
        if count > 1:
            name = f"{target.name} ({count})"
            while name in seen:
                count += 1
                name = f"{target.name} ({count})"
            seen[name] = 1
            target = target.model_copy(update={"name": name})
        named.append(target)
    return named


class ScreenRequest(_Body):
    model: str = ModelName
    targets: Annotated[list[Target], AfterValidator(distinct_names)] = Field(
        min_length=1,
        max_length=1000,
        description='Targets. A repeated name gets " (2)", " (3)", ... in the results.',
    )
    compounds: list[Compound] = Field(
        min_length=1, max_length=10_000_000, description="Library to rank."
    )
    top: Count = Field(default=100, ge=1, le=100_000, description="Hits kept per target.")


class AskRequest(_Body):
    """``smiles`` and ``sequence`` come together or not at all (one-of, stated in the schema)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"properties": {"smiles": {"type": "null"}, "sequence": {"type": "null"}}},
                {
                    "required": ["smiles", "sequence"],
                    "properties": {"smiles": {"type": "string"}, "sequence": {"type": "string"}},
                },
            ]
        },
    )

    question: NonBlank = _non_blank(100_000, "The question.", min_length=3)
    contexts: list[str] | None = Field(
        default=None,
        max_length=1000,
        description="Passages to answer from instead of the service's corpus.",
    )
    smiles: str | None = Field(
        default=None, max_length=10_000, description="Compound: adds an affinity prediction."
    )
    sequence: str | None = Field(
        default=None, max_length=100_000, description="Target for the compound's prediction."
    )
    model: str = ModelName
    id: str | None = Field(default=None, max_length=200, description="Your question id.")


class StancePair(_Body):
    claim: NonBlank = _non_blank(2000, "The claim or question.")
    evidence: NonBlank = _non_blank(20_000, "The evidence sentence or passage.")
    id: str | None = Field(default=None, max_length=200, description="Your id for the pair.")


class StanceRequest(_Body):
    pairs: list[StancePair] = Field(
        min_length=1, max_length=256, description="Pairs to read (at most 256 per call)."
    )


class StanceRow(BaseModel):
    id: str | None = Field(description="The pair's id, as sent.")
    stance: Literal["supports", "contradicts", "neutral"] = Field(
        description="neutral: the evidence does not address the claim."
    )
    p_supports: float = Field(description="Probability the evidence supports the claim.")
    p_contradicts: float = Field(description="Probability it contradicts the claim.")
    p_neutral: float = Field(description="Probability it does not address the claim.")


class StanceResponse(BaseModel):
    reader: str = Field(description="Version of the evidence reader that read the pairs.")
    rows: list[StanceRow] = Field(description="One row per pair, in order.")


class EffectRequest(_Body):
    intervention: NonBlank = _non_blank(2000, "Intervention arm.")
    comparator: NonBlank = _non_blank(2000, "Comparator arm.")
    outcome: NonBlank = _non_blank(2000, "Outcome measured.")
    text: str = Field(
        min_length=1,
        max_length=2_000_000,
        json_schema_extra={"pattern": READABLE_TEXT},  # the reader's own check, its message
        description="The trial report (abstract or full text) to read.",
    )
    id: str | None = Field(default=None, max_length=200, description="Your id for the prompt.")


class EffectResponse(BaseModel):
    id: str | None = Field(description="The prompt's id, as sent.")
    effect: Literal["increased", "decreased", "no_difference"] = Field(
        description="The outcome under the intervention versus the comparator."
    )
    probability: float = Field(description="The reader's probability of that effect.")
    quote: str = Field(description="The sentence that reports it, verbatim from text.")
    start: int = Field(description="Offset of the quote in text (text[start:end] == quote).")
    end: int = Field(description="End offset of the quote (exclusive).")
    p_increased: float = Field(description="Probability of 'increased'.")
    p_decreased: float = Field(description="Probability of 'decreased'.")
    p_no_difference: float = Field(description="Probability of 'no_difference'.")
    p_reported: float = Field(description="Probability the quote reports this comparison.")


class IngestRequest(_Body):
    path: str = Field(
        min_length=1,
        max_length=4096,
        description="Corpus file on the server (JSONL, PubMedQA JSON, MEDLINE XML, .gz).",
    )


class DynamicsRequest(_Body):
    structure: str = Field(
        min_length=1, max_length=50_000_000, description="PDB or mmCIF file content."
    )
    format: Literal["pdb", "cif"] = Field(default="pdb", description="Format of `structure`.")
    task: Literal["flexibility", "ensemble"] = Field(
        default="flexibility",
        description="flexibility: per-residue table; ensemble: multi-model mmCIF + states.",
    )
    chains: list[str] | None = Field(default=None, max_length=100, description="Chains to keep.")
    conformers: Count = Field(default=50, ge=1, le=500, description="Ensemble size.")
    states: Count = Field(default=5, ge=1, le=50, description="States clustered from the ensemble.")
    seed: Count = Field(default=0, ge=0, description="Random seed of the ensemble.")


JobStatusName = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class JobOut(BaseModel):
    id: str
    kind: str = Field(description="affinity-predict, affinity-screen, evidence-ask, ...")
    status: JobStatusName
    progress: float = Field(description="0 to 1.")
    message: str = Field(description="Last progress message.")
    error: str | None = Field(description="Why the job failed.")
    attempts: int = Field(description="Runs started (a lost worker costs one).")
    created_at: float
    started_at: float | None
    finished_at: float | None


class JobList(BaseModel):
    jobs: list[JobOut]


class ModelInfo(BaseModel):
    name: str
    target: str = Field(description="Predicted quantity (pkd, kiba_score).")
    members: int = Field(description="Ensemble members behind each prediction.")
    lite: bool = Field(description="Distilled fast model.")
    version: str = Field(description="Release of the shipped model, e.g. 2026.11.")


class ModelCard(BaseModel):
    kind: Literal["affinity", "evidence", "dynamics"]
    name: str
    version: str = Field(description="Release, e.g. 2026.11.")
    size_mb: float = Field(description="Files in its folder, MB.")
    summary: str = Field(description="What it is, in one paragraph.")
    card: str = Field(
        description="The model card (Markdown): training data, intended use and domain, "
        "validation numbers with their commands, licence."
    )


class FinetunedModel(BaseModel):
    name: str = Field(description="Model name for requests' ``model`` field (ft-…).")
    target: str = Field(description="The assay's value column, as predicted.")
    members: int = Field(description="Ensemble members behind each prediction.")
    version: str = Field(description="Version of its base model.")
    base: str = Field(description="The pretrained start it was fine-tuned from.")
    created: float = Field(description="When it was finished (Unix time).")
    compounds: int | None = Field(None, description="Assay rows it learned from.")
    oof_rmse: float | None = Field(None, description="Out-of-fold RMSE (its held-out folds).")
    coverage90: float | None = Field(None, description="Out-of-fold 90%-interval coverage.")


class ModelList(BaseModel):
    models: list[ModelInfo] = Field(description="The affinity models (for --model / model).")
    cards: list[ModelCard] = Field(description="Every shipped model: affinity, evidence, dynamics.")
    finetuned: list[FinetunedModel] = Field(
        default_factory=list, description="Models fine-tuned through this service, newest first."
    )


class Examples(BaseModel):
    pairs_csv: str = Field(description="Pairs to paste into Predict: id,target,smiles,sequence.")
    screen_fasta: str = Field(description="Targets to screen against, FASTA.")
    screen_compounds: str = Field(description="A small library: one 'SMILES id' per line.")
    question: str = Field(description="A question for the evidence agents.")
    structure: str | None = Field(
        None,
        description="A protein structure (PDB text) for Dynamics; null when the server "
        "has no data folder (BIOMEDFM_DATA) to take it from.",
    )
    structure_name: str | None = Field(None, description="Where the example structure is from.")
    assay_csv: str | None = Field(
        None,
        description="A single-target assay (smiles,pki) for Fine-tune; null without a data folder.",
    )
    assay_target_sequence: str | None = Field(None, description="The assay's target protein.")
    assay_name: str | None = Field(None, description="Where the example assay is from.")


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    queue: str = Field(description="sqlite or redis.")
    database: str = Field(description="SQLAlchemy dialect of the job database.")
    evidence_documents: int = Field(description="Documents in the service's evidence corpus.")


class Problem(BaseModel):
    detail: str | list[dict[str, Any]]


KEYED_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing, invalid or revoked X-API-Key."},
    429: {"model": Problem, "description": "Over the key's per-minute rate or daily quota."},
}
"""What every operation behind an API key can answer besides its own codes."""
