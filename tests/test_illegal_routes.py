"""Illegal routes (docs/routes.md, model §8) pinned by their laws, on a copy of the russia pack with one illegal
crossing into Georgia: used only by those whom the official routes are closed to, no queue (at most its capacity of
the day's attempts get through, the rest go back where they came from), chosen by the share of attempts it takes,
caught with the declared probability, no one created or lost; catches are an output, scored by validate; a pack
without them runs as before.

Small populations, exact expectations where the law is deterministic, binomial z-scores (|z| < 4) where it is a draw.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import copy_pack
from exitvoice import Scenario
from exitvoice.engine.cells import CellEngine
from exitvoice.engine.state import HIDING, HOME, SUMMONED
from exitvoice.observations import read_observations
from exitvoice.pack import load_pack
from exitvoice.packcheck import check_pack
from exitvoice.policies import DayPolicy
from exitvoice.processes import routes
from exitvoice.validate import Simulated, score

ROOT = Path(__file__).resolve().parents[1]
SEEDS = range(4)
Z = 4.0
CAPTURE = 0.3
ROUTE = "illegal:ossetia_ridge"
CROSSING = "ossetia_ridge"
ILLEGAL_CSV = (
    "route_id,border,destination,lat,lon,region_id,capture_param,cost,capacity_param,summons_param,source\n"
    f"{ROUTE},North Ossetia - Georgia (mountain paths),GE,42.70,44.30,SE,routes.capture_ossetia_ridge,30000,,"
    "routes.summons_ossetia_ridge,a test route\n")
DECLARATIONS = """
[routes.capture_ossetia_ridge]
default = 0.3
unit = "share"
range = [0.0, 1.0]
prior = "uniform"
meaning = "probability of being caught on the test route"
source = "a test value"

