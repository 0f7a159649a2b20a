"""The PNG plots read well: units on every axis, no offsets, names not codes, distinct colours, no overprinting."""

from __future__ import annotations

import matplotlib.dates as mdates
import pytest

from conftest import write_scenario
from exitvoice import compare, run
from exitvoice.observations import pack_observations, read_observations
from exitvoice.plots import comparison_plots, scorecard_plot, standard_plots
from exitvoice.validate import Simulated, score


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    base = tmp_path_factory.mktemp("plots")
    return run(write_scenario(base / "p.toml", "plots", "2022-10-31", regions=("SE", "AST", "MOW", "KDA")),
               seed=2, progress=None)


def data_axes(fig):
    return [ax for ax in fig.axes if ax.lines or ax.collections or ax.patches]


def no_overlap(ax) -> bool:
    ax.figure.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.get_xticklabels() if t.get_text()]
    return all(not a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False))


def test_every_axis_has_a_unit_and_no_offset(res):
    figs = standard_plots(res)
    for name, fig in figs.items():
        for ax in data_axes(fig):
            fig.canvas.draw()
            assert ax.get_ylabel(), f"{name}: an axis without a y label"
            assert ax.yaxis.get_offset_text().get_text() == "", f"{name}: an offset such as 1e6 on the y axis"


def test_callup_dates_do_not_overprint_and_have_a_label(res):
    ax = standard_plots(res)["callup"].axes[0]
    assert "persons" in ax.get_ylabel()
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    assert no_overlap(ax)


def test_destinations_by_name_and_fares_in_distinct_colours(res):
    figs = standard_plots(res)
    labels = [t.get_text() for t in figs["abroad_stock"].axes[0].get_legend().get_texts()]
    assert "Abkhazia (AB)" in labels and not any(len(x) == 2 for x in labels)
    ax = figs["fares"].axes[0]
    colours = [tuple(line.get_color()) if not isinstance(line.get_color(), str) else line.get_color()
               for line in ax.get_lines()]
    assert len(colours) == len(set(colours)) >= 8
    legend = ax.get_legend()
    fig = figs["fares"]
    fig.canvas.draw()
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1  # the legend is beside the lines, not on them


def test_comparison_plots_have_units_and_titles_in_words(res, tmp_path):
    base = tmp_path
    a = write_scenario(base / "a.toml", "cmp-a", "2022-10-05")
    b = write_scenario(base / "b.toml", "cmp-b", "2022-10-05", mobilisation=False)
    import matplotlib.pyplot as plt

    made = []
    orig = plt.Figure.savefig

    def keep(self, *args, **kw):
        made.append(self)
        return orig(self, *args, **kw)

    plt.Figure.savefig = keep
    try:
        comparison_plots(compare([a, b], ensemble=2, progress=None, posterior=None), base / "plots")
    finally:
        plt.Figure.savefig = orig
    series, metrics = made
    for fig in (series, metrics):  # both say what the runs cover, and what the bands include
        first, includes = fig._suptitle.get_text().split("\n")
        assert first.endswith("regions: Republic of North Ossetia-Alania, Astrakhan Oblast · 2% sample, scaled up)")
        assert includes == "the bands include: seed noise only"
    for ax in data_axes(series):
        assert ax.get_ylabel() and ax.yaxis.get_offset_text().get_text() == ""
    titles = [ax.get_title() for ax in data_axes(metrics)]
    assert titles and all("_" not in t and "(" in t for t in titles)


def test_scorecard_has_units_and_whole_days(res, tmp_path):
    card = score(read_observations(pack_observations()), Simulated.from_timeseries(res.timeseries, scale=0.02))
    import matplotlib.pyplot as plt

    made = []
    orig = plt.Figure.savefig
    plt.Figure.savefig = lambda self, *a, **k: (made.append(self), orig(self, *a, **k))[1]
    try:
        scorecard_plot(card, tmp_path / "scorecard.png")
    finally:
        plt.Figure.savefig = orig
    fig = made[0]
    fig.canvas.draw()
    for ax in data_axes(fig):
        assert ax.get_ylabel()
        assert not any(":" in t.get_text() for t in ax.get_xticklabels())  # no "12:00" on daily data


def test_the_origin_series_says_what_the_run_covers():
    from exitvoice.labels import covered

    assert covered(None, 1.0) == "Russia"
    assert covered(None, 0.01) == "1% sample of Russia, scaled up"
    assert covered(["MOW", "SPE"], 1.0) == "regions: Moscow (city), Saint Petersburg"
    assert covered(["MOW", "SPE", "SE", "AST"], 0.05) == ("regions: Moscow (city), Saint Petersburg, Republic of "
                                                        "North Ossetia-Alania and 1 more · 5% sample, scaled up")


def test_plots_of_a_regional_sample_do_not_call_it_russia(res, tmp_path):
    from exitvoice.ensemble import run_ensemble
    from exitvoice.plots import ensemble_plots
    from exitvoice.scenario import Scenario

    figs = standard_plots(res)
    assert figs["voice"].axes[1].get_title() == "Protesters per day, by region"  # four regions, not "the six"
    for fig in figs.values():
        title = fig._suptitle.get_text()
        assert title.startswith("plots (seed 2) · regions: Republic of North Ossetia-Alania") and "Russia" not in title
        assert title.endswith("and 1 more · 2% sample, scaled up")
    sc = Scenario.from_toml(write_scenario(tmp_path / "e.toml", "ens-covers", "2022-09-24"))
    titles = [ax.get_title() for f in ensemble_plots(run_ensemble(sc, 2, seed=1), tmp_path / "p").values()
              for ax in f.axes]
    assert titles and not any(t.endswith("· Russia") for t in titles)
    assert "leavers abroad · regions: Republic of North Ossetia-Alania, Astrakhan Oblast · 2% sample, scaled up" \
        in titles


def test_the_plots_of_a_sample_run_are_scaled_up_as_its_summary_is_printed(res):
    import numpy as np

    figs = standard_plots(res)
    ax = figs["callup"].axes[0]
    assert ax.get_ylabel() == "persons (cumulative)"  # not the sample's own counts
    mobilised = max(np.nanmax(line.get_ydata()) for line in ax.get_lines() if line.get_label() == "mobilised")
    assert mobilised == res.summary["totals"]["mobilised"] / 0.02
    target = [line for line in ax.get_lines() if line.get_label().startswith("target")][0]
    assert target.get_ydata()[0] == res.summary["totals"]["quota_target"]  # the regions' target, not × 0.02
    waits = [np.nanmax(line.get_ydata()) for line in figs["queues"].axes[1].get_lines()]
    assert max(waits) == res.timeseries[res.timeseries.quantity == "queue_wait_hours"].value.max()  # hours as they are
    sectors = [t.get_text() for t in figs["economy"].axes[1].get_legend().get_texts()]
    assert sectors and not any("_" in s for s in sectors)  # `transport storage`, not `transport_storage`


def test_a_region_whose_name_has_brackets_keeps_one_pair():
    from exitvoice.labels import label

    assert label("MOW") == "Moscow (city, MOW)" and label("KZ") == "Kazakhstan (KZ)"  # not "Moscow (city) (MOW)"
