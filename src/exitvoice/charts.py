"""Interactive charts (plotly) of simulated series, shared by the HTML report and the dashboard.

Every chart takes `Simulated` cases (a run is one member; an ensemble many) and draws the median of the members
with the 5–95% band when there are several. Values are whole-population figures (a sample run is scaled up by
its `population.scale`, as `Simulated` does). Destinations are labelled by name (`AB` is Abkhazia), crossings by
their name in the pack, and every axis carries its unit.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from .labels import label, names
from .pack import DEFAULT_PACK
from .units import CURRENCY
from .validate import Simulated

PALETTE = qualitative.Dark24  # 24 distinct colours: no two destinations share one
LAYOUT = dict(template="plotly_white", height=380, margin=dict(l=70, r=20, t=60, b=50),
              legend=dict(orientation="v", x=1.02, y=1, xanchor="left"), hovermode="x unified",
              font=dict(size=12))
LEGEND_CHARS = 32
"""Longest legend entry beside a chart; a longer one (what a run covers: `regions: Moscow (city), …`) goes below it."""
BELOW = dict(orientation="h", x=0, xanchor="left", y=-0.28, yanchor="top")
"""A legend under the chart's date axis."""
MODEBAR_PX = 42
"""Height of the strip at the top of a chart where plotly's toolbar (the modebar) appears: titles start below it."""
TITLE_CHARS = 64
"""Characters of a title line: longer titles wrap, so that no title runs under the legend or off the chart."""


LEGEND_WRAP = 60
"""Characters of a line of a legend entry under a chart."""


def wrapped(text: str, width: int) -> str:
    """Text in lines of at most `width` characters, for plotly (`<br>` between lines)."""
    return "<br>".join(textwrap.wrap(text, width)) or text


def layout(title: str, **overrides) -> dict:
    """The shared layout, with the title left-aligned below the toolbar strip and wrapped to fit the chart."""
    lines = textwrap.wrap(title, TITLE_CHARS) or [""]
    height = overrides.get("height", LAYOUT["height"])
    out = {**LAYOUT, "title": dict(text="<br>".join(lines), x=0.01, xanchor="left", y=1 - MODEBAR_PX / height,
                                    yanchor="top", yref="container", font=dict(size=15)),
           "margin": dict(l=70, r=20, t=MODEBAR_PX + 20 * len(lines) + 16, b=50)}
    out.update(overrides)
    return out


def _full_range(fig: go.Figure, sims) -> None:
    """Show every day of the run on the date axis, from its first to its last."""
    sims = [s for s in sims if len(s.dates)]
    if sims:
        fig.update_xaxes(range=[min(s.dates[0] for s in sims), max(s.dates[-1] for s in sims)])


def _rgba(colour: str, alpha: float) -> str:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def band(sim: Simulated, quantity: str, geography: str | None = None) -> tuple[np.ndarray, ...] | None:
    """5%, median and 95% over members of one series (None if the run has none); by default the origin total."""
    v = sim.series.get((quantity, geography or sim.origin))
    if v is None:
        return None
    lo, mid, hi = np.quantile(v, [0.05, 0.5, 0.95], axis=0)
    return lo, mid, hi


def add_band(fig: go.Figure, x, lo, mid, hi, name: str, colour: str, *, show_band: bool, dash: str | None = None,
             row: int | None = None, col: int | None = None, legendgroup: str | None = None,
             showlegend: bool = True) -> None:
    """A median line and, for an ensemble, its 5–95% band."""
    where = dict(row=row, col=col) if row else {}
    group = legendgroup or name
    if show_band:
        fig.add_trace(go.Scatter(x=x, y=hi, mode="lines", line=dict(width=0), hoverinfo="skip", showlegend=False,
                                 legendgroup=group), **where)
        fig.add_trace(go.Scatter(x=x, y=lo, mode="lines", line=dict(width=0), fill="tonexty",
                                 fillcolor=_rgba(colour, 0.18), name=f"{name} 5–95%", hoverinfo="skip",
                                 showlegend=False, legendgroup=group), **where)
    fig.add_trace(go.Scatter(x=x, y=mid, mode="lines", name=name, line=dict(color=colour, width=2, dash=dash),
                             legendgroup=group, showlegend=showlegend,
                             hovertemplate="%{y:,.0f}" if np.nanmax(np.abs(mid), initial=0) >= 100 else "%{y:.3g}"),
                  **where)


