"""Contracts of the canonical raw tables the embedded world produces: the embedded (small) table
satisfies its contract, and a table breaking a rule fails that rule."""

import polars as pl
import pytest

from ree_assets.sources.catalog import raw_tables
from ree_assets.sources.embedded.world import embedded_table
from ree_assets_tests.helpers import failed_rules

SEED = 0
#: Every raw table of the embedded world; ree_prices and ree_complementarity have their own tests
#: (test_defs_quality.py).
TABLES = tuple(t for t in raw_tables() if t not in ("ree_prices", "ree_complementarity"))


def embedded(table: str) -> pl.DataFrame:
    """The embedded (small) table, as the data source serves it."""
    return embedded_table(table, SEED, "small")


def _scale_where(column: str, condition: pl.Expr, factor: float):
    return lambda f: f.with_columns(
        pl.when(condition).then(pl.col(column) * factor).otherwise(pl.col(column)).alias(column)
    )


def _first_row_set(column: str, value):
    return lambda f: f.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )


def _duplicate_first(f: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([f, f.head(1)])


def _magnet_buyers(rows: list[tuple[str, float]]):
    """A magnet-use map naming buyers (the embedded one is the single pro-rata row '*')."""
    return lambda f: pl.DataFrame([(code, share, "hand-made") for code, share in rows], schema=f.schema, orient="row")


BROKEN = [
    # BEA summary tables and the published summary total requirements
    ("bea_summary_use", _duplicate_first, "one row per row_code and col_code"),
    ("bea_summary_make", _duplicate_first, "one row per industry_code and commodity_code"),
    ("bea_published_total_requirements", _duplicate_first, "one value per industry and commodity"),
    # synthetic_truth
    ("synthetic_truth", _duplicate_first, "one value per stage, parameter and key"),
    # ree_application_composition
    ("ree_application_composition", _duplicate_first, "one row per application and element"),
    (
        "ree_application_composition",
        _scale_where("element_share", pl.col("element") == "Nd", 1.1),
        "element shares sum to 1 per application (within 1e-9)",
    ),
    (
        "ree_application_composition",
        _first_row_set("application_share", 0.5),
        "an application has one application_share on all its rows",
    ),
    (
        "ree_application_composition",
        _scale_where("application_share", pl.col("application") == "Magnets", 1.5),
        "application shares sum to 1 over applications (within 1e-9)",
    ),
    ("ree_application_composition", _first_row_set("element_share", -0.1), "element_share lies in [0, 1]"),
    (
        "ree_application_composition",
        _first_row_set("quality", "guess"),
        "quality is approximate, placeholder, published or synthetic",
    ),
    # magnet_use_map
    ("magnet_use_map", _magnet_buyers([("335312", 0.5), ("F01000", 0.4)]), "shares sum to 1 (within 1e-9)"),
    ("magnet_use_map", _magnet_buyers([("*", 0.5), ("F01000", 0.5)]), "the pro-rata marker '*' stands alone"),
    ("magnet_use_map", lambda f: f.clear(), "at least 1 row (the default is the single pro-rata row '*')"),
    ("magnet_use_map", _magnet_buyers([("335312", 1.5), ("F01000", -0.5)]), "share is finite and lies in (0, 1]"),
    (
        "magnet_use_map",
        _magnet_buyers([("335312", 0.5), ("335312", 0.5)]),
        "Check that unique field bea_code has no duplicate values",
    ),
    # ree_end_use
    ("ree_end_use", _duplicate_first, "one row per country and application"),
    ("ree_end_use", lambda f: f.head(3), "end-use shares sum to 1 per country (within 1e-9)"),
    ("ree_end_use", _first_row_set("end_use_share", 1.2), "end_use_share lies in [0, 1]"),
    ("ree_end_use", _first_row_set("country", "US"), "country is an ISO 3166 alpha-3 code"),
    # ree_consumption
    ("ree_consumption", _duplicate_first, "one row per country and year"),
    ("ree_consumption", _first_row_set("tonnes_reo", -5.0), "consumption is strictly positive"),
    ("ree_consumption", _first_row_set("year", 12), "year lies between 1950 and the current year"),
    # application_industry_map
    ("application_industry_map", _duplicate_first, "one row per application and bea_code"),
    (
        "application_industry_map",
        lambda f: f.filter(pl.col("bea_code") != "331510"),
        "weights sum to 1 per application (within 1e-9)",
    ),
    ("application_industry_map", _first_row_set("weight", 0.0), "weight lies in (0, 1]"),
    (
        "application_industry_map",
        lambda f: f.with_columns(
            pl.when(pl.col("bea_code") == "331510")
            .then(pl.col("carriers").list.reverse())
            .otherwise(pl.col("carriers"))
            .alias("carriers")
        ),
        "an application has the same ordered carriers on all its rows",
    ),
    (
        "application_industry_map",
        lambda f: f.with_columns(
            pl.when(pl.col("bea_code") == "*")
            .then(pl.lit([], pl.List(pl.String)))
            .otherwise(pl.col("carriers"))
            .alias("carriers")
        ),
        "every application has at least one carrier commodity",
    ),
    (
        "application_industry_map",
        _first_row_set("split_sic4", "349"),
        "split_sic4 is a 4-digit string and has a source",
    ),
    # ree_parameters
    ("ree_parameters", _duplicate_first, "Check that unique field parameter has no duplicate values"),
    ("ree_parameters", _first_row_set("value", 1.3), "parameters named as shares lie in [0, 1]"),
    ("ree_parameters", _first_row_set("value", float("nan")), "values are finite"),
    # bea_use
    ("bea_use", _duplicate_first, "one row per row_code and col_code"),
    (
        "bea_use",
        _scale_where("value_musd", (pl.col("row_code") == "325180") & (pl.col("col_code") == "T001"), 1.5),
        "every commodity row has totals T001 = sum of industry columns, T004 = sum of final uses and "
        "T007 = T001 + T004 (within 0.5 per rounded cell)",
    ),
    (
        "bea_use",
        lambda f: f.filter(~((pl.col("row_code") == "T006") & (pl.col("col_code") == "331410"))),
        "every industry column has totals T005 = sum of commodity rows, T006 = sum of value added and "
        "T008 = T005 + T006 (within 0.5 per rounded cell)",
    ),
    (
        "bea_use",
        _scale_where("value_musd", (pl.col("row_code") == "T008") & (pl.col("col_code") == "331410"), 0.0),
        "industry output (row T008) is strictly positive in every industry column",
    ),
    # bea_make
    ("bea_make", _duplicate_first, "one row per industry_code and commodity_code"),
    ("bea_make", _first_row_set("value_musd", -1.0), "make values are non-negative"),
    (
        "bea_make",
        _scale_where("value_musd", (pl.col("industry_code") == "331410") & (pl.col("commodity_code") == "T008"), 2.0),
        "every industry row has an output total T008 = the sum of its commodities (within 0.5 per rounded cell)",
    ),
    (
        "bea_make",
        lambda f: f.filter(~((pl.col("industry_code") == "T007") & (pl.col("commodity_code") == "331410"))),
        "every commodity column has an output total T007 = the sum over industries (within 0.5 per rounded cell)",
    ),
    # bea_codes
    ("bea_codes", _duplicate_first, "one row per code and kind"),
    ("bea_codes", _first_row_set("kind", "sector"), "kind is commodity, industry, final_demand, value_added or total"),
    (
        "bea_codes",
        lambda f: f.with_columns(
            pl.when(pl.col("code") == "T007").then(pl.lit("331410")).otherwise(pl.col("code")).alias("code")
        ),
        "only a commodity and an industry may share a code",
    ),
    (
        "bea_codes",
        lambda f: f.filter(pl.col("code") != "T004"),
        "the totals T001, T004, T005, T006, T007 and T008 are listed, as kind total",
    ),
    ("bea_codes", lambda f: f.filter(pl.col("kind") != "industry"), "there are commodities and industries"),
    # bea_sic_concordance
    ("bea_sic_concordance", _duplicate_first, "one row per bea_code and sic4"),
    ("bea_sic_concordance", _first_row_set("weight", 0.5), "weights sum to 1 per bea_code (within 1e-9)"),
    ("bea_sic_concordance", _first_row_set("weight", -1.0), "weight lies in (0, 1]"),
    ("bea_sic_concordance", _first_row_set("sic4", "369"), "sic4 is a 4-digit string"),
    # ree_imports
    ("ree_imports", _duplicate_first, "one row per country, element, partner and year"),
    ("ree_imports", _first_row_set("value_usd", -1.0), "import values are non-negative"),
    (
        "ree_imports",
        lambda f: f.with_columns(pl.col("country").alias("partner")),
        "a country does not import from itself",
    ),
    ("ree_imports", _first_row_set("year", 3011), "year lies between 1950 and the current year"),
    ("ree_imports", _first_row_set("partner", "China"), "partner is an ISO 3166 alpha-3 code"),
    # wiod
    ("wiod", _duplicate_first, "one row per year, row_country, row_industry, col_country and col_use"),
    (
        "wiod",
        _scale_where("value_musd", ~pl.col("col_use").is_in(["CONS_h", "CONS_np", "CONS_g", "GFCF", "INVEN"]), -1.0),
        "intermediate uses and gross output are non-negative (final uses CONS_h, CONS_np, CONS_g, GFCF, INVEN may be "
        "negative)",
    ),
    (
        "wiod",
        _scale_where("value_musd", pl.col("col_use") == "GO", 1.01),
        "every row has gross output GO = intermediate use + final demand (within 0.5 per rounded cell)",
    ),
    (
        "wiod",
        lambda f: f.filter(pl.col("col_use") != "GO"),
        "every row has gross output GO = intermediate use + final demand (within 0.5 per rounded cell)",
    ),
    (
        "wiod",
        lambda f: f.with_columns(
            pl.when(pl.col("col_use") == "GO").then(pl.lit("USA")).otherwise(pl.col("col_country")).alias("col_country")
        ),
        "col_country TOT holds exactly the gross output cells (col_use GO)",
    ),
    ("wiod", _first_row_set("year", 1900), "year lies between 1995 and the current year"),
    # ge_innovation_panel
    ("ge_innovation_panel", _duplicate_first, "one row per sector and year"),
    ("ge_innovation_panel", lambda f: f.slice(1), "the panel is balanced (every sector in every year)"),
    (
        "ge_innovation_panel",
        _first_row_set("ree_enhancing_flow", 0.0),
        "REE-enhancing patent flows are strictly positive (the estimator takes logs)",
    ),
    (
        "ge_innovation_panel",
        _first_row_set("non_ree_flow", -3.0),
        "other patent flows are strictly positive (the estimator takes logs)",
    ),
    (
        "ge_innovation_panel",
        _first_row_set("ree_price_index", float("nan")),
        "the REE price index is strictly positive",
    ),
    (
        "ge_innovation_panel",
        _first_row_set("wage_index", 1.5),
        "the wage index is one manufacturing index per year (the same for every sector)",
    ),
    (
        "ge_innovation_panel",
        lambda f: f.with_columns(pl.col("ree_price_index") * 2),
        "both indices are 1 in the panel's first year (within 1e-9)",
    ),
    # outcome sources of the DiD panels (trade, concordances, NBER-CES, INDSTAT, GTA, World Bank)
    ("trade", _duplicate_first, "one row per reporter, partner, flow, hs6, hs_vintage and year"),
    ("trade", _first_row_set("value_usd", -1.0), "trade values are non-negative"),
    ("trade", _first_row_set("hs6", "8505"), "hs6 is a 6-digit string"),
    ("trade", _first_row_set("flow", "re-export"), "flow is export or import"),
    ("hs_sic_concordance", _first_row_set("weight", 0.5), "weights sum to 1 per hs6 and vintage (within 1e-9)"),
    ("industry_stats_us", _first_row_set("tfp4", float("inf")), "tfp4 is finite"),
    ("industry_stats_us", _duplicate_first, "one row per sic4 and year"),
    ("industry_stats", _first_row_set("wages", 1e12), "wages lie in (0, value_added)"),
    ("isic_sic_concordance", _first_row_set("weight", 0.5), "weights sum to 1 per sic4 (within 1e-9)"),
    ("subsidies", _first_row_set("subsidy_share", 1.5), "subsidy_share lies in [0, 1]"),
    ("gdp", lambda f: f.head(0), "at least 1 row (an empty table is bad data)"),
    ("gdp", _first_row_set("gdp_usd", float("nan")), "gdp_usd is finite"),
]


@pytest.mark.parametrize("table", TABLES)
def test_embedded_table_satisfies_its_contract(tmp_path, table):
    assert failed_rules(tmp_path / "ree.duckdb", table, embedded(table)) == set()


@pytest.mark.parametrize(("table", "break_it", "rule"), BROKEN, ids=[f"{t}-{r[:40]}" for t, _, r in BROKEN])
def test_violating_table_fails_the_rule(tmp_path, table, break_it, rule):
    assert rule in failed_rules(tmp_path / "ree.duckdb", table, break_it(embedded(table)))


def test_every_table_has_a_violating_variant():
    assert {t for t, _, _ in BROKEN} == set(TABLES)
