"""Resources: DuckDB storage, the Polars <-> DuckDB IO manager, dbt, and the data source."""

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from pydantic import Field

from ree_assets.expectations import SUITES
from ree_assets.labels import data_caption
from ree_assets.reporting import frame_markdown
from ree_assets.sources.catalog import LOCAL_LAYOUT, SourceSettings, describe_origin, read_table
from ree_assets.sources.contracts import contract_path
from ree_assets.sources.download import DEFAULT_DEADLINE_S, DEFAULT_STALL_S
from ree_assets.storage import publish, wap
from ree_assets.storage.audit import Finding, contract_audit, suite_audit

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DUCKDB_PATH = "data/ree.duckdb"


def duckdb_path() -> str:
    """The project database: ``REE_DUCKDB_PATH`` or ``data/ree.duckdb``."""
    return os.environ.get("REE_DUCKDB_PATH", DEFAULT_DUCKDB_PATH)


def reports_dir(database: str | None = None) -> Path:
    """Where figures and rendered tables are written: ``reports/`` next to the database file."""
    return Path(database or duckdb_path()).resolve().parent / "reports"


class DuckDBStore(dg.ConfigurableResource):
    """The project's DuckDB file. Every connection is opened for one step under the file's
    cross-process lock and closed after it, so another process (a CLI run next to the UI's) waits
    for it instead of failing on DuckDB's own lock."""

    database: str = Field(default_factory=duckdb_path, description="Path of the DuckDB file.")

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with publish.connect(self.database, "a step's connection", read_only=read_only) as con:
            yield con

    def read_table(self, schema: str, table: str, where: str | None = None) -> pl.DataFrame:
        """``<schema>.<table>`` (optionally filtered by a SQL predicate) as a Polars frame."""
        return publish.read_table(self.database, schema, table, where)

    def has_table(self, schema: str, table: str) -> bool:
        """Whether ``<schema>.<table>`` has been materialised."""
        return publish.has_table(self.database, schema, table)


def _schema_and_table(output: dg.OutputContext) -> tuple[str, str]:
    """The DuckDB schema (asset metadata ``schema``, default ``core``) and table (asset name)."""
    metadata = output.definition_metadata or {}
    return metadata.get("schema", "core"), output.asset_key.path[-1]


def _partition_column(output: dg.OutputContext) -> str:
    return (output.definition_metadata or {}).get("partition_expr", "year")


def _partition_filter(context: dg.OutputContext | dg.InputContext, output: dg.OutputContext) -> str | None:
    """SQL predicate selecting the rows of the context's yearly partitions (on the column the
    stored asset names in ``partition_expr``, default ``year``), or None when unpartitioned.
    Rows whose partition column is null never match."""
    if not context.has_asset_partitions:
        return None
    column = _partition_column(output)
    window = context.asset_partitions_time_window
    return f"coalesce({column} >= {window.start.year} AND {column} < {window.end.year}, false)"


def _years_without_rows(context: dg.OutputContext, frame: pl.DataFrame) -> list[int]:
    """The written yearly partitions that hold no row: an empty year is bad data, never a
    silent wipe of that year's stored rows."""
    window = context.asset_partitions_time_window
    present = set(frame.select(pl.col(_partition_column(context)).cast(pl.Int64, strict=False)).to_series().to_list())
    return [year for year in range(window.start.year, window.end.year) if year not in present]


