"""Each process and policy pinned by its own law (docs/validity.md, "Right for the right reasons").

The tests drive one process at a time on a small population, from a state set by hand, and check what it does
against the law the docs give: exact values where the law is deterministic, a z-score over a few seeds where it
is a binomial draw (|z| < 4: a false alarm about once in 16,000 runs, while the mutations listed in the README's
"Mutation testing" paragraph move z by tens). Each test names the promise it keeps.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from conftest import MOBILISATION, copy_pack, empty_road, small_scenario
from exitvoice import policies, regional
from exitvoice.engine.cells import CellEngine
from exitvoice.engine.state import HOME, MOBILISED, RETURNED, SUMMONED
from exitvoice.policies import DayPolicy
from exitvoice.processes import abroad, callup, decisions, family, risk, routes
from exitvoice.processes.family import due_today, schedule_family

SEEDS = range(4)
Z = 4.0
BIG = {"routes.capacity_upper_lars": 1e5}  # Upper Lars (→ GE) never over capacity unless a test wants it


def _engine(policies=(), seed=11, **kw):
    # Laws are tested at chosen values, some beyond the plausible ranges (a capacity no queue reaches, no returns).
    return CellEngine(small_scenario(list(policies), allow_outside_range=True, **kw), seed=seed)


def _at(eng, date: str):
    """Put the engine on a date (its index and the date) and return that day's policy state."""
    d = dt.date.fromisoformat(date)
    eng.t, eng.date = eng.days.index(d), d
    return eng.day_policy()


def _z(observed: float, n: float, p: float) -> float:
    """z-score of a binomial count (a sum of binomials with the same p)."""
    return (observed - n * p) / np.sqrt(n * p * (1 - p))


def _crossing(eng, name: str) -> int:
    return eng.net.crossing_ids.index(name)


def _departures(eng) -> routes.Departures:
    """No one has set out today yet."""
    return routes.Departures.none(eng.pop.n_cells, eng.net.n_land)


def _queue_today(eng, dep, cells, j: int, n: int, src: int = HOME) -> int:
    """n people of each cell in `cells` leave src today and join crossing j (as `decisions` would send them)."""
    eng.X[cells, src] -= n
    arrive = dep.summoned if src == SUMMONED else dep.exit
    arrive[cells, j] += n
    return n * len(cells)


def _routes(eng, day, dep=None):
    """The routes step of the day with today's departures `dep` (none by default), as the engine runs it."""
    return routes.step(eng, eng.routes, day, _departures(eng) if dep is None else dep, callup_open=eng.callup.open,
                       adult_men=eng.decisions.adult_men)


def _men(eng, n: int, k: int = 10, col: int = HOME) -> np.ndarray:
    """k cells of men of call-up age with at least n people in column col."""
    cells = np.flatnonzero(eng.callup_age & (eng.X[:, col] >= n))[:k]
    assert cells.size == k
    return cells


def _women(eng, n: int, k: int = 10) -> np.ndarray:
    cells = np.flatnonzero((eng.pop.sex == 1) & eng.decisions.adult & (eng.X[:, HOME] >= n))[:k]
    assert cells.size == k
    return cells


# == routes: utilities and choice ===========================================================================
def test_route_utility_is_asc_plus_log_access_minus_distance_price_and_wait_terms():
    eng = _engine()
    p, net = eng.params, eng.net
    rng = np.random.default_rng(0)
    wait = rng.uniform(0, 3, net.n_land)
    price = net.fare0 * rng.uniform(1, 4, net.n_routes)
    V = routes.vbase(eng, eng.routes.route_asc, wait, price, net.needs_passport)
    income = eng.pop.regions.mean_income.to_numpy(dtype=float)
    w = np.zeros(net.n_routes)
    w[net.is_land] = wait
    hand = (eng.routes.route_asc[None, :] + net.log_access[None, :] - p["routes.gamma_dist"] * net.dist_km / 1000
            - p["routes.gamma_price"] * price[None, :] / income[:, None] - p["routes.gamma_wait"] * w[None, :])
    assert np.allclose(V[:, 1], hand)  # with a foreign passport every route is open
    closed = net.needs_passport[net.dest] & net.official  # an illegal crossing asks for no passport
    assert np.isneginf(V[:, 0, closed]).all() and np.allclose(V[:, 0][:, ~closed], hand[:, ~closed])


@pytest.mark.parametrize("term", ["wait", "price"])
def test_a_longer_wait_or_a_dearer_fare_takes_choices_from_its_route_to_the_others(term):
    """Choice shares move with the sign of each utility term: a worse route loses, the others gain."""
    eng = _engine()
    quiet = DayPolicy(eng.net.n_routes, eng.net.n_dest)
    before = routes.utilities(eng, eng.routes, quiet, announced=False)
    if term == "wait":
        r = _crossing(eng, "upper_lars")
        eng.routes.wait[r] = 2.0
    else:
        r = int(eng.routes.air_idx[0])
        eng.routes.price[r] *= 3
    after = routes.utilities(eng, eng.routes, quiet, announced=False)
    open_ = before.p_route[:, r] > 0
    assert open_.any()
    assert (after.p_route[open_, r] < before.p_route[open_, r]).all()
    others = np.delete(np.arange(eng.net.n_routes), r)
    gained = after.p_route[open_][:, others] >= before.p_route[open_][:, others] - 1e-15
    assert gained.all()
    assert np.allclose(after.p_route.sum(axis=1)[open_], 1.0)


def test_accessibility_falls_when_routes_get_worse_and_is_one_before_the_crisis():
    eng = _engine(parameters={"exit.mu_access": 0.7})
    quiet = DayPolicy(eng.net.n_routes, eng.net.n_dest)
    u0 = routes.utilities(eng, eng.routes, quiet, announced=False)
    assert np.allclose(u0.access[u0.access > 0], 1.0)  # A = exp(μ(LS − LS0)) = 1 at the pre-crisis state
    eng.routes.wait[:] = 3.0
    u1 = routes.utilities(eng, eng.routes, quiet, announced=False)
    on = u0.access > 0
    assert (u1.access[on] < 1.0).all()
    p = eng.params
    ls_drop = u1.ls[u1.key] - u0.ls[u0.key]
    assert np.allclose(u1.access[on], np.exp(p["exit.mu_access"] * ls_drop[on]))


def test_a_policy_log_term_scales_a_route_within_its_nest_by_its_power_one_over_lambda():
    """An exit ban of enforcement e on Upper Lars adds log(1 − e) for the men it targets: within Georgia's nest the
    odds of Upper Lars against a flight to Georgia fall by (1 − e)^(1/λ); the women of the same cell pattern
    keep theirs."""
    e, lam = 0.6, 0.5
    ban = {"type": "exit_ban", "start": "2022-09-14", "enforcement": e, "crossings": ["upper_lars"],
           "who": {"sex": "male"}}
    eng = _engine([ban], parameters={"routes.nest_scale": lam})
    u = routes.utilities(eng, eng.routes, _at(eng, "2022-09-14"), announced=False)
    net = eng.net
    ul = _crossing(eng, "upper_lars")
    ge = net.dest_ids.index("GE")
    flight = int(np.flatnonzero((net.dest == ge) & ~net.is_land)[0])
    man = np.flatnonzero((eng.pop.sex == 0) & eng.decisions.adult & (eng.pop.passport == 1))[0]
    woman = np.flatnonzero((eng.pop.sex == 1) & eng.decisions.adult & (eng.pop.passport == 1)
                           & (eng.pop.region == eng.pop.region[man]))[0]
    odds = [u.p_route[u.key[c], ul] / u.p_route[u.key[c], flight] for c in (man, woman)]
    assert odds[0] / odds[1] == pytest.approx((1 - e) ** (1 / lam), rel=1e-9)


# == routes: queues, flights, fares ===========================================================================
@pytest.mark.parametrize("wait", [0.5, 3.0])
def test_queued_people_balk_with_hazard_balk_rate_times_wait(wait):
    total = expected = var = 0.0
    for seed in SEEDS:
        eng = _engine(seed=seed, parameters=BIG)
        _at(eng, "2022-09-20")
        j = _crossing(eng, "upper_lars")
        cells = _women(eng, 200)
        eng.X[cells, HOME] -= 200
        eng.X[cells, eng.layout.queued_trip.start + j] += 200
        eng.routes.wait[:] = 0.0
        eng.routes.wait[j] = wait
        _routes(eng, DayPolicy(eng.net.n_routes, eng.net.n_dest, date=eng.date))
        n = 200 * cells.size
        pb = -np.expm1(-eng.params["routes.balk_rate"] * wait)
        total += eng.rec.today["balked"]
        expected += n * pb
        var += n * pb * (1 - pb)
        eng.check_conservation()
    assert abs(total - expected) / np.sqrt(var) < Z


