"""Ensembles (docs/model.md §14): N runs over seeds and, with a posterior file, over parameter sets.

Member i uses the random stream `SeedSequence(seed, spawn_key=(i,))` (recorded as `stream`) and parameter set
`i mod n_sets` of the posterior (or the scenario's parameters): it is reproducible on its own from (seed, i,
parameter set) with `exitvoice.run(scenario, seed=seed, params=..., member=i)`. Members run in local processes
(`jobs`) or on a Dask distributed cluster (`scheduler`), with identical results either way.

An interrupted ensemble resumes: with a `checkpoint` folder, every finished member is saved there as it
finishes, and running the same ensemble again (same scenario, seed, parameter sets) loads those members and runs
only the others; since a member depends only on (scenario, seed, its index, its parameter set), the result is
identical to an uninterrupted run. `exitvoice run --ensemble` keeps the checkpoint beside the output folder
(`.<out>.members`) and removes it once the outputs are written.

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

from .errors import DataError, ExitvoiceError
from .limits import MAX_TABLE_FILE_BYTES, SCHEDULER_CONNECT_SECONDS, check_file_size
from .outputs import atomic_folder, json_text
from .scenario import Scenario
from .units import tidy_summary, tidy_values, with_units

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QCOLS = ("q05", "q25", "q50", "q75", "q95")


def read_posterior(path: str | Path, scenario: Scenario) -> pd.DataFrame:
    """Parameter sets (one per row, columns = parameter names, optional `set_id`), checked against the pack."""
    from .pack import load_pack
    from .params import ParameterSet

    path = Path(path)
    if not path.is_file():
        raise DataError("no such posterior file", file=str(path))
    check_file_size(path, MAX_TABLE_FILE_BYTES, "posterior file")
    try:
        post = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        kind = "Parquet" if path.suffix == ".parquet" else "CSV"
        raise DataError(f"not a readable {kind} file: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                        file=str(path), allowed="a posterior.parquet written by `exitvoice calibrate`, or a CSV "
                        "with one column per parameter and one row per set") from None
    if "set_id" not in post.columns:
        post.insert(0, "set_id", np.arange(len(post)))
    names = [c for c in post.columns if c not in ("set_id", "loss", "trial")]
    if not names or post.empty:
        raise DataError("a posterior needs at least one parameter column and one row", file=str(path),
                        given=f"columns {list(post.columns)}, {len(post)} rows")
    ids = post["set_id"]
    if not pd.api.types.is_integer_dtype(ids) or ids.duplicated().any() or (ids < 0).any():
        raise DataError("set_id must be distinct whole numbers from 0", file=str(path), field="set_id",
                        given=ids.head(5).tolist())
    decl = load_pack(scenario.scenario.country).declarations
    for i, row in enumerate(post[names].to_dict("records")):
        ParameterSet(decl, {**scenario.parameters, **row}, source=f"{path} row {i + 1}",
                     allow_outside_range=scenario.scenario.allow_outside_range)
    return post[["set_id", *names]].reset_index(drop=True)


def check_scheduler(address: str) -> None:
    """Refuse a Dask scheduler that does not accept a connection within `SCHEDULER_CONNECT_SECONDS`."""
    rest = address.split("://", 1)[1] if "://" in address else address
    scheme = address.split("://", 1)[0] if "://" in address else "tcp"
    allowed = "the address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786"
    if scheme not in ("tcp", "tls"):
        return  # other transports (inproc, ucx, ws) are left to Dask, which is given the same timeout
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ExitvoiceError("not a scheduler address", field="--scheduler", given=address, allowed=allowed)
    try:
        socket.create_connection((host, int(port)), timeout=SCHEDULER_CONNECT_SECONDS).close()
    except OSError as exc:
        raise ExitvoiceError(f"cannot reach the Dask scheduler ({exc.strerror or exc})", field="--scheduler",
                             given=address, allowed=allowed) from None


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


@dataclass
class EnsembleResults:
    """The members' series (values [member, row] over a shared row index) and summaries."""

    scenario: Scenario
    seed: int
    index: pd.DataFrame  # date, quantity, geography of each row
    values: np.ndarray
    summaries: list[dict]
    members: pd.DataFrame

    @property
    def n(self) -> int:
        """Number of members."""
        return len(self.summaries)

    def quantiles(self) -> pd.DataFrame:
        """Quantiles 5/25/50/75/95 of every series, by date."""
        q = np.quantile(self.values, QUANTILES, axis=0)
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
            "start": first["start"], "end": first["end"], "population": first["population"],
            "population_scale": first["population_scale"], "coverage": first.get("coverage"),
            "parameter_sets": int(self.members.param_set.nunique()),
            "warnings": sorted({w for s in self.summaries for w in s.get("warnings", [])}),
            "totals": {c: dict(zip(QCOLS, np.quantile(totals[c].dropna(), QUANTILES).tolist(), strict=True))
                       for c in totals.columns if totals[c].notna().any()},
        }

    def write(self, out: str | Path, *, force: bool = False, plots: bool = True) -> Path:
        """Write the ensemble folder atomically."""
        with atomic_folder(out, force=force) as tmp:
            (tmp / "summary.json").write_text(json_text(tidy_summary(self.summary())))
            (tmp / "scenario.json").write_text(json_text(self.scenario.model_dump(mode="json")))
            with_units(tidy_values(self.quantiles(), QCOLS)).to_parquet(tmp / "timeseries_quantiles.parquet",
                                                                        index=False)
            self.members.to_parquet(tmp / "members.parquet", index=False)
            with_units(tidy_values(self.member_series())).to_parquet(tmp / "member_series.parquet", index=False)
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
    if scheduler:
        try:
            from distributed import Client
            from distributed import as_completed as dask_completed
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise ExitvoiceError("--scheduler needs dask.distributed installed") from exc
        try:
            client = Client(scheduler, timeout=SCHEDULER_CONNECT_SECONDS)
        except (OSError, TimeoutError) as exc:
            raise ExitvoiceError(f"cannot reach the Dask scheduler ({exc})", field="--scheduler",
                                 given=scheduler) from None
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
        if self.folder.is_dir() and (self.folder / "key.txt").is_file():
            if (self.folder / "key.txt").read_text().strip() != key:  # another ensemble's: start afresh
                self.clear()
        elif self.folder.exists() and (not self.folder.is_dir() or any(self.folder.iterdir())):
            raise ExitvoiceError("something exitvoice did not write stands where it keeps an ensemble's finished "
                                 "members", field="--out", given=str(self.folder),
                                 allowed="move it away, or write the ensemble to another folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "key.txt").write_text(key + "\n")

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


def checkpoint_key(scenario_json: dict, seed: int, sets: pd.DataFrame, common_random_numbers: bool) -> str:
    """What members depend on: the scenario, the seed, the parameter sets and the stream rule."""
    h = hashlib.sha256(json.dumps(scenario_json, sort_keys=True, default=str).encode())
    h.update(f"{seed}|{common_random_numbers}|".encode())
    h.update(sets.to_csv(index=False).encode())
    return h.hexdigest()


def run_ensemble(scenario: Scenario, n: int, *, seed: int = 0, jobs: int = 1, posterior: pd.DataFrame | None = None,
                 scheduler: str | None = None, progress: Callable[[int, int], None] | None = None,
                 common_random_numbers: bool = False, checkpoint: str | Path | None = None) -> EnsembleResults:
    """Run n members; see the module docstring.

    With `common_random_numbers`, every member draws from member 0's stream, so members differ only by their
    parameter sets (for sensitivity analysis). With `checkpoint` (a folder), finished members are saved there and
    members already saved by an interrupted run of the same ensemble are loaded instead of run again.
    `progress(members done, n)` is called as members advance, day by day (members done counts the running members'
    shares of their days, so it is fractional until the end).
    """
    if n < 1:
        raise ExitvoiceError("an ensemble needs at least one member", field="--ensemble", given=n)
    if jobs < 1:
        raise ExitvoiceError("jobs must be at least 1", field="--jobs", given=jobs)
    sets = posterior if posterior is not None else pd.DataFrame({"set_id": [0]})
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
        store = Checkpoint(checkpoint, checkpoint_key(sc_json, seed, sets, common_random_numbers))
        results = {i: r for i, r in store.done().items() if i < n}
    calls = [(i, (sc_json, source, seed, stream(i), ov)) for i, _, ov in tasks if i not in results]
    if progress:
        progress(len(results), n)
    share: dict[int, float] = {}  # of each running member, the share of its days done

    def member_progress(i: int, done: int, total: int) -> None:
        share[i] = done / max(total, 1)
        progress(len(results) + sum(share.values()), n)

    for i, result in _execute(calls, jobs, scheduler, member_progress if progress else None):
        results[i] = result
        share.pop(i, None)
        if store is not None:
            store.save(i, result)
        if progress:
            progress(len(results) + sum(share.values()), n)
    values = np.stack([results[i][0] for i in range(n)])
    summaries = [results[i][1] for i in range(n)]
    members = pd.DataFrame([{"member": i, "seed": seed, "stream": stream(i), "param_set": s, **ov,
                             **{k: v for k, v in summaries[i]["totals"].items()}} for i, s, ov in tasks])
    return EnsembleResults(scenario, seed, results[0][2], values, summaries, members)
