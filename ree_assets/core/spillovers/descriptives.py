"""Descriptive statistics and correlations of the FVD variables (FVD Tables 3 and 4 analogues)
and the Markdown renderings of the spillover tables."""

from __future__ import annotations

import polars as pl

#: Variables of Tables 3 and 4.
VARIABLES = ("perus", "perus_avail", "us", "d", "n_citations", "n_available")


def descriptive_statistics(variables: pl.DataFrame) -> pl.DataFrame:
    """Table 3 analogue: per technology and variable, N, mean, standard deviation, min, max; long
    rows (technology, section, variable, statistic, value) with section = "descriptives"."""
    long = variables.unpivot(index="technology", on=list(VARIABLES), variable_name="variable")
    stats = long.group_by("technology", "variable").agg(
        n=pl.len().cast(pl.Float64),
        mean=pl.col("value").mean(),
        sd=pl.col("value").std(),
        min=pl.col("value").min().cast(pl.Float64),
        max=pl.col("value").max().cast(pl.Float64),
    )
    return (
        stats.unpivot(index=["technology", "variable"], variable_name="statistic")
        .with_columns(section=pl.lit("descriptives"), value=pl.col("value").cast(pl.Float64))
        .select("technology", "section", "variable", "statistic", "value")
        .sort("technology", "variable", "statistic")
    )


def correlations(variables: pl.DataFrame) -> pl.DataFrame:
    """Table 4 analogue: Pearson correlations of perus, perus_avail, US and d per technology; long
    rows with section = "correlations", variable and statistic the pair. Constant variables give none."""
    names = ("perus", "perus_avail", "us", "d")
    frames = []
    for technology, group in variables.group_by("technology", maintain_order=True):
        pairs = [
            (a, b)
            for i, a in enumerate(names)
            for b in names[i + 1 :]
            if group[a].n_unique() > 1 and group[b].n_unique() > 1
        ]
        values = group.select([pl.corr(a, b).alias(f"{a}|{b}") for a, b in pairs])
        frames.append(
            values.unpivot(variable_name="pair")
            .with_columns(
                technology=pl.lit(technology[0]),
                section=pl.lit("correlations"),
                variable=pl.col("pair").str.split("|").list.first(),
                statistic=pl.col("pair").str.split("|").list.last(),
            )
            .select("technology", "section", "variable", "statistic", "value")
        )
    return pl.concat(frames).sort("technology", "variable", "statistic")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows]) + "\n"


def render_logit_table(regressions: pl.DataFrame) -> str:
    """FVD Table 5 layout: terms as rows, technology x model as columns, estimate with the robust
    SE in parentheses; N and adjusted R2 at the bottom; the published value in brackets."""
    columns = regressions.select("technology", "model").unique(maintain_order=True).rows()
    terms = ["US", "d", "US*d", "perus_avail", "const"]
    rows = []
    for term in terms:
        cells = []
        for technology, model in columns:
            hit = regressions.filter(
                (pl.col("technology") == technology) & (pl.col("model") == model) & (pl.col("term") == term)
            )
            if hit.is_empty():
                cells.append("")
                continue
            r = hit.row(0, named=True)
            published = "" if r["published"] is None else f" [{r['published']:.2f}]"
            cells.append(f"{r['estimate']:.3f} ({r['std_error']:.3f}){published}")
        rows.append([term, *cells])
    for label, column, fmt in (("N", "n_obs", "{:.0f}"), ("adj. R2", "adj_r2", "{:.3f}")):
        rows.append(
            [
                label,
                *(
                    fmt.format(regressions.filter((pl.col("technology") == t) & (pl.col("model") == m))[column][0])
                    for t, m in columns
                ),
            ]
        )
    return markdown_table(["", *(f"{t} {m}" for t, m in columns)], rows)


def render_parameter_table(parameter_sets: pl.DataFrame) -> str:
    """FVD Table 7 layout with what the paper could not show: per parameter the multistart point
    (flagged when not identified), the bootstrap SE of identified ones, the identified set, the
    confidence set and the published point (whether it lies in the identified set)."""

    def number(value) -> str:
        return "" if value is None else f"{value:.4f}"

    rows = [
        [
            r["technology"],
            r["model"],
            r["parameter"],
            number(r["point"]) + ("" if r["identified"] else " (n.i.)"),
            number(r["std_error"]),
            f"[{number(r['set_min'])}, {number(r['set_max'])}]",
            f"[{number(r['conf_min'])}, {number(r['conf_max'])}]",
            number(r["published"]) + {True: " (in set)", False: " (outside)", None: ""}[r["published_in_set"]],
        ]
        for r in parameter_sets.iter_rows(named=True)
    ]
    return markdown_table(
        ["technology", "model", "parameter", "point", "SE", "identified set", "confidence set", "published"], rows
    )


def render_probability_tables(tables: pl.DataFrame) -> str:
    """Tables 8 and 9 analogues and the weighted averages: point [identified set]."""
    rows = [
        [
            r["technology"],
            r["model"],
            r["section"],
            r["period"],
            r["activity"],
            r["cell"],
            f"{r['point']:.4f} [{r['set_min']:.4f}, {r['set_max']:.4f}]",
        ]
        for r in tables.iter_rows(named=True)
    ]
    return markdown_table(["technology", "model", "section", "period", "activity", "cell", "point [set]"], rows)
