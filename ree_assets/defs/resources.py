"""Resources: DuckDB storage on Dagster's own integration (``dagster_duckdb.DuckDBResource``, the
``dagster_duckdb_polars`` IO manager) with write-audit-publish and the file lock
(``ree_assets.storage.io_manager`` says what stays the project's and why), dbt, and the data source."""

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import polars as pl
from dagster_duckdb import DuckDBResource
from dagster_duckdb_polars import DuckDBPolarsIOManager
from pydantic import Field

from ree_assets.labels import data_caption
from ree_assets.sources.catalog import LOCAL_LAYOUT, SourceSettings, describe_origin, read_table
from ree_assets.sources.download import (
    DEFAULT_CONCURRENCY,
    DEFAULT_DEADLINE_S,
    DEFAULT_STALL_S,
    Retry,
    log_progress,
)
from ree_assets.storage import lock, wap
from ree_assets.storage.io_manager import WapDbIOManager, WapDuckDBClient, WapPolarsTypeHandler

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DUCKDB_PATH = "data/ree.duckdb"


def duckdb_path() -> str:
    """The project database: ``REE_DUCKDB_PATH`` or ``data/ree.duckdb``."""
    return os.environ.get("REE_DUCKDB_PATH", DEFAULT_DUCKDB_PATH)


def reports_dir(database: str | None = None) -> Path:
    """Where figures and rendered tables are written: ``reports/`` next to the database file."""
    return Path(database or duckdb_path()).resolve().parent / "reports"


class DuckDBStore(DuckDBResource):
    """Dagster's DuckDB resource on the project's file, each connection opened for one step under
    the file's cross-process lock, so another process (a CLI run next to the UI's) waits for it
    instead of failing on DuckDB's own lock.

    ``get_connection`` is the library's, with the lock, a read-only mode, and a close that happens
    even when the step fails (the library closes only after a clean exit, and a connection a
    traceback keeps alive would hold the file after the lock is released)."""

    database: str = Field(default_factory=duckdb_path, description="Path of the DuckDB file.")

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with lock.connect(self.database, "a step's connection", read_only, self.connection_config) as con:
            yield con

    @contextmanager
    def attached(self, activity: str, config: Mapping[str, Any]) -> Iterator[duckdb.DuckDBPyConnection]:
        """An in-memory DuckDB (settings ``config``: a memory limit, a folder to spill into) where
        the project's file is attached read-only as ``store`` (``store.<schema>.<table>``), under
        the file's lock (``lock.attached``), for ``activity``: a step joining tables too large to
        load into Python reads them there."""
        with lock.attached(self.database, activity, "store", config) as con:
            yield con

    def read_table(self, schema: str, table: str, where: str | None = None) -> pl.DataFrame:
        """``<schema>.<table>`` (optionally filtered by a SQL predicate) as a Polars frame."""
        return wap.read_table(self.database, schema, table, where)

    def has_table(self, schema: str, table: str) -> bool:
        """Whether ``<schema>.<table>`` has been materialised."""
        return wap.has_table(self.database, schema, table)


class PolarsDuckDBIOManager(DuckDBPolarsIOManager):
    """Dagster's Polars <-> DuckDB IO manager storing every output by write-audit-publish: a new
    version of ``<schema>.<asset name>`` (schema from the asset's ``schema`` metadata, default
    ``core``) is staged in ``wap_<schema>``, audited there against its ODCS contract and Great
    Expectations suite (``ree_assets.expectations``), and published in one transaction only if
    every rule passes, together with the other outputs of its step. Otherwise the step fails,
    naming the rules and the offending values, and the published tables keep their rows. A write
    of yearly partitions (``partition_expr``: the integer year column) replaces only those years;
    rows outside them, or an empty year, are refused."""

    database: str = Field(default_factory=duckdb_path, description="Path of the DuckDB file.")
    schema_: str | None = Field(default="core", alias="schema", description="Schema of assets naming none.")

    @staticmethod
    def type_handlers() -> list[WapPolarsTypeHandler]:
        return [WapPolarsTypeHandler()]

    def create_io_manager(self, context: dg.InitResourceContext) -> WapDbIOManager:
        return WapDbIOManager(
            db_client=WapDuckDBClient(),
            database=self.database,
            schema=self.schema_,
            type_handlers=self.type_handlers(),
            default_load_type=self.default_load_type(),
            io_manager_name=type(self).__name__,
        )

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Any]:
        """The IO manager; when the run (or, with a multiprocess executor, the step) ends, it
        withdraws what a failed step left staged."""
        with super().yield_for_execution(context) as io_manager:
            try:
                yield io_manager
            finally:
                io_manager.withdraw("the run ended before the step yielded all its outputs", context.log)


