"""Regenerate tests/baseline/russia-2022.json (the exact regression of the russia-2022 scenario, its own seed).

Run it only when a change to the model is intended, and say why in the commit.
"""

import json
from pathlib import Path

from exitvoice import Scenario, run
from exitvoice.results import comparable_summary

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    res = run(Scenario.from_toml(ROOT / "scenarios" / "russia-2022.toml"))
    out = ROOT / "tests" / "baseline" / "russia-2022.json"
    out.write_text(json.dumps(comparable_summary(res.summary), indent=2) + "\n")
    print(f"wrote {out}")
