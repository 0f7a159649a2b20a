"""Abroad and return (docs/model.md §8–9).

Travellers on an ordinary trip come back after `trips.trip_days` on average, or decide to stay (the exit
hazard applies, with full accessibility: they are already out) and become leavers in `abroad[d]`.
Leavers abroad come back (→ `returned`) with hazard `λ_ret0 · exp(−β_ret_risk · ρ)`, move on to a third
country (`onward_rate`, higher in transit countries), or reach the end of the allowed stay: a deadline for
those who arrived on the same day, tracked by cohort of arrival (`_deadlines`), not a memoryless hazard. At the
deadline a share `visa_run_share` exits and re-enters (a visa run, counted as an exit and an entry, which starts
the clock again), the rest come home. People move on by air: onward destinations are chosen in proportion to the
seats of their flights from the origin (a proxy for how well connected they are to the hubs leavers pass through;
a pack without flights uses normal entries), among those the person's passport opens and that people abroad can
enter (`onward_entry` in destinations.csv: not Abkhazia, Belarus or Mongolia, which are reached from Russia).
Weighting by normal entries instead sent the movers of Tbilisi and Yerevan to Kazakhstan, whose entries are
mostly border trips by residents of the regions along it.

How it is drawn. `step_numpy` draws the law as written: one competing-risks multinomial per (cell, destination)
entry of the travellers and of the leavers, every day. `step`, which the engine runs, draws the same law another
way, with work that follows the events rather than the entries:

- a trip ends at a rate common to every traveller (1 / `trips.trip_days`), so each traveller's return day is drawn
  once, when the trip starts (geometric), into a ring of future returns by (cell, destination); returns due today
  need no draw. A trip turned into an exit (the exit hazard s_c of the cell) is drawn by thinning: among those not
  due, candidates at the highest daily probability max_c(1 − e^{−s_c}) with geometric gaps between them, each kept
  with its cell's probability over the highest; among those due, a share 1 − p_back/q of them stays instead
  (p_back = b/(b + s)·(1 − e^{−(b+s)}), q = 1 − e^{−b}). Each traveller thus comes back, stays or neither with
  exactly the probabilities of the competing risks. A traveller who stays leaves his place in the ring, removed
  lazily (a place due is a gone traveller's with probability gone / places);
- leavers return or move on by thinning against the highest probability of moving of the day;
- the deadlines of visa-free stays are those of `step_numpy` (cohorts by day of arrival), but the people due are
  drawn person by person (`kernels.persons_subset`: O(people due)) rather than by one hypergeometric per entry of
  the destination (O(entries)); the same law, a multivariate hypergeometric.

The random stream differs from `step_numpy`'s, the law does not: `tests/test_abroad_law.py` compares the two over
many seeds. The kernels are in `_compiled` (`trips_*`, `leavers_step`).

State: `AbroadState` (below), built by `setup`, changed by `snapshot` (who is abroad at the start of the day) and
`step`, which reads today's risk and the decisions' exit hazard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.state import HOME, RETURNED
from . import kernels
from .decisions import DecisionState, exit_core, pressure
from .risk import RiskState
from .sampling import add_at, block_entries, competing, exact_subset, split, sum_by

Triplets = tuple[np.ndarray, np.ndarray, np.ndarray]  # (cell, destination, count), row-major order
RING_DAYS = 128  # the ring of future returns from trips; a return drawn further ahead is drawn again then


@dataclass
class AbroadState:
    """What the abroad process owns."""

    # fixed for the run
    onward_w: np.ndarray  # [passport, from destination, to destination] weights of onward destinations
    can_move_on: np.ndarray  # [passport, destination] some onward destination is open
    onward_rate: np.ndarray  # [destination] hazard of moving on (higher in transit countries)
    onward_hz: np.ndarray  # [passport, destination] hazard of moving on, 0 where no onward destination is open
    onward_cum: np.ndarray  # [passport, from, to] cumulative onward weights, each row ending at 1
    # day to day
    cohort: np.ndarray  # [day of arrival, destination] leavers still in d (thinned by each day's departures)
    travelling_start: Triplets | None = None  # people on an ordinary trip at the start of the day (`step_numpy`)
    abroad_start: Triplets | None = None  # leavers abroad at the start of the day
    # the ring of returns from trips (`step`; layout in `_compiled`): entries (cd = d·cells + c, count, next)
    primed: bool = False  # the travellers of the run's start are scheduled
    trip_live: np.ndarray | None = None  # [cd] travellers, each with a place in the ring
    trip_gone: np.ndarray | None = None  # [cd] places of travellers who turned their trip into an exit
    trip_due: np.ndarray | None = None  # [cd] places due today (work array, zero between days)
    ring_head: np.ndarray | None = None  # [day % RING_DAYS] first entry due that day (−1: none)
    pool: np.ndarray | None = None  # [chunk, (next chunk, filled) then entries (cd, count)]
    pool_meta: np.ndarray | None = None  # [first free chunk, chunks used]


def setup(eng) -> AbroadState:
    """Onward-destination weights by passport status and origin destination."""
    net, p = eng.net, eng.params
    air = ~net.is_land
    seats = np.bincount(net.dest[air], net.capacity[air], minlength=net.n_dest)  # flights from the origin
    pull = seats if seats.sum() > 0 else net.baseline_entries.astype(float)
    attract = pull * np.exp(net.log_access[[np.flatnonzero(net.dest == d)[0] for d in range(net.n_dest)]])
    w = np.zeros((2, net.n_dest, net.n_dest))
    for pp in (0, 1):
        ok = ((~net.needs_passport) | (pp == 1)) & net.onward_entry
        w[pp] = attract[None, :] * ok[None, :]
    w[:, np.arange(net.n_dest), np.arange(net.n_dest)] = 0.0
    can = w.sum(axis=2) > 0
    rate = np.where(net.transit, p["abroad.onward_rate_transit"], p["abroad.onward_rate_other"])
    with np.errstate(invalid="ignore", divide="ignore"):
        cum = np.cumsum(w, axis=2) / w.sum(axis=2, keepdims=True)
    cum = np.where(can[:, :, None], cum, 1.0)
    cum[:, :, -1] = 1.0
    cd = eng.pop.n_cells * net.n_dest
    return AbroadState(onward_w=w, can_move_on=can, onward_rate=rate, onward_hz=rate[None, :] * can,
                       onward_cum=np.ascontiguousarray(cum), cohort=np.zeros((len(eng.days), net.n_dest)),
                       trip_live=np.zeros(cd, dtype=np.int64), trip_gone=np.zeros(cd, dtype=np.int64),
                       trip_due=np.zeros(cd, dtype=np.int64), ring_head=np.full(RING_DAYS, -1, dtype=np.int64),
                       pool=kernels.new_pool(256), pool_meta=np.array([-1, 0], dtype=np.int64))


def snapshot(eng, st: AbroadState, oracle: bool = False) -> None:
    """The leavers abroad at the start of the day (docs/model.md §4: rates read the day's start).

    Kept as sparse (cell, destination, count) triplets in row-major order, the order of `np.nonzero`. Travellers
    need no snapshot: those of the day's start are the ones in the ring (on the run's first day, the ring is filled
    with those on a trip then); `oracle`: also the travellers' triplets, for `step_numpy`.
    """
    lay = eng.layout
    if oracle:
        st.travelling_start = block_entries(eng.X, lay.travelling.start, lay.n_dest)
    elif not st.primed:
        st.pool = kernels.trips_prime(eng.X, lay.travelling.start, st.trip_live, eng.t,
                                              1.0 / eng.params["trips.trip_days"], st.pool, st.ring_head,
                                              st.pool_meta, eng.rng)
        st.primed = True
    st.abroad_start = block_entries(eng.X, lay.abroad.start, lay.n_dest)


def step(eng, st: AbroadState, day, risk: RiskState, decisions: DecisionState) -> None:
    """Trips end or turn into exits; leavers return, move on or do visa runs (the law of `step_numpy`).

    Only the people abroad at the start of the day move today: those who arrived today stay at least until
    tomorrow. Reads today's risk ρ and the exit hazard of travellers from `decisions`, as `step_numpy` does.
    """
    X, p, rng, lay, pop = eng.X, eng.params, eng.rng, eng.layout, eng.pop
    rec = eng.rec.today
    D, R = eng.net.n_dest, pop.n_regions
    # Travellers: returns scheduled at departure, trips turned into exits by thinning
    stay = np.ascontiguousarray(exit_core(eng, decisions, None) * pressure(eng, decisions, risk), dtype=float)
    b = 1.0 / p["trips.trip_days"]
    back_d, stay_d, stay_r = np.zeros(D, dtype=np.int64), np.zeros(D, dtype=np.int64), np.zeros(R, dtype=np.int64)
    st.pool = kernels.trips_step(X, lay.travelling.start, lay.abroad.start, HOME, pop.region, st.trip_live,
                                         st.trip_gone, st.trip_due, eng.t, b, stay, st.pool, st.ring_head,
                                         st.pool_meta, rng, back_d, stay_d, stay_r)
    rec["exits_back"] += back_d
    rec["trips_turned_exit"] += int(stay_d.sum())
    rec["left_by_dest"] += stay_d
    rec["left_by_region"] += stay_r
    # Leavers: deadlines by cohort, then returns and onward moves by thinning
    a_cells, a_dest, a_n = st.abroad_start
    max_stay = np.where(np.isnan(day.max_stay_days), eng.net.max_stay_days, day.max_stay_days)
    expired = _deadlines(eng, st, a_dest, a_n, max_stay, draw=kernels.persons_subset)
    ret = np.ascontiguousarray(p["abroad.return_rate"] * np.exp(-p["abroad.beta_return_risk"] * risk.rho),
                               dtype=float)
    live_d, gone_d = np.zeros(D, dtype=np.int64), np.zeros(D, dtype=np.int64)
    ret_r, onward_d = np.zeros(R, dtype=np.int64), np.zeros(D, dtype=np.int64)
    kernels.leavers_step(X, lay.abroad.start, RETURNED, a_cells, a_dest, a_n - expired, ret, st.onward_hz,
                                 pop.passport, pop.region, st.onward_cum, rng, live_d, gone_d, ret_r, onward_d)
    with np.errstate(invalid="ignore", divide="ignore"):
        kept = np.where(live_d > 0, 1.0 - gone_d / np.maximum(live_d, 1), 1.0)
    st.cohort[: eng.t] *= kept[None, :]  # departures thin every cohort of their destination alike
    due = np.flatnonzero(expired)
    xc, xd, n_exp = a_cells[due], a_dest[due], expired[due]
    runs = rng.binomial(n_exp, p["abroad.visa_run_share"])
    add_at(X, xc, lay.abroad.start + xd, -(n_exp - runs))  # a visa run exits and re-enters: the person stays
    add_at(X, xc, RETURNED, n_exp - runs)
    rec["entries"] += onward_d
    runs_d = sum_by(xd, runs, D)
    st.cohort[eng.t] += onward_d + runs_d + rec["left_by_dest"]  # today's arrivals (a visa run restarts the clock)
    rec["exits_back"] += gone_d + sum_by(xd, n_exp, D)
    rec["entries"] += runs_d
    rec["visa_runs"] += int(runs.sum())
    rec["returned"] += ret_r + sum_by(pop.region[xc], n_exp - runs, R)


def step_numpy(eng, st: AbroadState, day, risk: RiskState, decisions: DecisionState) -> None:
    """Trips end or turn into exits; leavers return, move on or do visa runs: the law, one multinomial per entry.

    The readable form of the law and the oracle of `step` (`tests/test_abroad_law.py`); it needs `snapshot(...,
    oracle=True)`. Only the people abroad at the start of the day (`snapshot`) move today: those who arrived today
    stay at least until tomorrow, as every other transition of the day reads the start-of-day state. Reads today's
    risk ρ (returns fall with it; travellers stay with the exit hazard of `decisions`, at full accessibility).
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


def _deadlines(eng, st: AbroadState, dest: np.ndarray, n: np.ndarray, max_stay: np.ndarray,
               draw=exact_subset) -> np.ndarray:
    """Leavers whose allowed stay ends today: every cohort that arrived `max_stay` days ago or earlier.

    Counted per entry of the leavers' (cell, destination, count) triplets, given here as (dest, n).

    Arrivals are tracked by day and destination (`AbroadState.cohort`, thinned by the departures of each day); on its
    deadline a cohort's survivors are drawn from the destination's stock at random (the cohort is not tracked by
    cell), exactly as many as survive, so a visa-free limit is a deadline for those who arrived on the same day,
    not a memoryless hazard.

    `draw(counts, k, rng)` chooses the k people due among the entries' counts, every person alike: `exact_subset`
    (one hypergeometric per entry of the destination) in `step_numpy`, its compiled twin in law
    `kernels.persons_subset` (a draw per person due) in `step`.
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
            out[here] = draw(np.ascontiguousarray(n[here], dtype=np.int64), k, eng.rng)
    return out
