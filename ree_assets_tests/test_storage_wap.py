"""Write-audit-publish: a version that breaks any rule is never published, and the stored table,
the views over it and the marts keep their rows byte for byte."""

import math
import shutil

import dagster as dg
import duckdb
import polars as pl
import pytest

from ree_assets import cli
from ree_assets.sources.contracts import contract_path
from ree_assets.sources.embedded import ree_defaults
from ree_assets.storage import wap
from ree_assets.storage.audit import Finding, contract_audit
from ree_assets.storage.publish import AuditFailed, write_audit_publish
from ree_assets_tests.conftest import PRICE_SPIKE_ASSETS
from ree_assets_tests.helpers import fingerprint, materialize, read_table, small_world, step_errors, store

PRICES = wap.Target("raw", "ree_prices")


def _publish(database, frame: pl.DataFrame, target: wap.Target = PRICES, run_id: str = "run-good"):
    audits = [("odcs_contract", contract_audit(contract_path(target.table)))]
    return write_audit_publish(str(database), target, frame, audits, run_id=run_id, asset=target.table)


def _with_price(frame: pl.DataFrame, value: float, element: str = "La", year: int = 2011) -> pl.DataFrame:
    hit = (pl.col("element") == element) & (pl.col("year") == year) & (pl.col("market") == "fob_china")
    return frame.with_columns(pl.when(hit).then(value).otherwise(pl.col("price_usd_per_kg")).alias("price_usd_per_kg"))


GOOD = ree_defaults.ree_prices()

#: One bad version per rule kind of the contract -> a phrase the finding must contain.
BAD_VERSIONS = {
    "negative price": (_with_price(GOOD, -100.0), "prices are strictly positive"),
    "NaN price": (_with_price(GOOD, math.nan), "finite number"),
    "infinite price": (_with_price(GOOD, math.inf), "finite number"),
    "absurd price": (_with_price(GOOD, 1e300), "at most 100,000 USD/kg"),
    "duplicate key": (pl.concat([GOOD, GOOD.head(1)]), "one row per element, market and year"),
    "empty table": (GOOD.head(0), "an empty table is bad data"),
    "base year dropped": (GOOD.filter(pl.col("year") != 2009), "base year 2009"),
    "missing column": (GOOD.drop("quality"), "quality"),
    "null element": (
        GOOD.with_columns(pl.when(pl.col("element") == "Ce").then(None).otherwise(pl.col("element")).alias("element")),
        "element",
    ),
    "unknown quality label": (GOOD.with_columns(pl.lit("guessed").alias("quality")), "quality is approximate"),
}


@pytest.fixture
def published(tmp_path):
    database = tmp_path / "ree.duckdb"
    _publish(database, GOOD)
    with duckdb.connect(str(database)) as con:  # a view over the published table, as dbt's staging
        con.execute("CREATE SCHEMA staging")
        con.execute("CREATE VIEW staging.stg_raw__ree_prices AS SELECT * FROM raw.ree_prices")
    return database


@pytest.mark.parametrize("case", sorted(BAD_VERSIONS))
def test_a_bad_version_is_never_published(published, case):
    frame, phrase = BAD_VERSIONS[case]
    before = {name: fingerprint(published, name) for name in ("raw.ree_prices", "staging.stg_raw__ree_prices")}
    with pytest.raises(AuditFailed) as failure:
        _publish(published, frame, run_id="run-bad")
    message = str(failure.value)
    assert "raw.ree_prices" in message and "NOT published" in message and phrase in message, message
    assert {name: fingerprint(published, name) for name in before} == before
    with duckdb.connect(str(published), read_only=True) as con:
        staged = con.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'wap_raw'").fetchone()
        journal = con.execute("SELECT status FROM wap.journal WHERE run_id = 'run-bad'").fetchall()
    assert staged == (0,) and journal == [("staged",), ("rejected",)]


def test_a_good_version_replaces_the_published_one(published):
    newer = _with_price(GOOD, 99.0)
    _publish(published, newer, run_id="run-newer")
    assert (
        read_table(published, "raw.ree_prices")
        .sort(["element", "market", "year"])
        .equals(newer.sort(["element", "market", "year"]))
    )


def test_partitioned_writes_publish_only_their_years_and_refuse_an_empty_year(tmp_path):
    database = tmp_path / "ree.duckdb"
    frame = pl.DataFrame({"year": [2002, 2003, 2004], "value": [1.0, 2.0, 3.0]})
    target = wap.Target("raw", "by_year", "coalesce(year >= 2003 AND year < 2004, false)", "2003...2003")
    write_audit_publish(str(database), wap.Target("raw", "by_year"), frame, [], run_id="r1", asset="by_year")
    write_audit_publish(
        str(database), target, pl.DataFrame({"year": [2003], "value": [20.0]}), [], run_id="r2", asset="by_year"
    )
    assert read_table(database, "raw.by_year").sort("year")["value"].to_list() == [1.0, 20.0, 3.0]
    before = fingerprint(database, "raw.by_year")
    with pytest.raises(AuditFailed, match="value >= 0"):
        write_audit_publish(
            str(database),
            target,
            pl.DataFrame({"year": [2003], "value": [-1.0]}),
            [("odcs_contract", _no_negative_values)],
            run_id="r3",
            asset="by_year",
        )
    assert fingerprint(database, "raw.by_year") == before


