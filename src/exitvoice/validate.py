"""Validation (docs/model.md §13, docs/validation.md): match observations to a run or an ensemble and score the fit.

Matching, per quantity of the observation vocabulary (each rule is tested); "the origin" is the pack's own code
(`RU` for the russia pack), the geography of origin totals:
- `daily_entries`: the simulated value on the row's date; at a crossing (or a crossing group of the pack's
  `crossing_groups.csv`), the people processed there that day. `daily_departures` (origin): leavers crossing out
  that day.
- `monthly_entries`: the sum of the daily series over the calendar month of the row's date; a month not wholly
  inside the run is skipped.
- `cum_entries`, `cum_exits_back`, `cum_departures`: the sum of the daily series from `since` to `date`
  (inclusive); a cumulative row without `since`, or starting before the run, is skipped. `cum_exits_back`
  counts returns, onward moves and visa-run exits, as border data do. `cum_departures` and
  `daily_departures` are read as `cum_departures` and `daily_departures` (`observations.ALIASES`).
- `net_stay`: entries minus exits back over the same window.
- `mobilised_cum`, `detained_cum` (voice, docs/model.md §11): the cumulative count on `date`, less the count the day
  before `since` when that is inside the run.
- `abroad_stock`, `men_abroad_stock` (the men, from `exit.min_age`, among the leavers abroad), `queue_vehicles`,
  `queue_wait_hours`: the value on `date`.
- `illegal_crossings_caught`: the people caught crossing outside the official points from `since` to `date`
  (`illegal_caught` of the run: on the routes to a destination, at an illegal route's `crossing:<id>`, or in all
  at the origin).
- `flight_price`: the simulated fare on `date` when the row's unit is in the pack's currency; others are skipped.
- `other` is skipped with its reason; so are dates outside the run, geographies the model does not have, and
  quantities whose model output does not exist in the run (`illegal_crossings_caught` for a pack without illegal
  routes; `men_abroad_stock` for a folder written before runs recorded it: "no model output for this kind
  yet"). Nothing is dropped silently.

Scores (`scorecard.json`): `ard` (mean |sim − obs| / obs), `ard_rescaled` (the same after scaling the simulated
entries and exits per destination to the observed total of each quantity: where people went, not how many),
`volume_log_ratio` (log of simulated over observed cumulative departures or stock abroad at the origin, else
cumulative entries: how many left), `median_abs_log_ratio`, `mase` (mean absolute error over that of a naive
carry-forward of the previous observation of the same series; below 1 beats it), `coverage_50`, `coverage_90`
(share of observations inside the ensemble's 25–75% and 5–95% bands; null for a single run), `n_scored`,
`n_skipped`, and `warnings` (a regional run scored against national observations: not like for like). Simulated
values are ensemble medians.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError
from .outputs import atomic_folder, json_text
from .pack import DEFAULT_PACK

DEPARTURES = "daily_departures"
"""The run's series of leavers crossing out per day."""

# quantity -> (rule, simulated series for destinations and the origin, simulated series at crossings)
RULES = {
    "daily_entries": ("point", "daily_entries", "processed"),
    "monthly_entries": ("month", "daily_entries", "processed"),
    "daily_departures": ("point", DEPARTURES, None),
    "cum_entries": ("window", "daily_entries", "processed"),
    "cum_exits_back": ("window", "daily_exits_back", None),
    "cum_departures": ("window", DEPARTURES, None),
    "net_stay": ("window_net", "daily_entries", None),
    "mobilised_cum": ("since_difference", "mobilised_cum", None),
    "abroad_stock": ("point", "abroad_stock", None),
    "men_abroad_stock": ("point", "men_abroad_stock", None),
    "queue_vehicles": ("point", None, "queue_vehicles"),
    "queue_wait_hours": ("point", None, "queue_wait_hours"),
    "flight_price": ("point", "flight_price", None),
    "detained_cum": ("since_difference", "detained_cum", None),
    "illegal_crossings_caught": ("window", "illegal_caught", "illegal_caught"),
}
NOT_PRODUCED = {"other": "quantity 'other' is descriptive and not scored"}
NO_OUTPUT_YET = {
    "men_abroad_stock": "the run has no series of men abroad (a folder written before runs recorded it)",
    "illegal_crossings_caught": "the run's pack declares no illegal routes (illegal_routes.csv, docs/routes.md)",
}
"""Quantities of the vocabulary whose model output may not exist yet: rows are skipped, saying so, when a run has
no series of that kind."""
INTENSIVE = {"queue_wait_hours", "flight_price", "closure_perceived", "risk_mean_eligible_men",  # not scaled
             "output_loss_pct", "output_loss_per_day", "output_loss_annualised"}
