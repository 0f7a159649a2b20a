"""Ensembles: ordered quantiles, members reproducible alone, local processes and Dask alike, posteriors."""

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import MOBILISATION, small_scenario, write_scenario
from exitvoice import run
from exitvoice.ensemble import QUANTILES, EnsembleResults, quantiles, read_posterior, run_ensemble
from exitvoice.errors import DataError, ExitvoiceError
from exitvoice.pack import load_pack


@pytest.fixture(scope="module")
def sc():
    return small_scenario([dict(MOBILISATION)], end="2022-10-05", scale=0.05)


@pytest.fixture(scope="module")
def ens(sc):
    return run_ensemble(sc, 6, seed=5, jobs=1)


def test_quantiles_are_ordered_and_bracket_the_median_member(ens):
    q = ens.quantiles()
    cols = ["q05", "q25", "q50", "q75", "q95"]
    assert (np.diff(q[cols].to_numpy(), axis=1) >= -1e-9).all()
    left = ens.members.left.to_numpy()
    median_member = int(np.argsort(left)[len(left) // 2])
    t = ens.summary()["totals"]["left"]
    assert t["q25"] <= left[median_member] <= t["q75"]
    assert len(set(left)) > 1  # members differ


def test_quantiles_of_infinite_series_give_no_warning_and_keep_the_infinity(sc):
    """An illegal route without a declared capacity has `capacity` = inf in every member: its quantiles are inf,
    with no "invalid value encountered in subtract" (compare --ensemble of the Myanmar scenarios); a series with
    one infinite member keeps its finite quantiles finite."""
    values = np.array([[np.inf, 1.0, np.inf, 5.0], [np.inf, 2.0, 3.0, 5.0], [np.inf, 3.0, np.inf, 5.0]])
    index = pd.DataFrame({"date": ["2024-02-01"] * 4, "quantity": ["capacity", "x", "y", "z"],
                          "geography": ["crossing:a", "MM", "MM", "MM"]})
    res = EnsembleResults(sc, 0, index, values, [{}, {}, {}], pd.DataFrame({"member": [0, 1, 2]}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q = res.quantiles()
        direct = quantiles(values, QUANTILES)
    assert np.isinf(q.loc[0, ["q05", "q25", "q50", "q75", "q95"]].astype(float)).all()
    assert q.loc[1, "q50"] == 2.0 and q.loc[3, "q05"] == 5.0
    assert not np.isnan(direct).any()
    assert np.isinf(direct[2, 2]) and direct[2, 1] == 2.0


def test_each_member_is_reproducible_on_its_own(sc, ens):
    """Member i alone: the seed, its index and its parameters (drawn from the pack's posterior, if it ships one)."""
    base = sc.parameter_set()
    for i in (0, 4):
        row = ens.members.iloc[i]
        params = base.with_overrides({k: float(row[k]) for k in ens.members.columns if k in base.declarations})
        alone = run(sc, seed=5, params=params, member=i).timeseries.value.to_numpy()
        assert np.array_equal(alone, ens.values[i])


def test_local_processes_give_the_same_members(sc, ens):
    par = run_ensemble(sc, 6, seed=5, jobs=2)
    assert np.array_equal(par.values, ens.values)


def test_dask_gives_the_same_members(sc, ens):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        dask = run_ensemble(sc, 6, seed=5, scheduler=cluster.scheduler_address)
    assert np.array_equal(dask.values, ens.values)


def test_members_cycle_through_the_posterior(sc, tmp_path):
    post = pd.DataFrame({"exit.beta_risk": [5.0, 200.0], "callup.report_days": [2.0, 6.0]})
    path = tmp_path / "posterior.csv"
    post.to_csv(path, index=False)
    sets = read_posterior(path, sc)
    e = run_ensemble(sc, 4, seed=1, posterior=sets)
    assert e.members.param_set.tolist() == [0, 1, 0, 1]
    assert [s["parameters_changed"]["exit.beta_risk"] for s in e.summaries] == [5.0, 200.0, 5.0, 200.0]
    assert e.members.left[1] > e.members.left[0]  # stronger response to risk, more leave


def test_bad_posterior_is_refused(sc, tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"exit.beta_nonsense": [1.0]}).to_csv(path, index=False)
    with pytest.raises(Exception, match="beta_nonsense"):
        read_posterior(path, sc)
    with pytest.raises(DataError):
        read_posterior(tmp_path / "missing.csv", sc)


def test_cli_ensemble_and_its_validation(tmp_path):
    scen = tmp_path / "s.toml"
    write_scenario(scen, "e", "2022-10-05", regions=("SE", "AST", "MOW"))
    out = tmp_path / "ens"
    exe = [sys.executable, "-m", "exitvoice"]
    r = subprocess.run([*exe, "run", scen, "--ensemble", "4", "--jobs", "2", "--out", out, "--plots"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for f in ("summary.json", "timeseries_quantiles.parquet", "members.parquet", "member_series.parquet"):
        assert (out / f).is_file()
    assert list((out / "plots").glob("*.png"))
    assert json.loads((out / "summary.json").read_text())["ensemble"] == 4
    r = subprocess.run([*exe, "validate", out], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    m = json.loads((out / "validation" / "scorecard.json").read_text())
    assert m["members"] == 4 and m["coverage_90"] is not None
    r = subprocess.run([*exe, "run", scen, "--jobs", "2", "--out", tmp_path / "x"], capture_output=True, text=True)
    assert r.returncode == 2 and "--ensemble" in r.stderr


def test_full_uncertainty_members_draw_the_priors_of_named_groups():
    from exitvoice.ensemble import prior_sets

    sc = small_scenario([dict(MOBILISATION)], end="2022-09-26", scale=0.02, parameters={"economy.remote_share_it": 0.7})
    sets = prior_sets(sc, ["economy", "voice"], 400, 3, exclude={"voice.threshold_mean"})
    decl = load_pack("russia").declarations
    assert "economy.remote_share_it" not in sets and "voice.threshold_mean" not in sets  # set, fitted
    assert all(k.split(".")[0] in ("economy", "voice") and decl[k].prior != "fixed" for k in sets)
    for k in sets:
        d = decl[k]
        assert sets[k].between(d.low, d.high).all()
        u = (np.log(sets[k]) - np.log(d.low)) / np.log(d.high / d.low) if d.prior == "loguniform" \
            else (sets[k] - d.low) / (d.high - d.low)
        assert abs(u.mean() - 0.5) < 0.06  # uniform on the prior's scale
    assert prior_sets(sc, ["economy"], 5, 3, set()).equals(prior_sets(sc, ["economy"], 5, 3, set()))
    with pytest.raises(ExitvoiceError):
        prior_sets(sc, ["population"], 5, 3, set())
    ens = run_ensemble(sc, 3, seed=1, draw_priors=["economy"])
    assert "priors of" in ens.summary()["band"] and ens.members["economy.labour_elasticity"].nunique() == 3
    assert run_ensemble(sc, 2, seed=1, posterior=None).summary()["band"] == "seed noise only"


def test_kept_members_resume_only_under_the_same_model(monkeypatch):
    """An interrupted ensemble's members are reused only by the same version and parameter values."""
    import exitvoice
    from exitvoice.ensemble import checkpoint_key

    sets = pd.DataFrame({"set_id": [0]})
    key = checkpoint_key({"a": 1}, 3, sets, False, params={"exit.beta_risk": 450.0})
    assert key == checkpoint_key({"a": 1}, 3, sets, False, params={"exit.beta_risk": 450.0})
    assert key != checkpoint_key({"a": 1}, 3, sets, False, params={"exit.beta_risk": 451.0})
    monkeypatch.setattr(exitvoice, "__version__", exitvoice.__version__ + ".post1")
    assert key != checkpoint_key({"a": 1}, 3, sets, False, params={"exit.beta_risk": 450.0})
