"""``download`` mode pulls the publishers' own files, at their own addresses (a loopback mirror set
by ``base_urls``): the USPTO's weekly zip of a grant year, PatentsView's zipped ``g_*`` tables, and
BEA's workbooks inside ``AllTablesIO.zip``. What is stored equals what the readers give on the real
samples of ../shared/data read directly."""

import io
import zipfile

import dagster as dg
import openpyxl
import polars as pl
import pytest

from ree_assets.sources import bea
from ree_assets.sources.patent_tables import PATENT_TABLES
from ree_assets.sources.uspto_xml import read_uspto_xml
from ree_assets_tests import loopback
from ree_assets_tests.helpers import materialize, read_table, small_world, step_errors
from ree_assets_tests.patentsview_files import CURRENT_FILES, EXPECTED, sorted_rows, write_tsv

pytestmark = pytest.mark.slow

USPTO_WEEK = "/data/patent/grant/redbook/fulltext/2012/ipg120327.zip"
BEA_ARCHIVE = "/industry/iTables%20Static%20Files/AllTablesIO.zip"
#: bea_codes is left out: the only detail Use workbook of the samples is 2007's (its sheet renamed
#: 2012 here), whose codes differ from the 2012 Make table's, so their code list fails its audit.
BEA_TABLES = ("bea_use", "bea_make", "bea_summary_use", "bea_summary_make")


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def downloading(tmp_path, mirror: str, *publishers: str):
    return small_world(mode="download", cache_dir=str(tmp_path / "cache"), base_urls=dict.fromkeys(publishers, mirror))


def test_a_uspto_year_is_its_weekly_zips(shared_data, tmp_path):
    """2012 by the USPTO reader: the one week the mirror has (the real ipg120327 sample) is
    stored, the weeks it lacks are noted; a second run fetches nothing."""
    xml = shared_data / "patents" / "uspto_xml" / "ipg120327.18.xml"
    with loopback.publisher({USPTO_WEEK: zipped({"ipg120327.xml": xml.read_bytes()})}) as (handler, mirror):
        source = downloading(tmp_path, mirror, "uspto")
        config = {"ops": {"patent_pull": {"config": {"reader": "uspto_xml"}}}}
        database = tmp_path / "ree.duckdb"
        selection = dg.AssetSelection.assets(*PATENT_TABLES)
        result = materialize(database, selection, source, partition_key="2012", run_config=config)
        assert result.success, step_errors(result)
        assert len({path for path, *_ in handler.requests}) == 53 - 1  # every Tuesday of 2012: 52
        direct, _ = read_uspto_xml([xml])
        for table in PATENT_TABLES:
            stored = read_table(database, f"raw.{table}")
            if direct[table].is_empty():
                continue
            assert stored.sort(stored.columns).equals(direct[table].sort(stored.columns)), table
        (metadata,) = [
            m.metadata for m in result.asset_materializations_for_node("patent_pull") if m.asset_key.path == ["patents"]
        ]
        assert "ipg120103.zip" in metadata["source_notes"].value and "HTTP 404" in metadata["source_notes"].value
        assert str(tmp_path / "cache" / "patents" / "uspto_xml" / "ipg120327.zip") in metadata["source_files"].value
        fetched = len(handler.requests)
        assert materialize(database, selection, source, partition_key="2012", run_config=config).success
        assert len(handler.requests) - fetched == 51  # only the weeks the mirror lacks are asked again


def test_a_patentsview_year_is_read_out_of_its_zips(tmp_path):
    """2015 by PatentsView (``auto`` in download mode): the g_* tables and that year's claims and
    descriptions, fetched as zips and streamed out of them."""
    files = dict(CURRENT_FILES)
    header, *rows = files.pop("g_patent.tsv")
    more = [f"90001{n:02d}" for n in range(10)]  # a stored year holds at least 10 grants
    files["g_patent.tsv"] = (header, *rows, *([p, *rows[1][1:]] for p in more))
    served = {}
    for name, (columns, *lines) in files.items():
        write_tsv(tmp_path / name, columns, *lines)
        folder = {"g_claims": "claims", "g_detail": "detail-description-text"}.get(name[:8], "download")
        served[f"/data.patentsview.org/{folder}/{name}.zip"] = zipped({name: (tmp_path / name).read_bytes()})
    with loopback.publisher(served) as (handler, mirror):
        database = tmp_path / "ree.duckdb"
        result = materialize(
            database,
            dg.AssetSelection.assets(*PATENT_TABLES),
            downloading(tmp_path, mirror, "patentsview"),
            partition_key="2015",
            run_config={"ops": {"patent_pull": {"config": {"text_sections": ["claims", "description"]}}}},
        )
        assert result.success, step_errors(result)
        assert len(handler.requests) == len(served)
    cache = tmp_path / "cache" / "patents" / "patentsview"
    assert sorted(p.name for p in cache.glob("*.zip")) == sorted(f"{name}.zip" for name in files)
    patents = read_table(database, "raw.patents")
    assert sorted(patents["patent_id"]) == sorted(["9000001", "9000002", *more])
    for table in PATENT_TABLES[1:]:
        assert sorted_rows(table, read_table(database, f"raw.{table}")) == EXPECTED[table], table


