"""Declared parameters (docs/model.md §14): name, default, unit, range, prior, meaning, source.

Every free number of the model is declared once, in the country pack's `parameters.toml`, and referenced by its
dotted name (`exit.beta_risk`). A :class:`ParameterSet` is an immutable mapping of names to values, built from the
declarations and validated overrides (scenario `[parameters]`, `--set`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ParameterError
from .fields import is_finite_number
from .limits import OUTSIDE_RANGE_WIDTHS, POSITIVE_FLOOR_SHARE

PRIORS = ("uniform", "loguniform", "fixed")
PARAMETER_ALIASES = {"economy.gdp_rub": "economy.gdp"}
"""Parameter names of earlier versions, read as today's in overrides (scenario `[parameters]`, `--set`)."""

INF = float("inf")

SHARE_UNITS = ("share", "probability", "load factor", "share per day")
"""Units of a value that is a share of a whole, or a probability: possible in [0, 1] only."""
DURATION_UNITS = ("days", "years")
"""Units of a duration or an age: possible above 0 only (a rate divides by a duration)."""
COUNT_UNITS = ("persons", "entries", "flights", "seats", "passports", "recruits", "summons", "summonses")
"""First words of the units of a count or a capacity (`persons per day`, `seats`): possible from 0 up."""
RATE_UNITS = ("per day",)
"""First words of the units of a hazard (`per day`, `per day per unit risk`): possible from 0 up."""


def unit_domain(unit: str, low: float) -> tuple[float, float, str]:
    """The values a parameter of this unit can take at all, whatever its plausible range: (low, high, what).

    A share or probability lies in [0, 1]; a duration above 0; a count, a capacity or a hazard from 0 up. A unit
    none of these rules knows is bounded below by 0 when its plausible range is not negative (a weight, a
    multiplier, a ratio), and not at all otherwise (a log-odds, a utility).
    """
    first = unit.split(" per ")[0].split("/")[0].strip()
    if unit in SHARE_UNITS:
        return 0.0, 1.0, f"a {unit}"
    if unit in DURATION_UNITS:
        return 0.0, INF, "a duration"
    if first in COUNT_UNITS:
        return 0.0, INF, "a count"
    if unit.startswith(RATE_UNITS):
        return 0.0, INF, "a rate"
    if low >= 0:
        return 0.0, INF, "a parameter whose range is not negative"
    return -INF, INF, "a parameter of any sign"


def fmt_interval(low: float, high: float, *, open_low: bool = False) -> str:
    """`[0, 1]`, `(0, 1]`, `above 0`, `0 or more`, `3 or less` or `any number`, as a user reads an interval."""
    if low == -INF and high == INF:
        return "any number"
    if high == INF:
        return f"above {low:g}" if open_low else f"{low:g} or more"
    if low == -INF:
        return f"{high:g} or less"
    return f"{'(' if open_low else '['}{low:g}, {high:g}]"


