"""Scenario files (TOML) parsed into validated pydantic models: the only place that reads TOML scenarios.

```toml
[scenario]
name = "russia-2022"
country = "russia"
start = 2022-09-14
end = 2022-12-31

[population]          # optional
scale_to_total = true

[parameters]          # optional overrides of declared parameters, by dotted name
"exit.beta_risk" = 60.0

[[policy]]
type = "mobilisation"
start = 2022-09-21
target = 300000
```
Every error names the file, the field, what was given and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ScenarioError
from .pack import available_countries, load_pack
from .params import ParameterSet
from .policies import REGISTRY, Policy

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
"""A scenario name is a slug: it names the default output folder `results/<name>`, so it holds no path."""


class ScenarioMeta(BaseModel):
    """The `[scenario]` table."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME_PATTERN, max_length=100)
    description: str = ""
    country: str = "russia"
    start: dt.date
    end: dt.date
    seed: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _dates_in_order(self) -> ScenarioMeta:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class PopulationOptions(BaseModel):
    """The `[population]` table."""

    model_config = ConfigDict(extra="forbid")
    scale_to_total: bool = True
    scale: float = Field(1.0, gt=0, le=1)
    regions: list[str] | None = None


class Scenario(BaseModel):
    """A validated scenario: meta, population options, parameter overrides and the policy timeline."""

    model_config = ConfigDict(extra="forbid")
    scenario: ScenarioMeta
    population: PopulationOptions = Field(default_factory=PopulationOptions)
    parameters: dict[str, float] = Field(default_factory=dict)
    policy: list[Policy] = Field(default_factory=list)
    source: str | None = Field(None, exclude=True)

    @property
    def name(self) -> str:
        """Scenario name."""
        return self.scenario.name

    @property
    def days(self) -> list[dt.date]:
        """Every simulated date, start to end inclusive."""
        n = (self.scenario.end - self.scenario.start).days + 1
        return [self.scenario.start + dt.timedelta(days=i) for i in range(n)]

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Read and validate a scenario file (following `extends` to the scenario it builds on)."""
        return cls.from_dict(read_toml(path), source=str(path))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, source: str = "<scenario>") -> Scenario:
        """Validate a scenario given as a dict (as read from TOML)."""
        raw = dict(raw)
        raw["parameters"] = _flatten(raw.get("parameters", {}))
        for i, pol in enumerate(raw.get("policy", []) or []):
            if isinstance(pol, dict) and pol.get("type") not in REGISTRY:
                raise ScenarioError("unknown policy type", file=source, field=f"policy[{i}].type",
                                    given=pol.get("type"), allowed=sorted(REGISTRY))
        try:
            sc = cls.model_validate(raw)
        except ValidationError as exc:
            raise _scenario_error(exc, source) from None
        sc.source = source
        sc.check(source)
        return sc

    def check(self, source: str | None = None) -> None:
        """Check names against the country pack: parameters, regions, routes, destinations, dates."""
        source = source or self.source or "<scenario>"
        if self.scenario.country not in available_countries():
            raise ScenarioError("no such country pack", file=source, field="scenario.country",
                                given=self.scenario.country, allowed=available_countries())
        pack = load_pack(self.scenario.country)
        ParameterSet(pack.declarations, self.parameters, source=f"{source} [parameters]")
        regions = set(pack.region_ids)
        routes = set(pack.route_ids) | {r.split(":", 1)[1] for r in pack.route_ids if r.startswith("land:")}
        dests = set(pack.destination_ids)
        if self.population.regions:
            bad = sorted(set(self.population.regions) - regions)
            if bad:
                raise ScenarioError("unknown regions", file=source, field="population.regions", given=bad,
                                    allowed="region_id codes of the pack's regions.csv (`exitvoice regions`)")
        for i, pol in enumerate(self.policy):
            where = f"policy[{i}] ({pol.type})"
            if pol.who.regions:
                bad = sorted(set(pol.who.regions) - regions)
                if bad:
                    raise ScenarioError("unknown regions", file=source, field=f"{where}.who.regions", given=bad,
                                        allowed="region_id codes of the pack's regions.csv (`exitvoice regions`)")
            bad = sorted(set(pol.route_names()) - routes)
            if bad:
                raise ScenarioError("unknown routes or crossings", file=source, field=where, given=bad,
                                    allowed=sorted(pack.route_ids))
            bad = sorted(set(pol.destination_names()) - dests)
            if bad:
                raise ScenarioError("unknown destinations", file=source, field=where, given=bad,
                                    allowed=sorted(dests))
            if pol.start > self.scenario.end or (pol.end and pol.end < self.scenario.start):
                raise ScenarioError("policy lies wholly outside the scenario's dates", file=source,
                                    field=f"{where}.start", given=f"{pol.start}..{pol.end}",
                                    allowed=f"{self.scenario.start}..{self.scenario.end}")

        visas = [(i, p) for i, p in enumerate(self.policy) if p.type == "exit_visa"]
        for a, (i, p) in enumerate(visas):
            for j, q in visas[a + 1:]:
                if p.start <= (q.end or self.scenario.end) and q.start <= (p.end or self.scenario.end):
                    raise ScenarioError("two exit_visa policies are in force on the same days", file=source,
                                        field=f"policy[{j}] (exit_visa).start", given=f"{q.start}..{q.end}",
                                        allowed=f"dates outside policy[{i}]'s {p.start}..{p.end}")

    def with_overrides(self, sets: dict[str, str]) -> Scenario:
        """Apply `--set name=value` overrides.

        A name is a parameter (`exit.beta_risk`), `<policy type>.<field>` (every such policy), or a key of the
        `[population]` or `[scenario]` table (`population.scale`, `scenario.end`); the result is validated again.
        """
        data = self.model_dump(mode="json")
        for key, text in sets.items():
            value = _parse_value(text)
            head, _, field = key.partition(".")
            if head in ("population", "scenario") and field:  # a table of the file: `population.scale=0.01`
                data[head][field] = value
            elif head in REGISTRY:
                hits = [p for p in data["policy"] if p["type"] == head]
                if not hits:
                    raise ScenarioError("the scenario has no policy of this type", file="--set", field=key,
                                        given=text, allowed=sorted({p["type"] for p in data["policy"]}))
                for p in hits:
                    p[field] = value
            else:
                data["parameters"][key] = value
        return Scenario.from_dict(data, source=f"{self.source or '<scenario>'} with --set")


def read_toml(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A scenario file as a dict, with `[scenario] extends = "other.toml"` resolved.

    `extends` names another scenario file (relative to this one). This file builds on it: its `[scenario]` and
    `[population]` keys replace the base's, its `[parameters]` are added to (and override) the base's, and its
    policies come after the base's. So a wave-2 scenario replays 2022 by extending `russia-2022.toml`.
    """
    path = Path(path)
    if not path.is_file():
        where = f"{_seen[-1]} [scenario].extends" if _seen else None
        raise ScenarioError("no such scenario file", file=str(path), field=where)
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", file=str(path)) from None
    meta = raw.get("scenario")
    if not isinstance(meta, dict) or "extends" not in meta:
        return raw
    meta = dict(meta)
    base_name = meta.pop("extends")
    if not isinstance(base_name, str) or not base_name:
        raise ScenarioError("extends must name a scenario file", file=str(path), field="scenario.extends",
                            given=base_name, allowed="a path relative to this file, e.g. \"russia-2022.toml\"")
    base_path = (path.parent / base_name).resolve()
    if base_path in _seen or base_path == path.resolve():
        raise ScenarioError("scenarios extend each other in a cycle", file=str(path), field="scenario.extends",
                            given=base_name)
    base = read_toml(base_path, (*_seen, path.resolve()))
    out = dict(base)
    out["scenario"] = {**base.get("scenario", {}), **meta}
    out["population"] = {**base.get("population", {}), **raw.get("population", {})}
    out["parameters"] = {**_flatten(base.get("parameters", {})), **_flatten(raw.get("parameters", {}))}
    out["policy"] = list(base.get("policy", [])) + list(raw.get("policy", []))
    for k in raw:
        if k not in out:
            out[k] = raw[k]  # unknown tables are reported by validation
    return out


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _flatten(d: Any, prefix: str = "") -> Any:
    """Nested `[parameters.exit] beta_risk = 1` and quoted `"exit.beta_risk" = 1` both become dotted keys."""
    if not isinstance(d, dict):
        return d
    out: dict[str, Any] = {}
    for k, v in d.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, name + "."))
        else:
            out[name] = v
    return out


def _scenario_error(exc: ValidationError, source: str) -> ScenarioError:
    err = exc.errors()[0]
    loc = []
    for part in err["loc"]:
        if isinstance(part, int):
            loc[-1:] = [f"{loc[-1]}[{part}]"] if loc else [str(part)]
        elif part in REGISTRY and loc and loc[-1].startswith("policy["):
            continue  # the discriminator tag pydantic inserts
        else:
            loc.append(str(part))
    field = ".".join(loc) or None
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
    more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
    return ScenarioError(msg + more, file=source, field=field, given=err.get("input"),
                         allowed=_allowed(err))


def _allowed(err: dict) -> str | None:
    ctx = err.get("ctx") or {}
    if "expected" in ctx:
        return str(ctx["expected"])
    if "pattern" in ctx:
        return f"text matching {ctx['pattern']}"
    for k in ("ge", "gt", "le", "lt"):
        if k in ctx:
            return {"ge": ">= ", "gt": "> ", "le": "<= ", "lt": "< "}[k] + str(ctx[k])
    return None
