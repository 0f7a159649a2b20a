"""Policies (MODEL §5): one small class each, registered by the name used in `[[policy]]` tables."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import DayPolicy, PolicyBase, PolicyContext, RouteTerm, Screen, Who
from .border_closure import BorderClosure
from .capacity_change import CapacityChange
from .exit_ban import ExitBan
from .host_rule import HostRule
from .mobilisation import Eligibility, Mobilisation, eligibility_weights
from .summons_at_border import SummonsAtBorder

REGISTRY: dict[str, type[PolicyBase]] = {
    "mobilisation": Mobilisation,
    "exit_ban": ExitBan,
    "border_closure": BorderClosure,
    "summons_at_border": SummonsAtBorder,
    "capacity_change": CapacityChange,
    "host_rule": HostRule,
}

Policy = Annotated[
    Mobilisation | ExitBan | BorderClosure | SummonsAtBorder | CapacityChange | HostRule,
    Field(discriminator="type"),
]

__all__ = [
    "REGISTRY", "Policy", "PolicyBase", "PolicyContext", "DayPolicy", "RouteTerm", "Screen", "Who",
    "Mobilisation", "Eligibility", "eligibility_weights", "ExitBan", "BorderClosure", "SummonsAtBorder",
    "CapacityChange", "HostRule",
]
