"""Routes, crossings, flights (docs/model.md §8).

Route choice given exit is a nested logit (docs/routes.md): the destination d, then the route r to it.
Utility of route r for a person of cell i:
`V_ir = ASC_mode + log(access_r) − γ_dist·dist/1000 − γ_price·price_r/income − γ_wait·wait_r`,
−∞ where the route is closed to the person (no foreign passport where one is needed, a closure, an exit ban with
enforcement 1). With the nest scale λ (`routes.nest_scale`), the inclusive value of destination d is
`IV_id = log Σ_{r→d} exp(V_ir/λ)` and its utility `U_id = ASC_d + γ_diaspora·log(1 + stock_d/K) + λ·IV_id`;
P(d) = softmax_d(U_id), P(r | d) = exp(V_ir/λ − IV_id). So a destination with many crossings is not favoured for
their number. Once a call-up is announced, men of call-up age take `exit.reach_penalty` off the utility of the
destinations within the call-up's reach (`within_callup_reach` in destinations.csv: Belarus, Abkhazia): they are no
refuge from what these men flee; they also value a long legal stay, and take `exit.stay_weight · log(min(stay_d,
H) / H)` off a destination whose visa-free stay stay_d (destinations.csv `visa_free_days`) falls short of the
horizon H (`exit.stay_horizon_days`): a man fleeing a call-up of unknown length needs months, not a tourist's
month. The destination constants ASC_d are estimated when a run is set up, so that
the destination shares of the pre-crisis leavers equal the shares of each destination in the pre-crisis entries
(`trips.entries_*`).
The upper log-sum without the diaspora term, `LS_i = log Σ_d exp(ASC_d + λ·IV_id)`, feeds accessibility, against
its pre-crisis value `LS0_i` computed the same way (the pull of leavers abroad shapes where people go, not
whether they leave: that is the peer term of docs/model.md §7).
Since V depends on a cell only through its region, passport and the policies that target it, it is computed
once per distinct (region, passport, policy pattern) — a *key* — and gathered to cells.

Land crossings: arrivals join the queue; each day a crossing processes min(Q, K) people, chosen at random among
everyone queued (random-order service, exact); queued people balk with hazard `balk_rate · wait`, wait = Q/K days.
Illegal routes (a pack's illegal_routes.csv) have no queue: each day one takes min(N, K) of the N people who tried
it, at random, and turns the others away to the state they left; its utility weighs log(A), A the smoothed share of
attempts it took (`routes.illegal_through_smoothing`), where a crossing's weighs its wait.
Flights: seats per day; unmet demand stays where it was and tries again. Fares are set on bookings made ahead:
the demand that found no seat is still booking the following days (a share `routes.booking_carry` of it is
carried over each day, the rest gives up or takes another route), so the booking load of a route is
`B(t) = (D(t) + carried(t−1)) / K` with `carried(t) = g · max(0, D(t) + carried(t−1) − K)`. The fare follows it,
`price = p0 · (1 + κ · max(0, L − θ))`, capped at `price_cap_factor · p0`, with `L(t) = (1 − s)·L(t−1) + s·B(t)`.
A surge of demand fills the seats of the days ahead at once, so the fare spikes the day it comes; the carried
bookings keep the fare up while the backlog lasts, instead of letting it swing on a 2-day cycle.
Processed people are screened (exit bans, border summons, host refusals, closures) and enter `abroad[d]`
(leavers) or `travelling[d]` (ordinary trips).

State: `RouteState` (below), built by `setup` (the pre-crisis baselines), changed by `step` (waits, fares). Each day
`decisions` hands routes the day's `Departures`; `utilities` gives decisions the day's route choice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ..engine.state import HIDING, HOME, RETURNED, SUMMONED
from . import kernels
from .sampling import add_at, block_sums, exact_subset, shifted_cumulative, split, sum_by, thin

NEG = -np.inf


@dataclass
class RouteState:
    """What routes owns: the pre-crisis baselines of the route choice, and the waits and fares people see."""

    # fixed for the run
    dest_routes: list[np.ndarray]  # the routes to each destination
    land_idx: np.ndarray  # the land routes (crossings; they come first)
    air_idx: np.ndarray  # the flights
    to_dest: np.ndarray  # [route, dest] 1 where the route leads
    counted_to_dest: np.ndarray  # [route, dest] the same for the routes border services count (not illegal ones)
    route_asc: np.ndarray  # [route] route constants (the mode's, fitted where normal traffic is sourced)
    asc_dest: np.ndarray  # [dest] destination constants ASC_d (−inf: not reachable)
    lsd_open: np.ndarray  # [region, passport, dest] pre-crisis log-sums by destination, without access
    ls0: np.ndarray  # [region, passport] pre-crisis accessibility log-sum LS0
    trip_rate: np.ndarray  # [route] ordinary-trip rate τ_d·m_r
    trip_share: np.ndarray  # [route] each route's share of the pre-crisis trips
    income: np.ndarray  # [region] mean income, which fares are weighed against
    # day to day (what people see tomorrow)
    wait: np.ndarray  # [crossing] queue / capacity, in days
    price: np.ndarray  # [route] fares (flights move with their booking load)
    air_load: np.ndarray  # [route] smoothed booking load of flights
    air_carried: np.ndarray  # [route] seat demand still booking from earlier days
    through: np.ndarray  # [route] smoothed share of the attempts each illegal route took (1 for official routes)
    drive_days: np.ndarray | None = None  # [region, crossing] whole days on the road to the crossing
    road: list = field(default_factory=list)  # [arrival day mod len] (purpose, state left, cells, crossing, count)
    keys: tuple | None = None  # the last day's keys of cells (code, unique codes, first cell, key), reused while equal
    dest_table: tuple | None = None  # [dest, width] the routes to each destination (padded) and their number


@dataclass
class Departures:
    """Today's departures, made by `decisions` and handed to `routes.step`.

    Those leaving by land set out for a crossing, kept by purpose (`EXIT`, `TRIP`, `SUMMONED_EXIT`) and by the
    state they left (home, returned, hiding, summoned, …) as sparse (cells, crossing, count) triplets; those leaving
    by air ask for a seat and stay where they are until they get one. `exit`, `trip` and `summoned`, dense
    [cell, crossing] blocks of each purpose (from home, or summoned for `summoned`), are made on first use only (for
    departures written by hand). `routes.step` adds both to the queues of the official crossings, and takes the
    attempts at the illegal ones, which have no queue.
    """

    n_cells: int
    n_land: int
    # land departures: (purpose, state left, cells, crossing, count)
    land: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    # seat requests: (source column, is an ordinary trip, cells, flight, count)
    air: list[tuple[int, bool, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    dense: dict[int, np.ndarray] = field(default_factory=dict)  # [cell, crossing] blocks by purpose, if made

    EXIT, TRIP, SUMMONED_EXIT = range(3)  # purposes, in the order of the queue groups of `routes.step`

    @classmethod
    def none(cls, n_cells: int, n_land: int) -> Departures:
        """No departure yet."""
        return cls(n_cells, n_land)

    def join(self, purpose: int, cells: np.ndarray, crossing: np.ndarray, counts: np.ndarray,
             source: int | None = None) -> None:
        """counts[i] people of cells[i] set out for crossing[i] with this purpose, from the state `source`.

        `source` (a column of the state) is where they return if an illegal route turns them away; None: the state
        their purpose implies (summoned for `SUMMONED_EXIT`, home otherwise).
        """
        if cells.size:
            if source is None:
                source = SUMMONED if purpose == self.SUMMONED_EXIT else HOME
            self.land.append((purpose, source, cells, crossing, counts))

    def by_cell(self) -> np.ndarray:
        """Everyone who set out today, by land or air, by cell: [cell]."""
        out = np.zeros(self.n_cells, dtype=np.int64)
        for _, _, cells, _, counts in self.land:
            np.add.at(out, cells, counts)
        for _, _, cells, _, counts in self.air:
            np.add.at(out, cells, counts)
        for block in self.dense.values():
            out += block.sum(axis=1)
        return out

    def men_by_land(self, adult_men: np.ndarray, region: np.ndarray, n_regions: int) -> np.ndarray:
        """The adult men who set out by land today as leavers (summoned or not), by region: [region]."""
        out = np.zeros(n_regions)
        for purpose, _, cells, _, counts in self.land:
            if purpose != self.TRIP:
                out += np.bincount(region[cells], counts * adult_men[cells], minlength=n_regions)
        for purpose, block in self.dense.items():
            if purpose != self.TRIP:
                out += np.bincount(region, block.sum(axis=1) * adult_men, minlength=n_regions)
        return out

    def _block(self, purpose: int) -> np.ndarray:
        block = self.dense.get(purpose)
        if block is None:
            block = self.dense.setdefault(purpose, np.zeros((self.n_cells, self.n_land), dtype=np.int64, order="F"))
        return block

    @property
    def exit(self) -> np.ndarray:
        """[cell, crossing] leavers (dense; made on first use)."""
        return self._block(self.EXIT)

    @property
    def trip(self) -> np.ndarray:
        """[cell, crossing] people starting an ordinary trip (dense; made on first use)."""
        return self._block(self.TRIP)

    @property
    def summoned(self) -> np.ndarray:
        """[cell, crossing] summoned men leaving (dense; made on first use)."""
        return self._block(self.SUMMONED_EXIT)


def _logsumexp(v: np.ndarray, axis: int = -1) -> np.ndarray:
    m = np.max(v, axis=axis, keepdims=True)
    m_safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.exp(v - m_safe).sum(axis=axis, keepdims=True)) + m_safe
    return np.squeeze(out, axis=axis)


def _dest_logsum(dest_routes: list[np.ndarray], V: np.ndarray) -> np.ndarray:
    """Log-sum of utilities over the routes to each destination (`dest_routes`: the routes to each): [..., dest]."""
    out = np.full(V.shape[:-1] + (len(dest_routes),), NEG)
    by_width: dict[int, list[int]] = {}  # destinations by their number of routes, each width in one pass
    for d, cols in enumerate(dest_routes):
        if cols.size:
            by_width.setdefault(cols.size, []).append(d)
    for dests in by_width.values():
        out[..., dests] = _logsumexp(V[..., np.stack([dest_routes[d] for d in dests])])  # [..., dest, route]
    return out


def nested(eng, dest_routes: list[np.ndarray], V: np.ndarray, dest_term: np.ndarray,
           iv: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nested logit over route utilities V [..., route] with a destination term [..., dest] or [dest].

    `dest_routes` are the routes to each destination (`RouteState.dest_routes`).

    `iv`, the inclusive values log Σ_{r→d} exp(V/λ) [..., dest], is computed from V unless given.
    Returns (P(d) [..., dest], P(r | d) [..., route], LS = log Σ_d exp(dest_term + λ·IV_d) [...]).
    """
    lam = eng.params["routes.nest_scale"]
    if iv is None:
        iv = _dest_logsum(dest_routes, V / lam)  # [..., dest]
    u = dest_term + lam * iv
    ls = _logsumexp(u)
    ok = np.isfinite(ls)[..., None]
    with np.errstate(invalid="ignore", over="ignore"):
        p_dest = np.where(ok, np.exp(u - np.where(ok, ls[..., None], 0.0)), 0.0)
        ivr = iv[..., eng.net.dest]
        p_within = np.where(np.isfinite(ivr), np.exp(V / lam - np.where(np.isfinite(ivr), ivr, 0.0)), 0.0)
    return p_dest, np.where(np.isfinite(V), p_within, 0.0), ls


