"""Mixture model of local and global innovation (Fifarek, Veloso and Davidson 2007;
``specs/spillovers.md``, "Mixture model" and "Identification").

Parameters Theta = (a, a_d, s_ll, s_lg, s_gl, s_gg, w, w_d). For a US focal patent with period
dummy d, a_d' = a + a_d d and w_d' = w + w_d d, and the expected citations per available patent of
the four cells c = (lw, gw, lo, go) (l: local = US knowledge, g: global; w: within technology, o:
outside) are

    delta_lw = w' m_l,  delta_gw = w' m_g,  delta_lo = (1 - w') m_l,  delta_go = (1 - w') m_g,
    m_l = a' s_ll + (1 - a') s_lg,  m_g = a' s_gl + (1 - a') s_gg.

Weighted NLS: SSE(Theta) = sum_i sum_c (1/sd_c) (delta_c(d_i) A_ci - C_ci)^2, sd_c the standard
deviation of C_c over the focal patents, subject to 0 < a, w, s < 1, s_ll > s_lg, s_gl < s_gg,
0 < a + a_d < 1, 0 < w + w_d < 1 (a_d, w_d may be negative). Since delta depends on i only
through d_i, SSE is a quadratic in each delta_c(d) with the sufficient statistics
S_AA = sum A^2, S_AC = sum A C, S_CC = sum C^2 per period and cell (:class:`CitationMoments`).

Identification: the data fix only q = (w_0, w_1, m_l0, m_l1, m_g0, m_g1) (the reduced form;
index = period). a, a_d and the s's are set-identified; :func:`identified_set` returns the set of
every structural parameter and derived quantity given deltas, each bound an IPOPT solve, and
:func:`confidence_set` the union of those sets over reduced forms within a bootstrap Wald
ellipsoid (joint for the set-identified quantities, marginal for the identified ones). The
unrestricted model (one Theta per period, a_d = w_d = 0) uses the same code on one period at a
time.

All solves use IPOPT (cyipopt) with exact first derivatives and a limited-memory Hessian.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import polars as pl

CELLS = ("lw", "gw", "lo", "go")
#: Citation and availability columns of ``fvd_citation_variables`` per cell (local = US).
CELL_COLUMNS = {"lw": ("c_uw", "a_uw"), "gw": ("c_nw", "a_nw"), "lo": ("c_uo", "a_uo"), "go": ("c_no", "a_no")}
PARAMETERS = ("a", "a_d", "s_ll", "s_lg", "s_gl", "s_gg", "w", "w_d")
#: The reduced form the data identify, in the order of :func:`reduced_form`.
REDUCED_FORM = ("w_0", "w_1", "m_l0", "m_l1", "m_g0", "m_g1")
A, AD, SLL, SLG, SGL, SGG, W, WD = range(8)
#: FVD Table 7, restricted model (published point estimates).
PUBLISHED_RESTRICTED = {
    "magnet": dict(a=0.223, a_d=0.397, s_ll=0.049, s_lg=0.037, s_gl=0.013, s_gg=0.045, w=0.906, w_d=-0.011),
    "catalyst": dict(a=0.574, a_d=-0.235, s_ll=0.040, s_lg=0.001, s_gl=0.007, s_gg=0.012, w=0.426, w_d=0.214),
}
#: Lower bound of the s's: the spec's 0 < s, kept off zero so the conditional probabilities exist.
S_FLOOR = 1e-9
#: Two objectives within this relative distance count as the same optimum.
SAME_OPTIMUM = 1e-6
#: Feasible starts (the best projections) from which each bound of a set is solved.
BOUND_STARTS = 3
#: Largest violation of the reduced-form equalities accepted for a bound of the identified set.
FEASIBILITY_TOL = 1e-7


# --------------------------------------------------------------------------- the delta map


def period_shares(theta: np.ndarray, d: int) -> tuple[float, float]:
    """(a_d', w_d') = (a + a_d d, w + w_d d)."""
    return theta[A] + theta[AD] * d, theta[W] + theta[WD] * d


def mixed_rates(theta: np.ndarray, d: int) -> tuple[float, float]:
    """(m_l, m_g) of period d: m_l = a' s_ll + (1-a') s_lg, m_g = a' s_gl + (1-a') s_gg."""
    a, _ = period_shares(theta, d)
    return a * theta[SLL] + (1 - a) * theta[SLG], a * theta[SGL] + (1 - a) * theta[SGG]


def deltas(theta: np.ndarray, d: int) -> np.ndarray:
    """(delta_lw, delta_gw, delta_lo, delta_go) of period d (module docstring)."""
    _, w = period_shares(theta, d)
    m_l, m_g = mixed_rates(theta, d)
    return np.array([w * m_l, w * m_g, (1 - w) * m_l, (1 - w) * m_g])


def _mixed_rate_jacobian(theta: np.ndarray, d: int) -> np.ndarray:
    """d(m_l, m_g)/dTheta, shape (2, 8)."""
    a, _ = period_shares(theta, d)
    jac = np.zeros((2, 8))
    jac[0, [A, AD, SLL, SLG]] = [theta[SLL] - theta[SLG], d * (theta[SLL] - theta[SLG]), a, 1 - a]
    jac[1, [A, AD, SGL, SGG]] = [theta[SGL] - theta[SGG], d * (theta[SGL] - theta[SGG]), a, 1 - a]
    return jac


def delta_jacobian(theta: np.ndarray, d: int) -> np.ndarray:
    """d delta / dTheta of period d, shape (4, 8) (rows in ``CELLS`` order)."""
    _, w = period_shares(theta, d)
    m_l, m_g = mixed_rates(theta, d)
    dm = _mixed_rate_jacobian(theta, d)
    dw = np.zeros(8)
    dw[[W, WD]] = [1.0, d]
    return np.vstack(
        [w * dm[0] + m_l * dw, w * dm[1] + m_g * dw, (1 - w) * dm[0] - m_l * dw, (1 - w) * dm[1] - m_g * dw]
    )


def _mixed_rate_hessians(d: int) -> np.ndarray:
    """d^2(m_l, m_g)/dTheta^2, shape (2, 8, 8): constant, the only cross terms being a' with the s's."""
    hess = np.zeros((2, 8, 8))
    for k, (high, low) in enumerate(((SLL, SLG), (SGL, SGG))):
        for share, scale in ((A, 1.0), (AD, float(d))):
            hess[k, share, high] = hess[k, high, share] = scale
            hess[k, share, low] = hess[k, low, share] = -scale
    return hess


def delta_hessians(theta: np.ndarray, d: int) -> np.ndarray:
    """d^2 delta / dTheta^2 of period d, shape (4, 8, 8): for delta = w' m (or (1 - w') m),
    dw' dm' + dm dw'' + w' d^2m (signs flipped for 1 - w')."""
    _, w = period_shares(theta, d)
    dm, hm = _mixed_rate_jacobian(theta, d), _mixed_rate_hessians(d)
    dw = np.zeros(8)
    dw[[W, WD]] = [1.0, d]
    cross = [np.outer(dw, dm[k]) + np.outer(dm[k], dw) for k in (0, 1)]
    return np.stack(
        [w * hm[0] + cross[0], w * hm[1] + cross[1], (1 - w) * hm[0] - cross[0], (1 - w) * hm[1] - cross[1]]
    )


def reduced_form(theta: np.ndarray) -> np.ndarray:
    """q(Theta) = (w_0, w_1, m_l0, m_l1, m_g0, m_g1), the identified quantities."""
    (m_l0, m_g0), (m_l1, m_g1) = mixed_rates(theta, 0), mixed_rates(theta, 1)
    return np.array([theta[W], theta[W] + theta[WD], m_l0, m_l1, m_g0, m_g1])


def reduced_form_jacobian(theta: np.ndarray) -> np.ndarray:
    """dq/dTheta, shape (6, 8)."""
    jac = np.zeros((6, 8))
    jac[0, W] = 1.0
    jac[1, [W, WD]] = 1.0
    dm0, dm1 = _mixed_rate_jacobian(theta, 0), _mixed_rate_jacobian(theta, 1)
    jac[[2, 4]], jac[[3, 5]] = dm0, dm1
    return jac


def reduced_form_hessians() -> np.ndarray:
    """d^2 q / dTheta^2, shape (6, 8, 8) (w's are linear, the m's bilinear)."""
    hess = np.zeros((6, 8, 8))
    hess[[2, 4]], hess[[3, 5]] = _mixed_rate_hessians(0), _mixed_rate_hessians(1)
    return hess


def reduced_form_from_deltas(deltas_by_period: Mapping[int, Sequence[float]]) -> tuple[np.ndarray, float]:
    """The reduced form nearest to given deltas, and the distance to it.

    Per period the deltas form M = [[lw, lo], [gw, go]] = (m_l, m_g)' (w, 1 - w), a rank-1
    matrix; the nearest one (Frobenius) is the leading singular term sigma u v' (Eckart-Young),
    scaled so that v sums to 1: w = v_0 / (v_0 + v_1), (m_l, m_g) = sigma u (v_0 + v_1). The
    distance is the largest second singular value over the periods (0 for model-consistent deltas).
    """
    q, residual = np.zeros(6), 0.0
    for d in (0, 1):
        lw, gw, lo, go = (float(x) for x in deltas_by_period[d])
        u, sigma, vt = np.linalg.svd(np.array([[lw, lo], [gw, go]]))
        u0, v0 = u[:, 0] * np.sign(u[0, 0] or 1.0), vt[0] * np.sign(u[0, 0] or 1.0)
        q[d], q[2 + d], q[4 + d] = v0[0] / v0.sum(), sigma[0] * u0[0] * v0.sum(), sigma[0] * u0[1] * v0.sum()
        residual = max(residual, float(sigma[1]))
    return q, residual


# --------------------------------------------------------------------------- derived quantities

Quantity = Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]]


def _ratio(theta: np.ndarray, top: int, other: int) -> tuple[float, np.ndarray, np.ndarray]:
    """r = x / (x + y) with x = theta[top], y = theta[other], its gradient (y, -x) / (x + y)^2 and
    Hessian r_xx = -2y / (x+y)^3, r_xy = (x - y) / (x+y)^3, r_yy = 2x / (x+y)^3."""
    x, y = theta[top], theta[other]
    total = x + y
    grad, hess = np.zeros(8), np.zeros((8, 8))
    grad[top], grad[other] = y / total**2, -x / total**2
    hess[top, top], hess[other, other] = -2 * y / total**3, 2 * x / total**3
    hess[top, other] = hess[other, top] = (x - y) / total**3
    return x / total, grad, hess


def p_local_given_local(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Table 9: probability that a citation of a local activity goes to local knowledge, per unit
    of equally available local and global knowledge: s_ll / (s_ll + s_gl)."""
    return _ratio(theta, SLL, SGL)


