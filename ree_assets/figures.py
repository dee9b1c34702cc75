"""Figures of the results, as the papers draw them (Matplotlib, Agg backend; no Dagster)."""

from collections.abc import Mapping

import polars as pl

from ree_assets.core.ge.outcomes import ALL_SECTORS, NON_CHINA


def ree_requirements_figure(
    ree_tr: pl.DataFrame, sic_titles: Mapping[str, str], published: pl.DataFrame, top_n: int = 20
):
    """Horizontal stacked bars: total REE requirement by element (1e-3 USD per USD of final
    demand) of the ``top_n`` SIC industries, as in the AFSV "REE Total Requirements" table, with
    the published ``All`` value of every published industry (``published``: sic4, element,
    tr_published) marked; published industries outside our top ``top_n`` are added below them,
    labelled with their rank."""
    plt = _pyplot()
    ranked = (
        ree_tr.pivot(on="element", index="sic4", values="tr")
        .sort("All", descending=True)
        .with_row_index("rank", offset=1)
    )
    marks = dict(published.filter(pl.col("element") == "All").select("sic4", "tr_published").iter_rows())
    wide = ranked.filter((pl.col("rank") <= top_n) | pl.col("sic4").is_in(list(marks))).reverse()
    elements = [c for c in wide.columns if c not in ("rank", "sic4", "All")]
    labels = [
        f"#{rank} {code} {sic_titles.get(code, '')[:34]}" for rank, code in wide.select("rank", "sic4").iter_rows()
    ]
    figure, axes = plt.subplots(figsize=(10, 0.32 * len(labels) + 1.8))
    left = [0.0] * wide.height
    for element in elements:
        values = (wide[element] * 1e3).to_list()
        axes.barh(labels, values, left=left, label=element)
        left = [a + b for a, b in zip(left, values, strict=False)]
    marked = [(label, 1e3 * marks[code]) for label, code in zip(labels, wide["sic4"], strict=False) if code in marks]
    axes.scatter(
        [v for _, v in marked],
        [label for label, _ in marked],
        marker="D",
        color="black",
        zorder=3,
        label="published (AFSV)",
    )
    axes.set_xlabel("1e-3 USD of REE per USD of final demand")
    axes.set_title(f"REE total requirements: top {top_n} SIC industries and the published rows")
    axes.legend(loc="lower right", frameon=False, fontsize=8)
    figure.tight_layout()
    return figure


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def innovation_bias_figure(results: pl.DataFrame):
    """Bars: % change in the innovation bias A_R/A_L by sector, averaged over the regions other
    than China with real-GDP weights, one bar per scenario (the AFSV "Change in the Innovation
    Bias" figure)."""
    plt = _pyplot()
    bias = results.filter((pl.col("variable") == "innovation_bias_pct") & (pl.col("region") == NON_CHINA))
    wide = bias.pivot(on="scenario", index="sector", values="value", sort_columns=True)
    scenarios = [c for c in wide.columns if c != "sector"]
    wide = wide.sort(scenarios[0], descending=True)
    figure, axes = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(scenarios)
    positions = range(wide.height)
    for k, scenario in enumerate(scenarios):
        axes.bar([p + k * width for p in positions], wide[scenario].to_list(), width, label=scenario)
    axes.set_xticks([p + 0.4 - width / 2 for p in positions], wide["sector"].to_list(), rotation=45, ha="right")
    axes.axhline(0, color="black", linewidth=0.6)
    axes.set_ylabel("% change in A_R / A_L")
    axes.set_title("Change in the innovation bias outside China")
    axes.legend(frameon=False)
    figure.tight_layout()
    return figure


def real_outcomes_figure(results: pl.DataFrame):
    """Grouped bars: % change in real GDP and real consumption by region, one bar per scenario
    (exogenous vs endogenous technology, tax and quota)."""
    plt = _pyplot()
    figure, panels = plt.subplots(1, 2, figsize=(11, 4), sharey=False)
    for axes, variable, title in zip(
        panels, ("real_gdp_pct", "real_consumption_pct"), ("Real GDP", "Real consumption"), strict=False
    ):
        rows = results.filter((pl.col("variable") == variable) & (pl.col("sector") == ALL_SECTORS))
        wide = rows.pivot(on="scenario", index="region", values="value", sort_columns=True)
        scenarios = [c for c in wide.columns if c != "region"]
        width = 0.8 / len(scenarios)
        for k, scenario in enumerate(scenarios):
            axes.bar([p + k * width for p in range(wide.height)], wide[scenario].to_list(), width, label=scenario)
        axes.set_xticks([p + 0.4 - width / 2 for p in range(wide.height)], wide["region"].to_list())
        axes.axhline(0, color="black", linewidth=0.6)
        axes.set_title(f"{title}, % change")
    panels[1].legend(frameon=False, fontsize=8)
    figure.tight_layout()
    return figure


