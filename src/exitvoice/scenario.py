"""Scenario files (TOML) parsed into validated pydantic models: the only place that reads TOML scenarios.

```toml
[scenario]
name = "russia-2022"
country = "russia"    # a pack shipped with exitvoice; or pack = "path/to/pack" (a folder, relative to this file)
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
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from . import limits
from .errors import DataError, ExitvoiceError, ScenarioError
from .fields import STRICT, Date, FieldError, FiniteFloat
from .limits import (
    MAX_CAPACITY_FACTOR,
    MAX_PEOPLE,
    MAX_SCENARIO_DAYS,
    MAX_SCENARIO_FILE_BYTES,
    MAX_SEED,
    MIN_SIMULATED_PEOPLE,
    check_input_file,
    check_memory,
)
from .pack import DEFAULT_PACK, Pack, available_countries, load_pack
from .params import ParameterSet
from .policies import REGISTRY, Policy, Who

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
"""A scenario name is a slug: it names the default output folder `results/<name>`, so it holds no path."""


class ScenarioMeta(BaseModel):
    """The `[scenario]` table."""

    model_config = STRICT
    name: str = Field(pattern=NAME_PATTERN, max_length=100)
    description: str = ""
    country: str = Field(DEFAULT_PACK, min_length=1, max_length=4096)
    """The pack the scenario runs on: the name of a pack shipped with exitvoice, or (set from `pack`) a folder."""
    pack: str | None = Field(None, min_length=1, max_length=4096)
    """A pack folder outside the package (docs/packs.md); a relative path is relative to the scenario file that
    names it (to the working directory for a scenario given as a dict or by `--set`)."""
    start: Date
    end: Date
    seed: int | None = Field(None, ge=0, le=MAX_SEED)
    allow_outside_range: bool = False
    """Accept parameter values outside their declared range (warned in the summary); `--allow-outside-range`."""

    @model_validator(mode="after")
    def _pack_folder(self) -> ScenarioMeta:
        if self.pack is None:
            return self
        folder = str(Path(self.pack).expanduser().resolve())
        if "country" in self.model_fields_set and self.country not in (self.pack, folder):
            raise ValueError(f"give either country (a pack shipped with exitvoice, here {self.country!r}) or pack "
                             f"(a pack folder, here {self.pack!r}), not both")
        self.pack = self.country = folder
        return self

    @model_validator(mode="after")
    def _dates_in_order(self) -> ScenarioMeta:
        if self.end < self.start:
            raise FieldError("before start", field="end", given=self.end.isoformat(),
                               allowed=f"a date from start ({self.start}) on")
        days = (self.end - self.start).days + 1
        if days > MAX_SCENARIO_DAYS:
            raise FieldError("the scenario is too long", field="end", given=f"{days:,} days",
                               allowed=f"at most {MAX_SCENARIO_DAYS:,} days (20 years, "
                                       "exitvoice.limits.MAX_SCENARIO_DAYS)")
        return self


class PopulationOptions(BaseModel):
    """The `[population]` table."""

    model_config = STRICT
    scale_to_total: bool = True
    scale: FiniteFloat = Field(1.0, gt=0, le=1)
    regions: list[str] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _regions_once(self) -> PopulationOptions:
        seen: set[str] = set()
        for i, region in enumerate(self.regions or []):
            if region in seen:
                raise FieldError("a region named twice", field=f"regions[{i}]", given=region,
                                 allowed="each region once (a region's people are simulated once)")
            seen.add(region)
        return self


class Scenario(BaseModel):
    """A validated scenario: meta, population options, parameter overrides and the policy timeline."""

    model_config = STRICT
    scenario: ScenarioMeta
    population: PopulationOptions = Field(default_factory=PopulationOptions)
    parameters: dict[str, FiniteFloat] = Field(default_factory=dict)
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
    def from_toml(cls, path: str | Path, *, allow_outside_range: bool = False) -> Scenario:
        """Read and validate a scenario file (following `extends` to the scenario it builds on).

        `allow_outside_range` (`--allow-outside-range`) acts as `[scenario] allow_outside_range = true` in the file:
        every value checked against a declared range (`[parameters]`, `--set`, a policy field naming a parameter)
        may lie outside it.
        """
        return cls.from_dict(read_toml(path), source=str(path), allow_outside_range=allow_outside_range)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, source: str = "<scenario>",
                  allow_outside_range: bool = False) -> Scenario:
        """Validate a scenario given as a dict (as read from TOML); `allow_outside_range` as for `from_toml`."""
        raw = dict(raw)
        if allow_outside_range and isinstance(raw.get("scenario"), dict):
            raw["scenario"] = {**raw["scenario"], "allow_outside_range": True}
        try:
            raw["parameters"] = _flatten(raw.get("parameters", {}))
        except RecursionError:
            raise ScenarioError("parameter tables nested too deeply", file=source, field="parameters",
                                allowed='dotted names, e.g. "exit.beta_risk" = 60') from None
        policies = raw.get("policy", [])
        for i, pol in enumerate(policies if isinstance(policies, list) else []):
            if isinstance(pol, dict) and not (isinstance(pol.get("type"), str) and pol["type"] in REGISTRY):
                raise ScenarioError("unknown policy type" if "type" in pol else "required, but missing", file=source,
                                    field=f"policy[{i}].type",
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
        pack = self.load_pack(source)
        params = self.parameter_set(source=f"{source} [parameters]")
        from .policies.base import BOUNDS

        for i, pol in enumerate(self.policy):
            for field, name in pol.parameter_refs().items():
                where = f"policy[{i}] ({pol.type}).{field}"
                decl = pack.declarations.get(name)
                if decl is None:
                    raise ScenarioError("names no declared parameter", file=source, field=where, given=name,
                                        allowed="a number, or a declared parameter (`exitvoice params`)")
                lo, hi = BOUNDS[pol.numbers[field]]
                if decl.low < lo or decl.high > hi:
                    raise ScenarioError("the parameter's declared range does not fit this field", file=source,
                                        field=where, given=f"{name} in [{decl.low:g}, {decl.high:g}]",
                                        allowed=f"a parameter whose range lies in [{lo:g}, {hi:g}]")
                if not lo <= params[name] <= hi:  # outside its range (--allow-outside-range) and beyond the field's
                    raise ScenarioError("the parameter's value does not fit this field", file=source, field=where,
                                        given=f"{name} = {params[name]:g}", allowed=f"[{lo:g}, {hi:g}]")
        self._check_capacity_factors(params, source)
        regions = set(pack.region_ids)
        illegal = [] if pack.illegal_routes is None else pack.illegal_routes.route_id.tolist()  # `illegal:<id>`
        routes = (set(pack.route_ids) | {r.split(":", 1)[1] for r in pack.route_ids if r.startswith("land:")}
                  | set(illegal))
        dests = set(pack.destination_ids)
        if self.population.regions:
            bad = sorted(set(self.population.regions) - regions)
            if bad:
                raise ScenarioError("unknown regions", file=source, field="population.regions", given=bad,
                                    allowed="region_id codes of the pack's regions.csv (`exitvoice regions`)")
        self._check_size(params, source)
        simulated = set(self.population.regions or regions)
        for i, pol in enumerate(self.policy):
            where = f"policy[{i}] ({pol.type})"
            if getattr(pol, "allocation", None) == "burden" and not pack.callup_burden_given:
                raise ScenarioError("allocation \"burden\" needs the pack's call-up burden by region", file=source,
                                    field=f"{where}.allocation", given="burden",
                                    allowed="\"proportional\", or a pack whose regions.csv has callup_burden")
            bad = sorted(set(pol.region_names()) - regions)
            if bad:
                raise ScenarioError("unknown regions", file=source, field=f"{where}.regional_end", given=bad,
                                    allowed="region_id codes of the pack's regions.csv (`exitvoice regions`)")
            if pol.type == "mobilisation":
                classes = [c.name for c in pack.settings.callup.classes]
                bad = sorted(set(pol.class_names()) - set(classes))
                if bad:
                    raise ScenarioError("unknown eligibility classes", file=source, field=f"{where}.eligible",
                                        given=bad, allowed=f"the classes of the pack's call-up law {classes} "
                                        "(pack.toml [callup] classes)")
            for path, who in _whos(pol):
                if not who.regions:
                    continue
                bad = sorted(set(who.regions) - regions)
                if bad:
                    raise ScenarioError("unknown regions", file=source, field=f"{where}.{path}.regions", given=bad,
                                        allowed="region_id codes of the pack's regions.csv (`exitvoice regions`)")
                bad = sorted(set(who.regions) - simulated)
                if bad:
                    raise ScenarioError("regions not in the simulated population", file=source,
                                        field=f"{where}.{path}.regions", given=bad,
                                        allowed=f"the regions of population.regions: {sorted(simulated)}")
            bad = sorted(set(pol.route_names()) - routes)
            if bad:
                raise ScenarioError("unknown routes or crossings", file=source, field=where, given=bad,
                                    allowed=sorted(pack.route_ids) + sorted(illegal))
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
        try:
            check_memory(len(self.days))
        except ExitvoiceError as exc:
            raise ScenarioError(exc.message, file=source, field=exc.field, given=exc.given,
                                allowed=exc.allowed) from None

    def load_pack(self, source: str | None = None) -> Pack:
        """The scenario's country pack; a missing or broken pack is an error naming `scenario.country` or `.pack`."""
        meta = self.scenario
        field = "scenario.pack" if meta.pack is not None else "scenario.country"
        if meta.pack is None and meta.country not in available_countries():
            raise ScenarioError("no such country pack", file=source or self.source, field=field, given=meta.country,
                                allowed=f"{available_countries()}, or a pack folder: [scenario] pack = \"path\"")
        try:
            return load_pack(meta.country)
        except DataError as exc:
            broken = exc.message.startswith("the pack has")  # the message names the pack and its first problem
            raise ScenarioError(exc.message, file=source or self.source, field=field,
                                given=None if broken else exc.given or meta.pack or meta.country,
                                allowed=None if broken else exc.allowed) from None

    def _check_capacity_factors(self, params: ParameterSet, source: str) -> None:
        """The `capacity_change` factors in force on a route on one day multiply to at most `MAX_CAPACITY_FACTOR`."""
        changes: dict[str, list[tuple[int, Policy, float]]] = {}
        for i, pol in enumerate(self.policy):
            if pol.type == "capacity_change" and pol.factor is not None:
                route = pol.route.removeprefix("land:")
                changes.setdefault(route, []).append((i, pol, pol.number("factor", params)))
        end = self.scenario.end
        for route, items in changes.items():
            # the product changes only on a day a change starts or the day after one ends
            days = {max(p.start, self.scenario.start) for _, p, _ in items}
            days |= {p.end + dt.timedelta(days=1) for _, p, _ in items if p.end is not None and p.end < end}
            for day in sorted(d for d in days if self.scenario.start <= d <= end):
                active = [(i, f) for i, p, f in items if p.start <= day <= (p.end or end)]
                product = math.prod(f for _, f in active)
                if product > MAX_CAPACITY_FACTOR:
                    raise ScenarioError("the capacity factors in force on this route on the same day multiply to "
                                        "too much", file=source,
                                        field=f"policy[{active[-1][0]}] (capacity_change).factor",
                                        given=f"{product:g} on {route} on {day}",
                                        allowed=f"a product of at most {MAX_CAPACITY_FACTOR:g} "
                                                "(exitvoice.limits.MAX_CAPACITY_FACTOR)")

    def parameter_set(self, *, source: str | None = None) -> ParameterSet:
        """The pack's declared parameters with this scenario's overrides (checked against their ranges)."""
        return ParameterSet(load_pack(self.scenario.country).declarations, self.parameters,
                            source=source or f"{self.source or '<scenario>'} [parameters]",
                            allow_outside_range=self.scenario.allow_outside_range)

    def simulated_people(self, params: ParameterSet | None = None) -> float:
        """About how many people the run simulates (after `scale_to_total`, `regions` and `scale`)."""
        pack = load_pack(self.scenario.country)
        params = params or self.parameter_set()
        reg = pack.regions
        whole = float(params["population.total"]) if self.population.scale_to_total else float(reg.pop_total.sum())
        share = 1.0
        if self.population.regions:
            share = float(reg.pop_total[reg.region_id.isin(self.population.regions)].sum() / reg.pop_total.sum())
        return whole * share * self.population.scale

    def _check_size(self, params: ParameterSet, source: str) -> None:
        """The simulated population lies between `MIN_SIMULATED_PEOPLE` and `MAX_PEOPLE` (exitvoice.limits)."""
        people = self.simulated_people(params)
        field = "population.total" if self.population.scale_to_total else "population.scale"
        if people > MAX_PEOPLE:
            raise ScenarioError("the population is too large", file=source, field=field,
                                given=f"{people:.3g} people", allowed=f"at most {MAX_PEOPLE:,} (exitvoice.limits)")
        if people < MIN_SIMULATED_PEOPLE:
            raise ScenarioError("the simulated population is too small for the pack's shares", file=source,
                                field="population.scale", given=f"{people:.3g} people "
                                f"(scale {self.population.scale:g} of {self.population.regions or 'all regions'})",
                                allowed=f"at least {MIN_SIMULATED_PEOPLE:,} simulated people: a larger scale or "
                                        "more regions (exitvoice.limits.MIN_SIMULATED_PEOPLE)")

    def with_overrides(self, sets: dict[str, str], *, allow_outside_range: bool = False) -> Scenario:
        """Apply `--set NAME=VALUE` overrides (see `override_target` for how NAME is read).

        VALUE is read as a TOML value (`3.0`, `300000`, `"burden"`, `true`, `2022-10-01`); a bare word is text.
        A key of the `[population]` or `[scenario]` table (`population.scale`, `scenario.end`) that is not a declared
        parameter sets that key of the file.
        """
        data = self.model_dump(mode="json")
        if allow_outside_range:
            data["scenario"]["allow_outside_range"] = True
        given, sets = bool(sets), dict(sets)
        if "scenario.pack" in sets:  # first: the other names are read against the new pack
            folder = _pack_from_set(sets.pop("scenario.pack"))
            data["scenario"]["pack"] = data["scenario"]["country"] = folder
        declared = load_pack(data["scenario"]["country"]).declarations
        for key, text in sets.items():
            value = _parse_value(text)
            target = override_target(key, declared, {p["type"] for p in data["policy"]})
            if target[0] == "parameter":
                if isinstance(value, dict):  # else read as parameters named `<name>.<key>`, which misleads
                    raise ScenarioError("not a number", file="--set", field=key, given=text,
                                        allowed="a number such as 3 or 0.25")
                data["parameters"][target[1]] = value
                continue
            if target[0] == "table":  # a key of the file's [population] or [scenario] table
                data[target[1]][target[2]] = value
                continue
            _, ptype, path = target
            hits = [p for p in data["policy"] if p["type"] == ptype]
            if not hits:
                raise ScenarioError("the scenario has no policy of this type", file="--set", field=key, given=text,
                                    allowed=sorted({p["type"] for p in data["policy"]}) or "no policies")
            for p in hits:
                node = p
                for part in path[:-1]:
                    node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else None
                    if node is None:
                        raise ScenarioError("not a table of the policy", file="--set", field=key, given=text)
                node[path[-1]] = value
        source = self.source or "<scenario>"
        return Scenario.from_dict(data, source=f"{source} with --set" if given else source)


