"""Solve the GE model in changes for an REE export tax or quota: IPOPT and a damped fixed point.

Outer unknowns: wage changes w_hat (N), the world REE price change p_hat_W and, under a quota,
the tax wedge 1 + tau. Each evaluation solves the inner price fixed point (steps 3-4) to 1e-13 and
the linear spending system (steps 6-7), directly (a dense NJ x NJ solve) for small tables or
matrix-free for large ones (:class:`SolverOptions`), both warm-started from the previous
evaluation of the same solve. The square outer system (step 8) is

    labour markets of regions 1..N-1:   [sum_j (1-omega'_nj) beta_nj Y'_nj - w_hat_n w_n L_n] / (w_n L_n) = 0
    world REE market:                    [sum_n q'_n - sum_n R_n] / sum_n R_n = 0
    numeraire:                           [sum_n a_n w_hat_n w_n L_n - sum_n a_n w_n L_n] / sum_n a_n w_n L_n = 0
    quota (only under a quota):          [exports'_CHN - quota exports_CHN] / exports_CHN = 0

with numeraire weights a (world labour income by default, a = 1). Region N's labour market then
holds by Walras' law. Residuals are scaled by the baseline so that they are relative errors.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from ree_assets.core.ge.calibrate import Baseline
from ree_assets.core.ge.model import (
    labour_demand,
    ree_demand,
    ree_share_new,
    solve_price_indices,
    spending_new,
    spending_new_matrix_free,
    technology_hats,
    trade_shares_new,
    value_added_cost_hat,
)


class ChinaNetImporterError(ValueError):
    """The export tax is so high that China's own REE demand would exceed its endowment."""


class EquilibriumNotFoundError(RuntimeError):
    """A solver stopped without meeting its tolerance."""


@dataclass(frozen=True)
class ExportTax:
    """Ad-valorem tax on REEs leaving China: p'_R,CHN = p'_W / (1 + rate)."""

    rate: float


@dataclass(frozen=True)
class ExportQuota:
    """China's REE exports capped at ``fraction`` of baseline exports (July 2010 cut: 0.28)."""

    fraction: float = 0.28


Instrument = ExportTax | ExportQuota


@dataclass(frozen=True)
class Shocks:
    """Exogenous changes besides the instrument: iceberg trade costs d_hat (N, N, J) [buyer, seller,
    sector] (an extension, for the Caliendo-Parro comparison) and the numeraire weights a (N,)."""

    trade_cost_hat: np.ndarray | None = None
    numeraire_weights: np.ndarray | None = None


@dataclass(frozen=True)
class SolverOptions:
    """Settings of both solvers.

    tol: largest abs scaled residual of a solution, every labour market included (the stated
    tolerance; IPOPT is run at tol / 10 so that the market it drops meets it too); price_tol:
    inner fixed point (sup norm of ln P_hat change, tighter than the spec's 1e-12 so that the outer
    residuals can reach ``tol`` above their noise); spending_tol: matrix-free spending iteration
    (largest change over largest X'); spending: "direct" (dense solve), "matrix_free", or "auto"
    (direct up to ``direct_max_size`` unknowns N x J); warm_start: start each evaluation's inner
    solves from the previous evaluation's prices and spending (else from the baseline); damping:
    the Alvarez-Lucas step nu of the fixed point, in (0, 1]; fd_step: relative forward-difference
    step of IPOPT's first Jacobian; fd_inner_tol: price and spending tolerance of its perturbed
    evaluations (an error of about fd_inner_tol / fd_step in the first Jacobian, which Broyden's
    updates correct: on WIOD 2009 it costs IPOPT one or two iterations and saves a third of the
    time); max_iter: fixed-point iterations; ipopt_max_iter:
    IPOPT iterations per solve; continuation_steps: most solves of the continuation.
    """

    tol: float = 1e-11
    price_tol: float = 1e-13
    spending_tol: float = 1e-14
    spending: Literal["auto", "direct", "matrix_free"] = "auto"
    direct_max_size: int = 400
    warm_start: bool = True
    max_iter: int = 5_000
    ipopt_max_iter: int = 200
    damping: float = 0.5
    fd_step: float = 1e-7
    fd_inner_tol: float = 1e-10
    continuation_steps: int = 64

    def __post_init__(self):
        if not 0 < self.damping <= 1:
            raise ValueError(f"damping must be in (0, 1], got {self.damping}")
        if self.spending not in ("auto", "direct", "matrix_free"):
            raise ValueError(f"unknown spending solve {self.spending!r}: 'auto', 'direct' or 'matrix_free'")

    def direct_spending(self, size: int) -> bool:
        """Whether the spending system of ``size`` unknowns is solved directly."""
        return self.spending == "direct" or (self.spending == "auto" and size <= self.direct_max_size)


