"""Write-audit-publish inside Dagster's DuckDB IO manager (``dagster_duckdb``,
``dagster_duckdb_polars``).

The library's ``DbIOManager`` finds where an output goes (a :class:`TableSlice`: the table named
by the asset key, the schema from the asset's ``schema`` metadata or the IO manager's default,
the partitions from ``partition_expr``), opens a connection through its ``DbClient``, clears the
slice (``delete_table_slice``) and hands the frame to the type handler of its type
(``DuckDBPolarsTypeHandler``), then adds the ``Query`` and ``dagster/table_name`` metadata; inputs
come back the same way. That dispatch is kept. Three parts of it cannot carry the project's
guarantees, and are overridden here:

- ``DuckDbClient.delete_table_slice`` deletes the slice from the *published* table before the new
  rows are written, in its own statement: a version that then fails its audit, or a crash in
  between, would leave the table without those rows. Here it deletes nothing; the slice is replaced
  when the audited version is published (``wap.publish``: delete and insert in one transaction).
- ``DuckDbClient.connect`` opens the file without the project's cross-process lock (it retries
  DuckDB's own lock ten times, then fails). Here it opens under the lock (``lock.connect``),
  read-only for inputs.
- ``DuckDBPolarsTypeHandler.handle_output`` appends the frame to the published table (it skips an
  empty frame, so an empty version would never meet the contract that refuses it); and its
  ``load_input`` selects a time-window partition with ``column >= '2002-01-01 00:00:00'``, which an
  integer ``year`` column (every partitioned table of the project) cannot be compared with. Here
  the handler stages the frame, empty or not, where nothing reads it (``wap.stage``) and reads
  partitions by their years.

Around the library's ``handle_output``, :class:`WapDbIOManager` refuses rows outside the written
partitions, audits the staged version (its ODCS contract, its Great Expectations suite, every
written year non-empty) and settles it: published only if no rule broke. A write of yearly
partitions is audited incrementally: the rules run on its new rows only, and what ties them to the
published rest is looked up by key (the patents an output's ``entity_column`` metadata names are
stored in no other partition, ``audit.partition_key_audit``; a cross-table rule looks up only the
values the write adds or removes), so storing a year does not re-audit the whole table. The outputs of one
multi-output step are published together, in one transaction, under one hold of the file's lock,
once the step's last required output is audited; if any breaks a rule, none is published. Dagster
hands an IO manager a step's outputs one at a time and never says which optional outputs are still
to come, so a step yields its optional outputs before its last required one (an optional output
yielded after it is published on its own), and versions a failed step leaves staged are withdrawn
when the next step stores an output or the run ends. Dagster records each output's
materialization when its ``handle_output`` returns: an output held for its step says so in its
``audit`` metadata, and if a later output of the step breaks a rule the error names it as not
published.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import duckdb
import polars as pl
from dagster._core.storage.db_io_manager import DbIOManager, TablePartitionDimension, TableSlice
from dagster_duckdb.io_manager import DuckDbClient
from dagster_duckdb_polars import DuckDBPolarsTypeHandler

from ree_assets.expectations import SUITES, cross_table_rules
from ree_assets.reporting import frame_markdown
from ree_assets.sources.contracts import contract_path, contract_schema
from ree_assets.storage import publish, wap
from ree_assets.storage.audit import Finding, contract_audit, coverage_audit, partition_key_audit, suite_audit
from ree_assets.storage.lock import connect, database_lock


def years_clause(column: str, years: range) -> str:
    """SQL selecting the rows of ``years`` by their integer year ``column``."""
    return f"{column} >= {years.start} AND {column} < {years.stop}"


def partition_predicate(dimensions: Sequence[TablePartitionDimension]) -> str | None:
    """SQL predicate selecting the rows of yearly partitions: ``column >= first year AND column <
    year after the last`` on each dimension's integer year column (``partition_expr``), or None
    when unpartitioned. Rows whose column is null never match."""
    clauses = []
    for dimension in dimensions:
        if not isinstance(dimension.partitions, dg.TimeWindow):
            raise ValueError(
                f"partition column {dimension.partition_expr}: only yearly (time-window) partitions are stored"
            )
        start, end = dimension.partitions
        clauses.append(years_clause(dimension.partition_expr, range(start.year, end.year)))
    return f"coalesce({' AND '.join(clauses)}, false)" if clauses else None


def years_target(target: wap.Target, column: str, years: range) -> wap.Target:
    """``target`` narrowed to the yearly partitions ``years`` (labelled ``2003...2003``)."""
    label = f"{years.start}...{years.stop - 1}"
    return wap.Target(target.schema, target.table, f"coalesce({years_clause(column, years)}, false)", label)


def halves(years: range) -> tuple[range, range]:
    """The first and the second half of a range of two years or more."""
    middle = years.start + len(years) // 2
    return range(years.start, middle), range(middle, years.stop)


def written_years(table_slice: TableSlice) -> range | None:
    """The years of a write of yearly partitions (None when unpartitioned)."""
    if not table_slice.partition_dimensions:
        return None
    start, end = table_slice.partition_dimensions[0].partitions
    return range(start.year, end.year)


def target_of(context: dg.OutputContext, table_slice: TableSlice) -> wap.Target:
    """Where an output is published: the slice's table and, for partitions, their predicate and
    label (``2002...2004``)."""
    predicate = partition_predicate(table_slice.partition_dimensions or [])
    keys = context.asset_partition_keys if predicate is not None else []
    return wap.Target(table_slice.schema, table_slice.table, predicate, f"{keys[0]}...{keys[-1]}" if keys else "")


def published_schema(table: str) -> str:
    """The schema ``table`` is published in (its contract's server schema)."""
    return contract_schema(contract_path(table))


def published_relation(table: str) -> str:
    """``schema.table`` of the published ``table``."""
    return f"{published_schema(table)}.{table}"


def table_audits(
    table: str,
    years: range | None = None,
    locate: Callable[[str], str | None] = published_relation,
    target: wap.Target | None = None,
) -> list[publish.Audit]:
    """The audits every version of ``table`` goes through: its contract, its Great Expectations
    suite and the rules tying it to another table, where it has them (every asset of the project
    has a contract, a test asserts it; a table you add without one is stored unaudited, and says
    so); ``years``: the yearly partitions written; ``locate``: where the other table of a
    cross-table rule is read (``audit.coverage_audit``; by default its published version);
    ``target``: where the version is published (a partitioned write is audited incrementally)."""
    audits: list[publish.Audit] = []
    if contract_path(table).is_file():
        audits.append(("odcs_contract", contract_audit(contract_path(table))))
    if table in SUITES:
        audits.append(("great_expectations", suite_audit(table, SUITES[table], years)))
    if rules := cross_table_rules(table):
        audits.append(("cross_table", coverage_audit(table, rules, locate, target)))
    return audits


def partition_audits(
    target: wap.Target, frame: pl.DataFrame, column: str, years: range, entity: str | None
) -> list[publish.Audit]:
    """The audits of a write of the yearly partitions ``years`` (of ``column``) beyond the table's
    own, which then read only the new rows: every written year has rows, and, when the table
    names an ``entity`` column (its ``entity_column`` metadata: a patent's id), no entity of the
    new rows is stored in another partition (``audit.partition_key_audit``)."""
    audits = [every_year_has_rows(frame, column, years)]
    if entity is not None:
        audits.append(("odcs_contract", partition_key_audit(target, entity, column)))
    return audits


def every_year_has_rows(frame: pl.DataFrame, column: str, years: range) -> publish.Audit:
    """The audit refusing a write of yearly partitions with a year that holds no row: an empty
    year is bad data, never a silent wipe of that year's stored rows."""
    present = set(frame.select(pl.col(column).cast(pl.Int64, strict=False)).to_series().to_list())
    empty = [year for year in years if year not in present]
    finding = Finding("odcs_contract", "every written partition has rows", column, f"no rows for year(s) {empty}")
    return ("odcs_contract", lambda *_: [finding] if empty else [])


def refuse_rows_outside(target: wap.Target, frame: pl.DataFrame) -> None:
    """Fail, before anything is written, on rows outside the written partitions."""
    outside = frame.sql(f"SELECT COUNT(*) AS n FROM self WHERE NOT ({target.predicate})").item()
    if outside:
        raise ValueError(
            f"{target.published}: {outside} rows fall outside the written "
            f"partitions ({target.predicate}); refusing to store them"
        )


class WapDuckDBClient(DuckDbClient):
    """The library's DuckDB client, under the file lock, deleting nothing before a write, and
    selecting partitions by their integer years."""

    @staticmethod
    def delete_table_slice(context: dg.OutputContext, table_slice: TableSlice, connection: Any) -> None:
        """Nothing: the published slice is replaced when its audited version is published, in one
        transaction with the new rows (``wap.publish``)."""

    @staticmethod
    def get_select_statement(table_slice: TableSlice) -> str:
        columns = ", ".join(table_slice.columns) if table_slice.columns else "*"
        predicate = partition_predicate(table_slice.partition_dimensions or [])
        where = f" WHERE {predicate}" if predicate else ""
        return f"SELECT {columns} FROM {table_slice.schema}.{table_slice.table}{where}"

    @staticmethod
    def get_table_name(table_slice: TableSlice) -> str:
        """``schema.table``: the file's path is no part of a table's name (the file can move)."""
        return f"{table_slice.schema}.{table_slice.table}"

    @staticmethod
    @contextmanager
    def connect(
        context: dg.OutputContext | dg.InputContext, table_slice: TableSlice
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        reading = isinstance(context, dg.InputContext)
        activity = f"{'reading' if reading else 'staging'} {table_slice.schema}.{table_slice.table}"
        config = context.resource_config["connection_config"]
        with connect(str(table_slice.database), activity, read_only=reading, config=config) as con:
            yield con


class WapPolarsTypeHandler(DuckDBPolarsTypeHandler):
    """The library's Polars handler, staging a frame instead of appending it to the table."""

    def handle_output(
        self, context: dg.OutputContext, table_slice: TableSlice, obj: pl.DataFrame, connection: Any
    ) -> Mapping[str, Any]:
        """Stage ``obj`` (empty or not) as the candidate version of the slice's table."""
        wap.stage(connection, target_of(context, table_slice), obj, run_id=context.run_id, asset=table_slice.table)
        return {
            "dagster/row_count": obj.height,
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(name, str(dtype)) for name, dtype in obj.schema.items()]
            ),
            "preview": frame_markdown(obj.head(10)),
        }

    def load_input(self, context: dg.InputContext, table_slice: TableSlice, connection: Any) -> pl.DataFrame:
        """The slice's published rows (none when the input selects no partition)."""
        if table_slice.partition_dimensions and not context.asset_partition_keys:
            return pl.DataFrame()
        return connection.execute(WapDuckDBClient.get_select_statement(table_slice)).pl()


