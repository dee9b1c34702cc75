"""Download mode against a loopback HTTP server: only whole, verified files enter the cache; a bad
cached file is refetched; every failure names the URL, the cached file and the table."""

import bz2
import gzip
import hashlib
import http.server
import io
import json
import threading
import time
import zipfile

import numpy as np
import openpyxl
import pytest

from ree_assets.defs.resources import DataSource
from ree_assets.errors import DownloadError, SourceFormatError, SourceNote
from ree_assets.sources.catalog import SourceSettings, read_table
from ree_assets.sources.download import cached_or_fetched, fetch
from ree_assets.sources.files import OLE2_MAGIC, check_content

HTML = b"<!DOCTYPE html><html><body>Service temporarily unavailable</body></html>"


def _xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Code", "Commodity", "111CA"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _npz_bytes() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, Z=np.eye(2))
    return buffer.getvalue()


def _zip_bytes(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "not a workbook")
    return buffer.getvalue()


class Publisher(http.server.BaseHTTPRequestHandler):
    """Serves ``routes[path] = (status, content type, body, mode)``; mode ``truncate`` declares
    twice the body's length, ``drip`` sends a byte every 50 ms for a minute, ``stall`` sends the
    headers and then nothing, ``steady`` sends the body in ten parts 0.15 s apart."""

    routes: dict = {}
    hits: dict = {}

    def do_GET(self):
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if self.path not in self.routes:
            self.send_error(404, "Not Found")
            return
        status, content_type, body, mode = self.routes[self.path]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if mode != "drip":
            self.send_header("Content-Length", str(2 * len(body) if mode == "truncate" else len(body)))
        self.end_headers()
        try:
            if mode == "drip":
                for _ in range(1200):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            elif mode == "stall":
                time.sleep(5)
            elif mode == "steady":
                for part in range(10):
                    time.sleep(0.15)
                    self.wfile.write(body[part * len(body) // 10 : (part + 1) * len(body) // 10])
                    self.wfile.flush()
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def publisher():
    """(routes, hits, base URL) of a publisher on 127.0.0.1 run by this test."""
    handler = type("TestPublisher", (Publisher,), {"routes": {}, "hits": {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield handler.routes, handler.hits, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _serve(routes, path, body, content_type="application/octet-stream", status=200, mode="plain"):
    routes[path] = (status, content_type, body, mode)


def _assert_names_everything(error: DownloadError, url: str, cached, table: str) -> None:
    message = str(error)
    assert url in message and str(cached) in message and repr(table) in message, message
    # an interrupted download keeps its partial file for the next run and says so; a bad one keeps nothing
    parts = list(cached.parent.glob("*.part")) if cached.parent.exists() else []
    assert not cached.exists() and (not parts or "continued by the next run" in message), message


def test_a_valid_file_is_cached_once_and_then_reused(publisher, tmp_path):
    routes, hits, base = publisher
    body = _xlsx_bytes()
    _serve(routes, "/bea/use.xlsx", body)
    cached = tmp_path / "cache" / "bea" / "use.xlsx"
    for _ in range(2):
        assert cached_or_fetched(f"{base}/bea/use.xlsx", cached, "bea_use") == cached
    assert cached.read_bytes() == body
    assert hits["/bea/use.xlsx"] == 1
    assert sorted(p.name for p in cached.parent.iterdir()) == [".use.xlsx.verified.json", "use.xlsx"]


@pytest.mark.parametrize(
    ("name", "path", "body", "content_type", "mode", "reason"),
    [
        ("html with status 200", "/bea/use.xlsx", HTML, "text/html; charset=utf-8", "plain", "HTML page"),
        ("html served as binary", "/bea/use.xlsx", HTML, "application/octet-stream", "plain", "HTML page"),
        ("truncated body", "/bea/use.xlsx", _xlsx_bytes(), "application/octet-stream", "truncate", "truncated body"),
        ("not a zip", "/bea/use.xlsx", b"PK\x03\x04 cut short", "application/octet-stream", "plain", "BadZipFile"),
        (
            "zip without the workbook",
            "/bea/use.xlsx",
            _zip_bytes("readme.txt"),
            "application/zip",
            "plain",
            "without the workbook parts",
        ),
        ("xls that is not OLE2", "/census/sic.xls", b"SIC,NAICS\n", "application/vnd.ms-excel", "plain", "OLE2"),
        (
            "RData without R's header",
            "/wiod/wiot.RData",
            gzip.compress(b"<xml/>", mtime=0),
            "application/octet-stream",
            "plain",
            "R save header",
        ),
        ("npz without arrays", "/wiod/wiot.npz", _zip_bytes("Z.txt"), "application/octet-stream", "plain", ".npy"),
        ("empty body", "/bea/use.xlsx", b"", "application/octet-stream", "plain", "empty"),
    ],
)
def test_a_bad_download_never_enters_the_cache(publisher, tmp_path, name, path, body, content_type, mode, reason):
    routes, _, base = publisher
    _serve(routes, path, body, content_type, mode=mode)
    cached = tmp_path / "cache" / path.lstrip("/")
    with pytest.raises(DownloadError, match=reason) as error:
        fetch(f"{base}{path}", cached, "some_table")
    _assert_names_everything(error.value, f"{base}{path}", cached, "some_table")


def test_a_missing_file_names_the_url_the_cache_path_and_the_table(publisher, tmp_path):
    _, _, base = publisher
    cached = tmp_path / "cache" / "bea" / "gone.xlsx"
    with pytest.raises(DownloadError, match="HTTP 404") as error:
        fetch(f"{base}/bea/gone.xlsx", cached, "bea_use")
    _assert_names_everything(error.value, f"{base}/bea/gone.xlsx", cached, "bea_use")


@pytest.mark.parametrize("mode", ["drip", "stall"])
def test_a_server_that_drips_or_stalls_fails_at_the_deadline(publisher, tmp_path, mode):
    routes, _, base = publisher
    _serve(routes, "/wiod/wiot.RData", b"RDX2\n" * 10, mode=mode)
    cached = tmp_path / "cache" / "wiod" / "wiot.RData"
    started = time.monotonic()
    with pytest.raises(DownloadError, match="deadline|timed out") as error:
        fetch(f"{base}/wiod/wiot.RData", cached, "wiod", deadline_s=1.0)
    assert time.monotonic() - started < 3.0  # the drip alone would take a minute
    _assert_names_everything(error.value, f"{base}/wiod/wiot.RData", cached, "wiod")


#: The World Bank's GDP answer (the registry's ``worldbank_gdp``) at its address, and where it is cached.
GDP_ADDRESS = "/v2/country/all/indicator/NY.GDP.MKTP.CD?format=json&per_page=20000"
GDP_CACHED = ("worldbank", "gdp_api.json")
GDP_RECORDS = [{"countryiso3code": c, "date": str(y), "value": 1e9 * y} for c in ("USA", "CHN") for y in (2011, 2012)]


def _served_gdp(routes, mode: str) -> bytes:
    """The GDP answer served at the World Bank's address (sent as ``mode``), read from there in download mode."""
    body = json.dumps([{"page": 1, "pages": 1, "total": len(GDP_RECORDS)}, GDP_RECORDS]).encode()
    _serve(routes, GDP_ADDRESS, body, content_type="application/json", mode=mode)
    return body


def _downloading(tmp_path, base: str, stall_s: float, deadline_s: float) -> DataSource:
    return DataSource(
        mode="download",
        cache_dir=str(tmp_path / "cache"),
        base_urls={"worldbank": base},
        download_stall_s=stall_s,
        download_deadline_s=deadline_s,
    )


def test_a_stalled_download_fails_after_the_data_source_stall_limit_naming_the_url(publisher, tmp_path):
    """``DataSource.download_stall_s``: no byte for that long fails, long before the whole-file deadline."""
    routes, _, base = publisher
    _served_gdp(routes, "stall")
    source = _downloading(tmp_path, base, stall_s=0.5, deadline_s=600.0)
    started = time.monotonic()
    with pytest.raises(
        DownloadError, match=r"stalled: no byte received for 0.5 s, the stall limit download_stall_s"
    ) as error:
        source.read("gdp")
    assert time.monotonic() - started < 3.0  # the server stalls for 5 s
    _assert_names_everything(error.value, f"{base}{GDP_ADDRESS}", tmp_path.joinpath("cache", *GDP_CACHED), "gdp")


def test_a_slow_but_steady_download_passes_within_the_deadline(publisher, tmp_path):
    """Parts 0.15 s apart, 1.5 s in all: under a 0.5 s stall limit and a 10 s deadline the file
    arrives whole; under a 0.8 s deadline it fails naming the deadline."""
    routes, _, base = publisher
    body = _served_gdp(routes, "steady")
    cached = tmp_path.joinpath("cache", *GDP_CACHED)
    with pytest.raises(DownloadError, match="deadline of 0.8 s"):
        _downloading(tmp_path, base, stall_s=0.5, deadline_s=0.8).read("gdp")
    frame = _downloading(tmp_path, base, stall_s=0.5, deadline_s=10.0).read("gdp")
    assert cached.read_bytes() == body and frame.height == len(GDP_RECORDS)


def test_the_download_limits_are_settings_with_environment_defaults(monkeypatch):
    monkeypatch.setenv("REE_DOWNLOAD_DEADLINE_S", "7200")
    monkeypatch.setenv("REE_DOWNLOAD_STALL_S", "90")
    settings = DataSource(mode="download").settings()
    assert (settings.download_deadline_s, settings.download_stall_s) == (7200.0, 90.0)
    monkeypatch.delenv("REE_DOWNLOAD_DEADLINE_S")
    monkeypatch.delenv("REE_DOWNLOAD_STALL_S")
    assert (DataSource().download_deadline_s, DataSource().download_stall_s) == (600.0, 60.0)


def test_csv_must_parse_with_the_expected_columns(publisher, tmp_path):
    routes, _, base = publisher
    good = b"BEA2012,NAICS2012_6d\n111200,111211\n"
    _serve(routes, "/c/good.csv", good)
    _serve(routes, "/c/renamed.csv", b"BEA,NAICS\n111200,111211\n")
    _serve(routes, "/c/ragged.csv", b"BEA2012,NAICS2012_6d\n111200,111211,9\n")
    columns = ("BEA2012", "NAICS2012_6d")
    assert fetch(f"{base}/c/good.csv", tmp_path / "good.csv", "t", columns=columns).read_bytes() == good
    with pytest.raises(DownloadError, match=r"lacks the expected columns \['BEA2012', 'NAICS2012_6d'\]"):
        fetch(f"{base}/c/renamed.csv", tmp_path / "renamed.csv", "t", columns=columns)
    with pytest.raises(DownloadError, match="as many fields as the header on line 2"):
        fetch(f"{base}/c/ragged.csv", tmp_path / "ragged.csv", "t", columns=columns)


def test_a_listed_checksum_must_match(publisher, tmp_path):
    routes, _, base = publisher
    body = _npz_bytes()
    _serve(routes, "/wiod/wiot.npz", body)
    digest = hashlib.sha256(body).hexdigest()
    assert fetch(f"{base}/wiod/wiot.npz", tmp_path / "a.npz", "wiod", sha256=digest).read_bytes() == body
    wrong = hashlib.sha256(b"another vintage").hexdigest()
    with pytest.raises(DownloadError, match=f"differs from the listed {wrong}"):
        fetch(f"{base}/wiod/wiot.npz", tmp_path / "b.npz", "wiod", sha256=wrong)
    assert not (tmp_path / "b.npz").exists()


def test_real_formats_pass_the_content_check(shared_data):
    for path in [
        shared_data / "wiod" / "wiot_2009.RData",
        shared_data / "wiod" / "wiod_2013.RData",
        shared_data / "wiod" / "derived_wiot_2009.npz",
        shared_data / "concordances" / "2002_NAICS_to_1987_SIC.xls",
        shared_data / "bea" / "bea_xlsx" / "IOMake_Before_Redefinitions_2007_2012_Detail.xlsx",
        shared_data / "bea" / "Detail_Use_2012_PRO_BeforeRedef.csv",
    ]:
        check_content(path, "any")
    assert OLE2_MAGIC == (shared_data / "concordances" / "2002_NAICS_to_1987_SIC.xls").read_bytes()[:8]
    assert bz2.decompress((shared_data / "wiod" / "wiot_2009.RData").read_bytes())[:4] == b"RDX2"


def test_a_poisoned_cache_file_is_detected_and_refetched(publisher, tmp_path):
    routes, hits, base = publisher
    body = _xlsx_bytes()
    _serve(routes, "/bea/use.xlsx", body)
    cached = tmp_path / "cache" / "bea" / "use.xlsx"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(HTML)  # left by an older version that cached an error page
    with pytest.warns(SourceNote, match="fails verification .*HTML page.*fetched again"):
        cached_or_fetched(f"{base}/bea/use.xlsx", cached, "bea_use")
    assert cached.read_bytes() == body and hits["/bea/use.xlsx"] == 1


def test_a_poisoned_cache_is_refetched_in_download_mode_and_a_failed_refetch_leaves_no_file(publisher, tmp_path):
    routes, hits, base = publisher
    _served_gdp(routes, "plain")
    settings = SourceSettings(mode="download", cache_dir=tmp_path / "cache", base_urls={"worldbank": base})
    cached = tmp_path.joinpath("cache", *GDP_CACHED)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(HTML)  # an error page cached by an older version

    with pytest.warns(SourceNote, match="gdp_api.json.*fails verification.*HTML page"):
        frame = read_table("gdp", settings)
    assert frame.height == len(GDP_RECORDS) and hits[GDP_ADDRESS] == 1

    cached.write_bytes(HTML)
    routes.clear()
    with pytest.warns(SourceNote), pytest.raises(DownloadError, match="'gdp'.*HTTP 404"):
        read_table("gdp", settings)
    assert not cached.exists()


def test_local_files_get_the_same_content_check(tmp_path):
    (tmp_path / "wiod").mkdir()
    (tmp_path / "wiod" / "wiot_2009.RData").write_bytes(HTML)
    with pytest.raises(SourceFormatError, match=r"wiod: file '.*wiot_2009.RData'.*HTML page.*wiod.yaml"):
        read_table("wiod", SourceSettings(mode="local", data_dir=tmp_path))
