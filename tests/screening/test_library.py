"""Streaming library readers and target FASTA parsing."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from rdkit import Chem

from biomedfm.affinity.library import count_records, read_library
from biomedfm.affinity.screening import read_targets
from biomedfm.errors import InputError


def test_csv_chunks_ids_and_skip(library_csv: Path) -> None:
    chunks = list(read_library(library_csv, chunk_size=100))
    assert [c.start for c in chunks] == [0, 100, 200, 300]
    assert sum(len(c) for c in chunks) == count_records(library_csv) == 302
    assert chunks[0].ids[0] == "C0000"
    assert chunks[0].ids[40] == "BAD_RING"
    resumed = list(read_library(library_csv, chunk_size=100, skip=150))
    assert resumed[0].start == 150
    assert resumed[0].smiles == chunks[1].smiles[50:] + chunks[2].smiles[:50]


def test_smiles_file_gz_with_header_and_missing_ids(tmp_path: Path) -> None:
    path = tmp_path / "lib.smi.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("smiles id\nCCO ethanol\n\nc1ccccc1\nCCN amine one\n")
    (chunk,) = read_library(path, chunk_size=10)
    assert chunk.smiles == ["CCO", "c1ccccc1", "CCN"]
    assert chunk.ids == ["ethanol", "row2", "amine one"]
    assert count_records(path) == 4  # the header line counts: a SMILES file may have none


def test_sdf_bad_record_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "lib.sdf"
    writer = Chem.SDWriter(str(path))
    for name, smiles in [("aspirin", "CC(=O)Oc1ccccc1C(=O)O"), ("", "CCO")]:
        mol = Chem.MolFromSmiles(smiles)
        mol.SetProp("_Name", name)
        writer.write(mol)
    writer.close()
    text = path.read_text()
    path.write_text(text + "broken\n  no atoms here\n\n  9  9  0  0\n$$$$\n")
    (chunk,) = read_library(path)
    assert chunk.ids[:2] == ["aspirin", "row2"]
    assert chunk.smiles[1] == "CCO"
    assert 2 in chunk.read_errors
    assert len(chunk) == 3


def test_unknown_format_missing_file_and_missing_column(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown library format"):
        list(read_library(Path(__file__)))
    with pytest.raises(InputError, match="does not exist"):
        count_records(tmp_path / "nothing.smi")
    path = tmp_path / "lib.csv"
    path.write_text("smi,name\nCCO,a\n")
    with pytest.raises(InputError, match="--smiles-column"):
        list(read_library(path))
    (chunk,) = read_library(path, smiles_column="smi")
    assert chunk.ids == ["a"]


def test_fasta_panel_and_errors(tmp_path: Path, panel_fasta: Path) -> None:
    targets = read_targets(panel_fasta)
    assert [t.name for t in targets] == ["kin0", "kin1", "kin2"]
    bad = tmp_path / "bad.fasta"
    bad.write_text(">ok\nMKVLAAGIVALLLAAGCSS\n>broken\nMKV1234\n")
    with pytest.raises(InputError, match=r"record 2 \(broken\).*non-amino-acid"):
        read_targets(bad)
    with pytest.raises(InputError, match="--target-fasta"):
        read_targets(None, None)
