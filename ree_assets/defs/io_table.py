"""Group ``io_table``: the REE-extended Use/Make tables, total requirements, REE requirements by
SIC industry (``specs/io_table.md``). Thin: read, call ``core.io_table``, write, report."""

import dagster as dg
import polars as pl
from pydantic import Field

from ree_assets.core import io_table
from ree_assets.defs.gate import publish_if_invariants_hold
from ree_assets.defs.partitions import DUCKDB_POOL
from ree_assets.defs.resources import DataSource, DuckDBStore, reports_dir
from ree_assets.defs.sources import Lineage, figure_caption
from ree_assets.figures import ree_requirements_figure
from ree_assets.reporting import figure_metadata, frame_markdown, render_ree_total_requirements, table_metadata
from ree_assets.sources.concordances import unmapped_bea_codes
from ree_assets.sources.embedded.afsv_published import afsv_ree_requirements
from ree_assets.sources.embedded.dims import sic1987_manufacturing

#: Tolerance of the accounting identities after the splits, USD million.
SPLIT_TOLERANCE_MUSD = 1e-6


class ReeExtensionConfig(dg.Config):
    """Choices of the REE extension (``specs/io_table.md``, Inputs)."""

    price_year: int = Field(2009, description="Year of the prices that turn tonnes into dollars (before the shock).")
    country: str = Field("USA", description="Country whose REE consumption and end-use split the table uses.")
    consumption_year: int = Field(2012, description="Year of the REE consumption (the IO table's year).")


@dg.multi_asset(
    group_name="io_table",
    outs={
        "ree_extended_use_table": dg.AssetOut(
            metadata={"schema": "core"},
            kinds={"polars", "duckdb"},
            description="BEA Use table with one commodity row per REE element "
            "and the magnet industry split out of 332999 (USD million).",
        ),
        "ree_extended_make_table": dg.AssetOut(
            metadata={"schema": "core"},
            kinds={"polars", "duckdb"},
            description="The Make table matching the REE-extended Use table.",
        ),
    },
    check_specs=[
        dg.AssetCheckSpec(
            "splits_preserve_totals",
            asset="ree_extended_use_table",
            blocking=True,
            description="Industry outputs, commodity balances and total output are "
            "unchanged by the element rows and the magnet split.",
        )
    ],
    pool=DUCKDB_POOL,
)
def ree_extended_tables(
    context: dg.AssetExecutionContext,
    config: ReeExtensionConfig,
    bea_use: pl.DataFrame,
    bea_make: pl.DataFrame,
    ree_application_composition: pl.DataFrame,
    ree_end_use: pl.DataFrame,
    ree_consumption: pl.DataFrame,
    ree_prices: pl.DataFrame,
    application_industry_map: pl.DataFrame,
    ree_parameters: pl.DataFrame,
    magnet_use_map: pl.DataFrame,
):
    """Steps 1-2 of the construction: REE purchases moved out of their carrier cells into element
    rows, then the magnet industry split out of 332999 (its Use row to the buyers of the
    magnet-use map when one is given, else in proportion). Every total is preserved."""
    original = io_table.supply_use_from_canonical(bea_use, bea_make)
    extended = io_table.build_ree_extended_table(
        original,
        ree_application_composition,
        ree_end_use.filter(pl.col("country") == config.country),
        io_table.consumption_tonnes(ree_consumption, config.country, config.consumption_year),
        ree_prices,
        application_industry_map,
        io_table.parameter_value(ree_parameters, "magnet_ree_cost_share"),
        price_year=config.price_year,
        magnet_buyers=magnet_use_map,
    )
    errors = io_table.split_accounting_errors(original, extended.tables)
    shortfall = extended.shortfall.filter(pl.col("pro_rata_shortfall_musd") > 0)
    context.log.info(
        f"{len(extended.elements)} element rows added; REE purchases "
        f"{extended.purchases['value_musd'].sum():.1f} USD million at {config.price_year} prices"
    )
    use = dg.Output(
        io_table.use_to_canonical(extended.tables),
        output_name="ree_extended_use_table",
        metadata={
            "elements": ", ".join(extended.elements),
            "magnet_use": "in proportion to the 332999 row"
            if io_table.in_proportion(magnet_use_map)
            else f"magnet-use map ({magnet_use_map.height} buyers)",
            "ree_purchases_musd": float(extended.purchases["value_musd"].sum()),
            "purchases": frame_markdown(extended.purchases.drop("carriers")),
            "pro_rata_shortfall": frame_markdown(shortfall),
        },
    )
    make = dg.Output(io_table.make_to_canonical(extended.tables), output_name="ree_extended_make_table")
    yield from publish_if_invariants_hold(
        [use, make],
        [
            dg.AssetCheckResult(
                check_name="splits_preserve_totals",
                asset_key="ree_extended_use_table",
                passed=max(errors.values()) <= SPLIT_TOLERANCE_MUSD,
                metadata={f"max_error_{name}_musd": value for name, value in errors.items()},
            )
        ],
    )


