"""Structural estimation of the REE-labour elasticities of substitution eps_j (``specs/ge_model.md``).

Steps 1-2 of the GE model (research effort follows bundle spending, s_R = omega) imply for the
direction of research in sector j and year t

    ln(P_R / P_L)_jt = a_j + (1 - eps_j) [ ln(p_R,jt / w_t) - lambda ln(K_R / K_L)_j,t-1 ] + u_jt,

with P_R, P_L the flows of REE-enhancing and other patents, K_R, K_L their knowledge stocks (the
proxy for A_R / A_L, with its own slope lambda), p_R,jt the sector's REE price index and w_t a
manufacturing wage index. The eps_j are estimated jointly by constrained least squares in cvxpy:

    min_{a, eps, c}  (1/n) sum_jt u_jt^2 + rho (1/J) sum_j (eps_j - mean(eps))^2
    s.t.  eps_min <= eps_j <= eps_max,

with sector fixed effects a_j, optional sector trends c_j (t - tbar_j) inside u's mean, never year
effects (they would absorb the common price variation). lambda is profiled: the problem is solved
on a grid of lambda and refined by a bounded scalar search around the best grid point.
Confidence intervals are percentile bootstrap intervals from resampling years within sectors
(every draw re-profiles lambda). Stability diagnostics (a slope-drift F test and split-sample
estimates) reveal a world in which eps drifts over time.

The stocks follow the perpetual inventory K_t = (1 - delta) K_t-1 + P_t from K_first = P_first /
delta (the steady state of a constant flow), so each sector's first year has no lagged stock and
is dropped from the regression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ree_assets.core.ge.calibrate import PUBLISHED_EPS
from ree_assets.errors import DataValidationError

PANEL_TABLE = "ge_innovation_panel"

#: The 12 manufacturing sectors of the GE model (canonical names, in the AFSV order).
GE_MANUFACTURING_SECTORS: tuple[str, ...] = tuple(PUBLISHED_EPS)


def published_elasticities() -> dict[str, float]:
    """AFSV's published eps_j by GE manufacturing sector (transport equipment 0.75 ... textiles 1.28)."""
    return dict(PUBLISHED_EPS)


def choose_elasticities(choice: str | Mapping[str, float] = "published",
                        estimated: pl.DataFrame | None = None) -> dict[str, float]:
    """The eps_j the GE model uses: ``'published'`` (default), ``'estimated'`` (the ``eps_hat``
    column of an :func:`estimate_elasticities` table, passed as ``estimated``) or a user mapping
    sector -> eps that overrides the published values for the sectors it names."""
    published = published_elasticities()
    if choice == "published":
        return published
    if choice == "estimated":
        if estimated is None:
            raise ValueError("choice 'estimated' needs the estimated elasticities table")
        chosen = dict(zip(estimated["sector"].to_list(), estimated["eps_hat"].to_list()))
        if missing := set(published) - set(chosen):
            raise DataValidationError("ree_elasticities", "every GE manufacturing sector is estimated",
                                      row=sorted(missing)[0])
        return {sector: float(chosen[sector]) for sector in published}
    if isinstance(choice, Mapping):
        if unknown := set(choice) - set(published):
            raise ValueError(f"unknown GE sectors in the elasticity mapping: {sorted(unknown)}")
        if bad := {s: v for s, v in choice.items() if not v > 0}:
            raise ValueError(f"elasticities must be positive: {bad}")
        return {**published, **{sector: float(value) for sector, value in choice.items()}}
    raise ValueError(f"unknown elasticity choice {choice!r}: 'published', 'estimated' or a mapping")


def knowledge_stock(flows: np.ndarray, depreciation: float) -> np.ndarray:
    """Perpetual-inventory stocks along axis 0: K_t = (1 - delta) K_t-1 + P_t, K_0 = P_0 / delta."""
    if not 0 < depreciation <= 1:
        raise ValueError(f"depreciation must be in (0, 1], got {depreciation}")
    flows = np.asarray(flows, dtype=np.float64)
    stocks = np.empty_like(flows)
    stocks[0] = flows[0] / depreciation
    for t in range(1, len(flows)):
        stocks[t] = (1 - depreciation) * stocks[t - 1] + flows[t]
    return stocks


@dataclass(frozen=True)
class EstimationOptions:
    """Settings of :func:`estimate_elasticities`."""

    eps_min: float = 0.2
    eps_max: float = 3.0
    ridge: float = 0.0
    lambda_grid: tuple[float, ...] = tuple(np.round(np.linspace(0.0, 1.5, 16), 3))
    depreciation: float = 0.15
    sector_trends: bool = False
    n_bootstrap: int = 199
    ci_level: float = 0.95
    seed: int = 0
    solver: str = "CLARABEL"


