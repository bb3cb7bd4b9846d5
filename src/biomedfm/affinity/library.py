"""Compound libraries (.smi / .csv / .tsv / .sdf, optionally .gz) read as a stream of chunks.

Screening libraries have millions of rows, so nothing here loads a whole file: readers yield
:class:`LibraryChunk` objects of a fixed number of records, and a resumed screen skips the
records it has already scored without parsing them.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pandas as pd

from biomedfm.errors import InputError

ID_COLUMNS = ("compound_id", "id", "name", "ID", "Name", "mol_id", "zinc_id")
"""Columns taken as the compound id, in this order, when ``id_column`` is not given."""

SMILES_FORMATS = (".smi", ".smiles", ".txt")
TABLE_FORMATS = {".csv": ",", ".tsv": "\t"}


@dataclass
class LibraryChunk:
    """Consecutive library records ``start .. start + len(smiles) - 1`` (0-based)."""

    start: int
    ids: list[str]
    smiles: list[str]
    read_errors: dict[int, str] = field(default_factory=dict)
    """Position in the chunk → why the record could not be read (SDF blocks RDKit rejects)."""

    def __len__(self) -> int:
        return len(self.smiles)


def library_format(path: Path) -> str:
    """The format suffix of ``path`` with any ``.gz`` removed (``.smi``, ``.csv``, ``.sdf``...)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in SMILES_FORMATS or suffix in TABLE_FORMATS or suffix == ".sdf":
        return suffix
    raise InputError(
        f"{path}: unknown library format {suffix or '(no suffix)'!r}; use .smi, .csv, .tsv or "
        ".sdf, optionally gzipped (.gz)"
    )


def _check_exists(path: Path) -> None:
    if not path.is_file():
        raise InputError(f"library {path} does not exist")


def _open_text(path: Path) -> IO[str]:
    if path.suffix.lower() == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


def _open_binary(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]  # GzipFile is a binary IO
    return path.open("rb")


def count_records(path: Path) -> int:
    """Number of records, counted without parsing molecules (for progress and ETA)."""
    _check_exists(path)
    fmt = library_format(path)
    with _open_text(path) as handle:
        if fmt == ".sdf":
            return sum(1 for line in handle if line.startswith("$$$$"))
        lines = sum(1 for line in handle if line.strip())
    if fmt in TABLE_FORMATS:
        return max(lines - 1, 0)
    return lines


def read_library(
    path: Path,
    *,
    chunk_size: int = 10_000,
    skip: int = 0,
    smiles_column: str = "smiles",
    id_column: str | None = None,
) -> Iterator[LibraryChunk]:
    """Yield the library in chunks of ``chunk_size`` records, starting after ``skip`` records.

    Compound ids come from the id column (CSV), the second field (SMILES files) or the molecule
    name (SDF); records without one get ``row<N>`` (1-based record number).

    Raises:
        InputError: missing file, unknown format, or a table without the SMILES column.
    """
    _check_exists(path)
    fmt = library_format(path)
    if fmt in TABLE_FORMATS:
        yield from _read_table(path, TABLE_FORMATS[fmt], chunk_size, skip, smiles_column, id_column)
    elif fmt == ".sdf":
        yield from _read_sdf(path, chunk_size, skip)
    else:
        yield from _read_smiles_file(path, chunk_size, skip)


def _read_table(
    path: Path,
    sep: str,
    chunk_size: int,
    skip: int,
    smiles_column: str,
    id_column: str | None,
) -> Iterator[LibraryChunk]:
    header = pd.read_csv(path, sep=sep, nrows=0).columns.tolist()
    if smiles_column not in header:
        raise InputError(
            f"{path}: no {smiles_column!r} column (columns: {', '.join(header)}); name the "
            "SMILES column with --smiles-column"
        )
    if id_column is not None and id_column not in header:
        raise InputError(f"{path}: no id column {id_column!r} (columns: {', '.join(header)})")
    ids_from = id_column or next((c for c in ID_COLUMNS if c in header), None)
    columns = [smiles_column] + ([ids_from] if ids_from else [])
    reader = pd.read_csv(
        path,
        sep=sep,
        usecols=columns,
        dtype=str,
        keep_default_na=False,
        chunksize=chunk_size,
        skiprows=range(1, skip + 1) if skip else None,
    )
    start = skip
    for frame in reader:
        smiles = frame[smiles_column].tolist()
        if ids_from:
            ids = [i or f"row{start + k + 1}" for k, i in enumerate(frame[ids_from].tolist())]
        else:
            ids = [f"row{start + k + 1}" for k in range(len(frame))]
        yield LibraryChunk(start, ids, smiles)
        start += len(frame)


def _read_smiles_file(path: Path, chunk_size: int, skip: int) -> Iterator[LibraryChunk]:
    ids: list[str] = []
    smiles: list[str] = []
    record = 0
    start = skip
    with _open_text(path) as handle:
        for line in handle:
            fields = line.split(maxsplit=1)
            if not fields:
                continue
            if record == 0 and fields[0].lower() == "smiles":  # a header line
                continue
            record += 1
            if record <= skip:
                continue
            smiles.append(fields[0])
            ids.append(fields[1].strip() if len(fields) > 1 else f"row{record}")
            if len(smiles) == chunk_size:
                yield LibraryChunk(start, ids, smiles)
                start += len(smiles)
                ids, smiles = [], []
    if smiles:
        yield LibraryChunk(start, ids, smiles)


def _read_sdf(path: Path, chunk_size: int, skip: int) -> Iterator[LibraryChunk]:
    from rdkit import Chem

    with _open_binary(path) as handle:
        chunk = LibraryChunk(skip, [], [])
        for record, mol in enumerate(Chem.ForwardSDMolSupplier(handle), start=1):
            if record <= skip:
                continue
            if mol is None:
                chunk.read_errors[len(chunk)] = "RDKit cannot read this SDF record"
                chunk.ids.append(f"row{record}")
                chunk.smiles.append("")
            else:
                name = mol.GetProp("_Name").strip() if mol.HasProp("_Name") else ""
                chunk.ids.append(name or f"row{record}")
                chunk.smiles.append(Chem.MolToSmiles(mol))
            if len(chunk) == chunk_size:
                yield chunk
                chunk = LibraryChunk(chunk.start + chunk_size, [], [])
        if len(chunk):
            yield chunk