def destination_constants(eng, dest_routes: list[np.ndarray], V0: np.ndarray, weight: np.ndarray,
                          entries: np.ndarray) -> np.ndarray:
    """ASC_d such that the pre-crisis leavers' destination shares equal the shares of pre-crisis entries.

    V0 [region, passport, route] are the pre-crisis route utilities, `weight` [region, passport] the pre-crisis
    leavers (people × exit hazard). A fixed point: ASC_d += log(target_d / predicted_d) until the shares agree.
    """
    target = entries / entries.sum()
    asc = np.log(np.maximum(target, 1e-300))
    reachable = target > 0
    if not weight.sum() > 0:  # no pre-crisis leavers (exit.lambda_base = 0): no shares to match
        return np.where(reachable, asc, NEG)
    for _ in range(200):
        p_dest, _, _ = nested(eng, dest_routes, V0, asc)
        pred = np.einsum("rp,rpd->d", weight, p_dest) / weight.sum()
        step = np.where(reachable & (pred > 0), np.log(np.maximum(target, 1e-300) / np.maximum(pred, 1e-300)), 0.0)
        asc = asc + step
        if np.abs(step).max() < 1e-9:
            break
    return np.where(reachable, asc, NEG)


def route_constants(eng, dest_routes: list[np.ndarray], people: np.ndarray) -> np.ndarray:
    """Route constants: the mode's constant, plus a route constant where crossings' normal traffic is sourced.

    Within a destination whose crossings have sourced normal traffic (routes.csv `normal_persons_per_day`), the
    constants of those crossings are set so that the pre-crisis trips they carry split as their normal traffic
    does (Finland: Torfyanovka, Brusnichnoye and Svetogorsk carried nine tenths of it); the crossings without a
    figure keep the share their utility gives them. A fixed point over the population [region, passport].
    """
    net = eng.net
    asc = net.asc.astype(float).copy()
    known = np.isfinite(net.normal_traffic) & (net.normal_traffic > 0)
    for _ in range(100):
        v = without_illegal(net, vbase(eng, asc, np.zeros(net.n_land), net.fare0, net.needs_passport, access=False))
        ref = _dest_logsum(dest_routes, v)[:, :, net.dest]
        with np.errstate(invalid="ignore"):
            w = np.where(np.isfinite(v), np.exp(v - np.where(np.isfinite(ref), ref, 0.0)), 0.0)
        reach = np.einsum("rp,rpk->k", people, w)
        step = np.zeros(net.n_routes)
        for d in range(net.n_dest):
            r = np.flatnonzero((net.dest == d) & known & (reach > 0))
            if r.size < 2:
                continue
            target = net.normal_traffic[r] / net.normal_traffic[r].sum()
            step[r] = np.log(target / (reach[r] / reach[r].sum()))
        asc = asc + step
        if np.abs(step).max() < 1e-9:
            break
    return asc


