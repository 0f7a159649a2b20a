"""What a new user meets: whole people in outputs, a readable compare table at 80 columns, plain findings, a short
repr, Python-worded errors, --version, flags without <bool>, --set population.scale, the cost of a sensitivity run."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from conftest import write_scenario
from exitvoice import Scenario, compare, run
from exitvoice.cli import _comparison_table
from exitvoice.compare import _change_words
from exitvoice.errors import ExitvoiceError
from exitvoice.units import is_persons


def exitvoice(*args, env=None):
    import os

    return subprocess.run([sys.executable, "-m", "exitvoice", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "80", **(env or {})})


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    base = tmp_path_factory.mktemp("ux")
    res = run(write_scenario(base / "s.toml", "ux", "2022-10-15", regions=("SE", "AST", "MOW")), seed=4,
              progress=None)
    res.write(base / "run")
    return res, base / "run"


def test_outputs_hold_whole_people_and_units(written):
    res, folder = written
    assert (res.timeseries.value % 1 != 0).any()  # in memory: exact expected values (protesters, detained)
    ts = pd.read_parquet(folder / "timeseries.parquet")
    people = ts[ts.quantity.map(is_persons)]
    assert (people.value == people.value.round()).all()
    assert {"protesters", "detained_cum", "workers_lost"} <= set(people.quantity)
    assert ts.unit.notna().all()
    assert set(ts[ts.quantity == "flight_price"].unit) == {"RUB (one way)"}
    assert set(ts[ts.quantity == "daily_entries"].unit) == {"persons per day"}
    regions = pd.read_parquet(folder / "regions.parquet")
    assert all(pd.api.types.is_integer_dtype(regions[c]) for c in ("protesters", "detained", "left"))
    summary = json.loads((folder / "summary.json").read_text())
    for k in ("protesters_peak", "detained", "workers_lost_end"):
        assert isinstance(summary["totals"][k], int), k
    assert all(isinstance(v, int) for v in summary["economy"]["workers_lost_by_sector_end"].values())


def test_repr_is_a_few_lines_with_the_headline(written):
    res, _ = written
    text = repr(res)
    lines = text.splitlines()
    assert len(lines) <= 4 and max(map(len, lines)) <= 200 and text.startswith("<Results ux · seed 4")
    left = res.summary["totals"]["left"]
    assert f"left {left / 0.02:,.0f}" in text and f"left {left:,}" in text  # scaled up, and the sample's own count
    assert "a 0.02 sample of 3 of the 83 regions" in text and "scaled up by 1/0.02" in text
    assert f"{len(res.timeseries):,} rows" in text


def test_ensemble_comparison_and_sensitivity_reprs_are_short(tmp_path):
    from exitvoice.ensemble import run_ensemble
    from exitvoice.sensitivity import analyse

    a = write_scenario(tmp_path / "a.toml", "repr-a", "2022-09-24")
    b = write_scenario(tmp_path / "b.toml", "repr-b", "2022-09-24", mobilisation=False)
    ens = run_ensemble(Scenario.from_toml(a), 3, seed=2, posterior=None)  # seed noise only, pack posterior or not
    cmp = compare([a, b], ensemble=2, progress=None)
    sens = analyse(Scenario.from_toml(a), ["exit.lambda_base", "callup.report_days"], ["left_total"],
                   method="morris", samples=2, seed=1)
    for obj, first, words in (
            (ens, "<Ensemble repr-a · 3 members, seed 2", ("left ", "mobilised ", "[", "band: seed noise only")),
            (cmp, "<Comparison of 2 scenarios · 2 members each", ("repr-a (reference): left ", "repr-b: left ",
                                                                   ".findings()")),
            (sens, "<Sensitivity (morris) of 1 output(s) to 2 parameters: N=2 samples × (D+1) = 6 runs",
             ("left_total: mu_star", ".samples (6 runs"))):
        text = repr(obj)
        lines = text.splitlines()
        assert text.startswith(first), text
        assert len(lines) <= 6 and max(map(len, lines)) <= 200, text  # not the members' arrays
        for w in words:
            assert w in text, (w, text)
    indices, design = sens  # still unpacks as the pair it was
    assert len(design) == 6 and set(indices.parameter) == {"exit.lambda_base", "callup.report_days"}
    assert "\n" not in repr(cmp.cases[0]) and "<Case repr-a: 2 member(s), from " in repr(cmp.cases[0])


def test_python_write_error_speaks_python(written):
    res, folder = written
    with pytest.raises(ExitvoiceError, match=r"force=True") as e:
        res.write(folder)
    assert "--force" not in str(e.value)


def test_run_takes_a_path(written, tmp_path):
    a = write_scenario(tmp_path / "a.toml", "path-run", "2022-09-20", mobilisation=False)
    assert run(a, progress=None).summary["scenario"] == "path-run"
    assert run(str(a), progress=None).scenario_toml == a.read_text()


def test_compare_table_readable_at_80_columns(tmp_path):
    a = write_scenario(tmp_path / "a.toml", "wave2-1m-social-contract", "2022-10-01")
    b = write_scenario(tmp_path / "b.toml", "voice-closed-borders", "2022-10-01", mobilisation=False)
    c = write_scenario(tmp_path / "c.toml", "wave2-1m-exit-visas", "2022-10-01")
    cmp = compare([a, b, c], ensemble=2, progress=None)
    console = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    wide = cmp.wide()
    console.print(_comparison_table(wide, "title", 80))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    for cell in wide.to_numpy().ravel():  # every median and band whole, on one line
        median, _, band = str(cell).partition(" [")
        assert median in text and band.rstrip("]") in text
    for name in ("wave2-1m-social-contract", "voice-closed-borders", "wave2-1m-exit-visas"):
        assert name in text


@pytest.mark.parametrize("change, evidence, expected", [
    (0.0044, "apart", "0.4% more mobilised"),  # members on one side, or bands apart: the direction, however small
    (0.0044, "overlap", "about the same mobilised"),
    (-0.2, "overlap", "about the same mobilised"),  # bands overlap, members on both sides: not told apart
    (-0.2, "single", "20% fewer mobilised"),  # single runs: the change as it is
    (0.0044, "single", "about the same mobilised"),
    (0.0, "single", "the same mobilised"),
    (0.0, "equal", "the same mobilised"),
])
def test_findings_never_call_a_clear_difference_the_same(change, evidence, expected):
    assert _change_words(change, "mobilised", False, evidence) == expected


def test_findings_wording_of_a_clear_small_difference(tmp_path):
    from exitvoice.compare import Case, Comparison, findings_text
    from exitvoice.validate import Simulated

    sc = Scenario.from_dict({"scenario": {"name": "x", "start": "2022-09-14", "end": "2022-09-20"}}, source="t")
    sc2 = Scenario.from_dict({"scenario": {"name": "y", "start": "2022-09-14", "end": "2022-09-20"}}, source="t")
    sim = Simulated(pd.DatetimeIndex([]), {}, 10)
    ref = Case("x", sc, sim, "t", metrics=pd.DataFrame({"mobilised": np.linspace(1_353_000, 1_354_000, 10)}))
    other = Case("y", sc2, sim, "t", metrics=pd.DataFrame({"mobilised": np.linspace(1_359_000, 1_360_000, 10)}))
    text = findings_text(Comparison([ref, other]))
    line = [x for x in text.splitlines() if x.startswith("- **y**")][-1]  # the line against the reference
    assert "about the same" not in line and "0.4% more mobilised" in line and "clear" in line


def test_version_and_flags():
    r = exitvoice("--version")
    assert r.returncode == 0 and r.stdout.startswith("exitvoice 0.")
    r = exitvoice("run", "--help")
    line = next(x for x in r.stdout.splitlines() if "--force" in x)
    assert "<bool>" not in line
    assert "NAME=VALUE" in r.stdout
    for command in (("run",), ("compare",), ("validate",), ()):  # no flag shows a value (--plots, --help, …)
        r = exitvoice(*command, "--help")
        assert r.returncode == 0 and "--help" in r.stdout and "<bool>" not in r.stdout, command


@pytest.mark.parametrize("command", [(), ("run",), ("compare",), ("validate",), ("report",), ("serve",),
                                     ("calibrate",), ("sensitivity",), ("check",), ("posterior",), ("params",),
                                     ("regions",), ("pack",), ("pack", "check")])
def test_flags_read_as_flags_in_every_help(command):
    """A flag (--force, --plots/--no-plots, --allow-outside-range, --help) shows no value type such as <bool>."""
    r = exitvoice(*command, "--help", env={"COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    assert "<bool>" not in r.stdout and "bool" not in r.stdout.lower(), r.stdout


@pytest.mark.parametrize("command", [(), ("run",), ("compare",), ("validate",), ("report",), ("serve",),
                                     ("calibrate",), ("sensitivity",), ("check",), ("posterior",), ("params",),
                                     ("regions",), ("pack",), ("pack", "check")])
def test_every_help_is_readable_at_80_columns(command):
    """Wrapped between words at 80 columns, nothing cut: no line is longer, no "…", every command's summary whole."""
    r = exitvoice(*command, "--help")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 and "…" not in r.stdout, r.stdout
    text = " ".join(r.stdout.split())
    if command in ((), ("pack",)):  # each command's summary in full, not cut at 45 characters with "..."
        import typer

        from exitvoice.cli import app

        group = typer.main.get_command(app)
        for name in command:
            group = group.commands[name]
        for name, cmd in group.commands.items():
            first = " ".join((cmd.help or "").split("\n\n")[0].split())
            assert f"{name} {first}" in text, name


