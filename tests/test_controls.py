"""Exit controls and the draft (docs/model.md §5): exit visas, social contract, rumours, conscription, summons bans."""

import numpy as np
import pytest

from conftest import MOBILISATION, outside_counts, small_scenario
from exitvoice import Scenario, regional, run
from exitvoice.engine.cells import CellEngine
from exitvoice.engine.state import EXEMPT, MOBILISED
from exitvoice.errors import ScenarioError
from exitvoice.processes.routes import Departures

MEN = {"sex": "male", "age_min": 18, "age_max": 55}


def ru(res, quantity):
    ts = res.timeseries
    return ts[(ts.quantity == quantity) & (ts.geography == "RU")].set_index("date").value


def visa(**kw):
    return {"type": "exit_visa", "start": "2022-09-14", "daily_capacity": 100000, "processing_days": 5, **kw}


# -- exit visas ---------------------------------------------------------------------------------------------
EXIT, TRIP = Departures.EXIT, Departures.TRIP


def test_no_visa_no_departure():
    sc = small_scenario([MOBILISATION, visa(default_approval=0.0)], scale=0.05)
    road = CellEngine(sc, seed=1).routes.road  # set out before the run (the pre-crisis steady state), not yet there
    on_road = {p: sum(int(n.sum()) for slot in road for q, _, _, _, n in slot if q == p) for p in (EXIT, TRIP)}
    assert on_road[EXIT] > 0 and on_road[TRIP] > 0
    res = run(sc, seed=1)
    assert ru(res, "visa_applications").sum() > 0
    assert ru(res, "visas_issued").sum() == 0
    ts = res.timeseries
    # nobody who set out within the run crosses, trips included: only those already on the road go through
    assert ts[ts.quantity.isin(["processed", "flights_boarded"])].value.sum() == sum(on_road.values())
    # the only leavers are those already on the road, and people on a trip when the run starts who stay
    assert res.summary["totals"]["left"] == on_road[EXIT] + ru(res, "trips_turned_exit").sum()


def test_visa_throughput_never_exceeds_capacity_and_waits_processing_days():
    scale, cap = 0.05, 20000
    sc = small_scenario([MOBILISATION, visa(daily_capacity=cap, processing_days=6)], scale=scale)
    res = run(sc, seed=2)
    processed = ru(res, "visas_processed")
    daily = round(regional.figure(sc, sc.policy[1]) * scale)  # the regions' share of the national office, sampled
    assert 0 < daily < cap * scale
    assert processed.max() <= daily
    assert processed.max() == daily  # the office is the bottleneck in this setting
    assert (processed.iloc[:6] == 0).all() and processed.iloc[6] > 0  # nothing is decided before 6 days
    assert ru(res, "state_visa_pending").iloc[-1] > 0


def test_refused_men_of_call_up_age_are_not_let_out_and_others_are():
    pol = visa(approval=[{"who": MEN, "probability": 0.0}], default_approval=1.0)
    eng = CellEngine(small_scenario([MOBILISATION, pol], scale=0.05), seed=3)
    men = eng.pop.select(**MEN)
    out = outside_counts(eng, men)
    assert (np.diff(out) <= 0).all()  # no man of call-up age gets out
    assert eng.rec.scalar["visas_refused"].sum() > 0 and eng.rec.scalar["visas_issued"].sum() > 0


def test_two_exit_visas_at_once_are_refused():
    with pytest.raises(ScenarioError, match="two exit_visa"):
        small_scenario([visa(), visa(start="2022-09-20")])


# -- social contract ----------------------------------------------------------------------------------------
def test_exempt_men_are_never_summoned_and_never_leave():
    contract = {"type": "social_contract", "start": "2022-09-14", "offer_rate": 0.2}
    eng = CellEngine(small_scenario([MOBILISATION, contract], scale=0.05), seed=4)
    before = eng.X[:, EXEMPT].copy()
    for i, d in enumerate(eng.days):
        eng.t, eng.date = i, d
        eng.step()
        now = eng.X[:, EXEMPT]
        assert (now >= before).all()  # no one leaves `exempt`: not summoned, not abroad, not travelling
        before = now.copy()
    exempt = eng.X[:, EXEMPT]
    assert exempt.sum() > 0
    assert (exempt[~eng.callup_age] == 0).all()  # only men of call-up age sign
    assert (exempt[eng.pop.passport == 1] == 0).all()  # their passports were taken


