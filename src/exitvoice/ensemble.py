"""Ensembles (docs/model.md §14): N runs over seeds and, with a posterior file, over parameter sets.

Member i uses the random stream `SeedSequence(seed, spawn_key=(i,))` (recorded as `stream`) and parameter set
`i mod n_sets` of the posterior (or the scenario's parameters): it is reproducible on its own from (seed, i,
parameter set) with `exitvoice.run(scenario, seed=seed, params=..., member=i)`.

Which posterior (`run_ensemble(posterior=...)`): by default (`PACK_POSTERIOR`) an ensemble of more than one member
draws the fitted parameters from the posterior its pack ships (`[calibration] posterior` of pack.toml), if any;
a file path names another; None draws none (seed noise only). A parameter the scenario sets (`[parameters]`,
`--set`) is held at that value: its column of the posterior is not used. A posterior with a `weight` column is
resampled (systematic resampling from the seed) to one set per member. Members run in local processes
(`jobs`) or on a Dask distributed cluster (`scheduler`), with identical results either way.

An interrupted ensemble resumes: with a `checkpoint` folder, every finished member is saved there as it
finishes, and running the same ensemble again (same scenario, seed, parameter sets) loads those members and runs
only the others; since a member depends only on (scenario, seed, its index, its parameter set), the result is
identical to an uninterrupted run. `exitvoice run --ensemble`, `compare` and `sensitivity` keep the checkpoint
beside the output folder (`.<out>.members`; for `compare`, a folder per scenario in it) and remove it once the
outputs are written.

Outputs: quantiles 5/25/50/75/95 of every series (`timeseries_quantiles.parquet`), per-member totals and
parameters (`members.parquet`), the members' series (`member_series.parquet`, used by `validate` for coverage),
a summary and plots with bands.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, ExitvoiceError, IncompleteError
from .limits import MAX_TABLE_FILE_BYTES, SCHEDULER_CONNECT_SECONDS, check_input_file
from .outputs import atomic_folder, json_text
from .scenario import Scenario
from .units import headline_text, tidy_summary, tidy_values, whole_people, with_units

PRIOR_GROUPS = ("abroad", "callup", "economy", "events2022", "exit", "family", "passport", "risk", "routes", "rumour",
                "social", "trips", "voice")
"""Parameter groups whose declared priors an ensemble can draw from (`--draw-priors`); `population` is data."""

PACK_POSTERIOR = "pack"
"""`posterior=` of `run_ensemble` and `compare` (the default): the posterior the scenario's pack ships, if any."""
NOT_PARAMETERS = ("set_id", "loss", "trial", "weight", "generation", "distance")
"""Columns of a posterior file that are not parameters (an Optuna trial's loss, an ABC particle's weight, …)."""

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QCOLS = ("q05", "q25", "q50", "q75", "q95")


def read_posterior(path: str | Path, scenario: Scenario) -> pd.DataFrame:
    """Parameter sets (one per row, columns = parameter names, optional `set_id`), checked against the pack."""
    from .pack import load_pack
    from .params import ParameterSet

    path = Path(path)
    try:
        check_input_file(path, MAX_TABLE_FILE_BYTES, "posterior file")
    except ExitvoiceError as exc:
        raise DataError(exc.message, file=exc.file, given=exc.given, allowed=exc.allowed) from None
    try:
        post = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        kind = "Parquet" if path.suffix == ".parquet" else "CSV"
        raise DataError(f"not a readable {kind} file: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                        file=str(path), allowed="a posterior.parquet written by `exitvoice calibrate`, or a CSV "
                        "with one column per parameter and one row per set") from None
    if path.suffix != ".parquet":
        from .observations import duplicate_columns

        twice = duplicate_columns(path)
        if twice:
            raise DataError("a column is named twice in the header", file=str(path), field=twice[0], given=twice,
                            allowed="one column per parameter")
    if "set_id" not in post.columns:
        post.insert(0, "set_id", np.arange(len(post)))
    names = [c for c in post.columns if c not in NOT_PARAMETERS]
    if not names or post.empty:
        raise DataError("a posterior needs at least one parameter column and one row", file=str(path),
                        given=f"columns {list(post.columns)}, {len(post)} rows")
    ids = post["set_id"]
    if not pd.api.types.is_integer_dtype(ids) or ids.duplicated().any() or (ids < 0).any():
        raise DataError("set_id must be distinct whole numbers from 0", file=str(path), field="set_id",
                        given=ids.head(5).tolist())
    weights = []
    if "weight" in post.columns:
        from .packcheck import weight_problem

        problem = weight_problem(post["weight"])
        if problem:
            raise DataError(problem, file=str(path), field="weight", given=post["weight"].head(5).tolist(),
                            allowed="numbers ≥ 0 summing to more than 0 (or no weight column: equal weights)")
        weights = ["weight"]
    decl = load_pack(scenario.scenario.country).declarations
    for i, row in enumerate(post[names].to_dict("records")):
        ParameterSet(decl, {**scenario.parameters, **row}, source=f"{path} row {i + 1}",
                     allow_outside_range=scenario.scenario.allow_outside_range)
    return post[["set_id", *names, *weights]].reset_index(drop=True)


