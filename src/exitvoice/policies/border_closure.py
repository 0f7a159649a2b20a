"""`border_closure`: routes vanish from the choice set of those the closure applies to."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import model_validator

from ..fields import FieldError
from .base import DayPolicy, PolicyBase, PolicyContext, RouteTerm, Screen, Share


class BorderClosure(PolicyBase):
    """Close `routes` (or every route to `destinations`) to `applies_to`.

    - `all`: closed to everyone matching `who`.
    - `tourists`: closed except to the share `routes.non_tourist_share` with other grounds (work, family,
      study): the route keeps log(share) of its utility, so its flow falls to that share. People know the rule:
      those without grounds do not try, so no one is turned back (the closure acts once, not twice).
    - `callup_age` (or its first name `callup_age_men`): closed to people of call-up age, whom the pack's call-up
      law reaches (`pack.toml` `[callup]`; the russia pack: men from 18 to `callup.age_max_senior_officers`).
    People already queued at a fully closed crossing are turned back (screened) when processed.

    `open_share` makes the closure partial: the routes stay open to that share of the people it applies to (a
    region letting in only the cars registered there, say), who know it, so the routes keep log(open_share) of
    their utility. It acts on the way to the crossing, not at it: those already queued go through. Its start
    signals a closure in proportion to what it shuts, 1 − open_share.

    `by` (required) says who closes: `origin` (the country people leave: its closure may trap them, so its start
    raises the perceived chance of closure, docs/model.md §7) or `destination` (a host refuses entry: it acts on
    its own routes only). It has no default: the same routes closed by one side or the other mean different
    things to those who might leave, and a foreign ban read as the origin's would wrongly signal a closure.
    """

    type: Literal["border_closure"]
    numbers: ClassVar[dict[str, str]] = {"open_share": "share"}
    routes: list[str] | None = None
    destinations: list[str] | None = None
    applies_to: Literal["all", "tourists", "callup_age", "callup_age_men"] = "all"
    by: Literal["origin", "destination"] | None = None
    open_share: Share | None = None

    @model_validator(mode="after")
    def _names_something(self) -> BorderClosure:
        if self.by is None:
            raise FieldError("a border_closure must say who closes", field="by", given="nothing",
                             allowed='"origin" (the country people leave: signals that its exits may close) or '
                                     '"destination" (a host refusing entry: acts on its own routes only)')
        if not self.routes and not self.destinations:
            raise FieldError("a border_closure needs `routes` or `destinations`", field="routes",
                               allowed="a list of routes or crossings, or `destinations`: a list of destinations")
        if self.open_share is not None and self.applies_to == "tourists":
            raise FieldError("`open_share` cannot be combined with applies_to = \"tourists\" (which keeps "
                             "`routes.non_tourist_share` open)", field="open_share", given=str(self.open_share),
                             allowed="no `open_share`, or applies_to = \"all\" or \"callup_age\"")
        return self

    def signal_strength(self, ctx: PolicyContext) -> float:
        """1 for a full closure; 1 − open_share for a partial one."""
        return 1.0 if self.open_share is None else 1.0 - self.number("open_share", ctx.params)

    def closure_signal(self) -> bool:
        """Only a closure by the origin country signals that one's own exits may close."""
        return self.by == "origin"

    def signal_routes(self, ctx: PolicyContext) -> np.ndarray | None:
        """The routes and destinations it closes."""
        return ctx.net.routes_mask(self.routes, self.destinations)

    def route_names(self) -> list[str]:
        """Routes named."""
        return self.routes or []

    def destination_names(self) -> list[str]:
        """Destinations named."""
        return self.destinations or []

    def apply(self, day: DayPolicy, ctx: PolicyContext) -> None:
        """Close the routes for the cells it applies to."""
        routes = ctx.net.routes_mask(self.routes, self.destinations)
        cells = self.who.mask(ctx.pop)
        if self.applies_to in ("callup_age", "callup_age_men"):
            cells &= ctx.callup_age
        if self.applies_to == "tourists" or self.open_share is not None:
            share = (ctx.params["routes.non_tourist_share"] if self.open_share is None
                     else self.number("open_share", ctx.params))
            with np.errstate(divide="ignore"):
                day.route_terms.append(RouteTerm(cells, np.where(routes, np.log(share), 0.0)))
            # Those already on the road when it came did not know: 1 − share of them are stopped as they arrive
            # (on the way for a region's restriction, refused at the border for a closure to tourists).
            day.road_checks.append(Screen(cells, routes, 1.0 - share, 0.0, "closure", since=self.start))
        else:
            day.route_terms.append(RouteTerm(cells, np.where(routes, -np.inf, 0.0)))
            day.screens.append(Screen(cells, routes, 1.0, 0.0, "closure"))
            day.road_checks.append(Screen(cells, routes, 1.0, 0.0, "closure", since=self.start))
