"""core.jackknife: the leave-one-cluster-out estimates without refits equal the refits, one
least-squares fit per cluster with every fixed effect as a dummy (unweighted and weighted, on an
unbalanced panel of several units where some clusters miss years; clusters that are the unit x
sector cells, and sector clusters spanning the units)."""

import numpy as np
import pytest

from ree_assets.core import jackknife


def unbalanced_panel(seed: int = 3, units: int = 3, sectors: int = 6, years: int = 5):
    """Rows (unit, sector, year) with ~20% of the cells missing, two regressors, cluster = unit x sector;
    unit 0 never sees the last year and the last unit has a single sector (one cluster)."""
    rng = np.random.default_rng(seed)
    grid = np.array([(u, s, t) for u in range(units + 1) for s in range(sectors) for t in range(years)])
    grid = grid[~((grid[:, 0] == 0) & (grid[:, 2] == years - 1)) & ~((grid[:, 0] == units) & (grid[:, 1] > 0))]
    rows = grid[rng.random(len(grid)) > 0.2]
    unit, sector, year = rows.T
    cluster = unit * sectors + sector
    x = np.column_stack([rng.normal(size=len(rows)) + 0.3 * year, rng.normal(size=len(rows))])
    z = (
        x @ np.array([1.5, -0.7])
        + rng.normal(size=(units + 1) * sectors)[cluster]
        + rng.normal(size=(units + 1, years))[unit, year]
        + rng.normal(size=len(rows))
    )
    return x, z, cluster, unit, year, rng.uniform(0.2, 3.0, size=len(rows))


def refit(x, z, cell, unit, year, weights, keep) -> np.ndarray:
    """beta of the weighted regression on the kept rows with cell and unit x year dummies."""
    cells = [np.unique(labels[keep], return_inverse=True)[1] for labels in (cell, unit * 100 + year)]
    dummies = [np.eye(c.max() + 1)[c] for c in cells]
    design = np.column_stack([x[keep], *dummies])
    root = np.sqrt(weights[keep])[:, None]
    return np.linalg.lstsq(root * design, root[:, 0] * z[keep], rcond=None)[0][: x.shape[1]]


@pytest.mark.parametrize("weighted", [False, True])
def test_leave_cluster_out_equals_the_refits(weighted):
    x, z, cluster, unit, year, weights = unbalanced_panel()
    w = weights if weighted else np.ones(len(z))
    beta, leave_out = jackknife.leave_cluster_out(
        x, z, cluster=cluster, unit=unit, period=year, weights=w if weighted else None
    )
    every = np.ones(len(z), dtype=bool)
    np.testing.assert_allclose(beta, refit(x, z, cluster, unit, year, w, every), rtol=1e-10)
    labels = np.unique(cluster)
    expected = np.stack([refit(x, z, cluster, unit, year, w, cluster != g) for g in labels])
    assert leave_out.shape == (len(labels), 2) and len(labels) == 3 * 6 + 1
    np.testing.assert_allclose(leave_out, expected, rtol=1e-9, atol=1e-12)
    deviation = expected - beta
    np.testing.assert_allclose(jackknife.crv3_sum(beta, leave_out), deviation.T @ deviation, rtol=1e-8)


@pytest.mark.parametrize("weighted", [False, True])
def test_sector_clusters_across_units_equal_the_refits(weighted):
    """Clusters that span units (one sector's cells of every unit), the fixed effects still the
    unit x sector cells: each leave-one-out estimate is the refit without the sector's rows."""
    x, z, cell, unit, year, weights = unbalanced_panel()
    sector = cell % 6
    w = weights if weighted else np.ones(len(z))
    beta, leave_out = jackknife.leave_cluster_out(
        x, z, cluster=sector, unit=unit, period=year, weights=w if weighted else None, cell=cell
    )
    np.testing.assert_allclose(beta, refit(x, z, cell, unit, year, w, np.ones(len(z), dtype=bool)), rtol=1e-10)
    expected = np.stack([refit(x, z, cell, unit, year, w, sector != s) for s in range(6)])
    assert leave_out.shape == (6, 2)
    np.testing.assert_allclose(leave_out, expected, rtol=1e-9, atol=1e-12)


def test_a_cell_across_units_or_clusters_is_refused():
    x, z, cell, unit, year, _ = unbalanced_panel()
    with pytest.raises(ValueError, match="every cell must lie in one unit"):
        jackknife.leave_cluster_out(x, z, cluster=cell % 6, unit=unit, period=year)
    with pytest.raises(ValueError, match="every cell must lie in one cluster"):
        jackknife.leave_cluster_out(x, z, cluster=year, unit=unit, period=year, cell=cell)


def test_a_cluster_carrying_a_regressor_is_refused_naming_it():
    """Clusterwise non-invertibility: a regressor that varies only within cluster 4 (after the
    fixed effects) is lost when 4 is left out; the jackknife is undefined, not a silent zero."""
    x, z, cluster, unit, year, _ = unbalanced_panel()
    only_in_four = np.where(cluster == 4, np.random.default_rng(1).normal(size=len(z)), 0.0)
    with pytest.raises(ValueError, match="leaving cluster 4 out .1 such clusters. leaves a coefficient unidentified"):
        jackknife.leave_cluster_out(np.column_stack([x, only_in_four]), z, cluster=cluster, unit=unit, period=year)
    jackknife.leave_cluster_out(x, z, cluster=cluster, unit=unit, period=year)  # without it: defined
