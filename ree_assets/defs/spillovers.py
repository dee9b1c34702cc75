"""Group ``spillovers``: FVD knowledge spillovers and the location of innovation
(``specs/spillovers.md``): patent sets, citation variables, descriptives, logit-share regressions,
the mixture model with identified and confidence sets, and the probability tables. Thin: read,
call ``core.spillovers``, write, report."""

import os
from typing import TYPE_CHECKING

import dagster as dg
import polars as pl
from pydantic import Field

from ree_assets.core.spillovers import citations, descriptives, duck, patent_sets
from ree_assets.defs.partitions import DUCKDB_POOL
from ree_assets.defs.resources import DataSource, DuckDBStore, reports_dir
from ree_assets.reporting import frame_markdown, table_metadata
from ree_assets.sources.embedded.dims import FVD_GRANT_YEARS
from ree_assets.storage.io_manager import published_relation

if TYPE_CHECKING:  # the mixture model is imported by the steps that fit it
    from ree_assets.core.spillovers import estimates

SPILLOVERS_GROUP = "spillovers"
#: The default sample end by data mode: the embedded FVD universe's last grant year; FVD's own.
DEFAULT_GRANT_YEAR_END = {
    "embedded": FVD_GRANT_YEARS[1],
    "local": patent_sets.FVD_GRANT_YEAR_END,
    "download": patent_sets.FVD_GRANT_YEAR_END,
}


class FvdSample(dg.ConfigurableResource):
    """The FVD sample (``specs/spillovers.md``, Patent sets): application years 1976-2002, granted
    by ``grant_year_end``: the focal patents, the patents they cite and those available to them. One
    setting of the run (resource ``fvd_sample``, env ``REE_FVD_GRANT_YEAR_END``), so every asset of
    the group reads the same sample."""

    grant_year_end: int | None = Field(
        default_factory=lambda: (
            int(os.environ["REE_FVD_GRANT_YEAR_END"]) if os.environ.get("REE_FVD_GRANT_YEAR_END") else None
        ),
        description="Last grant year of the sample (focal, cited and available patents). Default: the data "
        "mode's end, 2001 in the embedded world (its FVD universe), 2002 on real data (FVD's); e.g. 2018 adds "
        "the later grants of the 1976-2002 applications.",
    )

    def end(self, data_source: DataSource) -> int:
        """``grant_year_end``, or the data mode's default."""
        end = self.grant_year_end
        if end is None:
            return DEFAULT_GRANT_YEAR_END[data_source.settings().mode]
        if end < patent_sets.FIRST_APPLICATION_YEAR:
            raise dg.Failure(
                f"grant_year_end={end}: the sample's applications start in {patent_sets.FIRST_APPLICATION_YEAR}"
            )
        return end


def sample_run_config(grant_year_end: int) -> dict:
    """The run config that sets the sample end of a run (the ``fvd_sample`` resource)."""
    return {"resources": {"fvd_sample": {"config": {"grant_year_end": grant_year_end}}}}


class CitationConfig(dg.Config):
    """The citation and availability window of ``specs/spillovers.md``."""

    window: int = Field(
        citations.WINDOW,
        description="Years before the focal application year that count (t - window <= a <= t, same year included).",
    )


class MixtureConfig(dg.Config):
    """Multistart IPOPT fit, bootstrap and confidence level of the mixture model."""

    n_starts: int = Field(40, description="Seeded Latin-hypercube starts of the multistart fit.")
    seed: int = Field(0, description="Seed of the starts and of the bootstrap.")
    n_bootstrap: int = Field(100, description="Bootstrap draws over patents (within periods).")
    level: float = Field(
        0.95,
        description="Level of the confidence sets (Wald ellipsoid of the identified quantities: "
        "marginal for each identified one, joint for the set-identified parameters).",
    )

    def options(self) -> "estimates.MixtureOptions":
        from ree_assets.core.spillovers import estimates

        return estimates.MixtureOptions(
            n_starts=self.n_starts, seed=self.seed, n_bootstrap=self.n_bootstrap, level=self.level
        )


