"""Check that two sets of run folders hold identical outputs (a change meant to leave results unchanged).

    python scripts/compare_outputs.py BEFORE AFTER

BEFORE and AFTER are folders holding one run folder per scenario (as `exitvoice run --out BEFORE/<name>` writes
them). Every run folder present in BEFORE must be in AFTER, with its `timeseries.parquet`, `regions.parquet` and
`cells.parquet` equal value for value (same rows, same order, same numbers) and its `summary.json` equal but for
the wall time. Prints one line per run and exits 1 at the first difference found in any run, 0 if all agree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

FRAMES = ("timeseries.parquet", "regions.parquet", "cells.parquet")
VOLATILE = ("wall_seconds",)


def differences(before: Path, after: Path) -> list[str]:
    """What differs between two run folders (empty when their outputs are identical)."""
    out = []
    for name in FRAMES:
        a, b = before / name, after / name
        if not a.is_file():
            continue
        if not b.is_file():
            out.append(f"{name}: missing after")
            continue
        fa, fb = pd.read_parquet(a), pd.read_parquet(b)
        if list(fa.columns) != list(fb.columns) or len(fa) != len(fb):
            out.append(f"{name}: shape {fa.shape} → {fb.shape}, columns {list(fa.columns)} → {list(fb.columns)}")
            continue
        if not fa.equals(fb):
            for col in fa.columns:
                neq = ~((fa[col] == fb[col]) | (fa[col].isna() & fb[col].isna()))
                if neq.any():
                    i = int(neq.to_numpy().nonzero()[0][0])
                    out.append(f"{name}: {int(neq.sum())} rows differ in {col}, first: {fa.iloc[i].to_dict()} → "
                               f"{fb.iloc[i].to_dict()}")
    sa, sb = (json.loads((f / "summary.json").read_text()) for f in (before, after))
    for key in VOLATILE:
        sa.pop(key, None)
        sb.pop(key, None)
    if sa != sb:
        keys = sorted(k for k in set(sa) | set(sb) if sa.get(k) != sb.get(k))
        out.append(f"summary.json differs in {keys}")
    return out


def main(before: str, after: str) -> int:
    """Compare every run folder of `before` with its namesake in `after`."""
    ok = True
    runs = sorted(p for p in Path(before).iterdir() if (p / "summary.json").is_file())
    if not runs:
        print(f"no run folders in {before}")
        return 1
    for run in runs:
        other = Path(after) / run.name
        diff = [f"no run folder {other}"] if not (other / "summary.json").is_file() else differences(run, other)
        print(f"{run.name}: {'identical' if not diff else 'DIFFERENT'}")
        for line in diff:
            print(f"  {line}")
        ok &= not diff
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
