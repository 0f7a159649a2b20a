"""Country packs (docs/packs.md): the format's checker on the shipped pack and on broken copies, packs outside the
package (`[scenario] pack = "path"`), pack settings (age bands, capitals, optional columns), `exitvoice pack check`."""

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import copy_pack
from exitvoice import Scenario
from exitvoice.errors import DataError, ScenarioError
from exitvoice.pack import load_pack, pack_path
from exitvoice.packcheck import FILES, ILLEGAL_ROUTE_PARAMETERS, REQUIRED_PARAMETERS, check_pack
from exitvoice.params import ParameterSet
from exitvoice.population import build_population

RUSSIA = pack_path("russia")
DOCS = Path(__file__).resolve().parents[1] / "docs" / "packs.md"


def edit_csv(path: Path, fn) -> None:
    """Rewrite a CSV (as text cells) through fn(rows: list[dict]) -> rows; the header follows the first row's keys."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows = fn(rows)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def set_cell(file, match: dict, column: str, value: str):
    def fn(rows):
        hits = [r for r in rows if all(r[k] == v for k, v in match.items())]
        assert hits, f"no row {match} in {file}"
        for r in hits:
            r[column] = value
        return rows
    return file, fn


def drop_column(file, column):
    return file, lambda rows: [{k: v for k, v in r.items() if k != column} for r in rows]


def replace_text(file, old, new):
    return file, ("text", old, new)


def apply(pack: Path, change) -> None:
    file, fn = change
    if isinstance(fn, tuple):
        text = (pack / file).read_text(encoding="utf-8")
        assert fn[1] in text, f"{fn[1]!r} not in {file}"
        (pack / file).write_text(text.replace(fn[1], fn[2], 1), encoding="utf-8")
    elif fn is None:
        (pack / file).unlink()
    else:
        edit_csv(pack / file, fn)


def test_the_shipped_pack_passes_and_says_what_it_holds():
    report = check_pack(RUSSIA)
    assert report.ok, [str(p) for p in report.problems]
    s = report.summary
    assert (s["code"], s["currency"], s["regions"], s["destinations"]) == ("RU", "RUB", 83, 20)
    assert s["land_routes"] + s["air_routes"] == 35 and s["parameters"] == 164
    assert s["illegal_routes"] == 4
    assert "Russia (RU, RUB), 83 regions" in report.summary_line()


# Each broken copy: (what is changed, file named, field named, words of the message).
BROKEN = {
    "a required file is missing": (("routes.csv", None), "routes.csv", None, "a required file is missing"),
    "a required column is missing": (drop_column("regions.csv", "lat"), "regions.csv", None, "missing columns"),
    "a latitude beyond the pole": (set_cell("regions.csv", {"region_id": "AD"}, "lat", "144.6"), "regions.csv", "lat",
                                   "above the largest allowed value"),
    "text for a number": (set_cell("regions.csv", {"region_id": "AD"}, "pop_total", "many"), "regions.csv",
                          "pop_total", "not a number"),
    "a share above 1": (set_cell("regions.csv", {"region_id": "AD"}, "urban_share", "1.2"), "regions.csv",
                        "urban_share", "a share outside [0, 1]"),
    "a duplicate region": (set_cell("regions.csv", {"region_id": "AL"}, "region_id", "AD"), "regions.csv",
                           "region_id", "a duplicate"),
    "sexes that do not add up": (set_cell("regions.csv", {"region_id": "AD"}, "male_total", "1"), "regions.csv",
                                 "male_total", "do not add up"),
    "a route to an unknown destination": (set_cell("routes.csv", {"route_id": "air:TR"}, "destination", "ZZ"),
                                          "routes.csv", "destination", "names a destination that destinations.csv"),
    "a route through an unknown crossing": (set_cell("routes.csv", {"route_id": "land:psou"}, "crossing_id", "nowhere"),
                                            "routes.csv", "crossing_id", "names a crossing_id that crossings.csv"),
    "a land route whose id is not its crossing": (
        set_cell("routes.csv", {"route_id": "land:psou"}, "route_id", "land:adler"), "routes.csv", "route_id",
        "land:<its crossing_id>"),
    "a land route without capacity": (set_cell("routes.csv", {"route_id": "land:psou"}, "capacity_param", ""),
                                      "routes.csv", "capacity_param", "without a capacity"),
    "a route and its crossing disagree": (set_cell("routes.csv", {"route_id": "land:psou"}, "destination", "GE"),
                                          "routes.csv", "destination", "different destinations"),
    "an undeclared parameter in a table": (
        set_cell("routes.csv", {"route_id": "land:psou"}, "capacity_param", "routes.capacity_nowhere"), "routes.csv",
        "capacity_param", "does not declare"),
    "a crossing in an unknown region": (set_cell("crossings.csv", {"crossing_id": "psou"}, "region_id", "XX"),
                                        "crossings.csv", "region_id", "names a region_id that regions.csv"),
    "a land crossing with an upper-case id": (set_cell("crossings.csv", {"crossing_id": "psou"}, "crossing_id", "PSOU"),
                                              "crossings.csv", "crossing_id", "lower case"),
    "no open airport": (set_cell("crossings.csv", {"mode": "air"}, "open", "False"), "crossings.csv", "open",
                        "no open airport"),
    "yes/no spelt otherwise": (set_cell("destinations.csv", {"destination": "KZ"}, "transit", "maybe"),
                               "destinations.csv", "transit", "not yes or no"),
    "the origin as a destination": (set_cell("destinations.csv", {"destination": "TR"}, "destination", "RU"),
                                    "destinations.csv", "destination", "the origin itself"),
    "a destination without normal entries": (
        set_cell("destinations.csv", {"destination": "EE"}, "entries_param", ""), "destinations.csv", "entries_param",
        "trips.entries_ee"),
    "no fare for a destination reached by air": (
        ("fares.csv", lambda rows: [r for r in rows if r["destination"] != "TR"]), "fares.csv", "destination",
        "no fare"),
    "a row without a source": (set_cell("fares.csv", {"destination": "TR"}, "source", ""), "fares.csv", "source",
                               "a row without a source"),
    "a gap in the age groups": (("age_sex.csv", lambda rows: [r for r in rows if r["age_lo"] != "20"]), "age_sex.csv",
                                "age_lo", "without gaps or overlaps"),
    "two sectors without a share": (set_cell("economy_sectors.csv", {"sector": "it"}, "employed_share", ""),
                                    "economy_sectors.csv", "employed_share", "exactly one sector"),
    "a group of unknown crossings": (set_cell("crossing_groups.csv", {"crossing_id": "svetogorsk"}, "crossing_id",
                                              "nowhere"), "crossing_groups.csv", "crossing_id", "names a crossing_id"),
    "a default outside its range": (replace_text("parameters.toml", "default = 146980061", "default = 1"),
                                    "parameters.toml", "population.total.default", "outside its range"),
    "a declaration without a source": (
        replace_text("parameters.toml", 'source = "Rosstat via RIA, https://mignews.co.il/news/politic/chislennost-'
                     'naseleniya-rf-sokratilos.html"', 'source = ""'), "parameters.toml", "population.total.source",
        "an empty source"),
    "a parameter the model reads, undeclared": (
        replace_text("parameters.toml", "[exit.beta_risk]", "[exit.beta_risky]"), "parameters.toml", "exit.beta_risk",
        "the model reads"),
    "an unknown observation kind": (replace_text("observations_2022.csv", ",mobilised_cum,", ",mobilized_cum,"),
                                    "observations_2022.csv", "quantity", "unknown quantity"),
    "an observation of an unknown place": (replace_text("observations_2022.csv", ",mobilised_cum,RU,",
                                                        ",mobilised_cum,XX,"), "observations_2022.csv", "geography",
                                           "a geography the pack does not have"),
    "an age band that does not start at 35": (
        replace_text("pack.toml", '"30-34", "35-39"', '"30-36", "37-39"'), "pack.toml", "population.age_bands",
        "no band starts at age(s) [35]"),
    "a lower-case country code": (replace_text("pack.toml", 'code = "RU"', 'code = "ru"'), "pack.toml", "pack.code",
                                  "should match pattern"),
    "a capital that is not a region": (replace_text("pack.toml", '["MOW", "SPE"]', '["MOW", "LENINGRAD"]'),
                                       "pack.toml", "population.capitals", "not have"),
    "pack.toml missing": (("pack.toml", None), "pack.toml", None, "no pack.toml"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_copy_fails_with_the_right_message(tmp_path, case):
    change, file, field, words = BROKEN[case]
    pack = copy_pack(tmp_path)
    apply(pack, change)
    report = check_pack(pack)
    assert not report.ok
    hits = [p for p in report.problems if p.file == file and (field is None or p.field == field)
            and words in str(p)]
    assert hits, f"{case}: expected {file}/{field}/{words!r}, got {[str(p) for p in report.problems]}"
    text = str(hits[0])
    assert text.startswith(file) and words in text


def test_every_problem_is_reported_in_one_pass(tmp_path):
    pack = copy_pack(tmp_path)
    for case in ("a latitude beyond the pole", "a route to an unknown destination", "a default outside its range",
                 "an unknown observation kind"):
        apply(pack, BROKEN[case][0])
    files = {p.file for p in check_pack(pack).problems}
    assert {"regions.csv", "routes.csv", "parameters.toml", "observations_2022.csv"} <= files


def test_every_wrong_field_of_pack_toml_is_reported_not_only_the_first(tmp_path):
    """docs/packs.md: the check reports every problem; in pack.toml, every field that is wrong."""
    pack = copy_pack(tmp_path)
    apply(pack, replace_text("pack.toml", 'code = "RU"', 'code = "ru"'))
    apply(pack, replace_text("pack.toml", 'currency = "RUB"', 'currency = "rubles"'))
    fields = {p.field for p in check_pack(pack).problems if p.file == "pack.toml"}
    assert {"pack.code", "pack.currency"} <= fields, fields


def test_missing_columns_are_named_as_missing(tmp_path):
    pack = copy_pack(tmp_path)
    apply(pack, drop_column("regions.csv", "lat"))
    (p,) = [p for p in check_pack(pack).problems if "missing columns" in p.message]
    assert "(missing: ['lat'])" in str(p) and "'lat'" not in repr(p.given)


def test_a_row_problem_names_its_line_and_what_is_allowed(tmp_path):
    pack = copy_pack(tmp_path)
    apply(pack, set_cell("regions.csv", {"region_id": "AD"}, "lat", "144.6"))
    (p,) = check_pack(pack).problems
    assert (p.file, p.line, p.field, p.given) == ("regions.csv", 2, "lat", "144.6")
    assert "<= 90" in str(p.allowed)


def test_garbage_files_are_problems_not_crashes(tmp_path):
    pack = copy_pack(tmp_path)
    (pack / "regions.csv").write_bytes(b"\xff\xfe\x00garbage")
    (pack / "parameters.toml").write_text("this is = = not toml")
    (pack / "pack.toml").write_text("[pack]\nname = 1\n")
    report = check_pack(pack)
    files = {p.file for p in report.problems}
    assert {"regions.csv", "parameters.toml", "pack.toml"} <= files
    assert check_pack(tmp_path / "nowhere").problems[0].message == "no such pack folder"


def test_loading_a_broken_pack_names_its_first_problem(tmp_path):
    pack = copy_pack(tmp_path)
    apply(pack, BROKEN["a route to an unknown destination"][0])
    with pytest.raises(DataError, match=r"the pack has \d+ problems; the first: routes.csv, line"):
        load_pack(str(pack))
    with pytest.raises(DataError, match="no such pack folder"):
        load_pack(str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="no such country pack"):
        load_pack("atlantis")


def test_every_column_and_required_parameter_is_documented():
    text = DOCS.read_text()
    for spec in FILES.values():
        assert f"`{spec.name}`" in text, spec.name
        for col in spec.columns:
            assert f"`{col.name}`" in text, f"{spec.name}: {col.name}"
    for group, keys in REQUIRED_PARAMETERS.items():
        for key in keys:
            assert f"{group}.{key}" in text or key in text, f"{group}.{key}"
    for name in ILLEGAL_ROUTE_PARAMETERS:
        assert f"`{name}`" in text, name


class _Recording(ParameterSet):
    """A parameter set that remembers every name the model reads."""

    read: set[str] = set()

    def __getitem__(self, name):
        _Recording.read.add(name)
        return super().__getitem__(name)

    def group(self, prefix):
        values = super().group(prefix)

        class Reads(dict):
            def __getitem__(self, key):
                _Recording.read.add(f"{prefix}.{key}")
                return super().__getitem__(key)

        return Reads(values)


def test_the_model_reads_no_parameter_the_format_does_not_declare():
    """What a run reads by name is in REQUIRED_PARAMETERS, or named by the pack's tables or the scenario's policies:
    so a pack that declares the required parameters (and those its tables name) runs."""
    from exitvoice.api import run

    sc = Scenario.from_dict({
        "scenario": {"name": "reads", "start": "2022-09-14", "end": "2022-10-05"},
        "population": {"scale": 0.02, "regions": ["SE", "AST", "MOW"]},
        "policy": [
            {"type": "mobilisation", "start": "2022-09-15", "target": 300000, "allocation": "burden",
             "summons_exit_ban": True},
            {"type": "exit_ban", "start": "2022-09-20", "enforcement": 0.5, "crossings": ["karaozek"]},
            {"type": "summons_at_border", "start": "2022-09-20", "crossings": ["upper_lars"], "probability": 0.1},
            {"type": "rumour", "start": "2022-09-16", "kind": "closure", "credibility": 0.5, "half_life_days": 4},
            {"type": "rumour", "start": "2022-09-17", "kind": "general_mobilisation", "credibility": 0.5,
             "half_life_days": 4},
            {"type": "capacity_change", "start": "2022-09-20", "route": "upper_lars", "factor": 1.3},
            {"type": "host_rule", "start": "2022-09-20", "destination": "TR", "max_stay_days": 60},
            {"type": "border_closure", "start": "2022-09-25", "destinations": ["FI"], "applies_to": "tourists",
             "by": "destination"},
            {"type": "social_contract", "start": "2022-09-20", "offer_rate": 0.05},
            {"type": "exit_visa", "start": "2022-09-28", "daily_capacity": 60000, "processing_days": 3},
            {"type": "regular_conscription", "start": "2022-09-20", "end": "2022-10-05", "intake": 120000},
        ]}, source="test")
    pack = load_pack("russia")
    _Recording.read = set()
    run(sc, params=_Recording(pack.declarations), progress=None)
    required = {f"{g}.{k}" for g, keys in REQUIRED_PARAMETERS.items() for k in keys}
    named = set(pack.routes.capacity_param.dropna()) | set(pack.routes.flights_param.dropna())
    named |= set(pack.destinations.access_param.dropna()) | set(pack.destinations.entries_param)
    named |= set(pack.destinations.weekend_param.dropna())
    sectors = pd.read_csv(pack.path / "economy_sectors.csv")
    named |= set(sectors.remote_param.dropna()) | set(sectors.exit_propensity_param.dropna())
    named |= set(pack.settings.callup_names())  # the call-up's ages, weights and shares who served
    ill = pack.illegal_routes  # capture, cost, capacity and summons of the illegal routes
    for col in ("capture_param", "cost_param", "capacity_param", "summons_param"):
        named |= {v for v in ill[col].dropna() if isinstance(v, str) and v}
    named |= set(ILLEGAL_ROUTE_PARAMETERS)  # read for a pack with illegal routes, which must declare them
    assert _Recording.read, "nothing was recorded"
    assert _Recording.read - required - named == set()


# -- packs outside the package -------------------------------------------------------------------------------------

SCENARIO = """[scenario]
name = "outside"
{pack_line}
start = 2022-09-14
end = 2022-09-28
[population]
scale = 0.02
regions = ["SE", "AST"]
[[policy]]
type = "mobilisation"
start = 2022-09-21
target = 300000
allocation = "burden"
"""


def _scenario_file(folder: Path, pack_line: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "s.toml"
    path.write_text(SCENARIO.format(pack_line=pack_line))
    return path


def test_a_pack_folder_relative_to_the_scenario_runs_like_the_built_in_pack(tmp_path):
    from exitvoice.api import run

    copy_pack(tmp_path / "packs", "ru")
    outside = Scenario.from_toml(_scenario_file(tmp_path / "scenarios", 'pack = "../packs/ru"'))
    inside = Scenario.from_toml(_scenario_file(tmp_path / "builtin", 'country = "russia"'))
    assert outside.scenario.country == str((tmp_path / "packs" / "ru").resolve())
    a, b = run(outside, seed=3, progress=None), run(inside, seed=3, progress=None)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    again = Scenario.from_dict(outside.model_dump(mode="json"), source="round trip")  # as workers receive it
    assert again.scenario.country == outside.scenario.country


def test_a_scenario_that_extends_another_keeps_its_pack_relative_to_the_file_naming_it(tmp_path):
    copy_pack(tmp_path / "packs", "ru")
    base = _scenario_file(tmp_path / "a", 'pack = "../packs/ru"')
    child = tmp_path / "b" / "deeper" / "child.toml"
    child.parent.mkdir(parents=True)
    child.write_text(f'[scenario]\nextends = "{Path("../..") / "a" / base.name}"\nname = "child"\n')
    sc = Scenario.from_toml(child)
    assert sc.scenario.pack == str((tmp_path / "packs" / "ru").resolve())


@pytest.mark.parametrize("pack_line,words", [
    ('pack = "../nowhere"', "field 'scenario.pack': no such pack folder"),
    ('pack = "../broken"', "field 'scenario.pack': the pack has"),
    ('pack = "../broken"\ncountry = "russia"', "not both"),
    ('country = "atlantis"', "field 'scenario.country': no such country pack"),
])
def test_a_missing_or_broken_pack_is_refused(tmp_path, pack_line, words):
    broken = copy_pack(tmp_path, "broken")
    apply(broken, BROKEN["a route to an unknown destination"][0])
    path = _scenario_file(tmp_path / "sc", pack_line)
    with pytest.raises(ScenarioError, match="s.toml") as exc:
        Scenario.from_toml(path)
    assert words in str(exc.value)
    r = subprocess.run([sys.executable, "-m", "exitvoice", "check", str(path)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and words in " ".join(r.stderr.split())


def test_a_shipped_scenario_runs_on_a_pack_folder_through_extends_or_set(russia_copy, tmp_path):
    """End to end through the CLI: russia-2022 on a copy of the russia pack in the test's folder, by a file that
    extends the shipped scenario and names the copy (`pack`, relative to that file), and by `--set scenario.pack=`
    (relative to the working directory). Both run on the copy (recorded in summary.json and scenario.json) and give
    the same results."""
    shipped = Path(__file__).resolve().parents[1] / "scenarios" / "russia-2022.toml"
    mine = tmp_path / "mine.toml"
    mine.write_text(f'[scenario]\nextends = "{shipped.as_posix()}"\nname = "russia-2022"\npack = "pack"\n'
                    "[population]\nscale = 0.01\n")
    exe = [sys.executable, "-m", "exitvoice"]
    runs = {"extends": [*exe, "run", str(mine), "--out", "a", "--no-plots"],
            "set": [*exe, "run", str(shipped), "--set", "scenario.pack=pack", "--set", "population.scale=0.01",
                    "--out", "b", "--no-plots"]}
    totals = {}
    for (how, cmd), out in zip(runs.items(), ("a", "b"), strict=True):
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
        assert r.returncode == 0, (how, r.stderr)
        summary = json.loads((tmp_path / out / "summary.json").read_text())
        assert summary["country"] == str(russia_copy.resolve()), how
        totals[how] = summary["totals"]
    assert totals["extends"] == totals["set"]


@pytest.mark.parametrize("how", ["extends", "set"])
@pytest.mark.parametrize("pack,words", [
    ("nowhere", "field 'scenario.pack': no such pack folder"),
    ("pack", "field 'scenario.pack': the pack has"),
])
def test_a_shipped_scenario_on_a_missing_or_broken_pack_folder_is_refused(russia_copy, tmp_path, how, pack, words):
    """Through `extends` or `--set scenario.pack=`, a missing folder or a pack that fails its check stops the command
    with exit code 2, no traceback and nothing written: the file (or `--set`), the field, what was given, and the
    pack's first problem with its own file, line, field and what it allows."""
    apply(russia_copy, BROKEN["a route to an unknown destination"][0])
    shipped = Path(__file__).resolve().parents[1] / "scenarios" / "russia-2022.toml"
    mine = tmp_path / "mine.toml"
    mine.write_text(f'[scenario]\nextends = "{shipped.as_posix()}"\nname = "mine"\npack = "{pack}"\n')
    args = [str(mine)] if how == "extends" else [str(shipped), "--set", f"scenario.pack={pack}"]
    for command in (["check"], ["run", "--out", "out", "--no-plots"]):
        r = subprocess.run([sys.executable, "-m", "exitvoice", command[0], *args, *command[1:]], capture_output=True,
                           text=True, cwd=tmp_path)
        err = " ".join(r.stderr.split())
        assert r.returncode == 2 and "Traceback" not in r.stderr and words in err, err
        assert ("mine.toml" if how == "extends" else "--set") in err
        if pack == "pack":
            assert "routes.csv, line" in err and "field 'destination'" in err and "allowed:" in err
        else:
            assert "(given: 'nowhere')" in err or "given: " in err
        assert not (tmp_path / "out").exists()