@dataclass(frozen=True)
class Posterior:
    """The parameter sets an ensemble draws its members' fitted parameters from, and where they come from."""

    sets: pd.DataFrame
    """`set_id`, a column per parameter drawn, and optionally `weight`."""
    source: str
    """Where the sets come from, in a few words (the band's text names it)."""
    held: tuple[str, ...] = ()
    """Parameters of the posterior the scenario sets: held at the scenario's value, their columns not used."""
    provenance: tuple[tuple[str, object], ...] = ()
    """The pack's `[calibration]` table (study, method, date, ESS), or the file read."""

    @property
    def parameters(self) -> list[str]:
        """The parameters drawn from the posterior."""
        return [c for c in self.sets.columns if c not in ("set_id", "weight")]

    def record(self) -> dict:
        """What an ensemble's summary says of its posterior."""
        return {"source": self.source, "parameters": self.parameters, "sets": len(self.sets),
                "weighted": "weight" in self.sets.columns, "held_by_scenario": list(self.held),
                **{k: str(v) if not isinstance(v, int | float) else v for k, v in self.provenance}}


def _holding(post: pd.DataFrame, scenario: Scenario) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The sets without the columns of parameters the scenario sets (`[parameters]`, `--set`), and those names."""
    from .params import PARAMETER_ALIASES

    fixed = {PARAMETER_ALIASES.get(k, k) for k in scenario.parameters}
    held = tuple(c for c in post.columns if c in fixed)
    return post.drop(columns=list(held)), held


def pack_posterior(scenario: Scenario) -> Posterior | None:
    """The posterior the scenario's pack ships (`[calibration]` of pack.toml), or None when it ships none."""
    from .pack import load_pack

    pack = load_pack(scenario.scenario.country)
    cal = pack.calibration
    if cal is None:
        return None
    sets, held = _holding(read_posterior(pack.posterior_file, scenario), scenario)
    source = f"pack {pack.path.name}: study {cal.study!r}, {cal.method}, {cal.date}, ESS {cal.ess:g}"
    provenance = (("pack", pack.path.name), ("file", str(pack.posterior_file)), ("study", cal.study),
                  ("method", cal.method), ("date", str(cal.date)), ("ess", float(cal.ess)))
    return Posterior(sets, source, held, provenance)


def resolve_posterior(scenario: Scenario, posterior: object, n: int) -> Posterior | None:
    """The posterior an ensemble of n members of `scenario` draws from (see the module docstring).

    `posterior` is `PACK_POSTERIOR` (the pack's, for n > 1), a file path (str or Path), a `Posterior`, a
    DataFrame of parameter sets (used as given: every column in every member, as sensitivity analysis does), or
    None (none: seed noise only).
    """
    if posterior is None or posterior is False:
        return None
    if isinstance(posterior, Posterior):
        return posterior
    if isinstance(posterior, pd.DataFrame):
        sets = posterior if "set_id" in posterior.columns else posterior.assign(set_id=np.arange(len(posterior)))
        return Posterior(sets, "given parameter sets")
    if isinstance(posterior, str) and posterior == PACK_POSTERIOR:
        return pack_posterior(scenario) if n > 1 else None
    if isinstance(posterior, str | Path):
        sets, held = _holding(read_posterior(posterior, scenario), scenario)
        return Posterior(sets, f"file {posterior}", held, (("file", str(posterior)),))
    raise ExitvoiceError("not a posterior", field="posterior", given=type(posterior).__name__,
                         allowed=f"{PACK_POSTERIOR!r} (the pack's), a file path, parameter sets, or None")