DISTRIBUTION = ("daily_entries", "monthly_entries", "cum_entries", "cum_exits_back")
VOLUME = ("cum_departures", "abroad_stock")
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
SCORE_MEANINGS = {
    "ard": "mean |sim − obs| / obs",
    "ard_rescaled": "the same, flows rescaled to the observed total (where people went, not how many)",
    "volume_log_ratio": "log(simulated / observed) of how many left (0 is right, +0.69 twice, −0.69 half)",
    "median_abs_log_ratio": "median |log(sim / obs)|",
    "mase": "error over that of carrying the last observation forward (below 1 beats it)",
    "coverage_50": "share of observations inside the 25–75% band (ensembles)",
    "coverage_90": "share of observations inside the 5–95% band (ensembles)",
    "band_width_log90": "mean width of the 5–95% band in log units, log(1 + q95) − log(1 + q05) (ensembles)",
    "n_scored": "observations scored",
    "n_skipped": "observations skipped (reasons below)",
}
"""What each score of `scorecard.json` measures, in words (the CLI and the report print them)."""


def crossing_groups(country: str = DEFAULT_PACK) -> dict[str, list[str]]:
    """Crossing groups of a pack (group → member crossings); every crossing is also its own group."""
    from .pack import load_pack

    return load_pack(country).crossing_groups


@dataclass
class Simulated:
    """Simulated series of one run or of an ensemble: (quantity, geography) → values [member, day]."""

    dates: pd.DatetimeIndex
    series: dict[tuple[str, str], np.ndarray]
    members: int
    pack: str | None = None
    """The run's country pack (a built-in name or a folder); None: the default, `pack.DEFAULT_PACK`."""

    @property
    def origin(self) -> str:
        """The geography of origin totals (the pack's code, `RU`): that of the run's `mobilised_cum` series."""
        for q, g in self.series:
            if q == "mobilised_cum":
                return g
        from .pack import load_pack

        return load_pack(self.pack or DEFAULT_PACK).code

    @classmethod
    def from_timeseries(cls, ts: pd.DataFrame, scale: float = 1.0, pack: str | None = None) -> Simulated:
        """From a long timeseries frame (with a `member` column for an ensemble) of a run on `pack`."""
        from .units import RENAMED, current_name

        if "member" not in ts.columns:
            ts = ts.assign(member=0)
        if ts.quantity.isin(list(RENAMED)).any():  # a folder of an earlier version: its series under today's names
            ts = ts.assign(quantity=ts.quantity.astype(str).map(current_name))
        dates = pd.DatetimeIndex(sorted(ts.date.unique()))
        members = int(ts.member.max()) + 1
        wide = ts.set_index(["quantity", "geography", "member", "date"]).value.unstack("date")
        wide = wide.reindex(columns=dates)
        keys = wide.index.droplevel("member")
        values = wide.to_numpy()
        series = {}
        for key in dict.fromkeys(keys):  # (quantity, geography) in first-seen order
            arr = values[keys == key]  # rows of this series, one per member, in member order
            series[key] = arr if key[0] in INTENSIVE else arr / scale
        return cls(dates, series, members, pack)

    @classmethod
    def from_folder(cls, folder: str | Path) -> Simulated:
        """From a run folder (`timeseries.parquet`) or an ensemble folder (`member_series.parquet`)."""
        folder = Path(folder)
        summary_path = folder / "summary.json"
        for name in ("member_series.parquet", "timeseries.parquet"):
            if (folder / name).is_file() and summary_path.is_file():
                try:
                    summary = json.loads(summary_path.read_text())
                    scale = summary.get("population_scale", 1.0)
                    pack = summary.get("country")
                    if (folder / "scenario.json").is_file():
                        pack = json.loads((folder / "scenario.json").read_text())["scenario"].get("country", pack)
                    frame = pd.read_parquet(folder / name)
                except (OSError, ValueError, AttributeError, KeyError, TypeError) as exc:
                    raise DataError(f"a damaged run folder ({type(exc).__name__}: {exc})", file=str(folder),
                                    allowed="a folder written by `exitvoice run`") from None
                if not isinstance(scale, int | float) or not 0 < scale <= 1 or not {
                        "date", "quantity", "geography", "value"} <= set(frame.columns):
                    raise DataError("a damaged run folder (summary.json or the series are not exitvoice's)",
                                    file=str(folder), allowed="a folder written by `exitvoice run`")
                return cls.from_timeseries(frame, scale=scale, pack=pack if isinstance(pack, str) else None)
        raise DataError("not a run or ensemble folder (no summary.json with timeseries.parquet or "
                        "member_series.parquet)", file=str(folder))


