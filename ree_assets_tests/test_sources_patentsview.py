"""The PatentsView TSV reader: the real legacy sample, the same small set of grants hand-written in
the legacy and in the current (g_*) layout (every canonical value asserted), and bad input."""

import csv
import shutil
import warnings
from datetime import date

import polars as pl
import pytest

from ree_assets.errors import DataValidationError
from ree_assets.sources.patent_tables import PATENT_TABLES, AbsentSource
from ree_assets.sources.patentsview import LEGACY, read_patentsview, scan_tsv


def write_tsv(path, header, *rows, stray=""):
    """A TSV as PatentsView writes it: text quoted, numbers bare (QUOTE_NONNUMERIC)."""

    def field(value):
        return str(value) if isinstance(value, int | float) else f'"{value}"'

    lines = [stray + "\t".join(f'"{name}"' for name in header), *("\t".join(map(field, row)) for row in rows)]
    path.write_text("\n".join(lines) + "\n")


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


# The same grants in both layouts: 9000001 and 9000002 granted in 2015, 8000001 in 2011.
LEGACY_FILES = {
    "patent.tsv": (
        ["id", "type", "number", "country", "date", "abstract", "title", "kind", "num_claims", "filename", "withdrawn"],
        [
            "9000001",
            "utility",
            "9000001",
            "US",
            "2015-03-10",
            "A sintered magnet\nwith less Dy.",
            "Nd-Fe-B magnet",
            "B2",
            2,
            "ipg150310.xml",
            0,
        ],
        ["9000002", "utility", "9000002", "US", "2015-03-10", "", "Phosphor", "B1", 1, "ipg150310.xml", 0],
        ["8000001", "utility", "8000001", "US", "2011-08-16", "Old.", "Older grant", "B2", 1, "ipg110816.xml", 0],
    ),
    "application.tsv": (
        ["id", "patent_id", "series_code", "number", "country", "date"],
        ["13/000001", "9000001", "13", "13000001", "US", "2012-05-01"],
        ["13/000002", "9000002", "13", "13000002", "US", "2013-01-02"],
    ),
    "claims_2015.tsv": (
        ["uuid", "patent_id", "text", "dependent", "sequence", "exemplary"],
        ["k2", "9000001", "2. The magnet of claim 1.", "1", 1, "0"],
        ["k1", "9000001", "1. A magnet.", "", 0, "1"],
    ),
    "detail_desc_text_2015.tsv": (
        ["uuid", "patent_id", "text", "length"],
        ["d1", "9000001", "The magnet is sintered.", 23],
    ),
    "assignee.tsv": (
        ["id", "type", "name_first", "name_last", "organization"],
        ["a1", "3", "", "", "Magnet Corp"],
        ["a2", "4", "Ann", "Lee", ""],
        ["a3", "2", "", "", "Old Co"],
    ),
    "patent_assignee.tsv": (
        ["patent_id", "assignee_id", "location_id"],
        ["9000001", "a2", "loc2"],
        ["9000001", "a1", "loc1"],
        ["8000001", "a3", "loc1"],
    ),
    "rawassignee.tsv": (
        [
            "uuid",
            "patent_id",
            "assignee_id",
            "rawlocation_id",
            "type",
            "name_first",
            "name_last",
            "organization",
            "sequence",
        ],
        ["r1", "9000001", "a1", "rl1", "3", "", "", "MAGNET CORP.", 0],
        ["r2", "9000001", "a2", "rl2", "4", "Ann", "Lee", "", 1],
    ),
    "inventor.tsv": (
        ["id", "name_first", "name_last", "male_flag", "attribution_status"],
        ["i1", "Taro", "Sato", 1, 1],
        ["i2", "Eva", "Braun", 0, 1],
    ),
    "patent_inventor.tsv": (
        ["patent_id", "inventor_id", "location_id"],
        ["9000001", "i2", "loc2"],
        ["9000001", "i1", "loc1"],
    ),
    "rawinventor.tsv": (
        [
            "uuid",
            "patent_id",
            "inventor_id",
            "rawlocation_id",
            "name_first",
            "name_last",
            "sequence",
            "rule_47",
            "deceased",
        ],
        ["q1", "9000001", "i1", "rl1", "Taro", "Sato", 0, "0", "0"],
        ["q2", "9000001", "i2", "rl2", "Eva", "Braun", 1, "0", "0"],
    ),
    "location.tsv": (
        ["id", "city", "state", "country", "latitude", "longitude", "county", "state_fips", "county_fips"],
        ["loc1", "Tokyo", "", "JP", 35.7, 139.7, "", "", ""],
        ["loc2", "Munich", "", "DE", 48.1, 11.6, "", "", ""],
    ),
    "cpc_current.tsv": (
        ["uuid", "patent_id", "section_id", "subsection_id", "group_id", "subgroup_id", "category", "sequence"],
        ["c2", "9000001", "C", "C22", "C22C", "C22C38/005", "additional", 1],
        ["c1", "9000001", "H", "H01", "H01F", "H01F1/0577", "inventive", 0],
    ),
    "uspc.tsv": (
        ["uuid", "patent_id", "mainclass_id", "subclass_id", "sequence"],
        ["u1", "9000001", "148", "148/302", 0],
        ["u2", "9000001", "75", "75/244", 1],
    ),
    "uspc_current.tsv": (
        ["uuid", "patent_id", "mainclass_id", "subclass_id", "sequence"],
        ["v1", "9000001", "148", "148/101", 0],
    ),
    "uspatentcitation.tsv": (
        ["uuid", "patent_id", "citation_id", "date", "name", "kind", "country", "category", "sequence"],
        ["x1", "9000001", "4496395", "1985-01-00", "Croat", "A", "US", "cited by examiner", 0],
        ["x2", "9000002", "5000000", "1991-03-01", "Doe", "A", "US", "", 0],
    ),
    "foreigncitation.tsv": (
        ["uuid", "patent_id", "date", "number", "country", "category", "sequence"],
        ["f1", "9000001", "1999-02-01", "0897980", "EP", "cited by applicant", 1],
    ),
}