def test_set_scenario_pack_checks_the_scenario_again_on_the_new_pack(russia_copy):
    """The names of the scenario (a parameter its mobilisation names here) are checked against the pack it runs on,
    not the one the file named: a parameter the copy does not declare is refused, naming the scenario with --set."""
    params = russia_copy / "parameters.toml"
    text = params.read_text(encoding="utf-8")
    start = text.index("[events2022.summons_ban_enforcement]")
    params.write_text(text[:start] + text[text.index("\n[", start) + 1:], encoding="utf-8")
    assert check_pack(russia_copy).ok  # no table of the pack names it: only the scenario does
    sc = Scenario.from_toml(Path(__file__).resolve().parents[1] / "scenarios" / "russia-2022.toml")
    with pytest.raises(ScenarioError, match="with --set") as exc:
        sc.with_overrides({"scenario.pack": str(russia_copy)})
    assert "events2022.summons_ban_enforcement" in str(exc.value)


# -- pack settings and optional columns ------------------------------------------------------------------------------

def test_other_age_bands_keep_the_population_and_its_shares(tmp_path):
    pack = copy_pack(tmp_path)
    apply(pack, replace_text("pack.toml", '["0-17", "18-19", "20-24"', '["0-9", "10-17", "18-19", "20-22", "23-24"'))
    apply(pack, replace_text("pack.toml", '"60-64", "65+"]', '"60-64", "65-79", "80+"]'))
    assert check_pack(pack).ok
    base = load_pack("russia")
    other = load_pack(str(pack))
    a = build_population(base, ParameterSet(base.declarations), scale=0.01)
    b = build_population(other, ParameterSet(other.declarations), scale=0.01)
    assert b.bands[:2] == [(0, 9), (10, 17)] and len(b.bands) == len(a.bands) + 3
    assert b.total == a.total
    fa, fb = a.frame(), b.frame()
    for attr in ("passport", "opposed", "tertiary", "served"):
        share_a = (fa["size"] * fa[attr]).sum() / fa["size"].sum()
        share_b = (fb["size"] * fb[attr]).sum() / fb["size"].sum()
        assert abs(share_a - share_b) < 0.01, attr
    men = fb[(fb.sex == "male")]
    assert set(men.age_band) >= {"20-22", "23-24", "80+"}


