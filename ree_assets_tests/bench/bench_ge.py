"""Benchmark of the GE model solvers on real WIOD 2009 (a script, not a test).

    python ree_assets_tests/bench/bench_ge.py ../shared/data/wiod/derived_wiot_2009.npz

Times, for IPOPT and the damped fixed point side by side: one counterfactual at 5 x 14 (target
< 1 s), a 20-point export-tax sweep at 5 x 14 (< 10 s), one counterfactual on the full 41 x 35
table (< 30 s); prints iterations, residual norms and the max abs difference between the solvers.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from tabulate import tabulate

from ree_assets.core.ge.aggregate import DEFAULT_SECTOR_MAP, aggregate_world_io_table
from ree_assets.core.ge.calibrate import (PUBLISHED_EPS, PUBLISHED_REE_COST_SHARES, calibrate_baseline,
                                          translate_parameters)
from ree_assets.core.ge.solve import ExportTax, max_abs_difference, solve_fixed_point, solve_ipopt, tax_sweep
from ree_assets.sources.wiod import read_wiod_npz, world_io_table_from_long

SOLVERS = {"ipopt": solve_ipopt, "fixed_point": solve_fixed_point}
TARGETS = {"one counterfactual 5x14": 1.0, "20-point tax sweep 5x14": 10.0, "one counterfactual 41x35": 30.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wiot_npz", help="path to derived_wiot_2009.npz (WIOD 2013 release, 2009)")
    args = parser.parse_args()
    table = world_io_table_from_long(read_wiod_npz(args.wiot_npz, 2009), 2009)
    small = calibrate_baseline(aggregate_world_io_table(table), kappa=0.5)
    full = calibrate_baseline(table, omega=translate_parameters(PUBLISHED_REE_COST_SHARES, DEFAULT_SECTOR_MAP),
                              eps=translate_parameters(PUBLISHED_EPS, DEFAULT_SECTOR_MAP), kappa=0.5)
    cases = {
        "one counterfactual 5x14": lambda solver: [solver(small, ExportTax(1.0))],
        "20-point tax sweep 5x14": lambda solver: tax_sweep(small, np.linspace(0.05, 2.0, 20), solver=solver),
        "one counterfactual 41x35": lambda solver: [solver(full, ExportTax(1.0))],
    }
    rows = []
    for case, run in cases.items():
        solutions = {}
        for name, solver in SOLVERS.items():
            started = time.perf_counter()
            solutions[name] = run(solver)
            elapsed = time.perf_counter() - started
            rows.append([case, name, f"{elapsed:.2f}", f"{TARGETS[case]:g}", "yes" if elapsed < TARGETS[case] else "NO",
                         sum(s.iterations for s in solutions[name]), f"{max(s.residual_norm for s in solutions[name]):.1e}",
                         f"{solutions[name][-1].p_W_hat:.6f}"])
        difference = max(max_abs_difference(a, b) for a, b in zip(*solutions.values()))
        rows[-1].append(f"{difference:.1e}")
        rows[-2].append("")
    print(tabulate(rows, headers=["case", "solver", "seconds", "target s", "met", "iterations", "max residual",
                                  "p_W hat (last)", "max abs diff"]))


if __name__ == "__main__":
    main()
