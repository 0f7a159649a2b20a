"""The numba kernels themselves (imported on first use through `kernels`, so that numba loads only for runs)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def competing(n, hazards, gen):  # pragma: no cover - compiled; checked against its oracle
    """Competing risks for K ≤ 3 outcomes (twin of `sampling.competing_numpy`): counts [M, K]."""
    m, k = hazards.shape
    out = np.zeros((m, k), dtype=np.int64)
    movers = np.zeros(m, dtype=np.int64)
    # 1. who moves at all: one binomial per live row, in row order
    for i in range(m):
        total = hazards[i, 0]
        for j in range(1, k):
            total += hazards[i, j]
        if n[i] > 0 and total > 0:
            movers[i] = gen.binomial(n[i], -math.expm1(-total))
    # 2. conditional binomials, outcome by outcome over the rows with movers (tail sums taken from the right)
    rem = movers.copy()
    for j in range(k - 1):
        for i in range(m):
            if movers[i] == 0:
                continue
            acc = hazards[i, k - 1]
            for q in range(k - 2, j - 1, -1):
                acc += hazards[i, q]
            p = hazards[i, j] / acc if acc > 0 else 0.0
            d = gen.binomial(rem[i], min(p, 1.0))
            out[i, j] = d
            rem[i] -= d
    for i in range(m):
        if movers[i] > 0:
            out[i, k - 1] = rem[i]
    return out


@njit(cache=True)
def split_per_person(n, w, gen):  # pragma: no cover - compiled; checked against its oracle
    """Split n[M] > 0 movers by row weights w[M, K]: one categorical draw per mover (twin of `_split_rows`)."""
    m, k = w.shape
    out = np.zeros((m, k), dtype=np.int64)
    cum = np.empty(k)
    for r in range(m):
        acc = 0.0
        for j in range(k):
            acc += w[r, j]
            cum[j] = acc
        last = cum[k - 1]
        for j in range(k):
            cum[j] = cum[j] / last + r
        for _ in range(n[r]):
            v = gen.random() + r
            c = 0
            for j in range(k):
                if cum[j] <= v:
                    c += 1
            out[r, min(c, k - 1)] += 1
    return out


@njit(cache=True)
def split_by_key(cells, n, keys, table, k, gen):  # pragma: no cover - compiled; checked against its oracle
    """A categorical per mover from the weights of its key (twin of `sampling.split_by_key_numpy`).

    Returns sparse (cell, outcome, count) triplets, ordered by row then outcome.
    """
    size = 0
    for i in range(n.size):
        if n[i] > 0:
            size += min(n[i], k)
    oc = np.empty(size, dtype=np.int64)
    oo = np.empty(size, dtype=np.int64)
    on = np.empty(size, dtype=np.int64)
    counts = np.zeros(k, dtype=np.int64)
    e = 0
    for i in range(n.size):
        if n[i] <= 0:
            continue
        kk = keys[i]
        base = kk * k
        for _ in range(n[i]):
            v = gen.random() + kk
            c = 0
            for j in range(k):
                if table[base + j] <= v:
                    c += 1
            counts[min(c, k - 1)] += 1
        for j in range(k):
            if counts[j] > 0:
                oc[e] = cells[i]
                oo[e] = j
                on[e] = counts[j]
                e += 1
                counts[j] = 0
    return oc[:e], oo[:e], on[:e]


@njit(cache=True)
def nonzero_block(X, start, width):  # pragma: no cover - compiled; checked against its oracle
    """The non-zero entries of X[:, start:start+width] in row-major order: (rows, columns, counts)."""
    c = X.shape[0]
    size = 0
    for j in range(start, start + width):
        for i in range(c):
            if X[i, j] != 0:
                size += 1
    rows = np.empty(size, dtype=np.int64)
    cols = np.empty(size, dtype=np.int64)
    vals = np.empty(size, dtype=X.dtype)
    # count per row, then place: row-major order from a column-major array in two passes
    per_row = np.zeros(c + 1, dtype=np.int64)
    for j in range(start, start + width):
        for i in range(c):
            if X[i, j] != 0:
                per_row[i + 1] += 1
    for i in range(c):
        per_row[i + 1] += per_row[i]
    for j in range(start, start + width):
        for i in range(c):
            x = X[i, j]
            if x != 0:
                at = per_row[i]
                rows[at] = i
                cols[at] = j - start
                vals[at] = x
                per_row[i] += 1
    return rows, cols, vals


@njit(cache=True)
def scatter_add(X, rows, cols, vals):  # pragma: no cover - compiled; checked against its oracle
    """X[rows, cols] += vals, repeated pairs accumulating (twin of `np.add.at` on integers)."""
    for i in range(rows.size):
        X[rows[i], cols[i]] += vals[i]


@njit(cache=True)
def tally(X, abroad_start, abroad_stop, queued_start, queued_stop):  # pragma: no cover - compiled; checked
    """One pass over the state: column sums, row sums, row sums of the abroad and queued blocks, smallest count."""
    c, k = X.shape
    col = np.zeros(k, dtype=np.int64)
    row = np.zeros(c, dtype=np.int64)
    abroad = np.zeros(c, dtype=np.int64)
    queued = np.zeros(c, dtype=np.int64)
    low = 0
    for j in range(k):
        s = 0
        in_abroad = abroad_start <= j < abroad_stop
        in_queue = queued_start <= j < queued_stop
        for i in range(c):
            v = X[i, j]
            s += v
            row[i] += v
            if v < low:
                low = v
            if in_abroad:
                abroad[i] += v
            elif in_queue:
                queued[i] += v
        col[j] = s
    return col, row, abroad, queued, low
