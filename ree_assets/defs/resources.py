"""Resources: DuckDB storage, the Polars <-> DuckDB IO manager, dbt, and the data source."""


import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from pydantic import Field

from ree_assets.reporting import frame_markdown
from ree_assets.sources.catalog import SourceSettings, read_table

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DUCKDB_PATH = "data/ree.duckdb"


def duckdb_path() -> str:
    """The project database: ``REE_DUCKDB_PATH`` or ``data/ree.duckdb``."""
    return os.environ.get("REE_DUCKDB_PATH", DEFAULT_DUCKDB_PATH)


def reports_dir(database: str | None = None) -> Path:
    """Where figures and rendered tables are written: ``reports/`` next to the database file."""
    return Path(database or duckdb_path()).resolve().parent / "reports"


class DuckDBStore(dg.ConfigurableResource):
    """The project's DuckDB file. Every connection is opened for one step and closed after it,
    so dbt and the contract checks (separate connections) can open the file in turn."""

    database: str = Field(default_factory=duckdb_path, description="Path of the DuckDB file.")

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(self.database, read_only=read_only)
        try:
            yield connection
        finally:
            connection.close()


    def read_table(self, schema: str, table: str, where: str | None = None) -> pl.DataFrame:
        """``<schema>.<table>`` (optionally filtered by a SQL predicate) as a Polars frame."""
        with self.connect(read_only=True) as con:
            query = f"SELECT * FROM {schema}.{table}" + (f" WHERE {where}" if where else "")
            return pl.from_arrow(con.execute(query).arrow())

    def has_table(self, schema: str, table: str) -> bool:
        """Whether ``<schema>.<table>`` has been materialised."""
        if not Path(self.database).exists():
            return False
        with self.connect(read_only=True) as con:
            return con.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? "
                               "AND table_name = ?", [schema, table]).fetchone()[0] > 0


def _schema_and_table(output: dg.OutputContext) -> tuple[str, str]:
    """The DuckDB schema (asset metadata ``schema``, default ``core``) and table (asset name)."""
    metadata = output.definition_metadata or {}
    return metadata.get("schema", "core"), output.asset_key.path[-1]


def _partition_filter(context: dg.OutputContext | dg.InputContext, output: dg.OutputContext) -> str | None:
    """SQL predicate selecting the rows of the context's yearly partitions (on the column the
    stored asset names in ``partition_expr``, default ``year``), or None when unpartitioned.
    Rows whose partition column is null never match."""
    if not context.has_asset_partitions:
        return None
    column = (output.definition_metadata or {}).get("partition_expr", "year")
    window = context.asset_partitions_time_window
    return f"coalesce({column} >= {window.start.year} AND {column} < {window.end.year}, false)"


class PolarsDuckDBIOManager(dg.ConfigurableIOManager):
    """Stores Polars frames as DuckDB tables ``<schema>.<asset name>``.

    A write replaces the table, or the rows of the written yearly partitions, inside one
    transaction: a failed write leaves the previous contents whole, and a backfill replaces only
    the years it covers. Rows outside the written partitions are refused, not silently dropped.
    """

    store: dg.ResourceDependency[DuckDBStore]

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        schema, table = _schema_and_table(context)
        predicate = _partition_filter(context, context)
        if predicate is not None:
            outside = obj.sql(f"SELECT COUNT(*) AS n FROM self WHERE NOT ({predicate})").item()
            if outside:
                raise ValueError(f"{schema}.{table}: {outside} rows fall outside the written "
                                 f"partitions ({predicate}); refusing to store them")
        arrow = obj.to_arrow()  # noqa: F841 - read by DuckDB's replacement scan below
        with self.store.connect() as con:
            con.execute("BEGIN TRANSACTION")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            if predicate is None:
                con.execute(f"CREATE OR REPLACE TABLE {schema}.{table} AS SELECT * FROM arrow")
            else:
                con.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{table} AS SELECT * FROM arrow LIMIT 0")
                con.execute(f"DELETE FROM {schema}.{table} WHERE {predicate}")
                con.execute(f"INSERT INTO {schema}.{table} BY NAME SELECT * FROM arrow")
            con.execute("COMMIT")
        context.add_output_metadata({
            "dagster/row_count": obj.height,
            "dagster/table_name": f"{schema}.{table}",
            "dagster/column_schema": dg.TableSchema(columns=[
                dg.TableColumn(name, str(dtype)) for name, dtype in obj.schema.items()]),
            "preview": frame_markdown(obj.head(10)),
        })

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        schema, table = _schema_and_table(context.upstream_output)
        return self.store.read_table(schema, table, _partition_filter(context, context.upstream_output))


class DataSource(dg.ConfigurableResource):
    """Where raw tables come from: ``embedded`` (default), ``local`` or ``download``.

    Settable from the environment (``REE_SOURCE``, ``REE_DATA_DIR``, ``REE_WORLD_SIZE``,
    ``REE_SEED``) or per run in the UI's launchpad.
    """

    mode: str = Field(default_factory=lambda: os.environ.get("REE_SOURCE", "embedded"),
                      description="embedded | local | download")
    data_dir: str = Field(default_factory=lambda: os.environ.get("REE_DATA_DIR", "data/sources"),
                          description="Folder of the user's files (local mode; see README).")
    cache_dir: str = Field(default_factory=lambda: os.environ.get("REE_CACHE_DIR", "data/cache"),
                           description="Where download mode keeps fetched files.")
    size: str = Field(default_factory=lambda: os.environ.get("REE_WORLD_SIZE", "full"),
                      description="Embedded world size: small (tests) or full.")
    seed: int = Field(default_factory=lambda: int(os.environ.get("REE_SEED", "20100701")),
                      description="Seed of the embedded world: same seed, same bytes.")
    base_urls: dict[str, str] = Field(default_factory=dict,
                                      description="Publisher -> base URL for download mode.")

    def settings(self) -> SourceSettings:
        if self.mode not in ("embedded", "local", "download"):
            raise ValueError(f"unknown data-source mode {self.mode!r}: use embedded, local or download")
        return SourceSettings(mode=self.mode, data_dir=Path(self.data_dir), cache_dir=Path(self.cache_dir),
                              size=self.size, seed=self.seed, base_urls=self.base_urls)

    def read(self, table: str) -> pl.DataFrame:
        """One canonical raw table."""
        return read_table(table, self.settings())