@dataclass(frozen=True)
class Equilibrium:
    """Counterfactual in changes (hats x'/x) and new levels (USD million at baseline prices).

    w_hat, p_R_hat (N,); p_W_hat; tau (given, or the tax-equivalent of a quota); P_hat, omega_new,
    A_R_hat, A_L_hat, X_new, Y_new (N, J); pi_new (N, N, J); income_new, ree_demand_new (N,);
    china_exports_new; solver bookkeeping: iterations, residual_norm (max abs scaled residual,
    all N labour markets included), tolerance (the stated one), wall_time (s), solver, status
    (the solver's own word: IPOPT's return message, or "converged"); spending_response (N, J), the
    change in X' per unit of China's income, kept by the matrix-free spending solve to warm-start
    the next one (None after a direct solve).
    """

    w_hat: np.ndarray
    p_W_hat: float
    p_R_hat: np.ndarray
    tau: float
    P_hat: np.ndarray
    omega_new: np.ndarray
    A_R_hat: np.ndarray
    A_L_hat: np.ndarray
    pi_new: np.ndarray
    X_new: np.ndarray
    Y_new: np.ndarray
    income_new: np.ndarray
    ree_demand_new: np.ndarray
    labour_demand_new: np.ndarray
    china_exports_new: float
    iterations: int = 0
    residual_norm: float = np.nan
    tolerance: float = np.nan
    wall_time: float = np.nan
    solver: str = ""
    status: str = ""
    spending_response: np.ndarray | None = None

    @property
    def converged(self) -> bool:
        """Every scaled residual (the dropped labour market included) within the stated tolerance."""
        return bool(self.residual_norm <= self.tolerance)


def evaluate(
    baseline: Baseline,
    w_hat: np.ndarray,
    p_W_hat: float,
    wedge: float,
    shocks: Shocks = Shocks(),
    options: SolverOptions = SolverOptions(),
    start: Equilibrium | None = None,
) -> Equilibrium:
    """Steps 1-7 at given wages, world REE price and tax wedge 1 + tau (no market clearing).

    The price fixed point and the spending solve start from ``start`` (a nearby evaluated state)
    when ``options.warm_start``, else from the baseline (hats 1, X' = X).
    """
    par, china = baseline.parameters, baseline.china
    warm = start if options.warm_start else None
    p_R_hat = np.full(len(w_hat), p_W_hat)
    p_R_hat[china] = p_W_hat / wedge
    omega_new = ree_share_new(par.omega, par.eps, par.kappa, p_R_hat, w_hat)
    A_R_hat, A_L_hat = technology_hats(par.omega, omega_new, par.kappa)
    ln_cV_hat = value_added_cost_hat(par.omega, par.eps, p_R_hat, w_hat, A_R_hat, A_L_hat)
    ln_d_hat = None if shocks.trade_cost_hat is None else np.log(shocks.trade_cost_hat)
    ln_P_hat, ln_c_hat, _ = solve_price_indices(
        baseline.pi,
        ln_cV_hat,
        baseline.beta,
        baseline.gam,
        par.theta,
        ln_d_hat,
        tol=options.price_tol,
        ln_P_start=None if warm is None else np.log(warm.P_hat),
    )
    pi_new = trade_shares_new(baseline.pi, ln_c_hat, ln_P_hat, par.theta, ln_d_hat)
    labour_income_new = w_hat * baseline.labour_income
    deficit_new = baseline.deficit * labour_income_new.sum() / baseline.labour_income.sum()
    tax_margin = p_W_hat - p_R_hat[china]
    fixed_income = labour_income_new + p_R_hat * baseline.ree_endowment + deficit_new
    fixed_income[china] += tax_margin * baseline.ree_endowment[china]
    income_per_output = np.zeros_like(baseline.beta)
    income_per_output[china] = -tax_margin * omega_new[china] * baseline.beta[china] / p_R_hat[china]
    response = None
    if options.direct_spending(baseline.beta.size):
        X_new, Y_new, income_new = spending_new(pi_new, baseline.gam, baseline.alpha, fixed_income, income_per_output)
    else:
        response_start = None if warm is None else warm.spending_response
        X_new, Y_new, income_new, response = spending_new_matrix_free(
            pi_new,
            baseline.gam,
            baseline.alpha,
            fixed_income,
            income_per_output,
            china,
            baseline.X if warm is None else warm.X_new,
            np.zeros_like(baseline.X) if response_start is None else response_start,
            tol=options.spending_tol,
        )
    q_new = ree_demand(omega_new, baseline.beta, Y_new, p_R_hat)
    return Equilibrium(
        w_hat=w_hat,
        p_W_hat=float(p_W_hat),
        p_R_hat=p_R_hat,
        tau=float(wedge - 1.0),
        P_hat=np.exp(ln_P_hat),
        omega_new=omega_new,
        A_R_hat=A_R_hat,
        A_L_hat=A_L_hat,
        pi_new=pi_new,
        X_new=X_new,
        Y_new=Y_new,
        income_new=income_new,
        ree_demand_new=q_new,
        labour_demand_new=labour_demand(omega_new, baseline.beta, Y_new),
        china_exports_new=float(baseline.ree_endowment[china] - q_new[china]),
        spending_response=response,
    )


