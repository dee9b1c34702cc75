"""Group ``sources``: one asset per canonical raw table, fed by the selected data-source mode."""

from collections.abc import Callable, Iterable, Sequence
from functools import cached_property

import dagster as dg
import polars as pl

from ree_assets.defs.partitions import DUCKDB_POOL
from ree_assets.defs.resources import DataSource
from ree_assets.errors import collected_notes
from ree_assets.expectations import SUITES
from ree_assets.sources.catalog import raw_tables
from ree_assets.sources.contracts import contract_path, contract_purpose


def _read_output(
    context: dg.AssetExecutionContext, data_source: DataSource, table: str, output_name: str = "result"
) -> dg.Output[pl.DataFrame]:
    """One canonical raw table read from the data source, with its source files and the notes
    of its reader (logged as warnings too)."""
    with collected_notes() as notes:
        frame = data_source.read(table, log=context.log.info)
    for note in notes:
        context.log.warning(str(note))
    context.log.info(f"{table}: {frame.height} rows from the {data_source.mode!r} source")
    return dg.Output(
        frame,
        output_name=output_name,
        metadata={
            "source_mode": data_source.mode,
            "source_files": data_source.origin(table),
            "source_notes": dg.MetadataValue.md("\n".join(f"- {n}" for n in notes)),
        },
    )


def raw_table_asset(table: str) -> dg.AssetsDefinition:
    """An asset that reads one canonical raw table from the data source into ``raw.<table>``;
    its description is the purpose its contract states. What the reader notes without failing
    (:class:`~ree_assets.errors.SourceNote`: columns not stored, a cached file refetched) is logged
    as a warning and listed in the output's metadata ``source_notes``."""

    @dg.asset(
        name=table,
        group_name="sources",
        description=contract_purpose(table),
        metadata={"schema": "raw", "contract": contract_path(table).name},
        kinds={"polars", "duckdb"},
        pool=DUCKDB_POOL,
        deps=list(SUITES[table].compares_with) if table in SUITES else [],
    )
    def _raw_table(context: dg.AssetExecutionContext, data_source: DataSource) -> dg.Output[pl.DataFrame]:
        return _read_output(context, data_source, table)

    return _raw_table


def raw_tables_asset(name: str, tables: Sequence[str]) -> dg.AssetsDefinition:
    """One step reading raw tables that are one version (as :func:`raw_table_asset` reads one):
    the IO manager audits them together, the rules tying them (``expectations.CROSS_TABLE_RULES``)
    on the pair written, and publishes both or neither."""

    @dg.multi_asset(
        name=name,
        group_name="sources",
        pool=DUCKDB_POOL,
        outs={
            table: dg.AssetOut(
                description=contract_purpose(table),
                metadata={"schema": "raw", "contract": contract_path(table).name},
                kinds={"polars", "duckdb"},
            )
            for table in tables
        },
    )
    def _raw_tables(context: dg.AssetExecutionContext, data_source: DataSource):
        for table in tables:
            yield _read_output(context, data_source, table, output_name=table)

    return _raw_tables


class Lineage:
    """The asset graph of the whole code location, for an asset that needs more of the lineage than
    its run holds (a run's job has only its selection, the assets upstream of it as stubs without
    metadata, and a run started by ``dg.materialize`` has no repository on its context). The
    resource ``lineage`` of ``definitions.build_resources``, over the code location's Definitions
    (given as a function, as they are built after their resources), resolved on first use."""

    def __init__(self, definitions: Callable[[], dg.Definitions]):
        self._definitions = definitions

    @cached_property
    def graph(self):
        """The resolved asset graph (``dg.Definitions.resolve_asset_graph``)."""
        return self._definitions().resolve_asset_graph()

    def upstream_raw_tables(self, keys: Iterable[dg.AssetKey]) -> list[str]:
        """The canonical raw tables (schema ``raw``) upstream of the assets ``keys``: the data a
        figure of theirs is made of."""
        upstream = dg.AssetSelection.assets(*keys).upstream().resolve(self.graph)
        return sorted(key.path[-1] for key in upstream if self.graph.get(key).metadata.get("schema") == "raw")


def figure_caption(context: dg.AssetExecutionContext, data_source: DataSource, lineage: Lineage) -> str:
    """The caption of the figures of the asset being materialised: the data mode and, for real
    data, the source files of the raw tables upstream of it (``DataSource.caption``)."""
    return data_source.caption(lineage.upstream_raw_tables(context.assets_def.keys))


#: Raw tables with their own (partitioned) asset module.
PARTITIONED_TABLES = {"trade"}  # defs/trade.py
#: Raw tables that are one version, read in one step: a BEA benchmark's Make and Use tables.
VERSIONS = {"bea_make_use": ("bea_make", "bea_use"), "bea_summary_make_use": ("bea_summary_make", "bea_summary_use")}

raw_assets = [
    *(raw_tables_asset(name, tables) for name, tables in VERSIONS.items()),
    *(
        raw_table_asset(table)
        for table in raw_tables()
        if table not in PARTITIONED_TABLES and not any(table in tables for tables in VERSIONS.values())
    ),
]