@dataclass(frozen=True)
class Parameter:
    """One declared parameter.

    Two intervals bound its value. The *range* `[low, high]` is the plausible one, where calibration and ensembles
    draw it and where a value must lie unless `--allow-outside-range` is given. The *domain* holds the values the
    parameter can take at all (a probability lies in [0, 1], a duration above 0): `--allow-outside-range` lets a
    value leave the range, never the domain. The domain follows from the unit (`unit_domain`), from `positive`
    (above 0), and from `domain = [low, high]` where a declaration gives one.
    """

    name: str
    default: float
    unit: str
    low: float
    high: float
    prior: str
    meaning: str
    source: str
    positive: bool = False
    """Must stay above 0 whatever the range (a duration, a half-life, a divisor)."""
    declared_domain: tuple[float, float] | None = None
    """`domain = [low, high]` of the declaration (±inf for no bound), where the unit alone does not say it."""

    def domain(self) -> tuple[float, float, bool, str]:
        """The possible values: (low, high, whether low itself is excluded, what kind of value it is)."""
        if self.declared_domain is not None:
            lo, hi = self.declared_domain
            what = "its declared domain"
        else:
            lo, hi, what = unit_domain(self.unit, self.low)
        open_low = (self.positive and lo <= 0) or (what == "a duration" and lo == 0)
        if self.positive and lo < 0:
            lo = 0.0
        return lo, hi, open_low, what

    def domain_text(self) -> str:
        """The possible values in words: `[0, 1] (the possible values of a probability)`."""
        lo, hi, open_low, what = self.domain()
        of = ", as declared" if self.declared_domain is not None else f" of {what}"
        return f"{fmt_interval(lo, hi, open_low=open_low)} (the possible values{of})"

    def in_domain(self, value: float) -> bool:
        """Whether `value` is possible at all (inside the domain)."""
        lo, hi, open_low, _ = self.domain()
        return (value > lo if open_low else value >= lo) and value <= hi

    def outer_bounds(self) -> tuple[float, float]:
        """How far `--allow-outside-range` reaches: `OUTSIDE_RANGE_WIDTHS` widths of the range beyond each end."""
        width = (self.high - self.low) or abs(self.high) or 1.0
        return self.low - OUTSIDE_RANGE_WIDTHS * width, self.high + OUTSIDE_RANGE_WIDTHS * width

    def reach(self) -> tuple[float, float, bool]:
        """The values `--allow-outside-range` accepts: (low, high, whether low is excluded).

        The domain, within `outer_bounds` and, for a value that must stay above 0, from `POSITIVE_FLOOR_SHARE` of
        the range's low end.
        """
        lo, hi, open_low, _ = self.domain()
        outer_lo, outer_hi = self.outer_bounds()
        if outer_lo > lo or (outer_lo == lo and not open_low):
            lo, open_low = outer_lo, False
        hi = min(hi, outer_hi)
        if open_low and lo == 0 and self.low > 0:
            lo, open_low = POSITIVE_FLOOR_SHARE * self.low, False
        return lo, hi, open_low

    @property
    def is_integer(self) -> bool:
        """Whether the declared default is a whole number given as an integer (days, persons)."""
        return isinstance(self.default, int) and not isinstance(self.default, bool)


def load_declarations(path: Path) -> dict[str, Parameter]:
    """Read a pack's `parameters.toml` into declarations keyed by dotted name."""
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    out: dict[str, Parameter] = {}
    for group, table in raw.items():
        for key, spec in table.items():
            name = f"{group}.{key}"
            missing = {"default", "unit", "range", "prior", "meaning", "source"} - set(spec)
            if missing:
                raise ParameterError(f"declaration lacks {sorted(missing)}", file=str(path), field=name)
            low, high = spec["range"]
            if spec["prior"] not in PRIORS:
                raise ParameterError("unknown prior", file=str(path), field=name, given=spec["prior"],
                                     allowed=PRIORS)
            if not low <= spec["default"] <= high:
                raise ParameterError("default outside its range", file=str(path), field=name,
                                     given=spec["default"], allowed=f"[{low}, {high}]")
            domain = tuple(float(v) for v in spec["domain"]) if "domain" in spec else None
            param = Parameter(name, spec["default"], spec["unit"], low, high, spec["prior"], spec["meaning"],
                              spec["source"], bool(spec.get("positive", False)), domain)
            if not (param.in_domain(low) and param.in_domain(high)):
                raise ParameterError("the range reaches outside the possible values", file=str(path), field=name,
                                     given=f"range [{low}, {high}]", allowed=param.domain_text())
            out[name] = param
    return out