def _without_age_rules(pack: Path) -> None:
    """Remove the population's and the economy's age rules from a copy's pack.toml (back to the defaults)."""
    text = (pack / "pack.toml").read_text(encoding="utf-8")
    keep = [line for line in text.splitlines() if not line.startswith(
        ("adult_age", "prime_men_ages", "tertiary_young_ages", "tertiary_ages", "passport_peak_ages"))]
    text = "\n".join(keep) + "\n"
    start = text.index("[economy]")
    end = text.index("]\n", text.index("employment = [", start)) + 2
    (pack / "pack.toml").write_text(text[:start] + text[end:], encoding="utf-8")


def test_the_age_rules_are_the_packs_and_the_defaults_are_the_russia_packs(russia_copy):
    """Both packs write the population's and the economy's age rules in pack.toml; a pack that leaves them out gets
    the defaults (docs/packs.md), which are the russia pack's: the same cells and the same employment."""
    from exitvoice.economy import Economy

    for name in ("russia", "myanmar"):
        text = (pack_path(name) / "pack.toml").read_text(encoding="utf-8")
        assert "adult_age = 18" in text and "tertiary_ages = [25, 34]" in text and "[economy]" in text, name
    _without_age_rules(russia_copy)
    assert "[economy]" not in (russia_copy / "pack.toml").read_text() and check_pack(russia_copy).ok
    base, bare = load_pack("russia"), load_pack(str(russia_copy))
    assert bare.settings.population.prime_men_ages == [20, 49] and len(bare.settings.economy.employment) == 6
    a = build_population(base, ParameterSet(base.declarations), scale=0.01)
    b = build_population(bare, ParameterSet(bare.declarations), scale=0.01)
    pd.testing.assert_frame_equal(a.frame(), b.frame())
    ea, eb = (Economy.build(p, ParameterSet(p.declarations), pop) for p, pop in ((base, a), (bare, b)))
    assert np.array_equal(ea.emp, eb.emp)


