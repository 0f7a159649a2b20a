"""Standard plots of a run (MODEL §12).

Entries by destination, queues and waits, the call-up, stock abroad, fares, the economy (output loss, workers
lost by sector) and voice (protesters, detentions, opponents abroad).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def _wide(ts: pd.DataFrame, quantity: str, top: int | None = None) -> pd.DataFrame:
    w = ts[ts.quantity == quantity].pivot(index="date", columns="geography", values="value")
    if top:
        w = w[w.sum().sort_values(ascending=False).index[:top]]
    return w


def standard_plots(res, out_dir: str | Path | None = None) -> dict:
    """Draw the standard plots of a run; write them as PNG into out_dir if given."""
    ts = res.timeseries
    figs = {}
    title = f"{res.scenario_name} (seed {res.seed})"

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharex=True)
    _wide(ts, "daily_entries", top=8).plot(ax=axes[0])
    axes[0].set_title("Entries per day by destination (leavers and travellers)")
    _wide(ts, "daily_exits_back", top=8).plot(ax=axes[1], legend=False)
    axes[1].set_title("Exits back per day (returns, onward moves, visa runs)")
    for ax in axes:
        ax.set_ylabel("persons per day")
    fig.suptitle(title)
    figs["entries_exits"] = fig

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharex=True)
    q = _wide(ts, "queue_persons", top=6)
    q.plot(ax=axes[0])
    axes[0].set_title("Queue at crossings (persons)")
    _wide(ts, "queue_wait_hours")[q.columns].plot(ax=axes[1], legend=False)
    axes[1].set_title("Expected wait (hours)")
    fig.suptitle(title)
    figs["queues"] = fig

    fig, ax = plt.subplots(figsize=(7, 4.2))
    mob = res.series("mobilised_cum")
    ax.plot(mob.index, mob.values, label="mobilised")
    ax.plot(res.series("summons_cum").index, res.series("summons_cum").values, label="summons served", ls="--")
    target = res.summary["totals"]["quota_target"]
    if target:
        ax.axhline(target * res.summary["population_scale"], color="k", lw=0.8, label="target")
    ax.set_title("Call-up: mobilised against target")
    ax.legend()
    fig.suptitle(title)
    figs["callup"] = fig

    fig, ax = plt.subplots(figsize=(7, 4.2))
    _wide(ts, "abroad_stock").drop(columns="RU").pipe(lambda w: w[w.iloc[-1].sort_values(ascending=False)
                                                                  .index[:8]]).plot.area(ax=ax)
    ax.set_title("Leavers abroad by destination")
    ax.set_ylabel("persons")
    fig.suptitle(title)
    figs["abroad_stock"] = fig

    fig, ax = plt.subplots(figsize=(7, 4.2))
    _wide(ts, "flight_price", top=None).plot(ax=ax)
    ax.set_title("Fares (RUB, one way)")
    fig.suptitle(title)
    figs["fares"] = fig

    if (ts.quantity == "output_loss_pct").any():
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharex=True)
        loss = _wide(ts, "output_loss_pct")["RU"]
        loss.plot(ax=axes[0], color="tab:red")
        axes[0].set_title("Output below the counterfactual (% of GDP)")
        axes[0].set_ylabel("%")
        sectors = _wide(ts, "workers_lost").drop(columns="RU")
        sectors = sectors[sectors.iloc[-1].sort_values(ascending=False).index]
        sectors.plot.area(ax=axes[1], linewidth=0, colormap="tab20")
        axes[1].set_title("Workers lost by sector (net of remote work)")
        axes[1].set_ylabel("persons")
        axes[1].legend(fontsize=7, ncol=2)
        fig.suptitle(title)
        figs["economy"] = fig

    if (ts.quantity == "protesters").any():
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.2), sharex=True)
        prot = _wide(ts, "protesters")
        top = prot.drop(columns="RU").sum().sort_values(ascending=False).index[:6]
        prot["RU"].plot(ax=axes[0], color="k")
        axes[0].set_title("Protesters per day, Russia")
        axes[0].set_ylabel("persons")
        prot[top].plot(ax=axes[1], lw=1.0)
        axes[1].set_title("Protesters per day, the six regions with most")
        axes[1].legend(fontsize=7)
        _wide(ts, "detained_cum")["RU"].plot(ax=axes[2], color="tab:purple", label="detained (cumulative)")
        ax2 = axes[2].twinx()
        _wide(ts, "opposed_abroad")["RU"].plot(ax=ax2, color="tab:green", label="opponents of the war abroad")
        axes[2].set_title("Voice and exit: detentions and opponents abroad")
        axes[2].set_ylabel("detained")
        ax2.set_ylabel("opponents abroad")
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
        ax.errorbar(x, part.simulated, yerr=err, fmt="s", ms=4, color="tab:blue", label="simulated (5–95%)")
        ax.plot(x, part.observed, "o", color="k", ms=4, label="observed")
        ax.set_title(f"{q} · {g}", fontsize=9)
        if x.nunique() == 1:  # a single date: give the axis a range of its own
            ax.set_xlim(x.iloc[0] - pd.Timedelta(days=2), x.iloc[0] + pd.Timedelta(days=2))
        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.tick_params(axis="x", labelsize=7)
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def ensemble_plots(ens, out_dir) -> dict:
    """Median and 5–95% / 25–75% bands of the main series of an ensemble; PNGs into out_dir."""
    q = ens.quantiles()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figs = {}
    title = f"{ens.summaries[0]['scenario']} · ensemble of {ens.n} (seed {ens.seed})"
    panels = {
        "entries": [("daily_entries", g) for g in ("KZ", "GE", "FI", "AM", "BY", "TR")],
        "callup_and_stock": [("mobilised_cum", "RU"), ("abroad_stock", "RU"), ("daily_departures_ru", "RU"),
                             ("summons_served", "RU")],
        "economy_and_voice": [("output_loss_pct", "RU"), ("workers_lost", "RU"), ("labour_shortage", "RU"),
                              ("protesters", "RU"), ("detained_cum", "RU"), ("opposed_abroad", "RU")],
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
            ax.set_title(f"{qty} · {geo}", fontsize=9)
            ax.tick_params(axis="x", labelsize=7, labelrotation=30)
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


def comparison_plots(cmp, out_dir) -> dict:
    """Scenarios overlaid: median line and 5–95% band per scenario for the main series; bars of the headline metrics."""
    import numpy as np

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    series = [("daily_departures_ru", "RU", "departures of leavers per day"), ("abroad_stock", "RU", "leavers abroad"),
              ("mobilised_cum", "RU", "mobilised (cumulative)"), ("summons_served", "RU", "summons served per day"),
              ("output_loss_pct", "RU", "output below the counterfactual (% of GDP)"),
              ("protesters", "RU", "protesters per day")]
    fig, axes = plt.subplots(3, 2, figsize=(12, 10), squeeze=False)
    for ax, (qty, geo, title) in zip(axes.ravel(), series, strict=True):
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
        ax.tick_params(axis="x", labelsize=7, labelrotation=30)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Scenarios compared: median and 5–95% band (whole country)")
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
        ax.set_title(m, fontsize=10)
        if m == "quota_fill":
            ax.axvline(1.0, color="grey", ls="--", lw=1)
    fig.suptitle("Headline metrics (median, 5–95% band)")
    fig.tight_layout()
    fig.savefig(out / "metrics.png", dpi=100)
    plt.close(fig)
    return {"series": out / "series.png", "metrics": out / "metrics.png"}
