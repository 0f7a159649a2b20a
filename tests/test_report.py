"""`exitvoice report`: one self-contained HTML file for a run, an ensemble, a comparison and a validation folder."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_scenario
from exitvoice import compare, run
from exitvoice.ensemble import run_ensemble
from exitvoice.errors import ExitvoiceError
from exitvoice.report import FIT_CHARTS, band_label, build, write_report
from exitvoice.scenario import Scenario

SECTIONS = ("Findings in plain words", "Scenario and policy timeline", "Headline numbers",
            "Flows by destination and route", "Queues and fares", "The call-up against its quota",
            "Economy and voice", "Validation scorecard", "Parameters")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    a = write_scenario(base / "a.toml", "rep-a", "2022-10-05", regions=("SE", "AST", "MOW"))
    b = write_scenario(base / "b.toml", "rep-b", "2022-10-05", regions=("SE", "AST", "MOW"), mobilisation=False)
    run(a, seed=3, progress=None).write(base / "run")
    run_ensemble(Scenario.from_toml(a), 3, seed=3, posterior=None).write(base / "ens", plots=False)  # seed noise
    compare([a, b], ensemble=2, progress=None, posterior=None).write(base / "cmp", plots=False)
    return base


def exitvoice(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "exitvoice", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def test_report_of_a_run_is_self_contained_with_every_section(folders, tmp_path):
    out = tmp_path / "report.html"
    r = exitvoice("report", folders / "run", "--out", out)
    assert r.returncode == 0, r.stderr
    assert str(out) in r.stdout
    text = out.read_text()
    for s in SECTIONS:
        assert f"<h2>{s}</h2>" in text, s
    assert not re.search(r"<script[^>]+src=", text)  # nothing fetched: plotly.js is inlined
    assert "cdn.plot.ly" not in text.split("</script>", 1)[1]
    assert text.count("Plotly.newPlot") >= 10
    assert "Kazakhstan (KZ)" in text and "Abkhazia (AB)" in text  # destinations by name
    assert "single run: no band" in text


def test_report_of_an_ensemble_says_what_its_bands_include(folders):
    text = build([folders / "ens"])
    assert "over 3 members" in text and "randomness of the simulation" in text
    assert "not the uncertainty of the parameters" in text


def test_report_of_a_comparison_overlays_its_scenarios_and_keeps_its_findings(folders):
    text = build([folders / "cmp"])
    assert "Comparison: rep-a, rep-b" in text
    assert "Against <b>rep-a</b>" in text  # the stored findings.md
    for s in SECTIONS[:-2]:
        assert f"<h2>{s}</h2>" in text, s
    titles = [json.loads(f'"{t}"').replace("<br>", " ") for t in re.findall(r'"text":"([^"]*)"', text)]
    for title in ("Workers lost by sector on the last day (net of remote work)", "Where leavers went over the run",
                  "Crossings by route over the run (land crossings and flights to each destination; leavers and "
                  "travellers)", "Where people go: regions of origin, crossings and destinations over the run "
                  "(size: people; lines: flows by land and by air)"):
        assert f"{title} · rep-a" in titles, title  # whose, of the two


def test_report_of_a_validation_folder_shows_the_scorecard_with_sources(folders, tmp_path):
    r = exitvoice("validate", folders / "run", "--out", tmp_path / "val")
    assert r.returncode == 0, r.stderr
    text = build([tmp_path / "val"])
    assert "<h2>Validation scorecard</h2>" in text
    assert "https://" in text.split("Every scored observation", 1)[1]  # each observation with its source
    assert "median absolute log ratio (median_abs_log_ratio)" in text  # scores in words, with their key


def test_validating_a_regional_run_says_plainly_it_is_not_like_for_like(folders, tmp_path):
    r = exitvoice("validate", folders / "run", "--out", tmp_path / "val")
    assert r.returncode == 0, r.stderr
    err = " ".join(r.stderr.split())
    assert "warning:" in err and "only part of the country" in err and "not like for like" in err
    assert "3 of the 83 regions" in err
    (warning,) = json.loads((tmp_path / "val" / "scorecard.json").read_text())["warnings"]
    assert "not like for like" in warning
    assert " ".join((r.stdout + r.stderr).split()).count("not like for like") == 1  # said once, not twice
    assert "validation against the calibration observations (a single run)" in " ".join(r.stdout.split())
    assert "<b>Warning:</b> the run covers only part of the country" in build([tmp_path / "val"])
    assert "not like for like" in build([folders / "run"])  # scored on the spot: the same warning


def test_a_whole_country_run_gets_no_such_warning():
    from exitvoice import regional

    sc = Scenario.from_dict({"scenario": {"name": "w", "start": "2022-09-14", "end": "2022-09-20"},
                             "population": {"scale": 0.01}}, source="t")
    assert regional.national_comparison_warning(sc) is None


def test_several_folders_in_one_report(folders):
    text = build([folders / "run", folders / "ens"])
    assert "Run: rep-a" in text and "Ensemble: rep-a" in text
    # plotly.js once, then one call per chart, and the script that fits the charts to the page once
    assert text.count("<script") == 2 + text.count("Plotly.newPlot")


def test_report_of_a_folder_that_is_not_a_result_is_exit_2(tmp_path):
    (tmp_path / "junk").mkdir()
    r = exitvoice("report", tmp_path / "junk", "--out", tmp_path / "r.html")
    assert r.returncode == 2
    assert "not a result folder of exitvoice" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "r.html").exists()


def test_report_replaces_only_its_own_file(folders, tmp_path):
    out = tmp_path / "r.html"
    out.write_text("my notes")
    r = exitvoice("report", folders / "run", "--out", out)
    assert r.returncode == 2 and "--force" in r.stderr
    r = exitvoice("report", folders / "run", "--out", out, "--force")
    assert r.returncode == 2 and "not written by exitvoice" in r.stderr
    assert out.read_text() == "my notes"
    write_report([folders / "run"], tmp_path / "own.html")
    r = exitvoice("report", folders / "run", "--out", tmp_path / "own.html", "--force")
    assert r.returncode == 0, r.stderr


def test_report_into_a_folder_that_does_not_exist_is_refused(folders, tmp_path):
    out = tmp_path / "nowhere" / "deeper" / "report.html"
    r = exitvoice("report", folders / "run", "--out", out)
    assert r.returncode == 2, r.stdout
    assert "does not exist" in r.stderr and "--out" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "nowhere").exists()  # nothing created
    with pytest.raises(ExitvoiceError, match="does not exist"):
        write_report([folders / "run"], out)
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("values, members, sets, expected", [
    ([5.0], 1, 1, "single run: no band"),
    ([5.0, 5.0, 5.0], 3, 1, "3 members, band collapsed: seed noise only and all members agree"),
    ([5.0, 5.0], 2, 2, "2 members over 2 parameter sets, band collapsed: all members agree"),
    ([1000.0, 2000.0, 3000.0], 3, 1, "1,100–2,900 (5%–95% of 3 members)"),
])
def test_band_labels_say_what_a_band_is(values, members, sets, expected):
    import numpy as np

    assert band_label("left", np.array(values), members, sets) == expected


def test_a_collapsed_ensemble_band_is_not_called_a_single_run(folders):
    text = build([folders / "ens"])
    cards = re.findall(r'<div class="card"><span>([^<]*)</span><b>[^<]*</b><span>([^<]*)</span>', text)
    assert cards and all("single run" not in band for _, band in cards)
    assert "single run: no band" in build([folders / "run"])


def test_charts_show_every_day_of_the_run_and_keep_the_toolbar_off_their_titles(folders):
    from exitvoice.charts import MODEBAR_PX, bars, callup_chart, series_chart, totals_by
    from exitvoice.folders import load

    sim = load(folders / "run").cases[0].sim
    for fig in (series_chart([("a", sim)], "daily_departures", ["RU"], "Departures", "persons per day"),
                callup_chart([("a", sim)], {"a": 1000.0})):
        assert [str(x)[:10] for x in fig.layout.xaxis.range] == [str(sim.dates[0].date()), str(sim.dates[-1].date())]
    long_title = "Crossings by route over the run (land crossings and flights to each destination; leavers)"
    for fig in (series_chart([("a", sim)], "daily_departures", ["RU"], long_title, "persons per day"),
                bars(totals_by(sim, "daily_left"), long_title, "persons")):
        title = fig.layout.title
        assert title.yref == "container" and (1 - title.y) * fig.layout.height >= MODEBAR_PX - 1e-9
        assert "<br>" in title.text  # wrapped, not run under the legend
        assert fig.layout.margin.t >= MODEBAR_PX + 20 * (title.text.count("<br>") + 1)


def test_report_charts_fit_their_place_in_a_real_browser(folders, tmp_path):
    from test_dashboard import BROWSER_ARGS, CHROMIUM, browser

    sync_api = browser()
    out = write_report([folders / "run"], tmp_path / "r.html")
    assert FIT_CHARTS.strip() in out.read_text()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            page = b.new_page(viewport={"width": 1300, "height": 900})
            page.goto(out.as_uri())
            page.wait_for_load_state("load")
            page.wait_for_timeout(1500)
            fits = page.evaluate("""() => Array.from(document.querySelectorAll('.plotly-graph-div')).map((d) => {
                const svg = d.querySelector('.main-svg');
                const box = d.parentElement.getBoundingClientRect();
                const xa = d._fullLayout && d._fullLayout.xaxis;
                return {id: d.id, svg: svg ? svg.getBoundingClientRect().width : 0, cell: box.width,
                        date: xa && xa.type === 'date' ? String(xa.range[1]).slice(0, 10) : null};
            })""")
        finally:
            b.close()
    last = str(load_dates(folders / "run")[-1].date())
    assert len(fits) >= 10
    for f in fits:
        if f["cell"] > 0:  # drawn (charts inside closed <details> have no width yet)
            assert f["svg"] <= f["cell"] + 1, f  # the whole chart is visible: not wider than its place
    dated = [f for f in fits if f["date"] and f["id"] != "fig1"]  # fig1: the policy timeline
    assert dated and all(f["date"] == last for f in dated), dated  # every dated chart runs to the last day


def load_dates(folder: Path):
    from exitvoice.folders import load

    return load(folder).cases[0].sim.dates


def test_the_demo_ends_with_what_it_found_read_from_the_results(folders, tmp_path):
    import shutil

    from exitvoice.compare import band
    from exitvoice.compare import people_words as _people
    from exitvoice.folders import load

    run_folder = tmp_path / "run"
    shutil.copytree(folders / "run", run_folder)
    assert exitvoice("validate", run_folder).returncode == 0
    r = subprocess.run([sys.executable, "-m", "exitvoice.verdict", run_folder, folders / "cmp"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert 2 <= len(lines) <= 4, lines
    left = band(load(run_folder).cases[0].metrics["left"].to_numpy())[1]
    assert f"{_people(left)} left by 5 Oct 2022" in lines[0] and "a single run, so no band" in lines[0]
    assert "the call-up of" in lines[0] and "from 21 Sep 2022" in lines[0]
    scores = json.loads((run_folder / "validation" / "scorecard.json").read_text())
    assert lines[1].startswith("Against the 2022 observations") and f"{scores['median_abs_log_ratio']:.2f}" in lines[1]
    assert "not like for like" in lines[1]  # a regional run: the warning travels with the scores
    assert lines[2].startswith("The comparison (2 scenarios, 2 members each)") and "rep-a" in lines[2] \
        and "rep-b" in lines[2]
    recipe = Path(__file__).parents[1].joinpath("Makefile").read_text().split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert recipe.rstrip().splitlines()[-1].strip().endswith(
        "-m exitvoice.verdict results/russia-2022 results/wave2")  # the demo's last words


def test_the_report_says_what_an_ensembles_band_includes(tmp_path):
    sc = Scenario.from_toml(write_scenario(tmp_path / "b.toml", "bands", "2022-09-26"))
    run_ensemble(sc, 2, seed=1, draw_priors=["economy"], posterior=None).write(tmp_path / "ens", plots=False)
    html = (write_report([tmp_path / "ens"], tmp_path / "r.html")).read_text()
    assert "They include: seed noise + priors of" in html and "calibration posterior" not in html
    run_ensemble(sc, 2, seed=1, posterior=None).write(tmp_path / "seed", plots=False)
    html = (write_report([tmp_path / "seed"], tmp_path / "s.html")).read_text()
    assert "They include: seed noise only (the randomness of the simulation, not the uncertainty" in html


def _cli_rows(stdout: str) -> dict[str, list[str]]:
    """The rows of the table `exitvoice compare` printed: label → cells."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if line.startswith("│") and len(cells) > 2 and cells[0]:
            rows[cells[0]] = cells[1:]
    return rows


