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
    # count per row, then place: row-major order from a column-major array in two passes
    per_row = np.zeros(c + 1, dtype=np.int64)
    for j in range(start, start + width):
        for i in range(c):
            per_row[i + 1] += X[i, j] != 0
    for i in range(c):
        per_row[i + 1] += per_row[i]
    size = per_row[c]
    rows = np.empty(size, dtype=np.int64)
    cols = np.empty(size, dtype=np.int64)
    vals = np.empty(size, dtype=X.dtype)
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
    """One pass over the state: column sums, row sums, row sums of the abroad and queued blocks, smallest count.

    Each column is read once, by a loop without branches (so that it is vectorised).
    """
    c, k = X.shape
    col = np.zeros(k, dtype=np.int64)
    row = np.zeros(c, dtype=np.int64)
    abroad = np.zeros(c, dtype=np.int64)
    queued = np.zeros(c, dtype=np.int64)
    low = 0
    for j in range(k):
        s = 0
        m = 0
        if abroad_start <= j < abroad_stop:
            for i in range(c):
                v = X[i, j]
                s += v
                m = min(m, v)
                row[i] += v
                abroad[i] += v
        elif queued_start <= j < queued_stop:
            for i in range(c):
                v = X[i, j]
                s += v
                m = min(m, v)
                row[i] += v
                queued[i] += v
        else:
            for i in range(c):
                v = X[i, j]
                s += v
                m = min(m, v)
                row[i] += v
        col[j] = s
        low = min(low, m)
    return col, row, abroad, queued, low


@njit(cache=True)
def block_sums(X, start, width, rows, every):  # pragma: no cover - compiled; checked against its oracle
    """Sums of the block X[:, start:start+width], integers, so exactly NumPy's: (by row, by column).

    By column over every cell when `every`, else over the cells `rows` only.

    One pass down each column, in memory order (twin of `X[:, block].sum(axis=1)` and `X[rows, block].sum(axis=0)`).
    """
    c = X.shape[0]
    by_row = np.zeros(c, dtype=np.int64)
    by_col = np.zeros(width, dtype=np.int64)
    for j in range(width):
        s = 0
        for i in range(c):
            v = X[i, start + j]
            by_row[i] += v
            s += v
        if not every:
            s = 0
            for i in rows:
                s += X[i, start + j]
        by_col[j] = s
    return by_row, by_col


# -- abroad: ordinary trips scheduled at departure, rarer outcomes by thinning (processes/abroad.py) -------------
# The schedule of trips is a ring of H days, each a list of chunks of entries in one pool: `head[day % H]` is the
# chunk filled last of the entries due that day. A chunk `pool[k]` holds (next chunk, entries filled) in its row 0
# and up to CHUNK entries in rows 1…CHUNK, each (cd, count): a (cell, destination) index cd = d·C + c and a count
# of people (a negative cd, −(cd + 1): people whose return lay more than H − 1 days ahead when drawn, drawn again
# that day). A day's entries are visited last added first, chunk by chunk (memory read in order, not one scattered
# entry at a time). `meta` = [first free chunk, chunks ever used]. Travellers are `live[cd]` (each holds one place
# in the ring), `gone[cd]` the places of travellers who turned their trip into an exit before it ended (removed
# lazily: of the places due, as many are gone ones as a draw without replacement gives).
CHUNK = 64
BIG_SKIP = 1 << 62


@njit(cache=True)
def _geometric(p, gen):  # pragma: no cover - compiled
    """Trials to the first success (≥ 1) at probability p per trial."""
    if p >= 1.0:
        return 1
    v = math.floor(math.log(1.0 - gen.random()) / math.log1p(-p))
    return 1 + int(v) if v < BIG_SKIP else BIG_SKIP


@njit(cache=True)
def new_pool(chunks):  # pragma: no cover - compiled
    """An empty pool of chunks for the ring (see above)."""
    return np.zeros((chunks, CHUNK + 1, 2), dtype=np.int64)


