"""Recording of each day's quantities (docs/model.md §4 step 8, §12)."""

from __future__ import annotations

import numpy as np

from ..processes.sampling import block_sums
from .state import FIXED_STATES

SCALARS = ("exit_attempts", "family_attempts", "trip_starts", "trips_turned_exit", "balked", "visa_runs",
           "passports_issued", "passport_applications", "summons_at_border", "stopped_exit_ban",
           "stopped_summons_at_border", "stopped_host_refusal", "stopped_closure", "stopped_summons_ban",
           "summoned_exits", "visa_applications", "visas_processed", "visas_issued", "visas_refused",
           "contracts_signed", "passports_surrendered", "conscripted")


class Recorder:
    """Holds today's counters (`today`) and stores them, with the state totals, for every day."""

    def __init__(self, eng) -> None:
        self.eng = eng
        n, net, R = len(eng.days), eng.net, eng.pop.n_regions
        self.scalar = {k: np.zeros(n, dtype=np.int64) for k in SCALARS}
        self.by_dest = {k: np.zeros((n, net.n_dest), dtype=np.int64)
                        for k in ("entries", "exits_back", "left_by_dest", "abroad", "men_abroad", "travelling")}
        # the men among the leavers abroad (adult men: `DecisionState.adult_men`), by destination
        self.men_cells = np.flatnonzero(eng.decisions.adult_men)
        self.by_region = {k: np.zeros((n, R), dtype=np.int64)
                          for k in ("summoned", "mobilised", "left", "abroad", "returned")}
        self.states = {k: np.zeros(n, dtype=np.int64)
                       for k in (*FIXED_STATES, "queued", "en_route", "travelling", "abroad")}
        self.queue = np.zeros((n, net.n_land), dtype=np.int64)
        self.wait_days = np.zeros((n, net.n_land))
        self.processed = np.zeros((n, net.n_routes), dtype=np.int64)
        self.capacity = np.zeros((n, net.n_routes))
        self.price = np.zeros((n, int((~net.is_land).sum())))
        self.air_demand = np.zeros((n, int((~net.is_land).sum())))
        self.passport_holders = np.zeros(n, dtype=np.int64)
        self.illegal_caught = np.zeros((n, net.n_illegal), dtype=np.int64)  # by illegal route (docs/routes.md)
        self.illegal_turned_away = np.zeros((n, net.n_illegal), dtype=np.int64)  # tried, not taken today
        self.illegal_through = np.zeros((n, net.n_illegal))  # the share of attempts people see (`routes.through`)
        self.closure = np.zeros(n)
        self.rho_mean_men = np.zeros(n)
        self.eligible_men = eng.callup.elig_default > 0  # whose mean perceived risk is recorded
        S = len(eng.economy.sectors)
        self.labour_persons = np.zeros((n, S))  # workers absent by sector, net of remote work (docs/model.md §10)
        self.labour_units = np.zeros((n, S))    # the same in wage-weighted units
        self.reset()

    def reset(self) -> None:
        """Zero today's counters."""
        eng = self.eng
        net, R, D = eng.net, eng.pop.n_regions, eng.net.n_dest
        self.today = {k: 0 for k in SCALARS}
        self.today.update(entries=np.zeros(D, dtype=np.int64), exits_back=np.zeros(D, dtype=np.int64),
                          left_by_dest=np.zeros(D, dtype=np.int64), left_by_region=np.zeros(R, dtype=np.int64),
                          mobilised=np.zeros(R, dtype=np.int64), returned=np.zeros(R, dtype=np.int64),
                          processed=np.zeros(net.n_routes, dtype=np.int64),
                          illegal_caught=np.zeros(net.n_routes, dtype=np.int64),
                          illegal_turned_away=np.zeros(net.n_routes, dtype=np.int64),
                          air_demand=np.zeros(int((~net.is_land).sum())))

    def record(self, day, totals: tuple) -> None:
        """Store today's counters and state totals, then reset the counters.

        `totals` is the day's `sampling.tally` of the state: column sums, row sums, abroad and queued per cell.
        """
        eng, t, X, lay = self.eng, self.eng.t, self.eng.X, self.eng.layout
        col, row, abroad_cell, queued_cell, _ = totals
        tod = self.today
        for k in SCALARS:
            self.scalar[k][t] = tod[k]
        self.by_dest["entries"][t] = tod["entries"]
        self.by_dest["exits_back"][t] = tod["exits_back"]
        self.by_dest["left_by_dest"][t] = tod["left_by_dest"]
        self.by_dest["abroad"][t] = col[lay.abroad]
        self.by_dest["men_abroad"][t] = block_sums(X, lay.abroad, self.men_cells)[1]
        self.by_dest["travelling"][t] = col[lay.travelling]
        region = eng.pop.region
        R = eng.pop.n_regions
        self.by_region["summoned"][t] = eng.callup.summons_r
        self.by_region["mobilised"][t] = tod["mobilised"]
        self.by_region["left"][t] = tod["left_by_region"]
        self.by_region["abroad"][t] = np.bincount(region, abroad_cell, minlength=R)
        self.by_region["returned"][t] = tod["returned"]
        for c, name in enumerate(FIXED_STATES):
            self.states[name][t] = col[c]
        q = sum(col[cols] for cols in lay.queued)
        self.states["queued"][t] = q.sum()
        self.states["en_route"][t] = col[lay.en_route].sum()
        self.states["travelling"][t] = col[lay.travelling].sum()
        self.states["abroad"][t] = col[lay.abroad].sum()
        self.queue[t] = q
        self.wait_days[t] = eng.routes.wait
        self.processed[t] = tod["processed"]
        self.illegal_caught[t] = tod["illegal_caught"][eng.net.is_illegal]
        self.illegal_turned_away[t] = tod["illegal_turned_away"][eng.net.is_illegal]
        self.illegal_through[t] = eng.routes.through[eng.net.is_illegal]
        cap = eng.net.capacity * day.capacity_factor
        self.capacity[t] = np.where(np.isnan(day.capacity_set), cap, day.capacity_set)
        self.price[t] = eng.routes.price[eng.routes.air_idx]
        self.air_demand[t] = tod["air_demand"]
        self.passport_holders[t] = (row * eng.pop.passport).sum()
        self.closure[t] = eng.risk.closure_seen
        men = self.eligible_men
        self.rho_mean_men[t] = float(np.average(eng.risk.rho[men], weights=eng.pop.size[men])) if men.any() else 0.0
        self.labour_persons[t], self.labour_units[t] = eng.economy.absent(X, lay, abroad_cell, queued_cell)
        eng.voice.record(t, X, abroad_cell)
        self.reset()
