"""Likelihood-free Bayesian calibration: ABC-SMC with pyabc (docs/calibration.md, "A posterior").

Priors are the declared ones (`uniform` or `loguniform` over each parameter's plausible range). A particle is a
parameter set; its simulation is scored against the observations as `validate` scores a run, and its distance is
the square root of the calibration loss `sse`: Σ w_kind · (log(1 + sim) − log(1 + obs))² over the scored rows,
overlapping cumulative windows counted once (`calibrate.windows_once`). Each simulation has its own seed, drawn
from the particle, so the posterior carries the model's own noise.

pyabc runs the sequential Monte Carlo: generation by generation the tolerance ε falls to a quantile of the last
generation's distances (adaptive), the population size adapts to the spread of the particles, and new particles
are proposed by a multivariate normal kernel around the weighted old ones. It stops at whichever comes first: the
number of generations, the wall-time budget, an acceptance rate below the floor, or ε below its minimum. The
history lives in a SQL database (`abc.db` in the output folder); the same command again resumes the run from its
last generation.

Outputs: `particles.parquet` (the last generation: one row per particle, its parameters, `weight`, `generation`,
`distance`), `posterior.parquet` (an equally weighted resample of the particles, one row per set, for ensembles),
`posterior.json` (effective sample size, the history of ε, acceptance and population size, and per parameter the
posterior median, 90% credible interval and how much the data narrowed the prior) and `calibrated.toml` (the
posterior medians as a `[parameters]` table).
"""

from __future__ import annotations

import logging
import math
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from .calibrate import KIND_WEIGHTS, Settings, loss_value, run_values
from .errors import ExitvoiceError, IncompleteError
from .outputs import atomic_folder, json_text, record_written
from .pack import DEFAULT_PACK
from .scenario import Scenario

PINNED = 0.5
"""A parameter is *pinned* by the data when its 90% credible interval is at most this share of its prior's."""
NARROWED = 0.8
"""… *narrowed* up to this share; above it, the data leave it at its prior."""
MAX_POPULATION_FACTOR = 2
"""An adaptive population grows to at most this multiple of the first generation's."""


@dataclass
class AbcSettings:
    """What an ABC-SMC calibration fits and when it stops."""

    params: list[str]
    particles: int = 100  # the first generation's population; later ones adapt
    generations: int = 10  # generations in all (a resumed run counts those already done)
    walltime_minutes: float | None = None
    min_acceptance: float = 0.01
    min_epsilon: float = 0.0
    alpha: float = 0.5  # ε of the next generation: this quantile of the last one's distances
    adaptive: bool = True  # population size adapts to the particles' spread (up to `MAX_POPULATION_FACTOR` ×)
    seed: int = 0
    jobs: int = 1
    weights: dict[str, float] = field(default_factory=lambda: dict(KIND_WEIGHTS))

    def check(self) -> None:
        """Refuse settings that cannot run."""
        for name, v, lo in (("--particles", self.particles, 2), ("--generations", self.generations, 1),
                            ("--jobs", self.jobs, 1)):
            if v < lo:
                raise ExitvoiceError(f"must be at least {lo}", field=name, given=v)
        if not 0 < self.alpha < 1:
            raise ExitvoiceError("must lie strictly between 0 and 1", field="--alpha", given=self.alpha)
        if not 0 <= self.min_acceptance < 1:
            raise ExitvoiceError("must lie in [0, 1)", field="--min-acceptance", given=self.min_acceptance)
        if self.walltime_minutes is not None and not self.walltime_minutes > 0:
            raise ExitvoiceError("must be a positive number of minutes", field="--walltime",
                                 given=self.walltime_minutes)


def _key(name: str) -> str:
    return name.replace(".", "__")


def prior(decl: dict):
    """The pyabc prior over the declared ranges (`loguniform` where declared, `uniform` otherwise)."""
    import pyabc

    rvs = {}
    for name, d in decl.items():
        if d.prior == "loguniform":
            rvs[_key(name)] = pyabc.RV("loguniform", d.low, d.high)
        else:
            rvs[_key(name)] = pyabc.RV("uniform", d.low, d.high - d.low)
    return pyabc.Distribution(**rvs)


