"""Each mechanism of the 2022 outflow pinned by a test of its own law (docs/validity.md): small populations, exact
expected values where the law gives them, so that a change that breaks a mechanism fails here."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from conftest import MOBILISATION, small_scenario
from exitvoice.engine.cells import CellEngine
from exitvoice.policies import DayPolicy
from exitvoice.processes import routes
from exitvoice.processes.decisions import pressure


def _engine(policies=(), **kw):
    return CellEngine(small_scenario(list(policies), **kw), seed=11)


def _run(eng):
    for i, date in enumerate(eng.days):
        eng.t, eng.date = i, date
        eng.step()
    return eng


def _day(eng, date: str) -> DayPolicy:
    eng.date = np.datetime64(date).astype(object)
    return eng.day_policy()


# -- closure perception (docs/model.md §7) --------------------------------------------------------------------
@pytest.mark.parametrize("by,signals", [("destination", False), ("origin", True)])
def test_only_a_closure_by_the_origin_raises_the_perceived_chance_of_closure(by, signals):
    closure = {"type": "border_closure", "start": "2022-09-16", "destinations": ["FI"], "applies_to": "tourists",
               "by": by}
    eng = _run(_engine([closure], end="2022-09-20"))
    seen = eng.rec.closure
    assert (seen[:2] == 0).all()
    assert (seen[2:] > 0).all() == signals and (seen[2:] == 0).all() != signals


def test_the_closure_signal_weighs_on_men_of_call_up_age_first():
    eng = _engine(parameters={"exit.closure_exposure_other": 0.1, "exit.beta_closure": 10.0})
    eng.risk.rho = np.zeros(eng.pop.n_cells)
    eng.risk.closure_seen = 1.0
    pr = pressure(eng, eng.decisions, eng.risk)
    men = eng.callup_age
    assert np.allclose(pr[men], 1 + 10.0) and np.allclose(pr[~men], 1 + 10.0 * 0.1)


# -- tourist closures act once ------------------------------------------------------------------------------
def test_a_tourist_closure_cuts_trips_to_the_share_with_other_grounds_not_its_square():
    closure = {"type": "border_closure", "start": "2022-09-14", "destinations": ["FI"], "applies_to": "tourists",
               "by": "destination"}
    share = 0.25
    eng = _engine([closure], parameters={"routes.non_tourist_share": share})
    fi = eng.net.routes_mask(destinations=["FI"])
    quiet = DayPolicy(eng.net.n_routes, eng.net.n_dest, date=dt.date(2022, 9, 14))  # the same day, no closure
    open_ = routes.utilities(eng, eng.routes, quiet, announced=False)
    shut = routes.utilities(eng, eng.routes, _day(eng, "2022-09-14"), announced=False)
    assert not [s for s in eng.day_policy().screens if s.kind == "closure"]  # no second screen
    a, b = open_.trip_h[open_.key][:, fi].sum(), shut.trip_h[shut.key][:, fi].sum()
    assert b == pytest.approx(share * a, rel=1e-9)


# -- nested logit with destination constants ------------------------------------------------------------------
def test_destination_constants_reproduce_the_pre_crisis_entry_shares():
    eng = _engine()
    u = routes.utilities(eng, eng.routes, DayPolicy(eng.net.n_routes, eng.net.n_dest), announced=False)
    weight = eng.pop.size * eng.decisions.base_exit
    shares = (weight[:, None] * u.p_route[u.key]).sum(axis=0) @ eng.routes.to_dest / weight.sum()
    target = eng.net.baseline_entries / eng.net.baseline_entries.sum()
    assert shares == pytest.approx(target, abs=1e-6)


def test_a_destination_is_not_favoured_for_its_number_of_crossings():
    """Within the nest, routes share their destination's probability: P(d) does not grow with its crossings."""
    eng = _engine(parameters={"routes.nest_scale": 0.3})
    V = np.zeros((1, eng.net.n_routes))
    p_dest, p_within, _ = routes.nested(eng, eng.routes.dest_routes, V, np.zeros(eng.net.n_dest))
    n_routes = np.bincount(eng.net.dest, minlength=eng.net.n_dest)
    # equal utilities everywhere: P(d) ∝ (number of routes)^λ, far flatter than the plain logit's ∝ number
    kz = eng.net.dest_ids.index("KZ")
    ab = eng.net.dest_ids.index("AB")
    assert p_dest[0, kz] / p_dest[0, ab] == pytest.approx((n_routes[kz] / n_routes[ab]) ** 0.3)
    assert np.allclose(np.bincount(eng.net.dest, p_within[0], minlength=eng.net.n_dest)[n_routes > 0], 1.0)


