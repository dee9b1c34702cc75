"""Where each canonical raw table comes from, in each data-source mode.

The readers are imported when a table is read, not when the code location loads.

Three modes, one contract (``DESIGN.md``):

- ``embedded``: the seeded synthetic world and the shipped default tables;
- ``local``: the user's own files under ``REE_DATA_DIR``, in the layout of :data:`LOCAL_LAYOUT`
  (the yearly patent tables: ``patents/`` read by :mod:`ree_assets.sources.patents`);
- ``download``: a file the registry of publishers lists (``SourceFile.registry``, see
  ``publishers.yaml``) is fetched from its publisher's address (its host replaced by
  ``base_urls[publisher]``, a mirror) into the cache, at the registry's path and in the
  publisher's format (a BEA summary table as BEA's ``.xlsx`` where ``local`` may hold a ``.csv``),
  and read by the same reader, which tells the formats apart by suffix; other files with a
  publisher are fetched from ``<base URL>/<path>``; tables without one are read from
  ``REE_DATA_DIR``.

Whatever the mode, the reader returns the canonical columns of ``data_contracts/<table>.yaml``.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ree_assets.errors import DataValidationError, SourceNote, SourceUnavailableError
from ree_assets.sources import download, fetching
from ree_assets.sources.contracts import contract_columns, contract_path
from ree_assets.sources.embedded import ree_defaults
from ree_assets.sources.embedded.world import embedded_table, embedded_tables
from ree_assets.sources.files import check_content, read_csv
from ree_assets.sources.publishers import load_registry
from ree_assets.sources.settings import SourceSettings


def read_canonical_csv(path: Path, table: str, mode: str = "local") -> pl.DataFrame:
    """A CSV already in the canonical layout, typed by the table's contract (list columns are
    written as ``a;b;c``), read strictly (:func:`ree_assets.sources.files.read_csv`).

    Raises SourceUnavailableError naming the missing columns and the contract, and
    SourceFormatError naming the file and line of a value that does not parse. Columns the
    contract does not list are not stored: a :class:`SourceNote` warning names them.
    """
    columns, contract = contract_columns(table), contract_path(table)
    lists = [c for c, dtype in columns.items() if dtype == pl.List(pl.String)]
    header = read_csv(path, table).columns
    missing = [c for c in columns if c not in header]
    if missing:
        raise SourceUnavailableError(table, f"{path} with columns {missing}", mode, str(contract))
    if extra := [c for c in header if c not in columns]:
        warnings.warn(
            SourceNote(
                f"{path}: columns {extra} are not in the contract {contract.name} of table {table!r} and are not stored"
            ),
            stacklevel=2,
        )
    scalars = {c: dtype for c, dtype in columns.items() if c not in lists}
    frame = read_csv(path, table, scalars, contract)
    return frame.with_columns(pl.col(c).str.split(";") for c in lists).select(list(columns))


@dataclass(frozen=True)
class SourceFile:
    """One file of the data folder: its path, the other formats its reader also parses (a file
    of the same name with one of these suffixes may stand in for it), the publisher that
    serves it in ``download`` mode (None: the user provides it), the header names its reader
    needs when it is a CSV, and the SHA-256 of the publisher's file (checked on download). An
    ``optional`` file that is absent is passed to the reader as None."""

    path: str
    other_formats: tuple[str, ...] = ()
    publisher: str | None = None
    optional: bool = False
    columns: tuple[str, ...] = ()
    sha256: str | None = None
    registry: str | None = None


@dataclass(frozen=True)
class TableSource:
    """How one canonical table is read: ``read(*paths)`` on its located ``files``."""

    table: str
    files: tuple[SourceFile, ...]
    read: Callable[..., pl.DataFrame]


def _canonical(table: str, folder: str = "ree", default: Callable[[], pl.DataFrame] | None = None) -> TableSource:
    """A small editable table kept as a canonical CSV, ``<folder>/<table>.csv``; with a
    ``default`` the file is optional and its absence reads as the default table."""

    def read(path: Path | None) -> pl.DataFrame:
        if path is not None:
            return read_canonical_csv(path, table)
        assert default is not None, "only an optional file (one with a default) can be absent"
        return default()

    file = SourceFile(f"{folder}/{table}.csv", optional=default is not None, columns=tuple(contract_columns(table)))
    return TableSource(table, (file,), read)


#: BEA benchmark tables: BEA's own xlsx (the 2012 sheet) or the same table as tidy CSV.
BEA_USE = SourceFile(
    "bea/IOUse_Before_Redefinitions_PRO_2007_2012_Detail.xlsx", (".csv",), "bea", registry="bea_use_detail"
)
BEA_MAKE = SourceFile(
    "bea/IOMake_Before_Redefinitions_2007_2012_Detail.xlsx", (".csv",), "bea", registry="bea_make_detail"
)
BEA_NAICS = SourceFile("concordances/2012_BEA_to_2012_NAICS.csv", publisher="bea", columns=("BEA2012", "NAICS2012_6d"))
NAICS_2012_2002 = SourceFile(
    "concordances/naics2012_naics2002.csv", publisher="census", columns=("NAICS2012_6d", "NAICS2002_6d")
)
NAICS_2002_SIC = SourceFile("concordances/2002_NAICS_to_1987_SIC.xls", publisher="census")
BEA_SUMMARY_USE = SourceFile("bea/Summary_Use_2012_PRO_AfterRedef.csv", (".xlsx",), "bea", registry="bea_use_summary")
BEA_SUMMARY_MAKE = SourceFile("bea/Summary_Make_2012_AfterRedef.csv", (".xlsx",), "bea", registry="bea_make_summary")
BEA_PUBLISHED_TR = SourceFile("bea/IxC_TR_2012_Summary.csv", publisher="bea")
#: Optional SIC output weights (sic4, weight_basis, value); without them links split equally.
SIC_WEIGHTS = SourceFile("concordances/sic_weights.csv", optional=True)
WIOD_2013 = SourceFile("wiod/wiot_2009.RData", publisher="wiod", registry="wiod_2013")


def _read_bea_use(path: Path, table: str = "bea_use") -> pl.DataFrame:
    from ree_assets.sources import bea

    return bea.read_use(path, sheet="2012", table=table)


def _read_bea_make(path: Path, table: str = "bea_make") -> pl.DataFrame:
    from ree_assets.sources import bea

    return bea.read_make(path, sheet="2012", table=table)


def _read_published_total_requirements(path: Path) -> pl.DataFrame:
    from ree_assets.sources import bea

    return bea.read_published_total_requirements(path)


def _read_bea_codes(use: Path, make: Path) -> pl.DataFrame:
    from ree_assets.sources import bea

    return bea.read_bea_tables(use, make, sheet="2012")["bea_codes"]


def _read_bea_sic_concordance(
    use: Path, bea_naics: Path, naics_2012_2002: Path, naics_2002_sic: Path, sic_weights: Path | None
) -> pl.DataFrame:
    """The BEA -> NAICS 2012 -> NAICS 2002 -> SIC 1987 chain for every code of the Use table, split
    by the SIC output weights where given."""
    from ree_assets.sources import bea, concordances

    codes = bea.read_use(use, sheet="2012", validate=False)
    return concordances.build_bea_sic_concordance(
        concordances.read_bea_naics2012(bea_naics),
        concordances.read_naics2012_naics2002(naics_2012_2002),
        concordances.read_naics2002_sic1987(naics_2002_sic),
        bea_codes=sorted(set(codes["row_code"]) | set(codes["col_code"])),
        sic_output=concordances.read_sic_weights(sic_weights) if sic_weights is not None else None,
    )


def _read_trade(path: Path) -> pl.DataFrame:
    from ree_assets.sources import comtrade

    return comtrade.read_trade_file(path)


def _read_gdp(path: Path) -> pl.DataFrame:
    """The long CSV, or the Indicators API's JSON answer (``.json``, as ``download`` caches it)."""
    from ree_assets.sources import worldbank

    return worldbank.read_gdp_api(path) if path.suffix == ".json" else worldbank.read_gdp(path)