def test_other_age_rules_change_the_population_and_the_economy(russia_copy):
    """A pack's own ages: adults from 20 (18-19s hold passports at the children's share), degrees of the main ages
    to 29 only (30-34 already falling), no employment from 65."""
    from exitvoice.economy import Economy

    apply(russia_copy, replace_text("pack.toml", "adult_age = 18", "adult_age = 20"))
    apply(russia_copy, replace_text("pack.toml", "tertiary_ages = [25, 34]", "tertiary_ages = [25, 29]"))
    apply(russia_copy, replace_text("pack.toml", '{ age_min = 65, rate = "economy.emp_rel_65_plus" }',
                                    "{ age_min = 65, rate = 0.0 }"))
    assert check_pack(russia_copy).ok
    base, other = load_pack("russia"), load_pack(str(russia_copy))
    pa, pb = ParameterSet(base.declarations), ParameterSet(other.declarations)
    a, b = build_population(base, pa, scale=0.01), build_population(other, pb, scale=0.01)

    def share(pop, attr, band):
        f = pop.frame()
        f = f[f.age_band == band]
        return (f["size"] * f[attr]).sum() / f["size"].sum()

    assert share(b, "passport", "18-19") == pytest.approx(pa["population.passport_share_children"], abs=0.01)
    assert share(a, "passport", "18-19") > share(b, "passport", "18-19")
    assert share(b, "tertiary", "30-34") < share(a, "tertiary", "30-34")
    assert share(b, "tertiary", "25-29") == pytest.approx(share(a, "tertiary", "25-29"), abs=1e-3)
    ea, eb = Economy.build(base, pa, a), Economy.build(other, pb, b)
    old = b.band == len(b.bands) - 1  # 65+
    assert ea.emp[a.band == len(a.bands) - 1].sum() > 0 and eb.emp[old].sum() == 0


