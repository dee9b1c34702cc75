"""The GE model's equations (steps 1-8 of specs/ge_model.md) on small hand-made inputs."""

from __future__ import annotations

import numpy as np
import pytest

from ree_assets.core.ge.calibrate import (
    PUBLISHED_EPS,
    PUBLISHED_REE_COST_SHARES,
    calibrate_baseline,
    restrict_parameters,
)
from ree_assets.core.ge.data import WorldIOTable
from ree_assets.core.ge.model import (
    InnovationConditionError,
    labour_demand,
    price_index_hat,
    ree_demand,
    ree_share_new,
    solve_price_indices,
    spending_new,
    spending_new_matrix_free,
    technology_hats,
    value_added_cost_hat,
)
from ree_assets.errors import DataValidationError

SECTORS = ("agriculture", "basic_fabricated_metals", "transport_equipment", "wood_paper", "services")
REGIONS = ("CHN", "EUR", "USA", "ROW")


def small_world(seed: int = 7) -> WorldIOTable:
    """A 4-region x 5-sector world IO table with positive flows, one negative inventory cell and
    one zero trade flow (USA buys no agriculture from CHN), output = row sums."""
    rng = np.random.default_rng(seed)
    n, j, f = len(REGIONS), len(SECTORS), 2
    home = np.kron(np.eye(n), np.ones((j, j))) * 4.0 + 1.0
    intermediate = rng.uniform(5.0, 15.0, (n * j, n * j)) * home
    final = rng.uniform(20.0, 60.0, (n * j, n * f)) * (np.kron(np.eye(n), np.ones((j, f))) * 4.0 + 1.0)
    final[1, 3] = -8.0  # an inventory drawdown
    intermediate[0, 2 * j : 3 * j] = 0.0  # CHN agriculture sells nothing to the USA ...
    final[0, 2 * f : 3 * f] = 0.0
    output = intermediate.sum(axis=1) + final.sum(axis=1)
    return WorldIOTable(
        countries=REGIONS,
        sectors=SECTORS,
        final_uses=("CONS_h", "INVEN"),
        intermediate=intermediate,
        final=final,
        output=output,
    )


def small_baseline(**kwargs):
    """The calibrated baseline of :func:`small_world` with the published omega and eps."""
    return calibrate_baseline(
        small_world(),
        omega=restrict_parameters(PUBLISHED_REE_COST_SHARES, SECTORS),
        eps=restrict_parameters(PUBLISHED_EPS, SECTORS),
        **kwargs,
    )


def test_closed_form_ree_share_solves_steps_1_and_2():
    omega = np.array([[0.0, 0.01, 0.2], [0.0, 0.05, 0.3]])
    eps, kappa = np.array([1.0, 0.7, 1.3]), 0.6
    p_R_hat, w_hat = np.array([1.8, 0.9]), np.array([1.1, 0.95])
    omega_new = ree_share_new(omega, eps, kappa, p_R_hat, w_hat)
    A_R_hat, A_L_hat = technology_hats(omega, omega_new, kappa)
    ln_cV = value_added_cost_hat(omega, eps, p_R_hat, w_hat, A_R_hat, A_L_hat)
    rho = 1.0 - eps[1:]
    implied = omega[:, 1:] * (p_R_hat[:, None] / A_R_hat[:, 1:]) ** rho / np.exp(rho * ln_cV[:, 1:])
    np.testing.assert_allclose(omega_new[:, 1:], implied, rtol=1e-13)
    assert np.all(omega_new[:, 0] == 0.0) and np.all(A_R_hat[:, 0] == 1.0)
    assert np.all(np.isfinite(ln_cV))


def test_cobb_douglas_limit_at_eps_one():
    omega = np.array([[0.3]])
    p_R_hat, w_hat, ones = np.array([2.0]), np.array([1.2]), np.ones((1, 1))
    at_one = value_added_cost_hat(omega, np.array([1.0]), p_R_hat, w_hat, ones, ones)
    assert at_one[0, 0] == pytest.approx(0.3 * np.log(2.0) + 0.7 * np.log(1.2), abs=1e-15)
    near_one = value_added_cost_hat(omega, np.array([1.0 - 1e-7]), p_R_hat, w_hat, ones, ones)
    assert near_one[0, 0] == pytest.approx(at_one[0, 0], abs=1e-7)
    assert ree_share_new(omega, np.array([1.0]), 0.5, p_R_hat, w_hat)[0, 0] == pytest.approx(0.3, abs=1e-16)


