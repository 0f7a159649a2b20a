"""Display names of a pack's codes and of the keys of summaries and comparisons.

Codes: `AB` is Abkhazia, crossings read `Verkhny Lars → Georgia`; keys: `exits_per_recruit` is "departures per
recruit (since the call-up)".

Used by the terminal tables, the plots, the report and the dashboard, so that no table or chart shows a bare code
or key a reader must look up.
"""

from __future__ import annotations

from functools import lru_cache

from .pack import DEFAULT_PACK

METRICS: dict[str, str] = {
    "left": "left (departures of leavers)",
    "abroad_at_end": "abroad at the end",
    "left_since_callup": "left since the headline call-up",
    "mobilised": "mobilised (all call-ups)",
    "quota_fill": "quota fill (headline call-up)",
    "days_to_fill": "days to fill the quota",
    "share_filled": "share of members that fill the quota",
    "exits_per_recruit": "departures per recruit (since the call-up)",
    "peak_queue_wait_hours": "peak queue wait (hours)",
    "passports_issued": "foreign passports issued",
    "stopped_at_border": "people stopped at the official exits",
    "illegal_caught": "people caught crossing irregularly",
    "illegal_turned_away": "attempts turned away at irregular crossings",
    "exempt_at_end": "exempt (signed the social contract)",
    "visas_issued": "exit visas issued",
    "conscripted_at_end": "conscripted (regular draft)",
    "output_loss_pct_end": "output loss at the end (% of GDP)",
    "output_loss_cumulative": "output lost over the run (bn {currency})",
    "workers_lost_end": "workers lost at the end",
    "protesters_peak": "protesters on the peak day",
    "protest_person_days": "protest participations (person-days)",
    "detained": "detained at protests",
    "opposed_abroad_end": "opposed to the call-up, abroad at the end",
}
"""Comparison metrics (`exitvoice.compare`) in the order of the comparison table, with what each is in words."""

TOTALS: dict[str, str] = {
    **METRICS,
    "returned": "came back",
    "summons_served": "summons served",
    "quota_fill": "quota fill (all call-ups)",
    "hiding_at_end": "hiding at the end",
    "stopped_at_border": "stopped at the official exits",
    "peak_queue_wait_hours": "peak queue wait (hours)",
    "visa_pending_at_end": "waiting for a visa at the end",
    "conscripted": "conscripted (regular draft)",
    "trips_started": "ordinary trips started",
    "summons_at_border": "summonses served at the border",
    "illegal_caught": "caught crossing irregularly",
    "illegal_turned_away": "turned away at irregular crossings",
}
"""Keys of a run's or an ensemble's summary totals, in words."""


SCORES: dict[str, str] = {
    "ard": "mean relative difference",
    "ard_rescaled": "mean relative difference of where people went",
    "volume_log_ratio": "log ratio of how many left",
    "median_abs_log_ratio": "median absolute log ratio",
    "mase": "error against a naive forecast",
    "coverage_50": "observations inside the 50% band",
    "coverage_90": "observations inside the 90% band",
    "band_width_log90": "width of the 90% band (log units)",
    "n_scored": "observations scored",
    "n_skipped": "observations skipped",
}
"""Validation scores (`scorecard.json`, exitvoice.validate.SCORE_MEANINGS says what each measures), in words."""


def comparison_label(key: str, currency: str | None = None) -> str:
    """A comparison metric in words, as the comparison table names it (`METRICS`); money in `currency`."""
    return _money(METRICS[key], currency)


def _money(text: str, currency: str | None) -> str:
    return text.replace("{currency}", currency or "in the origin's currency")


def metric_label(key: str, currency: str | None = None) -> str:
    """A summary, comparison or validation key in words (the key itself if it has no label).

    Money is named in `currency`, the pack's (`output lost over the run (bn MMK)`); without one, in words.
    """
    from .units import current_name

    key = current_name(key)  # a key of an earlier version (`output_loss_rub_cumulative`)
    return _money(TOTALS.get(key, METRICS.get(key, SCORES.get(key, key))), currency)


