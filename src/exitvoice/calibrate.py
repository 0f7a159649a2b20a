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
marked failed and not counted; a trial left running by a process that is gone, killed say, is marked failed
before the study resumes). A resumed study proposes no parameter set twice: its samplers are seeded from
(`--seed`, worker, trials already in the study), so they do not replay the proposals of the first session, and a
proposal equal to a set already run (after rounding integer parameters) is set aside (pruned) and another one
asked for. Outputs: `calibrated.toml` (the best values, as a `[parameters]` table a scenario
can include) and `posterior.parquet`: the accepted parameter sets — every completed trial whose loss is within
`tolerance` of the best (loss ≤ best + tolerance · |best|), and at least the best `min_sets` — for ensembles.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import gammaln

from .errors import ExitvoiceError, IncompleteError
from .outputs import atomic_folder, json_text
from .pack import DEFAULT_PACK
from .scenario import Scenario

MAX_DUPLICATE_PROPOSALS = 100
"""Proposals in a row equal to sets already run before the study is declared exhausted (a small integer space)."""

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
    twice = sorted({p for p in settings.params if settings.params.count(p) > 1})
    if twice:
        raise ExitvoiceError("a parameter is named twice", field="--params", given=twice)
    if not math.isfinite(settings.tolerance) or settings.tolerance < 0:
        raise ExitvoiceError("the posterior's tolerance must be a finite number >= 0", field="--tolerance",
                             given=settings.tolerance)
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