def test_the_contract_takes_the_men_the_call_up_wanted():
    """Signers are the men at risk (served men first): the call-up then has to reach further down its list."""
    mob = dict(MOBILISATION, target=600000)
    contract = {"type": "social_contract", "start": "2022-09-14", "offer_rate": 0.5}

    def unserved_share(pols):
        eng = CellEngine(small_scenario(pols, scale=0.05), seed=5)
        eng.run()
        mobilised = eng.X[:, MOBILISED]
        return mobilised[eng.pop.served == 0].sum() / mobilised.sum(), eng.X[:, EXEMPT].sum()

    base, _ = unserved_share([mob])
    with_contract, exempt = unserved_share([mob, contract])
    assert exempt > 0
    assert with_contract > base


# -- rumours ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["closure", "general_mobilisation"])
def test_a_rumour_with_credibility_zero_changes_nothing_bit_for_bit(kind):
    rumour = {"type": "rumour", "start": "2022-09-25", "kind": kind, "credibility": 0.0, "half_life_days": 5}
    a = run(small_scenario([MOBILISATION], scale=0.05), seed=6)
    b = run(small_scenario([MOBILISATION, rumour], scale=0.05), seed=6)
    assert a.timeseries.equals(b.timeseries) and a.cells.equals(b.cells)


@pytest.mark.parametrize("kind,series", [("closure", "closure_perceived"),
                                         ("general_mobilisation", "risk_mean_eligible_men")])
def test_a_credible_rumour_raises_what_it_targets_and_exits(kind, series):
    rumour = {"type": "rumour", "start": "2022-09-16", "kind": kind, "credibility": 1.0, "half_life_days": 10}
    a = run(small_scenario([], end="2022-10-05", scale=0.05), seed=7)
    b = run(small_scenario([rumour], end="2022-10-05", scale=0.05), seed=7)
    assert ru(b, series).iloc[3] > ru(a, series).iloc[3]
    assert b.summary["totals"]["left"] > a.summary["totals"]["left"]


def test_a_rumour_fades_with_its_half_life():
    from exitvoice.policies import Rumour

    r = Rumour(type="rumour", start="2022-09-16", kind="closure", credibility=0.8, half_life_days=4)
    import datetime as dt

    assert r.strength(dt.date(2022, 9, 16), {}) == pytest.approx(0.8)
    assert r.strength(dt.date(2022, 9, 20), {}) == pytest.approx(0.4)


# -- regular conscription -----------------------------------------------------------------------------------
def test_the_draft_takes_its_intake_from_unserved_men_of_its_ages():
    scale, intake = 0.05, 120000
    draft = {"type": "regular_conscription", "start": "2022-09-20", "end": "2022-10-19", "intake": intake,
             "ages": [18, 27]}
    sc = small_scenario([draft], end="2022-10-25", scale=scale)
    eng = CellEngine(sc, seed=8)
    res = eng.run()
    taken = eng.X[:, eng.layout.names().index("conscripted")]
    regions_intake = regional.figure(sc, sc.policy[0])  # the regions' share of the national intake
    assert 0 < regions_intake < intake
    expected = regions_intake * scale  # binomial draws: within 4 standard deviations (about ±√expected each)
    assert abs(taken.sum() - expected) <= 4 * np.sqrt(expected), (taken.sum(), expected)
    pop = eng.pop
    hit = taken > 0
    assert (pop.sex[hit] == 0).all() and (pop.served[hit] == 0).all()
    assert (pop.age_lo[hit] <= 27).all() and (pop.age_hi[hit] >= 18).all()
    assert ru(res, "conscripted").loc["2022-10-20":].sum() == 0  # nothing after the campaign


@pytest.mark.parametrize("ages,weight", [(None, {18: 1.0, 20: 1.0, 25: 0.6}), ([20, 22], {20: 0.6})])
def test_a_draft_weighs_each_band_by_its_share_of_the_ages_of_the_campaign_or_else_of_the_packs_draft_rule(
        ages, weight):
    """docs/packs.md `[callup] draft`: a campaign without `ages` of its own drafts at the ages of the pack's draft
    rule (russia: men who have not served, 18-27 in 2022); a band counts for the share of its years inside them
    (25-29: 25, 26, 27 of five). Served men and women weigh nothing."""
    draft = {"type": "regular_conscription", "start": "2022-09-20", "end": "2022-10-19", "intake": 1000,
             **({"ages": ages} if ages else {})}
    eng = CellEngine(small_scenario([draft]), seed=1)
    pop = eng.pop
    w = eng.scenario.policy[0].eligible(eng.ctx)
    unserved_men = (pop.sex == 0) & (pop.served == 0)
    expected = np.where(unserved_men, [weight.get(lo, 0.0) for lo in pop.age_lo.tolist()], 0.0)
    assert unserved_men.any() and (w == pytest.approx(expected, abs=1e-12))