class DataSource(dg.ConfigurableResource):
    """Where raw tables come from: ``embedded`` (default), ``local`` or ``download``.

    Settable from the environment (``REE_SOURCE``, ``REE_DATA_DIR``, ``REE_WORLD_SIZE``,
    ``REE_SEED``, ``REE_DOWNLOAD_DEADLINE_S``, ``REE_DOWNLOAD_STALL_S``, ``REE_DOWNLOAD_CONCURRENCY``,
    ``REE_DOWNLOAD_ATTEMPTS``) or per run in the UI's
    launchpad.
    """

    mode: str = Field(
        default_factory=lambda: os.environ.get("REE_SOURCE", "embedded"), description="embedded | local | download"
    )
    data_dir: str = Field(
        default_factory=lambda: os.environ.get("REE_DATA_DIR", "data/sources"),
        description="Folder of the user's files (local mode; layout in docs/sources.md).",
    )
    cache_dir: str = Field(
        default_factory=lambda: os.environ.get("REE_CACHE_DIR", "data/cache"),
        description="Where download mode keeps fetched files.",
    )
    size: str = Field(
        default_factory=lambda: os.environ.get("REE_WORLD_SIZE", "full"),
        description="Embedded world size: small (tests) or full.",
    )
    seed: int = Field(
        default_factory=lambda: int(os.environ.get("REE_SEED", "20100701")),
        description="Seed of the embedded world: same seed, same bytes.",
    )
    base_urls: dict[str, str] = Field(default_factory=dict, description="Publisher -> base URL for download mode.")
    download_deadline_s: float = Field(
        default_factory=lambda: float(os.environ.get("REE_DOWNLOAD_DEADLINE_S", DEFAULT_DEADLINE_S)),
        description="Download mode: seconds allowed for one whole file (raise it for multi-gigabyte files).",
    )
    download_stall_s: float = Field(
        default_factory=lambda: float(os.environ.get("REE_DOWNLOAD_STALL_S", DEFAULT_STALL_S)),
        description="Download mode: a download fails when no byte arrives for this many seconds.",
    )

    download_concurrency: int = Field(
        default_factory=lambda: int(os.environ.get("REE_DOWNLOAD_CONCURRENCY", DEFAULT_CONCURRENCY)),
        description="Download mode: at most this many requests at once to one publisher.",
    )
    download_attempts: int = Field(
        default_factory=lambda: int(os.environ.get("REE_DOWNLOAD_ATTEMPTS", Retry().attempts)),
        description="Download mode: attempts per file on HTTP 429/5xx or a dropped connection (continued with Range).",
    )

    def settings(self) -> SourceSettings:
        if self.mode not in ("embedded", "local", "download"):
            raise ValueError(f"unknown data-source mode {self.mode!r}: use embedded, local or download")
        return SourceSettings(
            mode=self.mode,
            data_dir=Path(self.data_dir),
            cache_dir=Path(self.cache_dir),
            size=self.size,
            seed=self.seed,
            base_urls=self.base_urls,
            download_deadline_s=self.download_deadline_s,
            download_stall_s=self.download_stall_s,
            download_concurrency=self.download_concurrency,
            download_attempts=self.download_attempts,
        )

    def origin(self, table: str) -> str:
        """Where ``table`` is read from, in words (files, or the embedded world's seed)."""
        return describe_origin(table, self.settings())

    def read(self, table: str, log: Callable[[str], None] | None = None) -> pl.DataFrame:
        """One canonical raw table; a file downloaded for it reports its progress (bytes, rate) to
        ``log`` at intervals (:func:`~ree_assets.sources.download.log_progress`)."""
        if log is None:
            return read_table(table, self.settings())
        return read_table(table, self.settings(), lambda label: log_progress(log, label))

    def caption(self, tables: Sequence[str]) -> str:
        """The caption naming the data of a figure built from the raw ``tables``: the synthetic
        embedded world, or real data and the documented files of those tables (a table without a
        file layout, such as the patent pulls, by its name)."""
        sources = [
            *(file.path for table in tables if table in LOCAL_LAYOUT for file in LOCAL_LAYOUT[table].files),
            *(table for table in tables if table not in LOCAL_LAYOUT and table != "synthetic_truth"),
        ]
        return data_caption(self.mode, seed=self.seed, size=self.size, sources=list(dict.fromkeys(sources)))
