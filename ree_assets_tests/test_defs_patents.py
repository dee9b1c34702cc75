"""The patents group materialised on the small embedded world: a single-run backfill over a
range of grant years, one year re-materialised, the REE subset and the contracts."""

import shutil

import dagster as dg
import duckdb
import polars as pl
import pytest

from ree_assets.sources.embedded.patent_world import patent_tables
from ree_assets.sources.patent_tables import PATENT_TABLES
from ree_assets_tests.helpers import failed_checks, read_table, small_world, step_errors

pytestmark = pytest.mark.slow
PULL = dg.AssetSelection.assets(*PATENT_TABLES, "ree_patents")


def materialize_years(database, first: str, last: str, selection=PULL) -> dg.ExecuteInProcessResult:
    """One run over the grant years first..last (what ``--partition-range first...last`` launches)."""
    from ree_assets import definitions

    return dg.materialize(
        [*definitions.assets, *definitions.asset_checks], selection=selection,
        resources=definitions.build_resources(str(database), small_world(seed=0)),
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last})


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
    assert patents.equals(pl.concat([patent_tables(y, 0, "small")["patents"] for y in (2009, 2010, 2011)]).sort("patent_id"))


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
