"""Jobs and schedules: the replication job of the AFSV chain. The yearly refresh of the data
pulls (a schedule over ``yearly_partitions``) comes with the partitioned pull assets."""

from __future__ import annotations

import dagster as dg

#: The main job ``make run`` materialises: every asset of the AFSV chain on the selected source.
replicate_afsv = dg.define_asset_job(
    "replicate_afsv",
    selection=dg.AssetSelection.groups("sources", "io_table", "ge_model"),
    description="Rebuild the AFSV evidence chain: sources, REE IO table and sensitivity, GE model.",
)

#: The yearly trade pull (one partition per year; backfills over 2002-2018 from the UI or CLI).
refresh_trade = dg.define_asset_job("refresh_trade", selection=dg.AssetSelection.assets("trade"),
                                    description="Pull one year of Comtrade trade (partitioned by year).")

jobs = [replicate_afsv, refresh_trade]
schedules: list[dg.ScheduleDefinition] = [dg.build_schedule_from_partitioned_job(refresh_trade)]
