"""Aggregating the real WIOD 2009 table to the GE model's regions and sectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ree_assets.core.ge.aggregate import (
    DEFAULT_REGION_MAP,
    DEFAULT_SECTOR_MAP,
    EU27_2009,
    WIOD_2013_COUNTRIES,
    aggregate_world_io_table,
)
from ree_assets.core.ge.data import WorldIOTable
from ree_assets.errors import DataValidationError


def load_wiod_2009(shared_data: Path) -> WorldIOTable:
    """The real WIOD 2009 table (2013 release, 41 x 35) through the project's WIOD reader."""
    from ree_assets.sources.wiod import read_wiod_npz, world_io_table_from_long

    return world_io_table_from_long(read_wiod_npz(shared_data / "wiod" / "derived_wiot_2009.npz", 2009), 2009)


@pytest.fixture(scope="module")
def wiod_2009(shared_data) -> WorldIOTable:
    return load_wiod_2009(shared_data)


def test_default_maps_are_complete_and_eu27_has_27_members():
    assert len(set(EU27_2009)) == 27 and set(EU27_2009) <= set(WIOD_2013_COUNTRIES)
    assert set(DEFAULT_REGION_MAP) == set(WIOD_2013_COUNTRIES)
    assert list(dict.fromkeys(DEFAULT_REGION_MAP.values())) == ["CHN", "EUR", "JPN", "USA", "ROW"]
    assert set(DEFAULT_SECTOR_MAP) == {f"c{k}" for k in range(1, 36)}
    assert len(set(DEFAULT_SECTOR_MAP.values())) == 14


def test_row_identity_holds_within_rounding_before_and_after_aggregation(wiod_2009):
    cells_in_row = wiod_2009.intermediate.shape[1] + wiod_2009.final.shape[1] + 1
    bound = 0.5 * cells_in_row  # each rounded cell is off by at most 0.5
    residuals = wiod_2009.row_residuals()
    assert np.max(np.abs(residuals)) <= bound

    aggregated = aggregate_world_io_table(wiod_2009)
    assert aggregated.countries == ("CHN", "EUR", "JPN", "USA", "ROW") and aggregated.n_sectors == 14
    region_of = [aggregated.countries.index(DEFAULT_REGION_MAP[c]) for c in wiod_2009.countries]
    sector_of = [aggregated.sectors.index(DEFAULT_SECTOR_MAP[s]) for s in wiod_2009.sectors]
    group = np.array([r * aggregated.n_sectors + s for r in region_of for s in sector_of])
    rows_per_group = np.bincount(group, minlength=aggregated.output.size)
    aggregated_residuals = aggregated.row_residuals()
    np.testing.assert_allclose(aggregated_residuals, np.bincount(group, weights=residuals), atol=1e-6)
    assert np.all(np.abs(aggregated_residuals) <= bound * rows_per_group)
    assert aggregated.intermediate.sum() == pytest.approx(wiod_2009.intermediate.sum(), rel=1e-14)
    assert aggregated.final.sum() == pytest.approx(wiod_2009.final.sum(), rel=1e-14)


def test_a_map_leaving_an_industry_out_fails_naming_it(wiod_2009):
    sector_map = {code: sector for code, sector in DEFAULT_SECTOR_MAP.items() if code != "c14"}
    with pytest.raises(DataValidationError, match=r"left out of the map: c14"):
        aggregate_world_io_table(wiod_2009, sector_map=sector_map)


def test_a_map_naming_an_unknown_country_fails_naming_it(wiod_2009):
    region_map = {**DEFAULT_REGION_MAP, "HRV": "EUR"}
    with pytest.raises(DataValidationError, match=r"unknown countries in the map: HRV"):
        aggregate_world_io_table(wiod_2009, region_map=region_map)