def labour_residuals(baseline: Baseline, state: Equilibrium) -> np.ndarray:
    """Scaled excess labour demand of every region (the last one is implied by Walras' law)."""
    return state.labour_demand_new / baseline.labour_income - state.w_hat


def outer_residuals(
    baseline: Baseline, state: Equilibrium, instrument: Instrument, shocks: Shocks = Shocks()
) -> np.ndarray:
    """The square outer system of the module docstring at an evaluated state."""
    weights = np.ones_like(baseline.labour_income) if shocks.numeraire_weights is None else shocks.numeraire_weights
    weighted_labour = weights * baseline.labour_income
    equations: list[np.ndarray | list[float]] = [
        labour_residuals(baseline, state)[:-1],
        [state.ree_demand_new.sum() / baseline.ree_endowment.sum() - 1.0],
        [weighted_labour @ state.w_hat / weighted_labour.sum() - 1.0],
    ]
    if isinstance(instrument, ExportQuota):
        equations.append([state.china_exports_new / baseline.china_exports - instrument.fraction])
    return np.concatenate(equations)


def _finish(
    baseline: Baseline,
    state: Equilibrium,
    instrument: Instrument,
    shocks: Shocks,
    *,
    iterations: int,
    started: float,
    solver: str,
    status: str,
    tol: float,
) -> Equilibrium:
    """Attach bookkeeping (residual norm over every equation, the dropped labour market included;
    the stated tolerance; the solver's status), or raise if China would become a net importer."""
    residuals = np.concatenate(
        [outer_residuals(baseline, state, instrument, shocks), labour_residuals(baseline, state)[-1:]]
    )
    if isinstance(instrument, ExportTax) and state.china_exports_new < 0:
        raise ChinaNetImporterError(
            f"export tax tau = {instrument.rate}: China's REE demand {state.ree_demand_new[baseline.china]:.6g} "
            f"would exceed its endowment {baseline.ree_endowment[baseline.china]:.6g} (USD million at baseline "
            f"prices), so China would become a net importer and the tax on its exports cannot bind; "
            f"use a lower tau"
        )
    return replace(
        state,
        iterations=iterations,
        residual_norm=float(np.max(np.abs(residuals))),
        tolerance=tol,
        wall_time=time.perf_counter() - started,
        solver=solver,
        status=status,
    )


def _unpack(x: np.ndarray, n_regions: int, instrument: Instrument) -> tuple[np.ndarray, float, float]:
    """Outer vector (w_hat, p_hat_W[, 1 + tau]) -> (w_hat, p_hat_W, 1 + tau)."""
    wedge = x[n_regions + 1] if isinstance(instrument, ExportQuota) else 1.0 + instrument.rate
    return x[:n_regions], float(x[n_regions]), float(wedge)


def _initial_point(n_regions: int, instrument: Instrument, start: Equilibrium | None) -> np.ndarray:
    """All hats 1 (tau = 0 under a quota), or a previous solution (warm start)."""
    x: list[np.ndarray | list[float]]
    if start is None:
        x = [np.ones(n_regions), [1.0]]
    else:
        x = [start.w_hat, [start.p_W_hat]]
    if isinstance(instrument, ExportQuota):
        x.append([1.0 if start is None else 1.0 + start.tau])
    return np.concatenate(x)


