"""Steps 1-2 of ``specs/io_table.md``: the REE extension of a :class:`SupplyUse`.

1. :func:`add_element_rows` — REE purchases (:func:`ree_purchases`) moved out of carrier cells
   into element rows;
2. :func:`split_magnets` — industry and commodity 332999 split into magnets and the rest.

:func:`build_ree_extended_table` runs both; :func:`split_accounting_errors` measures the
identities they must preserve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from ree_assets.core.io_table.supply_use import SupplyUse
from ree_assets.errors import DataValidationError

#: Marker in ``application_industry_map.bea_code``: every industry buying the application's first
#: carrier, weighted by its purchases of it ("Other: users of 325180, pro rata").
PRO_RATA_USERS = "*"
MAGNET_CODE = "33299M"
MAGNET_PARENT = "332999"
#: Composition rows for REE not modelled as an element of their own (Gd, Tb, Y, Sm, ...).
OTHER_ELEMENT = "other"
SHARE_TOLERANCE = 1e-6
TONNE_KG = 1_000.0
MUSD = 1e6


# --- Step 1 inputs: REE purchases by element and using industry ---------------------------------


def check_shares(frame: pl.DataFrame, table: str, group: str | None, share: str) -> None:
    """Raise unless ``share`` sums to 1 (within 1e-6) per ``group`` (or overall)."""
    sums = (
        frame.group_by(group).agg(pl.col(share).sum())
        if group
        else frame.select(pl.col(share).sum()).with_columns(pl.lit("all").alias("_group"))
    )
    key = group or "_group"
    for label, total in sums.select(key, share).sort(key).iter_rows():
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise DataValidationError(
                table, f"{share} sums to 1 per {group or 'table'}", row=label, detail=f"sum is {total:.6f}"
            )


def element_end_use_tonnes(composition: pl.DataFrame, end_use: pl.DataFrame, tonnes_reo: float) -> pl.DataFrame:
    """Tonnes REO by (application, element): t_ae = T x s_a x w_ae.

    T is total consumption, s_a the country's end-use share of application a (``end_use``:
    application, end_use_share; sums to 1), w_ae the element composition of a
    (``composition``: application, element, element_share; sums to 1 per application, the
    ``other`` element included). Rows of the ``other`` element are kept: they are REO that is not
    one of the modelled elements and is priced nowhere, so it stays in the carrier cells.
    """
    check_shares(composition, "ree_application_composition", "application", "element_share")
    check_shares(end_use, "ree_end_use", None, "end_use_share")
    missing = set(end_use["application"]) - set(composition["application"])
    if missing:
        raise DataValidationError("ree_end_use", "application has a composition", row=sorted(missing)[0])
    return (
        end_use.select("application", "end_use_share")
        .join(composition.select("application", "element", "element_share"), on="application")
        .with_columns(tonnes_reo=tonnes_reo * pl.col("end_use_share") * pl.col("element_share"))
        .select("application", "element", "tonnes_reo")
    )


def consumption_tonnes(consumption: pl.DataFrame, country: str, year: int) -> float:
    """Total REE consumption T (tonnes REO) of ``country`` in ``year`` (``ree_consumption``)."""
    chosen = consumption.filter((pl.col("country") == country) & (pl.col("year") == year))
    if chosen.height != 1:
        raise DataValidationError(
            "ree_consumption",
            "one consumption row per country and year",
            row=f"{country} {year}",
            detail=f"{chosen.height} rows found",
        )
    return float(chosen["tonnes_reo"][0])


def parameter_value(parameters: pl.DataFrame, name: str) -> float:
    """One scalar of ``ree_parameters`` (parameter, value)."""
    chosen = parameters.filter(pl.col("parameter") == name)
    if chosen.height != 1:
        raise DataValidationError(
            "ree_parameters", "each parameter appears once", row=name, detail=f"{chosen.height} rows found"
        )
    return float(chosen["value"][0])


def price_at(prices: pl.DataFrame, year: int, market: str = "fob_china") -> pl.DataFrame:
    """(element, price_usd_per_kg) in ``year`` and ``market``; a price <= 0 is an error."""
    chosen = prices.filter((pl.col("year") == year) & (pl.col("market") == market))
    bad = chosen.filter(pl.col("price_usd_per_kg") <= 0)
    if bad.height:
        raise DataValidationError(
            "ree_prices",
            "price_usd_per_kg > 0",
            row=f"{bad['element'][0]} {market} {year}",
            detail=f"price is {bad['price_usd_per_kg'][0]}",
        )
    if chosen.height == 0:
        raise DataValidationError("ree_prices", "prices exist in the price year", row=f"{market} {year}")
    return chosen.select("element", "price_usd_per_kg")


def _using_industries(tables: SupplyUse, app_map: pl.DataFrame) -> pl.DataFrame:
    """Resolve :data:`PRO_RATA_USERS` rows to every buyer of the first carrier (weight = its share
    of the carrier's intermediate purchases x the row's weight); check every named code exists."""
    resolved = []
    for application, code, weight, carriers in app_map.select(
        "application", "bea_code", "weight", "carriers"
    ).iter_rows():
        for carrier in carriers:
            tables.commodity_index(carrier, "application_industry_map")
        if code != PRO_RATA_USERS:
            tables.industry_index(code, "application_industry_map")
            resolved.append((application, code, weight, list(carriers)))
            continue
        purchases = np.clip(tables.use[tables.commodity_index(carriers[0], "application_industry_map")], 0, None)
        for j in np.flatnonzero(purchases):
            resolved.append(
                (application, tables.industries[j], weight * purchases[j] / purchases.sum(), list(carriers))
            )
    return pl.DataFrame(
        resolved,
        schema={"application": pl.String, "bea_code": pl.String, "weight": pl.Float64, "carriers": pl.List(pl.String)},
        orient="row",
    )


def ree_purchases(
    tables: SupplyUse,
    composition: pl.DataFrame,
    end_use: pl.DataFrame,
    tonnes_reo: float,
    prices: pl.DataFrame,
    app_map: pl.DataFrame,
    price_year: int = 2009,
) -> pl.DataFrame:
    """REE purchases v_es (USD million) by (application, element, bea_code, carriers).

    v_aes = t_ae x 1000 kg/t x p_e(price_year) / 1e6 x w_as, with t_ae from
    :func:`element_end_use_tonnes`, p_e the FOB China oxide price (``specs/ree_defaults.md``; the
    price year defaults to 2009, before the shock) and w_as the weight of industry s in the
    application (sums to 1 per application). Elements without a price (``other``) are dropped here,
    explicitly: only priced elements become rows.
    """
    check_shares(app_map, "application_industry_map", "application", "weight")
    tonnes = element_end_use_tonnes(composition, end_use, tonnes_reo)
    priced = tonnes.filter(pl.col("element") != OTHER_ELEMENT).join(
        price_at(prices, price_year), on="element", how="left"
    )
    unpriced = priced.filter(pl.col("price_usd_per_kg").is_null() & (pl.col("tonnes_reo") > 0))
    if unpriced.height:
        raise DataValidationError(
            "ree_prices", "every element used has a price in the price year", row=unpriced["element"][0]
        )
    users = _using_industries(tables, app_map)
    unmapped = set(priced["application"]) - set(users["application"])
    if unmapped:
        raise DataValidationError(
            "application_industry_map", "every application has a using industry", row=sorted(unmapped)[0]
        )
    return (
        priced.join(users, on="application")
        .with_columns(value_musd=pl.col("tonnes_reo") * TONNE_KG * pl.col("price_usd_per_kg") / MUSD * pl.col("weight"))
        .filter(pl.col("value_musd") > 0)
        .select("application", "element", "bea_code", "carriers", "value_musd")
    )


# --- Step 1: element rows -------------------------------------------------------------------------


def _take_from_column(
    column: np.ndarray, amount: float, carriers: Sequence[int], pool: np.ndarray
) -> tuple[np.ndarray, float]:
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
            raise DataValidationError(
                "ree_prices x ree_consumption x ree_end_use against bea_use",
                "REE purchases fit within the buyer's intermediate inputs",
                detail=f"the purchases need {amount:.3f} USD million, the Use column holds "
                f"{available.sum() + amount - remaining:.3f}: a price, tonnage or end-use share far too "
                "large is the usual cause, a Use column far too small the other",
            )
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
        pl.col("carriers").first(), pl.col("element"), pl.col("value_musd")
    )
    for application, code, carriers, element_list, values in grouped.iter_rows():
        s = tables.industry_index(code, "application_industry_map")
        carrier_rows = [tables.commodity_index(c, "application_industry_map") for c in carriers]
        taken, pro_rata = _take_from_column(use[:n_c, s], float(sum(values)), carrier_rows, pool)
        use[:n_c, s] -= taken
        taken_total[:, s] += taken
        for element, value in zip(element_list, values, strict=False):
            use[n_c + elements.index(element), s] += value
        shortfall.append((application, code, float(sum(values)), pro_rata))
    removed = taken_total.sum(axis=1)
    q = tables.commodity_output
    over = np.flatnonzero(removed > q + 1e-9)
    if over.size:
        raise DataValidationError(
            "bea_make", "moved REE value <= commodity output of the carrier", column=tables.commodities[over[0]]
        )
    shares = np.divide(tables.make, q, out=np.zeros_like(tables.make), where=q > 0)
    freed_by_producer = shares @ removed
    element_totals = np.array([purchases.filter(pl.col("element") == e)["value_musd"].sum() for e in elements])
    make = np.hstack(
        [tables.make - shares * removed, np.outer(freed_by_producer, element_totals / element_totals.sum())]
    )
    extended = replace(
        tables,
        commodities=tables.commodities + tuple(elements),
        use=use,
        make=make,
        final_demand=np.vstack([tables.final_demand, np.zeros((len(elements), len(tables.final_uses)))]),
    )
    report = pl.DataFrame(
        shortfall,
        schema={
            "application": pl.String,
            "bea_code": pl.String,
            "ree_purchases_musd": pl.Float64,
            "pro_rata_shortfall_musd": pl.Float64,
        },
        orient="row",
    )
    return extended, report


# --- Step 2: magnet split -------------------------------------------------------------------------


def in_proportion(buyers: pl.DataFrame | None) -> bool:
    """Whether a magnet-use map asks for the proportional split: no map, or the default map, the
    single row :data:`PRO_RATA_USERS` (``*``). The marker with other buyers is an error."""
    if buyers is None or PRO_RATA_USERS not in set(buyers["bea_code"]):
        return buyers is None
    if buyers.height > 1:
        raise DataValidationError(
            "magnet_use_map", "the pro-rata marker '*' stands alone", row=PRO_RATA_USERS, detail=f"{buyers.height} rows"
        )
    return True


def _buyer_rows(
    use_row: np.ndarray,
    final_row: np.ndarray,
    industries: Sequence[str],
    final_uses: Sequence[str],
    total: float,
    buyers: pl.DataFrame,
) -> tuple[np.ndarray, np.ndarray]:
    """The magnet commodity's Use row under a magnet-use map (bea_code, share summing to 1):
    m_j = total x share_j in the column of each buyer j (an industry or a final use), taken out of
    j's purchases of the parent commodity, so m_j may not exceed them. Errors name the buyer."""
    check_shares(buyers, "magnet_use_map", None, "share")
    magnet_use, magnet_final = np.zeros_like(use_row), np.zeros_like(final_row)
    for code, share in buyers.select("bea_code", "share").iter_rows():
        if code in industries:
            row, purchases, j = magnet_use, use_row, list(industries).index(code)
        elif code in final_uses:
            row, purchases, j = magnet_final, final_row, list(final_uses).index(code)
        else:
            raise DataValidationError(
                "magnet_use_map", "bea_code is an industry or final use of the Use table", row=code
            )
        row[j] = total * share
        if row[j] > purchases[j] + 1e-9:
            raise DataValidationError(
                "magnet_use_map",
                "magnet purchases fit within the buyer's purchases of the parent commodity",
                row=code,
                detail=f"magnet purchases {row[j]:.3f}, purchases of the parent {purchases[j]:.3f}",
            )
    return magnet_use, magnet_final


