"""``python -m ree_assets.cli``: materialise a job in-process and print a short summary.

Used by ``make run``. Progress is one line per step with a counter and its time, a progress line
for a step running longer than 10 s, warnings and failures in full (``ree_assets.run_log``); the
full Dagster log goes to a file under ``data/logs/`` whose path is printed. The summary at the end
lists the assets materialised, the checks that passed, the WARN checks that failed (reported,
not fatal) and the ERROR checks and steps that failed (exit status 1), and where the results
are. Before the run it says which tables an interrupted earlier run left unpublished.

The run is recorded in the project's Dagster instance (``DAGSTER_HOME``, default
``<project>/.dagster_home``, the one ``.env`` gives ``dagster``/``dg`` commands and the UI), so it
shows in the UI's run history.
"""

import argparse
import contextlib
import os
import shutil
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import dagster as dg

from ree_assets.defs.resources import PROJECT_ROOT, duckdb_path, reports_dir
from ree_assets.storage import wap
from ree_assets.storage.publish import connect


def summarise(result: dg.ExecuteInProcessResult) -> tuple[list[str], list[str]]:
    """Lines describing the run, and the failures that make it fail (ERROR checks, steps)."""
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
        f"results: DuckDB {duckdb_path()} (schemas raw, staging, core, marts, results)",
        f"figures and tables: {reports_dir()}",
    ]
    return lines, [*errors, *(f"step {step}" for step in failed_steps)]


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


def instance_home() -> Path:
    """The Dagster instance of the project: ``DAGSTER_HOME`` if set, else ``<project>/.dagster_home``
    (what the project's ``.env`` sets), created with the project's ``dagster_home/dagster.yaml``
    (concurrency pools, telemetry off) when missing."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return home


def log_file(job: str) -> Path:
    """Where the full Dagster log of a run goes: ``logs/<job>-<time>.log`` next to the database."""
    folder = Path(duckdb_path()).resolve().parent / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{job}-{datetime.now():%Y%m%d-%H%M%S}.log"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--job", default="replicate_afsv", help="job to materialise")
    args = parser.parse_args(argv)

    pending = interrupted_versions(duckdb_path())
    if pending:
        print(
            "an earlier run was interrupted before it published these tables; they keep their previous "
            "contents and this run rebuilds them:\n" + "\n".join(pending)
        )

    os.environ["DAGSTER_HOME"] = str(instance_home())
    os.environ.setdefault("DBT_USE_COLORS", "false")  # dbt's output goes to the log file
    from ree_assets.definitions import defs
    from ree_assets.run_log import with_run_loggers

    log = log_file(args.job)
    job, run_config = with_run_loggers(defs.resolve_job_def(args.job), str(log), console=sys.stdout)
    print(f"running job {args.job} (full log: {log})", flush=True)
    with open(log, "a", buffering=1, encoding="utf-8") as printed, contextlib.redirect_stdout(printed):
        result = job.execute_in_process(run_config=run_config, instance=dg.DagsterInstance.get(), raise_on_error=False)
    lines, failures = summarise(result)
    print("\n" + "\n".join([*lines, f"full log: {log}"]))
    return 0 if result.success and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