[routes.summons_ossetia_ridge]
default = 0.0
unit = "share"
range = [0.0, 1.0]
prior = "uniform"
meaning = "share of caught men of call-up age served a summons"
source = "a test value"
"""
BAN_ALL = {"type": "exit_ban", "start": "2022-09-14", "enforcement": 1.0, "who": {"sex": "male", "age_min": 18,
                                                                                   "age_max": 54}}


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """The russia pack with one illegal route."""
    dest = copy_pack(tmp_path_factory.mktemp("illegal"))
    (dest / "illegal_routes.csv").write_text(ILLEGAL_CSV, encoding="utf-8")
    with open(dest / "parameters.toml", "a", encoding="utf-8") as fh:
        fh.write(DECLARATIONS)
    return dest


def scenario(pack, policies=(), *, end="2022-10-10", parameters=None, regions=("SE", "AST", "MOW")) -> Scenario:
    return Scenario.from_dict({
        "scenario": {"name": "illegal", "start": "2022-09-14", "end": end, "pack": str(pack),
                     "allow_outside_range": True},
        "population": {"scale": 0.05, "regions": list(regions)},
        "parameters": parameters or {},
        "policy": [dict(p) for p in policies],
    }, source="test")


def engine(pack, policies=(), seed=5, **kw) -> CellEngine:
    return CellEngine(scenario(pack, policies, **kw), seed=seed)


def at(eng, date: str):
    d = dt.date.fromisoformat(date)
    eng.t, eng.date = eng.days.index(d), d
    return eng.day_policy()


def test_the_pack_with_an_illegal_route_passes_its_check_and_counts_it(pack):
    report = check_pack(pack)
    assert report.ok, report.problems
    assert report.summary["illegal_routes"] == 1 and "1 illegal routes" in report.summary_line()


def test_an_illegal_route_is_chosen_only_by_those_whom_the_official_routes_are_closed_to(pack):
    """No one uses it before the crisis (every Russian has a legal way out); under a full exit ban on men of
    call-up age the banned men may, and only they."""
    eng = engine(pack, [BAN_ALL])
    r = eng.net.route_index(ROUTE)
    quiet = routes.utilities(eng, eng.routes, DayPolicy(eng.net.n_routes, eng.net.n_dest), announced=False)
    assert (quiet.p_route[:, r] == 0).all() and (quiet.trip_h[:, r] == 0).all()
    u = routes.utilities(eng, eng.routes, at(eng, "2022-09-20"), announced=False)
    banned = BAN_ALL_MASK(eng)
    adults = eng.decisions.adult
    assert (u.p_route[u.key[banned & adults], r] > 0).all()
    assert np.allclose(u.p_route[u.key[banned & adults]].sum(axis=1), 1.0)  # their only way out
    assert (u.p_route[u.key[~banned & adults], r] == 0).all()
    assert (u.trip_h[:, r] == 0).all()  # ordinary trips never take it
    assert (u.access[banned & adults] > 0).all()  # they can still leave (docs/model.md §7)


def BAN_ALL_MASK(eng) -> np.ndarray:  # noqa: N802 - the mask of BAN_ALL
    pop = eng.pop
    return (pop.sex == 0) & (pop.band_lo >= 18)[pop.band] & (pop.band_hi <= 54)[pop.band]


def test_a_check_at_every_official_route_counts_as_closed_and_one_closed_crossing_does_not(pack):
    """An exit ban with enforcement 0.5 would turn a man back anywhere official: he may take the illegal route."""
    ban = dict(BAN_ALL, enforcement=0.5)
    eng = engine(pack, [ban])
    r = eng.net.route_index(ROUTE)
    u = routes.utilities(eng, eng.routes, at(eng, "2022-09-20"), announced=False)
    banned = BAN_ALL_MASK(eng) & eng.decisions.adult
    assert (u.p_route[u.key[banned], r] > 0).all()
    one_crossing = {"type": "exit_ban", "start": "2022-09-14", "enforcement": 1.0, "crossings": ["upper_lars"]}
    eng = engine(pack, [one_crossing])  # other official routes stay open: the illegal one stays shut
    u = routes.utilities(eng, eng.routes, at(eng, "2022-09-20"), announced=False)
    assert (u.p_route[:, r] == 0).all()


def test_an_exit_ban_and_a_closure_by_destination_do_not_reach_the_illegal_route(pack):
    closure = {"type": "border_closure", "start": "2022-09-14", "destinations": ["GE"], "by": "origin"}
    eng = engine(pack, [BAN_ALL, closure])
    day = at(eng, "2022-09-20")
    r = eng.net.route_index(ROUTE)
    assert all(not s.routes[r] for s in day.screens)
    assert all(t.add[r] == 0 for t in day.route_terms)


def _cross_illegally(eng, cells, n: int, src: int = HOME) -> int:
    """n people of each cell set out today on the illegal route (as decisions would send them)."""
    j = eng.net.crossing_ids.index(CROSSING)
    dep = routes.Departures.none(eng.pop.n_cells, eng.net.n_land)
    eng.X[cells, src] -= n
    (dep.summoned if src == SUMMONED else dep.exit)[cells, j] += n
    return dep


def test_each_person_crossing_illegally_is_caught_with_the_declared_probability_and_goes_home(pack):
    caught = n = 0
    for seed in SEEDS:
        eng = engine(pack, [BAN_ALL], seed=seed)
        day = at(eng, "2022-09-20")
        cells = np.flatnonzero(BAN_ALL_MASK(eng) & (eng.X[:, HOME] >= 100))[:10]
        dep = _cross_illegally(eng, cells, 100)
        before = eng.X.copy()
        routes.step(eng, eng.routes, day, dep, callup_open=False, adult_men=eng.decisions.adult_men)
        eng.check_conservation()
        tod = eng.rec.today
        k = tod["illegal_caught"][eng.net.route_index(ROUTE)]
        ge = eng.layout.abroad.start + eng.net.dest_ids.index("GE")
        assert (eng.X[cells, ge] - before[cells, ge]).sum() == 100 * cells.size - k  # the others got through
        assert (eng.X[cells, HOME] - before[cells, HOME]).sum() == k  # the caught are back home
        assert tod["entries"][eng.net.dest_ids.index("GE")] == 0  # border services did not count them
        assert tod["left_by_dest"][eng.net.dest_ids.index("GE")] == 100 * cells.size - k
        caught += k
        n += 100 * cells.size
    assert abs((caught - n * CAPTURE) / np.sqrt(n * CAPTURE * (1 - CAPTURE))) < Z


def test_a_caught_summoned_man_goes_back_summoned_and_others_are_summoned_at_the_routes_share(pack):
    share = 0.5
    summoned = caught = 0
    for seed in SEEDS:
        eng = engine(pack, [BAN_ALL], seed=seed, parameters={"routes.summons_ossetia_ridge": share})
        day = at(eng, "2022-09-20")
        cells = np.flatnonzero(BAN_ALL_MASK(eng) & (eng.X[:, HOME] >= 100))[:10]
        dep = _cross_illegally(eng, cells, 100)
        before = eng.X.copy()
        routes.step(eng, eng.routes, day, dep, callup_open=True, adult_men=eng.decisions.adult_men)
        eng.check_conservation()
        k = int(eng.rec.today["illegal_caught"].sum())
        s = int((eng.X[cells, SUMMONED] - before[cells, SUMMONED]).sum())
        assert s == eng.rec.today["summons_at_border"]
        summoned += s
        caught += k
    assert abs((summoned - caught * share) / np.sqrt(caught * share * (1 - share))) < Z
    eng = engine(pack, [BAN_ALL])
    day = at(eng, "2022-09-20")
    cells = np.flatnonzero(BAN_ALL_MASK(eng) & (eng.X[:, HOME] >= 100))[:10]
    eng.X[cells, HOME] -= 100
    eng.X[cells, SUMMONED] += 100
    dep = _cross_illegally(eng, cells, 100, src=SUMMONED)
    before = eng.X.copy()
    routes.step(eng, eng.routes, day, dep, callup_open=False, adult_men=eng.decisions.adult_men)
    assert (eng.X[cells, SUMMONED] - before[cells, SUMMONED]).sum() == eng.rec.today["illegal_caught"].sum() > 0


def test_a_run_with_an_illegal_route_conserves_people_and_reports_its_catches(pack, tmp_path):
    """Every day's conservation check passes; catches are a series per route, destination and origin, and a
    validation row of `illegal_crossings_caught` is scored against them."""
    mob = {"type": "mobilisation", "start": "2022-09-21", "end": "2022-10-05", "target": 300000}
    res = engine(pack, [mob, dict(BAN_ALL, start="2022-09-22")], end="2022-10-05").run()
    ts = res.timeseries
    caught = ts[ts.quantity == "illegal_caught"]
    by = {g: caught[caught.geography == g].value.sum() for g in ("RU", "GE", f"crossing:{CROSSING}")}
    assert by["RU"] == by["GE"] == by[f"crossing:{CROSSING}"] == res.summary["totals"]["illegal_caught"] > 0
    file = tmp_path / "obs.csv"
    file.write_text("date,quantity,geography,value,unit,since,kind,source,quote\n"
                    "2022-10-05,illegal_crossings_caught,GE,100,persons,2022-09-22,official,s,q\n")
    card = score(read_observations(file), Simulated.from_timeseries(ts, scale=0.05, pack=str(pack)))
    row = card.rows.iloc[0]
    window = caught[(caught.geography == "GE") & (caught.date >= "2022-09-22")].value.sum() / 0.05
    assert row.status == "scored" and row.simulated == pytest.approx(window)


def test_without_illegal_routes_a_run_has_no_catch_series(tmp_path):
    bare = copy_pack(tmp_path, without=("illegal_routes.csv",))
    res = engine(bare, end="2022-09-20", seed=1).run()
    assert "illegal_caught" not in set(res.timeseries.quantity)
    assert "illegal_caught" not in res.summary["totals"]


def test_the_russia_pack_has_illegal_routes_into_kazakhstan_and_georgia_with_assumed_parameters():
    pack = load_pack("russia")
    report = check_pack(pack.path)
    assert report.ok and report.summary["illegal_routes"] == 4
    ill = pack.illegal_routes
    assert set(ill.destination) == {"KZ", "GE"}
    for name in {*ill.capture_param, *ill.cost_param, *ill.capacity_param}:
        decl = pack.declarations[name]  # a named parameter with a default inside a plausible range
        assert decl.low <= decl.default <= decl.high and decl.low < decl.high
        assert decl.source.startswith("assumption"), name  # no figure was collected: not presented as observed


def test_a_zero_count_of_catches_compares_like_a_pack_without_illegal_routes():
    from exitvoice.results import comparable_summary

    summary = {"totals": {"left": 5, "illegal_caught": 0}, "left_by_destination": {}, "quota": {},
               "population": 10, "cells": 2}
    assert comparable_summary(summary)["totals"] == {"left": 5}
    summary["totals"]["illegal_caught"] = 3
    assert comparable_summary(summary)["totals"] == {"left": 5, "illegal_caught": 3}


def test_closed_borders_send_russians_over_the_green_border_and_some_are_caught():
    """wave2-1m-closed (exit closed to men 18–55 from 10 Jan 2023, enforcement 0.95) on a sample of the regions
    of the russia pack's illegal routes: men barred from every official route cross the steppe into Kazakhstan or
    the mountains into Georgia, and some are caught; no one before the ban (an open official route keeps them
    out), and none under the same call-up with open borders."""
    regions = '["SE", "AST", "ORE", "MOW"]'
    sets = {"population.scale": "0.05", "population.regions": regions}
    closed = Scenario.from_toml(ROOT / "scenarios" / "wave2-1m-closed.toml").with_overrides(sets)
    res = CellEngine(closed, seed=3).run()
    ts = res.timeseries
    caught = ts[(ts.quantity == "illegal_caught") & (ts.geography == "RU")]
    assert res.summary["totals"]["illegal_caught"] == caught.value.sum() > 0
    assert caught[caught.date < "2023-01-10"].value.sum() == 0
    by_dest = {d: ts[(ts.quantity == "illegal_caught") & (ts.geography == d)].value.sum() for d in ("KZ", "GE")}
    assert by_dest["KZ"] + by_dest["GE"] == caught.value.sum()
    opened = Scenario.from_toml(ROOT / "scenarios" / "wave2-1m-open.toml").with_overrides(sets)
    assert CellEngine(opened, seed=3).run().summary["totals"]["illegal_caught"] == 0


def test_an_illegal_route_without_a_cost_or_with_an_official_crossings_id_is_refused(pack, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(pack, bad)
    (bad / "illegal_routes.csv").write_text(ILLEGAL_CSV.replace(",30000,", ",,").replace(ROUTE, "illegal:upper_lars"),
                                           encoding="utf-8")
    messages = [str(p) for p in check_pack(bad).problems]
    assert any("without a cost" in m for m in messages)
    assert any("also an official crossing" in m for m in messages)


@pytest.mark.parametrize("policy", [
    {"type": "capacity_change", "start": "2022-09-14", "route": ROUTE, "capacity": 10},
    {"type": "border_closure", "start": "2022-09-14", "routes": [ROUTE], "by": "origin"},
    {"type": "exit_ban", "start": "2022-09-14", "enforcement": 0.5, "crossings": [ROUTE]},
])
def test_a_policy_may_name_an_illegal_route_and_acts_on_it(pack, policy):
    """docs/routes.md: a policy that names an illegal route (`illegal:<id>`) acts on it."""
    eng = engine(pack, [policy])
    day = at(eng, "2022-09-20")
    r = eng.net.route_index(ROUTE)
    acted = (day.capacity_factor[r] != 1 or day.capacity_set[r] >= 0
             or any(s.routes[r] for s in day.screens) or any(np.isinf(t.add[r]) or t.add[r] != 0
                                                             for t in day.route_terms))
    assert acted


def test_an_unknown_illegal_route_is_refused_naming_the_known_ones(pack):
    from exitvoice.errors import ExitvoiceError

    with pytest.raises(ExitvoiceError, match="unknown routes") as err:
        scenario(pack, [{"type": "capacity_change", "start": "2022-09-14", "route": "illegal:nowhere", "factor": 2}])
    assert ROUTE in str(err.value)


def _limit(capacity: float) -> dict:
    """A capacity_change that gives the test route a daily capacity (persons, whole population)."""
    return {"type": "capacity_change", "start": "2022-09-14", "route": ROUTE, "capacity": capacity}


def _queued_at(eng, crossing: str) -> int:
    """Everyone in a queue column of the crossing (leavers, trips, summoned men)."""
    j = eng.net.crossing_ids.index(crossing)
    return int(sum(eng.X[:, cols.start + j].sum() for cols in eng.layout.queued))


def test_an_illegal_route_holds_no_one_overnight():
    """No queue at an illegal route: at the end of every day its queue columns are empty, it never takes more than
    its capacity, and when more try than it can take the others are turned away (and counted), not kept. On the
    russia pack's own routes under wave2-1m-closed, on a sample of their regions, from the day of the closure."""
    regions = '["SE", "AST", "ORE", "MOW"]'
    sets = {"population.scale": "0.02", "population.regions": regions}
    eng = CellEngine(Scenario.from_toml(ROOT / "scenarios" / "wave2-1m-closed.toml").with_overrides(sets), seed=2)
    illegal = [c for c, r in zip(eng.net.crossing_ids, eng.net.is_illegal[: eng.net.n_land], strict=True) if r]
    assert len(illegal) == 4
    cols = [eng.net.crossing_ids.index(c) for c in illegal]
    turned = 0
    for i, date in enumerate(eng.days):
        eng.t, eng.date = i, date
        eng.step()
        assert all(_queued_at(eng, c) == 0 for c in illegal), date
        assert (eng.rec.processed[i, cols] <= np.floor(eng.rec.capacity[i, cols])).all(), date
        turned += int(eng.rec.illegal_turned_away[i].sum())
        assert (eng.routes.wait[cols] == 0).all()  # no wait to see: the share of attempts taken instead
    assert turned > 0  # more tried than the routes could take, and the others went back
    assert (eng.routes.through[eng.net.is_illegal] < 1).any()


