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


def _people(n: float) -> str:
    """A number of people for a map label: 1.2M, 250k, 4,300."""
    if n >= 1e6:
        return f"{n / 1e6:.1f}M"
    if n >= 1e4:
        return f"{n / 1e3:.0f}k"
    return f"{n:,.0f}"


def _round_people(x: float) -> float:
    """A round number of people at most `x` (1, 2 or 5 times a power of ten), for the legend of line widths."""
    if x <= 0:
        return 0.0
    k = 10 ** np.floor(np.log10(x))
    return float(max(m * k for m in (1, 2, 5) if m * k <= x))


def _arc(a: tuple[float, float], b: tuple[float, float], bend: float = 0.18, n: int = 24) -> tuple[list, list]:
    """Points of a gentle curve from a to b (a quadratic curve bent to the left of the way), for a flight."""
    (x0, y0), (x1, y1) = a, b
    mx, my = (x0 + x1) / 2 - bend * (y1 - y0), (y0 + y1) / 2 + bend * (x1 - x0)
    t = np.linspace(0, 1, n)
    x = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * mx + t ** 2 * x1
    y = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * my + t ** 2 * y1
    return np.round(x, 3).tolist(), np.round(y, 3).tolist()


MAP_HEIGHT = 640
MAP_LABELS = {"regions": 3, "crossings": 5, "destinations": 10}
"""How many regions, crossings and destinations the map names (the largest; the others on hover)."""


MAP_SHARE = 0.9
"""The map's first view holds the middle `MAP_SHARE` of the leavers by their regions' longitude and latitude (of the
people, without the leavers by region), and every crossing and destination that takes at least `MAP_MINOR` of the
largest flow: the user zooms out for the rest (the Far East of Russia, with few leavers, is left out)."""
MAP_MINOR = 0.01


def _weighted_range(values: np.ndarray, weight: np.ndarray, share: float) -> tuple[float, float]:
    """The range of `values` that holds the middle `share` of `weight`."""
    order = np.argsort(values)
    cum = np.cumsum(weight[order]) / max(weight.sum(), 1e-12)
    lo = values[order][min(int(np.searchsorted(cum, (1 - share) / 2)), len(cum) - 1)]
    hi = values[order][min(int(np.searchsorted(cum, 1 - (1 - share) / 2)), len(cum) - 1)]
    return float(lo), float(hi)


def _view(reg: pd.DataFrame, regions_left: pd.Series | None, land: pd.DataFrame, where: dict, left_to: pd.Series,
          flown: pd.Series) -> tuple[tuple[float, float], tuple[float, float]]:
    """The lon and lat ranges of the map's first view (see `MAP_SHARE`), with a margin."""
    weight = (regions_left.reindex(reg.region_id).fillna(0).to_numpy(float) if regions_left is not None
              and regions_left.sum() > 0 else reg.pop_total.to_numpy(float))
    x_lo, x_hi = _weighted_range(reg.lon.to_numpy(float), weight, MAP_SHARE)
    y_lo, y_hi = _weighted_range(reg.lat.to_numpy(float), weight, MAP_SHARE)
    xs, ys = [x_lo, x_hi], [y_lo, y_hi]
    busiest = max([*land.n, *flown, *left_to, 1.0])
    for r in land.itertuples():
        if r.n >= MAP_MINOR * busiest:
            xs.append(float(r.lon))
            ys.append(float(r.lat))
    for d, (x, y) in where.items():
        if max(float(left_to.get(d, 0)), float(flown.get(d, 0))) >= MAP_MINOR * busiest:
            xs.append(x)
            ys.append(y)
    return (min(xs) - 4, max(xs) + 4), (min(ys) - 3, max(ys) + 3)


