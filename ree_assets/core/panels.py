"""Outcome growth rates of the DiD panels by country, SIC industry and year (``specs/patents_and_did.md``).

- Export growth: annualised midpoint growth of the export value of (c, s), exports to the world
  (partner WLD) of every HS6 product mapped to s with the concordance weights
  (value_cs = sum_h value_ch x w_hs).
- TFP growth: the US from NBER-CES (midpoint growth of ``tfp4``), the other economies from
  INDSTAT-like data (:func:`~ree_assets.core.growth.indstat_tfp_growth`) mapped from ISIC to SIC
  with the concordance weights (g_cs = sum_i g_ci x w_is).
- Labour productivity growth (a robustness outcome): midpoint growth of value added per worker.

The panels (sensitivity, regions, controls) are assembled in dbt (``fct_*_panel``).
"""

from __future__ import annotations

import polars as pl

from ree_assets.core.growth import indstat_tfp_growth, midpoint_growth
from ree_assets.errors import DataValidationError

KEYS = ["country", "sic4"]


def _unmapped(frame: pl.DataFrame, concordance: pl.DataFrame, on: list[str], table: str) -> None:
    missing = frame.select(on).unique().join(concordance.select(on).unique(), on=on, how="anti")
    if missing.height:
        raise DataValidationError(
            table,
            f"every code has a concordance row ({', '.join(on)})",
            row=" ".join(str(v) for v in missing.row(0)),
            detail=f"{missing.height} codes unmapped",
        )


def exports_by_sic(trade: pl.DataFrame, concordance: pl.DataFrame) -> pl.DataFrame:
    """(country, sic4, year, value_usd): exports to the world mapped from HS6 to SIC. Every
    exported HS6 code needs a concordance row (DataValidationError names the first missing)."""
    exports = trade.filter((pl.col("flow") == "export") & (pl.col("partner") == "WLD"))
    _unmapped(exports, concordance, ["hs6", "hs_vintage"], "hs_sic_concordance")
    return (
        exports.join(concordance, on=["hs6", "hs_vintage"])
        .group_by(pl.col("reporter").alias("country"), "sic4", "year")
        .agg((pl.col("value_usd") * pl.col("weight")).sum().alias("value_usd"))
        .sort(*KEYS, "year")
    )


def export_growth(trade: pl.DataFrame, concordance: pl.DataFrame) -> pl.DataFrame:
    """(country, sic4, year, export_growth, gap): annualised midpoint growth of exports by SIC."""
    values = exports_by_sic(trade, concordance)
    return midpoint_growth(values, keys=KEYS, value="value_usd", table="trade").rename({"growth": "export_growth"})


def _isic_to_sic(frame: pl.DataFrame, concordance: pl.DataFrame, value: str) -> pl.DataFrame:
    _unmapped(frame, concordance, ["isic4"], "isic_sic_concordance")
    return (
        frame.join(concordance, on="isic4")
        .group_by(*KEYS, "year")
        .agg((pl.col(value) * pl.col("weight")).sum().alias(value), pl.col("gap").max())
    )


def tfp_growth(
    industry_stats_us: pl.DataFrame, industry_stats: pl.DataFrame, isic_sic_concordance: pl.DataFrame
) -> pl.DataFrame:
    """(country, sic4, year, tfp_growth, labour_productivity_growth, gap, source): NBER-CES for
    the USA, INDSTAT TFP construction for every other country of ``industry_stats``."""
    us = industry_stats_us.with_columns(country=pl.lit("USA"), labour_productivity=pl.col("vadd") / pl.col("emp"))
    us_growth = (
        midpoint_growth(us, keys=KEYS, value="tfp4", table="industry_stats_us")
        .rename({"growth": "tfp_growth"})
        .join(
            midpoint_growth(us, keys=KEYS, value="labour_productivity", table="industry_stats_us").select(
                *KEYS, "year", labour_productivity_growth="growth"
            ),
            on=[*KEYS, "year"],
            how="left",
        )
    )
    others = industry_stats.filter(pl.col("country") != "USA")
    indstat_keys = ["country", "isic4"]
    tfp = indstat_tfp_growth(others, keys=indstat_keys)
    productivity = midpoint_growth(
        others.with_columns(lp=pl.col("value_added") / pl.col("employment")),
        keys=indstat_keys,
        value="lp",
        table="industry_stats",
    )
    indstat = _isic_to_sic(tfp, isic_sic_concordance, "tfp_growth").join(
        _isic_to_sic(
            productivity.rename({"growth": "labour_productivity_growth"}),
            isic_sic_concordance,
            "labour_productivity_growth",
        ).drop("gap"),
        on=[*KEYS, "year"],
        how="left",
    )
    columns = [*KEYS, "year", "tfp_growth", "labour_productivity_growth", "gap"]
    return pl.concat(
        [
            us_growth.select(columns).with_columns(source=pl.lit("nber_ces")),
            indstat.select(columns).with_columns(source=pl.lit("indstat")),
        ]
    ).sort(*KEYS, "year")