@pytest.mark.parametrize("old,new,field,words", [
    ("tertiary_ages = [25, 34]", "tertiary_ages = [25, 36]", "population.age_bands",
     "no band starts at age(s) [37]: the rules of the population and the economy change there: 37 "
     "(population.tertiary_ages)"),
    ("adult_age = 18", "adult_age = 16", "population.age_bands", "no band starts at age(s) [16]"),
    ("tertiary_ages = [25, 34]", "tertiary_ages = [34, 25]", "population.tertiary_ages", "below the first"),
    ("passport_peak_ages = [40, 49]", "passport_peak_ages = [41, 44]", "population.passport_peak_ages",
     "no age band starts within these ages"),
    ('{ age_min = 60, rate = "economy.emp_rel_60_64" }', '{ age_min = 60, rate = "economy.emp_rel_sixties" }',
     "economy.employment[4].rate", "does not declare"),
    ("{ age_min = 25, rate = 1.0 }", "{ age_min = 56, rate = 1.0 }", "economy.employment", "from the youngest"),
    ("{ age_min = 25, rate = 1.0 }", "{ age_min = 25, rate = -1.0 }", "economy.employment.2.rate", ""),
])
def test_a_broken_age_rule_is_refused_by_pack_check_with_its_field(russia_copy, old, new, field, words):
    apply(russia_copy, replace_text("pack.toml", old, new))
    problems = [p for p in check_pack(russia_copy).problems if p.file == "pack.toml"]
    assert any(p.field == field and words in str(p) for p in problems), [str(p) for p in problems]
    r = _cli("pack", "check", str(russia_copy))
    assert r.returncode == 2 and "Traceback" not in r.stderr and field in r.stdout + r.stderr


def test_regions_without_men_20_49_and_call_up_burden(tmp_path):
    pack = copy_pack(tmp_path)
    apply(pack, drop_column("regions.csv", "male_20_49"))
    apply(pack, drop_column("regions.csv", "callup_burden"))
    assert check_pack(pack).ok
    p = load_pack(str(pack))
    ref = load_pack("russia")
    share = p.regions.male_20_49.sum() / p.regions.male_total.sum()
    assert abs(share - ref.regions.male_20_49.sum() / ref.regions.male_total.sum()) < 0.02  # the national shape
    assert not p.callup_burden_given and (p.regions.callup_burden == 1).all()
    path = _scenario_file(tmp_path / "sc", f'pack = "{pack}"')
    with pytest.raises(ScenarioError, match="allocation \"burden\" needs the pack's call-up burden"):
        Scenario.from_toml(path)
    path.write_text(path.read_text().replace('allocation = "burden"', 'allocation = "proportional"'))
    assert Scenario.from_toml(path).scenario.pack == str(pack.resolve())


def test_a_pack_without_capitals(tmp_path):
    pack = copy_pack(tmp_path)
    apply(pack, replace_text("pack.toml", 'capitals = ["MOW", "SPE"]', "capitals = []"))
    p = load_pack(str(pack))
    pop = build_population(p, ParameterSet(p.declarations), scale=0.01)
    f = pop.frame()
    adults = f[f.age_band != "0-17"]
    assert abs((adults["size"] * adults.passport).sum() / adults["size"].sum() - 0.29) < 2e-3


LAW = """
[callup]
men = { ages = [18, 34] }
women = { ages = [18, 24], weight = "callup.weight_women" }
"""
WEIGHT_WOMEN = """
[callup.weight_women]
default = 0.5
unit = "share"
range = [0.0, 1.0]
prior = "uniform"
meaning = "weight of women in the call-up"
source = "a test value"
"""


def _law_pack(tmp_path) -> Path:
    """The russia pack with a call-up law reaching men 18-34 and women 18-24 (at half weight)."""
    pack = copy_pack(tmp_path)
    text = (pack / "pack.toml").read_text()
    start = text.index("[callup]")
    (pack / "pack.toml").write_text(text[:start] + LAW.lstrip())
    with open(pack / "parameters.toml", "a", encoding="utf-8") as fh:
        fh.write(WEIGHT_WOMEN)
    return pack


def test_the_call_up_law_reaches_the_sexes_and_ages_of_the_pack(tmp_path):
    """`[callup]` in pack.toml: who is of call-up age and who a mobilisation may summon, by sex and age."""
    from exitvoice.policies import PolicyContext, eligibility_weights

    pack = _law_pack(tmp_path)
    assert check_pack(pack).ok
    p = load_pack(str(pack))
    pop = build_population(p, ParameterSet(p.declarations), scale=0.01)
    men, women = pop.sex == 0, pop.sex == 1
    assert set(np.unique(pop.age_lo[pop.callup_age & men])) == {18, 20, 25, 30}
    assert set(np.unique(pop.age_lo[pop.callup_age & women])) == {18, 20}
    assert (pop.callup_weight[pop.callup_age & women] == 0.5).all()
    w = eligibility_weights(PolicyContext(pop, None, ParameterSet(p.declarations), pop.callup_age), None)
    assert (w[~pop.callup_age] == 0).all()
    assert (w[women & (pop.age_lo == 20) & (pop.tertiary == 0)] > 0).all()  # unserved women 20-24
    ru = load_pack("russia")  # men from 18 to callup.age_max_senior_officers (55), no women
    pop = build_population(ru, ParameterSet(ru.declarations), scale=0.01)
    assert not pop.callup_age[pop.sex == 1].any()
    assert pop.age_hi[pop.callup_age].max() == 54 and pop.age_lo[pop.callup_age].min() == 18


