"""Standard plots of a run (MODEL §12): entries by destination, queues and waits, the call-up, stock abroad."""

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

    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, f in figs.items():
            f.tight_layout()
            f.savefig(out / f"{name}.png", dpi=110)
    for f in figs.values():
        plt.close(f)
    return figs
