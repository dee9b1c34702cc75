"""Outcomes of a GE counterfactual as tidy rows of ``ge_results`` (scenario, region, sector, variable, value).

Percent changes are 100 (hat - 1). Region-level rows have sector ``"all"``; world rows (the world
REE price, the tax or tax-equivalent) have region ``"WLD"``; averages over the regions other than
China have region ``"non_CHN"``.

Decomposition of sectoral revenue and exports (our definition): with the same instrument solved
with exogenous technology (kappa = 0) and with directed innovation (kappa > 0),

    factor-cost effect = %change(kappa = 0)
    technology effect  = %change(kappa > 0) - %change(kappa = 0)

so the two add up to the total %change with directed innovation. The factor-cost effect is what
factor prices alone do with technology fixed; the technology effect is what the induced change in
A_R/A_L adds (including its general-equilibrium feedback on prices).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ree_assets.core.ge.calibrate import Baseline
from ree_assets.core.ge.solve import Equilibrium, ExportTax, Instrument
from ree_assets.errors import DataValidationError

ALL_SECTORS, WORLD, NON_CHINA = "all", "WLD", "non_CHN"
GE_RESULTS_SCHEMA = {
    "scenario": pl.String,
    "region": pl.String,
    "sector": pl.String,
    "variable": pl.String,
    "value": pl.Float64,
}


def scenario_name(instrument: Instrument, kappa: float) -> str:
    """Scenario label naming the instrument, its level and kappa, e.g. ``tax_1_kappa_0.5``."""
    level = f"tax_{instrument.rate:g}" if isinstance(instrument, ExportTax) else f"quota_{instrument.fraction:g}"
    return f"{level}_kappa_{kappa:g}"


def consumer_price_hat(baseline: Baseline, solution: Equilibrium) -> np.ndarray:
    """P_hat_C,n = prod_j P_hat_nj^alpha_nj (Cobb-Douglas final demand)."""
    return np.exp((baseline.alpha * np.log(solution.P_hat)).sum(axis=1))


def real_gdp_hat(baseline: Baseline, solution: Equilibrium) -> np.ndarray:
    """Real GDP change (w'_n L_n + p'_R,n R_n) / (w_n L_n + R_n) / P_hat_C,n."""
    gdp = baseline.labour_income + baseline.ree_endowment
    new_gdp = solution.w_hat * baseline.labour_income + solution.p_R_hat * baseline.ree_endowment
    return new_gdp / gdp / consumer_price_hat(baseline, solution)


def real_consumption_hat(baseline: Baseline, solution: Equilibrium) -> np.ndarray:
    """Real consumption change I'_n / I_n / P_hat_C,n (income includes tax revenue and the deficit)."""
    return solution.income_new / baseline.income / consumer_price_hat(baseline, solution)


def innovation_bias_hat(solution: Equilibrium) -> np.ndarray:
    """Change in the innovation bias A_hat_R / A_hat_L by region and sector (N, J)."""
    return solution.A_R_hat / solution.A_L_hat


def non_china_average(baseline: Baseline, values: np.ndarray) -> np.ndarray:
    """Average of (N, J) values over regions other than China, weighted by baseline GDP
    w_n L_n + R_n (real GDP at baseline prices)."""
    weights = baseline.labour_income + baseline.ree_endowment
    weights = np.where(np.arange(weights.size) == baseline.china, 0.0, weights)
    return weights @ values / weights.sum()


def exports_new(solution: Equilibrium) -> np.ndarray:
    """Exports by region and sector, E'_ij = sum_{n != i} pi'_nij X'_nj (USD million)."""
    return _exports(solution.pi_new, solution.X_new)


def _exports(pi: np.ndarray, X: np.ndarray) -> np.ndarray:
    flows = pi * X[:, None, :]  # [buyer n, seller i, sector j]
    return flows.sum(axis=0) - np.einsum("iij->ij", flows)


def _percent(hat: np.ndarray) -> np.ndarray:
    return 100.0 * (hat - 1.0)


