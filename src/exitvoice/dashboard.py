"""`exitvoice serve`: a dashboard in the browser to move the levers of a scenario and see what follows.

Why not Panel: the dashboard needs a form of levers, one endpoint that runs the count engine, and plotly charts,
which the report already draws (`exitvoice.charts`). The standard library's threaded HTTP server, one HTML page
and plotly.js (from the plotly package, served locally) do that with no new dependency and no moving parts to
secure beyond four small endpoints; Panel would add Bokeh, Tornado and param for the same result.

Endpoints (JSON): `GET /api/options` (scenarios, each with the crossings, sample and controls of its country
pack; saved runs; lever ranges), `POST /api/run` (levers → headline numbers and chart figures), `GET /api/progress`,
`POST /api/save` (the last run into the results folder). Every input is validated on the server (`Levers`, extra
fields refused, every value in its range, a crossing (of the scenario's pack) or saved run only from the lists the
server made); an error answers 400 with the message of an `ExitvoiceError`. Nothing is particular to one country:
regions, crossings, destinations, the sample, whom the controls target and the observations are the pack's of each
scenario (`pack.toml`, docs/packs.md). The server binds 127.0.0.1 unless told otherwise, runs one simulation at
a time, and reads and writes files only under its results folder (the scenarios are read once, at start).
"""

from __future__ import annotations

import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, ValidationError

from .errors import ExitvoiceError, ScenarioError
from .fields import STRICT, Date, FiniteFloat
from .scenario import NAME_PATTERN, Scenario

SAMPLE_SCALE = 0.05
SCOPES = {"sample": "quick sample (a few seconds)", "whole": "whole country (15 s to a minute or more)"}
"""The scopes the page offers; what the sample is depends on the scenario's pack (`sample_scope`)."""
MAX_BODY = 20_000
OF_CALLUP_AGE = {"callup_age": True}
"""Whom the exit-ban and exit-visa levers target: people of call-up age under the pack's law (`[callup]`)."""
ENTRIES_SHOWN = 3
"""Destinations on the entries chart (one when a saved run is overlaid: one destination, two runs)."""
QUEUES_SHOWN = 4
"""Crossings on the waits chart: those that processed the most people in the run."""


def sample_scope(pack) -> tuple[list[str] | None, str]:
    """The regions of the quick sample of a pack (`population.sample_regions`; None: the whole country) and its text."""
    from .labels import names

    regions = list(pack.settings.population.sample_regions) or None
    if regions is None:
        return None, (f"sample: {SAMPLE_SCALE:.0%} of the whole country, scaled up (a few seconds; sampling adds "
                      "noise to small numbers)")
    shown = names(pack.country)
    where = ", ".join(shown.get(r, r) for r in regions[:-1]) + (" and " if len(regions) > 1 else "") + \
        shown.get(regions[-1], regions[-1])
    return regions, (f"regional sample: {SAMPLE_SCALE:.0%} of {where} (a few seconds; figures for these regions "
                     "only, which take their share of the national call-up target and exit-visa capacity)")


def law_words(pack, params) -> str:
    """Whom the pack's call-up law reaches, in words: `men 18–55`, `men 18–35, women 18–27`."""
    from .population import FEMALE, law_ages

    ages = law_ages(pack.settings.callup, params)
    return ", ".join(f"{'women' if sex == FEMALE else 'men'} {lo:.0f}–{hi:.0f}" for sex, (lo, hi) in ages.items())


class Levers(BaseModel):
    """What the page may send: every field bounded; anything else is refused.

    Strict, as a scenario file is (`exitvoice.fields.STRICT`): a number is a JSON number (`true`, `"0.5"` and
    `NaN` are refused), a whole number is not `3.5`, a switch is `true` or `false`, a date is "YYYY-MM-DD".
    """

    model_config = STRICT
    scenario: str
    scope: Literal["sample", "whole"] = "sample"
    seed: int = Field(7, ge=0, le=2**31 - 1)
    callup_target: int = Field(ge=0, le=5_000_000)
    callup_start: Date
    exit_ban: bool = False
    exit_ban_enforcement: FiniteFloat = Field(0.9, ge=0, le=1)
    closed_crossings: list[str] = Field(default_factory=list, max_length=40)
    exit_visa_capacity: int = Field(0, ge=0, le=1_000_000)
    social_contract_offer: FiniteFloat = Field(0.0, ge=0, le=1)
    rumour_credibility: FiniteFloat | None = Field(None, ge=0, le=1)  # None: the scenario's rumours as they are
    overlay: str | None = None
    observations: bool = False


