"""The Great Expectations suites of the six patent tables: the hand-written grants pass; a write
of a frame that breaks one expectation is refused by the storage, naming that expectation."""

from datetime import date

import polars as pl
import pytest

from ree_assets.expectations import SUITES
from ree_assets.sources.contracts import contract_columns
from ree_assets.sources.patent_tables import PATENT_TABLES
from ree_assets.storage import wap
from ree_assets.storage.audit import suite_audit
from ree_assets.storage.publish import AuditFailed, write_audit_publish
from ree_assets.storage.wap import read_table
from ree_assets_tests.patentsview_files import EXPECTED

YEARS = range(2015, 2016)


def canonical(table: str) -> pl.DataFrame:
    """The 2015 rows of the hand-written grants (tests/patentsview_files.py) as the table."""
    return pl.DataFrame(EXPECTED[table], schema=contract_columns(table), orient="row")


def write(database, table: str, frame: pl.DataFrame) -> None:
    """A write of the 2015 partition through write-audit-publish with the table's suite."""
    target = wap.Target("raw", table, "coalesce(grant_year >= 2015 AND grant_year < 2016, false)", "2015...2015")
    audits = [("great_expectations", suite_audit(table, SUITES[table], YEARS))]
    write_audit_publish(str(database), target, frame, audits, run_id="run", asset=table)


def _set(column: str, value, where: int = 0) -> pl.Expr:
    """``column`` with row ``where`` set to ``value``."""
    return pl.when(pl.int_range(pl.len()) == where).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)


#: (table, a change breaking one expectation, the expectation named).
BROKEN = [
    ("patents", lambda f: pl.concat([f, f.head(1)]), "expect_column_values_to_be_unique"),
    ("patents", lambda f: f.with_columns(_set("grant_date", None)), "expect_column_values_to_not_be_null"),
    (
        "patents",
        lambda f: f.with_columns(_set("application_date", date(2016, 1, 1))),
        "expect_column_pair_values_a_to_be_greater_than_b",
    ),
    ("patents", lambda f: f.with_columns(_set("grant_date", date(2014, 12, 31))), "expect_column_values_to_be_between"),
    ("patent_texts", lambda f: f.with_columns(_set("section", "abstract")), "expect_column_values_to_be_in_set"),
    (
        "patent_assignees",
        lambda f: f.with_columns(_set("assignee_type", "company")),
        "expect_column_values_to_be_in_set",
    ),
    ("patent_assignees", lambda f: f.with_columns(_set("assignee_type", None)), "expect_column_values_to_not_be_null"),
    ("patent_assignees", lambda f: f.with_columns(_set("country", "JP")), "expect_column_value_lengths_to_equal"),
    ("patent_inventors", lambda f: f.with_columns(_set("country", "DE", 1)), "expect_column_value_lengths_to_equal"),
    ("patent_classes", lambda f: f.with_columns(_set("scheme", "ecla")), "expect_column_values_to_be_in_set"),
    ("patent_citations", lambda f: f.with_columns(_set("cited_office", None)), "expect_column_values_to_not_be_null"),
    ("patent_citations", lambda f: f.with_columns(_set("cited_office", "ep")), "expect_column_values_to_match_regex"),
]


def test_the_hand_written_grants_pass_every_suite(tmp_path):
    for table in PATENT_TABLES:
        write(tmp_path / "ree.duckdb", table, canonical(table))


@pytest.mark.parametrize(("table", "break_it", "expectation"), BROKEN, ids=[f"{t}-{e}" for t, _, e in BROKEN])
def test_a_write_breaking_an_expectation_is_refused_naming_it(tmp_path, table, break_it, expectation):
    database = tmp_path / "ree.duckdb"
    write(database, table, canonical(table))
    with pytest.raises(AuditFailed) as refused:
        write(database, table, break_it(canonical(table)))
    findings = refused.value.findings
    assert [f.rule for f in findings] == [expectation] and expectation in str(refused.value)
    assert read_table(str(database), "raw", table).equals(canonical(table))  # the good rows stay


def test_without_written_years_the_grant_dates_are_not_bounded():
    """Run on its own (the asset check on the published table) the suite knows no written years."""
    assert [name for name, _ in SUITES["patents"].suite()] == [
        "ExpectColumnValuesToBeUnique",
        "ExpectColumnValuesToNotBeNull",
        "ExpectColumnPairValuesAToBeGreaterThanB",
    ]
