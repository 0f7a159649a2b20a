"""Benchmark: a shipped scenario (russia-2022 by default) for the whole population and for a 1% sample.

For each population (`--scales`, default the whole country, 146,980,061 people, and `population.scale = 0.01`)
reports the engine's CPU seconds (the day loop, conservation check on unless `--no-check`; setup excluded), best
and median of `--repeat` runs after a warm-up, per simulated day, the mean non-empty (cell, state) entries, and the
wall seconds of `exitvoice.run` (setup included) for the first population. The ratio of each sample to the whole
run says whether the cost follows the work. Figures are printed, never asserted: run `make bench` or
`python benchmarks/bench_russia_2022.py [--repeat N] [--scales 1,0.01] [--scenario scenarios/wave2-1m-open.toml]`.
On a machine shared with other jobs, read the best figures and the ratios.
"""

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

from exitvoice import Scenario, run
from exitvoice.engine.cells import CellEngine

ROOT = Path(__file__).resolve().parents[1]


def engine_seconds(sc: Scenario, seed: int, check: bool) -> tuple[float, int, float]:
    """CPU seconds of one run's day loop, its days and its mean non-empty (cell, state) entries (every 10th day)."""
    eng = CellEngine(sc, seed=seed, check=check)
    entries = []
    t = time.process_time()
    if check:
        eng.check_conservation()
    for k, date in enumerate(eng.days):
        eng.t, eng.date = k, date
        eng.step()
        if k % 10 == 0:
            pause = time.process_time()
            entries.append(int(np.count_nonzero(eng.X)))
            t += time.process_time() - pause  # counting the entries is not the engine's work
    return time.process_time() - t, len(eng.days), float(np.mean(entries))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-check", action="store_true", help="skip the daily conservation check")
    ap.add_argument("--scales", default="1,0.01", help="population scales, comma-separated")
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "russia-2022.toml")
    args = ap.parse_args()
    check = not args.no_check
    out = []
    for k, scale in enumerate(float(s) for s in args.scales.split(",")):
        sc = Scenario.from_toml(args.scenario)
        sc.population.scale = scale
        t0 = time.perf_counter()
        res = run(sc, check=False)  # warm-up (imports, compiled kernels, caches)
        warm = time.perf_counter() - t0
        times, days, nnz = [], 0, 0.0
        for i in range(args.repeat):
            sec, days, nnz = engine_seconds(sc, i, check)
            times.append(sec)
        best, median = min(times), sorted(times)[len(times) // 2]
        row = {"scale": scale, "population": res.summary["population"], "days": days,
               "cells": res.summary["cells"], "cell_state_entries": res.summary["cell_state_entries"],
               "nonzero_entries": round(nnz), "engine_cpu_best_seconds": round(best, 2),
               "engine_cpu_median_seconds": round(median, 2), "ms_per_day": round(1e3 * best / days, 1)}
        if k == 0:
            row["first_run_wall_seconds_incl_setup"] = round(warm, 2)
        if out:
            row["cost_relative_to_first"] = round(best / out[0]["engine_cpu_best_seconds"], 2)
        out.append(row)
    report = {"scenario": sc.name, "conservation_check": check, "runs": out,
              "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
