"""Figures of the results, as the papers draw them (Matplotlib, Agg backend; no Dagster).

Every figure says what its axes measure in words, names regions, sectors, scenarios and elements
in words (``ree_assets.labels``), carries a caption naming its data (the synthetic embedded world
or the real sources: ``labels.data_caption``) and notes series that coincide."""

import textwrap
from collections.abc import Mapping

import polars as pl

from ree_assets.labels import (
    axis_tolerance,
    coinciding,
    element_label,
    industry_label,
    kappa_label,
    overlap_note,
    region_label,
    sample_label,
    scenario_label,
    sector_label,
)

#: The year China's REE export restrictions began (the vertical line of the time figures).
RESTRICTION_YEAR = 2010
#: Series closer than this share of their axis range everywhere are noted as coinciding.
OVERLAP_SHARE = 0.01
#: The caption's font size (points) and characters per inch of figure width; its artist's id.
CAPTION_FONTSIZE, CAPTION_CHARS_PER_INCH = 8, 17
CAPTION_GID = "caption"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _caption(figure, caption: str, note: str = "") -> None:
    """Lay the figure out, then write the caption (and a note, e.g. on coinciding series),
    wrapped to the figure's width, under everything drawn (legends below the axes included);
    the figure is saved with ``bbox_inches="tight"``, which takes the caption in."""
    figure.tight_layout()
    renderer = figure.canvas.get_renderer()
    lowest = min(artist.get_tightbbox(renderer).y0 for artist in [*figure.axes, *figure.legends])
    width = int(figure.get_figwidth() * CAPTION_CHARS_PER_INCH)
    text = "\n".join(textwrap.fill(part, width) for part in (caption, note) if part)
    top = min(lowest / figure.bbox.height, 0.0) - 0.02
    figure.text(0.01, top, text, ha="left", va="top", fontsize=CAPTION_FONTSIZE, gid=CAPTION_GID)


def _coinciding_labels(series: Mapping[str, list[float]], bars: bool = False) -> tuple[dict[str, str], str]:
    """Legend labels, with a mark added to every series that coincides with an earlier one
    (within 1% of the axis range: lines drawn on top of each other, bars of equal height), and
    the note naming them for the caption."""
    groups = coinciding(series, axis_tolerance(series, OVERLAP_SHARE))
    labels = {label: label for label in series}
    for group in groups:
        for label in group[1:]:
            labels[label] = f"{label} ({'equal' if bars else 'coincides'}, see note)"
    how = "of equal height" if bars else "drawn on top of each other"
    return labels, overlap_note(groups, OVERLAP_SHARE, how)


def ree_requirements_figure(
    ree_tr: pl.DataFrame, sic_titles: Mapping[str, str], published: pl.DataFrame, top_n: int = 20, *, caption: str
):
    """Horizontal stacked bars: total REE requirement by element (USD of REE per 1,000 USD of final
    demand) of the ``top_n`` SIC industries, as in the AFSV "REE Total Requirements" table, with
    the published ``All`` value of every published industry (``published``: sic4, element,
    tr_published) marked; published industries outside our top ``top_n`` are added below them,
    labelled with their rank. Industry titles are wrapped, never cut."""
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
        industry_label(code, sic_titles.get(code, ""), rank) for rank, code in wide.select("rank", "sic4").iter_rows()
    ]
    lines = sum(label.count("\n") + 1 for label in labels)
    figure, axes = plt.subplots(figsize=(10, 0.22 * lines + 0.12 * len(labels) + 2.2))
    left = [0.0] * wide.height
    for element in elements:
        values = (wide[element] * 1e3).to_list()
        axes.barh(labels, values, left=left, label=element_label(element))
        left = [a + b for a, b in zip(left, values, strict=False)]
    marked = [(label, 1e3 * marks[code]) for label, code in zip(labels, wide["sic4"], strict=False) if code in marks]
    axes.scatter(
        [v for _, v in marked],
        [label for label, _ in marked],
        marker="D",
        color="black",
        zorder=3,
        label="published by AFSV, all elements",
    )
    axes.tick_params(axis="y", labelsize=8)
    axes.set_xlabel("USD of rare earths per 1,000 USD of final demand for the industry's output")
    axes.set_title(f"REE total requirements: our top {top_n} SIC industries and the published rows")
    axes.legend(loc="lower right", frameon=False, fontsize=8)
    _caption(figure, caption, f"Industries ranked by our total; published industries outside our top {top_n} below.")
    return figure