class _OuterSystem:
    """cyipopt problem: zero objective, the outer residuals as equality constraints, a dense
    quasi-Newton Jacobian (see :meth:`jacobian`). The last evaluation is cached, and every
    evaluation's inner solves start from the last state evaluated at an IPOPT point."""

    def __init__(self, baseline: Baseline, instrument: Instrument, shocks: Shocks, options: SolverOptions):
        self.baseline, self.instrument, self.shocks, self.options = baseline, instrument, shocks, options
        self.evaluations = 0
        self.iterations = 0
        self._cache: tuple[bytes, Equilibrium | None, np.ndarray] | None = None
        self._jacobian: np.ndarray | None = None
        self._last_x = self._last_g = np.empty(0)

    def state(
        self, x: np.ndarray, start: Equilibrium | None = None, options: SolverOptions | None = None
    ) -> Equilibrium:
        w_hat, p_W_hat, wedge = _unpack(x, self.baseline.labour_income.size, self.instrument)
        self.evaluations += 1
        return evaluate(self.baseline, w_hat.copy(), p_W_hat, wedge, self.shocks, options or self.options, start)

    def _evaluated(self, x: np.ndarray) -> tuple[Equilibrium | None, np.ndarray]:
        """State and residuals at x. A trial point where the model cannot be evaluated (prices so
        extreme that the inner solves overflow) gets NaN residuals, which IPOPT treats as an
        evaluation error and answers by shortening its step; the last good state stays the warm start."""
        key = x.tobytes()
        if self._cache is None or self._cache[0] != key:
            previous = None if self._cache is None else self._cache[1]
            state: Equilibrium | None
            try:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    state = self.state(x, previous)
                    residuals = outer_residuals(self.baseline, state, self.instrument, self.shocks)
            except RuntimeError:
                state, residuals = previous, np.full(x.size, np.nan)
            if not np.all(np.isfinite(residuals)):
                state, residuals = previous, np.full(x.size, np.nan)
            self._cache = (key, state, residuals)
        return self._cache[1], self._cache[2]

    def solution(self, x: np.ndarray) -> Equilibrium:
        state = self._evaluated(x)[0]
        if state is None:
            raise EquilibriumNotFoundError("ipopt ended at a point where the model could not be evaluated")
        return state

    def constraints(self, x: np.ndarray) -> np.ndarray:
        return self._evaluated(x)[1]

    def objective(self, x: np.ndarray) -> float:
        return 0.0

    def gradient(self, x: np.ndarray) -> np.ndarray:
        return np.zeros_like(x)

    def intermediate(self, alg_mod, iter_count, *args) -> bool:
        self.iterations = int(iter_count)
        return True

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """Forward differences at the first point IPOPT asks for (each column warm-started from
        that point's state), Broyden's rank-one update J += (dg - J dx) dx' / dx'dx at every later
        point (one evaluation instead of N + 2)."""
        state, base = self._evaluated(x)
        if self._jacobian is None:
            columns, loose = (
                [],
                replace(self.options, price_tol=self.options.fd_inner_tol, spending_tol=self.options.fd_inner_tol),
            )
            for j in range(x.size):
                step = self.options.fd_step * max(1.0, abs(x[j]))
                shifted = x.copy()
                shifted[j] += step
                columns.append(
                    (
                        outer_residuals(self.baseline, self.state(shifted, state, loose), self.instrument, self.shocks)
                        - base
                    )
                    / step
                )
            self._jacobian = np.column_stack(columns)
        else:
            dx, dg = x - self._last_x, base - self._last_g
            if dx @ dx > 0:
                self._jacobian = self._jacobian + np.outer(dg - self._jacobian @ dx, dx) / (dx @ dx)
        self._last_x, self._last_g = x.copy(), base.copy()
        return self._jacobian.ravel()


#: IPOPT return codes after which the point is kept and judged by its residuals (0 solved, 1 solved
#: to an acceptable level); any other code is a failure.
_IPOPT_FINISHED = (0, 1)


