"""Diagnostics against published tables: REE requirements by SIC next to AFSV's rows, and what
separates a right total-requirements table from a wrong one on BEA's published summary table."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ree_assets.core import io_table as io
from ree_assets.errors import DataValidationError
from ree_assets.sources import bea
from ree_assets.sources.embedded.afsv_published import afsv_ree_requirements

#: Ours: 12 SIC industries, All requirement (USD per USD); 'A'..'D' are published.
OURS = {"A": 9.0, "B": 10.0, "C": 1.0, "D": 5.0, **{f"x{k:02d}": 2.0 + 0.1 * k for k in range(8)}}
PUBLISHED = pl.DataFrame({"sic4": ["A", "B", "C", "D"], "element": "All", "tr_published": [8.0, 4.0, 2.0, 1.0]})


def _ree_tr(values: dict[str, float]) -> pl.DataFrame:
    return pl.DataFrame({"sic4": list(values), "element": "All", "tr": list(values.values())})


def test_rank_correlation_levels_and_top_ten_match_a_hand_computation():
    """Published order A > B > C > D (ranks 1-4); ours over the four: B 10 > A 9 > D 5 > C 1
    (ranks 2, 1, 4, 3). d = (-1, 1, -1, 1), rho = 1 - 6 x 4 / (4 x 15) = 0.6. Among all 12 of
    ours: B 1st, A 2nd, D 3rd (5 > 2.7), the x's 4th-11th, C 12th, so C is the one outside the
    top 10. Ratios: 9/8, 10/4, 1/2, 5/1 -> median (1.125 + 2.5) / 2; sums 25 / 15."""
    table, summary = io.requirements_vs_published(_ree_tr(OURS), PUBLISHED, list(OURS))
    assert summary["rank_correlation"] == pytest.approx(0.6, abs=1e-12)
    assert table["rank"].to_list() == [2, 1, 12, 3] and table["rank_published"].to_list() == [1, 2, 3, 4]
    assert summary["published_in_our_top"] == "A, B, D" and summary["n_published_in_our_top"] == 3
    np.testing.assert_allclose(table["ratio"].to_numpy(), [9 / 8, 10 / 4, 1 / 2, 5 / 1])
    assert summary["median_ratio"] == pytest.approx((1.125 + 2.5) / 2)
    assert summary["ratio_of_sums"] == pytest.approx(25 / 15)


def test_a_published_industry_we_do_not_rank_is_named():
    with pytest.raises(DataValidationError, match=r"ree_total_requirements: row 'C'.*every published SIC"):
        io.requirements_vs_published(_ree_tr({k: v for k, v in OURS.items() if k != "C"}), PUBLISHED, list(OURS))


def test_the_afsv_rows_are_the_spec_table_in_usd_per_usd():
    published = afsv_ree_requirements()
    totals = dict(published.filter(pl.col("element") == "All").select("sic4", "tr_published").iter_rows())
    assert list(totals) == ["3691", "3499", "3625", "3511", "3292", "3714", "3519", "3585"]
    assert totals["3691"] == pytest.approx(6.93e-3) and totals["3585"] == pytest.approx(0.37e-3)
    magnets = published.filter((pl.col("sic4") == "3499") & (pl.col("element") != "All"))["tr_published"].sum()
    assert magnets == pytest.approx(5.90e-3)  # Nd 4.06 + Pr 0.18 + Dy 1.66, as printed (All 5.91)


# --- the summary-level diagnostic on BEA's published 2012 table -----------------------------------


@pytest.fixture(scope="module")
def summary(shared_data):
    folder = shared_data / "bea"
    tables = io.supply_use_from_canonical(
        bea.read_use(folder / "Summary_Use_2012_PRO_AfterRedef.csv"),
        bea.read_make(folder / "Summary_Make_2012_AfterRedef.csv"),
    )
    published = bea.read_published_total_requirements(folder / "derived_IxC_TR_2012_Summary_published2017.csv")
    return tables, published


def _frame(tables: io.SupplyUse, matrix: np.ndarray) -> pl.DataFrame:
    return io.long_frame(tables.industries, tables.commodities, matrix, "industry_code", "commodity_code").rename(
        {"value_musd": "tr"}
    )


def test_summary_total_requirements_track_bea_published(summary):
    """Observed on BEA 2012 (2017 vintage): cell correlation 0.996, off-diagonal 0.966, median
    relative column-sum difference 3.1%."""
    tables, published = summary
    comparison = io.compare_total_requirements(io.total_requirements_frame(tables), published)
    print(f"\nsummary IxC TR vs BEA published 2012 (2017 vintage): {comparison}")
    assert comparison["n_cells"] > 0.9 * 71 * 73
    assert comparison["correlation"] > 0.99
    assert comparison["off_diagonal_correlation"] > 0.95
    assert comparison["median_relative_column_sum_difference"] < 0.05
    assert io.tracks_published(comparison)


@pytest.mark.parametrize(
    ("name", "wrong"),
    [
        ("D, no inverse", lambda t: io.market_shares(t)),
        (
            "D (I + B D), one round",
            lambda t: (
                io.market_shares(t) @ (np.eye(len(t.commodities)) + io.direct_requirements(t) @ io.market_shares(t))
            ),
        ),
        (
            "D (I - (B D)')^-1, transposed",
            lambda t: (
                io.market_shares(t)
                @ np.linalg.inv(np.eye(len(t.commodities)) - (io.direct_requirements(t) @ io.market_shares(t)).T)
            ),
        ),
    ],
)
def test_a_wrong_total_requirements_table_fails_the_diagnostic(summary, name, wrong):
    """Observed: D scores cell 0.970 / off-diagonal 0.557 / column sums 45%; one round 0.993 /
    0.921 / 22%; transposed 0.950 / 0.318 / 34%: each fails at least one of the three bounds."""
    tables, published = summary
    comparison = io.compare_total_requirements(_frame(tables, wrong(tables)), published)
    assert not io.tracks_published(comparison), name


def test_approximate_inputs_are_the_tables_whose_quality_is_not_published():
    frames = {
        "a": pl.DataFrame({"quality": ["published"]}),
        "b": pl.DataFrame({"quality": ["approximate", "placeholder", "approximate"]}),
        "c": pl.DataFrame({"value": [1.0]}),
    }
    assert io.approximate_inputs(frames) == ["b (approximate, placeholder)"]
