"""FVD spillover benchmarks: the availability counts of ~1,900 focal patents against the
bench-size synthetic USPTO (3 million patents; ``REE_FVD_BENCH_SIZE`` = small | full | bench),
measured in a fresh process for its peak memory; the multistart mixture fit with exact
derivatives against finite differences; the 20-replication coverage studies of the confidence set
and of the identified quantities' intervals.

    python -m ree_assets_tests.bench.bench_spillovers
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

from ree_assets_tests.bench.timing import Timing, timed

SEED = 20100701
SIZE = os.environ.get("REE_FVD_BENCH_SIZE", "bench")
AVAILABILITY_SECONDS, AVAILABILITY_GIB, FIT_SECONDS, FIT_STARTS, FINITE_STARTS = 60.0, 8.0, 30.0, 40, 10

#: Run in a fresh process: read the canonical tables, count, report time and peak memory.
_AVAILABILITY_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
import polars as pl
from ree_assets.core.spillovers.citations import citation_variables
folder = Path(sys.argv[1])
t = {name: pl.read_parquet(folder / f"{name}.parquet") for name in
     ("focal", "patents", "patent_classes", "patent_inventors", "patent_citations")}
started = time.perf_counter()
result = citation_variables(t["focal"], t["patents"], t["patent_classes"], t["patent_inventors"], t["patent_citations"])
seconds = time.perf_counter() - started
result.table.drop("class_list").write_parquet(folder / "variables.parquet")
print(json.dumps({"seconds": seconds, "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                  "focal": result.report["focal_patents"] + result.report["focal_without_citations_in_window"]}))
"""


def availability_timings(folder: Path) -> list[Timing]:
    """Generate the universe, write it as Parquet, count availability in a subprocess."""
    from ree_assets.core.spillovers.patent_sets import fvd_patent_sets
    from ree_assets.sources.embedded.fvd_universe import fvd_universe_all_years

    generate_seconds, tables = timed(lambda: fvd_universe_all_years(SEED, SIZE))
    sets = fvd_patent_sets(
        tables["patents"], tables["patent_texts"], tables["patent_classes"], tables["patent_assignees"]
    )
    for name in ("patents", "patent_classes", "patent_inventors", "patent_citations"):
        tables[name].write_parquet(folder / f"{name}.parquet")
    sets.table.write_parquet(folder / "focal.parquet")
    codes = tables["patent_classes"].group_by("code").len()["len"]
    out = subprocess.run(
        [sys.executable, "-c", _AVAILABILITY_SCRIPT, str(folder)], check=True, capture_output=True, text=True
    ).stdout
    run = json.loads(out.strip().splitlines()[-1])
    memory = "ok" if run["peak_gib"] < AVAILABILITY_GIB else "OVER"
    return [
        Timing(
            "fvd universe",
            f"generate {tables['patents'].height:,} patents ({SIZE}), largest subclass {codes.max():,}",
            generate_seconds,
        ),
        Timing(
            "fvd availability",
            f"{run['focal']:,} focal patents x {tables['patents'].height:,}; peak "
            f"{run['peak_gib']:.2f} GiB ({memory} < {AVAILABILITY_GIB:g})",
            run["seconds"],
            AVAILABILITY_SECONDS,
        ),
    ]


def mixture_timings(folder: Path) -> list[Timing]:
    """Multistart fits on the US magnet patents: exact derivatives (40 starts) and central
    differences with a limited-memory Hessian (fewer starts; compared per start)."""
    from ree_assets.core.spillovers import mixture

    variables = pl.read_parquet(folder / "variables.parquet")
    us = variables.filter((pl.col("technology") == "magnet") & (pl.col("us") == 1))
    moments = mixture.citation_moments(*mixture.patent_arrays(us))
    exact_seconds, exact = timed(lambda: mixture.fit_mixture(moments, FIT_STARTS, seed=1))
    finite_seconds, finite = timed(lambda: mixture.fit_mixture(moments, FINITE_STARTS, seed=1, derivatives="finite"))
    ratio = (finite_seconds / FINITE_STARTS) / (exact_seconds / FIT_STARTS)
    return [
        Timing(
            "mixture fit exact",
            f"{FIT_STARTS} starts, {us.height} US magnet patents, {exact.n_reached} reached SSE {exact.objective:.6g}",
            exact_seconds,
            FIT_SECONDS,
        ),
        Timing(
            "mixture fit finite diff.",
            f"{FINITE_STARTS} starts ({finite.n_reached} reached SSE "
            f"{finite.objective:.6g}); per start {ratio:.1f}x the exact",
            finite_seconds,
        ),
    ]


def coverage_timings() -> list[Timing]:
    """The 20-replication coverage studies: the confidence set of Theta (issue 12: at least 16 of
    20) and the identified quantities' marginal intervals (issue 18: 90-99% of 140)."""
    from ree_assets_tests.test_core_spillovers_mixture import TRUTH, covered_replications, identified_coverage

    seconds, covered = timed(lambda: covered_replications(TRUTH, 20))
    status = "ok" if covered >= 16 else "FAILED"
    marginal_seconds, (inside, total) = timed(lambda: identified_coverage(TRUTH, 20))
    marginal_status = "ok" if 0.90 <= inside / total <= 0.99 else "FAILED"
    return [
        Timing(
            "confidence set coverage", f"covers the truth in {covered} of 20 replications ({status}, >= 16)", seconds
        ),
        Timing(
            "identified intervals coverage",
            f"{inside} of {total} intervals of w, w_d and the m's cover the truth ({marginal_status}, 90-99%)",
            marginal_seconds,
        ),
    ]


def spillover_timings() -> list[Timing]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        return [*availability_timings(folder), *mixture_timings(folder), *coverage_timings()]


if __name__ == "__main__":
    from ree_assets_tests.bench.bench_ge import print_table

    print_table(spillover_timings())