@dg.asset(
    group_name="io_table",
    metadata={"schema": "core"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            "leontief_column_sums",
            asset="total_requirements",
            blocking=True,
            description="Columns of (I - B D)^-1 sum to >= 1 where commodity output > 0.",
        )
    ],
)
def total_requirements(ree_extended_use_table: pl.DataFrame, ree_extended_make_table: pl.DataFrame):
    """Industry-by-commodity total requirements D (I - B D)^-1 of the REE-extended table (BEA's
    industry-technology assumption): (industry_code, commodity_code, tr)."""
    tables = io_table.supply_use_from_canonical(ree_extended_use_table, ree_extended_make_table)
    violations = io_table.column_sum_violations(tables)
    frame = io_table.total_requirements_frame(tables)
    yield from publish_if_invariants_hold(
        [dg.Output(frame, metadata={"industries": len(tables.industries), "commodities": len(tables.commodities)})],
        [
            dg.AssetCheckResult(
                check_name="leontief_column_sums",
                passed=not violations,
                metadata={"columns_below_one": ", ".join(violations) or "none"},
            )
        ],
    )


@dg.asset(
    group_name="io_table",
    metadata={"schema": "core"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            "every_bea_commodity_mapped",
            asset="ree_total_requirements",
            blocking=True,
            description="Every BEA commodity and industry code lands in some SIC industry.",
        )
    ],
)
def ree_total_requirements(
    store: DuckDBStore,
    ree_extended_use_table: pl.DataFrame,
    ree_extended_make_table: pl.DataFrame,
    bea_sic_concordance: pl.DataFrame,
    bea_codes: pl.DataFrame,
    ree_application_composition: pl.DataFrame,
    application_industry_map: pl.DataFrame,
):
    """USD of each REE element needed, directly and through all upstream purchases, per USD of
    final demand for each SIC 1987 industry (sic4, element, tr; element ``All`` = the sum). The
    magnet commodity lands in the SIC industry the application map declares for it."""
    tables = io_table.supply_use_from_canonical(ree_extended_use_table, ree_extended_make_table)
    elements = io_table.element_codes(tables.commodities, ree_application_composition)
    concordance = pl.concat([bea_sic_concordance, io_table.split_sic_links(application_industry_map)])
    frame = io_table.requirements_to_sic(tables, elements, concordance)
    titles = dict(sic1987_manufacturing())
    manufacturing = frame.filter(pl.col("sic4").is_in(list(titles)))
    unmapped = unmapped_bea_codes(bea_sic_concordance, bea_codes)
    folder = reports_dir(store.database)
    yield from publish_if_invariants_hold(
        [
            dg.Output(
                frame,
                metadata={
                    "sic_industries": frame["sic4"].n_unique(),
                    "concordance_weights": io_table.concordance_weighting(bea_sic_concordance),
                    **table_metadata(
                        render_ree_total_requirements(manufacturing, titles), "ree_total_requirements", folder
                    ),
                },
            )
        ],
        [
            dg.AssetCheckResult(
                check_name="every_bea_commodity_mapped",
                passed=not unmapped,
                metadata={"unmapped_codes": ", ".join(unmapped) or "none"},
            )
        ],
    )