def lever_error(exc: ValidationError) -> ExitvoiceError:
    """The first problem with the levers, in plain words (as a scenario file's): the field, given, allowed."""
    from .scenario import _field_path, _plain, _shown

    e = exc.errors()[0]
    message, allowed = _plain(e)
    given = None if e["type"] == "missing" else _shown(e.get("input"))
    return ExitvoiceError(message, field=_field_path(e["loc"]) or None, given=given, allowed=allowed)


def _mobilisation(data: dict) -> dict | None:
    mobs = [p for p in data["policy"] if p["type"] == "mobilisation"]
    return max(mobs, key=lambda p: p["start"]) if mobs else None


def effective_rumour(policies: list):
    """The closure rumour the rumour lever shows and moves: the one that starts last (None without one).

    Of rumours that start together, the last listed: a scenario that extends another lists its own after those it
    inherits.
    `closure-rumour.toml` inherits the 2022 rumour (credibility 0.5, 25 Sep 2022) and adds its own (0.8, from the
    second call-up's first day): the lever is the second. Works on policies and on their dumps alike.
    """
    def get(p, k):
        return p[k] if isinstance(p, dict) else getattr(p, k)

    rumours = [(str(get(p, "start")), i, p) for i, p in enumerate(policies)
               if get(p, "type") == "rumour" and get(p, "kind") == "closure"]
    return max(rumours, key=lambda r: r[:2])[2] if rumours else None


def apply_levers(base: Scenario, lv: Levers, crossings: list[str], pack=None) -> Scenario:
    """The base scenario with the levers applied (validated again as a scenario).

    `crossings`: the land crossings the page may close (the scenario's pack's); `pack`: the scenario's country pack
    (read when not given), which says the sample's regions and whether a call-up may be allocated by burden.
    """
    from .pack import load_pack

    pack = pack or load_pack(base.scenario.country)
    data = base.model_dump(mode="json")
    meta = data["scenario"]
    start = lv.callup_start.isoformat()
    if not meta["start"] <= start <= meta["end"]:
        raise ScenarioError("the call-up start is outside the scenario", field="callup_start", given=start,
                            allowed=f"{meta['start']} to {meta['end']}")
    bad = sorted(set(lv.closed_crossings) - set(crossings))
    if bad:
        raise ScenarioError("unknown crossings", field="closed_crossings", given=bad, allowed=crossings)
    head = _mobilisation(data)
    if lv.callup_target == 0:
        data["policy"] = [p for p in data["policy"] if p is not head]
    elif head is None:
        data["policy"].append({"type": "mobilisation", "label": "call-up (dashboard)", "start": start,
                               "target": lv.callup_target,
                               "allocation": "burden" if pack.callup_burden_given else "proportional"})
    else:
        head.update(target=lv.callup_target, start=start)
        if head.get("end") and head["end"] < start:
            head["end"] = None
    if lv.exit_ban:
        data["policy"].append({"type": "exit_ban", "label": "exit ban (dashboard)", "start": start,
                               "enforcement": lv.exit_ban_enforcement, "who": OF_CALLUP_AGE})
    if lv.closed_crossings:
        data["policy"].append({"type": "border_closure", "label": "closed crossings (dashboard)", "start": start,
                               "routes": list(lv.closed_crossings), "by": "origin"})
    if lv.exit_visa_capacity:
        data["policy"].append({"type": "exit_visa", "label": "exit visas (dashboard)", "start": start,
                               "daily_capacity": lv.exit_visa_capacity, "who": OF_CALLUP_AGE})
    if lv.social_contract_offer:
        data["policy"].append({"type": "social_contract", "label": "social contract (dashboard)", "start": start,
                               "offer_rate": lv.social_contract_offer})
    if lv.rumour_credibility is not None:
        rumour = effective_rumour(data["policy"])  # earlier rumours stay as the scenario has them
        if rumour is not None:
            rumour["credibility"] = lv.rumour_credibility
        elif lv.rumour_credibility > 0:
            data["policy"].append({"type": "rumour", "label": "closure rumour (dashboard)", "start": start,
                                   "kind": "closure", "credibility": lv.rumour_credibility, "half_life_days": 4})
    if lv.scope == "sample":
        data["population"].update(scale=SAMPLE_SCALE, regions=sample_scope(pack)[0])
    data["policy"].sort(key=lambda p: p["start"])
    return Scenario.from_dict(data, source=f"{base.source} with the dashboard's levers")


