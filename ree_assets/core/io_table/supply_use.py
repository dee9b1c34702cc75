"""The supply-use container (``specs/io_table.md``, Inputs): a BEA Use/Make pair as matrices, the
reader checks that its totals reconcile, and conversion to and from the canonical long tables.

Notation (BEA, *Concepts and Methods of the U.S. Input-Output Accounts*, 2009, ch. 12): U is the
commodity x industry intermediate Use matrix, M the industry x commodity Make matrix, g industry
output, q commodity output. All money is USD million.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import polars as pl

from ree_assets.errors import DataValidationError

TOTAL_CODE = re.compile(r"^T\d{3}$")
#: BEA rounds every published cell to USD 1 million, so a total may differ from the sum of n
#: rounded cells by up to 0.5 x (n + 1): the reconciliation tolerance used here (USD million).
ROUNDING_MUSD_PER_CELL = 0.5


@dataclass(frozen=True)
class SupplyUse:
    """A Use/Make pair as matrices (USD million) with the codes of their rows and columns.

    ``use`` is commodity x industry (intermediate use), ``final_demand`` commodity x final use,
    ``value_added`` value-added row x industry, ``make`` industry x commodity. Totals are not
    stored: industry output g = column sums of use + value added; commodity output q = column sums
    of make; the Use row total is use + final demand summed across.
    """

    commodities: tuple[str, ...]
    industries: tuple[str, ...]
    final_uses: tuple[str, ...]
    value_added_rows: tuple[str, ...]
    use: np.ndarray
    final_demand: np.ndarray
    value_added: np.ndarray
    make: np.ndarray

    @property
    def industry_output(self) -> np.ndarray:
        """g_j = sum_i U_ij + sum_v VA_vj."""
        return self.use.sum(axis=0) + self.value_added.sum(axis=0)

    @property
    def commodity_output(self) -> np.ndarray:
        """q_c = sum_j M_jc."""
        return self.make.sum(axis=0)

    @property
    def commodity_row_total(self) -> np.ndarray:
        """sum_j U_cj + sum_f F_cf (equals q_c in a balanced table)."""
        return self.use.sum(axis=1) + self.final_demand.sum(axis=1)

    def commodity_index(self, code: str, table: str = "bea_use") -> int:
        """Position of a commodity, or a DataValidationError naming the missing code."""
        if code not in self.commodities:
            raise DataValidationError(table, "code exists in the table read", row=code, detail="commodity not found")
        return self.commodities.index(code)

    def industry_index(self, code: str, table: str = "bea_use") -> int:
        """Position of an industry, or a DataValidationError naming the missing code."""
        if code not in self.industries:
            raise DataValidationError(table, "code exists in the table read", column=code, detail="industry not found")
        return self.industries.index(code)


def _dense(frame: pl.DataFrame, row: str, col: str) -> tuple[list[str], list[str], np.ndarray]:
    """Long (row, col, value_musd) -> (row codes, column codes, matrix), codes in order of first
    appearance, duplicate cells summed."""
    rows = frame[row].unique(maintain_order=True).to_list()
    cols = frame[col].unique(maintain_order=True).to_list()
    row_at = {c: i for i, c in enumerate(rows)}
    col_at = {c: j for j, c in enumerate(cols)}
    matrix = np.zeros((len(rows), len(cols)))
    np.add.at(
        matrix, ([row_at[c] for c in frame[row]], [col_at[c] for c in frame[col]]), frame["value_musd"].to_numpy()
    )
    return rows, cols, matrix


def _check_total(
    table: str,
    rule: str,
    totals: np.ndarray,
    sums: np.ndarray,
    n_cells: int,
    labels: Sequence[str],
    axis_label: Literal["row", "column"],
) -> None:
    """Raise on the first |total - sum| above BEA's rounding bound 0.5 x (n_cells + 1)."""
    tolerance = ROUNDING_MUSD_PER_CELL * (n_cells + 1)
    gap = np.abs(totals - sums)
    if gap.size and gap.max() > tolerance:
        k = int(np.argmax(gap))
        raise DataValidationError(
            table,
            rule,
            row=labels[k] if axis_label == "row" else None,
            column=labels[k] if axis_label == "column" else None,
            detail=f"total {totals[k]:.1f} vs sum {sums[k]:.1f}, tolerance {tolerance:.1f} USD million",
        )


