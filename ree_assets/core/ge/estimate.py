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
on a grid of lambda and refined by a bounded scalar search around the best grid point. For a given
lambda the problem depends on the data only through within-sector cross moments, so the profile is
computed from them (each eps_j the clipped OLS slope without ridge; bounded least squares with
it), and the joint problem at the profiled lambda is solved in cvxpy.

Confidence intervals (deviation from the spec, which resamples years within sectors): a
recursive-design wild bootstrap that regenerates the panel through the model's own dynamics, so
that the lagged stock responds to the simulated shocks, re-profiles lambda in every draw and reports
percentile-t intervals (lambda's grid spans negative values, so its draws are not piled at a
bound). Resampling (y, x) pairs within sectors keeps the observed lagged stock, ignores that it
depends on past shocks (a Nickell-type small-T bias with fixed effects) and centres percentile
intervals on the biased estimate: on the embedded world they missed the true eps in 2-3 of 12
sectors. Stability diagnostics (a slope-drift F test and split-sample estimates)
reveal a world in which eps drifts over time.

The stocks follow the perpetual inventory K_t = (1 - delta) K_t-1 + P_t from K_first = P_first /
delta (the steady state of a constant flow), so each sector's first year has no lagged stock and
is dropped from the regression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

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


def choose_elasticities(
    choice: str | Mapping[str, float] = "published", estimated: pl.DataFrame | None = None
) -> dict[str, float]:
    """The eps_j the GE model uses: ``'published'`` (default), ``'estimated'`` (the ``eps_hat``
    column of an :func:`estimate_elasticities` table, passed as ``estimated``) or a user mapping
    sector -> eps that overrides the published values for the sectors it names."""
    published = published_elasticities()
    if choice == "published":
        return published
    if choice == "estimated":
        if estimated is None:
            raise ValueError("choice 'estimated' needs the estimated elasticities table")
        chosen = dict(zip(estimated["sector"].to_list(), estimated["eps_hat"].to_list(), strict=False))
        if missing := set(published) - set(chosen):
            raise DataValidationError(
                "ree_elasticities", "every GE manufacturing sector is estimated", row=sorted(missing)[0]
            )
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
    lambda_grid: tuple[float, ...] = tuple(np.round(np.linspace(-1.5, 3.0, 31), 3))
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
    lagged stock) is dropped. ``total_flow`` = P_R + P_L and the lagged stocks ``lagged_ree_stock``,
    ``lagged_non_ree_stock`` let the bootstrap rebuild the stocks from simulated flows. Flows must be
    positive and years consecutive within a sector.
    """
    required = ["sector", "year", "ree_enhancing_flow", "non_ree_flow", "ree_price_index", "wage_index"]
    if missing := [c for c in required if c not in panel.columns]:
        raise DataValidationError(PANEL_TABLE, "has the innovation panel columns", column=missing[0])
    ordered = panel.sort("sector", "year")
    for column in required[2:]:
        bad = ordered.filter(~(pl.col(column) > 0))
        if bad.height:
            raise DataValidationError(
                PANEL_TABLE, f"{column} > 0 (it enters a log)", row=(bad["sector"][0], bad["year"][0]), column=column
            )
    frames = []
    for (sector,), rows in ordered.group_by("sector", maintain_order=True):
        years = rows["year"].to_numpy()
        if np.any(np.diff(years) != 1):
            raise DataValidationError(PANEL_TABLE, "consecutive years within a sector", row=sector)
        k_r = knowledge_stock(rows["ree_enhancing_flow"].to_numpy(), depreciation)
        k_l = knowledge_stock(rows["non_ree_flow"].to_numpy(), depreciation)
        frames.append(
            pl.DataFrame(
                {
                    "sector": sector,
                    "year": years[1:],
                    "log_patent_ratio": np.log((rows["ree_enhancing_flow"] / rows["non_ree_flow"]).to_numpy())[1:],
                    "log_price_ratio": np.log((rows["ree_price_index"] / rows["wage_index"]).to_numpy())[1:],
                    "lagged_log_stock_ratio": np.log(k_r / k_l)[:-1],
                    "total_flow": (rows["ree_enhancing_flow"] + rows["non_ree_flow"]).to_numpy()[1:],
                    "lagged_ree_stock": k_r[:-1],
                    "lagged_non_ree_stock": k_l[:-1],
                }
            )
        )
    return pl.concat(frames)


@dataclass(frozen=True)
class _Design:
    """Regression arrays, rows grouped by sector and ordered by year: sector index, y, price term,
    stock term, time (centred within sector), total flow and the lagged stock levels."""

    sectors: tuple[str, ...]
    sector_index: np.ndarray
    y: np.ndarray
    price: np.ndarray
    stock: np.ndarray
    time: np.ndarray
    total_flow: np.ndarray
    ree_stock: np.ndarray
    non_ree_stock: np.ndarray

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> _Design:
        sectors = tuple(frame["sector"].unique(maintain_order=True).to_list())
        index = frame["sector"].replace_strict({s: k for k, s in enumerate(sectors)}, return_dtype=pl.Int64).to_numpy()
        years = frame["year"].to_numpy().astype(np.float64)
        centred = years - np.array([years[index == k].mean() for k in range(len(sectors))])[index]
        column = {c: frame[c].to_numpy() for c in frame.columns}
        return cls(
            sectors=sectors,
            sector_index=index,
            y=column["log_patent_ratio"],
            price=column["log_price_ratio"],
            stock=column["lagged_log_stock_ratio"],
            time=centred,
            total_flow=column["total_flow"],
            ree_stock=column["lagged_ree_stock"],
            non_ree_stock=column["lagged_non_ree_stock"],
        )

    def take(self, rows: np.ndarray) -> _Design:
        """The design restricted to ``rows``."""
        return _Design(
            self.sectors,
            self.sector_index[rows],
            self.y[rows],
            self.price[rows],
            self.stock[rows],
            self.time[rows],
            self.total_flow[rows],
            self.ree_stock[rows],
            self.non_ree_stock[rows],
        )

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


@dataclass(frozen=True)
class _Moments:
    """Within-sector cross moments (sector means, and sector trends if any, partialled out) of the
    price term p, the lagged stock term s and y, per draw and sector (arrays (B, J))."""

    pp: np.ndarray
    ps: np.ndarray
    ss: np.ndarray
    py: np.ndarray
    sy: np.ndarray
    yy: np.ndarray
    n_obs: int
    dof: np.ndarray

    @classmethod
    def of(cls, design: _Design, y: np.ndarray, stock: np.ndarray, trends: bool) -> _Moments:
        """Moments of y and stock, each (B, n) (B draws of the rows of ``design``)."""
        sums = design.by_sector(np.ones(len(design.y)))
        residual = lambda v: _within(design, sums, v, trends)  # noqa: E731 - one-line partialling
        p, s_, y_ = residual(design.price[None, :]), residual(stock), residual(y)
        pp, ps, ss, py, sy, yy = ((a * b) @ sums for a, b in ((p, p), (p, s_), (s_, s_), (p, y_), (s_, y_), (y_, y_)))
        return cls(
            pp=pp,
            ps=ps,
            ss=ss,
            py=py,
            sy=sy,
            yy=yy,
            n_obs=len(design.y),
            dof=sums.sum(axis=0) - (3 if trends else 2),
        )

    def standard_errors(self, lam: np.ndarray, eps: np.ndarray) -> np.ndarray:
        """OLS standard errors of eps_j (B, J) at lambda (B,) and eps (B, J): sqrt(s2_j / xx_j),
        s2_j the sector's residual variance on its degrees of freedom (lambda taken as known)."""
        lam, slope = lam[:, None], 1.0 - eps
        xx = self.pp - 2 * lam * self.ps + lam**2 * self.ss
        xy = self.py - lam * self.sy
        return np.sqrt((self.yy - 2 * slope * xy + slope**2 * xx) / self.dof / xx)

    def slope_and_objective(self, lam: np.ndarray, options: EstimationOptions) -> tuple[np.ndarray, np.ndarray]:
        """(eps, objective) at slope parameters ``lam`` (B, L): eps (B, L, J) minimises
        (1/n) sum_j [yy - 2 b xy + b^2 xx] + ridge (1/J) sum_j (eps_j - mean eps)^2, b = 1 - eps, within
        the bounds, with xx = pp - 2 lam ps + lam^2 ss and xy = py - lam sy (x = p - lam s).

        Without ridge the sectors separate and each b is the OLS slope clipped to the bounds (a convex
        quadratic in one variable); with ridge each (draw, lambda) is a bounded least-squares problem
        (scipy's lsq_linear, BVLS)."""
        lam = lam[..., None]
        xx = self.pp[:, None] - 2 * lam * self.ps[:, None] + lam**2 * self.ss[:, None]
        xy = self.py[:, None] - lam * self.sy[:, None]
        if options.ridge > 0:
            eps = _ridge_eps(xx, xy, self.n_obs, options)
        else:
            eps = 1.0 - np.clip(xy / xx, 1.0 - options.eps_max, 1.0 - options.eps_min)
        slope = 1.0 - eps
        fit = (self.yy[:, None] - 2 * slope * xy + slope**2 * xx).sum(axis=-1) / self.n_obs
        spread = ((eps - eps.mean(axis=-1, keepdims=True)) ** 2).mean(axis=-1)
        return eps, fit + options.ridge * spread


