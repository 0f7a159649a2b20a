"""Checking a country pack (docs/packs.md): every file, column, value, reference and declaration.

```python
from exitvoice.packcheck import check_pack
report = check_pack("path/to/pack")      # or the folder of a built-in pack
report.ok                                # True when nothing is wrong
for p in report.problems:                # every problem: file, line, field, given, allowed
    print(p)
```
The checker never stops at the first problem: it reads everything it can and reports all it finds, so one pass
over a new pack lists every fix it needs. `exitvoice pack check DIR` prints the same (exit code 2 if any problem).
The format is declared here (`FILES`, `REQUIRED_PARAMETERS`) and documented in docs/packs.md.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import GIVEN_SHOWN_CHARS, ExitvoiceError
from .limits import MAX_TABLE_FILE_BYTES, check_input_file
from .params import PARAMETER_ALIASES, PRIORS, Parameter

if TYPE_CHECKING:
    from .pack import PackSettings

PARAMETER_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")


@dataclass(frozen=True)
class Column:
    """One column of a pack table: its type, whether it must be there, what its values may be."""

    name: str
    kind: str
    """`id`, `text`, `int`, `number`, `share`, `yes/no`, `true/false`, `parameter`, `date` or `code`."""
    meaning: str
    required: bool = True
    """The column must be present (else it is optional; docs/packs.md says what its absence means)."""
    blank: bool = False
    """Cells may be empty (docs/packs.md says what an empty cell means)."""
    low: float | None = None
    high: float | None = None
    positive: bool = False
    """Above 0 (not 0 itself)."""
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    unique: bool = False
    ref: str | None = None
    """A foreign key: `file.column` whose values this column's (non-empty) values must be among."""
    unit: str = ""


@dataclass(frozen=True)
class FileSpec:
    """One file of the format."""

    name: str
    required: bool
    meaning: str
    columns: tuple[Column, ...]
    sourced: bool = True
    """Every row carries a source: a `source` column, or columns ending in `_source`, with one filled in."""


NUMERIC = ("int", "number", "share")
LAT = {"low": -90.0, "high": 90.0, "unit": "degrees (WGS84)"}
LON = {"low": -180.0, "high": 180.0, "unit": "degrees (WGS84)"}

FILES: dict[str, FileSpec] = {f.name: f for f in (
    FileSpec("regions.csv", True, "the regions of the origin: population, coordinates, income, call-up burden", (
        Column("region_id", "id", "the region's code (`population.regions`, `who.regions`, outputs by region)",
               unique=True, pattern=r"^[A-Za-z0-9_]{1,16}$"),
        Column("name_en", "text", "the region's name in English (reports, maps)"),
        Column("lat", "number", "latitude of the region's administrative centre", **LAT),
        Column("lon", "number", "longitude of the region's administrative centre", **LON),
        Column("pop_total", "int", "population", low=1, unit="persons"),
        Column("urban_share", "share", "share of the population living in towns", unit="share"),
        Column("male_total", "int", "men of all ages", low=0, unit="persons"),
        Column("female_total", "int", "women of all ages", low=0, unit="persons"),
        Column("male_20_49", "int", "men aged 20–49 (when the column is missing: male_total × the national share "
               "of men 20–49 in age_sex.csv)", required=False, low=0, unit="persons"),
        Column("mean_income", "number", "mean income per person and month, in the pack's currency (route "
               "prices are weighed against it)", positive=True, unit="currency per person per month"),
        Column("callup_burden", "number", "relative weight of the region in a call-up with allocation = "
               "\"burden\" (e.g. casualties per 100,000 men); when missing, that allocation is refused",
               required=False, low=0),
    )),
    FileSpec("age_sex.csv", True, "the national population by sex and age group", (
        Column("age_lo", "int", "first age of the group", low=0, high=120, unit="years"),
        Column("age_hi", "int", "last age of the group (inclusive); empty for the open last group", blank=True,
               low=0, high=120, unit="years"),
        Column("male", "number", "men", low=0, unit="persons"),
        Column("female", "number", "women", low=0, unit="persons"),
    )),
    FileSpec("crossings.csv", True, "land crossings and international airports of the origin", (
        Column("crossing_id", "id", "the crossing's id (land: lower case, as in `crossing:<id>` of outputs and "
               "observations; airports: e.g. the IATA code)", unique=True, pattern=r"^[A-Za-z0-9_]{1,40}$"),
        Column("crossing", "text", "display name, origin side first: `<origin side> - <other side>`"),
        Column("destination", "code", "the country across the border (empty for airports)", blank=True,
               ref="destinations.csv.destination"),
        Column("mode", "text", "`land` (any crossing point with a queue: road, rail, foot, river or sea) or `air` "
               "(an airport)", choices=("land", "air")),
        Column("lat", "number", "latitude of the crossing or airport", **LAT),
        Column("lon", "number", "longitude of the crossing or airport", **LON),
        Column("region_id", "id", "the origin-side region it lies in", ref="regions.csv.region_id"),
        Column("open", "true/false", "open at the start of the period (distances to flights run to the nearest "
               "open airport; a closed land crossing should have no route)"),
    )),
    FileSpec("routes.csv", True, "the routes out: one per land crossing, one per destination reached by air", (
        Column("route_id", "id", "`land:<crossing_id>` or `air:<destination>`", unique=True,
               pattern=r"^(land:[a-z0-9_]+|air:[A-Z]{2})$"),
        Column("destination", "code", "where the route leads", ref="destinations.csv.destination"),
        Column("mode", "text", "`land` or `air`", choices=("land", "air")),
        Column("crossing_id", "id", "the land crossing (empty for air)", blank=True, ref="crossings.csv.crossing_id"),
        Column("normal_persons_per_day", "number", "normal two-way traffic; the outbound capacity is half of it "
               "times `routes.surge_factor` (land, when no capacity_param)", blank=True, low=0,
               unit="persons per day"),
        Column("capacity_param", "parameter", "a declared parameter giving the outbound capacity (land)",
               blank=True, unit="persons per day"),
        Column("flights_per_day", "number", "flights a day (air, when no flights_param); seats are "
               "`routes.seats_per_flight` each", blank=True, low=0, unit="flights per day"),
        Column("flights_param", "parameter", "a declared parameter giving the flights a day (air)", blank=True),
    )),
    FileSpec("destinations.csv", True, "the countries people go to, and their entry rules", (
        Column("destination", "code", "ISO 3166-1 alpha-2 code (or a user-assigned one such as AB)", unique=True),
        Column("name", "text", "the country's name in English"),
        Column("needs_foreign_passport", "yes/no", "entry needs a foreign-travel passport"),
        Column("visa_free_days", "number", "longest stay without a visa (empty: no limit)", blank=True, low=1,
               unit="days"),
        Column("access_param", "parameter", "a declared share of people who may use its routes at all (e.g. who "
               "hold a Schengen visa); empty: everyone", blank=True, unit="share"),
        Column("transit", "yes/no", "a transit country (people move on at `abroad.onward_rate_transit`)"),
        Column("onward_entry", "yes/no", "people abroad elsewhere may move on to it"),
        Column("within_callup_reach", "yes/no", "within the reach of the origin's call-up (no refuge from it)"),
        Column("entries_param", "parameter", "the declared parameter of its normal entries a day before the "
               "crisis; empty or missing column: `trips.entries_<code in lower case>`", required=False,
               blank=True, unit="persons per day"),
        Column("weekend_param", "parameter", "a declared parameter: ordinary trips on Saturdays and Sundays, as a "
               "multiple of the weekday rate (entries_param is the weekday level); empty or missing column: no "
               "weekly cycle", required=False, blank=True, unit="ratio"),
    )),
    FileSpec("fares.csv", True, "the normal one-way fare to each destination reached by air", (
        Column("destination", "code", "the destination", unique=True, ref="destinations.csv.destination"),
        Column("fare", "number", "normal one-way economy fare, in the pack's currency", positive=True,
               unit="currency"),
    )),
    FileSpec("economy_sectors.csv", True, "employment by sector for the cost of exit (docs/economy.md)", (
        Column("sector", "id", "the sector's id (`workers_lost/<sector>`)", unique=True,
               pattern=r"^[a-z0-9_]{1,40}$"),
        Column("name", "text", "the sector's name"),
        Column("employed_share", "share", "share of all employed; exactly one row empty (it gets the remainder)",
               blank=True),
        Column("male_share", "share", "share of men among its workers; empty: filled so that the economy's "
               "male share is `economy.male_share_employed`", blank=True),
        Column("wage_ratio", "number", "mean wage relative to the economy's mean; empty: filled to average 1",
               blank=True, low=0.05, high=10),
        Column("graduate_intensive", "int", "1 if graduates work there more than elsewhere "
               "(`economy.graduate_odds`), else 0", choices=("0", "1")),
        Column("remote_param", "parameter", "a declared share of its emigrant workers who keep working remotely"),
        Column("exit_propensity_param", "parameter", "a declared relative exit hazard of its workers; empty: 1",
               blank=True),
    ), sourced=False),
    FileSpec("illegal_routes.csv", False, "crossings outside the official points (model §8): used only by people "
             "whom the official routes are closed to", (
        Column("route_id", "id", "`illegal:<id>`; the id names it in outputs (`crossing:<id>`)", unique=True,
               pattern=r"^illegal:[a-z0-9_]{1,40}$"),
        Column("border", "text", "the stretch of border crossed, origin side first (display name)"),
        Column("destination", "code", "the country across", ref="destinations.csv.destination"),
        Column("lat", "number", "latitude of a point where people cross (distances from every region)", **LAT),
        Column("lon", "number", "longitude of a point where people cross", **LON),
        Column("region_id", "id", "the origin-side region it lies in", ref="regions.csv.region_id"),
        Column("capture_param", "parameter", "a declared share: the probability that a person crossing here on a "
               "given day is caught"),
        Column("cost", "number", "what a crossing costs a person (smugglers, guides, bribes), in the pack's "
               "currency; empty when cost_param is given", blank=True, low=0, unit="currency"),
        Column("cost_param", "parameter", "a declared parameter giving the cost instead of `cost`", required=False,
               blank=True),
        Column("capacity_param", "parameter", "a declared parameter giving the persons a day it can take of those "
               "who try (the others are turned away: no queue); empty: no limit", blank=True),
        Column("summons_param", "parameter", "a declared share of the caught people of call-up age served a summons "
               "on the spot while a call-up is open; missing or empty: none", required=False, blank=True),
    )),
    FileSpec("crossing_groups.csv", False, "crossings a source reports together (observations name the group)", (
        Column("group", "id", "the group's name (`crossing:<group>` in observation files)",
               pattern=r"^[a-z0-9_]{1,60}$"),
        Column("crossing_id", "id", "a land crossing in the group", ref="crossings.csv.crossing_id"),
    )),
)}