@pytest.mark.parametrize("law, field, words", [
    ("[callup]\n", "callup", "reaches no one"),
    ('[callup]\nmen = { ages = [18, "callup.nowhere"] }\n', "callup.men.ages", "does not declare"),
    ("[callup]\nmen = { ages = [35, 18] }\n", "callup.men.ages", "below the first"),
    ("[callup]\nmen = { ages = [18, 35], weight = 2 }\n", "callup.men.weight", "[0, 1]"),
])
def test_a_broken_call_up_law_is_refused_with_its_field(tmp_path, law, field, words):
    pack = copy_pack(tmp_path)
    text = (pack / "pack.toml").read_text()
    (pack / "pack.toml").write_text(text[:text.index("[callup]")] + law)
    problems = check_pack(pack).problems
    assert any(pr.field and pr.field.startswith(field) and words in str(pr) for pr in problems), problems


def _context(pack):
    from exitvoice.policies import PolicyContext

    params = ParameterSet(pack.declarations)
    pop = build_population(pack, params, scale=0.01)
    return PolicyContext(pop, None, params, pop.callup_age)


def test_the_russia_packs_classes_are_the_2022_rules():
    """`[callup] classes` of the russia pack give each man the weight the 2022 call-up gave him: served privates and
    sergeants to 35 at 1, served junior officers to 50 and senior officers to 55 at their weights, the unserved to
    35 at `callup.weight_unserved` (the rules that were written in the code before they were the pack's)."""
    from exitvoice.policies import eligibility_weights

    pack = load_pack("russia")
    ctx = _context(pack)
    pop, p = ctx.pop, ctx.params
    w = eligibility_weights(ctx, None, deferral=False)
    hi, served, men = pop.age_hi, pop.served == 1, (pop.sex == 0) & (pop.age_lo >= 18)
    expected = np.zeros(pop.n_cells)
    expected[served & (hi <= p["callup.age_max_senior_officers"])] = p["callup.weight_senior_officers"]
    expected[served & (hi <= p["callup.age_max_junior_officers"])] = p["callup.weight_officers"]
    expected[served & (hi <= p["callup.age_max_privates"])] = 1.0
    expected[~served & (hi <= p["callup.age_max_privates"])] = p["callup.weight_unserved"]
    expected *= men
    assert np.array_equal(w, expected)
    share = pop.frame().assign(w=pop.size)
    for (lo, hi_), name in (((20, 34), "population.served_share_young"), ((35, 200), "population.served_share_old")):
        cells = (pop.sex == 0) & (pop.age_lo >= lo) & (pop.age_hi <= hi_)
        got = (share["size"][cells] * share.served[cells]).sum() / share["size"][cells].sum()
        assert abs(got - p[name]) < 1e-3, name
    assert not pop.served[(pop.sex == 1) | (pop.age_hi < 20)].any()  # no woman, no one under 20 served


def test_a_call_up_changes_a_class_by_its_name_and_reads_the_first_spelling():
    from exitvoice.policies import Mobilisation, eligibility_weights

    pack = load_pack("russia")
    ctx = _context(pack)
    base = dict(type="mobilisation", start="2022-09-21", target=300000)
    named = Mobilisation(**base, eligible={"unserved": {"weight": 0.5}, "privates": {"age_max": 40}})
    first = Mobilisation(**base, eligible={"weight_unserved": 0.5, "privates_max_age": 40})
    assert named.eligible == first.eligible
    w = eligibility_weights(ctx, named, deferral=False)
    pop = ctx.pop
    unserved = (pop.served == 0) & (pop.sex == 0) & (pop.age_lo >= 18) & (pop.age_hi <= 35)
    assert (w[unserved] == 0.5).all()
    assert (w[(pop.served == 1) & (pop.sex == 0) & (pop.age_lo == 35) & (pop.age_hi == 39)] == 1.0).all()
    sc = {"scenario": {"name": "classes", "start": "2022-09-14", "end": "2022-10-05"},
          "population": {"scale": 0.02, "regions": ["SE", "AST"]},
          "policy": [{**base, "eligible": {"reservists": {"weight": 0.5}}}]}
    with pytest.raises(ScenarioError, match="unknown eligibility classes") as exc:
        Scenario.from_dict(sc, source="test")
    assert "privates" in str(exc.value) and "eligible" in str(exc.value)


def test_the_regular_draft_takes_the_sexes_of_the_pack():
    """The russia pack's draft takes unserved men of the campaign's ages; the myanmar pack's men and women who have
    not served, at the law's ages (men 18-35, women 18-27) when the campaign names none."""
    from exitvoice.policies.regular_conscription import RegularConscription

    draft = dict(type="regular_conscription", start="2022-11-01", end="2022-12-31", intake=120000)
    ru = _context(load_pack("russia"))
    w = RegularConscription(**draft, ages=[18, 27]).eligible(ru)
    pop = ru.pop
    assert (w[pop.sex == 1] == 0).all() and (w[pop.served == 1] == 0).all()
    assert set(np.unique(pop.age_lo[w > 0])) == {18, 20, 25}
    assert np.allclose(w[(pop.sex == 0) & (pop.served == 0) & (pop.age_lo == 25)], 3 / 5)  # 25-27 of 25-29
    mm = _context(load_pack("myanmar"))
    w = RegularConscription(**draft).eligible(mm)
    pop = mm.pop
    for sex, last in ((0, 35), (1, 27)):
        drafted = (w > 0) & (pop.sex == sex)
        assert pop.age_lo[drafted].min() == 18 and pop.age_hi[drafted].max() == last
        assert (w[drafted] == 1).all()
    assert (w[pop.served == 1] == 0).all()


@pytest.mark.parametrize("extra, field, words", [
    ('classes = [{ name = "a" }, { name = "a" }]\n', "callup.classes", "same name"),
    ('classes = [{ name = "a", age_max = "callup.nowhere" }]\n', "callup.classes[0].age_max", "does not declare"),
    ('classes = [{ name = "a", weight = "callup.age_max_privates" }]\n', "callup.classes[0].weight", "not a share"),
    ('classes = [{ name = "a", age_min = 40, age_max = 30 }]\n', "callup.classes[0]", "below the first"),
    ('classes = [{ name = "Privates" }]\n', "callup.classes.0.name", "pattern"),
    ('served = [{ sex = "men", age_min = 20, share = 1.5 }]\n', "callup.served.0.share", "[0, 1]"),
    ('served = [{ sex = "men", age_min = 20, share = "population.nowhere" }]\n', "callup.served[0].share",
     "does not declare"),
    ('draft = { sexes = ["women"] }\n', "callup.draft.sexes", "does not reach"),
    ('draft = { sexes = [] }\n', "callup.draft.sexes", "at least 1"),
])
def test_a_broken_class_served_share_or_draft_is_refused_with_its_field(tmp_path, extra, field, words):
    pack = copy_pack(tmp_path)
    text = (pack / "pack.toml").read_text()
    law = 'men = { ages = [18, "callup.age_max_senior_officers"] }\n'
    (pack / "pack.toml").write_text(text[:text.index("[callup]")] + "[callup]\n" + law + extra)
    problems = check_pack(pack).problems
    assert any(pr.field and pr.field.startswith(field) and words in str(pr) for pr in problems), problems


