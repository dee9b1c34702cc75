"""Downloads a user can live with, against a loopback publisher: 429 and 5xx are retried (429 after
its Retry-After), a connection dropped mid-file is continued with an HTTP Range request, zip
members are checked and extracted, requests to one publisher are capped, progress is reported,
and an HTML error page fails naming the URL, the cached file and the rule. Payloads are the real
samples of ../shared/data."""

import io
import threading
import time
import zipfile

import pytest

from ree_assets.errors import DownloadError, SourceFormatError
from ree_assets.sources.download import (
    Retry,
    cached_or_fetched,
    extract_member,
    fetch,
    log_progress,
    publisher_slot,
    retry_after,
)
from ree_assets_tests import loopback

FAST = Retry(attempts=4, backoff_s=0.05)


@pytest.fixture
def publisher():
    with loopback.publisher() as served:
        yield served


def _zipped(member: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, data)
    return buffer.getvalue()


def test_429_then_200_waits_for_retry_after(publisher, tmp_path, shared_data):
    handler, base = publisher
    body = (shared_data / "gdp" / "gdp.csv").read_bytes()
    handler.files["/gdp.csv"] = body
    handler.script["/gdp.csv"] = [(429, {"Retry-After": "1"})]
    started = time.monotonic()
    fetch(f"{base}/gdp.csv", tmp_path / "gdp.csv", "gdp", columns=["Country Code"], retry=FAST)
    assert time.monotonic() - started >= 1.0  # the server's Retry-After, not the 0.05 s backoff
    assert (tmp_path / "gdp.csv").read_bytes() == body and len(handler.requests) == 2


def test_500_then_200_backs_off_and_succeeds(publisher, tmp_path, shared_data):
    handler, base = publisher
    body = (shared_data / "gdp" / "gdp.csv").read_bytes()
    handler.files["/gdp.csv"] = body
    handler.script["/gdp.csv"] = [(500, {}), (503, {})]
    fetch(f"{base}/gdp.csv", tmp_path / "gdp.csv", "gdp", retry=FAST)
    assert (tmp_path / "gdp.csv").read_bytes() == body and len(handler.requests) == 3


def test_a_dropped_connection_is_continued_with_a_range_request(publisher, tmp_path, shared_data):
    handler, base = publisher
    sample = shared_data / "patents" / "patentsview_sample" / "uspatentcitation.tsv"
    body = _zipped("uspatentcitation.tsv", sample.read_bytes() * 200)
    handler.files["/download/g_us_patent_citation.tsv.zip"] = body
    handler.script["/download/g_us_patent_citation.tsv.zip"] = ["drop"]
    seen = []
    cached = tmp_path / "patents" / "g_us_patent_citation.tsv.zip"
    fetch(
        f"{base}/download/g_us_patent_citation.tsv.zip",
        cached,
        "patent_citations",
        member="uspatentcitation.tsv",
        retry=FAST,
        progress=lambda received, total, rate: seen.append((received, total)),
    )
    assert cached.read_bytes() == body
    (_, first, _), (_, second, _) = handler.requests
    assert first is None and second == f"bytes={len(body) // 2}-"
    assert seen[-1] == (len(body), len(body)) and not list(cached.parent.glob("*.part"))


def test_an_html_error_page_fails_naming_the_url_the_cached_file_and_the_rule(publisher, tmp_path):
    handler, base = publisher
    handler.files["/claims/g_claims_2012.tsv.zip"] = b"<!DOCTYPE html><html><body>Access denied</body></html>"
    cached = tmp_path / "g_claims_2012.tsv.zip"
    with pytest.raises(DownloadError) as error:
        fetch(f"{base}/claims/g_claims_2012.tsv.zip", cached, "patent_texts", retry=FAST)
    message = str(error.value)
    assert f"{base}/claims/g_claims_2012.tsv.zip" in message and str(cached) in message
    assert "HTML page, not the data file" in message and not cached.exists()


def test_500_every_time_fails_after_the_attempts(publisher, tmp_path):
    handler, base = publisher
    handler.files["/x.csv"] = b"a,b\n1,2\n"
    handler.script["/x.csv"] = [(502, {})] * 10
    with pytest.raises(DownloadError, match=r"HTTP 502 .*after 4 attempts"):
        fetch(f"{base}/x.csv", tmp_path / "x.csv", "t", retry=FAST)
    assert len(handler.requests) == 4


def test_a_zip_must_hold_its_member_and_the_member_is_extracted(publisher, tmp_path, shared_data):
    handler, base = publisher
    workbook = shared_data / "bea" / "bea_xlsx" / "IOMake_Before_Redefinitions_2007_2012_Detail.xlsx"
    handler.files["/AllTablesIO.zip"] = _zipped(workbook.name, workbook.read_bytes())
    archive = tmp_path / "bea" / "AllTablesIO.zip"
    with pytest.raises(DownloadError, match="lacks the member 'IOUse.xlsx'"):
        fetch(f"{base}/AllTablesIO.zip", archive, "bea_use", member="IOUse.xlsx", retry=FAST)
    cached_or_fetched(f"{base}/AllTablesIO.zip", archive, "bea_make", member=workbook.name, retry=FAST)
    target = extract_member(archive, workbook.name, tmp_path / "bea" / workbook.name, "bea_make")
    assert target.read_bytes() == workbook.read_bytes()
    with pytest.raises(SourceFormatError, match="no 'other.xlsx'"):
        extract_member(archive, "other.xlsx", tmp_path / "bea" / "other.xlsx", "bea_make")
    assert cached_or_fetched(f"{base}/AllTablesIO.zip", archive, "bea_make", member=workbook.name) == archive
    assert len(handler.requests) == 2  # the second use is served from the cache


def test_requests_to_one_publisher_are_capped(publisher, tmp_path):
    handler, base = publisher
    for i in range(6):
        handler.files[f"/f{i}.csv"] = b"a,b\n1,2\n"

    def one(i):
        with publisher_slot("capped-test-publisher", 2):
            fetch(f"{base}/f{i}.csv", tmp_path / f"f{i}.csv", "t", retry=FAST)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(handler.requests) == 6 and handler.peak == 2


def test_retry_after_reads_seconds_and_dates():
    assert retry_after("7", 0.0) == 7.0
    assert retry_after("Thu, 01 Jan 1970 00:01:40 GMT", 40.0) == 60.0
    assert retry_after(None, 0.0) is None and retry_after("soon", 0.0) is None


def test_log_progress_reports_bytes_total_and_rate_at_intervals():
    lines = []
    report = log_progress(lines.append, "g_patent.tsv.zip", interval_s=3600)
    report(1024, 4096, 2048.0)
    report(2048, 4096, 2048.0)  # within the interval: not logged
    report(4096, 4096, 2048.0)  # complete: logged
    assert lines == [
        "g_patent.tsv.zip: 1.0 KiB of 4.0 KiB (25%) at 2.0 KiB/s",
        "g_patent.tsv.zip: 4.0 KiB of 4.0 KiB (100%) at 2.0 KiB/s",
    ]
