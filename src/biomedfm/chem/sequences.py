"""Protein sequence validation: 20 standard residues plus X (unknown) and U (selenocysteine)."""

from __future__ import annotations

import numpy as np

from biomedfm.errors import InputError
from biomedfm.patterns import PYTHON_SPACE

STANDARD_AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
ALLOWED_LETTERS = frozenset(STANDARD_AMINO_ACIDS + "XU")
MIN_SEQUENCE_LENGTH = 10
MAX_SEQUENCE_LENGTH = 5000
"""Titin-sized inputs are out of scope; the bound keeps featurization time predictable."""
_LETTERS = "".join(sorted(ALLOWED_LETTERS)) + "".join(sorted(ALLOWED_LETTERS)).lower()
SEQUENCE_PATTERN = f"^(?:[{PYTHON_SPACE}]*[{_LETTERS}]){{{MIN_SEQUENCE_LENGTH},}}[{PYTHON_SPACE}]*$"
"""What :func:`validate_sequence` accepts (length bound aside), as a JSON-schema regex:
allowed letters in either case, at least MIN_SEQUENCE_LENGTH of them, white space anywhere
(Python's white space, :data:`biomedfm.patterns.PYTHON_SPACE`)."""

_RESIDUE_INDEX = np.full(256, -1, dtype=np.int64)
_RESIDUE_INDEX[np.frombuffer(STANDARD_AMINO_ACIDS.encode(), dtype=np.uint8)] = np.arange(20)


def residue_indices(sequence: str) -> np.ndarray:
    """Each letter's index in :data:`STANDARD_AMINO_ACIDS`, -1 for any other (X, U, gap)."""
    return _RESIDUE_INDEX[np.frombuffer(sequence.encode(), dtype=np.uint8)]


def validate_sequence(
    sequence: object,
    *,
    min_length: int = MIN_SEQUENCE_LENGTH,
    max_length: int = MAX_SEQUENCE_LENGTH,
) -> str:
    """Return the upper-cased sequence with white space removed, or raise a clear error.

    Raises:
        InputError: empty, too short/long, or holding letters that are not amino acids.
    """
    if not isinstance(sequence, str) or not sequence.strip():
        raise InputError("protein sequence is empty: give one-letter amino-acid codes")
    text = "".join(sequence.split())
    bad = sorted(set(text) - ALLOWED_LETTERS - {c.lower() for c in ALLOWED_LETTERS})
    text = text.upper()
    if bad:
        raise InputError(
            f"protein sequence has non-amino-acid letters {''.join(bad)!r}: use the 20 standard "
            "one-letter codes plus X (unknown) or U (selenocysteine)"
        )
    if len(text) < min_length:
        raise InputError(
            f"protein sequence has {len(text)} residues, fewer than {min_length}: give the "
            "full chain, not a fragment"
        )
    if len(text) > max_length:
        raise InputError(
            f"protein sequence has {len(text)} residues, more than the {max_length} limit: "
            "give the domain or chain that binds"
        )
    return text
