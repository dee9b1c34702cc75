"""Readers for BEA's benchmark Use and Make tables -> canonical ``bea_use``, ``bea_make``,
``bea_codes``.

Two layouts are read:

- tidy CSV (as converted by USEPA/useeior): first column ``code``, one column per industry /
  final use / total. Detail tables use BEA's total codes (T001, T004, T005, ...); summary tables use
  labels ("Total Intermediate", "Total Industry Output", ...), which are mapped to the same codes.
- BEA's own xlsx (``IOUse_*``, ``IOMake_*``): title lines, a header with codes and names, then one
  line per commodity (Use) or industry (Make) with a code and a description column. Spreadsheets
  store numeric-looking codes (``111200``) as numbers and pad some with non-breaking spaces; codes
  are restored as stripped strings. BEA's ``...`` (not shown) and blank cells are zero.

Every Use and Make table read is checked with :func:`ree_assets.core.io_table.check_use_totals` /
:func:`~ree_assets.core.io_table.check_make_totals` (BEA's rounding tolerance is stated there), so a
table whose totals do not reconcile raises :class:`~ree_assets.errors.DataValidationError`; a
row code on two lines is refused first, naming both lines (a duplicated line would otherwise be
reported as totals that do not reconcile).
Files that cannot be parsed (a CSV with ragged lines, a workbook that is not an xlsx or lacks the
year sheet, a cell that is not a number) raise :class:`~ree_assets.errors.SourceFormatError`
naming the file and the sheet, line or cell; CSV text that is not UTF-8 is read as Windows-1252
(:func:`ree_assets.sources.files.decode_text`), so BEA's non-breaking-space padding stays padding.
"""

from __future__ import annotations

import csv
import functools
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import openpyxl
import polars as pl
from openpyxl.utils.exceptions import InvalidFileException

from ree_assets.core.io_table import check_make_totals, check_use_totals
from ree_assets.errors import DataValidationError, SourceFormatError
from ree_assets.sources.files import read_csv

#: Summary-level row labels -> BEA total codes (rows of the Use table, rows of the Make table).
ROW_TOTAL_LABELS: dict[str, str] = {
    "Total Intermediate": "T005",
    "Total Value Added": "T006",
    "Total Industry Output": "T008",
    "Total Commodity Output": "T007",
}
#: Summary-level column labels -> BEA total codes (columns of the Use and Make tables).
COLUMN_TOTAL_LABELS: dict[str, str] = {
    "Total Intermediate": "T001",
    "Total Final Uses (GDP)": "T004",
    "Total Commodity Output": "T007",
    "Total Industry Output": "T008",
}
#: Lines of BEA's interactive-table exports that are partial sums, not lines of the table.
_PARTIAL_SUM = re.compile(r"^(Sum of .* Selected|.* Not Selected)$")
_HEADER_MARKERS = ("Code", "IOCode")
#: The column of line numbers (sheet rows for a workbook) a wide table carries until its codes are checked.
_LINE = "_line"
_CODE_LIKE = re.compile(r"^[0-9A-Z]{2,6}$")
_TOTAL_NAMES: dict[str, str] = {
    "T001": "Total intermediate use",
    "T004": "Total final uses (GDP)",
    "T005": "Total intermediate inputs",
    "T006": "Total value added",
    "T007": "Total commodity output",
    "T008": "Total industry output",
}


def normalise_code(value: object) -> str:
    """A BEA code as a stripped string: ``111200.0`` -> ``'111200'``, ``'\\xa0GFE'`` -> ``'GFE'``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\xa0", " ").strip()


def _label_to_code(label: str, totals: Mapping[str, str]) -> str:
    return totals.get(label, label)


def _long(wide: pl.DataFrame, row_name: str, col_name: str, table: str, path: Path) -> pl.DataFrame:
    """Wide (first column = row code, all str) -> long (row, column, value_musd as float); a cell
    that is neither a number, blank nor BEA's ``...`` is a SourceFormatError naming it."""
    cells = (
        wide.unpivot(index=wide.columns[0], variable_name=col_name, value_name="text")
        .rename({wide.columns[0]: row_name})
        .with_columns(pl.col("text").str.strip_chars().replace({"...": "0", "": "0"}).alias("value_musd"))
    )
    values = cells["value_musd"].cast(pl.Float64, strict=False)
    bad = cells["value_musd"].is_not_null() & values.is_null()
    if bad.any():
        cell = cells.row(int(bad.arg_true()[0]), named=True)
        raise SourceFormatError(
            table,
            "every cell is a number, blank or '...'",
            file=path,
            row=cell[row_name],
            column=cell[col_name],
            detail=f"value {cell['text']!r}",
        )
    return cells.with_columns(value_musd=values.fill_null(0.0)).drop("text")


