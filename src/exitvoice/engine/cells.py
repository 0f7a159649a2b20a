"""The count engine `cells` (docs/model.md §3–4): integer counts per (cell, state), exact binomial/multinomial draws.

A day, in order (docs/model.md §4); every rate is computed from the start-of-day state:

1. policies  – the active policies build the day's `DayPolicy` (closures, screens, capacities, host rules);
2. call-up   – summons are served (`processes.callup`);
3. risk      – perceived risk ρ is updated from the smoothed summons rates (`processes.risk`);
4. decisions – passports are issued and applied for, people leave / travel / hide / report, families follow
               (`processes.decisions`);
5. routes    – queues balk and are served up to capacity, flights fill up to their seats, people are screened,
               fares respond to load (`processes.routes`);
6. abroad    – travellers come back or stay, leavers return, move on or do visa runs (`processes.abroad`);
7. record    – the day's quantities are stored (`engine.record`).

The run starts from the pre-crisis steady state (`engine.steady`): people on ordinary trips and the passport
pipeline are filled as they were before the crisis, so the first days carry no warm-up trend.

The engine owns the counts: processes return draws that the engine applies with `move`, and a conservation
check (every cell's row adds up to its size) can run every day.

Each process owns its state, a dataclass defined in its own module and held here as one attribute: `callup`
(`CallupState`), `risk` (`RiskState`), `decisions` (`DecisionState`), `routes` (`RouteState`), `abroad`
(`AbroadState`), `family` (`FamilyState`). A process's `step` receives the engine for the shared context only
(`X`, `pop`, `net`, `params`, `layout`, `rng`, `t`, `date`, `days`, `scenario`, `pack`, `ctx`, `callup_age`,
`move` and today's counters `rec.today`), its own state, and what it reads of the others, passed explicitly;
`step` below composes them in the day's order. The table of who owns and reads what: docs/architecture.md.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import numpy as np

from ..economy import Economy
from ..network import build_network
from ..pack import load_pack
from ..params import ParameterSet
from ..policies import DayPolicy, PolicyContext
from ..population import build_population
from ..processes import abroad, callup, decisions, family, risk, routes
from ..processes.sampling import tally
from ..scenario import Scenario
from ..voice import VoiceRecorder
from . import steady
from .record import Recorder
from .state import HOME, Layout


class ConservationError(AssertionError):
    """People were created or lost: a bug, never a user's mistake."""


