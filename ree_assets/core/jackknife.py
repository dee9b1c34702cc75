"""The leave-one-cluster-out jackknife (CRV3) of a two-way fixed-effects regression, without refits.

The model is the (weighted) least-squares regression

    z_i = x_i' beta + alpha_{c(i)} + gamma_{u(i), t(i)} + e_i,   weights w_i,

with a fixed effect per cell c (the unit x sector cell of the DiD) and one per unit x period
(unit x year), every cell inside one unit. The clusters g are unions of cells: the cells
themselves (the DiD's unit x sector clusters, each inside one unit) or cells of several units (the
sector clusters of the growth relative to China, one sector's cells of every country). The
jackknife variance CRV3 (MacKinnon, Nielsen and Webb 2023, J. Econometrics, "CV3") is built from

    sum_g (beta_{-g} - beta)(beta_{-g} - beta)',

beta_{-g} the estimate without cluster g's rows; MNW scale it by (G - 1) / G, pyfixest (whose
numbers ``core.did`` reports) by its CRV factor G / (G - 1) x (N - 1) / (N - K) and centres it at
the estimate, as here. Refitting the model once per cluster (what pyfixest does when there are
fixed effects) costs G fits. Here all G leave-one-out estimates come from the cross products of
the pieces g x u (a cluster's rows in one unit), each from one small (K + T) system:

1. The cell fixed effects are nested in the clusters, so leaving a cluster out drops its cells'
   effects with it: they are partialled out exactly, once, by the weighted within-cell demeaning
   of x, z and the unit x period dummies (MNW 2023, section 4, "fixed effects nested in clusters").
2. The unit x period dummies cross the clusters, so they stay regressors. After the demeaning a
   unit's dummies are zero outside its rows, so their block is profiled out unit by unit (a Schur
   complement): with S_u = sum_g S_gu the cross products of M = sqrt(w) [x, d, z] (demeaned) over
   unit u's pieces,

       A(S) = S_xx - S_xd S_dd^+ S_dx,   b(S) = S_xz - S_xd S_dd^+ S_dz,
       beta_{-g} = (A - sum_u [A(S_u) - A(S_u - S_gu)])^{-1} (b - sum_u [b(S_u) - b(S_u - S_gu)]),

   A = sum_u A(S_u), b = sum_u b(S_u) (beta = A^{-1} b is the full-sample estimate, by
   Frisch-Waugh-Lovell). Leaving cluster g out changes only the terms of the units it meets: one
   for a unit x sector cluster, every unit for a sector cluster (a sum over its pieces).

For OLS (w = 1, z = y) this is exactly the refit jackknife. For a GLM fitted by IRLS (PPML), z is
the working response and w the working weights at convergence: the jackknife of the last IRLS step,
i.e. one Newton step from the estimate on each leave-one-out sample (the linearised jackknife,
Kauermann and Carroll 2001; Bell and McCaffrey 2002).
"""

from __future__ import annotations

import numpy as np

#: Eigenvalues of a unit's dummy block below this fraction of its largest are zero: the block is
#: singular by construction (the dummies of a unit sum to one, which the demeaning removes; periods a
#: unit never sees are columns of zeros).
DUMMY_BLOCK_RCOND = 1e-10
#: A leave-one-out system whose smallest eigenvalue is below this fraction of the full system's
#: smallest (both scaled to a unit diagonal of the full system) has lost a coefficient (clusterwise
#: non-invertibility): the jackknife is undefined.
UNIDENTIFIED_RCOND = 1e-10


def _codes(values: np.ndarray) -> np.ndarray:
    return np.unique(values, return_inverse=True)[1].ravel()