@lru_cache(maxsize=4)
def names(country: str = DEFAULT_PACK) -> dict[str, str]:
    """Display names of destinations, crossings and regions of a pack, and of its own code (`RU` is Russia)."""
    from .pack import load_pack

    pack = load_pack(country)
    out = {r.destination: r.name for r in pack.destinations.itertuples()}
    for r in pack.crossings[pack.crossings["mode"] == "land"].itertuples():
        parts = str(r.crossing).split(" - ")
        short = (parts[1] if parts[0] == pack.name and len(parts) > 1 else parts[0]).split(" (")[0]
        out[f"crossing:{r.crossing_id}"] = f"{short} → {out.get(r.destination, r.destination)}"
    if pack.illegal_routes is not None and "border" in pack.illegal_routes:  # `illegal:<id>` is `crossing:<id>`
        for r in pack.illegal_routes.itertuples():  # `border` "Kayin - Tak: the Moei river …": the part after ": "
            border = str(r.border).split(": ", 1)[-1].strip() if isinstance(r.border, str) else ""
            if border:
                crossing = str(r.route_id).split(":", 1)[-1]
                out[f"crossing:{crossing}"] = f"{border} (irregular) → {out.get(r.destination, r.destination)}"
    for group, members in pack.crossing_groups.items():  # crossings a border guard reports together
        named = [out.get(f"crossing:{c}", c).split(" → ") for c in members]
        dests = {n[1] for n in named if len(n) > 1}
        out[f"crossing:{group}"] = " + ".join(n[0] for n in named) + (f" → {dests.pop()}" if len(dests) == 1 else "")
    out.update({f"air:{d}": f"flights to {n}" for d, n in list(out.items()) if len(d) == 2})
    out.update({r.region_id: r.name_en for r in pack.regions.itertuples()})
    out[pack.code] = pack.name
    return out


def label(code: str, country: str = DEFAULT_PACK) -> str:
    """A code in words: `Kazakhstan (KZ)`, `Moscow (city, MOW)`, `Verkhny Lars → Georgia`, `Russia` for `RU`."""
    from .pack import load_pack

    name = names(country).get(code)
    if not name or name == code:
        return code.replace("_", " ") if code.islower() else code  # a sector or other key: `water_waste` → words
    if ":" in code or code == load_pack(country).code:
        return name
    if name.endswith(")"):  # `Moscow (city)`: one pair of brackets, `Moscow (city, MOW)`
        return f"{name[:-1]}, {code})"
    return f"{name} ({code})"


def covered(regions: list[str] | None = None, scale: float = 1.0, country: str = DEFAULT_PACK) -> str:
    """The name of a run's origin totals, saying what the run covers (a chart's series, not a bare `Russia`).

    `Russia` for the whole country; `1% sample of Russia, scaled up` for a sample of it; `regions: Moscow (city),
    Saint Petersburg` for some regions (the first three by name, then how many more), with ` · 2% sample, scaled up`
    for a sample of them. A sample's counts are shown scaled up by 1/scale to the whole population it stands for.
    """
    from .pack import load_pack

    country_name = names(country).get(load_pack(country).code, country)
    share = f"{scale * 100:.3g}%"
    if not regions:
        return country_name if scale >= 1 else f"{share} sample of {country_name}, scaled up"
    shown = ", ".join(names(country).get(r, r) for r in regions[:3])
    more = f" and {len(regions) - 3} more" if len(regions) > 3 else ""
    return f"regions: {shown}{more}" + (f" · {share} sample, scaled up" if scale < 1 else "")


def covered_by(scenario) -> str:
    """`covered` of a scenario (its regions, sample and country)."""
    pop = scenario.population
    return covered(list(pop.regions or []), pop.scale, scenario.scenario.country)
