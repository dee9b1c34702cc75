"""Shared fixtures: the real sample files in ../shared/data and temporary project storage."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ree_assets_tests.small_world_build import SmallWorldBuild

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
#: The tests' own Dagster instance (with the project's settings): runs of the tests are never
#: recorded in the project's instance or in a DAGSTER_HOME of the developer's.
TEST_INSTANCE = Path(__file__).resolve().parents[1] / ".dagster_home_test"
TEST_INSTANCE.mkdir(exist_ok=True)
if not (TEST_INSTANCE / "dagster.yaml").exists():
    shutil.copy(TEST_INSTANCE.parent / "dagster_home" / "dagster.yaml", TEST_INSTANCE / "dagster.yaml")
os.environ["DAGSTER_HOME"] = str(TEST_INSTANCE)

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


@pytest.fixture(scope="session")
def small_world_build(tmp_path_factory, worker_id) -> SmallWorldBuild:
    """The small world's pulls and both replication jobs, materialised once per test session
    (``small_world_build.py``); copy it before materialising more."""
    from ree_assets_tests.small_world_build import shared_build

    return shared_build(tmp_path_factory, worker_id)


#: The REE prices and complementarity, their dbt staging views and the price-spike mart.
PRICE_SPIKE_ASSETS = (
    "ree_prices",
    "ree_complementarity",
    "stg_raw__ree_prices",
    "stg_raw__ree_complementarity",
    "ree_price_spikes",
)


@pytest.fixture(scope="session")
def price_spike_database(tmp_path_factory) -> Path:
    """A DuckDB file holding good :data:`PRICE_SPIKE_ASSETS`, built once per test session (per
    xdist worker); copy it before materialising more."""
    import dagster as dg

    from ree_assets_tests.helpers import materialize

    database = tmp_path_factory.mktemp("price_spikes") / "ree.duckdb"
    assert materialize(database, dg.AssetSelection.assets(*PRICE_SPIKE_ASSETS)).success
    return database


#: The module that judges the shared build's runs: it runs first, so the build starts at once.
BUILD_OWNER = "test_replication_jobs.py"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The build's owner first, the other modules that read the build last: under ``make test``
    (``--dist loadfile --no-loadscope-reorder``: modules in this order) one worker builds while
    the other runs the modules that do not need the build. Each module's tests keep their order.
    Tests marked ``network`` are skipped unless ``-m`` names them."""
    if "network" not in (config.getoption("markexpr") or ""):
        offline = pytest.mark.skip(reason="reaches the real publishers: run with -m network")
        for item in items:
            if "network" in item.keywords:
                item.add_marker(offline)
    readers = {item.path for item in items if "small_world_build" in getattr(item, "fixturenames", ())}
    items.sort(key=lambda item: 0 if item.path.name == BUILD_OWNER else 2 if item.path in readers else 1)
