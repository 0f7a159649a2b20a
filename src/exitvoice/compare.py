"""Compare scenarios side by side (docs/model.md §12, §15): a table with 90% bands, overlaid plots, findings.

Each input is a scenario file (run here, as an ensemble of `n` members) or a run or ensemble folder (read). All
must be of the same country and cover the same dates. Per member, from its series (scaled to the whole country):

- `left`: departures of leavers (not trips) over the run; `abroad_at_end`: leavers abroad on the last day;
- `mobilised`: mobilised people on the last day;
- for the *headline mobilisation* (the one that starts last: the wave the comparison is about), with target T
  starting on day s: `left_since_callup` (departures from s on), `quota_fill` = mobilised since s / T,
  `days_to_fill` (from s to the day T is reached; missing when it is not), `share_filled` (of the members),
  `exits_per_recruit` = departures since s / mobilised since s;
- `peak_queue_wait_hours` (any crossing), `passports_issued`, and where a policy produces them `exempt_at_end`
  (social contract), `visas_issued` (exit visas), `conscripted_at_end`.

Each metric is reported as its median and its 5–95% band over members. The first input is the reference the
findings compare the others with.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import regional
from .errors import DataError, ScenarioError
from .labels import METRICS
from .outputs import atomic_folder, json_text
from .scenario import Scenario
from .units import fmt_metric
from .validate import Simulated

AMOUNTS = {"output_loss_pct_end"}  # metrics that are amounts, not counts: "higher"/"lower", not "more"/"fewer"
MIN_MEMBERS = 10  # fewer members: differences are reported without a verdict on the bands


@dataclass
class Case:
    """One scenario's members: its validated scenario, series and where they came from."""

    name: str
    scenario: Scenario
    sim: Simulated
    origin: str
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)  # [member, metric]
    ensemble: object | None = None  # the EnsembleResults of a scenario run here


def headline_mobilisation(sc: Scenario):
    """The mobilisation that starts last (None without one)."""
    mobs = [p for p in sc.policy if p.type == "mobilisation"]
    return max(mobs, key=lambda p: p.start) if mobs else None


def case_metrics(case: Case) -> pd.DataFrame:
    """Per-member metrics of one case."""
    sim, sc = case.sim, case.scenario
    dates = sim.dates

    origin = sim.origin  # origin totals: the pack's code (RU)

    def get(q: str, geo: str = origin) -> np.ndarray | None:
        return sim.series.get((q, geo))

    n = sim.members
    cum = get("cum_departures_ru")
    mob = get("mobilised_cum")
    out: dict[str, np.ndarray] = {
        "left": cum[:, -1], "abroad_at_end": get("abroad_stock")[:, -1], "mobilised": mob[:, -1],
    }
    head = headline_mobilisation(sc)
    if head is not None:
        s = int(np.searchsorted(dates, pd.Timestamp(head.start)))
        base_mob = mob[:, s - 1] if s > 0 else np.zeros(n)
        base_cum = cum[:, s - 1] if s > 0 else np.zeros(n)
        got = mob - base_mob[:, None]
        since = got[:, -1]
        target = regional.target(sc, head)  # the simulated regions' share in a regional run
        out["quota_fill"] = since / target
        reached = got >= target - 0.5
        reached[:, :s] = False
        first = np.where(reached.any(axis=1), reached.argmax(axis=1), -1)
        out["days_to_fill"] = np.where(first >= 0, first - s + 1, np.nan).astype(float)
        out["share_filled"] = (first >= 0).astype(float)
        out["left_since_callup"] = cum[:, -1] - base_cum
        with np.errstate(divide="ignore", invalid="ignore"):
            out["exits_per_recruit"] = np.where(since > 0, (cum[:, -1] - base_cum) / since, np.nan)
    waits = [v for (q, _), v in sim.series.items() if q == "queue_wait_hours"]
    out["peak_queue_wait_hours"] = np.max([w.max(axis=1) for w in waits], axis=0) if waits else np.zeros(n)
    out["passports_issued"] = get("passports_issued").sum(axis=1)
    for key, q, how in (("exempt_at_end", "state_exempt", "last"), ("visas_issued", "visas_issued", "sum"),
                        ("conscripted_at_end", "state_conscripted", "last"),
                        ("output_loss_pct_end", "output_loss_pct", "last"),
                        ("output_loss_rub_cumulative", "output_loss_rub_per_day", "sum"),
                        ("workers_lost_end", "workers_lost", "last"),
                        ("protest_person_days", "protesters", "sum"), ("detained", "detained", "sum"),
                        ("opposed_abroad_end", "opposed_abroad", "last")):
        v = get(q)
        if v is not None and v.any():
            out[key] = v[:, -1] if how == "last" else v.sum(axis=1)
    detained = get("detained_cum")
    if "detained" in out and detained is not None:  # a run's folder: the total rounded once, as its summary is
        out["detained"] = detained[:, -1]  # (not the sum of days each rounded to whole people)
    protesters = get("protesters")
    if protesters is not None:
        out["protesters_peak"] = protesters.max(axis=1)
    return pd.DataFrame(out)


