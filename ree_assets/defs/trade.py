"""The yearly Comtrade pull ``trade``, partitioned by year (2002-2018), in group ``panels`` (like
the partitioned patent pulls in ``patents``), so the unpartitioned ``sources`` group (and the
``replicate_afsv`` job over it) keeps running without a partition key.

One run may receive a range of years (``BackfillPolicy.single_run()``: the CLI's
``--partition-range``); it writes each year of the range, and the IO manager replaces only those
years' rows. A UI backfill may also run one year per run.
"""

import dagster as dg
import polars as pl

from ree_assets.defs.partitions import DUCKDB_POOL, SINGLE_RUN, trade_year_partitions
from ree_assets.defs.resources import DataSource
from ree_assets.sources.contracts import contract_path, contract_purpose


@dg.asset(
    name="trade",
    group_name="panels",
    description=contract_purpose("trade"),
    partitions_def=trade_year_partitions,
    backfill_policy=SINGLE_RUN,
    metadata={"schema": "raw", "contract": contract_path("trade").name, "partition_expr": "year"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def trade(context: dg.AssetExecutionContext, data_source: DataSource) -> dg.Output[pl.DataFrame]:
    """Canonical ``trade`` rows of the run's years (reporter, partner, flow, hs6, hs_vintage, year);
    in download mode from the UN Comtrade API (``sources/comtrade_api.py``), which stops cleanly
    when the day's calls are spent and resumes from its cached pages the next day."""
    from ree_assets.sources.comtrade_api import QuotaExhausted, read_api_years
    from ree_assets.sources.download import log_progress

    window = context.partition_time_window
    run_years = range(window.start.year, window.end.year)
    if data_source.mode == "download":
        try:
            frame = read_api_years(
                run_years,
                data_source.settings(),
                log=context.log.info,
                progress=lambda label: log_progress(context.log.info, label),
            )
        except QuotaExhausted as error:
            raise dg.Failure(str(error), allow_retries=False) from error
    else:
        frame = data_source.read("trade").filter(pl.col("year").is_between(run_years.start, run_years.stop - 1))
    years = frame["year"].value_counts().sort("year")
    missing = sorted(set(run_years) - set(years["year"]))
    if missing:
        raise dg.Failure(
            f"trade: the {data_source.mode!r} source has no rows for {missing} (minimum row count per partition is 1)"
        )
    return dg.Output(
        frame,
        metadata={
            "rows_per_year": dg.MetadataValue.md("\n".join(f"- {y}: {n}" for y, n in years.iter_rows())),
            "source_mode": data_source.mode,
            "source_files": data_source.origin("trade"),
        },
    )
