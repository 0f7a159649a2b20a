"""One self-contained HTML report of result folders: `exitvoice report RESULTS... --out report.html`.

A result folder is a run (`exitvoice run`), an ensemble (`run --ensemble N`), a comparison (`exitvoice compare`)
or a validation scorecard (`exitvoice validate`). For each, the report shows the scenario and its policy timeline,
the headline numbers with their bands (and what the bands include), flows by destination and route, queues and
fares, the call-up against its quota, the economy and voice, the validation scorecard (observed points over
simulated bands, with sources; a run or ensemble without one is scored against the pack's calibration
observations), the parameters with units and sources, and the findings in plain words.

The file opens offline: plotly's JavaScript is inlined once, nothing is fetched. Figures are whole-population
figures (a sample run is scaled up by its `population.scale`).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, regional
from .compare import Case, Comparison, band
from .errors import DataError, ExitvoiceError
from .folders import Item, band_includes, load, parameter_sets
from .labels import covered_by
from .outputs import atomic_file, check_output_file
from .pack import DEFAULT_PACK
from .units import fmt_metric, fmt_score

GENERATOR = "exitvoice report"
"""The `<meta name="generator">` of every report: `--force` replaces only a file that carries it."""
MARKER = f'<meta name="generator" content="{GENERATOR}'
"""What a report written by exitvoice holds in its first bytes."""


# -- HTML -------------------------------------------------------------------------------------------------------
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header{background:#17324d;color:#fff;padding:18px 32px}header h1{margin:0 0 4px;font-size:1.6em}
header p{margin:0;opacity:.85}nav{padding:8px 32px;background:#e9eef3;font-size:.92em}
nav a{margin-right:14px;color:#17324d}main{padding:8px 32px 40px;max-width:1280px}
section{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:14px 20px;margin:16px 0}
h2{color:#17324d;border-bottom:2px solid #17324d;padding-bottom:4px}h3{color:#17324d;margin-top:6px}
table{border-collapse:collapse;font-size:.9em;margin:8px 0}td,th{border-bottom:1px solid #e3e3e3;padding:4px 10px;
text-align:left;vertical-align:top}th{background:#f2f5f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.9em}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:12px}
.grid>div{min-width:0}.grid>div.wide{grid-column:1/-1}
.warn{background:#fff6dd;color:#6a4b00;padding:6px 10px;border-radius:4px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #dde3ea;border-radius:6px;padding:8px 14px;
min-width:190px;background:#f7f9fb}.card b{display:block;font-size:1.35em;color:#17324d}.card span{font-size:.85em}
details summary{cursor:pointer;color:#17324d;margin:6px 0}code{background:#f0f0f0;padding:0 3px;border-radius:3px}
"""


FIT_CHARTS = """
(function () {
  // Each chart is drawn while the page is still being read, before its grid cell has its final width: fit every
  // chart to its cell once the page is laid out, and again whenever a cell changes width (window, <details>).
  var charts = document.querySelectorAll(".plotly-graph-div");
  function fit(d) { if (d.offsetWidth > 0 && window.Plotly) { Plotly.Plots.resize(d); } }
  window.addEventListener("load", function () { charts.forEach(fit); });
  if (window.ResizeObserver) {
    var seen = new ResizeObserver(function (entries) { entries.forEach(function (e) { fit(e.target); }); });
    charts.forEach(function (d) { seen.observe(d); });
  }
})();
"""
"""Fits every chart of the report to its place on the page (plotly sizes a chart once, when it is drawn)."""


def _currency(country: str) -> str:
    """The currency of a pack's money (fares), in words when the pack cannot be read."""
    from .pack import load_pack

    try:
        return load_pack(country).currency
    except ExitvoiceError:
        return "the origin's currency"


def _esc(x) -> str:
    return html.escape(str(x))


