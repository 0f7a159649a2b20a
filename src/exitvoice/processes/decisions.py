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
"""

from __future__ import annotations

import numpy as np

from ..engine.state import HIDING, HOME, MOBILISED, RETURNED, SUMMONED
from . import callup
from .routes import utilities
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
    eng.family_pool = (pop.sex == 1) & eng.adult | ~eng.adult
    eng.rb = pop.region.astype(np.int64) * len(pop.band_mean_age) + pop.band
    eng.rb_size = sum_by(eng.rb, pop.size, pop.n_regions * len(pop.band_mean_age)).astype(float)
    lag = int(p["family.lag_days"])
    eng.family_ring = np.zeros((lag + 1, pop.n_regions))
    eng.pp_days = int(p["passport.processing_days"])
    eng.pp_ring = np.zeros((eng.pp_days, pop.n_cells), dtype=np.int64)
    eng.pp_pending = np.zeros(pop.n_cells, dtype=np.int64)
    eng.pp_carry = np.zeros(pop.n_cells, dtype=np.int64)
    eng.may_apply = eng.adult & (pop.passport == 0)


def exit_core(eng, util_access: np.ndarray | None) -> np.ndarray:
    """λ_base·exp(β·x)·(1 + β_peer·f)·A per cell (A = 1 when `util_access` is None: people already abroad)."""
    p = eng.params
    abroad_rb = np.bincount(eng.rb, eng.X[:, eng.layout.abroad].sum(axis=1), minlength=eng.rb_size.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(eng.rb_size > 0, abroad_rb / np.maximum(eng.rb_size, 1), 0.0)[eng.rb]
    core = eng.base_exit * (1 + p["exit.beta_peer"] * f)
    return core if util_access is None else core * util_access


def pressure(eng, summoned: bool = False) -> np.ndarray:
    """(1 + β_risk·ρ + β_summoned·[summoned] + β_closure·C) per cell."""
    p = eng.params
    return (1 + p["exit.beta_risk"] * eng.rho + p["exit.beta_closure"] * eng.closure
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
    rate = p["passport.lambda0"] * (1 + p["passport.beta_risk"] * eng.rho)
    apps = eng.rng.binomial(n, -np.expm1(-rate))
    eng.pp_ring[slot] = apps
    eng.pp_pending += apps
    eng.rec.today["passport_applications"] = int(apps.sum())


def _route_out(eng, src: int, cells: np.ndarray, routes: np.ndarray, counts: np.ndarray, trip: bool) -> None:
    """Send (cell, route, count) movers out of column src: land → queue arrivals, air → seat demand."""
    n_land = eng.net.n_land
    land = routes < n_land  # land routes come first
    add_at(eng.arrive_trip if trip else eng.arrive_exit, cells[land], routes[land], counts[land])
    add_at(eng.X, cells[land], src, -counts[land])
    air = ~land
    eng.air_demand.append((src, trip, cells[air], routes[air] - n_land, counts[air]))


def _leave(eng, src: int, cells: np.ndarray, n: np.ndarray, u) -> None:
    """Route the n[i] leavers of cells[i] (in column src) by the logit of their key."""
    c, r, k = split_by_key(cells, n, u.key[cells], u.exit_table, eng.net.n_routes, eng.rng)
    _route_out(eng, src, c, r, k, trip=False)


def _leave_or(eng, src: int, lam: np.ndarray, others: np.ndarray, u):
    """Competing risks out of column `src`: leave (hazard λ, then a route) or one of the `others` [cell, k].

    Leavers are sent on their routes; returns the cells drawn and the counts of the other outcomes [rows, k].
    """
    rows = np.flatnonzero(eng.X[:, src])
    if not rows.size:
        return rows, np.zeros((0, others.shape[1]), dtype=np.int64)
    out = competing(eng.X[rows, src], np.concatenate([lam[rows, None], others[rows]], axis=1), eng.rng)
    _leave(eng, src, rows, out[:, 0], u)
    eng.rec.today["exit_attempts"] += int(out[:, 0].sum())
    return rows, out[:, 1:]


def step(eng, day) -> None:
    """All decisions of the day."""
    X, p, rng, pop = eng.X, eng.params, eng.rng, eng.pop
    rec = eng.rec.today
    _issue_passports(eng)
    u = utilities(eng, day)
    eng.util = u
    core = exit_core(eng, u.access)
    hide_home = p["callup.hide_rate_home"] * eng.rho
    all_cells = np.arange(pop.n_cells)

    # home: leave (then a route), start a trip (then a route), hide
    lam = core * pressure(eng)
    haz = np.stack([lam, u.trip_total[u.key], hide_home], axis=1)
    out = competing(X[:, HOME].copy(), haz, rng)
    _leave(eng, HOME, all_cells, out[:, 0], u)
    c, r, k = split_by_key(all_cells, out[:, 1], u.key, u.trip_table, eng.net.n_routes, rng)
    _route_out(eng, HOME, c, r, k, trip=True)
    eng.move(HOME, HIDING, out[:, 2])
    rec["exit_attempts"] += int(out[:, 0].sum())
    rec["trip_starts"] += int(out[:, 1].sum())

    # returned: leave, hide
    rows, other = _leave_or(eng, RETURNED, lam, hide_home[:, None], u)
    eng.move(RETURNED, HIDING, other[:, 0], cells=rows)

    # summoned: leave, report, hide
    C = pop.n_cells
    report_hide = np.stack([np.full(C, 1.0 / callup.report_days(eng)), np.full(C, p["callup.hide_rate"])], axis=1)
    rows, other = _leave_or(eng, SUMMONED, core * pressure(eng, summoned=True), report_hide, u)
    eng.move(SUMMONED, MOBILISED, other[:, 0], cells=rows)
    eng.move(SUMMONED, HIDING, other[:, 1], cells=rows)
    callup.count_mobilised(eng, int(other[:, 0].sum()))
    rec["mobilised"] += sum_by(pop.region[rows], other[:, 0], pop.n_regions)

    # hiding: leave, give up hiding
    unhide = p["callup.unhide_rate"] * (1 - eng.rho)
    rows, other = _leave_or(eng, HIDING, lam, unhide[:, None], u)
    eng.move(HIDING, HOME, other[:, 0], cells=rows)

    _family(eng, u)
    _apply_for_passports(eng)


def _family(eng, u) -> None:
    """Women and children follow the men of their region who left (MODEL §7)."""
    X, pop, rng = eng.X, eng.pop, eng.rng
    slot = eng.t % eng.family_ring.shape[0]
    want = eng.family_ring[slot].copy()
    eng.family_ring[slot] = 0
    if want.sum() <= 0:
        return
    pledged = sum(sum_by(c, n, pop.n_cells) for src, _, c, _, n in eng.air_demand if src == HOME)
    cand = np.where(eng.family_pool & np.isfinite(u.ls[u.key]), X[:, HOME] - pledged, 0)
    pool_r = sum_by(pop.region, cand, pop.n_regions)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(pool_r > 0, np.minimum(1.0, want / np.maximum(pool_r, 1)), 0.0)
    n = rng.binomial(cand, q[pop.region])
    if n.sum() == 0:
        return
    _leave(eng, HOME, np.arange(pop.n_cells), n, u)
    eng.rec.today["family_attempts"] += int(n.sum())
