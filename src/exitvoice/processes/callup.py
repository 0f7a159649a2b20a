"""Call-up (docs/model.md §6): the authority serves summons; summons lapse when a mobilisation ends.

Each day t while a mobilisation is active and its quota is not met, it plans `S(t) = profile(t) · target ·
summons_per_recruit` summons, never more than the need still uncovered times `summons_per_recruit`: the quota less
the men mobilised and less the men already summoned who have not reported yet (`summoned / summons_per_recruit` of
them are expected to), so summonses already out are not served twice. They are split across regions by allocation
weight × eligible men present, and within a region across eligible cells in `home`, `returned` and waiting for an
exit visa (weight 1) and `hiding` (weight `find_rate_hiding`, raised by electronic delivery), in proportion to count
× eligibility weight: each person is served with probability q_r · e_i (· find rate).
Men who signed the social contract (`exempt`) are never served.

The regular draft (`regular_conscription`) takes `intake / days` men a day from the unserved men of its ages at
home or returned, each with the same probability q (times the share of his age band within the ages).

State: `CallupState` (below), built by `setup`, changed by `step`, by `count_mobilised` (the men who reported
today, decided by `decisions`) and by `add_summons` (summonses served elsewhere, at a refused exit visa).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import regional
from ..engine.state import CONSCRIPTED, HIDING, HOME, RETURNED, SUMMONED, VISA_PENDING, VISA_PENDING_TRIP
from ..policies.mobilisation import deferral_factor, eligibility_weights
from .sampling import exact_subset, sum_by


@dataclass
class CallupState:
    """What the call-up owns. The mobilisations' policies are keyed by `id(policy)`."""

    # fixed for the run (but `elig`, which a regional end of a call-up cuts)
    mobs: list  # the scenario's mobilisation policies
    elig: dict[int, np.ndarray]  # [cell] eligibility weight e_i under each mobilisation
    elig_default: np.ndarray  # [cell] eligibility weight when no mobilisation has been announced
    burden_weight: np.ndarray  # [region] allocation weight under `allocation = "burden"`
    draft_w: dict[int, np.ndarray]  # [cell] share of each regular-conscription campaign's ages
    process_cap_r: np.ndarray  # [region] recruits the commissariats can process a day
    targets: dict[int, float]  # each mobilisation's target for the simulated regions (exitvoice.regional)
    intakes: dict[int, float]  # each regular-conscription campaign's intake for the simulated regions
    # day to day
    summons_r: np.ndarray  # [region] summonses served today
    rate_r: np.ndarray  # [region] today's summonses per unit of eligibility weight present
    draft_q: np.ndarray  # [cell] today's draft probability per man (regular conscription)
    rate_nat: float = 0.0  # the same nationally
    planned_rate: float = 0.0  # announced summons per unit of eligibility weight a day, over the risk horizon
    plan_age_days: int = 0  # days since the most recent active mobilisation was announced
    open: bool = False  # a mobilisation is active today and its quota is not met (summons on the spot)
    current_mob: object | None = None  # the mobilisation active last (None before any is announced)
    mobilised_by_policy: dict[int, int] = field(default_factory=dict)  # recruits so far, by mobilisation
    quota_met_day: dict = field(default_factory=dict)  # the day each mobilisation's quota was met


def setup(eng) -> CallupState:
    """Per-run state of the call-up."""
    pop, params = eng.pop, eng.params
    mobs = [p for p in eng.scenario.policy if p.type == "mobilisation"]
    burden = pop.regions.callup_burden.to_numpy(dtype=float)
    men = pop.regions.male_20_49.to_numpy(dtype=float)
    rel = burden / np.average(burden, weights=men)
    # Commissariats process at most `callup.capacity_per_day` recruits a day nationally, split by men of 20-49.
    share = men / eng.pack.regions.male_20_49.to_numpy(dtype=float).sum()
    return CallupState(
        mobs=mobs,
        elig={id(p): eligibility_weights(eng.ctx, p, deferral=not _deferral_later(eng, p)) for p in mobs},
        elig_default=eligibility_weights(eng.ctx, None),
        burden_weight=rel ** params["callup.burden_exponent"],
        draft_w={id(p): p.eligible(eng.ctx) for p in eng.scenario.policy if p.type == "regular_conscription"},
        process_cap_r=params["callup.capacity_per_day"] * eng.scenario.population.scale * share,
        # Targets and intakes in persons for the simulated regions: the whole figure unless the run is regional.
        targets={id(p): regional.target(eng.scenario, p) for p in mobs},
        intakes={id(p): regional.figure(eng.scenario, p) for p in eng.scenario.policy
                 if p.type == "regular_conscription"},
        summons_r=np.zeros(pop.n_regions),
        rate_r=np.zeros(pop.n_regions),
        draft_q=np.zeros(pop.n_cells),
        mobilised_by_policy={id(p): 0 for p in mobs},
    )