def _required_outputs(context: dg.OutputContext) -> dict[str, str]:
    """The outputs of the context's step that will come to this IO manager (name -> the table of
    its asset): selected, required, neither ``Nothing`` nor an asset check's result, with the same
    IO manager key."""
    step = context.step_context
    layer = step.job_def.asset_layer
    manager = step.op_def.output_def_named(context.name).io_manager_key
    outputs = {}
    for output in step.step.step_outputs:
        definition = step.op_def.output_def_named(output.name)
        if (
            output.name in step.selected_output_names
            and not definition.optional
            and definition.io_manager_key == manager
            and not definition.dagster_type.is_nothing
            and layer.get_asset_check_key_for_node_output(step.node_handle, output.name) is None
        ):
            key = layer.get_asset_key_for_node_output(step.node_handle, output.name)
            outputs[output.name] = key.path[-1] if key is not None else output.name
    return outputs


@dataclass(frozen=True)
class Written:
    """An output's rows and where they go, kept until its step is settled: a write of several
    years that breaks a rule is settled again year by year."""

    target: wap.Target
    frame: pl.DataFrame
    column: str | None  # the partition column
    entity: str | None  # the column whose values each lie in one partition


@dataclass
class StepVersions:
    """The versions one step has staged and not yet settled, and the hold of the file's lock
    that keeps other processes out until they are."""

    step_key: str
    run_id: str
    required: dict[str, str]  # output name -> table
    handled: set[str] = field(default_factory=set)
    staged: list[wap.Staged] = field(default_factory=list)
    audited: list[publish.Version] = field(default_factory=list)
    written: list[Written] = field(default_factory=list)
    hold: ExitStack = field(default_factory=ExitStack)

    def locate(self, table: str) -> str | None:
        """Where the audit of a cross-table rule reads ``table``: the version staged by this step
        (the whole table as it will be), none while the step is still to write it (its own audit
        checks the rule), else the published one."""
        staged = next((target for target, _ in self.staged if target.table == table), None)
        if staged is not None:
            return staged.whole
        to_come = {name for output, name in self.required.items() if output not in self.handled}
        return None if table in to_come else published_relation(table)

    def audits(self, target: wap.Target, written: Written, years: range | None) -> list[publish.Audit]:
        """The audits of the version of ``target`` written by this step (of ``years``)."""
        audits = table_audits(target.table, years, self.locate, target)
        if years is not None and written.column is not None:
            audits += partition_audits(target, written.frame, written.column, years, written.entity)
        return audits

    def forget(self) -> None:
        """Drop the versions (settled or withdrawn) and release the lock."""
        self.staged.clear()
        self.audited.clear()
        self.written.clear()
        self.hold.close()