def diaspora_term(eng, stock: np.ndarray) -> np.ndarray:
    """γ_diaspora · log(1 + stock_d / K): the pull of those of this wave already in d [dest]."""
    p = eng.params
    return p["routes.gamma_diaspora"] * np.log1p(stock / p["routes.diaspora_scale"])


def covered_share(st: RouteState, routes: np.ndarray | None) -> float:
    """The share of the pre-crisis trips that go by `routes` (a mask over routes; None: all routes)."""
    return 1.0 if routes is None else float(st.trip_share[routes].sum())


def stay_term(eng) -> np.ndarray:
    """log(min(stay_d, H) / H) per destination: how short of the horizon H a legal stay falls (0 at H or more).

    stay_d is the visa-free stay (destinations.csv `visa_free_days`, no limit: H), H = `exit.stay_horizon_days`.
    """
    h = eng.params["exit.stay_horizon_days"]
    return np.log(np.minimum(eng.net.max_stay_days, h) / h)


def vbase(eng, route_asc: np.ndarray, wait: np.ndarray, price: np.ndarray, needs_pp: np.ndarray,
          access: bool = True, income: np.ndarray | None = None, through: np.ndarray | None = None) -> np.ndarray:
    """Route utilities by region and passport status, before targeted policies: [region, passport, route].

    `income` [region] is the regions' mean income (`RouteState.income`; read from the population when None).
    `through` [route] is the share of the attempts each route took (`RouteState.through`; None: all of them): an
    illegal route has no queue, so its utility weighs log(through) where a crossing's weighs its wait (its wait is
    0). Its capture probability is already in `log_access` (network.py), so it is not counted again here.
    """
    p, net = eng.params, eng.net
    if income is None:
        income = eng.pop.regions.mean_income.to_numpy(dtype=float)
    v = (route_asc[None, :] - p["routes.gamma_dist"] * net.dist_km / 1000.0
         - p["routes.gamma_price"] * price[None, :] / income[:, None])
    v[:, net.is_land] -= p["routes.gamma_wait"] * wait[None, :]
    if through is not None:
        with np.errstate(divide="ignore"):
            v = v + np.log(through)[None, :]
    if access:
        v = v + net.log_access[None, :]
    out = np.stack([v, v], axis=1)
    out[:, 0, needs_pp[net.dest] & net.official] = NEG  # an illegal crossing asks for no passport
    return out


def closed_officially(net, V: np.ndarray, screened: np.ndarray | None = None) -> np.ndarray:
    """Whom the official routes are closed to [...]: every official route is −∞ for them or screened.

    `screened` [..., route] marks the routes where a check would turn them back (an exit ban, summons at the
    border, a host's refusal); None: no check. These are the people who may take an illegal route (docs/routes.md).
    """
    closed = ~np.isfinite(V)
    if screened is not None:
        closed = closed | screened
    return closed[..., net.official].all(axis=-1)


def only_if_barred(net, V: np.ndarray, barred: np.ndarray) -> np.ndarray:
    """V with the illegal routes −∞ for all but the `barred` [...] (whom the official routes are closed to)."""
    if net.n_illegal:
        V[..., net.is_illegal] = np.where(barred[..., None], V[..., net.is_illegal], NEG)
    return V


def without_illegal(net, V: np.ndarray) -> np.ndarray:
    """V with the illegal routes −∞: ordinary trips and their baselines use the official routes only."""
    if net.n_illegal:
        V[..., net.is_illegal] = NEG
    return V


def fit_trip_rates(reach: np.ndarray, room: np.ndarray, dest: np.ndarray, entries: np.ndarray) -> np.ndarray:
    """Trip rate per route such that *realised* pre-crisis entries match each destination's entries.

    With a rate τ_d per person, route r of destination d would carry `τ_d · reach_r` trips a day; it can carry
    at most `room_r` (a crossing's capacity, a flight's seats at the load where fares start to rise). Trips are
    fitted to what the routes deliver: τ_d solves `Σ_r min(τ_d · reach_r, room_r) = entries_d`, and a full route's
    rate is cut to `room_r / reach_r`, so that before the crisis no route is over capacity and the rest of the
    trips go by the routes with room. A destination whose routes cannot carry its entries gets all their room.
    Returns the rate per route [route] (per person per day, before the route-choice weight).
    """
    rate = np.zeros(reach.size)
    for d in range(entries.size):
        r = np.flatnonzero((dest == d) & (reach > 0))
        if not r.size or entries[d] <= 0:
            continue
        g, k = reach[r], room[r]
        brk = np.sort(k / g)  # τ at which each route fills up
        delivered = np.array([np.minimum(t * g, k).sum() for t in brk])
        i = int(np.searchsorted(delivered, entries[d]))
        if i == brk.size:  # every route full
            tau = brk[-1]
        else:
            lo_t, lo_v = (brk[i - 1], delivered[i - 1]) if i else (0.0, 0.0)
            free = g[k / g > lo_t].sum()  # routes not yet full above lo_t deliver at slope Σ reach
            tau = lo_t + (entries[d] - lo_v) / free
        rate[r] = np.minimum(tau, k / g)
    return rate


def setup(eng, base_exit: np.ndarray) -> RouteState:
    """Baselines (before the crisis, no policy): accessibility LS0, trip rates τ_d fitted to entries.

    `base_exit` [cell] is the exit hazard without risk (`DecisionState.base_exit`): it weighs the pre-crisis
    leavers whose destinations the destination constants reproduce.
    """
    net, pop, p = eng.net, eng.pop, eng.params
    dest_routes = [np.flatnonzero(net.dest == d) for d in range(net.n_dest)]
    wait = np.zeros(net.n_land)
    price = net.fare0.copy()
    people = np.zeros((pop.n_regions, 2))
    np.add.at(people, (pop.region, pop.passport), pop.size)
    route_asc = route_constants(eng, dest_routes, people)
    v0 = vbase(eng, route_asc, wait, price, net.needs_passport)
    v0 = only_if_barred(net, v0, closed_officially(net, v0))  # before the crisis: those without a legal way out
    v_trip = without_illegal(net, v0.copy())
    v_open = without_illegal(net, vbase(eng, route_asc, wait, price, net.needs_passport, access=False))
    lsd_open = _dest_logsum(dest_routes, v_open)  # [region, passport, dest]
    leavers = np.zeros((pop.n_regions, 2))
    np.add.at(leavers, (pop.region, pop.passport), pop.size * base_exit)
    asc_dest = destination_constants(eng, dest_routes, v0, leavers, net.baseline_entries)
    _, _, ls0 = nested(eng, dest_routes, v0, asc_dest)  # [region, passport]
    ref = np.where(np.isfinite(lsd_open), lsd_open, 0.0)[:, :, net.dest]
    with np.errstate(invalid="ignore"):
        w0 = np.where(np.isfinite(v_trip), np.exp(v_trip - ref), 0.0)  # [region, passport, route]
    reach = np.einsum("rp,rpk->k", people, w0)  # trips by route per unit of τ_d
    room = np.where(net.is_land, net.capacity, net.capacity * p["routes.price_threshold"])
    to_dest = np.zeros((net.n_routes, net.n_dest), dtype=np.int64)
    to_dest[np.arange(net.n_routes), net.dest] = 1
    trip_rate = fit_trip_rates(reach, room, net.dest, net.baseline_entries)
    trips = trip_rate * reach
    drive_days = drive_time(net.dist_km[:, :net.n_land], p["routes.drive_km_per_day"])
    return RouteState(dest_routes=dest_routes, land_idx=np.flatnonzero(net.is_land),
                      air_idx=np.flatnonzero(~net.is_land), to_dest=to_dest,
                      counted_to_dest=to_dest * net.official[:, None], route_asc=route_asc,
                      asc_dest=asc_dest, lsd_open=lsd_open, ls0=ls0,
                      trip_rate=trip_rate, trip_share=trips / trips.sum() if trips.sum() > 0 else trips,
                      income=eng.pop.regions.mean_income.to_numpy(dtype=float),
                      wait=wait, price=price, air_load=np.zeros(net.n_routes), air_carried=np.zeros(net.n_routes),
                      through=np.ones(net.n_routes), drive_days=drive_days,
                      road=[[] for _ in range(int(drive_days.max(initial=0)) + 1)])


