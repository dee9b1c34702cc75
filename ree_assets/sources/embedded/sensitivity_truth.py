"""The REE sensitivity of the embedded world's SIC industries, as the pipeline computes it.

The outcome generators of the embedded world (patents, TFP, exports) draw treatment effects of
the form beta_r x Sens_s x Post_t. Their Sens_s must be the very index the ``io_table`` stage
computes from the embedded BEA tables (default settings of ``ReeExtensionConfig``), or a correct
estimator would not recover beta; likewise the GE sectors' REE price index of the patent world
needs the element mix of ``ree_total_requirements``. So this module runs the same pure ``core``
chain on the embedded tables; a test checks it against the materialised ``ree_sensitivity``.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from ree_assets.sources.embedded.dims import WorldSize

#: The defaults of the io_table stage's ``ReeExtensionConfig`` (price year, country, IO year).
PRICE_YEAR, COUNTRY, CONSUMPTION_YEAR = 2009, "USA", 2012


@cache
def embedded_requirements(seed: int, size: WorldSize) -> pl.DataFrame:
    """``ree_total_requirements`` of the embedded world as the io_table stage computes it (sic4,
    element, tr: USD of each REE per USD of final demand; element 'All' the sum)."""
    from ree_assets.core import io_table
    from ree_assets.sources.embedded.world import generate_stage

    bea, ree = generate_stage("bea", seed, size), generate_stage("ree", seed, size)
    original = io_table.supply_use_from_canonical(bea["bea_use"], bea["bea_make"])
    extended = io_table.build_ree_extended_table(
        original,
        ree["ree_application_composition"],
        ree["ree_end_use"].filter(pl.col("country") == COUNTRY),
        io_table.consumption_tonnes(ree["ree_consumption"], COUNTRY, CONSUMPTION_YEAR),
        ree["ree_prices"],
        ree["application_industry_map"],
        io_table.parameter_value(ree["ree_parameters"], "magnet_ree_cost_share"),
        price_year=PRICE_YEAR,
        magnet_buyers=ree["magnet_use_map"],
    )
    elements = io_table.element_codes(extended.tables.commodities, ree["ree_application_composition"])
    concordance = pl.concat([bea["bea_sic_concordance"], io_table.split_sic_links(ree["application_industry_map"])])
    return io_table.requirements_to_sic(extended.tables, elements, concordance)


@cache
def embedded_sensitivity(seed: int, size: WorldSize) -> pl.DataFrame:
    """Sens_s = sum_e tr_e,s x complementarity_e / 100 (AFSV) of the embedded world: (sic4,
    sensitivity), one row per SIC industry the concordance reaches."""
    from ree_assets.core import sensitivity
    from ree_assets.sources.embedded.world import generate_stage

    complementarity = generate_stage("ree", seed, size)["ree_complementarity"]
    return sensitivity.ree_sensitivity(embedded_requirements(seed, size), complementarity)