def _asset(**kwargs):
    """An asset of the group, stored in DuckDB under the DuckDB pool."""
    return dg.asset(group_name=SPILLOVERS_GROUP, pool=DUCKDB_POOL, **kwargs)


@_asset(metadata={"schema": "core"}, kinds={"duckdb", "polars"})
def fvd_patent_sets(
    context: dg.AssetExecutionContext,
    fvd_sample: FvdSample,
    data_source: DataSource,
    patents: pl.DataFrame,
    patent_texts: pl.DataFrame,
    patent_classes: pl.DataFrame,
    patent_assignees: pl.DataFrame,
) -> dg.Output[pl.DataFrame]:
    """The rare-earth magnet and catalyst patent sets (USPC subclasses + rare-earth keyword +
    organisation as first assignee, application years 1976-2002, granted by the sample's
    grant_year_end), with the sample and what each rule dropped."""
    sets = patent_sets.fvd_patent_sets(
        patents, patent_texts, patent_classes, patent_assignees, grant_year_end=fvd_sample.end(data_source)
    )
    context.log.info(f"FVD sets: {sets.report}")
    return dg.Output(sets.table, metadata=sets.report)


def published_citation_variables(
    store: DuckDBStore, focal: pl.DataFrame, window: int, grant_year_end: int | None
) -> citations.CitationVariables:
    """``citations.citation_variables_in`` of ``focal`` against the published patent tables of the
    store's file, read inside DuckDB and never loaded into Python (at the USPTO's size, 100 million
    citations, Polars copies of them next to DuckDB's working memory exceeded the machine's): an
    in-memory DuckDB within core's memory share and spill folder (``duck.limited_settings``)
    attaches the file read-only, under its lock for the whole computation, and views select the
    tables' ``citations.INPUT_COLUMNS``."""
    relations = {table: published_relation(table) for table in citations.INPUT_COLUMNS}
    with duck.limited_settings() as settings, store.attached("computing fvd_citation_variables", settings) as con:
        stored = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_catalog = 'store'"
        ).fetchall()
        missing = sorted(set(relations.values()) - {relation for (relation,) in stored})
        if missing:
            raise dg.Failure(
                f"fvd_citation_variables reads the patent tables of {store.database}, which holds no "
                f"{', '.join(missing)}: materialise the patent pulls first"
            )
        citations.create_input_views(con, {table: f"store.{relation}" for table, relation in relations.items()})
        return citations.citation_variables_in(con, focal, window, grant_year_end)


@_asset(
    metadata={"schema": "core"},
    kinds={"duckdb", "polars"},
    deps=[dg.AssetKey(table) for table in citations.INPUT_COLUMNS],
)
def fvd_citation_variables(
    context: dg.AssetExecutionContext,
    config: CitationConfig,
    fvd_sample: FvdSample,
    data_source: DataSource,
    store: DuckDBStore,
    fvd_patent_sets: pl.DataFrame,
) -> dg.Output[pl.DataFrame]:
    """Per focal patent: citations C and available patents A by US/non-US and within/outside
    technology in the window, the augmented class list (';'-joined), perus, perus_avail, US, d,
    among the patents granted by the sample's grant_year_end. Citations to unknown patents, to
    patents granted after grant_year_end, undated or unlocated patents and focal patents without
    citations are counted in the metadata and left out. The patent tables (every grant year) are
    read inside DuckDB from the store's file (:func:`published_citation_variables`)."""
    result = published_citation_variables(store, fvd_patent_sets, config.window, fvd_sample.end(data_source))
    context.log.info(f"citation variables: {result.report}")
    return dg.Output(result.table.with_columns(pl.col("class_list").list.join(";")), metadata=result.report)


