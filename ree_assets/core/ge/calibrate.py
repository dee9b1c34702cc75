"""Calibrate the GE model's baseline to an aggregated world input-output table (specs/ge_model.md).

The baseline is an exact equilibrium of the model at tau = 0, so a counterfactual with no shock
returns hats of one to machine precision. Final demand is cleaned by the spec's rule (default
``"net"``): each buyer's final-use columns are added (so inventory drawdowns offset consumption and
investment), and cells still negative after that are set to zero (counted in the baseline's
``clipped_final_cells`` and ``clipped_final_value``). Netting is a sum, so it commutes with the
aggregation to regions and sectors: netting the aggregated table is netting each country first and
then aggregating, and only the clip sees the aggregation. The option ``"clip_each_use"`` sets every
negative final-use cell to zero on its own instead (the inventory column included; it moves the
5 x 14 world price to x1.141 and makes the result depend on the aggregation). Spending, trade
shares and gross output are then recomputed from the cleaned flows:

    X_nj = sum_i (sum_k Z_(i,j),(n,k) + F_(i,j),n),   pi_nij = flow_nij / X_nj,   Y_ij = sum_n pi_nij X_nj,
    gam_njk = sum_i Z_(i,k),(n,j) / Y_nj,   beta_nj = 1 - sum_k gam_njk,   alpha_nj = F_nj / I_n,
    I_n = sum_j F_nj,   w_n L_n = sum_j (1 - omega_nj) beta_nj Y_nj,
    R_n = s_n sum_m sum_j omega_mj beta_mj Y_mj  (REE price 1),   D_n = I_n - w_n L_n - R_n.

D_n absorbs REE trade and sums to zero over regions by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from ree_assets.core.ge.data import WorldIOTable
from ree_assets.core.ge.defaults import DEFAULT_ENDOWMENT_SHARES, DEFAULT_KAPPA, DEFAULT_THETA
from ree_assets.core.ge.model import check_innovation_condition
from ree_assets.errors import DataValidationError

PUBLISHED_REE_COST_SHARES: dict[str, float] = {
    "transport_equipment": 0.0071,
    "basic_fabricated_metals": 0.0074,
    "mining_petroleum_coal": 0.0021,
    "rubber_plastics": 0.0005,
    "chemicals": 0.0004,
    "non_metallic_minerals": 0.0001,
    "machinery": 0.0006,
    "computers_electronics": 0.0003,
    "wood_paper": 0.0003,
}
"""AFSV's published REE cost shares gamma_s (share of value added), used as omega_j in every region.

Sectors not listed (agriculture, food, textiles, furniture/misc., services) have 0.
Source: AFSV (2025) slides, as quoted in specs/ge_model.md.
"""

PUBLISHED_EPS: dict[str, float] = {
    "transport_equipment": 0.75,
    "basic_fabricated_metals": 0.80,
    "mining_petroleum_coal": 0.86,
    "rubber_plastics": 0.86,
    "chemicals": 0.94,
    "non_metallic_minerals": 0.96,
    "machinery": 0.98,
    "computers_electronics": 0.99,
    "wood_paper": 1.12,
    "food": 1.16,
    "furniture_misc": 1.25,
    "textiles": 1.28,
}
"""AFSV's published elasticities of substitution between the REE and labour bundles.

