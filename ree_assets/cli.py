"""``python -m ree_assets.cli``: materialise a job in-process and print a short summary.

Used by ``make run``. Progress is Dagster's own log (one line per step); the summary at the end
lists the assets materialised, the checks that passed and failed, and where the results are.
"""

import argparse
import sys
from collections import Counter

import dagster as dg

from ree_assets.defs.resources import duckdb_path, reports_dir


def summarise(result: dg.ExecuteInProcessResult) -> tuple[list[str], list[str]]:
    """Lines describing the run, and the names of the failed checks."""
    materialised = sorted({e.asset_key.to_user_string() for e in result.get_asset_materialization_events()})
    checks = [e.event_specific_data for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed = sorted(f"{c.asset_key.to_user_string()}:{c.check_name}" for c in checks if not c.passed)
    tally = Counter("passed" if c.passed else "failed" for c in checks)
    lines = [
        f"run {'succeeded' if result.success else 'FAILED'}: {len(materialised)} assets materialised",
        f"checks: {tally['passed']} passed, {tally['failed']} failed",
        *(f"  failed check {name}" for name in failed),
        f"results: DuckDB {duckdb_path()} (schemas raw, staging, core, marts, results)",
        f"figures and tables: {reports_dir()}",
    ]
    return lines, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--job", default="replicate_afsv", help="job to materialise")
    args = parser.parse_args(argv)

    from ree_assets.definitions import defs

    result = defs.get_job_def(args.job).execute_in_process(instance=dg.DagsterInstance.get(), raise_on_error=False)
    lines, failed = summarise(result)
    print("\n" + "\n".join(lines))
    return 0 if result.success and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
