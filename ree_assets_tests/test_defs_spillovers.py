"""The spillovers group materialised on the small embedded world (the session's shared build,
``small_world_build.py``: the patent pulls, then replicate_fvd): every asset stored, its contract
passed, the truth inside the confidence sets, bad input reported."""

import dagster as dg
import polars as pl
import pytest

from ree_assets.core.spillovers import mixture
from ree_assets.defs import spillovers
from ree_assets_tests.helpers import check_results, read_table, step_errors


@pytest.mark.slow
def test_spillovers_group_on_the_small_world(small_world_build):
    """One materialisation (the build's replicate_fvd run), three properties: every asset stored
    and passing its contract; the true set-identified parameters inside their joint confidence
    set, the identified ones (w, w_d; 95% marginal intervals) within 3 SE, and identified
    quantities as points; bad input reported in the metadata."""
    database = small_world_build.database
    result = small_world_build.runs()["replicate_fvd"]
    assert step_errors(result) == {}
    evaluations = check_results(result)
    for asset in spillovers.assets:
        assert read_table(database, f"{asset.metadata_by_key[asset.key]['schema']}.{asset.key.path[-1]}").height > 0
        assert evaluations[(asset.key.to_user_string(), "odcs_contract")].passed, asset.key

    restricted = read_table(database, "results.fvd_mixture_restricted")
    parameters = restricted.filter(pl.col("parameter").is_in(mixture.PARAMETERS))
    assert parameters["truth"].is_not_null().all()
    outside = parameters.filter(
        ~pl.col("identified")
        & ((pl.col("truth") < pl.col("conf_min") - 1e-6) | (pl.col("truth") > pl.col("conf_max") + 1e-6))
    )
    assert outside.is_empty(), outside
    identified = parameters.filter(pl.col("identified"))
    assert (
        identified.height == 4
        and ((identified["point"] - identified["truth"]).abs() < 3 * identified["std_error"]).all()
    )
    points = read_table(database, "results.fvd_parameter_sets").filter(pl.col("identified"))
    assert (points["set_min"] == points["set_max"]).all() and (points["std_error"] > 0).all()
    probabilities = read_table(database, "results.fvd_probability_tables")
    assert set(probabilities["section"]) == {"probability", "conditional", "weighted_average"}

    metadata = {
        e.asset_key.to_user_string(): e.step_materialization_data.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    report = metadata["fvd_citation_variables"]
    assert report["citations_to_unknown_patents"].value > 0
    assert "focal_without_citations_in_window" in report and "focal_without_application_date" in report
    assert "fvd_logit_regressions" in metadata["fvd_logit_regressions"]


def contract_failures(tmp_path, schema: str, table: str, frame: pl.DataFrame) -> list[str]:
    """Store ``frame`` as ``<schema>.<table>``, test it against the table's contract: the reasons
    of the rules that failed."""
    from ree_assets.sources.contracts import contract_path
    from ree_assets.storage.audit import run_contract
    from ree_assets_tests.helpers import store

    database = tmp_path / f"{table}.duckdb"
    store(database, schema, table, frame)
    return [f.detail or f.rule for f in run_contract(contract_path(table), str(database))]


def test_contracts_pass_good_tables_and_catch_bad_ones(tmp_path):
    from ree_assets.core.spillovers import estimates
    from ree_assets_tests.test_core_spillovers_citations import variables
    from ree_assets_tests.test_core_spillovers_estimates import restricted_rows

    good = variables().table.with_columns(pl.col("class_list").list.join(";"))
    assert contract_failures(tmp_path, "core", "fvd_citation_variables", good) == []
    bad = good.with_columns(c_uw=pl.col("a_uw") + 1, perus=pl.lit(1.5))
    assert len(contract_failures(tmp_path, "core", "fvd_citation_variables", bad)) >= 2
    sets = estimates.parameter_sets(
        pl.concat([restricted_rows(0.5), restricted_rows(0.5).with_columns(technology=pl.lit("catalyst"))])
    )
    assert contract_failures(tmp_path, "results", "fvd_parameter_sets", sets) == []
    widened = sets.with_columns(
        set_max=pl.when(pl.col("identified")).then(pl.col("set_max") + 0.1).otherwise(pl.col("set_max"))
    )
    assert len(contract_failures(tmp_path, "results", "fvd_parameter_sets", widened)) == 1


@pytest.mark.parametrize(("mode", "end"), [("embedded", 2001), ("local", 2002), ("download", 2002)])
def test_the_sample_ends_with_the_data_modes_last_grant_year_unless_set(mode, end, monkeypatch):
    from ree_assets.defs.resources import DataSource

    source = DataSource(mode=mode)
    monkeypatch.delenv("REE_FVD_GRANT_YEAR_END", raising=False)
    assert spillovers.FvdSample().end(source) == end
    assert spillovers.FvdSample(grant_year_end=2018).end(source) == 2018
    monkeypatch.setenv("REE_FVD_GRANT_YEAR_END", "2010")
    assert spillovers.FvdSample().end(source) == 2010
    with pytest.raises(dg.Failure, match="applications start in 1976"):
        spillovers.FvdSample(grant_year_end=1970).end(source)


def test_the_documented_run_config_sets_the_sample_end_of_the_run():
    import re
    from pathlib import Path

    import yaml

    page = (Path(__file__).resolve().parents[1] / "docs" / "spillovers.md").read_text()
    (block,) = re.findall(r"^```yaml\n(resources:\n.*?)^```", page, re.M | re.S)
    assert yaml.safe_load(block) == spillovers.sample_run_config(2018)


def test_the_citation_variables_read_the_patent_tables_in_duckdb_not_python():
    """fvd_citation_variables loads only the patent sets into Python; the four patent tables stay
    its upstream assets (every grant year of the partitioned pulls) without being its inputs."""
    from ree_assets.core.spillovers.citations import INPUT_COLUMNS
    from ree_assets.definitions import defs

    asset = spillovers.fvd_citation_variables
    loaded = {i.name for i in asset.node_def.input_defs if not i.dagster_type.is_nothing}
    assert loaded == {"fvd_patent_sets"}
    graph = defs.resolve_asset_graph()
    tables = {dg.AssetKey(table) for table in INPUT_COLUMNS}
    assert graph.get(asset.key).parent_keys == tables | {dg.AssetKey("fvd_patent_sets")}
    for table in tables:
        assert graph.get(table).is_partitioned
        assert isinstance(graph.get_partition_mapping(asset.key, table), dg.AllPartitionMapping)


def test_the_stored_tables_give_what_the_frames_give(tmp_path):
    """The asset's path (the tables stored under their published names in the store's file, read
    through an attached read-only DuckDB) and the frames path (``citation_variables``) give the
    same table and report, left-out input of every kind included, with and without a sample end;
    a table not stored fails naming the relations to materialise."""
    from polars.testing import assert_frame_equal

    from ree_assets.core.spillovers.citations import citation_variables
    from ree_assets.defs.resources import DuckDBStore
    from ree_assets.storage.io_manager import published_relation
    from ree_assets_tests.helpers import store
    from ree_assets_tests.test_core_spillovers_citations import LEFT_OUT_END, left_out_tables

    focal, tables = left_out_tables()
    duckdb_store = DuckDBStore(database=str(tmp_path / "ree.duckdb"))
    store(duckdb_store.database, "raw", "patents", tables["patents"])
    with pytest.raises(
        dg.Failure,
        match="holds no raw.patent_citations, raw.patent_classes, raw.patent_inventors: materialise the patent pulls",
    ):
        spillovers.published_citation_variables(duckdb_store, focal, 7, LEFT_OUT_END)
    for table, frame in tables.items():
        store(duckdb_store.database, *published_relation(table).split("."), frame)
    for end in (None, LEFT_OUT_END):
        expected = citation_variables(focal, **tables, grant_year_end=end)
        stored = spillovers.published_citation_variables(duckdb_store, focal, 7, end)
        assert_frame_equal(stored.table, expected.table)
        assert stored.report == expected.report
    assert stored.report["citations_to_patents_granted_after_grant_year_end"] == 3
    assert stored.table["patent_id"].to_list() == ["F1", "F2"]
