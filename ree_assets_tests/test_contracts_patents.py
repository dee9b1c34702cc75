"""Contracts of the canonical patent tables: the embedded tables satisfy them, broken ones fail."""

import polars as pl
import pytest

from ree_assets.sources.embedded.patent_office import patent_tables
from ree_assets_tests.helpers import failed_rules

pytestmark = pytest.mark.slow


def _set_first(column: str, value):
    return lambda f: f.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(value, f.schema[column]))
        .otherwise(pl.col(column))
        .alias(column)
    )


def _duplicate_first(f: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([f, f.head(1)])


BROKEN = [
    ("patents", _duplicate_first, "patent_id"),
    ("patents", _set_first("grant_year", 2013), "grant_year is the year of grant_date and one of the grant years"),
    ("patents", _set_first("source", "scraped"), "source is uspto_xml, patentsview, bigquery or embedded"),
    ("patents", lambda f: f.head(0), "at least 1 row (an empty table is bad data)"),
    ("patent_texts", _duplicate_first, "one row per patent and section"),
    ("patent_assignees", _set_first("country", "US"), "country is an ISO 3166 alpha-3 code"),
    (
        "patent_assignees",
        _set_first("assignee_type", "company"),
        "assignee_type is organisation, individual, government or unknown",
    ),
    ("patent_inventors", _duplicate_first, "one row per patent and sequence"),
    ("patent_classes", _set_first("scheme", "ecla"), "scheme is cpc, ipc or uspc"),
    (
        "patent_classes",
        lambda f: pl.concat([f, f.head(1).with_columns(pl.lit("X99Z 1/00").alias("code"))]),
        "at most one main class per patent and scheme",
    ),
    ("patent_citations", _set_first("cited_office", "USA"), "cited_office is a two-letter office code"),
]


@pytest.fixture(scope="module")
def tables():
    return patent_tables(2012, 0, "small")


@pytest.mark.parametrize("table", sorted({t for t, _, _ in BROKEN}))
def test_embedded_table_satisfies_its_contract(tmp_path, tables, table):
    assert failed_rules(tmp_path / "ok.duckdb", table, tables[table]) == set()


@pytest.mark.parametrize("table,breaks,rule", BROKEN)
def test_broken_table_fails_the_rule(tmp_path, tables, table, breaks, rule):
    failed = failed_rules(tmp_path / "bad.duckdb", table, breaks(tables[table]))
    assert any(rule in name for name in failed), failed
