"""Abroad and return (docs/model.md §8–9).

Travellers on an ordinary trip come back after `trips.trip_days` on average, or decide to stay (the exit
hazard applies, with full accessibility: they are already out) and become leavers in `abroad[d]`.
Leavers abroad come back (→ `returned`) with hazard `λ_ret0 · exp(−β_ret_risk · ρ)`, move on to a third
country (`onward_rate`, higher in transit countries), or reach the end of the allowed stay: a deadline for
those who arrived on the same day, tracked by cohort of arrival (`_deadlines`), not a memoryless hazard. At the
deadline a share `visa_run_share` exits and re-enters (a visa run, counted as an exit and an entry, which starts
the clock again), the rest come home. Onward destinations are chosen in proportion to their normal entries,
among those the person's passport opens and that people abroad can enter (`onward_entry` in destinations.csv:
not Abkhazia, Belarus or Mongolia, which are reached from Russia).

State: `AbroadState` (below), built by `setup`, changed by `snapshot` (who is abroad at the start of the day) and
`step`, which reads today's risk and the decisions' exit hazard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.state import HOME, RETURNED
from .decisions import DecisionState, exit_core, pressure
from .risk import RiskState
from .sampling import add_at, block_entries, competing, exact_subset, split, sum_by

Triplets = tuple[np.ndarray, np.ndarray, np.ndarray]  # (cell, destination, count), row-major order


@dataclass
class AbroadState:
    """What the abroad process owns."""

    # fixed for the run
    onward_w: np.ndarray  # [passport, from destination, to destination] weights of onward destinations
    can_move_on: np.ndarray  # [passport, destination] some onward destination is open
    onward_rate: np.ndarray  # [destination] hazard of moving on (higher in transit countries)
    # day to day
    cohort: np.ndarray  # [day of arrival, destination] leavers still in d (thinned by each day's departures)
    travelling_start: Triplets | None = None  # people on an ordinary trip at the start of the day
    abroad_start: Triplets | None = None  # leavers abroad at the start of the day


def setup(eng) -> AbroadState:
    """Onward-destination weights by passport status and origin destination."""
    net, p = eng.net, eng.params
    attract = net.baseline_entries * np.exp(net.log_access[[np.flatnonzero(net.dest == d)[0]
                                                            for d in range(net.n_dest)]])
    w = np.zeros((2, net.n_dest, net.n_dest))
    for pp in (0, 1):
        ok = ((~net.needs_passport) | (pp == 1)) & net.onward_entry
        w[pp] = attract[None, :] * ok[None, :]
    w[:, np.arange(net.n_dest), np.arange(net.n_dest)] = 0.0
    return AbroadState(onward_w=w, can_move_on=w.sum(axis=2) > 0,
                       onward_rate=np.where(net.transit, p["abroad.onward_rate_transit"],
                                            p["abroad.onward_rate_other"]),
                       cohort=np.zeros((len(eng.days), net.n_dest)))


def snapshot(eng, st: AbroadState) -> None:
    """The travellers and leavers abroad at the start of the day (docs/model.md §4: rates read the day's start).

    Kept as sparse (cell, destination, count) triplets in row-major order, the order of `np.nonzero`.
    """
    lay = eng.layout
    st.travelling_start = block_entries(eng.X, lay.travelling.start, lay.n_dest)
    st.abroad_start = block_entries(eng.X, lay.abroad.start, lay.n_dest)


def step(eng, st: AbroadState, day, risk: RiskState, decisions: DecisionState) -> None:
    """Trips end or turn into exits; leavers return, move on or do visa runs.

    Only the people abroad at the start of the day (`snapshot`) move today: those who arrived today stay at least
    until tomorrow, as every other transition of the day reads the start-of-day state. Reads today's risk ρ (returns
    fall with it; travellers stay with the exit hazard of `decisions`, at full accessibility).
    """
    X, p, rng, lay, pop = eng.X, eng.params, eng.rng, eng.layout, eng.pop
    rec = eng.rec.today
    D = eng.net.n_dest
    # Travellers
    cells, dest, n = st.travelling_start
    if cells.size:
        stay = (exit_core(eng, decisions, None) * pressure(eng, decisions, risk))[cells]
        back = np.full(cells.size, 1.0 / p["trips.trip_days"])
        out = competing(n, np.stack([back, stay], axis=1), rng)
        add_at(X, cells, lay.travelling.start + dest, -(out[:, 0] + out[:, 1]))
        add_at(X, cells, HOME, out[:, 0])
        add_at(X, cells, lay.abroad.start + dest, out[:, 1])
        rec["exits_back"] += sum_by(dest, out[:, 0], D)
        rec["trips_turned_exit"] += int(out[:, 1].sum())
        rec["left_by_dest"] += sum_by(dest, out[:, 1], D)
        rec["left_by_region"] += sum_by(pop.region[cells], out[:, 1], pop.n_regions)
    # Leavers
    a_cells, a_dest, a_n = st.abroad_start
    max_stay = np.where(np.isnan(day.max_stay_days), eng.net.max_stay_days, day.max_stay_days)
    expired = _deadlines(eng, st, a_dest, a_n, max_stay)
    r_n = a_n - expired  # still within their allowed stay
    live = r_n > 0
    cells, dest, n = a_cells[live], a_dest[live], r_n[live]
    ret = p["abroad.return_rate"] * np.exp(-p["abroad.beta_return_risk"] * risk.rho[cells])
    pp = pop.passport[cells]
    onward = st.onward_rate[dest] * st.can_move_on[pp, dest]
    out = competing(n, np.stack([ret, onward], axis=1), rng)
    n_ret, n_on = out[:, 0], out[:, 1]
    gone = sum_by(dest, n_ret + n_on, D)
    r_sum = sum_by(dest, n, D)
    with np.errstate(invalid="ignore", divide="ignore"):
        stay = np.where(r_sum > 0, 1.0 - gone / np.maximum(r_sum, 1), 1.0)
    st.cohort[: eng.t] *= stay[None, :]  # departures thin every cohort of their destination alike
    due = expired > 0
    xc, xd, n_exp = a_cells[due], a_dest[due], expired[due]
    runs = rng.binomial(n_exp, p["abroad.visa_run_share"])
    add_at(X, xc, lay.abroad.start + xd, -(n_exp - runs))  # a visa run exits and re-enters: the person stays
    add_at(X, xc, RETURNED, n_exp - runs)
    add_at(X, cells, lay.abroad.start + dest, -(n_ret + n_on))
    add_at(X, cells, RETURNED, n_ret)
    movers = np.flatnonzero(n_on)
    if movers.size:
        to = split(n_on[movers], st.onward_w[pp[movers], dest[movers]], rng)  # [mover row, dest']
        k, d = np.nonzero(to)
        add_at(X, cells[movers][k], lay.abroad.start + d, to[k, d])
        rec["entries"] += to.sum(axis=0)
        st.cohort[eng.t] += to.sum(axis=0)
    runs_d = sum_by(xd, runs, D)
    st.cohort[eng.t] += runs_d + rec["left_by_dest"]  # today's arrivals (a visa run restarts the clock)
    rec["exits_back"] += gone + sum_by(xd, n_exp, D)
    rec["entries"] += runs_d
    rec["visa_runs"] += int(runs.sum())
    rec["returned"] += sum_by(pop.region[cells], n_ret, pop.n_regions) + sum_by(pop.region[xc], n_exp - runs,
                                                                                 pop.n_regions)


def _deadlines(eng, st: AbroadState, dest: np.ndarray, n: np.ndarray, max_stay: np.ndarray) -> np.ndarray:
    """Leavers whose allowed stay ends today: every cohort that arrived `max_stay` days ago or earlier.

    Counted per entry of the leavers' (cell, destination, count) triplets, given here as (dest, n).

    Arrivals are tracked by day and destination (`AbroadState.cohort`, thinned by the departures of each day); on its
    deadline a cohort's survivors are drawn from the destination's stock at random (the cohort is not tracked by
    cell), exactly as many as survive, so a visa-free limit is a deadline for those who arrived on the same day,
    not a memoryless hazard.
    """
    out = np.zeros_like(n)
    for d in np.flatnonzero(np.isfinite(max_stay) & (max_stay > 0)):
        cut = eng.t - int(max_stay[d])
        if cut < 0:
            continue
        due = st.cohort[: cut + 1, d].sum()
        st.cohort[: cut + 1, d] = 0.0
        k = int(np.floor(due + eng.rng.random()))  # stochastic rounding of the thinned survivors
        if k > 0:
            here = np.flatnonzero(dest == d)
            out[here] = exact_subset(n[here], k, eng.rng)
    return out
