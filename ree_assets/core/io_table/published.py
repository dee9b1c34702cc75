"""Diagnostics against published tables: the summary-level total requirements next to BEA's, and
the REE requirements by SIC industry next to the AFSV table (``specs/io_table.md``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from ree_assets.core.io_table.bounds import PUBLISHED_BOUNDS, PUBLISHED_COLUMN_SUM_BOUND
from ree_assets.core.io_table.sic import ALL_ELEMENTS
from ree_assets.errors import DataValidationError


def compare_total_requirements(computed: pl.DataFrame, published: pl.DataFrame) -> dict[str, float]:
    """Diagnostic: computed vs published industry-by-commodity total requirements, both long
    (industry_code, commodity_code, tr), over the cells in both:

    - ``correlation``: Pearson correlation of all cells (dominated by the diagonal, where a table
      is near 1 whatever its inverse; D alone, with no inverse, scores 0.97 on BEA 2012);
    - ``off_diagonal_correlation``: the same over cells with industry != commodity code (the
      indirect requirements the inverse adds);
    - ``median_relative_column_sum_difference``: median over commodities of |sum_i tr_ic -
      sum_i tr_pub_ic| / sum_i tr_pub_ic (the output multipliers);
    - the median (absolute) column-sum difference and the cell count.
    """
    both = computed.join(published, on=["industry_code", "commodity_code"], suffix="_published")
    off_diagonal = both.filter(pl.col("industry_code") != pl.col("commodity_code"))
    columns = both.group_by("commodity_code").agg(
        (pl.col("tr").sum() - pl.col("tr_published").sum()).alias("difference"),
        pl.col("tr_published").sum().alias("published"),
    )
    difference = columns["difference"].to_numpy()
    return {
        "n_cells": float(both.height),
        "correlation": float(np.corrcoef(both["tr"].to_numpy(), both["tr_published"].to_numpy())[0, 1]),
        "off_diagonal_correlation": float(
            np.corrcoef(off_diagonal["tr"].to_numpy(), off_diagonal["tr_published"].to_numpy())[0, 1]
        ),
        "median_column_sum_difference": float(np.median(difference)),
        "median_abs_column_sum_difference": float(np.median(np.abs(difference))),
        "median_relative_column_sum_difference": float(np.median(np.abs(difference) / columns["published"].to_numpy())),
    }


#: How many of our leading SIC industries a published row must be among to count as "in our top".
TOP_N = 10


def requirements_vs_published(
    ree_tr: pl.DataFrame, published: pl.DataFrame, universe: Sequence[str]
) -> tuple[pl.DataFrame, dict[str, float | str]]:
    """The project's REE total requirements by SIC next to published rows (the AFSV table).

    ``ree_tr`` is canonical ``ree_total_requirements``; ``published`` holds (sic4, element,
    tr_published) with an ``All`` row per published industry; ``universe`` the SIC industries
    ranked (SIC manufacturing). Returns one row per published industry: (sic4, tr, tr_published,
    rank, rank_published, ratio = tr / tr_published, in_top) with rank 1 = largest ``All``
    requirement among ``universe``, and a summary: the Spearman rank correlation of tr and
    tr_published over the published rows, the published rows among our top :data:`TOP_N`, the
    median ratio and the ratio of the sums (levels). A published row with no requirement of ours
    is an error naming it.
    """
    ours = (
        ree_tr.filter((pl.col("element") == ALL_ELEMENTS) & pl.col("sic4").is_in(list(universe)))
        .select("sic4", "tr")
        .with_columns(rank=pl.col("tr").rank(method="min", descending=True).cast(pl.Int32))
    )
    rows = (
        published.filter(pl.col("element") == ALL_ELEMENTS)
        .select("sic4", "tr_published")
        .with_columns(rank_published=pl.col("tr_published").rank(method="min", descending=True).cast(pl.Int32))
        .join(ours, on="sic4", how="left")
    )
    missing = rows.filter(pl.col("tr").is_null())
    if missing.height:
        raise DataValidationError(
            "ree_total_requirements", "every published SIC industry has a requirement", row=missing["sic4"][0]
        )
    table = (
        rows.with_columns(ratio=pl.col("tr") / pl.col("tr_published"), in_top=pl.col("rank") <= TOP_N)
        .select("sic4", "tr", "tr_published", "rank", "rank_published", "ratio", "in_top")
        .sort("rank_published", "sic4")
    )
    summary: dict[str, float | str] = {
        "rank_correlation": float(table.select(pl.corr("tr", "tr_published", method="spearman")).item()),
        "published_in_our_top": ", ".join(table.filter(pl.col("in_top"))["sic4"]) or "none",
        "n_published_in_our_top": float(table["in_top"].to_numpy().sum()),
        "median_ratio": float(np.median(table["ratio"].to_numpy())),
        "ratio_of_sums": float(table["tr"].to_numpy().sum() / table["tr_published"].to_numpy().sum()),
    }
    return table, summary


def tracks_published(comparison: dict[str, float]) -> bool:
    """True when a :func:`compare_total_requirements` result is within every bound: cell and
    off-diagonal correlation above :data:`PUBLISHED_BOUNDS`, median relative column-sum
    difference below :data:`PUBLISHED_COLUMN_SUM_BOUND`."""
    return (
        all(comparison[name] > bound for name, bound in PUBLISHED_BOUNDS.items())
        and comparison["median_relative_column_sum_difference"] < PUBLISHED_COLUMN_SUM_BOUND
    )


def approximate_inputs(tables: dict[str, pl.DataFrame]) -> list[str]:
    """'table (quality, ...)' for every input table with a ``quality`` column holding anything
    but ``published`` (approximate defaults, placeholders, synthetic values)."""
    flagged = []
    for name, frame in tables.items():
        qualities = sorted(set(frame["quality"]) - {"published"}) if "quality" in frame.columns else []
        if qualities:
            flagged.append(f"{name} ({', '.join(qualities)})")
    return flagged
