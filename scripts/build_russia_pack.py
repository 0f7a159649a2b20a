"""Derive the `russia` country pack's regions and crossings from the sourced evidence in ../shared/data/russia.

The other files of the pack (pack.toml, routes, destinations, fares, sectors, parameters) are written by hand;
docs/packs.md describes the format of each.

Run by developers when the evidence changes; the package itself never reads ../shared.
Every derived column says how it was derived; every row keeps its source.

    python scripts/build_russia_pack.py [--shared ../shared/data/russia]
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import pandas as pd

PACK = Path(__file__).resolve().parents[1] / "src" / "exitvoice" / "data" / "russia"

# RosBRiS names that differ in spelling from the names in the burden file.
BURDEN_NAME_FIX = {
    "республикакалмыкияхальмгтангч": "республикакалмыкия",
    "ингушскаяреспублика": "республикаингушетия",
    "карачаевочеркесскаяреспублика": "республикакарачаевочеркесия",
    "республикасевернаяосетия": "республикасевернаяосетияалания",
    "хантымансийскийавтономныйокруг": "хантымансийскийавтономныйокругюгра",
}

# Crossing ids: the Russian-side name, as used in observation files (`crossing:<id>`).
CROSSING_IDS = {
    "Verkhny Lars": "upper_lars",
    "Karauzek": "karaozek",
    "Mashtakovo": "mashtakovo",
    "Bugristoye": "bugristoye",
    "Petukhovo": "petukhovo",
    "Kulunda": "kulunda",
    "Veseloyarsk": "veseloyarsk",
    "Kyakhta": "kyakhta",
    "Tashanta": "tashanta",
    "Torfyanovka": "torfyanovka",
    "Brusnichnoye": "brusnichnoye",
    "Svetogorsk": "svetogorsk",
    "Vyartsilya": "vyartsilya",
    "Lyuttya": "lyuttya",
    "Salla": "salla",
    "Borisoglebsky": "borisoglebsky",
    "Ivangorod": "ivangorod",
    "Burachki": "burachki",
    "Chernyshevskoye": "chernyshevskoye",
    "Sovetsk": "sovetsk",
    "Bagrationovsk": "bagrationovsk",
    "Mamonovo": "mamonovo",
    "Russia - Belarus": "belarus",
    "Yarag-Kazmalyar": "yarag_kazmalyar",
    "Adler/Psou": "psou",
    "Moscow Sheremetyevo": "SVO",
    "Moscow Vnukovo": "VKO",
    "Moscow Domodedovo": "DME",
    "St Petersburg Pulkovo": "LED",
    "Sochi Adler": "AER",
    "Kazan": "KZN",
    "Yekaterinburg Koltsovo": "SVX",
    "Novosibirsk Tolmachevo": "OVB",
    "Mineralnye Vody": "MRV",
    "Krasnodar Pashkovsky": "KRR",
}


def norm(name: str) -> str:
    """Lower-case Cyrillic letters only, for joining region names across files."""
    return re.sub(r"[^а-я]", "", name.lower().replace("ё", "е"))


def build_regions(shared: Path) -> pd.DataFrame:
    """83 non-overlapping subjects with population, urban share, coordinates, income and war burden."""
    reg = pd.read_csv(shared / "regions.csv")
    sub = reg[reg.level == "subject"].copy()
    sub["rosbris_code"] = sub.rosbris_code.astype(int)
    cols = ["pop_total", "pop_urban", "male_total", "female_total", "male_20_49"]
    # Arkhangelsk and Tyumen rows include their autonomous okrugs: subtract the nested rows.
    derived = pd.Series("", index=sub.index)
    for parent in sub.rosbris_code[sub.name_en.str.contains(r"\(incl\.")]:
        kids = sub[sub.nested_in_code == parent]
        pidx = sub.index[sub.rosbris_code == parent][0]
        for c in cols:
            sub.loc[pidx, c] = sub.loc[pidx, c] - kids[c].sum()
        sub.loc[pidx, "name_en"] = re.sub(r"\s*\(incl\..*\)", "", sub.loc[pidx, "name_en"]) + " (excl. AOs)"
        derived[pidx] = "DERIVED: parent row minus its autonomous okrug rows (" + ", ".join(kids.name_en) + ")"
    sub["urban_share"] = (sub.pop_urban / sub.pop_total).round(4)
    sub["key"] = sub.name_ru.map(norm)

    burden = pd.read_csv(shared / "region_war_burden.csv")
    burden["key"] = burden.region_ru.map(norm)
    coords = pd.read_csv(shared / "region_coordinates.csv")
    coords["key"] = coords.region_ru.map(norm)
    sub["bkey"] = sub.key.map(lambda k: BURDEN_NAME_FIX.get(k, k))
    out = sub.merge(
        burden[["key", "iso", "meanIncome", "fatal_per100k_men16_61", "mob_fatal_per100k_men16_61", "source"]]
        .rename(columns={"key": "bkey", "source": "burden_source"}),
        on="bkey",
        how="left",
        validate="one_to_one",
    ).merge(
        coords[["key", "capital_en", "lat", "lon", "source"]].rename(columns={"source": "coord_source"}),
        on="key",
        how="left",
        validate="one_to_one",
    )
    missing = out[out.iso.isna() | out.lat.isna()]
    if len(missing):
        raise SystemExit(f"unmatched regions: {missing.name_en.tolist()}")
    out = out.assign(derivation=derived.values)
    out = out.rename(
        columns={
            "iso": "region_id",
            "meanIncome": "mean_income",  # rubles per person and month (pack.toml: currency = "RUB")
            "fatal_per100k_men16_61": "callup_burden",  # war deaths per 100k men: the `burden` allocation
            "mob_fatal_per100k_men16_61": "mobilised_deaths_per100k_men",
            "source": "population_source",
        }
    )
    keep = [
        "region_id", "name_en", "name_ru", "federal_district", "capital_en", "lat", "lon",
        "pop_total", "pop_urban", "urban_share", "male_total", "female_total", "male_20_49",
        "mean_income", "callup_burden", "mobilised_deaths_per100k_men",
        "population_source", "burden_source", "coord_source", "derivation",
    ]
    return out[keep].sort_values("region_id").reset_index(drop=True)


def build_crossings(shared: Path, regions: pd.DataFrame) -> pd.DataFrame:
    """Land crossings and airports with ids, the Russian-side region and coordinates (blanks filled, flagged)."""
    cr = pd.read_csv(shared / "crossings.csv")
    ids = []
    for name in cr.crossing:
        hit = [v for k, v in CROSSING_IDS.items() if name.startswith(k)]
        if len(hit) != 1:
            raise SystemExit(f"no id for crossing {name!r}")
        ids.append(hit[0])
    cr.insert(0, "crossing_id", ids)
    rkey = {norm(r): i for r, i in zip(regions.name_ru, regions.region_id, strict=True)}
    rkey.update({norm(n): i for n, i in zip(["Москва", "Санкт Петербург"], ["MOW", "SPE"], strict=True)})
    cr["region_id"] = cr.russian_side_region_ru.map(lambda s: rkey.get(norm(s)))
    if cr.region_id.isna().any():
        raise SystemExit(f"crossings with unknown region: {cr[cr.region_id.isna()].crossing.tolist()}")
    cr["coordinates"] = "as sourced"
    blank = cr.lat.isna()
    centre = regions.set_index("region_id")[["lat", "lon", "capital_en"]]
    for i in cr.index[blank]:
        rid = cr.at[i, "region_id"]
        cr.at[i, "lat"], cr.at[i, "lon"] = centre.at[rid, "lat"], centre.at[rid, "lon"]
        cr.at[i, "coordinates"] = (
            f"APPROX: no coordinates in the source; the administrative centre of the Russian-side region "
            f"({centre.at[rid, 'capital_en']}) stands in"
        )
    cr = cr.rename(columns={"country_iso2": "destination"})
    # Abkhazia has no ISO 3166-1 code; exitvoice uses the user-assigned code AB for it.
    cr.loc[cr.crossing_id == "psou", "destination"] = "AB"
    # Airports whose note says they were closed to civil flights in 2022 (the southern airports) are not used.
    cr["open"] = ~cr.note.fillna("").str.startswith("CLOSED")
    return cr[["crossing_id", "crossing", "destination", "mode", "lat", "lon", "region_id", "coordinates",
               "open", "source", "note"]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/russia")
    args = ap.parse_args()
    PACK.mkdir(parents=True, exist_ok=True)
    regions = build_regions(args.shared)
    regions.to_csv(PACK / "regions.csv", index=False)
    build_crossings(args.shared, regions).to_csv(PACK / "crossings.csv", index=False)
    for name in ["age_sex.csv", "education.csv", "mobilisation_rules.csv", "events_2022.csv", "sectors.csv",
                 "observations_2022.csv"]:
        shutil.copyfile(args.shared / name, PACK / name)
    print(f"wrote {PACK}: {len(regions)} regions")


if __name__ == "__main__":
    main()
