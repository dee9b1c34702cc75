"""Default REE tables shipped for the embedded mode (``specs/ree_defaults.md``).

All values are approximate order-of-magnitude defaults, never tuned to reproduce a published
output. Each table carries ``source`` and ``quality`` so results built on them say so; a user
replaces them in ``local`` mode with licensed series (Asian Metal, USGS, BCC, Roskill).
"""

from __future__ import annotations

import polars as pl

from ree_assets.sources.embedded.dims import FIRST_YEAR, LAST_YEAR

PRICE_SOURCE = "project default after the AFSV slides' 10-45x 2010-11 spike; FOB China annual averages, USD/kg oxide"

#: FOB China annual average oxide prices (USD/kg) by element: (2002-2008 each year, 2009, 2010,
#: 2011, 2012, 2013, 2014-2018 each year).
_PRICE_EPISODES: dict[str, tuple[float, ...]] = {
    "La": (4, 5, 30, 100, 30, 8, 5),
    "Ce": (3, 4, 30, 100, 25, 8, 4),
    "Pr": (12, 15, 50, 180, 90, 85, 75),
    "Nd": (12, 15, 50, 200, 95, 65, 50),
    "Dy": (60, 115, 280, 1400, 800, 550, 300),
}

#: Complementarity score (0 = perfect substitute exists, 100 = none), illustrative values
#: consistent with Graedel et al. (2015, PNAS).
_COMPLEMENTARITY: dict[str, float] = {"La": 80, "Ce": 60, "Pr": 70, "Nd": 75, "Dy": 90}


def _episode_price(episodes: tuple[float, ...], year: int) -> float:
    """The default price of one element in one year from its episode tuple."""
    if year <= 2008:
        return episodes[0]
    if year >= 2014:
        return episodes[6]
    return episodes[year - 2008]


