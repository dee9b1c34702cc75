"""Write-audit-publish on the project's DuckDB file.

A new version of a table ``<schema>.<table>`` is first written where nothing reads it, the staging
schema ``wap_<schema>``; the audit (its ODCS contract, its Great Expectations suite) then reads it
there under the table's own name; only when every blocking rule passes is it published, in one
transaction. A rejected or interrupted version never touches the published table, the dbt views
over it or the marts built from it.

A write of yearly partitions stages only the new rows, under the table's own name, so its audit
reads the written partitions and not the published rest (``storage.audit``: the rules tying the new
rows to the rest of the table look up only the keys they touch); the table as it would be after
publishing (published rows of other years plus the new rows) is the view
``wap_<schema>.<table>__whole``, read by the rules of other tables that reference it. Publishing
replaces only the written years.

Every step is journalled in ``wap.journal`` (run, asset, table, partitions, status, time). A
version that was staged but never published nor rejected belongs to an interrupted run (a
``kill -9``, a crash): :func:`unpublished` lists them so the user is told. Versions that another
writer stages and publishes (dbt builds its models in the ``wap_*`` schemas, then into the
published ones) are journalled the same way: :func:`journal_staged` before that writer starts,
:func:`settle_built` once it has published them or they are rejected.

Several versions (the outputs of one multi-output step) are published, or rejected, together in
one transaction. :func:`has_table` and :func:`read_table` read the file under its lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from ree_assets.storage.lock import connect

STAGING_PREFIX = "wap_"

_JOURNAL_DDL = """
CREATE SCHEMA IF NOT EXISTS wap;
CREATE TABLE IF NOT EXISTS wap.journal (
    run_id VARCHAR, asset VARCHAR, target VARCHAR, partitions VARCHAR, status VARCHAR,
    recorded_at TIMESTAMP DEFAULT current_timestamp, detail VARCHAR)
