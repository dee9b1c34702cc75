"""dbt models (staging views, marts) as Dagster assets, built inside the DuckDB lock discipline."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from ree_assets.defs.partitions import DUCKDB_POOL
from ree_assets.defs.resources import PROJECT_ROOT, DuckDBStore
from ree_assets.sources.contracts import contract_path
from ree_assets.storage.audit import run_contract
from ree_assets.storage.lock import database_lock
from ree_assets.storage.publish import drop_staged, record_audits
from ree_assets.storage.wap import STAGING_PREFIX

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"


def dbt_executable() -> str:
    """The dbt CLI of this environment (next to its Python, so an unactivated venv works too)."""
    return shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"


@cache
def dbt_project() -> DbtProject:
    """The dbt project, parsed once: a fresh clone has no manifest yet, and a pulled change to a
    model makes it stale, so parse it here with this environment's dbt when a model, macro or the
    project file is newer than the manifest (``prepare_if_dev`` only runs under ``dagster dev``)."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    sources = [
        DBT_PROJECT_DIR / "dbt_project.yml",
        *(DBT_PROJECT_DIR / "models").rglob("*"),
        *(DBT_PROJECT_DIR / "macros").rglob("*"),
    ]
    if (
        not project.manifest_path.exists()
        or max(path.stat().st_mtime for path in sources) > project.manifest_path.stat().st_mtime
    ):
        subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--profiles-dir", str(DBT_PROJECT_DIR)],
            cwd=DBT_PROJECT_DIR,
            check=True,
        )
    return project


class ModelNameTranslator(DagsterDbtTranslator):
    """A model's asset key is its bare name (``ree_price_spikes``), like every other asset of the
    project; sources keep the key their ``meta.dagster.asset_key`` names."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)


def dbt_resource() -> DbtCliResource:
    """The dbt CLI resource of the project, with this environment's dbt."""
    return DbtCliResource(project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable())


@cache
def model_schemas() -> dict[str, str]:
    """dbt model name -> the schema it is published in (from the parsed manifest)."""
    manifest = json.loads(dbt_project().manifest_path.read_text())
    return {node["name"]: node["schema"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}


def _contract_audits(models: Sequence[str]) -> list[tuple[str, Path]]:
    """The selected dbt models that have an ODCS contract, with its file."""
    return [(model, contract_path(model)) for model in models if contract_path(model).is_file()]


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=ModelNameTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    pool=DUCKDB_POOL,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, store: DuckDBStore) -> Iterator:
    """Write-audit-publish for dbt: ``dbt build`` of the selected models into the ``wap_*``
    schemas (their data tests run there), the ODCS contracts of the built marts audited there, and
    only then ``dbt run`` into the published schemas. A failed test or contract leaves the
    published views and marts as they were. Groups come from ``meta.dagster.group`` in the YAML."""
    database = str(Path(store.database).resolve())
    with database_lock(database, f"dbt build (run {context.run.run_id[:8]})"), _dbt_database(database):
        staged = dbt.cli(["build", "--vars", "{wap: true}"], context=context, raise_on_error=False)
        checks = [event for event in staged.stream() if isinstance(event, dg.AssetCheckResult)]
        models = [key.path[-1] for key in context.selected_asset_keys]
        staged_in = {model: STAGING_PREFIX + model_schemas()[model] for model in models}
        findings = {model: run_contract(path, database, staged_in[model]) for model, path in _contract_audits(models)}
        record_audits(
            database, context.run.run_id, {model: {"odcs_contract": found} for model, found in findings.items()}
        )
        failed = [c for c in checks if not c.passed] + [f for found in findings.values() for f in found]
        if failed or not staged.is_successful():
            yield from checks
            raise dg.Failure(
                description="dbt models NOT published (the published views and marts keep their rows): "
                + "; ".join(_describe(f) for f in failed)
                if failed
                else "dbt build failed; see its log"
            )
        yield from (
            event for event in dbt.cli(["run"], context=context).stream() if not isinstance(event, dg.AssetCheckResult)
        )
        yield from checks
        drop_staged(database, [(schema, model) for model, schema in staged_in.items()])


def _describe(failure) -> str:
    """One failed dbt test (an asset check result) or contract finding, in words."""
    if isinstance(failure, dg.AssetCheckResult):
        return f"dbt test {failure.check_name} on {failure.asset_key.to_user_string()}"
    return f"contract: {failure.line()}"


@contextmanager
def _dbt_database(database: str) -> Iterator[None]:
    """``REE_DUCKDB_PATH`` set for the dbt subprocess (profiles.yml reads it), then restored."""
    previous = os.environ.get("REE_DUCKDB_PATH")
    os.environ["REE_DUCKDB_PATH"] = database
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("REE_DUCKDB_PATH")
        else:
            os.environ["REE_DUCKDB_PATH"] = previous
