"""Midpoint growth, annualisation, perpetual inventory and INDSTAT TFP on hand-checked examples."""

import polars as pl
import pytest

from ree_assets.core.growth import indstat_tfp_growth, midpoint_growth, perpetual_inventory_capital
from ree_assets.errors import DataValidationError


def _series(values: dict[int, float | None], key: str = "a") -> pl.DataFrame:
    return pl.DataFrame(
        {"k": [key] * len(values), "year": list(values), "x": list(values.values())},
        schema={"k": pl.String, "year": pl.Int64, "x": pl.Float64},
    )


def test_midpoint_growth_edge_cases_by_hand():
    # 100 -> 150: 2*50/250 = 0.4; exit 150 -> 0: -2; 2005 missing, entry 0 -> 50 over 2 years: 2/2 = 1;
    # 50 -> 0 exit: -2; 0 -> 0: undefined (no row); 2010 null is not an observation: 0 (2009) -> 30 (2011) = 2/2.
    frame = _series({2002: 100, 2003: 150, 2004: 0, 2006: 50, 2007: 0, 2008: 0, 2009: 0, 2010: None, 2011: 30})
    got = midpoint_growth(frame, keys=["k"], value="x")
    assert got["year"].to_list() == [2003, 2004, 2006, 2007, 2011]
    assert got["growth"].to_list() == pytest.approx([0.4, -2.0, 1.0, -2.0, 1.0], abs=1e-15)
    assert got["gap"].to_list() == [1, 1, 2, 1, 2]


def test_midpoint_growth_groups_do_not_mix_and_single_years_give_nothing():
    frame = pl.concat([_series({2002: 10, 2003: 30}, "a"), _series({2004: 5}, "b")])
    got = midpoint_growth(frame, keys=["k"], value="x")
    assert got.select("k", "year").rows() == [("a", 2003)]
    assert got["growth"][0] == pytest.approx(1.0)


def test_midpoint_growth_rejects_duplicates_and_negative_values():
    with pytest.raises(DataValidationError, match="'a 2002'.*one row per k, year"):
        midpoint_growth(pl.concat([_series({2002: 1.0}), _series({2002: 2.0})]), keys=["k"], value="x")
    with pytest.raises(DataValidationError, match="'a 2003'.*x >= 0"):
        midpoint_growth(_series({2002: 1.0, 2003: -1.0}), keys=["k"], value="x")


def test_perpetual_inventory_by_hand():
    # delta = 0.1, g = 0.1: K0 = 10 / 0.2 = 50, K1 = 0.9 * 50 + 20 = 65, K2 = 0.9 * 65 + 30 = 88.5
    frame = pl.DataFrame({"k": ["a"] * 3 + ["b"], "year": [2002, 2003, 2004, 2010], "gfcf": [10.0, 20, 30, 4]})
    got = perpetual_inventory_capital(frame, keys=["k"], depreciation=0.1, initial_growth=0.1)
    assert got["capital"].to_list() == pytest.approx([50.0, 65.0, 88.5, 20.0], rel=1e-14)


def test_perpetual_inventory_rejects_gaps_and_missing_investment():
    gap = pl.DataFrame({"k": ["a", "a"], "year": [2002, 2004], "gfcf": [1.0, 1.0]})
    with pytest.raises(DataValidationError, match="'a 2004'.*consecutive years"):
        perpetual_inventory_capital(gap, keys=["k"])
    missing = pl.DataFrame({"k": ["a", "a"], "year": [2002, 2003], "gfcf": [1.0, None]})
    with pytest.raises(DataValidationError, match="'a 2003'.*gfcf present"):
        perpetual_inventory_capital(missing, keys=["k"])


def _indstat(wages_2003: float = 66.0) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "country": ["DEU", "DEU"],
            "isic4": ["2710", "2710"],
            "year": [2002, 2003],
            "output": [300.0, 330.0],
            "value_added": [100.0, 110.0],
            "employment": [10.0, 10.0],
            "wages": [60.0, wages_2003],
            "gfcf": [10.0, 20.0],
        }
    )


def test_indstat_tfp_growth_by_hand():
    # K: 50 -> 65 (delta = g = 0.1); g_VA = 2*10/210, g_L = 0, g_K = 2*15/115; s_L = (0.6 + 0.6) / 2
    got = indstat_tfp_growth(_indstat(), depreciation=0.1, initial_growth=0.1)
    expected = 20 / 210 - 0.6 * 0 - 0.4 * 30 / 115
    assert got.height == 1 and got["year"][0] == 2003
    assert got["tfp_growth"][0] == pytest.approx(expected, rel=1e-13)


def test_indstat_tfp_growth_rejects_labour_share_outside_unit_interval():
    with pytest.raises(DataValidationError, match="'DEU 2710 2003'.*labour cost share"):
        indstat_tfp_growth(_indstat(wages_2003=120.0))
