"""A patent panel drawn from a known Poisson DiD model, for the estimator's own tests and the
bench (well-specified and pre-trend worlds at any size); the pipeline's ``patent_panel`` comes
from the patents stage.

A frame with patent_panel's grain and columns (region, sic4, year: ree_enhancing_stock,
ree_stock, ree_enhancing_flow, non_ree_patents) drawn from the Poisson DiD model of
PATENT_INTERFACES item 4: the REE-enhancing flow of region r, SIC s, year t is Poisson with mean
exp(alpha_rs + gamma_rt + beta_r Sens_s post_t + kappa_s (t - 2009) 1{t < 2010}), one beta for every
non-China region and a negative one for CHN (per SD of Sens: ``EFFECT_PER_SD``); kappa_s =
``pre_trend_per_sd`` x Sens_s / SD(Sens) is a differential pre-trend (0 in the well-specified
world). Stocks are perpetual inventories of the flows with 15% depreciation; all-REE flows are
the enhancing ones over a share ~ U(0.4, 0.8).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ree_assets.sources.embedded.dims import REGIONS, WorldDims

EFFECT_PER_SD = (0.3, -0.1)  # non-China regions, CHN
DEPRECIATION = 0.15


def poisson_did_panel(
    rng: np.random.Generator, dims: WorldDims, sensitivity: pl.DataFrame, *, pre_trend_per_sd: float = 0.0
) -> tuple[pl.DataFrame, dict[str, float]]:
    """(patent_panel frame, true beta of the flow by region) — see the module docstring."""
    by_sic = dict(sensitivity.select("sic4", "sensitivity").iter_rows())
    sens = np.array([by_sic[s] for s in dims.sic4])
    sd = float(np.std(sens, ddof=1))
    years = np.asarray(dims.years)
    beta = {r: (EFFECT_PER_SD[1] if r == "CHN" else EFFECT_PER_SD[0]) / sd for r in REGIONS}
    n_r, n_s, n_t = len(REGIONS), len(sens), len(years)
    post = (years >= 2010).astype(float)
    pre = np.where(years < 2010, years - 2009, 0.0)
    log_mean = (
        rng.normal(0.5, 1.0, (n_r, n_s, 1))
        + rng.normal(0.0, 0.2, (n_r, 1, n_t))
        + np.array([beta[r] for r in REGIONS])[:, None, None] * sens[None, :, None] * post
        + pre_trend_per_sd * (sens / sd)[None, :, None] * pre
    )
    flow = rng.poisson(np.exp(log_mean)).astype(float)
    all_ree = flow + rng.poisson(flow / rng.uniform(0.4, 0.8, (n_r, n_s, 1)) - flow + 0.5)
    stock, ree_stock = np.zeros_like(flow), np.zeros_like(flow)
    for t in range(n_t):
        previous = (stock[..., t - 1], ree_stock[..., t - 1]) if t else (0.0, 0.0)
        stock[..., t] = (1 - DEPRECIATION) * previous[0] + flow[..., t]
        ree_stock[..., t] = (1 - DEPRECIATION) * previous[1] + all_ree[..., t]
    non_ree = rng.poisson(rng.lognormal(np.log(200.0), 1.0, (n_r, n_s, 1)) * np.ones(n_t))
    frame = pl.DataFrame(
        {
            "region": np.repeat(np.array(REGIONS), n_s * n_t),
            "sic4": np.tile(np.repeat(np.array(dims.sic4), n_t), n_r),
            "year": np.tile(years.astype(np.int64), n_r * n_s),
            "ree_enhancing_stock": stock.ravel(),
            "ree_stock": ree_stock.ravel(),
            "ree_enhancing_flow": flow.ravel(),
            "non_ree_patents": non_ree.ravel(),
        }
    )
    return frame, beta
