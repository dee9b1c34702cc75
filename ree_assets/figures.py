"""Figures of the results, as the papers draw them (Matplotlib, Agg backend; no Dagster)."""

from collections.abc import Mapping

import polars as pl


def ree_requirements_figure(ree_tr: pl.DataFrame, sic_titles: Mapping[str, str], top_n: int = 15):
    """Horizontal stacked bars: total REE requirement by element (1e-3 USD per USD of final
    demand) of the ``top_n`` SIC industries, as in the AFSV "REE Total Requirements" table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wide = (ree_tr.pivot(on="element", index="sic4", values="tr")
            .sort("All", descending=True).head(top_n).reverse())
    elements = [c for c in wide.columns if c not in ("sic4", "All")]
    labels = [f"{code} {sic_titles.get(code, '')[:38]}" for code in wide["sic4"]]
    figure, axes = plt.subplots(figsize=(9, 0.35 * len(labels) + 1.5))
    left = [0.0] * wide.height
    for element in elements:
        values = (wide[element] * 1e3).to_list()
        axes.barh(labels, values, left=left, label=element)
        left = [a + b for a, b in zip(left, values)]
    axes.set_xlabel("1e-3 USD of REE per USD of final demand")
    axes.set_title("REE total requirements, top SIC industries")
    axes.legend(loc="lower right", frameon=False)
    figure.tight_layout()
    return figure
