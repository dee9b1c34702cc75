"""Group ``ge_model``: the GE trade model with IO links and directed technical change
(``specs/ge_model.md``): elasticities, calibrated baseline, counterfactuals and a tax sweep.
Thin: read, call ``core.ge``, write, report."""

from typing import TYPE_CHECKING, Literal

import dagster as dg
import polars as pl
from pydantic import Field

from ree_assets.core.ge import defaults
from ree_assets.defs.gate import publish_if_invariants_hold
from ree_assets.defs.partitions import DUCKDB_POOL
from ree_assets.defs.resources import DataSource, DuckDBStore, reports_dir
from ree_assets.defs.sources import Lineage, figure_caption
from ree_assets.figures import innovation_bias_figure, real_outcomes_figure, tax_sweep_figure
from ree_assets.reporting import figure_metadata, frame_markdown, table_metadata

if TYPE_CHECKING:  # the GE model's numerical stack is imported by the steps that solve it
    from ree_assets.core.ge import calibrate, solve

#: IPOPT and the damped fixed point must agree to this on every counterfactual (max abs difference).
SOLVER_AGREEMENT = 1e-8
GE_GROUP = "ge_model"


class ElasticityConfig(dg.Config):
    """Structural estimation of eps_j (``specs/ge_model.md``, cvxpy constrained least squares)."""

    eps_min: float = Field(0.2, description="Lower bound on every eps_j.")
    eps_max: float = Field(3.0, description="Upper bound on every eps_j.")
    ridge: float = Field(0.0, description="Ridge penalty toward the cross-sector mean of eps.")
    sector_trends: bool = Field(False, description="Add sector-specific linear trends (never year effects).")
    n_bootstrap: int = Field(
        199,
        description="Bootstrap draws (the panel regenerated through the model's "
        "dynamics with wild residuals; percentile-t intervals).",
    )
    seed: int = Field(0, description="Seed of the bootstrap.")
    panel: Literal["from_patents", "supplied"] = Field(
        "from_patents",
        description="The innovation panel: from_patents (ge_innovation_panel_from_patents, built from the "
        "project's patent panel) or supplied (the raw ge_innovation_panel: in local mode the user's "
        "ge/ge_innovation_panel.csv, embedded a panel drawn from the model itself).",
    )


class BaselineConfig(dg.Config):
    """Calibration choices of the baseline (``specs/ge_model.md``, Sets and baseline data)."""

    year: int = Field(2009, description="Year of the world IO table.")
    elasticities: Literal["published", "estimated"] = Field(
        "published", description="eps_j: AFSV's published values, or this project's estimates (ree_elasticities)."
    )
    eps_overrides: dict[str, float] = Field(
        default_factory=dict,
        description="User-given eps_j by sector; they replace the chosen values for the sectors named.",
    )
    omega_source: Literal["published", "from_io"] = Field(
        "published",
        description="REE cost shares: AFSV's published gamma_s, or direct REE purchases / value added "
        "from this project's REE-extended Use table.",
    )
    theta: float = Field(defaults.DEFAULT_THETA, description="Trade elasticity, every sector.")
    endowment_shares: dict[str, float] = Field(
        default_factory=lambda: dict(defaults.DEFAULT_ENDOWMENT_SHARES),
        description="Region -> share of the world REE endowment.",
    )
    negative_final_demand: Literal["net", "clip_each_use"] = Field(
        "net",
        description="Negative final demand: 'net' (spec) adds each buyer's final uses, then sets cells "
        "still negative to zero; 'clip_each_use' sets each negative final-use cell to zero.",
    )
    region_map: dict[str, str] = Field(
        default_factory=dict, description="Country -> region; empty: CHN, EUR (EU-27 of 2009), JPN, USA, ROW."
    )
    sector_map: dict[str, str] = Field(
        default_factory=dict,
        description="WIOD industry -> sector; empty: 12 manufacturing sectors + agriculture + services.",
    )


