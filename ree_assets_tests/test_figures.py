"""The figures speak in words: legends and tick labels name scenarios, sectors, regions, samples
and elements, axes say their units, every figure carries the caption naming its data, and
series that coincide are noted."""

import itertools

import polars as pl
import pytest

from ree_assets import figures
from ree_assets.core.ge.outcomes import scenario_name
from ree_assets.core.ge.solve import ExportQuota, ExportTax

CAPTION = "Data: synthetic embedded world (seed 1, size small), not real observations."
REGIONS = ("CHN", "EUR", "JPN", "USA", "ROW")
SECTORS = ("transport_equipment", "basic_fabricated_metals", "computers_electronics")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def legend_texts(figure) -> list[str]:
    legends = [*figure.legends, *(a.get_legend() for a in figure.axes if a.get_legend() is not None)]
    return [text.get_text() for legend in legends for text in legend.get_texts()]


def caption_text(figure) -> str:
    return "\n".join(text.get_text() for text in figure.texts)


def flat(text: str) -> str:
    return " ".join(text.split())


def ge_rows(scenario: str, variable: str, values: dict[tuple[str, str], float]) -> list[dict]:
    return [
        {"scenario": scenario, "region": region, "sector": sector, "variable": variable, "value": value}
        for (region, sector), value in values.items()
    ]


def test_the_tax_sweep_speaks_in_words_and_notes_the_coinciding_lines():
    rows = []
    for tax, kappa in itertools.product((0.0, 0.5, 1.0), (0.0, 0.5)):
        scenario = scenario_name(ExportTax(tax), kappa)
        # the world price differs by at most 0.001 between the kappas: well within 1% of the axis
        rows += ge_rows(scenario, "world_ree_price_hat", {("WLD", "all"): 1 + 0.3 * tax + 0.001 * kappa * tax})
        rows += ge_rows(scenario, "ree_price_hat", {("CHN", "all"): 1 - 0.3 * tax - 0.2 * kappa * tax})
        rows += ge_rows(
            scenario, "real_consumption_pct", {(r, "all"): (0.1 if r == "CHN" else -0.1) * tax for r in REGIONS}
        )
    figure = figures.tax_sweep_figure(pl.DataFrame(rows), caption=CAPTION)
    prices, welfare = figure.axes
    assert prices.get_xlabel() == welfare.get_xlabel() == "tax rate on China's REE exports (%)"
    assert max(prices.get_lines()[0].get_xdata()) == pytest.approx(100)  # rates in percent
    assert prices.get_ylabel() == "REE price relative to the baseline (baseline = 1)"
    labels = legend_texts(figure)
    assert "world price, exogenous technology (κ = 0)" in labels
    assert "world price, directed innovation (κ = 0.5) (coincides, see note)" in labels
    assert "price in China, directed innovation (κ = 0.5)" in labels  # 0.1 apart at 100%: not coinciding
    assert "United States, exogenous technology (κ = 0)" in labels
    assert not any("kappa" in label or "tax_" in label or "USA" in label for label in labels)
    text = flat(caption_text(figure))
    assert text.startswith(CAPTION)
    assert "world price, exogenous technology (κ = 0) = world price, directed innovation (κ = 0.5)" in text
    assert "price in China, exogenous technology (κ = 0) = price in China" not in text


def test_the_innovation_bias_names_sectors_and_scenarios_in_words():
    rows = []
    for scenario, scale in ((scenario_name(ExportTax(0.25), 0.5), 1.0), (scenario_name(ExportQuota(0.28), 0.5), 9.0)):
        rows += ge_rows(
            scenario, "innovation_bias_pct", {("non_CHN", s): scale * (k + 1) for k, s in enumerate(SECTORS)}
        )
    figure = figures.innovation_bias_figure(pl.DataFrame(rows), caption=CAPTION)
    (axes,) = figure.axes
    ticks = {tick.get_text() for tick in axes.get_xticklabels()}
    assert ticks == {"Transport equipment", "Basic and fabricated metals", "Electrical and optical equipment"}
    assert set(legend_texts(figure)) == {
        "export tax 25%, directed innovation (κ = 0.5)",
        "export quota 28% of baseline exports, directed innovation (κ = 0.5)",
    }
    assert "(%)" in axes.get_ylabel() and "regions other than China" in axes.get_title()
    assert caption_text(figure) == CAPTION  # no coinciding bars, no note


