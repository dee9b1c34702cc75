"""A synthetic WIOD 2013-release world input-output table for the embedded economies.

The table has the real release's shape: the embedded economies x the 35 industries c1..c35 as
rows; as columns the same industries (intermediate use) and five final uses per economy (CONS_h,
CONS_np, CONS_g, GFCF, INVEN), in USD million rounded to whole units like WIOD. It is built as a
demand-driven Leontief economy:

    A[(i, j), (n, k)] = (1 - beta_k) m_jk(n) S_nij,          F[(i, j), (n, f)] = E_n u_nf c_fj S_nij,
    x = (I - A)^-1 F 1,                                       Z = A diag(x),

with value-added shares ``beta_k`` by industry kind, input mixes ``m`` (columns sum to one),
sourcing shares ``S_nij`` (buyer n, supplier i, industry j; a home share rising with the buyer's
size, the rest split by supplier size times a comparative-advantage draw, with China strong in
manufacturing), final spending ``E_n`` (approximate 2009 GDP), final-use splits ``u_nf`` (China
invests more) and final-use compositions ``c_fj`` (consumption and government lean to services,
investment to construction and equipment, inventories to goods). After rounding the cells, gross
output (``col_use = "GO"``) is set to the row sum, so output = intermediate use + final demand holds
exactly. Inventory changes can be negative, as in WIOD.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ree_assets.core.ge.data import WorldIOTable
from ree_assets.sources.embedded.dims import WorldDims
from ree_assets.sources.wiod import FINAL_USES, world_io_table_to_long

INDUSTRIES: tuple[str, ...] = tuple(f"c{k}" for k in range(1, 36))
AGRICULTURE, MINING, CONSTRUCTION = "c1", "c2", "c18"
MANUFACTURING: tuple[str, ...] = tuple(f"c{k}" for k in range(3, 17))
SERVICES: tuple[str, ...] = tuple(f"c{k}" for k in range(17, 36))
EQUIPMENT: tuple[str, ...] = ("c13", "c14", "c15")
GOVERNMENT_SERVICES: tuple[str, ...] = ("c31", "c32", "c33")

#: Approximate 2009 GDP, USD billion (order of magnitude, World Bank current USD).
GDP_2009_USD_BN: dict[str, float] = {
    "USA": 14400,
    "CHN": 5100,
    "JPN": 5200,
    "DEU": 3400,
    "FRA": 2700,
    "GBR": 2400,
    "ITA": 2200,
    "BRA": 1700,
    "ESP": 1500,
    "CAN": 1400,
    "IND": 1400,
    "RUS": 1200,
    "AUS": 1000,
    "MEX": 900,
    "KOR": 900,
    "NLD": 870,
    "TUR": 640,
    "IDN": 540,
    "CHE": 540,
    "BEL": 480,
    "POL": 440,
    "SWE": 430,
    "SAU": 430,
    "AUT": 400,
    "NOR": 380,
    "TWN": 380,
    "GRC": 330,
    "ARG": 330,
    "DNK": 320,
    "ZAF": 290,
    "THA": 280,
    "FIN": 250,
    "PRT": 240,
    "IRL": 230,
    "COL": 230,
    "ISR": 210,
    "MYS": 200,
    "CZE": 200,
    "EGY": 190,
    "SGP": 190,
    "PHL": 170,
    "CHL": 170,
    "PAK": 170,
    "ROU": 170,
    "HUN": 130,
    "NZL": 120,
    "UKR": 120,
    "VNM": 100,
    "SVK": 90,
    "BGR": 50,
}

#: Final-use split of spending (CONS_h, CONS_np, CONS_g, GFCF, INVEN): typical and China's.
_FINAL_USE_SPLIT = np.array([0.58, 0.02, 0.18, 0.21, 0.01])
_FINAL_USE_SPLIT_CHN = np.array([0.36, 0.00, 0.13, 0.46, 0.05])
#: Value-added share of gross output by kind (agriculture, mining, manufacturing, services).
_VALUE_ADDED_SHARE = {"agriculture": 0.55, "mining": 0.60, "manufacturing": 0.28, "services": 0.55}
#: Home share of a median-sized buyer's purchases by kind.
_HOME_SHARE = {"agriculture": 0.80, "mining": 0.50, "manufacturing": 0.60, "services": 0.93}
#: Comparative advantage of China in manufacturing (multiplies its supplier weight).
_CHINA_MANUFACTURING_ADVANTAGE = 8.0


def industry_kind(industry: str) -> str:
    """agriculture (c1), mining (c2), manufacturing (c3-c16) or services (c17-c35)."""
    if industry == AGRICULTURE:
        return "agriculture"
    if industry == MINING:
        return "mining"
    return "manufacturing" if industry in MANUFACTURING else "services"


def generate_wiod_world(
    rng: np.random.Generator, dims: WorldDims, years: tuple[int, ...] = (2009,)
) -> dict[str, pl.DataFrame]:
    """Canonical ``wiod`` for the embedded economies (one table per year, default 2009).

    The economy's structure (input mixes, sourcing, splits) is drawn once; later or earlier years
    scale each economy's spending by its own growth rate (2-5% a year; China 6-9%).
    """
    economies = dims.economies
    structure = _draw_structure(rng, economies)
    growth = rng.uniform(0.02, 0.05, len(economies)) + 0.04 * (np.asarray(economies) == "CHN")
    tables = []
    for year in years:
        spending = structure["spending"] * (1 + growth) ** (year - 2009)
        table = leontief_world(
            economies,
            structure["input_coefficients"],
            structure["sourcing"],
            spending,
            structure["final_use_split"],
            structure["final_composition"],
        )
        tables.append(world_io_table_to_long(table, year))
    return {"wiod": pl.concat(tables)}


def _draw_structure(rng: np.random.Generator, economies: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The year-invariant draws: spending, input coefficients, sourcing and final-demand shares."""
    size = np.array([GDP_2009_USD_BN[e] for e in economies]) * 1e3
    spending = size * rng.lognormal(0.0, 0.05, len(economies))
    split = np.array([_FINAL_USE_SPLIT_CHN if e == "CHN" else _FINAL_USE_SPLIT for e in economies])
    split = split * rng.lognormal(0.0, 0.1, split.shape)
    split[:, 4] = rng.normal(0.005, 0.01, len(economies))
    return {
        "spending": spending,
        "input_coefficients": input_coefficients(rng, len(economies)),
        "sourcing": sourcing_shares(rng, economies, size),
        "final_use_split": split / split[:, :4].sum(axis=1, keepdims=True),
        "final_composition": final_use_composition(rng),
    }