SCHEDULER_ALLOWED = ("tcp://HOST:PORT of a running Dask scheduler (e.g. tcp://10.0.0.5:8786), or HOST:PORT; other "
                     "transports (tls, ws, ucx, inproc) need settings exitvoice does not pass")


def check_scheduler(address: str) -> None:
    """Refuse a `--scheduler` that is not a Dask scheduler exitvoice can use, within `SCHEDULER_CONNECT_SECONDS`.

    The address is `tcp://host:port` or `host:port`. The check connects, then makes Dask's handshake and asks
    the scheduler who it is, each within the time limit, and says which step failed (exit code 2):

    - *could not connect* to the address: refused, no answer to the connection within the limit, a host or
      network that cannot be found or reached, or a connection closed by the other end before any answer;
    - *not a Dask scheduler*: something accepted the connection and then said nothing within the limit (Dask alone
      would wait for its handshake for ever), or answered, but not in Dask's protocol (a web server, a proxy), or
      is a Dask service of another kind (a worker).
    """
    import asyncio

    if not isinstance(address, str) or not address.strip():
        raise ExitvoiceError("the scheduler address is empty", field="--scheduler", given=address,
                             allowed=f"{SCHEDULER_ALLOWED}; leave --scheduler out to run here")
    scheme, sep, rest = address.strip().rpartition("://")
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    if (sep and scheme != "tcp") or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ExitvoiceError("not a scheduler address exitvoice can use", field="--scheduler", given=address,
                             allowed=SCHEDULER_ALLOWED)
    limit = f"{SCHEDULER_CONNECT_SECONDS:g} s (exitvoice.limits.SCHEDULER_CONNECT_SECONDS)"

    def unreachable(reason: str) -> ExitvoiceError:
        return ExitvoiceError(f"could not connect to {rest} ({reason})", field="--scheduler", given=address,
                              allowed=SCHEDULER_ALLOWED)

    try:
        socket.create_connection((host, int(port)), timeout=SCHEDULER_CONNECT_SECONDS).close()
    except TimeoutError:
        raise unreachable(f"no answer to the connection within {limit}") from None
    except socket.gaierror as exc:
        raise unreachable(f"host not found: {exc.strerror or exc}") from None
    except OSError as exc:
        raise unreachable((exc.strerror or str(exc)).lower()) from None
    wait = 1.5 * SCHEDULER_CONNECT_SECONDS  # Dask's own connection within the limit, its handshake in the rest
    try:
        reply = asyncio.run(asyncio.wait_for(_identity(f"tcp://{rest}"), wait))
    except TimeoutError:  # it accepted the connection, then said nothing Dask understands
        raise ExitvoiceError(f"{rest} accepted the connection but gave no Dask answer within {wait:g} s (1.5 × "
                             "exitvoice.limits.SCHEDULER_CONNECT_SECONDS): it is not a Dask scheduler (a scheduler "
                             "answers at once)", field="--scheduler", given=address,
                             allowed=SCHEDULER_ALLOWED) from None
    except OSError as exc:  # refused, timed out or closed before any answer (Dask's CommClosedError is an OSError)
        if type(exc).__name__ == "CommClosedError":
            raise unreachable("the other end closed the connection before any answer") from None
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise unreachable(first) from None
    except Exception:  # noqa: BLE001 - it answered, but not in Dask's protocol (garbage decodes into any error)
        status = _http_status(host, int(port))
        if status:
            raise ExitvoiceError(f"an HTTP server answered at {rest} ({status}), not a Dask scheduler: the address "
                                 "is a web server's, or an HTTP proxy stands between this machine and the scheduler "
                                 "(which then cannot be reached from here)", field="--scheduler", given=address,
                                 allowed=SCHEDULER_ALLOWED) from None
        raise ExitvoiceError(f"something answered at {rest}, but not in Dask's protocol: it is not a Dask scheduler",
                             field="--scheduler", given=address, allowed=SCHEDULER_ALLOWED) from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        kind = reply.get("type") if isinstance(reply, dict) else None
        raise ExitvoiceError(f"the Dask service at {rest} is not a scheduler" + (f" (it is a {kind})" if kind else ""),
                             field="--scheduler", given=address, allowed=SCHEDULER_ALLOWED)


