"""PatentsView bulk TSV files -> the six canonical patent tables, for one grant year or all.

Two layouts of PatentsView's bulk downloads are read (unzipped, tab-separated, text quoted with
``"``). The column names are those PatentsView's own code writes: the ``current`` ``g_*`` files
are the views of ``resources/create_export_views.sql`` and the fields of
``resources/table_config_bulk_exp_granted.json`` in PatentsView/PatentsView-DB (the bulk export
and its tests); the ``legacy`` files (before 2022) are the tables of the granted-patent database,
``Scripts/Create/patents.sql`` of the same repository, with ``location_id`` added to
``patent_assignee``/``patent_inventor`` in release 2020.03.22 (CSSIP-AIR/PatentsView-DB release
notes). Each file's header must hold the columns listed here (other columns are ignored, with a note):

- ``patents``: legacy ``patent.tsv`` (id, date, title, kind, abstract) and ``application.tsv``
  (patent_id, date); current ``g_patent.tsv`` (patent_id, patent_date, patent_title, wipo_kind;
  patent_abstract in the releases of the export views), ``g_patent_abstract.tsv`` (patent_id,
  patent_abstract) and ``g_application.tsv`` (patent_id, filing_date);
- ``patent_texts``: legacy ``claims_YYYY.tsv`` or ``claim.tsv`` (patent_id, text, sequence) and
  ``detail_desc_text_YYYY.tsv`` (patent_id, text); current ``g_claims_YYYY.tsv`` (patent_id,
  claim_text, claim_sequence) and ``g_detail_desc_text_YYYY.tsv`` (patent_id, description_text);
- ``patent_assignees``: legacy ``patent_assignee.tsv`` (patent_id, assignee_id[, location_id]),
  ``assignee.tsv`` (id, type, name_first, name_last, organization) and, for the order,
  ``rawassignee.tsv`` (patent_id, assignee_id, sequence); current
  ``g_assignee_disambiguated.tsv`` (patent_id, assignee_sequence,
  disambig_assignee_individual_name_first, disambig_assignee_individual_name_last,
  disambig_assignee_organization, assignee_type, location_id);
- ``patent_inventors``: legacy ``patent_inventor.tsv`` (patent_id, inventor_id[, location_id]),
  ``inventor.tsv`` (id, name_first, name_last), ``rawinventor.tsv`` (patent_id, inventor_id,
  sequence); current ``g_inventor_disambiguated.tsv`` (patent_id, inventor_sequence,
  disambig_inventor_name_first, disambig_inventor_name_last, location_id);
- countries of both: legacy ``location.tsv`` (id, country), else ``rawlocation.tsv``
  (location_id, country); current ``g_location_disambiguated.tsv`` (location_id, disambig_country);
- ``patent_classes``: legacy ``cpc_current.tsv`` (patent_id, subgroup_id, sequence) and
  ``uspc.tsv`` (USPC at issue), else ``uspc_current.tsv`` (patent_id, subclass_id, sequence);
  current ``g_cpc_current.tsv`` (patent_id, cpc_group, cpc_sequence) and ``g_uspc_at_issue.tsv``
  (patent_id, uspc_subclass_id, uspc_sequence);
- ``patent_citations``: legacy ``uspatentcitation.tsv`` (patent_id, citation_id, date, category,
  sequence) and ``foreigncitation.tsv`` (patent_id, number, date, category, sequence, country);
  current ``g_us_patent_citation.tsv`` (patent_id, citation_patent_id, citation_date,
  citation_category, citation_sequence) and ``g_foreign_citation.tsv`` (patent_id,
  citation_application_id, citation_date, citation_category, citation_sequence,
  citation_country).

Rules: ``patent.tsv``/``g_patent.tsv`` names the layout and is required; any other file that is
absent leaves its table (or column) empty, said in a :class:`AbsentSource` /
:class:`~ree_assets.errors.SourceNote` warning. A present file whose header lacks a column above
fails naming the file, the column and the contract. Names are the organisation, else first and
last name; countries are ISO alpha-3 (:func:`iso3`); the assignee type code maps by
:func:`assignee_type`; CPC groups ``H01F1/0577`` are written ``H01F 1/0577``; the main class of
a scheme is its sequence 0. US patent citations are issued by ``US``; a foreign citation's office
is its country. Citations are numbered from 0 per citing patent in the files' sequence order (US
before foreign at a tie), as the USPTO XML reader counts them. Without ``rawassignee.tsv``
(``rawinventor.tsv``) the legacy order of assignees (inventors) is the file's order, with a note.
Claims of a patent are joined in sequence order with newlines.

Files are scanned lazily with :func:`polars.scan_csv` (a grant year selects rows while scanning;
memory holds one year's rows). Each file may instead be the zip PatentsView publishes,
``<name>.zip`` holding ``<name>`` (``g_patent.tsv.zip``, the ``download`` mode's cache): its member
is streamed a chunk at a time and filtered as it is read (:mod:`ree_assets.sources.zip_tsv`),
never unpacked. A malformed row fails the read or is skipped and reported with
its file and line, per the :data:`BadRecordPolicy`: more fields than the header, an empty id, a
date that is not ISO ``YYYY-MM-DD`` (day or month ``00`` is read as the 1st, as
:func:`~ree_assets.sources.patent_tables.uspto_date` does), a foreign citation without a
country. A row with fewer fields reads its missing trailing fields as null (Polars pads short
rows; pola-rs/polars#521): it is reported when a field the reader needs is then empty. Only rows
of the requested year are checked (and rows that cannot be placed in a year: an empty id or
date), so a bad row of one year never affects another.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from ree_assets.errors import DataValidationError, SourceFormatError, SourceNote, SourceUnavailableError
from ree_assets.sources.contracts import contract_path
from ree_assets.sources.files import not_utf8
from ree_assets.sources.patent_tables import (
    PATENT_TABLES,
    AbsentSource,
    BadRecord,
    BadRecordPolicy,
    assignee_type,
    bad_record,
    conform,
    empty_tables,
    iso3,
)
from ree_assets.sources.zip_tsv import iter_zip_tsv, names, open_member

Layout = Literal["legacy", "current"]
SOURCE = "patentsview"
#: The file whose presence names the layout.
PATENT_FILES: dict[Layout, str] = {"legacy": "patent.tsv", "current": "g_patent.tsv"}
_ROW, _EXTRA, _PROBLEM = "_row", "_extra_field", "_problem"


@dataclass(frozen=True)
class Tsv:
    """One PatentsView file: its name(s) (the first present wins; ``{year}`` for a file per grant
    year), the columns the reader needs (in the order it uses them: id, value(s), sequence, ...),
    the column that selects rows (a patent id, or the id of a lookup table), other columns that
    must not be empty, ISO date columns, and columns used when the header has them."""

    names: tuple[str, ...]
    columns: tuple[str, ...]
    key: str = "patent_id"
    filled: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


LEGACY = {
    "patent": Tsv(
        ("patent.tsv",), ("id", "date", "title", "kind", "abstract"), key="id", filled=("date",), dates=("date",)
    ),
    "application": Tsv(("application.tsv",), ("patent_id", "date"), dates=("date",)),
    "claims": Tsv(("claims_{year}.tsv", "claim.tsv"), ("patent_id", "text", "sequence")),
    "description": Tsv(("detail_desc_text_{year}.tsv",), ("patent_id", "text")),
    "patent_assignee": Tsv(("patent_assignee.tsv",), ("patent_id", "assignee_id"), optional=("location_id",)),
    "assignee": Tsv(("assignee.tsv",), ("id", "type", "name_first", "name_last", "organization"), key="id"),
    "rawassignee": Tsv(("rawassignee.tsv",), ("patent_id", "assignee_id", "sequence")),
    "patent_inventor": Tsv(("patent_inventor.tsv",), ("patent_id", "inventor_id"), optional=("location_id",)),
    "inventor": Tsv(("inventor.tsv",), ("id", "name_first", "name_last"), key="id"),
    "rawinventor": Tsv(("rawinventor.tsv",), ("patent_id", "inventor_id", "sequence")),
    "location": Tsv(("location.tsv",), ("id", "country"), key="id"),
    "rawlocation": Tsv(("rawlocation.tsv",), ("location_id", "country"), key="location_id"),
    "cpc": Tsv(("cpc_current.tsv",), ("patent_id", "subgroup_id", "sequence")),
    "uspc": Tsv(("uspc.tsv", "uspc_current.tsv"), ("patent_id", "subclass_id", "sequence")),
    "us_citation": Tsv(
        ("uspatentcitation.tsv",),
        ("patent_id", "citation_id", "date", "category", "sequence"),
        filled=("citation_id",),
        dates=("date",),
    ),
    "foreign_citation": Tsv(
        ("foreigncitation.tsv",),
        ("patent_id", "number", "date", "category", "sequence", "country"),
        filled=("number", "country"),
        dates=("date",),
    ),
}
CURRENT = {
    "patent": Tsv(
        ("g_patent.tsv",),
        ("patent_id", "patent_date", "patent_title", "wipo_kind"),
        filled=("patent_date",),
        dates=("patent_date",),
        optional=("patent_abstract",),
    ),
    "abstract": Tsv(("g_patent_abstract.tsv",), ("patent_id", "patent_abstract")),
    "application": Tsv(("g_application.tsv",), ("patent_id", "filing_date"), dates=("filing_date",)),
    "claims": Tsv(("g_claims_{year}.tsv",), ("patent_id", "claim_text", "claim_sequence")),
    "description": Tsv(("g_detail_desc_text_{year}.tsv",), ("patent_id", "description_text")),
    "assignee": Tsv(
        ("g_assignee_disambiguated.tsv",),
        (
            "patent_id",
            "assignee_sequence",
            "disambig_assignee_individual_name_first",
            "disambig_assignee_individual_name_last",
            "disambig_assignee_organization",
            "assignee_type",
            "location_id",
        ),
    ),
    "inventor": Tsv(
        ("g_inventor_disambiguated.tsv",),
        (
            "patent_id",
            "inventor_sequence",
            "disambig_inventor_name_first",
            "disambig_inventor_name_last",
            "location_id",
        ),
    ),
    "location": Tsv(("g_location_disambiguated.tsv",), ("location_id", "disambig_country"), key="location_id"),
    "cpc": Tsv(("g_cpc_current.tsv",), ("patent_id", "cpc_group", "cpc_sequence")),
    "uspc": Tsv(("g_uspc_at_issue.tsv",), ("patent_id", "uspc_subclass_id", "uspc_sequence")),
    "us_citation": Tsv(
        ("g_us_patent_citation.tsv",),
        ("patent_id", "citation_patent_id", "citation_date", "citation_category", "citation_sequence"),
        filled=("citation_patent_id",),
        dates=("citation_date",),
    ),
    "foreign_citation": Tsv(
        ("g_foreign_citation.tsv",),
        (
            "patent_id",
            "citation_application_id",
            "citation_date",
            "citation_category",
            "citation_sequence",
            "citation_country",
        ),
        filled=("citation_application_id", "citation_country"),
        dates=("citation_date",),
    ),
}

LAYOUTS: dict[Layout, dict[str, Tsv]] = {"legacy": LEGACY, "current": CURRENT}

#: The files each canonical table is read from (labels of :data:`LEGACY` / :data:`CURRENT`; a
#: label a layout lacks is skipped): the patent file selects the grants of the year for all.
TABLE_FILES: dict[str, tuple[str, ...]] = {
    "patents": ("patent", "abstract", "application"),
    "patent_texts": ("patent", "claims", "description"),
    "patent_assignees": ("patent", "patent_assignee", "assignee", "rawassignee", "location", "rawlocation"),
    "patent_inventors": ("patent", "patent_inventor", "inventor", "rawinventor", "location", "rawlocation"),
    "patent_classes": ("patent", "cpc", "uspc"),
    "patent_citations": ("patent", "us_citation", "foreign_citation"),
}


def detect_layout(folder: Path) -> Layout:
    """``current`` when ``g_patent.tsv`` is in ``folder``, ``legacy`` when ``patent.tsv`` is."""
    for layout, name in PATENT_FILES.items():
        if present(folder / name):
            return layout
    raise SourceUnavailableError(
        "patents", f"{folder / 'g_patent.tsv'} or {folder / 'patent.tsv'}", "local", str(contract_path("patents"))
    )


def header(path: Path, table: str = "patents") -> list[str]:
    """The column names of a TSV's first line (of its member when ``path`` is the zip PatentsView
    publishes, :func:`zipped`), unquoted (:func:`~ree_assets.sources.zip_tsv.names`). A line that
    is not UTF-8 is a SourceFormatError naming the file, the line, the column and the byte."""
    if zipped(path):
        with open_member(path, member(path), table) as stream:
            first = stream.readline()
    else:
        with open(path, "rb") as handle:
            first = handle.readline()
    try:
        return names(first)
    except UnicodeDecodeError as error:
        raise _not_utf8(path, table) from error


def present(path: Path) -> Path | None:
    """``path`` if it is a file, else PatentsView's zip of it (``<name>.zip``) if that is; None."""
    return next((p for p in (path, path.with_name(f"{path.name}.zip")) if p.is_file()), None)