class CellEngine:
    """Run a scenario on counts.

    Args:
        scenario: the validated scenario.
        seed: the run's seed; one `numpy.random.SeedSequence` per run.
        member: an ensemble member's index: its stream is `SeedSequence(seed, spawn_key=(member,))`, independent
            of every other member's and reproducible on its own.
        params: parameter values; by default the pack's declarations with the scenario's overrides.
        check: verify conservation every day (cheap; on by default).

    """

    def __init__(self, scenario: Scenario, seed: int = 0, params: ParameterSet | None = None,
                 check: bool = True, member: int | None = None) -> None:
        self.scenario = scenario
        self.seed = int(seed)
        self.pack = load_pack(scenario.scenario.country)
        self.params = params or scenario.parameter_set()  # honours [scenario] allow_outside_range
        opts = scenario.population
        self.pop = build_population(self.pack, self.params, scale_to_total=opts.scale_to_total,
                                    scale=opts.scale, regions=opts.regions)
        self.net = build_network(self.pack, self.params, self.pop.regions, scale=opts.scale)
        self.layout = Layout(tuple(self.net.crossing_ids), tuple(self.net.dest_ids))
        self.member = member
        spawn = () if member is None else (int(member),)
        self.rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=spawn)))
        self.check = check
        self.days = scenario.days
        pop = self.pop
        self.callup_age = pop.callup_age  # whom the call-up law reaches (the pack's [callup]: russia, men 18-55)
        self.ctx = PolicyContext(pop, self.net, self.params, self.callup_age)
        # State
        # Column-major: processes work state by state, so each state's column is contiguous.
        self.X = np.zeros((pop.n_cells, self.layout.n_states), dtype=np.int64, order="F")
        self.X[:, HOME] = pop.size
        self.t = 0
        self.date = self.days[0]
        # Each process's own state (docs/architecture.md); none of these setups draws a random number.
        self.callup = callup.setup(self)
        self.risk = risk.setup(self)
        self.decisions = decisions.setup(self)
        self.routes = routes.setup(self, self.decisions.base_exit)
        self.abroad = abroad.setup(self)
        self.family = family.setup(self)
        # travellers and the passport pipeline as before the crisis, not empty
        steady.start(self, self.routes, self.decisions, self.family)
        self.economy = Economy.build(self.pack, self.params, pop)
        self.voice = VoiceRecorder(self)
        self.rec = Recorder(self)

    # -- the engine owns the counts -------------------------------------------------------------------------
    def move(self, src: int | np.ndarray, dst: int | np.ndarray, n: np.ndarray,
             cells: np.ndarray | slice = slice(None)) -> None:
        """Move n[cells] people from column(s) src to column(s) dst (n may be 2-D with matching columns)."""
        self.X[cells, src] -= n
        self.X[cells, dst] += n

    def check_conservation(self, totals: tuple | None = None) -> None:
        """Every cell's states add up to its size within each passport pair, and no count is negative.

        `totals` is today's `tally` of the state when already made (the day's record makes it).
        """
        _, rows, _, _, low = totals if totals is not None else tally(self.X, self.layout)
        if low < 0:
            bad = np.argwhere(self.X < 0)[0]
            raise ConservationError(f"{self.date}: negative count in cell {bad[0]}, state "
                                    f"{self.layout.names()[bad[1]]}")
        pop = self.pop
        if not np.array_equal(np.bincount(pop.group, rows), np.bincount(pop.group, pop.size)):
            raise ConservationError(f"{self.date}: a person-group's total changed")

    # -- the day loop ---------------------------------------------------------------------------------------
    def day_policy(self) -> DayPolicy:
        """Step 1: the day's policy state, from every policy active today."""
        day = DayPolicy(self.net.n_routes, self.net.n_dest, date=self.date)
        for pol in self.scenario.policy:
            if pol.active(self.date):
                pol.apply(day, self.ctx)
                if pol.start == self.date and pol.closure_signal():
                    covered = routes.covered_share(self.routes, pol.signal_routes(self.ctx))
                    day.closure_signals.append(covered * pol.signal_strength(self.ctx))
        day.capacity_set *= self.scenario.population.scale  # a capacity set in persons, for the simulated sample
        return day

    def step(self) -> None:
        """Simulate one day (docs/model.md §4): each process's step, in the day's order, with what it reads."""
        day = self.day_policy()  # 1. policies
        abroad.snapshot(self, self.abroad)  # who is abroad at the start of the day: only they may come back today
        callup.step(self, self.callup, day)  # 2. call-up
        risk.step(self, self.risk, day, self.callup)  # 3. risk
        decided = decisions.step(self, self.decisions, day, self.risk, self.callup, self.routes,  # 4. decisions
                                 family.due_today(self, self.family))
        callup.count_mobilised(self, self.callup, decided.reported)  # the men who reported count toward the quota
        callup.add_summons(self.callup, decided.summoned_r)  # summonses served at a refused exit visa
        men = self.decisions.adult_men
        set_out = decided.departures.men_by_land(men, self.pop.region, self.pop.n_regions)
        by_land, by_air = routes.step(self, self.routes, day, decided.departures,  # 5. routes
                                      callup_open=self.callup.open, adult_men=men)
        # their families follow, counted from the day the man sets out (docs/model.md §7)
        family.plan(self, self.family, set_out, by_land, by_air, routes.men_in_transit(self, self.routes, men))
        abroad.step(self, self.abroad, day, self.risk, self.decisions)  # 6. abroad
        totals = tally(self.X, self.layout)  # 7-8. economy, voice and the record; one pass serves the check too
        self.rec.record(day, totals)
        if self.check:
            self.check_conservation(totals)

    def run(self, progress: Callable[[int, int], None] | None = None, until: dt.date | None = None):
        """Run every day of the scenario (or up to `until`, inclusive) and return the Results.

        With `until`, later days are not simulated and their records stay empty: what calibration needs when no
        observation is dated later (the model is causal, so the days up to `until` are exactly those of a full run).
        """
        from ..results import Results

        t0 = time.perf_counter()
        if self.check:
            self.check_conservation()
        for i, date in enumerate(self.days):
            if until is not None and date > until:
                break
            self.t, self.date = i, date
            self.step()
            if progress:
                progress(i + 1, len(self.days))
        wall = time.perf_counter() - t0
        return Results.from_engine(self, wall_seconds=wall)

    @property
    def day_index(self) -> dict[dt.date, int]:
        """Date → index of the day."""
        return {d: i for i, d in enumerate(self.days)}