def test_a_crossing_processes_everyone_under_capacity_and_exactly_capacity_over_it():
    eng = _engine(seed=3)
    day = _at(eng, "2022-09-20")
    j = _crossing(eng, "upper_lars")
    cap = eng.net.capacity[j]
    cells = _women(eng, 100)
    dep = _departures(eng)
    n = _queue_today(eng, dep, cells, j, 100)
    assert n > cap
    _routes(eng, day, dep)
    assert eng.rec.today["processed"][j] == int(cap)
    assert eng.X[:, eng.layout.queued_exit.start + j].sum() == n - int(cap)  # the rest wait
    assert eng.routes.wait[j] == pytest.approx((n - int(cap)) / cap)  # wait = Q / K days
    eng2 = _engine(seed=3)
    day = _at(eng2, "2022-09-20")
    dep = _departures(eng2)
    m = _queue_today(eng2, dep, cells[:1], j, int(cap) // 2)
    _routes(eng2, day, dep)
    assert eng2.rec.today["processed"][j] == m and eng2.routes.wait[j] == 0.0


def test_an_illegal_route_takes_its_capacity_of_the_days_attempts_and_reports_the_share_it_took():
    """docs/routes.md "Illegal routes" (model §8): no queue; a route takes at most its whole-person capacity of the
    day's attempts and turns the rest away to the state they left. What it returns (and people see, smoothed,
    tomorrow) is the share of the attempts it took: K / N when N > K tried, 1 when it took them all, and where no
    one tried, 1 if it could take someone, 0 if it could not."""
    eng = _engine()
    land = eng.routes.land_idx
    ill = np.flatnonzero(eng.net.is_illegal[land])
    assert ill.size >= 2  # the russia pack has illegal routes into Kazakhstan and Georgia
    full, free = ill[:2]
    cap = np.zeros(land.size)
    cap[full], cap[free] = 30.7, 1000.0  # a fractional capacity rounds down to whole people
    idle = np.flatnonzero(~eng.net.is_illegal[land])[:2]
    cap[idle[0]] = 5.0  # no one tries the first, the second (capacity 0) could take no one
    cells = _men(eng, 20)
    home = eng.X[cells, HOME].copy()
    eng.X[cells, HOME] -= 20
    attempts = [(0, HOME, cells, np.full(cells.size, full), np.full(cells.size, 10)),  # 100 try, room for 30
                (0, HOME, cells, np.full(cells.size, free), np.full(cells.size, 10))]  # 100 try, room for 1000
    processed = np.zeros(eng.net.n_routes, dtype=np.int64)
    parts = [[] for _ in range(3)]
    through = routes._illegal_attempts(eng, attempts, 3, cap, processed, parts)
    assert through[full] == pytest.approx(30 / 100) and through[free] == 1.0
    assert through[idle[0]] == 1.0 and through[idle[1]] == 0.0
    assert processed[full] == 30 and processed[free] == 100
    assert eng.rec.today["illegal_turned_away"][full] == 70 and eng.rec.today["illegal_turned_away"][free] == 0
    assert (home - eng.X[cells, HOME]).sum() == 130  # those turned away are home again


def test_those_caught_on_an_illegal_route_go_back_to_the_state_they_left():
    """docs/routes.md "Illegal routes" (model §8): each person who crosses an illegal route today is caught with its
    probability and goes back where he came from: a leaver home, a summoned man summoned. With no summons share
    declared for the route (the russia pack's), no one caught is served a summons."""
    eng = _engine(parameters={"routes.capture_ru_ge_mountains": 1.0})  # everyone who crosses is caught
    day = _at(eng, "2022-09-20")
    empty_road(eng)
    eng.routes.wait[:] = 0.0  # no one queued since yesterday balks home
    j = _crossing(eng, "caucasus_ridge")
    se = eng.pop.regions.region_id.tolist().index("SE")
    assert eng.routes.drive_days[se, j] == 0 and eng.net.summons_caught[j] == 0
    cells = np.flatnonzero(eng.callup_age & (eng.pop.region == se) & (eng.X[:, HOME] >= 2))[:4]
    leavers, summoned = cells[:2], cells[2:]  # apart, so that who went where shows in the counts
    eng.X[summoned, HOME] -= 1
    eng.X[summoned, SUMMONED] += 1
    before = eng.X[cells][:, [HOME, SUMMONED]].copy()
    dep = _departures(eng)
    _queue_today(eng, dep, leavers, j, 1)  # a leaver from home in two cells, a summoned man in two others
    _queue_today(eng, dep, summoned, j, 1, src=SUMMONED)
    _routes(eng, day, dep)
    assert eng.rec.today["illegal_caught"][j] == 4
    assert (eng.X[cells][:, [HOME, SUMMONED]] == before).all()  # each back in the state he left
    eng.check_conservation()


def test_only_an_illegal_route_is_seen_by_the_share_of_attempts_it_took_not_a_crossing_without_room():
    """docs/routes.md "Illegal routes": people see an illegal route, which has no queue, by the share of the day's
    attempts it took (smoothed by `routes.illegal_through_smoothing`); an official crossing is seen by its wait,
    and its share stays 1, even on a day it has no room at all (a capacity change to 0)."""
    shut = {"type": "capacity_change", "start": "2022-09-14", "route": "karaozek", "factor": 0.0}
    eng = _engine([shut], parameters={"routes.illegal_through_smoothing": 0.5})
    day = _at(eng, "2022-09-20")
    j = _crossing(eng, "karaozek")
    assert routes._capacity(eng, day, eng.routes.land_idx)[j] < 1
    _routes(eng, day)
    assert (eng.routes.through[eng.net.official] == 1.0).all()
    assert (eng.routes.through[eng.net.is_illegal] == 1.0).all()  # no one tried, and each could take someone


def test_the_log_sum_of_the_nested_logit_is_exact_for_utilities_far_from_zero():
    """docs/model.md §8: route and destination choice is a nested logit, its inclusive values log Σ exp(V). They
    are computed shifted by the largest V, so that utilities of ±1,000 (far beyond exp's range) give the exact
    value, and a set of closed routes (all −∞) gives −∞."""
    v = np.array([[1000.0, 1000.0, -np.inf], [-1000.0, -1001.0, -np.inf], [-np.inf, -np.inf, -np.inf]])
    with np.errstate(invalid="ignore"):
        out = routes._logsumexp(v)
    assert out[0] == pytest.approx(1000.0 + np.log(2.0), rel=1e-15)
    assert out[1] == pytest.approx(-1000.0 + np.log1p(np.exp(-1.0)), rel=1e-15)
    assert np.isneginf(out[2])


def test_without_pre_crisis_leavers_the_destination_constants_are_the_log_shares_of_entries():
    """routes.destination_constants (docs/routes.md): the constants make the pre-crisis leavers' destination shares
    those of the pre-crisis entries; with no pre-crisis leavers there are no shares to match, and the constants are
    the log shares of the entries themselves (−∞ for a destination without entries)."""
    eng = _engine()
    entries = eng.net.baseline_entries.astype(float).copy()
    entries[0] = 0.0
    net = eng.net
    v0 = routes.vbase(eng, eng.routes.route_asc, np.zeros(net.n_land), net.fare0, net.needs_passport)
    weight = np.zeros((eng.pop.n_regions, 2))
    asc = routes.destination_constants(eng, eng.routes.dest_routes, v0, weight, entries)
    ok = entries > 0
    assert asc[~ok] == pytest.approx(routes.NEG) and ok.sum() > 1
    assert asc[ok] == pytest.approx(np.log(entries[ok] / entries.sum()), rel=1e-12)


def test_ordinary_trips_and_their_pre_crisis_baselines_leave_the_illegal_routes_out(tmp_path):
    """docs/routes.md "Illegal routes": ordinary trips use the official routes only (an illegal route is for those
    whom every official route is closed to), so the pre-crisis trip rates, each route's share of the trips and the
    log-sums of the open routes to each destination are those of the same pack without its illegal routes."""
    pack = copy_pack(tmp_path, without=("illegal_routes.csv",))
    legal = CellEngine(small_scenario([], allow_outside_range=True, pack=pack), seed=11)
    eng = _engine()
    assert eng.net.n_illegal > 0 and legal.net.n_illegal == 0
    same = [list(eng.net.route_ids).index(r) for r in legal.net.route_ids]
    assert eng.routes.trip_rate[same] == pytest.approx(legal.routes.trip_rate, rel=1e-12)
    assert eng.routes.trip_share[same] == pytest.approx(legal.routes.trip_share, rel=1e-12)
    assert eng.routes.lsd_open == pytest.approx(legal.routes.lsd_open, rel=1e-12)


def test_flights_board_no_more_than_their_seats_and_everyone_under_them():
    eng = _engine(seed=4)
    day = _at(eng, "2022-09-20")
    seats = np.floor(eng.net.capacity[eng.routes.air_idx])
    cells = _women(eng, 200, k=20)
    a_full, a_free = 0, 1
    want_full = np.full(10, int(3 * seats[a_full] / 10) + 1)
    want_free = np.full(10, max(1, int(seats[a_free] / 20)))
    home0 = eng.X[cells, HOME].copy()
    dep = _departures(eng)
    dep.air = [(HOME, False, cells[:10], np.full(10, a_full), want_full),
               (HOME, False, cells[10:], np.full(10, a_free), want_free)]
    _routes(eng, day, dep)
    boarded = eng.rec.today["processed"][eng.routes.air_idx]
    assert want_full.sum() > seats[a_full] and boarded[a_full] == seats[a_full]
    assert want_free.sum() <= seats[a_free] and boarded[a_free] == want_free.sum()
    assert (home0 - eng.X[cells, HOME]).sum() == boarded[a_full] + boarded[a_free]  # the rest stay home
    assert eng.rec.today["air_demand"][a_full] == want_full.sum()
    eng.check_conservation()


def test_fares_follow_the_booking_load_formula_by_hand():
    p = _engine().params
    g, s, kappa, theta, cap = (p["routes.booking_carry"], p["routes.price_smoothing"], p["routes.price_kappa"],
                               p["routes.price_threshold"], p["routes.price_cap_factor"])
    load, carried = np.array([0.5, 0.9, 2.0]), np.array([0.0, 300.0, 5000.0])
    demand, seats, fare0 = np.array([100.0, 1200.0, 40000.0]), np.array([1000.0, 1000.0, 1000.0]), np.full(3, 1e4)
    L, C, P = routes.fares(load, carried, demand, seats, fare0, p)
    booking = demand + carried
    L_hand = (1 - s) * load + s * booking / seats
    assert np.allclose(C, g * np.maximum(0, booking - seats))
    assert np.allclose(L, L_hand)
    assert np.allclose(P, np.minimum(fare0 * (1 + kappa * np.maximum(0, L_hand - theta)), cap * fare0))
    assert P[0] == fare0[0] and P[2] == cap * fare0[2]  # under the threshold: the normal fare; the cap binds


# == routes: the road to the crossings ==========================================================================
def _far_cells(eng, j: int, n: int, days: int) -> np.ndarray:
    """Cells of adult women with at least n at home whose region is `days` days on the road from crossing j."""
    far = eng.routes.drive_days[eng.pop.region, j] == days
    cells = np.flatnonzero(far & (eng.pop.sex == 1) & eng.decisions.adult & (eng.X[:, HOME] >= n))[:5]
    assert cells.size == 5
    return cells


def test_the_road_to_a_crossing_takes_distance_over_km_a_day_whole_days():
    eng = _engine()
    km = eng.params["routes.drive_km_per_day"]
    assert np.array_equal(eng.routes.drive_days, np.floor(eng.net.dist_km[:, :eng.net.n_land] / km))
    assert routes.drive_time(np.array([[0.0, 699.9, 700.0, 1500.0]]), 700.0).tolist() == [[0, 0, 1, 2]]


def test_a_departure_by_land_joins_the_queue_the_day_it_reaches_the_crossing_and_is_out_of_reach_until_then():
    eng = _engine(parameters={**BIG, "routes.drive_km_per_day": 700})
    day = _at(eng, "2022-09-20")
    j = _crossing(eng, "upper_lars")
    empty_road(eng)
    cells = _far_cells(eng, j, 50, 2)  # Moscow: two days from Upper Lars
    before = eng.X.sum()
    dep = _departures(eng)
    n = _queue_today(eng, dep, cells, j, 50)
    on_road = eng.layout.en_route.start + j
    for k in range(2):  # on the road today and tomorrow: counted en route, not queued, not processed
        _routes(eng, day, dep if k == 0 else None)
        assert eng.X[cells, on_road].sum() == n
        assert eng.X[:, eng.layout.queued_exit.start + j].sum() == 0
        assert eng.rec.today["processed"][j] == 0
        assert eng.X.sum() == before
        eng.rec.reset()
        day = _at(eng, (eng.date + dt.timedelta(days=1)).isoformat())
    _routes(eng, day)  # the day they reach it: they join the queue and go through (capacity to spare)
    assert eng.X[:, on_road].sum() == 0
    assert eng.rec.today["processed"][j] == n
    assert eng.X[cells][:, eng.layout.abroad].sum() == n
    eng.check_conservation()


def test_a_closure_stops_on_arrival_those_who_set_out_before_it_and_no_one_who_set_out_after():
    """Finland refused tourists at its border from 30 Sep 2022 (observations: 1,688 entries that day, 884 on 3 Oct):
    those on their way when it came are turned back as they arrive with 1 − non_tourist_share; those who set out
    later knew it and weighed it in their choice, once (not checked again)."""
    share = 0.25
    closure = {"type": "border_closure", "start": "2022-09-21", "destinations": ["FI"], "applies_to": "tourists",
               "by": "destination"}
    stopped = expected = var = 0.0
    for seed in SEEDS:
        eng = _engine([closure], seed=seed, parameters={"routes.non_tourist_share": share,
                                                       "routes.drive_km_per_day": 700})
        empty_road(eng)
        j = _crossing(eng, "torfyanovka")
        day = _at(eng, "2022-09-20")
        cells = _far_cells(eng, j, 40, 1)  # Moscow: a day from Finland
        dep = _departures(eng)
        n = _queue_today(eng, dep, cells, j, 40)
        _routes(eng, day, dep)  # set out the day before the closure
        assert eng.rec.today["stopped_closure"] == 0
        eng.rec.reset()
        day = _at(eng, "2022-09-21")
        dep = _departures(eng)
        _queue_today(eng, dep, cells, j, 40)  # set out on its first day, knowing it
        _routes(eng, day, dep)
        stopped += eng.rec.today["stopped_closure"]
        expected += n * (1 - share)
        var += n * share * (1 - share)
        eng.rec.reset()
        day = _at(eng, "2022-09-22")
        _routes(eng, day)
        assert eng.rec.today["stopped_closure"] == 0  # those who set out knowing it are not stopped again
        assert eng.rec.today["processed"][j] == n
        eng.check_conservation()
    assert abs(stopped - expected) / np.sqrt(var) < Z


def test_the_road_holds_the_pre_crisis_departures_still_on_their_way_at_the_start():
    eng = _engine(parameters={"routes.drive_km_per_day": 700})
    lay, st = eng.layout, eng.routes
    road = np.zeros((eng.pop.n_cells, eng.net.n_land), dtype=np.int64)
    for slot in st.road:
        for _, _, cells, crossing, counts in slot:
            assert (counts > 0).all()
            np.add.at(road, (cells, crossing), counts)
    assert road.sum() > 0
    assert np.array_equal(road, eng.X[:, lay.en_route])  # the ring and the state agree
    days = st.drive_days[eng.pop.region]
    assert road[days == 0].sum() == 0  # no one is on the road to a crossing reached the same day
    for k, slot in enumerate(st.road):  # those d days away arrive on one of the next d days
        for _, _, cells, crossing, _ in slot:
            assert (days[cells, crossing] > (k - eng.t) % len(st.road)).all()


def test_a_weekend_trip_by_land_is_timed_by_the_day_it_crosses():
    eng = _engine(parameters={"routes.drive_km_per_day": 700})
    net = eng.net
    reg = np.arange(eng.pop.n_regions)
    thursday, saturday = dt.date(2022, 9, 15), dt.date(2022, 9, 17)
    for date in (thursday, saturday):
        cyc = routes.crossing_cycle(eng.routes, net, date, reg)
        assert (cyc != routes.weekly_cycle(net, date)[None, :]).any()  # some trips cross on another day
        d = eng.routes.drive_days
        for r in reg:
            for j in range(net.n_land):
                crossing_day = date + dt.timedelta(days=int(d[r, j]))
                assert cyc[r, j] == routes.weekly_cycle(net, crossing_day)[j]
        assert np.array_equal(cyc[:, net.n_land:], np.broadcast_to(routes.weekly_cycle(net, date)[net.n_land:],
                                                                  cyc[:, net.n_land:].shape))


# == routes: screens ==========================================================================================
def _screened(policy, seed, *, src=HOME, callup_open=False, n=200, date="2022-09-20"):
    """Men of call-up age arrive at Upper Lars today (under capacity) under `policy`: the engine after routes."""
    eng = _engine([policy], seed=seed, parameters=BIG)
    day = _at(eng, date)
    eng.callup.open = callup_open
    cells = _men(eng, n, col=src)
    dep = _departures(eng)
    k = _queue_today(eng, dep, cells, _crossing(eng, "upper_lars"), n, src=src)
    before = eng.X.copy()
    _routes(eng, day, dep)
    eng.check_conservation()
    return eng, cells, k, before


def test_a_partial_exit_ban_stops_each_person_processed_with_probability_enforcement():
    """The screen is a binomial draw with p = enforcement, applied once (not 1 − (1 − e)²), and a refused man is
    summoned on the spot with probability `summons_at_refusal` while a quota is open."""
    e, s = 0.4, 0.5
    ban = {"type": "exit_ban", "start": "2022-09-14", "enforcement": e, "crossings": ["upper_lars"],
           "summons_at_refusal": s, "who": {"sex": "male"}}
    stopped = summoned = n = 0
    for seed in SEEDS:
        eng, cells, k, before = _screened(ban, seed, callup_open=True)
        tod = eng.rec.today
        stopped += tod["stopped_exit_ban"]
        summoned += tod["summons_at_border"]
        n += k
        ge = eng.layout.abroad.start + eng.net.dest_ids.index("GE")
        assert (eng.X[cells, ge] - before[cells, ge]).sum() == k - tod["stopped_exit_ban"]
        assert (eng.X[cells, SUMMONED] - before[cells, SUMMONED]).sum() == tod["summons_at_border"]
    assert abs(_z(stopped, n, e)) < Z
    assert abs(_z(summoned, stopped, s)) < Z


def test_a_fully_enforced_exit_ban_takes_its_routes_out_of_the_choice_set_of_those_it_targets():
    ban = {"type": "exit_ban", "start": "2022-09-14", "enforcement": 1.0, "crossings": ["upper_lars"],
           "who": {"sex": "male"}}
    eng = _engine([ban])
    u = routes.utilities(eng, eng.routes, _at(eng, "2022-09-20"), announced=False)
    ul = _crossing(eng, "upper_lars")
    men = eng.decisions.adult & (eng.pop.sex == 0) & (eng.pop.passport == 1)
    p_men = u.p_route[u.key[men]]
    assert np.isfinite(p_men).all() and (p_men[:, ul] == 0).all()
    assert np.allclose(p_men.sum(axis=1), 1.0) and (u.trip_h[u.key[men], ul] == 0).all()
    women = eng.decisions.adult & (eng.pop.sex == 1) & (eng.pop.passport == 1)
    assert (u.p_route[u.key[women], ul] > 0).all()


def test_an_exit_ban_reads_its_enforcement_and_summons_share_from_named_parameters():
    ban = {"type": "exit_ban", "start": "2022-09-14", "enforcement": "events2022.karaozek_enforcement",
           "summons_at_refusal": "events2022.karaozek_enforcement", "crossings": ["karaozek"]}
    eng = _engine([ban], parameters={"events2022.karaozek_enforcement": 0.3})
    (screen,) = [s for s in _at(eng, "2022-09-20").screens if s.kind == "exit_ban"]
    assert screen.prob == pytest.approx(0.3) and screen.summons_prob == pytest.approx(0.3)


@pytest.mark.parametrize("callup_open", [True, False])
def test_a_partial_summons_at_border_summons_the_men_it_stops_only_while_a_quota_is_open(callup_open):
    prob = 0.3
    sab = {"type": "summons_at_border", "start": "2022-09-14", "crossings": ["upper_lars"], "probability": prob}
    stopped = n = 0
    for seed in SEEDS:
        eng, cells, k, before = _screened(sab, seed, callup_open=callup_open)
        tod = eng.rec.today
        stopped += tod["stopped_summons_at_border"]
        n += k
        served = (eng.X[cells, SUMMONED] - before[cells, SUMMONED]).sum()
        assert tod["summons_at_border"] == served == (tod["stopped_summons_at_border"] if callup_open else 0)
    assert abs(_z(stopped, n, prob)) < Z


def test_a_summoned_man_stopped_at_the_border_goes_back_summoned():
    sab = {"type": "summons_at_border", "start": "2022-09-14", "crossings": ["upper_lars"], "probability": 0.5}
    eng = _engine([sab], seed=1, parameters=BIG)
    day = _at(eng, "2022-09-20")
    cells = _men(eng, 100)
    eng.X[cells, HOME] -= 100
    eng.X[cells, SUMMONED] += 100
    dep = _departures(eng)
    k = _queue_today(eng, dep, cells, _crossing(eng, "upper_lars"), 100, src=SUMMONED)
    home0 = eng.X[cells, HOME].copy()
    _routes(eng, day, dep)
    stopped = eng.rec.today["stopped_summons_at_border"]
    assert 0 < stopped < k
    assert eng.X[cells, SUMMONED].sum() == stopped and eng.rec.today["summons_at_border"] == 0
    assert (eng.X[cells, HOME] == home0).all()  # no one is sent home: he holds his summons


def test_a_host_refusal_turns_back_its_share_at_the_destinations_routes():
    r = 0.25
    rule = {"type": "host_rule", "start": "2022-09-14", "destination": "GE", "entry_refusal": r}
    stopped = n = 0
    for seed in SEEDS:
        eng = _engine([rule], seed=seed, parameters=BIG)
        day = _at(eng, "2022-09-20")
        dep = _departures(eng)
        n += _queue_today(eng, dep, _women(eng, 200), _crossing(eng, "upper_lars"), 200)
        _routes(eng, day, dep)
        stopped += eng.rec.today["stopped_host_refusal"]
    assert abs(_z(stopped, n, r)) < Z


def test_a_closure_turns_back_those_already_queued_and_screens_todays_arrivals():
    """People queued since before a closure of Upper Lars to men of call-up age: the men go back (home, or
    summoned), the women cross; men arriving today are stopped at the screen, all of them."""
    closure = {"type": "border_closure", "start": "2022-09-20", "routes": ["upper_lars"],
               "applies_to": "callup_age_men", "by": "origin"}
    eng = _engine([closure], seed=2, parameters=BIG)
    day = _at(eng, "2022-09-20")
    lay, X = eng.layout, eng.X
    j = _crossing(eng, "upper_lars")
    men, women = _men(eng, 300), _women(eng, 100)
    X[men, HOME] -= 100
    X[men, lay.queued_exit.start + j] += 50
    X[men, lay.queued_summoned.start + j] += 50
    X[women, HOME] -= 100
    X[women, lay.queued_exit.start + j] += 100
    eng.routes.wait[j] = 1e-12  # queued since yesterday, no one balks
    dep = _departures(eng)
    arriving = _queue_today(eng, dep, men, j, 20)
    home0, summ0 = X[men, HOME].copy(), X[men, SUMMONED].copy()
    _routes(eng, day, dep)
    ge = lay.abroad.start + eng.net.dest_ids.index("GE")
    assert X[men, ge].sum() == 0 and X[men, lay.queued_exit.start + j].sum() == 0
    assert (X[men, HOME] - home0 == 50 + 20).all() and (X[men, SUMMONED] - summ0 == 50).all()
    assert eng.rec.today["stopped_closure"] == arriving  # only today's arrivals are screened
    assert X[women, ge].sum() == 100 * len(women)
    eng.check_conservation()


@pytest.mark.parametrize("kind", ["factor", "capacity"])
def test_a_capacity_change_multiplies_or_sets_a_crossings_daily_capacity(kind):
    value = 0.5 if kind == "factor" else 300.0
    change = {"type": "capacity_change", "start": "2022-09-14", "route": "upper_lars", kind: value}
    eng = _engine([change], seed=5, scale=1.0, regions=["SE"])
    day = _at(eng, "2022-09-20")
    j = _crossing(eng, "upper_lars")
    cap = eng.net.capacity[j] * value if kind == "factor" else value
    dep = _departures(eng)
    _queue_today(eng, dep, _women(eng, 1000), j, 1000)
    _routes(eng, day, dep)
    assert eng.rec.today["processed"][j] == int(cap)


def test_capacity_changes_touch_only_their_route_and_compose():
    """Two changes of the same route multiply; no other route changes; `capacity` may name a declared parameter."""
    halve = {"type": "capacity_change", "start": "2022-09-14", "route": "upper_lars", "factor": 0.5}
    fix = {"type": "capacity_change", "start": "2022-09-14", "route": "karaozek",
           "capacity": "routes.capacity_upper_lars"}
    eng = _engine([halve, halve, fix], parameters={"routes.capacity_upper_lars": 123.0})
    day = _at(eng, "2022-09-20")
    ul, ka = _crossing(eng, "upper_lars"), _crossing(eng, "karaozek")
    factor = np.ones(eng.net.n_routes)
    factor[ul] = 0.25
    assert np.array_equal(day.capacity_factor, factor)
    assert day.capacity_set[ka] == pytest.approx(123.0 * eng.scenario.population.scale)  # persons, for the sample
    assert np.isnan(np.delete(day.capacity_set, ka)).all()


def test_a_capacity_set_by_a_capacity_change_is_scaled_in_a_sample_run():
    scale, value = 0.05, 3000.0
    change = {"type": "capacity_change", "start": "2022-09-14", "route": "upper_lars", "capacity": value}
    eng = _engine([change], seed=5, scale=scale)
    day = _at(eng, "2022-09-20")
    j = _crossing(eng, "upper_lars")
    dep = _departures(eng)
    _queue_today(eng, dep, _women(eng, 400), j, 400)  # 4,000 people: over the sample's 150 a day
    _routes(eng, day, dep)
    assert eng.rec.today["processed"][j] == int(value * scale)


# == abroad ===================================================================================================
def _abroad_engine(seed, dest: str, n: int, parameters, **kw):
    """An engine with n leavers in `dest` in each of 20 cells, no one travelling, no one else abroad."""
    eng = _engine(seed=seed, parameters=parameters, **kw)
    X, lay = eng.X, eng.layout
    X[:, HOME] += X[:, lay.travelling].sum(axis=1)
    X[:, lay.travelling] = 0
    cells = np.flatnonzero(eng.decisions.adult & (X[:, HOME] >= n))[:20]
    d = eng.net.dest_ids.index(dest)
    X[cells, HOME] -= n
    X[cells, lay.abroad.start + d] += n
    return eng, cells, d


def _abroad_day(eng, day):
    """The abroad step of the day, from who is abroad at its start, as the engine runs it."""
    abroad.snapshot(eng, eng.abroad)
    abroad.step(eng, eng.abroad, day, eng.risk, eng.decisions)


def test_leavers_return_at_rate_lambda_times_exp_minus_beta_risk_and_fewer_when_risk_at_home_is_higher():
    par = {"abroad.return_rate": 0.05, "abroad.onward_rate_transit": 0.0, "abroad.onward_rate_other": 0.0}
    obs = {0.0: 0, 0.1: 0}
    n = {0.0: 0, 0.1: 0}
    for seed in SEEDS:
        eng, cells, d = _abroad_engine(seed, "AB", 500, par)
        eng.risk.rho = np.zeros(eng.pop.n_cells)
        hi = cells[::2]
        eng.risk.rho[hi] = 0.1
        quiet = _at(eng, "2022-09-20")
        _abroad_day(eng, quiet)
        back = eng.X[:, RETURNED]
        obs[0.1] += back[hi].sum()
        obs[0.0] += back[cells[1::2]].sum()
        n[0.1] += 500 * hi.size
        n[0.0] += 500 * (cells.size - hi.size)
        eng.check_conservation()
    b = eng.params["abroad.beta_return_risk"]
    p_lo, p_hi = -np.expm1(-0.05), -np.expm1(-0.05 * np.exp(-b * 0.1))
    assert abs(_z(obs[0.0], n[0.0], p_lo)) < Z and abs(_z(obs[0.1], n[0.1], p_hi)) < Z
    assert obs[0.1] / n[0.1] < obs[0.0] / n[0.0]


@pytest.mark.parametrize("dest,rate", [("KZ", 0.2), ("TR", 0.05)])
def test_leavers_move_on_at_their_destinations_rate_to_destinations_they_may_enter(dest, rate):
    """Transit countries at `onward_rate_transit`, others at `onward_rate_other`; never to the same country, to
    a country reached only from Russia, or to one that needs a passport they do not hold."""
    par = {"abroad.return_rate": 0.0, "abroad.onward_rate_transit": 0.2, "abroad.onward_rate_other": 0.05}
    moved = n = 0
    for seed in SEEDS:
        eng, cells, d = _abroad_engine(seed, dest, 500, par)
        eng.risk.rho = np.zeros(eng.pop.n_cells)
        _abroad_day(eng, _at(eng, "2022-09-20"))
        lay, X = eng.layout, eng.X
        left = 500 * cells.size - X[cells, lay.abroad.start + d].sum()
        moved += left
        n += 500 * cells.size
        out = X[:, lay.abroad].copy()
        out[:, d] = 0
        assert out.sum() == left and eng.rec.today["entries"].sum() == left
        net = eng.net
        for bad in ("AB", "BY", "MN"):
            assert out[:, net.dest_ids.index(bad)].sum() == 0
        no_pp = eng.pop.passport == 0
        assert out[np.ix_(no_pp, net.needs_passport)].sum() == 0
        eng.check_conservation()
    assert abs(_z(moved, n, -np.expm1(-rate))) < Z


def test_leavers_in_a_country_with_nowhere_they_may_move_on_to_stay_there():
    """docs/model.md §8–9 (processes/abroad.py): leavers move on only to destinations their passport opens and that
    people abroad may enter, never to the same country. Where none is left (here only Kazakhstan admits people from
    abroad, so those in Kazakhstan have nowhere to go) no one moves on, whatever the onward rate."""
    par = {"abroad.return_rate": 0.0, "abroad.onward_rate_transit": 0.3, "abroad.onward_rate_other": 0.3}
    eng, cells, kz = _abroad_engine(0, "KZ", 500, par)
    eng.net.onward_entry = np.arange(eng.net.n_dest) == kz
    onward = abroad.setup(eng)
    assert not onward.can_move_on[:, kz].any() and (onward.onward_hz[:, kz] == 0).all()
    assert onward.can_move_on[1, np.arange(eng.net.n_dest) != kz].all()  # the others may go to Kazakhstan
    for name in ("onward_w", "can_move_on", "onward_hz", "onward_cum"):
        setattr(eng.abroad, name, getattr(onward, name))
    eng.risk.rho = np.zeros(eng.pop.n_cells)
    cols = eng.layout.abroad.start + np.flatnonzero(np.arange(eng.net.n_dest) != kz)
    before = eng.X[:, cols].copy()
    _abroad_day(eng, _at(eng, "2022-09-20"))
    assert (eng.X[:, cols] <= before).all()  # no one arrived anywhere but in Kazakhstan
    eng.check_conservation()


def test_leavers_move_on_by_air_in_proportion_to_the_seats_of_each_destination():
    """Onward destinations weigh by the seats of their flights (× access), not by their normal entries: the movers of
    Tbilisi go to Istanbul and Dubai, not to Kazakhstan's border towns (observation row 13: Kazakhstan's entries
    fell to 7,000 on 3 Oct 2022 while the stock in Georgia moved on)."""
    par = {"abroad.return_rate": 0.0, "abroad.onward_rate_transit": 0.5, "abroad.onward_rate_other": 0.0}
    counts = None
    for seed in SEEDS:
        eng, cells, d = _abroad_engine(seed, "GE", 500, par)
        eng.pop.passport[cells] = 1
        eng.risk.rho = np.zeros(eng.pop.n_cells)
        before = eng.X[:, eng.layout.abroad].sum(axis=0)
        _abroad_day(eng, _at(eng, "2022-09-20"))
        moved = eng.X[:, eng.layout.abroad].sum(axis=0) - before
        moved[d] = 0
        counts = moved if counts is None else counts + moved
    net = eng.net
    air = ~net.is_land
    seats = np.bincount(net.dest[air], net.capacity[air], minlength=net.n_dest)
    first = [np.flatnonzero(net.dest == j)[0] for j in range(net.n_dest)]
    w = seats * np.exp(net.log_access[first]) * net.onward_entry
    w[d] = 0.0
    assert np.allclose(eng.abroad.onward_w[1, d], w)
    assert counts[~(w > 0)].sum() == 0  # land-only destinations (Finland, Mongolia...) draw no one
    total = counts.sum()
    for code in ("TR", "KZ"):
        j = net.dest_ids.index(code)
        assert abs(_z(counts[j], total, w[j] / w.sum())) < Z
    assert counts[net.dest_ids.index("TR")] > 2 * counts[net.dest_ids.index("KZ")]


def test_at_the_stay_deadline_a_share_visa_run_share_re_enters_and_the_rest_come_home():
    par = {"abroad.return_rate": 0.0, "abroad.onward_rate_transit": 0.0, "abroad.onward_rate_other": 0.0}
    runs = n = 0
    share = _engine().params["abroad.visa_run_share"]
    for seed in SEEDS:
        eng, cells, kz = _abroad_engine(seed, "KZ", 50, par, end="2022-10-31")
        N = 50 * cells.size
        eng.abroad.cohort[0, kz] = N
        eng.risk.rho = np.zeros(eng.pop.n_cells)
        quiet = DayPolicy(eng.net.n_routes, eng.net.n_dest)
        eng.t = 30  # KZ: 30 days visa-free; the cohort of day 0 is due today
        _abroad_day(eng, quiet)
        tod = eng.rec.today
        r = tod["visa_runs"]
        assert eng.X[cells, eng.layout.abroad.start + kz].sum() == r
        assert eng.X[cells, RETURNED].sum() == N - r
        assert tod["exits_back"][kz] == N and tod["entries"][kz] == r  # an exit and an entry for each run
        assert eng.abroad.cohort[30, kz] == r and eng.abroad.cohort[0, kz] == 0  # the clock restarts
        runs += r
        n += N
    assert abs(_z(runs, n, share)) < Z


def test_a_host_rule_stay_limit_sets_the_deadline():
    rule = {"type": "host_rule", "start": "2022-09-14", "destination": "KZ", "max_stay_days": 10}
    par = {"abroad.return_rate": 0.0, "abroad.onward_rate_transit": 0.0, "abroad.visa_run_share": 0.0}
    eng, cells, kz = _abroad_engine(1, "KZ", 50, par)
    eng.scenario = small_scenario([rule], parameters=par, allow_outside_range=True)
    eng.abroad.cohort[0, kz] = 50 * cells.size
    eng.risk.rho = np.zeros(eng.pop.n_cells)
    stock = []
    for t in (9, 10):
        eng.t, eng.date = t, eng.days[t]
        _abroad_day(eng, eng.day_policy())
        stock.append(eng.X[:, eng.layout.abroad.start + kz].sum())
    assert stock == [50 * cells.size, 0]


@pytest.mark.parametrize("dest,needs", [("KZ", True), ("GE", False)])
def test_a_host_rule_on_passports_opens_or_closes_a_destination_to_those_without_one(dest, needs):
    rule = {"type": "host_rule", "start": "2022-09-14", "destination": dest, "needs_foreign_passport": needs}
    eng = _engine([rule])
    d = eng.net.dest_ids.index(dest)
    to_d = eng.net.dest == d
    quiet = routes.utilities(eng, eng.routes, DayPolicy(eng.net.n_routes, eng.net.n_dest), announced=False)
    ruled = routes.utilities(eng, eng.routes, _at(eng, "2022-09-20"), announced=False)
    adult_no_pp = eng.decisions.adult & (eng.pop.passport == 0)
    for u, closed in ((quiet, not needs), (ruled, needs)):
        share = u.p_route[u.key[adult_no_pp]][:, to_d].sum(axis=1)
        trips = u.trip_h[u.key[adult_no_pp]][:, to_d].sum(axis=1)
        assert ((share == 0) & (trips == 0)).all() == closed and ((share > 0) & (trips > 0)).all() != closed


# == family ===================================================================================================
def test_family_ratio_followers_per_man_from_his_region_spread_over_the_lag():
    eng = _engine(seed=7)
    p = eng.params
    ratio, lag = p["family.ratio"], int(p["family.lag_days"])
    R = eng.pop.n_regions
    se = eng.pop.regions.region_id.tolist().index("SE")
    men = np.zeros(R)
    men[se] = 3000
    _at(eng, "2022-09-14")
    eng.family.ring[:] = 0  # without the followers of the men who left before the run (steady state)
    schedule_family(eng, eng.family, men)
    assert eng.family.ring.sum() == pytest.approx(ratio * 3000)
    attempts, from_region = [], np.zeros(R)
    quiet = DayPolicy(eng.net.n_routes, eng.net.n_dest)
    for t in range(0, lag + 2):
        eng.t = t
        eng.rec.reset()
        dep = _departures(eng)
        u = routes.utilities(eng, eng.routes, quiet, announced=False)
        decisions._family(eng, eng.decisions, dep, u, due_today(eng, eng.family))
        attempts.append(eng.rec.today["family_attempts"])
        by_cell = dep.by_cell()
        from_region += np.bincount(eng.pop.region, by_cell, minlength=R)
        assert (by_cell[~eng.decisions.family_pool] == 0).all()  # women and children only
    assert attempts[0] == 0 and attempts[lag + 1] == 0  # from the next day, within the lag
    total = sum(attempts)
    assert abs(total - ratio * 3000) / np.sqrt(ratio * 3000) < Z
    assert from_region[se] == total  # only from his region
    per_day = ratio * 3000 / lag
    assert all(abs(a - per_day) / np.sqrt(per_day) < Z for a in attempts[1:lag + 1])


def test_followers_of_men_who_left_on_different_days_add_up():
    eng = _engine()
    p = eng.params
    ratio, lag = p["family.ratio"], int(p["family.lag_days"])
    men = np.zeros(eng.pop.n_regions)
    men[0] = lag * 10.0
    eng.t = 0
    eng.family.ring[:] = 0  # without the followers of the men who left before the run (steady state)
    schedule_family(eng, eng.family, men)
    eng.t = 1
    schedule_family(eng, eng.family, 2 * men)
    per_day = ratio * men[0] / lag
    ring = eng.family.ring[:, 0]
    slot = np.arange(lag + 1)
    assert ring[1] == pytest.approx(per_day)  # day 1: the first day's men only
    assert ring[(slot >= 2) & (slot <= lag)] == pytest.approx(np.full(lag - 1, 3 * per_day))
    assert ring[0] == pytest.approx(2 * per_day)  # day lag + 1 (slot 0): the second day's men only
    assert ring.sum() == pytest.approx(3 * ratio * men[0])


def _far_men(eng, j: int, n: int, days: int) -> np.ndarray:
    """Cells of men of call-up age with at least n at home whose region is `days` days on the road from crossing j."""
    far = eng.routes.drive_days[eng.pop.region, j] == days
    cells = np.flatnonzero(far & eng.callup_age & (eng.X[:, HOME] >= n))[:5]
    assert cells.size == 5
    return cells


def _plans_day(eng, day, dep=None) -> np.ndarray:
    """The routes step of the day and its family plans, as the engine runs them; returns who crossed by land."""
    dep = _departures(eng) if dep is None else dep
    men = eng.decisions.adult_men
    set_out = dep.men_by_land(men, eng.pop.region, eng.pop.n_regions)
    by_land, by_air = _routes(eng, day, dep)
    family.plan(eng, eng.family, set_out, by_land, by_air, routes.men_in_transit(eng, eng.routes, men))
    return by_land


def _family_road(eng) -> None:
    """Nobody on the road and no family plan yet: the test follows only its own men."""
    empty_road(eng)
    eng.family.ring[:] = 0
    eng.family.transit = routes.men_in_transit(eng, eng.routes, eng.decisions.adult_men)


def test_a_familys_plan_counts_from_the_day_the_man_sets_out_by_land_and_women_bring_none():
    """Many leavers of Sep 2022 drove to the border with their families (observations: the Upper Lars queue of
    27 Sep, cars rather than men): a family is due `lag` days after the man sets out, so it reaches the crossing
    `lag` days after him, not after his arrival and a road of its own."""
    eng = _engine(seed=8, parameters={**BIG, "routes.drive_km_per_day": 700})
    ratio, lag = eng.params["family.ratio"], int(eng.params["family.lag_days"])
    day = _at(eng, "2022-09-20")
    _family_road(eng)
    j = _crossing(eng, "upper_lars")
    cells = _far_men(eng, j, 100, 2)  # Moscow: two days from Upper Lars
    dep = _departures(eng)
    n = _queue_today(eng, dep, cells, j, 100)
    _queue_today(eng, dep, _far_cells(eng, j, 100, 2), j, 100)  # women set out too: they bring no one
    _plans_day(eng, day, dep)
    by_region = np.bincount(eng.pop.region[cells], np.full(cells.size, 100.0), minlength=eng.pop.n_regions)
    assert eng.family.ring.sum(axis=0) == pytest.approx(ratio * by_region)  # the day he sets out
    t = eng.t
    due = [(t + k) % (lag + 1) for k in range(1, lag + 1)]
    assert eng.family.ring[due].sum() == pytest.approx(ratio * n)  # due over the next lag days
    crossed = 0
    for date in ("2022-09-21", "2022-09-22"):  # on the road, then across: no second plan
        eng.rec.reset()
        crossed += _plans_day(eng, _at(eng, date)).sum()
        assert eng.family.ring.sum() == pytest.approx(ratio * n)
    assert crossed == n
    eng.check_conservation()


def test_a_man_who_sets_out_and_comes_back_cancels_his_familys_plan():
    """Georgia's and Finland's closures turned back those on their way (docs/routes.md): a man who does not cross
    brings no family, and trying again does not bring a second one."""
    closure = {"type": "border_closure", "start": "2022-09-21", "routes": ["upper_lars"], "by": "origin"}
    eng = _engine([closure], seed=8, parameters={**BIG, "routes.drive_km_per_day": 700})
    day = _at(eng, "2022-09-20")
    _family_road(eng)
    j = _crossing(eng, "upper_lars")
    cells = _far_men(eng, j, 100, 2)
    dep = _departures(eng)
    n = _queue_today(eng, dep, cells, j, 100)
    _plans_day(eng, day, dep)
    assert eng.family.ring.sum() == pytest.approx(eng.params["family.ratio"] * n)
    for date in ("2022-09-21", "2022-09-22"):  # the closure came while they drove: stopped as they arrive
        eng.rec.reset()
        assert _plans_day(eng, _at(eng, date)).sum() == 0
    assert eng.rec.today["stopped_closure"] == n
    assert eng.family.ring.sum() == pytest.approx(0, abs=1e-6)
    assert eng.family.transit.sum() == pytest.approx(0)
    eng.check_conservation()


# == exit ====================================================================================================
def test_the_peer_term_is_the_share_of_the_cells_region_and_age_band_abroad():
    """docs/model.md §7: λ_exit,i ∝ (1 + β_peer·f_i), f_i the share of the cell's own region and age band abroad.
    Sending k more people of one region and band abroad raises the hazard of each of its cells from 1 + β_peer·f to
    1 + β_peer·(f + k/N) (N: the people of the region and band, abroad or not), and no other cell's."""
    eng = _engine()
    st, X, lay = eng.decisions, eng.X, eng.layout
    beta = eng.params["exit.beta_peer"]
    cell = _women(eng, 200, k=1)[0]
    group = st.rb == st.rb[cell]
    n = X[group].sum()
    f0 = X[group][:, lay.abroad].sum() / n
    before = decisions.exit_core(eng, st, None)
    X[cell, HOME] -= 200
    X[cell, lay.abroad.start + eng.net.dest_ids.index("KZ")] += 200
    after = decisions.exit_core(eng, st, None)
    assert beta > 0 and group.sum() > 1
    assert after[group] == pytest.approx(before[group] * (1 + beta * (f0 + 200 / n)) / (1 + beta * f0), rel=1e-12)
    assert (after[~group] == before[~group]).all()


# == passports ================================================================================================
def test_passport_applications_are_issued_processing_days_later_within_the_daily_capacity():
    days = 5
    eng = _engine(seed=9, parameters={"passport.processing_days": days, "passport.lambda0": 0.004,
                                      "passport.capacity_per_day": 14000})
    eng.decisions.pp_ring[:] = 0
    eng.decisions.pp_pending[:] = 0
    eng.decisions.pp_carry[:] = 0
    eng.risk.rho = np.zeros(eng.pop.n_cells)
    eng.t = 0
    n = np.where(eng.decisions.may_apply, eng.X[:, HOME], 0)
    decisions._apply_for_passports(eng, eng.decisions, eng.risk.rho)
    apps = eng.decisions.pp_ring[0].copy()
    assert abs(_z(apps.sum(), n.sum(), -np.expm1(-0.004))) < Z
    assert (apps[~eng.decisions.may_apply] == 0).all()
    # the national capacity, for the regions simulated (their share of the adults who may apply) and the sample
    cap = int(14000 * regional.passport_share(eng.scenario) * eng.scenario.population.scale)
    assert 0 < regional.passport_share(eng.scenario) < 1
    assert apps.sum() > cap  # the capacity binds on the due day
    holders0 = (eng.X.sum(axis=1) * eng.pop.passport).sum()
    issued = []
    for t in range(1, days + 2):
        eng.t = t
        decisions._issue_passports(eng, eng.decisions)
        issued.append(eng.rec.today["passports_issued"])
    assert issued[: days - 1] == [0] * (days - 1)
    assert issued[days - 1] == cap and issued[days] == min(cap, apps.sum() - cap)  # the rest carried over
    assert (eng.X.sum(axis=1) * eng.pop.passport).sum() - holders0 == sum(issued)  # moved to the passport cell
    eng.check_conservation()


def test_passport_applications_rise_with_risk_by_one_plus_beta_risk_rho():
    eng = _engine(seed=10, parameters={"passport.lambda0": 0.002})
    eng.decisions.pp_pending[:] = 0
    eng.decisions.pp_carry[:] = 0
    eng.risk.rho = np.full(eng.pop.n_cells, 0.3)
    eng.t = 0
    n = np.where(eng.decisions.may_apply, eng.X[:, HOME], 0)
    decisions._apply_for_passports(eng, eng.decisions, eng.risk.rho)
    rate = 0.002 * (1 + eng.params["passport.beta_risk"] * 0.3)
    assert abs(_z(eng.decisions.pp_ring[0].sum(), n.sum(), -np.expm1(-rate))) < Z


def test_a_person_whose_application_is_in_process_does_not_apply_again_until_it_is_issued():
    """docs/model.md §7 "Passports": people without a foreign passport apply, and an application is processed
    `passport.processing_days` later within the daily capacity. Each person has one application at a time: those
    with one in the ring (`pp_pending`, the applications in the ring) or carried over are not among those who may
    apply. When everyone who may apply applied on day 0, no one applies on the days until it is due, nor on that
    day (those issued have a passport, the others are carried over)."""
    days = 4
    eng = _engine(seed=9, parameters={"passport.processing_days": days, "passport.lambda0": 0.004})
    st = eng.decisions
    n = np.where(st.may_apply, eng.X[:, HOME], 0)
    st.pp_ring[:] = 0
    st.pp_ring[0] = n  # everyone who may apply applied on day 0
    st.pp_pending[:] = n
    st.pp_carry[:] = 0
    eng.risk.rho = np.zeros(eng.pop.n_cells)
    applied, issued = [], []
    for t in range(1, days + 1):
        eng.t = t
        decisions._issue_passports(eng, st)
        issued.append(eng.rec.today["passports_issued"])
        decisions._apply_for_passports(eng, st, eng.risk.rho)
        applied.append(eng.rec.today["passport_applications"])
        assert (st.pp_pending == st.pp_ring.sum(axis=0)).all()  # pending: the applications in the ring
    assert n.sum() * 0.004 > 50  # without the rule, hundreds would apply again each day
    assert applied == [0] * days
    assert issued[: days - 1] == [0] * (days - 1) and issued[-1] > 0
    assert st.pp_carry.sum() == n.sum() - issued[-1]
    eng.check_conservation()


# == risk =====================================================================================================
def test_a_mobilisation_rumour_adds_general_risk_times_its_strength_to_the_men_of_call_up_age_it_names_only():
    """docs/model.md §7: ρ_i = e_i · (α_local · s_r + α_national · s) · H + R(t); a `general_mobilisation` rumour
    (§5, policies/rumour.py) adds `rumour.general_risk · R(t)` to the men of call-up age matching its `who`, and
    to no one else: not to the women of its regions, not to the men of other regions."""
    rumour = {"type": "rumour", "start": "2022-09-16", "kind": "general_mobilisation", "credibility": 0.8,
              "half_life_days": 4, "who": {"regions": ["SE"]}}
    eng = _engine([rumour], parameters={"rumour.general_risk": 0.5})
    day = _at(eng, "2022-09-20")  # four days on: R = 0.8 / 2
    quiet = DayPolicy(eng.net.n_routes, eng.net.n_dest)
    rho = []
    for d in (quiet, day):
        st = risk.setup(eng)
        risk.step(eng, st, d, eng.callup)
        rho.append(st.rho)
    se = eng.pop.select(regions=["SE"])
    named = se & eng.callup_age
    assert named.any() and (se & ~named).any() and (eng.callup_age & ~se).any()
    assert rho[1][named] == pytest.approx(np.minimum(1.0, rho[0][named] + 0.5 * 0.4))
    assert (rho[1][~named] == rho[0][~named]).all()


# == call-up ==================================================================================================
@pytest.mark.parametrize("lapse", [True, False])
def test_summonses_lapse_the_day_after_a_mobilisation_ends(lapse):
    mob = dict(MOBILISATION, start="2022-09-16", end="2022-09-20", summons_lapse_at_end=lapse)
    eng = _engine([mob], end="2022-09-21")
    for i, d in enumerate(eng.days):
        eng.t, eng.date = i, d
        if d == dt.date(2022, 9, 21):
            held = eng.X[:, SUMMONED].sum()
            callup.step(eng, eng.callup, eng.day_policy())
            after = eng.X[:, SUMMONED].sum()
        else:
            eng.step()
    assert held > 0
    assert after == (0 if lapse else held)


def test_a_lapse_reaches_the_summoned_men_queued_at_a_crossing():
    mob = dict(MOBILISATION, start="2022-09-16", end="2022-09-20")
    eng = _engine([mob], end="2022-09-25")
    for i, d in enumerate(eng.days[:7]):  # to the end of the call-up
        eng.t, eng.date = i, d
        eng.step()
    j = _crossing(eng, "upper_lars")
    cells = _men(eng, 20)
    eng.X[cells, HOME] -= 20
    eng.X[cells, eng.layout.queued_summoned.start + j] += 20  # queued since yesterday with a summons
    eng.routes.wait[:] = 0.0
    eng.routes.wait[j] = 1e6  # they all balk today
    mobilised = eng.X[:, MOBILISED].sum()
    for i in range(7, len(eng.days)):
        eng.t, eng.date = i, eng.days[i]
        eng.step()
        assert eng.X[:, SUMMONED].sum() == 0  # summonses lapsed on 21 Sep
    assert eng.X[:, MOBILISED].sum() == mobilised  # no one is mobilised after the end


def test_eligibility_is_the_weight_of_the_first_class_a_band_wholly_fits_with_a_call_ups_own_changes():
    """docs/model.md §6 and docs/callup.md: a man takes the weight of the first eligibility class of the pack he fits
    (russia: privates, served, to 35, weight 1; junior officers, served, to 50; senior officers, served, to 55;
    unserved, to 35), a band fitting a class when it lies wholly inside its ages; a call-up's `eligible` changes a
    class for it (here privates from 25 on, so served men of 20-24 fall to the junior officers' weight). Women and
    men beyond every class weigh 0."""
    mob = dict(MOBILISATION, eligible={"privates": {"age_min": 25}})
    eng = _engine([mob], parameters={"callup.weight_officers": 0.3, "callup.weight_senior_officers": 0.05,
                                     "callup.weight_unserved": 0.1})
    pop = eng.pop
    w = policies.eligibility_weights(eng.ctx, eng.scenario.policy[0], deferral=False)
    served = {20: 0.3, 25: 1.0, 30: 1.0, 35: 0.3, 40: 0.3, 45: 0.3, 50: 0.05}
    unserved = {18: 0.1, 20: 0.1, 25: 0.1, 30: 0.1}
    men = pop.sex == 0
    expected = [(served if s else unserved).get(lo, 0.0) if m else 0.0
                for m, s, lo in zip(men.tolist(), pop.served.tolist(), pop.age_lo.tolist(), strict=True)]
    assert (men & (pop.served == 1)).any() and (men & (pop.served == 0)).any()
    assert w == pytest.approx(np.array(expected), abs=1e-12)


@pytest.mark.parametrize("allocation", ["burden", "proportional"])
def test_summonses_per_eligible_man_follow_the_allocation(allocation):
    """Under `burden`, region r gets q_r ∝ (war deaths per man)^k summonses per unit of eligibility weight; under
    `proportional` the same everywhere. Served counts per region match Σ n·min(1, q_r·e_i) within 4 sd."""
    mob = dict(MOBILISATION, allocation=allocation, target=3_000_000)
    eng = _engine([mob], seed=12)
    day = _at(eng, "2022-09-21")
    X, pop = eng.X.copy(), eng.pop
    callup.step(eng, eng.callup, day)
    mob = eng.callup.current_mob
    e = eng.callup.elig[id(mob)]
    fh = mob.find_rate(eng.params)
    R = pop.n_regions
    E_r = np.bincount(pop.region, e * (X[:, HOME] + X[:, RETURNED] + fh * X[:, 2]), minlength=R)
    w = eng.callup.burden_weight if allocation == "burden" else np.ones(R)
    target = callup.scaled_target(eng, eng.callup, mob)
    i, n_days = 0, (mob.end - mob.start).days + 1
    S = mob.profile(i, n_days, eng.params) * target * mob.setting("summons_per_recruit", eng.params)
    q = S * w / (w * E_r).sum()
    p = np.minimum(1.0, q[pop.region] * e)
    mean = np.bincount(pop.region, (X[:, HOME] + X[:, RETURNED]) * p, minlength=R)
    var = np.bincount(pop.region, (X[:, HOME] + X[:, RETURNED]) * p * (1 - p), minlength=R)
    served = eng.callup.summons_r
    assert (np.abs(served - mean) < Z * np.sqrt(var) + 1).all()
    per_weight = served / E_r
    se, mow = (pop.regions.region_id.tolist().index(r) for r in ("SE", "MOW"))
    if allocation == "burden":
        assert per_weight[se] > 10 * per_weight[mow]  # SE: 110 deaths per 100k men, Moscow 3
    else:
        assert per_weight[se] == pytest.approx(per_weight[mow], rel=0.2)


# == economy and voice ========================================================================================
def test_output_ratio_is_the_product_of_sector_shortfalls_to_their_weights():
    from exitvoice.economy import output_ratio

    absent = np.array([10.0, 0.0, 50.0, 200.0])
    L = np.array([100.0, 100.0, 100.0, 100.0])
    w = np.array([0.5, 0.3, 0.2, 0.1])
    hand = 0.9 ** 0.5 * 1.0 * 0.5 ** 0.2 * (1 - (1 - 1e-12)) ** 0.1  # a sector cannot lose more than all
    assert output_ratio(absent, L, w) == pytest.approx(hand, rel=1e-9)
    two = output_ratio(np.stack([absent[:3], absent[:3] * 0]), L[:3], w[:3])
    assert two == pytest.approx([0.9 ** 0.5 * 0.5 ** 0.2, 1.0])


def test_the_call_up_announcements_protest_shock_comes_on_the_announcement_day():
    from exitvoice.voice import shocks

    mob = dict(MOBILISATION, start="2022-09-16")
    eng = _engine([mob], end="2022-09-25")
    p = eng.params
    T, R = len(eng.days), eng.pop.n_regions
    summons = np.zeros((T, R))
    summons[5, 0] = 300.0
    men = np.full(R, 200_000.0)
    s = shocks(eng, summons, men)
    k = eng.days.index(dt.date(2022, 9, 16))
    a, h = p["voice.shock_announcement"], p["voice.shock_half_life"]
    assert (s[:k] == 0).all()
    assert s[k] == pytest.approx(np.full(R, a))  # on the day itself, not a day late
    assert s[k + 1, 1] == pytest.approx(a * 0.5 ** (1 / h))
    assert s[5, 0] - s[5, 1] == pytest.approx(p["voice.shock_summons"] * 300 / 200)  # per 1,000 men


# == compare: the verdict on the bands ========================================================================
def _case(name, left_end: np.ndarray):
    from exitvoice.compare import Case, case_metrics
    from exitvoice.scenario import Scenario
    from exitvoice.validate import Simulated

    sc = Scenario.from_dict({"scenario": {"name": name, "start": "2022-09-14", "end": "2022-09-16"}})
    n = left_end.size
    dates = pd.date_range("2022-09-14", periods=3)
    cum = np.outer(left_end, [0.2, 0.6, 1.0])
    zeros = np.zeros((n, 3))
    series = {("cum_departures", "RU"): cum, ("mobilised_cum", "RU"): zeros, ("abroad_stock", "RU"): cum,
              ("passports_issued", "RU"): zeros}
    case = Case(name, sc, Simulated(dates, series, n), "test")
    case.metrics = case_metrics(case)
    return case


@pytest.mark.parametrize("b,verdict", [(np.arange(200, 220.0), ", clear"),
                                       (np.arange(95, 115.0), ", within the spread")])
def test_findings_call_a_difference_clear_only_when_the_bands_do_not_overlap(b, verdict):
    from exitvoice.compare import Comparison

    a = np.arange(100, 120.0)
    text = Comparison([_case("a", a), _case("b", b)]).findings()
    line = [x for x in text.splitlines() if x.startswith("- **b**")][-1]  # the line against the reference
    change = np.median(b) / np.median(a) - 1
    word = "more" if change > 0 else "fewer"
    assert f"{abs(change):.0%} {word} departures (" in line
    assert f"{verdict};" in line or f"{verdict})" in line
    other = ", within the spread" if verdict == ", clear" else ", clear"
    assert other not in line


def test_findings_give_no_verdict_on_the_bands_with_too_few_members():
    from exitvoice.compare import Comparison

    text = Comparison([_case("a", np.arange(100, 105.0)), _case("b", np.arange(200, 205.0))]).findings()
    line = [x for x in text.splitlines() if x.startswith("- **b**")][-1]
    assert "more departures" in line and ", clear" not in line and "within the spread" not in line


def test_only_those_abroad_at_the_start_of_the_day_may_return_or_move_on_that_day():
    """docs/model.md §4: the abroad step reads the day's start. Leavers who arrive during the day (after the
    snapshot) stay abroad at least until the next day, however high the rates of return and of moving on."""
    par = {"abroad.return_rate": 0.3, "abroad.onward_rate_transit": 0.3, "abroad.onward_rate_other": 0.3}
    eng, cells, d = _abroad_engine(3, "AM", 200, par)
    X, lay = eng.X, eng.layout
    quiet = _at(eng, "2022-09-20")
    abroad.snapshot(eng, eng.abroad)
    others = eng.decisions.adult & (X[:, HOME] >= 50) & (X[:, lay.abroad].sum(axis=1) == 0)
    arrivals = np.flatnonzero(others)[:10]
    X[arrivals, HOME] -= 50
    X[arrivals, lay.abroad.start + d] += 50  # today's arrivals, after the day's start
    start_total = 200 * cells.size
    abroad.step(eng, eng.abroad, quiet, eng.risk, eng.decisions)
    left_am = start_total + 50 * arrivals.size - int(X[:, lay.abroad.start + d].sum())
    assert 0.2 * start_total < left_am <= start_total  # many of the day's start left; none of today's arrivals
    assert (X[arrivals, lay.abroad.start + d] == 50).all() and (X[arrivals, RETURNED] == 0).all()
    eng.check_conservation()
