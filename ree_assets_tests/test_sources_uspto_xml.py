"""The USPTO grant XML reader against the real weekly-file samples and their expected parses
(doolin/patentprocessor), and its handling of malformed records."""

from datetime import date

import polars as pl
import pytest

from ree_assets.errors import DataValidationError
from ree_assets.sources.patent_tables import PATENT_TABLES, uspc_code
from ree_assets.sources.uspto_xml import grant_documents, read_uspto_xml

#: The countries of the expected parse, alpha-2 as USPTO writes them -> the canonical alpha-3.
ALPHA3 = {"US": "USA", "CH": "CHE", "DE": "DEU", "FR": "FRA", "IT": "ITA", "": None}


def expected(shared_data, name: str, columns: list[str]) -> pl.DataFrame:
    path = shared_data / "patents" / "uspto_xml" / "expected_parse_ipg120327.18" / f"{name}.csv"
    return pl.read_csv(path, has_header=False, new_columns=columns, infer_schema=False).with_columns(
        pl.all().fill_null("")
    )


def unpadded(column: str) -> pl.Expr:
    """The expected parse keeps USPTO's zero padding (D0656296); the canonical id drops it."""
    return pl.col(column).str.replace(r"^D0", "D")


@pytest.fixture(scope="module")
def weekly(shared_data):
    tables, bad = read_uspto_xml(shared_data / "patents" / "uspto_xml" / "ipg120327.18.xml")
    assert bad == []
    return tables


def test_patents_equal_the_expected_parse(shared_data, weekly):
    want = expected(shared_data, "patent", ["id", "kind", "n", "series", "app", "grant", "gy", "filed", "fy", "type"])
    desc = expected(shared_data, "patdesc", ["id", "abstract", "title"])
    got = weekly["patents"].sort("patent_id")
    assert got["patent_id"].to_list() == want.select(unpadded("id"))["id"].sort().to_list()
    assert got["kind"].to_list() == want.sort("id")["kind"].to_list()
    assert got["grant_date"].to_list() == [date(2012, 3, 27)] * 18
    assert got["application_date"].dt.strftime("%Y%m%d").to_list() == want.sort("id")["filed"].to_list()
    assert got["title"].to_list() == desc.sort("id")["title"].to_list()
    assert got["abstract"].null_count() == 18 and (desc["abstract"] == "").all()  # design patents: no abstract
    assert (got["grant_year"] == 2012).all() and (got["source"] == "uspto_xml").all()


def test_classes_equal_the_expected_parse(shared_data, weekly):
    want = expected(shared_data, "class", ["id", "main", "cls", "sub"]).select(
        unpadded("id").alias("patent_id"),
        (
            pl.col("cls")
            + "/"
            + pl.col("sub").str.slice(0, 3).str.strip_chars_start("0")
            + pl.when(pl.col("sub").str.len_chars() > 3).then("." + pl.col("sub").str.slice(3)).otherwise(pl.lit(""))
        ).alias("code"),
        (pl.col("main") == "1").alias("is_main"),
    )
    got = weekly["patent_classes"].filter(pl.col("scheme") == "uspc").select("patent_id", "code", "is_main")
    assert got.sort(pl.all()).equals(want.sort(pl.all()))
    assert "D3/203.1" in got["code"].to_list()  # main-classification "D 32031"


def test_assignees_and_inventors_equal_the_expected_parse(shared_data, weekly):
    assignees = expected(shared_data, "assignee", ["id", "role", "name", "city", "state", "country", "n", "r", "seq"])
    want = assignees.select(
        unpadded("id").alias("patent_id"),
        pl.col("seq").cast(pl.Int64).alias("sequence"),
        "name",
        pl.col("country").replace_strict(ALPHA3).alias("country"),
    )
    got = weekly["patent_assignees"]
    assert got.select(want.columns).sort(pl.all()).equals(want.sort(pl.all()))
    assert set(assignees["role"]) == {"2", "3"} and (got["assignee_type"] == "organisation").all()
    inventors = expected(
        shared_data,
        "inventor",
        ["id", "first", "last", "street", "city", "state", "country", "zip", "nationality", "seq"],
    )
    # The expected parse lists every v4.2 applicant as an inventor, the two legal representatives
    # of D0656313's deceased inventor (app-type "applicant", not "applicant-inventor") included;
    # the reader keeps inventors only, numbered 0, 1, ... in their order on the grant.
    assert inventors.filter(pl.col("last").str.contains("legal representative")).height == 2
    want = (
        inventors.filter(~pl.col("last").str.contains("legal representative"))
        .select(
            unpadded("id").alias("patent_id"),
            (pl.col("first") + " " + pl.col("last")).alias("name"),
            pl.col("country").replace_strict(ALPHA3).alias("country"),
        )
        .with_columns(pl.int_range(pl.len()).over("patent_id").alias("sequence"))
    )
    got = weekly["patent_inventors"]
    assert got.select(want.columns).sort(pl.all()).equals(want.sort(pl.all()))
    assert got.filter(pl.col("patent_id") == "D656313")["name"].to_list() == ["Jean-Louis Dumas", "Couli Jobert"]


