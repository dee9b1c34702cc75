"""Solving the GE model: sanity properties, IPOPT vs fixed point, and the spec's reference solve."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from ree_assets.core.ge.aggregate import DEFAULT_SECTOR_MAP, aggregate_world_io_table
from ree_assets.core.ge.calibrate import (
    PUBLISHED_EPS,
    PUBLISHED_REE_COST_SHARES,
    Baseline,
    baseline_identity_errors,
    calibrate_baseline,
    translate_parameters,
)
from ree_assets.core.ge.outcomes import (
    consumer_price_hat,
    counterfactual_results,
    decomposition_from_results,
    real_consumption_hat,
    real_gdp_hat,
    scenario_name,
    sector_changes,
)
from ree_assets.core.ge.solve import (
    ChinaNetImporterError,
    EquilibriumNotFoundError,
    ExportQuota,
    ExportTax,
    Shocks,
    SolverOptions,
    labour_residuals,
    max_abs_difference,
    solve_fixed_point,
    solve_ipopt,
    tax_sweep,
)
from ree_assets.core.ge.tables import baseline_from_long, baseline_to_long
from ree_assets_tests.test_core_ge_aggregate import load_wiod_2009
from ree_assets_tests.test_core_ge_model import REGIONS, SECTORS, small_baseline, small_world

SOLVERS = (solve_ipopt, solve_fixed_point)


@pytest.fixture(scope="module")
def baseline() -> Baseline:
    return small_baseline(kappa=0.5)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("instrument", [ExportTax(0.0), ExportQuota(1.0)])
def test_no_shock_gives_hats_of_exactly_one(baseline, solver, instrument):
    solution = solver(baseline, instrument)
    for hats in (
        solution.w_hat,
        solution.p_R_hat,
        solution.P_hat,
        solution.A_R_hat,
        solution.A_L_hat,
        solution.Y_new / baseline.Y,
        solution.pi_new[baseline.pi > 0] / baseline.pi[baseline.pi > 0],
    ):
        np.testing.assert_allclose(hats, 1.0, rtol=0, atol=1e-12)
    assert solution.p_W_hat == pytest.approx(1.0, abs=1e-12) and abs(solution.tau) < 1e-12


@pytest.mark.parametrize("instrument", [ExportTax(0.5), ExportQuota(0.28)])
@pytest.mark.parametrize("kappa", [0.0, 0.5])
def test_ipopt_and_fixed_point_agree_and_walras_law_holds(baseline, instrument, kappa):
    economy = baseline.with_kappa(kappa)
    by_ipopt, by_fixed_point = (solver(economy, instrument) for solver in SOLVERS)
    assert max_abs_difference(by_ipopt, by_fixed_point) < 1e-8
    for solution in (by_ipopt, by_fixed_point):  # the dropped (last) labour market clears too
        assert abs(labour_residuals(economy, solution)[-1]) < 1e-10
        assert solution.p_W_hat > 1.0
    if isinstance(instrument, ExportQuota):
        assert by_ipopt.china_exports_new / economy.china_exports == pytest.approx(0.28, abs=1e-10)
        assert by_ipopt.tau > 0


def test_results_do_not_depend_on_the_numeraire(baseline):
    world_labour = solve_fixed_point(baseline, ExportTax(0.5))
    usa_wage = solve_fixed_point(
        baseline, ExportTax(0.5), Shocks(numeraire_weights=(np.array(REGIONS) == "USA").astype(float))
    )
    assert usa_wage.w_hat[REGIONS.index("USA")] == pytest.approx(1.0, abs=1e-13)
    scale = usa_wage.w_hat[0] / world_labour.w_hat[0]
    np.testing.assert_allclose(usa_wage.w_hat, scale * world_labour.w_hat, rtol=1e-10)
    np.testing.assert_allclose(usa_wage.p_R_hat, scale * world_labour.p_R_hat, rtol=1e-10)
    np.testing.assert_allclose(
        real_consumption_hat(baseline, usa_wage), real_consumption_hat(baseline, world_labour), rtol=1e-10
    )
    np.testing.assert_allclose(usa_wage.omega_new, world_labour.omega_new, rtol=1e-10)


def caliendo_parro(baseline: Baseline, trade_cost_hat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plain Caliendo-Parro (2015) without REEs, hand-rolled: value added is labour only and the
    deficits are fixed relative to world labour income. Returns (w_hat, P_hat).

    Loops over wages with the damped update w <- w (1 + (LD/w - 1) / 2), LD the labour demand hat; prices by
    iterating the CP price system; spending by a dense solve of X = (G Pi') X + alpha I.
    """
    beta, gam, alpha, pi, theta = baseline.beta, baseline.gam, baseline.alpha, baseline.pi, baseline.parameters.theta
    n, j = beta.shape
    value_added = (beta * baseline.Y).sum(axis=1)
    deficit = baseline.income - value_added
    w = np.ones(n)
    for _ in range(500):
        P = np.ones((n, j))
        for _ in range(500):
            c = w[:, None] ** beta * np.prod(P[:, None, :] ** gam, axis=2)
            P_next = np.einsum("nij,nij->nj", pi, (c[None] * trade_cost_hat) ** -theta) ** (-1 / theta)
            done = np.max(np.abs(P_next / P - 1)) < 1e-14
            P = P_next
            if done:
                break
        new_pi = pi * ((c[None] * trade_cost_hat) / P[:, None, :]) ** -theta
        income = w * value_added + deficit * (w @ value_added) / value_added.sum()
        M = np.zeros((n * j, n * j))
        for m in range(n):
            for k in range(j):
                for buyer in range(n):  # X'_(buyer, s) gets gam[buyer, k, s] * pi'[m, buyer, k] X'_(m, k)
                    M[buyer * j : (buyer + 1) * j, m * j + k] += gam[buyer, k, :] * new_pi[m, buyer, k]
        X = np.linalg.solve(np.eye(n * j) - M, (alpha * income[:, None]).ravel()).reshape(n, j)
        Y = np.einsum("nik,nk->ik", new_pi, X)
        demand = (beta * Y).sum(axis=1) / value_added
        if np.max(np.abs(demand / w - 1)) < 1e-13:
            break
        w = w * (1 + (demand / w - 1) / 2)
        w *= value_added.sum() / (w @ value_added)
    return w, P


