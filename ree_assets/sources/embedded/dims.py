"""Dimensions of the embedded synthetic world.

The world is the same at every size: the SIC 1987 manufacturing industries, ~50 economies mapped
to the eight regions of the AFSV study, years 2002-2018. The ``small`` size keeps every shape but
samples fewer industries and economies so the test suite stays fast.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

WorldSize = Literal["small", "full"]

REGIONS: tuple[str, ...] = ("EUR", "USA", "CHN", "RUS", "KOR", "JPN", "AUS", "ROW")

#: The 50 economies of the embedded world and their AFSV region (EUR = EU-27 + UK + EFTA).
ECONOMY_REGION: dict[str, str] = {
    **{
        c: "EUR"
        for c in (
            "AUT",
            "BEL",
            "BGR",
            "CHE",
            "CZE",
            "DEU",
            "DNK",
            "ESP",
            "FIN",
            "FRA",
            "GBR",
            "GRC",
            "HUN",
            "IRL",
            "ITA",
            "NLD",
            "NOR",
            "POL",
            "PRT",
            "ROU",
            "SVK",
            "SWE",
        )
    },
    "USA": "USA",
    "CHN": "CHN",
    "RUS": "RUS",
    "KOR": "KOR",
    "JPN": "JPN",
    "AUS": "AUS",
    **{
        c: "ROW"
        for c in (
            "ARG",
            "BRA",
            "CAN",
            "CHL",
            "COL",
            "EGY",
            "IDN",
            "IND",
            "ISR",
            "MEX",
            "MYS",
            "NZL",
            "PAK",
            "PHL",
            "SAU",
            "SGP",
            "THA",
            "TUR",
            "TWN",
            "UKR",
            "VNM",
            "ZAF",
        )
    },
}

FIRST_YEAR, LAST_YEAR = 2002, 2018
#: The grant years of the synthetic FVD universe (``fvd_universe``), first and last.
FVD_GRANT_YEARS = (1969, 2001)

#: Industries every size keeps: the REE-intensive ones the AFSV tables report, and every SIC
#: industry the BEA world's REE map names (``bea_world.REE_BEA_SIC``). A size without one of the
#: latter would give it a sensitivity (3312, iron and steel, is second highest) but no patents,
#: and the classifiers, which choose among the industries with a sensitivity, would send patents
#: of the industries kept to it.
KEY_SIC4: tuple[str, ...] = (
    "3691",
    "3499",
    "3625",
    "3511",
    "3292",
    "3714",
    "3519",
    "3585",
    "2819",
    "2911",
    "3229",
    "3291",
    "3641",
    "3255",
    "3313",
    "3321",
    "3312",
    "3356",
)
KEY_ECONOMIES: tuple[str, ...] = ("USA", "CHN", "RUS", "KOR", "JPN", "AUS", "DEU", "FRA", "GBR", "ITA", "BRA", "IND")


@cache
def sic1987_manufacturing() -> tuple[tuple[str, str], ...]:
    """The 459 SIC 1987 4-digit manufacturing industries (codes 2011-3999) with their titles."""
    text = resources.files(__package__).joinpath("sic1987_manufacturing.csv").read_text("utf-8")
    return tuple((row["sic4"], row["title"]) for row in csv.DictReader(text.splitlines()))


@dataclass(frozen=True)
class WorldDims:
    """The sets the synthetic world is built on."""

    sic4: tuple[str, ...]
    economies: tuple[str, ...]
    years: tuple[int, ...]

    def region_of(self, economy: str) -> str:
        """The AFSV region of an economy."""
        return ECONOMY_REGION[economy]


def world_dims(size: WorldSize = "full") -> WorldDims:
    """Dimensions for a world size: ``full`` is every industry and economy, ``small`` a
    deterministic subset (every fifth industry plus the key ones; the key economies)."""
    codes = [code for code, _ in sic1987_manufacturing()]
    years = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
    if size == "full":
        return WorldDims(tuple(codes), tuple(ECONOMY_REGION), years)
    if size == "small":
        kept = {c for c in codes[::5]} | set(KEY_SIC4)
        return WorldDims(tuple(c for c in codes if c in kept), KEY_ECONOMIES, years)
    raise ValueError(f"unknown world size {size!r}: expected 'small' or 'full'")
