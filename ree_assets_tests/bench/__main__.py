"""Every benchmark of ree_assets, one table at the end (``make bench``; not a test).

    python -m ree_assets_tests.bench [--scale 0.02]

Times (time.perf_counter; best of 3 for runs under a second): importing the code location in a
fresh process, next to importing ``dagster`` and ``dagster_dbt`` alone in the same run (target:
at most 1 s more, with the dbt manifest parsed); the io_table stage on the BEA 2012 detail tables
(reading and computing apart); the GE solvers on WIOD 2009 (bench_ge.py); the eps estimation on
the embedded innovation panel (report only); ``make run`` after set-up on the full embedded world
(the pulls, then both replication jobs: target under 5 minutes); a synthetic universe of the real
USPTO's size, ``--scale`` times it (bench_real_size.py: storing a grant year's pull under 60 s, the
FVD availability counts under 10 minutes, peak memory under 16 GiB). The real data folder is
``REE_SHARED_DATA``, default ``<repo>/../shared/data``; without it the io_table and GE benchmarks run on
the embedded world
(the ``data`` column says which). One table of every figure with its target and ratio; the exit
code is 1 when a target is missed (SLOW) or a benchmark fails.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import polars as pl

from ree_assets_tests.bench.bench_did import did_timings
from ree_assets_tests.bench.bench_did_coverage import coverage_timings
from ree_assets_tests.bench.bench_ge import eps_timings, ge_timings, print_table
from ree_assets_tests.bench.bench_patents import patent_timings
from ree_assets_tests.bench.bench_real_size import real_size_timings
from ree_assets_tests.bench.bench_spillovers import spillover_timings
from ree_assets_tests.bench.bench_truth import (
    Coverage,
    coverages,
    default_run_coverages,
    fresh_instance,
    print_coverages,
    recovery,
    stored_truth_table,
)
from ree_assets_tests.bench.timing import Timing, timed

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("REE_SHARED_DATA", REPO.parent / "shared" / "data"))
#: The embedded world the pipeline uses by default (DataSource: REE_SEED, REE_WORLD_SIZE).
SEED, SIZE = 20100701, "full"
COUNTRY, CONSUMPTION_YEAR, PRICE_YEAR = "USA", 2012, 2009  # ReeExtensionConfig defaults


#: Seconds the code location may take to import beyond ``import dagster, dagster_dbt``.
IMPORT_OVERHEAD_TARGET = 1.0


def _import_seconds(statement: str) -> float:
    """Seconds of ``statement`` in a fresh Python process."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True, cwd=REPO)
    return time.perf_counter() - started


def import_timings(repeats: int = 5) -> list[Timing]:
    """The code location's import against the frameworks' own, measured in this run: the two
    interleaved ``repeats`` times and the best of each kept, so a change of machine load hits both."""
    from ree_assets.defs.dbt import dbt_project

    dbt_project()  # the manifest parsed first, as after `make setup`
    statements = ("import dagster, dagster_dbt", "import ree_assets.definitions")
    baseline, definitions = (
        min(runs) for runs in zip(*[[_import_seconds(s) for s in statements] for _ in range(repeats)], strict=True)
    )
    return [
        Timing("import dagster+dagster_dbt", f"fresh subprocess, best of {repeats} (the baseline)", baseline),
        Timing(
            "import definitions",
            f"import ree_assets.definitions, fresh subprocess, best of {repeats}, dbt manifest parsed",
            definitions,
            baseline + IMPORT_OVERHEAD_TARGET,
        ),
    ]


