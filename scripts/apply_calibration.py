"""Write a calibration's best values into the pack's parameters.toml as the new defaults.

    python scripts/apply_calibration.py results/ru2022-calibration [--country russia]

Each calibrated parameter keeps its range and prior; its default becomes the fitted value (rounded to 4
significant digits, whole numbers for integer parameters) and its source says which study fitted it.
The change is made line by line, so comments and layout of parameters.toml stay as they are.
`scripts/ship_posterior.py` sets defaults to a posterior's medians with the same functions.
"""

import argparse
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EARLIER_NOTE = re.compile(r"^calibrated(: study '[^']*', [^;]*; docs/calibration\.md\))?(; )?(prior: )?")
"""An earlier study's note at the start of a source (replaced, not chained); what it kept as "prior: …" stays."""


def default_value(value: float, spec: dict) -> float | int:
    """A fitted value as a default: a whole number for an integer parameter, else 4 significant digits; within
    the declared range (rounding never carries it past an end)."""
    low, high = spec["range"]
    if isinstance(spec["default"], int):
        return int(min(max(round(value), low), high))
    return float(min(max(float(f"{value:.4g}"), low), high))


def with_defaults(text: str, values: Mapping[str, float], notes: str | Mapping[str, str]) -> str:
    """parameters.toml's text with the defaults of `values` set and their sources starting with their note.

    `notes` is one note for every parameter or a note per parameter. The change is made line by line: comments
    and layout stay as they are. A parameter parameters.toml does not declare is a KeyError.
    """
    decl = tomllib.loads(text)
    lines = text.splitlines()
    for name, value in values.items():
        group, key = name.split(".", 1)
        spec = decl[group][key]
        new = default_value(value, spec)
        note = notes if isinstance(notes, str) else notes[name]
        start = lines.index(f"[{name}]")
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
        for i in range(start, end):
            if lines[i].startswith("default = "):
                lines[i] = f"default = {new!r}" if isinstance(new, float) else f"default = {new}"
            elif lines[i].startswith("source = "):
                prior = EARLIER_NOTE.sub("", spec["source"])
                text_ = f"{note}; prior: {prior}" if prior else note
                lines[i] = "source = " + json.dumps(text_, ensure_ascii=False)
    out = "\n".join(lines) + "\n"
    tomllib.loads(out)
    return out


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file through a temporary name in its folder, renamed at the end (never half written)."""
    tmp = path.with_name(f".{path.name}.tmp")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("calibration", type=Path, help="output folder of `exitvoice calibrate`")
    ap.add_argument("--country", default="russia")
    args = ap.parse_args()
    info = json.loads((args.calibration / "calibration.json").read_text())
    best = tomllib.loads((args.calibration / "calibrated.toml").read_text())["parameters"]
    path = ROOT / "src" / "exitvoice" / "data" / args.country / "parameters.toml"
    which = (f"trial {info['trial']} of {info['completed_trials']}" if "trial" in info
             else f"best of {info['completed_trials']} trials")
    note = f"calibrated: study '{info['study']}', {which} (loss {info['best_loss']:.4g}; docs/calibration.md)"
    write_atomic(path, with_defaults(path.read_text(), best, note))
    print(f"updated {len(best)} defaults in {path}")


if __name__ == "__main__":
    main()