class ParameterSet(Mapping[str, float]):
    """Values of every declared parameter, defaults overridden by name.

    An override must be a finite number (not a boolean, a text, `nan` or `±inf`) inside the parameter's declared
    (plausible) range `[low, high]`. With `allow_outside_range`, a value outside the range is accepted (and listed
    by `outside_range()`, which a run's summary reports as warnings) as long as it is possible at all, inside the
    parameter's domain (`Parameter.domain`: a probability lies in [0, 1], a duration above 0, a count is not
    negative), and within `Parameter.reach` (not absurdly far from the range, nor too close to 0 for a value that
    must stay above it).
    """

    def __init__(self, declarations: Mapping[str, Parameter], overrides: Mapping[str, float] | None = None,
                 *, source: str = "overrides", allow_outside_range: bool = False) -> None:
        self.declarations = dict(declarations)
        self.allow_outside_range = allow_outside_range
        self._values = {n: p.default for n, p in self.declarations.items()}
        for name, value in (overrides or {}).items():
            name = PARAMETER_ALIASES.get(name, name)
            self._values[name] = self._check(name, value, source)

    def _check(self, name: str, value: object, source: str) -> float:
        if name not in self.declarations:
            close = [n for n in self.declarations if n.split(".")[-1] == name.split(".")[-1]]
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ParameterError(f"unknown parameter; {hint}see `exitvoice params` for the list", file=source,
                                 field=name, given=value)
        if not is_finite_number(value):
            raise ParameterError("a parameter value must be a finite number", file=source, field=name,
                                 given=value, allowed="a number such as 3 or 0.25 (not text, true/false, nan, inf)")
        value = value.item() if hasattr(value, "item") else value  # a numpy scalar (from a posterior file)
        decl = self.declarations[name]
        plausible = f"[{decl.low:g}, {decl.high:g}] {decl.unit}"
        if decl.low <= value <= decl.high:
            return value
        if not decl.in_domain(value):
            raise ParameterError("impossible: not a value this parameter can take (--allow-outside-range does not "
                                 "reach past them)", file=source, field=name, given=value,
                                 allowed=f"{decl.domain_text()}; plausible range: {plausible}")
        lo, hi, open_low = decl.reach()
        reach = fmt_interval(lo, hi, open_low=open_low)
        if not self.allow_outside_range:
            raise ParameterError("outside the parameter's declared range (its plausible values)", file=source,
                                 field=name, given=value, allowed=f"{plausible}; with --allow-outside-range, {reach}")
        if not ((value > lo if open_low else value >= lo) and value <= hi):
            floor = POSITIVE_FLOOR_SHARE * decl.low
            near_0 = value < lo and lo == floor and floor > 0
            why = (f"a value that must stay above 0 is at least {POSITIVE_FLOOR_SHARE:g} of its range's low end, "
                   "exitvoice.limits.POSITIVE_FLOOR_SHARE" if near_0 else
                   f"at most {OUTSIDE_RANGE_WIDTHS} widths of the plausible range beyond it, "
                   "exitvoice.limits.OUTSIDE_RANGE_WIDTHS")
            raise ParameterError("too close to 0, even with --allow-outside-range" if near_0 else
                                 "too far outside the parameter's plausible range, even with --allow-outside-range",
                                 file=source, field=name, given=value,
                                 allowed=f"{reach} ({why}; plausible range: {plausible}; {decl.domain_text()})")
        return value

    def outside_range(self) -> list[str]:
        """A warning for every value outside its declared range (accepted with `allow_outside_range`)."""
        out = []
        for name, value in self._values.items():
            d = self.declarations[name]
            if not d.low <= value <= d.high:
                out.append(f"{name} = {value:g} is outside its declared range [{d.low:g}, {d.high:g}] {d.unit}")
        return out

    def with_overrides(self, overrides: Mapping[str, float], *, source: str = "overrides") -> ParameterSet:
        """A new set with more values overridden."""
        merged = {n: v for n, v in self._values.items() if v != self.declarations[n].default}
        new = ParameterSet(self.declarations, merged, allow_outside_range=self.allow_outside_range)
        for name, value in overrides.items():
            name = PARAMETER_ALIASES.get(name, name)
            new._values[name] = new._check(name, value, source)
        return new

    def group(self, prefix: str) -> dict[str, float]:
        """Values whose name starts with `prefix.`, keyed by the rest of the name."""
        p = prefix + "."
        return {n[len(p):]: v for n, v in self._values.items() if n.startswith(p)}

    def changed(self) -> dict[str, float]:
        """The values that differ from their declared defaults."""
        return {n: v for n, v in self._values.items() if v != self.declarations[n].default}

    def __getitem__(self, name: str) -> float:
        try:
            return self._values[name]
        except KeyError:
            raise ParameterError("unknown parameter", field=name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)
