"""Write, audit, then publish one table version; record what the audit found.

The audit's outcome is kept in ``wap.audits`` (run, asset, check, passed, findings) so the
Dagster asset checks of the same run report it instead of testing the table a second time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from ree_assets.storage import wap
from ree_assets.storage.audit import Finding
from ree_assets.storage.lock import database_lock

#: The audits a version goes through: each takes the candidate's (database, staging schema) and
#: returns its findings, labelled by the check that reports them.
Audit = tuple[str, Callable[[str, str], list[Finding]]]

_AUDITS_DDL = """
CREATE SCHEMA IF NOT EXISTS wap;
CREATE TABLE IF NOT EXISTS wap.audits (
    run_id VARCHAR, asset VARCHAR, check_name VARCHAR, passed BOOLEAN, findings VARCHAR,
    recorded_at TIMESTAMP DEFAULT current_timestamp)
"""


class AuditFailed(ValueError):
    """A table version broke a blocking rule and was not published."""

    def __init__(self, target: wap.Target, findings: Sequence[Finding], source: str = ""):
        self.target, self.findings = target, list(findings)
        origin = f" (read from {source})" if source else ""
        lines = "\n".join(f"  - [{f.check}] {f.line()}" for f in self.findings)
        super().__init__(
            f"{target.published}{' partitions ' + target.partitions if target.partitions else ''}"
            f"{origin} was NOT published: it breaks {len(self.findings)} rule(s); the stored table "
            f"keeps its previous rows.\n{lines}"
        )


@contextmanager
def connect(database: str, activity: str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the project's file, opened under its cross-process lock."""
    with database_lock(database, activity):  # the lock creates the file's folder
        con = duckdb.connect(database, read_only=read_only)
        try:
            yield con
        finally:
            con.close()


def has_table(database: str, schema: str, table: str) -> bool:
    """Whether ``<schema>.<table>`` (a table or view) exists in the file."""
    if not Path(database).exists():
        return False
    with connect(database, f"looking up {schema}.{table}", read_only=True) as con:
        return wap.table_exists(con, schema, table)


def read_table(database: str, schema: str, table: str, where: str | None = None) -> pl.DataFrame:
    """``<schema>.<table>`` (optionally filtered by a SQL predicate) as a Polars frame."""
    with connect(database, f"reading {schema}.{table}", read_only=True) as con:
        query = f"SELECT * FROM {schema}.{table}" + (f" WHERE {where}" if where else "")
        return con.execute(query).pl()


def _record(con: duckdb.DuckDBPyConnection, run_id: str, asset: str, results: dict[str, list[Finding]]) -> None:
    con.execute(_AUDITS_DDL)
    for check, findings in results.items():
        con.execute(
            "INSERT INTO wap.audits (run_id, asset, check_name, passed, findings) VALUES (?, ?, ?, ?, ?)",
            [run_id, asset, check, not findings, json.dumps([vars(f) for f in findings])],
        )


def record_audits(database: str, run_id: str, results: dict[str, dict[str, list[Finding]]]) -> None:
    """Keep what audits outside the IO manager found (asset -> check -> findings), e.g. the
    contracts of dbt marts, for the run's asset checks to report."""
    with connect(database, "recording audits") as con:
        for asset, by_check in results.items():
            _record(con, run_id, asset, by_check)


def drop_staged(database: str, relations: Sequence[tuple[str, str]]) -> None:
    """Drop staged relations (schema, name) that were built outside the IO manager (dbt's
    models in the ``wap_*`` schemas) once they are published."""
    with connect(database, "dropping staged dbt models") as con:
        for schema, name in relations:
            kind = con.execute(
                "SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [schema, name],
            ).fetchone()
            if kind is not None:
                con.execute(f'DROP {"VIEW" if kind[0] == "VIEW" else "TABLE"} {schema}."{name}"')


def write_audit_publish(
    database: str,
    target: wap.Target,
    frame: pl.DataFrame,
    audits: Sequence[Audit],
    *,
    run_id: str,
    asset: str,
    source: str = "",
) -> dict[str, list[Finding]]:
    """Stage ``frame``, run every audit on the staged version, and publish it only if no audit
    found anything; otherwise drop it and raise :class:`AuditFailed`. The lock is held
    throughout, so no other process sees or changes the table in between. Returns the findings
    by check (all empty on success)."""
    with database_lock(database, f"write-audit-publish of {target.published} (run {run_id[:8]})"):
        with connect(database, f"staging {target.published}") as con:
            wap.stage(con, target, frame, run_id=run_id, asset=asset)
        results: dict[str, list[Finding]] = {}
        with database_lock(database, f"auditing {target.published}"):
            for check, audit in audits:
                results.setdefault(check, []).extend(audit(database, target.staging_schema))
        failures = [f for findings in results.values() for f in findings]
        with connect(database, f"publishing {target.published}") as con:
            _record(con, run_id, asset, results)
            if failures:
                error = AuditFailed(target, failures, source)
                wap.reject(con, target, run_id=run_id, asset=asset, reason=str(error))
                raise error
            wap.publish(con, target, run_id=run_id, asset=asset)
    return results


def recorded_audit(database: str, run_id: str, asset: str, check: str) -> list[Finding] | None:
    """The findings the audit of ``asset`` in run ``run_id`` recorded for ``check`` (None: that
    run did not audit it, e.g. the check runs on its own)."""
    if not Path(database).exists():
        return None
    with connect(database, f"reading the audit of {asset}", read_only=True) as con:
        if not wap.table_exists(con, "wap", "audits"):
            return None
        row = con.execute(
            "SELECT findings FROM wap.audits WHERE run_id = ? AND asset = ? AND check_name = ? "
            "ORDER BY recorded_at DESC LIMIT 1",
            [run_id, asset, check],
        ).fetchone()
    return None if row is None else [Finding(**f) for f in json.loads(row[0])]
