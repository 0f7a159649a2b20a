"""Regional runs (docs/model.md, "Regional runs"): the part of a national figure that falls to the simulated regions.

A run of some regions (`population.regions`) simulates only their people, while the figures in persons of a
policy are national unless said otherwise: a call-up's target, a conscription campaign's intake, an exit-visa
office's daily capacity. So are the pack's capacities (passports issued a day, crossings, flight seats, the normal
entries per destination, a crossing's capacity set by `capacity_change`): the whole country shares them. Each
national figure is scaled by the simulated regions' share of the national population it concerns:

| figure | share of the country's … |
|---|---|
| `mobilisation.target` | men the call-up can take: Σ people × eligibility weight (docs/model.md §6), times |
| | the region's burden weight under `allocation = "burden"`: the regions' share of the national call-up |
| `regular_conscription.intake` | unserved men of its `ages` (its draft weights) |
| `exit_visa.daily_capacity` | people its `who` covers |
| `passport.capacity_per_day` | adults without a foreign passport (those who may apply) |
| route capacities, seats, normal entries, `capacity_change.capacity` | people |

A policy with `figures_for = "regions"` gives its figures for the simulated regions, and they are used as given.
The shares are computed once per scenario, from the whole country and the regions built at full scale with the
scenario's parameter values (not an ensemble member's draws: every member and every comparison of a scenario
uses the same regional target). A whole-country run uses every figure as given (every share is exactly 1). A sample
(`population.scale`) scales the result further, as it does every figure in persons.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .population import Population
    from .scenario import Scenario

SCALED_FIELDS = {"mobilisation": "target", "regular_conscription": "intake", "exit_visa": "daily_capacity"}
"""The policy field, in persons for the whole country unless `figures_for = "regions"`, of each policy type."""


def is_regional(scenario: Scenario) -> bool:
    """Whether the run simulates only some regions."""
    return bool(scenario.population.regions)


_BUILT: dict[str, tuple] = {}
"""The populations of the scenarios seen, by what they depend on (a few at most)."""


def _populations(scenario: Scenario):
    """The simulated regions and the whole country at full scale, and the scenario's parameter values (cached).

    Built straight from the pack (at any `population.total`, without a scenario's size limits, which concern the
    sample a run simulates): they only give shares.
    """
    from .pack import load_pack
    from .population import build_population

    data = scenario.model_dump(mode="json")
    key = json.dumps({"country": data["scenario"]["country"], "population": {**data["population"], "scale": 1},
                      "parameters": data["parameters"], "outside": data["scenario"]["allow_outside_range"]},
                     sort_keys=True)
    if key not in _BUILT:
        if len(_BUILT) >= 16:
            _BUILT.pop(next(iter(_BUILT)))
        params = scenario.parameter_set()
        pack = load_pack(scenario.scenario.country)
        opts = scenario.population
        nation = build_population(pack, params, scale_to_total=opts.scale_to_total)
        regions = build_population(pack, params, scale_to_total=opts.scale_to_total, regions=opts.regions)
        _BUILT[key] = (regions, nation, params)
    return _BUILT[key]


def share(scenario: Scenario, weights: Callable[[Population, object], np.ndarray] | None = None) -> float:
    """The simulated regions' share of the country's people, each counted with `weights(population, params)`.

    Exactly 1.0 for a whole-country run; 1.0 too when nobody in the country has a positive weight.
    """
    if not is_regional(scenario):
        return 1.0
    regions, nation, params = _populations(scenario)
    if weights is None:
        return float(regions.size.sum() / nation.size.sum())
    den = float((weights(nation, params) * nation.size).sum())
    if den <= 0:
        return 1.0
    return float((weights(regions, params) * regions.size).sum()) / den


def _context(pop: Population, params):
    from .policies.base import PolicyContext

    return PolicyContext(pop, None, params, pop.callup_age)  # the weights below read the population and parameters


def _callup_weights(pop: Population, params, pol) -> np.ndarray:
    """Each cell's weight in a call-up's summons: eligibility, times the region's burden weight under `burden`.

    The burden weight is `callup_burden^callup.burden_exponent` (the pack's `regions.csv`; docs/callup.md); its
    normalisation cancels in a share.
    """
    from .policies import eligibility_weights

    w = eligibility_weights(_context(pop, params), pol)
    if pol.allocation == "burden":
        burden = pop.regions.callup_burden.to_numpy(dtype=float)
        w = w * (burden ** params["callup.burden_exponent"])[pop.region]
    return w


def policy_share(scenario: Scenario, pol) -> float:
    """The share of a policy's figure in persons that falls to the simulated regions (1.0 if given for them)."""
    if not is_regional(scenario) or getattr(pol, "figures_for", "country") == "regions":
        return 1.0
    if pol.type == "mobilisation":
        return share(scenario, lambda pop, params: _callup_weights(pop, params, pol))
    if pol.type == "regular_conscription":
        return share(scenario, lambda pop, params: pol.eligible(_context(pop, params)))
    if pol.type == "exit_visa":
        return share(scenario, lambda pop, params: pol.targeted(_context(pop, params)).astype(float))
    return share(scenario)


def figure(scenario: Scenario, pol, value: float | None = None) -> float:
    """A policy's figure in persons (its `SCALED_FIELDS` field unless `value` is given) for the simulated regions.

    The figure itself, untouched, in a whole-country run or when the policy gives it for the regions.
    """
    value = getattr(pol, SCALED_FIELDS[pol.type]) if value is None else value
    s = policy_share(scenario, pol)
    return value if s == 1.0 else value * s


def target(scenario: Scenario, pol) -> float:
    """A mobilisation's target for the simulated regions, in persons (whole-population terms, before any sample)."""
    return figure(scenario, pol, pol.target)


def passport_share(scenario: Scenario) -> float:
    """The simulated regions' share of the adults without a foreign passport (the national issuing capacity)."""

    def may_apply(pop, params):
        return ((pop.age_lo >= params["exit.min_age"]) & (pop.passport == 0)).astype(float)

    return share(scenario, may_apply)


def coverage(scenario: Scenario) -> str:
    """What a run covers, in words: the whole country or its regions, a sample or everyone."""
    pop = scenario.population
    sample = f"a {pop.scale:.4g} sample of " if pop.scale < 1 else ""
    if not is_regional(scenario):
        return f"{sample}the whole country"
    from .pack import load_pack

    n = len(load_pack(scenario.scenario.country).regions)
    names = ", ".join(pop.regions[:6]) + (f" and {len(pop.regions) - 6} more" if len(pop.regions) > 6 else "")
    return (f"{sample}{len(pop.regions)} of the {n} regions ({names}: {share(scenario):.1%} of the country's "
            "people)")


def coverage_summary(scenario: Scenario) -> dict:
    """What a run covers, for its summary: regions, their share of the people, sample, and national figures scaled."""
    out = {"regions": list(scenario.population.regions) if is_regional(scenario) else None,
           "population_share": share(scenario), "sample": scenario.population.scale,
           "description": coverage(scenario)}
    if is_regional(scenario):
        out["figures_for_regions"] = [
            {"policy": p.label or f"{p.type} from {p.start}", "field": SCALED_FIELDS[p.type],
             "national": getattr(p, SCALED_FIELDS[p.type]), "regions": figure(scenario, p),
             "share": policy_share(scenario, p), "given_for": p.figures_for}
            for p in scenario.policy if p.type in SCALED_FIELDS]
    return out


def national_comparison_warning(scenario: Scenario) -> str | None:
    """The warning for a regional run compared with national observations (None for a whole-country run)."""
    if not is_regional(scenario):
        return None
    return (f"the run covers only part of the country ({coverage(scenario)}), while the observations are national "
            "(entries at destinations and crossings, departures, call-up totals of the whole country): the "
            "comparison is not like for like, and the scores say little about the model")
