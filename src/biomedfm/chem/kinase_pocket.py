"""The ATP pocket of a protein kinase, read off a sequence by alignment to a reference domain.

Global k-mer composition describes a whole (often 1,000-residue) protein; whether an inhibitor
binds is decided by some 100 residues lining the ATP pocket: the glycine-rich P-loop, the β3
lysine, the αC helix, the gatekeeper and hinge, the catalytic loop and the DFG motif. Kinase
selectivity profiles follow those residues (KLIFS, Kooistra et al. 2016), so they are what a
binding model should see position by position.

Each sequence is aligned locally (Smith-Waterman, BLOSUM62, gap open 10 / extend 0.5) to the
human ABL1 kinase domain with parasail's SIMD aligner: about 0.2 ms for a 1,000-residue kinase,
30x Biopython's, which matters when a batch holds hundreds of distinct targets. The residues it
places at the reference's pocket segments are encoded position by position in reference
coordinates, so the same columns mean the same pocket position in every kinase.

A sequence whose alignment score is under ``min_score`` is not read as a protein kinase
domain (non-kinases score 0.02-0.04 of ABL1 aligned with itself, lipid and atypical kinases
0.02-0.05, protein kinases 0.06 and up): its pocket columns stay zero, so noise from a chance
alignment never reaches the network, and only the score column is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import parasail

from biomedfm.chem.sequences import STANDARD_AMINO_ACIDS, residue_indices

# Human ABL1 (UniProt P00519): the 265 residues of its kinase domain, as in the Davis set.
REFERENCE_DOMAIN = (
    "SPNYDKWEMERTDITMKHKLGGGQYGEVYEGVWKKYSLTVAVKTLKEDTMEVEEFLKEAAVMKEIKHPNLVQLLGVCTREPPFYIITEF"
    "MTYGNLLDYLRECNRQEVNAVVLLYMATQISSAMEYLEKKNFIHRDLAARNCLVGENHLVKVADFGLSRLMTGDTYTAHAGAKFPIKWT"
    "APESLAYNKFSIKSDVWAFGVLLWEIATYGMSPYPGIDLSQVYELLEKDYRMERPEGCPEKVYELMRACWQWNPSDRPSFAEIHQAF"
)
# Pocket segments of the reference: P-loop → β3 lysine → αC → gatekeeper (T315) → hinge, and
# catalytic loop (HRD) → DFG → start of the activation loop.
POCKET_SEGMENTS = (
    "KHKLGGGQYGEVYEGVWKKYSLTVAVKTLKEDTMEVEEFLKEAAVMKEIKHPNLVQLLGVCTREPPFYIITEFMTYGNLLDYLRE",
    "NFIHRDLAARNCLVGENHLVKVADFGLSRLMTG",
)
_GAP = 20  # one-hot column for "no residue aligned here"


def _pocket_positions() -> np.ndarray:
    positions: list[int] = []
    for segment in POCKET_SEGMENTS:
        start = REFERENCE_DOMAIN.index(segment)
        positions.extend(range(start, start + len(segment)))
    return np.asarray(positions, dtype=np.int64)


POCKET_POSITIONS = _pocket_positions()
# Gap open 10 / extend 0.5 with BLOSUM62 doubled, as parasail scores only in integers.
_GAP_OPEN, _GAP_EXTEND = 20, 1
_ALPHABET = "ARNDCQEGHILKMFPSTWYVBZX*"  # parasail's order for its built-in BLOSUM62


def _blosum62() -> np.ndarray:
    """BLOSUM62 (24 × 24, :data:`_ALPHABET` order) as integers."""
    return np.asarray(parasail.blosum62.matrix, dtype=np.int64)


@lru_cache(maxsize=1)
def _scoring_matrix() -> Any:
    """BLOSUM62 × 2 as a parasail matrix (parasail scores are integers)."""
    matrix = parasail.matrix_create(_ALPHABET, 0, 0)
    for i, row in enumerate(2 * _blosum62()):
        for j, value in enumerate(row):
            matrix[i, j] = int(value)
    return matrix


def _align(query: str) -> Any:
    return parasail.sw_trace_striped_16(
        query, REFERENCE_DOMAIN, _GAP_OPEN, _GAP_EXTEND, _scoring_matrix()
    )


@lru_cache(maxsize=1)
def _self_score() -> float:
    return float(_align(REFERENCE_DOMAIN).score)


def pocket_residues(sequence: str) -> tuple[str, float]:
    """The residues aligned to each pocket position ('-' where none) and the alignment score.

    The score is relative to the reference aligned with itself (1.0 = ABL1's own domain).
    Letters outside the 20 standard amino acids (X, U) are aligned as X.
    """
    cleaned = "".join(c if c in STANDARD_AMINO_ACIDS else "X" for c in sequence)
    result = _align(cleaned)
    if result.score <= 0:  # nothing aligns (e.g. all X); parasail then reports no valid score
        return "-" * len(POCKET_POSITIONS), 0.0
    by_reference = ["-"] * len(REFERENCE_DOMAIN)
    position = result.cigar.beg_ref
    for query_letter, reference_letter in zip(
        result.traceback.query, result.traceback.ref, strict=True
    ):
        if reference_letter != "-":
            by_reference[position] = query_letter
            position += 1
    residues = "".join(by_reference[i] for i in POCKET_POSITIONS)
    return residues, float(result.score) / _self_score()


@lru_cache(maxsize=4)
def _residue_codes(encoding: str, components: int | None) -> np.ndarray:
    """(21, width): row i encodes amino acid i, row 20 the gap; the last column flags the gap.

    ``onehot``: the identity. ``blosum``: BLOSUM62 rows scaled to about [-1, 1], so W and F,
    or K and R, look alike to the network; with ``components`` = k, only the k eigenvectors of
    BLOSUM62 with the largest |eigenvalue| (scaled by its root), a compact embedding
    that keeps most of the substitution structure in a fraction of the columns.
    """
    if encoding == "onehot":
        return np.eye(_GAP + 1, dtype=np.float32)
    order = [_ALPHABET.index(aa) for aa in STANDARD_AMINO_ACIDS]
    blosum = _blosum62()[np.ix_(order, order)] / 4.0
    if components is not None:
        values, vectors = np.linalg.eigh(blosum)
        top = np.argsort(np.abs(values))[::-1][:components]  # BLOSUM62 has one large < 0
        blosum = vectors[:, top] * np.sqrt(np.abs(values[top]))
    codes = np.zeros((_GAP + 1, blosum.shape[1] + 1), dtype=np.float32)
    codes[:_GAP, :-1] = blosum
    codes[_GAP, -1] = 1.0
    return codes


class KinasePocketFeaturizer:
    """Pocket residues in reference coordinates, plus the relative alignment score.

    ``encoding="onehot"``: 21 columns per position (20 amino acids + gap);
    ``encoding="blosum"``: the residue's BLOSUM62 row instead, so similar residues share weight
    (``components`` = k: its k leading eigen-directions, k + 1 columns per position).
    """

    name: ClassVar[str] = "kinase_pocket"

    def __init__(
        self, encoding: str = "onehot", components: int | None = None, min_score: float = 0.055
    ) -> None:
        if encoding not in ("onehot", "blosum"):
            raise ValueError(f"kinase_pocket encoding {encoding!r}: use 'onehot' or 'blosum'")
        if components is not None and (encoding != "blosum" or not 1 <= components <= 20):
            raise ValueError("kinase_pocket components: 1-20, and only with encoding 'blosum'")
        self.encoding = encoding
        self.components = components
        self.min_score = min_score
        self.n_positions = len(POCKET_POSITIONS)
        self.codes = _residue_codes(encoding, components)
        self.dim = self.n_positions * self.codes.shape[1] + 1

    def featurize(self, sequences: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(sequences), self.dim), dtype=np.float32)
        for row, sequence in enumerate(sequences):
            residues, score = pocket_residues(sequence)
            out[row, -1] = score
            if score < self.min_score:
                continue
            columns = residue_indices(residues)
            columns[columns < 0] = _GAP
            out[row, :-1] = self.codes[columns].reshape(-1)
        return out

    def params(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "components": self.components,
            "min_score": self.min_score,
        }
