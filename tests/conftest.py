from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from exitvoice import Scenario
from exitvoice.pack import pack_path

# Three regions with crossings of their own: North Ossetia (Upper Lars), Astrakhan (Karaozek), Moscow.
SMALL_REGIONS = ["SE", "AST", "MOW"]


def small_scenario(policies=None, *, start="2022-09-14", end="2022-10-20", scale=0.05, regions=None,
                   parameters=None, name="small", allow_outside_range=False, pack=None) -> Scenario:
    """A short run of a few regions of the russia pack (or of the pack folder `pack`), at a sample `scale`."""
    raw = {
        "scenario": {"name": name, "start": start, "end": end, "allow_outside_range": allow_outside_range,
                     **({"pack": str(pack)} if pack is not None else {})},
        "population": {"scale": scale, "regions": regions or SMALL_REGIONS},
        "parameters": parameters or {},
        "policy": copy.deepcopy(policies or []),
    }
    return Scenario.from_dict(raw, source="test")


def copy_pack(where: Path, folder: str = "pack", *, country: str = "russia", without: tuple[str, ...] = ()) -> Path:
    """A copy of a pack shipped with exitvoice (`country`) at `where/folder`, to change in a test; the files named in
    `without` are left out (`without=("illegal_routes.csv",)`: the pack without its illegal routes)."""
    dest = Path(where) / folder
    shutil.copytree(pack_path(country), dest, ignore=shutil.ignore_patterns(*without) if without else None)
    return dest


@pytest.fixture
def russia_copy(tmp_path) -> Path:
    """A copy of the russia pack in `tmp_path / "pack"`."""
    return copy_pack(tmp_path)


def empty_road(eng) -> None:
    """Send home those the pre-crisis steady state put on the road to a crossing (docs/routes.md, "The road"), for
    tests that set the state by hand and follow only their own people."""
    eng.X[:, 0] += eng.X[:, eng.layout.en_route].sum(axis=1)  # column 0: home
    eng.X[:, eng.layout.en_route] = 0
    eng.routes.road = [[] for _ in eng.routes.road]


MOBILISATION = {"type": "mobilisation", "start": "2022-09-21", "end": "2022-10-15", "target": 300000,
                "allocation": "burden"}


@pytest.fixture
def mobilisation():
    return dict(MOBILISATION)


def write_scenario(path, name: str, end: str, regions=("SE", "AST"), mobilisation: bool = True,
                   population: bool = True):
    """A small scenario TOML for CLI tests (2% sample of a few regions, the 2022 call-up unless told not to)."""
    text = f'[scenario]\nname = "{name}"\nstart = 2022-09-14\nend = {end}\n'
    if population:
        text += f"[population]\nscale = 0.02\nregions = {list(regions)!r}\n".replace("'", '"')
    if mobilisation:
        text += '[[policy]]\ntype = "mobilisation"\nstart = 2022-09-21\ntarget = 300000\n'
    path.write_text(text)
    return path


def outside_counts(eng, cells) -> list[int]:
    """Run the engine day by day; the people of `cells` on a trip, abroad or queued to leave, at the start and
    after each day. Under a full ban none of them gets out, so the count can only fall (people on a trip when the
    run starts, in the pre-crisis steady state, come back or stay)."""
    import numpy as np

    lay = eng.layout
    cols = np.r_[lay.travelling, lay.abroad, lay.queued_exit, lay.queued_trip, lay.queued_summoned]
    out = [int(eng.X[cells][:, cols].sum())]
    for i, date in enumerate(eng.days):
        eng.t, eng.date = i, date
        eng.step()
        out.append(int(eng.X[cells][:, cols].sum()))
    return out
