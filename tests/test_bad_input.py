"""Bad input is refused as a user runs the CLI: exit code 2, a message naming the file and the field, no traceback,
nothing written. Good input that used to be misread (an ambiguous `--set` name) works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_scenario
from exitvoice.limits import MAX_SCENARIO_DAYS, MAX_SCENARIO_FILE_BYTES, MIN_SIMULATED_PEOPLE

OBS_HEADER = "date,quantity,geography,value,unit,since,kind,source,quote\n"


def exitvoice(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "exitvoice", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "COLUMNS": "200"}, timeout=LIVENESS_SECONDS)


LIVENESS_SECONDS = 600  # a command that hangs (reading a FIFO, a scheduler that never answers) fails the test


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def refused(r, *names) -> str:
    """Assert a clean refusal (exit 2, no traceback) whose message holds every name; return the message."""
    msg = " ".join(r.stderr.split())
    assert r.returncode == 2, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    for name in names:
        assert name in msg, (name, msg)
    return msg


@pytest.fixture
def scen(tmp_path):
    return write_scenario(tmp_path / "s.toml", "bad", "2022-09-24")


def run_refused(scen, *args, names=()):
    """`run` with these arguments is refused and writes nothing next to the scenario."""
    folder = scen.parent
    before = files(folder)
    r = exitvoice("run", scen, "--out", folder / "never", "--no-plots", *args, cwd=folder)
    msg = refused(r, *names)
    assert files(folder) == before, files(folder) - before
    return msg


# -- numbers: finite, and numbers -----------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan"])
def test_a_non_finite_parameter_is_refused(scen, value):
    run_refused(scen, "--set", f"exit.beta_risk={value}", names=("exit.beta_risk", "finite"))


@pytest.mark.parametrize("setting,names", [
    ("exit.beta_risk=true", ("exit.beta_risk", "number")),
    ('exit.beta_risk="3"', ("exit.beta_risk", "number")),
    ('mobilisation.target="3000"', ("policy[0].target", "whole number")),
    ("mobilisation.target=3000.5", ("policy[0].target", "whole number")),
    ("mobilisation.summons_exit_ban=1", ("policy[0].summons_exit_ban", "true or false")),
])
def test_booleans_and_text_are_not_numbers(scen, setting, names):
    run_refused(scen, "--set", setting, names=names)


def test_nan_in_a_scenario_file_is_refused(scen):
    scen.write_text(scen.read_text() + '[parameters]\n"exit.beta_risk" = nan\n')
    refused(exitvoice("check", scen), str(scen), "exit.beta_risk", "finite")
    run_refused(scen, names=(str(scen), "exit.beta_risk"))


def test_nan_in_a_policy_field_is_refused(scen):
    scen.write_text(scen.read_text() + '[[policy]]\ntype = "exit_ban"\nstart = 2022-09-22\nenforcement = nan\n')
    refused(exitvoice("check", scen), "policy[1].enforcement", "finite")


# -- declared ranges ------------------------------------------------------------------------------------------
def test_a_value_outside_its_range_is_refused_unless_allowed(scen, tmp_path):
    msg = run_refused(scen, "--set", "callup.hide_rate=5", names=("callup.hide_rate", "declared range"))
    assert "--allow-outside-range" in msg
    out = tmp_path / "allowed"
    r = exitvoice("run", scen, "--out", out, "--no-plots", "--set", "callup.hide_rate=0.5",
                  "--allow-outside-range")
    assert r.returncode == 0, r.stderr
    warnings = json.loads((out / "summary.json").read_text())["warnings"]
    assert warnings == ["callup.hide_rate = 0.5 is outside its declared range [0, 0.2] per day"]


def test_allow_outside_range_on_the_command_line_reaches_every_value(scen, tmp_path):
    """--allow-outside-range acts as `allow_outside_range = true` in the file: on [parameters], on a policy field
    naming a parameter, on --set and on a posterior file."""
    scen.write_text(scen.read_text() + '[[policy]]\ntype = "exit_ban"\nstart = 2022-09-22\n'
                    'enforcement = "events2022.karaozek_enforcement"\n'
                    '[parameters]\n"callup.hide_rate" = 0.5\n"events2022.karaozek_enforcement" = 0.95\n')
    refused(exitvoice("check", scen), str(scen), "callup.hide_rate", "--allow-outside-range")
    run_refused(scen, names=(str(scen), "callup.hide_rate", "declared range"))
    assert exitvoice("check", scen, "--allow-outside-range").returncode == 0
    out = tmp_path / "allowed"
    r = exitvoice("run", scen, "--out", out, "--no-plots", "--allow-outside-range", "--set", "exit.beta_risk=600")
    assert r.returncode == 0, r.stderr
    warnings = json.loads((out / "summary.json").read_text())["warnings"]
    assert [w.split(" =")[0] for w in warnings] == ["callup.hide_rate", "exit.beta_risk",
                                                    "events2022.karaozek_enforcement"]
    post = tmp_path / "post.csv"
    post.write_text("callup.hide_rate\n0.4\n0.6\n")
    run_refused(scen, "--ensemble", "2", "--posterior", post, names=(str(scen), "callup.hide_rate"))
    r = exitvoice("run", scen, "--ensemble", "2", "--posterior", post, "--allow-outside-range", "--out",
                  tmp_path / "ens", "--no-plots")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("setting", ["callup.hide_rate=5", "callup.report_days=0", "risk.half_life_days=0",
                                     "trips.trip_days=0", "callup.report_days=-1", "callup.report_days=5e-324",
                                     "rumour.general_risk=3", "rumour.general_risk=-0.1", "routes.capacity_belarus=-1",
                                     "routes.nest_scale=0", "routes.nest_scale=1.5", "routes.diaspora_scale=0",
                                     "population.passport_share_adults=0", "risk.horizon_days=0.5",
                                     "events2022.closure_rumour_half_life_days=0"])
def test_impossible_values_are_refused_even_when_outside_the_range_is_allowed(scen, setting):
    name = setting.split("=")[0]
    run_refused(scen, "--set", setting, "--allow-outside-range", names=(name,))


def test_a_probability_above_1_is_impossible_and_the_message_gives_domain_and_range(scen):
    """--allow-outside-range leaves the plausible range, never the domain; the message says both, consistently."""
    for flag in ((), ("--allow-outside-range",)):
        msg = run_refused(scen, "--set", "rumour.general_risk=3", *flag,
                          names=("rumour.general_risk", "impossible", "[0, 1]", "probability", "[0.05, 1]"))
        assert "10.5" not in msg and "-9.45" not in msg  # the widths beyond the range, which a probability never has
    msg = run_refused(scen, "--set", "rumour.general_risk=0.01", names=("plausible", "[0.05, 1]"))
    assert "with --allow-outside-range, [0, 1]" in msg  # what the flag would accept: the domain, not 10 widths
    msg = run_refused(scen, "--set", "exit.beta_female=-100", "--allow-outside-range", names=("too far", "[-44, 40]"))
    assert "POSITIVE_FLOOR_SHARE" not in msg


def test_every_declared_range_lies_in_its_domain_and_what_the_flag_reaches_too():
    from exitvoice.pack import load_pack

    for country in ("russia", "myanmar"):
        for p in load_pack(country).declarations.values():
            lo, hi, open_low, what = p.domain()
            assert p.in_domain(p.low) and p.in_domain(p.high) and p.in_domain(p.default), p.name
            reach_lo, reach_hi, reach_open = p.reach()
            assert reach_lo <= p.low and p.high <= reach_hi, p.name
            assert (reach_lo > lo or (reach_lo == lo and (reach_open or not open_low))) and reach_hi <= hi, p.name
            if p.unit in ("share", "probability"):
                assert (lo, hi) == (0, 1), p.name
            if p.unit == "days":
                assert lo >= 0 and (open_low or lo > 0), p.name


@pytest.mark.parametrize("setting", ["exit.lambda_base=0", "exit.min_age=100", "routes.schengen_access_share=0"])
def test_values_at_the_edge_run_without_numpy_warnings(scen, tmp_path, setting):
    """A value that leaves no one to weigh (no pre-crisis leavers, no access) runs quietly: no RuntimeWarning."""
    r = exitvoice("run", scen, "--out", tmp_path / "o", "--no-plots", "--set", setting, "--allow-outside-range")
    assert r.returncode == 0, r.stderr
    assert "Warning" not in r.stderr, r.stderr


def test_a_male_share_the_sector_table_cannot_meet_names_the_parameter(scen):
    refused(exitvoice("check", scen, "--set", "economy.male_share_employed=0.9", "--allow-outside-range"),
            "economy.male_share_employed", "economy_sectors.csv", "given: 0.9")


@pytest.mark.parametrize("total", ["1", "1e20"])
def test_a_population_total_that_cannot_run_is_refused(scen, total):
    run_refused(scen, "--set", f"population.total={total}", names=("population.total", "declared range"))
    run_refused(scen, "--set", f"population.total={total}", "--allow-outside-range", names=("population",))


# -- messages in plain words ----------------------------------------------------------------------------------
LEAKS = ("constrained-", "Value error", "Input should", "instance of", "Field required", "datetime.", "function-",
         "{'type'")
"""pydantic's wording, its names for union members and Python reprs: never in a message."""


