"""Shared parts of policies (docs/model.md §5): the population filter, the base class and the day's policy state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, Field, StringConstraints, model_validator

from ..fields import STRICT, Date, FieldError
from ..limits import MAX_CAPACITY_FACTOR, MAX_ROUTE_CAPACITY, MIN_DURATION_DAYS

if TYPE_CHECKING:
    from ..network import Network
    from ..params import ParameterSet
    from ..population import Population


ParamName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")]
"""The dotted name of a declared parameter, given where a policy field takes a number (`"events2022.x"`)."""
Share = Annotated[float, Field(ge=0, le=1)] | ParamName
"""A share or probability in [0, 1], or a declared parameter that holds one."""
CapacityFactor = Annotated[float, Field(ge=0, le=MAX_CAPACITY_FACTOR)] | ParamName
"""A multiplier of a route's capacity, at most `MAX_CAPACITY_FACTOR` (exitvoice.limits), or a parameter."""
RouteCapacity = Annotated[float, Field(ge=0, le=MAX_ROUTE_CAPACITY)] | ParamName
"""Persons or seats a day on a route, at most `MAX_ROUTE_CAPACITY` (exitvoice.limits), or a parameter."""
Duration = Annotated[float, Field(ge=MIN_DURATION_DAYS)] | ParamName
"""A duration in days, at least `MIN_DURATION_DAYS` (exitvoice.limits), or a parameter."""
BOUNDS = {"share": (0.0, 1.0), "factor": (0.0, MAX_CAPACITY_FACTOR), "capacity": (0.0, MAX_ROUTE_CAPACITY),
          "duration": (MIN_DURATION_DAYS, np.inf)}
"""What a field of each kind (`PolicyBase.numbers`) takes, and so what a parameter it names must hold."""
FiguresFor = Literal["country", "regions"]
"""Whom a policy's figures in persons are for: the whole `country` (a regional run takes the simulated regions'
share of them, docs/model.md "Regional runs"), or the simulated `regions` (used as given)."""


class Who(BaseModel):
    """A population filter: every field left out matches everyone; ages select whole bands inside the range."""

    model_config = STRICT
    sex: Literal["male", "female"] | None = None
    age_min: int | None = Field(None, ge=0, le=120)
    age_max: int | None = Field(None, ge=0, le=120)
    served: bool | None = None
    tertiary: bool | None = None
    passport: bool | None = None
    opposed: bool | None = None
    regions: list[str] | None = None
    callup_age: bool | None = None
    """Of call-up age under the pack's law (`pack.toml` `[callup]`: its sexes and ages), or not."""

    @model_validator(mode="after")
    def _ages_in_order(self) -> Who:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise FieldError("below age_min", field="age_max", given=self.age_max,
                               allowed=f"at least age_min ({self.age_min})")
        return self

    def mask(self, pop: Population) -> np.ndarray:
        """Cells that match."""
        return pop.select(**self.model_dump())


