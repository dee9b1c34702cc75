"""Aggregate a world input-output table to model regions and sectors with explicit maps.

Both maps are total functions written out in full: every country (industry) of the table maps to
exactly one region (sector), and a map that leaves one out or names one the table does not have is
an error, so a silent change in coverage can never change the model's baseline.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ree_assets.core.ge.data import WorldIOTable
from ree_assets.errors import DataValidationError

EU27_2009: tuple[str, ...] = (
    "AUT",
    "BEL",
    "BGR",
    "CYP",
    "CZE",
    "DEU",
    "DNK",
    "ESP",
    "EST",
    "FIN",
    "FRA",
    "GBR",
    "GRC",
    "HUN",
    "IRL",
    "ITA",
    "LTU",
    "LUX",
    "LVA",
    "MLT",
    "NLD",
    "POL",
    "PRT",
    "ROU",
    "SVK",
    "SVN",
    "SWE",
)
"""The 27 members of the European Union in 2009 (ISO 3166 alpha-3).

Source: the EU-15 plus the ten states of the 2004 enlargement (Treaty of Accession 2003, OJ L 236,
23.9.2003) plus Bulgaria and Romania (Treaty of Accession 2005, OJ L 157, 21.6.2005, in force
1 January 2007); Croatia joined only in 2013. Cross-checked against the ``EU27_2007`` column of
country_converter's country_data.tsv. WIOD 2013 writes Romania as ``ROM``; the canonical ``wiod``
table maps it to ``ROU``.
"""

WIOD_2013_COUNTRIES: tuple[str, ...] = (
    "AUS",
    "AUT",
    "BEL",
    "BGR",
    "BRA",
    "CAN",
    "CHN",
    "CYP",
    "CZE",
    "DEU",
    "DNK",
    "ESP",
    "EST",
    "FIN",
    "FRA",
    "GBR",
    "GRC",
    "HUN",
    "IDN",
    "IND",
    "IRL",
    "ITA",
    "JPN",
    "KOR",
    "LTU",
    "LUX",
    "LVA",
    "MEX",
    "MLT",
    "NLD",
    "POL",
    "PRT",
    "ROU",
    "RUS",
    "SVK",
    "SVN",
    "SWE",
    "TUR",
    "TWN",
    "USA",
    "ROW",
)
"""The 41 regions of the WIOD 2013 release (40 countries and the rest of the world), ISO alpha-3."""

MODEL_REGIONS: tuple[str, ...] = ("CHN", "EUR", "JPN", "USA", "ROW")


def default_region_map(countries: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Country -> model region: CHN, JPN and USA are their own regions, the EU-27 of 2009 is EUR,
    every other country (and WIOD's rest of the world) is ROW. Ordered so the regions appear in
    the order of :data:`MODEL_REGIONS`."""
    regions = {
        country: country if country in ("CHN", "JPN", "USA") else "EUR" if country in EU27_2009 else "ROW"
        for country in countries
    }
    return dict(sorted(regions.items(), key=lambda item: MODEL_REGIONS.index(item[1])))


DEFAULT_REGION_MAP: dict[str, str] = default_region_map(WIOD_2013_COUNTRIES)
"""WIOD 2013 country -> model region: CHN, EUR (EU-27 of 2009), JPN, USA, ROW (everything else)."""

DEFAULT_SECTOR_MAP: dict[str, str] = {
    "c1": "agriculture",
    "c2": "mining_petroleum_coal",
    "c8": "mining_petroleum_coal",
    "c3": "food",
    "c4": "textiles",
    "c5": "textiles",
    "c6": "wood_paper",
    "c7": "wood_paper",
    "c9": "chemicals",
    "c10": "rubber_plastics",
    "c11": "non_metallic_minerals",
    "c12": "basic_fabricated_metals",
    "c13": "machinery",
    "c14": "computers_electronics",
    "c15": "transport_equipment",
    "c16": "furniture_misc",
    **{f"c{code}": "services" for code in range(17, 36)},
}
"""WIOD 2013 industry c1..c35 -> model sector (12 manufacturing + agriculture + services).

c2 mining and quarrying + c8 coke, refined petroleum and nuclear fuel; c4 textiles + c5 leather and
footwear; c6 wood + c7 pulp, paper, printing; c14 electrical and optical equipment is
``computers_electronics``; c17-c35 (utilities, construction, trade, transport, finance, public
and private services) are ``services``. Specification: specs/ge_model.md, "Sets and baseline data".
"""


def _map_indices(
    map_: Mapping[str, str], codes: tuple[str, ...], kind: str, table_name: str
) -> tuple[tuple[str, ...], np.ndarray]:
    """Group labels in the order they first appear among the map's values, and per table code the
    index of its group.

    Raises :class:`DataValidationError` naming every code the map leaves out and every code it
    names that the table does not have.
    """
    missing = [code for code in codes if code not in map_]
    unknown = [code for code in map_ if code not in codes]
    if missing or unknown:
        plural = {"country": "countries", "industry": "industries"}[kind]
        parts = ([f"{plural} left out of the map: {', '.join(missing)}"] if missing else []) + (
            [f"unknown {plural} in the map: {', '.join(unknown)}"] if unknown else []
        )
        raise DataValidationError(
            table_name, f"the {kind} map covers each {kind} of the table exactly", column=kind, detail="; ".join(parts)
        )
    groups = tuple(dict.fromkeys(map_.values()))
    position = {group: g for g, group in enumerate(groups)}
    return groups, np.array([position[map_[code]] for code in codes])


def aggregation_matrix(group_of: np.ndarray, n_groups: int) -> np.ndarray:
    """0/1 matrix S with S[g, c] = 1 iff code c belongs to group g (so S @ v sums v by group)."""
    return (np.arange(n_groups)[:, None] == group_of[None, :]).astype(np.float64)


def aggregate_world_io_table(
    table: WorldIOTable,
    region_map: Mapping[str, str] = DEFAULT_REGION_MAP,
    sector_map: Mapping[str, str] = DEFAULT_SECTOR_MAP,
    *,
    table_name: str = "wiod",
) -> WorldIOTable:
    """Sum a world IO table over regions and sectors: T_agg = (R (x) S) T (R (x) S)'.

    With R the region and S the sector aggregation matrix, rows and intermediate columns aggregate
    with the Kronecker product R (x) S (country-major ordering), final-use columns with
    R (x) I_F (final-use categories are kept), output with R (x) S. Sums of rounded cells keep the
    row identity within the sum of the original rows' rounding bounds. Regions and sectors are
    ordered as they first appear among the maps' values.
    """
    regions, region_of = _map_indices(region_map, table.countries, "country", table_name)
    sectors, sector_of = _map_indices(sector_map, table.sectors, "industry", table_name)
    rows = np.kron(aggregation_matrix(region_of, len(regions)), aggregation_matrix(sector_of, len(sectors)))
    finals = np.kron(aggregation_matrix(region_of, len(regions)), np.eye(len(table.final_uses)))
    return WorldIOTable(
        countries=regions,
        sectors=sectors,
        final_uses=table.final_uses,
        intermediate=rows @ table.intermediate @ rows.T,
        final=rows @ table.final @ finals.T,
        output=rows @ table.output,
    )
