"""Accompanying departures (docs/model.md §7).

For each adult man who leaves, `family.ratio` women and children of the same region leave within
`family.lag_days`. The men who crossed today (counted by `routes`) are turned into expected followers per region,
spread evenly over the next `lag` days; each day `decisions` draws the followers due from the women and children
at home.

State: `FamilyState` (below), built by `setup`, primed with the followers of the men who left before the run
(`prime`, from the pre-crisis steady state), filled by `schedule_family` and emptied, a day at a time, by
`due_today`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class FamilyState:
    """What the family process owns."""

    ring: np.ndarray  # [lag + 1, region] followers expected on day t in slot t mod (lag + 1)


def setup(eng) -> FamilyState:
    """An empty ring of `family.lag_days` + 1 days."""
    return FamilyState(ring=np.zeros((int(eng.params["family.lag_days"]) + 1, eng.pop.n_regions)))


def schedule_family(eng, st: FamilyState, men_left_by_region: np.ndarray) -> None:
    """Spread `family.ratio` followers per man who crossed over the next `family.lag_days` days."""
    lag = st.ring.shape[0] - 1
    share = eng.params["family.ratio"] * men_left_by_region / lag
    for k in range(1, lag + 1):
        st.ring[(eng.t + k) % (lag + 1)] += share


def prime(eng, st: FamilyState, men_per_day_by_region: np.ndarray) -> None:
    """Fill the ring as if men had left at `men_per_day_by_region` a day for the `lag` days before the run.

    Day k of the run (k < lag) is then due the followers of the men of the lag − k days before it, so the families
    of pre-crisis leavers keep following from the first day at their steady rate, `family.ratio` per man.
    """
    lag = st.ring.shape[0] - 1
    share = eng.params["family.ratio"] * np.asarray(men_per_day_by_region, dtype=float) / lag
    for k in range(lag):
        st.ring[(eng.t + k) % (lag + 1)] += share * (lag - k)


def due_today(eng, st: FamilyState) -> np.ndarray:
    """The followers expected today by region; their slot is emptied for the day `lag + 1` days on."""
    slot = eng.t % st.ring.shape[0]
    want = st.ring[slot].copy()
    st.ring[slot] = 0
    return want