def _read_nber_ces(path: Path) -> pl.DataFrame:
    from ree_assets.sources import nber_ces

    return nber_ces.read_nber_ces(path)


def _read_wiod(path: Path) -> pl.DataFrame:
    from ree_assets.sources import wiod

    return wiod.read_wiod_2013_rdata(path)


#: The documented layout of ``REE_DATA_DIR``: table -> its source files and reader.
LOCAL_LAYOUT: dict[str, TableSource] = {
    source.table: source
    for source in (
        *(
            _canonical(table)
            for table in (
                "ree_prices",
                "ree_imports",
                "ree_complementarity",
                "ree_application_composition",
                "ree_end_use",
                "ree_consumption",
                "application_industry_map",
                "ree_parameters",
            )
        ),
        TableSource("bea_use", (BEA_USE,), _read_bea_use),
        TableSource("bea_make", (BEA_MAKE,), _read_bea_make),
        TableSource("bea_codes", (BEA_USE, BEA_MAKE), _read_bea_codes),
        TableSource(
            "bea_sic_concordance",
            (BEA_USE, BEA_NAICS, NAICS_2012_2002, NAICS_2002_SIC, SIC_WEIGHTS),
            _read_bea_sic_concordance,
        ),
        TableSource("bea_summary_use", (BEA_SUMMARY_USE,), functools.partial(_read_bea_use, table="bea_summary_use")),
        TableSource(
            "bea_summary_make", (BEA_SUMMARY_MAKE,), functools.partial(_read_bea_make, table="bea_summary_make")
        ),
        TableSource("bea_published_total_requirements", (BEA_PUBLISHED_TR,), _read_published_total_requirements),
        TableSource("wiod", (WIOD_2013,), _read_wiod),
        _canonical("ge_innovation_panel", "ge"),
        _canonical("magnet_use_map", default=ree_defaults.magnet_use_map),
        TableSource("trade", (SourceFile("trade/comtrade.csv", (".txt", ".tsv", ".json")),), _read_trade),
        TableSource("gdp", (SourceFile("worldbank/gdp.csv", (".json",), registry="worldbank_gdp"),), _read_gdp),
        TableSource(
            "industry_stats_us", (SourceFile("nber_ces/sic5811.csv", registry="nber_ces_sic"),), _read_nber_ces
        ),
        _canonical("industry_stats", "indstat"),
        _canonical("subsidies", "gta"),
        _canonical("hs_sic_concordance", "concordances"),
        _canonical("isic_sic_concordance", "concordances"),
    )
}