class SolverSettings(dg.Config):
    """Settings of both GE solvers (``core.ge.solve.SolverOptions``)."""

    tol: float = Field(
        1e-11,
        description="Stated tolerance: largest abs scaled residual of a solution, every "
        "labour market included; a solution above it fails the solvers_agree check.",
    )
    damping: float = Field(0.5, gt=0, le=1, description="Alvarez-Lucas step of the damped fixed point.")
    spending: Literal["auto", "direct", "matrix_free"] = Field(
        "auto",
        description="Spending system: dense direct solve, matrix-free iteration, or auto (direct up to "
        "400 region-sectors).",
    )

    def options(self) -> "solve.SolverOptions":
        from ree_assets.core.ge import solve

        return solve.SolverOptions(tol=self.tol, damping=self.damping, spending=self.spending)


class RestrictionConfig(dg.Config):
    """The Chinese REE export restriction, as both instruments of the spec."""

    tax_rate: float = Field(0.25, description="Ad-valorem export tax tau on REE leaving China.")
    quota_fraction: float = Field(
        0.28, description="Export quota, fraction of baseline Chinese REE exports (July 2010 cut: 0.28)."
    )
    solver: SolverSettings = Field(default_factory=SolverSettings, description="Solver settings.")


class ExogenousCounterfactualConfig(RestrictionConfig):
    """The restriction with exogenous technology: kappa is 0, and only 0 is accepted."""

    kappa: float = Field(
        0.0, ge=0.0, le=0.0, description="Innovation elasticity: 0, the exogenous-technology model (specs/ge_model.md)."
    )


class CounterfactualConfig(RestrictionConfig):
    """The restriction with directed innovation (kappa > 0)."""

    kappa: float = Field(
        defaults.DEFAULT_KAPPA, gt=0, description="Innovation elasticity (> 0) of the endogenous-technology model."
    )


class TaxSweepConfig(dg.Config):
    """The export-tax sweep: a curve, not one point."""

    tax_max: float = Field(1.0, description="Largest tax rate of the sweep.")
    points: int = Field(21, description="Number of tax rates from 0 to tax_max.")
    kappas: list[float] = Field(
        default_factory=lambda: [0.0, defaults.DEFAULT_KAPPA], description="Innovation elasticities to sweep over."
    )
    solver: SolverSettings = Field(default_factory=SolverSettings, description="Solver settings.")


@dg.asset(
    group_name=GE_GROUP,
    metadata={"schema": "core"},
    kinds={"cvxpy", "duckdb"},
    pool=DUCKDB_POOL,
    deps=[dg.AssetKey("ge_innovation_panel")],
)
def ree_elasticities(
    context: dg.AssetExecutionContext,
    config: ElasticityConfig,
    store: DuckDBStore,
    ge_innovation_panel_from_patents: pl.DataFrame,
    synthetic_truth: pl.DataFrame,
) -> dg.Output[pl.DataFrame]:
    """Structural estimates of eps_j, the elasticity of substitution between the REE and labour
    bundles, from the direction of research (REE-enhancing vs other patent flows by GE sector: the
    project's own patent panel, or a supplied panel, config ``panel``) and relative prices, with
    bootstrap CIs; next to the true values when the world is synthetic."""
    from ree_assets.core.ge import estimate

    if config.panel == "supplied" and not store.has_table("raw", "ge_innovation_panel"):
        raise dg.Failure(
            "ree_elasticities with panel: supplied reads raw.ge_innovation_panel, which is not materialised: "
            "materialise ge_innovation_panel first (local mode: from ge/ge_innovation_panel.csv)"
        )
    panel = (
        ge_innovation_panel_from_patents
        if config.panel == "from_patents"
        else store.read_table("raw", "ge_innovation_panel")
    )
    options = estimate.EstimationOptions(
        eps_min=config.eps_min,
        eps_max=config.eps_max,
        ridge=config.ridge,
        sector_trends=config.sector_trends,
        n_bootstrap=config.n_bootstrap,
        seed=config.seed,
    )
    result = estimate.estimate_elasticities(panel, options)
    diagnostics = estimate.stability_diagnostics(panel, result, options)
    truth = synthetic_truth.filter((pl.col("stage") == "ge_elasticities") & (pl.col("parameter") == "eps")).select(
        pl.col("key").alias("sector"), pl.col("value").alias("eps_true")
    )
    table = result.table.join(truth, on="sector", how="left").with_columns(
        eps_published=pl.col("sector").replace_strict(estimate.published_elasticities(), default=None)
    )
    context.log.info(
        f"lambda = {result.lambda_hat:.3f}, solver {result.solver_status}, "
        f"stability F = {diagnostics.f_statistic:.2f} (p = {diagnostics.p_value:.3g})"
    )
    return dg.Output(
        table,
        metadata={
            "panel": config.panel,
            "lambda_hat": result.lambda_hat,
            "solver_status": result.solver_status,
            "n_obs": result.n_obs,
            "stability_p_value": diagnostics.p_value,
            "misspecified": diagnostics.misspecified,
            "estimates": frame_markdown(table, floatfmt=".3f"),
        },
    )