CURRENT_FILES = {
    "g_patent.tsv": (
        ["patent_id", "patent_type", "patent_date", "patent_title", "wipo_kind", "num_claims", "withdrawn", "filename"],
        ["9000001", "utility", "2015-03-10", "Nd-Fe-B magnet", "B2", 2, 0, "ipg150310.xml"],
        ["9000002", "utility", "2015-03-10", "Phosphor", "B1", 1, 0, "ipg150310.xml"],
        ["8000001", "utility", "2011-08-16", "Older grant", "B2", 1, 0, "ipg110816.xml"],
    ),
    "g_patent_abstract.tsv": (
        ["patent_id", "patent_abstract"],
        ["9000001", "A sintered magnet\nwith less Dy."],
        ["8000001", "Old."],
    ),
    "g_application.tsv": (
        ["application_id", "patent_id", "patent_application_type", "filing_date", "series_code", "rule_47_flag"],
        ["13/000001", "9000001", "13", "2012-05-01", "13", 0],
        ["13/000002", "9000002", "13", "2013-01-02", "13", 0],
    ),
    "g_claims_2015.tsv": (
        ["patent_id", "claim_sequence", "claim_text", "dependent", "claim_number", "exemplary"],
        ["9000001", 1, "2. The magnet of claim 1.", "claim 1", "00002", 0],
        ["9000001", 0, "1. A magnet.", "", "00001", 1],
    ),
    "g_detail_desc_text_2015.tsv": (
        ["patent_id", "description_text", "description_length"],
        ["9000001", "The magnet is sintered.", 23],
    ),
    "g_assignee_disambiguated.tsv": (
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
        ["9000001", 1, "a2", "Ann", "Lee", "", 4, "loc2"],
        ["9000001", 0, "a1", "", "", "Magnet Corp", 3, "loc1"],
        ["8000001", 0, "a3", "", "", "Old Co", 2, "loc1"],
    ),
    "g_inventor_disambiguated.tsv": (
        [
            "patent_id",
            "inventor_sequence",
            "inventor_id",
            "disambig_inventor_name_first",
            "disambig_inventor_name_last",
            "gender_code",
            "location_id",
        ],
        ["9000001", 1, "i2", "Eva", "Braun", "F", "loc2"],
        ["9000001", 0, "i1", "Taro", "Sato", "M", "loc1"],
    ),
    "g_location_disambiguated.tsv": (
        [
            "location_id",
            "disambig_city",
            "disambig_state",
            "disambig_country",
            "latitude",
            "longitude",
            "county",
            "state_fips",
            "county_fips",
        ],
        ["loc1", "Tokyo", "", "JP", 35.7, 139.7, "", "", ""],
        ["loc2", "Munich", "", "DE", 48.1, 11.6, "", "", ""],
    ),
    "g_cpc_current.tsv": (
        [
            "patent_id",
            "cpc_sequence",
            "cpc_section",
            "cpc_class",
            "cpc_subclass",
            "cpc_group",
            "cpc_type",
            "cpc_symbol_position",
        ],
        ["9000001", 1, "C", "C22", "C22C", "C22C38/005", "additional", "L"],
        ["9000001", 0, "H", "H01", "H01F", "H01F1/0577", "inventive", "F"],
    ),
    "g_uspc_at_issue.tsv": (
        [
            "patent_id",
            "uspc_sequence",
            "uspc_mainclass_id",
            "uspc_mainclass_title",
            "uspc_subclass_id",
            "uspc_subclass_title",
        ],
        ["9000001", 0, "148", "Metal treatment", "148/302", "Rare earth"],
        ["9000001", 1, "75", "Specialized metallurgical processes", "75/244", "Powder"],
    ),
    "g_us_patent_citation.tsv": (
        [
            "patent_id",
            "citation_sequence",
            "citation_patent_id",
            "citation_date",
            "record_name",
            "wipo_kind",
            "citation_category",
        ],
        ["9000001", 0, "4496395", "1985-01-00", "Croat", "A", "cited by examiner"],
        ["9000002", 0, "5000000", "1991-03-01", "Doe", "A", ""],
    ),
    "g_foreign_citation.tsv": (
        [
            "patent_id",
            "citation_sequence",
            "citation_application_id",
            "citation_date",
            "citation_category",
            "citation_country",
        ],
        ["9000001", 1, "0897980", "1999-02-01", "cited by applicant", "EP"],
    ),
}