@dataclass(frozen=True)
class ElasticityEstimate:
    """Estimated eps_j (``table``: sector, eps_hat, ci_low, ci_high, std_error, fixed_effect,
    at_bound, n_obs) with lambda and the solve's summary."""

    table: pl.DataFrame
    lambda_hat: float
    lambda_ci: tuple[float, float]
    objective: float
    solver_status: str
    n_obs: int
    n_bootstrap: int
    lambda_profile: pl.DataFrame = field(repr=False)


def regression_panel(panel: pl.DataFrame, depreciation: float) -> pl.DataFrame:
    """The regression variables per (sector, year) from the innovation panel.

    ``log_patent_ratio`` = ln(P_R / P_L), ``log_price_ratio`` = ln(p_R / w) and
    ``lagged_log_stock_ratio`` = ln(K_R / K_L) of the previous year; each sector's first year (no
    lagged stock) is dropped. Flows must be positive and years consecutive within a sector.
    """
    required = ["sector", "year", "ree_enhancing_flow", "non_ree_flow", "ree_price_index", "wage_index"]
    if missing := [c for c in required if c not in panel.columns]:
        raise DataValidationError(PANEL_TABLE, "has the innovation panel columns", column=missing[0])
    ordered = panel.sort("sector", "year")
    for column in required[2:]:
        bad = ordered.filter(~(pl.col(column) > 0))
        if bad.height:
            raise DataValidationError(PANEL_TABLE, f"{column} > 0 (it enters a log)",
                                      row=(bad["sector"][0], bad["year"][0]), column=column)
    frames = []
    for (sector,), rows in ordered.group_by("sector", maintain_order=True):
        years = rows["year"].to_numpy()
        if np.any(np.diff(years) != 1):
            raise DataValidationError(PANEL_TABLE, "consecutive years within a sector", row=sector)
        k_r = knowledge_stock(rows["ree_enhancing_flow"].to_numpy(), depreciation)
        k_l = knowledge_stock(rows["non_ree_flow"].to_numpy(), depreciation)
        frames.append(pl.DataFrame({
            "sector": sector, "year": years[1:],
            "log_patent_ratio": np.log(rows["ree_enhancing_flow"] / rows["non_ree_flow"]).to_numpy()[1:],
            "log_price_ratio": np.log(rows["ree_price_index"] / rows["wage_index"]).to_numpy()[1:],
            "lagged_log_stock_ratio": np.log(k_r / k_l)[:-1],
        }))
    return pl.concat(frames)


@dataclass(frozen=True)
class _Design:
    """Regression arrays, rows grouped by sector: sector index, y, price term, stock term, time."""

    sectors: tuple[str, ...]
    sector_index: np.ndarray
    y: np.ndarray
    price: np.ndarray
    stock: np.ndarray
    time: np.ndarray

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> _Design:
        sectors = tuple(frame["sector"].unique(maintain_order=True).to_list())
        index = frame["sector"].replace_strict({s: k for k, s in enumerate(sectors)},
                                               return_dtype=pl.Int64).to_numpy()
        years = frame["year"].to_numpy().astype(np.float64)
        centred = years - np.array([years[index == k].mean() for k in range(len(sectors))])[index]
        return cls(sectors, index, frame["log_patent_ratio"].to_numpy(),
                   frame["log_price_ratio"].to_numpy(), frame["lagged_log_stock_ratio"].to_numpy(),
                   centred)

    def take(self, rows: np.ndarray) -> _Design:
        """The design restricted to (or resampled at) ``rows``."""
        return _Design(self.sectors, self.sector_index[rows], self.y[rows], self.price[rows],
                       self.stock[rows], self.time[rows])

    def by_sector(self, values: np.ndarray) -> np.ndarray:
        """An (n x J) matrix with ``values`` in each row's own sector column, zero elsewhere."""
        matrix = np.zeros((len(self.y), len(self.sectors)))
        matrix[np.arange(len(self.y)), self.sector_index] = values
        return matrix