@pytest.mark.parametrize("policy,names", [
    ('type = "exit_ban"\nenforcement = 1.5', ("policy[1].enforcement", "too large", "at most 1", "parameter")),
    ('type = "exit_ban"\nenforcement = "Not A Name"', ("policy[1].enforcement", "not a number", "parameter")),
    ('type = "exit_ban"\nenforcement = true', ("policy[1].enforcement", "not a number")),
    ('type = "exit_ban"', ("policy[1].enforcement", "missing")),
    ('type = "exit_ban"\nenforcement = 0.5\nend = 2022-09-10', ("policy[1].end", "before start", "2022-09-10")),
    ('type = "exit_ban"\nenforcement = 0.5\nwho = { age_min = 50, age_max = 20 }', ("policy[1].who.age_max",
                                                                                     "age_min (50)")),
    ('type = "capacity_change"\nroute = "upper_lars"', ("policy[1].factor", "exactly one", "neither")),
    ('type = "capacity_change"\nroute = "upper_lars"\nfactor = 2e3', ("policy[1].factor", "at most 1,000")),
    ('type = "mobilisation"\ntarget = 5\nwho = 5', ("policy[1].who", "not a table")),
    ('type = "regular_conscription"\nend = 2022-09-23\nintake = 5\nages = [18]', ("policy[1].ages", "too few")),
    ('type = "regular_conscription"\nend = 2022-09-23\nintake = 5\nages = [30, 20]', ("policy[1].ages", "[30, 20]")),
    ('type = "rumour"\nkind = "rumor"\ncredibility = 0.5\nhalf_life_days = 2', ("policy[1].kind", "'closure'")),
])
def test_messages_are_in_plain_words(scen, policy, names):
    scen.write_text(scen.read_text() + f"[[policy]]\nstart = 2022-09-22\n{policy}\n")
    msg = refused(exitvoice("check", scen), str(scen), *names)
    assert not [leak for leak in LEAKS if leak in msg], msg


