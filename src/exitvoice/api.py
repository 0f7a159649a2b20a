"""The Python API: run a scenario."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from .engine.cells import CellEngine
from .errors import ExitvoiceError
from .limits import MAX_SEED
from .params import ParameterSet
from .progress import resolve
from .results import Results
from .scenario import Scenario


def load_scenario(scenario: Scenario | str | Path) -> Scenario:
    """A Scenario as given, or read and validated from a TOML path."""
    return scenario if isinstance(scenario, Scenario) else Scenario.from_toml(scenario)


def run(scenario: Scenario | str | Path, seed: int | None = None, *, params: ParameterSet | None = None,
        check: bool = True, progress: Callable[[int, int], None] | bool | Literal["auto"] | None = "auto",
        member: int | None = None, until: dt.date | None = None) -> Results:
    """Run a scenario on the count engine and return its Results.

    Args:
        scenario: a scenario file's path, or a validated scenario (`Scenario.from_toml(path)`).
        seed: the run's seed (default: the scenario's `seed`, else 0). Same scenario, seed and version give
            identical results.
        params: parameter values to use instead of the pack's defaults with the scenario's overrides (by default
            `scenario.parameter_set()`, which honours `allow_outside_range`).
        check: verify conservation every day.
        progress: called with (days done, days in all) after each day; True prints a progress line on standard
            error, "auto" (default) does so when standard error is a terminal, None or False is silent.
        member: run ensemble member `member` of `seed` on its own (see `exitvoice.ensemble`).
        until: simulate only up to this date; later days are left empty (calibration scores no later date).

    """
    sc = load_scenario(scenario)
    if seed is None:
        seed = sc.scenario.seed if sc.scenario.seed is not None else 0
    if seed < 0 or seed > MAX_SEED:
        raise ExitvoiceError("a seed is a whole number from 0", field="seed", given=seed, allowed=f"0 to {MAX_SEED}")
    params = params if params is not None else sc.parameter_set()
    tick = resolve(progress, f"running {sc.name}", "days")
    res = CellEngine(sc, seed=seed, params=params, check=check, member=member).run(progress=tick, until=until)
    if not isinstance(scenario, Scenario):
        res.scenario_toml = Path(scenario).read_text()
    return res
