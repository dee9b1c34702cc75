"""Runs on one DuckDB file from several processes: the second waits for the first, a holder is
named when the wait times out, and a run killed with SIGKILL (in a Python step or while dbt runs)
leaves every table wholly old or wholly new, no process of its own behind, tells the user what it
did not publish, and a re-run completes."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import dagster as dg
import polars as pl
import psutil
import pytest

from ree_assets import cli
from ree_assets.defs.dbt import DBT_CHILD
from ree_assets.sources.embedded import ree_defaults
from ree_assets.storage.lock import DatabaseBusyError, database_lock, holder_path
from ree_assets_tests.conftest import PRICE_SPIKE_ASSETS
from ree_assets_tests.helpers import fingerprint, materialize, small_world, store

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

ORPHAN = textwrap.dedent("""
    import subprocess, sys, time
    from ree_assets.storage.lock import child_process, database_lock
    with database_lock(sys.argv[1], "running a child for a test"):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(4)"])
        with child_process(sys.argv[1], child.pid):
            print(child.pid, flush=True)
            time.sleep(60)
""")

#: A step starting dbt as ``defs/dbt.py`` does (the launcher as its executable), with ``sleep`` for
#: dbt: a child that, like dbt busy in a query, writes nothing, so no broken pipe would end it.
STEP = textwrap.dedent("""
    import os, subprocess, sys
    os.environ.update(REE_DBT_EXECUTABLE="sleep", REE_DBT_PARENT=str(os.getpid()))
    child = subprocess.Popen([sys.argv[1], "60"])
    print(child.pid, flush=True)
    child.wait()
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


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended: every thread of it gone or a zombie (Linux), so it holds
    no file; a killed process's main thread can be a zombie while another still closes files."""
    try:
        return all(psutil.Process(int(tid)).status() == psutil.STATUS_ZOMBIE for tid in os.listdir(f"/proc/{pid}/task"))
    except (OSError, psutil.NoSuchProcess):
        return True


def test_the_next_holder_waits_for_the_children_a_dead_holder_left(tmp_path):
    """A holder killed while its child (here a plain sleep, which does not die with it) works on
    the file: the next holder waits for the child to end, or names it when the wait times out."""
    database = str(tmp_path / "ree.duckdb")
    holder = _python(ORPHAN, database, stdout=subprocess.PIPE, text=True)
    child = int(holder.stdout.readline())
    holder.kill()
    holder.wait()
    with pytest.raises(DatabaseBusyError) as busy, database_lock(database, "a writer in a hurry", timeout=0.5):
        pass
    assert f"process {child}" in str(busy.value) and f"pid {holder.pid}" in str(busy.value)
    with database_lock(database, "a patient writer", timeout=60):
        assert _gone(child)


@pytest.mark.skipif(sys.platform != "linux", reason="a child dies with its parent through Linux's PR_SET_PDEATHSIG")
def test_dbt_dies_with_the_step_that_started_it():
    step = _python(STEP, str(DBT_CHILD), stdout=subprocess.PIPE, text=True)
    child = psutil.Process(int(step.stdout.readline()))
    deadline = time.monotonic() + 30
    while child.cmdline()[:1] != ["sleep"] and time.monotonic() < deadline:  # the launcher has become dbt
        time.sleep(0.01)
    assert child.cmdline() == ["sleep", "60"]
    step.kill()
    step.wait()
    deadline = time.monotonic() + 5
    while not _gone(child.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _gone(child.pid)


def _dbt_with_the_file_open(run: subprocess.Popen, database: str, timeout: float = 300) -> psutil.Process:
    """The dbt process under ``run`` once it has opened the DuckDB file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.poll() is None:
        for child in psutil.Process(run.pid).children(recursive=True):
            try:
                if any(file.path == database for file in child.open_files()):
                    return child
            except psutil.Error:
                continue
        time.sleep(0.05)
    raise AssertionError("dbt never opened the database")


@pytest.mark.skipif(sys.platform != "linux", reason="a child dies with its parent through Linux's PR_SET_PDEATHSIG")
def test_a_run_killed_while_dbt_builds_leaves_no_dbt_and_is_reported(tmp_path, price_spike_database):
    """kill -9 of a run while its dbt child builds: dbt dies with it, nothing is published, the
    staged dbt models are reported as unpublished, and the next run at once completes."""
    database = tmp_path / "ree.duckdb"
    shutil.copy(price_spike_database, database)
    spikes = fingerprint(database, "marts.ree_price_spikes")
    doubled = ree_defaults.ree_prices().with_columns(pl.col("price_usd_per_kg") * 2)
    store(database, "raw", "ree_prices", doubled)  # a dbt run that finished would change the mart
    models = PRICE_SPIKE_ASSETS[2:]

    run = _python(RUN, str(database), "7", *models, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    dbt = _dbt_with_the_file_open(run, str(database))
    os.kill(run.pid, signal.SIGKILL)
    run.wait()

    deadline = time.monotonic() + 10
    while not _gone(dbt.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(dbt.pid), f"dbt (pid {dbt.pid}) outlived its run"
    assert fingerprint(database, "marts.ree_price_spikes") == spikes
    reported = sorted(line.split()[0] for line in cli.interrupted_versions(str(database)))
    assert reported == ["marts.ree_price_spikes", "staging.stg_raw__ree_complementarity", "staging.stg_raw__ree_prices"]

    assert materialize(database, dg.AssetSelection.assets(*models)).success
    assert fingerprint(database, "marts.ree_price_spikes") != spikes
    assert cli.interrupted_versions(str(database)) == []