def particle_seed(values: dict[str, float], seed: int) -> int:
    """A simulation's seed from its parameter values and the calibration's seed (reproducible, independent)."""
    words = np.frombuffer(np.array(sorted(values.values()), dtype=float).tobytes(), dtype=np.uint32)
    return int(np.random.SeedSequence([seed, *words.tolist()]).generate_state(1)[0])


class _Model:
    """Simulate one particle and return its distance to the observations (picklable for worker processes)."""

    def __init__(self, scenario: Scenario, obs: pd.DataFrame, decl: dict, settings: AbcSettings) -> None:
        self.scenario_json = scenario.model_dump(mode="json")
        self.source = scenario.source or "<scenario>"
        self.obs = obs
        self.decl = decl
        self.seed = settings.seed
        self.loss = Settings(params=list(decl), loss="sse", weights=settings.weights)
        self.last = pd.Timestamp(obs.date.max()).date()

    def __call__(self, par) -> dict:
        from .api import run
        from .validate import Simulated, crossing_groups, score

        values = run_values({n: float(par[_key(n)]) for n in self.decl}, self.decl)
        sj = self.scenario_json
        sc = Scenario.from_dict({**sj, "parameters": {**sj["parameters"], **values}}, source=self.source)
        res = run(sc, seed=particle_seed(values, self.seed), check=False, progress=None, until=self.last)
        country = sj["scenario"].get("country", DEFAULT_PACK)
        sim = Simulated.from_timeseries(res.timeseries, scale=sj["population"]["scale"], pack=country)
        card = score(self.obs, sim, crossing_groups(country))
        return {"loss": loss_value(card.rows, self.loss, sim.origin)}


def _distance(x: dict, x0: dict) -> float:
    return math.sqrt(max(x["loss"], 0.0))


@contextmanager
def _quiet_sampler_workers() -> Iterator[None]:
    """Ctrl-C during a multicore run ends the sampler's workers quietly; the command reports it once.

    pyabc forks its workers (`MulticoreEvalParallelSampler`), and a forked worker keeps this process's Python
    handler of SIGINT: in a worker it ends the process at once, with no traceback (a Ctrl-C at a terminal reaches
    every worker); here it raises KeyboardInterrupt. pyabc's "a worker is dead", after a Ctrl-C, is the same
    interruption; without one, a worker was killed on its own: an `IncompleteError` (the generations done are
    kept in the history database, and the same command again continues from them).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    parent, caught = os.getpid(), []

    def on_sigint(signum, frame) -> None:
        if os.getpid() != parent:
            os._exit(130)  # a forked worker of the sampler
        caught.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        if caught:
            raise KeyboardInterrupt from None
        if type(exc).__name__ == "ProcessError" and "dead" in str(exc):
            raise IncompleteError("a worker process of the ABC-SMC sampler ended before its generation was done "
                                  "(killed?); the generations done so far are kept in the history database: the "
                                  "same command again continues from the last one") from None
        raise
    finally:
        signal.signal(signal.SIGINT, previous)


def history_file(out: Path) -> Path:
    """The history database of an ABC-SMC calibration writing to `out` (beside it, so `--force` never deletes it)."""
    return Path(out).parent / f"{Path(out).name}.abc.db"


def check_history(out: Path, decl: dict) -> None:
    """Refuse, before any work, to resume a history database that cannot be read or fits other parameters.

    The same command resumes a calibration from its database; one run with other `--params` (or a file that is not
    such a database) would fail inside pyabc after the work began.
    """
    db_file = history_file(out)
    if not db_file.exists():
        return
    import pyabc

    try:
        history = pyabc.History(f"sqlite:///{db_file}", _id=1)
        done = history.max_t
        names = sorted(c.replace("__", ".") for c in history.get_distribution(m=0, t=done)[0].columns) \
            if done >= 0 else None
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy, SQLite and pyabc errors all mean "not such a database"
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExitvoiceError(f"cannot resume from this file: not the history database of an ABC-SMC calibration "
                             f"({first})", file=str(db_file),
                             allowed="the database the same command wrote earlier; move the file away to start "
                                     "afresh") from None
    if names is not None and names != sorted(decl):
        raise ExitvoiceError("the history database beside the output folder holds a calibration of other parameters; "
                             "the same command resumes it only with the same --params", file=str(db_file),
                             field="--params", given=",".join(sorted(decl)),
                             allowed=f"--params {','.join(names)} to resume it, or another --out to start a new "
                                     "calibration")


class _Generations(logging.Handler):
    """pyabc's report of each generation (its `ABC` logger), passed on as one line to `progress(text)`."""

    def __init__(self, progress) -> None:
        super().__init__(logging.INFO)
        self.progress, self.t0, self.t, self.eps = progress, time.perf_counter(), None, None

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg.startswith("Calibration sample"):
            self.progress("the first tolerance: simulating draws from the prior")
        elif msg.startswith("t: "):
            head, eps = msg.rstrip(".").split(", eps: ")
            self.t, self.eps = int(head[3:]), float(eps)
        elif msg.startswith("Accepted: ") and self.t is not None:
            counts, ess = msg.rstrip(".").removeprefix("Accepted: ").split(", ESS: ")
            kept, tried = (int(x) for x in counts.split(" = ")[0].split(" / "))
            minutes = (time.perf_counter() - self.t0) / 60
            self.progress(f"generation {self.t}: tolerance {self.eps:.4g}, accepted {kept} of {tried} simulations "
                          f"({kept / tried:.0%}), ESS {float(ess):.0f}, {minutes:.1f} min so far")


