"""Benchmark: how the cost of a day grows with the population, the regions, and the destinations and crossings.

Three sweeps of the russia-2022 scenario (whole scenario, all modules, conservation check on):

- population scale (`population.scale` 0.001 … 1): the people simulated, cells unchanged;
- regions (`population.regions`, the k most populous): cells grow with k;
- destinations (the first k destinations of the pack with their crossings and flights): state columns grow with k.
  Policies naming a dropped crossing or destination are left out of that sweep (a benchmark of cost, not a result).

For each point: engine CPU seconds per simulated day (the best of `--repeat` runs), the mean number of non-empty
(cell, state) entries, and cells × states. Figures are printed and written as JSON; `--plot FILE` draws the
three curves (docs/img/scaling.png). Nothing is asserted: `python benchmarks/bench_scaling.py [--quick]`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

import exitvoice.engine.cells as cells_mod
from exitvoice import Scenario
from exitvoice.pack import load_pack

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "russia-2022.toml"


def _measure(sc: Scenario, repeat: int) -> dict:
    best, nnz, shape = np.inf, 0.0, (0, 0)
    for i in range(repeat):
        eng = cells_mod.CellEngine(sc, seed=i)
        entries = []
        t = time.process_time()
        for k, date in enumerate(eng.days):
            eng.t, eng.date = k, date
            eng.step()
            if k % 10 == 0:
                entries.append(int(np.count_nonzero(eng.X)))
        best = min(best, time.process_time() - t)
        nnz, shape = float(np.mean(entries)), eng.X.shape
    days = len(sc.days)
    return {"seconds_per_day": round(best / days, 5), "seconds_total": round(best, 2),
            "nonzero_entries": round(nnz), "cells": shape[0], "states": shape[1], "cell_states": shape[0] * shape[1]}


def sweep_scale(repeat: int, scales: list[float]) -> list[dict]:
    out = []
    for s in scales:
        sc = Scenario.from_toml(SCENARIO)
        sc.population.scale = s
        out.append({"scale": s, **_measure(sc, repeat)})
        print("scale", out[-1], flush=True)
    return out


def sweep_regions(repeat: int, counts: list[int]) -> list[dict]:
    pack = load_pack("russia")
    order = pack.regions.sort_values("pop_total", ascending=False).region_id.tolist()
    out = []
    for k in counts:
        sc = Scenario.from_toml(SCENARIO)
        sc.population.regions = order[:k]
        out.append({"regions": k, **_measure(sc, repeat)})
        print("regions", out[-1], flush=True)
    return out


def _reduced_pack(pack, k: int):
    keep = pack.destinations.destination.tolist()[:k]
    routes = pack.routes[pack.routes.destination.isin(keep)]
    crossings = pack.crossings[pack.crossings.destination.isin(keep) | (pack.crossings["mode"] == "air")]
    return dataclasses.replace(pack, destinations=pack.destinations[pack.destinations.destination.isin(keep)],
                               routes=routes, crossings=crossings,
                               fares=pack.fares[pack.fares.destination.isin(keep)])


def sweep_destinations(repeat: int, counts: list[int], scale: float) -> list[dict]:
    pack = load_pack("russia")
    out = []
    original = cells_mod.load_pack
    try:
        for k in counts:
            small = _reduced_pack(pack, k)
            cells_mod.load_pack = lambda country, small=small: small
            sc = Scenario.from_toml(SCENARIO)
            sc.population.scale = scale
            names = set(small.destinations.destination) | set(small.crossings.crossing_id)
            sc.policy = [p for p in sc.policy if _names(p) <= names]
            res = _measure(sc, repeat)
            out.append({"destinations": k, "crossings": int((small.routes["mode"] == "land").sum()),
                        "scale": scale, **res})
            print("destinations", out[-1], flush=True)
    finally:
        cells_mod.load_pack = original
    return out


def _names(policy) -> set[str]:
    """Destinations and crossings a policy names (those it needs in the pack)."""
    names: set[str] = set()
    for field in ("destinations", "crossings", "destination", "route", "routes"):
        v = getattr(policy, field, None)
        if isinstance(v, str):
            names.add(v.removeprefix("land:").removeprefix("air:"))
        elif isinstance(v, list | tuple):
            names |= {str(x).removeprefix("land:").removeprefix("air:") for x in v}
    return names


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    ms = 1e3
    sc = result["scale"]
    ax = axes[0]
    ax.plot([r["scale"] * 146.98 for r in sc], [r["seconds_per_day"] * ms for r in sc], "o-")
    ax.set_xscale("log")
    ax.set_xlabel("people simulated (millions, log scale)")
    ax.set_ylabel("engine CPU time per day (ms)")
    ax.set_title("cost against population")
    ax2 = ax.twinx()
    ax2.plot([r["scale"] * 146.98 for r in sc], [r["nonzero_entries"] / 1e3 for r in sc], "s--", color="grey")
    ax2.set_ylabel("non-empty (cell, state) entries (thousands)", color="grey")
    rg = result["regions"]
    ax = axes[1]
    ax.plot([r["nonzero_entries"] / 1e3 for r in rg], [r["seconds_per_day"] * ms for r in rg], "o-")
    for r in rg:
        ax.annotate(f"{r['regions']}", (r["nonzero_entries"] / 1e3, r["seconds_per_day"] * ms), fontsize=8,
                    xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("non-empty (cell, state) entries (thousands)")
    ax.set_ylabel("engine CPU time per day (ms)")
    ax.set_title("cost against regions (labels: regions)")
    ds = result["destinations"]
    ax = axes[2]
    ax.plot([r["destinations"] for r in ds], [r["seconds_per_day"] * ms for r in ds], "o-")
    ax.set_xlabel(f"destinations and their crossings (scale {ds[0]['scale']:g})")
    ax.set_ylabel("engine CPU time per day (ms)")
    ax.set_title("cost against destinations")
    for a in axes:
        a.set_ylim(bottom=0)
        a.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="fewer points, one run each")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "scaling.json")
    ap.add_argument("--plot", type=Path, default=None)
    args = ap.parse_args()
    repeat = 1 if args.quick else args.repeat
    result = {
        "scale": sweep_scale(repeat, [0.001, 0.1] if args.quick else [0.001, 0.01, 0.1, 0.3, 1.0]),
        "regions": sweep_regions(repeat, [5, 40] if args.quick else [5, 10, 20, 40, 83]),
        "destinations": sweep_destinations(repeat, [5, 20] if args.quick else [3, 5, 10, 15, 20],
                                           0.01 if args.quick else 0.1),
    }
    args.out.write_text(json.dumps(result, indent=1))
    if args.plot:
        plot(result, args.plot)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
