"""The published rows of the AFSV table "REE Total Requirements (1e-3 USD of REE per 1 USD of SIC
final demand)" as quoted in ``specs/io_table.md`` (Outputs): the reference the project's REE
requirements by SIC are compared with (``ree_requirements_vs_published``). Never a target."""

from __future__ import annotations

import polars as pl

AFSV_SOURCE = (
    "AFSV, table 'REE Total Requirements' (1e-3 USD of REE per USD of SIC final demand), as in specs/io_table.md"
)

#: SIC 1987 industry -> (title, {element: requirement x 1e3}); ``All`` is the total.
_AFSV_ROWS: dict[str, tuple[str, dict[str, float]]] = {
    "3691": ("Storage batteries", {"All": 6.93, "La": 6.93}),
    "3499": ("Fabricated metal products, NEC", {"All": 5.91, "Nd": 4.06, "Pr": 0.18, "Dy": 1.66}),
    "3625": ("Relays and industrial controls", {"All": 0.58}),
    "3511": ("Turbines and turbine generator sets", {"All": 0.53}),
    "3292": ("Asbestos products", {"All": 0.47}),
    "3714": ("Motor vehicle parts and accessories", {"All": 0.41}),
    "3519": ("Internal combustion engines, NEC", {"All": 0.39}),
    "3585": ("Refrigeration and heating equipment", {"All": 0.37}),
}


def afsv_ree_requirements() -> pl.DataFrame:
    """(sic4, title, element, tr_published, source): the published requirements in USD of REE per
    USD of final demand (the table's values / 1e3), one ``All`` row per industry plus the element
    rows the table prints."""
    rows = [
        (sic4, title, element, value / 1e3, AFSV_SOURCE)
        for sic4, (title, values) in _AFSV_ROWS.items()
        for element, value in values.items()
    ]
    return pl.DataFrame(rows, schema=["sic4", "title", "element", "tr_published", "source"], orient="row")
