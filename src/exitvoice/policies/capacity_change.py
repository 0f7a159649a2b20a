"""`capacity_change`: more or fewer lanes at a crossing, more or fewer flights on a route."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import model_validator

from ..fields import FieldError
from .base import CapacityFactor, DayPolicy, PolicyBase, PolicyContext, RouteCapacity


class CapacityChange(PolicyBase):
    """Multiply a route's daily capacity by `factor`, or set it to `capacity` (persons or seats per day).

    Factors of several changes in force on the same route on the same day multiply; each factor and their product
    are at most `MAX_CAPACITY_FACTOR`, a capacity at most `MAX_ROUTE_CAPACITY` (exitvoice.limits).
    """

    type: Literal["capacity_change"]
    numbers: ClassVar[dict[str, str]] = {"factor": "factor", "capacity": "capacity"}
    route: str
    factor: CapacityFactor | None = None
    capacity: RouteCapacity | None = None

    @model_validator(mode="after")
    def _one_of(self) -> CapacityChange:
        if (self.factor is None) == (self.capacity is None):
            raise FieldError("give exactly one of `factor` and `capacity`", field="factor",
                               given="both" if self.factor is not None else "neither",
                               allowed="`factor` (a multiplier) or `capacity` (persons or seats a day)")
        return self

    def route_names(self) -> list[str]:
        """The route named."""
        return [self.route]

    def apply(self, day: DayPolicy, ctx: PolicyContext) -> None:
        """Change the capacity."""
        i = ctx.net.route_index(self.route)
        if self.factor is not None:
            day.capacity_factor[i] *= self.number("factor", ctx.params)
        else:
            day.capacity_set[i] = self.number("capacity", ctx.params)