def test_a_law_without_classes_or_reserve_calls_everyone_it_reaches_at_its_weight(tmp_path):
    """The defaults of `[callup]`: one class (everyone the law reaches, served or not, at weight 1), no one served,
    a draft of the sexes the law reaches at its ages."""
    from exitvoice.policies import eligibility_weights
    from exitvoice.policies.regular_conscription import RegularConscription

    pack = _law_pack(tmp_path)  # men 18-34, women 18-24 at half weight; no classes, served or draft
    ctx = _context(load_pack(str(pack)))
    pop = ctx.pop
    assert not pop.served.any()
    w = eligibility_weights(ctx, None, deferral=False)
    assert np.array_equal(w, pop.callup_weight * pop.callup_age)
    draft = RegularConscription(type="regular_conscription", start="2022-11-01", end="2022-12-31", intake=1000)
    d = draft.eligible(ctx)
    assert np.array_equal(d > 0, pop.callup_age)
    from exitvoice.policies.base import Who

    assert np.array_equal(Who(callup_age=True).mask(pop), pop.callup_age)  # a policy filter: of call-up age


def test_a_pack_without_a_call_up_table_is_refused(tmp_path):
    """Whom the call-up law reaches is the pack's to say: there is no default law (it was the russia pack's)."""
    pack = copy_pack(tmp_path)
    text = (pack / "pack.toml").read_text()
    (pack / "pack.toml").write_text(text[:text.index("[callup]")])
    problems = check_pack(pack).problems
    assert [p.field for p in problems] == ["callup"] and "required" in str(problems[0]).lower(), problems


# -- the command line ------------------------------------------------------------------------------------------------

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "exitvoice", *args], capture_output=True, text=True)


def test_cli_pack_check_of_the_built_in_pack():
    r = _cli("pack", "check", "russia")
    assert r.returncode == 0, r.stderr
    assert "ok" in r.stdout and "Russia (RU, RUB), 83 regions" in " ".join(r.stdout.split())


def test_cli_pack_check_lists_every_problem_and_exits_2(tmp_path):
    pack = copy_pack(tmp_path)
    for case in ("a latitude beyond the pole", "a route to an unknown destination", "a default outside its range"):
        apply(pack, BROKEN[case][0])
    r = _cli("pack", "check", str(pack))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    out = " ".join(r.stdout.split())
    assert "regions.csv, line 2, field 'lat'" in out and "routes.csv" in out and "parameters.toml" in out
    listed = [line for line in r.stdout.splitlines() if line.startswith("  ")]
    assert len(listed) >= 3 and f"{len(listed)} problems in the pack" in " ".join(r.stderr.split())
    for args in (("pack", "check", str(tmp_path / "nowhere")), ("pack", "check", "atlantis")):
        r = _cli(*args)
        assert r.returncode == 2 and "Traceback" not in r.stderr and "error:" in r.stderr


def test_a_run_on_a_pack_folder_and_its_validation(tmp_path):
    copy_pack(tmp_path / "packs", "ru")
    path = _scenario_file(tmp_path / "sc", 'pack = "../packs/ru"')
    r = _cli("run", str(path), "--out", str(tmp_path / "run"), "--seed", "1")
    assert r.returncode == 0, r.stderr
    r = _cli("validate", str(tmp_path / "run"))
    assert r.returncode == 0, r.stderr
    card = pd.read_csv(tmp_path / "run" / "validation" / "scorecard.csv")
    assert (card.status == "scored").any()
    assert np.isfinite(card.simulated.dropna()).all()


def test_a_pack_in_another_currency_writes_and_scores_in_it(tmp_path):
    """Units of written series and the fares that validation scores follow the pack's currency."""
    pack = copy_pack(tmp_path / "packs", "eur")
    apply(pack, replace_text("pack.toml", 'currency = "RUB"', 'currency = "EUR"'))
    path = _scenario_file(tmp_path / "sc", 'pack = "../packs/eur"')
    r = _cli("run", str(path), "--out", str(tmp_path / "run"), "--no-plots")
    assert r.returncode == 0, r.stderr
    ts = pd.read_parquet(tmp_path / "run" / "timeseries.parquet")
    assert set(ts.loc[ts.quantity == "flight_price", "unit"].astype(str)) == {"EUR (one way)"}
    obs = tmp_path / "fares.csv"
    obs.write_text("date,quantity,geography,value,unit,since,kind,source,quote\n"
                   "2022-09-20,flight_price,TR,300,EUR one-way,,estimate,s,q\n"
                   "2022-09-20,flight_price,TR,22000,RUB one-way,,estimate,s,q\n")
    r = _cli("validate", str(tmp_path / "run"), "--observations", str(obs))
    assert r.returncode == 0, r.stderr
    card = pd.read_csv(tmp_path / "run" / "validation" / "scorecard.csv")
    assert list(card.status) == ["scored", "skipped"] and "fare not in EUR" in card.reason.iloc[1]


def test_validate_scores_against_the_calibration_observations_of_the_results_own_pack(tmp_path):
    """Without --observations, a run on another pack is scored against that pack's observations (it was scored
    against the russia pack's); and options of a run are refused for a stored result, which they would not change."""
    pack = copy_pack(tmp_path / "packs", "few")
    lines = (pack / "observations_2022.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    mine = [line for line in lines[1:] if ",daily_entries," in line and "2022-09-14" <= line[:10] <= "2022-09-28"][:3]
    assert len(mine) == 3
    (pack / "observations_2022.csv").write_text(lines[0] + "".join(mine), encoding="utf-8")
    path = _scenario_file(tmp_path / "sc", 'pack = "../packs/few"')
    r = _cli("run", str(path), "--out", str(tmp_path / "run"), "--no-plots")
    assert r.returncode == 0, r.stderr
    r = _cli("validate", str(tmp_path / "run"))
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(tmp_path / "run" / "validation" / "scorecard.csv")) == 3
    r = _cli("validate", str(path), "--out", str(tmp_path / "v2"))
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(tmp_path / "v2" / "scorecard.csv")) == 3
    for args in (("--seed", "3"), ("--ensemble", "2"), ("--set", "exit.beta_risk=50")):
        r = _cli("validate", str(tmp_path / "run"), "--out", str(tmp_path / "v3"), *args)
        assert r.returncode == 2 and args[0] in r.stderr and "would ignore" in r.stderr, r.stderr
    r = _cli("validate", str(path), "--jobs", "2", "--out", str(tmp_path / "v3"))
    assert r.returncode == 2 and "go with --ensemble" in r.stderr, r.stderr
    assert not (tmp_path / "v3").exists()


