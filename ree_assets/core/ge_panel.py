"""The innovation panel of the GE estimation built from the project's own tables (``specs/ge_model.md``).

For each GE manufacturing sector j and year t:

- REE-enhancing and other patent flows: sums over regions and over the SIC industries s of j of
  ``patent_panel``'s ``ree_enhancing_flow`` and ``non_ree_patents``; SIC -> GE sector by the
  longest matching SIC prefix of ``sic_ge_map`` (major groups, with industry group 357 to
  computers and electronics);
- REE price index p_R,jt = sum_e w_je p_et / p_e,t0 (Laspeyres, t0 the first year), with the
  element mix w_je = sum_{s in j} tr_es / sum_e sum_{s in j} tr_es from ``ree_total_requirements``
  and p_et the mean price of element e in ``market``;
- wage index: the manufacturing wage sum_s pay_st / sum_s emp_st (NBER-CES) over its first-year value.
"""

from __future__ import annotations

import csv
from importlib import resources

import polars as pl

from ree_assets.core.io_table import ALL_ELEMENTS
from ree_assets.errors import DataValidationError


def sic_ge_map() -> pl.DataFrame:
    """The shipped SIC prefix -> GE sector map (sic_prefix, ge_sector, title, source)."""
    text = resources.files("ree_assets.sources.embedded").joinpath("sic_ge_sectors.csv").read_text("utf-8")
    return pl.DataFrame(list(csv.DictReader(text.splitlines())))


def ge_sector_of(sic4: pl.Series, mapping: pl.DataFrame) -> pl.Series:
    """The GE sector of each SIC code: the map row with the longest prefix of the code (null if none)."""
    prefixes = sorted(mapping.select("sic_prefix", "ge_sector").iter_rows(), key=lambda r: -len(r[0]))
    lookup = {
        code: next((sector for prefix, sector in prefixes if code.startswith(prefix)), None) for code in sic4.unique()
    }
    return sic4.replace_strict(lookup, return_dtype=pl.String).alias("sector")


def sector_price_index(
    ree_total_requirements: pl.DataFrame,
    ree_prices: pl.DataFrame,
    mapping: pl.DataFrame,
    years: list[int],
    *,
    market: str = "fob_china",
) -> pl.DataFrame:
    """(sector, year, ree_price_index): p_R,jt = sum_e w_je p_et / p_e,t0 over ``years`` (t0 the
    first), w_je = sum_{s in j} tr_es / sum_e sum_{s in j} tr_es, p_et the mean price in ``market``."""
    mix = (
        with_ge_sector(ree_total_requirements.filter(pl.col("element") != ALL_ELEMENTS), mapping)
        .group_by("sector", "element")
        .agg(pl.col("tr").sum())
        .with_columns(weight=pl.col("tr") / pl.col("tr").sum().over("sector"))
    )
    relative = (
        ree_prices.filter((pl.col("market") == market) & pl.col("year").is_in(years))
        .group_by("element", "year")
        .agg(pl.col("price_usd_per_kg").mean())
        .with_columns(
            relative=pl.col("price_usd_per_kg") / pl.col("price_usd_per_kg").sort_by("year").first().over("element")
        )
    )
    return (
        mix.join(relative, on="element")
        .group_by("sector", "year")
        .agg((pl.col("weight") * pl.col("relative")).sum().alias("ree_price_index"))
        .sort("sector", "year")
    )


def manufacturing_wage_index(industry_stats_us: pl.DataFrame, years: list[int]) -> pl.DataFrame:
    """(year, wage_index): sum_s pay_st / sum_s emp_st (NBER-CES) over ``years``, 1 in the first."""
    return (
        industry_stats_us.filter(pl.col("year").is_in(years))
        .group_by("year")
        .agg((pl.col("pay").sum() / pl.col("emp").sum()).alias("wage"))
        .sort("year")
        .select("year", wage_index=pl.col("wage") / pl.col("wage").first())
    )


def with_ge_sector(frame: pl.DataFrame, mapping: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (with sic4) and its GE ``sector``; SIC codes outside every GE sector left out."""
    return frame.with_columns(ge_sector_of(frame["sic4"], mapping)).drop_nulls("sector")


def ge_innovation_panel(
    patent_panel: pl.DataFrame,
    ree_total_requirements: pl.DataFrame,
    ree_prices: pl.DataFrame,
    industry_stats_us: pl.DataFrame,
    mapping: pl.DataFrame,
    *,
    market: str = "fob_china",
) -> pl.DataFrame:
    """Canonical ``ge_innovation_panel`` (sector, year: ree_enhancing_flow, non_ree_flow,
    ree_price_index, wage_index) for the years every input covers. A sector with a zero flow in
    some year, or without REE requirements, raises DataValidationError naming it."""
    flows = (
        with_ge_sector(patent_panel, mapping)
        .group_by("sector", "year")
        .agg(pl.col("ree_enhancing_flow").sum(), pl.col("non_ree_patents").sum().alias("non_ree_flow"))
    )
    prices = ree_prices.filter(pl.col("market") == market)
    years = sorted(set(flows["year"]) & set(prices["year"]) & set(industry_stats_us["year"]))
    if not years:
        raise DataValidationError("ge_innovation_panel", "patents, prices and wages share some years")
    panel = (
        flows.filter(pl.col("year").is_in(years))
        .join(
            sector_price_index(ree_total_requirements, ree_prices, mapping, years, market=market),
            on=["sector", "year"],
            how="left",
        )
        .join(manufacturing_wage_index(industry_stats_us, years), on="year")
        .sort("sector", "year")
    )
    no_price = panel.filter(pl.col("ree_price_index").is_null())
    if no_price.height:
        raise DataValidationError(
            "ree_total_requirements", "every GE sector has REE requirements", row=no_price["sector"][0]
        )
    zero = panel.filter((pl.col("ree_enhancing_flow") <= 0) | (pl.col("non_ree_flow") <= 0))
    if zero.height:
        raise DataValidationError(
            "patent_panel",
            "patent flows > 0 in every GE sector and year (logs)",
            row=f"{zero['sector'][0]} {zero['year'][0]}",
            detail=f"{zero.height} sector-years",
        )
    return panel.select(
        "sector",
        "year",
        pl.col("ree_enhancing_flow").cast(pl.Float64),
        pl.col("non_ree_flow").cast(pl.Float64),
        "ree_price_index",
        "wage_index",
    )
