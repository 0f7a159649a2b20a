"""Economy (docs/model.md §10): the labour that exit, the call-up and hiding take away, and the output it costs.

Each cell's people are employed at a rate set by sex, age band and education, and spread over the sectors of
the pack's `economy_sectors.csv` by sex and education (iterative proportional fitting to the sectors' sourced
employment and male shares; graduates lean towards the graduate-intensive sectors by `economy.graduate_odds`).
A graduate counts as `economy.tertiary_wage_ratio` units of labour (skill weighting by relative wages).

Labour absent on day t in sector s (persons, and wage-weighted units)::

    ΔL_s(t) = Σ_i (queued_i + mobilised_i + h·hiding_i) · e_is  +  Σ_i abroad_i · a_is · (1 − remote_s)

where `e_is` is the expected employment of one person of cell i in sector s (rate × sector share, × skill for
units), queued_i counts those queued at a crossing or on the road to one, `h = economy.hiding_absence` and
`remote_s` the share who keep working from abroad. Exit follows
occupation: a worker of sector s leaves at `r_s` times the hazard of the others of his cell (`r_s` from the
sector's `exit_propensity_param`, 1 where none: IT workers left far more than others of their age and degree), so
of the people of cell i abroad a share `a_is = e_is·r_s / (1 + Σ_s' e_is'·(r_s' − 1))` worked in s; the cell's
exit hazard is the average over its people, so the number who leave does not change, only who they are.
Ordinary travellers, the summoned, visa applicants and regular conscripts are not counted: the first three
still work, and the draft happens in the counterfactual too. Output relative to the counterfactual with nobody absent::

    Y/Y0 = Π_s (1 − ΔL_s/L_s)^(α·w_s)

with `α = economy.labour_elasticity` and `w_s` the sector's share of value added, taken proportional to its wage
bill (employment × relative wage). Under Cobb–Douglas α·w_s is the sector's labour compensation over GDP, so the
wage bill identifies the product α·w_s, which is all that enters the first-order loss; docs/economy.md has the
argument and its limits. The labour shortage nets out the unemployed who could fill the jobs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .engine.state import HIDING, MOBILISED
from .errors import DataError
from .population import MALE

SECTOR_COLUMNS = ("sector", "name", "employed_share", "male_share", "wage_ratio", "graduate_intensive",
                  "remote_param", "exit_propensity_param")


def read_sectors(path) -> pd.DataFrame:
    """Read a pack's sector table and fill in its derived row (`other`).

    The row gets the remainder of employment; its male share and wage ratio are filled later (see `_fill`).
    """
    df = pd.read_csv(path)
    missing = [c for c in SECTOR_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"missing columns {missing}", file=str(path))
    derived = df.employed_share.isna()
    if derived.sum() != 1:
        raise DataError("exactly one sector must have an empty employed_share (the remainder)", file=str(path),
                        field="employed_share", given=int(derived.sum()), allowed=1)
    rest = 1.0 - df.employed_share.sum()
    if not 0 < rest <= 1:  # one sector alone (a pack without a sector table) takes all
        raise DataError("sector shares must add up to less than 1", file=str(path), field="employed_share",
                        given=round(1 - rest, 4), allowed="< 1")
    df.loc[derived, "employed_share"] = rest
    return df.reset_index(drop=True)


def _fill(share: np.ndarray, values: np.ndarray, target: float, low: float, high: float, what: str,
          field: str | None = None) -> np.ndarray:
    """Fill the missing values with the common value that makes the share-weighted mean equal `target`.

    `field`: the parameter that sets `target`, named in the error when no fill lies in [low, high].
    """
    v = values.astype(float).copy()
    known = ~np.isnan(v)
    rest = share[~known].sum()
    if rest <= 0:
        return v
    fill = (target - (share[known] * v[known]).sum()) / rest
    if not low <= fill <= high:
        mean_low = (share[known] * v[known]).sum() + low * rest
        mean_high = (share[known] * v[known]).sum() + high * rest
        raise DataError(f"with the {what}s of economy_sectors.csv, this value leaves an impossible {what} ({fill:.3f}) "
                        "for the sectors without one", field=field, given=target,
                        allowed=f"[{mean_low:.3g}, {mean_high:.3g}] (the sectors without a {what} between {low:g} "
                                f"and {high:g})")
    v[~known] = fill
    return v


@dataclass
class Economy:
    """Static labour weights of the cells and the daily labour absent by sector."""

    sectors: list[str]
    emp: np.ndarray        # [cell, sector] expected employed persons per person of the cell
    units: np.ndarray      # [cell, sector] wage-weighted labour units per person of the cell
    emp_abroad: np.ndarray   # [cell, sector] employment in s of one person of the cell who left (exit by sector)
    units_abroad: np.ndarray  # [cell, sector] the same in wage-weighted units
    remote: np.ndarray     # [sector] share who keep working from abroad
    L: np.ndarray          # [sector] labour units of the whole population (the counterfactual)
    workers: np.ndarray    # [sector] employed persons of the whole population
    weight: np.ndarray     # [sector] alpha * value-added share
    va_share: np.ndarray   # [sector]
    hiding: float

    @classmethod
    def build(cls, pack, params, pop) -> Economy:
        """Employment rates by cell, sector shares by sex and education, and skill weights."""
        p = params
        sec = read_sectors(pack.path / "economy_sectors.csv")
        share = sec.employed_share.to_numpy(float)
        male = _fill(share, sec.male_share.to_numpy(), p["economy.male_share_employed"], 0.0, 1.0, "male share",
                     field="economy.male_share_employed")
        wage = _fill(share, sec.wage_ratio.to_numpy(), 1.0, 0.05, 10.0, "wage ratio")
        grad = sec.graduate_intensive.to_numpy(bool)
        S = len(sec)

        # employment rate by band, relative to the reference ages (25-54 in the russia pack), by the pack's
        # `[economy] employment` rules; graduates by emp_tertiary_ratio
        rel = np.array([pack.settings.economy.rate(lo, p) for lo, _ in pop.bands])
        shape = rel[pop.band] * np.where(pop.tertiary == 1, p["economy.emp_tertiary_ratio"], 1.0)
        # Each sex's rates are min(1, k * shape), with k solved so that the national employed of that sex is
        # met (a regional run keeps the national rates).
        full = p["economy.employed_total"]
        male_total = full * p["economy.male_share_employed"]
        per_person = p["population.total"] / pop.size.sum()
        rate = np.zeros(pop.n_cells)
        for sex, total in ((MALE, male_total), (1 - MALE, full - male_total)):
            m = pop.sex == sex
            w, sh = pop.size[m] * per_person, shape[m]
            if (w * (sh > 0)).sum() < total:
                raise DataError(f"the employed ({'men' if sex == MALE else 'women'}, from economy.employed_total "
                                "and economy.male_share_employed) outnumber the people of working age of a "
                                f"population of {p['population.total']:,.0f} (population.total)",
                                field="economy.employed_total", given=round(total),
                                allowed=f"<= {(w * (sh > 0)).sum():.0f}")
            lo, hi = 0.0, 1.0 / max(sh[sh > 0].min(), 1e-9)
            for _ in range(100):
                k = 0.5 * (lo + hi)
                lo, hi = (k, hi) if (w * np.minimum(1.0, k * sh)).sum() < total else (lo, k)
            rate[m] = np.minimum(1.0, 0.5 * (lo + hi) * sh)

        # sector shares by (sex, tertiary): IPF on the 4 x S table to the sectors' employment and male shares,
        # seeded with the graduate odds
        row_of_cell = 2 * pop.sex.astype(int) + pop.tertiary.astype(int)  # row = 2*sex + tertiary
        rows = np.bincount(row_of_cell, pop.size * rate, minlength=4)  # employed persons by row
        seed = np.ones((4, S))
        for r in (1, 3):  # graduates
            seed[r, grad] *= p["economy.graduate_odds"]
        col_total = share * rows.sum()
        male_col = male * col_total
        sex_of_row = np.array([0, 0, 1, 1])
        T = seed * rows[:, None] / seed.sum(1, keepdims=True)
        for _ in range(200):
            # columns by sex: men's and women's totals per sector
            for sx, tgt in ((MALE, male_col), (1 - MALE, col_total - male_col)):
                r = sex_of_row == sx
                cur = T[r].sum(0)
                T[r] *= np.divide(tgt, cur, out=np.ones_like(cur), where=cur > 0)[None, :]
            T *= (rows / T.sum(1))[:, None]
            if np.allclose(T.sum(0), col_total, rtol=1e-9):
                break
        dist = T / T.sum(1, keepdims=True)  # [row, sector]
        emp = rate[:, None] * dist[row_of_cell]
        row_skill = np.array([1.0, p["economy.tertiary_wage_ratio"]] * 2)
        # Sector wage ratios are averages over the sector's own mix of graduates: divide by that mix's mean skill
        # so that a sector's wage bill stays employment x wage ratio.
        mean_skill = (T * row_skill[:, None]).sum(0) / T.sum(0)
        units = emp * row_skill[row_of_cell][:, None] * (wage / mean_skill)[None, :]
        remote = np.array([p[name] for name in sec.remote_param])
        r = np.array([p[n] if isinstance(n, str) and n else 1.0 for n in sec.exit_propensity_param])
        tilt = r[None, :] / (1.0 + emp @ (r - 1.0))[:, None]  # composition of the leavers of each cell
        bill = share * wage
        va = bill / bill.sum()
        size = pop.size.astype(float)
        return cls(sectors=sec.sector.tolist(), emp=emp, units=units, emp_abroad=np.minimum(emp * tilt, 1.0),
                   units_abroad=units * tilt, remote=remote, L=size @ units,
                   workers=size @ emp, weight=p["economy.labour_elasticity"] * va, va_share=va,
                   hiding=p["economy.hiding_absence"])

    def absent(self, X: np.ndarray, layout, abroad: np.ndarray,
               queued: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Today's absent labour by sector: (persons, wage-weighted units), net of remote work.

        `abroad` is the count abroad per cell, `queued` the count queued at a crossing or on the road to one per cell
        (summed from X when not given).
        """
        if queued is None:
            queued = X[:, layout.away].sum(1)
        home_absent = (queued + X[:, MOBILISED] + self.hiding * X[:, HIDING]).astype(float)
        abroad = abroad.astype(float)
        keep = 1.0 - self.remote
        persons = home_absent @ self.emp + (abroad @ self.emp_abroad) * keep
        units = home_absent @ self.units + (abroad @ self.units_abroad) * keep
        return persons, units


