"""Default REE tables shipped for the embedded mode (``specs/ree_defaults.md``).

All values are approximate order-of-magnitude defaults, never tuned to reproduce a published
output. Each table carries ``source`` and ``quality`` so results built on them say so; a user
replaces them in ``local`` mode with licensed series (Asian Metal, USGS, BCC, Roskill).
"""

from __future__ import annotations

import polars as pl

from ree_assets.sources.embedded.dims import FIRST_YEAR, LAST_YEAR

PRICE_SOURCE = ("project default after the AFSV slides' 10-45x 2010-11 spike; FOB China annual "
                "averages, USD/kg oxide")

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
        {"element": element, "market": "fob_china", "year": year,
         "price_usd_per_kg": float(_episode_price(episodes, year)),
         "source": PRICE_SOURCE, "quality": "approximate"}
        for element, episodes in _PRICE_EPISODES.items()
        for year in range(first_year, last_year + 1)
    ]
    return pl.DataFrame(rows, schema_overrides={"year": pl.Int32})


def ree_complementarity() -> pl.DataFrame:
    """Canonical ``ree_complementarity``: one score in [0, 100] per element."""
    return pl.DataFrame({
        "element": list(_COMPLEMENTARITY),
        "complementarity": [float(v) for v in _COMPLEMENTARITY.values()],
        "source": "illustrative, consistent with Graedel et al. (2015, PNAS); replace with its SI",
        "quality": "placeholder",
    })