class Dashboard:
    """The state of one dashboard server: its scenarios, results folder, last run and progress."""

    def __init__(self, results: Path, scenarios: dict[str, Scenario]) -> None:
        from .pack import load_pack

        self.results = results.resolve()
        self.scenarios = scenarios
        self.packs = {name: load_pack(sc.scenario.country) for name, sc in scenarios.items()}
        """Each scenario's country pack: its crossings, regions, law and observations."""
        self.crossings = {name: pack.crossings[pack.crossings["mode"] == "land"].crossing_id.tolist()
                          for name, pack in self.packs.items()}
        """The land crossings the page may close, per scenario (those of its pack)."""
        self.lock = threading.Lock()
        self.progress = {"done": 0, "total": 0, "running": False}
        self.last = None
        self.runs = 0

    # -- the folder ----------------------------------------------------------------------------------------
    def saved_runs(self) -> dict[str, Path]:
        """Run and ensemble folders under the results folder (two levels deep), by their relative path."""
        from .folders import kind_of_or_none

        found = {}
        for summary in sorted(self.results.glob("*/summary.json")) + sorted(self.results.glob("*/*/summary.json")):
            folder = summary.parent
            if folder.resolve().is_relative_to(self.results) and kind_of_or_none(folder) in ("run", "ensemble"):
                found[folder.relative_to(self.results).as_posix()] = folder
        return found

    def options(self) -> dict:
        """What the page offers: scenarios, saved runs, scopes.

        Each scenario with its call-up and rumour, and its pack's crossings, sample, whom the controls target and
        whether it has observations to overlay.
        """
        from .charts import label

        out = []
        for name, sc in self.scenarios.items():
            data = sc.model_dump(mode="json")
            head = _mobilisation(data)
            params = sc.parameter_set()  # a credibility may name a declared parameter: the page gets its value
            rumour = effective_rumour(sc.policy)
            pack = self.packs[name]
            out.append({"name": name, "start": data["scenario"]["start"], "end": data["scenario"]["end"],
                        "description": data["scenario"].get("description", ""),
                        "country": pack.name, "currency": pack.currency,
                        "callup_target": head["target"] if head else 0,
                        "callup_start": head["start"] if head else data["scenario"]["start"],
                        "rumour_credibility": rumour.number("credibility", params) if rumour else None,
                        "rumour_start": str(rumour.start) if rumour else None,
                        "crossings": [{"id": c, "label": label(f"crossing:{c}", sc.scenario.country)}
                                      for c in self.crossings[name]],
                        "sample": sample_scope(pack)[1],
                        "controls_for": f"people of call-up age ({law_words(pack, params)})",
                        "observations": pack.settings.pack.observations is not None})
        return {"scenarios": out, "saved": list(self.saved_runs()), "scopes": SCOPES}

    # -- running -------------------------------------------------------------------------------------------
    def run(self, body: dict) -> dict:
        """Validate the levers, run the count engine, and return headline numbers and figures."""
        from .api import run

        try:
            lv = Levers.model_validate(body)
        except ValidationError as exc:
            raise lever_error(exc) from None
        if lv.scenario not in self.scenarios:
            raise ExitvoiceError("unknown scenario", field="scenario", given=lv.scenario, allowed=list(self.scenarios))
        saved = self.saved_runs()
        if lv.overlay is not None and lv.overlay not in saved:
            raise ExitvoiceError("no such saved run in the results folder", field="overlay", given=lv.overlay,
                                 allowed=list(saved))
        if lv.observations and self.packs[lv.scenario].settings.pack.observations is None:
            raise ExitvoiceError("the scenario's country pack has no observations to overlay", field="observations",
                                 given=True, allowed=f"false for {lv.scenario} (pack {self.packs[lv.scenario].name})")
        sc = apply_levers(self.scenarios[lv.scenario], lv, self.crossings[lv.scenario], self.packs[lv.scenario])
        if not self.lock.acquire(blocking=False):
            raise ExitvoiceError("a run is in progress; wait for it to finish")
        try:
            self.progress = {"done": 0, "total": len(sc.days), "running": True}
            t0 = time.monotonic()
            res = run(sc, seed=lv.seed, progress=lambda d, n: self.progress.update(done=d, total=n))
            wall = time.monotonic() - t0
        finally:
            self.progress["running"] = False
            self.lock.release()
        self.last, self.runs = res, self.runs + 1
        return self.view(res, sc, lv, saved.get(lv.overlay) if lv.overlay else None, wall, self.packs[lv.scenario])

    def view(self, res, sc: Scenario, lv: Levers, overlay: Path | None, wall: float, pack=None) -> dict:
        """Headline numbers and plotly figures (as JSON) of a run, with an overlay and observations if asked.

        Every geography is the run's pack's (`pack`, read from the scenario when not given): its origin, the
        destinations entered most (of those the pack's observations cover, if any), the busiest crossings.
        """
        import plotly.io as pio

        from . import charts, regional
        from .compare import Case, band, case_metrics, fmt_metric, headline_mobilisation, read_case
        from .labels import covered_by
        from .pack import load_pack
        from .validate import Simulated

        country = sc.scenario.country
        pack = pack or load_pack(country)
        sim = Simulated.from_timeseries(res.timeseries, scale=sc.population.scale, pack=country)
        origin = sim.origin  # the pack's code: the geography of origin totals
        case = Case(sc.name, sc, sim, "dashboard")
        case.metrics = case_metrics(case)
        cases = [("this run", sim)]
        other = None
        if overlay is not None:
            other = read_case(overlay)
            if (other.sim.dates[0], other.sim.dates[-1]) == (sim.dates[0], sim.dates[-1]):
                cases.append((f"saved: {overlay.name}", other.sim))
        regions_left = res.regions.groupby("region").left.sum() / sc.population.scale
        routes = pd.concat([charts.totals_by(sim, "processed", "crossing:"), charts.totals_by(sim, "flights_boarded")])
        routes["geography"] = [g if g.startswith("crossing:") else f"air:{g}" for g in routes.geography]
        head = headline_mobilisation(sc)
        targets = {}
        if head:
            s = int(np.searchsorted(sim.dates, pd.Timestamp(head.start)))
            # the regions' share of the national target in the regional sample (exitvoice.regional)
            targets["this run"] = ((float(sim.series[("mobilised_cum", origin)][0, s - 1]) if s > 0 else 0.0)
                                   + regional.target(sc, head))
        entries = entries_shown(sim, pack, 1 if len(cases) > 1 else ENTRIES_SHOWN)  # overlay: one place, two runs
        busiest = charts.totals_by(sim, "processed", "crossing:").geography.tolist()[:QUEUES_SHOWN]
        figs = {
            "map": charts.crossings_map(sim, country, regions_left=regions_left),
            "routes": charts.bars(routes.sort_values("q50", ascending=False), "Departures by route over the run "
                                  "(leavers and travellers)", "persons", top=12, country=country),
            "entries": (charts.series_chart(cases, "daily_entries", entries, "Entries per day by "
                                            "destination", "persons per day", country=country)
                        if len(cases) == 1 else
                        charts.series_chart(cases, "daily_entries", entries, "Entries per day in "
                                            f"{charts.label(entries[0], country)}", "persons per day",
                                            country=country)),
            "queues": charts.series_chart(cases[:1], "queue_wait_hours", busiest, "Wait at the busiest crossings",
                                          "hours", country=country),
            "quota": charts.callup_chart(cases, targets),
            "output": charts.series_chart(cases, "output_loss_pct", [origin],
                                          "Output below the economy without the crisis", "% of GDP",
                                          origin=covered_by(sc), country=country),
            "protest": charts.series_chart(cases, "protesters", [origin], "Protesters per day", "persons per day",
                                           origin=covered_by(sc), country=country),
        }
        if lv.observations:
            _add_observations(figs, sim.dates, whole=lv.scope == "whole", entries=entries, country=country,
                              origin=origin)
        headline = {}
        for m, what in (("left", "left the country"), ("mobilised", "mobilised"),
                        ("quota_fill", "quota fill"), ("days_to_fill", "days to fill the quota"),
                        ("output_loss_pct_end", "output loss at the end, % of GDP"),
                        ("protesters_peak", "protesters on the peak day")):
            if m in case.metrics:
                headline[m] = {"label": what, "value": fmt_metric(m, band(case.metrics[m].to_numpy())[1])}
        scope = sample_scope(pack)[1] if lv.scope == "sample" else SCOPES["whole"].split(" (")[0]
        return {"run_id": self.runs, "scope": scope, "scenario": sc.name, "country": pack.name,
                "wall_seconds": round(wall, 1),
                "headline": headline, "figures": {k: json.loads(pio.to_json(f)) for k, f in figs.items()},
                "policies": [f"{p.type} from {p.start}" for p in sc.policy]}

    def save(self, body: dict) -> dict:
        """Write the last run into the results folder under a new name."""
        import re

        name = body.get("name") if isinstance(body, dict) and set(body) == {"name"} else None
        if not isinstance(name, str) or not re.match(NAME_PATTERN, name) or len(name) > 100:
            raise ExitvoiceError("a run's name is a slug", field="name", given=name,
                                 allowed="lower-case letters, digits, '.', '_' and '-', e.g. closed-crossing")
        if self.last is None:
            raise ExitvoiceError("nothing to save: run first")
        out = self.results / name
        if out.exists() or out.is_symlink():  # the page has no "replace": another name is the way
            raise ExitvoiceError("a saved run of this name exists already in the results folder", field="name",
                                 given=name, allowed="another name (saved runs are never replaced from the "
                                 "dashboard)")
        self.last.write(out, plots=False)
        return {"saved": name, "runs": list(self.saved_runs())}