@dg.asset(
    group_name=GE_GROUP,
    metadata={"schema": "core"},
    kinds={"numpy", "duckdb"},
    pool=DUCKDB_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            "baseline_identities",
            asset="ge_baseline",
            blocking=True,
            description="Shares sum to 1, value added + inputs = output, deficits sum to zero.",
        )
    ],
)
def ge_baseline(
    context: dg.AssetExecutionContext,
    config: BaselineConfig,
    wiod: pl.DataFrame,
    ree_elasticities: pl.DataFrame,
    ree_extended_use_table: pl.DataFrame,
    ree_application_composition: pl.DataFrame,
):
    """The baseline equilibrium, calibrated to the aggregated world IO table: trade shares,
    spending, IO and value-added shares, REE cost shares (published, or from the REE-extended Use
    table), elasticities, endowments, deficits (one row per number: variable, region, partner,
    sector, input_sector, value)."""
    from ree_assets.core.ge import aggregate, calibrate, estimate
    from ree_assets.core.ge.ree_shares import ree_cost_shares_from_io
    from ree_assets.core.ge.tables import baseline_to_long
    from ree_assets.core.io_table import element_codes
    from ree_assets.sources.wiod import world_io_table_from_long

    table = world_io_table_from_long(wiod, config.year)
    regions = config.region_map or aggregate.default_region_map(table.countries)
    sectors = config.sector_map or aggregate.DEFAULT_SECTOR_MAP
    aggregated = aggregate.aggregate_world_io_table(table, regions, sectors)
    omega = (
        calibrate.PUBLISHED_REE_COST_SHARES
        if config.omega_source == "published"
        else ree_cost_shares_from_io(
            ree_extended_use_table,
            element_codes(ree_extended_use_table["row_code"].unique().to_list(), ree_application_composition),
        )
    )
    eps = {**estimate.choose_elasticities(config.elasticities, ree_elasticities), **config.eps_overrides}
    baseline = calibrate.calibrate_baseline(
        aggregated,
        omega=calibrate.restrict_parameters(omega, aggregated.sectors),
        eps=calibrate.restrict_parameters(eps, aggregated.sectors),
        theta=config.theta,
        endowment_shares=config.endowment_shares,
        negative_final_demand=config.negative_final_demand,
    )
    context.log.info(f"baseline: {len(baseline.regions)} regions x {len(baseline.sectors)} sectors")
    yield from publish_if_invariants_hold(
        [
            dg.Output(
                baseline_to_long(baseline),
                metadata={
                    "regions": ", ".join(baseline.regions),
                    "sectors": ", ".join(baseline.sectors),
                    "omega_source": config.omega_source,
                    "omega": dg.MetadataValue.json(
                        dict(zip(baseline.sectors, baseline.parameters.omega[0].tolist(), strict=True))
                    ),
                    "china_ree_exports_musd": baseline.china_exports,
                    "negative_final_demand": config.negative_final_demand,
                    "clipped_final_cells": baseline.clipped_final_cells,
                    "clipped_final_value_musd": baseline.clipped_final_value,
                },
            )
        ],
        [baseline_check(baseline)],
    )


#: Largest tolerated baseline identity error (relative; the real tables give about 1e-15).
BASELINE_IDENTITY_TOLERANCE = 1e-9


def baseline_check(baseline: "calibrate.Baseline") -> dg.AssetCheckResult:
    """Passes iff every identity of :func:`~ree_assets.core.ge.calibrate.baseline_identity_errors`
    holds to BASELINE_IDENTITY_TOLERANCE."""
    from ree_assets.core.ge import calibrate

    errors = calibrate.baseline_identity_errors(baseline)
    return dg.AssetCheckResult(
        passed=bool(max(errors.values()) < BASELINE_IDENTITY_TOLERANCE),
        metadata={f"max_error_{name}": value for name, value in errors.items()},
    )


