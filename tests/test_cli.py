"""The CLI end to end, as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

SMALL = """
[scenario]
name = "cli-small"
start = 2022-09-14
end = 2022-10-10

[population]
scale = 0.05
regions = ["SE", "AST", "MOW"]

[[policy]]
type = "mobilisation"
start = 2022-09-21
target = 300000
"""


def exitvoice(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "exitvoice", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


@pytest.fixture
def small(tmp_path):
    p = tmp_path / "small.toml"
    p.write_text(SMALL)
    return p


def test_run_writes_every_output(small, tmp_path):
    out = tmp_path / "r1"
    r = exitvoice("run", small, "--out", out, "--seed", 7, "--plots")
    assert r.returncode == 0, r.stderr
    for f in ("summary.json", "timeseries.parquet", "regions.parquet", "cells.parquet", "scenario.toml"):
        assert (out / f).is_file()
    assert len(list((out / "plots").glob("*.png"))) >= 4
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 7 and summary["scenario"] == "cli-small"
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == ["date", "quantity", "geography", "value", "unit"]
    assert {"daily_entries", "cum_entries", "abroad_stock", "mobilised_cum", "queue_wait_hours",
            "flight_price"} <= set(ts.quantity)
    assert "left" in r.stdout


def test_run_draws_plots_only_when_asked(small, tmp_path):
    out = tmp_path / "r0"
    r = exitvoice("run", small, "--out", out)
    assert r.returncode == 0, r.stderr
    assert not (out / "plots").exists()
    assert "--plots" in r.stdout and "exitvoice report" in r.stdout


def test_same_seed_same_files(small, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert exitvoice("run", small, "--out", a, "--seed", 3, "--no-plots").returncode == 0
    assert exitvoice("run", small, "--out", b, "--seed", 3, "--no-plots").returncode == 0
    for f in ("timeseries.parquet", "regions.parquet", "cells.parquet"):
        assert (a / f).read_bytes() == (b / f).read_bytes()


def test_set_overrides_parameters_and_policy_fields(small, tmp_path):
    out = tmp_path / "r"
    r = exitvoice("run", small, "--out", out, "--no-plots", "--set", "exit.beta_risk=0",
                  "--set", "mobilisation.target=1000", "--allow-outside-range")
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["parameters_changed"] == {"exit.beta_risk": 0}
    # a regional run: the national target of 1,000 falls to the regions simulated by their share of the call-up
    (scaled,) = s["coverage"]["figures_for_regions"]
    assert scaled["national"] == 1000 and 0 < s["totals"]["quota_target"] == round(scaled["regions"]) < 1000
    assert s["warnings"] == ["exit.beta_risk = 0 is outside its declared range [5, 500] per unit risk"]
    assert "warning" in r.stdout and "exit.beta_risk = 0" in r.stdout
    r = exitvoice("run", small, "--out", tmp_path / "given", "--no-plots", "--set", "mobilisation.target=1000",
                  "--set", 'mobilisation.figures_for="regions"')  # the target is for the regions: used as given
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "given" / "summary.json").read_text())["totals"]["quota_target"] == 1000


@pytest.mark.parametrize("edit,field", [
    (("target = 300000", "target = -5"), "policy[0].target"),
    (("target = 300000", "target = 1\ncolour = 1"), "policy[0].colour"),
    (('type = "mobilisation"', 'type = "draft_lottery"'), "policy[0].type"),
    (("end = 2022-10-10", "end = 2022-09-01"), "scenario"),
    (('regions = ["SE", "AST", "MOW"]', 'regions = ["SE", "ATLANTIS"]'), "population.regions"),
    (("[[policy]]", '[parameters]\n"exit.beta_rsk" = 1\n[[policy]]'), "exit.beta_rsk"),
    (("start = 2022-09-21", "start = 2022-13-45"), None),
])
def test_bad_input_exits_2_names_the_field_and_writes_nothing(small, tmp_path, edit, field):
    small.write_text(SMALL.replace(*edit))
    out = tmp_path / "never"
    r = exitvoice("run", small, "--out", out)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert str(small) in r.stderr.replace("\n", "")
    if field:
        assert field in r.stderr.replace("\n", "")
    assert not out.exists()
    assert not list(tmp_path.glob(".never*"))


def test_bad_set_exits_2(small, tmp_path):
    r = exitvoice("run", small, "--out", tmp_path / "x", "--set", "nonsense.param=3")
    assert r.returncode == 2 and "nonsense.param" in r.stderr
    r = exitvoice("run", small, "--out", tmp_path / "x", "--set", "exit_ban.enforcement=1")
    assert r.returncode == 2 and "no policy of this type" in r.stderr
    assert not (tmp_path / "x").exists()


def test_missing_file_and_existing_output(small, tmp_path):
    r = exitvoice("run", tmp_path / "nope.toml")
    assert r.returncode == 2 and "no such scenario file" in r.stderr
    out = tmp_path / "exists"
    out.mkdir()
    r = exitvoice("run", small, "--out", out)
    assert r.returncode == 2 and "--force" in r.stderr


def test_params_regions_and_check(small):
    assert "exit.beta_risk" in exitvoice("params", "exit.").stdout
    assert "MOW" in exitvoice("regions").stdout
    r = exitvoice("check", small)
    assert r.returncode == 0 and "ok" in r.stdout


def test_shipped_scenarios_validate():
    root = Path(__file__).resolve().parents[1] / "scenarios"
    files = sorted(root.glob("*.toml"))
    assert files
    for f in files:
        assert exitvoice("check", f).returncode == 0