def output_ratio(absent_units: np.ndarray, L: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Y/Y0 = Π_s (1 − ΔL_s/L_s)^(weight_s), for one day ([S]) or many ([T, S])."""
    frac = np.clip(np.asarray(absent_units, float) / np.maximum(L, 1e-12), 0.0, 1.0)
    return np.exp((weight * np.log1p(-np.minimum(frac, 1 - 1e-12))).sum(axis=-1))


def summarise(eng, persons: np.ndarray, units: np.ndarray) -> tuple[dict, dict[str, np.ndarray]]:
    """Daily series and summary figures of a run's economy.

    Persons are at the run's scale, like every other count; money (in the pack's currency) is at the GDP of
    `economy.gdp` for the part of the country the run covers (all of it unless `population.regions` is set),
    whatever the scale.
    """
    econ, p = eng.economy, eng.params
    scale = eng.scenario.population.scale
    loss = 1.0 - output_ratio(units, econ.L, econ.weight)
    coverage = min(1.0, float(eng.pop.total / (p["population.total"] * scale)))
    gdp = p["economy.gdp"] * coverage
    lost = persons.sum(1)
    shortage = np.maximum(0.0, lost - p["economy.unemployed_fill_share"] * p["economy.unemployed"] * scale * coverage)
    series = {
        "output_loss_pct": 100.0 * loss,
        "output_loss_per_day": loss * gdp / 365.0,
        "output_loss_annualised": loss * gdp,
        "workers_lost": lost,
        "labour_shortage": shortage,
    }
    peak = int(np.argmax(loss))
    summary = {
        "output_loss_pct_end": float(100 * loss[-1]),
        "output_loss_pct_peak": float(100 * loss[peak]),
        "output_loss_peak_date": eng.days[peak].isoformat(),
        "output_loss_pct_mean": float(100 * loss.mean()),
        "output_loss_cumulative": float((loss * gdp / 365.0).sum()),
        "output_loss_annualised_end": float(loss[-1] * gdp),
        "workers_lost_end": float(lost[-1]),
        "labour_shortage_end": float(shortage[-1]),
        "workers_lost_by_sector_end": {s: float(v) for s, v in zip(econ.sectors, persons[-1], strict=True)},
        "employed": float(econ.workers.sum()),
    }
    return summary, series