def _no_negative_values(database: str, schema: str) -> list[Finding]:
    """An audit reading the candidate (the view of published years plus the new rows)."""
    with duckdb.connect(database, read_only=True) as con:
        lowest = con.execute(f"SELECT MIN(value) FROM {schema}.by_year").fetchone()[0]
    return [Finding("odcs_contract", "value >= 0", "value", f"minimum {lowest}")] if lowest < 0 else []


@pytest.mark.slow
def test_an_empty_source_file_is_refused_and_the_stored_table_kept(tmp_path):
    database = tmp_path / "ree.duckdb"
    selection = dg.AssetSelection.assets("ree_prices", "ree_complementarity")
    assert materialize(database, selection).success
    before = fingerprint(database, "raw.ree_prices")
    folder = tmp_path / "local"
    (folder / "ree").mkdir(parents=True)
    GOOD.head(0).write_csv(folder / "ree" / "ree_prices.csv")
    ree_defaults.ree_complementarity().write_csv(folder / "ree" / "ree_complementarity.csv")
    result = materialize(database, selection, small_world(mode="local", data_dir=str(folder)))
    assert not result.success
    assert "an empty table is bad data" in step_errors(result)["ree_prices"]
    assert fingerprint(database, "raw.ree_prices") == before


@pytest.mark.slow
def test_dbt_marts_are_built_and_tested_aside_then_published(tmp_path, price_spike_database):
    """A mart whose contract fails in the staging schemas is not published; renaming the file
    keeps every view working (no catalog name is stored)."""
    database = tmp_path / "ree.duckdb"
    shutil.copy(price_spike_database, database)
    mart = dg.AssetSelection.assets(*PRICE_SPIKE_ASSETS)
    before = fingerprint(database, "marts.ree_price_spikes")
    store(database, "raw", "ree_complementarity", ree_defaults.ree_complementarity().filter(pl.col("element") != "Dy"))

    result = materialize(database, mart - dg.AssetSelection.assets("ree_prices", "ree_complementarity"))

    assert not result.success
    assert "NOT published" in step_errors(result)["dbt_models"]
    assert fingerprint(database, "marts.ree_price_spikes") == before
    moved = tmp_path / "restored_backup.duckdb"
    database.rename(moved)
    assert read_table(moved, "staging.stg_raw__ree_prices").height == fingerprint(moved, "raw.ree_prices")[0]


DBT_MODELS = dg.AssetSelection.assets(*PRICE_SPIKE_ASSETS[2:])


def _dbt_on_bad_prices(tmp_path, price_spike_database, prices: pl.DataFrame) -> str:
    """The error of materialising the dbt models over ``prices`` stored as ``raw.ree_prices`` (a
    copy of the good database), after checking that the mart, the views' SQL and the journal are as
    they were, and that no staged dbt object is left."""
    database = tmp_path / "ree.duckdb"
    shutil.copy(price_spike_database, database)
    store(database, "raw", "ree_prices", prices)
    mart = fingerprint(database, "marts.ree_price_spikes")
    views = read_table(database, "(SELECT view_name, sql FROM duckdb_views() WHERE NOT internal)")

    result = materialize(database, DBT_MODELS)

    assert not result.success
    assert fingerprint(database, "marts.ree_price_spikes") == mart
    assert read_table(database, "(SELECT view_name, sql FROM duckdb_views() WHERE NOT internal)").equals(views)
    leftovers = read_table(database, "(SELECT table_schema FROM information_schema.tables)")["table_schema"]
    assert not leftovers.str.starts_with("wap_").any()
    assert cli.interrupted_versions(str(database)) == []  # rejected, not left staged
    return step_errors(result)["dbt_models"]


@pytest.mark.slow
def test_a_dbt_model_that_fails_to_build_is_named_with_the_database_error(tmp_path, price_spike_database):
    message = _dbt_on_bad_prices(tmp_path, price_spike_database, GOOD.rename({"price_usd_per_kg": "price"}))
    assert "model stg_raw__ree_prices (models/staging/stg_raw__ree_prices.sql) did not build" in message
    assert "Binder Error" in message and '"price_usd_per_kg"' in message
    assert "not built, as something they depend on failed: ree_price_spikes" in message


@pytest.mark.slow
def test_a_failing_dbt_test_is_named_with_sample_keys_of_its_rows(tmp_path, price_spike_database):
    missing = (pl.col("element") == "Nd") & pl.col("year").is_in([2010, 2011]) & (pl.col("market") == "fob_china")
    prices = GOOD.with_columns(
        pl.when(missing).then(None).otherwise(pl.col("price_usd_per_kg")).alias("price_usd_per_kg")
    )
    message = _dbt_on_bad_prices(tmp_path, price_spike_database, prices)
    assert (
        "test not_null_stg_raw__ree_prices_price_usd_per_kg (not_null on stg_raw__ree_prices column "
        "price_usd_per_kg) fails on 2 row(s); sample keys: "
    ) in message
    for year in (2010, 2011):
        assert f"(element='Nd', market='fob_china', year={year}, price_usd_per_kg=None)" in message
