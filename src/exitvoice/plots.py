"""Standard plots of a run (docs/model.md §12).

Entries by destination, queues and waits, the call-up, stock abroad, fares, the economy (output loss, workers
lost by sector) and voice (protesters, detentions, opponents abroad).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .pack import DEFAULT_PACK  # noqa: E402

COLOURS = [plt.get_cmap("tab20")(i) for i in (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)]
"""Twenty distinct colours (dark shades first): no two lines of a plot share one."""


def _wide(ts: pd.DataFrame, quantity: str, top: int | None = None) -> pd.DataFrame:
    w = ts[ts.quantity == quantity].pivot(index="date", columns="geography", values="value")
    if top:
        w = w[w.sum().sort_values(ascending=False).index[:top]]
    return w


def _named_in(w: pd.DataFrame, country: str = DEFAULT_PACK) -> pd.DataFrame:
    """Columns renamed from codes to names (`AB` → `Abkhazia (AB)`, crossings by name) of the run's pack."""
    from .labels import label

    return w.rename(columns=lambda c: label(str(c), country))


def _count(x: float, _pos=None) -> str:
    """A count for an axis: 950, 12k, 1.2M (never an offset such as '1e6' on the axis)."""
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:.3g}M"
    if a >= 1e3:
        return f"{x / 1e3:.3g}k"
    return f"{x:.3g}"


