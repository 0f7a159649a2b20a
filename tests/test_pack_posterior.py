"""A posterior shipped in a country pack (docs/packs.md, docs/ensembles.md): `pack check` accepts a good one and
refuses bad ones; ensembles of the pack's scenarios draw their fitted parameters from it unless told otherwise;
`scripts/ship_posterior.py` puts an ABC-SMC result into a pack with the medians as defaults."""

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from exitvoice import Scenario
from exitvoice.ensemble import PACK_POSTERIOR, resolve_posterior, run_ensemble
from exitvoice.pack import pack_path
from exitvoice.packcheck import check_pack

ROOT = Path(__file__).resolve().parents[1]
FITTED = {"exit.beta_risk": [300.0, 350.0, 400.0, 450.0], "exit.lambda_base": [1e-5, 1.2e-5, 1.5e-5, 2e-5],
          "risk.half_life_days": [2.0, 3.0, 4.0, 5.0]}
CALIBRATION = ('\n[calibration]\nposterior = "posterior.parquet"\nstudy = "test-abc"\nmethod = "abc-smc"\n'
               'date = 2026-11-30\ness = 3.5\n')


def write_posterior(pack: Path, frame: pd.DataFrame | None = None, table: str = CALIBRATION) -> Path:
    (frame if frame is not None else pd.DataFrame(FITTED)).to_parquet(pack / "posterior.parquet", index=False)
    (pack / "pack.toml").write_text((pack / "pack.toml").read_text() + table)
    return pack