def _solve_both(
    baseline: "calibrate.Baseline", instrument: "solve.Instrument", options: "solve.SolverOptions"
) -> tuple["solve.Equilibrium", dict]:
    """Solve with IPOPT and the damped fixed point; the IPOPT solution and both solvers' statistics."""
    from ree_assets.core.ge import outcomes, solve

    ipopt = solve.solve_ipopt(baseline, instrument, options=options)
    fixed_point = solve.solve_fixed_point(baseline, instrument, options=options)
    stats = {
        "scenario": outcomes.scenario_name(instrument, baseline.parameters.kappa),
        "ipopt_status": ipopt.status,
        "ipopt_iterations": ipopt.iterations,
        "ipopt_residual": ipopt.residual_norm,
        "ipopt_seconds": ipopt.wall_time,
        "fixed_point_iterations": fixed_point.iterations,
        "fixed_point_residual": fixed_point.residual_norm,
        "fixed_point_seconds": fixed_point.wall_time,
        "max_abs_difference": solve.max_abs_difference(ipopt, fixed_point),
        "converged": ipopt.converged and fixed_point.converged,
    }
    return ipopt, stats


def solver_check(differences: list[float], converged: list[bool], tol: float) -> dg.AssetCheckResult:
    """Passes iff every IPOPT / fixed-point pair agrees to SOLVER_AGREEMENT and every solution meets
    the stated tolerance ``tol`` (an IPOPT "acceptable" stop above it fails)."""
    worst = float(max(differences))
    return dg.AssetCheckResult(
        passed=bool(worst <= SOLVER_AGREEMENT and all(converged)),
        metadata={
            "max_abs_difference": worst,
            "solutions_within_tolerance": f"{sum(converged)} of {len(converged)}",
            "tolerance": tol,
        },
    )


def _counterfactuals(
    context: dg.AssetExecutionContext,
    baseline: "calibrate.Baseline",
    config: ExogenousCounterfactualConfig | CounterfactualConfig,
):
    """Both instruments at the config's kappa: the ge_results rows, the solver statistics and the check."""
    from ree_assets.core.ge import outcomes, solve

    baseline, options = baseline.with_kappa(config.kappa), config.solver.options()
    frames, stats = [], []
    for instrument in (solve.ExportTax(config.tax_rate), solve.ExportQuota(config.quota_fraction)):
        solution, solver_stats = _solve_both(baseline, instrument, options)
        context.log.info(
            f"{solver_stats['scenario']}: world REE price x{solution.p_W_hat:.4f}, IPOPT vs fixed "
            f"point {solver_stats['max_abs_difference']:.2e}, IPOPT: {solution.status}"
        )
        frames.append(outcomes.counterfactual_results(baseline, solution, solver_stats["scenario"]))
        stats.append(solver_stats)
    solver_table = pl.DataFrame(stats)
    check = solver_check(solver_table["max_abs_difference"].to_list(), solver_table["converged"].to_list(), options.tol)
    return pl.concat(frames), solver_table, check


def _solver_check(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        "solvers_agree",
        asset=asset,
        blocking=True,
        description=f"IPOPT and the damped fixed point agree to {SOLVER_AGREEMENT:g}.",
    )


@dg.asset(
    group_name=GE_GROUP,
    metadata={"schema": "results"},
    kinds={"ipopt", "duckdb"},
    pool=DUCKDB_POOL,
    check_specs=[_solver_check("ge_counterfactual_exogenous")],
)
def ge_counterfactual_exogenous(
    context: dg.AssetExecutionContext, config: ExogenousCounterfactualConfig, ge_baseline: pl.DataFrame
):
    """China's REE export restriction (tax and quota) with exogenous technology (kappa = 0):
    ge_results rows (scenario, region, sector, variable, value)."""
    from ree_assets.core.ge.tables import baseline_from_long

    results, solvers, check = _counterfactuals(context, baseline_from_long(ge_baseline), config)
    yield from publish_if_invariants_hold(
        [dg.Output(results, metadata={"solvers": frame_markdown(solvers, floatfmt=".4g")})], [check]
    )


