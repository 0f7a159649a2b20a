"""Calibration (docs/model.md §14): fit declared parameters to an observation file with Optuna.

Each trial runs the scenario with the trial's parameter values (drawn over their declared ranges and priors:
`uniform` or `loguniform`; `fixed` parameters cannot be calibrated), matches the observations as `validate`
does, and returns a loss:

- `sse` (default): Σ w_kind · (log(1 + sim) − log(1 + obs))² over scored rows, weights by the observation's
  `kind` (`official` 1, `estimate` 0.5, `survey` 0.25 by default: official figures count more);
- `nll`: a negative log-likelihood: gamma-Poisson (negative binomial with `dispersion`) for counts,
  Dirichlet-multinomial for the shares of destinations in rows of one quantity that share date and `since`
  (`concentration` · simulated shares), and a log-normal (σ = `price_sigma`) for fares and waits.

The study lives in a storage: SQLite by default (`<out>/study.db`), `journal:<path>` for an Optuna journal file
(many local processes), or any SQLAlchemy URL (e.g. PostgreSQL, many machines). Calling again with the same
storage and study name resumes: completed trials are kept and only the missing ones run (an interrupted trial is
marked failed and not counted). Outputs: `calibrated.toml` (the best values, as a `[parameters]` table a scenario
can include) and `posterior.parquet`: the accepted parameter sets — every completed trial whose loss is within
`tolerance` of the best (loss ≤ best + tolerance · |best|), and at least the best `min_sets` — for ensembles.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import gammaln

from .errors import ExitvoiceError
from .outputs import atomic_folder
from .scenario import Scenario

KIND_WEIGHTS = {"official": 1.0, "estimate": 0.5, "survey": 0.25}
COUNT_FREE = {"queue_wait_hours", "flight_price"}  # continuous quantities (not counts)


@dataclass
class Settings:
    """What a calibration fits and how."""

    params: list[str]
    trials: int = 100
    sampler: str = "tpe"
    loss: str = "sse"
    seed: int = 0
    weights: dict[str, float] = field(default_factory=lambda: dict(KIND_WEIGHTS))
    tolerance: float = 0.1
    min_sets: int = 10
    dispersion: float = 10.0
    concentration: float = 100.0
    price_sigma: float = 0.5


def check_settings(settings: Settings, scenario: Scenario) -> dict:
    """Validate the parameter names against the pack; returns their declarations."""
    from .pack import load_pack

    decl = load_pack(scenario.scenario.country).declarations
    if not settings.params:
        raise ExitvoiceError("name at least one parameter to calibrate", field="--params")
    out = {}
    for name in settings.params:
        if name not in decl:
            raise ExitvoiceError("unknown parameter", field="--params", given=name,
                                 allowed="declared parameters (`exitvoice params`)")
        if decl[name].prior == "fixed" or decl[name].low == decl[name].high:
            raise ExitvoiceError("a fixed parameter cannot be calibrated", field="--params", given=name)
        out[name] = decl[name]
    for k, v in (("--trials", settings.trials), ("--min-sets", settings.min_sets)):
        if v < 1:
            raise ExitvoiceError("must be at least 1", field=k, given=v)
    if settings.sampler not in ("tpe", "cmaes", "random"):
        raise ExitvoiceError("unknown sampler", field="--sampler", given=settings.sampler,
                             allowed=["tpe", "cmaes", "random"])
    if settings.loss not in ("sse", "nll"):
        raise ExitvoiceError("unknown loss", field="--loss", given=settings.loss, allowed=["sse", "nll"])
    return out


def loss_value(rows: pd.DataFrame, settings: Settings) -> float:
    """The loss of one scorecard (scored rows only)."""
    s = rows[rows.status == "scored"]
    if s.empty:
        raise ExitvoiceError("no observation could be scored: nothing to calibrate against")
    w = s.kind.map(settings.weights).fillna(settings.weights.get("estimate", 0.5)).to_numpy()
    obs, sim = s.observed.to_numpy(), np.maximum(s.simulated.to_numpy(), 0.0)
    if settings.loss == "sse":
        return float(np.sum(w * (np.log1p(sim) - np.log1p(obs)) ** 2))
    counts = ~s.quantity.isin(COUNT_FREE).to_numpy()
    total = 0.0
    # negative binomial (gamma-Poisson): mean sim, size k
    k, mu, y = settings.dispersion, np.maximum(sim[counts], 1e-9), np.round(obs[counts])
    nb = gammaln(y + k) - gammaln(k) - gammaln(y + 1) + k * np.log(k / (k + mu)) + y * np.log(mu / (k + mu))
    total -= float(np.sum(w[counts] * nb))
    # log-normal for continuous quantities
    ln = (np.log(np.maximum(sim[~counts], 1e-9)) - np.log(np.maximum(obs[~counts], 1e-9))) / settings.price_sigma
    total += float(np.sum(w[~counts] * 0.5 * ln ** 2))
    # Dirichlet-multinomial over destinations sharing quantity, date and since
    dest = s[~s.geography.str.startswith("crossing:") & (s.geography != "RU") & counts.astype(bool)]
    for _, g in dest.groupby(["quantity", "date", "since"], dropna=False):
        if len(g) < 2 or g.simulated.sum() <= 0:
            continue
        x = np.round(g.observed.to_numpy())
        alpha = settings.concentration * np.maximum(g.simulated.to_numpy(), 1e-9) / g.simulated.sum()
        n, a0 = x.sum(), alpha.sum()
        dm = (gammaln(a0) + gammaln(n + 1) - gammaln(n + a0)
              + np.sum(gammaln(x + alpha) - gammaln(alpha) - gammaln(x + 1)))
        total -= float(dm)
    return total


def _objective(scenario_json: dict, source: str, obs: pd.DataFrame, settings: Settings, decl: dict):
    from .api import run
    from .validate import Simulated, crossing_groups, score

    groups = crossing_groups(scenario_json["scenario"].get("country", "russia"))
    scale = scenario_json["population"]["scale"]

    def objective(trial) -> float:
        values = {n: trial.suggest_float(n, d.low, d.high, log=d.prior == "loguniform") for n, d in decl.items()}
        values = {n: (round(v) if decl[n].is_integer else v) for n, v in values.items()}
        sc = Scenario.from_dict({**scenario_json, "parameters": {**scenario_json["parameters"], **values}},
                                source=source)
        res = run(sc, seed=settings.seed, check=False, progress=None)
        card = score(obs, Simulated.from_timeseries(res.timeseries, scale=scale), groups)
        for k in ("ard", "ard_rescaled", "volume_log_ratio", "median_abs_log_ratio", "mase"):
            trial.set_user_attr(k, card.metrics[k])
        return loss_value(card.rows, settings)

    return objective


def open_study(storage: str, study: str, settings: Settings, worker: int = 0):
    """Create or load the study (resumable). Each worker's sampler gets its own seed, else workers repeat trials."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seed = int(np.random.SeedSequence(settings.seed, spawn_key=(worker,)).generate_state(1)[0])
    if settings.sampler == "cmaes":
        sampler = optuna.samplers.CmaEsSampler(seed=seed)
    elif settings.sampler == "random":
        sampler = optuna.samplers.RandomSampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed)
    return optuna.create_study(storage=_storage(storage), study_name=study, sampler=sampler, direction="minimize",
                               load_if_exists=True)