# -- risk ---------------------------------------------------------------------------------------------------
def test_perceived_risk_jumps_on_the_day_the_call_up_is_announced():
    mob = dict(MOBILISATION, start="2022-09-16")
    slow = {"risk.half_life_days": 30.0}  # summonses seen move risk slowly: the announcement must move it at once
    lo = _run(_engine([mob], end="2022-09-17", parameters={**slow, "risk.announcement_weight": 0.0}))
    hi = _run(_engine([mob], end="2022-09-17", parameters={**slow, "risk.announcement_weight": 1.0}))
    assert hi.rec.rho_mean_men[:2].max() == 0  # before the decree
    assert hi.rec.rho_mean_men[2] > 1.2 * lo.rec.rho_mean_men[2] > 0  # on the day itself, from the plan


# -- the call-up's pace -------------------------------------------------------------------------------------
def test_commissariats_process_no_more_than_their_capacity_a_day():
    cap = 20000
    eng = _run(_engine([MOBILISATION], scale=0.5, parameters={"callup.capacity_per_day": cap}))
    daily = eng.rec.by_region["mobilised"]
    limit = np.ceil(eng.callup.process_cap_r)  # stochastic rounding of each region's share
    assert (daily <= limit[None, :]).all()
    assert (daily == limit[None, :]).any()  # the capacity binds in this setting
    fast = _run(_engine([MOBILISATION], scale=0.5, parameters={"callup.capacity_per_day": 40000}))
    assert fast.rec.states["mobilised"][-1] > eng.rec.states["mobilised"][-1]


def test_summonses_already_out_are_not_served_again_so_the_quota_is_not_overshot_by_them():
    """Shoigu, 28 Oct 2022: 300,000 mobilised, the task fulfilled; 318,000 by 4 Nov (observations). The plan
    serves summonses only for the need the summonses already out do not cover (docs/callup.md)."""
    from exitvoice.engine.state import HOME, SUMMONED
    from exitvoice.processes import callup

    def served(pending_share):
        eng = _engine([MOBILISATION], scale=0.5)
        eng.t, eng.date = 7, eng.days[7]  # 21 Sep
        X = eng.X
        spr = eng.params["callup.summons_per_recruit"]
        need = callup.scaled_target(eng, eng.callup, eng.scenario.policy[0]) * spr
        men = np.flatnonzero(eng.callup.elig[id(eng.scenario.policy[0])] > 0)
        pending = np.floor(X[men, HOME] * min(1.0, pending_share * need / X[men, HOME].sum())).astype(np.int64)
        eng.move(HOME, SUMMONED, pending, cells=men)
        callup.step(eng, eng.callup, eng.day_policy())
        return int(eng.callup.summons_r.sum()), int(pending.sum()), need

    none, _, need = served(0.0)
    full, pending, _ = served(1.0)
    left = max(0.0, need - pending)  # what the summonses out leave uncovered (rounding)
    assert none > 100 and left < none / 4
    assert full <= left + 4 * np.sqrt(left) + 1  # a served summons only for the need not covered


