"""Compound featurization for screening; runs in worker processes (spawned, not forked)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from biomedfm.chem.featurizers import make_featurizer
from biomedfm.chem.molecules import to_mol
from biomedfm.errors import InputError

_WORKER_FEATURIZER: Any = None


def init_featurizer_worker(spec: dict[str, Any]) -> None:
    """Process-pool initializer: build the drug featurizer once per worker."""
    global _WORKER_FEATURIZER
    _WORKER_FEATURIZER = make_featurizer("drug", spec)


@dataclass
class Featurized:
    """Features of a chunk's valid molecules and why the others were rejected."""

    features: np.ndarray
    valid: np.ndarray
    """(n_valid,) positions of the valid molecules within the chunk."""
    errors: list[tuple[int, str]]


def featurize_smiles(
    smiles: list[str], read_errors: dict[int, str], featurizer: Any = None
) -> Featurized:
    """Parse and featurize; invalid SMILES are reported, never raised."""
    featurizer = featurizer or _WORKER_FEATURIZER
    mols, valid, errors = [], [], []
    for position, text in enumerate(smiles):
        if position in read_errors:
            errors.append((position, read_errors[position]))
            continue
        try:
            mols.append(to_mol(text))
            valid.append(position)
        except InputError as error:
            errors.append((position, str(error)))
    return Featurized(
        np.asarray(featurizer.featurize(mols), dtype=np.float32),
        np.asarray(valid, dtype=np.int64),
        errors,
    )
