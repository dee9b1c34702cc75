"""``python -m ree_assets.cli --fetch-only`` against a loopback mirror in the publishers' own address
layout: it fetches what a job needs from the registry, skips what is cached on the next run, and
says what still lacks and why (no free download, a file the mirror does not have)."""

import http.server
import io
import json
import threading
import zipfile

import pytest

from ree_assets import cli
from ree_assets.sources.worldbank import read_gdp, read_gdp_api


class Mirror(http.server.BaseHTTPRequestHandler):
    files: dict = {}

    def do_GET(self):
        body = self.files.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def mirror(shared_data):
    """The AFSV sources of the registry, served at their publishers' paths from real samples."""
    bea = shared_data / "bea" / "bea_xlsx"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(
            bea / "IOUse_Before_Redefinitions_PRO_2007_Detail.xlsx",
            "IOUse_Before_Redefinitions_PRO_2007_2012_Detail.xlsx",
        )
        zipped.write(
            bea / "IOMake_Before_Redefinitions_2007_2012_Detail.xlsx",
            "IOMake_Before_Redefinitions_2007_2012_Detail.xlsx",
        )
        zipped.write(
            bea / "IOUse_Before_Redefinitions_PRO_1997-2015_Summary.xlsx",
            "IOUse_After_Redefinitions_PRO_1997-2018_Summary.xlsx",
        )
    gdp = read_gdp(shared_data / "gdp" / "gdp.csv")
    records = [
        {"countryiso3code": c, "date": str(y), "value": v}
        for c, y, v in gdp.select("country", "year", "gdp_usd").iter_rows()
    ]
    concordances = shared_data / "concordances"
    files = {
        "/industry/iTables%20Static%20Files/AllTablesIO.zip": archive.getvalue(),
        "/v2/country/all/indicator/NY.GDP.MKTP.CD": json.dumps([{"page": 1, "pages": 1}, records]).encode(),
        "/bquast/wiod/raw/59a28ac2/data/wiot_2009.RData": (shared_data / "wiod" / "wiot_2009.RData").read_bytes(),
        **{
            f"/naics/concordances/{name}": (concordances / name).read_bytes()
            for name in ("2012_to_2007_NAICS.xls", "2007_to_2002_NAICS.xls", "2002_NAICS_to_1987_SIC.xls")
        },
    }
    handler = type("AfsvMirror", (Mirror,), {"files": files})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_only_fetches_skips_and_names_what_lacks(mirror, shared_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("REE_DATA_DIR", str(tmp_path / "data"))
    publishers = ("bea", "census", "worldbank", "wiod", "nber")
    args = ["--fetch-only", "--job", "replicate_afsv", *(f"--base-url={p}={mirror}" for p in publishers)]
    assert cli.main(args) == 1  # NBER-CES is not on the mirror and INDSTAT, GTA are user-supplied
    out = capsys.readouterr().out
    for path in (
        "bea/IOUse_Before_Redefinitions_PRO_2007_2012_Detail.xlsx",
        "concordances/2002_NAICS_to_1987_SIC.xls",
        "worldbank/gdp_api.json",
        "wiod/wiot_2009.RData",
    ):
        assert f"fetched: {path}" in out, out
    assert (
        "LACKS: bea/Summary_Make_2012_AfterRedef.xlsx (bea_make_summary)" in out
        and "no 'IOMake_After_Redefinitions_1997-2018_Summary.xlsx'" in out
    )
    assert (
        "LACKS: nber_ces/sic5811.csv (nber_ces_sic)" in out
        and f"{mirror}/nberces/nberces5811/sic5811.csv" in out
        and "HTTP 404" in out
    )
    assert (
        "LACKS: indstat/industry_stats.csv (unido_indstat): no free download" in out
        and "https://stat.unido.org/" in out
    )
    cache = tmp_path / "cache"
    assert (cache / "bea" / "AllTablesIO.zip").is_file() and not list(cache.rglob("*.part"))
    assert read_gdp_api(cache / "worldbank" / "gdp_api.json").height == read_gdp(shared_data / "gdp" / "gdp.csv").height

    assert cli.main(args) == 1
    again = capsys.readouterr().out
    assert "skipped (already cached): bea/IOUse_Before_Redefinitions_PRO_2007_2012_Detail.xlsx" in again
    assert "fetched: bea/" not in again and "fetch-only: 0 fetched" in again
