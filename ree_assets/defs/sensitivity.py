"""Group ``io_table`` (sensitivity): the REE sensitivity of SIC industries and its country variants."""

import dagster as dg
import polars as pl

from ree_assets.defs.gate import publish_if_invariants_hold
from ree_assets.defs.partitions import DUCKDB_POOL
from ree_assets.defs.resources import DuckDBStore


@dg.asset(
    group_name="io_table",
    metadata={"schema": "core"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            "covers_sic_manufacturing",
            asset="ree_sensitivity",
            blocking=True,
            description="Every SIC manufacturing industry (2000-3999) the concordance reaches has a sensitivity.",
        )
    ],
)
def ree_sensitivity(
    ree_total_requirements: pl.DataFrame, ree_complementarity: pl.DataFrame, bea_sic_concordance: pl.DataFrame
):
    """Sens_s = sum_e tr_e,s x complementarity_e / 100 (AFSV): the REE exposure of SIC industry s,
    of order 1e-3 to 1e-2. Effects are also reported per standard deviation of Sens."""
    from ree_assets.core import sensitivity

    frame = sensitivity.ree_sensitivity(ree_total_requirements, ree_complementarity)
    missing = sorted(set(sensitivity.manufacturing_sic4(bea_sic_concordance["sic4"])) - set(frame["sic4"]))
    values = frame["sensitivity"]
    yield from publish_if_invariants_hold(
        [
            dg.Output(
                frame,
                metadata={
                    "mean": float(values.mean()),
                    "std": float(values.std()),
                    "max": float(values.max()),
                    "sic_industries": frame.height,
                },
            )
        ],
        [
            dg.AssetCheckResult(
                check_name="covers_sic_manufacturing",
                passed=not missing,
                metadata={"missing_sic4": ", ".join(missing[:50]) or "none", "n_missing": len(missing)},
            )
        ],
    )


@dg.asset(
    group_name="io_table",
    metadata={"schema": "core"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
    deps=[dg.AssetKey("ree_price_spikes")],
)
def ree_sensitivity_country(
    store: DuckDBStore, ree_total_requirements: pl.DataFrame, ree_imports: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    """Country-sector robustness variants: sum_e tr_e,s x (country's 2011 peak over 2009 price of
    e, read from the dbt mart ``ree_price_spikes``) [price_spike] and sum_e tr_e,s x (pre-2010 share
    of the country's imports of e from China) [china_import_share]."""
    from ree_assets.core import sensitivity

    price_spikes = store.read_table("marts", "ree_price_spikes")
    frame = sensitivity.ree_sensitivity_country(ree_total_requirements, price_spikes, ree_imports)
    return dg.Output(
        frame,
        metadata={"countries": frame["country"].n_unique(), "variants": ", ".join(frame["variant"].unique().sort())},
    )
