"""dbt models (staging views, marts) as Dagster assets, built inside the DuckDB lock discipline."""

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging import version

from ree_assets.defs.partitions import DUCKDB_POOL
from ree_assets.defs.resources import PROJECT_ROOT, DuckDBStore
from ree_assets.sources.contracts import contract_path
from ree_assets.storage.audit import run_contract
from ree_assets.storage.dbt_failures import TEST_FAILURES_SCHEMA, read_build
from ree_assets.storage.lock import child_process, database_lock
from ree_assets.storage.publish import journal_staged, record_audits, settle_built
from ree_assets.storage.wap import Staged, Target

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
#: The environment of dbt and sqlfluff's dbt templater (``make setup``; ``dbt/requirements.txt``).
DBT_ENVIRONMENT = PROJECT_ROOT / ".venv" / "dbt"
#: The launcher dagster-dbt runs as dbt: the real dbt, killed with the process that starts it.
DBT_CHILD = Path(__file__).with_name("dbt_child.py")
#: dbt's parse state file. dagster-dbt starts each invocation from the one ``make setup``'s parse
#: left in ``target/``, which a staged build's var ``wap`` or another database (the profile's path)
#: makes stale, so dbt would parse the project afresh (about 3 s). Each command keeps its own per
#: database instead, in ``target/<command>-<database digest>/``, next to its invocations' folders.
PARTIAL_PARSE = "partial_parse.msgpack"


def dbt_executable() -> str:
    """The dbt CLI: that of the project's dbt environment (``.venv/dbt``, which ``make setup``
    installs from ``dbt/requirements.txt``), else one next to this Python (an environment that
    installs dbt itself; an unactivated venv works too), else the PATH's."""
    folders = [DBT_ENVIRONMENT / "bin", Path(sys.executable).parent, *os.environ.get("PATH", "").split(os.pathsep)]
    return shutil.which("dbt", path=os.pathsep.join(map(str, folders))) or "dbt"


def dbt_core_version(executable: str) -> version.Version | None:
    """dbt-core's version in the environment of the dbt CLI ``executable`` (``<env>/bin/dbt``),
    read from its package metadata; None when that is not a Python environment holding dbt-core."""
    environment = Path(executable).resolve().parent.parent
    packages = [str(folder) for folder in environment.glob("lib/python*/site-packages")]
    versions = [package.version for package in importlib.metadata.distributions(name="dbt-core", path=packages)]
    return version.parse(versions[0]) if versions else None


