"""The FVD rare-earth patent sets (``specs/spillovers.md``, Patent sets): USPTO utility patents
with application years 1976-2002, granted by the end of the sample's grant years (a run setting:
FVD's data ended with 2002 grants), first assignee an organisation, at least one USPC
class/subclass of the technology's list, and a rare-earth keyword anywhere in the document.

Pure: Polars frames of the canonical tables in, a frame out; the text search and joins run in
an in-memory DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ree_assets.core.spillovers.duck import run_sql

MAGNET_CLASSES = ("148/301", "148/302", "148/303", "148/315", "148/101", "148/102", "148/103", "148/122")
CATALYST_CLASSES = (
    "502/304",
    "502/303",
    "502/302",
    "502/314",
    "502/320",
    "502/322",
    "502/323",
    "502/327",
    "502/332",
    "502/341",
    "502/346",
    "502/348",
    "502/351",
    "502/354",
    "502/355",
    "502/65",
    "502/73",
)
TECHNOLOGY_CLASSES = {"magnet": MAGNET_CLASSES, "catalyst": CATALYST_CLASSES}
ELEMENTS = {
    "Lanthanum": "La",
    "Cerium": "Ce",
    "Praseodymium": "Pr",
    "Neodymium": "Nd",
    "Promethium": "Pm",
    "Samarium": "Sm",
    "Europium": "Eu",
    "Gadolinium": "Gd",
    "Terbium": "Tb",
    "Dysprosium": "Dy",
    "Holmium": "Ho",
    "Erbium": "Er",
    "Thulium": "Tm",
    "Ytterbium": "Yb",
    "Scandium": "Sc",
    "Yttrium": "Y",
    "Lutetium": "Lu",
}
#: Names: case-insensitive whole words ("rare earth(s)", "rare-earth", "lanthanide(s)", element names).
NAME_PATTERN = r"(?i)\b(rare[- ]earths?|lanthanides?|" + "|".join(n.lower() for n in ELEMENTS) + r")\b"
#: Symbols: case-sensitive, not preceded by a letter and not followed by a lower-case letter, so
#: "Nd2Fe14B", "NdFeB", "SmCo5" and "La-Ni" match but "Layer", "Europe", "However" do not.
SYMBOL_PATTERN = r"(^|[^A-Za-z])(" + "|".join(sorted(ELEMENTS.values(), key=len, reverse=True)) + r")([^a-z]|$)"
#: Application years of the sets (FVD: 1976-2002).
FIRST_APPLICATION_YEAR, LAST_APPLICATION_YEAR = 1976, 2002
#: The last grant year of FVD's own data (the default sample end on real data).
FVD_GRANT_YEAR_END = 2002
#: Assignee types that count as organisations (the spec drops individuals and unassigned patents).
ORGANISATION_TYPES = ("organisation", "government")


@dataclass(frozen=True)
class PatentSets:
    """(patent_id, technology, application_year) of the sets, and counts of what was left out."""

    table: pl.DataFrame
    report: dict[str, int]


def granted_by(grant_year_end: int | None, column: str = "grant_date") -> str:
    """SQL predicate: whether a patent (grant date ``column``) was granted in or before
    ``grant_year_end``: every patent when None; an undated grant never."""
    if grant_year_end is None:
        return "true"
    return f"coalesce(year({column}) <= {int(grant_year_end)}, false)"


def fvd_patent_sets(
    patents: pl.DataFrame,
    patent_texts: pl.DataFrame,
    patent_classes: pl.DataFrame,
    patent_assignees: pl.DataFrame,
    first_year: int = FIRST_APPLICATION_YEAR,
    last_year: int = LAST_APPLICATION_YEAR,
    grant_year_end: int | None = None,
) -> PatentSets:
    """The magnet and catalyst sets of the spec among the patents granted by ``grant_year_end``
    (None: every grant year). A patent can belong to both. The report states the sample
    (application years, grant_year_end when given) and counts the candidates (class match,
    application year in range) dropped for each rule: no rare-earth keyword, first assignee not an
    organisation (individual, unknown type, or unassigned), granted after grant_year_end (or
    undated grant), no application date."""
    codes = pl.DataFrame(
        [(code, tech) for tech, codes in TECHNOLOGY_CLASSES.items() for code in codes],
        schema=["code", "technology"],
        orient="row",
    )
    result = run_sql(
        f"""
        CREATE TEMP TABLE candidates AS
        SELECT DISTINCT c.patent_id, s.technology, year(p.application_date) AS application_year,
               {granted_by(grant_year_end, "p.grant_date")} AS granted
        FROM patent_classes c JOIN codes s ON c.code = s.code AND c.scheme = 'uspc'
        JOIN patents p ON p.patent_id = c.patent_id;
        CREATE TEMP TABLE documents AS
        SELECT patent_id, string_agg(text, ' ') AS text FROM (
            SELECT patent_id, coalesce(title, '') || ' ' || coalesce(abstract, '') AS text FROM patents
            WHERE patent_id IN (SELECT patent_id FROM candidates)
            UNION ALL SELECT patent_id, text FROM patent_texts WHERE patent_id IN (SELECT patent_id FROM candidates))
        GROUP BY patent_id;
        CREATE TEMP TABLE flagged AS
        SELECT c.*, c.application_year BETWEEN {first_year} AND {last_year} AS in_years,
               coalesce(regexp_matches(d.text, '{NAME_PATTERN}')
                        OR regexp_matches(d.text, '{SYMBOL_PATTERN}'), false) AS keyword,
               coalesce(a.assignee_type IN {ORGANISATION_TYPES}, false) AS organisation
        FROM candidates c LEFT JOIN documents d USING (patent_id)
        LEFT JOIN (SELECT patent_id, assignee_type FROM patent_assignees WHERE sequence = 0) a USING (patent_id);
        SELECT * FROM flagged
    """,
        patents=patents,
        patent_texts=patent_texts,
        patent_classes=patent_classes,
        patent_assignees=patent_assignees,
        codes=codes,
    )
    dated = result.filter(pl.col("application_year").is_not_null())
    in_years = dated.filter(pl.col("in_years"))
    meets_rule = pl.col("keyword") & pl.col("organisation")
    report = {
        "first_application_year": first_year,
        "last_application_year": last_year,
        **({} if grant_year_end is None else {"grant_year_end": grant_year_end}),
        "candidates_without_application_date": result.height - dated.height,
        "candidates_without_keyword": in_years.filter(~pl.col("keyword")).height,
        "candidates_not_organisation": in_years.filter(pl.col("keyword") & ~pl.col("organisation")).height,
        **(
            {}
            if grant_year_end is None
            else {"candidates_granted_after_grant_year_end": in_years.filter(meets_rule & ~pl.col("granted")).height}
        ),
    }
    table = (
        in_years.filter(meets_rule & pl.col("granted"))
        .select("patent_id", "technology", pl.col("application_year").cast(pl.Int32))
        .sort("technology", "patent_id")
    )
    report |= {f"{tech}_patents": table.filter(pl.col("technology") == tech).height for tech in TECHNOLOGY_CLASSES}
    return PatentSets(table=table, report=report)
