"""Scoring patent classifiers for the DiD and choosing the default (``specs/patents_and_did.md``,
Classification).

The DiD counts REE-enhancing patents by region x SIC; its estimate of beta (Sens_s x post_t) is
hurt by two errors and not by a third. A false positive of the flag adds an untreated patent to
the outcome and pulls beta toward zero; a patent put in the wrong industry moves it to another
Sens (most harmful from a high-Sens industry to a low one). Missed positives and abstentions only
thin the counts at random, which the region x SIC effects absorb. Hence the measures of
:func:`classifier_measures` on the REE patents of a labelled evaluation set:

- sic_accuracy = sum_i 1[p_i = s_i] / #answered, over the patents the classifier answers
  (sic4 not null): how often a counted patent is counted in the right industry;
- sic_accuracy_sens_weighted = sum_i Sens_{s_i} 1[p_i = s_i] / sum_i Sens_{s_i} over the answered
  patents, Sens of the true industry: the same, weighted by what the industry carries in the DiD;
- top_sens_recall = the share of patents of the ten highest-Sens industries given their industry
  (abstentions are misses);
- technology_accuracy (share right), flag_false_positive_rate = P(flag | not enhancing),
  flag_recall = P(flag | enhancing), abstention_rate = the share of patents without sic4.

The rule (:func:`choose_default`): the highest Sens-weighted SIC accuracy among the classifiers
whose flag false-positive rate is at most 10% and abstention rate at most 25%.

:func:`patent_stock_panel` builds the DiD's region x SIC x year panel from a classified sample
the way the dbt marts ``patent_panel`` and ``fct_patent_did_panel`` do, so the cost of
classification can be shown as the patent DiD estimated on each labelling of the same patents.
"""

from __future__ import annotations

import numpy as np
import polars as pl

#: The rule's bounds: flag false-positive rate and abstention rate.
MAX_FALSE_POSITIVE_RATE, MAX_ABSTENTION_RATE = 0.10, 0.25
#: The highest-Sens industries whose recall is reported.
TOP_SENS_INDUSTRIES = 10


