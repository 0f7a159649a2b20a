"""The Python API: run a scenario."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from .engine.cells import CellEngine
from .errors import ExitvoiceError
from .limits import MAX_SEED
from .params import ParameterSet
from .results import Results
from .scenario import Scenario


def run(scenario: Scenario, seed: int | None = None, *, params: ParameterSet | None = None,
        check: bool = True, progress: Callable[[int, int], None] | None = None, member: int | None = None,
        until: dt.date | None = None) -> Results:
    """Run a scenario on the count engine and return its Results.

    Args:
        scenario: a validated scenario (`Scenario.from_toml(path)`).
        seed: the run's seed (default: the scenario's `seed`, else 0). Same scenario, seed and version give
            identical results.
        params: parameter values to use instead of the pack's defaults with the scenario's overrides (by default
            `scenario.parameter_set()`, which honours `allow_outside_range`).
        check: verify conservation every day.
        progress: called with (days done, days in all) after each day.
        member: run ensemble member `member` of `seed` on its own (see `exitvoice.ensemble`).
        until: simulate only up to this date; later days are left empty (calibration scores no later date).

    """
    if seed is None:
        seed = scenario.scenario.seed if scenario.scenario.seed is not None else 0
    if seed < 0 or seed > MAX_SEED:
        raise ExitvoiceError("a seed is a whole number from 0", field="seed", given=seed, allowed=f"0 to {MAX_SEED}")
    params = params if params is not None else scenario.parameter_set()
    return CellEngine(scenario, seed=seed, params=params, check=check, member=member).run(progress=progress,
                                                                                         until=until)