class WapDbIOManager(DbIOManager):
    """The library's ``DbIOManager`` storing each output by write-audit-publish (module docstring)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._step: StepVersions | None = None

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        table_slice = self._get_table_slice(context, context)
        target, years = target_of(context, table_slice), written_years(table_slice)
        column = str(table_slice.partition_dimensions[0].partition_expr) if years is not None else None
        written = Written(target, obj, column, (context.definition_metadata or {}).get("entity_column"))
        source = (context.output_metadata or {}).get("source_files")
        step = self._versions_of(context)
        audits = step.audits(target, written, years)
        try:
            if years is not None:
                refuse_rows_outside(target, obj)
            if not step.staged:  # the first version of a batch: hold the file until the batch is settled
                step.hold.enter_context(
                    database_lock(
                        self._database, f"storing the outputs of {context.step_key} (run {context.run_id[:8]})"
                    )
                )
            super().handle_output(context, obj)
            step.staged.append((target, target.table))
            results = publish.audit(self._database, target, audits)
        except BaseException:
            self.withdraw(f"storing {target.published} failed", context.log)
            raise
        version = publish.Version(target, target.table, results, str(getattr(source, "value", source or "")))
        step.audited.append(version)
        step.written.append(written)
        step.handled.add(context.name)
        by_years = years is not None and len(years) > 1  # a version breaking a rule waits for the step's others
        held = not step.required.keys() <= step.handled and (not version.findings or by_years)
        if not held:
            try:
                if by_years and any(v.findings for v in step.audited):
                    self._settle_by_years(step, years, context.log)
                else:
                    publish.settle(self._database, step.audited, run_id=context.run_id)
            finally:
                step.forget()
        checks = ", ".join(dict.fromkeys(check for check, _ in audits))
        if version.findings:
            note = (
                f"; broke a rule in {target.partitions}: its years are settled one by one with the step's last output"
            )
        else:
            note = "; published when the step's last output passes its audit" if held else ""
        context.add_output_metadata(
            {
                "audit": (f"passed: {checks}" if audits else "none: no contract in data_contracts/ (stored unaudited)")
                + note
            }
        )

    def _settle_by_years(self, step: StepVersions, years: range, log: logging.Logger) -> None:
        """Settle the versions of a step's write of several ``years``, one of which broke a rule,
        part by part: each half of the years is staged, audited and published (every table of the
        step, in one transaction) if it breaks no rule, else halved again down to single years; a
        failed year keeps every table's previous rows. Raises :class:`publish.YearsFailed` naming
        the years not published and those published."""
        written, sources = list(step.written), {v.target.table: v.source for v in step.audited}
        label = step.audited[0].target.partitions
        reason = f"{label} breaks a rule: its years are settled one by one"
        publish.withdraw(self._database, step.staged, run_id=step.run_id, reason=reason)
        step.staged.clear()
        published: list[str] = []
        failed: list[publish.AuditFailed] = []
        parts = list(halves(years))
        try:
            while parts:
                part = parts.pop(0)
                error = self._settle_part(step, written, sources, part)
                if error is None:
                    published.append(f"{part.start}...{part.stop - 1}")
                elif len(part) == 1:
                    failed.append(error)
                else:
                    parts[:0] = halves(part)
        except BaseException:
            self.withdraw(f"settling {label} year by year failed", log)
            raise
        log.info(f"{label} settled year by year: published {', '.join(published) or 'none'}")
        if failed:
            raise publish.YearsFailed(failed, published)

    def _settle_part(
        self, step: StepVersions, written: Sequence[Written], sources: Mapping[str, str], part: range
    ) -> publish.AuditFailed | None:
        """Stage, audit and settle the rows of the years ``part`` of every output ``written``:
        None when published, else why not."""
        versions = []
        for output in written:
            column = str(output.column)
            target = years_target(output.target, column, part)
            rows = output.frame.filter(pl.col(column).is_between(part.start, part.stop - 1))
            publish.stage(self._database, target, rows, run_id=step.run_id, asset=target.table)
            step.staged.append((target, target.table))
            results = publish.audit(
                self._database, target, step.audits(target, Written(target, rows, column, output.entity), part)
            )
            versions.append(publish.Version(target, target.table, results, sources[target.table]))
        try:
            publish.settle(self._database, versions, run_id=step.run_id)
        except publish.AuditFailed as error:
            return error
        finally:
            step.staged.clear()
        return None

    def _versions_of(self, context: dg.OutputContext) -> StepVersions:
        """The unsettled versions of the context's step (a previous step's are withdrawn: that
        step failed before its last output)."""
        step = self._step
        if step is None or (step.step_key, step.run_id) != (context.step_key, context.run_id):
            if step is not None:
                self.withdraw(f"step {step.step_key} ended before its last required output", context.log)
            step = self._step = StepVersions(context.step_key, context.run_id, _required_outputs(context))
        return step

    def withdraw(self, reason: str, log: logging.Logger | None) -> None:
        """Reject the versions staged and not settled (their step failed), saying so in ``log``,
        and release the lock."""
        step = self._step
        if step is None:
            return
        try:
            if step.staged:
                publish.withdraw(self._database, step.staged, run_id=step.run_id, reason=reason)
                if log is not None:
                    tables = ", ".join(target.published for target, _ in step.staged)
                    log.warning(f"NOT published, staged versions withdrawn: {tables} ({reason})")
        finally:
            step.forget()
