"""Faults: Ctrl-C during a calibration or an ensemble, then the same command again. Nothing is lost (finished
trials and members are kept), nothing is repeated (no trial or member runs twice), and the interruption prints one
line, not a traceback."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import optuna
import pandas as pd
import pytest

from conftest import MOBILISATION, small_scenario, write_scenario
from exitvoice.calibrate import Settings, calibrate, posterior

LIVENESS_SECONDS = 300  # bounds on waiting for a subprocess: a hang fails the test instead of blocking it


def _default_sigint() -> None:
    # A shell's background jobs start with SIGINT ignored, and Python then never raises KeyboardInterrupt;
    # restore the default, as in a terminal.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*args):
    return subprocess.Popen([sys.executable, "-m", "exitvoice", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)


def exitvoice(*args):
    return subprocess.run([sys.executable, "-m", "exitvoice", *map(str, args)], capture_output=True, text=True,
                          timeout=LIVENESS_SECONDS)


def wait_for(condition, what: str) -> None:
    deadline = time.time() + LIVENESS_SECONDS
    while not condition():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def interrupt(proc) -> tuple[str, str]:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=LIVENESS_SECONDS)
    assert proc.returncode == 130, (proc.returncode, err[-3000:])
    assert "Traceback" not in err and "interrupted" in err, err[-3000:]
    return out, err


def trials(db) -> list[tuple[str, float]]:
    """(state, value of exit.beta_risk) of every trial, read with sqlite3 (waits for a writer's lock)."""
    if not db.exists():
        return []
    with closing(sqlite3.connect(db, timeout=60)) as con:
        try:
            return con.execute("SELECT t.state, p.param_value FROM trials t JOIN trial_params p "
                               "ON p.trial_id = t.trial_id ORDER BY t.number").fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return []


def completed(db) -> list[float]:
    return [v for s, v in trials(db) if s == "COMPLETE"]


def states(db) -> list[str]:
    """The state of every trial, those without parameters yet included."""
    if not db.exists():
        return []
    with closing(sqlite3.connect(db, timeout=60)) as con:
        try:
            return [s for (s,) in con.execute("SELECT state FROM trials ORDER BY number").fetchall()]
        except sqlite3.OperationalError:
            return []


def test_ctrl_c_during_a_calibration_then_resume_repeats_nothing(tmp_path):
    scen = write_scenario(tmp_path / "s.toml", "fault", "2022-09-28")
    db = tmp_path / "c.db"
    out = tmp_path / "out"
    cmd = ["calibrate", scen, "--params", "exit.beta_risk", "--sampler", "random", "--seed", "3",
           "--storage", f"sqlite:///{db}", "--out", out]
    proc = start(*cmd, "--trials", 10_000)
    wait_for(lambda: len(completed(db)) >= 3, "three completed trials")
    interrupt(proc)
    kept = completed(db)
    assert not out.exists()
    assert "RUNNING" not in states(db)  # the trial under way is marked failed

    r = exitvoice(*cmd, "--trials", len(kept) + 3)
    assert r.returncode == 0, r.stderr
    done = completed(db)
    assert len(done) == len(kept) + 3
    assert done[: len(kept)] == kept  # nothing lost
    assert len(set(done)) == len(done)  # nothing proposed twice (a re-seeded random sampler would replay)
    post = pd.read_parquet(out / "posterior.parquet")
    assert not post.duplicated(subset=["exit.beta_risk"]).any()

    before = (out / "calibration.json").read_text()
    r = exitvoice(*cmd, "--trials", len(kept) + 3)  # the same command after it finished
    assert r.returncode == 0, r.stderr
    assert "finished" in r.stdout
    assert (out / "calibration.json").read_text() == before
    assert len(completed(db)) == len(kept) + 3


def _new_session():
    _default_sigint()
    os.setsid()  # its own process group, which a Ctrl-C at a terminal signals whole


def test_ctrl_c_at_a_terminal_during_a_calibration_with_workers_leaves_no_trial_running(tmp_path):
    """Ctrl-C at a terminal reaches the command and its workers, some of them still starting: one line, no
    traceback, and every trial under way is marked failed."""
    scen = write_scenario(tmp_path / "s.toml", "fault", "2022-09-24")
    db = tmp_path / "c.db"
    cmd = ["calibrate", scen, "--params", "exit.beta_risk", "--sampler", "random", "--storage", f"sqlite:///{db}",
           "--out", tmp_path / "out", "--jobs", 2]
    for wait in (lambda: "RUNNING" in states(db), lambda: len(completed(db)) >= 2):
        proc = subprocess.Popen([sys.executable, "-m", "exitvoice", *map(str, cmd), "--trials", "10000"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_new_session)
        wait_for(wait, "a trial under way")
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=LIVENESS_SECONDS)
        assert proc.returncode == 130, (proc.returncode, err[-3000:])
        assert "Traceback" not in err and err.count("interrupted") == 1, err[-3000:]
        assert "RUNNING" not in states(db)


def test_ctrl_c_as_a_trial_is_asked_marks_it_failed(tmp_path):
    """A Ctrl-C held while the storage creates the trial is raised once it exists: the trial is marked failed."""
    from exitvoice.calibrate import _optimize, open_study

    st = open_study(f"sqlite:///{tmp_path / 'a.db'}", "a", Settings(params=["exit.beta_risk"]))
    ask = st.ask

    def ask_then_ctrl_c(*args, **kwargs):
        trial = ask(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # held by exitvoice until the ask is done
        return trial

    st.ask = ask_then_ctrl_c
    with pytest.raises(KeyboardInterrupt):
        _optimize(st, lambda trial: 1.0, 1)
    assert [t.state for t in st.trials] == [optuna.trial.TrialState.FAIL]


def test_a_resumed_study_marks_trials_left_running_failed(tmp_path, monkeypatch):
    """A trial left running by a process that is gone (SIGKILL) is marked failed before the study resumes; one of
    another host may be under way there and is left alone."""
    import socket

    from exitvoice import calibrate as cal

    sc = small_scenario([dict(MOBILISATION)], end="2022-09-24", scale=0.02, regions=["SE", "AST"])
    obs = pd.DataFrame([{"line": 2, "date": pd.Timestamp("2022-09-22"), "quantity": "daily_entries",
                         "geography": "KZ", "value": 50.0, "unit": "persons", "since": None, "kind": "official",
                         "source": "test"}])
    url = f"sqlite:///{tmp_path / 'k.db'}"
    settings = Settings(params=["exit.beta_risk"], trials=1)
    st = cal.open_study(url, "k", settings)
    gone = subprocess.Popen(["true"])  # a process that has ended
    gone.wait()
    killed, elsewhere, unowned = st.ask(), st.ask(), st.ask()
    killed.set_user_attr(cal.OWNER, {"host": socket.gethostname(), "pid": gone.pid, "started": 0.0})
    elsewhere.set_user_attr(cal.OWNER, {"host": "another-machine", "pid": os.getpid(), "started": 0.0})
    monkeypatch.setattr(cal, "UNOWNED_GRACE_SECONDS", 0.0)  # an unowned trial as old as the grace
    st = calibrate(sc, obs, settings, storage=url, study="k")
    state = {t.number: t.state for t in st.trials}
    assert state[killed.number] == state[unowned.number] == optuna.trial.TrialState.FAIL
    assert state[elsewhere.number] == optuna.trial.TrialState.RUNNING
    assert sum(s == optuna.trial.TrialState.COMPLETE for s in state.values()) == 1


def test_a_resumed_study_proposes_no_set_twice(tmp_path):
    sc = small_scenario([dict(MOBILISATION)], end="2022-09-24", scale=0.02, regions=["SE", "AST"])
    obs = pd.DataFrame([{"line": 2, "date": pd.Timestamp("2022-09-22"), "quantity": "daily_entries",
                         "geography": "KZ", "value": 50.0, "unit": "persons", "since": None, "kind": "official",
                         "source": "test"}])
    url = f"sqlite:///{tmp_path / 'r.db'}"
    for n in (4, 8, 12):  # three sessions of the same command, each asking for more trials
        st = calibrate(sc, obs, Settings(params=["exit.beta_risk"], trials=n, seed=0), storage=url, study="r")
    done = [t.params["exit.beta_risk"] for t in st.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 12 and len(set(done)) == 12
    assert len(posterior(st, Settings(params=["exit.beta_risk"], min_sets=12))) == 12


def test_ctrl_c_during_an_ensemble_then_resume_repeats_nothing(tmp_path):
    scen = write_scenario(tmp_path / "s.toml", "ens", "2022-09-30")
    out, ref = tmp_path / "ens", tmp_path / "ref"
    checkpoint = tmp_path / ".ens.members"
    cmd = ["run", scen, "--ensemble", 6, "--jobs", 2, "--seed", 5, "--no-plots"]
    proc = start(*cmd, "--out", out)
    wait_for(lambda: len(list(checkpoint.glob("member-*.npz"))) >= 2, "two finished members")
    interrupt(proc)
    saved = len(list(checkpoint.glob("member-*.npz")))
    assert 2 <= saved and not out.exists()

    r = exitvoice(*cmd, "--out", out)
    assert r.returncode == 0, r.stderr
    assert f"resuming: {saved} of 6 members" in " ".join(r.stderr.split())
    assert not checkpoint.exists()
    assert exitvoice(*cmd, "--out", ref).returncode == 0  # the same ensemble, uninterrupted
    for name in ("timeseries_quantiles.parquet", "member_series.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(ref / name))
    drop = [c for c in ("wall_seconds",) if c in pd.read_parquet(out / "members.parquet")]
    pd.testing.assert_frame_equal(pd.read_parquet(out / "members.parquet").drop(columns=drop),
                                  pd.read_parquet(ref / "members.parquet").drop(columns=drop))


def _saved(folder) -> int:
    return len(list(folder.glob("**/member-*.npz")))


def test_ctrl_c_during_a_comparison_then_resume_repeats_nothing(tmp_path):
    a = write_scenario(tmp_path / "a.toml", "a", "2022-09-30")
    b = write_scenario(tmp_path / "b.toml", "b", "2022-09-30")
    b.write_text(b.read_text().replace("target = 300000", "target = 150000"))
    out, ref = tmp_path / "cmp", tmp_path / "ref"
    checkpoint = tmp_path / ".cmp.members"
    cmd = ["compare", a, b, "--ensemble", 3, "--jobs", 2, "--seed", 5, "--no-plots"]
    proc = start(*cmd, "--out", out)
    wait_for(lambda: _saved(checkpoint / "a") >= 2, "two finished members of a")
    interrupt(proc)
    saved = _saved(checkpoint / "a")
    assert not out.exists()

    r = exitvoice(*cmd, "--out", out)
    assert r.returncode == 0, r.stderr
    assert f"resuming a: {saved} of 3 members" in " ".join(r.stderr.split())
    assert not checkpoint.exists()
    assert exitvoice(*cmd, "--out", ref).returncode == 0  # the same comparison, uninterrupted
    pd.testing.assert_frame_equal(pd.read_csv(out / "comparison.csv"), pd.read_csv(ref / "comparison.csv"))

    proc = start(*cmd, "--out", tmp_path / "again")  # interrupted again, then a's file changes: a starts afresh
    wait_for(lambda: _saved(tmp_path / ".again.members" / "a") >= 1, "a finished member of a")
    interrupt(proc)
    a.write_text(a.read_text().replace("target = 300000", "target = 250000"))
    r = exitvoice(*cmd, "--out", tmp_path / "again")
    assert r.returncode == 0, r.stderr
    msg = " ".join(r.stderr.split())
    assert "starting a afresh" in msg and "resuming a:" not in msg
    runs = pd.read_csv(tmp_path / "again" / "comparison.csv")
    assert not runs[runs.scenario == "a"].reset_index(drop=True).equals(
        pd.read_csv(ref / "comparison.csv").query("scenario == 'a'").reset_index(drop=True))


def test_ctrl_c_during_a_sensitivity_analysis_then_resume_repeats_nothing(tmp_path):
    scen = write_scenario(tmp_path / "s.toml", "sens", "2022-09-30")
    out, ref = tmp_path / "sens", tmp_path / "ref"
    checkpoint = tmp_path / ".sens.members"
    cmd = ["sensitivity", scen, "--method", "morris", "--samples", 2, "--params", "exit.lambda_base,exit.beta_risk",
           "--jobs", 2]
    proc = start(*cmd, "--out", out)
    wait_for(lambda: _saved(checkpoint) >= 2, "two finished runs")
    interrupt(proc)
    saved = _saved(checkpoint)
    assert not out.exists()

    r = exitvoice(*cmd, "--out", out)
    assert r.returncode == 0, r.stderr
    assert f"resuming: {saved} of 6 runs" in " ".join(r.stderr.split())
    assert not checkpoint.exists()
    assert exitvoice(*cmd, "--out", ref).returncode == 0  # the same analysis, uninterrupted
    pd.testing.assert_frame_equal(pd.read_csv(out / "sensitivity.csv"), pd.read_csv(ref / "sensitivity.csv"))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "samples.parquet"), pd.read_parquet(ref / "samples.parquet"))

    proc = start(*cmd, "--out", tmp_path / "again")  # interrupted again, then run with another seed: afresh
    wait_for(lambda: _saved(tmp_path / ".again.members") >= 1, "a finished run")
    interrupt(proc)
    r = exitvoice(*cmd, "--seed", 1, "--out", tmp_path / "again")
    assert r.returncode == 0, r.stderr
    assert "starting afresh" in " ".join(r.stderr.split()) and "resuming" not in r.stderr


def test_ctrl_c_at_a_terminal_during_an_ensemble_with_workers_prints_one_line(tmp_path):
    """Ctrl-C at a terminal, as the workers start and once members are under way: one line, no traceback (the
    workers, in a process group of their own, never see it; the command stops them)."""
    scen = write_scenario(tmp_path / "s.toml", "ensc", "2022-09-30")
    checkpoint = tmp_path / ".ens.members"
    cmd = ["run", scen, "--ensemble", 6, "--jobs", 2, "--seed", 5, "--no-plots", "--out", tmp_path / "ens"]
    for wait in (lambda: (checkpoint / "key.txt").exists(),
                 lambda: len(list(checkpoint.glob("member-*.npz"))) >= 1):
        proc = subprocess.Popen([sys.executable, "-m", "exitvoice", *map(str, cmd)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, preexec_fn=_new_session)
        wait_for(wait, "the ensemble under way")
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=LIVENESS_SECONDS)
        assert proc.returncode == 130, (proc.returncode, err[-3000:])
        assert "Traceback" not in err and err.count("interrupted") == 1, err[-3000:]
        assert "KeyboardInterrupt" not in err, err[-3000:]


def test_a_worker_interrupted_between_tasks_ends_quietly():
    """A Ctrl-C passed on to an idle worker (waiting for a task) ends it with no traceback."""
    import pickle

    from exitvoice.workers import _start_worker

    p = subprocess.Popen([sys.executable, "-m", "exitvoice.workers"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, preexec_fn=_default_sigint)
    pickle.dump((0, "os.path", "join", ("a", "b")), p.stdin)
    p.stdin.flush()
    assert pickle.load(p.stdout) == ("done", 0, True, os.path.join("a", "b"))  # idle now, reading its next task
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=LIVENESS_SECONDS)
    assert p.returncode == 130 and b"Traceback" not in err, err
    w = _start_worker()
    try:
        assert os.getpgid(w.pid) == w.pid != os.getpgid(0)  # a group of its own: a terminal's Ctrl-C misses it
    finally:
        w.stdin.close()
        w.wait(timeout=LIVENESS_SECONDS)
        w.stdout.close()


def _worker_with_a_running_trial(proc, db) -> int:
    """The pid of a worker of the command `proc` once a trial of that worker is running (read from the study)."""
    import json

    import psutil

    found: list[int] = []

    def running() -> bool:
        workers = {c.pid for c in psutil.Process(proc.pid).children()}
        if not db.exists() or not workers:
            return False
        with closing(sqlite3.connect(db, timeout=60)) as con:
            try:
                rows = con.execute("SELECT a.value_json FROM trial_user_attributes a JOIN trials t ON "
                                   "a.trial_id = t.trial_id WHERE t.state = 'RUNNING' AND a.key = "
                                   "'exitvoice_owner'").fetchall()
            except sqlite3.OperationalError:
                return False
        found[:] = [json.loads(v)["pid"] for (v,) in rows if json.loads(v)["pid"] in workers]
        return bool(found)

    wait_for(running, "a trial of a worker under way")
    return found[0]


@pytest.mark.parametrize("sig,how", [(signal.SIGKILL, "killed by SIGKILL"), (signal.SIGINT, "was interrupted")])
def test_a_calibration_worker_ended_alone_is_reported_and_the_command_fails(tmp_path, sig, how):
    """A worker killed (SIGKILL) or interrupted on its own: its running trial is marked failed at once, the command
    says so, and exits 1 saying how many trials are missing (no outputs); the same command again completes."""
    scen = write_scenario(tmp_path / "s.toml", "killw", "2022-09-24")
    db, out = tmp_path / "k.db", tmp_path / "out"
    cmd = ["calibrate", scen, "--params", "exit.beta_risk", "--sampler", "random", "--storage", f"sqlite:///{db}",
           "--out", out, "--jobs", 2, "--trials", 6]
    proc = start(*cmd)
    os.kill(_worker_with_a_running_trial(proc, db), sig)
    _, err = proc.communicate(timeout=LIVENESS_SECONDS)
    msg = " ".join(err.split())
    assert proc.returncode == 1, (proc.returncode, err[-3000:])
    assert "Traceback" not in err and how in msg and "marked failed" in msg, msg
    assert "completed trials asked for" in msg and "the same command again runs the" in msg, msg
    assert "RUNNING" not in states(db) and "FAIL" in states(db)  # marked by the command, not left to a next session
    assert len(completed(db)) < 6 and not out.exists()

    r = exitvoice(*cmd)
    assert r.returncode == 0, r.stderr
    assert len(completed(db)) == 6 and (out / "calibrated.toml").exists()
    assert "best of 6 completed trials; 1 failed" in " ".join(r.stdout.split())


def test_an_ensemble_worker_killed_alone_is_reported_and_the_rerun_resumes(tmp_path):
    """A worker of `run --ensemble --jobs 2` killed on its own: exit 1, said in one line with the members kept; the
    same command again runs only the others."""
    import psutil

    scen = write_scenario(tmp_path / "s.toml", "ensk", "2022-09-30")
    out, checkpoint = tmp_path / "ens", tmp_path / ".ens.members"
    cmd = ["run", scen, "--ensemble", 6, "--jobs", 2, "--seed", 5, "--no-plots", "--out", out]
    proc = start(*cmd)
    wait_for(lambda: len(list(checkpoint.glob("member-*.npz"))) >= 1, "a finished member")
    psutil.Process(proc.pid).children()[0].kill()
    _, err = proc.communicate(timeout=LIVENESS_SECONDS)
    msg = " ".join(err.split())
    assert proc.returncode == 1, (proc.returncode, err[-3000:])
    assert "Traceback" not in err and "killed by SIGKILL" in msg and "are kept" in msg, msg
    saved = len(list(checkpoint.glob("member-*.npz")))
    assert saved >= 1 and not out.exists()
    r = exitvoice(*cmd)
    assert r.returncode == 0, r.stderr
    assert f"resuming: {saved} of 6 members" in " ".join(r.stderr.split())


def test_abc_smc_with_workers_ctrl_c_at_a_terminal_or_a_worker_killed(tmp_path):
    """ABC-SMC with --jobs 2 (pyabc's forked workers): a Ctrl-C at a terminal prints one line and no worker
    traceback (exit 130); a worker killed alone is said in one line with exit code 1, the generations kept."""
    import psutil

    scen = write_scenario(tmp_path / "s.toml", "abcint", "2022-09-24")
    cmd = ["calibrate", scen, "--params", "exit.beta_risk,exit.lambda_base", "--method", "abc-smc", "--particles",
           20, "--generations", 3, "--jobs", 2]

    def sampling(proc):
        return lambda: len(psutil.Process(proc.pid).children()) >= 2  # the sampler's workers are forked

    proc = subprocess.Popen([sys.executable, "-m", "exitvoice", *map(str, cmd), "--out", tmp_path / "a"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_new_session)
    wait_for(sampling(proc), "the sampler's workers")
    time.sleep(1)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=LIVENESS_SECONDS)
    assert proc.returncode == 130, (proc.returncode, err[-3000:])
    assert "Traceback" not in err and "KeyboardInterrupt" not in err and err.count("interrupted") == 1, err[-3000:]

    proc = start(*cmd, "--out", tmp_path / "b")
    wait_for(sampling(proc), "the sampler's workers")
    psutil.Process(proc.pid).children()[0].kill()
    _, err = proc.communicate(timeout=LIVENESS_SECONDS)
    msg = " ".join(err.split())
    assert proc.returncode == 1, (proc.returncode, err[-3000:])
    assert "Traceback" not in err and "worker process of the ABC-SMC sampler" in msg and "same command" in msg, msg
    assert not (tmp_path / "b").exists()
