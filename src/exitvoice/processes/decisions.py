"""Decisions (docs/model.md §7): passports, exit, ordinary trips, hiding, reporting, family departures.

Exit hazard of a person who may leave (in `home`, `summoned`, `hiding` or `returned`):
`λ_exit = λ_base · exp(β·x) · (1 + β_risk·ρ + β_summoned·[summoned] + β_closure·C) · (1 + β_peer·f) · A`
with x = (age, sex, education, passport, urban share of the region, attitude), f the share of one's region and
age band abroad, A the accessibility exp(μ·(LS − LS0)). Children decide nothing on their own.
The outflows of each state are competing risks, drawn as one multinomial per (cell, state):
- home: leave by route r, start a trip by route r, hide;
- returned: leave by route r, hide;
- summoned: leave by route r, report (→ mobilised, rate 1/report_days), hide;
- hiding: leave by route r, give up hiding (rate `unhide_rate · (1 − ρ)`).
Leavers by land join the crossing's queue; leavers by air ask for a seat (they stay where they are until they
get one). For each adult man who leaves, `family.ratio` women and children of his region follow, spread over
`family.lag_days`. Passports: applications at `λ_pass0 · (1 + β_risk·ρ)` from adults at home without one,
issued `processing_days` later within the daily capacity.

Exit controls (docs/model.md §5): under an `exit_visa`, the departures of its group (leavers, families, and
travellers when `trips` is on) go to `visa_pending` (`visa_pending_trip`) instead of a route, and the visa office
decides each day on at most its capacity of the applications that have waited `processing_days`; approved people
leave by today's route choice, refused ones go home. Under a `social_contract`, eligible men at home, returned or
hiding sign at the hazard `offer_rate · ρ · exp(−value of travel)` and move to `exempt`. Under a mobilisation with
`summons_exit_ban`, summoned men leave at `(1 − enforcement)^μ` of their hazard, and those who try are turned back
with probability `enforcement`.

State: `DecisionState` (below), built by `setup`, changed by `step`. A day's decisions read the risk, the call-up
and the routes of the day (their states are passed to `step`) and hand on a `Decided`: the departures, for routes,
and the reports and summonses the call-up counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import regional
from ..engine.state import EXEMPT, HIDING, HOME, MOBILISED, RETURNED, SUMMONED, VISA_PENDING, VISA_PENDING_TRIP
from .callup import CallupState, process_reports, report_days
from .risk import RiskState
from .routes import Departures, RouteState, utilities
from .sampling import add_at, block_sums, competing, exact_subset, split_by_key, sum_by


@dataclass
class DecisionState:
    """What decisions owns: the fixed parts of the hazards, the passport pipeline, exit visas waiting, frailty."""

    # fixed for the run
    adult: np.ndarray  # [cell] old enough to decide (`exit.min_age`); children decide nothing on their own
    adult_men: np.ndarray  # [cell] adult men (their families follow them)
    base_exit: np.ndarray  # [cell] λ_base·exp(β·x), 0 for children
    closure_exposure: np.ndarray  # [cell] weight of the perceived chance of closure: 1 for men of call-up age
    family_pool: np.ndarray  # [cell] women and children, who may follow the men who left
    rb: np.ndarray  # [cell] region × age band, for the peer term
    rb_size: np.ndarray  # [region × age band] people
    may_apply: np.ndarray  # [cell] adults without a foreign passport, who may apply for one
    pp_days: int  # passport processing days
    contract_elig: dict[int, np.ndarray]  # [cell] the cells each social contract is offered to
    travel_cut: np.ndarray  # [cell] exp(−value of travel), fixed over a run
    visa_target: dict[int, np.ndarray]  # [cell] the group each exit visa applies to
    visa_approval: dict[int, np.ndarray]  # [cell] each exit visa's approval probability
    visa_capacity: dict[int, float]  # each exit visa's daily capacity for the simulated regions
    passport_capacity: float  # passports issued a day, for the simulated regions
    # day to day
    cum_hazard: np.ndarray  # [cell] Λ_i: the exit hazard a person of the cell has faced so far
    frail: np.ndarray  # [cell] 1 / (1 + θ Λ_i): who is left is less ready to leave
    pp_ring: np.ndarray  # [processing day, cell] passport applications, by the day they are due
    pp_pending: np.ndarray  # [cell] applications in the ring
    pp_carry: np.ndarray  # [cell] applications due but not yet issued (over the daily capacity)
    visa_claims: dict[int, np.ndarray]  # exit-visa applications not ready yet: day → [cell, exit/trip]
    visa_today: object | None = None  # the exit visa in force today, if any


@dataclass
class Decided:
    """What a day's decisions hand on."""

    departures: Departures  # for routes
    reported: int  # summoned men who reported today (→ mobilised), for the call-up's quota
    summoned_r: np.ndarray  # [region] summonses served today on refusing an exit visa, for the call-up's count