# -- fares ----------------------------------------------------------------------------------------------------
def test_a_fare_spikes_the_day_a_surge_of_bookings_comes_and_does_not_cycle():
    eng = _engine(parameters={"routes.booking_carry": 0.7, "routes.price_kappa": 9.5, "routes.price_smoothing": 0.3})
    p = eng.params
    seats, fare0 = np.array([1000.0]), np.array([10000.0])
    load, carried, price = np.zeros(1), np.zeros(1), fare0.copy()
    prices = []
    for day in range(30):
        want = 800.0 if day < 5 else 6000.0  # a surge from day 5: demand falls as the fare rises
        demand = np.array([want * np.exp(-0.2 * (price[0] / fare0[0] - 1))])
        load, carried, price = routes.fares(load, carried, demand, seats, fare0, p)
        prices.append(price[0])
    prices = np.array(prices)
    assert prices[4] <= fare0[0] * 1.01 < 3 * fare0[0] < prices[5]  # flat before, a spike on the day
    moves = np.sign(np.diff(prices[5:]))
    turns = int(((moves[1:] * moves[:-1]) < 0).sum())
    assert turns <= 6  # no 2-day swing (a fare answering yesterday's load alone turns every day: ~20 turns here)
    dev = np.abs(prices[5:] - prices[-1])
    assert dev[12:].max() < 0.2 * dev[:12].max()  # it settles


# -- abroad --------------------------------------------------------------------------------------------------
def test_no_one_moves_on_to_a_destination_reached_only_from_the_origin():
    eng = _engine()
    for d in ("AB", "BY", "MN"):
        assert (eng.abroad.onward_w[:, :, eng.net.dest_ids.index(d)] == 0).all()


# -- the pre-crisis steady state ------------------------------------------------------------------------------
def test_the_pre_crisis_days_carry_no_warm_up_trend():
    eng = _run(_engine(end="2022-10-13", scale=0.2))
    back = eng.rec.by_dest["exits_back"].sum(axis=1)
    entries = eng.rec.by_dest["entries"].sum(axis=1)
    passports = eng.rec.scalar["passports_issued"]
    assert back[:5].mean() == pytest.approx(back[-5:].mean(), rel=0.1)  # travellers come back from day one
    assert back[:5].mean() == pytest.approx(entries[:5].mean(), rel=0.1)
    assert passports[:5].mean() == pytest.approx(passports[-5:].mean(), rel=0.15)  # the pipeline is full
    # the families of the men who left before the run follow from day one (docs/validity.md, cause 5)
    fam = eng.rec.scalar["family_attempts"]
    assert fam[0] > 0 and fam[:5].mean() == pytest.approx(fam[-5:].mean(), rel=0.15)
    leave = eng.rec.scalar["exit_attempts"]
    assert leave[:5].mean() == pytest.approx(leave[-5:].mean(), rel=0.15)


# -- ordinary trips during a call-up --------------------------------------------------------------------------
def test_men_of_call_up_age_make_fewer_ordinary_trips_while_a_call_up_is_under_way():
    """Kazakhstan counted 7,000 entries of Russians on 3 Oct 2022, below the 8,000-9,000 a day before 21 Sep
    (observations_2022.csv): while a call-up runs, men of its ages travel `trips.callup_age_factor` times as much."""
    factor = 0.4
    eng = _engine([MOBILISATION], parameters={"trips.callup_age_factor": factor})
    calm = routes.utilities(eng, eng.routes, DayPolicy(eng.net.n_routes, eng.net.n_dest,
                                                       date=dt.date.fromisoformat(MOBILISATION["start"])),
                            announced=False)  # the same day without the call-up
    during = routes.utilities(eng, eng.routes, _day(eng, MOBILISATION["start"]), announced=True)
    men = eng.callup_age
    t0, t1 = calm.trip_total[calm.key], during.trip_total[during.key]
    assert np.allclose(t1[men], factor * t0[men]) and np.allclose(t1[~men], t0[~men])
    assert (t0[men] > 0).any()