@_asset(metadata={"schema": "results"}, kinds={"polars", "duckdb"})
def fvd_descriptives(store: DuckDBStore, fvd_citation_variables: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    """FVD Tables 3 and 4 analogues: descriptive statistics and correlations per technology."""
    table = pl.concat(
        [descriptives.descriptive_statistics(fvd_citation_variables), descriptives.correlations(fvd_citation_variables)]
    )
    wide = table.pivot(on="statistic", index=["technology", "section", "variable"], values="value")
    return dg.Output(
        table,
        metadata={"tables": frame_markdown(wide, floatfmt=".3f")}
        | table_metadata(frame_markdown(wide, floatfmt=".3f").value, "fvd_descriptives", reports_dir(store.database)),
    )


@_asset(metadata={"schema": "results"}, kinds={"pyfixest", "duckdb"})
def fvd_logit_regressions(store: DuckDBStore, fvd_citation_variables: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    """Models 1a and 1b per technology (OLS of the logit of perus, robust SEs; extreme shares moved
    inward by the Neter-Wasserman-Kutner rule), next to FVD's published Table 5."""
    from ree_assets.core.spillovers import logit

    table = logit.logit_regressions(fvd_citation_variables)
    return dg.Output(
        table,
        metadata=table_metadata(
            descriptives.render_logit_table(table), "fvd_logit_regressions", reports_dir(store.database)
        ),
    )


def _mixture_output(result: "estimates.MixtureEstimates", synthetic_truth: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    from ree_assets.core.spillovers import estimates

    table = estimates.with_truth(result.table, synthetic_truth)
    return dg.Output(
        table,
        metadata={
            "solver": frame_markdown(result.solver, floatfmt=".6g"),
            "estimates": frame_markdown(table, floatfmt=".4f"),
        },
    )


@_asset(metadata={"schema": "results"}, kinds={"ipopt", "duckdb"})
def fvd_mixture_restricted(
    config: MixtureConfig, fvd_citation_variables: pl.DataFrame, synthetic_truth: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    """The restricted mixture model (one Theta across periods) per technology: the multistart
    point (not identified), bootstrap SEs of the identified quantities, identified and confidence
    sets of every parameter and derived quantity, FVD's Table 7 and, in the embedded world, the truth."""
    from ree_assets.core.spillovers import estimates

    return _mixture_output(estimates.restricted_estimates(fvd_citation_variables, config.options()), synthetic_truth)


@_asset(metadata={"schema": "results"}, kinds={"ipopt", "duckdb"})
def fvd_mixture_unrestricted(
    config: MixtureConfig, fvd_citation_variables: pl.DataFrame, synthetic_truth: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    """The unrestricted mixture model (a Theta before and one after 1990) per technology, as the
    restricted one."""
    from ree_assets.core.spillovers import estimates

    return _mixture_output(estimates.unrestricted_estimates(fvd_citation_variables, config.options()), synthetic_truth)


@_asset(metadata={"schema": "results"}, kinds={"polars", "duckdb"})
def fvd_parameter_sets(
    store: DuckDBStore, fvd_mixture_restricted: pl.DataFrame, fvd_mixture_unrestricted: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    """Every mixture parameter and derived quantity: point, identified set, published value,
    whether identified (with SE and confidence set), restricted and unrestricted models."""
    from ree_assets.core.spillovers import estimates

    table = estimates.parameter_sets(fvd_mixture_restricted, fvd_mixture_unrestricted)
    return dg.Output(
        table,
        metadata=table_metadata(
            descriptives.render_parameter_table(table), "fvd_parameter_sets", reports_dir(store.database)
        ),
    )


@_asset(metadata={"schema": "results"}, kinds={"polars", "duckdb"})
def fvd_probability_tables(store: DuckDBStore, fvd_parameter_sets: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    """FVD Tables 8 and 9 analogues (citation probabilities by activity and knowledge cell; the
    conditional probability of citing local knowledge for local and global activities) and the
    weighted averages before and after 1990, each with its identified set."""
    from ree_assets.core.spillovers import estimates

    table = estimates.probability_tables(fvd_parameter_sets)
    return dg.Output(
        table,
        metadata=table_metadata(
            descriptives.render_probability_tables(table), "fvd_probability_tables", reports_dir(store.database)
        ),
    )


assets = [
    fvd_patent_sets,
    fvd_citation_variables,
    fvd_descriptives,
    fvd_logit_regressions,
    fvd_mixture_restricted,
    fvd_mixture_unrestricted,
    fvd_parameter_sets,
    fvd_probability_tables,
]
