"""Stylised facts of the 2022 outflow: what the russia-2022 run must get right, and for the right reasons.

Each fact is a number read off a run's timeseries, with what was observed (a row of the pack's calibration set,
`observations_2022.csv`, cited by date, quantity and geography) or what the evidence implies, and a tolerance.
`tests/test_validity.py` asserts them on the shipped baseline, so that a change that breaks a mechanism fails a
test; docs/validity.md gives the evidence behind each one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Fact:
    """One stylised fact: a model value, what it is compared with, and whether it holds."""

    name: str
    model: float
    expected: str
    evidence: str
    holds: bool


def _series(ts: pd.DataFrame, quantity: str, geography: str) -> pd.Series:
    s = ts[(ts.quantity == quantity) & (ts.geography == geography)]
    return pd.Series(s.value.to_numpy(), index=pd.to_datetime(s.date).dt.date)


def _at(ts: pd.DataFrame, quantity: str, geography: str, date: str) -> float:
    return float(_series(ts, quantity, geography)[pd.Timestamp(date).date()])


def stylised_facts(ts: pd.DataFrame, *, scale: float = 1.0) -> list[Fact]:
    """The facts of docs/validity.md for a russia-2022 timeseries (a whole-population run unless `scale`)."""
    dep = _series(ts, "daily_departures", "RU") / scale
    d = {k: dep[pd.Timestamp(k).date()] for k in ("2022-09-17", "2022-09-18", "2022-09-19", "2022-09-20",
                                                  "2022-09-21", "2022-09-22")}
    calm = [d["2022-09-17"], d["2022-09-18"], d["2022-09-19"], d["2022-09-20"]]
    jump = d["2022-09-22"] / max(d["2022-09-20"], 1.0)
    stock = ts[(ts.quantity == "abroad_stock") & (ts.date == ts.date.max()) & (ts.geography != "RU")]
    stock = stock.set_index("geography").value
    ab_share = float(stock.get("AB", 0.0) / max(stock.sum(), 1.0))
    ge_29 = _at(ts, "daily_entries", "GE", "2022-09-29") / scale
    kz = _series(ts, "daily_entries", "KZ") / scale
    wanes = float(kz[pd.Timestamp("2022-10-03").date()] / max(kz[pd.Timestamp("2022-09-29").date()], 1.0))
    kz_window = float(kz[(kz.index >= pd.Timestamp("2022-09-21").date())
                         & (kz.index <= pd.Timestamp("2022-10-04").date())].sum())
    mob = _series(ts, "mobilised_cum", "RU") / scale
    mob_1014 = float(mob[pd.Timestamp("2022-10-14").date()])
    mob_1028 = float(mob[pd.Timestamp("2022-10-28").date()])
    by_day_30 = float(mob[pd.Timestamp("2022-10-20").date()])
    fare = _at(ts, "flight_price", "AM", "2022-09-22")
    fare0 = _at(ts, "flight_price", "AM", "2022-09-18")
    lars = _series(ts, "queue_vehicles", "crossing:upper_lars") / scale
    lars_27 = float(lars[pd.Timestamp("2022-09-27").date()])
    lars_24 = float(lars[pd.Timestamp("2022-09-24").date()])
    fi = _series(ts, "daily_entries", "FI") / scale
    weekend = float(fi[pd.Timestamp("2022-09-17").date()] / max(fi[pd.Timestamp("2022-09-14").date()], 1.0))
    return [
        Fact("departures flat before the decree (max/min, 17-20 Sep)", max(calm) / max(min(calm), 1.0),
             "< 1.3", "no event moved Russians before 21 Sep; GE entries 17-20 Sep flat at 5,600-7,000 a day",
             max(calm) / max(min(calm), 1.0) < 1.3),
        Fact("departures jump with the decree (22 Sep / 20 Sep)", jump, "> 3",
             "21 Sep decree; GE daily entries 6,402 on 21 Sep, 9,307 on 23 Sep, FI 3,099 → 7,667", jump > 3),
        Fact("Abkhazia's share of the stock abroad on 31 Dec", ab_share, "< 0.10",
             "no source puts a large share of leavers in Abkhazia (destinations.csv: tourism)", ab_share < 0.10),
        Fact("Georgia: daily entries on 29 Sep", ge_29, "9,642 (within ×1.6)",
             "observations_2022.csv 2022-09-29 daily_entries GE 9,642", 9642 / 1.6 <= ge_29 <= 9642 * 1.6),
        Fact("Kazakhstan: entries 21 Sep - 4 Oct", kz_window, "more than 200,000, under 330,000",
             "observations_2022.csv 2022-10-04 cum_entries KZ 200,000 ('more than')", 200000 <= kz_window <= 330000),
        Fact("the surge wanes: Kazakhstan's entries on 3 Oct against 29 Sep", wanes, "< 0.8 (observed 0.31)",
             "observations_2022.csv 2022-09-29 daily_entries KZ 22,500 and 2022-10-03 7,000; events_2022.csv: "
             "Georgia's flow back to normal on 30 Sep, Kazakhstan's border on 3 Oct", wanes < 0.8),
        Fact("mobilised by 14 Oct", mob_1014, "222,000 (within ±25%)",
             "observations_2022.csv 2022-10-14 mobilised_cum RU 222,000", 0.75 * 222000 <= mob_1014 <= 1.25 * 222000),
        Fact("mobilised by 28 Oct", mob_1028, "300,000 (within ±10%)",
             "observations_2022.csv 2022-10-28 mobilised_cum RU 300,000", 0.9 * 300000 <= mob_1028 <= 1.1 * 300000),
        Fact("mobilised by 20 Oct (day 29): the quota is not met early", by_day_30, "< 300,000",
             "observations_2022.csv: 222,000 on 14 Oct, 300,000 on 28 Oct", by_day_30 < 300000),
        Fact("Moscow-Yerevan fare on 22 Sep against 18 Sep", fare / max(fare0, 1.0), "> 3",
             "observations_2022.csv 2022-09-20 flight_price AM 8,000 and 2022-09-21 122,000 RUB",
             fare / max(fare0, 1.0) > 3),
        Fact("Upper Lars queue on 27 Sep (vehicles)", lars_27, "5,500 (within ×2)",
             "observations_2022.csv 2022-09-27 queue_vehicles crossing:upper_lars 5,500",
             5500 / 2 <= lars_27 <= 5500 * 2),
        Fact("Upper Lars queue on 24 Sep (vehicles)", lars_24, "2,300 (within ×2)",
             "observations_2022.csv 2022-09-24 queue_vehicles crossing:upper_lars 2,300: the queue built over the "
             "week, to 5,500 on 27 Sep", 2300 / 2 <= lars_24 <= 2300 * 2),
        Fact("Finland: entries on Saturday 17 Sep against Wednesday 14 Sep", weekend, "> 1.3 (observed 1.69)",
             "observations_2022.csv 2022-09-14 daily_entries FI 3,133 and 2022-09-17 5,286", weekend > 1.3),
    ]


def facts_table(facts: list[Fact]) -> pd.DataFrame:
    """The facts as a frame (for printing and docs)."""
    return pd.DataFrame([f.__dict__ for f in facts])
