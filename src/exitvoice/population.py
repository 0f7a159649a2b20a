"""The synthetic population as cells (docs/model.md §2).

A cell is one combination of region × sex × age band × tertiary education × foreign passport × military service
(men) × attitude. The age bands are the pack's (`pack.toml`, `[population] age_bands`). Region × sex × age band
totals come from the pack (the national age shape of `age_sex.csv` within the regional male/female totals and men
20-49), scaled to `population.total`; the other attributes are independent within (region, sex, age band) with
shares from declared parameters, by rules set in ages, the pack's (`pack.toml` `[population]`: `adult_age`,
`prime_men_ages`, `tertiary_young_ages`, `tertiary_ages`, `passport_peak_ages`), so any bands starting at the ages
they name give the same shares. Cell sizes are integers that add up exactly to the total.

Cells that can only be empty (children with a degree, women who served, children's attitude) are dropped.
Every kept cell has a *partner*: the same person-group with the other passport status, so that getting a
passport moves people between the two without touching any immutable attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ScenarioError
from .pack import Pack, PackCallup, band_label
from .params import ParameterSet

MALE, FEMALE = 0, 1
Bands = list[tuple[int, int | None]]
"""Age bands (docs/model.md §2): (lo, hi) in whole years, hi inclusive; the last is open (hi None)."""
ATTRS = ("region", "sex", "band", "tertiary", "passport", "served", "opposed")


def _band_population(age_sex: pd.DataFrame, bands: Bands) -> tuple[np.ndarray, np.ndarray]:
    """National population [sex, band] and mean age per band, from age groups (uniform within a group)."""
    pop = np.zeros((2, len(bands)))
    age_sum = np.zeros(len(bands))
    for row in age_sex.itertuples():
        lo = int(row.age_lo)
        hi = int(row.age_hi) if not pd.isna(row.age_hi) else lo + 4  # open group: its first 5 years for the mean
        years = np.arange(lo, hi + 1)
        for year in years:
            b = next(i for i, (blo, bhi) in enumerate(bands) if year >= blo and (bhi is None or year <= bhi))
            share = 1.0 / len(years)
            pop[MALE, b] += row.male * share
            pop[FEMALE, b] += row.female * share
            age_sum[b] += (row.male + row.female) * share * (year + 0.5)
    return pop, age_sum / pop.sum(axis=0)


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _solve_shift(logits: np.ndarray, weights: np.ndarray, target: float) -> float:
    """Shift c such that the weighted mean of expit(logits + c) equals target (bisection)."""
    lo, hi = -20.0, 20.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if np.average(_expit(logits + mid), weights=weights) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _largest_remainder(x: np.ndarray, total: int) -> np.ndarray:
    """Integers close to x that add up exactly to total."""
    x = x * (total / x.sum())
    base = np.floor(x).astype(np.int64)
    short = total - int(base.sum())
    if short:
        order = np.argsort(-(x - base), kind="stable")
        base[order[:short]] += 1
    return base


@dataclass
class Population:
    """Cells with their attributes and sizes (all arrays have one entry per cell)."""

    regions: pd.DataFrame
    size: np.ndarray
    region: np.ndarray
    sex: np.ndarray
    band: np.ndarray
    tertiary: np.ndarray
    passport: np.ndarray
    served: np.ndarray
    opposed: np.ndarray
    partner: np.ndarray
    group: np.ndarray
    band_mean_age: np.ndarray
    bands: Bands
    callup_age: np.ndarray = None  # type: ignore[assignment]  # [cell] of call-up age under the pack's law
    callup_weight: np.ndarray = None  # type: ignore[assignment]  # [cell] the weight of its sex in a call-up
    law: PackCallup | None = None
    """The pack's call-up law (`[callup]`): its eligibility classes, the draft; None: a population built by hand."""
    band_lo: np.ndarray = field(init=False)
    band_hi: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.band_lo = np.array([lo for lo, _ in self.bands])
        self.band_hi = np.array([hi if hi is not None else 200 for _, hi in self.bands])
        if self.callup_age is None:  # a population built by hand: no one is of call-up age
            self.callup_age = np.zeros(self.n_cells, dtype=bool)
            self.callup_weight = np.zeros(self.n_cells)

    @property
    def band_labels(self) -> list[str]:
        """Labels of the age bands: `20-24`, `65+`."""
        return [band_label(lo, hi) for lo, hi in self.bands]

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return len(self.size)

    @property
    def n_regions(self) -> int:
        """Number of regions."""
        return len(self.regions)

    @property
    def total(self) -> int:
        """Total population."""
        return int(self.size.sum())

    @property
    def age_lo(self) -> np.ndarray:
        """Lowest age of each cell's band."""
        return self.band_lo[self.band]

    @property
    def age_hi(self) -> np.ndarray:
        """Highest age of each cell's band (200 for the open band)."""
        return self.band_hi[self.band]

    @property
    def mean_age(self) -> np.ndarray:
        """Mean age of each cell's band."""
        return self.band_mean_age[self.band]

    def select(self, *, sex: str | None = None, age_min: int | None = None, age_max: int | None = None,
               served: bool | None = None, tertiary: bool | None = None, passport: bool | None = None,
               opposed: bool | None = None, regions: list[str] | None = None,
               callup_age: bool | None = None) -> np.ndarray:
        """Boolean mask of the cells matching a filter; an age band counts when it lies wholly inside the range."""
        m = np.ones(self.n_cells, dtype=bool)
        if sex is not None:
            m &= self.sex == (MALE if sex == "male" else FEMALE)
        if age_min is not None:
            m &= self.age_lo >= age_min
        if age_max is not None:
            m &= self.age_hi <= age_max
        for name, want in (("served", served), ("tertiary", tertiary), ("passport", passport),
                           ("opposed", opposed)):
            if want is not None:
                m &= getattr(self, name) == int(want)
        if regions is not None:
            ids = self.regions.region_id.tolist()
            m &= np.isin(self.region, [ids.index(r) for r in regions])
        if callup_age is not None:
            m &= self.callup_age == callup_age
        return m

    def frame(self) -> pd.DataFrame:
        """The cells as a tidy table (region codes and band labels)."""
        return pd.DataFrame({
            "cell": np.arange(self.n_cells),
            "region": self.regions.region_id.to_numpy()[self.region],
            "sex": np.where(self.sex == MALE, "male", "female"),
            "age_band": np.array(self.band_labels)[self.band],
            "tertiary": self.tertiary.astype(bool),
            "passport": self.passport.astype(bool),
            "served": self.served.astype(bool),
            "opposed": self.opposed.astype(bool),
            "size": self.size,
        })