def zipped(path: Path) -> bool:
    """Whether ``path`` is a PatentsView zip (``g_patent.tsv.zip``), read without unpacking."""
    return path.suffix == ".zip"


def member(path: Path) -> str:
    """The TSV inside a PatentsView zip: its name without ``.zip``."""
    return path.name.removesuffix(".zip")


def _not_utf8(path: Path, table: str) -> SourceFormatError:
    """The error naming the first byte of a PatentsView file that is not UTF-8 (PatentsView
    writes UTF-8; a file re-saved in another encoding fails, never turns into other text)."""
    error = not_utf8(path, table, "\t", contract_path(table))
    assert error is not None, f"{path} was reported not UTF-8 but decodes"
    return error


def _blank(column: str) -> pl.Expr:
    return pl.col(column).fill_null("").str.strip_chars() == ""


def iso_date(column: str) -> pl.Expr:
    """An ISO ``YYYY-MM-DD`` date; a day or month 00 (month-precision dates) is the 1st, as in
    :func:`~ree_assets.sources.patent_tables.uspto_date`; null when it does not parse."""
    text = pl.col(column).str.strip_chars().str.replace(r"^(\d{4})-00-", "${1}-01-").str.replace(r"-00$", "-01")
    return text.str.to_date("%Y-%m-%d", strict=False)


