"""The REE-extended input-output table and REE total requirements (AFSV, measurement).

Construction steps of ``specs/io_table.md``, each a small pure function on :class:`SupplyUse`:

1. :func:`add_element_rows` — REE purchases moved out of carrier cells into element rows;
2. :func:`split_magnets` — industry and commodity 332999 split into magnets and the rest;
3. :func:`total_requirements`, :func:`commodity_total_requirements`,
   :func:`element_requirements` — BEA's industry-technology total requirements;
4. :func:`requirements_to_sic` — BEA commodities -> SIC 1987 (output-weighted mean).

Notation (BEA, *Concepts and Methods of the U.S. Input-Output Accounts*, 2009, ch. 12): U is the
commodity x industry intermediate Use matrix, M the industry x commodity Make matrix, g industry
output, q commodity output, B = U diag(g)^-1, D = M diag(q)^-1. All money is USD million.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import polars as pl
from scipy.linalg import lu_factor, lu_solve

from ree_assets.errors import DataValidationError

TOTAL_CODE = re.compile(r"^T\d{3}$")
#: BEA rounds every published cell to USD 1 million, so a total may differ from the sum of n
#: rounded cells by up to 0.5 x (n + 1): the reconciliation tolerance used here (USD million).
ROUNDING_MUSD_PER_CELL = 0.5
#: Columns of (I - B D)^-1 with q > 0 sum to at least 1 up to this tolerance.
COLUMN_SUM_TOLERANCE = 1e-9
#: Marker in ``application_industry_map.bea_code``: every industry buying the application's first
#: carrier, weighted by its purchases of it ("Other: users of 325180, pro rata").
PRO_RATA_USERS = "*"
MAGNET_CODE = "33299M"
MAGNET_PARENT = "332999"
ALL_ELEMENTS = "All"
#: Composition rows for REE not modelled as an element of their own (Gd, Tb, Y, Sm, ...).
OTHER_ELEMENT = "other"
_SHARE_TOLERANCE = 1e-6
TONNE_KG = 1_000.0
MUSD = 1e6


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
            raise DataValidationError(table, "code exists in the table read", row=code,
                                      detail="commodity not found")
        return self.commodities.index(code)

    def industry_index(self, code: str, table: str = "bea_use") -> int:
        """Position of an industry, or a DataValidationError naming the missing code."""
        if code not in self.industries:
            raise DataValidationError(table, "code exists in the table read", column=code,
                                      detail="industry not found")
        return self.industries.index(code)


def _dense(frame: pl.DataFrame, row: str, col: str) -> tuple[list[str], list[str], np.ndarray]:
    """Long (row, col, value_musd) -> (row codes, column codes, matrix), codes in order of first
    appearance, duplicate cells summed."""
    rows = frame[row].unique(maintain_order=True).to_list()
    cols = frame[col].unique(maintain_order=True).to_list()
    row_at = {c: i for i, c in enumerate(rows)}
    col_at = {c: j for j, c in enumerate(cols)}
    matrix = np.zeros((len(rows), len(cols)))
    np.add.at(matrix, ([row_at[c] for c in frame[row]], [col_at[c] for c in frame[col]]),
              frame["value_musd"].to_numpy())
    return rows, cols, matrix


def _check_total(table: str, rule: str, totals: np.ndarray, sums: np.ndarray, n_cells: int,
                 labels: Sequence[str], axis_label: str) -> None:
    """Raise on the first |total - sum| above BEA's rounding bound 0.5 x (n_cells + 1)."""
    tolerance = ROUNDING_MUSD_PER_CELL * (n_cells + 1)
    gap = np.abs(totals - sums)
    if gap.size and gap.max() > tolerance:
        k = int(np.argmax(gap))
        where = {axis_label: labels[k]}
        raise DataValidationError(
            table, rule, **where,
            detail=f"total {totals[k]:.1f} vs sum {sums[k]:.1f}, tolerance {tolerance:.1f} USD million")


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
    row_rules = {"T007": ("T007 = row sum (commodity output)", inner.sum(1) + final.sum(1),
                          len(industry_cols) + len(final_use_cols)),
                 "T001": ("T001 = intermediate row sum", inner.sum(1), len(industry_cols)),
                 "T004": ("T004 = final-use row sum", final.sum(1), len(final_use_cols))}
    for code, (rule, sums, n) in row_rules.items():
        if code in total_cols:
            _check_total(table, rule, matrix[commodity_rows, cols.index(code)], sums, n,
                         commodities, "row")
    col_rules = {"T008": ("T008 = column sum (industry output)", inner.sum(0) + added.sum(0),
                          len(commodity_rows) + len(value_added_rows)),
                 "T005": ("T005 = intermediate column sum", inner.sum(0), len(commodity_rows)),
                 "T006": ("T006 = value-added column sum", added.sum(0), len(value_added_rows))}
    for code, (rule, sums, n) in col_rules.items():
        if code in total_rows:
            _check_total(table, rule, matrix[rows.index(code), industry_cols], sums, n,
                         industries, "column")


