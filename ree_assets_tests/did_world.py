"""The embedded world's DiD panels assembled in Python (for core tests and the benchmark).

The pipeline assembles the same panels in dbt (``fct_*_panel``); here the project's pure
transforms (``core.growth``) are applied to the embedded raw tables directly, so core tests and
``make bench`` need no DuckDB.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from ree_assets.core.did import POST_YEAR
from ree_assets.core.growth import indstat_tfp_growth, midpoint_growth
from ree_assets.sources.embedded.dims import ECONOMY_REGION
from ree_assets.sources.embedded.sensitivity_truth import embedded_sensitivity
from ree_assets.sources.embedded.world import embedded_table

SEED = 20100701


def _with_treatment(growth: pl.DataFrame, outcome: str, seed: int, size: str) -> pl.DataFrame:
    subsidies = embedded_table("subsidies", seed, size)
    regions = pl.DataFrame({"country": list(ECONOMY_REGION), "region": list(ECONOMY_REGION.values())})
    return (growth.rename({"growth": outcome}).drop("gap")
            .join(regions, on="country")
            .join(embedded_sensitivity(seed, size), on="sic4")
            .join(subsidies, on=["country", "sic4", "year"])
            .with_columns(post=(pl.col("year") >= POST_YEAR).cast(pl.Int32))
            .with_columns(subsidy_post=pl.col("subsidy_share") * pl.col("post"))
            .drop("subsidy_share").sort("country", "sic4", "year"))


@cache
def panels(size: str = "small", seed: int = SEED) -> dict[str, pl.DataFrame]:
    """tfp_growth, export_growth and export_growth_vs_china panels of the embedded world."""
    trade = embedded_table("trade", seed, size).join(embedded_table("hs_sic_concordance", seed, size),
                                                     on=["hs6", "hs_vintage"])
    exports = (trade.filter((pl.col("flow") == "export") & (pl.col("partner") == "WLD"))
               .group_by(pl.col("reporter").alias("country"), "sic4", "year")
               .agg((pl.col("value_usd") * pl.col("weight")).sum().alias("value")))
    export_growth = midpoint_growth(exports, keys=["country", "sic4"], value="value")
    us = midpoint_growth(embedded_table("industry_stats_us", seed, size).with_columns(country=pl.lit("USA")),
                         keys=["country", "sic4"], value="tfp4")
    others = (indstat_tfp_growth(embedded_table("industry_stats", seed, size))
              .join(embedded_table("isic_sic_concordance", seed, size), on="isic4")
              .group_by("country", "sic4", "year").agg((pl.col("tfp_growth") * pl.col("weight")).sum().alias("growth"),
                                                       pl.col("gap").max()))
    tfp = pl.concat([us, others.select(us.columns)])
    china = export_growth.filter(pl.col("country") == "CHN").select("sic4", "year", china="growth")
    versus = (export_growth.filter(pl.col("country") != "CHN").join(china, on=["sic4", "year"])
              .with_columns(growth=pl.col("growth") - pl.col("china")).drop("china"))
    return {"tfp_growth": _with_treatment(tfp, "tfp_growth", seed, size),
            "export_growth": _with_treatment(export_growth, "export_growth", seed, size),
            "export_growth_vs_china": _with_treatment(versus, "export_growth_vs_china", seed, size)}


def truth(size: str = "small", seed: int = SEED) -> dict[str, float]:
    """``<outcome>:<sample>`` -> true beta of the embedded world."""
    rows = embedded_table("synthetic_truth", seed, size).filter((pl.col("stage") == "did") & (pl.col("parameter") == "beta"))
    return dict(rows.select("key", "value").iter_rows())