def _within(design: _Design, sums: np.ndarray, values: np.ndarray, trends: bool) -> np.ndarray:
    """``values`` (B, n) minus their sector means and, with ``trends``, their sector trends in time."""
    index = design.sector_index
    demeaned = values - (values @ sums / sums.sum(axis=0))[:, index]
    if not trends:
        return demeaned
    slope = (demeaned * design.time) @ sums / ((design.time**2) @ sums)
    return demeaned - slope[:, index] * design.time


def _ridge_eps(xx: np.ndarray, xy: np.ndarray, n_obs: int, options: EstimationOptions) -> np.ndarray:
    """eps minimising (1/n) sum_j xx_j (eps_j - (1 - xy_j/xx_j))^2 + ridge (1/J) |eps - mean eps|^2 within
    the bounds, for every leading index of xx, xy (..., J): a stacked bounded least-squares problem."""
    from scipy.optimize import lsq_linear

    n_sectors = xx.shape[-1]
    centring = np.sqrt(options.ridge / n_sectors) * (np.eye(n_sectors) - 1.0 / n_sectors)
    eps = np.empty_like(xx)
    for index in np.ndindex(xx.shape[:-1]):
        weight = np.sqrt(xx[index] / n_obs)
        matrix = np.vstack([np.diag(weight), centring])
        target = np.concatenate([weight * (1.0 - xy[index] / xx[index]), np.zeros(n_sectors)])
        eps[index] = lsq_linear(matrix, target, bounds=(options.eps_min, options.eps_max), method="bvls").x
    return eps


