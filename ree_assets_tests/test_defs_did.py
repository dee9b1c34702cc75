"""The panels and did groups materialised on the small embedded world (the session's shared
build of the pulls and ``replicate_afsv``, ``small_world_build.py``; this module writes on its
copy): the dbt panels equal the Python assembly of the same world, every contract and dbt test
passes, the DiD tables recover the generator's effects and render, and the event studies have
their figures."""

import dagster as dg
import polars as pl
import pytest

from ree_assets.core.did import CRV3_LINEARISED, FEW_EFFECTIVE_CLUSTERS, TREATMENT
from ree_assets.defs.did import SPECS
from ree_assets_tests.did_world import panels, truth
from ree_assets_tests.helpers import failed_checks, materialize, materialized, read_table, step_errors

pytestmark = pytest.mark.slow

#: The panels and did groups and everything they read (sources, io_table, growth, the pulls).
ALL = dg.AssetSelection.groups("panels", "did").upstream()


@pytest.fixture(scope="module")
def did_run(small_world_build, tmp_path_factory):
    """The copied database and the replicate_afsv run that built it."""
    build = small_world_build.copy_to(tmp_path_factory.mktemp("did") / "build")
    return build.database, small_world_build.runs()["replicate_afsv"]


def test_panels_and_tables_materialise_with_every_check_passing(did_run):
    database, result = did_run
    assert result.success, step_errors(result)
    assert {
        "export_growth",
        "tfp_growth",
        "patents_classified",
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
        "patent_panel_application_year",
        "ge_innovation_panel_from_patents",
    } <= materialized(result)
    assert failed_checks(result, ALL) == {}
    assert (database.parent / "reports" / "event_study_tfp_growth_baseline.png").stat().st_size > 10_000
    assert "\\toprule" in (database.parent / "reports" / "did_tfp_growth_baseline.tex").read_text()


@pytest.mark.parametrize("outcome", ["tfp_growth", "export_growth", "export_growth_vs_china"])
def test_dbt_panel_equals_the_python_assembly(did_run, outcome):
    database, _ = did_run
    columns = ["country", "region", "sic4", "year", outcome, "sensitivity", "post", "subsidy_post"]
    mart = read_table(database, f"marts.fct_{outcome}_panel").select(columns).sort("country", "sic4", "year")
    python = panels()[outcome].select(columns).sort("country", "sic4", "year")
    assert mart.height == python.height
    for column in columns:
        assert (
            mart[column].cast(python[column].dtype).equals(python[column])
            or (mart[column] - python[column]).abs().max() < 1e-12
        ), column


def _misses(results: pl.DataFrame, true: dict[str, float]) -> dict[str, float]:
    """outcome:sample -> t-ratio (estimate - truth) / SE of every treatment row off by 4 SE or more."""
    rows = results.filter(pl.col("term") == TREATMENT).iter_rows(named=True)
    ratios = {
        f"{r['outcome']}:{r['sample']}": (r["estimate"] - true[f"{r['outcome']}:{r['sample']}"]) / r["std_error"]
        for r in rows
    }
    return {key: t for key, t in ratios.items() if abs(t) >= 4}


def test_stored_results_recover_the_truth_on_every_sample_and_have_no_chn_column_for_the_contrast(did_run):
    """Family-wise: every outcome x sample (23 estimates) within 4 SE of the generator's estimand
    (patents: the stock DiD's pseudo-true beta of the true labels; the pipeline counts the keyword
    classifier's). Samples with few effective clusters (single regions, mostly)
    carry CRV3 SEs (PPML: the linearised jackknife)."""
    database, _ = did_run
    results = read_table(database, "results.did_results")
    treatment = results.filter(pl.col("term") == TREATMENT)
    assert treatment.height == sum(len(spec.samples) for spec in SPECS.values()) == 23
    assert not _misses(results, truth())
    few = treatment["effective_clusters"] < FEW_EFFECTIVE_CLUSTERS
    jackknife = {"ppml": CRV3_LINEARISED, "ols": "CRV3"}
    expected = [jackknife[e] if f else "CRV1" for f, e in zip(few, treatment["estimator"], strict=True)]
    assert treatment["vcov"].to_list() == expected
    assert few.sum() >= 10  # the single regions, mostly
    assert "CHN" not in results.filter(pl.col("outcome") == "export_growth_vs_china")["sample"].to_list()
    assert set(results["outcome"]) == {"patents", "tfp_growth", "export_growth", "export_growth_vs_china"}
    wrong = {key: value + 50 * abs(value) + 1 for key, value in truth().items()}
    assert _misses(results, wrong)  # the bound rejects a truth off by 50 x