def band(values: np.ndarray) -> tuple[float, float, float]:
    """5%, median and 95% of the finite values (NaN when there are none)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return (np.nan, np.nan, np.nan)
    q = np.quantile(v, [0.05, 0.5, 0.95])
    return float(q[0]), float(q[1]), float(q[2])


def metric_band(metrics: pd.DataFrame, m: str) -> tuple[float, float, float]:
    """A metric over the members: its 5%, median and 95% (`band`); `share_filled` is one number, the share itself.

    Each member fills the quota (1) or not (0): the share of members that do is their mean (2 of 3: 0.67), not a
    median with a band (a median of 1 and a "band" of 0.10–1.00).
    """
    values = metrics[m].to_numpy(dtype=float)
    if m == "share_filled":
        share = float(np.mean(values)) if values.size else np.nan
        return share, share, share
    return band(values)


def check_aligned(cases: list[Case]) -> None:
    """All cases: one country, the same dates, distinct names."""
    ref = cases[0]
    names = [c.name for c in cases]
    dup = sorted({x for x in names if names.count(x) > 1})
    if dup:
        raise ScenarioError("two inputs have the same scenario name", field="scenario.name", given=dup,
                            allowed="distinct names (compare one copy of each scenario)")
    for c in cases[1:]:
        a, b = ref.scenario.scenario, c.scenario.scenario
        if a.country != b.country:
            raise ScenarioError("the scenarios are of different countries", file=c.origin, field="scenario.country",
                                given=b.country, allowed=f"{a.country} (as {ref.origin})")
        if (a.start, a.end) != (b.start, b.end):
            raise ScenarioError("the scenarios do not cover the same dates", file=c.origin,
                                field="scenario.start/end", given=f"{b.start}..{b.end}",
                                allowed=f"{a.start}..{a.end} (as {ref.origin})")


@dataclass
class Comparison:
    """Cases side by side."""

    cases: list[Case]
    stored: pd.DataFrame | None = None
    """The table a comparison folder holds (`comparison.csv`), read back: then `table` is that table, not one
    recomputed from the runs it wrote (whose series hold whole people of the sample, not the members' exact
    values), so the report shows the numbers `exitvoice compare` printed."""

    def table(self) -> pd.DataFrame:
        """Long table: scenario, metric, q05, q50, q95, members (people whole, other metrics to 4 digits).

        The one source of the printed table, of comparison.csv/.json and of the report.
        """
        if self.stored is not None:
            return self.stored.copy()
        rows = []
        for c in self.cases:
            for m in METRICS:
                if m in c.metrics:
                    lo, mid, hi = (_rounded(m, x) for x in metric_band(c.metrics, m))
                    rows.append({"scenario": c.name, "metric": m, "q05": lo, "q50": mid, "q95": hi,
                                 "members": c.sim.members})
        return pd.DataFrame(rows, columns=["scenario", "metric", "q05", "q50", "q95", "members"])

    def wide(self) -> pd.DataFrame:
        """Metric × scenario, each cell 'median [5%–95%]'."""
        t = self.table()
        t["cell"] = [_fmt_band(r.metric, r.q05, r.q50, r.q95) for r in t.itertuples()]
        w = t.pivot(index="metric", columns="scenario", values="cell")
        names = [c.name for c in self.cases] or list(dict.fromkeys(t.scenario))
        w = w.reindex([m for m in METRICS if m in w.index])[names]
        w.index = [METRICS[m] for m in w.index]
        return w.fillna("—")

    def table_note(self) -> str:
        """What the table's cells are, in one sentence (under comparison.md)."""
        members = sorted({c.sim.members for c in self.cases})
        cells = (f"Each cell: median [5%–95%] over {'/'.join(map(str, members))} members"
                 if max(members) > 1 else "Each cell: a single run's figure")
        return f"{cells}; for {coverage_words(self.cases)}."

    def findings(self) -> str:
        """The answer in plain words, with the numbers."""
        return findings_text(self)

    def write(self, out: str | Path, *, force: bool = False, plots: bool = True) -> Path:
        """comparison.csv/.json, findings.md, comparison.md and plots, atomically (people as whole numbers)."""
        t = self.table()
        with atomic_folder(out, force=force) as tmp:
            t.to_csv(tmp / "comparison.csv", index=False)
            payload = {
                "scenarios": [{"name": c.name, "origin": c.origin, "members": c.sim.members,
                               "start": str(c.scenario.scenario.start), "end": str(c.scenario.scenario.end),
                               "metrics": {r.metric: {"q05": _num(r.q05), "q50": _num(r.q50), "q95": _num(r.q95)}
                                           for r in t[t.scenario == c.name].itertuples()}}
                              for c in self.cases],
            }
            (tmp / "comparison.json").write_text(json_text(payload))
            (tmp / "comparison.md").write_text(markdown_table(self.wide()) + "\n" + self.table_note() + "\n")
            (tmp / "findings.md").write_text(self.findings())
            for c in self.cases:
                if c.ensemble is not None:
                    c.ensemble.write(tmp / "runs" / c.name, plots=False)
            if plots:
                from .plots import comparison_plots

                comparison_plots(self, tmp / "plots")
        return Path(out)


