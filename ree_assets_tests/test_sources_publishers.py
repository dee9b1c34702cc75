"""The registry of publishers: every address renders its documented example, every format has a
reader in the project, week partitions are the year's Tuesdays; and the readers it adds (a TSV
streamed out of a zip, the USPTO's weekly zip, the World Bank API, the Census NAICS chain) on
real samples."""

import datetime as dt
import io
import json
import zipfile

import polars as pl
import pytest

from ree_assets.errors import DataValidationError, SourceFormatError
from ree_assets.sources import concordances
from ree_assets.sources.catalog import LOCAL_LAYOUT
from ree_assets.sources.patents import uspto_xml_files
from ree_assets.sources.publishers import issue_tuesdays, load_registry, mirrored, plan
from ree_assets.sources.uspto_xml import read_uspto_xml
from ree_assets.sources.worldbank import read_gdp, read_gdp_api
from ree_assets.sources.zip_tsv import read_zip_tsv

REGISTRY = load_registry()


@pytest.mark.parametrize("source", [s for s in REGISTRY.sources.values() if s.url], ids=lambda s: s.key)
def test_every_url_template_renders_the_example_its_documentation_shows(source):
    assert source.example_url and source.example_seen_at and source.documentation.startswith("https://")
    assert source.render(source.url, source.example_args) == source.example_url


def test_every_format_has_a_reader_in_the_project():
    used = {s.format for s in REGISTRY.sources.values()}
    assert used <= set(REGISTRY.formats)
    for fmt in REGISTRY.formats.values():
        assert callable(fmt.load_reader()), fmt.reader


def test_every_entry_has_its_provenance_and_local_sources_say_where_to_get_them():
    for source in REGISTRY.sources.values():
        assert source.licence and isinstance(source.checked, dt.date) and source.publisher in REGISTRY.publishers
        assert source.verified or source.note, f"{source.key}: an unverified address says why"
        if source.access == "local":
            assert source.url is None and source.obtain
    local = {s.key for s in REGISTRY.sources.values() if s.access == "local"}
    assert {"unido_indstat", "gta_subsidies", "ree_prices"} <= local  # no free download


def test_every_raw_table_of_the_catalog_has_a_registry_entry():
    """A table a publisher serves is read in download mode by the registry's reader from its
    sources' files; a table no publisher serves is local-only in the registry, at the path of the
    data folder's layout (so a run without it names the file and where to get it); a yearly pull
    (trade) reads its own partitioned source."""
    for table, layout in LOCAL_LAYOUT.items():
        sources = REGISTRY.for_tables({table})
        assert sources, f"{table}: no registry entry"
        if table in REGISTRY.tables:
            assert callable(REGISTRY.reader(table)) and any(s.access != "local" for s in sources), table
        elif all(s.access == "local" for s in sources):
            assert {s.path for s in sources} <= {f.path for f in layout.files}, table
        else:
            assert all(s.partition == "year" and s.access == "api" for s in sources), table
    assert set(REGISTRY.tables) <= set(LOCAL_LAYOUT)


def test_week_partitions_of_a_year_are_its_tuesdays():
    weeks = issue_tuesdays(2012)
    assert len(weeks) == 52 and weeks[0] == dt.date(2012, 1, 3) and weeks[-1] == dt.date(2012, 12, 25)
    assert all(d.weekday() == 1 for d in weeks) and dt.date(2012, 3, 27) in weeks
    assert len(issue_tuesdays(2013)) == 53  # 2013 starts on a Tuesday
    uspto = REGISTRY.sources["uspto_grant_fulltext"]
    files = uspto.fetches(range(2012, 2013), None, REGISTRY.formats)
    assert len(files) == 52 and files[12].url.endswith("/2012/ipg120327.zip")
    assert files[12].member == "ipg120327.xml" and files[12].path == "patents/uspto_xml/ipg120327.zip"
    assert uspto.fetches(range(2003, 2005), None, REGISTRY.formats) == []  # before 2005: PatentsView


def test_a_mirror_replaces_the_host_and_keeps_the_publishers_path():
    url = "https://s3.amazonaws.com/data.patentsview.org/claims/g_claims_2012.tsv.zip"
    assert (
        mirrored(url, "http://127.0.0.1:9/m/")
        == "http://127.0.0.1:9/m/data.patentsview.org/claims/g_claims_2012.tsv.zip"
    )
    assert mirrored(url, None) == url
    [(source, (gdp,))] = list(plan({"gdp"}, range(2012, 2013), {"worldbank": "http://127.0.0.1:9"}))
    assert source.key == "worldbank_gdp"
    assert gdp.url == "http://127.0.0.1:9/v2/country/all/indicator/NY.GDP.MKTP.CD?format=json&per_page=20000"


def _zipped(member: str, text: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, text)
    return buffer.getvalue()