def ree_prices(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> pl.DataFrame:
    """Canonical ``ree_prices``: yearly FOB China oxide prices of Ce, La, Nd, Pr, Dy."""
    rows = [
        {
            "element": element,
            "market": "fob_china",
            "year": year,
            "price_usd_per_kg": float(_episode_price(episodes, year)),
            "source": PRICE_SOURCE,
            "quality": "approximate",
        }
        for element, episodes in _PRICE_EPISODES.items()
        for year in range(first_year, last_year + 1)
    ]
    return pl.DataFrame(rows, schema_overrides={"year": pl.Int32})


def ree_complementarity() -> pl.DataFrame:
    """Canonical ``ree_complementarity``: one score in [0, 100] per element."""
    return pl.DataFrame(
        {
            "element": list(_COMPLEMENTARITY),
            "complementarity": [float(v) for v in _COMPLEMENTARITY.values()],
            "source": "illustrative, consistent with Graedel et al. (2015, PNAS); replace with its SI",
            "quality": "placeholder",
        }
    )


COMPOSITION_SOURCE = (
    "after Goonan (2011), USGS Scientific Investigations Report 2011-5094; world, "
    "about 2008; % of REO by application and element"
)
END_USE_SOURCE = (
    "USGS Mineral Commodity Summaries (about 2013): catalysts 60, metallurgy 10, magnets "
    "10, polishing 10, other 10 %; catalysts split FCC:auto 13:7 and 'other' by the "
    "world mix of glass, batteries, phosphors, ceramics, other"
)

#: Application -> (share of world REO use %, {element: % of the application's REO}). The
#: ``other`` element collects REE that are not among the default five (Gd, Tb, Sm, Y, Eu, ...):
#: it keeps every application's composition summing to 100 but is not priced, so it never becomes
#: an element row. A user adds Sm (say) by adding an ``Sm`` entry and lowering ``other``.
_COMPOSITION: dict[str, tuple[float, dict[str, float]]] = {
    "Magnets": (20, {"La": 0, "Ce": 0, "Pr": 23.4, "Nd": 69.4, "Dy": 5.0, "other": 2.2}),
    "FCC catalysts": (13, {"La": 90, "Ce": 10, "Pr": 0, "Nd": 0, "Dy": 0, "other": 0}),
    "Auto catalysts": (7, {"La": 5, "Ce": 90, "Pr": 2, "Nd": 3, "Dy": 0, "other": 0}),
    "Polishing": (13, {"La": 31.5, "Ce": 65, "Pr": 3.5, "Nd": 0, "Dy": 0, "other": 0}),
    "Glass": (10, {"La": 24, "Ce": 66, "Pr": 1, "Nd": 3, "Dy": 0, "other": 6}),
    "Metallurgy and alloys": (9, {"La": 26, "Ce": 52, "Pr": 5.5, "Nd": 16.5, "Dy": 0, "other": 0}),
    "Battery alloys": (8, {"La": 50, "Ce": 33.4, "Pr": 3.3, "Nd": 10, "Dy": 0, "other": 3.3}),
    "Phosphors": (7, {"La": 8.5, "Ce": 11, "Pr": 0, "Nd": 0, "Dy": 0, "other": 80.5}),
    "Ceramics": (6, {"La": 17, "Ce": 12, "Pr": 6, "Nd": 12, "Dy": 0, "other": 53}),
    "Other": (7, {"La": 19, "Ce": 39, "Pr": 4, "Nd": 15, "Dy": 0, "other": 23}),
}

#: US end-use groups (% of US REO consumption) and the applications each group spreads over,
#: in proportion to their world shares.
_US_END_USE_GROUPS: dict[str, tuple[float, tuple[str, ...]]] = {
    "catalysts": (60, ("FCC catalysts", "Auto catalysts")),
    "metallurgy and alloys": (10, ("Metallurgy and alloys",)),
    "permanent magnets": (10, ("Magnets",)),
    "glass polishing": (10, ("Polishing",)),
    "other": (10, ("Glass", "Battery alloys", "Phosphors", "Ceramics", "Other")),
}

#: Application -> ((using BEA 2012 detail industry, weight), ...) and its carrier commodities in
#: order. ``*`` = every buyer of the first carrier, pro rata to its purchases
#: (:data:`ree_assets.core.io_table.PRO_RATA_USERS`).
_APPLICATION_INDUSTRIES: dict[str, tuple[tuple[tuple[str, float], ...], tuple[str, ...]]] = {
    "Magnets": ((("332999", 1.0),), ("331490", "331410")),
    "Battery alloys": ((("335911", 1.0),), ("331410", "325180")),
    "Metallurgy and alloys": ((("331110", 0.7), ("331510", 0.3)), ("331410", "331490")),
    "Auto catalysts": ((("336390", 1.0),), ("325180",)),
    "FCC catalysts": ((("324110", 1.0),), ("325180",)),
    "Polishing": ((("327910", 1.0),), ("325180",)),
    "Glass": ((("327200", 1.0),), ("325180",)),
    "Phosphors": ((("335110", 1.0),), ("325180",)),
    "Ceramics": ((("327100", 1.0),), ("325180",)),
    "Other": ((("*", 1.0),), ("325180",)),
}

#: (application, using industry) -> (SIC 1987 industry of the industry split out of it, source).
#: The magnet industry split out of 332999 makes permanent magnets: SIC 3499 lists "magnets,
#: permanent: metallic" (ceramic and ferrite magnets are 3264, not REE magnets).
_SPLIT_SIC: dict[tuple[str, str], tuple[str, str]] = {
    ("Magnets", "332999"): (
        "3499",
        "SIC 1987 manual (OMB/OSHA), industry 3499 Fabricated Metal Products, NEC: 'Magnets, permanent: metallic'",
    ),
}

#: Share of REE in the value of NdFeB magnets (placeholder).
MAGNET_REE_COST_SHARE = 0.30
#: US REE consumption, tonnes REO, 2012 (placeholder of the right order of magnitude).
US_CONSUMPTION_TONNES_REO = 12_000.0


def ree_application_composition() -> pl.DataFrame:
    """Canonical ``ree_application_composition``: one row per (application, element), shares as
    fractions (application_share sums to 1 over applications; element_share to 1 per
    application, the ``other`` element included)."""
    rows = [
        {
            "application": application,
            "element": element,
            "application_share": share / 100,
            "element_share": element_share / 100,
            "source": COMPOSITION_SOURCE,
            "quality": "approximate",
        }
        for application, (share, elements) in _COMPOSITION.items()
        for element, element_share in elements.items()
    ]
    return pl.DataFrame(rows)


def ree_end_use(country: str = "USA") -> pl.DataFrame:
    """The US end-use split by application (country, application, end_use_share summing to 1):
    a group's share is spread over its applications by their world shares."""
    rows = []
    for group_share, applications in _US_END_USE_GROUPS.values():
        world = {a: _COMPOSITION[a][0] for a in applications}
        rows += [
            {
                "country": country,
                "application": a,
                "end_use_share": group_share / 100 * w / sum(world.values()),
                "source": END_USE_SOURCE,
                "quality": "approximate",
            }
            for a, w in world.items()
        ]
    return pl.DataFrame(rows)


def ree_consumption() -> pl.DataFrame:
    """Canonical ``ree_consumption``: US REE consumption in 2012, tonnes REO (placeholder)."""
    return pl.DataFrame(
        {
            "country": ["USA"],
            "year": pl.Series([2012], dtype=pl.Int32),
            "tonnes_reo": [US_CONSUMPTION_TONNES_REO],
            "source": ["project placeholder of the right order of magnitude; replace (USGS MCS)"],
            "quality": ["placeholder"],
        }
    )


def application_industry_map() -> pl.DataFrame:
    """Canonical ``application_industry_map``: (application, bea_code, weight, carriers,
    split_sic4, split_sic4_source) with weight summing to 1 per application, carriers the ordered
    commodity rows the REE of the application is recorded under in the Use table, and split_sic4
    the SIC industry of the industry split out for the application (null: no split)."""
    rows = [
        {
            "application": application,
            "bea_code": code,
            "weight": weight,
            "carriers": list(carriers),
            "split_sic4": _SPLIT_SIC.get((application, code), (None, None))[0],
            "split_sic4_source": _SPLIT_SIC.get((application, code), (None, None))[1],
            "source": "specs/ree_defaults.md (AFSV measurement)",
            "quality": "approximate",
        }
        for application, (users, carriers) in _APPLICATION_INDUSTRIES.items()
        for code, weight in users
    ]
    return pl.DataFrame(
        rows, schema_overrides={"carriers": pl.List(pl.String), "split_sic4": pl.String, "split_sic4_source": pl.String}
    )


def ree_parameters() -> pl.DataFrame:
    """Scalar parameters of the REE stage (parameter, value, source, quality)."""
    return pl.DataFrame(
        {
            "parameter": ["magnet_ree_cost_share"],
            "value": [MAGNET_REE_COST_SHARE],
            "source": ["project placeholder: share of REE in the value of NdFeB magnets"],
            "quality": ["placeholder"],
        }
    )


def magnet_use_map() -> pl.DataFrame:
    """Canonical ``magnet_use_map`` (bea_code, share, source): the single row ``*`` (share 1), the
    pro-rata marker of :data:`ree_assets.core.io_table.PRO_RATA_USERS`: the magnet Use row splits in
    proportion to the 332999 row, as no public source says who buys REE magnets in the 2012 table."""
    return pl.DataFrame(
        {
            "bea_code": ["*"],
            "share": [1.0],
            "source": ["default: in proportion to the 332999 Use row (specs/io_table.md, step 2)"],
        }
    )
