"""Calibration: recovers a known parameter from synthetic observations, resumes, losses by hand."""

import signal
import subprocess
import sys
import time

import numpy as np
import optuna
import pandas as pd
import pytest

from conftest import MOBILISATION, small_scenario, write_scenario
from exitvoice import run
from exitvoice.calibrate import Settings, calibrate, loss_value, posterior, write_outputs
from exitvoice.errors import ExitvoiceError

TRUE = 1.2e-5  # exit.lambda_base used to make the synthetic observations (mid-range on a log scale)


def _scenario():
    return small_scenario([dict(MOBILISATION)], end="2022-10-10", scale=0.05)


def _synthetic(sc) -> pd.DataFrame:
    """Observations produced by the model itself at exit.lambda_base = TRUE.

    Daily entries alone hardly pin the base exit hazard (ordinary trips and the call-up's surge fill them; at a 5%
    sample their noise is larger than the parameter's effect), so the leavers' stocks abroad are observed too,
    as a real calibration set has them."""
    res = run(sc.with_overrides({"exit.lambda_base": str(TRUE)}), seed=0)
    ts = res.timeseries
    rows = []
    for quantity in ("daily_entries", "abroad_stock"):
        for geo in ("KZ", "GE", "AM", "BY", "TR"):
            for date in ("2022-09-18", "2022-09-26", "2022-10-05"):
                v = ts[(ts.quantity == quantity) & (ts.geography == geo) & (ts.date == date)].value.iloc[0]
                rows.append({"line": len(rows) + 2, "date": pd.Timestamp(date), "quantity": quantity,
                             "geography": geo, "value": v / 0.05, "unit": "persons", "since": None,
                             "kind": "official", "source": "synthetic"})
    return pd.DataFrame(rows)


def test_recovers_a_known_parameter_from_synthetic_observations(tmp_path):
    sc = _scenario()
    obs = _synthetic(sc)
    settings = Settings(params=["exit.lambda_base"], trials=30, seed=0, min_sets=5)
    st = calibrate(sc, obs, settings, storage=f"sqlite:///{tmp_path / 's.db'}", study="synthetic")
    best = st.best_params["exit.lambda_base"]
    assert abs(np.log(best / TRUE)) < np.log(1.3), best  # within a factor 1.3 over the declared range of 6x
    post = posterior(st, settings)
    assert len(post) >= 5 and post.loss.is_monotonic_increasing
    out = write_outputs(st, settings, tmp_path / "out", scenario=sc, storage="x")
    text = (out / "calibrated.toml").read_text()
    assert '"exit.lambda_base" =' in text
    assert pd.read_parquet(out / "posterior.parquet").columns.tolist()[:3] == ["set_id", "trial", "loss"]


