"""The route network (docs/model.md §8): routes, their destinations, distances, capacities, seats and normal fares.

A route is a land crossing (`land:<crossing>`, with a queue and a daily capacity in persons) or the flights to
a destination (`air:<destination>`, with daily seats and a load-driven fare). Distances run from each region's
administrative centre to the crossing, or to the nearest international airport open at the start (`crossings.csv`
`open`). Fares are in the pack's currency (`pack.toml`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError
from .pack import Pack
from .params import ParameterSet

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km (broadcasting)."""
    la1, lo1, la2, lo2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


@dataclass
class Network:
    """Static route data, one entry per route (land first, then air)."""

    route_ids: list[str]
    dest_ids: list[str]
    crossing_ids: list[str]  # of the land routes, in route order
    dest: np.ndarray  # destination index per route
    is_land: np.ndarray
    needs_passport: np.ndarray  # per destination
    log_access: np.ndarray  # per route: log share of people who may use it (Schengen visa, repatriation)
    dist_km: np.ndarray  # [region, route]
    capacity: np.ndarray  # persons/day for land routes, seats/day for air routes
    fare0: np.ndarray  # normal fare (the pack's currency) per route; 0 for land
    asc: np.ndarray  # alternative-specific constant per route
    max_stay_days: np.ndarray  # per destination; inf where no limit
    transit: np.ndarray  # per destination
    onward_entry: np.ndarray  # per destination: people abroad elsewhere may move on to it
    within_reach: np.ndarray  # per destination: within the reach of the origin's call-up (no refuge from it)
    baseline_entries: np.ndarray  # per destination, entries per day before the crisis (Monday to Friday)
    weekend_factor: np.ndarray  # per destination: ordinary trips on Saturdays and Sundays, × the weekday rate
    normal_traffic: np.ndarray  # per route: sourced normal two-way persons a day (NaN where unknown)
    is_illegal: np.ndarray = None  # type: ignore[assignment]  # per route: a crossing outside the official points
    capture: np.ndarray = None  # type: ignore[assignment]  # per route: probability of being caught (0: official)
    summons_caught: np.ndarray = None  # type: ignore[assignment]  # per route: caught, then served a summons

    def __post_init__(self) -> None:
        if self.is_illegal is None:
            self.is_illegal = np.zeros(len(self.route_ids), dtype=bool)
        for name in ("capture", "summons_caught"):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(len(self.route_ids)))

    @property
    def official(self) -> np.ndarray:
        """Routes through the official crossing points and airports (all but the illegal ones)."""
        return ~self.is_illegal

    @property
    def n_illegal(self) -> int:
        """Number of illegal routes (they follow the official land routes)."""
        return int(self.is_illegal.sum())

    @property
    def n_routes(self) -> int:
        """Number of routes."""
        return len(self.route_ids)

    @property
    def n_land(self) -> int:
        """Number of land routes (they come first)."""
        return int(self.is_land.sum())

    @property
    def n_dest(self) -> int:
        """Number of destinations."""
        return len(self.dest_ids)

    def route_index(self, name: str) -> int:
        """Index of a route given as `land:x`, `air:XX` or a bare crossing id."""
        if name in self.route_ids:
            return self.route_ids.index(name)
        if f"land:{name}" in self.route_ids:
            return self.route_ids.index(f"land:{name}")
        raise KeyError(name)

    def routes_mask(self, names: list[str] | None = None, destinations: list[str] | None = None) -> np.ndarray:
        """Boolean mask over routes: named routes/crossings, or all official routes to the named destinations.

        An illegal route is in the mask only when named: a rule of the crossing points does not reach it.
        """
        m = np.zeros(self.n_routes, dtype=bool)
        for n in names or []:
            m[self.route_index(n)] = True
        for d in destinations or []:
            m |= (self.dest == self.dest_ids.index(d)) & self.official
        return m


def _param_or_value(value: object, param: object, params: ParameterSet, what: str) -> float:
    if isinstance(param, str) and param:
        return float(params[param])
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise DataError(f"{what}: neither a value nor a parameter")
    return float(value)


