"""Every shipped scenario runs, conserves people, and russia-2022 matches its stored baseline."""

import json
from pathlib import Path

import pytest

from exitvoice import Scenario, run
from exitvoice.results import comparable_summary as _comparable

ROOT = Path(__file__).resolve().parents[1]
BASELINE = Path(__file__).parent / "baseline" / "russia-2022.json"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario_runs_whole_population_and_conserves(path):
    res = run(Scenario.from_toml(path), check=True)  # check=True verifies conservation every day
    assert res.summary["population"] == 146_980_061
    if path.stem == "russia-2022":
        got = _comparable(res.summary)
        assert BASELINE.exists(), "missing baseline: run `python scripts/update_baseline.py`"
        assert got == json.loads(BASELINE.read_text()), (
            "russia-2022 no longer matches tests/baseline/russia-2022.json; if the change is intended, "
            "regenerate it with `python scripts/update_baseline.py` and say why in the commit")
