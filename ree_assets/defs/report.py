"""Group ``reports``: the replication report, one self-contained HTML file and its Markdown twin
in the reports folder (``ree_assets.replication_report``). Thin: it gathers what the other
assets stored (DuckDB tables, the figures and rendered tables in the reports folder, their
materialisation metadata), the latest evaluation of every asset check and the data source from
the Dagster instance, and renders them; nothing is recomputed.

The report depends on the results it shows, so a run that fails upstream skips it; materialise
it alone afterwards (``dg launch --assets replication_report``) to see the latest state, failed
checks included. A part whose asset has not been materialised says "not materialised".
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from ree_assets import replication_report as report
from ree_assets.core.did_design import TREATMENT
from ree_assets.defs.asset_specs import REPORTS_GROUP
from ree_assets.defs.did import PRE_TREND_LEVEL
from ree_assets.defs.partitions import DUCKDB_POOL
from ree_assets.defs.resources import DataSource, DuckDBStore, reports_dir
from ree_assets.defs.sources import Lineage
from ree_assets.sources.embedded.dims import sic1987_manufacturing

TITLE = "Replication report: China's rare-earth export restrictions (AFSV 2025) and REE knowledge spillovers (FVD 2007)"


def plain_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Materialisation metadata as plain values (numbers, text, flags; Markdown as its text),
    leaving out embedded images."""
    values = {key: getattr(value, "value", value) for key, value in metadata.items()}
    return {
        key: value
        for key, value in values.items()
        if isinstance(value, bool | int | float | str) and not (isinstance(value, str) and "data:image" in value)
    }


def latest_metadata(instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey]) -> dict[str, tuple[float, dict]]:
    """Asset name -> (time, plain metadata) of its latest materialisation in the instance."""
    events = instance.get_latest_materialization_events(list(keys))
    return {
        key.path[-1]: (event.timestamp, plain_metadata(event.asset_materialization.metadata))
        for key, event in events.items()
        if event is not None and event.asset_materialization is not None
    }


def _time(timestamp: float | None) -> str:
    return "" if timestamp is None else datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _finding(evaluation) -> str:
    """What a check evaluation reports, on one line: its description, else its plain metadata."""
    if evaluation.description:
        return " ".join(str(evaluation.description).split())
    facts = plain_metadata(evaluation.metadata or {})
    return "; ".join(f"{key} = {' '.join(str(value).split())}" for key, value in facts.items())


def check_statuses(instance: dg.DagsterInstance, graph) -> pl.DataFrame:
    """The latest evaluation of every asset check of the code location (one row per check):
    passed, failed (with its severity and description), or not evaluated (planned in a run that
    did not evaluate it, or never run), read from the instance's event log."""
    keys = sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name))
    summaries = instance.event_log_storage.get_asset_check_summary_records(keys)
    rows = []
    for key in keys:
        summary = summaries.get(key)
        record = summary.last_check_execution_record if summary else None
        completed = record is not None and record.status.value in ("SUCCEEDED", "FAILED")
        evaluation = record.evaluation if completed else None  # a PLANNED record holds no result
        rows.append(
            {
                "asset": key.asset_key.to_user_string(),
                "check": key.name,
                "blocking": graph.get_check_spec(key).blocking,
                "status": "not evaluated" if evaluation is None else "passed" if evaluation.passed else "failed",
                "severity": evaluation.severity.value if evaluation else "",
                "evaluated_at": _time(record.create_timestamp) if record else "never run",
                "run": record.run_id[:8] if record else "",
                "description": _finding(evaluation) if evaluation else "",
            }
        )
    return pl.DataFrame(rows, schema=report.CHECK_COLUMNS)


def _grant_years(meta: Mapping[str, Any]) -> str:
    """For a yearly pull without recorded files: the years of its latest run."""
    return f"yearly pull, latest run: {meta['grant_years']}" if "grant_years" in meta else ""


