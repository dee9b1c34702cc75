"""The AFSV part of the embedded world's one synthetic USPTO: the grants of 2002-2018 (every
canonical patent table but the citations, which ``patent_office`` draws across the whole office),
with the true labels of every patent.

Two parts of one patent office (``specs/patents_and_did.md``, ``patent_office``): grant years
1969-2001 are the FVD universe (``fvd_universe.fvd_universe_tables``, the spillovers stage, ids
below 6,300,000); grant years 2002-2018 are the AFSV corpus written here (ids from 6,300,000, a
block of 230,000 per year), REE patents and a larger non-REE background. Every grant of either part
that meets the FVD set rule cites as the FVD mixture says against the whole office
(``fvd_universe.set_citations``; here the REE magnet and catalyst grants filed up to 2002, granted
2002-2007); the others cite at random.

AFSV part. Regions r (the eight AFSV regions), SIC industries s (those of the world with an
embedded sensitivity Sens_s, ``sensitivity_truth.embedded_sensitivity``) in the GE manufacturing
sectors j (the shipped SIC -> GE map of ``core.ge_panel``), grant years t. The flows of a cell
are Poisson (PATENT_INTERFACES item 4):

    REE-enhancing:  N_rst ~ Poisson(exp(c_E + alpha_rs + gamma_rt + beta_r Sens_s Post_t)),
    other REE:      M_rst ~ Poisson(exp(c_M + alpha_rs + gamma_rt)),
    non-REE:        B_rst ~ Poisson(pi_rs|j P_L,jt),

Post_t = 1[t >= 2010], Sens_s unstandardised (USD of REE per USD, as the io_table stage computes
it); beta_r = ``EFFECT_PER_SD`` / SD(Sens_s) over the world's industries, 0.0441 log points of the
flow per SD of Sens for every region but China and 0 for CHN (truth rows ``did / beta_flow /
patents:<region>``: 150 on the full world, 250 on the small one, seed 20100701). alpha_rs = a_r +
0.8 z_s + N(0, 0.5^2) + psi_j concentrates REE patents in REE-using industries (z_s the standardised
log Sens_s); psi_j >= 0 lifts a GE sector whose expected REE-enhancing flow would fall below
``SECTOR_YEAR_FLOOR`` in some year (absorbed by the DiD's region x SIC effects). gamma_rt a region
trend (CHN +12% a year, others +2%) plus N(0, 0.05^2). c_E and c_M scale the expected REE totals to
``TARGETS`` (before psi_j).

Non-REE flows carry the GE model's directed research (``specs/ge_model.md``, structural
estimation of eps_j), so the GE estimation has a truth to recover from the project's own patent
panel: by GE sector and year, with P_R,jt = sum_{r, s in j} E[N_rst],

    ln(P_R / P_L)_jt = a_j + (1 - eps_j) [ ln(p_R,jt / w_t) - lambda ln(K_R / K_L)_j,t-1 ] + u_jt,

eps_j AFSV's published values and lambda, depreciation and sd(u) those of the innovation world
(``innovation_world``: the same truth rows ``ge_elasticities / eps``), a_j ~ N(-2, 0.3^2)
(truth ``patents / ge_fixed_effect``), p_R,jt and w_t the price and wage indices the pipeline
itself builds (``core.ge_panel`` on the embedded ``ree_total_requirements``, ``ree_prices`` and
``industry_stats_us``). P_L is spread over the sector's cells by fixed shares pi_rs|j ~
exp(N(a_r, 1)). P_R is the expectation, not the draw, so a cell's non-REE count does not depend
on its own REE draws (the DiD's control stays exogenous).

The DiD of the pipeline is PPML on the REE-enhancing *stock* (perpetual inventory of the flows,
depreciation 15%), not on the flow, so its estimand is not beta_r: the stock takes years to
absorb a change in the flow, and ALL pools regions with different beta_r. The truth rows ``did /
beta / patents:<sample>`` (every sample: NONCHN, ALL, USA, EUR, JPN, CHN) are the pseudo-true
value of that regression, :func:`stock_did_estimand`: the PPML fit (``core.did.fit``) on the
expected stocks, whose maximiser is the probability limit of PPML (Gourieroux, Monfort and
Trognon 1984). ``did / beta_application_year / patents:<sample>`` is the same for the stocks
counted by application year (the DiD's robustness variant): the expected grant-year flows are
spread over application years by the generator's own filing lags (grant dates uniform over the
year's Tuesdays, filing 300-1599 days before; :func:`application_year_kernel`), including the
truncation of recent application years whose grants fall after 2018. These estimands count the
true labels; the pipeline counts the classifier's.

Sizes (seed 20100701): ``small`` about 6,100 REE-enhancing, 3,800 other REE and 46,000 non-REE
grants over 2002-2018; ``full`` about 24,000 REE-enhancing (before the floor) and 180,000 non-REE.
The small world keeps about a fifth of the industries, and its ``TARGETS`` are a fifth of the full
world's.

Why the effect is set per SD of Sens, and the small world's targets. The DiD's information lies in
the REE-enhancing patents of the few high-Sens industries (3499 carries most of the variance of
Sens), and its SE is their Poisson noise: on the expected stocks, without noise, the SE is 0.2
(small) and 0.4 (full), and scaling every flow by k divides the drawn SE by sqrt(k). The small
world's IO table gives a compressed Sens (3499: 0.0015 against the full world's 0.0055; max/SD 8.5
against 18.5; from seed to seed the SD varies by a factor 2.5), so an effect fixed per unit of Sens
(beta = 150 on both) moved 3499's flow by 0.23 log points against 0.82 on the full world, and the
small world's 2,400 REE-enhancing target (half its flow came from the floor's low-Sens sectors) left
about 1,000 expected grants in 3499 and 3714. The stock DiD NONCHN then had a truth of 97 and a
sampling SD of 54 (30 Poisson draws of the expected flows, true labels; mean clustered SE 46): the
truth was 1.8 SDs from zero. Per SD of Sens and with a fifth of the full world's targets, the truth
is 166, the SD 31 and the SE 37: 5.4 SDs, 4.5 SEs.

Texts are written with the evaluation vocabulary of ``patent_text`` (the generator's own words,
not any classifier's rules: industries named by their products or not at all, never by the SIC
title; saving words that do not save rare earths in non-enhancing grants; distractors), classes
are drawn through the world's class -> SIC concordance (``patent_classes``). Each grant year is
drawn from its own random stream, so re-generating a year gives the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from ree_assets.sources.embedded.dims import (
    ECONOMY_REGION,
    REGIONS,
    WorldDims,
    WorldSize,
    world_dims,
)
from ree_assets.sources.embedded.patent_classes import draw_classes, industry_code_sampler
from ree_assets.sources.embedded.patent_text import TEXT_DRAWS, background_text, ree_text
from ree_assets.sources.embedded.world import TRUTH_SCHEMA, stage_rng
from ree_assets.sources.patent_tables import conform

FIRST_GRANT_YEAR, AFSV_FIRST_YEAR, LAST_GRANT_YEAR = 1969, 2002, 2018
POST_YEAR = 2010
FIRST_AFSV_ID, IDS_PER_YEAR = 6_300_000, 230_000
#: The flow effect of one SD of Sens (log points of E[N]): every region but China, China. As in the
#: other outcome generators (``outcome_world``, ``poisson_did_panel``), the effect is set per SD of
#: the world's own Sens, so every size and seed has the same treatment in log points; beta_r is
#: this over SD(Sens) (150 on the full world at seed 20100701, 250 on the small one).
EFFECT_PER_SD: dict[str, float] = {"non_china": 0.0441, "china": 0.0}
#: Depreciation of the patent stocks (the dbt var patent_depreciation's default).
STOCK_DEPRECIATION = 0.15
#: The vocabulary of ``patent_text`` the corpus is written with (the training set uses the other).
CORPUS_VOCABULARY = "evaluation"
TECHNOLOGIES: tuple[str, ...] = ("Battery", "Catalyst", "Lamp", "Magnet", "Motor", "Turbine", "Other")
#: Expected REE grants over 2002-2018 before the GE-sector floor: REE-enhancing, other REE.
TARGETS: dict[str, tuple[float, float]] = {"full": (24_000, 16_000), "small": (4_800, 3_200)}
#: Least expected REE-enhancing grants of any GE sector and year (psi_j lifts a sector's alpha_rs).
SECTOR_YEAR_FLOOR: dict[str, float] = {"full": 60.0, "small": 15.0}
#: a_j ~ N(mean, sd): the log ratio of REE-enhancing to non-REE flows of GE sector j.
GE_FIXED_EFFECT = (-2.0, 0.3)
REGION_LEVEL = {"USA": 0.0, "JPN": 0.0, "EUR": -0.1, "CHN": -1.0, "KOR": -0.7, "RUS": -2.5, "AUS": -2.5, "ROW": -1.5}
REGION_TREND = {region: (0.12 if region == "CHN" else 0.02) for region in REGIONS}
#: SIC industries whose REE patents are mostly of one or two technologies.
TECHNOLOGY_SIC: dict[str, tuple[str, ...]] = {
    "Magnet": ("3499", "3264", "3679"),
    "Battery": ("3691", "3692"),
    "Catalyst": ("2819", "2911", "3714", "2869"),
    "Lamp": ("3641", "3229", "2816", "3674"),
    "Motor": ("3621", "3714", "3566"),
    "Turbine": ("3511", "3519"),
}

COMPANY_SUFFIX = {
    "USA": "Inc.",
    "EUR": "GmbH",
    "JPN": "Co., Ltd.",
    "CHN": "Co., Ltd.",
    "KOR": "Co., Ltd.",
    "RUS": "JSC",
    "AUS": "Pty Ltd",
    "ROW": "Ltd.",
}


def afsv_grant_year_ids(year: int) -> tuple[int, int]:
    """The id block [first, first + 230,000) of the AFSV part's grants of ``year``."""
    first = FIRST_AFSV_ID + (year - AFSV_FIRST_YEAR) * IDS_PER_YEAR
    return first, first + IDS_PER_YEAR