def test_without_rees_and_innovation_the_model_is_caliendo_parro():
    tiny = {sector: 1e-12 for sector in SECTORS}
    economy = calibrate_baseline(small_world(), omega=tiny, eps={}, kappa=0.0)
    trade_cost_hat = np.where(np.eye(len(REGIONS))[:, :, None] == 1, 1.0, 1.1) * np.ones(len(SECTORS))
    solution = solve_ipopt(economy, ExportTax(0.0), Shocks(trade_cost_hat=trade_cost_hat))
    w_cp, P_cp = caliendo_parro(economy, trade_cost_hat)
    np.testing.assert_allclose(solution.w_hat, w_cp, rtol=1e-9)
    np.testing.assert_allclose(solution.P_hat, P_cp, rtol=1e-9)
    assert np.max(np.abs(P_cp - 1)) > 1e-3  # the shock is not trivial


def test_ree_price_rise_tilts_innovation_toward_ree_outside_china(baseline):
    solution = solve_fixed_point(baseline, ExportTax(0.5))
    abroad = np.array(REGIONS) != "CHN"
    bias = solution.A_R_hat / solution.A_L_hat
    complements = [SECTORS.index("basic_fabricated_metals"), SECTORS.index("transport_equipment")]
    assert np.all(bias[np.ix_(abroad, complements)] > 1.0)
    assert np.all(bias[abroad, SECTORS.index("wood_paper")] < 1.0)  # eps > 1: tilts away
    assert np.all(bias[~abroad][:, complements] < 1.0)  # China's REE price falls