def _solve_ipopt_from(
    baseline: Baseline, instrument: Instrument, shocks: Shocks, options: SolverOptions, start: Equilibrium | None
) -> Equilibrium:
    """One IPOPT solve of the square outer system: min 0 s.t. residuals(x) = 0, x > 0.

    Unknowns w_hat, p_hat_W (and 1 + tau under a quota), bounded below by 1e-10. IPOPT runs with
    a limited-memory Hessian (the objective is zero, so only constraint curvature matters), the
    forward-difference-then-Broyden Jacobian of :class:`_OuterSystem` and tolerance tol / 10.
    IPOPT's "acceptable" stop is returned with its status and residual (``converged`` is then
    usually False); any other failure raises :class:`EquilibriumNotFoundError`.
    """
    import cyipopt

    started = time.perf_counter()
    n_regions = baseline.labour_income.size
    x0 = _initial_point(n_regions, instrument, start)
    system = _OuterSystem(baseline, instrument, shocks, options)
    problem = cyipopt.Problem(
        n=x0.size,
        m=x0.size,
        problem_obj=system,
        lb=np.full(x0.size, 1e-10),
        ub=np.full(x0.size, 1e20),
        cl=np.zeros(x0.size),
        cu=np.zeros(x0.size),
    )
    for name, value in (
        ("print_level", 0),
        ("sb", "yes"),
        ("tol", options.tol / 10),
        ("constr_viol_tol", options.tol / 10),
        ("hessian_approximation", "limited-memory"),
        ("max_iter", options.ipopt_max_iter),
        ("mu_strategy", "adaptive"),
    ):
        problem.add_option(name, value)
    x, info = problem.solve(x0)
    message = info["status_msg"].decode() if isinstance(info["status_msg"], bytes) else str(info["status_msg"])
    if info["status"] not in _IPOPT_FINISHED:
        raise EquilibriumNotFoundError(
            f"ipopt did not converge for {instrument}: status {info['status']} "
            f"({message}) after {system.iterations} iterations"
        )
    return _finish(
        baseline,
        system.solution(x),
        instrument,
        shocks,
        iterations=system.iterations,
        started=started,
        solver="ipopt",
        status=message,
        tol=options.tol,
    )


def partial_instrument(instrument: Instrument, step: float) -> Instrument:
    """The instrument a fraction ``step`` in [0, 1] of the way from no policy: tax step x tau,
    quota 1 - step (1 - fraction)."""
    if isinstance(instrument, ExportTax):
        return ExportTax(step * instrument.rate)
    return ExportQuota(1.0 - step * (1.0 - instrument.fraction))


def solve_ipopt(
    baseline: Baseline,
    instrument: Instrument,
    shocks: Shocks = Shocks(),
    options: SolverOptions = SolverOptions(),
    start: Equilibrium | None = None,
) -> Equilibrium:
    """Solve the outer system with IPOPT, from ``start`` (or the baseline, all hats 1).

    Where IPOPT fails or stops short of ``options.tol`` from a cold start, it is solved by
    adaptive continuation: the instrument is tightened from no policy toward its level
    (:func:`partial_instrument`), each IPOPT solve warm-started from the last one that met the
    tolerance; a step that fails is halved, a step that succeeds is doubled (first step 1/4), and
    more than ``options.continuation_steps`` solves is an error. The iterations reported are
    those of every solve; the time includes the cold start.
    """
    started = time.perf_counter()
    try:
        direct = _solve_ipopt_from(baseline, instrument, shocks, options, start)
        if direct.converged or start is not None:
            return direct
    except EquilibriumNotFoundError:
        if start is not None:
            raise
    solution: Equilibrium | None = None
    reached, step, iterations = 0.0, 0.25, 0
    for _ in range(options.continuation_steps):
        target = min(1.0, reached + step)
        try:
            trial = _solve_ipopt_from(baseline, partial_instrument(instrument, target), shocks, options, solution)
        except EquilibriumNotFoundError:
            trial = None
        iterations += 0 if trial is None else trial.iterations
        if trial is None or not trial.converged:
            step /= 2
            continue
        solution, reached, step = trial, target, 2 * step
        if reached == 1.0:
            return replace(solution, iterations=iterations, wall_time=time.perf_counter() - started)
    raise EquilibriumNotFoundError(
        f"ipopt did not converge for {instrument}, not even by continuation "
        f"(reached {reached:.3g} of the way in {options.continuation_steps} solves)"
    )