def _http_status(host: str, port: int) -> str | None:
    """The status line an HTTP server (or proxy) at host:port answers a bare request with, else None."""
    try:
        with socket.create_connection((host, port), timeout=SCHEDULER_CONNECT_SECONDS) as s:
            s.settimeout(SCHEDULER_CONNECT_SECONDS)
            s.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
            first = s.recv(200).split(b"\r\n", 1)[0].decode("ascii", "replace")
    except OSError:
        return None
    return first if first.startswith("HTTP/") else None


async def _identity(address: str) -> object:
    """What the Dask service at `address` says it is (a scheduler answers {"type": "Scheduler", ...})."""
    from distributed.comm import connect

    comm = await connect(address, timeout=SCHEDULER_CONNECT_SECONDS)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def _member(scenario_json: dict, source: str, seed: int, member: int, overrides: dict
            ) -> tuple[np.ndarray, dict, pd.DataFrame | None]:
    """Run one member (in a worker): timeseries values in row order, the summary, and (member 0) the row index."""
    from .api import run

    sc = Scenario.from_dict({**scenario_json, "parameters": {**scenario_json["parameters"], **overrides}},
                            source=source)
    from .workers import task_progress

    res = run(sc, seed=seed, member=member, check=False, progress=task_progress())
    index = res.timeseries[["date", "quantity", "geography"]] if member == 0 else None
    return res.timeseries.value.to_numpy(), res.summary, index


def quantiles(values: np.ndarray, qs, axis: int = 0) -> np.ndarray:
    """`np.quantile` over `axis`, also where members are infinite (a route's `capacity` with none declared).

    The interpolation between two infinities (inf - inf) or an infinity weighted 0 (inf * 0) gives NaN and a
    RuntimeWarning; there the quantile is the nearest member's value (the infinity, or the finite member).
    """
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        q = np.quantile(values, qs, axis=axis)
    bad = np.isnan(q) & ~np.isnan(values).any(axis=axis)
    if bad.any():
        q = np.where(bad, np.quantile(values, qs, axis=axis, method="nearest"), q)
    return q


