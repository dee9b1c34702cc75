"""``download`` mode pulls the publishers' own files, at their own addresses (a loopback mirror set
by ``base_urls``): the USPTO's weekly zip of a grant year, PatentsView's zipped ``g_*`` tables, and
BEA's workbooks inside ``AllTablesIO.zip``. What is stored equals what the readers give on the real
samples of ../shared/data read directly."""

import io
import re
import zipfile

import dagster as dg
import openpyxl
import polars as pl
import pytest

from ree_assets.defs.resources import DataSource
from ree_assets.sources import bea, concordances
from ree_assets.sources.patent_tables import PATENT_TABLES
from ree_assets.sources.uspto_xml import read_uspto_xml
from ree_assets_tests import loopback
from ree_assets_tests.helpers import materialize, published_fingerprints, read_table, small_world, step_errors
from ree_assets_tests.patentsview_files import CURRENT_FILES, EXPECTED, sorted_rows, write_tsv

pytestmark = pytest.mark.slow

USPTO_WEEK = "/data/patent/grant/redbook/fulltext/2012/ipg120327.zip"
BEA_ARCHIVE = "/industry/iTables%20Static%20Files/AllTablesIO.zip"
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


def patentsview_files() -> dict[str, tuple]:
    """The current-layout files of the grants of 2015 (at least the 10 a stored year holds)."""
    files = dict(CURRENT_FILES)
    header, *rows = files.pop("g_patent.tsv")
    files["g_patent.tsv"] = (header, *rows, *([p, *rows[1][1:]] for p in MORE_GRANTS))
    return files


MORE_GRANTS = [f"90001{n:02d}" for n in range(10)]
G_PATENT = "/data.patentsview.org/download/g_patent.tsv.zip"


def patentsview_served(folder, files: dict[str, tuple]) -> dict[str, bytes]:
    """PatentsView's zips of ``files`` at their addresses (written as TSV in ``folder`` first)."""
    served = {}
    for name, (columns, *lines) in files.items():
        write_tsv(folder / name, columns, *lines)
        kind = {"g_claims": "claims", "g_detail": "detail-description-text"}.get(name[:8], "download")
        served[f"/data.patentsview.org/{kind}/{name}.zip"] = zipped({name: (folder / name).read_bytes()})
    return served


def pull_2015(database, source: DataSource) -> dg.ExecuteInProcessResult:
    return materialize(
        database,
        dg.AssetSelection.assets(*PATENT_TABLES),
        source,
        partition_key="2015",
        run_config={"ops": {"patent_pull": {"config": {"text_sections": ["claims", "description"]}}}},
    )


def test_a_patentsview_year_is_read_out_of_its_zips(tmp_path):
    """2015 by PatentsView (``auto`` in download mode): the g_* tables and that year's claims and
    descriptions, fetched as zips and streamed out of them."""
    files = patentsview_files()
    served = patentsview_served(tmp_path, files)
    with loopback.publisher(served) as (handler, mirror):
        database = tmp_path / "ree.duckdb"
        result = pull_2015(database, downloading(tmp_path, mirror, "patentsview"))
        assert result.success, step_errors(result)
        assert len(handler.requests) == len(served)
    cache = tmp_path / "cache" / "patents" / "patentsview"
    assert sorted(p.name for p in cache.glob("*.zip")) == sorted(f"{name}.zip" for name in files)
    patents = read_table(database, "raw.patents")
    assert sorted(patents["patent_id"]) == sorted(["9000001", "9000002", *MORE_GRANTS])
    for table in PATENT_TABLES[1:]:
        assert sorted_rows(table, read_table(database, f"raw.{table}")) == EXPECTED[table], table


