"""Observation files and the validation scorecard: every matching rule and every score, by hand."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import write_scenario
from exitvoice.errors import DataError
from exitvoice.observations import pack_observations, read_observations
from exitvoice.validate import Simulated, score

HEADER = "date,quantity,geography,value,unit,since,kind,source,quote\n"
DATES = pd.date_range("2022-09-20", periods=5)


def _sim(members=1):
    """Hand-made series: entries to KZ 10, 20, 30, 40, 50 a day (+ member index), and so on."""
    s = {}
    m = np.arange(members)[:, None]
    s[("daily_entries", "KZ")] = np.array([10, 20, 30, 40, 50.0]) + m
    s[("daily_exits_back", "KZ")] = np.array([1, 2, 3, 4, 5.0]) + 0 * m
    s[("processed", "crossing:a")] = np.array([5, 5, 5, 5, 5.0]) + 0 * m
    s[("processed", "crossing:b")] = np.array([1, 2, 3, 4, 5.0]) + 0 * m
    s[("mobilised_cum", "RU")] = np.array([0, 100, 250, 300, 310.0]) + 0 * m
    s[("flight_price", "AM")] = np.array([8000, 9000, 12000, 9000, 8000.0]) + 0 * m
    s[("queue_wait_hours", "crossing:a")] = np.array([0, 1, 2, 3, 4.0]) + 0 * m
    s[("detained_cum", "RU")] = np.array([1, 2, 1002, 1500, 1600.0]) + 0 * m
    return Simulated(DATES, s, members)


def _obs(tmp_path, rows):
    p = tmp_path / "obs.csv"
    p.write_text(HEADER + "".join(r + "\n" for r in rows))
    return read_observations(p)


GROUPS = {"ab": ["a", "b"]}


@pytest.mark.parametrize("row,expected", [
    ("2022-09-22,daily_entries,KZ,30,persons/day,,official,s,q", 30),
    ("2022-09-23,cum_entries,KZ,90,persons,2022-09-21,official,s,q", 20 + 30 + 40),
    ("2022-09-23,cum_exits_back,KZ,9,persons,2022-09-22,official,s,q", 3 + 4),
    ("2022-09-22,net_stay,KZ,9,persons,2022-09-21,official,s,q", (20 - 2) + (30 - 3)),
    ("2022-09-22,daily_entries,crossing:ab,8,persons/day,,official,s,q", 5 + 3),
    ("2022-09-24,cum_entries,crossing:a,10,persons,2022-09-23,official,s,q", 10),
    ("2022-09-24,mobilised_cum,RU,200,men,2022-09-21,official,s,q", 310 - 0),
    ("2022-09-24,mobilised_cum,RU,200,men,2022-09-22,official,s,q", 310 - 100),
    ("2022-09-22,flight_price,AM,12000,RUB one-way,,estimate,s,q", 12000),
    ("2022-09-21,queue_wait_hours,crossing:a,1,hours,,estimate,s,q", 1),
    ("2022-09-23,detained_cum,RU,1386,persons,2022-09-22,estimate,s,q", 1500 - 2),
])
def test_each_matching_rule(tmp_path, row, expected):
    card = score(_obs(tmp_path, [row]), _sim(), GROUPS)
    r = card.rows.iloc[0]
    assert r.status == "scored", r.reason
    assert r.simulated == expected


@pytest.mark.parametrize("row,reason", [
    ("2022-09-22,flight_price,AE,350,USD one-way,,estimate,s,q", "RUB"),
    ("2022-09-22,other,KZ,1,persons,,official,s,q", "not scored"),
    ("2022-09-30,daily_entries,KZ,1,persons,,official,s,q", "outside the run"),
    ("2022-09-22,cum_entries,KZ,1,persons,,official,s,q", "without `since`"),
    ("2022-09-22,cum_entries,KZ,1,persons,2022-09-01,official,s,q", "before the run starts"),
    ("2022-09-22,daily_entries,ZZ,1,persons,,official,s,q", "geography not in the model"),
    ("2022-09-22,daily_entries,crossing:nowhere,1,persons,,official,s,q", "crossing not in the model"),
    ("2022-09-22,queue_wait_hours,crossing:ab,1,hours,,official,s,q", "group of crossings"),
])
def test_unmatched_rows_are_skipped_with_their_reason(tmp_path, row, reason):
    card = score(_obs(tmp_path, [row]), _sim(), GROUPS)
    r = card.rows.iloc[0]
    assert r.status == "skipped" and reason in r.reason
    assert card.metrics["n_skipped"] == 1 and card.metrics["n_scored"] == 0


def test_scores_against_hand_computed_values(tmp_path):
    rows = [
        "2022-09-21,daily_entries,KZ,10,p,,official,s,q",   # sim 20: rel 1.0, log ratio ln 2
        "2022-09-22,daily_entries,KZ,60,p,,official,s,q",   # sim 30: rel 0.5, log ratio -ln 2
        "2022-09-23,daily_entries,KZ,40,p,,official,s,q",   # sim 40: rel 0,   log ratio 0
        "2022-09-22,other,KZ,5,p,,official,s,q",            # skipped
    ]
    m = score(_obs(tmp_path, rows), _sim(), GROUPS).metrics
    assert m["n_scored"] == 3 and m["n_skipped"] == 1
    assert m["ard"] == pytest.approx((1.0 + 0.5 + 0.0) / 3)
    assert m["median_abs_log_ratio"] == pytest.approx(np.log(2))
    # naive carry-forward errors |60-10| + |40-60| = 70; model errors (from the 2nd point) 30 + 0 = 30
    assert m["mase"] == pytest.approx(30 / 70)
    # rescaled to the observed total 110 over the simulated 90
    f = 110 / 90
    expected = np.mean([abs(20 * f - 10) / 10, abs(30 * f - 60) / 60, abs(40 * f - 40) / 40])
    assert m["ard_rescaled"] == pytest.approx(expected)
    assert m["coverage_50"] is None and m["coverage_90"] is None


def test_volume_log_ratio_and_coverage_for_an_ensemble(tmp_path):
    rows = ["2022-09-22,cum_entries,KZ,45,p,2022-09-21,official,s,q",    # members: 50 + 2m, m = 0..4
            "2022-09-24,cum_entries,KZ,400,p,2022-09-20,official,s,q"]   # members: 150 + 5m
    m = score(_obs(tmp_path, rows), _sim(members=5), GROUPS).metrics
    assert m["volume_log_ratio"] == pytest.approx(np.log((54 + 160) / 445))
    assert m["coverage_90"] == pytest.approx(0.0)
    m2 = score(_obs(tmp_path, ["2022-09-22,cum_entries,KZ,54,p,2022-09-21,official,s,q"]),
               _sim(members=5), GROUPS).metrics
    assert m2["coverage_50"] == 1.0 and m2["coverage_90"] == 1.0
    by = m2["coverage_by_quantity"]["cum_entries"]
    assert by["n"] == 1 and by["coverage_90"] == 1.0
    # members 50 + 2m, m = 0..4: the 5–95% band runs from 50.4 to 57.6 (linear quantiles of 50, 52, …, 58)
    assert by["band_width_log90"] == pytest.approx(np.log1p(57.6) - np.log1p(50.4))
    assert m2["band_width_log90"] == by["band_width_log90"]


@pytest.mark.parametrize("row,field", [
    ("2022-13-01,daily_entries,KZ,1,p,,official,s,q", "date"),
    ("2022-09-22,arrivals,KZ,1,p,,official,s,q", "quantity"),
    ("2022-09-22,daily_entries,Kazakhstan,1,p,,official,s,q", "geography"),
    ("2022-09-22,daily_entries,KZ,many,p,,official,s,q", "value"),
    ("2022-09-22,daily_entries,KZ,-3,p,,official,s,q", "value"),
    ("2022-09-22,cum_entries,KZ,3,p,2022-09-30,official,s,q", "since"),
    ("2022-09-22,daily_entries,KZ,3,p,,rumour,s,q", "kind"),
])
def test_bad_rows_name_the_file_line_and_field(tmp_path, row, field):
    with pytest.raises(DataError) as exc:
        _obs(tmp_path, ["2022-09-21,daily_entries,KZ,10,p,,official,s,q", row])
    text = str(exc.value)
    assert "obs.csv, line 3" in text and f"'{field}'" in text


def test_the_shipped_calibration_file_reads():
    obs = read_observations(pack_observations())
    assert len(obs) == 100 and {"KZ", "GE", "FI"} <= set(obs.geography)


def test_cli_validate_a_run_and_bad_observations(tmp_path):
    scen = tmp_path / "s.toml"
    write_scenario(scen, "v", "2022-10-05", regions=("SE", "AST", "MOW"), mobilisation=False)
    run = tmp_path / "run"
    exe = [sys.executable, "-m", "exitvoice"]
    assert subprocess.run([*exe, "run", scen, "--out", run, "--no-plots"], capture_output=True).returncode == 0
    r = subprocess.run([*exe, "validate", run], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    m = json.loads((run / "validation" / "scorecard.json").read_text())
    assert {"ard", "ard_rescaled", "volume_log_ratio", "median_abs_log_ratio", "mase", "coverage_50",
            "coverage_90", "n_scored", "n_skipped"} <= set(m)
    assert (run / "validation" / "scorecard.png").is_file()
    card = pd.read_csv(run / "validation" / "scorecard.csv")
    assert len(card) == 100 and set(card.status) == {"scored", "skipped"}
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2022-09-22,daily_entries,KZ,ten,p,,official,s,q\n")
    r = subprocess.run([*exe, "validate", run, "--observations", bad, "--out", tmp_path / "v2"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "line 2" in r.stderr and "'value'" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "v2").exists()
    r = subprocess.run([*exe, "validate", scen, "--out", tmp_path / "v3"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "v3" / "scorecard.json").is_file()
    later = tmp_path / "later.csv"  # nothing in it can be scored: all after the run
    later.write_text(HEADER + "2023-09-22,daily_entries,KZ,10,persons/day,,official,s,q\n")
    r = subprocess.run([*exe, "validate", run, "--observations", later, "--out", tmp_path / "v4"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "no observation could be scored" in r.stderr and "Traceback" not in r.stderr
    assert "later.csv" in r.stderr and not (tmp_path / "v4").exists()


# -- the country-neutral vocabulary (docs/validation.md) ------------------------------------------------------------

MONTHS = pd.date_range("2022-09-01", "2022-10-31")


def _months_sim(men_abroad: bool = False):
    """Sep-Oct 2022: entries to KZ 1 a day in Sep, 2 a day in Oct; leavers 3 a day; stock abroad 10, 11, …"""
    n = len(MONTHS)
    s = {("daily_entries", "KZ"): np.where(MONTHS.month == 9, 1.0, 2.0)[None, :],
         ("processed", "crossing:a"): np.full((1, n), 4.0),
         ("daily_departures", "RU"): np.full((1, n), 3.0),
         ("abroad_stock", "RU"): 10.0 + np.arange(n)[None, :],
         ("abroad_stock", "KZ"): 5.0 + np.arange(n)[None, :],
         ("mobilised_cum", "RU"): np.zeros((1, n))}
    if men_abroad:
        s[("men_abroad_stock", "KZ")] = 2.0 + np.arange(n)[None, :]
    return Simulated(MONTHS, s, 1)


@pytest.mark.parametrize("row,expected", [
    ("2022-10-15,monthly_entries,KZ,60,persons,,official,s,q", 31 * 2),
    ("2022-09-01,monthly_entries,KZ,30,persons,,official,s,q", 30 * 1),
    ("2022-09-30,monthly_entries,crossing:a,120,persons,,official,s,q", 30 * 4),
    ("2022-10-10,daily_departures,RU,3,persons/day,,official,s,q", 3),
    ("2022-09-10,cum_departures,RU,30,persons,2022-09-01,official,s,q", 10 * 3),
    ("2022-09-10,cum_departures_ru,RU,30,persons,2022-09-01,official,s,q", 10 * 3),  # the older name
    ("2022-09-10,daily_departures_ru,RU,3,persons/day,,official,s,q", 3),
    ("2022-09-03,abroad_stock,RU,12,persons,,estimate,s,q", 12),
])
def test_each_rule_of_the_neutral_vocabulary(tmp_path, row, expected):
    card = score(_obs(tmp_path, [row]), _months_sim(), GROUPS)
    r = card.rows.iloc[0]
    assert r.status == "scored", r.reason
    assert r.simulated == expected
    assert not r.quantity.endswith("_ru")  # the older names are read as the vocabulary's


def test_men_abroad_stock_is_the_value_on_the_date_when_the_run_has_it(tmp_path):
    obs = _obs(tmp_path, ["2022-09-03,men_abroad_stock,KZ,4,persons,,survey,s,q"])
    assert score(obs, _months_sim(men_abroad=True), GROUPS).rows.iloc[0].simulated == 4
    r = score(obs, _months_sim(), GROUPS).rows.iloc[0]
    assert r.status == "skipped" and r.reason.startswith("no model output for this kind yet: men_abroad_stock")


def test_men_abroad_stock_rows_are_scored_against_the_runs_men_among_the_leavers_abroad(tmp_path):
    """A run records the adult men among the leavers in abroad[d] each day; an observation file's men_abroad_stock
    rows (a destination, the origin) are scored against that series on their date, scaled to the whole population,
    not against the stock of all leavers."""
    from conftest import small_scenario
    from exitvoice.engine.cells import CellEngine

    eng = CellEngine(small_scenario([{"type": "mobilisation", "start": "2022-09-21", "target": 300000}],
                                    end="2022-10-05"), seed=4)
    res = eng.run()
    ts = res.timeseries
    men = eng.decisions.adult_men
    at_end = eng.X[men][:, eng.layout.abroad].sum(axis=0)  # the engine's state on the last day
    last = ts[(ts.quantity == "men_abroad_stock") & (ts.date == ts.date.max())].set_index("geography").value
    assert [last[d] for d in eng.net.dest_ids] == list(at_end) and last["RU"] == at_end.sum() > 0
    stock = ts[ts.quantity == "abroad_stock"].set_index(["date", "geography"]).value
    mens = ts[ts.quantity == "men_abroad_stock"].set_index(["date", "geography"]).value
    assert (mens <= stock.loc[mens.index]).all() and (mens < stock.loc[mens.index]).any()  # women, children too
    obs = _obs(tmp_path, ["2022-10-01,men_abroad_stock,KZ,1000,persons,,survey,s,q",
                          "2022-10-01,men_abroad_stock,RU,5000,persons,,survey,s,q"])
    card = score(obs, Simulated.from_timeseries(ts, scale=0.05)).rows
    day = pd.Timestamp("2022-10-01")
    for i, geo in enumerate(("KZ", "RU")):
        assert card.iloc[i].status == "scored", card.iloc[i].reason
        assert card.iloc[i].simulated == pytest.approx(mens[(day, geo)] / 0.05)
        assert card.iloc[i].simulated != pytest.approx(stock[(day, geo)] / 0.05)


@pytest.mark.parametrize("row,reason", [
    ("2022-11-15,monthly_entries,KZ,60,persons,,official,s,q", "not wholly inside the run"),
    ("2022-08-31,monthly_entries,KZ,60,persons,,official,s,q", "not wholly inside the run"),
    ("2022-10-01,illegal_crossings_caught,KZ,7,persons,2022-09-01,official,s,q",
     "no model output for this kind yet: illegal_crossings_caught (the run's pack declares no illegal routes"),
    ("2022-10-01,illegal_crossings_caught,RU,7,persons,2022-09-01,official,s,q", "no model output for this kind yet"),
    ("2022-10-01,daily_departures,KZ,7,persons,,official,s,q", "geography not in the model"),
])
def test_rows_of_the_vocabulary_the_run_cannot_match_are_skipped_with_their_reason(tmp_path, row, reason):
    card = score(_obs(tmp_path, [row]), _months_sim(), GROUPS)
    r = card.rows.iloc[0]
    assert r.status == "skipped" and reason in r.reason, r.reason


def test_a_cumulative_row_without_since_beside_rows_with_one_is_skipped_saying_why(tmp_path):
    """An empty `since` in a file where other rows have one is read as a missing date (NaT), not None."""
    rows = ["2022-09-10,cum_departures,RU,15,persons,2022-09-01,official,s,q",
            "2022-09-20,cum_departures,RU,15,persons,,official,s,q"]
    card = score(_obs(tmp_path, rows), _months_sim(), GROUPS)
    assert card.rows.iloc[0].status != "skipped"
    r = card.rows.iloc[1]
    assert r.status == "skipped" and "cumulative figure without `since`" in r.reason, r.reason


def test_monthly_entries_take_no_since(tmp_path):
    with pytest.raises(DataError, match="'since'.*calendar month"):
        _obs(tmp_path, ["2022-10-31,monthly_entries,KZ,60,persons,2022-10-01,official,s,q"])


def test_cumulative_departures_at_the_origin_measure_the_volume(tmp_path):
    rows = ["2022-09-10,cum_departures,RU,15,persons,2022-09-01,official,s,q",  # simulated 30
            "2022-09-20,daily_entries,KZ,1,persons/day,,official,s,q"]
    m = score(_obs(tmp_path, rows), _months_sim(), GROUPS).metrics
    assert m["volume_log_ratio"] == pytest.approx(np.log(30 / 15))


NEUTRAL = [
    "2022-10-31,cum_departures,RU,100000,persons,2022-09-14,estimate,s,q",
    "2022-10-15,daily_departures_ru,RU,3000,persons/day,,estimate,s,q",
    "2022-10-01,monthly_entries,KZ,200000,persons,,official,s,q",
    "2022-10-01,monthly_entries,crossing:upper_lars,50000,persons,,official,s,q",
    "2022-09-01,monthly_entries,KZ,200000,persons,,official,s,q",
    "2022-10-31,abroad_stock,RU,100000,persons,,estimate,s,q",
    "2022-10-31,men_abroad_stock,KZ,20000,persons,,survey,s,q",
    "2022-10-31,illegal_crossings_caught,KZ,10,persons,2022-09-14,official,s,q",
]


def test_validate_a_small_run_against_the_neutral_vocabulary(tmp_path):
    """A regional sample run scored against a file in the neutral vocabulary, through the CLI: what can be matched
    is matched by its rule (checked against the run's own series), the rest is skipped saying why."""
    scen = tmp_path / "s.toml"
    write_scenario(scen, "neutral", "2022-10-31", regions=("SE", "AST"))
    run = tmp_path / "run"
    exe = [sys.executable, "-m", "exitvoice"]
    r = subprocess.run([*exe, "run", scen, "--out", run, "--no-plots", "--seed", "2"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    obs = tmp_path / "neutral.csv"
    obs.write_text(HEADER + "".join(row + "\n" for row in NEUTRAL))
    r = subprocess.run([*exe, "validate", run, "--observations", obs], capture_output=True, text=True)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    card = pd.read_csv(run / "validation" / "scorecard.csv").set_index("line")
    ts = pd.read_parquet(run / "timeseries.parquet")
    scale = json.loads((run / "summary.json").read_text())["population_scale"]

    def series(q, g):
        s = ts[(ts.quantity == q) & (ts.geography == g)].set_index("date").value
        return s.set_axis(pd.to_datetime(s.index)) / scale

    dep = series("daily_departures", "RU")
    assert card.loc[2, "quantity"] == "cum_departures" and card.loc[2, "simulated"] == pytest.approx(dep.sum())
    assert card.loc[3, "quantity"] == "daily_departures" and card.loc[3, "simulated"] == pytest.approx(
        dep[pd.Timestamp("2022-10-15")])
    kz = series("daily_entries", "KZ")
    assert card.loc[4, "simulated"] == pytest.approx(kz[kz.index.month == 10].sum())
    lars = series("processed", "crossing:upper_lars")
    assert card.loc[5, "simulated"] == pytest.approx(lars[lars.index.month == 10].sum())
    assert card.loc[6, "status"] == "skipped" and "not wholly inside the run" in card.loc[6, "reason"]
    assert card.loc[7, "simulated"] == pytest.approx(series("abroad_stock", "RU").iloc[-1])
    assert card.loc[8, "simulated"] == pytest.approx(series("men_abroad_stock", "KZ").iloc[-1])
    # the russia pack's illegal routes: catches since the start, none in a run that bars no one from every exit
    assert card.loc[9, "status"] == "scored" and card.loc[9, "simulated"] == series("illegal_caught", "KZ").sum() == 0
    m = json.loads((run / "validation" / "scorecard.json").read_text())
    assert m["n_scored"] == 7 and m["n_skipped"] == 1
    assert m["volume_log_ratio"] == pytest.approx(np.log((dep.sum() + series("abroad_stock", "RU").iloc[-1])
                                                         / 200000))


def test_catches_asked_at_an_official_crossing_are_skipped_saying_none_are_recorded_there(tmp_path):
    sim = _sim()
    sim.series[("illegal_caught", "crossing:ridge")] = np.array([[1, 1, 1, 1, 1.0]])
    row = "2022-09-23,illegal_crossings_caught,crossing:a,3,persons,2022-09-21,official,s,q"
    r = score(_obs(tmp_path, [row]), sim, GROUPS).rows.iloc[0]
    assert r.status == "skipped" and "records no illegal_caught at crossing a" in r.reason
    r = score(_obs(tmp_path, [row.replace("crossing:a", "crossing:ridge")]), sim, GROUPS).rows.iloc[0]
    assert r.status == "scored" and r.simulated == 3
