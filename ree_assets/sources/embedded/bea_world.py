"""A seeded synthetic BEA-like benchmark Use/Make pair at detail size (~400 x 400), and the
country-level REE price and import tables of the robustness variants.

The Use/Make pair has BEA's layout and codes (6-character detail codes, value added V00100-V00300,
totals T001/T004/T005-T008, final uses F*), includes every industry the REE application map
names, and reconciles exactly: totals are the sums of their cells. Construction:

- industry output g ~ lognormal; Make = own-product diagonal 0.9 g plus secondary products (0.1 g
  spread over 1-3 random commodities); q = column sums;
- intermediate inputs: a sparse random input mix per industry scaled to an intermediate share in
  [0.35, 0.6] of g, plus a share of every carrier the REE map names for its using industries; value
  added = g - inputs (split 55/5/40 into V00100/V00200/V00300);
- final uses: exports 10% of q, imports -12% of q, government 5%, personal consumption the rest
  (negative where intermediate use exceeds domestic supply, as in BEA's own rows).

The concordance maps each REE industry to the SIC industry the spec names, every other SIC
industry of ``dims`` to one manufacturing BEA code (round robin), and non-manufacturing codes to
SIC industries outside manufacturing. A code linked to several SIC industries splits by their
output (SIC shipments ~ lognormal, as 4-digit shipments are), the rule ``local`` mode applies
with a user's ``sic_weights.csv``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ree_assets.core.io_table import (
    SupplyUse,
    aggregate_supply_use,
    make_to_canonical,
    total_requirements_frame,
    use_to_canonical,
)
from ree_assets.sources.embedded.dims import WorldDims
from ree_assets.sources.embedded.ree_defaults import application_industry_map, ree_prices

#: REE-relevant BEA 2012 detail industries -> (name, SIC 1987 industry).
REE_BEA_SIC: dict[str, tuple[str, str]] = {
    "325180": ("Other basic inorganic chemical manufacturing", "2819"),
    "331410": ("Nonferrous metal (except aluminum) smelting and refining", "3339"),
    "331490": ("Nonferrous metal (except copper and aluminum) rolling, drawing, extruding and alloying", "3356"),
    "332999": ("All other miscellaneous fabricated metal product manufacturing", "3499"),
    "335911": ("Storage battery manufacturing", "3691"),
    "331110": ("Iron and steel mills and ferroalloy manufacturing", "3312"),
    "331510": ("Ferrous metal foundries", "3321"),
    "336390": ("Other motor vehicle parts manufacturing", "3714"),
    "324110": ("Petroleum refineries", "2911"),
    "327910": ("Abrasive product manufacturing", "3291"),
    "327200": ("Glass and glass product manufacturing", "3229"),
    "335110": ("Electric lamp bulb and part manufacturing", "3641"),
    "327100": ("Clay product and refractory manufacturing", "3255"),
}
#: Non-manufacturing BEA detail industries of the synthetic table -> SIC 1987 industry.
OTHER_BEA_SIC: dict[str, str] = {
    "1111A0": "0116",
    "1111B0": "0119",
    "112120": "0241",
    "113000": "0811",
    "211000": "1311",
    "212100": "1221",
    "212230": "1021",
    "221100": "4911",
    "221200": "4924",
    "230301": "1522",
    "423100": "5013",
    "4200ID": "9311",
    "441000": "5511",
    "452000": "5311",
    "481000": "4512",
    "484000": "4213",
    "511110": "2711",
    "52A000": "6021",
    "531HSO": "6514",
    "541100": "8111",
    "5415A0": "7371",
    "621100": "8011",
    "722110": "5812",
    "S00500": "9711",
    "GSLGE": "8211",
}
VALUE_ADDED_SPLIT: dict[str, float] = {"V00100": 0.55, "V00200": 0.05, "V00300": 0.40}
FINAL_USE_SHARES: dict[str, float] = {"F04000": 0.10, "F05000": -0.12, "F06C00": 0.05}
PERSONAL_CONSUMPTION = "F01000"
N_MANUFACTURING = 380
#: Floor on the output of REE-relevant industries (USD million) so the default REE purchases and
#: the magnet split always fit inside them.
MIN_REE_INDUSTRY_OUTPUT = 3_000.0
#: Standard deviation of the log noise that makes the synthetic "published" TR an older vintage.
VINTAGE_NOISE_SD = 0.05
#: Median (USD million) and log standard deviation of synthetic SIC industry shipments.
SIC_SHIPMENTS_MEDIAN = 2_000.0
SIC_SHIPMENTS_LOG_SD = 1.2
IMPORT_PARTNERS: tuple[str, ...] = ("CHN", "JPN", "USA", "AUS", "MYS", "FRA", "RUS")


def _manufacturing_codes(n: int) -> list[str]:
    """``n`` BEA-shaped 6-digit manufacturing codes (311xx0 ... 339xx0), the REE ones first."""
    generated = (f"{p}{k:02d}0" for k in range(10, 100, 3) for p in range(311, 340))
    extra = [c for c in generated if c not in REE_BEA_SIC]
    return [*REE_BEA_SIC, *extra[: n - len(REE_BEA_SIC)]]


def _make_matrix(rng: np.random.Generator, g: np.ndarray) -> np.ndarray:
    """Own product 0.9 g_i on the diagonal; 0.1 g_i spread over 1-3 random other commodities."""
    n = g.size
    make = np.diag(0.9 * g)
    for i in range(n):
        others = rng.choice(np.delete(np.arange(n), i), size=rng.integers(1, 4), replace=False)
        make[i, others] += 0.1 * g[i] * rng.dirichlet(np.ones(others.size))
    return make


def _use_matrix(rng: np.random.Generator, g: np.ndarray, codes: list[str]) -> np.ndarray:
    """Intermediate inputs U (commodity x industry): a sparse input mix per industry weighted
    toward large suppliers, each REE carrier given a share of its using industries' inputs, and
    column totals = an intermediate share in [0.35, 0.6] of g."""
    n = g.size
    mix = (rng.random((n, n)) < 0.15) * rng.lognormal(0.0, 1.0, (n, n)) * g[:, None]
    at = {c: i for i, c in enumerate(codes)}
    for user, carriers in application_industry_map().select("bea_code", "carriers").iter_rows():
        for carrier in carriers if user in at else ():
            mix[at[carrier], at[user]] += 0.05 * mix[:, at[user]].sum() + 1e-3 * g[at[user]]
    mix /= mix.sum(axis=0, keepdims=True)
    return mix * rng.uniform(0.35, 0.6, n) * g


def _synthetic_tables(rng: np.random.Generator, codes: list[str]) -> SupplyUse:
    g = rng.lognormal(np.log(3_000.0), 1.2, len(codes))
    g[: len(REE_BEA_SIC)] = np.maximum(g[: len(REE_BEA_SIC)], MIN_REE_INDUSTRY_OUTPUT)
    make = _make_matrix(rng, g)
    use = _use_matrix(rng, g, codes)
    value_added = np.outer(list(VALUE_ADDED_SPLIT.values()), g - use.sum(axis=0))
    q = make.sum(axis=0)
    fixed = np.outer(q, list(FINAL_USE_SHARES.values()))
    consumption = q - use.sum(axis=1) - fixed.sum(axis=1)
    return SupplyUse(
        commodities=tuple(codes),
        industries=tuple(codes),
        final_uses=(PERSONAL_CONSUMPTION, *FINAL_USE_SHARES),
        value_added_rows=tuple(VALUE_ADDED_SPLIT),
        use=use,
        final_demand=np.hstack([consumption[:, None], fixed]),
        value_added=value_added,
        make=make,
    )


def _concordance(rng: np.random.Generator, manufacturing: list[str], dims: WorldDims) -> pl.DataFrame:
    """REE codes -> their SIC; remaining SIC industries of ``dims`` round robin over the other
    manufacturing codes; codes left without a SIC take one of ``dims`` in turn; non-manufacturing
    codes -> OTHER_BEA_SIC. A code with n SIC industries splits by their shipments v_s:
    weight = v_s / sum of v over the code's SIC industries (``read_sic_weights``' rule)."""
    links = {code: [sic] for code, (_, sic) in REE_BEA_SIC.items()}
    others = [c for c in manufacturing if c not in REE_BEA_SIC]
    remaining = [s for s in dims.sic4 if s not in {sic for _, sic in REE_BEA_SIC.values()}]
    for k, sic in enumerate(remaining):
        links.setdefault(others[k % len(others)], []).append(sic)
    for k, code in enumerate(c for c in others if c not in links):
        links[code] = [dims.sic4[k % len(dims.sic4)]]
    links |= {code: [sic] for code, sic in OTHER_BEA_SIC.items()}
    all_sic = sorted({sic for sics in links.values() for sic in sics})
    draws = rng.lognormal(np.log(SIC_SHIPMENTS_MEDIAN), SIC_SHIPMENTS_LOG_SD, len(all_sic))
    shipments = dict(zip(all_sic, draws, strict=True))
    rows = [
        (code, sic, shipments[sic] / sum(shipments[s] for s in sics)) for code, sics in links.items() for sic in sics
    ]
    return pl.DataFrame(
        rows, schema={"bea_code": pl.String, "sic4": pl.String, "weight": pl.Float64}, orient="row"
    ).sort("bea_code", "sic4")


def _codes_table(tables: SupplyUse) -> pl.DataFrame:
    names = {code: name for code, (name, _) in REE_BEA_SIC.items()}
    kinds = (
        [(c, "commodity") for c in tables.commodities]
        + [(c, "industry") for c in tables.industries]
        + [(c, "final_demand") for c in tables.final_uses]
        + [(c, "value_added") for c in tables.value_added_rows]
        + [(c, "total") for c in ("T001", "T004", "T005", "T006", "T007", "T008")]
    )
    return pl.DataFrame(
        {
            "code": [c for c, _ in kinds],
            "kind": [k for _, k in kinds],
            "name": [names.get(c, f"Synthetic {k} {c}") for c, k in kinds],
        }
    )


def summary_code(detail_code: str) -> str:
    """The summary-level group of a synthetic detail code: its first three characters."""
    return detail_code[:3]


def _published_total_requirements(rng: np.random.Generator, summary: SupplyUse) -> pl.DataFrame:
    """A synthetic "published" summary industry-by-commodity TR table: the TR of the summary
    tables times lognormal(0, 0.05) vintage noise, rounded to 6 decimals as BEA publishes it (so
    the diagnostic compares with something close to, but not equal to, what the project computes)."""
    exact = total_requirements_frame(summary)
    noise = rng.lognormal(0.0, VINTAGE_NOISE_SD, exact.height)
    return exact.with_columns((pl.col("tr") * noise).round(6))


def generate_bea_world(rng: np.random.Generator, dims: WorldDims) -> dict[str, pl.DataFrame]:
    """Canonical ``bea_use``, ``bea_make``, ``bea_codes``, ``bea_sic_concordance`` of the synthetic
    BEA detail table, and its summary-level ``bea_summary_use``, ``bea_summary_make`` and
    ``bea_published_total_requirements`` (same rng state -> same tables)."""
    manufacturing = _manufacturing_codes(N_MANUFACTURING)
    tables = _synthetic_tables(rng, [*manufacturing, *OTHER_BEA_SIC])
    summary = aggregate_supply_use(tables, summary_code)
    published = _published_total_requirements(rng, summary)
    return {
        "bea_use": use_to_canonical(tables),
        "bea_make": make_to_canonical(tables),
        "bea_codes": _codes_table(tables),
        "bea_sic_concordance": _concordance(rng, manufacturing, dims),
        "bea_summary_use": use_to_canonical(summary),
        "bea_summary_make": make_to_canonical(summary),
        "bea_published_total_requirements": published,
    }


def generate_ree_country_tables(rng: np.random.Generator, dims: WorldDims) -> dict[str, pl.DataFrame]:
    """Country-level ``ree_prices`` (market = ISO3) and ``ree_imports`` for the robustness variants.

    price_e,n,y = fob_china_e,y x m_n x (1 + h_n x 1[2010 <= y <= 2012]) with a country markup
    m_n ~ U(1.0, 1.5) and spike loading h_n ~ U(-0.3, 0.5), so the 2011/2009 spike differs by
    country. Imports: total_e,n,y ~ lognormal, China's share s_e,n ~ Beta(6, 2) before 2010 and
    0.7 s_e,n after; the other partners split the rest by a Dirichlet draw.
    """
    fob = ree_prices(dims.years[0], dims.years[-1])
    elements = fob["element"].unique(maintain_order=True).to_list()
    price_rows, import_rows = [], []
    for country in dims.economies:
        markup, loading = rng.uniform(1.0, 1.5), rng.uniform(-0.3, 0.5)
        for element, year, price in fob.select("element", "year", "price_usd_per_kg").iter_rows():
            spike = 1 + loading * (2010 <= year <= 2012)
            price_rows.append((element, country, year, price * markup * spike))
        others = [p for p in IMPORT_PARTNERS if p not in (country, "CHN")]
        for element in elements:
            china_share = rng.beta(6, 2) if country != "CHN" else 0.0
            for year in dims.years:
                total = rng.lognormal(np.log(2e7), 1.0)
                share = china_share * (0.7 if year >= 2010 else 1.0)
                values = dict(zip(others, rng.dirichlet(np.ones(len(others))) * (1 - share), strict=False))
                if country != "CHN":
                    values["CHN"] = share
                import_rows += [(country, element, p, year, total * v) for p, v in values.items()]
    prices = pl.DataFrame(
        price_rows,
        schema={"element": pl.String, "market": pl.String, "year": pl.Int32, "price_usd_per_kg": pl.Float64},
        orient="row",
    ).with_columns(
        source=pl.lit("synthetic: FOB China default x country markup and spike loading"), quality=pl.lit("synthetic")
    )
    imports = pl.DataFrame(
        import_rows,
        schema={
            "country": pl.String,
            "element": pl.String,
            "partner": pl.String,
            "year": pl.Int32,
            "value_usd": pl.Float64,
        },
        orient="row",
    )
    return {"ree_prices": prices, "ree_imports": imports}
