"""Benchmark: time per ensemble member and per calibration trial for the whole population (russia-2022).

Runs a small ensemble with --jobs workers and a few calibration trials, and extrapolates to the issue's sizes
(a 200-member ensemble and 1,000 trials on 2 cores). Figures are printed, never asserted.

    python benchmarks/bench_calibration_ensemble.py [--members 4] [--trials 2] [--jobs 2]
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from exitvoice import Scenario
from exitvoice.calibrate import Settings, calibrate
from exitvoice.ensemble import run_ensemble
from exitvoice.observations import pack_observations, read_observations

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=4)
    ap.add_argument("--trials", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    sc = Scenario.from_toml(ROOT / "scenarios" / "russia-2022.toml")
    t = time.perf_counter()
    run_ensemble(sc, args.members, seed=1, jobs=args.jobs)
    ens = time.perf_counter() - t
    obs = read_observations(pack_observations())
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        calibrate(sc, obs, Settings(params=["exit.beta_risk", "exit.lambda_base"], trials=args.trials),
                  storage=f"sqlite:///{tmp}/b.db", study="bench", jobs=1)
        cal = time.perf_counter() - t
    per_member = ens / args.members  # wall seconds per member with `jobs` workers
    per_trial = cal / args.trials  # wall seconds per trial, one worker
    print(json.dumps({
        "ensemble_members": args.members, "jobs": args.jobs, "ensemble_wall_seconds": round(ens, 1),
        "wall_seconds_per_member_with_jobs": round(per_member, 2),
        "calibration_trials": args.trials, "wall_seconds_per_trial_one_worker": round(per_trial, 2),
        "estimate_200_member_ensemble_minutes": round(200 * per_member / 60, 1),
        "estimate_1000_trials_minutes_2_workers": round(1000 * per_trial / 2 / 60, 1),
        "targets": {"200_member_ensemble_minutes": 1, "1000_trials_minutes": 15},
    }, indent=2))


if __name__ == "__main__":
    main()