def check_use_totals(bea_use: pl.DataFrame, table: str = "bea_use") -> None:
    """Raise DataValidationError unless a canonical Use table's totals reconcile.

    Rules (each checked when its total is present): commodity output T007 = row sum over
    industries and final uses; T001 = intermediate row sum; T004 = final-use row sum; industry
    output T008 = column sum over commodities and value added; T005 = intermediate column sum;
    T006 = value-added column sum. Tolerance: 0.5 USD million per summed cell (BEA rounding).
    """
    rows, cols, matrix = _dense(bea_use, "row_code", "col_code")
    total_rows = [r for r in rows if TOTAL_CODE.match(r)]
    total_cols = [c for c in cols if TOTAL_CODE.match(c)]
    final_use_cols = [j for j, c in enumerate(cols) if re.match(r"^F\d", c)]
    industry_cols = [j for j, c in enumerate(cols) if not TOTAL_CODE.match(c) and j not in final_use_cols]
    value_added_rows = [i for i, r in enumerate(rows) if re.match(r"^V\d", r)]
    commodity_rows = [i for i, r in enumerate(rows) if not TOTAL_CODE.match(r) and i not in value_added_rows]
    commodities = [rows[i] for i in commodity_rows]
    industries = [cols[j] for j in industry_cols]
    inner = matrix[np.ix_(commodity_rows, industry_cols)]
    final = matrix[np.ix_(commodity_rows, final_use_cols)]
    added = matrix[np.ix_(value_added_rows, industry_cols)]
    row_rules = {
        "T007": (
            "T007 = row sum (commodity output)",
            inner.sum(1) + final.sum(1),
            len(industry_cols) + len(final_use_cols),
        ),
        "T001": ("T001 = intermediate row sum", inner.sum(1), len(industry_cols)),
        "T004": ("T004 = final-use row sum", final.sum(1), len(final_use_cols)),
    }
    for code, (rule, sums, n) in row_rules.items():
        if code in total_cols:
            _check_total(table, rule, matrix[commodity_rows, cols.index(code)], sums, n, commodities, "row")
    col_rules = {
        "T008": (
            "T008 = column sum (industry output)",
            inner.sum(0) + added.sum(0),
            len(commodity_rows) + len(value_added_rows),
        ),
        "T005": ("T005 = intermediate column sum", inner.sum(0), len(commodity_rows)),
        "T006": ("T006 = value-added column sum", added.sum(0), len(value_added_rows)),
    }
    for code, (rule, sums, n) in col_rules.items():
        if code in total_rows:
            _check_total(table, rule, matrix[rows.index(code), industry_cols], sums, n, industries, "column")


def check_make_totals(bea_make: pl.DataFrame, table: str = "bea_make") -> None:
    """Raise DataValidationError unless a canonical Make table's totals reconcile: industry
    output T008 = row sum, commodity output T007 = column sum (same rounding tolerance)."""
    rows, cols, matrix = _dense(bea_make, "industry_code", "commodity_code")
    industries = [i for i, r in enumerate(rows) if not TOTAL_CODE.match(r)]
    commodities = [j for j, c in enumerate(cols) if not TOTAL_CODE.match(c)]
    inner = matrix[np.ix_(industries, commodities)]
    if "T008" in cols:
        _check_total(
            table,
            "T008 = row sum (industry output)",
            matrix[industries, cols.index("T008")],
            inner.sum(1),
            len(commodities),
            [rows[i] for i in industries],
            "row",
        )
    if "T007" in rows:
        _check_total(
            table,
            "T007 = column sum (commodity output)",
            matrix[rows.index("T007"), commodities],
            inner.sum(0),
            len(industries),
            [cols[j] for j in commodities],
            "column",
        )


