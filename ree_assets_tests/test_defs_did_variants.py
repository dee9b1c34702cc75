"""Robustness variants are configuration of the did assets: each swaps the right column, and a
variant that does not apply fails loudly."""

import dagster as dg
import polars as pl
import pytest

from ree_assets.defs.did import SPECS, variant_panel


def _panel() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "country": ["DEU", "DEU", "CHN"],
            "sic4": ["3691"] * 3,
            "year": [2009, 2010, 2010],
            "sensitivity": [1.0, 1.0, 1.0],
            "sensitivity_price_spike": [5.0, 5.0, None],
            "sensitivity_china_import_share": [0.2, 0.2, 0.3],
            "tfp_growth": [0.1, 0.2, 0.3],
            "labour_productivity_growth": [0.4, None, 0.6],
        }
    )


def test_country_sensitivity_variants_replace_sens_and_drop_rows_without_it():
    panel, outcome = variant_panel(SPECS["export_growth"], _panel(), "price_spike")
    assert outcome == "export_growth" and panel["sensitivity"].to_list() == [5.0, 5.0]
    panel, _ = variant_panel(SPECS["tfp_growth"], _panel(), "china_import_share")
    assert panel["sensitivity"].to_list() == [0.2, 0.2, 0.3]


def test_labour_productivity_is_the_tfp_panels_alternative_outcome():
    panel, outcome = variant_panel(SPECS["tfp_growth"], _panel(), "labour_productivity")
    assert outcome == "labour_productivity_growth" and panel.height == 2
    assert variant_panel(SPECS["tfp_growth"], _panel(), "baseline")[1] == "tfp_growth"


def test_application_year_swaps_the_patent_outcome_and_control_and_drops_cells_without_them():
    panel = pl.DataFrame(
        {
            "region": ["USA"] * 3,
            "sic4": ["3499"] * 3,
            "year": [2016, 2017, 2018],
            "ree_enhancing_stock": [1.0, 2.0, 3.0],
            "log_non_ree_patents": [4.0, 5.0, 6.0],
            "ree_enhancing_stock_application_year": [7.0, 8.0, None],
            "log_non_ree_patents_application_year": [9.0, 10.0, None],
        }
    )
    swapped, outcome = variant_panel(SPECS["patents"], panel, "application_year")
    assert outcome == "ree_enhancing_stock" and swapped["year"].to_list() == [2016, 2017]
    assert swapped["ree_enhancing_stock"].to_list() == [7.0, 8.0]
    assert swapped["log_non_ree_patents"].to_list() == [9.0, 10.0]


@pytest.mark.parametrize(
    ("outcome", "variant", "message"),
    [
        ("patents", "price_spike", "does not apply to patents"),
        ("export_growth", "labour_productivity", "does not apply to export_growth"),
        ("tfp_growth", "application_year", "'application_year' does not apply to tfp_growth"),
        ("tfp_growth", "typo", "'typo' does not apply"),
    ],
)
def test_inapplicable_variants_fail(outcome, variant, message):
    with pytest.raises(dg.Failure, match=message):
        variant_panel(SPECS[outcome], _panel(), variant)