EVENT_COLUMNS = (
    Column("date", "date", "the day it happened"),
    Column("event", "text", "a short id of the event"),
    Column("geography", "text", "who or where (codes, `;`-separated)", blank=True),
    Column("detail", "text", "what happened, in words", blank=True),
)

REQUIRED_PARAMETERS: dict[str, tuple[str, ...]] = {
    "population": ("total", "tertiary_share_25_34", "tertiary_share_20_24", "tertiary_decline_per_decade",
                   "tertiary_female_ratio", "passport_share_adults", "passport_share_35_44",
                   "passport_capitals_share", "passport_beta_urban", "passport_share_children", "opposed_share",
                   "opposed_logodds_per_decade"),
    "callup": ("deferral_share_tertiary", "summons_per_recruit", "report_days", "hide_rate", "hide_rate_home",
               "unhide_rate", "find_rate_hiding", "capacity_per_day", "profile_half_life_days", "burden_exponent"),
    "risk": ("alpha_local", "alpha_national", "horizon_days", "announcement_weight", "announcement_half_life_days",
             "half_life_days", "alpha_conscription"),
    "exit": ("lambda_base", "beta_risk", "beta_summoned", "beta_closure", "beta_peer", "mu_access",
             "beta_age_per_decade", "beta_female", "beta_tertiary", "beta_passport", "beta_urban", "beta_opposed",
             "frailty_variance", "reach_penalty", "stay_weight", "stay_horizon_days", "closure_signal",
             "closure_half_life_days", "closure_exposure_other", "min_age"),
    "passport": ("lambda0", "beta_risk", "processing_days", "capacity_per_day"),
    "family": ("ratio", "lag_days"),
    "routes": ("gamma_dist", "gamma_price", "gamma_wait", "gamma_diaspora", "diaspora_scale", "nest_scale",
               "balk_rate", "surge_factor", "seats_per_flight", "price_kappa", "price_threshold", "price_smoothing",
               "booking_carry", "price_cap_factor", "persons_per_vehicle", "non_tourist_share", "asc_land",
               "asc_air", "drive_km_per_day"),
    "trips": ("trip_days", "callup_age_factor"),
    "abroad": ("return_rate", "beta_return_risk", "onward_rate_transit", "onward_rate_other", "visa_run_share"),
    "rumour": ("general_risk",),
    "social": ("value_passport", "value_tertiary"),
    "economy": ("gdp", "employed_total", "male_share_employed", "unemployed", "emp_rel_18_19",
                "emp_rel_20_24", "emp_rel_55_59", "emp_rel_60_64", "emp_rel_65_plus", "emp_tertiary_ratio",
                "graduate_odds", "tertiary_wage_ratio", "labour_elasticity", "hiding_absence",
                "unemployed_fill_share"),
    "voice": ("threshold_mean", "threshold_sd", "shock_announcement", "shock_half_life", "shock_summons",
              "detention_rate", "deterrence"),
}
"""Parameters the model reads by name, so every pack declares them (docs/packs.md lists them with their sections).
A pack declares more: those its tables and its `[callup]` table name (capacities, flights, access shares, normal
entries, remote work, the call-up's ages, weights and shares who served) and those its scenarios name
(`events2022.*`)."""