Sectors not listed (agriculture, services) use no REEs, so their eps is irrelevant; they get 1.
Source: AFSV (2025) slides, as quoted in specs/ge_model.md.
"""


@dataclass(frozen=True)
class ModelParameters:
    """omega (N, J) REE cost share of value added; eps (J,), theta (J,) elasticities; kappa >= 0."""

    omega: np.ndarray
    eps: np.ndarray
    theta: np.ndarray
    kappa: float


@dataclass(frozen=True)
class Baseline:
    """Baseline equilibrium in USD million: data, calibrated shares and parameters.

    pi (N, N, J) [buyer, seller, sector]; X, Y, beta, alpha (N, J); gam (N, J, J) [region, using
    sector, input sector]; income, labour_income, ree_endowment, deficit (N,); china is the index
    of the REE-exporting region that levies the tax; clipped_final_cells and clipped_final_value
    (USD million, positive) say how many final-demand cells were negative after cleaning and set
    to zero, and how much value that removed.
    """

    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    pi: np.ndarray
    X: np.ndarray
    Y: np.ndarray
    gam: np.ndarray
    beta: np.ndarray
    alpha: np.ndarray
    income: np.ndarray
    labour_income: np.ndarray
    ree_endowment: np.ndarray
    deficit: np.ndarray
    china: int
    parameters: ModelParameters
    clipped_final_cells: int = 0
    clipped_final_value: float = 0.0

    @property
    def ree_use(self) -> np.ndarray:
        """Baseline REE use by region, sum_j omega_nj beta_nj Y_nj (quantity = spending at p = 1)."""
        return (self.parameters.omega * self.beta * self.Y).sum(axis=1)

    @property
    def china_exports(self) -> float:
        """Baseline REE exports of China, R_CHN - q_CHN."""
        return float(self.ree_endowment[self.china] - self.ree_use[self.china])

    def with_kappa(self, kappa: float) -> Baseline:
        """The same baseline with another innovation elasticity (kappa does not enter calibration)."""
        check_innovation_condition(kappa, self.parameters.eps)
        return replace(self, parameters=replace(self.parameters, kappa=kappa))


def _per_sector(values: float | Mapping[str, float], sectors: tuple[str, ...], default: float) -> np.ndarray:
    """Vector over sectors from a scalar or a sector -> value map (unlisted sectors get ``default``)."""
    if isinstance(values, Mapping):
        unknown = sorted(set(values) - set(sectors))
        if unknown:
            raise DataValidationError(
                "ge_parameters",
                "parameters name only sectors of the table",
                column="sector",
                detail=f"unknown sectors: {', '.join(unknown)}",
            )
        return np.array([float(values.get(sector, default)) for sector in sectors])
    return np.full(len(sectors), float(values))


def translate_parameters(values: Mapping[str, float], sector_map: Mapping[str, str]) -> dict[str, float]:
    """Sector parameters keyed by another classification's codes: {code: values[sector_map[code]]}.

    E.g. the published omega and eps (keyed by model sector) for the disaggregated WIOD industries
    c1..c35 with :data:`~ree_assets.core.ge.aggregate.DEFAULT_SECTOR_MAP`; codes whose sector has
    no published value are left out (and get the calibration default).
    """
    return {code: values[sector] for code, sector in sector_map.items() if sector in values}


def restrict_parameters(values: Mapping[str, float], sectors: tuple[str, ...]) -> dict[str, float]:
    """The entries of a sector -> value map for the given sectors only (for coarser or partial tables)."""
    return {sector: value for sector, value in values.items() if sector in sectors}


FinalDemandRule = Literal["net", "clip_each_use"]
FINAL_DEMAND_RULES: tuple[str, ...] = ("net", "clip_each_use")


def clean_final_demand(final: np.ndarray, rule: FinalDemandRule = "net") -> tuple[np.ndarray, int, float]:
    """Final demand by (supplier, sector, buyer) from final-use cells ``final[i, j, n, f]``, with no
    negative cell, and how many cells and how much value (USD million) the clip removed.

    ``"net"`` (specs/ge_model.md, Calibration): F_ijn = max(sum_f F_ijnf, 0), each buyer's
    final uses added first (inventory drawdowns offset consumption and investment), cells still
    negative set to zero. ``"clip_each_use"``: F_ijn = sum_f max(F_ijnf, 0), every final-use cell
    (inventory included) clipped on its own.
    """
    if rule == "net":
        summed = final.sum(axis=3)
        negative = summed[summed < 0]
    elif rule == "clip_each_use":
        negative = final[final < 0]
        summed = np.maximum(final, 0.0).sum(axis=3)
    else:
        raise ValueError(f"unknown final-demand rule {rule!r}: one of {', '.join(FINAL_DEMAND_RULES)}")
    return np.maximum(summed, 0.0), int(negative.size), float(-negative.sum())


def calibrate_baseline(
    table: WorldIOTable,
    *,
    omega: Mapping[str, float] = PUBLISHED_REE_COST_SHARES,
    eps: Mapping[str, float] = PUBLISHED_EPS,
    theta: float | Mapping[str, float] = DEFAULT_THETA,
    kappa: float = DEFAULT_KAPPA,
    endowment_shares: Mapping[str, float] = DEFAULT_ENDOWMENT_SHARES,
    china: str = "CHN",
    negative_final_demand: FinalDemandRule = "net",
) -> Baseline:
    """The baseline equilibrium of an (aggregated) world IO table; equations in the module docstring.

    ``omega`` maps sector -> REE cost share of value added, the same in every region (the
    published gamma_s by default, or e.g. direct REE purchases / value added from an REE-extended
    Use table); ``eps`` and ``theta`` map sector -> elasticity (theta may be one number);
    ``endowment_shares`` maps region -> share of world REE endowment (must sum to 1).
    ``negative_final_demand``: the cleaning rule of :func:`clean_final_demand` ("net", the
    spec's default and the rule of its reference solve, or "clip_each_use").
    """
    n_regions, n_sectors, n_final = table.n_countries, table.n_sectors, len(table.final_uses)
    regions, sectors = table.countries, table.sectors
    if china not in regions:
        raise DataValidationError("ge_baseline", "the REE exporter is a region of the table", row=china)
    unknown = sorted(set(endowment_shares) - set(regions))
    if unknown or not np.isclose(sum(endowment_shares.values()), 1.0):
        raise DataValidationError(
            "ge_baseline",
            "endowment shares name regions of the table and sum to 1",
            column="ree_endowment",
            detail=f"shares {dict(endowment_shares)}",
        )

    Z = table.intermediate.reshape(n_regions, n_sectors, n_regions, n_sectors)  # [i, j, n, k]
    final, clipped_cells, clipped_value = clean_final_demand(
        table.final.reshape(n_regions, n_sectors, n_regions, n_final), negative_final_demand
    )
    if np.any(Z < 0):
        i, j, n, k = np.argwhere(Z < 0)[0]
        raise DataValidationError(
            "ge_baseline",
            "intermediate flows are non-negative",
            row=(regions[i], sectors[j]),
            column=(regions[n], sectors[k]),
        )
    flows = Z.sum(axis=3) + final  # [i, j, n]
    X = flows.sum(axis=0).T  # [n, j]
    pi = np.divide(
        flows.transpose(2, 0, 1),
        X[:, None, :],
        out=np.zeros((n_regions, n_regions, n_sectors)),
        where=X[:, None, :] > 0,
    )
    Y = flows.sum(axis=2)  # [i, j]
    inputs = Z.sum(axis=0).transpose(1, 2, 0)  # [n, k(user), j(input)]
    has_output = Y > 0
    if np.any(inputs.sum(axis=2)[~has_output] > 0):
        n, k = np.argwhere((inputs.sum(axis=2) > 0) & ~has_output)[0]
        raise DataValidationError("ge_baseline", "a sector with inputs has output", row=(regions[n], sectors[k]))
    gam = np.divide(inputs, Y[:, :, None], out=np.zeros_like(inputs), where=has_output[:, :, None])
    beta = np.where(has_output, 1.0 - gam.sum(axis=2), 0.0)
    if np.any(beta < 0):
        n, k = np.argwhere(beta < 0)[0]
        raise DataValidationError(
            "ge_baseline",
            "value added is non-negative",
            row=(regions[n], sectors[k]),
            detail=f"beta = {beta[n, k]:.6g}",
        )
    final_by_sector = final.sum(axis=0).T  # [n, j]
    income = final_by_sector.sum(axis=1)
    alpha = final_by_sector / income[:, None]

    omega_j = _per_sector(omega, sectors, 0.0)
    eps_j = _per_sector(eps, sectors, 1.0)
    theta_j = _per_sector(theta, sectors, DEFAULT_THETA)
    if np.any(theta_j <= 0) or kappa < 0 or np.any(eps_j <= 0) or np.any((omega_j < 0) | (omega_j >= 1)):
        raise DataValidationError(
            "ge_parameters",
            "theta > 0, eps > 0, kappa >= 0, 0 <= omega < 1",
            detail=f"theta {theta_j}, eps {eps_j}, kappa {kappa}, omega {omega_j}",
        )
    check_innovation_condition(kappa, eps_j)
    if not np.any(omega_j > 0):
        raise DataValidationError(
            "ge_parameters",
            "some sector uses REEs (omega > 0)",
            column="omega",
            detail=f"no REE cost share for any of the sectors {', '.join(sectors)}",
        )
    omega_nj = np.broadcast_to(omega_j, (n_regions, n_sectors)).copy()
    value_added = beta * Y
    labour_income = ((1.0 - omega_nj) * value_added).sum(axis=1)
    world_ree = (omega_nj * value_added).sum()
    ree_endowment = world_ree * np.array([endowment_shares.get(region, 0.0) for region in regions])
    return Baseline(
        regions=regions,
        sectors=sectors,
        pi=pi,
        X=X,
        Y=Y,
        gam=gam,
        beta=beta,
        alpha=alpha,
        income=income,
        labour_income=labour_income,
        ree_endowment=ree_endowment,
        deficit=income - labour_income - ree_endowment,
        china=regions.index(china),
        parameters=ModelParameters(omega=omega_nj, eps=eps_j, theta=theta_j, kappa=float(kappa)),
        clipped_final_cells=clipped_cells,
        clipped_final_value=clipped_value,
    )


def baseline_identity_errors(baseline: Baseline) -> dict[str, float]:
    """Largest violations of the identities an exact baseline satisfies:

    - ``trade_shares``: sum_i pi_nij = 1 wherever X_nj > 0;
    - ``final_shares``: sum_j alpha_nj = 1;
    - ``cost_shares``: beta_nj + sum_k gam_njk = 1 wherever Y_nj > 0 (value added + inputs = output);
    - ``market_clearing``: Y_ij = sum_n pi_nij X_nj, relative to world output;
    - ``deficits``: sum_n D_n = 0 and D_n equals the trade deficit computed from flows alone,
      sum_j (X_nj - Y_nj) (goods) + sum_j omega_nj beta_nj Y_nj - R_n (REEs), relative to world
      income (spending X = inputs + I and output Y = value added + inputs make this the definition
      D = I - wL - R only if wL, R, X and Y are consistent).
    """
    has_spending, has_output = baseline.X > 0, baseline.Y > 0
    world_output, world_income = baseline.Y.sum(), baseline.income.sum()
    supply = np.einsum("nij,nj->ij", baseline.pi, baseline.X)
    trade_deficit = (baseline.X - baseline.Y).sum(axis=1) + baseline.ree_use - baseline.ree_endowment
    deficit_gap = trade_deficit - baseline.deficit
    return {
        "trade_shares": float(np.abs(baseline.pi.sum(axis=1) - 1.0)[has_spending].max(initial=0.0)),
        "final_shares": float(np.abs(baseline.alpha.sum(axis=1) - 1.0).max()),
        "cost_shares": float(np.abs(baseline.beta + baseline.gam.sum(axis=2) - 1.0)[has_output].max(initial=0.0)),
        "market_clearing": float(np.abs(supply - baseline.Y).max() / world_output),
        "deficits": float(max(abs(baseline.deficit.sum()), np.abs(deficit_gap).max()) / world_income),
    }