def _read_tidy_csv(path: Path, table: str) -> pl.DataFrame:
    """A tidy BEA CSV with codes as strings and total labels mapped to T-codes, one line per code."""
    wide = read_csv(path, table, line_column=_LINE)
    wide = wide.rename({c: _label_to_code(c.strip(), COLUMN_TOTAL_LABELS) for c in wide.columns if c != _LINE})
    first = wide.columns[0]
    return _one_line_per_code(
        wide.with_columns(
            pl.col(first).map_elements(
                lambda c: _label_to_code(normalise_code(c), ROW_TOTAL_LABELS), return_dtype=pl.String
            )
        ),
        table,
        path,
    )


def _one_line_per_code(wide: pl.DataFrame, table: str, path: Path | None) -> pl.DataFrame:
    """``wide`` without its column of line numbers; a code (first column) on two lines is a
    DataValidationError naming the code and both lines (a duplicated line would be counted twice
    in every column sum and reported as totals that do not reconcile)."""
    first = wide.columns[0]
    repeated = wide.filter(pl.col(first).is_duplicated())
    if repeated.height:
        code = repeated[first][0]
        lines = repeated.filter(pl.col(first) == code)[_LINE].to_list()
        raise DataValidationError(
            table,
            "one line per code",
            file=path,
            line=lines[1],
            row=code,
            column=first,
            detail=f"code {code!r} is on lines {lines}: remove the duplicate line",
        )
    return wide.drop(_LINE)


def _code_row_index(rows: list[tuple]) -> int:
    """Index of the header line holding column codes: the line marked ``Code``/``IOCode`` or the
    line just above it, whichever has more code-like cells (detail and summary files differ)."""
    marked = next((i for i, row in enumerate(rows) if row and normalise_code(row[0]) in _HEADER_MARKERS), None)
    if marked is None:
        raise DataValidationError(
            "bea_xlsx", "header line starting with 'Code' or 'IOCode'", detail="no such line in the sheet"
        )

    def code_like(i: int) -> int:
        return sum(bool(_CODE_LIKE.match(normalise_code(c))) for c in rows[i][2:] if c is not None)

    return max((marked - 1, marked), key=code_like)


def _read_bea_xlsx(path: Path, sheet: str | None, table: str) -> tuple[pl.DataFrame, dict[str, str]]:
    """BEA's xlsx layout -> (wide str frame with codes, {code: name}); a workbook is parsed once
    per process while it is unchanged (the Use table feeds three raw tables). Errors name
    ``table``, the file and the sheet."""
    try:
        return _parse_bea_xlsx(str(path.resolve()), path.stat().st_mtime_ns, sheet)
    except DataValidationError as error:
        raise error.located(table=table, file=f"{path} [sheet {sheet or 'last'}]") from error


