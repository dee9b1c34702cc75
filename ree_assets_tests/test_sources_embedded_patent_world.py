"""The synthetic USPTO (AFSV part): the Poisson DiD structure recovers its truth, years are
reproducible and independent, ids and labels are consistent, the REE filter finds the REE part."""

import numpy as np
import polars as pl
import pytest

from ree_assets.core.patents.ree_filter import ree_subset
from ree_assets.sources.contracts import contract_columns
from ree_assets.sources.embedded.patent_world import (
    AFSV_FIRST_YEAR,
    LAST_GRANT_YEAR,
    POST_YEAR,
    afsv_grant_year_ids,
    afsv_grants,
    afsv_year,
    application_year_kernel,
    did_design,
    patent_tables,
    stock_did_estimand,
    year_counts,
)
from ree_assets.sources.embedded.world import embedded_table
from ree_assets.sources.patent_tables import PATENT_TABLES

SEED = 0


def _truth(parameter: str) -> dict[str, float]:
    truth = embedded_table("synthetic_truth", SEED, "small").filter(
        (pl.col("stage") == "did") & (pl.col("parameter") == parameter) & pl.col("key").str.starts_with("patents:")
    )
    return dict(zip(truth["key"], truth["value"], strict=True))


def test_truth_rows_of_the_patent_did():
    """Flow effects by region; the stock DiD's estimands for every sample, below the flow effect
    (a stock absorbs a change of the flow over years) and ALL between CHN and the rest."""
    flow = _truth("beta_flow")
    assert flow["patents:USA"] == flow["patents:EUR"] == flow["patents:JPN"] > 0 == flow["patents:CHN"]
    for parameter in ("beta", "beta_application_year"):
        stock = _truth(parameter)
        assert set(stock) == {f"patents:{s}" for s in ("NONCHN", "ALL", "USA", "EUR", "JPN", "CHN")}
        assert 0.4 * flow["patents:USA"] < stock["patents:USA"] < flow["patents:USA"]
        assert abs(stock["patents:CHN"]) < 1e-6 < stock["patents:ALL"] < stock["patents:NONCHN"]


def test_application_year_kernel_is_the_generators_filing_lag():
    """Rows are distributions; the drawn application years of a grant year follow its row."""
    years, kernel = application_year_kernel(np.arange(AFSV_FIRST_YEAR, LAST_GRANT_YEAR + 1))
    np.testing.assert_allclose(kernel.sum(axis=1), 1.0, atol=1e-12)
    filed = patent_tables(2012, SEED, "small")["patents"]["application_date"].dt.year().to_numpy()
    drawn = np.bincount(filed - years[0], minlength=years.size) / filed.size
    expected = kernel[2012 - AFSV_FIRST_YEAR]
    assert np.abs(drawn - expected).max() < 4 * np.sqrt(expected * (1 - expected) / filed.size).max()
    shifted = np.roll(expected, 1)  # a kernel one year off is rejected by the same bound
    assert np.abs(drawn - shifted).max() > 4 * np.sqrt(expected * (1 - expected) / filed.size).max()
    with pytest.raises(ValueError, match="basis is grant_year or application_year"):
        stock_did_estimand(SEED, "small", "filing_year")


def test_ppml_on_the_drawn_flows_recovers_beta():
    """fepois(N ~ Sens x Post | region^sic + region^year) on the small world: beta within 4 SE
    of the truth outside China, and the NONCHN / CHN contrast has the generator's sign."""
    pf = pytest.importorskip("pyfixest")
    cells = did_design(SEED, "small").cells.select("region", "sic4", "sens")
    panel = (
        pl.concat(
            [
                year_counts(y, SEED, "small").with_columns(pl.lit(y).alias("year"))
                for y in range(AFSV_FIRST_YEAR, LAST_GRANT_YEAR + 1)
            ]
        )
        .join(cells, on=["region", "sic4"])
        .with_columns(
            (pl.col("sens") * (pl.col("year") >= POST_YEAR)).alias("treatment"),
            (pl.col("region") + pl.col("sic4")).alias("rs"),
            (pl.col("region") + pl.col("year").cast(pl.String)).alias("rt"),
        )
    )
    beta = _truth("beta_flow")
    estimates = {}
    # the NONCHN flow effect is every non-China region's (USA stands for them)
    for sample, region, rows in (
        ("NONCHN", "USA", pl.col("region") != "CHN"),
        ("CHN", "CHN", pl.col("region") == "CHN"),
    ):
        fit = pf.fepois("enhancing ~ treatment | rs + rt", data=panel.filter(rows).to_pandas(), vcov={"CRV1": "rs"})
        estimates[sample] = (fit.coef().iloc[0], fit.se().iloc[0])
        assert abs(estimates[sample][0] - beta[f"patents:{region}"]) < 4 * estimates[sample][1], sample
    assert estimates["NONCHN"][0] > estimates["CHN"][0]


def test_years_are_reproducible_and_have_their_own_id_block():
    first = patent_tables(2012, SEED, "small")
    afsv_year.cache_clear()
    afsv_grants.cache_clear()
    year_counts.cache_clear()
    again = patent_tables(2012, SEED, "small")
    for table in PATENT_TABLES:
        assert first[table].equals(again[table]), table
        assert list(first[table].columns) == list(contract_columns(table))
    ids = first["patents"]["patent_id"].cast(pl.Int64)
    low, high = afsv_grant_year_ids(2012)
    assert ids.min() >= low >= 6_300_000 and ids.max() < high and ids.is_unique().all()
    assert (first["patents"]["grant_date"].dt.weekday() == 2).all()  # USPTO grants on Tuesdays
    assert (first["patents"]["grant_date"].dt.year() == 2012).all()
    assert (
        not patent_tables(2013, SEED, "small")["patents"]["patent_id"]
        .is_in(first["patents"]["patent_id"].implode())
        .any()
    )
    assert (first["patents"]["application_date"] < first["patents"]["grant_date"]).all()


def test_ree_filter_finds_exactly_the_labelled_ree_part():
    tables = afsv_year(2015, SEED, "small")
    labels, patents = tables["patent_labels"], tables["patents"]
    assert labels["is_ree"].sum() > 100 and (~labels["is_ree"]).sum() > labels["is_ree"].sum()
    assert set(ree_subset(patents)["patent_id"]) == set(labels.filter("is_ree")["patent_id"])
    background = patents.join(labels.filter(~pl.col("is_ree")), on="patent_id")
    assert background["abstract"].str.contains(r"\b(Lab|Cell|LA County|Y-axis|TB)\b").sum() > 10  # distractors


def test_years_before_2002_come_from_the_fvd_universe():
    with pytest.raises(ValueError, match="1969-2018"):
        patent_tables(1968, SEED, "small")
