"""The README's Python example works when saved as a script: without a `__main__` guard, with worker processes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_scenario

README = Path(__file__).parents[1] / "README.md"


def readme_snippet() -> str:
    """The README's Python block (the one that calls `compare`)."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    return next(b for b in blocks if "compare(" in b)


def test_readme_snippet_runs_as_a_script_without_a_main_guard(tmp_path):
    code = readme_snippet()
    assert "__main__" not in code  # the point: a plain script, as a user would save it
    a = write_scenario(tmp_path / "a.toml", "small-a", "2022-09-30")
    b = write_scenario(tmp_path / "b.toml", "small-b", "2022-09-30", mobilisation=False)
    code = (code.replace("scenarios/russia-2022.toml", str(a))
            .replace("scenarios/wave2-1m-open.toml", str(a)).replace("scenarios/wave2-1m-closed.toml", str(b))
            .replace("ensemble=10", "ensemble=2").replace("results/", f"{tmp_path}/results/"))
    code = code.replace("res.timeseries          # pandas DataFrame (long)", "print(repr(res))")
    assert "jobs=2" in code  # members run in worker processes
    script = tmp_path / "user_script.py"
    script.write_text(code + "\nprint('SCRIPT DONE')\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "BrokenProcessPool" not in proc.stderr
    assert proc.stdout.count("SCRIPT DONE") == 1  # the workers did not re-run the script
    assert "# Findings" in proc.stdout
    assert (tmp_path / "results" / "wave2" / "findings.md").is_file()
    assert (tmp_path / "results" / "r1" / "summary.json").is_file()


def test_a_user_error_in_a_worker_reaches_the_caller_as_itself(tmp_path):
    from exitvoice.ensemble import read_posterior
    from exitvoice.errors import ExitvoiceError
    from exitvoice.workers import run_tasks

    missing = str(tmp_path / "nope.csv")
    with pytest.raises(ExitvoiceError, match="no such posterior file"):
        list(run_tasks(read_posterior, [(0, (missing, None)), (1, (missing, None))], 2))


@pytest.mark.parametrize("jobs", [1, 2])
def test_ensemble_progress_moves_day_by_day_not_member_by_member(tmp_path, jobs):
    from exitvoice.ensemble import run_ensemble
    from exitvoice.scenario import Scenario

    sc = Scenario.from_toml(write_scenario(tmp_path / "a.toml", "prog", "2022-09-30", mobilisation=False))
    seen = []
    run_ensemble(sc, 2, jobs=jobs, progress=lambda done, n: seen.append(done))
    assert seen[-1] == 2
    assert any(0 < x < 1 for x in seen)  # progress before the first member is done
    assert seen == sorted(seen)


def test_calibrate_with_workers_runs_from_a_script_without_a_main_guard(tmp_path):
    """`calibrate(..., jobs=2)` starts its extra workers as fresh interpreters: the script runs once, not per worker."""
    a = write_scenario(tmp_path / "a.toml", "cal-script", "2022-09-24")
    script = tmp_path / "calibrate_script.py"
    script.write_text(
        "from exitvoice import Scenario\n"
        "from exitvoice.calibrate import Settings, calibrate\n"
        "from exitvoice.observations import pack_observations, read_observations\n"
        f"sc = Scenario.from_toml({str(a)!r})\n"
        "obs = read_observations(pack_observations())\n"
        "st = calibrate(sc, obs, Settings(params=['exit.beta_risk'], trials=4, seed=1),\n"
        f"               storage='journal:{tmp_path / 'study.log'}', study='s', jobs=2)\n"
        "print('COMPLETED', sum(t.state.name == 'COMPLETE' for t in st.trials))\n"
        "print('SCRIPT DONE')\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("SCRIPT DONE") == 1  # the worker did not re-run the script
    assert "COMPLETED 4" in proc.stdout  # both processes worked on the one study


def test_an_error_in_a_background_worker_reaches_the_caller_as_itself(tmp_path):
    from exitvoice.ensemble import read_posterior
    from exitvoice.errors import ExitvoiceError
    from exitvoice.workers import BackgroundTask

    task = BackgroundTask(read_posterior, (str(tmp_path / "nope.csv"), None))
    with pytest.raises(ExitvoiceError, match="no such posterior file"):
        task.result()