def _within(columns: np.ndarray, cell: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Columns minus their weighted cell means: v_i - sum_{j in c(i)} w_j v_j / sum_{j in c(i)} w_j."""
    total = np.bincount(cell, weights=weights)
    means = np.stack([np.bincount(cell, weights=weights * col) for col in columns.T], axis=1) / total[:, None]
    return columns - means[cell]


def _profiled(cross: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """A(S) and b(S) of stacked cross-product matrices S of [x (k), d, z] (module docstring)."""
    xx, xd, xz = cross[..., :k, :k], cross[..., :k, k:-1], cross[..., :k, -1]
    dd, dz = cross[..., k:-1, k:-1], cross[..., k:-1, -1]
    projector = xd @ np.linalg.pinv(dd, rcond=DUMMY_BLOCK_RCOND, hermitian=True)
    return xx - projector @ np.swapaxes(xd, -1, -2), xz - (projector @ dz[..., None])[..., 0]


def _group_of(codes: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The group of each code, read off rows labelled by both (the last row of a code wins)."""
    of = np.zeros(codes.max() + 1, dtype=np.int64)
    of[codes] = groups
    return of


def leave_cluster_out(
    x: np.ndarray,
    z: np.ndarray,
    *,
    cluster: np.ndarray,
    unit: np.ndarray,
    period: np.ndarray,
    weights: np.ndarray | None = None,
    cell: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(beta, beta_{-g} for every cluster g) of the regression of z on x with cell and
    unit x period fixed effects (module docstring): beta has shape (k,), the leave-one-out
    estimates (G, k), rows in the order of the sorted cluster labels. ``cluster``, ``unit``,
    ``period`` and ``cell`` (default: the cluster) label the rows; every cell must lie in one unit
    and one cluster, and no cluster may carry all the variation of a regressor (ValueError
    otherwise, naming the cluster)."""
    x = np.asarray(x, dtype=float).reshape(len(z), -1)
    w = np.ones(len(z)) if weights is None else np.asarray(weights, dtype=float)
    c = _codes(cluster if cell is None else cell)
    g, u, t = _codes(cluster), _codes(unit), _codes(period)
    if np.any(_group_of(c, u)[c] != u):
        raise ValueError("every cell must lie in one unit (the unit x period dummies are profiled per unit)")
    if np.any(_group_of(c, g)[c] != g):
        raise ValueError("every cell must lie in one cluster (leaving a cluster out drops its cells' effects)")
    piece = _codes(g * (u.max() + 1) + u)  # a cluster's rows in one unit
    unit_of, cluster_of = _group_of(piece, u), _group_of(piece, g)
    dummies = np.zeros((len(z), t.max() + 1))
    dummies[np.arange(len(z)), t] = 1.0
    k = x.shape[1]
    m = np.sqrt(w)[:, None] * _within(np.column_stack([x, dummies, z]), c, w)
    order = np.argsort(piece, kind="stable")
    starts = np.searchsorted(piece[order], np.arange(piece.max() + 1))
    per_piece = np.stack([block.T @ block for block in np.split(m[order], starts[1:])])
    per_unit = np.zeros((u.max() + 1, *per_piece.shape[1:]))
    np.add.at(per_unit, unit_of, per_piece)
    a_unit, b_unit = _profiled(per_unit, k)
    a_without, b_without = _profiled(per_unit[unit_of] - per_piece, k)
    a, b = a_unit.sum(axis=0), b_unit.sum(axis=0)
    beta = np.linalg.solve(a, b)
    a_jack, b_jack = np.broadcast_to(a, (g.max() + 1, k, k)).copy(), np.broadcast_to(b, (g.max() + 1, k)).copy()
    np.add.at(a_jack, cluster_of, a_without - a_unit[unit_of])
    np.add.at(b_jack, cluster_of, b_without - b_unit[unit_of])
    scale = 1.0 / np.sqrt(np.diag(a))  # eigenvalues of the systems with unit-diagonal A: units do not matter
    smallest = np.linalg.eigvalsh(a_jack * np.outer(scale, scale))[:, 0]
    lost = np.flatnonzero(smallest <= UNIDENTIFIED_RCOND * np.linalg.eigvalsh(a * np.outer(scale, scale))[0])
    if lost.size:
        first = np.asarray(np.unique(cluster)[lost[0]]).item()
        raise ValueError(
            f"leaving cluster {first!r} out ({lost.size} such clusters) leaves a coefficient unidentified "
            "(its regressor varies only within that cluster): the leave-one-cluster-out jackknife is undefined"
        )
    return beta, np.linalg.solve(a_jack, b_jack[..., None])[..., 0]


def crv3_sum(beta: np.ndarray, leave_out: np.ndarray) -> np.ndarray:
    """sum_g (beta_{-g} - beta)(beta_{-g} - beta)': the CRV3 variance before the small-sample
    factor (pyfixest multiplies it by the same factor as CRV1, (N-1)/(N-K) x G/(G-1))."""
    deviation = leave_out - beta
    return deviation.T @ deviation
