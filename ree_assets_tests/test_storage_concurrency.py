"""Runs on one DuckDB file from several processes: the second waits for the first, a holder is
named when the wait times out, and a run killed with SIGKILL leaves every table wholly old or
wholly new, tells the user what it did not publish, and a re-run completes."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import dagster as dg
import pytest

from ree_assets import cli
from ree_assets.storage.lock import DatabaseBusyError, database_lock, holder_path
from ree_assets_tests.helpers import fingerprint, materialize, small_world

pytestmark = pytest.mark.slow

RAW = ("ree_prices", "ree_complementarity", "ree_imports", "ree_end_use")

RUN = textwrap.dedent("""
    import sys
    import dagster as dg
    from ree_assets_tests.helpers import materialize, small_world
    result = materialize(sys.argv[1], dg.AssetSelection.assets(*sys.argv[3:]), small_world(seed=int(sys.argv[2])))
    sys.exit(0 if result.success else 1)
""")

HOLD = textwrap.dedent("""
    import sys, time
    from ree_assets.storage.lock import database_lock
    with database_lock(sys.argv[1], "holding the file for a test"):
        print("held", flush=True)
        time.sleep(60)
""")


def _python(script: str, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
    return subprocess.Popen([sys.executable, "-c", script, *args], env=env, **kwargs)


def test_a_timed_out_wait_names_the_holder(tmp_path):
    database = str(tmp_path / "ree.duckdb")
    holder = _python(HOLD, database, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DatabaseBusyError) as busy, database_lock(database, "a second writer", timeout=1):
            pass
        message = str(busy.value)
        assert f"pid {holder.pid}" in message and "holding the file for a test" in message and database in message
    finally:
        holder.kill()
        holder.wait()
    with database_lock(database, "after the holder died", timeout=5):  # the kernel released it
        pass


def test_two_runs_at_once_both_complete(tmp_path):
    database = str(tmp_path / "ree.duckdb")
    runs = [
        _python(RUN, database, "20100701", *RAW, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL) for _ in range(2)
    ]
    assert [run.wait(timeout=600) for run in runs] == [0, 0]
    assert all(fingerprint(tmp_path / "ree.duckdb", f"raw.{table}")[0] > 0 for table in RAW)


def _wait_for_activity(database: str, prefix: str, process: subprocess.Popen, timeout: float = 300) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            activity = json.loads(holder_path(database).read_text())["activity"]
        except (OSError, ValueError, KeyError):
            activity = ""
        if activity.startswith(prefix):
            return activity
        time.sleep(0.005)
    raise AssertionError(f"the run never reached {prefix!r}")


def test_a_killed_run_leaves_whole_tables_and_is_reported(tmp_path):
    database = tmp_path / "ree.duckdb"
    assert materialize(database, dg.AssetSelection.assets(*RAW)).success
    old = {table: fingerprint(database, f"raw.{table}") for table in RAW}

    run = _python(RUN, str(database), "7", *RAW, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    interrupted = _wait_for_activity(str(database), "auditing raw.", run).removeprefix("auditing ")
    os.kill(run.pid, signal.SIGKILL)
    run.wait()

    after_kill = {table: fingerprint(database, f"raw.{table}") for table in RAW}  # the file opens
    assert after_kill[interrupted.removeprefix("raw.")] == old[interrupted.removeprefix("raw.")]
    report = cli.interrupted_versions(str(database))
    assert len(report) == 1 and report[0].startswith(f"  {interrupted} ")

    assert materialize(database, dg.AssetSelection.assets(*RAW), small_world(seed=7)).success
    new = {table: fingerprint(database, f"raw.{table}") for table in RAW}
    assert all(after_kill[table] in (old[table], new[table]) for table in RAW)  # wholly old or wholly new
    assert new != old and cli.interrupted_versions(str(database)) == []


def test_a_contract_that_cannot_open_the_database_reports_it(tmp_path):
    """Another program (not this project) holds the file open for writing: the contract test
    says it could not open the database; it neither crashes nor passes."""
    from ree_assets.sources.contracts import contract_path
    from ree_assets.storage.audit import run_contract

    database = str(tmp_path / "ree.duckdb")
    other = _python(
        "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); print('open', flush=True); time.sleep(60)",
        database,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout.readline().strip() == "open"
        findings = run_contract(contract_path("ree_prices"), database)
    finally:
        other.kill()
        other.wait()
    assert findings and all(f.check == "odcs_contract" for f in findings)
    assert any("could not" in f.detail.lower() and "lock" in f.detail.lower() for f in findings), findings