def series_chart(cases: list[tuple[str, Simulated]], quantity: str, geographies: list[str] | None, title: str,
                 ytitle: str, *, top: int | None = None, country: str = DEFAULT_PACK, origin: str | None = None
                 ) -> go.Figure:
    """One quantity over time: a line per geography (one case) or per case (several cases, one geography).

    `origin` names the origin totals' line: what the run covers (`labels.covered`: `1% sample of Russia, scaled
    up`, `regions: Moscow (city), …`); by default the country's name.
    """
    fig = go.Figure()
    if len(cases) == 1:
        name, sim = cases[0]
        geos = geographies or [g for (q, g) in sim.series if q == quantity and g != sim.origin]
        if top:
            geos = sorted(geos, key=lambda g: -float(np.nanmax(sim.series[(quantity, g)])))[:top]
        for i, g in enumerate(geos):
            b = band(sim, quantity, g)
            if b is not None:
                name = (wrapped(origin, LEGEND_WRAP) if origin and g == sim.origin else label(g, country))
                add_band(fig, sim.dates, *b, name, PALETTE[i % len(PALETTE)], show_band=sim.members > 1)
    else:
        g = (geographies or [None])[0]  # None: each case's origin total
        for i, (name, sim) in enumerate(cases):
            b = band(sim, quantity, g)
            if b is not None:
                add_band(fig, sim.dates, *b, name, PALETTE[i % len(PALETTE)], show_band=sim.members > 1)
    fig.update_layout(yaxis_title=ytitle, xaxis_title="date", **layout(title))
    if max((len((t.name or "").split("<br>")[0]) for t in fig.data), default=0) > LEGEND_CHARS:
        fig.update_layout(legend=BELOW, margin=dict(b=110))  # a long name: under the chart, which keeps its width
    _full_range(fig, [sim for _, sim in cases])
    ymax = max((float(np.nanmax(t.y)) for t in fig.data if t.y is not None and len(t.y)), default=0.0)
    fig.update_yaxes(rangemode="tozero", tickformat="~s" if ymax >= 1e4 else None)  # 1.2M, never "500m" hours
    return fig


def callup_chart(cases: list[tuple[str, Simulated]], targets: dict[str, float]) -> go.Figure:
    """Mobilised (cumulative) and summons served (cumulative) against each case's call-up target."""
    fig = go.Figure()
    for i, (name, sim) in enumerate(cases):
        colour = PALETTE[i % len(PALETTE)]
        suffix = f" · {name}" if len(cases) > 1 else ""
        b = band(sim, "mobilised_cum")
        if b is not None:
            add_band(fig, sim.dates, *b, f"mobilised{suffix}", colour, show_band=sim.members > 1)
        s = band(sim, "summons_cum")
        if s is not None:
            add_band(fig, sim.dates, *s, f"summons served{suffix}", colour, show_band=False, dash="dot")
        if targets.get(name):
            fig.add_trace(go.Scatter(x=[sim.dates[0], sim.dates[-1]], y=[targets[name]] * 2, mode="lines",
                                     line=dict(color=colour, dash="dash", width=1), name=f"quota target{suffix}"))
    fig.update_layout(yaxis_title="persons (cumulative)", xaxis_title="date",
                      **layout("The call-up against its quota"))
    _full_range(fig, [sim for _, sim in cases])
    fig.update_yaxes(rangemode="tozero", tickformat="~s")
    return fig