@pytest.mark.parametrize("old,new,names", [
    ("end = 2022-09-24", "end = 2022-09-01", ("scenario.end", "before start", "2022-09-01")),
    ("start = 2022-09-21", "start = 2022-09-21T10:00:00", ("policy[0].start", "not a date", "2022-09-21T10:00:00")),
    ('name = "bad"', 'name = "B a d"', ("scenario.name", "lower-case")),
])
def test_scenario_messages_are_in_plain_words(scen, old, new, names):
    scen.write_text(scen.read_text().replace(old, new))
    msg = refused(exitvoice("check", scen), str(scen), *names)
    assert not [leak for leak in LEAKS if leak in msg], msg


@pytest.mark.parametrize("old,new,names", [
    # a misspelt field is reported first (not the field it was meant to be, now "missing"), with a close name and
    # every field the table takes
    ("end = 2022-09-24", "ned = 2022-09-24", ("scenario.ned", "unknown field", "did you mean 'end'", "allowed:",
                                              "name, description, country, pack, start, end")),
    ("target = 300000", "tagret = 300000", ("policy[0].tagret", "did you mean 'target'", "summons_per_recruit")),
    ("[population]", "[populaton]", ("'populaton'", "did you mean 'population'",
                                     "scenario, population, parameters, policy")),
    ("target = 300000", "target = 300000\nwho = { regoins = [\"SE\"] }", ("policy[0].who.regoins",
                                                                         "did you mean 'regions'", "age_min")),
    ("target = 300000", "target = 300000\nzzz = 1", ("policy[0].zzz", "unknown field", "allocation")),
])
def test_an_unknown_field_names_the_fields_allowed(scen, old, new, names):
    scen.write_text(scen.read_text().replace(old, new))
    msg = refused(exitvoice("check", scen), str(scen), *names)
    assert not [leak for leak in LEAKS if leak in msg], msg


# -- namespaces of --set --------------------------------------------------------------------------------------
def test_a_parameter_whose_group_is_a_policy_type_can_be_set(tmp_path):
    scen = write_scenario(tmp_path / "r.toml", "rum", "2022-09-24")
    scen.write_text(scen.read_text() + '[[policy]]\ntype = "rumour"\nstart = 2022-09-15\nkind = '
                    '"general_mobilisation"\ncredibility = 0.5\nhalf_life_days = 3\n')
    out = tmp_path / "o"
    r = exitvoice("run", scen, "--out", out, "--no-plots", "--set", "rumour.general_risk=0.6",
                  "--set", "policy.rumour.credibility=0.8", "--set", "rumour.half_life_days=4")
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "summary.json").read_text())["parameters_changed"] == {"rumour.general_risk": 0.6}
    resolved = json.loads((out / "scenario.json").read_text())["policy"][1]
    assert (resolved["credibility"], resolved["half_life_days"]) == (0.8, 4)


def test_set_names_are_read_without_ambiguity():
    from exitvoice.errors import ScenarioError
    from exitvoice.pack import load_pack
    from exitvoice.scenario import override_target

    declared = dict(load_pack("russia").declarations)
    types = {"rumour", "mobilisation"}
    assert override_target("rumour.general_risk", declared, types) == ("parameter", "rumour.general_risk")
    assert override_target("parameters.exit.beta_risk", declared, types) == ("parameter", "exit.beta_risk")
    assert override_target("mobilisation.target", declared, types) == ("policy", "mobilisation", ["target"])
    assert override_target("policy.mobilisation.eligible.privates_max_age", declared, types) == (
        "policy", "mobilisation", ["eligible", "privates_max_age"])
    declared["rumour.credibility"] = declared["rumour.general_risk"]  # a parameter that is also a field's name
    with pytest.raises(ScenarioError, match="ambiguous"):
        override_target("rumour.credibility", declared, types)
    assert override_target("policy.rumour.credibility", declared, types)[0] == "policy"
    assert override_target("parameters.rumour.credibility", declared, types)[0] == "parameter"


# -- scenario files that used to end in a traceback -----------------------------------------------------------
def test_binary_garbage_as_a_scenario(tmp_path):
    f = tmp_path / "garbage.toml"
    f.write_bytes(bytes(range(256)) * 4)
    refused(exitvoice("check", f), str(f), "UTF-8")
    refused(exitvoice("run", f, "--out", tmp_path / "never"), str(f))
    assert files(tmp_path) == {"garbage.toml"}


@pytest.fixture(params=["directory", "device", "fifo"])
def not_a_file(request, tmp_path):
    """A folder, /dev/zero (which never ends) or a FIFO (which waits for a writer), and what it is called."""
    if request.param == "directory":
        (tmp_path / "folder.toml").mkdir()
        return tmp_path / "folder.toml", "is a directory"
    if request.param == "device":
        return Path("/dev/zero"), "is a character device"
    os.mkfifo(tmp_path / "pipe.csv")
    return tmp_path / "pipe.csv", "is a FIFO"


def test_an_input_that_is_not_a_regular_file_says_what_it_is(scen, tmp_path, not_a_file):
    path, what = not_a_file
    for r in (exitvoice("check", path), exitvoice("run", path, "--out", tmp_path / "never")):
        assert "no such" not in refused(r, str(path), what, "not a regular file", "scenario file")
    refused(exitvoice("run", scen, "--ensemble", "2", "--posterior", path, "--out", tmp_path / "never"),
            str(path), what, "posterior file")
    refused(exitvoice("validate", scen, "--observations", path, "--out", tmp_path / "never"),
            str(path), what, "observation file")
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("population,names", [
    ("regions = []", ("population.regions",)),
    ('scale = 1e-9\nregions = ["SE"]', ("population.scale", f"{MIN_SIMULATED_PEOPLE:,}")),
    ('scale = 1e-6\nregions = ["SE", "AST"]', ("population.scale", f"{MIN_SIMULATED_PEOPLE:,}")),
    ("scale = 0", ("population.scale",)),
    ("scale = nan", ("population.scale",)),
    ('regions = ["SE", 7]', ("population.regions",)),
])
def test_populations_that_cannot_be_built(tmp_path, population, names):
    f = tmp_path / "p.toml"
    f.write_text(f'[scenario]\nname = "p"\nstart = 2022-09-14\nend = 2022-09-20\n[population]\n{population}\n')
    refused(exitvoice("check", f), str(f), *names)
    run_refused(f, names=(str(f), *names))