def bea_summary_make_xlsx(csv) -> bytes:
    """The real 2012 summary Make table (a CSV of the sample folder) in BEA's workbook layout:
    a sheet per year, a line of names, a line ``Code`` of codes, totals by label only."""
    frame = pl.read_csv(csv, infer_schema=False)
    label = lambda name: " " in name  # noqa: E731 - "Total Industry Output"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "2012"
    sheet.append([None, None, *(c if label(c) else f"Commodity {c}" for c in frame.columns[1:])])
    sheet.append(["Code", "Industry Description", *(None if label(c) else c for c in frame.columns[1:])])
    for code, *values in frame.iter_rows():
        sheet.append([None if label(code) else code, code, *map(float, values)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def renamed_sheet(path, old: str, new: str) -> bytes:
    workbook = openpyxl.load_workbook(path)
    workbook[old].title = new
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_bea_tables_are_read_from_the_workbooks_in_bea_archive(shared_data, tmp_path):
    """BEA's archive holds the workbooks (the summary ones cached as ``.xlsx`` where local mode
    reads a CSV): the stored tables equal the readers on the real samples."""
    samples = shared_data / "bea"
    workbooks = samples / "bea_xlsx"
    detail_use = renamed_sheet(workbooks / "IOUse_Before_Redefinitions_PRO_2007_Detail.xlsx", "2007", "2012")
    archive = zipped(
        {
            "IOUse_Before_Redefinitions_PRO_2007_2012_Detail.xlsx": detail_use,
            "IOMake_Before_Redefinitions_2007_2012_Detail.xlsx": (
                workbooks / "IOMake_Before_Redefinitions_2007_2012_Detail.xlsx"
            ).read_bytes(),
            "IOUse_After_Redefinitions_PRO_1997-2018_Summary.xlsx": (
                workbooks / "IOUse_Before_Redefinitions_PRO_1997-2015_Summary.xlsx"
            ).read_bytes(),
            "IOMake_After_Redefinitions_1997-2018_Summary.xlsx": bea_summary_make_xlsx(
                samples / "Summary_Make_2012_AfterRedef.csv"
            ),
        }
    )
    with loopback.publisher({BEA_ARCHIVE: archive}) as (handler, mirror):
        database = tmp_path / "ree.duckdb"
        result = materialize(database, dg.AssetSelection.assets(*BEA_TABLES), downloading(tmp_path, mirror, "bea"))
        assert result.success, step_errors(result)
        assert [path for path, *_ in handler.requests] == [BEA_ARCHIVE]  # one archive serves every member
    assert (tmp_path / "cache" / "bea" / "Summary_Make_2012_AfterRedef.xlsx").is_file()
    expected = {
        "bea_use": bea.read_use(workbooks / "IOUse_Before_Redefinitions_PRO_2007_Detail.xlsx", "2007"),
        "bea_make": bea.read_make(workbooks / "IOMake_Before_Redefinitions_2007_2012_Detail.xlsx", "2012"),
        "bea_summary_use": bea.read_use(
            workbooks / "IOUse_Before_Redefinitions_PRO_1997-2015_Summary.xlsx", "2012", table="bea_summary_use"
        ),
        "bea_summary_make": bea.read_make(samples / "Summary_Make_2012_AfterRedef.csv", table="bea_summary_make"),
    }
    for table, frame in expected.items():
        stored = read_table(database, f"raw.{table}").select(frame.columns)
        assert stored.sort(frame.columns[:2]).equals(frame.sort(frame.columns[:2])), table