@dataclass(repr=False)
class EnsembleResults:
    """The members' series (values [member, row] over a shared row index) and summaries."""

    scenario: Scenario
    seed: int
    index: pd.DataFrame  # date, quantity, geography of each row
    values: np.ndarray
    summaries: list[dict]
    members: pd.DataFrame
    band: str = "seed noise only"  # what the band includes (`band_text`)
    posterior: dict | None = None  # where the fitted parameters were drawn from (`Posterior.record`)

    @property
    def n(self) -> int:
        """Number of members."""
        return len(self.summaries)

    def __repr__(self) -> str:
        """A few lines: the scenario, its members and what their band includes, headline numbers, the tables."""
        first = self.summaries[0] if self.summaries else {}
        scale = first.get("population_scale", 1.0)
        covers = (first.get("coverage") or {}).get("description") or "the whole country"
        sets = int(self.members.param_set.nunique()) if "param_set" in self.members else 1
        totals = self.summary()["totals"] if self.summaries else {}
        figures = headline_text(totals, scale, self.n)
        if self.n > 1 and figures:
            figures += " (median [5%–95%] of the members"
            figures += f", scaled up by 1/{scale:g})" if scale != 1 else ")"
        rows, cols = self.values.shape if self.values.ndim == 2 else (0, 0)
        return (f"<Ensemble {self.scenario.name} · {self.n} member{'s' if self.n != 1 else ''}, seed {self.seed}"
                f"{f', {sets} parameter sets' if sets > 1 else ''} · {first.get('start')} to {first.get('end')} · "
                f"{covers}\n  {figures}\n  band: {self.band} · .members ({len(self.members)} rows), "
                f".values ({rows} × {cols:,}), .summary(), .quantiles(), .write(out)>")

    def quantiles(self) -> pd.DataFrame:
        """Quantiles 5/25/50/75/95 of every series, by date."""
        q = quantiles(self.values, QUANTILES)
        return self.index.assign(**{c: q[i] for i, c in enumerate(QCOLS)})

    def member_series(self) -> pd.DataFrame:
        """Every member's series, long (member, date, quantity, geography, value)."""
        n, rows = self.values.shape
        return pd.DataFrame({
            "member": np.repeat(np.arange(n), rows),
            "date": np.tile(self.index.date.to_numpy(), n),
            "quantity": np.tile(self.index.quantity.to_numpy(), n),
            "geography": np.tile(self.index.geography.to_numpy(), n),
            "value": self.values.ravel(),
        })

    def summary(self) -> dict:
        """Ensemble summary: members, seed, and quantiles of every scalar total."""
        totals = pd.DataFrame([s["totals"] for s in self.summaries]).select_dtypes("number")
        first = self.summaries[0]
        return {
            "scenario": first["scenario"], "ensemble": self.n, "seed": self.seed, "version": first["version"],
            "country": first.get("country"), "currency": first.get("currency"),
            "start": first["start"], "end": first["end"], "population": first["population"],
            "population_scale": first["population_scale"], "coverage": first.get("coverage"),
            "parameter_sets": int(self.members.param_set.nunique()),
            "band": self.band,
            "posterior": self.posterior,
            "warnings": sorted({w for s in self.summaries for w in s.get("warnings", [])}),
            "totals": {c: dict(zip(QCOLS, np.quantile(totals[c].dropna(), QUANTILES).tolist(), strict=True))
                       for c in totals.columns if totals[c].notna().any()},
        }

    def write(self, out: str | Path, *, force: bool = False, plots: bool = True) -> Path:
        """Write the ensemble folder atomically."""
        from .pack import load_pack

        currency = load_pack(self.scenario.scenario.country).currency  # money in the pack's currency
        with atomic_folder(out, force=force) as tmp:
            (tmp / "summary.json").write_text(json_text(tidy_summary(self.summary())))
            (tmp / "scenario.json").write_text(json_text(self.scenario.model_dump(mode="json")))
            with_units(tidy_values(self.quantiles(), QCOLS), currency).to_parquet(
                tmp / "timeseries_quantiles.parquet", index=False)
            whole_people(self.members).to_parquet(tmp / "members.parquet", index=False)
            with_units(tidy_values(self.member_series()), currency).to_parquet(tmp / "member_series.parquet",
                                                                               index=False)
            if plots:
                from .plots import ensemble_plots

                ensemble_plots(self, tmp / "plots")
        return Path(out)


