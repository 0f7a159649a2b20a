"""`regular_conscription`: the ordinary spring or autumn draft (docs/model.md §5).

Between `start` and `end` (a campaign: both are required), `intake` people are drafted, the same number each day,
from those of the draft's sexes and of `ages` who have not served, at home or returned, matching `who`; each is
taken with the same probability (an age band partly inside `ages` counts with the share of its years inside). The
draft's sexes are the pack's (`pack.toml` `[callup] draft`: the russia pack's takes men, the myanmar pack's men and
women); a campaign without `ages` takes the pack's `draft.ages`, or else the ages the law reaches, by sex.
Conscripts move to `conscripted` and stay there for the run (service lasts 12 months; runs are shorter). The draft
is a call-up risk too: a person of the drafted group adds `risk.alpha_conscription · q · H` to their perceived
risk, q being today's draft probability per person and H the risk horizon. `intake` is for the whole country: a
regional run drafts the simulated regions' share of it (their share of the unserved of `ages`), unless
`figures_for = "regions"`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ..fields import FieldError
from ..limits import MAX_PEOPLE
from .base import DayPolicy, FiguresFor, PolicyBase, PolicyContext


class RegularConscription(PolicyBase):
    """Draft `intake` unserved people of the draft's sexes and `ages` over the campaign from `start` to `end`."""

    type: Literal["regular_conscription"]
    intake: int = Field(gt=0, le=MAX_PEOPLE)
    figures_for: FiguresFor = "country"
    ages: tuple[int, int] | None = Field(None, strict=False)  # a TOML list [18, 27]; its items stay strict ints
    """First and last age drafted; left out: the pack's `[callup] draft.ages`, else the ages the law reaches."""

    @model_validator(mode="after")
    def _campaign(self) -> RegularConscription:
        if self.end is None:
            raise FieldError("a conscription campaign needs an end date", field="end",
                               allowed="a date from start on")
        if self.ages is not None and not 18 <= self.ages[0] <= self.ages[1] <= 60:
            raise FieldError("not an age range within 18 to 60", field="ages", given=list(self.ages),
                               allowed="[youngest, oldest] within 18 to 60, e.g. [18, 27]")
        return self

    @property
    def n_days(self) -> int:
        """Days in the campaign."""
        return (self.end - self.start).days + 1

    def apply(self, day: DayPolicy, ctx: PolicyContext) -> None:
        """Register the campaign; the draft is run by the call-up process."""
        day.conscriptions.append(self)

    def eligible(self, ctx: PolicyContext) -> np.ndarray:
        """Draft weight of every cell: the share of its age band within the campaign's ages.

        For the unserved of the draft's sexes matching `who`; none in a population built by hand, which has no law.
        """
        from ..population import FEMALE, MALE, law_ages

        pop = ctx.pop
        if pop.law is None:
            return np.zeros(pop.n_cells)
        rule = pop.law.draft_rule()
        lo, hi = pop.age_lo, np.minimum(pop.age_hi, 120)
        by_law = law_ages(pop.law, ctx.params)
        share = np.zeros(pop.n_cells)
        for sex in rule.sexes:
            code = MALE if sex == "men" else FEMALE
            if self.ages is not None:
                first, last = self.ages
            elif rule.ages is not None:
                first, last = (float(ctx.params[a]) if isinstance(a, str) else a for a in rule.ages)
            else:
                first, last = by_law[code]
            inside = np.clip(np.minimum(hi, last) - np.maximum(lo, first) + 1, 0, None)
            share = np.where(pop.sex == code, inside / (hi - lo + 1), share)
        return np.where((pop.served == 0) & self.who.mask(pop), share, 0.0)
