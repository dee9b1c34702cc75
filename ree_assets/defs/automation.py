"""Declarative automation downstream of the yearly pulls: when a year of a pull (the six patent
tables, ``trade``) is written again, every asset downstream of it becomes stale and, once a user
turns the sensor ``update_after_pulls`` on (UI: Automation), is requested again.

The condition is ``AutomationCondition.eager()`` with two changes, because of how the pulls'
yearly partitions map to what is downstream:

- ``eager()`` only looks at the latest time window (2018): a re-pulled 2010 would never reach
  ``ree_patents`` 2010. Without ``in_latest_time_window`` every year propagates.
- An unpartitioned asset depends on every year of a yearly asset (all-partitions mapping), so
  under ``eager()`` one missing year blocks it for good (a user who pulled only the FVD years
  1969-2001 would never see an update). Missing years are ignored; a missing unpartitioned input
  still blocks.

Everything else of ``eager()`` stays: nothing runs while an input is in progress (a backfill of
the pulls included), and an asset updated together with its input in one run is not requested.
"""

import dagster as dg

from ree_assets.sources.patent_tables import PATENT_TABLES

#: The partitioned pulls: every grant year of the patent tables, every year of Comtrade trade.
PULLS = dg.AssetSelection.assets(*PATENT_TABLES, "trade")
#: Every asset that reads a pull, directly or through other assets.
DOWNSTREAM_OF_PULLS = PULLS.downstream() - PULLS
#: The assets partitioned by year: the pulls and the REE subset of each grant year.
YEARLY = PULLS | dg.AssetSelection.assets("ree_patents")

UPDATE_AFTER_PULLS = (
    dg.AutomationCondition.eager()
    .without(dg.AutomationCondition.in_latest_time_window())
    .replace("any_deps_missing", dg.AutomationCondition.any_deps_missing().ignore(YEARLY))
    .with_label("update_after_pulls")
)

#: Evaluates the condition; off until a user turns it on in the UI.
update_after_pulls = dg.AutomationConditionSensorDefinition(
    "update_after_pulls",
    target=DOWNSTREAM_OF_PULLS,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Re-materialises what is downstream of a re-pulled year of the patent tables or trade "
    "(turn on to let stale assets update themselves).",
)


def automate(assets: list[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The assets, those downstream of a pull with the condition ``UPDATE_AFTER_PULLS``."""
    downstream = DOWNSTREAM_OF_PULLS.resolve(assets)
    return list(
        dg.map_asset_specs(
            lambda spec: (
                spec.replace_attributes(automation_condition=UPDATE_AFTER_PULLS) if spec.key in downstream else spec
            ),
            assets,
        )
    )
