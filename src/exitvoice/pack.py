"""Country packs: the sourced tables, settings and parameter declarations of one origin country (docs/packs.md).

A pack is a folder: `pack.toml` (the country's code, name, currency, age bands, capitals, calibration observations),
`regions.csv`, `age_sex.csv`, `crossings.csv`, `routes.csv`, `destinations.csv`, `fares.csv`,
`economy_sectors.csv` and `parameters.toml`, optionally `crossing_groups.csv`, `illegal_routes.csv`, an events file
and an observation file. Packs shipped inside the package are named (`russia`); any other pack is a folder, named by
its path (`[scenario] pack = "path/to/dir"`). Every pack is checked before it is used (`exitvoice.packcheck`,
`exitvoice pack check DIR`): a pack with a problem is refused with the first problem named.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BaseModel, Field, StringConstraints, ValidationError, field_validator

from .errors import DataError
from .fields import STRICT, Date
from .params import Parameter, load_declarations

SETTINGS_FILE = "pack.toml"
DEFAULT_PACK = "russia"
"""The pack of a scenario that names none (`[scenario] country`), and of a result folder that records none: the
first pack, which scenario files and results written before there were packs mean. Code takes a run's own pack
(`summary.json` `country`) wherever it has one."""
TABLES = ("regions", "age_sex", "crossings", "routes", "destinations", "fares")
"""The tables every pack has, loaded into `Pack` (the economy's sector table is read by `exitvoice.economy`)."""


_BAND = re.compile(r"^(\d{1,3})(?:-(\d{1,3})|(\+))$")


def parse_band(text: str) -> tuple[int, int | None]:
    """`"20-24"` → (20, 24); `"65+"` → (65, None). Raises ValueError for anything else."""
    m = _BAND.match(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"{text!r} is not an age band (\"20-24\", or \"65+\" for the open last band)")
    lo = int(m.group(1))
    if m.group(3):
        return lo, None
    hi = int(m.group(2))
    if hi < lo:
        raise ValueError(f"{text!r}: the band ends before it starts")
    return lo, hi


def band_label(lo: int, hi: int | None) -> str:
    """The label of a band: `20-24`, `65+`."""
    return f"{lo}-{hi}" if hi is not None else f"{lo}+"


class PackInfo(BaseModel):
    """The `[pack]` table of `pack.toml`: who the origin is."""

    model_config = STRICT
    name: str = Field(min_length=1, max_length=100)
    """The origin country's name in English, as reports print it (`Russia`)."""
    code: str = Field(pattern=r"^[A-Z]{2}$")
    """ISO 3166-1 alpha-2 code of the origin: the geography of origin totals in outputs and observations (`RU`)."""
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    """ISO 4217 code of the pack's money: fares, incomes, GDP and fares in observation files (`RUB`)."""
    observations: str | None = Field(None, pattern=r"^[^/\\]+\.csv$")
    """The pack's calibration observations (a file of the pack), used when no `--observations` is given."""
    events: str | None = Field(None, pattern=r"^[^/\\]+\.csv$")
    """The pack's timeline of events (a file of the pack): evidence behind its scenarios, not read by a run."""


Age = Annotated[int, Field(ge=0, le=120)]
"""An age in whole years."""
AgeRange = Annotated[list[Age], Field(min_length=2, max_length=2)]
"""First and last age, both inclusive."""


class PackPopulation(BaseModel):
    """The `[population]` table of `pack.toml`: the age bands of the cells and the capitals."""

    model_config = STRICT
    age_bands: list[str] = Field(min_length=2, max_length=40)
    """Contiguous bands from 0, the last open (`["0-17", "18-19", …, "65+"]`); each age a rule below names starts a
    band (`PackSettings.age_rules`, checked by `exitvoice pack check`)."""
    capitals: list[str] = Field(default_factory=list, max_length=20)
    """Regions whose adults hold foreign passports at `population.passport_capitals_share` (may be empty)."""
    sample_regions: list[str] = Field(default_factory=list, max_length=20)
    """Regions of a quick regional sample (the dashboard's sample scope); empty: a sample of the whole country."""
    # The population's rules by age (docs/population.md, model §2); the defaults are the russia pack's.
    adult_age: Age = 18
    """Adults from this age: they hold foreign passports by the age profile (children at
    `population.passport_share_children`) and have an attitude."""
    prime_men_ages: AgeRange = Field(default_factory=lambda: [20, 49])
    """The men `regions.csv` `male_20_49` counts: the bands within these ages take the regional figure."""
    tertiary_young_ages: AgeRange = Field(default_factory=lambda: [20, 24])
    """Bands starting in these ages have a degree at `population.tertiary_share_20_24`."""
    tertiary_ages: AgeRange = Field(default_factory=lambda: [25, 34])
    """Bands starting in these ages have a degree at `population.tertiary_share_25_34`; older bands at that share
    less `population.tertiary_decline_per_decade` for each decade of mean age past the last age + 1."""
    passport_peak_ages: AgeRange = Field(default_factory=lambda: [40, 49])
    """The foreign-passport age profile peaks at the mean age of the bands starting in these ages."""

    @field_validator("prime_men_ages", "tertiary_young_ages", "tertiary_ages", "passport_peak_ages")
    @classmethod
    def _in_order(cls, value: list[int]) -> list[int]:
        if value[0] > value[1]:
            raise ValueError(f"the last age is below the first (given {value})")
        return value

    @field_validator("age_bands")
    @classmethod
    def _bands(cls, value: list[str]) -> list[str]:
        bands = [parse_band(v) for v in value]
        if bands[0][0] != 0:
            raise ValueError(f"the first band must start at 0 (given {value[0]!r})")
        for (lo, hi), (nlo, _) in zip(bands, bands[1:], strict=False):
            if hi is None:
                raise ValueError(f"only the last band may be open (given {band_label(lo, hi)!r} before others)")
            if nlo != hi + 1:
                raise ValueError(f"bands must be contiguous: {band_label(lo, hi)!r} is followed by a band "
                                 f"starting at {nlo}")
        if bands[-1][1] is not None:
            raise ValueError(f"the last band must be open (\"{bands[-1][0]}+\"), given {value[-1]!r}")
        return value


AgeLimit = Annotated[int, Field(ge=0, le=120)] | Annotated[str, StringConstraints(
    pattern=r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")]
"""An age in years, or the dotted name of a declared parameter that holds one."""


def _in_unit_interval(value: float) -> float:
    if not 0 <= value <= 1:
        raise ValueError(f"a share or weight lies in [0, 1] (given {value})")
    return value


ParamShare = Annotated[float, AfterValidator(_in_unit_interval)] | Annotated[str, StringConstraints(
    pattern=r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")]
"""A share or weight in [0, 1], or the dotted name of a declared parameter that holds one."""
Sex = Literal["men", "women"]


class CallupSex(BaseModel):
    """Whom of one sex the origin's call-up law reaches: from `ages[0]` to `ages[1]` (both inclusive)."""

    model_config = STRICT
    ages: list[AgeLimit] = Field(min_length=2, max_length=2)
    """First and last age of call-up (a number, or a declared parameter: `"callup.age_max_men"`)."""
    weight: ParamShare = 1.0
    """Relative eligibility weight of this sex in a call-up (a number in [0, 1] or a declared parameter)."""


class CallupClass(BaseModel):
    """One eligibility class of a mobilisation (docs/packs.md).

    People of call-up age who have served (or not), within an age range, called at a weight. A person takes the
    weight of the first class of the list they fit.
    """

    model_config = STRICT
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    """The class's name: a mobilisation's `eligible` table changes its ages or weight by it."""
    served: bool | None = None
    """Only people who have served (true), only those who have not (false), or both (left out)."""
    age_min: AgeLimit | None = None
    """First age (whole age bands from it); left out: the law's first age."""
    age_max: AgeLimit | None = None
    """Last age (whole age bands up to it); left out: the law's last age."""
    weight: ParamShare = 1.0
    """Eligibility weight of the class (a number in [0, 1] or a declared parameter)."""


class ServedRule(BaseModel):
    """The share of one sex and age range who have done military service (a population attribute, model §2)."""

    model_config = STRICT
    sex: Sex
    age_min: AgeLimit
    age_max: AgeLimit | None = None
    """Last age (whole age bands up to it); left out: no upper limit."""
    share: ParamShare


class DraftRule(BaseModel):
    """Whom the regular draft (`regular_conscription`) takes: the sexes, and the ages when a campaign names none."""

    model_config = STRICT
    sexes: list[Sex] = Field(min_length=1, max_length=2)
    ages: list[AgeLimit] | None = Field(None, min_length=2, max_length=2)
    """Ages of a campaign without its own `ages`; left out: the ages the law reaches, by sex."""


class PackCallup(BaseModel):
    """The `[callup]` table of `pack.toml`: the origin's call-up law (docs/packs.md).

    Whom it reaches (`men`, `women`: ages and a weight), the eligibility classes of a mobilisation within that
    reach (`classes`), who has done military service (`served`), and whom the regular draft takes (`draft`).
    """

    model_config = STRICT
    men: CallupSex | None = None
    women: CallupSex | None = None
    classes: list[CallupClass] = Field(default_factory=lambda: [CallupClass(name="all")], min_length=1,
                                       max_length=20)
    """Eligibility classes, first match wins; left out: one class, everyone the law reaches at weight 1."""
    served: list[ServedRule] = Field(default_factory=list, max_length=20)
    """Who has served, first match wins; left out: no one (a country without a trained reserve)."""
    draft: DraftRule | None = None
    """The regular draft; left out: the sexes the law reaches, at its ages."""

    def sexes(self) -> list[str]:
        """The sexes the law names (`men`, `women`)."""
        return [s for s in ("men", "women") if getattr(self, s) is not None]

    def draft_rule(self) -> DraftRule:
        """The regular draft's rule: the pack's `draft`, or the sexes the law reaches at its ages."""
        return self.draft or DraftRule(sexes=self.sexes() or ["men"])

    def parameter_names(self) -> list[tuple[str, str]]:
        """(field, parameter) for every declared parameter the table names."""
        out = []
        for sex in ("men", "women"):
            rule = getattr(self, sex)
            if rule is not None:
                out += [(f"callup.{sex}.ages", a) for a in rule.ages] + [(f"callup.{sex}.weight", rule.weight)]
        for i, c in enumerate(self.classes):
            out += [(f"callup.classes[{i}].{k}", getattr(c, k)) for k in ("age_min", "age_max", "weight")]
        for i, r in enumerate(self.served):
            out += [(f"callup.served[{i}].{k}", getattr(r, k)) for k in ("age_min", "age_max", "share")]
        if self.draft is not None and self.draft.ages is not None:
            out += [("callup.draft.ages", a) for a in self.draft.ages]
        return [(f, v) for f, v in out if isinstance(v, str)]


class EmploymentRate(BaseModel):
    """The employment rate of the ages from `age_min` (to the next rule's), relative to the reference ages (rate 1)."""

    model_config = STRICT
    age_min: Age
    rate: Annotated[float, Field(ge=0, le=10)] | Annotated[str, StringConstraints(
        pattern=r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")]
    """A number, or the dotted name of a declared parameter (`economy.emp_rel_18_19`)."""


def _employment_default() -> list[EmploymentRate]:
    return [EmploymentRate(age_min=a, rate=r) for a, r in (
        (18, "economy.emp_rel_18_19"), (20, "economy.emp_rel_20_24"), (25, 1.0), (55, "economy.emp_rel_55_59"),
        (60, "economy.emp_rel_60_64"), (65, "economy.emp_rel_65_plus"))]


class PackEconomy(BaseModel):
    """The `[economy]` table of `pack.toml`: the economy's rules by age (docs/economy.md, model §10)."""

    model_config = STRICT
    employment: list[EmploymentRate] = Field(default_factory=_employment_default, min_length=1, max_length=20)
    """Employment rates by age, relative to the reference ages (rate 1), from youngest: a band takes the rate of the
    last rule whose `age_min` it starts at or after; bands below the first rule are not employed. Default: the
    russia pack's (Rosstat's groups 18–19, 20–24, 25–54 at 1, 55–59, 60–64, 65+)."""

    @field_validator("employment")
    @classmethod
    def _ascending(cls, value: list[EmploymentRate]) -> list[EmploymentRate]:
        ages = [r.age_min for r in value]
        if any(b <= a for a, b in zip(ages, ages[1:], strict=False)):
            raise ValueError(f"the rules must go from the youngest, each age_min above the last (given {ages})")
        return value

    def rate(self, lo: int, params) -> float:
        """The relative employment rate of a band starting at age `lo` (0 below the first rule)."""
        fit = [r for r in self.employment if r.age_min <= lo]
        if not fit:
            return 0.0
        rate = fit[-1].rate
        return float(params[rate]) if isinstance(rate, str) else float(rate)


class PackCalibration(BaseModel):
    """The optional `[calibration]` table of `pack.toml`: the posterior the pack ships, and where it comes from.

    Ensembles of the pack's scenarios draw the fitted parameters from it by default (docs/ensembles.md); the
    pack's defaults of those parameters are its medians (`scripts/ship_posterior.py`).
    """

    model_config = STRICT
    posterior: str = Field(pattern=r"^[^/\\]+\.(parquet|csv)$")
    """The posterior file, in the pack's folder: one row per parameter set, a column per fitted parameter."""
    study: str = Field(min_length=1, max_length=200)
    """The study that produced it (the output folder or study name of `exitvoice calibrate`)."""
    method: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    """How it was fitted (`abc-smc`)."""
    date: Date
    """When it was fitted."""
    ess: float = Field(gt=0)
    """Effective sample size of the fit's weighted particles (1/Σw²)."""
    scenario: str | None = Field(None, min_length=1, max_length=200)
    """The scenario fitted (optional)."""


class PackSettings(BaseModel):
    """`pack.toml`: the settings of a pack."""

    model_config = STRICT
    pack: PackInfo
    population: PackPopulation
    callup: PackCallup
    economy: PackEconomy = Field(default_factory=PackEconomy)
    calibration: PackCalibration | None = None
    """The posterior the pack ships (optional)."""

    def age_rules(self) -> list[tuple[str, int]]:
        """(setting, age) for every age at which a rule of the population or the economy changes.

        Each must start an age band (`exitvoice pack check`), so that every band lies wholly on one side of it.
        """
        pop = self.population
        out = [("population.adult_age", pop.adult_age)]
        for key in ("prime_men_ages", "tertiary_young_ages", "tertiary_ages"):
            first, last = getattr(pop, key)
            out += [(f"population.{key}", first), (f"population.{key}", last + 1)]
        out += [(f"economy.employment[{i}].age_min", r.age_min) for i, r in enumerate(self.economy.employment)]
        return out

    def economy_names(self) -> list[tuple[str, str]]:
        """(field, parameter) for every declared parameter the `[economy]` table names."""
        return [(f"economy.employment[{i}].rate", r.rate) for i, r in enumerate(self.economy.employment)
                if isinstance(r.rate, str)]

    def callup_names(self) -> list[str]:
        """The parameters the `[callup]` table names (each must be declared)."""
        return [name for _, name in self.callup.parameter_names()]

    @property
    def bands(self) -> list[tuple[int, int | None]]:
        """Age bands as (lo, hi) in whole years, hi inclusive, None for the open last band."""
        return [parse_band(b) for b in self.population.age_bands]


def read_settings(path: Path) -> PackSettings:
    """Read and validate a pack's `pack.toml` (DataError naming the file, the field, given and allowed)."""
    file = path / SETTINGS_FILE
    if not file.is_file():
        raise DataError("the pack has no pack.toml", file=str(file),
                        allowed="a pack.toml with [pack] name, code, currency and [population] age_bands "
                                "(docs/packs.md)")
    try:
        raw = tomllib.loads(file.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"not a readable TOML file: {exc}", file=str(file)) from None
    settings, errors = validate_settings(raw, file)
    if errors:
        raise errors[0]
    return settings


def validate_settings(raw: dict, file: Path) -> tuple[PackSettings | None, list[DataError]]:
    """The settings of a read `pack.toml`, or None and one DataError for each problem pydantic finds.

    Every field that is wrong is reported; checks across fields run only once each field is right.
    """
    try:
        return PackSettings.model_validate(raw), []
    except ValidationError as exc:
        errors, seen = [], set()
        for e in exc.errors():
            # a field that takes a number or a parameter's name fails once for each: reported once, by its name
            # (not pydantic's tags of union members such as `constrained-float`)
            field = ".".join(str(p) for p in e["loc"] if not _union_tag(p)) or None
            if field in seen:
                continue
            seen.add(field)
            msg = "unknown field" if e["type"] == "extra_forbid" or e["type"] == "extra_forbidden" else e["msg"]
            given = e.get("input") if field else None
            if isinstance(given, dict):  # a whole table: its keys say enough
                given = f"a table with keys {sorted(given)}"
            errors.append(DataError(msg, file=str(file), field=field, given=given, allowed=_allowed(e)))
        return None, errors


def _allowed(e: dict) -> str | None:
    """What a pydantic error's field allows, in words (None: the message says it)."""
    ctx = e.get("ctx") or {}
    if e["type"] == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        if "\\." in pattern and "[a-z]" in pattern:
            return "the name of a declared parameter, lowercase, group.name (`exitvoice params`)"
        return f"text matching the pattern {pattern} (docs/packs.md)"
    if e["type"] in ("int_parsing", "float_parsing", "int_type", "float_type") and isinstance(e.get("input"), str):
        return "a number, or where the field allows one, the name of a declared parameter (group.name, lowercase)"
    if e["type"] in ("extra_forbid", "extra_forbidden"):
        return "the keys docs/packs.md lists for this table"
    return None


def _union_tag(part) -> bool:
    """A part of a pydantic error location that names a member of a union type, not a field."""
    return isinstance(part, str) and ("-" in part or "[" in part or part in ("int", "float", "str", "bool"))


@dataclass(frozen=True)
class Pack:
    """The tables and settings of one country pack."""

    country: str
    """How the pack was named: a built-in pack's name (`russia`) or its folder."""
    path: Path
    settings: PackSettings
    regions: pd.DataFrame
    age_sex: pd.DataFrame
    crossings: pd.DataFrame
    routes: pd.DataFrame
    destinations: pd.DataFrame
    fares: pd.DataFrame
    crossing_groups: dict[str, list[str]]
    declarations: dict[str, Parameter]
    callup_burden_given: bool = True
    """Whether `regions.csv` gives `callup_burden` (a call-up with `allocation = "burden"` needs it)."""
    illegal_routes: pd.DataFrame | None = None
    """Crossings outside the official points (the optional `illegal_routes.csv`; docs/routes.md); None: none."""

    @property
    def code(self) -> str:
        """ISO code of the origin: the geography of origin totals (`RU`)."""
        return self.settings.pack.code

    @property
    def name(self) -> str:
        """The origin country's name (`Russia`)."""
        return self.settings.pack.name

    @property
    def currency(self) -> str:
        """ISO 4217 code of the pack's money (`RUB`)."""
        return self.settings.pack.currency

    @property
    def bands(self) -> list[tuple[int, int | None]]:
        """Age bands of the cells."""
        return self.settings.bands

    @property
    def region_ids(self) -> list[str]:
        """Region codes in pack order."""
        return self.regions.region_id.tolist()

    @property
    def route_ids(self) -> list[str]:
        """Route ids (`land:<crossing>`, `air:<destination>`)."""
        return self.routes.route_id.tolist()

    @property
    def destination_ids(self) -> list[str]:
        """Destination codes (ISO 3166-1 alpha-2, or AB for Abkhazia)."""
        return self.destinations.destination.tolist()

    def file(self, name: str) -> Path:
        """A file of the pack."""
        return self.path / name

    @property
    def calibration(self) -> PackCalibration | None:
        """The posterior the pack ships and its provenance (`[calibration]` of pack.toml), or None."""
        return self.settings.calibration

    @property
    def posterior_file(self) -> Path | None:
        """The pack's posterior file, or None when it ships none."""
        return self.path / self.calibration.posterior if self.calibration is not None else None


def _builtin_root() -> Path:
    return Path(str(resources.files("exitvoice") / "data"))


def available_countries() -> list[str]:
    """Countries with a pack inside the package."""
    root = _builtin_root()
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "parameters.toml").is_file())


def is_folder_reference(ref: str) -> bool:
    """Whether a pack is named by a folder (a path) rather than by the name of a built-in pack."""
    return "/" in ref or "\\" in ref or ref.startswith(".") or Path(ref).is_absolute()


def pack_path(ref: str) -> Path:
    """The folder of a pack named by a built-in name or a folder path (DataError if there is none)."""
    if not isinstance(ref, str) or not ref:
        raise DataError("no pack named", given=ref, allowed=f"a built-in pack {available_countries()} or a folder")
    if not is_folder_reference(ref):
        if ref in available_countries():
            return _builtin_root() / ref
        hint = f" (a folder here: write ./{ref})" if Path(ref).is_dir() else ""
        raise DataError("no such country pack" + hint, given=ref,
                        allowed=f"{available_countries()}, or a pack folder, named with a slash (./{ref})")
    path = Path(ref).expanduser()
    if not path.is_dir():
        raise DataError("no such pack folder", file=str(path), allowed="a folder holding a country pack "
                        "(pack.toml, regions.csv, …; docs/packs.md)")
    return path.resolve()


@cache
def load_pack(country: str = DEFAULT_PACK) -> Pack:
    """Load a country pack by built-in name or folder, after checking it (cached: packs are read-only).

    A pack with any problem is refused: the error names the first problem and how many there are
    (`exitvoice pack check` lists them all).
    """
    from .packcheck import check_pack

    path = pack_path(country)
    report = check_pack(path)
    if report.problems:
        n = len(report.problems)
        raise DataError(f"the pack has {n} problem{'s' if n > 1 else ''}; the first: {report.problems[0]} "
                        f"(`exitvoice pack check {path}` lists {'them all' if n > 1 else 'it'})", file=str(path))
    settings = read_settings(path)
    # ids and codes stay text ("01" is not 1), and only an empty cell is missing (NA is Namibia, not a gap)
    ids = {c: str for c in ("region_id", "crossing_id", "destination", "route_id", "capacity_param", "flights_param",
                            "access_param", "entries_param", "weekend_param")}
    tables = {name: pd.read_csv(path / f"{name}.csv", dtype=ids, keep_default_na=False, na_values=[""])
              for name in TABLES}
    regions = tables["regions"]
    male_share_prime = _male_share_20_49(tables["age_sex"])
    if "male_20_49" not in regions.columns or regions.male_20_49.isna().all():
        regions["male_20_49"] = np.round(regions.male_total * male_share_prime)
    burden_given = "callup_burden" in regions.columns and regions.callup_burden.notna().all()
    if not burden_given:
        regions["callup_burden"] = 1.0
    dests = tables["destinations"]
    if "entries_param" not in dests.columns:
        dests["entries_param"] = np.nan
    dests["entries_param"] = [p if isinstance(p, str) and p else f"trips.entries_{d.lower()}"
                              for d, p in zip(dests.destination, dests.entries_param, strict=True)]
    if "weekend_param" not in dests.columns:
        dests["weekend_param"] = np.nan
    illegal = None
    if (path / "illegal_routes.csv").is_file():
        illegal = pd.read_csv(path / "illegal_routes.csv", dtype=dict.fromkeys(
            ("route_id", "destination", "region_id", "capture_param", "cost_param", "capacity_param", "summons_param"),
            str), keep_default_na=False, na_values=[""])
        for col in ("cost_param", "summons_param"):
            if col not in illegal.columns:
                illegal[col] = np.nan
    if "open" in tables["crossings"].columns:
        tables["crossings"]["open"] = tables["crossings"]["open"].astype(str).str.lower() == "true"
    return Pack(country=country, path=path, settings=settings, crossing_groups=read_crossing_groups(path),
                declarations=load_declarations(path / "parameters.toml"), callup_burden_given=burden_given,
                illegal_routes=illegal, **tables)


def read_crossing_groups(path: Path) -> dict[str, list[str]]:
    """Crossing groups of a pack folder (group → member crossings), from the optional `crossing_groups.csv`."""
    file = path / "crossing_groups.csv"
    groups: dict[str, list[str]] = {}
    if file.is_file():
        for g, c in pd.read_csv(file, dtype=str, keep_default_na=False)[["group", "crossing_id"]].itertuples(
                index=False):
            groups.setdefault(g, []).append(c)
    return groups


def _male_share_20_49(age_sex: pd.DataFrame) -> float:
    """National share of men aged 20–49 among all men (5-year groups read as uniform within the group)."""
    men, prime = 0.0, 0.0
    for row in age_sex.itertuples():
        lo = int(row.age_lo)
        hi = int(row.age_hi) if not pd.isna(row.age_hi) else lo + 4
        years = hi - lo + 1
        inside = max(0, min(hi, 49) - max(lo, 20) + 1)
        men += float(row.male)
        prime += float(row.male) * inside / years
    return prime / men if men > 0 else 0.0