def split_magnets(
    tables: SupplyUse,
    magnet_ree: Mapping[str, float],
    cost_share: float,
    parent: str = MAGNET_PARENT,
    magnet_code: str = MAGNET_CODE,
    buyers: pl.DataFrame | None = None,
) -> SupplyUse:
    """Step 2: split industry and commodity ``parent`` (332999) into magnets and the rest.

    Magnet output X = R / sigma, R = sum_e r_e the magnet REE purchases (element rows of the
    parent column, by element) and sigma the magnet REE cost share. The magnet column gets the
    REE rows r_e plus the share phi = (X - R) / (g - R) of every other entry of the parent column
    (inputs and value added), so its total is X and the rest keeps g - X. The Make diagonal gives
    the magnet industry X of the magnet commodity, taken from the parent's own production of the
    parent commodity. The Use row of the parent commodity (intermediate and final) splits in
    proportion X / q_parent, unless a magnet-use map ``buyers`` (bea_code, share) names who buys
    magnets: then the magnet row total, X / q_parent of the parent row total, goes to the named
    buyers by share (:func:`_buyer_rows`; see :func:`in_proportion` for the default map). Every
    industry and commodity total is preserved.
    """
    if not 0 < cost_share <= 1:
        raise DataValidationError(
            "ree_parameters", "0 < magnet REE cost share <= 1", row="magnet_cost_share", detail=f"value {cost_share}"
        )
    s = tables.industry_index(parent)
    c = tables.commodity_index(parent)
    ree_rows = np.array([tables.commodity_index(e) for e in magnet_ree])
    ree = np.array([magnet_ree[e] for e in magnet_ree], dtype=float)
    total_ree, g = ree.sum(), tables.industry_output[s]
    magnet_output = total_ree / cost_share
    if magnet_output > min(g, tables.make[s, c]):
        raise DataValidationError(
            "bea_make",
            "magnet output <= output of the parent industry's own commodity",
            row=parent,
            detail=f"magnet output {magnet_output:.3f}",
        )
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
    if buyers is None or in_proportion(buyers):
        magnet_use, magnet_final = row_share * use[c], row_share * tables.final_demand[c]
    else:
        total = row_share * (use[c].sum() + tables.final_demand[c].sum())
        magnet_use, magnet_final = _buyer_rows(
            use[c], tables.final_demand[c], tables.industries + (magnet_code,), tables.final_uses, total, buyers
        )
    use = np.vstack([use, magnet_use])
    use[c] -= magnet_use
    final_demand = np.vstack([tables.final_demand, magnet_final])
    final_demand[c] -= magnet_final
    make = np.pad(tables.make, ((0, 1), (0, 1)))
    make[s, c] -= magnet_output
    make[-1, -1] = magnet_output
    return replace(
        tables,
        commodities=tables.commodities + (magnet_code,),
        industries=tables.industries + (magnet_code,),
        use=use,
        final_demand=final_demand,
        value_added=value_added,
        make=make,
    )