class PolarsDuckDBIOManager(dg.ConfigurableIOManager):
    """Stores Polars frames as DuckDB tables ``<schema>.<asset name>`` by write-audit-publish.

    A new version is written to the staging schema ``wap_<schema>``, audited there against the
    table's ODCS contract and Great Expectations suite (``ree_assets.expectations``), and published
    in one transaction only if every rule passes. Otherwise the step fails, naming the rules and
    the offending values, and the published table keeps its rows. A write of yearly partitions
    replaces only those years; rows outside them, or an empty year, are refused.
    """

    store: dg.ResourceDependency[DuckDBStore]

    def audits(self, table: str, years: range | None = None) -> list[publish.Audit]:
        """The audits every version of ``table`` goes through: its contract and its Great
        Expectations suite, where it has them (every asset of the project has a contract, a
        test asserts it; a table you add without one is stored unaudited, and says so);
        ``years``: the yearly partitions written."""
        audits: list[publish.Audit] = []
        if contract_path(table).is_file():
            audits.append(("odcs_contract", contract_audit(contract_path(table))))
        if table in SUITES:
            audits.append(("great_expectations", suite_audit(table, SUITES[table], years)))
        return audits

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        schema, table = _schema_and_table(context)
        predicate = _partition_filter(context, context)
        source = (context.output_metadata or {}).get("source_files")
        keys = context.asset_partition_keys if predicate is not None else []
        target = wap.Target(schema, table, predicate, partitions=f"{keys[0]}...{keys[-1]}" if keys else "")
        window = context.asset_partitions_time_window if predicate is not None else None
        audits = self.audits(table, range(window.start.year, window.end.year) if window else None)
        if predicate is not None:
            outside = obj.sql(f"SELECT COUNT(*) AS n FROM self WHERE NOT ({predicate})").item()
            if outside:
                raise ValueError(
                    f"{schema}.{table}: {outside} rows fall outside the written "
                    f"partitions ({predicate}); refusing to store them"
                )
            empty = _years_without_rows(context, obj)
            audits.append(
                (
                    "odcs_contract",
                    lambda *_: (
                        [
                            Finding(
                                "odcs_contract",
                                "every written partition has rows",
                                _partition_column(context),
                                f"no rows for year(s) {empty}",
                            )
                        ]
                        if empty
                        else []
                    ),
                )
            )
        publish.write_audit_publish(
            self.store.database,
            target,
            obj,
            audits,
            run_id=context.run_id,
            asset=table,
            source=str(getattr(source, "value", source or "")),
        )
        context.add_output_metadata(
            {
                "dagster/row_count": obj.height,
                "dagster/table_name": target.published,
                "dagster/column_schema": dg.TableSchema(
                    columns=[dg.TableColumn(name, str(dtype)) for name, dtype in obj.schema.items()]
                ),
                "audit": ("passed: " + ", ".join(dict.fromkeys(check for check, _ in audits)))
                if audits
                else "none: no contract in data_contracts/ (stored unaudited)",
                "preview": frame_markdown(obj.head(10)),
            }
        )

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        schema, table = _schema_and_table(context.upstream_output)
        return self.store.read_table(schema, table, _partition_filter(context, context.upstream_output))


class DataSource(dg.ConfigurableResource):
    """Where raw tables come from: ``embedded`` (default), ``local`` or ``download``.

    Settable from the environment (``REE_SOURCE``, ``REE_DATA_DIR``, ``REE_WORLD_SIZE``,
    ``REE_SEED``, ``REE_DOWNLOAD_DEADLINE_S``, ``REE_DOWNLOAD_STALL_S``) or per run in the UI's
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
        )

    def origin(self, table: str) -> str:
        """Where ``table`` is read from, in words (files, or the embedded world's seed)."""
        return describe_origin(table, self.settings())

    def read(self, table: str) -> pl.DataFrame:
        """One canonical raw table."""
        return read_table(table, self.settings())

    def caption(self, tables: Sequence[str]) -> str:
        """The caption naming the data of a figure built from the raw ``tables``: the synthetic
        embedded world, or real data and the documented files of those tables (a table without a
        file layout, such as the patent pulls, by its name)."""
        sources = [
            *(file.path for table in tables if table in LOCAL_LAYOUT for file in LOCAL_LAYOUT[table].files),
            *(table for table in tables if table not in LOCAL_LAYOUT and table != "synthetic_truth"),
        ]
        return data_caption(self.mode, seed=self.seed, size=self.size, sources=list(dict.fromkeys(sources)))