def _storage(url: str):
    if url.startswith("journal:"):
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        return JournalStorage(JournalFileBackend(url.split(":", 1)[1]))
    return url


def _completed(study) -> int:
    import optuna

    return sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)


def _worker(scenario_json, source, obs, settings, storage, study_name, n, worker, parent):  # in a worker process
    from .pack import load_pack

    decl = {p: load_pack(scenario_json["scenario"].get("country", "russia")).declarations[p]
            for p in settings.params}
    study = open_study(storage, study_name, settings, worker)

    def orphaned(study, trial) -> None:
        if os.getppid() != parent:  # the command was killed: finish this trial, start no other
            study.stop()

    study.optimize(_objective(scenario_json, source, obs, settings, decl), n_trials=n, callbacks=[orphaned],
                   catch=())


def calibrate(scenario: Scenario, obs: pd.DataFrame, settings: Settings, *, storage: str, study: str,
              jobs: int = 1, progress: Callable[[int, int, float | None], None] | None = None):
    """Run (or resume) a study until it has `settings.trials` completed trials; returns the study."""
    decl = check_settings(settings, scenario)
    sc_json = scenario.model_dump(mode="json")
    source = scenario.source or "<scenario>"
    st = open_study(storage, study, settings)
    missing = settings.trials - _completed(st)
    if missing <= 0:
        return st
    if jobs < 1:
        raise ExitvoiceError("must be at least 1", field="--jobs", given=jobs)
    others = []
    if jobs > 1:
        ctx = get_context("spawn")
        shares = [missing // jobs + (1 if i < missing % jobs else 0) for i in range(jobs)]
        for w, n in enumerate(shares[1:], start=1):
            if n:
                p = ctx.Process(target=_worker, args=(sc_json, source, obs, settings, storage, study, n, w,
                                                      os.getpid()))
                p.start()
                others.append(p)
        missing = shares[0]

    def tick(study, trial) -> None:
        if progress:
            best = study.best_value if _completed(study) else None
            progress(_completed(study), settings.trials, best)

    try:
        st.optimize(_objective(sc_json, source, obs, settings, decl), n_trials=missing, callbacks=[tick], catch=())
    finally:
        for p in others:
            p.join()
    if progress:
        progress(_completed(st), settings.trials, st.best_value)
    return st


def posterior(study, settings: Settings) -> pd.DataFrame:
    """Accepted parameter sets: completed trials with loss ≤ best + tolerance·|best|, at least the best `min_sets`."""
    import optuna

    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        raise ExitvoiceError("the study has no completed trial")
    frame = pd.DataFrame([{"trial": t.number, "loss": t.value, **t.params} for t in done])
    frame = frame.sort_values(["loss", "trial"]).reset_index(drop=True)
    best = frame.loss.iloc[0]
    bound = best + settings.tolerance * abs(best)
    keep = frame[(frame.loss <= bound) | (frame.index < settings.min_sets)]
    return keep.reset_index(drop=True).assign(set_id=lambda f: np.arange(len(f)))[
        ["set_id", "trial", "loss", *settings.params]]


def write_outputs(study, settings: Settings, out: str | Path, *, scenario: Scenario, storage: str,
                  force: bool = False) -> Path:
    """Write calibrated.toml, posterior.parquet and calibration.json (settings and the best trial)."""
    post = posterior(study, settings)
    best = study.best_trial
    lines = [f"# exitvoice calibrate: study '{study.study_name}', {_completed(study)} completed trials, "
             f"{len(post)} accepted parameter sets (posterior.parquet)",
             f"# scenario: {scenario.name}; loss ({settings.loss}) = {best.value:.6g} at trial {best.number}",
             "[parameters]"]
    for name in settings.params:
        lines.append(f'"{name}" = {_toml_number(best.params[name])}')
    with atomic_folder(out, force=force) as tmp:
        (tmp / "calibrated.toml").write_text("\n".join(lines) + "\n")
        post.to_parquet(tmp / "posterior.parquet", index=False)
        info = {"study": study.study_name, "storage": storage, "scenario": scenario.name,
                "completed_trials": _completed(study), "best_trial": best.number, "best_loss": best.value,
                "best_params": best.params, "best_scores": best.user_attrs, "accepted_sets": len(post),
                "settings": asdict(settings)}
        (tmp / "calibration.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
    return Path(out)


def _toml_number(v: float) -> str:
    return repr(float(v)) if not math.isinf(v) else ("inf" if v > 0 else "-inf")