def _execute(calls: list[tuple[int, tuple]], jobs: int, scheduler: str | None, on_progress=None):
    """Run `_member(*args)` for every (i, args), yielding (i, result) as each finishes.

    `on_progress(i, days done, days)` follows the members day by day (not on a Dask cluster).

    Members run on a Dask cluster (`scheduler`), in `jobs` local worker processes (`exitvoice.workers`), or in
    this process.
    """
    if scheduler is not None:
        try:
            from distributed import Client
            from distributed import as_completed as dask_completed
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise ExitvoiceError("--scheduler needs dask.distributed installed") from exc
        try:
            client = Client(scheduler, timeout=SCHEDULER_CONNECT_SECONDS)
        except (OSError, TimeoutError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ExitvoiceError(f"could not connect to the Dask scheduler ({first})", field="--scheduler",
                                 given=scheduler, allowed=SCHEDULER_ALLOWED) from None
        with client:
            futures = {client.submit(_member, *args, pure=False): i for i, args in calls}
            for fut in dask_completed(futures):
                yield futures[fut], fut.result()
    elif jobs == 1:
        from .workers import set_task_progress

        for i, args in calls:
            set_task_progress((lambda d, t, i=i: on_progress(i, d, t)) if on_progress else None)
            try:
                result = _member(*args)
            finally:
                set_task_progress(None)
            yield i, result
    else:  # fresh interpreters that import only exitvoice: safe in a user's script without a main guard
        from .workers import run_tasks

        yield from run_tasks(_member, calls, jobs, on_progress)


class Checkpoint:
    """Finished members of one ensemble, saved as they finish so that an interrupted ensemble resumes.

    The folder holds `key.txt` (a hash of the scenario, seed and parameter sets: members of another ensemble
    are never mixed in) and one `member-<i>.npz` per finished member, each written to a temporary name and
    renamed, so a member is either wholly there or not at all.
    """

    def __init__(self, folder: str | Path, key: str) -> None:
        self.folder = Path(folder)
        self.key = key
        self.restarted = False
        """Whether the folder held another ensemble's members (another scenario, seed or parameter sets), removed."""
        if self.folder.is_dir() and (self.folder / "key.txt").is_file():
            if (self.folder / "key.txt").read_text().strip() != key:  # another ensemble's: start afresh
                self.clear()
                self.restarted = True
        elif self.folder.exists() and (not self.folder.is_dir() or any(self.folder.iterdir())):
            raise ExitvoiceError("something exitvoice did not write stands where it keeps an ensemble's finished "
                                 "members", field="--out", given=str(self.folder),
                                 allowed="move it away, or write the ensemble to another folder")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / "key.txt").write_text(key + "\n")
        except OSError as exc:
            raise ExitvoiceError(f"cannot keep the finished members there ({exc.strerror or exc})", field="--out",
                                 given=str(self.folder),
                                 allowed="a folder exitvoice can write beside the output") from None


    def done(self) -> dict[int, tuple]:
        """Members saved so far: {index: (values, summary, index frame or None)}."""
        out = {}
        for f in sorted(self.folder.glob("member-*.npz")):
            try:
                i = int(f.stem.split("-", 1)[1])
                with np.load(f, allow_pickle=False) as z:
                    summary = json.loads(str(z["summary"]))
                    index = (pd.DataFrame({"date": z["dates"], "quantity": z["quantities"],
                                           "geography": z["geographies"]}) if "dates" in z.files else None)
                    out[i] = (z["values"], summary, index)
            except (OSError, ValueError, KeyError):  # a damaged file: that member runs again
                f.unlink(missing_ok=True)
        return out

    def save(self, i: int, result: tuple) -> None:
        """Save member i's result atomically."""
        values, summary, index = result
        extra = {}
        if index is not None:
            extra = {"dates": index.date.to_numpy(),
                     "quantities": index.quantity.to_numpy().astype(str),
                     "geographies": index.geography.to_numpy().astype(str)}
        tmp = self.folder / f".member-{i}.tmp.npz"
        np.savez(tmp, values=values, summary=np.array(json.dumps(summary, default=str)), **extra)
        os.replace(tmp, self.folder / f"member-{i}.npz")

    def clear(self) -> None:
        """Remove the checkpoint (once the ensemble's outputs are written)."""
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)


def checkpoint_key(scenario_json: dict, seed: int, sets: pd.DataFrame, common_random_numbers: bool,
                   params: dict | None = None) -> str:
    """What members depend on: scenario, seed, parameter sets, stream rule, parameter values and version.

    The parameter values are the pack's defaults with the scenario's overrides. Members kept by an interrupted
    ensemble are resumed only by the same model: after an upgrade, or a change of the pack's parameters, they are
    computed again rather than mixed with members of another model.
    """
    from . import __version__

    h = hashlib.sha256(json.dumps(scenario_json, sort_keys=True, default=str).encode())
    h.update(f"{seed}|{common_random_numbers}|{__version__}|".encode())
    h.update(json.dumps(params or {}, sort_keys=True).encode())
    h.update(sets.to_csv(index=False).encode())
    return h.hexdigest()