def test_over_capacity_exactly_capacity_get_through_and_the_rest_go_back_where_they_came_from(pack):
    """100 people of each of 30 cells try the route (from home, from hiding, and summoned): exactly its capacity
    get through, chosen at random among them all; each of the others returns to the state he left (a summoned man
    stays summoned, a man in hiding hides again), and is counted as turned away. Capture is set to 0 here, so that
    everyone taken arrives in Georgia."""
    cap, n = 50, 100
    ge_share = []
    for seed in SEEDS:
        eng = engine(pack, [BAN_ALL, _limit(cap / 0.05)], seed=seed,
                     parameters={"routes.capture_ossetia_ridge": 0.0})
        day = at(eng, "2022-09-20")
        j = eng.net.crossing_ids.index(CROSSING)
        cells = np.flatnonzero(BAN_ALL_MASK(eng) & (eng.X[:, HOME] >= 3 * n))[:10]
        eng.X[cells, HOME] -= 2 * n  # some of them summoned, some hiding, before they set out
        eng.X[cells, SUMMONED] += n
        eng.X[cells, HIDING] += n
        dep = routes.Departures.none(eng.pop.n_cells, eng.net.n_land)
        for src, purpose in ((HOME, dep.EXIT), (HIDING, dep.EXIT), (SUMMONED, dep.SUMMONED_EXIT)):
            eng.X[cells, src] -= n
            dep.join(purpose, cells, np.full(cells.size, j), np.full(cells.size, n), source=src)
        before = eng.X.copy()
        routes.step(eng, eng.routes, day, dep, callup_open=False, adult_men=eng.decisions.adult_men)
        eng.check_conservation()
        tried = 3 * n * cells.size
        ge = eng.layout.abroad.start + eng.net.dest_ids.index("GE")
        arrived = int((eng.X[cells, ge] - before[cells, ge]).sum())
        back = {src: int((eng.X[cells, src] - before[cells, src]).sum()) for src in (HOME, HIDING, SUMMONED)}
        tod = eng.rec.today
        r = eng.net.route_index(ROUTE)
        assert tod["processed"][r] == arrived == cap  # exactly its capacity
        assert tod["illegal_turned_away"][r] == sum(back.values()) == tried - cap
        assert all(0 <= b <= n * cells.size for b in back.values())
        assert _queued_at(eng, CROSSING) == 0
        ge_share.append(n * cells.size - back[SUMMONED])  # summoned men who got through
    # every person alike: the summoned are a third of those taken, on average (hypergeometric draws)
    taken = cap * len(SEEDS)
    assert abs(sum(ge_share) - taken / 3) / np.sqrt(taken * (1 / 3) * (2 / 3)) < Z