def markdown_html(text: str) -> str:
    """The small Markdown of findings.md (headings, bullets, bold, code, paragraphs) as HTML."""
    out, in_list = [], False
    for raw in text.splitlines():
        line = _esc(raw)
        line = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", line)
        line = re.sub(r"`(.+?)`", r"<code>\1</code>", line)
        if raw.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{line[2:]}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if raw.startswith("# "):
            continue  # the section has its own heading
        if raw.startswith("#"):
            out.append(f"<h4>{line.lstrip('#').strip()}</h4>")
        elif raw.strip():
            out.append(f"<p>{line}</p>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


class Figures:
    """Turns plotly figures into `<div>`s that share one inlined copy of plotly.js."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, fig) -> str:
        """The figure as a `<div>` (plotly.js is inlined once in the page head)."""
        self.n += 1
        return fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"fig{self.n}",
                           config={"displaylogo": False, "responsive": True})


def _table(frame: pd.DataFrame, numeric: tuple[str, ...] = ()) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    body = []
    for r in frame.itertuples(index=False):
        cells = "".join(f'<td class="num">{_esc(v)}</td>' if c in numeric else f"<td>{_link(v)}</td>"
                        for c, v in zip(frame.columns, r, strict=True))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _link(v) -> str:
    text = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
    esc = _esc(text)
    return re.sub(r"(https?://[^\s;,)]+)", r'<a href="\1">\1</a>', esc)


def scenario_section(case: Case, figures: Figures) -> str:
    """The scenario, its population and parameters changed, and its policy timeline."""
    from .charts import policy_text, timeline_chart

    sc = case.scenario
    meta, pop = sc.scenario, sc.population
    lines = [f"<p><b>{_esc(sc.name)}</b> ({_esc(meta.country)}): {meta.start} to {meta.end}, "
             f"{len(sc.days)} days; population: {_esc(regional.coverage(sc))}. "
             f"{_esc(meta.description)}</p>"]
    if pop.scale < 1:
        where = "the regions simulated" if pop.regions else "the country"
        lines.append(f'<p class="note">A sample run ({pop.scale:.4g} of the people): the figures below are scaled '
                     f"up by 1/{pop.scale:.4g} to the whole population of {where}; sampling adds noise to small "
                     "numbers.</p>")
    if pop.regions:
        scaled = [f"{p.label or p.type} {regional.SCALED_FIELDS[p.type]} "
                  f"{fmt_metric('persons', regional.figure(sc, p))} of the national "
                  f"{fmt_metric('persons', getattr(p, regional.SCALED_FIELDS[p.type]))}"
                  for p in sc.policy if p.type in regional.SCALED_FIELDS and p.figures_for == "country"]
        lines.append('<p class="note">A regional run: figures are for these regions only'
                     + (f"; national figures fall to them by their share ({_esc('; '.join(scaled))})" if scaled
                        else "") + ". Route capacities and ordinary trips stay those of the whole country "
                     "(docs/model.md, Regional runs).</p>")
    dump = sc.model_dump(mode="json")
    if dump.get("policy"):
        params = sc.parameter_set()  # a field that names a parameter shows its value
        lines.append(figures(timeline_chart(dump, params)))
        pols = pd.DataFrame([{"policy": p["type"], "from": p.get("start") or "", "to": p.get("end") or "(end)",
                              "settings": policy_text(p, params)} for p in dump["policy"]])
        lines.append("<details><summary>Policies in full</summary>" + _table(pols) + "</details>")
    return "\n".join(lines)


def band_label(metric: str, values: np.ndarray, members: int, sets: int = 1) -> str:
    """What the band under a headline number is: its 5%–95% range over the members, or why there is none.

    A single run has no band. An ensemble whose members all give the same value has a band of zero width: it says
    so, and what the members differ in (their random streams, and parameter sets when there are several).
    """
    lo, _, hi = band(values)
    return band_words(metric, lo, hi, members, sets)


def band_words(metric: str, lo: float, hi: float, members: int, sets: int = 1) -> str:
    """`band_label` of a band given by its ends (as a comparison's table stores it)."""
    if members <= 1:
        return "single run: no band"
    if fmt_metric(metric, lo) != fmt_metric(metric, hi):
        return f"{fmt_metric(metric, lo)}–{fmt_metric(metric, hi)} (5%–95% of {members} members)"
    shown = "" if lo == hi else " to the precision shown"
    if sets > 1:
        return f"{members} members over {sets} parameter sets, band collapsed: all members agree{shown}"
    return f"{members} members, band collapsed: seed noise only and all members agree{shown}"


def headline_section(cmp: Comparison) -> str:
    """Headline numbers with bands, and what the bands include."""
    cards = []
    t = cmp.table().set_index(["scenario", "metric"])  # the numbers `exitvoice compare` printed, for a comparison
    for c in cmp.cases:
        for m, what in (("left", "left the country"), ("abroad_at_end", "abroad at the end"),
                        ("mobilised", "mobilised"), ("quota_fill", "quota fill"),
                        ("output_loss_pct_end", "output loss at the end, % of GDP"),
                        ("protesters_peak", "protesters on the peak day")):
            if (c.name, m) in t.index:
                r = t.loc[(c.name, m)]
                rng = band_words(m, r.q05, r.q95, int(r.members), parameter_sets(c))
                who = f"{_esc(c.name)}: " if len(cmp.cases) > 1 else ""
                cards.append(f'<div class="card"><span>{who}{what}</span><b>{fmt_metric(m, r.q50)}</b>'
                             f"<span>{_esc(rng)}</span></div>")
    w = cmp.wide().reset_index().rename(columns={"index": "metric"})
    members = {c.sim.members for c in cmp.cases}
    sets = [parameter_sets(c) for c in cmp.cases]
    if max(members) > 1:
        stated = sorted({b for c in cmp.cases if (b := band_includes(c))})
        bands = f"Bands are the 5%–95% range over {'/'.join(map(str, sorted(members)))} members. "
        if stated:
            bands += f"They include: {'; '.join(stated)}"
            if not any(("posterior" in b or "priors" in b) for b in stated):
                bands += (" (the randomness of the simulation, not the uncertainty of the parameters: draw them "
                          "from a posterior — the pack's, by default, when it ships one, or --posterior FILE — or "
                          "from their priors with --draw-priors)")
        else:
            bands += "They include the randomness of the simulation (each member has its own random stream)"
            bands += (f" and the parameter uncertainty of a calibration posterior ({max(sets)} parameter sets)"
                      if sets and max(sets) > 1 else ", not the uncertainty of the parameters (run with --posterior "
                      "for that)")
        bands += ". They do not include errors of the model's structure or of its input data."
    else:
        bands = ("A single run: no band. Run an ensemble (exitvoice run --ensemble 20) for 5%–95% bands over "
                 "the randomness of the simulation.")
    return (f'<div class="cards">{"".join(cards)}</div><p class="note">{bands}</p>'
            + _table(w, numeric=tuple(w.columns[1:])))


def flows_section(cmp: Comparison, figures: Figures, country: str) -> str:
    """Departures over time, where leavers went, and by which route they crossed."""
    from .charts import PALETTE, bars, crossings_map, series_chart, totals_by

    cases = [(c.name, c.sim) for c in cmp.cases]
    parts = [figures(series_chart(cases, "daily_departures", [cmp.cases[0].sim.origin],
                                  "Departures of leavers per day", "persons per day",
                                  origin=covered_by(cmp.cases[0].scenario)))]
    first = cmp.cases[0]
    if len(cases) == 1:
        parts.append(figures(series_chart(cases, "daily_entries", None, "Entries per day by destination (leavers "
                                          "and travellers)", "persons per day", top=8, country=country)))
        parts.append(figures(series_chart(cases, "abroad_stock", None, "Leavers abroad by destination",
                                          "persons", top=8, country=country)))
    whose = f" · {first.name}" if len(cases) > 1 else ""  # the charts of one scenario of several say which
    parts.append(figures(bars(totals_by(first.sim, "daily_left"), f"Where leavers went over the run{whose}",
                              "persons", country=country)))
    routes = pd.concat([totals_by(first.sim, "processed", "crossing:"), totals_by(first.sim, "flights_boarded")])
    routes["geography"] = [g if g.startswith("crossing:") else f"air:{g}" for g in routes.geography]
    parts.append(figures(bars(routes.sort_values("q50", ascending=False), "Crossings by route over the run (land "
                              f"crossings and flights to each destination; leavers and travellers){whose}",
                              "persons", country=country, colour=PALETTE[1])))
    where = crossings_map(first.sim, country, regions_left=_regions_left(first))
    if whose:
        where.update_layout(title_text=f"{where.layout.title.text}{whose}")
    return ('<div class="grid">' + "".join(f"<div>{p}</div>" for p in parts)
            + f'<div class="wide">{figures(where)}</div></div>')


def _regions_left(case: Case) -> pd.Series | None:
    """Leavers by region over a run (its `regions.parquet`, scaled up as the charts are); None for an ensemble."""
    folder = Path(case.origin)
    if not (folder / "regions.parquet").is_file():
        return None
    regions = pd.read_parquet(folder / "regions.parquet", columns=["region", "left"])
    return regions.groupby("region").left.sum() / case.scenario.population.scale


def queues_section(cmp: Comparison, figures: Figures, country: str) -> str:
    """Waits at the crossings and fares of flights."""
    from .charts import series_chart

    sim = cmp.cases[0].sim
    cases = [(cmp.cases[0].name, sim)]
    waits = sorted((g for (q, g) in sim.series if q == "queue_wait_hours"),
                   key=lambda g: -float(sim.series[("queue_wait_hours", g)].max()))[:6]
    parts = [figures(series_chart(cases, "queue_wait_hours", waits, "Expected wait at the busiest crossings",
                                  "hours", country=country)),
             figures(series_chart(cases, "queue_persons", waits, "Queue at the busiest crossings", "persons",
                                  country=country)),
             figures(series_chart(cases, "flight_price", None, "One-way fares by destination", _currency(country),
                                  country=country))]
    note = (f'<p class="note">Shown for {_esc(cmp.cases[0].name)}.</p>' if len(cmp.cases) > 1 else "")
    return note + '<div class="grid">' + "".join(f"<div>{p}</div>" for p in parts) + "</div>"


def callup_section(cmp: Comparison, figures: Figures) -> str:
    """The call-up against its quota."""
    from .charts import callup_chart
    from .compare import headline_mobilisation

    targets, regional_notes = {}, []
    for c in cmp.cases:
        mobs = [p for p in c.scenario.policy if p.type == "mobilisation"]
        if mobs:
            head = headline_mobilisation(c.scenario)
            s = int(np.searchsorted(c.sim.dates, pd.Timestamp(head.start)))
            before = float(np.median(c.sim.series[("mobilised_cum", c.sim.origin)][:, s - 1])) if s > 0 else 0.0
            target = regional.target(c.scenario, head)
            targets[c.name] = before + target
            if target != head.target:
                regional_notes.append(f"{_esc(c.name)}: {fmt_metric('target', target)} of the national "
                                      f"{fmt_metric('target', head.target)}")
    fig = callup_chart([(c.name, c.sim) for c in cmp.cases], targets)
    note = ("The quota target line is the headline (last) call-up's target added to those mobilised before it "
            "starts.")
    if regional_notes:
        note += (" In a regional run the target is the simulated regions' share of the national one (their share of "
                 "the men the call-up can take; docs/model.md, Regional runs): " + "; ".join(regional_notes) + ".")
    return f'<p class="note">{note}</p>' + figures(fig)


def economy_voice_section(cmp: Comparison, figures: Figures) -> str:
    """Output loss, workers lost by sector, protest and detentions."""
    from .charts import bars, last_by, series_chart

    cases = [(c.name, c.sim) for c in cmp.cases]
    sim = cmp.cases[0].sim
    origin = sim.origin  # the pack's code: the geography of origin totals
    if ("output_loss_pct", origin) not in sim.series:
        return "<p>This run has no economy or voice series.</p>"
    covered = covered_by(cmp.cases[0].scenario)  # what the run covers names its totals' line
    parts = [figures(series_chart(cases, "output_loss_pct", [origin], "Output below the economy without the crisis",
                                  "% of GDP", origin=covered)),
             figures(bars(last_by(sim, "workers_lost"), "Workers lost by sector on the last day (net of remote "
                          f"work){' · ' + cmp.cases[0].name if len(cases) > 1 else ''}", "persons")),
             figures(series_chart(cases, "protesters", [origin], "Protesters per day", "persons per day",
                                  origin=covered)),
             figures(series_chart(cases, "detained_cum", [origin], "Detained at protests (cumulative)", "persons",
                                  origin=covered)),
             figures(series_chart(cases, "opposed_abroad", [origin], "Opposed to the call-up, abroad (exit instead of "
                                  "voice)", "persons", origin=covered))]
    return '<div class="grid">' + "".join(f"<div>{p}</div>" for p in parts) + "</div>"


def validation_section(item: Item, figures: Figures, country: str = DEFAULT_PACK) -> str:
    """Scores, the scorecard chart and the observations with their sources (named as the run's pack names them)."""
    from .charts import scorecard_chart
    from .labels import label, metric_label
    from .validate import SCORE_MEANINGS

    parts = []
    for name, (rows, metrics, how) in item.scorecards.items():
        scores = pd.DataFrame([{"score": f"{metric_label(k)} ({k})", "value": fmt_score(metrics.get(k)),
                                "meaning": SCORE_MEANINGS[k]} for k in SCORE_MEANINGS if k in metrics])
        skipped = metrics.get("skipped", {})
        warnings = "".join(f'<p class="warn"><b>Warning:</b> {_esc(w)}.</p>' for w in metrics.get("warnings", []))
        parts.append(f"<h3>{_esc(name)}</h3>{warnings}<p class=\"note\">{_esc(how)}.</p>"
                     + _table(scores, ("value",)))
        if skipped:
            parts.append("<p class=\"note\">Skipped: " + "; ".join(f"{n} — {_esc(r)}" for r, n in skipped.items())
                         + ".</p>")
        parts.append(figures(scorecard_chart(rows, country)))
        scored = rows[rows.status == "scored"]
        cols = [c for c in ("date", "quantity", "geography", "since", "observed", "simulated", "sim_q05",
                            "sim_q95", "source") if c in scored]
        table = scored[cols].copy()
        if "geography" in table:
            table["geography"] = [label(g, country) for g in table.geography]  # Kazakhstan (KZ), Upper Lars → GE
        for c in ("observed", "simulated", "sim_q05", "sim_q95"):
            if c in table:
                table[c] = [f"{v:,.0f}" if abs(v) >= 10 else f"{v:.3g}" for v in table[c]]
        parts.append("<details><summary>Every scored observation, with its source</summary>"
                     + _table(table, ("observed", "simulated", "sim_q05", "sim_q95")) + "</details>")
    return "\n".join(parts)


def parameters_section(case: Case) -> str:
    """Declared parameters with units and sources; those the scenario changes first."""
    from .pack import load_pack

    decl = load_pack(case.scenario.scenario.country).declarations
    changed = case.scenario.parameters
    rows = [{"parameter": p.name, "value": f"{changed.get(p.name, p.default):g}",
             "default": f"{p.default:g}", "unit": p.unit, "range": f"{p.low:g} – {p.high:g}",
             "meaning": p.meaning, "source": p.source}
            for p in sorted(decl.values(), key=lambda p: (p.name not in changed, p.name))]
    frame = pd.DataFrame(rows)
    n = len(changed)
    head = (f"<p>{n} of {len(frame)} declared parameters are set by the scenario (listed first); the others keep "
            "their defaults.</p>")
    return (head + _table(frame.head(n), ("value", "default")) if n else head) + (
        "<details><summary>All declared parameters with units and sources</summary>"
        + _table(frame, ("value", "default")) + "</details>")


def item_html(item: Item, figures: Figures, anchor: str) -> str:
    """Every section of one result folder."""
    sections: list[tuple[str, str]] = []
    cases = item.cases
    country = cases[0].scenario.scenario.country if cases else DEFAULT_PACK
    if cases:
        cmp = Comparison(cases, stored=item.table)  # the figures as `compare` or `run` printed them
        findings = item.findings or cmp.findings()
        sections.append(("Findings in plain words", markdown_html(findings)))
        sections.append(("Scenario and policy timeline", "".join(
            (f"<h3>{_esc(c.name)}</h3>" if len(cases) > 1 else "") + scenario_section(c, figures) for c in cases)))
        sections.append(("Headline numbers", headline_section(cmp)))
        sections.append(("Flows by destination and route", flows_section(cmp, figures, country)))
        sections.append(("Queues and fares", queues_section(cmp, figures, country)))
        sections.append(("The call-up against its quota", callup_section(cmp, figures)))
        sections.append(("Economy and voice", economy_voice_section(cmp, figures)))
    elif item.table is not None:
        sections.append(("Findings in plain words", markdown_html(item.findings or "")))
        w = Comparison([], stored=item.table, stored_currency=item.currency).wide().reset_index().rename(
            columns={"index": "metric"})
        sections.append(("Headline numbers", '<p class="note">The runs of this comparison are not at hand; the '
                         "stored table (median [5%–95%]):</p>" + _table(w, numeric=tuple(w.columns[1:]))))
    if item.scorecards:
        sections.append(("Validation scorecard", validation_section(item, figures, country)))
    if cases:
        sections.append(("Parameters", parameters_section(cases[0])))
    body = "".join(f'<section id="{anchor}-{i}"><h2>{_esc(t)}</h2>{s}</section>'
                   for i, (t, s) in enumerate(sections))
    return f'<h2 id="{anchor}" style="border:0;font-size:1.5em">{_esc(item.title)}</h2>' \
           f'<p class="note">From <code>{_esc(item.folder)}</code>.</p>{body}', sections


def build(folders: list[str | Path]) -> str:
    """The report of the result folders as one HTML document."""
    from plotly.offline import get_plotlyjs

    if not folders:
        raise DataError("nothing to report", allowed="one or more result folders")
    items = [load(f) for f in folders]
    figures = Figures()
    bodies, nav = [], []
    for k, item in enumerate(items):
        body, sections = item_html(item, figures, f"r{k}")
        bodies.append(body)
        nav.append(f'<a href="#r{k}"><b>{_esc(item.title)}</b></a>'
                   + "".join(f'<a href="#r{k}-{i}">{_esc(t)}</a>' for i, (t, _) in enumerate(sections)))
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="{GENERATOR} {__version__}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>exitvoice report: {_esc(", ".join(i.title for i in items))}</title>
<style>{CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<header><h1>exitvoice report</h1><p>{_esc(" · ".join(i.title for i in items))} — generated {when} by exitvoice
{__version__}. Interactive charts: hover for values, drag to zoom, double-click to reset, click a legend entry to hide
it. This file works offline.</p></header>
<nav>{"<br>".join(nav)}</nav>
<main>{"".join(bodies)}</main>
<script type="text/javascript">{FIT_CHARTS}</script>
</body></html>
"""


def check_report_file(out: str | Path, *, force: bool = False, field: str = "out") -> Path:
    """Check, before any work, that the report can be written to `out`; return it.

    The rules of any output file (`outputs.check_output_file`: not a folder, an existing file only with `force` and
    only if exitvoice wrote it), and the folder it goes into must exist: a report is one file, and a mistyped
    folder is refused (exit code 2 on the command line) rather than created.
    """
    out = check_output_file(out, force=force, field=field, marker=MARKER)
    if not out.parent.is_dir():
        raise ExitvoiceError("the folder of the report does not exist", field=field, given=str(out),
                             allowed=f"a file in an existing folder (create {out.parent} first)")
    return out


def write_report(folders: list[str | Path], out: str | Path, *, force: bool = False) -> Path:
    """Build the report and write it to `out` atomically (an existing report is replaced only with `force`)."""
    check_report_file(out, force=force)
    text = build(folders)
    with atomic_file(out, force=force, marker=MARKER) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(out)
