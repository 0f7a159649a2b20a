"""The abroad step the engine runs (`abroad.step`: returns from trips scheduled at departure, the rarer outcomes by
thinning) against its oracle, the NumPy step that draws the law as written (`abroad.step_numpy`: one
competing-risks multinomial per entry every day).

The two use the random stream differently, so they are compared in law: over many seeds on a small population with
travellers and leavers in several destinations, a visa-free deadline and a perceived risk that differs by cell, the
means and the spreads of every output (returns from trips by day, trips turned into exits, returns of leavers, onward
moves, visa runs, the stock abroad and on a trip by destination) agree within z-score tolerances.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from conftest import small_scenario
from exitvoice.engine.cells import CellEngine
from exitvoice.engine.state import HOME, RETURNED
from exitvoice.policies import DayPolicy
from exitvoice.processes import abroad, kernels

SEEDS = 60
DAYS = 36
Z = 4.5
PARAMS = {"abroad.return_rate": 0.02, "abroad.onward_rate_transit": 0.07,
          "abroad.onward_rate_other": 0.01, "abroad.visa_run_share": 0.3, "trips.trip_days": 5.0}


@pytest.fixture(scope="module")
def start():
    """A small engine on day 0: the pre-crisis travellers, leavers in KZ (30 days visa-free, all arrived on day 0),
    GE and TR, and a perceived risk that differs by cell."""
    eng = CellEngine(small_scenario(end="2022-11-30", parameters=PARAMS, allow_outside_range=True), seed=3)
    X, lay = eng.X, eng.layout
    cells = np.flatnonzero(eng.decisions.adult & (X[:, HOME] >= 40))[:60]
    assert cells.size == 60
    for k, name in enumerate(("KZ", "GE", "TR")):
        d = eng.net.dest_ids.index(name)
        part = cells[k::3]
        X[part, HOME] -= 40
        X[part, lay.abroad.start + d] += 40
        if name == "KZ":
            eng.abroad.cohort[0, d] = 40 * part.size
    eng.risk.rho = np.random.default_rng(0).uniform(0, 0.1, eng.pop.n_cells)
    eng.decisions.base_exit *= 100  # exits from trips frequent enough to be measured on a small population
    assert X[:, lay.travelling].sum() > 1000
    return eng


def _run(start: CellEngine, seed: int, oracle: bool) -> dict[str, np.ndarray]:
    eng = copy.deepcopy(start)
    eng.rng = np.random.default_rng(seed)
    lay, D = eng.layout, eng.net.n_dest
    quiet = DayPolicy(eng.net.n_routes, eng.net.n_dest)
    out: dict[str, list] = {k: [] for k in ("trip_back", "turned", "returned", "onward", "visa_runs")}
    for t in range(DAYS):
        eng.t, eng.date = t, eng.days[t]
        eng.rec.reset()
        home, back = eng.X[:, HOME].sum(), eng.X[:, RETURNED].sum()
        abroad.snapshot(eng, eng.abroad, oracle=oracle)
        (abroad.step_numpy if oracle else abroad.step)(eng, eng.abroad, quiet, eng.risk, eng.decisions)
        tod = eng.rec.today
        out["trip_back"].append(eng.X[:, HOME].sum() - home)
        out["turned"].append(tod["trips_turned_exit"])
        out["returned"].append(eng.X[:, RETURNED].sum() - back)
        out["onward"].append(tod["entries"].sum() - tod["visa_runs"])
        out["visa_runs"].append(tod["visa_runs"])
        eng.check_conservation()
        if t == 5:
            early = eng.X[:, lay.travelling].sum(axis=0).astype(float)
    res = {k: np.array(v, dtype=float) for k, v in out.items()}
    res["abroad"] = eng.X[:, lay.abroad].sum(axis=0).astype(float)
    res["travelling"] = early  # on day 5 (by day 36 nearly every trip of the start has ended)
    res["cohort"] = eng.abroad.cohort[:DAYS].sum(axis=0)
    assert res["abroad"].size == D
    return res


@pytest.fixture(scope="module")
def runs(start):
    new = [_run(start, 1000 + s, oracle=False) for s in range(SEEDS)]
    old = [_run(start, 5000 + s, oracle=True) for s in range(SEEDS)]
    return new, old


def _stack(rs: list[dict], key: str) -> np.ndarray:
    return np.stack([r[key] for r in rs])


def _compare(a: np.ndarray, b: np.ndarray, what: str) -> None:
    """Means within Z standard errors, and standard deviations within Z standard errors of their log ratio."""
    n = a.shape[0]
    se = np.sqrt(a.var(axis=0, ddof=1) / n + b.var(axis=0, ddof=1) / n)
    diff = a.mean(axis=0) - b.mean(axis=0)
    z = np.where(se > 0, diff / np.where(se > 0, se, 1), 0.0)
    assert np.all(np.abs(z) < Z), f"{what}: means differ, z = {np.round(z, 1)}"
    assert np.array_equal(se > 0, (a.var(axis=0) + b.var(axis=0)) > 0)
    sa, sb = a.std(axis=0, ddof=1), b.std(axis=0, ddof=1)
    both = (sa > 0) & (sb > 0) & (a.mean(axis=0) >= 20) & (b.mean(axis=0) >= 20)  # the log-ratio is normal enough
    # log(sd ratio) has a standard error of about sqrt(1/(n−1)) for normal data (sqrt(1/(2(n−1))) for each)
    lz = np.log(sa[both] / sb[both]) / np.sqrt(1.0 / (n - 1))
    assert np.all(np.abs(lz) < Z), f"{what}: spreads differ, z = {np.round(lz, 1)}"


@pytest.mark.parametrize("key", ["trip_back", "turned", "returned", "onward", "visa_runs"])
def test_the_daily_outputs_of_the_abroad_step_have_the_law_of_the_numpy_step(runs, key):
    new, old = runs
    a, b = _stack(new, key), _stack(old, key)
    # day by day for the large flows, over blocks of 6 days for the rarer ones
    if key in ("turned", "onward", "visa_runs"):
        a, b = a.reshape(SEEDS, -1, 6).sum(axis=2), b.reshape(SEEDS, -1, 6).sum(axis=2)
    assert a.sum() > 0
    _compare(a, b, key)


@pytest.mark.parametrize("key", ["abroad", "travelling", "cohort"])
def test_the_stocks_abroad_and_on_a_trip_by_destination_have_the_law_of_the_numpy_step(runs, key):
    new, old = runs
    a, b = _stack(new, key), _stack(old, key)
    _compare(a, b, key)


def test_the_visa_free_deadline_still_ends_each_cohorts_stay(runs):
    new, _ = runs
    runs_by_day = _stack(new, "visa_runs").mean(axis=0)
    assert runs_by_day[30] > 10 * max(runs_by_day[:30].max(), 1)  # KZ's cohort of day 0 is due on day 30


def test_travellers_who_turn_their_trip_into_an_exit_never_come_back_from_it(start):
    """Whoever stays leaves their place in the ring of returns: the ring's places always match the travellers."""
    eng = copy.deepcopy(start)
    st = eng.abroad
    quiet = DayPolicy(eng.net.n_routes, eng.net.n_dest)
    for t in range(DAYS):
        eng.t, eng.date = t, eng.days[t]
        eng.rec.reset()
        abroad.snapshot(eng, st)
        eng.decisions.frail = np.full(eng.pop.n_cells, 30.0)  # a 30-fold exit hazard
        abroad.step(eng, st, quiet, eng.risk, eng.decisions)
        places = kernels.ring_places(st.pool, st.ring_head)
        trav = eng.X[:, eng.layout.travelling].ravel(order="F")
        assert np.array_equal(st.trip_live, trav)
        assert places == trav.sum() + st.trip_gone.sum()
        eng.check_conservation()
