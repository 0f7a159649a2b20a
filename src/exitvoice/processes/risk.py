"""Perceived risk (MODEL §7).

`ρ_i(t) = e_i · (α_local · s_r(t) + α_national · max(s(t), w_a · a(t))) · H`, clipped to [0, 1], where s_r and s
are the exponentially smoothed (half-life `risk.half_life_days`) daily summons per unit of eligibility weight in
the region and nationally, e_i the cell's eligibility weight and H the horizon. a(t) is the call-up as announced:
the summons the active mobilisation plans over the next H days, per unit of eligibility weight and day. People
learn the plan from the decree, not from summonses seen, so risk jumps on the day of the announcement;
`risk.announcement_weight` w_a is how much of the plan they believe (above 1: they fear a larger call-up).
The perceived chance of closure C(t) rises by `exit.closure_signal` each time a measure of the origin country
that could trap people starts (a closure by the origin, an exit ban, border summons, exit visas; never a foreign
entry ban), and fades with its half-life. It weighs on the exit hazard in proportion to each cell's exposure
(`exit.closure_exposure_other` for all but men of call-up age, docs/model.md §7).
Rumours (MODEL §5) act on top, without entering the recursion: a closure rumour of strength R makes the chance
seen today `1 − (1 − C)(1 − R)`; a general-mobilisation rumour adds `rumour.general_risk · R` to the risk of
the men it reaches. The regular draft adds `risk.alpha_conscription · q · H` for the men it may take (q: today's
draft probability).
"""

from __future__ import annotations

import numpy as np

from .callup import eligibility


def setup(eng) -> None:
    """Per-run risk state."""
    p = eng.params
    eng.s_r = np.zeros(eng.pop.n_regions)
    eng.s_nat = 0.0
    eng.rho = np.zeros(eng.pop.n_cells)
    eng.closure = 0.0
    eng.closure_seen = 0.0
    eng.risk_decay = 2.0 ** (-1.0 / p["risk.half_life_days"])
    eng.closure_decay = 2.0 ** (-1.0 / p["exit.closure_half_life_days"])


def step(eng, day) -> None:
    """Update the smoothed summons rates, ρ per cell and C(t)."""
    p, d = eng.params, eng.risk_decay
    eng.s_r = d * eng.s_r + (1 - d) * eng.callup.rate_r
    eng.s_nat = d * eng.s_nat + (1 - d) * eng.callup.rate_nat
    e = eligibility(eng.callup)
    local = p["risk.alpha_local"] * eng.s_r[eng.pop.region]
    national = max(eng.s_nat, p["risk.announcement_weight"] * eng.callup.planned_rate)
    rho = e * (local + p["risk.alpha_national"] * national) * p["risk.horizon_days"]
    # Terms are added only when present, so that a run without them is bit for bit the same.
    for cells, strength in day.risk_rumours:
        rho = rho + np.where(cells, p["rumour.general_risk"] * strength, 0.0)
    if eng.callup.draft_q.any():
        rho = rho + p["risk.alpha_conscription"] * eng.callup.draft_q * p["risk.horizon_days"]
    eng.rho = np.clip(rho, 0.0, 1.0)
    keep = (1 - p["exit.closure_signal"]) ** day.new_closure_signals
    eng.closure = 1.0 - (1.0 - eng.closure * eng.closure_decay) * keep
    eng.closure_seen = eng.closure
    if day.closure_rumour > 0:
        eng.closure_seen = 1.0 - (1.0 - eng.closure) * (1.0 - day.closure_rumour)
