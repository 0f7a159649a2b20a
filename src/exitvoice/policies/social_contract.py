"""`social_contract`: exemption from call-up in exchange for giving up foreign travel (docs/model.md §5).

Men of `who` (by default men of call-up age) at home, returned or hiding sign at the hazard `offer_rate · ρ ·
exp(−social.value_passport · [passport] − social.value_tertiary · [tertiary])`: in proportion to their perceived
call-up risk ρ (no one gives up travel to escape a call-up he does not fear), and the less the more foreign travel
is worth to them. `offer_rate` is the daily hazard of a man sure to be called (ρ = 1) for whom travel is worth
nothing. A signer moves to `exempt`: never summoned, never leaves, never travels, for the rest of the run (the
contract outlives the offer). With `passport_surrender` his foreign passport is taken (he moves to the cell without
one). The quota then has to be filled from those who did not sign.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from .base import DayPolicy, PolicyBase, PolicyContext


class SocialContract(PolicyBase):
    """Eligible men may sign away foreign travel for exemption from the call-up."""

    type: Literal["social_contract"]
    offer_rate: float = Field(gt=0, le=1, description="signing hazard per day at risk 1, before the value of travel")
    passport_surrender: bool = True

    def apply(self, day: DayPolicy, ctx: PolicyContext) -> None:
        """Register the offer; signing happens in the decisions process."""
        day.contracts.append(self)

    def eligible(self, ctx: PolicyContext) -> np.ndarray:
        """Cells offered the contract: `who` among men of call-up age."""
        return self.who.mask(ctx.pop) & ctx.callup_age
