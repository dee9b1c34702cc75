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
from ree_assets.sources.embedded.world import embedded_table, embedded_tables

SourceMode = Literal["embedded", "local", "download"]


def read_canonical_csv(path: Path, table: str, mode: str = "local") -> pl.DataFrame:
    """A CSV already in the canonical layout, typed by the table's contract (list columns are
    written as ``a;b;c``).

    Raises SourceUnavailableError naming the missing columns and the contract.
    """
    columns = contract_columns(table)
    header = pl.read_csv(path, n_rows=0).columns
    missing = [c for c in columns if c not in header]
    if missing:
        raise SourceUnavailableError(table, f"{path} with columns {missing}", mode, str(contract_path(table)))
    lists = [c for c, dtype in columns.items() if dtype == pl.List(pl.String)]
    scalars = {c: dtype for c, dtype in columns.items() if c not in lists}
    frame = pl.read_csv(path, schema_overrides={**scalars, **{c: pl.String for c in lists}})
    return frame.with_columns(pl.col(c).str.split(";") for c in lists).select(list(columns))


@dataclass(frozen=True)
class SourceFile:
    """One file of the data folder: its path, the other formats its reader also parses (a file
    of the same name with one of these suffixes may stand in for it), and the publisher that
    serves it in ``download`` mode (None: the user provides it)."""

    path: str
    other_formats: tuple[str, ...] = ()
    publisher: str | None = None


@dataclass(frozen=True)
class TableSource:
    """How one canonical table is read: ``read(*paths)`` on its located ``files``."""

    table: str
    files: tuple[SourceFile, ...]
    read: Callable[..., pl.DataFrame]


def _canonical(table: str, folder: str = "ree") -> TableSource:
    """A small editable table kept as a canonical CSV, ``<folder>/<table>.csv``."""
    return TableSource(table, (SourceFile(f"{folder}/{table}.csv"),), lambda path: read_canonical_csv(path, table))


#: BEA benchmark tables: BEA's own xlsx (the 2012 sheet) or the same table as tidy CSV.
BEA_USE = SourceFile("bea/IOUse_Before_Redefinitions_PRO_2007_2012_Detail.xlsx", (".csv",), "bea")
BEA_MAKE = SourceFile("bea/IOMake_Before_Redefinitions_2007_2012_Detail.xlsx", (".csv",), "bea")
BEA_NAICS = SourceFile("concordances/2012_BEA_to_2012_NAICS.csv", publisher="bea")
NAICS_2012_2002 = SourceFile("concordances/naics2012_naics2002.csv", publisher="census")
NAICS_2002_SIC = SourceFile("concordances/2002_NAICS_to_1987_SIC.xls", publisher="census")
BEA_SUMMARY_USE = SourceFile("bea/Summary_Use_2012_PRO_AfterRedef.csv", publisher="bea")
BEA_SUMMARY_MAKE = SourceFile("bea/Summary_Make_2012_AfterRedef.csv", publisher="bea")
BEA_PUBLISHED_TR = SourceFile("bea/IxC_TR_2012_Summary.csv", publisher="bea")
WIOD_2013 = SourceFile("wiod/wiot_2009.RData", publisher="wiod")


def _read_bea_use(path: Path) -> pl.DataFrame:
    from ree_assets.sources import bea

    return bea.read_use(path, sheet="2012")


def _read_bea_make(path: Path) -> pl.DataFrame:
    from ree_assets.sources import bea

    return bea.read_make(path, sheet="2012")


def _read_published_total_requirements(path: Path) -> pl.DataFrame:
    from ree_assets.sources import bea

    return bea.read_published_total_requirements(path)


def _read_bea_codes(use: Path, make: Path) -> pl.DataFrame:
    from ree_assets.sources import bea

    return bea.read_bea_tables(use, make, sheet="2012")["bea_codes"]


def _read_bea_sic_concordance(use: Path, bea_naics: Path, naics_2012_2002: Path, naics_2002_sic: Path) -> pl.DataFrame:
    """The BEA -> NAICS 2012 -> NAICS 2002 -> SIC 1987 chain for every code of the Use table."""
    from ree_assets.sources import bea, concordances

    codes = bea.read_use(use, sheet="2012", validate=False)
    return concordances.build_bea_sic_concordance(
        concordances.read_bea_naics2012(bea_naics), concordances.read_naics2012_naics2002(naics_2012_2002),
        concordances.read_naics2002_sic1987(naics_2002_sic),
        bea_codes=sorted(set(codes["row_code"]) | set(codes["col_code"])))


