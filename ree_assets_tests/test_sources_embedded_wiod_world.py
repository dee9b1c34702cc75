"""The embedded synthetic WIOD: canonical shape, exact identities, realistic structure, determinism."""

from __future__ import annotations

import io

import numpy as np
import polars as pl
import pytest

from ree_assets.sources.embedded.dims import world_dims
from ree_assets.sources.embedded.wiod_world import INDUSTRIES, MANUFACTURING, SERVICES, generate_wiod_world
from ree_assets.sources.wiod import FINAL_USES, WIOD_SCHEMA, world_io_table_from_long

GE_REGIONS = {"CHN", "USA", "JPN"}
EU_MEMBERS_2009 = {
    "AUT",
    "BEL",
    "BGR",
    "CZE",
    "DEU",
    "DNK",
    "ESP",
    "FIN",
    "FRA",
    "GBR",
    "GRC",
    "HUN",
    "IRL",
    "ITA",
    "NLD",
    "POL",
    "PRT",
    "ROU",
    "SVK",
    "SWE",
}


@pytest.fixture(scope="module")
def small_world() -> pl.DataFrame:
    return generate_wiod_world(np.random.default_rng(11), world_dims("small"), years=(2009, 2010))["wiod"]


def _ipc_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_ipc(buffer)
    return buffer.getvalue()


def test_canonical_schema_and_dimensions(small_world):
    dims = world_dims("small")
    assert dict(small_world.schema) == WIOD_SCHEMA
    table = world_io_table_from_long(small_world, 2009, bound=0.0)
    assert table.countries == dims.economies and table.sectors == INDUSTRIES
    assert table.final_uses == FINAL_USES
    assert GE_REGIONS <= set(table.countries) and EU_MEMBERS_2009 & set(table.countries)
    assert sorted(small_world["year"].unique().to_list()) == [2009, 2010]


@pytest.mark.parametrize("year", [2009, 2010])
def test_identity_holds_exactly_and_cells_are_whole_millions(small_world, year):
    table = world_io_table_from_long(small_world, year, bound=0.0)
    assert np.all(table.row_residuals() == 0.0)
    assert np.all(table.intermediate == np.rint(table.intermediate)) and np.all(table.intermediate >= 0)
    assert np.all(table.output > 0)


def test_structure_is_realistic(small_world):
    table = world_io_table_from_long(small_world, 2009)
    output = table.output.reshape(table.n_countries, table.n_sectors)
    manufacturing = output[:, [table.sectors.index(c) for c in MANUFACTURING]].sum(axis=1)
    services = output[:, [table.sectors.index(c) for c in SERVICES]].sum()
    assert table.countries[int(np.argmax(manufacturing))] == "CHN"
    assert 0.6 < services / output.sum() < 0.85
    inventories = table.final[:, table.final_uses.index("INVEN") :: len(table.final_uses)]
    assert (inventories < 0).any()  # inventory changes can be negative, as in WIOD
    value_added = table.output - table.intermediate.sum(axis=0)
    assert np.all(value_added > 0)


def test_spending_grows_between_years(small_world):
    totals = small_world.filter(pl.col("col_use") == "GO").group_by("year").agg(pl.col("value_musd").sum())
    by_year = dict(zip(totals["year"], totals["value_musd"], strict=False))
    assert by_year[2010] > by_year[2009]


def test_same_seed_gives_same_bytes_and_other_seed_differs():
    dims = world_dims("small")
    first = generate_wiod_world(np.random.default_rng(5), dims)["wiod"]
    again = generate_wiod_world(np.random.default_rng(5), dims)["wiod"]
    other = generate_wiod_world(np.random.default_rng(6), dims)["wiod"]
    assert _ipc_bytes(first) == _ipc_bytes(again)
    assert not first.equals(other)


def test_full_world_covers_every_economy():
    dims = world_dims("full")
    world = generate_wiod_world(np.random.default_rng(0), dims)["wiod"]
    table = world_io_table_from_long(world, 2009, bound=0.0)
    assert len(table.countries) == len(dims.economies) == 50
    assert np.all(table.row_residuals() == 0.0)