# -- queues: people go back to the state they came from ---------------------------------------------------------
def test_a_summoned_man_who_balks_is_summoned_again_and_a_traveller_goes_home():
    from exitvoice.engine.state import HOME, SUMMONED

    eng = _engine(end="2022-09-15")
    eng.t, eng.date = 0, eng.days[0]
    lay, X = eng.layout, eng.X
    men = np.flatnonzero(eng.callup_age & (X[:, HOME] >= 10))[:5]
    j = 0  # the first crossing
    X[men, HOME] -= 10
    X[men, lay.queued_summoned.start + j] += 4
    X[men, lay.queued_trip.start + j] += 6
    summoned0, home0 = X[men, SUMMONED].copy(), X[men, HOME].copy()
    eng.routes.wait[:] = 0.0
    eng.routes.wait[j] = 1e6  # everyone queued since yesterday balks
    routes.step(eng, eng.routes, DayPolicy(eng.net.n_routes, eng.net.n_dest, date=eng.date),
                routes.Departures.none(eng.pop.n_cells, eng.net.n_land), callup_open=False,
                adult_men=eng.decisions.adult_men)
    assert (X[men, SUMMONED] - summoned0 == 4).all() and (X[men, HOME] - home0 == 6).all()
    eng.check_conservation()


def test_a_regional_end_of_the_call_up_stops_summonses_there_and_lapses_them():
    from exitvoice.engine.state import SUMMONED

    mob = dict(MOBILISATION, regional_end={"MOW": "2022-09-25"})
    eng = _engine([mob], end="2022-10-05")
    mow = eng.pop.region == eng.pop.regions.region_id.tolist().index("MOW")
    summoned_mow = []
    for i, date in enumerate(eng.days):
        eng.t, eng.date = i, date
        eng.step()
        summoned_mow.append(int(eng.X[mow, SUMMONED].sum()))
    k = eng.days.index(np.datetime64("2022-09-26").astype(object))
    assert summoned_mow[k - 1] > 0 and summoned_mow[k] == 0 and max(summoned_mow[k:]) == 0
    assert eng.rec.by_region["summoned"][k:, eng.pop.regions.region_id.tolist().index("MOW")].sum() == 0
    assert eng.risk.rho[mow].max() == 0  # no risk of this call-up left there


def test_a_visa_free_limit_is_a_deadline_for_each_cohort_not_a_hazard():
    from exitvoice.engine.state import HOME
    from exitvoice.processes import abroad

    eng = _engine(end="2022-10-31", parameters={"abroad.visa_run_share": 0.0, "abroad.onward_rate_transit": 0.0,
                                                "abroad.return_rate": 0.0005})
    lay, X = eng.layout, eng.X
    kz = eng.net.dest_ids.index("KZ")  # 30 days visa-free
    cells = np.flatnonzero(X[:, HOME] >= 50)[:20]
    X[:, HOME] += X[:, lay.travelling].sum(axis=1)  # only the cohort under test abroad
    X[:, lay.travelling] = 0
    X[cells, HOME] -= 50
    X[cells, lay.abroad.start + kz] += 50
    eng.abroad.cohort[0, kz] = 50 * cells.size  # they all arrived on day 0
    quiet = DayPolicy(eng.net.n_routes, eng.net.n_dest)
    stock = []
    for i, date in enumerate(eng.days[:35]):
        eng.t, eng.date = i, date
        eng.rec.reset()
        abroad.snapshot(eng, eng.abroad)
        abroad.step(eng, eng.abroad, quiet, eng.risk, eng.decisions)
        stock.append(int(X[:, lay.abroad.start + kz].sum()))
    assert stock[29] > 0.97 * 1000  # a memoryless 1/30 a day would have let 63% go by day 30
    assert stock[30] == 0  # on day 30 the whole cohort's stay ends
    eng.check_conservation()