def test_resumes_without_losing_trials(tmp_path):
    sc = _scenario()
    obs = _synthetic(sc)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    s3 = Settings(params=["exit.beta_risk"], trials=3, seed=1)
    first = calibrate(sc, obs, s3, storage=url, study="r")
    before = {t.number: t.params for t in first.trials}
    s5 = Settings(params=["exit.beta_risk"], trials=5, seed=1)
    again = calibrate(sc, obs, s5, storage=url, study="r")
    done = [t for t in again.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 5
    assert all(again.trials[n].params == p for n, p in before.items())


def test_journal_storage_with_two_processes(tmp_path):
    sc = _scenario()
    st = calibrate(sc, _synthetic(sc), Settings(params=["exit.beta_risk"], trials=4, seed=2),
                   storage=f"journal:{tmp_path / 'j.log'}", study="j", jobs=2)
    done = [t for t in st.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) >= 4
    assert len({t.params["exit.beta_risk"] for t in done}) == len(done)  # workers do not repeat each other


def test_ctrl_c_then_resume_keeps_completed_trials(tmp_path):
    scen = tmp_path / "s.toml"
    write_scenario(scen, "c", "2022-10-01")
    db = tmp_path / "c.db"
    cmd = [sys.executable, "-m", "exitvoice", "calibrate", str(scen), "--params", "exit.beta_risk",
           "--storage", f"sqlite:///{db}", "--out", str(tmp_path / "out")]
    # a background shell starts its jobs with SIGINT ignored, and Python then never raises KeyboardInterrupt:
    # restore the default, as in a terminal
    proc = subprocess.Popen([*cmd, "--trials", "100000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def completed():
        """Completed trials, read with sqlite3 directly (waits for a writer's lock instead of failing)."""
        import sqlite3
        from contextlib import closing

        if not db.exists():
            return 0
        with closing(sqlite3.connect(db, timeout=60)) as con:
            try:
                return con.execute("SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]
            except sqlite3.OperationalError:  # tables not created yet
                return 0

    deadline = time.time() + 120
    while completed() < 3 and time.time() < deadline:
        time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=300)  # a liveness bound, generous for a loaded CI machine
    kept = completed()
    assert 3 <= kept < 100000
    r = subprocess.run([*cmd, "--trials", str(kept + 2)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert completed() == kept + 2


def test_losses_by_hand():
    rows = pd.DataFrame({"status": ["scored", "scored", "skipped"], "kind": ["official", "estimate", "official"],
                         "observed": [100.0, 10.0, 5.0], "simulated": [50.0, 10.0, np.nan],
                         "quantity": ["daily_entries", "daily_entries", "other"],
                         "geography": ["KZ", "GE", "KZ"], "date": ["d", "d", "d"], "since": [None, None, None]})
    sse = loss_value(rows, Settings(params=["x"]))
    assert sse == pytest.approx((np.log(51) - np.log(101)) ** 2 * 1.0 + 0.0 * 0.5)
    good = rows.assign(simulated=[100.0, 10.0, np.nan])
    nll = Settings(params=["x"], loss="nll")
    assert np.isfinite(loss_value(rows, nll)) and loss_value(good, nll) < loss_value(rows, nll)


def test_bad_calibration_input(tmp_path):
    sc = _scenario()
    obs = _synthetic(sc)
    for params, msg in ((["exit.nonsense"], "unknown parameter"), (["risk.horizon_days"], "fixed"), ([], "at least")):
        with pytest.raises(ExitvoiceError, match=msg):
            calibrate(sc, obs, Settings(params=params, trials=1), storage="sqlite:///:memory:", study="x")
    scen = tmp_path / "s.toml"
    write_scenario(scen, "c", "2022-10-01", mobilisation=False, population=False)
    r = subprocess.run([sys.executable, "-m", "exitvoice", "calibrate", str(scen), "--params", "exit.nope",
                        "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert r.returncode == 2 and "exit.nope" in r.stderr and not (tmp_path / "o").exists()


def test_a_worker_whose_command_was_killed_stops_after_its_trial(tmp_path):
    """A worker process checks its parent after each trial: orphaned (the command killed), it stops."""
    import optuna

    from exitvoice.calibrate import _worker, open_study

    sc = _scenario()
    settings = Settings(params=["exit.beta_risk"], trials=5, seed=3)
    storage = f"sqlite:///{tmp_path / 'o.db'}"
    _worker(sc.model_dump(mode="json"), "test", _synthetic(sc), settings, storage, "o", 5, 1, parent=-1)
    study = open_study(storage, "o", settings)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 1  # not 5: its parent (-1) is not its parent


def _cli(*args):
    import os

    return subprocess.run([sys.executable, "-m", "exitvoice", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}, timeout=600)


@pytest.mark.parametrize("args,given,owner", [
    (("--particles", "50"), "--particles", "abc-smc"),
    (("--method", "optuna", "--generations", "3", "--walltime", "5"), "--generations", "abc-smc"),
    (("--method", "abc-smc", "--trials", "5"), "--trials", "optuna"),
    (("--method", "abc-smc", "--sampler", "random", "--storage", "sqlite:///x.db"), "--storage", "optuna"),
])
def test_an_option_of_the_other_method_is_refused_not_ignored(tmp_path, args, given, owner):
    scen = write_scenario(tmp_path / "s.toml", "m", "2022-09-24")
    r = _cli("calibrate", scen, "--params", "exit.beta_risk", "--out", tmp_path / "o", *args)
    msg = " ".join(r.stderr.split())
    assert r.returncode == 2 and "Traceback" not in msg, msg
    assert given in msg and f"of --method {owner}" in msg and "allowed:" in msg, msg
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob("*.db"))


def test_best_of_counts_completed_trials_and_says_how_many_failed(tmp_path):
    scen = write_scenario(tmp_path / "s.toml", "f", "2022-09-24")
    url = f"sqlite:///{tmp_path / 'f.db'}"
    st = optuna.create_study(storage=url, study_name="f")
    for _ in range(2):  # two trials that failed (a crash, a Ctrl-C) in an earlier session
        st.tell(st.ask(), state=optuna.trial.TrialState.FAIL)
    r = _cli("calibrate", scen, "--params", "exit.beta_risk", "--trials", "2", "--storage", url, "--study", "f",
             "--out", tmp_path / "o", "--sampler", "random")
    out = " ".join(r.stdout.split())
    assert r.returncode == 0, r.stderr
    assert "best of 2 completed trials; 2 failed" in out and "best of 4" not in out, out