def fit(scenario: Scenario, obs: pd.DataFrame, decl: dict, settings: AbcSettings, out: Path,
        progress=None) -> dict:
    """Run (or resume) ABC-SMC; write the outputs into `out` (atomically) and return the posterior summary.

    `progress(text)`, if given, is told of each generation as it ends (tolerance, acceptance, ESS, time).
    """
    import pyabc

    settings.check()
    abc_log = logging.getLogger("ABC")
    abc_log.setLevel(logging.INFO if progress is not None else logging.WARNING)
    for h in list(abc_log.handlers):
        if isinstance(h, _Generations):
            abc_log.removeHandler(h)
        else:
            h.setLevel(logging.WARNING)  # pyabc's own handler: its raw lines stay out of the user's terminal
    if progress is not None:
        abc_log.addHandler(_Generations(progress))
    for name in ("Sampler", "Epsilon", "Data_plot", "History", "ABC.Sampler", "ABC.Epsilon", "ABC.History",
                 "ABC.Distance", "ABC.Population", "ABC.Transition", "ABC.Adaptation"):
        logging.getLogger(name).setLevel(logging.WARNING)
    check_history(out, decl)
    out.parent.mkdir(parents=True, exist_ok=True)
    db_file = history_file(out)
    db = f"sqlite:///{db_file}"
    if settings.jobs > 1:
        sampler = pyabc.sampler.MulticoreEvalParallelSampler(n_procs=settings.jobs)
    else:
        sampler = pyabc.sampler.SingleCoreSampler()
    abc = pyabc.ABCSMC(
        _Model(scenario, obs, decl, settings), prior(decl), _distance,
        population_size=(pyabc.populationstrategy.AdaptivePopulationSize(
            settings.particles, max_population_size=MAX_POPULATION_FACTOR * settings.particles)
            if settings.adaptive else pyabc.populationstrategy.ConstantPopulationSize(settings.particles)),
        eps=pyabc.epsilon.QuantileEpsilon(alpha=settings.alpha), sampler=sampler)
    np.random.seed(settings.seed)  # pyabc draws from NumPy's global generator
    done = 0
    if db_file.exists():
        history = abc.load(db, 1)
        done = history.max_t + 1
    else:
        abc.new(db, {"loss": 0.0})
    t0 = time.perf_counter()
    remaining = settings.generations - done
    if remaining > 0:
        with _quiet_sampler_workers():
            history = abc.run(minimum_epsilon=settings.min_epsilon, max_nr_populations=remaining,
                              min_acceptance_rate=settings.min_acceptance,
                              max_walltime=None if settings.walltime_minutes is None
                              else timedelta(minutes=settings.walltime_minutes))
    else:
        history = abc.history
    summary = summarise(history, decl, settings)
    summary["wall_seconds_this_session"] = round(time.perf_counter() - t0, 1)
    summary["database"] = str(db_file)
    write(history, summary, decl, settings, out, scenario)
    return summary


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """Quantile q of values x with weights w (the inverse of the weighted empirical distribution)."""
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    cw /= cw[-1]
    return float(x[order][min(np.searchsorted(cw, q), len(x) - 1)])