def drive_time(dist_km: np.ndarray, km_per_day: float) -> np.ndarray:
    """Whole days on the road from each region to each crossing: ⌊distance / km a day⌋ (0: the same day)."""
    return np.floor(dist_km / km_per_day).astype(np.int64)


def prime_road(eng, st: RouteState, rates: list[tuple[int, np.ndarray, bool]]) -> None:
    """Put on the road the people who set out before the run and have not reached their crossing yet.

    `rates`: (purpose, [cell, crossing] hazard a day of a person at home under the pre-crisis regime, whether it
    follows the week's cycle of ordinary trips and is given at its weekly mean). The road to a crossing d days
    away holds the departures of the d days before the run, those of day j − d reaching it on day j (j < d); an
    ordinary trip is timed by the day it crosses (`utilities`). Each person at home is on that road with
    probability w / (1 + Σ w), w = Σ_{j<d} the rate for crossing on day j (one multinomial per cell, as the
    ordinary travellers of `engine.steady`), and reaches the crossing on day j with probability ∝ that rate.
    """
    X, lay, rng, net = eng.X, eng.layout, eng.rng, eng.net
    d = st.drive_days[eng.pop.region]  # [cell, crossing]
    depth = int(d.max(initial=0))
    if not rates or depth == 0:
        return
    n_land = st.drive_days.shape[1]
    # factor[j, crossing]: the rate of trips crossing on day j of the run against its weekly mean
    mean = weekly_cycle(net, None, mean=True)[:n_land]
    factor = np.stack([weekly_cycle(net, eng.days[0] + dt.timedelta(days=j))[:n_land] / mean for j in range(depth)])
    plain = np.ones_like(factor)
    cum = {False: np.vstack([np.zeros(n_land), plain.cumsum(axis=0)]),
           True: np.vstack([np.zeros(n_land), factor.cumsum(axis=0)])}  # [d, crossing] Σ_{j < d}
    cols = np.arange(n_land)
    h = np.concatenate([rate * cum[weekly][d, cols[None, :]] for _, rate, weekly in rates], axis=1)
    out = split(X[:, HOME].copy(), np.concatenate([np.ones((X.shape[0], 1)), h], axis=1), rng)[:, 1:]
    X[:, HOME] -= out.sum(axis=1)
    for g, (purpose, _, weekly) in enumerate(rates):
        block = out[:, g * n_land:(g + 1) * n_land]
        X[:, lay.en_route] += block
        cells, crossing = np.nonzero(block)
        days = d[cells, crossing]
        f = factor if weekly else plain
        for dd, j in sorted(set(zip(days.tolist(), crossing.tolist(), strict=True))):
            on = (days == dd) & (crossing == j)
            prob = f[:dd, j] / f[:dd, j].sum()  # the day of arrival, 0 … dd − 1
            when = rng.multinomial(block[cells[on], j], prob)
            for k in range(dd):
                got = when[:, k] > 0
                st.road[(eng.t + k) % len(st.road)].append(
                    (purpose, HOME, cells[on][got], np.full(int(got.sum()), j), when[got, k]))


def on_the_road(eng, st: RouteState, dep: Departures, day=None) -> Departures:
    """Today's departures by land set out for their crossing; those who reach one today join its queue.

    A departure from region r to crossing c reaches it `drive_days[r, c]` days later (docs/routes.md, "The road to
    the crossings"); until then the travellers are counted in `en_route[c]` and are out of reach of everything
    (summonses, screens, balking): they left home, they are not yet at the border. A closure that came while they
    were on their way (they set out before its first day) stops them as they arrive (`day.road_checks`: all of
    those it covers for a full closure, 1 − open_share of them for a partial one, 1 − `routes.non_tourist_share`
    for a closure to tourists), and they go back to the state they left (home, returned, hiding, or summoned),
    counted in `stopped_closure`; those who set out later decided knowing it. Returns the day's
    departures with the arrivals in place of those still on the road.
    """
    X, lay, region = eng.X, eng.layout, eng.pop.region
    n_slots = len(st.road)
    for purpose, block in dep.dense.items():  # departures written by hand, as triplets
        cells, crossing = np.nonzero(block)
        dep.join(purpose, cells, crossing, block[cells, crossing])
    today = eng.t % n_slots
    land = st.road[today]
    st.road[today] = []
    for _, _, cells, crossing, counts in land:
        add_at(X, cells, lay.en_route.start + crossing, -counts)
    if land and day is not None and day.road_checks:
        land = _stopped_on_the_way(eng, st, land, day.road_checks)
    for purpose, source, cells, crossing, counts in dep.land:
        d = st.drive_days[region[cells], crossing]
        now = d == 0
        if now.any():
            land.append((purpose, source, cells[now], crossing[now], counts[now]))
        later = ~now
        if later.any():
            cl, jl, nl, dl = cells[later], crossing[later], counts[later], d[later]
            add_at(X, cl, lay.en_route.start + jl, nl)
            for k in np.unique(dl):
                on = dl == k
                st.road[(eng.t + int(k)) % n_slots].append((purpose, source, cl[on], jl[on], nl[on]))
    out = Departures(dep.n_cells, dep.n_land, land=land, air=dep.air)
    return out