def input_coefficients(rng: np.random.Generator, n_economies: int) -> np.ndarray:
    """Input coefficients a_jk(n) = (1 - beta_k) m_jk(n), shape (N, J, J), columns k.

    The base mix gives each industry a large own-industry input, services a share of every
    industry's inputs, mining inputs to petroleum (c8), non-metallic minerals (c11) and metals
    (c12) and electricity (c17), and manufacturing inputs to manufacturing and construction; each
    economy's mix is the base times lognormal noise, renormalised.
    """
    j = len(INDUSTRIES)
    kinds = [industry_kind(code) for code in INDUSTRIES]
    is_services = np.array([k == "services" for k in kinds])
    is_manufacturing = np.array([k == "manufacturing" for k in kinds])
    base = np.full((j, j), 0.2)
    base[is_services, :] += 1.0
    base[np.ix_(is_manufacturing, is_manufacturing)] += 1.5
    base[is_manufacturing, INDUSTRIES.index(CONSTRUCTION)] += 2.0
    base[INDUSTRIES.index(MINING), [INDUSTRIES.index(c) for c in ("c8", "c11", "c12", "c17")]] += 8.0
    base[INDUSTRIES.index(AGRICULTURE), INDUSTRIES.index("c3")] += 10.0
    base[np.arange(j), np.arange(j)] += 6.0
    mix = base[None] * rng.lognormal(0.0, 0.3, (n_economies, j, j))
    mix /= mix.sum(axis=1, keepdims=True)
    beta = np.array([_VALUE_ADDED_SHARE[k] for k in kinds])
    return mix * (1.0 - beta)[None, None, :]


