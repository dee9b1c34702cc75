"""The GE innovation panel from project tables, on a hand-checked example."""

import polars as pl
import pytest

from ree_assets.core.ge_panel import ge_innovation_panel, ge_sector_of, sic_ge_map
from ree_assets.errors import DataValidationError


def _inputs(flow_3571_2003: float = 2.0):
    patents = pl.DataFrame(
        {
            "region": ["USA", "EUR", "USA", "USA", "USA"],
            "sic4": ["3511", "3511", "3511", "3571", "3571"],
            "year": [2002, 2002, 2003, 2002, 2003],
            "ree_enhancing_flow": [1.0, 2.0, 4.0, 1.0, flow_3571_2003],
            "non_ree_patents": [10.0, 20.0, 30.0, 5.0, 6.0],
        }
    )
    tr = pl.DataFrame(
        {
            "sic4": ["3511", "3511", "3511", "3571", "3571"],
            "element": ["Nd", "Ce", "All", "Nd", "All"],
            "tr": [1.0, 3.0, 4.0, 2.0, 2.0],
        }
    )
    prices = pl.DataFrame(
        {
            "element": ["Nd", "Nd", "Ce", "Ce", "Nd"],
            "market": ["fob_china"] * 4 + ["USA"],
            "year": [2002, 2003, 2002, 2003, 2003],
            "price_usd_per_kg": [10.0, 20.0, 5.0, 5.0, 99.0],
        }
    )
    nber = pl.DataFrame(
        {
            "sic4": ["3511", "3571", "3511", "3571"],
            "year": [2002, 2002, 2003, 2003],
            "pay": [10.0, 30.0, 15.0, 33.0],
            "emp": [1.0, 1.0, 1.0, 1.0],
        }
    )
    return patents, tr, prices, nber


def test_the_map_sends_357_to_computers_and_35_to_machinery():
    got = ge_sector_of(pl.Series(["3511", "3571", "3691", "2011", "1311"]), sic_ge_map()).to_list()
    assert got == ["machinery", "computers_electronics", "computers_electronics", "food", None]
    assert set(sic_ge_map()["source"].str.contains("SIC").to_list()) == {True}


def test_panel_by_hand():
    panel = ge_innovation_panel(*_inputs(), sic_ge_map())
    # machinery: mix Nd 1/4, Ce 3/4 -> 2003 index 0.25 x 20/10 + 0.75 x 5/5 = 1.25; computers: Nd only -> 2
    # wages: (10 + 30) / 2 = 20 -> (15 + 33) / 2 = 24, index 1.2
    assert panel.rows() == [
        ("computers_electronics", 2002, 1.0, 5.0, 1.0, 1.0),
        ("computers_electronics", 2003, 2.0, 6.0, 2.0, pytest.approx(1.2)),
        ("machinery", 2002, 3.0, 30.0, 1.0, 1.0),
        ("machinery", 2003, 4.0, 30.0, pytest.approx(1.25), pytest.approx(1.2)),
    ]


def test_zero_flows_are_refused_naming_the_sector_and_year():
    with pytest.raises(DataValidationError, match="computers_electronics 2003.*flows > 0"):
        ge_innovation_panel(*_inputs(flow_3571_2003=0.0), sic_ge_map())