def raw_sources(metadata: Mapping[str, tuple[float, dict]]) -> pl.DataFrame:
    """One row per materialised raw table: rows, mode and source files its asset recorded."""
    return pl.DataFrame(
        [
            {
                "table": table,
                "rows": meta.get("dagster/row_count"),
                "source_mode": meta.get("source_mode", ""),
                "source_files": meta.get("source_files") or _grant_years(meta),
                "materialised_at": _time(timestamp),
            }
            for table, (timestamp, meta) in sorted(metadata.items())
        ],
        schema=report.SOURCE_COLUMNS,
    )


def stored_tables(store: DuckDBStore, schemas: Mapping[str, str]) -> tuple[set[str], dict[str, pl.DataFrame]]:
    """(assets whose table exists, frames of those the report shows) for ``schemas`` (asset ->
    DuckDB schema); nothing when the database file does not exist yet."""
    if not Path(store.database).exists():
        return set(), {}
    with store.get_connection(read_only=True) as con:
        existing = set(con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall())
        stored = {asset for asset, schema in schemas.items() if (schema, asset) in existing}
        frames = {
            asset: con.execute(f"SELECT * FROM {schemas[asset]}.{asset}").pl()
            for asset in stored
            if asset in report.SHOWN_TABLES
        }
    return stored, frames


@dg.asset(
    group_name=REPORTS_GROUP,
    deps=[dg.AssetKey(asset) for asset in report.REPORTED_ASSETS],
    kinds={"html", "markdown"},
    tags={"data": "reports"},  # files in the reports folder, no DuckDB table
    pool=DUCKDB_POOL,
)
def replication_report(
    context: dg.AssetExecutionContext, store: DuckDBStore, data_source: DataSource, lineage: dg.ResourceParam[Lineage]
) -> dg.MaterializeResult:
    """One self-contained HTML report (figures embedded) and its Markdown twin with every table
    and figure of both replications, the data mode and sources, the latest status of every asset
    check and, on the embedded world, the estimates next to the true values."""
    graph = lineage.graph
    schemas = {asset: graph.get(dg.AssetKey(asset)).metadata.get("schema", "core") for asset in report.REPORTED_ASSETS}
    stored, tables = stored_tables(store, schemas)
    raw = [key for key in graph.get_all_asset_keys() if graph.get(key).metadata.get("schema") == "raw"]
    folder = reports_dir(store.database)
    materials = report.Materials(
        data=report.DataMode(data_source.mode, data_source.size, data_source.seed, data_source.data_dir),
        stored=stored,
        tables=tables,
        metadata={
            name: meta
            for name, (_, meta) in latest_metadata(context.instance, map(dg.AssetKey, report.REPORTED_ASSETS)).items()
        },
        files=sorted(p.name for p in folder.iterdir()) if folder.is_dir() else [],
        read_file=lambda name: (folder / name).read_bytes(),
        checks=check_statuses(context.instance, graph),
        sources=raw_sources(latest_metadata(context.instance, raw)),
        sic_titles=dict(sic1987_manufacturing()),
        pre_trend_level=PRE_TREND_LEVEL,
    )
    sections = report.build_sections(materials, TREATMENT)
    preamble = report.preamble(materials, sections, generated=_time(datetime.now(UTC).timestamp()))
    folder.mkdir(parents=True, exist_ok=True)
    html_path, markdown_path = folder / f"{report.REPORT_NAME}.html", folder / f"{report.REPORT_NAME}.md"
    html_path.write_text(report.render_html(TITLE, preamble, sections), encoding="utf-8")
    markdown_path.write_text(report.render_markdown(TITLE, preamble, sections), encoding="utf-8")
    missing = report.missing_assets(sections)
    if missing:
        context.log.info(f"replication report: not materialised yet: {', '.join(missing)}")
    return dg.MaterializeResult(
        metadata={
            "report_html": dg.MetadataValue.path(str(html_path)),
            "report_markdown": dg.MetadataValue.path(str(markdown_path)),
            "preview": dg.MetadataValue.md(preamble),
            "not_materialised": ", ".join(missing) or "none",
            "checks_failed": int((materials.checks["status"] == "failed").sum()),
        }
    )
