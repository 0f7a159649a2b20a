"""Write a calibration's best values into the pack's parameters.toml as the new defaults.

    python scripts/apply_calibration.py results/ru2022-calibration [--country russia]

Each calibrated parameter keeps its range and prior; its default becomes the fitted value (rounded to 4
significant digits, whole numbers for integer parameters) and its source says which study fitted it.
The change is made line by line, so comments and layout of parameters.toml stay as they are.
"""

import argparse
import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("calibration", type=Path, help="output folder of `exitvoice calibrate`")
    ap.add_argument("--country", default="russia")
    args = ap.parse_args()
    info = json.loads((args.calibration / "calibration.json").read_text())
    best = tomllib.loads((args.calibration / "calibrated.toml").read_text())["parameters"]
    path = ROOT / "src" / "exitvoice" / "data" / args.country / "parameters.toml"
    decl = tomllib.loads(path.read_text())
    lines = path.read_text().splitlines()
    which = (f"trial {info['trial']} of {info['completed_trials']}" if "trial" in info
             else f"best of {info['completed_trials']} trials")
    note = f"calibrated: study '{info['study']}', {which} (loss {info['best_loss']:.4g}; docs/calibration.md)"
    for name, value in best.items():
        group, key = name.split(".", 1)
        spec = decl[group][key]
        new = round(value) if isinstance(spec["default"], int) else float(f"{value:.4g}")
        start = lines.index(f"[{name}]")
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
        for i in range(start, end):
            if lines[i].startswith("default = "):
                lines[i] = f"default = {new!r}" if isinstance(new, float) else f"default = {new}"
            elif lines[i].startswith("source = "):
                old = spec["source"]
                # an earlier study's note is replaced, not chained; what it kept as "prior: ..." stays
                prior = re.sub(r"^calibrated(: study '[^']*', [^;]*; docs/calibration\.md\))?(; )?(prior: )?", "", old)
                text = f"{note}; prior: {prior}" if prior else note
                lines[i] = "source = " + json.dumps(text, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n")
    tomllib.loads(path.read_text())
    print(f"updated {len(best)} defaults in {path}")


if __name__ == "__main__":
    main()