def test_the_share_of_attempts_a_route_took_moves_what_people_see_by_its_smoothing(pack):
    """After a day on which N tried a route that takes K < N, the share people see moves from 1 toward K / N by the
    weight `routes.illegal_through_smoothing`; a day on which no one tries moves it back toward 1."""
    s, cap, n = 0.4, 50, 100
    eng = engine(pack, [BAN_ALL, _limit(cap / 0.05)], parameters={"routes.illegal_through_smoothing": s})
    r = eng.net.route_index(ROUTE)
    assert eng.routes.through[r] == 1.0 and (eng.routes.through[eng.net.official] == 1.0).all()
    day = at(eng, "2022-09-20")
    cells = np.flatnonzero(BAN_ALL_MASK(eng) & (eng.X[:, HOME] >= n))[:10]
    routes.step(eng, eng.routes, day, _cross_illegally(eng, cells, n), callup_open=False,
                adult_men=eng.decisions.adult_men)
    seen = 1 - s + s * cap / (n * cells.size)
    assert eng.routes.through[r] == pytest.approx(seen)
    assert (eng.routes.through[eng.net.official] == 1.0).all()
    routes.step(eng, eng.routes, day, routes.Departures.none(eng.pop.n_cells, eng.net.n_land), callup_open=False,
                adult_men=eng.decisions.adult_men)
    assert eng.routes.through[r] == pytest.approx((1 - s) * seen + s)


