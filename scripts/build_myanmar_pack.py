"""Build the `myanmar` country pack (src/exitvoice/data/myanmar/) from the sourced evidence of the Myanmar case.

    python scripts/build_myanmar_pack.py --evidence DIR

DIR holds the input tables of the case (age_sex.csv, regions.csv, region_coordinates.csv, crossings.csv, rules.csv:
inputs only, each row with its source, no outcome counts of who left). The script derives the pack's tables in the
format of docs/packs.md, copies rules.csv into the pack as evidence, and writes parameters.toml: the parameters
the Myanmar evidence gives (ages of the law, intake, the Thai embassy's visa caps, the population) with their
sources, the unknowns of the case as declared priors with wide ranges ("calibrated": no Myanmar outcome was used),
and the behavioural parameters of the model carried over from the russia pack, saying so in their source
(docs/myanmar.md). pack.toml is written by hand. Run by developers when the evidence changes; the package never
reads DIR.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import tomllib
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "src" / "exitvoice" / "data" / "myanmar"
RUSSIA = ROOT / "src" / "exitvoice" / "data" / "russia"

REGION_IDS = {
    "Kachin State": "KCN", "Kayah State": "KYH", "Kayin State": "KYN", "Chin State": "CHN",
    "Sagaing Region": "SGG", "Tanintharyi Region": "TNT", "Bago Region": "BGO", "Magway Region": "MGW",
    "Mandalay Region": "MDY", "Mon State": "MON", "Rakhine State": "RKE", "Yangon Region": "YGN",
    "Shan State": "SHN", "Ayeyarwady Region": "AYY", "Nay Pyi Taw Union Territory": "NPT",
}
URBAN_SOURCE = ("https://thukhuma.org/myanmars-provisional-census-results (2014 census provisional results: 'only 29.6 "
                "percent of the population lives in urban areas ... Yangon Region at 70.1 percent ... from 14.1 "
                "percent urban in Ayeyarwady Region to 35.9 percent urban in Kachin State')")
URBAN = {"YGN": 0.701, "AYY": 0.141, "KCN": 0.359}
URBAN_NATIONAL = 0.296
INCOME = 4800 * 26
INCOME_SOURCE = ("DERIVED: the national daily minimum wage of 4,800 kyat (Mizzima, 16 May 2018, "
                 "http://www.mizzima.com/business-domestic/new-wage-formally-set) x 26 working days = 124,800 kyat a "
                 "month; no income by state was collected, so every state has the national figure (a floor, not "
                 "raised for the inflation of 2022-24)")
UNION_MALE, UNION_TOTAL = 24824586, 51486253  # 2014 census, Union row of regions.csv
SEX_SOURCE = (f"DERIVED: the 2014 census Union sex ratio ({UNION_MALE:,} men of {UNION_TOTAL:,}, regions.csv Union "
              "row, https://docslib.org/doc/13039717/the-2014-myanmar-population-and-housing-census-1); no split by "
              "state was collected")

# Land crossings with a position (town centres of the Myanmar side, as the evidence gives them); the others of the
# evidence have no coordinates (China, India, Laos, three Thai crossings) and are left out (docs/myanmar.md).
LAND = {
    "Myawaddy–Mae Sot (Thai-Myanmar Friendship Bridge No. 1)":
        ("myawaddy", "Myawaddy - Mae Sot (Friendship Bridges 1 and 2)"),
    "Tachileik–Mae Sai (First Thai-Myanmar Friendship Bridge, Mae Sai)": ("tachileik", "Tachileik - Mae Sai"),
    "Kawthaung–Ranong": ("kawthaung", "Kawthaung - Ranong (boat)"),
}
STATE_IDS = {"Kayin": "KYN", "Shan": "SHN", "Tanintharyi": "TNT", "Yangon": "YGN", "Mandalay": "MDY",
             "Nay Pyi Taw": "NPT"}
AIRPORTS = {"Yangon International Airport (RGN/VYYY)": "RGN", "Mandalay International Airport (MDL/VYMD)": "MDL",
            "Naypyidaw Airport (NYT/VYEL)": "NYT"}
FARE_SOURCE = ("DERIVED: budget one-way fares of about US$55-80 on Thai-Myanmar routes (Irrawaddy 2013, Nok Air Mae "
               "Sot-Moulmein US$55-80, https://www.irrawaddy.com/business/nok-air-joins-cadre-of-foreign-airliners-"
               "linking-with-burma.html) x the market rate of about 4,350 kyat per US$ in Jun 2024 (rules.csv "
               "official_vs_market_exchange_rate); {extra}")
FARES = {"TH": (300000, "about US$70 to Bangkok"),
         "MY": (450000, "ASSUMPTION: 1.5 times the Bangkok fare for the longer flight to Kuala Lumpur"),
         "SG": (450000, "ASSUMPTION: 1.5 times the Bangkok fare for the longer flight to Singapore")}
DESTINATIONS = [
    # code, name, transit, onward_entry, source
    ("TH", "Thailand", "no", "yes", "rules.csv: thai_visa_exemption_air (14 days visa-free by air only), "
     "thai_visa_exemption_not_land, thai_tourist_visa_stay (60 days); a passport is needed to live and work beyond "
     "the border zone (thai_border_pass_stay_mae_sot: a border pass allows 7 days in the Mae Sot area). No stay limit "
     "is set here: a scenario's host_rule sets it"),
    ("MY", "Malaysia", "no", "yes", "rules.csv: baseline_legal_labour_outflow ('200-300 per day to other countries "
     "(Malaysia, Singapore, South Korea, Japan)'); Malaysia's entry rules for Myanmar nationals were not collected: a "
     "passport is assumed needed and no stay limit set"),
    ("SG", "Singapore", "yes", "yes", "rules.csv: baseline_legal_labour_outflow (as Malaysia); Singapore's entry rules "
     "were not collected: a passport is assumed needed and no stay limit set; a transit hub (onward moves)"),
]
ILLEGAL = [
    # id, border, crossing whose town gives the point, state
    ("moei_river", "Kayin - Tak: the Moei river around Myawaddy and Mae Sot", "myawaddy", "KYN"),
    ("sai_river", "Shan - Chiang Rai: the Sai and Ruak rivers around Tachileik and Mae Sai", "tachileik", "SHN"),
    ("pakchan_estuary", "Tanintharyi - Ranong: the Kraburi (Pakchan) estuary around Kawthaung and Ranong", "kawthaung",
     "TNT"),
]
EVENT_RULES = ("conscription_law_activation", "intake_rate_announced", "first_batch_start", "fifth_batch_start",
               "women_callup_plan", "overseas_job_offers_suspended", "overseas_work_suspension_men",
               "passport_conversion_ban", "airport_exit_checks_2024", "pv_holders_working_abroad",
               "callup_exit_ban_2025", "overseas_work_ban_men_18_35", "conscription_list_airport_block",
               "returning_workers_military_age", "pj_exit_prior_approval", "thai_embassy_visa_cap_walkin",
               "thai_embassy_visa_online", "thai_embassy_visa_walkin_halved", "thai_illegal_entry_stance",
               "india_fmr_suspended", "china_crossing_closures")


def clean_source(text: str) -> str:
    """A source without the internal ids of the transcription it was read from."""
    text = re.sub(r"\s*\((?:find_string|the index)[^()]*\)", "", text)
    text = re.sub(r",?\s*find_string (?:file )?id \d+", "", text)
    return text.replace("; the index does not name its repository", "").strip()


def regions(ev: Path) -> pd.DataFrame:
    reg = pd.read_csv(ev / "regions.csv", dtype=str)
    coords = pd.read_csv(ev / "region_coordinates.csv", dtype=str).set_index("region_en")
    rows = []
    for r in reg.itertuples():
        if r.region_en not in REGION_IDS:
            continue  # the Union rows
        rid = REGION_IDS[r.region_en]
        pop = int(r.population)
        male = round(pop * UNION_MALE / UNION_TOTAL)
        c = coords.loc[r.region_en]
        rows.append({
            "region_id": rid, "name_en": r.region_en, "lat": float(c.lat), "lon": float(c.lon), "pop_total": pop,
            "urban_share": URBAN.get(rid, URBAN_NATIONAL), "male_total": male, "female_total": pop - male,
            "mean_income": INCOME,
            "population_source": clean_source(r.source),
            "coordinates_source": f"{c.capital_en}: {clean_source(c.source)}",
            "urban_source": URBAN_SOURCE + ("" if rid in URBAN else "; the national share: no figure for this state "
                                            "was collected"),
            "sex_source": SEX_SOURCE, "income_source": INCOME_SOURCE,
        })
    return pd.DataFrame(rows)


def age_sex(ev: Path) -> pd.DataFrame:
    df = pd.read_csv(ev / "age_sex.csv", dtype={"age_hi": "Int64"})
    return df[["age_lo", "age_hi", "male", "female", "year", "source", "note"]]


def crossings(ev: Path) -> pd.DataFrame:
    cr = pd.read_csv(ev / "crossings.csv", dtype=str, keep_default_na=False)
    rows = []
    for r in cr.itertuples():
        if r.crossing in LAND:
            cid, name = LAND[r.crossing]
            rows.append({"crossing_id": cid, "crossing": name, "destination": "TH", "mode": "land", "lat": r.lat,
                         "lon": r.lon, "region_id": STATE_IDS[r.myanmar_side_state], "open": "True",
                         "status_2024": r.status_2024, "source": r.source, "note": r.note})
        elif r.crossing in AIRPORTS:
            known = "no 2024 status" not in r.status_2024
            rows.append({"crossing_id": AIRPORTS[r.crossing], "crossing": r.crossing, "destination": "",
                         "mode": "air", "lat": r.lat, "lon": r.lon, "region_id": STATE_IDS[r.myanmar_side_state],
                         "open": str(known), "status_2024": r.status_2024, "source": r.source,
                         "note": r.note + ("" if known else "; taken as closed: no 2024 status found")})
    return pd.DataFrame(rows)


def routes() -> pd.DataFrame:
    land = [("myawaddy", "routes.capacity_myawaddy"), ("tachileik", "routes.capacity_th_crossing"),
            ("kawthaung", "routes.capacity_th_crossing")]
    rows = [{"route_id": f"land:{c}", "destination": "TH", "mode": "land", "crossing_id": c,
             "normal_persons_per_day": "", "capacity_param": p, "flights_per_day": "", "flights_param": "",
             "source": "crossings.csv; capacity: the declared parameter (its source)"} for c, p in land]
    rows += [{"route_id": f"air:{d}", "destination": d, "mode": "air", "crossing_id": "", "normal_persons_per_day": "",
              "capacity_param": "", "flights_per_day": "", "flights_param": f"routes.flights_{d.lower()}",
              "source": "crossings.csv (Yangon airport's routes to TH, MY, SG); flights: the declared parameter"}
             for d in ("TH", "MY", "SG")]
    return pd.DataFrame(rows)


def destinations() -> pd.DataFrame:
    return pd.DataFrame([{"destination": d, "name": n, "needs_foreign_passport": "yes", "visa_free_days": "",
                          "access_param": "", "transit": t, "onward_entry": o, "within_callup_reach": "no",
                          "entries_param": f"trips.entries_{d.lower()}", "source": s}
                         for d, n, t, o, s in DESTINATIONS])


def fares() -> pd.DataFrame:
    return pd.DataFrame([{"destination": d, "fare": f, "source": FARE_SOURCE.format(extra=x)}
                         for d, (f, x) in FARES.items()])


def illegal(cross: pd.DataFrame) -> pd.DataFrame:
    at = cross.set_index("crossing_id")
    return pd.DataFrame([{
        "route_id": f"illegal:{i}", "border": b, "destination": "TH", "lat": at.loc[c, "lat"], "lon": at.loc[c, "lon"],
        "region_id": s, "capture_param": "routes.capture_th_border", "cost": "", "cost_param": "routes.illegal_cost_th",
        "capacity_param": "", "summons_param": "",
        "source": (f"crossing point: the town of the official crossing ({at.loc[c, 'crossing']}; crossings.csv), "
                   "crossed outside the checkpoint; rules.csv thai_illegal_entry_stance ('illegal entrants face legal "
                   "action'); capture and cost: the declared parameters (no figure was collected)"),
    } for i, b, c, s in ILLEGAL])


def events(ev: Path) -> pd.DataFrame:
    rules = pd.read_csv(ev / "rules.csv", dtype=str, keep_default_na=False).set_index("rule")
    rows = []
    for name in EVENT_RULES:
        r = rules.loc[name]
        date = str(r.date)[:10]
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            continue
        geo = "TH" if name.startswith("thai") else "IN" if name.startswith("india") else (
            "CN" if name.startswith("china") else "MM")
        rows.append({"date": date, "event": name, "geography": geo, "detail": f"{r.value} ({r.unit})",
                     "source": r.source})
    return pd.DataFrame(rows).sort_values("date")


def write(df: pd.DataFrame, name: str) -> None:
    df.to_csv(PACK / name, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--evidence", type=Path, required=True, help="the folder of the Myanmar input tables")
    ev = ap.parse_args().evidence
    PACK.mkdir(parents=True, exist_ok=True)
    write(regions(ev), "regions.csv")
    write(age_sex(ev), "age_sex.csv")
    cross = crossings(ev)
    write(cross, "crossings.csv")
    write(routes(), "routes.csv")
    write(destinations(), "destinations.csv")
    write(fares(), "fares.csv")
    write(illegal(cross), "illegal_routes.csv")
    write(events(ev), "events_2024.csv")
    write(pd.DataFrame([{"sector": "all", "name": "All sectors (no sector table was collected)", "employed_share": "",
                         "male_share": "", "wage_ratio": "", "graduate_intensive": 0,
                         "remote_param": "economy.remote_share_all", "exit_propensity_param": ""}]),
          "economy_sectors.csv")
    shutil.copy(ev / "rules.csv", PACK / "rules.csv")
    (PACK / "parameters.toml").write_text(parameters(), encoding="utf-8")


# -- parameters ---------------------------------------------------------------------------------------------------

def P(default, unit, lo, hi, prior, meaning, source, positive=False) -> dict:  # noqa: N802 - a declaration
    d = {"default": default, "unit": unit, "range": [lo, hi], "prior": prior, "meaning": meaning, "source": source}
    if positive:
        d["positive"] = True
    return d


CAL = "calibrated: no Myanmar figure was collected; a prior within a wide range (docs/myanmar.md)"
MYANMAR = {
    "population": {
        "total": P(54679701, "persons", 51486253, 56200000, "uniform", "population in mid-2024; cells are scaled to it",
                   "UN WPP 2024 medium variant, mid-2024 (PPgp/wpp2024 @2da7768 data-raw/popprojMed.txt, row Myanmar, "
                   "2024 = 54,679.701 thousand); range: the 2014 census (51,486,253) to the Department of Population's "
                   "estimate for 1 Oct 2023 (56.2 M, which counts about 6 M people abroad; regions.csv). age_sex.csv "
                   "(WPP 2019) gives the age shape", positive=True),
        "tertiary_share_25_34": P(0.15, "share", 0.05, 0.3, "uniform", "share with tertiary education at 25-34", CAL),
        "tertiary_share_20_24": P(0.1, "share", 0.03, 0.25, "uniform", "share with tertiary education at 20-24", CAL),
        "tertiary_decline_per_decade": P(0.03, "share per decade", 0.0, 0.08, "uniform",
                                         "fall of the tertiary share per decade of age from 35", CAL),
        "tertiary_female_ratio": P(1.2, "ratio", 0.8, 1.6, "uniform", "tertiary share of women over men", CAL),
        "passport_share_adults": P(0.15, "share", 0.05, 0.35, "uniform", "adults holding a passport for travel abroad",
                                   CAL + "; the bound: some 4-6 M nationals abroad before 2024 (rules.csv "
                                   "baseline_abroad_2020_ilo, baseline_abroad_2023_dop) against ~38 M adults at home",
                                   positive=True),
        "passport_share_35_44": P(0.2, "share", 0.05, 0.4, "uniform", "passport share at 35-44", CAL),
        "passport_capitals_share": P(0.0, "share", 0.0, 1.0, "uniform", "share of passport holders in the capitals "
                                     "(unused: the pack names no capitals)", "the pack names no capitals (pack.toml)"),
        "passport_beta_urban": P(1.0, "log-odds per unit urban share", 0.0, 3.0, "uniform",
                                 "urban effect on holding a passport", CAL),
        "passport_share_children": P(0.03, "share", 0.0, 0.1, "uniform", "children holding a passport", CAL),
        "served_share_young": P(0.01, "share", 0.0, 0.05, "uniform", "men 20-34 who served",
                                "rules.csv conscription_law_activation: the 2010 law was 'never enforced before' 2024; "
                                "the served are the army's own men, a small share (a prior)"),
        "served_share_old": P(0.02, "share", 0.0, 0.08, "uniform", "men 35+ who served", "as served_share_young"),
        "opposed_share": P(0.6, "share", 0.3, 0.9, "uniform", "adults opposed to the war (here: to the junta)", CAL),
        "opposed_logodds_per_decade": P(-0.2, "log-odds per decade", -0.5, 0.0, "uniform",
                                        "age gradient of opposition", CAL),
    },
    "callup": {
        "age_max_men": P(35, "years", 35, 35, "fixed", "men are callable up to this age (the [callup] of pack.toml)",
                         "rules.csv eligible_age_men (18-35, People's Military Service Law 2010, in force from 10 Feb "
                         "2024); experts to 45 are left out (docs/myanmar.md)"),
        "age_max_women": P(27, "years", 27, 27, "fixed", "women are callable up to this age",
                           "rules.csv eligible_age_women (18-27)"),
        "weight_women": P(0.1, "share", 0.0, 1.0, "uniform", "weight of women in the call-up relative to men",
                          "rules.csv women_callup_plan: women planned 'from the 5th intake' but not seen in its "
                          "photos; a small prior"),
        "deferral_share_tertiary": P(0.2, "share", 0.0, 0.5, "uniform", "share of graduates deferred or exempt",
                                     "rules.csv deferrals_temporary (students, civil servants) and "
                                     "exemptions_permanent; the share is a prior"),
        "summons_per_recruit": P(1.5, "summonses per recruit", 1.1, 3.0, "uniform", "summonses served per recruit",
                                 CAL),
        "report_days": P(7.0, "days", 2.0, 30.0, "uniform", "mean days from summons to reporting", CAL),
        "capacity_per_day": P(500, "recruits/day", 167, 2000, "loguniform",
                              "recruits the training system takes a day",
                              "DERIVED: 5,000 a batch a month (rules.csv intake_per_batch, intake_rate_announced: "
                              "5,000 a month, 60,000 a year) = ~167 a day; the default and range allow batches to be "
                              "drawn in over a few days"),
        "profile_half_life_days": P(11.6, "days", 3.0, 30.0, "uniform",
                                    "half-life of a front-loaded profile (the Myanmar scenarios use uniform)",
                                    "unused by the shipped Myanmar scenarios (daily_profile = uniform)"),
        "burden_exponent": P(1.0, "exponent", 0.0, 2.0, "uniform", "regional burden weight exponent",
                             "unused: the pack has no burden column (allocation proportional)"),
    },
    "passport": {
        "lambda0": P(5e-5, "per day", 1e-5, 3e-4, "loguniform", "pre-crisis passport application hazard", CAL),
        "beta_risk": P(10.0, "multiplier per unit risk", 0.0, 100.0, "uniform", "risk effect on applications", CAL),
        "processing_days": P(10, "days", 7, 60, "uniform", "days to process an application",
                             "rules.csv passport_offices ('~10 days processing', 2014); no 2024 figure"),
        "capacity_per_day": P(5000, "passports/day", 1000, 20000, "loguniform", "passports issued a day", CAL),
    },
    "routes": {
        "capacity_myawaddy": P(2000, "persons/day", 500, 10000, "loguniform",
                               "outbound capacity at Myawaddy - Mae Sot",
                               "crossings.csv: 'Nearly 2,000 Myanmar nationals commute daily' across Friendship "
                               "Bridge 1 (2013); a floor for the two bridges"),
        "capacity_th_crossing": P(1000, "persons/day", 200, 5000, "loguniform",
                                  "outbound capacity of another Thai crossing (Tachileik, Kawthaung)", CAL),
        "flights_th": P(10, "flights/day", 3, 30, "uniform", "flights a day to Thailand", CAL + "; crossings.csv: "
                        "Yangon airport had 6.5 M passenger movements in 2019 on all routes"),
        "flights_my": P(4, "flights/day", 1, 12, "uniform", "flights a day to Malaysia", CAL),
        "flights_sg": P(3, "flights/day", 1, 10, "uniform", "flights a day to Singapore", CAL),
        "capture_th_border": P(0.1, "share", 0.01, 0.5, "loguniform",
                               "probability of being caught crossing into Thailand outside a checkpoint",
                               CAL + "; rules.csv thai_illegal_entry_stance"),
        "illegal_cost_th": P(1000000, "MMK", 100000, 5000000, "loguniform",
                             "cost of an irregular crossing into Thailand (smugglers, guides, bribes)", CAL),
        "embassy_visas_per_crossing": P(333, "persons/day", 133, 333, "uniform",
                                        "entries a day at each Thai land crossing under the Thai embassy's visa caps",
                                        "DERIVED: the Thai embassy in Yangon's daily visa caps, 1,000 from 22 Feb 2024 "
                                        "(rules.csv thai_embassy_visa_online: 800 online, thai_embassy_visa_walkin_"
                                        "halved: 200 walk-in; 400 walk-in from 15 Feb, thai_embassy_visa_cap_walkin: "
                                        "the low end), split evenly over the three Thai land crossings (an "
                                        "assumption; entry by land needs a visa: thai_visa_exemption_not_land)"),
    },
    "trips": {
        "entries_th": P(2000, "persons/day", 500, 6000, "loguniform",
                        "entries of Myanmar nationals into Thailand a day before the crisis (ordinary travel)",
                        "crossings.csv: nearly 2,000 commuters a day at Mae Sot (2013); rules.csv "
                        "baseline_legal_labour_outflow: 500-800 MoU workers a day to Thailand (pre-crisis baseline)"),
        "entries_my": P(150, "persons/day", 50, 500, "loguniform", "entries into Malaysia a day before the crisis",
                        "DERIVED: rules.csv baseline_legal_labour_outflow '200-300 per day to other countries "
                        "(Malaysia, Singapore, South Korea, Japan)'; split as an assumption"),
        "entries_sg": P(50, "persons/day", 10, 300, "loguniform", "entries into Singapore a day before the crisis",
                        "as entries_my"),
    },
    "abroad": {
        "return_rate": P(0.003, "per day", 0.0005, 0.03, "loguniform", "return hazard of leavers abroad (no risk)",
                         CAL + "; slower than the russia pack's 0.0216 a day (Russians of 2022 came back within weeks "
                         "as the call-up ended), since the 2024 law's call-ups go on for years (an assumption)"),
    },
    "economy": {
        "gdp": P(1.5e14, "MMK per year", 7.5e13, 3.0e14, "loguniform",
                     "GDP in the pack's currency (kyat)", "ASSUMPTION: no GDP figure was collected; an order of "
                     "magnitude (about US$ 35-70 bn at 4,350 kyat per US$); the economy's results are not read for "
                     "Myanmar (docs/myanmar.md)", positive=True),
        "employed_total": P(22000000, "persons", 18000000, 26000000, "uniform", "employed persons",
                            "DERIVED: 2014 census (Xinhua, 29 May 2015, http://en.chinagate.cn/2015-05/29/"
                            "content_35694915.htm): '85 percent of adult males and 50 percent of females are in the "
                            "workforce ... unemployment is 4 percent', applied to ~38 M people of 15+ (age_sex.csv)",
                            positive=True),
        "male_share_employed": P(0.61, "share", 0.55, 0.67, "uniform", "men among the employed",
                                 "DERIVED: the census participation rates above (0.85 men, 0.50 women) with "
                                 "age_sex.csv's adults"),
        "unemployed": P(900000, "persons", 500000, 2000000, "uniform", "unemployed persons",
                        "DERIVED: 4% of the labour force (2014 census, as employed_total)"),
        "remote_share_all": P(0.02, "share", 0.0, 0.1, "uniform", "emigrant workers who keep working from abroad", CAL),
    },
}
MYANMAR_EVENTS = {
    "events2024": {
        "announcement_credibility": P(0.3, "share", 0.05, 1.0, "uniform",
                                      "strength of the 10 Feb 2024 activation of the law as a general-mobilisation "
                                      "signal before any call-up", CAL),
        "announcement_half_life_days": P(30, "days", 7, 120, "uniform", "how fast that signal fades", CAL),
        "work_ban_enforcement": P(0.5, "share", 0.1, 0.9, "uniform",
                                  "share of banned men stopped at the official exits by the overseas-work bans",
                                  "rules.csv overseas_work_ban_men_23_31, overseas_work_ban_men_18_35; the bans bind "
                                  "job passports (pj_passport_holders_only_affected_2024), not every traveller: a "
                                  "prior"),
        "airport_enforcement": P(0.5, "share", 0.1, 0.9, "uniform",
                                 "share of travellers aged 23-35 stopped by the airport checks from 1 Aug 2024",
                                 "rules.csv airport_exit_checks_2024, airport_screening_age_band; a prior"),
    },
}
CARRIED = ("as the russia pack (calibrated on Russia 2022 or an assumption there), carried over to Myanmar "
           "unchanged: no Myanmar outcome was used (docs/myanmar.md). Russian source: ")
DROP = {"routes": {"capacity_upper_lars", "capacity_kz_crossing", "capacity_minor_crossing", "capacity_eu_crossing",
                   "capacity_belarus", "capacity_psou", "flights_kz", "flights_ge", "flights_uz", "flights_kg",
                   "flights_az", "flights_tj", "flights_il", "schengen_access_share", "israel_access_share",
                   # the russia pack's own illegal routes (its illegal_routes.csv); the Myanmar pack declares its own
                   "capture_ru_kz_steppe", "capture_ru_ge_mountains", "illegal_cost_ru_kz", "illegal_cost_ru_ge",
                   "illegal_capacity_ru_kz", "illegal_capacity_ru_ge"},
        "economy": {"exit_propensity_it", "remote_share_it", "remote_share_other"},
        # the ranks of the Russian call-up's classes: the Myanmar law has none ([callup] of pack.toml)
        # Finland's weekends: no destination of the pack names it (destinations.csv has no weekend column)
        "trips": {"weekend_factor_fi"},
        "callup": {"age_max_privates", "age_max_junior_officers", "age_max_senior_officers", "weight_officers",
                   "weight_senior_officers", "weight_unserved"}}

MEANINGS = {"routes.seats_per_flight": "seats per flight available to departing travellers",
            "abroad.onward_rate_transit": "hazard that a leaver in a transit country (destinations.csv `transit`) "
                                          "moves on"}
"""Meanings of carried-over parameters that named the first case's places and people, in the pack's words."""


def parameters() -> str:
    ru = tomllib.loads((RUSSIA / "parameters.toml").read_text(encoding="utf-8"))
    out: dict[str, dict[str, dict]] = {}
    for group, table in ru.items():
        if group.startswith("events"):
            continue
        for name, spec in table.items():
            if name in DROP.get(group, set()) or (group == "trips" and name.startswith("entries_")):
                continue
            spec = dict(spec)
            spec["source"] = CARRIED + spec["source"]
            spec["meaning"] = MEANINGS.get(f"{group}.{name}", spec["meaning"])
            out.setdefault(group, {})[name] = spec
    for group, table in {**MYANMAR, **MYANMAR_EVENTS}.items():
        for name, spec in table.items():
            out.setdefault(group, {})[name] = spec
    lines = ["# Parameters of the myanmar pack (docs/packs.md, docs/myanmar.md), written by",
             "# scripts/build_myanmar_pack.py. Sources: rules.csv and the other tables of this pack; 'as the russia",
             "# pack' marks a behavioural parameter carried over from the Russian calibration; 'calibrated' a prior",
             "# that no Myanmar figure pins down.", ""]
    for group, table in out.items():
        for name, spec in table.items():
            lines.append(f"[{group}.{name}]")
            for key in ("default", "unit", "range", "positive", "domain", "prior", "meaning", "source"):
                if key in spec:
                    lines.append(f"{key} = {_toml(spec[key])}")
            lines.append("")
    return "\n".join(lines)


def _toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return repr(v)


if __name__ == "__main__":
    main()
