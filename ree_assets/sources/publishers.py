"""The registry of publishers (``publishers.yaml``): where each source of ``download`` mode lives.

Each entry of ``sources`` is a :class:`Source`:

- ``publisher`` (a key of ``publishers``, whose ``max_concurrent`` caps parallel requests to it),
  ``access`` (``download``: a file; ``api``: an API answer saved as a file; ``local``: no free
  download, the user supplies the file and ``obtain`` says where to get it);
- ``url``, ``member`` and ``path`` are templates rendered per partition (:meth:`Source.render`):
  ``{year}``, ``{yy}`` (two digits) and ``{date:%y%m%d}`` (a week's issue date); ``member`` is the
  file inside a zip (extracted to ``path`` unless the format is ``streamed``: then the zip is kept
  at ``path`` and its reader streams the member); ``path`` is relative to the cache (download)
  or the data folder (local);
- ``partition``: ``none``, ``year`` (one file per year from ``first_year``) or ``week`` (one file
  per Tuesday, the USPTO's issue day: :func:`issue_tuesdays`);
- ``format`` (a key of ``formats``, whose ``reader`` is ``module:function`` in this project),
  ``sha256`` where the publisher lists one, ``tables`` it feeds;
- provenance: ``documentation`` (the publisher's page), ``example_url`` with ``example_args``
  (the address the template must render, as seen at ``example_seen_at``), ``licence``, ``checked``
  (date last looked at), ``verified`` (seen on the publisher's own page) and ``note``.

``optional``: a local source the table is read without when it is absent (its reader gets None).

``tables`` says how ``download`` mode reads each raw table of the catalog a publisher serves
(:class:`Reading`): the reader is called with the file of every source listing the table, in
registry order (None for an absent optional one), and the entry's keyword ``args``; without its
own ``reader`` a table is read by the format's reader of its one source. A raw table none of whose
sources is served by a publisher (every one ``local``) is read from the data folder in every mode.

``base_urls`` (``DataSource``) replaces the scheme and host of every address of a publisher:
:func:`mirrored`.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import yaml

REGISTRY = Path(__file__).with_name("publishers.yaml")
Access = Literal["download", "api", "local"]
Partition = Literal["none", "year", "week"]
#: The USPTO issues grants on Tuesdays (``date.weekday() == 1``).
TUESDAY = 1


@dataclass(frozen=True)
class Format:
    """A file format: the reader that parses it (``module:function``) and whether it is read
    straight out of its zip (``streamed``)."""

    name: str
    reader: str
    description: str
    streamed: bool = False

    def load_reader(self) -> Callable:
        """The reader function itself (imported on demand)."""
        return imported(self.reader)


def imported(reader: str) -> Callable:
    """The function ``module:function`` names (the module imported on demand)."""
    module, _, function = reader.partition(":")
    return getattr(importlib.import_module(module), function)


@dataclass(frozen=True)
class Reading:
    """How ``download`` mode reads one raw table: ``reader`` (``module:function``; None: the
    format's reader of the table's one source) with the files of its sources and ``args``."""

    table: str
    reader: str | None = None
    args: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Publisher:
    key: str
    name: str
    max_concurrent: int = 1


@dataclass(frozen=True)
class Fetch:
    """One file to fetch: its rendered address, the zip member, the cache-relative path."""

    source: str
    publisher: str
    url: str
    path: str
    member: str | None
    streamed: bool
    sha256: str | None


@dataclass(frozen=True)
class Source:
    key: str
    publisher: str
    access: Access
    format: str
    tables: tuple[str, ...]
    path: str
    documentation: str
    licence: str
    checked: dt.date
    verified: bool
    note: str = ""
    url: str | None = None
    member: str | None = None
    partition: Partition = "none"
    first_year: int | None = None
    sha256: str | None = None
    example_url: str | None = None
    example_args: Mapping[str, object] = field(default_factory=dict)
    example_seen_at: str | None = None
    api_key_env: str | None = None
    obtain: str | None = None
    optional: bool = False

    def partitions(self, years: range) -> list[dict[str, object]]:
        """The template arguments of every file of ``years``: one set without a partition, one a
        year (from ``first_year``), one a Tuesday of each year (``week``)."""
        if self.partition == "none":
            return [{}]
        kept = [y for y in years if self.first_year is None or y >= self.first_year]
        if self.partition == "year":
            return [{"year": y} for y in kept]
        return [{"year": d.year, "date": d} for y in kept for d in issue_tuesdays(y)]

    def render(self, template: str, args: Mapping[str, object]) -> str:
        """``template`` with ``{year}``, ``{yy}`` and ``{date:...}`` filled from ``args``."""
        date = args.get("date")
        year = args.get("year", date.year if isinstance(date, dt.date) else None)
        values = {**args, "year": year, "yy": f"{year % 100:02d}" if isinstance(year, int) else None}
        return template.format(**values)

    def fetches(self, years: range, base_url: str | None, formats: Mapping[str, Format]) -> list[Fetch]:
        """The files of ``years`` (mirrored at ``base_url`` when given); none for a local source."""
        if self.url is None:
            return []
        return [
            Fetch(
                self.key,
                self.publisher,
                mirrored(self.render(self.url, args), base_url),
                self.render(self.path, args),
                self.render(self.member, args) if self.member else None,
                formats[self.format].streamed,
                self.sha256,
            )
            for args in self.partitions(years)
        ]


@dataclass(frozen=True)
class Registry:
    formats: Mapping[str, Format]
    publishers: Mapping[str, Publisher]
    sources: Mapping[str, Source]
    tables: Mapping[str, Reading]

    def for_tables(self, tables: set[str]) -> list[Source]:
        """The sources that feed any of ``tables``, in registry order."""
        return [s for s in self.sources.values() if tables & set(s.tables)]

    def reader(self, table: str) -> Callable:
        """The function reading ``table`` in ``download`` mode from its sources' files, with the
        entry's ``args`` bound (see the module docstring)."""
        reading = self.tables[table]
        if reading.reader is not None:
            function = imported(reading.reader)
        else:
            (source,) = self.for_tables({table})
            function = self.formats[source.format].load_reader()
        return functools.partial(function, **reading.args)