def eligibility(st: CallupState) -> np.ndarray:
    """[cell] eligibility weights under the current mobilisation (the default ones before any)."""
    return st.elig[id(st.current_mob)] if st.current_mob is not None else st.elig_default


def process_reports(eng, st: CallupState, rows: np.ndarray, reports: np.ndarray) -> np.ndarray:
    """Cap today's reports (summoned men turning up, by cell `rows`) at each region's processing capacity.

    Men over the capacity of their region's commissariat stay summoned and report on a later day, so the pace of
    the call-up is a result of summonses, reporting and throughput, not of the summons plan alone (docs/callup.md).
    """
    reg = eng.pop.region[rows]
    R = eng.pop.n_regions
    per_region = np.bincount(reg, reports, minlength=R)
    cap = np.floor(st.process_cap_r + eng.rng.random(R)).astype(np.int64)  # stochastic rounding: small samples
    over = np.flatnonzero(per_region > cap)
    if not over.size:
        return reports
    out = reports.copy()
    for r in over:
        on = reg == r
        out[on] = exact_subset(reports[on], int(cap[r]), eng.rng)
    return out


def _deferral_later(eng, pol) -> bool:
    """Whether the mobilisation's tertiary deferral comes after the run's first day."""
    return pol.tertiary_deferral_from is not None and pol.tertiary_deferral_from > eng.days[0]


def _deferral(eng, st: CallupState, pol) -> None:
    """On the day a dated tertiary deferral comes: the deferred can no longer be served."""
    if pol.tertiary_deferral_from is not None and eng.date == pol.tertiary_deferral_from \
            and _deferral_later(eng, pol):
        st.elig[id(pol)] = st.elig[id(pol)] * deferral_factor(eng.ctx)


def _regional_end(eng, st: CallupState, pol) -> None:
    """On the day after a region's call-up ends: no more eligibility there, and its summonses may lapse."""
    ended = [r for r, last in pol.regional_end.items() if (eng.date - last).days == 1]
    if not ended:
        return
    ids = eng.pop.regions.region_id.tolist()
    cells = np.isin(eng.pop.region, [ids.index(r) for r in ended if r in ids])
    if not cells.any():
        return
    st.elig[id(pol)] = np.where(cells, 0.0, st.elig[id(pol)])
    if pol.summons_lapse_at_end and pol.active(eng.date):
        lapse(eng, cells)


def lapse(eng, cells: np.ndarray) -> None:
    """Summonses of the men of `cells` cease to be valid.

    The summoned go home, and those queued at a crossing with a summons queue on as ordinary leavers (turned back
    or balking, they go home, not back to a summons). The call-up runs before today's decisions, so no summoned
    man has set out today yet: only those already queued are concerned.
    """
    X, lay = eng.X, eng.layout
    eng.move(SUMMONED, HOME, np.where(cells, X[:, SUMMONED], 0))
    queued = np.where(cells[:, None], X[:, lay.queued_summoned], 0)
    X[:, lay.queued_summoned] -= queued
    X[:, lay.queued_exit] += queued


def _window(eng, pol) -> tuple[int, int]:
    start = max(pol.start, eng.days[0])
    end = min(pol.end or eng.days[-1], eng.days[-1])
    return (eng.date - start).days, (end - start).days + 1


