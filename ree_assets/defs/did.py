"""Group ``did``: the AFSV difference-in-differences tables and event studies, one asset per
outcome, each reading its dbt panel (``fct_*_panel``) and calling ``core.did``.

Robustness variants are run configuration, not copies: ``variant`` = ``price_spike`` or
``china_import_share`` (country-sector sensitivity, growth panels), ``labour_productivity``
(TFP panel: labour productivity growth as the outcome) or ``application_year`` (patents: the
outcome and control by application year, the ``*_application_year`` columns of the panel, from the
``patent_panel_application_year`` mart).
"""

import functools
from dataclasses import dataclass
from typing import Literal

import dagster as dg
import polars as pl
from pydantic import Field

from ree_assets.core import did_design
from ree_assets.core.did_tables import render_tables
from ree_assets.defs.partitions import DUCKDB_POOL
from ree_assets.defs.resources import DataSource, DuckDBStore, reports_dir
from ree_assets.defs.sources import Lineage, figure_caption
from ree_assets.figures import event_study_figure
from ree_assets.labels import outcome_label, variant_label
from ree_assets.reporting import figure_metadata, frame_markdown

GROWTH_CONTROLS = ("subsidy_post", "capital_intensity_post", "labour_intensity_post", "demand_growth_lag")
SENSITIVITY_VARIANTS = ("price_spike", "china_import_share")
APPLICATION_YEAR = "application_year"
#: How the descriptions name a cluster ({unit}: the spec's unit).
CLUSTER_LABELS: dict[str, str] = {"unit_sector": "{unit} x sector", "sector": "sector"}
#: A pre-trend is flagged when the joint test of the pre-2010 event-study coefficients rejects at this level.
PRE_TREND_LEVEL = 0.05


@dataclass(frozen=True)
class DidSpec:
    """One outcome's regression: its panel mart, outcome column, estimator, unit and controls."""

    name: str
    panel: str
    outcome: str
    estimator: did_design.Estimator
    unit: str
    controls: tuple[str, ...]
    samples: tuple[str, ...] = did_design.SAMPLES
    alternative_outcome: tuple[str, str] | None = None  # (variant, outcome column)
    #: Columns the application_year variant replaces by their ``<column>_application_year`` twins.
    application_year_columns: tuple[str, ...] = ()
    #: The default cluster of the SEs (``DidConfig.cluster`` overrides it).
    cluster: did_design.Cluster = "unit_sector"


SPECS = {
    spec.name: spec
    for spec in (
        DidSpec(
            "patents",
            "fct_patent_did_panel",
            "ree_enhancing_stock",
            "ppml",
            "region",
            ("log_non_ree_patents",),
            application_year_columns=("ree_enhancing_stock", "log_non_ree_patents"),
        ),
        DidSpec(
            "tfp_growth",
            "fct_tfp_growth_panel",
            "tfp_growth",
            "ols",
            "country",
            GROWTH_CONTROLS,
            alternative_outcome=("labour_productivity", "labour_productivity_growth"),
        ),
        DidSpec("export_growth", "fct_export_growth_panel", "export_growth", "ols", "country", GROWTH_CONTROLS),
        DidSpec(
            "export_growth_vs_china",
            "fct_export_growth_vs_china_panel",
            "export_growth_vs_china",
            "ols",
            "country",
            GROWTH_CONTROLS,
            samples=tuple(s for s in did_design.SAMPLES if s != did_design.CHINA),
            cluster="sector",
        ),
    )
}