def _pack_from_set(text: str) -> str:
    """The pack folder of `--set scenario.pack=DIR` (relative to the working directory), checked.

    A ScenarioError names `--set`, the field, what was given and what is allowed when it is not a folder or the pack
    fails its check (with the pack's first problem, in its own file, line and field).
    """
    value = _parse_value(text)
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError("not a folder", file="--set", field="scenario.pack", given=text,
                            allowed="the path of a pack folder (docs/packs.md), relative to the working directory")
    folder = Path(value).expanduser().resolve()
    if not folder.is_dir():
        raise ScenarioError("no such pack folder", file="--set", field="scenario.pack", given=value,
                            allowed="the path of a pack folder (docs/packs.md), relative to the working directory")
    try:
        load_pack(str(folder))
    except DataError as exc:
        problems = exc.message.startswith("the pack has") and "problem" in exc.message  # names the first, in full
        raise ScenarioError(exc.message, file="--set", field="scenario.pack", given=value,
                            allowed=exc.allowed or (None if problems else "a pack folder that passes "
                                                    "`exitvoice pack check` (docs/packs.md)")) from None
    return str(folder)


def override_target(key: str, declared, policy_types: set[str]) -> tuple:
    """What a `--set` name refers to: ("parameter", name), ("policy", type, field path) or ("table", table, key).

    - `population.<key>` or `scenario.<key>` that is not a declared parameter (`population.total` is one): that
      key of the file's table (`population.scale`, `scenario.end`);
    - `policy.<type>.<field>` (or `<field>.<subfield>`): that field of every policy of that type;
    - `parameters.<group>.<name>`: that declared parameter;
    - `<group>.<name>`: a declared parameter; else, when `<group>` is a policy type, the shorthand for
      `policy.<group>.<name>` (`mobilisation.target`). A name that is both (a parameter `rumour.x` and a field
      `x` of rumour policies) is ambiguous and refused: write it in one of the two explicit forms.
    """
    parts = key.split(".")
    if key in FILE_ONLY:
        raise ScenarioError("cannot be set from the command line", file="--set", field=key,
                            allowed=FILE_ONLY[key])
    if parts[0] in TABLES and len(parts) == 2 and key not in declared and parts[1] in TABLES[parts[0]].model_fields:
        return ("table", parts[0], parts[1])
    if parts[0] == "policy":
        if len(parts) < 3 or parts[1] not in REGISTRY or not all(parts[2:]):
            raise ScenarioError("expected policy.<type>.<field>", file="--set", field=key,
                                allowed=f"policy types {sorted(REGISTRY)}")
        return ("policy", parts[1], parts[2:])
    if parts[0] == "parameters":
        name = ".".join(parts[1:])
        if name not in declared:
            raise ScenarioError("unknown parameter; see `exitvoice params` for the list", file="--set", field=key)
        return ("parameter", name)
    is_param = key in declared
    is_field = parts[0] in REGISTRY and len(parts) > 1 and parts[1] in REGISTRY[parts[0]].model_fields
    if is_param and is_field:
        raise ScenarioError("ambiguous: both a declared parameter and a policy field", file="--set", field=key,
                            allowed=f"parameters.{key} (the parameter) or policy.{key} (the field of every "
                                    f"{parts[0]} policy)")
    if is_param or parts[0] not in REGISTRY:
        return ("parameter", key)  # an unknown parameter is reported, with suggestions, by ParameterSet
    if len(parts) < 2 or not all(parts[1:]):
        raise ScenarioError("expected <type>.<field>", file="--set", field=key)
    return ("policy", parts[0], parts[1:])


