"""Step 4 on hand-made tables: split-out industries land in their declared SIC industry, and the
SIC requirement is the output-weighted mean of its BEA commodities."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from ree_assets.core import io_table as io
from ree_assets.errors import DataValidationError
from ree_assets_tests.test_core_io_table import _purchases, textbook


def _concordance(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"bea_code": pl.String, "sic4": pl.String, "weight": pl.Float64}, orient="row")


def _app_map(split_sic4: str | None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "application": ["Magnets"],
            "bea_code": [io.MAGNET_PARENT],
            "weight": [1.0],
            "carriers": [["c1"]],
            "split_sic4": [split_sic4],
            "split_sic4_source": ["SIC manual"],
        },
        schema_overrides={"split_sic4": pl.String},
    )


def _with_magnet_ree() -> io.SupplyUse:
    """The textbook table with industry and commodity 2 named 332999 and 3 of Nd bought by 332999
    from c1 (the magnet industry split out of it has output 3 / 0.3 = 10)."""
    named = replace(textbook(), commodities=("c1", io.MAGNET_PARENT), industries=("i1", io.MAGNET_PARENT))
    purchases = _purchases(3.0, ["c1"]).with_columns(bea_code=pl.lit(io.MAGNET_PARENT))
    return io.add_element_rows(named, purchases)[0]


@pytest.fixture
def magnet_tables() -> io.SupplyUse:
    return io.split_magnets(_with_magnet_ree(), {"Nd": 3.0}, cost_share=0.3)


def _value(ree_tr: pl.DataFrame, sic4: str, element: str = "Nd") -> float:
    return ree_tr.filter((pl.col("sic4") == sic4) & (pl.col("element") == element))["tr"].item()


def test_the_magnet_requirement_lands_in_the_sic_industry_the_map_declares(magnet_tables):
    """332999 splits equally over SIC 3431 and 3543 (as in the real concordance); the magnet
    commodity goes to 3499 alone, so 3499 carries the magnet's own requirement (at least its
    direct REE share 3 / 10) and 3431/3543 only the rest of 332999."""
    parent_links = _concordance([("c1", "2000", 1.0), (io.MAGNET_PARENT, "3431", 0.5), (io.MAGNET_PARENT, "3543", 0.5)])
    concordance = pl.concat([parent_links, io.split_sic_links(_app_map("3499"))])
    ree_tr = io.requirements_to_sic(magnet_tables, ["Nd"], concordance)
    tr = dict(zip(magnet_tables.commodities, io.element_requirements(magnet_tables, ["Nd"])[0], strict=False))
    assert _value(ree_tr, "3499") == pytest.approx(tr[io.MAGNET_CODE], rel=1e-12)
    assert _value(ree_tr, "3499") >= 0.3
    assert _value(ree_tr, "3431") == _value(ree_tr, "3543") == pytest.approx(tr[io.MAGNET_PARENT], rel=1e-12)
    assert _value(ree_tr, "3431") < _value(ree_tr, "3499") / 40  # 73 times smaller


def test_a_split_without_a_declared_sic_is_an_error_naming_it(magnet_tables):
    with pytest.raises(
        DataValidationError,
        match=r"application_industry_map: row 'Magnets 332999', "
        r"column 'split_sic4'.*declares its own SIC",
    ):
        io.split_sic_links(_app_map(None))
    parent_links = _concordance([("c1", "2000", 1.0), (io.MAGNET_PARENT, "3431", 1.0)])
    with pytest.raises(DataValidationError, match=r"bea_sic_concordance: row '33299M'.*maps to SIC"):
        io.requirements_to_sic(magnet_tables, ["Nd"], parent_links)


@pytest.fixture
def nd_tables() -> io.SupplyUse:
    """The textbook table with 7 of Nd bought by i2 (5 from carrier c2, 2 pro rata from c1).
    By hand (exact fractions): q = (88, 105, 7) and the Nd row of (I - B D)^-1 is
    (7/285, 7/95, 302/285)."""
    tables, _ = io.add_element_rows(textbook(), _purchases(7.0, ["c2"]))
    return tables


def test_sic_requirements_are_the_output_weighted_mean_computed_by_hand(nd_tables):
    """c1 lands 1/4 in S1 and 3/4 in S2, c2 wholly in S2. By hand: tr_S1 = 7/285 and
    tr_S2 = (3/4 88 7/285 + 105 7/95) / (3/4 88 + 105) = 889/16245. Unweighted (w = 1) it would be
    0.0513, with equal weights over the two commodities 0.0491: the weighting is what is tested."""
    np.testing.assert_allclose(io.element_requirements(nd_tables, ["Nd"])[0], [7 / 285, 7 / 95, 302 / 285], rtol=1e-12)
    concordance = _concordance([("c1", "S1", 0.25), ("c1", "S2", 0.75), ("c2", "S2", 1.0)])
    ree_tr = io.requirements_to_sic(nd_tables, ["Nd"], concordance)
    assert _value(ree_tr, "S1") == pytest.approx(7 / 285, rel=1e-12)
    assert _value(ree_tr, "S2") == pytest.approx(889 / 16245, rel=1e-12)
    assert _value(ree_tr, "S2", io.ALL_ELEMENTS) == _value(ree_tr, "S2")


def test_concordance_weights_not_summing_to_one_are_an_error_naming_the_code(nd_tables):
    concordance = _concordance([("c1", "S1", 0.25), ("c1", "S2", 0.70), ("c2", "S2", 1.0)])
    with pytest.raises(DataValidationError, match=r"bea_sic_concordance: row 'c1'.*weight sums to 1 per bea_code"):
        io.requirements_to_sic(nd_tables, ["Nd"], concordance)


def _buyers(rows: list[tuple[str, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"bea_code": pl.String, "share": pl.Float64}, orient="row")


def test_a_magnet_use_map_sends_the_magnet_row_to_the_named_buyers_and_keeps_every_total():
    """The 332999 row holds 30 (i1) + 5 (332999) + 75 (final use) = 110 = q. Magnet output is 10,
    so the magnet row total is 10 / 110 x 110 = 10: half to i1, half to final use F01000."""
    with_elements = _with_magnet_ree()
    split = io.split_magnets(with_elements, {"Nd": 3.0}, cost_share=0.3, buyers=_buyers([("i1", 0.5), ("F01000", 0.5)]))
    magnet, parent = split.commodities.index(io.MAGNET_CODE), split.commodities.index(io.MAGNET_PARENT)
    np.testing.assert_allclose(split.use[magnet], [5.0, 0.0, 0.0])
    np.testing.assert_allclose(split.final_demand[magnet], [5.0])
    assert split.use[parent, 0] == pytest.approx(25.0) and split.final_demand[parent, 0] == pytest.approx(70.0)
    np.testing.assert_allclose(split.commodity_row_total, split.commodity_output, atol=1e-12)
    np.testing.assert_allclose(split.industry_output, split.make.sum(axis=1), atol=1e-12)
    proportional = io.split_magnets(with_elements, {"Nd": 3.0}, cost_share=0.3)
    assert proportional.use[magnet, 0] == pytest.approx(30 / 11)
    default = io.split_magnets(with_elements, {"Nd": 3.0}, cost_share=0.3, buyers=_buyers([("*", 1.0)]))
    np.testing.assert_array_equal(default.use, proportional.use)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("i1", 0.5), ("F01000", 0.4)], r"magnet_use_map: row 'all'.*share sums to 1"),
        ([("999999", 1.0)], r"magnet_use_map: row '999999'.*is an industry or final use"),
        ([("332999", 1.0)], r"magnet_use_map: row '332999'.*fit within the buyer's purchases"),
        ([("*", 0.5), ("i1", 0.5)], r"magnet_use_map: row '\*'.*the pro-rata marker '\*' stands alone"),
    ],
)
def test_a_bad_magnet_use_map_is_an_error_naming_the_buyer(rows, message):
    with pytest.raises(DataValidationError, match=message):
        io.split_magnets(_with_magnet_ree(), {"Nd": 3.0}, cost_share=0.3, buyers=_buyers(rows))


def test_the_concordance_weighting_is_named():
    assert (
        io.concordance_weighting(_concordance([("a", "S1", 1.0), ("b", "S2", 1.0)])) == "one SIC industry per BEA code"
    )
    assert (
        io.concordance_weighting(_concordance([("a", "S1", 0.5), ("a", "S2", 0.5), ("b", "S2", 1.0)])) == "equal splits"
    )
    assert io.concordance_weighting(_concordance([("a", "S1", 0.2), ("a", "S2", 0.8)])) == "output-weighted"
