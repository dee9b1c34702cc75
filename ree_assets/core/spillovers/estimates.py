"""The FVD mixture model on ``fvd_citation_variables``: multistart fit, bootstrap SEs of the
identified quantities, identified and confidence sets, per technology, for the restricted model
(one Theta) and the unrestricted one (a Theta per period, each a one-period model); then the
parameter sets of ``specs/tables.md`` and the probability tables (FVD Tables 7-9 analogues).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ree_assets.core.spillovers import mixture

#: Columns of the mixture estimate tables.
ESTIMATE_SCHEMA = {
    "technology": pl.String,
    "model": pl.String,
    "parameter": pl.String,
    "point": pl.Float64,
    "std_error": pl.Float64,
    "set_min": pl.Float64,
    "set_max": pl.Float64,
    "conf_min": pl.Float64,
    "conf_max": pl.Float64,
    "identified": pl.Boolean,
    "exact": pl.Boolean,
    "published": pl.Float64,
}
#: Model names: the restricted model, and the unrestricted model's two periods.
RESTRICTED, BEFORE, AFTER = "restricted", "unrestricted_before", "unrestricted_after"


@dataclass(frozen=True)
class MixtureOptions:
    """Multistart and bootstrap settings (``specs/spillovers.md``: seeded Latin-hypercube starts,
    bootstrap over patents) and the level of the confidence set."""

    n_starts: int = 40
    seed: int = 0
    n_bootstrap: int = 100
    level: float = 0.95


@dataclass(frozen=True)
class MixtureEstimates:
    """Rows of ``ESTIMATE_SCHEMA`` and one row of solver statistics per technology and model."""

    table: pl.DataFrame
    solver: pl.DataFrame


def us_patents(variables: pl.DataFrame, technology: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(C, A, d) of the US focal patents of a technology (the mixture model is for US patents)."""
    return mixture.patent_arrays(variables.filter((pl.col("technology") == technology) & (pl.col("us") == 1)))


def _standard_errors(draws: np.ndarray, one_period: bool) -> dict[str, float]:
    """Bootstrap SEs of the identified quantities (w, w_d, w_after and the m's)."""
    se = draws.std(axis=0, ddof=1)
    if one_period:
        return {"w": se[0], "m_l0": se[2], "m_g0": se[4]}
    return {
        "w": se[0],
        "w_after": se[1],
        "w_d": float(np.std(draws[:, 1] - draws[:, 0], ddof=1)),
        **{name: se[k] for k, name in enumerate(mixture.REDUCED_FORM) if name.startswith("m_")},
    }


def _rows(
    technology: str,
    model: str,
    theta: np.ndarray,
    names,
    identified: pl.DataFrame,
    confidence: pl.DataFrame,
    errors: dict[str, float],
    published: dict[str, float],
) -> pl.DataFrame:
    """One model's table: the multistart point next to the identified and confidence sets. The
    confidence set is the union of identified sets over the deltas within the sampling
    uncertainty, the fitted deltas among them, so it contains the identified set at the fit: the
    union with it is taken explicitly, as the bounds of the two come from separate IPOPT solves and
    one can stop short of a bound the other reaches."""
    point = mixture.quantity_values(theta, names)
    return (
        identified.join(confidence.rename({"set_min": "conf_min", "set_max": "conf_max"}), on="parameter")
        .with_columns(
            conf_min=pl.when(pl.col("conf_min").is_not_null()).then(pl.min_horizontal("conf_min", "set_min")),
            conf_max=pl.when(pl.col("conf_max").is_not_null()).then(pl.max_horizontal("conf_max", "set_max")),
        )
        .with_columns(
            technology=pl.lit(technology),
            model=pl.lit(model),
            point=pl.col("parameter").replace_strict(point, return_dtype=pl.Float64),
            std_error=pl.col("parameter").replace_strict(errors, default=None, return_dtype=pl.Float64),
            published=pl.col("parameter").replace_strict(published, default=None, return_dtype=pl.Float64),
        )
        .select(list(ESTIMATE_SCHEMA))
    )


def _solver_row(technology: str, model: str, fit: mixture.MixtureFit, patents: int) -> dict:
    return {
        "technology": technology,
        "model": model,
        "patents": patents,
        "objective": fit.objective,
        "n_starts": fit.n_starts,
        "n_reached": fit.n_reached,
    }


def restricted_estimates(variables: pl.DataFrame, options: MixtureOptions = MixtureOptions()) -> MixtureEstimates:
    """The restricted model per technology: multistart IPOPT fit, bootstrap of the reduced form,
    identified set at the fit's reduced form, Wald confidence set, FVD Table 7 published values."""
    tables, solver = [], []
    for technology in sorted(variables["technology"].unique()):
        citations, available, period = us_patents(variables, technology)
        fit = mixture.fit_mixture(
            mixture.citation_moments(citations, available, period), options.n_starts, options.seed
        )
        draws = mixture.bootstrap_reduced_forms(citations, available, period, fit, options.n_bootstrap, options.seed)
        identified = mixture.reduced_form_identified_set(fit.reduced_form, feasible=fit.theta)
        confidence = mixture.confidence_set(fit.reduced_form, draws, options.level)
        tables.append(
            _rows(
                technology,
                RESTRICTED,
                fit.theta,
                tuple(mixture.QUANTITIES),
                identified,
                confidence,
                _standard_errors(draws, False),
                mixture.PUBLISHED_RESTRICTED.get(technology, {}),
            )
        )
        solver.append(_solver_row(technology, RESTRICTED, fit, period.size))
    return MixtureEstimates(pl.concat(tables), pl.DataFrame(solver))


