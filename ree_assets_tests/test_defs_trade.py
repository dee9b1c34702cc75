"""The yearly trade pull: a single run over a range of years (CLI backfill) and one run per year
(UI backfill) both write exactly their years, and a rerun replaces only its year."""

import json

import dagster as dg
import polars as pl
import pytest

from ree_assets import definitions
from ree_assets.defs.partitions import trade_year_partitions
from ree_assets.defs.trade import trade
from ree_assets_tests.helpers import fingerprint, read_table, small_world, step_errors

pytestmark = pytest.mark.slow


def _run(
    database, tags: dict | None = None, partition_key: str | None = None, data_source=None
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [trade],
        resources=definitions.build_resources(str(database), data_source or small_world()),
        instance=dg.DagsterInstance.ephemeral(),
        tags=tags,
        partition_key=partition_key,
        raise_on_error=False,
    )


def test_partitions_are_2002_to_2018_with_an_explicit_end():
    keys = trade_year_partitions.get_partition_keys()
    assert keys[0] == "2002" and keys[-1] == "2018" and len(keys) == 17


def test_replicate_afsv_stays_unpartitioned_and_the_trade_refresh_is_yearly():
    assert definitions.defs.resolve_job_def("replicate_afsv").partitions_def is None
    for job in ("refresh_trade", "refresh_patents"):
        schedule = next(s for s in definitions.defs.get_repository_def().schedule_defs if s.job_name == job)
        assert schedule.cron_schedule == "0 0 1 1 *"
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED  # off until a user turns it on
    fvd = definitions.defs.resolve_job_def("replicate_fvd")
    assert fvd.partitions_def is None and {key.path[-1] for key in fvd.asset_layer.executable_asset_keys} >= {
        "fvd_citation_variables",
        "fvd_mixture_restricted",
        "fvd_parameter_sets",
        "synthetic_truth",
    }


def test_range_run_and_single_year_runs_write_their_years_only(tmp_path):
    database = tmp_path / "ree.duckdb"
    assert _run(
        database, tags={"dagster/asset_partition_range_start": "2002", "dagster/asset_partition_range_end": "2004"}
    ).success
    assert _run(database, partition_key="2006").success
    stored = read_table(database, "raw.trade")
    assert sorted(stored["year"].unique()) == [2002, 2003, 2004, 2006]
    counts = dict(stored.group_by("year").len().iter_rows())
    assert _run(database, partition_key="2003").success  # a rerun replaces 2003, keeps the rest
    again = read_table(database, "raw.trade")
    assert dict(again.group_by("year").len().iter_rows()) == counts
    year_2003 = [frame.filter(pl.col("year") == 2003).sort("reporter", "hs6") for frame in (stored, again)]
    assert year_2003[0].equals(year_2003[1])


def _comtrade_file(shared_data, folder, value: str = "68047133397") -> None:
    """The real Comtrade records of 2010 as a bulk CSV of one HS6 product (the sample holds only
    totals), the second value replaced by ``value``."""
    data = json.loads((shared_data / "trade" / "HS-60a6ad.json").read_text())["data"]
    records = pl.DataFrame(data, infer_schema_length=None).select(
        "refYear", "reporterISO", "flowCode", "partnerISO", "classificationCode", "primaryValue"
    )
    (folder / "trade").mkdir(parents=True, exist_ok=True)
    records.with_columns(
        cmdCode=pl.lit("850511"), primaryValue=pl.Series([str(v) for v in records["primaryValue"]]).scatter(1, value)
    ).write_csv(folder / "trade" / "comtrade.csv")


def test_a_trade_file_with_text_in_a_number_keeps_the_stored_year_and_names_file_line_column(shared_data, tmp_path):
    database, folder = tmp_path / "ree.duckdb", tmp_path / "local"
    assert _run(database, partition_key="2010").success
    before = fingerprint(database, "raw.trade")
    local = small_world(mode="local", data_dir=str(folder))

    _comtrade_file(shared_data, folder, "1.2e9 USD")
    result = _run(database, partition_key="2010", data_source=local)
    assert not result.success
    error = step_errors(result)["trade"]
    assert f"trade: file '{folder / 'trade' / 'comtrade.csv'}', line 3, column 'primaryValue'" in error, error
    assert "violates rule 'values of primaryValue parse as Float64' (value '1.2e9 USD')" in error
    assert fingerprint(database, "raw.trade") == before

    _comtrade_file(shared_data, folder)
    good = _run(database, partition_key="2010", data_source=local)
    assert good.success
    (event,) = good.get_asset_materialization_events()
    assert event.materialization.metadata["source_files"].value == str(folder / "trade" / "comtrade.csv")
