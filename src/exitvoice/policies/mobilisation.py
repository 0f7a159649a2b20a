"""`mobilisation`: the authority serves summons until the target is mobilised or the policy ends (docs/model.md §6)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, Field, StringConstraints, field_validator

from ..fields import STRICT, Date
from ..limits import MAX_PEOPLE, MAX_SUMMONS_PER_RECRUIT, MIN_DURATION_DAYS
from .base import DayPolicy, FiguresFor, PolicyBase, PolicyContext, Share

LEGACY_ELIGIBLE = {
    "privates_max_age": ("privates", "age_max"),
    "officers_max_age": ("junior_officers", "age_max"),
    "senior_officers_max_age": ("senior_officers", "age_max"),
    "unserved_max_age": ("unserved", "age_max"),
    "weight_officers": ("junior_officers", "weight"),
    "weight_senior_officers": ("senior_officers", "weight"),
    "weight_unserved": ("unserved", "weight"),
}
"""The first spelling of the `eligible` table (`eligible = { privates_max_age = 40 }`), kept for scenario files that
use it: each key is a field of a class of the russia pack's `[callup] classes` (docs/callup.md)."""


class ClassChange(BaseModel):
    """A mobilisation's change to one eligibility class of the pack (`[callup] classes`): its ages or weight."""

    model_config = STRICT
    age_min: int | None = Field(None, ge=0, le=120)
    age_max: int | None = Field(None, ge=18, le=70)
    weight: float | None = Field(None, ge=0, le=1)


ClassName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class Mobilisation(PolicyBase):
    """Serve summons each day: `S(t) = profile(t) · target · summons_per_recruit`, capped by the remaining need.

    Summons are split across regions by allocation weight × eligible men present, and within a region across
    eligible cells at home, returned or waiting for an exit visa (weight 1) and hiding (`find_rate_hiding`), by
    count × eligibility weight. Fields left out take the `callup.*` parameters.

    Eligibility follows the pack's call-up law (`pack.toml` `[callup]`): whom it reaches, by sex and age, and within
    that its eligibility classes (the russia pack's: the served by rank, the unserved), each person at the weight of
    the first class they fit. `eligible` changes a class for this call-up by its name: `eligible = { unserved = {
    weight = 0.5 } }`; the first spelling, `eligible = { weight_unserved = 0.5 }`, is read as that
    (`LEGACY_ELIGIBLE`).

    Exit bans by category, as in the 2023 law: with `summons_exit_ban`, a man may not leave from the day a
    summons is sent (from `summons_exit_ban_from` on, if given: in 2022 border guards got the lists on 24 Sep).
    He knows it (his exit hazard carries `(1 − enforcement)^μ`, the accessibility of routes that turn him back
    with probability `summons_ban_enforcement`), and those who try anyway are turned back at the border with
    that probability (`stopped_summons_ban`). With electronic summons a share `electronic_share` of summonses
    counts as delivered without contact: a hiding man is found with probability `find_rate_hiding +
    electronic_share · (1 − find_rate_hiding)`.

    `regional_end` ends the call-up early in some regions (`{ MOW = 2022-10-17 }`: the last day Moscow served
    summons): from the next day no one there is summoned, their men's perceived risk of this call-up falls to
    nothing, and summonses already served there lapse when `summons_lapse_at_end` (Moscow, 17 Oct 2022:
    "summonses already sent cease to be valid").

    Tertiary-educated men have a deferral (`callup.deferral_share_tertiary` of them cannot be served: students,
    IT, finance). With `tertiary_deferral_from` the deferral comes on that day, not with the call-up (2022: the
    student deferral decree of 24 Sep): until then these men are summoned as the others.

    `target` is for the whole country: a regional run (`population.regions`) calls up the simulated regions' share
    of it (their share of the men the call-up can take), unless `figures_for = "regions"` says the target is for
    the regions simulated (docs/model.md, "Regional runs").
    """

    type: Literal["mobilisation"]
    numbers: ClassVar[dict[str, str]] = {"summons_ban_enforcement": "share"}
    target: int = Field(gt=0, le=MAX_PEOPLE)
    figures_for: FiguresFor = "country"
    daily_profile: Literal["front_loaded", "uniform"] = "front_loaded"
    allocation: Literal["proportional", "burden"] = "proportional"
    summons_per_recruit: float | None = Field(None, ge=1.0, le=MAX_SUMMONS_PER_RECRUIT)
    report_days: float | None = Field(None, ge=MIN_DURATION_DAYS)
    find_rate_hiding: float | None = Field(None, ge=0, le=1)
    eligible: dict[ClassName, ClassChange] = Field(default_factory=dict, max_length=20)
    summons_lapse_at_end: bool = True
    summons_exit_ban: bool = False
    summons_exit_ban_from: Date | None = None
    summons_ban_enforcement: Share = 1.0
    electronic_share: float = Field(0.0, ge=0, le=1)
    regional_end: dict[str, Date] = Field(default_factory=dict)
    tertiary_deferral_from: Date | None = None

    @field_validator("eligible", mode="before")
    @classmethod
    def _first_spelling(cls, value):
        """`{ privates_max_age = 40 }` is `{ privates = { age_max = 40 } }` (`LEGACY_ELIGIBLE`)."""
        if not isinstance(value, dict) or not any(k in LEGACY_ELIGIBLE for k in value):
            return value
        out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in value.items() if k not in LEGACY_ELIGIBLE}
        for key, v in value.items():
            if key in LEGACY_ELIGIBLE:
                name, field = LEGACY_ELIGIBLE[key]
                if isinstance(out.setdefault(name, {}), dict):
                    out[name][field] = v
        return out

    def region_names(self) -> list[str]:
        """Regions named in `regional_end` (checked against the pack)."""
        return list(self.regional_end)

    def class_names(self) -> list[str]:
        """Eligibility classes named in `eligible` (checked against the pack's `[callup] classes`)."""
        return list(self.eligible)

    def ended_regions(self, day: dt.date) -> list[str]:
        """Regions whose call-up has ended by this day (`regional_end`: region → last day of its call-up)."""
        return [r for r, last in self.regional_end.items() if day > last]

    def apply(self, day: DayPolicy, ctx: PolicyContext) -> None:
        """Mobilisation acts through the call-up process; it only registers itself."""
        day.mobilisations.append(self)

    def bans_exit(self, day: dt.date) -> bool:
        """Whether summoned men are barred from leaving on this day."""
        return self.summons_exit_ban and (self.summons_exit_ban_from is None or day >= self.summons_exit_ban_from)

    def find_rate(self, params) -> float:
        """Weight of hiding men in the summons draw, with electronic delivery."""
        fh = self.setting("find_rate_hiding", params)
        return fh + self.electronic_share * (1.0 - fh)

    def setting(self, name: str, params) -> float:
        """A field's value, or its `callup.*` parameter when left out."""
        value = getattr(self, name, None)
        if value is None:
            value = params[f"callup.{name}"]
        return float(value)

    def eligibility(self, ctx: PolicyContext) -> np.ndarray:
        """Eligibility weight of every cell (0 for whom the pack's call-up law does not reach and beyond limits)."""
        return eligibility_weights(ctx, self)

    def profile(self, day_index: int, n_days: int, params) -> float:
        """Share of the target (times summons per recruit) planned on day `day_index` of `n_days`."""
        if self.daily_profile == "uniform":
            return 1.0 / n_days
        k = np.log(2) / params["callup.profile_half_life_days"]
        w = np.exp(-k * np.arange(n_days))
        return float(w[day_index] / w.sum())


