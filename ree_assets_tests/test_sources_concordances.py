"""BEA 2012 -> NAICS 2012 -> NAICS 2002 -> SIC 1987 concordance on the real Census/BEA files."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from ree_assets.errors import DataValidationError
from ree_assets.sources import bea
from ree_assets.sources.concordances import (
    build_bea_sic_concordance,
    read_bea_naics2012,
    read_bea_sic_concordance,
    read_naics2002_sic1987,
    read_sic_weights,
    sic_code,
    unmapped_bea_codes,
)
from ree_assets.sources.embedded.dims import sic1987_manufacturing


def test_sic_codes_stored_as_floats_get_their_leading_zero():
    assert sic_code(111.0) == "0111" and sic_code("3691") == "3691" and sic_code("Aux") is None


def test_unequal_links_split_by_output_and_equally_without_it():
    bea_naics = pl.DataFrame({"bea_code": ["B", "B"], "naics2012": ["n1", "n2"]})
    n12_n02 = pl.DataFrame({"naics2012": ["n1", "n2"], "naics2002": ["m1", "m2"]})
    n02_sic = pl.DataFrame({"naics2002": ["m1", "m1", "m2"], "sic4": ["3691", "3499", "3499"]})
    equal = {s: w for _, s, w in build_bea_sic_concordance(bea_naics, n12_n02, n02_sic, bea_codes=["B"]).iter_rows()}
    assert equal == {"3499": pytest.approx(0.75), "3691": pytest.approx(0.25)}
    output = pl.DataFrame({"sic4": ["3691", "3499"], "output": [3.0, 1.0]})
    weighted = {
        s: w
        for _, s, w in build_bea_sic_concordance(
            bea_naics, n12_n02, n02_sic, bea_codes=["B"], sic_output=output
        ).iter_rows()
    }
    assert weighted == {"3499": pytest.approx(0.5 + 0.5 * 0.25), "3691": pytest.approx(0.5 * 0.75)}


@pytest.fixture(scope="module")
def real(shared_data):
    folder = shared_data / "bea"
    tables = bea.read_bea_tables(
        folder / "Detail_Use_2012_PRO_BeforeRedef.csv", folder / "Detail_Make_2012_BeforeRedef.csv"
    )
    codes = tables["bea_codes"].filter(pl.col("kind").is_in(["commodity", "industry"]))["code"].unique().to_list()
    assert (shared_data / "concordances" / "2002_NAICS_to_1987_SIC.xls").is_file()
    return tables["bea_codes"], read_bea_sic_concordance(shared_data / "concordances", codes)


def test_every_bea_code_lands_and_weights_sum_to_one(real):
    codes, concordance = real
    assert unmapped_bea_codes(concordance, codes) == []
    sums = concordance.group_by("bea_code").agg(pl.col("weight").sum())["weight"]
    assert (sums - 1).abs().max() < 1e-12
    assert concordance["sic4"].str.len_chars().eq(4).all()


def test_ree_industries_reach_the_sic_codes_of_the_published_table(real):
    _, concordance = real
    pairs = set(concordance.select("bea_code", "sic4").iter_rows())
    assert {("335911", "3691"), ("332999", "3499"), ("335314", "3625"), ("333611", "3511")} <= pairs


def test_every_sic_manufacturing_industry_receives_a_bea_code(real):
    _, concordance = real
    assert {code for code, _ in sic1987_manufacturing()} <= set(concordance["sic4"])


def test_census_xls_and_its_csv_conversion_agree(shared_data):
    folder = shared_data / "concordances"
    from_xls = set(read_naics2002_sic1987(folder / "2002_NAICS_to_1987_SIC.xls").iter_rows())
    from_csv = set(read_naics2002_sic1987(folder / "sic87_naics02.csv").iter_rows())
    assert ("335911", "3691") in from_xls and len(from_xls ^ from_csv) < 0.02 * len(from_xls)


def test_both_bea_naics_files_give_the_same_links(shared_data):
    folder = shared_data / "concordances"
    assert set(read_bea_naics2012(folder / "2012_BEA_to_2012_NAICS.csv").iter_rows()) == set(
        read_bea_naics2012(folder / "bea2012_naics2012.csv").iter_rows()
    )


# --- output weights from a user's sic_weights.csv (local mode) -----------------------------------

#: The ten SIC industries NAICS 2002 332999 links to; 3499 ships 8 times as much as each other.
SIC_OF_NAICS_332999 = ("3291", "3429", "3432", "3494", "3499", "3537", "3599", "3914", "3999", "3497")


def _write_sic_weights(path, rows):
    pl.DataFrame(rows, schema=["sic4", "weight_basis", "value"], orient="row").write_csv(path)
    return path


def _local_concordance(shared_data, folder, sic_weights_rows=None):
    from ree_assets.sources.catalog import BEA_USE, SourceSettings, read_table

    shutil.copytree(shared_data / "concordances", folder / "concordances")
    (folder / "bea").mkdir()
    shutil.copy(
        shared_data / "bea" / "Detail_Use_2012_PRO_BeforeRedef.csv", (folder / BEA_USE.path).with_suffix(".csv")
    )
    if sic_weights_rows is not None:
        _write_sic_weights(folder / "concordances" / "sic_weights.csv", sic_weights_rows)
    concordance = read_table("bea_sic_concordance", SourceSettings(mode="local", data_dir=folder))
    return {s: w for _, s, w in concordance.filter(pl.col("bea_code") == "332999").iter_rows()}


def test_local_sic_weights_split_by_shipments_and_equal_without_them(shared_data, tmp_path):
    """BEA 332999 -> NAICS 2012 332999 -> three NAICS 2002 codes (1/3 each); NAICS 2002 332999
    -> ten SIC industries. Equal: 3499 takes 1/3 x 1/10. With shipments 8000 for 3499 and 1000
    for the nine others: 1/3 x 8000 / 17000. The single-SIC links (3431, 3543) keep 1/3."""
    equal = _local_concordance(shared_data, tmp_path / "equal")
    assert equal["3499"] == pytest.approx(1 / 30, rel=1e-12) and equal["3431"] == pytest.approx(1 / 3)
    assert SIC_OF_NAICS_332999 == tuple(s for s in SIC_OF_NAICS_332999 if equal[s] == pytest.approx(1 / 30))
    rows = [(s, "vship", 8000.0 if s == "3499" else 1000.0) for s in SIC_OF_NAICS_332999]
    weighted = _local_concordance(shared_data, tmp_path / "weighted", rows)
    assert weighted["3499"] == pytest.approx(8000 / 17000 / 3, rel=1e-12)
    assert weighted["3291"] == pytest.approx(1000 / 17000 / 3, rel=1e-12)
    assert weighted["3431"] == pytest.approx(1 / 3) and sum(weighted.values()) == pytest.approx(1, abs=1e-12)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("3499", "vship", 1.0), ("3691", "vship", -2.0)], r"row 'line 3', column 'value'.*value is finite and >= 0"),
        (
            [("3499", "vship", 1.0), ("3691", "employment", 2.0)],
            r"row 'line 3', column 'weight_basis'.*one weight_basis",
        ),
        ([("3499", "vship", 1.0), ("3499", "vship", 2.0)], r"row 'line 2', column 'sic4'.*one row per sic4"),
        ([("34x9", "vship", 1.0)], r"row 'line 2', column 'sic4'.*sic4 is a SIC 1987 code"),
    ],
)
def test_a_bad_sic_weights_file_is_an_error_naming_file_line_and_column(tmp_path, rows, message):
    path = _write_sic_weights(tmp_path / "sic_weights.csv", rows)
    with pytest.raises(DataValidationError, match=r"bea_sic_concordance \(sic_weights.csv\): " + message):
        read_sic_weights(path)
