"""The real-data fixture: skipped on a developer's machine without ../shared/data, a failure under
CI=true (so CI cannot pass by silently skipping every real-data test)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REAL_DATA_TEST = "ree_assets_tests/test_sources_concordances.py::test_both_bea_naics_files_give_the_same_links"


def run_real_data_test(tmp_path: Path, ci: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REE_SHARED_DATA": str(tmp_path / "absent"), "CI": ci}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider", REAL_DATA_TEST],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 error"), ("", "1 skipped")])
def test_a_missing_shared_data_folder_fails_under_ci_and_skips_elsewhere(tmp_path, ci, outcome):
    result = run_real_data_test(tmp_path, ci)
    assert outcome in result.stdout and result.returncode == (1 if ci else 0), result.stdout[-2000:]
    if ci:
        assert "CI=true requires it" in result.stdout
