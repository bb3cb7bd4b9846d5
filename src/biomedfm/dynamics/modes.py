"""Elastic network models on C-alpha atoms: GNM (isotropic) and ANM (anisotropic).

Contacts come from a k-d tree and the matrices are sparse, so building them is O(n); small
proteins use a dense eigensolver (every mode, exact fluctuations), large ones the lowest modes
from ARPACK in shift-invert mode, which carry most of the fluctuation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import eigsh
from scipy.spatial import cKDTree

DENSE_LIMIT = 1500
"""Up to this many nodes (GNM: residues, ANM: 3 × residues) the dense solver is used, unless
only a few slow modes are asked for (then ARPACK is faster from ~200 nodes)."""


@dataclass
class Modes:
    """Non-trivial normal modes, slowest first: eigenvalues (k,), eigenvectors (d, k)."""

    values: np.ndarray
    vectors: np.ndarray

    def fluctuations(self, per_residue: int = 1) -> np.ndarray:
        """Mean-square fluctuation per residue (n,), up to kT/γ: Σ_k v²/λ over the modes."""
        squared = self.vectors**2 / self.values
        summed = squared.sum(axis=1)
        return np.asarray(summed.reshape(-1, per_residue).sum(axis=1))


def _pairs(ca: np.ndarray, cutoff: float) -> np.ndarray:
    """(m, 2) index pairs i < j closer than ``cutoff`` Å."""
    return cKDTree(ca).query_pairs(cutoff, output_type="ndarray")


def kirchhoff(ca: np.ndarray, cutoff: float = 7.3) -> sparse.csr_matrix:
    """GNM connectivity (Kirchhoff) matrix (n, n), sparse."""
    n = len(ca)
    pairs = _pairs(ca, cutoff)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    off = sparse.coo_matrix((-np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    degree = -np.asarray(off.sum(axis=1)).ravel()
    return (off + sparse.diags(degree)).tocsr()


def hessian(ca: np.ndarray, cutoff: float = 15.0) -> sparse.csr_matrix:
    """ANM Hessian (3n, 3n), sparse, unit spring constant."""
    n = len(ca)
    pairs = _pairs(ca, cutoff)
    i, j = pairs[:, 0], pairs[:, 1]
    d = ca[j] - ca[i]
    blocks = -np.einsum("pa,pb->pab", d, d) / (d**2).sum(axis=1)[:, None, None]  # (m, 3, 3)
    a, b = np.meshgrid(np.arange(3), np.arange(3), indexing="ij")
    rows, cols, vals = [], [], []
    for first, second in ((i, j), (j, i)):
        rows.append((3 * first[:, None, None] + a).ravel())
        cols.append((3 * second[:, None, None] + b).ravel())
        vals.append(blocks.ravel())
    diagonal = np.zeros((n, 3, 3))
    np.add.at(diagonal, i, -blocks)
    np.add.at(diagonal, j, -blocks)
    rows.append((3 * np.arange(n)[:, None, None] + a).ravel())
    cols.append((3 * np.arange(n)[:, None, None] + b).ravel())
    vals.append(diagonal.ravel())
    matrix = sparse.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(3 * n, 3 * n)
    )
    return matrix.tocsr()


def _solve(matrix: sparse.csr_matrix, n_zero: int, n_modes: int | None) -> Modes:
    size = matrix.shape[0]
    few = n_modes is not None and size > 200 and n_modes + n_zero < size // 4
    if not few and (size <= DENSE_LIMIT or (n_modes is not None and n_modes + n_zero >= size - 1)):
        values, vectors = np.linalg.eigh(matrix.toarray())
    else:
        k = min(size - 2, (n_modes or 100) + n_zero)
        start = np.random.default_rng(0).normal(size=size)  # fixed: same input, same modes
        values, vectors = eigsh(matrix, k=k, sigma=-1e-6, which="LM", v0=start)
        order = np.argsort(values)
        values, vectors = values[order], vectors[:, order]
    # disconnected pieces add zero modes: keep only clearly positive ones
    keep = values > 1e-6 * max(float(values[-1]), 1.0)
    keep[:n_zero] = False
    values, vectors = values[keep], vectors[:, keep]
    if n_modes is not None:
        values, vectors = values[:n_modes], vectors[:, :n_modes]
    # an eigenvector's sign is arbitrary: fix it (largest component positive) for reproducibility
    signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
    return Modes(values, vectors * np.where(signs == 0, 1.0, signs))


def gnm(ca: np.ndarray, cutoff: float = 7.3, n_modes: int | None = None) -> Modes:
    """Gaussian network model modes of C-alpha positions (n, 3)."""
    return _solve(kirchhoff(ca, cutoff), 1, n_modes)


def anm(ca: np.ndarray, cutoff: float = 15.0, n_modes: int | None = 20) -> Modes:
    """Anisotropic network model modes; eigenvectors are (3n, k), x/y/z per residue."""
    return _solve(hessian(ca, cutoff), 6, n_modes)


def cross_correlations(modes: Modes) -> np.ndarray:
    """Normalised GNM cross-correlations (n, n) in [-1, 1]: +1 moves together."""
    covariance = (modes.vectors / modes.values) @ modes.vectors.T
    scale = np.sqrt(np.diag(covariance))
    return np.asarray(covariance / np.outer(scale, scale))


def hinge_residues(modes: Modes, mode: int = 0) -> np.ndarray:
    """Indexes where the given GNM mode (0 = slowest) changes sign: the hinges of that motion."""
    vector = modes.vectors[:, mode]
    return np.flatnonzero(np.sign(vector[:-1]) != np.sign(vector[1:]))
