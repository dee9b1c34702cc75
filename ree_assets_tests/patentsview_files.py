"""The same few grants hand-written as PatentsView bulk files in the legacy and in the current
(g_*) layout, with the column names PatentsView writes, and the canonical rows both describe.
9000001 and 9000002 are granted in 2015, 8000001 in 2011."""

from datetime import date


def write_tsv(path, header, *rows, stray=""):
    """A TSV as PatentsView writes it: text quoted, numbers bare (QUOTE_NONNUMERIC)."""

    def field(value):
        return str(value) if isinstance(value, int | float) else f'"{value}"'

    lines = [stray + "\t".join(f'"{name}"' for name in header), *("\t".join(map(field, row)) for row in rows)]
    path.write_text("\n".join(lines) + "\n")


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


def write_folder(folder, files):
    """``files`` (name -> header, rows) written into ``folder``; the legacy patent.tsv header
    starts with a stray ``x``, as PatentsView's does."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (header, *rows) in files.items():
        write_tsv(folder / name, header, *rows, stray="x" if name == "patent.tsv" else "")
    return folder


def sorted_rows(table, frame):
    """A canonical table's rows in the order EXPECTED lists them."""
    return frame.sort(["citing_id", "sequence"] if table == "patent_citations" else frame.columns[:3]).rows()
