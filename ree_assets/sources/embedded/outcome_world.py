"""The embedded world's TFP and export outcomes, with known DiD effects (``specs/patents_and_did.md``).

For every economy c, SIC industry s and year t the annualised midpoint growth of an outcome o
(TFP, export value) is drawn as

    g_cst = a_cs + d_ct + beta_o,r(c) Sens_s post_t + gamma_o subsidy_cst post_t + e_cst,

post_t = 1{t >= 2010}, with Sens_s = ``embedded_sensitivity`` (the index the pipeline computes),
a_cs ~ N(0.02, 0.02^2), d_ct ~ N(0, 0.03^2), e_cst ~ N(0, sigma_o^2). beta is common to every
non-China region and has the opposite sign in CHN; it is set per standard deviation of Sens
(``EFFECT_PER_SD``). The raw tables are then built so that the pipeline's own transforms give back
exactly these growth rates:

- ``trade`` (exports to partner WLD, one synthetic HS6 code per SIC industry, ``hs_sic_concordance``
  1:1): levels x_t = x_{t-1} (2 + g_t) / (2 - g_t), the inverse of midpoint growth. About 20% of
  (c, s) cells never export and 10% start late (no zeros, no gaps). Bilateral rows to three
  partner economies carry 60% of each cell's exports (the importers of the demand control).
- ``industry_stats_us`` (NBER-CES layout) for USA: the TFP index tfp4 = tfp5 follows the same
  inverse; employment, pay, capital and shipments give the capital and labour intensities.
- ``industry_stats`` (INDSTAT-like) for the other economies, with ``isic_sic_concordance`` 1:1
  (the embedded ISIC code of a SIC industry is its SIC code): value added grows by
  g_TFP + s_L g_L + (1 - s_L) g_K with K from perpetual inventory (defaults of
  ``core.growth.indstat_tfp_growth``) and a constant labour share s_L, so TFP construction
  returns g_TFP exactly.
- ``subsidies`` (GTA layout): subsidy shares in [0, 0.3]; ``gdp`` (World Bank layout, from two
  years before the panel). Growth does not depend on importers' GDP (its true coefficient is 0).

Truth rows: stage ``did``, parameter ``beta``, key ``<outcome>:<sample>`` (samples NONCHN, USA,
EUR, JPN, CHN, ALL; the vs-China outcome has no CHN); the ALL estimand is the economy-weighted
mean of the economies' betas (exact in a balanced panel, as the TFP panel is). Parameter
``gamma_subsidy`` keys the outcome; ``effect_per_sd`` the per-SD effects; ``sensitivity_sd`` the SD.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ree_assets.core.growth import perpetual_inventory_capital
from ree_assets.sources.embedded.dims import WorldDims, WorldSize

STAGE = "did"
OUTCOMES = ("tfp_growth", "export_growth")
#: True effect of one SD of Sens on annual growth: (non-China regions, CHN).
EFFECT_PER_SD = {"tfp_growth": (0.01, -0.01), "export_growth": (0.03, -0.02)}
NOISE_SD = {"tfp_growth": 0.03, "export_growth": 0.08}
GAMMA_SUBSIDY = {"tfp_growth": 0.02, "export_growth": 0.05}
SAMPLE_REGIONS = ("USA", "EUR", "JPN", "CHN")
POST_YEAR = 2010
#: Bilateral exports: each (c, s) ships BILATERAL_SHARE of its exports to N_PARTNERS other
#: economies (Dirichlet shares, fixed over time); the rest goes to economies outside the world.
N_PARTNERS, BILATERAL_SHARE = 3, 0.6
#: GDP starts two years before the panel so the lagged demand growth exists in its first year.
GDP_LEAD_YEARS = 2


def _sensitivity(dims: WorldDims, seed_sensitivity: pl.DataFrame) -> np.ndarray:
    by_sic = dict(seed_sensitivity.select("sic4", "sensitivity").iter_rows())
    return np.array([by_sic[s] for s in dims.sic4])


def growth_draws(
    rng: np.random.Generator, dims: WorldDims, sens: np.ndarray, subsidy: np.ndarray, outcome: str
) -> tuple[np.ndarray, dict[str, float]]:
    """g[c, s, t] of the module equation and the betas by region (economy -> beta)."""
    n_c, n_s, n_t = len(dims.economies), len(dims.sic4), len(dims.years)
    sd = float(np.std(sens, ddof=1))
    other, china = (e / sd for e in EFFECT_PER_SD[outcome])
    beta = {c: china if dims.region_of(c) == "CHN" else other for c in dims.economies}
    post = (np.asarray(dims.years) >= POST_YEAR).astype(float)
    beta_c = np.array([beta[c] for c in dims.economies])
    g = (
        rng.normal(0.02, 0.02, (n_c, n_s, 1))
        + rng.normal(0.0, 0.03, (n_c, 1, n_t))
        + beta_c[:, None, None] * sens[None, :, None] * post[None, None, :]
        + GAMMA_SUBSIDY[outcome] * subsidy * post[None, None, :]
        + rng.normal(0.0, NOISE_SD[outcome], (n_c, n_s, n_t))
    )
    return g, beta


def levels_from_growth(first: np.ndarray, growth: np.ndarray) -> np.ndarray:
    """Levels whose midpoint growth is ``growth`` (last axis = years; growth of the first year is
    ignored): x_t = x_{t-1} (2 + g_t) / (2 - g_t)."""
    factors = (2 + growth[..., 1:]) / (2 - growth[..., 1:])
    return first[..., None] * np.concatenate([np.ones(growth.shape[:-1] + (1,)), np.cumprod(factors, -1)], -1)


def _long(dims: WorldDims, values: dict[str, np.ndarray], country: str = "country") -> pl.DataFrame:
    """(economy, sic4, year) x value arrays -> a long frame."""
    n_c, n_s, n_t = len(dims.economies), len(dims.sic4), len(dims.years)
    return pl.DataFrame(
        {
            country: np.repeat(np.array(dims.economies), n_s * n_t),
            "sic4": np.tile(np.repeat(np.array(dims.sic4), n_t), n_c),
            "year": np.tile(np.array(dims.years, dtype=np.int64), n_c * n_s),
            **{name: array.reshape(-1) for name, array in values.items()},
        }
    )


def _truth(dims: WorldDims, betas: dict[str, dict[str, float]], sd: float) -> pl.DataFrame:
    rows = []
    relative = {c: betas["export_growth"][c] - betas["export_growth"]["CHN"] for c in dims.economies}
    for outcome, beta in (*betas.items(), ("export_growth_vs_china", relative)):
        non_china = next(b for c, b in beta.items() if dims.region_of(c) != "CHN")
        economies = [c for c in dims.economies if outcome != "export_growth_vs_china" or c != "CHN"]
        samples = {
            "NONCHN": non_china,
            "ALL": float(np.mean([beta[c] for c in economies])),
            **{
                r: next(b for c, b in beta.items() if dims.region_of(c) == r)
                for r in SAMPLE_REGIONS
                if not (outcome == "export_growth_vs_china" and r == "CHN")
            },
        }
        rows += [(STAGE, "beta", f"{outcome}:{sample}", value) for sample, value in samples.items()]
    rows += [(STAGE, "gamma_subsidy", o, g) for o, g in GAMMA_SUBSIDY.items()]
    rows += [
        (STAGE, "effect_per_sd", f"{o}:{s}", e)
        for o, (x, c) in EFFECT_PER_SD.items()
        for s, e in (("NONCHN", x), ("CHN", c))
    ]
    rows.append((STAGE, "sensitivity_sd", "sic4", sd))
    return pl.DataFrame(
        rows, schema={"stage": pl.String, "parameter": pl.String, "key": pl.String, "value": pl.Float64}, orient="row"
    )


def _trade(rng: np.random.Generator, dims: WorldDims, growth: np.ndarray) -> pl.DataFrame:
    n_c, n_s, n_t = growth.shape
    level = levels_from_growth(rng.lognormal(np.log(5e7), 1.5, (n_c, n_s)), growth)
    exports = rng.random((n_c, n_s)) >= 0.2
    start = np.where(rng.random((n_c, n_s)) < 0.1, rng.integers(1, 7, (n_c, n_s)), 0)
    observed = exports[..., None] & (np.arange(n_t)[None, None, :] >= start[..., None])
    draws = rng.random((n_c, n_s, n_c)) + np.eye(n_c)[:, None, :]  # never oneself
    partners = np.argsort(draws, axis=-1)[..., :N_PARTNERS]
    shares = BILATERAL_SHARE * rng.dirichlet(np.ones(N_PARTNERS), (n_c, n_s))
    economies = np.array(dims.economies)
    world = _long(dims, {"value_usd": level, "observed": observed}, "reporter").with_columns(partner=pl.lit("WLD"))
    bilateral = [
        _long(dims, {"value_usd": level * shares[..., k, None], "observed": observed}, "reporter").with_columns(
            partner=pl.Series(np.repeat(economies[partners[..., k]].ravel(), n_t))
        )
        for k in range(N_PARTNERS)
    ]
    return (
        pl.concat([world, *bilateral])
        .filter(pl.col("observed"))
        .select(
            "reporter",
            "partner",
            pl.lit("export").alias("flow"),
            (pl.col("sic4") + "00").alias("hs6"),
            pl.lit("HS2002").alias("hs_vintage"),
            "year",
            "value_usd",
        )
    )


def _industry_stats_us(rng: np.random.Generator, dims: WorldDims, tfp_growth_us: np.ndarray) -> pl.DataFrame:
    n_s, n_t = tfp_growth_us.shape
    vship = levels_from_growth(np.asarray(rng.lognormal(np.log(5e3), 1.0, n_s)), rng.normal(0.03, 0.05, (n_s, n_t)))
    vadd = vship * rng.uniform(0.3, 0.6, (n_s, 1))
    cap = vship * rng.uniform(0.3, 1.5, (n_s, 1))
    pay = vadd * rng.uniform(0.3, 0.7, (n_s, 1))
    emp = pay / rng.uniform(40, 80, (n_s, 1))
    tfp = levels_from_growth(np.ones(n_s), tfp_growth_us)
    frame = pl.DataFrame(
        {
            "sic4": np.repeat(np.array(dims.sic4), n_t),
            "year": np.tile(np.array(dims.years), n_s),
            "vship": vship.ravel(),
            "vadd": vadd.ravel(),
            "emp": emp.ravel(),
            "pay": pay.ravel(),
            "cap": cap.ravel(),
            "tfp4": tfp.ravel(),
            "tfp5": tfp.ravel(),
        }
    )
    return frame.with_columns(pl.col("year").cast(pl.Int64))


def _industry_stats(
    rng: np.random.Generator, dims: WorldDims, economies: list[str], tfp_growth: np.ndarray
) -> pl.DataFrame:
    """INDSTAT-like rows whose TFP construction gives ``tfp_growth`` [economy, sector, year]."""
    n_c, n_s, n_t = tfp_growth.shape
    employment = levels_from_growth(rng.lognormal(np.log(2e4), 1.0, (n_c, n_s)), rng.normal(0.0, 0.04, (n_c, n_s, n_t)))
    gfcf = rng.lognormal(np.log(50.0), 0.8, (n_c, n_s, 1)) * rng.lognormal(0.0, 0.2, (n_c, n_s, n_t))
    keys = pl.DataFrame(
        {
            "country": np.repeat(np.array(economies), n_s * n_t),
            "isic4": np.tile(np.repeat(np.array(dims.sic4), n_t), n_c),
            "year": np.tile(np.array(dims.years, dtype=np.int64), n_c * n_s),
            "gfcf": gfcf.ravel(),
        }
    )
    capital = perpetual_inventory_capital(keys, keys=["country", "isic4"])["capital"].to_numpy().reshape(n_c, n_s, n_t)
    g_k, g_l = (2 * np.diff(x, axis=-1) / (x[..., 1:] + x[..., :-1]) for x in (capital, employment))
    labour_share = rng.uniform(0.4, 0.7, (n_c, n_s, 1))
    g_va = tfp_growth[..., 1:] + labour_share * g_l + (1 - labour_share) * g_k
    value_added = levels_from_growth(
        rng.lognormal(np.log(500.0), 1.0, (n_c, n_s)), np.concatenate([np.zeros((n_c, n_s, 1)), g_va], -1)
    )
    return keys.with_columns(
        output=pl.Series(value_added.ravel()) * 2.5,
        value_added=pl.Series(value_added.ravel()),
        employment=pl.Series(employment.ravel()),
        wages=pl.Series((value_added * labour_share).ravel()),
    ).select("country", "isic4", "year", "output", "value_added", "employment", "wages", "gfcf")


def generate_outcome_world(
    rng: np.random.Generator, dims: WorldDims, *, sensitivity: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """The raw tables of the TFP and export panels and their truth (module docstring)."""
    sens = _sensitivity(dims, sensitivity)
    n_c, n_s, n_t = len(dims.economies), len(dims.sic4), len(dims.years)
    subsidy = rng.uniform(0.0, 0.3, (n_c, n_s, 1)) * rng.uniform(0.5, 1.0, (n_c, n_s, n_t))
    growth, betas = {}, {}
    for outcome in OUTCOMES:
        growth[outcome], betas[outcome] = growth_draws(rng, dims, sens, subsidy, outcome)
    us = dims.economies.index("USA")
    others = [c for c in dims.economies if c != "USA"]
    other_index = [dims.economies.index(c) for c in others]
    gdp_years = np.arange(dims.years[0] - GDP_LEAD_YEARS, dims.years[-1] + 1)
    gdp = levels_from_growth(rng.lognormal(np.log(5e11), 1.2, n_c), rng.normal(0.03, 0.03, (n_c, len(gdp_years))))
    deflator = levels_from_growth(np.ones(n_c), rng.normal(0.02, 0.01, (n_c, len(gdp_years))))
    return {
        "trade": _trade(rng, dims, growth["export_growth"]),
        "hs_sic_concordance": pl.DataFrame(
            {"hs6": [s + "00" for s in dims.sic4], "hs_vintage": "HS2002", "sic4": list(dims.sic4), "weight": 1.0}
        ),
        "industry_stats_us": _industry_stats_us(rng, dims, growth["tfp_growth"][us]),
        "industry_stats": _industry_stats(rng, dims, others, growth["tfp_growth"][other_index]),
        "isic_sic_concordance": pl.DataFrame({"isic4": list(dims.sic4), "sic4": list(dims.sic4), "weight": 1.0}),
        "subsidies": _long(dims, {"subsidy_share": subsidy}),
        "gdp": pl.DataFrame(
            {
                "country": np.repeat(np.array(dims.economies), len(gdp_years)),
                "year": np.tile(gdp_years.astype(np.int64), n_c),
                "gdp_usd": (gdp * deflator).ravel(),
                "gdp_real_usd": gdp.ravel(),
            }
        ),
        "synthetic_truth": _truth(dims, betas, float(np.std(sens, ddof=1))),
    }


def generate_outcomes(
    rng: np.random.Generator, dims: WorldDims, *, seed: int, size: WorldSize
) -> dict[str, pl.DataFrame]:
    """Stage generator of ``world.STAGES`` (a world-aware stage): the outcome world drawn on the
    sensitivity the pipeline computes from the same seed and size."""
    from ree_assets.sources.embedded.sensitivity_truth import embedded_sensitivity

    return generate_outcome_world(rng, dims, sensitivity=embedded_sensitivity(seed, size))
