"""The myanmar pack and its scenarios (docs/myanmar.md): the pack passes its check, its call-up law reaches men
18-35 and women 18-27, and a short run of myanmar-2024 conserves people, calls up, and counts irregular crossings;
the exit controls stop people at the official exits only in the scenario that has them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from exitvoice import Scenario
from exitvoice.engine.cells import CellEngine
from exitvoice.pack import load_pack
from exitvoice.packcheck import check_pack
from exitvoice.params import ParameterSet
from exitvoice.population import build_population

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def test_both_shipped_packs_pass_their_check():
    for name in ("russia", "myanmar"):
        report = check_pack(load_pack(name).path)
        assert report.ok, report.problems
    assert "3 illegal routes" in check_pack(load_pack("myanmar").path).summary_line()


def test_the_law_reaches_men_18_to_35_and_women_18_to_27():
    pack = load_pack("myanmar")
    pop = build_population(pack, ParameterSet(pack.declarations), scale=0.001)
    men, women = pop.sex == 0, pop.sex == 1
    assert pop.age_lo[pop.callup_age & men].min() == 18 and pop.age_hi[pop.callup_age & men].max() == 35
    assert pop.age_lo[pop.callup_age & women].min() == 18 and pop.age_hi[pop.callup_age & women].max() == 27
    assert not (pop.callup_age & (pop.age_hi > 35)).any()
    weight = pack.declarations["callup.weight_women"].default
    assert np.allclose(pop.callup_weight[pop.callup_age & women], weight)


def _short(name: str, end: str = "2024-08-20") -> CellEngine:
    sc = Scenario.from_toml(SCENARIOS / f"{name}.toml")
    data = sc.model_dump(mode="json")
    data["scenario"]["end"] = end
    data["population"]["scale"] = 0.01
    data["population"]["scale_to_total"] = True
    data["policy"] = [p for p in data["policy"] if p["start"] <= end]  # the controls of 2025 lie beyond
    return CellEngine(Scenario.from_dict(data, source="test"), seed=3)


@pytest.fixture(scope="module")
def runs():
    return {name: _short(name).run() for name in ("myanmar-2024", "myanmar-2024-no-exit-controls")}


def test_a_short_run_conserves_people_calls_up_and_counts_irregular_crossings(runs):
    """The engine checks conservation every day (check=True); the call-up fills its batches; people without a
    passport have only the irregular crossings, so some are caught."""
    res = runs["myanmar-2024"]
    tot = res.summary["totals"]
    assert res.summary["population"] == round(load_pack("myanmar").declarations["population.total"].default * 0.01)
    assert tot["mobilised"] > 0 and tot["illegal_caught"] > 0 and tot["left"] > 0
    ts = res.timeseries
    caught = ts[ts.quantity == "illegal_caught"]
    assert {"MM", "TH", "crossing:moei_river"} <= set(caught.geography)


def test_the_exit_controls_stop_people_only_where_they_are_in_force(runs):
    on, off = (runs[n].summary["totals"] for n in ("myanmar-2024", "myanmar-2024-no-exit-controls"))
    assert on["stopped_at_border"] > 0 and off["stopped_at_border"] == 0