def check_make_totals(bea_make: pl.DataFrame, table: str = "bea_make") -> None:
    """Raise DataValidationError unless a canonical Make table's totals reconcile: industry
    output T008 = row sum, commodity output T007 = column sum (same rounding tolerance)."""
    rows, cols, matrix = _dense(bea_make, "industry_code", "commodity_code")
    industries = [i for i, r in enumerate(rows) if not TOTAL_CODE.match(r)]
    commodities = [j for j, c in enumerate(cols) if not TOTAL_CODE.match(c)]
    inner = matrix[np.ix_(industries, commodities)]
    if "T008" in cols:
        _check_total(table, "T008 = row sum (industry output)", matrix[industries, cols.index("T008")],
                     inner.sum(1), len(commodities), [rows[i] for i in industries], "row")
    if "T007" in rows:
        _check_total(table, "T007 = column sum (commodity output)", matrix[rows.index("T007"), commodities],
                     inner.sum(0), len(industries), [cols[j] for j in commodities], "column")


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
        commodities=tuple(commodities), industries=tuple(industries), final_uses=tuple(final_uses),
        value_added_rows=tuple(value_added),
        use=use[np.ix_(commodity_rows, [col_at[c] for c in industries])],
        final_demand=use[np.ix_(commodity_rows, [col_at[c] for c in final_uses])],
        value_added=use[np.ix_([row_at[r] for r in value_added], [col_at[c] for c in industries])],
        make=make[np.ix_(industry_at, commodity_at)],
    )


def _long_frame(rows: Sequence[str], cols: Sequence[str], matrix: np.ndarray,
                row_name: str, col_name: str) -> pl.DataFrame:
    return pl.DataFrame({
        row_name: np.repeat(np.asarray(rows, dtype=object), len(cols)).tolist(),
        col_name: list(cols) * len(rows),
        "value_musd": matrix.ravel(),
    }, schema={row_name: pl.String, col_name: pl.String, "value_musd": pl.Float64})


def use_to_canonical(tables: SupplyUse) -> pl.DataFrame:
    """:class:`SupplyUse` -> canonical ``bea_use`` with BEA's totals recomputed (rows T005, T006,
    T008; columns T001, T004, T007)."""
    inner = np.hstack([tables.use, tables.final_demand,
                       tables.use.sum(1, keepdims=True), tables.final_demand.sum(1, keepdims=True),
                       tables.commodity_row_total[:, None]])
    n_final = len(tables.final_uses)
    blank = np.zeros((1, n_final + 3))
    bottom = np.vstack([
        np.hstack([tables.use.sum(0, keepdims=True), blank]),
        np.hstack([tables.value_added, np.zeros((len(tables.value_added_rows), n_final + 3))]),
        np.hstack([tables.value_added.sum(0, keepdims=True), blank]),
        np.hstack([tables.industry_output[None, :], blank]),
    ])
    rows = [*tables.commodities, "T005", *tables.value_added_rows, "T006", "T008"]
    cols = [*tables.industries, *tables.final_uses, "T001", "T004", "T007"]
    return _long_frame(rows, cols, np.vstack([inner, bottom]), "row_code", "col_code")


def make_to_canonical(tables: SupplyUse) -> pl.DataFrame:
    """:class:`SupplyUse` -> canonical ``bea_make`` with totals (row T007, column T008)."""
    matrix = np.vstack([np.hstack([tables.make, tables.make.sum(1, keepdims=True)]),
                        np.append(tables.commodity_output, tables.make.sum())[None, :]])
    return _long_frame([*tables.industries, "T007"], [*tables.commodities, "T008"], matrix,
                       "industry_code", "commodity_code")


