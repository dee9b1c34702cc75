"""Helpers for tests that materialise assets: a temporary DuckDB file and a small world."""

from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from ree_assets.defs.resources import DataSource
from ree_assets.sources.contracts import contract_path


def small_world(**overrides) -> DataSource:
    """The embedded source at test size (same shapes, fewer industries and economies)."""
    return DataSource(**{"mode": "embedded", "size": "small", **overrides})


def materialize(
    database: Path,
    selection=None,
    data_source: DataSource | None = None,
    partition_key: str | None = None,
    run_config: dict | None = None,
    instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialise assets and their checks of the code location into ``database`` (recorded in
    ``instance``, by default a new ephemeral one)."""
    from ree_assets import definitions

    return dg.materialize(
        [*definitions.assets, *definitions.asset_checks],
        selection=selection,
        resources=definitions.build_resources(str(database), data_source or small_world()),
        instance=instance or dg.DagsterInstance.ephemeral(),
        partition_key=partition_key,
        run_config=run_config,
        raise_on_error=False,
    )


def materialize_years(
    database: Path,
    first: str,
    last: str,
    selection,
    data_source: DataSource | None = None,
    instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    """One run over the yearly partitions first..last (what ``--partition-range first...last``
    launches for assets with a single-run backfill policy), recorded in ``instance`` (by default
    a new ephemeral one)."""
    from ree_assets import definitions

    return dg.materialize(
        [*definitions.assets, *definitions.asset_checks],
        selection=selection,
        resources=definitions.build_resources(str(database), data_source or small_world()),
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
    )


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    """The assets a run materialised."""
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def failed_checks(
    result: dg.ExecuteInProcessResult, selection: dg.AssetSelection | None = None
) -> dict[tuple[str, str], str]:
    """(asset, check) -> description of every check that did not pass (on the assets of
    ``selection``, if given)."""
    failed = {key: str(c.description) for key, c in check_results(result).items() if not c.passed}
    if selection is None:
        return failed
    from ree_assets import definitions

    assets = {key.to_user_string() for key in selection.resolve(definitions.defs.resolve_asset_graph())}
    return {(asset, check): description for (asset, check), description in failed.items() if asset in assets}


def step_errors(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    """step -> error message of every step that failed."""
    return {
        e.step_key: str(e.event_specific_data.error) for e in result.all_events if e.event_type_value == "STEP_FAILURE"
    }


def read_table(database: Path, qualified_name: str) -> pl.DataFrame:
    """A stored table, read back for assertions."""
    with duckdb.connect(str(database), read_only=True) as con:
        return pl.from_arrow(con.execute(f"SELECT * FROM {qualified_name}").arrow())


def fingerprint(database: Path, qualified_name: str) -> tuple[int, int]:
    """(row count, sum of row hashes) of a stored table or view: equal before and after means
    the rows are byte for byte the same."""
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(f"SELECT COUNT(*), COALESCE(SUM(hash(t)), 0) FROM {qualified_name} t").fetchone()


def check_results(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    """(asset, check name) -> evaluation, for every check the run evaluated."""
    return {
        (e.event_specific_data.asset_key.to_user_string(), e.event_specific_data.check_name): e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def store(database, schema: str, table: str, frame: pl.DataFrame) -> None:
    """Write a frame as ``<schema>.<table>`` of the DuckDB file ``database`` (replacing it)."""
    arrow = frame.to_arrow()  # noqa: F841 - read by DuckDB below
    with duckdb.connect(str(database)) as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(f"CREATE OR REPLACE TABLE {schema}.{table} AS SELECT * FROM arrow")


def failed_rules(database, table: str, frame: pl.DataFrame) -> set[str]:
    """Store ``frame`` as ``raw.<table>`` and test it against the table's contract: the names of
    the rules that did not pass."""
    from ree_assets.storage.audit import run_contract

    store(database, "raw", table, frame)
    return {f.rule for f in run_contract(contract_path(table), str(database))}


def published_fingerprints(database) -> dict[str, tuple[int, int]]:
    """:func:`fingerprint` of every published table and view of the file (all schemas but the
    staging ``wap_*`` ones and the journal ``wap``)."""
    with duckdb.connect(str(database), read_only=True) as con:
        names = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema <> 'wap' AND table_schema NOT LIKE 'wap\\_%' ESCAPE '\\' ORDER BY 1"
        ).fetchall()
    return {name: fingerprint(database, name) for (name,) in names}