class PolicyBase(BaseModel):
    """A policy active from `start` to `end` (inclusive dates; no end = to the end of the run)."""

    model_config = STRICT
    signals_closure: ClassVar[bool] = False  # its start raises the perceived chance of closure (docs/model.md §7)
    # Fields that may name a declared parameter instead of a number, with the kind of number they hold: scenario
    # assumptions (an enforcement level, a rumour's credibility) then have a range and a source, and calibration,
    # ensembles and `--set` can vary them (docs/scenarios.md).
    numbers: ClassVar[dict[str, str]] = {}
    type: str
    label: str | None = None
    start: Date
    end: Date | None = None
    who: Who = Field(default_factory=Who)

    @model_validator(mode="after")
    def _dates_in_order(self) -> PolicyBase:
        if self.end is not None and self.end < self.start:
            raise FieldError("before start", field="end", given=self.end.isoformat(),
                               allowed=f"a date from start ({self.start}) on")
        return self

    def active(self, day: dt.date) -> bool:
        """Whether the policy is in force on this day."""
        return self.start <= day and (self.end is None or day <= self.end)

    def number(self, field: str, params: ParameterSet) -> float:
        """A numeric field's value: the number given, or the value of the parameter it names."""
        value = getattr(self, field)
        return float(params[value]) if isinstance(value, str) else value

    def parameter_refs(self) -> dict[str, str]:
        """Fields given as parameter names: field → parameter."""
        return {f: getattr(self, f) for f in self.numbers if isinstance(getattr(self, f), str)}

    def closure_signal(self) -> bool:
        """Whether its start raises the perceived chance that one's own exits close (docs/model.md §7).

        Only measures of the origin country that could trap a person signal: its exit bans and closures, summons at
        the border, exit visas. A foreign entry ban acts on its own routes only.
        """
        return self.signals_closure

    def signal_routes(self, ctx: PolicyContext) -> np.ndarray | None:
        """The routes whose closing its start signals (a mask over routes), None for all of them."""
        return None

    def signal_strength(self, ctx: PolicyContext) -> float:
        """How closed it leaves the routes it signals (1: shut; a partial measure less)."""
        return 1.0

    def region_names(self) -> list[str]:
        """Regions the policy names outside `who` (checked against the pack)."""
        return []

    def route_names(self) -> list[str]:
        """Routes or crossings the policy names (checked against the network when a run is set up)."""
        return []

    def destination_names(self) -> list[str]:
        """Destinations the policy names."""
        return []

    def apply(self, day: DayPolicy, ctx: PolicyContext) -> None:
        """Add this policy's effect on one day to the day's policy state."""
        raise NotImplementedError


@dataclass
class PolicyContext:
    """What a policy may read to express its effect."""

    pop: Population
    net: Network
    params: ParameterSet
    callup_age: np.ndarray  # mask: people of call-up age (the pack's [callup]; russia: men 18 to 55)


@dataclass
class RouteTerm:
    """An additive log-utility term on some routes for some cells (a closure is -inf)."""

    cells: np.ndarray
    add: np.ndarray  # per route


@dataclass
class Screen:
    """A check on people processed at some routes: with `prob`, a matching person is stopped.

    A stopped person goes home, or with `summons_prob` is served a summons on the spot.
    """

    cells: np.ndarray
    routes: np.ndarray
    prob: float
    summons_prob: float
    kind: str  # "exit_ban", "summons_at_border", "host_refusal"
    since: Date | None = None  # a check on the road: it stops only those who set out before this day


@dataclass
class DayPolicy:
    """Everything the active policies change on one day."""

    n_routes: int
    n_dest: int
    date: Date | None = None
    # closures, exit bans, border summons starting today, each as the share of the origin's exits it covers
    # (docs/model.md §7, C(t))
    closure_signals: list[float] = field(default_factory=list)
    mobilisations: list = field(default_factory=list)
    exit_visas: list = field(default_factory=list)
    contracts: list = field(default_factory=list)
    conscriptions: list = field(default_factory=list)
    risk_rumours: list = field(default_factory=list)  # (cells, strength) of general-mobilisation rumours
    closure_rumour: float = 0.0  # combined strength of closure rumours today
    route_terms: list[RouteTerm] = field(default_factory=list)
    screens: list[Screen] = field(default_factory=list)
    # closures that stop people on the road to a crossing as they arrive (docs/routes.md, "The road")
    road_checks: list[Screen] = field(default_factory=list)
    capacity_factor: np.ndarray = None  # type: ignore[assignment]
    capacity_set: np.ndarray = None  # type: ignore[assignment]
    max_stay_days: np.ndarray = None  # type: ignore[assignment]
    needs_passport: np.ndarray = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.capacity_factor = np.ones(self.n_routes)
        self.capacity_set = np.full(self.n_routes, np.nan)
        self.max_stay_days = np.full(self.n_dest, np.nan)
        self.needs_passport = np.full(self.n_dest, -1, dtype=np.int8)
