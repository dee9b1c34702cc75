"""NBER-CES Manufacturing Industry Database -> canonical ``industry_stats_us`` (sic4, year).

Layout (Becker, Gray and Marvakov, NBER-CES 1958-2018, SIC 1987 version, ``sic5811.csv``): one
row per ``sic`` (4-digit SIC 1987, numeric) and ``year`` with, among others, ``emp`` (thousand
employees), ``pay`` (payroll, million USD), ``vship`` (value of shipments), ``vadd`` (value
added), ``cap`` (real capital stock) and the TFP indices ``tfp4`` / ``tfp5`` (1987 = 1). Missing
values are empty or ``.`` (Stata exports). Column names are matched case-insensitively.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ree_assets.errors import DataValidationError

VALUES = ("vship", "vadd", "emp", "pay", "cap", "tfp4", "tfp5")


def read_nber_ces(path: Path) -> pl.DataFrame:
    """Canonical ``industry_stats_us``; rows with a missing value are kept (nulls), the panel decides."""
    frame = pl.read_csv(path, infer_schema_length=0, null_values=[".", ""])
    frame = frame.rename({c: c.lower() for c in frame.columns})
    missing = [c for c in ("sic", "year", *VALUES) if c not in frame.columns]
    if missing:
        raise DataValidationError(
            str(path), "NBER-CES layout (sic, year, vship, vadd, emp, pay, cap, tfp4, tfp5)", column=", ".join(missing)
        )
    return frame.select(
        pl.col("sic").str.strip_chars().str.zfill(4).alias("sic4"),
        pl.col("year").cast(pl.Int64),
        *(pl.col(c).cast(pl.Float64) for c in VALUES),
    ).sort("sic4", "year")
