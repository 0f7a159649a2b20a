"""Property-based tests of the engine's invariants and of the scenario parser."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import small_scenario
from exitvoice import Scenario
from exitvoice.engine.cells import CellEngine
from exitvoice.errors import ScenarioError

START = dt.date(2022, 9, 14)
ROUTES = ["upper_lars", "karaozek", "torfyanovka", "air:AM", "air:TR", "belarus"]
DESTS = ["GE", "KZ", "FI", "AM", "TR", "BY"]


def _day(draw, lo=0, hi=25):
    return (START + dt.timedelta(days=draw(st.integers(lo, hi)))).isoformat()


@st.composite
def policies(draw):
    kind = draw(st.sampled_from(["mobilisation", "exit_ban", "border_closure", "summons_at_border",
                                 "capacity_change", "host_rule", "exit_visa", "social_contract", "rumour",
                                 "regular_conscription"]))
    start = _day(draw)
    p = {"type": kind, "start": start}
    if kind == "mobilisation":
        p.update(target=draw(st.integers(1000, 2_000_000)),
                 allocation=draw(st.sampled_from(["proportional", "burden"])),
                 daily_profile=draw(st.sampled_from(["front_loaded", "uniform"])),
                 summons_exit_ban=draw(st.booleans()), summons_ban_enforcement=draw(st.floats(0, 1)),
                 electronic_share=draw(st.floats(0, 1)))
    elif kind == "exit_visa":
        p.update(daily_capacity=draw(st.integers(1, 200_000)), processing_days=draw(st.integers(0, 20)),
                 default_approval=draw(st.floats(0, 1)), trips=draw(st.booleans()),
                 summons_at_refusal=draw(st.floats(0, 1)),
                 approval=[{"who": {"sex": "male", "age_min": 18, "age_max": 55},
                            "probability": draw(st.floats(0, 1))}])
    elif kind == "social_contract":
        p.update(offer_rate=draw(st.floats(1e-4, 1)), passport_surrender=draw(st.booleans()))
    elif kind == "rumour":
        p.update(kind=draw(st.sampled_from(["closure", "general_mobilisation"])),
                 credibility=draw(st.floats(0, 1)), half_life_days=draw(st.floats(0.5, 60)))
    elif kind == "regular_conscription":
        lo = draw(st.integers(18, 30))
        p.update(end=_day(draw, 26, 40), intake=draw(st.integers(1, 300_000)), ages=[lo, draw(st.integers(lo, 40))])
    elif kind == "exit_ban":
        p.update(enforcement=draw(st.floats(0, 1)), who={"sex": "male"})
    elif kind == "border_closure":
        p.update(destinations=draw(st.lists(st.sampled_from(DESTS), min_size=1, max_size=3, unique=True)),
                 applies_to=draw(st.sampled_from(["all", "tourists", "callup_age_men"])),
                 by=draw(st.sampled_from(["origin", "destination"])))
    elif kind == "summons_at_border":
        p.update(crossings=[draw(st.sampled_from(ROUTES[:3]))], probability=draw(st.floats(0, 1)))
    elif kind == "capacity_change":
        p.update(route=draw(st.sampled_from(ROUTES)), factor=draw(st.floats(0, 5)))
    else:
        p.update(destination=draw(st.sampled_from(DESTS)), max_stay_days=draw(st.integers(0, 90)),
                 entry_refusal=draw(st.floats(0, 1)))
    return p


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pols=st.lists(policies(), max_size=4).filter(lambda ps: sum(p["type"] == "exit_visa" for p in ps) <= 1),
       seed=st.integers(0, 2**31), scale=st.sampled_from([0.01, 0.1]))
def test_conservation_for_random_scenarios(pols, seed, scale):
    sc = small_scenario(pols, end="2022-10-14", scale=scale, regions=["SE", "AST", "KDA"])
    eng = CellEngine(sc, seed=seed, check=False)
    groups = eng.pop.group
    start = eng.X.sum(axis=1)
    import numpy as np

    size_by_group = np.bincount(groups, start)
    for i, d in enumerate(eng.days):
        eng.t, eng.date = i, d
        eng.step()
        assert (eng.X >= 0).all(), "a count went negative"
        assert np.array_equal(np.bincount(groups, eng.X.sum(axis=1)), size_by_group), "a group changed size"
        assert eng.X.sum() == eng.pop.total
    # the economy and voice read the same states: bounded by who is there
    rec = eng.rec
    assert (rec.labour_persons >= -1e-9).all() and (rec.labour_persons.sum(1) <= eng.economy.workers.sum() + 1e-6).all()
    assert (eng.voice.at_home <= eng.voice.pool0[None, :]).all()
    from exitvoice import voice

    _, vo = voice.summarise(eng)
    assert (vo["protesters"] >= 0).all() and (vo["protesters"] <= eng.voice.at_home + 1e-9).all()


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "start", "end", "country", "seed", "colour"]),
                       st.one_of(st.text(max_size=5), st.integers(-5, 5), st.dates(), st.none()), max_size=6))
@example(meta={"start": 0, "end": dt.date(2000, 1, 1), "country": "", "name": "0"})  # an unknown country
def test_parser_accepts_or_refuses_with_a_scenario_error(meta):
    try:
        Scenario.from_dict({"scenario": meta}, source="fuzz.toml")
    except ScenarioError as exc:
        assert "fuzz.toml" in str(exc)


@settings(max_examples=40, deadline=None)
@given(pol=policies())
def test_parser_round_trips_valid_policies(pol):
    raw = {"scenario": {"name": "x", "start": "2022-09-14", "end": "2022-10-14"}, "policy": [pol]}
    sc = Scenario.from_dict(raw, source="p.toml")
    again = Scenario.from_dict(sc.model_dump(mode="json"), source="p.toml")
    assert again.policy == sc.policy


@pytest.mark.parametrize("field,value", [("enforcement", 1.5), ("enforcement", -0.1), ("colour", "red"),
                                         ("start", "not a date")])
def test_bad_policy_fields_name_the_field(field, value):
    pol = {"type": "exit_ban", "start": "2022-09-20", "enforcement": 0.5, field: value}
    raw = {"scenario": {"name": "x", "start": "2022-09-14", "end": "2022-10-14"}, "policy": [pol]}
    with pytest.raises(ScenarioError) as exc:
        Scenario.from_dict(raw, source="bad.toml")
    assert f"policy[0].{field}" in str(exc.value) and "bad.toml" in str(exc.value)