def identifiability(lo: float, hi: float, d) -> tuple[float, str]:
    """Width of the 90% credible interval as a share of the prior's 90% interval, and what that means."""
    if d.prior == "loguniform":
        a, b = math.log(d.low), math.log(d.high)
        post = math.log(hi) - math.log(lo)
    else:
        a, b = d.low, d.high
        post = hi - lo
    ratio = post / (0.9 * (b - a))
    label = "pinned by the data" if ratio <= PINNED else "narrowed" if ratio <= NARROWED else "left at its prior"
    return ratio, label


def summarise(history, decl: dict, settings: AbcSettings) -> dict:
    """ESS, the run's history, and per parameter the median, 90% interval and identifiability."""
    df, w = history.get_distribution(m=0, t=history.max_t)
    w = np.asarray(w, dtype=float)
    w = w / w.sum()
    pops = history.get_all_populations()
    pops = pops[pops.t >= 0]
    params = {}
    for name, d in decl.items():
        x = df[_key(name)].to_numpy(dtype=float)
        lo, med, hi = (weighted_quantile(x, w, q) for q in (0.05, 0.5, 0.95))
        ratio, label = identifiability(lo, hi, d)
        params[name] = {"median": med, "q05": lo, "q95": hi, "prior": [d.low, d.high], "prior_kind": d.prior,
                        "interval_share_of_prior": round(ratio, 3), "identified": label}
    return {
        "method": "abc-smc",
        "generations": int(history.max_t + 1),
        "particles": int(len(w)),
        "effective_sample_size": round(float(1.0 / np.sum(w ** 2)), 1),
        "epsilon": [round(float(e), 5) for e in pops.epsilon],
        "simulations": [int(s) for s in pops.samples],
        "acceptance_rate": [round(float(p), 4) for p in history.get_nr_particles_per_population().loc[
            pops.t].to_numpy() / np.maximum(pops.samples.to_numpy(), 1)],
        "total_simulations": int(history.total_nr_simulations),
        "seed": settings.seed,
        "parameters": params,
    }


def resample(df: pd.DataFrame, w: np.ndarray, n: int, seed: int) -> pd.DataFrame:
    """An equally weighted sample of n particles (systematic resampling), one row per parameter set."""
    u = (np.random.default_rng(seed).random() + np.arange(n)) / n
    idx = np.minimum(np.searchsorted(np.cumsum(w / w.sum()), u), len(w) - 1)
    return df.iloc[idx].reset_index(drop=True)


def write(history, summary: dict, decl: dict, settings: AbcSettings, out: Path, scenario: Scenario) -> None:
    """Write particles, posterior sets, the summary and calibrated.toml into `out`, atomically."""
    from .calibrate import _toml_number

    df, w = history.get_distribution(m=0, t=history.max_t)
    w = np.asarray(w, dtype=float)
    pop = history.get_population(t=history.max_t)
    distances = np.array([p.distance for p in pop.particles], dtype=float)
    particles = pd.DataFrame([run_values({n: float(df[_key(n)].iloc[i]) for n in decl}, decl)
                              for i in range(len(df))])
    particles["weight"] = w / w.sum()
    particles["generation"] = int(history.max_t)
    particles["distance"] = distances if distances.size == len(particles) else np.nan
    sets = resample(particles[list(decl)], particles["weight"].to_numpy(), max(len(particles), 100), settings.seed)
    sets.insert(0, "set_id", np.arange(len(sets)))
    lines = [f"# posterior medians of an ABC-SMC calibration of {scenario.name} "
             f"({summary['generations']} generations, ESS {summary['effective_sample_size']})", "[parameters]"]
    lines += [f'"{n}" = {_toml_number(p["median"])}' for n, p in summary["parameters"].items()]
    with atomic_folder(out, force=True) as tmp:
        particles.to_parquet(tmp / "particles.parquet", index=False)
        sets.to_parquet(tmp / "posterior.parquet", index=False)
        (tmp / "posterior.json").write_text(json_text(summary))
        (tmp / "calibrated.toml").write_text("\n".join(lines) + "\n")