def test_who_regions_must_be_simulated_and_check_says_so(scen):
    scen.write_text(scen.read_text() + '[[policy]]\ntype = "exit_ban"\nstart = 2022-09-22\nenforcement = 0.5\n'
                    'who = { regions = ["MOW"] }\n')
    refused(exitvoice("check", scen), str(scen), "policy[1] (exit_ban).who.regions", "MOW", "population.regions")
    run_refused(scen, names=("MOW",))


def test_who_regions_of_an_approval_rule_are_checked_too(scen):
    scen.write_text(scen.read_text() + '[[policy]]\ntype = "exit_visa"\nstart = 2022-09-22\ndaily_capacity = 100\n'
                    'approval = [{ who = { regions = ["MOW"] }, probability = 0.5 }]\n')
    refused(exitvoice("check", scen), "approval[0].who.regions", "MOW")


@pytest.mark.parametrize("region", ["[/x]", "[red]RED", "[bold]"])
def test_user_text_is_printed_as_written(scen, region):
    scen.write_text(scen.read_text().replace('"AST"', f'"{region}"'))
    msg = refused(exitvoice("check", scen), "population.regions")
    assert region in msg


def test_an_output_path_with_markup_is_printed_as_written(scen, tmp_path):
    r = exitvoice("run", scen, "--out", tmp_path / "[red]out", "--no-plots")
    assert r.returncode == 0, r.stderr
    assert "[red]out" in " ".join(r.stdout.split())


@pytest.mark.parametrize("args,names", [
    (("--seed", "-1"), ("field '--seed': too small (given: -1); allowed: a whole number from 0 to",)),
    (("--seed", str(2**64)), ("field '--seed': too large", "allowed: a whole number from 0 to")),
    (("--seed", "abc"), ("field '--seed': not a whole number (given: 'abc')",)),
    (("--ensemble", "0"), ("field '--ensemble': too small (given: 0)", "from 1 to 100,000")),
    (("--ensemble", "2", "--jobs", "0"), ("field '--jobs': too small (given: 0); allowed: a whole number, at "
                                          "least 1",)),
    (("--ensemble", "2", "--jobs", "1.5"), ("field '--jobs': not a whole number",)),
])
def test_bad_numbers_on_the_command_line(scen, args, names):
    """The project's plain one-line error (field, given, allowed), not typer's boxed one."""
    msg = run_refused(scen, *args, names=names)
    assert msg.startswith("error:") and "─" not in msg and "Invalid value" not in msg, msg


@pytest.mark.parametrize("args,names", [
    (("run",), ("Missing argument 'scenario'", "exitvoice run --help")),
    (("run", "{scen}", "--sed", "3"), ("No such option: --sed", "--seed", "exitvoice run --help")),
    (("calibrate", "{scen}"), ("Missing option '--params'", "exitvoice calibrate --help")),
    (("nosuchcommand",), ("No such command 'nosuchcommand'", "exitvoice --help")),
    (("run", "{scen}", "extra"), ("unexpected extra argument", "extra")),
])
def test_command_line_mistakes_are_one_line_errors(scen, args, names):
    """A missing argument, an unknown option or command: one plain line naming it (not typer's box), exit 2."""
    msg = refused(exitvoice(*[str(a).replace("{scen}", str(scen)) for a in args]), *names)
    assert msg.startswith("error:") and "─" not in msg and "╭" not in msg, msg


def test_help_and_version_still_exit_0():
    for args in (("--help",), ("run", "--help"), ("pack", "check", "--help"), ("--version",)):
        r = exitvoice(*args)
        assert r.returncode == 0 and r.stdout.strip() and not r.stderr.strip(), (args, r.stderr)
    r = exitvoice()  # no command: the help, as a usage error
    assert r.returncode == 2 and "Usage" in r.stdout + r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("cmd,names", [
    (("calibrate", "{scen}", "--params", "exit.beta_risk", "--seed", "-1"), ("--seed", "too small")),
    (("calibrate", "{scen}", "--params", "exit.beta_risk", "--trials", "0"), ("--trials", "at least 1")),
    (("calibrate", "{scen}", "--params", "exit.beta_risk", "--tolerance", "nan"), ("--tolerance", "finite")),
    (("calibrate", "{scen}", "--params", "exit.beta_risk", "--method", "abc-smc", "--particles", "x"),
     ("--particles", "not a whole number")),
    (("sensitivity", "{scen}", "--params", "exit.beta_risk,exit.lambda_base", "--samples", "1"),
     ("--samples", "at least 2")),
    (("compare", "{scen}", "--ensemble", "-3"), ("--ensemble", "too small")),
    (("validate", "{scen}", "--seed", "-1"), ("--seed", "too small")),
    (("serve", "--port", "70000"), ("--port", "from 0 to 65,535")),
])
def test_bad_numbers_of_every_command_are_plain_errors(scen, tmp_path, cmd, names):
    args = [str(a).replace("{scen}", str(scen)) for a in cmd]
    msg = refused(exitvoice(*args, "--out", tmp_path / "never") if cmd[0] != "serve" else exitvoice(*args), *names)
    assert msg.startswith("error:") and "─" not in msg, msg
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("address", ["", "  "])
def test_an_empty_scheduler_address_is_refused_not_taken_as_local(scen, tmp_path, address):
    run_refused(scen, "--ensemble", "2", "--scheduler", address, names=("--scheduler", "empty", "tcp://HOST:PORT"))
    for cmd in (("compare", scen), ("sensitivity", scen, "--params", "exit.beta_risk,callup.hide_rate")):
        refused(exitvoice(*cmd, "--scheduler", address, "--out", tmp_path / "never"), "--scheduler", "empty")
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("cmd,names", [
    (("run", "{scen}", "--ensemble", "2", "--draw-priors", ","), ("--draw-priors", "names no parameter group")),
    (("run", "{scen}", "--ensemble", "2", "--draw-priors", ""), ("--draw-priors", "names no parameter group")),
    (("compare", "{scen}", "--draw-priors", " "), ("--draw-priors", "names no parameter group")),
    (("calibrate", "{scen}", "--params", "exit.beta_risk", "--study", ""), ("--study", "empty")),
    (("calibrate", "{scen}", "--params", "exit.beta_risk", "--storage", ""), ("--storage", "empty")),
    (("run", "{scen}", "--set", "=3"), ("--set", "NAME=VALUE", "'=3'")),
])
def test_an_empty_option_is_refused_not_read_as_left_out(scen, tmp_path, cmd, names):
    """An empty value would silently fall back to the default (no priors drawn, another study, the default
    storage): refused, naming the option."""
    args = [str(a).replace("{scen}", str(scen)) for a in cmd]
    refused(exitvoice(*args, "--out", tmp_path / "never"), *names)
    assert not (tmp_path / "never").exists() and not list(tmp_path.glob("*.db"))