def test_a_route_that_takes_a_smaller_share_of_its_attempts_is_chosen_less(pack):
    """The utility of an illegal route weighs log(share of attempts it took) where a crossing's weighs its wait
    (the capture probability is in it once, as log(1 − capture)): a lower share lowers its utility by exactly the
    log of the ratio, its choice share among the banned, and their accessibility (they leave less). The ban is
    enforced at half, so the official routes stay in their choice, checked."""
    eng = engine(pack, [dict(BAN_ALL, enforcement=0.5)])
    r = eng.net.route_index(ROUTE)
    day = at(eng, "2022-09-20")
    banned = BAN_ALL_MASK(eng) & eng.decisions.adult
    shares, access, v = [], [], []
    for through in (1.0, 0.3, 0.05):
        eng.routes.through[r] = through
        u = routes.utilities(eng, eng.routes, day, announced=True)
        shares.append(u.p_route[u.key[banned], r])
        access.append(u.access[banned])
        st = eng.routes
        v.append(routes.vbase(eng, st.route_asc, st.wait, st.price, eng.net.needs_passport, income=st.income,
                              through=st.through)[:, :, r])
    assert (np.diff(np.stack(shares), axis=0) < 0).all()  # every banned cell chooses it less
    assert (np.diff(np.stack(access), axis=0) < 0).all()  # and leaves less
    assert v[0] - v[1] == pytest.approx(np.full_like(v[0], np.log(1 / 0.3)))
    assert v[0][0, 0] == pytest.approx(routes.vbase(eng, eng.routes.route_asc, eng.routes.wait, eng.routes.price,
                                                    eng.net.needs_passport, income=eng.routes.income)[0, 0, r])