def _batches(path: Path, names: Sequence[str], table: str, where: pl.Expr | None = None) -> Iterator[pl.LazyFrame]:
    """The rows matching ``where``: every field a string, one extra column that is set only on
    rows with too many fields, and the 0-based data row number. A TSV is one lazy scan; the
    member of a zip comes a chunk at a time (:func:`~ree_assets.sources.zip_tsv.iter_zip_tsv`),
    filtered before the next is read."""
    schema = {name: pl.String for name in [*names, _EXTRA]}
    if not zipped(path):
        rows = pl.scan_csv(
            path,
            has_header=False,
            separator="\t",
            quote_char='"',
            skip_rows=1,
            schema=schema,
            truncate_ragged_lines=True,
            missing_columns="insert",
            row_index_name=_ROW,
        )
        yield rows if where is None else rows.filter(where)
        return
    empty = True
    for chunk in iter_zip_tsv(path, member(path), table, where=where, extra=_EXTRA, row_index=_ROW):
        empty = False
        yield chunk.lazy()
    if empty:
        yield pl.LazyFrame(schema={_ROW: pl.UInt32, **schema})


def scan_tsv(path: Path, spec: Tsv, table: str, where: pl.Expr | None = None) -> pl.LazyFrame:
    """A PatentsView file's rows (those matching ``where``, on the raw fields) with the spec's
    columns (dates parsed), their row number and the problem of each malformed row (null when
    well-formed). A header without the spec's columns raises DataValidationError naming the
    file, the first missing column and the table's contract."""
    names = header(path, table)
    missing = [c for c in spec.columns if c not in names]
    if missing:
        raise DataValidationError(
            table,
            f"the header of PatentsView's {path.name} has the columns {list(spec.columns)}",
            file=path,
            column=missing[0],
            contract=contract_path(table),
            detail=f"missing {missing}; the header is {names}",
        )
    if ignored := [c for c in names if c not in (*spec.columns, *spec.optional)]:
        warnings.warn(SourceNote(f"{table}: {path} has columns {ignored} that are not read (ignored)"), stacklevel=2)
    checks = [
        pl.when(pl.col(_EXTRA).is_not_null()).then(pl.lit(f"more fields than the {len(names)} of the header")),
        *(pl.when(_blank(c)).then(pl.lit(f"no {c}")) for c in (spec.key, *spec.filled)),
        *(
            pl.when(iso_date(c).is_null() & ~_blank(c)).then(pl.lit(f"not an ISO date: {c}=") + pl.col(c))
            for c in spec.dates
        ),
    ]
    columns = [*spec.columns, *(c for c in spec.optional if c in names)]
    rows = pl.concat(list(_batches(path, names, table, where)))
    return rows.select(
        _ROW,
        *(pl.col(c).str.strip_chars() for c in columns),
        *(iso_date(c).alias(f"{c}_date") for c in spec.dates),
        pl.coalesce(checks).alias(_PROBLEM),
    )


