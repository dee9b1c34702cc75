"""AFSV-style regression tables from ``did_results`` rows: one column per sample, the coefficient
of Sens x Post with significance stars and its standard error below, then observations,
clusters and the fixed-effect / control rows; as Markdown, LaTeX (booktabs) and HTML (tabulate)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ree_assets.core.did_design import SAMPLES, TREATMENT

STARS = ((0.01, "***"), (0.05, "**"), (0.1, "*"))
FORMATS = {"markdown": "github", "latex": "latex_booktabs", "html": "html"}


def stars(p_value: float) -> str:
    """*** p < 0.01, ** p < 0.05, * p < 0.1 (the AFSV tables' convention)."""
    return next((mark for level, mark in STARS if p_value < level), "")


def table_rows(
    results: pl.DataFrame, *, unit_label: str, controls: Sequence[str], digits: int = 3, per_sd: bool = True
) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the table for one outcome and variant: columns in the order of ``SAMPLES``
    present in ``results``."""
    rows = results.filter(pl.col("term") == TREATMENT)
    by_sample = {r["sample"]: r for r in rows.iter_rows(named=True)}
    samples = [s for s in SAMPLES if s in by_sample]
    cell = lambda s, f: f(by_sample[s])  # noqa: E731
    body = [
        ["Sens x Post", *(cell(s, lambda r: f"{r['estimate']:.{digits}f}{stars(r['p_value'])}") for s in samples)],
        ["", *(cell(s, lambda r: f"({r['std_error']:.{digits}f})") for s in samples)],
    ]
    if per_sd:
        body.append(
            ["Effect of 1 SD of Sens", *(cell(s, lambda r: f"{r['effect_per_sd']:.{digits}g}") for s in samples)]
        )
    body += [
        ["Observations", *(cell(s, lambda r: f"{r['n_obs']:,}") for s in samples)],
        ["Clusters", *(cell(s, lambda r: f"{r['n_clusters']:,}") for s in samples)],
        ["Effective clusters (G*)", *(cell(s, lambda r: f"{r['effective_clusters']:.1f}") for s in samples)],
        ["SE", *(cell(s, lambda r: r["vcov"]) for s in samples)],
        [
            "Clustered by",
            *(
                cell(s, lambda r: f"{unit_label} x Sector" if r["cluster"] == "unit_sector" else "Sector")
                for s in samples
            ),
        ],
        [f"{unit_label} x Sector FE", *("Yes" for _ in samples)],
        [f"{unit_label} x Year FE", *("Yes" for _ in samples)],
        ["Controls", *(", ".join(controls) or "No" for _ in samples)],
        ["Estimator", *(cell(s, lambda r: r["estimator"].upper()) for s in samples)],
    ]
    return ["", *samples], body


def render_tables(results: pl.DataFrame, *, unit_label: str, controls: Sequence[str]) -> dict[str, str]:
    """The table in every format of ``FORMATS`` (format name -> text)."""
    from tabulate import tabulate

    header, body = table_rows(results, unit_label=unit_label, controls=controls)
    return {name: tabulate(body, headers=header, tablefmt=fmt, disable_numparse=True) for name, fmt in FORMATS.items()}