def io_table_stage(
    use: pl.DataFrame, make: pl.DataFrame, concordance: pl.DataFrame, imports: pl.DataFrame
) -> pl.DataFrame:
    """The core calls of the io_table group's assets (defs/io_table.py, defs/sensitivity.py), in order
    (of the country variants the China-import share; the price-spike one reads a dbt mart)."""
    from ree_assets.core import io_table, sensitivity
    from ree_assets.sources.embedded import ree_defaults as d

    original = io_table.supply_use_from_canonical(use, make)
    extended = io_table.build_ree_extended_table(
        original,
        d.ree_application_composition(),
        d.ree_end_use().filter(pl.col("country") == COUNTRY),
        io_table.consumption_tonnes(d.ree_consumption(), COUNTRY, CONSUMPTION_YEAR),
        d.ree_prices(),
        d.application_industry_map(),
        io_table.parameter_value(d.ree_parameters(), "magnet_ree_cost_share"),
        price_year=PRICE_YEAR,
    )
    io_table.split_accounting_errors(original, extended.tables)
    tables = io_table.supply_use_from_canonical(
        io_table.use_to_canonical(extended.tables), io_table.make_to_canonical(extended.tables)
    )
    io_table.column_sum_violations(tables)
    io_table.total_requirements_frame(tables)
    ree_tr = io_table.requirements_to_sic(
        tables,
        io_table.element_codes(tables.commodities, d.ree_application_composition()),
        pl.concat([concordance, io_table.split_sic_links(d.application_industry_map())]),
    )
    sensitivity.ree_sensitivity(ree_tr, d.ree_complementarity())
    return sensitivity.country_sensitivity(ree_tr, sensitivity.china_import_share(imports), "china_import_share")


def io_table_timings() -> list[Timing]:
    from ree_assets.sources import bea, concordances
    from ree_assets.sources.embedded.world import embedded_table

    def read():
        if not SHARED.is_dir():
            return tuple(
                embedded_table(name, SEED, SIZE) for name in ("bea_use", "bea_make", "bea_codes", "bea_sic_concordance")
            )
        use = bea.read_use(SHARED / "bea" / "Detail_Use_2012_PRO_BeforeRedef.csv")
        make = bea.read_make(SHARED / "bea" / "Detail_Make_2012_BeforeRedef.csv")
        concordance = concordances.read_bea_sic_concordance(
            SHARED / "concordances", bea_codes=sorted(set(use["row_code"]) | set(use["col_code"]))
        )
        return use, make, bea.bea_codes(use, make), concordance

    read_seconds, (use, make, codes, concordance) = timed(read, repeat_below=0)  # generated tables are cached
    imports = embedded_table("ree_imports", SEED, SIZE)
    compute_seconds, _ = timed(lambda: io_table_stage(use, make, concordance, imports))
    industries = codes.filter(pl.col("kind") == "industry").height
    return [
        Timing(
            "io_table read",
            f"BEA 2012 detail Use+Make ({industries} industries), BEA->SIC concordance"
            + ("" if SHARED.is_dir() else " (generated)"),
            read_seconds,
        ),
        Timing("io_table compute", "extend, total requirements, to SIC, sensitivity (+country)", compute_seconds, 5.0),
    ]


def embedded_world_table(table: str) -> pl.DataFrame:
    """One table of the embedded world the pipeline uses by default."""
    from ree_assets.sources.embedded.world import embedded_table

    return embedded_table(table, SEED, SIZE)


def ge_input():
    """WIOD 2009: the real table when the shared data are there, else the embedded world's."""
    from ree_assets.sources.embedded.world import embedded_table

    return SHARED / "wiod" / "derived_wiot_2009.npz" if SHARED.is_dir() else embedded_table("wiod", SEED, SIZE)


#: Seconds ``make run`` may take for the two replication jobs after set-up (the pulls are reported).
REPLICATIONS_TARGET = 300.0


