"""The CLI's summary and exit status: WARN checks are reported and never fatal; every failed
ERROR check and step is listed and fails the run."""

import dagster as dg
import polars as pl

from ree_assets import cli


@dg.asset(check_specs=[dg.AssetCheckSpec("looks_odd", asset="warned", description="a warning")])
def warned():
    yield dg.Output(1)
    yield dg.AssetCheckResult(check_name="looks_odd", passed=False, severity=dg.AssetCheckSeverity.WARN)


@dg.asset(check_specs=[dg.AssetCheckSpec("is_right", asset="broken")])
def broken():
    yield dg.Output(1)
    yield dg.AssetCheckResult(check_name="is_right", passed=False)


def test_warn_checks_are_reported_but_not_fatal():
    lines, failures = cli.summarise(dg.materialize([warned], raise_on_error=False))
    assert failures == []
    assert "checks: 0 passed, 0 failed, 1 warnings" in lines
    assert "  warning (not fatal) warned:looks_odd" in lines


def test_error_checks_are_listed_and_fail_the_run():
    lines, failures = cli.summarise(dg.materialize([warned, broken], raise_on_error=False))
    assert failures == ["broken:is_right"]
    assert lines[0].startswith("run FAILED") and "  failed check broken:is_right" in lines


def test_an_interrupted_run_is_reported(tmp_path):
    from ree_assets.storage import wap
    from ree_assets.storage.publish import connect

    database = str(tmp_path / "ree.duckdb")
    with connect(database, "test") as con:
        wap.stage(con, wap.Target("raw", "ree_prices"), pl.DataFrame({"x": [1]}), run_id="abc123", asset="ree_prices")
    assert cli.interrupted_versions(database)[0].startswith("  raw.ree_prices (asset ree_prices, run abc123")