def markdown_table(frame: pd.DataFrame) -> str:
    """A frame as a Markdown table (index as the first column)."""
    head = ["", *map(str, frame.columns)]
    rows = [[str(i), *map(str, r)] for i, r in zip(frame.index, frame.to_numpy(), strict=True)]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out) + "\n"


NOT_PERSONS = {"quota_fill", "share_filled", "exits_per_recruit", "output_loss_pct_end", "output_loss_rub_cumulative",
               "peak_queue_wait_hours", "days_to_fill"}


def _rounded(metric: str, x: float) -> float:
    """People to whole numbers, other metrics to 4 significant digits (NaN stays NaN)."""
    if not np.isfinite(x):
        return x
    return float(np.round(x)) if metric not in NOT_PERSONS else float(f"{x:.4g}")


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _fmt_band(metric: str, lo: float, mid: float, hi: float) -> str:
    if not np.isfinite(mid):
        return "—"
    low, high = fmt_metric(metric, lo), fmt_metric(metric, hi)
    if low == high:  # a band that does not show at this precision: "6", not "6 [6–6]"
        return fmt_metric(metric, mid)
    return f"{fmt_metric(metric, mid)} [{low}–{high}]"


def people_words(n: float) -> str:
    """A number of people in words: 1.98 million, 450 thousand, 1,600."""
    if not np.isfinite(n):
        return "—"
    if abs(n) >= 1e6:
        return f"{n / 1e6:.2f} million"
    if abs(n) >= 1e4:
        return f"{n / 1e3:,.0f} thousand"
    return f"{n:,.0f}"  # below 10,000 as the number: 1,600, not "2 thousand"


def _q(c: Case, m: str) -> tuple[float, float, float]:
    return metric_band(c.metrics, m) if m in c.metrics else (np.nan, np.nan, np.nan)


def _target_words(sc: Scenario, head) -> str:
    """A call-up's target in words: `300,000`, or in a regional run the regions' part of the national target."""
    target = regional.target(sc, head)
    if target == head.target:
        return f"{head.target:,}"
    return f"{target:,.0f} (the simulated regions' share of {head.target:,} for the country)"