# -- scenario assumptions as declared parameters -----------------------------------------------------------
def test_a_policy_field_may_name_a_declared_parameter_and_follows_it():
    from exitvoice.policies.base import PolicyBase  # noqa: F401

    ban = {"type": "exit_ban", "start": "2022-09-14", "enforcement": "events2022.karaozek_enforcement",
           "crossings": ["upper_lars"]}
    sc = small_scenario([ban], parameters={"events2022.karaozek_enforcement": 0.8})
    eng = CellEngine(sc, seed=1)
    eng.date = eng.days[0]
    screens = [s for s in eng.day_policy().screens if s.kind == "exit_ban"]
    assert screens and screens[0].prob == pytest.approx(0.8)


@pytest.mark.parametrize("value,message", [("events2022.no_such", "names no declared parameter"),
                                           ("routes.capacity_upper_lars", "does not fit this field"),
                                           ("Not A Name", "policy\\[0\\].enforcement")])
def test_a_bad_parameter_name_in_a_policy_field_is_a_scenario_error(value, message):
    from exitvoice.errors import ScenarioError

    ban = {"type": "exit_ban", "start": "2022-09-14", "enforcement": value}
    with pytest.raises(ScenarioError, match=message):
        small_scenario([ban])


def test_crossings_with_sourced_traffic_carry_their_share_of_pre_crisis_trips():
    eng = _engine(regions=["SPE", "LEN", "MOW", "KR"])
    u = routes.utilities(eng, eng.routes, DayPolicy(eng.net.n_routes, eng.net.n_dest), announced=False)
    trips = (eng.X[:, 0][:, None] * u.trip_h[u.key]).sum(axis=0)  # expected trips a day by route, from home
    known = np.isfinite(eng.net.normal_traffic)
    fi = eng.net.routes_mask(destinations=["FI"]) & known
    assert trips[fi] / trips[fi].sum() == pytest.approx(eng.net.normal_traffic[fi] / eng.net.normal_traffic[fi].sum(),
                                                        rel=1e-3)


def test_frailty_makes_the_hazard_of_those_left_fall_with_the_hazard_they_faced():
    from exitvoice.processes import decisions

    eng = _engine(parameters={"exit.frailty_variance": 10.0})
    eng.decisions.cum_hazard[:] = 0.2
    eng.t, eng.date = 0, eng.days[0]
    day = DayPolicy(eng.net.n_routes, eng.net.n_dest, date=eng.date)
    decisions.step(eng, eng.decisions, day, eng.risk, eng.callup, eng.routes, np.zeros(eng.pop.n_regions))
    assert np.allclose(eng.decisions.frail, 1 / (1 + 10.0 * 0.2))
    assert (eng.decisions.cum_hazard[eng.decisions.adult] > 0.2).all()  # it keeps growing with today's hazard


def test_men_of_call_up_age_see_no_refuge_where_the_call_up_reaches_once_it_is_announced():
    eng = _engine(parameters={"exit.reach_penalty": 3.0, "exit.stay_weight": 0.0})
    quiet = DayPolicy(eng.net.n_routes, eng.net.n_dest)
    by = eng.net.routes_mask(destinations=["BY", "AB"])
    men, women = eng.callup_age, (eng.pop.sex == 1) & eng.decisions.adult
    before = routes.utilities(eng, eng.routes, quiet, announced=False)
    after = routes.utilities(eng, eng.routes, quiet, announced=True)  # a call-up has been announced
    share = lambda u, m: u.p_route[u.key[m]][:, by].sum(axis=1)  # noqa: E731
    assert np.allclose(share(before, women), share(after, women))  # women: unchanged
    assert (share(after, men) < 0.2 * share(before, men) + 1e-12).all()  # men: e^-3 of the odds
    tb = (before.trip_h[before.key] * eng.X[:, 0][:, None]).sum(axis=0)
    ta = (after.trip_h[after.key] * eng.X[:, 0][:, None]).sum(axis=0)
    assert ta == pytest.approx(tb)  # ordinary trips are not affected: the penalty shapes where leavers go