def test_innovation_condition_is_checked():
    with pytest.raises(InnovationConditionError, match="kappa"):
        ree_share_new(np.array([[0.1]]), np.array([3.0]), 0.5, np.array([1.0]), np.array([1.0]))


def test_ree_price_rise_tilts_technology_toward_ree_when_complements():
    omega, eps = np.array([[0.01, 0.01]]), np.array([0.75, 1.12])
    omega_new = ree_share_new(omega, eps, 0.5, np.array([1.5]), np.array([1.0]))
    A_R_hat, A_L_hat = technology_hats(omega, omega_new, 0.5)
    bias = A_R_hat / A_L_hat
    assert bias[0, 0] > 1.0 > bias[0, 1]


def test_price_index_skips_zero_cells_and_nonbuyers():
    pi = np.zeros((2, 2, 2))
    pi[0, :, 0] = [0.5, 0.5]
    pi[1, :, 0] = [0.0, 1.0]  # region 1 buys sector 0 only from region 1
    ln_c = np.log(np.array([[2.0, 1.0], [1.0, 1.0]]))
    ln_P = price_index_hat(pi, ln_c, np.array([4.0, 4.0]))
    assert ln_P[1, 0] == pytest.approx(0.0, abs=1e-15)
    assert ln_P[0, 0] == pytest.approx(-np.log(0.5 * 2.0**-4 + 0.5) / 4.0, rel=1e-14)
    assert np.all(ln_P[:, 1] == 0.0)  # sector 1 bought by nobody: P_hat = 1


def test_baseline_is_a_fixed_point_of_prices_and_spending():
    baseline = small_baseline()
    par = baseline.parameters
    zeros = np.zeros_like(baseline.beta)
    ln_P, ln_c, _ = solve_price_indices(baseline.pi, zeros, baseline.beta, baseline.gam, par.theta)
    assert np.max(np.abs(ln_P)) < 1e-15 and np.max(np.abs(ln_c)) < 1e-15
    fixed_income = baseline.labour_income + baseline.ree_endowment + baseline.deficit
    X, Y, income = spending_new(baseline.pi, baseline.gam, baseline.alpha, fixed_income, zeros)
    np.testing.assert_allclose(X, baseline.X, rtol=1e-12)
    np.testing.assert_allclose(Y, baseline.Y, rtol=1e-12)
    np.testing.assert_allclose(income, baseline.income, rtol=1e-12)


