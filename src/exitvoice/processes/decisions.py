"""Decisions (MODEL §7): passports, exit, ordinary trips, hiding, reporting, family departures.

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

Exit controls (MODEL §5): under an `exit_visa`, the departures of its group (leavers, families, and travellers when
`trips` is on) go to `visa_pending` (`visa_pending_trip`) instead of a route, and the visa office decides each day
on at most its capacity of the applications that have waited `processing_days`; approved people leave by today's
route choice, refused ones go home. Under a `social_contract`, eligible men at home, returned or hiding sign at the
hazard `offer_rate · ρ · exp(−value of travel)` and move to `exempt`. Under a mobilisation with `summons_exit_ban`,
summoned men leave at `(1 − enforcement)^μ` of their hazard, and those who try are turned back with probability
`enforcement`.
"""

from __future__ import annotations

import numpy as np

from ..engine.state import EXEMPT, HIDING, HOME, MOBILISED, RETURNED, SUMMONED, VISA_PENDING, VISA_PENDING_TRIP
from . import callup
from .routes import Departures, utilities
from .sampling import add_at, competing, exact_subset, split_by_key, sum_by


def setup(eng) -> None:
    """Static parts of the hazards, and the passport and family pipelines."""
    pop, p = eng.pop, eng.params
    urban = pop.regions.urban_share.to_numpy(dtype=float)
    u_mean = np.average(urban, weights=pop.regions.pop_total)
    x = (p["exit.beta_age_per_decade"] * (pop.mean_age - 30) / 10
         + p["exit.beta_female"] * (pop.sex == 1)
         + p["exit.beta_tertiary"] * pop.tertiary
         + p["exit.beta_passport"] * pop.passport
         + p["exit.beta_urban"] * (urban[pop.region] - u_mean)
         + p["exit.beta_opposed"] * pop.opposed)
    eng.adult = pop.age_lo >= p["exit.min_age"]
    eng.base_exit = np.where(eng.adult, p["exit.lambda_base"] * np.exp(x), 0.0)
    eng.adult_men = eng.adult & (pop.sex == 0)
    eng.closure_exposure = np.where(eng.callup_age_men, 1.0, p["exit.closure_exposure_other"])
    eng.cum_hazard = np.zeros(pop.n_cells)  # Λ_i: the exit hazard a person of the cell has faced so far
    eng.frail = np.ones(pop.n_cells)  # 1 / (1 + θ Λ_i): who is left is less ready to leave
    eng.family_pool = (pop.sex == 1) & eng.adult | ~eng.adult
    eng.rb = pop.region.astype(np.int64) * len(pop.band_mean_age) + pop.band
    eng.rb_size = sum_by(eng.rb, pop.size, pop.n_regions * len(pop.band_mean_age)).astype(float)
    eng.pp_days = int(p["passport.processing_days"])
    eng.pp_ring = np.zeros((eng.pp_days, pop.n_cells), dtype=np.int64)
    eng.pp_pending = np.zeros(pop.n_cells, dtype=np.int64)
    eng.pp_carry = np.zeros(pop.n_cells, dtype=np.int64)
    eng.may_apply = eng.adult & (pop.passport == 0)
    # Exit visas: applications of the last days, not ready yet (day index → [cell, exit/trip]).
    eng.visa_claims: dict[int, np.ndarray] = {}
    eng.visa_today = None
    # Social contract: the offer's cells, and the value of travel of each cell (fixed over a run).
    eng.contract_elig = {id(q): q.eligible(eng.ctx) for q in eng.scenario.policy if q.type == "social_contract"}
    eng.travel_cut = np.exp(-p["social.value_passport"] * pop.passport - p["social.value_tertiary"] * pop.tertiary)
    visas = [q for q in eng.scenario.policy if q.type == "exit_visa"]
    eng.visa_target = {id(q): q.targeted(eng.ctx) for q in visas}
    eng.visa_approval = {id(q): q.approval_prob(eng.ctx) for q in visas}


