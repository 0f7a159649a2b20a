"""What a demo found, in a few plain lines read from its result folders: `python -m exitvoice.verdict FOLDER...`.

`make demo` ends with it. Each line is computed from what the commands wrote, never written in advance:

- a run or an ensemble: how many left by its last day (with the 5%–95% band of an ensemble), whether and when the
  headline call-up filled its quota, for what population;
- its validation (`validation/scorecard.json`): how far the simulated values typically are from the observed, how
  many left against the observed, in words;
- a comparison: in how many scenarios the call-up fills its quota, and where fewest and most leave.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from pathlib import Path

import numpy as np

from .compare import band, headline_mobilisation, people_band, people_words
from .errors import ExitvoiceError
from .units import fmt_metric


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _span(lo: float, hi: float, members: int, fmt=people_words) -> str:
    if members <= 1:
        return "a single run, so no band"
    if lo == hi:
        return f"all {members} members agree"
    return f"{fmt(lo)}–{fmt(hi)} over {members} members"


def run_lines(folder: Path) -> list[str]:
    """What a run or an ensemble found, and how it compares with the observations (if validated)."""
    from .folders import load
    from .regional import coverage

    item = load(folder)
    case = item.cases[0]
    sc, m, n = case.scenario, case.metrics, case.sim.members
    end = sc.scenario.end
    lo, mid, hi = band(m["left"].to_numpy())
    line = f"{case.name}, {coverage(sc)}: {people_words(mid)} left by {_date(end)} ({_span(lo, hi, n)})"
    head = headline_mobilisation(sc)
    if head is not None and "share_filled" in m:
        from .regional import target

        what = f"the call-up of {fmt_metric('persons', target(sc, head))} from {_date(head.start)}"
        share = float(m["share_filled"].mean())
        if share >= 0.5:
            d_lo, d_mid, d_hi = band(m["days_to_fill"].to_numpy())
            filled = head.start + dt.timedelta(days=int(round(d_mid)) - 1)
            line += (f"; {what} filled its quota on {_date(filled)}, {d_mid:.0f} days in"
                     + (f" ({d_lo:.0f}–{d_hi:.0f} days)" if n > 1 and d_lo != d_hi else "")
                     + (f", in {share:.0%} of members" if share < 1 else ""))
        else:
            fill = band(m["quota_fill"].to_numpy())[1]
            line += f"; {what} did not fill its quota by {_date(end)} (quota fill {fill:.2f})"
    lines = [line + "."]
    card = folder / "validation" / "scorecard.json"
    if card.is_file():
        lines.append(validation_line(json.loads(card.read_text())))
    return lines


def validation_line(scores: dict) -> str:
    """The validation scores in words."""
    parts = []
    mal = scores.get("median_abs_log_ratio")
    if mal is not None:
        parts.append(f"a simulated value is typically within a factor {math.exp(mal):.1f} of the observed one "
                     f"(median |log ratio| {mal:.2f} over {scores.get('n_scored', 0)} observations)")
    vol = scores.get("volume_log_ratio")
    if vol is not None:
        change = math.exp(vol) - 1
        parts.append("about as many left as observed" if abs(change) < 0.05 else
                     f"{abs(change):.0%} {'more' if change > 0 else 'fewer'} left than observed")
    cov = scores.get("coverage_90")
    if cov is not None:
        parts.append(f"{cov:.0%} of the observations fall inside the 90% band")
    text = "Against the 2022 observations: " + ("; ".join(parts) if parts else "nothing could be scored")
    for warning in scores.get("warnings", []):
        text += f" (warning: {warning})"
    return text + "."


def comparison_lines(folder: Path) -> list[str]:
    """What a comparison found: where the call-up fills its quota, and where fewest and most leave."""
    payload = json.loads((folder / "comparison.json").read_text())
    scenarios = payload["scenarios"]
    if not scenarios:
        return []
    members = sorted({s["members"] for s in scenarios})
    met, not_met = [], []
    for s in scenarios:
        q = s["metrics"]
        share, days = q.get("share_filled", {}).get("q50"), q.get("days_to_fill", {}).get("q50")
        if share is None:
            continue
        if share >= 0.5 and days is not None:
            met.append(f"{s['name']} in {days:.0f} days")
        else:
            fill = q.get("quota_fill", {}).get("q50")
            not_met.append(s["name"] + (f" (fill {fill:.2f})" if fill is not None else ""))
    key = "left_since_callup" if all("left_since_callup" in s["metrics"] for s in scenarios) else "left"
    ranked = sorted((s for s in scenarios if s["metrics"].get(key, {}).get("q50") is not None),
                    key=lambda s: s["metrics"][key]["q50"])
    n = "/".join(map(str, members))
    line = (f"The comparison ({len(scenarios)} scenarios, "
            + (f"{n} members each): " if max(members) > 1 else "a single run each): "))
    if met or not_met:
        line += ("the quota is met by " + ", ".join(met) if met else "the quota is met in none")
        line += ("; not met by " + ", ".join(not_met) if not_met else "") + "; "
    if ranked:
        def amount(s: dict) -> str:
            q = s["metrics"][key]
            return people_band(*(np.nan if q[k] is None else q[k] for k in ("q05", "q50", "q95")))

        what = "since the call-up" if key == "left_since_callup" else "over the run"
        line += f"fewest leave {what} under {ranked[0]['name']} ({amount(ranked[0])})"
        if len(ranked) > 1:
            line += f", most under {ranked[-1]['name']} ({amount(ranked[-1])})"
    return [line.rstrip("; ") + "."]


def verdict(folders: list[str | Path]) -> list[str]:
    """The lines of the verdict, one or two per folder (runs, ensembles, comparisons)."""
    lines = []
    for f in map(Path, folders):
        if (f / "comparison.json").is_file():
            lines += comparison_lines(f)
        elif (f / "summary.json").is_file():
            lines += run_lines(f)
        else:
            raise ExitvoiceError("not a run, ensemble or comparison folder", file=str(f))
    return lines


def main(argv: list[str] | None = None) -> None:
    """Print the verdict of the folders given on the command line."""
    args = sys.argv[1:] if argv is None else argv
    try:
        for line in verdict(args):
            print(line)
    except ExitvoiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
