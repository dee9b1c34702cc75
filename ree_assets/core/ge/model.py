"""Equations of the GE trade model with IO links, REEs and directed technical change, in changes.

Caliendo and Parro (2015, REStud) multi-sector Eaton-Kortum trade with input-output links, with
value added a CES of an REE bundle and a labour bundle and innovation directed by bundle spending
(Acemoglu 2002). This is the project's reconstruction of Alfaro, Fadinger, Schymik and Virananda
(2025, NBER WP 33877); the numbered steps follow specs/ge_model.md. ``x_hat = x'/x``.

Shapes and indices: regions n, i (N), sectors j, k (J). ``pi[n, i, j]`` is the share of n's
spending on j bought from i; ``gam[i, j, k]`` the share of inputs of k in gross output of (i, j);
``beta[i, j]`` the value-added share; ``omega[i, j]`` the REE share of value added; ``alpha[n, j]``
final-demand shares; ``eps[j]``, ``theta[j]`` elasticities. Zero cells (pi = 0, omega = 0, X = 0,
Y = 0) stay zero and never enter a division.

Deviation from the spec, documented: the spec holds deficits D_n fixed in units of the numeraire
(world labour income). We write D'_n = D_n * hat(sum_n w_n L_n), which is the same under the
spec's normalisation and makes the system homogeneous of degree one in nominal prices, so any
numeraire gives the same real outcomes (the property the tests check).
"""

from __future__ import annotations

import numpy as np


class InnovationConditionError(ValueError):
    """kappa (eps - 1) >= 1: the directed-innovation fixed point has no interior solution."""


def check_innovation_condition(kappa: float, eps: np.ndarray) -> None:
    """Raise unless kappa (eps_j - 1) < 1 for every sector j.

    The closed form of step 2 divides by 1 + kappa (1 - eps); it is positive iff kappa (eps - 1)
    < 1, the condition for research to be stable (the market-size effect not to overturn relative
    prices; Acemoglu 2002, weak/strong bias).
    """
    bad = np.flatnonzero(kappa * (np.asarray(eps) - 1.0) >= 1.0)
    if bad.size:
        raise InnovationConditionError(
            f"kappa (eps - 1) < 1 fails for kappa = {kappa} and eps = {np.asarray(eps)[bad].tolist()} "
            f"(sector positions {bad.tolist()})"
        )


def ree_share_new(
    omega: np.ndarray, eps: np.ndarray, kappa: float, p_R_hat: np.ndarray, w_hat: np.ndarray
) -> np.ndarray:
    """New REE share of value added omega'_ij with directed innovation substituted in (steps 1-2).

        logit(omega') = logit(omega) + (1 - eps_j) ln(p_hat_R,i / w_hat_i) / (1 + kappa (1 - eps_j))

    from omega' = omega (p_hat_R/A_hat_R)^(1-eps) / cV_hat^(1-eps) with A_hat_R = (omega'/omega)^kappa
    and A_hat_L = ((1-omega')/(1-omega))^kappa. Requires kappa (eps - 1) < 1 (checked). With eps = 1
    (Cobb-Douglas) the share is constant; omega = 0 stays 0. Computed as expit(logit(omega) + shift),
    which stays in [0, 1] at any price ratio (the ratio form omega t / (1 - omega + omega t) is
    inf / inf once t = exp(shift) overflows). Arrays (N, J); p_R_hat, w_hat (N,).
    """
    from scipy.special import expit, logit  # here: slow to import, and the code location imports this

    check_innovation_condition(kappa, eps)
    shift = (1.0 - eps)[None, :] * (np.log(p_R_hat) - np.log(w_hat))[:, None] / (1.0 + kappa * (1.0 - eps))[None, :]
    return expit(logit(omega) + shift)


def technology_hats(omega: np.ndarray, omega_new: np.ndarray, kappa: float) -> tuple[np.ndarray, np.ndarray]:
    """Directed innovation (step 2): A_hat_R = (omega'/omega)^kappa, A_hat_L = ((1-omega')/(1-omega))^kappa.

    Research effort follows bundle spending shares (s_R = omega). Where omega = 0 no REE research
    exists and A_hat_R = 1.
    """
    has_ree = omega > 0
    ratio = np.divide(omega_new, omega, out=np.ones_like(omega), where=has_ree)
    return ratio**kappa, ((1.0 - omega_new) / (1.0 - omega)) ** kappa


