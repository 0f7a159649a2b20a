"""Display names of a pack's codes: destinations by name (`AB` is Abkhazia), crossings as `Verkhny Lars → Georgia`.

Used by the plots, the report and the dashboard, so that no chart shows a bare code a reader must look up.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4)
def names(country: str = "russia") -> dict[str, str]:
    """Display names of destinations, crossings and regions of a pack, and of its own code (`RU` is Russia)."""
    from .pack import load_pack

    pack = load_pack(country)
    out = {r.destination: r.name for r in pack.destinations.itertuples()}
    for r in pack.crossings[pack.crossings["mode"] == "land"].itertuples():
        parts = str(r.crossing).split(" - ")
        short = (parts[1] if parts[0] == pack.name and len(parts) > 1 else parts[0]).split(" (")[0]
        out[f"crossing:{r.crossing_id}"] = f"{short} → {out.get(r.destination, r.destination)}"
    out.update({f"air:{d}": f"flights to {n}" for d, n in list(out.items()) if len(d) == 2})
    out.update({r.region_id: r.name_en for r in pack.regions.itertuples()})
    out[pack.code] = pack.name
    return out


def label(code: str, country: str = "russia") -> str:
    """`Kazakhstan (KZ)` for a destination, `Verkhny Lars → Georgia` for a crossing, `Russia` for `RU`."""
    from .pack import load_pack

    name = names(country).get(code)
    if not name or name == code:
        return code
    return name if ":" in code or code == load_pack(country).code else f"{name} ({code})"