# -- a long legal stay ----------------------------------------------------------------------------------------
def test_men_of_call_up_age_value_a_long_legal_stay_once_a_call_up_is_announced():
    w = 0.8
    eng = _engine(parameters={"exit.stay_weight": w, "exit.reach_penalty": 0.0})
    quiet = DayPolicy(eng.net.n_routes, eng.net.n_dest)
    men, women = eng.callup_age, (eng.pop.sex == 1) & eng.decisions.adult
    before = routes.utilities(eng, eng.routes, quiet, announced=False)
    after = routes.utilities(eng, eng.routes, quiet, announced=True)
    to = eng.routes.to_dest
    dest = lambda u, m: u.p_route[u.key[m]] @ to  # noqa: E731  P(d) by cell
    kz, ge = eng.net.dest_ids.index("KZ"), eng.net.dest_ids.index("GE")  # 30 days against 365
    assert np.allclose(dest(before, women), dest(after, women))  # women: unchanged
    ok = dest(before, men)[:, ge] > 0  # men with a foreign passport (Georgia needs one)
    odds = lambda u: dest(u, men)[ok, kz] / dest(u, men)[ok, ge]  # noqa: E731
    # the odds of a 30-day stay against a year's fall by (30/365)^w; ordinary trips are not affected
    assert ok.any() and odds(after) == pytest.approx(odds(before) * (30 / 365) ** w, rel=1e-9)
    assert after.trip_h == pytest.approx(before.trip_h)


# -- the shock of a decree fades -------------------------------------------------------------------------------
@pytest.mark.parametrize("half_life", [3.0, 8.0])
def test_the_belief_in_an_announced_plan_fades_with_its_half_life(half_life):
    from exitvoice.processes import risk

    eng = _engine([MOBILISATION], parameters={"risk.announcement_half_life_days": half_life,
                                              "risk.alpha_local": 0.0, "risk.announcement_weight": 1.0})
    cs = eng.callup
    cs.rate_r, cs.rate_nat, cs.planned_rate = np.zeros(eng.pop.n_regions), 0.0, 1e-4
    cs.current_mob = eng.scenario.policy[0]
    day = DayPolicy(eng.net.n_routes, eng.net.n_dest)
    rho = []
    for k in (0, 4):
        cs.plan_age_days = k
        st = risk.setup(eng)
        risk.step(eng, st, day, cs)
        rho.append(st.rho)
    on = rho[0] > 0
    assert on.any()
    assert rho[1][on] == pytest.approx(rho[0][on] * 2.0 ** (-4 / half_life), rel=1e-9)


# -- a measure signals closure in proportion to the exits it covers ---------------------------------------------
def test_a_measure_at_one_crossing_signals_closure_by_its_share_of_the_exits():
    ban = {"type": "exit_ban", "start": "2022-09-16", "enforcement": 0.5}
    one = dict(ban, crossings=["upper_lars"])
    s = 0.4
    everywhere = _run(_engine([ban], end="2022-09-17", parameters={"exit.closure_signal": s}))
    at_one = _run(_engine([one], end="2022-09-17", parameters={"exit.closure_signal": s}))
    assert everywhere.rec.closure[2] == pytest.approx(s)
    share = at_one.routes.trip_share[at_one.net.routes_mask(["upper_lars"])].sum()
    assert 0 < share < 0.5
    assert at_one.rec.closure[2] == pytest.approx(s * share)


# -- a dated deferral ---------------------------------------------------------------------------------------------
def test_a_dated_tertiary_deferral_cuts_eligibility_from_its_day_on():
    share = 0.25
    mob = dict(MOBILISATION, start="2022-09-15", tertiary_deferral_from="2022-09-17")
    eng = _engine([mob], end="2022-09-18", parameters={"callup.deferral_share_tertiary": share})
    tert = (eng.pop.tertiary == 1) & eng.callup_age
    key = id(eng.callup.mobs[0])
    seen = []
    for i, date in enumerate(eng.days):
        eng.t, eng.date = i, date
        eng.step()
        seen.append(eng.callup.elig[key].copy())
    undated = _engine([dict(mob, tertiary_deferral_from=None)], parameters={"callup.deferral_share_tertiary": share})
    full = undated.callup.elig[id(undated.callup.mobs[0])] / np.where(undated.pop.tertiary == 1, 1 - share, 1.0)
    assert tert.any() and (full[tert] > 0).any()
    for k, day in enumerate(eng.days):  # 14, 15, 16 Sep: no deferral yet; 17, 18 Sep: deferred
        expected = full * ((1 - share) if str(day) >= "2022-09-17" else 1.0) ** (eng.pop.tertiary == 1)
        assert seen[k] == pytest.approx(expected), day