def prior_sets(scenario: Scenario, groups: list[str], n: int, seed: int, exclude: set[str]) -> pd.DataFrame:
    """Parameter sets (n) drawn from the declared priors of the parameters of `groups` (member i: row i).

    A parameter fixed by the scenario (`[parameters]` or `--set`), in `exclude` (e.g. fitted, from a posterior), or
    declared `fixed` is not drawn. Draws are `uniform` or log-uniform over the declared range, from
    `SeedSequence(seed, spawn_key=(2**31,))`, independent of the members' own streams.
    """
    from .pack import load_pack

    bad = sorted(set(groups) - set(PRIOR_GROUPS))
    if bad:
        raise ExitvoiceError("unknown parameter group", field="--draw-priors", given=bad, allowed=list(PRIOR_GROUPS))
    decl = load_pack(scenario.scenario.country).declarations
    names = [k for k, d in decl.items() if k.split(".")[0] in groups and d.prior != "fixed" and d.low < d.high
             and k not in scenario.parameters and k not in exclude]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31,)))
    cols = {}
    for k in names:
        d = decl[k]
        u = rng.random(n)
        v = np.exp(np.log(d.low) + u * (np.log(d.high) - np.log(d.low))) if d.prior == "loguniform" \
            else d.low + u * (d.high - d.low)
        cols[k] = np.round(v) if d.is_integer else v
    return pd.DataFrame(cols)


def band_text(n: int, posterior_params: int, prior_groups: list[str], prior_params: int, *,
              posterior_source: str | None = None, held: int = 0) -> str:
    """What an ensemble's band includes, in words (`posterior_source`: where the posterior comes from)."""
    if n == 1:
        return "a single run: no band"
    parts = ["seed noise"]
    if posterior_params:
        of = f" ({posterior_source})" if posterior_source else ""
        also = f"; {held} more held at the scenario's values" if held else ""
        parts.append(f"posterior of {posterior_params} fitted parameter{'s' if posterior_params != 1 else ''}"
                     f"{of}{also}")
    if prior_params:
        parts.append(f"priors of {prior_params} parameters ({', '.join(prior_groups)})")
    return " + ".join(parts) if len(parts) > 1 else "seed noise only"


