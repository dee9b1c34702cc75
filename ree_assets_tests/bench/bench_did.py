"""Benchmark of the DiD stage (a script, not a test).

    python -m ree_assets_tests.bench.bench_did            # both arms, prints the rows
    python -m ree_assets_tests.bench.bench_did ARM FOLDER  # one arm (what the benchmark runs)

The full table set (4 outcomes x their samples: 23 regressions) plus the event studies of the
``event_study_*`` assets (NONCHN and CHN; 7 regressions) on the embedded ``full`` panels (exports
~287,000 rows), stored once as Parquet. Two arms, each in a fresh process so each pays its own
imports and pyfixest's JIT warm-up: ``project`` calls ``core.did.fit`` / ``event_study`` as the
did assets do (validation, samples, tables rows); ``pyfixest`` calls ``pyfixest.feols`` /
``fepois`` directly with the same formulas, vcov and tolerances; the arms alternate, best of 3.
Target: project < 60 s, and the ratio project / pyfixest (the wiring's overhead) < 1.10. Both
arms use the subsidy control only (the Python-assembled panels lack the dbt-only controls), and
CRV3 SEs for the single regions (core.did.fit's choice there: G* < 5); pyfixest's CRV3 with
fixed effects refits the model once per cluster, which dominates both arms.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from ree_assets_tests.bench.timing import Timing

#: outcome -> (panel file, outcome column, estimator, unit, controls, samples)
GROWTH_CONTROLS = ("subsidy_post",)
SAMPLES = ("NONCHN", "ALL", "USA", "EUR", "JPN", "CHN")
RUNS = {
    "patents": ("ree_enhancing_stock", "ppml", "region", ("log_non_ree_patents",), SAMPLES),
    "tfp_growth": ("tfp_growth", "ols", "country", GROWTH_CONTROLS, SAMPLES),
    "export_growth": ("export_growth", "ols", "country", GROWTH_CONTROLS, SAMPLES),
    "export_growth_vs_china": ("export_growth_vs_china", "ols", "country", GROWTH_CONTROLS, SAMPLES[:-1]),
}
EVENT_SAMPLES = ("NONCHN", "CHN")
#: The samples whose SEs core.did.fit computes as CRV3 on the full embedded panels (few effective clusters).
SINGLE_REGIONS = ("USA", "JPN", "CHN")


def write_panels(folder: Path, size: str = "full") -> dict[str, int]:
    """The embedded panels as Parquet files (outcome.parquet); rows per panel."""
    from ree_assets.sources.embedded.dims import world_dims
    from ree_assets.sources.embedded.poisson_did_panel import poisson_did_panel
    from ree_assets.sources.embedded.sensitivity_truth import embedded_sensitivity
    from ree_assets.sources.embedded.world import stage_rng
    from ree_assets_tests.did_world import SEED, panels

    frames = dict(panels(size))
    sensitivity = embedded_sensitivity(SEED, size)
    patents, _ = poisson_did_panel(stage_rng(SEED, "poisson_did_panel"), world_dims(size), sensitivity)
    frames["patents"] = patents.join(sensitivity, on="sic4").with_columns(
        post=(pl.col("year") >= 2010).cast(pl.Int32), log_non_ree_patents=(pl.col("non_ree_patents") + 1).log()
    )
    for name, frame in frames.items():
        frame.write_parquet(folder / f"{name}.parquet")
    return {name: frame.height for name, frame in frames.items()}


def project_arm(folder: Path) -> int:
    """Every regression through core.did (what the did_* and event_study_* assets call)."""
    from ree_assets.core import did

    count = 0
    for name, (outcome, estimator, unit, controls, samples) in RUNS.items():
        panel = pl.read_parquet(folder / f"{name}.parquet")
        for sample in samples:
            did.fit(panel, outcome=outcome, estimator=estimator, sample=sample, controls=controls, unit=unit)
            count += 1
        for sample in (s for s in EVENT_SAMPLES if s in samples):
            did.event_study(panel, outcome=outcome, estimator=estimator, sample=sample, controls=controls, unit=unit)
            count += 1
    return count


def pyfixest_arm(folder: Path) -> int:
    """The same regressions calling pyfixest directly on frames with the FE identifiers."""
    import pyfixest as pf

    count = 0
    for name, (outcome, estimator, unit, controls, samples) in RUNS.items():
        panel = pl.read_parquet(folder / f"{name}.parquet").with_columns(
            treat=pl.col("sensitivity") * pl.col("post"),
            us=pl.concat_str(unit, "sic4", separator="|"),
            uy=pl.concat_str(unit, pl.col("year").cast(pl.String), separator="|"),
        )
        options = {"vcov": {"CRV1": "us"}, "fixef_tol": 1e-12} | ({"iwls_tol": 1e-12} if estimator == "ppml" else {})
        estimate = pf.fepois if estimator == "ppml" else pf.feols
        rhs = " + ".join(controls)
        for sample in samples:
            data = {"ALL": panel, "NONCHN": panel.filter(pl.col("region") != "CHN")}.get(
                sample, panel.filter(pl.col("region") == sample) if sample not in ("ALL", "NONCHN") else None
            )
            model = estimate(f"{outcome} ~ treat + {rhs} | us + uy", data=data, **options)
            if sample in SINGLE_REGIONS:  # where core.did.fit finds G* < 5 on these panels: CRV3
                model.vcov({"CRV3": "us"})
            model.tidy()
            count += 1
            if sample in EVENT_SAMPLES:
                estimate(f"{outcome} ~ i(year, sensitivity, ref=2009) + {rhs} | us + uy", data=data, **options).tidy()
                count += 1
    return count


def _fresh_process(arm: str, folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "ree_assets_tests.bench.bench_did", arm, str(folder)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def did_timings(repeats: int = 3) -> list[Timing]:
    """Both arms in fresh processes on the same Parquet panels, alternating, best of ``repeats``
    each (the machine is shared: the best run is the least disturbed)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = write_panels(folder)
        runs = [(_fresh_process("project", folder), _fresh_process("pyfixest", folder)) for _ in range(repeats)]
        project, direct = (min(arm) for arm in zip(*runs, strict=False))
    what = (
        f"4 outcomes x samples (23) + 7 event studies, panels {', '.join(f'{k} {v:,}' for k, v in rows.items())} "
        f"rows; fresh process incl. imports + JIT"
    )
    what += f", best of {repeats}"
    return [
        Timing("did tables (project)", what, project, 60.0),
        Timing("did tables (pyfixest direct)", "same regressions calling pyfixest directly", direct),
        Timing(
            "did overhead ratio", f"project / pyfixest = {project / direct:.3f} (target < 1.10)", project / direct, 1.10
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 3:
        arm = {"project": project_arm, "pyfixest": pyfixest_arm}[sys.argv[1]]
        print(arm(Path(sys.argv[2])))
    else:
        from ree_assets_tests.bench.bench_ge import print_table

        print_table(did_timings())
