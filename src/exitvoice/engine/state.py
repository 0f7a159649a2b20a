"""State layout of the count engine: one integer count per (cell, state) (docs/model.md §2)."""

from __future__ import annotations

from dataclasses import dataclass

HOME, SUMMONED, HIDING, MOBILISED, RETURNED, EXEMPT, VISA_PENDING, VISA_PENDING_TRIP, CONSCRIPTED = range(9)
FIXED_STATES = ["home", "summoned", "hiding", "mobilised", "returned", "exempt", "visa_pending",
                "visa_pending_trip", "conscripted"]
N_FIXED = len(FIXED_STATES)


@dataclass(frozen=True)
class Layout:
    """Columns of the state matrix X[cell, state]: the fixed states, then one column per crossing or destination.

    Fixed states: `home`, `summoned`, `hiding`, `mobilised`, `returned`, `exempt` (signed the social contract),
    `visa_pending` and `visa_pending_trip` (waiting for an exit visa to leave or to travel), `conscripted`
    (taken by the regular draft).

    `queued[c]` is split by purpose (leavers, ordinary trips, summoned men leaving) so that a person leaves the
    queue for `abroad[d]` or `travelling[d]` as they intended, and a summoned man turned back or balking is
    summoned again; together they are the queue of docs/model.md §8. `en_route[c]` are people on their way to
    crossing c by road (`routes.drive_km_per_day`): they have left home and join its queue on the day they reach it.
    """

    crossings: tuple[str, ...]
    destinations: tuple[str, ...]

    @property
    def n_land(self) -> int:
        """Number of crossings."""
        return len(self.crossings)

    @property
    def n_dest(self) -> int:
        """Number of destinations."""
        return len(self.destinations)

    @property
    def queued_exit(self) -> slice:
        """Columns of leavers queued at each crossing."""
        return slice(N_FIXED, N_FIXED + self.n_land)

    @property
    def queued_trip(self) -> slice:
        """Columns of travellers queued at each crossing."""
        return slice(N_FIXED + self.n_land, N_FIXED + 2 * self.n_land)

    @property
    def queued_summoned(self) -> slice:
        """Columns of summoned men queued to leave at each crossing."""
        return slice(N_FIXED + 2 * self.n_land, N_FIXED + 3 * self.n_land)

    @property
    def queued(self) -> list[slice]:
        """Every group of queue columns."""
        return [self.queued_exit, self.queued_trip, self.queued_summoned]

    @property
    def en_route(self) -> slice:
        """Columns of people on the road to each crossing (every purpose)."""
        return slice(N_FIXED + 3 * self.n_land, N_FIXED + 4 * self.n_land)

    @property
    def away(self) -> slice:
        """The queue columns and the road to the crossings: people who have left home but not the country."""
        return slice(self.queued_exit.start, self.en_route.stop)

    @property
    def travelling(self) -> slice:
        """Columns of people on an ordinary trip in each destination."""
        s = N_FIXED + 4 * self.n_land
        return slice(s, s + self.n_dest)

    @property
    def abroad(self) -> slice:
        """Columns of leavers in each destination."""
        s = N_FIXED + 4 * self.n_land + self.n_dest
        return slice(s, s + self.n_dest)

    @property
    def n_states(self) -> int:
        """Number of columns."""
        return N_FIXED + 4 * self.n_land + 2 * self.n_dest

    def names(self) -> list[str]:
        """Column names, e.g. `queued[upper_lars]`, `abroad[GE]`."""
        return (FIXED_STATES + [f"queued[{c}]" for c in self.crossings]
                + [f"queued_trip[{c}]" for c in self.crossings]
                + [f"queued_summoned[{c}]" for c in self.crossings] + [f"en_route[{c}]" for c in self.crossings]
                + [f"travelling[{d}]" for d in self.destinations] + [f"abroad[{d}]" for d in self.destinations])