@njit(cache=True)
def _push(pool, head, meta, slot, cd, n):  # pragma: no cover - compiled
    """Add an entry to a day's list; returns the pool (a larger copy when it was full)."""
    k = head[slot]
    if k < 0 or pool[k, 0, 1] == CHUNK:  # a new chunk at the head of the day's list
        e = meta[0]
        if e >= 0:
            meta[0] = pool[e, 0, 0]
        else:
            e = meta[1]
            if e >= pool.shape[0]:
                grown = np.empty((2 * pool.shape[0], CHUNK + 1, 2), dtype=np.int64)
                grown[: pool.shape[0]] = pool
                pool = grown
            meta[1] += 1
        pool[e, 0, 0] = k
        pool[e, 0, 1] = 0
        head[slot] = e
        k = e
    f = pool[k, 0, 1] + 1
    pool[k, f, 0] = cd
    pool[k, f, 1] = n
    pool[k, 0, 1] = f
    return pool


@njit(cache=True)
def ring_places(pool, head):  # pragma: no cover - compiled
    """The places in the ring: people whose return is scheduled (travellers and gone ones)."""
    total = 0
    for slot in range(head.size):
        k = head[slot]
        while k >= 0:
            for r in range(1, pool[k, 0, 1] + 1):
                total += pool[k, r, 1]
            k = pool[k, 0, 0]
    return total


@njit(cache=True)
def _schedule(pool, head, meta, cd, x, base, b, gen):  # pragma: no cover - compiled
    """Return days base + g of x people, g ≥ 1 geometric with P(g = 1) = 1 − e^{−b}; beyond H − 1 days a re-draw."""
    h = head.size
    if x <= 8:  # one geometric per person
        for _ in range(x):
            v = math.floor(math.log(1.0 - gen.random()) / -b)  # g − 1
            if v >= h - 1:
                pool = _push(pool, head, meta, (base + h - 1) % h, -(cd + 1), 1)
            else:
                pool = _push(pool, head, meta, (base + 1 + int(v)) % h, cd, 1)
        return pool
    q = -math.expm1(-b)  # a multinomial over the return days: conditional binomials, day by day
    rem = x
    for g in range(1, h):
        if rem == 0:
            return pool
        k = gen.binomial(rem, q)
        if k > 0:
            pool = _push(pool, head, meta, (base + g) % h, cd, k)
            rem -= k
    if rem > 0:
        pool = _push(pool, head, meta, (base + h - 1) % h, -(cd + 1), rem)
    return pool


