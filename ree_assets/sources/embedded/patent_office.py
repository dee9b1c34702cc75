"""The one synthetic USPTO of the embedded world: the six canonical patent tables of any grant
year 1969-2018 (``specs/patents_and_did.md``, Patent pulls).

Its grants come from two generators of one patent office: ``fvd_universe`` (grant years
1969-2001, the spillovers stage) and ``patent_world`` (the AFSV corpus, 2002-2018). Citations are
drawn here, across both: each AFSV grant cites earlier grants at random, except a patent that meets
the FVD set rule, which cites as the FVD mixture says against the whole office
(``fvd_universe.with_set_citations``). This module imports both generators; neither imports it.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from ree_assets.sources.embedded import fvd_universe
from ree_assets.sources.embedded.dims import WorldSize
from ree_assets.sources.embedded.patent_world import (
    AFSV_FIRST_YEAR,
    FIRST_GRANT_YEAR,
    LAST_GRANT_YEAR,
    afsv_grant_year_ids,
    afsv_grants,
    last_grant_year_of_filings,
    year_counts,
)
from ree_assets.sources.embedded.world import stage_rng
from ree_assets.sources.patent_tables import PATENT_TABLES, conform


@cache
def afsv_year(year: int, seed: int, size: WorldSize) -> dict[str, pl.DataFrame]:
    """The six canonical tables of an AFSV grant year plus ``patent_labels`` (patent_id,
    is_ree, technology, sic4, ree_enhancing, region, country: the truth of every grant): the
    grants of :func:`afsv_grants` and their citations (:func:`afsv_citations`, their own stream)."""
    grants = afsv_grants(year, seed, size)
    citations = afsv_citations(
        stage_rng(seed, f"patents:citations:{year}"), grants["patents"]["patent_id"].to_list(), year, seed, size
    )
    return {**grants, "patent_citations": conform("patent_citations", citations)}


def afsv_citations(rng: np.random.Generator, ids: list[str], year: int, seed: int, size: WorldSize) -> pl.DataFrame:
    """Each grant cites Poisson(4) earlier grants of the last 15 years: AFSV ids of a year that
    exists in the world (2002 on), FVD-range ids (below 6,300,000) before. A grant that meets the
    FVD set rule (possible in the grant years of applications up to 2002) cites instead as the FVD
    mixture says (``fvd_universe.with_set_citations``)."""
    n_cited = rng.poisson(4.0, len(ids))
    citing = np.repeat(np.arange(len(ids)), n_cited)
    cited_year = rng.integers(max(1976, year - 15), year, citing.size) if year > 1976 else np.full(citing.size, 1976)
    cited = np.empty(citing.size, dtype=np.int64)
    for y in np.unique(cited_year):
        where = cited_year == y
        if y >= AFSV_FIRST_YEAR:
            total = int(
                year_counts(int(y), seed, size)
                .select(pl.sum_horizontal("enhancing", "other_ree", "background"))
                .sum()
                .item()
            )
            cited[where] = afsv_grant_year_ids(int(y))[0] + rng.integers(0, max(total, 1), where.sum())
        else:
            cited[where] = 3_930_000 + (y - 1976) * 90_000 + rng.integers(0, 70_000, where.sum())
    sequence = np.arange(citing.size) - np.repeat(np.cumsum(n_cited) - n_cited, n_cited)
    citations = pl.DataFrame(
        {
            "citing_id": [ids[k] for k in citing],
            "cited_id": cited.astype(str),
            "cited_date": (cited_year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
            + rng.integers(0, 365, citing.size).astype("timedelta64[D]"),
            "cited_office": "US",
            "category": np.where(rng.random(citing.size) < 0.6, "cited by examiner", "cited by applicant"),
            "sequence": sequence,
        }
    )
    if year <= last_grant_year_of_filings(fvd_universe.LAST_SET_YEAR):
        citations = fvd_universe.with_set_citations(citations, pl.Series(ids), seed, size)
    return citations.with_columns(grant_year=pl.lit(year))


def patent_tables(year: int, seed: int, size: WorldSize) -> dict[str, pl.DataFrame]:
    """The six canonical tables of grant year ``year`` (1969-2018) of the synthetic USPTO."""
    if not FIRST_GRANT_YEAR <= year <= LAST_GRANT_YEAR:
        raise ValueError(f"the synthetic USPTO covers grant years {FIRST_GRANT_YEAR}-{LAST_GRANT_YEAR}, not {year}")
    if year >= AFSV_FIRST_YEAR:
        tables = afsv_year(year, seed, size)
        return {table: tables[table] for table in PATENT_TABLES}
    tables = fvd_universe.fvd_universe_tables(year, seed, size)
    return {
        table: conform(
            table,
            tables[table].with_columns(pl.lit(year).alias("grant_year"))
            if "grant_year" not in tables[table].columns
            else tables[table],
        )
        for table in PATENT_TABLES
    }
