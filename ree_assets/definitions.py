"""The ree_assets code location: assets, checks, jobs, schedules and resources.

Kept light to load: heavy libraries (Great Expectations, datacontract, cvxpy, cyipopt) are
imported inside the steps that use them.
"""

import dagster as dg

from ree_assets.defs import (
    asset_specs,
    automation,
    dbt,
    did,
    ge_model,
    io_table,
    panels,
    patents,
    quality,
    report,
    schedules,
    sensitivity,
    sources,
    spillovers,
    trade,
)
from ree_assets.defs.resources import DataSource, DuckDBStore, PolarsDuckDBIOManager, duckdb_path
from ree_assets.instance import warn_if_foreign

warn_if_foreign()  # the UI and `dg` load this module: say so when runs go to an instance of the user's


def build_resources(database: str | None = None, data_source: DataSource | None = None) -> dict:
    """The resources of a run: one DuckDB file, its IO manager, dbt, the data source, the patent
    classifier, the FVD sample and the code location's lineage (over ``defs``, built below)."""
    database = database or duckdb_path()
    return {
        "store": DuckDBStore(database=database),
        "io_manager": PolarsDuckDBIOManager(database=database),
        "data_source": data_source or DataSource(),
        "dbt": dbt.dbt_resource(),
        "patent_classifier": patents.PatentClassifier(),
        "fvd_sample": spillovers.FvdSample(),
        "lineage": sources.Lineage(lambda: defs),
    }


assets = [
    *sources.raw_assets,
    dbt.dbt_models,
    io_table.ree_extended_tables,
    io_table.total_requirements,
    io_table.ree_total_requirements,
    io_table.total_requirements_vs_published,
    io_table.ree_requirements_vs_published,
    sensitivity.ree_sensitivity,
    sensitivity.ree_sensitivity_country,
    ge_model.ree_elasticities,
    ge_model.ge_baseline,
    ge_model.ge_counterfactual_exogenous,
    ge_model.ge_counterfactual_endogenous,
    ge_model.ge_tax_sweep,
    *patents.assets,
    *spillovers.assets,
    trade.trade,
    panels.export_growth,
    panels.tfp_growth,
    panels.ge_innovation_panel_from_patents,
    *did.did_assets,
    *did.event_study_assets,
    report.replication_report,
]
#: Owners, tags, column schemas and automation conditions, set here for every asset alike.
assets = automation.automate(asset_specs.annotate(assets))
asset_checks = [
    *quality.contract_checks({key for asset in assets for key in asset.keys}),
    *quality.gx_checks,
    *quality.cross_table_checks,
]

defs = dg.Definitions(
    assets=assets,
    asset_checks=asset_checks,
    jobs=schedules.jobs,
    schedules=schedules.schedules,
    sensors=[automation.update_after_pulls],
    resources=build_resources(),
    executor=dg.in_process_executor,
)