SUMMARY_KEYS = ("generations", "particles", "effective_sample_size", "total_simulations", "epsilon", "parameters")
PARAMETER_KEYS = ("median", "q05", "q95", "prior", "prior_kind", "identified", "interval_share_of_prior")


def read_posterior(folder: Path) -> tuple[dict, pd.DataFrame]:
    """The summary (posterior.json) and the particles (particles.parquet) of an ABC-SMC output folder.

    A folder that lacks them, or whose files are damaged or not exitvoice's, is a `DataError` naming the file.
    """
    import json

    from .errors import DataError

    folder = Path(folder)
    f, pf = folder / "posterior.json", folder / "particles.parquet"
    if not f.is_file() or not pf.is_file():
        raise DataError("not the output folder of an ABC-SMC calibration (no posterior.json and particles.parquet)",
                        file=str(folder))
    try:
        summary = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DataError(f"a damaged posterior summary ({type(exc).__name__})", file=str(f),
                        allowed="the posterior.json written by `exitvoice calibrate --method abc-smc`") from None
    params = summary.get("parameters") if isinstance(summary, dict) else None
    if not (isinstance(params, dict) and params and all(k in summary for k in SUMMARY_KEYS) and all(
            isinstance(v, dict) and all(k in v for k in PARAMETER_KEYS) for v in params.values())):
        raise DataError("not the posterior summary of an ABC-SMC calibration (keys are missing)", file=str(f),
                        allowed="the posterior.json written by `exitvoice calibrate --method abc-smc`")
    try:
        particles = pd.read_parquet(pf)
    except Exception as exc:  # noqa: BLE001 - pyarrow's errors for a file that is not Parquet
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"not a readable Parquet file: {first}", file=str(pf)) from None
    missing = [c for c in [*params, "weight"] if c not in particles.columns]
    if missing or particles.empty:
        raise DataError("the particles do not match the posterior summary", file=str(pf),
                        given=f"missing columns {missing}" if missing else "no rows",
                        allowed=f"one row per particle, columns {[*params, 'weight']}")
    return summary, particles


def plot_posterior(folder: Path) -> list[Path]:
    """Marginal and pairwise plots of the particles in `folder` (written beside them); returns the files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    summary, particles = read_posterior(folder)
    names = list(summary["parameters"])
    w = particles["weight"].to_numpy()
    k = len(names)
    fig, axes = plt.subplots(k, k, figsize=(2.6 * k + 1, 2.4 * k + 0.6), squeeze=False, constrained_layout=True)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            pa = summary["parameters"][a]
            log_a = pa["prior_kind"] == "loguniform"
            if i == j:
                x = particles[a].to_numpy()
                bins = np.geomspace(*pa["prior"], 25) if log_a else np.linspace(*pa["prior"], 25)
                ax.hist(x, bins=bins, weights=w, color="tab:blue", alpha=0.75)
                for q in ("q05", "q95"):
                    ax.axvline(pa[q], color="k", lw=0.8, ls="--")
                ax.axvline(pa["median"], color="k", lw=1.2)
                ax.set_yticks([])
                ax.set_title(f"{a}\n{pa['identified']}", fontsize=8)
            else:
                pb = summary["parameters"][b]
                ax.scatter(particles[b], particles[a], s=8 + 400 * w, alpha=0.5, color="tab:blue")
                ax.set_ylim(*pa["prior"])
                if log_a:
                    ax.set_yscale("log")
            pb = summary["parameters"][b]
            ax.set_xlim(*pb["prior"])
            if pb["prior_kind"] == "loguniform":
                ax.set_xscale("log")
            if i == k - 1:
                ax.set_xlabel(b, fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle(f"posterior: {summary['particles']} particles, ESS {summary['effective_sample_size']}, "
                 f"generation {summary['generations']}\naxes span the prior ranges; dashed: 90% interval",
                 fontsize=9)
    path = folder / "posterior.png"
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)
    record_written(folder, path.name)  # the folder's `--force` may replace what exitvoice wrote into it
    return [path]