def test_a_tax_making_china_a_net_importer_is_an_error_naming_tau(baseline):
    with pytest.raises(ChinaNetImporterError, match=r"tau = 5000\.0.*net importer"):
        solve_fixed_point(baseline, ExportTax(5000.0))


def test_outcomes_are_tidy_and_the_decomposition_adds_up(baseline):
    instrument = ExportTax(0.5)
    fixed = solve_fixed_point(baseline.with_kappa(0.0), instrument)
    directed = solve_fixed_point(baseline, instrument)
    directed_rows = counterfactual_results(baseline, directed, scenario_name(instrument, 0.5))
    fixed_rows = counterfactual_results(baseline.with_kappa(0.0), fixed, scenario_name(instrument, 0.0))
    frame = pl.concat([directed_rows, decomposition_from_results(fixed_rows, directed_rows)])
    assert frame.columns == ["scenario", "region", "sector", "variable", "value"]
    assert frame.select(["scenario", "region", "sector", "variable"]).is_unique().all()
    assert frame["value"].is_finite().all()
    wide = frame.filter(pl.col("variable").str.starts_with("revenue_")).pivot(
        on="variable", index=["region", "sector"], values="value"
    )
    np.testing.assert_allclose(
        wide["revenue_factor_cost_effect_pct"],
        sector_changes(baseline.with_kappa(0.0), fixed)["revenue_pct"].ravel(),
        atol=1e-12,
    )
    technology = wide["revenue_technology_effect_pct"].abs()
    assert technology.max() > 1e-6  # directed innovation moves revenue
    itself = decomposition_from_results(
        fixed_rows, fixed_rows.with_columns(pl.col("scenario").str.replace("_kappa_0$", "_kappa_0.5"))
    )
    assert itself.filter(pl.col("variable").str.ends_with("technology_effect_pct"))["value"].abs().max() == 0.0


def test_tax_sweep_warm_starts_and_prices_rise_with_the_tax(baseline):
    rates = np.linspace(0.0, 1.0, 5)
    sweep = tax_sweep(baseline, rates, solver=solve_fixed_point)
    prices = [solution.p_W_hat for solution in sweep]
    assert prices[0] == pytest.approx(1.0, abs=1e-12) and np.all(np.diff(prices) > 0)
    cold = [solve_fixed_point(baseline, ExportTax(float(rate))) for rate in rates]
    assert sum(s.iterations for s in sweep) < sum(s.iterations for s in cold)


# The reference solve of specs/ge_model.md on real WIOD 2009, 5 regions x 14 sectors, calibrated with
# the default final-demand rule (each buyer's final uses netted, residual negative cells set to zero:
# none at 5 x 14). Clipping each final-use column on its own instead gives x1.141, not x1.147.
@pytest.fixture(scope="module")
def reference_baseline(shared_data) -> Baseline:
    return calibrate_baseline(aggregate_world_io_table(load_wiod_2009(shared_data)), kappa=0.0)


def test_reference_settings_net_final_uses_and_clip_nothing_at_5x14(reference_baseline, shared_data):
    assert (reference_baseline.clipped_final_cells, reference_baseline.clipped_final_value) == (0, 0.0)
    per_use = calibrate_baseline(
        aggregate_world_io_table(load_wiod_2009(shared_data)), kappa=0.0, negative_final_demand="clip_each_use"
    )
    assert per_use.clipped_final_cells > 0
    assert solve_ipopt(per_use, ExportTax(1.0)).p_W_hat == pytest.approx(1.141, abs=5e-4)