def totals_by(sim: Simulated, quantity: str, prefix: str = "") -> pd.DataFrame:
    """Per geography: median over members of the series summed over the run, with its 5–95% band."""
    rows = []
    for (q, g), v in sim.series.items():
        if q == quantity and g != sim.origin and g.startswith(prefix):
            tot = v.sum(axis=1)
            lo, mid, hi = np.quantile(tot, [0.05, 0.5, 0.95])
            rows.append({"geography": g, "q05": lo, "q50": mid, "q95": hi})
    return pd.DataFrame(rows, columns=["geography", "q05", "q50", "q95"]).sort_values("q50", ascending=False)


def bars(frame: pd.DataFrame, title: str, xtitle: str, *, top: int = 15, country: str = DEFAULT_PACK,
         colour: str = PALETTE[0]) -> go.Figure:
    """Horizontal bars (median) with 5–95% whiskers, largest on top."""
    f = frame[frame.q50 > 0].head(top)
    fig = go.Figure(go.Bar(
        y=[label(g, country) for g in f.geography], x=f.q50, orientation="h", marker_color=colour,
        error_x=dict(type="data", symmetric=False, array=(f.q95 - f.q50).clip(lower=0),
                     arrayminus=(f.q50 - f.q05).clip(lower=0), color="#444", thickness=1)
        if (f.q95 > f.q05).any() else None,
        hovertemplate="%{y}: %{x:,.0f}<extra></extra>"))
    fig.update_layout(xaxis_title=xtitle, **layout(title, height=max(300, 90 + 24 * len(f)), hovermode="closest"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickformat="~s")
    return fig


def timeline_chart(scenario: dict, params=None) -> go.Figure:
    """The policy timeline: one bar per policy from its start to its end (or the end of the scenario).

    `params`: the scenario's parameter values, to show the value of a field that names a parameter.
    """
    meta, pols = scenario["scenario"], scenario.get("policy", [])
    fig = go.Figure()
    end_all = pd.Timestamp(meta["end"])
    for i, p in enumerate(pols):
        start = pd.Timestamp(p.get("start") or meta["start"])
        end = pd.Timestamp(p["end"]) if p.get("end") else end_all
        text = policy_text(p, params)
        fig.add_trace(go.Scatter(x=[start, end], y=[i, i], mode="lines+markers", line=dict(width=14,
                      color=PALETTE[i % len(PALETTE)]), marker=dict(size=6), name=p["type"], showlegend=False,
                      hovertemplate=f"{policy_name(p['type'])}: {text}<br>%{{x|%d %b %Y}}<extra></extra>"))
    fig.update_layout(xaxis_title="date", **layout("Policy timeline", height=150 + 34 * len(pols),
                                                   hovermode="closest"))
    names = [f"{policy_name(p['type'])}: {p['label']}" if p.get("label") else policy_name(p["type"]) for p in pols]
    fig.update_yaxes(tickvals=list(range(len(pols))), ticktext=[n if len(n) <= 48 else n[:47] + "…" for n in names],
                     autorange="reversed")
    fig.update_xaxes(range=[pd.Timestamp(meta["start"]), end_all])
    return fig


def policy_name(kind: str) -> str:
    """A policy type in words: `border_closure` → `border closure`."""
    return kind.replace("_", " ")


def policy_text(p: dict, params=None) -> str:
    """The fields of a policy that are set, other than its type and dates, in one line.

    Nested tables show only their set fields: `who={sex=male, age_max=49}`, not every filter left out as None. A
    field that names a declared parameter shows its value too, from `params` (the scenario's parameter values):
    `credibility=events2022.closure_rumour_credibility (0.5)`.
    """
    def shown(v):
        if isinstance(v, str) and params is not None and v in params:
            return f"{v} ({params[v]:g})"
        if isinstance(v, dict):
            inner = {k: shown(x) for k, x in v.items()}
            inner = {k: x for k, x in inner.items() if x not in (None, [], {}, "")}
            return "{" + ", ".join(f"{k}={x}" for k, x in inner.items()) + "}" if inner else None
        if isinstance(v, list):
            return "[" + ", ".join(str(shown(x)) for x in v) + "]" if v else None
        return v

    skip = {"type", "start", "end"}
    values = {k: shown(v) for k, v in p.items() if k not in skip}
    return ", ".join(f"{k}={v}" for k, v in values.items() if v not in (None, [], {}, ""))


def scorecard_chart(rows: pd.DataFrame, country: str = DEFAULT_PACK) -> go.Figure:
    """Observed points over simulated medians and 5–95% bands, one panel per quantity (log scale).

    Geographies and money are those of the run's pack (`country`): its names, its currency.
    """
    from .pack import load_pack

    currency = load_pack(country).currency
    from plotly.subplots import make_subplots

    scored = rows[rows.status == "scored"].copy()
    quantities = list(dict.fromkeys(scored.quantity))
    if not quantities:
        fig = go.Figure()
        fig.update_layout(**layout("No observation could be scored"))
        return fig
    fig = make_subplots(rows=len(quantities), cols=1, subplot_titles=[QUANTITY_TITLES.get(q, q) for q in quantities],
                        vertical_spacing=0.5 / max(len(quantities), 1))
    single = bool(((scored.sim_q05 == scored.sim_q95) | scored.sim_q05.isna()).all())  # one run: no band
    sim_name = "simulated (a single run)" if single else "simulated (median, 5–95%)"
    for k, q in enumerate(quantities, start=1):
        part = scored[scored.quantity == q].sort_values(["geography", "date"])
        x = [f"{label(g, country)} · {pd.Timestamp(d):%d %b}"
             for g, d in zip(part.geography, part.date, strict=True)]
        src = part.source.fillna("") if "source" in part else [""] * len(part)
        fig.add_trace(go.Scatter(
            x=x, y=part.simulated, mode="markers", marker=dict(symbol="square", size=8, color=PALETTE[0]),
            error_y=dict(type="data", symmetric=False, array=(part.sim_q95 - part.simulated).clip(lower=0),
                         arrayminus=(part.simulated - part.sim_q05).clip(lower=0), thickness=1.2),
            name=sim_name, legendgroup="sim", showlegend=k == 1,
            hovertemplate="simulated %{y:,.0f}<extra></extra>"), row=k, col=1)
        fig.add_trace(go.Scatter(
            x=x, y=part.observed, mode="markers", marker=dict(size=8, color="black"), name="observed",
            legendgroup="obs", showlegend=k == 1, customdata=np.asarray(src, dtype=object),
            hovertemplate="observed %{y:,.0f}<br>%{customdata}<extra></extra>"), row=k, col=1)
        fig.update_yaxes(type="log", title_text=QUANTITY_UNITS.get(q, "persons").replace(CURRENCY, currency), row=k,
                         col=1)
        fig.update_xaxes(tickangle=-35, tickfont=dict(size=10), row=k, col=1)
    fig.update_layout(**layout("Validation: observations against the simulation", height=330 * len(quantities),
                               hovermode="closest", legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0)))
    fig.update_layout(margin=dict(l=70, r=20, t=MODEBAR_PX + 80, b=60))  # the title, then the legend above panel 1
    return fig