def _lines(path: Path, rows: Sequence[int], table: str) -> dict[int, int]:
    """Data row -> its line in the file: the header is line 1 and each row starts one line after
    the previous row's last line (quoted fields may hold line breaks); counted across the chunks
    of a zip's member."""
    names = header(path, table)
    breaks = pl.sum_horizontal(pl.col(names).str.count_matches("\n").fill_null(0)).alias("n")
    wanted = pl.Series(rows, dtype=pl.UInt32).implode()
    found, before = [], 0
    for batch in _batches(path, names, table):
        counted = batch.select(_ROW, breaks).collect()
        line = pl.col(_ROW) + 2 + before + pl.col("n").cum_sum() - pl.col("n")
        found.append(counted.select(_ROW, line.alias("line")).filter(pl.col(_ROW).is_in(wanted)))
        before += int(counted["n"].sum())
    return dict(pl.concat(found).iter_rows())


@dataclass
class Folder:
    """A folder of PatentsView files being read for one grant year (None: every year), and the
    malformed rows found so far."""

    path: Path
    year: int | None
    policy: BadRecordPolicy
    bad: list[BadRecord]

    def files(self, spec: Tsv) -> list[Path]:
        """The files a spec names in the folder (several for a per-year file read for every year)."""
        for name in spec.names:
            if "{year}" not in name or self.year is not None:
                found = [p for p in [present(self.path / name.format(year=self.year))] if p is not None]
            else:
                pattern = name.format(year="[0-9][0-9][0-9][0-9]")
                plain = list(self.path.glob(pattern))
                found = sorted(
                    [*plain, *(p for p in self.path.glob(f"{pattern}.zip") if p.with_suffix("") not in plain)]
                )
            if found:
                return found
        return []

    def expected(self, spec: Tsv) -> str:
        """The file(s) a spec looks for, in words."""
        year = "YYYY" if self.year is None else self.year
        return " or ".join(str(self.path / name.format(year=year)) for name in spec.names)

    def read(
        self, spec: Tsv, table: str, keys: pl.Series | None = None, where: pl.Expr | None = None
    ) -> pl.DataFrame | None:
        """The rows of a spec's files whose key is in ``keys`` (or that match ``where``), well
        formed, in file order; malformed rows of them (and rows with an empty key) are reported
        per the policy. None when the folder has none of the spec's files."""
        paths = self.files(spec)
        if not paths:
            return None
        if keys is not None:
            where = pl.col(spec.key).is_in(keys.implode()) | _blank(spec.key)
        frames = []
        for path in paths:
            try:
                frame = scan_tsv(path, spec, table, where).collect(engine="streaming").sort(_ROW)
            except pl.exceptions.ComputeError as error:
                if "utf-8" not in str(error):
                    raise
                raise _not_utf8(path, table) from error
            broken = frame.filter(pl.col(_PROBLEM).is_not_null())
            if broken.height:
                lines = _lines(path, broken[_ROW].to_list(), table)
                for row, problem in broken.select(_ROW, _PROBLEM).iter_rows():
                    self.bad.append(bad_record(BadRecord(str(path), lines[row], problem), self.policy, table))
            frames.append(frame.filter(pl.col(_PROBLEM).is_null()).drop(_PROBLEM))
        return pl.concat(frames)

    def note(self, table: str, message: str, absent: bool = False) -> None:
        """Tell the user (the pull's ``source_notes``) what the folder lacks; ``absent``: the table
        has no source at all."""
        warnings.warn(AbsentSource(table, message) if absent else SourceNote(f"{table}: {message}"), stacklevel=2)

    def read_parts(self, table: str, specs: dict[str, Tsv], keys: pl.Series) -> dict[str, pl.DataFrame]:
        """The rows of each labelled file of a table that is present; the absent ones are noted
        (all of them absent: the table is absent)."""
        found = {label: rows for label, spec in specs.items() if (rows := self.read(spec, table, keys)) is not None}
        missing = [self.expected(spec) for label, spec in specs.items() if label not in found]
        if missing:
            self.note(table, f"{' and '.join(missing)} absent", absent=not found)
        return found


