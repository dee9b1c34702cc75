"""The panels and did groups materialised on the small embedded world: the dbt panels equal the
Python assembly of the same world, every contract and dbt test passes, the DiD tables recover
the generator's effects and render, and the event studies have their figures."""

import dagster as dg
import polars as pl
import pytest

from ree_assets.core.did import TREATMENT
from ree_assets.defs import dbt
from ree_assets.sources.patent_tables import PATENT_TABLES
from ree_assets_tests.did_world import panels, truth
from ree_assets_tests.helpers import (
    failed_checks,
    materialize,
    materialize_years,
    materialized,
    read_table,
    step_errors,
)

pytestmark = pytest.mark.slow

#: Python inputs (sources, io_table, the growth assets) are materialised first, their inputs without
#: checks (those have their own tests) and without dbt; then the dbt panels, DiD assets and
#: result views in one run, so dbt starts twice only.
ALL = dg.AssetSelection.groups("panels", "did").upstream()
GROWTH = dg.AssetSelection.assets("export_growth", "tfp_growth")
TRADE = dg.AssetSelection.assets("trade")  # partitioned: its own run over 2002-2018
PULLS = dg.AssetSelection.assets(*PATENT_TABLES, "ree_patents")  # partitioned by grant year: one run, 2002-2018
INPUTS = ALL - dg.AssetSelection.groups("panels", "did") - dg.AssetSelection.assets(dbt.dbt_models) - GROWTH - PULLS
UPSTREAM = (INPUTS.without_checks() | GROWTH).required_multi_asset_neighbors()
#: The small world's patent corpus leaves some GE sector-years without REE-enhancing patents, which
#: the log-flow estimation refuses (by design); the GE panel is tested on hand-made input instead.
GE_PANEL = dg.AssetSelection.assets("ge_innovation_panel_from_patents")
DID = ALL - INPUTS - GROWTH - TRADE - PULLS - GE_PANEL


@pytest.fixture(scope="module")
def did_run(tmp_path_factory):
    database = tmp_path_factory.mktemp("did") / "ree.duckdb"
    for pull in (TRADE, PULLS):
        result = materialize_years(database, "2002", "2018", pull)
        assert result.success, step_errors(result)
    upstream = materialize(database, UPSTREAM)
    assert upstream.success, step_errors(upstream)
    return database, upstream, materialize(database, DID)


def test_panels_and_tables_materialise_with_every_check_passing(did_run):
    database, upstream, result = did_run
    assert result.success, step_errors(result)
    assert {"export_growth", "tfp_growth", "patents_classified"} <= materialized(upstream)
    assert failed_checks(upstream) == {}
    assert {
        "fct_export_growth_panel",
        "fct_tfp_growth_panel",
        "fct_export_growth_vs_china_panel",
        "fct_patent_did_panel",
        "did_patents",
        "did_tfp_growth",
        "did_export_growth",
        "did_export_growth_vs_china",
        "event_study_export_growth",
        "did_results",
        "event_study_results",
        "patent_panel",
    } <= materialized(result)
    assert failed_checks(result) == {}
    assert (database.parent / "reports" / "event_study_tfp_growth_baseline.png").stat().st_size > 10_000
    assert "\\toprule" in (database.parent / "reports" / "did_tfp_growth_baseline.tex").read_text()


@pytest.mark.parametrize("outcome", ["tfp_growth", "export_growth", "export_growth_vs_china"])
def test_dbt_panel_equals_the_python_assembly(did_run, outcome):
    database, _, _ = did_run
    columns = ["country", "region", "sic4", "year", outcome, "sensitivity", "post", "subsidy_post"]
    mart = read_table(database, f"marts.fct_{outcome}_panel").select(columns).sort("country", "sic4", "year")
    python = panels()[outcome].select(columns).sort("country", "sic4", "year")
    assert mart.height == python.height
    for column in columns:
        assert (
            mart[column].cast(python[column].dtype).equals(python[column])
            or (mart[column] - python[column]).abs().max() < 1e-12
        ), column


def test_stored_results_recover_the_truth_and_have_no_chn_column_for_the_contrast(did_run):
    database, _, _ = did_run
    results = read_table(database, "results.did_results").filter(pl.col("term") == TREATMENT)
    true = truth()
    for outcome in ("tfp_growth", "export_growth", "export_growth_vs_china"):
        for sample in ("NONCHN", "ALL", "EUR"):
            row = results.filter((pl.col("outcome") == outcome) & (pl.col("sample") == sample)).row(0, named=True)
            assert abs(row["estimate"] - true[f"{outcome}:{sample}"]) < 4 * row["std_error"], (outcome, sample)
    assert "CHN" not in results.filter(pl.col("outcome") == "export_growth_vs_china")["sample"].to_list()
    assert set(results["outcome"]) == {"patents", "tfp_growth", "export_growth", "export_growth_vs_china"}


def test_demand_control_is_built_for_every_exporting_cell_and_estimated(did_run):
    database, _, _ = did_run
    panel = read_table(database, "marts.fct_export_growth_panel")
    assert panel["demand_growth_lag"].null_count() == 0 and panel["year"].min() == 2003
    terms = read_table(database, "results.did_results").filter(pl.col("outcome") == "export_growth")["term"]
    assert "demand_growth_lag" in terms.to_list()
