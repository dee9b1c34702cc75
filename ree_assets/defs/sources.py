"""Group ``sources``: one asset per canonical raw table, fed by the selected data-source mode."""


import dagster as dg
import polars as pl

from ree_assets.defs.partitions import DUCKDB_POOL
from ree_assets.defs.resources import DataSource
from ree_assets.sources.contracts import contract_columns, contract_path

#: Canonical raw tables with their one-line description (``specs/tables.md``).
RAW_TABLES: dict[str, str] = {
    "ree_prices": "Yearly REE oxide prices by element and market (USD/kg).",
    "ree_imports": "REE imports by country, element, partner and year (USD), for the China-share variant.",
    "ree_complementarity": "How hard each element is to substitute (0-100).",
    "ree_application_composition": "Share of each application in REE use and its element composition.",
    "ree_end_use": "A country's REE end-use split by application (shares summing to 1).",
    "ree_consumption": "REE consumption by country and year (tonnes of rare-earth oxide).",
    "application_industry_map": "Which BEA industry buys each application's REE, and the carrier commodities.",
    "ree_parameters": "Scalar parameters of the REE stage (magnet REE cost share).",
    "bea_use": "BEA 2012 benchmark detail Use table, producers' prices, totals included (USD million).",
    "bea_make": "BEA 2012 benchmark detail Make table (USD million).",
    "bea_codes": "BEA codes with their names and kinds (commodity, industry, final demand, value added, total).",
    "bea_sic_concordance": "BEA 2012 detail codes -> SIC 1987 4-digit industries, weights summing to 1.",
    "wiod": "World input-output table, long (year, row country/industry, column country/use; USD million).",
    "ge_innovation_panel": "REE-enhancing and other patent flows, REE price and wage indices by GE sector and year.",
}


def raw_table_asset(table: str, description: str) -> dg.AssetsDefinition:
    """An asset that reads one canonical raw table from the data source into ``raw.<table>``."""

    @dg.asset(
        name=table,
        group_name="sources",
        description=description,
        metadata={"schema": "raw", "contract": str(contract_path(table).name)},
        kinds={"polars", "duckdb"},
        pool=DUCKDB_POOL,
    )
    def _raw_table(context: dg.AssetExecutionContext, data_source: DataSource) -> dg.Output[pl.DataFrame]:
        frame = data_source.read(table)
        context.log.info(f"{table}: {frame.height} rows from the {data_source.mode!r} source")
        return dg.Output(frame, metadata={"source_mode": data_source.mode})

    return _raw_table


@dg.asset(
    group_name="sources",
    metadata={"schema": "raw", "contract": "synthetic_truth.yaml"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def synthetic_truth(context: dg.AssetExecutionContext, data_source: DataSource) -> dg.Output[pl.DataFrame]:
    """The true parameters of the embedded world (stage, parameter, key, value): compare any
    estimate with what it should recover. Empty outside ``embedded`` mode."""
    if data_source.mode != "embedded":
        context.log.info("not in embedded mode: there is no synthetic truth")
        return dg.Output(pl.DataFrame(schema=contract_columns("synthetic_truth")))
    truth = data_source.read("synthetic_truth")
    return dg.Output(truth, metadata={"stages": dg.MetadataValue.text(", ".join(truth["stage"].unique().sort()))})


raw_assets = [raw_table_asset(table, description) for table, description in RAW_TABLES.items()]