def table_files(folder: Path | str, table: str, year: int | None = None) -> list[Path]:
    """The files of ``folder`` a canonical table of grant year ``year`` (None: every year) is
    read from, those present, in the order of :data:`TABLE_FILES`."""
    path = Path(folder)
    files = LAYOUTS[detect_layout(path)]
    reading = Folder(path, year, "skip", [])
    return [file for label in TABLE_FILES[table] if label in files for file in reading.files(files[label])]


def _join(frame: pl.DataFrame, other: pl.DataFrame | None, on: str, columns: dict[str, pl.Expr]) -> pl.DataFrame:
    """``frame`` with ``columns`` computed from the first row of ``other`` per ``on`` (null when
    ``other`` is None: its file is absent)."""
    if other is None:
        return frame.with_columns(pl.lit(None, pl.String).alias(c) for c in columns)
    looked_up = other.unique(on, keep="first", maintain_order=True).select(
        on, *(e.alias(c) for c, e in columns.items())
    )
    return frame.join(looked_up, on=on, how="left")


def _numbered(frame: pl.DataFrame, group: str, by: Sequence[str]) -> pl.DataFrame:
    """``frame`` with ``sequence``: 0-based position of each row within its ``group`` ordered by
    ``by`` (nulls last), then by file order."""
    ordered = frame.sort([group, *by, _ROW], nulls_last=True)
    return ordered.with_columns(pl.int_range(pl.len()).over(group).cast(pl.Int64).alias("sequence"))


