"""Where each canonical raw table comes from, in each data-source mode.

Three modes, one contract (``DESIGN.md``):

- ``embedded``: the seeded synthetic world and the shipped default tables;
- ``local``: the user's own files under ``REE_DATA_DIR``, in the layout of :data:`LOCAL_LAYOUT`;
- ``download``: tables with a free publisher are fetched from ``<base URL>/<path>`` into a cache
  and then read as in ``local``; tables without one are read from ``REE_DATA_DIR``.

Whatever the mode, the reader returns the canonical columns of ``data_contracts/<table>.yaml``.
"""

from __future__ import annotations

import shutil
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from ree_assets.errors import SourceUnavailableError
from ree_assets.sources.contracts import contract_columns, contract_path
from ree_assets.sources.embedded.dims import WorldSize
from ree_assets.sources.embedded.world import embedded_table

SourceMode = Literal["embedded", "local", "download"]


def read_canonical_csv(path: Path, table: str) -> pl.DataFrame:
    """A CSV already in the canonical layout, typed by the table's contract.

    Raises SourceUnavailableError naming the missing columns and the contract.
    """
    columns = contract_columns(table)
    header = pl.read_csv(path, n_rows=0).columns
    missing = [c for c in columns if c not in header]
    if missing:
        raise SourceUnavailableError(table, f"{path} with columns {missing}", "local",
                                     str(contract_path(table)))
    return pl.read_csv(path, schema_overrides=columns).select(list(columns))


@dataclass(frozen=True)
class TableSource:
    """How one canonical table is read from a file, and where a publisher serves that file."""

    table: str
    local_path: str
    read: Callable[[Path], pl.DataFrame]
    publisher: str | None = None


def _canonical(table: str, local_path: str, publisher: str | None = None) -> TableSource:
    return TableSource(table, local_path, lambda path: read_canonical_csv(path, table), publisher)


#: The documented layout of ``REE_DATA_DIR``: table -> its source file and reader.
LOCAL_LAYOUT: dict[str, TableSource] = {
    source.table: source for source in (
        _canonical("ree_prices", "ree/ree_prices.csv"),
        _canonical("ree_complementarity", "ree/ree_complementarity.csv"),
    )
}


@dataclass(frozen=True)
class SourceSettings:
    """Everything that decides where raw tables come from."""

    mode: SourceMode = "embedded"
    data_dir: Path = Path("data/sources")
    cache_dir: Path = Path("data/cache")
    size: WorldSize = "full"
    seed: int = 20100701
    base_urls: Mapping[str, str] = field(default_factory=dict)


def fetch(url: str, destination: Path) -> Path:
    """Download ``url`` to ``destination`` (atomically: a partial download never stays behind)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(destination.suffix + ".part")
    with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:
        shutil.copyfileobj(response, out)
    partial.replace(destination)
    return destination


def _local_file(source: TableSource, settings: SourceSettings) -> Path:
    """The file a table is read from in ``local``/``download`` mode, fetched first if needed."""
    if settings.mode == "download" and source.publisher is not None:
        base = settings.base_urls.get(source.publisher)
        cached = settings.cache_dir / source.local_path
        if not cached.is_file():
            if not base:
                raise SourceUnavailableError(
                    source.table, f"a base URL for publisher {source.publisher!r}", "download",
                    str(contract_path(source.table)))
            fetch(f"{base.rstrip('/')}/{source.local_path}", cached)
        return cached
    path = settings.data_dir / source.local_path
    if not path.is_file():
        raise SourceUnavailableError(source.table, f"file {path}", settings.mode,
                                     str(contract_path(source.table)))
    return path


def read_table(table: str, settings: SourceSettings) -> pl.DataFrame:
    """One canonical raw table in the selected mode."""
    if settings.mode == "embedded":
        return embedded_table(table, settings.seed, settings.size)
    if table not in LOCAL_LAYOUT:
        raise SourceUnavailableError(table, "a reader for this table", settings.mode,
                                     str(contract_path(table)))
    source = LOCAL_LAYOUT[table]
    return source.read(_local_file(source, settings))
