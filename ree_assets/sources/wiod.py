"""World Input-Output Database (WIOD) readers -> canonical ``wiod`` table.

Three carriers of a WIOD world input-output table (WIOT) are read:

- the 2013 release as shipped in R data files (``wiot_<year>.RData``, an R object of class
  ``iot`` with ``year``, ``countries``, ``industries`` c1..c35, ``inter`` (NJ x NJ), ``final``
  (NJ x 5N) and ``output`` (NJ), country-major, USD million);
- its NumPy conversion (``derived_wiot_<year>.npz`` with ``Z``, ``F``, ``x``, ``countries``,
  ``industries``);
- the 2016 release layout (the ``wiot`` frame of WIOD's ``WIOT<year>_October16_ROW.RData``, or the
  same frame as CSV): one row per supplying (Country, IndustryCode) with ``RNr``, ``Year``, one
  column per buyer named country + RNr (``AUS1`` .. ``AUS56`` industries A01..U, ``AUS57`` ..
  ``AUS61`` final uses CONS_h, CONS_np, CONS_g, GFCF, INVEN), a ``TOT`` column, and totals rows
  (Country ``TOT``) among which ``GO`` (RNr 73) is gross output at basic prices by buyer column.

The canonical long table ``wiod`` has one row per cell: (year, row_country, row_industry,
col_country, col_use) -> value_musd, where col_use is the buying industry's code or a final-use
code (CONS_h, CONS_np, CONS_g, GFCF, INVEN; the 2013 release's five final-use columns per country
are, in order, exactly these). Gross output of a row is stored as one more cell with
``col_country = "TOT"`` and ``col_use = "GO"`` (WIOD's own names for totals and gross output).
Country codes are ISO 3166 alpha-3: the 2013 release's ``ROM`` becomes ``ROU`` and ``RoW`` becomes
``ROW``.

Every reader checks the row identity output = intermediate use + final demand. WIOD cells are
rounded to whole USD million, so the identity holds only within half a unit per rounded cell of the
row (the intermediate and final cells plus the output cell itself): a larger residual raises
:class:`~ree_assets.errors.DataValidationError` naming the table, the file, the row and the rule; a
file the parser cannot read raises :class:`~ree_assets.errors.SourceFormatError` naming the file.
Values are never changed: negative final uses (inventory changes, some GFCF) stay as published.
"""

from __future__ import annotations

import functools
import warnings
import zipfile
from pathlib import Path

import numpy as np
import polars as pl

from ree_assets.core.ge.data import WorldIOTable
from ree_assets.errors import DataValidationError, SourceFormatError
from ree_assets.sources.contracts import PolarsType

TABLE = "wiod"
FINAL_USES: tuple[str, ...] = ("CONS_h", "CONS_np", "CONS_g", "GFCF", "INVEN")
OUTPUT_COUNTRY, OUTPUT_USE = "TOT", "GO"
ROW_IDENTITY_RULE = "output = intermediate use + final demand within 0.5 x rounded cells in the row"

#: WIOD 2013-release country codes that are not ISO 3166 alpha-3.
_WIOD_TO_ISO3: dict[str, str] = {"ROM": "ROU", "RoW": "ROW"}

WIOD_SCHEMA: dict[str, PolarsType] = {
    "year": pl.Int32,
    "row_country": pl.String,
    "row_industry": pl.String,
    "col_country": pl.String,
    "col_use": pl.String,
    "value_musd": pl.Float64,
}


def iso3_country(code: str) -> str:
    """The ISO 3166 alpha-3 code of a WIOD country code (identity except ROM and RoW)."""
    return _WIOD_TO_ISO3.get(code, code)


def rounding_bound(table: WorldIOTable) -> float:
    """Largest row residual rounding can explain: 0.5 x (intermediate + final + output cells)."""
    cells_in_row = table.intermediate.shape[1] + table.final.shape[1] + 1
    return 0.5 * cells_in_row


