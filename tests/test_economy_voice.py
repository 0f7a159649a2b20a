"""Economy and voice (docs/model.md §10–11): their invariants and the mechanism that links them to exit."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import empty_road, small_scenario
from exitvoice.economy import Economy, output_ratio, read_sectors
from exitvoice.engine.cells import CellEngine
from exitvoice.engine.state import HIDING, HOME, MOBILISED
from exitvoice.pack import load_pack
from exitvoice.params import ParameterSet
from exitvoice.population import build_population
from exitvoice.voice import baseline, threshold_dynamics

PACK = load_pack("russia")


@pytest.fixture(scope="module")
def national():
    """The whole country's cells and their economy at the declared defaults."""
    params = ParameterSet(PACK.declarations)
    pop = build_population(PACK, params)
    return pop, params, Economy.build(PACK, params, pop)


# -- economy: the labour table ----------------------------------------------------------------------------
def test_labour_table_matches_the_sourced_totals(national):
    pop, params, econ = national
    sec = read_sectors(PACK.path / "economy_sectors.csv")
    size = pop.size.astype(float)
    assert econ.workers.sum() == pytest.approx(params["economy.employed_total"], rel=1e-6)
    # each sector's employment is its sourced share of the employed
    assert econ.workers / econ.workers.sum() == pytest.approx(sec.employed_share.to_numpy(), rel=1e-6)
    men = pop.sex == 0
    male = (size[men] @ econ.emp[men]) / econ.workers
    known = sec.male_share.notna().to_numpy()
    assert male[known] == pytest.approx(sec.male_share.to_numpy()[known], rel=1e-6)
    assert (size[men] @ econ.emp[men]).sum() / econ.workers.sum() == pytest.approx(
        params["economy.male_share_employed"], rel=1e-6)
    rate = econ.emp.sum(1)
    assert rate.max() <= 1.0 + 1e-12 and (rate[pop.age_hi < 18] == 0).all()
    assert econ.va_share.sum() == pytest.approx(1.0)


def test_graduates_lean_towards_graduate_intensive_sectors(national):
    pop, _, econ = national
    sec = read_sectors(PACK.path / "economy_sectors.csv")
    grad = sec.graduate_intensive.to_numpy(bool)
    share = econ.emp / econ.emp.sum(1, keepdims=True).clip(1e-12)
    adult = pop.age_lo >= 25
    t, n = adult & (pop.tertiary == 1), adult & (pop.tertiary == 0)
    assert share[t][:, grad].sum(1).mean() > 2 * share[n][:, grad].sum(1).mean()


# -- economy: output ---------------------------------------------------------------------------------------
def test_no_one_absent_means_no_loss(national):
    _, _, econ = national
    assert output_ratio(np.zeros_like(econ.L), econ.L, econ.weight) == 1.0
    eng = CellEngine(small_scenario(), seed=1)
    empty_road(eng)
    persons, units = eng.economy.absent(eng.X, eng.layout, eng.X[:, eng.layout.abroad].sum(1))
    assert persons.sum() == 0 and units.sum() == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 0.5), min_size=11, max_size=11), st.floats(0.001, 0.3), st.integers(0, 10),
       st.floats(0.4, 0.79))
@example(fracs=[0.0] * 10 + [2.2250738585072014e-308], extra=0.25, sector=0, alpha=0.5)
def test_loss_grows_with_absences_and_with_the_elasticity(national, fracs, extra, sector, alpha):
    _, params, econ = national
    dL = np.array(fracs) * econ.L
    more = dL.copy()
    more[sector] = min(econ.L[sector], more[sector] + extra * econ.L[sector])
    w = econ.va_share
    loss = 1 - output_ratio(dL, econ.L, alpha * w)
    assert 1 - output_ratio(more, econ.L, alpha * w) >= loss
    if max(fracs) > 1e-9:  # a loss below double precision's resolution cannot grow visibly
        assert 1 - output_ratio(dL, econ.L, (alpha + 0.01) * w) > loss


def test_remote_work_reduces_the_loss(national):
    pop, params, _ = national
    eng = CellEngine(small_scenario(), seed=1)
    X = eng.X.copy()
    lay = eng.layout
    col = lay.abroad.start
    moved = X[:, HOME] // 10
    X[:, HOME] -= moved
    X[:, col] += moved  # a tenth of everyone abroad
    losses = []
    for remote in (0.0, 0.5, 0.9):
        p = ParameterSet(PACK.declarations, {"economy.remote_share_it": remote, "economy.remote_share_other": remote},
                         allow_outside_range=True)  # 0 and 0.9 bracket the plausible ranges on purpose
        econ = Economy.build(PACK, p, eng.pop)
        _, units = econ.absent(X, lay, X[:, lay.abroad].sum(1))
        losses.append(1 - output_ratio(units, econ.L, econ.weight))
    assert losses[0] > losses[1] > losses[2] > 0


