"""`exitvoice compare` end to end, and its metrics."""

import json
import re
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


def test_stopped_and_caught_are_the_sums_of_their_series_at_the_origin():
    """People stopped at the official exits: every screen's series (`stopped_*`) at the origin, summed over the run;
    caught on illegal routes: `illegal_caught` at the origin (not its split by destination or route)."""
    sc = Scenario.from_dict({"scenario": {"name": "h", "start": "2022-09-14", "end": "2022-09-16"}})
    dates = pd.date_range("2022-09-14", periods=3)
    zeros = np.zeros((2, 3))
    series = {("cum_departures", "RU"): zeros, ("mobilised_cum", "RU"): zeros, ("abroad_stock", "RU"): zeros,
              ("passports_issued", "RU"): zeros,
              ("stopped_exit_ban", "RU"): zeros + [[1, 2, 3], [0, 0, 1]],
              ("stopped_closure", "RU"): zeros + [[10, 0, 0], [0, 5, 0]],
              ("illegal_caught", "RU"): zeros + [[4, 0, 1], [2, 2, 2]],
              ("illegal_caught", "KZ"): zeros + [[4, 0, 1], [2, 2, 2]],
              ("illegal_caught", "crossing:x"): zeros + [[4, 0, 1], [2, 2, 2]]}
    m = case_metrics(Case("h", sc, Simulated(dates, series, 2), "test"))
    assert m.stopped_at_border.tolist() == [16, 6] and m.illegal_caught.tolist() == [5, 6]
    del series[("illegal_caught", "RU")], series[("illegal_caught", "KZ")], series[("illegal_caught", "crossing:x")]
    m = case_metrics(Case("h", sc, Simulated(dates, series, 2), "test"))
    assert "illegal_caught" not in m  # a pack without illegal routes has no such row


def test_compare_shows_people_stopped_at_the_exits_and_caught_crossing_irregularly(pair, tmp_path):
    """Open against exit banned to men 18–55 (enforcement 0.95) on the russia pack's regions of Astrakhan and North
    Ossetia: banned, some are stopped at the official exits, and some who take the green borders are caught; open,
    neither."""
    a, b = pair
    b.write_text(b.read_text().replace("enforcement = 1.0", "enforcement = 0.95"))
    out = tmp_path / "cmp"
    r = exitvoice("compare", a, b, "--out", out, "--no-plots")
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(out / "comparison.csv").set_index(["metric", "scenario"]).q50
    for m in ("stopped_at_border", "illegal_caught"):
        assert t[(m, "open")] == 0 and t[(m, "closed")] > 0
    table = (out / "comparison.md").read_text()
    screen = " ".join(r.stdout.split())
    for label in ("people stopped at the official exits", "people caught crossing irregularly"):
        assert f"| {label} |" in table and label in screen
    findings = (out / "findings.md").read_text()
    assert "stopped at the official exits" in findings and "caught crossing irregularly" in findings


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


def _case(name: str, **metrics) -> Case:
    """A case with the given member table (one value a member), no series."""
    sc = Scenario.from_dict({"scenario": {"name": name, "start": "2022-09-14", "end": "2022-09-20"}}, source="t")
    n = len(next(iter(metrics.values())))
    return Case(name, sc, Simulated(pd.DatetimeIndex([]), {}, n), "t",
                metrics=pd.DataFrame({k: np.asarray(v, float) for k, v in metrics.items()}))


def _against(ref: Case, other: Case, what: str) -> str:
    """The part of the findings' line against the reference about one metric (`what`, as the findings say it)."""
    from exitvoice.compare import Comparison, findings_text

    line = [x for x in findings_text(Comparison([ref, other])).splitlines() if x.startswith(f"- **{other.name}**")][-1]
    parts = [p for p in re.split(r"; (?![^()]*\))", line.split(": ", 1)[1].rstrip(".")) if what in p]
    assert len(parts) == 1, line
    return parts[0]


