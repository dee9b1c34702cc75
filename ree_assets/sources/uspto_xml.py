"""USPTO grant full-text XML (us-patent-grant v4.x) -> the six canonical patent tables.

A weekly USPTO file (``ipgYYMMDD.xml``) is many complete XML documents concatenated, one per
grant, each with its own ``<?xml ...?>`` declaration and DOCTYPE; it is not one XML document. The
reader streams it: it reads the file in chunks of a few MB, cuts it at the declarations, parses
one grant at a time with lxml (no DTD, no network, no entity expansion) and keeps only that
grant's rows, so memory stays constant whatever the file's size; rows come out in batches.

Fields (v4.0-v4.5, ``us-bibliographic-data-grant``):
- ``patents``: publication-reference (doc-number -> patent_id without zero padding, kind, date ->
  grant_date), application-reference date, invention-title, abstract (null when absent);
- ``patent_classes``: classification-national main/further (uspc, "class/subclass"),
  classifications-ipcr (ipc, main = symbol-position F, else the first), classifications-cpc
  main-cpc/further-cpc (cpc);
- ``patent_assignees``: assignees/assignee (orgname, or first and last name; role code ->
  assignee_type; address country -> ISO alpha-3);
- ``patent_inventors``: parties/inventors or us-parties/inventors, else the applicants of type
  applicant-inventor (v4.2); country of the address, else of the residence;
- ``patent_citations``: references-cited/citation or us-references-cited/us-citation with a patcit
  (document-id country -> cited_office, doc-number -> cited_id, unpadded for US patents, date, category;
  sequence counts patcits from 0);
- ``patent_texts``: the claims (and, when asked, the description) as plain text.

A document that is not well-formed XML, or lacks a patent number or a valid grant date, is a
malformed record: it fails the read or is skipped and reported with the file and the line on
which its declaration starts (and the line of the XML error), per the :data:`BadRecordPolicy`.
"""

from __future__ import annotations

import zipfile
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import cache
from itertools import islice
from pathlib import Path
from typing import IO

import polars as pl
from lxml import etree

from ree_assets.errors import SourceFormatError
from ree_assets.sources.patent_tables import (
    PATENT_TABLES,
    BadRecord,
    BadRecordPolicy,
    assignee_type,
    bad_record,
    conform,
    empty_tables,
    iso3,
    patent_number,
    uspc_code,
    uspto_date,
)

DECLARATION = b"<?xml"
SOURCE = "uspto_xml"
_COLUMNS = {
    "patents": ("patent_id", "grant_date", "application_date", "title", "abstract", "kind", "source", "grant_year"),
    "patent_texts": ("patent_id", "section", "text", "grant_year"),
    "patent_assignees": ("patent_id", "sequence", "name", "country", "assignee_type", "grant_year"),
    "patent_inventors": ("patent_id", "sequence", "name", "country", "grant_year"),
    "patent_classes": ("patent_id", "scheme", "code", "is_main", "grant_year"),
    "patent_citations": ("citing_id", "cited_id", "cited_date", "cited_office", "category", "sequence", "grant_year"),
}


@contextmanager
def _open_grants(path: Path) -> Iterator[IO[bytes]]:
    """The bytes of a weekly grant file: the file itself, or the ``ipgYYMMDD.xml`` member of the
    USPTO's ``ipgYYMMDD.zip``, streamed out of it (never unpacked)."""
    if path.suffix.lower() != ".zip":
        with open(path, "rb") as handle:
            yield handle
        return
    with zipfile.ZipFile(path) as archive:
        members = [name for name in archive.namelist() if name.lower().endswith(".xml")]
        if len(members) != 1:
            raise SourceFormatError(
                "patents",
                "a weekly grant zip holds one XML file",
                file=path,
                detail=f"it holds {archive.namelist()[:10]}",
            )
        with archive.open(members[0]) as stream:
            yield stream


def grant_documents(path: Path | str, chunk_bytes: int = 1 << 23) -> Iterator[tuple[int, bytes]]:
    """(line of its declaration, bytes) of each XML document of a concatenated grant file (or the
    XML inside its weekly zip), read ``chunk_bytes`` at a time (memory: one chunk plus one
    document)."""
    line, buffer = 1, b""
    with _open_grants(Path(path)) as handle:
        while True:
            chunk = handle.read(chunk_bytes)
            buffer += chunk
            start = 0
            while (cut := buffer.find(DECLARATION, start + 1)) != -1 or (not chunk and start < len(buffer)):
                end = cut if cut != -1 else len(buffer)
                document = buffer[start:end]
                if document.strip():
                    yield line, document
                line += document.count(b"\n")
                start = end
            buffer = buffer[start:]
            if not chunk:
                return


@cache
def _parser() -> etree.XMLParser:
    """lxml's parser without DTD loading, network access or entity expansion."""
    return etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False, huge_tree=True)


def _text(element: etree._Element | None) -> str | None:
    """An element's text content with whitespace collapsed; None when absent."""
    if element is None:
        return None
    return " ".join("".join(element.itertext()).split())


