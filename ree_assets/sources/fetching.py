"""Fetching what a selection needs from the publishers of the registry into the cache.

:func:`fetch_files` takes the canonical tables a run reads and its years, finds their sources in
the registry (:mod:`ree_assets.sources.publishers`) and fetches every file not yet in the cache,
at most ``concurrency`` requests at once per publisher (and never more than the registry's
``max_concurrent`` for it). Each file ends as an :class:`Outcome`: ``fetched``, ``cached`` (already
there and verified), or ``lacking`` with the reason (a local-only source and where to get it, an
API key not set, a failed download naming its URL, cached file and rule).

A local source is ``cached`` when its file is in the data folder, ``absent`` when it is an optional
one that is not (the table is read without it), else ``lacking``. A zip whose format is not read
straight out of it (a BEA workbook in ``AllTablesIO.zip``) is kept next to its member, which is
extracted to the registry's ``path``.

The ``download`` mode's readers take their files from here: :func:`fetched_files` (the files of
every source of a raw table of the catalog, e.g. BEA's Use workbook and the Census concordances)
and :func:`fetch_sources` (every file of some sources for some years, e.g. the PatentsView tables
or the USPTO weeks of a patent pull); a file that cannot be fetched fails naming its URL, the
cached file and the rule, and :func:`naming_url` adds the URL to a reader's error about a file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

from ree_assets.errors import (
    DataValidationError,
    DownloadError,
    SourceError,
    SourceFormatError,
    SourceUnavailableError,
)
from ree_assets.sources import comtrade_api, download
from ree_assets.sources.contracts import contract_path
from ree_assets.sources.publishers import Fetch, Source, load_registry
from ree_assets.sources.settings import SourceSettings

Status = Literal["fetched", "cached", "absent", "lacking"]


@dataclass(frozen=True)
class Outcome:
    """One file: its source, its path (relative to the cache, or to the data folder for a local
    source), what became of it and why."""

    source: str
    path: str
    status: Status
    reason: str = ""
    #: Why a file the publisher should serve is lacking (None for a local-only or API source).
    error: SourceError | None = None
    #: Where the file is (or would be), and the address it is downloaded from (None: local, API).
    file: Path | None = None
    url: str | None = None


def archive_path(file: Fetch) -> str:
    """Where the zip of a member that is extracted is kept: beside the member, under the name the
    publisher gives it."""
    return str(PurePosixPath(file.path).parent / PurePosixPath(urlsplit(file.url).path).name)


def fetch_file(
    file: Fetch,
    table: str,
    settings: SourceSettings,
    progress: Callable[[str], download.Progress | None] = lambda label: None,
) -> Outcome:
    """One registry file into ``settings.cache_dir`` (see the module docstring)."""
    target = settings.cache_dir / file.path
    extracted = file.member is not None and not file.streamed
    archive = settings.cache_dir / archive_path(file) if extracted else target
    if download.is_cached(target, table, sha256=None if extracted else file.sha256, refetched_from=file.url):
        return Outcome(file.source, file.path, "cached", file=target, url=file.url)
    limit = min(settings.download_concurrency, load_registry().publishers[file.publisher].max_concurrent)
    try:
        with download.publisher_slot(file.publisher, limit):
            download.cached_or_fetched(
                file.url,
                archive,
                table,
                sha256=file.sha256,
                member=None if extracted else file.member,  # an archive shared by members: each checks its own
                deadline_s=settings.download_deadline_s,
                stall_s=settings.download_stall_s,
                retry=download.Retry(attempts=settings.download_attempts),
                progress=progress(archive_path(file) if extracted else file.path),  # what is downloaded
            )
        if extracted:
            assert file.member is not None
            download.extract_member(archive, file.member, target, table)
    except (DownloadError, SourceFormatError) as error:
        return Outcome(file.source, file.path, "lacking", str(error), error, target, file.url)
    return Outcome(file.source, file.path, "fetched", file=target, url=file.url)


def _local(source: Source, settings: SourceSettings) -> Outcome:
    """A local source's file in the data folder: cached (present), absent (optional) or lacking."""
    path = settings.data_dir / source.path
    if path.is_file():
        return Outcome(source.key, source.path, "cached", file=path)
    if source.optional:
        return Outcome(source.key, source.path, "absent", f"optional, not at {path}: {source.obtain}")
    return Outcome(source.key, source.path, "lacking", f"no free download: put it at {path} ({source.obtain})")