# --- Step 1 inputs: REE purchases by element and using industry ---------------------------------

def _check_shares(frame: pl.DataFrame, table: str, group: str | None, share: str) -> None:
    """Raise unless ``share`` sums to 1 (within 1e-6) per ``group`` (or overall)."""
    sums = (frame.group_by(group).agg(pl.col(share).sum()) if group
            else frame.select(pl.col(share).sum()).with_columns(pl.lit("all").alias("_group")))
    key = group or "_group"
    for label, total in sums.select(key, share).iter_rows():
        if abs(total - 1.0) > _SHARE_TOLERANCE:
            raise DataValidationError(table, f"{share} sums to 1 per {group or 'table'}", row=label,
                                      detail=f"sum is {total:.6f}")


def element_end_use_tonnes(composition: pl.DataFrame, end_use: pl.DataFrame,
                           tonnes_reo: float) -> pl.DataFrame:
    """Tonnes REO by (application, element): t_ae = T x s_a x w_ae.

    T is total consumption, s_a the country's end-use share of application a (``end_use``:
    application, end_use_share; sums to 1), w_ae the element composition of a
    (``composition``: application, element, element_share; sums to 1 per application, the
    ``other`` element included). Rows of the ``other`` element are kept: they are REO that is not
    one of the modelled elements and is priced nowhere, so it stays in the carrier cells.
    """
    _check_shares(composition, "ree_application_composition", "application", "element_share")
    _check_shares(end_use, "ree_end_use", None, "end_use_share")
    missing = set(end_use["application"]) - set(composition["application"])
    if missing:
        raise DataValidationError("ree_end_use", "application has a composition",
                                  row=sorted(missing)[0])
    return (end_use.select("application", "end_use_share")
            .join(composition.select("application", "element", "element_share"), on="application")
            .with_columns(tonnes_reo=tonnes_reo * pl.col("end_use_share") * pl.col("element_share"))
            .select("application", "element", "tonnes_reo"))


def consumption_tonnes(consumption: pl.DataFrame, country: str, year: int) -> float:
    """Total REE consumption T (tonnes REO) of ``country`` in ``year`` (``ree_consumption``)."""
    chosen = consumption.filter((pl.col("country") == country) & (pl.col("year") == year))
    if chosen.height != 1:
        raise DataValidationError("ree_consumption", "one consumption row per country and year",
                                  row=f"{country} {year}", detail=f"{chosen.height} rows found")
    return float(chosen["tonnes_reo"][0])


def parameter_value(parameters: pl.DataFrame, name: str) -> float:
    """One scalar of ``ree_parameters`` (parameter, value)."""
    chosen = parameters.filter(pl.col("parameter") == name)
    if chosen.height != 1:
        raise DataValidationError("ree_parameters", "each parameter appears once", row=name,
                                  detail=f"{chosen.height} rows found")
    return float(chosen["value"][0])


def price_at(prices: pl.DataFrame, year: int, market: str = "fob_china") -> pl.DataFrame:
    """(element, price_usd_per_kg) in ``year`` and ``market``; a price <= 0 is an error."""
    chosen = prices.filter((pl.col("year") == year) & (pl.col("market") == market))
    bad = chosen.filter(pl.col("price_usd_per_kg") <= 0)
    if bad.height:
        raise DataValidationError("ree_prices", "price_usd_per_kg > 0",
                                  row=f"{bad['element'][0]} {market} {year}",
                                  detail=f"price is {bad['price_usd_per_kg'][0]}")
    if chosen.height == 0:
        raise DataValidationError("ree_prices", "prices exist in the price year", row=f"{market} {year}")
    return chosen.select("element", "price_usd_per_kg")


