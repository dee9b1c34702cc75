"""Where each canonical raw table comes from, in each data-source mode.

The readers are imported when a table is read, not when the code location loads.

Three modes, one contract (``DESIGN.md``):

- ``embedded``: the seeded synthetic world and the shipped default tables;
- ``local``: the user's own files under ``REE_DATA_DIR``, in the layout of :data:`LOCAL_LAYOUT`
  (the yearly patent tables: ``patents/`` read by :mod:`ree_assets.sources.patents`);
- ``download``: a table the registry of publishers reads (its ``tables``, see ``publishers.yaml``)
  is read by the registry's reader from the files of its sources, each fetched from its
  publisher's address (its host replaced by ``base_urls[publisher]``, a mirror) into the cache,
  in the publisher's format (a BEA summary table as BEA's ``.xlsx`` where ``local`` may hold a
  ``.csv``); the tables no publisher serves (every source ``local`` in the registry, which says
  where to get them) are read from ``REE_DATA_DIR`` as in ``local`` mode.

The readers of the tables both modes read in the same formats are the registry's
(:func:`_registered`), so one function reads a table whatever the mode.

Whatever the mode, the reader returns the canonical columns of ``data_contracts/<table>.yaml``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ree_assets.errors import DataValidationError, SourceNote, SourceUnavailableError
from ree_assets.sources import fetching
from ree_assets.sources.contracts import contract_columns, contract_path
from ree_assets.sources.download import Progress
from ree_assets.sources.embedded import ree_defaults
from ree_assets.sources.embedded.world import embedded_table, embedded_tables
from ree_assets.sources.files import check_content, read_csv
from ree_assets.sources.publishers import load_registry
from ree_assets.sources.settings import SourceSettings

#: A download's progress callback for a file's label (None: no report).
ProgressFor = Callable[[str], Progress | None]


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
    """One file of the data folder: its path and the other formats its reader also parses (a file
    of the same name with one of these suffixes may stand in for it). An ``optional`` file that is
    absent is passed to the reader as None."""

    path: str
    other_formats: tuple[str, ...] = ()
    optional: bool = False


@dataclass(frozen=True)
class TableSource:
    """How one canonical table is read in ``local`` mode: ``read(*paths)`` on its located ``files``."""

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

    return TableSource(table, (SourceFile(f"{folder}/{table}.csv", optional=default is not None),), read)


def _registered(table: str, *files: SourceFile) -> TableSource:
    """A table read from ``files`` by the reader the registry names for it (the reader of
    ``download`` mode, which also parses the local formats: a BEA table as tidy CSV)."""
    return TableSource(table, files, lambda *paths: load_registry().reader(table)(*paths))


#: BEA benchmark tables: BEA's own xlsx (the 2012 sheet) or the same table as tidy CSV.
BEA_USE = SourceFile("bea/IOUse_Before_Redefinitions_PRO_2007_2012_Detail.xlsx", (".csv",))
BEA_MAKE = SourceFile("bea/IOMake_Before_Redefinitions_2007_2012_Detail.xlsx", (".csv",))
BEA_NAICS = SourceFile("concordances/2012_BEA_to_2012_NAICS.csv")
NAICS_2012_2002 = SourceFile("concordances/naics2012_naics2002.csv")
NAICS_2002_SIC = SourceFile("concordances/2002_NAICS_to_1987_SIC.xls")
BEA_SUMMARY_USE = SourceFile("bea/Summary_Use_2012_PRO_AfterRedef.csv", (".xlsx",))
BEA_SUMMARY_MAKE = SourceFile("bea/Summary_Make_2012_AfterRedef.csv", (".xlsx",))
BEA_PUBLISHED_TR = SourceFile("bea/IxC_TR_2012_Summary.csv", (".xlsx",))
#: Optional SIC output weights (sic4, weight_basis, value); without them links split equally.
SIC_WEIGHTS = SourceFile("concordances/sic_weights.csv", optional=True)
WIOD_2013 = SourceFile("wiod/wiot_2009.RData")


def _read_bea_sic_concordance(
    use: Path, bea_naics: Path, naics_2012_2002: Path, naics_2002_sic: Path, sic_weights: Path | None
) -> pl.DataFrame:
    from ree_assets.sources import concordances

    return concordances.read_chained_bea_sic_concordance(
        use, bea_naics, naics_2012_2002, naics_2002_sic, sic_weights, sheet="2012"
    )


def _read_trade(path: Path) -> pl.DataFrame:
    from ree_assets.sources import comtrade

    return comtrade.read_trade_file(path)


def _read_gdp(path: Path) -> pl.DataFrame:
    """The long CSV, or the Indicators API's JSON answer (``.json``)."""
    from ree_assets.sources import worldbank

    return worldbank.read_gdp_api(path) if path.suffix == ".json" else worldbank.read_gdp(path)


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
        _registered("bea_use", BEA_USE),
        _registered("bea_make", BEA_MAKE),
        _registered("bea_codes", BEA_USE, BEA_MAKE),
        TableSource(
            "bea_sic_concordance",
            (BEA_USE, BEA_NAICS, NAICS_2012_2002, NAICS_2002_SIC, SIC_WEIGHTS),
            _read_bea_sic_concordance,
        ),
        _registered("bea_summary_use", BEA_SUMMARY_USE),
        _registered("bea_summary_make", BEA_SUMMARY_MAKE),
        _registered("bea_published_total_requirements", BEA_PUBLISHED_TR),
        _registered("wiod", WIOD_2013),
        _canonical("ge_innovation_panel", "ge"),
        _canonical("magnet_use_map", default=ree_defaults.magnet_use_map),
        TableSource("trade", (SourceFile("trade/comtrade.csv", (".txt", ".tsv", ".json")),), _read_trade),
        TableSource("gdp", (SourceFile("worldbank/gdp.csv", (".json",)),), _read_gdp),
        _registered("industry_stats_us", SourceFile("nber_ces/sic5811.csv")),
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
    """The data folder's file a table is read from, checked
    (:func:`ree_assets.sources.files.check_content`); None for an optional file that is absent."""
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