TABLES = {"population": PopulationOptions, "scenario": ScenarioMeta}

FILE_ONLY = {
    "scenario.extends": "write `extends = \"base.toml\"` in the [scenario] table of a scenario file: the file it names "
                        "is read with the file, before any --set",
    "scenario.country": "write `country = \"...\"` in the [scenario] table of a scenario file: the file's "
                        "parameters, regions and routes are checked against its pack before any --set",
}
"""Keys of `[scenario]` that `--set` refuses: they say how the file itself is read (the scenario it builds on, the
pack its names belong to), so changing them after the file was read would leave a scenario checked against another
pack or base. `scenario.pack` is not among them: `--set scenario.pack=DIR` runs the scenario on a pack folder, and
the whole scenario is checked again against that pack (`Scenario.with_overrides`)."""


def _whos(model: BaseModel, prefix: str = "") -> list[tuple[str, Who]]:
    """Every population filter (`who`) in a policy, with its field path (`who`, `approval[0].who`)."""
    out = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for i, item in items:
            path = f"{prefix}{name}" + (f"[{i}]" if i is not None else "")
            if isinstance(item, Who):
                out.append((path, item))
            elif isinstance(item, BaseModel):
                out.extend(_whos(item, path + "."))
    return out


def read_toml(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A scenario file as a dict, with `[scenario] extends = "other.toml"` resolved.

    `extends` names another scenario file (relative to this one). This file builds on it: its `[scenario]` and
    `[population]` keys replace the base's (its `pack` or `country` replaces the base's pack, however named), its
    `[parameters]` are added to (and override) the base's, and its policies come after the base's. So a wave-2
    scenario replays 2022 by extending `russia-2022.toml`.
    """
    path = Path(path)
    try:
        check_input_file(path, MAX_SCENARIO_FILE_BYTES, "scenario file")
        with open(path, "rb") as fh:
            data = fh.read(MAX_SCENARIO_FILE_BYTES + 1)  # bounded, should the file grow after the check
        if len(data) > MAX_SCENARIO_FILE_BYTES:
            raise ExitvoiceError("the scenario file is too large", file=str(path),
                                 allowed=f"at most {MAX_SCENARIO_FILE_BYTES:,} bytes")
        text = data.decode("utf-8-sig")  # a byte-order mark (some Windows editors write one) is fine
        raw = tomllib.loads(text)
    except ExitvoiceError as exc:
        where = f"{_seen[-1]} [scenario].extends" if _seen else None
        raise ScenarioError(exc.message, file=exc.file, field=where, given=exc.given,
                            allowed=exc.allowed) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not a text file (not UTF-8: byte {exc.start})", file=str(path),
                            allowed="a TOML scenario file in UTF-8") from None
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror}", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", file=str(path)) from None
    except RecursionError:
        raise ScenarioError("tables or lists nested too deeply", file=str(path),
                            allowed="a scenario file as in docs/scenarios.md") from None
    meta = raw.get("scenario")
    if isinstance(meta, dict) and isinstance(meta.get("pack"), str) and meta["pack"]:
        meta["pack"] = str((path.parent / Path(meta["pack"]).expanduser()).resolve())  # relative to this file
    if not isinstance(meta, dict) or "extends" not in meta:
        return raw
    meta = dict(meta)
    base_name = meta.pop("extends")
    if not isinstance(base_name, str) or not base_name:
        raise ScenarioError("extends must name a scenario file", file=str(path), field="scenario.extends",
                            given=base_name, allowed="a path relative to this file, e.g. \"base.toml\"")
    base_path = (path.parent / base_name).resolve()
    if base_path in _seen or base_path == path.resolve():
        raise ScenarioError("scenarios extend each other in a cycle", file=str(path), field="scenario.extends",
                            given=base_name)
    base = read_toml(base_path, (*_seen, path.resolve()))
    out = dict(base)
    base_meta = dict(base.get("scenario", {}))
    if "pack" in meta:  # this file's pack replaces the base's pack or country (a shipped scenario on a user's pack)
        base_meta.pop("country", None)
    if "country" in meta:
        base_meta.pop("pack", None)
    out["scenario"] = {**base_meta, **meta}
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
    """The first problem pydantic found, in plain words: the file, the field, what was given, what is allowed.

    pydantic's own wording (`Value error, …`, `Input should be …`, the tags of union members such as
    `constrained-float`, class names) is not shown: a field that takes a number or a parameter's name (`Share`)
    fails once for each, and is reported once, for what the input looks like.
    """
    problems: dict[str, list[dict]] = {}
    for err in exc.errors():
        problems.setdefault(_field_path(err["loc"]), []).append(err)
    # a misspelt field first: it also makes the field it was meant to be "missing", which says less
    field, errors = next((kv for kv in problems.items() if any(e["type"] == "extra_forbidden" for e in kv[1])),
                         next(iter(problems.items())))
    err = _branch(errors)
    message, allowed = _plain(err)
    if err["type"] == "extra_forbidden":
        message, allowed = _unknown_field(err["loc"], problems)
    if len(errors) > 1 and any(_is_parameter_name_branch(e) for e in errors):  # a number or a parameter's name
        number = next(e for e in errors if not _is_parameter_name_branch(e))
        numbers = "a number" if number["type"] == "float_type" else _plain(number)[1]
        allowed = f"{numbers}, or {PARAMETER_NAME_ALLOWED}"
    given = None if err["type"] == "missing" else _shown(err.get("input"))
    if err["type"] == "missing" and isinstance(err["loc"][-1], int):  # an item of a fixed-length list (`ages`)
        field, given = _field_path(err["loc"][:-1]), _shown(err.get("input"))
    others = [f for f in problems if f != field]
    problem = (err.get("ctx") or {}).get("error")
    if isinstance(problem, FieldError):
        field = ".".join(x for x in (field, problem.field) if x)
        message, given, allowed = problem.message, problem.given, problem.allowed
    more = (f" (and {len(others)} more problem(s), at {', '.join(others[:3])}{', …' if len(others) > 3 else ''})"
            if others else "")
    return ScenarioError(message + more, file=source, field=field or None, given=given, allowed=allowed)


def _unknown_field(loc: tuple, problems: dict[str, list[dict]]) -> tuple[str, str | None]:
    """What to say of an unknown field: a close known name ("did you mean"), and the fields its table takes."""
    import difflib

    fields = _table_fields(loc[:-1])
    if fields is None:
        return "unknown field", None
    name = str(loc[-1])
    missing = {str(e["loc"][-1]) for errs in problems.values() for e in errs
               if e["type"] == "missing" and tuple(e["loc"][:-1]) == tuple(loc[:-1])}
    close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
    message = "unknown field"
    if close:
        message += f"; did you mean '{close[0]}'?" + (" (it is required, and missing)" if close[0] in missing else "")
    elif missing:
        message += f" (and required fields are missing: {', '.join(sorted(missing))})"
    return message, ", ".join(fields)


def _table_fields(loc: tuple) -> list[str] | None:
    """The fields of the table at `loc` (a pydantic location, e.g. ("policy", 0, "mobilisation", "who")), if known."""
    import types
    import typing

    def model_of(annotation) -> type[BaseModel] | None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
            for arg in typing.get_args(annotation):
                found = model_of(arg)
                if found is not None:
                    return found
        return None

    model: type[BaseModel] | None = Scenario
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        if part in REGISTRY and issubclass(REGISTRY[part], BaseModel) and part not in model.model_fields:
            model = REGISTRY[part]  # the discriminator tag pydantic inserts in a policy's location
            continue
        if _UNION_TAG.fullmatch(str(part)):
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        model = model_of(info.annotation)
    if model is None:
        return None
    return [name for name, info in model.model_fields.items() if not info.exclude]


_UNION_TAG = re.compile(r"(constrained-)?(float|int|str|bool|date|list|dict|tuple|none)|function-[a-z-]+\[.*\]")
"""The names pydantic gives the members of a union in an error's location (`enforcement.constrained-float`)."""

