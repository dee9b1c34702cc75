"""PatentsView bulk TSV files -> the six canonical patent tables, for one grant year.

Two layouts of PatentsView's bulk downloads are read (tab-separated, quoted with ``"``):

- ``legacy`` (before 2022): ``patent.tsv`` (id, type, number, country, date, abstract, title, kind,
  num_claims, filename, withdrawn), ``application.tsv`` (patent_id, date: the filing date),
  ``uspatentcitation.tsv`` (patent_id, citation_id, date, name, kind, country, category, sequence);
- ``current`` (``g_*`` tables): ``g_patent.tsv`` (patent_id, patent_date, patent_title, wipo_kind),
  ``g_patent_abstract.tsv`` (patent_id, patent_abstract), ``g_application.tsv`` (patent_id,
  filing_date), ``g_assignee_disambiguated.tsv`` (patent_id, assignee_sequence,
  disambig_assignee_organization, disambig_assignee_individual_name_first/_last, assignee_type,
  location_id), ``g_inventor_disambiguated.tsv`` (patent_id, inventor_sequence,
  disambig_inventor_name_first/_last, location_id), ``g_location_disambiguated.tsv`` (location_id,
  disambig_country), ``g_us_patent_citation.tsv`` (patent_id, citation_sequence, citation_patent_id,
  citation_date, citation_category), ``g_cpc_current.tsv`` (patent_id, cpc_sequence, cpc_group),
  ``g_uspc_at_issue.tsv`` (patent_id, uspc_sequence, uspc_mainclass_id, uspc_subclass_id).

Files of the layout that are absent give empty tables (``patent.tsv``/``g_patent.tsv`` is
required). A header's stray bytes before its first quote (PatentsView's legacy ``patent.tsv``
starts with ``x"id"``) are dropped. A malformed row (a wrong number of fields, a missing patent
id, a date that is not ISO) fails the read or is skipped and reported with the file and line
(data row k is line k + 1 when no quoted field spans lines), per the :data:`BadRecordPolicy`.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import polars as pl

from ree_assets.errors import SourceUnavailableError
from ree_assets.sources.contracts import contract_path
from ree_assets.sources.patent_tables import (
    PATENT_TABLES,
    BadRecord,
    BadRecordPolicy,
    assignee_type,
    bad_record,
    conform,
    empty_tables,
    iso3,
)

Layout = Literal["legacy", "current"]
SOURCE = "patentsview"
#: The file whose presence names the layout.
PATENT_FILES: dict[Layout, str] = {"legacy": "patent.tsv", "current": "g_patent.tsv"}


def detect_layout(folder: Path) -> Layout:
    """``current`` when ``g_patent.tsv`` is in ``folder``, ``legacy`` when ``patent.tsv`` is."""
    for layout, name in PATENT_FILES.items():
        if (folder / name).is_file():
            return layout
    raise SourceUnavailableError(
        "patents", f"{folder / 'g_patent.tsv'} or {folder / 'patent.tsv'}", "local", str(contract_path("patents"))
    )


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        names = handle.readline().rstrip("\r\n").split("\t")
    return [name[name.find('"') :].strip('"') if '"' in name else name for name in names]


def _ragged_rows(path: Path, width: int) -> list[BadRecord]:
    """Rows whose number of fields differs from the header's (Python's csv reader, for lines)."""
    bad = []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quotechar='"')
        next(reader, None)
        for row in reader:
            if len(row) != width:
                bad.append(BadRecord(str(path), reader.line_num, f"{len(row)} fields, the header has {width}"))
    return bad


def read_tsv(
    path: Path, required: Sequence[str], policy: BadRecordPolicy, bad: list[BadRecord], dates: Sequence[str] = ()
) -> pl.DataFrame:
    """One PatentsView TSV, every column a string (``dates`` parsed as ISO dates), with a
    ``_line`` column; malformed rows are reported into ``bad`` and dropped, or raise."""
    names = _header(path)
    missing = [c for c in required if c not in names]
    if missing:
        raise SourceUnavailableError(
            "patents", f"{path} with columns {missing}", "local", str(contract_path("patents"))
        )
    options: dict[str, Any] = {"separator": "\t", "quote_char": '"', "infer_schema": False, "new_columns": names}
    try:
        frame = pl.read_csv(path, **options)
    except pl.exceptions.ComputeError:
        ragged = [bad_record(record, policy, "patents") for record in _ragged_rows(path, len(names))]
        bad.extend(ragged)
        skipped = {record.line for record in ragged}
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t", quotechar='"')
            next(reader)
            rows = [row for row in reader if reader.line_num not in skipped]
        frame = pl.DataFrame(rows, schema=names, orient="row")
    frame = frame.with_columns(
        (pl.int_range(pl.len()) + 2).alias("_line"),
        *(pl.col(c).str.to_date("%Y-%m-%d", strict=False).alias(f"_{c}_date") for c in dates),
    )
    broken = pl.any_horizontal(
        pl.col(required[0]).fill_null("").str.strip_chars() == "",
        *(pl.col(f"_{c}_date").is_null() & (pl.col(c).fill_null("") != "") for c in dates),
    )
    for row in frame.filter(broken).iter_rows(named=True):
        problem = (
            f"no {required[0]}"
            if not (row[required[0]] or "").strip()
            else "not an ISO date: "
            + ", ".join(f"{c}={row[c]!r}" for c in dates if row[f"_{c}_date"] is None and row[c])
        )
        bad.append(bad_record(BadRecord(str(path), row["_line"], problem), policy, "patents"))
    return frame.filter(~broken).with_columns(pl.col(f"_{c}_date").alias(c) for c in dates)


def _optional(
    folder: Path,
    name: str,
    required: Sequence[str],
    policy: BadRecordPolicy,
    bad: list[BadRecord],
    ids: pl.DataFrame,
    dates: Sequence[str] = (),
) -> pl.DataFrame | None:
    """A TSV of the folder restricted to the year's patents (``ids``), or None when absent."""
    path = folder / name
    if not path.is_file():
        return None
    frame = read_tsv(path, required, policy, bad, dates)
    return frame.join(ids, left_on=required[0], right_on="patent_id", how="semi")


