"""`exitvoice compare` end to end, and its metrics."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import write_scenario
from exitvoice.compare import Case, band, case_metrics
from exitvoice.scenario import Scenario
from exitvoice.validate import Simulated

BAN = ('[[policy]]\ntype = "exit_ban"\nstart = 2022-09-21\nenforcement = 1.0\n'
       'who = { sex = "male", age_min = 18, age_max = 55 }\n')


def exitvoice(*args):
    return subprocess.run([sys.executable, "-m", "exitvoice", *map(str, args)], capture_output=True, text=True)


@pytest.fixture
def pair(tmp_path):
    a = write_scenario(tmp_path / "open.toml", "open", "2022-10-10")
    b = write_scenario(tmp_path / "closed.toml", "closed", "2022-10-10")
    b.write_text(b.read_text() + BAN)
    return a, b


def test_compare_writes_table_findings_and_plots(pair, tmp_path):
    out = tmp_path / "cmp"
    r = exitvoice("compare", *pair, "--ensemble", 3, "--out", out)
    assert r.returncode == 0, r.stderr
    for f in ("comparison.csv", "comparison.json", "comparison.md", "findings.md", "plots/series.png",
              "plots/metrics.png", "runs/open/member_series.parquet", "runs/closed/scenario.json"):
        assert (out / f).is_file(), f
    t = pd.read_csv(out / "comparison.csv")
    assert set(t.scenario) == {"open", "closed"} and (t.members == 3).all()
    ok = t.dropna(subset=["q50"])
    assert (ok.q05 <= ok.q50).all() and (ok.q50 <= ok.q95).all()
    left = t[t.metric == "left"].set_index("scenario").q50
    assert left["closed"] < left["open"]  # closing exit to men of call-up age cuts departures
    j = json.loads((out / "comparison.json").read_text())
    assert [s["name"] for s in j["scenarios"]] == ["open", "closed"]
    findings = (out / "findings.md").read_text()
    assert "**open**" in findings and "**closed**" in findings and "fewer departures" in findings
    assert "lower in 3 of 3 paired members" in findings  # closing exit cuts departures in every paired member
    assert "quota" in r.stdout or "call-up" in r.stdout
    note = (out / "comparison.md").read_text().strip().splitlines()[-1]
    assert note.startswith("Each cell: median [5%–95%] over 3 members; for a 0.0")  # what the cells are


def test_compare_reads_result_folders(pair, tmp_path):
    a, b = pair
    for sc, name in ((a, "ra"), (b, "rb")):
        assert exitvoice("run", sc, "--out", tmp_path / name, "--no-plots").returncode == 0
    r = exitvoice("compare", tmp_path / "ra", tmp_path / "rb", "--out", tmp_path / "cmp", "--no-plots")
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert (t.members == 1).all()
    for args in (("--ensemble", 5), ("--seed", 3), ("--jobs", 2)):  # options of runs, none of which happens here
        r = exitvoice("compare", tmp_path / "ra", tmp_path / "rb", "--out", tmp_path / "cmp2", *args)
        assert r.returncode == 2 and args[0] in r.stderr and "would ignore" in r.stderr, r.stderr
    assert not (tmp_path / "cmp2").exists()


def test_compare_refuses_scenarios_that_do_not_line_up(pair, tmp_path):
    a, _ = pair
    late = write_scenario(tmp_path / "late.toml", "late", "2022-10-20")
    r = exitvoice("compare", a, late, "--out", tmp_path / "x")
    assert r.returncode == 2
    assert "same dates" in r.stderr and "late.toml" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x").exists()
    r = exitvoice("compare", a, a, "--out", tmp_path / "y")
    assert r.returncode == 2 and "same scenario name" in r.stderr
    r = exitvoice("compare", a, tmp_path / "nope.toml", "--out", tmp_path / "z")
    assert r.returncode == 2 and "nope.toml" in r.stderr
    (tmp_path / "empty").mkdir()
    r = exitvoice("compare", a, tmp_path / "empty", "--out", tmp_path / "w")
    assert r.returncode == 2 and "scenario.json" in r.stderr


def test_headline_metrics_by_hand():
    """Two members, a call-up of 100 from day 2: fill, days to fill and departures per recruit."""
    sc = Scenario.from_dict({"scenario": {"name": "h", "start": "2022-09-14", "end": "2022-09-18"},
                             "policy": [{"type": "mobilisation", "start": "2022-09-15", "target": 100}]})
    dates = pd.date_range("2022-09-14", periods=5)
    mob = np.array([[0, 0, 60, 100, 120], [0, 0, 30, 60, 90]], float)
    cum = np.array([[10, 20, 50, 80, 100], [10, 30, 60, 90, 120]], float)
    zeros = np.zeros((2, 5))
    series = {("cum_departures", "RU"): cum, ("mobilised_cum", "RU"): mob, ("abroad_stock", "RU"): cum / 2,
              ("passports_issued", "RU"): zeros + 1, ("queue_wait_hours", "crossing:a"): zeros + [[0, 5, 9, 1, 0]]}
    m = case_metrics(Case("h", sc, Simulated(dates, series, 2), "test"))
    assert m.quota_fill.tolist() == [1.2, 0.9]
    assert m.days_to_fill.iloc[0] == 3 and np.isnan(m.days_to_fill.iloc[1])
    assert m.share_filled.tolist() == [1.0, 0.0]
    assert m.exits_per_recruit.tolist() == pytest.approx([(100 - 10) / 120, (120 - 10) / 90])
    assert m.left_since_callup.tolist() == [90, 110]
    assert m.peak_queue_wait_hours.tolist() == [9, 9] and m.passports_issued.tolist() == [5, 5]
    lo, mid, hi = band(np.array([1.0, 2.0, np.nan]))
    assert mid == 1.5 and lo < mid < hi


def test_compare_with_a_posterior_uses_its_sets_in_every_scenario(pair, tmp_path):
    post = tmp_path / "posterior.csv"
    post.write_text("exit.beta_risk\n20\n120\n")
    out = tmp_path / "cmp"
    r = exitvoice("compare", *pair, "--ensemble", 2, "--posterior", post, "--out", out, "--no-plots")
    assert r.returncode == 0, r.stderr
    for name in ("open", "closed"):
        m = pd.read_parquet(out / "runs" / name / "members.parquet")
        assert m["exit.beta_risk"].tolist() == [20.0, 120.0]


def test_result_folders_of_earlier_versions_are_read_under_the_new_names(tmp_path):
    """A run folder and a comparison written before the outputs had country-neutral names (`cum_departures_ru`,
    `output_loss_rub_*`) are compared and reported like new ones, with the same figures."""
    from exitvoice.api import run
    from exitvoice.compare import compare, read_case
    from exitvoice.folders import load
    from exitvoice.report import build
    from exitvoice.units import RENAMED

    sc = Scenario.from_toml(write_scenario(tmp_path / "a.toml", "a", "2022-10-05"))
    new = run(sc, seed=3, progress=None).write(tmp_path / "new", plots=False)
    import shutil

    old = tmp_path / "old"
    shutil.copytree(new, old)
    back = {v: k for k, v in RENAMED.items()}
    ts = pd.read_parquet(old / "timeseries.parquet")
    ts["quantity"] = ts.quantity.astype(str).map(lambda q: back.get(q, q))
    assert {"cum_departures_ru", "output_loss_rub_per_day"} <= set(ts.quantity)
    ts.to_parquet(old / "timeseries.parquet", index=False)
    summary = json.loads((old / "summary.json").read_text())
    for block in ("totals", "economy"):
        summary[block] = {back.get(k, k): v for k, v in summary[block].items()}
    assert "output_loss_rub_cumulative" in summary["totals"]
    (old / "summary.json").write_text(json.dumps({**summary, "scenario": "a-old"}))
    resolved = json.loads((old / "scenario.json").read_text())
    resolved["scenario"]["name"] = "a-old"  # a name of its own, to be compared with the new folder
    (old / "scenario.json").write_text(json.dumps(resolved))
    a, b = case_metrics(read_case(new)), case_metrics(read_case(old))
    pd.testing.assert_frame_equal(a, b)
    assert "output_loss_cumulative" in a.columns
    pd.testing.assert_frame_equal(load(new).table.drop(columns="scenario"), load(old).table.drop(columns="scenario"))
    cmp = compare([new, old], progress=None)
    cmp.write(tmp_path / "cmp", plots=False)
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    table["metric"] = table.metric.map(lambda m: back.get(m, m))  # a comparison of an earlier version
    table.to_csv(tmp_path / "cmp" / "comparison.csv", index=False)
    assert set(load(tmp_path / "cmp").table.metric) >= {"output_loss_cumulative", "left"}
    assert "output lost over the run (bn RUB)" in build([old, tmp_path / "cmp"])
