"""Group ``patents``: the yearly patent pulls (all grants of a year into the six canonical tables),
the REE subset, classification, the classifier evaluation and the grants chart
(``specs/patents_and_did.md``). Thin: read, call core, write, report."""

import dagster as dg
import polars as pl
from pydantic import Field

from ree_assets.core.patents.ree_filter import ree_subset
from ree_assets.defs.partitions import DUCKDB_POOL, patent_year_partitions
from ree_assets.defs.resources import DataSource
from ree_assets.reporting import frame_markdown
from ree_assets.sources.contracts import contract_path, contract_purpose
from ree_assets.sources.patent_tables import PARTITION_COLUMN, PATENT_TABLES

GROUP = "patents"
#: Every yearly patent asset: one run receives a whole key range (``dagster asset materialize
#: --partition-range 2002...2018``) and writes each year of it, replacing only those years.
YEARLY = {"partitions_def": patent_year_partitions, "backfill_policy": dg.BackfillPolicy.single_run()}


def _stored(schema: str, table: str) -> dict[str, str]:
    """Metadata of a yearly table: its schema, the column its partitions live in, its contract."""
    return {"schema": schema, "partition_expr": PARTITION_COLUMN, "contract": contract_path(table).name}


class PatentPullConfig(dg.Config):
    """How a yearly patent pull reads its source."""

    reader: str = Field("auto", description="auto | uspto_xml | patentsview | bigquery (local/download modes; "
                                            "auto: the year's USPTO XML files if any, else PatentsView TSVs).")
    on_bad_record: str = Field("skip", description="skip (report file and line in metadata) | fail (fail the "
                                                   "partitions of the run) for a malformed XML record or TSV row.")
    text_sections: list[str] = Field(["claims"], description="Long text sections kept in patent_texts "
                                                             "(claims, description).")
    bigquery_project: str | None = Field(None, description="Google Cloud project billed by the bigquery reader.")


def _years(context: dg.AssetExecutionContext) -> range:
    window = context.partition_time_window
    return range(window.start.year, window.end.year)


@dg.multi_asset(
    group_name=GROUP, pool=DUCKDB_POOL, **YEARLY,
    outs={table: dg.AssetOut(metadata=_stored("raw", table), kinds={"polars", "duckdb"},
                             description=contract_purpose(table)) for table in PATENT_TABLES},
)
def patent_pull(context: dg.AssetExecutionContext, config: PatentPullConfig, data_source: DataSource):
    """Every grant of the run's grant years into the six canonical patent tables."""
    from ree_assets.sources.patents import read_patent_years

    years = _years(context)
    tables, bad = read_patent_years(years, data_source.settings(), reader=config.reader, policy=config.on_bad_record,
                                    sections=tuple(config.text_sections), bigquery_project=config.bigquery_project)
    context.log.info(f"grant years {years.start}-{years.stop - 1}: {tables['patents'].height} grants, "
                     f"{len(bad)} malformed records skipped")
    for record in bad:
        context.log.warning(f"skipped malformed record: {record}")
    for table in PATENT_TABLES:
        metadata = {"grant_years": f"{years.start}-{years.stop - 1}", "source_mode": data_source.mode}
        if table == "patents":
            metadata["malformed_records_skipped"] = len(bad)
            metadata["malformed_records"] = frame_markdown(pl.DataFrame(
                [{"file": b.file, "line": b.line, "problem": b.problem} for b in bad[:50]]))
        yield dg.Output(tables[table], output_name=table, metadata=metadata)


@dg.asset(group_name=GROUP, metadata=_stored("core", "ree_patents"), kinds={"polars", "duckdb"}, pool=DUCKDB_POOL,
          **YEARLY)
def ree_patents(patents: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    """The REE universe: grants whose title or abstract mentions a rare earth (element names,
    symbols in chemical notation, "rare earth", "lanthanide", "REE")."""
    subset = ree_subset(patents)
    return dg.Output(subset, metadata={"share_of_grants": subset.height / max(patents.height, 1)})


assets = [patent_pull, ree_patents]
