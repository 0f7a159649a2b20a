"""`host_rule`: rules of a destination: length of stay, passport requirement, refusals at entry."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from .base import DayPolicy, PolicyBase, PolicyContext, RouteTerm, Screen, Share


class HostRule(PolicyBase):
    """Change a destination's rules while active.

    - `max_stay_days`: the allowed stay; when it runs out a leaver does a visa run (exit and re-entry) with
      probability `abroad.visa_run_share`, else comes home (docs/model.md §9). 0 means no limit.
    - `needs_foreign_passport`: whether an internal passport is enough.
    - `entry_refusal`: share refused at entry (known in advance: log(1 − refusal) in the route utility).
    """

    type: Literal["host_rule"]
    numbers: ClassVar[dict[str, str]] = {"entry_refusal": "share"}
    destination: str
    max_stay_days: int | None = Field(None, ge=0)
    needs_foreign_passport: bool | None = None
    entry_refusal: Share | None = None

    def destination_names(self) -> list[str]:
        """The destination named."""
        return [self.destination]

    def apply(self, day: DayPolicy, ctx: PolicyContext) -> None:
        """Set the destination's rules."""
        j = ctx.net.dest_ids.index(self.destination)
        if self.max_stay_days is not None:
            day.max_stay_days[j] = np.inf if self.max_stay_days == 0 else self.max_stay_days
        if self.needs_foreign_passport is not None:
            day.needs_passport[j] = int(self.needs_foreign_passport)
        r = self.number("entry_refusal", ctx.params) if self.entry_refusal is not None else 0.0
        if r:
            routes = (ctx.net.dest == j) & ctx.net.official  # an illegal crossing avoids the entry points
            cells = self.who.mask(ctx.pop)
            day.route_terms.append(RouteTerm(cells, np.where(routes, np.log1p(-r) if r < 1 else -np.inf, 0.0)))
            day.screens.append(Screen(cells, routes, r, 0.0, "host_refusal"))
