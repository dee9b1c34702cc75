"""The audit of a table version before it is published: its ODCS contract (datacontract-cli on
the DuckDB file) and its Great Expectations suite, with findings that name the table, the column,
the rule and the offending values.

Heavy libraries (datacontract, Great Expectations) are imported inside the functions that use
them: loading the code location must not pay for them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ree_assets.expectations import Coverage, Expectation, TableSuite
from ree_assets.sources.contracts import contract_schema, load_contract
from ree_assets.storage.lock import connect, database_lock
from ree_assets.storage.wap import STAGING_PREFIX, Target, has_table, read_table

logger = logging.getLogger(__name__)

#: How many offending rows a finding quotes.
SAMPLE_ROWS = 5

_COUNT_QUERY = re.compile(r"^\s*SELECT\s+COUNT\(\*\)\s+FROM\s+(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Finding:
    """One rule a table version broke."""

    check: str  # odcs_contract, great_expectations or cross_table
    rule: str
    column: str
    detail: str

    def line(self) -> str:
        column = f" column {self.column}:" if self.column else ""
        return f"{self.rule}:{column} {self.detail}".strip()


def offending_rows(database: str, schema: str, query: str) -> str:
    """For a contract rule written as ``SELECT COUNT(*) FROM <table or subquery> ...``, the first
    rows it counts (as text: the offending rows, or the offending keys of a grouped subquery); empty
    when the rule has another form or cannot be run."""
    match = _COUNT_QUERY.match(query or "")
    if match is None:
        return ""
    try:
        with duckdb.connect(database, read_only=True) as con:
            con.execute(f'USE "{schema}"')
            rows = con.execute(f"SELECT * FROM {match['rest']} LIMIT {SAMPLE_ROWS}").fetchall()
    except duckdb.Error:
        return ""
    return "; ".join(str(row) for row in rows)


def run_contract(contract_file: Path, database: str, schema: str | None = None) -> list[Finding]:
    """Test a table of the DuckDB file against its ODCS contract with datacontract-cli (in
    ``schema`` instead of the contract's server schema when given: the staging schema). Returns
    the rules that did not pass, each with the offending rows where the rule's SQL allows.

    A contract test that cannot run (the file cannot be opened, the table is missing) is a
    finding too, with datacontract's own reason: it never counts as a pass.
    """
    from datacontract.data_contract import DataContract

    config = {"DATACONTRACT_DUCKDB_DATABASE": str(Path(database).resolve())}
    if schema:
        config["DATACONTRACT_DUCKDB_SCHEMA"] = schema
    queries = _rule_queries(contract_file)
    findings = []
    with database_lock(database, f"testing {contract_file.name}"):  # re-entrant inside an audit
        run = DataContract(data_contract_file=str(contract_file), server="ree", config=config).test()
        for check in run.checks:
            outcome = check.result.value if check.result is not None else "error"
            if outcome == "passed":
                continue
            sample = offending_rows(database, schema or contract_schema(contract_file), queries.get(check.name, ""))
            detail = (check.reason or outcome) + (f"; offending rows: {sample}" if sample else "")
            findings.append(Finding("odcs_contract", check.name, check.field or "", detail))
    if not findings and (run.result is None or run.result.value != "passed"):
        reasons = "; ".join(log.message for log in run.logs if log.level in ("ERROR", "WARN")) or "no checks ran"
        findings.append(Finding("odcs_contract", "contract test", "", f"could not be run: {reasons}"))
    return findings


def _rule_queries(contract_file: Path) -> dict[str, str]:
    """Description of each SQL rule of the contract -> its query (datacontract names a check by
    the rule's description)."""
    queries = {}
    for obj in load_contract(contract_file.stem)["schema"]:
        for rule in [*obj.get("quality", []), *(q for p in obj["properties"] for q in p.get("quality", []))]:
            if rule.get("type") == "sql":
                queries[rule.get("description", "")] = rule["query"]
    return queries


def validate_with_gx(frame: pl.DataFrame, suite_name: str, expectations: Sequence[Expectation]) -> list[Finding]:
    """Validate a frame with Great Expectations (ephemeral context): the failed expectations with
    their unexpected values."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas(suite_name)
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe(suite_name)
        .get_batch(batch_parameters={"dataframe": frame.to_pandas()})
    )
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name))
    for name, kwargs in expectations:
        suite.add_expectation(getattr(gx.expectations, name)(**kwargs))
    results = batch.validate(suite)
    return [
        Finding(
            "great_expectations",
            r.expectation_config.type,
            str(r.expectation_config.kwargs.get("column", r.expectation_config.kwargs.get("column_list", ""))),
            describe_failure(r.result),
        )
        for r in results.results
        if not r.success
    ]


def describe_failure(result: Mapping[str, Any]) -> str:
    """What a failed expectation found: its unexpected values, the values missing from its set,
    or the observed value."""
    findings = [
        f"{label} {result[key][:10]}"
        for key, label in (("partial_unexpected_list", "unexpected values"), ("partial_missing_list", "missing values"))
        if result.get(key)
    ]
    return "; ".join(findings) or f"observed {result.get('observed_value')}"


def contract_audit(contract_file: Path) -> Callable[[str, str], list[Finding]]:
    """The contract test of a table version, given (database, schema it is in)."""
    return lambda database, schema: run_contract(contract_file, database, schema)


def suite_audit(table: str, table_suite: TableSuite, years: range | None = None) -> Callable[[str, str], list[Finding]]:
    """The Great Expectations suite of a table version, given (database, schema it is in),
    against the published tables it compares with (a missing one is a finding naming it). For a
    write of yearly partitions (``years``) of a table whose suite names its partition column,
    only the rows of those years are validated, and the suite is given the years."""

    def _audit(database: str, schema: str) -> list[Finding]:
        missing = [name for name, other in table_suite.compares_with.items() if not has_table(database, other, name)]
        if missing:
            return [
                Finding(
                    "great_expectations",
                    "cross-table expectation",
                    "",
                    f"{table} is checked against {', '.join(missing)}, which has not been materialised yet",
                )
            ]
        frames = {name: read_table(database, other, name) for name, other in table_suite.compares_with.items()}
        column = table_suite.partition_column if years is not None else None
        where = f"{column} BETWEEN {years.start} AND {years.stop - 1}" if column and years is not None else None
        expectations = table_suite.suite(**frames, **({"years": years} if where else {}))
        return validate_with_gx(read_table(database, schema, table, where), table, expectations)

    return _audit


def uncovered(database: str, rule: Coverage, relations: Mapping[str, str], only: str | None = None) -> list[str]:
    """The first values of ``rule.table.column`` (outside its exempt codes; among the values of
    the query ``only`` when given) that are no value of ``rule.other.other_column``, each table
    read in its relation of ``relations`` (table -> SQL name)."""
    exempt = f" AND NOT regexp_full_match(a.{rule.column}, '{rule.exempt}')" if rule.exempt else ""
    among = f" AND a.{rule.column} IN ({only})" if only else ""
    query = (
        f"SELECT DISTINCT a.{rule.column} FROM {relations[rule.table]} a "
        f"WHERE a.{rule.column} IS NOT NULL{exempt}{among} AND NOT EXISTS (SELECT 1 FROM "
        f"{relations[rule.other]} b WHERE b.{rule.other_column} = a.{rule.column}) "
        f"ORDER BY 1 LIMIT {2 * SAMPLE_ROWS}"
    )
    with connect(database, f"checking {rule.rule}", read_only=True) as con:
        return [row[0] for row in con.execute(query).fetchall()]


def has_relation(database: str, relation: str) -> bool:
    """Whether the table or view ``relation`` (an SQL name) exists in the file."""
    with connect(database, f"looking up {relation}", read_only=True) as con:
        try:
            con.execute(f"SELECT 1 FROM {relation} LIMIT 0")
        except duckdb.CatalogException:
            return False
    return True


def coverage_audit(
    table: str, rules: Sequence[Coverage], locate: Callable[[str], str | None], target: Target | None = None
) -> Callable[[str, str], list[Finding]]:
    """The rules tying ``table`` to other tables (``expectations.CROSS_TABLE_RULES``), on a version
    of ``table`` given (database, schema it is in). ``locate`` says where the other table's
    version is read: a relation (its version staged in the same step, else the published one), or
    None when its version is still to come in the same step: then its own audit checks the rule
    against this version, so a new vintage of both tables passes together.

    For a write of yearly partitions (``target`` with a predicate) the audit is incremental and
    keeps the guarantee: where ``table`` references the other, only the new rows' values are
    looked up; where the other references ``table``, only the values the write removes (in the
    replaced partitions and not in the new rows) are looked up, in the table as it will be."""

    def _audit(database: str, schema: str) -> list[Finding]:
        findings = []
        for rule in rules:
            referencing = rule.table == table
            other = rule.other if referencing else rule.table
            column = rule.column if referencing else rule.other_column
            other_relation = locate(other)
            if other_relation is None:
                continue
            if not has_relation(database, other_relation):
                detail = f"{table} is checked against {other}, which has not been materialised yet"
                findings.append(Finding("cross_table", rule.rule, column, detail))
                continue
            partitioned = target is not None and target.predicate is not None
            own, only = f"{schema}.{table}", None
            if partitioned and not referencing:
                own = target.whole
                only = (
                    f"SELECT {column} FROM {target.published} WHERE {target.predicate} "
                    f"EXCEPT SELECT {column} FROM {schema}.{table}"
                )
            missing = uncovered(database, rule, {table: own, other: other_relation}, only)
            if missing:
                version = "staged with it" if other_relation.startswith(STAGING_PREFIX) else "published"
                detail = (
                    f"{rule.table}.{rule.column} {missing} not found in {rule.other}.{rule.other_column} "
                    f"(the new {table} against the {version} {other})"
                )
                findings.append(Finding("cross_table", rule.rule, column, detail))
        return findings

    return _audit


def _rows_scanned(profile: Mapping[str, Any], relation: str) -> int:
    """Rows the table scans of a query's profile (DuckDB's JSON) read from ``relation``
    (``schema.table``)."""
    own = (
        profile.get("operator_rows_scanned", 0)
        if profile.get("extra_info", {}).get("Table", "").endswith(f".{relation}")
        else 0
    )
    return own + sum(_rows_scanned(child, relation) for child in profile.get("children", []))


def partition_key_audit(target: Target, key: str, column: str) -> Callable[[str, str], list[Finding]]:
    """The rule tying a write of yearly partitions to the rest of the published table: every value
    of ``key`` lies in one partition (a patent's rows lie in its grant year), so the rules of the
    table's contract keyed by it (a unique ``patent_id``, one row per citing patent and
    ``sequence``) hold across partitions when they hold in the written ones. Given (database,
    staging schema), it looks up the new rows' keys among the published rows of the other
    partitions (``column``: the partition column) with a semi-join, whose join filter lets DuckDB
    skip the row groups that cannot hold them; the rows scanned are logged."""

    def _audit(database: str, schema: str) -> list[Finding]:
        if not has_relation(database, target.published):
            return []
        query = (
            f"SELECT p.{key}, list(DISTINCT p.{column} ORDER BY p.{column}), count(*) OVER () "
            f"FROM {target.published} p WHERE p.{key} IN (SELECT {key} FROM {schema}.{target.table}) "
            f"AND NOT ({target.predicate}) GROUP BY 1 ORDER BY 1 LIMIT {SAMPLE_ROWS}"
        )
        with connect(database, f"looking up the keys of {target.candidate}", read_only=True) as con:
            con.execute("SET enable_profiling = 'no_output'")
            con.execute("""SET custom_profiling_settings = '{"OPERATOR_ROWS_SCANNED": "true", "EXTRA_INFO": "true"}'""")
            stored = con.execute(query).fetchall()
            scanned = _rows_scanned(json.loads(con.get_profiling_information(format="json")), target.published)
        logger.info(f"{target.published}: {key} of {target.partitions} looked up, {scanned} published rows scanned")
        if not stored:
            return []
        keys = "; ".join(f"{value!r} (stored in {column} {years})" for value, years, _ in stored)
        detail = (
            f"{stored[0][2]} {key}(s) of the new rows of {target.partitions} already stored in other partitions "
            f"of {target.published}: {keys}"
        )
        return [Finding("odcs_contract", f"every {key} lies in one partition", key, detail)]

    return _audit


def findings_frame(findings: Sequence[Finding]) -> pl.DataFrame:
    """Findings as a table (check, rule, column, detail)."""
    return pl.DataFrame(
        [vars(f) for f in findings],
        schema={"check": pl.String, "rule": pl.String, "column": pl.String, "detail": pl.String},
    )
