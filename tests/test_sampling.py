"""The exact draws the engine relies on: right law, zero-weight outcomes never chosen, counts kept."""

import numpy as np
import pytest

from exitvoice.processes.sampling import (
    add_at,
    competing,
    exact_subset,
    shifted_cumulative,
    split,
    split_by_key,
)


@pytest.mark.parametrize("k", [2, 3, 5, 40])
def test_split_keeps_counts_and_matches_the_multinomial_mean(k):
    rng = np.random.default_rng(1)
    w = np.random.default_rng(2).random((50, k))
    w[:, 1] = 0.0  # a closed outcome
    n = np.full(50, 20_000)
    out = split(n, w, rng)
    assert np.array_equal(out.sum(axis=1), n)
    assert out[:, 1].sum() == 0
    expected = n[:, None] * w / w.sum(axis=1, keepdims=True)
    sd = np.sqrt(expected * (1 - w / w.sum(axis=1, keepdims=True))) + 1e-9
    assert np.abs((out - expected) / sd).max() < 6


def test_competing_risks_follow_p_k():
    rng = np.random.default_rng(3)
    haz = np.array([[0.2, 0.1, 0.0]])
    n = np.array([1_000_000])
    out = competing(n, haz, rng)[0]
    p_any = 1 - np.exp(-0.3)
    assert out[2] == 0
    for j, lam in enumerate([0.2, 0.1]):
        mean = n[0] * p_any * lam / 0.3
        assert abs(out[j] - mean) < 6 * np.sqrt(mean)


def test_split_by_key_uses_each_keys_table():
    rng = np.random.default_rng(4)
    table = shifted_cumulative(np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 1.0]]))
    cells = np.array([10, 11, 12, 13])
    n = np.array([500, 300, 0, 20_000])
    keys = np.array([0, 1, 2, 2])
    c, r, cnt = split_by_key(cells, n, keys, table, 3, rng)
    got = {(ci, ri): ki for ci, ri, ki in zip(c, r, cnt, strict=True)}
    assert got[(10, 0)] == 500 and got[(11, 2)] == 300
    assert (13, 0) not in got and got[(13, 1)] + got[(13, 2)] == 20_000
    assert abs(got[(13, 1)] - 10_000) < 6 * np.sqrt(5_000)
    assert 12 not in c


def test_add_at_accumulates_repeated_pairs_in_a_column_major_matrix():
    X = np.zeros((4, 3), dtype=np.int64, order="F")
    add_at(X, np.array([1, 1, 3, 0]), np.array([2, 2, 0, 1]), np.array([5, 7, 1, 0]))
    assert X[1, 2] == 12 and X[3, 0] == 1 and X.sum() == 13


def test_exact_subset_takes_exactly_k_within_counts():
    rng = np.random.default_rng(5)
    counts = np.array([[5, 0], [10, 3], [0, 2]])
    got = exact_subset(counts, 7, rng)
    assert got.sum() == 7 and (got <= counts).all() and (got >= 0).all()
    assert np.array_equal(exact_subset(counts, 100, rng), counts)
