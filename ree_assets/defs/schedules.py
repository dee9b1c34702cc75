"""Jobs and schedules: the yearly pulls (partitioned; their schedules are off until a user turns
them on in the UI) and the replication jobs of the two studies, which read every stored year.

Dagster runs one partitions definition per job, and the pulls have two (grant years 1969-2018 for
the patents, 2002-2018 for trade, ``specs/patents_and_did.md``), so the partitioned pulls are the
two jobs ``refresh_patents`` and ``refresh_trade``: ``make run`` backfills both over all their years
(each as one single run), then runs ``replicate_afsv`` and ``replicate_fvd``.
"""

from __future__ import annotations

import dagster as dg

from ree_assets.sources.patent_tables import PATENT_TABLES

#: The six canonical patent tables of a grant year and their REE subset.
PATENT_PULLS = dg.AssetSelection.assets(*PATENT_TABLES, "ree_patents")
TRADE_PULLS = dg.AssetSelection.assets("trade")

#: The yearly patent pull: every grant of a year into the six canonical patent tables and its
#: REE subset (backfills over 1969-2018 from the UI, or ``dg launch --partition-range``).
refresh_patents = dg.define_asset_job(
    "refresh_patents",
    selection=PATENT_PULLS,
    description="Pull one grant year of patents (partitioned by grant year 1969-2018) and its REE subset.",
)

#: The yearly trade pull (one partition per year; backfills over 2002-2018 from the UI or CLI).
refresh_trade = dg.define_asset_job(
    "refresh_trade",
    selection=TRADE_PULLS,
    description="Pull one year of Comtrade trade (partitioned by year 2002-2018).",
)

#: A user-supplied innovation panel that only ``ree_elasticities`` with ``panel: supplied`` reads: not
#: part of the main job (in local mode its file is optional to the replication).
SUPPLIED_INNOVATION_PANEL = dg.AssetSelection.assets("ge_innovation_panel")

#: The main job: the AFSV chain on the stored pulls, IO table -> patents -> panels -> DiD -> GE, and
#: the replication report (both jobs end with it, so the last one run covers both studies).
replicate_afsv = dg.define_asset_job(
    "replicate_afsv",
    selection=dg.AssetSelection.groups("sources", "io_table", "patents", "panels", "did", "ge_model", "reports")
    - PATENT_PULLS
    - TRADE_PULLS
    - SUPPLIED_INNOVATION_PANEL,
    description="Rebuild the AFSV evidence chain on the stored pulls: sources, REE IO table and sensitivity, "
    "patent classification and panel, outcome panels, DiD estimates and event studies, GE model.",
)

#: The FVD replication on the stored patent pulls of 1969-2001.
replicate_fvd = dg.define_asset_job(
    "replicate_fvd",
    selection=dg.AssetSelection.groups("spillovers", "reports") | dg.AssetSelection.assets("synthetic_truth"),
    description="Rebuild the FVD evidence: patent sets, citation variables, descriptives, logit shares, "
    "mixture models with identified and confidence sets (reads the stored patent pulls).",
)

#: The pulls first, then the replications: what ``make run`` (``python -m ree_assets.cli``) runs.
jobs = [refresh_patents, refresh_trade, replicate_afsv, replicate_fvd]
schedules: list[dg.ScheduleDefinition] = [
    dg.build_schedule_from_partitioned_job(job) for job in (refresh_trade, refresh_patents)
]