class _ConstrainedLeastSquares:
    """The cvxpy problem for a fixed row layout, compiled once and re-solved for new data (DPP)."""

    def __init__(self, design: _Design, options: EstimationOptions):
        import cvxpy as cp  # imported here: cvxpy is slow to import and the world generator needs this module

        n, j = len(design.y), len(design.sectors)
        self.options = options
        self.y = cp.Parameter(n)
        self.slope_design = cp.Parameter((n, j))
        self.trend_design = cp.Parameter((n, j))
        self.fixed_effect = cp.Variable(j)
        self.eps = cp.Variable(j)
        self.trend = cp.Variable(j)
        fitted = design.by_sector(np.ones(n)) @ self.fixed_effect + self.slope_design @ (1 - self.eps)
        if options.sector_trends:
            fitted = fitted + self.trend_design @ self.trend
        objective = cp.sum_squares(self.y - fitted) / n
        if options.ridge > 0:
            objective = objective + options.ridge * cp.sum_squares(self.eps - cp.sum(self.eps) / j) / j
        constraints = [self.eps >= options.eps_min, self.eps <= options.eps_max]
        if not options.sector_trends:
            constraints.append(self.trend == 0)
        self.problem = cp.Problem(cp.Minimize(objective), constraints)

    def solve(self, design: _Design, lam: float) -> float:
        """Solve at slope parameter ``lam`` for ``design`` (same layout); return the objective."""
        self.y.value = design.y
        self.slope_design.value = design.by_sector(design.price - lam * design.stock)
        self.trend_design.value = design.by_sector(design.time)
        self.problem.solve(solver=self.options.solver)
        if self.problem.status not in ("optimal", "optimal_inaccurate"):
            raise RuntimeError(f"eps estimation did not solve at lambda={lam}: {self.problem.status}")
        return float(self.problem.value)


def _profile_lambda(solver: _ConstrainedLeastSquares, design: _Design,
                    grid: tuple[float, ...]) -> tuple[float, np.ndarray]:
    """lambda minimising the profiled objective: best grid point, refined between its neighbours."""
    profile = np.array([solver.solve(design, lam) for lam in grid])
    best = int(np.argmin(profile))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    if high > low:
        from scipy import optimize

        refined = optimize.minimize_scalar(lambda lam: solver.solve(design, lam),
                                           bounds=(low, high), method="bounded",
                                           options={"xatol": 1e-4})
        if refined.fun < profile[best]:
            return float(refined.x), profile
    return float(grid[best]), profile


def _fit(solver: _ConstrainedLeastSquares, design: _Design,
         grid: tuple[float, ...]) -> tuple[float, np.ndarray, np.ndarray]:
    """lambda_hat, the profile on the grid, and eps_hat at lambda_hat."""
    lam, profile = _profile_lambda(solver, design, grid)
    solver.solve(design, lam)
    return lam, profile, np.array(solver.eps.value)


def _bootstrap_rows(rng: np.random.Generator, sector_index: np.ndarray) -> np.ndarray:
    """Row indices resampling years with replacement within each sector (sector blocks kept)."""
    return np.concatenate([rng.choice(rows, size=len(rows), replace=True)
                           for rows in (np.flatnonzero(sector_index == k)
                                        for k in np.unique(sector_index))])


def estimate_elasticities(panel: pl.DataFrame,
                          options: EstimationOptions = EstimationOptions()) -> ElasticityEstimate:
    """Estimate eps_j and lambda from the innovation panel (equation in the module docstring).

    ``panel`` has sector, year, ree_enhancing_flow, non_ree_flow, ree_price_index, wage_index.
    Bootstrap draws (``options.n_bootstrap``, seeded by ``options.seed``) resample years within
    sectors and re-profile lambda; the CIs are percentile intervals at ``options.ci_level``.
    """
    design = _Design.from_frame(regression_panel(panel, options.depreciation))
    solver = _ConstrainedLeastSquares(design, options)
    lam, profile, eps = _fit(solver, design, options.lambda_grid)
    objective = solver.solve(design, lam)
    status, fixed_effect = solver.problem.status, np.array(solver.fixed_effect.value)

    rng = np.random.default_rng(options.seed)
    draws = [_fit(solver, design.take(_bootstrap_rows(rng, design.sector_index)), options.lambda_grid)
             for _ in range(options.n_bootstrap)]
    eps_draws = np.array([d[2] for d in draws]).reshape(options.n_bootstrap, len(eps))
    lambda_draws = np.array([d[0] for d in draws])
    tail = 100 * (1 - options.ci_level) / 2
    ci_low, ci_high = (np.percentile(eps_draws, [tail, 100 - tail], axis=0) if options.n_bootstrap
                       else (np.full(len(eps), np.nan),) * 2)
    lambda_ci = (tuple(float(v) for v in np.percentile(lambda_draws, [tail, 100 - tail]))
                 if options.n_bootstrap else (np.nan, np.nan))
    tolerance = 1e-6
    table = pl.DataFrame({
        "sector": list(design.sectors),
        "eps_hat": eps,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "std_error": eps_draws.std(axis=0, ddof=1) if options.n_bootstrap > 1 else np.nan,
        "fixed_effect": fixed_effect,
        "at_bound": (eps <= options.eps_min + tolerance) | (eps >= options.eps_max - tolerance),
        "n_obs": np.bincount(design.sector_index, minlength=len(design.sectors)),
    })
    return ElasticityEstimate(
        table=table, lambda_hat=lam, lambda_ci=lambda_ci, objective=objective,
        solver_status=status, n_obs=len(design.y), n_bootstrap=options.n_bootstrap,
        lambda_profile=pl.DataFrame({"lambda": list(options.lambda_grid), "objective": profile}),
    )


