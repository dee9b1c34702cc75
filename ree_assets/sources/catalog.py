"""Where each canonical raw table comes from, in each data-source mode.

The readers are imported when a table is read, not when the code location loads.

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
    """A CSV already in the canonical layout, typed by the table's contract (list columns are
    written as ``a;b;c``).

    Raises SourceUnavailableError naming the missing columns and the contract.
    """
    columns = contract_columns(table)
    header = pl.read_csv(path, n_rows=0).columns
    missing = [c for c in columns if c not in header]
    if missing:
        raise SourceUnavailableError(table, f"{path} with columns {missing}", "local",
                                     str(contract_path(table)))
    lists = [c for c, dtype in columns.items() if dtype == pl.List(pl.String)]
    scalars = {c: dtype for c, dtype in columns.items() if c not in lists}
    frame = pl.read_csv(path, schema_overrides={**scalars, **{c: pl.String for c in lists}})
    return frame.with_columns(pl.col(c).str.split(";") for c in lists).select(list(columns))


@dataclass(frozen=True)
class TableSource:
    """How one canonical table is read from files (``read(*paths)``, paths relative to the data
    folder in ``files``), and which publisher serves those files in ``download`` mode."""

    table: str
    files: tuple[str, ...]
    read: Callable[..., pl.DataFrame]
    publisher: str | None = None


def _canonical(table: str, folder: str = "ree") -> TableSource:
    """A small editable table kept as a canonical CSV, ``<folder>/<table>.csv``."""
    return TableSource(table, (f"{folder}/{table}.csv",), lambda path: read_canonical_csv(path, table))


#: BEA benchmark tables: BEA's own xlsx (the 2012 sheet) or the same table as tidy CSV.
BEA_USE = "bea/IOUse_Before_Redefinitions_PRO_2007_2012_Detail.xlsx"
BEA_MAKE = "bea/IOMake_Before_Redefinitions_2007_2012_Detail.xlsx"
CONCORDANCE_FILES = ("concordances/2012_BEA_to_2012_NAICS.csv", "concordances/naics2012_naics2002.csv",
                     "concordances/2002_NAICS_to_1987_SIC.xls")

def _read_bea_use(path: Path) -> pl.DataFrame:
    from ree_assets.sources import bea

    return bea.read_use(path, sheet="2012")


def _read_bea_make(path: Path) -> pl.DataFrame:
    from ree_assets.sources import bea

    return bea.read_make(path, sheet="2012")


def _read_bea_codes(use: Path, make: Path) -> pl.DataFrame:
    from ree_assets.sources import bea

    return bea.read_bea_tables(use, make, sheet="2012")["bea_codes"]


def _read_bea_sic_concordance(use: Path, *concordance_files: Path) -> pl.DataFrame:
    """The BEA -> SIC chain for every commodity and industry code of the Use table."""
    from ree_assets.sources import bea, concordances

    codes = bea.read_use(use, sheet="2012", validate=False)
    return concordances.read_bea_sic_concordance(
        concordance_files[0].parent, bea_codes=sorted(set(codes["row_code"]) | set(codes["col_code"])))


def _read_wiod(path: Path) -> pl.DataFrame:
    from ree_assets.sources import wiod

    return wiod.read_wiod_2013_rdata(path)


#: The documented layout of ``REE_DATA_DIR``: table -> its source files and reader.
LOCAL_LAYOUT: dict[str, TableSource] = {
    source.table: source for source in (
        *(_canonical(table) for table in (
            "ree_prices", "ree_imports", "ree_complementarity", "ree_application_composition", "ree_end_use",
            "ree_consumption", "application_industry_map", "ree_parameters")),
        TableSource("bea_use", (BEA_USE,), _read_bea_use, "bea"),
        TableSource("bea_make", (BEA_MAKE,), _read_bea_make, "bea"),
        TableSource("bea_codes", (BEA_USE, BEA_MAKE), _read_bea_codes, "bea"),
        TableSource("bea_sic_concordance", (BEA_USE, *CONCORDANCE_FILES), _read_bea_sic_concordance, "census"),
        TableSource("wiod", ("wiod/wiot_2009.RData",), _read_wiod, "wiod"),
        _canonical("ge_innovation_panel", "ge"),
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


#: Formats a table file may come in; a file of the layout may be replaced by its namesake in another.
SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".xls", ".RData", ".npz")


def _find_local(folder: Path, relative: str) -> Path | None:
    """``folder/relative``, or the file with the same name in another supported format."""
    path = folder / relative
    candidates = [path, *(path.with_suffix(suffix) for suffix in SUPPORTED_SUFFIXES)]
    return next((p for p in candidates if p.is_file()), None)


def _locate(source: TableSource, relative: str, settings: SourceSettings) -> Path:
    """The file a table is read from in ``local``/``download`` mode, fetched first if needed."""
    if settings.mode == "download" and source.publisher is not None:
        cached = settings.cache_dir / relative
        if not cached.is_file():
            base = settings.base_urls.get(source.publisher)
            if not base:
                raise SourceUnavailableError(source.table, f"a base URL for publisher {source.publisher!r}",
                                             "download", str(contract_path(source.table)))
            fetch(f"{base.rstrip('/')}/{relative}", cached)
        return cached
    path = _find_local(settings.data_dir, relative)
    if path is None:
        raise SourceUnavailableError(source.table, f"file {settings.data_dir / relative}", settings.mode,
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
    return source.read(*(_locate(source, relative, settings) for relative in source.files))