@pytest.mark.parametrize("option", ["--host", "--scenarios"])
def test_serve_refuses_an_empty_host_or_scenarios_folder(tmp_path, option):
    """`--host ""` would bind every interface; `--scenarios ""` would read the current folder."""
    refused(exitvoice("serve", tmp_path / "results", option, ""), option, "empty")
    assert not (tmp_path / "results").exists()


def test_an_empty_scheduler_address_is_refused_by_the_python_api():
    from conftest import small_scenario
    from exitvoice.ensemble import run_ensemble
    from exitvoice.errors import ExitvoiceError

    with pytest.raises(ExitvoiceError, match="empty"):
        run_ensemble(small_scenario(end="2022-09-16", scale=0.02, regions=["SE"]), 2, scheduler="")


def test_an_unreachable_scheduler_fails_fast(scen):
    msg = run_refused(scen, "--ensemble", "2", "--scheduler", "tcp://127.0.0.1:1",
                      names=("--scheduler", "tcp://127.0.0.1:1"))
    assert "could not connect to 127.0.0.1:1 (connection refused)" in msg and "not a Dask" not in msg, msg
    run_refused(scen, "--ensemble", "2", "--scheduler", "tcp://nowhere", names=("not a scheduler address",))


@pytest.mark.parametrize("address", ["ftp://x", "foo", "inproc://x", "tls://127.0.0.1:8786", "tcp://:8786",
                                     "tcp://host:99999"])
def test_a_scheduler_address_of_another_form_is_refused(scen, tmp_path, address):
    run_refused(scen, "--ensemble", "2", "--scheduler", address, names=("--scheduler", address, "tcp://HOST:PORT"))
    for cmd in (("compare", scen), ("sensitivity", scen, "--params", "exit.beta_risk,callup.hide_rate")):
        refused(exitvoice(*cmd, "--scheduler", address, "--out", tmp_path / "never"), "--scheduler", address)
    assert not list(tmp_path.glob(".never*")) and not (tmp_path / "never").exists()


def test_a_service_that_is_not_a_scheduler_is_refused_in_seconds(scen):
    """It accepts the connection and never answers: Dask alone would wait for its handshake for ever."""
    import socket
    import time

    from exitvoice.limits import SCHEDULER_CONNECT_SECONDS

    with socket.create_server(("127.0.0.1", 0)) as silent:  # the kernel accepts into the backlog
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        start = time.monotonic()
        run_refused(scen, "--ensemble", "2", "--scheduler", address, names=(address, "not a Dask scheduler"))
    assert time.monotonic() - start < 2 * SCHEDULER_CONNECT_SECONDS + 60  # interpreter start-up on a busy machine


def _scheduler_refusal(address: str) -> str:
    from exitvoice.ensemble import check_scheduler
    from exitvoice.errors import ExitvoiceError

    with pytest.raises(ExitvoiceError) as exc:
        check_scheduler(address)
    assert exc.value.field == "--scheduler" and exc.value.given == address
    return str(exc.value)


def test_an_address_that_does_not_answer_the_connection_is_unreachable_not_not_dask():
    """A port whose queue of connections is full drops new ones: the connection times out. That is "could not
    connect (no answer)", not "not a Dask scheduler"."""
    import socket

    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        port = full.getsockname()[1]
        waiting = []
        for _ in range(3):  # fill the accept queue: later connections get no answer
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            waiting.append(c)
        try:
            msg = _scheduler_refusal(f"tcp://127.0.0.1:{port}")
        finally:
            for c in waiting:
                c.close()
    assert f"could not connect to 127.0.0.1:{port} (no answer to the connection within" in msg, msg
    assert "not a Dask scheduler" not in msg


def _serve_once_each(reply: bytes | None):
    """A local server that, on every connection, reads what comes and answers `reply` (None: closes at once)."""
    import socket
    import threading

    srv = socket.create_server(("127.0.0.1", 0))

    def loop():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                if reply is not None:
                    conn.settimeout(2)
                    try:
                        conn.recv(4096)
                        conn.sendall(reply)
                    except OSError:
                        pass

    threading.Thread(target=loop, daemon=True).start()
    return srv