def _share(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    return pl.when(denominator > 0).then(numerator / denominator).otherwise(None)


def scored(truth: pl.DataFrame, predicted: pl.DataFrame, sensitivity: pl.DataFrame) -> pl.DataFrame:
    """truth (patent_id, sic4, technology, ree_enhancing, ...) joined with the predicted labels
    (suffix ``_predicted``) and the Sens of the true industry (0 where it has none)."""
    return (
        truth.join(predicted, on="patent_id", how="left", suffix="_predicted")
        .join(sensitivity.select("sic4", "sensitivity"), on="sic4", how="left")
        .with_columns(pl.col("sensitivity").fill_null(0.0))
    )


def classifier_measures(truth: pl.DataFrame, predicted: pl.DataFrame, sensitivity: pl.DataFrame) -> dict[str, float]:
    """The measures of the module docstring (and n, the patents scored) of ``predicted`` on the
    labelled REE patents ``truth``; Sens by industry from ``sensitivity`` (sic4, sensitivity)."""
    top = sensitivity.sort("sensitivity", descending=True).head(TOP_SENS_INDUSTRIES)["sic4"].implode()
    frame = scored(truth, predicted, sensitivity)
    answered = pl.col("sic4_predicted").is_not_null()
    right = (pl.col("sic4_predicted") == pl.col("sic4")).fill_null(False)
    truly, flagged = pl.col("ree_enhancing").fill_null(False), pl.col("ree_enhancing_predicted").fill_null(False)
    row = frame.select(
        pl.len().cast(pl.Float64).alias("n"),
        _share(right.sum(), answered.sum()).alias("sic_accuracy"),
        _share((pl.col("sensitivity") * right).sum(), pl.col("sensitivity").filter(answered).sum()).alias(
            "sic_accuracy_sens_weighted"
        ),
        _share((right & pl.col("sic4").is_in(top)).sum(), pl.col("sic4").is_in(top).sum()).alias("top_sens_recall"),
        (pl.col("technology_predicted") == pl.col("technology")).fill_null(False).mean().alias("technology_accuracy"),
        _share((flagged & ~truly).sum(), (~truly).sum()).alias("flag_false_positive_rate"),
        _share((flagged & truly).sum(), truly.sum()).alias("flag_recall"),
        (~answered).mean().alias("abstention_rate"),
    ).row(0, named=True)
    return {k: float("nan") if v is None else float(v) for k, v in row.items()}


def abstention_by(truth: pl.DataFrame, predicted: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """(by..., n, abstention_rate): the share of the labelled patents of each group of ``by``
    (e.g. sic4, period) that the classifier leaves without sic4."""
    return (
        truth.join(predicted.select("patent_id", pl.col("sic4").alias("_predicted")), on="patent_id", how="left")
        .group_by(by)
        .agg(pl.len().alias("n"), pl.col("_predicted").is_null().mean().alias("abstention_rate"))
        .sort(by)
    )


def admissible(measures: pl.DataFrame) -> pl.Expr:
    """The rule's constraints: flag false-positive rate <= 10%, abstention rate <= 25%."""
    return (pl.col("flag_false_positive_rate") <= MAX_FALSE_POSITIVE_RATE) & (
        pl.col("abstention_rate") <= MAX_ABSTENTION_RATE
    )


def choose_default(measures: pl.DataFrame) -> str:
    """The classifier (``classifier`` column) with the highest Sens-weighted SIC accuracy among the
    admissible ones (:func:`admissible`). When none is admissible, the one that breaks the bounds
    least (sum of the excesses over 10% false positives and 25% abstention), then the accuracy.
    Ties go to the first row (the order of the classifiers evaluated)."""
    if measures.is_empty():
        raise ValueError("no classifier was evaluated: there is nothing to choose from")
    excess = (pl.col("flag_false_positive_rate") - MAX_FALSE_POSITIVE_RATE).clip(lower_bound=0) + (
        pl.col("abstention_rate") - MAX_ABSTENTION_RATE
    ).clip(lower_bound=0)
    ranked = measures.with_row_index("_order").with_columns(
        excess.fill_nan(np.inf).alias("_excess"),
        pl.col("sic_accuracy_sens_weighted").fill_nan(-np.inf).fill_null(-np.inf).alias("_accuracy"),
    )
    return ranked.sort(["_excess", "_accuracy", "_order"], descending=[False, True, False])["classifier"][0]


def patent_stock_panel(
    classified: pl.DataFrame,
    sensitivity: pl.DataFrame,
    *,
    first_year: int,
    last_year: int,
    post_year: int,
    depreciation: float,
) -> pl.DataFrame:
    """The patent DiD panel of a classified sample, as the dbt marts build it (``patent_panel``,
    ``fct_patent_did_panel``): ``classified`` has region, sic4, grant_year, is_ree, ree_enhancing,
    weight; flows by region x SIC x grant year on the full grid of the regions, industries and
    years (first to last flow year) present; stocks K_t = (1 - delta) K_{t-1} + flow_t from the
    first year; log_non_ree_patents = ln(1 + weighted non-REE count); Sens joined (inner), SIC
    2000-3999 and years first_year..last_year kept; post = 1{year >= post_year}."""
    counted = classified.filter(pl.col("region").is_not_null() & pl.col("sic4").is_not_null())
    flows = counted.group_by("region", "sic4", pl.col("grant_year").alias("year")).agg(
        (pl.col("is_ree") & pl.col("ree_enhancing").fill_null(False)).sum().cast(pl.Float64).alias("flow"),
        pl.col("weight").filter(~pl.col("is_ree")).sum().cast(pl.Float64).alias("non_ree_patents"),
    )
    first, last = flows.select(pl.col("year").min().alias("first"), pl.col("year").max().alias("last")).row(0)
    years = pl.DataFrame({"year": range(first, last + 1)}, schema={"year": flows["year"].dtype})
    grid = flows.select("region").unique().join(flows.select("sic4").unique(), how="cross").join(years, how="cross")
    filled = grid.join(flows, on=["region", "sic4", "year"], how="left").fill_null(0.0).sort("region", "sic4", "year")
    flow = filled["flow"].to_numpy().reshape(-1, years.height)
    stocks = np.zeros_like(flow)
    for t in range(years.height):
        stocks[:, t] = flow[:, t] + (1 - depreciation) * (stocks[:, t - 1] if t else 0.0)
    stock = filled.with_columns(pl.Series("stock", stocks.ravel()))
    return (
        stock.join(sensitivity.select("sic4", "sensitivity"), on="sic4")
        .filter(
            pl.col("sic4").is_between(pl.lit("2000"), pl.lit("3999")) & pl.col("year").is_between(first_year, last_year)
        )
        .select(
            "region",
            "sic4",
            pl.col("year").cast(pl.Int64),
            pl.col("stock").alias("ree_enhancing_stock"),
            "sensitivity",
            (pl.col("year") >= post_year).cast(pl.Int32).alias("post"),
            (pl.col("non_ree_patents") + 1).log().alias("log_non_ree_patents"),
        )
    )