def solve_fixed_point(
    baseline: Baseline,
    instrument: Instrument,
    shocks: Shocks = Shocks(),
    options: SolverOptions = SolverOptions(),
    start: Equilibrium | None = None,
) -> Equilibrium:
    """Damped fixed point (Alvarez and Lucas 2007 excess-demand update) as an independent cross-check.

        w_hat_n <- w_hat_n [1 + nu (LD'_n / (w_hat_n w_n L_n) - 1)],  then rescaled to the numeraire,
        p_hat   <- p_hat (q' / supply)^nu   for each REE market,

    with nu = ``options.damping``, one world REE market under a tax (p_hat_R,CHN = p_hat_W / (1 + tau));
    under a quota two markets clear separately, China's (supply R_CHN - E) and the rest of the world's
    (supply sum_{n != CHN} R_n + E), E = quota x baseline exports, and the tax-equivalent is
    tau = p_hat_W / p_hat_R,CHN - 1. Each evaluation's inner solves start from the previous one's and
    are solved as tightly as the outer residual needs (1e-2 of it for prices, 1e-3 for spending,
    never looser than 1e-6 nor tighter than ``options.price_tol`` and ``options.spending_tol``), so
    the last iterations, which decide convergence, are as exact as IPOPT's evaluations.
    Stops when every scaled residual is below ``options.tol``; raises
    :class:`EquilibriumNotFoundError` after ``options.max_iter`` iterations.
    """
    started = time.perf_counter()
    nu, china, endowment = options.damping, baseline.china, baseline.ree_endowment
    weights = np.ones_like(baseline.labour_income) if shocks.numeraire_weights is None else shocks.numeraire_weights
    weighted_labour = weights * baseline.labour_income
    x = _initial_point(endowment.size, instrument, start)
    w_hat, p_W_hat, wedge = _unpack(x, endowment.size, instrument)
    w_hat = w_hat.copy()
    abroad = np.arange(endowment.size) != china
    state, norm = start, np.inf
    for iteration in range(1, options.max_iter + 1):
        inner = replace(
            options,
            price_tol=max(options.price_tol, min(1e-6, 1e-2 * norm)),
            spending_tol=max(options.spending_tol, min(1e-6, 1e-3 * norm)),
        )
        state = evaluate(baseline, w_hat, p_W_hat, wedge, shocks, inner, state)
        residuals = np.concatenate(
            [outer_residuals(baseline, state, instrument, shocks), labour_residuals(baseline, state)[-1:]]
        )
        norm = float(np.max(np.abs(residuals)))
        if norm < options.tol:
            return _finish(
                baseline,
                state,
                instrument,
                shocks,
                iterations=iteration,
                started=started,
                solver="fixed_point",
                status="converged",
                tol=options.tol,
            )
        w_hat = w_hat * (1.0 + nu * (state.labour_demand_new / (w_hat * baseline.labour_income) - 1.0))
        w_hat *= weighted_labour.sum() / (weighted_labour @ w_hat)
        demand = state.ree_demand_new
        if isinstance(instrument, ExportQuota):
            quota_exports = instrument.fraction * baseline.china_exports
            p_china = state.p_R_hat[china] * (demand[china] / (endowment[china] - quota_exports)) ** nu
            p_W_hat *= (demand[abroad].sum() / (endowment[abroad].sum() + quota_exports)) ** nu
            wedge = p_W_hat / p_china
        else:
            p_W_hat *= (demand.sum() / endowment.sum()) ** nu
    raise EquilibriumNotFoundError(
        f"fixed_point did not converge for {instrument}: residual {norm:.3g} "
        f"after {options.max_iter} iterations (damping {nu})"
    )


def max_abs_difference(a: Equilibrium, b: Equilibrium) -> float:
    """Largest absolute difference between two solutions' hats (w, p_W, p_R, P, omega', A_R, A_L, pi')
    and relative difference in new levels (X', Y')."""
    hats = ("w_hat", "p_R_hat", "P_hat", "omega_new", "A_R_hat", "A_L_hat", "pi_new")
    diffs = [np.max(np.abs(getattr(a, name) - getattr(b, name))) for name in hats]
    diffs += [abs(a.p_W_hat - b.p_W_hat)]
    diffs += [
        np.max(np.abs(getattr(a, name) - getattr(b, name)) / np.maximum(np.abs(getattr(b, name)), 1.0))
        for name in ("X_new", "Y_new")
    ]
    return float(max(diffs))


def tax_sweep(
    baseline: Baseline,
    rates: np.ndarray,
    solver=solve_ipopt,
    shocks: Shocks = Shocks(),
    options: SolverOptions = SolverOptions(),
) -> list[Equilibrium]:
    """Solve for each export-tax rate in order, warm-starting each solve from the previous one."""
    solutions: list[Equilibrium] = []
    for rate in rates:
        solutions.append(
            solver(baseline, ExportTax(float(rate)), shocks, options, solutions[-1] if solutions else None)
        )
    return solutions