def test_a_connection_closed_at_once_is_unreachable():
    with _serve_once_each(None) as srv:
        port = srv.getsockname()[1]
        msg = _scheduler_refusal(f"127.0.0.1:{port}")
    assert f"could not connect to 127.0.0.1:{port} (the other end closed the connection" in msg, msg


def test_an_http_server_or_proxy_is_named_as_such():
    """What a proxy in the way (or a web server's port) answers: said as an HTTP answer, not as an unknown service."""
    with _serve_once_each(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n") as srv:
        port = srv.getsockname()[1]
        msg = _scheduler_refusal(f"tcp://127.0.0.1:{port}")
    assert "an HTTP server answered" in msg and "HTTP/1.1 400 Bad Request" in msg and "proxy" in msg, msg


def test_a_running_scheduler_passes_the_check():
    distributed = pytest.importorskip("distributed")
    from exitvoice.ensemble import check_scheduler

    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp", dashboard_address=None) as cluster:
        check_scheduler(cluster.scheduler_address)
        check_scheduler(cluster.scheduler_address.removeprefix("tcp://"))  # host:port


def test_a_failed_ensemble_leaves_no_empty_checkpoint(tmp_path):
    from conftest import small_scenario
    from exitvoice.ensemble import run_ensemble

    sc = small_scenario(end="2022-09-16", scale=0.02, regions=["SE"])
    with pytest.raises(Exception):  # noqa: B017 - whatever Dask raises for an address it cannot use
        run_ensemble(sc, 2, scheduler="ftp://x", checkpoint=tmp_path / ".out.members")
    assert not (tmp_path / ".out.members").exists()


# -- limits -----------------------------------------------------------------------------------------------------
def test_a_scenario_longer_than_the_limit_is_refused(scen):
    scen.write_text(scen.read_text().replace("end = 2022-09-24", "end = 9999-12-31"))
    refused(exitvoice("check", scen), str(scen), "scenario", f"{MAX_SCENARIO_DAYS:,}")
    run_refused(scen, names=(str(scen),))


def test_a_scenario_file_larger_than_the_limit_is_refused(scen):
    scen.write_text(scen.read_text() + "#" * MAX_SCENARIO_FILE_BYTES + "\n")
    refused(exitvoice("check", scen), str(scen), "too large", f"{MAX_SCENARIO_FILE_BYTES:,}")


def test_an_ensemble_larger_than_memory_is_refused_up_front(scen):
    scen.write_text(scen.read_text().replace("end = 2022-09-24", "end = 2030-12-31"))
    run_refused(scen, "--ensemble", "100000", names=("--ensemble", "memory"))


def test_a_comparison_larger_than_memory_is_refused_up_front(scen, tmp_path):
    scen.write_text(scen.read_text().replace("end = 2022-09-24", "end = 2024-09-24"))
    other = tmp_path / "b.toml"
    other.write_text(scen.read_text().replace('name = "bad"', 'name = "bad-b"'))
    r = exitvoice("compare", scen, other, "--ensemble", "100000", "--out", tmp_path / "o")
    refused(r, "--ensemble", "memory")
    assert not (tmp_path / "o").exists() and not (tmp_path / ".o.members").exists()


def test_a_calibration_with_more_processes_than_memory_is_refused_up_front(scen, tmp_path):
    r = exitvoice("calibrate", scen, "--params", "exit.beta_risk", "--jobs", "100000", "--trials", "100000",
                  "--out", tmp_path / "o")
    refused(r, "--jobs", "memory", "runs of")
    assert not list(tmp_path.glob("o*"))


def test_counts_in_policies_are_bounded(scen):
    scen.write_text(scen.read_text().replace("target = 300000", "target = 100000000000000"))
    refused(exitvoice("check", scen), "policy[0].target")


@pytest.mark.parametrize("policy,names", [
    ('type = "capacity_change"\nroute = "upper_lars"\nfactor = 1e308', ("policy[1].factor", "MAX_CAPACITY_FACTOR")),
    ('type = "capacity_change"\nroute = "upper_lars"\ncapacity = 1e300', ("policy[1].capacity", "MAX_ROUTE_CAPACITY")),
    ('type = "rumour"\nkind = "closure"\ncredibility = 0.5\nhalf_life_days = 5e-324',
     ("policy[1].half_life_days", "MIN_DURATION_DAYS")),
])
def test_huge_or_tiny_policy_numbers_are_refused(scen, policy, names):
    """A huge finite number used to overflow to an infinite capacity (exit 0), or a tiny duration to an infinite
    rate (a traceback)."""
    scen.write_text(scen.read_text() + f"[[policy]]\nstart = 2022-09-22\n{policy}\n")
    refused(exitvoice("check", scen), str(scen), *names)
    run_refused(scen, names=names)


@pytest.mark.parametrize("setting,names", [
    ("mobilisation.summons_per_recruit=1e308", ("policy[0].summons_per_recruit", "MAX_SUMMONS_PER_RECRUIT")),
    ("mobilisation.report_days=5e-324", ("policy[0].report_days", "MIN_DURATION_DAYS")),
])
def test_huge_or_tiny_mobilisation_settings_are_refused(scen, setting, names):
    run_refused(scen, "--set", setting, "--allow-outside-range", names=names)


def test_capacity_factors_in_force_together_are_bounded(scen):
    change = '[[policy]]\ntype = "capacity_change"\nroute = "upper_lars"\nfactor = 100\n'
    scen.write_text(scen.read_text() + change + "start = 2022-09-16\nend = 2022-09-20\n" + change
                    + "start = 2022-09-21\n")
    assert exitvoice("check", scen).returncode == 0  # one after the other: 100 at most
    scen.write_text(scen.read_text() + change + "start = 2022-09-23\n")
    refused(exitvoice("check", scen), "policy[3] (capacity_change).factor", "10000", "MAX_CAPACITY_FACTOR")


# -- observation and posterior files ----------------------------------------------------------------------------
@pytest.fixture
def run_folder(scen, tmp_path):
    out = tmp_path / "run"
    assert exitvoice("run", scen, "--out", out, "--no-plots").returncode == 0
    return out


@pytest.mark.parametrize("content,names", [
    ("", ("empty",)),
    (OBS_HEADER, ("no observations",)),
    (OBS_HEADER + "2022-09-20,daily_entries,KZ,nan,persons,,official,x,\n", ("line 2", "value", "finite")),
    (OBS_HEADER + "2022-09-20,daily_entries,KZ,inf,persons,,official,x,\n", ("line 2", "value", "finite")),
    (OBS_HEADER + "2022-09-20T00:00:00+03:00,daily_entries,KZ,5,persons,,official,x,\n", ("line 2", "date")),
    (OBS_HEADER + "2022-09-20 13:00,daily_entries,KZ,5,persons,,official,x,\n", ("line 2", "date")),
    (OBS_HEADER + "2022-09-20,cum_entries,KZ,5,persons,2022-09-15T00:00Z,official,x,\n", ("line 2", "since")),
    ("date,quantity,geography,value,value\n2022-09-20,daily_entries,KZ,5,6\n", ("value", "named twice")),
])
def test_bad_observation_files(run_folder, tmp_path, content, names):
    obs = tmp_path / "obs.csv"
    obs.write_text(content)
    r = exitvoice("validate", run_folder, "--observations", obs, "--out", tmp_path / "never")
    refused(r, str(obs), *names)
    assert not (tmp_path / "never").exists()


def test_calibrating_against_a_nan_observation_is_refused(scen, tmp_path):
    obs = tmp_path / "obs.csv"
    obs.write_text(OBS_HEADER + "2022-09-20,daily_entries,KZ,nan,persons,,official,x,\n")
    r = exitvoice("calibrate", scen, "--params", "exit.beta_risk", "--observations", obs, "--trials", "1",
                  "--out", tmp_path / "never")
    refused(r, str(obs), "value")
    assert not (tmp_path / "never").exists() and not (tmp_path / "never.db").exists()


@pytest.mark.parametrize("content,names", [
    ("", ("posterior",)),
    ("exit.beta_risk\n", ("posterior", "one row")),
    ("exit.beta_risk\nnan\n", ("row 1", "exit.beta_risk", "finite")),
    ("exit.beta_risk\ntrue\n", ("row 1", "exit.beta_risk")),
    ("exit.beta_risk\n5000\n", ("row 1", "exit.beta_risk", "declared range")),
    ("set_id,exit.beta_risk\n0,60\n0,70\n", ("set_id",)),
    ("exit.beta_risk,exit.beta_risk\n60,70\n", ("exit.beta_risk", "named twice")),
])
def test_bad_posterior_files(scen, tmp_path, content, names):
    post = tmp_path / "post.csv"
    post.write_text(content)
    msg = run_refused(scen, "--ensemble", "2", "--posterior", post, names=(str(post), *names))
    assert "exit.beta_risk.1" not in msg  # pandas' name for a second column of the same name


def test_a_posterior_with_integer_columns_is_read(scen, tmp_path):
    post = tmp_path / "post.csv"
    post.write_text("trips.trip_days,exit.beta_risk\n9,60\n10,70\n")
    r = exitvoice("run", scen, "--ensemble", "2", "--posterior", post, "--out", tmp_path / "ens", "--no-plots")
    assert r.returncode == 0, r.stderr


# -- found while looking for more ----------------------------------------------------------------------------------
def test_deeply_nested_tables_are_refused(tmp_path):
    head = '[scenario]\nname = "x"\nstart = 2022-09-14\nend = 2022-09-20\n'
    for body in ('[parameters]\n"a" = ' + "[" * 5000 + "]" * 5000, "[parameters." + "a." * 3000 + "b]\nc = 1"):
        f = tmp_path / "deep.toml"
        f.write_text(head + body + "\n")
        refused(exitvoice("check", f), str(f), "nested too deeply")


def test_a_byte_order_mark_is_accepted(tmp_path, scen):
    scen.write_bytes(b"\xef\xbb\xbf" + scen.read_bytes())
    assert exitvoice("check", scen).returncode == 0


def test_a_long_given_value_is_shortened(scen):
    scen.write_text(scen.read_text() + '[[policy]]\ntype = "exit_ban"\nstart = 2022-09-22\nenforcement = 0.5\n'
                    f'label = {["x" * 50] * 100}\n'.replace("'", '"'))
    msg = refused(exitvoice("check", scen), "policy[1].label", "characters)")
    assert len(msg) < 1000


@pytest.mark.parametrize("args,names", [
    (("--storage", "nonsense"), ("--storage", "cannot open")),
    (("--storage", "sqlite:////nonexistent/dir/x.db"), ("--storage",)),
    (("--tolerance", "nan"), ("--tolerance",)),
    (("--tolerance", "-1"), ("--tolerance",)),
    (("--params", "exit.beta_risk,exit.beta_risk"), ("--params", "twice")),
])
def test_bad_calibration_options(scen, tmp_path, args, names):
    cmd = ["calibrate", scen, "--trials", "1", "--out", tmp_path / "never"]
    if "--params" not in args:
        cmd += ["--params", "exit.beta_risk"]
    refused(exitvoice(*cmd, *args), *names)
    assert not (tmp_path / "never").exists()


def test_a_damaged_run_folder_is_refused(run_folder):
    (run_folder / "summary.json").write_text("{not json")
    refused(exitvoice("validate", run_folder, "--out", run_folder.parent / "never"), "damaged")


@pytest.mark.parametrize("text", ["{not json", "[1]"])
def test_a_run_folder_with_a_damaged_scenario_is_refused_by_compare_and_report(run_folder, scen, text):
    (run_folder / "scenario.json").write_text(text)
    out = run_folder.parent / "never"
    refused(exitvoice("compare", run_folder, scen, "--out", out), "scenario.json", "damaged")
    refused(exitvoice("report", run_folder, "--out", out.with_suffix(".html")), "scenario.json", "damaged")
    assert not out.exists() and not out.with_suffix(".html").exists()


def test_a_sensitivity_parameter_named_twice_is_refused(scen, tmp_path):
    r = exitvoice("sensitivity", scen, "--params", "exit.beta_risk,exit.beta_risk", "--samples", "2",
                  "--out", tmp_path / "never")
    refused(r, "--params", "twice")


@pytest.mark.parametrize("args,names", [
    (("--samples", "0"), ("--samples", "at least 2")),
    (("--samples", "-5"), ("--samples",)),
    (("--method", "sobel"), ("--method", "sobel")),
    (("--outputs", "happiness"), ("--outputs", "happiness")),
    (("--params", "exit.beta_risk,no.such"), ("--params", "no.such")),
    (("--outputs", ""), ("--outputs", "names no output")),
    (("--outputs", ","), ("--outputs", "names no output")),
    (("--outputs", "left_total,left_total"), ("--outputs", "twice", "left_total")),
])
def test_bad_sensitivity_options_are_refused_before_the_plan_is_printed(scen, tmp_path, args, names):
    cmd = ["sensitivity", scen, "--out", tmp_path / "never", "--params", "exit.beta_risk,callup.hide_rate", *args]
    r = exitvoice(*cmd)
    refused(r, *names)
    assert "full runs" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "never").exists()