PARAMETER_NAME_ALLOWED = "the dotted name of a declared parameter (`exitvoice params`)"


def _field_path(loc: tuple) -> str:
    """An error's location as the user writes it: `policy[1].who.regions`, without pydantic's tags."""
    path: list[str] = []
    for part in loc:
        if isinstance(part, int):
            path[-1:] = [f"{path[-1]}[{part}]"] if path else [str(part)]
        elif part in REGISTRY and path and path[-1].startswith("policy["):
            continue  # the discriminator tag pydantic inserts
        elif _UNION_TAG.fullmatch(str(part)):
            continue
        else:
            path.append(str(part))
    return ".".join(path)


def _is_parameter_name_branch(err: dict) -> bool:
    """Whether `err` is the failure of the parameter-name member of a union (`Share`, `CapacityFactor`, …)."""
    return bool(err["loc"]) and err["loc"][-1] in ("str", "constrained-str")


def _branch(errors: list[dict]) -> dict:
    """Of the errors at one field (one per member of a union), the one that matches what was given."""
    given = errors[0].get("input")
    text = isinstance(given, str)
    for err in errors:
        if _is_parameter_name_branch(err) == text:
            return err
    return errors[0]


def _shown(value: object) -> object:
    """What was given, as the user wrote it: a date as a date; a whole table is not repeated."""
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return None
    return value


