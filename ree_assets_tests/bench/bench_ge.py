"""Benchmarks of the GE model on real WIOD 2009 and of the eps estimation (a script, not a test).

    python ree_assets_tests/bench/bench_ge.py ../shared/data/wiod/derived_wiot_2009.npz

Times, with the baselines built and after one warm-up solve of each case (no JIT is used, so there
is no compile time to report): the WIOD read + calibration of the full table (target < 1 s); for
IPOPT and the damped fixed point side by side, one counterfactual at 5 x 14 and a 20-point
export-tax sweep at 5 x 14 (target: no slower than today's path, +10% for timer noise) and one
counterfactual on the full 41 x 35 table (target < 0.5 s). Each row says the iterations, the largest
residual norm and, for the fixed point, the max abs difference from IPOPT, which must stay below
1e-8 (else the benchmark errors), and the CPU seconds of one more run (wall time on a machine shared
by several users can be several times the CPU time). "Today's path" is the same solve with the
evaluation of before issue 8: a dense NJ x NJ spending solve, the price map and trade shares over N
x N x J exponentials (a trade-cost change of ones), no warm starts, exact inner solves in the
forward-difference Jacobian; the speed-up rows compare it with the new path in the same run. The
order row solves the sweep upward and downward (warm-started along the curve) and reports the
largest difference at equal tax rates, which must stay below 1e-10. The eps estimation
(:func:`eps_timings`, embedded panel) has a target of 3 s and is compared with its own path of
before. ``python -m ree_assets_tests.bench`` runs both with the others.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import polars as pl
from tabulate import tabulate

from ree_assets.core.ge.aggregate import DEFAULT_SECTOR_MAP, aggregate_world_io_table, default_region_map
from ree_assets.core.ge.calibrate import (
    DEFAULT_ENDOWMENT_SHARES,
    PUBLISHED_EPS,
    PUBLISHED_REE_COST_SHARES,
    Baseline,
    calibrate_baseline,
    translate_parameters,
)
from ree_assets.core.ge.estimate import EstimationOptions, estimate_elasticities
from ree_assets.core.ge.solve import (
    ExportTax,
    Shocks,
    SolverOptions,
    max_abs_difference,
    solve_fixed_point,
    solve_ipopt,
    tax_sweep,
)
from ree_assets.sources.wiod import read_wiod_npz, world_io_table_from_long
from ree_assets_tests.bench.timing import Timing, timed

SOLVERS = {"ipopt": solve_ipopt, "fixed_point": solve_fixed_point}
FULL_TABLE_TARGET = 0.5
AGREEMENT, ORDER_INDEPENDENCE = 1e-8, 1e-10
TODAYS_OPTIONS = SolverOptions(spending="direct", warm_start=False, fd_inner_tol=SolverOptions().price_tol)
SWEEP_RATES = np.linspace(0.05, 2.0, 20)


def todays_shocks(baseline: Baseline) -> Shocks:
    """A trade-cost change of ones: the same model, evaluated with N x N x J exponentials as before."""
    n_regions, n_sectors = baseline.beta.shape
    return Shocks(trade_cost_hat=np.ones((n_regions, n_regions, n_sectors)))


def full_table_endowment(countries: tuple[str, ...]) -> dict[str, float]:
    """REE endowment shares of an unaggregated table: DEFAULT_ENDOWMENT_SHARES where the table has a
    rest-of-world economy (WIOD's ROW), else the non-China share split equally over the other
    economies (the embedded world lists every economy)."""
    if set(DEFAULT_ENDOWMENT_SHARES) <= set(countries):
        return DEFAULT_ENDOWMENT_SHARES
    others = [country for country in countries if country != "CHN"]
    china = DEFAULT_ENDOWMENT_SHARES["CHN"]
    return {"CHN": china, **{country: (1 - china) / len(others) for country in others}}


def world_table(wiot: Path | str | pl.DataFrame):
    """WIOD 2009 as a WorldIOTable: from the npz (path), or from canonical long ``wiod`` rows."""
    return world_io_table_from_long(read_wiod_npz(wiot, 2009) if isinstance(wiot, (Path, str)) else wiot, 2009)


def calibrate_full(wiot: Path | str | pl.DataFrame) -> Baseline:
    """WIOD 2009 (npz or canonical long rows) -> WorldIOTable -> the unaggregated baseline."""
    table = world_table(wiot)
    return calibrate_baseline(
        table,
        omega=translate_parameters(PUBLISHED_REE_COST_SHARES, DEFAULT_SECTOR_MAP),
        eps=translate_parameters(PUBLISHED_EPS, DEFAULT_SECTOR_MAP),
        kappa=0.5,
        endowment_shares=full_table_endowment(table.countries),
    )


def ge_timings(wiot: Path | str | pl.DataFrame) -> list[Timing]:
    """Read and calibrate WIOD 2009 (the npz, or canonical long rows of the embedded world), then
    each case with each solver, new and today's path."""
    seconds, full = timed(lambda: calibrate_full(wiot))
    size = f"{len(full.regions)}x{len(full.sectors)}"
    rows = [
        Timing(
            f"ge read+calibrate {size}",
            f"WIOD 2009 -> long table -> {size} baseline (cpu {cpu_seconds(lambda: calibrate_full(wiot)):.2f} s)",
            seconds,
            1.0,
        )
    ]
    table = world_table(wiot)
    small = calibrate_baseline(aggregate_world_io_table(table, default_region_map(table.countries)), kappa=0.5)
    cases = {
        "one counterfactual 5x14": (
            small,
            lambda solver, options, shocks: [solver(small, ExportTax(1.0), shocks, options)],
        ),
        "20-point tax sweep 5x14": (
            small,
            lambda solver, options, shocks: tax_sweep(small, SWEEP_RATES, solver, shocks, options),
        ),
        f"one counterfactual {size}": (
            full,
            lambda solver, options, shocks: [solver(full, ExportTax(1.0), shocks, options)],
        ),
    }
    for case, (baseline, run) in cases.items():
        solutions = {}
        for name, solver in SOLVERS.items():
            todays_seconds, _ = timed(
                lambda: run(solver, TODAYS_OPTIONS, todays_shocks(baseline)),
                repeat_below=0.0 if baseline is full else 1.0,
            )
            run(solver, SolverOptions(), Shocks())  # warm-up
            seconds, solutions[name] = timed(lambda: run(solver, SolverOptions(), Shocks()))
            what = (
                f"{sum(s.iterations for s in solutions[name])} iterations, max residual "
                f"{max(s.residual_norm for s in solutions[name]):.0e}, "
                f"cpu {cpu_seconds(lambda: run(solver, SolverOptions(), Shocks())):.3f} s"
            )
            if name != "ipopt":
                difference = max(
                    max_abs_difference(a, b) for a, b in zip(solutions["ipopt"], solutions[name], strict=False)
                )
                if difference > AGREEMENT:
                    raise AssertionError(
                        f"{case}: IPOPT and the fixed point differ by {difference:.1e} > {AGREEMENT:g}"
                    )
                what += f", max |diff| vs ipopt {difference:.0e}"
            target = FULL_TABLE_TARGET if baseline is full else 1.1 * todays_seconds
            rows += [
                Timing(f"ge {case} [{name}]", what, seconds, target),
                Timing(
                    f"ge {case} [{name}] today's path",
                    f"speed-up x{todays_seconds / seconds:.1f} "
                    "(dense spending, N x N x J exponentials, cold inner solves)",
                    todays_seconds,
                ),
            ]
    return rows + [order_timing(small)]


def cpu_seconds(run) -> float:
    """CPU seconds of this process (all its threads) for one ``run()``: the figure a loaded machine
    does not inflate the way it inflates wall time."""
    started = time.process_time()
    run()
    return time.process_time() - started


def order_timing(baseline: Baseline) -> Timing:
    """The warm-started IPOPT sweep up and down the tax rates: results must not depend on the order."""
    up = tax_sweep(baseline, SWEEP_RATES)
    seconds, down = timed(lambda: tax_sweep(baseline, SWEEP_RATES[::-1]), repeat_below=0.0)
    difference = max(max_abs_difference(a, b) for a, b in zip(up, down[::-1], strict=False))
    if difference > ORDER_INDEPENDENCE:
        raise AssertionError(f"the sweep depends on its order by {difference:.1e} > {ORDER_INDEPENDENCE:g}")
    return Timing("ge sweep order 5x14 [ipopt]", f"up vs down, warm starts: max |diff| {difference:.0e}", seconds)


def eps_timings(panel: pl.DataFrame) -> list[Timing]:
    """``ree_elasticities``' estimation on the embedded panel (target < 3 s, after a warm-up that pays
    cvxpy's import), and today's path: one cvxpy re-solve per draw and lambda (pairs bootstrap, 16
    grid points + bounded refinement), timed on ``LEGACY_DRAWS`` draws and scaled to the same count."""
    options = EstimationOptions()
    estimate_elasticities(panel, options)
    seconds, fit = timed(lambda: estimate_elasticities(panel, options))
    legacy_seconds = legacy_bootstrap_seconds(panel, LEGACY_DRAWS) * (options.n_bootstrap + 1) / LEGACY_DRAWS
    return [
        Timing(
            "eps estimation",
            f"embedded panel {panel.height} rows, {fit.n_bootstrap} recursive wild draws, "
            f"lambda on {len(options.lambda_grid)} points",
            seconds,
            3.0,
        ),
        Timing(
            "eps estimation today's path",
            f"cvxpy per draw and lambda ({LEGACY_DRAWS} draws timed, scaled): x{legacy_seconds / seconds:.0f} slower",
            legacy_seconds,
        ),
    ]


LEGACY_DRAWS = 10


def legacy_bootstrap_seconds(panel: pl.DataFrame, draws: int) -> float:
    """Seconds of ``draws`` bootstrap draws the way ree_elasticities did them before issue 8: years
    resampled within sectors, lambda profiled on 16 grid points in [0, 1.5] and refined by a bounded
    scalar search, one cvxpy (Clarabel) re-solve of the compiled problem per lambda."""
    from scipy import optimize

    from ree_assets.core.ge.estimate import _ConstrainedLeastSquares, _Design, regression_panel

    options = EstimationOptions()
    design = _Design.from_frame(regression_panel(panel, options.depreciation))
    solver, grid = _ConstrainedLeastSquares(design, options), np.linspace(0.0, 1.5, 16)
    rng = np.random.default_rng(options.seed)

    def one_draw() -> None:
        rows = np.concatenate(
            [
                rng.choice(np.flatnonzero(design.sector_index == k), size=np.sum(design.sector_index == k))
                for k in range(len(design.sectors))
            ]
        )
        sample = design.take(rows)
        profile = [solver.solve(sample, lam) for lam in grid]
        best = int(np.argmin(profile))
        optimize.minimize_scalar(
            lambda lam: solver.solve(sample, lam),
            method="bounded",
            options={"xatol": 1e-4},
            bounds=(grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]),
        )

    seconds, _ = timed(lambda: [one_draw() for _ in range(draws)], repeat_below=0.0)
    return seconds


def print_table(rows: list[Timing], data: list[str] | None = None) -> None:
    """One table of every figure: its target and the ratio seconds / target (and the data used)."""
    print(
        tabulate(
            [
                [
                    r.name,
                    r.what,
                    *([source] if data else []),
                    f"{r.seconds:.3f}",
                    "-" if r.target is None else f"< {r.target:.3g}",
                    "-" if r.ratio is None else f"{r.ratio:.2f}",
                    r.status,
                ]
                for r, source in zip(rows, data or rows, strict=True)
            ],
            headers=["name", "what", *(["data"] if data else []), "seconds", "target", "ratio", "ok/SLOW"],
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wiot_npz", help="path to derived_wiot_2009.npz (WIOD 2013 release, 2009)")
    print_table(ge_timings(parser.parse_args().wiot_npz))


if __name__ == "__main__":
    main()