def run_ensemble(scenario: Scenario, n: int, *, seed: int = 0, jobs: int = 1,
                 posterior: Posterior | pd.DataFrame | str | Path | None = PACK_POSTERIOR,
                 scheduler: str | None = None, progress: Callable[[int, int], None] | None = None,
                 common_random_numbers: bool = False, checkpoint: str | Path | None = None,
                 notify: Callable[[str, int, int, Path], None] | None = None,
                 draw_priors: list[str] | None = None) -> EnsembleResults:
    """Run n members; see the module docstring.

    `posterior` says where the members' fitted parameters come from: `PACK_POSTERIOR` (the default) the posterior
    the scenario's pack ships, if it ships one and n > 1; a file path (a calibration's `posterior.parquet`, or CSV)
    another; a DataFrame of parameter sets, used as given; None none (the band is then seed noise only, unless
    `draw_priors`). A parameter the scenario sets is held at its value (its posterior column is not used), except
    in a DataFrame given directly.
    With `common_random_numbers`, every member draws from member 0's stream, so members differ only by their
    parameter sets (for sensitivity analysis). With `checkpoint` (a folder), finished members are saved there and
    members already saved by an interrupted run of the same ensemble are loaded instead of run again; `notify(event,
    members done, n, folder)` is then told "resumed" when members were loaded, and "restarted" when the folder held
    another ensemble's members (the scenario, the seed or the parameter sets changed), which were removed.
    With `draw_priors` (parameter groups, e.g. ["economy", "voice", "events2022"]), every member also draws the
    parameters of those groups from their declared priors (`prior_sets`): the band then includes their uncertainty.
    `progress(members done, n)` is called as members advance, day by day (members done counts the running members'
    shares of their days, so it is fractional until the end).
    """
    if n < 1:
        raise ExitvoiceError("an ensemble needs at least one member", field="--ensemble", given=n)
    if jobs < 1:
        raise ExitvoiceError("jobs must be at least 1", field="--jobs", given=jobs)
    if scheduler is not None and not (isinstance(scheduler, str) and scheduler.strip()):
        check_scheduler(scheduler)  # an empty address is not "no scheduler": refused, as the command line does
    post = resolve_posterior(scenario, posterior, n)
    sets = post.sets if post is not None else pd.DataFrame({"set_id": [0]})
    if "weight" in sets.columns:  # weighted particles: one set per member by systematic resampling
        w = sets["weight"].to_numpy(dtype=float)
        u = (np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31 + 1,))).random() + np.arange(n)) / n
        idx = np.minimum(np.searchsorted(np.cumsum(w / w.sum()), u), len(w) - 1)
        sets = sets.drop(columns="weight").iloc[idx].reset_index(drop=True)
    fitted = [c for c in sets.columns if c != "set_id"]
    drawn = pd.DataFrame()
    if draw_priors:
        drawn = prior_sets(scenario, list(draw_priors), n, seed, set(fitted))
        rows = sets.iloc[np.arange(n) % len(sets)].reset_index(drop=True)
        sets = pd.concat([rows.drop(columns="set_id"), drawn], axis=1)
        sets.insert(0, "set_id", np.arange(n))
    names = [c for c in sets.columns if c != "set_id"]
    sc_json = scenario.model_dump(mode="json")
    source = scenario.source or "<scenario>"
    tasks = []
    for i in range(n):
        row = sets.iloc[i % len(sets)]
        tasks.append((i, int(row.set_id), {k: float(row[k]) for k in names}))
    stream = (lambda i: 0) if common_random_numbers else (lambda i: i)
    results: dict[int, tuple[np.ndarray, dict, pd.DataFrame | None]] = {}
    store = None
    if checkpoint is not None:
        store = Checkpoint(checkpoint, checkpoint_key(sc_json, seed, sets, common_random_numbers,
                                                      params=dict(scenario.parameter_set().items())))
        results = {i: r for i, r in store.done().items() if i < n}
        if notify and store.restarted:
            notify("restarted", 0, n, store.folder)
        if notify and results:
            notify("resumed", len(results), n, store.folder)
    calls = [(i, (sc_json, source, seed, stream(i), ov)) for i, _, ov in tasks if i not in results]
    if progress:
        progress(len(results), n)
    share: dict[int, float] = {}  # of each running member, the share of its days done

    def member_progress(i: int, done: int, total: int) -> None:
        share[i] = done / max(total, 1)
        progress(len(results) + sum(share.values()), n)

    try:
        for i, result in _execute(calls, jobs, scheduler, member_progress if progress else None):
            results[i] = result
            share.pop(i, None)
            if store is not None:
                store.save(i, result)
            if progress:
                progress(len(results) + sum(share.values()), n)
    except IncompleteError as exc:  # a worker killed or interrupted on its own: say what is kept
        kept = len(store.done()) if store is not None else 0
        if store is not None and not kept:
            store.clear()
        more = (f"; the {kept} finished member(s) of {n} are kept ({store.folder}): the same command again runs the "
                "others" if kept else f"; none of the {n} members had finished")
        raise IncompleteError(exc.message + more) from None
    except BaseException:
        if store is not None and not store.done():
            store.clear()  # nothing to resume from (a scheduler that failed, say): leave no empty checkpoint behind
        raise
    values = np.stack([results[i][0] for i in range(n)])
    summaries = [results[i][1] for i in range(n)]
    members = pd.DataFrame([{"member": i, "seed": seed, "stream": stream(i), "param_set": s, **ov,
                             **{k: v for k, v in summaries[i]["totals"].items()}} for i, s, ov in tasks])
    band = band_text(n, len(fitted), sorted(draw_priors or []), drawn.shape[1],
                     posterior_source=post.source if post is not None else None,
                     held=len(post.held) if post is not None else 0)
    return EnsembleResults(scenario, seed, results[0][2], values, summaries, members, band=band,
                           posterior=post.record() if post is not None and n > 1 else None)
