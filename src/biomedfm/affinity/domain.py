"""Applicability domain: is a (compound, target) pair like what the model learned from?

A model trained on kinases predicts a GPCR ligand's pKi near the training mean with a *small*
ensemble spread, because every member makes the same uninformed guess. The ensemble cannot see
that; the training set can. Every prediction therefore carries three pieces of evidence:

- ``target_identity``: identity of the target to the nearest training target (the share of the
  shorter sequence matched identically in their best local alignment; 1.0 when it is one of
  them). Candidates are picked by 3-mer profile cosine, then aligned with parasail.
- ``kinase_score``: the target's alignment score to a protein-kinase domain (ABL1's, 1.0 = ABL1
  itself; protein kinases score ≥ 0.055, other proteins 0.02-0.05). A model that learned the
  whole kinome from pocket residues reads any protein kinase, so for such a model this counts
  as well as identity.
- ``compound_similarity``: Tanimoto similarity (Morgan radius 2, 2048 bits) of the compound to
  its nearest training compound.

``in_domain`` holds when the target is known (identity ≥ ``min_target_identity``, or a protein
kinase for a kinase model) and the compound is not far from every training compound
(similarity ≥ ``min_compound_similarity``). Outside it, the uncertainty is widened to at least
``out_of_domain_sigma``, a σ calibrated on measured values of pairs outside the domain, so the
90% interval (± 1.645 σ) widens instead of shrinking. The domain is stored beside the weights
as ``domain.npz`` (fingerprints packed to bits; no pickles).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import parasail
from rdkit import DataStructs
from rdkit.Chem import rdFingerprintGenerator

from biomedfm.chem.kinase_pocket import pocket_residues
from biomedfm.chem.sequences import STANDARD_AMINO_ACIDS, residue_indices
from biomedfm.errors import InputError

DOMAIN_FILE = "domain.npz"
KINASE_MIN_SCORE = 0.055
FINGERPRINT_BITS = 2048
ALIGNED_CANDIDATES = 3
_GAP_OPEN, _GAP_EXTEND = 11, 1
_GENERATOR = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=FINGERPRINT_BITS)


def fingerprint(mol: Any) -> DataStructs.ExplicitBitVect:
    """The bit fingerprint the domain compares compounds with."""
    return _GENERATOR.GetFingerprint(mol)


def pack_fingerprints(fingerprints: Sequence[DataStructs.ExplicitBitVect]) -> np.ndarray:
    """Fingerprints as a (n, 256) uint8 array of packed bits, for ``.npz`` files (no pickles)."""
    if not fingerprints:
        return np.zeros((0, FINGERPRINT_BITS // 8), dtype=np.uint8)
    bits = np.stack(
        [np.frombuffer(fp.ToBitString().encode(), dtype=np.uint8) - ord("0") for fp in fingerprints]
    )
    return np.packbits(bits, axis=1)


def unpack_fingerprints(packed: np.ndarray) -> list[DataStructs.ExplicitBitVect]:
    """The inverse of :func:`pack_fingerprints`."""
    fingerprints = []
    for row in np.unpackbits(packed, axis=1)[:, :FINGERPRINT_BITS]:
        vector = DataStructs.ExplicitBitVect(FINGERPRINT_BITS)
        vector.SetBitsFromList([int(i) for i in np.flatnonzero(row)])
        fingerprints.append(vector)
    return fingerprints


def _kmer_profile(sequence: str) -> np.ndarray:
    """Unit-length counts of the 8,000 standard-residue 3-mers (others are skipped)."""
    codes = residue_indices(sequence)
    triples = np.stack([codes[:-2], codes[1:-1], codes[2:]]) if len(codes) >= 3 else None
    vector = np.zeros(8000, dtype=np.float32)
    if triples is not None:
        keep = (triples >= 0).all(axis=0)
        index = triples[0] * 400 + triples[1] * 20 + triples[2]
        np.add.at(vector, index[keep], 1.0)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _clean(sequence: str) -> str:
    return "".join(c if c in STANDARD_AMINO_ACIDS else "X" for c in sequence.upper())


def sequence_identity(query: str, reference: str) -> float:
    """Identical residues in the best local alignment over the shorter sequence's length."""
    a, b = _clean(query), _clean(reference)
    if not a or not b:
        return 0.0
    result = parasail.sw_stats_striped_16(a, b, _GAP_OPEN, _GAP_EXTEND, parasail.blosum62)
    return float(result.matches) / min(len(a), len(b))


@dataclass
class DomainEvidence:
    """Per-pair evidence, aligned with the predicted rows."""

    in_domain: np.ndarray  # bool
    compound_similarity: np.ndarray
    target_identity: np.ndarray
    kinase_score: np.ndarray

    def columns(self) -> dict[str, np.ndarray]:
        """The output columns, in the order tables show them."""
        return {
            "in_domain": self.in_domain,
            "nearest_compound_similarity": np.round(self.compound_similarity, 3),
            "nearest_target_identity": np.round(self.target_identity, 3),
            "kinase_score": np.round(self.kinase_score, 3),
        }