def _api_year(year: int, settings: SourceSettings, progress: Callable[[str], download.Progress | None]) -> Outcome:
    """The UN Comtrade pages of ``year`` (:mod:`ree_assets.sources.comtrade_api`): fetched, or
    cached, or lacking with the reason (no key, the day's calls spent, a failed call)."""
    pages = [
        comtrade_api.page_path(settings.cache_dir, year, p) for p in comtrade_api.ComtradeQuery.from_env().pages(year)
    ]
    label = f"{pages[0].parent.relative_to(settings.cache_dir)} ({len(pages)} pages)"
    cached = all(page.is_file() for page in pages)
    try:
        comtrade_api.fetch_year_pages(year, settings, progress=progress)
    except (comtrade_api.QuotaExhausted, SourceUnavailableError, DownloadError) as error:
        return Outcome(comtrade_api.SOURCE, label, "lacking", str(error))
    return Outcome(comtrade_api.SOURCE, label, "cached" if cached else "fetched")


def fetch_sources(
    sources: Iterable[Source],
    years: range,
    settings: SourceSettings,
    progress: Callable[[str], download.Progress | None] = lambda label: None,
) -> list[Outcome]:
    """Every file of ``sources`` for ``years``, fetched where missing (see the module
    docstring), in the order given."""
    registry = load_registry()
    jobs: list[tuple[Fetch, str]] = []
    outcomes: list[Outcome] = []
    for source in sources:
        if source.access == "local":
            outcomes.append(_local(source, settings))
        elif source.key == comtrade_api.SOURCE:
            outcomes += [_api_year(year, settings, progress) for year in range(years.start, years.stop)]
        else:
            files = source.fetches(years, settings.base_urls.get(source.publisher), registry.formats)
            jobs += [(file, source.tables[0]) for file in files]
    workers = max(1, settings.download_concurrency * len({file.publisher for file, _ in jobs}))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes += pool.map(lambda job: fetch_file(job[0], job[1], settings, progress), jobs)
    return outcomes


def fetch_files(
    tables: Iterable[str],
    years: range,
    settings: SourceSettings,
    progress: Callable[[str], download.Progress | None] = lambda label: None,
) -> list[Outcome]:
    """Every file the ``tables`` of ``years`` need (:func:`fetch_sources` of the registry's
    sources feeding them), in registry order."""
    return fetch_sources(load_registry().for_tables(set(tables)), years, settings, progress)


def fetched_files(
    table: str,
    settings: SourceSettings,
    progress: Callable[[str], download.Progress | None] = lambda label: None,
) -> list[Outcome]:
    """The file of every (unpartitioned) source of raw ``table``, in registry order, fetched first
    where needed (from ``settings.base_urls`` of its publisher when set); an absent optional one
    has no ``file``. Raises the DownloadError or SourceFormatError naming the URL, the cached file
    and the rule when one cannot be had, and SourceUnavailableError naming the file and where to get
    it for a lacking local one."""
    sources = load_registry().for_tables({table})
    outcomes = {o.source: o for o in fetch_sources(sources, range(0), settings, progress)}
    for outcome in outcomes.values():
        if outcome.error is not None:
            raise outcome.error
        if outcome.status == "lacking":
            raise SourceUnavailableError(
                table, f"{outcome.source}: {outcome.reason}", settings.mode, str(contract_path(table))
            )
    return [outcomes[source.key] for source in sources]


def naming_url(error: DataValidationError, outcomes: Iterable[Outcome]) -> DataValidationError:
    """``error`` with the address of the downloaded file it is about (the outcome whose cached
    file its ``file`` names); unchanged when it names none of them."""
    named = str(error.file) if error.file is not None else None
    for outcome in outcomes:
        if named and outcome.url and outcome.file is not None and named.startswith(str(outcome.file)):
            return error.located(url=outcome.url)
    return error