def test_absences_count_queued_mobilised_and_a_share_of_hiding(national):
    eng = CellEngine(small_scenario(), seed=1)
    econ, lay = eng.economy, eng.layout
    X = eng.X.copy()
    road = X[:, lay.en_route].sum(axis=1)  # on the road to a crossing at the start: absent as the queued are
    k = X[:, HOME] // 4
    X[:, HOME] -= 3 * k
    X[:, MOBILISED] += k
    X[:, HIDING] += k
    X[:, lay.queued_exit.start] += k
    persons, _ = econ.absent(X, lay, np.zeros(len(X)))
    expected = (k * (2 + econ.hiding) + road).astype(float) @ econ.emp
    assert persons == pytest.approx(expected)


# -- voice -------------------------------------------------------------------------------------------------
MU, SD = 0.5, 0.1


def test_no_opposed_people_no_protest():
    T, R = 30, 4
    shock = np.full((T, R), 0.4)
    out = threshold_dynamics(np.zeros((T, R)), np.zeros(R), shock, mu=MU, sd=SD, deterrent=0.0)
    assert (out == 0).all()


def test_quiet_level_is_stationary_without_a_shock():
    pool = np.full((50, 3), 1e6)
    out = threshold_dynamics(pool, pool[0], np.zeros((50, 3)), mu=MU, sd=SD, deterrent=0.05)
    c = baseline(MU, SD, 0.05)
    assert out == pytest.approx(np.full((50, 3), c * 1e6), rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.floats(0.3, 0.8), st.floats(0.05, 0.2), st.floats(0.0, 0.4),
       st.integers(0, 2**31 - 1))
def test_repression_at_its_maximum_lets_no_protest_grow(T, mu, sd, top, seed):
    """When the deterrent outweighs every shock, the crowd never exceeds its quiet level without deterrence."""
    rng = np.random.default_rng(seed)
    R = 3
    pool0 = rng.uniform(1e3, 1e6, R)
    pool = pool0 * rng.uniform(0.8, 1.0, (T, R))  # the pool can only shrink by exit
    shock = rng.uniform(0, top, (T, R))
    out = threshold_dynamics(pool, pool0, shock, mu=mu, sd=sd, deterrent=top)
    assert (out <= baseline(mu, sd, 0.0) * pool0 * (1 + 1e-9) + 1e-12).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.integers(0, 2**31 - 1), st.floats(0.0, 0.1))
def test_voice_rises_with_the_pool_and_only_through_it(T, seed, deterrent):
    """The mechanism: for the same shocks, a larger pool of opposed at home never gives less protest, and the
    same pool gives exactly the same protest."""
    rng = np.random.default_rng(seed)
    R = 3
    pool0 = rng.uniform(1e4, 1e6, R)
    shock = rng.uniform(0, 0.4, (T, R))
    small = pool0 * rng.uniform(0.9, 1.0, (T, R))
    large = np.minimum(pool0, small * rng.uniform(1.0, 1.1, (T, R)))
    a = threshold_dynamics(small, pool0, shock, mu=MU, sd=SD, deterrent=deterrent)
    b = threshold_dynamics(large, pool0, shock, mu=MU, sd=SD, deterrent=deterrent)
    assert (b >= a - 1e-9).all()
    assert np.array_equal(a, threshold_dynamics(small.copy(), pool0.copy(), shock.copy(), mu=MU, sd=SD,
                                                deterrent=deterrent))


