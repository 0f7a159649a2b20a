"""Results of a run (docs/model.md §12): tidy frames, the summary, writers and plots.

- `timeseries`: long table `date, quantity, geography, value` with the quantity names of observation files
  (docs/model.md §13): `daily_entries/<dest>`, `cum_entries/<dest>`, `daily_exits_back/<dest>`, `cum_exits_back/<dest>`,
  `abroad_stock/<dest>` and `/RU`, `men_abroad_stock/<dest>` and `/RU` (the men among them),
  `daily_departures/RU`, `cum_departures/RU`, `mobilised_cum/RU`,
  `summons_served/RU`, `queue_persons`, `queue_vehicles`, `queue_wait_hours` per `crossing:<id>`,
  `illegal_caught` and `illegal_turned_away` per illegal route's `crossing:<id>`, destination and `/RU`, and
  `illegal_through` (the share of attempts people see) per illegal route (only when the pack has illegal routes),
  `flight_price/<dest>` (the pack's currency), and more (see docs/outputs.md). Origin totals carry the pack's own
  code (`RU` for the russia pack, `pack.toml`), money its currency (`output_loss_*`: `MMK per day` for the myanmar
  pack). Folders written with the outputs' earlier names are read under today's (`units.RENAMED`).
  Economy (docs/model.md §10): `output_loss_pct/RU`, `output_loss_per_day/RU`, `output_loss_annualised/RU`,
  `workers_lost/RU` and `/<sector>`, `labour_shortage/RU`. Voice (docs/model.md §11): `protesters/RU` and
  `/<region>`, `detained/RU`, `detained_cum/RU`, `opposed_at_home/RU`, `opposed_abroad/RU`.
- `regions`: date × region: summoned, mobilised, left, abroad, returned, protesters, detained.
- `cells`: final count per (cell, state).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, economy, regional, voice
from .errors import DataError
from .outputs import atomic_folder, json_text
from .pack import DEFAULT_PACK
from .units import tidy_summary, tidy_values, with_units


@dataclass(repr=False)
class Results:
    """Frames and summary of one run."""

    scenario_name: str
    seed: int
    summary: dict
    timeseries: pd.DataFrame
    regions: pd.DataFrame
    cells: pd.DataFrame
    scenario_toml: str | None = None
    extra: dict = field(default_factory=dict)

    # -- construction -------------------------------------------------------------------------------------
    @classmethod
    def from_engine(cls, eng, wall_seconds: float) -> Results:
        """Collect an engine's records into frames and a summary."""
        rec, net, days = eng.rec, eng.net, pd.to_datetime(eng.days)
        rows: list[pd.DataFrame] = []

        def add(quantity: str, geography: list[str] | str, values: np.ndarray) -> None:
            values = np.asarray(values, dtype=float)
            if values.ndim == 1:
                values = values[:, None]
                geography = [geography] if isinstance(geography, str) else geography
            rows.append(pd.DataFrame({
                "date": np.repeat(days.values, values.shape[1]),
                "quantity": quantity,
                "geography": np.tile(np.asarray(geography, dtype=object), len(days)),
                "value": values.ravel(),
            }))

        dests = net.dest_ids
        origin = eng.pack.code  # the geography of origin totals
        bd = rec.by_dest
        add("daily_entries", dests, bd["entries"])
        add("cum_entries", dests, bd["entries"].cumsum(0))
        add("daily_exits_back", dests, bd["exits_back"])
        add("cum_exits_back", dests, bd["exits_back"].cumsum(0))
        add("net_stay", dests, (bd["entries"] - bd["exits_back"]).cumsum(0))
        add("abroad_stock", dests, bd["abroad"])
        add("men_abroad_stock", dests, bd["men_abroad"])  # men (from `exit.min_age`) among them
        add("travelling", dests, bd["travelling"])
        add("daily_left", dests, bd["left_by_dest"])
        left_daily = bd["left_by_dest"].sum(1)
        add("abroad_stock", origin, bd["abroad"].sum(1))
        add("men_abroad_stock", origin, bd["men_abroad"].sum(1))
        add("daily_departures", origin, left_daily)
        add("cum_departures", origin, left_daily.cumsum())
        add("mobilised_cum", origin, rec.states["mobilised"])
        add("summons_served", origin, rec.by_region["summoned"].sum(1))
        add("summons_cum", origin, rec.by_region["summoned"].sum(1).cumsum())
        for k in ("home", "summoned", "hiding", "returned", "queued", "en_route", "exempt", "visa_pending",
                  "visa_pending_trip", "conscripted"):
            add(f"state_{k}", origin, rec.states[k])
        for k, v in rec.scalar.items():
            add(k, origin, v)
        add("passport_holders", origin, rec.passport_holders)
        add("closure_perceived", origin, rec.closure)
        add("risk_mean_eligible_men", origin, rec.rho_mean_men)
        crossings = [f"crossing:{c}" for c in net.crossing_ids]
        add("queue_persons", crossings, rec.queue)
        add("queue_vehicles", crossings, rec.queue / eng.params["routes.persons_per_vehicle"])
        add("queue_wait_hours", crossings, rec.wait_days * 24.0)
        add("processed", crossings, rec.processed[:, : net.n_land])
        add("capacity", crossings, rec.capacity[:, : net.n_land])
        if net.n_illegal:  # people caught on, and turned away from, the illegal routes: by route, destination, in all
            illegal = np.flatnonzero(net.is_illegal)
            at = [f"crossing:{net.crossing_ids[r]}" for r in illegal]
            for name, counts in (("illegal_caught", rec.illegal_caught),
                                 ("illegal_turned_away", rec.illegal_turned_away)):
                add(name, at, counts)
                by_dest = np.zeros((len(days), net.n_dest))
                np.add.at(by_dest.T, net.dest[illegal], counts.T)
                add(name, dests, by_dest)
                add(name, origin, counts.sum(1))
            add("illegal_through", at, rec.illegal_through)
        air_dest = [net.dest_ids[net.dest[r]] for r in eng.routes.air_idx]
        add("flight_price", air_dest, rec.price)
        add("flight_demand", air_dest, rec.air_demand)
        add("flight_seats", air_dest, rec.capacity[:, eng.routes.air_idx])
        add("flights_boarded", air_dest, rec.processed[:, eng.routes.air_idx])
        econ_summary, econ = economy.summarise(eng, rec.labour_persons, rec.labour_units)
        for k in ("output_loss_pct", "output_loss_per_day", "output_loss_annualised", "workers_lost",
                  "labour_shortage"):
            add(k, origin, econ[k])
        add("workers_lost", eng.economy.sectors, rec.labour_persons)
        voice_summary, vo = voice.summarise(eng)
        region_ids = eng.pop.regions.region_id.to_numpy()
        add("protesters", origin, vo["protesters"].sum(1))
        add("protesters", list(region_ids), vo["protesters"])
        add("detained", origin, vo["detained"].sum(1))
        add("detained_cum", origin, vo["detained"].sum(1).cumsum())
        add("opposed_at_home", origin, vo["opposed_at_home"].sum(1))
        add("opposed_abroad", origin, eng.voice.abroad)
        ts = pd.concat(rows, ignore_index=True)

        reg = pd.DataFrame({
            "date": np.repeat(days.values, len(region_ids)),
            "region": np.tile(region_ids, len(days)),
            **{k: v.ravel() for k, v in rec.by_region.items()},
            "protesters": vo["protesters"].ravel(),
            "detained": vo["detained"].ravel(),
        })
        cellf = eng.pop.frame()
        names = eng.layout.names()
        nz = np.nonzero(eng.X)
        cells = cellf.iloc[nz[0]].reset_index(drop=True).assign(
            state=np.asarray(names, dtype=object)[nz[1]], count=eng.X[nz])

        mob, recruits = eng.callup.mobs, eng.callup.mobilised_by_policy
        # Targets of the simulated regions (the policy's own in a whole-country run; exitvoice.regional).
        targets = {id(p): round(eng.callup.targets[id(p)]) for p in mob}
        target = sum(targets.values())
        mobilised_total = int(rec.states["mobilised"][-1])
        quota = {}
        for p in mob:
            met = eng.callup.quota_met_day.get(id(p))
            quota[p.label or f"mobilisation from {p.start}"] = {
                "target": targets[id(p)],
                "mobilised": int(recruits[id(p)] / eng.scenario.population.scale),
                "quota_fill": recruits[id(p)] / max(1.0, targets[id(p)] * eng.scenario.population.scale),
                "days_to_fill": (met - p.start).days + 1 if met else None,
                "filled_on": met.isoformat() if met else None,
            }
        scale = eng.scenario.population.scale
        if net.n_illegal:
            totals_extra = {"illegal_caught": int(rec.illegal_caught.sum()),
                            "illegal_turned_away": int(rec.illegal_turned_away.sum())}
        else:
            totals_extra = {}
        summary = {
            "scenario": eng.scenario.name,
            "seed": eng.seed,
            "version": __version__,
            "country": eng.scenario.scenario.country,
            "currency": eng.pack.currency,  # the money of every amount of the run (`pack.toml` `currency`)
            "start": eng.days[0].isoformat(),
            "end": eng.days[-1].isoformat(),
            "days": len(eng.days),
            "population": int(eng.pop.total),
            "population_scale": scale,
            "coverage": regional.coverage_summary(eng.scenario),
            "totals": {
                "left": int(rec.by_dest["left_by_dest"].sum()),
                "abroad_at_end": int(rec.by_dest["abroad"][-1].sum()),
                "returned": int(rec.by_region["returned"].sum()),
                "mobilised": mobilised_total,
                "summons_served": int(rec.by_region["summoned"].sum()),
                "quota_target": target,
                "quota_fill": (mobilised_total / (target * scale)) if target else None,
                "trips_started": int(rec.scalar["trip_starts"].sum()),
                "passports_issued": int(rec.scalar["passports_issued"].sum()),
                "stopped_at_border": int(sum(rec.scalar[k].sum() for k in rec.scalar if k.startswith("stopped_"))),
                "summons_at_border": int(rec.scalar["summons_at_border"].sum()),
                "hiding_at_end": int(rec.states["hiding"][-1]),
                "peak_queue_wait_hours": float((rec.wait_days * 24).max()) if rec.wait_days.size else 0.0,
                "exempt_at_end": int(rec.states["exempt"][-1]),
                "visas_issued": int(rec.scalar["visas_issued"].sum()),
                "visa_pending_at_end": int(rec.states["visa_pending"][-1] + rec.states["visa_pending_trip"][-1]),
                "conscripted": int(rec.scalar["conscripted"].sum()),
                "output_loss_pct_end": econ_summary["output_loss_pct_end"],
                "output_loss_cumulative": econ_summary["output_loss_cumulative"],
                "workers_lost_end": econ_summary["workers_lost_end"],
                "protesters_peak": voice_summary["protesters_peak"],
                "detained": voice_summary["detained"],
                **totals_extra,
            },
            "economy": econ_summary,
            "voice": voice_summary,
            "left_by_destination": {d: int(v) for d, v in zip(dests, rec.by_dest["left_by_dest"].sum(0),
                                                               strict=True)},
            "quota": quota,
            "parameters_changed": eng.params.changed(),
            "warnings": eng.params.outside_range(),
            "cells": int(eng.pop.n_cells),
            "cell_state_entries": int(eng.X.size),
            "wall_seconds": round(wall_seconds, 3),
        }
        return cls(eng.scenario.name, eng.seed, summary, ts, reg, cells,
                   extra={"scenario": eng.scenario.model_dump(mode="json")})

    def __repr__(self) -> str:
        """A few lines: the run, what it covers, its headline numbers (as `exitvoice run` prints them), its tables."""
        from .units import headline_text

        s, tot = self.summary, self.summary.get("totals", {})
        scale = s.get("population_scale", 1.0)
        covers = (s.get("coverage") or {}).get("description") or ("the whole country" if scale == 1 else
                                                                   f"a {scale:g} sample")
        figures = headline_text(tot, scale, 1)
        if scale != 1:
            figures += (f" (counts scaled up by 1/{scale:g} to the whole population; .summary holds the sample's own: "
                        f"left {tot.get('left', 0):,})")
        return (f"<Results {self.scenario_name} · seed {self.seed} · {s.get('start')} to {s.get('end')} · {covers}\n"
                f"  {figures}\n"
                f"  .timeseries ({len(self.timeseries):,} rows), .regions, .cells, .summary, .series(quantity), "
                ".plot(), .write(out)>")

    # -- access ---------------------------------------------------------------------------------------------
    def series(self, quantity: str, geography: str | None = None) -> pd.Series:
        """One series as a date-indexed Series (by default the origin total: `RU` for the russia pack)."""
        ts = self.timeseries
        if geography is None:
            geography = origin_geography(ts)
        s = ts[(ts.quantity == quantity) & (ts.geography == geography)]
        return s.set_index("date").value.rename(f"{quantity}/{geography}")

    def plot(self, out_dir: str | Path | None = None):
        """Draw the standard plots; returns {name: Figure}, and writes PNGs when out_dir is given."""
        from .plots import standard_plots

        return standard_plots(self, out_dir)

    # -- writing --------------------------------------------------------------------------------------------
    def write(self, out: str | Path, *, force: bool = False, plots: bool = True) -> Path:
        """Write summary.json, timeseries.parquet, regions.parquet, cells.parquet and plots, atomically.

        Written people are whole numbers and the timeseries carries a `unit` column (see `exitvoice.units`).
        An existing folder `out` that exitvoice wrote is replaced only with `force=True`.
        """
        from .pack import load_pack

        currency = self.summary.get("currency") or load_pack(self.summary.get("country", DEFAULT_PACK)).currency
        with atomic_folder(out, force=force) as tmp:
            (tmp / "summary.json").write_text(json_text(tidy_summary(self.summary)))
            with_units(tidy_values(self.timeseries), currency).to_parquet(tmp / "timeseries.parquet", index=False)
            regions = self.regions.copy()
            for c in regions.columns.drop(["date", "region"]):
                regions[c] = regions[c].round().astype("int64")  # whole people (see exitvoice.units)
            regions.to_parquet(tmp / "regions.parquet", index=False)
            self.cells.to_parquet(tmp / "cells.parquet", index=False)
            if self.scenario_toml:
                (tmp / "scenario.toml").write_text(self.scenario_toml)
            if "scenario" in self.extra:  # the resolved scenario (extends followed), readable by compare
                (tmp / "scenario.json").write_text(json_text(self.extra["scenario"]))
            if plots:
                self.plot(tmp / "plots")
        return Path(out)