def test_the_report_of_a_comparison_shows_the_numbers_compare_printed(tmp_path):
    # A 2% sample: the runs the comparison writes hold whole people of the sample, so protest and detentions
    # recomputed from them (0.4 protesters a day rounds to 0, then ×50) differ from the members' exact values
    a = write_scenario(tmp_path / "a.toml", "same-a", "2022-10-20", regions=("SE", "AST", "MOW"))
    b = write_scenario(tmp_path / "b.toml", "same-b", "2022-10-20", regions=("SE", "AST", "MOW"), mobilisation=False)
    r = subprocess.run([sys.executable, "-m", "exitvoice", "compare", a, b, "--ensemble", "2", "--out",
                        tmp_path / "cmp", "--no-plots"], capture_output=True, text=True,
                       env={**__import__("os").environ, "COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    printed = _cli_rows(r.stdout)
    text = build([tmp_path / "cmp"])
    head = text.split("<h2>Headline numbers</h2>", 1)[1].split("</section>", 1)[0]
    shown = {html_row[0]: html_row[1:] for html_row in (
        [re.sub("<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        for tr in re.findall(r"<tr>(.*?)</tr>", head)) if html_row}
    for label in ("protesters on the peak day", "protest participations (person-days)", "detained at protests",
                  "workers lost at the end", "left (departures of leavers)", "quota fill (headline call-up)"):
        assert shown[label] == printed[label], label
    cards = dict(re.findall(r'<div class="card"><span>([^<]*)</span><b>([^<]*)</b>', head))
    assert cards["same-a: protesters on the peak day"] == printed["protesters on the peak day"][0].split(" [")[0]


def test_charts_of_a_regional_sample_name_what_it_covers_not_russia(folders):
    text = build([folders / "run"])
    assert '"name":"Russia"' not in text  # the run covers three regions, not the country
    names = [json.loads(f'"{n}"').replace("<br>", " ") for n in re.findall(r'"name":"(regions: [^"]*)"', text)]
    covers = "regions: Republic of North Ossetia-Alania, Astrakhan Oblast, Moscow (city) · 2% sample, scaled up"
    assert names.count(covers) >= 5  # departures, output loss, protest, detentions, opponents abroad


def test_the_scorecard_names_every_geography(folders):
    from exitvoice.labels import label

    assert label("crossing:fi_southeast_imatra_nuijamaa_vaalimaa") == \
        "Torfyanovka + Brusnichnoye + Svetogorsk → Finland"  # a group the Finnish Border Guard reports together
    text = build([folders / "run"]).split("<h2>Validation scorecard</h2>", 1)[1].split("<h2>Parameters</h2>")[0]
    assert "crossing:" not in text and "Kazakhstan (KZ)" in text


def test_the_report_of_an_ensemble_shows_the_numbers_run_printed(folders):
    from rich.console import Console

    from exitvoice.cli import _ensemble_table

    console = Console(width=160, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(_ensemble_table(json.loads((folders / "ens" / "summary.json").read_text())))
    printed = _cli_rows(console.export_text())
    head = build([folders / "ens"]).split("<h2>Headline numbers</h2>", 1)[1].split("</section>", 1)[0]
    shown = dict(re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">([^<]*)</td></tr>", head))
    for label in ("left (departures of leavers)", "abroad at the end", "mobilised (all call-ups)",
                  "workers lost at the end", "protesters on the peak day", "detained at protests"):
        low, median, high = printed[label]
        assert shown[label] in (median, f"{median} [{low}–{high}]"), label  # the summary's figures, not recomputed


def test_the_share_of_members_that_fill_the_quota_is_a_share():
    from types import SimpleNamespace

    import pandas as pd

    from exitvoice.compare import Comparison, metric_band

    metrics = pd.DataFrame({"share_filled": [1.0, 1.0, 0.0], "left": [10.0, 20.0, 30.0]})
    assert metric_band(metrics, "share_filled") == pytest.approx((2 / 3,) * 3)  # not a median of 1, "band" 0.1–1
    case = SimpleNamespace(name="x", metrics=metrics, sim=SimpleNamespace(members=3))
    assert Comparison([case]).wide().loc["share of members that fill the quota", "x"] == "0.67"


def test_a_comparison_without_its_runs_shows_its_stored_table_in_words(folders, tmp_path):
    import shutil

    import pandas as pd

    from exitvoice.compare import Comparison

    shutil.copytree(folders / "cmp", tmp_path / "cmp", ignore=shutil.ignore_patterns("runs"))
    text = build([tmp_path / "cmp"])
    assert "Comparison: rep-a, rep-b" in text  # the scenarios' names, not the folder's
    head = text.split("<h2>Headline numbers</h2>", 1)[1].split("</section>", 1)[0]
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", head)]
    shown = {r[0]: r[1:] for r in rows if r}
    currency = json.loads((folders / "cmp" / "comparison.json").read_text())["currency"]  # money named: RUB
    wide = Comparison([], stored=pd.read_csv(folders / "cmp" / "comparison.csv"), stored_currency=currency).wide()
    assert "output lost over the run (bn RUB)" in wide.index
    for label, row in wide.iterrows():
        assert shown[label] == list(row), label  # labels in words, cells "median [5%–95%]", as compare printed them


def test_a_policy_field_that_names_a_parameter_shows_its_value():
    from exitvoice.charts import policy_text, timeline_chart

    sc = Scenario.from_toml(Path(__file__).parents[1] / "scenarios" / "closure-rumour.toml")
    params, dump = sc.parameter_set(), sc.model_dump(mode="json")
    texts = [policy_text(p, params) for p in dump["policy"] if p["type"] == "rumour"]
    half_life = params["events2022.closure_rumour_half_life_days"]
    assert "credibility=events2022.closure_rumour_credibility (0.5), half_life_days=" \
           f"events2022.closure_rumour_half_life_days ({half_life:g})" in texts[0]
    assert "credibility=0.8" in texts[1]
    hover = " ".join(t.hovertemplate for t in timeline_chart(dump, params).data)
    assert "events2022.closure_rumour_credibility (0.5)" in hover


def _person_key(key: str) -> bool:
    """A summary total or comparison metric that counts people (what is not a ratio, hours, days, money or %)."""
    from exitvoice.units import NOT_PERSON_TOTALS

    return not (key in NOT_PERSON_TOTALS or key.startswith("output_loss") or key.endswith("_date") or "." in key
                or key in ("filled_on", "wall_seconds", "population_scale", "population_share", "sample"))


def _whole_people_in_summary(summary: dict, where: str) -> None:
    def walk(x, key):
        if isinstance(x, dict):
            for k, v in x.items():  # quantiles and sectors take the key of the total they belong to
                walk(v, key if k in ("q05", "q25", "q50", "q75", "q95") or key == "workers_lost_by_sector_end"
                     else k)
        elif isinstance(x, float) and _person_key(key):
            raise AssertionError(f"{where}: {key} = {x} is not a whole number of people")

    for section in ("totals", "economy", "voice", "quota", "left_by_destination"):
        walk(summary.get(section, {}), section)


def _whole_people_in_folder(folder: Path) -> int:
    """Check every people column of a run, ensemble or comparison folder; the number of columns checked."""
    import pandas as pd

    from exitvoice.units import is_persons

    checked = 0
    if (folder / "summary.json").is_file():
        _whole_people_in_summary(json.loads((folder / "summary.json").read_text()), str(folder))
        checked += 1
    for name, cols in (("timeseries.parquet", ["value"]), ("member_series.parquet", ["value"]),
                       ("timeseries_quantiles.parquet", ["q05", "q25", "q50", "q75", "q95"])):
        if (folder / name).is_file():
            t = pd.read_parquet(folder / name)
            people = t[t.quantity.map(is_persons)]
            assert len(people), name
            for c in cols:
                assert (people[c] == people[c].round()).all(), f"{folder / name}: {c}"
                checked += 1
    for name in ("regions.parquet", "members.parquet", "cells.parquet"):
        if (folder / name).is_file():
            t = pd.read_parquet(folder / name)
            cols = ([c for c in t.columns if c not in ("date", "region")] if name == "regions.parquet" else
                    ["count"] if name == "cells.parquet" else
                    [c for c in t.columns if c not in ("member", "seed", "stream", "param_set") and _person_key(c)])
            assert cols, name
            for c in cols:
                assert pd.api.types.is_integer_dtype(t[c]), f"{folder / name}: {c} is {t[c].dtype}"
                checked += 1
    if (folder / "comparison.csv").is_file():
        rows = (folder / "comparison.csv").read_text().splitlines()
        head = rows[0].split(",")
        for line in rows[1:]:
            cells = dict(zip(head, line.split(","), strict=True))
            if _person_key(cells["metric"]):
                for q in ("q05", "q50", "q95"):
                    assert cells[q] == "" or cells[q].lstrip("-").isdigit(), f"comparison.csv: {line}"
                checked += 1
        for s in json.loads((folder / "comparison.json").read_text())["scenarios"]:
            for metric, q in s["metrics"].items():
                if _person_key(metric):
                    assert all(v is None or isinstance(v, int) for v in q.values()), f"comparison.json: {metric}"
        for run_folder in sorted((folder / "runs").iterdir()):
            checked += _whole_people_in_folder(run_folder)
    return checked


def test_every_people_column_of_a_run_an_ensemble_and_a_comparison_is_whole(folders):
    for name in ("run", "ens", "cmp"):
        assert _whole_people_in_folder(folders / name) >= 3, name
    import pandas as pd

    members = pd.read_parquet(folders / "ens" / "members.parquet")
    assert {"protesters_peak", "detained", "workers_lost_end"} <= set(members.columns)  # expected values, rounded
    assert members.quota_fill.dtype == float  # a ratio stays real
    summary = json.loads((folders / "ens" / "summary.json").read_text())
    assert isinstance(summary["totals"]["returned"]["q05"], int)  # a quantile of people: whole people
    assert isinstance(summary["totals"]["quota_fill"]["q50"], float)


def test_the_map_shows_where_people_go_from_regions_through_crossings_to_destinations(folders):
    """Regions of origin sized by leavers, crossings by people crossed, destinations placed in their country and
    sized by leavers, flows as wide as the people, named points that do not cover one another, on a basemap."""
    from exitvoice.charts import MAP_HEIGHT, crossings_map, totals_by
    from exitvoice.folders import load
    from exitvoice.report import _regions_left

    case = load(folders / "run").cases[0]
    left = _regions_left(case)
    assert set(left[left > 0].index) == {"SE", "AST", "MOW"}  # the regions simulated, from regions.parquet
    fig = crossings_map(case.sim, "russia", regions_left=left)
    traces = {t.name: t for t in fig.data if t.name}
    for name in ("regions of origin (area: leavers)", "land crossings (area: people crossed)",
                 "destinations (area: leavers who went there)", "by land: crossing → country", "by air"):
        assert name in traces, name
    assert any(n.startswith("flights drawn from Moscow") for n in traces)  # the airport nearest most leavers
    assert any(n.startswith("line width: ") and n.endswith(" people") for n in traces)  # what a width means
    basemap = [t for t in fig.data if t.mode == "lines" and t.hoverinfo == "skip" and t.fill != "toself"]
    assert basemap and len(basemap[0].x) > 500  # coasts and borders under the points
    dest = traces["destinations (area: leavers who went there)"]
    placed = {text.split(" (")[0]: (x, y) for text, x, y in zip(dest.customdata, dest.x, dest.y, strict=True)}
    kx, ky = placed["Kazakhstan"]
    assert 46 < kx < 87 and 40 < ky < 56  # in Kazakhstan, not at a crossing
    gx, gy = placed["Georgia"]
    assert 40 < gx < 47 and 41 < gy < 44
    went = totals_by(case.sim, "daily_left").set_index("geography").q50
    sizes = dict(zip([c.split(":")[0] for c in dest.customdata], dest.marker.size, strict=True))
    assert sizes["Kazakhstan (KZ)"] > sizes["Finland (FI)"] and went["KZ"] > went["FI"]  # area: leavers
    # flows: a line from each crossing used to its destination, as wide as the people who crossed there
    land = [t for t in fig.data if t.legendgroup == "land" and t.mode == "lines"
            and t.x[0] is not None]
    crossed = {t.text[0].split(": ")[0]: (float(t.text[0].split(": ")[1].split(" ")[0].replace(",", "")),
                                          t.line.width) for t in land}
    assert len(crossed) >= 5
    by_people = sorted(crossed.values())
    assert all(a[1] <= b[1] for a, b in zip(by_people, by_people[1:], strict=False))  # wider for more people
    air = [t for t in fig.data if t.legendgroup == "air" and t.x[0] is not None]
    assert air and all(t.line.dash == "dot" for t in air)
    # the largest destinations are named with their number; the names do not cover one another
    names = [a.text for a in fig.layout.annotations]
    assert any(t.startswith("<b>Kazakhstan</b> ") for t in names) and any("Verkhny Lars" in t for t in names)
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.height == MAP_HEIGHT  # a map's proportions


def test_the_map_works_for_another_pack_and_says_what_it_cannot_place():
    import numpy as np
    import pandas as pd

    from exitvoice.charts import crossings_map
    from exitvoice.validate import Simulated

    dates = pd.date_range("2024-02-10", periods=3)
    one = np.ones((1, 3))
    series = {("processed", "crossing:myawaddy"): 500 * one, ("processed", "crossing:tachileik"): 100 * one,
              ("flights_boarded", "MY"): 50 * one, ("daily_left", "TH"): 400 * one, ("daily_left", "MY"): 50 * one,
              ("daily_left", "SG"): 20 * one, ("mobilised_cum", "MM"): one}
    fig = crossings_map(Simulated(dates, series, 1), "myanmar")
    dest = next(t for t in fig.data if t.name == "destinations (area: leavers who went there)")
    placed = {text.split(" (")[0]: (x, y) for text, x, y in zip(dest.customdata, dest.x, dest.y, strict=True)}
    assert 97 < placed["Thailand"][0] < 106 and 6 < placed["Thailand"][1] < 20
    assert placed["Malaysia"][0] < 105  # peninsular Malaysia, the part nearest Myanmar, not Borneo
    notes = [a.text for a in fig.layout.annotations]
    assert any(t.startswith("not on the map") and "Singapore 60" in t for t in notes)  # said, not dropped
    assert any(t.name and t.name.startswith("flights drawn from") for t in fig.data)
