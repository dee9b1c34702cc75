"""Which Dagster instance the project's commands use (``ree_assets.instance``): the user's
``DAGSTER_HOME`` when set, else the project's ``.dagster_home``, created when missing; no usage data
in the home folder; ``make clean`` never deletes an instance the project did not create."""

import subprocess
from pathlib import Path

import pytest
from dotenv import dotenv_values

from ree_assets import instance
from ree_assets_tests.fresh_clone import clone_env, fresh_clone

pytestmark = pytest.mark.slow


@pytest.fixture
def clone(tmp_path) -> Path:
    return fresh_clone(tmp_path / "ree_assets")


def dagster_home_of(clone: Path, home: Path, **env: str) -> str:
    """The instance ``.venv/bin/dagster instance info`` reports in ``clone`` (home folder ``home``)."""
    done = subprocess.run(
        [".venv/bin/dagster", "instance", "info"],
        cwd=clone,
        env=clone_env(clone, HOME=str(home), **env),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "Welcome to Dagster" not in done.stderr, done.stderr  # the telemetry banner
    return next(line for line in done.stdout.splitlines() if line.startswith("$DAGSTER_HOME: ")).split(": ", 1)[1]


def test_the_users_instance_wins_else_the_projects_is_created_and_no_usage_data_is_kept(clone, tmp_path):
    home, mine = tmp_path / "home", tmp_path / "mine"
    home.mkdir(), mine.mkdir()
    assert dagster_home_of(clone, home, DAGSTER_HOME=str(mine)) == str(mine)
    assert not (clone / ".dagster_home").exists() and not (mine / "dagster.yaml").exists()
    assert dagster_home_of(clone, home) == str(clone / ".dagster_home")  # a fresh clone: none yet
    assert "telemetry:\n  enabled: false" in (clone / ".dagster_home" / "dagster.yaml").read_text()
    assert list(home.iterdir()) == []  # no ~/.dagster/.telemetry, no ~/.dagster/logs/event.log


def test_make_clean_never_deletes_an_instance_the_project_did_not_create(clone, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    (clone / ".dagster_home").mkdir()
    subprocess.run(["make", "clean"], cwd=clone, env=clone_env(clone, DAGSTER_HOME=str(mine)), check=True, timeout=60)
    assert (mine / "dagster.yaml").is_file() and not (clone / ".dagster_home").exists()


def test_the_env_file_leaves_dagster_home_to_the_user():
    assert "DAGSTER_HOME" not in dotenv_values(instance.PROJECT_ROOT / ".env")


def test_the_cli_instance_is_the_users_else_the_projects(tmp_path, monkeypatch):
    (tmp_path / "dagster_home").mkdir()
    (tmp_path / "dagster_home" / "dagster.yaml").write_text("concurrency:\n  pools:\n    default_limit: 1\n")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert instance.instance_home(tmp_path) == tmp_path / ".dagster_home"
    assert (tmp_path / ".dagster_home" / "dagster.yaml").read_text() == "concurrency:\n  pools:\n    default_limit: 1\n"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "missing"))
    with pytest.raises(SystemExit, match="missing does not exist: create it .* or unset DAGSTER_HOME"):
        instance.instance_home(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    assert instance.instance_home(tmp_path) == tmp_path / "dagster_home"  # its pools are limited: no warning


def test_a_foreign_instance_without_the_duckdb_pool_limit_is_named_in_a_warning(tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    assert "theirs is your instance, not the project's" in instance.foreign_instance_warning(theirs, tmp_path)
    (theirs / "dagster.yaml").write_text("concurrency:\n  pools:\n    default_limit: 1\n")
    assert instance.foreign_instance_warning(theirs, tmp_path) is None
    (tmp_path / ".dagster_home").mkdir()
    assert instance.foreign_instance_warning(tmp_path / ".dagster_home", tmp_path) is None
