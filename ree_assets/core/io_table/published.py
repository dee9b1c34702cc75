"""Diagnostics against published tables: the summary-level total requirements next to BEA's."""

from __future__ import annotations

import numpy as np
import polars as pl


def compare_total_requirements(computed: pl.DataFrame, published: pl.DataFrame) -> dict[str, float]:
    """Diagnostic: computed vs published industry-by-commodity total requirements, both long
    (industry_code, commodity_code, tr). Over the cells in both: Pearson correlation, the median
    of (computed - published) column sums and of its absolute value, and the cell count."""
    both = computed.join(published, on=["industry_code", "commodity_code"], suffix="_published")
    columns = both.group_by("commodity_code").agg(
        (pl.col("tr").sum() - pl.col("tr_published").sum()).alias("difference"))
    return {
        "n_cells": float(both.height),
        "correlation": float(np.corrcoef(both["tr"].to_numpy(), both["tr_published"].to_numpy())[0, 1]),
        "median_column_sum_difference": float(columns["difference"].median()),
        "median_abs_column_sum_difference": float(columns["difference"].abs().median()),
    }