def test_reference_solve_export_tax_exogenous_technology(reference_baseline):
    by_ipopt = solve_ipopt(reference_baseline, ExportTax(1.0))
    by_fixed_point = solve_fixed_point(reference_baseline, ExportTax(1.0))
    assert max_abs_difference(by_ipopt, by_fixed_point) < 1e-10
    assert by_ipopt.p_W_hat == pytest.approx(1.147, abs=5e-4)
    assert by_ipopt.p_R_hat[reference_baseline.china] == pytest.approx(0.574, abs=5e-4)
    consumption = 100 * (real_consumption_hat(reference_baseline, by_ipopt) - 1)
    published = dict(CHN=0.042, EUR=-0.005, JPN=-0.005, USA=-0.004, ROW=-0.006)
    np.testing.assert_allclose(consumption, [published[r] for r in reference_baseline.regions], atol=5e-4)


def test_reference_solve_innovation_bias_in_the_usa(reference_baseline):
    economy = reference_baseline.with_kappa(0.5)
    solution = solve_ipopt(economy, ExportTax(0.25))
    usa = economy.regions.index("USA")
    bias = 100 * (solution.A_R_hat[usa] / solution.A_L_hat[usa] - 1)
    published = dict(
        transport_equipment=0.418,
        basic_fabricated_metals=0.342,
        mining_petroleum_coal=0.246,
        rubber_plastics=0.246,
        chemicals=0.109,
        wood_paper=-0.239,
    )
    for sector, value in published.items():
        assert bias[economy.sectors.index(sector)] == pytest.approx(value, abs=5e-4), sector


def test_reference_solve_export_quota(reference_baseline):
    solution = solve_ipopt(reference_baseline, ExportQuota(0.28))
    assert solution.p_W_hat == pytest.approx(4.29, abs=5e-3)
    assert solution.tau == pytest.approx(27.7, abs=5e-2)


@pytest.fixture(scope="module")
def full_baseline(shared_data) -> Baseline:
    """The full WIOD 2009 table (41 x 35) calibrated with the defaults, published omega and eps by industry."""
    return calibrate_baseline(
        load_wiod_2009(shared_data),
        kappa=0.5,
        omega=translate_parameters(PUBLISHED_REE_COST_SHARES, DEFAULT_SECTOR_MAP),
        eps=translate_parameters(PUBLISHED_EPS, DEFAULT_SECTOR_MAP),
    )


def test_the_full_table_calibrates_with_the_default_rule_clipping_67_cells(full_baseline, shared_data):
    assert full_baseline.clipped_final_cells == 67  # specs/ge_model.md, Reference solve
    assert 0 < full_baseline.clipped_final_value < 1e-3 * full_baseline.income.sum()
    assert max(baseline_identity_errors(full_baseline).values()) < 1e-12


def test_the_full_table_solves_with_both_solvers_in_agreement(full_baseline):
    by_ipopt = solve_ipopt(full_baseline, ExportTax(1.0))
    by_fixed_point = solve_fixed_point(full_baseline, ExportTax(1.0))
    assert by_ipopt.converged and by_fixed_point.converged
    assert max_abs_difference(by_ipopt, by_fixed_point) < 6e-11  # observed 2.8e-11
    assert by_ipopt.spending_response is not None  # the matrix-free path was taken


def test_matrix_free_and_direct_spending_give_the_same_equilibrium(baseline):
    direct = solve_ipopt(baseline, ExportQuota(0.28), options=SolverOptions(spending="direct"))
    matrix_free = solve_ipopt(baseline, ExportQuota(0.28), options=SolverOptions(spending="matrix_free"))
    assert max_abs_difference(direct, matrix_free) < 1e-10


def test_a_solver_that_runs_out_of_iterations_raises(baseline):
    with pytest.raises(EquilibriumNotFoundError, match=r"fixed_point did not converge.*after 3 iterations"):
        solve_fixed_point(baseline, ExportTax(0.5), options=SolverOptions(max_iter=3))
    with pytest.raises(EquilibriumNotFoundError, match="ipopt did not converge"):
        solve_ipopt(baseline, ExportQuota(0.1), options=SolverOptions(ipopt_max_iter=2, continuation_steps=2))


