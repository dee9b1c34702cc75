"""Step 3 of ``specs/io_table.md``: total requirements under BEA's industry-technology assumption.

B = U diag(g)^-1 (commodity x industry), D = M diag(q)^-1 (industry x commodity); the commodity-by-
commodity total requirements are (I - B D)^-1 and BEA's published industry-by-commodity table is
D (I - B D)^-1 (BEA, *Concepts and Methods of the U.S. Input-Output Accounts*, 2009, ch. 12).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from ree_assets.core.io_table.supply_use import SupplyUse, long_frame

#: Columns of (I - B D)^-1 with q > 0 sum to at least 1 up to this tolerance.
COLUMN_SUM_TOLERANCE = 1e-9


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
    from scipy.linalg import lu_factor, lu_solve  # here: slow to import, and the code location imports this

    rows = [tables.commodity_index(e, "ree_extended_use_table") for e in elements]
    unit = np.zeros((len(tables.commodities), len(rows)))
    unit[rows, np.arange(len(rows))] = 1.0
    return lu_solve(lu_factor(_leontief_system(tables)), unit, trans=1).T


def total_requirements_frame(tables: SupplyUse) -> pl.DataFrame:
    """Canonical long form of :func:`total_requirements`: (industry_code, commodity_code, tr)."""
    return long_frame(
        tables.industries, tables.commodities, total_requirements(tables), "industry_code", "commodity_code"
    ).rename({"value_musd": "tr"})


def column_sum_violations(tables: SupplyUse) -> list[str]:
    """Commodities with q > 0 whose column of (I - B D)^-1 sums to less than 1 - 1e-9."""
    sums = commodity_total_requirements(tables).sum(axis=0)
    q = tables.commodity_output
    rows = zip(tables.commodities, sums, q, strict=True)
    return [code for code, total, out in rows if out > 0 and total < 1 - COLUMN_SUM_TOLERANCE]