def test_a_closure_with_green_borders_fills_a_call_up_at_least_as_well_as_open_borders():
    """A call-up of the same size on a sample of the regions of the russia pack's illegal routes: with exit closed
    to men of call-up age (enforcement 0.95, the green borders open to them), the quota fills at least as far as
    with the borders open. Before illegal routes lost their queues, men waiting weeks at the mountain path were
    out of the call-up's reach."""
    regions = ["SE", "AST", "ORE", "MOW"]
    mob = {"type": "mobilisation", "start": "2022-09-21", "end": "2022-11-30", "target": 1000000,
           "allocation": "burden"}  # more than these regions yield with open borders (about 0.6 of their share)
    ban = {"type": "exit_ban", "start": "2022-09-21", "enforcement": 0.95, "summons_at_refusal": 0.5,
           "who": {"sex": "male", "age_min": 18, "age_max": 55}}
    fill = {}
    for name, pols in (("open", [mob]), ("closed", [mob, ban])):
        sc = Scenario.from_dict({"scenario": {"name": name, "start": "2022-09-14", "end": "2022-12-31"},
                                 "population": {"scale": 0.05, "regions": regions},
                                 "policy": pols}, source="test")
        res = CellEngine(sc, seed=11).run()
        fill[name] = next(iter(res.summary["quota"].values()))["quota_fill"]
        if name == "closed":
            assert res.summary["totals"]["illegal_turned_away"] > 0  # the routes were over their capacity
            assert res.summary["totals"]["illegal_caught"] > 0
    assert fill["closed"] >= fill["open"]


