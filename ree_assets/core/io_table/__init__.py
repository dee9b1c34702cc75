"""The REE-extended input-output table and REE total requirements (AFSV, measurement).

One module per construction step of ``specs/io_table.md``, each a set of small pure functions on
:class:`SupplyUse`:

- :mod:`.supply_use` — the supply-use container, reader checks and canonical tables;
- :mod:`.ree_extension` — steps 1-2: element rows (:func:`add_element_rows`) and the magnet split
  (:func:`split_magnets`);
- :mod:`.requirements` — step 3: :func:`total_requirements`, :func:`commodity_total_requirements`,
  :func:`element_requirements`;
- :mod:`.sic` — step 4: :func:`requirements_to_sic` (BEA commodities -> SIC 1987);
- :mod:`.published` — diagnostics against BEA's and AFSV's published tables.

The public names are importable from this package; the submodules load on the first use of one
(they need NumPy, which the code location does not load to declare its assets).
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ree_assets.core.io_table.bounds import PUBLISHED_BOUNDS, PUBLISHED_COLUMN_SUM_BOUND
    from ree_assets.core.io_table.published import (
        TOP_N,
        approximate_inputs,
        compare_total_requirements,
        requirements_vs_published,
        tracks_published,
    )
    from ree_assets.core.io_table.ree_extension import (
        MAGNET_CODE,
        MAGNET_PARENT,
        MUSD,
        OTHER_ELEMENT,
        PRO_RATA_USERS,
        TONNE_KG,
        ReeExtendedTable,
        add_element_rows,
        build_ree_extended_table,
        consumption_tonnes,
        element_codes,
        element_end_use_tonnes,
        in_proportion,
        parameter_value,
        price_at,
        ree_purchases,
        split_accounting_errors,
        split_magnets,
    )
    from ree_assets.core.io_table.requirements import (
        COLUMN_SUM_TOLERANCE,
        column_sum_violations,
        commodity_total_requirements,
        direct_requirements,
        element_requirements,
        market_shares,
        total_requirements,
        total_requirements_frame,
    )
    from ree_assets.core.io_table.sic import ALL_ELEMENTS, concordance_weighting, requirements_to_sic, split_sic_links
    from ree_assets.core.io_table.supply_use import (
        ROUNDING_MUSD_PER_CELL,
        TOTAL_CODE,
        SupplyUse,
        aggregate_supply_use,
        check_make_totals,
        check_use_totals,
        long_frame,
        make_to_canonical,
        supply_use_from_canonical,
        use_to_canonical,
    )

#: The submodules defining the public names.
SUBMODULES = ("bounds", "published", "ree_extension", "requirements", "sic", "supply_use")

__all__ = [
    "ALL_ELEMENTS",
    "COLUMN_SUM_TOLERANCE",
    "MAGNET_CODE",
    "MAGNET_PARENT",
    "MUSD",
    "OTHER_ELEMENT",
    "PRO_RATA_USERS",
    "PUBLISHED_BOUNDS",
    "PUBLISHED_COLUMN_SUM_BOUND",
    "ROUNDING_MUSD_PER_CELL",
    "ReeExtendedTable",
    "SupplyUse",
    "TONNE_KG",
    "TOP_N",
    "TOTAL_CODE",
    "add_element_rows",
    "aggregate_supply_use",
    "approximate_inputs",
    "build_ree_extended_table",
    "check_make_totals",
    "check_use_totals",
    "column_sum_violations",
    "commodity_total_requirements",
    "compare_total_requirements",
    "concordance_weighting",
    "consumption_tonnes",
    "direct_requirements",
    "element_codes",
    "element_end_use_tonnes",
    "element_requirements",
    "in_proportion",
    "long_frame",
    "make_to_canonical",
    "market_shares",
    "parameter_value",
    "price_at",
    "ree_purchases",
    "requirements_to_sic",
    "requirements_vs_published",
    "split_accounting_errors",
    "split_magnets",
    "split_sic_links",
    "supply_use_from_canonical",
    "total_requirements",
    "total_requirements_frame",
    "tracks_published",
    "use_to_canonical",
]


def __getattr__(name: str):
    """A public name of a submodule, imported on its first use and kept here."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    for submodule in SUBMODULES:
        module = importlib.import_module(f"{__name__}.{submodule}")
        if hasattr(module, name):
            globals()[name] = getattr(module, name)
            return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
