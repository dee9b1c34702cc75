"""Write, audit, then publish table versions; record what the audits found.

A version is staged (:func:`stage`), audited where it is staged (:func:`audit`), and settled
(:func:`settle`): published if it broke no rule, rejected otherwise. Several versions settled
together (the outputs of one multi-output step) are published together in one transaction, or
none of them is. :func:`write_audit_publish` does the three for one version under one hold of the
file's lock.

The audits' outcome is kept in ``wap.audits`` (run, asset, check, passed, findings) so the
Dagster asset checks of the same run report it instead of testing the table a second time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from ree_assets.storage import wap
from ree_assets.storage.audit import Finding
from ree_assets.storage.lock import connect, database_lock

#: The audits a version goes through: each takes the candidate's (database, staging schema) and
#: returns its findings, labelled by the check that reports them.
Audit = tuple[str, Callable[[str, str], list[Finding]]]

_AUDITS_DDL = """
CREATE SCHEMA IF NOT EXISTS wap;
CREATE TABLE IF NOT EXISTS wap.audits (
    run_id VARCHAR, asset VARCHAR, check_name VARCHAR, passed BOOLEAN, findings VARCHAR,
    recorded_at TIMESTAMP DEFAULT current_timestamp)
"""


@dataclass(frozen=True)
class Version:
    """A staged table version of ``asset`` and what its audits found (check -> findings); ``source``
    names the files it was read from, for the error message."""

    target: wap.Target
    asset: str
    results: dict[str, list[Finding]]
    source: str = ""

    @property
    def findings(self) -> list[Finding]:
        return [f for findings in self.results.values() for f in findings]


class AuditFailed(ValueError):
    """A table version broke a blocking rule and was not published (nor were the versions
    ``withheld`` with it, the other outputs of its step)."""

    def __init__(self, version: Version, withheld: Sequence[wap.Target] = ()):
        self.target, self.findings = version.target, version.findings
        target = version.target
        origin = f" (read from {version.source})" if version.source else ""
        others = (
            f"; neither were the step's other outputs {', '.join(t.published for t in withheld)}" if withheld else ""
        )
        lines = "\n".join(f"  - [{f.check}] {f.line()}" for f in self.findings)
        super().__init__(
            f"{target.published}{' partitions ' + target.partitions if target.partitions else ''}"
            f"{origin} was NOT published: it breaks {len(self.findings)} rule(s); the stored table "
            f"keeps its previous rows{others}.\n{lines}"
        )


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


def journal_staged(database: str, versions: Sequence[wap.Staged], *, run_id: str) -> None:
    """Journal versions built outside the IO manager (dbt's models) as staged, before they are:
    a run killed while building them leaves them reported as unpublished."""
    with connect(database, "journalling staged dbt models") as con:
        wap.journal_staged(con, versions, run_id=run_id)


def settle_built(
    database: str,
    versions: Sequence[wap.Staged],
    *,
    run_id: str,
    reason: str | None = None,
    scratch: Sequence[str] = (),
) -> None:
    """Drop the staged relations of versions built outside the IO manager (dbt's models in the
    ``wap_*`` schemas) and the ``scratch`` schemas of their build, and journal the versions
    published (``reason`` None) or rejected for ``reason``."""
    with connect(database, "settling staged dbt models") as con:
        for schema in scratch:
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        wap.settle_built(con, versions, run_id=run_id, reason=reason)


def stage(database: str, target: wap.Target, frame: pl.DataFrame, *, run_id: str, asset: str) -> None:
    """Write ``frame`` where nothing reads it: the staging schema of ``target``."""
    with connect(database, f"staging {target.published}") as con:
        wap.stage(con, target, frame, run_id=run_id, asset=asset)


def audit(database: str, target: wap.Target, audits: Sequence[Audit]) -> dict[str, list[Finding]]:
    """Run every audit on the staged version of ``target``: findings by check."""
    results: dict[str, list[Finding]] = {}
    with database_lock(database, f"auditing {target.published}"):
        for check, run in audits:
            results.setdefault(check, []).extend(run(database, target.staging_schema))
    return results


def settle(database: str, versions: Sequence[Version], *, run_id: str) -> None:
    """Record what the audits of ``versions`` found, then publish them all in one transaction if
    none broke a rule; otherwise reject them all and raise :class:`AuditFailed` naming the first
    version that broke one."""
    with connect(database, f"publishing {', '.join(v.target.published for v in versions)}") as con:
        for version in versions:
            _record(con, run_id, version.asset, version.results)
        staged = [(v.target, v.asset) for v in versions]
        failed = next((v for v in versions if v.findings), None)
        if failed is not None:
            error = AuditFailed(failed, [v.target for v in versions if v is not failed])
            wap.reject(con, staged, run_id=run_id, reason=str(error))
            raise error
        wap.publish(con, staged, run_id=run_id)


def withdraw(database: str, staged: Sequence[wap.Staged], *, run_id: str, reason: str) -> None:
    """Reject staged versions that will not be settled (their step failed), saying why."""
    with connect(database, "withdrawing staged versions") as con:
        wap.reject(con, staged, run_id=run_id, reason=reason)


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
        stage(database, target, frame, run_id=run_id, asset=asset)
        results = audit(database, target, audits)
        settle(database, [Version(target, asset, results, source)], run_id=run_id)
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


class YearsFailed(ValueError):
    """A write of several yearly partitions, settled year by year: the years ``failed`` broke a
    blocking rule and were not published, in none of the step's tables; the others were."""

    def __init__(self, failed: Sequence[AuditFailed], published: Sequence[str]):
        self.failed = list(failed)
        years = ", ".join(error.target.partitions for error in failed)
        super().__init__(
            f"partitions {years} were NOT published (every table keeps its previous rows of those years); "
            f"published year by year: {', '.join(published) or 'none'}.\n" + "\n".join(map(str, failed))
        )
