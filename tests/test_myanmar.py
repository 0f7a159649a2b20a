"""The myanmar pack: it passes its check, and its call-up law reaches men 18-35 and women 18-27."""

from __future__ import annotations

import numpy as np

from exitvoice.pack import load_pack
from exitvoice.packcheck import check_pack
from exitvoice.params import ParameterSet
from exitvoice.population import build_population


def test_both_shipped_packs_pass_their_check():
    for name in ("russia", "myanmar"):
        report = check_pack(load_pack(name).path)
        assert report.ok, report.problems
    assert "3 illegal routes" in check_pack(load_pack("myanmar").path).summary_line()


def test_the_law_reaches_men_18_to_35_and_women_18_to_27():
    pack = load_pack("myanmar")
    pop = build_population(pack, ParameterSet(pack.declarations), scale=0.001)
    men, women = pop.sex == 0, pop.sex == 1
    assert pop.age_lo[pop.callup_age & men].min() == 18 and pop.age_hi[pop.callup_age & men].max() == 35
    assert pop.age_lo[pop.callup_age & women].min() == 18 and pop.age_hi[pop.callup_age & women].max() == 27
    assert not (pop.callup_age & (pop.age_hi > 35)).any()
    weight = pack.declarations["callup.weight_women"].default
    assert np.allclose(pop.callup_weight[pop.callup_age & women], weight)
