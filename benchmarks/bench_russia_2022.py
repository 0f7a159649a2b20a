"""Benchmark: a shipped scenario (russia-2022 by default) for the whole population (146,980,061 people).

Reports wall seconds in total and per simulated day, cells and cell×state entries, and peak memory (RSS).
Figures are printed, never asserted: run `make bench` or
`python benchmarks/bench_russia_2022.py [--repeat N] [--scenario scenarios/wave2-1m-open.toml]`.
"""

import argparse
import json
import resource
import time
from pathlib import Path

from exitvoice import Scenario, run

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-check", action="store_true", help="skip the daily conservation check")
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "russia-2022.toml")
    args = ap.parse_args()
    sc = Scenario.from_toml(args.scenario)
    t0 = time.perf_counter()
    run(sc, check=False)  # warm-up (imports, caches)
    warm = time.perf_counter() - t0
    times = []
    for i in range(args.repeat):
        t = time.perf_counter()
        res = run(sc, seed=i, check=not args.no_check)
        times.append(time.perf_counter() - t)
    best = min(times)
    days = res.summary["days"]
    report = {
        "scenario": sc.name,
        "population": res.summary["population"],
        "days": days,
        "cells": res.summary["cells"],
        "cell_state_entries": res.summary["cell_state_entries"],
        "first_run_seconds_incl_setup": round(warm, 2),
        "best_total_seconds": round(best, 2),
        "median_total_seconds": round(sorted(times)[len(times) // 2], 2),
        "seconds_per_day": round(best / days, 4),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "conservation_check": not args.no_check,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
