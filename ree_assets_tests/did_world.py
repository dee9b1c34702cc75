"""The embedded world's DiD panels assembled in Python (for core tests and the benchmark).

The pipeline assembles the same panels in dbt (``fct_*_panel``); here the project's pure
transforms (``core.growth``) are applied to the embedded raw tables directly, so core tests and
``make bench`` need no DuckDB.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from ree_assets.core import panels as core_panels
from ree_assets.core.did import POST_YEAR
from ree_assets.sources.embedded.dims import ECONOMY_REGION
from ree_assets.sources.embedded.sensitivity_truth import embedded_sensitivity
from ree_assets.sources.embedded.world import embedded_table

SEED = 20100701


def _with_treatment(growth: pl.DataFrame, outcome: str, seed: int, size: str) -> pl.DataFrame:
    subsidies = embedded_table("subsidies", seed, size)
    regions = pl.DataFrame({"country": list(ECONOMY_REGION), "region": list(ECONOMY_REGION.values())})
    return (
        growth.rename({"growth": outcome})
        .drop("gap")
        .join(regions, on="country")
        .join(embedded_sensitivity(seed, size), on="sic4")
        .join(subsidies, on=["country", "sic4", "year"])
        .with_columns(post=(pl.col("year") >= POST_YEAR).cast(pl.Int32))
        .with_columns(subsidy_post=pl.col("subsidy_share") * pl.col("post"))
        .drop("subsidy_share")
        .sort("country", "sic4", "year")
    )


@cache
def panels(size: str = "small", seed: int = SEED) -> dict[str, pl.DataFrame]:
    """tfp_growth, export_growth and export_growth_vs_china panels of the embedded world."""
    table = lambda name: embedded_table(name, seed, size)  # noqa: E731
    exports = core_panels.export_growth(table("trade"), table("hs_sic_concordance")).rename({"export_growth": "growth"})
    tfp = core_panels.tfp_growth(table("industry_stats_us"), table("industry_stats"), table("isic_sic_concordance"))
    china = exports.filter(pl.col("country") == "CHN").select("sic4", "year", china="growth")
    versus = (
        exports.filter(pl.col("country") != "CHN")
        .join(china, on=["sic4", "year"])
        .with_columns(growth=pl.col("growth") - pl.col("china"))
        .drop("china")
    )
    return {
        "tfp_growth": _with_treatment(
            tfp.select("country", "sic4", "year", "gap", growth="tfp_growth"), "tfp_growth", seed, size
        ),
        "export_growth": _with_treatment(exports, "export_growth", seed, size),
        "export_growth_vs_china": _with_treatment(versus, "export_growth_vs_china", seed, size),
    }


def truth(size: str = "small", seed: int = SEED, parameter: str = "beta") -> dict[str, float]:
    """``<outcome>:<sample>`` -> true beta of the embedded world (``beta_application_year``: the
    patents' application-year variant)."""
    rows = embedded_table("synthetic_truth", seed, size).filter(
        (pl.col("stage") == "did") & (pl.col("parameter") == parameter)
    )
    return dict(rows.select("key", "value").iter_rows())
