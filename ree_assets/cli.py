"""``python -m ree_assets.cli``: materialise jobs in-process and print a short summary.

Used by ``make run``: without ``--job`` it runs every job of the project in order, the yearly pulls
over all their years (each one run, the single-run backfill policy) and then the replications, and
stops at the first job that fails. ``--job`` (repeatable) runs only the named jobs, and
``--partition-range FIRST...LAST`` limits the pulls to those years. ``--fetch-only`` runs nothing:
it fetches every file the selection needs from its publisher (``sources/publishers.yaml``) into the
cache and prints what it fetched, skipped (already cached) and still lacks, and why. Progress is one line per step
with a counter and its time, a progress line for a step running longer than 10 s, warnings and
failures in full (``ree_assets.run_log``); the full Dagster log goes to a file under ``data/logs/``
whose path is printed. The summary at the end lists the assets materialised, the checks that passed,
the WARN checks that failed (reported, not fatal) and the ERROR checks and steps that failed (exit
status 1), and where the results are. Before the run it says which tables an interrupted earlier run
left unpublished.

The run is recorded in the Dagster instance of ``ree_assets.instance.instance_home``: the user's
``DAGSTER_HOME`` when set, else the project's ``<project>/.dagster_home`` (created when missing), the
one ``dg``, ``dagster`` and the UI use, so it shows in the UI's run history.
"""

import argparse
import contextlib
import os
import sys
from collections import Counter
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TextIO

import dagster as dg

from ree_assets.defs.resources import DataSource, duckdb_path, reports_dir
from ree_assets.instance import instance_home
from ree_assets.replication_report import REPORT_NAME
from ree_assets.sources.catalog import SourceSettings
from ree_assets.sources.publishers import load_registry
from ree_assets.storage import wap
from ree_assets.storage.lock import connect


