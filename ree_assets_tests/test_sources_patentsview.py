"""The PatentsView TSV reader: the real legacy sample, the same small set of grants hand-written in
the legacy and in the current (g_*) layout (every canonical value asserted), and bad input."""

import csv
import shutil
import warnings
import zipfile
from datetime import date

import polars as pl
import pytest

from ree_assets.errors import DataValidationError
from ree_assets.sources import zip_tsv
from ree_assets.sources.patent_tables import PATENT_TABLES, AbsentSource
from ree_assets.sources.patentsview import LEGACY, read_patentsview, scan_tsv
from ree_assets_tests.patentsview_files import (
    CURRENT_FILES,
    EXPECTED,
    LEGACY_FILES,
    sorted_rows,
    write_folder,
    write_tsv,
)


def real_rows(path):
    """The real file parsed by Python's csv module, as the reference."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quotechar='"'))
    names = [name[name.find('"') :].strip('"') if '"' in name else name for name in rows[0]]
    return [dict(zip(names, row, strict=True)) for row in rows[1:]]


@pytest.fixture
def legacy_sample(shared_data):
    return shared_data / "patents" / "patentsview_sample"


def test_real_legacy_patents_equal_the_file(legacy_sample):
    tables, bad, _ = read(legacy_sample, 2018)
    reference = real_rows(legacy_sample / "patent.tsv")
    patents = tables["patents"]
    assert bad == [] and set(tables) == set(PATENT_TABLES)
    assert patents.select("patent_id", "title", "abstract", "kind").rows() == [
        (r["id"], r["title"], r["abstract"], r["kind"]) for r in reference
    ]
    assert patents["grant_date"].to_list() == [date.fromisoformat(r["date"]) for r in reference]
    assert patents["patent_id"].to_list() == [str(n) for n in range(10000000, 10000009)]
    assert (patents["grant_year"] == 2018).all() and (patents["source"] == "patentsview").all()
    assert patents["application_date"].null_count() == patents.height  # no application.tsv in the sample
    assert patents.filter(pl.col("patent_id") == "10000007")["title"].item() == "PEX expanding tool"
    assert read(legacy_sample, 2017)[0]["patents"].is_empty()


def test_real_legacy_citations_equal_the_file(legacy_sample, tmp_path):
    """The real citation rows, cited by patents listed in a patent.tsv written for them."""
    reference = real_rows(legacy_sample / "uspatentcitation.tsv")
    shutil.copy(legacy_sample / "uspatentcitation.tsv", tmp_path)
    header = ["id", "type", "number", "country", "date", "abstract", "title", "kind", "num_claims", "filename"]
    citing = sorted({r["patent_id"] for r in reference})
    write_tsv(
        tmp_path / "patent.tsv", header, *([p, "utility", p, "US", "2012-01-03", "", "T", "B1", 1, "f"] for p in citing)
    )
    tables, bad, _ = read(tmp_path, None)
    citations = tables["patent_citations"].sort("citing_id", "cited_id")
    expected = sorted(
        (r["patent_id"], r["citation_id"], date.fromisoformat(r["date"]), r["category"] or None) for r in reference
    )
    assert bad == [] and len(expected) == 9
    assert citations.select("citing_id", "cited_id", "cited_date", "category").rows() == expected
    assert (citations["cited_office"] == "US").all() and (citations["grant_year"] == 2012).all()
    scanned = scan_tsv(tmp_path / "uspatentcitation.tsv", LEGACY["us_citation"], "patent_citations").collect()
    assert scanned["sequence"].to_list() == [r["sequence"] for r in reference]  # "11", "13", ... as in the file


@pytest.fixture(params=["legacy", "current"])
def folder(request, tmp_path):
    return write_folder(tmp_path / request.param, LEGACY_FILES if request.param == "legacy" else CURRENT_FILES)


def read(folder, year=2015, **options):
    """The tables, the bad records and the notes of a read, but those naming the columns of a file
    that are not read (the fixtures hold PatentsView's whole headers)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tables, bad = read_patentsview(folder, year, sections=("claims", "description"), **options)
    return tables, bad, [w.message for w in caught if "that are not read" not in str(w.message)]


def test_both_layouts_give_every_canonical_value(folder):
    tables, bad, notes = read(folder)
    assert bad == [] and notes == []
    for table, rows in EXPECTED.items():
        assert sorted_rows(table, tables[table]) == rows, table


def test_every_year_and_the_older_grant(folder):
    tables, bad, _ = read(folder, year=None)
    assert sorted(tables["patents"]["patent_id"]) == ["8000001", "9000001", "9000002"]
    old = tables["patent_assignees"].filter(pl.col("patent_id") == "8000001")
    assert old.select("sequence", "name", "country", "assignee_type", "grant_year").rows() == [
        (0, "Old Co", "JPN", "organisation", 2011)
    ]
    assert tables["patents"].filter(pl.col("patent_id") == "8000001")["application_date"].item() is None


def test_absent_files_leave_their_tables_empty_and_say_so(folder):
    keep = {"patent.tsv", "g_patent.tsv", "uspatentcitation.tsv", "g_us_patent_citation.tsv"}
    for path in folder.iterdir():
        if path.name not in keep:
            path.unlink()
    tables, bad, notes = read(folder)
    absent = {n.table for n in notes if isinstance(n, AbsentSource)}
    assert absent == {"patent_texts", "patent_assignees", "patent_inventors", "patent_classes"}
    assert all(tables[t].is_empty() for t in absent)
    assert tables["patent_citations"].height == 2 and tables["patents"].height == 2
    assert any("foreign" in str(n) for n in notes) and any("application" in str(n) for n in notes)


def test_legacy_order_without_the_raw_tables_is_the_file_order(tmp_path):
    folder = write_folder(tmp_path / "legacy", LEGACY_FILES)
    (folder / "rawassignee.tsv").unlink()
    tables, _, notes = read(folder)
    assert tables["patent_assignees"]["name"].to_list() == ["Ann Lee", "Magnet Corp"]
    assert any("rawassignee.tsv" in str(n) and "file's order" in str(n) for n in notes)


def test_abstract_inside_g_patent_and_countries_from_raw_locations(tmp_path):
    current = dict(CURRENT_FILES)
    header, *rows = current.pop("g_patent.tsv")
    abstracts = {"9000001": "In g_patent.", "9000002": ""}
    current["g_patent.tsv"] = (
        [*header[:4], "patent_abstract", *header[4:]],
        *([*row[:4], abstracts.get(row[0], ""), *row[4:]] for row in rows),
    )
    del current["g_patent_abstract.tsv"]
    tables, _, _ = read(write_folder(tmp_path / "current", current))
    assert tables["patents"].sort("patent_id")["abstract"].to_list() == ["In g_patent.", None]
    legacy = dict(LEGACY_FILES)
    del legacy["location.tsv"]
    legacy["rawlocation.tsv"] = (
        ["id", "location_id", "city", "state", "country", "country_transformed"],
        ["rl1", "loc1", "Tokyo", "", "JP", "JP"],
        ["rl3", "loc1", "Tokio", "", "JP", "JP"],
        ["rl4", "loc1", "Tokyo", "", "DE", "DE"],
        ["rl2", "loc2", "Munich", "", "DE", "DE"],
    )
    tables, _, _ = read(write_folder(tmp_path / "legacy", legacy))
    assert tables["patent_inventors"].sort("sequence")["country"].to_list() == ["JPN", "DEU"]


BAD_HEADERS = {
    "legacy": ("uspatentcitation.tsv", "citation_id", "patent_citations"),
    "current": ("g_assignee_disambiguated.tsv", "assignee_type", "patent_assignees"),
}


def test_a_wrong_header_fails_naming_file_column_and_contract(folder):
    name, column, table = BAD_HEADERS[folder.name]
    path = folder / name
    path.write_text(path.read_text().replace(f'"{column}"', '"renamed"', 1))
    with pytest.raises(DataValidationError) as error:
        read(folder)
    message = str(error.value)
    assert str(path) in message and repr(column) in message and f"{table}.yaml" in message


def test_malformed_rows_are_skipped_or_fail_with_file_and_line(folder):
    """Line numbers count the line break inside 9000001's quoted abstract (legacy) or claim."""
    name = "patent.tsv" if folder.name == "legacy" else "g_claims_2015.tsv"
    path = folder / name
    if folder.name == "legacy":
        extra = (
            '"9000003"\t"utility"\t"9000003"\t"US"\t"2015-13-45"\t"x"\t"Bad date"\t"B2"\t1\t"f"\t0\n'
            '"9000004"\t"utility"\t"9000004"\t"US"\t"2015-03-10"\t"x"\t"Ragged"\t"B2"\t1\t"f"\t0\t"extra"\n'
            '""\t"utility"\t""\t"US"\t"2015-03-10"\t"x"\t"No id"\t"B2"\t1\t"f"\t0\n'
            '"7000001"\t"utility"\t"7000001"\t"US"\t"2010-02-30"\t"x"\t"Other year"\t"B2"\t1\t"f"\t0\n'
        )
        text = path.read_text().replace('"Old."', '"Old.\nNow two lines."')
        expected = [(7, "2015-13-45"), (8, "more fields"), (9, "no id")]  # line 5 holds the 2011 grant
    else:
        extra = (
            '"9000001"\t2\t"3. Also\nthis."\t"claim 1"\t"00003"\t0\n'
            '"9000001"\t3\t"4. Ragged."\t"claim 1"\t"00004"\t0\t"extra"\n'
            '"8000001"\t0\t"Not this year."\t""\t"00001"\t0\t"extra"\n'
        )
        text = path.read_text()
        expected = [(6, "more fields")]
    path.write_text(text + extra)
    tables, bad, _ = read(folder, policy="skip")
    assert [(b.file, b.line) for b in bad] == [(str(path), line) for line, _ in expected]
    assert all(problem in b.problem for b, (_, problem) in zip(bad, expected, strict=True))
    assert sorted(tables["patents"]["patent_id"]) == ["9000001", "9000002"]
    with pytest.raises(DataValidationError, match=f"{name}:{expected[0][0]}"):
        read(folder, policy="fail")


def test_a_foreign_citation_without_an_office_is_malformed(folder):
    name = "foreigncitation.tsv" if folder.name == "legacy" else "g_foreign_citation.tsv"
    path = folder / name
    path.write_text(path.read_text().replace('"EP"', '""'))
    tables, bad, _ = read(folder)
    assert [(b.file, b.line) for b in bad] == [(str(path), 2)] and "country" in bad[0].problem
    assert tables["patent_citations"]["cited_id"].to_list() == ["4496395", "5000000"]


def zip_folder(folder):
    """Each file of ``folder`` replaced by the zip PatentsView publishes (``<name>.zip``)."""
    for path in sorted(folder.glob("*.tsv")):
        with zipfile.ZipFile(path.with_name(f"{path.name}.zip"), "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(path, path.name)
        path.unlink()
    return folder


def test_the_publishers_zips_read_as_their_tsvs_chunk_by_chunk(folder, tmp_path, monkeypatch):
    monkeypatch.setattr(zip_tsv, "CHUNK_BYTES", 64)  # records cut across many chunks
    plain, _, _ = read(folder, year=None)
    zipped, bad, notes = read(zip_folder(folder), year=None)
    assert bad == [] and notes == [] and not list(folder.glob("*.tsv"))
    for table in PATENT_TABLES:
        assert zipped[table].equals(plain[table]), table
    for table, rows in EXPECTED.items():
        assert sorted_rows(table, read(folder)[0][table]) == rows, table


def test_malformed_rows_inside_a_zip_are_reported_with_the_zip_and_line(tmp_path, monkeypatch):
    monkeypatch.setattr(zip_tsv, "CHUNK_BYTES", 50)
    folder = write_folder(tmp_path / "current", CURRENT_FILES)
    path = folder / "g_claims_2015.tsv"
    path.write_text(
        path.read_text() + '"9000001"\t2\t"3. Also\nthis."\t"c"\t"3"\t0\n"9000001"\t3\t"4."\t"c"\t"4"\t0\t"x"\n'
    )
    _, plain, _ = read(folder)
    _, zipped, _ = read(zip_folder(folder))
    assert [b.line for b in plain] == [b.line for b in zipped] == [6]
    assert zipped[0].file == str(folder / "g_claims_2015.tsv.zip")