def p_local_given_global(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Table 9: the same for a global activity: s_lg / (s_lg + s_gg)."""
    return _ratio(theta, SLG, SGG)


def local_citation_share(theta: np.ndarray, d: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Weighted average of Table 9 in period d, weights the activity shares:
    a' p(l | local) + (1 - a') p(l | global), with its gradient and Hessian."""
    (p_ll, g_ll, h_ll), (p_lg, g_lg, h_lg) = p_local_given_local(theta), p_local_given_global(theta)
    a, _ = period_shares(theta, d)
    da = np.zeros(8)
    da[[A, AD]] = [1.0, d]
    cross = np.outer(da, g_ll - g_lg)
    return (
        a * p_ll + (1 - a) * p_lg,
        a * g_ll + (1 - a) * g_lg + da * (p_ll - p_lg),
        a * h_ll + (1 - a) * h_lg + cross + cross.T,
    )


def _linear(*indices: int) -> Quantity:
    """The sum of theta[indices] as a quantity (gradient of ones there, Hessian zero)."""
    grad = np.zeros(8)
    grad[list(indices)] = 1.0
    return lambda theta: (float(grad @ theta), grad, np.zeros((8, 8)))


def _reduced(index: int) -> Quantity:
    """Component ``index`` of the reduced form as a quantity."""
    return lambda theta: (
        float(reduced_form(theta)[index]),
        reduced_form_jacobian(theta)[index],
        reduced_form_hessians()[index],
    )


#: Every quantity reported with an identified set: name -> (value, gradient and Hessian; identified).
QUANTITIES: dict[str, tuple[Quantity, bool]] = {
    **{name: (_linear(i), name in ("w", "w_d")) for i, name in enumerate(PARAMETERS)},
    "a_after": (_linear(A, AD), False),
    "w_after": (_linear(W, WD), True),
    **{name: (_reduced(i), True) for i, name in enumerate(REDUCED_FORM) if name.startswith("m_")},
    "p_local_given_local": (p_local_given_local, False),
    "p_local_given_global": (p_local_given_global, False),
    "local_share_before": (lambda theta: local_citation_share(theta, 0), False),
    "local_share_after": (lambda theta: local_citation_share(theta, 1), False),
}
#: The quantities of a one-period (unrestricted) model: no period changes.
ONE_PERIOD_QUANTITIES = (
    "a",
    "s_ll",
    "s_lg",
    "s_gl",
    "s_gg",
    "w",
    "m_l0",
    "m_g0",
    "p_local_given_local",
    "p_local_given_global",
    "local_share_before",
)


def quantity_values(theta: np.ndarray, names: Sequence[str] = tuple(QUANTITIES)) -> dict[str, float]:
    """Every named quantity at one Theta."""
    return {name: float(QUANTITIES[name][0](theta)[0]) for name in names}


# --------------------------------------------------------------------------- IPOPT

#: Linear constraints of Theta (rows): s_ll - s_lg >= 0, s_gg - s_gl >= 0, 0 <= a + a_d <= 1,
#: 0 <= w + w_d <= 1 (the spec's strict inequalities, closed).
LINEAR_CONSTRAINTS = np.array(
    [[0, 0, 1, -1, 0, 0, 0, 0], [0, 0, 0, 0, -1, 1, 0, 0], [1, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1, 1]],
    dtype=float,
)
LINEAR_LOWER, LINEAR_UPPER = np.zeros(4), np.array([1.0, 1.0, 1.0, 1.0])


def parameter_bounds(one_period: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Box of Theta: a, w in [0, 1]; s in [S_FLOOR, 1]; a_d, w_d in [-1, 1] (0 in a one-period model)."""
    lower = np.array([0.0, -1.0, S_FLOOR, S_FLOOR, S_FLOOR, S_FLOOR, 0.0, -1.0])
    upper = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    if one_period:
        lower[[AD, WD]] = upper[[AD, WD]] = 0.0
    return lower, upper


#: Extra constraints of a :class:`Program`: g(Theta) with its Jacobian and Hessians, and the lower
#: and upper bounds of g.
ExtraConstraints = tuple[Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]], np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Program:
    """min f(Theta) s.t. the box of :func:`parameter_bounds`, the linear constraints and extra
    constraints g(Theta) in [extra_lower, extra_upper]. ``objective`` returns (f, gradient, Hessian)
    and ``extra`` (g, Jacobian, Hessians (m, 8, 8)); without a Hessian (``objective`` returning
    None for it) IPOPT uses its limited-memory approximation."""

    objective: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray | None]]
    extra: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
    extra_lower: np.ndarray = field(default_factory=lambda: np.zeros(0))
    extra_upper: np.ndarray = field(default_factory=lambda: np.zeros(0))
    one_period: bool = False
    exact_hessian: bool = True


@dataclass(frozen=True)
class Solution:
    theta: np.ndarray
    objective: float
    status: int
    violation: float
    iterations: int


_LOWER_TRIANGLE = np.tril_indices(8)


class _Callbacks:
    """cyipopt problem object for a :class:`Program`."""

    def __init__(self, program: Program):
        self.program, self.iterations = program, 0

    def objective(self, x):
        return self.program.objective(x)[0]

    def gradient(self, x):
        return self.program.objective(x)[1]

    def constraints(self, x):
        linear = LINEAR_CONSTRAINTS @ x
        return linear if self.program.extra is None else np.concatenate([linear, self.program.extra(x)[0]])

    def jacobian(self, x):
        if self.program.extra is None:
            return LINEAR_CONSTRAINTS.ravel()
        return np.vstack([LINEAR_CONSTRAINTS, self.program.extra(x)[1]]).ravel()

    def hessianstructure(self):
        return _LOWER_TRIANGLE

    def hessian(self, x, lagrange, obj_factor):
        """Lower triangle of obj_factor * Hess f + sum_k lambda_k Hess g_k (linear rows: zero)."""
        hess = obj_factor * self.program.objective(x)[2]
        if self.program.extra is not None:
            hess = hess + np.tensordot(lagrange[LINEAR_CONSTRAINTS.shape[0] :], self.program.extra(x)[2], axes=1)
        return hess[_LOWER_TRIANGLE]

    def intermediate(self, alg_mod, iter_count, *args):
        self.iterations = iter_count


def solve(program: Program, start: np.ndarray, tol: float = 1e-10, max_iter: int = 300) -> Solution:
    """One IPOPT solve of ``program`` from ``start`` (exact first and second derivatives, or a
    limited-memory Hessian when ``program.exact_hessian`` is False). ``violation`` is the largest
    violation of any bound or constraint at the returned point."""
    import cyipopt

    logging.getLogger("cyipopt").setLevel(logging.WARNING)  # its callbacks log at INFO
    lower, upper = parameter_bounds(program.one_period)
    cl = np.concatenate([LINEAR_LOWER, program.extra_lower])
    cu = np.concatenate([LINEAR_UPPER, program.extra_upper])
    callbacks = _Callbacks(program)
    problem = cyipopt.Problem(n=8, m=cl.size, problem_obj=callbacks, lb=lower, ub=upper, cl=cl, cu=cu)
    options = [
        ("print_level", 0),
        ("sb", "yes"),
        ("tol", tol),
        ("constr_viol_tol", 1e-10),
        ("max_iter", max_iter),
        ("fixed_variable_treatment", "make_constraint"),
        ("bound_relax_factor", 0.0),
    ]
    if not program.exact_hessian:
        options.append(("hessian_approximation", "limited-memory"))
    for name, value in options:
        problem.add_option(name, value)
    x, info = problem.solve(np.clip(start, lower, upper))
    g = callbacks.constraints(x)
    violation = float(
        max(
            np.max(np.maximum(cl - g, 0.0)),
            np.max(np.maximum(g - cu, 0.0)),
            np.max(np.maximum(lower - x, 0.0)),
            np.max(np.maximum(x - upper, 0.0)),
        )
    )
    return Solution(
        theta=x,
        objective=float(info["obj_val"]),
        status=int(info["status"]),
        violation=violation,
        iterations=callbacks.iterations,
    )


def latin_hypercube_starts(n: int, seed: int, s_max: float = 1.0, one_period: bool = False) -> np.ndarray:
    """``n`` feasible starting points from a seeded Latin hypercube: a, a + a_d, w, w + w_d
    uniform on (0, 1), the s's uniform on (0, s_max) and ordered so that s_ll > s_lg, s_gg > s_gl."""
    from scipy.stats import qmc

    u = qmc.LatinHypercube(d=8, seed=seed).random(n)
    starts = np.empty((n, 8))
    starts[:, A], starts[:, W] = u[:, 0], u[:, 6]
    starts[:, AD], starts[:, WD] = u[:, 1] - u[:, 0], u[:, 7] - u[:, 6]
    s = S_FLOOR + (s_max - S_FLOOR) * u[:, 2:6]
    starts[:, SLL], starts[:, SLG] = np.maximum(s[:, 0], s[:, 1]), np.minimum(s[:, 0], s[:, 1])
    starts[:, SGG], starts[:, SGL] = np.maximum(s[:, 2], s[:, 3]), np.minimum(s[:, 2], s[:, 3])
    if one_period:
        starts[:, [AD, WD]] = 0.0
    return starts


# --------------------------------------------------------------------------- weighted NLS fit


@dataclass(frozen=True)
class CitationMoments:
    """Sufficient statistics of the weighted NLS: per period d (rows 0, 1) and cell (columns in
    ``CELLS`` order) S_AA = sum A^2, S_AC = sum A C, S_CC = sum C^2 over the focal patents of the
    period; the weights 1/sd_c; patents per period."""

    saa: np.ndarray
    sac: np.ndarray
    scc: np.ndarray
    weights: np.ndarray
    n_patents: np.ndarray

    def unrestricted_deltas(self) -> np.ndarray:
        """delta*_c(d) = S_AC / S_AA, the cellwise least-squares rates (2, 4; NaN without patents)."""
        return np.divide(self.sac, self.saa, out=np.full_like(self.sac, np.nan), where=self.saa > 0)


def patent_arrays(variables: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(C (n, 4), A (n, 4), d (n,)) of the focal patents of ``variables`` (``fvd_citation_variables``
    columns; cells in ``CELLS`` order)."""
    citations = variables.select([CELL_COLUMNS[c][0] for c in CELLS]).to_numpy().astype(float)
    available = variables.select([CELL_COLUMNS[c][1] for c in CELLS]).to_numpy().astype(float)
    return citations, available, variables["d"].to_numpy().astype(int)


def citation_moments(
    citations: np.ndarray,
    available: np.ndarray,
    period: np.ndarray,
    counts: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> CitationMoments:
    """The :class:`CitationMoments` of patents (C, A, d), each patent counted ``counts`` times
    (a bootstrap draw; default once). The weights 1/sd_c use the standard deviation of C_c over
    the patents, unless given (the bootstrap keeps the full sample's weights: they define the
    estimator, and a resample can lack variation in a sparse cell)."""
    counts = np.ones(period.size) if counts is None else counts.astype(float)
    masks = np.vstack([(period == d) * counts for d in (0, 1)])
    saa, sac, scc = masks @ available**2, masks @ (available * citations), masks @ citations**2
    if weights is not None:
        return CitationMoments(saa=saa, sac=sac, scc=scc, weights=weights, n_patents=masks.sum(axis=1))
    sd = citations.std(axis=0, ddof=1)
    if np.any(sd <= 0):
        empty = [c for c, s in zip(CELLS, sd, strict=False) if s <= 0]
        raise ValueError(
            f"mixture model: citations of cell(s) {', '.join(empty)} do not vary across the focal "
            f"patents (sd_c = 0), so the weight 1/sd_c of the spec is undefined"
        )
    return CitationMoments(saa=saa, sac=sac, scc=scc, weights=1.0 / sd, n_patents=masks.sum(axis=1))


def sse(
    theta: np.ndarray, moments: CitationMoments, periods: Sequence[int] = (0, 1)
) -> tuple[float, np.ndarray, np.ndarray]:
    """SSE(Theta) = sum_d sum_c (1/sd_c)(delta_c(d)^2 S_AA - 2 delta_c(d) S_AC + S_CC), its exact
    gradient sum_d J_d' r_d with r_c = (2/sd_c)(delta_c S_AA - S_AC), and Hessian
    sum_d [J_d' diag((2/sd_c) S_AA) J_d + sum_c r_c Hess delta_c]."""
    value, grad, hess = 0.0, np.zeros(8), np.zeros((8, 8))
    for d in periods:
        delta, jac = deltas(theta, d), delta_jacobian(theta, d)
        residual = 2 * moments.weights * (delta * moments.saa[d] - moments.sac[d])
        value += float(moments.weights @ (delta**2 * moments.saa[d] - 2 * delta * moments.sac[d] + moments.scc[d]))
        grad += jac.T @ residual
        hess += jac.T @ ((2 * moments.weights * moments.saa[d])[:, None] * jac)
        hess += np.tensordot(residual, delta_hessians(theta, d), axes=1)
    return value, grad, hess


@dataclass(frozen=True)
class MixtureFit:
    """Multistart weighted NLS: the best Theta (a point of the ridge, not identified), its SSE,
    how many of the starts reached it, and every start's objective."""

    theta: np.ndarray
    objective: float
    n_starts: int
    n_reached: int
    objectives: np.ndarray
    one_period: bool = False

    @property
    def reduced_form(self) -> np.ndarray:
        return reduced_form(self.theta)


def fit_mixture(
    moments: CitationMoments,
    n_starts: int = 40,
    seed: int = 0,
    one_period: bool = False,
    starts: np.ndarray | None = None,
    derivatives: str = "exact",
) -> MixtureFit:
    """Minimise SSE over Theta with IPOPT from ``n_starts`` Latin-hypercube starts (or the given
    ``starts``), keep the best, count the starts within SAME_OPTIMUM of it. ``one_period`` fits
    the moments of period 0 alone with a_d = w_d = 0 (one period of the unrestricted model).
    ``derivatives="finite"`` replaces the exact gradient by central differences and the exact
    Hessian by IPOPT's limited-memory one (the benchmark's comparison)."""
    periods = (0,) if one_period else (0, 1)
    if derivatives == "exact":
        program = Program(lambda theta: sse(theta, moments, periods), one_period=one_period)
    else:
        program = Program(
            _finite_difference(lambda theta: sse(theta, moments, periods)[0]),
            one_period=one_period,
            exact_hessian=False,
        )
    if starts is None:
        s_max = min(1.0, 5.0 * float(np.nanmax(moments.unrestricted_deltas()[list(periods)])))
        starts = latin_hypercube_starts(n_starts, seed, s_max, one_period)
    solutions = [solve(program, start) for start in starts]
    values = np.array([s.objective if s.violation < 1e-8 else np.inf for s in solutions])
    best = int(np.argmin(values))
    reached = int(np.sum(values <= values[best] + SAME_OPTIMUM * max(1.0, abs(values[best]))))
    return MixtureFit(
        theta=solutions[best].theta,
        objective=float(values[best]),
        n_starts=len(starts),
        n_reached=reached,
        objectives=values,
        one_period=one_period,
    )


def _finite_difference(f: Callable[[np.ndarray], float], step: float = 1e-7):
    """f with its central-difference gradient (no Hessian)."""

    def with_gradient(theta: np.ndarray) -> tuple[float, np.ndarray, None]:
        eye = np.eye(theta.size) * step
        return f(theta), np.array([(f(theta + e) - f(theta - e)) / (2 * step) for e in eye]), None

    return with_gradient


def bootstrap_reduced_forms(
    citations: np.ndarray, available: np.ndarray, period: np.ndarray, fit: MixtureFit, n_draws: int = 200, seed: int = 0
) -> np.ndarray:
    """Bootstrap over patents (resampled within periods): each draw refits the model with IPOPT
    from the full-sample optimum and returns its reduced form q (draws x 6; for a one-period fit,
    only w_0, m_l0, m_g0 are meaningful)."""
    rng = np.random.default_rng(seed)
    weights = citation_moments(citations, available, period).weights
    index = [np.flatnonzero(period == d) for d in (0, 1)]
    periods = (0,) if fit.one_period else (0, 1)
    draws = np.empty((n_draws, 6))
    for b in range(n_draws):
        counts = np.zeros(period.size)
        for rows in index:
            if rows.size:
                counts[rows] = rng.multinomial(rows.size, np.full(rows.size, 1.0 / rows.size))
        moments = citation_moments(citations, available, period, counts, weights)
        best = solve(Program(partial(sse, moments=moments, periods=periods), one_period=fit.one_period), fit.theta)
        draws[b] = reduced_form(best.theta)
    return draws


# --------------------------------------------------------------------------- identified sets


def _equal_reduced_form(rows: Sequence[int]):
    """Constraints q_k(Theta) for k in ``rows`` (bounded by the target on both sides)."""
    rows = list(rows)
    return lambda theta: (reduced_form(theta)[rows], reduced_form_jacobian(theta)[rows], reduced_form_hessians()[rows])


def _distance_program(target: np.ndarray, rows: Sequence[int], one_period: bool) -> Program:
    """min ||q(Theta)_rows - target_rows||^2 over the feasible Theta."""
    rows = list(rows)

    def distance(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        gap, jac = reduced_form(theta)[rows] - target[rows], reduced_form_jacobian(theta)[rows]
        return (
            float(gap @ gap),
            2 * jac.T @ gap,
            2 * (jac.T @ jac + np.tensordot(gap, reduced_form_hessians()[rows], axes=1)),
        )

    return Program(distance, one_period=one_period)


def _projected_starts(
    target: np.ndarray, rows: Sequence[int], one_period: bool, n: int = 6, seed: int = 12
) -> list[Solution]:
    """Latin-hypercube starts moved onto the set {q(Theta) = target} (or as near as they get) by
    IPOPT, best first: every bound solve then starts feasible, which makes it short and reliable."""
    s_max = min(1.0, 5.0 * float(np.max(target[2:])))
    program = _distance_program(target, rows, one_period)
    return sorted(
        (solve(program, start) for start in latin_hypercube_starts(n, seed, s_max, one_period)),
        key=lambda s: s.objective,
    )


def _quantity_bound(
    name: str,
    sense: float,
    constraints: ExtraConstraints,
    starts: np.ndarray,
    one_period: bool,
    known: Sequence[np.ndarray] = (),
) -> float:
    """min (sense = 1) or max (sense = -1) of a quantity over the feasible Theta: the best of the
    IPOPT solves from ``starts`` that end feasible and of the ``known`` feasible points (NaN when
    there is none)."""
    quantity = QUANTITIES[name][0]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        value, grad, hess = quantity(theta)
        return sense * value, sense * grad, sense * hess

    program = Program(objective, *constraints, one_period=one_period)
    values = [s.objective for s in (solve(program, start) for start in starts) if s.violation < FEASIBILITY_TOL]
    values += [sense * quantity(theta)[0] for theta in known]
    return sense * min(values) if values else float("nan")


def _set_rows(
    q: np.ndarray,
    one_period: bool,
    constraints: ExtraConstraints,
    names: Sequence[str],
    identified_as_points: bool,
    feasible: np.ndarray | None = None,
) -> list[tuple]:
    """(parameter, set_min, set_max, identified) of each quantity: identified ones as points (their
    value at q) when ``identified_as_points``, the others bounded by IPOPT solves under
    ``constraints`` (extra, lower, upper) from starts projected onto q, and from ``feasible`` (a
    Theta known to satisfy them, e.g. the fit) when given: one more start, and a point every bound
    includes, so a set is defined and holds it where the solves from projected starts all fail."""
    rows_q = [0, 2, 4] if one_period else list(range(6))
    projected = _projected_starts(q, rows_q, one_period)
    starts = np.array(
        ([] if feasible is None else [feasible])
        + [s.theta for s in projected if s.objective <= projected[0].objective + FEASIBILITY_TOL**2][:BOUND_STARTS]
    )
    known = () if feasible is None else (feasible,)
    rows = []
    for name in names:
        identified = QUANTITIES[name][1]
        if identified and identified_as_points:
            value = _identified_value(name, q)
            rows.append((name, value, value, True))
        else:
            rows.append(
                (
                    name,
                    _quantity_bound(name, 1.0, constraints, starts, one_period, known),
                    _quantity_bound(name, -1.0, constraints, starts, one_period, known),
                    identified,
                )
            )
    return rows


def _identified_value(name: str, q: np.ndarray) -> float:
    """An identified quantity as a function of the reduced form."""
    values = dict(zip(REDUCED_FORM, q, strict=False))
    derived = {"w": values["w_0"], "w_d": values["w_1"] - values["w_0"], "w_after": values["w_1"]}
    return float(derived[name] if name in derived else values[name])


SET_SCHEMA = {
    "parameter": pl.String,
    "set_min": pl.Float64,
    "set_max": pl.Float64,
    "identified": pl.Boolean,
    "exact": pl.Boolean,
}


def identified_set(deltas: Mapping[int, Sequence[float]]) -> pl.DataFrame:
    """Identified set of the restricted model at given deltas (``specs/spillovers.md``,
    Identification).

    ``deltas`` maps the period dummy d (0 before 1990, 1 after) to (delta_lw, delta_gw, delta_lo,
    delta_go). The deltas fix q = (w_0, w_1, m_l0, m_l1, m_g0, m_g1) (:func:`reduced_form_from_deltas`);
    the set of a quantity is [min, max] of it over all Theta that satisfy the constraints and
    reproduce q, each bound the best of several IPOPT solves. Identified quantities (w, w_d, w_after,
    the m's) are points. When no Theta reproduces q exactly (the deltas are not rank one per
    period, or m_l and m_g move in the same direction between periods, which the restricted model
    excludes), the set is that of the nearest model-consistent q and ``exact`` is False.

    Returns rows (parameter, set_min, set_max, identified, exact) for a, a_d, s_ll, s_lg, s_gl,
    s_gg, w, w_d and the derived quantities of ``QUANTITIES``.
    """
    target, residual = reduced_form_from_deltas(deltas)
    nearest = _projected_starts(target, range(6), False, n=8)[0]
    exact = bool(residual <= FEASIBILITY_TOL and nearest.objective <= FEASIBILITY_TOL**2)
    return reduced_form_identified_set(target if exact else reduced_form(nearest.theta), exact)


def reduced_form_identified_set(q: np.ndarray, exact: bool = True, feasible: np.ndarray | None = None) -> pl.DataFrame:
    """The identified set of :func:`identified_set` at a reduced form q = (w_0, w_1, m_l0, m_l1,
    m_g0, m_g1) that the restricted model reproduces, e.g. q(Theta_hat) of a fit: then Theta_hat
    is feasible and each of its quantities lies in its set to the solver's tolerance (rebuilding q
    from the fitted deltas instead loses ~1e-6 where w is near a bound). ``feasible`` (Theta_hat)
    is one more start of every bound solve, which keeps a bound defined where the projected starts
    all fail (w at its bound). ``exact`` is reported as given."""
    rows = _set_rows(q, False, (_equal_reduced_form(range(6)), q, q), tuple(QUANTITIES), True, feasible)
    return pl.DataFrame([(*row, exact) for row in rows], schema=SET_SCHEMA, orient="row")


def one_period_identified_set(w: float, m_l: float, m_g: float) -> pl.DataFrame:
    """Identified set of one period of the unrestricted model (a_d = w_d = 0) at its reduced form
    (w, m_l, m_g): rows as :func:`identified_set` for ``ONE_PERIOD_QUANTITIES``."""
    q = np.array([w, w, m_l, m_l, m_g, m_g])
    target = q[[0, 2, 4]]
    rows = _set_rows(q, True, (_equal_reduced_form((0, 2, 4)), target, target), ONE_PERIOD_QUANTITIES, True)
    return pl.DataFrame([(*row, True) for row in rows], schema=SET_SCHEMA, orient="row")


def wald_critical_value(level: float, dof: int) -> float:
    """chi-square quantile of the Wald ellipsoid."""
    from scipy.stats import chi2

    return float(chi2.ppf(level, dof))


def confidence_set(
    q_hat: np.ndarray,
    draws: np.ndarray,
    level: float = 0.95,
    one_period: bool = False,
    names: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Confidence set of each quantity: the union of its identified sets over the reduced forms q
    in a Wald ellipsoid (q - q_hat)' V^-1 (q - q_hat) <= chi2_k(level), V the bootstrap covariance
    of q (``draws``). For a set-identified quantity k is the number of identified quantities, so
    the sets hold the true Theta jointly with probability at least ``level`` (the joint set of
    ``specs/spillovers.md``). An identified quantity (w, w_d, w_after, the m's) is linear in q,
    g = b'q, and its set at chi2_1(level) is the marginal Wald interval b'q_hat +- z sqrt(b'V b),
    cut to the values the model's constraints allow: the joint ellipsoid's projection would cover
    one number with far more than ``level`` (99.96% for k = 6, 99.5% for k = 3). Each bound is an
    IPOPT solve of min/max quantity(Theta) s.t. the constraints and q(Theta) inside the ellipsoid.
    Columns: parameter, set_min, set_max."""
    rows = [0, 2, 4] if one_period else list(range(6))
    names = names or (ONE_PERIOD_QUANTITIES if one_period else tuple(QUANTITIES))
    precision = np.linalg.pinv(np.cov(draws[:, rows], rowvar=False))

    def ellipsoid(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        gap, jac = reduced_form(theta)[rows] - q_hat[rows], reduced_form_jacobian(theta)[rows]
        weighted = precision @ gap
        hess = 2 * (jac.T @ precision @ jac + np.tensordot(weighted, reduced_form_hessians()[rows], axes=1))
        return np.array([gap @ weighted]), (2 * weighted @ jac)[None, :], hess[None]

    result = {}
    for identified, dof in ((True, 1), (False, len(rows))):
        chosen = [name for name in names if QUANTITIES[name][1] == identified]
        if chosen:
            critical = np.array([wald_critical_value(level, dof)])
            for row in _set_rows(q_hat, one_period, (ellipsoid, np.array([-1e20]), critical), chosen, False):
                result[row[0]] = row[:3]
    return pl.DataFrame([result[name] for name in names], schema=["parameter", "set_min", "set_max"], orient="row")