@dataclass
class ApplicabilityDomain:
    """What a model was trained on, and how far from it a prediction may be trusted."""

    fingerprints: list[DataStructs.ExplicitBitVect]
    sequences: list[str]
    kinase_model: bool
    min_target_identity: float = 0.5
    min_compound_similarity: float = 0.3
    out_of_domain_sigma: float = 0.0  # 0: not calibrated (σ is then left as the ensemble's)
    calibration: dict[str, Any] = field(default_factory=dict)
    _profiles: np.ndarray | None = field(default=None, repr=False)
    _known: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_training(
        cls, mols: Sequence[Any], sequences: Sequence[str], **settings: Any
    ) -> ApplicabilityDomain:
        """The domain of a model trained on these compounds and targets (duplicates removed).

        A model counts as a kinase model (one that reads any protein kinase) when it learned
        from at least 20 targets and 90% of them are protein kinases; a model of one assay
        knows its own target only.
        """
        unique = sorted({_clean(s) for s in sequences})
        kinase_share = float(np.mean([pocket_residues(s)[1] >= KINASE_MIN_SCORE for s in unique]))
        return cls(
            fingerprints=[fingerprint(m) for m in mols],
            sequences=unique,
            kinase_model=len(unique) >= 20 and kinase_share >= 0.9,
            **settings,
        )

    def _target_evidence(self, sequence: str) -> tuple[float, float]:
        """(identity to the nearest training target, kinase-domain score), memoised."""
        if self._profiles is None:
            self._profiles = (
                np.stack([_kmer_profile(s) for s in self.sequences])
                if self.sequences
                else np.zeros((0, 8000), dtype=np.float32)
            )
        cleaned = _clean(sequence)
        if cleaned not in self._known:
            if cleaned in self.sequences:
                identity = 1.0
            else:
                cosine = self._profiles @ _kmer_profile(cleaned)
                nearest = np.argsort(-cosine)[:ALIGNED_CANDIDATES]
                identity = max(
                    (sequence_identity(cleaned, self.sequences[i]) for i in nearest), default=0.0
                )
            self._known[cleaned] = (identity, pocket_residues(cleaned)[1])
        return self._known[cleaned]

    def assess(self, mols: Sequence[Any], sequences: Sequence[str]) -> DomainEvidence:
        """Evidence for every (molecule, sequence) pair; each distinct entity is compared once."""
        targets = {s: self._target_evidence(s) for s in dict.fromkeys(sequences)}
        similarity: dict[int, float] = {}
        for mol in mols:
            if id(mol) not in similarity:
                scores = DataStructs.BulkTanimotoSimilarity(fingerprint(mol), self.fingerprints)
                similarity[id(mol)] = max(scores) if scores else 0.0
        compound = np.array([similarity[id(m)] for m in mols], dtype=np.float64)
        identity = np.array([targets[s][0] for s in sequences], dtype=np.float64)
        kinase = np.array([targets[s][1] for s in sequences], dtype=np.float64)
        known_target = identity >= self.min_target_identity
        if self.kinase_model:
            known_target |= kinase >= KINASE_MIN_SCORE
        in_domain = known_target & (compound >= self.min_compound_similarity)
        return DomainEvidence(in_domain, compound, identity, kinase)

    def widen(self, sigma: np.ndarray, evidence: DomainEvidence) -> np.ndarray:
        """σ, raised to at least the calibrated out-of-domain σ where the pair is outside."""
        if self.out_of_domain_sigma <= 0:
            return sigma
        floor = np.where(evidence.in_domain, 0.0, self.out_of_domain_sigma)
        return np.maximum(sigma, floor)

    def save(self, directory: Path) -> None:
        settings = {
            "kinase_model": self.kinase_model,
            "min_target_identity": self.min_target_identity,
            "min_compound_similarity": self.min_compound_similarity,
            "out_of_domain_sigma": self.out_of_domain_sigma,
            "calibration": self.calibration,
        }
        np.savez_compressed(
            directory / DOMAIN_FILE,
            fingerprints=pack_fingerprints(self.fingerprints),
            sequences=np.array(self.sequences, dtype=str),
            settings=np.array(json.dumps(settings)),
        )

    @classmethod
    def load(cls, directory: Path) -> ApplicabilityDomain | None:
        """The domain saved beside a model, or None for a model saved without one."""
        path = directory / DOMAIN_FILE
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                packed, sequences = data["fingerprints"], [str(s) for s in data["sequences"]]
                settings = json.loads(str(data["settings"]))
        except (OSError, ValueError, KeyError) as error:
            raise InputError(f"{path} is not a readable applicability domain: {error}") from None
        return cls(fingerprints=unpack_fingerprints(packed), sequences=sequences, **settings)