def windows_once(s: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Cumulative rows as increments, so that overlapping windows of one series count once.

    Within a series (quantity, geography, `since`) of cumulative figures, each point after the first becomes the
    increment since the previous point, for the observation and the simulation alike. Windows of one quantity and
    geography that still overlap (figures with different `since`) share their weight: each row's weight is divided
    by the number of windows that overlap it. Returns the rows and the weight factor per row.
    """
    from .validate import RULES

    s = s.copy()
    factor = np.ones(len(s))
    cum = s.quantity.map(lambda q: RULES.get(q, ("",))[0] == "window").astype(bool) & s.since.notna()
    if not cum.any():
        return s, factor
    s["_lo"] = pd.to_datetime(s.since)
    s["_hi"] = pd.to_datetime(s.date)
    for _, g in s[cum].groupby(["quantity", "geography", "since"]):
        g = g.sort_values("_hi")
        idx = g.index.to_numpy()
        s.loc[idx[1:], ["observed", "simulated"]] = (g[["observed", "simulated"]].diff().iloc[1:]).to_numpy()
        s.loc[idx[1:], "_lo"] = g["_hi"].iloc[:-1].to_numpy() + pd.Timedelta(days=1)
    pos = {ix: i for i, ix in enumerate(s.index)}
    for _, g in s[cum].groupby(["quantity", "geography"]):
        lo, hi = g["_lo"].to_numpy(), g["_hi"].to_numpy()
        overlaps = (lo[:, None] <= hi[None, :]) & (lo[None, :] <= hi[:, None])
        for ix, k in zip(g.index, overlaps.sum(axis=1), strict=True):
            factor[pos[ix]] = 1.0 / k
    return s.drop(columns=["_lo", "_hi"]), factor


def loss_value(rows: pd.DataFrame, settings: Settings, origin: str | None = None) -> float:
    """The loss of one scorecard (scored rows only; overlapping cumulative windows count once, `windows_once`).

    `origin` is the pack's own code (`RU` for the russia pack): its rows are origin totals, not a destination of
    the multinomial over destinations (None: the rows hold no origin totals).
    """
    s = rows[rows.status == "scored"]
    if s.empty:
        raise ExitvoiceError("no observation could be scored: nothing to calibrate against")
    s, factor = windows_once(s)
    w = factor * s.kind.map(settings.weights).fillna(settings.weights.get("estimate", 0.5)).to_numpy()
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
    dest = s[~s.geography.str.startswith("crossing:") & (s.geography != origin) & counts.astype(bool)]
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
    from .pack import load_pack
    from .validate import Simulated, score

    country = scenario_json["scenario"].get("country", DEFAULT_PACK)
    pack = load_pack(country)
    groups = pack.crossing_groups
    scale = scenario_json["population"]["scale"]
    last = pd.Timestamp(obs.date.max()).date()  # no observation later: the run can stop there (causal model)

    def objective(trial) -> float:
        with _held_interrupts():  # each suggestion writes to the storage: not interrupted in the middle of a write
            values = run_values({n: trial.suggest_float(n, d.low, d.high, log=d.prior == "loguniform")
                                 for n, d in decl.items()}, decl)
            tried = _tried(trial.study, decl, exclude=trial.number)
        if _key(values) in tried:
            raise _DuplicateProposalError
        sc = Scenario.from_dict({**scenario_json, "parameters": {**scenario_json["parameters"], **values}},
                                source=source)
        res = run(sc, seed=settings.seed, check=False, progress=None, until=last)
        card = score(obs, Simulated.from_timeseries(res.timeseries, scale=scale, pack=country), groups)
        for k in ("ard", "ard_rescaled", "volume_log_ratio", "median_abs_log_ratio", "mase"):
            trial.set_user_attr(k, card.metrics[k])
        return loss_value(card.rows, settings, pack.code)

    return objective


class _DuplicateProposalError(Exception):
    """The sampler proposed a parameter set already run."""


def run_values(params: dict[str, float], decl: dict) -> dict[str, float]:
    """The values a trial runs with: integer parameters rounded."""
    return {n: (round(v) if decl[n].is_integer else v) for n, v in params.items()}


def _key(values: dict[str, float]) -> tuple:
    return tuple(sorted(values.items()))


def _tried(study, decl: dict, exclude: int | None = None) -> set[tuple]:
    """Parameter sets (as run) of the completed and running trials."""
    import optuna

    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.RUNNING)
    return {_key(run_values(t.params, decl)) for t in study.get_trials(deepcopy=False, states=states)
            if t.number != exclude and set(t.params) == set(decl)}


def open_study(storage: str, study: str, settings: Settings, worker: int = 0):
    """Create or load the study (resumable), with a sampler seeded for this worker and this session.

    The seed is drawn from `SeedSequence(settings.seed, spawn_key=(worker,))` for a new study, and from
    `spawn_key=(worker, trials in the study)` when resuming: each worker has its own stream (else workers repeat
    each other's proposals), and a resumed session does not replay the first session's.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    st = optuna.create_study(storage=_storage(storage), study_name=study, direction="minimize",
                             load_if_exists=True)
    n = len(st.trials)
    key = (worker,) if n == 0 else (worker, n)
    seed = int(np.random.SeedSequence(settings.seed, spawn_key=key).generate_state(1)[0])
    if settings.sampler == "cmaes":
        st.sampler = optuna.samplers.CmaEsSampler(seed=seed)
    elif settings.sampler == "random":
        st.sampler = optuna.samplers.RandomSampler(seed=seed)
    else:
        st.sampler = optuna.samplers.TPESampler(seed=seed)
    return st


@contextmanager
def _held_interrupts() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) while the study's storage is written, and raise it once the write is done.

    Interrupted in the middle of a commit, a storage can fail with its own error (Optuna's StorageInternalError)
    and leave a trial without its state; a trial's simulation, by contrast, may be interrupted at any time.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


@contextmanager
def _ignored_interrupts() -> Iterator[None]:
    """Ignore Ctrl-C (SIGINT) in this block; a process started in it starts with SIGINT ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _optimize(study, objective, n: int, after: Callable | None = None) -> None:
    """Run n trials (ask, run, tell), setting aside proposals already run; an interrupted trial is marked failed.

    Optuna's own `optimize` would print the traceback of a Ctrl-C and count duplicate proposals as trials. Each
    trial records its owner (`OWNER`: host, process and the process's start time), so that a trial left running
    by a process that no longer exists can be told from one under way elsewhere (`fail_stale_trials`).
    """
    import optuna

    done, duplicates = 0, 0
    while done < n:
        trial = None
        try:
            with _held_interrupts():  # a Ctrl-C here is raised once the trial exists, so it is marked failed below
                trial = study.ask()
                trial.set_user_attr(OWNER, _owner())
            value = objective(trial)
        except _DuplicateProposalError:
            with _held_interrupts():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            duplicates += 1
            if duplicates >= MAX_DUPLICATE_PROPOSALS:
                raise ExitvoiceError(f"the sampler proposed {duplicates} parameter sets in a row that were already "
                                     "run: the study has exhausted its parameters' values", field="--trials",
                                     allowed=f"fewer trials (the study has {_completed(study)} completed)") from None
            continue
        except BaseException as exc:
            if trial is not None:
                try:
                    with _held_interrupts():
                        study.tell(trial, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
                except Exception:  # noqa: BLE001 - the interrupted write still holds the storage (database locked)
                    if not isinstance(exc, KeyboardInterrupt):
                        raise
                    # the trial stays RUNNING until this process is gone: `fail_stale_trials` then marks it failed
            raise
        with _held_interrupts():
            study.tell(trial, value)
            keep_going = after is None or after(study) is not False
        done, duplicates = done + 1, 0
        if not keep_going:
            return


OWNER = "exitvoice_owner"
"""User attribute of a trial: the process running it ({"host", "pid", "started"}: its start time, since pids are
reused)."""

UNOWNED_GRACE_SECONDS = 60.0
"""A running trial without an owner (asked by an older exitvoice, or killed between its ask and the owner's record,
a few milliseconds) is stale once it started this long ago: a live process records its owner at once."""


def _owner() -> dict:
    import psutil

    return {"host": socket.gethostname(), "pid": os.getpid(), "started": psutil.Process().create_time()}


def _is_stale(trial) -> bool:
    """Whether a running trial's process is gone (it was interrupted or killed): never a trial of another host."""
    import psutil

    owner = trial.user_attrs.get(OWNER)
    if not isinstance(owner, dict):
        started = trial.datetime_start
        return started is None or (dt.datetime.now() - started).total_seconds() > UNOWNED_GRACE_SECONDS
    if owner.get("host") != socket.gethostname():
        return False  # a worker on another machine sharing the storage: it may be running
    if owner.get("pid") == os.getpid():
        return True  # called outside any trial: none of this process's trials is under way
    try:
        return abs(psutil.Process(owner["pid"]).create_time() - owner["started"]) > 1e-3  # pid reused
    except (psutil.NoSuchProcess, psutil.AccessDenied, KeyError, TypeError):
        return True


def fail_stale_trials(study) -> int:
    """Mark failed the trials left running by a process that no longer exists (or by this one, outside a trial).

    Ctrl-C marks the trial under way as failed; this catches what that cannot (a SIGKILL, a Ctrl-C in the
    instant between two writes of the storage, a worker interrupted as it started), after an interruption and
    before a study is resumed. A running trial of another host is left alone. Returns the number marked.
    """
    import optuna

    stale = [t.number for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
             if _is_stale(t)]
    for number in stale:
        study.tell(number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
    return len(stale)


def check_storage(url: str, study: str, settings: Settings):
    """Open (or create) the study up front; a storage that cannot be opened is the user's error. Returns it."""
    try:
        return open_study(url, study, settings)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy, Optuna and OS errors all mean "this URL does not work"
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExitvoiceError(f"cannot open the study's storage: {first}", field="--storage", given=url,
                             allowed="sqlite:///path/to/file.db (in a folder that exists), journal:<file>, or a "
                                     "SQLAlchemy URL of a reachable database") from None


def _storage(url: str):
    if url.startswith("journal:"):
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        return JournalStorage(JournalFileBackend(url.split(":", 1)[1]))
    return url


def _completed(study) -> int:
    import optuna

    return sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)


class StopFlag:
    """A flag the command raises when it is interrupted and its workers read (a file: it crosses processes).

    A worker may have ignored the Ctrl-C itself (it arrived while the worker was starting, with Ctrl-C ignored):
    it still sees the flag before its next trial and starts no other.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)

    def is_set(self) -> bool:
        """Whether the command was interrupted."""
        return os.path.exists(self.path)

    def set(self) -> None:
        """Raise the flag."""
        Path(self.path).touch()


def _worker(scenario_json, source, obs, settings, storage, study_name, n, worker, parent, stop=None):  # a worker
    # Started with Ctrl-C ignored, so that one during its start-up prints no traceback; from here on it interrupts
    # the trial under way, which is marked failed. `stop` (a StopFlag) is set by the command when it is interrupted.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    try:
        if stopped():
            return "stopped"
        from .pack import load_pack

        decl = {p: load_pack(scenario_json["scenario"].get("country", DEFAULT_PACK)).declarations[p]
                for p in settings.params}
        study = open_study(storage, study_name, settings, worker)

        def alive(study) -> bool:
            return os.getppid() == parent and not stopped()  # else finish this trial, start no other

        _optimize(study, _objective(scenario_json, source, obs, settings, decl), n, after=alive)
    except KeyboardInterrupt:  # Ctrl-C: the trial under way is marked failed; the command reports it
        return "interrupted"
    return "stopped" if stopped() else "done"


WORKER_POLL_SECONDS = 0.5
"""How often the command looks at its workers once its own trials are done."""


def calibrate(scenario: Scenario, obs: pd.DataFrame, settings: Settings, *, storage: str, study: str,
              jobs: int = 1, progress: Callable[[int, int, float | None], None] | None = None,
              notify: Callable[[str], None] | None = None):
    """Run (or resume) a study until it has `settings.trials` completed trials; returns the study.

    With `jobs` > 1, the command's process runs its share of the trials and `jobs` − 1 worker processes the rest.
    A worker that ends early on its own — killed (SIGKILL, the kernel out of memory) or interrupted while the
    command is not — is noticed after the command's next trial, or while it waits for its workers: its trial under
    way is marked failed and `notify(message)` says so. Once every worker has ended, a study short of
    `settings.trials` completed trials is an `IncompleteError` (exit code 1 on the command line) that says how many
    are missing: the completed trials are kept in the study, and the same call again runs the missing ones.
    """
    from .workers import ending

    decl = check_settings(settings, scenario)
    sc_json = scenario.model_dump(mode="json")
    source = scenario.source or "<scenario>"
    st = open_study(storage, study, settings)
    with _held_interrupts():
        fail_stale_trials(st)  # trials an earlier session left running (killed, or interrupted mid-write)
    missing = settings.trials - _completed(st)
    if missing <= 0:
        return st
    if jobs < 1:
        raise ExitvoiceError("must be at least 1", field="--jobs", given=jobs)
    others, stop, flag_dir = [], None, None
    if jobs > 1:  # fresh interpreters that import only exitvoice: safe in a script without a __main__ guard
        from .workers import BackgroundTask

        shares = [missing // jobs + (1 if i < missing % jobs else 0) for i in range(jobs)]
        flag_dir = tempfile.mkdtemp(prefix="exitvoice-calibrate-")
        stop = StopFlag(Path(flag_dir) / "interrupted")
        with _ignored_interrupts():  # the workers start with Ctrl-C ignored (see _worker)
            others = [BackgroundTask(_worker, (sc_json, source, obs, settings, storage, study, n, w, os.getpid(),
                                               stop))
                      for w, n in enumerate(shares[1:], start=1) if n]
        missing = shares[0]
    ended: dict[int, str] = {}  # worker → how it ended, once it has
    early: list[str] = []  # workers that ended before their share was done, in words
    errors: list[Exception] = []

    def reap(interrupted: bool = False, block: bool = False) -> None:
        """Collect the workers that have ended; one that ended early: fail its trial under way and say so.

        With `block`, wait for every worker, reading what each sends as it ends.
        """
        for w, p in enumerate(others):
            if w in ended or not (block or p.done()):
                continue
            try:
                how = p.result(interrupted=True)  # None: it ended without a result (killed)
            except Exception as exc:  # noqa: BLE001 - raised once every worker has ended
                errors.append(exc)
                ended[w] = "error"
                continue
            ended[w] = how or ending(p.returncode)
            if interrupted or how in ("done", "stopped"):
                continue
            with _held_interrupts():
                failed = fail_stale_trials(st)  # its trial under way (its process is gone, and reaped)
            what = "was interrupted" if how == "interrupted" else ending(p.returncode)
            early.append(f"a worker process (pid {p.pid}) {what}")
            if how == "interrupted":  # it marked its trial under way failed itself
                marked = "its trial under way, if any, is marked failed"
            else:
                marked = f"{failed} trial(s) it left running marked failed" if failed else "it left no trial running"
            if notify:
                notify(f"a worker process (pid {p.pid}, {w + 1} of {len(others)}) {what} before its share of the "
                       f"trials was done; {marked}")

    def tick(study) -> None:
        reap()
        if progress:
            best = study.best_value if _completed(study) else None
            progress(_completed(study), settings.trials, best)

    done, interrupted = False, False
    try:
        _optimize(st, _objective(sc_json, source, obs, settings, decl), missing, after=tick)
        last = 0.0
        while len(ended) < len(others):  # this process's trials are done: wait for the workers', watching them
            time.sleep(WORKER_POLL_SECONDS)
            reap()
            if progress and time.monotonic() - last > 5 * WORKER_POLL_SECONDS:
                last = time.monotonic()
                tick(st)
        done = True
    except KeyboardInterrupt:
        interrupted = True
        if stop is not None:
            stop.set()
        for p in others:  # a signal sent to this process alone: pass it on, so each worker ends its trial cleanly
            p.interrupt()
        raise
    finally:
        reap(interrupted=interrupted, block=True)  # wait for every worker
        if flag_dir is not None:
            shutil.rmtree(flag_dir, ignore_errors=True)
        if interrupted:
            try:
                with _held_interrupts():
                    fail_stale_trials(st)  # what a worker could not mark itself (interrupted between two writes)
            except Exception:  # noqa: BLE001 - the storage is still held by the interrupted write: the next
                pass  # session marks them (it fails the stale trials before it resumes)
        if errors and done:  # a worker's error, when this process's own trials went well
            raise errors[0]
    have = _completed(st)
    if progress:
        progress(have, settings.trials, st.best_value if have else None)
    if have < settings.trials:
        why = "; ".join(early) if early else "trials failed"
        raise IncompleteError(f"the study has {have} of the {settings.trials} completed trials asked for "
                              f"({why}); its completed trials are kept, and the same command again runs the "
                              f"{settings.trials - have} missing", field="--trials", given=settings.trials)
    return st


def posterior(study, settings: Settings) -> pd.DataFrame:
    """Accepted parameter sets: completed trials with loss ≤ best + tolerance·|best|, at least the best `min_sets`."""
    import optuna

    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        raise ExitvoiceError("the study has no completed trial")
    frame = pd.DataFrame([{"trial": t.number, "loss": t.value, **t.params} for t in done])
    # a study made before duplicates were set aside may hold a set twice: keep its first trial only
    frame = frame.sort_values("trial").drop_duplicates(subset=settings.params, keep="first")
    frame = frame.sort_values(["loss", "trial"]).reset_index(drop=True)
    best = frame.loss.iloc[0]
    bound = best + settings.tolerance * abs(best)
    keep = frame[(frame.loss <= bound) | (frame.index < settings.min_sets)]
    return keep.reset_index(drop=True).assign(set_id=lambda f: np.arange(len(f)))[
        ["set_id", "trial", "loss", *settings.params]]


RANGE_END_SHARE = 0.02
"""A fitted value within this share of its range's width from either end is flagged: a symptom, not a result."""


def at_range_end(values: dict[str, float], decl: dict, share: float = RANGE_END_SHARE) -> dict[str, str]:
    """Fitted parameters within `share` of a range end (on the log scale for log-uniform priors): name → note.

    A parameter pinned at an end of its plausible range says the model lacks or misstates a mechanism that the
    fit makes up for; the range is never widened to let it run (docs/calibration.md).
    """
    out = {}
    for name, v in values.items():
        d = decl[name]
        lo, hi, x = d.low, d.high, v
        if d.prior == "loguniform" and lo > 0:
            lo, hi, x = math.log(lo), math.log(hi), math.log(max(v, 1e-300))
        if hi <= lo:
            continue
        pos = (x - lo) / (hi - lo)
        if pos <= share or pos >= 1 - share:
            out[name] = f"{v:.4g} at the {'lower' if pos <= share else 'upper'} end of [{d.low:g}, {d.high:g}]"
    return out


def write_outputs(study, settings: Settings, out: str | Path, *, scenario: Scenario, storage: str,
                  force: bool = False) -> Path:
    """Write calibrated.toml, posterior.parquet and calibration.json (settings and the best trial)."""
    post = posterior(study, settings)
    best = study.best_trial
    lines = [f"# exitvoice calibrate: study '{study.study_name}', {_completed(study)} completed trials, "
             f"{len(post)} accepted parameter sets (posterior.parquet)",
             f"# scenario: {scenario.name}; loss ({settings.loss}) = {best.value:.6g} at trial {best.number}",
             "[parameters]"]
    decl = check_settings(settings, scenario)
    ends = at_range_end(best.params, decl)
    for name in settings.params:
        note = f"  # at a range end: {ends[name]}" if name in ends else ""
        lines.append(f'"{name}" = {_toml_number(best.params[name])}{note}')
    with atomic_folder(out, force=force) as tmp:
        (tmp / "calibrated.toml").write_text("\n".join(lines) + "\n")
        post.to_parquet(tmp / "posterior.parquet", index=False)
        info = {"study": study.study_name, "storage": storage, "scenario": scenario.name,
                "completed_trials": _completed(study), "best_trial": best.number, "best_loss": best.value,
                "best_params": best.params, "best_scores": {k: v for k, v in best.user_attrs.items() if k != OWNER},
                "accepted_sets": len(post),
                "at_range_end": ends,
                "settings": asdict(settings)}
        (tmp / "calibration.json").write_text(json_text(info))
    return Path(out)


def previous_outputs(out: str | Path, *, storage: str, study: str) -> dict | None:
    """The `calibration.json` of an output folder written by this same study (storage and name), else None.

    Such a folder is the study's own: running the command again resumes the study and replaces it.
    """
    info_path = Path(out) / "calibration.json"
    if not info_path.is_file():
        return None
    try:
        info = json.loads(info_path.read_text())
    except (OSError, ValueError):
        return None
    if isinstance(info, dict) and info.get("study") == study and info.get("storage") == storage:
        return info
    return None


def completed_trials(study) -> int:
    """Completed trials of a study."""
    return _completed(study)


def _toml_number(v: float) -> str:
    return repr(float(v)) if not math.isinf(v) else ("inf" if v > 0 else "-inf")