@pytest.fixture
def pack(tmp_path) -> Path:
    """A copy of the russia pack that ships a posterior of three parameters (four sets)."""
    dest = tmp_path / "packs" / "ru"
    shutil.copytree(pack_path("russia"), dest)
    return write_posterior(dest)


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "exitvoice", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def _scenario_file(folder: Path, pack: Path, parameters: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "small.toml"
    path.write_text(f'[scenario]\nname = "small"\nstart = 2022-09-14\nend = 2022-09-28\npack = "{pack}"\n'
                    '[population]\nscale = 0.02\nregions = ["SE", "AST"]\n'
                    '[[policy]]\ntype = "mobilisation"\nstart = 2022-09-21\ntarget = 300000\n' + parameters)
    return path


# -- pack check --------------------------------------------------------------------------------------------------

def test_pack_check_accepts_a_shipped_posterior_and_says_so(pack):
    report = check_pack(pack)
    assert report.ok, report.problems
    assert "4 posterior sets" in report.summary_line()
    r = _cli("pack", "check", pack)
    assert r.returncode == 0, r.stderr
    weighted = pd.DataFrame({**FITTED, "weight": [0.0, 1.0, 2.0, 1.0]})
    weighted.insert(0, "set_id", range(4))
    weighted.to_parquet(pack / "posterior.parquet", index=False)
    assert check_pack(pack).ok


def _table(**changes) -> str:
    keys = {"posterior": '"posterior.parquet"', "study": '"test-abc"', "method": '"abc-smc"', "date": "2026-11-30",
            "ess": "3.5", **changes}
    return "\n[calibration]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items() if v is not None)


BAD = {  # case: (posterior table or None for FITTED, pack.toml's table, what the message names)
    "an undeclared column": ({**FITTED, "exit.nonsense": [1.0] * 4}, CALIBRATION,
                             ("posterior.parquet", "exit.nonsense", "not a declared parameter")),
    "a parameter that cannot be fitted": ({**FITTED, "population.total": [1.4e8] * 4}, CALIBRATION,
                                          ("population.total", "cannot be fitted", "fixed")),
    "a value outside its range": ({**FITTED, "exit.beta_risk": [300.0, 350.0, 900.0, 450.0]}, CALIBRATION,
                                  ("exit.beta_risk", "outside the parameter's declared range", "row 3", "[5, 500]")),
    "a value that is not a number": ({**FITTED, "exit.beta_risk": [300.0, np.nan, 400.0, 450.0]}, CALIBRATION,
                                     ("exit.beta_risk", "not a finite number", "row 2")),
    "no rows": ({k: [] for k in FITTED}, CALIBRATION, ("posterior.parquet", "no rows")),
    "a negative weight": ({**FITTED, "weight": [1.0, -1.0, 1.0, 1.0]}, CALIBRATION, ("weight", "negative")),
    "weights summing to 0": ({**FITTED, "weight": [0.0] * 4}, CALIBRATION, ("weight", "sum to 0")),
    "no parameter column": ({"weight": [1.0] * 4}, CALIBRATION, ("no parameter column",)),
    "a file the pack does not have": (None, _table(posterior='"elsewhere.parquet"'),
                                      ("pack.toml", "calibration.posterior", "elsewhere.parquet")),
    "no ESS": (None, _table(ess=None), ("pack.toml", "calibration.ess")),
    "an ESS of 0": (None, _table(ess="0"), ("pack.toml", "calibration.ess")),
    "a date that is not a date": (None, _table(date='"soon"'), ("pack.toml", "calibration.date")),
    "an unknown key": (None, _table(particles="100"), ("pack.toml", "calibration.particles", "unknown field")),
}


@pytest.mark.parametrize("case", list(BAD))
def test_pack_check_refuses_a_bad_posterior_with_its_file_and_field(tmp_path, case, monkeypatch, capsys):
    from exitvoice.cli import main

    frame, table, words = BAD[case]
    pack = tmp_path / "ru"
    shutil.copytree(pack_path("russia"), pack)
    write_posterior(pack, pd.DataFrame(frame) if frame is not None else None, table)
    assert not check_pack(pack).ok
    monkeypatch.setattr(sys, "argv", ["exitvoice", "pack", "check", str(pack)])
    with pytest.raises(SystemExit) as exit_:  # the command line: exit code 2, the problems listed, no traceback
        main()
    out = capsys.readouterr()
    text = " ".join((out.out + out.err).split())
    assert exit_.value.code == 2 and "Traceback" not in text
    for w in words:
        assert w in text, (w, text)


def test_a_posterior_file_that_is_not_parquet_is_a_problem_not_a_crash(pack):
    (pack / "posterior.parquet").write_text("set_id,exit.beta_risk\n0,300\n")
    r = _cli("pack", "check", pack)
    assert r.returncode == 2 and "Traceback" not in r.stderr + r.stdout
    assert "posterior.parquet: not a readable Parquet file" in " ".join(r.stdout.split())


def test_a_run_on_a_pack_with_a_bad_posterior_is_refused(tmp_path, pack):
    (pack / "posterior.parquet").unlink()
    r = _cli("run", _scenario_file(tmp_path / "sc", pack), "--out", tmp_path / "never")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "calibration.posterior" in r.stderr
    assert not (tmp_path / "never").exists()


# -- ensembles -------------------------------------------------------------------------------------------------

def _members(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "members.parquet")


def test_an_ensemble_draws_its_fitted_parameters_from_the_packs_posterior(tmp_path, pack):
    scen = _scenario_file(tmp_path / "sc", pack)
    out = tmp_path / "ens"
    r = _cli("run", scen, "--ensemble", 3, "--out", out, "--seed", 1)
    assert r.returncode == 0, r.stderr
    members = _members(out)
    for name, values in FITTED.items():  # member i: set i of the posterior
        assert members[name].tolist() == values[:3]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["band"].startswith("seed noise + posterior of 3 fitted parameters (pack ru: study 'test-abc'")
    assert summary["posterior"]["study"] == "test-abc" and summary["posterior"]["ess"] == 3.5
    assert summary["parameter_sets"] == 3
    printed = " ".join(r.stdout.split())
    assert "The band includes: seed noise + posterior of 3 fitted parameters" in printed

    # --no-posterior: seed noise only, every member at the pack's defaults
    out2 = tmp_path / "noise"
    r = _cli("run", scen, "--ensemble", 2, "--no-posterior", "--out", out2, "--seed", 1)
    assert r.returncode == 0, r.stderr
    assert json.loads((out2 / "summary.json").read_text())["band"] == "seed noise only"
    assert not set(FITTED) & set(_members(out2).columns)
    # a single run uses the defaults; the two options together are refused
    r = _cli("run", scen, "--ensemble", 2, "--no-posterior", "--posterior", pack / "posterior.parquet",
             "--out", tmp_path / "never")
    assert r.returncode == 2 and "--no-posterior" in r.stderr and "Traceback" not in r.stderr
    r = _cli("run", scen, "--no-posterior", "--out", tmp_path / "never")
    assert r.returncode == 2 and "--ensemble" in r.stderr
    assert not (tmp_path / "never").exists()


def test_a_parameter_the_scenario_sets_is_held_and_another_posterior_replaces_the_packs(tmp_path, pack):
    sc = Scenario.from_toml(_scenario_file(tmp_path / "sc", pack, '[parameters]\n"exit.beta_risk" = 123.0\n'))
    post = resolve_posterior(sc, PACK_POSTERIOR, 3)
    assert post.parameters == ["exit.lambda_base", "risk.half_life_days"] and post.held == ("exit.beta_risk",)
    assert resolve_posterior(sc, PACK_POSTERIOR, 1) is None  # a single run: the defaults (the medians)
    assert resolve_posterior(sc, None, 3) is None
    other = tmp_path / "other.csv"
    other.write_text("exit.lambda_base\n6e-6\n7e-6\n")
    post = resolve_posterior(sc, other, 3)
    assert post.parameters == ["exit.lambda_base"] and post.source == f"file {other}"
    ens = run_ensemble(sc.model_copy(update={"population": sc.population.model_copy(update={"scale": 0.01})}),
                       2, seed=3, posterior=PACK_POSTERIOR)
    assert (ens.members["exit.lambda_base"].tolist() == FITTED["exit.lambda_base"][:2]
            and "exit.beta_risk" not in ens.members)
    assert ens.summary()["posterior"]["held_by_scenario"] == ["exit.beta_risk"]
    assert "1 more held at the scenario's values" in ens.band


def test_a_weighted_posterior_is_resampled_by_its_weights(tmp_path, pack):
    frame = pd.DataFrame({**FITTED, "weight": [0.0, 0.0, 1.0, 0.0]})
    frame.to_parquet(pack / "posterior.parquet", index=False)
    sc = Scenario.from_toml(_scenario_file(tmp_path / "sc", pack))
    post = resolve_posterior(sc, PACK_POSTERIOR, 2)
    assert "weight" in post.sets and post.record()["weighted"]
    ens = run_ensemble(sc, 2, seed=0, posterior=post)
    assert ens.members["exit.beta_risk"].tolist() == [400.0, 400.0]


def test_compare_and_validate_draw_from_the_packs_posterior_and_say_so(tmp_path, pack):
    from exitvoice import compare

    scen = _scenario_file(tmp_path / "sc", pack)
    cmp = compare([scen], ensemble=2, seed=1, progress=False)
    assert "The bands include: seed noise + posterior of 3 fitted parameters" in cmp.findings()
    assert "posterior of 3" in cmp.table_note()
    assert cmp.cases[0].ensemble.members["exit.beta_risk"].nunique() == 2
    assert "posterior" not in compare([scen], ensemble=2, seed=1, progress=False, posterior=None).findings()
    out = tmp_path / "card"
    r = _cli("validate", scen, "--ensemble", 2, "--out", out)
    assert r.returncode == 0, r.stderr
    card = json.loads((out / "scorecard.json").read_text())
    assert card["band"].startswith("seed noise + posterior of 3 fitted parameters")
    assert "The band includes: seed noise + posterior" in " ".join(r.stdout.split())


# -- scripts/ship_posterior.py ---------------------------------------------------------------------------------

def _abc_folder(folder: Path) -> Path:
    """What `exitvoice calibrate --method abc-smc` writes, made up: two parameters, five particles."""
    folder.mkdir(parents=True)
    particles = pd.DataFrame({"exit.beta_risk": [310.0, 330.0, 350.0, 370.0, 390.0],
                              "risk.half_life_days": [3.0, 3.5, 4.0, 4.5, 5.0]})
    particles["weight"] = 0.2
    particles["generation"] = 3
    particles["distance"] = 1.0
    particles.to_parquet(folder / "particles.parquet", index=False)
    sets = particles[["exit.beta_risk", "risk.half_life_days"]].iloc[[0, 1, 1, 2, 3, 4]].reset_index(drop=True)
    sets.insert(0, "set_id", range(len(sets)))
    sets.to_parquet(folder / "posterior.parquet", index=False)
    params = {"exit.beta_risk": {"median": 350.123456, "q05": 310.0, "q95": 390.0, "prior": [5.0, 500.0],
                                 "prior_kind": "loguniform", "identified": "pinned by the data",
                                 "interval_share_of_prior": 0.04},
              "risk.half_life_days": {"median": 4.0, "q05": 3.0, "q95": 5.0, "prior": [1.0, 30.0],
                                      "prior_kind": "uniform", "identified": "pinned by the data",
                                      "interval_share_of_prior": 0.08}}
    (folder / "posterior.json").write_text(json.dumps({
        "method": "abc-smc", "generations": 4, "particles": 5, "effective_sample_size": 5.0, "epsilon": [3, 2, 1, 0.5],
        "total_simulations": 40, "parameters": params}))
    (folder / "calibrated.toml").write_text("# posterior medians of an ABC-SMC calibration of russia-2022 (4 "
                                            "generations, ESS 5.0)\n[parameters]\n")
    return folder


def test_ship_posterior_puts_an_abc_result_into_a_pack_with_the_medians_as_defaults(tmp_path):
    pack = tmp_path / "ru"
    shutil.copytree(pack_path("russia"), pack)
    abc = _abc_folder(tmp_path / "ru2023abc")
    r = subprocess.run([sys.executable, ROOT / "scripts" / "ship_posterior.py", abc, "--pack", pack, "--date",
                        "2026-11-30"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    decl = tomllib.loads((pack / "parameters.toml").read_text())
    assert decl["exit"]["beta_risk"]["default"] == 350.1 and decl["risk"]["half_life_days"]["default"] == 4.0
    old = tomllib.loads((pack_path("russia") / "parameters.toml").read_text())
    for group, key in (("exit", "beta_risk"), ("risk", "half_life_days")):
        source = decl[group][key]["source"]
        assert source.startswith("calibrated: study 'ru2023abc', posterior median of abc-smc (90% interval")
        before = old[group][key]["source"]
        if not before.startswith("calibrated"):  # a sourced prior is kept; an earlier study's note is replaced
            assert source.endswith(f"; prior: {before}")
        else:
            assert "study 'ru2022" not in source
    assert decl["exit"]["lambda_base"] == old["exit"]["lambda_base"]  # parameters not fitted are left as they were
    cal = tomllib.loads((pack / "pack.toml").read_text())["calibration"]
    assert cal == {"posterior": "posterior.parquet", "study": "ru2023abc", "method": "abc-smc",
                   "date": __import__("datetime").date(2026, 11, 30), "ess": 5.0, "scenario": "russia-2022"}
    shipped = pd.read_parquet(pack / "posterior.parquet")
    assert shipped.columns.tolist() == ["set_id", "exit.beta_risk", "risk.half_life_days"] and len(shipped) == 6
    assert sorted(shipped["exit.beta_risk"]) == [310.0, 330.0, 330.0, 350.0, 370.0, 390.0]
    assert check_pack(pack).ok
    # shipping again replaces the table, not adds a second one
    r = subprocess.run([sys.executable, ROOT / "scripts" / "ship_posterior.py", abc, "--pack", pack, "--study",
                        "again"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = (pack / "pack.toml").read_text()
    assert text.count("[calibration]") == 1 and tomllib.loads(text)["calibration"]["study"] == "again"
    source = tomllib.loads((pack / "parameters.toml").read_text())["exit"]["beta_risk"]["source"]
    assert source.startswith("calibrated: study 'again'") and "ru2023abc" not in source


def test_ship_posterior_refuses_a_posterior_the_pack_cannot_take(tmp_path):
    pack = tmp_path / "ru"
    shutil.copytree(pack_path("russia"), pack)
    abc = _abc_folder(tmp_path / "abc")
    bad = pd.read_parquet(abc / "posterior.parquet")
    bad.loc[0, "exit.beta_risk"] = 900.0  # outside the declared range
    bad.to_parquet(abc / "posterior.parquet", index=False)
    before = {f: (pack / f).read_bytes() for f in ("pack.toml", "parameters.toml")}
    r = subprocess.run([sys.executable, ROOT / "scripts" / "ship_posterior.py", abc, "--pack", pack],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "exit.beta_risk" in r.stderr
    assert {f: (pack / f).read_bytes() for f in before} == before and not (pack / "posterior.parquet").exists()
    r = subprocess.run([sys.executable, ROOT / "scripts" / "ship_posterior.py", tmp_path, "--pack", pack],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "ABC-SMC" in r.stderr
