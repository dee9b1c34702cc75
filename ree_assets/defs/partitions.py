"""Partitions and concurrency pools shared by the stages. The pulls are partitioned by year:
Dagster has no YearlyPartitionsDefinition; a Jan-1 cron with a %Y key is the same thing."""

from __future__ import annotations

import warnings

import dagster as dg

#: The yearly pulls need a single-run backfill policy (one run writes every year of a range, and
#: ``--partition-range`` requires it); Dagster marks the parameter beta and warns at every import.
#: The warning is known and accepted here, so it is silenced for this parameter only.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

#: The backfill policy of every yearly pull.
SINGLE_RUN = dg.BackfillPolicy.single_run()

#: Every step that opens the DuckDB file takes this pool (limit 1 in dagster.yaml): DuckDB
#: allows one writing process, and a writer locks readers in other processes out.
DUCKDB_POOL = "duckdb"

#: Grant years of the patent pulls: 1969 (the FVD window reaches seven years before the first
#: focal application year, 1976) to 2018, with an explicit end (``end`` is exclusive) so no empty
#: partitions appear as years pass (``specs/patents_and_did.md``).
patent_year_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *",
    fmt="%Y",
    start="1969",
    end="2019",
)

#: Trade by year, 2002-2018 (specs/patents_and_did.md): an explicit end, so no empty partitions
#: appear as years pass (the end is exclusive: 2019-01-01 closes 2018).
trade_year_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *",
    fmt="%Y",
    start="2002",
    end="2019",
)
