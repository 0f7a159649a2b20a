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

PRIORS = ("uniform", "loguniform", "fixed")


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
                                  spec["meaning"], spec["source"])
    return out


class ParameterSet(Mapping[str, float]):
    """Values of every declared parameter, defaults overridden by name."""

    def __init__(self, declarations: Mapping[str, Parameter], overrides: Mapping[str, float] | None = None,
                 *, source: str = "overrides") -> None:
        self.declarations = dict(declarations)
        self._values = {n: p.default for n, p in self.declarations.items()}
        for name, value in (overrides or {}).items():
            self._values[name] = self._check(name, value, source)

    def _check(self, name: str, value: object, source: str) -> float:
        if name not in self.declarations:
            close = [n for n in self.declarations if n.split(".")[-1] == name.split(".")[-1]]
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ParameterError(f"unknown parameter; {hint}see `exitvoice params` for the list", file=source,
                                 field=name, given=value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError("a parameter value must be a number", file=source, field=name, given=value)
        decl = self.declarations[name]
        # The declared range is the plausible one for calibration; values outside it are allowed only for
        # parameters whose physical domain is wider, so only impossible values are refused here.
        if decl.unit in ("share",) and not 0.0 <= value <= 1.0:
            raise ParameterError("a share must lie in [0, 1]", file=source, field=name, given=value,
                                 allowed="[0, 1]")
        if value < 0 and decl.low >= 0:
            raise ParameterError("this parameter cannot be negative", file=source, field=name, given=value,
                                 allowed=f"{decl.low} to {decl.high} (plausible range)")
        return value

    def with_overrides(self, overrides: Mapping[str, float], *, source: str = "overrides") -> ParameterSet:
        """A new set with more values overridden."""
        merged = {n: v for n, v in self._values.items() if v != self.declarations[n].default}
        new = ParameterSet(self.declarations, merged)
        for name, value in overrides.items():
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