ILLEGAL_ROUTE_PARAMETERS = ("routes.illegal_through_smoothing",)
"""Parameters the model reads by name only for a pack with illegal routes (illegal_routes.csv), which declares them."""

DECLARATION_KEYS = ("default", "unit", "range", "prior", "meaning", "source")
DECLARATION_OPTIONAL = ("positive", "domain")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack: where (file, line, field), what was given, what is allowed."""

    file: str
    message: str
    line: int | None = None
    field: str | None = None
    given: object = None
    allowed: object = None

    def __str__(self) -> str:
        where = self.file + (f", line {self.line}" if self.line is not None else "")
        if self.field:
            where += f", field '{self.field}'"
        text = f"{where}: {self.message}"
        if self.given is not None:
            given = repr(self.given)
            text += f" (given: {given[:GIVEN_SHOWN_CHARS]}{'…' if len(given) > GIVEN_SHOWN_CHARS else ''})"
        if self.allowed is not None:
            text += f"; allowed: {self.allowed}"
        return text


@dataclass
class PackReport:
    """What `check_pack` found: every problem, and counts of what the pack holds."""

    path: Path
    problems: list[Problem] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems

    def summary_line(self) -> str:
        """One line: what the pack holds."""
        s = self.summary
        parts = [f"{s.get('name', '?')} ({s.get('code', '?')}, {s.get('currency', '?')})"]
        for key, what in (("regions", "regions"), ("age_bands", "age bands"), ("destinations", "destinations"),
                          ("land_routes", "land routes"), ("air_routes", "air routes"),
                          ("illegal_routes", "illegal routes"),
                          ("parameters", "parameters"), ("observations", "observations"), ("events", "events"),
                          ("posterior_sets", "posterior sets")):
            if key in s:
                parts.append(f"{s[key]:,} {what}")
        return ", ".join(parts)


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.report = PackReport(path)
        self.tables: dict[str, pd.DataFrame] = {}
        self.declared: dict[str, dict] | None = {}  # None: parameters.toml is missing or unreadable
        self.settings: PackSettings | None = None

    def add(self, file: str, message: str, **kw) -> None:
        self.report.problems.append(Problem(file, message, **kw))

    # -- files ------------------------------------------------------------------------------------------------
    def run(self) -> PackReport:
        if not self.path.is_dir():
            self.add(str(self.path), "no such pack folder", allowed="a folder holding pack.toml, regions.csv, … "
                     "(docs/packs.md)")
            return self.report
        self.check_settings()
        self.check_parameters()
        self.check_callup()
        self.check_age_rules()
        for spec in FILES.values():
            self.read_table(spec)
        self.check_refs()
        self.check_regions()
        self.check_age_sex()
        self.check_crossings_and_routes()
        self.check_illegal_routes()
        self.check_destinations()
        self.check_economy()
        self.check_groups()
        self.check_observations()
        self.check_events()
        self.check_calibration()
        return self.report

    def check_settings(self) -> None:
        import tomllib

        from .pack import SETTINGS_FILE, read_settings, validate_settings

        try:
            self.settings = read_settings(self.path)
        except ExitvoiceError as exc:
            errors = [exc]
            try:  # a readable TOML file: every field that is wrong, not only the first
                raw = tomllib.loads((self.path / SETTINGS_FILE).read_bytes().decode("utf-8-sig"))
                errors = validate_settings(raw, self.path / SETTINGS_FILE)[1] or errors
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                pass
            for e in errors:
                self.add(SETTINGS_FILE, e.message, field=e.field, given=e.given, allowed=e.allowed)
            return
        s = self.settings
        self.report.summary.update(name=s.pack.name, code=s.pack.code, currency=s.pack.currency,
                                   age_bands=len(s.population.age_bands))
        for key in ("observations", "events"):
            name = getattr(s.pack, key)
            if name is not None and not (self.path / name).is_file():
                self.add(SETTINGS_FILE, "names a file the pack does not have", field=f"pack.{key}", given=name,
                         allowed="a CSV file in the pack's folder")

    def check_callup(self) -> None:
        """The `[callup]` table of pack.toml.

        The parameters it names are declared and hold what the field takes; ages are in order; the eligibility
        classes have distinct names; the draft names a sex the law reaches.
        """
        from .pack import SETTINGS_FILE

        if self.settings is None:
            return
        law = self.settings.callup
        if law.men is None and law.women is None:
            self.add(SETTINGS_FILE, "the call-up reaches no one", field="callup",
                     allowed="[callup] men = { ages = [18, 27] } and/or women = { … } (docs/packs.md)")
        for where, name in law.parameter_names():
            if self.declared is None:
                break
            decl = self.declared.get(name)
            if decl is None:
                self.add(SETTINGS_FILE, "names a parameter parameters.toml does not declare", field=where,
                         given=name, allowed="a parameter declared in parameters.toml")
            elif where.endswith((".weight", ".share")):
                rng = decl.get("range") if isinstance(decl, dict) else None
                if (isinstance(rng, list) and len(rng) == 2 and all(_finite(v) for v in rng)
                        and not 0 <= rng[0] <= rng[1] <= 1):
                    self.add(SETTINGS_FILE, "names a parameter whose range is not a share", field=where,
                             given=f"{name} in {rng}", allowed="a parameter whose range lies in [0, 1]")
        ranges = [(f"callup.{sex}.ages", getattr(law, sex).ages) for sex in law.sexes()]
        ranges += [(f"callup.classes[{i}]", [c.age_min, c.age_max]) for i, c in enumerate(law.classes)]
        ranges += [(f"callup.served[{i}]", [r.age_min, r.age_max]) for i, r in enumerate(law.served)]
        if law.draft is not None and law.draft.ages is not None:
            ranges.append(("callup.draft.ages", law.draft.ages))
        for where, (lo, hi) in ranges:
            if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
                self.add(SETTINGS_FILE, "the last age is below the first", field=where, given=[lo, hi],
                         allowed="first ≤ last")
        names = [c.name for c in law.classes]
        for name in sorted({n for n in names if names.count(n) > 1}):
            self.add(SETTINGS_FILE, "two eligibility classes have the same name", field="callup.classes",
                     given=name, allowed="distinct names (a mobilisation's `eligible` table names them)")
        if law.draft is not None:
            if len(set(law.draft.sexes)) < len(law.draft.sexes):
                self.add(SETTINGS_FILE, "a sex named twice", field="callup.draft.sexes", given=law.draft.sexes)
            outside = [s for s in law.draft.sexes if s not in law.sexes()]
            if outside and law.draft.ages is None:
                self.add(SETTINGS_FILE, "the draft takes a sex the law does not reach, without ages of its own",
                         field="callup.draft.sexes", given=outside,
                         allowed=f"sexes of the law {law.sexes()}, or draft.ages")

    def check_age_rules(self) -> None:
        """The ages of the population's and the economy's rules (pack.toml `[population]`, `[economy]`).

        Each age at which a rule changes starts an age band (so no band straddles it), some band starts within
        `population.passport_peak_ages`, and the employment rates name declared parameters.
        """
        from .pack import SETTINGS_FILE

        if self.settings is None:
            return
        s = self.settings
        starts = {lo for lo, _ in s.bands}
        missing: dict[int, list[str]] = {}
        for where, age in s.age_rules():
            if age not in starts:
                missing.setdefault(age, []).append(where)
        if missing:
            ages = sorted(missing)
            why = "; ".join(f"{a} ({', '.join(dict.fromkeys(missing[a]))})" for a in ages)
            self.add(SETTINGS_FILE, f"no band starts at age(s) {ages}: the rules of the population and the economy "
                     f"change there: {why}", field="population.age_bands", given=s.population.age_bands,
                     allowed="bands that start at each age the [population] and [economy] rules name, or rules "
                             "at the ages the bands start (docs/packs.md)")
        lo, hi = s.population.passport_peak_ages
        if not any(lo <= b <= hi for b in starts):
            self.add(SETTINGS_FILE, "no age band starts within these ages", field="population.passport_peak_ages",
                     given=[lo, hi], allowed=f"ages within which a band starts (bands start at {sorted(starts)})")
        for where, name in s.economy_names():
            if self.declared is not None and name not in self.declared:
                self.add(SETTINGS_FILE, "names a parameter parameters.toml does not declare", field=where,
                         given=name, allowed="a parameter declared in parameters.toml")

    def read_csv(self, name: str) -> pd.DataFrame | None:
        try:
            check_input_file(self.path / name, MAX_TABLE_FILE_BYTES, "pack table")
            df = pd.read_csv(self.path / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except pd.errors.EmptyDataError:
            self.add(name, "the file is empty")
            return None
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
            self.add(name, f"not a readable CSV file: {exc}")
            return None
        except ExitvoiceError as exc:
            self.add(name, exc.message, allowed=exc.allowed)
            return None
        dup = sorted({c for c in df.columns if str(c).endswith(".1")})
        if dup:
            self.add(name, "columns named twice", given=[c[:-2] for c in dup])
        return df

    def read_table(self, spec: FileSpec) -> None:
        if not (self.path / spec.name).is_file():
            if spec.required:
                self.add(spec.name, "a required file is missing", allowed=f"{spec.meaning} (docs/packs.md)")
            return
        df = self.read_csv(spec.name)
        if df is None:
            return
        self.check_columns(spec.name, df, spec.columns, sourced=spec.sourced)
        self.tables[spec.name] = df

    def check_columns(self, name: str, df: pd.DataFrame, columns: Iterable[Column], *, sourced: bool) -> None:
        columns = list(columns)
        missing = [c.name for c in columns if c.required and c.name not in df.columns]
        if missing:
            self.add(name, f"missing columns (missing: {missing})", given=list(df.columns),
                     allowed=f"columns {[c.name for c in columns if c.required]} at least (docs/packs.md)")
        if df.empty:
            self.add(name, "no rows (only a header)", allowed="at least one row")
        for col in columns:
            if col.name in df.columns:
                self.check_values(name, df, col)
        if sourced:
            src = [c for c in df.columns if c == "source" or str(c).endswith("_source")]
            if not src:
                self.add(name, "no source column", allowed="a `source` column (or columns ending in `_source`): "
                         "every row says where its figures come from")
            else:
                filled = np.zeros(len(df), dtype=bool)
                for c in src:
                    filled |= df[c].astype(str).str.strip().ne("").to_numpy()
                for i in df.index[~filled]:
                    self.add(name, "a row without a source", line=int(i) + 2, field=src[0], given="",
                             allowed="the URL or reference its figures come from")

    def check_values(self, name: str, df: pd.DataFrame, col: Column) -> None:
        seen: dict[str, int] = {}
        for i, text in zip(df.index, df[col.name], strict=True):
            line = int(i) + 2  # line 1 is the header
            value = str(text).strip()
            if not value:
                if not col.blank:
                    self.add(name, "an empty cell", line=line, field=col.name, given="",
                             allowed=f"{col.meaning} ({_kind_text(col)})")
                continue
            problem = _value_problem(value, col)
            if problem:
                self.add(name, problem, line=line, field=col.name, given=value, allowed=_kind_text(col))
                continue
            if col.unique:
                if value in seen:
                    self.add(name, f"a duplicate (also on line {seen[value]})", line=line, field=col.name,
                             given=value, allowed="each value once")
                seen.setdefault(value, line)
            if col.kind == "parameter" and self.declared is not None and value not in self.declared:
                self.add(name, "names a parameter parameters.toml does not declare", line=line, field=col.name,
                         given=value, allowed="a parameter declared in parameters.toml")

    def column(self, file: str, name: str) -> pd.Series | None:
        df = self.tables.get(file)
        if df is None or name not in df.columns:
            return None
        return df[name].astype(str).str.strip()

    def values(self, file: str, name: str) -> set[str]:
        """The non-empty values of a column (empty when the file or the column is missing)."""
        col = self.column(file, name)
        return set() if col is None else set(col[col != ""])

    def check_refs(self) -> None:
        """Every foreign key of `FILES`: a value must be among the values of the column it refers to."""
        for spec in FILES.values():
            for col in spec.columns:
                if col.ref is None:
                    continue
                target_file, target_col = col.ref.rsplit(".", 1)
                values = self.column(spec.name, col.name)
                if values is None or self.column(target_file, target_col) is None:
                    continue
                known = self.values(target_file, target_col)
                for i, v in values.items():
                    if v and v not in known:
                        self.add(spec.name, f"names a {target_col} that {target_file} does not have",
                                 line=int(i) + 2, field=col.name, given=v, allowed=_few(sorted(known)))

    # -- cross-file rules -------------------------------------------------------------------------------------
    def check_regions(self) -> None:
        df = self.tables.get("regions.csv")
        if df is None:
            return
        self.report.summary["regions"] = len(df)
        nums = {c: pd.to_numeric(df[c], errors="coerce") for c in ("pop_total", "male_total", "female_total",
                                                                   "male_20_49") if c in df.columns}
        if {"pop_total", "male_total", "female_total"} <= set(nums):
            gap = (nums["male_total"] + nums["female_total"] - nums["pop_total"]).abs()
            for i in df.index[gap > 0.001 * nums["pop_total"] + 1]:
                self.add("regions.csv", "men and women do not add up to the population", line=int(i) + 2,
                         field="male_total", given=f"{df.male_total[i]} + {df.female_total[i]}",
                         allowed=f"pop_total ({df.pop_total[i]}) within 0.1%")
        if {"male_20_49", "male_total"} <= set(nums):
            for i in df.index[nums["male_20_49"] > nums["male_total"]]:
                self.add("regions.csv", "more men of 20–49 than men", line=int(i) + 2, field="male_20_49",
                         given=df.male_20_49[i], allowed=f"<= male_total ({df.male_total[i]})")
        if self.settings is not None:
            ids = self.values("regions.csv", "region_id")
            for cap in self.settings.population.capitals:
                if cap not in ids:
                    self.add("pack.toml", "a capital that regions.csv does not have", field="population.capitals",
                             given=cap, allowed=_few(sorted(ids)))
            for reg in self.settings.population.sample_regions:
                if reg not in ids:
                    self.add("pack.toml", "a sample region that regions.csv does not have",
                             field="population.sample_regions", given=reg, allowed=_few(sorted(ids)))

    def check_age_sex(self) -> None:
        df = self.tables.get("age_sex.csv")
        if df is None or not {"age_lo", "age_hi", "male", "female"} <= set(df.columns):
            return
        given_hi = df.age_hi.str.strip() != ""
        lo = pd.to_numeric(df.age_lo, errors="coerce")
        hi = pd.to_numeric(df.age_hi.where(given_hi), errors="coerce")
        if lo.isna().any() or (given_hi & hi.isna()).any():
            return  # bad values, reported already
        order = list(lo.sort_values(kind="stable").index)
        expected = 0
        for k, i in enumerate(order):
            line = int(i) + 2
            if lo[i] != expected:
                self.add("age_sex.csv", "age groups must follow each other from 0 without gaps or overlaps",
                         line=line, field="age_lo", given=df.age_lo[i], allowed=str(int(expected)))
            if pd.isna(hi[i]):
                if k != len(order) - 1:
                    self.add("age_sex.csv", "only the oldest group may be open (empty age_hi)", line=line,
                             field="age_hi", given="", allowed=f"the group's last age (>= {df.age_lo[i]})")
                expected = lo[i] + 5
                continue
            if hi[i] < lo[i]:
                self.add("age_sex.csv", "the group ends before it starts", line=line, field="age_hi",
                         given=df.age_hi[i], allowed=f">= {df.age_lo[i]}")
            expected = hi[i] + 1
        last = order[-1]
        if not pd.isna(hi[last]):
            self.add("age_sex.csv", "the oldest group must be open (empty age_hi)", line=int(last) + 2,
                     field="age_hi", given=df.age_hi[last], allowed="empty (e.g. 85+)")
            return
        if self.settings is None:
            return
        if self.settings.bands[-1][0] > lo[last]:
            self.add("pack.toml", "the open age band starts after the open age group of age_sex.csv: the ages "
                     "between would have no band", field="population.age_bands",
                     given=self.settings.population.age_bands[-1],
                     allowed=f"a last band starting at {int(lo[last])} or younger")
            return
        # people per band, each group spread evenly over its years (its first 5 for the open group)
        people = (pd.to_numeric(df.male, errors="coerce").fillna(0)
                  + pd.to_numeric(df.female, errors="coerce").fillna(0)).to_numpy(float)
        glo, ghi = lo.to_numpy(float), hi.fillna(lo + 4).to_numpy(float)
        for label, (blo, bhi) in zip(self.settings.population.age_bands, self.settings.bands, strict=True):
            bhi = 200 if bhi is None else bhi
            overlap = np.clip(np.minimum(ghi, bhi) - np.maximum(glo, blo) + 1, 0, None)
            if float((people * overlap / (ghi - glo + 1)).sum()) <= 0:
                self.add("pack.toml", "an age band with no people in age_sex.csv", field="population.age_bands",
                         given=label, allowed="bands over ages that age_sex.csv populates")

    def check_crossings_and_routes(self) -> None:
        cr, ro = self.tables.get("crossings.csv"), self.tables.get("routes.csv")
        if cr is not None and {"crossing_id", "mode", "destination"} <= set(cr.columns):
            for i, r in zip(cr.index, cr.itertuples(index=False), strict=True):
                if r.mode == "land":
                    if not re.match(r"^[a-z0-9_]+$", r.crossing_id):
                        self.add("crossings.csv", "a land crossing's id must be lower case (observation files name "
                                 "it as crossing:<id>)", line=int(i) + 2, field="crossing_id", given=r.crossing_id,
                                 allowed="lower-case letters, digits and _")
                    if not r.destination.strip():
                        self.add("crossings.csv", "a land crossing without the country across", line=int(i) + 2,
                                 field="destination", given="", allowed="a destination code")
        if ro is None or not {"route_id", "destination", "mode", "crossing_id"} <= set(ro.columns):
            return
        crossings: dict[str, dict] = {}
        if cr is not None and {"crossing_id", "mode", "destination"} <= set(cr.columns):
            for c in cr.to_dict("records"):
                crossings.setdefault(c["crossing_id"], c)  # a duplicate id is reported already
        fares = self.values("fares.csv", "destination")
        land = air = 0
        for i, r in zip(ro.index, ro.to_dict("records"), strict=True):
            line = int(i) + 2
            rid, cid, dest = r["route_id"], r["crossing_id"], r["destination"]

            def given(key: str, r=r) -> bool:
                return bool(str(r.get(key, "")).strip())

            if r["mode"] == "land":
                land += 1
                if rid != f"land:{cid}":
                    self.add("routes.csv", "a land route's id is land:<its crossing_id>", line=line, field="route_id",
                             given=rid, allowed=f"land:{cid or '<crossing_id>'}")
                if cid in crossings:
                    c = crossings[cid]
                    if c.get("mode") != "land":
                        self.add("routes.csv", "a land route through an airport", line=line, field="crossing_id",
                                 given=cid, allowed="a crossing whose mode is land")
                    elif c.get("destination") != dest:
                        self.add("routes.csv", "the route and its crossing lead to different destinations",
                                 line=line, field="destination", given=dest,
                                 allowed=f"{c.get('destination')} (crossings.csv)")
                if not given("capacity_param") and not given("normal_persons_per_day"):
                    self.add("routes.csv", "a land route without a capacity", line=line, field="capacity_param",
                             given="", allowed="a declared parameter, or normal_persons_per_day")
            elif r["mode"] == "air":
                air += 1
                if rid != f"air:{dest}":
                    self.add("routes.csv", "an air route's id is air:<its destination>", line=line, field="route_id",
                             given=rid, allowed=f"air:{dest}")
                if str(cid).strip():
                    self.add("routes.csv", "an air route names a crossing (flights leave from the nearest open "
                             "airport)", line=line, field="crossing_id", given=cid, allowed="empty")
                if not given("flights_param") and not given("flights_per_day"):
                    self.add("routes.csv", "an air route without flights", line=line, field="flights_param",
                             given="", allowed="a declared parameter, or flights_per_day")
                if "fares.csv" in self.tables and dest not in fares:
                    self.add("fares.csv", "no fare for a destination reached by air", field="destination",
                             given=dest, allowed="a row with the normal one-way fare")
        self.report.summary.update(land_routes=land, air_routes=air)
        if air and cr is not None and {"mode", "open"} <= set(cr.columns):
            if not ((cr["mode"] == "air") & (cr["open"].str.lower() == "true")).any():
                self.add("crossings.csv", "air routes but no open airport", field="open",
                         allowed="at least one row with mode air and open true")

    def check_illegal_routes(self) -> None:
        """Illegal routes: a cost, ids apart from the official crossings', shares where shares are meant.

        A pack with illegal routes declares the parameters the model reads for them (`ILLEGAL_ROUTE_PARAMETERS`).
        """
        df = self.tables.get("illegal_routes.csv")
        if df is None or "route_id" not in df.columns:
            return
        self.report.summary["illegal_routes"] = len(df)
        if self.declared is not None and len(df):
            for full in ILLEGAL_ROUTE_PARAMETERS:
                if full not in self.declared:
                    self.add("parameters.toml", "a parameter the model reads for illegal routes is not declared "
                             "(the pack has illegal_routes.csv)", field=full,
                             allowed=f"a declaration [{full}] (docs/packs.md lists them)")
        official = self.values("crossings.csv", "crossing_id")
        for i, r in zip(df.index, df.to_dict("records"), strict=True):
            line = int(i) + 2
            rid = str(r.get("route_id", "")).strip()
            if rid.startswith("illegal:") and rid.split(":", 1)[1] in official:
                self.add("illegal_routes.csv", "its id is also an official crossing's (outputs name both "
                         "crossing:<id>)", line=line, field="route_id", given=rid,
                         allowed="an id that crossings.csv does not use")
            if not str(r.get("cost", "")).strip() and not str(r.get("cost_param", "")).strip():
                self.add("illegal_routes.csv", "an illegal route without a cost", line=line, field="cost", given="",
                         allowed="a cost in the pack's currency, or a declared parameter in cost_param")
            for key in ("capture_param", "summons_param"):
                name = str(r.get(key, "")).strip()
                spec = (self.declared or {}).get(name)
                if name and isinstance(spec, dict) and isinstance(spec.get("range"), list) and all(
                        _finite(v) for v in spec["range"]) and not 0 <= min(spec["range"]) <= max(
                        spec["range"]) <= 1:
                    self.add("illegal_routes.csv", "names a parameter that is not a share", line=line, field=key,
                             given=f"{name} (range {spec['range']})", allowed="a parameter whose range lies in [0, 1]")

    def check_destinations(self) -> None:
        df = self.tables.get("destinations.csv")
        if df is None or "destination" not in df.columns:
            return
        self.report.summary["destinations"] = len(df)
        code = self.settings.pack.code if self.settings is not None else None
        routed = self.values("routes.csv", "destination")
        for i, d in df.destination.items():
            line = int(i) + 2
            if code and d == code:
                self.add("destinations.csv", "the origin itself as a destination", line=line, field="destination",
                         given=d, allowed=f"any code but the pack's own ({code})")
            if "routes.csv" in self.tables and d and d not in routed:
                self.add("destinations.csv", "a destination no route leads to", line=line, field="destination",
                         given=d, allowed="a destination of routes.csv")
            param = str(df.at[i, "entries_param"]).strip() if "entries_param" in df.columns else ""
            if not param and d:
                name = f"trips.entries_{d.lower()}"
                if self.declared is not None and name not in self.declared:
                    self.add("destinations.csv", f"no normal entries declared for this destination ({name})",
                             line=line, field="entries_param", given="",
                             allowed=f"declare {name} in parameters.toml, or name a parameter in entries_param")

    def check_economy(self) -> None:
        df = self.tables.get("economy_sectors.csv")
        if df is None or "employed_share" not in df.columns:
            return
        blank = df.employed_share.str.strip() == ""
        if blank.sum() != 1:
            self.add("economy_sectors.csv", "exactly one sector must have an empty employed_share (it gets the "
                     "remainder)", field="employed_share", given=f"{int(blank.sum())} empty", allowed="1 empty")
        total = pd.to_numeric(df.employed_share[~blank], errors="coerce").sum()
        if not total < 1:
            self.add("economy_sectors.csv", "the sectors' shares leave nothing for the remainder",
                     field="employed_share", given=round(float(total), 4), allowed="a sum below 1")

    def check_groups(self) -> None:
        df = self.tables.get("crossing_groups.csv")
        if df is None or not {"group", "crossing_id"} <= set(df.columns):
            return
        crossings = self.values("crossings.csv", "crossing_id")
        for i, g in df.group.items():
            if g in crossings:
                self.add("crossing_groups.csv", "a group named like a crossing", line=int(i) + 2, field="group",
                         given=g, allowed="a name no crossing has")

    def check_observations(self) -> None:
        from .observations import read_rows

        if self.settings is None or self.settings.pack.observations is None:
            return
        name = self.settings.pack.observations
        file = self.path / name
        if not file.is_file():
            return
        try:
            rows, problems = read_rows(file)
        except ExitvoiceError as exc:
            rows, problems = [], [exc]
        for p in problems:
            line = None
            m = re.search(r", line (\d+)$", str(p.file or ""))
            if m:
                line = int(m.group(1))
            self.add(name, p.message, line=line, field=p.field, given=p.given, allowed=p.allowed)
        if problems:
            return
        obs = pd.DataFrame(rows)
        self.report.summary["observations"] = len(obs)
        known = {self.settings.pack.code} | self.values("destinations.csv", "destination")
        crossings = self.values("crossings.csv", "crossing_id") | self.values("crossing_groups.csv", "group")
        crossings |= {r.split(":", 1)[1] for r in self.values("illegal_routes.csv", "route_id") if ":" in r}
        for r in obs.itertuples():
            g = r.geography
            ok = g[len("crossing:"):] in crossings if g.startswith("crossing:") else g in known
            if not ok:
                self.add(name, "a geography the pack does not have", line=r.line, field="geography", given=g,
                         allowed=f"the pack's code ({self.settings.pack.code}), a destination of destinations.csv, "
                                 "or crossing:<a crossing or group>")

    def check_events(self) -> None:
        if self.settings is None or self.settings.pack.events is None:
            return
        name = self.settings.pack.events
        if not (self.path / name).is_file():
            return
        df = self.read_csv(name)
        if df is None:
            return
        self.check_columns(name, df, EVENT_COLUMNS, sourced=True)
        self.report.summary["events"] = len(df)

    def check_calibration(self) -> None:
        """The posterior a pack ships (`[calibration] posterior` of pack.toml; docs/packs.md).

        One row per parameter set; every column but `set_id` and `weight` a declared parameter that can be fitted
        (its prior not `fixed`, its range not a point), each value a finite number within its declared range; at
        least one row; `set_id`, if given, distinct whole numbers from 0; `weight`, if given, finite numbers not
        below 0 that sum to more than 0.
        """
        from .pack import SETTINGS_FILE

        cal = self.settings.calibration if self.settings is not None else None
        if cal is None:
            return
        name, file = cal.posterior, self.path / cal.posterior
        if not file.is_file():
            self.add(SETTINGS_FILE, "names a file the pack does not have", field="calibration.posterior",
                     given=name, allowed="a Parquet or CSV file in the pack's folder (the posterior the pack ships)")
            return
        try:
            check_input_file(file, MAX_TABLE_FILE_BYTES, "posterior file")
            df = (pd.read_parquet(file) if name.endswith(".parquet")
                  else pd.read_csv(file, encoding="utf-8-sig"))
        except ExitvoiceError as exc:
            self.add(name, exc.message, allowed=exc.allowed)
            return
        except Exception as exc:  # noqa: BLE001 - pyarrow's and pandas' errors for a file that is not a table
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            kind = "Parquet" if name.endswith(".parquet") else "CSV"
            self.add(name, f"not a readable {kind} file: {first}",
                     allowed="the posterior.parquet of `exitvoice calibrate --method abc-smc`, copied by "
                             "scripts/ship_posterior.py")
            return
        where = "line" if name.endswith(".csv") else "row"
        first_row = 2 if where == "line" else 1  # a CSV's header is line 1; Parquet rows count from 1

        def at(i: int) -> str:
            return f"{where} {int(i) + first_row}"

        columns = [str(c) for c in df.columns]
        twice = sorted({c for c in columns if columns.count(c) > 1 or (where == "line" and c.endswith(".1"))})
        if twice:
            self.add(name, "columns named twice", given=twice, allowed="one column per parameter")
        params = [c for c in columns if c not in POSTERIOR_OTHER_COLUMNS]
        if not params:
            self.add(name, "no parameter column", given=columns,
                     allowed="one column per fitted parameter (e.g. exit.beta_risk), optional set_id and weight")
        if df.empty:
            self.add(name, "no rows", allowed="at least one parameter set")
            return
        self.report.summary["posterior_sets"] = len(df)
        for c in params:
            decl = self.declared.get(c) if self.declared is not None else None
            if decl is None:
                if self.declared is not None:
                    self.add(name, "a column that is not a declared parameter", field=c,
                             allowed="parameters declared in parameters.toml, set_id, weight")
                continue
            rng = decl.get("range") if isinstance(decl, dict) else None
            if not (isinstance(rng, list) and len(rng) == 2 and all(_finite(v) for v in rng)):
                continue  # the declaration's own problem is reported by check_parameters
            if decl.get("prior") == "fixed" or rng[0] == rng[1]:
                self.add(name, "a parameter that cannot be fitted", field=c,
                         given=f"prior {decl.get('prior')!r}, range {rng}",
                         allowed="parameters whose prior is uniform or loguniform over a range wider than a point")
                continue
            x = pd.to_numeric(df[c], errors="coerce") if df[c].dtype != bool else pd.Series(np.nan, index=df.index)
            bad = ~np.isfinite(x.to_numpy(dtype=float))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                self.add(name, f"not a finite number in {int(bad.sum())} of {len(df)} rows (first: {at(i)})",
                         field=c, given=df[c].iloc[i], allowed="a number")
                continue
            out = (x < rng[0]) | (x > rng[1])
            if out.any():
                i = int(np.flatnonzero(out.to_numpy())[0])
                self.add(name, f"outside the parameter's declared range in {int(out.sum())} of {len(df)} rows "
                         f"(first: {at(i)})", field=c, given=float(x.iloc[i]),
                         allowed=f"[{rng[0]:g}, {rng[1]:g}] {decl.get('unit', '')}".rstrip())
        if "set_id" in df.columns:
            ids = pd.to_numeric(df["set_id"], errors="coerce")
            if (ids.isna().any() or (ids != ids.round()).any() or (ids < 0).any()
                    or ids.duplicated().any()):
                self.add(name, "set_id must be distinct whole numbers from 0", field="set_id",
                         given=df["set_id"].head(5).tolist())
        if "weight" in df.columns:
            problem = weight_problem(df["weight"])
            if problem:
                self.add(name, problem, field="weight", given=df["weight"].head(5).tolist(),
                         allowed="numbers ≥ 0 summing to more than 0 (or no weight column: equal weights)")

    # -- parameters.toml --------------------------------------------------------------------------------------
    def check_parameters(self) -> None:
        name = "parameters.toml"
        file = self.path / name
        if not file.is_file():
            self.add(name, "a required file is missing", allowed="the declarations of the pack's parameters")
            self.declared = None
            return
        try:
            raw = tomllib.loads(file.read_bytes().decode("utf-8-sig"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            self.add(name, f"not a readable TOML file: {exc}")
            self.declared = None
            return
        for group, table in raw.items():
            if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
                self.add(name, "not a group of declarations", field=group,
                         allowed="[group.name] tables with default, unit, range, prior, meaning, source")
                continue
            for key, spec in table.items():
                full = f"{group}.{key}"
                if not PARAMETER_NAME.match(full):
                    self.add(name, "not a parameter name", field=full, allowed="group.name in lower case")
                self.declared[full] = spec
                self.check_declaration(name, full, spec)
        self.report.summary["parameters"] = len(self.declared)
        for group, keys in REQUIRED_PARAMETERS.items():
            for key in keys:
                if f"{group}.{key}" not in self.declared:
                    old = [o for o, new in PARAMETER_ALIASES.items() if new == f"{group}.{key}" and o in self.declared]
                    self.add(name, "a parameter the model reads is not declared"
                             + (f" (it is declared under its old name {old[0]}: rename it)" if old else ""),
                             field=f"{group}.{key}",
                             allowed="a declaration [" + f"{group}.{key}" + "] (docs/packs.md lists them)")

    def check_declaration(self, name: str, full: str, spec: dict) -> None:
        missing = [k for k in DECLARATION_KEYS if k not in spec]
        if missing:
            self.add(name, "the declaration lacks keys", field=full, given=missing, allowed=list(DECLARATION_KEYS))
        unknown = [k for k in spec if k not in DECLARATION_KEYS + DECLARATION_OPTIONAL]
        if unknown:
            self.add(name, "unknown keys", field=full, given=unknown,
                     allowed=list(DECLARATION_KEYS + DECLARATION_OPTIONAL))
        for key in ("unit", "meaning", "source"):
            if key in spec and not (isinstance(spec[key], str) and spec[key].strip()):
                self.add(name, f"an empty {key}" if isinstance(spec[key], str) else f"{key} must be text",
                         field=f"{full}.{key}", given=spec[key],
                         allowed="a URL or reference, or \"calibrated\"" if key == "source" else "text")
        if "prior" in spec and spec["prior"] not in PRIORS:
            self.add(name, "unknown prior", field=f"{full}.prior", given=spec["prior"], allowed=list(PRIORS))
        if "positive" in spec and not isinstance(spec["positive"], bool):
            self.add(name, "positive must be true or false", field=f"{full}.positive", given=spec["positive"])
        rng = spec.get("range")
        low = high = None
        if "range" in spec:
            if (isinstance(rng, list) and len(rng) == 2 and all(_finite(v) for v in rng) and rng[0] <= rng[1]):
                low, high = rng
            else:
                self.add(name, "not a range", field=f"{full}.range", given=rng, allowed="[low, high], low <= high")
        default = spec.get("default")
        if "default" in spec and not _finite(default):
            self.add(name, "the default is not a finite number", field=f"{full}.default", given=default)
            return
        if low is not None and default is not None and not low <= default <= high:
            self.add(name, "the default lies outside its range", field=f"{full}.default", given=default,
                     allowed=f"[{low}, {high}]")
        if spec.get("positive") is True and default is not None and default <= 0:
            self.add(name, "a positive parameter with a default <= 0", field=f"{full}.default", given=default,
                     allowed="> 0")
        domain = spec.get("domain")
        if "domain" in spec and not (isinstance(domain, list) and len(domain) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) and not math.isnan(v) for v in domain)
                and domain[0] < domain[1]):
            self.add(name, "not a domain", field=f"{full}.domain", given=domain,
                     allowed="[low, high], low < high (inf and -inf for no bound): the values the parameter can take "
                             "at all")
            domain = None
        if low is None or not isinstance(spec.get("unit"), str):
            return
        param = Parameter(full, default, spec["unit"], low, high, "fixed", "", "", spec.get("positive") is True,
                          tuple(domain) if "domain" in spec and domain is not None else None)
        if not (param.in_domain(low) and param.in_domain(high)):
            self.add(name, "the range reaches outside the values the parameter can take", field=f"{full}.range",
                     given=rng, allowed=f"{param.domain_text()}, from its unit {spec['unit']!r}"
                     + (", its domain" if "domain" in spec else "") + (" and positive = true" if param.positive
                                                                      else ""))


POSTERIOR_OTHER_COLUMNS = ("set_id", "weight")
"""Columns of a pack's posterior file that are not parameters: the set's id and its weight."""


def weight_problem(weights: pd.Series) -> str | None:
    """What is wrong with a posterior's `weight` column, or None: finite numbers ≥ 0 with a sum above 0."""
    if weights.dtype == bool:
        return "weights must be numbers"
    w = pd.to_numeric(weights, errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(w).all():
        return "weights must be finite numbers"
    if (w < 0).any():
        return "a negative weight"
    if not w.sum() > 0:
        return "the weights sum to 0"
    return None


def _finite(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _few(values: list[str], n: int = 12) -> str:
    return ", ".join(values[:n]) + (f", … ({len(values)} in all)" if len(values) > n else "")


def _kind_text(col: Column) -> str:
    if col.choices:
        return " or ".join(col.choices)
    text = {"id": "an id", "text": "text", "int": "a whole number", "number": "a number", "share": "a share in [0, 1]",
            "yes/no": "yes or no", "true/false": "true or false", "parameter": "a declared parameter's name",
            "date": "a date YYYY-MM-DD", "code": "a two-letter code in capitals"}[col.kind]
    if col.pattern and col.kind == "id":
        text += f" matching {col.pattern}"
    bounds = []
    if col.positive:
        bounds.append("> 0")
    if col.low is not None:
        bounds.append(f">= {col.low:g}")
    if col.high is not None:
        bounds.append(f"<= {col.high:g}")
    if bounds:
        text += " " + " and ".join(bounds)
    if col.unit:
        text += f" ({col.unit})"
    return text


def _value_problem(value: str, col: Column) -> str | None:
    """What is wrong with one non-empty cell, or None."""
    if col.choices and value not in col.choices:
        return "not an allowed value"
    if col.kind in NUMERIC:
        try:
            x = float(value)
        except ValueError:
            return "not a number"
        if not math.isfinite(x):
            return "not a finite number"
        if col.kind == "int" and x != int(x):
            return "not a whole number"
        if col.kind == "share" and not 0 <= x <= 1:
            return "a share outside [0, 1]"
        if col.positive and x <= 0:
            return "must be above 0"
        if col.low is not None and x < col.low:
            return "below the smallest allowed value"
        if col.high is not None and x > col.high:
            return "above the largest allowed value"
        return None
    if col.kind == "yes/no" and value not in ("yes", "no"):
        return "not yes or no"
    if col.kind == "true/false" and value.lower() not in ("true", "false"):
        return "not true or false"
    if col.kind == "code" and not re.match(r"^[A-Z]{2}$", value):
        return "not a two-letter code in capitals"
    if col.kind == "parameter" and not PARAMETER_NAME.match(value):
        return "not a parameter name"
    if col.kind == "date":
        from .observations import _date

        if _date(value) is None:
            return "not a calendar date"
    if col.pattern and not re.match(col.pattern, value):
        return "not a valid id"
    return None


def check_pack(path: str | Path) -> PackReport:
    """Check a pack folder; returns every problem found (none: `report.ok`) and counts of what it holds."""
    return _Checker(Path(path)).run()
