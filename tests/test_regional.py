"""Regional runs (docs/model.md, "Regional runs"): national figures in persons fall to the regions by their share."""

from __future__ import annotations

import pytest

from conftest import MOBILISATION, SMALL_REGIONS, small_scenario
from exitvoice import Scenario, compare, regional, run
from exitvoice.pack import load_pack

MEN_18_49 = {"sex": "male", "age_min": 18, "age_max": 49}
POLICIES = [
    dict(MOBILISATION, allocation="proportional"),
    dict(MOBILISATION, allocation="burden", start="2022-10-20", end=None, label="burden"),
    {"type": "regular_conscription", "start": "2022-10-01", "end": "2022-10-20", "intake": 120000},
    {"type": "exit_visa", "start": "2022-10-05", "daily_capacity": 20000, "who": MEN_18_49},
]


def _scenario(regions, policies=POLICIES, **population):
    return Scenario.from_dict({"scenario": {"name": "regional", "start": "2022-09-14", "end": "2022-10-31"},
                               "population": {"regions": regions, **population} if regions else population,
                               "policy": [dict(p) for p in policies]}, source="test")


def test_a_whole_country_run_uses_every_national_figure_as_given():
    sc = _scenario(None, scale=0.01)
    assert regional.share(sc) == 1.0 and regional.passport_share(sc) == 1.0
    for pol in sc.policy:
        assert regional.policy_share(sc, pol) == 1.0
        value = getattr(pol, regional.SCALED_FIELDS[pol.type])
        assert regional.figure(sc, pol) is value  # the very figure: whole-country results do not change by a bit


def test_the_shares_of_two_halves_of_the_country_add_up_to_one():
    ids = load_pack("russia").regions.region_id.tolist()
    a, b = _scenario(ids[::2]), _scenario(ids[1::2])
    assert regional.share(a) + regional.share(b) == pytest.approx(1.0, abs=1e-5)
    assert regional.passport_share(a) + regional.passport_share(b) == pytest.approx(1.0, abs=1e-5)
    for pa, pb in zip(a.policy, b.policy, strict=True):
        sa, sb = regional.policy_share(a, pa), regional.policy_share(b, pb)
        assert 0 < sa < 1 and sa + sb == pytest.approx(1.0, abs=1e-5), pa.type  # whole people in each half
        assert regional.figure(a, pa) + regional.figure(b, pb) == pytest.approx(
            getattr(pa, regional.SCALED_FIELDS[pa.type]), rel=1e-5)


def test_a_call_up_falls_on_the_regions_by_their_men_it_can_take():
    sc = _scenario(SMALL_REGIONS)
    proportional, burden = sc.policy[0], sc.policy[1]
    reg = load_pack("russia").regions
    men = reg.male_20_49[reg.region_id.isin(SMALL_REGIONS)].sum() / reg.male_20_49.sum()
    # nearly all the men a call-up can take are 20-49: the share is close to theirs, not to the population's
    assert regional.policy_share(sc, proportional) == pytest.approx(men, rel=0.02)
    # Moscow's low war burden: under `burden` these regions carry a smaller part of the national call-up
    assert regional.policy_share(sc, burden) < 0.5 * regional.policy_share(sc, proportional)
    assert regional.target(sc, proportional) == pytest.approx(300000 * regional.policy_share(sc, proportional))


def test_a_regional_run_calls_up_the_regions_share_and_reports_it():
    sc = small_scenario([dict(MOBILISATION, allocation="proportional", end="2022-11-15")], end="2022-11-30",
                        scale=0.05)
    res = run(sc, seed=1, progress=None)
    target = regional.target(sc, sc.policy[0])
    (quota,) = res.summary["quota"].values()
    assert quota["target"] == res.summary["totals"]["quota_target"] == round(target) < 300000
    assert quota["days_to_fill"] is not None and 1.0 <= quota["quota_fill"] < 1.3  # met, not swamped by 300,000
    cov = res.summary["coverage"]
    assert cov["regions"] == SMALL_REGIONS and cov["population_share"] == pytest.approx(regional.share(sc))
    assert cov["figures_for_regions"][0]["national"] == 300000
    assert "3 of the 83 regions" in cov["description"]


def test_figures_given_for_the_regions_are_used_as_given():
    pols = [dict(p, figures_for="regions") for p in POLICIES]
    sc = _scenario(SMALL_REGIONS, pols)
    for pol in sc.policy:
        assert regional.policy_share(sc, pol) == 1.0
        assert regional.figure(sc, pol) == getattr(pol, regional.SCALED_FIELDS[pol.type])
    res = run(small_scenario([dict(MOBILISATION, figures_for="regions")], end="2022-09-25", scale=0.02), seed=1,
              progress=None)
    assert res.summary["totals"]["quota_target"] == 300000


def test_a_comparison_of_regional_runs_measures_fill_against_the_regions_target():
    sc = small_scenario([dict(MOBILISATION, allocation="proportional")], end="2022-10-10", scale=0.02,
                        name="regional-cmp")
    cmp = compare([sc], progress=None)
    res = cmp.cases[0].ensemble.summaries[0]
    # the same fill as the run's summary (which rounds the sample's target to whole people)
    assert cmp.cases[0].metrics.quota_fill.iloc[0] == pytest.approx(res["totals"]["quota_fill"], rel=1e-3)
    text = cmp.findings()
    assert f"{regional.target(sc, sc.policy[0]):,.0f} (the simulated regions' share of 300,000 for the country)" in text