def supply_use_from_canonical(bea_use: pl.DataFrame, bea_make: pl.DataFrame) -> SupplyUse:
    """Canonical ``bea_use``/``bea_make`` long frames -> :class:`SupplyUse` (totals dropped).

    Industries and commodities are the Make table's rows and columns; final uses are the other
    Use columns, value-added rows the other Use rows (totals T001-T008 excluded).
    """
    make_rows, make_cols, make = _dense(bea_make, "industry_code", "commodity_code")
    industry_at = [i for i, c in enumerate(make_rows) if not TOTAL_CODE.match(c)]
    commodity_at = [j for j, c in enumerate(make_cols) if not TOTAL_CODE.match(c)]
    industries = [make_rows[i] for i in industry_at]
    commodities = [make_cols[j] for j in commodity_at]
    use_rows, use_cols, use = _dense(bea_use, "row_code", "col_code")
    row_at, col_at = {c: i for i, c in enumerate(use_rows)}, {c: j for j, c in enumerate(use_cols)}
    for code in commodities:
        if code not in row_at:
            raise DataValidationError("bea_use", "every Make commodity is a Use row", row=code)
    for code in industries:
        if code not in col_at:
            raise DataValidationError("bea_use", "every Make industry is a Use column", column=code)
    final_uses = [c for c in use_cols if c not in set(industries) and not TOTAL_CODE.match(c)]
    value_added = [r for r in use_rows if r not in set(commodities) and not TOTAL_CODE.match(r)]
    commodity_rows = [row_at[c] for c in commodities]
    return SupplyUse(
        commodities=tuple(commodities),
        industries=tuple(industries),
        final_uses=tuple(final_uses),
        value_added_rows=tuple(value_added),
        use=use[np.ix_(commodity_rows, [col_at[c] for c in industries])],
        final_demand=use[np.ix_(commodity_rows, [col_at[c] for c in final_uses])],
        value_added=use[np.ix_([row_at[r] for r in value_added], [col_at[c] for c in industries])],
        make=make[np.ix_(industry_at, commodity_at)],
    )


def long_frame(
    rows: Sequence[str], cols: Sequence[str], matrix: np.ndarray, row_name: str, col_name: str
) -> pl.DataFrame:
    """A matrix as a long frame (row_name, col_name, value_musd), rows in order."""
    return pl.DataFrame(
        {
            row_name: np.repeat(np.asarray(rows, dtype=object), len(cols)).tolist(),
            col_name: list(cols) * len(rows),
            "value_musd": matrix.ravel(),
        },
        schema={row_name: pl.String, col_name: pl.String, "value_musd": pl.Float64},
    )


def use_to_canonical(tables: SupplyUse) -> pl.DataFrame:
    """:class:`SupplyUse` -> canonical ``bea_use`` with BEA's totals recomputed (rows T005, T006,
    T008; columns T001, T004, T007)."""
    inner = np.hstack(
        [
            tables.use,
            tables.final_demand,
            tables.use.sum(1, keepdims=True),
            tables.final_demand.sum(1, keepdims=True),
            tables.commodity_row_total[:, None],
        ]
    )
    n_final = len(tables.final_uses)
    blank = np.zeros((1, n_final + 3))
    bottom = np.vstack(
        [
            np.hstack([tables.use.sum(0, keepdims=True), blank]),
            np.hstack([tables.value_added, np.zeros((len(tables.value_added_rows), n_final + 3))]),
            np.hstack([tables.value_added.sum(0, keepdims=True), blank]),
            np.hstack([tables.industry_output[None, :], blank]),
        ]
    )
    rows = [*tables.commodities, "T005", *tables.value_added_rows, "T006", "T008"]
    cols = [*tables.industries, *tables.final_uses, "T001", "T004", "T007"]
    return long_frame(rows, cols, np.vstack([inner, bottom]), "row_code", "col_code")


def make_to_canonical(tables: SupplyUse) -> pl.DataFrame:
    """:class:`SupplyUse` -> canonical ``bea_make`` with totals (row T007, column T008)."""
    matrix = np.vstack(
        [
            np.hstack([tables.make, tables.make.sum(1, keepdims=True)]),
            np.append(tables.commodity_output, tables.make.sum())[None, :],
        ]
    )
    return long_frame(
        [*tables.industries, "T007"], [*tables.commodities, "T008"], matrix, "industry_code", "commodity_code"
    )


def aggregate_supply_use(tables: SupplyUse, group_of: Callable[[str], str]) -> SupplyUse:
    """Sum a Use/Make pair over groups of commodity and industry codes (``group_of``, the same
    map for both, e.g. detail -> summary level): U_agg = G_c U G_i', M_agg = G_i M G_c',
    final demand and value added summed along the grouped axis. Totals are preserved."""

    def grouping(codes: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray]:
        groups = tuple(dict.fromkeys(group_of(code) for code in codes))
        matrix = np.zeros((len(groups), len(codes)))
        matrix[[groups.index(group_of(code)) for code in codes], np.arange(len(codes))] = 1.0
        return groups, matrix

    commodities, by_commodity = grouping(tables.commodities)
    industries, by_industry = grouping(tables.industries)
    return replace(
        tables,
        commodities=commodities,
        industries=industries,
        use=by_commodity @ tables.use @ by_industry.T,
        final_demand=by_commodity @ tables.final_demand,
        value_added=tables.value_added @ by_industry.T,
        make=by_industry @ tables.make @ by_commodity.T,
    )
