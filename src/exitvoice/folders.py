"""Result folders read back, for the report and the dashboard.

What exitvoice wrote into a folder (run, ensemble, comparison, validation), its cases (scenario, series and
per-member metrics) and its validation scorecards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .compare import Case, case_metrics, read_case
from .errors import DataError
from .pack import DEFAULT_PACK
from .units import current_name, current_names


@dataclass
class Item:
    """One result folder as the report sees it."""

    kind: str  # run, ensemble, comparison, validation
    folder: Path
    cases: list[Case]
    scorecards: dict[str, tuple[pd.DataFrame, dict, str]] = field(default_factory=dict)  # name -> rows, metrics, how
    findings: str | None = None
    table: pd.DataFrame | None = None  # the figures the terminal printed: comparison.csv, or a run's summary.json
    currency: str | None = None  # the money of a stored comparison whose runs are not at hand (comparison.json)

    @property
    def title(self) -> str:
        """A heading for the item."""
        what = {"run": "Run", "ensemble": "Ensemble", "comparison": "Comparison", "validation": "Validation"}
        stored = list(dict.fromkeys(self.table.scenario)) if self.table is not None else []
        names = ", ".join([c.name for c in self.cases] or stored) or self.folder.name
        return f"{what[self.kind]}: {names}"


def kind_of(folder: Path) -> str:
    """What exitvoice wrote into `folder` (DataError naming the folder if nothing it knows)."""
    if (folder / "comparison.json").is_file():
        return "comparison"
    if (folder / "scorecard.csv").is_file():
        return "validation"
    if (folder / "summary.json").is_file() and (folder / "member_series.parquet").is_file():
        return "ensemble"
    if (folder / "summary.json").is_file() and (folder / "timeseries.parquet").is_file():
        return "run"
    raise DataError("not a result folder of exitvoice", file=str(folder),
                    allowed="a run, ensemble, comparison or validation folder (summary.json with timeseries.parquet "
                            "or member_series.parquet; comparison.json; scorecard.csv)")


def load(folder: str | Path) -> Item:
    """Read a result folder for the report."""
    folder = Path(folder)
    if not folder.is_dir():
        from .outputs import what_is

        what = "no such result folder" if not folder.exists() else f"{what_is(folder)}, not a result folder"
        raise DataError(what, file=str(folder), allowed="a folder written by exitvoice (a run, an ensemble, a "
                                                        "comparison or a validation)")
    kind = kind_of(folder)
    if kind in ("run", "ensemble"):
        item = Item(kind, folder, [_case(folder)])
        item.table = printed_table(item.cases[0], json.loads((folder / "summary.json").read_text()))
        stored = folder / "validation" / "scorecard.csv"
        if stored.is_file():
            country = item.cases[0].scenario.scenario.country
            item.scorecards[item.cases[0].name] = _stored_scorecard(stored.parent, country)
        elif _has_observations(item.cases[0]):  # a pack without observations (myanmar) has no scorecard to show
            item.scorecards[item.cases[0].name] = _score_now(item.cases[0])
        return item
    if kind == "validation":
        parent = folder.parent
        cases = [_case(parent)] if kind_of_or_none(parent) in ("run", "ensemble") else []
        item = Item(kind, folder, cases)
        if cases:
            item.table = printed_table(cases[0], json.loads((parent / "summary.json").read_text()))
        country = cases[0].scenario.scenario.country if cases else DEFAULT_PACK  # a scorecard alone: the first pack
        item.scorecards[cases[0].name if cases else folder.name] = _stored_scorecard(folder, country)
        return item
    payload = json.loads((folder / "comparison.json").read_text())
    cases = []
    for s in payload["scenarios"]:
        for where in (folder / "runs" / s["name"], Path(s["origin"])):
            if where.is_dir() and kind_of_or_none(where) in ("run", "ensemble"):
                cases.append(_case(where))
                break
    table = pd.read_csv(folder / "comparison.csv")  # the numbers compare printed
    table["metric"] = table.metric.map(current_name)  # a comparison of an earlier version: today's metric names
    item = Item(kind, folder, cases, table=table, currency=payload.get("currency"))
    if len(cases) != len(payload["scenarios"]):  # runs not at hand: the stored table and findings only
        item.cases = []
    item.findings = (folder / "findings.md").read_text() if (folder / "findings.md").is_file() else None
    return item


PRINTED = ("left", "abroad_at_end", "mobilised", "passports_issued", "peak_queue_wait_hours", "output_loss_pct_end",
           "output_loss_cumulative", "workers_lost_end", "protesters_peak", "detained")
"""Figures that `exitvoice run` prints from the summary and the report shows among the comparison metrics (each the
same quantity in both; `quota_fill` is not: the summary's is of all call-ups, the report's of the headline one)."""


def printed_table(case: Case, summary: dict) -> pd.DataFrame:
    """A run's or an ensemble's metric table, with the figures `exitvoice run` printed read from its summary.json.

    The members' series are written in whole people of the sample, so figures recomputed from them (the band ends of
    an ensemble's peak protest, its detentions) can differ from those of the members' summaries that the terminal
    printed; the report shows the printed ones: one source for both.
    """
    from .compare import Comparison
    from .units import scaled_up

    summary = current_names(summary)  # a summary of an earlier version: its keys under today's names
    scale = summary.get("population_scale", 1.0)
    found = {**summary.get("economy", {}), **summary.get("voice", {}), **summary.get("totals", {})}
    t = Comparison([case]).table()
    for m in PRINTED:
        x = found.get(m)
        if x is None or not (t.metric == m).any():
            continue
        q = x if isinstance(x, dict) else {"q05": x, "q50": x, "q95": x}
        if not all(isinstance(q.get(k), int | float) for k in ("q05", "q50", "q95")):
            continue
        t.loc[t.metric == m, ["q05", "q50", "q95"]] = [float(scaled_up(m, q[k], scale)) for k in ("q05", "q50", "q95")]
    return t


def _case(folder: Path) -> Case:
    case = read_case(folder)
    case.metrics = case_metrics(case)
    return case


def kind_of_or_none(folder: Path) -> str | None:
    """`kind_of`, or None where exitvoice wrote nothing it knows."""
    try:
        return kind_of(folder)
    except DataError:
        return None


def parameter_sets(case: Case) -> int:
    """Parameter sets behind a case's members (1 unless an ensemble used a posterior)."""
    path = Path(case.origin) / "summary.json"
    if path.is_file():
        return int(json.loads(path.read_text()).get("parameter_sets", 1))
    return 1