def test_params_is_readable_at_80_columns():
    r = exitvoice("params")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 or " " not in line.strip() for line in lines), \
        [line for line in lines if len(line) > 80 and " " in line.strip()][:3]  # only a long web address runs on
    from exitvoice.pack import load_pack

    text = " ".join(r.stdout.split())
    for p in load_pack("russia").declarations.values():  # every name whole on its line, every source in full
        assert any(line.startswith(f"{p.name} = ") for line in lines), p.name
        assert " ".join(p.source.split()) in text, p.name
    wide = exitvoice("params", "exit.beta", env={"COLUMNS": "200"})
    assert "┃ name" in wide.stdout and "exit.beta_risk" in wide.stdout  # a table where it fits


def test_set_population_scale(tmp_path):
    a = write_scenario(tmp_path / "a.toml", "scale-set", "2022-09-20", population=False, mobilisation=False)
    sc = Scenario.from_toml(a).with_overrides({"population.scale": "0.01", "population.regions": '["SE"]'})
    assert sc.population.scale == 0.01 and sc.population.regions == ["SE"]
    r = exitvoice("check", a)
    assert r.returncode == 0
    r = exitvoice("run", a, "--set", "population.scale=0.01", "--set", 'population.regions=["SE"]', "--out",
                  tmp_path / "o", "--no-plots")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["population_scale"] == 0.01
    r = exitvoice("run", a, "--set", "population.scale=2", "--out", tmp_path / "p")
    assert r.returncode == 2 and "scale" in r.stderr and "Traceback" not in r.stderr