def build_population(pack: Pack, params: ParameterSet, *, scale_to_total: bool = True,
                     scale: float = 1.0, regions: list[str] | None = None) -> Population:
    """Build the cells of a country pack.

    Args:
        pack: the country pack.
        params: parameter values (the `population.*` group is used).
        scale_to_total: scale the region × sex × age totals to `population.total`.
        scale: a further factor (e.g. 0.01 for a quick sample run); sizes stay integers.
        regions: keep only these region codes (a regional study); the total is then the regions' share.

    """
    p = params.group("population")
    rules = pack.settings.population  # the ages of the population's rules
    reg = pack.regions.reset_index(drop=True)
    bands = pack.bands
    nat, band_mean_age = _band_population(pack.age_sex, bands)
    nb = len(bands)
    lo_age = np.array([lo for lo, _ in bands])
    first, last = rules.prime_men_ages
    prime = np.array([(lo >= first and hi is not None and hi <= last) for lo, hi in bands])
    # region × sex × band: national shape within regional totals (the men of `male_20_49` kept apart).
    male = np.zeros((len(reg), nb))
    male[:, prime] = np.outer(reg.male_20_49, nat[MALE, prime] / nat[MALE, prime].sum())
    rest = reg.male_total - reg.male_20_49
    male[:, ~prime] = np.outer(rest, nat[MALE, ~prime] / nat[MALE, ~prime].sum())
    female = np.outer(reg.female_total, nat[FEMALE] / nat[FEMALE].sum())
    rsa = np.stack([male, female], axis=1)  # [region, sex, band]
    if scale_to_total:
        rsa *= p["total"] / rsa.sum()
    total_people = rsa.sum() * scale
    if regions is not None:
        unknown = sorted(set(regions) - set(reg.region_id))
        if unknown:
            raise ScenarioError("unknown region codes", field="population.regions", given=unknown,
                                allowed="the region_id column of the pack's regions.csv")
        keep = reg.region_id.isin(regions).to_numpy()
        total_people *= rsa[keep].sum() / rsa.sum()
        rsa, reg = rsa[keep], reg[keep].reset_index(drop=True)

    adult = lo_age >= rules.adult_age
    mid = band_mean_age
    # Tertiary share by sex and band: 0 below the young ages (20-24 in the russia pack), the young and the main ages
    # (25-34) as declared, declining past the main ages.
    t = np.zeros(nb)
    young, main = rules.tertiary_young_ages, rules.tertiary_ages
    t[(lo_age >= young[0]) & (lo_age <= young[1])] = p["tertiary_share_20_24"]
    t[(lo_age >= main[0]) & (lo_age <= main[1])] = p["tertiary_share_25_34"]
    past = main[1] + 1
    older = lo_age >= past
    t[older] = np.clip(p["tertiary_share_25_34"] - p["tertiary_decline_per_decade"] * (mid[older] - past) / 10,
                       0.0, 1.0)
    ratio = p["tertiary_female_ratio"]
    tert = np.stack([t * 2 / (1 + ratio), np.clip(t * 2 * ratio / (1 + ratio), 0, 1)])  # [sex, band]

    # Foreign passport: age profile peaking at the bands starting in `passport_peak_ages` (the forties in the russia
    # pack; the mean of their mean ages), width solved
    # to match the adult share; regional odds by urban share, the capitals of pack.toml fixed at their own share,
    # the rest shifted to keep the national share.
    adults_by_band = rsa.sum(axis=(0, 1)) * adult
    peak = p["passport_share_35_44"]
    peak_lo, peak_hi = rules.passport_peak_ages
    forties = (lo_age >= peak_lo) & (lo_age <= peak_hi)
    centre = float(np.mean(mid[forties])) if forties.any() else float(peak_lo)
    lo_w, hi_w = 1.0, 200.0
    for _ in range(80):
        w = 0.5 * (lo_w + hi_w)
        prof = peak * np.exp(-(((mid - centre) / w) ** 2))
        if np.average(prof, weights=adults_by_band + 1e-12) < p["passport_share_adults"]:
            lo_w = w
        else:
            hi_w = w
    prof = peak * np.exp(-(((mid - centre) / w) ** 2))
    capitals = reg.region_id.isin(pack.settings.population.capitals).to_numpy()
    adults_rb = rsa.sum(axis=1) * adult  # [region, band]
    base_logit = _logit(np.clip(prof, 1e-6, 1 - 1e-6))[None, :] + p["passport_beta_urban"] * (
        reg.urban_share.to_numpy()[:, None] - np.average(reg.urban_share, weights=reg.pop_total))
    cap_logit = _logit(np.clip(prof * p["passport_capitals_share"] / p["passport_share_adults"], 1e-6, 1 - 1e-6))
    target_rest = p["passport_share_adults"] * adults_rb.sum()
    cap_holders = (_expit(np.broadcast_to(cap_logit, adults_rb.shape)) * adults_rb)[capitals].sum()
    rest_w = adults_rb[~capitals]
    if rest_w.sum() > 0:
        goal = np.clip((target_rest - cap_holders) / rest_w.sum(), 0.01, 0.99)
        shift = _solve_shift(base_logit[~capitals].ravel(), rest_w.ravel() + 1e-12, goal)
    else:
        shift = 0.0
    pp = _expit(base_logit + shift)
    pp[capitals] = _expit(np.broadcast_to(cap_logit, (capitals.sum(), nb)))
    pp[:, ~adult] = p["passport_share_children"]

    served = served_shares(pack.settings.callup, bands, params)  # [sex, band], the pack's [callup] served

    opp_logit = p["opposed_logodds_per_decade"] * (mid - 45) / 10
    shift = _solve_shift(opp_logit[adult], adults_by_band[adult] + 1e-12, p["opposed_share"])
    opposed = np.where(adult, _expit(opp_logit + shift), 0.0)

    # Full grid of attributes, then drop impossible cells.
    R = len(reg)
    grid = np.stack(np.meshgrid(np.arange(R), [0, 1], np.arange(nb), [0, 1], [0, 1], [0, 1], [0, 1],
                                indexing="ij"), axis=-1).reshape(-1, 7)
    r, s, b, e, pa, sv, o = grid.T
    w = rsa[r, s, b]
    w = w * np.where(e == 1, tert[s, b], 1 - tert[s, b])
    w = w * np.where(pa == 1, pp[r, b], 1 - pp[r, b])
    sv_share = served[s, b]
    w = w * np.where(sv == 1, sv_share, 1 - sv_share)
    w = w * np.where(o == 1, opposed[b], 1 - opposed[b])
    # group = all attributes but passport; keep a group if any of its two cells can be non-empty.
    group_key = ((((r * 2 + s) * nb + b) * 2 + e) * 2 + sv) * 2 + o
    possible = np.zeros(group_key.max() + 1, dtype=bool)
    np.logical_or.at(possible, group_key, w > 0)
    keep = possible[group_key]
    grid, w, group_key = grid[keep], w[keep], group_key[keep]
    size = _largest_remainder(w, int(round(total_people)))
    _, group = np.unique(group_key, return_inverse=True)
    # partner: the cell of the same group with the other passport status
    order = np.lexsort((grid[:, 4], group))
    partner = np.empty(len(group), dtype=np.int64)
    partner[order[0::2]] = order[1::2]
    partner[order[1::2]] = order[0::2]
    r, s, b, e, pa, sv, o = (grid[:, i].astype(np.int16 if i == 0 else np.int8) for i in range(7))
    pop = Population(regions=reg, size=size, region=r.astype(np.int64), sex=s, band=b, tertiary=e, passport=pa,
                     served=sv, opposed=o, partner=partner, group=group, band_mean_age=band_mean_age,
                     bands=list(bands), law=pack.settings.callup)
    pop.callup_age, pop.callup_weight = callup_reach(pop, pack.settings.callup, params)
    return pop