def coverage_words(cases: list[Case]) -> str:
    """What the runs cover and, for a sample, that their counts are scaled up (as `exitvoice run` says it).

    `the whole country`; `a 0.01 sample of the whole country. Each run is a 0.01 sample: counts are scaled up by
    1/0.01 to …`; per scenario when the runs cover different populations.
    """
    covers = {c.name: regional.coverage(c.scenario) for c in cases}
    text = (next(iter(covers.values())) if len(set(covers.values())) == 1 else
            "; ".join(f"{name}: {what}" for name, what in covers.items()))
    samples = {c.name: c.scenario.population.scale for c in cases if c.scenario.population.scale < 1}
    if not samples:
        return text
    where = ("the regions simulated" if all(regional.is_regional(c.scenario) for c in cases) else
             "the country" if not any(regional.is_regional(c.scenario) for c in cases) else
             "the country or the regions simulated")
    scales = set(samples.values())
    if len(scales) == 1 and len(samples) == len(cases):
        s = f"{scales.pop():.4g}"
        head = f"{'Each run' if len(cases) > 1 else 'The run'} is a {s} sample: counts are scaled up by 1/{s}"
    else:
        head = ("Some runs are samples (" + ", ".join(f"{n}: {v:.4g}" for n, v in samples.items())
                + "): their counts are scaled up by 1/scale")
    return (f"{text}. {head} to the whole population of {where}, and sampling adds noise to small numbers "
            "(protest and detentions most)")


def findings_text(cmp: Comparison) -> str:
    """Generated findings: per scenario whether the target is met and at what outflow; each against the first."""
    cases = cmp.cases
    ref = cases[0]
    sc0 = ref.scenario.scenario
    members = {c.sim.members for c in cases}
    lines = [
        "# Findings",
        "",
        f"{'Scenarios compared' if len(cases) > 1 else 'The scenario'} from {sc0.start} to {sc0.end} "
        f"({sc0.country}), "
        + (f"{'/'.join(str(m) for m in sorted(members))} members{' each' if len(cases) > 1 else ''}; figures are "
           "medians with 90% bands (5%–95% of the members)" if max(members) > 1 else
           f"{'a single run each' if len(cases) > 1 else 'a single run'}; figures without a band")
        + f", for {coverage_words(cases)}. Generated by exitvoice.",
        "",
    ]
    for c in cases:
        head = headline_mobilisation(c.scenario)
        left = _q(c, "left")
        line = f"- **{c.name}**: "
        if head is None:
            line += f"no call-up; {people_words(left[1])} leave [{people_words(left[0])}–{people_words(left[2])}]."
        else:
            fill, days, share = _q(c, "quota_fill"), _q(c, "days_to_fill"), _q(c, "share_filled")
            epr = _q(c, "exits_per_recruit")
            met = share[1] >= 0.5
            callup = f"the call-up of {_target_words(c.scenario, head)} from {head.start}"
            if met:
                line += f"{callup} is met in {days[1]:.0f} days [{days[0]:.0f}–{days[2]:.0f}]"
            else:
                line += (f"{callup} is **not met** by {sc0.end}: "
                         f"quota fill {fill[1]:.2f} [{fill[0]:.2f}–{fill[2]:.2f}]")
            if 0 < share[1] < 1 or (share[0] != share[2]):
                line += f" (met in {share[1]:.0%} of members)"
            since = _q(c, "left_since_callup")
            w = people_words
            line += (f"; {w(since[1])} leave from then on [{w(since[0])}–{w(since[2])}] "
                     f"({people_words(left[1])} over the whole run), {epr[1]:.2f} departures per recruit "
                     f"[{epr[0]:.2f}–{epr[2]:.2f}].")
        extra = []
        for m, what in (("exempt_at_end", "men signed the social contract"), ("visas_issued", "exit visas issued"),
                        ("conscripted_at_end", "conscripts taken by the regular draft")):
            if m in c.metrics:
                extra.append(f"{people_words(_q(c, m)[1])} {what}")
        if extra:
            line += " " + "; ".join(extra).capitalize() + "."
        if "output_loss_pct_end" in c.metrics:
            loss, rub = _q(c, "output_loss_pct_end"), _q(c, "output_loss_rub_cumulative")
            line += (f" Output is {loss[1]:.2f}% below the counterfactual at the end [{loss[0]:.2f}–{loss[2]:.2f}]"
                     f" ({rub[1] / 1e9:,.0f} bn RUB lost over the run)")
            if "protest_person_days" in c.metrics:
                pdays, det = _q(c, "protest_person_days"), _q(c, "detained")
                w = people_words
                line += (f"; {w(pdays[1])} protest participations [{w(pdays[0])}–{w(pdays[2])}],"
                         f" {people_words(det[1])} detained")
            line += "."
        lines.append(line)
    if len(cases) > 1:
        lines += ["", f"Against **{ref.name}**:", ""]
        for c in cases[1:]:
            lines.append("- " + _versus(ref, c))
    if min(c.sim.members for c in cases) >= MIN_MEMBERS:
        lines += ["", "A difference is called clear when the two 90% bands do not overlap; otherwise it is within "
                  "the ensembles' spread. Members are paired by their index: run by one `compare`, member i of "
                  "every scenario has the same seed and parameter set, so the count of paired members in which a "
                  "scenario is above (below) the reference separates the policy's effect from the shared "
                  "uncertainty.", ""]
    elif len(cases) > 1:
        lines += ["", f"With fewer than {MIN_MEMBERS} members per scenario the bands are too rough to say whether a "
                  "difference is clear: run with `--ensemble 10` or more for that.", ""]
    # a band whose ends are equal (one member, or members that agree) says nothing: "22 days [22–22]" → "22 days"
    return re.sub(r" \[([^\[\]–]+)–\1\]", "", "\n".join(lines))