@dg.asset(
    group_name=GE_GROUP,
    metadata={"schema": "results"},
    kinds={"ipopt", "duckdb"},
    pool=DUCKDB_POOL,
    check_specs=[_solver_check("ge_counterfactual_endogenous")],
)
def ge_counterfactual_endogenous(
    context: dg.AssetExecutionContext,
    config: CounterfactualConfig,
    store: DuckDBStore,
    data_source: DataSource,
    lineage: dg.ResourceParam[Lineage],
    ge_baseline: pl.DataFrame,
    ge_counterfactual_exogenous: pl.DataFrame,
):
    """The same restriction with directed innovation (kappa > 0), and the decomposition of
    sectoral revenue and exports into the factor-cost effect (kappa = 0) and the technology effect
    (the difference), with the AFSV figures: innovation bias outside China, real GDP and
    consumption by region, exogenous vs endogenous technology."""
    from ree_assets.core.ge import outcomes
    from ree_assets.core.ge.tables import baseline_from_long

    results, solvers, check = _counterfactuals(context, baseline_from_long(ge_baseline), config)
    decomposition = outcomes.decomposition_from_results(ge_counterfactual_exogenous, results)
    both = pl.concat([ge_counterfactual_exogenous, results])
    folder, caption = reports_dir(store.database), figure_caption(context, data_source, lineage)
    yield from publish_if_invariants_hold(
        [
            dg.Output(
                pl.concat([results, decomposition]),
                metadata={
                    "solvers": frame_markdown(solvers, floatfmt=".4g"),
                    **table_metadata(outcomes.render_real_outcomes(both), "ge_real_outcomes", folder),
                    **figure_metadata(innovation_bias_figure(results, caption=caption), "ge_innovation_bias", folder),
                    **figure_metadata(real_outcomes_figure(both, caption=caption), "ge_real_outcomes", folder),
                },
            )
        ],
        [check],
    )


@dg.asset(
    group_name=GE_GROUP,
    metadata={"schema": "results"},
    kinds={"ipopt", "duckdb"},
    pool=DUCKDB_POOL,
    check_specs=[_solver_check("ge_tax_sweep")],
)
def ge_tax_sweep(
    context: dg.AssetExecutionContext,
    config: TaxSweepConfig,
    store: DuckDBStore,
    data_source: DataSource,
    lineage: dg.ResourceParam[Lineage],
    ge_baseline: pl.DataFrame,
):
    """Export-tax sweep from 0 to ``tax_max`` at each kappa, solved with IPOPT (warm-started
    along the curve) and cross-checked point by point with the damped fixed point."""
    import numpy as np

    from ree_assets.core.ge import outcomes, solve
    from ree_assets.core.ge.tables import baseline_from_long

    baseline, options = baseline_from_long(ge_baseline), config.solver.options()
    rates = np.linspace(0.0, config.tax_max, config.points)
    frames, differences, converged = [], [], []
    for kappa in config.kappas:
        at_kappa = baseline.with_kappa(kappa)
        ipopt = solve.tax_sweep(at_kappa, rates, options=options)
        fixed_point = solve.tax_sweep(at_kappa, rates, solver=solve.solve_fixed_point, options=options)
        differences += [solve.max_abs_difference(a, b) for a, b in zip(ipopt, fixed_point, strict=False)]
        converged += [s.converged for s in (*ipopt, *fixed_point)]
        frames += [
            outcomes.counterfactual_results(
                at_kappa, solution, outcomes.scenario_name(solve.ExportTax(float(rate)), kappa)
            )
            for rate, solution in zip(rates, ipopt, strict=False)
        ]
        context.log.info(
            f"kappa = {kappa:g}: {len(rates)} tax rates solved, IPOPT "
            f"{sum(s.wall_time for s in ipopt):.2f} s, fixed point {sum(s.wall_time for s in fixed_point):.2f} s"
        )
    results = pl.concat(frames)
    yield from publish_if_invariants_hold(
        [
            dg.Output(
                results,
                metadata={
                    "points": len(rates) * len(config.kappas),
                    "max_abs_difference": max(differences),
                    **figure_metadata(
                        tax_sweep_figure(results, caption=figure_caption(context, data_source, lineage)),
                        "ge_tax_sweep",
                        reports_dir(store.database),
                    ),
                },
            )
        ],
        [solver_check(differences, converged, options.tol)],
    )