#: The canonical rows both layouts describe (grant year 2015), sorted by their key.
EXPECTED = {
    "patents": [
        (
            "9000001",
            date(2015, 3, 10),
            date(2012, 5, 1),
            "Nd-Fe-B magnet",
            "A sintered magnet\nwith less Dy.",
            "B2",
            "patentsview",
            2015,
        ),
        ("9000002", date(2015, 3, 10), date(2013, 1, 2), "Phosphor", None, "B1", "patentsview", 2015),
    ],
    "patent_texts": [
        ("9000001", "claims", "1. A magnet.\n2. The magnet of claim 1.", 2015),
        ("9000001", "description", "The magnet is sintered.", 2015),
    ],
    "patent_assignees": [
        ("9000001", 0, "Magnet Corp", "JPN", "organisation", 2015),
        ("9000001", 1, "Ann Lee", "DEU", "individual", 2015),
    ],
    "patent_inventors": [("9000001", 0, "Taro Sato", "JPN", 2015), ("9000001", 1, "Eva Braun", "DEU", 2015)],
    "patent_classes": [
        ("9000001", "cpc", "C22C 38/005", False, 2015),
        ("9000001", "cpc", "H01F 1/0577", True, 2015),
        ("9000001", "uspc", "148/302", True, 2015),
        ("9000001", "uspc", "75/244", False, 2015),
    ],
    "patent_citations": [
        ("9000001", "4496395", date(1985, 1, 1), "US", "cited by examiner", 0, 2015),
        ("9000001", "0897980", date(1999, 2, 1), "EP", "cited by applicant", 1, 2015),
        ("9000002", "5000000", date(1991, 3, 1), "US", None, 0, 2015),
    ],
}
SORT = {"patent_citations": ["citing_id", "sequence"]}


def write_folder(folder, files):
    folder.mkdir(exist_ok=True)
    for name, (header, *rows) in files.items():
        write_tsv(folder / name, header, *rows, stray="x" if name == "patent.tsv" else "")
    return folder


@pytest.fixture(params=["legacy", "current"])
def folder(request, tmp_path):
    return write_folder(tmp_path / request.param, LEGACY_FILES if request.param == "legacy" else CURRENT_FILES)


def read(folder, year=2015, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tables, bad = read_patentsview(folder, year, sections=("claims", "description"), **options)
    return tables, bad, [w.message for w in caught]


def test_both_layouts_give_every_canonical_value(folder):
    tables, bad, notes = read(folder)
    assert bad == [] and notes == []
    for table, rows in EXPECTED.items():
        frame = tables[table].sort(SORT.get(table, tables[table].columns[:3]))
        assert frame.rows() == rows, table


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