def entries_shown(sim, pack, n: int) -> list[str]:
    """The `n` destinations entered most in the run.

    Of those the pack's observations give daily entries for (so that the observations can be overlaid), or of all
    when it has none.
    """
    from .charts import totals_by

    observed = set()
    if pack.settings.pack.observations is not None:
        from .observations import pack_observations, read_observations

        obs = read_observations(pack_observations(pack.country))
        observed = set(obs.geography[(obs.quantity == "daily_entries") & obs.geography.str.fullmatch(r"[A-Z]{2}")])
    ranked = totals_by(sim, "daily_entries").geography.tolist()
    return ([g for g in ranked if g in observed] or ranked)[:n]


def _add_observations(figs: dict, dates: pd.DatetimeIndex, whole: bool, entries: list[str], country: str,
                      origin: str) -> None:
    """Overlay the pack's observations on the call-up and entries charts (national figures).

    Only those of the destinations the entries chart shows, one trace per destination in the colour of its line
    (with one run on the chart), so that a point says whose entries it counts.
    """
    import plotly.graph_objects as go

    from .charts import PALETTE
    from .labels import label
    from .observations import pack_observations, read_observations

    obs = read_observations(pack_observations(country))
    obs = obs[(obs.date >= dates[0]) & (obs.date <= dates[-1])]
    where = "" if whole else " (whole country)"
    lines = {t.name for t in figs["entries"].data}
    for key, q, geos in (("quota", "mobilised_cum", [origin]), ("entries", "daily_entries", entries)):
        for i, g in enumerate(geos):
            part = obs[(obs.quantity == q) & (obs.geography == g)]
            if not len(part):
                continue
            years = sorted({d.year for d in part.date})
            when = f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"
            coloured = key == "entries" and label(g, country) in lines  # a line per destination: its colour
            figs[key].add_trace(go.Scatter(
                x=part.date, y=part.value, mode="markers",
                name=f"observed {when}{where}" + (f": {label(g, country)}" if key == "entries" else ""),
                marker=dict(color=PALETTE[i % len(PALETTE)] if coloured else "black", size=9, symbol="diamond",
                            line=dict(color="black", width=1)),
                text=[f"{label(g, country)}: {s}" for s in part.source],
                hovertemplate="%{y:,.0f} observed<br>%{text}<extra></extra>"))