@dataclass
class Utilities:
    """Route utilities and choice probabilities per key, and the key of every cell."""

    key: np.ndarray  # [cell] → key
    ls: np.ndarray  # [key] upper log-sum, without the diaspora term (−inf: no route)
    p_route: np.ndarray  # [key, route] choice probabilities given exit: P(d) · P(r | d)
    trip_h: np.ndarray  # [key, route] ordinary-trip hazard per day by route
    access: np.ndarray  # [cell] A_i = exp(μ (LS_i − LS0_i)); 0 without a route
    exit_table: np.ndarray  # shifted_cumulative(p_route): route of a leaver, by key
    trip_table: np.ndarray  # shifted_cumulative(trip_h): route of a traveller, by key
    trip_total: np.ndarray  # [key] total ordinary-trip hazard per day


def weekly_cycle(net, date, mean: bool = False) -> np.ndarray:
    """The ordinary-trip rate of each route on `date`, as a multiple of its weekday rate: [route].

    A destination's trips run at its weekday rate from Monday to Friday and at `weekend_factor` times it on
    Saturdays and Sundays (destinations.csv `weekend_param`; 1 where none is declared). `mean`: the average over a
    week, (5 + 2w) / 7, for the pre-crisis steady state.
    """
    w = net.weekend_factor[net.dest]
    if mean:
        return (5.0 + 2.0 * w) / 7.0
    return w if date is not None and date.weekday() >= 5 else np.ones_like(w)


def crossing_cycle(st: RouteState, net, date, reg: np.ndarray, mean: bool = False) -> np.ndarray:
    """The week's cycle of ordinary trips by the day they cross: [key, route] for the keys' regions `reg`.

    The cycle is that of entries at the border (`weekly_cycle`), so a trip by land is timed by the day it reaches
    its crossing, `drive_days` after it sets out: a weekend trip from two days away starts on Thursday.
    """
    out = np.broadcast_to(weekly_cycle(net, date, mean=mean), (reg.size, net.n_routes)).copy()
    if mean or date is None or st.drive_days is None:
        return out
    d = st.drive_days[reg]  # [key, crossing]
    for k in np.unique(d):
        if k:
            on = d == k
            out[:, :net.n_land][on] = np.broadcast_to(
                weekly_cycle(net, date + dt.timedelta(days=int(k)))[:net.n_land], d.shape)[on]
    return out


def utilities(eng, st: RouteState, day, announced: bool, weekly_mean: bool = False) -> Utilities:
    """Today's utilities: base by region × passport, plus the additive terms of targeted policies.

    `announced`: a call-up has been announced (the call-up's `current_mob` is set), so men of call-up age see no
    refuge where it reaches. `weekly_mean`: trips at their mean rate over a week (`weekly_cycle`), not today's.
    """
    pop, net, p = eng.pop, eng.net, eng.params
    needs = np.where(day.needs_passport >= 0, day.needs_passport == 1, net.needs_passport)
    stock = block_sums(eng.X, eng.layout.abroad)[1].astype(float)
    vb = vbase(eng, st.route_asc, st.wait, st.price, needs, income=st.income, through=st.through)
    terms = day.route_terms
    code = (pop.region.astype(np.int64) * 2 + pop.passport) * 2 + eng.callup_age
    for term in terms:
        code = code * 2 + term.cells
    if st.keys is not None and np.array_equal(st.keys[0], code):  # the same policies' cells as the last day
        uniq, first, key = st.keys[1:]
    else:
        uniq, first, key = np.unique(code, return_index=True, return_inverse=True)
        st.keys = (code, uniq, first, key)
    bits = [(uniq >> (len(terms) - 1 - k)) & 1 for k in range(len(terms))]
    rpe = uniq >> len(terms)
    reg, pp, exposed = rpe // 4, (rpe // 2) % 2, rpe % 2
    V = vb[reg, pp].copy()
    for k, term in enumerate(terms):
        on = bits[k].astype(bool)
        V[on] += term.add[None, :]
    if net.n_illegal:  # illegal routes, for whom every official route is closed or checked (docs/routes.md)
        screened = np.zeros(V.shape, dtype=bool)
        for s in day.screens:  # a screen's cells are those of its policy's term, so one cell speaks for its key
            if s.prob > 0:
                screened |= s.cells[first][:, None] & s.routes[None, :]
        V = only_if_barred(net, V, closed_officially(net, V, screened))
    # Once a call-up has been announced, men of call-up age see no refuge where the call-up reaches, and value a
    # long legal stay: they flee a call-up of unknown length, not for a trip.
    flight = p["exit.reach_penalty"] * net.within_reach - p["exit.stay_weight"] * stay_term(eng)
    penalty = exposed[:, None] * flight[None, :] * announced
    dest_term = st.asc_dest + diaspora_term(eng, stock) - penalty  # [key, dest]
    lsd_open = st.lsd_open[reg, pp]  # [key, dest]
    # Trips are fitted to pre-crisis entries by destination; the diaspora of this wave pulls leavers, not trips.
    ref = np.where(np.isfinite(lsd_open), lsd_open, 0.0)  # [key, dest]
    rate = st.trip_rate * crossing_cycle(st, net, day.date, reg, weekly_mean)  # [key, route], by the crossing day
    # while a call-up is under way, men of its ages travel less (docs/routes.md)
    factor = np.where(exposed == 1, p["trips.callup_age_factor"], 1.0) if day.mobilisations else None
    ls0 = st.ls0[reg, pp]
    if kernels.ENABLED:
        if st.dest_table is None:
            width = np.array([r.size for r in st.dest_routes], dtype=np.int64)
            table = np.zeros((width.size, max(int(width.max(initial=0)), 1)), dtype=np.int64)
            for d, r in enumerate(st.dest_routes):
                table[d, : r.size] = r
            st.dest_table = (table, width)
        ls, a_key, p_route, trip_h, exit_table, trip_table, trip_total = kernels.choice_tables(
            np.ascontiguousarray(V, dtype=float), float(p["routes.nest_scale"]), net.dest.astype(np.int64),
            *st.dest_table, np.ascontiguousarray(dest_term, dtype=float), st.asc_dest.astype(float),
            np.ascontiguousarray(ref, dtype=float), np.ascontiguousarray(rate, dtype=float),
            np.ones(V.shape[0]) if factor is None else factor.astype(float), ls0.astype(float),
            float(p["exit.mu_access"]))
    else:
        ls, a_key, p_route, trip_h, exit_table, trip_table, trip_total = _choice_numpy(
            eng, st, V, dest_term, ref, rate, factor, ls0)
    return Utilities(key=key, ls=ls, p_route=p_route, trip_h=trip_h, access=a_key[key], exit_table=exit_table,
                     trip_table=trip_table, trip_total=trip_total)