def test_closing_exit_keeps_the_opposed_home_and_raises_voice_through_the_pool(mobilisation):
    """Engine level: an exit ban keeps more opponents home; recomputed with one run's shocks, the closed run's
    pool gives more protest. Swapping the pools swaps the answer: nothing else links exit to voice."""
    from exitvoice import voice

    ban = {"type": "exit_ban", "start": "2022-09-15", "enforcement": 1.0, "who": {"age_min": 18}}
    params = {"exit.beta_opposed": 2.0, "voice.shock_announcement": 0.45, "voice.threshold_mean": 0.45}
    open_ = CellEngine(small_scenario([mobilisation], parameters=params, allow_outside_range=True), seed=3)
    open_.run()
    shut = CellEngine(small_scenario([mobilisation, ban], parameters=params, allow_outside_range=True), seed=3)
    shut.run()
    assert shut.voice.at_home[-1].sum() > open_.voice.at_home[-1].sum()
    assert shut.voice.abroad[-1] < open_.voice.abroad[-1]
    shock = voice.shocks(open_, open_.rec.by_region["summoned"].astype(float), open_.voice.men_18_59)
    p = open_.params
    kw = {"mu": p["voice.threshold_mean"], "sd": p["voice.threshold_sd"],
          "deterrent": p["voice.deterrence"] * p["voice.detention_rate"]}
    with_open = threshold_dynamics(open_.voice.at_home, open_.voice.pool0, shock, **kw)
    with_shut = threshold_dynamics(shut.voice.at_home, shut.voice.pool0, shock, **kw)
    assert np.array_equal(open_.voice.pool0, shut.voice.pool0)
    assert with_shut.sum() > with_open.sum()


# -- outputs -----------------------------------------------------------------------------------------------
def test_run_reports_economy_and_voice(mobilisation):
    from exitvoice import run

    res = run(small_scenario([mobilisation]), seed=2)
    ts = res.timeseries
    for q in ("output_loss_pct", "output_loss_per_day", "workers_lost", "labour_shortage", "protesters",
              "detained_cum", "opposed_at_home", "opposed_abroad"):
        assert ((ts.quantity == q) & (ts.geography == "RU")).any(), q
    sectors = set(ts[ts.quantity == "workers_lost"].geography) - {"RU"}
    assert "it" in sectors and "manufacturing" in sectors
    assert {"SE", "AST", "MOW"} <= set(ts[ts.quantity == "protesters"].geography)
    # the total of the sectors is the RU series; detentions are the detention rate times protesters
    wl = ts[ts.quantity == "workers_lost"].pivot(index="date", columns="geography", values="value")
    assert wl.drop(columns="RU").sum(axis=1).to_numpy() == pytest.approx(wl.RU.to_numpy())
    prot, det = res.series("protesters"), res.series("detained_cum")
    rate = ParameterSet(PACK.declarations)["voice.detention_rate"]
    assert det.iloc[-1] == pytest.approx(rate * prot.sum())
    e, v = res.summary["economy"], res.summary["voice"]
    assert e["output_loss_pct_end"] > 0 and e["workers_lost_end"] > 0
    assert e["output_loss_annualised_end"] == pytest.approx(
        e["output_loss_pct_end"] / 100 * 153.435e12 * res.summary["population"] / (146_980_061 * 0.05), rel=0.02)
    assert v["protesters_peak"] > 0 and v["protest_peak_date"] >= "2022-09-21"
    assert isinstance(res.regions.protesters, pd.Series) and (res.regions.detained >= 0).all()


def test_in_a_run_repression_at_the_top_of_its_ranges_lets_no_protest_grow(mobilisation):
    from exitvoice import run

    decl = PACK.declarations
    top = {k: decl[k].high for k in ("voice.deterrence", "voice.detention_rate", "voice.shock_announcement")}
    res = run(small_scenario([mobilisation], parameters=top), seed=4)
    prot = res.series("protesters")
    p = ParameterSet(PACK.declarations)
    quiet = baseline(p["voice.threshold_mean"], p["voice.threshold_sd"], 0.0) * res.summary["voice"]["opposed_at_start"]
    assert prot.max() <= quiet and prot.max() < 1.0  # not one protester
    assert run(small_scenario([mobilisation]), seed=4).series("protesters").max() > 100


def test_leavers_are_drawn_more_from_it_workers_by_their_exit_propensity():
    from exitvoice.economy import Economy
    from exitvoice.engine.cells import CellEngine

    eng = CellEngine(small_scenario([]), seed=1)
    it = eng.economy.sectors.index("it")
    abroad = eng.pop.size.astype(float) * 0.001  # the same share of every cell abroad
    lost = {}
    for r in (2.0, 16.0):  # the ends of the declared range
        econ = Economy.build(eng.pack, eng.params.with_overrides({"economy.exit_propensity_it": r}), eng.pop)
        lost[r] = abroad @ econ.emp_abroad
        assert (econ.emp_abroad.sum(axis=1) <= 1 + 1e-12).all()
    assert lost[16.0][it] > 5 * lost[2.0][it]  # far more IT workers among the same leavers
    others = np.arange(len(lost[2.0])) != it
    assert (lost[16.0][others] < lost[2.0][others]).all()  # fewer of every other sector
