"""Year ranges in the contracts: every year column is bounded, the pulls by their partition ranges,
``ree_prices`` by 1950 and the current year as the check runs; and a ``ree_prices`` file with
years outside the range is refused before publishing, leaving the published table as it was."""

import re
import shutil
from datetime import date

import dagster as dg
import polars as pl
import pytest

from ree_assets.sources.contracts import CONTRACTS_DIR, load_contract
from ree_assets.sources.embedded import ree_defaults
from ree_assets_tests.helpers import failed_rules, fingerprint, materialize, small_world, step_errors

YEAR_RULE = "year lies between 1950 and the current year (evaluated when the check runs)"


def _year_columns(table: str) -> dict[str, list[str]]:
    """Integer columns named ``year`` or ``*_year`` -> the SQL rules of the contract naming them."""
    columns = {}
    for obj in load_contract(table)["schema"]:
        rules = [*obj.get("quality", []), *(q for p in obj["properties"] for q in p.get("quality", []))]
        queries = [r.get("query", "") for r in rules if r.get("type") == "sql"]
        for prop in obj["properties"]:
            name = prop["name"]
            if prop.get("logicalType") == "integer" and (name == "year" or name.endswith("_year")):
                columns[name] = [q for q in queries if re.search(rf"\b{name}\s*(<|>|NOT BETWEEN)", q)]
    return columns


@pytest.mark.parametrize("table", sorted(path.stem for path in CONTRACTS_DIR.glob("*.yaml")))
def test_every_year_column_has_a_range(table):
    unbounded = [column for column, rules in _year_columns(table).items() if not rules]
    assert not unbounded, f"{table}: year columns without a range rule: {unbounded}"


def _partitioned_assets() -> dict[str, tuple[str, dg.PartitionsDefinition]]:
    """Table -> (partition column, partitions) of every yearly partitioned asset."""
    from ree_assets import definitions

    found = {}
    for assets_def in definitions.assets:
        if isinstance(assets_def, dg.AssetsDefinition) and assets_def.partitions_def is not None:
            for key in assets_def.keys:
                column = assets_def.metadata_by_key[key].get("partition_expr", "year")
                found[key.path[-1]] = (column, assets_def.partitions_def)
    return found


def test_the_pulls_ranges_are_their_partition_ranges():
    """A year the pull cannot write is a year its contract refuses (the range is written in the
    contract: this test keeps it equal to ``defs/partitions.py``)."""
    pulls = _partitioned_assets()
    assert {"patents", "patent_citations", "ree_patents", "trade"} <= set(pulls)
    for table, (column, partitions) in pulls.items():
        keys = partitions.get_partition_keys()
        bounds = {
            tuple(map(int, found))
            for rule in _year_columns(table)[column]
            for found in re.findall(r"BETWEEN (\d+) AND (\d+)", rule)
        }
        assert bounds == {(int(keys[0]), int(keys[-1]))}, (table, bounds)


def _prices_with_years(*years: int) -> pl.DataFrame:
    good = ree_defaults.ree_prices()
    extra = good.filter((pl.col("year") == 2011) & (pl.col("element") == "Nd") & (pl.col("market") == "fob_china"))
    return pl.concat([good, *(extra.with_columns(pl.lit(year, good.schema["year"]).alias("year")) for year in years)])


def test_the_ree_prices_year_range_ends_at_the_current_year_as_the_check_runs(tmp_path):
    """1850 and 2999 fail; this year passes and next year fails, so the bound is not a number
    written into the contract."""
    this_year = date.today().year
    assert YEAR_RULE in failed_rules(tmp_path / "a.duckdb", "ree_prices", _prices_with_years(1850))
    assert YEAR_RULE in failed_rules(tmp_path / "b.duckdb", "ree_prices", _prices_with_years(2999))
    assert YEAR_RULE in failed_rules(tmp_path / "c.duckdb", "ree_prices", _prices_with_years(this_year + 1))
    assert YEAR_RULE not in failed_rules(tmp_path / "d.duckdb", "ree_prices", _prices_with_years(1950, this_year))


@pytest.fixture(scope="module")
def good_database(tmp_path_factory):
    """One database holding good versions of ree_prices and ree_complementarity (its suite's other table)."""
    database = tmp_path_factory.mktemp("good") / "ree.duckdb"
    assert materialize(database, dg.AssetSelection.assets("ree_prices", "ree_complementarity")).success
    return database


@pytest.mark.slow
def test_ree_prices_with_years_out_of_range_is_refused_before_publishing(good_database, tmp_path):
    database = tmp_path / "ree.duckdb"
    shutil.copy(good_database, database)
    before = fingerprint(database, "raw.ree_prices")
    folder = tmp_path / "local" / "ree"
    folder.mkdir(parents=True)
    _prices_with_years(1850, 2999).write_csv(folder / "ree_prices.csv")

    result = materialize(
        database, dg.AssetSelection.assets("ree_prices"), small_world(mode="local", data_dir=str(tmp_path / "local"))
    )

    assert not result.success
    error = step_errors(result)["ree_prices"]
    assert "raw.ree_prices" in error and "NOT published" in error and YEAR_RULE in error, error
    assert "1850" in error and "2999" in error and "ree_prices.csv" in error, error  # offending rows, the file
    assert fingerprint(database, "raw.ree_prices") == before
