"""WIOD readers: real 2013-release tables (RData and npz), a synthetic 2016-layout file, the
canonical long table and the row identity output = intermediate use + final demand."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import polars as pl
import pytest

from ree_assets.errors import DataValidationError
from ree_assets.sources import wiod
from ree_assets.sources.catalog import WIOD_2013, SourceSettings, read_table
from ree_assets_tests.helpers import failed_rules


@pytest.fixture(scope="module")
def wiod_2009(shared_data) -> pl.DataFrame:
    return wiod.read_wiod_2013_rdata(shared_data / "wiod" / "wiot_2009.RData")


def test_rdata_and_npz_readers_agree_cell_by_cell(shared_data, wiod_2009):
    from_npz = wiod.read_wiod_npz(shared_data / "wiod" / "derived_wiot_2009.npz", year=2009)
    assert from_npz.equals(wiod_2009)


def test_real_2009_table_has_release_shape_and_iso_codes(wiod_2009):
    table = wiod.world_io_table_from_long(wiod_2009, 2009)
    assert (table.n_countries, table.n_sectors) == (41, 35)
    assert table.sectors[0] == "c1" and table.sectors[-1] == "c35"
    assert {"ROU", "ROW", "CHN", "USA"} <= set(table.countries)
    assert not {"ROM", "RoW"} & set(table.countries)
    assert table.final_uses == wiod.FINAL_USES
    assert wiod_2009.height == 1435 * (1435 + 205 + 1)
    assert wiod_2009.filter(pl.col("col_use") == wiod.OUTPUT_USE)["col_country"].unique().to_list() == ["TOT"]


def test_real_2009_identity_holds_within_rounding_bound(wiod_2009):
    table = wiod.world_io_table_from_long(wiod_2009, 2009)
    worst = np.abs(table.row_residuals()).max()
    assert worst == 104  # the documented largest residual of the rounded table
    assert wiod.rounding_bound(table) == 0.5 * (1435 + 205 + 1)


def test_corrupted_cell_fails_naming_its_row(wiod_2009):
    corrupted = wiod_2009.with_columns(
        pl.when(
            (pl.col("row_country") == "DEU")
            & (pl.col("row_industry") == "c12")
            & (pl.col("col_country") == "CHN")
            & (pl.col("col_use") == "c13")
        )
        .then(pl.col("value_musd") + 5000)
        .otherwise(pl.col("value_musd"))
        .alias("value_musd")
    )
    with pytest.raises(DataValidationError) as error:
        wiod.world_io_table_from_long(corrupted, 2009)
    assert error.value.row == ("DEU", "c12")
    assert error.value.table == "wiod" and "output = intermediate use + final demand" in str(error.value)


def test_corrupted_npz_fails_naming_the_file_and_row(shared_data, tmp_path):
    with np.load(shared_data / "wiod" / "derived_wiot_2009.npz") as arrays:
        content = dict(arrays)
    row = list(content["countries"]).index("JPN") * 35 + 13  # JPN c14
    content["F"] = content["F"].copy()
    content["F"][row, 0] -= 2000
    path = tmp_path / "broken_wiot_2009.npz"
    np.savez(path, **content)
    with pytest.raises(DataValidationError, match="broken_wiot_2009.npz") as error:
        wiod.read_wiod_npz(path, year=2009)
    assert error.value.row == ("JPN", "c14")


def test_long_round_trip_preserves_the_table(wiod_2009):
    table = wiod.world_io_table_from_long(wiod_2009, 2009)
    assert wiod.world_io_table_to_long(table, 2009).equals(wiod_2009)


def test_missing_year_is_an_error(wiod_2009):
    with pytest.raises(DataValidationError, match="year"):
        wiod.world_io_table_from_long(wiod_2009, 1999)


def _synthetic_2016_frame(rng: np.random.Generator) -> pl.DataFrame:
    """Two countries x three 2016-release industries in WIOD's 2016 layout, identity exact."""
    countries, industries = ("AUS", "CHN"), ("A01", "C20", "C26")
    n_rows, n_final = len(countries) * len(industries), len(countries) * len(wiod.FINAL_USES)
    intermediate = rng.integers(0, 500, (n_rows, n_rows)).astype(float)
    final = rng.integers(-20, 800, (n_rows, n_final)).astype(float)
    output = intermediate.sum(axis=1) + final.sum(axis=1)
    columns = {
        "IndustryCode": [*industries * len(countries), "II_fob", "VA", "GO"],
        "IndustryDescription": ["desc"] * (n_rows + 3),
        "Country": [c for c in countries for _ in industries] + ["TOT"] * 3,
        "RNr": [*list(range(1, len(industries) + 1)) * len(countries), 65, 70, 73],
        "Year": [2009] * (n_rows + 3),
    }
    buyer_names = [f"{c}{r}" for c in countries for r in range(1, len(industries) + 1)]
    va = output - intermediate.sum(axis=0)
    for k, name in enumerate(buyer_names):
        columns[name] = [*intermediate[:, k], intermediate[:, k].sum(), va[k], output[k]]
    for k, name in enumerate(f"{c}{57 + f}" for c in countries for f in range(len(wiod.FINAL_USES))):
        columns[name] = [*final[:, k], final[:, k].sum(), 0.0, 0.0]
    columns["TOT"] = [*output, np.nan, np.nan, np.nan]
    return pl.DataFrame(columns)


