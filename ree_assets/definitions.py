"""The ree_assets code location: assets, checks, jobs, schedules and resources.

Kept light to load: heavy libraries (Great Expectations, datacontract, cvxpy, cyipopt) are
imported inside the steps that use them.
"""

from __future__ import annotations

import dagster as dg

from ree_assets.defs import dbt, quality, schedules, sources
from ree_assets.defs.resources import DataSource, DuckDBStore, PolarsDuckDBIOManager

store = DuckDBStore()

assets = [*sources.raw_assets, sources.synthetic_truth, dbt.dbt_models]
asset_keys = {key for asset in assets for key in asset.keys}

defs = dg.Definitions(
    assets=assets,
    asset_checks=[*quality.contract_checks(asset_keys), *quality.gx_checks],
    jobs=schedules.jobs,
    schedules=schedules.schedules,
    resources={
        "store": store,
        "io_manager": PolarsDuckDBIOManager(store=store),
        "data_source": DataSource(),
        "dbt": dbt.dbt_resource(),
    },
    executor=dg.in_process_executor,
)