def summarise(result: dg.ExecuteInProcessResult) -> tuple[list[str], list[str]]:
    """Lines describing a job's run, and the failures that make it fail (ERROR checks, steps)."""
    materialised = sorted({e.asset_key.to_user_string() for e in result.get_asset_materialization_events()})
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed_steps = sorted(e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE")

    def name(check) -> str:
        return f"{check.asset_key.to_user_string()}:{check.check_name}"

    errors = sorted(name(c) for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR)
    warnings = sorted(name(c) for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.WARN)
    tally = Counter("passed" if c.passed else "failed" for c in checks)
    lines = [
        f"run {'succeeded' if result.success and not errors else 'FAILED'}: {len(materialised)} assets materialised",
        f"checks: {tally['passed']} passed, {len(errors)} failed, {len(warnings)} warnings",
        *(f"  failed check {check}" for check in errors),
        *(f"  warning (not fatal) {check}" for check in warnings),
        *(f"  failed step {step}" for step in failed_steps),
    ]
    return lines, [*errors, *(f"step {step}" for step in failed_steps)]


def where_results_are() -> list[str]:
    """Where a user finds what the runs produced."""
    return [
        f"results: DuckDB {duckdb_path()} (schemas raw, staging, core, marts, results)",
        f"figures and tables: {reports_dir()}",
        *(f"replication report: {report}" for report in [reports_dir() / f"{REPORT_NAME}.html"] if report.is_file()),
    ]


def interrupted_versions(database: str) -> list[str]:
    """One line per table version an earlier, interrupted run staged but never published."""
    if not Path(database).exists():
        return []
    with connect(database, "looking for interrupted runs", read_only=True) as con:
        pending = wap.unpublished(con)
    return [
        f"  {row['target']}{' ' + row['partitions'] if row['partitions'] else ''} (asset {row['asset']}, "
        f"run {row['run_id']}, staged {row['recorded_at']:%Y-%m-%d %H:%M:%S})"
        for row in pending.iter_rows(named=True)
    ]


def log_file(job: str) -> Path:
    """Where the full Dagster log of a run goes: ``logs/<job>-<time>.log`` next to the database."""
    folder = Path(duckdb_path()).resolve().parent / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{job}-{datetime.now():%Y%m%d-%H%M%S}.log"


def partition_tags(job: dg.JobDefinition, partition_range: str | None) -> dict[str, str]:
    """The tags of one run over a range of a partitioned job's years (``first...last``; default all
    its partitions), what ``--partition-range`` launches for single-run backfill policies. An
    unpartitioned job gets none (it reads every stored year)."""
    if job.partitions_def is None:
        return {}
    keys = job.partitions_def.get_partition_keys()
    first, _, last = (partition_range or f"{keys[0]}...{keys[-1]}").partition("...")
    if first not in keys or last not in keys or keys.index(first) > keys.index(last):
        raise SystemExit(f"--partition-range {partition_range} is not within {job.name}'s years {keys[0]}...{keys[-1]}")
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def run_job(
    defs: dg.Definitions, name: str, partition_range: str | None, log: Path, printed: TextIO
) -> tuple[list[str], list[str]]:
    """Materialise one job in-process: the console shows its steps, the full Dagster log goes to
    ``log`` and whatever the steps print (to stdout or stderr) to its open stream ``printed``.
    Returns the job's summary lines and failures."""
    from ree_assets.run_log import with_run_loggers

    job, run_config = with_run_loggers(defs.resolve_job_def(name), str(log), console=sys.stdout)
    tags = partition_tags(job, partition_range)
    years = " over {}...{}".format(*tags.values()) if tags else ""
    print(f"running job {name}{years} (full log: {log})", flush=True)
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        result = job.execute_in_process(
            run_config=run_config, instance=dg.DagsterInstance.get(), tags=tags, raise_on_error=False
        )
    lines, failures = summarise(result)
    if not result.success and not failures:
        failures = ["the run failed"]
    return [f"{name}: {lines[0]}", *lines[1:]], failures


def selection_tables(defs: dg.Definitions, names: list[str]) -> set[str]:
    """The raw tables the jobs ``names`` materialise (the pulls and the tables of ``sources``)."""
    keys = {k.to_user_string() for name in names for k in defs.resolve_job_def(name).asset_layer.selected_asset_keys}
    return keys & {table for source in load_registry().sources.values() for table in source.tables}


def fetch_years(defs: dg.Definitions, names: list[str], partition_range: str | None) -> range:
    """The years to fetch: ``--partition-range FIRST...LAST``, else every year of the jobs'
    partitions (of all yearly pulls when none of the jobs is partitioned)."""
    if partition_range:
        first, _, last = partition_range.partition("...")
        if not (first.isdigit() and last.isdigit()) or int(first) > int(last):
            raise SystemExit(f"--partition-range {partition_range} is not FIRST...LAST, e.g. 2002...2018")
        return range(int(first), int(last) + 1)
    jobs = [defs.resolve_job_def(name) for name in names]
    defined = [job.partitions_def for job in jobs if job.partitions_def is not None] or [
        job.partitions_def for job in (defs.resolve_job_def(j.name) for j in defs.jobs or ()) if job.partitions_def
    ]
    years = [int(key) for partitions in defined for key in partitions.get_partition_keys()]
    return range(min(years), max(years) + 1)


def fetch_only(tables: set[str], years: range, settings: SourceSettings) -> tuple[list[str], bool]:
    """Fetch every file ``tables`` of ``years`` need into the cache (a progress bar per file on
    stderr) and describe each: fetched, skipped (already cached), absent (an optional user file) or still
    lacking and why. Returns the lines and whether nothing lacks."""
    from ree_assets.sources.download import tqdm_progress
    from ree_assets.sources.fetching import fetch_files

    with contextlib.ExitStack() as bars:
        outcomes = fetch_files(tables, years, settings, lambda label: bars.enter_context(tqdm_progress(label)))
    words = {"fetched": "fetched", "cached": "skipped (already cached)", "absent": "absent", "lacking": "LACKS"}
    lines = [
        f"{words[o.status]}: {o.path} ({o.source}){': ' + o.reason if o.reason else ''}"
        for status in ("fetched", "cached", "absent", "lacking")
        for o in outcomes
        if o.status == status
    ]
    tally = Counter(o.status for o in outcomes)
    lines.append(
        f"fetch-only: {tally['fetched']} fetched, {tally['cached']} skipped, {tally['absent']} optional absent, "
        f"{tally['lacking']} lacking "
        f"(cache {settings.cache_dir}, years {years.start}...{years.stop - 1})"
    )
    return lines, tally["lacking"] == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--job",
        action="append",
        help="job to materialise (repeatable, in order); default: every job of the project, the pulls "
        "over all their years first, then the replications",
    )
    parser.add_argument(
        "--partition-range",
        metavar="FIRST...LAST",
        help="years of the partitioned jobs, e.g. 2002...2018 (default: all their years)",
    )
    parser.add_argument(
        "--fetch-only",
        action="store_true",
        help="fetch every file the selected jobs need from its publisher into the cache (REE_CACHE_DIR), "
        "print what was fetched, skipped (cached) and still lacks, and run nothing",
    )
    parser.add_argument(
        "--base-url",
        action="append",
        default=[],
        metavar="PUBLISHER=URL",
        help="with --fetch-only: fetch a publisher's files from a mirror (its scheme and host replaced)",
    )
    args = parser.parse_args(argv)
    if args.fetch_only:
        from ree_assets.definitions import defs

        names = args.job or [job.name for job in defs.jobs or ()]
        mirrors = dict(item.split("=", 1) for item in args.base_url)
        settings = replace(DataSource(mode="download").settings(), base_urls=mirrors)
        lines, complete = fetch_only(
            selection_tables(defs, names), fetch_years(defs, names, args.partition_range), settings
        )
        print("\n".join(lines))
        return 0 if complete else 1

    pending = interrupted_versions(duckdb_path())
    if pending:
        print(
            "an earlier run was interrupted before it published these tables; they keep their previous "
            "contents and this run rebuilds them:\n" + "\n".join(pending)
        )

    os.environ["DAGSTER_HOME"] = str(instance_home())
    os.environ.setdefault("DBT_USE_COLORS", "false")  # dbt's output goes to the log file
    from ree_assets.definitions import defs

    names = args.job or [job.name for job in defs.jobs or ()]
    if args.partition_range and all(defs.resolve_job_def(name).partitions_def is None for name in names):
        parser.error(f"--partition-range applies to the partitioned pulls, and none of {', '.join(names)} is one")
    log = log_file(names[0] if len(names) == 1 else "ree_assets")
    summary: list[str] = []
    failures: list[str] = []
    with open(log, "a", buffering=1, encoding="utf-8") as printed:
        for position, name in enumerate(names):
            lines, failures = run_job(defs, name, args.partition_range, log, printed)
            summary += lines
            if failures:
                rest = names[position + 1 :]
                summary += [f"not run, as {name} failed: {', '.join(rest)}"] if rest else []
                break
    print("\n" + "\n".join([*summary, *where_results_are(), f"full log: {log}"]))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
