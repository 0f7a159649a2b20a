"""Perceived risk (docs/model.md §7).

`ρ_i(t) = e_i · (α_local · s_r(t) + max(α_national · s(t), w_a · a(t))) · H`, clipped to [0, 1], where s_r and s
are the exponentially smoothed (half-life `risk.half_life_days`) daily summons per unit of eligibility weight in
the region and nationally, e_i the cell's eligibility weight and H the horizon. a(t) is the call-up as announced:
the summons the active mobilisation plans over the next H days, per unit of eligibility weight and day. People
learn the plan from the decree, not from summonses seen, so risk jumps on the day of the announcement;
`risk.announcement_weight` w_a is how much of the plan they believe (above 1: they fear a larger call-up; a
weight of its own, not scaled by α_national, so that the shock of the news and the weight of the summonses seen
are two things a fit can tell apart), and
the belief fades with the days k since the decree, by 2^(−k / `risk.announcement_half_life_days`): the shock of
the news wears off, and what people then see of the call-up (s) is what they go by.
The perceived chance of closure C(t) rises each time a measure of the origin country that could trap people starts
(a closure by the origin, an exit ban, border summons, exit visas; never a foreign entry ban), by
`exit.closure_signal` × the share w of the origin's pre-crisis trips that go by the routes it covers (1 for a
measure on every route; a draft point at one crossing among dozens is a weak sign), and fades with its half-life.
It weighs on the exit hazard in proportion to each cell's exposure (`exit.closure_exposure_other` for all but men
of call-up age, docs/model.md §7).
Rumours (docs/model.md §5) act on top, without entering the recursion: a closure rumour of strength R makes the chance
seen today `1 − (1 − C)(1 − R)`; a general-mobilisation rumour adds `rumour.general_risk · R` to the risk of
the men it reaches. The regular draft adds `risk.alpha_conscription · q · H` for the men it may take (q: today's
draft probability).

State: `RiskState` (below), built by `setup`, changed by `step` from the call-up's state of the day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .callup import CallupState, eligibility


@dataclass
class RiskState:
    """What the risk process owns."""

    # fixed for the run
    decay: float  # daily decay of the smoothed summons rates, 2^(−1/half-life)
    closure_decay: float  # daily decay of the perceived chance of closure
    # day to day
    s_r: np.ndarray  # [region] smoothed summonses per unit of eligibility weight
    rho: np.ndarray  # [cell] perceived risk of call-up ρ
    s_nat: float = 0.0  # the same, nationally
    closure: float = 0.0  # perceived chance of closure C(t)
    closure_seen: float = 0.0  # C(t) with today's closure rumour on top: what people act on


def setup(eng) -> RiskState:
    """Per-run risk state."""
    p = eng.params
    return RiskState(decay=2.0 ** (-1.0 / p["risk.half_life_days"]),
                     closure_decay=2.0 ** (-1.0 / p["exit.closure_half_life_days"]),
                     s_r=np.zeros(eng.pop.n_regions), rho=np.zeros(eng.pop.n_cells))


def step(eng, st: RiskState, day, callup: CallupState) -> None:
    """Update the smoothed summons rates, ρ per cell and C(t), from today's summonses and call-up plan."""
    p, d = eng.params, st.decay
    st.s_r = d * st.s_r + (1 - d) * callup.rate_r
    st.s_nat = d * st.s_nat + (1 - d) * callup.rate_nat
    e = eligibility(callup)
    local = p["risk.alpha_local"] * st.s_r[eng.pop.region]
    # The shock of a decree fades (half-life `risk.announcement_half_life_days`): then summonses seen count.
    fade = 2.0 ** (-callup.plan_age_days / p["risk.announcement_half_life_days"])
    national = max(p["risk.alpha_national"] * st.s_nat, p["risk.announcement_weight"] * fade * callup.planned_rate)
    rho = e * (local + national) * p["risk.horizon_days"]
    # Terms are added only when present, so that a run without them is bit for bit the same.
    for cells, strength in day.risk_rumours:
        rho = rho + np.where(cells, p["rumour.general_risk"] * strength, 0.0)
    if callup.draft_q.any():
        rho = rho + p["risk.alpha_conscription"] * callup.draft_q * p["risk.horizon_days"]
    st.rho = np.clip(rho, 0.0, 1.0)
    keep = float(np.prod([1 - p["exit.closure_signal"] * w for w in day.closure_signals]))
    st.closure = 1.0 - (1.0 - st.closure * st.closure_decay) * keep
    st.closure_seen = st.closure
    if day.closure_rumour > 0:
        st.closure_seen = 1.0 - (1.0 - st.closure) * (1.0 - day.closure_rumour)