def test_an_ensemble_outside_the_range_says_so(scen, tmp_path):
    out = tmp_path / "ens"
    r = exitvoice("run", scen, "--ensemble", "2", "--set", "callup.hide_rate=0.3", "--allow-outside-range",
                  "--out", out, "--no-plots")
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "summary.json").read_text())["warnings"] == [
        "callup.hide_rate = 0.3 is outside its declared range [0, 0.2] per day"]
    assert "outside its declared range" in r.stdout


# -- keys --set cannot change, regions named twice, a problem counted once ----------------------------------------
@pytest.mark.parametrize("key,value", [("scenario.extends", "other.toml"), ("scenario.country", "myanmar")])
def test_keys_read_with_the_file_cannot_be_set_from_the_command_line(scen, key, value):
    msg = run_refused(scen, "--set", f"{key}={value}", names=(key, "cannot be set from the command line"))
    assert "not a number" not in msg and "not both" not in msg
    refused(exitvoice("check", scen, "--set", f"{key}={value}"), key, "command line")


@pytest.mark.parametrize("value,words", [
    ("/", ("no pack.toml", "given: '/'")), ('""', ("not a folder",)), ("3", ("not a folder", "given: '3'")),
    ("nowhere", ("no such pack folder", "given: 'nowhere'", "allowed: the path of a pack folder"))])