def test_a_solution_short_of_the_stated_tolerance_is_not_converged(baseline):
    loose = solve_fixed_point(baseline, ExportTax(0.5), options=SolverOptions(tol=1e-6))
    assert loose.converged and 1e-11 < loose.residual_norm < 1e-6
    assert not replace(loose, tolerance=1e-11).converged


def test_a_tight_quota_is_solved_by_adaptive_continuation(baseline):
    economy = baseline.with_kappa(0.0)
    cold = solve_ipopt(economy, ExportQuota(0.28), options=SolverOptions(continuation_steps=0))
    assert cold.converged  # the default quota needs no continuation
    with pytest.raises(EquilibriumNotFoundError):  # quota 0.1 fails from a cold start ...
        solve_ipopt(economy, ExportQuota(0.1), options=SolverOptions(continuation_steps=0))
    solution = solve_ipopt(economy, ExportQuota(0.1))  # ... and is reached by continuation
    assert solution.converged
    assert solution.china_exports_new / economy.china_exports == pytest.approx(0.1, abs=1e-10)


def test_damping_is_a_setting_that_changes_the_path_not_the_solution(baseline):
    half = solve_fixed_point(baseline, ExportTax(0.5))
    slower = solve_fixed_point(baseline, ExportTax(0.5), options=SolverOptions(damping=0.3))
    assert max_abs_difference(half, slower) < 1e-10 and slower.iterations > half.iterations
    with pytest.raises(ValueError, match="damping"):
        SolverOptions(damping=0.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_started_sweeps_do_not_depend_on_their_order(baseline, solver):
    rates = np.linspace(0.0, 1.0, 5)
    up, down = tax_sweep(baseline, rates, solver), tax_sweep(baseline, rates[::-1], solver)
    assert max(max_abs_difference(a, b) for a, b in zip(up, down[::-1], strict=False)) < 1e-10


def test_the_baseline_survives_its_long_table(reference_baseline, full_baseline):
    for baseline in (small_baseline(negative_final_demand="clip_each_use"), reference_baseline):
        back = baseline_from_long(baseline_to_long(baseline))
        assert (back.regions, back.sectors, back.china) == (baseline.regions, baseline.sectors, baseline.china)
        assert (back.clipped_final_cells, back.clipped_final_value) == (
            baseline.clipped_final_cells,
            baseline.clipped_final_value,
        )
        for name in ("pi", "X", "Y", "gam", "beta", "alpha", "income", "labour_income", "ree_endowment", "deficit"):
            np.testing.assert_array_equal(getattr(back, name), getattr(baseline, name), err_msg=name)
        for name in ("omega", "eps", "theta", "kappa"):
            np.testing.assert_array_equal(getattr(back.parameters, name), getattr(baseline.parameters, name))
    assert small_baseline(negative_final_demand="clip_each_use").clipped_final_cells == 1


def test_real_gdp_and_consumer_price_by_hand():
    baseline = SimpleNamespace(
        alpha=np.array([[0.25, 0.75], [0.5, 0.5]]),
        labour_income=np.array([100.0, 50.0]),
        ree_endowment=np.array([10.0, 0.0]),
    )
    solution = SimpleNamespace(
        P_hat=np.array([[2.0, 0.5], [4.0, 1.0]]), w_hat=np.array([1.1, 0.9]), p_R_hat=np.array([2.0, 1.0])
    )
    # P_C = prod_j P_j^alpha_j: 2^0.25 0.5^0.75 = 2^-0.5; 4^0.5 = 2
    np.testing.assert_allclose(consumer_price_hat(baseline, solution), [2**-0.5, 2.0], rtol=1e-15)
    # (w' L + p'_R R) / (w L + R) / P_C: (110 + 20) / 110 * 2^0.5; 45 / 50 / 2
    np.testing.assert_allclose(real_gdp_hat(baseline, solution), [130 / 110 * 2**0.5, 0.45], rtol=1e-15)