def _change_words(change: float, what: str, amount: bool, distinct: bool) -> str:
    """'12% more departures', '0.4% more mobilised', or 'about the same …' (only when nothing tells them apart).

    `distinct` says the ensembles do tell them apart (bands apart, or every paired member on one side): then a
    small change is written with the precision that shows it, never as "about the same".
    """
    if change == 0 or (abs(change) < 0.005 and not distinct):
        return f"about the same {what}"
    a = abs(change)
    pct = f"{a:.1%}" if 0.001 <= a < 0.01 or 0.99 < a < 1 else f"{a:.0%}" if a >= 0.01 else "<0.1%"
    if amount:
        return f"{what} {pct} {'higher' if change > 0 else 'lower'}"
    return f"{pct} {'more' if change > 0 else 'fewer'} {what}"


def _versus(ref: Case, c: Case) -> str:
    parts = []
    for m, what in (("left_since_callup", "departures since the call-up"), ("left", "departures"),
                    ("mobilised", "mobilised"), ("days_to_fill", "days to fill"),
                    ("output_loss_pct_end", "output loss at the end"),
                    ("protest_person_days", "protest participations")):
        a, b = _q(ref, m), _q(c, m)
        if not (np.isfinite(a[1]) and np.isfinite(b[1])) or a[1] == 0:
            continue
        change = b[1] / a[1] - 1
        clear = bool(b[0] > a[2] or b[2] < a[0])
        if min(ref.sim.members, c.sim.members) < MIN_MEMBERS:
            verdict = ""
        else:
            verdict = ", clear" if clear else ", within the spread"
        paired, one_sided = "", False
        n = ref.sim.members
        if n > 1 and c.sim.members == n and m in ref.metrics and m in c.metrics:
            d = c.metrics[m].to_numpy(dtype=float) - ref.metrics[m].to_numpy(dtype=float)
            d = d[np.isfinite(d)]
            if d.size:
                up, down = int((d > 0).sum()), int((d < 0).sum())
                one_sided = d.size >= MIN_MEMBERS and (up == d.size or down == d.size)
                paired = f"; higher in {up}, lower in {down} of {d.size} paired members"
        head = _change_words(change, what, m in AMOUNTS, distinct=clear and bool(verdict) or one_sided)
        parts.append(f"{head} ({fmt_metric(m, b[1])} vs {fmt_metric(m, a[1])}{verdict}{paired})")
    return f"**{c.name}**: " + ("; ".join(parts) if parts else "no comparable metric") + "."