def comparable_summary(summary: dict) -> dict:
    """The parts of a summary that a fixed scenario and seed must reproduce exactly (no wall time).

    Counts are integers and compared exactly; derived real numbers (output loss, protesters) are rounded to 9
    significant digits, so that the last bits of a floating-point sum, which may differ between BLAS builds,
    do not count as a change of results.
    """
    keep = ("totals", "left_by_destination", "quota", "population", "cells")
    summary = dict(summary)
    for key in ("illegal_caught", "illegal_turned_away"):
        if summary.get("totals", {}).get(key) == 0:
            # no one caught on (or turned away from) an illegal route: the same result as a pack without illegal
            # routes, whose summaries have no such total (a pack that gains illegal routes no one is barred onto,
            # or whose routes take everyone who tries, compares equal to before)
            summary["totals"] = {k: v for k, v in summary["totals"].items() if k != key}

    def tidy(x):
        if isinstance(x, float):
            return float(f"{x:.9g}")
        if isinstance(x, dict):
            return {k: tidy(v) for k, v in x.items()}
        return x

    return tidy(json.loads(json.dumps({k: summary[k] for k in keep}, default=str)))


def origin_geography(ts: pd.DataFrame) -> str:
    """The geography of origin totals in a long timeseries (the pack's code: `RU`): that of `mobilised_cum`."""
    geos = ts.loc[ts.quantity == "mobilised_cum", "geography"].unique()
    if len(geos) != 1:
        raise DataError("not the timeseries of a run (no single mobilised_cum series)",
                        allowed="a timeseries written by `exitvoice run`")
    return str(geos[0])
