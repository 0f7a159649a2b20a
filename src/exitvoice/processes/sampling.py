"""Exact draws on counts: competing risks as multinomials (MODEL §4).

For a cell with n people and hazards λ_k, the number leaving by each outcome k is multinomial with
probabilities p_k = (1 − exp(−Σλ)) · λ_k / Σλ. It is drawn as a binomial for the number who move at all and a
categorical outcome per mover (exactly the same law); the per-mover step costs in proportion to the movers,
not to the cells, and falls back to NumPy's vectorised multinomial when movers are many.
"""

from __future__ import annotations

import numpy as np

PER_PERSON_LIMIT = 2_000_000  # above this many movers a day, use the vectorised multinomial


def split(n: np.ndarray, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Split counts n[M] across K outcomes with row weights[M, K] (rows need not sum to 1).

    Rows whose weights are all zero must have n = 0.
    """
    m, k = weights.shape
    out = np.zeros((m, k), dtype=np.int64)
    rows = np.flatnonzero(n)
    if rows.size == 0:
        return out
    w = weights[rows]
    tot = w.sum(axis=1)
    if np.any(tot <= 0):
        raise ValueError("movers in a row without any outcome")
    cum = np.cumsum(w, axis=1)
    cum /= cum[:, -1:]
    counts = n[rows]
    total = int(counts.sum())
    if total > PER_PERSON_LIMIT:
        out[rows] = rng.multinomial(counts, np.diff(cum, prepend=0.0, axis=1).clip(0, 1))
        return out
    # One uniform per mover, located in its row's cumulative weights: shifting row r by r makes all rows one
    # increasing sequence, so a single binary search serves every mover (cost ~ movers · log(rows · K)).
    who = np.repeat(np.arange(rows.size), counts)
    pos = np.searchsorted((cum + np.arange(rows.size)[:, None]).ravel(), rng.random(total) + who, side="right")
    np.minimum(pos, who * k + (k - 1), out=pos)  # rounding of u + r up to r + 1 stays in row r
    out[rows] = np.bincount(pos, minlength=rows.size * k).reshape(rows.size, k)
    return out


def competing(n: np.ndarray, hazards: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Competing risks: n[M] people, hazards[M, K] per day → counts[M, K] moving by each outcome."""
    total = hazards.sum(axis=1)
    p_any = -np.expm1(-total)
    movers = np.zeros_like(n)
    live = (n > 0) & (total > 0)
    movers[live] = rng.binomial(n[live], p_any[live])
    return split(movers, hazards, rng)


def thin(n: np.ndarray, p: np.ndarray | float, rng: np.random.Generator) -> np.ndarray:
    """Binomial thinning of counts (only non-zero entries are drawn)."""
    out = np.zeros_like(n)
    idx = np.nonzero(n)
    if idx[0].size:
        pp = p[idx] if isinstance(p, np.ndarray) else p
        out[idx] = rng.binomial(n[idx], pp)
    return out


def exact_subset(counts: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Choose exactly k of the people in counts (any shape), every person equally likely (random-order service)."""
    flat = counts.ravel()
    nz = np.flatnonzero(flat)
    out = np.zeros_like(flat)
    if k >= flat[nz].sum():
        return counts.copy()
    out[nz] = rng.multivariate_hypergeometric(flat[nz], k, method="marginals")
    return out.reshape(counts.shape)


def add_at(X: np.ndarray, cells: np.ndarray, cols: np.ndarray | int, counts: np.ndarray) -> None:
    """X[cells, cols] += counts, repeated (cell, col) pairs accumulating; X must be column-major."""
    live = counts != 0
    cols = np.broadcast_to(cols, counts.shape)[live]
    np.add.at(X.T.reshape(-1), cols * X.shape[0] + cells[live], counts[live])


def sum_by(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Integer sums of counts by group index (np.bincount with integer weights, kept integer)."""
    return np.bincount(index, values, minlength=n).round().astype(np.int64)
