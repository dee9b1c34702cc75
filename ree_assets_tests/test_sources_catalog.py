"""Data-source modes: embedded determinism, local layout, download through a loopback server."""

import functools
import http.server
import threading

import polars as pl
import pytest

from ree_assets.errors import SourceUnavailableError
from ree_assets.sources import catalog
from ree_assets.sources.catalog import SourceFile, SourceSettings, TableSource, read_table
from ree_assets.sources.embedded import ree_defaults
from ree_assets.sources.embedded.world import STAGES, embedded_table, embedded_tables, generate_stage


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


@pytest.fixture
def loopback_server(tmp_path):
    """A static file server on 127.0.0.1 serving ``tmp_path / 'publisher'``."""
    root = tmp_path / "publisher"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_mode_fetches_from_the_base_url_into_the_cache(tmp_path, loopback_server, monkeypatch):
    root, url = loopback_server
    (root / "ree").mkdir()
    ree_defaults.ree_complementarity().write_csv(root / "ree" / "ree_complementarity.csv")
    published = TableSource(
        "ree_complementarity",
        (SourceFile("ree/ree_complementarity.csv", publisher="test_publisher"),),
        catalog.LOCAL_LAYOUT["ree_complementarity"].read,
    )
    monkeypatch.setitem(catalog.LOCAL_LAYOUT, "ree_complementarity", published)
    settings = SourceSettings(mode="download", cache_dir=tmp_path / "cache", base_urls={"test_publisher": url})

    frame = read_table("ree_complementarity", settings)

    assert frame.equals(ree_defaults.ree_complementarity().select(frame.columns))
    assert (tmp_path / "cache" / "ree" / "ree_complementarity.csv").is_file()


def test_download_mode_without_a_base_url_says_which_publisher(tmp_path, monkeypatch):
    published = TableSource(
        "ree_prices",
        (SourceFile("ree/ree_prices.csv", publisher="asian_metal"),),
        catalog.LOCAL_LAYOUT["ree_prices"].read,
    )
    monkeypatch.setitem(catalog.LOCAL_LAYOUT, "ree_prices", published)
    with pytest.raises(SourceUnavailableError, match="asian_metal"):
        read_table("ree_prices", SourceSettings(mode="download", cache_dir=tmp_path))


def test_a_file_in_another_format_stands_in_only_where_its_reader_parses_it(tmp_path):
    (tmp_path / "ree").mkdir()
    ree_defaults.ree_prices().write_csv(tmp_path / "ree" / "ree_prices.xlsx")
    with pytest.raises(SourceUnavailableError, match="ree_prices.csv"):
        read_table("ree_prices", SourceSettings(mode="local", data_dir=tmp_path))


def test_outside_the_embedded_world_there_is_no_synthetic_truth(tmp_path):
    truth = read_table("synthetic_truth", SourceSettings(mode="local", data_dir=tmp_path))
    assert truth.is_empty() and truth.columns == ["stage", "parameter", "key", "value"]
