"""`exit_ban`: people of the targeted group are refused at the border with probability `enforcement`."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np

from .base import DayPolicy, PolicyBase, PolicyContext, RouteTerm, Screen, Share


class ExitBan(PolicyBase):
    """Refuse exit to `who` at the listed crossings (all official routes, flights included, when none are listed).

    People know the ban: the routes' utility for them carries log(1 − enforcement), so with enforcement 1
    they have no route and do not try. Those who try are screened where they are processed; a refused man is
    served a summons on the spot with probability `summons_at_refusal`, else goes home.
    """

    type: Literal["exit_ban"]
    signals_closure: ClassVar[bool] = True
    numbers: ClassVar[dict[str, str]] = {"enforcement": "share", "summons_at_refusal": "share"}
    enforcement: Share
    crossings: list[str] | None = None
    summons_at_refusal: Share = 0.0

    def route_names(self) -> list[str]:
        """The crossings named."""
        return self.crossings or []

    def signal_routes(self, ctx: PolicyContext) -> np.ndarray | None:
        """The crossings named, or every route."""
        return ctx.net.routes_mask(self.crossings) if self.crossings else None

    def apply(self, day: DayPolicy, ctx: PolicyContext) -> None:
        """Add the known risk of refusal and the screen."""
        cells = self.who.mask(ctx.pop)
        routes = ctx.net.routes_mask(self.crossings) if self.crossings else ctx.net.official.copy()
        e = self.number("enforcement", ctx.params)
        add = np.where(routes, np.log1p(-e) if e < 1 else -np.inf, 0.0)
        day.route_terms.append(RouteTerm(cells, add))
        day.screens.append(Screen(cells, routes, e, self.number("summons_at_refusal", ctx.params), "exit_ban"))
