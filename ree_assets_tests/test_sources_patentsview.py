"""The PatentsView TSV reader: the real legacy sample, a hand-made current (g_*) folder in the
documented layout, and malformed rows."""

import shutil
from datetime import date

import polars as pl
import pytest

from ree_assets.errors import DataValidationError
from ree_assets.sources.patent_tables import PATENT_TABLES
from ree_assets.sources.patentsview import read_patentsview, read_tsv


@pytest.fixture
def legacy(shared_data):
    return shared_data / "patents" / "patentsview_sample"


def test_real_legacy_patents(legacy):
    tables, bad = read_patentsview(legacy, 2018)
    patents = tables["patents"]
    assert bad == [] and set(tables) == set(PATENT_TABLES)
    assert patents["patent_id"].to_list() == [str(n) for n in range(10000000, 10000009)]
    assert (patents["grant_date"] == date(2018, 6, 19)).all() and (patents["kind"] == "B2").all()
    assert patents.row(0, named=True)["title"].startswith("Coherent LADAR using intra-pixel")
    assert patents.row(0, named=True)["abstract"].startswith("A frequency modulated (coherent) laser detection")
    assert patents.filter(pl.col("patent_id") == "10000007")["title"].item() == "PEX expanding tool"
    assert read_patentsview(legacy, 2017)[0]["patents"].is_empty()


def test_real_legacy_citation_rows(legacy):
    bad = []
    rows = read_tsv(legacy / "uspatentcitation.tsv", ["patent_id", "citation_id", "date"], "fail", bad, ["date"])
    first = rows.row(0, named=True)
    assert (first["patent_id"], first["citation_id"], first["date"], first["country"], first["sequence"]) == (
        "5354551",
        "4875247",
        date(1989, 10, 1),
        "US",
        "11",
    )
    assert rows.filter(pl.col("patent_id") == "D674253")["category"].item() == "cited by examiner"
    assert rows.height == 9 and bad == []


def test_legacy_citations_join_their_citing_patents(legacy, tmp_path):
    shutil.copy(legacy / "patent.tsv", tmp_path / "patent.tsv")
    (tmp_path / "uspatentcitation.tsv").write_text(
        '"uuid"\t"patent_id"\t"citation_id"\t"date"\t"name"\t"kind"\t"country"\t"category"\t"sequence"\n'
        '"u1"\t"10000000"\t"4875247"\t"1989-10-01"\t"Berg"\t""\t"US"\t"cited by examiner"\t0\n'
        '"u2"\t"10000000"\t"0897980"\t"1999-02-01"\t""\t"A2"\t"EP"\t""\t1\n'
        '"u3"\t"5354551"\t"4875247"\t"1989-10-01"\t"Berg"\t""\t"US"\t""\t11\n'
    )
    citations = read_patentsview(tmp_path, 2018)[0]["patent_citations"]
    assert citations.select("citing_id", "cited_id", "cited_office", "sequence", "grant_year").rows() == [
        ("10000000", "4875247", "US", 0, 2018),
        ("10000000", "0897980", "EP", 1, 2018),
    ]
    assert citations["category"].to_list() == ["cited by examiner", None]


def write_tsv(path, header, *rows):
    path.write_text("\n".join("\t".join(f'"{v}"' for v in line) for line in [header, *rows]) + "\n")


