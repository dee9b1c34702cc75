"""The replication_report asset materialised for real: on the small embedded world (the IO-table
stage and the GE elasticities, with a check made to fail on bad input) and on an empty database."""

import re

import dagster as dg
import polars as pl
import pytest

from ree_assets.defs import schedules
from ree_assets.replication_report import NOT_MATERIALISED, REPORTED_ASSETS
from ree_assets_tests.helpers import materialize, materialize_years, read_table, step_errors, store

pytestmark = pytest.mark.slow

REPORT = dg.AssetSelection.assets("replication_report")
#: The REE requirements (their figure and tables), the sensitivity, the estimated elasticities
#: (next to their truth) and the report, in one run.
#: The elasticities are estimated on the patent-derived panel: the patent pull (partitioned by grant
#: year) runs first over the AFSV years.
PULLS = schedules.PATENT_PULLS
STAGES = (
    dg.AssetSelection.assets("ree_requirements_vs_published", "ree_sensitivity", "ree_elasticities").upstream() - PULLS
    | REPORT
).required_multi_asset_neighbors()
FAST = {
    "ops": {
        "ree_elasticities": {"config": {"n_bootstrap": 20}},
    }
}
COMPLEMENTARITY_CONTRACT = dg.AssetCheckKey(dg.AssetKey("ree_complementarity"), "odcs_contract")


def external_references(page: str) -> list[str]:
    """Every src/href of the page that is not an in-page anchor or an embedded data: URI."""
    return [
        ref for ref in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page) if not ref.startswith(("#", "data:image/"))
    ]


def section(page: str, title: str) -> str:
    """The Markdown of one ``## title`` section of the report."""
    return page.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    """The stages and the report; then bad complementarity scores written straight into the
    published table and its contract check run alone (it fails); then the report alone again,
    in the same Dagster instance."""
    database = tmp_path_factory.mktemp("report") / "ree.duckdb"
    instance = dg.DagsterInstance.ephemeral()
    pulled = materialize_years(database, "2002", "2018", PULLS)
    assert pulled.success, step_errors(pulled)
    first = materialize(database, STAGES, run_config=FAST, instance=instance)
    assert first.success, step_errors(first)
    html_before = (database.parent / "reports" / "replication_report.html").read_text()
    bad = pl.DataFrame({"element": ["Ce", "Nd"], "complementarity": [250.0, -5.0], "source": ["bad input", "bad"]})
    store(database, "raw", "ree_complementarity", bad)
    check = materialize(database, dg.AssetSelection.checks(COMPLEMENTARITY_CONTRACT), instance=instance)
    again = materialize(database, REPORT, instance=instance)
    assert again.success, step_errors(again)
    return database, first, check, again, html_before


def test_the_report_is_one_self_contained_html_file_with_every_figure_embedded(report_run):
    database, first, _, _, html = report_run
    metadata = first.asset_materializations_for_node("replication_report")[0].metadata
    assert metadata["report_html"].value == str(database.parent / "reports" / "replication_report.html")
    assert (database.parent / "reports" / "replication_report.md").is_file()
    assert "Data: synthetic embedded world" in metadata["preview"].value
    assert external_references(html) == []
    images = re.findall(r"<img [^>]*>", html)
    assert images and all('src="data:image/png;base64,' in image for image in images)
    assert "<script" not in html and "<link" not in html
    assert 'alt="REE total requirements: our top industries and the published rows"' in html
    caption = first.asset_materializations_for_node("ree_requirements_vs_published")[0].metadata
    caption = caption["ree_requirements_vs_published_caption"].value
    assert caption.startswith("Data: synthetic embedded world (seed 20100701, size small), not real observations.")
    assert f"</strong> {caption}</figcaption>" in html


def test_the_report_has_every_section_and_says_what_is_not_materialised(report_run):
    database, *_ = report_run
    page = (database.parent / "reports" / "replication_report.md").read_text()
    for title in (
        "Data and sources",
        "Asset checks",
        "Estimates next to the true values",
        "AFSV: REE-extended input-output table and REE requirements",
        "AFSV: REE sensitivity",
        "AFSV: general-equilibrium model",
        "FVD: mixture model, identified and confidence sets",
    ):
        assert f"## {title}\n" in page, title
    assert "synthetic embedded world" in section(page, "Data and sources")
    assert "the embedded world (seed 20100701, size small)" in section(page, "Data and sources")
    assert "![REE total requirements: our top industries and the published rows]" in page
    # materialised in the run: no "not materialised" for them; the DiD and FVD stages were not run
    for asset in ("ree_total_requirements", "ree_sensitivity", "ree_elasticities"):
        assert f"{asset}: {NOT_MATERIALISED}" not in page
    for asset in ("did_patents", "event_study_tfp_growth", "ge_tax_sweep", "fvd_parameter_sets"):
        assert f"{asset}: {NOT_MATERIALISED}" in page


def test_on_the_embedded_world_the_estimates_stand_next_to_the_true_values(report_run):
    database, *_ = report_run
    truth = section(
        (database.parent / "reports" / "replication_report.md").read_text(), "Estimates next to the true values"
    )
    rows = [line for line in truth.splitlines() if line.startswith("| GE model")]
    assert len(rows) == 12  # one per GE sector, truth and estimate side by side
    transport = next(row for row in rows if "Transport equipment" in row)
    cells = [cell.strip() for cell in transport.strip("|").split("|")]
    assert float(cells[3]) == pytest.approx(0.75)  # the generator's eps of transport equipment
    stored = read_table(database, "core.ree_elasticities").filter(pl.col("sector") == "transport_equipment")
    assert float(cells[4]) == pytest.approx(stored["eps_hat"][0], abs=5e-5)  # its stored estimate, as rounded


def test_a_failed_check_is_reported_as_failed(report_run):
    database, first, check, again, _ = report_run
    assert not check.get_asset_check_evaluations()[0].passed
    page = (database.parent / "reports" / "replication_report.md").read_text()
    checks = section(page, "Asset checks")
    assert "**FAILED** `ree_complementarity` odcs_contract (ERROR, blocking" in checks
    assert "the score lies in [0, 100]" in checks  # what the contract found
    # the warning of the first run (the embedded world does not rank like AFSV) is listed as such
    assert "**FAILED** `ree_requirements_vs_published` ranks_like_published (warning, not blocking" in checks
    assert again.asset_materializations_for_node("replication_report")[0].metadata["checks_failed"].value == 2


def test_on_an_empty_database_every_part_says_not_materialised(tmp_path):
    database = tmp_path / "ree.duckdb"
    result = materialize(database, REPORT)
    assert result.success, step_errors(result)
    page = (tmp_path / "reports" / "replication_report.md").read_text()
    for asset in REPORTED_ASSETS:
        assert f"{asset}: {NOT_MATERIALISED}" in page, asset
    assert external_references((tmp_path / "reports" / "replication_report.html").read_text()) == []