def exit_core(eng, util_access: np.ndarray | None) -> np.ndarray:
    """λ_base·exp(β·x)·(1 + β_peer·f)·A·φ per cell (A = 1 when `util_access` is None: people already abroad).

    φ = 1/(1 + θ·Λ) is the gamma frailty of the cell's people (docs/exit.md): readiness to leave differs within
    a cell (means, work that can move, family abroad), those most ready leave first, so the hazard of those still
    there falls with the hazard Λ they have faced so far; θ = `exit.frailty_variance` (0: all alike).
    """
    p = eng.params
    abroad_rb = np.bincount(eng.rb, eng.X[:, eng.layout.abroad].sum(axis=1), minlength=eng.rb_size.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(eng.rb_size > 0, abroad_rb / np.maximum(eng.rb_size, 1), 0.0)[eng.rb]
    core = eng.base_exit * (1 + p["exit.beta_peer"] * f) * eng.frail
    return core if util_access is None else core * util_access


def pressure(eng, summoned: bool = False) -> np.ndarray:
    """(1 + β_risk·ρ + β_summoned·[summoned] + β_closure·w·C) per cell.

    w is the cell's exposure to a closure of exits: 1 for men of call-up age, `exit.closure_exposure_other` for
    everyone else (docs/model.md §7).
    """
    p, risk = eng.params, eng.risk
    return (1 + p["exit.beta_risk"] * risk.rho + p["exit.beta_closure"] * risk.closure_seen * eng.closure_exposure
            + (p["exit.beta_summoned"] if summoned else 0.0))


def _issue_passports(eng) -> None:
    X, rng = eng.X, eng.rng
    slot = eng.t % eng.pp_days
    due = eng.pp_ring[slot] + eng.pp_carry
    eng.pp_pending -= eng.pp_ring[slot]
    eng.pp_ring[slot] = 0
    ready = np.minimum(due, X[:, HOME])
    cap = int(eng.params["passport.capacity_per_day"] * eng.scenario.population.scale)
    issued = ready if ready.sum() <= cap else exact_subset(ready, cap, rng)
    eng.pp_carry = np.minimum(due - issued, X[:, HOME] - issued)  # those who left drop out
    X[:, HOME] -= issued
    np.add.at(X[:, HOME], eng.pop.partner, issued)
    eng.rec.today["passports_issued"] = int(issued.sum())


def _apply_for_passports(eng) -> None:
    p = eng.params
    slot = eng.t % eng.pp_days
    n = np.where(eng.may_apply, np.maximum(eng.X[:, HOME] - eng.pp_pending - eng.pp_carry, 0), 0)
    rate = p["passport.lambda0"] * (1 + p["passport.beta_risk"] * eng.risk.rho)
    apps = eng.rng.binomial(n, -np.expm1(-rate))
    eng.pp_ring[slot] = apps
    eng.pp_pending += apps
    eng.rec.today["passport_applications"] = int(apps.sum())


def _route_out(eng, dep: Departures, src: int, cells: np.ndarray, route: np.ndarray, counts: np.ndarray,
               trip: bool) -> None:
    """Send (cell, route, count) movers out of column src: land → queue arrivals, air → seat demand."""
    n_land = eng.net.n_land
    land = route < n_land  # land routes come first
    queue = dep.trip if trip else dep.summoned if src == SUMMONED else dep.exit
    add_at(queue, cells[land], route[land], counts[land])
    add_at(eng.X, cells[land], src, -counts[land])
    air = ~land
    dep.air.append((src, trip, cells[air], route[air] - n_land, counts[air]))


def _leave(eng, dep: Departures, src: int, cells: np.ndarray, n: np.ndarray, u, visa_ok: bool = False) -> None:
    """Route the n[i] leavers of cells[i] (in column src) by the logit of their key.

    Under an exit visa, those of its group apply for one instead (unless `visa_ok`: they hold today's visa).
    """
    if eng.visa_today is not None and not visa_ok:
        n = n - _apply_for_visas(eng, src, cells, n, VISA_PENDING)
    c, r, k = split_by_key(cells, n, u.key[cells], u.exit_table, eng.net.n_routes, eng.rng)
    _route_out(eng, dep, src, c, r, k, trip=False)


def _apply_for_visas(eng, src: int, cells: np.ndarray, n: np.ndarray, dst: int) -> np.ndarray:
    """Move the targeted part of n[i] from src to a visa queue (dst); returns the counts moved."""
    apply = np.where(eng.visa_target[id(eng.visa_today)][cells], n, 0)
    if not apply.any() or src == SUMMONED:
        return apply  # a summoned man gets no visa: he stays summoned
    eng.X[cells, src] -= apply
    eng.X[cells, dst] += apply
    claims = eng.visa_claims.setdefault(eng.t, np.zeros((eng.pop.n_cells, 2), dtype=np.int64))
    claims[cells, int(dst == VISA_PENDING_TRIP)] += apply
    eng.rec.today["visa_applications"] += int(apply.sum())
    return apply


def _visa_office(eng, dep: Departures, u) -> None:
    """Decide on the applications that have waited long enough, up to the office's daily capacity."""
    pol, X, rng = eng.visa_today, eng.X, eng.rng
    rec = eng.rec.today
    eng.visa_claims = {d: c for d, c in eng.visa_claims.items() if d > eng.t - pol.processing_days}
    waiting = X[:, [VISA_PENDING, VISA_PENDING_TRIP]]
    not_ready = sum(eng.visa_claims.values()) if eng.visa_claims else 0
    ready = np.clip(waiting - not_ready, 0, None)
    if not ready.any():
        return
    cap = max(1, round(pol.daily_capacity * eng.scenario.population.scale))
    decided = ready if ready.sum() <= cap else exact_subset(ready, cap, rng)
    approved = rng.binomial(decided, eng.visa_approval[id(pol)][:, None])
    refused = decided - approved
    rec["visas_processed"] += int(decided.sum())
    rec["visas_issued"] += int(approved.sum())
    rec["visas_refused"] += int(refused.sum())
    # Refused people go home; a refused man of call-up age may be served a summons on the spot.
    refused_total = refused.sum(axis=1)
    X[:, [VISA_PENDING, VISA_PENDING_TRIP]] -= refused
    summoned = (rng.binomial(refused_total, pol.summons_at_refusal * eng.callup_age_men)
                if pol.summons_at_refusal > 0 and eng.callup.open else np.zeros_like(refused_total))
    X[:, HOME] += refused_total - summoned
    X[:, SUMMONED] += summoned
    callup.add_summons(eng.callup, sum_by(eng.pop.region, summoned, eng.pop.n_regions))
    # Approved people leave today by their route choice.
    cells = np.arange(eng.pop.n_cells)
    _leave(eng, dep, VISA_PENDING, cells, approved[:, 0], u, visa_ok=True)
    c, r, k = split_by_key(cells, approved[:, 1], u.key, u.trip_table, eng.net.n_routes, rng)
    _route_out(eng, dep, VISA_PENDING_TRIP, c, r, k, trip=True)


def _sign_contracts(eng, day) -> None:
    """Social contract: eligible men at home, returned or hiding sign and become exempt (MODEL §5)."""
    X, pop = eng.X, eng.pop
    for pol in day.contracts:
        h = np.where(eng.contract_elig[id(pol)], pol.offer_rate * eng.risk.rho * eng.travel_cut, 0.0)
        prob = -np.expm1(-h)
        for col in (HOME, RETURNED, HIDING):
            n = eng.rng.binomial(X[:, col], prob)
            X[:, col] -= n
            surrender = n * pop.passport if pol.passport_surrender else np.zeros_like(n)
            X[:, EXEMPT] += n - surrender
            np.add.at(X[:, EXEMPT], pop.partner, surrender)  # the passport is taken: the cell without one
            eng.rec.today["contracts_signed"] += int(n.sum())
            eng.rec.today["passports_surrendered"] += int(surrender.sum())


def _leave_or(eng, dep: Departures, src: int, lam: np.ndarray, others: np.ndarray, u, stop: float = 0.0):
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
    _leave(eng, dep, src, rows, go, u)
    eng.rec.today["exit_attempts"] += int(out[:, 0].sum())
    return rows, out[:, 1:]


def step(eng, day, followers: np.ndarray) -> Departures:
    """All decisions of the day; `followers`: the family members due to follow today, by region.

    Returns today's departures, for routes.
    """
    X, p, rng, pop = eng.X, eng.params, eng.rng, eng.pop
    rec = eng.rec.today
    dep = Departures.none(pop.n_cells, eng.net.n_land)
    _issue_passports(eng)
    u = utilities(eng, eng.routes, day, eng.callup.current_mob is not None)
    eng.util = u
    if len(day.exit_visas) > 1:
        raise ValueError("two exit visa policies are in force on the same day")  # Scenario.check rejects it
    eng.visa_today = day.exit_visas[0] if day.exit_visas else None
    if eng.visa_today is not None:
        _visa_office(eng, dep, u)
    _sign_contracts(eng, day)
    eng.frail = 1.0 / (1.0 + p["exit.frailty_variance"] * eng.cum_hazard)
    core = exit_core(eng, u.access)
    hide_home = p["callup.hide_rate_home"] * eng.risk.rho
    all_cells = np.arange(pop.n_cells)

    # home: leave (then a route), start a trip (then a route), hide
    lam = core * pressure(eng)
    eng.cum_hazard += lam / eng.frail  # Λ grows by the hazard of a person of average readiness
    haz = np.stack([lam, u.trip_total[u.key], hide_home], axis=1)
    out = competing(X[:, HOME].copy(), haz, rng)
    _leave(eng, dep, HOME, all_cells, out[:, 0], u)
    trips = out[:, 1]
    if eng.visa_today is not None and eng.visa_today.trips:
        trips = trips - _apply_for_visas(eng, HOME, all_cells, trips, VISA_PENDING_TRIP)
    c, r, k = split_by_key(all_cells, trips, u.key, u.trip_table, eng.net.n_routes, rng)
    _route_out(eng, dep, HOME, c, r, k, trip=True)
    eng.move(HOME, HIDING, out[:, 2])
    rec["exit_attempts"] += int(out[:, 0].sum())
    rec["trip_starts"] += int(out[:, 1].sum())

    # returned: leave, hide
    rows, other = _leave_or(eng, dep, RETURNED, lam, hide_home[:, None], u)
    eng.move(RETURNED, HIDING, other[:, 0], cells=rows)

    # summoned: leave, report, hide
    C = pop.n_cells
    report_hide = np.stack([np.full(C, 1.0 / callup.report_days(eng, eng.callup)), np.full(C, p["callup.hide_rate"])],
                           axis=1)
    lam_s, stop = core * pressure(eng, summoned=True), 0.0
    mob = eng.callup.current_mob
    if mob is not None and mob.bans_exit(eng.date):  # summoned men may not leave: they know, and are checked
        stop = mob.number("summons_ban_enforcement", p)
        lam_s = lam_s * (1.0 - stop) ** p["exit.mu_access"]
    before = rec["exit_attempts"]
    rows, other = _leave_or(eng, dep, SUMMONED, lam_s, report_hide, u, stop=stop)
    other[:, 0] = callup.process_reports(eng, eng.callup, rows, other[:, 0])
    rec["summoned_exits"] += rec["exit_attempts"] - before
    eng.move(SUMMONED, MOBILISED, other[:, 0], cells=rows)
    eng.move(SUMMONED, HIDING, other[:, 1], cells=rows)
    callup.count_mobilised(eng, eng.callup, int(other[:, 0].sum()))
    rec["mobilised"] += sum_by(pop.region[rows], other[:, 0], pop.n_regions)

    # hiding: leave, give up hiding
    unhide = p["callup.unhide_rate"] * (1 - eng.risk.rho)
    rows, other = _leave_or(eng, dep, HIDING, lam, unhide[:, None], u)
    eng.move(HIDING, HOME, other[:, 0], cells=rows)

    _family(eng, dep, u, followers)
    _apply_for_passports(eng)
    return dep


def _family(eng, dep: Departures, u, want: np.ndarray) -> None:
    """Women and children follow the men of their region who left: `want` of them by region today (MODEL §7)."""
    X, pop, rng = eng.X, eng.pop, eng.rng
    if want.sum() <= 0:
        return
    pledged = sum(sum_by(c, n, pop.n_cells) for src, _, c, _, n in dep.air if src == HOME)
    cand = np.where(eng.family_pool & np.isfinite(u.ls[u.key]), X[:, HOME] - pledged, 0)
    pool_r = sum_by(pop.region, cand, pop.n_regions)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(pool_r > 0, np.minimum(1.0, want / np.maximum(pool_r, 1)), 0.0)
    n = rng.binomial(cand, q[pop.region])
    if n.sum() == 0:
        return
    _leave(eng, dep, HOME, np.arange(pop.n_cells), n, u)
    eng.rec.today["family_attempts"] += int(n.sum())