def generate_patent_truth(
    rng: np.random.Generator, dims: WorldDims, *, seed: int, size: WorldSize
) -> dict[str, pl.DataFrame]:
    """The ``synthetic_truth`` rows of the patent DiD (the world stage registry's generator): the
    flow effects beta_flow by region, the stock DiD's estimands by sample, by grant year (beta)
    and by application year (beta_application_year), and the post year."""
    flow = dict(did_design(seed, size).cells.select("region", "beta").unique().iter_rows())
    rows = [("did", "beta_flow", f"patents:{r}", flow[r]) for r in REGIONS]
    for parameter, basis in (("beta", "grant_year"), ("beta_application_year", "application_year")):
        estimands = stock_did_estimand(seed, size, basis)
        rows += [("did", parameter, f"patents:{sample}", value) for sample, value in estimands.items()]
    design = did_design(seed, size)
    rows += [
        ("patents", "ge_fixed_effect", j, float(a)) for j, a in zip(design.sectors, design.fixed_effect, strict=True)
    ]
    rows.append(("patents", "post_year", "year", float(POST_YEAR)))
    return {"synthetic_truth": pl.DataFrame(rows, schema=TRUTH_SCHEMA, orient="row")}


#: The generator's filing lags: an application is filed 300-1599 days before its grant.
FILING_LAG_DAYS = (300, 1600)