def _simulate(row, sim: Simulated, groups: dict[str, list[str]], currency: str) -> tuple[np.ndarray | None, str]:
    """Simulated values of one observation row (one per member), or None and the reason it is skipped."""
    q, geo = row.quantity, row.geography
    if q in NOT_PRODUCED:
        return None, NOT_PRODUCED[q]
    rule, dest_series, crossing_series = RULES[q]
    if q in NO_OUTPUT_YET and not any(k[0] in (dest_series, crossing_series) for k in sim.series):
        return None, f"no model output for this kind yet: {q} ({NO_OUTPUT_YET[q]})"
    if q == "flight_price" and not str(row.unit).strip().upper().startswith(currency):
        return None, f"fare not in {currency} (the model's fares are in the pack's currency, {currency})"
    if geo.startswith("crossing:"):
        name = geo.split(":", 1)[1]
        members = groups.get(name, [name])
        if crossing_series is None:
            return None, f"{q} is not produced per crossing"
        if crossing_series == "queue_wait_hours" and len(members) > 1:
            return None, "waits are not defined for a group of crossings"
        parts = [sim.series.get((crossing_series, f"crossing:{c}")) for c in members]
        if any(p is None for p in parts):
            known = {k[1] for k in sim.series} >= {f"crossing:{c}" for c in members}  # other series there
            return None, (f"the model records no {crossing_series} at crossing {name}" if known
                          else f"crossing not in the model: {name}")
        daily = np.sum(parts, axis=0)
    else:
        daily = sim.series.get((dest_series, geo))
        if daily is None:
            return None, f"geography not in the model for {q}: {geo}"
    first, last = sim.dates[0], sim.dates[-1]
    if rule == "month":
        start = row.date.to_period("M").start_time
        end = row.date.to_period("M").end_time.normalize()
        if start < first or end > last:
            return None, (f"the month {row.date:%Y-%m} is not wholly inside the run ({first.date()} to "
                          f"{last.date()})")
        return daily[:, sim.dates.get_loc(start):sim.dates.get_loc(end) + 1].sum(axis=1), ""
    if not first <= row.date <= last:
        return None, f"date outside the run ({first.date()} to {last.date()})"
    t = sim.dates.get_loc(row.date)
    if rule == "point":
        return daily[:, t], ""
    since = None if pd.isna(row.since) else row.since  # an empty `since` beside filled ones is NaT, not None
    if rule == "since_difference":
        if since is None or since <= first:
            return daily[:, t], ""
        return daily[:, t] - daily[:, sim.dates.get_loc(since) - 1], ""
    if since is None:
        return None, "cumulative figure without `since`"
    if since < first:
        return None, f"`since` ({since.date()}) is before the run starts ({first.date()})"
    s = sim.dates.get_loc(since)
    if rule == "window":
        return daily[:, s:t + 1].sum(axis=1), ""
    exits = sim.series.get(("daily_exits_back", geo))
    return daily[:, s:t + 1].sum(axis=1) - exits[:, s:t + 1].sum(axis=1), ""


@dataclass
class Scorecard:
    """Per-row comparison and overall scores."""

    rows: pd.DataFrame
    metrics: dict
    currency: str = ""
    """The money of the run's pack (the unit of its fares, `pack.toml` `currency`)."""
    country: str = DEFAULT_PACK
    """The run's pack, whose names label the geographies."""
    band: str | None = None
    """What an ensemble's band includes (`ensemble.band_text`), when known: the plot's caption says it."""

    def write(self, out: str | Path, *, force: bool = False) -> Path:
        """Write scorecard.csv, scorecard.json and scorecard.png into the folder `out`, atomically."""
        from .plots import scorecard_plot

        with atomic_folder(out, force=force) as tmp:
            self.rows.to_csv(tmp / "scorecard.csv", index=False)
            (tmp / "scorecard.json").write_text(json_text(self.metrics))
            scorecard_plot(self, tmp / "scorecard.png")
        return Path(out)


