"""World Bank GDP -> canonical ``gdp`` (country, year: gdp_usd, gdp_real_usd).

Layouts: the Indicators API v2 JSON (``[page metadata, records]``, :func:`read_gdp_api`); the
long CSV of the World Development Indicators as republished by datasets/gdp
(``Country Name, Country Code, Year, Value``; NY.GDP.MKTP.CD, current USD), optionally with a
second file of the same layout for constant USD (NY.GDP.MKTP.KD). World Bank aggregates (World,
income groups, regions) carry three-letter codes too; ``countries`` keeps only the given ISO3
codes when set.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path

import polars as pl

from ree_assets.errors import DataValidationError
from ree_assets.sources.contracts import contract_path
from ree_assets.sources.files import cast_strictly, read_csv

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


def read_gdp_api(path: Path, countries: Collection[str] | None = None) -> pl.DataFrame:
    """Canonical ``gdp`` from one answer of the Indicators API v2 for NY.GDP.MKTP.CD
    (``[{"page", "pages", ...}, [{"countryiso3code", "date", "value", ...}, ...]]``): current-USD
    GDP, constant-USD null. The answer must be the only page (ask with ``per_page`` large
    enough), and a year or value that is not a number fails naming the record."""
    payload = json.loads(Path(path).read_text("utf-8"))
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[1], list)):
        message = payload[0].get("message") if isinstance(payload, list) and payload else payload
        raise DataValidationError(
            "gdp", "a World Bank API answer [metadata, records]", file=path, detail=str(message)[:300]
        )
    if int(payload[0].get("pages", 1)) > 1:
        raise DataValidationError(
            "gdp", "the API answer is complete in one page", file=path, detail=f"it has {payload[0]['pages']} pages"
        )
    records = pl.DataFrame(
        [(r.get("countryiso3code"), r.get("date"), r.get("value")) for r in payload[1]],
        schema={"country": pl.String, "year": pl.String, "gdp_usd": pl.String},
        orient="row",
    )
    frame = cast_strictly(
        records, {"year": pl.Int64, "gdp_usd": pl.Float64}, "gdp", path, contract=contract_path("gdp")
    )
    frame = frame.filter(pl.col("country").str.len_chars() == 3).drop_nulls("gdp_usd")
    frame = frame.with_columns(gdp_real_usd=pl.lit(None, pl.Float64))
    if countries is not None:
        frame = frame.filter(pl.col("country").is_in(list(countries)))
    return frame.sort("country", "year")
