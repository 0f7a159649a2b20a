"""The limits module and the strict field types, in process."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from exitvoice import limits
from exitvoice.errors import ExitvoiceError, ParameterError
from exitvoice.fields import _iso_date, is_finite_number
from exitvoice.pack import load_pack
from exitvoice.params import ParameterSet


def test_memory_estimate_grows_with_days_and_members():
    one = limits.estimate_memory(100)
    assert limits.estimate_memory(200) > one
    assert limits.estimate_memory(100, members=50, jobs=2) > 2 * one


def test_memory_check_refuses_what_the_machine_cannot_hold(monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: 4 << 30)
    limits.check_memory(365)  # a year of one run fits in 4 GiB
    with pytest.raises(ExitvoiceError, match="memory") as exc:
        limits.check_memory(3650, members=1000, field="--ensemble")
    assert exc.value.field == "--ensemble"


def test_memory_counts_the_workers_that_start_not_the_jobs_asked(monkeypatch):
    """`--ensemble 2 --jobs 1000` starts 2 workers: it was refused for the memory of 1000 runs."""
    assert limits.estimate_memory(100, members=2, jobs=1000) == limits.estimate_memory(100, members=2, jobs=2)
    monkeypatch.setattr(limits, "available_memory", lambda: 4 << 30)
    limits.check_memory(100, members=2, jobs=1000)
    with pytest.raises(ExitvoiceError, match="64 runs of 100 days at once") as exc:  # a calibration's processes
        limits.check_memory(100, runs_at_once=64, field="--jobs")
    assert exc.value.field == "--jobs"


@pytest.mark.parametrize("value,ok", [
    (3, True), (0.25, True), (np.int64(9), True), (np.float32(1.5), True),
    (True, False), (np.bool_(True), False), ("3", False), (math.nan, False), (math.inf, False), (None, False),
])
def test_finite_numbers(value, ok):
    assert is_finite_number(value) is ok


def test_iso_dates_only():
    assert _iso_date("2022-09-21") == dt.date(2022, 9, 21)
    assert _iso_date("2022-9-21") == "2022-9-21"  # left for the strict check, which refuses it
    assert _iso_date("2022-09-21T00:00") == "2022-09-21T00:00"


def test_outer_bounds_of_allow_outside_range():
    decl = load_pack("russia").declarations
    p = decl["exit.beta_risk"]
    lo, hi = p.outer_bounds()
    assert hi == p.high + limits.OUTSIDE_RANGE_WIDTHS * (p.high - p.low)
    ParameterSet(decl, {"exit.beta_risk": hi}, allow_outside_range=True)
    with pytest.raises(ParameterError, match="too far outside"):
        ParameterSet(decl, {"exit.beta_risk": hi * 1.01}, allow_outside_range=True)
    with pytest.raises(ParameterError, match="declared range"):
        ParameterSet(decl, {"exit.beta_risk": p.high * 1.01})


def test_positive_parameters_stay_above_zero():
    decl = load_pack("russia").declarations
    assert decl["risk.half_life_days"].positive and not decl["exit.beta_risk"].positive
    with pytest.raises(ParameterError, match="above 0"):
        ParameterSet(decl, {"risk.half_life_days": 0}, allow_outside_range=True)
    ParameterSet(decl, {"exit.beta_risk": 0}, allow_outside_range=True)  # no response to risk: a counterfactual


def test_json_outputs_hold_no_nan_or_infinity():
    import json

    from exitvoice.outputs import json_text

    text = json_text({"a": math.nan, "b": [math.inf, 1.5], "c": np.float64(-math.inf), "d": np.int64(3)})
    assert json.loads(text) == {"a": None, "b": [None, 1.5], "c": None, "d": 3}
    assert "NaN" not in text and "Infinity" not in text


def test_capacity_factors_multiply_within_the_limit_on_every_day():
    from conftest import small_scenario
    from exitvoice.errors import ScenarioError

    def change(start, factor, end=None):
        return {"type": "capacity_change", "start": start, "end": end, "route": "land:upper_lars", "factor": factor}

    # 0.001 holds the product down until it ends; the day after, 1000 x 1000 would be in force
    with pytest.raises(ScenarioError, match="multiply to too much") as exc:
        small_scenario([change("2022-09-15", 0.001, "2022-09-20"), change("2022-09-15", 1000),
                        change("2022-09-16", 1000)])
    assert "2022-09-21" in str(exc.value)
    small_scenario([change("2022-09-15", 1000, "2022-09-20"), change("2022-09-21", 1000)])  # never together
    small_scenario([change("2022-09-15", limits.MAX_CAPACITY_FACTOR)])


def test_positive_parameters_stay_clear_of_zero():
    decl = load_pack("russia").declarations
    p = decl["callup.report_days"]
    ParameterSet(decl, {p.name: limits.POSITIVE_FLOOR_SHARE * p.low}, allow_outside_range=True)
    with pytest.raises(ParameterError, match="too close to 0"):
        ParameterSet(decl, {p.name: 5e-324}, allow_outside_range=True)
