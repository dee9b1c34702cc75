"""FVD logit-share regressions (``specs/spillovers.md``, Regressions; FVD Table 5).

Per technology, with L = ln(perus / (1 - perus)):
    Model 1a: L = a + b US + l d + f perus_avail
    Model 1b: L = a + b US + l d + g US x d + f perus_avail
OLS with heteroskedasticity-robust (HC1) standard errors (pyfixest ``vcov="hetero"``).

Extreme-value rule: a share of exactly 0 or 1 has no logit; such shares are moved inward as in
Neter, Wasserman and Kutner (Applied Linear Statistical Models, logit of a proportion),
perus' = (perus n + 0.5) / (n + 1), n the number of citations of the focal patent. Shares strictly
inside (0, 1) are left as they are.
"""

from __future__ import annotations

import polars as pl

MODELS = {"1a": "logit_perus ~ us + d + perus_avail", "1b": "logit_perus ~ us + d + us:d + perus_avail"}
#: pyfixest term names -> the paper's names.
TERMS = {"Intercept": "const", "us": "US", "d": "d", "us:d": "US*d", "perus_avail": "perus_avail"}
#: FVD Table 5 (published estimates on the real data) for comparison.
PUBLISHED = {
    ("catalyst", "1a"): {"US": 0.90, "d": 0.26, "perus_avail": 4.26, "const": -2.71, "adj_r2": 0.34, "n_obs": 1148},
    ("catalyst", "1b"): {"US*d": 0.047},
    ("magnet", "1a"): {"US": 0.60, "d": -0.15, "perus_avail": 2.85, "const": -1.73, "adj_r2": 0.17, "n_obs": 570},
    ("magnet", "1b"): {"US": 0.28, "d": -0.35, "US*d": 0.57},
}


def logit_share(perus: pl.Expr, n_citations: pl.Expr) -> pl.Expr:
    """ln(p / (1 - p)) with the module's extreme-value rule for p in {0, 1}."""
    moved = pl.when((perus <= 0) | (perus >= 1)).then((perus * n_citations + 0.5) / (n_citations + 1)).otherwise(perus)
    return (moved / (1 - moved)).log()


def logit_regressions(variables: pl.DataFrame) -> pl.DataFrame:
    """Models 1a and 1b for each technology of ``fvd_citation_variables``: rows (technology, model,
    term, estimate, std_error, p_value, n_obs, adj_r2, published, moved_extremes)."""
    import pyfixest as pf

    rows = []
    for technology in sorted(variables["technology"].unique()):
        data = variables.filter(pl.col("technology") == technology).with_columns(
            logit_perus=logit_share(pl.col("perus"), pl.col("n_citations")),
            moved=(pl.col("perus") <= 0) | (pl.col("perus") >= 1),
        )
        moved = int(data["moved"].sum())
        for model, formula in MODELS.items():
            fit = pf.feols(
                formula, data=data.select("logit_perus", "us", "d", "perus_avail").to_pandas(), vcov="hetero"
            )
            published = PUBLISHED.get((technology, model), {})
            for term, values in fit.tidy().iterrows():
                name = TERMS[term]
                rows.append(
                    (
                        technology,
                        model,
                        name,
                        float(values["Estimate"]),
                        float(values["Std. Error"]),
                        float(values["Pr(>|t|)"]),
                        int(fit._N),
                        float(fit._adj_r2),
                        published.get(name),
                        moved,
                    )
                )
    return pl.DataFrame(
        rows,
        schema={
            "technology": pl.String,
            "model": pl.String,
            "term": pl.String,
            "estimate": pl.Float64,
            "std_error": pl.Float64,
            "p_value": pl.Float64,
            "n_obs": pl.Int64,
            "adj_r2": pl.Float64,
            "published": pl.Float64,
            "moved_extremes": pl.Int64,
        },
        orient="row",
    )
