"""Step 4 of ``specs/io_table.md``: REE total requirements from BEA commodities to SIC 1987."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from ree_assets.core.io_table.requirements import element_requirements
from ree_assets.core.io_table.ree_extension import MAGNET_CODE, MAGNET_PARENT
from ree_assets.core.io_table.supply_use import SupplyUse
from ree_assets.errors import DataValidationError

ALL_ELEMENTS = "All"


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
