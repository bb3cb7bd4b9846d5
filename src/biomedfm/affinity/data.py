"""Readers for affinity pair tables and the Davis/KIBA benchmark layout.

Every reader returns a :class:`pandas.DataFrame` with the canonical column names ``smiles``,
``sequence`` and (when labelled) ``affinity``; user column names are mapped on the way in and
restored on the way out, so output files keep the user's input columns untouched.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem

from biomedfm.chem.molecules import to_mol
from biomedfm.chem.sequences import validate_sequence
from biomedfm.config import resolve_data_dir
from biomedfm.errors import InputError

DATASETS = {
    "davis": {"target": "pkd", "description": "Davis kinase Kd, pKd = -log10(Kd / 1e9)"},
    "kiba": {"target": "kiba_score", "description": "KIBA score (higher binds more tightly)"},
}
"""Benchmark datasets in ``<data>/dta/<name>``; ``target`` names the predicted unit."""


@dataclass(frozen=True)
class PairColumns:
    """Names of the input columns that hold the molecule, the protein and the label."""

    smiles: str = "smiles"
    sequence: str = "sequence"
    affinity: str = "affinity"


def read_pairs(
    path: Path,
    columns: PairColumns | None = None,
    *,
    labelled: bool = False,
    default_sequence: str | None = None,
) -> pd.DataFrame:
    """Read a CSV/TSV (optionally gzipped) pair table.

    The returned frame keeps every input column and adds canonical ``smiles``/``sequence``
    (and ``affinity`` when ``labelled``) columns when the user's names differ.

    Args:
        default_sequence: the protein of a single-target model: a table without the sequence
            column gets this sequence on every row.

    Raises:
        InputError: missing file, empty table, missing column or non-numeric labels.
    """
    columns = columns or PairColumns()
    if not path.is_file():
        raise InputError(f"input file {path} does not exist")
    separator = "\t" if ".tsv" in path.suffixes else ","
    try:
        frame = pd.read_csv(path, sep=separator, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise InputError(
            f"{path} is empty: give a header row with "
            f"'{columns.smiles}' and '{columns.sequence}' columns"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputError(f"{path} is not a readable CSV file: {error}") from None
    if default_sequence is not None and columns.sequence not in frame.columns:
        frame["sequence"] = default_sequence
        frame.attrs["sequence_added"] = True  # not the user's column: not echoed in outputs
        columns = PairColumns(columns.smiles, "sequence", columns.affinity)
    required = [columns.smiles, columns.sequence] + ([columns.affinity] if labelled else [])
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise InputError(
            f"{path} lacks column(s) {', '.join(map(repr, missing))}; it has "
            f"{', '.join(map(repr, frame.columns))}. Rename them or pass the column options "
            "(--smiles-column, --sequence-column, --affinity-column)"
        )
    if frame.empty:
        raise InputError(f"{path} has a header but no rows")
    frame["smiles"] = frame[columns.smiles]
    frame["sequence"] = frame[columns.sequence]
    if labelled:
        values = pd.to_numeric(frame[columns.affinity], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if bad.size:
            raise InputError(
                f"{path}: column '{columns.affinity}' is not a number in row(s) "
                f"{_rows(bad)}; fill in or drop those rows"
            )
        frame["affinity"] = values.astype(np.float64)
    return frame


def read_dta_dataset(name: str, data_dir: Path | None = None) -> pd.DataFrame:
    """Read a DeepDTA-layout benchmark (``davis`` or ``kiba``) as one pair table.

    Returns:
        Columns ``drug_id``, ``protein_id``, ``smiles``, ``sequence``, ``affinity``, ``fold``.
    """
    if name not in DATASETS:
        raise InputError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    folder = resolve_data_dir(data_dir) / "dta" / name
    if not folder.is_dir():
        raise InputError(f"{folder} not found: --data-dir must hold dta/{name}")
    drugs = pd.read_csv(folder / "drugs.csv", dtype=str)
    proteins = pd.read_csv(folder / "proteins.csv", dtype=str)
    pairs = pd.read_csv(folder / "train.csv", dtype={"drug_id": str, "protein_id": str})
    frame = pairs.merge(drugs, on="drug_id", how="left").merge(
        proteins, on="protein_id", how="left"
    )
    if frame[["smiles", "sequence"]].isna().any().any():
        raise InputError(f"{folder}: train.csv names drugs or proteins missing from the tables")
    frame["affinity"] = frame["affinity"].astype(np.float64)
    return frame[["drug_id", "protein_id", "smiles", "sequence", "affinity", "fold"]]


@dataclass
class PairCheck:
    """Per-row error text ('' when valid) and the molecules parsed while checking."""

    errors: pd.Series
    mols: dict[str, Chem.Mol]
    """Valid molecules keyed by stripped SMILES, so prediction need not parse them again."""


def check_pairs(frame: pd.DataFrame, known_smiles: Container[str] = ()) -> PairCheck:
    """Check every row's SMILES and sequence, keeping each valid molecule parsed.

    Each distinct SMILES/sequence is checked once, so a panel of 10k compounds against one
    target costs one sequence check. SMILES in ``known_smiles`` (a model's embedding cache)
    were valid when cached and are not parsed again.
    """
    mols: dict[str, Chem.Mol] = {}

    def parse(value: str) -> None:
        text = value.strip()
        if text not in known_smiles:
            mols[text] = to_mol(value)

    smiles_errors = _errors_by_value(frame["smiles"], parse)
    sequence_errors = _errors_by_value(frame["sequence"], validate_sequence)
    combined = [
        "; ".join(part for part in (s, q) if part)
        for s, q in zip(smiles_errors, sequence_errors, strict=True)
    ]
    return PairCheck(pd.Series(combined, index=frame.index, dtype=str), mols)


def validate_pairs(frame: pd.DataFrame) -> pd.Series:
    """The error text per row ('' when valid); see :func:`check_pairs`."""
    return check_pairs(frame).errors


def _errors_by_value(values: pd.Series, check: object) -> list[str]:
    messages: dict[str, str] = {}
    out = []
    for value in values.astype(str):
        if value not in messages:
            try:
                check(value)  # type: ignore[operator]
                messages[value] = ""
            except InputError as error:
                messages[value] = str(error)
        out.append(messages[value])
    return out


def _rows(indices: np.ndarray, limit: int = 5) -> str:
    """Human row numbers (1 = first data row), clipped to a few."""
    shown = ", ".join(str(i + 1) for i in indices[:limit])
    return shown + (f" and {indices.size - limit} more" if indices.size > limit else "")