def test_set_scenario_pack_to_a_folder_that_is_no_pack_is_refused(scen, value, words):
    """`--set scenario.pack=` runs a scenario on a pack folder; anything else is refused before anything runs."""
    run_refused(scen, "--set", f"scenario.pack={value}", names=("--set", "scenario.pack", *words))
    refused(exitvoice("check", scen, "--set", f"scenario.pack={value}"), "scenario.pack", words[0])


def test_a_region_named_twice_is_refused(scen):
    run_refused(scen, "--set", 'population.regions=["SE", "AST", "SE"]',
                names=("population.regions[2]", "twice", "'SE'"))
    scen.write_text(scen.read_text().replace('regions = ["SE", "AST"]', 'regions = ["AST", "AST"]'))
    refused(exitvoice("check", scen), str(scen), "population.regions[1]", "twice", "'AST'")


def test_a_problem_found_in_a_table_is_not_counted_twice(scen):
    msg = run_refused(scen, "--set", "scenario.end=2022-09-01", names=("scenario.end", "before start"))
    assert "more problem" not in msg


def test_a_name_set_twice_is_refused_not_the_last_taken(scen):
    run_refused(scen, "--set", "population.scale=0.5", "--set", "population.scale=0.02",
                names=("population.scale", "set twice", "population.scale=0.5"))


def test_a_table_given_to_a_parameter_is_not_a_number(scen):
    msg = run_refused(scen, "--set", "exit.beta_risk={a=1}", names=("exit.beta_risk", "not a number"))
    assert "exit.beta_risk.a" not in msg


def test_a_policy_without_a_type_and_an_empty_pack_say_so(scen):
    text = scen.read_text()
    scen.write_text(text + "[[policy]]\nstart = 2022-09-22\n")
    refused(exitvoice("check", scen), "policy[1].type", "required, but missing")
    scen.write_text(text.replace('name = "bad"', 'name = "bad"\npack = ""'))
    msg = refused(exitvoice("check", scen), "scenario.pack", "empty")
    assert "not text" not in msg


def test_pack_check_of_nothing_or_of_a_file_says_so(tmp_path):
    refused(exitvoice("pack", "check", "", cwd=tmp_path), "PACK", "empty")  # not the current folder
    (tmp_path / "s.toml").write_text("x")
    refused(exitvoice("pack", "check", tmp_path / "s.toml"), "a file, not a pack folder")


def test_report_of_a_file_says_it_is_a_file(scen, tmp_path):
    msg = refused(exitvoice("report", scen, "--out", tmp_path / "r.html"), str(scen), "a file, not a result folder")
    assert "no such" not in msg and not (tmp_path / "r.html").exists()