@njit(cache=True)
def trips_prime(X, trav, live, t, b, pool, head, meta, gen):  # pragma: no cover - compiled
    """Schedule the return of everyone on a trip at the start of day t (a run's first day): due from day t on."""
    c = X.shape[0]
    for d in range(live.size // c):
        for i in range(c):
            x = X[i, trav + d]
            if x > 0:
                cd = d * c + i
                pool = _schedule(pool, head, meta, cd, x, t - 1, b, gen)
                live[cd] += x
    return pool


@njit(cache=True)
def trips_step(X, trav, ab, home, region, live, gone, due, t, b, stay, pool, head, meta, gen, back_d, stay_d,
               stay_r):  # pragma: no cover - compiled
    """One day of ordinary trips (the law of `abroad.step_numpy`, drawn another way); returns the pool.

    Each traveller's return day was drawn at departure (geometric at the daily probability q = 1 − e^{−b}); today
    those due come back, except a share α_c = 1 − p_back/q of them, and of those not due a share β_c = 1 − e^{−s_c}
    turn their trip into an exit (s_c = `stay[c]`), which gives each traveller exactly the competing risks of the
    NumPy step: back p_back = b/(b + s)·(1 − e^{−(b+s)}), stay, or neither e^{−(b+s)}. Both shares are drawn by
    thinning: candidates at an upper bound of the share (geometric gaps between them), each kept with its own share
    over the bound. Then today's arrivals (X − live) are scheduled. Counters go to back_d, stay_d, stay_r.
    One pass over the travellers' columns, in the order of X, after the day's returns are gathered.
    """
    c = X.shape[0]
    h = head.size
    q = -math.expm1(-b)
    # 1. the places due today, by cd (re-draws rescheduled from today)
    k = head[t % h]
    head[t % h] = -1
    while k >= 0:
        for r in range(pool[k, 0, 1], 0, -1):  # last added first
            code, n = pool[k, r, 0], pool[k, r, 1]
            if code < 0:
                pool = _schedule(pool, head, meta, -code - 1, n, t, b, gen)
            else:
                due[code] += n
        nxt = pool[k, 0, 0]
        pool[k, 0, 0] = meta[0]  # free the chunk
        meta[0] = k
        k = nxt
    # 2. the highest exit hazard among travellers bounds both shares (each grows with s)
    smax = 0.0
    for d in range(live.size // c):
        for i in range(c):
            if live[d * c + i] > 0 and stay[i] > smax:
                smax = stay[i]
    amax = 1.0 - (b / (b + smax)) * (-math.expm1(-(b + smax))) / q
    bmax = -math.expm1(-smax)
    pos_a = _geometric(amax, gen) if amax > 0 else BIG_SKIP
    pos_b = _geometric(bmax, gen) if bmax > 0 else BIG_SKIP
    # 3. one pass: returns due, trips turned into exits, arrivals
    for d in range(live.size // c):
        for i in range(c):
            cd = d * c + i
            x = X[i, trav + d]
            lv = live[cd]
            p_due = due[cd]
            if x == 0 and lv == 0 and p_due == 0:
                continue
            if x < lv:  # people who left `travelling` another way: their places are gone ones
                gone[cd] += lv - x
                lv = x
            arrived = x - lv
            m = p_due
            if p_due:
                due[cd] = 0
                g = gone[cd]
                if g:  # of the places due, the gone ones (without replacement among all places of cd)
                    left = lv + g
                    for _ in range(p_due):
                        if g > 0 and gen.random() * left < g:
                            g -= 1
                            m -= 1
                        left -= 1
                    gone[cd] = g
            s = stay[i]
            st_due = 0
            if m > 0 and amax > 0:
                a = 1.0 - (b / (b + s)) * (-math.expm1(-(b + s))) / q
                while pos_a <= m:
                    if gen.random() * amax < a:
                        st_due += 1
                    pos_a += _geometric(amax, gen)
                pos_a -= m
            n_nd = lv - m
            st_nd = 0
            if n_nd > 0 and bmax > 0:
                beta = -math.expm1(-s)
                while pos_b <= n_nd:
                    if gen.random() * bmax < beta:
                        st_nd += 1
                    pos_b += _geometric(bmax, gen)
                pos_b -= n_nd
            out = m + st_nd
            if out:
                X[i, trav + d] -= out
                X[i, home] += m - st_due
                X[i, ab + d] += st_due + st_nd
                back_d[d] += m - st_due
                stay_d[d] += st_due + st_nd
                stay_r[region[i]] += st_due + st_nd
            gone[cd] += st_nd
            lv -= out
            if arrived > 0:
                pool = _schedule(pool, head, meta, cd, arrived, t, b, gen)
                lv += arrived
            live[cd] = lv
    return pool


@njit(cache=True)
def leavers_step(X, ab, returned, cells, dest, n, ret, onward, passport, region, onward_cum, gen, live_d, gone_d,
                 ret_r, onward_d):  # pragma: no cover - compiled
    """Leavers abroad return (hazard ret[cell]) or move on (onward[passport, dest]), competing risks drawn by thinning.

    Each person moves with p = 1 − e^{−(ret + on)}: candidates at the highest p, each kept with p / p_max, then
    returns with ret / (ret + on), else moves on to a destination drawn from `onward_cum[passport, dest]` (row-wise
    cumulative weights). Moves are applied to X; counters go to live_d (people who might move, by destination),
    gone_d (who left, by destination), ret_r (returns by region), onward_d (entries by new destination).
    """
    k = onward_cum.shape[2]
    pmax = 0.0
    for j in range(cells.size):
        live_d[dest[j]] += n[j]
        if n[j] > 0:
            hz = ret[cells[j]] + onward[passport[cells[j]], dest[j]]
            p = -math.expm1(-hz)
            if p > pmax:
                pmax = p
    if pmax <= 0:
        return
    pos = _geometric(pmax, gen)
    for j in range(cells.size):
        nj = n[j]
        if nj <= 0:
            continue
        i, d = cells[j], dest[j]
        pp = passport[i]
        r, o = ret[i], onward[pp, d]
        p = -math.expm1(-(r + o))
        back = 0
        on = 0
        while pos <= nj:
            if gen.random() * pmax < p:
                if gen.random() * (r + o) < r:
                    back += 1
                else:
                    v = gen.random()
                    to = 0
                    while to < k - 1 and onward_cum[pp, d, to] <= v:
                        to += 1
                    X[i, ab + to] += 1
                    onward_d[to] += 1
                    on += 1
            pos += _geometric(pmax, gen)
        pos -= nj
        if back or on:
            X[i, ab + d] -= back + on
            X[i, returned] += back
            gone_d[d] += back + on
            ret_r[region[i]] += back


@njit(cache=True)
def persons_subset(counts, k, gen):  # pragma: no cover - compiled; checked in law against `exact_subset`
    """Exactly k of the people in counts[E], every person alike: [E] how many of each entry are chosen.

    The law of `sampling.exact_subset` (a multivariate hypergeometric), drawn person by person: min(k, N − k) draws
    without replacement among the N people (the complement when more than half are chosen), each an integer below
    the people still undrawn, found in a Fenwick tree of the counts. Costs O(E + min(k, N − k) · log E), where the
    hypergeometric costs one draw per entry.
    """
    e = counts.size
    total = 0
    for i in range(e):
        total += counts[i]
    out = np.zeros(e, dtype=np.int64)
    if k >= total:
        for i in range(e):
            out[i] = counts[i]
        return out
    if k <= 0:
        return out
    flip = 2 * k > total
    m = total - k if flip else k
    tree = np.zeros(e + 1, dtype=np.int64)  # Fenwick tree: tree[j] sums the counts of (j − (j & −j), j]
    for j in range(1, e + 1):
        tree[j] += counts[j - 1]
        up = j + (j & -j)
        if up <= e:
            tree[up] += tree[j]
    top = 1
    while 2 * top <= e:
        top *= 2
    left = total
    for _ in range(m):
        u = gen.integers(0, left)  # the u-th of the people still undrawn, counted from 0
        pos = 0
        b = top
        while b > 0:
            nxt = pos + b
            if nxt <= e and tree[nxt] <= u:
                pos = nxt
                u -= tree[nxt]
            b //= 2
        out[pos] += 1  # pos: the entry (from 0) holding that person
        j = pos + 1
        while j <= e:
            tree[j] -= 1
            j += j & -j
        left -= 1
    if flip:
        for i in range(e):
            out[i] = counts[i] - out[i]
    return out


# -- routes: the day's choice tables (processes/routes.py, twin of the NumPy tail of `routes.utilities`) -----------
# Every sum is NumPy's, every exp and log the C library's, as NumPy's are on processors without AVX-512, so the
# tables are NumPy's bit for bit there. NumPy sums a contiguous row pairwise (`_pairwise_sum`: sequential below 8
# terms, eight running sums above); the routes to a destination, gathered by advanced indexing, lie with the keys
# innermost, so NumPy sums their terms one after the other (pairwise only when there is a single key).


@njit(cache=True)
def _pairwise_sum(a, n):  # pragma: no cover - compiled
    """a[0] + … + a[n − 1] in the order NumPy sums a contiguous row of at most 128 numbers."""
    if n < 8:
        s = -0.0
        for i in range(n):
            s += a[i]
        return s
    r0, r1, r2, r3, r4, r5, r6, r7 = a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
    i = 8
    while i < n - n % 8:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        s += a[i]
        i += 1
    return s


@njit(cache=True)
def _logsumexp_row(v, n, buf, pairwise):  # pragma: no cover - compiled
    """Log Σ exp(v[:n]) as `routes._logsumexp` takes it (−inf for no finite term); buf: scratch of ≥ n.

    `pairwise`: the terms are summed as NumPy sums a contiguous row, else one after the other.
    """
    m = v[0]
    for i in range(1, n):
        if v[i] > m:
            m = v[i]
    if not math.isfinite(m):
        m = 0.0
    for i in range(n):
        buf[i] = math.exp(v[i] - m)
    if pairwise:
        s = _pairwise_sum(buf, n)
    else:
        s = buf[0]
        for i in range(1, n):
            s += buf[i]
    return (math.log(s) if s > 0 else -np.inf) + m


@njit(cache=True)
def _shifted_row(w, out, k, row):  # pragma: no cover - compiled
    """Row `row` of `sampling.shifted_cumulative`: cumulative weights over their total, plus the row's index."""
    pos = False
    for j in range(k):
        if w[j] > 0:
            pos = True
    acc = 0.0
    for j in range(k):
        acc += w[j] if pos else 1.0 / k
        out[j] = acc
    last = out[k - 1]
    for j in range(k):
        out[j] = out[j] / last + row


@njit(cache=True)
def choice_tables(V, lam, dest, dest_routes, dest_width, dest_term, asc_dest, ref, rate, trip_factor, ls0,
                  mu):  # pragma: no cover - compiled; checked against its oracle
    """The route choice of each key from its route utilities V [key, route] (twin of `routes._choice_numpy`).

    `dest_routes` [dest, width] lists the routes to each destination (the first `dest_width[d]`), `dest_term` [key,
    dest] the destination term of leavers, `ref` [key, dest] the pre-crisis log-sums of trips (0 where none),
    `rate` [key, route] today's trip rates, `trip_factor` [key] the call-up's factor on trips, `ls0` [key] the
    pre-crisis accessibility log-sum. Returns (ls [key], access [key], p_route [key, route], trip_h [key, route],
    exit_table, trip_table, trip_total [key]).
    """
    nk, nr = V.shape
    nd = dest_width.size
    wmax = dest_routes.shape[1]
    buf = np.empty(max(nr, nd, wmax))
    v = np.empty(max(nd, wmax))
    iv = np.empty(nd)
    u = np.empty(nd)
    ls = np.empty(nk)
    access = np.empty(nk)
    p_route = np.empty((nk, nr))
    trip_h = np.empty((nk, nr))
    exit_table = np.empty(nk * nr)
    trip_table = np.empty(nk * nr)
    trip_total = np.empty(nk)
    for k in range(nk):
        # inclusive values IV_d = log Σ_{r→d} exp(V_r / λ)
        for d in range(nd):
            w = dest_width[d]
            if w == 0:
                iv[d] = -np.inf
                continue
            for q in range(w):
                v[q] = V[k, dest_routes[d, q]] / lam
            iv[d] = _logsumexp_row(v, w, buf, nk == 1)
        # P(d) over dest_term + λ·IV, and the accessibility log-sum over ASC_d + λ·IV
        for d in range(nd):
            u[d] = dest_term[k, d] + lam * iv[d]
        lsk = _logsumexp_row(u, nd, buf, True)
        for d in range(nd):
            v[d] = asc_dest[d] + lam * iv[d]
        ls[k] = _logsumexp_row(v, nd, buf, True)
        ok = math.isfinite(lsk)
        if math.isfinite(ls[k]) and math.isfinite(ls0[k]):
            access[k] = math.exp(mu * (ls[k] - ls0[k]))
        else:
            access[k] = 0.0
        for r in range(nr):
            x = V[k, r]
            d = dest[r]
            pd = math.exp(u[d] - lsk) if ok else 0.0
            ivr = iv[d]
            pw = math.exp(x / lam - ivr) if math.isfinite(ivr) else 0.0
            p_route[k, r] = pd * (pw if math.isfinite(x) else 0.0)
            trip_h[k, r] = rate[k, r] * math.exp(x - ref[k, d]) * trip_factor[k] if math.isfinite(x) else 0.0
        _shifted_row(p_route[k], exit_table[k * nr:(k + 1) * nr], nr, k)
        _shifted_row(trip_h[k], trip_table[k * nr:(k + 1) * nr], nr, k)
        trip_total[k] = _pairwise_sum(trip_h[k], nr)
    return ls, access, p_route, trip_h, exit_table, trip_table, trip_total


# -- routes: the queues at the crossings (processes/routes.py, twins of `routes._queues_numpy`) -------------------
# The queue columns of a crossing j are X[:, starts[g] + j], one per purpose g (leavers, ordinary trips, summoned
# men leaving); `back_to[g]` is the column a person of purpose g returns to when he balks or is turned back.


@njit(cache=True)
def queues_balk(X, starts, back_to, js, p_balk, gen):  # pragma: no cover - compiled; checked against its oracle
    """Those queued since yesterday at crossings js balk; returns how many balked.

    A binomial per non-zero queue entry, purpose by purpose, crossing by crossing, cell by cell: the draws of
    `sampling.thin` on each column.
    """
    c = X.shape[0]
    total = 0
    for g in range(starts.size):
        for j in js:
            col = starts[g] + j
            p = p_balk[j]
            for i in range(c):
                x = X[i, col]
                if x != 0:
                    b = gen.binomial(x, p)
                    X[i, col] -= b
                    X[i, back_to[g]] += b
                    total += b
    return total


@njit(cache=True)
def queue_totals(X, starts, n_land):  # pragma: no cover - compiled; checked against its oracle
    """People queued at each crossing by purpose: [purpose, crossing]."""
    c = X.shape[0]
    out = np.zeros((starts.size, n_land), dtype=np.int64)
    for g in range(starts.size):
        for j in range(n_land):
            col = starts[g] + j
            s = 0
            for i in range(c):
                s += X[i, col]
            out[g, j] = s
    return out


@njit(cache=True)
def queue_entries(X, starts, j):  # pragma: no cover - compiled; checked against its oracle
    """The non-zero queue entries of crossing j: (cells, purposes, counts).

    In the order of `np.flatnonzero` over [cell, purpose], as `sampling.exact_subset` reads them.
    """
    c, k = X.shape[0], starts.size
    size = 0
    for i in range(c):
        for g in range(k):
            if X[i, starts[g] + j] != 0:
                size += 1
    rows = np.empty(size, dtype=np.int64)
    groups = np.empty(size, dtype=np.int64)
    vals = np.empty(size, dtype=np.int64)
    e = 0
    for i in range(c):
        for g in range(k):
            x = X[i, starts[g] + j]
            if x != 0:
                rows[e] = i
                groups[e] = g
                vals[e] = x
                e += 1
    return rows, groups, vals


@njit(cache=True)
def queues_serve(X, starts, whole, d_cross, d_rows, d_groups, d_served, processed):  # pragma: no cover - compiled
    """Serve the queues: everyone in the queue columns with whole[g, j], the drawn entries (d_*) at the others.

    Takes the served people out of X and returns them per purpose as (cells, crossing, counts) triplets in row-major
    order, as `routes._collect` orders them; adds each crossing's served people to processed[j].
    """
    c, k, n_land = X.shape[0], starts.size, whole.shape[1]
    per_row = np.zeros((k, c + 1), dtype=np.int64)
    for j in range(n_land):
        for g in range(k):
            if whole[g, j]:
                col = starts[g] + j
                for i in range(c):
                    if X[i, col] != 0:
                        per_row[g, i + 1] += 1
    for e in range(d_rows.size):
        if d_served[e] != 0:
            per_row[d_groups[e], d_rows[e] + 1] += 1
    sizes = np.zeros(k, dtype=np.int64)
    for g in range(k):
        for i in range(c):
            per_row[g, i + 1] += per_row[g, i]
        sizes[g] = per_row[g, c]
    tot = sizes.sum()
    oc = np.empty(tot, dtype=np.int64)
    oj = np.empty(tot, dtype=np.int64)
    on = np.empty(tot, dtype=np.int64)
    offset = np.zeros(k, dtype=np.int64)
    for g in range(1, k):
        offset[g] = offset[g - 1] + sizes[g - 1]
    e = 0
    for j in range(n_land):  # crossings in order, so that each row's entries come by crossing
        for g in range(k):
            if whole[g, j]:
                col = starts[g] + j
                for i in range(c):
                    x = X[i, col]
                    if x != 0:
                        at = offset[g] + per_row[g, i]
                        oc[at], oj[at], on[at] = i, j, x
                        per_row[g, i] += 1
                        X[i, col] = 0
                        processed[j] += x
        while e < d_rows.size and d_cross[e] == j:
            x = d_served[e]
            if x != 0:
                g, i = d_groups[e], d_rows[e]
                at = offset[g] + per_row[g, i]
                oc[at], oj[at], on[at] = i, j, x
                per_row[g, i] += 1
                X[i, starts[g] + j] -= x
                processed[j] += x
            e += 1
    return oc, oj, on, sizes
