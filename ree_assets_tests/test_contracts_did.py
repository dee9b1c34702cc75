"""Contracts of the panels and DiD outputs: a table the pipeline's core functions produce on the
small world passes, and a table breaking a rule fails that rule."""

import warnings

import numpy as np
import polars as pl
import pytest

from ree_assets.core import did
from ree_assets.core import panels as core_panels
from ree_assets.sources.contracts import contract_path, load_contract
from ree_assets.sources.embedded.dims import world_dims
from ree_assets.sources.embedded.poisson_did_panel import poisson_did_panel
from ree_assets.sources.embedded.sensitivity_truth import embedded_sensitivity
from ree_assets.sources.embedded.world import embedded_table
from ree_assets.storage.audit import run_contract
from ree_assets_tests.did_world import SEED, panels
from ree_assets_tests.helpers import store


def _mart(outcome: str) -> pl.DataFrame:
    """A growth panel with the mart's columns (the dbt-only controls filled)."""
    return panels()[outcome].with_columns(
        sensitivity_price_spike=pl.lit(None, pl.Float64),
        sensitivity_china_import_share=pl.lit(None, pl.Float64),
        gap=pl.lit(1, pl.Int32),
        capital_intensity_post=pl.col("post") * 0.5,
        labour_intensity_post=pl.col("post") * 0.2,
        demand_growth_lag=pl.lit(0.01),
    )


def _patent_panel() -> pl.DataFrame:
    """A patent_panel-shaped frame (the Poisson DiD panel, all-REE flows one above the enhancing)."""
    frame, _ = poisson_did_panel(np.random.default_rng(0), world_dims("small"), embedded_sensitivity(SEED, "small"))
    return frame.with_columns(
        pl.col("ree_enhancing_flow").cast(pl.Int64), ree_flow=pl.col("ree_enhancing_flow").cast(pl.Int64) + 1
    )


def _patent_mart() -> pl.DataFrame:
    """fct_patent_did_panel: the panel with Sens, post, the control and the application-year twins
    (null in the last year, as where the application-year panel has no cell)."""
    last = pl.col("year") == pl.col("year").max()
    return (
        _patent_panel()
        .join(embedded_sensitivity(SEED, "small"), on="sic4")
        .with_columns(
            post=(pl.col("year") >= 2010).cast(pl.Int32),
            log_non_ree_patents=(pl.col("non_ree_patents") + 1).log(),
            ree_enhancing_flow=pl.col("ree_enhancing_flow").cast(pl.Float64),
        )
        .with_columns(
            ree_enhancing_stock_application_year=pl.when(last).then(None).otherwise(pl.col("ree_enhancing_stock")),
            log_non_ree_patents_application_year=pl.when(last).then(None).otherwise(pl.col("log_non_ree_patents")),
        )
        .drop("ree_flow")
    )


def _did_results() -> pl.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel = panels()["export_growth"]
        return pl.concat(
            [
                did.fit(
                    panel, outcome="export_growth", estimator="ols", sample=s, controls=["subsidy_post"], unit="country"
                )
                for s in ("NONCHN", "ALL", "USA")  # CRV1 and CRV3 rows
            ]
        )


def _event_study() -> pl.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return did.event_study(
            panels()["export_growth"], outcome="export_growth", estimator="ols", sample="NONCHN", unit="country"
        )


TABLES = {
    "export_growth": lambda: core_panels.export_growth(
        embedded_table("trade", SEED, "small"), embedded_table("hs_sic_concordance", SEED, "small")
    ),
    "fct_export_growth_panel": lambda: _mart("export_growth"),
    "fct_export_growth_vs_china_panel": lambda: _mart("export_growth_vs_china"),
    "did_export_growth": _did_results,
    "patent_panel_application_year": _patent_panel,
    "fct_patent_did_panel": _patent_mart,
    "event_study_export_growth": _event_study,
}

BROKEN = [
    (
        "export_growth",
        lambda f: f.with_columns(export_growth=pl.col("export_growth") + 2.5),
        "midpoint growth lies in [-2, 2]",
    ),
    ("fct_export_growth_panel", lambda f: pl.concat([f, f.head(1)]), "one row per country, sic4 and year"),
    (
        "fct_export_growth_panel",
        lambda f: f.with_columns(sic4=pl.lit("1311")),
        "manufacturing only: sic4 between 2000 and 3999",
    ),
    ("fct_export_growth_panel", lambda f: f.with_columns(post=1 - pl.col("post")), "post = 1{year >= 2010}"),
    ("fct_export_growth_vs_china_panel", lambda f: f.with_columns(country=pl.lit("CHN")), "China is not in the panel"),
    ("did_export_growth", lambda f: f.with_columns(p_value=pl.col("p_value") + 2), "p-values lie in [0, 1]"),
    (
        "did_export_growth",
        lambda f: f.with_columns(effect_per_sd=pl.lit(None, pl.Float64)),
        "effect_per_sd is finite on the Sens x post rows",
    ),
    (
        "did_export_growth",
        lambda f: f.with_columns(effective_clusters=pl.col("n_clusters") + 1.0),
        "G* is finite and between 1 and the number of clusters",
    ),
    ("did_export_growth", lambda f: f.with_columns(vcov=pl.lit("HC1")), "vcov is CRV1, CRV3 or CRV3 (linearised)"),
    ("did_export_growth", lambda f: f.with_columns(cluster=pl.lit("sic2")), "cluster is unit_sector or sector"),
    ("patent_panel_application_year", lambda f: pl.concat([f, f.head(1)]), "one row per region, SIC and year"),
    (
        "fct_patent_did_panel",
        lambda f: f.with_columns(ree_enhancing_stock_application_year=pl.lit(-1.0)),
        "the application-year stock is finite and non-negative where present",
    ),
    (
        "event_study_export_growth",
        lambda f: f.with_columns(ci_low=pl.col("estimate") + 1),
        "the interval contains the estimate",
    ),
    (
        "event_study_export_growth",
        lambda f: f.with_columns(vcov=pl.lit("HC1")),
        "vcov is CRV1, CRV3 or CRV3 (linearised)",
    ),
    (
        "event_study_export_growth",
        lambda f: f.with_columns(effective_clusters=pl.lit(0.5)),
        "G* is finite and between 1 and the number of clusters",
    ),
]


def _failed(tmp_path, table: str, frame: pl.DataFrame) -> set[str]:
    database = tmp_path / "ree.duckdb"
    schema = load_contract(table)["servers"][0]["schema"]
    store(database, schema, table, frame)
    return {f.rule for f in run_contract(contract_path(table), str(database))}


@pytest.mark.parametrize("table", list(TABLES))
def test_pipeline_table_satisfies_its_contract(tmp_path, table):
    assert _failed(tmp_path, table, TABLES[table]()) == set()


@pytest.mark.parametrize(("table", "break_it", "rule"), BROKEN, ids=[f"{t}-{r[:30]}" for t, _, r in BROKEN])
def test_violating_table_fails_the_rule(tmp_path, table, break_it, rule):
    assert rule in _failed(tmp_path, table, break_it(TABLES[table]()))