def _value(v: float | str | None, params: ParameterSet, default: float) -> float:
    """A number of the pack's `[callup]` table: as given, a declared parameter's value, or `default` if left out."""
    if v is None:
        return default
    return float(params[v]) if isinstance(v, str) else float(v)


def _within(lo: np.ndarray, hi: np.ndarray, first: float, last: float) -> np.ndarray:
    """Age bands (lo, hi; hi 200 or more for the open band) lying wholly within [first, last]."""
    return (lo >= first) & (hi <= last)


def served_shares(law: PackCallup, bands: Bands, params: ParameterSet) -> np.ndarray:
    """[sex, band] share who have done military service (`pack.toml` `[callup] served`; the first rule a band fits).

    A rule covers the bands lying wholly within its ages (no `age_max`: every band from `age_min`, the open one too);
    bands no rule covers have no one who served.
    """
    lo = np.array([b[0] for b in bands], dtype=float)
    hi = np.array([b[1] if b[1] is not None else 200 for b in bands], dtype=float)
    out = np.zeros((2, len(bands)))
    done = np.zeros((2, len(bands)), dtype=bool)
    for rule in law.served:
        sex = MALE if rule.sex == "men" else FEMALE
        cells = _within(lo, hi, _value(rule.age_min, params, 0), _value(rule.age_max, params, np.inf)) & ~done[sex]
        out[sex, cells] = _value(rule.share, params, 0.0)
        done[sex] |= cells
    return out


