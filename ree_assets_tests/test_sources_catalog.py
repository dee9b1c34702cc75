"""Data-source modes: embedded determinism, local layout, download through a loopback server."""

import json

import polars as pl
import pytest

from ree_assets.errors import SourceUnavailableError
from ree_assets.sources.catalog import SourceSettings, describe_origin, read_table
from ree_assets.sources.embedded import ree_defaults
from ree_assets.sources.embedded.world import STAGES, embedded_table, embedded_tables, generate_stage
from ree_assets_tests import loopback


def test_same_seed_gives_the_same_bytes_and_another_seed_another_world():
    for table in embedded_tables():
        first = embedded_table(table, 7, "small")
        generate_stage.cache_clear()
        assert first.equals(embedded_table(table, 7, "small")), table
    random_stages = [s for s, (_, tables) in STAGES.items() if tables and s not in ("ree",)]
    for stage in random_stages:
        table = STAGES[stage][1][0]
        assert not embedded_table(table, 7, "small").equals(embedded_table(table, 8, "small")), table


def test_local_mode_reads_the_documented_layout(tmp_path):
    (tmp_path / "ree").mkdir()
    prices = ree_defaults.ree_prices().with_columns(pl.col("price_usd_per_kg") * 2)
    prices.write_csv(tmp_path / "ree" / "ree_prices.csv")
    frame = read_table("ree_prices", SourceSettings(mode="local", data_dir=tmp_path))
    assert frame.equals(prices.with_columns(pl.col("year").cast(pl.Int64)))


def test_an_optional_local_file_that_is_absent_reads_as_its_default(tmp_path):
    settings = SourceSettings(mode="local", data_dir=tmp_path)
    assert read_table("magnet_use_map", settings).equals(ree_defaults.magnet_use_map())
    (tmp_path / "ree").mkdir()
    (tmp_path / "ree" / "magnet_use_map.csv").write_text(
        "bea_code,share,source\n335312,0.6,survey\nF01000,0.4,survey\n"
    )
    assert read_table("magnet_use_map", settings).rows() == [("335312", 0.6, "survey"), ("F01000", 0.4, "survey")]


def test_local_file_missing_a_contract_column_is_named(tmp_path):
    (tmp_path / "ree").mkdir()
    ree_defaults.ree_prices().drop("market").write_csv(tmp_path / "ree" / "ree_prices.csv")
    with pytest.raises(SourceUnavailableError, match=r"columns \['market'\].*ree_prices.yaml"):
        read_table("ree_prices", SourceSettings(mode="local", data_dir=tmp_path))


def test_download_mode_reads_a_publishers_file_fetched_into_the_cache(tmp_path):
    """World Bank GDP from its API address (a loopback mirror): cached where the registry says,
    read by the registry's reader."""
    records = [{"countryiso3code": "USA", "date": str(y), "value": 1e12 + y} for y in (2011, 2012)]
    answer = json.dumps([{"page": 1, "pages": 1, "total": 2}, records]).encode()
    with loopback.publisher({"/v2/country/all/indicator/NY.GDP.MKTP.CD": answer}) as (handler, mirror):
        settings = SourceSettings(mode="download", cache_dir=tmp_path / "cache", base_urls={"worldbank": mirror})
        frame = read_table("gdp", settings)
    assert frame.select("country", "year", "gdp_usd").rows() == [("USA", 2011, 1e12 + 2011), ("USA", 2012, 1e12 + 2012)]
    assert (tmp_path / "cache" / "worldbank" / "gdp_api.json").read_bytes() == answer
    assert describe_origin("gdp", settings) == str(tmp_path / "cache" / "worldbank" / "gdp_api.json")


def test_download_mode_names_the_file_and_where_to_get_it_for_a_table_no_publisher_serves(tmp_path):
    settings = SourceSettings(mode="download", data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    with pytest.raises(SourceUnavailableError, match=r"data/ree/ree_prices.csv \(Asian Metal"):
        read_table("ree_prices", settings)
    with pytest.raises(SourceUnavailableError, match=r"hs_sic_concordance.csv \(Pierce and Schott"):
        read_table("hs_sic_concordance", settings)


def test_a_file_in_another_format_stands_in_only_where_its_reader_parses_it(tmp_path):
    (tmp_path / "ree").mkdir()
    ree_defaults.ree_prices().write_csv(tmp_path / "ree" / "ree_prices.xlsx")
    with pytest.raises(SourceUnavailableError, match="ree_prices.csv"):
        read_table("ree_prices", SourceSettings(mode="local", data_dir=tmp_path))


def test_outside_the_embedded_world_there_is_no_synthetic_truth(tmp_path):
    truth = read_table("synthetic_truth", SourceSettings(mode="local", data_dir=tmp_path))
    assert truth.is_empty() and truth.columns == ["stage", "parameter", "key", "value"]
