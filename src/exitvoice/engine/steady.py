"""The pre-crisis steady state a run starts from (docs/model.md §7), so the first days carry no warm-up trend.

A run that started empty would have no one on an ordinary trip and an empty passport pipeline: returns from trips
would build up over the first `trips.trip_days` and no passport would be issued for `passport.processing_days`.
Instead, on the first day:

- ordinary travellers: with a trip hazard h_d (per day, by destination, under the pre-crisis regime: no policy,
  no queue, normal fares, averaged over the week's cycle) and a mean trip of T days, each person at home is
  abroad on a trip with the steady-state probability h_d·T / (1 + Σ_d h_d·T); they are drawn as one multinomial
  per cell;
- the passport pipeline: each of its `processing_days` slots holds one day of applications at the pre-crisis rate;
- the families of the men who left before the run: the expected pre-crisis leavers among adult men (their exit
  hazard under the same regime, no risk), `family.ratio` followers each, spread over `family.lag_days` as the
  run's own leavers' are (`family.prime`);
- the road to the crossings: the leavers, followers and travellers who set out by land in the days before the run
  and have not reached their crossing yet, at the same pre-crisis rates (`routes.prime_road`).

Leavers abroad are not pre-filled: `abroad` counts those who left within the run (docs/outputs.md).
"""

from __future__ import annotations

import numpy as np

from ..policies import DayPolicy
from ..processes import family
from ..processes.decisions import DecisionState, exit_core, fill_passport_pipeline
from ..processes.routes import Departures, RouteState, men_in_transit, prime_road, utilities
from ..processes.sampling import split
from .state import HOME


def start(eng, routes: RouteState, decisions: DecisionState, fam: family.FamilyState) -> None:
    """Put the engine's counts and pipelines in the pre-crisis steady state."""
    X, p, rng, lay = eng.X, eng.params, eng.rng, eng.layout
    quiet = DayPolicy(eng.net.n_routes, eng.net.n_dest, date=eng.days[0])
    u = utilities(eng, routes, quiet, announced=False, weekly_mean=True)
    h = (u.trip_h @ routes.to_dest)[u.key] * p["trips.trip_days"]  # [cell, dest] h_d·T
    weights = np.concatenate([np.ones((X.shape[0], 1)), h], axis=1)
    out = split(X[:, HOME].copy(), weights, rng)
    X[:, HOME] -= out[:, 1:].sum(axis=1)
    X[:, lay.travelling] += out[:, 1:]
    fill_passport_pipeline(eng, decisions)
    core = exit_core(eng, decisions, u.access)  # [cell] a person's pre-crisis exit hazard
    men = np.where(decisions.adult_men, X[:, HOME] * core, 0.0)
    men_r = np.bincount(eng.pop.region, men, minlength=eng.pop.n_regions)
    family.prime(eng, fam, men_r)
    # A follower's hazard: `family.ratio` per man of the region who leaves, among the women and children at home.
    pool = np.where(decisions.family_pool & np.isfinite(u.ls[u.key]), X[:, HOME], 0).astype(float)
    pool_r = np.bincount(eng.pop.region, pool, minlength=eng.pop.n_regions)
    with np.errstate(invalid="ignore", divide="ignore"):
        follow = np.where(pool_r > 0, p["family.ratio"] * men_r / pool_r, 0.0)[eng.pop.region] * (pool > 0)
    land = slice(0, eng.net.n_land)  # land routes come first
    prime_road(eng, routes, [(Departures.EXIT, (core + follow)[:, None] * u.p_route[u.key, land], False),
                             (Departures.TRIP, u.trip_h[u.key, land], True)])
    fam.transit = men_in_transit(eng, routes, decisions.adult_men)  # their families are already in the ring
