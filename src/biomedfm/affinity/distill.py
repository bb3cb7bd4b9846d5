"""Distillation: a trained main model's predictions as the lite's targets.

Beyond the labelled pairs, the teacher can also label pairs that were never measured
(``distill_unlabelled`` with ``distill_transfer``): the table's drugs against *other* proteins,
and other molecules against the table's proteins. A one-network student that learns the
ensemble's predictions on those too copies more of what the ensemble knows than one that sees
only the measured pairs (distillation with a transfer set).

Why never the table's own unmeasured combinations (drug A × protein B, both in the table):
the held-out pairs of a benchmark split (a test fold, or any pairs a user keeps back) are
exactly such combinations, so a student trained on them would have met the pairs it is scored
on, unlabelled but with the teacher's answers, and would look better there than on new pairs.
Every transfer pair has one entity the table does not hold. No label leaks either: in CV,
student member k learns from teacher CV member k (which never saw fold k's labels), with the
table's drugs and proteins of its own training pairs only.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import DataStructs
from rdkit.Chem import rdFingerprintGenerator

from biomedfm.affinity.io import load_model
from biomedfm.affinity.presets import TrainConfig
from biomedfm.chem.molecules import canonical_smiles, to_mol
from biomedfm.chem.sequences import residue_indices, validate_sequence
from biomedfm.errors import InputError

MAX_UNLABELLED = 2_000_000
"""Most transfer pairs kept (drawn at random from a larger set): bounds memory."""
MAX_DRUG_TANIMOTO = 0.8
"""A transfer molecule this similar to a table drug (Morgan radius 2, 2,048 bits) is dropped."""
MAX_PROTEIN_JACCARD = 0.4
"""A transfer protein sharing this share of 3-mers with a table protein is dropped. Davis
against KIBA: isoforms and constructs of one kinase score 0.57-1.0, distinct kinases mostly
0.1-0.3 (a few paralogues 0.4-0.47)."""


def _trimer_sets(sequences: list[str]) -> np.ndarray:
    """(n, 8000) 0/1 rows: which 3-mers of standard residues each sequence holds."""
    rows = np.zeros((len(sequences), 20**3), dtype=np.float32)
    for row, sequence in enumerate(sequences):
        codes = residue_indices(sequence)
        triples = codes[:-2] * 400 + codes[1:-1] * 20 + codes[2:]
        valid = (codes[:-2] >= 0) & (codes[1:-1] >= 0) & (codes[2:] >= 0)
        rows[row, triples[valid]] = 1.0
    return rows


def near_table_proteins(sequences: list[str], table_sequences: list[str]) -> np.ndarray:
    """(n,) bool: the sequence's 3-mer Jaccard similarity to some table protein is at least
    ``MAX_PROTEIN_JACCARD`` (isoforms and constructs of a table protein)."""
    if not sequences or not table_sequences:
        return np.zeros(len(sequences), dtype=bool)
    new, table = _trimer_sets(sequences), _trimer_sets(table_sequences)
    shared = new @ table.T
    union = new.sum(axis=1)[:, None] + table.sum(axis=1)[None, :] - shared
    return np.asarray((shared / np.maximum(union, 1)).max(axis=1) >= MAX_PROTEIN_JACCARD)


def near_table_drugs(smiles: list[str], table_smiles: list[str]) -> np.ndarray:
    """(n,) bool: the molecule's Morgan Tanimoto similarity to some table drug is at least
    ``MAX_DRUG_TANIMOTO`` (stereoisomers and close analogues of a table drug)."""
    if not smiles or not table_smiles:
        return np.zeros(len(smiles), dtype=bool)
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    table = [generator.GetFingerprint(to_mol(s)) for s in table_smiles]
    return np.array(
        [
            max(DataStructs.BulkTanimotoSimilarity(generator.GetFingerprint(to_mol(s)), table))
            >= MAX_DRUG_TANIMOTO
            for s in smiles
        ],
        dtype=bool,
    )


def read_transfer(
    path: Path, table_smiles: list[str], table_sequences: list[str]
) -> tuple[list[str], list[str]]:
    """The transfer set's molecules and proteins, less those that are (nearly) the table's own.

    Near-duplicates go too: a stereoisomer of a table drug, or an isoform of a table protein,
    has (nearly) the same features, so its pairs would stand in for the table's own unmeasured
    combinations.

    Args:
        path: CSV with a ``smiles`` and/or a ``sequence`` column, one entity per row (the other
            cell may be blank).
        table_smiles, table_sequences: the table's distinct entities.

    Raises:
        InputError: no such file or columns, or a row that does not parse (row and fix named).
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(f"distill_transfer {path}: cannot read it as CSV ({error})") from None
    if not {"smiles", "sequence"} & set(frame.columns):
        raise InputError(
            f"distill_transfer {path}: give a 'smiles' and/or a 'sequence' column "
            f"(found {', '.join(frame.columns) or 'none'})"
        )
    smiles: dict[str, str] = {}
    sequences: dict[str, None] = {}
    for row, record in enumerate(frame.to_dict("records"), start=2):  # row 1 is the header
        try:
            text = str(record.get("smiles", "")).strip()
            if text:
                smiles.setdefault(canonical_smiles(text), text)
            raw = str(record.get("sequence", "")).strip()
            if raw:
                sequences[validate_sequence(raw)] = None
        except InputError as error:
            raise InputError(f"distill_transfer {path}, row {row}: {error}") from None
    drugs, proteins = list(smiles.values()), list(sequences)
    near_drug = near_table_drugs(drugs, table_smiles)
    near_protein = near_table_proteins(proteins, table_sequences)
    return (
        [s for s, near in zip(drugs, near_drug, strict=True) if not near],
        [s for s, near in zip(proteins, near_protein, strict=True) if not near],
    )


