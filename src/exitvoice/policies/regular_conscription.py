"""`regular_conscription`: the ordinary spring or autumn draft (docs/model.md §5).

Between `start` and `end` (a campaign: both are required), `intake` men are drafted, the same number each day,
from men of `ages` who have not served, at home or returned, matching `who`; each is taken with the same
probability (an age band partly inside `ages` counts with the share of its years inside). Conscripts move to
`conscripted` and stay there for the run (service lasts 12 months; runs are shorter). The draft is a call-up
risk too: a man of the drafted group adds `risk.alpha_conscription · q · H` to his perceived risk, q being
today's draft probability per man and H the risk horizon. `intake` is for the whole country: a regional run drafts
the simulated regions' share of it (their share of the unserved men of `ages`), unless `figures_for = "regions"`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ..fields import FieldError
from ..limits import MAX_PEOPLE
from .base import DayPolicy, FiguresFor, PolicyBase, PolicyContext


class RegularConscription(PolicyBase):
    """Draft `intake` unserved men of `ages` over the campaign from `start` to `end`."""

    type: Literal["regular_conscription"]
    intake: int = Field(gt=0, le=MAX_PEOPLE)
    figures_for: FiguresFor = "country"
    ages: tuple[int, int] = Field((18, 27), strict=False)  # a TOML list [18, 27]; its items stay strict ints

    @model_validator(mode="after")
    def _campaign(self) -> RegularConscription:
        if self.end is None:
            raise FieldError("a conscription campaign needs an end date", field="end",
                               allowed="a date from start on")
        if not 18 <= self.ages[0] <= self.ages[1] <= 60:
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
        """Draft weight of every cell: the share of its age band within `ages`, for unserved men matching `who`."""
        pop = ctx.pop
        lo, hi = pop.age_lo, np.minimum(pop.age_hi, 120)
        inside = np.clip(np.minimum(hi, self.ages[1]) - np.maximum(lo, self.ages[0]) + 1, 0, None)
        share = inside / (hi - lo + 1)
        return np.where((pop.sex == 0) & (pop.served == 0) & self.who.mask(pop), share, 0.0)