def callup_reach(pop: Population, law: PackCallup, params: ParameterSet) -> tuple[np.ndarray, np.ndarray]:
    """Who the origin's call-up law reaches (`pack.toml` `[callup]`, docs/packs.md): a mask [cell] and weights [cell].

    A cell is of call-up age when its sex is named and its whole age band lies within that sex's ages (so a law
    ending at 27 needs a band ending at 27); its weight is its sex's `weight` (0 outside).
    """
    reach = np.zeros(pop.n_cells, dtype=bool)
    weight = np.zeros(pop.n_cells)

    for sex, rule in ((MALE, law.men), (FEMALE, law.women)):
        if rule is None:
            continue
        lo, hi = (_value(a, params, 0) for a in rule.ages)
        cells = (pop.sex == sex) & (pop.age_lo >= lo) & (pop.age_hi <= hi)
        reach |= cells
        weight[cells] = _value(rule.weight, params, 1.0)
    return reach, weight


def law_ages(law: PackCallup, params: ParameterSet) -> dict[int, tuple[float, float]]:
    """First and last age of call-up of each sex the law reaches ({MALE: (18, 55)} for the russia pack)."""
    return {sex: tuple(_value(a, params, 0) for a in rule.ages)
            for sex, rule in ((MALE, law.men), (FEMALE, law.women)) if rule is not None}