# -- the weekly cycle of ordinary trips ----------------------------------------------------------------------------
def test_ordinary_trips_to_a_destination_follow_its_weekend_factor():
    """Finland's weekend trips (observations rows 61 and 66: 3,133 entries on Wed 14 Sep, 5,286 on Sat 17 Sep).

    With every crossing of the test regions reached the same day (9,000 km a day); a trip timed by the day it
    crosses is pinned in test_laws.py."""
    w = 1.8
    eng = _engine(parameters={"trips.weekend_factor_fi": w, "routes.drive_km_per_day": 9000}, allow_outside_range=True)
    fi = eng.net.routes_mask(destinations=["FI"])
    other = eng.net.routes_mask(destinations=["KZ"])
    wed, sat, sun = (routes.utilities(eng, eng.routes, _day(eng, d), announced=False)
                     for d in ("2022-09-14", "2022-09-17", "2022-09-18"))
    mean = routes.utilities(eng, eng.routes, _day(eng, "2022-09-14"), announced=False, weekly_mean=True)

    def total(u, mask):
        return u.trip_h[u.key][:, mask].sum()

    assert total(sat, fi) == pytest.approx(w * total(wed, fi), rel=1e-12)
    assert total(sun, fi) == pytest.approx(total(sat, fi), rel=1e-12)
    assert total(sat, other) == pytest.approx(total(wed, other), rel=1e-12)  # no cycle declared for Kazakhstan
    assert total(mean, fi) == pytest.approx((5 + 2 * w) / 7 * total(wed, fi), rel=1e-12)


def test_weekend_entries_into_finland_rise_by_the_factor_in_a_run():
    w = 2.0
    eng = _run(_engine(end="2022-09-19", scale=0.2, parameters={"trips.weekend_factor_fi": w}))
    fi = eng.net.dest_ids.index("FI")
    entries = eng.rec.by_dest["entries"][:, fi]  # Wed 14 ... Mon 19 Sep
    weekday, weekend = entries[[0, 1, 2, 5]].mean(), entries[[3, 4]].mean()
    assert weekend / weekday == pytest.approx(w, rel=0.15)


# -- a partial closure on the way to a crossing (North Ossetia, 28 Sep 2022) ----------------------------------------
def _lars_restriction(share=0.4, start="2022-09-16"):
    return {"type": "border_closure", "start": start, "routes": ["upper_lars"], "open_share": share, "by": "origin"}


def test_a_partial_closure_keeps_its_open_share_of_the_route_and_turns_no_one_back():
    """Observation row 40 (9,642 entries into Georgia on 29 Sep, the day after the restriction): the queue goes on."""
    share = 0.4
    eng = _engine([_lars_restriction(share)])
    lars = eng.net.routes_mask(["upper_lars"])
    open_ = routes.utilities(eng, eng.routes, _day(eng, "2022-09-15"), announced=False)
    day = _day(eng, "2022-09-16")
    part = routes.utilities(eng, eng.routes, day, announced=False)
    assert not [s for s in day.screens if s.kind == "closure"]
    a, b = open_.trip_h[open_.key][:, lars].sum(), part.trip_h[part.key][:, lars].sum()
    assert b == pytest.approx(share * a, rel=1e-9)