def innovation_bias_figure(results: pl.DataFrame, *, caption: str):
    """Bars: % change in the innovation bias A_R/A_L by sector, averaged over the regions other
    than China with real-GDP weights, one bar per scenario (the AFSV "Change in the Innovation
    Bias" figure)."""
    from ree_assets.core.ge.outcomes import NON_CHINA

    plt = _pyplot()
    bias = results.filter((pl.col("variable") == "innovation_bias_pct") & (pl.col("region") == NON_CHINA))
    wide = bias.pivot(on="scenario", index="sector", values="value", sort_columns=True)
    scenarios = [c for c in wide.columns if c != "sector"]
    wide = wide.sort(scenarios[0], descending=True)
    legend, note = _coinciding_labels({scenario_label(s): wide[s].to_list() for s in scenarios}, bars=True)
    figure, axes = plt.subplots(figsize=(9, 5))
    width = 0.8 / len(scenarios)
    positions = range(wide.height)
    for k, scenario in enumerate(scenarios):
        axes.bar(
            [p + k * width for p in positions], wide[scenario].to_list(), width, label=legend[scenario_label(scenario)]
        )
    axes.set_xticks(
        [p + 0.4 - width / 2 for p in positions], [sector_label(s) for s in wide["sector"]], rotation=45, ha="right"
    )
    axes.axhline(0, color="black", linewidth=0.6)
    axes.set_ylabel("change in REE-enhancing relative to\nlabour-augmenting technology (%)")
    axes.set_title(f"Change in the innovation bias A_R/A_L, {region_label(NON_CHINA)} (real-GDP weighted)")
    axes.legend(frameon=False, fontsize=8)
    _caption(figure, caption, note)
    return figure


def real_outcomes_figure(results: pl.DataFrame, *, caption: str):
    """Grouped bars: % change in real GDP and real consumption by region, one bar per scenario
    (exogenous vs endogenous technology, tax and quota)."""
    from ree_assets.core.ge.outcomes import ALL_SECTORS

    plt = _pyplot()
    figure, panels = plt.subplots(1, 2, figsize=(12, 4.5))
    series: dict[str, list[float]] = {}
    for axes, variable, title in zip(
        panels, ("real_gdp_pct", "real_consumption_pct"), ("Real GDP", "Real consumption"), strict=False
    ):
        rows = results.filter((pl.col("variable") == variable) & (pl.col("sector") == ALL_SECTORS))
        wide = rows.pivot(on="scenario", index="region", values="value", sort_columns=True)
        scenarios = [c for c in wide.columns if c != "region"]
        width = 0.8 / len(scenarios)
        for k, scenario in enumerate(scenarios):
            axes.bar(
                [p + k * width for p in range(wide.height)],
                wide[scenario].to_list(),
                width,
                label=scenario_label(scenario),
            )
            series.setdefault(scenario_label(scenario), []).extend(wide[scenario].to_list())
        axes.set_xticks(
            [p + 0.4 - width / 2 for p in range(wide.height)],
            [textwrap.fill(region_label(r), 9) for r in wide["region"]],
        )
        axes.axhline(0, color="black", linewidth=0.6)
        axes.set_title(title)
        axes.set_ylabel("change from the baseline (%)")
    legend, note = _coinciding_labels(series, bars=True)
    handles, labels = panels[1].get_legend_handles_labels()
    figure.tight_layout()
    figure.legend(
        handles,
        [legend[label] for label in labels],
        loc="upper center",
        bbox_to_anchor=(0.5, min(a.get_tightbbox().y0 for a in panels) / figure.bbox.height),
        ncol=2,
        frameon=False,
        fontsize=8,
    )
    _caption(figure, caption, note)
    return figure


