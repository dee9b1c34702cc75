"""Truth recovery of the integrated embedded world over seeds (a script, not a test).

    python -m ree_assets_tests.bench.bench_truth [SEEDS] [SIZE]

For each seed 1..SEEDS the whole default pipeline runs as ``make run`` runs it (the pulls over all
their years, then ``replicate_afsv`` and ``replicate_fvd``; ``python -m ree_assets.cli`` in a fresh
database and instance, world ``SIZE``, default small), and the report's table "Estimates next to
the true values" (``replication_report.truth_table``) is read back from the stored results. Printed
per stage: the share of true values inside their intervals over every seed and row
(:func:`ree_assets.replication_report.coverage_by_stage`). Targets (issue 18): the DiD, eps and the
identified FVD quantities 90-99% each; the set-identified FVD parameters at least 90%.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[2]
SEEDS, SIZE = 10, "small"
#: (lowest, highest) share of true values inside their 95% intervals, per stage of
#: ``coverage_by_stage``; a share above the highest says the intervals are too wide.
TARGETS: dict[str, tuple[float, float]] = {
    "DiD": (0.90, 0.99),
    "eps": (0.90, 0.99),
    "FVD identified": (0.90, 0.99),
    "FVD set-identified": (0.90, 1.0),
}
#: The default full run: share of all its rows (issue 18).
FULL_RUN_TARGET = 0.91


def fresh_instance(folder: Path) -> Path:
    """A new Dagster instance in ``folder`` with the project's settings (the ``duckdb`` pool,
    telemetry off)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", folder / "dagster.yaml")
    return folder


def run_pipeline(folder: Path, seed: int, size: str) -> Path:
    """The pulls and both replication jobs of the embedded world (``seed``, ``size``) into a new
    database under ``folder`` (its own Dagster instance); the database's path. A failed run raises
    ``CalledProcessError`` with the CLI's summary (its stdout) and its errors."""
    env = {
        **os.environ,
        "REE_DUCKDB_PATH": str(folder / "ree.duckdb"),
        "DAGSTER_HOME": str(fresh_instance(folder / "home")),
        "REE_WORLD_SIZE": size,
        "REE_SEED": str(seed),
    }
    command = [sys.executable, "-m", "ree_assets.cli"]
    subprocess.run(command, check=True, cwd=REPO, env=env, capture_output=True, text=True)
    return folder / "ree.duckdb"


def stored_truth_table(database: Path) -> pl.DataFrame:
    """The report's truth table (``replication_report.truth_table``) of the results stored in ``database``."""
    import duckdb

    from ree_assets import replication_report as report
    from ree_assets.core.did import TREATMENT

    names = ("synthetic_truth", *(f"did_{o}" for o in report.DID_OUTCOMES), "ree_elasticities", *report.MIXTURE_ASSETS)
    with duckdb.connect(str(database), read_only=True) as con:
        where = dict(
            con.execute(
                "SELECT table_name, table_schema FROM information_schema.tables WHERE table_schema IN "
                "('raw', 'core', 'results')"
            ).fetchall()
        )
        tables = {name: con.execute(f"SELECT * FROM {where[name]}.{name}").pl() for name in names if name in where}
    did = [tables[f"did_{o}"] for o in report.DID_OUTCOMES if f"did_{o}" in tables]
    mixtures = [tables[m] for m in report.MIXTURE_ASSETS if m in tables]
    return report.truth_table(
        tables.get("synthetic_truth"),
        pl.concat(did, how="diagonal_relaxed") if did else None,
        tables.get("ree_elasticities"),
        pl.concat(mixtures, how="diagonal_relaxed") if mixtures else None,
        TREATMENT,
    )


def recovery(seeds: int = SEEDS, size: str = SIZE) -> pl.DataFrame:
    """Coverage by stage over seeds 1..``seeds`` of the integrated ``size`` world, printed seed by
    seed as it comes. A seed whose pipeline fails is reported (the CLI's summary; its database and
    log kept) and left out of the coverage."""
    from ree_assets.replication_report import coverage_by_stage

    tables, failed = [], []
    for seed in range(1, seeds + 1):
        started = time.perf_counter()
        folder = Path(tempfile.mkdtemp(prefix=f"ree_bench_truth_{seed}_"))
        try:
            table = stored_truth_table(run_pipeline(folder, seed, size))
        except subprocess.CalledProcessError as error:
            failed.append(seed)
            summary = "\n".join((error.stdout or "").splitlines()[-12:])
            print(f"seed {seed}: the pipeline FAILED; kept in {folder}:\n{summary}", flush=True)
            continue
        shutil.rmtree(folder)
        tables.append(table.with_columns(seed=pl.lit(seed)))
        stages = ", ".join(
            f"{stage} {share:.0%} of {n}"
            for stage, share, n in coverage_by_stage(table).select("stage", "share_covered", "values").iter_rows()
        )
        print(
            f"seed {seed}: {table['truth_in_interval'].mean():.0%} of {table.height} true values covered "
            f"({stages}; {time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    if failed:
        print(f"seeds whose pipeline failed (left out): {failed}")
    return coverage_by_stage(pl.concat(tables))


@dataclass(frozen=True)
class Coverage:
    """One stage's share of true values inside their intervals, against its target range."""

    stage: str
    share: float
    values: int
    low: float
    high: float

    @property
    def status(self) -> str:
        return "ok" if self.low <= self.share <= self.high else "MISSED"


def coverages(table: pl.DataFrame) -> list[Coverage]:
    """The rows of :func:`recovery`'s table with their targets (:data:`TARGETS`)."""
    return [
        Coverage(stage, share, n, *TARGETS.get(stage, (0.0, 1.0)))
        for stage, share, n in table.select("stage", "share_covered", "values").iter_rows()
    ]


def default_run_coverages(truth: pl.DataFrame) -> list[Coverage]:
    """The default run's share of all its true values covered (target :data:`FULL_RUN_TARGET`),
    then its stages (reported; their targets are over seeds)."""
    from ree_assets.replication_report import coverage_by_stage

    every = Coverage(
        "default run, all rows", float(truth["truth_in_interval"].mean()), truth.height, FULL_RUN_TARGET, 1.0
    )
    stages = [
        Coverage(f"default run, {c.stage}", c.share, c.values, 0.0, 1.0) for c in coverages(coverage_by_stage(truth))
    ]
    return [every, *stages]


def print_coverages(rows: list[Coverage], what: str) -> None:
    print(f"\ntrue values inside their 95% intervals ({what})")
    for row in rows:
        print(
            f"  {row.stage:<20} {row.share:6.1%} of {row.values:>5}  target {row.low:.0%}-{row.high:.0%}  {row.status}"
        )


if __name__ == "__main__":
    count, world = (int(sys.argv[1]), sys.argv[2]) if len(sys.argv) == 3 else (SEEDS, SIZE)
    print_coverages(coverages(recovery(count, world)), f"{count} seeds, {world} world")