def make_run_timings() -> list[Timing]:
    """``make run`` after set-up, as a user runs it, on the default (full) embedded world in a fresh
    database and instance: the pulls' backfills, then both replication jobs, each timed whole."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "REE_DUCKDB_PATH": f"{folder}/ree.duckdb",
            "DAGSTER_HOME": str(fresh_instance(Path(folder) / "home")),
            "REE_WORLD_SIZE": SIZE,
        }

        def cli(*jobs: str) -> None:
            command = [sys.executable, "-m", "ree_assets.cli", *(f"--job={job}" for job in jobs)]
            subprocess.run(command, check=True, cwd=REPO, env=env, stdout=subprocess.DEVNULL)

        pulls, _ = timed(lambda: cli("refresh_patents", "refresh_trade"), repeat_below=0)
        replications, _ = timed(lambda: cli("replicate_afsv", "replicate_fvd"), repeat_below=0)
        truth = stored_truth_table(Path(folder) / "ree.duckdb")
    COVERAGES.extend(default_run_coverages(truth))
    return [
        Timing("make run: pulls", "refresh_patents 1969-2018 + refresh_trade 2002-2018, one run each", pulls),
        Timing(
            "make run: replications",
            "replicate_afsv + replicate_fvd on the stored pulls",
            replications,
            REPLICATIONS_TARGET,
        ),
    ]


#: Truth coverage rows the benchmarks add (printed after the timings; a MISSED one fails the bench).
COVERAGES: list[Coverage] = []


def truth_recovery_timings(seeds: int = 10) -> list[Timing]:
    """The integrated small world over ``seeds`` seeds (``bench_truth``): its coverage rows, and one
    report row with its run time."""
    started = time.perf_counter()
    COVERAGES.extend(coverages(recovery(seeds, "small")))
    return [
        Timing(
            "truth recovery over seeds", f"{seeds} seeds (small), make run's jobs each", time.perf_counter() - started
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description="Every benchmark of ree_assets, one table at the end.")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="size of the real-size universe, times the USPTO's (default 1.0)"
    )
    scale = parser.parse_args().scale
    data = "real samples" if SHARED.is_dir() else f"embedded world ({SIZE}, seed {SEED})"
    benchmarks: dict[str, tuple[Callable[[], list[Timing]], str]] = {  # name -> (run, data it uses)
        "import": (import_timings, "-"),
        "io_table": (io_table_timings, data),
        "ge": (lambda: ge_timings(ge_input()), data),
        "eps estimation": (
            lambda: eps_timings(embedded_world_table("ge_innovation_panel")),
            f"embedded world ({SIZE}, seed {SEED})",
        ),
        "patents": (lambda: patent_timings(SHARED), "real samples and synthetic abstracts"),
        "spillovers": (spillover_timings, "embedded FVD universe (bench size)"),
        "did": (did_timings, f"embedded world ({SIZE}, seed {SEED})"),
        "did coverage": (lambda: coverage_timings(seeds=10), "embedded world (small, seeds 1-10)"),
        "make run": (make_run_timings, f"embedded world ({SIZE}, seed {SEED})"),
        "truth recovery": (truth_recovery_timings, "embedded world (small, seeds 1-10)"),
        "real size": (lambda: real_size_timings(scale), f"synthetic USPTO universe (scale {scale:g})"),
    }
    if not SHARED.is_dir():
        print(f"no shared data folder {SHARED} (set REE_SHARED_DATA): io_table and GE run on the embedded world")
    rows, failed = [], []
    for name, (run, source) in benchmarks.items():
        print(f"running {name} ...", flush=True)
        try:
            rows += [(timing, source) for timing in run()]
        except Exception:  # noqa: BLE001 - report, run the rest, exit non-zero
            traceback.print_exc()
            failed.append(name)
    print()
    print_table([timing for timing, _ in rows], data=[source for _, source in rows])
    print_coverages(COVERAGES, "make run's default world and the small world over seeds")
    slow = [timing.name for timing, _ in rows if timing.status == "SLOW"]
    slow += [coverage.stage for coverage in COVERAGES if coverage.status == "MISSED"]
    if slow:
        print(f"\ntargets missed: {', '.join(slow)}")
    if failed:
        print(f"\nerrors in: {', '.join(failed)}")
    return 1 if failed or slow else 0


if __name__ == "__main__":
    sys.exit(main())
