"""Readers of the DiD outcome sources on the real sample files (Comtrade, World Bank) and on
hand-made files in the publishers' documented layouts (Comtrade bulk, NBER-CES)."""

import json

import polars as pl
import pytest

from ree_assets.errors import DataValidationError
from ree_assets.sources import comtrade, nber_ces, worldbank
from ree_assets.sources.contracts import contract_columns


def test_comtrade_api_json_records_equal_the_file(shared_data):
    records = comtrade.read_api_json(shared_data / "trade" / "HS-60a6ad.json")
    assert records.height == 4
    row = records.filter((pl.col("flow") == "export") & (pl.col("partner") == "DEU")).row(0, named=True)
    assert row == {
        "reporter": "CHN",
        "partner": "DEU",
        "flow": "export",
        "cmd_code": "TOTAL",
        "hs_vintage": "HS2007",
        "year": 2010,
        "value_usd": 68047133397.0,
    }
    assert comtrade.to_trade(records).is_empty()  # TOTAL is not an HS6 product


def test_comtrade_bulk_csv_parses_like_the_api(shared_data, tmp_path):
    data = json.loads((shared_data / "trade" / "HS-60a6ad.json").read_text())["data"]
    bulk = tmp_path / "bulk.csv"
    pl.DataFrame(data, infer_schema_length=None).drop(
        "isOriginalClassification",
        "isLeaf",
        "isQtyEstimated",
        "isAltQtyEstimated",
        "isNetWgtEstimated",
        "isGrossWgtEstimated",
        "isReported",
        "isAggregate",
        strict=False,
    ).write_csv(bulk)
    assert (
        comtrade.read_bulk(bulk)
        .sort("flow", "partner")
        .equals(comtrade.read_api_json(shared_data / "trade" / "HS-60a6ad.json").sort("flow", "partner"))
    )


def test_comtrade_comtradr_frame_gives_canonical_hs6_trade(shared_data):
    import rdata

    frame = pl.from_pandas(
        rdata.read_rda(str(shared_data / "trade" / "vignette_data_3.rda"))["example_3"].astype({"cmd_code": str})
    )
    trade = comtrade.to_trade(comtrade.comtrade_records(frame.drop("ref_period_id"), "vignette_data_3.rda"))
    assert trade.columns == list(contract_columns("trade"))
    assert ("THA", "MOZ", "import", "030613", "HS2007", 2007, 2482223.0) in trade.rows()
    assert trade["hs6"].str.len_chars().unique().to_list() == [6]
    assert set(trade["flow"]) <= {"export", "import"}


def test_comtrade_refuses_a_listing_and_a_classification_that_is_not_hs(shared_data):
    with pytest.raises(DataValidationError, match="refYear.*Comtrade API columns"):
        comtrade.read_api_json(shared_data / "trade" / "HS-4f1d0f.json")  # a bulk-file listing, not data
    records = pl.DataFrame(
        {
            "refYear": [2010],
            "reporterISO": ["CHN"],
            "flowCode": ["X"],
            "partnerISO": ["W00"],
            "classificationCode": ["S4"],
            "cmdCode": ["850511"],
            "primaryValue": [1.0],
        }
    )
    with pytest.raises(DataValidationError, match="'S4'.*an HS classification"):
        comtrade.comtrade_records(records, "x.csv")


def test_world_bank_gdp_values_equal_the_file(shared_data):
    gdp = worldbank.read_gdp(shared_data / "gdp" / "gdp.csv")
    assert gdp.columns == list(contract_columns("gdp"))
    assert gdp.filter((pl.col("country") == "AFG") & (pl.col("year") == 2002))["gdp_usd"].item() == 3825701438.9996333
    assert gdp.height == 13979 - gdp.filter(pl.col("gdp_usd").is_null()).height
    assert worldbank.read_gdp(shared_data / "gdp" / "gdp.csv", countries={"USA"})["country"].unique().to_list() == [
        "USA"
    ]


def test_world_bank_refuses_another_layout(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("Country Name,Country Code,2002\nAfghanistan,AFG,1\n")
    with pytest.raises(DataValidationError, match="Year, Value.*World Bank long layout"):
        worldbank.read_gdp(path)


def test_nber_ces_layout(tmp_path):
    path = tmp_path / "sic5811.csv"
    path.write_text(
        "SIC,YEAR,EMP,PAY,PRODE,VSHIP,VADD,CAP,TFP4,TFP5\n"
        "2011,2002,120.5,4500.1,100.2,45000,12000,9000.5,1.05,1.04\n"
        "3691,2002,9.1,300.2,7.0,3000,1200,800,.,0.98\n"
    )
    got = nber_ces.read_nber_ces(path)
    assert got.columns == list(contract_columns("industry_stats_us"))
    assert got.row(1, named=True) == {
        "sic4": "3691",
        "year": 2002,
        "vship": 3000.0,
        "vadd": 1200.0,
        "emp": 9.1,
        "pay": 300.2,
        "cap": 800.0,
        "tfp4": None,
        "tfp5": 0.98,
    }
    path.write_text("sic,year,emp\n2011,2002,1\n")
    with pytest.raises(DataValidationError, match="vship, vadd, pay, cap, tfp4, tfp5"):
        nber_ces.read_nber_ces(path)
