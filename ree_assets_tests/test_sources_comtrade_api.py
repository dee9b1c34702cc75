"""The UN Comtrade API client against a loopback API serving the real Comtrade records of the
sample (China's 2010 trade, its totals given HS6 codes: the sample holds only totals): pages
assembled equal the single file read; a 429 of the per-second rate is waited out; the day's call
limit (counted, or the API's quota 429) stops the pull cleanly, saying what is cached and when to
resume, and the next day's run fetches only the pages not cached. The trade asset in download mode
stores what the file read gives."""

import datetime as dt
import json
import time
import urllib.parse

import dagster as dg
import polars as pl
import pytest

from ree_assets.sources.comtrade import read_trade_file
from ree_assets.sources.comtrade_api import ComtradeQuery, QuotaExhausted, fetch_year_pages, read_api_years
from ree_assets.sources.settings import SourceSettings
from ree_assets_tests import loopback
from ree_assets_tests.helpers import materialize, read_table, small_world, step_errors

ENDPOINT = "/data/v1/get/C/A/HS"
CODES = ("280530", "284610", "284690", "850511")
TODAY = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
#: One page per HS6 code, no waiting between calls.
QUERY = ComtradeQuery(cmd_codes=CODES, codes_per_call=1, calls_per_minute=60_000, attempts=3)


@pytest.fixture
def records(shared_data) -> list[dict]:
    real = json.loads((shared_data / "trade" / "HS-60a6ad.json").read_text())["data"]
    return [
        {**record, "cmdCode": code, "primaryValue": record["primaryValue"] * (n + 1) / 7}
        for n, code in enumerate(CODES)
        for record in real
    ]


def api(records):
    """The v1 get: the records of the asked period and codes, as the API wraps them."""

    def answer(params: dict) -> bytes:
        codes = params["cmdCode"].split(",")
        data = [r for r in records if str(r["refYear"]) == params["period"] and r["cmdCode"] in codes]
        return json.dumps({"elapsedTime": "0.1 secs", "count": len(data), "data": data, "error": ""}).encode()

    return answer


@pytest.fixture
def comtrade(records, monkeypatch):
    monkeypatch.setenv("COMTRADE_API_KEY", "test-key")
    with loopback.publisher({ENDPOINT: api(records)}) as (handler, base):
        yield handler, base


def settings(tmp_path, base) -> SourceSettings:
    return SourceSettings(mode="download", cache_dir=tmp_path / "cache", base_urls={"comtrade": base})


def single_file(records, tmp_path) -> pl.DataFrame:
    path = tmp_path / "comtrade_2010.json"
    path.write_text(json.dumps({"data": records}))
    return read_trade_file(path)


def asked_codes(handler) -> list[str]:
    return [urllib.parse.parse_qs(path.partition("?")[2])["cmdCode"][0] for path, *_ in handler.requests]


def test_pages_assembled_equal_the_single_file_read(comtrade, records, tmp_path):
    handler, base = comtrade
    frame = read_api_years(range(2010, 2011), settings(tmp_path, base), QUERY, now=lambda: TODAY)
    expected = single_file(records, tmp_path)
    assert frame.height == 16 and frame.sort(frame.columns).equals(expected.sort(frame.columns))
    assert asked_codes(handler) == list(CODES)
    again = read_api_years(range(2010, 2011), settings(tmp_path, base), QUERY, now=lambda: TODAY)
    assert again.equals(frame) and len(handler.requests) == 4  # every page cached


def test_a_rate_429_is_waited_out_and_calls_are_spaced(comtrade, records, tmp_path):
    handler, base = comtrade
    rate = b'{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."}'
    handler.script[ENDPOINT] = [(429, {"Retry-After": "1"}, rate)]
    started = time.monotonic()
    spaced = ComtradeQuery(cmd_codes=CODES, codes_per_call=1, calls_per_minute=300, attempts=3)  # 0.2 s apart
    frame = read_api_years(range(2010, 2011), settings(tmp_path, base), spaced, now=lambda: TODAY)
    assert time.monotonic() - started >= 1.0 + 3 * 0.2  # the Retry-After, then three spaced calls
    assert asked_codes(handler) == [CODES[0], *CODES] and frame.height == 16


