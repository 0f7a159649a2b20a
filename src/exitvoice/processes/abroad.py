"""Abroad and return (MODEL §8-9).

Travellers on an ordinary trip come back after `trips.trip_days` on average, or decide to stay (the exit
hazard applies, with full accessibility: they are already out) and become leavers in `abroad[d]`.
Leavers abroad come back (→ `returned`) with hazard `λ_ret0 · exp(−β_ret_risk · ρ)`, move on to a third
country (`onward_rate`, higher in transit countries), or reach the end of the allowed stay (hazard
1/max_stay_days): then a share `visa_run_share` exits and re-enters (a visa run, counted as an exit and an
entry), the rest come home. Onward destinations are chosen in proportion to their normal entries, among those the
person's passport opens and that people abroad can enter (`onward_entry` in destinations.csv: not Abkhazia,
Belarus or Mongolia, which are reached from Russia).
"""

from __future__ import annotations

import numpy as np

from ..engine.state import HOME, RETURNED
from .decisions import exit_core, pressure
from .sampling import add_at, competing, split, sum_by


def setup(eng) -> None:
    """Onward-destination weights by passport status and origin destination."""
    net, p = eng.net, eng.params
    attract = net.baseline_entries * np.exp(net.log_access[[np.flatnonzero(net.dest == d)[0]
                                                            for d in range(net.n_dest)]])
    w = np.zeros((2, net.n_dest, net.n_dest))
    for pp in (0, 1):
        ok = ((~net.needs_passport) | (pp == 1)) & net.onward_entry
        w[pp] = attract[None, :] * ok[None, :]
    w[:, np.arange(net.n_dest), np.arange(net.n_dest)] = 0.0
    eng.onward_w = w
    eng.can_move_on = w.sum(axis=2) > 0  # [passport, destination]
    eng.onward_rate = np.where(net.transit, p["abroad.onward_rate_transit"], p["abroad.onward_rate_other"])


def step(eng, day) -> None:
    """Trips end or turn into exits; leavers return, move on or do visa runs."""
    X, p, rng, lay, pop = eng.X, eng.params, eng.rng, eng.layout, eng.pop
    rec = eng.rec.today
    D = eng.net.n_dest
    # Travellers
    T = X[:, lay.travelling]
    cells, dest = np.nonzero(T)
    if cells.size:
        stay = (exit_core(eng, None) * pressure(eng))[cells]
        back = np.full(cells.size, 1.0 / p["trips.trip_days"])
        out = competing(T[cells, dest], np.stack([back, stay], axis=1), rng)
        X[cells, lay.travelling.start + dest] -= out[:, 0] + out[:, 1]
        add_at(X, cells, HOME, out[:, 0])
        X[cells, lay.abroad.start + dest] += out[:, 1]
        rec["exits_back"] += sum_by(dest, out[:, 0], D)
        rec["trips_turned_exit"] += int(out[:, 1].sum())
        rec["left_by_dest"] += sum_by(dest, out[:, 1], D)
        rec["left_by_region"] += sum_by(pop.region[cells], out[:, 1], pop.n_regions)
    # Leavers
    A = X[:, lay.abroad]
    cells, dest = np.nonzero(A)
    if not cells.size:
        return
    max_stay = np.where(np.isnan(day.max_stay_days), eng.net.max_stay_days, day.max_stay_days)
    ret = p["abroad.return_rate"] * np.exp(-p["abroad.beta_return_risk"] * eng.rho[cells])
    pp = pop.passport[cells]
    onward = eng.onward_rate[dest] * eng.can_move_on[pp, dest]
    expire = 1.0 / max_stay[dest]
    out = competing(A[cells, dest], np.stack([ret, onward, expire], axis=1), rng)
    n_ret, n_on, n_exp = out[:, 0], out[:, 1], out[:, 2]
    runs = rng.binomial(n_exp, p["abroad.visa_run_share"])
    home_now = n_ret + n_exp - runs
    X[cells, lay.abroad.start + dest] -= home_now + n_on
    add_at(X, cells, RETURNED, home_now)
    movers = np.flatnonzero(n_on)
    if movers.size:
        to = split(n_on[movers], eng.onward_w[pp[movers], dest[movers]], rng)  # [mover row, dest']
        k, d = np.nonzero(to)
        add_at(X, cells[movers][k], lay.abroad.start + d, to[k, d])
        rec["entries"] += to.sum(axis=0)
    rec["exits_back"] += sum_by(dest, n_ret + n_on + n_exp, D)
    rec["entries"] += sum_by(dest, runs, D)
    rec["visa_runs"] += int(runs.sum())
    rec["returned"] += sum_by(pop.region[cells], home_now, pop.n_regions)