@pytest.fixture
def current(tmp_path):
    """A small folder in PatentsView's current (g_*) layout."""
    write_tsv(
        tmp_path / "g_patent.tsv",
        ["patent_id", "patent_type", "patent_date", "patent_title", "wipo_kind", "num_claims", "withdrawn", "filename"],
        ["9000001", "utility", "2015-03-10", "Nd-Fe-B magnet", "B2", "5", "0", "ipg150310.xml"],
        ["9000002", "utility", "2015-03-10", "Phosphor", "B1", "3", "0", "ipg150310.xml"],
        ["8000001", "utility", "2011-08-16", "Older grant", "B2", "3", "0", "ipg110816.xml"],
    )
    write_tsv(
        tmp_path / "g_patent_abstract.tsv",
        ["patent_id", "patent_abstract"],
        ["9000001", "A sintered magnet with less Dy."],
        ["9000002", "A red phosphor doped with Eu3+."],
    )
    write_tsv(
        tmp_path / "g_application.tsv",
        ["application_id", "patent_id", "patent_application_type", "filing_date", "series_code", "rule_47_flag"],
        ["13/000001", "9000001", "13", "2012-05-01", "13", "0"],
        ["13/000002", "9000002", "13", "2013-01-02", "13", "0"],
    )
    write_tsv(
        tmp_path / "g_location_disambiguated.tsv",
        ["location_id", "disambig_city", "disambig_state", "disambig_country"],
        ["loc1", "Tokyo", "", "JP"],
        ["loc2", "Munich", "", "DE"],
    )
    write_tsv(
        tmp_path / "g_assignee_disambiguated.tsv",
        [
            "patent_id",
            "assignee_sequence",
            "assignee_id",
            "disambig_assignee_individual_name_first",
            "disambig_assignee_individual_name_last",
            "disambig_assignee_organization",
            "assignee_type",
            "location_id",
        ],
        ["9000001", "0", "a1", "", "", "Magnet Corp", "3", "loc1"],
        ["9000002", "0", "a2", "Ann", "Lee", "", "5", "loc2"],
    )
    write_tsv(
        tmp_path / "g_inventor_disambiguated.tsv",
        [
            "patent_id",
            "inventor_sequence",
            "inventor_id",
            "disambig_inventor_name_first",
            "disambig_inventor_name_last",
            "gender_code",
            "location_id",
        ],
        ["9000001", "0", "i1", "Taro", "Sato", "M", "loc1"],
        ["9000001", "1", "i2", "Eva", "Braun", "F", "loc2"],
    )
    write_tsv(
        tmp_path / "g_us_patent_citation.tsv",
        [
            "patent_id",
            "citation_sequence",
            "citation_patent_id",
            "citation_date",
            "record_name",
            "wipo_kind",
            "citation_category",
        ],
        ["9000001", "0", "4496395", "1985-01-01", "Croat", "A", "cited by examiner"],
    )
    write_tsv(
        tmp_path / "g_cpc_current.tsv",
        ["patent_id", "cpc_sequence", "cpc_section", "cpc_class", "cpc_subclass", "cpc_group", "cpc_type"],
        ["9000001", "0", "H", "H01", "H01F", "H01F1/0577", "inventive"],
        ["9000001", "1", "C", "C22", "C22C", "C22C38/005", "additional"],
    )
    write_tsv(
        tmp_path / "g_uspc_at_issue.tsv",
        ["patent_id", "uspc_sequence", "uspc_mainclass_id", "uspc_subclass_id"],
        ["9000001", "0", "148", "148/302"],
    )
    return tmp_path


def test_current_layout(current):
    tables, bad = read_patentsview(current, 2015)
    assert bad == []
    patents = tables["patents"].sort("patent_id")
    assert patents.select("patent_id", "grant_date", "application_date", "kind").rows() == [
        ("9000001", date(2015, 3, 10), date(2012, 5, 1), "B2"),
        ("9000002", date(2015, 3, 10), date(2013, 1, 2), "B1"),
    ]
    assert patents["abstract"].to_list() == ["A sintered magnet with less Dy.", "A red phosphor doped with Eu3+."]
    assert tables["patent_assignees"].sort("patent_id").select("name", "country", "assignee_type").rows() == [
        ("Magnet Corp", "JPN", "organisation"),
        ("Ann Lee", "DEU", "individual"),
    ]
    assert tables["patent_inventors"].sort("sequence").select("name", "country").rows() == [
        ("Taro Sato", "JPN"),
        ("Eva Braun", "DEU"),
    ]
    assert tables["patent_citations"].select("cited_id", "cited_date", "cited_office").rows() == [
        ("4496395", date(1985, 1, 1), "US")
    ]
    assert set(tables["patent_classes"].select("scheme", "code", "is_main").rows()) == {
        ("cpc", "H01F 1/0577", True),
        ("cpc", "C22C 38/005", False),
        ("uspc", "148/302", True),
    }
    assert (pl.concat([t.select("grant_year") for t in tables.values()])["grant_year"] == 2015).all()


def test_malformed_rows_are_reported_with_file_and_line(current):
    path = current / "g_patent.tsv"
    path.write_text(
        path.read_text() + '"9000003"\t"utility"\t"2015-13-45"\t"Bad date"\t"B2"\t"1"\t"0"\t"x"\n'
        '"9000004"\t"utility"\t"2015-03-10"\t"Too many"\t"B2"\t"1"\t"0"\t"x"\t"extra"\n'
    )
    tables, bad = read_patentsview(current, 2015, policy="skip")
    assert sorted(tables["patents"]["patent_id"]) == ["9000001", "9000002"]
    assert [(b.file, b.line) for b in bad] == [(str(path), 6), (str(path), 5)]
    assert "fields" in bad[0].problem and "2015-13-45" in bad[1].problem
    with pytest.raises(DataValidationError, match="g_patent.tsv:6"):
        read_patentsview(current, 2015, policy="fail")