def _profile_lambda(moments: _Moments, options: EstimationOptions) -> tuple[np.ndarray, np.ndarray]:
    """lambda minimising each draw's profiled objective: the best point of ``options.lambda_grid``,
    refined by a bounded scalar search between its neighbours. Returns (lambda (B,), profile (B, L))."""
    from scipy import optimize

    grid = np.asarray(options.lambda_grid, dtype=np.float64)
    draws = moments.pp.shape[0]
    _, profile = moments.slope_and_objective(np.broadcast_to(grid, (draws, grid.size)), options)
    best = np.argmin(profile, axis=1)
    lam = grid[best].copy()
    for draw in range(draws):
        low, high = grid[max(best[draw] - 1, 0)], grid[min(best[draw] + 1, grid.size - 1)]
        if high <= low:
            continue
        one = replace(
            moments, **{f: getattr(moments, f)[draw : draw + 1] for f in ("pp", "ps", "ss", "py", "sy", "yy")}
        )
        refined = optimize.minimize_scalar(
            lambda x, one=one: one.slope_and_objective(np.array([[x]]), options)[1][0, 0],
            bounds=(low, high),
            method="bounded",
            options={"xatol": 1e-4},
        )
        if refined.fun < profile[draw, best[draw]]:
            lam[draw] = refined.x
    return lam, profile


