"""Featurizers: molecules and protein sequences → fixed-length float32 vectors.

Drug and protein featurizers are registries keyed by name, so a model's ``config.json`` names
the featurizer and its parameters and loading rebuilds exactly the same one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import numpy as np
from rdkit import Chem
from rdkit.Chem import MACCSkeys, rdFingerprintGenerator

from biomedfm.chem.kinase_pocket import KinasePocketFeaturizer
from biomedfm.chem.sequences import residue_indices


class DrugFeaturizer(Protocol):
    """Turns parsed molecules into a (n, dim) float32 matrix."""

    name: ClassVar[str]
    dim: int

    def featurize(self, mols: Sequence[Chem.Mol]) -> np.ndarray: ...

    def params(self) -> dict[str, Any]: ...


class ProteinFeaturizer(Protocol):
    """Turns validated sequences into a (n, dim) float32 matrix."""

    name: ClassVar[str]
    dim: int

    def featurize(self, sequences: Sequence[str]) -> np.ndarray: ...

    def params(self) -> dict[str, Any]: ...


class MorganFeaturizer:
    """Extended-connectivity (Morgan/ECFP) fingerprint, as bits or log-scaled counts.

    Counts keep how many times a substructure occurs, which matters for affinity (e.g. the
    number of aromatic rings); ``log1p`` keeps large counts from dominating.
    """

    name: ClassVar[str] = "morgan"

    def __init__(self, radius: int = 2, n_bits: int = 2048, counts: bool = True) -> None:
        self.radius = radius
        self.n_bits = n_bits
        self.counts = counts
        self.dim = n_bits
        self._generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)

    def featurize(self, mols: Sequence[Chem.Mol]) -> np.ndarray:
        out = np.zeros((len(mols), self.n_bits), dtype=np.float32)
        for row, mol in enumerate(mols):
            if self.counts:
                out[row] = self._generator.GetCountFingerprintAsNumPy(mol)
            else:
                out[row] = self._generator.GetFingerprintAsNumPy(mol)
        if self.counts:
            np.log1p(out, out=out)
        return out

    def params(self) -> dict[str, Any]:
        return {"radius": self.radius, "n_bits": self.n_bits, "counts": self.counts}


class MaccsFeaturizer:
    """The 167 MACCS structural keys: coarse pharmacophore-like patterns."""

    name: ClassVar[str] = "maccs"

    def __init__(self) -> None:
        self.dim = 167

    def featurize(self, mols: Sequence[Chem.Mol]) -> np.ndarray:
        out = np.zeros((len(mols), self.dim), dtype=np.float32)
        for row, mol in enumerate(mols):
            keys = MACCSkeys.GenMACCSKeys(mol)  # type: ignore[attr-defined]  # not in RDKit's stubs
            out[row] = np.frombuffer(keys.ToBitString().encode(), dtype=np.uint8) - ord("0")
        return out

    def params(self) -> dict[str, Any]:
        return {}


class _ConcatFeaturizer:
    """Several featurizers of one kind side by side; their outputs are concatenated."""

    name: ClassVar[str] = "concat"
    kind: ClassVar[str]

    def __init__(self, parts: list[dict[str, Any]]) -> None:
        self.parts_spec = parts
        self.parts = [make_featurizer(self.kind, spec) for spec in parts]
        self.dim = sum(part.dim for part in self.parts)

    def featurize(self, items: Sequence[Any]) -> np.ndarray:
        return np.concatenate([part.featurize(items) for part in self.parts], axis=1)

    def params(self) -> dict[str, Any]:
        return {"parts": self.parts_spec}


class ConcatDrugFeaturizer(_ConcatFeaturizer):
    """Drug featurizers side by side (e.g. Morgan counts + MACCS keys)."""

    kind = "drug"


class ConcatProteinFeaturizer(_ConcatFeaturizer):
    """Protein featurizers side by side (e.g. k-mer composition + kinase pocket residues)."""

    kind = "protein"


class KmerFeaturizer:
    """Protein k-mer composition for k in ``ks`` (1..3 → 20 + 400 + 8,000 dims).

    Frequencies are square-rooted (a variance-stabilising transform for counts) and each k block
    is L2-normalised, so the three blocks weigh the same whatever the sequence length. k-mers
    holding X or U are skipped. ``bins`` folds any k block longer than it (index mod bins),
    trading a few collisions for a much smaller first layer (8,000 → 1,024 3-mer dims).
    3-mer profiles are nearly unique per kinase, which lets the network tell targets apart
    while still sharing strength between close homologues.
    """

    name: ClassVar[str] = "kmer"

    def __init__(self, ks: Sequence[int] = (1, 2, 3), bins: int | None = None) -> None:
        self.ks = tuple(int(k) for k in ks)
        self.bins = bins
        self.block_sizes = [20**k if bins is None else min(20**k, bins) for k in self.ks]
        self.dim = sum(self.block_sizes)

    def featurize(self, sequences: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(sequences), self.dim), dtype=np.float32)
        for row, sequence in enumerate(sequences):
            codes = residue_indices(sequence)
            offset = 0
            for k, size in zip(self.ks, self.block_sizes, strict=True):
                block = out[row, offset : offset + size]
                if len(codes) >= k:
                    windows = np.lib.stride_tricks.sliding_window_view(codes, k)
                    windows = windows[(windows >= 0).all(axis=1)]
                    index = (windows * (20 ** np.arange(k - 1, -1, -1))).sum(axis=1)
                    np.add.at(block, index % size, 1.0)
                np.sqrt(block, out=block)
                norm = float(np.linalg.norm(block))
                if norm > 0:
                    block /= norm
                offset += size
        return out

    def params(self) -> dict[str, Any]:
        return {"ks": list(self.ks), "bins": self.bins}


DRUG_FEATURIZERS: dict[str, type] = {
    "morgan": MorganFeaturizer,
    "maccs": MaccsFeaturizer,
    "concat": ConcatDrugFeaturizer,
}
PROTEIN_FEATURIZERS: dict[str, type] = {
    "kmer": KmerFeaturizer,
    "kinase_pocket": KinasePocketFeaturizer,
    "concat": ConcatProteinFeaturizer,
}


def make_featurizer(kind: str, spec: dict[str, Any]) -> Any:
    """Build a featurizer from ``{"name": ..., **params}`` as stored in a model config.

    Args:
        kind: ``"drug"`` or ``"protein"``.
        spec: the featurizer name and its keyword parameters.
    """
    registry = DRUG_FEATURIZERS if kind == "drug" else PROTEIN_FEATURIZERS
    params = dict(spec)
    name = params.pop("name")
    if name not in registry:
        raise ValueError(f"unknown {kind} featurizer {name!r}; choose from {sorted(registry)}")
    return registry[name](**params)


def featurizer_spec(featurizer: Any) -> dict[str, Any]:
    """The ``{"name": ..., **params}`` dict that :func:`make_featurizer` rebuilds from."""
    return {"name": featurizer.name, **featurizer.params()}
