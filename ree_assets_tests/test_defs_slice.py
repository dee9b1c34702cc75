"""The first vertical slice, materialised for real: REE prices and complementarity -> raw
DuckDB tables -> dbt staging and the price-spike mart -> ODCS and Great Expectations checks."""

import sys

import dagster as dg
import polars as pl
import pytest
from dagster_dbt import DbtCliResource

from ree_assets.defs.dbt import DBT_PROJECT_DIR
from ree_assets.sources.embedded import ree_defaults
from ree_assets_tests.helpers import check_results, fingerprint, materialize, read_table, small_world, step_errors

pytestmark = pytest.mark.slow

SLICE = dg.AssetSelection.assets(
    "ree_prices",
    "ree_complementarity",
    "synthetic_truth",
    "stg_raw__ree_prices",
    "stg_raw__ree_complementarity",
    "ree_price_spikes",
)


@pytest.fixture(scope="module")
def good_database(tmp_path_factory):
    database = tmp_path_factory.mktemp("slice") / "ree.duckdb"
    result = materialize(database, SLICE)
    return database, result


def test_slice_materialises_and_every_check_passes(good_database):
    database, result = good_database
    assert result.success
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialised == {
        "ree_prices",
        "ree_complementarity",
        "synthetic_truth",
        "stg_raw__ree_prices",
        "stg_raw__ree_complementarity",
        "ree_price_spikes",
    }
    checks = check_results(result)
    assert ("ree_prices", "great_expectations") in checks and ("ree_price_spikes", "odcs_contract") in checks
    assert all(c.passed for c in checks.values()), [k for k, c in checks.items() if not c.passed]


def test_price_spike_mart_reproduces_the_10_to_45x_spike(good_database):
    database, _ = good_database
    spikes = read_table(database, "marts.ree_price_spikes").filter(pl.col("market") == "fob_china")
    ratio = dict(zip(spikes["element"], spikes["spike_ratio"], strict=False))
    assert ratio == pytest.approx({"La": 100 / 5, "Ce": 100 / 4, "Pr": 180 / 15, "Nd": 200 / 15, "Dy": 1400 / 115})
    assert set(spikes["peak_year"]) == {2011}
    assert dict(zip(spikes["element"], spikes["complementarity_share"], strict=False))["Dy"] == pytest.approx(0.90)


def test_the_mart_alone_is_rebuilt_on_the_published_staging_views(good_database):
    """A run that builds only the mart (its staging views published by an earlier run) reads the
    published views: under write-audit-publish, a ref outside the run's selection is not staged.
    Its step starts dbt twice, build then run (dagster-dbt's ``dbt --version`` probe and in-process
    adapter are skipped, ``ProjectDbtCli``), each from the parse state the fixture's step kept for
    this database instead of parsing the project afresh."""
    for member in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert member in vars(DbtCliResource), f"dagster-dbt renamed {member}: ProjectDbtCli overrides nothing"
    database, _ = good_database
    before = fingerprint(database, "marts.ree_price_spikes")
    started: list[tuple[str, str]] = []

    def record(event: str, args: tuple) -> None:
        if event == "subprocess.Popen" and str(args[0]).endswith("dbt_child.py"):
            started.append((str(args[1][1]), (args[3] or {}).get("DBT_TARGET_PATH", "")))

    sys.addaudithook(record)  # an audit hook cannot be removed: it records dbt_child.py starts only
    result = materialize(database, dg.AssetSelection.assets("ree_price_spikes"))
    assert result.success, step_errors(result)
    assert fingerprint(database, "marts.ree_price_spikes") == before
    assert [command for command, _ in started] == ["build", "run"], started
    for _, target in started:
        log = (DBT_PROJECT_DIR / target / "dbt.log").read_text()
        assert "Unable to do partial parsing" not in log and "skipping partial parsing" in log, target


def write_local_tables(folder, prices: pl.DataFrame) -> None:
    (folder / "ree").mkdir(parents=True, exist_ok=True)
    prices.write_csv(folder / "ree" / "ree_prices.csv")
    ree_defaults.ree_complementarity().write_csv(folder / "ree" / "ree_complementarity.csv")


def test_broken_prices_fail_the_checks_block_downstream_and_keep_the_mart(good_database, tmp_path):
    database, _ = good_database
    before = read_table(database, "marts.ree_price_spikes")
    broken = (
        ree_defaults.ree_prices()
        .filter(pl.col("element") != "Dy")
        .with_columns(
            pl.when((pl.col("element") == "La") & (pl.col("year") == 2011))
            .then(-100.0)
            .otherwise(pl.col("price_usd_per_kg"))
            .alias("price_usd_per_kg")
        )
    )
    write_local_tables(tmp_path, broken)

    stored = {
        name: fingerprint(database, name)
        for name in ("raw.ree_prices", "staging.stg_raw__ree_prices", "marts.ree_price_spikes")
    }

    result = materialize(
        database, SLICE - dg.AssetSelection.assets("synthetic_truth"), small_world(mode="local", data_dir=str(tmp_path))
    )

    assert not result.success
    error = step_errors(result)["ree_prices"]
    assert "raw.ree_prices" in error and "NOT published" in error and str(tmp_path / "ree" / "ree_prices.csv") in error
    assert "prices are strictly positive" in error and "-100.0" in error and "'La', 'fob_china', 2011" in error
    assert "expect_column_values_to_be_between" in error and "missing values ['Dy']" in error
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "ree_price_spikes" not in materialised and "stg_raw__ree_prices" not in materialised
    assert {name: fingerprint(database, name) for name in stored} == stored
    assert read_table(database, "marts.ree_price_spikes").equals(before)


def test_local_mode_with_a_missing_file_names_the_file_and_the_contract(tmp_path):
    result = materialize(
        tmp_path / "ree.duckdb",
        dg.AssetSelection.assets("ree_prices"),
        small_world(mode="local", data_dir=str(tmp_path / "nowhere")),
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error)
    assert "ree_prices.csv" in message and "ree_prices.yaml" in message and "'local'" in message


def test_a_cross_table_expectation_says_which_table_is_missing(tmp_path):
    result = materialize(tmp_path / "ree.duckdb", dg.AssetSelection.assets("ree_prices"))
    error = step_errors(result)["ree_prices"]
    assert "ree_complementarity" in error and "not been materialised" in error


def test_the_table_a_check_compares_with_is_upstream_of_its_asset():
    """Any selection that builds ree_prices with its upstream builds ree_complementarity first."""
    from ree_assets import definitions

    graph = definitions.defs.resolve_asset_graph()
    assert dg.AssetKey("ree_complementarity") in graph.get(dg.AssetKey("ree_prices")).parent_keys