"""


@dataclass(frozen=True)
class Target:
    """Where a table is published: ``schema.table``, and for a partitioned write the SQL
    predicate selecting the written partitions' rows (with a label such as ``2002...2004``)."""

    schema: str
    table: str
    predicate: str | None = None
    partitions: str = ""

    @property
    def published(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def staging_schema(self) -> str:
        return STAGING_PREFIX + self.schema

    @property
    def candidate(self) -> str:
        """The staged rows, what the audit reads: the whole table, or the written partitions'
        rows of a partitioned write."""
        return f"{self.staging_schema}.{self.table}"

    @property
    def whole(self) -> str:
        """The table as it would be once published (a view for a partitioned write: the published
        rows of the other partitions and the staged rows)."""
        return self.candidate if self.predicate is None else f'{self.staging_schema}."{self.table}__whole"'


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether ``<schema>.<table>`` (a table or view) exists."""
    return (
        con.execute(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
        ).fetchone()[0]
        > 0
    )


def has_table(database: str, schema: str, table: str) -> bool:
    """Whether ``<schema>.<table>`` (a table or view) exists in the file."""
    if not Path(database).exists():
        return False
    with connect(database, f"looking up {schema}.{table}", read_only=True) as con:
        return table_exists(con, schema, table)


def read_table(database: str, schema: str, table: str, where: str | None = None) -> pl.DataFrame:
    """``<schema>.<table>`` (optionally filtered by a SQL predicate) as a Polars frame."""
    with connect(database, f"reading {schema}.{table}", read_only=True) as con:
        query = f"SELECT * FROM {schema}.{table}" + (f" WHERE {where}" if where else "")
        return con.execute(query).pl()


def _journal(
    con: duckdb.DuckDBPyConnection, run_id: str, asset: str, target: Target, status: str, detail: str = ""
) -> None:
    con.execute(_JOURNAL_DDL)
    con.execute(
        "INSERT INTO wap.journal (run_id, asset, target, partitions, status, detail) VALUES (?, ?, ?, ?, ?, ?)",
        [run_id, asset, target.published, target.partitions, status, detail],
    )


def stage(con: duckdb.DuckDBPyConnection, target: Target, frame: pl.DataFrame, *, run_id: str, asset: str) -> None:
    """Write ``frame`` to the staging schema (committed: the audit opens its own connection)."""
    arrow = frame.to_arrow()  # noqa: F841 - read by DuckDB's replacement scan below
    con.execute("BEGIN TRANSACTION")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {target.staging_schema}")
    con.execute(f"CREATE OR REPLACE TABLE {target.candidate} AS SELECT * FROM arrow")
    if target.predicate is not None:
        kept = (
            f"SELECT * FROM {target.published} WHERE NOT ({target.predicate}) UNION ALL BY NAME "
            if table_exists(con, target.schema, target.table)
            else ""
        )
        con.execute(f"CREATE OR REPLACE VIEW {target.whole} AS {kept}SELECT * FROM {target.candidate}")
    _journal(con, run_id, asset, target, "staged")
    con.execute("COMMIT")


def _drop_staging(con: duckdb.DuckDBPyConnection, target: Target) -> None:
    if target.predicate is not None:
        con.execute(f"DROP VIEW IF EXISTS {target.whole}")
    con.execute(f"DROP TABLE IF EXISTS {target.candidate}")


#: A staged version: where it is published, and the asset it is a version of.
Staged = tuple[Target, str]


def publish(con: duckdb.DuckDBPyConnection, versions: Sequence[Staged], *, run_id: str) -> None:
    """Replace each published table (or its written partitions) by its audited version, all in
    one transaction, and drop the staging objects."""
    con.execute("BEGIN TRANSACTION")
    for target, asset in versions:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {target.schema}")
        if target.predicate is None:
            con.execute(f"CREATE OR REPLACE TABLE {target.published} AS SELECT * FROM {target.candidate}")
        else:
            con.execute(f"CREATE TABLE IF NOT EXISTS {target.published} AS SELECT * FROM {target.candidate} LIMIT 0")
            con.execute(f"DELETE FROM {target.published} WHERE {target.predicate}")
            con.execute(f"INSERT INTO {target.published} BY NAME SELECT * FROM {target.candidate}")
        _drop_staging(con, target)
        _journal(con, run_id, asset, target, "published")
    con.execute("COMMIT")


def reject(con: duckdb.DuckDBPyConnection, versions: Sequence[Staged], *, run_id: str, reason: str) -> None:
    """Drop versions that are not to be published; the published tables keep their rows."""
    con.execute("BEGIN TRANSACTION")
    for target, asset in versions:
        _drop_staging(con, target)
        _journal(con, run_id, asset, target, "rejected", reason[:2000])
    con.execute("COMMIT")


def journal_staged(con: duckdb.DuckDBPyConnection, versions: Sequence[Staged], *, run_id: str) -> None:
    """Journal versions that another writer (dbt) is about to stage in the staging schemas."""
    con.execute("BEGIN TRANSACTION")
    for target, asset in versions:
        _journal(con, run_id, asset, target, "staged")
    con.execute("COMMIT")


def settle_built(
    con: duckdb.DuckDBPyConnection, versions: Sequence[Staged], *, run_id: str, reason: str | None = None
) -> None:
    """Drop the staged relations (tables or views) of versions another writer (dbt) built, and
    journal them published (``reason`` None: that writer has published them) or rejected."""
    con.execute("BEGIN TRANSACTION")
    for target, asset in versions:
        kind = con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [target.staging_schema, target.table],
        ).fetchone()
        if kind is not None:
            con.execute(f'DROP {"VIEW" if kind[0] == "VIEW" else "TABLE"} {target.staging_schema}."{target.table}"')
        if reason is None:
            _journal(con, run_id, asset, target, "published")
        else:
            _journal(con, run_id, asset, target, "rejected", reason[:2000])
    con.execute("COMMIT")


def unpublished(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Versions staged by a run that never published nor rejected them (the run was
    interrupted), and that no later run has replaced: (run_id, asset, target, partitions, at)."""
    if not table_exists(con, "wap", "journal"):
        return pl.DataFrame(
            schema={
                "run_id": pl.String,
                "asset": pl.String,
                "target": pl.String,
                "partitions": pl.String,
                "recorded_at": pl.Datetime,
            }
        )
    query = """
        WITH ended AS (SELECT run_id, target, partitions FROM wap.journal WHERE status <> 'staged'),
             staged AS (SELECT * FROM wap.journal s WHERE status = 'staged'
                        AND NOT EXISTS (SELECT 1 FROM ended e WHERE e.run_id = s.run_id AND e.target = s.target
                                        AND e.partitions = s.partitions))
        SELECT run_id, asset, target, partitions, recorded_at FROM staged s
        WHERE NOT EXISTS (SELECT 1 FROM wap.journal later WHERE later.target = s.target
                          AND later.partitions = s.partitions AND later.status = 'published'
                          AND later.recorded_at > s.recorded_at)
        ORDER BY recorded_at
    """
    return con.execute(query).pl()
