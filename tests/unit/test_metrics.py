import math
import time

import numpy as np
import pytest

from biomedfm.affinity.metrics import (
    concordance_index,
    interval_coverage,
    mse,
    pearson,
    regression_report,
    rm2,
    spearman,
)


def brute_force_ci(y: np.ndarray, p: np.ndarray) -> float:
    """DeepDTA's get_cindex, the O(n²) definition."""
    total = pairs = 0.0
    for i in range(len(y)):
        for j in range(len(y)):
            if y[i] > y[j]:
                pairs += 1
                total += 1.0 if p[i] > p[j] else 0.5 if p[i] == p[j] else 0.0
    return total / pairs


def test_metrics_by_hand() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.0, 3.0, 2.0, 4.0])
    assert mse(y, p) == pytest.approx(0.5)
    # 6 comparable pairs, one (2,3) discordant → 5/6
    assert concordance_index(y, p) == pytest.approx(5 / 6)
    assert pearson(y, p) == pytest.approx(0.8)
    assert spearman(y, p) == pytest.approx(0.8)


def test_ci_ties_match_brute_force() -> None:
    rng = np.random.default_rng(1)
    for _ in range(5):
        y = rng.integers(0, 4, 40).astype(float)
        p = rng.integers(0, 3, 40).astype(float)
        assert concordance_index(y, p) == pytest.approx(brute_force_ci(y, p))


def test_ci_edge_cases() -> None:
    assert math.isnan(concordance_index(np.ones(5), np.arange(5.0)))
    assert concordance_index(np.arange(5.0), np.ones(5)) == pytest.approx(0.5)
    assert concordance_index(np.arange(5.0), -np.arange(5.0)) == pytest.approx(0.0)


def test_ci_is_fast_on_100k_pairs() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=100_000)
    started = time.perf_counter()
    value = concordance_index(y, y + rng.normal(size=100_000))
    assert time.perf_counter() - started < 5.0
    assert 0.7 < value < 0.8


def test_rm2_matches_deepdta_formula() -> None:
    y = np.array([5.0, 6.0, 7.5, 8.0, 5.5])
    p = np.array([5.2, 6.1, 7.0, 8.3, 5.0])
    r2 = np.corrcoef(y, p)[0, 1] ** 2
    k = (y * p).sum() / (p * p).sum()
    r02 = 1 - ((y - k * p) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert rm2(y, p) == pytest.approx(r2 * (1 - np.sqrt(abs(r2 * r2 - r02 * r02))))
    assert rm2(y, y) == pytest.approx(1.0)


def test_report_and_coverage() -> None:
    y = np.array([0.0, 1.0, 2.0, 3.0])
    report = regression_report(y, y + 0.1)
    assert set(report) == {"mse", "ci", "rm2", "pearson", "spearman", "n"}
    assert interval_coverage(y, y + np.array([0.0, 0.0, 2.0, 2.0]), np.ones(4)) == 0.5


def test_metric_input_errors() -> None:
    with pytest.raises(ValueError, match="y_pred has 2"):
        mse(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="at least two"):
        mse(np.ones(1), np.ones(1))
