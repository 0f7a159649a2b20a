import numpy as np

from exitvoice.pack import load_pack
from exitvoice.params import ParameterSet
from exitvoice.population import build_population


def _pop(**kw):
    pack = load_pack("russia")
    return build_population(pack, ParameterSet(pack.declarations), **kw)


def test_cells_add_up_exactly_to_the_official_total():
    pop = _pop()
    assert pop.total == 146_980_061
    assert pop.size.dtype.kind == "i" and (pop.size >= 0).all()


def test_every_region_of_the_pack_is_present():
    pop = _pop()
    assert pop.n_regions == 83
    assert len(np.unique(pop.region)) == 83


def test_attribute_shares_match_their_sources():
    pop = _pop()
    f = pop.frame()
    adults = f[f.age_band != "0-17"]
    passport = (adults["size"] * adults.passport).sum() / adults["size"].sum()
    opposed = (adults["size"] * adults.opposed).sum() / adults["size"].sum()
    assert abs(passport - 0.29) < 1e-3  # VCIOM Sep 2022
    assert abs(opposed - 0.18) < 1e-3  # Levada Aug 2022
    assert not (f[f.sex == "female"].served).any()
    assert not (f[f.age_band == "0-17"].tertiary).any()


def test_partners_differ_only_by_passport():
    pop = _pop()
    assert np.array_equal(pop.partner[pop.partner], np.arange(pop.n_cells))
    assert np.array_equal(pop.group[pop.partner], pop.group)
    assert (pop.passport[pop.partner] != pop.passport).all()
    for attr in ("region", "sex", "band", "tertiary", "served", "opposed"):
        a = getattr(pop, attr)
        assert np.array_equal(a[pop.partner], a)


def test_sample_scale_and_regional_subset():
    pop = _pop(scale=0.01, regions=["MOW", "SPE"])
    assert pop.n_regions == 2
    assert 150_000 < pop.total < 220_000  # 1% of ~18.6M


def test_age_filter_selects_whole_bands():
    pop = _pop(scale=0.001, regions=["MOW"])
    m = pop.select(sex="male", age_min=18, age_max=35)
    assert set(pop.age_lo[m]) == {18, 20, 25, 30}