def value_added_cost_hat(
    omega: np.ndarray, eps: np.ndarray, p_R_hat: np.ndarray, w_hat: np.ndarray, A_R_hat: np.ndarray, A_L_hat: np.ndarray
) -> np.ndarray:
    """Value-added unit cost change (step 1), as a log, ln cV_hat_ij:

        cV_hat = [ omega (p_hat_R,i / A_hat_R)^(1-eps) + (1-omega) (w_hat_i / A_hat_L)^(1-eps) ]^(1/(1-eps))

    and, at eps = 1, the Cobb-Douglas limit cV_hat = (p_hat_R/A_hat_R)^omega (w_hat/A_hat_L)^(1-omega).
    One formula covers both and is exact across eps = 1: with a = ln(p_hat_R/A_hat_R),
    b = ln(w_hat/A_hat_L), rho = 1 - eps and z = rho (a - b),

        ln cV_hat = b + log1p(omega expm1(z)) / rho   (-> b + omega (a - b) as rho -> 0),

    so no difference of nearly equal numbers is formed near eps = 1; for |z| > 1 the equivalent
    ln(omega e^z + 1 - omega) is taken as a log-sum-exp, which cannot overflow.
    """
    ln_ree = np.log(p_R_hat)[:, None] - np.log(A_R_hat)
    ln_labour = np.log(w_hat)[:, None] - np.log(A_L_hat)
    rho = np.broadcast_to(1.0 - eps, omega.shape)
    gap = ln_ree - ln_labour
    z = rho * gap
    small = np.abs(z) <= 1.0
    with np.errstate(divide="ignore"):
        log_sum = np.where(
            small,
            np.log1p(omega * np.expm1(np.where(small, z, 0.0))),
            np.logaddexp(np.log(omega) + z, np.log1p(-omega)),
        )
    cobb_douglas = rho == 0.0
    return ln_labour + np.where(cobb_douglas, omega * gap, log_sum / np.where(cobb_douglas, 1.0, rho))


def unit_cost_hat(ln_cV_hat: np.ndarray, ln_P_hat: np.ndarray, beta: np.ndarray, gam: np.ndarray) -> np.ndarray:
    """Unit cost change (step 3), as a log: ln c_hat_ij = beta_ij ln cV_hat_ij + sum_k gam_ijk ln P_hat_ik."""
    return beta * ln_cV_hat + np.matmul(gam, ln_P_hat[:, :, None])[:, :, 0]


def by_sector(pi: np.ndarray) -> np.ndarray:
    """Trade shares pi[n, i, j] laid out as [j, n, i], so that sums over suppliers are batched
    matrix products (:func:`supplier_sum`)."""
    return np.ascontiguousarray(pi.transpose(2, 0, 1))


def supplier_sum(pi_by_sector: np.ndarray, values: np.ndarray) -> np.ndarray:
    """sum_i pi_nij v_ij for every buyer n and sector j, with ``pi_by_sector`` from :func:`by_sector`."""
    return np.matmul(pi_by_sector, values.T[:, :, None])[:, :, 0].T


def buyer_sum(pi_by_sector: np.ndarray, values: np.ndarray) -> np.ndarray:
    """sum_n pi_nij v_nj for every supplier i and sector j (e.g. output Y_ij = sum_n pi_nij X_nj),
    for ``values`` of shape (N, J) or stacked (S, N, J)."""
    stacked = values.reshape(-1, *values.shape[-2:])
    return np.matmul(stacked.transpose(2, 0, 1), pi_by_sector).transpose(1, 2, 0).reshape(values.shape)


def price_index_hat(
    pi: np.ndarray, ln_c_hat: np.ndarray, theta: np.ndarray, ln_trade_cost_hat: np.ndarray | None = None
) -> np.ndarray:
    """Price index change (step 4), as a log: P_hat_nj = [ sum_i pi_nij (c_hat_ij d_hat_nij)^(-theta_j) ]^(-1/theta_j).

    d_hat_nij is an optional iceberg trade-cost change (1 by default; an extension used to compare
    with Caliendo-Parro). Without it the sum is pi_nj . c_hat_j^(-theta_j): N x J exponentials
    and one contraction over suppliers, not N x N x J exponentials. Both are log-sum-exps
    shifted by the largest exponent among suppliers with pi > 0 (of the sector; with d_hat, of
    the buyer and sector); a buyer with no supplier
    (X_nj = 0) gets P_hat = 1.
    """
    if ln_trade_cost_hat is None:
        return _ln_price_index(by_sector(pi), _supplies(pi), ln_c_hat, theta)
    exponent = np.where(pi > 0, -theta * (ln_c_hat[None, :, :] + ln_trade_cost_hat), -np.inf)
    top = exponent.max(axis=1)  # [n, j]
    top = np.where(np.isfinite(top), top, 0.0)
    return _ln_from_sum(np.einsum("nij,nij->nj", pi, np.exp(exponent - top[:, None, :])), top, theta)


def _supplies(pi: np.ndarray) -> np.ndarray:
    """``supplies[i, j]``: country i sells sector j's good to some buyer (pi_nij > 0 for some n)."""
    return np.asarray(np.any(pi > 0, axis=0))