def _using_industries(tables: SupplyUse, app_map: pl.DataFrame) -> pl.DataFrame:
    """Resolve :data:`PRO_RATA_USERS` rows to every buyer of the first carrier (weight = its share
    of the carrier's intermediate purchases x the row's weight); check every named code exists."""
    resolved = []
    for application, code, weight, carriers in app_map.select(
            "application", "bea_code", "weight", "carriers").iter_rows():
        for carrier in carriers:
            tables.commodity_index(carrier, "application_industry_map")
        if code != PRO_RATA_USERS:
            tables.industry_index(code, "application_industry_map")
            resolved.append((application, code, weight, list(carriers)))
            continue
        purchases = np.clip(tables.use[tables.commodity_index(carriers[0], "application_industry_map")], 0, None)
        for j in np.flatnonzero(purchases):
            resolved.append((application, tables.industries[j], weight * purchases[j] / purchases.sum(),
                             list(carriers)))
    return pl.DataFrame(resolved, schema={"application": pl.String, "bea_code": pl.String,
                                          "weight": pl.Float64, "carriers": pl.List(pl.String)},
                        orient="row")


def ree_purchases(tables: SupplyUse, composition: pl.DataFrame, end_use: pl.DataFrame,
                  tonnes_reo: float, prices: pl.DataFrame, app_map: pl.DataFrame,
                  price_year: int = 2009) -> pl.DataFrame:
    """REE purchases v_es (USD million) by (application, element, bea_code, carriers).

    v_aes = t_ae x 1000 kg/t x p_e(price_year) / 1e6 x w_as, with t_ae from
    :func:`element_end_use_tonnes`, p_e the FOB China oxide price (``specs/ree_defaults.md``; the
    price year defaults to 2009, before the shock) and w_as the weight of industry s in the
    application (sums to 1 per application). Elements without a price (``other``) are dropped here,
    explicitly: only priced elements become rows.
    """
    _check_shares(app_map, "application_industry_map", "application", "weight")
    tonnes = element_end_use_tonnes(composition, end_use, tonnes_reo)
    priced = tonnes.filter(pl.col("element") != OTHER_ELEMENT).join(
        price_at(prices, price_year), on="element", how="left")
    unpriced = priced.filter(pl.col("price_usd_per_kg").is_null() & (pl.col("tonnes_reo") > 0))
    if unpriced.height:
        raise DataValidationError("ree_prices", "every element used has a price in the price year",
                                  row=unpriced["element"][0])
    users = _using_industries(tables, app_map)
    unmapped = set(priced["application"]) - set(users["application"])
    if unmapped:
        raise DataValidationError("application_industry_map", "every application has a using industry",
                                  row=sorted(unmapped)[0])
    return (priced.join(users, on="application")
            .with_columns(value_musd=pl.col("tonnes_reo") * TONNE_KG * pl.col("price_usd_per_kg")
                          / MUSD * pl.col("weight"))
            .filter(pl.col("value_musd") > 0)
            .select("application", "element", "bea_code", "carriers", "value_musd"))


# --- Step 1: element rows -------------------------------------------------------------------------

def _take_from_column(column: np.ndarray, amount: float, carriers: Sequence[int],
                      pool: np.ndarray) -> tuple[np.ndarray, float]:
    """Cells taken from one Use column: carriers in order, then the rest pro rata from the
    positive cells in ``pool``. Returns (taken per row, amount taken pro rata)."""
    taken = np.zeros_like(column)
    remaining = amount
    for i in carriers:
        step = min(remaining, max(column[i] - taken[i], 0.0))
        taken[i] += step
        remaining -= step
    if remaining > 0:
        available = np.where(pool, np.clip(column - taken, 0, None), 0.0)
        if available.sum() < remaining:
            raise DataValidationError("bea_use", "REE purchases fit within intermediate inputs",
                                      detail=f"needs {amount:.3f}, inputs hold {available.sum() + amount - remaining:.3f}")
        taken += remaining * available / available.sum()
    return taken, remaining