def setup(eng) -> DecisionState:
    """Static parts of the hazards, and the passport pipeline."""
    pop, p = eng.pop, eng.params
    urban = pop.regions.urban_share.to_numpy(dtype=float)
    u_mean = np.average(urban, weights=pop.regions.pop_total)
    x = (p["exit.beta_age_per_decade"] * (pop.mean_age - 30) / 10
         + p["exit.beta_female"] * (pop.sex == 1)
         + p["exit.beta_tertiary"] * pop.tertiary
         + p["exit.beta_passport"] * pop.passport
         + p["exit.beta_urban"] * (urban[pop.region] - u_mean)
         + p["exit.beta_opposed"] * pop.opposed)
    adult = pop.age_lo >= p["exit.min_age"]
    rb = pop.region.astype(np.int64) * len(pop.band_mean_age) + pop.band
    pp_days = int(p["passport.processing_days"])
    visas = [q for q in eng.scenario.policy if q.type == "exit_visa"]
    return DecisionState(
        adult=adult,
        adult_men=adult & (pop.sex == 0),
        base_exit=np.where(adult, p["exit.lambda_base"] * np.exp(x), 0.0),
        closure_exposure=np.where(eng.callup_age, 1.0, p["exit.closure_exposure_other"]),
        family_pool=(pop.sex == 1) & adult | ~adult,
        rb=rb,
        rb_size=sum_by(rb, pop.size, pop.n_regions * len(pop.band_mean_age)).astype(float),
        may_apply=adult & (pop.passport == 0),
        pp_days=pp_days,
        contract_elig={id(q): q.eligible(eng.ctx) for q in eng.scenario.policy if q.type == "social_contract"},
        travel_cut=np.exp(-p["social.value_passport"] * pop.passport - p["social.value_tertiary"] * pop.tertiary),
        visa_target={id(q): q.targeted(eng.ctx) for q in visas},
        visa_approval={id(q): q.approval_prob(eng.ctx) for q in visas},
        # National capacities in persons, for the simulated regions (the whole figure unless the run is regional).
        visa_capacity={id(q): regional.figure(eng.scenario, q) for q in visas},
        passport_capacity=p["passport.capacity_per_day"] * regional.passport_share(eng.scenario),
        cum_hazard=np.zeros(pop.n_cells),
        frail=np.ones(pop.n_cells),
        pp_ring=np.zeros((pp_days, pop.n_cells), dtype=np.int64),
        pp_pending=np.zeros(pop.n_cells, dtype=np.int64),
        pp_carry=np.zeros(pop.n_cells, dtype=np.int64),
        visa_claims={},
    )


def fill_passport_pipeline(eng, st: DecisionState) -> None:
    """Fill the passport pipeline as it was before the crisis (`engine.steady`).

    Each of its `processing_days` slots holds one day of applications at the pre-crisis rate.
    """
    X = eng.X
    rate = -np.expm1(-eng.params["passport.lambda0"])
    for slot in range(st.pp_days):
        n = np.where(st.may_apply, np.maximum(X[:, HOME] - st.pp_pending, 0), 0)
        apps = eng.rng.binomial(n, rate)
        st.pp_ring[slot] = apps
        st.pp_pending += apps