def test_a_pack_with_illegal_routes_must_declare_the_smoothing_of_their_share(pack, tmp_path):
    """pack check names the parameter the model reads for illegal routes when a pack with them lacks it."""
    bad = tmp_path / "bad"
    shutil.copytree(pack, bad)
    text = (bad / "parameters.toml").read_text(encoding="utf-8")
    start = text.index("[routes.illegal_through_smoothing]")
    end = text.index("\n[", start + 1)
    (bad / "parameters.toml").write_text(text[:start] + text[end + 1:], encoding="utf-8")
    problems = [p for p in check_pack(bad).problems if p.field == "routes.illegal_through_smoothing"]
    assert problems and "illegal routes" in str(problems[0]) and problems[0].file == "parameters.toml"


def test_a_run_over_an_illegal_routes_capacity_is_the_same_for_the_same_seed(pack):
    """Who gets through is drawn from the run's generator: the same seed gives the same run, another seed another."""
    def series(seed):
        mob = {"type": "mobilisation", "start": "2022-09-21", "end": "2022-10-05", "target": 300000}
        res = engine(pack, [mob, dict(BAN_ALL, start="2022-09-22"), _limit(2000)], end="2022-10-05",
                     seed=seed).run()
        assert res.summary["totals"]["illegal_turned_away"] > 0
        ts = res.timeseries
        return ts[ts.quantity.isin(["illegal_turned_away", "illegal_caught", "processed", "mobilised_cum"])]

    first = series(7)
    assert first.equals(series(7))
    assert not first.equals(series(8))