@dg.asset(
    group_name="io_table",
    metadata={"schema": "core"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            "tracks_published_tables",
            asset="total_requirements_vs_published",
            description=f"Cell and off-diagonal correlation above {io_table.PUBLISHED_BOUNDS} "
            f"and median relative column-sum difference below "
            f"{io_table.PUBLISHED_COLUMN_SUM_BOUND:.0%} against BEA's published "
            f"summary table (a warning, not a gate).",
        )
    ],
)
def total_requirements_vs_published(
    bea_summary_use: pl.DataFrame, bea_summary_make: pl.DataFrame, bea_published_total_requirements: pl.DataFrame
):
    """Diagnostic of the total-requirements code: the summary-level industry-by-commodity total
    requirements computed from BEA's summary Use/Make next to BEA's published summary table
    (industry_code, commodity_code, tr, tr_published), with their cell and off-diagonal
    correlations and column-sum differences."""
    computed = io_table.total_requirements_frame(io_table.supply_use_from_canonical(bea_summary_use, bea_summary_make))
    comparison = io_table.compare_total_requirements(computed, bea_published_total_requirements)
    joined = computed.join(
        bea_published_total_requirements, on=["industry_code", "commodity_code"], suffix="_published"
    )
    yield dg.Output(joined, metadata=comparison)
    yield dg.AssetCheckResult(
        passed=io_table.tracks_published(comparison), severity=dg.AssetCheckSeverity.WARN, metadata=comparison
    )


#: A rank correlation with the published rows below this is flagged (a warning: the defaults are
#: approximate, so the comparison diagnoses the method and is never a target to tune them to).
RANK_CORRELATION_FLOOR = 0.5


@dg.asset(
    group_name="io_table",
    metadata={"schema": "core"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            "ranks_like_published",
            asset="ree_requirements_vs_published",
            blocking=False,
            description=f"Spearman rank correlation with AFSV's published rows >= "
            f"{RANK_CORRELATION_FLOOR} (a warning, never blocking: a diagnostic "
            f"of the method, not a target).",
        )
    ],
)
def ree_requirements_vs_published(
    context: dg.AssetExecutionContext,
    store: DuckDBStore,
    data_source: DataSource,
    lineage: dg.ResourceParam[Lineage],
    ree_total_requirements: pl.DataFrame,
    bea_sic_concordance: pl.DataFrame,
    ree_application_composition: pl.DataFrame,
    ree_end_use: pl.DataFrame,
    ree_consumption: pl.DataFrame,
    ree_prices: pl.DataFrame,
    application_industry_map: pl.DataFrame,
    ree_parameters: pl.DataFrame,
    magnet_use_map: pl.DataFrame,
):
    """The project's REE total requirements by SIC next to AFSV's published rows (sic4, title, tr,
    tr_published, rank, rank_published, ratio, in_top; USD per USD), with the rank correlation on
    the published rows, which of them are in our top 10 and the ratio of levels; the metadata says
    which inputs are approximate defaults. Figure: our top 20 by element, published values marked."""
    published = afsv_ree_requirements()
    titles = dict(sic1987_manufacturing())
    table, summary = io_table.requirements_vs_published(ree_total_requirements, published, list(titles))
    table = table.with_columns(title=pl.col("sic4").replace_strict(titles, default="")).select(
        "sic4", "title", *[c for c in table.columns if c != "sic4"]
    )
    inputs = {
        "ree_application_composition": ree_application_composition,
        "ree_end_use": ree_end_use,
        "ree_consumption": ree_consumption,
        "ree_prices": ree_prices,
        "application_industry_map": application_industry_map,
        "ree_parameters": ree_parameters,
    }
    approximate = [
        *io_table.approximate_inputs(inputs),
        f"bea_sic_concordance ({io_table.concordance_weighting(bea_sic_concordance)})",
        "magnet_use_map ("
        + ("default: proportional split" if io_table.in_proportion(magnet_use_map) else "user map")
        + ")",
    ]
    manufacturing = ree_total_requirements.filter(pl.col("sic4").is_in(list(titles)))
    folder = reports_dir(store.database)
    ours = render_ree_total_requirements(manufacturing, titles, top_n=io_table.TOP_N)
    yield dg.Output(
        table,
        metadata={
            **summary,
            "approximate_inputs": dg.MetadataValue.md("\n".join(f"- {line}" for line in approximate)),
            "published_source": published["source"][0],
            **table_metadata(ours + "\n" + frame_markdown(table).value, "ree_requirements_vs_published", folder),
            **figure_metadata(
                ree_requirements_figure(
                    manufacturing, titles, published, caption=figure_caption(context, data_source, lineage)
                ),
                "ree_requirements_vs_published",
                folder,
            ),
        },
    )
    yield dg.AssetCheckResult(
        passed=summary["rank_correlation"] >= RANK_CORRELATION_FLOOR,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=summary,
    )
