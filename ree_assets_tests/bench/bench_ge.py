"""Benchmark of the GE model solvers on real WIOD 2009 (a script, not a test).

    python ree_assets_tests/bench/bench_ge.py ../shared/data/wiod/derived_wiot_2009.npz

Times, for IPOPT and the damped fixed point side by side: one counterfactual at 5 x 14 (target
< 1 s), a 20-point export-tax sweep at 5 x 14 (< 10 s), one counterfactual on the full 41 x 35
table (< 30 s); each row says the iterations, the largest residual norm and, for the fixed point,
the max abs difference from IPOPT. ``python -m ree_assets_tests.bench`` runs it with the others.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl
from tabulate import tabulate

from ree_assets.core.ge.aggregate import DEFAULT_SECTOR_MAP, aggregate_world_io_table, default_region_map
from ree_assets.core.ge.calibrate import (
    DEFAULT_ENDOWMENT_SHARES,
    PUBLISHED_EPS,
    PUBLISHED_REE_COST_SHARES,
    calibrate_baseline,
    translate_parameters,
)
from ree_assets.core.ge.solve import ExportTax, max_abs_difference, solve_fixed_point, solve_ipopt, tax_sweep
from ree_assets.sources.wiod import read_wiod_npz, world_io_table_from_long
from ree_assets_tests.bench.timing import Timing, timed

SOLVERS = {"ipopt": solve_ipopt, "fixed_point": solve_fixed_point}
#: case -> target seconds
TARGETS = {"one counterfactual 5x14": 1.0, "20-point tax sweep 5x14": 10.0, "one counterfactual 41x35": 30.0}


def full_table_endowment(countries: tuple[str, ...]) -> dict[str, float]:
    """REE endowment shares of an unaggregated table: DEFAULT_ENDOWMENT_SHARES where the table has a
    rest-of-world economy (WIOD's ROW), else the non-China share split equally over the other
    economies (the embedded world lists every economy)."""
    if set(DEFAULT_ENDOWMENT_SHARES) <= set(countries):
        return DEFAULT_ENDOWMENT_SHARES
    others = [country for country in countries if country != "CHN"]
    china = DEFAULT_ENDOWMENT_SHARES["CHN"]
    return {"CHN": china, **{country: (1 - china) / len(others) for country in others}}


def ge_timings(wiot_npz: Path | str | pl.DataFrame) -> list[Timing]:
    """Read (an npz path; or canonical long ``wiod`` rows) and calibrate WIOD 2009 (report only),
    then every case of TARGETS with each solver."""
    def calibrate():
        long = read_wiod_npz(wiot_npz, 2009) if isinstance(wiot_npz, (Path, str)) else wiot_npz
        table = world_io_table_from_long(long, 2009)
        regions = default_region_map(table.countries)
        small = calibrate_baseline(aggregate_world_io_table(table, regions), kappa=0.5)
        full = calibrate_baseline(table, omega=translate_parameters(PUBLISHED_REE_COST_SHARES, DEFAULT_SECTOR_MAP),
                                  eps=translate_parameters(PUBLISHED_EPS, DEFAULT_SECTOR_MAP), kappa=0.5,
                                  endowment_shares=full_table_endowment(table.countries))
        return small, full

    seconds, (small, full) = timed(calibrate, repeat_below=0)
    rows = [Timing("ge read+calibrate", f"WIOD 2009 -> baselines 5x14 and {len(full.regions)}x{len(full.sectors)}",
                   seconds)]
    cases = {
        "one counterfactual 5x14": lambda solver: [solver(small, ExportTax(1.0))],
        "20-point tax sweep 5x14": lambda solver: tax_sweep(small, np.linspace(0.05, 2.0, 20), solver=solver),
        "one counterfactual 41x35": lambda solver: [solver(full, ExportTax(1.0))],
    }
    for case, run in cases.items():
        solutions = {}
        for name, solver in SOLVERS.items():
            seconds, solutions[name] = timed(lambda: run(solver))
            what = (f"{sum(s.iterations for s in solutions[name])} iterations, max residual "
                    f"{max(s.residual_norm for s in solutions[name]):.0e}")
            if name != "ipopt":
                difference = max(max_abs_difference(a, b) for a, b in zip(solutions["ipopt"], solutions[name]))
                what += f", max |diff| vs ipopt {difference:.0e}"
            rows.append(Timing(f"ge {case} [{name}]", what, seconds, TARGETS[case]))
    return rows


def print_table(rows: list[Timing], data: list[str] | None = None) -> None:
    """One table of every figure: its target and the ratio seconds / target (and the data used)."""
    print(tabulate([[r.name, r.what, *([source] if data else []), f"{r.seconds:.3f}",
                     "-" if r.target is None else f"< {r.target:.3g}", "-" if r.ratio is None else f"{r.ratio:.2f}",
                     r.status] for r, source in zip(rows, data or rows, strict=True)],
                   headers=["name", "what", *(["data"] if data else []), "seconds", "target", "ratio", "ok/SLOW"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wiot_npz", help="path to derived_wiot_2009.npz (WIOD 2013 release, 2009)")
    print_table(ge_timings(parser.parse_args().wiot_npz))


if __name__ == "__main__":
    main()