def _read_trade(path: Path) -> pl.DataFrame:
    from ree_assets.sources import comtrade

    return comtrade.read_trade_file(path)


def _read_gdp(path: Path) -> pl.DataFrame:
    from ree_assets.sources import worldbank

    return worldbank.read_gdp(path)


def _read_nber_ces(path: Path) -> pl.DataFrame:
    from ree_assets.sources import nber_ces

    return nber_ces.read_nber_ces(path)


def _read_wiod(path: Path) -> pl.DataFrame:
    from ree_assets.sources import wiod

    return wiod.read_wiod_2013_rdata(path)


#: The documented layout of ``REE_DATA_DIR``: table -> its source files and reader.
LOCAL_LAYOUT: dict[str, TableSource] = {
    source.table: source for source in (
        *(_canonical(table) for table in (
            "ree_prices", "ree_imports", "ree_complementarity", "ree_application_composition", "ree_end_use",
            "ree_consumption", "application_industry_map", "ree_parameters")),
        TableSource("bea_use", (BEA_USE,), _read_bea_use),
        TableSource("bea_make", (BEA_MAKE,), _read_bea_make),
        TableSource("bea_codes", (BEA_USE, BEA_MAKE), _read_bea_codes),
        TableSource("bea_sic_concordance", (BEA_USE, BEA_NAICS, NAICS_2012_2002, NAICS_2002_SIC),
                    _read_bea_sic_concordance),
        TableSource("bea_summary_use", (BEA_SUMMARY_USE,), _read_bea_use),
        TableSource("bea_summary_make", (BEA_SUMMARY_MAKE,), _read_bea_make),
        TableSource("bea_published_total_requirements", (BEA_PUBLISHED_TR,), _read_published_total_requirements),
        TableSource("wiod", (WIOD_2013,), _read_wiod),
        _canonical("ge_innovation_panel", "ge"),
        TableSource("trade", (SourceFile("trade/comtrade.csv", (".txt", ".tsv", ".json")),), _read_trade),
        TableSource("gdp", (SourceFile("worldbank/gdp.csv"),), _read_gdp),
        TableSource("industry_stats_us", (SourceFile("nber_ces/sic5811.csv"),), _read_nber_ces),
        _canonical("industry_stats", "indstat"), _canonical("subsidies", "gta"),
        _canonical("hs_sic_concordance", "concordances"), _canonical("isic_sic_concordance", "concordances"),
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


def _find_local(folder: Path, file: SourceFile) -> Path | None:
    """``folder/<path>``, or the file of the same name in one of its other formats."""
    path = folder / file.path
    candidates = [path, *(path.with_suffix(suffix) for suffix in file.other_formats)]
    return next((p for p in candidates if p.is_file()), None)


def _locate(table: str, file: SourceFile, settings: SourceSettings) -> Path:
    """The file a table is read from in ``local``/``download`` mode, fetched first if needed."""
    if settings.mode == "download" and file.publisher is not None:
        cached = settings.cache_dir / file.path
        if not cached.is_file():
            base = settings.base_urls.get(file.publisher)
            if not base:
                raise SourceUnavailableError(table, f"a base URL for publisher {file.publisher!r}", "download",
                                             str(contract_path(table)))
            fetch(f"{base.rstrip('/')}/{file.path}", cached)
        return cached
    path = _find_local(settings.data_dir, file)
    if path is None:
        raise SourceUnavailableError(table, f"file {settings.data_dir / file.path}", settings.mode,
                                     str(contract_path(table)))
    return path


def read_table(table: str, settings: SourceSettings) -> pl.DataFrame:
    """One canonical raw table in the selected mode. ``synthetic_truth`` exists only in the
    embedded world; in the other modes it is empty."""
    if settings.mode == "embedded":
        return embedded_table(table, settings.seed, settings.size)
    if table == "synthetic_truth":
        return pl.DataFrame(schema=contract_columns(table))
    if table not in LOCAL_LAYOUT:
        raise SourceUnavailableError(table, "a reader for this table", settings.mode, str(contract_path(table)))
    source = LOCAL_LAYOUT[table]
    return source.read(*(_locate(table, file, settings) for file in source.files))


def raw_tables() -> tuple[str, ...]:
    """Every canonical raw table some mode can serve."""
    return tuple(dict.fromkeys([*embedded_tables(), *LOCAL_LAYOUT]))
