"""Output folders: nothing of the user's is ever deleted, and a bad `--out` is refused before any work is done."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import write_scenario
from exitvoice.errors import ExitvoiceError
from exitvoice.outputs import MARKER, PARTIAL, atomic_folder, check_output


def exitvoice(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "exitvoice", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


@pytest.fixture
def scenario_file(tmp_path):
    return write_scenario(tmp_path / "s.toml", "safe", "2022-09-20", mobilisation=False)


def test_force_on_the_current_directory_is_refused_and_deletes_nothing(scenario_file, tmp_path):
    for out in (".", "", "./", str(tmp_path)):
        r = exitvoice("run", scenario_file.name, "--out", out, "--force", cwd=tmp_path)
        assert r.returncode == 2, (out, r.stderr)
        assert "Traceback" not in r.stderr
        assert scenario_file.is_file()
    assert "current directory" in exitvoice("run", "s.toml", "--out", ".", "--force", cwd=tmp_path).stderr


@pytest.mark.parametrize("command", [("run", "s.toml"), ("validate", "s.toml"), ("compare", "s.toml"),
                                     ("calibrate", "s.toml", "--params", "exit.beta_risk"),
                                     ("sensitivity", "s.toml", "--params", "exit.beta_risk,callup.hide_rate"),
                                     ("report", ".")])
def test_an_empty_output_path_is_refused_as_empty(scenario_file, tmp_path, command):
    """`--out ""` is not the current directory (as Path("") would have it): it is refused as empty."""
    before = sorted(tmp_path.iterdir())
    r = exitvoice(*command, "--out", "", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "the output path is empty" in r.stderr and "current directory" not in r.stderr
    assert sorted(tmp_path.iterdir()) == before


def test_force_on_a_parent_home_or_root_is_refused(scenario_file, tmp_path):
    sub = tmp_path / "deep" / "er"
    sub.mkdir(parents=True)
    for out in ("..", "../..", "/", "~"):
        r = exitvoice("run", scenario_file, "--out", out, "--force", cwd=sub)
        assert r.returncode == 2, (out, r.stderr)
        assert "refusing" in r.stderr
    assert scenario_file.is_file() and sub.is_dir()


def test_force_replaces_only_a_folder_exitvoice_wrote(scenario_file, tmp_path):
    user = tmp_path / "thesis"
    user.mkdir()
    (user / "chapter1.tex").write_text("years of work")
    r = exitvoice("run", scenario_file, "--out", user, "--force", "--no-plots")
    assert r.returncode == 2 and "not written by exitvoice" in r.stderr
    assert (user / "chapter1.tex").read_text() == "years of work"

    ours = tmp_path / "r1"
    assert exitvoice("run", scenario_file, "--out", ours, "--no-plots").returncode == 0
    assert (ours / MARKER).is_file()
    r = exitvoice("run", scenario_file, "--out", ours, "--force", "--no-plots")
    assert r.returncode == 0, r.stderr
    assert (ours / "summary.json").is_file()


@pytest.mark.parametrize("name", ["../../../../victim", "/tmp/victim", "Results", "a/b", ".hidden", "", "x y"])
def test_a_scenario_name_is_a_slug(tmp_path, name):
    f = tmp_path / "s.toml"
    f.write_text(f'[scenario]\nname = "{name}"\nstart = 2022-09-14\nend = 2022-09-15\n')
    r = exitvoice("check", f)
    assert r.returncode == 2 and "scenario.name" in r.stderr and "Traceback" not in r.stderr
    r = exitvoice("run", f, "--force", cwd=tmp_path)
    assert r.returncode == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_output_problems_are_found_before_the_run(scenario_file, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import exitvoice.api
    from exitvoice.cli import app

    def never(*a, **k):
        raise AssertionError("the simulation ran before the output folder was checked")

    monkeypatch.setattr(exitvoice.api, "run", never)
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    for out, force in ((a_file / "under", False), (a_file, True), (a_file, False)):
        res = CliRunner().invoke(app, ["run", str(scenario_file), "--out", str(out), *(["--force"] * force)])
        assert isinstance(res.exception, ExitvoiceError), res.exception
    assert a_file.read_text() == "x"


def test_a_read_only_parent_is_refused(tmp_path, monkeypatch):
    import tempfile

    ro = tmp_path / "ro"
    ro.mkdir()
    real = tempfile.mkdtemp

    def mkdtemp(*a, dir=None, **k):  # what a read-only folder does, whoever we are (root ignores mode bits)
        if dir is not None and os.fspath(dir) == os.fspath(ro.resolve()):
            raise PermissionError(13, "read-only", os.fspath(dir))
        return real(*a, dir=dir, **k)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    with pytest.raises(ExitvoiceError, match="not writable"):
        check_output(ro / "out")
    with pytest.raises(ExitvoiceError, match="not writable"):
        check_output("/proc/exitvoice-test")  # permission bits say yes; the filesystem says no


def test_force_never_deletes_files_exitvoice_did_not_write(scenario_file, tmp_path):
    fake = tmp_path / "fake"  # a summary.json of someone else's, beside their work
    fake.mkdir()
    (fake / "summary.json").write_text("{}")
    (fake / "thesis.txt").write_text("years of work")
    r = exitvoice("run", scenario_file, "--out", fake, "--force", "--no-plots")
    assert r.returncode == 2 and "did not write" in r.stderr and (fake / "thesis.txt").is_file()
    ours = tmp_path / "ours"
    assert exitvoice("run", scenario_file, "--out", ours, "--no-plots").returncode == 0
    (ours / "mynotes.txt").write_text("notes")  # a user's file added to an exitvoice folder
    r = exitvoice("run", scenario_file, "--out", ours, "--force", "--no-plots")
    assert r.returncode == 2 and "mynotes.txt" in r.stderr and (ours / "mynotes.txt").is_file()
    members = tmp_path / ".ens.members"  # where an ensemble keeps its finished members
    members.mkdir()
    (members / "mine.txt").write_text("x")
    r = exitvoice("run", scenario_file, "--out", tmp_path / "ens", "--ensemble", "2", "--no-plots")
    assert r.returncode == 2 and "Traceback" not in r.stderr and (members / "mine.txt").is_file()


def test_an_out_path_through_a_symlink_loses_nothing(scenario_file, tmp_path):
    res = tmp_path / "res1"
    assert exitvoice("run", scenario_file, "--out", res, "--no-plots").returncode == 0
    (tmp_path / "real").mkdir()
    (tmp_path / "lr").symlink_to(tmp_path / "real" / ".." / "res1")
    r = exitvoice("run", scenario_file, "--out", "lr/../res1", "--force", "--no-plots", cwd=tmp_path)
    assert "Traceback" not in r.stderr
    assert (res / "summary.json").is_file() or r.returncode == 2


def test_an_interrupted_write_leaves_nothing_and_stale_folders_are_cleaned(tmp_path):
    out = tmp_path / "r"
    with pytest.raises(KeyboardInterrupt):
        with atomic_folder(out) as tmp:
            (tmp / "half.parquet").write_text("half")
            raise KeyboardInterrupt
    assert not out.exists() and not list(tmp_path.glob(".r.*"))
    stale = tmp_path / ".r.killed"  # what a SIGKILL during the final write would leave
    stale.mkdir()
    (stale / MARKER).write_text("")
    (stale / PARTIAL).write_text("")
    foreign = tmp_path / ".r.users"
    foreign.mkdir()
    finished = tmp_path / ".r.v1"  # a finished result the user named like a temporary folder
    with atomic_folder(finished) as tmp:
        (tmp / "summary.json").write_text("{}")
    with atomic_folder(out) as tmp:
        (tmp / "summary.json").write_text("{}")
    assert (out / "summary.json").is_file() and not stale.exists() and foreign.is_dir()
    assert (finished / "summary.json").is_file()  # never taken for a leftover
    assert not (out / PARTIAL).exists() and not (finished / PARTIAL).exists()


def test_force_replaces_a_run_folder_holding_what_exitvoice_wrote_into_it_later(tmp_path):
    # make demo twice: `run --force` then `validate FOLDER` writes FOLDER/validation; the next `run --force` replaces it
    out = tmp_path / "r"
    with atomic_folder(out) as tmp:
        (tmp / "summary.json").write_text("{}")
    with atomic_folder(out / "validation") as tmp:
        (tmp / "scorecard.json").write_text("{}")
    check_output(out, force=True, field="--out")
    (out / "notes.txt").write_text("mine")  # but a user's file still protects it
    with pytest.raises(ExitvoiceError):
        check_output(out, force=True, field="--out")


def test_a_file_exitvoice_writes_into_its_folder_later_is_its_own(tmp_path):
    from exitvoice.outputs import record_written

    out = tmp_path / "abc"
    with atomic_folder(out) as tmp:
        (tmp / "posterior.json").write_text("{}")
    (out / "posterior.png").write_text("png")  # `exitvoice posterior FOLDER` draws it afterwards
    record_written(out, "posterior.png")
    record_written(out, "posterior.png")  # listed once
    check_output(out, force=True, field="--out")
    assert (out / MARKER).read_text().count("- posterior.png") == 1


@pytest.mark.parametrize("force", [(), ("--force",)])
def test_a_symlinked_out_is_said_to_be_a_link_and_nothing_is_written_through_it(scenario_file, tmp_path, force):
    elsewhere = tmp_path / "elsewhere"
    assert exitvoice("run", scenario_file, "--out", elsewhere, "--no-plots").returncode == 0  # an exitvoice folder
    before = sorted(p.name for p in elsewhere.iterdir())
    link = tmp_path / "link"
    link.symlink_to(elsewhere)
    r = exitvoice("run", scenario_file, "--out", link, "--no-plots", *force)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    msg = " ".join(r.stderr.split())
    assert "symbolic link" in msg and "a file" not in msg, msg
    assert link.is_symlink() and sorted(p.name for p in elsewhere.iterdir()) == before
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    r = exitvoice("run", scenario_file, "--out", tmp_path / "dangling", "--no-plots", *force)
    assert r.returncode == 2 and "symbolic link" in r.stderr and not (tmp_path / "nowhere").exists()
    report = tmp_path / "report.html"
    report.symlink_to(tmp_path / "target.html")
    r = exitvoice("report", elsewhere, "--out", report, *force)
    assert r.returncode == 2 and "symbolic link" in " ".join(r.stderr.split())
    assert not (tmp_path / "target.html").exists()


def test_a_fifo_as_out_is_said_to_be_a_fifo(scenario_file, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    r = exitvoice("run", scenario_file, "--out", fifo, "--force", "--no-plots")
    assert r.returncode == 2 and "FIFO" in r.stderr and "Traceback" not in r.stderr
    r = exitvoice("report", tmp_path, "--out", fifo, "--force")  # never opened: reading a FIFO waits for a writer
    assert r.returncode == 2 and "FIFO" in r.stderr and "Traceback" not in r.stderr


def test_a_resumed_calibration_checks_its_folder_before_any_trial(tmp_path):
    """The same command again resumes a study and replaces its folder: a file of the user's there is found first."""
    scen = write_scenario(tmp_path / "c.toml", "cal", "2022-09-30")
    out = tmp_path / "cal-out"
    first = ["calibrate", scen, "--params", "exit.beta_risk", "--min-sets", "1", "--out", out]
    r = exitvoice(*first, "--trials", "1")
    assert r.returncode == 0, r.stderr
    (out / "notes.txt").write_text("mine")
    stamp = (out / "calibration.json").stat().st_mtime_ns
    r = exitvoice(*first, "--trials", "2")
    msg = " ".join(r.stderr.split())
    assert r.returncode == 2 and "Traceback" not in r.stderr and "notes.txt" in msg and "resuming" in msg, msg
    assert "force=True" not in msg and (out / "notes.txt").is_file()
    assert (out / "calibration.json").stat().st_mtime_ns == stamp
    import optuna

    study = optuna.load_study(study_name="cal", storage=f"sqlite:///{tmp_path / 'cal-out.db'}")
    assert len(study.trials) == 1  # no trial was run