def _name(addressbook: etree._Element | None) -> str | None:
    if addressbook is None:
        return None
    organisation = addressbook.findtext("orgname")
    if organisation:
        return organisation.strip()
    parts = [addressbook.findtext("first-name"), addressbook.findtext("last-name")]
    return " ".join(p.strip() for p in parts if p and p.strip()) or None


def _classes(bib: etree._Element) -> list[tuple[str, str, bool]]:
    """(scheme, code, is_main) of a grant, first occurrence of each (scheme, code) kept."""
    found: list[tuple[str, str, bool]] = []
    national = bib.find("classification-national")
    if national is not None:
        for element in national:
            if element.tag in ("main-classification", "further-classification") and element.text:
                code = uspc_code(element.text)
                if code:
                    found.append(("uspc", code, element.tag == "main-classification"))
    ipcs = bib.findall("classifications-ipcr/classification-ipcr")
    positions = [ipc.findtext("symbol-position") for ipc in ipcs]
    for k, ipc in enumerate(ipcs):
        code = (
            f"{ipc.findtext('section', '')}{ipc.findtext('class', '')}{ipc.findtext('subclass', '')} "
            f"{ipc.findtext('main-group', '').strip()}/{ipc.findtext('subgroup', '').strip()}"
        )
        found.append(("ipc", code, positions[k] == "F" if "F" in positions else k == 0))
    for position in ("main-cpc", "further-cpc"):
        for cpc in bib.findall(f"classifications-cpc/{position}/classification-cpc"):
            code = (
                f"{cpc.findtext('section', '')}{cpc.findtext('class', '')}{cpc.findtext('subclass', '')} "
                f"{cpc.findtext('main-group', '').strip()}/{cpc.findtext('subgroup', '').strip()}"
            )
            found.append(("cpc", code, position == "main-cpc"))
    first: dict[tuple[str, str], tuple[str, str, bool]] = {}
    for row in found:
        first.setdefault((row[0], row[1]), row)
    return list(first.values())


def _inventors(bib: etree._Element) -> list[etree._Element]:
    explicit = bib.findall("parties/inventors/inventor") + bib.findall("us-parties/inventors/inventor")
    if explicit:
        return explicit
    return [
        a
        for a in bib.findall("parties/applicants/applicant") + bib.findall("us-parties/us-applicants/us-applicant")
        if a.get("app-type") == "applicant-inventor"
    ]


def parse_grant(document: bytes, sections: Sequence[str] = ("claims",)) -> dict[str, list[tuple]]:
    """The rows (tuples in :data:`_COLUMNS` order) of one us-patent-grant document, per table.

    Raises ValueError (or lxml's XMLSyntaxError) when the document is not a usable grant.
    """
    root = etree.fromstring(document, _parser())
    bib = root.find("us-bibliographic-data-grant")
    if root.tag != "us-patent-grant" or bib is None:
        raise ValueError(f"not a us-patent-grant document (root element <{root.tag}>)")
    publication = bib.find("publication-reference/document-id")
    number = publication.findtext("doc-number") if publication is not None else None
    if not number:
        raise ValueError("no publication-reference doc-number")
    patent_id = patent_number(number)
    granted = uspto_date(publication.findtext("date"))
    if granted is None:
        raise ValueError(f"patent {patent_id} has no grant date")
    year = granted.year
    rows: dict[str, list[tuple]] = {table: [] for table in PATENT_TABLES}
    rows["patents"].append(
        (
            patent_id,
            granted,
            uspto_date(bib.findtext("application-reference/document-id/date")),
            _text(bib.find("invention-title")) or "",
            _text(root.find("abstract")),
            publication.findtext("kind"),
            SOURCE,
            year,
        )
    )
    rows["patent_texts"] = [
        (patent_id, section, text, year) for section in sections if (text := _text(root.find(section)))
    ]
    rows["patent_classes"] = [(patent_id, scheme, code, main, year) for scheme, code, main in _classes(bib)]
    for k, assignee in enumerate(bib.findall("assignees/assignee")):
        book = assignee.find("addressbook")
        book = book if book is not None else assignee
        rows["patent_assignees"].append(
            (
                patent_id,
                k,
                _name(book),
                iso3(book.findtext("address/country")),
                assignee_type(book.findtext("role")),
                year,
            )
        )
    for k, inventor in enumerate(_inventors(bib)):
        book = inventor.find("addressbook")
        country = iso3(book.findtext("address/country") if book is not None else None) or iso3(
            inventor.findtext("residence/country")
        )
        rows["patent_inventors"].append((patent_id, k, _name(book), country, year))
    citations = bib.findall("references-cited/citation") + bib.findall("us-references-cited/us-citation")
    for citation in citations:  # child loops, not path lookups: a grant has dozens of citations
        parts = {child.tag: child for child in citation}
        patcit, category = parts.get("patcit"), parts.get("category")
        if patcit is None or not len(patcit):
            continue
        fields = {child.tag: child.text for child in patcit[0]}  # numbers and dates normalised per batch
        rows["patent_citations"].append(
            (
                patent_id,
                (fields.get("doc-number") or "").strip(),
                fields.get("date"),
                (fields.get("country") or "").strip() or None,
                category.text if category is not None else None,
                len(rows["patent_citations"]),
                year,
            )
        )
    return rows


