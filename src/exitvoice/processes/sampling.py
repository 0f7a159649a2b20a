"""Exact draws on counts: competing risks as multinomials (docs/model.md §4).

For a cell with n people and hazards λ_k, the number leaving by each outcome k is multinomial with
probabilities p_k = (1 − exp(−Σλ)) · λ_k / Σλ. It is drawn as a binomial for the number who move at all and a
split of the movers across outcomes (exactly the same law): conditional binomials for a few outcomes, one
categorical draw per mover for many (its cost follows the movers, not the cells; NumPy's vectorised
multinomial takes over when movers are very many).
"""

from __future__ import annotations

import numpy as np

from . import kernels

PER_PERSON_LIMIT = 2_000_000  # above this many movers a day, use the vectorised multinomial
SEQUENTIAL_MAX_K = 3  # up to this many outcomes, conditional binomials are cheaper than a draw per mover


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
    if np.any(w.sum(axis=1) <= 0):
        raise ValueError("movers in a row without any outcome")
    out[rows] = _split_rows(n[rows], w, rng)
    return out


def _split_rows(n: np.ndarray, w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Multinomial split of n[M] > 0 movers by positive-sum row weights w[M, K]."""
    m, k = w.shape
    if k <= SEQUENTIAL_MAX_K:
        # Conditional binomials: outcome j takes Bin(remaining, w_j / Σ_{i≥j} w_i). The tail sums are summed
        # directly (not by subtraction), so an outcome of weight 0 never receives anyone.
        tail = np.cumsum(w[:, ::-1], axis=1)[:, ::-1]
        out = np.empty((m, k), dtype=np.int64)
        rem = n.copy()
        for j in range(k - 1):
            with np.errstate(invalid="ignore", divide="ignore"):
                p = np.where(tail[:, j] > 0, w[:, j] / tail[:, j], 0.0)
            out[:, j] = rng.binomial(rem, np.minimum(p, 1.0))
            rem -= out[:, j]
        out[:, -1] = rem
        return out
    cum = np.cumsum(w, axis=1)
    cum /= cum[:, -1:]
    total = int(n.sum())
    if total > PER_PERSON_LIMIT:
        return rng.multinomial(n, np.diff(cum, prepend=0.0, axis=1).clip(0, 1))
    if kernels.ENABLED:
        return kernels.split_per_person(np.ascontiguousarray(n, dtype=np.int64), np.ascontiguousarray(w, dtype=float),
                                        rng)
    # One uniform per mover, located in its row's cumulative weights: shifting row r by r makes all rows one
    # increasing sequence, so a single binary search serves every mover (cost ~ movers · log(rows · K)).
    who = np.repeat(np.arange(m), n)
    pos = np.searchsorted((cum + np.arange(m)[:, None]).ravel(), rng.random(total) + who, side="right")
    np.minimum(pos, who * k + (k - 1), out=pos)  # rounding of u + r up to r + 1 stays in row r
    return np.bincount(pos, minlength=m * k).reshape(m, k)


def competing(n: np.ndarray, hazards: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Competing risks: n[M] people, hazards[M, K] per day → counts[M, K] moving by each outcome.

    Runs the compiled twin (`kernels.competing`) of `competing_numpy`, whose draws it repeats exactly.
    """
    if kernels.ENABLED and hazards.shape[1] <= SEQUENTIAL_MAX_K:
        return kernels.competing(np.ascontiguousarray(n, dtype=np.int64),
                                 np.ascontiguousarray(hazards, dtype=float), rng)
    return competing_numpy(n, hazards, rng)


def competing_numpy(n: np.ndarray, hazards: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Competing risks in NumPy (the law, and the oracle of the kernel)."""
    total = hazards.sum(axis=1)
    out = np.zeros(hazards.shape, dtype=np.int64)
    live = np.flatnonzero((n > 0) & (total > 0))
    if not live.size:
        return out
    movers = rng.binomial(n[live], -np.expm1(-total[live]))
    some = movers > 0
    rows = live[some]
    out[rows] = _split_rows(movers[some], hazards[rows], rng)
    return out


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


def shifted_cumulative(weights: np.ndarray) -> np.ndarray:
    """Row-normalised cumulative weights with row r shifted by r, flattened: one increasing search table.

    Rows of zero weight get a uniform row (nobody may be drawn from them: their hazard is zero).
    """
    k = weights.shape[1]
    w = np.where(weights.sum(axis=1, keepdims=True) > 0, weights, 1.0 / k)
    cum = np.cumsum(w, axis=1)
    cum /= cum[:, -1:]
    return (cum + np.arange(len(w))[:, None]).ravel()


def split_by_key(cells: np.ndarray, n: np.ndarray, keys: np.ndarray, table: np.ndarray, k: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Give each of the n[i] movers of cells[i] an outcome from the weights of its key (a categorical per mover).

    `table` is `shifted_cumulative` of the [key, outcome] weights. Returns sparse (cell, outcome, count) triplets.
    Runs the compiled twin (`kernels.split_by_key`) of `split_by_key_numpy`, whose draws it repeats exactly.
    """
    if kernels.ENABLED:
        return kernels.split_by_key(np.ascontiguousarray(cells, dtype=np.int64),
                                    np.ascontiguousarray(n, dtype=np.int64),
                                    np.ascontiguousarray(keys, dtype=np.int64), table, int(k), rng)
    return split_by_key_numpy(cells, n, keys, table, k, rng)


def split_by_key_numpy(cells: np.ndarray, n: np.ndarray, keys: np.ndarray, table: np.ndarray, k: int,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`split_by_key` in NumPy (the law, and the oracle of the kernel)."""
    live = n > 0
    cells, n, keys = cells[live], n[live], keys[live]
    if not cells.size:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    who = np.repeat(np.arange(cells.size), n)
    kk = keys[who]
    pos = np.searchsorted(table, rng.random(who.size) + kk, side="right")
    np.minimum(pos, kk * k + (k - 1), out=pos)
    code, count = np.unique(who * k + (pos - kk * k), return_counts=True)
    return cells[code // k], code % k, count


def add_at(X: np.ndarray, cells: np.ndarray, cols: np.ndarray | int, counts: np.ndarray) -> None:
    """X[cells, cols] += counts, repeated (cell, col) pairs accumulating; X must be column-major."""
    if kernels.ENABLED and X.dtype == np.int64:
        cols = np.broadcast_to(np.asarray(cols, dtype=np.int64), counts.shape)
        kernels.scatter_add(X, np.asarray(cells, dtype=np.int64), np.ascontiguousarray(cols),
                            np.asarray(counts, dtype=np.int64))
        return
    live = counts != 0
    cols = np.broadcast_to(cols, counts.shape)[live]
    np.add.at(X.T.reshape(-1), cols * X.shape[0] + cells[live], counts[live])


def tally(X: np.ndarray, layout) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Column sums, row sums, people abroad and away per row, and the smallest count of the state X.

    Away: queued at a crossing or on the road to one (`Layout.away`).
    """
    a, q = layout.abroad, layout.away
    if kernels.ENABLED:
        col, row, abroad, queued, low = kernels.tally(X, a.start, a.stop, q.start, q.stop)
        return col, row, abroad, queued, int(low)
    return X.sum(axis=0), X.sum(axis=1), X[:, a].sum(axis=1), X[:, q].sum(axis=1), int(X.min(initial=0))


def block_sums(X: np.ndarray, cols: slice, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sums of the block X[:, cols]: by row [cell], and by column over the cells `rows` (None: every cell)."""
    if kernels.ENABLED and X.dtype == np.int64:
        every = rows is None
        rows = np.zeros(0, dtype=np.int64) if every else np.asarray(rows, dtype=np.int64)
        return kernels.block_sums(X, cols.start, cols.stop - cols.start, rows, every)
    return block_sums_numpy(X, cols, rows)


def block_sums_numpy(X: np.ndarray, cols: slice, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`block_sums` in NumPy (the oracle of the kernel)."""
    block = X[:, cols]
    return block.sum(axis=1), (block if rows is None else X[rows, cols]).sum(axis=0)


def block_entries(X: np.ndarray, start: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-zero entries of the block X[:, start:start+width] as (row, column in block, count), row-major order."""
    if kernels.ENABLED:
        return kernels.nonzero_block(X, start, width)
    block = X[:, start:start + width]
    rows, cols = np.nonzero(block)
    return rows, cols, block[rows, cols]


def sum_by(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Integer sums of counts by group index (np.bincount with integer weights, kept integer)."""
    return np.bincount(index, values, minlength=n).round().astype(np.int64)