def split_accounting_errors(
    original: SupplyUse, extended: SupplyUse, parents: Mapping[str, str] | None = None
) -> dict[str, float]:
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
        return (
            pl.DataFrame({"code": [parents.get(c, c) for c in codes], name: values})
            .group_by("code")
            .agg(pl.col(name).sum())
        )

    def largest_change(before: pl.DataFrame, after: pl.DataFrame) -> float:
        joined = after.join(before, on="code", how="full", coalesce=True).fill_null(0.0)
        return float(joined.select((pl.col("after") - pl.col("before")).abs().max()).item())

    industry = largest_change(
        by_parent(original.industries, original.industry_output, "before"),
        by_parent(extended.industries, extended.industry_output, "after"),
    )
    balance = largest_change(
        by_parent(original.commodities, original.commodity_row_total - original.commodity_output, "before"),
        by_parent(extended.commodities, extended.commodity_row_total - extended.commodity_output, "after"),
    )
    total = abs(extended.commodity_output.sum() - original.commodity_output.sum())
    return {"industry_output": industry, "commodity_balance": balance, "total_output": float(total)}


def element_codes(commodities: Sequence[str], composition: pl.DataFrame) -> tuple[str, ...]:
    """The element rows among ``commodities``: the codes that are elements of the application
    composition (``ree_application_composition``; its ``other`` REO never becomes a row)."""
    elements = set(composition["element"]) - {OTHER_ELEMENT}
    return tuple(code for code in commodities if code in elements)