def _bound(value: float) -> str:
    """A bound as a person reads it (1,000; 0.001), with the limit of exitvoice.limits it is, if any."""
    text = f"{int(value):,}" if float(value).is_integer() and abs(value) < 1e16 else f"{value:g}"
    name = _NAMED_BOUNDS.get(value)
    return f"{text} (exitvoice.limits.{name})" if name else text


_NAMED_BOUNDS = {getattr(limits, name): name for name in (
    "MAX_PEOPLE", "MAX_SEED", "MAX_CAPACITY_FACTOR", "MAX_ROUTE_CAPACITY", "MAX_SUMMONS_PER_RECRUIT",
    "MIN_DURATION_DAYS")}
"""Field bounds that are limits of exitvoice.limits, by value: a message names the limit."""

_PLAIN = {  # pydantic's error type: (what is wrong, what is allowed)
    "missing": ("required, but missing", None),
    "extra_forbidden": ("unknown field", None),
    "int_type": ("not a whole number", "a whole number (not text, true/false or a decimal)"),
    "int_from_float": ("not a whole number", "a whole number"),
    "float_type": ("not a number", "a number (not text or true/false)"),
    "finite_number": ("not a finite number", "a finite number (not nan or inf)"),
    "bool_type": ("not true or false", "true or false"),
    "date_type": ("not a date", "a date, e.g. 2022-09-21 (no time, no time zone)"),
    "string_type": ("not text", "text in quotes"),
    "list_type": ("not a list", 'a list, e.g. ["A", "B"]'),
    "tuple_type": ("not a list", "a list, e.g. [18, 27]"),
    "dict_type": ("not a table", "a table"),
    "model_type": ("not a table", "a table"),
    "model_attributes_type": ("not a table", "a table"),
    "literal_error": ("not one of the allowed values", None),
}
_PATTERNS = {  # a text field's pattern: (what is wrong, what is allowed)
    NAME_PATTERN: ("not a scenario name", "lower-case letters, digits, '.', '_' and '-', from a letter or digit "
                                          "(it names the output folder results/<name>)"),
}


