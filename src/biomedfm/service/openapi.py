"""The OpenAPI document states what this server enforces, so generated clients know it.

Besides the limits below: a job submission answers 200 (not 202) when its Idempotency-Key
names an earlier job, and ``model`` fields list the shipped models the server can load.

The request models carry fixed ceilings; the limits in force are settings
(``BIOMEDFM_SERVICE__MAX_PAIRS`` and the rest) checked per request. The document is written
once per app from its settings: each checked limit becomes the ``maxLength`` or ``maxItems``
of the field it applies to, so a request the schema allows is one the server takes.
"""

from __future__ import annotations

import re
from typing import Any

from biomedfm.config import ServiceSettings

# (schema, property, JSON-schema keyword, setting)
STATED_LIMITS = (
    ("PredictRequest", "pairs", "maxItems", "max_pairs"),
    ("PredictJobRequest", "pairs", "maxItems", "max_job_pairs"),
    ("ScreenRequest", "compounds", "maxItems", "max_library"),
    ("ScreenRequest", "targets", "maxItems", "max_targets"),
    ("AskRequest", "question", "maxLength", "max_question_chars"),
    ("Pair", "smiles", "maxLength", "max_smiles_chars"),
    ("Pair", "sequence", "maxLength", "max_sequence_chars"),
    ("Compound", "smiles", "maxLength", "max_smiles_chars"),
    ("Target", "sequence", "maxLength", "max_sequence_chars"),
    ("AskRequest", "smiles", "maxLength", "max_smiles_chars"),
    ("AskRequest", "sequence", "maxLength", "max_sequence_chars"),
)


def _string_or_array(node: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an optional property (``anyOf: [X, null]``), else the node."""
    for branch in node.get("anyOf", []):
        if branch.get("type") != "null":
            return branch  # type: ignore[no-any-return]
    return node


def state_limits(document: dict[str, Any], limits: ServiceSettings) -> dict[str, Any]:
    """``document`` with every limit of :data:`STATED_LIMITS` written into its schema."""
    schemas = document.get("components", {}).get("schemas", {})
    for schema, prop, keyword, setting in STATED_LIMITS:
        node = schemas.get(schema, {}).get("properties", {}).get(prop)
        if node is None:
            continue
        target = _string_or_array(node)
        target[keyword] = min(int(getattr(limits, setting)), int(target.get(keyword, 1 << 62)))
    return document


def document_replays(document: dict[str, Any]) -> dict[str, Any]:
    """Every operation that answers 202 with a new job also answers 200 with an earlier one."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "202" in responses and "200" not in responses:
                responses["200"] = {
                    **responses["202"],
                    "description": "The earlier job of the same Idempotency-Key (not run again).",
                }
    return document


def model_choices(document: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """``model`` of every request schema: one of the shipped models or a fine-tuned name."""
    from biomedfm.service.models import FINETUNED_PATTERN

    shipped = "|".join(re.escape(n) for n in sorted(names))
    pattern = f"^(?:{shipped}|{FINETUNED_PATTERN})$"
    for schema in document.get("components", {}).get("schemas", {}).values():
        node = schema.get("properties", {}).get("model")
        if node is not None and node.get("type") == "string":
            node.pop("enum", None)
            node["pattern"] = pattern
    return document


def forms_without_null(document: dict[str, Any]) -> dict[str, Any]:
    """Form fields are absent or a string, never null: drop the ``null`` branch that an
    optional parameter's type gives its multipart schema (a client would send ``"null"``)."""
    schemas = document.get("components", {}).get("schemas", {})
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("multipart/form-data", {}).get("schema", {}).get("$ref", "")
            form = schemas.get(ref.rsplit("/", 1)[-1], {})
            for name, node in form.get("properties", {}).items():
                branches = node.get("anyOf", [])
                if any(b.get("type") == "null" for b in branches) and len(branches) == 2:
                    rest = {k: v for k, v in node.items() if k != "anyOf"}
                    form["properties"][name] = {**_string_or_array(node), **rest}
    return document