def test_the_daily_limit_stops_cleanly_and_the_next_day_resumes(comtrade, records, tmp_path):
    handler, base = comtrade
    limited = ComtradeQuery(cmd_codes=CODES, codes_per_call=1, calls_per_minute=60_000, calls_per_day=3)
    source = settings(tmp_path, base)
    with pytest.raises(QuotaExhausted) as stop:
        fetch_year_pages(2010, source, limited, now=lambda: TODAY)
    message = str(stop.value)
    assert "3 of the 4 pages of 2010 are cached" in message and "after 2026-12-08 00:00 UTC" in message
    assert str(tmp_path / "cache" / "trade" / "comtrade_api" / "2010") in message
    with pytest.raises(QuotaExhausted):  # the same day: no call at all
        fetch_year_pages(2010, source, limited, now=lambda: TODAY + dt.timedelta(hours=2))
    assert len(handler.requests) == 3
    tomorrow = lambda: TODAY + dt.timedelta(days=1)  # noqa: E731
    frame = read_api_years(range(2010, 2011), source, limited, now=tomorrow)
    assert asked_codes(handler) == list(CODES)  # only the page not cached was asked again
    assert frame.sort(frame.columns).equals(single_file(records, tmp_path).sort(frame.columns))


def test_the_apis_quota_429_stops_cleanly_and_the_next_day_resumes(comtrade, records, tmp_path):
    handler, base = comtrade
    quota = b'{"statusCode": 403, "message": "Out of call volume quota. Quota will be replenished in 08:59:59."}'
    handler.script[ENDPOINT] = [None, (429, {}, quota)]
    source = settings(tmp_path, base)
    with pytest.raises(QuotaExhausted, match=r"Out of call volume quota.*1 of the 4 pages of 2010 are cached"):
        fetch_year_pages(2010, source, QUERY, now=lambda: TODAY)
    with pytest.raises(QuotaExhausted):
        fetch_year_pages(2010, source, QUERY, now=lambda: TODAY)
    assert len(handler.requests) == 2
    pages = fetch_year_pages(2010, source, QUERY, now=lambda: TODAY + dt.timedelta(days=1))
    assert len(pages) == 4 and asked_codes(handler) == [CODES[0], CODES[1], *CODES[1:]]


def test_without_a_key_the_pull_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    with pytest.raises(FileNotFoundError, match="COMTRADE_API_KEY"):
        fetch_year_pages(2010, settings(tmp_path, "http://127.0.0.1:9"), QUERY)


@pytest.mark.slow
def test_the_trade_asset_in_download_mode_stores_the_api_records(comtrade, records, tmp_path, monkeypatch):
    handler, base = comtrade
    monkeypatch.setenv("REE_COMTRADE_CMD_CODES", ",".join(CODES))
    monkeypatch.setenv("REE_COMTRADE_CALLS_PER_MINUTE", "60000")
    monkeypatch.setenv("REE_COMTRADE_CALLS_PER_DAY", "0")  # the day's calls already spent
    source = small_world(mode="download", cache_dir=str(tmp_path / "cache"), base_urls={"comtrade": base})
    database = tmp_path / "ree.duckdb"
    stopped = materialize(database, dg.AssetSelection.assets("trade"), source, partition_key="2010")
    assert not stopped.success and "daily call limit reached" in step_errors(stopped)["trade"]
    assert "0 of the 1 pages of 2010" in step_errors(stopped)["trade"] and not handler.requests
    monkeypatch.setenv("REE_COMTRADE_CALLS_PER_DAY", "500")  # as on the next day
    result = materialize(database, dg.AssetSelection.assets("trade"), source, partition_key="2010")
    assert result.success, step_errors(result)
    stored = read_table(database, "raw.trade").select(single_file(records, tmp_path).columns)
    assert stored.sort(stored.columns).equals(single_file(records, tmp_path).sort(stored.columns))
    assert asked_codes(handler) == [",".join(CODES)]  # one call: the four codes fit one page


def test_fetch_only_fetches_the_pages_then_skips_them(comtrade, tmp_path, monkeypatch):
    from ree_assets import cli

    handler, base = comtrade
    monkeypatch.setenv("REE_COMTRADE_CALLS_PER_MINUTE", "60000")
    lines, complete = cli.fetch_only({"trade"}, range(2010, 2012), settings(tmp_path, base))
    assert complete and "fetched: trade/comtrade_api/2010 (1 pages) (comtrade_trade)" in lines
    assert "fetched: trade/comtrade_api/2011 (1 pages) (comtrade_trade)" in lines  # a year without records
    again, _ = cli.fetch_only({"trade"}, range(2010, 2012), settings(tmp_path, base))
    assert "skipped (already cached): trade/comtrade_api/2010 (1 pages) (comtrade_trade)" in again
    assert len(handler.requests) == 2