def unrestricted_estimates(variables: pl.DataFrame, options: MixtureOptions = MixtureOptions()) -> MixtureEstimates:
    """The unrestricted model: per technology and period, a one-period model (a_d = w_d = 0) fitted,
    bootstrapped and set-identified like the restricted one (FVD published no unrestricted values
    in the spec)."""
    tables, solver = [], []
    for technology in sorted(variables["technology"].unique()):
        citations, available, period = us_patents(variables, technology)
        for d, model in ((0, BEFORE), (1, AFTER)):
            rows = period == d
            moments = mixture.citation_moments(citations[rows], available[rows], np.zeros(rows.sum(), int))
            fit = mixture.fit_mixture(moments, options.n_starts, options.seed, one_period=True)
            draws = mixture.bootstrap_reduced_forms(
                citations[rows], available[rows], np.zeros(rows.sum(), int), fit, options.n_bootstrap, options.seed
            )
            q = fit.reduced_form
            identified = mixture.one_period_identified_set(q[0], q[2], q[4])
            confidence = mixture.confidence_set(q, draws, options.level, one_period=True)
            tables.append(
                _rows(
                    technology,
                    model,
                    fit.theta,
                    mixture.ONE_PERIOD_QUANTITIES,
                    identified,
                    confidence,
                    _standard_errors(draws, True),
                    {},
                )
            )
            solver.append(_solver_row(technology, model, fit, int(rows.sum())))
    return MixtureEstimates(pl.concat(tables), pl.DataFrame(solver))


def parameter_sets(*estimates: pl.DataFrame) -> pl.DataFrame:
    """``fvd_parameter_sets`` (technology, model, parameter, point, set_min, set_max, published,
    identified) from mixture estimate tables, with the SE, the confidence set and where the
    published point lies (in the identified set, in the confidence set; null without one)."""
    return pl.concat(estimates).select(
        "technology",
        "model",
        "parameter",
        "point",
        "set_min",
        "set_max",
        "published",
        "identified",
        "std_error",
        "conf_min",
        "conf_max",
        "exact",
        published_in_set=pl.col("published").is_between(pl.col("set_min") - 1e-6, pl.col("set_max") + 1e-6),
        published_in_confidence_set=pl.col("published").is_between(
            pl.col("conf_min") - 1e-6, pl.col("conf_max") + 1e-6
        ),
    )


#: Table 8 analogue: citation probability per available patent by activity (rows) and knowledge
#: cell (columns): w' s_jk within, (1 - w') s_jk outside, j the knowledge location, k the activity.
PROBABILITY_CELLS = {
    ("local", "local_within"): ("s_ll", True),
    ("local", "global_within"): ("s_gl", True),
    ("local", "local_outside"): ("s_ll", False),
    ("local", "global_outside"): ("s_gl", False),
    ("global", "local_within"): ("s_lg", True),
    ("global", "global_within"): ("s_gg", True),
    ("global", "local_outside"): ("s_lg", False),
    ("global", "global_outside"): ("s_gg", False),
}
#: Table 9 analogue and the weighted averages: the quantities of the estimate tables they show.
CONDITIONAL = {
    "p_local_given_local": ("conditional", "local activity"),
    "p_local_given_global": ("conditional", "global activity"),
    "local_share_before": ("weighted_average", "before 1990"),
    "local_share_after": ("weighted_average", "after 1990"),
}


def probability_tables(parameter_sets: pl.DataFrame) -> pl.DataFrame:
    """Tables 8 and 9 analogues and the before/after weighted averages, with identified sets:
    rows (technology, model, section, period, activity, cell, point, set_min, set_max). In Table 8 the
    share w' is a point, so the set of w' s is w' times the set of s (exact)."""
    rows = []
    for (technology, model), group in parameter_sets.group_by("technology", "model", maintain_order=True):
        values = {r["parameter"]: r for r in group.iter_rows(named=True)}
        periods = (
            (("before", "w"), ("after", "w_after"))
            if model == RESTRICTED
            else (("before" if model == BEFORE else "after", "w"),)
        )
        for period, share in periods:
            w = values[share]["point"]
            for (activity, cell), (rate, within) in PROBABILITY_CELLS.items():
                factor = w if within else 1 - w
                r = values[rate]
                rows.append(
                    (
                        technology,
                        model,
                        "probability",
                        period,
                        activity,
                        cell,
                        factor * r["point"],
                        factor * r["set_min"],
                        factor * r["set_max"],
                    )
                )
        for name, (table, label) in CONDITIONAL.items():
            if name in values:
                r = values[name]
                if table == "weighted_average" and model != RESTRICTED:  # one period: its own share
                    label = "before 1990" if model == BEFORE else "after 1990"
                rows.append((technology, model, table, label, "", name, r["point"], r["set_min"], r["set_max"]))
    return pl.DataFrame(
        rows,
        schema={
            "technology": pl.String,
            "model": pl.String,
            "section": pl.String,
            "period": pl.String,
            "activity": pl.String,
            "cell": pl.String,
            "point": pl.Float64,
            "set_min": pl.Float64,
            "set_max": pl.Float64,
        },
        orient="row",
    )


def with_truth(table: pl.DataFrame, synthetic_truth: pl.DataFrame) -> pl.DataFrame:
    """Add ``truth``: the generator's value (``synthetic_truth`` stage ``spillovers``, key
    ``<technology>:restricted`` or ``<technology>:unrestricted:<d>``); null outside the embedded world."""
    suffix = pl.col("model").replace_strict(
        {RESTRICTED: ":restricted", BEFORE: ":unrestricted:0", AFTER: ":unrestricted:1"}, return_dtype=pl.String
    )
    truth = synthetic_truth.filter(pl.col("stage") == "spillovers").select("key", "parameter", truth="value")
    return (
        table.with_columns(key=pl.col("technology") + suffix)
        .join(truth, on=["key", "parameter"], how="left")
        .drop("key")
    )