def check_row_identity(table: WorldIOTable, source: str, bound: float | None = None) -> None:
    """Raise if |output - intermediate use - final demand| exceeds ``bound`` in any row.

    ``bound`` defaults to :func:`rounding_bound`; the worst row is the one named.
    """
    limit = rounding_bound(table) if bound is None else bound
    residuals = table.row_residuals()
    worst = int(np.argmax(np.abs(residuals)))
    if abs(residuals[worst]) > limit:
        country, sector = divmod(worst, table.n_sectors)
        raise DataValidationError(
            source,
            ROW_IDENTITY_RULE,
            row=(table.countries[country], table.sectors[sector]),
            detail=f"residual {residuals[worst]:.6g} USD million exceeds bound {limit:.6g}",
        )


def world_io_table_to_long(table: WorldIOTable, year: int) -> pl.DataFrame:
    """The canonical long ``wiod`` rows of one table: every intermediate, final and output cell.

    Built as the cross join of the row keys with the column keys (row-major, the order of the
    flattened value matrix), so the string columns are made by Polars, not element by element.
    """
    n, j, f = table.n_countries, table.n_sectors, len(table.final_uses)
    countries, sectors, uses = (np.asarray(v) for v in (table.countries, table.sectors, table.final_uses))
    rows = pl.DataFrame({"row_country": np.repeat(countries, j), "row_industry": np.tile(sectors, n)})
    columns = pl.DataFrame(
        {
            "col_country": np.concatenate([np.repeat(countries, j), np.repeat(countries, f), [OUTPUT_COUNTRY]]),
            "col_use": np.concatenate([np.tile(sectors, n), np.tile(uses, n), [OUTPUT_USE]]),
        }
    )
    values = np.hstack([table.intermediate, table.final, table.output[:, None]]).astype(np.float64)
    return rows.join(columns, how="cross").select(
        pl.lit(year, dtype=pl.Int32).alias("year"),
        "row_country",
        "row_industry",
        "col_country",
        "col_use",
        pl.Series("value_musd", values.ravel()),
    )


def world_io_table_from_long(
    frame: pl.DataFrame, year: int, *, table_name: str = "wiod", bound: float | None = None
) -> WorldIOTable:
    """The :class:`WorldIOTable` of one year of the canonical long ``wiod`` table.

    Countries, industries and final uses keep their order of first appearance; a cell absent from
    the frame is zero, a row without its output cell is an error. The row identity is checked
    (see :func:`check_row_identity`).
    """
    cells = frame.filter(pl.col("year") == year)
    if cells.is_empty():
        raise DataValidationError(table_name, "the requested year is present", row=year)
    countries = tuple(cells["row_country"].unique(maintain_order=True).to_list())
    sectors = tuple(cells["row_industry"].unique(maintain_order=True).to_list())
    present_uses = set(cells["col_use"].unique().to_list())
    final_uses = tuple(use for use in FINAL_USES if use in present_uses)

    n_rows, n_final = len(countries) * len(sectors), len(countries) * len(final_uses)
    row_pos = {(c, s): i * len(sectors) + k for i, c in enumerate(countries) for k, s in enumerate(sectors)}
    col_pos = {
        **row_pos,
        **{(c, u): n_rows + i * len(final_uses) + k for i, c in enumerate(countries) for k, u in enumerate(final_uses)},
        (OUTPUT_COUNTRY, OUTPUT_USE): n_rows + n_final,
    }
    dense = _scatter(cells, table_name, row_pos, col_pos, n_rows + n_final + 1)
    output = dense[:, -1]
    missing = np.isnan(output)
    if missing.any():
        country, sector = divmod(int(np.argmax(missing)), len(sectors))
        raise DataValidationError(
            table_name,
            f"every row has an output cell (col_use {OUTPUT_USE!r})",
            row=(countries[country], sectors[sector]),
        )
    table = WorldIOTable(
        countries=countries,
        sectors=sectors,
        final_uses=final_uses,
        intermediate=np.nan_to_num(dense[:, :n_rows]),
        final=np.nan_to_num(dense[:, n_rows:-1]),
        output=output,
    )
    check_row_identity(table, table_name, bound)
    return table


