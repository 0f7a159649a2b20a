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


def test_no_output_of_a_myanmar_run_speaks_of_russia_or_its_money(runs, tmp_path):
    """Runs, a comparison and the report of the myanmar pack: money in kyat (MMK), origin totals at MM, outputs
    under their country-neutral names; no RUB, no RU, no `_ru`/`_rub` names. (The report's parameter table quotes
    the sources of parameters carried over from the russia pack, which may name rubles: it is left out here.)"""
    import json
    import re

    import pandas as pd

    from exitvoice.compare import compare
    from exitvoice.report import build

    folders = []
    for name, res in runs.items():
        folders.append(res.write(tmp_path / name, plots=False))
        ts = pd.read_parquet(tmp_path / name / "timeseries.parquet")
        money = set(ts.unit[ts.quantity.isin(["flight_price", "output_loss_per_day", "output_loss_annualised"])])
        assert money == {"MMK (one way)", "MMK per day", "MMK per year"}
        assert not ts.quantity.str.contains(r"_rub?(?:_|$)").any() and "RU" not in set(ts.geography)
        summary = json.loads((tmp_path / name / "summary.json").read_text())
        assert "output_loss_cumulative" in summary["totals"] and "cum_departures" in set(ts.quantity)
    cmp = compare(folders, progress=None)
    cmp.write(tmp_path / "cmp", plots=False)
    assert "bn MMK" in (tmp_path / "cmp" / "findings.md").read_text()
    assert "output lost over the run (bn MMK)" in (tmp_path / "cmp" / "comparison.md").read_text()
    html = build([tmp_path / "cmp"])
    assert "bn MMK" in html
    html = re.sub(r"<section id=\"[^\"]+\"><h2>Parameters</h2>.*?</section>", "", html, flags=re.S)
    text = {p.name: p.read_text(errors="replace") for d in (*folders, tmp_path / "cmp") for p in Path(d).rglob("*")
            if p.is_file() and p.suffix in (".json", ".md", ".csv", ".toml")}
    # plotly.js (inlined once) knows every country of the world; the figures' own scripts are kept
    text["report.html"] = re.sub(r"<script[^>]*>.*?</script>", lambda m: m[0] if len(m[0]) < 100_000 else "", html,
                                 flags=re.S)
    assert "Plotly.newPlot" in text["report.html"] and "Thailand" in text["report.html"]
    for name, body in text.items():
        for word in re.findall(r"\bRUB\b|\bRU\b|\w+_rub\b|\w+_rub_\w+|\w+_ru\b|Russia", body):
            raise AssertionError(f"{name} says {word!r}")


def test_the_irregular_crossings_are_named_by_their_border_not_their_id():
    """Reports and dashboard charts name a route by `labels.label`: an irregular crossing by the `border` of
    illegal_routes.csv (not `moei river`, its id in words)."""
    from exitvoice.labels import label

    pack = load_pack("myanmar")
    assert pack.illegal_routes is not None and len(pack.illegal_routes)
    for r in pack.illegal_routes.itertuples():
        name = label("crossing:" + r.route_id.split(":", 1)[1], "myanmar")
        assert r.border.split(": ", 1)[-1] in name and "(irregular)" in name and name.endswith("→ Thailand"), name
