"""Core REE-extended IO table: textbook total requirements, construction steps, real BEA 2012."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from ree_assets.core import io_table as io
from ree_assets.core.io_table.ree_extension import _using_industries
from ree_assets.core.sensitivity import ree_sensitivity
from ree_assets.errors import DataValidationError
from ree_assets.reporting import render_ree_total_requirements
from ree_assets.sources import bea
from ree_assets.sources.concordances import read_bea_sic_concordance
from ree_assets.sources.embedded import ree_defaults as defaults
from ree_assets.sources.embedded.dims import sic1987_manufacturing


def textbook() -> io.SupplyUse:
    """Two commodities, two industries; g = (100, 100), q = (90, 110).

    U = [[10, 20], [30, 5]], VA = (60, 75), M = [[90, 10], [0, 100]], final demand (60, 75).
    By hand: (I - B D)^-1 = [[204, 42], [66, 198]] / 171 and D (I - B D)^-1 = [[210, 60], [60, 180]] / 171.
    """
    return io.SupplyUse(
        commodities=("c1", "c2"),
        industries=("i1", "i2"),
        final_uses=("F01000",),
        value_added_rows=("V00100",),
        use=np.array([[10.0, 20.0], [30.0, 5.0]]),
        final_demand=np.array([[60.0], [75.0]]),
        value_added=np.array([[60.0, 75.0]]),
        make=np.array([[90.0, 10.0], [0.0, 100.0]]),
    )


def test_textbook_total_requirements_match_hand_computation():
    tables = textbook()
    assert np.abs(io.commodity_total_requirements(tables) - np.array([[204, 42], [66, 198]]) / 171).max() < 1e-12
    assert np.abs(io.total_requirements(tables) - np.array([[210, 60], [60, 180]]) / 171).max() < 1e-12


def test_element_requirements_are_rows_of_the_commodity_inverse():
    tables = textbook()
    np.testing.assert_allclose(
        io.element_requirements(tables, ["c2"]), io.commodity_total_requirements(tables)[[1]], atol=1e-14
    )


def test_canonical_round_trip_keeps_matrices_and_reconciles():
    tables = textbook()
    use, make = io.use_to_canonical(tables), io.make_to_canonical(tables)
    io.check_use_totals(use)
    io.check_make_totals(make)
    back = io.supply_use_from_canonical(use, make)
    assert back.commodities == tables.commodities and back.final_uses == tables.final_uses
    for name in ("use", "final_demand", "value_added", "make"):
        np.testing.assert_array_equal(getattr(back, name), getattr(tables, name))


def test_non_reconciling_use_names_table_row_and_rule():
    use = io.use_to_canonical(textbook()).with_columns(
        value_musd=pl.when((pl.col("row_code") == "c2") & (pl.col("col_code") == "i1"))
        .then(pl.col("value_musd") + 5)
        .otherwise(pl.col("value_musd"))
    )
    with pytest.raises(DataValidationError, match=r"bea_use: row 'c2'.*T007 = row sum") as caught:
        io.check_use_totals(use)
    assert "tolerance 2.0" in str(caught.value)  # 0.5 USD million x (3 summed cells + 1)


def _purchases(value: float, carriers: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"application": ["A"], "element": ["Nd"], "bea_code": ["i2"], "carriers": [carriers], "value_musd": [value]}
    )


def _assert_totals_hold(before: io.SupplyUse, after: io.SupplyUse) -> None:
    n_i, n_c = len(before.industries), len(before.commodities)
    np.testing.assert_allclose(after.industry_output[:n_i], before.industry_output)
    np.testing.assert_allclose(after.make.sum(axis=1)[:n_i], before.make.sum(axis=1))
    np.testing.assert_allclose(after.commodity_row_total, after.commodity_output, atol=1e-9)
    assert after.commodity_output[:n_c].sum() + after.commodity_output[n_c:].sum() == pytest.approx(
        before.commodity_output.sum()
    )


def test_element_rows_come_from_carriers_then_pro_rata():
    tables = textbook()
    extended, report = io.add_element_rows(tables, _purchases(7.0, ["c2"]))
    assert extended.commodities == ("c1", "c2", "Nd")
    assert extended.use[2, 1] == 7.0 and extended.use[1, 1] == 0.0  # carrier c2 held only 5
    assert extended.use[0, 1] == pytest.approx(18.0)  # the 2 missing came pro rata from c1
    assert report["pro_rata_shortfall_musd"].to_list() == [pytest.approx(2.0)]
    _assert_totals_hold(tables, extended)


def test_magnet_split_preserves_every_total():
    same_codes = replace(textbook(), commodities=("c1", "i2"), industries=("i1", "i2"))
    tables, _ = io.add_element_rows(same_codes, _purchases(3.0, ["c1"]))
    split = io.split_magnets(tables, {"Nd": 3.0}, cost_share=0.3, parent="i2")
    n = len(tables.commodities)
    magnet = split.industries.index(io.MAGNET_CODE)
    assert split.industry_output[magnet] == pytest.approx(10.0)
    assert split.use[2, magnet] == pytest.approx(3.0) and split.use[2, 1] == pytest.approx(0.0)
    kept = [0, 2]  # every commodity but the split parent keeps its row total
    np.testing.assert_allclose(split.commodity_row_total[kept], tables.commodity_row_total[kept])
    assert split.commodity_row_total[[1, n]].sum() == pytest.approx(tables.commodity_row_total[1])
    np.testing.assert_allclose(split.commodity_row_total, split.commodity_output, atol=1e-9)
    np.testing.assert_allclose(split.industry_output, split.make.sum(axis=1), atol=1e-9)
    assert split.commodity_output.sum() == pytest.approx(tables.commodity_output.sum())


def test_shares_not_summing_to_one_raise():
    end_use = defaults.ree_end_use().with_columns(
        end_use_share=pl.when(pl.col("application") == "Magnets").then(0.5).otherwise(pl.col("end_use_share"))
    )
    with pytest.raises(DataValidationError, match=r"ree_end_use: row 'all'.*end_use_share sums to 1"):
        io.element_end_use_tonnes(defaults.ree_application_composition(), end_use, 12_000.0)


def test_price_not_positive_raises():
    prices = defaults.ree_prices().with_columns(
        price_usd_per_kg=pl.when((pl.col("element") == "Dy") & (pl.col("year") == 2009))
        .then(0.0)
        .otherwise(pl.col("price_usd_per_kg"))
    )
    with pytest.raises(DataValidationError, match=r"ree_prices: row 'Dy fob_china 2009'.*price_usd_per_kg > 0"):
        io.price_at(prices, 2009)


def test_missing_map_code_is_named():
    app_map = pl.DataFrame({"application": ["A"], "bea_code": ["999999"], "weight": [1.0], "carriers": [["c1"]]})
    with pytest.raises(DataValidationError, match=r"application_industry_map: column '999999'.*code exists"):
        _using_industries(textbook(), app_map)


# --- real BEA 2012 detail tables -------------------------------------------------------------


@pytest.fixture(scope="module")
def real(shared_data):
    folder = shared_data / "bea"
    tables = bea.read_bea_tables(
        folder / "Detail_Use_2012_PRO_BeforeRedef.csv", folder / "Detail_Make_2012_BeforeRedef.csv"
    )
    supply_use = io.supply_use_from_canonical(tables["bea_use"], tables["bea_make"])
    extended = io.build_ree_extended_table(
        supply_use,
        defaults.ree_application_composition(),
        defaults.ree_end_use(),
        defaults.US_CONSUMPTION_TONNES_REO,
        defaults.ree_prices(),
        defaults.application_industry_map(),
        defaults.MAGNET_REE_COST_SHARE,
    )
    codes = tables["bea_codes"].filter(pl.col("kind").is_in(["commodity", "industry"]))["code"].unique().to_list()
    assert (shared_data / "concordances" / "2002_NAICS_to_1987_SIC.xls").is_file()
    concordance = read_bea_sic_concordance(shared_data / "concordances", codes)
    links = io.split_sic_links(defaults.application_industry_map())
    ree_tr = io.requirements_to_sic(extended.tables, extended.elements, pl.concat([concordance, links]))
    return supply_use, extended, ree_tr


def test_real_leontief_columns_sum_to_at_least_one(real):
    supply_use, extended, _ = real
    assert io.column_sum_violations(supply_use) == []
    assert io.column_sum_violations(extended.tables) == []


def test_real_requirements_are_not_negative_except_where_bea_records_negative_inputs(real):
    """BEA's Use table has negative cells (used goods S00402, returns in 1111A0, 31151A, 5241XX),
    which make their own rows of (I - B D)^-1 slightly negative; every other row, the element
    rows included, is non-negative within 1e-9 of the column sum."""
    _, extended, _ = real
    tables = extended.tables
    inverse = io.commodity_total_requirements(tables)
    negative_rows = {
        tables.commodities[i]
        for i, j in zip(
            *np.nonzero(inverse < -io.COLUMN_SUM_TOLERANCE * inverse.sum(axis=0, keepdims=True)), strict=False
        )
    }
    rows_with_negative_inputs = {tables.commodities[i] for i in np.flatnonzero(tables.use.min(axis=1) < 0)}
    assert negative_rows <= rows_with_negative_inputs
    assert not negative_rows & set(extended.elements)


def test_real_extension_preserves_every_total(real):
    supply_use, extended, _ = real
    after = extended.tables
    n_i, n_c = len(supply_use.industries), len(supply_use.commodities)
    magnet = after.industries.index(io.MAGNET_CODE)
    parent = after.industries.index(io.MAGNET_PARENT)
    g_after = after.industry_output[:n_i].copy()
    g_after[parent] += after.industry_output[magnet]
    parent = after.commodities.index(io.MAGNET_PARENT)
    np.testing.assert_allclose(g_after, supply_use.industry_output, rtol=1e-12)
    np.testing.assert_allclose(after.industry_output, after.make.sum(axis=1), atol=25)  # BEA rounding
    gap = after.commodity_row_total - after.commodity_output
    original_gap = supply_use.commodity_row_total - supply_use.commodity_output
    np.testing.assert_allclose(gap[:n_c][np.arange(n_c) != parent], original_gap[np.arange(n_c) != parent], atol=1e-6)
    elements = [after.commodities.index(e) for e in extended.elements]
    np.testing.assert_allclose(gap[elements], 0, atol=1e-9)
    magnet_commodity = after.commodities.index(io.MAGNET_CODE)
    assert gap[parent] + gap[magnet_commodity] == pytest.approx(original_gap[parent])
    shortfall = extended.shortfall
    assert (
        (shortfall["pro_rata_shortfall_musd"] >= 0)
        & (shortfall["pro_rata_shortfall_musd"] <= shortfall["ree_purchases_musd"])
    ).all()


def test_real_every_sic_manufacturing_industry_has_a_sensitivity(real):
    _, _, ree_tr = real
    sensitivity = ree_sensitivity(ree_tr, defaults.ree_complementarity())
    manufacturing = {code for code, _ in sic1987_manufacturing()}
    assert manufacturing <= set(sensitivity["sic4"])
    assert sensitivity.filter(pl.col("sic4").is_in(manufacturing))["sensitivity"].is_finite().all()


def test_real_top_ten_table_is_rendered_and_printed(real):
    _, _, ree_tr = real
    table = render_ree_total_requirements(ree_tr, dict(sic1987_manufacturing()), top_n=10)
    print("\n" + table)
    print(
        "published (AFSV): 3691 6.93 | 3499 5.91 | 3625 0.58 | 3511 0.53 | 3292 0.47 | 3714 0.41 | 3519 0.39 | "
        "3585 0.37"
    )
    assert len(table.strip().splitlines()) == 4 + 10
    all_rows = ree_tr.filter(pl.col("element") == io.ALL_ELEMENTS).sort("sic4")
    by_element = (
        ree_tr.filter(pl.col("element") != io.ALL_ELEMENTS).group_by("sic4").agg(pl.col("tr").sum()).sort("sic4")
    )
    np.testing.assert_allclose(all_rows["tr"].to_numpy(), by_element["tr"].to_numpy())


def test_split_accounting_errors_are_zero_for_the_real_extension_and_catch_a_lost_cell(real):
    supply_use, extended, _ = real
    errors = io.split_accounting_errors(supply_use, extended.tables)
    assert max(errors.values()) < 1e-6
    leaky = extended.tables.use.copy()
    leaky[extended.tables.commodities.index(extended.elements[0]), 0] += 1.0
    broken = io.split_accounting_errors(supply_use, replace(extended.tables, use=leaky))
    assert broken["industry_output"] == pytest.approx(1.0) and broken["commodity_balance"] == pytest.approx(1.0)


def test_aggregation_sums_cells_and_preserves_every_total():
    tables = textbook()
    merged = io.aggregate_supply_use(tables, lambda code: "all" if code in ("c1", "c2", "i1", "i2") else code)
    assert merged.commodities == ("all",) and merged.industries == ("all",)
    assert merged.use.item() == pytest.approx(tables.use.sum())
    assert merged.industry_output.item() == pytest.approx(tables.industry_output.sum())
    assert merged.commodity_output.item() == pytest.approx(tables.commodity_output.sum())
    np.testing.assert_allclose(merged.final_demand.sum(axis=0), tables.final_demand.sum(axis=0))