def _scatter(cells: pl.DataFrame, table_name: str, row_pos: dict, col_pos: dict, n_cols: int) -> np.ndarray:
    """Place long cells into a dense (rows x ``n_cols``) array, NaN where absent: each cell's row
    and column positions come from two hash joins with the (small) key tables."""

    def keys(country: str, code: str, name: str, position: dict) -> pl.DataFrame:
        return pl.DataFrame(
            {country: [c for c, _ in position], code: [k for _, k in position], name: list(position.values())},
            schema_overrides={name: pl.Int64},
        )

    placed = cells.join(
        keys("row_country", "row_industry", "row", row_pos), on=["row_country", "row_industry"], how="left"
    ).join(keys("col_country", "col_use", "col", col_pos), on=["col_country", "col_use"], how="left")
    unknown = placed.filter(pl.col("row").is_null() | pl.col("col").is_null())
    if unknown.height:
        bad = unknown.row(0, named=True)
        raise DataValidationError(
            table_name,
            "cells refer to known rows and columns",
            row=(bad["row_country"], bad["row_industry"]),
            column=(bad["col_country"], bad["col_use"]),
        )
    dense = np.full((len(row_pos), n_cols), np.nan)
    dense[placed["row"].to_numpy(), placed["col"].to_numpy()] = placed["value_musd"].to_numpy()
    return dense


def _table_from_arrays(countries, industries, intermediate, final, output) -> WorldIOTable:
    """A float WorldIOTable from WIOD 2013-release arrays (codes mapped to ISO alpha-3)."""
    return WorldIOTable(
        countries=tuple(iso3_country(str(c)) for c in countries),
        sectors=tuple(str(s) for s in industries),
        final_uses=FINAL_USES,
        intermediate=np.asarray(intermediate, dtype=np.float64),
        final=np.asarray(final, dtype=np.float64),
        output=np.asarray(output, dtype=np.float64),
    )


def _reads_file(read):
    """Make errors raised while ``read(path, ...)`` reads its file name the table and the file; what
    the parser cannot read (a truncated or corrupt file) becomes a SourceFormatError."""

    @functools.wraps(read)
    def reading(path: str | Path, *args, **kwargs) -> pl.DataFrame:
        try:
            return read(path, *args, **kwargs)
        except FileNotFoundError:
            raise
        except DataValidationError as error:
            raise error.located(file=path) from error
        except (ValueError, EOFError, OSError, KeyError, zipfile.BadZipFile, pl.exceptions.PolarsError) as error:
            raise SourceFormatError(
                TABLE,
                "the file is a readable WIOD table of its format",
                file=path,
                detail=f"{type(error).__name__}: {error}",
            ) from error

    return reading


@_reads_file
def read_wiod_2013_rdata(path: str | Path) -> pl.DataFrame:
    """Canonical ``wiod`` rows of a WIOD 2013-release ``wiot_<year>.RData`` file."""
    import rdata

    path = Path(path)
    with warnings.catch_warnings():  # rdata warns that R class "iot" has no Python constructor
        warnings.simplefilter("ignore", UserWarning)
        objects = rdata.conversion.convert(rdata.parser.parse_file(path))
    if len(objects) != 1:
        raise DataValidationError(TABLE, "the file holds exactly one WIOT object", detail=f"found {sorted(objects)}")
    wiot = {str(key): value for key, value in next(iter(objects.values())).items()}
    table = _table_from_arrays(
        wiot["countries"], wiot["industries"], np.asarray(wiot["inter"]), np.asarray(wiot["final"]), wiot["output"]
    )
    _check_shapes(table, TABLE)
    check_row_identity(table, TABLE)
    return world_io_table_to_long(table, int(np.asarray(wiot["year"]).ravel()[0]))


@_reads_file
def read_wiod_npz(path: str | Path, year: int) -> pl.DataFrame:
    """Canonical ``wiod`` rows of a NumPy WIOT (``Z``, ``F``, ``x``, ``countries``, ``industries``)."""
    path = Path(path)
    with np.load(path, allow_pickle=False) as arrays:
        table = _table_from_arrays(arrays["countries"], arrays["industries"], arrays["Z"], arrays["F"], arrays["x"])
    _check_shapes(table, TABLE)
    check_row_identity(table, TABLE)
    return world_io_table_to_long(table, year)


