"""A synthetic sector-year innovation panel generated from the GE model's directed-research equation.

For the 12 GE manufacturing sectors j and the embedded years t (2002-2018) the panel
``ge_innovation_panel`` is drawn from (``specs/ge_model.md``, structural estimation of eps_j)

    ln(P_R / P_L)_jt = a_j + (1 - eps_jt) [ ln(p_R,jt / w_t) - lambda ln(K_R / K_L)_j,t-1 ] + u_jt,

with the true eps_j = AFSV's published values (constant in time; the ``drifting`` variant moves
each eps_jt linearly by ``drift`` over the period, centred on eps_j), lambda = 0.5, sector fixed
effects a_j ~ N(-3, 0.5) (REE-enhancing patents a few percent of the total), u_jt ~ N(0, 0.05^2).
K are perpetual-inventory stocks of the flows (:func:`~ree_assets.core.ge.estimate.knowledge_stock`,
depreciation 0.15) and the first year's lagged stock ratio is exp(a_j). p_R,jt is a Laspeyres index
of the default FOB China element prices (with lognormal yearly noise) weighted by the sector's
Dirichlet element mix; w_t a wage index growing 3% a year with noise. Total patent flows per sector
grow 3% a year from a lognormal base and are split between P_R and P_L by the drawn ratio.

This panel is the estimator's own test world (core tests, ``make bench``). The pipeline's
``ree_elasticities`` reads the panel built from the project's patents instead
(``ge_innovation_panel_from_patents``), whose embedded non-REE flows follow the same equation and
truth (eps_j, lambda, depreciation, sd(u): ``patent_world``).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ree_assets.core.ge.estimate import GE_MANUFACTURING_SECTORS, knowledge_stock, published_elasticities
from ree_assets.sources.embedded.dims import WorldDims
from ree_assets.sources.embedded.ree_defaults import ree_prices

TRUE_LAMBDA = 0.5
DEPRECIATION = 0.15
NOISE_SD = 0.05
STAGE = "ge_elasticities"


def generate_innovation_panel(
    rng: np.random.Generator, dims: WorldDims, *, drift: float = 0.0
) -> dict[str, pl.DataFrame]:
    """``ge_innovation_panel`` and its ``synthetic_truth`` (eps_j, lambda, a_j, depreciation).

    ``drift`` != 0 gives the misspecified world: eps_jt = eps_j + drift (t - tbar) / (T - 1), so
    eps moves by ``drift`` from the first to the last year.
    """
    years = np.asarray(dims.years)
    eps = np.array(list(published_elasticities().values()))
    n_sectors = len(GE_MANUFACTURING_SECTORS)
    fixed_effect = rng.normal(-3.0, 0.5, n_sectors)
    price_index, wages = sector_ree_price_index(rng, years), wage_index(rng, years)
    log_price_ratio = np.log(price_index) - np.log(wages)[:, None]
    eps_path = eps[None, :] + drift * ((years - years.mean()) / (len(years) - 1))[:, None]
    total_flow = (
        rng.lognormal(np.log(2000.0), 0.8, n_sectors)[None, :]
        * 1.03 ** (years - years[0])[:, None]
        * rng.lognormal(0.0, 0.05, (len(years), n_sectors))
    )
    noise = rng.normal(0.0, NOISE_SD, (len(years), n_sectors))

    ree_flow = np.empty_like(total_flow)
    lagged_stock_ratio = fixed_effect.copy()
    for t in range(len(years)):
        log_ratio = (
            fixed_effect + (1 - eps_path[t]) * (log_price_ratio[t] - TRUE_LAMBDA * lagged_stock_ratio) + noise[t]
        )
        ree_flow[t] = total_flow[t] / (1 + np.exp(-log_ratio))
        other = total_flow[: t + 1] - ree_flow[: t + 1]
        lagged_stock_ratio = np.log(
            knowledge_stock(ree_flow[: t + 1], DEPRECIATION)[-1] / knowledge_stock(other, DEPRECIATION)[-1]
        )

    panel = pl.DataFrame(
        {
            "sector": np.tile(GE_MANUFACTURING_SECTORS, len(years)),
            "year": np.repeat(years, n_sectors).astype(np.int32),
            "ree_enhancing_flow": ree_flow.ravel(),
            "non_ree_flow": (total_flow - ree_flow).ravel(),
            "ree_price_index": price_index.ravel(),
            "wage_index": np.repeat(wages, n_sectors),
        }
    )
    return {"ge_innovation_panel": panel, "synthetic_truth": _truth(eps, fixed_effect, drift)}


def sector_ree_price_index(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """Laspeyres REE price index p_R,jt = sum_e w_je p_et / p_e,first, shape (years, sectors).

    p_et are the default FOB China prices times lognormal(0, 0.1) yearly noise; the sector's
    element mix w_j ~ Dirichlet(1, ..., 1) gives the cross-sector variation.
    """
    prices = (
        ree_prices(int(years[0]), int(years[-1]))
        .pivot(on="element", index="year", values="price_usd_per_kg")
        .sort("year")
    )
    element_prices = prices.drop("year").to_numpy() * rng.lognormal(0.0, 0.1, (len(years), prices.width - 1))
    mix = rng.dirichlet(np.ones(prices.width - 1), len(GE_MANUFACTURING_SECTORS))
    return (element_prices / element_prices[0]) @ mix.T


def wage_index(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """Manufacturing wage index, 1 in the first year, growing 3% +- 1% a year."""
    growth = rng.normal(0.03, 0.01, len(years) - 1)
    return np.exp(np.concatenate([[0.0], np.cumsum(growth)]))


def _truth(eps: np.ndarray, fixed_effect: np.ndarray, drift: float) -> pl.DataFrame:
    """``synthetic_truth`` rows (stage, parameter, key, value) of the innovation world."""
    rows = (
        [("eps", sector, value) for sector, value in zip(GE_MANUFACTURING_SECTORS, eps, strict=False)]
        + [("fixed_effect", s, v) for s, v in zip(GE_MANUFACTURING_SECTORS, fixed_effect, strict=True)]
        + [
            ("lambda", "all", TRUE_LAMBDA),
            ("depreciation", "all", DEPRECIATION),
            ("eps_drift", "all", drift),
            ("noise_sd", "all", NOISE_SD),
        ]
    )
    return pl.DataFrame(
        {
            "stage": STAGE,
            "parameter": [r[0] for r in rows],
            "key": [r[1] for r in rows],
            "value": [float(r[2]) for r in rows],
        }
    )
