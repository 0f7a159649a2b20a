"""The compiled kernels against their NumPy oracles: the same draws, the same results, bit for bit.

Each kernel must consume the generator exactly as its oracle does, so after the call both generators are in the
same state (checked by drawing once more from each).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exitvoice import Scenario
from exitvoice.engine.cells import CellEngine
from exitvoice.processes import kernels, sampling

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _pair(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    return np.random.default_rng(seed), np.random.default_rng(seed)


def _same_state(a: np.random.Generator, b: np.random.Generator) -> None:
    assert a.random() == b.random(), "the kernel consumed the stream differently from its oracle"


@st.composite
def _hazard_rows(draw, k_max: int = 3):
    m = draw(st.integers(0, 40))
    k = draw(st.integers(1, k_max))
    n = np.array(draw(st.lists(st.integers(0, 3000), min_size=m, max_size=m)), dtype=np.int64)
    h = draw(st.lists(st.sampled_from([0.0, 1e-6, 0.01, 0.3, 1.0, 5.0, 40.0]), min_size=m * k, max_size=m * k))
    return n, np.array(h, dtype=float).reshape(m, k)


@settings(max_examples=200, deadline=None)
@given(rows=_hazard_rows(), seed=st.integers(0, 2**32 - 1))
def test_competing_kernel_repeats_the_oracle(rows, seed):
    n, h = rows
    a, b = _pair(seed)
    assert np.array_equal(kernels.competing(n, h, a), sampling.competing_numpy(n, h, b))
    _same_state(a, b)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 30), k=st.integers(4, 25))
def test_per_person_split_kernel_repeats_the_oracle(seed, m, k):
    src = np.random.default_rng(seed + 1)
    n = src.integers(1, 50, m)
    w = src.random((m, k)) * (src.random((m, k)) < 0.6)
    w[:, 0] += 0.01  # every row has an outcome
    a, b = _pair(seed)
    fast = kernels.split_per_person(n, w, a)
    old, kernels.ENABLED = kernels.ENABLED, False
    try:
        slow = sampling._split_rows(n, w, b)
    finally:
        kernels.ENABLED = old
    assert np.array_equal(fast, slow)
    assert fast.sum() == n.sum()
    _same_state(a, b)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(0, 40), keys=st.integers(1, 6), k=st.integers(1, 12))
def test_split_by_key_kernel_repeats_the_oracle(seed, m, keys, k):
    src = np.random.default_rng(seed + 7)
    w = src.random((keys, k)) * (src.random((keys, k)) < 0.5)
    table = sampling.shifted_cumulative(w)
    cells = np.sort(src.choice(1000, m, replace=False)).astype(np.int64)
    n = src.integers(0, 60, m)
    key = src.integers(0, keys, m)
    a, b = _pair(seed)
    fast = kernels.split_by_key(cells, n, key, table, k, a)
    slow = sampling.split_by_key_numpy(cells, n, key, table, k, b)
    for x, y in zip(fast, slow, strict=True):
        assert np.array_equal(x, y)
    _same_state(a, b)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), c=st.integers(0, 50), width=st.integers(1, 8))
def test_nonzero_block_and_scatter_add_repeat_numpy(seed, c, width):
    src = np.random.default_rng(seed)
    X = np.asfortranarray(src.integers(0, 4, (c, width + 3)) * (src.random((c, width + 3)) < 0.3))
    rows, cols, vals = kernels.nonzero_block(X, 2, width)
    r, q = np.nonzero(X[:, 2:2 + width])
    assert np.array_equal(rows, r) and np.array_equal(cols, q) and np.array_equal(vals, X[:, 2:2 + width][r, q])
    k = src.integers(0, 20)
    rr, cc, vv = src.integers(0, max(c, 1), k), src.integers(0, width + 3, k), src.integers(-3, 4, k)
    if c:
        Y, Z = X.copy(order="F"), X.copy(order="F")
        kernels.scatter_add(Y, rr, cc, vv)
        np.add.at(Z, (rr, cc), vv)
        assert np.array_equal(Y, Z)


def _run_digest(scenario: Path, scale: float, seed: int) -> str:
    sc = Scenario.from_toml(scenario)
    sc.population.scale = scale
    eng = CellEngine(sc, seed=seed)
    eng.run()
    h = hashlib.sha1(eng.X.tobytes())
    for group in (eng.rec.scalar, eng.rec.by_dest, eng.rec.by_region, eng.rec.states):
        for key in sorted(group):
            h.update(group[key].tobytes())
    for arr in (eng.rec.price, eng.rec.queue, eng.rec.processed):
        h.update(arr.tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("name", ["russia-2022",
                                  pytest.param("wave2-1m-exit-visas", marks=pytest.mark.slow),
                                  pytest.param("wave2-1m-closed", marks=pytest.mark.slow)])
def test_a_run_with_kernels_is_the_run_of_the_oracles(name, monkeypatch):
    if not _numpy_exp_is_the_c_librarys():
        pytest.skip("NumPy's own exp/log (AVX-512) differ from the C library's in the last bit, so the route choice "
                    "of the kernel (test_choice_tables_repeat_the_oracle) may round differently from its oracle")
    path = SCENARIOS / f"{name}.toml"
    fast = _run_digest(path, 0.01, 5)
    monkeypatch.setattr(kernels, "ENABLED", False)
    assert _run_digest(path, 0.01, 5) == fast


def _queued_engine(seed: int) -> CellEngine:
    """A 1% russia-2022 engine with random queues at every crossing, some since yesterday (wait > 0)."""
    sc = Scenario.from_toml(SCENARIOS / "russia-2022.toml")
    sc.population.scale = 0.01
    eng = CellEngine(sc, seed=seed)
    src = np.random.default_rng(seed)
    lay, X = eng.layout, eng.X
    for cols in lay.queued:
        for j in range(lay.n_land):
            cells = src.choice(eng.pop.n_cells, 40, replace=False)
            n = np.minimum(src.integers(0, 30, 40), X[cells, 0] // 4)
            X[cells, 0] -= n
            X[cells, cols.start + j] += n
    eng.routes.wait[:] = src.random(lay.n_land) * (src.random(lay.n_land) < 0.7) * 3
    return eng


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**16), squeeze=st.sampled_from([1e-4, 0.01, 0.3, 1.0]))
def test_the_queues_kernels_repeat_the_oracle(seed, squeeze):
    """Balking, joining and random-order service at the crossings: kernels and `routes._queues_numpy` alike."""
    from exitvoice.processes import routes

    out = []
    for enabled in (True, False):
        eng = _queued_engine(seed)
        src = np.random.default_rng(seed + 1)
        day = eng.day_policy()
        day.capacity_factor[: eng.net.n_land] *= squeeze  # most crossings over capacity when squeezed
        dep = routes.Departures.none(eng.pop.n_cells, eng.net.n_land)
        cells = np.sort(src.choice(np.flatnonzero(eng.X[:, 0] >= 10), 300, replace=False))
        n = np.minimum(src.integers(1, 20, cells.size), eng.X[cells, 0] // 2)
        eng.X[cells, 0] -= n
        dep.join(src.integers(0, 3), cells, src.integers(0, eng.net.n_land, cells.size), n)
        eng.X[cells[:50], 0] -= 1
        dep.exit[cells[:50], 0] += 1  # departures written by hand, dense
        old, kernels.ENABLED = kernels.ENABLED, enabled
        try:
            men = routes.step(eng, eng.routes, day, dep, callup_open=True, adult_men=eng.decisions.adult_men)
        finally:
            kernels.ENABLED = old
        eng.check_conservation()
        out.append((eng.X.copy(), men, eng.routes.wait.copy(), dict(eng.rec.today), eng.rng.random()))
    (xa, ma, wa, ra, ga), (xb, mb, wb, rb, gb) = out
    assert np.array_equal(xa, xb) and np.array_equal(ma, mb) and np.array_equal(wa, wb)
    assert ra.keys() == rb.keys() and all(np.array_equal(ra[k], rb[k]) for k in ra)
    assert ga == gb, "the kernels consumed the stream differently from their oracle"


@pytest.mark.parametrize("counts, k", [([5, 0, 12, 1, 30, 7, 0, 3], 9),  # a few of many
                                       ([5, 0, 12, 1, 30, 7, 0, 3], 50),  # most: the complement is drawn
                                       ([1] * 40 + [200], 21), ([0, 4, 0], 2), ([3, 3], 6), ([3, 3], 0)])
def test_persons_subset_has_the_law_of_exact_subset(counts, k):
    """The deadlines' draw person by person (`persons_subset`) against the multivariate hypergeometric of
    `exact_subset`: every draw exactly k people within the counts; over many draws the means, variances and the
    covariance of two entries those of the multivariate hypergeometric, within z-scores."""
    counts = np.array(counts, dtype=np.int64)
    big_n, reps, z = counts.sum(), 4000, 5.0
    rng = np.random.default_rng(11)
    draws = np.stack([kernels.persons_subset(counts, k, rng) for _ in range(reps)])
    assert np.all(draws.sum(axis=1) == min(k, big_n)) and np.all((draws >= 0) & (draws <= counts))
    a = np.random.default_rng(4)
    b = np.random.default_rng(4)
    assert np.array_equal(kernels.persons_subset(counts, k, a), kernels.persons_subset(counts, k, b))
    share = counts / big_n
    finite = (big_n - k) / (big_n - 1) if big_n > 1 else 0.0
    mean, var = k * share, k * share * (1 - share) * finite
    se = np.sqrt(var / reps)
    live = var > 0
    assert np.array_equal(draws.var(axis=0) > 0, live)  # an entry without people, or all of them chosen, is fixed
    assert np.all(draws[:, ~live] == mean[~live])
    assert np.all(np.abs(draws.mean(axis=0)[live] - mean[live]) < z * se[live])
    # the sample variance has a standard error of about var·sqrt(2/(reps − 1)) (near-normal counts)
    assert np.all(np.abs(draws.var(axis=0, ddof=1)[live] / var[live] - 1) < z * np.sqrt(2 / (reps - 1)) * 1.5)
    i, j = np.argsort(-counts)[:2]
    if var[i] > 0 and var[j] > 0:
        cov = -k * share[i] * share[j] * finite
        got = np.cov(draws[:, i], draws[:, j])[0, 1]
        assert abs(got - cov) < z * np.sqrt(var[i] * var[j] / reps) * 1.5


def _numpy_exp_is_the_c_librarys() -> bool:
    """Whether NumPy's float64 exp and log are the C library's here (they are, except on AVX-512 processors)."""
    import math

    x = np.random.default_rng(0).normal(0, 20, 20_000)
    return (np.array_equal(np.exp(x), [math.exp(v) for v in x])
            and np.array_equal(np.log(np.abs(x)), [math.log(v) for v in np.abs(x)]))


@pytest.mark.parametrize("name, scale", [("russia-2022", 0.01), ("wave2-1m-closed", 0.01), ("myanmar-2024", 0.05)])
def test_choice_tables_repeat_the_oracle(name, scale):
    """The day's route choice (`kernels.choice_tables`) against its NumPy form (`routes._choice_numpy`), day by day
    over the first 40 days of a run: bit for bit where NumPy's exp and log are the C library's, else to rounding."""
    from exitvoice.processes import routes

    sc = Scenario.from_toml(SCENARIOS / f"{name}.toml")
    sc.population.scale = scale
    eng = CellEngine(sc, seed=2)
    exact = _numpy_exp_is_the_c_librarys()
    fields = ("key", "ls", "p_route", "trip_h", "access", "exit_table", "trip_table", "trip_total")
    for t, date in enumerate(eng.days[:40]):
        eng.t, eng.date = t, date
        day = eng.day_policy()
        got = []
        for enabled in (True, False):
            old, kernels.ENABLED = kernels.ENABLED, enabled
            try:
                got.append(routes.utilities(eng, eng.routes, day, announced=eng.callup.current_mob is not None))
            finally:
                kernels.ENABLED = old
        for f in fields:
            a, b = getattr(got[0], f), getattr(got[1], f)
            if exact:
                assert np.array_equal(a, b), f"day {t}: {f} differs from the oracle"
            else:
                assert np.allclose(a, b, rtol=1e-13, atol=1e-15, equal_nan=True), f"day {t}: {f}"
        eng.step()


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), c=st.integers(0, 50), width=st.integers(1, 8), k=st.integers(0, 12))
def test_block_sums_repeat_numpy(seed, c, width, k):
    src = np.random.default_rng(seed)
    X = np.asfortranarray(src.integers(0, 1000, (c, width + 3)) * (src.random((c, width + 3)) < 0.5))
    rows = np.sort(src.choice(c, min(k, c), replace=False)) if c else np.zeros(0, dtype=np.int64)
    for r in (None, rows):
        got = sampling.block_sums(X, slice(2, 2 + width), r)
        old, kernels.ENABLED = kernels.ENABLED, False
        try:
            want = sampling.block_sums(X, slice(2, 2 + width), r)
        finally:
            kernels.ENABLED = old
        assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
        assert np.array_equal(want[0], X[:, 2:2 + width].sum(axis=1))
