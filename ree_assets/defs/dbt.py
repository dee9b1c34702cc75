"""dbt models (staging views, marts) as Dagster assets, built inside the DuckDB lock discipline."""


import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from ree_assets.defs.partitions import DUCKDB_POOL
from ree_assets.defs.resources import PROJECT_ROOT, DuckDBStore

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"


@cache
def dbt_project() -> DbtProject:
    """The dbt project, parsed once: a fresh clone has no manifest yet, so parse it here
    (``prepare_if_dev`` only runs under ``dagster dev``)."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if not project.manifest_path.exists():
        project.preparer.prepare(project)
    return project


class ModelNameTranslator(DagsterDbtTranslator):
    """A model's asset key is its bare name (``ree_price_spikes``), like every other asset of the
    project; sources keep the key their ``meta.dagster.asset_key`` names."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)


def dbt_resource() -> DbtCliResource:
    """The dbt CLI of this environment (next to its Python, so an unactivated venv works too)."""
    executable = shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"
    return DbtCliResource(project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=executable)


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=ModelNameTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    pool=DUCKDB_POOL,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, store: DuckDBStore) -> Iterator:
    """``dbt build`` of the selected models; their data tests run as asset checks. Groups come
    from ``meta.dagster.group`` in the model YAML."""
    previous = os.environ.get("REE_DUCKDB_PATH")
    os.environ["REE_DUCKDB_PATH"] = str(Path(store.database).resolve())  # read by profiles.yml in the subprocess
    try:
        yield from dbt.cli(["build"], context=context).stream()
    finally:
        if previous is None:
            os.environ.pop("REE_DUCKDB_PATH")
        else:
            os.environ["REE_DUCKDB_PATH"] = previous
