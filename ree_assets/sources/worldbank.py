"""World Bank GDP -> canonical ``gdp`` (country, year: gdp_usd, gdp_real_usd).

Layouts: the long CSV of the World Development Indicators as republished by datasets/gdp
(``Country Name, Country Code, Year, Value``; NY.GDP.MKTP.CD, current USD), optionally with a
second file of the same layout for constant USD (NY.GDP.MKTP.KD). World Bank aggregates (World,
income groups, regions) carry three-letter codes too; ``countries`` keeps only the given ISO3
codes when set.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import polars as pl

from ree_assets.errors import DataValidationError
from ree_assets.sources.contracts import contract_path
from ree_assets.sources.files import read_csv

COLUMNS = ("Country Name", "Country Code", "Year", "Value")


def _read_long(path: Path, value: str) -> pl.DataFrame:
    """``(country, year, <value>)`` of a long World Bank file, read strictly
    (:func:`~ree_assets.sources.files.read_csv`: a year or value that is not a number fails
    naming the file, line and column); rows without a value are left out."""
    header = pl.read_csv(path, n_rows=0).columns
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise DataValidationError("gdp", "World Bank long layout", file=path, column=", ".join(missing))
    frame = read_csv(
        path, "gdp", {"Country Code": pl.String, "Year": pl.Int64, "Value": pl.Float64}, contract_path("gdp")
    )
    return frame.select(
        pl.col("Country Code").alias("country"), pl.col("Year").alias("year"), pl.col("Value").alias(value)
    ).drop_nulls(value)


def read_gdp(current: Path, constant: Path | None = None, countries: Collection[str] | None = None) -> pl.DataFrame:
    """Canonical ``gdp``: current-USD GDP and, when ``constant`` is given, constant-USD GDP
    (null otherwise)."""
    frame = _read_long(current, "gdp_usd")
    if constant is not None:
        frame = frame.join(_read_long(constant, "gdp_real_usd"), on=["country", "year"], how="left")
    else:
        frame = frame.with_columns(gdp_real_usd=pl.lit(None, pl.Float64))
    if countries is not None:
        frame = frame.filter(pl.col("country").is_in(list(countries)))
    return frame.sort("country", "year")
