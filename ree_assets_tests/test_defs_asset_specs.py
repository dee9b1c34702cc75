"""Every asset shows its owner, its tags and, where it has a contract, the contract's columns with
their descriptions, before it is ever materialised (dbt models through the manifest)."""

import dagster as dg
import pytest

from ree_assets.defs import asset_specs
from ree_assets.sources.contracts import contract_column_docs, contract_path

LAYERS = {"raw", "staging", "core", "marts", "results", "reports"}


@pytest.fixture(scope="module")
def graph():
    from ree_assets.definitions import defs

    return defs.resolve_asset_graph()


def differences_from_contract(table: str, schema: dg.TableSchema) -> list[str]:
    """Columns whose presence or description differs between a column schema and the contract."""
    shown = {column.name: column.description for column in schema.columns}
    contract = {column.name: column.description for column in contract_column_docs(table)}
    return [
        f"{table}.{name}: shown {shown.get(name)!r}, contract {contract.get(name)!r}"
        for name in sorted(shown.keys() | contract.keys())
        if shown.get(name) != contract.get(name)
    ]


def test_every_asset_has_its_stage_team_and_tags(graph):
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        assert node.owners == [asset_specs.team(node.group_name)], key
        assert node.tags["stage"] == node.group_name, key
        assert node.tags["study"] in {"afsv", "fvd", "both"}, key
        assert node.tags["data"] in LAYERS, key
    tags = {key.to_user_string(): graph.get(key).tags for key in graph.materializable_asset_keys}
    assert graph.get(dg.AssetKey("ree_sensitivity")).owners == ["team:io-table"]
    assert {tags[k]["study"] for k in ("patents", "patent_citations", "synthetic_truth", "replication_report")} == {
        "both"
    }
    assert {tags[k]["study"] for k in ("fvd_patent_sets", "fvd_mixture_restricted")} == {"fvd"}
    assert {tags[k]["study"] for k in ("ree_patents", "ree_sensitivity", "bea_use", "did_results")} == {"afsv"}
    assert [
        tags[k]["data"] for k in ("bea_use", "stg_raw__trade", "ree_sensitivity", "patent_panel", "did_patents")
    ] == [
        "raw",
        "staging",
        "core",
        "marts",
        "results",
    ]


def test_every_asset_with_a_contract_shows_its_columns_and_descriptions(graph):
    tables = [key for key in graph.materializable_asset_keys if contract_path(key.path[-1]).is_file()]
    assert len(tables) >= 70
    for key in tables:
        schema = graph.get(key).metadata["dagster/column_schema"]
        assert differences_from_contract(key.path[-1], schema) == []
        assert all(column.description for column in schema.columns), key
    dbt_panel = graph.get(dg.AssetKey("fct_tfp_growth_panel")).metadata["dagster/column_schema"]
    assert {c.name: c.type for c in dbt_panel.columns}["tfp_growth"] == "double"  # dbt's schema, from the manifest


def test_a_drifted_description_is_a_difference():
    schema = asset_specs.column_schema("ree_sensitivity")
    assert schema is not None and differences_from_contract("ree_sensitivity", schema) == []
    drifted = dg.TableSchema(columns=[schema.columns[0], dg.TableColumn("sensitivity", "number", description="old")])
    assert differences_from_contract("ree_sensitivity", drifted) == [
        f"ree_sensitivity.sensitivity: shown 'old', contract {schema.columns[1].description!r}"
    ]


def test_the_column_schema_carries_types_and_rules():
    schema = asset_specs.column_schema("ree_sensitivity")
    assert schema is not None
    sic4, sensitivity = schema.columns
    assert (sic4.type, sic4.constraints.nullable, sic4.constraints.unique) == ("string", False, True)
    assert (sensitivity.type, sensitivity.constraints.unique) == ("number", False)
    carriers = asset_specs.column_schema("application_industry_map")
    assert carriers is not None and {c.name: c.type for c in carriers.columns}["carriers"] == "array<string>"
    assert asset_specs.column_schema("no_such_table") is None


def test_an_asset_without_a_schema_has_no_data_layer():
    with pytest.raises(ValueError, match="names no schema"):
        asset_specs.data_layer(dg.AssetSpec("nowhere"))