def test_citations_equal_the_expected_parse(shared_data, weekly):
    want = expected(shared_data, "citation", ["id", "date", "name", "kind", "office", "number", "category", "seq"])
    want = want.select(
        unpadded("id").alias("citing_id"),
        "number",
        "office",
        "category",
        pl.col("seq").cast(pl.Int64).alias("sequence"),
        # month-precision dates (day 00) are read as the 1st
        pl.col("date").str.replace(r"00$", "01").str.to_date("%Y%m%d").alias("cited_date"),
    )
    got = weekly["patent_citations"].join(want, on=["citing_id", "sequence"], how="full", coalesce=True)
    assert got.height == want.height == 442
    assert (got["cited_office"] == got["office"]).all() and (got["category"] == got["category_right"]).all()
    assert (got["cited_date"] == got["cited_date_right"]).all()
    us = got.filter(pl.col("office") == "US")
    # US patent numbers are unpadded; other offices' document numbers stay as published
    assert (us["cited_id"] == us["number"].str.replace(r"^([A-Z]*)0+", "${1}")).all()
    assert (got.filter(pl.col("office") != "US").select(pl.col("cited_id") == pl.col("number")).to_series()).all()


def test_utility_grant_fields(shared_data):
    tables, _ = read_uspto_xml(
        shared_data / "patents" / "uspto_xml" / "utility_2009" / "patent_three_unparsed_.xml",
        sections=("claims", "description"),
    )
    (patent,) = tables["patents"].iter_rows(named=True)
    assert (patent["patent_id"], patent["kind"], patent["grant_date"], patent["application_date"]) == (
        "7521045",
        "B2",
        date(2009, 4, 21),
        date(2005, 8, 4),
    )
    assert patent["title"] == "Methods of inhibiting metastasis" and patent["abstract"]
    classes = {(r["scheme"], r["code"], r["is_main"]) for r in tables["patent_classes"].iter_rows(named=True)}
    assert {("uspc", "424/130.1", True), ("ipc", "A61K 39/395", True)} <= classes
    citations = tables["patent_citations"]
    assert citations.filter(pl.col("sequence") == 0).row(0, named=True)["cited_id"] == "5563048"
    assert citations.filter(pl.col("cited_office") == "EP")["cited_id"].to_list() == ["0897980"]
    assert set(tables["patent_texts"]["section"]) == {"claims", "description"}


def test_larger_weekly_sample_reads_every_grant(shared_data):
    path = shared_data / "patents" / "uspto_xml" / "ipg120327.196.xml"
    tables, bad = read_uspto_xml(path)
    assert tables["patents"].height == 196 == sum(1 for _ in grant_documents(path, chunk_bytes=4096))
    assert bad == [] and tables["patents"]["patent_id"].is_unique().all()
    assert set(tables) == set(PATENT_TABLES)


def test_uspc_code_format():
    assert [uspc_code(c) for c in ("148301", "D 1128", " D1106", "4241301", "426 99", "502304")] == [
        "148/301",
        "D1/128",
        "D1/106",
        "424/130.1",
        "426/99",
        "502/304",
    ]


@pytest.fixture
def broken_file(shared_data, tmp_path):
    """The 18-grant weekly file with its third grant truncated (a closing tag lost)."""
    documents = list(grant_documents(shared_data / "patents" / "uspto_xml" / "ipg120327.18.xml"))
    line, third = documents[2]
    broken = third.replace(b"</us-patent-grant>", b"")
    path = tmp_path / "ipg_broken.xml"
    path.write_bytes(b"".join([*(d for _, d in documents[:2]), broken, *(d for _, d in documents[3:])]))
    return path, line


def test_malformed_record_is_skipped_and_reported_with_file_and_line(broken_file):
    path, line = broken_file
    tables, bad = read_uspto_xml(path, policy="skip")
    assert tables["patents"].height == 17 and "D656298" not in tables["patents"]["patent_id"].to_list()
    (record,) = bad
    assert record.file == str(path) and record.line == line
    assert "us-patent-grant" in record.problem


def test_malformed_record_fails_the_read_when_asked(broken_file):
    path, line = broken_file
    with pytest.raises(DataValidationError, match=f"{path.name}:{line}"):
        read_uspto_xml(path, policy="fail")


def test_worker_processes_give_the_same_tables_and_reports(broken_file):
    path, line = broken_file
    one, bad_one = read_uspto_xml(path, workers=1)
    two, bad_two = read_uspto_xml(path, workers=2)
    assert all(one[t].equals(two[t]) for t in PATENT_TABLES) and bad_one == bad_two and bad_two[0].line == line