class DidConfig(dg.Config):
    """Run configuration of a DiD or event-study asset."""

    variant: str = Field(
        "baseline",
        description="baseline | price_spike | china_import_share | "
        "labour_productivity (TFP) | application_year (patents)",
    )
    controls: bool = Field(True, description="Include the spec's controls (False: FE only).")
    cluster: Literal["default", "unit_sector", "sector"] = Field(
        "default",
        description="default: the outcome's own (the spec's), sector for the growth relative to China and "
        "unit_sector for the others | unit_sector | sector: one cluster per SIC industry across units, right "
        "for the growth relative to China (every country's outcome carries China's sector shock; make bench: "
        "95% coverage 60% with unit_sector, 90% with sector)",
    )

    def cluster_of(self, spec: DidSpec) -> did_design.Cluster:
        """The cluster of ``spec``'s SEs: the configured one, else the outcome's default."""
        return spec.cluster if self.cluster == "default" else self.cluster


def variant_panel(spec: DidSpec, panel: pl.DataFrame, variant: str) -> tuple[pl.DataFrame, str]:
    """(panel, outcome column) of a robustness variant; rows without the variant's sensitivity
    (or application-year cell) are left out. An unknown or inapplicable variant raises dg.Failure."""
    if variant == "baseline":
        return panel, spec.outcome
    if variant in SENSITIVITY_VARIANTS and spec.unit == "country":
        column = f"sensitivity_{variant}"
        return panel.drop_nulls(column).with_columns(sensitivity=pl.col(column)), spec.outcome
    if spec.alternative_outcome and variant == spec.alternative_outcome[0]:
        return panel.drop_nulls(spec.alternative_outcome[1]), spec.alternative_outcome[1]
    if variant == APPLICATION_YEAR and spec.application_year_columns:
        twins = {column: f"{column}_{APPLICATION_YEAR}" for column in spec.application_year_columns}
        return panel.drop_nulls(list(twins.values())).with_columns(
            **{column: pl.col(twin) for column, twin in twins.items()}
        ), spec.outcome
    raise dg.Failure(f"variant {variant!r} does not apply to {spec.name}")


def _inputs(
    context: dg.AssetExecutionContext, spec: DidSpec, config: DidConfig, store: DuckDBStore
) -> tuple[pl.DataFrame, str, tuple[str, ...]]:
    """The variant's panel, outcome and controls; rows without a control (e.g. no bilateral
    exports for the demand control) are left out and counted in the metadata."""
    panel, outcome = variant_panel(spec, store.read_table("marts", spec.panel), config.variant)
    controls = spec.controls if config.controls else ()
    complete = panel.drop_nulls(list(controls))
    context.add_output_metadata({"rows_without_controls": panel.height - complete.height})
    return complete, outcome, controls


def _regression(function, spec: DidSpec, config: DidConfig, panel: pl.DataFrame, outcome: str, controls):
    """``core.did.fit_table`` or ``event_study`` on the variant's panel with the spec's estimator and
    unit and the configured (else the outcome's) cluster; called with the samples or the sample."""
    return functools.partial(
        function,
        panel,
        outcome=outcome,
        estimator=spec.estimator,
        controls=controls,
        unit=spec.unit,
        cluster=config.cluster_of(spec),
    )