def _axes(ax, ylabel: str, *, counts: bool = True) -> None:
    """Dates as concise day ticks (no '12:00'), a y label with its unit, counts without offsets."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=True))
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    if counts:
        ax.yaxis.set_major_formatter(FuncFormatter(_count))
    else:
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")


def _legend_outside(ax, **kw) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, frameon=False, **kw)


QUANTITY_TITLES = {
    "daily_entries": "entries per day", "daily_departures": "departures of leavers per day",
    "cum_entries": "entries since a date", "cum_exits_back": "exits back since a date",
    "cum_departures": "departures since a date", "net_stay": "entries minus exits back",
    "monthly_entries": "entries in the month", "men_abroad_stock": "men abroad",
    "illegal_crossings_caught": "caught crossing illegally",
    "abroad_stock": "leavers abroad", "mobilised_cum": "mobilised (cumulative)", "summons_served": "summons per day",
    "queue_vehicles": "vehicles queued", "queue_wait_hours": "wait at the crossing", "flight_price": "one-way fare",
    "detained_cum": "detained (cumulative)", "output_loss_pct": "output loss", "workers_lost": "workers lost",
    "labour_shortage": "labour shortage", "protesters": "protesters per day", "opposed_abroad": "opponents abroad",
}


def covered_in(summary: dict) -> str:
    """What a run or an ensemble covers (`labels.covered`), from its summary: `1% sample of Russia, scaled up`."""
    from .labels import covered

    cov = summary.get("coverage") or {}
    return covered(cov.get("regions"), summary.get("population_scale", 1.0), summary.get("country", DEFAULT_PACK))


def scaled_up(frame: pd.DataFrame, scale: float, columns=("value",)) -> pd.DataFrame:
    """A long frame of a sample run in whole-population terms, as the terminal, the report and the dashboard show it.

    Counts are divided by the scale; hours, fares and output loss stay as they are.
    """
    from .validate import INTENSIVE

    if scale == 1:
        return frame
    out = frame.copy()
    counts = ~out.quantity.isin(INTENSIVE).to_numpy()
    for c in columns:
        out.loc[counts, c] = out.loc[counts, c] / scale
    return out


def standard_plots(res, out_dir: str | Path | None = None) -> dict:
    """Draw the standard plots of a run; write them as PNG into out_dir if given.

    A sample run is drawn scaled up by 1/scale, as its summary is printed and the report shows it.
    """
    from .pack import load_pack
    from .results import origin_geography

    ts = scaled_up(res.timeseries, res.summary.get("population_scale", 1.0))
    country = res.summary.get("country", DEFAULT_PACK)
    pack = load_pack(country)
    origin = origin_geography(ts)  # the pack's code: the geography of origin totals

    def _named(w: pd.DataFrame) -> pd.DataFrame:
        return _named_in(w, country)

    figs = {}
    title = f"{res.scenario_name} (seed {res.seed}) · {covered_in(res.summary)}"

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), sharex=True)
    _named(_wide(ts, "daily_entries", top=8)).plot(ax=axes[0], color=COLOURS)
    axes[0].set_title("Entries per day by destination (leavers and travellers)", fontsize=10)
    _named(_wide(ts, "daily_exits_back", top=8)).plot(ax=axes[1], legend=False, color=COLOURS)
    axes[1].set_title("Exits back per day (returns, onward moves, visa runs)", fontsize=10)
    for ax in axes:
        _axes(ax, "persons per day")
    axes[0].legend(fontsize=7)
    fig.suptitle(title)
    figs["entries_exits"] = fig

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), sharex=True)
    q = _wide(ts, "queue_persons", top=6)
    _named(q).plot(ax=axes[0], color=COLOURS)
    axes[0].set_title("Queue at the busiest crossings", fontsize=10)
    _named(_wide(ts, "queue_wait_hours")[q.columns]).plot(ax=axes[1], legend=False, color=COLOURS)
    axes[1].set_title("Expected wait", fontsize=10)
    _axes(axes[0], "persons queued")
    _axes(axes[1], "hours", counts=False)
    axes[0].legend(fontsize=7)
    fig.suptitle(title)
    figs["queues"] = fig

    fig, ax = plt.subplots(figsize=(8, 4.4))
    mob = _wide(ts, "mobilised_cum")[origin]
    ax.plot(mob.index, mob.values, label="mobilised", color=COLOURS[0])
    summons = _wide(ts, "summons_cum")[origin]
    ax.plot(summons.index, summons.values, label="summons served", ls="--", color=COLOURS[1])
    target = res.summary["totals"]["quota_target"]
    if target:
        ax.axhline(target, color="k", lw=0.8, label="target (all call-ups)")
    ax.set_title("Call-up: mobilised against target", fontsize=10)
    _axes(ax, "persons (cumulative)")
    ax.legend(fontsize=8)
    fig.suptitle(title)
    figs["callup"] = fig

    fig, ax = plt.subplots(figsize=(9, 4.4))
    stock = _wide(ts, "abroad_stock").drop(columns=origin)
    stock = stock[stock.iloc[-1].sort_values(ascending=False).index[:8]]
    _named(stock).plot.area(ax=ax, color=COLOURS, linewidth=0)
    ax.set_title("Leavers abroad by destination (the eight largest)", fontsize=10)
    _axes(ax, "persons")
    _legend_outside(ax, fontsize=8)
    fig.suptitle(title)
    figs["abroad_stock"] = fig

    fig, ax = plt.subplots(figsize=(9, 4.4))
    _named(_wide(ts, "flight_price", top=None)).plot(ax=ax, color=COLOURS)
    ax.set_title("One-way fares by destination", fontsize=10)
    _axes(ax, f"{pack.currency} (one way)")
    _legend_outside(ax, fontsize=8)
    fig.suptitle(title)
    figs["fares"] = fig

    if (ts.quantity == "output_loss_pct").any():
        fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), sharex=True)
        loss = _wide(ts, "output_loss_pct")[origin]
        loss.plot(ax=axes[0], color="tab:red")
        axes[0].set_title("Output below the economy without the crisis", fontsize=10)
        _axes(axes[0], "% of GDP", counts=False)
        sectors = _wide(ts, "workers_lost").drop(columns=origin)
        sectors = sectors[sectors.iloc[-1].sort_values(ascending=False).index]
        _named(sectors).plot.area(ax=axes[1], linewidth=0, color=COLOURS)  # `water_waste` → `water waste`
        axes[1].set_title("Workers lost by sector (net of remote work)", fontsize=10)
        _axes(axes[1], "persons")
        _legend_outside(axes[1], fontsize=7)
        fig.suptitle(title)
        figs["economy"] = fig

    if (ts.quantity == "protesters").any():
        fig, axes = plt.subplots(1, 3, figsize=(17, 4.4), sharex=True)
        prot = _wide(ts, "protesters")
        top = prot.drop(columns=origin).sum().sort_values(ascending=False).index[:6]
        prot[origin].plot(ax=axes[0], color="k")
        axes[0].set_title("Protesters per day, in total", fontsize=10)  # the suptitle says what the run covers
        _axes(axes[0], "persons per day")
        _named(prot[top]).plot(ax=axes[1], lw=1.0, color=COLOURS)
        axes[1].set_title("Protesters per day, by region" if len(top) == prot.shape[1] - 1 else
                          f"Protesters per day, the {len(top)} regions with most", fontsize=10)
        _axes(axes[1], "persons per day")
        axes[1].legend(fontsize=7)
        _wide(ts, "detained_cum")[origin].plot(ax=axes[2], color="tab:purple", label="detained (cumulative)")
        ax2 = axes[2].twinx()
        _wide(ts, "opposed_abroad")[origin].plot(ax=ax2, color="tab:green", label="opposed to the call-up, abroad")
        axes[2].set_title("Voice and exit: detentions and opponents abroad", fontsize=10)
        _axes(axes[2], "detained (persons)")
        _axes(ax2, "opponents abroad (persons)")
        axes[2].legend(loc="upper left", fontsize=7)
        ax2.legend(loc="lower right", fontsize=7)
        fig.suptitle(title)
        figs["voice"] = fig

    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, f in figs.items():
            f.tight_layout()
            f.savefig(out / f"{name}.png", dpi=110)
    for f in figs.values():
        plt.close(f)
    return figs


def scorecard_plot(card, path) -> None:
    """Observed points over simulated medians and 5–95% bands, one panel per quantity and geography."""
    import matplotlib.dates as mdates
    import numpy as np
    from matplotlib.ticker import FuncFormatter

    from .labels import label
    from .units import unit

    rows = card.rows[card.rows.status == "scored"]
    panels = list(rows.groupby(["quantity", "geography"]))
    if not panels:
        fig, ax = plt.subplots(figsize=(5, 2))
        ax.text(0.5, 0.5, "no observation could be scored", ha="center")
        ax.axis("off")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return
    ncol = 3
    nrow = int(np.ceil(len(panels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(5 * ncol, 3.2 * nrow), squeeze=False)
    for ax, ((q, g), part) in zip(axes.ravel(), panels, strict=False):
        part = part.sort_values("date")
        x = pd.to_datetime(part.date)
        err = np.vstack([part.simulated - part.sim_q05, part.sim_q95 - part.simulated]).clip(min=0)
        one_run = bool((part.sim_q05 == part.sim_q95).all())
        ax.errorbar(x, part.simulated, yerr=err, fmt="s", ms=4, color="tab:blue",
                    label="simulated (a single run)" if one_run else "simulated (median, 5–95%)")
        ax.plot(x, part.observed, "o", color="k", ms=4, label="observed")
        ax.set_title(f"{QUANTITY_TITLES.get(q, q)} · {label(g, card.country)}", fontsize=9)
        if x.nunique() == 1:  # a single date: give the axis a range of its own
            ax.set_xlim(x.iloc[0] - pd.Timedelta(days=2), x.iloc[0] + pd.Timedelta(days=2))
        locator = mdates.DayLocator(interval=max(1, int(np.ceil((x.max() - x.min()).days / 5)) or 1))
        ax.xaxis.set_major_locator(locator)  # whole days: no "12:00" ticks on daily data
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        ax.tick_params(axis="x", labelsize=7)
        ax.set_ylabel(unit(q, card.currency) if q not in ("cum_entries", "cum_exits_back", "cum_departures",
                                           "net_stay", "abroad_stock", "men_abroad_stock", "mobilised_cum",
                                           "detained_cum", "monthly_entries", "illegal_crossings_caught")
                      else "persons",
                      fontsize=8)
        if q != "flight_price":
            ax.yaxis.set_major_formatter(FuncFormatter(_count))
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=7)
    if getattr(card, "band", None):
        fig.suptitle(f"The band includes: {card.band}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def ensemble_plots(ens, out_dir) -> dict:
    """Median and 5–95% / 25–75% bands of the main series of an ensemble; PNGs into out_dir."""
    from .labels import covered_by, label
    from .pack import load_pack
    from .units import unit

    country = ens.scenario.scenario.country
    currency = load_pack(country).currency
    q = scaled_up(ens.quantiles(), ens.scenario.population.scale, columns=("q05", "q25", "q50", "q75", "q95"))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figs = {}
    title = f"{ens.summaries[0]['scenario']} · ensemble of {ens.n} (seed {ens.seed})\nthe band includes: {ens.band}"
    from .results import origin_geography

    o = origin_geography(q)  # the pack's code: the geography of origin totals
    entries = q[q.quantity == "daily_entries"].groupby("geography").q50.sum().sort_values(ascending=False)
    panels = {
        "entries": [("daily_entries", g) for g in entries.index[:6]],  # the six destinations most entered
        "callup_and_stock": [("mobilised_cum", o), ("abroad_stock", o), ("daily_departures", o),
                             ("summons_served", o)],
        "economy_and_voice": [("output_loss_pct", o), ("workers_lost", o), ("labour_shortage", o),
                              ("protesters", o), ("detained_cum", o), ("opposed_abroad", o)],
    }
    for name, series in panels.items():
        series = [s for s in series if ((q.quantity == s[0]) & (q.geography == s[1])).any()]
        if not series:
            continue
        ncol = min(3, len(series))
        nrow = -(-len(series) // ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(5 * ncol, 3.2 * nrow), squeeze=False)
        for ax, (qty, geo) in zip(axes.ravel(), series, strict=False):
            part = q[(q.quantity == qty) & (q.geography == geo)]
            x = pd.to_datetime(part.date)
            ax.fill_between(x, part.q05, part.q95, alpha=0.2, color="tab:blue", label="5–95%")
            ax.fill_between(x, part.q25, part.q75, alpha=0.35, color="tab:blue", label="25–75%")
            ax.plot(x, part.q50, color="tab:blue", label="median")
            where = covered_by(ens.scenario) if geo == o else label(geo, country)  # the origin: what the run covers
            ax.set_title(f"{QUANTITY_TITLES.get(qty, qty.replace('_', ' '))} · {where}", fontsize=9)
            _axes(ax, unit(qty, currency), counts=qty != "output_loss_pct")
        for ax in axes.ravel()[len(series):]:
            ax.axis("off")
        axes.ravel()[0].legend(fontsize=7)
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(out / f"{name}.png", dpi=100)
        figs[name] = fig
        plt.close(fig)
    return figs


def sensitivity_plot(indices: pd.DataFrame, method: str, path) -> None:
    """One bar panel per output: Morris μ* (± confidence) or Sobol S1 and ST (± confidence)."""
    import numpy as np

    outputs = list(dict.fromkeys(indices.output))
    fig, axes = plt.subplots(1, len(outputs), figsize=(5 * len(outputs), 0.5 * indices.parameter.nunique() + 2),
                             squeeze=False)
    for ax, o in zip(axes[0], outputs, strict=True):
        part = indices[indices.output == o]
        y = np.arange(len(part))
        if method == "morris":
            ax.barh(y, part.mu_star, xerr=part.mu_star_conf, color="tab:blue")
            ax.set_xlabel("Morris μ*")
        else:
            ax.barh(y - 0.2, part.S1, 0.4, xerr=part.S1_conf, label="S1 (first order)", color="tab:blue")
            ax.barh(y + 0.2, part.ST, 0.4, xerr=part.ST_conf, label="ST (total)", color="tab:orange")
            ax.set_xlabel("Sobol index")
            ax.legend(fontsize=7)
        ax.set_yticks(y, part.parameter, fontsize=8)
        ax.set_title(o)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


METRIC_TITLES = {
    "left": "left over the run (persons)",
    "mobilised": "mobilised, all call-ups (persons)",
    "quota_fill": "quota fill of the headline call-up\n(mobilised / target; 1 = met)",
    "exits_per_recruit": "departures per recruit since the call-up\n(persons per person mobilised)",
    "output_loss_pct_end": "output loss at the end (% of GDP)",
    "protest_person_days": "protest participations (person-days)",
}


def comparison_plots(cmp, out_dir) -> dict:
    """Scenarios overlaid: median line and 5–95% band per scenario for the main series; bars of the headline metrics."""
    import numpy as np
    from matplotlib.ticker import FuncFormatter

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    o = cmp.cases[0].sim.origin  # the pack's code: the geography of origin totals
    series = [("daily_departures", o, "departures of leavers per day", "persons per day"),
              ("abroad_stock", o, "leavers abroad", "persons"),
              ("mobilised_cum", o, "mobilised (cumulative)", "persons"),
              ("summons_served", o, "summons served per day", "persons per day"),
              ("output_loss_pct", o, "output below the economy without the crisis", "% of GDP"),
              ("protesters", o, "protesters per day", "persons per day")]
    fig, axes = plt.subplots(3, 2, figsize=(12, 10), squeeze=False)
    for ax, (qty, geo, title, unit) in zip(axes.ravel(), series, strict=True):
        for i, c in enumerate(cmp.cases):
            v = c.sim.series.get((qty, geo))
            if v is None:
                continue
            x = c.sim.dates
            lo, mid, hi = np.quantile(v, [0.05, 0.5, 0.95], axis=0)
            col = colours[i % len(colours)]
            ax.fill_between(x, lo, hi, color=col, alpha=0.2)
            ax.plot(x, mid, color=col, label=c.name)
        ax.set_title(title, fontsize=10)
        _axes(ax, unit, counts=unit != "% of GDP")
    axes[0, 0].legend(fontsize=8)
    from .labels import covered_by

    covers = list(dict.fromkeys(covered_by(c.scenario) for c in cmp.cases))
    where = covers[0] if len(covers) == 1 else "; ".join(f"{c.name}: {covered_by(c.scenario)}" for c in cmp.cases)
    from .folders import band_includes

    bands = sorted({b for c in cmp.cases if (b := band_includes(c))})
    includes = f"\nthe bands include: {'; '.join(bands)}" if bands and max(c.sim.members for c in cmp.cases) > 1 else ""
    fig.suptitle(f"Scenarios compared: median and 5–95% band ({where}){includes}")
    fig.tight_layout()
    fig.savefig(out / "series.png", dpi=100)
    plt.close(fig)

    t = cmp.table()
    metrics = [m for m in ("left", "mobilised", "quota_fill", "exits_per_recruit", "output_loss_pct_end",
                           "protest_person_days") if m in set(t.metric)]
    ncol = min(3, len(metrics))
    nrow = -(-len(metrics) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.4 * nrow), squeeze=False)
    for ax in axes.ravel()[len(metrics):]:
        ax.axis("off")
    for ax, m in zip(axes.ravel(), metrics, strict=False):
        part = t[t.metric == m].set_index("scenario").reindex([c.name for c in cmp.cases])
        y = np.arange(len(part))
        ax.barh(y, part.q50, color=[colours[i % len(colours)] for i in range(len(part))], alpha=0.8)
        ax.errorbar(part.q50, y, xerr=[part.q50 - part.q05, part.q95 - part.q50], fmt="none", color="k", lw=1)
        ax.set_yticks(y, part.index, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(METRIC_TITLES.get(m, m), fontsize=9)
        ax.xaxis.set_major_formatter(FuncFormatter(_count))
        if m == "quota_fill":
            ax.axvline(1.0, color="grey", ls="--", lw=1)
    fig.suptitle(f"Headline metrics (median, 5–95% band; {where}){includes}")
    fig.tight_layout()
    fig.savefig(out / "metrics.png", dpi=100)
    plt.close(fig)
    return {"series": out / "series.png", "metrics": out / "metrics.png"}