def sourcing_shares(rng: np.random.Generator, economies: tuple[str, ...], size: np.ndarray) -> np.ndarray:
    """Sourcing shares S[n, i, j] (buyer n, supplier i, industry j), summing to one over i.

    Each economy has a lognormal comparative advantage T_nj per industry, China's multiplied by 8
    in manufacturing. The home share is logit^-1(logit(h_kind) + 0.4 ln(size_n / median size) +
    ln T_nj); the rest goes to foreign suppliers in proportion to size_i T_ij.
    """
    n, j = len(economies), len(INDUSTRIES)
    kinds = [industry_kind(code) for code in INDUSTRIES]
    advantage = rng.lognormal(0.0, 0.5, (n, j))
    is_china = np.asarray(economies) == "CHN"
    advantage[np.ix_(is_china, [k == "manufacturing" for k in kinds])] *= _CHINA_MANUFACTURING_ADVANTAGE
    home_logit = (
        np.log([_HOME_SHARE[k] / (1 - _HOME_SHARE[k]) for k in kinds])[None, :]
        + 0.4 * np.log(size / np.median(size))[:, None]
        + np.log(advantage)
    )
    home = 1.0 / (1.0 + np.exp(-home_logit))
    weight = size[:, None] * advantage
    foreign = np.broadcast_to(weight, (n, n, j)).copy()
    foreign[np.arange(n), np.arange(n), :] = 0.0
    foreign /= foreign.sum(axis=1, keepdims=True)
    shares = foreign * (1.0 - home)[:, None, :]
    shares[np.arange(n), np.arange(n), :] = home
    return shares


def final_use_composition(rng: np.random.Generator) -> np.ndarray:
    """Industry composition c_fj of each final use (rows sum to one), shape (F, J).

    Household and NPISH consumption: mostly services, then food (c3) and textiles (c4); government:
    public administration, education and health (c31-c33); investment: construction and
    equipment (c13-c15); inventories: goods only.
    """
    index = {code: k for k, code in enumerate(INDUSTRIES)}
    goods = [index[c] for c in (AGRICULTURE, MINING, *MANUFACTURING)]
    composition = np.full((len(FINAL_USES), len(INDUSTRIES)), 0.05)
    composition[0:2, [index[c] for c in SERVICES]] += 1.0
    composition[0:2, [index["c3"], index["c4"]]] += 2.0
    composition[2, [index[c] for c in GOVERNMENT_SERVICES]] += 8.0
    composition[3, index[CONSTRUCTION]] += 12.0
    composition[3, [index[c] for c in EQUIPMENT]] += 3.0
    composition[4, :] = 0.0
    composition[4, goods] = 1.0
    composition *= rng.lognormal(0.0, 0.2, composition.shape)
    return composition / composition.sum(axis=1, keepdims=True)


def leontief_world(
    economies: tuple[str, ...],
    input_coefficients: np.ndarray,
    sourcing: np.ndarray,
    spending: np.ndarray,
    final_use_split: np.ndarray,
    final_composition: np.ndarray,
) -> WorldIOTable:
    """The rounded world table of the demand-driven Leontief economy in the module docstring."""
    n, j, f = len(economies), len(INDUSTRIES), len(FINAL_USES)
    # A[(i, j), (n, k)] = a_jk(n) S[n, i, j]: axes (i, j, n, k)
    coefficients = np.einsum("njk,nij->ijnk", input_coefficients, sourcing).reshape(n * j, n * j)
    # F[(i, j), (n, f)] = E_n u_nf c_fj S[n, i, j]: axes (i, j, n, f)
    final = np.einsum("n,nf,fj,nij->ijnf", spending, final_use_split, final_composition, sourcing).reshape(n * j, n * f)
    output = np.linalg.solve(np.eye(n * j) - coefficients, final.sum(axis=1))
    intermediate = np.rint(coefficients * output[None, :])
    final = np.rint(final)
    return WorldIOTable(
        countries=tuple(economies),
        sectors=INDUSTRIES,
        final_uses=FINAL_USES,
        intermediate=intermediate,
        final=final,
        output=intermediate.sum(axis=1) + final.sum(axis=1),
    )