def crossings_map(sim: Simulated, country: str = DEFAULT_PACK, regions_left: pd.Series | None = None) -> go.Figure:
    """Where people go: regions of origin, the crossings they leave by and the destinations, flows sized by people.

    On the world's coastlines and borders (`exitvoice.basemap`, drawn offline), with the origin country shaded:

    - regions of origin at their centres (the pack's coordinates), sized by their leavers when `regions_left` is
      given (a run's `regions.parquet`), else as small dots;
    - land crossings (the pack's coordinates), sized by the people who crossed there over the run (leavers and
      travellers), each joined to its destination by a line as wide as that flow;
    - flights: a curve from the airport nearest most leavers (the pack's airports) to each destination, as wide as
      the people who flew there (the runs do not record which airport a flight leaves from);
    - destinations, placed in their country by its name on the basemap (else beyond their land crossings), sized by
      the leavers who went there and labelled with their number.

    Every figure is the median of the members over the run, scaled to the whole population as the other charts are.
    """
    from . import basemap
    from .network import haversine_km
    from .pack import load_pack

    pack = load_pack(country)
    dest_names = names(country)
    reg = pack.regions
    land = pack.crossings[pack.crossings["mode"] == "land"].copy()
    airports = pack.crossings[(pack.crossings["mode"] == "air") & pack.crossings["open"]].copy()
    crossed = totals_by(sim, "processed", "crossing:").set_index("geography").q50
    flown = totals_by(sim, "flights_boarded").set_index("geography").q50
    left_to = totals_by(sim, "daily_left").set_index("geography").q50
    land["n"] = [float(crossed.get(f"crossing:{c}", 0.0)) for c in land.crossing_id]
    home = basemap.country_point(pack.name) or (float(reg.lon.mean()), float(reg.lat.mean()))

    # where each destination is drawn: in its country on the basemap, else beyond its land crossings
    region_at = reg.set_index("region_id")[["lon", "lat"]]
    where: dict[str, tuple[float, float]] = {}
    for d in dict.fromkeys([*pack.destinations.destination, *left_to.index]):
        point = basemap.country_point(dest_names.get(d, d), near=home)
        if point is None:
            own = land[land.destination == d]
            if not len(own):
                continue
            pushed = []
            for r in own.itertuples():
                x, y = float(r.lon), float(r.lat)
                ox, oy = (region_at.loc[r.region_id].lon, region_at.loc[r.region_id].lat) \
                    if r.region_id in region_at.index else home
                dx, dy = x - ox, y - oy
                norm = max(np.hypot(dx, dy), 1e-9)
                pushed.append((x + 1.2 * dx / norm, y + 1.2 * dy / norm))
            point = (float(np.mean([p[0] for p in pushed])), float(np.mean([p[1] for p in pushed])))
        where[d] = point

    # the airport nearest most leavers (or people): where the flights are drawn from
    hub = None
    if len(airports) and flown.sum() > 0:
        weight = (regions_left.reindex(reg.region_id).fillna(0).to_numpy(float) if regions_left is not None
                  else reg.pop_total.to_numpy(float))
        if weight.sum() <= 0:
            weight = reg.pop_total.to_numpy(float)
        dist = haversine_km(reg.lat.to_numpy(float)[:, None], reg.lon.to_numpy(float)[:, None],
                            airports.lat.to_numpy(float)[None], airports.lon.to_numpy(float)[None])
        served = np.bincount(dist.argmin(axis=1), weights=weight, minlength=len(airports))
        hub = airports.iloc[int(served.argmax())]

    flows = [float(n) for n in land.n if n > 0] + [float(v) for d, v in flown.items() if v > 0 and d in where]
    biggest = max(flows, default=1.0)

    def width(n: float) -> float:
        return 1.0 + 11.0 * np.sqrt(n / biggest)

    colours = {d: PALETTE[i % len(PALETTE)] for i, d in enumerate(left_to.index.tolist() + [
        d for d in where if d not in left_to.index])}
    fig = go.Figure()

    # the view: where the people are (the regions of most leavers, the crossings and destinations they use)
    lon, lat = _view(reg, regions_left, land, where, left_to, flown)
    ratio = 1 / max(np.cos(np.radians((lat[0] + lat[1]) / 2)), 0.2)  # a degree of latitude against one of longitude
    top = MODEBAR_PX + 56
    lon, lat = _fill(lon, lat, ratio, MAP_WIDTH - 50 - MAP_LEGEND_PX, MAP_HEIGHT - top - 40)
    shape = basemap.country_outline(pack.name, east=lon[1])
    if shape is not None:
        fig.add_trace(go.Scatter(x=shape[0], y=shape[1], mode="lines", fill="toself", fillcolor="rgba(23,50,77,0.07)",
                                 line=dict(width=0), hoverinfo="skip", showlegend=False))
    bx, by = basemap.outlines((lon[0] - 10, lon[1] + 10), (lat[0] - 10, lat[1] + 10))
    fig.add_trace(go.Scatter(x=bx, y=by, mode="lines", line=dict(color="#b8c2cc", width=0.8), hoverinfo="skip",
                             name="coasts and borders (Natural Earth)", showlegend=False))

    # flows: land crossings to their destination, flights from the hub
    for r in land[land.n > 0].sort_values("n").itertuples():
        if r.destination not in where:
            continue
        dx, dy = where[r.destination]
        fig.add_trace(go.Scatter(
            x=[r.lon, dx], y=[r.lat, dy], mode="lines", legendgroup="land", showlegend=False,
            line=dict(color=_rgba(colours.get(r.destination, "#555555"), 0.55), width=width(r.n)),
            text=[f"{label('crossing:' + r.crossing_id, country)}: {r.n:,.0f} crossed"] * 2,
            hovertemplate="%{text}<extra></extra>"))
    if hub is not None:
        for d, n in flown.sort_values().items():
            if n <= 0 or d not in where:
                continue
            ax, ay = _arc((float(hub.lon), float(hub.lat)), where[d])
            fig.add_trace(go.Scatter(
                x=ax, y=ay, mode="lines", legendgroup="air", showlegend=False,
                line=dict(color=_rgba(colours.get(d, "#555555"), 0.55), width=width(n), dash="dot"),
                text=[f"flights to {dest_names.get(d, d)}: {n:,.0f} flew"] * len(ax),
                hovertemplate="%{text}<extra></extra>"))

    # regions of origin, crossings, the hub and the destinations; the largest of each named (`_place_labels`)
    labels: list[tuple[float, float, str, float, int]] = []  # x, y, text, marker radius (px), font size
    if regions_left is not None:
        left = regions_left.reindex(reg.region_id).fillna(0).to_numpy(float)
        on = left > 0
        size = 5 + 30 * np.sqrt(left / max(left.max(), 1))
        fig.add_trace(go.Scatter(x=reg.lon[~on], y=reg.lat[~on], mode="markers", hoverinfo="skip",
                                 marker=dict(size=4, color="rgba(120,120,120,0.35)"), showlegend=False))
        fig.add_trace(go.Scatter(
            x=reg.lon[on], y=reg.lat[on], mode="markers", name="regions of origin (area: leavers)",
            marker=dict(size=size[on], color="rgba(70,90,120,0.45)", line=dict(width=1, color="white")),
            customdata=[f"{n}: {v:,.0f} left" for n, v in zip(reg.name_en[on], left[on], strict=True)],
            hovertemplate="%{customdata}<extra></extra>"))
        region_labels = [(float(reg.lon.iloc[i]), float(reg.lat.iloc[i]), reg.name_en.iloc[i].split(" (")[0],
                          size[i] / 2, 10) for i in np.argsort(-left)[: MAP_LABELS["regions"]] if left[i] > 0]
    else:
        fig.add_trace(go.Scatter(x=reg.lon, y=reg.lat, mode="markers", name="regions of origin (centres)",
                                 marker=dict(size=5, color="rgba(70,90,120,0.45)"), text=reg.name_en,
                                 hovertemplate="%{text}<extra></extra>"))
        region_labels = []
    used = land[land.n > 0]
    if len(used):
        size = 6 + 26 * np.sqrt(used.n / max(used.n.max(), 1))
        fig.add_trace(go.Scatter(
            x=used.lon, y=used.lat, mode="markers", name="land crossings (area: people crossed)",
            marker=dict(size=size, color="rgba(255,255,255,0.85)", line=dict(width=2, color="#17324d")),
            customdata=[f"{label('crossing:' + c, country)}: {n:,.0f} crossed (leavers and travellers)"
                        for c, n in zip(used.crossing_id, used.n, strict=True)],
            hovertemplate="%{customdata}<extra></extra>"))
        for i in used.n.nlargest(MAP_LABELS["crossings"]).index:
            labels.append((float(used.lon[i]), float(used.lat[i]),
                           label("crossing:" + used.crossing_id[i], country).split(" → ")[0],
                           float(size[i]) / 2, 10))
    if hub is not None:
        fig.add_trace(go.Scatter(
            x=[hub.lon], y=[hub.lat], mode="markers", name=f"flights drawn from {str(hub.crossing).split(' (')[0]}",
            marker=dict(size=11, symbol="triangle-up", color="#17324d"),
            text=[f"{hub.crossing}: the airport nearest most leavers; flights from every airport are drawn from it"],
            hovertemplate="%{text}<extra></extra>"))
    dests = [d for d in where if left_to.get(d, 0) > 0 or flown.get(d, 0) > 0 or d in set(land.destination[land.n > 0])]
    if dests:
        n = np.array([float(left_to.get(d, 0.0)) for d in dests])
        size = 8 + 30 * np.sqrt(n / max(n.max(), 1))
        fig.add_trace(go.Scatter(
            x=[where[d][0] for d in dests], y=[where[d][1] for d in dests], mode="markers",
            name="destinations (area: leavers who went there)",
            marker=dict(size=size, color=[colours.get(d, "#555") for d in dests],
                        symbol="diamond", line=dict(width=1, color="white"), opacity=0.9),
            customdata=[f"{label(d, country)}: {v:,.0f} leavers went there; {float(flown.get(d, 0)):,.0f} flew"
                        for d, v in zip(dests, n, strict=True)],
            hovertemplate="%{customdata}<extra></extra>"))
        labels = [(where[dests[i]][0], where[dests[i]][1], f"<b>{dest_names.get(dests[i], dests[i])}</b> "
                   f"{_people(n[i])}", float(size[i]) / 2, 12)
                  for i in np.argsort(-n)[: MAP_LABELS["destinations"]] if n[i] > 0] + labels
    labels += region_labels

    # the legend of the flows: their kind, and what a line's width means
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", legendgroup="land", name="by land: crossing → country",
                             line=dict(color="rgba(80,80,80,0.6)", width=4)))
    if hub is not None:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", legendgroup="air", name="by air",
                                 line=dict(color="rgba(80,80,80,0.6)", width=4, dash="dot")))
    for k in sorted({_round_people(biggest), _round_people(biggest / 10)} - {0.0}, reverse=True):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"line width: {k:,.0f} people",
                                 line=dict(color="rgba(80,80,80,0.6)", width=width(k))))

    fig.update_layout(**layout("Where people go: regions of origin, crossings and destinations over the run "
                               "(size: people; lines: flows by land and by air)", height=MAP_HEIGHT,
                               hovermode="closest", legend=dict(orientation="v", x=1.0, xanchor="left", y=1,
                                                                font=dict(size=11))))
    notes = _place_labels(labels, lon, lat, ratio, MAP_HEIGHT - top - 40)
    unplaced = [f"{dest_names.get(d, d)} {_people(float(v))}" for d, v in left_to.items() if v > 0 and d not in where]
    if unplaced:  # a destination the basemap does not name and no land crossing leads to: said, not dropped
        notes.append(dict(xref="paper", yref="paper", x=0, y=0, xanchor="left", yanchor="bottom", showarrow=False,
                          text="not on the map (no place for them): " + ", ".join(unplaced), align="left",
                          font=dict(size=11, color="#555"), bgcolor="rgba(255,255,255,0.8)"))
    fig.update_layout(margin=dict(l=50, r=MAP_LEGEND_PX, t=top, b=40), plot_bgcolor="#f4f8fb", annotations=notes)
    fig.update_xaxes(range=list(lon), showgrid=False, zeroline=False, ticksuffix="°E", title=None,
                     constrain="domain", constraintoward="left")
    fig.update_yaxes(range=list(lat), showgrid=False, zeroline=False, ticksuffix="°N", title=None,
                     scaleanchor="x", scaleratio=ratio, constrain="domain")
    return fig