def exit_core(eng, st: DecisionState, util_access: np.ndarray | None) -> np.ndarray:
    """λ_base·exp(β·x)·(1 + β_peer·f)·A·φ per cell (A = 1 when `util_access` is None: people already abroad).

    φ = 1/(1 + θ·Λ) is the gamma frailty of the cell's people (docs/exit.md): readiness to leave differs within
    a cell (means, work that can move, family abroad), those most ready leave first, so the hazard of those still
    there falls with the hazard Λ they have faced so far; θ = `exit.frailty_variance` (0: all alike).
    """
    p = eng.params
    abroad_rb = np.bincount(st.rb, block_sums(eng.X, eng.layout.abroad)[0], minlength=st.rb_size.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(st.rb_size > 0, abroad_rb / np.maximum(st.rb_size, 1), 0.0)[st.rb]
    core = st.base_exit * (1 + p["exit.beta_peer"] * f) * st.frail
    return core if util_access is None else core * util_access


def pressure(eng, st: DecisionState, risk: RiskState, summoned: bool = False) -> np.ndarray:
    """(1 + β_risk·ρ + β_summoned·[summoned] + β_closure·w·C) per cell, from today's risk ρ and C.

    w is the cell's exposure to a closure of exits: 1 for men of call-up age, `exit.closure_exposure_other` for
    everyone else (docs/model.md §7).
    """
    p = eng.params
    return (1 + p["exit.beta_risk"] * risk.rho + p["exit.beta_closure"] * risk.closure_seen * st.closure_exposure
            + (p["exit.beta_summoned"] if summoned else 0.0))


def _issue_passports(eng, st: DecisionState) -> None:
    X, rng = eng.X, eng.rng
    slot = eng.t % st.pp_days
    due = st.pp_ring[slot] + st.pp_carry
    st.pp_pending -= st.pp_ring[slot]
    st.pp_ring[slot] = 0
    ready = np.minimum(due, X[:, HOME])
    cap = int(st.passport_capacity * eng.scenario.population.scale)
    issued = ready if ready.sum() <= cap else exact_subset(ready, cap, rng)
    st.pp_carry = np.minimum(due - issued, X[:, HOME] - issued)  # those who left drop out
    X[:, HOME] -= issued
    np.add.at(X[:, HOME], eng.pop.partner, issued)
    eng.rec.today["passports_issued"] = int(issued.sum())


def _apply_for_passports(eng, st: DecisionState, rho: np.ndarray) -> None:
    p = eng.params
    slot = eng.t % st.pp_days
    n = np.where(st.may_apply, np.maximum(eng.X[:, HOME] - st.pp_pending - st.pp_carry, 0), 0)
    rate = p["passport.lambda0"] * (1 + p["passport.beta_risk"] * rho)
    apps = eng.rng.binomial(n, -np.expm1(-rate))
    st.pp_ring[slot] = apps
    st.pp_pending += apps
    eng.rec.today["passport_applications"] = int(apps.sum())


def _route_out(eng, dep: Departures, src: int, cells: np.ndarray, route: np.ndarray, counts: np.ndarray,
               trip: bool) -> None:
    """Send (cell, route, count) movers out of column src: land → queue arrivals, air → seat demand."""
    n_land = eng.net.n_land
    land = route < n_land  # land routes come first
    purpose = dep.TRIP if trip else dep.SUMMONED_EXIT if src == SUMMONED else dep.EXIT
    dep.join(purpose, cells[land], route[land], counts[land], source=src)
    add_at(eng.X, cells[land], src, -counts[land])
    air = ~land
    dep.air.append((src, trip, cells[air], route[air] - n_land, counts[air]))


def _leave(eng, st: DecisionState, dep: Departures, src: int, cells: np.ndarray, n: np.ndarray, u,
           visa_ok: bool = False) -> None:
    """Route the n[i] leavers of cells[i] (in column src) by the logit of their key.

    Under an exit visa, those of its group apply for one instead (unless `visa_ok`: they hold today's visa).
    """
    if st.visa_today is not None and not visa_ok:
        n = n - _apply_for_visas(eng, st, src, cells, n, VISA_PENDING)
    c, r, k = split_by_key(cells, n, u.key[cells], u.exit_table, eng.net.n_routes, eng.rng)
    _route_out(eng, dep, src, c, r, k, trip=False)


def _apply_for_visas(eng, st: DecisionState, src: int, cells: np.ndarray, n: np.ndarray, dst: int) -> np.ndarray:
    """Move the targeted part of n[i] from src to a visa queue (dst); returns the counts moved."""
    apply = np.where(st.visa_target[id(st.visa_today)][cells], n, 0)
    if not apply.any() or src == SUMMONED:
        return apply  # a summoned man gets no visa: he stays summoned
    eng.X[cells, src] -= apply
    eng.X[cells, dst] += apply
    claims = st.visa_claims.setdefault(eng.t, np.zeros((eng.pop.n_cells, 2), dtype=np.int64))
    claims[cells, int(dst == VISA_PENDING_TRIP)] += apply
    eng.rec.today["visa_applications"] += int(apply.sum())
    return apply


def _visa_office(eng, st: DecisionState, dep: Departures, u, callup_open: bool) -> np.ndarray:
    """Decide on the applications that have waited long enough, up to the office's daily capacity.

    Returns the summonses served on refusal today, by region (a refused man of call-up age may be served one
    while the call-up is open).
    """
    pol, X, rng = st.visa_today, eng.X, eng.rng
    rec = eng.rec.today
    st.visa_claims = {d: c for d, c in st.visa_claims.items() if d > eng.t - pol.processing_days}
    waiting = X[:, [VISA_PENDING, VISA_PENDING_TRIP]]
    not_ready = sum(st.visa_claims.values()) if st.visa_claims else 0
    ready = np.clip(waiting - not_ready, 0, None)
    if not ready.any():
        return np.zeros(eng.pop.n_regions, dtype=np.int64)
    cap = max(1, round(st.visa_capacity[id(pol)] * eng.scenario.population.scale))
    decided = ready if ready.sum() <= cap else exact_subset(ready, cap, rng)
    approved = rng.binomial(decided, st.visa_approval[id(pol)][:, None])
    refused = decided - approved
    rec["visas_processed"] += int(decided.sum())
    rec["visas_issued"] += int(approved.sum())
    rec["visas_refused"] += int(refused.sum())
    # Refused people go home; a refused man of call-up age may be served a summons on the spot.
    refused_total = refused.sum(axis=1)
    X[:, [VISA_PENDING, VISA_PENDING_TRIP]] -= refused
    summoned = (rng.binomial(refused_total, pol.summons_at_refusal * eng.callup_age)
                if pol.summons_at_refusal > 0 and callup_open else np.zeros_like(refused_total))
    X[:, HOME] += refused_total - summoned
    X[:, SUMMONED] += summoned
    # Approved people leave today by their route choice.
    cells = np.arange(eng.pop.n_cells)
    _leave(eng, st, dep, VISA_PENDING, cells, approved[:, 0], u, visa_ok=True)
    c, r, k = split_by_key(cells, approved[:, 1], u.key, u.trip_table, eng.net.n_routes, rng)
    _route_out(eng, dep, VISA_PENDING_TRIP, c, r, k, trip=True)
    return sum_by(eng.pop.region, summoned, eng.pop.n_regions)


def _sign_contracts(eng, st: DecisionState, day, rho: np.ndarray) -> None:
    """Social contract: eligible men at home, returned or hiding sign and become exempt (docs/model.md §5)."""
    X, pop = eng.X, eng.pop
    for pol in day.contracts:
        h = np.where(st.contract_elig[id(pol)], pol.offer_rate * rho * st.travel_cut, 0.0)
        prob = -np.expm1(-h)
        for col in (HOME, RETURNED, HIDING):
            n = eng.rng.binomial(X[:, col], prob)
            X[:, col] -= n
            surrender = n * pop.passport if pol.passport_surrender else np.zeros_like(n)
            X[:, EXEMPT] += n - surrender
            np.add.at(X[:, EXEMPT], pop.partner, surrender)  # the passport is taken: the cell without one
            eng.rec.today["contracts_signed"] += int(n.sum())
            eng.rec.today["passports_surrendered"] += int(surrender.sum())


def _leave_or(eng, st: DecisionState, dep: Departures, src: int, lam: np.ndarray, others: np.ndarray, u,
              stop: float = 0.0):
    """Competing risks out of column `src`: leave (hazard λ, then a route) or one of the `others` [cell, k].

    Leavers are sent on their routes (a share `stop` of them is turned back and stays); returns the cells drawn
    and the counts of the other outcomes [rows, k].
    """
    rows = np.flatnonzero(eng.X[:, src])
    if not rows.size:
        return rows, np.zeros((0, others.shape[1]), dtype=np.int64)
    out = competing(eng.X[rows, src], np.concatenate([lam[rows, None], others[rows]], axis=1), eng.rng)
    go = out[:, 0]
    if stop > 0:
        stopped = eng.rng.binomial(go, stop)
        go = go - stopped
        eng.rec.today["stopped_summons_ban"] += int(stopped.sum())
    _leave(eng, st, dep, src, rows, go, u)
    eng.rec.today["exit_attempts"] += int(out[:, 0].sum())
    return rows, out[:, 1:]


def step(eng, st: DecisionState, day, risk: RiskState, callup: CallupState, routes: RouteState,
         followers: np.ndarray) -> Decided:
    """All decisions of the day.

    Reads today's risk (ρ, the perceived chance of closure), the call-up (the current mobilisation, whether it is
    open, the commissariats' capacity), the routes (waits and fares, through `utilities`) and `followers`, the
    family members due to follow today by region (`family.due_today`).
    """
    X, p, rng, pop = eng.X, eng.params, eng.rng, eng.pop
    rec = eng.rec.today
    dep = Departures.none(pop.n_cells, eng.net.n_land)
    summoned_r = np.zeros(pop.n_regions, dtype=np.int64)
    _issue_passports(eng, st)
    u = utilities(eng, routes, day, announced=callup.current_mob is not None)
    if len(day.exit_visas) > 1:
        raise ValueError("two exit visa policies are in force on the same day")  # Scenario.check rejects it
    st.visa_today = day.exit_visas[0] if day.exit_visas else None
    if st.visa_today is not None:
        summoned_r = _visa_office(eng, st, dep, u, callup.open)
    _sign_contracts(eng, st, day, risk.rho)
    st.frail = 1.0 / (1.0 + p["exit.frailty_variance"] * st.cum_hazard)
    core = exit_core(eng, st, u.access)
    hide_home = p["callup.hide_rate_home"] * risk.rho
    all_cells = np.arange(pop.n_cells)

    # home: leave (then a route), start a trip (then a route), hide
    lam = core * pressure(eng, st, risk)
    st.cum_hazard += lam / st.frail  # Λ grows by the hazard of a person of average readiness
    haz = np.stack([lam, u.trip_total[u.key], hide_home], axis=1)
    out = competing(X[:, HOME].copy(), haz, rng)
    _leave(eng, st, dep, HOME, all_cells, out[:, 0], u)
    trips = out[:, 1]
    if st.visa_today is not None and st.visa_today.trips:
        trips = trips - _apply_for_visas(eng, st, HOME, all_cells, trips, VISA_PENDING_TRIP)
    c, r, k = split_by_key(all_cells, trips, u.key, u.trip_table, eng.net.n_routes, rng)
    _route_out(eng, dep, HOME, c, r, k, trip=True)
    eng.move(HOME, HIDING, out[:, 2])
    rec["exit_attempts"] += int(out[:, 0].sum())
    rec["trip_starts"] += int(out[:, 1].sum())

    # returned: leave, hide
    rows, other = _leave_or(eng, st, dep, RETURNED, lam, hide_home[:, None], u)
    eng.move(RETURNED, HIDING, other[:, 0], cells=rows)

    # summoned: leave, report, hide
    C = pop.n_cells
    report_hide = np.stack([np.full(C, 1.0 / report_days(eng, callup)), np.full(C, p["callup.hide_rate"])], axis=1)
    lam_s, stop = core * pressure(eng, st, risk, summoned=True), 0.0
    mob = callup.current_mob
    if mob is not None and mob.bans_exit(eng.date):  # summoned men may not leave: they know, and are checked
        stop = mob.number("summons_ban_enforcement", p)
        lam_s = lam_s * (1.0 - stop) ** p["exit.mu_access"]
    before = rec["exit_attempts"]
    rows, other = _leave_or(eng, st, dep, SUMMONED, lam_s, report_hide, u, stop=stop)
    other[:, 0] = process_reports(eng, callup, rows, other[:, 0])
    rec["summoned_exits"] += rec["exit_attempts"] - before
    eng.move(SUMMONED, MOBILISED, other[:, 0], cells=rows)
    eng.move(SUMMONED, HIDING, other[:, 1], cells=rows)
    reported = int(other[:, 0].sum())
    rec["mobilised"] += sum_by(pop.region[rows], other[:, 0], pop.n_regions)

    # hiding: leave, give up hiding
    unhide = p["callup.unhide_rate"] * (1 - risk.rho)
    rows, other = _leave_or(eng, st, dep, HIDING, lam, unhide[:, None], u)
    eng.move(HIDING, HOME, other[:, 0], cells=rows)

    _family(eng, st, dep, u, followers)
    _apply_for_passports(eng, st, risk.rho)
    return Decided(departures=dep, reported=reported, summoned_r=summoned_r)


def _family(eng, st: DecisionState, dep: Departures, u, want: np.ndarray) -> None:
    """Women and children follow the men of their region who left: `want` of them by region today (docs/model.md §7)."""
    X, pop, rng = eng.X, eng.pop, eng.rng
    if want.sum() <= 0:
        return
    pledged = sum(sum_by(c, n, pop.n_cells) for src, _, c, _, n in dep.air if src == HOME)
    cand = np.where(st.family_pool & np.isfinite(u.ls[u.key]), X[:, HOME] - pledged, 0)
    pool_r = sum_by(pop.region, cand, pop.n_regions)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(pool_r > 0, np.minimum(1.0, want / np.maximum(pool_r, 1)), 0.0)
    n = rng.binomial(cand, q[pop.region])
    if n.sum() == 0:
        return
    _leave(eng, st, dep, HOME, np.arange(pop.n_cells), n, u)
    eng.rec.today["family_attempts"] += int(n.sum())
