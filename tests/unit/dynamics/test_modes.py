"""GNM and ANM against hand-checked small cases and a naive reference implementation."""

from __future__ import annotations

import numpy as np
import pytest

from biomedfm.dynamics import modes


def test_gnm_of_a_three_residue_chain_matches_the_hand_computed_inverse() -> None:
    # contacts 1-2 and 2-3 only (3.8 Å apart; 1-3 at 7.6 Å is beyond 7.3 Å)
    ca = np.array([[0.0, 0, 0], [3.8, 0, 0], [7.6, 0, 0]])
    kirchhoff = modes.kirchhoff(ca, 7.3).toarray()
    np.testing.assert_array_equal(kirchhoff, [[1, -1, 0], [-1, 2, -1], [0, -1, 1]])
    result = modes.gnm(ca, 7.3)
    np.testing.assert_allclose(result.values, [1.0, 3.0])
    # pseudo-inverse of the path-graph Laplacian: diagonal 5/9, 2/9, 5/9
    np.testing.assert_allclose(result.fluctuations(), [5 / 9, 2 / 9, 5 / 9])
    assert modes.hinge_residues(result).tolist() in ([0], [1])


def _naive_hessian(ca: np.ndarray, cutoff: float) -> np.ndarray:
    n = len(ca)
    h = np.zeros((3 * n, 3 * n))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            d = ca[j] - ca[i]
            if np.linalg.norm(d) >= cutoff:
                continue
            block = -np.outer(d, d) / d.dot(d)
            h[3 * i : 3 * i + 3, 3 * j : 3 * j + 3] = block
            h[3 * i : 3 * i + 3, 3 * i : 3 * i + 3] -= block
    return h


def test_anm_hessian_matches_a_naive_loop_and_has_six_rigid_modes() -> None:
    rng = np.random.default_rng(0)
    ca = np.cumsum(rng.normal(0, 2.2, size=(30, 3)), axis=0)
    np.testing.assert_allclose(modes.hessian(ca, 15.0).toarray(), _naive_hessian(ca, 15.0))
    values = np.linalg.eigvalsh(_naive_hessian(ca, 15.0))
    assert (np.abs(values[:6]) < 1e-8).all()
    result = modes.anm(ca, 15.0, n_modes=10)
    np.testing.assert_allclose(result.values, values[6:16], rtol=1e-8)
    assert result.vectors.shape == (90, 10)
    assert result.fluctuations(per_residue=3).shape == (30,)


def test_sparse_solver_agrees_with_dense_on_the_slow_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    ca = np.cumsum(rng.normal(0, 2.2, size=(120, 3)), axis=0)
    dense = modes.gnm(ca, 10.0)
    monkeypatch.setattr(modes, "DENSE_LIMIT", 10)
    sparse_modes = modes.gnm(ca, 10.0, n_modes=20)
    np.testing.assert_allclose(sparse_modes.values, dense.values[:20], rtol=1e-6)
    correlations = modes.cross_correlations(dense)
    np.testing.assert_allclose(np.diag(correlations), 1.0)
    assert correlations.min() >= -1 - 1e-9
