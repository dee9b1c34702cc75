"""Coverage of the DiD standard errors over seeds of the embedded world (a script, not a test).

    python -m ree_assets_tests.bench.bench_did_coverage [SEEDS] [SIZE]

For each seed of the ``small`` (default) world: the growth panels (``did_world.panels``) and a
patent panel of the generator's true labels (the drawn REE-enhancing flows of every region, SIC
and grant year, stocks with 15% depreciation), each fitted by ``core.did.fit`` for every sample.
t = (estimate - truth) / std_error against the generator's estimand (``synthetic_truth``: did /
beta). Reported per outcome and sample: the SD of t over seeds (1 when the SEs are right), the
coverage of the 95% interval (|t| < 1.96), the share within the tests' family-wise bound
(|t| < 4), the median effective number of clusters G* and the variance used. The growth relative
to China is also fitted with sector clusters (``SECTOR_CLUSTERED``).
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import polars as pl

from ree_assets_tests.bench.timing import Timing

GROWTH_CONTROLS = ("subsidy_post",)
SEEDS, SIZE = 20, "small"


def patent_stock_panel(seed: int, size: str) -> pl.DataFrame:
    """Region x SIC x grant-year REE-enhancing stocks of the drawn flows (true labels), with Sens and post."""
    from ree_assets.sources.embedded.patent_world import (
        AFSV_FIRST_YEAR,
        LAST_GRANT_YEAR,
        POST_YEAR,
        STOCK_DEPRECIATION,
        did_design,
        year_counts,
    )

    cells = did_design(seed, size).cells
    years = np.arange(AFSV_FIRST_YEAR, LAST_GRANT_YEAR + 1)
    flows = np.stack([year_counts(int(y), seed, size)["enhancing"].to_numpy() for y in years], axis=1).astype(float)
    stocks = np.zeros_like(flows)
    for t in range(years.size):
        stocks[:, t] = flows[:, t] + (1 - STOCK_DEPRECIATION) * (stocks[:, t - 1] if t else 0.0)
    return pl.DataFrame(
        {
            "region": np.repeat(cells["region"].to_numpy(), years.size),
            "sic4": np.repeat(cells["sic4"].to_numpy(), years.size),
            "sensitivity": np.repeat(cells["sens"].to_numpy(), years.size),
            "year": np.tile(years, cells.height),
            "ree_enhancing_stock": stocks.ravel(),
            "post": np.tile((years >= POST_YEAR).astype(np.int32), cells.height),
        }
    )


#: Outcomes also fitted with SEs clustered by sector (did.fit's ``cluster="sector"``): the growth
#: relative to China shares China's sector shock across every country of a sector.
SECTOR_CLUSTERED = ("export_growth_vs_china",)


def seed_rows(seed: int, size: str) -> list[dict]:
    """(outcome, sample, cluster, t, G*, vcov) of every fit on one seed's world."""
    from ree_assets.core import did
    from ree_assets_tests.did_world import panels, truth

    true = truth(size, seed)
    runs = [(o, panels(size, seed)[o], "ols", "country", GROWTH_CONTROLS) for o in panels(size, seed)]
    runs.append(("patents", patent_stock_panel(seed, size), "ppml", "region", ()))
    rows = []
    for outcome, panel, estimator, unit, controls in runs:
        column = "ree_enhancing_stock" if outcome == "patents" else outcome
        for sample in did.SAMPLES:
            if outcome == "export_growth_vs_china" and sample == did.CHINA:
                continue
            for cluster in ("unit_sector", "sector") if outcome in SECTOR_CLUSTERED else ("unit_sector",):
                fit = did.fit(
                    panel,
                    outcome=column,
                    estimator=estimator,
                    sample=sample,
                    controls=controls,
                    unit=unit,
                    cluster=cluster,
                ).row(0, named=True)
                rows.append(
                    {
                        "seed": seed,
                        "outcome": outcome,
                        "sample": sample,
                        "cluster": cluster,
                        "t": (fit["estimate"] - true[f"{outcome}:{sample}"]) / fit["std_error"],
                        "effective_clusters": fit["effective_clusters"],
                        "vcov": fit["vcov"],
                    }
                )
    return rows


def coverage(seeds: int = SEEDS, size: str = SIZE) -> pl.DataFrame:
    """The coverage table over seeds 1..``seeds`` (module docstring)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = [row for seed in range(1, seeds + 1) for row in seed_rows(seed, size)]
    return (
        pl.DataFrame(rows)
        .group_by("outcome", "sample", "cluster", maintain_order=True)
        .agg(
            seeds=pl.len(),
            sd_t=pl.col("t").std(),
            cover_95=(pl.col("t").abs() < 1.96).mean(),
            within_4_se=(pl.col("t").abs() < 4).mean(),
            median_g_star=pl.col("effective_clusters").median(),
            vcov=pl.col("vcov").unique().sort().str.join("/"),
        )
    )


def coverage_timings(seeds: int = SEEDS, size: str = SIZE) -> list[Timing]:
    """Prints the coverage table; one report row (its run time, the worst 95% coverage)."""
    started = time.perf_counter()
    table = coverage(seeds, size)
    with pl.Config(tbl_rows=40, tbl_cols=10):
        print(table)
    worst = table.sort("cover_95").row(0, named=True)
    return [
        Timing(
            "did SE coverage over seeds",
            f"{seeds} seeds ({size}), 4 outcomes x samples; worst 95% coverage {worst['cover_95']:.0%} "
            f"({worst['outcome']} {worst['sample']}, {worst['cluster']} clusters, G* {worst['median_g_star']:.1f})",
            time.perf_counter() - started,
        )
    ]


if __name__ == "__main__":
    count, world = (int(sys.argv[1]), sys.argv[2]) if len(sys.argv) == 3 else (SEEDS, SIZE)
    with pl.Config(tbl_rows=40, tbl_cols=10):
        print(coverage(count, world))
