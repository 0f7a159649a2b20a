"""`rumour`: a rumour of border closure or of general mobilisation (docs/model.md §5, §7).

From `start`, a rumour of strength `R(t) = credibility · 2^(−(t − start) / half_life_days)` acts until `end`
(by default to the end of the run):
- `closure`: the perceived chance of closure becomes `1 − (1 − C(t)) · (1 − R(t))` ("now or never");
- `general_mobilisation`: men of call-up age matching `who` add `rumour.general_risk · R(t)` to their perceived
  risk ρ (clipped to 1).
A rumour with credibility 0 changes nothing.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from .base import DayPolicy, Duration, PolicyBase, PolicyContext, Share


class Rumour(PolicyBase):
    """A fading rumour that raises the perceived chance of closure or the perceived call-up risk."""

    type: Literal["rumour"]
    numbers: ClassVar[dict[str, str]] = {"credibility": "share", "half_life_days": "duration"}
    kind: Literal["closure", "general_mobilisation"]
    credibility: Share
    half_life_days: Duration

    def strength(self, day, params) -> float:
        """R(t) on a date."""
        return self.number("credibility", params) * 2.0 ** (-(day - self.start).days
                                                              / self.number("half_life_days", params))

    def apply(self, day: DayPolicy, ctx: PolicyContext) -> None:
        """Add today's strength to the closure term or to the risk of the targeted men."""
        r = self.strength(day.date, ctx.params)
        if r <= 0:
            return
        if self.kind == "closure":
            day.closure_rumour = 1.0 - (1.0 - day.closure_rumour) * (1.0 - r)
        else:
            day.risk_rumours.append((self.who.mask(ctx.pop) & ctx.callup_age, r))