def _find_local(folder: Path, file: SourceFile, table: str) -> Path | None:
    """``folder/<path>``, or the file of the same name in one of its other formats. Two of them
    at once (a ``.csv`` and a stray ``.xlsx``) is an error naming both: neither silently wins."""
    path = folder / file.path
    present = [p for p in (path, *(path.with_suffix(suffix) for suffix in file.other_formats)) if p.is_file()]
    if len(present) > 1:
        raise DataValidationError(
            table,
            "one file per source: a file and its other-format twin are not both present",
            file=present[0],
            contract=contract_path(table),
            detail=f"found {[str(p) for p in present]}; remove the one not to be read",
        )
    return present[0] if present else None


def _locate(table: str, file: SourceFile, settings: SourceSettings) -> Path | None:
    """The file a table is read from in ``local``/``download`` mode, fetched first if needed, and
    verified (:func:`ree_assets.sources.files.check_content`; see :mod:`ree_assets.sources.download`);
    None for an optional file that is absent."""
    if settings.mode == "download" and file.registry is not None:
        return fetching.fetched_file(file.registry, table, settings)
    if settings.mode == "download" and file.publisher is not None:
        base = settings.base_urls.get(file.publisher)
        cached = settings.cache_dir / file.path
        if not base and download.is_cached(cached, table, columns=file.columns, sha256=file.sha256):
            return cached  # fetched from the publisher's own address (``--fetch-only``, the registry)
        if not base:
            raise SourceUnavailableError(
                table,
                f"{cached} (fetch it with `python -m ree_assets.cli --fetch-only`) or a base URL for publisher "
                f"{file.publisher!r}",
                "download",
                str(contract_path(table)),
            )
        return download.cached_or_fetched(
            f"{base.rstrip('/')}/{file.path}",
            settings.cache_dir / file.path,
            table,
            columns=file.columns,
            sha256=file.sha256,
            deadline_s=settings.download_deadline_s,
            stall_s=settings.download_stall_s,
            retry=download.Retry(attempts=settings.download_attempts),
        )
    path = _find_local(settings.data_dir, file, table)
    if path is None and file.optional:
        return None
    if path is None:
        where = [s.obtain for s in load_registry().sources.values() if s.access == "local" and s.path == file.path]
        obtain = f" ({where[0]})" if where else ""
        raise SourceUnavailableError(
            table, f"file {settings.data_dir / file.path}{obtain}", settings.mode, str(contract_path(table))
        )
    check_content(path, table)  # the format's structure; the reader checks the columns it needs
    return path


def describe_origin(table: str, settings: SourceSettings) -> str:
    """Where a table is read from, in words: the embedded world's seed and size, or the files of
    the data folder (the one present where a file may come in another format: a BEA ``.csv``
    for the ``.xlsx``) or of the download cache that feed it."""
    if settings.mode == "embedded":
        return f"the embedded world (seed {settings.seed}, size {settings.size})"
    if table not in LOCAL_LAYOUT:
        return f"no file ({settings.mode} mode)"

    def path(file: SourceFile) -> Path:
        if settings.mode == "download" and file.registry:
            return settings.cache_dir / load_registry().sources[file.registry].path
        if settings.mode == "download" and file.publisher:
            return settings.cache_dir / file.path
        return _find_local(settings.data_dir, file, table) or settings.data_dir / file.path

    return ", ".join(str(path(file)) for file in LOCAL_LAYOUT[table].files)


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
    paths: list[Path | None] = []
    try:
        paths.extend(_locate(table, file, settings) for file in source.files)
        return source.read(*paths)
    except DataValidationError as error:  # add the file (when the table has one) and the contract
        raise error.located(
            file=paths[0] if len(paths) == len(source.files) == 1 else None, contract=contract_path(table)
        ) from error


def raw_tables() -> tuple[str, ...]:
    """Every canonical raw table some mode can serve."""
    return tuple(dict.fromkeys([*embedded_tables(), *LOCAL_LAYOUT]))