def test_a_campaign_needs_an_end():
    with pytest.raises(ScenarioError, match="end date"):
        small_scenario([{"type": "regular_conscription", "start": "2022-09-20", "intake": 1000}])


# -- exit bans for summoned men (2023 law) ------------------------------------------------------------------
def test_summoned_men_do_not_leave_under_a_fully_enforced_summons_ban():
    free = run(small_scenario([MOBILISATION], scale=0.05), seed=9)
    banned = run(small_scenario([dict(MOBILISATION, summons_exit_ban=True)], scale=0.05), seed=9)
    assert ru(free, "summoned_exits").sum() > 0
    assert ru(banned, "summoned_exits").sum() == 0


def test_a_partial_summons_ban_turns_some_back_from_its_date():
    mob = dict(MOBILISATION, summons_exit_ban=True, summons_ban_enforcement=0.5,
               summons_exit_ban_from="2022-09-24")
    res = run(small_scenario([mob], scale=0.05), seed=10)
    stopped = ru(res, "stopped_summons_ban")
    assert stopped.loc[:"2022-09-23"].sum() == 0 and stopped.sum() > 0


def test_electronic_summons_find_hiding_men():
    from exitvoice.policies import Mobilisation

    m = Mobilisation(type="mobilisation", start="2022-09-21", target=1, find_rate_hiding=0.2, electronic_share=0.5)
    assert m.find_rate({}) == pytest.approx(0.6)


# -- scenario files build on each other ---------------------------------------------------------------------
def test_extends_adds_policies_and_overrides_dates(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text('[scenario]\nname = "base"\nstart = 2022-09-14\nend = 2022-10-01\n'
                    '[parameters]\n"exit.beta_risk" = 50.0\n'
                    '[[policy]]\ntype = "mobilisation"\nstart = 2022-09-21\ntarget = 1000\n')
    child = tmp_path / "child.toml"
    child.write_text('[scenario]\nextends = "base.toml"\nname = "child"\nend = 2022-11-01\n'
                     '[parameters]\n"exit.beta_closure" = 2.0\n'
                     '[[policy]]\ntype = "rumour"\nstart = 2022-09-25\nkind = "closure"\ncredibility = 0.5\n'
                     'half_life_days = 3\n')
    sc = Scenario.from_toml(child)
    assert sc.name == "child" and str(sc.scenario.end) == "2022-11-01" and str(sc.scenario.start) == "2022-09-14"
    assert [p.type for p in sc.policy] == ["mobilisation", "rumour"]
    assert sc.parameters == {"exit.beta_risk": 50.0, "exit.beta_closure": 2.0}


def test_extends_errors_name_the_file(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('[scenario]\nextends = "b.toml"\nname = "a"\n')
    b.write_text('[scenario]\nextends = "a.toml"\nname = "b"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        Scenario.from_toml(a)
    c = tmp_path / "c.toml"
    c.write_text('[scenario]\nextends = "missing.toml"\nname = "c"\n')
    with pytest.raises(ScenarioError, match="no such scenario file") as exc:
        Scenario.from_toml(c)
    assert "missing.toml" in str(exc.value)


# -- every shipped scenario conserves people ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["russia-2022", "wave2-1m-open", "wave2-1m-closed", "wave2-1m-exit-visas",
                                  "wave2-1m-social-contract", "closure-rumour", "voice-closed-borders"])
def test_shipped_scenarios_conserve_people_every_day(name):
    from pathlib import Path

    sc = Scenario.from_toml(Path(__file__).parents[1] / "scenarios" / f"{name}.toml")
    # Three regions with crossings of their own (whole-population runs of every scenario: tests/test_scenarios.py)
    population = {"scale": 0.05, "regions": ["SE", "AST", "MOW"]}
    sc = Scenario.from_dict({**sc.model_dump(mode="json"), "population": population}, source=name)
    eng = CellEngine(sc, seed=11, check=True)  # raises ConservationError on the first day it fails
    eng.run()
    assert eng.X.sum() == eng.pop.total and (eng.X >= 0).all()
    assert np.array_equal(np.bincount(eng.pop.group, eng.X.sum(axis=1)), np.bincount(eng.pop.group, eng.pop.size))
