"""Strict field types for what a user writes: numbers are finite numbers, dates are calendar dates.

Every pydantic model of a scenario file uses `STRICT`: a number field refuses `true`, `"3"` and `"3000"` (no
silent conversion of booleans or text), `nan` and `±inf`; an integer field refuses `3.5` and `3.0`. A date field
takes a TOML date (`2022-09-21`) or the same date as ISO text (what `model_dump(mode="json")` writes, so a
scenario survives the round trip to worker processes), never a date-time, a time zone or a number.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, ConfigDict, Field

STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
"""Model configuration of every table of a scenario file."""


def _iso_date(value: Any) -> Any:
    """A `YYYY-MM-DD` text as a date; anything else is left for the strict date check (which refuses it)."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


Date = Annotated[dt.date, BeforeValidator(_iso_date)]
"""A calendar date (TOML `2022-09-21`, or the text "2022-09-21")."""

FiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A finite real number (an integer is accepted as one); never a boolean, a text, `nan` or `±inf`."""


def is_finite_number(value: object) -> bool:
    """Whether `value` is a real number a parameter may take: int or float (numpy's too), not bool, finite."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        return False
    return math.isfinite(float(value))


class FieldError(ValueError):
    """What a validator of a table found wrong with one of its fields (`field`, relative to the table).

    Raised inside a pydantic validator, it reaches the user as a `ScenarioError` naming that field, what was given
    and what is allowed, rather than the whole table.
    """

    def __init__(self, message: str, *, field: str | None = None, given: object = None,
                 allowed: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.given = given
        self.allowed = allowed