def transfer_pairs(
    n_drugs: int, n_proteins: int, n_new_drugs: int, n_new_proteins: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Drug and protein rows of the transfer pairs: table drugs × new proteins, then new drugs
    × table proteins (new entities take the rows after the table's), ``MAX_UNLABELLED`` of
    them drawn at random when there are more."""
    drug_rows = [np.repeat(np.arange(n_drugs), n_new_proteins)]
    protein_rows = [np.tile(np.arange(n_new_proteins) + n_proteins, n_drugs)]
    drug_rows.append(np.repeat(np.arange(n_new_drugs) + n_drugs, n_proteins))
    protein_rows.append(np.tile(np.arange(n_proteins), n_new_drugs))
    drugs, proteins = np.concatenate(drug_rows), np.concatenate(protein_rows)
    if len(drugs) > MAX_UNLABELLED:
        keep = np.sort(np.random.default_rng(seed).choice(len(drugs), MAX_UNLABELLED, False))
        drugs, proteins = drugs[keep], proteins[keep]
    return drugs.astype(np.int64), proteins.astype(np.int64)


def member_unlabelled(
    drug_index: np.ndarray,
    protein_index: np.ndarray,
    unlabelled_rows: np.ndarray,
    member_train: list[np.ndarray],
) -> list[np.ndarray]:
    """Per member, the unlabelled rows whose drug and protein are either transfer entities
    (in no labelled pair: open to every member) or occur in the member's training pairs. So a
    cold-split member never meets its held-out drugs or proteins, even unlabelled."""
    labelled = np.setdiff1d(np.arange(len(drug_index)), unlabelled_rows)
    transfer_drugs = np.ones(int(drug_index.max()) + 1, dtype=bool)
    transfer_proteins = np.ones(int(protein_index.max()) + 1, dtype=bool)
    transfer_drugs[drug_index[labelled]] = False
    transfer_proteins[protein_index[labelled]] = False
    pools = []
    for train in member_train:
        drugs, proteins = transfer_drugs.copy(), transfer_proteins.copy()
        drugs[drug_index[train]] = True
        proteins[protein_index[train]] = True
        keep = drugs[drug_index[unlabelled_rows]] & proteins[protein_index[unlabelled_rows]]
        pools.append(unlabelled_rows[keep])
    return pools


def teacher_means(
    config: TrainConfig,
    drugs: np.ndarray,
    proteins: np.ndarray,
    drug_index: np.ndarray,
    protein_index: np.ndarray,
    stage: str,
    n_members: int,
) -> np.ndarray:
    """Teacher predictions (n_members, n) for each student member, in target units, for the
    pairs given as rows into the distinct ``drugs`` and ``proteins``.

    For the CV stage member k of the student learns from member k of the teacher's CV ensemble
    (which never saw fold k either), so the student's CV numbers stay honest. For the refit
    stage every member learns from the teacher's final ensemble.
    """
    assert config.teacher is not None
    teacher_run = Path(config.teacher)
    teacher_config = json.loads((teacher_run / "config.json").read_text())["config"]
    if stage == "cv":
        for key in ("split", "n_folds", "seed"):
            if teacher_config[key] != getattr(config, key):
                raise InputError(
                    f"teacher {teacher_run} used {key}={teacher_config[key]!r} but this run uses "
                    f"{getattr(config, key)!r}: distil from a teacher trained on the same folds"
                )
        teacher = load_model(teacher_run / "cv", device=config.device)
    else:
        teacher = load_model(teacher_run / "model", device=config.device)
    means = teacher.member_means(list(drugs), list(proteins), drug_index, protein_index)
    if stage == "cv":
        return means
    return np.repeat(means.mean(axis=0, keepdims=True), n_members, axis=0)