def _name(organization: str | None, first: str, last: str) -> pl.Expr:
    """The organisation, else "first last" (null when all are empty)."""
    person = pl.concat_str([pl.col(first), pl.col(last)], separator=" ", ignore_nulls=True).str.strip_chars()
    names = [pl.col(organization).replace("", None)] if organization else []
    return pl.coalesce(*names, person.replace("", None))


def _integer(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Int64, strict=False)


def _patents(folder: Folder, files: dict[str, Tsv]) -> pl.DataFrame:
    """The patents of the year, with their application date and abstract (from the patent file,
    else the abstract file)."""
    spec, date = files["patent"], files["patent"].dates[0]
    year_of = pl.col(date).str.slice(0, 4).cast(pl.Int32, strict=False)
    where = None if folder.year is None else (year_of == folder.year) | year_of.is_null()
    patents = folder.read(spec, "patents", where=where)
    if patents is None:
        raise SourceUnavailableError("patents", folder.expected(spec), "local", str(contract_path("patents")))
    patents = patents.rename({spec.key: "patent_id"}) if spec.key != "patent_id" else patents
    ids = patents["patent_id"]
    abstract = "abstract" if "abstract" in patents.columns else "patent_abstract"
    if abstract not in patents.columns:
        abstracts = folder.read(files["abstract"], "patents", ids)
        if abstracts is None:
            folder.note("patents", f"no abstracts: {folder.expected(files['abstract'])} absent")
        patents = _join(patents, abstracts, "patent_id", {abstract: pl.col("patent_abstract")})
    applications = folder.read(files["application"], "patents", ids)
    if applications is None:
        folder.note("patents", f"no application dates: {folder.expected(files['application'])} absent")
    filed = f"{files['application'].dates[0]}_date"
    patents = _join(patents, applications, "patent_id", {"application_date": pl.col(filed)})
    title, kind = spec.columns[2:4]
    return patents.select(
        "patent_id",
        pl.col(f"{date}_date").alias("grant_date"),
        pl.col("application_date").cast(pl.Date),
        pl.col(title).alias("title"),
        pl.col(abstract).replace("", None).alias("abstract"),
        pl.col(kind).alias("kind"),
        pl.lit(SOURCE).alias("source"),
        pl.col(f"{date}_date").dt.year().cast(pl.Int64).alias("grant_year"),
    )