def _fit(
    design: _Design, y: np.ndarray, stock: np.ndarray, options: EstimationOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Profiled lambda (B,), eps at it (B, J), its standard errors (B, J) and the lambda profile
    (B, L), for B draws of y and stock (each (B, n))."""
    moments = _Moments.of(design, y, stock, options.sector_trends)
    lam, profile = _profile_lambda(moments, options)
    eps = moments.slope_and_objective(lam[:, None], options)[0][:, 0, :]
    return lam, eps, moments.standard_errors(lam, eps), profile


def _recursive_wild_draws(
    design: _Design,
    eps: np.ndarray,
    lam: float,
    fixed_effect: np.ndarray,
    trend: np.ndarray,
    residuals: np.ndarray,
    depreciation: float,
    rng: np.random.Generator,
    draws: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap samples (y*, lagged stock term*), each (draws, n), regenerated through the model's
    own dynamics (a recursive-design wild bootstrap, Goncalves and Kilian 2004):

        y*_jt = a_j + (1 - eps_j) [ln(p_R/w)_jt - lambda ln(K*_R/K*_L)_j,t-1] + c_j t + u_jt v_jt,

    with Rademacher weights v, the flows P*_R = total_jt / (1 + exp(-y*_jt)), P*_L = total_jt - P*_R,
    and the stocks K* rebuilt by the perpetual inventory from each sector's first observed stocks.
    Resampling years within sectors instead would keep the lagged stock of the data, so the draws
    would miss the small-sample bias the stock's dependence on past shocks creates."""
    y = np.empty((draws, len(design.y)))
    stock = np.empty_like(y)
    signs = rng.choice([-1.0, 1.0], size=y.shape)
    for k in range(len(design.sectors)):
        rows = np.flatnonzero(design.sector_index == k)
        ree, other = (np.full(draws, level[rows[0]]) for level in (design.ree_stock, design.non_ree_stock))
        for row in rows:
            stock[:, row] = np.log(ree / other)
            y[:, row] = (
                fixed_effect[k]
                + (1 - eps[k]) * (design.price[row] - lam * stock[:, row])
                + trend[k] * design.time[row]
                + residuals[row] * signs[:, row]
            )
            flow = design.total_flow[row] / (1 + np.exp(-y[:, row]))
            ree = (1 - depreciation) * ree + flow
            other = (1 - depreciation) * other + design.total_flow[row] - flow
    return y, stock


def estimate_elasticities(panel: pl.DataFrame, options: EstimationOptions = EstimationOptions()) -> ElasticityEstimate:
    """Estimate eps_j and lambda from the innovation panel (equation in the module docstring).

    ``panel`` has sector, year, ree_enhancing_flow, non_ree_flow, ree_price_index, wage_index.
    lambda is profiled on moments (closed form per lambda without ridge), and the joint constrained
    least squares at the profiled lambda is solved in cvxpy (eps, fixed effects, objective, status).
    Bootstrap draws (``options.n_bootstrap``, seeded by ``options.seed``) regenerate the panel
    through the model's dynamics with wild residuals (:func:`_recursive_wild_draws`) and re-profile
    lambda; the CIs are percentile-t intervals eps_hat - t*(1 - a/2) se, eps_hat - t*(a/2) se at
    level ``options.ci_level``, t* the draws' (eps* - eps_hat) / se* and se the sector's OLS standard
    error at the profiled lambda; lambda's CI is the basic interval 2 lambda_hat - q*. Over 50 seeded
    small worlds the 95% intervals cover the true eps in about 89% of sector-draws (the draws
    understate the spread of eps_hat by about a tenth; see the slow coverage test).
    """
    design = _Design.from_frame(regression_panel(panel, options.depreciation))
    lam_hat, _, std_error, profile = _fit(design, design.y[None, :], design.stock[None, :], options)
    lam = float(lam_hat[0])
    solver = _ConstrainedLeastSquares(design, options)
    objective = solver.solve(design, lam)
    status = solver.problem.status
    eps, fixed_effect = np.array(solver.eps.value), np.array(solver.fixed_effect.value)
    trend = np.array(solver.trend.value) if options.sector_trends else np.zeros(len(eps))
    fitted = (
        fixed_effect[design.sector_index]
        + trend[design.sector_index] * design.time
        + (1 - eps[design.sector_index]) * (design.price - lam * design.stock)
    )

    ci_low = ci_high = draw_sd = np.full(len(eps), np.nan)
    lambda_ci = (np.nan, np.nan)
    if options.n_bootstrap:
        per_sector = np.bincount(design.sector_index)[design.sector_index]
        parameters = 3 if options.sector_trends else 2  # a_j, eps_j (and c_j) per sector
        residuals = (design.y - fitted) * np.sqrt(per_sector / (per_sector - parameters))
        y_draws, stock_draws = _recursive_wild_draws(
            design,
            eps,
            lam,
            fixed_effect,
            trend,
            residuals,
            options.depreciation,
            np.random.default_rng(options.seed),
            options.n_bootstrap,
        )
        lambda_draws, eps_draws, se_draws, _ = _fit(design, y_draws, stock_draws, options)
        tail = 100 * (1 - options.ci_level) / 2
        t_low, t_high = np.percentile((eps_draws - eps) / se_draws, [tail, 100 - tail], axis=0)
        ci_low, ci_high = eps - t_high * std_error[0], eps - t_low * std_error[0]
        upper, lower = np.percentile(lambda_draws, [100 - tail, tail])
        lambda_ci = (float(2 * lam - upper), float(2 * lam - lower))
        draw_sd = eps_draws.std(axis=0, ddof=1) if options.n_bootstrap > 1 else draw_sd
    tolerance = 1e-6
    table = pl.DataFrame(
        {
            "sector": list(design.sectors),
            "eps_hat": eps,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "std_error": draw_sd,
            "fixed_effect": fixed_effect,
            "at_bound": (eps <= options.eps_min + tolerance) | (eps >= options.eps_max - tolerance),
            "n_obs": np.bincount(design.sector_index, minlength=len(design.sectors)),
        }
    )
    return ElasticityEstimate(
        table=table,
        lambda_hat=lam,
        lambda_ci=lambda_ci,
        objective=objective,
        solver_status=status,
        n_obs=len(design.y),
        n_bootstrap=options.n_bootstrap,
        lambda_profile=pl.DataFrame({"lambda": list(options.lambda_grid), "objective": profile[0]}),
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


def stability_diagnostics(
    panel: pl.DataFrame,
    estimate: ElasticityEstimate,
    options: EstimationOptions = EstimationOptions(),
    *,
    split_year: int | None = None,
    alpha: float = 0.01,
) -> StabilityDiagnostics:
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
    halves = [
        _eps_at_lambda(design.take(np.flatnonzero(mask)), estimate.lambda_hat, options)
        for mask in (years < split, years >= split)
    ]
    table = pl.DataFrame(
        {
            "sector": list(design.sectors),
            "eps_early": halves[0],
            "eps_late": halves[1],
            "slope_drift": drift_coefficients,
            "drift_t": drift_coefficients / drift_se,
        }
    )
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
