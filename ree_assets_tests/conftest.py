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
    """The real public sample files (BEA, WIOD, USPTO, ...). Tests using them skip when the folder
    is absent on a developer's machine; under ``CI=true`` an absent folder fails them instead, so CI
    never passes by silently skipping every real-data test."""
    if not SHARED_DATA.is_dir():
        message = f"real sample data folder not found at {SHARED_DATA} (set REE_SHARED_DATA)"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{message}; CI=true requires it")
        pytest.skip(message)
    return SHARED_DATA
