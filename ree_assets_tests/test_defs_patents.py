"""The patents group materialised on the small embedded world: a single-run backfill over a
range of grant years, one year re-materialised, the REE subset and the contracts; the
classification, its evaluation and the patent panels as the session's small-world build
(``small_world_build.py``) materialised them."""

import shutil

import dagster as dg
import duckdb
import polars as pl
import pytest

from ree_assets.sources.embedded.patent_office import patent_tables
from ree_assets.sources.patent_tables import PATENT_TABLES
from ree_assets_tests import helpers
from ree_assets_tests.helpers import failed_checks, read_table, small_world, step_errors

pytestmark = pytest.mark.slow
PULL = dg.AssetSelection.assets(*PATENT_TABLES, "ree_patents")


def materialize_years(database, first: str, last: str, selection=PULL) -> dg.ExecuteInProcessResult:
    """One run over the grant years first..last (what ``--partition-range first...last`` launches)."""
    return helpers.materialize_years(database, first, last, selection, small_world(seed=0))


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = tmp_path_factory.mktemp("patents") / "ree.duckdb"
    result = materialize_years(path, "2009", "2011")
    assert result.success, step_errors(result)
    assert failed_checks(result) == {}
    return path


def test_single_run_writes_every_year_of_the_range(database):
    for table in PATENT_TABLES:
        stored = read_table(database, f"raw.{table}")
        expected = pl.concat([patent_tables(year, 0, "small")[table] for year in (2009, 2010, 2011)])
        assert sorted(stored["grant_year"].unique()) == [2009, 2010, 2011]
        assert stored.height == expected.height > 0, table
    patents = read_table(database, "raw.patents").sort("patent_id")
    assert patents.equals(
        pl.concat([patent_tables(y, 0, "small")["patents"] for y in (2009, 2010, 2011)]).sort("patent_id")
    )


def test_ree_patents_is_the_true_ree_subset(database):
    from ree_assets.sources.embedded.patent_world import patent_labels

    labels = patent_labels(range(2009, 2012), 0, "small")
    stored = read_table(database, "core.ree_patents")
    assert set(stored["patent_id"]) == set(labels.filter("is_ree")["patent_id"])


