"""A fuzzer over scenario files: every case runs (with people conserved) or is refused with a message.

Hypothesis writes random scenario files: mixes of every policy type, parameters at, inside and beyond their
declared ranges (and `nan`, `inf`), odd dates (before, across and far after the scenario, 29 February, end
before start) and odd strings (markup, quotes, unicode, paths), and runs `exitvoice run` on each, as the command
line does (in process, for speed), sometimes with `--allow-outside-range`. A case passes when either

- the run succeeds: the engine checked conservation every day, the summary is valid JSON without NaN, and its
  totals are whole, non-negative numbers; or
- it is refused: an `ExitvoiceError` (exit code 2 from the command line) with a message, or a usage error;

and in both cases nothing is written outside `--out`. Anything else (a traceback) fails, and Hypothesis shrinks
it to a minimal scenario file.

Profiles (`EXITVOICE_FUZZ` environment variable): `fast` (default, about a minute, in `make test`) and `long`
(10,000 cases, `make fuzz`). `EXITVOICE_FUZZ_EXAMPLES=N` sets another count; `EXITVOICE_FUZZ_PROGRESS=file`
appends each case's outcome to a file, to follow a long run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from exitvoice.cli import app
from exitvoice.errors import ExitvoiceError
from exitvoice.pack import load_pack
from exitvoice.policies import REGISTRY

PACK = load_pack("russia")
DECLARED = PACK.declarations
# Small regions with crossings of their own or none, to keep every case to a fraction of a second.
REGIONS = ["SE", "AST", "AL", "KGN", "PSK", "NEN", "TY", "KC"]
ROUTES = PACK.route_ids
CROSSINGS = [r.split(":", 1)[1] for r in ROUTES if r.startswith("land:")]
DESTINATIONS = PACK.destination_ids
ODD_TEXT = ["[/x]", "[red]RED", '"quoted"', "ünïcødé", "../../etc", "", " ", "a\\b", "\t", "Москва", "MOW"]

settings.register_profile("fast", max_examples=int(os.environ.get("EXITVOICE_FUZZ_EXAMPLES", 150)), deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=int(os.environ.get("EXITVOICE_FUZZ_EXAMPLES", 10_000)),
                          deadline=None, suppress_health_check=list(HealthCheck))
PROFILE = os.environ.get("EXITVOICE_FUZZ", "fast")
PROGRESS = os.environ.get("EXITVOICE_FUZZ_PROGRESS")  # a file to append each case's outcome to

START = dt.date(2022, 9, 14)


# -- strategies ---------------------------------------------------------------------------------------------------
# Each field is valid most of the time (VALID_SHARE), so that about half the cases run and the rest are refused for
# one or two reasons at a time, which is where the handling of bad input is tested.
VALID_SHARE = 0.95


def mostly(valid, bad):
    """`valid` with probability VALID_SHARE, else `bad`."""
    return st.floats(0, 1).flatmap(lambda u: valid if u < VALID_SHARE else bad)


def odd_text():
    return st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=12))


def dates(around: dt.date = START):
    """Mostly inside a short scenario; sometimes before or after it, on 29 February, or far away."""
    return mostly(st.integers(0, 20).map(lambda d: around + dt.timedelta(days=d)), st.one_of(
        st.integers(-400, 400).map(lambda d: around + dt.timedelta(days=d)),
        st.sampled_from([dt.date(2024, 2, 29), dt.date(1900, 1, 1), dt.date(2400, 1, 1), dt.date(9999, 12, 31)])))


def numbers(low: float = 0.0, high: float = 1.0):
    """At and inside [low, high]; sometimes just beyond it, far beyond it, negative, zero, huge, tiny, nan, inf,
    a boolean or a text."""
    return mostly(st.one_of(st.sampled_from([low, high]), st.floats(low, high, allow_nan=False)), st.one_of(
        st.sampled_from([low - abs(high - low) * 0.5 - 1e-3, high * 2 + 1, -1.0, 0.0, 1e300, 1e-300, -0.0]),
        st.sampled_from([math.nan, math.inf, -math.inf]), st.booleans(), st.just("3")))


def counts(low: int = 1, high: int = 1_000_000):
    return mostly(st.integers(low, high), st.sampled_from([0, -1, 10**11, 10**19, 2.5, "300", True]))


def who():
    return st.fixed_dictionaries({}, optional={
        "sex": st.sampled_from(["male", "female", "other"]),
        "age_min": st.one_of(st.integers(0, 70), st.just(-5)),
        "age_max": st.one_of(st.integers(0, 120), st.just(500)),
        "served": st.booleans(), "tertiary": st.booleans(), "passport": st.booleans(), "opposed": st.booleans(),
        "regions": mostly(st.lists(st.sampled_from(REGIONS[:2]), min_size=1, max_size=2),
                          st.lists(st.one_of(st.sampled_from(REGIONS), odd_text()), max_size=3)),
    })


def policy():
    base = {"start": dates()}
    optional = {"end": dates(), "who": who(), "label": odd_text()}
    per_type = {
        "mobilisation": ({"target": counts()}, {
            "daily_profile": st.sampled_from(["front_loaded", "uniform", "bogus"]),
            "allocation": st.sampled_from(["proportional", "burden"]),
            "summons_per_recruit": numbers(1.0, 3.0), "report_days": numbers(1.0, 10.0),
            "find_rate_hiding": numbers(), "summons_exit_ban": st.booleans(),
            "summons_exit_ban_from": dates(), "summons_ban_enforcement": numbers(),
            "electronic_share": numbers(), "summons_lapse_at_end": st.booleans(),
            "eligible": st.fixed_dictionaries({}, optional={"privates_max_age": counts(18, 70),
                                                            "weight_unserved": numbers()}),
        }),
        "exit_ban": ({"enforcement": numbers()}, {
            "crossings": st.lists(st.one_of(st.sampled_from(CROSSINGS), odd_text()), max_size=2),
            "summons_at_refusal": numbers()}),
        "border_closure": ({"by": st.sampled_from(["origin", "destination"])}, {
            "routes": st.lists(st.one_of(st.sampled_from(ROUTES), odd_text()), max_size=2),
            "destinations": st.lists(st.one_of(st.sampled_from(DESTINATIONS), odd_text()), max_size=2),
            "applies_to": st.sampled_from(["all", "tourists", "callup_age_men", "cats"])}),
        "summons_at_border": ({"crossings": st.lists(st.sampled_from(CROSSINGS), max_size=2),
                               "probability": numbers()}, {}),
        "capacity_change": ({"route": st.one_of(st.sampled_from(ROUTES), odd_text())},
                            {"factor": numbers(0.0, 3.0), "capacity": numbers(0.0, 50_000.0)}),
        "host_rule": ({"destination": st.one_of(st.sampled_from(DESTINATIONS), odd_text())},
                      {"max_stay_days": counts(0, 365), "needs_foreign_passport": st.booleans(),
                       "entry_refusal": numbers()}),
        "exit_visa": ({"daily_capacity": counts()}, {
            "processing_days": counts(0, 365), "default_approval": numbers(), "trips": st.booleans(),
            "summons_at_refusal": numbers(),
            "approval": st.lists(st.fixed_dictionaries({"probability": numbers()}, optional={"who": who()}),
                                 max_size=2)}),
        "social_contract": ({"offer_rate": numbers()}, {"passport_surrender": st.booleans()}),
        "rumour": ({"kind": st.sampled_from(["closure", "general_mobilisation", "aliens"]),
                    "credibility": numbers(), "half_life_days": numbers(0.5, 30.0)}, {}),
        "regular_conscription": ({"intake": counts(), "end": dates()},
                                 {"ages": st.lists(counts(18, 40), min_size=2, max_size=2)}),
    }
    def of_type(t):
        required, more = per_type.get(t, ({}, {}))
        extra = {k: v for k, v in {**optional, **more}.items() if k not in required}
        return st.fixed_dictionaries({"type": st.just(t), **base, **required}, optional=extra)

    return st.sampled_from(sorted(REGISTRY) + ["no_such_policy"]).flatmap(of_type)


def parameters():
    def one(name):
        return st.tuples(st.just(name), numbers(DECLARED[name].low, DECLARED[name].high))
    return st.lists(st.sampled_from(sorted(DECLARED)).flatmap(one), max_size=4).map(dict)


def scenarios():
    return st.fixed_dictionaries({
        "scenario": st.fixed_dictionaries(
            {"name": mostly(st.just("fuzz"), odd_text()), "start": st.just(START),
             "end": mostly(st.integers(0, 30).map(lambda d: START + dt.timedelta(days=d)), dates())},
            optional={"seed": counts(0, 10**6), "description": odd_text(), "allow_outside_range": st.booleans()}),
        "population": st.fixed_dictionaries(
            {"scale": mostly(st.sampled_from([0.02, 0.05, 0.1]), numbers(0.0, 0.05)),
             "regions": mostly(st.lists(st.sampled_from(REGIONS[:2]), min_size=2, max_size=2, unique=True),
                               st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3, unique=True))},
            optional={"scale_to_total": st.booleans()}),
        "parameters": parameters(),
        "policy": st.lists(policy(), max_size=4),
    })


# -- a small TOML writer (tomllib reads, it does not write) --------------------------------------------------------
def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are TOML basic-string escapes
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(sc: dict) -> str:
    lines = []
    for table in ("scenario", "population", "parameters"):
        lines.append(f"[{table}]")
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in sc[table].items()]
    for pol in sc["policy"]:
        lines.append("[[policy]]")
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in pol.items()]
    return "\n".join(lines) + "\n"


# -- the property ----------------------------------------------------------------------------------------------------
RUNNER = CliRunner()


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@settings(settings.get_profile(PROFILE))
@given(sc=scenarios(), allow=st.booleans())
def test_every_scenario_runs_or_is_refused_with_a_message(sc, allow):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "fuzz.toml"
        path.write_text(to_toml(sc))
        out = folder / "out"
        args = ["run", str(path), "--out", str(out), "--no-plots"] + (["--allow-outside-range"] if allow else [])
        cwd = os.getcwd()
        os.chdir(folder)  # a default output folder would land here, where it is seen
        try:
            r = RUNNER.invoke(app, args)
        finally:
            os.chdir(cwd)
        written = listing(folder) - {"fuzz.toml"}
        outcome = "ran" if r.exit_code == 0 else "refused"
        event(outcome)
        if PROGRESS:  # one line per case, to follow a long run
            with open(PROGRESS, "a") as fh:
                fh.write(f"{outcome}\n")
        if r.exit_code == 0:
            summary = json.loads((out / "summary.json").read_text(), parse_constant=_no_constant)
            for k, v in summary["totals"].items():
                if k in ("left", "mobilised", "returned", "summons_served", "abroad_at_end", "hiding_at_end"):
                    assert isinstance(v, int) and v >= 0, (k, v)
            assert all(w == "out" or w.startswith("out/") for w in written), written
        elif isinstance(r.exception, ExitvoiceError):
            assert str(r.exception).strip()
            assert not written, written
        elif isinstance(r.exception, SystemExit) and r.exit_code == 2:  # a usage error of the command line
            assert not written, written
        else:
            raise AssertionError(f"neither a run nor a refusal (exit {r.exit_code}):\n{to_toml(sc)}") from (
                r.exception)


def _no_constant(name: str):
    raise AssertionError(f"summary.json holds {name}")