def test_a_tsv_member_is_streamed_in_chunks_with_quoted_line_breaks_kept_whole(tmp_path):
    rows = [f'{i}\t"claim {i}\nsecond ""line"" of {i}"\t{i % 3}' for i in range(500)]
    text = ("patent_id\tclaim_text\tclaim_sequence\n" + "\n".join(rows) + "\n").encode()
    archive = tmp_path / "g_claims_2012.tsv.zip"
    archive.write_bytes(_zipped("g_claims_2012.tsv", text))
    frame = read_zip_tsv(archive, "g_claims_2012.tsv", columns=["patent_id"], chunk_bytes=97)
    assert frame.height == 500 and frame["claim_text"][7] == 'claim 7\nsecond "line" of 7'
    kept = read_zip_tsv(archive, "g_claims_2012.tsv", where=pl.col("claim_sequence") == "0", chunk_bytes=97)
    assert kept["patent_id"].to_list() == [str(i) for i in range(0, 500, 3)]


def test_a_patentsview_sample_reads_the_same_from_its_zip(shared_data, tmp_path):
    sample = shared_data / "patents" / "patentsview_sample" / "uspatentcitation.tsv"
    archive = tmp_path / "uspatentcitation.tsv.zip"
    archive.write_bytes(_zipped("uspatentcitation.tsv", sample.read_bytes()))
    streamed = read_zip_tsv(archive, "uspatentcitation.tsv", columns=["patent_id", "citation_id"], chunk_bytes=300)
    direct = pl.read_csv(sample, separator="\t", infer_schema=False, quote_char='"')
    assert streamed.equals(direct)


def test_a_renamed_column_a_missing_member_and_a_truncated_zip_fail_naming_the_file(tmp_path):
    archive = tmp_path / "g_patent.tsv.zip"
    body = _zipped("g_patent.tsv", b"patent_id\tdate\n1\t2012-01-03\n" * 2000)
    archive.write_bytes(body)
    with pytest.raises(SourceFormatError, match=r"g_patent.tsv.zip!g_patent.tsv.*missing \['patent_date'\]"):
        read_zip_tsv(archive, "g_patent.tsv", columns=["patent_id", "patent_date"])
    with pytest.raises(SourceFormatError, match=r"holds the member.*no 'g_claims.tsv'"):
        read_zip_tsv(archive, "g_claims.tsv")
    archive.write_bytes(body[: len(body) // 2])
    with pytest.raises(SourceFormatError, match="complete zip archive"):
        read_zip_tsv(archive, "g_patent.tsv")


def test_the_weekly_uspto_zip_reads_as_its_xml(shared_data, tmp_path):
    xml = shared_data / "patents" / "uspto_xml" / "ipg120327.18.xml"
    (tmp_path / "ipg120327.zip").write_bytes(_zipped("ipg120327.xml", xml.read_bytes()))
    (files,) = [uspto_xml_files(tmp_path, 2012)]
    assert [f.name for f in files] == ["ipg120327.zip"]
    from_zip, _ = read_uspto_xml(files)
    direct, _ = read_uspto_xml([xml])
    assert from_zip["patents"].height == 18 and from_zip["patents"].equals(direct["patents"])


def test_the_world_bank_api_answer_reads_as_the_long_csv(shared_data, tmp_path):
    csv = read_gdp(shared_data / "gdp" / "gdp.csv").filter(pl.col("year") >= 2010)
    records = [
        {"countryiso3code": c, "date": str(y), "value": v, "indicator": {"id": "NY.GDP.MKTP.CD"}}
        for c, y, v in csv.select("country", "year", "gdp_usd").iter_rows()
    ]
    records.append({"countryiso3code": "", "date": "2012", "value": 1.0})  # an aggregate without ISO3
    path = tmp_path / "gdp_api.json"
    path.write_text(json.dumps([{"page": 1, "pages": 1, "total": len(records)}, records]))
    assert read_gdp_api(path).equals(csv)
    path.write_text(json.dumps([{"page": 1, "pages": 3}, records]))
    with pytest.raises(DataValidationError, match="complete in one page"):
        read_gdp_api(path)
    path.write_text(json.dumps([{"message": [{"id": "120", "value": "Invalid value"}]}]))
    with pytest.raises(DataValidationError, match="Invalid value"):
        read_gdp_api(path)


def test_the_census_chain_2012_2007_2002_holds_the_links_of_the_chained_csv(shared_data):
    folder = shared_data / "concordances"
    chained = concordances.read_census_naics_chain(folder / "2012_to_2007_NAICS.xls", folder / "2007_to_2002_NAICS.xls")
    published = concordances.read_naics2012_naics2002(folder / "naics2012_naics2002.csv")
    assert set(chained.iter_rows()) == set(published.iter_rows()) and chained.height == 1209
