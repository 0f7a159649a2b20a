"""Regenerate the exact regressions tests/baseline/<scenario>.json of russia-2022 and myanmar-2024 (their own seeds).

Run it only when a change to the model is intended, and say why in the commit.

    python scripts/update_baseline.py [russia-2022] [myanmar-2024]     (default: both)
"""

import json
import sys
from pathlib import Path

from exitvoice import Scenario, run
from exitvoice.results import comparable_summary

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("russia-2022", "myanmar-2024")

if __name__ == "__main__":
    for name in sys.argv[1:] or SCENARIOS:
        if name not in SCENARIOS:
            sys.exit(f"no baseline for {name!r}; one of {SCENARIOS}")
        res = run(Scenario.from_toml(ROOT / "scenarios" / f"{name}.toml"))
        out = ROOT / "tests" / "baseline" / f"{name}.json"
        out.write_text(json.dumps(comparable_summary(res.summary), indent=2) + "\n")
        print(f"wrote {out}")
