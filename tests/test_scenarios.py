"""Every shipped scenario runs, conserves people, and the baselines (russia-2022, myanmar-2024) match their stored
summaries."""

import json
from pathlib import Path

import pytest

from exitvoice import Scenario, run
from exitvoice.pack import load_pack
from exitvoice.results import comparable_summary as _comparable
from exitvoice.units import current_names

ROOT = Path(__file__).resolve().parents[1]
BASELINES = {name: Path(__file__).parent / "baseline" / f"{name}.json" for name in ("russia-2022", "myanmar-2024")}
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario_runs_whole_population_and_conserves(path):
    sc = Scenario.from_toml(path)
    res = run(sc, check=True)  # check=True verifies conservation every day
    assert res.summary["population"] == load_pack(sc.scenario.country).declarations["population.total"].default
    if path.stem in BASELINES:
        baseline = BASELINES[path.stem]
        got = _comparable(res.summary)
        assert baseline.exists(), "missing baseline: run `python scripts/update_baseline.py`"
        # a baseline stored with the outputs' earlier names (`output_loss_rub_cumulative`) reads as today's
        assert got == current_names(json.loads(baseline.read_text())), (
            f"{path.stem} no longer matches {baseline.relative_to(ROOT)}; if the change is intended, regenerate it "
            "with `python scripts/update_baseline.py` and say why in the commit")
