"""Voice (docs/model.md §11): protest against the call-up, per region, with a threshold model.

Among the people of a region who oppose the war and are at home (not abroad, queued, travelling, hiding,
mobilised or conscripted), protest thresholds are normal with mean `voice.threshold_mean` and spread
`voice.threshold_sd` (Granovetter). A person joins when what they see plus the day's shock, less the deterrent of
the detention risk, reaches their threshold::

    x_r(t) = c_r(t−1) + shock_r(t) − deterrence · d
    P_r(t) = Φ((x_r(t) − μ_θ) / σ_θ)          share of the region's opposed at home who protest
    N_r(t) = P_r(t) · O_r(t)                   protesters
    c_r(t) = N_r(t) / O_r(0)                   the crowd as a share of the region's opposed before the crisis

`shock_r(t) = shock_announcement · Σ_k 2^(−(t − a_k)/half_life) + shock_summons · summons_r(t) / (men 18–59 of r
/ 1,000)`, with `a_k` the start of each mobilisation; `d = voice.detention_rate`, and detentions are `d · N_r(t)`.
The process starts from the lowest fixed point of the map without shock (the quiet pre-crisis level).

Exit drains voice through one channel only: the pool `O_r(t)`. People who oppose the war leave more
(`exit.beta_opposed`), so each departure of an opposed person shrinks both the crowd and, through `c`, the social
proof that moves the others. Closing the border keeps them in the pool; nothing else in the voice model depends on
exit. Voice does not feed back into exit or the call-up (docs/voice.md lists what the model cannot say).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from .engine.state import EXEMPT, HOME, RETURNED, SUMMONED, VISA_PENDING, VISA_PENDING_TRIP

AT_HOME = (HOME, SUMMONED, RETURNED, EXEMPT, VISA_PENDING, VISA_PENDING_TRIP)


class VoiceRecorder:
    """What the voice model needs from each day: the opposed at home per region and the opposed abroad."""

    def __init__(self, eng) -> None:
        pop = eng.pop
        n = len(eng.days)
        self.opposed = pop.opposed == 1
        self.region = pop.region
        self.R = pop.n_regions
        self.at_home = np.zeros((n, self.R))
        self.abroad = np.zeros(n)
        men = pop.select(sex="male", age_min=18, age_max=59)
        self.men_18_59 = np.bincount(pop.region[men], pop.size[men], minlength=self.R).astype(float)
        size = pop.size * self.opposed
        self.pool0 = np.bincount(pop.region, size, minlength=self.R).astype(float)

    def record(self, t: int, X: np.ndarray, abroad_by_cell: np.ndarray) -> None:
        """Store today's opposed at home by region and opposed abroad."""
        o = self.opposed
        home = X[:, AT_HOME[0]].copy()
        for col in AT_HOME[1:]:
            home += X[:, col]
        self.at_home[t] = np.bincount(self.region[o], home[o], minlength=self.R)
        self.abroad[t] = abroad_by_cell[o].sum()


def baseline(mu: float, sd: float, deterrent: float, iterations: int = 200) -> float:
    """The lowest fixed point of c = Φ((c − deterrent − μ)/σ): the quiet level before any shock."""
    c = 0.0
    for _ in range(iterations):
        nxt = float(ndtr((c - deterrent - mu) / sd))
        done = abs(nxt - c) <= 1e-15 * max(nxt, 1e-300)
        c = nxt
        if done:
            break
    return c


def threshold_dynamics(pool: np.ndarray, pool0: np.ndarray, shock: np.ndarray, *, mu: float, sd: float,
                       deterrent: float) -> np.ndarray:
    """Protesters [day, region] from the pool of opposed at home [day, region].

    `pool0` is the pool's pre-crisis size [region], `shock` the daily shock [day, region] and `deterrent` the
    deterrence times the detention rate.
    """
    pool = np.asarray(pool, float)
    T, R = pool.shape
    base = pool0 > 0
    c = np.full(R, baseline(mu, sd, deterrent))
    out = np.zeros((T, R))
    for t in range(T):
        x = c + shock[t] - deterrent
        share = ndtr((x - mu) / sd)
        out[t] = share * pool[t]
        c = np.divide(out[t], pool0, out=np.zeros(R), where=base)
    return out


def shocks(eng, summons: np.ndarray, men: np.ndarray) -> np.ndarray:
    """The daily shock per region: call-up announcements (decaying) and the day's summons rate."""
    p = eng.params
    T = len(eng.days)
    days = np.arange(T)
    announce = np.zeros(T)
    index = eng.day_index
    for pol in eng.callup.mobs:
        if pol.start in index:
            k = index[pol.start]
            lag = days[k:] - k
            announce[k:] += 0.5 ** (lag / p["voice.shock_half_life"])
    per_1000 = np.divide(summons, men[None, :] / 1000.0, out=np.zeros_like(summons, dtype=float),
                         where=men[None, :] > 0)
    return p["voice.shock_announcement"] * announce[:, None] + p["voice.shock_summons"] * per_1000


def summarise(eng) -> tuple[dict, dict[str, np.ndarray]]:
    """Protesters and detentions per region and day, and the exit-to-voice balance."""
    p, vr = eng.params, eng.voice
    d = p["voice.detention_rate"]
    shock = shocks(eng, eng.rec.by_region["summoned"].astype(float), vr.men_18_59)
    protesters = threshold_dynamics(vr.at_home, vr.pool0, shock, mu=p["voice.threshold_mean"],
                                    sd=p["voice.threshold_sd"], deterrent=p["voice.deterrence"] * d)
    detained = d * protesters
    total = protesters.sum(1)
    person_days = float(total.sum())
    opposed_abroad = float(vr.abroad[-1])
    pool0 = float(vr.pool0.sum())
    peak = int(np.argmax(total))
    summary = {
        "protesters_peak": float(total[peak]),
        "protest_peak_date": eng.days[peak].isoformat(),
        "protest_person_days": person_days,
        "detained": float(detained.sum()),
        "opposed_at_start": pool0,
        "opposed_abroad_end": opposed_abroad,
        "opposed_at_home_end": float(vr.at_home[-1].sum()),
        "exit_to_voice": opposed_abroad / person_days if person_days > 0 else None,
    }
    series = {"protesters": protesters, "detained": detained, "opposed_at_home": vr.at_home}
    return summary, series
