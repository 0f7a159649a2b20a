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


@dataclass(frozen=True)
class Parameter:
    """One declared parameter."""

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

    def outer_bounds(self) -> tuple[float, float]:
        """How far `--allow-outside-range` reaches: `OUTSIDE_RANGE_WIDTHS` widths of the range beyond each end."""
        width = (self.high - self.low) or abs(self.high) or 1.0
        return self.low - OUTSIDE_RANGE_WIDTHS * width, self.high + OUTSIDE_RANGE_WIDTHS * width

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
            out[name] = Parameter(name, spec["default"], spec["unit"], low, high, spec["prior"],
                                  spec["meaning"], spec["source"], bool(spec.get("positive", False)))
    return out


class ParameterSet(Mapping[str, float]):
    """Values of every declared parameter, defaults overridden by name.

    An override must be a finite number (not a boolean, a text, `nan` or `±inf`) inside the parameter's declared
    range `[low, high]`. With `allow_outside_range`, a value outside the range is accepted (and listed by
    `outside_range()`, which a run's summary reports as warnings) as long as it is possible at all: a share lies
    in [0, 1], a parameter whose range is not negative is not negative, and one declared `positive` (a duration,
    a half-life, a divisor) stays above 0, at `POSITIVE_FLOOR_SHARE` of its range's low end at least.
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
        declared = f"[{decl.low:g}, {decl.high:g}] {decl.unit}"
        if decl.low <= value <= decl.high:
            return value
        if not self.allow_outside_range:
            raise ParameterError("outside the parameter's declared range", file=source, field=name, given=value,
                                 allowed=f"{declared} (or run with --allow-outside-range)")
        if decl.unit == "share" and not 0.0 <= value <= 1.0:
            raise ParameterError("a share must lie in [0, 1]", file=source, field=name, given=value,
                                 allowed="[0, 1]")
        if value < 0 <= decl.low:
            raise ParameterError("this parameter cannot be negative", file=source, field=name, given=value,
                                 allowed=f">= 0 (declared range {declared})")
        if value <= 0 and decl.positive:
            raise ParameterError("this parameter must be above 0", file=source, field=name, given=value,
                                 allowed=f"> 0 (declared range {declared})")
        if decl.positive and value < POSITIVE_FLOOR_SHARE * decl.low:
            floor = POSITIVE_FLOOR_SHARE * decl.low
            raise ParameterError("too close to 0, even with --allow-outside-range", file=source, field=name,
                                 given=value, allowed=f">= {floor:g} ({POSITIVE_FLOOR_SHARE:g} of the low end of the "
                                 f"declared range {declared}, exitvoice.limits.POSITIVE_FLOOR_SHARE)")
        lo, hi = decl.outer_bounds()
        if not lo <= value <= hi:
            raise ParameterError("too far outside the parameter's declared range, even with --allow-outside-range",
                                 file=source, field=name, given=value,
                                 allowed=f"[{lo:g}, {hi:g}] ({OUTSIDE_RANGE_WIDTHS} widths of the declared range "
                                         f"{declared}, exitvoice.limits.OUTSIDE_RANGE_WIDTHS)")
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
