"""ABC-SMC calibration: a posterior that recovers a known parameter, resumes, and reads plainly."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import MOBILISATION, small_scenario, write_scenario
from exitvoice import run
from exitvoice.abcsmc import AbcSettings, fit, identifiability, resample, weighted_quantile
from exitvoice.errors import ExitvoiceError
from exitvoice.pack import load_pack

TRUE = 1.2e-5  # exit.lambda_base behind the synthetic observations (declared range 5e-6 – 3e-5, log-uniform)


def _scenario():
    return small_scenario([dict(MOBILISATION)], end="2022-10-02", scale=0.03)


def _observe(ts: pd.DataFrame, dates, scale: float) -> pd.DataFrame:
    """Synthetic observations from a run: the stock of leavers abroad (which the exit hazard drives) and the daily
    entries into two destinations (mostly ordinary trips), at the run's scale turned into whole-population terms."""
    rows = []
    for quantity, geo in (("abroad_stock", "RU"), ("daily_entries", "KZ"), ("daily_entries", "GE")):
        for date in dates:
            v = ts[(ts.quantity == quantity) & (ts.geography == geo) & (ts.date == date)].value.iloc[0]
            rows.append({"line": len(rows) + 2, "date": pd.Timestamp(date), "quantity": quantity,
                         "geography": geo, "value": v / scale, "unit": "persons", "since": None,
                         "kind": "official", "source": "synthetic"})
    return pd.DataFrame(rows)


def _synthetic(sc) -> pd.DataFrame:
    res = run(sc.with_overrides({"exit.lambda_base": str(TRUE)}), seed=11)
    return _observe(res.timeseries, ("2022-09-18", "2022-09-22", "2022-09-26", "2022-09-30"), 0.03)


def exitvoice(*args):
    return subprocess.run([sys.executable, "-m", "exitvoice", *map(str, args)], capture_output=True, text=True)


def _decl(*names):
    return {n: load_pack("russia").declarations[n] for n in names}


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    sc = _scenario()
    out = tmp_path_factory.mktemp("abc") / "fit"
    settings = AbcSettings(params=["exit.lambda_base"], particles=16, generations=2, adaptive=False, seed=3)
    summary = fit(sc, _synthetic(sc), _decl("exit.lambda_base"), settings, out)
    return out, summary, sc


def test_the_posterior_recovers_a_known_parameter_and_says_the_data_pin_it(fitted):
    out, summary, _ = fitted
    p = summary["parameters"]["exit.lambda_base"]
    assert p["q05"] <= TRUE <= p["q95"], p
    assert p["interval_share_of_prior"] < 0.8 and p["identified"] != "left at its prior"
    assert summary["generations"] == 2 and summary["epsilon"][1] <= summary["epsilon"][0]
    assert 1 < summary["effective_sample_size"] <= summary["particles"]


def test_outputs_are_weighted_particles_and_an_equally_weighted_resample(fitted):
    out, summary, _ = fitted
    particles = pd.read_parquet(out / "particles.parquet")
    assert {"exit.lambda_base", "weight", "generation", "distance"} <= set(particles.columns)
    assert np.isclose(particles.weight.sum(), 1.0) and (particles.generation == 1).all()
    sets = pd.read_parquet(out / "posterior.parquet")
    assert sets.columns.tolist() == ["set_id", "exit.lambda_base"] and len(sets) >= 100
    assert json.loads((out / "posterior.json").read_text())["method"] == "abc-smc"
    assert '"exit.lambda_base" =' in (out / "calibrated.toml").read_text()


def test_a_rerun_resumes_from_the_last_generation(fitted):
    out, summary, sc = fitted
    settings = AbcSettings(params=["exit.lambda_base"], particles=16, generations=3, adaptive=False, seed=3)
    again = fit(sc, _synthetic(sc), _decl("exit.lambda_base"), settings, out)
    assert again["generations"] == 3
    assert again["epsilon"][:2] == summary["epsilon"]  # the first two generations are those already run
    same = fit(sc, _synthetic(sc), _decl("exit.lambda_base"), settings, out)  # nothing left to run
    assert same["total_simulations"] == again["total_simulations"]


def test_weighted_quantiles_resampling_and_identifiability():
    x, w = np.array([3.0, 1.0, 2.0]), np.array([0.2, 0.5, 0.3])
    assert weighted_quantile(x, w, 0.4) == 1.0 and weighted_quantile(x, w, 0.6) == 2.0
    sets = resample(pd.DataFrame({"a": x}), w, 1000, 0)
    assert abs((sets.a == 1.0).mean() - 0.5) < 0.01  # systematic resampling: the weights, to 1/n
    d = load_pack("russia").declarations["exit.lambda_base"]
    assert identifiability(d.low * 1.01, d.high * 0.99, d)[1] == "left at its prior"
    assert identifiability(1.1e-5, 1.3e-5, d)[1] == "pinned by the data"


def test_bad_settings_are_refused():
    for bad in (dict(particles=1), dict(generations=0), dict(alpha=1.0), dict(min_acceptance=1.5),
                dict(walltime_minutes=0.0)):
        with pytest.raises(ExitvoiceError):
            AbcSettings(params=["exit.lambda_base"], **bad).check()