def tax_sweep_figure(results: pl.DataFrame, *, caption: str):
    """Curves over the export tax: the world and Chinese REE price, and China's, the United
    States' and Europe's real consumption, one line per kappa; lines that coincide are named in
    the legend and the caption."""
    plt = _pyplot()
    frame = results.with_columns(
        kappa=pl.col("scenario").str.extract(r"_kappa_([0-9.e-]+)$").cast(pl.Float64),
        tax_pct=100 * pl.col("scenario").str.extract(r"^tax_([0-9.e-]+)_").cast(pl.Float64),
    ).sort("tax_pct")
    prices: dict[str, tuple[list[float], list[float], str]] = {}
    welfare: dict[str, tuple[list[float], list[float], str]] = {}
    for kappa, curve in frame.group_by("kappa", maintain_order=True):
        technology = kappa_label(kappa[0])
        world = curve.filter(pl.col("variable") == "world_ree_price_hat")
        china = curve.filter((pl.col("variable") == "ree_price_hat") & (pl.col("region") == "CHN"))
        prices[f"world price, {technology}"] = (world["tax_pct"].to_list(), world["value"].to_list(), "-")
        prices[f"price in China, {technology}"] = (china["tax_pct"].to_list(), china["value"].to_list(), "--")
        for region, style in (("CHN", "-"), ("USA", ":"), ("EUR", "-.")):
            rows = curve.filter((pl.col("variable") == "real_consumption_pct") & (pl.col("region") == region))
            welfare[f"{region_label(region)}, {technology}"] = (
                rows["tax_pct"].to_list(),
                rows["value"].to_list(),
                style,
            )
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    notes = []
    for axes, curves in ((left, prices), (right, welfare)):
        legend, note = _coinciding_labels({label: y for label, (_, y, _) in curves.items()})
        lines = []
        for label, (x, y, style) in curves.items():
            hidden = legend[label] != label  # on top of an earlier line: its markers show it
            lines += axes.plot(x, y, linestyle=style, marker="o" if hidden else None, markersize=3)
        axes.set_xlabel("tax rate on China's REE exports (%)")
        axes.legend(
            lines, list(legend.values()), loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False, fontsize=7
        )
        notes.append(note)
    left.set_ylabel("REE price relative to the baseline (baseline = 1)")
    left.set_title("REE prices")
    right.set_ylabel("real consumption, change from the baseline (%)")
    right.set_title("Real consumption")
    _caption(figure, caption, " ".join(n for n in notes if n))
    return figure


def ree_patent_grants_figure(grants: pl.DataFrame, *, caption: str):
    """Stacked bars: REE patent grants per grant year by technology (the AFSV figure of REE
    patents over time); ``grants`` has grant_year, technology, grants."""
    plt = _pyplot()
    wide = (
        grants.pivot(on="technology", index="grant_year", values="grants", sort_columns=True)
        .fill_null(0)
        .sort("grant_year")
    )
    figure, axes = plt.subplots(figsize=(9, 4.8))
    bottom = [0.0] * wide.height
    for technology in [c for c in wide.columns if c != "grant_year"]:
        values = wide[technology].cast(pl.Float64).to_list()
        axes.bar(wide["grant_year"].to_list(), values, bottom=bottom, label=technology)
        bottom = [a + b for a, b in zip(bottom, values, strict=False)]
    axes.axvline(
        RESTRICTION_YEAR - 0.5, color="black", linewidth=0.8, linestyle="--", label="China's export restrictions"
    )
    axes.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    axes.set_xlabel("grant year")
    axes.set_ylabel("REE patent grants (number per year)")
    axes.set_title("REE patent grants per year by technology")
    axes.legend(frameon=False, ncol=4, fontsize="small")
    _caption(figure, caption)
    return figure


def event_study_figure(results: pl.DataFrame, title: str, post_year: int = RESTRICTION_YEAR, *, caption: str):
    """Coefficients of Sens x 1{year} (reference 2009 = 0) with their 95% CIs, one series per
    sample (samples named in words, drawn side by side)."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8, 4.5))
    for k, (sample, rows) in enumerate(results.group_by("sample", maintain_order=True)):
        years = rows["year"].to_numpy() + 0.15 * k
        axes.errorbar(
            years,
            rows["estimate"],
            yerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
            fmt="o",
            capsize=3,
            label=sample_label(sample[0]),
        )
    axes.axhline(0, color="black", linewidth=0.6)
    axes.axvline(post_year - 0.5, color="grey", linestyle="--", linewidth=0.8, label="China's export restrictions")
    axes.set_xlabel(f"year (reference year {post_year - 1}: coefficient 0)")
    axes.set_ylabel("coefficient of REE sensitivity x year\n(95% confidence interval)")
    axes.set_title(title)
    axes.legend(frameon=False, fontsize=8)
    _caption(figure, caption, "Samples are drawn side by side (shifted by 0.15 year) so that none hides another.")
    return figure
