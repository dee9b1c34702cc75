"""Benchmark of the DiD stage (a script, not a test).

    python -m ree_assets_tests.bench.bench_did            # every arm, prints the rows
    python -m ree_assets_tests.bench.bench_did ARM FOLDER  # one arm (what the benchmark runs)

The full table set (4 outcomes x their samples: 23 regressions) plus the event studies of the
``event_study_*`` assets (NONCHN and CHN; 7 regressions) on the embedded ``full`` panels (exports
~287,000 rows), stored once as Parquet. Each arm runs in a fresh process, so each pays its own
imports and pyfixest's JIT warm-up:

- ``project`` calls ``core.did.fit_table`` / ``event_study`` as the did assets do (each outcome's default
  cluster: sector for the growth relative to China; validation, samples,
  G*, CRV3 from ``core.jackknife`` where G* < 5, table rows); it writes the variance it chose for
  each regression to ``vcov.json``. Target: under 60 s.
- ``pyfixest`` calls ``pyfixest.feols`` / ``fepois`` directly with the same formulas, tolerances and
  variances: CRV3 where the project chose it, which pyfixest computes by refitting the model once
  per cluster. Run once (it takes minutes); project / pyfixest is reported (the speed-up).
- ``pyfixest_crv1``: the same calls with CRV1 everywhere, the floor of any wiring. Target:
  project / pyfixest_crv1 < 1.10, which charges the project's whole extra work (validation, G*,
  the jackknife) to its wiring.

Both pyfixest arms use the subsidy control only (the Python-assembled panels lack the dbt-only
controls), as does the project arm. The fast arms alternate, best of 3.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from ree_assets_tests.bench.timing import Timing

#: outcome -> (outcome column, estimator, unit, controls, samples, cluster: the did assets' default)
GROWTH_CONTROLS = ("subsidy_post",)
SAMPLES = ("NONCHN", "ALL", "USA", "EUR", "JPN", "CHN")
RUNS = {
    "patents": ("ree_enhancing_stock", "ppml", "region", ("log_non_ree_patents",), SAMPLES, "unit_sector"),
    "tfp_growth": ("tfp_growth", "ols", "country", GROWTH_CONTROLS, SAMPLES, "unit_sector"),
    "export_growth": ("export_growth", "ols", "country", GROWTH_CONTROLS, SAMPLES, "unit_sector"),
    "export_growth_vs_china": ("export_growth_vs_china", "ols", "country", GROWTH_CONTROLS, SAMPLES[:-1], "sector"),
}
EVENT_SAMPLES = ("NONCHN", "CHN")


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
    """Every regression through core.did (what the did_* and event_study_* assets call); the
    variance of each goes to ``vcov.json`` for the pyfixest arm."""
    from ree_assets.core import did

    chosen = {}
    for name, (outcome, estimator, unit, controls, samples, cluster) in RUNS.items():
        panel = pl.read_parquet(folder / f"{name}.parquet")
        table = did.fit_table(
            panel, outcome=outcome, estimator=estimator, samples=samples, controls=controls, unit=unit, cluster=cluster
        )
        for sample, vcov in table.filter(pl.col("term") == did.TREATMENT).select("sample", "vcov").iter_rows():
            chosen[f"{name}:{sample}:did"] = vcov
        for sample in (s for s in EVENT_SAMPLES if s in samples):
            rows = did.event_study(
                panel,
                outcome=outcome,
                estimator=estimator,
                sample=sample,
                controls=controls,
                unit=unit,
                cluster=cluster,
            )
            chosen[f"{name}:{sample}:event"] = rows["vcov"][0]
    (folder / "vcov.json").write_text(json.dumps(chosen))
    return len(chosen)


def pyfixest_arm(folder: Path, jackknife: bool = True) -> int:
    """The same regressions calling pyfixest directly on frames with the FE identifiers; with
    ``jackknife``, pyfixest's CRV3 where the project arm chose a CRV3 (``vcov.json``)."""
    import pyfixest as pf

    chosen = json.loads((folder / "vcov.json").read_text())
    count = 0
    for name, (outcome, estimator, unit, controls, samples, cluster) in RUNS.items():
        panel = pl.read_parquet(folder / f"{name}.parquet").with_columns(
            treat=pl.col("sensitivity") * pl.col("post"),
            us=pl.concat_str(unit, "sic4", separator="|"),
            uy=pl.concat_str(unit, pl.col("year").cast(pl.String), separator="|"),
        )
        column = {"unit_sector": "us", "sector": "sic4"}[cluster]
        options = {"vcov": {"CRV1": column}, "fixef_tol": 1e-12} | ({"iwls_tol": 1e-12} if estimator == "ppml" else {})
        estimate = pf.fepois if estimator == "ppml" else pf.feols
        rhs = " + ".join(controls)
        regressors = {"did": "treat", "event": "i(year, sensitivity, ref=2009)"}
        for sample in samples:
            data = {"ALL": panel, "NONCHN": panel.filter(pl.col("region") != "CHN")}.get(
                sample, panel.filter(pl.col("region") == sample) if sample not in ("ALL", "NONCHN") else None
            )
            for kind in ("did", "event") if sample in EVENT_SAMPLES else ("did",):
                model = estimate(f"{outcome} ~ {regressors[kind]} + {rhs} | us + uy", data=data, **options)
                if jackknife and chosen[f"{name}:{sample}:{kind}"] != "CRV1":
                    model.vcov({"CRV3": column})
                model.tidy()
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
    """The project and CRV1 arms in fresh processes on the same Parquet panels, alternating, best of
    ``repeats`` each (the machine is shared: the best run is the least disturbed); the pyfixest arm
    with the same variances once."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = write_panels(folder)
        runs = [(_fresh_process("project", folder), _fresh_process("pyfixest_crv1", folder)) for _ in range(repeats)]
        project, floor = (min(arm) for arm in zip(*runs, strict=False))
        direct = _fresh_process("pyfixest", folder)
        jackknives = sum(v != "CRV1" for v in json.loads((folder / "vcov.json").read_text()).values())
    what = (
        f"4 outcomes x samples (23) + 7 event studies ({jackknives} with CRV3), panels "
        f"{', '.join(f'{k} {v:,}' for k, v in rows.items())} rows; fresh process incl. imports + JIT, best of {repeats}"
    )
    return [
        Timing("did tables (project)", what, project, 60.0),
        Timing("did tables (pyfixest direct)", "same regressions and variances, pyfixest directly, once", direct),
        Timing("did speed-up ratio", f"project / pyfixest, same variances = {project / direct:.3f}", project / direct),
        Timing("did tables (pyfixest CRV1)", f"same regressions, CRV1 everywhere, best of {repeats}", floor),
        Timing(
            "did overhead ratio",
            f"project / pyfixest CRV1 = {project / floor:.3f}: validation, G*, the jackknife (target < 1.10)",
            project / floor,
            1.10,
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 3:
        arms = {
            "project": project_arm,
            "pyfixest": pyfixest_arm,
            "pyfixest_crv1": lambda folder: pyfixest_arm(folder, jackknife=False),
        }
        print(arms[sys.argv[1]](Path(sys.argv[2])))
    else:
        from ree_assets_tests.bench.bench_ge import print_table

        print_table(did_timings())