def eligibility_weights(ctx: PolicyContext, mob: Mobilisation | None, deferral: bool = True) -> np.ndarray:
    """Eligibility weights e_i (docs/model.md §6) under a mobilisation's rules, or under the default rules.

    `deferral`: with the tertiary deferral (`deferral_factor`); without it before `tertiary_deferral_from`.
    """
    pop, params = ctx.pop, ctx.params
    mob = mob or Mobilisation(type="mobilisation", start="2000-01-01", target=1)
    w = np.zeros(pop.n_cells)
    if pop.law is not None:  # a population built by hand has no law: no one is of call-up age
        lo, hi, served = pop.age_lo, pop.age_hi, pop.served == 1
        done = np.zeros(pop.n_cells, dtype=bool)
        for c in pop.law.classes:  # the first class a cell fits gives its weight
            change = mob.eligible.get(c.name) or ClassChange()
            first = change.age_min if change.age_min is not None else _number(c.age_min, params, -np.inf)
            last = change.age_max if change.age_max is not None else _number(c.age_max, params, np.inf)
            cells = ~done & (lo >= first) & (hi <= last)
            if c.served is not None:
                cells &= served == c.served
            w[cells] = change.weight if change.weight is not None else _number(c.weight, params, 1.0)
            done |= cells
    w *= pop.callup_weight * pop.callup_age  # only whom the law reaches (the pack's [callup]), by sex
    if deferral:
        w *= deferral_factor(ctx)
    return w * mob.who.mask(pop)


def _number(value: float | str | None, params, default: float) -> float:
    """A number of the pack's `[callup]` table: as given, a declared parameter's value, or `default` if left out."""
    if value is None:
        return default
    return float(params[value]) if isinstance(value, str) else float(value)


def deferral_factor(ctx: PolicyContext) -> np.ndarray:
    """[cell] 1 − `callup.deferral_share_tertiary` for the tertiary-educated, 1 for the others."""
    return np.where(ctx.pop.tertiary == 1, 1 - ctx.params["callup.deferral_share_tertiary"], 1.0)
