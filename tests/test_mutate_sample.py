"""scripts/mutate_sample.py: the interval it reports and the sample it draws (README, "Mutation testing")."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "mutate_sample.py"


@pytest.fixture(scope="module")
def ms():
    spec = importlib.util.spec_from_file_location("mutate_sample", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_wilson_interval_matches_its_textbook_values(ms):
    """Wilson (1927) score interval at 95%: 5 of 10 gives 0.237–0.763, 0 of 10 gives 0–0.278, 10 of 10 0.722–1."""
    assert ms.wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert ms.wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert ms.wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert ms.wilson(0, 0) == (0.0, 1.0)


def test_a_sample_is_seeded_simple_and_nested_in_its_size(ms):
    """The same seed draws the same names whatever order they come in, and a larger sample holds the smaller one
    (so a sample can be grown with `--reuse all`); another seed draws others."""
    names = [f"exitvoice.processes.m.x_f__mutmut_{i}" for i in range(500)]
    small = ms.draw(names, 40, seed=1)
    assert len(set(small)) == 40 and set(small) <= set(names)
    assert ms.draw(list(reversed(names)), 40, seed=1) == small
    assert ms.draw(names, 120, seed=1)[:40] == small
    assert ms.draw(names, 40, seed=2) != small