def _choice_numpy(eng, st: RouteState, V: np.ndarray, dest_term: np.ndarray, ref: np.ndarray, rate: np.ndarray,
                  factor: np.ndarray | None, ls0: np.ndarray) -> tuple:
    """The choice of each key from its route utilities V [key, route] (NumPy; the oracle of `choice_tables`).

    `dest_term` [key, dest] is the destination term of leavers, `ref` [key, dest] the pre-crisis log-sums of trips
    (0 where none), `rate` [key, route] today's trip rates (by the day a trip crosses), `factor` [key] the call-up's
    factor on trips (None: none), `ls0` [key] the pre-crisis accessibility log-sum. Returns (ls, access [key],
    p_route, trip_h [key, route], the two search tables, trip_total [key]).
    """
    net, p = eng.net, eng.params
    iv = _dest_logsum(st.dest_routes, V / p["routes.nest_scale"])  # inclusive values, once for both log-sums
    p_dest, p_within, _ = nested(eng, st.dest_routes, V, dest_term, iv)
    # accessibility: the same log-sum as LS0, without the diaspora
    ls = _logsumexp(st.asc_dest + p["routes.nest_scale"] * iv)
    feasible = np.isfinite(ls)
    p_route = p_dest[:, net.dest] * p_within
    with np.errstate(invalid="ignore", over="ignore"):
        trip_h = np.where(np.isfinite(V), rate * np.exp(V - ref[:, net.dest]), 0.0)
    if factor is not None:
        trip_h = trip_h * factor[:, None]
    with np.errstate(invalid="ignore", over="ignore"):
        a_key = np.where(feasible & np.isfinite(ls0), np.exp(p["exit.mu_access"] * (ls - ls0)), 0.0)
    return (ls, a_key, p_route, trip_h, shifted_cumulative(p_route), shifted_cumulative(trip_h),
            trip_h.sum(axis=1))


def _capacity(eng, day, routes: np.ndarray) -> np.ndarray:
    cap = eng.net.capacity[routes] * day.capacity_factor[routes]
    fixed = day.capacity_set[routes]
    return np.where(np.isnan(fixed), cap, fixed)


def _stopped_on_the_way(eng, st: RouteState, land: list, checks: list) -> list:
    """Arrivals from the road that the closures stop (each check stops its share of the people it covers)."""
    X, rng = eng.X, eng.rng
    # the day index each check came (a check from before the run: the run's first day); None: every arrival
    came = [None if s.since is None else eng.days.index(s.since) if s.since in eng.days else 0 for s in checks]
    out = []
    for purpose, source, cells, crossing, counts in land:
        set_out = eng.t - st.drive_days[eng.pop.region[cells], crossing]  # the day each set out (index)
        for s, c in zip(checks, came, strict=True):
            hit = s.cells[cells] & s.routes[crossing]
            if c is not None:  # only those who set out before it came; the others chose knowing it
                hit &= set_out < c
            if s.prob > 0 and hit.any():
                back = np.zeros_like(counts)
                back[hit] = counts[hit] if s.prob >= 1.0 else rng.binomial(counts[hit], s.prob)
                add_at(X, cells, source, back)
                eng.rec.today["stopped_closure"] += int(back.sum())
                counts = counts - back
        keep = counts > 0
        if keep.any():
            out.append((purpose, source, cells[keep], crossing[keep], counts[keep]))
    return out


def step(eng, st: RouteState, day, departures: Departures, *, callup_open: bool,
         adult_men: np.ndarray) -> np.ndarray:
    """Balk, join queues, serve, take attempts at illegal routes, fill seats, screen, arrive; update what people see.

    What people see tomorrow: the waits, the fares and the share of attempts each illegal route took.

    Queues are kept by purpose: leavers, ordinary trips, and summoned men leaving. People turned back (a closure,
    a screen) or balking return to the state they came from: home, or `summoned` for a summoned man, who is no
    freer for having queued. Illegal routes have no queue (`_illegal_attempts`): those they cannot take today are
    turned away to the state they left.

    Reads today's `departures` (from decisions), whether the call-up is open (`CallupState.open`: a border
    screen may serve summonses) and who is an adult man (`DecisionState.adult_men`). Returns the adult men who
    crossed today as leavers by region, (by land, by air): their families follow (`family.plan`).
    """
    X, lay, net, p, rng = eng.X, eng.layout, eng.net, eng.params, eng.rng
    rec = eng.rec.today
    dep = on_the_road(eng, st, departures, day)
    dep, attempts = _split_illegal(dep, net.is_illegal[st.land_idx]) if net.n_illegal else (dep, [])
    # (queue columns, purpose of the departures joining them, where those turned back return)
    groups = ((lay.queued_exit, Departures.EXIT, HOME), (lay.queued_trip, Departures.TRIP, HOME),
              (lay.queued_summoned, Departures.SUMMONED_EXIT, SUMMONED))
    # Only crossings with a queue left from yesterday (wait > 0) have anyone to turn back or to balk.
    queued = np.flatnonzero(st.wait > 0)
    # Closures turn back everyone queued whom they cover.
    for s in day.screens:
        if s.kind == "closure" and s.prob >= 1.0:
            for cols, _, back_to in groups:
                for j in queued[s.routes[st.land_idx][queued]]:
                    back = X[:, cols.start + j] * s.cells
                    X[:, cols.start + j] -= back
                    X[:, back_to] += back
    # Balking of those queued since yesterday, today's departures joining the queues, and the crossings processing
    # up to capacity, at random among all queued. What each route processed is kept per group as sparse (cell, route,
    # count) triplets in row-major order (the order of np.nonzero on a dense array).
    cap = _capacity(eng, day, st.land_idx)
    p_balk = -np.expm1(-p["routes.balk_rate"] * st.wait)
    processed = np.zeros(net.n_routes, dtype=np.int64)
    queues = _queues_compiled if kernels.ENABLED else _queues_numpy
    land, queue = queues(eng, groups, dep, queued, p_balk, cap, processed)
    parts: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = [[t] for t in land]
    if net.n_illegal:
        through_today = _illegal_attempts(eng, attempts, len(groups), cap, processed, parts)
    # Flights fill up to their seats, at random among all who want a seat.
    seats = _capacity(eng, day, st.air_idx)
    demand_total = np.zeros(net.n_routes)
    if dep.air:
        src, is_trip, cells, flight, want = (np.concatenate(x) for x in zip(
            *[(np.full(c.size, s), np.full(c.size, t), c, a, n) for s, t, c, a, n in dep.air], strict=True))
        demand = np.bincount(flight, want, minlength=st.air_idx.size)
        demand_total[st.air_idx] = demand
        got = want.copy()  # everyone gets a seat, except on the flights over capacity
        for a in np.flatnonzero(demand > seats):
            on = flight == a
            got[on] = exact_subset(want[on], int(seats[a]), rng)
        add_at(X, cells, src, -got)
        purpose = np.where(is_trip, 1, np.where(src == SUMMONED, 2, 0))
        for g in range(len(groups)):
            on = purpose == g
            parts[g].append((cells[on], net.n_land + flight[on], got[on]))
        processed[net.n_land:] += sum_by(flight, got, st.air_idx.size)
    done = [pt[0] if len(pt) == 1 else _collect(pt, net.n_routes) for pt in parts]
    rec["processed"][:] = processed
    rec["air_demand"] = demand_total[st.air_idx]
    # Screening where people are processed (only routes that processed someone today, and the screen's cells).
    busy = processed > 0
    for s in day.screens:
        at = s.routes & busy
        if not at.any():
            continue
        for (_, _, back_to), (cells, route, n) in zip(groups, done, strict=True):
            idx = np.flatnonzero(s.cells[cells] & at[route] & (n > 0))
            if not idx.size:
                continue
            stopped = rng.binomial(n[idx], s.prob)
            if not stopped.any():
                continue
            if back_to == SUMMONED:  # already summoned: he goes back holding his summons
                summoned = stopped
            elif s.summons_prob > 0 and callup_open:  # summons on the spot only while a quota is open
                summoned = thin(stopped, s.summons_prob, rng)
                rec["summons_at_border"] += int(summoned.sum())
            else:
                summoned = np.zeros_like(stopped)
            _turn_back(X, n, idx, cells[idx], stopped, summoned)
            rec["stopped_" + s.kind] += int(stopped.sum())
    if net.n_illegal:
        _catch(eng, st, groups, done, busy, callup_open)
    # Arrivals: leavers (summoned or not) abroad, travellers on their trip.
    for g, start in ((0, lay.abroad.start), (2, lay.abroad.start), (1, lay.travelling.start)):
        cells, route, n = done[g]
        add_at(X, cells, start + net.dest[route], n)
    left = sum(sum_by(route, n, net.n_routes) for g, (_, route, n) in enumerate(done) if g != 1)
    trips = sum_by(done[1][1], done[1][2], net.n_routes)
    rec["entries"] += (left + trips) @ st.counted_to_dest  # border services count the official crossings only
    rec["left_by_dest"] += left @ st.to_dest
    region = eng.pop.region
    by_region = [sum_by(region[cells], n, eng.pop.n_regions) for g, (cells, _, n) in enumerate(done) if g != 1]
    rec["left_by_region"] += sum(by_region)
    men = [sum(sum_by(region[cells], n * adult_men[cells] * (by_air == (route >= net.n_land)), eng.pop.n_regions)
               for g, (cells, route, n) in enumerate(done) if g != 1) for by_air in (False, True)]
    # What people see tomorrow.
    with np.errstate(divide="ignore", invalid="ignore"):
        st.wait = np.where(cap > 0, queue / np.maximum(cap, 1e-9), np.where(queue > 0, 1e3, 0.0))
    a = st.air_idx
    st.air_load[a], st.air_carried[a], st.price[a] = fares(st.air_load[a], st.air_carried[a],
                                                           demand_total[a], seats, net.fare0[a], p)
    if net.n_illegal:
        s = p["routes.illegal_through_smoothing"]
        ill = net.is_illegal[st.land_idx]  # the illegal crossings (a crossing's route has the same index)
        st.through[st.land_idx[ill]] = (1 - s) * st.through[st.land_idx[ill]] + s * through_today[ill]
    return men[0], men[1]


