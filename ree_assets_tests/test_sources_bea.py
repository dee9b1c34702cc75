"""BEA Use/Make readers on the real 2012 tables (tidy CSV and BEA's xlsx layout)."""

from __future__ import annotations

import polars as pl
import pytest

from ree_assets.core.io_table import ROUNDING_MUSD_PER_CELL, check_use_totals
from ree_assets.errors import DataValidationError
from ree_assets.sources import bea


def _cell(frame: pl.DataFrame, row: str, col: str, names=("row_code", "col_code")) -> float:
    return frame.filter((pl.col(names[0]) == row) & (pl.col(names[1]) == col))["value_musd"].item()


def test_detail_csv_reads_and_reconciles_within_bea_rounding(shared_data):
    """Totals reconcile within 0.5 USD million per summed cell (BEA rounds every cell)."""
    assert ROUNDING_MUSD_PER_CELL == 0.5
    tables = bea.read_bea_tables(
        shared_data / "bea" / "Detail_Use_2012_PRO_BeforeRedef.csv",
        shared_data / "bea" / "Detail_Make_2012_BeforeRedef.csv",
        name_files=[shared_data / "bea" / "Detail_CommodityCodeName_2012.csv"],
    )
    use, codes = tables["bea_use"], tables["bea_codes"]
    assert _cell(use, "331410", "T007") == 26483.0
    kinds = dict(codes.group_by("kind").len().iter_rows())
    assert kinds == {"commodity": 405, "industry": 405, "final_demand": 20, "value_added": 3, "total": 6}
    assert (
        codes.filter((pl.col("code") == "335911") & (pl.col("kind") == "commodity"))["name"].item()
        == "Storage battery manufacturing"
    )


def test_summary_labels_become_bea_total_codes(shared_data):
    use = bea.read_use(shared_data / "bea" / "Summary_Use_2012_PRO_BeforeRedef.csv")
    make = bea.read_make(shared_data / "bea" / "Summary_Make_2012_BeforeRedef.csv")
    assert {"T005", "T006", "T008"} <= set(use["row_code"]) and {"T001", "T004", "T007"} <= set(use["col_code"])
    assert "T007" in set(make["industry_code"]) and "T008" in set(make["commodity_code"])


def test_xlsx_make_keeps_numeric_codes_as_strings(shared_data):
    make = bea.read_make(shared_data / "bea" / "bea_xlsx" / "IOMake_Before_Redefinitions_2007_2012_Detail.xlsx", "2012")
    assert make.schema["industry_code"] == pl.String
    assert {"111200", "1111A0", "T007"} <= set(make["industry_code"])
    assert _cell(make, "1111A0", "1111A0", ("industry_code", "commodity_code")) == 42263


def test_xlsx_summary_use_strips_padding_and_drops_partial_sums(shared_data):
    use = bea.read_use(
        shared_data / "bea" / "bea_xlsx" / "IOUse_Before_Redefinitions_PRO_1997-2015_Summary.xlsx", "2012"
    )
    rows = set(use["row_code"])
    assert {"GFE", "Used", "Other", "T005", "T008", "V001"} <= rows
    assert not any(code.startswith("Sum of") or "Not Selected" in code for code in rows | set(use["col_code"]))


def test_use_table_that_does_not_reconcile_raises(shared_data):
    use = bea.read_use(shared_data / "bea" / "Detail_Use_2012_PRO_BeforeRedef.csv")
    broken = use.with_columns(
        value_musd=pl.when((pl.col("row_code") == "V00100") & (pl.col("col_code") == "335911"))
        .then(pl.col("value_musd") + 1_000)
        .otherwise(pl.col("value_musd"))
    )
    with pytest.raises(DataValidationError, match=r"bea_use: column '335911'.*T008 = column sum"):
        check_use_totals(broken)


def test_published_total_requirements_are_read_long(shared_data):
    published = bea.read_published_total_requirements(
        shared_data / "bea" / "derived_IxC_TR_2012_Summary_published2017.csv"
    )
    assert published["industry_code"].n_unique() == 71 and "HS" in set(published["commodity_code"])
    assert published.filter((pl.col("industry_code") == "111CA") & (pl.col("commodity_code") == "111CA"))[
        "tr"
    ].item() == pytest.approx(1.25203)
