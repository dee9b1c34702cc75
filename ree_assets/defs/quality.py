"""Data quality as asset checks.

The guard is the audit of write-audit-publish (``ree_assets.storage``): a new version of a table
is tested against its ODCS contract and its Great Expectations suite before it is published,
and a version that fails is never published (the step fails, naming the rules). The checks here
then report, in the UI, what that audit found for the run; run on their own (a check launched
without its asset), they test the published table.
"""

from collections.abc import Callable
from pathlib import Path

import dagster as dg

from ree_assets.defs.resources import DuckDBStore
from ree_assets.expectations import CROSS_TABLE_RULES, SUITES, TableSuite, cross_table_rules
from ree_assets.reporting import frame_markdown
from ree_assets.sources.contracts import CONTRACTS_DIR, contract_schema, load_contract
from ree_assets.storage.audit import Finding, contract_audit, coverage_audit, findings_frame, suite_audit
from ree_assets.storage.io_manager import published_relation, published_schema
from ree_assets.storage.publish import recorded_audit


def contract_table(contract_file: Path) -> str:
    """The table (and asset) a contract describes: the name of its first schema object."""
    return load_contract(contract_file.stem)["schema"][0]["name"]


def _report(findings: list[Finding], table: str, what: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=not findings,
        description=f"{table} violates {what}: " + "; ".join(f.line() for f in findings) if findings else None,
        metadata={"findings": frame_markdown(findings_frame(findings)), "rules_broken": len(findings)},
    )


def _audited(
    context: dg.AssetCheckExecutionContext,
    store: DuckDBStore,
    table: str,
    check: str,
    audit: Callable[[str, str], list[Finding]],
    schema: str,
) -> list[Finding]:
    """The findings the run's audit recorded, or (no audit in this run) a test of the published table."""
    recorded = recorded_audit(store.database, context.run.run_id, table, check)
    return audit(store.database, schema) if recorded is None else recorded


def contract_check(contract_file: Path) -> dg.AssetChecksDefinition:
    """A blocking asset check reporting the contract audit of the table."""
    table, schema = contract_table(contract_file), contract_schema(contract_file)

    @dg.asset_check(
        asset=table,
        name="odcs_contract",
        blocking=True,
        description=f"ODCS contract {contract_file.name}: schema, required, unique, row count, "
        "finite numbers, bounds (audited before publishing).",
    )
    def _contract(context: dg.AssetCheckExecutionContext, store: DuckDBStore) -> dg.AssetCheckResult:
        findings = _audited(context, store, table, "odcs_contract", contract_audit(contract_file), schema)
        return _report(findings, table, contract_file.name)

    return _contract


def contract_checks(asset_keys: set[dg.AssetKey]) -> list[dg.AssetChecksDefinition]:
    """One check per contract in ``data_contracts/`` whose table is an asset of the code location."""
    return [
        contract_check(path)
        for path in sorted(CONTRACTS_DIR.glob("*.yaml"))
        if dg.AssetKey(contract_table(path)) in asset_keys
    ]


def gx_check(table: str, table_suite: TableSuite) -> dg.AssetChecksDefinition:
    """A blocking asset check reporting the Great Expectations audit of the table."""
    schema = contract_schema(CONTRACTS_DIR / f"{table}.yaml")

    @dg.asset_check(
        asset=table,
        name="great_expectations",
        blocking=True,
        description=table_suite.description,
        additional_deps=list(table_suite.compares_with),
    )
    def _gx(context: dg.AssetCheckExecutionContext, store: DuckDBStore) -> dg.AssetCheckResult:
        findings = _audited(context, store, table, "great_expectations", suite_audit(table, table_suite), schema)
        return _report(findings, table, "its Great Expectations suite")

    return _gx


gx_checks = [gx_check(table, table_suite) for table, table_suite in SUITES.items()]


def cross_table_check(table: str) -> dg.AssetChecksDefinition:
    """A blocking asset check reporting the audit of the rules tying the table to another."""
    rules = cross_table_rules(table)
    others = sorted({name for rule in rules for name in rule.tables()} - {table})

    @dg.asset_check(
        asset=table,
        name="cross_table",
        blocking=True,
        description="; ".join(rule.rule for rule in rules)
        + f" (audited before publishing, against the {', '.join(others)} written with it, else the published one).",
    )
    def _cross_table(context: dg.AssetCheckExecutionContext, store: DuckDBStore) -> dg.AssetCheckResult:
        audit = coverage_audit(table, rules, published_relation)
        findings = _audited(context, store, table, "cross_table", audit, published_schema(table))
        return _report(findings, table, "the rules tying it to " + ", ".join(others))

    return _cross_table


cross_table_checks = [
    cross_table_check(table) for table in sorted({name for rule in CROSS_TABLE_RULES for name in rule.tables()})
]
