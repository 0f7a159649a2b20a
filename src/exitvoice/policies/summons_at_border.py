"""`summons_at_border`: people of call-up age processed at the listed crossings are served summons."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from .base import DayPolicy, PolicyBase, PolicyContext, RouteTerm, Screen, Share


class SummonsAtBorder(PolicyBase):
    """With `probability`, an eligible man processed at one of `crossings` is served a summons and sent back.

    Eligible means of call-up age (the pack's `[callup]`; the russia pack: men from 18 to
    `callup.age_max_senior_officers`) and matching `who`. They know it: the crossings carry log(1 − probability)
    in their utility.
    """

    type: Literal["summons_at_border"]
    signals_closure: ClassVar[bool] = True
    numbers: ClassVar[dict[str, str]] = {"probability": "share"}
    crossings: list[str] = Field(min_length=1)
    probability: Share

    def route_names(self) -> list[str]:
        """The crossings named."""
        return self.crossings

    def signal_routes(self, ctx: PolicyContext) -> np.ndarray | None:
        """The crossings named."""
        return ctx.net.routes_mask(self.crossings)

    def apply(self, day: DayPolicy, ctx: PolicyContext) -> None:
        """Add the known risk and the screen."""
        routes = ctx.net.routes_mask(self.crossings)
        cells = self.who.mask(ctx.pop) & ctx.callup_age
        prob = self.number("probability", ctx.params)
        add = np.where(routes, np.log1p(-prob) if prob < 1 else -np.inf, 0.0)
        day.route_terms.append(RouteTerm(cells, add))
        day.screens.append(Screen(cells, routes, prob, 1.0, "summons_at_border"))