def test_a_partial_closure_lets_the_people_already_queued_through():
    cap = {"type": "capacity_change", "start": "2022-09-14", "end": "2022-09-14", "route": "upper_lars",
           "factor": 0.02}  # a queue builds at Upper Lars on the first day
    eng = _engine([cap, _lars_restriction(0.0, start="2022-09-15")], end="2022-09-17", scale=0.2,
                  parameters={"routes.balk_rate": 0.0})
    j = eng.net.crossing_ids.index("upper_lars")
    lay = eng.layout
    cols = [c.start + j for c in (lay.queued_exit, lay.queued_trip, lay.queued_summoned)]
    for i, date in enumerate(eng.days):
        eng.t, eng.date = i, date
        before = int(eng.X[:, cols].sum())
        road = eng.routes.road[i % len(eng.routes.road)]
        arriving = sum(int(n[c == j].sum()) for _, _, _, c, n in road)  # from the road to Upper Lars today
        eng.step()
        if i == 1:  # the restriction's first day: no one new arrives, the queue is served and no one queued is
            assert before > 100  # turned back; those still on the road are stopped on the way
            assert arriving > 0
            assert eng.rec.processed[i, j] == min(before, int(eng.net.capacity[j]))
            assert eng.rec.scalar["stopped_closure"][i] == arriving
    assert int(eng.X[:, cols].sum()) == 0


def test_a_partial_closure_signals_closure_by_what_it_shuts():
    s, share = 0.4, 0.25
    full = _run(_engine([_lars_restriction(0.0)], end="2022-09-17", parameters={"exit.closure_signal": s}))
    part = _run(_engine([_lars_restriction(share)], end="2022-09-17", parameters={"exit.closure_signal": s}))
    assert part.rec.closure[2] == pytest.approx(full.rec.closure[2] * (1 - share))
    assert part.rec.closure[2] > 0


def test_open_share_and_a_tourist_closure_cannot_be_combined():
    from exitvoice.errors import ScenarioError

    bad = dict(_lars_restriction(), applies_to="tourists")
    with pytest.raises(ScenarioError, match="open_share"):
        small_scenario([bad])


# -- a rumour with a date, the shock and the summonses seen, who closes ---------------------------------------
def test_a_rumour_acts_from_its_start_to_its_end():
    """The closure rumour of 25 Sep 2022 named its day (28 Sep); russia-2022 ends it then (events_2022.csv)."""
    rumour = {"type": "rumour", "start": "2022-09-16", "end": "2022-09-18", "kind": "closure", "credibility": 0.8,
              "half_life_days": 30}
    eng = _run(_engine([rumour], end="2022-09-22"))
    seen = eng.rec.closure
    assert (seen[:2] == 0).all() and (seen[2:5] > 0.7).all() and (seen[5:] == 0).all()


def test_the_shock_of_an_announcement_does_not_scale_with_the_weight_of_summonses_seen():
    """ρ = e · (α_local · s_r + max(α_national · s, w_a · a)) · H: with both weights of summonses seen at 0, the
    announced plan alone still moves risk on the day of the decree, by w_a (docs/exit.md)."""
    mob = dict(MOBILISATION, start="2022-09-16")
    none = {"risk.alpha_national": 0.0, "risk.alpha_local": 0.0}
    a = _run(_engine([mob], end="2022-09-16", parameters={**none, "risk.announcement_weight": 1.0}))
    b = _run(_engine([mob], end="2022-09-16", parameters={**none, "risk.announcement_weight": 2.0}))
    assert a.rec.rho_mean_men[2] > 0
    assert b.rec.rho_mean_men[2] == pytest.approx(2 * a.rec.rho_mean_men[2], rel=1e-9)


def test_a_border_closure_must_say_who_closes():
    from exitvoice.errors import ExitvoiceError

    closure = {"type": "border_closure", "start": "2022-09-16", "destinations": ["FI"]}
    with pytest.raises(ExitvoiceError, match="must say who closes") as err:
        small_scenario([closure])
    assert "origin" in str(err.value) and "destination" in str(err.value) and "by" in str(err.value)
