"""Country packs: the sourced tables and parameter declarations shipped inside the package.

A pack is a folder `exitvoice/data/<country>/` with `regions.csv`, `age_sex.csv`, `crossings.csv`,
`routes.csv`, `destinations.csv`, `fares.csv` and `parameters.toml` (see docs/data.md for the columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from .errors import DataError
from .params import Parameter, load_declarations

REQUIRED = {
    "regions.csv": ["region_id", "name_en", "lat", "lon", "pop_total", "urban_share", "male_total",
                    "female_total", "male_20_49", "mean_income_rub", "war_deaths_per100k_men"],
    "age_sex.csv": ["age_lo", "age_hi", "male", "female", "source"],
    "crossings.csv": ["crossing_id", "destination", "mode", "lat", "lon", "region_id", "source"],
    "routes.csv": ["route_id", "destination", "mode", "crossing_id", "normal_persons_per_day",
                   "capacity_param", "flights_per_day", "flights_param", "source"],
    "destinations.csv": ["destination", "name", "needs_foreign_passport", "visa_free_days", "access_param",
                         "transit", "onward_entry", "within_callup_reach", "source"],
    "fares.csv": ["destination", "fare_rub", "source"],
}


@dataclass(frozen=True)
class Pack:
    """The tables of one country pack."""

    country: str
    path: Path
    regions: pd.DataFrame
    age_sex: pd.DataFrame
    crossings: pd.DataFrame
    routes: pd.DataFrame
    destinations: pd.DataFrame
    fares: pd.DataFrame
    declarations: dict[str, Parameter]

    @property
    def region_ids(self) -> list[str]:
        """Region codes in pack order."""
        return self.regions.region_id.tolist()

    @property
    def route_ids(self) -> list[str]:
        """Route ids (`land:<crossing>`, `air:<destination>`)."""
        return self.routes.route_id.tolist()

    @property
    def destination_ids(self) -> list[str]:
        """Destination codes (ISO 3166-1 alpha-2, or AB for Abkhazia)."""
        return self.destinations.destination.tolist()


def available_countries() -> list[str]:
    """Countries with a pack inside the package."""
    root = resources.files("exitvoice") / "data"
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "parameters.toml").is_file())


@cache
def load_pack(country: str = "russia") -> Pack:
    """Load and check a country pack (cached: packs are read-only)."""
    if country not in available_countries():
        raise DataError("no such country pack", field="scenario.country", given=country,
                        allowed=available_countries())
    path = Path(str(resources.files("exitvoice") / "data" / country))
    tables = {}
    for name, cols in REQUIRED.items():
        df = pd.read_csv(path / name, keep_default_na=True)
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise DataError(f"missing columns {missing}", file=str(path / name))
        tables[name.removesuffix(".csv")] = df
    dests = set(tables["destinations"].destination)
    bad = set(tables["routes"].destination) - dests
    if bad:
        raise DataError("routes to unknown destinations", file=str(path / "routes.csv"), given=sorted(bad))
    return Pack(country=country, path=path, declarations=load_declarations(path / "parameters.toml"), **tables)
