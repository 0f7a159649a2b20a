"""Accompanying departures (docs/model.md §7).

For each adult man who leaves, `family.ratio` women and children of the same region leave within
`family.lag_days`. The men who crossed today are turned into expected followers per region,
spread evenly over the next `lag` days; `decisions` draws them from the women and children at home.
"""

from __future__ import annotations

import numpy as np


def schedule_family(eng, men_left_by_region: np.ndarray) -> None:
    """Spread `family.ratio` followers per man who crossed over the next `family.lag_days` days."""
    lag = eng.family_ring.shape[0] - 1
    share = eng.params["family.ratio"] * men_left_by_region / lag
    for k in range(1, lag + 1):
        eng.family_ring[(eng.t + k) % (lag + 1)] += share