@functools.lru_cache(maxsize=8)
def _parse_bea_xlsx(path: str, modified_ns: int, sheet: str | None) -> tuple[pl.DataFrame, dict[str, str]]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise SourceFormatError(
            "bea_xlsx", "the file is an xlsx workbook", detail=f"{type(error).__name__}: {error}"
        ) from error
    if sheet is not None and sheet not in workbook.sheetnames:
        workbook.close()
        raise SourceFormatError(
            "bea_xlsx", "the workbook has the year sheet", detail=f"no sheet {sheet!r}; sheets: {workbook.sheetnames}"
        )
    try:
        worksheet = workbook[sheet if sheet is not None else workbook.sheetnames[-1]]
        rows = [tuple(row) for row in worksheet.iter_rows(values_only=True)]
    except (zipfile.BadZipFile, OSError) as error:
        raise SourceFormatError(
            "bea_xlsx", "the file is an xlsx workbook", detail=f"{type(error).__name__}: {error}"
        ) from error
    finally:
        workbook.close()
    code_row = _code_row_index(rows)
    name_row = code_row - 1 if normalise_code(rows[code_row][0]) in _HEADER_MARKERS else code_row + 1
    kept_columns: list[tuple[int, str]] = []
    names: dict[str, str] = {}
    for j in range(2, len(rows[code_row])):
        code, name = normalise_code(rows[code_row][j] or ""), normalise_code(rows[name_row][j] or "")
        if not code and (not name or _PARTIAL_SUM.match(name)):
            continue
        code = code or _label_to_code(name, COLUMN_TOTAL_LABELS)
        kept_columns.append((j, code))
        names[code] = name
    records: list[list[str | int]] = []
    for number, row in enumerate(rows[max(code_row, name_row) + 1 :], start=max(code_row, name_row) + 2):
        code = normalise_code(row[0] if row[0] is not None else "")
        name = normalise_code(row[1] if len(row) > 1 and row[1] is not None else "")
        if not code and not name:
            if records:
                break
            continue
        blank = all(j >= len(row) or row[j] is None for j, _ in kept_columns)
        if _PARTIAL_SUM.match(name) or (not name and blank and not _CODE_LIKE.match(code)):
            continue  # a partial sum, or a footnote below the table ("Legend / Footnotes:")
        code = code or _label_to_code(name, ROW_TOTAL_LABELS)
        names.setdefault(code, name)
        records.append([code, *("" if row[j] is None else normalise_code(row[j]) for j, _ in kept_columns), number])
    schema = [("code", pl.String), *((code, pl.String) for _, code in kept_columns), (_LINE, pl.Int64)]
    return _one_line_per_code(pl.DataFrame(records, schema=schema, orient="row"), "bea_xlsx", None), names


