"""Units of the output quantities, the rounding applied when outputs are written, and how numbers are shown.

The engine counts people in integers, but some outputs are expected values (protesters and detentions of the
voice module, workers lost net of remote work) or sample counts scaled by a fraction (capacities, seats). Written
outputs hold whole people: every quantity measured in persons is rounded to the nearest integer on writing (so a
regional protest of 0.0035 persons is written as 0, and a cumulative series is rounded on its own, not summed from
rounded days). Results in memory keep the exact values. Other quantities keep 6 significant digits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CURRENCY = "{currency}"
"""Where a unit names money: replaced by the pack's currency (`pack.toml` `currency`) when written or shown."""

UNITS: dict[str, str] = {  # money in the pack's currency (`unit`, `with_units`)
    "flight_price": f"{CURRENCY} (one way)",
    "queue_wait_hours": "hours",
    "queue_vehicles": "vehicles",
    "output_loss_pct": "% of GDP",
    "output_loss_per_day": f"{CURRENCY} per day",
    "output_loss_annualised": f"{CURRENCY} per year",
    "risk_mean_eligible_men": "probability (0–1)",
    "closure_perceived": "probability (0–1)",
    "illegal_through": "share (0–1)",
    "capacity": "persons per day",
    "flight_seats": "seats per day",
    "flight_demand": "persons per day",
}
"""Units of the quantities not counted in persons (the rest: persons, or persons per day for daily flows)."""

MONEY = {"output_loss_per_day", "output_loss_annualised", "output_loss_cumulative", "output_loss_annualised_end"}
"""Series, summary totals and comparison metrics in the pack's currency."""

RENAMED = {
    "daily_departures_ru": "daily_departures",
    "cum_departures_ru": "cum_departures",
    "output_loss_rub_per_day": "output_loss_per_day",
    "output_loss_rub_annualised": "output_loss_annualised",
    "output_loss_rub_cumulative": "output_loss_cumulative",
    "output_loss_rub_annualised_end": "output_loss_annualised_end",
}
"""Output names of earlier versions (named after the first, Russian, case), read as their country-neutral names:
series of `timeseries.parquet` and `member_series.parquet`, keys of `summary.json`, metrics of `comparison.csv`.
Observation files read the departures' old names too (`observations.ALIASES`)."""


def current_name(name: str) -> str:
    """An output's name as this version writes it (`cum_departures_ru` → `cum_departures`); others unchanged."""
    return RENAMED.get(name, name)


def current_names(x):
    """A summary (or any nest of dicts and lists) of an earlier version with its keys under their current names."""
    if isinstance(x, dict):
        return {current_name(k) if isinstance(k, str) else k: current_names(v) for k, v in x.items()}
    if isinstance(x, list):
        return [current_names(v) for v in x]
    return x

STOCKS = {"abroad_stock", "men_abroad_stock", "travelling", "net_stay", "mobilised_cum", "summons_cum", "cum_entries",
          "cum_exits_back",
          "cum_departures", "detained_cum", "opposed_at_home", "opposed_abroad", "passport_holders",
          "workers_lost", "labour_shortage", "queue_persons"}
"""Person quantities that are stocks or running totals (unit: persons); the other person quantities are per day."""

NOT_PERSONS = {k for k, v in UNITS.items() if not v.startswith("persons")} | {"flight_seats"}


def unit(quantity: str, currency: str) -> str:
    """The unit of an output quantity; money in `currency`, the pack's (`pack.toml` `currency`)."""
    quantity = current_name(quantity)
    if quantity in UNITS:
        return UNITS[quantity].replace(CURRENCY, currency)
    if quantity in STOCKS or quantity.startswith("state_"):
        return "persons"
    return "persons per day"


def is_persons(quantity: str) -> bool:
    """Whether a quantity counts people (and is written as whole numbers)."""
    return quantity not in NOT_PERSONS


def round_sig(x: float, digits: int = 6) -> float:
    """`x` to `digits` significant digits."""
    return float(f"{x:.{digits}g}")


def tidy_values(frame: pd.DataFrame, columns=("value",)) -> pd.DataFrame:
    """A long frame (with `quantity`) for writing: people rounded to integers, the rest to 6 significant digits."""
    out = frame.copy()
    people = out.quantity.map(is_persons).to_numpy(dtype=bool)
    for c in columns:
        v = out[c].to_numpy(dtype=float)
        rounded = np.where(people, np.round(v), v)
        other = ~people & np.isfinite(v) & (v != 0)
        if other.any():
            mag = np.floor(np.log10(np.abs(v[other])))
            f = 10.0 ** (5 - mag)
            rounded[other] = np.round(v[other] * f) / f
        out[c] = rounded
    return out