def _legacy(folder: Path, year: int | None, policy: BadRecordPolicy, bad: list[BadRecord]) -> dict[str, pl.DataFrame]:
    patents = read_tsv(folder / "patent.tsv", ["id", "date", "title", "abstract", "kind"], policy, bad, ["date"])
    patents = patents.rename({"id": "patent_id", "date": "grant_date"}).with_columns(
        pl.col("grant_date").dt.year().alias("grant_year")
    )
    if year is not None:
        patents = patents.filter(pl.col("grant_year") == year)
    ids = patents.select("patent_id", "grant_year")
    applications = _optional(folder, "application.tsv", ["patent_id", "date"], policy, bad, ids, ["date"])
    patents = patents.join(
        applications.select("patent_id", pl.col("date").alias("application_date")).unique("patent_id")
        if applications is not None
        else pl.DataFrame(schema={"patent_id": pl.String, "application_date": pl.Date}),
        on="patent_id",
        how="left",
    )
    tables = empty_tables()
    tables["patents"] = conform("patents", patents.with_columns(pl.lit(SOURCE).alias("source")))
    citations = _optional(
        folder,
        "uspatentcitation.tsv",
        ["patent_id", "citation_id", "date", "country", "category", "sequence"],
        policy,
        bad,
        ids,
        ["date"],
    )
    if citations is not None:
        tables["patent_citations"] = conform(
            "patent_citations",
            citations.join(ids, on="patent_id").select(
                pl.col("patent_id").alias("citing_id"),
                pl.col("citation_id").alias("cited_id"),
                pl.col("date").alias("cited_date"),
                pl.col("country").alias("cited_office"),
                pl.col("category").replace("", None),
                pl.col("sequence").cast(pl.Int64),
                "grant_year",
            ),
        )
    return tables


def _people(frame: pl.DataFrame, ids: pl.DataFrame, locations: pl.DataFrame | None, role: str) -> pl.DataFrame:
    """Assignee or inventor rows of the current layout: sequence, name, country (alpha-3)."""
    first, last = f"disambig_{role}_individual_name_first", f"disambig_{role}_individual_name_last"
    if role == "inventor":
        first, last = "disambig_inventor_name_first", "disambig_inventor_name_last"
    name = pl.concat_str([pl.col(first), pl.col(last)], separator=" ", ignore_nulls=True).str.strip_chars()
    if role == "assignee":
        name = pl.coalesce(pl.col("disambig_assignee_organization").replace("", None), name)
    countries = (
        locations.select(
            "location_id", pl.col("disambig_country").map_elements(iso3, return_dtype=pl.String).alias("country")
        )
        if locations is not None
        else pl.DataFrame(schema={"location_id": pl.String, "country": pl.String})
    )
    return (
        frame.join(ids, on="patent_id")
        .join(countries, on="location_id", how="left")
        .with_columns(pl.col(f"{role}_sequence").cast(pl.Int64).alias("sequence"), name.replace("", None).alias("name"))
    )