def test_an_output_folder_that_is_or_holds_an_input_is_refused(scenario_file, tmp_path):
    """validate RUN --out RUN --force replaced the run by its scorecard; compare and run --posterior alike."""
    run1 = tmp_path / "run1"
    assert exitvoice("run", scenario_file, "--out", run1, "--no-plots").returncode == 0
    before = sorted(p.name for p in run1.iterdir())
    post = run1 / "post.csv"  # a posterior kept in an exitvoice folder (listed by its marker, as a later output is)
    post.write_text("exit.beta_risk\n100\n")
    (run1 / MARKER).write_text((run1 / MARKER).read_text() + "- post.csv\n")
    for args in (("validate", run1, "--out", run1), ("compare", run1, scenario_file, "--out", run1),
                 ("run", scenario_file, "--ensemble", "2", "--posterior", post, "--out", run1),
                 ("run", run1 / "scenario.toml", "--out", run1), ("validate", run1, "--out", tmp_path)):
        r = exitvoice(*args, "--force")
        msg = " ".join(r.stderr.split())
        assert r.returncode == 2 and "Traceback" not in r.stderr and "an input of this command" in msg, (args, msg)
    assert sorted(p.name for p in run1.iterdir()) == sorted([*before, "post.csv"])
    assert exitvoice("validate", run1).returncode == 0 and (run1 / "validation" / "scorecard.csv").is_file()