def build_network(pack: Pack, params: ParameterSet, regions: pd.DataFrame, scale: float = 1.0) -> Network:
    """Routes of a pack with parameter values applied, for the given regions.

    `scale` (the population's sample fraction) scales capacities, seats and normal entries alike, so a sample
    run sees the same queues and loads as the whole population.
    """
    p = params.group("routes")
    routes = pack.routes.copy()
    routes["is_land"] = routes["mode"] == "land"
    routes = pd.concat([routes[routes.is_land], routes[~routes.is_land]], ignore_index=True)
    dests = pack.destinations.reset_index(drop=True)
    dest_ids = dests.destination.tolist()
    cross = pack.crossings.set_index("crossing_id")
    airports = pack.crossings[(pack.crossings["mode"] == "air") & pack.crossings["open"]]
    rlat, rlon = regions.lat.to_numpy()[:, None], regions.lon.to_numpy()[:, None]
    air_dist = haversine_km(rlat, rlon, airports.lat.to_numpy()[None], airports.lon.to_numpy()[None]).min(axis=1)

    n = len(routes)
    dist = np.zeros((len(regions), n))
    capacity = np.zeros(n)
    fare0 = np.zeros(n)
    fares = pack.fares.set_index("destination").fare
    for i, row in routes.iterrows():
        if row.is_land:
            c = cross.loc[row.crossing_id]
            dist[:, i] = haversine_km(rlat[:, 0], rlon[:, 0], c.lat, c.lon)
            if isinstance(row.capacity_param, str) and row.capacity_param:
                capacity[i] = params[row.capacity_param]
            else:
                capacity[i] = float(row.normal_persons_per_day) / 2 * p["surge_factor"]
        else:
            dist[:, i] = air_dist
            flights = _param_or_value(row.flights_per_day, row.flights_param, params, row.route_id)
            capacity[i] = flights * p["seats_per_flight"]
            if row.destination not in fares.index:
                raise DataError("no normal fare for an air route", file="fares.csv", field=row.destination)
            fare0[i] = fares[row.destination]
    dest = np.array([dest_ids.index(d) for d in routes.destination])
    access = np.ones(len(dests))
    for j, ap in enumerate(dests.access_param):
        if isinstance(ap, str) and ap:
            access[j] = params[ap]
    entries = np.array([params[name] for name in dests.entries_param], dtype=float)  # normal entries a day
    weekend = np.array([params[w] if isinstance(w, str) and w else 1.0 for w in dests.weekend_param], dtype=float)
    stay = dests.visa_free_days.to_numpy(dtype=float)
    net = Network(
        route_ids=routes.route_id.tolist(),
        dest_ids=dest_ids,
        crossing_ids=routes.crossing_id[routes.is_land].tolist(),
        dest=dest,
        is_land=routes.is_land.to_numpy(),
        needs_passport=(dests.needs_foreign_passport == "yes").to_numpy(),
        log_access=_log_access(access[dest]),
        dist_km=dist,
        capacity=capacity * scale,
        fare0=fare0,
        asc=np.where(routes.is_land, p["asc_land"], p["asc_air"]),
        max_stay_days=np.where(np.isnan(stay), np.inf, stay),
        transit=(dests.transit == "yes").to_numpy(),
        onward_entry=(dests.onward_entry == "yes").to_numpy(),
        within_reach=(dests.within_callup_reach == "yes").to_numpy(),
        baseline_entries=entries * scale,
        weekend_factor=weekend,
        normal_traffic=pd.to_numeric(routes.normal_persons_per_day, errors="coerce").to_numpy(dtype=float),
    )
    illegal = pack.illegal_routes
    if illegal is None or illegal.empty:
        return net
    return _with_illegal(net, illegal, params, regions, scale)


def _with_illegal(net: Network, illegal: pd.DataFrame, params: ParameterSet, regions: pd.DataFrame,
                  scale: float) -> Network:
    """The network with the pack's illegal routes (docs/routes.md) inserted after the official land routes.

    An illegal route is a land route with a crossing of its own (`crossing:<id>` in outputs): people reach it from
    their region's centre, pay its cost (the fare of the utility), are taken up to its daily capacity (no limit
    when none is declared; no queue: routes.py) and know its capture probability (log(1 − capture) in the utility,
    as an exit ban's enforcement).
    """
    k = len(illegal)
    at = net.n_land  # land routes come first, the illegal ones last among them

    def insert(official: np.ndarray, extra: np.ndarray, axis: int = 0) -> np.ndarray:
        return np.insert(official, [at] * k, extra, axis=axis)

    capture = np.array([params[c] for c in illegal.capture_param], dtype=float)
    cost = np.array([_param_or_value(v, c, params, rid) for v, c, rid in
                     zip(illegal.cost, illegal.cost_param, illegal.route_id, strict=True)])
    cap = np.array([params[c] if isinstance(c, str) and c else np.inf for c in illegal.capacity_param])
    summons = np.array([params[c] if isinstance(c, str) and c else 0.0 for c in illegal.summons_param])
    dest = np.array([net.dest_ids.index(d) for d in illegal.destination])
    dist = haversine_km(regions.lat.to_numpy()[:, None], regions.lon.to_numpy()[:, None],
                        illegal.lat.to_numpy(dtype=float)[None], illegal.lon.to_numpy(dtype=float)[None])
    ids = [r.split(":", 1)[1] for r in illegal.route_id]
    with np.errstate(divide="ignore"):
        known_risk = np.log1p(-capture)
    return Network(
        route_ids=net.route_ids[:at] + list(illegal.route_id) + net.route_ids[at:],
        dest_ids=net.dest_ids,
        crossing_ids=net.crossing_ids + ids,
        dest=insert(net.dest, dest),
        is_land=insert(net.is_land, np.ones(k, dtype=bool)),
        needs_passport=net.needs_passport,
        log_access=insert(net.log_access, known_risk),
        dist_km=insert(net.dist_km, dist, axis=1),
        capacity=insert(net.capacity, cap * scale),
        fare0=insert(net.fare0, cost),
        asc=insert(net.asc, np.full(k, params["routes.asc_land"])),
        max_stay_days=net.max_stay_days,
        transit=net.transit,
        onward_entry=net.onward_entry,
        within_reach=net.within_reach,
        baseline_entries=net.baseline_entries,
        weekend_factor=net.weekend_factor,
        normal_traffic=insert(net.normal_traffic, np.full(k, np.nan)),
        is_illegal=insert(net.is_illegal, np.ones(k, dtype=bool)),
        capture=insert(net.capture, capture),
        summons_caught=insert(net.summons_caught, summons),
    )


def _log_access(access: np.ndarray) -> np.ndarray:
    """The log of the share of people who may enter a destination; -inf (no one may) where the share is 0."""
    with np.errstate(divide="ignore"):
        return np.log(access)