def _current(folder: Path, year: int | None, policy: BadRecordPolicy, bad: list[BadRecord]) -> dict[str, pl.DataFrame]:
    patents = read_tsv(
        folder / "g_patent.tsv", ["patent_id", "patent_date", "patent_title", "wipo_kind"], policy, bad, ["patent_date"]
    ).with_columns(pl.col("patent_date").dt.year().alias("grant_year"))
    if year is not None:
        patents = patents.filter(pl.col("grant_year") == year)
    ids = patents.select("patent_id", "grant_year")
    abstracts = _optional(folder, "g_patent_abstract.tsv", ["patent_id", "patent_abstract"], policy, bad, ids)
    applications = _optional(
        folder, "g_application.tsv", ["patent_id", "filing_date"], policy, bad, ids, ["filing_date"]
    )
    for extra, columns in ((abstracts, ["patent_abstract"]), (applications, ["filing_date"])):
        patents = (
            patents.join(extra.select("patent_id", *columns).unique("patent_id"), on="patent_id", how="left")
            if extra is not None
            else patents.with_columns(pl.lit(None).alias(c) for c in columns)
        )
    tables = empty_tables()
    tables["patents"] = conform(
        "patents",
        patents.select(
            "patent_id",
            pl.col("patent_date").alias("grant_date"),
            pl.col("filing_date").alias("application_date"),
            pl.col("patent_title").alias("title"),
            pl.col("patent_abstract").replace("", None).alias("abstract"),
            pl.col("wipo_kind").alias("kind"),
            pl.lit(SOURCE).alias("source"),
            "grant_year",
        ),
    )
    location_path = folder / "g_location_disambiguated.tsv"  # keyed by location, not by patent
    locations = (
        read_tsv(location_path, ["location_id", "disambig_country"], policy, bad) if location_path.is_file() else None
    )
    assignees = _optional(
        folder,
        "g_assignee_disambiguated.tsv",
        ["patent_id", "assignee_sequence", "assignee_type", "location_id"],
        policy,
        bad,
        ids,
    )
    if assignees is not None:
        tables["patent_assignees"] = conform(
            "patent_assignees",
            _people(assignees, ids, locations, "assignee").with_columns(
                pl.col("assignee_type").map_elements(assignee_type, return_dtype=pl.String)
            ),
        )
    inventors = _optional(
        folder, "g_inventor_disambiguated.tsv", ["patent_id", "inventor_sequence", "location_id"], policy, bad, ids
    )
    if inventors is not None:
        tables["patent_inventors"] = conform("patent_inventors", _people(inventors, ids, locations, "inventor"))
    citations = _optional(
        folder,
        "g_us_patent_citation.tsv",
        ["patent_id", "citation_sequence", "citation_patent_id", "citation_date", "citation_category"],
        policy,
        bad,
        ids,
        ["citation_date"],
    )
    if citations is not None:
        tables["patent_citations"] = conform(
            "patent_citations",
            citations.join(ids, on="patent_id").select(
                pl.col("patent_id").alias("citing_id"),
                pl.col("citation_patent_id").alias("cited_id"),
                pl.col("citation_date").alias("cited_date"),
                pl.lit("US").alias("cited_office"),
                pl.col("citation_category").replace("", None).alias("category"),
                pl.col("citation_sequence").cast(pl.Int64).alias("sequence"),
                "grant_year",
            ),
        )
    classes = []
    cpc = _optional(folder, "g_cpc_current.tsv", ["patent_id", "cpc_sequence", "cpc_group"], policy, bad, ids)
    if cpc is not None:  # "H01F1/0577" -> "H01F 1/0577"
        classes.append(
            cpc.join(ids, on="patent_id").select(
                "patent_id",
                pl.lit("cpc").alias("scheme"),
                (pl.col("cpc_group").str.slice(0, 4) + " " + pl.col("cpc_group").str.slice(4)).alias("code"),
                (pl.col("cpc_sequence").cast(pl.Int64) == 0).alias("is_main"),
                "grant_year",
            )
        )
    uspc = _optional(
        folder,
        "g_uspc_at_issue.tsv",
        ["patent_id", "uspc_sequence", "uspc_mainclass_id", "uspc_subclass_id"],
        policy,
        bad,
        ids,
    )
    if uspc is not None:  # uspc_subclass_id is "148/301" already
        classes.append(
            uspc.join(ids, on="patent_id").select(
                "patent_id",
                pl.lit("uspc").alias("scheme"),
                pl.col("uspc_subclass_id").alias("code"),
                (pl.col("uspc_sequence").cast(pl.Int64) == 0).alias("is_main"),
                "grant_year",
            )
        )
    if classes:
        tables["patent_classes"] = conform(
            "patent_classes",
            pl.concat(classes).unique(["patent_id", "scheme", "code"], keep="first", maintain_order=True),
        )
    return tables


def read_patentsview(
    folder: Path | str, year: int | None = None, *, policy: BadRecordPolicy = "skip", layout: Layout | None = None
) -> tuple[dict[str, pl.DataFrame], list[BadRecord]]:
    """The six canonical tables of the grants of ``year`` (every year when None) in a folder of
    PatentsView bulk TSVs, and the malformed rows skipped."""
    folder = Path(folder)
    bad: list[BadRecord] = []
    reader = {"legacy": _legacy, "current": _current}[layout or detect_layout(folder)]
    tables = reader(folder, year, policy, bad)
    return {table: tables[table] for table in PATENT_TABLES}, bad
