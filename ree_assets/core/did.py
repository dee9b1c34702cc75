"""Difference-in-differences of AFSV: a thin layer over pyfixest (``specs/patents_and_did.md``).

    y_ust = beta * Sens_s * post_t + gamma' D_ust + eta_us + eta_ut + e_ust,   post_t = 1{t >= 2010}

u is the unit (region for patents, country for TFP and exports), s the SIC industry, t the year.
PPML (``pyfixest.fepois``) for patent stocks, OLS (``pyfixest.feols``) for growth rates; unit x
sector and unit x year fixed effects; standard errors clustered by unit x sector. The event study
replaces post_t by year dummies (reference year 2009). Every estimate is also reported per standard
deviation of Sens. pyfixest is imported inside the functions (it is slow to import).

Few effective clusters. Sens is very skewed (in the embedded world one SIC industry carries ~3/4 of
its variance), so in a single-region sample beta rests on a handful of clusters however many there
are. Each row reports the effective number of clusters of Carter, Schnepel and Steigerwald (2017,
REStat), G* = (sum_g gamma_g)^2 / sum_g gamma_g^2 with gamma_g = sum_{i in g} a_i^2 and a the
treatment's row of (X'X)^{-1} X' on the fixed-effect-demeaned (PPML: IRLS-weighted) design, i.e.
their G* under independent errors. Where G* < ``FEW_EFFECTIVE_CLUSTERS`` the SEs are the
leave-one-cluster-out jackknife CRV3, the small-cluster correction MacKinnon, Nielsen and Webb
(2023, J. Econometrics) recommend, else CRV1; ``vcov`` says which. The jackknife comes from
``core.jackknife`` without refits: for OLS it is pyfixest's CRV3 (which refits the model once per
cluster) to rounding; for PPML it is the jackknife of the last IRLS step (``CRV3_LINEARISED``), within
4% of the refit jackknife on the embedded patent panels. The small-sample factor, degrees of freedom
and p-values are pyfixest's. With G* near 1 no cluster-robust variance has more than about one degree
of freedom: such rows are flagged, and ``make bench`` reports the coverage of these SEs over seeds.

The cluster is the spec's unit x sector by default; ``cluster="sector"`` puts every unit's cell of a
sector in one cluster (the growth relative to China, whose units all subtract China's sector growth,
needs it, and the did assets use it there by default: 95% coverage 60% with unit x sector clusters,
90% with sector clusters over seeds). Sector clusters span units; ``core.jackknife`` handles them
too (the unit x sector effects are nested in them), so no CRV3 refits the model once per cluster.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from ree_assets.core import jackknife
from ree_assets.core.did_design import CHINA, POST_YEAR, REFERENCE_YEAR, SAMPLES, TREATMENT, Cluster, Estimator
from ree_assets.errors import DataValidationError

#: pyfixest's name prefix of the event study's Sens x 1{t = year} coefficients (``event_formula``).
EVENT_TERM = "year::"
UNIT_SECTOR, UNIT_YEAR = "unit_sector", "unit_year"
#: The column of the estimation frame that each ``Cluster`` clusters by.
CLUSTER_COLUMNS: dict[str, str] = {"unit_sector": UNIT_SECTOR, "sector": "sic4"}
#: Convergence of pyfixest's fixed-effect demeaning and of the PPML iterations. With pyfixest's
#: defaults (1e-6 / 1e-8) the parallel demeaner gives SEs that differ by ~1e-7 (OLS) to ~1e-4
#: (PPML) between processes; at these tolerances results repeat to better than 1e-8.
FIXEF_TOL, IWLS_TOL = 1e-12, 1e-12
#: Below this effective number of clusters the SEs are CRV3 instead of CRV1 (module docstring).
FEW_EFFECTIVE_CLUSTERS = 5.0
#: The ``vcov`` of a PPML row with the jackknife of the last IRLS step (module docstring).
CRV3_LINEARISED = "CRV3 (linearised)"

RESULT_SCHEMA = {
    "outcome": pl.String,
    "sample": pl.String,
    "variant": pl.String,
    "term": pl.String,
    "estimate": pl.Float64,
    "std_error": pl.Float64,
    "p_value": pl.Float64,
    "n_obs": pl.Int64,
    "n_clusters": pl.Int64,
    "effective_clusters": pl.Float64,
    "vcov": pl.String,
    "cluster": pl.String,
    "n_dropped": pl.Int64,
    "estimator": pl.String,
    "effect_per_sd": pl.Float64,
}
EVENT_SCHEMA = {
    "outcome": pl.String,
    "sample": pl.String,
    "variant": pl.String,
    "year": pl.Int64,
    "estimate": pl.Float64,
    "std_error": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "pre_trend_p_value": pl.Float64,
    "n_obs": pl.Int64,
    "n_clusters": pl.Int64,
    "effective_clusters": pl.Float64,
    "vcov": pl.String,
    "cluster": pl.String,
}


def _keys_text(frame: pl.DataFrame, keys: Sequence[str], limit: int = 5) -> str:
    rows = frame.select(keys).unique(maintain_order=True).head(limit).rows()
    return "; ".join(" ".join(str(v) for v in row) for row in rows)


def validate_panel(
    panel: pl.DataFrame, *, outcome: str, estimator: Estimator, controls: Sequence[str] = (), unit: str = "region"
) -> None:
    """Refuse a panel before any regression: missing columns, duplicate (unit, sic4, year) keys,
    a sector without sensitivity, non-finite or null numbers, a negative PPML outcome.
    DataValidationError names the offending keys."""
    if estimator not in ("ppml", "ols"):
        raise ValueError(f"estimator must be 'ppml' or 'ols', not {estimator!r}")
    keys = [unit, "sic4", "year"]
    needed = list(dict.fromkeys([*keys, "region", outcome, "sensitivity", "post", *controls]))
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise DataValidationError("panel", "has the DiD columns", column=", ".join(missing))
    finite = lambda c: pl.col(c).is_null() | ~pl.col(c).cast(pl.Float64).is_finite()  # noqa: E731
    # a key as one integer, code(unit, sector) x 10^4 + year (years are 4-digit): 8x faster than hashing strings
    key_code = pl.struct(unit, "sic4").rank("dense").cast(pl.Int64) * 10_000 + pl.col("year").cast(pl.Int64)
    # rule -> (column, rows breaking it, keys naming them); one pass, described only on failure
    rules = {
        f"one row per {', '.join(keys)}": (None, key_code.n_unique() < pl.len(), keys),
        "every sector has a sensitivity": ("sensitivity", finite("sensitivity"), ["sic4"]),
        **{f"finite, non-null {c}": (c, finite(c), keys) for c in [outcome, "post", *controls]},
        **({f"{outcome} >= 0 (PPML)": (outcome, pl.col(outcome) < 0, keys)} if estimator == "ppml" else {}),
    }
    found = panel.select(*(rows.any().alias(rule) for rule, (_, rows, _) in rules.items())).row(0, named=True)
    for rule, (column, rows, where) in rules.items():
        if found[rule]:
            offending = panel.filter(pl.struct(keys).is_duplicated() if column is None else rows)
            raise DataValidationError(
                "panel", rule, column=column, row=_keys_text(offending, where), detail=f"{offending.height} rows"
            )


def sample_rows(panel: pl.DataFrame, sample: str) -> pl.DataFrame:
    """The rows of a sample: NONCHN (every region but China), ALL, or one region (``region`` column)."""
    if sample == "ALL":
        return panel
    if sample == "NONCHN":
        return panel.filter(pl.col("region") != CHINA)
    rows = panel.filter(pl.col("region") == sample)
    if rows.is_empty():
        raise DataValidationError(
            "panel",
            f"sample {sample!r} is NONCHN, ALL or a region of the panel",
            column="region",
            detail=f"regions: {', '.join(sorted(panel['region'].unique()))}",
        )
    return rows


def estimation_frame(panel: pl.DataFrame, *, unit: str = "region") -> pl.DataFrame:
    """The panel with the regressor Sens_s x post_t and the fixed-effect / cluster identifiers
    unit x sector and unit x year (what the formula names) as dense integer codes of the pairs."""
    return panel.with_columns(
        (pl.col("sensitivity") * pl.col("post")).alias(TREATMENT),
        pl.struct(unit, "sic4").rank("dense").alias(UNIT_SECTOR),
        pl.struct(unit, "year").rank("dense").alias(UNIT_YEAR),
    )


def did_formula(outcome: str, controls: Sequence[str] = (), regressor: str = TREATMENT) -> str:
    """The fixest formula ``y ~ Sens x post + controls | unit^sector + unit^year``."""
    return f"{outcome} ~ {' + '.join([regressor, *controls])} | {UNIT_SECTOR} + {UNIT_YEAR}"


def event_formula(outcome: str, controls: Sequence[str] = (), reference_year: int = REFERENCE_YEAR) -> str:
    """The event-study formula: Sens_s x 1{t = year} for every year but the reference one."""
    return did_formula(outcome, controls, f"i(year, sensitivity, ref={reference_year})")


def _estimate(frame: pl.DataFrame, formula: str, estimator: Estimator, cluster: Cluster = "unit_sector"):
    """pyfixest's fepois (PPML, separation check on fixed effects) or feols, CRV1 by ``cluster``,
    converged to ``FIXEF_TOL`` / ``IWLS_TOL``."""
    import pyfixest as pf

    vcov = {"CRV1": CLUSTER_COLUMNS[cluster]}
    if estimator == "ppml":
        return pf.fepois(
            formula, data=frame, vcov=vcov, separation_check=["fe"], fixef_tol=FIXEF_TOL, iwls_tol=IWLS_TOL
        )
    return pf.feols(formula, data=frame, vcov=vcov, fixef_tol=FIXEF_TOL)


def effective_clusters_by_column(design: np.ndarray, cluster: np.ndarray, columns: Sequence[int]) -> np.ndarray:
    """G* = (sum_g gamma_g)^2 / sum_g gamma_g^2, gamma_g = sum_{i in g} a_i^2, a = the row of
    (X'X)^{-1} X' of the (demeaned, weighted) design X for each of ``columns``: the effective number
    of clusters of Carter, Schnepel and Steigerwald (2017) for those coefficients under independent
    errors (one solve for all). It is G when every cluster weighs the same and 1 when one cluster
    carries the estimate."""
    import pandas as pd  # with pyfixest, at fit time: not on the code location's import path

    a = design @ np.linalg.solve(design.T @ design, np.eye(design.shape[1])[:, list(columns)])
    codes = pd.factorize(cluster)[0]
    gamma = np.stack([np.bincount(codes, weights=a[:, j] ** 2) for j in range(a.shape[1])], axis=1)
    return gamma.sum(axis=0) ** 2 / (gamma**2).sum(axis=0)


def effective_clusters(design: np.ndarray, cluster: np.ndarray, column: int = 0) -> float:
    """G* of the ``column``-th coefficient (``effective_clusters_by_column``)."""
    return float(effective_clusters_by_column(design, cluster, [column])[0])


def sensitivity_sd(frame: pl.DataFrame) -> float:
    """Standard deviation of Sens over the (unit, sector) cells of an estimation frame (one value
    per cell, so a sector with more years does not weigh more; cells in row order, so the sum and
    the result repeat to the last bit)."""
    return float(np.std(frame.unique(UNIT_SECTOR, maintain_order=True)["sensitivity"].to_numpy(), ddof=1))


def event_year(term: str) -> int:
    """The year of an event-study coefficient, pyfixest's ``year::<year>:sensitivity``."""
    return int(term.removeprefix(EVENT_TERM).split(":")[0])


def _regressors(data, names: Sequence[str]) -> np.ndarray:
    """The undemeaned regressors of a fitted model, by pyfixest coefficient name: a column of the data,
    or Sens x 1{year = Y} for the event study's ``year::Y:sensitivity``."""

    def column(name: str) -> np.ndarray:
        if name.startswith(EVENT_TERM):
            return data["sensitivity"].to_numpy() * (data["year"].to_numpy() == event_year(name))
        return data[name].to_numpy()

    return np.column_stack([column(n) for n in names]).astype(float)


def _small_cluster_vcov(
    model, clusters: float, *, outcome: str, estimator: Estimator, unit: str, cluster: Cluster
) -> str:
    """Keep pyfixest's CRV1 where G* >= FEW_EFFECTIVE_CLUSTERS; else replace the model's variance by
    the jackknife of ``core.jackknife`` (OLS: z = y; PPML: the working response
    z = eta + (y - mu) / mu and weights mu of the converged IRLS) times pyfixest's CRV small-sample
    factor, and recompute its inference. The fixed-effect cells (unit x sector) lie in the clusters,
    which may span units (sector clusters). Returns the ``vcov`` label."""
    if clusters >= FEW_EFFECTIVE_CLUSTERS:
        return "CRV1"
    data = model._data
    if estimator == "ppml":
        mu = model._Y_hat_response
        z, weights, label = model._Y_hat_link + (data[outcome].to_numpy() - mu) / mu, mu, CRV3_LINEARISED
    else:
        z, weights, label = data[outcome].to_numpy(), None, "CRV3"
    _, leave_out = jackknife.leave_cluster_out(
        _regressors(data, list(model._coefnames)),
        z,
        cluster=data[CLUSTER_COLUMNS[cluster]].to_numpy(),
        unit=data[unit].to_numpy(),
        period=data["year"].to_numpy(),
        weights=weights,
        cell=data[UNIT_SECTOR].to_numpy(),
    )
    model._vcov = model._ssc[0] * jackknife.crv3_sum(model._beta_hat, leave_out)
    model._vcov_type_detail = label
    model.get_inference()
    return label


def _validated(panel, outcome, estimator, controls, unit, cluster) -> pl.DataFrame:
    """The validated panel with only the columns the regressions and the SD of Sens use (pyfixest
    copies its input to pandas)."""
    if cluster not in CLUSTER_COLUMNS:
        raise ValueError(f"cluster must be one of {', '.join(CLUSTER_COLUMNS)}, not {cluster!r}")
    validate_panel(panel, outcome=outcome, estimator=estimator, controls=controls, unit=unit)
    return panel.select(
        list(dict.fromkeys([unit, "region", "sic4", "year", outcome, "sensitivity", "post", *controls]))
    )


def _fitted(
    validated: pl.DataFrame,
    sample: str,
    formula: str,
    variables: Sequence[str],
    *,
    estimator: Estimator,
    unit: str,
    cluster: Cluster,
):
    """(estimation frame of the sample, pyfixest model of ``formula``). pyfixest gets the formula's
    ``variables``, the fixed effects, and what the jackknife and G* read (unit, year, the cluster)."""
    frame = estimation_frame(sample_rows(validated, sample), unit=unit)
    columns = dict.fromkeys([*variables, "year", UNIT_SECTOR, UNIT_YEAR, unit, CLUSTER_COLUMNS[cluster]])
    return frame, _estimate(frame.select(list(columns)), formula, estimator, cluster)


def fit(
    panel: pl.DataFrame,
    *,
    outcome: str,
    estimator: Estimator,
    sample: str,
    controls: Sequence[str] = (),
    unit: str = "region",
    cluster: Cluster = "unit_sector",
) -> pl.DataFrame:
    """Estimate beta of Sens_s x post_t for one outcome and sample; ``did_results`` rows, one per
    term (the treatment, then the controls).

    The panel has columns ``unit``, region, sic4, year, the outcome, sensitivity, post and the
    controls; ``sample`` is NONCHN, ALL or a region. effect_per_sd = beta x SD(Sens) on the
    treatment row (null for controls); effective_clusters is G* of the treatment and vcov the
    variance used (CRV3 where G* < FEW_EFFECTIVE_CLUSTERS, see the module docstring); n_dropped
    counts observations pyfixest removed (singletons, PPML separation); variant is ``baseline``
    (the robustness assets rename it). ``cluster`` is ``unit_sector`` (the spec) or ``sector``.
    """
    return fit_table(
        panel, outcome=outcome, estimator=estimator, samples=(sample,), controls=controls, unit=unit, cluster=cluster
    )


def fit_table(
    panel: pl.DataFrame,
    *,
    outcome: str,
    estimator: Estimator,
    samples: Sequence[str] = SAMPLES,
    controls: Sequence[str] = (),
    unit: str = "region",
    cluster: Cluster = "unit_sector",
) -> pl.DataFrame:
    """``fit`` for every sample of an AFSV table (default NONCHN, ALL, USA, EUR, JPN, CHN), the
    panel validated once: the rows of the samples in order."""
    validated = _validated(panel, outcome, estimator, controls, unit, cluster)
    return pl.concat(
        [
            _fit_sample(
                validated, outcome=outcome, estimator=estimator, sample=s, controls=controls, unit=unit, cluster=cluster
            )
            for s in samples
        ]
    )


def _fit_sample(
    validated: pl.DataFrame,
    *,
    outcome: str,
    estimator: Estimator,
    sample: str,
    controls: Sequence[str],
    unit: str,
    cluster: Cluster,
) -> pl.DataFrame:
    """``fit`` on a validated panel (``_validated``)."""
    frame, model = _fitted(
        validated,
        sample,
        did_formula(outcome, controls),
        [outcome, TREATMENT, *controls],
        estimator=estimator,
        unit=unit,
        cluster=cluster,
    )
    clusters = effective_clusters(model._X, model._data[CLUSTER_COLUMNS[cluster]].to_numpy())
    vcov = _small_cluster_vcov(model, clusters, outcome=outcome, estimator=estimator, unit=unit, cluster=cluster)
    tidy = model.tidy()
    sd = sensitivity_sd(frame)
    n_obs = int(model._N)
    terms = list(tidy.index)
    return pl.DataFrame(
        {
            "outcome": outcome,
            "sample": sample,
            "variant": "baseline",
            "term": terms,
            "estimate": tidy["Estimate"].to_numpy(),
            "std_error": tidy["Std. Error"].to_numpy(),
            "p_value": tidy["Pr(>|t|)"].to_numpy(),
            "n_obs": n_obs,
            "n_clusters": int(model._G[0]),
            "effective_clusters": clusters,
            "vcov": vcov,
            "cluster": cluster,
            "n_dropped": frame.height - n_obs,
            "estimator": estimator,
            "effect_per_sd": [float(tidy.loc[t, "Estimate"]) * sd if t == TREATMENT else None for t in terms],
        },
        schema=RESULT_SCHEMA,
    )


def event_study(
    panel: pl.DataFrame,
    *,
    outcome: str,
    estimator: Estimator,
    sample: str,
    controls: Sequence[str] = (),
    unit: str = "region",
    reference_year: int = REFERENCE_YEAR,
    cluster: Cluster = "unit_sector",
) -> pl.DataFrame:
    """Year-by-sensitivity coefficients beta_t of Sens_s x 1{t = year} (beta_ref = 0), with 95%
    confidence intervals from the clustered SEs, and ``pre_trend_p_value``: the Wald test
    (chi2; pyfixest's only choice for a subset of coefficients) that every pre-``POST_YEAR``
    coefficient is zero. A small p-value flags a pre-trend. The
    variance follows ``fit``'s rule with G* the smallest over the year coefficients (CRV3 where it is
    below FEW_EFFECTIVE_CLUSTERS) and the same ``cluster``. ``event_study_results`` rows, one per
    year, the reference year included at 0."""
    _, model = _fitted(
        _validated(panel, outcome, estimator, controls, unit, cluster),
        sample,
        event_formula(outcome, controls, reference_year),
        [outcome, "sensitivity", *controls],
        estimator=estimator,
        unit=unit,
        cluster=cluster,
    )
    names = list(model._coefnames)
    year_columns = [i for i, n in enumerate(names) if n.startswith(EVENT_TERM)]
    cluster_codes = model._data[CLUSTER_COLUMNS[cluster]].to_numpy()
    clusters = float(np.min(effective_clusters_by_column(model._X, cluster_codes, year_columns)))
    vcov = _small_cluster_vcov(model, clusters, outcome=outcome, estimator=estimator, unit=unit, cluster=cluster)
    tidy, intervals = model.tidy(), model.confint(alpha=0.05)
    terms = [t for t in tidy.index if t.startswith(EVENT_TERM)]
    years = [event_year(t) for t in terms]
    pre = [names.index(t) for t, y in zip(terms, years, strict=False) if y < POST_YEAR]
    restriction = np.zeros((len(pre), len(names)))
    restriction[np.arange(len(pre)), pre] = 1.0
    pre_p = float(model.wald_test(R=restriction, distribution="chi2")["pvalue"]) if pre else float("nan")
    rows = [
        (
            y,
            float(tidy.loc[t, "Estimate"]),
            float(tidy.loc[t, "Std. Error"]),
            float(intervals.loc[t].iloc[0]),
            float(intervals.loc[t].iloc[1]),
        )
        for t, y in zip(terms, years, strict=False)
    ]
    rows.append((reference_year, 0.0, 0.0, 0.0, 0.0))
    years_col, est, se, lo, hi = zip(*sorted(rows), strict=False)
    return pl.DataFrame(
        {
            "outcome": outcome,
            "sample": sample,
            "variant": "baseline",
            "year": list(years_col),
            "estimate": list(est),
            "std_error": list(se),
            "ci_low": list(lo),
            "ci_high": list(hi),
            "pre_trend_p_value": pre_p,
            "n_obs": int(model._N),
            "n_clusters": int(model._G[0]),
            "effective_clusters": clusters,
            "vcov": vcov,
            "cluster": cluster,
        },
        schema=EVENT_SCHEMA,
    )