def add_element_rows(tables: SupplyUse, purchases: pl.DataFrame) -> tuple[SupplyUse, pl.DataFrame]:
    """Step 1: move REE purchases into new element commodity rows.

    For each purchase v (application a, element e, industry s, carriers c1, c2, ...), v is taken
    from U[c1, s], then U[c2, s], ...; if the carriers hold less, the rest comes pro rata from all
    positive intermediate inputs of s with q > 0 (the shortfall, returned per application and
    industry). U[e, s] += v. Column totals (g_s) are unchanged.

    Make: the value taken from commodity c (r_c = sum_s taken_cs) is removed from c's producers
    in proportion to their market shares M[:, c] / q_c; each producer makes the freed value
    f_i = sum_c r_c M_ic / q_c as the new element commodities, split by element totals
    E_e / sum E. So commodity output = row total for every commodity, old and new, and industry
    output is unchanged (see the module report for how this deviates from the spec's "produced by
    325180").
    """
    elements = list(dict.fromkeys(purchases["element"].to_list()))
    clash = set(elements) & set(tables.commodities)
    if clash:
        raise DataValidationError("ree_purchases", "element codes are new commodities", row=sorted(clash)[0])
    n_c = len(tables.commodities)
    use = np.vstack([tables.use, np.zeros((len(elements), len(tables.industries)))])
    taken_total = np.zeros((n_c, len(tables.industries)))
    pool = tables.commodity_output > 0
    shortfall = []
    grouped = purchases.group_by("application", "bea_code", maintain_order=True).agg(
        pl.col("carriers").first(), pl.col("element"), pl.col("value_musd"))
    for application, code, carriers, element_list, values in grouped.iter_rows():
        s = tables.industry_index(code, "application_industry_map")
        carrier_rows = [tables.commodity_index(c, "application_industry_map") for c in carriers]
        taken, pro_rata = _take_from_column(use[:n_c, s], float(sum(values)), carrier_rows, pool)
        use[:n_c, s] -= taken
        taken_total[:, s] += taken
        for element, value in zip(element_list, values):
            use[n_c + elements.index(element), s] += value
        shortfall.append((application, code, float(sum(values)), pro_rata))
    removed = taken_total.sum(axis=1)
    q = tables.commodity_output
    over = np.flatnonzero(removed > q + 1e-9)
    if over.size:
        raise DataValidationError("bea_make", "moved REE value <= commodity output of the carrier",
                                  column=tables.commodities[over[0]])
    shares = np.divide(tables.make, q, out=np.zeros_like(tables.make), where=q > 0)
    freed_by_producer = shares @ removed
    element_totals = np.array([purchases.filter(pl.col("element") == e)["value_musd"].sum() for e in elements])
    make = np.hstack([tables.make - shares * removed,
                      np.outer(freed_by_producer, element_totals / element_totals.sum())])
    extended = replace(
        tables, commodities=tables.commodities + tuple(elements), use=use, make=make,
        final_demand=np.vstack([tables.final_demand, np.zeros((len(elements), len(tables.final_uses)))]),
    )
    report = pl.DataFrame(shortfall, schema={"application": pl.String, "bea_code": pl.String,
                                             "ree_purchases_musd": pl.Float64,
                                             "pro_rata_shortfall_musd": pl.Float64}, orient="row")
    return extended, report


# --- Step 2: magnet split -------------------------------------------------------------------------