def test_real_outcomes_name_regions_and_note_bars_of_equal_height():
    rows = []
    for scenario, scale in (
        (scenario_name(ExportTax(0.25), 0.0), 1.0),
        (scenario_name(ExportTax(0.25), 0.5), 1.001),  # bars of the same height as kappa = 0, at this scale
        (scenario_name(ExportQuota(0.28), 0.0), 5.0),
    ):
        for variable in ("real_gdp_pct", "real_consumption_pct"):
            rows += ge_rows(scenario, variable, {(r, "all"): -scale * (k + 1) for k, r in enumerate(REGIONS)})
    figure = figures.real_outcomes_figure(pl.DataFrame(rows), caption=CAPTION)
    ticks = {flat(tick.get_text()) for tick in figure.axes[0].get_xticklabels()}
    assert ticks == {"China", "Europe", "Japan", "United States", "rest of the world"}
    assert figure.axes[0].get_ylabel() == "change from the baseline (%)"
    assert "export tax 25%, directed innovation (κ = 0.5) (equal, see note)" in legend_texts(figure)
    assert "Of equal height" in caption_text(figure) and caption_text(figure).startswith(CAPTION)


def test_the_requirements_figure_shows_whole_industry_titles_and_element_names():
    title = "Air-Conditioning and Warm Air Heating Equipment and Commercial and Industrial Refrigeration Equipment"
    titles = {"3585": title, "3691": "Storage Batteries"}
    tr = pl.DataFrame(
        [
            {"sic4": sic4, "element": element, "tr": value}
            for sic4, scale in (("3585", 2.0), ("3691", 1.0))
            for element, value in (("Nd", 1e-4 * scale), ("Ce", 2e-4 * scale), ("All", 3e-4 * scale))
        ]
    )
    published = pl.DataFrame({"sic4": ["3691"], "element": ["All"], "tr_published": [6.9e-3]})
    figure = figures.ree_requirements_figure(tr, titles, published, caption=CAPTION)
    (axes,) = figure.axes
    ticks = [flat(tick.get_text()) for tick in axes.get_yticklabels()]
    assert f"#1 3585 {title}" in ticks and "#2 3691 Storage Batteries" in ticks
    assert {"Neodymium (Nd)", "Cerium (Ce)", "published by AFSV, all elements"} <= set(legend_texts(figure))
    assert axes.get_xlabel().startswith("USD of rare earths per 1,000 USD of final demand")
    assert caption_text(figure).startswith(CAPTION)


def test_event_studies_and_patent_grants_name_samples_and_units():
    years = range(2005, 2013)
    results = pl.DataFrame(
        [
            {"sample": sample, "year": year, "estimate": 1.0, "ci_low": 0.0, "ci_high": 2.0}
            for sample in ("NONCHN", "CHN")
            for year in years
        ]
    )
    figure = figures.event_study_figure(results, "Event study: TFP growth (baseline)", caption=CAPTION)
    assert {"all regions except China", "China", "China's export restrictions"} == set(legend_texts(figure))
    assert figure.axes[0].get_xlabel() == "year (reference year 2009: coefficient 0)"
    assert caption_text(figure).startswith(CAPTION)

    grants = pl.DataFrame(
        {"grant_year": [2009, 2010, 2010], "technology": ["Magnet", "Magnet", "Lamp"], "grants": [3, 4, 1]}
    )
    figure = figures.ree_patent_grants_figure(grants, caption=CAPTION)
    assert figure.axes[0].get_ylabel() == "REE patent grants (number per year)"
    assert {"Magnet", "Lamp", "China's export restrictions"} == set(legend_texts(figure))
    assert caption_text(figure) == CAPTION


def test_a_figure_caption_names_the_files_of_the_raw_tables_upstream_of_its_asset():
    import dagster as dg

    from ree_assets.definitions import defs
    from ree_assets.defs.resources import DataSource
    from ree_assets.defs.sources import Lineage

    upstream_raw_tables = Lineage(lambda: defs).upstream_raw_tables
    sweep = upstream_raw_tables([dg.AssetKey("ge_tax_sweep")])
    assert {"wiod", "patents"} <= set(sweep) and "bea_summary_use" not in sweep  # eps from the patent panel
    requirements = upstream_raw_tables([dg.AssetKey("ree_requirements_vs_published")])
    assert {"bea_use", "bea_sic_concordance", "ree_prices"} <= set(requirements) and "wiod" not in requirements
    local = DataSource(mode="local", data_dir="/somewhere", seed=3, size="full")
    assert local.caption(["wiod", "patents", "synthetic_truth"]) == (
        "Data: real data (local mode): wiod/wiot_2009.RData, patents."
    )
    assert DataSource(mode="embedded", seed=3, size="small").caption(sweep) == (
        "Data: synthetic embedded world (seed 3, size small), not real observations."
    )