def test_sensitivity_says_its_cost_before_running(tmp_path):
    a = write_scenario(tmp_path / "a.toml", "sens-cost", "2022-09-16", mobilisation=False)
    r = exitvoice("sensitivity", a, "--params", "exit.beta_risk,exit.lambda_base", "--method", "morris",
                  "--samples", "2", "--out", tmp_path / "s")
    assert r.returncode == 0, r.stderr
    assert "6 full runs" in r.stderr and "N(D+1)" in r.stderr
    assert "a 0.02 sample of 2 regions" in " ".join(r.stderr.split())
    assert "Warning" not in r.stderr, r.stderr


def test_sobol_with_n_not_a_power_of_2_says_so_in_one_plain_line(tmp_path):
    a = write_scenario(tmp_path / "a.toml", "sens-sobol", "2022-09-16", mobilisation=False)
    r = exitvoice("sensitivity", a, "--params", "exit.beta_risk,exit.lambda_base", "--samples", "3",
                  "--out", tmp_path / "s", env={"COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    assert "UserWarning" not in r.stderr and "sobol.py" not in r.stderr, r.stderr  # not SALib's warning
    (notice,) = [line for line in r.stderr.splitlines() if line.startswith("notice:") and "power of 2" in line]
    assert "N=3 is not a power of 2" in notice and "--samples 2 or 4" in notice
    assert "Warning" not in r.stderr, r.stderr  # nor SALib's division by a zero spread (an output that is constant)


def test_outputs_without_indices_are_said_not_computed_into_nan(tmp_path):
    """Without a call-up, mobilised_cum is 0 in every run and quota_fill has no value: notices, no NaN."""
    a = write_scenario(tmp_path / "a.toml", "sens-flat", "2022-09-16", mobilisation=False)
    r = exitvoice("sensitivity", a, "--params", "exit.beta_risk,exit.lambda_base", "--samples", "2",
                  "--out", tmp_path / "s", env={"COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    msg = " ".join(r.stderr.split())
    assert "mobilised_cum is the same in every run" in msg and "quota_fill has no value" in msg, msg
    indices = pd.read_csv(tmp_path / "s" / "sensitivity.csv")
    assert set(indices.output) == {"left_total", "mobilised_cum"} and indices.notna().all().all()
    assert (indices[indices.output == "mobilised_cum"][["S1", "ST"]] == 0).all().all()
    r = exitvoice("sensitivity", a, "--params", "exit.beta_risk,exit.lambda_base", "--samples", "2",
                  "--outputs", "quota_fill", "--out", tmp_path / "q")  # refused before any run (no cost printed)
    assert r.returncode == 2 and "--outputs" in r.stderr and "no call-up" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "full runs" not in r.stderr


def test_the_cost_estimate_follows_the_scale_and_the_regions():
    from exitvoice.sensitivity import RUN_SETUP_SECONDS, WHOLE_RUN_SECONDS_PER_DAY, run_seconds

    def scenario(scale, regions=None):
        return Scenario.from_dict({"scenario": {"name": "c", "start": "2022-09-14", "end": "2022-12-31"},
                                   "population": {"scale": scale, "regions": regions}})

    days = len(scenario(1.0).days)
    whole = run_seconds(scenario(1.0))
    assert whole == pytest.approx(RUN_SETUP_SECONDS + days * WHOLE_RUN_SECONDS_PER_DAY)
    sample = run_seconds(scenario(0.01))  # docs/performance.md: a 1% sample costs about 40% of the whole run
    assert 0.3 * whole < sample < 0.5 * whole
    few = run_seconds(scenario(0.02, ["SE", "AST"]))
    assert few < 0.2 * whole and few > RUN_SETUP_SECONDS
    assert run_seconds(scenario(0.5, ["SE", "AST"])) > few  # more people in the same regions cost more


def test_comparison_files_hold_whole_people(tmp_path):
    a = write_scenario(tmp_path / "a.toml", "whole-a", "2022-10-01")
    b = write_scenario(tmp_path / "b.toml", "whole-b", "2022-10-01", mobilisation=False)
    compare([a, b], ensemble=2, progress=None).write(tmp_path / "cmp", plots=False)
    t = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    people = t[t.metric.isin(["left", "mobilised", "protesters_peak", "detained", "workers_lost_end"])]
    assert len(people) and (people[["q05", "q50", "q95"]].dropna() % 1 == 0).all().all()
    fill = t[t.metric == "quota_fill"].q50.iloc[0]
    assert float(f"{fill:.4g}") == fill  # 4 significant digits


def _row(text: str, label: str) -> str:
    """The value printed on the row `label` of a rich table."""
    m = re.search(rf"{re.escape(label)}\s*│\s*([^│]+?)\s*│", text)
    assert m, label
    return m.group(1)


def test_run_summary_says_what_the_run_covers_and_prints_the_reports_numbers(tmp_path):
    from exitvoice.report import build

    a = write_scenario(tmp_path / "a.toml", "covers", "2022-10-05", regions=("SE", "AST", "MOW"))
    r = exitvoice("run", a, "--out", tmp_path / "run", "--no-plots", env={"COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "covers a 0.02 sample of 3 of the 83 regions (SE, AST, MOW" in out
    assert "scaled up by 1/0.02 to the whole population of the regions simulated" in out
    assert "Figures are for these regions only" in out and "of the national 300,000" in out
    report = build([tmp_path / "run"])
    cards = dict(re.findall(r'<div class="card"><span>([^<]*)</span><b>([^<]*)</b>', report))
    for row, card in (("left (departures of leavers)", "left the country"), ("abroad at the end", "abroad at the end"),
                      ("mobilised (all call-ups)", "mobilised"), ("protesters on the peak day",
                                                                  "protesters on the peak day")):
        assert _row(r.stdout, row).split(" (")[0] == cards[card], row  # one rounding, one scale: the same figure
    table = dict(re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">([^<]*)</td></tr>", report))
    for row in ("detained at protests", "workers lost at the end", "foreign passports issued"):
        assert _row(r.stdout, row) == table[row], row  # the metric table too (detentions: the total, rounded once)
    from exitvoice.compare import case_metrics, read_case

    case = read_case(tmp_path / "run")  # days rounded to whole people one by one do not add up to the total
    assert case_metrics(case)["detained"].iloc[0] == case.sim.series[("detained_cum", "RU")][0, -1]
    assert "The scenario from 2022-09-14 to 2022-10-05 (russia), a single run; figures without a band" in report
    assert "A sample run (0.02 of the people): the figures below are scaled up by 1/0.02 to the whole population " \
           "of the regions simulated" in report


def test_people_in_words_keep_small_numbers_whole():
    from exitvoice.compare import people_words

    assert people_words(1_600) == "1,600" and people_words(9_999) == "9,999"  # not "2 thousand"
    assert people_words(45_200) == "45 thousand" and people_words(1_984_000) == "1.98 million"


def test_a_whole_country_run_says_so():
    from exitvoice.cli import _covers

    summary = {"population_scale": 1.0, "population": 146_980_061,
               "coverage": {"regions": None, "description": "the whole country"}}
    assert _covers(summary) == "covers the whole country: 146,980,061 people simulated."
    summary["population_scale"] = 0.01
    summary["coverage"]["description"] = "a 0.01 sample of the whole country"
    assert "a 0.01 sample of the whole country" in _covers(summary) and "1/0.01" in _covers(summary)


def test_the_ensemble_table_shows_labels_not_keys(tmp_path):
    from exitvoice.cli import _ensemble_table
    from exitvoice.ensemble import run_ensemble

    sc = Scenario.from_toml(write_scenario(tmp_path / "a.toml", "ens-labels", "2022-09-26"))
    console = Console(width=120, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(_ensemble_table(run_ensemble(sc, 2, seed=1).summary()))
    text = console.export_text()
    assert "abroad at the end" in text and "quota fill (all call-ups)" in text and "peak queue wait (hours)" in text
    assert not re.search(r"\b(abroad_at_end|quota_fill|peak_queue_wait_hours|protesters_peak)\b", text)
    assert "covers a 0.02 sample of 2 of the 83 regions" in " ".join(text.split())


def test_one_rounding_rule_for_the_terminal_the_report_and_the_dashboard():
    import importlib

    from exitvoice import report
    from exitvoice.units import fmt_metric

    compare_module = importlib.import_module("exitvoice.compare")  # `exitvoice.compare` is also the function

    assert compare_module.fmt_metric is fmt_metric and report.fmt_metric is fmt_metric  # the dashboard: compare's
    assert fmt_metric("left", 1_134_540.4) == "1,134,540" and fmt_metric("quota_fill", 1.104) == "1.10"
    assert fmt_metric("output_loss_cumulative", 81.5e9) == "82" and fmt_metric("days_to_fill", float("nan")) == "—"
    assert fmt_metric("output_loss_rub_cumulative", 81.5e9) == "82"  # the name of earlier versions


def test_compare_findings_say_the_runs_are_a_sample_scaled_up(tmp_path):
    a = write_scenario(tmp_path / "a.toml", "sample-a", "2022-09-24")
    b = write_scenario(tmp_path / "b.toml", "sample-b", "2022-09-24", mobilisation=False)
    text = " ".join(compare([a, b], progress=None).findings().split())
    assert "for a 0.02 sample of 2 of the 83 regions (SE, AST" in text
    assert "Each run is a 0.02 sample: counts are scaled up by 1/0.02 to the whole population of the regions " \
           "simulated" in text
    whole = Scenario.from_dict({"scenario": {"name": "whole", "start": "2022-09-14", "end": "2022-09-16"}},
                               source="t")
    from exitvoice.compare import Case, coverage_words

    assert coverage_words([Case("whole", whole, None, "t")]) == "the whole country"


def test_compare_table_title_is_one_line_at_80_columns(tmp_path):
    a = write_scenario(tmp_path / "a.toml", "wave2-1m-social-contract", "2022-09-24")
    b = write_scenario(tmp_path / "b.toml", "voice-closed-borders", "2022-09-24", mobilisation=False)
    r = exitvoice("compare", a, b, "--ensemble", "2", "--no-posterior", "--out", tmp_path / "cmp", "--no-plots",
                  env={"COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].strip() == "2 scenarios · median [5%–95%] of 2 members"  # the whole title, on one line
    assert lines[1].startswith("┏")
    table = lines[:next(i for i, line in enumerate(lines) if line.startswith("└")) + 2]
    assert max(len(line) for line in table) <= 80
    assert table[-1].strip() == "Bands include: seed noise only."  # under the table, not in the title


def test_compare_takes_set_for_every_scenario_file(tmp_path):
    a = write_scenario(tmp_path / "a.toml", "set-a", "2022-09-24")
    b = write_scenario(tmp_path / "b.toml", "set-b", "2022-09-24", mobilisation=False)
    r = exitvoice("compare", a, b, "--set", "population.scale=0.03", "--out", tmp_path / "cmp", "--no-plots")
    assert r.returncode == 0, r.stderr
    assert "Each run is a 0.03 sample" in " ".join((tmp_path / "cmp" / "findings.md").read_text().split())
    r = exitvoice("compare", tmp_path / "cmp" / "runs" / "set-a", b, "--set", "population.scale=0.03", "--out",
                  tmp_path / "cmp2")
    assert r.returncode == 2 and "--set changes scenario files, not result folders" in " ".join(r.stderr.split())
    assert not (tmp_path / "cmp2").exists()


def test_params_filter_that_matches_nothing_is_exit_2_with_the_groups():
    r = exitvoice("params", "zzz")
    assert r.returncode == 2 and "Traceback" not in r.stderr, (r.returncode, r.stderr)
    msg = " ".join(r.stderr.split())
    assert "zzz" in msg and "exit, " in msg and "callup" in msg and "rumour" in msg
    r = exitvoice("params", "rumour.general", env={"COLUMNS": "200"})
    assert r.returncode == 0 and "rumour.general_risk" in r.stdout
    assert "([0, 1])" in r.stdout and "possible" in r.stdout  # the domain beside the plausible range
    r = exitvoice("params", "exit.")  # 80 columns
    assert r.returncode == 0 and "exit.beta_risk" in r.stdout


def test_a_late_output_error_on_the_command_line_says_force_not_force_true(tmp_path, monkeypatch):
    """What an output write refuses after the work (a Python API phrase inside) reads as the command line's."""
    from exitvoice.outputs import CLI_WORDING, atomic_folder

    out = tmp_path / "o"
    out.mkdir()
    (out / "mine.txt").write_text("x")
    token = CLI_WORDING.set(True)
    try:
        with pytest.raises(ExitvoiceError) as e, atomic_folder(out, force=False):
            pass
    finally:
        CLI_WORDING.reset(token)
    assert "--force" in str(e.value) and "force=True" not in str(e.value) and "--out" in str(e.value)
    with pytest.raises(ExitvoiceError) as e, atomic_folder(out, force=False):
        pass
    assert "force=True" in str(e.value) and "--force" not in str(e.value)
