"""Observation files (docs/model.md §13, docs/validation.md): reading and checking.

Columns `date, quantity, geography, value, unit, since, kind, source, quote`; `quantity` one of `QUANTITIES` (the
country-neutral vocabulary; the old names of `ALIASES`, such as `cum_departures_ru`, are read as their new name);
`geography` an ISO 3166-1 alpha-2 code (a destination, AB for Abkhazia, or the pack's own code for origin totals,
e.g. `RU`), or `crossing:<name>`; `since` the start of a cumulative figure (empty otherwise); `kind` official,
estimate or survey. Any file in this format can be read, not only the shipped ones; a bad row is an error naming
the file, the line and the field.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd

from .errors import DataError, ExitvoiceError
from .limits import MAX_TABLE_FILE_BYTES, check_input_file
from .pack import DEFAULT_PACK
from .units import RENAMED

QUANTITIES = ("daily_entries", "monthly_entries", "cum_entries", "cum_exits_back", "net_stay", "daily_departures",
              "cum_departures", "abroad_stock", "men_abroad_stock", "mobilised_cum", "queue_vehicles",
              "queue_wait_hours", "flight_price", "detained_cum", "illegal_crossings_caught", "other")
"""The observation vocabulary; docs/validation.md gives each one's matching rule."""
ALIASES = {old: new for old, new in RENAMED.items() if new in QUANTITIES}
"""Older names still read, as the quantity they stand for (`cum_departures_ru`: the files of the first, Russian,
case use them; `units.RENAMED`)."""
NO_SINCE = ("monthly_entries",)
"""Quantities whose window is fixed by the row's date (a calendar month), so `since` must be empty."""
KINDS = ("official", "estimate", "survey")
REQUIRED = ("date", "quantity", "geography", "value")
COLUMNS = ("date", "quantity", "geography", "value", "unit", "since", "kind", "source", "quote")
GEOGRAPHY = re.compile(r"^([A-Z]{2}|crossing:[a-z0-9_]+)$")


def canonical_quantity(name: str) -> str:
    """The vocabulary's name of a quantity (`cum_departures_ru` → `cum_departures`); other names unchanged."""
    return ALIASES.get(name, name)


def pack_observations(country: str = DEFAULT_PACK) -> Path:
    """The calibration observations of a country pack (`observations` in its pack.toml)."""
    from .pack import load_pack

    pack = load_pack(country)
    name = pack.settings.pack.observations
    if name is None:
        raise DataError("the pack has no calibration observations", file=str(pack.path / "pack.toml"),
                        field="pack.observations", allowed="give an observation file with --observations")
    return pack.path / name


def read_observations(path: str | Path) -> pd.DataFrame:
    """Read and check an observation file; returns a frame with parsed dates and the file line of each row.

    The first bad row is an error naming the file, the line and the field (`read_rows` lists them all).
    """
    rows, problems = read_rows(path)
    if problems:
        raise problems[0]
    return pd.DataFrame(rows)


def read_rows(path: str | Path) -> tuple[list[dict], list[DataError]]:
    """The good rows of an observation file and every problem found (none for a good file)."""
    path = Path(path)
    try:
        check_input_file(path, MAX_TABLE_FILE_BYTES, "observation file")
    except ExitvoiceError as exc:
        return [], [DataError(exc.message, file=exc.file, given=exc.given, allowed=exc.allowed)]
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        return [], [DataError("the file is empty", file=str(path),
                              allowed=f"a CSV file with columns {list(COLUMNS)}")]
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        return [], [DataError(f"not a readable CSV file: {exc}", file=str(path))]
    twice = duplicate_columns(path)
    if twice:
        return [], [DataError("a column is named twice in the header", file=str(path), field=twice[0], given=twice,
                              allowed="each column once")]
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        return [], [DataError("missing columns", file=str(path), given=list(raw.columns), allowed=list(COLUMNS))]
    for c in COLUMNS:
        if c not in raw.columns:
            raw[c] = ""
    rows, problems = [], []
    for i, r in enumerate(raw[list(COLUMNS)].itertuples(index=False), start=2):  # line 1 is the header
        row, problem = _row(r, f"{path}, line {i}")
        if problem is not None:
            problems.append(problem)
        else:
            rows.append({"line": i, **row})
    if not rows and not problems:
        problems.append(DataError("no observations (only a header)", file=str(path), allowed="at least one row"))
    return rows, problems


def _row(r, where: str) -> tuple[dict | None, DataError | None]:
    """One row read and checked: (the row, None) or (None, its first problem)."""

    def bad(field: str, msg: str, allowed: object = None) -> tuple[None, DataError]:
        return None, DataError(msg, file=where, field=field, given=getattr(r, field), allowed=allowed)

    date = _date(r.date)
    if date is None:
        return bad("date", "not a calendar date", "YYYY-MM-DD (no time, no time zone)")
    quantity = canonical_quantity(r.quantity)
    if quantity not in QUANTITIES:
        return bad("quantity", "unknown quantity", f"{list(QUANTITIES)} (or the older names {list(ALIASES)})")
    if not GEOGRAPHY.match(r.geography):
        return bad("geography", "not a geography",
                   "an ISO 3166-1 alpha-2 code (a destination, or the origin's own code, the pack's `code`, for origin "
                   "totals) or crossing:<name>")
    try:
        value = float(r.value)
    except ValueError:
        return bad("value", "not a number")
    if not math.isfinite(value):
        return bad("value", "not a finite number", "a number >= 0 (not nan or inf)")
    if value < 0:
        return bad("value", "a negative observation", ">= 0")
    since = None
    if r.since.strip():
        if quantity in NO_SINCE:
            return bad("since", f"{quantity} counts the calendar month of its date; `since` must be empty",
                       "empty")
        since = _date(r.since)
        if since is None:
            return bad("since", "not a calendar date", "YYYY-MM-DD (no time, no time zone) or empty")
        if since > date:
            return bad("since", f"after the row's date ({r.date})", f"<= {r.date}")
    if r.kind and r.kind not in KINDS:
        return bad("kind", "unknown kind", list(KINDS))
    return {"date": date, "quantity": quantity, "geography": r.geography, "value": value, "unit": r.unit,
            "since": since, "kind": r.kind or "estimate", "source": r.source}, None


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