# -- nothing of one country in the code -------------------------------------------------------------------------------

SRC = Path(__file__).resolve().parents[1] / "src" / "exitvoice"
RUSSIAN = re.compile(r"(?i:russia|rubles?|roubles?|moscow|kazakh|georgia|finland|upper.?lars|verkhny|karaozek|"
                     r"torfyanovka|psou|privates|officers|war_deaths|reservist|^wars?$)|\bRUB?\b|\b(?:KZ|GE|FI|MOW|SPE|AST)\b|"
                     r"(?:^|_)rub(?:_|$)|_ru$")
"""What a piece of code names when it assumes the first (Russian) case: its name, money, places, codes, the ranks of
its call-up, the outputs once named after it (`cum_departures_ru`, `output_loss_rub_*`) and its war (a label
"opponents of the war" read as Russian on a Myanmar run)."""
ALLOWED = {
    ("pack.py", "russia"): "DEFAULT_PACK: the pack of a scenario that names none (files written before packs)",
    ("dashboard.py", "russia-2022"): "FIRST_SCENARIO: the scenario the dashboard opens on when it is offered",
    **{("units.py", old): "RENAMED: outputs of earlier versions, read under their new names"
       for old in ("daily_departures_ru", "cum_departures_ru", "output_loss_rub_per_day", "output_loss_rub_annualised",
                   "output_loss_rub_cumulative", "output_loss_rub_annualised_end")},
    ("params.py", "economy.gdp_rub"): "PARAMETER_ALIASES: the GDP's earlier name, read as economy.gdp",
    **{("mobilisation.py", name): "LEGACY_ELIGIBLE: the first spelling of `eligible`, the russia pack's classes"
       for name in ("privates_max_age", "officers_max_age", "senior_officers_max_age", "weight_officers",
                    "weight_senior_officers", "privates", "junior_officers", "senior_officers")},
}
"""Names of the first case that the code may hold, each with why (docs/packs.md, "What the code still knows")."""
ALLOWED_FILES = {"facts.py": "the stylised facts of the russia-2022 run (docs/validity.md): about one case by design"}


def _code_words(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every name and every string of a module that is not a docstring (comments are not code)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
        if isinstance(node, (ast.Assign, ast.AnnAssign)):  # an attribute's docstring: the string after it
            pass
    for parent in ast.walk(tree):  # a string alone after an assignment documents it (attribute docstrings)
        body = getattr(parent, "body", None)
        if isinstance(body, list):
            for a, b in zip(body, body[1:], strict=False):
                if (isinstance(a, (ast.Assign, ast.AnnAssign)) and isinstance(b, ast.Expr)
                        and isinstance(b.value, ast.Constant) and isinstance(b.value.value, str)):
                    docstrings.add(id(b.value))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            out.append((node.lineno, node.value))
        elif isinstance(node, ast.Name):
            out.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            out.append((node.lineno, node.attr))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            out.append((node.lineno, node.name))
        elif isinstance(node, ast.arg):
            out.append((node.lineno, node.arg))
        elif isinstance(node, ast.keyword) and node.arg:
            out.append((node.value.lineno, node.arg))
    return out


def test_the_code_names_no_country_outside_the_packs():
    """A grep of src/exitvoice (not its data/): no name, code, place, money or call-up rank of the first case in the
    code or its strings, but the short list `ALLOWED` (each entry says why) and `ALLOWED_FILES`. Docstrings and
    comments may give the russia pack as an example; what the model assumes is in the packs (`pack.toml`)."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "data" or path.name in ALLOWED_FILES:
            continue
        for line, text in _code_words(path):
            for piece in re.split(r"[\s\"'(),\[\]{}=:;|/<>`]+", text):
                if piece and RUSSIAN.search(piece) and (path.name, piece) not in ALLOWED:
                    found.append(f"{rel}:{line}: {piece!r} in {text[:80]!r}")
    assert not found, "hard-coded names of one country (move them into the pack, or say why in ALLOWED):\n" + \
        "\n".join(found)


def test_the_allowed_names_are_still_there():
    """Every entry of the list is used: an entry the code no longer needs is removed from it."""
    words = {}
    for path in SRC.rglob("*.py"):
        for _, text in _code_words(path):
            for piece in re.split(r"[\s\"'(),\[\]{}=:;|/<>`]+", text):
                words.setdefault(path.name, set()).add(piece)
    assert [k for k in ALLOWED if k[1] not in words.get(k[0], set())] == []
    assert all((SRC / f).is_file() for f in ALLOWED_FILES)


def test_the_gdp_is_read_under_its_earlier_name_and_a_pack_is_told_to_rename_it(tmp_path):
    """`economy.gdp` was `economy.gdp_rub`: scenario overrides with the old name still work; a pack declaring it
    under the old name is refused with a message saying so."""
    pack = load_pack("russia")
    value = pack.declarations["economy.gdp"].default
    assert ParameterSet(pack.declarations, {"economy.gdp_rub": value})["economy.gdp"] == value
    copy = copy_pack(tmp_path)
    apply(copy, replace_text("parameters.toml", "[economy.gdp]", "[economy.gdp_rub]"))
    problems = [p for p in check_pack(copy).problems if p.field == "economy.gdp"]
    assert problems and "old name economy.gdp_rub" in str(problems[0]), problems


def test_the_dashboards_sample_regions_are_regions_of_the_pack(tmp_path):
    pack = copy_pack(tmp_path)
    apply(pack, replace_text("pack.toml", 'sample_regions = ["MOW", "SPE", "SE", "AST"]',
                             'sample_regions = ["MOW", "XX"]'))
    (problem,) = check_pack(pack).problems
    assert problem.field == "population.sample_regions" and problem.given == "XX"


@pytest.mark.parametrize("old,new,field,allowed", [
    ('code = "RU"', 'code = "Ru"', "pack.code", "pattern ^[A-Z]{2}$"),
    ('"callup.age_max_senior_officers"]', '"Callup.Age"]', "callup.men.ages", "name of a declared parameter"),
])
def test_a_wrong_field_of_pack_toml_says_what_is_allowed(tmp_path, old, new, field, allowed):
    pack = copy_pack(tmp_path)
    toml = pack / "pack.toml"
    text = toml.read_text(encoding="utf-8")
    assert old in text
    toml.write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = [str(p) for p in check_pack(pack).problems]
    assert any(field in p and "allowed: " in p and allowed in p for p in problems), problems