def published(table: str, settings: SourceSettings) -> bool:
    """Whether ``table`` is read from its publishers' files (``download`` mode and a reading in
    the registry's ``tables``), not from the data folder."""
    return settings.mode == "download" and table in load_registry().tables


def _read_published(table: str, settings: SourceSettings, progress: ProgressFor) -> pl.DataFrame:
    """``table`` read by the registry's reader from its sources' files, fetched where needed; a
    reader's error names the file, the URL it was downloaded from and the contract."""
    outcomes = fetching.fetched_files(table, settings, progress)
    try:
        return load_registry().reader(table)(*(outcome.file for outcome in outcomes))
    except DataValidationError as error:
        only = outcomes[0].file if len(outcomes) == 1 else None
        located = error.located(file=only, contract=contract_path(table))
        raise fetching.naming_url(located, outcomes) from error


def describe_origin(table: str, settings: SourceSettings) -> str:
    """Where a table is read from, in words: the embedded world's seed and size, or the files of
    the data folder (the one present where a file may come in another format: a BEA ``.csv``
    for the ``.xlsx``) or of the download cache that feed it."""
    if settings.mode == "embedded":
        return f"the embedded world (seed {settings.seed}, size {settings.size})"
    if table not in LOCAL_LAYOUT:
        return f"no file ({settings.mode} mode)"

    if published(table, settings):
        sources = load_registry().for_tables({table})
        return ", ".join(
            str((settings.data_dir if s.access == "local" else settings.cache_dir) / s.path) for s in sources
        )
    files = LOCAL_LAYOUT[table].files
    return ", ".join(str(_find_local(settings.data_dir, f, table) or settings.data_dir / f.path) for f in files)


def read_table(table: str, settings: SourceSettings, progress: ProgressFor = lambda label: None) -> pl.DataFrame:
    """One canonical raw table in the selected mode (``progress``: a download's progress callback
    per file). ``synthetic_truth`` exists only in the embedded world; in the other modes it is empty."""
    if settings.mode == "embedded":
        return embedded_table(table, settings.seed, settings.size)
    if table == "synthetic_truth":
        return pl.DataFrame(schema=contract_columns(table))
    if published(table, settings):
        return _read_published(table, settings, progress)
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
