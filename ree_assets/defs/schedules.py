"""Jobs and schedules: the replication jobs of the two studies and the yearly refreshes of the
partitioned pulls (their schedules are off until a user turns them on in the UI)."""

from __future__ import annotations

import dagster as dg

#: The main job ``make run`` materialises: every asset of the AFSV chain on the selected source.
replicate_afsv = dg.define_asset_job(
    "replicate_afsv",
    selection=dg.AssetSelection.groups("sources", "io_table", "ge_model"),
    description="Rebuild the AFSV evidence chain: sources, REE IO table and sensitivity, GE model.",
)

#: The yearly trade pull (one partition per year; backfills over 2002-2018 from the UI or CLI).
refresh_trade = dg.define_asset_job(
    "refresh_trade",
    selection=dg.AssetSelection.assets("trade"),
    description="Pull one year of Comtrade trade (partitioned by year).",
)

#: The yearly patent pull: every grant of a year into the six canonical patent tables and its
#: REE subset (backfills over 1969-2018 from the UI, or ``dg launch --partition-range``).
refresh_patents = dg.define_asset_job(
    "refresh_patents",
    selection=dg.AssetSelection.assets(
        "patents",
        "patent_texts",
        "patent_assignees",
        "patent_inventors",
        "patent_classes",
        "patent_citations",
        "ree_patents",
    ),
    description="Pull one grant year of patents (partitioned by grant year 1969-2018) and its REE subset.",
)

#: The FVD replication on the stored patent pulls (backfill 1969-2001 first, with refresh_patents).
replicate_fvd = dg.define_asset_job(
    "replicate_fvd",
    selection=dg.AssetSelection.groups("spillovers") | dg.AssetSelection.assets("synthetic_truth"),
    description="Rebuild the FVD evidence: patent sets, citation variables, descriptives, logit shares, "
    "mixture models with identified and confidence sets (reads the stored patent pulls).",
)

jobs = [replicate_afsv, replicate_fvd, refresh_trade, refresh_patents]
schedules: list[dg.ScheduleDefinition] = [
    dg.build_schedule_from_partitioned_job(job) for job in (refresh_trade, refresh_patents)
]