def test_a_changed_patentsview_file_fails_naming_the_url_the_cached_file_and_the_rule(tmp_path):
    """After a good pull of 2015 PatentsView changes g_patent.tsv.zip (each time a fresh cache):
    a zip cut short, a header without ``patent_date`` and an HTML page in its place fail naming the
    address, the cached zip and the rule, and the published tables keep their rows; a column
    added is noted in the log and not stored, the stored rows unchanged."""
    files = patentsview_files()
    served = patentsview_served(tmp_path, files)
    database = tmp_path / "ree.duckdb"
    header, *rows = files["g_patent.tsv"]
    renamed = patentsview_served(
        tmp_path, {"g_patent.tsv": (["grant_date" if c == "patent_date" else c for c in header], *rows)}
    )
    added = patentsview_served(tmp_path, {"g_patent.tsv": ([*header, "patent_new_field"], *([*r, "x"] for r in rows))})
    truncated = served[G_PATENT][: len(served[G_PATENT]) // 2]
    with loopback.publisher(served) as (handler, mirror):
        assert pull_2015(database, downloading(tmp_path, mirror, "patentsview")).success
        before = published_fingerprints(database)
        for n, (body, rule) in enumerate(
            [
                (truncated, "a complete, valid file of its format"),
                (renamed[G_PATENT], "has the columns"),
                (b"<!DOCTYPE html><html><body>Moved</body></html>", "HTML page, not the data file"),
            ]
        ):
            handler.files[G_PATENT] = body
            source = small_world(
                mode="download", cache_dir=str(tmp_path / f"cache{n}"), base_urls={"patentsview": mirror}
            )
            result = pull_2015(database, source)
            assert not result.success
            (message,) = step_errors(result).values()
            cached = tmp_path / f"cache{n}" / "patents" / "patentsview" / "g_patent.tsv.zip"
            assert f"{mirror}{G_PATENT}" in message and str(cached) in message and rule in message, message
            assert published_fingerprints(database) == before
        handler.files[G_PATENT] = added[G_PATENT]
        instance = dg.DagsterInstance.ephemeral()
        source = small_world(
            mode="download", cache_dir=str(tmp_path / "cache_added"), base_urls={"patentsview": mirror}
        )
        result = materialize(
            database,
            dg.AssetSelection.assets(*PATENT_TABLES),
            source,
            partition_key="2015",
            instance=instance,
            run_config={"ops": {"patent_pull": {"config": {"text_sections": ["claims", "description"]}}}},
        )
        assert result.success, step_errors(result)
    logged = [entry.user_message for entry in instance.all_logs(result.run_id) if not entry.is_dagster_event]
    assert any("g_patent.tsv.zip" in line and "'patent_new_field'" in line and "not read" in line for line in logged)
    assert {t: v for t, v in published_fingerprints(database).items() if t.startswith("raw.patent")} == {
        t: v for t, v in before.items() if t.startswith("raw.patent")
    }


def bea_xlsx(csv) -> bytes:
    """A real BEA table of the sample folder (a CSV) in BEA's workbook layout: a sheet 2012, a line
    of names, a line ``Code`` of codes, totals by label only, zeros left blank."""
    frame = pl.read_csv(csv, infer_schema=False)
    label = lambda name: " " in name  # noqa: E731 - "Total Industry Output"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "2012"
    sheet.append([None, None, *(c if label(c) else f"Name of {c}" for c in frame.columns[1:])])
    sheet.append(["Code", "Description", *(None if label(c) else c for c in frame.columns[1:])])
    for code, *values in frame.iter_rows():
        cells = (float(v) if v not in (None, "") and float(v) else None for v in values)
        sheet.append([None if label(code) else code, code, *cells])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def renamed_sheet(workbook: bytes, old: str, new: str) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    book[old].title = new
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def bea_members(samples) -> dict[str, bytes]:
    """AllTablesIO.zip's members the registry names: the 2012 detail and summary Use and Make
    tables (one vintage, so they tie) and BEA's own summary total requirements workbook."""
    return {
        "IOUse_Before_Redefinitions_PRO_2007_2012_Detail.xlsx": bea_xlsx(
            samples / "Detail_Use_2012_PRO_BeforeRedef.csv"
        ),
        "IOMake_Before_Redefinitions_2007_2012_Detail.xlsx": bea_xlsx(samples / "Detail_Make_2012_BeforeRedef.csv"),
        "IOUse_After_Redefinitions_PRO_1997-2018_Summary.xlsx": bea_xlsx(
            samples / "Summary_Use_2012_PRO_AfterRedef.csv"
        ),
        "IOMake_After_Redefinitions_1997-2018_Summary.xlsx": bea_xlsx(samples / "Summary_Make_2012_AfterRedef.csv"),
        "IxC_TR_1997-2018_Summary.xlsx": (samples / "bea_xlsx" / "IxC_TR_1997-2015_Summary.xlsx").read_bytes(),
    }


#: The archive's progress is reported under the archive's own path in the cache, whichever of its
#: members a run reads first.
BEA_ARCHIVE_FILE = f"bea/{BEA_ARCHIVE.rsplit('/', 1)[-1]}"
CONCORDANCE_FILES = {
    "/insongkim/concordance/raw/957a11e0/data-raw/2012_BEA_to_2012_NAICS.csv": "2012_BEA_to_2012_NAICS.csv",
    "/naics/concordances/2012_to_2007_NAICS.xls": "2012_to_2007_NAICS.xls",
    "/naics/concordances/2007_to_2002_NAICS.xls": "2007_to_2002_NAICS.xls",
    "/naics/concordances/2002_NAICS_to_1987_SIC.xls": "2002_NAICS_to_1987_SIC.xls",
}


def test_the_bea_tables_and_the_concordance_chain_are_read_from_the_publishers_files(shared_data, tmp_path):
    """BEA's archive holds the workbooks (the summary ones cached as ``.xlsx`` where local mode
    reads a CSV), the Census workbooks chain NAICS 2012 -> 2007 -> 2002 -> SIC 1987: the stored
    tables equal the readers on the real samples read directly (the concordance as local mode
    builds it from the chained CSV), and each download's progress is in the run's log."""
    samples, folder = shared_data / "bea", shared_data / "concordances"
    served = {
        BEA_ARCHIVE: zipped(bea_members(samples)),
        **{address: (folder / name).read_bytes() for address, name in CONCORDANCE_FILES.items()},
    }
    tables = (*BEA_TABLES, "bea_codes", "bea_published_total_requirements", "bea_sic_concordance")
    instance = dg.DagsterInstance.ephemeral()
    with loopback.publisher(served) as (handler, mirror):
        database = tmp_path / "ree.duckdb"
        source = downloading(tmp_path, mirror, "bea", "census", "concordance_r")
        result = materialize(database, dg.AssetSelection.assets(*tables), source, instance=instance)
        assert result.success, step_errors(result)
        assert sorted({path for path, *_ in handler.requests}) == sorted(served)  # each file once
        assert len(handler.requests) == len(served)
    assert (tmp_path / "cache" / "bea" / "Summary_Make_2012_AfterRedef.xlsx").is_file()
    use, make = samples / "Detail_Use_2012_PRO_BeforeRedef.csv", samples / "Detail_Make_2012_BeforeRedef.csv"
    expected = {
        "bea_use": bea.read_use(use),
        "bea_make": bea.read_make(make),
        "bea_codes": bea.read_bea_codes(use, make).drop("name"),
        "bea_summary_use": bea.read_use(samples / "Summary_Use_2012_PRO_AfterRedef.csv", table="bea_summary_use"),
        "bea_summary_make": bea.read_make(samples / "Summary_Make_2012_AfterRedef.csv", table="bea_summary_make"),
        "bea_published_total_requirements": bea.read_published_total_requirements(
            samples / "derived_IxC_TR_2012_Summary_published2017.csv"
        ),
        "bea_sic_concordance": concordances.read_chained_bea_sic_concordance(
            use,
            folder / "2012_BEA_to_2012_NAICS.csv",
            folder / "naics2012_naics2002.csv",
            folder / "2002_NAICS_to_1987_SIC.xls",
            None,
        ),
    }
    for table, frame in expected.items():
        stored = read_table(database, f"raw.{table}").select(frame.columns)
        key = frame.columns[:2]
        assert stored.sort(key).equals(frame.sort(key)), table
    assert expected["bea_sic_concordance"].height > 1000
    logged = [entry.user_message for entry in instance.all_logs(result.run_id) if not entry.is_dagster_event]
    size = r"[0-9.]+ (B|KiB|MiB)"
    for path in (*(f"concordances/{name}" for name in CONCORDANCE_FILES.values()), BEA_ARCHIVE_FILE):
        progress = [line for line in logged if line.startswith(f"{path}: ")]
        done = rf"{re.escape(path)}: {size} of {size} \(100%\) at {size}/s"
        assert progress and re.fullmatch(done, progress[-1]), (path, logged)


def test_a_renamed_sheet_fails_naming_the_url_the_cached_file_and_the_rule_and_publishes_nothing(shared_data, tmp_path):
    """BEA renames the year sheet of its summary Use workbook: the run fails naming the archive's
    address, the cached workbook and the rule; the published tables keep their rows."""
    members = bea_members(shared_data / "bea")
    summary = ("bea_summary_use", "bea_summary_make")
    database = tmp_path / "ree.duckdb"
    with loopback.publisher({BEA_ARCHIVE: zipped(members)}) as (handler, mirror):
        assert materialize(database, dg.AssetSelection.assets(*summary), downloading(tmp_path, mirror, "bea")).success
        before = published_fingerprints(database)
        use = "IOUse_After_Redefinitions_PRO_1997-2018_Summary.xlsx"
        handler.files[BEA_ARCHIVE] = zipped({**members, use: renamed_sheet(members[use], "2012", "2012r")})
        source = small_world(mode="download", cache_dir=str(tmp_path / "new_cache"), base_urls={"bea": mirror})
        result = materialize(database, dg.AssetSelection.assets(*summary), source)
    assert not result.success
    (message,) = step_errors(result).values()
    cached = tmp_path / "new_cache" / "bea" / "Summary_Use_2012_PRO_AfterRedef.xlsx"
    assert f"{mirror}{BEA_ARCHIVE}" in message and str(cached) in message, message
    assert "the workbook has the year sheet" in message and "no sheet '2012'" in message, message
    assert published_fingerprints(database) == before
