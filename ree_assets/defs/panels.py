"""Group ``panels``: outcome growth rates by country, SIC industry and year (Python), assembled
with the sensitivity, regions and controls into the dbt marts ``fct_*_panel``."""

import dagster as dg
import polars as pl

from ree_assets.defs.partitions import DUCKDB_POOL
from ree_assets.defs.resources import DuckDBStore
from ree_assets.reporting import frame_markdown


def _summary(frame: pl.DataFrame, column: str) -> dict:
    return {
        "countries": frame["country"].n_unique(),
        "sic_industries": frame["sic4"].n_unique(),
        "years": f"{frame['year'].min()}-{frame['year'].max()}",
        f"mean_{column}": float(frame[column].mean()),
        "annualised_over_gaps": int((frame["gap"] > 1).sum()),
    }


@dg.asset(group_name="panels", metadata={"schema": "core"}, kinds={"polars", "duckdb"}, pool=DUCKDB_POOL)
def export_growth(trade: pl.DataFrame, hs_sic_concordance: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    """Annualised midpoint growth of exports to the world by country and SIC industry (every year
    of ``trade``): g = 2 (x_t - x_p) / (x_t + x_p) / (t - p), HS6 mapped to SIC with the weights."""
    from ree_assets.core import panels

    frame = panels.export_growth(trade, hs_sic_concordance)
    return dg.Output(frame, metadata=_summary(frame, "export_growth"))


@dg.asset(group_name="panels", metadata={"schema": "core"}, kinds={"polars", "duckdb"}, pool=DUCKDB_POOL)
def tfp_growth(
    industry_stats_us: pl.DataFrame, industry_stats: pl.DataFrame, isic_sic_concordance: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    """Annualised TFP growth by country and SIC industry: NBER-CES tfp4 for the USA, INDSTAT-like
    TFP construction (perpetual-inventory capital, cost-share weights) elsewhere; also labour
    productivity growth (a robustness outcome)."""
    from ree_assets.core import panels

    frame = panels.tfp_growth(industry_stats_us, industry_stats, isic_sic_concordance)
    return dg.Output(
        frame, metadata={**_summary(frame, "tfp_growth"), "sources": ", ".join(sorted(frame["source"].unique()))}
    )


@dg.asset(
    group_name="panels",
    metadata={"schema": "core"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
    deps=[dg.AssetKey("patent_panel")],
)
def ge_innovation_panel_from_patents(
    store: DuckDBStore, ree_total_requirements: pl.DataFrame, ree_prices: pl.DataFrame, industry_stats_us: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    """The GE estimation's innovation panel from the project's own tables: REE-enhancing and other
    patent flows of patent_panel by GE sector (SIC 1987 prefix map shipped as data, with its
    source), the Laspeyres REE price index of each sector's element mix in ree_total_requirements
    (FOB China prices) and the NBER-CES manufacturing wage index."""
    from ree_assets.core import ge_panel

    mapping = ge_panel.sic_ge_map()
    frame = ge_panel.ge_innovation_panel(
        store.read_table("marts", "patent_panel"), ree_total_requirements, ree_prices, industry_stats_us, mapping
    )
    return dg.Output(
        frame,
        metadata={
            "sectors": frame["sector"].n_unique(),
            "years": f"{frame['year'].min()}-{frame['year'].max()}",
            "sic_ge_map": frame_markdown(mapping.select("sic_prefix", "ge_sector", "title")),
            "map_source": mapping["source"][0],
        },
    )
