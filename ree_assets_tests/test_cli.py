"""The CLI's summary and exit status: WARN checks are reported and never fatal; every failed
ERROR check and step is listed and fails the run."""

import dagster as dg
import polars as pl
import pytest

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
    from ree_assets.storage.lock import connect

    database = str(tmp_path / "ree.duckdb")
    with connect(database, "test") as con:
        wap.stage(con, wap.Target("raw", "ree_prices"), pl.DataFrame({"x": [1]}), run_id="abc123", asset="ree_prices")
    assert cli.interrupted_versions(database)[0].startswith("  raw.ree_prices (asset ree_prices, run abc123")


def test_a_partitioned_job_runs_over_all_its_years_or_the_range_asked():
    from ree_assets.definitions import defs

    refresh_trade, replicate_afsv = defs.resolve_job_def("refresh_trade"), defs.resolve_job_def("replicate_afsv")
    assert list(cli.partition_tags(refresh_trade, None).values()) == ["2002", "2018"]
    assert list(cli.partition_tags(refresh_trade, "2016...2017").values()) == ["2016", "2017"]
    assert cli.partition_tags(replicate_afsv, None) == {}
    for bad in ("2001...2018", "2018...2016", "2016"):
        with pytest.raises(SystemExit, match="not within refresh_trade's years 2002...2018"):
            cli.partition_tags(refresh_trade, bad)
    assert cli.partition_tags(replicate_afsv, "2016...2017") == {}


def test_a_range_for_unpartitioned_jobs_only_is_refused(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--job", "replicate_fvd", "--partition-range", "2016...2017"])
    assert "none of replicate_fvd is one" in capsys.readouterr().err


def test_the_jobs_run_the_pulls_first_and_replicate_afsv_holds_the_whole_chain():
    from ree_assets.definitions import defs

    assert [job.name for job in defs.jobs] == ["refresh_patents", "refresh_trade", "replicate_afsv", "replicate_fvd"]
    graph = defs.resolve_asset_graph()
    afsv = {key.to_user_string() for key in defs.resolve_job_def("replicate_afsv").asset_layer.selected_asset_keys}
    assert {"ree_sensitivity", "patents_classified", "patent_panel", "fct_patent_did_panel", "did_patents"} <= afsv
    assert {"ree_elasticities", "ge_tax_sweep", "event_study_export_growth"} <= afsv
    assert not [key for key in afsv if graph.get(dg.AssetKey(key)).partitions_def is not None]


def test_the_summary_points_at_the_replication_report_once_it_exists(tmp_path, monkeypatch):
    monkeypatch.setenv("REE_DUCKDB_PATH", str(tmp_path / "ree.duckdb"))
    report = tmp_path / "reports" / "replication_report.html"
    assert not any(line.startswith("replication report") for line in cli.where_results_are())
    report.parent.mkdir()
    report.write_text("<html></html>")
    assert cli.where_results_are()[-1] == f"replication report: {report}"