def tax_sweep_figure(results: pl.DataFrame):
    """Curves over the export tax: the world and Chinese REE price, and China's and the rest of
    the world's real consumption, one line per kappa."""
    plt = _pyplot()
    frame = results.with_columns(
        kappa=pl.col("scenario").str.extract(r"_kappa_([0-9.e-]+)$").cast(pl.Float64),
        tax=pl.col("scenario").str.extract(r"^tax_([0-9.e-]+)_").cast(pl.Float64),
    )
    figure, (prices, welfare) = plt.subplots(1, 2, figsize=(11, 4))
    for kappa, curve in frame.sort("tax").group_by("kappa", maintain_order=True):
        label = f"kappa = {kappa[0]:g}"
        world = curve.filter(pl.col("variable") == "world_ree_price_hat")
        china = curve.filter((pl.col("variable") == "ree_price_hat") & (pl.col("region") == "CHN"))
        prices.plot(world["tax"], world["value"], label=f"world, {label}")
        prices.plot(china["tax"], china["value"], linestyle="--", label=f"China, {label}")
        for region, style in (("CHN", "-"), ("USA", ":"), ("EUR", "-.")):
            rows = curve.filter((pl.col("variable") == "real_consumption_pct") & (pl.col("region") == region))
            welfare.plot(rows["tax"], rows["value"], linestyle=style, label=f"{region}, {label}")
    prices.set_xlabel("export tax tau")
    prices.set_ylabel("REE price (baseline = 1)")
    prices.legend(frameon=False, fontsize=8)
    welfare.set_xlabel("export tax tau")
    welfare.set_ylabel("real consumption, % change")
    welfare.legend(frameon=False, fontsize=7)
    figure.tight_layout()
    return figure


def ree_patent_grants_figure(grants: pl.DataFrame):
    """Stacked bars: REE patent grants per grant year by technology (the AFSV figure of REE
    patents over time); ``grants`` has grant_year, technology, grants."""
    plt = _pyplot()
    wide = (
        grants.pivot(on="technology", index="grant_year", values="grants", sort_columns=True)
        .fill_null(0)
        .sort("grant_year")
    )
    figure, axes = plt.subplots(figsize=(9, 4.5))
    bottom = [0.0] * wide.height
    for technology in [c for c in wide.columns if c != "grant_year"]:
        values = wide[technology].cast(pl.Float64).to_list()
        axes.bar(wide["grant_year"].to_list(), values, bottom=bottom, label=technology)
        bottom = [a + b for a, b in zip(bottom, values, strict=False)]
    axes.axvline(2009.5, color="black", linewidth=0.8, linestyle="--")
    axes.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    axes.set_xlabel("grant year")
    axes.set_ylabel("REE patent grants")
    axes.set_title("REE patent grants per year by technology")
    axes.legend(frameon=False, ncol=4, fontsize="small")
    figure.tight_layout()
    return figure


def event_study_figure(results: pl.DataFrame, title: str, post_year: int = 2010):
    """Coefficients of Sens x 1{year} (reference 2009 = 0) with their 95% CIs, one series per sample."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8, 4))
    for k, (sample, rows) in enumerate(results.group_by("sample", maintain_order=True)):
        years = rows["year"].to_numpy() + 0.15 * k
        axes.errorbar(
            years,
            rows["estimate"],
            yerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
            fmt="o",
            capsize=3,
            label=sample[0],
        )
    axes.axhline(0, color="black", linewidth=0.6)
    axes.axvline(post_year - 0.5, color="grey", linestyle="--", linewidth=0.8)
    axes.set_xlabel("year")
    axes.set_ylabel("coefficient of Sens x year (95% CI)")
    axes.set_title(title)
    axes.legend(frameon=False)
    figure.tight_layout()
    return figure