def men_in_transit(eng, st: RouteState, adult_men: np.ndarray) -> np.ndarray:
    """The adult men who set out by land as leavers and have not crossed yet (on the road, queued), by region."""
    region, lay, n = eng.pop.region, eng.layout, eng.pop.n_regions
    queued = eng.X[:, lay.queued_exit].sum(axis=1) + eng.X[:, lay.queued_summoned].sum(axis=1)
    road = [(cells, counts) for slot in st.road for purpose, _, cells, _, counts in slot
            if purpose != Departures.TRIP]
    out = np.bincount(region, queued * adult_men, minlength=n)
    if road:
        cells, counts = np.concatenate([c for c, _ in road]), np.concatenate([k for _, k in road])
        out += np.bincount(region[cells], counts * adult_men[cells], minlength=n)
    return out


RETURN_TO = (HOME, RETURNED, HIDING, SUMMONED)
"""States an illegal route turns people back to as they were; those who left another (an exit visa's office) go
home."""


def _split_illegal(dep: Departures, illegal: np.ndarray) -> tuple[Departures, list]:
    """Split today's departures at the illegal crossings (`illegal`, a mask over the crossings).

    Returns the departures to the official crossings and flights (a `Departures`), and the attempts at the illegal
    crossings as (purpose, state left, cells, crossing, count) triplets.
    """
    attempts = []
    cols = np.flatnonzero(illegal)
    dense = {}
    for purpose, block in dep.dense.items():
        c, k = np.nonzero(block[:, cols])
        if c.size:
            attempts.append((purpose, SUMMONED if purpose == Departures.SUMMONED_EXIT else HOME, c, cols[k],
                             block[c, cols[k]]))
            block = block.copy(order="F")
            block[:, cols] = 0
        dense[purpose] = block
    official = Departures(dep.n_cells, dep.n_land, air=dep.air, dense=dense)
    for purpose, source, cells, crossing, counts in dep.land:
        on = illegal[crossing]
        if on.any():
            attempts.append((purpose, source, cells[on], crossing[on], counts[on]))
            on = ~on
            cells, crossing, counts = cells[on], crossing[on], counts[on]
        official.join(purpose, cells, crossing, counts, source)
    return official, attempts


def _illegal_attempts(eng, attempts: list, n_groups: int, cap: np.ndarray, processed: np.ndarray,
                      parts: list) -> np.ndarray:
    """The illegal routes take today's attempts (docs/routes.md): no queue, no one waits overnight.

    Each route takes at most its capacity of the people who tried it today, chosen at random among them (every
    person alike, `exact_subset`: a multivariate hypergeometric draw); the others are turned away and go back to
    the state they left (a summoned man stays summoned, a man in hiding hides again; `RETURN_TO`), counted by route
    (`illegal_turned_away`). Those taken are added to `processed` and to `parts` (by purpose: what each queue
    group had served), for screening and capture. Returns, per crossing, the share of today's attempts taken
    (1 where no one tried and the route could take someone, 0 where it could take no one).
    """
    X, rng, net = eng.X, eng.rng, eng.net
    room = np.floor(cap)  # whole people a day (a sample's fractional capacity rounds down, as at a queue)
    tried = np.zeros(cap.size, dtype=np.int64)
    if attempts:
        purpose, source, cells, crossing, counts = (np.concatenate(x) for x in zip(
            *[(np.full(c.size, g), np.full(c.size, s), c, j, n) for g, s, c, j, n in attempts], strict=True))
        tried = sum_by(crossing, counts, cap.size)
        taken = counts.copy()
        for j in np.flatnonzero(tried > room):
            on = crossing == j
            taken[on] = exact_subset(counts[on], int(room[j]), rng)
        away = counts - taken
        back = np.where(np.isin(source, RETURN_TO), source, HOME)
        add_at(X, cells, back, away)
        eng.rec.today["illegal_turned_away"] += sum_by(crossing, away, net.n_routes)
        processed[: cap.size] += sum_by(crossing, taken, cap.size)
        for g in range(n_groups):
            on = (purpose == g) & (taken > 0)
            if on.any():
                parts[g].append((cells[on], crossing[on], taken[on]))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(tried > 0, np.minimum(1.0, room / np.maximum(tried, 1)), np.where(room >= 1, 1.0, 0.0))