def did_asset(spec: DidSpec) -> dg.AssetsDefinition:
    """``did_<outcome>``: beta of Sens x post for every sample, stored as did_results rows and
    rendered like the AFSV tables (Markdown, LaTeX, HTML) in the metadata."""

    @dg.asset(
        name=f"did_{spec.name}",
        group_name="did",
        deps=[dg.AssetKey(spec.panel)],
        metadata={"schema": "results"},
        kinds={"pyfixest", "duckdb"},
        pool=DUCKDB_POOL,
        description=f"AFSV DiD of {spec.outcome} ({spec.estimator.upper()}, {spec.unit} x sector and "
        f"{spec.unit} x year FE, SEs clustered by {CLUSTER_LABELS[spec.cluster].format(unit=spec.unit)} by "
        f"default, config cluster) for {', '.join(spec.samples)}.",
    )
    def _did(context: dg.AssetExecutionContext, config: DidConfig, store: DuckDBStore) -> dg.Output[pl.DataFrame]:
        from ree_assets.core import did

        panel, outcome, controls = _inputs(context, spec, config, store)
        results = _regression(did.fit_table, spec, config, panel, outcome, controls)(samples=spec.samples)
        results = results.with_columns(outcome=pl.lit(spec.name), variant=pl.lit(config.variant))
        tables = render_tables(results, unit_label=spec.unit.capitalize(), controls=controls)
        folder = reports_dir(store.database)
        folder.mkdir(parents=True, exist_ok=True)
        for name, suffix in (("markdown", "md"), ("latex", "tex"), ("html", "html")):
            (folder / f"did_{spec.name}_{config.variant}.{suffix}").write_text(tables[name])
        treatment = results.filter(pl.col("term") == did_design.TREATMENT)
        context.log.info(f"did_{spec.name} ({config.variant}):\n{tables['markdown']}")
        return dg.Output(
            results,
            metadata={
                "table": dg.MetadataValue.md(tables["markdown"]),
                "table_latex": dg.MetadataValue.text(tables["latex"]),
                "table_html": dg.MetadataValue.text(tables["html"]),
                "variant": config.variant,
                "cluster": config.cluster_of(spec),
                "observations_dropped": dg.MetadataValue.json(
                    dict(treatment.select("sample", "n_dropped").iter_rows())
                ),
                "estimates": frame_markdown(
                    treatment.select("sample", "estimate", "std_error", "p_value", "effect_per_sd")
                ),
            },
        )

    return _did


def event_study_asset(spec: DidSpec) -> dg.AssetsDefinition:
    """``event_study_<outcome>``: year-by-sensitivity coefficients (ref. 2009) with 95% CIs for
    NONCHN (and CHN where it exists), the figure, and a pre-trend flag from the joint test."""
    samples = tuple(s for s in ("NONCHN", did_design.CHINA) if s in spec.samples)

    @dg.asset(
        name=f"event_study_{spec.name}",
        group_name="did",
        deps=[dg.AssetKey(spec.panel)],
        metadata={"schema": "results"},
        kinds={"pyfixest", "duckdb"},
        pool=DUCKDB_POOL,
        description=f"Event study of {spec.outcome}: Sens x year coefficients (ref. {did_design.REFERENCE_YEAR}) "
        f"for {', '.join(samples)}, with 95% CIs and a pre-trend test.",
    )
    def _event(
        context: dg.AssetExecutionContext,
        config: DidConfig,
        store: DuckDBStore,
        data_source: DataSource,
        lineage: dg.ResourceParam[Lineage],
    ) -> dg.Output[pl.DataFrame]:
        from ree_assets.core import did

        panel, outcome, controls = _inputs(context, spec, config, store)
        regression = _regression(did.event_study, spec, config, panel, outcome, controls)
        results = pl.concat([regression(sample=sample) for sample in samples])
        results = results.with_columns(outcome=pl.lit(spec.name), variant=pl.lit(config.variant))
        pre = dict(results.select("sample", "pre_trend_p_value").unique().iter_rows())
        flagged = sorted(s for s, p in pre.items() if p < PRE_TREND_LEVEL)
        if flagged:
            context.log.warning(
                f"event_study_{spec.name}: pre-trend in {flagged} (joint test of the pre-"
                f"{did_design.POST_YEAR} coefficients, p < {PRE_TREND_LEVEL})"
            )
        figure = event_study_figure(
            results,
            f"Event study: {outcome_label(outcome)} ({variant_label(config.variant)})",
            caption=figure_caption(context, data_source, lineage),
        )
        return dg.Output(
            results,
            metadata={
                "pre_trend_p_value": dg.MetadataValue.json(pre),
                "pre_trend_flagged": ", ".join(flagged) or "none",
                **figure_metadata(figure, f"event_study_{spec.name}_{config.variant}", reports_dir(store.database)),
            },
        )

    return _event


did_assets = [did_asset(spec) for spec in SPECS.values()]
event_study_assets = [event_study_asset(spec) for spec in SPECS.values()]