MAP_LEGEND_PX = 270
"""Width of the legend beside the map (the map keeps its proportions in the rest)."""
MAP_WIDTH = 1150
"""The width the map's view is fitted to (the dashboard's and the report's full width): on a narrower page it keeps
its proportions and shrinks."""


def _fill(lon: tuple[float, float], lat: tuple[float, float], ratio: float, width_px: float, height_px: float
          ) -> tuple[tuple[float, float], tuple[float, float]]:
    """The view widened, in longitude or latitude about its middle, to fill a plot `width_px` × `height_px`.

    At the true proportions of a map (a degree of latitude `ratio` times a degree of longitude), so that the map
    leaves no empty band beside it at that size.
    """
    w, h = lon[1] - lon[0], (lat[1] - lat[0]) * ratio
    if w / h < width_px / height_px:  # too narrow: more longitude
        grow = (h * width_px / height_px - w) / 2
        return (lon[0] - grow, lon[1] + grow), lat
    grow = (w * height_px / width_px - h) / ratio / 2
    return lon, (max(lat[0] - grow, -89.0), min(lat[1] + grow, 89.0))


def _place_labels(labels: list[tuple[float, float, str, float, int]], lon: tuple[float, float],
                  lat: tuple[float, float], ratio: float, height_px: float) -> list[dict]:
    """Annotations naming points, placed so that they cover neither one another nor the markers they name.

    `labels`: (x, y, text, marker radius in px, font size), the most important first. Each label takes the first
    free place around its point (beside, above, below, then further out on a thin leader line); pixels are reckoned
    for a map `height_px` tall.
    """
    import re

    per_lat = height_px / (lat[1] - lat[0])
    per_lon = per_lat / ratio

    def px(x: float, y: float) -> tuple[float, float]:
        return (x - lon[0]) * per_lon, (lat[1] - y) * per_lat

    taken: list[tuple[float, float, float, float]] = []  # boxes (left, top, right, bottom) in px
    for x, y, _, r, _ in labels:  # the markers named are not covered
        cx, cy = px(x, y)
        taken.append((cx - r, cy - r, cx + r, cy + r))
    out = []
    for x, y, text, r, size in labels:
        cx, cy = px(x, y)
        w, h = 0.58 * size * len(re.sub(r"<[^>]+>", "", text)) + 6, size + 6
        best, best_cost = None, None
        for reach in (1.0, 2.2, 3.6):
            for dx, dy in ((1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (-1, -1), (1, 1), (-1, 1)):
                ox = dx * (r * reach + 4 + w / 2) if dx else 0.0
                oy = dy * (r * reach + 4 + h / 2) if dy else 0.0
                box = (cx + ox - w / 2, cy + oy - h / 2, cx + ox + w / 2, cy + oy + h / 2)
                cost = sum(max(0.0, min(box[2], t[2]) - max(box[0], t[0])) * max(0.0, min(box[3], t[3]) -
                           max(box[1], t[1])) for t in taken)
                if best_cost is None or cost < best_cost:
                    best, best_cost = (ox, oy, box), cost
                if cost == 0:
                    break
            if best_cost == 0:
                break
        ox, oy, box = best
        taken.append(box)
        far = abs(ox) > r + w / 2 + 6 or abs(oy) > r + h / 2 + 6
        out.append(dict(x=x, y=y, text=text, ax=ox, ay=oy, showarrow=True, arrowhead=0, arrowwidth=0.8,
                        arrowcolor="rgba(60,60,60,0.6)" if far else "rgba(0,0,0,0)", standoff=r,
                        font=dict(size=size, color="#17324d"), bgcolor="rgba(255,255,255,0.75)", borderpad=1))
    return out