def with_units(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    """A long frame with a `unit` column at the end (money in `currency`, the pack's)."""
    return frame.assign(unit=frame.quantity.map(lambda q: unit(q, currency)).astype("category"))


PERSON_TOTALS = {"protesters_peak", "detained", "workers_lost_end", "protest_person_days", "opposed_abroad_end",
                 "opposed_at_start", "workers_lost_peak", "opposed_at_home_end", "labour_shortage_end", "employed",
                 "workers_lost_by_sector_end", "mobilised", "left", "abroad_at_end", "returned", "summons_served",
                 "quota_target", "target", "trips_started", "passports_issued", "stopped_at_border",
                 "summons_at_border", "hiding_at_end", "exempt_at_end", "visas_issued", "visa_pending_at_end",
                 "conscripted", "conscripted_at_end", "illegal_caught", "illegal_turned_away", "left_by_destination",
                 "left_since_callup"}
"""Summary totals (and comparison metrics) that count people: written as whole numbers, an ensemble's quantiles
too (a 5% quantile of 688 and 689 is 688.85 people: written 689)."""

NOT_PERSON_TOTALS = {"quota_fill", "share_filled", "exits_per_recruit", "peak_queue_wait_hours", "days_to_fill",
                     "exit_to_voice"}
"""Summary totals and comparison metrics that are not counts of people (nor are `output_loss_*`): they stay real."""


def is_person_total(key: str) -> bool:
    """Whether a summary total or a comparison metric counts people (and is written as a whole number)."""
    return key in PERSON_TOTALS


def tidy_summary(x, key: str = ""):
    """A summary for writing: counts of people as integers, other real numbers to 6 significant digits."""
    if isinstance(x, dict):
        return {k: tidy_summary(v, key if key in PERSON_TOTALS else k) for k, v in x.items()}
    if isinstance(x, list):
        return [tidy_summary(v, key) for v in x]
    if isinstance(x, float) and np.isfinite(x):
        return int(round(x)) if key in PERSON_TOTALS else round_sig(x)
    return x


def whole_people(frame: pd.DataFrame) -> pd.DataFrame:
    """A table of summary totals (an ensemble's `members`): columns that count people as whole numbers (int64).

    A column with a missing value keeps its gaps (pandas' nullable Int64).
    """
    out = frame.copy()
    for c in out.columns:
        if is_person_total(c) and pd.api.types.is_numeric_dtype(out[c]):
            v = out[c].round()
            out[c] = v.astype("int64") if v.notna().all() else v.astype("Int64")
    return out


RATIOS = {"quota_fill", "share_filled", "exits_per_recruit"}
"""Summary and comparison figures that are ratios or shares (shown with 2 decimals)."""

WHOLE_POPULATION = RATIOS | {"peak_queue_wait_hours", "days_to_fill", "quota_target", "wall_seconds"}
"""Summary totals that are not counts of the simulated sample: a sample run does not scale them up (output loss in %
and in money, `output_loss_*`, is at the scale of the regions simulated as well)."""


def fmt_metric(metric: str, x: float | None) -> str:
    """A summary or comparison figure as exitvoice shows it, in the terminal, the report and the dashboard alike.

    Ratios and shares (`quota_fill`, `exits_per_recruit`) and output loss in % to 2 decimals; money (`MONEY`, in the
    pack's currency) in billions; everything else (people, hours, days) as a whole number with thousands
    separators; "—" for no value.
    """
    if x is None or not np.isfinite(x):
        return "—"
    metric = current_name(metric)
    if metric in RATIOS or metric.startswith("output_loss_pct"):
        return f"{x:.2f}"
    if metric in MONEY:
        return f"{x / 1e9:,.0f}"
    return f"{x:,.0f}"


def scaled_up(metric: str, x: float | None, scale: float) -> float | None:
    """A summary total of a sample run (`population.scale`) in whole-population terms: counts of people / scale."""
    if x is None or scale == 1 or metric in WHOLE_POPULATION or metric.startswith("output_loss"):
        return x
    return x / scale


def fmt_score(x) -> str:
    """A validation score as shown in the terminal and the report: 3 decimals, counts as they are, "—" for none."""
    if x is None:
        return "—"
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def headline_text(totals: dict, scale: float, members: int) -> str:
    """Left, mobilised and quota fill of summary totals, as `exitvoice run` prints them (an ensemble's: quantiles).

    `left 163,800 [158,000–170,000] · mobilised …`: counts of a sample are scaled up to the whole population.
    """
    parts = []
    for k, what in (("left", "left"), ("mobilised", "mobilised"), ("quota_fill", "quota fill")):
        q = totals.get(k)
        if q is None:
            continue
        if not isinstance(q, dict):
            q = {"q05": q, "q50": q, "q95": q}
        lo, mid, hi = (fmt_metric(k, scaled_up(k, q.get(c), scale)) for c in ("q05", "q50", "q95"))
        parts.append(f"{what} {mid}" + (f" [{lo}–{hi}]" if members > 1 else ""))
    return " · ".join(parts)
