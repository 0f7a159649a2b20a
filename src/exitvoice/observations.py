"""Observation files (docs/model.md §13): reading and checking.

Columns `date, quantity, geography, value, unit, since, kind, source, quote`; `quantity` one of
`QUANTITIES`; `geography` an ISO 3166-1 alpha-2 code (AB for Abkhazia), `RU` for origin totals, or
`crossing:<name>`; `since` the start of a cumulative figure (empty otherwise); `kind` official, estimate or
survey. Any file in this format can be read, not only the shipped ones; a bad row is an error naming the file,
the line and the field.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from importlib import resources
from pathlib import Path

import pandas as pd

from .errors import DataError, ExitvoiceError
from .limits import MAX_TABLE_FILE_BYTES, check_input_file

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
    try:
        check_input_file(path, MAX_TABLE_FILE_BYTES, "observation file")
    except ExitvoiceError as exc:
        raise DataError(exc.message, file=exc.file, given=exc.given, allowed=exc.allowed) from None
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty", file=str(path), allowed=f"a CSV file with columns {list(COLUMNS)}"
                        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"not a readable CSV file: {exc}", file=str(path)) from None
    twice = duplicate_columns(path)
    if twice:
        raise DataError("a column is named twice in the header", file=str(path), field=twice[0], given=twice,
                        allowed="each column once")
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

        date = _date(r.date)
        if date is None:
            raise bad("date", "not a calendar date", "YYYY-MM-DD (no time, no time zone)")
        if r.quantity not in QUANTITIES:
            raise bad("quantity", "unknown quantity", list(QUANTITIES))
        if not GEOGRAPHY.match(r.geography):
            raise bad("geography", "not a geography", "ISO 3166-1 alpha-2, RU, or crossing:<name>")
        try:
            value = float(r.value)
        except ValueError:
            raise bad("value", "not a number") from None
        if not math.isfinite(value):
            raise bad("value", "not a finite number", "a number >= 0 (not nan or inf)")
        if value < 0:
            raise bad("value", "a negative observation", ">= 0")
        since = None
        if r.since.strip():
            since = _date(r.since)
            if since is None:
                raise bad("since", "not a calendar date", "YYYY-MM-DD (no time, no time zone) or empty")
            if since > date:
                raise bad("since", f"after the row's date ({r.date})", f"<= {r.date}")
        if r.kind and r.kind not in KINDS:
            raise bad("kind", "unknown kind", list(KINDS))
        rows.append({"line": i, "date": date, "quantity": r.quantity, "geography": r.geography, "value": value,
                     "unit": r.unit, "since": since, "kind": r.kind or "estimate", "source": r.source})
    if not rows:
        raise DataError("no observations (only a header)", file=str(path), allowed="at least one row")
    return pd.DataFrame(rows)


def duplicate_columns(path: str | Path) -> list[str]:
    """Column names a CSV file's header holds more than once (pandas would read them as `name.1`, `name.2`)."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        header = next(csv.reader(fh), [])
    names = [h.strip() for h in header]
    return sorted({n for n in names if names.count(n) > 1})


def _date(text: str) -> pd.Timestamp | None:
    """A calendar date `YYYY-MM-DD` as a midnight Timestamp; None for anything else (a time, a time zone, junk)."""
    try:
        d = dt.date.fromisoformat(text.strip())
    except ValueError:
        return None
    return pd.Timestamp(d.isoformat()) if len(text.strip()) == 10 else None