def _plain(err: dict) -> tuple[str, str | None]:
    """What is wrong and what is allowed, in plain words, for one pydantic error."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing" and err["loc"] and isinstance(err["loc"][-1], int):
        return "too few items", None  # an item of a fixed-length list (`ages = [18]`)
    if kind in _PLAIN:
        message, allowed = _PLAIN[kind]
        return message, str(ctx["expected"]) if "expected" in ctx else allowed
    if kind == "string_pattern_mismatch":
        if _is_parameter_name_branch(err):
            return "not a number, nor the dotted name of a declared parameter", None
        return _PATTERNS.get(ctx.get("pattern"), ("not in the expected form", f"text matching {ctx.get('pattern')}"))
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        return (f"too {'few' if kind == 'too_short' else 'many'} items",
                f"{'at least' if kind == 'too_short' else 'at most'} {n} item{'s' if n != 1 else ''}")
    if kind == "string_too_long":
        return "too long", f"at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return ("empty", "text, not empty") if n == 1 else ("too short", f"at least {n} characters")
    bounds = {"greater_than_equal": ("too small", "at least", "ge"), "greater_than": ("too small", "above", "gt"),
              "less_than_equal": ("too large", "at most", "le"), "less_than": ("too large", "below", "lt")}
    if kind in bounds:
        message, words, key = bounds[kind]
        return message, f"{words} {_bound(ctx[key])}"
    if kind == "value_error":
        return str(ctx.get("error", "not valid")), None
    for prefix, plain in (("int", "int_type"), ("float", "float_type"), ("bool", "bool_type"), ("date", "date_type"),
                          ("string", "string_type"), ("list", "list_type"), ("dict", "dict_type")):
        if kind.startswith(prefix):
            return _PLAIN[plain]
    return "not valid here", None
