"""Shared fixtures: the real sample files in ../shared/data and temporary project storage."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_HOME", str(Path(__file__).resolve().parents[1] / ".dagster_home_test"))

SHARED_DATA = Path(os.environ.get("REE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public sample files (BEA, WIOD, USPTO, ...); tests using them skip when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real sample data folder not found at {SHARED_DATA} (set REE_SHARED_DATA)")
    return SHARED_DATA
