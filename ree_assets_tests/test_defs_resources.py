"""The Polars <-> DuckDB IO manager: whole-table replacement, yearly partitions, and the outputs
of a multi-output step published together."""

import dagster as dg
import duckdb
import polars as pl
import pytest
from filelock import FileLock, Timeout

from ree_assets.defs.partitions import trade_year_partitions
from ree_assets.defs.resources import PolarsDuckDBIOManager
from ree_assets_tests.helpers import fingerprint, read_table, step_errors

VALUE = {"value": 1.0}


@dg.asset(partitions_def=trade_year_partitions, metadata={"schema": "raw", "partition_expr": "year"})
def yearly_pull(context: dg.AssetExecutionContext) -> pl.DataFrame:
    year = int(context.partition_key)
    return pl.DataFrame({"year": [year, year], "item": ["a", "b"], "value": [VALUE["value"]] * 2})


@dg.asset(partitions_def=trade_year_partitions, metadata={"schema": "raw", "partition_expr": "year"})
def leaky_pull(context: dg.AssetExecutionContext) -> pl.DataFrame:
    return pl.DataFrame({"year": [int(context.partition_key) + 1], "value": [1.0]})


@dg.asset(metadata={"schema": "core"})
def all_years(yearly_pull: pl.DataFrame) -> pl.DataFrame:
    return yearly_pull.group_by("year").agg(pl.col("value").sum()).sort("year")


def _materialize(database, assets, partition_key=None):
    return dg.materialize(
        assets,
        partition_key=partition_key,
        instance=dg.DagsterInstance.ephemeral(),
        resources={"io_manager": PolarsDuckDBIOManager(database=str(database))},
        raise_on_error=False,
    )


def test_a_partition_replaces_only_its_own_year_and_downstream_reads_every_year(tmp_path, monkeypatch):
    database = tmp_path / "ree.duckdb"
    for year in ("2002", "2003"):
        assert _materialize(database, [yearly_pull], year).success
    monkeypatch.setitem(VALUE, "value", 5.0)
    assert _materialize(database, [yearly_pull], "2003").success
    stored = read_table(database, "raw.yearly_pull").sort("year", "item")
    assert stored["year"].to_list() == [2002, 2002, 2003, 2003]
    assert stored["value"].to_list() == [1.0, 1.0, 5.0, 5.0]
    assert _materialize(database, [yearly_pull.to_source_asset(), all_years]).success
    assert read_table(database, "core.all_years")["value"].to_list() == [2.0, 10.0]


def test_rows_outside_the_written_partition_are_refused_and_nothing_is_written(tmp_path):
    database = tmp_path / "ree.duckdb"
    result = _materialize(database, [leaky_pull], "2005")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "outside the written partitions" in str(failure.event_specific_data.error)
    assert not database.exists(), "the refused rows never reached the database"


TWO = {"second_year_rows": 1, "fail_after_first": False}


@dg.multi_asset(
    partitions_def=trade_year_partitions,
    outs={
        name: dg.AssetOut(metadata={"schema": "raw", "partition_expr": "year"})
        for name in ("first_table", "second_table")
    },
)
def two_tables(context: dg.AssetExecutionContext):
    year = int(context.partition_key)
    yield dg.Output(pl.DataFrame({"year": [year], "value": [VALUE["value"]]}), output_name="first_table")
    if TWO["fail_after_first"]:
        raise RuntimeError("the step fails between its outputs")
    rows = TWO["second_year_rows"]
    yield dg.Output(pl.DataFrame({"year": [year] * rows, "value": [VALUE["value"]] * rows}), output_name="second_table")


def _journal(database, run_id: str) -> list[tuple[str, str]]:
    with duckdb.connect(str(database), read_only=True) as con:
        query = "SELECT target, status FROM wap.journal WHERE run_id = ? ORDER BY recorded_at, target"
        return con.execute(query, [run_id]).fetchall()


def _lock_is_free(database) -> bool:
    try:
        FileLock(str(database) + ".lock").acquire(timeout=0).lock.release()
    except Timeout:
        return False
    return True


@pytest.mark.parametrize("failure", ["second output breaks a rule", "step fails after the first output"])
def test_the_outputs_of_a_step_are_published_together_or_not_at_all(tmp_path, monkeypatch, failure):
    database = tmp_path / "ree.duckdb"
    assert _materialize(database, [two_tables], "2005").success
    before = {table: fingerprint(database, f"raw.{table}") for table in ("first_table", "second_table")}
    monkeypatch.setitem(VALUE, "value", 5.0)
    monkeypatch.setitem(TWO, *(("second_year_rows", 0) if failure.startswith("second") else ("fail_after_first", True)))

    result = _materialize(database, [two_tables], "2005")

    assert not result.success
    assert {table: fingerprint(database, f"raw.{table}") for table in before} == before
    journal = _journal(database, result.run_id)
    assert ("raw.first_table", "staged") in journal and ("raw.first_table", "rejected") in journal
    assert not any(status == "published" for _, status in journal), journal
    if failure.startswith("second"):
        error = step_errors(result)["two_tables"]
        assert "raw.second_table partitions 2005...2005" in error and "no rows for year(s) [2005]" in error
        assert "neither were the step's other outputs raw.first_table" in error
    assert _lock_is_free(database)
    monkeypatch.setitem(TWO, "second_year_rows", 1)
    monkeypatch.setitem(TWO, "fail_after_first", False)
    assert _materialize(database, [two_tables], "2005").success
    assert read_table(database, "raw.first_table")["value"].to_list() == [5.0]
    assert read_table(database, "raw.second_table")["value"].to_list() == [5.0]
