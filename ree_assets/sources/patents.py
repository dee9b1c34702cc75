"""Where the patent tables of a grant year come from, in each data-source mode.

- ``embedded``: the synthetic USPTO (``embedded/patent_world.py``);
- ``local``: the user's folder ``REE_DATA_DIR``: weekly USPTO grant XML files
  ``patents/uspto_xml/ipgYYMMDD.xml`` (or the USPTO's ``.zip`` of each) of the year (the full-text
  format since 2005), else the PatentsView bulk TSVs in ``patents/patentsview/`` (legacy or ``g_*``
  layout, unzipped or in PatentsView's zips, all years in one set of files except the per-year
  claims and description files; ``patentsview.py`` lists them), whichever the ``reader`` setting
  names (``auto``: XML when the year has files);
- ``download``: the publishers' own files, fetched into the cache ``REE_CACHE_DIR`` by the
  registry (``publishers.yaml``, :mod:`ree_assets.sources.fetching`) and read from there in the
  same layout: ``uspto_xml`` the USPTO's weekly ``ipgYYMMDD.zip`` of every Tuesday of the year
  (2005 on; a week the USPTO has no file for is noted and skipped), ``patentsview`` (and ``auto``:
  one set of files serves every grant year since 1976) PatentsView's ``g_*.tsv.zip`` tables and
  the year's ``g_claims_YYYY`` (and, when the description section is kept,
  ``g_detail_desc_text_YYYY``), streamed out of their zips. A file that cannot be fetched, or that
  fails its check, fails the pull naming its URL, the cached file and the rule;
- ``bigquery``: Google Patents public data (``google_patents.py``), the scale-out path.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Literal

import polars as pl

from ree_assets.errors import DataValidationError, SourceNote, SourceUnavailableError
from ree_assets.sources.contracts import contract_path
from ree_assets.sources.download import NotPublished, Progress
from ree_assets.sources.fetching import Outcome, fetch_sources, naming_url
from ree_assets.sources.patent_tables import PATENT_TABLES, BadRecord, BadRecordPolicy, empty_tables
from ree_assets.sources.publishers import load_registry
from ree_assets.sources.settings import SourceSettings

PatentReader = Literal["auto", "uspto_xml", "patentsview", "bigquery"]
USPTO_XML_DIR, PATENTSVIEW_DIR = "patents/uspto_xml", "patents/patentsview"
#: The registry's source of the USPTO weeks, and the prefix of PatentsView's.
USPTO_SOURCE, PATENTSVIEW_PREFIX = "uspto_grant_fulltext", "patentsview_"
#: The registry's per-year PatentsView text files, by the section they hold.
PATENTSVIEW_TEXTS = {"claims": "patentsview_g_claims", "description": "patentsview_g_detail_desc_text"}


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
    progress: Callable[[str], Progress | None] = lambda label: None,
) -> tuple[dict[str, pl.DataFrame], list[BadRecord]]:
    """The six canonical tables of the grants of ``year`` and the malformed records skipped
    (``progress``: a download's progress callback per file, download mode)."""
    if reader == "bigquery":
        from ree_assets.sources.google_patents import read_google_patents

        return read_google_patents(year, project=bigquery_project), []
    if settings.mode == "embedded":
        from ree_assets.sources.embedded.patent_office import patent_tables

        return patent_tables(year, settings.seed, settings.size), []
    if settings.mode != "download":
        return _read_files(year, settings, reader, policy, sections, xml_workers)
    reader = "uspto_xml" if reader == "uspto_xml" else "patentsview"
    outcomes = fetch_publisher_files(year, settings, reader, sections, progress)
    try:
        return _read_files(year, settings, reader, policy, sections, xml_workers)
    except DataValidationError as error:  # a publisher's file that changed: name its address too
        raise naming_url(error, outcomes) from error


def _read_files(
    year: int,
    settings: SourceSettings,
    reader: PatentReader,
    policy: BadRecordPolicy,
    sections: Sequence[str],
    xml_workers: int,
) -> tuple[dict[str, pl.DataFrame], list[BadRecord]]:
    """The six tables of ``year`` from the patent files of the data folder (the cache in
    ``download`` mode) by ``reader``."""
    root = _root(settings)
    xml_files = uspto_xml_files(root / USPTO_XML_DIR, year)
    if reader == "uspto_xml" or (reader == "auto" and xml_files):
        if not xml_files:
            raise SourceUnavailableError(
                "patents",
                f"weekly grant files {root / USPTO_XML_DIR}/ipg{year % 100:02d}*.xml",
                settings.mode,
                str(contract_path("patents")),
            )
        from ree_assets.sources.uspto_xml import read_uspto_xml

        return read_uspto_xml(xml_files, sections=sections, policy=policy, workers=xml_workers)
    from ree_assets.sources.patentsview import read_patentsview

    return read_patentsview(root / PATENTSVIEW_DIR, year, policy=policy, sections=sections)


def _root(settings: SourceSettings) -> Path:
    """Where the patent files are: the cache in download mode, else the user's data folder."""
    return settings.cache_dir if settings.mode == "download" else settings.data_dir


def fetch_publisher_files(
    year: int,
    settings: SourceSettings,
    reader: Literal["uspto_xml", "patentsview"],
    sections: Sequence[str] = ("claims",),
    progress: Callable[[str], Progress | None] = lambda label: None,
) -> list[Outcome]:
    """The publisher's files ``reader`` reads for grant ``year``, fetched into the cache where
    missing (see the module docstring), and what became of each. Raises the first failure
    (naming its URL, cached file and rule); a USPTO week the USPTO has no file for is a
    :class:`SourceNote`, all of them an error."""
    registry = load_registry()
    if reader == "uspto_xml":
        source = registry.sources[USPTO_SOURCE]
        if source.first_year is not None and year < source.first_year:
            raise SourceUnavailableError(
                "patents",
                f"USPTO weekly grant XML of {year} (published from {source.first_year}; earlier years: reader "
                "patentsview)",
                settings.mode,
                str(contract_path("patents")),
            )
        sources = [source]
    else:
        texts = {PATENTSVIEW_TEXTS[section] for section in sections}
        sources = [
            s
            for key, s in registry.sources.items()
            if key.startswith(PATENTSVIEW_PREFIX) and (s.partition == "none" or key in texts)
        ]
    outcomes = fetch_sources(sources, range(year, year + 1), settings, progress)
    failed = [o.error for o in outcomes if o.error is not None]
    weeks_missing = all(isinstance(e, NotPublished) for e in failed) and len(failed) < len(outcomes)
    if reader == "uspto_xml" and failed and weeks_missing:
        weeks = ", ".join(Path(e.path).name for e in failed if isinstance(e, NotPublished))
        warnings.warn(SourceNote(f"patents: the USPTO has no weekly file {weeks} (HTTP 404); skipped"), stacklevel=2)
        return outcomes
    if failed:
        raise failed[0]
    return outcomes


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
    from ree_assets.sources.patentsview import PATENT_FILES, present, table_files

    xml_folder, tsv_folder = _root(settings) / USPTO_XML_DIR, _root(settings) / PATENTSVIEW_DIR
    files: list[Path] = []
    for year in years:
        xml = uspto_xml_files(xml_folder, year)
        if reader == "uspto_xml" or (reader == "auto" and xml and settings.mode != "download"):
            files += xml
        elif any(present(tsv_folder / name) for name in PATENT_FILES.values()):
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