def _grant_tuesdays(year: int) -> np.ndarray:
    """Every Tuesday of ``year`` (the grant dates :func:`_tuesdays` draws from, uniformly)."""
    first = np.datetime64(f"{year}-01-01")
    first_tuesday = first + ((1 - (first.astype("datetime64[D]").view("int64") + 3) % 7) % 7)
    weeks = ((np.datetime64(f"{year + 1}-01-01") - first_tuesday).astype(int) - 1) // 7 + 1
    return first_tuesday + 7 * np.arange(weeks)


def application_year_kernel(grant_years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(application years, K) with K[t, a] = P(application year a | grant year t) under the
    generator: grant date uniform over the Tuesdays of t, filing lag uniform on FILING_LAG_DAYS."""
    lags = np.arange(*FILING_LAG_DAYS).astype("timedelta64[D]")
    filed = [
        (_grant_tuesdays(int(t))[:, None] - lags[None, :]).astype("datetime64[Y]").astype(int) + 1970
        for t in grant_years
    ]
    first = min(int(f.min()) for f in filed)
    years = np.arange(first, int(grant_years[-1]) + 1)
    kernel = np.stack([np.bincount(f.ravel() - first, minlength=years.size) / f.size for f in filed])
    return years, kernel


def expected_enhancing_flows(seed: int, size: WorldSize) -> tuple[pl.DataFrame, np.ndarray]:
    """(cells: region, sic4, sens; E[N] of every cell and AFSV grant year, cells x years)."""
    design = did_design(seed, size)
    cells = design.cells
    region_index = np.array([REGIONS.index(r) for r in cells["region"]])
    post = (np.arange(AFSV_FIRST_YEAR, LAST_GRANT_YEAR + 1) >= POST_YEAR).astype(float)
    log_mean = (
        design.c_enhancing
        + cells["alpha"].to_numpy()[:, None]
        + design.gamma[region_index]
        + (cells["beta"] * cells["sens"]).to_numpy()[:, None] * post[None, :]
    )
    return cells.select("region", "sic4", "sens"), np.exp(log_mean)


@cache
def expected_grants_by_sic(seed: int, size: WorldSize) -> dict[str, float]:
    """SIC -> expected AFSV grants over 2002-2018, REE (E[N] + E[M]) and non-REE (pi_rs|j P_L,jt)."""
    design = did_design(seed, size)
    cells, enhancing = expected_enhancing_flows(seed, size)
    region_index = np.array([REGIONS.index(r) for r in design.cells["region"]])
    other = np.exp(design.c_other + design.cells["alpha"].to_numpy()[:, None] + design.gamma[region_index])
    sector_row = np.array([design.sectors.index(j) for j in design.cells["sector"]])
    background = design.cells["background_share"].to_numpy()[:, None] * design.non_ree[sector_row]
    totals = cells.select("sic4").with_columns(grants=(enhancing + other + background).sum(axis=1))
    by_sic = totals.group_by("sic4").agg(pl.col("grants").sum())
    return dict(zip(by_sic["sic4"], by_sic["grants"], strict=True))


@cache
def industry_codes(seed: int, size: WorldSize) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]:
    """The world's industry-code sampler: ``patent_classes.industry_code_sampler`` of the expected
    grants by SIC (:func:`expected_grants_by_sic`)."""
    return industry_code_sampler(expected_grants_by_sic(seed, size))


@cache
def stock_did_estimand(seed: int, size: WorldSize, basis: str = "grant_year") -> dict[str, float]:
    """Sample -> pseudo-true beta of the patent DiD (PPML of the REE-enhancing stock on
    Sens x Post with region x SIC and region x year effects, ``core.did.fit``) on the expected
    stocks K_t = sum_{tau <= t} 0.85^(t - tau) E[N_tau], counted by ``basis`` (grant_year, or
    application_year through :func:`application_year_kernel`), years 2002-2018 of the DiD."""
    from ree_assets.core import did

    cells, flows = expected_enhancing_flows(seed, size)
    years = np.arange(AFSV_FIRST_YEAR, LAST_GRANT_YEAR + 1)
    if basis == "application_year":
        years, kernel = application_year_kernel(years)
        flows = flows @ kernel
    elif basis != "grant_year":
        raise ValueError(f"basis is grant_year or application_year, not {basis!r}")
    stocks = np.zeros_like(flows)
    for t in range(years.size):
        stocks[:, t] = flows[:, t] + (1 - STOCK_DEPRECIATION) * (stocks[:, t - 1] if t else 0.0)
    panel = (
        pl.DataFrame(
            {
                "region": np.repeat(cells["region"].to_numpy(), years.size),
                "sic4": np.repeat(cells["sic4"].to_numpy(), years.size),
                "sensitivity": np.repeat(cells["sens"].to_numpy(), years.size),
                "year": np.tile(years, cells.height),
                "ree_enhancing_stock": stocks.ravel(),
            }
        )
        .filter(pl.col("year").is_between(AFSV_FIRST_YEAR, LAST_GRANT_YEAR))
        .with_columns(post=(pl.col("year") >= POST_YEAR).cast(pl.Int32))
    )
    return {
        sample: float(did.fit(panel, outcome="ree_enhancing_stock", estimator="ppml", sample=sample)["estimate"][0])
        for sample in did.SAMPLES
    }


@dataclass(frozen=True)
class Design:
    """The expected-value design of the AFSV part (module docstring).

    ``cells``: region, sic4, sens, sector (GE), alpha (REE patents, GE floor included), beta (the
    flow effect beta_r), background_share (pi_rs|j); ``gamma``: region-year effects (regions x years); ``c_enhancing``,
    ``c_other``: the scale constants; ``non_ree``: expected non-REE flows P_L by GE sector
    (rows, in ``sectors`` order) and year; ``fixed_effect``: a_j of the innovation equation."""

    cells: pl.DataFrame
    gamma: np.ndarray
    c_enhancing: float
    c_other: float
    sectors: tuple[str, ...]
    non_ree: np.ndarray
    fixed_effect: np.ndarray


def _innovation_regressors(seed: int, size: WorldSize, sectors: tuple[str, ...]) -> np.ndarray:
    """ln(p_R,jt / w_t), sectors x years 2002-2018: the pipeline's own REE price index of each GE
    sector (element mix of ``ree_total_requirements``, FOB China prices) over its NBER-CES
    manufacturing wage index (``core.ge_panel``, the functions ``ge_innovation_panel`` uses)."""
    from ree_assets.core import ge_panel
    from ree_assets.sources.embedded.sensitivity_truth import embedded_requirements
    from ree_assets.sources.embedded.world import embedded_table

    years = list(range(AFSV_FIRST_YEAR, LAST_GRANT_YEAR + 1))
    mapping = ge_panel.sic_ge_map()
    prices = ge_panel.sector_price_index(
        embedded_requirements(seed, size), embedded_table("ree_prices", seed, size), mapping, years
    )
    wages = ge_panel.manufacturing_wage_index(embedded_table("industry_stats_us", seed, size), years)
    frame = prices.join(wages, on="year").with_columns(x=(pl.col("ree_price_index") / pl.col("wage_index")).log())
    table = frame.pivot(on="year", index="sector", values="x").sort("sector")
    by_sector = {row[0]: np.array(row[1:], dtype=float) for row in table.iter_rows()}
    return np.stack([by_sector[j] for j in sectors])


def directed_research_non_ree_flows(
    enhancing: np.ndarray, regressor: np.ndarray, eps: np.ndarray, fixed_effect: np.ndarray, noise: np.ndarray
) -> np.ndarray:
    """P_L (sectors x years) such that ln(P_R / P_L)_jt = a_j + (1 - eps_j) [ x_jt - lambda
    ln(K_R / K_L)_j,t-1 ] + u_jt for the flows P_R = ``enhancing`` and x = ``regressor`` (the
    innovation world's equation and lambda; stocks by ``knowledge_stock``, K_0 = P_0 / delta, the
    first year's lagged log ratio a_j, as the estimator drops that year)."""
    from ree_assets.core.ge.estimate import knowledge_stock
    from ree_assets.sources.embedded.innovation_world import DEPRECIATION, TRUE_LAMBDA

    non_ree = np.empty_like(enhancing)
    lagged = fixed_effect.copy()
    for t in range(enhancing.shape[1]):
        log_ratio = fixed_effect + (1 - eps) * (regressor[:, t] - TRUE_LAMBDA * lagged) + noise[:, t]
        non_ree[:, t] = enhancing[:, t] * np.exp(-log_ratio)
        stocks = [knowledge_stock(f[:, : t + 1].T, DEPRECIATION)[-1] for f in (enhancing, non_ree)]
        lagged = np.log(stocks[0] / stocks[1])
    return non_ree


@cache
def did_design(seed: int, size: WorldSize) -> Design:
    """The design of the AFSV part of the synthetic USPTO (module docstring)."""
    from ree_assets.core.ge.estimate import GE_MANUFACTURING_SECTORS, published_elasticities
    from ree_assets.core.ge_panel import ge_sector_of, sic_ge_map
    from ree_assets.sources.embedded.innovation_world import NOISE_SD
    from ree_assets.sources.embedded.sensitivity_truth import embedded_sensitivity

    rng = stage_rng(seed, "patents:design")
    dims = world_dims(size)
    sens = embedded_sensitivity(seed, size).filter(pl.col("sic4").is_in(dims.sic4)).sort("sic4")
    log_sens = np.log(sens["sensitivity"].to_numpy())
    z = (log_sens - log_sens.mean()) / log_sens.std()
    sd = float(np.std(sens["sensitivity"].to_numpy(), ddof=1))
    regions = np.repeat(np.arange(len(REGIONS)), sens.height)
    level = np.array([REGION_LEVEL[r] for r in REGIONS])[regions]
    cells = pl.DataFrame(
        {
            "region": [REGIONS[k] for k in regions],
            "sic4": sens["sic4"].to_list() * len(REGIONS),
            "sens": np.tile(sens["sensitivity"].to_numpy(), len(REGIONS)),
            "alpha": level + 0.8 * np.tile(z, len(REGIONS)) + rng.normal(0, 0.5, regions.size),
            "alpha_background": rng.normal(level, 1.0),
            "beta": [EFFECT_PER_SD["china" if REGIONS[k] == "CHN" else "non_china"] / sd for k in regions],
        }
    )
    cells = cells.with_columns(ge_sector_of(cells["sic4"], sic_ge_map()))
    years = np.arange(AFSV_FIRST_YEAR, LAST_GRANT_YEAR + 1)
    trend = np.array([REGION_TREND[r] for r in REGIONS])[:, None] * (years - AFSV_FIRST_YEAR)[None, :]
    gamma = trend + rng.normal(0, 0.05, trend.shape)
    sectors = GE_MANUFACTURING_SECTORS
    member = np.array([sectors.index(j) for j in cells["sector"]])[None, :] == np.arange(len(sectors))[:, None]
    post = (years >= POST_YEAR).astype(float)
    region_index = np.array([REGIONS.index(r) for r in cells["region"]])
    log_mean = (
        cells["alpha"].to_numpy()[:, None]
        + gamma[region_index]
        + (cells["beta"] * cells["sens"]).to_numpy()[:, None] * post[None, :]
    )
    c_enhancing = float(np.log(TARGETS[size][0] / np.exp(log_mean).sum()))
    by_sector = member @ np.exp(c_enhancing + log_mean)  # E[P_R] by GE sector and year
    floor = np.maximum(0.0, np.log(SECTOR_YEAR_FLOOR[size] / by_sector.min(axis=1)))  # psi_j
    cells = cells.with_columns(alpha=pl.col("alpha") + floor[member.argmax(axis=0)])
    enhancing = by_sector * np.exp(floor)[:, None]
    c_other = c_enhancing + float(np.log(TARGETS[size][1] / TARGETS[size][0]))
    background = np.exp(cells["alpha_background"].to_numpy())
    cells = cells.with_columns(background_share=background / (member * background).sum(axis=1)[member.argmax(axis=0)])
    fixed_effect = rng.normal(GE_FIXED_EFFECT[0], GE_FIXED_EFFECT[1], len(sectors))
    eps = np.array([published_elasticities()[j] for j in sectors])
    non_ree = directed_research_non_ree_flows(
        enhancing,
        _innovation_regressors(seed, size, sectors),
        eps,
        fixed_effect,
        rng.normal(0.0, NOISE_SD, enhancing.shape),
    )
    return Design(cells.drop("alpha_background"), gamma, c_enhancing, c_other, sectors, non_ree, fixed_effect)


@cache
def year_counts(year: int, seed: int, size: WorldSize) -> pl.DataFrame:
    """The Poisson draws of one AFSV grant year: region, sic4, enhancing, other_ree, background."""
    design = did_design(seed, size)
    cells = design.cells
    rng = stage_rng(seed, f"patents:counts:{year}")
    t = year - AFSV_FIRST_YEAR
    region_index = np.array([REGIONS.index(r) for r in cells["region"]])
    log_mean = cells["alpha"].to_numpy() + design.gamma[region_index, t]
    post = float(year >= POST_YEAR)
    sector_flow = dict(zip(design.sectors, design.non_ree[:, t], strict=True))
    background = cells["background_share"].to_numpy() * np.array([sector_flow[j] for j in cells["sector"]])
    return cells.select("region", "sic4").with_columns(
        pl.Series(
            "enhancing",
            rng.poisson(np.exp(design.c_enhancing + log_mean + (cells["beta"] * cells["sens"]).to_numpy() * post)),
        ),
        pl.Series("other_ree", rng.poisson(np.exp(design.c_other + log_mean))),
        pl.Series("background", rng.poisson(background)),
    )


def non_ree_counts(seed: int, size: WorldSize) -> pl.DataFrame:
    """(region, grant_year, sic4, patents): the AFSV part's non-REE grants of 2002-2018 by region
    and true SIC (the Poisson draws of :func:`year_counts`, without writing the grants)."""
    return pl.concat(
        [
            year_counts(year, seed, size).select(
                "region", pl.lit(year).alias("grant_year"), "sic4", pl.col("background").alias("patents")
            )
            for year in range(AFSV_FIRST_YEAR, LAST_GRANT_YEAR + 1)
        ]
    )


def draw_technologies(rng: np.random.Generator, sic4: np.ndarray, is_ree: np.ndarray) -> list[str | None]:
    """The technology of each REE grant by P(technology | SIC) (:func:`_technology_weights`);
    None for non-REE grants."""
    technologies: list[str | None] = [None] * sic4.size
    uniform = rng.random(sic4.size)
    for s in np.unique(sic4[is_ree]):
        rows = np.flatnonzero(is_ree & (sic4 == s))
        picks = np.searchsorted(np.cumsum(_technology_weights(s)), uniform[rows])
        for row, pick in zip(rows, np.minimum(picks, len(TECHNOLOGIES) - 1), strict=True):
            technologies[row] = TECHNOLOGIES[pick]
    return technologies


def _technology_weights(sic4: str) -> np.ndarray:
    """P(technology | SIC) of an REE patent: 75% on the technologies the SIC is known for."""
    known = [k for k, tech in enumerate(TECHNOLOGIES) if sic4 in TECHNOLOGY_SIC.get(tech, ())]
    if not known:
        weights = np.full(len(TECHNOLOGIES), 0.4 / (len(TECHNOLOGIES) - 1))
        weights[TECHNOLOGIES.index("Other")] = 0.6
        return weights
    weights = np.full(len(TECHNOLOGIES), 0.25 / (len(TECHNOLOGIES) - len(known)))
    weights[known] = 0.75 / len(known)
    return weights


def _tuesdays(rng: np.random.Generator, year: int, n: int) -> np.ndarray:
    """``n`` grant dates of ``year``: USPTO grants issue on Tuesdays."""
    tuesdays = _grant_tuesdays(year)
    return np.sort(tuesdays[rng.integers(0, tuesdays.size, n)])


@cache
def afsv_grants(year: int, seed: int, size: WorldSize) -> dict[str, pl.DataFrame]:
    """The tables of ``patent_office.afsv_year`` but the citations (which the FVD set patents draw
    from the whole office, these grants included: ``fvd_universe.set_citations``)."""
    rng = stage_rng(seed, f"patents:grants:{year}")
    counts = year_counts(year, seed, size)
    dims = world_dims(size)
    region_economies = {r: [c for c in dims.economies if ECONOMY_REGION[c] == r] for r in REGIONS}
    kinds = np.repeat(
        np.array(["enhancing", "other_ree", "background"]),
        [int(counts[c].sum()) for c in ("enhancing", "other_ree", "background")],
    )
    region = np.concatenate(
        [np.repeat(counts["region"].to_numpy(), counts[c].to_numpy()) for c in ("enhancing", "other_ree", "background")]
    )
    sic4 = np.concatenate(
        [np.repeat(counts["sic4"].to_numpy(), counts[c].to_numpy()) for c in ("enhancing", "other_ree", "background")]
    )
    order = rng.permutation(kinds.size)
    kinds, region, sic4 = kinds[order], region[order], sic4[order]
    n = kinds.size
    first_id, _ = afsv_grant_year_ids(year)
    ids = [str(first_id + k) for k in range(n)]
    granted = _tuesdays(rng, year, n)
    filed = granted - rng.integers(*FILING_LAG_DAYS, n).astype("timedelta64[D]")
    country = [region_economies[r][rng.integers(len(region_economies[r]))] for r in region]
    technologies = draw_technologies(rng, sic4, kinds != "background")
    draws = rng.random((n, TEXT_DRAWS)).tolist()
    labels, patents, texts = [], [], []
    for k in range(n):
        technology = technologies[k]
        if technology is not None:
            title, abstract, claims = ree_text(
                iter(draws[k]), CORPUS_VOCABULARY, technology, kinds[k] == "enhancing", sic4[k]
            )
        else:
            title, abstract, claims = background_text(iter(draws[k]), CORPUS_VOCABULARY, sic4[k])
        labels.append(
            (ids[k], technology is not None, technology, sic4[k], kinds[k] == "enhancing", region[k], country[k])
        )
        patents.append((ids[k], title, abstract))
        texts.append((ids[k], "claims", claims, year))
    classes = draw_classes(rng, ids, sic4, technologies, year, industry_codes(seed, size))
    individual = rng.random(n) < 0.07
    assignees = pl.DataFrame(
        {
            "patent_id": ids,
            "sequence": 0,
            "name": [
                f"Inventor {k} {year}" if individual[k] else f"Company {rng.integers(2000)} {COMPANY_SUFFIX[region[k]]}"
                for k in range(n)
            ],
            "country": country,
            "assignee_type": np.where(individual, "individual", "organisation"),
            "grant_year": year,
        }
    )
    n_inventors = 1 + rng.poisson(1.2, n)
    inventor_patent = np.repeat(np.arange(n), n_inventors)
    sequence = np.arange(inventor_patent.size) - np.repeat(np.cumsum(n_inventors) - n_inventors, n_inventors)
    abroad = rng.random(inventor_patent.size) < 0.1
    inventors = pl.DataFrame(
        {
            "patent_id": [ids[k] for k in inventor_patent],
            "sequence": sequence,
            "name": [f"Inventor {k}-{s}" for k, s in zip(inventor_patent, sequence, strict=False)],
            "country": [
                dims.economies[rng.integers(len(dims.economies))] if a else country[k]
                for k, a in zip(inventor_patent, abroad, strict=False)
            ],
            "grant_year": year,
        }
    )
    return {
        "patents": conform(
            "patents",
            pl.DataFrame(
                {
                    "patent_id": ids,
                    "grant_date": granted,
                    "application_date": filed,
                    "title": [p[1] for p in patents],
                    "abstract": [p[2] for p in patents],
                    "kind": np.where(rng.random(n) < 0.4, "B1", "B2"),
                    "source": "embedded",
                    "grant_year": year,
                }
            ),
        ),
        "patent_texts": conform(
            "patent_texts", pl.DataFrame(texts, schema=["patent_id", "section", "text", "grant_year"], orient="row")
        ),
        "patent_assignees": conform("patent_assignees", assignees),
        "patent_inventors": conform("patent_inventors", inventors),
        "patent_classes": conform("patent_classes", classes),
        "patent_labels": pl.DataFrame(
            labels,
            schema={
                "patent_id": pl.String,
                "is_ree": pl.Boolean,
                "technology": pl.String,
                "sic4": pl.String,
                "ree_enhancing": pl.Boolean,
                "region": pl.String,
                "country": pl.String,
            },
            orient="row",
        ),
    }


def last_grant_year_of_filings(year: int) -> int:
    """The last grant year that can hold applications filed in ``year`` (the longest filing lag)."""
    latest = np.datetime64(f"{year}-12-31") + np.timedelta64(FILING_LAG_DAYS[1] - 1, "D")
    return int(latest.astype("datetime64[Y]").astype(int)) + 1970


def patent_labels(years: range | list[int], seed: int, size: WorldSize) -> pl.DataFrame:
    """The true labels of the AFSV part's grants of ``years`` (2002-2018)."""
    return pl.concat([afsv_grants(year, seed, size)["patent_labels"] for year in years if year >= AFSV_FIRST_YEAR])