def issue_tuesdays(year: int) -> list[dt.date]:
    """Every Tuesday of ``year``: the USPTO's weekly issue dates (52 or 53)."""
    first = dt.date(year, 1, 1)
    day = first + dt.timedelta(days=(TUESDAY - first.weekday()) % 7)
    return [day + dt.timedelta(weeks=w) for w in range(53) if (day + dt.timedelta(weeks=w)).year == year]


def mirrored(url: str, base_url: str | None) -> str:
    """``url`` with its scheme and host (and any path prefix of ``base_url``) replaced by
    ``base_url``'s, its own path and query kept: ``https://s3.amazonaws.com/a/b.zip`` at
    ``http://127.0.0.1:8000/mirror`` is ``http://127.0.0.1:8000/mirror/a/b.zip``."""
    if not base_url:
        return url
    base, own = urlsplit(base_url), urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, base.path.rstrip("/") + own.path, own.query, ""))


def _source(key: str, entry: dict) -> Source:
    known = set(Source.__dataclass_fields__) - {"key"}
    if unknown := sorted(set(entry) - known - {"tables"}):
        raise ValueError(f"{REGISTRY}: source {key!r} has unknown fields {unknown}")
    example_args = {
        name: dt.date.fromisoformat(str(value)) if name == "date" else value
        for name, value in (entry.get("example_args") or {}).items()
    }
    return Source(key=key, **{**entry, "tables": tuple(entry["tables"]), "example_args": example_args})


def _check(registry: Registry) -> None:
    """Every source names a known publisher and format; local sources say where to get them;
    every table read in ``download`` mode has sources, one unless it names its own reader."""
    for reading in registry.tables.values():
        sources = registry.for_tables({reading.table})
        if not sources or (reading.reader is None and len(sources) != 1):
            raise ValueError(
                f"{REGISTRY}: table {reading.table!r} has {len(sources)} sources; a table read by its "
                "format's reader has one, a table with its own reader at least one"
            )
    for source in registry.sources.values():
        if source.publisher not in registry.publishers:
            raise ValueError(f"{REGISTRY}: source {source.key!r} names unknown publisher {source.publisher!r}")
        if source.format not in registry.formats:
            raise ValueError(f"{REGISTRY}: source {source.key!r} has format {source.format!r} without a reader")
        if (source.access == "local") != (source.url is None) or (source.access == "local" and not source.obtain):
            raise ValueError(
                f"{REGISTRY}: source {source.key!r}: a local source has no url and says where to obtain it"
            )


@functools.cache
def load_registry(path: Path = REGISTRY) -> Registry:
    """The registry in ``path`` (default: the project's ``publishers.yaml``), checked."""
    data = yaml.safe_load(path.read_text("utf-8"))
    registry = Registry(
        formats={name: Format(name, **spec) for name, spec in data["formats"].items()},
        publishers={key: Publisher(key, **spec) for key, spec in data["publishers"].items()},
        sources={key: _source(key, entry) for key, entry in data["sources"].items()},
        tables={table: Reading(table, **(spec or {})) for table, spec in data["tables"].items()},
    )
    _check(registry)
    return registry


def plan(tables: set[str], years: range, base_urls: Mapping[str, str]) -> Iterator[tuple[Source, list[Fetch]]]:
    """Each source feeding ``tables`` with the files it has for ``years`` (none when local)."""
    registry = load_registry()
    for source in registry.for_tables(tables):
        yield source, source.fetches(years, base_urls.get(source.publisher), registry.formats)