def _join(X: np.ndarray, groups, dep: Departures) -> None:
    """Today's departures join the queues (after those queued since yesterday have balked)."""
    for purpose, _, cells, crossing, counts in dep.land:
        add_at(X, cells, groups[purpose][0].start + crossing, counts)
    for purpose, block in dep.dense.items():
        X[:, groups[purpose][0]] += block


def _queues_numpy(eng, groups, dep: Departures, queued: np.ndarray, p_balk: np.ndarray, cap: np.ndarray,
                  processed: np.ndarray):
    """Balk, join, serve (the NumPy form, and the oracle of `_queues_compiled`).

    Those queued since yesterday at the crossings `queued` balk (probability `p_balk`), today's departures join,
    then each crossing serves everyone if they are at most its capacity, else exactly `cap` of them at random.
    Returns what each group had served as collected (cell, crossing, count) triplets, and the queue left at each
    crossing; adds the served to `processed`.
    """
    X, rng, rec = eng.X, eng.rng, eng.rec.today
    for cols, _, back_to in groups:
        for j in queued:
            b = thin(X[:, cols.start + j], p_balk[j], rng)
            X[:, cols.start + j] -= b
            X[:, back_to] += b
            rec["balked"] += int(b.sum())
    _join(X, groups, dep)
    parts: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = [[] for _ in groups]
    Q = [X[:, cols] for cols, _, _ in groups]
    waiting = sum(q.sum(axis=0) for q in Q)
    for j in np.flatnonzero(waiting > 0):
        if waiting[j] <= cap[j]:
            served = [q[:, j].copy() for q in Q]
        else:
            both = exact_subset(np.stack([q[:, j] for q in Q], axis=1), int(cap[j]), rng)
            served = [both[:, g] for g in range(len(groups))]
        for g, n in enumerate(served):
            cells = np.flatnonzero(n)
            Q[g][cells, j] -= n[cells]
            parts[g].append((cells, np.full(cells.size, j), n[cells]))
            processed[j] += int(n[cells].sum())
    land = [_collect(pt, eng.net.n_routes) for pt in parts]
    return land, sum(X[:, cols].sum(axis=0) for cols, _, _ in groups)


def _queues_compiled(eng, groups, dep: Departures, queued: np.ndarray, p_balk: np.ndarray, cap: np.ndarray,
                     processed: np.ndarray):
    """`_queues_numpy` with the scans and draws in compiled kernels: the same draws in the same order."""
    X, rng = eng.X, eng.rng
    starts = np.array([cols.start for cols, _, _ in groups], dtype=np.int64)
    if queued.size:
        back_to = np.array([b for _, _, b in groups], dtype=np.int64)
        eng.rec.today["balked"] += int(kernels.queues_balk(X, starts, back_to, queued.astype(np.int64), p_balk, rng))
    _join(X, groups, dep)
    n_land = cap.size
    by_purpose = kernels.queue_totals(X, starts, n_land)  # [purpose, crossing]
    waiting = by_purpose.sum(axis=0)
    whole = (by_purpose > 0) & (waiting <= cap)[None, :]  # the queue columns served in full (empty ones skipped)
    drawn = []
    for j in np.flatnonzero(waiting > cap):  # over capacity: exactly cap of them, every person alike (`exact_subset`)
        rows, grp, n = kernels.queue_entries(X, starts, int(j))
        drawn.append((np.full(rows.size, j), rows, grp, rng.multivariate_hypergeometric(n, int(cap[j]),
                                                                                          method="marginals")))
    if drawn:
        d_cross, d_rows, d_groups, d_served = (np.concatenate(x) for x in zip(*drawn, strict=True))
    else:
        d_cross = d_rows = d_groups = d_served = np.zeros(0, dtype=np.int64)
    oc, oj, on, sizes = kernels.queues_serve(X, starts, whole, d_cross, d_rows, d_groups,
                                             d_served.astype(np.int64), processed)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    land = [(oc[a:b], oj[a:b], on[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return land, waiting - processed[:n_land]


def _catch(eng, st: RouteState, groups, done, busy: np.ndarray, callup_open: bool) -> None:
    """Capture on the illegal routes (docs/routes.md): each person who crossed one today is caught with its probability.

    The caught go back where they came from (home, or summoned for a summoned man), and a caught person of call-up
    age is served a summons on the spot with the route's `summons_param` share while a call-up is open. They are
    counted by route (`illegal_caught`).
    """
    net, rng, X = eng.net, eng.rng, eng.X
    rec = eng.rec.today
    on = net.is_illegal & busy & (net.capture > 0)
    if not on.any():
        return
    for (_, _, back_to), (cells, route, n) in zip(groups, done, strict=True):
        idx = np.flatnonzero(on[route] & (n > 0))
        if not idx.size:
            continue
        caught = rng.binomial(n[idx], net.capture[route[idx]])
        if not caught.any():
            continue
        if back_to == SUMMONED:
            summoned = caught
        elif callup_open and net.summons_caught[route[idx]].any():
            summoned = rng.binomial(caught * eng.callup_age[cells[idx]], net.summons_caught[route[idx]])
            rec["summons_at_border"] += int(summoned.sum())
        else:
            summoned = np.zeros_like(caught)
        _turn_back(X, n, idx, cells[idx], caught, summoned)
        rec["illegal_caught"] += sum_by(route[idx], caught, net.n_routes)


def _turn_back(X: np.ndarray, n: np.ndarray, idx: np.ndarray, cells: np.ndarray, stopped: np.ndarray,
               summoned: np.ndarray) -> None:
    """Send back those stopped at a crossing (screened or caught): they leave the day's processed `n[idx]`.

    The `summoned` of them (served on the spot, or already holding a summons) go to `summoned`, the rest home.
    """
    n[idx] -= stopped
    add_at(X, cells, SUMMONED, summoned)
    add_at(X, cells, HOME, stopped - summoned)


def _collect(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
             n_routes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge (cell, route, count) parts into one row-major triplet list, repeated pairs summed, zeros dropped."""
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    cells, route, n = (np.concatenate(x) for x in zip(*parts, strict=True))
    code, inv = np.unique(cells.astype(np.int64) * n_routes + route, return_inverse=True)
    total = np.bincount(inv, n, minlength=code.size).round().astype(np.int64)
    keep = total > 0
    return code[keep] // n_routes, code[keep] % n_routes, total[keep]


def fares(load: np.ndarray, carried: np.ndarray, demand: np.ndarray, seats: np.ndarray, fare0: np.ndarray,
          p) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tomorrow's fares from today's seat demand and the bookings carried from earlier days (module docstring).

    Returns the smoothed booking load, the demand carried to tomorrow and the fares.
    """
    booking = demand + carried
    carried = p["routes.booking_carry"] * np.maximum(0.0, booking - seats)
    with np.errstate(divide="ignore", invalid="ignore"):
        now = np.where(seats > 0, booking / np.maximum(seats, 1e-9), 0.0)
    s = p["routes.price_smoothing"]
    load = (1 - s) * load + s * now
    rise = p["routes.price_kappa"] * np.maximum(0.0, load - p["routes.price_threshold"])
    return load, carried, np.minimum(fare0 * (1 + rise), p["routes.price_cap_factor"] * fare0)