def _ratio(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """new / old, with 1 where old is zero (a zero cell stays zero)."""
    return np.divide(new, old, out=np.ones_like(new), where=old != 0)


def _rows(scenario: str, regions, sectors, variable: str, values) -> pl.DataFrame:
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    return pl.DataFrame(
        {
            "scenario": scenario,
            "region": np.repeat(np.asarray(regions, dtype=object), values.shape[1]).tolist(),
            "sector": np.tile(np.asarray(sectors, dtype=object), values.shape[0]).tolist(),
            "variable": variable,
            "value": values.ravel(),
        },
        schema=GE_RESULTS_SCHEMA,
    )


def sector_changes(baseline: Baseline, solution: Equilibrium) -> dict[str, np.ndarray]:
    """Percent changes of sectoral revenue Y' and exports E' (N, J)."""
    return {
        "revenue_pct": _percent(_ratio(solution.Y_new, baseline.Y)),
        "exports_pct": _percent(_ratio(exports_new(solution), _exports(baseline.pi, baseline.X))),
    }


def counterfactual_results(baseline: Baseline, solution: Equilibrium, scenario: str) -> pl.DataFrame:
    """Tidy ``ge_results`` rows of one solved counterfactual."""
    regions, sectors = baseline.regions, baseline.sectors
    bias = _percent(innovation_bias_hat(solution))
    region_level = {
        "wage_hat": solution.w_hat,
        "ree_price_hat": solution.p_R_hat,
        "real_gdp_pct": _percent(real_gdp_hat(baseline, solution)),
        "real_consumption_pct": _percent(real_consumption_hat(baseline, solution)),
    }
    world_level = {
        "world_ree_price_hat": solution.p_W_hat,
        "export_tax": solution.tau,
        "china_exports_hat": solution.china_exports_new / baseline.china_exports,
        "residual_norm": solution.residual_norm,
    }
    sector_level = {
        "price_index_hat": solution.P_hat,
        "ree_share": solution.omega_new,
        "innovation_bias_pct": bias,
        **sector_changes(baseline, solution),
    }
    frames = [
        _rows(scenario, regions, [ALL_SECTORS], name, np.asarray(values)[:, None])
        for name, values in region_level.items()
    ]
    frames += [_rows(scenario, [WORLD], [ALL_SECTORS], name, [[value]]) for name, value in world_level.items()]
    frames += [_rows(scenario, regions, sectors, name, values) for name, values in sector_level.items()]
    frames.append(_rows(scenario, [NON_CHINA], sectors, "innovation_bias_pct", non_china_average(baseline, bias)))
    return pl.concat(frames)


def instrument_of(scenario: str) -> str:
    """The instrument part of a scenario label: ``tax_1`` of ``tax_1_kappa_0.5``."""
    return scenario.rsplit("_kappa_", 1)[0]


def decomposition_from_results(exogenous: pl.DataFrame, endogenous: pl.DataFrame) -> pl.DataFrame:
    """Technology and factor-cost effects on sectoral revenue and exports (module docstring),
    from the ``ge_results`` rows of the same instruments solved with kappa = 0 (``exogenous``)
    and kappa > 0 (``endogenous``); labelled with the endogenous scenario."""
    changes = ("revenue_pct", "exports_pct")
    keys = ["instrument", "region", "sector", "variable"]

    def sectoral(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(pl.col("variable").is_in(changes)).with_columns(
            instrument=pl.col("scenario").map_elements(instrument_of, return_dtype=pl.String)
        )

    fixed_instruments = set(sectoral(exogenous)["instrument"])
    directed_instruments = set(sectoral(endogenous)["instrument"])
    if fixed_instruments != directed_instruments:
        raise DataValidationError(
            "ge_results",
            "the decomposition compares the same instruments",
            detail=f"exogenous {sorted(fixed_instruments)}, endogenous {sorted(directed_instruments)}",
        )

    joined = sectoral(endogenous).join(sectoral(exogenous).select(*keys, pl.col("value").alias("fixed")), on=keys)
    stem = pl.col("variable").str.strip_suffix("_pct")
    return pl.concat(
        [
            joined.select(
                "scenario",
                "region",
                "sector",
                (stem + "_factor_cost_effect_pct").alias("variable"),
                pl.col("fixed").alias("value"),
            ),
            joined.select(
                "scenario",
                "region",
                "sector",
                (stem + "_technology_effect_pct").alias("variable"),
                (pl.col("value") - pl.col("fixed")).alias("value"),
            ),
        ]
    )


def render_real_outcomes(results: pl.DataFrame) -> str:
    """Markdown table of the % change in real GDP and real consumption by region (rows) and
    scenario (columns), the way the AFSV slides report the welfare effects."""
    regional = results.filter(
        pl.col("variable").is_in(["real_gdp_pct", "real_consumption_pct"]) & (pl.col("sector") == ALL_SECTORS)
    )
    wide = regional.with_columns(column=pl.col("variable").str.strip_suffix("_pct") + ", " + pl.col("scenario")).pivot(
        on="column", index="region", values="value", sort_columns=True
    )
    header = ["region", *wide.columns[1:]]
    lines = [
        "Real GDP and real consumption, % change from the baseline",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for row in wide.iter_rows():
        lines.append("| " + " | ".join([row[0], *(f"{v:+.4f}" for v in row[1:])]) + " |")
    return "\n".join(lines) + "\n"