def _read_wide(path: Path, sheet: str | None, table: str) -> tuple[pl.DataFrame, dict[str, str]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_bea_xlsx(path, sheet, table)
    return _read_tidy_csv(path, table), {}


def read_use(
    path: Path | str, sheet: str | None = None, *, validate: bool = True, table: str = "bea_use"
) -> pl.DataFrame:
    """Canonical ``bea_use`` (row_code, col_code, value_musd) from a BEA Use table (tidy CSV or
    BEA xlsx; ``sheet`` is the year sheet of a multi-year workbook, default the last sheet).

    All rows and columns are kept, totals included. With ``validate`` the totals must reconcile
    (:func:`~ree_assets.core.io_table.check_use_totals`). Errors name ``table`` (the canonical
    table read, e.g. ``bea_summary_use``) and the file.
    """
    path = Path(path)
    use = _long(_read_wide(path, sheet, table)[0], "row_code", "col_code", table, path)
    if validate:
        _check(check_use_totals, use, table, path)
    return use


def read_make(
    path: Path | str, sheet: str | None = None, *, validate: bool = True, table: str = "bea_make"
) -> pl.DataFrame:
    """Canonical ``bea_make`` (industry_code, commodity_code, value_musd) from a BEA Make table,
    totals (row T007, column T008) included; validated like :func:`read_use`."""
    path = Path(path)
    make = _long(_read_wide(path, sheet, table)[0], "industry_code", "commodity_code", table, path)
    if validate:
        _check(check_make_totals, make, table, path)
    return make


def _check(check, frame: pl.DataFrame, table: str, path: Path) -> None:
    """Run a core totals check on a table read from ``path``; its error names the file."""
    try:
        check(frame, table=table)
    except DataValidationError as error:
        raise error.located(file=path) from error


def read_code_names(paths: Iterable[Path | str]) -> dict[str, str]:
    """{code: name} from BEA code-name CSVs (first column code, second name), e.g.
    ``Detail_CommodityCodeName_2012.csv``; later files do not override earlier ones."""
    names: dict[str, str] = {}
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            next(reader)
            for code, name, *_ in reader:
                names.setdefault(normalise_code(code), name.strip())
    return names


def read_xlsx_code_names(path: Path | str, sheet: str | None = None) -> dict[str, str]:
    """{code: description} from the header and description column of a BEA xlsx table."""
    return _read_bea_xlsx(Path(path), sheet, "bea_codes")[1]


def bea_codes(bea_use: pl.DataFrame, bea_make: pl.DataFrame, names: Mapping[str, str] | None = None) -> pl.DataFrame:
    """Canonical ``bea_codes`` (code, kind, name) classified by where a code sits in the tables.

    commodity: a Make column other than a total; industry: a Make row other than a total;
    final_demand: a Use column that is neither an industry nor a total; value_added: a Use row
    that is neither a commodity nor a total; total: T001-T008. Most BEA codes are both a commodity
    and an industry, so the key is (code, kind). Names default to the code when unknown.
    """
    names = dict(names or {})
    total = re.compile(r"^T\d{3}$")
    industries = [c for c in bea_make["industry_code"].unique(maintain_order=True) if not total.match(c)]
    commodities = [c for c in bea_make["commodity_code"].unique(maintain_order=True) if not total.match(c)]
    use_rows = bea_use["row_code"].unique(maintain_order=True).to_list()
    use_cols = bea_use["col_code"].unique(maintain_order=True).to_list()
    totals = [c for c in dict.fromkeys(use_rows + use_cols) if total.match(c)]
    kinds = (
        [(c, "commodity") for c in commodities]
        + [(c, "industry") for c in industries]
        + [(c, "final_demand") for c in use_cols if c not in set(industries) and not total.match(c)]
        + [(c, "value_added") for c in use_rows if c not in set(commodities) and not total.match(c)]
        + [(c, "total") for c in totals]
    )
    return pl.DataFrame(
        {
            "code": [c for c, _ in kinds],
            "kind": [k for _, k in kinds],
            "name": [names.get(c, _TOTAL_NAMES.get(c, c)) for c, _ in kinds],
        },
    )


def read_bea_tables(
    use_path: Path | str, make_path: Path | str, *, sheet: str | None = None, name_files: Iterable[Path | str] = ()
) -> dict[str, pl.DataFrame]:
    """The three canonical BEA tables from one Use and one Make file (CSV or xlsx), with names
    from ``name_files`` (code-name CSVs) and, for xlsx, from the tables' own descriptions."""
    use_path, make_path = Path(use_path), Path(make_path)
    use, make = read_use(use_path, sheet), read_make(make_path, sheet)
    names = read_code_names(name_files)
    for path in (use_path, make_path):
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            for code, name in read_xlsx_code_names(path, sheet).items():
                names.setdefault(code, name)
    return {"bea_use": use, "bea_make": make, "bea_codes": bea_codes(use, make, names)}


def read_bea_codes(use_path: Path | str, make_path: Path | str, *, sheet: str | None = None) -> pl.DataFrame:
    """Canonical ``bea_codes`` of one Use and one Make file (:func:`read_bea_tables`)."""
    return read_bea_tables(use_path, make_path, sheet=sheet)["bea_codes"]


def read_published_total_requirements(path: Path | str, sheet: str | None = None) -> pl.DataFrame:
    """BEA's published industry-by-commodity total requirements (BEA's workbook, ``sheet`` its
    year, or the tidy CSV of one sheet: rows industries, columns commodities; footnote lines
    dropped) as long (industry_code, commodity_code, tr)."""
    path = Path(path)
    wide = _read_wide(path, sheet, "bea_published_total_requirements")[0]
    wide = wide.filter(pl.col(wide.columns[0]).str.contains(r"^[0-9A-Z]{2,6}$"))
    return _long(wide, "industry_code", "commodity_code", "bea_published_total_requirements", path).rename(
        {"value_musd": "tr"}
    )