def test_calibration_identities():
    baseline = small_baseline()
    assert baseline.pi[2, 0, 0] == 0.0  # zero flow stays zero
    np.testing.assert_allclose(baseline.pi.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(baseline.beta + baseline.gam.sum(axis=2), 1.0, rtol=1e-14)
    assert abs(baseline.deficit.sum()) < 1e-9 * baseline.income.sum()
    assert baseline.ree_endowment[REGIONS.index("CHN")] / baseline.ree_endowment.sum() == pytest.approx(0.97)
    assert baseline.ree_use.sum() == pytest.approx(baseline.ree_endowment.sum(), rel=1e-14)
    # the drawdown is netted against EUR's other final use of CHN metals (default), or dropped on its own
    assert (baseline.clipped_final_cells, baseline.clipped_final_value) == (0, 0.0)
    clipped = small_baseline(negative_final_demand="clip_each_use")
    assert clipped.Y[0, 1] - baseline.Y[0, 1] == pytest.approx(8.0, abs=1e-12)
    assert (clipped.clipped_final_cells, clipped.clipped_final_value) == (1, 8.0)


def test_calibration_rejects_unknown_sectors_in_parameters():
    with pytest.raises(DataValidationError, match="semiconductors"):
        calibrate_baseline(small_world(), omega={"semiconductors": 0.01})


@pytest.mark.parametrize("rho", [1e-9, -1e-9])
def test_ces_is_exact_across_eps_one(rho):
    """Near eps = 1, ln cV = b + omega d + rho omega (1 - omega) d^2 / 2 + O(rho^2) (d = a - b):
    the formula must resolve the rho term (the plain CES loses it to cancellation, off by ~1e-7)."""
    omega, p_R_hat, w_hat, ones = np.array([[0.3]]), np.array([2.0]), np.array([1.2]), np.ones((1, 1))
    gap = np.log(2.0) - np.log(1.2)
    value = value_added_cost_hat(omega, np.array([1.0 - rho]), p_R_hat, w_hat, ones, ones)[0, 0]
    expansion = np.log(1.2) + 0.3 * gap + rho * 0.3 * 0.7 * gap**2 / 2
    assert value == pytest.approx(expansion, abs=1e-15)
    plain = np.log(0.3 * np.exp(rho * np.log(2.0)) + 0.7 * np.exp(rho * np.log(1.2))) / rho
    assert abs(plain - expansion) > 1e-12  # the check fails the formula it replaced


def test_ree_share_stays_a_share_at_extreme_price_ratios():
    omega, eps = np.array([[0.01, 0.01]]), np.array([0.2, 1.8])
    high = ree_share_new(omega, eps, 0.5, np.array([1e300]), np.array([1e-300]))
    low = ree_share_new(omega, eps, 0.5, np.array([1e-300]), np.array([1e300]))
    np.testing.assert_array_equal(high, [[1.0, 0.0]])  # complements: REEs take all; substitutes: none
    np.testing.assert_array_equal(low, [[0.0, 1.0]])
    with np.errstate(over="ignore", invalid="ignore"):
        tilt = np.exp(0.8 * (np.log(1e300) - np.log(1e-300)) / 1.4)  # the ratio form: inf / inf
        assert np.isnan(0.01 * tilt / (0.99 + 0.01 * tilt))


def test_matrix_free_spending_equals_the_direct_solve_with_tax_revenue():
    baseline = small_baseline()
    rng = np.random.default_rng(3)
    pi_new = baseline.pi * rng.uniform(0.8, 1.2, baseline.pi.shape)
    pi_new /= np.where(pi_new.sum(axis=1, keepdims=True) > 0, pi_new.sum(axis=1, keepdims=True), 1.0)
    fixed_income = baseline.labour_income * 1.05 + baseline.ree_endowment + baseline.deficit
    income_per_output = np.zeros_like(baseline.beta)
    income_per_output[0] = -30.0 * baseline.parameters.omega[0] * baseline.beta[0]  # tax margin 30: no contraction
    direct = spending_new(pi_new, baseline.gam, baseline.alpha, fixed_income, income_per_output)
    matrix_free = spending_new_matrix_free(
        pi_new, baseline.gam, baseline.alpha, fixed_income, income_per_output, 0, baseline.X, np.zeros_like(baseline.X)
    )
    for a, b in zip(direct, matrix_free[:3], strict=False):
        np.testing.assert_allclose(b, a, rtol=1e-12)
    with pytest.raises(ValueError, match="zero outside the taxed region"):
        spending_new_matrix_free(
            pi_new,
            baseline.gam,
            baseline.alpha,
            fixed_income,
            income_per_output,
            1,
            baseline.X,
            np.zeros_like(baseline.X),
        )


def test_ree_demand_and_labour_demand_by_hand():
    omega_new, beta = np.array([[0.1, 0.0], [0.2, 0.5]]), np.array([[0.5, 0.4], [1.0, 0.2]])
    Y_new, p_R_new = np.array([[100.0, 50.0], [10.0, 30.0]]), np.array([2.0, 0.5])
    # q'_n = sum_j omega' beta Y' / p'_R: (0.1 * 0.5 * 100) / 2 = 2.5; (0.2 * 1 * 10 + 0.5 * 0.2 * 30) / 0.5 = 10
    np.testing.assert_allclose(ree_demand(omega_new, beta, Y_new, p_R_new), [2.5, 10.0], rtol=1e-15)
    # sum_j (1 - omega') beta Y': 0.9 * 50 + 20 = 65; 0.8 * 10 + 0.5 * 6 = 11
    np.testing.assert_allclose(labour_demand(omega_new, beta, Y_new), [65.0, 11.0], rtol=1e-15)