def read_case(folder: str | Path) -> Case:
    """A run or ensemble folder written by exitvoice (it needs its `scenario.json`)."""
    folder = Path(folder)
    path = folder / "scenario.json"
    if not path.is_file():
        raise DataError("a result folder to compare needs scenario.json (written by `exitvoice run` and by ensembles)",
                        file=str(folder))
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DataError(f"a damaged result folder: its scenario.json cannot be read ({type(exc).__name__})",
                        file=str(path), allowed="the scenario.json written by `exitvoice run`") from None
    if not isinstance(raw, dict):
        raise DataError("a damaged result folder: its scenario.json is not a scenario", file=str(path),
                        given=type(raw).__name__, allowed="the scenario.json written by `exitvoice run`")
    sc = Scenario.from_dict(raw, source=str(path))
    return Case(sc.name, sc, Simulated.from_folder(folder), str(folder))


def compare(inputs: list[str | Path | Scenario], *, ensemble: int = 1, seed: int | None = None, jobs: int = 1,
            scheduler: str | None = None, posterior: str | Path | None = None, progress="auto",
            checkpoint: str | Path | None = None,
            notify: Callable[[str, str, int, int, Path], None] | None = None,
            draw_priors: list[str] | None = None) -> Comparison:
    """Run or read every input and line them up (scenario runs are kept, and written under `runs/`).

    Args:
        inputs: scenario files, `Scenario` objects, or run/ensemble folders; the first is the reference.
        ensemble: members per scenario run here.
        seed: seed of every scenario run (default: each scenario's).
        jobs: local worker processes.
        scheduler: a Dask scheduler address instead of local workers.
        posterior: a calibration's `posterior.parquet`: member i of every scenario uses parameter set i mod n_sets,
            so the bands include the parameter uncertainty of the fit, the same sets in every scenario.
        draw_priors: parameter groups drawn from their declared priors in every member (the same draws in every
            scenario: member i of each scenario shares its parameter values).
        progress: called with (scenario name, members done, members) after each member; True prints a progress
            line over all members on standard error, "auto" (default) does so when standard error is a terminal.
        checkpoint: a folder where the finished members of each scenario run here are saved (in `<name>/`), so
            that an interrupted comparison resumes: the same call again loads them and runs only the others
            (`exitvoice.ensemble.Checkpoint`; a scenario whose file, seed or parameter sets changed starts afresh).
            The caller removes the folder once the comparison is written.
        notify: called with (scenario name, event, members done, members, folder) when a scenario's members are
            loaded from `checkpoint` ("resumed") or its checkpoint held other inputs' members ("restarted").

    """
    from .ensemble import read_posterior, run_ensemble
    from .progress import TextProgress

    if len(inputs) < 1:
        raise ScenarioError("nothing to compare", field="inputs", allowed="scenario files or result folders")
    cases = []
    for x in inputs:
        if isinstance(x, Scenario):
            cases.append(Case(x.name, x, None, x.source or x.name))  # type: ignore[arg-type]
        elif Path(x).is_dir():
            cases.append(read_case(x))
        else:
            sc = Scenario.from_toml(x)
            cases.append(Case(sc.name, sc, None, str(x)))  # type: ignore[arg-type]
    check_aligned(cases)
    to_run = [c for c in cases if c.sim is None]
    from .limits import check_memory

    for c in to_run:  # every scenario's members are kept until the comparison is written: refused up front
        check_memory(len(c.scenario.days), members=ensemble * len(to_run), jobs=1 if scheduler is not None else jobs,
                     field="--ensemble")
    if progress == "auto":
        progress = sys.stderr.isatty()
    if progress is True:
        text, done = TextProgress(f"comparing {len(to_run)} scenarios", "members"), {}

        def progress(name: str, i: int, n: int) -> None:
            done[name] = i
            text(sum(done.values()), n * len(to_run))
    for c in to_run:
        s = seed if seed is not None else (c.scenario.scenario.seed or 0)
        post = read_posterior(posterior, c.scenario) if posterior else None
        ens = run_ensemble(c.scenario, ensemble, seed=s, jobs=jobs, scheduler=scheduler, posterior=post,
                           draw_priors=draw_priors,
                           progress=(lambda i, n, name=c.name: progress(name, i, n)) if progress else None,
                           checkpoint=Path(checkpoint) / c.name if checkpoint is not None else None,
                           notify=(lambda *event, name=c.name: notify(name, *event)) if notify else None)
        c.sim = Simulated.from_timeseries(ens.member_series(), scale=c.scenario.population.scale)
        c.ensemble = ens
    for c in cases:
        c.metrics = case_metrics(c)
    return Comparison(cases)
