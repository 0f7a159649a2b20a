"""Ship an ABC-SMC posterior in a country pack: the posterior file, its provenance, and the medians as defaults.

    python scripts/ship_posterior.py results/russia-2022-abc --pack russia [--study ru2023abc] [--date 2026-11-30]

From the output folder of `exitvoice calibrate --method abc-smc`, it
1. copies `posterior.parquet` (the equally weighted resample of the particles) into the pack as
   `posterior.parquet`, its rows in a random order (seeded by `--seed`: the first N sets, which an ensemble of N
   members draws, are then a random sample of the posterior, whatever the order the particles were accepted in);
2. writes the provenance into pack.toml as its `[calibration]` table (posterior, study, method, date, ESS,
   scenario), replacing an earlier one;
3. sets the defaults of the fitted parameters in parameters.toml to their posterior medians (as
   `scripts/apply_calibration.py` sets a point fit's values), each `source` naming the study and saying "posterior
   median", with its 90% credible interval; the source the parameter had before is kept after "prior: ".

The pack is checked with the new files before any is written (`exitvoice pack check`); a problem stops the script
(exit code 2) with the pack as it was. Each file is then replaced through a temporary name.
`--pack` is a built-in pack's name (its folder under src/exitvoice/data/) or a pack folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from apply_calibration import ROOT, with_defaults, write_atomic

POSTERIOR_NAME = "posterior.parquet"


def pack_folder(ref: str) -> Path:
    """A built-in pack of this checkout (by name) or a pack folder."""
    path = Path(ref)
    if "/" not in ref and "\\" not in ref and not path.is_dir():
        path = ROOT / "src" / "exitvoice" / "data" / ref
    if not (path / "pack.toml").is_file():
        raise SystemExit(f"error: --pack: no pack at {path} (a pack's name, or a folder holding pack.toml)")
    return path


def calibration_table(posterior: str, study: str, method: str, date: dt.date, ess: float,
                      scenario: str | None) -> str:
    """The `[calibration]` table of pack.toml."""
    import json

    lines = ["[calibration]                            # the posterior the pack ships (scripts/ship_posterior.py)",
             f"posterior = {json.dumps(posterior)}",
             f"study = {json.dumps(study, ensure_ascii=False)}",
             f"method = {json.dumps(method)}",
             f"date = {date.isoformat()}",
             f"ess = {float(ess)!r}"]
    if scenario:
        lines.append(f"scenario = {json.dumps(scenario, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def with_calibration(text: str, table: str) -> str:
    """pack.toml's text with its `[calibration]` table replaced by `table` (or `table` appended)."""
    lines = text.splitlines()
    header = re.compile(r"^\[[A-Za-z0-9_.]+\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if re.match(r"^\[calibration\]\s*(#.*)?$", line)), None)
    if start is None:
        body = text.rstrip("\n")
        return body + "\n\n" + table
    end = next((i for i in range(start + 1, len(lines)) if header.match(lines[i])), len(lines))
    rest = "\n".join(lines[end:])
    return "\n".join(lines[:start]) + "\n" + table + ("\n" + rest + "\n" if rest.strip() else "")


def scenario_of(folder: Path) -> str | None:
    """The scenario the ABC-SMC run fitted, as its calibrated.toml's first line names it."""
    f = folder / "calibrated.toml"
    if not f.is_file():
        return None
    m = re.match(r"^# posterior medians of an ABC-SMC calibration of (\S+)", f.read_text(encoding="utf-8"))
    return m.group(1) if m else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("abc", type=Path, help="output folder of `exitvoice calibrate --method abc-smc`")
    ap.add_argument("--pack", required=True, help="a built-in pack's name (russia) or a pack folder")
    ap.add_argument("--study", help="the study's name (default: the output folder's name)")
    ap.add_argument("--date", type=dt.date.fromisoformat,
                    help="when the posterior was fitted, YYYY-MM-DD (default: the date of its posterior.json)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the rows' random order (default 0)")
    args = ap.parse_args(argv)

    from exitvoice.abcsmc import read_posterior
    from exitvoice.errors import ExitvoiceError
    from exitvoice.packcheck import check_pack

    try:
        summary, _ = read_posterior(args.abc)  # a folder that is not an ABC-SMC output is refused here
    except ExitvoiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    source = args.abc / POSTERIOR_NAME
    try:
        sets = pd.read_parquet(source)
    except Exception as exc:  # noqa: BLE001 - pyarrow's errors for a missing or damaged file
        print(f"error: {source}: not a readable posterior ({str(exc).splitlines()[0] if str(exc) else exc})",
              file=sys.stderr)
        return 2
    params = [c for c in sets.columns if c in summary["parameters"]]
    order = np.random.default_rng(args.seed).permutation(len(sets))
    sets = sets[params].iloc[order].reset_index(drop=True)
    sets.insert(0, "set_id", np.arange(len(sets)))

    pack = pack_folder(args.pack)
    study = args.study or args.abc.resolve().name
    date = args.date or dt.date.fromtimestamp((args.abc / "posterior.json").stat().st_mtime)
    method = summary.get("method", "abc-smc")
    ess = float(summary["effective_sample_size"])
    medians = {n: float(summary["parameters"][n]["median"]) for n in params}

    def note(n: str) -> str:
        p = summary["parameters"][n]
        return (f"calibrated: study '{study}', posterior median of {method} (90% interval {p['q05']:.4g}–"
                f"{p['q95']:.4g}, {p['identified']}, ESS {ess:g}, {date}; docs/calibration.md)")

    try:
        parameters = with_defaults((pack / "parameters.toml").read_text(encoding="utf-8"), medians,
                                   {n: note(n) for n in params})
    except (KeyError, ValueError) as exc:
        print(f"error: {pack / 'parameters.toml'}: the posterior's parameter {exc} is not declared there",
              file=sys.stderr)
        return 2
    settings = with_calibration((pack / "pack.toml").read_text(encoding="utf-8"),
                                calibration_table(POSTERIOR_NAME, study, method, date, ess, scenario_of(args.abc)))
    with tempfile.TemporaryDirectory() as tmp:  # the pack with the new files, checked before any is written
        trial = Path(tmp) / pack.name
        shutil.copytree(pack, trial)
        (trial / "parameters.toml").write_text(parameters, encoding="utf-8")
        (trial / "pack.toml").write_text(settings, encoding="utf-8")
        sets.to_parquet(trial / POSTERIOR_NAME, index=False)
        report = check_pack(trial)
        if not report.ok:
            for p in report.problems:
                print(f"  {p}", file=sys.stderr)
            print(f"error: the pack would have {len(report.problems)} problem(s) with this posterior; nothing "
                  "was written", file=sys.stderr)
            return 2
        write_atomic(pack / POSTERIOR_NAME, (trial / POSTERIOR_NAME).read_bytes())
    write_atomic(pack / "parameters.toml", parameters)
    write_atomic(pack / "pack.toml", settings)
    print(f"shipped {len(sets)} sets of {len(params)} parameters into {pack} (study {study!r}, ESS {ess:g}); "
          f"defaults set to the posterior medians: {', '.join(params)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
