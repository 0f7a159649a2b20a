"""Policies (docs/model.md §5): one small class each, registered by the name used in `[[policy]]` tables."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import DayPolicy, PolicyBase, PolicyContext, RouteTerm, Screen, Who
from .border_closure import BorderClosure
from .capacity_change import CapacityChange
from .exit_ban import ExitBan
from .exit_visa import Approval, ExitVisa
from .host_rule import HostRule
from .mobilisation import ClassChange, Mobilisation, eligibility_weights
from .regular_conscription import RegularConscription
from .rumour import Rumour
from .social_contract import SocialContract
from .summons_at_border import SummonsAtBorder

REGISTRY: dict[str, type[PolicyBase]] = {
    "mobilisation": Mobilisation,
    "exit_ban": ExitBan,
    "border_closure": BorderClosure,
    "summons_at_border": SummonsAtBorder,
    "capacity_change": CapacityChange,
    "host_rule": HostRule,
    "exit_visa": ExitVisa,
    "social_contract": SocialContract,
    "rumour": Rumour,
    "regular_conscription": RegularConscription,
}

Policy = Annotated[
    Mobilisation | ExitBan | BorderClosure | SummonsAtBorder | CapacityChange | HostRule | ExitVisa | SocialContract
    | Rumour | RegularConscription,
    Field(discriminator="type"),
]

__all__ = [
    "REGISTRY", "Policy", "PolicyBase", "PolicyContext", "DayPolicy", "RouteTerm", "Screen", "Who",
    "Mobilisation", "ClassChange", "eligibility_weights", "ExitBan", "BorderClosure", "SummonsAtBorder",
    "CapacityChange", "HostRule", "ExitVisa", "Approval", "SocialContract", "Rumour", "RegularConscription",
]