def _texts(folder: Folder, files: dict[str, Tsv], ids: pl.Series, sections: Sequence[str]) -> pl.DataFrame | None:
    """Claims (joined in sequence order) and descriptions of the year's patents."""
    specs = {section: files[section] for section in ("claims", "description") if section in sections}
    parts = []
    for section, rows in folder.read_parts("patent_texts", specs, ids).items():
        text, *sequence = specs[section].columns[1:]
        parts.append(
            rows.sort([*(_integer(c) for c in sequence), pl.col(_ROW)], nulls_last=True)
            .group_by("patent_id", maintain_order=True)
            .agg(pl.col(text).str.join("\n").alias("text"))
            .select("patent_id", pl.lit(section).alias("section"), "text")
        )
    return pl.concat(parts) if parts else None


def _countries(folder: Folder, files: dict[str, Tsv], location_ids: pl.Series, table: str) -> pl.DataFrame | None:
    """location_id -> ISO alpha-3 country: the disambiguated location table, else (legacy) the
    most frequent country of the raw locations disambiguated to it. None when neither exists."""
    spec = files["location"]
    rows = folder.read(spec, table, location_ids)
    if rows is None and "rawlocation" in files:
        raw = folder.read(files["rawlocation"], table, location_ids)
        if raw is not None:
            rows = (
                raw.filter(~_blank("country"))
                .group_by("location_id")
                .agg(pl.col("country").mode().sort().first())
                .rename({"location_id": spec.key})
            )
    if rows is None:
        folder.note(table, f"no countries: {folder.expected(spec)} absent")
        return None
    country = pl.col(spec.columns[1]).map_elements(iso3, return_dtype=pl.String)
    return rows.select(pl.col(spec.key).alias("location_id"), country.alias("country")).unique("location_id")


def _current_people(folder: Folder, ids: pl.Series, role: str) -> pl.DataFrame | None:
    """Assignees or inventors of the current layout: sequence, name, location_id (and type)."""
    rows = folder.read(CURRENT[role], f"patent_{role}s", ids)
    if rows is None:
        return None
    if role == "assignee":
        prefix, organization, extra = (
            "disambig_assignee_individual_",
            "disambig_assignee_organization",
            ["assignee_type"],
        )
    else:
        prefix, organization, extra = "disambig_inventor_", None, []
    return rows.select(
        "patent_id",
        _integer(f"{role}_sequence").alias("sequence"),
        _name(organization, f"{prefix}name_first", f"{prefix}name_last").alias("name"),
        "location_id",
        *extra,
    )


def _legacy_people(folder: Folder, ids: pl.Series, role: str) -> pl.DataFrame | None:
    """Assignees or inventors of the legacy layout: the patent links, the disambiguated names
    (and type), ordered as in the raw table (else in the file's order, with a note)."""
    table = f"patent_{role}s"
    links = folder.read(LEGACY[f"patent_{role}"], table, ids)
    if links is None:
        return None
    people = folder.read(LEGACY[role], table, links[f"{role}_id"].unique())
    if people is None:
        folder.note(table, f"no names: {folder.expected(LEGACY[role])} absent")
    columns = {"name": _name("organization" if role == "assignee" else None, "name_first", "name_last")}
    if role == "assignee":
        columns["assignee_type"] = pl.col("type")
    links = _join(links.rename({f"{role}_id": "id"}), people, "id", columns)
    raw = folder.read(LEGACY[f"raw{role}"], table, ids)
    if raw is None:
        folder.note(table, f"{folder.expected(LEGACY[f'raw{role}'])} absent: the order is the file's order")
        raw = pl.DataFrame(schema={"patent_id": pl.String, f"{role}_id": pl.String, "sequence": pl.String})
    first = raw.group_by("patent_id", f"{role}_id").agg(_integer("sequence").min().alias("raw_sequence"))
    links = links.join(first.rename({f"{role}_id": "id"}), on=["patent_id", "id"], how="left")
    return _numbered(links, "patent_id", ["raw_sequence"])


