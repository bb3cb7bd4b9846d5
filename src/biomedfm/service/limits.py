"""Configurable size limits, reported as FastAPI's own 422 body: one entry per field to fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException

from biomedfm.config import ServiceSettings


class LimitChecker:
    """Collects every limit a request breaks, then raises one 422 naming each field."""

    def __init__(self) -> None:
        self.problems: list[dict[str, Any]] = []

    def at_most(self, loc: tuple[str | int, ...], size: int, limit: int, what: str) -> None:
        if size > limit:
            self.problems.append(
                {
                    "loc": ["body", *loc],
                    "msg": f"{size} {what} is over the limit of {limit}; send at most {limit} "
                    "(or split the request)",
                    "type": "too_large",
                }
            )

    def invalid(self, loc: tuple[str | int, ...], message: str) -> None:
        """A value that is well-formed JSON but unusable (e.g. a non-amino-acid letter)."""
        self.problems.append({"loc": ["body", *loc], "msg": message, "type": "value_error"})

    def raise_if_any(self) -> None:
        if self.problems:
            raise HTTPException(status_code=422, detail=self.problems[:50])


def check_molecules(
    checker: LimitChecker,
    limits: ServiceSettings,
    rows: list[Any],
    field: str,
    smiles_key: str = "smiles",
    sequence_key: str = "sequence",
    row_name: Callable[[int], int | str] = lambda i: i,
) -> None:
    """Per-row SMILES and sequence lengths of a list of pairs/compounds/targets.

    Args:
        row_name: how a row is named in an error's location (a JSON list index by default;
            an uploaded file names its rows as a spreadsheet does, "row 1" first).
    """
    for i, row in enumerate(rows):
        smiles = getattr(row, smiles_key, None)
        if smiles is not None:
            checker.at_most(
                (field, row_name(i), smiles_key),
                len(smiles),
                limits.max_smiles_chars,
                "SMILES characters",
            )
        sequence = getattr(row, sequence_key, None)
        if sequence is not None:
            checker.at_most(
                (field, row_name(i), sequence_key),
                len(sequence),
                limits.max_sequence_chars,
                "residues",
            )