QUANTITY_TITLES = {
    "daily_entries": "entries per day (at destinations and crossings)",
    "cum_entries": "entries since a date (cumulative)",
    "cum_exits_back": "exits back since a date (cumulative)",
    "net_stay": "entries minus exits back (cumulative)",
    "daily_departures": "departures of leavers per day",
    "cum_departures": "departures of leavers since a date",
    "monthly_entries": "entries in a calendar month",
    "abroad_stock": "leavers abroad",
    "men_abroad_stock": "men abroad",
    "illegal_crossings_caught": "caught crossing illegally since a date",
    "mobilised_cum": "mobilised (cumulative)",
    "queue_vehicles": "vehicles queued at a crossing",
    "queue_wait_hours": "wait at a crossing",
    "flight_price": "one-way fare",
    "detained_cum": "detained at protests (cumulative)",
}
QUANTITY_UNITS = {"daily_entries": "persons per day", "daily_departures": "persons per day",
                  "queue_vehicles": "vehicles", "queue_wait_hours": "hours", "flight_price": f"{CURRENCY} (one way)"}


def last_by(sim: Simulated, quantity: str) -> pd.DataFrame:
    """Per geography (not the origin): median over members of the last day's value, with its 5–95% band."""
    rows = []
    for (q, g), v in sim.series.items():
        if q == quantity and g != sim.origin:
            lo, mid, hi = np.quantile(v[:, -1], [0.05, 0.5, 0.95])
            rows.append({"geography": g, "q05": lo, "q50": mid, "q95": hi})
    return pd.DataFrame(rows, columns=["geography", "q05", "q50", "q95"]).sort_values("q50", ascending=False)