def page() -> bytes:
    """The dashboard page."""
    return (resources.files("exitvoice") / "web" / "dashboard.html").read_bytes()


def make_handler(board: Dashboard):
    """The request handler class bound to one dashboard."""
    from plotly.offline import get_plotlyjs

    plotly_js = get_plotlyjs().encode()

    class Handler(BaseHTTPRequestHandler):
        server_version = "exitvoice"

        def log_message(self, fmt, *args):  # quiet: one line per run instead, from the CLI
            pass

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: dict) -> None:
            self._send(status, json.dumps(payload, default=str).encode(), "application/json")

        def do_GET(self):  # noqa: N802 - the name http.server calls
            if self.path in ("/", "/index.html"):
                self._send(200, page(), "text/html; charset=utf-8")
            elif self.path == "/plotly.js":
                self._send(200, plotly_js, "text/javascript; charset=utf-8")
            elif self.path == "/api/options":
                self._json(200, board.options())
            elif self.path == "/api/progress":
                self._json(200, board.progress)
            elif self.path == "/favicon.ico":
                self._send(204, b"", "image/x-icon")
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self):  # noqa: N802
            text = (self.headers.get("Content-Length") or "0").strip()
            length = int(text) if text.isdigit() else -1  # not a whole number of bytes: refused, never read
            if not 0 <= length <= MAX_BODY or "application/json" not in (self.headers.get("Content-Type") or ""):
                self._json(HTTPStatus.BAD_REQUEST, {"error": f"expected a JSON body of at most {MAX_BODY:,} bytes, "
                                                             "with its Content-Length"})
                return
            try:
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, nested too deeply
                    raise ExitvoiceError("not a JSON object", given=type(exc).__name__,
                                         allowed="a JSON object of levers, e.g. {\"scenario\": \"<name>\", "
                                                 "\"callup_target\": 0, ...}") from None
                if not isinstance(body, dict):
                    raise ExitvoiceError("expected a JSON object")
                if self.path == "/api/run":
                    self._json(200, board.run(body))
                elif self.path == "/api/save":
                    self._json(200, board.save(body))
                else:
                    self._json(404, {"error": "not found"})
            except (ExitvoiceError, json.JSONDecodeError) as exc:
                self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})

    return Handler


