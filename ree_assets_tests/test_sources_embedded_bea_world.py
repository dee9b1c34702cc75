"""The synthetic BEA detail world and the country REE tables."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ree_assets.core import io_table as io
from ree_assets.core.sensitivity import china_import_share
from ree_assets.sources.embedded import ree_defaults as defaults
from ree_assets.sources.embedded.bea_world import REE_BEA_SIC, generate_bea_world, generate_ree_country_tables
from ree_assets.sources.embedded.dims import world_dims


@pytest.fixture(scope="module")
def world():
    return generate_bea_world(np.random.default_rng(7), world_dims("small"))


def test_same_seed_same_tables(world):
    again = generate_bea_world(np.random.default_rng(7), world_dims("small"))
    for name, frame in world.items():
        assert frame.equals(again[name]), name


def test_layout_and_codes_are_bea_like(world):
    rows, cols = set(world["bea_use"]["row_code"]), set(world["bea_use"]["col_code"])
    assert set(REE_BEA_SIC) <= rows and {"V00100", "V00200", "V00300", "T005", "T006", "T008"} <= rows
    assert {"T001", "T004", "T007", "F01000"} <= cols
    assert 380 <= world["bea_make"]["industry_code"].n_unique() <= 420


def test_totals_reconcile(world):
    io.check_use_totals(world["bea_use"])
    io.check_make_totals(world["bea_make"])


def test_concordance_covers_every_sic_and_names_the_ree_links(world):
    concordance = world["bea_sic_concordance"]
    assert set(world_dims("small").sic4) <= set(concordance["sic4"])
    assert (concordance.group_by("bea_code").agg(pl.col("weight").sum())["weight"] - 1).abs().max() < 1e-12
    pairs = set(concordance.select("bea_code", "sic4").iter_rows())
    assert {("335911", "3691"), ("332999", "3499")} <= pairs


def test_default_ree_tables_build_on_the_synthetic_world(world):
    tables = io.supply_use_from_canonical(world["bea_use"], world["bea_make"])
    extended = io.build_ree_extended_table(
        tables,
        defaults.ree_application_composition(),
        defaults.ree_end_use(),
        defaults.US_CONSUMPTION_TONNES_REO,
        defaults.ree_prices(),
        defaults.application_industry_map(),
        defaults.MAGNET_REE_COST_SHARE,
    )
    concordance = pl.concat([world["bea_sic_concordance"], io.split_sic_links(defaults.application_industry_map())])
    ree_tr = io.requirements_to_sic(extended.tables, extended.elements, concordance)
    top = ree_tr.filter(pl.col("element") == io.ALL_ELEMENTS).sort("tr", descending=True)["sic4"].head(3)
    assert "3499" in top.to_list()


def test_country_tables_vary_china_share_and_spike():
    tables = generate_ree_country_tables(np.random.default_rng(3), world_dims("small"))
    shares = china_import_share(tables["ree_imports"]).filter(pl.col("country") != "CHN")["exposure"]
    prices = tables["ree_prices"].group_by("market", "element")
    spikes = prices.agg(
        pl.col("price_usd_per_kg").filter(pl.col("year") == 2011).max()
        / pl.col("price_usd_per_kg").filter(pl.col("year") == 2009).mean()
    )["price_usd_per_kg"]
    assert shares.min() < shares.max() and 0 < shares.min() and shares.max() < 1
    assert spikes.std() > 0
    assert tables["ree_prices"]["market"].n_unique() == len(world_dims("small").economies)


@pytest.mark.parametrize("size", ["small", "full"])
def test_every_size_keeps_the_industries_the_ree_map_names(size):
    """An REE industry outside a size's dims would get a sensitivity but no patents: on the small
    world before 3312 and 3356 were kept, the keyword classifier sent 679 of 4,634 REE-enhancing
    patents to 3312 (second-highest Sens) and the patent DiD NONCHN fell to -47 against 97."""
    assert {sic4 for _, sic4 in REE_BEA_SIC.values()} <= set(world_dims(size).sic4)