# --- The pipeline of steps 1-2 ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReeExtendedTable:
    """Result of steps 1-2: the extended tables, the element codes added, the purchases moved
    and the pro-rata shortfall report (for asset metadata)."""

    tables: SupplyUse
    elements: tuple[str, ...]
    purchases: pl.DataFrame
    shortfall: pl.DataFrame


def build_ree_extended_table(
    tables: SupplyUse,
    composition: pl.DataFrame,
    end_use: pl.DataFrame,
    tonnes_reo: float,
    prices: pl.DataFrame,
    app_map: pl.DataFrame,
    magnet_cost_share: float,
    price_year: int = 2009,
    magnet_application: str = "Magnets",
    magnet_buyers: pl.DataFrame | None = None,
) -> ReeExtendedTable:
    """Steps 1 and 2: :func:`ree_purchases` -> :func:`add_element_rows` -> :func:`split_magnets`
    (the magnet REE rows are the purchases of ``magnet_application`` at industry 332999; the
    magnet Use row follows ``magnet_buyers``, the optional magnet-use map, when given)."""
    purchases = ree_purchases(tables, composition, end_use, tonnes_reo, prices, app_map, price_year)
    with_elements, shortfall = add_element_rows(tables, purchases)
    magnet = (
        purchases.filter((pl.col("application") == magnet_application) & (pl.col("bea_code") == MAGNET_PARENT))
        .group_by("element", maintain_order=True)
        .agg(pl.col("value_musd").sum())
    )
    split = (
        split_magnets(with_elements, dict(magnet.iter_rows()), magnet_cost_share, buyers=magnet_buyers)
        if magnet.height
        else with_elements
    )
    elements = tuple(dict.fromkeys(purchases["element"].to_list()))
    return ReeExtendedTable(split, elements, purchases, shortfall)
