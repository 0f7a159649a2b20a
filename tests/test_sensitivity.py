"""Sensitivity: SALib designs run, indices come out, and they rank a parameter that matters above one that does not."""

import subprocess
import sys

import numpy as np
import pytest

from conftest import MOBILISATION, small_scenario, write_scenario
from exitvoice.errors import ExitvoiceError
from exitvoice.sensitivity import analyse, problem


@pytest.fixture(scope="module")
def sc():
    return small_scenario([dict(MOBILISATION, target=100000)], end="2022-10-05", scale=0.05)


def test_sobol_ranks_the_parameter_that_drives_the_output(sc):
    idx, design = analyse(sc, ["callup.summons_per_recruit", "trips.trip_days"], ["summons_served"],
                          method="sobol", samples=8, seed=1)
    assert len(design) == 8 * (2 + 2)
    st = idx.set_index("parameter").ST
    assert st["callup.summons_per_recruit"] > 0.5 > st["trips.trip_days"]
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(idx.columns)


def test_morris_gives_finite_indices_for_every_output(sc):
    idx, design = analyse(sc, ["exit.lambda_base", "callup.report_days"], ["left_total", "mobilised_cum"],
                          method="morris", samples=3, seed=2)
    assert len(design) == 3 * 3 and len(idx) == 4
    assert np.isfinite(idx.mu_star).all()


def test_loguniform_parameters_vary_on_a_log_scale(sc):
    prob, logs = problem(sc, ["exit.lambda_base", "callup.report_days"])
    assert logs == [True, False]
    assert prob["bounds"][0] == pytest.approx([np.log10(5e-6), np.log10(3e-5)])  # the declared range


@pytest.mark.parametrize("kw,msg", [
    ({"params": ["exit.lambda_base"]}, "at least two"),
    ({"params": ["exit.lambda_base", "risk.horizon_days"]}, "fixed"),
    ({"outputs": ["happiness"]}, "unknown outputs"),
    ({"method": "fast"}, "unknown method"),
])
def test_bad_input(sc, kw, msg):
    args = {"params": ["exit.lambda_base", "exit.beta_risk"], "outputs": ["left_total"], "method": "morris"}
    args.update(kw)
    with pytest.raises(ExitvoiceError, match=msg):
        analyse(sc, args["params"], args["outputs"], method=args["method"], samples=2)


def test_cli_sensitivity(tmp_path):
    scen = tmp_path / "s.toml"
    write_scenario(scen, "s", "2022-09-30")
    out = tmp_path / "sens"
    r = subprocess.run([sys.executable, "-m", "exitvoice", "sensitivity", scen, "--method", "morris",
                        "--samples", "2", "--params", "exit.lambda_base,exit.beta_risk", "--out", out],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for f in ("sensitivity.csv", "sensitivity.json", "samples.parquet", "sensitivity.png"):
        assert (out / f).is_file()
    r = subprocess.run([sys.executable, "-m", "exitvoice", "sensitivity", scen, "--params", "exit.lambda_base",
                        "--out", tmp_path / "x"], capture_output=True, text=True)
    assert r.returncode == 2 and "at least two" in r.stderr
