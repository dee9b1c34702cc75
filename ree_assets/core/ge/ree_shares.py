"""REE cost shares omega_j from the REE-extended Use table (``specs/ge_model.md``, the ``from_io``
alternative to AFSV's published gamma_s).

    omega_j = sum_{s in j} sum_e U_es / sum_{s in j} sum_v VA_vs

direct purchases of the REE element rows e by the BEA industries s of model sector j, over their
value added (rows V*). Direct, not total, requirements: the model's IO links already carry the
indirect use.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

#: BEA 2012 detail code prefix (NAICS digits) -> model sector; the longest matching prefix wins,
#: and codes matching none (services, government, special industries) are ``services``.
BEA_SECTOR_PREFIXES: dict[str, str] = {
    "11": "agriculture",
    "21": "mining_petroleum_coal",
    "324": "mining_petroleum_coal",
    "311": "food",
    "312": "food",
    "313": "textiles",
    "314": "textiles",
    "315": "textiles",
    "316": "textiles",
    "321": "wood_paper",
    "322": "wood_paper",
    "323": "wood_paper",
    "325": "chemicals",
    "326": "rubber_plastics",
    "327": "non_metallic_minerals",
    "331": "basic_fabricated_metals",
    "332": "basic_fabricated_metals",
    "333": "machinery",
    "334": "computers_electronics",
    "335": "computers_electronics",
    "336": "transport_equipment",
    "337": "furniture_misc",
    "339": "furniture_misc",
}
SERVICES = "services"


def bea_sector(code: str) -> str:
    """The model sector of a BEA detail industry code (longest prefix of BEA_SECTOR_PREFIXES)."""
    matches = [prefix for prefix in BEA_SECTOR_PREFIXES if code.startswith(prefix)]
    return BEA_SECTOR_PREFIXES[max(matches, key=len)] if matches else SERVICES


def ree_cost_shares_from_io(extended_use: pl.DataFrame, elements: Iterable[str]) -> dict[str, float]:
    """omega_j (module docstring) from a canonical REE-extended Use table (row_code, col_code,
    value_musd) and its element row codes."""
    elements = list(elements)
    industries = extended_use.filter(
        pl.col("row_code").str.starts_with("V") & ~pl.col("col_code").str.contains(r"^(T\d{3}|F.*)$")
    )["col_code"].unique()
    cells = extended_use.filter(pl.col("col_code").is_in(industries.implode())).with_columns(
        sector=pl.col("col_code").map_elements(bea_sector, return_dtype=pl.String)
    )
    ree = (
        cells.filter(pl.col("row_code").is_in(elements)).group_by("sector").agg(pl.col("value_musd").sum().alias("ree"))
    )
    value_added = (
        cells.filter(pl.col("row_code").str.starts_with("V"))
        .group_by("sector")
        .agg(pl.col("value_musd").sum().alias("value_added"))
    )
    shares = value_added.join(ree, on="sector", how="left").fill_null(0.0)
    return {sector: ree / va for sector, va, ree in shares.select("sector", "value_added", "ree").iter_rows() if va > 0}