def _check_shapes(table: WorldIOTable, source: str) -> None:
    """Raise unless the arrays have the NJ x NJ, NJ x FN and NJ shapes the code lists imply."""
    nj = table.n_countries * table.n_sectors
    expected = {"intermediate": (nj, nj), "final": (nj, len(table.final_uses) * table.n_countries), "output": (nj,)}
    for name, shape in expected.items():
        if getattr(table, name).shape != shape:
            raise DataValidationError(
                source,
                f"{name} has shape {shape} (countries x industries)",
                detail=f"found {getattr(table, name).shape}",
            )


@_reads_file
def read_wiod_2016(path: str | Path) -> pl.DataFrame:
    """Canonical ``wiod`` rows of a WIOD 2016-release table (``.RData`` ``wiot`` frame or ``.csv``).

    Industry rows are those whose Country is not ``TOT``, country-major with industries in RNr
    order 1..J; the buyer columns are named country + RNr (1..J industries, 57..61 the final uses
    CONS_h, CONS_np, CONS_g, GFCF, INVEN). Gross output is the ``GO`` totals row.
    """
    path = Path(path)
    frame = _read_2016_frame(path)
    required = {"IndustryCode", "Country", "RNr", "Year"}
    if missing := required - set(frame.columns):
        raise DataValidationError(TABLE, "the 2016 layout has IndustryCode, Country, RNr, Year", column=sorted(missing))
    industries = frame.filter(pl.col("Country") != OUTPUT_COUNTRY)
    countries = tuple(industries["Country"].unique(maintain_order=True).to_list())
    sectors = tuple(industries["IndustryCode"].unique(maintain_order=True).to_list())
    buyer_columns = [f"{c}{rnr}" for c in countries for rnr in range(1, len(sectors) + 1)]
    final_columns = [f"{c}{57 + k}" for c in countries for k in range(len(FINAL_USES))]
    if absent := [name for name in buyer_columns + final_columns if name not in frame.columns]:
        raise DataValidationError(TABLE, "one column per buyer (country + RNr)", column=absent[0])
    gross_output = frame.filter(pl.col("IndustryCode") == OUTPUT_USE)
    if gross_output.height != 1:
        raise DataValidationError(
            TABLE, f"exactly one {OUTPUT_USE!r} totals row", detail=f"found {gross_output.height}"
        )
    years = industries["Year"].unique().to_list()
    if len(years) != 1:
        raise DataValidationError(TABLE, "one year per file", detail=f"found {sorted(years)}")
    expected_order = [(c, s) for c in countries for s in sectors]
    rnr_in_order = industries["RNr"].cast(pl.Int64).to_list() == list(range(1, len(sectors) + 1)) * len(countries)
    if not rnr_in_order or list(zip(industries["Country"], industries["IndustryCode"], strict=False)) != expected_order:
        raise DataValidationError(TABLE, "industry rows are country-major, industries in RNr order")
    table = WorldIOTable(
        countries=countries,
        sectors=sectors,
        final_uses=FINAL_USES,
        intermediate=industries.select(buyer_columns).to_numpy().astype(np.float64),
        final=industries.select(final_columns).to_numpy().astype(np.float64),
        output=gross_output.select(buyer_columns).to_numpy().astype(np.float64).ravel(),
    )
    check_row_identity(table, TABLE)
    return world_io_table_to_long(table, int(years[0]))


def _read_2016_frame(path: Path) -> pl.DataFrame:
    """The 2016-release frame from a CSV or an RData file holding one data frame."""
    if path.suffix.lower() == ".csv":
        return pl.read_csv(path, infer_schema_length=None)
    import rdata

    objects = rdata.read_rda(path)
    if len(objects) != 1:
        raise DataValidationError(
            TABLE, "the file holds exactly one WIOT data frame", detail=f"found {sorted(objects)}"
        )
    return pl.from_pandas(next(iter(objects.values())))
