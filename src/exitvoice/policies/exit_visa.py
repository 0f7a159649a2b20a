"""`exit_visa`: every departure of the targeted group needs a permit (docs/model.md §5).

People of `who` who decide to leave (or to travel, when `trips` is on) apply and wait in `visa_pending`
(`visa_pending_trip`). Applications are ready after `processing_days`; the office decides on at most
`daily_capacity` ready applications a day, at random among them. An applicant is approved with the probability
of the first `approval` rule whose `who` matches, else `default_approval`. Approved applicants leave by the route
they choose that day (a permit is valid for that day: one who finds no seat on a flight applies again); refused
ones go home, where they can be summoned, and a refused man of call-up age is served a summons on the spot with
probability `summons_at_refusal`. People waiting for a visa can be summoned too: they are at home.
`daily_capacity` is the whole country's: a regional run's office decides on the simulated regions' share of it
(their share of the people of `who`), unless `figures_for = "regions"`.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, Field

from ..fields import STRICT
from ..limits import MAX_PEOPLE
from .base import DayPolicy, FiguresFor, PolicyBase, PolicyContext, Who


class Approval(BaseModel):
    """Approval probability for a group."""

    model_config = STRICT
    who: Who = Field(default_factory=Who)
    probability: float = Field(ge=0, le=1)


class ExitVisa(PolicyBase):
    """Departures of `who` need an exit visa: a queue with a daily capacity, a delay and an approval rate."""

    type: Literal["exit_visa"]
    signals_closure: ClassVar[bool] = True
    daily_capacity: int = Field(gt=0, le=MAX_PEOPLE,
                                description="applications decided per day (whole population)")
    figures_for: FiguresFor = "country"
    processing_days: int = Field(7, ge=0, le=365)
    approval: list[Approval] = Field(default_factory=list)
    default_approval: float = Field(1.0, ge=0, le=1)
    trips: bool = True
    summons_at_refusal: float = Field(0.0, ge=0, le=1)

    def apply(self, day: DayPolicy, ctx: PolicyContext) -> None:
        """Register the requirement; the visa office is run by the decisions process."""
        day.exit_visas.append(self)

    def targeted(self, ctx: PolicyContext) -> np.ndarray:
        """Cells whose departures need a visa."""
        return self.who.mask(ctx.pop)

    def approval_prob(self, ctx: PolicyContext) -> np.ndarray:
        """Approval probability of every cell (the first matching rule, else the default)."""
        prob = np.full(ctx.pop.n_cells, self.default_approval)
        done = np.zeros(ctx.pop.n_cells, dtype=bool)
        for rule in self.approval:
            m = rule.who.mask(ctx.pop) & ~done
            prob[m] = rule.probability
            done |= m
        return prob