def test_cli_abc_then_posterior(tmp_path):
    scen = tmp_path / "s.toml"
    write_scenario(scen, "abc", "2022-09-30")
    out = tmp_path / "post"
    r = exitvoice("calibrate", scen, "--method", "abc-smc", "--params", "exit.lambda_base", "--particles", "3",
                  "--generations", "1", "--out", out)
    assert r.returncode == 0, r.stderr
    assert "ESS" in r.stdout and (out / "posterior.png").is_file()
    assert "generation 0: tolerance" in r.stderr and "accepted 3 of" in r.stderr, r.stderr  # progress, each one
    assert "Accepted:" not in r.stderr  # pyabc's own log lines are not shown
    r = exitvoice("posterior", out)
    assert r.returncode == 0 and "90% interval" in r.stdout
    # what `posterior` wrote into the folder does not stop the same command from resuming
    again = ("calibrate", scen, "--method", "abc-smc", "--params", "exit.lambda_base", "--particles", "3",
             "--generations", "2", "--out", out)
    r = exitvoice(*again)
    assert r.returncode == 0 and "force" not in r.stderr, r.stderr
    assert json.loads((out / "posterior.json").read_text())["generations"] == 2
    # a file of the user's in the folder, another --params, a damaged database: refused before any simulation
    (out / "notes.txt").write_text("mine")
    stamp = (out / "particles.parquet").stat().st_mtime_ns
    r = exitvoice(*again[:-3], "3", "--out", out)
    msg = " ".join(r.stderr.split())
    assert r.returncode == 2 and "Traceback" not in r.stderr and "notes.txt" in msg and "--out" in msg, msg
    assert "force=True" not in msg and "resuming" in msg and "ESS" not in r.stdout
    assert (out / "notes.txt").is_file() and (out / "particles.parquet").stat().st_mtime_ns == stamp
    (out / "notes.txt").unlink()
    r = exitvoice("calibrate", scen, "--method", "abc-smc", "--params", "exit.lambda_base,exit.beta_risk",
                  "--particles", "3", "--generations", "3", "--out", out)
    msg = " ".join(r.stderr.split())
    assert r.returncode == 2 and "Traceback" not in r.stderr and "--params exit.lambda_base" in msg, msg
    (tmp_path / "bad.abc.db").write_text("not a database")
    r = exitvoice(*again[:-1], tmp_path / "bad")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "bad.abc.db" in r.stderr, r.stderr
    r = exitvoice("calibrate", scen, "--method", "nuts", "--params", "exit.lambda_base")
    assert r.returncode == 2 and "abc-smc" in r.stderr and "Traceback" not in r.stderr
    r = exitvoice("posterior", tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr


@pytest.mark.slow
def test_simulation_based_calibration_intervals_cover_the_truth_about_as_often_as_they_say():
    """Draw exit.lambda_base from its prior, simulate observations, fit, and count how often the 90% interval
    covers the value that made the data (simulation-based calibration on a small regional population)."""
    d = _decl("exit.lambda_base")["exit.lambda_base"]
    sc = small_scenario([dict(MOBILISATION)], end="2022-09-28", scale=0.02, regions=["SE"])
    rng = np.random.default_rng(2026)
    hits, n = 0, 8
    for k in range(n):
        true = float(np.exp(rng.uniform(np.log(d.low), np.log(d.high))))
        ts = run(sc.with_overrides({"exit.lambda_base": str(true)}), seed=100 + k).timeseries
        obs = _observe(ts, ("2022-09-20", "2022-09-24", "2022-09-27"), 0.02)
        out = Path(tempfile.mkdtemp()) / "sbc"
        s = fit(sc, obs, _decl("exit.lambda_base"),
                AbcSettings(params=["exit.lambda_base"], particles=10, generations=2, adaptive=False, seed=k), out)
        p = s["parameters"]["exit.lambda_base"]
        hits += p["q05"] <= true <= p["q95"]
    # 90% intervals: about 7 of 8 (5 or fewer would happen by chance less than 4% of the time)
    assert hits >= 6, hits


@pytest.mark.parametrize("summary,particles,names", [
    ("{", b"x", ("posterior.json", "damaged")),
    ('{"generations": 1}', b"x", ("posterior.json", "keys are missing")),
    ("[1]", b"x", ("posterior.json", "keys are missing")),
    (None, b"x", ("particles.parquet", "not a readable Parquet file")),
])
def test_posterior_of_a_damaged_folder_is_exit_2(tmp_path, fitted, summary, particles, names):
    out, _, _ = fitted
    folder = tmp_path / "damaged"
    folder.mkdir()
    (folder / "posterior.json").write_text(summary if summary is not None else (out / "posterior.json").read_text())
    (folder / "particles.parquet").write_bytes(particles)
    r = exitvoice("posterior", folder)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    for name in names:
        assert name in r.stderr, (name, r.stderr)
    assert not (folder / "posterior.png").exists()
