"""Contracts fail on each kind of rule they use; the loader covers every contract."""

import polars as pl
import pytest

from ree_assets.defs.quality import contract_table
from ree_assets.sources.contracts import CONTRACTS_DIR
from ree_assets.sources.embedded import ree_defaults
from ree_assets_tests.helpers import failed_rules


def test_default_tables_satisfy_their_contracts(tmp_path):
    database = tmp_path / "ree.duckdb"
    assert failed_rules(database, "ree_prices", ree_defaults.ree_prices()) == set()
    assert failed_rules(database, "ree_complementarity", ree_defaults.ree_complementarity()) == set()


@pytest.mark.parametrize(
    ("table", "break_it", "rule"),
    [
        ("ree_prices", lambda f: f.drop("market"), "Check that field 'market' is present"),
        (
            "ree_prices",
            lambda f: f.with_columns(pl.col("year").cast(pl.String) + "AD"),
            "Check that field year has type integer",
        ),
        (
            "ree_prices",
            lambda f: f.with_columns(pl.lit(None, pl.String).alias("source")),
            "Check that field source has no missing values",
        ),
        (
            "ree_complementarity",
            lambda f: pl.concat([f, f.head(1)]),
            "Check that unique field element has no duplicate values",
        ),
        ("ree_prices", lambda f: f.with_columns(-pl.col("price_usd_per_kg")), "prices are strictly positive"),
        ("ree_prices", lambda f: pl.concat([f, f.head(1)]), "one row per element, market and year"),
        (
            "ree_prices",
            lambda f: f.filter(~((pl.col("element") == "Dy") & (pl.col("year") == 2011))),
            "every element has a FOB China price in every year the table covers",
        ),
        ("ree_complementarity", lambda f: f.with_columns(pl.col("complementarity") * 2), "the score lies in [0, 100]"),
    ],
)
def test_each_kind_of_rule_fails_on_a_violating_table(tmp_path, table, break_it, rule):
    frame = getattr(ree_defaults, table)()
    assert rule in failed_rules(tmp_path / "ree.duckdb", table, break_it(frame))


def test_every_contract_names_a_table_and_the_project_server():
    paths = sorted(CONTRACTS_DIR.glob("*.yaml"))
    assert len(paths) >= 20
    for path in paths:
        assert contract_table(path) == path.stem
        assert "server: ree" in path.read_text()


def test_every_asset_stored_in_duckdb_has_a_contract():
    from ree_assets import definitions

    stored = {
        key.path[-1]
        for asset in definitions.assets
        for key, spec in asset.specs_by_key.items()
        if (spec.metadata or {}).get("schema")
    }
    contracts = {path.stem for path in CONTRACTS_DIR.glob("*.yaml")}
    assert stored <= contracts, stored - contracts