def split_magnets(tables: SupplyUse, magnet_ree: Mapping[str, float], cost_share: float,
                  parent: str = MAGNET_PARENT, magnet_code: str = MAGNET_CODE) -> SupplyUse:
    """Step 2: split industry and commodity ``parent`` (332999) into magnets and the rest.

    Magnet output X = R / sigma, R = sum_e r_e the magnet REE purchases (element rows of the
    parent column, by element) and sigma the magnet REE cost share. The magnet column gets the
    REE rows r_e plus the share phi = (X - R) / (g - R) of every other entry of the parent column
    (inputs and value added), so its total is X and the rest keeps g - X. The Make diagonal gives
    the magnet industry X of the magnet commodity, taken from the parent's own production of the
    parent commodity. The Use row of the parent commodity (intermediate and final) splits in
    proportion X / q_parent. Every industry and commodity total is preserved.
    """
    if not 0 < cost_share <= 1:
        raise DataValidationError("ree_parameters", "0 < magnet REE cost share <= 1", row="magnet_cost_share",
                                  detail=f"value {cost_share}")
    s = tables.industry_index(parent)
    c = tables.commodity_index(parent)
    ree_rows = np.array([tables.commodity_index(e) for e in magnet_ree])
    ree = np.array([magnet_ree[e] for e in magnet_ree], dtype=float)
    total_ree, g = ree.sum(), tables.industry_output[s]
    magnet_output = total_ree / cost_share
    if magnet_output > min(g, tables.make[s, c]):
        raise DataValidationError("bea_make", "magnet output <= output of the parent industry's own commodity",
                                  row=parent, detail=f"magnet output {magnet_output:.3f}")
    if np.any(tables.use[ree_rows, s] < ree - 1e-9):
        raise DataValidationError("bea_use", "magnet REE rows are held by the parent column", column=parent)
    others = tables.use[:, s].copy()
    others[ree_rows] -= ree
    phi = (magnet_output - total_ree) / (g - total_ree)
    magnet_column = phi * others
    magnet_column[ree_rows] += ree
    use = np.hstack([tables.use, magnet_column[:, None]])
    use[:, s] -= magnet_column
    value_added = np.hstack([tables.value_added, phi * tables.value_added[:, [s]]])
    value_added[:, s] *= 1 - phi
    row_share = magnet_output / tables.commodity_output[c]
    use = np.vstack([use, row_share * use[c]])
    use[c] *= 1 - row_share
    final_demand = np.vstack([tables.final_demand, row_share * tables.final_demand[c]])
    final_demand[c] *= 1 - row_share
    make = np.pad(tables.make, ((0, 1), (0, 1)))
    make[s, c] -= magnet_output
    make[-1, -1] = magnet_output
    return replace(tables, commodities=tables.commodities + (magnet_code,),
                   industries=tables.industries + (magnet_code,),
                   use=use, final_demand=final_demand, value_added=value_added, make=make)


def split_accounting_errors(original: SupplyUse, extended: SupplyUse,
                            parents: Mapping[str, str] | None = None) -> dict[str, float]:
    """Largest violations (USD million) of the identities steps 1-2 must preserve:

    - ``industry_output``: g_s of every original industry = sum of g over its parts in
      ``extended`` (the magnet industry counts towards its parent);
    - ``commodity_balance``: the gap Use row total - commodity output q_c of every original
      commodity is unchanged (a published table keeps its own rounding gaps), summed over its
      parts, and every new element commodity balances exactly;
    - ``total_output``: sum_c q_c is unchanged (value moved to element rows is only relabelled).
    """
    parents = dict({MAGNET_CODE: MAGNET_PARENT}, **(parents or {}))

    def by_parent(codes: tuple[str, ...], values: np.ndarray, name: str) -> pl.DataFrame:
        return (pl.DataFrame({"code": [parents.get(c, c) for c in codes], name: values})
                .group_by("code").agg(pl.col(name).sum()))

    def largest_change(before: pl.DataFrame, after: pl.DataFrame) -> float:
        joined = after.join(before, on="code", how="full", coalesce=True).fill_null(0.0)
        return float(joined.select((pl.col("after") - pl.col("before")).abs().max()).item())

    industry = largest_change(by_parent(original.industries, original.industry_output, "before"),
                              by_parent(extended.industries, extended.industry_output, "after"))
    balance = largest_change(
        by_parent(original.commodities, original.commodity_row_total - original.commodity_output, "before"),
        by_parent(extended.commodities, extended.commodity_row_total - extended.commodity_output, "after"))
    total = abs(extended.commodity_output.sum() - original.commodity_output.sum())
    return {"industry_output": industry, "commodity_balance": balance, "total_output": float(total)}


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
    return replace(tables, commodities=commodities, industries=industries,
                   use=by_commodity @ tables.use @ by_industry.T, final_demand=by_commodity @ tables.final_demand,
                   value_added=tables.value_added @ by_industry.T, make=by_industry @ tables.make @ by_commodity.T)


# --- Step 3: total requirements -------------------------------------------------------------------

def direct_requirements(tables: SupplyUse) -> np.ndarray:
    """B = U diag(g)^-1 (commodity x industry); columns with g = 0 are 0."""
    g = tables.industry_output
    return np.divide(tables.use, g, out=np.zeros_like(tables.use), where=g != 0)


def market_shares(tables: SupplyUse) -> np.ndarray:
    """D = M diag(q)^-1 (industry x commodity); columns with q = 0 (S00300, S00402) are 0."""
    q = tables.commodity_output
    return np.divide(tables.make, q, out=np.zeros_like(tables.make), where=q != 0)


