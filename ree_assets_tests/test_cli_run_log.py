"""``python -m ree_assets.cli`` end to end on a tiny job: one console line per step with a counter,
progress for a long step, warnings and failures in full, no DEBUG lines; the full log (and what
steps print) in the file whose path is printed; the run recorded in the project's instance."""

import re
import time

import dagster as dg
import pytest

from ree_assets import cli, run_log


@dg.asset
def first():
    print("printed by a step")  # goes to the log file, not the console
    return 1


@dg.asset
def slow(first):
    time.sleep(0.5)
    return first


@dg.asset
def doubtful(context: dg.AssetExecutionContext, first):
    context.log.warning("this looks doubtful")
    return first


@dg.asset(check_specs=[dg.AssetCheckSpec("is_positive", asset="checked")])
def checked(first):
    yield dg.Output(-first)
    yield dg.AssetCheckResult(check_name="is_positive", passed=False, description="value -1 is negative")


@dg.asset
def broken(slow):
    raise ValueError("broken on purpose: column x")


@pytest.fixture
def tiny_project(tmp_path, monkeypatch):
    """The CLI pointed at a tiny job, a temporary database folder and a temporary instance."""
    from ree_assets import definitions

    job = dg.define_asset_job("tiny", selection=dg.AssetSelection.assets(first, slow, doubtful, checked, broken))
    monkeypatch.setattr(
        definitions,
        "defs",
        dg.Definitions(assets=[first, slow, doubtful, checked, broken], jobs=[job], executor=dg.in_process_executor),
    )
    (tmp_path / "home").mkdir()  # the user's own instance (an empty one: Dagster's defaults)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REE_DUCKDB_PATH", str(tmp_path / "data" / "ree.duckdb"))
    monkeypatch.setattr(run_log, "PROGRESS_EVERY", 0.1)
    return tmp_path


def test_the_console_shows_steps_warnings_and_failures_and_the_file_everything(tiny_project, capsys):
    with pytest.warns(UserWarning, match="is your instance, not the project's: runs are recorded there"):
        assert cli.main(["--job", "tiny"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^\[1/5\] first \d+\.\d s$", out, re.M), out
    assert re.search(r"^\[\d/5\] slow \d+\.\d s$", out, re.M) and "slow still running" in out
    assert "warning: this looks doubtful" in out
    assert "check ERROR failed: checked:is_positive: value -1 is negative" in out
    assert re.search(r"^\[\d/5\] broken FAILED after", out, re.M) and "broken on purpose: column x" in out
    assert "DEBUG" not in out and "STEP_START" not in out and "printed by a step" not in out
    assert "  failed step broken" in out and out.rstrip().splitlines()[0].startswith("running job tiny")
    log = re.search(r"^full log: (.+)$", out, re.M).group(1)
    assert log.startswith(str(tiny_project / "data" / "logs"))
    text = open(log).read()
    assert "STEP_START" in text and "DEBUG" in text and "printed by a step" in text
    runs = dg.DagsterInstance.get().get_run_records()
    assert [r.dagster_run.job_name for r in runs] == ["tiny"]