def step(eng, st: CallupState, day) -> None:
    """Serve today's summons and lapse those of mobilisations that ended yesterday."""
    pop, X = eng.pop, eng.X
    R = pop.n_regions
    st.summons_r = np.zeros(R, dtype=np.int64)
    rate_num = np.zeros(R)
    present = np.zeros(R)
    planned = 0.0
    ages = []
    active = day.mobilisations
    st.open = False
    for pol in st.mobs:
        ended_yesterday = pol.end is not None and (eng.date - pol.end).days == 1
        if ended_yesterday and pol.summons_lapse_at_end and not active:
            lapse(eng, np.ones(pop.n_cells, dtype=bool))
        _regional_end(eng, st, pol)
        _deferral(eng, st, pol)
    for pol in active:
        st.current_mob = pol
        e = st.elig[id(pol)]
        idx = np.flatnonzero(e > 0)
        ei = e[idx]
        fh = pol.find_rate(eng.params)
        home, ret, hid = X[idx, HOME], X[idx, RETURNED], X[idx, HIDING]
        visa = X[idx, VISA_PENDING] + X[idx, VISA_PENDING_TRIP]
        reg = pop.region[idx]
        E_r = np.bincount(reg, ei * (home + ret + visa + fh * hid), minlength=R)
        present += E_r
        target = scaled_target(eng, st, pol)
        remaining = target - st.mobilised_by_policy[id(pol)]
        if remaining <= 0:
            continue
        st.open = True
        spr = pol.setting("summons_per_recruit", eng.params)
        i, n = _window(eng, pol)
        ages.append(i)
        # the need the summonses already out do not cover: its eligible men summoned and not yet reported
        uncovered = max(0.0, remaining * spr - float(X[idx, SUMMONED].sum()))
        S = min(pol.profile(i, n, eng.params) * target * spr, uncovered)
        H = int(eng.params["risk.horizon_days"])
        ahead = sum(pol.profile(j, n, eng.params) for j in range(i, min(i + H, n))) * target * spr
        planned += min(ahead, uncovered) / H
        w = st.burden_weight if pol.allocation == "burden" else np.ones(R)
        denom = (w * E_r).sum()
        if denom <= 0 or S <= 0:
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            q_r = np.where(E_r > 0, S * w / denom, 0.0)  # summons per unit of eligibility weight
        p = np.minimum(1.0, q_r[reg] * ei)
        served = [eng.rng.binomial(home, p), eng.rng.binomial(ret, p),
                  eng.rng.binomial(hid, np.minimum(1.0, q_r[reg] * ei * fh))]
        cols = [HOME, RETURNED, HIDING]
        if visa.any():  # only while an exit visa is in force, so runs without one draw exactly as before
            served += [eng.rng.binomial(X[idx, VISA_PENDING], p), eng.rng.binomial(X[idx, VISA_PENDING_TRIP], p)]
            cols += [VISA_PENDING, VISA_PENDING_TRIP]
        for col, n_served in zip(cols, served, strict=True):
            eng.move(col, SUMMONED, n_served, cells=idx)
        total = sum(served)
        st.summons_r += sum_by(reg, total, R)
        rate_num += sum_by(reg, total, R)
    with np.errstate(invalid="ignore", divide="ignore"):
        st.rate_r = np.where(present > 0, rate_num / np.maximum(present, 1e-12), 0.0)
    st.rate_nat = rate_num.sum() / present.sum() if present.sum() > 0 else 0.0
    st.planned_rate = planned / present.sum() if present.sum() > 0 else 0.0
    st.plan_age_days = min(ages) if ages else 0
    _draft(eng, st, day)


def _draft(eng, st: CallupState, day) -> None:
    """Regular conscription: today's share of each campaign's intake, drawn evenly from its eligible men."""
    X = eng.X
    st.draft_q = np.zeros(eng.pop.n_cells)
    for pol in day.conscriptions:
        w = st.draft_w[id(pol)]
        pool = (w * (X[:, HOME] + X[:, RETURNED])).sum()
        if pool <= 0:
            continue
        want = st.intakes[id(pol)] * eng.scenario.population.scale / pol.n_days
        q = np.minimum(1.0, want / pool * w)
        st.draft_q = np.maximum(st.draft_q, q)
        drafted = 0
        for col in (HOME, RETURNED):
            n = eng.rng.binomial(X[:, col], q)
            eng.move(col, CONSCRIPTED, n)
            drafted += int(n.sum())
        eng.rec.today["conscripted"] += drafted


def report_days(eng, st: CallupState) -> float:
    """Mean days from summons to reporting under the current (or default) mobilisation."""
    if st.current_mob is not None:
        return st.current_mob.setting("report_days", eng.params)
    return eng.params["callup.report_days"]


def count_mobilised(eng, st: CallupState, n: int) -> None:
    """Attribute today's reports to the current mobilisation and note the day its quota is met."""
    pol = st.current_mob
    if pol is None or n == 0:
        return
    st.mobilised_by_policy[id(pol)] += n
    if st.mobilised_by_policy[id(pol)] >= scaled_target(eng, st, pol) and id(pol) not in st.quota_met_day:
        st.quota_met_day[id(pol)] = eng.date


def add_summons(st: CallupState, by_region: np.ndarray) -> None:
    """Count summonses served today outside the call-up's own round (at a refused exit visa), by region."""
    st.summons_r = st.summons_r + by_region


def scaled_target(eng, st: CallupState, pol) -> int:
    """The policy's target for the simulated population (regions' share, then sample; `exitvoice.regional`)."""
    return max(1, round(st.targets[id(pol)] * eng.scenario.population.scale))