def _leontief_system(tables: SupplyUse) -> np.ndarray:
    """I - B D, the commodity-by-commodity Leontief matrix under the industry-technology
    assumption (BEA 2009, ch. 12)."""
    return np.eye(len(tables.commodities)) - direct_requirements(tables) @ market_shares(tables)


def commodity_total_requirements(tables: SupplyUse) -> np.ndarray:
    """(I - B D)^-1, commodity x commodity: output of commodity i per USD of final demand for j."""
    return np.linalg.solve(_leontief_system(tables), np.eye(len(tables.commodities)))


def total_requirements(tables: SupplyUse) -> np.ndarray:
    """D (I - B D)^-1, industry x commodity: BEA's published total requirements table."""
    return market_shares(tables) @ commodity_total_requirements(tables)


def element_requirements(tables: SupplyUse, elements: Sequence[str]) -> np.ndarray:
    """Rows e of (I - B D)^-1 (elements x commodities) by solving (I - B D)^T x = u_e, one LU
    factorisation for all elements: tr_ec, USD of element e per USD of final demand for c."""
    rows = [tables.commodity_index(e, "ree_extended_use_table") for e in elements]
    unit = np.zeros((len(tables.commodities), len(rows)))
    unit[rows, np.arange(len(rows))] = 1.0
    return lu_solve(lu_factor(_leontief_system(tables)), unit, trans=1).T


def element_codes(commodities: Sequence[str], composition: pl.DataFrame) -> tuple[str, ...]:
    """The element rows among ``commodities``: the codes that are elements of the application
    composition (``ree_application_composition``; its ``other`` REO never becomes a row)."""
    elements = set(composition["element"]) - {OTHER_ELEMENT}
    return tuple(code for code in commodities if code in elements)


def total_requirements_frame(tables: SupplyUse) -> pl.DataFrame:
    """Canonical long form of :func:`total_requirements`: (industry_code, commodity_code, tr)."""
    return _long_frame(tables.industries, tables.commodities, total_requirements(tables),
                       "industry_code", "commodity_code").rename({"value_musd": "tr"})


def column_sum_violations(tables: SupplyUse) -> list[str]:
    """Commodities with q > 0 whose column of (I - B D)^-1 sums to less than 1 - 1e-9."""
    sums = commodity_total_requirements(tables).sum(axis=0)
    q = tables.commodity_output
    return [code for code, total, out in zip(tables.commodities, sums, q)
            if out > 0 and total < 1 - COLUMN_SUM_TOLERANCE]


# --- Step 4: to SIC -------------------------------------------------------------------------------

def requirements_to_sic(tables: SupplyUse, elements: Sequence[str], concordance: pl.DataFrame,
                        parents: Mapping[str, str] | None = None) -> pl.DataFrame:
    """Step 4: canonical ``ree_total_requirements`` (sic4, element, tr), element ``All`` = sum.

    tr_es = sum_c w_cs q_c tr_ec / sum_c w_cs q_c over the non-element commodities c with q_c > 0,
    w_cs the ``bea_sic_concordance`` weight of c in SIC s (output-weighted mean). A split
    commodity (the magnet commodity) takes the concordance rows of its parent (``parents``).
    A commodity with output but no concordance row is an error naming it.
    """
    parents = dict({MAGNET_CODE: MAGNET_PARENT}, **(parents or {}))
    tr = element_requirements(tables, elements)
    q = tables.commodity_output
    kept = [j for j, code in enumerate(tables.commodities) if code not in set(elements) and q[j] > 0]
    codes = [tables.commodities[j] for j in kept]
    commodities = pl.DataFrame({"commodity": codes, "bea_code": [parents.get(c, c) for c in codes],
                                "q": q[kept]})
    mapped = commodities.join(concordance.select("bea_code", "sic4", "weight"), on="bea_code", how="left")
    missing = mapped.filter(pl.col("sic4").is_null())
    if missing.height:
        raise DataValidationError("bea_sic_concordance", "every BEA commodity with output maps to SIC",
                                  row=missing["commodity"][0])
    per_element = pl.DataFrame({e: tr[k, kept] for k, e in enumerate(elements)}).with_columns(
        commodity=pl.Series(codes))
    weighted = mapped.join(per_element, on="commodity").with_columns(w=pl.col("weight") * pl.col("q"))
    wide = weighted.group_by("sic4").agg(
        [(pl.col(e) * pl.col("w")).sum() / pl.col("w").sum() for e in elements]).sort("sic4")
    long = wide.unpivot(index="sic4", variable_name="element", value_name="tr")
    total = long.group_by("sic4").agg(pl.col("tr").sum()).with_columns(element=pl.lit(ALL_ELEMENTS))
    return pl.concat([long, total.select("sic4", "element", "tr")]).sort("sic4", "element")


