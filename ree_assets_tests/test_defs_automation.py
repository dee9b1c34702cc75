"""Declarative automation downstream of the yearly pulls: a re-pulled year requests what reads it,
nothing is requested when nothing changed, and the sensor is off until a user turns it on."""

import dagster as dg
import pytest

from ree_assets.defs import automation, panels, patents, sources, trade
from ree_assets.defs.resources import DataSource

#: A patent pull, its REE subset and a reader of every year; the trade pull and a reader of it.
SUBGRAPH = [
    patents.patent_pull,
    patents.ree_patents,
    patents.patents_classified,
    trade.trade,
    panels.export_growth,
    *[asset for asset in sources.raw_assets if dg.AssetKey("hs_sic_concordance") in asset.keys],
]
#: The other inputs of patents_classified (the classifier evaluation, its labels, Sens), external here.
EXTERNAL = [
    dg.SourceAsset(key)
    for key in patents.patents_classified.dependency_keys
    if not any(key in asset.keys for asset in SUBGRAPH)
]
#: Grant years never pulled (a user who started with the AFSV years): they must not block.
NEVER_PULLED = {str(year) for year in range(1969, 1976)}


def _materialise(instance: dg.DagsterInstance, key: str, partitions) -> None:
    for partition in partitions:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, partition=partition))


def _world(condition: dg.AutomationCondition) -> tuple[dg.Definitions, dg.DagsterInstance, object]:
    """The subgraph with ``condition`` downstream of the pulls, every asset materialised except
    the years in NEVER_PULLED (and the external inputs); the cursor after the sensor's first evaluation."""
    downstream = automation.DOWNSTREAM_OF_PULLS.resolve([*SUBGRAPH, *EXTERNAL])
    assets = dg.map_asset_specs(
        lambda spec: spec.replace_attributes(automation_condition=condition) if spec.key in downstream else spec,
        SUBGRAPH,
    )
    defs = dg.Definitions(
        assets=[*assets, *EXTERNAL],
        resources={"data_source": DataSource(), "patent_classifier": patents.PatentClassifier()},
    )
    instance = dg.DagsterInstance.ephemeral()
    for spec in [spec for asset in assets for spec in asset.specs]:
        partitions = spec.partitions_def.get_partition_keys() if spec.partitions_def else [None]
        _materialise(instance, spec.key, [p for p in partitions if p not in NEVER_PULLED])
    for source in EXTERNAL:
        _materialise(instance, source.key, [None])
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.total_requested == 0
    return defs, instance, first.cursor


def _requested(result) -> dict[str, set]:
    """Asset -> the partitions the evaluation requested (None: the unpartitioned asset)."""
    return {
        key.to_user_string(): result.get_requested_partitions(key)
        for key in automation.DOWNSTREAM_OF_PULLS.resolve([*SUBGRAPH, *EXTERNAL])
        if result.get_num_requested(key)
    }


def test_nothing_is_requested_when_nothing_changed():
    defs, instance, cursor = _world(automation.UPDATE_AFTER_PULLS)
    for _ in range(2):
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        assert result.total_requested == 0
        cursor = result.cursor


def test_a_repulled_year_requests_what_reads_it_once():
    defs, instance, cursor = _world(automation.UPDATE_AFTER_PULLS)
    _materialise(instance, "patents", ["2010"])
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    assert _requested(result) == {"ree_patents": {"2010"}, "patents_classified": {None}}
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=result.cursor)
    assert result.total_requested == 0

    _materialise(instance, "trade", ["2005"])
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=result.cursor)
    assert _requested(result) == {"export_growth": {None}}


def test_a_missing_unpartitioned_input_still_blocks():
    defs, instance, cursor = _world(automation.UPDATE_AFTER_PULLS)
    instance.wipe_assets([dg.AssetKey("hs_sic_concordance")])
    _materialise(instance, "trade", ["2005"])
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    assert "export_growth" not in _requested(result)


def test_plain_eager_misses_a_past_year_and_waits_for_missing_years():
    """Why the condition is not ``eager()``: only the latest year (2018) would propagate, and the
    years never pulled would block every reader of all years."""
    defs, instance, cursor = _world(dg.AutomationCondition.eager())
    _materialise(instance, "patents", ["2010"])
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    assert _requested(result) == {}


@pytest.fixture(scope="module")
def graph():
    from ree_assets.definitions import defs

    return defs.resolve_asset_graph(), defs.get_repository_def()


def test_the_conditions_sit_downstream_of_the_pulls_only(graph):
    asset_graph, _ = graph
    conditioned = {key for key in asset_graph.materializable_asset_keys if asset_graph.get(key).automation_condition}
    downstream = automation.DOWNSTREAM_OF_PULLS.resolve(asset_graph)
    assert conditioned == downstream
    assert {"ree_patents", "patents_classified", "fvd_patent_sets", "export_growth", "stg_raw__trade"} <= {
        key.to_user_string() for key in downstream
    }
    assert {asset_graph.get(key).automation_condition.get_label() for key in conditioned} == {"update_after_pulls"}
    partitioned = {key for key in asset_graph.materializable_asset_keys if asset_graph.get(key).partitions_def}
    assert automation.YEARLY.resolve(asset_graph) == partitioned


def test_the_automation_sensor_is_off_until_turned_on(graph):
    _, repository = graph
    sensors = [
        sensor for sensor in repository.sensor_defs if isinstance(sensor, dg.AutomationConditionSensorDefinition)
    ]
    assert [sensor.name for sensor in sensors] == ["update_after_pulls"]
    assert sensors[0].default_status == dg.DefaultSensorStatus.STOPPED
