"""The replication_report asset materialised for real: on the small embedded world (the session's
shared build, ``small_world_build.py``, whose replication jobs end with the report; then on a copy
with some stages' tables dropped and a check made to fail on bad input) and on an empty database."""

import re

import dagster as dg
import duckdb
import polars as pl
import pytest

from ree_assets.replication_report import NOT_MATERIALISED, REPORTED_ASSETS
from ree_assets_tests.helpers import materialize, read_table, step_errors, store

pytestmark = pytest.mark.slow

REPORT = dg.AssetSelection.assets("replication_report")
VS_PUBLISHED = dg.AssetSelection.assets("ree_requirements_vs_published")
#: tr mapped to min + max - tr: the ranks reversed, every value still in the contract's [0, 1].
REVERSED_RANKS = (pl.col("tr").min() + pl.col("tr").max() - pl.col("tr")).alias("tr")
COMPLEMENTARITY_CONTRACT = dg.AssetCheckKey(dg.AssetKey("ree_complementarity"), "odcs_contract")
#: Stored results of the DiD, GE and FVD stages that the copy drops: the report decides what is
#: materialised by the tables it finds.
DROPPED = ("did_patents", "event_study_tfp_growth", "ge_tax_sweep", "fvd_parameter_sets")


def external_references(page: str) -> list[str]:
    """Every src/href of the page that is not an in-page anchor or an embedded data: URI."""
    return [
        ref for ref in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page) if not ref.startswith(("#", "data:image/"))
    ]


def section(page: str, title: str) -> str:
    """The Markdown of one ``## title`` section of the report."""
    return page.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def drop_tables(database, names) -> None:
    """Drop those of the tables (or views) ``names`` that are stored, whatever their schema."""
    with duckdb.connect(str(database)) as con:
        stored = con.execute(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_name IN ?",
            [list(names)],
        ).fetchall()
        for schema, name, kind in stored:
            con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {schema}.{name}")


@pytest.fixture(scope="module")
def report_run(small_world_build, tmp_path_factory):
    """The build's replicate_afsv run and its report; then, on a copy in its copy of the instance, the tables of
    ``DROPPED`` dropped, bad complementarity scores written straight into the published table
    and its contract check run alone (it fails), the REE total requirements reversed (min + max - tr,
    so the industries rank against AFSV's) and their comparison with the published rows run alone
    (its warning fails), and the report alone again."""
    first = small_world_build.runs()["replicate_afsv"]
    html_before = (small_world_build.reports / "replication_report.html").read_text()
    build = small_world_build.copy_to(tmp_path_factory.mktemp("report") / "build")
    drop_tables(build.database, DROPPED)
    bad = pl.DataFrame({"element": ["Ce", "Nd"], "complementarity": [250.0, -5.0], "source": ["bad input", "bad"]})
    store(build.database, "raw", "ree_complementarity", bad)
    with build.instance() as instance:
        check = materialize(build.database, dg.AssetSelection.checks(COMPLEMENTARITY_CONTRACT), instance=instance)
        requirements = read_table(build.database, "core.ree_total_requirements")
        store(build.database, "core", "ree_total_requirements", requirements.with_columns(REVERSED_RANKS))
        compared = materialize(build.database, VS_PUBLISHED, instance=instance)
        assert compared.success, step_errors(compared)
        again = materialize(build.database, REPORT, instance=instance)
    assert again.success, step_errors(again)
    return build.database, first, check, again, html_before


def test_the_report_is_one_self_contained_html_file_with_every_figure_embedded(report_run, small_world_build):
    _, first, _, _, html = report_run
    metadata = first.asset_materializations_for_node("replication_report")[0].metadata
    assert metadata["report_html"].value == str(small_world_build.reports / "replication_report.html")
    assert (small_world_build.reports / "replication_report.md").is_file()
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
    # stored: no "not materialised" for them; the dropped DiD, GE and FVD results say so
    for asset in ("ree_total_requirements", "ree_sensitivity", "ree_elasticities"):
        assert f"{asset}: {NOT_MATERIALISED}" not in page
    for asset in DROPPED:
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
    database, _, check, again, _ = report_run
    assert not check.get_asset_check_evaluations()[0].passed
    page = (database.parent / "reports" / "replication_report.md").read_text()
    checks = section(page, "Asset checks")
    assert "**FAILED** `ree_complementarity` odcs_contract (ERROR, blocking" in checks
    assert "the score lies in [0, 100]" in checks  # what the contract found
    # a failed warning is listed as such
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
