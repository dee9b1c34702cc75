"""Step 4 of ``specs/io_table.md``: REE total requirements from BEA commodities to SIC 1987.

The concordance (``bea_sic_concordance``: bea_code, sic4, weight) links each BEA code to the SIC
industries it lands in, weight = the share of the code's output in each (summing to 1 per code).
A commodity split out of a BEA code during the extension (the magnet commodity) is not a BEA
code: its SIC industry is declared as data in ``application_industry_map.split_sic4`` (with its
source) and added by :func:`split_sic_links`, never inherited from the parent's links.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ree_assets.core.io_table.ree_extension import MAGNET_CODE, MAGNET_PARENT, check_shares
from ree_assets.core.io_table.requirements import element_requirements
from ree_assets.core.io_table.supply_use import SupplyUse
from ree_assets.errors import DataValidationError

ALL_ELEMENTS = "All"


def split_sic_links(app_map: pl.DataFrame, magnet_application: str = "Magnets") -> pl.DataFrame:
    """Concordance rows (bea_code, sic4, weight = 1) of the industries split out in step 2: the
    magnet code takes the ``split_sic4`` of the ``magnet_application`` row at 332999 (SIC 3499
    "magnets, permanent: metallic" in the defaults). A split row without a declared SIC is an
    error naming the application."""
    row = app_map.filter((pl.col("application") == magnet_application) & (pl.col("bea_code") == MAGNET_PARENT))
    if row.height == 0:
        return pl.DataFrame(schema={"bea_code": pl.String, "sic4": pl.String, "weight": pl.Float64})
    sic4 = row["split_sic4"][0]
    if sic4 is None:
        raise DataValidationError(
            "application_industry_map",
            "an industry split out of its parent declares its own SIC industry",
            row=f"{magnet_application} {MAGNET_PARENT}",
            column="split_sic4",
        )
    return pl.DataFrame({"bea_code": [MAGNET_CODE], "sic4": [sic4], "weight": [1.0]})


def requirements_to_sic(tables: SupplyUse, elements: Sequence[str], concordance: pl.DataFrame) -> pl.DataFrame:
    """Step 4: canonical ``ree_total_requirements`` (sic4, element, tr), element ``All`` = sum.

    tr_es = sum_c w_cs q_c tr_ec / sum_c w_cs q_c over the non-element commodities c with q_c > 0,
    w_cs the ``bea_sic_concordance`` weight of c in SIC s (output-weighted mean: w_cs q_c is the
    output of c made in s). Weights must sum to 1 per BEA code (an error names the first code that
    does not); a commodity with output but no concordance row (a split-out commodity whose SIC is
    not declared included) is an error naming it.
    """
    check_shares(concordance, "bea_sic_concordance", "bea_code", "weight")
    tr = element_requirements(tables, elements)
    q = tables.commodity_output
    kept = [j for j, code in enumerate(tables.commodities) if code not in set(elements) and q[j] > 0]
    codes = [tables.commodities[j] for j in kept]
    commodities = pl.DataFrame({"bea_code": codes, "q": q[kept]})
    mapped = commodities.join(concordance.select("bea_code", "sic4", "weight"), on="bea_code", how="left")
    missing = mapped.filter(pl.col("sic4").is_null())
    if missing.height:
        raise DataValidationError(
            "bea_sic_concordance", "every BEA commodity with output maps to SIC", row=missing["bea_code"][0]
        )
    per_element = pl.DataFrame({e: tr[k, kept] for k, e in enumerate(elements)}).with_columns(bea_code=pl.Series(codes))
    weighted = mapped.join(per_element, on="bea_code").with_columns(w=pl.col("weight") * pl.col("q"))
    wide = (
        weighted.group_by("sic4")
        .agg([(pl.col(e) * pl.col("w")).sum() / pl.col("w").sum() for e in elements])
        .sort("sic4")
    )
    long = wide.unpivot(index="sic4", variable_name="element", value_name="tr")
    total = long.group_by("sic4").agg(pl.col("tr").sum()).with_columns(element=pl.lit(ALL_ELEMENTS))
    return pl.concat([long, total.select("sic4", "element", "tr")]).sort("sic4", "element")


def concordance_weighting(concordance: pl.DataFrame) -> str:
    """How the concordance splits a BEA code over several SIC industries: ``one SIC industry per
    BEA code`` (nothing to split), ``equal splits`` (the fallback without output weights) or
    ``output-weighted``."""
    codes = concordance.group_by("bea_code").agg(
        pl.len().alias("n"), ((pl.col("weight") - 1.0 / pl.len()).abs().max() < 1e-12).alias("equal")
    )
    if codes["n"].max() == 1:
        return "one SIC industry per BEA code"
    return "equal splits" if codes["equal"].all() else "output-weighted"