# --- The pipeline of steps 1-2 ----------------------------------------------------------------------

@dataclass(frozen=True)
class ReeExtendedTable:
    """Result of steps 1-2: the extended tables, the element codes added, the purchases moved
    and the pro-rata shortfall report (for asset metadata)."""

    tables: SupplyUse
    elements: tuple[str, ...]
    purchases: pl.DataFrame
    shortfall: pl.DataFrame


def build_ree_extended_table(tables: SupplyUse, composition: pl.DataFrame, end_use: pl.DataFrame,
                             tonnes_reo: float, prices: pl.DataFrame, app_map: pl.DataFrame,
                             magnet_cost_share: float, price_year: int = 2009,
                             magnet_application: str = "Magnets") -> ReeExtendedTable:
    """Steps 1 and 2: :func:`ree_purchases` -> :func:`add_element_rows` -> :func:`split_magnets`
    (the magnet REE rows are the purchases of ``magnet_application`` at industry 332999)."""
    purchases = ree_purchases(tables, composition, end_use, tonnes_reo, prices, app_map, price_year)
    with_elements, shortfall = add_element_rows(tables, purchases)
    magnet = (purchases.filter((pl.col("application") == magnet_application)
                               & (pl.col("bea_code") == MAGNET_PARENT))
              .group_by("element", maintain_order=True).agg(pl.col("value_musd").sum()))
    split = split_magnets(with_elements, dict(magnet.iter_rows()), magnet_cost_share) if magnet.height \
        else with_elements
    elements = tuple(dict.fromkeys(purchases["element"].to_list()))
    return ReeExtendedTable(split, elements, purchases, shortfall)


# --- Reports --------------------------------------------------------------------------------------

def render_ree_total_requirements(ree_tr: pl.DataFrame, sic_titles: Mapping[str, str] | None = None,
                                  top_n: int = 10) -> str:
    """Markdown table "REE Total Requirements (1e-3 USD of REE per 1 USD of SIC final demand)":
    the ``top_n`` SIC industries by the ``All`` row, one column per element plus All, x 1e3."""
    titles = dict(sic_titles or {})
    elements = [e for e in ree_tr["element"].unique(maintain_order=True) if e != ALL_ELEMENTS]
    wide = ree_tr.pivot(on="element", index="sic4", values="tr").sort(ALL_ELEMENTS, descending=True).head(top_n)
    header = ["SIC", "industry", *elements, ALL_ELEMENTS]
    lines = ["REE Total Requirements (1e-3 USD of REE per 1 USD of SIC final demand)", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in wide.iter_rows(named=True):
        values = [f"{1e3 * row[e]:.2f}" for e in [*elements, ALL_ELEMENTS]]
        lines.append("| " + " | ".join([row["sic4"], titles.get(row["sic4"], ""), *values]) + " |")
    return "\n".join(lines) + "\n"


def compare_total_requirements(computed: pl.DataFrame, published: pl.DataFrame) -> dict[str, float]:
    """Diagnostic: computed vs published industry-by-commodity total requirements, both long
    (industry_code, commodity_code, tr). Over the cells in both: Pearson correlation, the median
    of (computed - published) column sums and of its absolute value, and the cell count."""
    both = computed.join(published, on=["industry_code", "commodity_code"], suffix="_published")
    columns = both.group_by("commodity_code").agg(
        (pl.col("tr").sum() - pl.col("tr_published").sum()).alias("difference"))
    return {
        "n_cells": float(both.height),
        "correlation": float(np.corrcoef(both["tr"].to_numpy(), both["tr_published"].to_numpy())[0, 1]),
        "median_column_sum_difference": float(columns["difference"].median()),
        "median_abs_column_sum_difference": float(columns["difference"].abs().median()),
    }
