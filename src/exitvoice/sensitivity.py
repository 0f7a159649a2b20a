"""Sensitivity analysis (docs/model.md §14) with SALib: Morris screening and Sobol indices.

The user names the parameters (searched over their declared ranges; `loguniform` ones on a log10 scale) and
scalar outputs of the run summary. Samples come from SALib (`morris.sample`: N·(D+1) runs; Saltelli/Sobol
`sobol.sample` without second order: N·(D+2) runs); every run uses the same random stream (common random
numbers), so outputs differ only by the parameters. Results: per output and parameter, Morris μ*, its
confidence and σ, or Sobol first-order S1 and total-order ST with confidence intervals.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .errors import ExitvoiceError
from .outputs import atomic_folder, json_text
from .scenario import Scenario
from .units import is_person_total

# scalar outputs: name → key of summary["totals"]
OUTPUTS = {
    "left_total": "left", "abroad_at_end": "abroad_at_end", "returned": "returned", "mobilised_cum": "mobilised",
    "quota_fill": "quota_fill", "summons_served": "summons_served", "peak_queue_wait_hours": "peak_queue_wait_hours",
    "passports_issued": "passports_issued", "hiding_at_end": "hiding_at_end", "stopped_at_border": "stopped_at_border",
    "output_loss_pct_end": "output_loss_pct_end", "output_loss_cumulative": "output_loss_cumulative",
    "workers_lost_end": "workers_lost_end", "protesters_peak": "protesters_peak", "detained": "detained",
}
METHODS = ("morris", "sobol")
NEED_A_CALLUP = {"quota_fill"}
"""Outputs that have no value in a scenario without a mobilisation policy (no quota to fill)."""


def problem(scenario: Scenario, params: list[str]) -> tuple[dict, list[bool]]:
    """The SALib problem over declared ranges; returns it and which parameters are on a log10 scale."""
    from .pack import load_pack

    decl = load_pack(scenario.scenario.country).declarations
    if len(params) < 2:
        raise ExitvoiceError("name at least two parameters", field="--params", given=params)
    twice = sorted({p for p in params if params.count(p) > 1})
    if twice:
        raise ExitvoiceError("a parameter is named twice", field="--params", given=twice)
    bounds, logs = [], []
    for p in params:
        if p not in decl:
            raise ExitvoiceError("unknown parameter", field="--params", given=p,
                                 allowed="declared parameters (`exitvoice params`)")
        d = decl[p]
        if d.prior == "fixed" or d.low == d.high:
            raise ExitvoiceError("a fixed parameter has no range to vary", field="--params", given=p)
        log = d.prior == "loguniform"
        logs.append(log)
        bounds.append([np.log10(d.low), np.log10(d.high)] if log else [d.low, d.high])
    return {"num_vars": len(params), "names": list(params), "bounds": bounds}, logs


def check_options(scenario: Scenario, params: list[str], outputs: list[str], *, method: str, samples: int
                  ) -> tuple[dict, list[bool]]:
    """Refuse a bad method, output, sample size or parameter (before anything is printed or run); the problem."""
    if method not in METHODS:
        raise ExitvoiceError("unknown method", field="--method", given=method, allowed=list(METHODS))
    bad = [o for o in outputs if o not in OUTPUTS]
    if not outputs:
        raise ExitvoiceError("names no output", field="--outputs", given=",".join(outputs),
                             allowed=f"comma-separated outputs among {', '.join(sorted(OUTPUTS))}")
    if bad:
        raise ExitvoiceError("unknown outputs", field="--outputs", given=bad, allowed=sorted(OUTPUTS))
    twice = sorted({o for o in outputs if outputs.count(o) > 1})
    if twice:
        raise ExitvoiceError("an output is named twice", field="--outputs", given=twice,
                             allowed="each output once")
    if samples < 2:
        raise ExitvoiceError("too few samples", field="--samples", given=samples, allowed="at least 2")
    if set(outputs) <= NEED_A_CALLUP and not any(p.type == "mobilisation" for p in scenario.policy):
        raise ExitvoiceError("the scenario has no call-up, so none of these outputs has a value", field="--outputs",
                             given=outputs, allowed=f"outputs other than {', '.join(sorted(NEED_A_CALLUP))}, or a "
                                                    "scenario with a mobilisation policy")
    return problem(scenario, params)


def runs(method: str, samples: int, n_params: int) -> int:
    """Full runs of a design: N(D+2) for Sobol (no second order), N(D+1) for Morris."""
    return samples * (n_params + (2 if method == "sobol" else 1))


WHOLE_RUN_SECONDS_PER_DAY = 0.16
"""A simulated day of the whole population on one core (README, Performance): the unit of the cost estimate."""

RUN_SETUP_SECONDS = 1.0
"""A run's own start (its population, its first day's tables), measured on small regional runs: the floor of a run."""

# docs/performance.md, "How the cost grows" (benchmarks/scaling.json): seconds a day ≈ 0.0099 + 0.0283 × (share of
# the pack's cells, i.e. of its regions) + 4.19e-7 × non-empty entries; the entries of the whole population are
# 198,400, and at a sample `scale` a share ENTRY_SHARE of them (interpolated on log10(scale)).
_COST = (0.0099, 0.0283, 4.19e-7)
_WHOLE_ENTRIES = 198_400
_ENTRY_SHARE = ((0.001, 0.0917), (0.01, 0.1668), (0.1, 0.4042), (0.3, 0.6351), (1.0, 1.0))


def run_seconds(scenario: Scenario) -> float:
    """A rough estimate of the seconds one run of the scenario takes on one core, for its scale and regions.

    The cost of a day does not fall in proportion to the people simulated: it follows the non-empty entries of
    the count state, above a floor of passes over every cell (a 1% sample costs about 40% of the whole run,
    docs/performance.md). Whole-population days cost `WHOLE_RUN_SECONDS_PER_DAY`; a sample or a few regions cost
    the share the scaling curve gives, plus `RUN_SETUP_SECONDS` a run.
    """
    from .pack import load_pack

    scale = float(scenario.population.scale)
    n_regions = len(load_pack(scenario.scenario.country).regions)
    chosen = scenario.population.regions
    cells = min(1.0, len(chosen) / n_regions) if chosen else 1.0
    x = np.log10([p for p, _ in _ENTRY_SHARE])
    entries = _WHOLE_ENTRIES * cells * float(np.interp(np.log10(max(scale, 1e-9)), x, [e for _, e in _ENTRY_SHARE]))
    c0, c1, c2 = _COST
    share = (c0 + c1 * cells + c2 * entries) / (c0 + c1 + c2 * _WHOLE_ENTRIES)
    return RUN_SETUP_SECONDS + len(scenario.days) * WHOLE_RUN_SECONDS_PER_DAY * share


def notices(method: str, samples: int) -> list[str]:
    """Plain one-line notices about a design, said before it runs (in place of SALib's warnings)."""
    if method == "sobol" and samples & (samples - 1):
        low = 1 << (samples.bit_length() - 1)
        return [f"N={samples} is not a power of 2: the Sobol' sequence is balanced only for powers of 2 "
                f"(--samples {low} or {low * 2}); running N={samples} as asked"]
    return []


class Sensitivity(NamedTuple):
    """What `analyse` returns: `indices, samples = analyse(...)` unpacks it as a pair.

    `indices`: per output and parameter, Morris μ*, its confidence and σ, or Sobol S1 and ST with confidence
    intervals; `samples`: one row per run of the design, the parameter values and the outputs.
    """

    indices: pd.DataFrame
    samples: pd.DataFrame

    @property
    def method(self) -> str:
        """`morris` or `sobol`, from the indices."""
        return "morris" if "mu_star" in self.indices else "sobol"

    def __repr__(self) -> str:
        """A few lines: method, outputs and parameters, runs and samples, and the parameter that matters most."""
        params = list(dict.fromkeys(self.indices.parameter)) if len(self.indices) else []
        outputs = list(dict.fromkeys(self.indices.output)) if len(self.indices) else []
        runs, d = len(self.samples), len(params)
        per = d + (1 if self.method == "morris" else 2)
        n = f"N={runs // per} samples × (D+{per - d}) = {runs} runs" if d and runs % per == 0 else f"{runs} runs"
        key = "mu_star" if self.method == "morris" else "ST"
        lines = [f"<Sensitivity ({self.method}) of {len(outputs)} output(s) to {d} parameters: {n}"]
        for o in outputs[:6]:
            part = self.indices[self.indices.output == o].sort_values(key, ascending=False)
            top = ", ".join(f"{r.parameter} {getattr(r, key):.3g}" for r in part.head(3).itertuples())
            lines.append(f"  {o}: {key} {top}" + (" …" if len(part) > 3 else ""))
        if len(outputs) > 6:
            lines.append(f"  … and {len(outputs) - 6} more outputs")
        lines.append(f"  .indices ({len(self.indices)} rows), .samples ({runs} runs × {self.samples.shape[1]} "
                     "columns)>")
        return "\n".join(lines)


def analyse(scenario: Scenario, params: list[str], outputs: list[str], *, method: str = "sobol", samples: int = 64,
            seed: int = 0, jobs: int = 1, scheduler: str | None = None,
            progress: Callable[[int, int], None] | None = None, checkpoint: str | Path | None = None,
            notify: Callable[[str, int, int, Path], None] | None = None) -> Sensitivity:
    """Run the design and the analysis; returns (indices, samples with outputs) as a `Sensitivity`.

    With `checkpoint` (a folder), the finished runs of the design are saved there as they finish, and the same
    analysis again (same scenario, parameters, method, samples and seed) loads them and runs only the others;
    `notify` is told as `run_ensemble` tells it. The caller removes the folder once the results are written.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    from .ensemble import run_ensemble
    from .pack import load_pack

    prob, logs = check_options(scenario, params, outputs, method=method, samples=samples)
    if method == "morris":
        X = morris_sample.sample(prob, samples, num_levels=4, seed=seed)
    else:
        with warnings.catch_warnings():  # said once, in plain words, by `notices` (the command line prints it)
            warnings.filterwarnings("ignore", message=".*power of 2.*", category=UserWarning)
            X = sobol_sample.sample(prob, samples, calc_second_order=False, seed=seed)
    values = np.where(logs, 10.0 ** X, X)
    # 10 ** log10(low) may land a rounding error below low: keep the design inside the declared ranges
    decl = load_pack(scenario.scenario.country).declarations
    values = np.clip(values, [decl[p].low for p in params], [decl[p].high for p in params])
    design = pd.DataFrame(values, columns=params).assign(set_id=np.arange(len(X)))
    ens = run_ensemble(scenario, len(X), seed=seed, jobs=jobs, posterior=design, scheduler=scheduler,
                       progress=progress, common_random_numbers=True, checkpoint=checkpoint, notify=notify)
    Y = pd.DataFrame({o: [s["totals"][OUTPUTS[o]] for s in ens.summaries] for o in outputs}, dtype=float)
    rows = []
    kinds = output_kinds(Y, outputs)
    for o in outputs:
        y = Y[o].fillna(0.0).to_numpy()
        if kinds[o] == "undefined":
            continue  # e.g. quota_fill without a call-up: no index to compute (`output_notices` says so)
        if kinds[o] == "constant":  # no parameter moves it: every index is 0 (SALib would divide by a zero spread)
            cols = ("mu_star", "mu_star_conf", "sigma") if method == "morris" else ("S1", "S1_conf", "ST", "ST_conf")
            rows += [{"output": o, "parameter": p, **dict.fromkeys(cols, 0.0)} for p in params]
            continue
        if method == "morris":
            r = morris_analyze.analyze(prob, X, y, num_levels=4, seed=seed)
            for i, p in enumerate(params):
                rows.append({"output": o, "parameter": p, "mu_star": r["mu_star"][i],
                             "mu_star_conf": r["mu_star_conf"][i], "sigma": r["sigma"][i]})
        else:
            r = sobol_analyze.analyze(prob, y, calc_second_order=False, seed=seed)
            for i, p in enumerate(params):
                rows.append({"output": o, "parameter": p, "S1": r["S1"][i], "S1_conf": r["S1_conf"][i],
                             "ST": r["ST"][i], "ST_conf": r["ST_conf"][i]})
    if not rows:
        raise ExitvoiceError("none of the outputs is defined in this scenario", field="--outputs", given=outputs,
                             allowed="outputs the scenario has (quota_fill needs a call-up)")
    return Sensitivity(pd.DataFrame(rows), pd.concat([design.drop(columns="set_id"), Y], axis=1))


def output_kinds(Y: pd.DataFrame, outputs: list[str]) -> dict[str, str]:
    """Each output over the design: "undefined" (no run has it), "constant" (the same in every run), or "varies"."""
    out = {}
    for o in outputs:
        y = Y[o]
        out[o] = "undefined" if y.isna().all() else "constant" if y.fillna(0.0).nunique() <= 1 else "varies"
    return out


def output_notices(design: pd.DataFrame, outputs: list[str]) -> list[str]:
    """Plain one-line notices about outputs that have no indices worth the name (from `analyse`'s design)."""
    notes = []
    for o, kind in output_kinds(design, outputs).items():
        if kind == "undefined":
            notes.append(f"{o} has no value in any run of the design (quota_fill needs a call-up): left out")
        elif kind == "constant":
            notes.append(f"{o} is the same in every run of the design ({design[o].fillna(0.0).iloc[0]:g}): no "
                         "parameter moves it, its indices are 0")
    return notes


def write(indices: pd.DataFrame, design: pd.DataFrame, out: str | Path, *, method: str, meta: dict,
          force: bool = False) -> Path:
    """sensitivity.csv, sensitivity.json, samples.parquet and a bar plot per output."""
    from .plots import sensitivity_plot

    with atomic_folder(out, force=force) as tmp:
        indices.to_csv(tmp / "sensitivity.csv", index=False)
        (tmp / "sensitivity.json").write_text(json_text(
            {**meta, "method": method, "indices": indices.to_dict("records")}))
        people = [o for o in design.columns if o in OUTPUTS and is_person_total(OUTPUTS[o])]
        design.assign(**{o: design[o].round().astype("Int64") for o in people}).to_parquet(  # whole people
            tmp / "samples.parquet", index=False)
        sensitivity_plot(indices, method, tmp / "sensitivity.png")
    return Path(out)