def test_2016_layout_csv_reads_to_canonical_table(tmp_path):
    frame = _synthetic_2016_frame(np.random.default_rng(3))
    path = tmp_path / "WIOT2009_October16_ROW.csv"
    frame.write_csv(path)
    long = wiod.read_wiod_2016(path)
    table = wiod.world_io_table_from_long(long, 2009, bound=0.0)
    assert table.countries == ("AUS", "CHN") and table.sectors == ("A01", "C20", "C26")
    assert (
        long.filter(
            (pl.col("row_country") == "CHN")
            & (pl.col("row_industry") == "C20")
            & (pl.col("col_country") == "AUS")
            & (pl.col("col_use") == "GFCF")
        )["value_musd"].item()
        == frame.filter((pl.col("Country") == "CHN") & (pl.col("IndustryCode") == "C20"))["AUS60"].item()
    )


def test_2016_layout_rdata_matches_csv(tmp_path):
    import rdata

    frame = _synthetic_2016_frame(np.random.default_rng(4))
    csv_path, rda_path = tmp_path / "wiot.csv", tmp_path / "wiot.RData"
    frame.write_csv(csv_path)
    as_r_frame = frame.to_pandas().astype({c: object for c in ("IndustryCode", "IndustryDescription", "Country")})
    rdata.write_rda(rda_path, {"wiot": as_r_frame})
    assert wiod.read_wiod_2016(rda_path).equals(wiod.read_wiod_2016(csv_path))


def test_2016_layout_broken_identity_names_row(tmp_path):
    frame = _synthetic_2016_frame(np.random.default_rng(5))
    broken = frame.with_columns(
        pl.when((pl.col("Country") == "AUS") & (pl.col("IndustryCode") == "C26"))
        .then(pl.col("CHN2") + 100)
        .otherwise(pl.col("CHN2"))
        .alias("CHN2")
    )
    path = tmp_path / "broken.csv"
    broken.write_csv(path)
    with pytest.raises(DataValidationError, match="broken.csv") as error:
        wiod.read_wiod_2016(path)
    assert error.value.row == ("AUS", "C26")


def test_real_2009_file_passes_its_contract_in_local_mode_values_unchanged(shared_data, tmp_path):
    """Local mode serves the real file as published: its negative final uses (820 INVEN and 4 GFCF
    cells) pass the contract, and every cell equals the R file's (a violating table fails the
    rule: test_contracts_raw.py)."""
    import rdata

    folder = tmp_path / "sources"
    (folder / "wiod").mkdir(parents=True)
    shutil.copy(shared_data / WIOD_2013.path, folder / WIOD_2013.path)
    frame = read_table("wiod", SourceSettings(mode="local", data_dir=folder))
    negatives = dict(frame.filter(pl.col("value_musd") < 0).group_by("col_use").len().iter_rows())
    assert negatives == {"INVEN": 820, "GFCF": 4}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        (raw,) = rdata.conversion.convert(rdata.parser.parse_file(shared_data / WIOD_2013.path)).values()
    cells = frame.filter(pl.col("col_country") != wiod.OUTPUT_COUNTRY)["value_musd"].to_numpy().reshape(1435, -1)
    assert np.array_equal(cells, np.hstack([np.asarray(raw["inter"]), np.asarray(raw["final"])]))
    assert np.array_equal(
        frame.filter(pl.col("col_use") == wiod.OUTPUT_USE)["value_musd"].to_numpy(),
        np.asarray(raw["output"], dtype=float),
    )
    assert failed_rules(tmp_path / "ree.duckdb", "wiod", frame) == set()