def _people(folder: Folder, layout: Layout, ids: pl.Series, role: str) -> pl.DataFrame | None:
    """The canonical assignee or inventor rows of the year (None when the layout's files are absent)."""
    table, files = f"patent_{role}s", LAYOUTS[layout]
    rows = (_current_people if layout == "current" else _legacy_people)(folder, ids, role)
    if rows is None:
        folder.note(table, f"{folder.expected(files[role if layout == 'current' else f'patent_{role}'])} absent", True)
        return None
    countries = None
    if "location_id" not in rows.columns:
        folder.note(table, f"patent_{role}.tsv has no location_id column (releases before 2020): no countries")
    else:
        countries = _countries(folder, files, rows["location_id"].drop_nulls().unique(), table)
    if countries is None:
        rows = rows.with_columns(pl.lit(None, pl.String).alias("country"))
    else:
        rows = rows.join(countries, on="location_id", how="left")
    if role == "assignee":
        code = pl.col("assignee_type").map_elements(assignee_type, return_dtype=pl.String)
        rows = rows.with_columns(code.fill_null(assignee_type(None)))
    return rows


def _classes(folder: Folder, files: dict[str, Tsv], ids: pl.Series) -> pl.DataFrame | None:
    """CPC and USPC classes of the year's patents, the main one of each scheme at sequence 0; CPC
    groups "H01F1/0577" written "H01F 1/0577"."""
    specs = {"cpc": files["cpc"], "uspc": files["uspc"]}
    parts = []
    for scheme, rows in folder.read_parts("patent_classes", specs, ids).items():
        code, sequence = pl.col(specs[scheme].columns[1]), specs[scheme].columns[2]
        parts.append(
            rows.filter(code.fill_null("") != "").select(
                "patent_id",
                pl.lit(scheme).alias("scheme"),
                (code.str.slice(0, 4) + " " + code.str.slice(4) if scheme == "cpc" else code).alias("code"),
                (_integer(sequence) == 0).fill_null(False).alias("is_main"),
            )
        )
    return (
        pl.concat(parts).unique(["patent_id", "scheme", "code"], keep="first", maintain_order=True) if parts else None
    )


def _citations(folder: Folder, files: dict[str, Tsv], ids: pl.Series) -> pl.DataFrame | None:
    """US and foreign patent citations of the year's patents, numbered from 0 per citing patent."""
    specs = {"US": files["us_citation"], "foreign": files["foreign_citation"]}
    parts = []
    for kind, rows in folder.read_parts("patent_citations", specs, ids).items():
        cited, date, category, sequence, *country = specs[kind].columns[1:]
        parts.append(
            rows.select(
                _ROW,
                pl.col("patent_id").alias("citing_id"),
                pl.col(cited).alias("cited_id"),
                pl.col(f"{date}_date").alias("cited_date"),
                (pl.col(country[0]).str.to_uppercase() if country else pl.lit(kind)).alias("cited_office"),
                pl.col(category).replace("", None).alias("category"),
                _integer(sequence).alias("file_sequence"),
                pl.lit(kind != "US").alias("foreign"),
            )
        )
    return _numbered(pl.concat(parts), "citing_id", ["file_sequence", "foreign"]) if parts else None


def read_patentsview(
    folder: Path | str,
    year: int | None = None,
    *,
    policy: BadRecordPolicy = "skip",
    layout: Layout | None = None,
    sections: Sequence[str] = ("claims",),
) -> tuple[dict[str, pl.DataFrame], list[BadRecord]]:
    """The six canonical tables of the grants of ``year`` (every year when None) in a folder of
    PatentsView bulk TSVs (``sections`` of the long texts kept in patent_texts), and the
    malformed rows skipped. A table none of whose files is present is empty, with an
    :class:`AbsentSource` warning."""
    path = Path(folder)
    layout = layout or detect_layout(path)
    files = LAYOUTS[layout]
    reading = Folder(path, year, policy, [])
    tables = empty_tables()
    patents = _patents(reading, files)
    tables["patents"] = conform("patents", patents)
    ids, years = patents["patent_id"], patents.select("patent_id", "grant_year")
    built: dict[str, Callable[[], pl.DataFrame | None]] = {
        "patent_texts": lambda: _texts(reading, files, ids, sections),
        "patent_assignees": lambda: _people(reading, layout, ids, "assignee"),
        "patent_inventors": lambda: _people(reading, layout, ids, "inventor"),
        "patent_classes": lambda: _classes(reading, files, ids),
        "patent_citations": lambda: _citations(reading, files, ids),
    }
    for table, build in built.items():
        rows = build()
        if rows is not None:
            key = "citing_id" if table == "patent_citations" else "patent_id"
            tables[table] = conform(table, rows.join(years, left_on=key, right_on="patent_id", how="inner"))
    return {table: tables[table] for table in PATENT_TABLES}, reading.bad