@cache
def dbt_project() -> DbtProject:
    """The dbt project, parsed once: a fresh clone has no manifest yet, and a pulled change to a
    model makes it stale, so parse it here with the project's dbt when a model, macro or the
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


class ProjectDbtCli(DbtCliResource):
    """dagster-dbt's CLI resource without two costs of each invocation that the project does not use.

    Before every ``dbt`` command, ``DbtCliResource.cli`` starts ``dbt --version`` (about 3 s, once
    per step) and builds a dbt adapter inside the Dagster process, parsing the project's macros
    (about 3 s per command, so 6 s per step of ``build`` then ``run``). The adapter serves only
    ``fetch_row_counts`` and ``fetch_column_metadata`` of the event stream, which the project does
    not call (its tables' schemas come from the contracts, ``asset_specs``). dagster-dbt offers no
    setting for either, so the two private members are overridden here; a test fails if a new
    dagster-dbt renames them.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        """The version of the dbt-core ``dbt_child.py`` runs, from its environment's package
        metadata (else dagster-dbt's ``dbt --version``)."""
        return dbt_core_version(dbt_executable()) or super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        """No in-process adapter: each invocation streams its events without one."""
        return None


def dbt_resource() -> ProjectDbtCli:
    """The dbt CLI resource of the project. Its executable is ``dbt_child.py``, which runs
    :func:`dbt_executable` as a process that dies with the step that started it."""
    return ProjectDbtCli(project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=str(DBT_CHILD))


@cache
def model_schemas() -> dict[str, str]:
    """dbt model name -> the schema it is published in (from the parsed manifest)."""
    manifest = json.loads(dbt_project().manifest_path.read_text())
    return {node["name"]: node["schema"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}


def _contract_audits(staged: Sequence[Staged]) -> list[tuple[Staged, Path]]:
    """The staged dbt models that have an ODCS contract, with its file."""
    return [(version, contract_path(version[1])) for version in staged if contract_path(version[1]).is_file()]


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=ModelNameTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    pool=DUCKDB_POOL,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, store: DuckDBStore) -> Iterator:
    """Write-audit-publish for dbt: ``dbt build`` of the selected models into the ``wap_*``
    schemas (their data tests run there), the ODCS contracts of the built marts audited there, and
    only then ``dbt run`` into the published schemas. A failed model, test or contract leaves the
    published views and marts as they were, and the error names each failure. The staged models are
    journalled like the IO manager's versions, and dbt runs as a child that dies with the run,
    recorded with the file's lock. Groups come from ``meta.dagster.group`` in the YAML."""
    database = str(Path(store.database).resolve())
    run_id = context.run.run_id
    models = [key.path[-1] for key in context.selected_asset_keys]
    staged = [(Target(model_schemas()[model], model), model) for model in models]
    with database_lock(database, f"dbt build (run {run_id[:8]})"), _environment(_dbt_settings(database)):
        journal_staged(database, staged, run_id=run_id)
        build = _invoke(dbt, ["build", "--vars", "{wap: true}"], context, database, raise_on_error=False)
        with child_process(database, build.process.pid):
            checks = [event for event in build.stream() if isinstance(event, dg.AssetCheckResult)]
            built = build.is_successful()
        _keep_parse_state(build)
        report = read_build(database, build.target_path)
        findings = {
            model: run_contract(path, database, target.staging_schema)
            for (target, model), path in _contract_audits(staged)
            if model in report.built
        }
        record_audits(database, run_id, {model: {"odcs_contract": found} for model, found in findings.items()})
        failures = report.failures + [f"contract of {m}: {f.line()}" for m, found in findings.items() for f in found]
        if failures or not built:
            message = "dbt models NOT published (the published views and marts keep their rows):\n" + "\n".join(
                f"  - {line}" for line in failures or [f"dbt build failed: {build.get_error()}"]
            )
            settle_built(database, staged, run_id=run_id, reason=message, scratch=[TEST_FAILURES_SCHEMA])
            yield from checks
            raise dg.Failure(description=message)
        run = _invoke(dbt, ["run"], context, database)
        with child_process(database, run.process.pid):
            yield from (event for event in run.stream() if not isinstance(event, dg.AssetCheckResult))
        _keep_parse_state(run)
        yield from checks
        settle_built(database, staged, run_id=run_id, scratch=[TEST_FAILURES_SCHEMA])


def _dbt_settings(database: str) -> dict[str, str]:
    """The variables of the dbt subprocess: ``REE_DUCKDB_PATH`` (profiles.yml reads it), and for
    ``dbt_child.py`` the real dbt and the process it must die with."""
    return {"REE_DUCKDB_PATH": database, "REE_DBT_EXECUTABLE": dbt_executable(), "REE_DBT_PARENT": str(os.getpid())}


@contextmanager
def _environment(settings: Mapping[str, str]) -> Iterator[None]:
    """``settings`` in this process's environment, then the previous values restored."""
    previous = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name)
            else:
                os.environ[name] = value


def _invoke(
    dbt: DbtCliResource, args: list[str], context: dg.AssetExecutionContext, database: str, **options: Any
) -> DbtCliInvocation:
    """``dbt <args>`` on ``database`` in a folder under ``target/<command>-<database digest>/``,
    starting from the parse state the last such invocation kept there."""
    digest = hashlib.sha256(database.encode()).hexdigest()[:12]
    with _environment({"DBT_TARGET_PATH": str(Path("target") / f"{args[0]}-{digest}")}):
        return dbt.cli(args, context=context, **options)


def _keep_parse_state(invocation: DbtCliInvocation) -> None:
    """The parse state a finished invocation wrote, kept for the next of its command (replaced
    atomically: runs of other processes may read it)."""
    written = invocation.target_path / PARTIAL_PARSE
    if written.is_file():
        kept = invocation.target_path.parent / PARTIAL_PARSE
        staging = kept.with_name(f"{PARTIAL_PARSE}.{os.getpid()}")
        shutil.copyfile(written, staging)
        staging.replace(kept)
