"""UN Comtrade -> canonical ``trade`` (reporter, partner, flow, hs6, hs_vintage, year: value_usd).

Three layouts of the same records (Comtrade API v1, https://comtradeapi.un.org; the bulk files of
the Comtrade Plus data portal carry the API's column names):

- API JSON: ``{"data": [{"refYear", "reporterISO", "flowCode", "partnerISO", "classificationCode",
  "cmdCode", "partner2ISO", "motCode", "customsCode", "primaryValue", ...}]}``;
- bulk CSV / tab-separated text with the same (camelCase) column names;
- the snake_case frames of the R client comtradr (``ref_year``, ``reporter_iso``, ...).

Only totals over second partner (W00), mode of transport (0) and customs procedure (C00) are kept,
so each flow is counted once; only exports (X) and imports (M) are kept (re-exports RX,
re-imports RM and the other special flows are left out); partner W00 (World) becomes ``WLD``; flow X/M -> export/import;
the value is ``primaryValue`` (FOB for exports, CIF for imports), in USD. Commodity codes that
are not HS6 (TOTAL, 2- or 4-digit aggregates) are left out of the canonical table.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl

from ree_assets.errors import DataValidationError
from ree_assets.sources.contracts import contract_path
from ree_assets.sources.files import cast_strictly

#: Comtrade's HS classification codes -> the HS vintage (H0 is HS 1988/92).
HS_VINTAGES = {
    "H0": "HS1992",
    "H1": "HS1996",
    "H2": "HS2002",
    "H3": "HS2007",
    "H4": "HS2012",
    "H5": "HS2017",
    "H6": "HS2022",
}
FLOWS = {"X": "export", "M": "import"}
WORLD = {"W00": "WLD", "WLD": "WLD"}
REQUIRED = ("refYear", "reporterISO", "flowCode", "partnerISO", "classificationCode", "cmdCode", "primaryValue")
TOTALS = {"partner2ISO": "W00", "motCode": "0", "customsCode": "C00"}
#: The numeric columns and their types; a value that does not parse is an error, never a null.
NUMBERS = {"refYear": pl.Int64, "primaryValue": pl.Float64}


def _camel(name: str) -> str:
    """comtradr's snake_case names back to the API's camelCase (``reporter_iso`` -> ``reporterISO``)."""
    head, *rest = name.split("_")
    word = head + "".join(part.upper() if part in ("iso",) else part.capitalize() for part in rest)
    return re.sub(
        r"partner2(code|iso|desc)", lambda m: "partner2" + {"code": "Code", "iso": "ISO", "desc": "Desc"}[m[1]], word
    )


def comtrade_records(frame: pl.DataFrame, source: Path | str, line: Callable[[int], int] | None = None) -> pl.DataFrame:
    """Normalise Comtrade records (API or bulk columns, camelCase or comtradr's snake_case) read
    from ``source`` to (reporter, partner, flow, cmd_code, hs_vintage, year, value_usd), totals
    over second partner, transport mode and customs procedure only, exports and imports only.
    DataValidationError names the file and a missing column or a classification that is not HS;
    SourceFormatError names the file, the line (``line``: row -> line in the file; else the
    0-based record) and the column of a year or value that is not a number."""
    frame = frame.rename({c: _camel(c) for c in frame.columns if "_" in c})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise DataValidationError("trade", "has the Comtrade API columns", file=source, column=", ".join(missing))
    frame = cast_strictly(frame, NUMBERS, "trade", source, line, contract_path("trade"))
    for column, total in TOTALS.items():
        if column in frame.columns:
            frame = frame.filter(pl.col(column).cast(pl.String) == total)
    frame = frame.filter(pl.col("flowCode").is_in(list(FLOWS)))
    unknown_hs = frame.filter(~pl.col("classificationCode").is_in(list(HS_VINTAGES)))
    if unknown_hs.height:
        raise DataValidationError(
            "trade",
            "an HS classification (H0-H6)",
            file=source,
            column="classificationCode",
            row=unknown_hs["classificationCode"][0],
        )
    return frame.select(
        pl.col("reporterISO").cast(pl.String).alias("reporter"),
        pl.col("partnerISO").cast(pl.String).replace(WORLD).alias("partner"),
        pl.col("flowCode").replace_strict(FLOWS).alias("flow"),
        pl.col("cmdCode").cast(pl.String).alias("cmd_code"),
        pl.col("classificationCode").replace_strict(HS_VINTAGES).alias("hs_vintage"),
        pl.col("refYear").alias("year"),
        pl.col("primaryValue").alias("value_usd"),
    )


def to_trade(records: pl.DataFrame) -> pl.DataFrame:
    """The canonical ``trade`` rows: HS6 commodities of the normalised records."""
    return (
        records.filter(pl.col("cmd_code").str.contains(r"^\d{6}$"))
        .rename({"cmd_code": "hs6"})
        .select("reporter", "partner", "flow", "hs6", "hs_vintage", "year", "value_usd")
    )


def read_api_json(path: Path) -> pl.DataFrame:
    """Normalised records of one Comtrade API v1 response (``{"data": [...]}``)."""
    payload = json.loads(Path(path).read_text("utf-8"))
    if payload.get("error"):
        raise DataValidationError("trade", "a Comtrade response without error", file=path, detail=str(payload["error"]))
    return comtrade_records(pl.DataFrame(payload.get("data", []), infer_schema_length=None), path)


def read_bulk(path: Path) -> pl.DataFrame:
    """Normalise records of a Comtrade bulk file (CSV, or tab-separated ``.txt``/``.tsv``, optionally gzipped)."""
    name = Path(path).name.removesuffix(".gz")
    separator = "\t" if name.endswith((".txt", ".tsv")) else ","
    frame = pl.read_csv(path, separator=separator, infer_schema_length=0)
    return comtrade_records(frame, path, functools.partial(_line, frame))


def _line(frame: pl.DataFrame, row: int) -> int:
    """The line of a bulk file's data row: the header is line 1 and each row starts one line
    after the previous row's last (a quoted field may hold line breaks; a blank line is a row)."""
    breaks = frame.head(row).select(pl.sum_horizontal(pl.all().str.count_matches("\n").fill_null(0)).sum()).item()
    return 2 + row + int(breaks or 0)


def read_trade_file(path: Path) -> pl.DataFrame:
    """Canonical ``trade`` from one API response (``.json``) or bulk file (any other suffix)."""
    return to_trade(read_api_json(path) if Path(path).suffix == ".json" else read_bulk(path))


def read_trade_folder(folder: Path) -> pl.DataFrame:
    """Canonical ``trade`` from every API response ``*.json`` and bulk file ``*.csv``, ``*.txt``,
    ``*.tsv`` (bulk files optionally ``.gz``) under ``folder`` (one per query or download)."""

    def reader(path: Path):
        if path.suffix == ".json":
            return read_api_json
        return read_bulk if Path(path.name.removesuffix(".gz")).suffix in (".csv", ".txt", ".tsv") else None

    files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and reader(p))
    if not files:
        raise DataValidationError("trade", "holds Comtrade JSON or bulk files", file=folder)
    return to_trade(pl.concat([reader(p)(p) for p in files], how="vertical_relaxed"))
