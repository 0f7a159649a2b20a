"""`capacity_change`: more or fewer lanes at a crossing, more or fewer flights on a route."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from ..limits import MAX_PEOPLE
from .base import DayPolicy, NonNegative, ParamName, PolicyBase, PolicyContext


class CapacityChange(PolicyBase):
    """Multiply a route's daily capacity by `factor`, or set it to `capacity` (persons or seats per day)."""

    type: Literal["capacity_change"]
    numbers: ClassVar[dict[str, str]] = {"factor": "non_negative", "capacity": "non_negative"}
    route: str
    factor: NonNegative | None = None
    capacity: Annotated[float, Field(ge=0, le=MAX_PEOPLE)] | ParamName | None = None

    @model_validator(mode="after")
    def _one_of(self) -> CapacityChange:
        if (self.factor is None) == (self.capacity is None):
            raise ValueError("give exactly one of `factor` and `capacity`")
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
