"""The Polars <-> DuckDB IO manager: whole-table replacement and yearly partitions."""

import dagster as dg
import polars as pl

from ree_assets.defs.partitions import trade_year_partitions
from ree_assets.defs.resources import PolarsDuckDBIOManager
from ree_assets_tests.helpers import read_table

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