@dataclass(frozen=True)
class StabilityDiagnostics:
    """Evidence against a time-constant eps_j.

    ``table`` per sector: eps_early and eps_late (constrained estimates on the years before and
    from ``split_year``, lambda fixed at its full-sample estimate), slope_drift (c_j in the drift
    regression below, the yearly change of the slope 1 - eps_j) and its t statistic.
    ``f_statistic``/``p_value`` test all c_j = 0 jointly; ``misspecified`` is p_value < alpha.
    """

    table: pl.DataFrame
    f_statistic: float
    p_value: float
    split_year: int
    misspecified: bool


def stability_diagnostics(panel: pl.DataFrame, estimate: ElasticityEstimate,
                          options: EstimationOptions = EstimationOptions(), *,
                          split_year: int | None = None, alpha: float = 0.01) -> StabilityDiagnostics:
    """Slope-drift F test and split-sample eps_j at the estimated lambda.

    The drift regression is the unconstrained OLS
        y_jt = a_j + b_j x_jt + c_j (t - tbar_j) x_jt [+ d_j (t - tbar_j)] + e_jt,
    x_jt = ln(p_R / w)_jt - lambda_hat ln(K_R / K_L)_j,t-1; under the model (eps_j constant) all
    c_j = 0, so an F test of the J restrictions detects eps drifting over time.
    """
    frame = regression_panel(panel, options.depreciation)
    design = _Design.from_frame(frame)
    x = design.price - estimate.lambda_hat * design.stock
    base = [design.by_sector(np.ones(len(x))), design.by_sector(x)]
    if options.sector_trends:
        base.append(design.by_sector(design.time))
    drift = design.by_sector(design.time * x)
    restricted, unrestricted = np.hstack(base), np.hstack([*base, drift])
    coefficients, ssr_u = _ols(unrestricted, design.y)
    _, ssr_r = _ols(restricted, design.y)
    n_restrictions, dof = drift.shape[1], len(x) - unrestricted.shape[1]
    f_statistic = ((ssr_r - ssr_u) / n_restrictions) / (ssr_u / dof)
    from scipy import stats

    p_value = float(stats.f.sf(f_statistic, n_restrictions, dof))
    covariance = ssr_u / dof * np.linalg.pinv(unrestricted.T @ unrestricted)
    drift_coefficients = coefficients[-n_restrictions:]
    drift_se = np.sqrt(np.diag(covariance)[-n_restrictions:])

    years = frame["year"].to_numpy()
    split = int(np.median(np.unique(years))) if split_year is None else split_year
    halves = [_eps_at_lambda(design.take(np.flatnonzero(mask)), estimate.lambda_hat, options)
              for mask in (years < split, years >= split)]
    table = pl.DataFrame({
        "sector": list(design.sectors), "eps_early": halves[0], "eps_late": halves[1],
        "slope_drift": drift_coefficients, "drift_t": drift_coefficients / drift_se,
    })
    return StabilityDiagnostics(table, float(f_statistic), p_value, split, p_value < alpha)


def _ols(regressors: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """OLS coefficients and sum of squared residuals."""
    coefficients, *_ = np.linalg.lstsq(regressors, y, rcond=None)
    residuals = y - regressors @ coefficients
    return coefficients, float(residuals @ residuals)


def _eps_at_lambda(design: _Design, lam: float, options: EstimationOptions) -> np.ndarray:
    """Constrained eps_j on a (sub)sample with lambda held fixed."""
    solver = _ConstrainedLeastSquares(design, options)
    solver.solve(design, lam)
    return np.array(solver.eps.value)