def shipped_scenarios() -> Path | None:
    """The scenario files that come with exitvoice, found from the package itself (not the current folder).

    `exitvoice/scenarios/` inside the installed package when it carries them, else the repository's `scenarios/`
    beside `src/` (an install from a clone, as `make venv` does). None if neither holds a scenario file.
    """
    here = Path(__file__).resolve().parent
    for folder in (here / "scenarios", here.parents[1] / "scenarios"):
        if folder.is_dir() and any(folder.glob("*.toml")):
            return folder
    return None


FIRST_SCENARIO = "russia-2022"
"""The scenario the page opens on when the folder has it (the first case's replay); the others follow by name."""


def load_scenarios(folder: Path) -> dict[str, Scenario]:
    """Every scenario file of a folder, by name (a file that does not validate is an error naming it)."""
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not files:
        raise ExitvoiceError("no scenario files", field="--scenarios", given=str(folder),
                             allowed="a folder of scenario TOML files (the repository's scenarios/)")
    out = {}
    for f in files:
        sc = Scenario.from_toml(f)
        out[sc.name] = sc
    return dict(sorted(out.items(), key=lambda kv: (kv[0] != FIRST_SCENARIO, kv[0])))


def serve(results: Path, scenarios: Path | None = None, host: str = "127.0.0.1", port: int = 8050
          ) -> ThreadingHTTPServer:
    """A server for the dashboard (not yet serving: call `serve_forever`).

    `scenarios`: the folder of the scenario files to offer; by default those that come with exitvoice
    (`shipped_scenarios`), wherever the server is started from.
    """
    if scenarios is None:
        scenarios = shipped_scenarios()
        if scenarios is None:
            raise ExitvoiceError("no scenario files come with this installation of exitvoice", field="--scenarios",
                                 allowed="a folder of scenario TOML files (the repository's scenarios/)")
    if not 0 <= port <= 65535:
        raise ExitvoiceError("not a port number", field="--port", given=port, allowed="0 to 65535 (0: any free)")
    if results.exists() and not results.is_dir():
        raise ExitvoiceError("not a folder", field="RESULTS_DIR", given=str(results))
    if not results.exists() and not results.resolve().parent.is_dir():  # a typo: no tree of folders is made for it
        raise ExitvoiceError("neither the results folder nor the folder it would be made in exists",
                             field="RESULTS_DIR", given=str(results),
                             allowed="a folder, or a new one in a folder that exists (made when a run is saved)")
    board = Dashboard(results, load_scenarios(scenarios))
    try:
        server = ThreadingHTTPServer((host, port), make_handler(board))
        server.scenarios_folder = scenarios  # said by `exitvoice serve` when it starts
        return server
    except OSError as exc:
        raise ExitvoiceError(f"cannot listen there: {exc.strerror}", field="--port", given=f"{host}:{port}") from None