def band_includes(case: Case) -> str | None:
    """What an ensemble's band includes, as its summary states it (`ensemble.band_text`); None if not stated."""
    if getattr(case, "ensemble", None) is not None:
        return case.ensemble.band
    path = Path(case.origin) / "summary.json"
    if path.is_file():
        return json.loads(path.read_text()).get("band")
    return None


def _stored_scorecard(folder: Path, country: str) -> tuple[pd.DataFrame, dict, str]:
    rows = pd.read_csv(folder / "scorecard.csv")
    metrics = json.loads((folder / "scorecard.json").read_text())
    return _with_sources(rows, country), metrics, f"stored in {folder}"


def _has_observations(case: Case) -> bool:
    """Whether the case's pack names calibration observations (`pack.observations` in its pack.toml)."""
    from .pack import load_pack

    return load_pack(case.scenario.scenario.country).settings.pack.observations is not None


def _score_now(case: Case) -> tuple[pd.DataFrame, dict, str]:
    from .observations import pack_observations, read_observations
    from .regional import national_comparison_warning
    from .validate import score

    warning = national_comparison_warning(case.scenario)
    card = score(read_observations(pack_observations(case.scenario.scenario.country)), case.sim,
                 warnings=[warning] if warning else None)
    return (_with_sources(card.rows, case.scenario.scenario.country), card.metrics,
            "scored now against the calibration observations of the pack (`exitvoice validate` writes the same)")


def _with_sources(rows: pd.DataFrame, country: str = DEFAULT_PACK) -> pd.DataFrame:
    """Scorecard rows with the `source` of their observation (the pack's file, matched by line and quantity)."""
    if "source" in rows:
        return rows
    from .observations import pack_observations, read_observations
    from .pack import load_pack

    if load_pack(country).settings.pack.observations is None:  # scored against a file of the user's: no sources
        return rows
    obs = read_observations(pack_observations(country))[["line", "quantity", "geography", "source"]]
    return rows.merge(obs, on=["line", "quantity", "geography"], how="left")
