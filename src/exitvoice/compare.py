"""Compare scenarios side by side (docs/model.md §12, §15): a table with 90% bands, overlaid plots, findings.

Each input is a scenario file (run here, as an ensemble of `n` members) or a run or ensemble folder (read). All
must be of the same country and cover the same dates. Per member, from its series (scaled to the whole country):

- `left`: departures of leavers (not trips) over the run; `abroad_at_end`: leavers abroad on the last day;
- `mobilised`: mobilised people on the last day;
- for the *headline mobilisation* (the one that starts last: the wave the comparison is about), with target T
  starting on day s: `left_since_callup` (departures from s on), `quota_fill` = mobilised since s / T,
  `days_to_fill` (from s to the day T is reached; missing when it is not), `share_filled` (of the members),
  `exits_per_recruit` = departures since s / mobilised since s;
- `peak_queue_wait_hours` (any crossing), `passports_issued`, `stopped_at_border` (people turned back at the official
  crossings by any screen), `illegal_caught` and `illegal_turned_away` (people caught on illegal routes, and attempts
  they could not take, for a pack that has them), and where a policy produces them `exempt_at_end` (social
  contract), `visas_issued` (exit visas), `conscripted_at_end`.

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
from .labels import METRICS, comparison_label
from .outputs import atomic_folder, json_text
from .scenario import Scenario
from .units import fmt_metric, is_person_total
from .validate import Simulated

AMOUNTS = {"output_loss_pct_end"}  # metrics that are amounts, not counts: "higher"/"lower", not "more"/"fewer"
MIN_MEMBERS = 10  # fewer members: differences are reported without a verdict on the bands


@dataclass(repr=False)
class Case:
    """One scenario's members: its validated scenario, series and where they came from."""

    name: str
    scenario: Scenario
    sim: Simulated
    origin: str
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)  # [member, metric]
    ensemble: object | None = None  # the EnsembleResults of a scenario run here

    def __repr__(self) -> str:
        members = "not run yet" if self.sim is None else f"{self.sim.members} member(s)"
        return f"<Case {self.name}: {members}, from {self.origin}>"


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
    cum = get("cum_departures")
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
    # people turned back at the official crossings (every screen: exit bans, summonses, closures, host refusals)
    stopped = [v for (q, g), v in sim.series.items() if q.startswith("stopped_") and g == origin]
    out["stopped_at_border"] = np.sum([v.sum(axis=1) for v in stopped], axis=0) if stopped else np.zeros(n)
    for key in ("illegal_caught", "illegal_turned_away"):  # a pack with illegal routes only
        counts = get(key)
        if counts is not None:
            out[key] = counts.sum(axis=1)
    for key, q, how in (("exempt_at_end", "state_exempt", "last"), ("visas_issued", "visas_issued", "sum"),
                        ("conscripted_at_end", "state_conscripted", "last"),
                        ("output_loss_pct_end", "output_loss_pct", "last"),
                        ("output_loss_cumulative", "output_loss_per_day", "sum"),
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


@dataclass(repr=False)
class Comparison:
    """Cases side by side."""

    cases: list[Case]
    stored: pd.DataFrame | None = None
    """The table a comparison folder holds (`comparison.csv`), read back: then `table` is that table, not one
    recomputed from the runs it wrote (whose series hold whole people of the sample, not the members' exact
    values), so the report shows the numbers `exitvoice compare` printed."""
    stored_currency: str | None = None
    """The money of a stored comparison whose runs are not at hand (`comparison.json` `currency`)."""

    @property
    def currency(self) -> str | None:
        """The money of the cases: their pack's currency (`pack.toml`); None when unknown."""
        from .pack import load_pack

        scenario = getattr(self.cases[0], "scenario", None) if self.cases else None
        if scenario is not None:
            return load_pack(scenario.scenario.country).currency
        return self.stored_currency

    MAX_REPR_LINES = 8
    """Scenarios named one a line in the repr; more are counted."""

    def __repr__(self) -> str:
        """A few lines: the scenarios (the first is the reference), their members, and headline numbers of each."""
        t = self.table()
        names = [c.name for c in self.cases] or list(dict.fromkeys(t.scenario))
        members = sorted({int(m) for m in t.members}) if len(t) else [c.sim.members for c in self.cases]
        n = "/".join(map(str, members)) or "?"
        head = f"<Comparison of {len(names)} scenario{'s' if len(names) != 1 else ''} · " + (
            f"{n} members each" if members and max(members) > 1 else "a single run each")
        if self.cases:
            sc = self.cases[0].scenario.scenario
            head += f" · {sc.start} to {sc.end} · {coverage_words(self.cases).split('. ')[0]}"
        lines = [head]
        for i, name in enumerate(names[: self.MAX_REPR_LINES]):
            rows = t[t.scenario == name].set_index("metric")
            figures = " · ".join(
                f"{what} {_fmt_band(m, *rows.loc[m, ['q05', 'q50', 'q95']], int(rows.loc[m, 'members']))}"
                for m, what in (("left", "left"), ("mobilised", "mobilised"), ("quota_fill", "quota fill"))
                if m in rows.index)
            lines.append(f"  {name}{' (reference)' if i == 0 else ''}: {figures or 'no figures'}")
        if len(names) > self.MAX_REPR_LINES:
            lines.append(f"  … and {len(names) - self.MAX_REPR_LINES} more")
        lines.append("  .table(), .wide(), .findings(), .write(out)>")
        return "\n".join(lines)

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
        t["cell"] = [_fmt_band(r.metric, r.q05, r.q50, r.q95, int(r.members)) for r in t.itertuples()]
        w = t.pivot(index="metric", columns="scenario", values="cell")
        names = [c.name for c in self.cases] or list(dict.fromkeys(t.scenario))
        w = w.reindex([m for m in METRICS if m in w.index])[names]
        w.index = [comparison_label(m, self.currency) for m in w.index]
        return w.fillna("—")

    def table_note(self) -> str:
        """What the table's cells are, in one sentence (under comparison.md)."""
        members = sorted({c.sim.members for c in self.cases})
        cells = (f"Each cell: median [5%–95%] over {'/'.join(map(str, members))} members"
                 if max(members) > 1 else "Each cell: a single run's figure")
        return f"{cells}; for {coverage_words(self.cases)}.{bands_words(self.cases)}"

    def findings(self) -> str:
        """The answer in plain words, with the numbers."""
        return findings_text(self)

    def write(self, out: str | Path, *, force: bool = False, plots: bool = True) -> Path:
        """comparison.csv/.json, findings.md, comparison.md and plots, atomically (people as whole numbers)."""
        t = self.table()
        with atomic_folder(out, force=force) as tmp:
            _written(t).to_csv(tmp / "comparison.csv", index=False)
            payload = {
                "country": self.cases[0].scenario.scenario.country if self.cases else None,
                "currency": self.currency,
                "scenarios": [{"name": c.name, "origin": c.origin, "members": c.sim.members,
                               "start": str(c.scenario.scenario.start), "end": str(c.scenario.scenario.end),
                               "metrics": {r.metric: {q: _num(getattr(r, q), r.metric) for q in ("q05", "q50", "q95")}
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


def _rounded(metric: str, x: float) -> float:
    """People to whole numbers, other metrics to 4 significant digits (NaN stays NaN)."""
    if not np.isfinite(x):
        return x
    return float(np.round(x)) if is_person_total(metric) else float(f"{x:.4g}")


def _num(x: float, metric: str = "") -> float | int | None:
    """A figure for comparison.json and .csv: None for no value, people as whole numbers (`163105`, not `163105.0`)."""
    if x is None or not np.isfinite(x):
        return None
    return int(round(x)) if is_person_total(metric) else float(x)


def _written(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table as comparison.csv holds it: people as whole numbers, the rest as they are."""
    out = table.copy()
    for c in ("q05", "q50", "q95"):
        out[c] = pd.Series([_num(x, m) for x, m in zip(table[c], table.metric, strict=True)], index=table.index,
                           dtype=object)
    return out


def _fmt_band(metric: str, lo: float, mid: float, hi: float, members: int = 2) -> str:
    """A table cell: `median [5%–95%]` of an ensemble, the figure alone of a single run or of a share.

    A band is shown however narrow: `28 [28–28]` says the members agree to the precision shown (leaving it out
    would read as a single run). Ends below zero are joined by "to" (`[-0.02 to 0.01]`), never by a dash.
    """
    if not np.isfinite(mid):
        return "—"
    if members <= 1 or metric == "share_filled" or not (np.isfinite(lo) and np.isfinite(hi)):
        return fmt_metric(metric, mid)
    low, high = fmt_metric(metric, lo), fmt_metric(metric, hi)
    sep = " to " if low.startswith("-") or high.startswith("-") else "–"
    return f"{fmt_metric(metric, mid)} [{low}{sep}{high}]"


def people_words(n: float) -> str:
    """A number of people in words: 1.98 million, 450 thousand, 1,600."""
    if not np.isfinite(n):
        return "—"
    if abs(n) >= 1e6:
        return f"{n / 1e6:.2f} million"
    if abs(n) >= 1e4:
        return f"{n / 1e3:,.0f} thousand"
    return f"{n:,.0f}"  # below 10,000 as the number: 1,600, not "2 thousand"


def people_band(lo: float, mid: float, hi: float) -> str:
    """A median number of people and its band in one unit: `163 thousand [158–167 thousand]`, `9,300 [8,002–10,428]`.

    The unit is the median's (`people_words`), so the ends of a band never mix units (not `[8,002–10 thousand]`); a
    band whose ends read the same at that precision is left out.
    """
    if not np.isfinite(mid):
        return "—"
    scale, unit = (1e6, " million") if abs(mid) >= 1e6 else (1e3, " thousand") if abs(mid) >= 1e4 else (1, "")
    digits = 2 if scale == 1e6 else 0

    def f(x: float) -> str:
        return f"{x / scale:,.{digits}f}"

    text = f(mid) + unit
    if np.isfinite(lo) and np.isfinite(hi) and f(lo) != f(hi):
        text += f" [{f(lo)}–{f(hi)}{unit}]"
    return text


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


def bands_words(cases: list[Case]) -> str:
    """" The bands include: …" (what the members' bands include, as their summaries say), or "" (single runs)."""
    from .folders import band_includes

    if max((c.sim.members for c in cases), default=1) < 2:
        return ""
    bands = list(dict.fromkeys(b for c in cases if (b := band_includes(c))))
    return f" The bands include: {'; '.join(bands)}." if bands else ""


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
        + f", for {coverage_words(cases)}.{bands_words(cases)} Generated by exitvoice.",
        "",
    ]
    for c in cases:
        head = headline_mobilisation(c.scenario)
        left = _q(c, "left")
        line = f"- **{c.name}**: "
        if head is None:
            line += f"no call-up; {people_band(*left)} leave."
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
            line += (f"; {people_band(*since)} leave from then on "
                     f"({people_words(left[1])} over the whole run), {epr[1]:.2f} departures per recruit "
                     f"[{epr[0]:.2f}–{epr[2]:.2f}].")
        extra = []
        for m, what in (("exempt_at_end", "men signed the social contract"), ("visas_issued", "exit visas issued"),
                        ("conscripted_at_end", "conscripts taken by the regular draft"),
                        ("stopped_at_border", "stopped at the official exits"),
                        ("illegal_caught", "caught crossing irregularly"),
                        ("illegal_turned_away", "attempts turned away at irregular crossings")):
            if m in c.metrics and (m not in ("stopped_at_border", "illegal_caught", "illegal_turned_away")
                                   or _q(c, m)[1] > 0):
                extra.append(f"{people_words(_q(c, m)[1])} {what}")
        if extra:
            line += " " + "; ".join(extra).capitalize() + "."
        if "output_loss_pct_end" in c.metrics:
            loss, money = _q(c, "output_loss_pct_end"), _q(c, "output_loss_cumulative")
            line += (f" Output is {loss[1]:.2f}% below the economy without the crisis at the end "
                     f"[{loss[0]:.2f}–{loss[2]:.2f}]"
                     f" ({money[1] / 1e9:,.0f} bn {cmp.currency or 'in the currency of the pack'} lost over the run)")
            if "protest_person_days" in c.metrics:
                pdays, det = _q(c, "protest_person_days"), _q(c, "detained")
                line += f"; {people_band(*pdays)} protest participations, {people_words(det[1])} detained"
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
                  "uncertainty. A change is given with its direction when every paired member is on one side or "
                  "the bands do not overlap, and called about the same otherwise.", ""]
    elif len(cases) > 1 and max(c.sim.members for c in cases) > 1:
        lines += ["", f"With fewer than {MIN_MEMBERS} members per scenario the bands are too rough to call a "
                  "difference clear (run with `--ensemble 10` or more for that). A change is given with its "
                  "direction when every paired member is on one side or the bands do not overlap, and called about "
                  "the same otherwise.", ""]
    # a band whose ends are equal (one member, or members that agree) says nothing: "22 days [22–22]" → "22 days"
    return re.sub(r" \[([^\[\]–]+)–\1\]", "", "\n".join(lines))


def _change_words(change: float, what: str, amount: bool, evidence: str) -> str:
    """The head of a finding against the reference, in words that follow the evidence.

    `evidence` is "apart" when the members tell the two apart (every paired member on one side, or 90% bands that
    do not overlap): the change is then written with its direction and the precision that shows it, never as
    "about the same"; "overlap" when they do not (bands that overlap, paired members on both sides): "about the
    same …", whatever the medians; "equal" when every paired member gives the same figure: "the same …"; "single"
    for single runs, which have no spread: a change below 0.5% is "about the same", a larger one is written.
    """
    if evidence == "equal" or (change == 0 and evidence == "single"):
        return f"the same {what}"
    if change == 0 and evidence == "overlap":
        return f"about the same {what}"
    if evidence == "overlap" or (evidence == "single" and abs(change) < 0.005):
        return f"about the same {what}"
    a = abs(change)
    pct = f"{a:.1%}" if 0.001 <= a < 0.01 or 0.99 < a < 1 else f"{a:.0%}" if a >= 0.01 else "<0.1%"
    if amount:
        return f"{what} {pct} {'higher' if change > 0 else 'lower'}"
    return f"{pct} {'more' if change > 0 else 'fewer'} {what}"


def _median_change(change: float, amount: bool) -> str:
    """A change of the medians in a few words: `12% more`, `0.4% lower`, `<0.1% more` (for "about the same")."""
    a = abs(change)
    pct = f"{a:.1%}" if 0.001 <= a < 0.01 else f"{a:.0%}" if a >= 0.01 else "<0.1%"
    return f"{pct} {('higher' if change > 0 else 'lower') if amount else ('more' if change > 0 else 'fewer')}"


def paired_counts(ref: Case, c: Case, m: str) -> tuple[int, int, int] | None:
    """(above, below, pairs): in how many paired members `c` is above and below the reference, of how many pairs.

    Member i of each scenario has the same seed and parameter set; None when the members are not paired (single runs,
    other counts of members).
    """
    n = ref.sim.members
    if n < 2 or c.sim.members != n or m not in ref.metrics or m not in c.metrics:
        return None
    d = c.metrics[m].to_numpy(dtype=float) - ref.metrics[m].to_numpy(dtype=float)
    d = d[np.isfinite(d)]
    if not d.size:
        return None
    return int((d > 0).sum()), int((d < 0).sum()), int(d.size)


def _paired_words(up: int, down: int, n: int) -> str:
    """`higher in 4 of 4 paired members`, `higher in 1, lower in 2 of 4 …`, `equal in all 4 …`."""
    if up == down == 0:
        return f"equal in all {n} paired members"
    if up == n:
        return f"higher in {n} of {n} paired members"
    if down == n:
        return f"lower in {n} of {n} paired members"
    same = n - up - down
    return (f"higher in {up}, lower in {down}" + (f", equal in {same}" if same else "") + f" of {n} paired members")


def _versus(ref: Case, c: Case) -> str:
    """One scenario against the reference, metric by metric: the words follow the evidence (`_change_words`).

    Paired members all on one side, or bands apart: the direction and size of the change, with "higher in N of N
    paired members"; bands that overlap with members on both sides: "about the same", with the medians' change in
    brackets; single runs: the change of the two figures. With `MIN_MEMBERS` or more members a side, bands apart
    are called "clear" and overlapping ones "within the spread".
    """
    parts = []
    for m, what in (("left_since_callup", "departures since the call-up"), ("left", "departures"),
                    ("mobilised", "mobilised"), ("days_to_fill", "days to fill"),
                    ("output_loss_pct_end", "output loss at the end"),
                    ("protest_person_days", "protest participations")):
        a, b = _q(ref, m), _q(c, m)
        if not (np.isfinite(a[1]) and np.isfinite(b[1])) or a[1] == 0:
            continue
        change = b[1] / a[1] - 1
        spread = max(ref.sim.members, c.sim.members) > 1
        apart = spread and bool(b[0] > a[2] or b[2] < a[0])
        pairs = paired_counts(ref, c, m)
        one_sided = pairs is not None and (pairs[0] == pairs[2] or pairs[1] == pairs[2])
        equal = pairs is not None and pairs[0] == pairs[1] == 0  # every paired member gives the same figure
        if change == 0 and one_sided and not equal:  # equal medians of members that are not (missing values apart)
            change = 1e-9 if pairs[0] else -1e-9  # the pairs' direction: "<0.1% more", never "about the same"
        evidence = "equal" if equal else "apart" if apart or one_sided else "overlap" if spread else "single"
        notes = []
        if min(ref.sim.members, c.sim.members) >= MIN_MEMBERS:
            notes.append("clear" if apart else "within the spread")
        if evidence == "overlap" and change != 0:
            notes.insert(0, f"{_median_change(change, m in AMOUNTS)} at the median")
        if pairs is not None:
            notes.append(_paired_words(*pairs))
        figures = f"{fmt_metric(m, b[1])} vs {fmt_metric(m, a[1])}"
        head = _change_words(change, what, m in AMOUNTS, evidence)
        parts.append(f"{head} ({figures}" + (f", {notes[0]}" if notes else "") + "".join(f"; {x}" for x in notes[1:])
                     + ")")
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
            scheduler: str | None = None, posterior: str | Path | None = "pack", progress="auto",
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
        posterior: where the members' fitted parameters come from. "pack" (the default): the posterior each
            scenario's pack ships, if it ships one and `ensemble` > 1; a file (a calibration's `posterior.parquet`)
            another; None none (seed noise only). Member i of every scenario uses parameter set i mod n_sets, so the
            bands include the parameter uncertainty of the fit, the same sets in every scenario; a parameter a
            scenario sets is held at its value there (`exitvoice.ensemble.resolve_posterior`).
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
    from .ensemble import resolve_posterior, run_ensemble
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
    posteriors = {c.name: resolve_posterior(c.scenario, posterior, ensemble) for c in to_run}  # refused up front
    for c in to_run:
        s = seed if seed is not None else (c.scenario.scenario.seed or 0)
        post = posteriors[c.name]
        ens = run_ensemble(c.scenario, ensemble, seed=s, jobs=jobs, scheduler=scheduler, posterior=post,
                           draw_priors=draw_priors,
                           progress=(lambda i, n, name=c.name: progress(name, i, n)) if progress else None,
                           checkpoint=Path(checkpoint) / c.name if checkpoint is not None else None,
                           notify=(lambda *event, name=c.name: notify(name, *event)) if notify else None)
        c.sim = Simulated.from_timeseries(ens.member_series(), scale=c.scenario.population.scale,
                                          pack=c.scenario.scenario.country)
        c.ensemble = ens
    for c in cases:
        c.metrics = case_metrics(c)
    return Comparison(cases)