def _citation_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Citation numbers and dates, normalised for a whole batch at once: US patent numbers without
    zero padding (:func:`patent_number`'s rule), ``YYYYMMDD`` with day or month 00 read as 01."""
    parts = [
        pl.col("cited_date").str.slice(0, 4),
        pl.col("cited_date").str.slice(4, 2).replace("00", "01"),
        pl.col("cited_date").str.slice(6, 2).replace("00", "01"),
    ]
    return frame.with_columns(
        pl.when(pl.col("cited_office") == "US")
        .then(pl.col("cited_id").str.replace(r"^([A-Z]{0,2})0*([0-9]+)$", "${1}${2}"))
        .otherwise(pl.col("cited_id"))
        .alias("cited_id"),
        pl.concat_str(parts).str.to_date("%Y%m%d", strict=False).alias("cited_date"),
    )


def _frames(rows: dict[str, list[tuple]]) -> dict[str, pl.DataFrame]:
    frames = {
        table: pl.DataFrame(rows[table], schema=list(_COLUMNS[table]), orient="row", infer_schema_length=None)
        for table in PATENT_TABLES
        if rows[table]
    }
    if "patent_citations" in frames:
        frames["patent_citations"] = _citation_columns(frames["patent_citations"])
    return {
        table: conform(table, frames[table]) if table in frames else empty_tables()[table] for table in PATENT_TABLES
    }


def _parse_documents(documents: list[tuple[int, bytes]], sections: Sequence[str]) -> list[tuple[int, dict | None, str]]:
    """(line, rows or None, problem) of each document: a worker's share of the file."""
    parsed: list[tuple[int, dict | None, str]] = []
    for line, document in documents:
        try:
            parsed.append((line, parse_grant(document, sections), ""))
        except (etree.XMLSyntaxError, ValueError) as error:
            lineno = getattr(error, "lineno", None)
            where = f"at line {line + lineno - 1}: " if lineno else ""
            parsed.append((line, None, f"grant document {where}{error}"))
    return parsed


def _parsed(
    path: Path | str, sections: Sequence[str], workers: int, chunk: int = 200
) -> Iterator[tuple[int, dict | None, str]]:
    """Every document of the file parsed, in file order; with ``workers`` > 1 the documents are
    parsed in a process pool, at most two chunks per worker in flight (memory stays bounded)."""
    documents = grant_documents(path)
    chunks = iter(lambda: list(islice(documents, chunk)), [])
    if workers <= 1:
        for documents_chunk in chunks:
            yield from _parse_documents(documents_chunk, sections)
        return
    with ProcessPoolExecutor(workers) as pool:
        pending: deque = deque()
        for documents_chunk in chunks:
            pending.append(pool.submit(_parse_documents, documents_chunk, tuple(sections)))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def iter_grant_batches(
    path: Path | str,
    *,
    sections: Sequence[str] = ("claims",),
    policy: BadRecordPolicy = "skip",
    bad_records: list[BadRecord] | None = None,
    batch_size: int = 5000,
    workers: int = 1,
) -> Iterator[dict[str, pl.DataFrame]]:
    """The six canonical tables of a grant file, ``batch_size`` grants at a time (``workers``
    processes parse). Malformed records are appended to ``bad_records`` (policy ``skip``) or
    raise DataValidationError naming the file and line (policy ``fail``)."""
    rows: dict[str, list[tuple]] = {table: [] for table in PATENT_TABLES}
    count = 0
    for line, grant, problem in _parsed(path, sections, workers):
        if grant is None:
            record = bad_record(BadRecord(str(path), line, problem), policy, "patents")
            if bad_records is not None:
                bad_records.append(record)
            continue
        for table, table_rows in grant.items():
            rows[table].extend(table_rows)
        count += 1
        if count == batch_size:
            yield _frames(rows)
            rows, count = {table: [] for table in PATENT_TABLES}, 0
    if count:
        yield _frames(rows)


def read_uspto_xml(
    paths: Sequence[Path | str] | Path | str,
    *,
    sections: Sequence[str] = ("claims",),
    policy: BadRecordPolicy = "skip",
    workers: int = 1,
) -> tuple[dict[str, pl.DataFrame], list[BadRecord]]:
    """The six canonical tables of one or more grant files, and the malformed records skipped."""
    bad: list[BadRecord] = []
    batches = [
        batch
        for path in ([paths] if isinstance(paths, (str, Path)) else paths)
        for batch in iter_grant_batches(path, sections=sections, policy=policy, bad_records=bad, workers=workers)
    ]
    tables = {table: pl.concat([empty_tables()[table], *(b[table] for b in batches)]) for table in PATENT_TABLES}
    return tables, bad