def _ln_price_index(
    pi_by_sector: np.ndarray, supplies: np.ndarray, ln_c_hat: np.ndarray, theta: np.ndarray
) -> np.ndarray:
    """ln P_hat of :func:`price_index_hat` without trade-cost changes; ``supplies[i, j]``: i sells j to someone."""
    exponent = -theta * ln_c_hat  # [i, j]
    top = np.max(np.where(supplies, exponent, -np.inf), axis=0)  # [j]
    top = np.where(np.isfinite(top), top, 0.0)
    return _ln_from_sum(supplier_sum(pi_by_sector, np.exp(exponent - top)), top, theta)


def _ln_from_sum(total: np.ndarray, top: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """ln P_hat = -(ln total + top) / theta where the buyer buys (total > 0), else 0."""
    buys = total > 0
    return np.where(buys, -(np.log(np.where(buys, total, 1.0)) + top) / theta, 0.0)


def solve_price_indices(
    pi: np.ndarray,
    ln_cV_hat: np.ndarray,
    beta: np.ndarray,
    gam: np.ndarray,
    theta: np.ndarray,
    ln_trade_cost_hat: np.ndarray | None = None,
    *,
    tol: float = 1e-12,
    max_iter: int = 10_000,
    ln_P_start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Joint fixed point of steps 3-4 in ln P_hat: iterate P <- price_index_hat(unit_cost_hat(P)).

    The map is a contraction with modulus max_ij (1 - beta_ij) < 1 in the sup norm of ln P_hat
    (Caliendo-Parro 2015, appendix). Starts from ``ln_P_start`` (a warm start, e.g. the previous
    evaluation's prices) or from zero, and stops when the sup-norm change is below ``tol``.
    Returns (ln P_hat, ln c_hat, iterations).
    """
    ln_P = np.zeros_like(ln_cV_hat) if ln_P_start is None else ln_P_start
    pi_by_sector, supplies = by_sector(pi), _supplies(pi)
    for iteration in range(1, max_iter + 1):
        ln_c = unit_cost_hat(ln_cV_hat, ln_P, beta, gam)
        ln_P_next = (
            _ln_price_index(pi_by_sector, supplies, ln_c, theta)
            if ln_trade_cost_hat is None
            else price_index_hat(pi, ln_c, theta, ln_trade_cost_hat)
        )
        change = np.max(np.abs(ln_P_next - ln_P))
        ln_P = ln_P_next
        if change < tol:
            return ln_P, unit_cost_hat(ln_cV_hat, ln_P, beta, gam), iteration
    raise RuntimeError(f"price fixed point did not reach {tol} in {max_iter} iterations (last change {change:.3g})")


def trade_shares_new(
    pi: np.ndarray,
    ln_c_hat: np.ndarray,
    ln_P_hat: np.ndarray,
    theta: np.ndarray,
    ln_trade_cost_hat: np.ndarray | None = None,
) -> np.ndarray:
    """New trade shares (step 5): pi'_nij = pi_nij (c_hat_ij d_hat_nij / P_hat_nj)^(-theta_j).

    Without trade-cost changes the factor separates, pi_nij c_hat_ij^(-theta_j) P_hat_nj^theta_j,
    so only N x J exponentials are formed.
    """
    if ln_trade_cost_hat is None:
        return np.einsum("nij,ij,nj->nij", pi, np.exp(-theta * ln_c_hat), np.exp(theta * ln_P_hat))
    return pi * np.exp(-theta * (ln_c_hat[None, :, :] + ln_trade_cost_hat - ln_P_hat[:, None, :]))


def spending_new(
    pi_new: np.ndarray, gam: np.ndarray, alpha: np.ndarray, fixed_income: np.ndarray, income_per_output: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve the linear spending system (steps 6-7) for X', Y', I'.

        X'_nj = sum_k gam_nkj Y'_nk + alpha_nj I'_n,    Y'_ik = sum_n pi'_nik X'_nk,
        I'_n  = fixed_income_n + sum_k income_per_output_nk Y'_nk,

    where fixed_income holds w'L + p'_R R + D' + (p'_W - p'_R,CHN) R_CHN and income_per_output the
    part of export-tax revenue that falls with China's own REE use,
    -(p'_W - p'_R,CHN) omega'_CHN,k beta_CHN,k / p'_R,CHN (zero elsewhere). Substituting Y' = B X'
    gives (I - (G + alpha t') B) X' = alpha fixed_income, one dense NJ x NJ solve.
    """
    n_regions, n_sectors = alpha.shape
    size = n_regions * n_sectors
    # Rows (n, j), columns (m, k): (G B)[nj, mk] = gam_nkj pi'_mnk and (alpha t' B)[nj, mk] = alpha_nj t_nk pi'_mnk.
    inputs_bought = np.einsum("nkj,mnk->njmk", gam, pi_new)
    income_spent = np.einsum("nj,nk,mnk->njmk", alpha, income_per_output, pi_new)
    system = np.eye(size) - (inputs_bought + income_spent).reshape(size, size)
    X_new = np.linalg.solve(system, (alpha * fixed_income[:, None]).ravel()).reshape(n_regions, n_sectors)
    return _output_and_income(pi_new, X_new, fixed_income, income_per_output)


def spending_new_matrix_free(
    pi_new: np.ndarray,
    gam: np.ndarray,
    alpha: np.ndarray,
    fixed_income: np.ndarray,
    income_per_output: np.ndarray,
    taxed: int,
    X_start: np.ndarray,
    response_start: np.ndarray,
    *,
    tol: float = 1e-14,
    max_iter: int = 10_000,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The spending system of :func:`spending_new` solved without forming its NJ x NJ matrix.

    Only region ``taxed`` (China) has income that moves with output (``income_per_output`` is zero
    in every other row). With the Leontief part A = I - G B, where B X = Y (Y'_ik = sum_n pi'_nik
    X'_nk) and (G Y)_nj = sum_k gam_nkj Y'_nk, the system is a rank-one update of A (Sherman and
    Morrison):

        X' = Z0 + r Z1,   Z0 = A^-1 alpha fixed_income,   Z1 = A^-1 alpha e_taxed,
        r  = t . (B Z0)_taxed / (1 - t . (B Z1)_taxed)      (the output-dependent income of ``taxed``).

    Z0 and Z1 are found together by the iteration Z <- G B Z + rhs, which contracts like the inputs'
    share of output (Leontief's series) whatever the size of the tax, from ``X_start`` and
    ``response_start`` (warm starts: the previous evaluation's X' and Z1), until the largest change
    is below ``tol`` times the largest value. Returns (X', Y', I', Z1).
    """
    others = np.arange(alpha.shape[0]) != taxed
    if np.any(income_per_output[others] != 0):
        raise ValueError("income_per_output must be zero outside the taxed region")
    pi_by_sector = by_sector(pi_new)
    unit_income = np.zeros(alpha.shape[0])
    unit_income[taxed] = 1.0
    rhs = np.stack([alpha * fixed_income[:, None], alpha * unit_income[:, None]])
    Z = np.stack([X_start, response_start])
    for _ in range(max_iter):
        Z_next = input_spending(gam, buyer_sum(pi_by_sector, Z)) + rhs
        change = np.max(np.abs(Z_next - Z), axis=(1, 2))
        Z = Z_next
        if np.all(change <= tol * np.max(np.abs(Z), axis=(1, 2))):
            break
    else:
        raise RuntimeError(
            f"spending iteration did not reach {tol} in {max_iter} steps (last change {change.max():.3g})"
        )
    revenue = (income_per_output[taxed] * buyer_sum(pi_by_sector, Z)[:, taxed]).sum(axis=1)
    X_new = Z[0] + revenue[0] / (1.0 - revenue[1]) * Z[1]
    return (*_output_and_income(pi_new, X_new, fixed_income, income_per_output), Z[1])


def input_spending(gam: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Spending on inputs (G Y)_nj = sum_k gam_nkj Y_nk, for Y of shape (N, J) or stacked (S, N, J)."""
    stacked = Y.reshape(-1, *gam.shape[:2])
    return np.matmul(stacked.transpose(1, 0, 2), gam).transpose(1, 0, 2).reshape(Y.shape)


def _output_and_income(
    pi_new: np.ndarray, X_new: np.ndarray, fixed_income: np.ndarray, income_per_output: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X', Y', I') with Y'_ik = sum_n pi'_nik X'_nk and I'_n = fixed_income_n + sum_k t_nk Y'_nk."""
    Y_new = np.einsum("nik,nk->ik", pi_new, X_new)
    return X_new, Y_new, fixed_income + (income_per_output * Y_new).sum(axis=1)


def ree_demand(omega_new: np.ndarray, beta: np.ndarray, Y_new: np.ndarray, p_R_new: np.ndarray) -> np.ndarray:
    """REE quantity demanded by region (step 7): q'_n = sum_j omega'_nj beta_nj Y'_nj / p'_R,n."""
    return (omega_new * beta * Y_new).sum(axis=1) / p_R_new


def labour_demand(omega_new: np.ndarray, beta: np.ndarray, Y_new: np.ndarray) -> np.ndarray:
    """Labour income demanded by region (step 8): sum_j (1 - omega'_nj) beta_nj Y'_nj."""
    return ((1.0 - omega_new) * beta * Y_new).sum(axis=1)