def test_rematerialising_a_year_replaces_that_year_only(database, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(database, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE raw.patents SET title = 'tampered' WHERE grant_year IN (2010, 2011)")
        con.execute("DELETE FROM raw.patent_citations WHERE grant_year = 2011 AND sequence > 0")
    citations_2011 = read_table(copy, "raw.patent_citations").filter(pl.col("grant_year") == 2011).height
    result = materialize_years(copy, "2010", "2010")
    assert result.success, step_errors(result)
    patents = read_table(copy, "raw.patents")
    assert not patents.filter(pl.col("grant_year") == 2010)["title"].is_in(["tampered"]).any()
    assert (patents.filter(pl.col("grant_year") == 2011)["title"] == "tampered").all()
    assert read_table(copy, "raw.patent_citations").filter(pl.col("grant_year") == 2011).height == citations_2011
    assert sorted(patents["grant_year"].unique()) == [2009, 2010, 2011]


def test_classification_evaluation_chart_and_panel(small_world_build):
    """On the session's small-world build (what ``make run`` materialises): every REE patent and
    the weighted controls classified, by the classifier the evaluation chose by the spec's rule;
    the grants chart; the patent panels counting the classified patents, their stocks the
    perpetual inventory of their flows."""
    database, reports = small_world_build.database, small_world_build.reports
    classified = read_table(database, "core.patents_classified")
    ree = read_table(database, "core.ree_patents")
    assert set(classified.filter("is_ree")["patent_id"]) == set(ree["patent_id"])
    # the weighted controls add up to each region-year's non-REE total
    patents = read_table(database, "raw.patents").join(ree.select("patent_id"), on="patent_id", how="anti")
    from ree_assets.core.patents.classify import patent_country, region_expr

    located = patents.join(
        patent_country(read_table(database, "raw.patent_assignees"), read_table(database, "raw.patent_inventors")),
        on="patent_id",
        how="left",
    )
    totals = located.group_by(region_expr(pl.col("country")).alias("region"), "grant_year").len("total")
    weighted = classified.filter(~pl.col("is_ree")).group_by("region", "grant_year").agg(pl.col("weight").sum())
    both = totals.join(weighted, on=["region", "grant_year"])
    assert both.height == totals.height and ((both["weight"] - both["total"]).abs() < 1e-9).all()
    evaluation = read_table(database, "results.patent_classifier_evaluation")
    assert {"keyword", "concordance", "trained"} <= set(evaluation["classifier"])
    assert "llm" not in set(evaluation["classifier"])  # no endpoint: skipped, and the report says so
    from ree_assets.core.patents.evaluation import choose_default

    # the chosen default is the spec's argmax, and patents_classified used it
    assert evaluation.filter("chosen")["classifier"].to_list() == [choose_default(evaluation)]
    assert set(classified["classifier"]) == {choose_default(evaluation)}
    assert evaluation["did_nonchn_true_labels"].is_not_null().all()
    assert (
        evaluation.filter(pl.col("classifier").is_in(["keyword", "concordance", "trained"]))["did_nonchn"]
        .is_not_null()
        .all()
    )
    assert (evaluation["technology_accuracy"] > 0.8).all()
    grants = read_table(database, "core.ree_patent_grants")
    assert grants["grants"].sum() == classified["is_ree"].sum()
    assert (reports / "ree_patent_grants.png").stat().st_size > 10_000
    assert "Skipped llm" in (reports / "patent_classifier_evaluation.md").read_text()
    panel = read_table(database, "marts.patent_panel").sort("region", "sic4", "year")
    counted = classified.filter(
        pl.col("region").is_not_null()
        & pl.col("sic4").is_not_null()
        & pl.col("grant_year").is_between(panel["year"].min(), panel["year"].max())
    )
    assert panel["ree_flow"].sum() == counted["is_ree"].sum()
    assert panel["ree_enhancing_flow"].sum() == counted["ree_enhancing"].sum()
    assert abs(panel["non_ree_patents"].sum() - counted.filter(~pl.col("is_ree"))["weight"].sum()) < 1e-6
    assert panel.height == panel["region"].n_unique() * panel["sic4"].n_unique() * panel["year"].n_unique()
    for name in ("patent_panel", "patent_panel_application_year"):
        assert_perpetual_inventory(read_table(database, f"marts.{name}"), name)


def assert_perpetual_inventory(panel: pl.DataFrame, name: str, depreciation: float = 0.15) -> None:
    """Every stock column <x>_stock of a patent panel is the perpetual inventory of its flow <x>_flow,
    K_t = (1 - delta) K_(t-1) + flow_t from the panel's first year (K = flow there), in every
    region x SIC cell over consecutive years."""
    stocks = [c for c in panel.columns if c.endswith("_stock")]
    assert {"ree_enhancing_stock", "ree_stock"} <= set(stocks), name
    ordered = panel.sort("region", "sic4", "year")
    steps = ordered.select(pl.col("year").diff().over("region", "sic4").drop_nulls())["year"]
    assert (steps == 1).all(), name
    for stock in stocks:
        flow = stock.removesuffix("_stock") + "_flow"
        carried = ((1 - depreciation) * pl.col(stock).shift(1).over("region", "sic4")).fill_null(0.0)
        gap = ordered.select((pl.col(stock) - carried - pl.col(flow)).abs().max())[0, 0]
        assert gap < 1e-9, f"{name}.{stock}: K_t - (1 - delta) K_(t-1) - {flow} up to {gap}"
        assert ordered[stock].max() > 0, f"{name}.{stock} is never positive"


def test_one_partition_run_from_the_ui_writes_its_year(tmp_path):
    """A backfill launched from the UI may run one run per year: each writes its year only."""
    from ree_assets_tests.helpers import materialize

    database = tmp_path / "ui.duckdb"
    for year in ("2013", "2015"):
        result = materialize(
            database,
            selection=dg.AssetSelection.assets(*PATENT_TABLES),
            partition_key=year,
            data_source=small_world(seed=0),
        )
        assert result.success, step_errors(result)
    stored = read_table(database, "raw.patents")
    assert sorted(stored["grant_year"].unique()) == [2013, 2015]
    assert stored.height == sum(patent_tables(y, 0, "small")["patents"].height for y in (2013, 2015))


@pytest.fixture
def local_folder(shared_data, tmp_path):
    """A local data folder with one real weekly grant file of 2012 whose third grant is broken."""
    from ree_assets.sources.uspto_xml import grant_documents

    folder = tmp_path / "sources" / "patents" / "uspto_xml"
    folder.mkdir(parents=True)
    documents = [d for _, d in grant_documents(shared_data / "patents" / "uspto_xml" / "ipg120327.18.xml")]
    (folder / "ipg120327.xml").write_bytes(b"".join(documents))
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"".join([*documents[:2], documents[2].replace(b"</us-patent-grant>", b""), *documents[3:]]))
    return tmp_path / "sources", broken


def test_local_xml_pull_skips_or_fails_on_a_malformed_record(local_folder, tmp_path):
    data_dir, broken = local_folder
    database = tmp_path / "local.duckdb"
    source = small_world(mode="local", data_dir=str(data_dir))

    def pull(policy):
        from ree_assets_tests.helpers import materialize

        return materialize(
            database,
            selection=dg.AssetSelection.assets(*PATENT_TABLES),
            partition_key="2012",
            data_source=source,
            run_config={"ops": {"patent_pull": {"config": {"on_bad_record": policy}}}},
        )

    assert pull("fail").success  # the real file is well-formed
    assert read_table(database, "raw.patents").height == 18
    (data_dir / "patents" / "uspto_xml" / "ipg120327.xml").write_bytes(broken.read_bytes())
    failed = pull("fail")
    assert not failed.success and "ipg120327.xml:" in " ".join(step_errors(failed).values())
    assert read_table(database, "raw.patents").height == 18  # the stored year keeps its rows
    skipped = pull("skip")
    assert skipped.success
    assert read_table(database, "raw.patents").height == 17
    metadata = [
        e.event_specific_data.materialization.metadata
        for e in skipped.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("patents")
    ][0]
    assert metadata["malformed_records_skipped"].value == 1
