"""Every benchmark of ree_assets, one table at the end (``make bench``; not a test).

    python -m ree_assets_tests.bench

Times (time.perf_counter; best of 3 for runs under a second): importing the code location in a
fresh process; the io_table stage on the real BEA 2012 detail tables (reading and computing
apart); the GE solvers on WIOD 2009 (bench_ge.py); the eps estimation on the embedded innovation
panel (report only). The real data folder is ``REE_SHARED_DATA``, default ``<repo>/../shared/data``;
the benchmarks that need it are skipped when it is absent. A missed target prints SLOW and still
exits 0; only an error gives a non-zero exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import polars as pl

from ree_assets.sources.embedded.world import embedded_table
from ree_assets_tests.bench.bench_did import did_timings
from ree_assets_tests.bench.bench_ge import eps_timings, ge_timings, print_table
from ree_assets_tests.bench.bench_patents import patent_timings
from ree_assets_tests.bench.bench_spillovers import spillover_timings
from ree_assets_tests.bench.timing import Timing, timed

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("REE_SHARED_DATA", REPO.parent / "shared" / "data"))
#: The embedded world the pipeline uses by default (DataSource: REE_SEED, REE_WORLD_SIZE).
SEED, SIZE = 20100701, "full"
COUNTRY, CONSUMPTION_YEAR, PRICE_YEAR = "USA", 2012, 2009  # ReeExtensionConfig defaults


def import_timings() -> list[Timing]:
    seconds, _ = timed(lambda: subprocess.run([sys.executable, "-c", "import ree_assets.definitions"],
                                              check=True, cwd=REPO))
    return [Timing("import definitions", "import ree_assets.definitions, fresh subprocess", seconds, 5.0)]


def io_table_stage(use: pl.DataFrame, make: pl.DataFrame, concordance: pl.DataFrame,
                   prices: pl.DataFrame, imports: pl.DataFrame) -> pl.DataFrame:
    """The core calls of the io_table group's assets (defs/io_table.py, defs/sensitivity.py), in order."""
    from ree_assets.core import io_table, sensitivity
    from ree_assets.sources.embedded import ree_defaults as d

    original = io_table.supply_use_from_canonical(use, make)
    extended = io_table.build_ree_extended_table(
        original, d.ree_application_composition(), d.ree_end_use().filter(pl.col("country") == COUNTRY),
        io_table.consumption_tonnes(d.ree_consumption(), COUNTRY, CONSUMPTION_YEAR), d.ree_prices(),
        d.application_industry_map(), io_table.parameter_value(d.ree_parameters(), "magnet_ree_cost_share"),
        price_year=PRICE_YEAR)
    io_table.split_accounting_errors(original, extended.tables)
    tables = io_table.supply_use_from_canonical(io_table.use_to_canonical(extended.tables),
                                                io_table.make_to_canonical(extended.tables))
    io_table.column_sum_violations(tables)
    io_table.total_requirements_frame(tables)
    ree_tr = io_table.requirements_to_sic(
        tables, io_table.element_codes(tables.commodities, d.ree_application_composition()),
        pl.concat([concordance, io_table.split_sic_links(d.application_industry_map())]))
    sensitivity.ree_sensitivity(ree_tr, d.ree_complementarity())
    return sensitivity.ree_sensitivity_country(ree_tr, prices, imports)


def io_table_timings() -> list[Timing]:
    from ree_assets.sources import bea, concordances
    from ree_assets.sources.embedded.world import embedded_table

    def read():
        use = bea.read_use(SHARED / "bea" / "Detail_Use_2012_PRO_BeforeRedef.csv")
        make = bea.read_make(SHARED / "bea" / "Detail_Make_2012_BeforeRedef.csv")
        concordance = concordances.read_bea_sic_concordance(
            SHARED / "concordances", bea_codes=sorted(set(use["row_code"]) | set(use["col_code"])))
        return use, make, bea.bea_codes(use, make), concordance

    read_seconds, (use, make, codes, concordance) = timed(read)
    prices, imports = (embedded_table(name, SEED, SIZE) for name in ("ree_prices", "ree_imports"))
    compute_seconds, _ = timed(lambda: io_table_stage(use, make, concordance, prices, imports))
    industries = codes.filter(pl.col("kind") == "industry").height
    return [Timing("io_table read", f"BEA 2012 detail Use+Make ({industries} industries), BEA->SIC concordance",
                   read_seconds),
            Timing("io_table compute", "extend, total requirements, to SIC, sensitivity (+country)",
                   compute_seconds, 5.0)]


def main() -> int:
    benchmarks: dict[str, tuple[Callable[[], list[Timing]], bool]] = {  # name -> (run, needs shared data)
        "import": (import_timings, False),
        "io_table": (io_table_timings, True),
        "ge": (lambda: ge_timings(SHARED / "wiod" / "derived_wiot_2009.npz"), True),
        "eps estimation": (lambda: eps_timings(embedded_table("ge_innovation_panel", SEED, SIZE)), False),
        "patents": (lambda: patent_timings(SHARED), False),
        "spillovers": (spillover_timings, False),
        "did": (did_timings, False),
    }
    rows, failed = [], []
    for name, (run, needs_data) in benchmarks.items():
        if needs_data and not SHARED.is_dir():
            print(f"skipped {name}: no shared data folder {SHARED} (set REE_SHARED_DATA)", flush=True)
            continue
        print(f"running {name} ...", flush=True)
        try:
            rows += run()
        except Exception:  # noqa: BLE001 - report, run the rest, exit non-zero
            traceback.print_exc()
            failed.append(name)
    print()
    print_table(rows)
    if failed:
        print(f"\nerrors in: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
