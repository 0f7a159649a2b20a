"""Accompanying departures (docs/model.md §7).

For each adult man who leaves, `family.ratio` women and children of the same region leave within
`family.lag_days` after him. A family's plan counts from the day the man sets out: by air, the day he boards; by
land, the day he sets out for his crossing, so that his family, on the same road a few days behind, reaches the
border `lag` days after him, not `lag` days after his arrival plus a road of their own. A man who sets out by land
and comes back without crossing (he balks at a queue, a closure or a screen turns him back, an illegal route turns
him away or he is caught) cancels his family's plan: the expected followers of the day are

    men who set out by land + men who boarded − men who came back,

where those who came back are found by conservation of the men in transit (on the road or queued as leavers):
came back = in transit yesterday + set out today − crossed by land today − in transit tonight. A man who tries
again is counted again only if he crosses. The expected followers of a day are spread evenly over the next `lag`
days; each day `decisions` draws those due from the women and children at home (a day's cancellations larger
than its plans take from the days still to come, never below zero).

State: `FamilyState` (below), built by `setup`, primed with the followers of the men who left before the run
(`prime`, from the pre-crisis steady state), filled by `plan` and emptied, a day at a time, by `due_today`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class FamilyState:
    """What the family process owns."""

    ring: np.ndarray  # [lag + 1, region] followers expected on day t in slot t mod (lag + 1)
    transit: np.ndarray  # [region] adult men who set out by land as leavers and had not crossed last night


def setup(eng) -> FamilyState:
    """An empty ring of `family.lag_days` + 1 days, and no one in transit."""
    n = eng.pop.n_regions
    return FamilyState(ring=np.zeros((int(eng.params["family.lag_days"]) + 1, n)), transit=np.zeros(n))


def plan(eng, st: FamilyState, set_out: np.ndarray, by_land: np.ndarray, by_air: np.ndarray,
         in_transit: np.ndarray) -> None:
    """Schedule the families of the day's leavers, by region.

    The men who set out by land (`set_out`) and who boarded (`by_air`), less those who came back, found from the
    men in transit yesterday and tonight (`in_transit`) and those who crossed by land (`by_land`).
    """
    came_back = st.transit + set_out - by_land - in_transit
    st.transit = in_transit
    schedule_family(eng, st, set_out + by_air - came_back)


def schedule_family(eng, st: FamilyState, men_left_by_region: np.ndarray) -> None:
    """Spread `family.ratio` followers per man who left over the next `family.lag_days` days (negative: cancel)."""
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
    """The followers expected today by region; their slot is emptied for the day `lag + 1` days on.

    Cancellations beyond a slot's plans are passed on to the next day's slot (a region's plans never go below
    zero in sum).
    """
    lag1 = st.ring.shape[0]
    slot = eng.t % lag1
    want = st.ring[slot].copy()
    st.ring[slot] = 0
    short = np.minimum(want, 0.0)
    st.ring[(eng.t + 1) % lag1] += short
    return want - short
