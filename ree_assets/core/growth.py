"""Growth rates of the outcome panels and INDSTAT-style TFP (``specs/patents_and_did.md``).

Midpoint (Davis-Haltiwanger-Schuh) growth g_t = 2 (x_t - x_{t-1}) / (x_t + x_{t-1}) lies in
[-2, 2] and is defined when one side is zero (entry: +2, exit: -2); it is annualised over gaps by
dividing by the number of years between the two observations. TFP for INDSTAT-like data is the
Solow residual on midpoint growth rates: value-added growth minus the cost-share-weighted growth
of labour and of capital built by perpetual inventory.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ree_assets.errors import DataValidationError


def _first_row(frame: pl.DataFrame, columns: Sequence[str]) -> str:
    return " ".join(str(frame[c][0]) for c in columns)


def _check_unique(frame: pl.DataFrame, table: str, keys: Sequence[str]) -> None:
    dup = frame.filter(pl.struct(keys).is_duplicated())
    if dup.height:
        raise DataValidationError(
            table, f"one row per {', '.join(keys)}", row=_first_row(dup, keys), detail=f"{dup.height} duplicated rows"
        )


def midpoint_growth(
    frame: pl.DataFrame, *, keys: Sequence[str], value: str, year: str = "year", table: str = "panel"
) -> pl.DataFrame:
    """Annualised midpoint growth of ``value`` within each ``keys`` group.

    g_t = 2 (x_t - x_p) / (x_t + x_p) / (t - p), with p the previous year the group is observed
    (null values are not observations). Both sides zero: undefined, no row. The first year of a
    group has no growth. Returns keys, year, ``growth`` and ``gap`` (t - p).
    Negative values or duplicate (keys, year) raise DataValidationError naming the row.
    """
    data = frame.select(*keys, year, value).drop_nulls(value)
    _check_unique(data, table, [*keys, year])
    negative = data.filter(pl.col(value) < 0)
    if negative.height:
        raise DataValidationError(
            table, f"{value} >= 0 (midpoint growth)", column=value, row=_first_row(negative, [*keys, year])
        )
    previous = pl.col(value).shift(1).over(keys, order_by=year)
    gap = pl.col(year) - pl.col(year).shift(1).over(keys, order_by=year)
    growth = 2 * (pl.col(value) - previous) / (pl.col(value) + previous) / gap
    return (
        data.with_columns(growth=growth, gap=gap)
        .filter(pl.col("growth").is_not_null() & pl.col("growth").is_not_nan())
        .select(*keys, year, "growth", pl.col("gap").cast(pl.Int64))
        .sort([*keys, year])
    )


def perpetual_inventory_capital(
    frame: pl.DataFrame,
    *,
    keys: Sequence[str],
    investment: str = "gfcf",
    year: str = "year",
    depreciation: float = 0.05,
    initial_growth: float = 0.05,
    table: str = "industry_stats",
) -> pl.DataFrame:
    """Capital by perpetual inventory: K_t = (1 - delta) K_{t-1} + I_t, starting from the
    steady-state stock K_0 = I_0 / (g + delta) (Harberger 1978; the INDSTAT practice of
    e.g. Isaksson 2007), with delta = ``depreciation`` and g = ``initial_growth``.

    Needs every year between a group's first and last one and I_t >= 0; otherwise
    DataValidationError names the group and year. Returns keys, year, ``capital``.
    """
    data = frame.select(*keys, year, investment).sort([*keys, year])
    _check_unique(data, table, [*keys, year])
    bad = data.filter(pl.col(investment).is_null() | (pl.col(investment) < 0))
    if bad.height:
        raise DataValidationError(
            table,
            f"{investment} present and >= 0 (perpetual inventory)",
            column=investment,
            row=_first_row(bad, [*keys, year]),
        )
    gaps = data.filter((pl.col(year) - pl.col(year).shift(1).over(keys)) > 1)
    if gaps.height:
        raise DataValidationError(
            table,
            "consecutive years of investment (perpetual inventory)",
            column=year,
            row=_first_row(gaps, [*keys, year]),
            detail="a year before this one is missing",
        )
    # Closed form of the recursion: K_t = (1-delta)^t (K_0 + sum_{j=1..t} I_j / (1-delta)^j).
    step = pl.int_range(pl.len()).over(keys)
    keep = 1.0 - depreciation
    discounted = pl.col(investment) / keep**step
    first = pl.col(investment).first().over(keys)
    capital = keep**step * (discounted.cum_sum().over(keys) - first + first / (initial_growth + depreciation))
    return data.with_columns(capital=capital).select(*keys, year, "capital")


def indstat_tfp_growth(
    frame: pl.DataFrame,
    *,
    keys: Sequence[str] = ("country", "isic4"),
    year: str = "year",
    depreciation: float = 0.05,
    initial_growth: float = 0.05,
    table: str = "industry_stats",
) -> pl.DataFrame:
    """Annualised TFP growth from INDSTAT-like columns (value_added, employment, wages, gfcf).

    g_TFP = g_VA - s_L g_L - (1 - s_L) g_K, with g the annualised midpoint growth, K from
    :func:`perpetual_inventory_capital` and s_L the labour cost share wages / value_added averaged
    over the two years (Tornqvist); capital is paid the rest of value added (constant returns).
    Values should be in constant prices. A labour share outside (0, 1) raises DataValidationError
    naming the row. Returns keys, year, ``tfp_growth``, ``gap``.
    """
    keys = list(keys)
    capital = perpetual_inventory_capital(
        frame, keys=keys, year=year, depreciation=depreciation, initial_growth=initial_growth, table=table
    )
    data = frame.join(capital, on=[*keys, year]).with_columns(labour_share=pl.col("wages") / pl.col("value_added"))
    bad = data.filter(~pl.col("labour_share").is_between(0, 1, closed="none"))
    if bad.height:
        raise DataValidationError(
            table, "0 < wages / value_added < 1 (labour cost share)", column="wages", row=_first_row(bad, [*keys, year])
        )
    share = data.select(*keys, year, pl.col("labour_share").rolling_mean(2).over(keys, order_by=year).alias("s_l"))
    growth = {
        v: midpoint_growth(data, keys=keys, value=v, year=year, table=table).rename({"growth": f"g_{v}"})
        for v in ("value_added", "employment", "capital")
    }
    joined = (
        growth["value_added"]
        .join(growth["employment"].drop("gap"), on=[*keys, year])
        .join(growth["capital"].drop("gap"), on=[*keys, year])
        .join(share, on=[*keys, year])
    )
    tfp = pl.col("g_value_added") - pl.col("s_l") * pl.col("g_employment") - (1 - pl.col("s_l")) * pl.col("g_capital")
    return joined.select(*keys, year, tfp.alias("tfp_growth"), "gap").sort([*keys, year])
