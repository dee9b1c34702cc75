"""Where the patent tables of a grant year come from, in each data-source mode.

- ``embedded``: the synthetic USPTO (``embedded/patent_world.py``);
- ``local`` / ``download`` (the USPTO and PatentsView bulk files are too large to fetch per run:
  both modes read the user's folder ``REE_DATA_DIR``): weekly USPTO grant XML files
  ``patents/uspto_xml/ipgYYMMDD.xml`` of the year (the full-text format since 2005), else the
  PatentsView bulk TSVs in ``patents/patentsview/`` (legacy or ``g_*`` layout, unzipped, all years
  in one set of files except the per-year claims and description files; ``patentsview.py`` lists
  them), whichever the ``reader`` setting names (``auto``: XML when the year has files);
- ``bigquery``: Google Patents public data (``google_patents.py``), the scale-out path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import polars as pl

from ree_assets.errors import SourceUnavailableError
from ree_assets.sources.catalog import SourceSettings
from ree_assets.sources.contracts import contract_path
from ree_assets.sources.patent_tables import PATENT_TABLES, BadRecord, BadRecordPolicy, empty_tables

PatentReader = Literal["auto", "uspto_xml", "patentsview", "bigquery"]
USPTO_XML_DIR, PATENTSVIEW_DIR = "patents/uspto_xml", "patents/patentsview"


def uspto_xml_files(folder: Path, year: int) -> list[Path]:
    """The weekly grant files of ``year`` in ``folder`` (``ipgYYMMDD.xml``, or the USPTO's zip of
    it, ``ipgYYMMDD.zip``, read without unpacking, where the XML is absent), in date order."""
    pattern = f"ipg{year % 100:02d}[01][0-9][0-3][0-9]*"
    xml = sorted(folder.glob(f"{pattern}.xml"))
    unpacked = {p.stem for p in xml}
    return sorted([*xml, *(p for p in folder.glob(f"{pattern}.zip") if p.stem not in unpacked)], key=lambda p: p.name)


def read_patent_year(
    year: int,
    settings: SourceSettings,
    *,
    reader: PatentReader = "auto",
    policy: BadRecordPolicy = "skip",
    sections: Sequence[str] = ("claims",),
    bigquery_project: str | None = None,
    xml_workers: int = 1,
) -> tuple[dict[str, pl.DataFrame], list[BadRecord]]:
    """The six canonical tables of the grants of ``year`` and the malformed records skipped."""
    if reader == "bigquery":
        from ree_assets.sources.google_patents import read_google_patents

        return read_google_patents(year, project=bigquery_project), []
    if settings.mode == "embedded":
        from ree_assets.sources.embedded.patent_office import patent_tables

        return patent_tables(year, settings.seed, settings.size), []
    xml_files = uspto_xml_files(settings.data_dir / USPTO_XML_DIR, year)
    if reader == "uspto_xml" or (reader == "auto" and xml_files):
        if not xml_files:
            raise SourceUnavailableError(
                "patents",
                f"weekly grant files {settings.data_dir / USPTO_XML_DIR}/ipg{year % 100:02d}*.xml",
                settings.mode,
                str(contract_path("patents")),
            )
        from ree_assets.sources.uspto_xml import read_uspto_xml

        return read_uspto_xml(xml_files, sections=sections, policy=policy, workers=xml_workers)
    from ree_assets.sources.patentsview import read_patentsview

    return read_patentsview(settings.data_dir / PATENTSVIEW_DIR, year, policy=policy, sections=sections)


def patent_origin(
    settings: SourceSettings, reader: PatentReader = "auto", years: Iterable[int] = (), table: str = "patents"
) -> str:
    """Where ``table`` of grant ``years`` is read from, in words (the ``source_files`` of the
    pull): the files of each year that feed it (the year's USPTO XML files, else the PatentsView
    files of the table), or the embedded world or BigQuery."""
    if reader == "bigquery":
        return "Google Patents Public Data on BigQuery (patents-public-data.patents.publications)"
    if settings.mode == "embedded":
        return f"the embedded synthetic USPTO (seed {settings.seed}, size {settings.size})"
    from ree_assets.sources.patentsview import PATENT_FILES, table_files

    xml_folder, tsv_folder = settings.data_dir / USPTO_XML_DIR, settings.data_dir / PATENTSVIEW_DIR
    files: list[Path] = []
    for year in years:
        xml = uspto_xml_files(xml_folder, year)
        if reader == "uspto_xml" or (reader == "auto" and xml):
            files += xml
        elif any((tsv_folder / name).is_file() for name in PATENT_FILES.values()):
            files += table_files(tsv_folder, table, year)
    return ", ".join(str(file) for file in dict.fromkeys(files)) or f"no file of {xml_folder} or {tsv_folder}"


def read_patent_years(
    years: Iterable[int], settings: SourceSettings, **options
) -> tuple[dict[str, pl.DataFrame], list[BadRecord]]:
    """The six tables of several grant years, stacked (one run of a multi-year backfill)."""
    parts, bad = [], []
    for year in years:
        tables, skipped = read_patent_year(year, settings, **options)
        parts.append(tables)
        bad += skipped
    return {t: pl.concat([empty_tables()[t], *(p[t] for p in parts)]) for t in PATENT_TABLES}, bad
