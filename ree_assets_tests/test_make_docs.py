"""``make docs`` builds the dbt docs with the project's dbt, the contracts' column descriptions
included, and says where to open them."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ree_assets.sources.contracts import contract_column_docs

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def test_make_docs_builds_the_dbt_docs_and_says_where_they_are(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "Makefile", project)
    shutil.copy(ROOT / "pyproject.toml", project)
    shutil.copytree(ROOT / "dbt", project / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    (project / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    database = tmp_path / "data" / "ree.duckdb"
    env = {**os.environ, "REE_DUCKDB_PATH": str(database)}
    # -o: the environment is this one, installed; never re-install it from the copy
    done = subprocess.run(
        ["make", "-o", ".venv/.installed", "docs"], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dbt/target/static_index.html" in done.stdout
    assert "cd dbt && ../.venv/dbt/bin/dbt docs serve --profiles-dir ." in done.stdout
    target = project / "dbt" / "target"
    assert (target / "static_index.html").is_file() and (target / "catalog.json").is_file()
    manifest = json.loads((target / "manifest.json").read_text())
    columns = manifest["nodes"]["model.ree.patent_panel"]["columns"]
    assert {name: column["description"] for name, column in columns.items()} == {
        c.name: c.description for c in contract_column_docs("patent_panel")
    }
