"""REE sensitivity of SIC industries (AFSV): Sens_s = sum_e tr_es x c_e and its country variants.

``tr_es`` is the total requirement of element e per USD of final demand for SIC industry s
(``ree_total_requirements``, USD per USD; the ``All`` rows are ignored here) and ``c_e`` the
complementarity score rescaled to [0, 1] (score / 100), so Sens is of order 1e-3 to 1e-2
(``specs/io_table.md``, "REE sensitivity").
"""

from __future__ import annotations

import polars as pl

from ree_assets.core.io_table import ALL_ELEMENTS
from ree_assets.errors import DataValidationError

COUNTRY_MARKET = r"^[A-Z]{3}$"
CHINA = "CHN"
WORLD = "WLD"


def manufacturing_sic4(codes: pl.Series) -> list[str]:
    """The SIC manufacturing industries (codes 2000-3999) among ``codes``, sorted and unique."""
    return sorted({code for code in codes if "2000" <= code <= "3999"})


def _element_rows(ree_tr: pl.DataFrame) -> pl.DataFrame:
    return ree_tr.filter(pl.col("element") != ALL_ELEMENTS).select("sic4", "element", "tr")


def ree_sensitivity(ree_tr: pl.DataFrame, complementarity: pl.DataFrame) -> pl.DataFrame:
    """Canonical ``ree_sensitivity`` (sic4, sensitivity): Sens_s = sum_e tr_es x complementarity_e / 100.

    Every element of ``ree_tr`` needs a score in [0, 100]; otherwise DataValidationError names it.
    """
    bad = complementarity.filter(~pl.col("complementarity").is_between(0, 100))
    if bad.height:
        raise DataValidationError("ree_complementarity", "0 <= complementarity <= 100", row=bad["element"][0])
    tr = _element_rows(ree_tr)
    missing = set(tr["element"]) - set(complementarity["element"])
    if missing:
        raise DataValidationError("ree_complementarity", "every element has a score", row=sorted(missing)[0])
    return (
        tr.join(complementarity.select("element", "complementarity"), on="element")
        .group_by("sic4")
        .agg((pl.col("tr") * pl.col("complementarity") / 100).sum().alias("sensitivity"))
        .sort("sic4")
    )


def price_spike_exposure(price_spikes: pl.DataFrame) -> pl.DataFrame:
    """(country, element, exposure): the 2010-11 price spike of element e in country n, the peak-year
    price over the base-year price (``specs/io_table.md``: 2011 peak over 2009), from the dbt mart
    ``ree_price_spikes`` (columns market, element, spike_ratio) for every market that is a country
    code (ISO3). A spike that is not a positive finite ratio is an error."""
    country = price_spikes.filter(pl.col("market").str.contains(COUNTRY_MARKET))
    bad = country.filter(~(pl.col("spike_ratio").is_finite() & (pl.col("spike_ratio") > 0)))
    if bad.height:
        raise DataValidationError(
            "ree_price_spikes", "spike_ratio is a positive finite ratio", row=f"{bad['element'][0]} {bad['market'][0]}"
        )
    return country.select(pl.col("market").alias("country"), "element", pl.col("spike_ratio").alias("exposure"))


def china_import_share(imports: pl.DataFrame, before_year: int = 2010) -> pl.DataFrame:
    """(country, element, exposure): sum_{y < before_year} imports from CHN / sum over all partners
    (a ``WLD`` total row, if present, is not a partner and is ignored)."""
    early = imports.filter((pl.col("year") < before_year) & (pl.col("partner") != WORLD))
    return (
        early.group_by("country", "element")
        .agg(
            (pl.col("value_usd").filter(pl.col("partner") == CHINA).sum() / pl.col("value_usd").sum()).alias("exposure")
        )
        .filter(pl.col("exposure").is_not_nan())
    )


def country_sensitivity(ree_tr: pl.DataFrame, exposure: pl.DataFrame, variant: str) -> pl.DataFrame:
    """(country, sic4, variant, sensitivity): sum_e tr_es x exposure_e,n over the elements the
    country has an exposure for."""
    return (
        _element_rows(ree_tr)
        .join(exposure, on="element")
        .group_by("country", "sic4")
        .agg((pl.col("tr") * pl.col("exposure")).sum().alias("sensitivity"))
        .with_columns(variant=pl.lit(variant))
        .select("country", "sic4", "variant", "sensitivity")
        .sort("country", "sic4")
    )


def ree_sensitivity_country(ree_tr: pl.DataFrame, price_spikes: pl.DataFrame, imports: pl.DataFrame) -> pl.DataFrame:
    """Canonical ``ree_sensitivity_country``: the ``price_spike`` (from the mart ``ree_price_spikes``)
    and ``china_import_share`` variants of :func:`country_sensitivity` stacked."""
    return pl.concat(
        [
            country_sensitivity(ree_tr, price_spike_exposure(price_spikes), "price_spike"),
            country_sensitivity(ree_tr, china_import_share(imports), "china_import_share"),
        ]
    )