def score(obs: pd.DataFrame, sim: Simulated, groups: dict[str, list[str]] | None = None, *,
          warnings: list[str] | None = None) -> Scorecard:
    """Match every observation to the simulation and compute the scores.

    The run's pack (`sim.pack`, by default `pack.DEFAULT_PACK`) gives the crossing groups (unless `groups` is
    given), the origin's code and the currency of fares. `warnings` (e.g. that a regional run is compared with national
    observations) go into the scores as `warnings`, so that `scorecard.json` and the report carry them with the
    numbers they qualify.
    """
    from .pack import load_pack

    pack = load_pack(sim.pack or DEFAULT_PACK)
    groups = pack.crossing_groups if groups is None else groups
    recs = []
    for row in obs.itertuples(index=False):
        values, reason = _simulate(row, sim, groups, pack.currency)
        rec = {"line": row.line, "date": row.date.date(), "quantity": row.quantity, "geography": row.geography,
               "since": row.since.date() if row.since is not None else None, "kind": row.kind,
               "observed": row.value, "status": "skipped" if values is None else "scored", "reason": reason}
        if values is not None:
            qs = np.quantile(values, QUANTILES)
            rec.update({f"sim_q{int(round(q * 100)):02d}": v for q, v in zip(QUANTILES, qs, strict=True)})
            med = qs[2]
            rec["simulated"] = med
            rec["log_ratio"] = float(np.log(med / row.value)) if med > 0 and row.value > 0 else np.nan
            rec["abs_rel_diff"] = abs(med - row.value) / row.value if row.value > 0 else np.nan
        recs.append(rec)
    rows = pd.DataFrame(recs)
    metrics = _metrics(rows, sim.members, sim.origin)
    metrics["warnings"] = list(warnings or [])
    return Scorecard(rows, metrics, pack.currency, sim.pack or DEFAULT_PACK)


def _metrics(rows: pd.DataFrame, members: int, origin: str) -> dict:
    scored = rows[rows.status == "scored"].copy() if "simulated" in rows else rows.iloc[0:0]
    out: dict = {"n_scored": int(len(scored)), "n_skipped": int((rows.status == "skipped").sum()),
                 "members": members}
    if scored.empty:
        out.update(ard=None, ard_rescaled=None, volume_log_ratio=None, median_abs_log_ratio=None, mase=None,
                   coverage_50=None, coverage_90=None, band_width_log90=None, coverage_by_quantity={})
    else:
        out["ard"] = _mean(scored.abs_rel_diff)
        out["median_abs_log_ratio"] = _nan_none(np.nanmedian(np.abs(scored.log_ratio)))
        dist = scored[scored.quantity.isin(DISTRIBUTION) & ~scored.geography.str.startswith("crossing:")
                      & (scored.geography != origin)]
        parts = []
        for _, g in dist.groupby("quantity"):
            if g.simulated.sum() > 0:
                factor = g.observed.sum() / g.simulated.sum()
                parts.append(np.abs(g.simulated * factor - g.observed) / g.observed)
        out["ard_rescaled"] = _mean(pd.concat(parts)) if parts else None
        vol = scored[scored.quantity.isin(VOLUME) & (scored.geography == origin)]
        if vol.empty:
            vol = scored[(scored.quantity == "cum_entries") & ~scored.geography.str.startswith("crossing:")]
        out["volume_log_ratio"] = (float(np.log(vol.simulated.sum() / vol.observed.sum()))
                                   if not vol.empty and vol.simulated.sum() > 0 else None)
        out["mase"] = _mase(scored)
        if members > 1:
            out.update(_coverage(scored))
            out["coverage_by_quantity"] = {q: {"n": int(len(g)), **_coverage(g)}
                                           for q, g in scored.groupby("quantity")}
        else:
            out["coverage_50"] = out["coverage_90"] = out["band_width_log90"] = None
            out["coverage_by_quantity"] = {}
    out["skipped"] = (rows[rows.status == "skipped"].groupby("reason").size().sort_values(ascending=False)
                      .to_dict())
    return out


def _coverage(scored: pd.DataFrame) -> dict:
    """Shares of observations inside the 25–75% and 5–95% bands, and the 5–95% band's mean width in log units."""
    obs = scored.observed
    width = np.log1p(np.maximum(scored.sim_q95, 0)) - np.log1p(np.maximum(scored.sim_q05, 0))
    return {"coverage_50": float(((scored.sim_q25 <= obs) & (obs <= scored.sim_q75)).mean()),
            "coverage_90": float(((scored.sim_q05 <= obs) & (obs <= scored.sim_q95)).mean()),
            "band_width_log90": float(width.mean())}


def _mase(scored: pd.DataFrame) -> float | None:
    """Σ|sim − obs| over Σ|obs_i − obs_{i−1}|, over the points of series with a previous observation."""
    model, naive = 0.0, 0.0
    for _, g in scored.groupby(["quantity", "geography", "since"], dropna=False):
        g = g.sort_values("date")
        if len(g) < 2:
            continue
        model += float(np.abs(g.simulated - g.observed).iloc[1:].sum())
        naive += float(np.abs(np.diff(g.observed.to_numpy())).sum())
    return model / naive if naive > 0 else None


def _mean(x: pd.Series) -> float | None:
    x = x.dropna()
    return float(x.mean()) if len(x) else None


def _nan_none(v: float) -> float | None:
    return None if np.isnan(v) else float(v)