@pytest.mark.parametrize("ref, other, expected", [
    # every paired member higher, bands overlap, 2 members: the direction, never "about the same"
    ([1_353_000, 1_355_000], [1_357_000, 1_359_000], r"^0\.3% more mobilised \(.*higher in 2 of 2 paired members\)$"),
    # 10 members all lower, bands apart: clear, with the count
    (np.linspace(100, 110, 10), np.linspace(80, 90, 10),
     r"^\d+% fewer mobilised \(.*, clear; lower in 10 of 10 paired"),
    # 10 members, a tiny change all one way, bands overlap: the direction, within the spread, every pair on one side
    (np.linspace(1000, 1100, 10), np.linspace(1000, 1100, 10) + 1, r"^<0\.1% more mobilised \(.*within the spread; "
     r"higher in 10 of 10 paired members\)$"),
    # members on both sides and bands that overlap: about the same, whatever the medians say
    ([100, 200, 150, 120], [190, 110, 160, 130],
     r"^about the same mobilised \(.*at the median; higher in 3, lower in 1 of 4 paired members\)$"),
    (np.r_[np.linspace(100, 200, 10)], np.r_[np.linspace(100, 200, 10)[::-1]] + 0.5,
     r"^about the same mobilised \(.*within the spread; higher in 5, lower in 5 of 10 paired members\)$"),
    # every member the same: the same, no direction
    ([28, 28, 28], [28, 28, 28], r"^the same mobilised \(28 vs 28, equal in all 3 paired members\)$"),
    # single runs: no spread, the change as it is
    ([1000], [1200], r"^20% more mobilised \(1,200 vs 1,000\)$"),
    ([1000], [1002], r"^about the same mobilised \(1,002 vs 1,000\)$"),
])
def test_findings_words_follow_the_evidence_of_the_members(ref, other, expected):
    text = _against(_case("ref", mobilised=ref), _case("other", mobilised=other), "mobilised")
    assert re.search(expected, text), text


def test_findings_never_contradict_the_paired_members():
    """Over many member tables: "about the same" never sits beside "higher (lower) in N of N", and a direction
    never disagrees with the pairs."""
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.choice([2, 3, 5, 10, 12]))
        ref = rng.normal(1000, rng.choice([1, 30]), n).round()
        other = ref + rng.normal(rng.choice([-20, 0, 0.4, 20]), rng.choice([0.5, 30]), n).round()
        text = _against(_case("ref", mobilised=ref), _case("other", mobilised=other), "mobilised")
        all_up, all_down = f"higher in {n} of {n}" in text, f"lower in {n} of {n}" in text
        if all_up or all_down:
            assert "about the same" not in text and "the same" not in text.split(" (")[0], text
            assert ("more" if all_up else "fewer") in text.split(" (")[0], text
        if text.startswith("about the same"):
            assert "higher in" in text and "lower in" in text, text  # members on both sides


def test_findings_bands_never_mix_units():
    from exitvoice.compare import people_band

    assert people_band(8_002, 9_300, 10_428) == "9,300 [8,002–10,428]"  # not "[8,002–10 thousand]"
    assert people_band(158_000, 163_000, 167_000) == "163 thousand [158–167 thousand]"
    assert people_band(1_950_000, 1_980_000, 2_010_000) == "1.98 million [1.95–2.01 million]"
    assert people_band(22, 22, 22) == "22"


def test_a_narrow_band_is_shown_in_the_compare_table():
    from rich.console import Console

    from exitvoice.cli import _comparison_table
    from exitvoice.compare import Comparison

    agree = _case("agree", days_to_fill=[28, 28, 28], quota_fill=[1.081, 1.082, 1.083], left=[500, 501, 502],
                  output_loss_pct_end=[-0.02, 0.0, 0.01], share_filled=[1, 1, 1])
    spread = _case("spread", days_to_fill=[20, 25, 30], quota_fill=[0.9, 1.0, 1.1], left=[100, 300, 900],
                   output_loss_pct_end=[0.1, 0.2, 0.3], share_filled=[1, 0, 1])
    wide = Comparison([agree, spread]).wide()
    assert wide.loc["days to fill the quota", "agree"] == "28 [28–28]"  # a band of zero width is still a band
    assert wide.loc["quota fill (headline call-up)", "agree"] == "1.08 [1.08–1.08]"
    assert wide.loc["left (departures of leavers)", "agree"] == "501 [500–502]"
    assert wide.loc["output loss at the end (% of GDP)", "agree"] == "0.00 [-0.02 to 0.01]"  # no dash after a minus
    assert wide.loc["share of members that fill the quota", "spread"] == "0.67"  # a share, not a band
    single = Comparison([_case("one", days_to_fill=[28]), _case("two", days_to_fill=[30])]).wide()
    assert single.loc["days to fill the quota"].tolist() == ["28", "30"]  # a single run has no band
    for width in (80, 200):  # the narrow layout (a row per scenario) and the wide one
        console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
        console.print(_comparison_table(wide.rename(columns=lambda c: c * 12), "title", width))
        text = console.export_text()
        for shown in ("28–28", "1.08–1.08", "500–502", "-0.02 to 0.01"):
            assert shown in text, (width, shown, text)
        assert max(len(line) for line in text.splitlines()) <= width
