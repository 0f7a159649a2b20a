"""Observation files (docs/model.md §13): reading and checking.

Columns `date, quantity, geography, value, unit, since, kind, source, quote`; `quantity` one of
`QUANTITIES`; `geography` an ISO 3166-1 alpha-2 code (AB for Abkhazia), `RU` for origin totals, or
`crossing:<name>`; `since` the start of a cumulative figure (empty otherwise); `kind` official, estimate or
survey. Any file in this format can be read, not only the shipped ones; a bad row is an error naming the file,
the line and the field.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pandas as pd

from .errors import DataError

QUANTITIES = ("daily_entries", "cum_entries", "cum_exits_back", "net_stay", "daily_departures_ru",
              "cum_departures_ru", "abroad_stock", "mobilised_cum", "queue_vehicles", "queue_wait_hours",
              "flight_price", "detained_cum", "other")
KINDS = ("official", "estimate", "survey")
REQUIRED = ("date", "quantity", "geography", "value")
COLUMNS = ("date", "quantity", "geography", "value", "unit", "since", "kind", "source", "quote")
GEOGRAPHY = re.compile(r"^([A-Z]{2}|crossing:[a-z0-9_]+)$")


def pack_observations(country: str = "russia") -> Path:
    """The calibration observations shipped in a country pack."""
    return Path(str(resources.files("exitvoice") / "data" / country / "observations_2022.csv"))


def read_observations(path: str | Path) -> pd.DataFrame:
    """Read and check an observation file; returns a frame with parsed dates and the file line of each row."""
    path = Path(path)
    if not path.is_file():
        raise DataError("no such observation file", file=str(path))
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"not a readable CSV file: {exc}", file=str(path)) from None
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise DataError("missing columns", file=str(path), given=list(raw.columns), allowed=list(COLUMNS))
    for c in COLUMNS:
        if c not in raw.columns:
            raw[c] = ""
    rows = []
    for i, r in enumerate(raw.itertuples(index=False), start=2):  # line 1 is the header
        where = f"{path}, line {i}"

        def bad(field: str, msg: str, allowed: object = None, r=r, where=where) -> DataError:
            return DataError(msg, file=where, field=field, given=getattr(r, field), allowed=allowed)

        try:
            date = pd.Timestamp(r.date)
        except ValueError:
            raise bad("date", "not a date", "YYYY-MM-DD") from None
        if pd.isna(date):
            raise bad("date", "not a date", "YYYY-MM-DD")
        if r.quantity not in QUANTITIES:
            raise bad("quantity", "unknown quantity", list(QUANTITIES))
        if not GEOGRAPHY.match(r.geography):
            raise bad("geography", "not a geography", "ISO 3166-1 alpha-2, RU, or crossing:<name>")
        try:
            value = float(r.value)
        except ValueError:
            raise bad("value", "not a number") from None
        if value < 0:
            raise bad("value", "a negative observation", ">= 0")
        since = None
        if r.since.strip():
            try:
                since = pd.Timestamp(r.since)
            except ValueError:
                raise bad("since", "not a date", "YYYY-MM-DD or empty") from None
            if since > date:
                raise bad("since", f"after the row's date ({r.date})", f"<= {r.date}")
        if r.kind and r.kind not in KINDS:
            raise bad("kind", "unknown kind", list(KINDS))
        rows.append({"line": i, "date": date, "quantity": r.quantity, "geography": r.geography, "value": value,
                     "unit": r.unit, "since": since, "kind": r.kind or "estimate", "source": r.source})
    if not rows:
        raise DataError("no observations", file=str(path))
    return pd.DataFrame(rows)