def crossings_map(sim: Simulated, country: str = DEFAULT_PACK, regions_left: pd.Series | None = None) -> go.Figure:
    """Where people crossed: land crossings sized by the people they processed over the run, on longitude/latitude.

    The pack has coordinates for regions (grey dots, or sized by leavers when `regions_left` is given) and land
    crossings, none for destinations: flights appear in the route chart, not here. No basemap is drawn (it would
    need a download): the points are placed by their coordinates.
    """
    from .pack import load_pack

    pack = load_pack(country)
    reg = pack.regions
    fig = go.Figure()
    if regions_left is not None:
        left = regions_left.reindex(reg.region_id).fillna(0).to_numpy()
        size = 4 + 30 * np.sqrt(left / max(left.max(), 1))
        fig.add_trace(go.Scatter(x=reg.lon, y=reg.lat, mode="markers", name="regions (size: leavers)",
                                 marker=dict(size=size, color="rgba(70,90,120,0.45)", line=dict(width=0)),
                                 text=[f"{n}: {v:,.0f} left" for n, v in zip(reg.name_en, left, strict=True)],
                                 hovertemplate="%{text}<extra></extra>"))
    else:
        fig.add_trace(go.Scatter(x=reg.lon, y=reg.lat, mode="markers", name="regions (centres)",
                                 marker=dict(size=4, color="rgba(120,120,120,0.5)"), text=reg.name_en,
                                 hovertemplate="%{text}<extra></extra>"))
    tot = totals_by(sim, "processed", "crossing:").set_index("geography").q50
    cr = pack.crossings[pack.crossings["mode"] == "land"].copy()
    cr["n"] = [float(tot.get(f"crossing:{c}", 0.0)) for c in cr.crossing_id]
    size = 6 + 40 * np.sqrt(cr.n / max(cr.n.max(), 1))
    dest_names = names(country)
    colours = {d: PALETTE[i % len(PALETTE)] for i, d in enumerate(dict.fromkeys(cr.destination))}
    for d, part in cr.groupby("destination", sort=False):
        fig.add_trace(go.Scatter(
            x=part.lon, y=part.lat, mode="markers", name=f"crossings to {dest_names.get(d, d)}",
            marker=dict(size=size[part.index], color=colours[d], line=dict(width=1, color="white")),
            text=[f"{label('crossing:' + c, country)} → {dest_names.get(d, d)}: {n:,.0f} crossed"
                  for c, n in zip(part.crossing_id, part.n, strict=True)], hovertemplate="%{text}<extra></extra>"))
    fig.update_layout(xaxis_title="longitude (°E)", yaxis_title="latitude (°N)",
                      **layout("Where people crossed (land crossings, size: people over the run)", height=460,
                               hovermode="closest"))
    lon = np.r_[reg.lon.to_numpy(float), cr.lon.to_numpy(float)]
    lat = np.r_[reg.lat.to_numpy(float), cr.lat.to_numpy(float)]
    fig.update_xaxes(range=[lon.min() - 2.5, lon.max() + 4.5])  # the pack's regions and crossings (Russia: 18–182)
    fig.update_yaxes(range=[lat.min() - 3, lat.max() + 3])
    return fig