def test_demand_control_is_built_for_every_exporting_cell_and_estimated(did_run):
    database, _ = did_run
    panel = read_table(database, "marts.fct_export_growth_panel")
    assert panel["demand_growth_lag"].null_count() == 0 and panel["year"].min() == 2003
    terms = read_table(database, "results.did_results").filter(pl.col("outcome") == "export_growth")["term"]
    assert "demand_growth_lag" in terms.to_list()


def test_application_year_variant_recovers_its_estimand(did_run):
    """did_patents with variant application_year (the patent_panel_application_year mart): every
    sample within 4 SE of the generator's application-year estimand. Runs last: it replaces the
    baseline rows of did_patents."""
    database, _ = did_run
    result = materialize(
        database,
        dg.AssetSelection.assets("did_patents"),
        run_config={"ops": {"did_patents": {"config": {"variant": "application_year"}}}},
    )
    assert result.success, step_errors(result)
    results = read_table(database, "results.did_patents")
    assert set(results["variant"]) == {"application_year"}
    assert set(results.filter(pl.col("term") == TREATMENT)["sample"]) == set(SPECS["patents"].samples)
    assert not _misses(results.with_columns(outcome=pl.lit("patents")), truth(parameter="beta_application_year"))
    panel = read_table(database, "marts.patent_panel_application_year")
    assert panel["year"].min() < 2002 <= 2017 <= panel["year"].max()  # filed up to ~4 years before the grant


def test_the_growth_relative_to_china_clusters_by_sector_and_says_so(did_run):
    """did_export_growth_vs_china clusters by sector by default (its countries share China's sector
    shock; the other outcomes by unit x sector) and its table says so; cluster=unit_sector is
    configuration: stored rows say so, the pooled SEs narrow, a single country's are unchanged and
    the truth stays within 4 SE. Runs after the tests that read its baseline rows."""
    database, _ = did_run
    stored = read_table(database, "results.did_results").filter(pl.col("term") == TREATMENT)
    clusters = dict(stored.group_by("outcome").agg(pl.col("cluster").unique().sort()).iter_rows())
    assert clusters == {
        "patents": ["unit_sector"],
        "tfp_growth": ["unit_sector"],
        "export_growth": ["unit_sector"],
        "export_growth_vs_china": ["sector"],
    }
    table = (database.parent / "reports" / "did_export_growth_vs_china_baseline.md").read_text()
    (row,) = (line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| Clustered by"))
    assert [cell.strip() for cell in row] == [
        "Clustered by",
        *["Sector"] * len(SPECS["export_growth_vs_china"].samples),
    ]
    baseline = read_table(database, "results.did_export_growth_vs_china").filter(pl.col("term") == TREATMENT)
    result = materialize(
        database,
        dg.AssetSelection.assets("did_export_growth_vs_china"),
        run_config={"ops": {"did_export_growth_vs_china": {"config": {"cluster": "unit_sector"}}}},
    )
    assert result.success, step_errors(result)
    results = read_table(database, "results.did_export_growth_vs_china")
    treatment = results.filter(pl.col("term") == TREATMENT)
    assert set(treatment["cluster"]) == {"unit_sector"} and set(baseline["cluster"]) == {"sector"}
    narrow = {r["sample"]: r["std_error"] for r in treatment.iter_rows(named=True)}
    before = {r["sample"]: r["std_error"] for r in baseline.iter_rows(named=True)}
    assert narrow["NONCHN"] < before["NONCHN"] and narrow["USA"] == pytest.approx(before["USA"], rel=1e-12)
    assert not _misses(results.with_columns(outcome=pl.lit("export_growth_vs_china")), truth())
