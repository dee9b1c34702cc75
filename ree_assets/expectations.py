"""Great Expectations suites of the stored tables, as data: where bad data would silently
corrupt results (shares, negative requirements, duplicate keys), these run in the audit of every
new version before it is published (``ree_assets.storage``), and the asset check
``great_expectations`` reports what they found.

Kept as plain tuples so importing this module does not import Great Expectations (~10 s).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from ree_assets.sources.patent_tables import ASSIGNEE_TYPES, CLASS_SCHEMES, PARTITION_COLUMN, TEXT_SECTIONS

#: An expectation as data: (Great Expectations class name, its keyword arguments).
Expectation = tuple[str, Mapping[str, Any]]

#: A suite: called with the frames of the other tables it compares against, returns expectations.
Suite = Callable[..., Sequence[Expectation]]


@dataclass(frozen=True)
class TableSuite:
    """A table's suite and the other stored tables (name -> schema) it compares against; those
    are upstream of the table, so any selection that builds the table builds them first. A suite
    with a ``partition_column`` audits a write of yearly partitions on the rows of the written
    years only, and is called with them (``years``)."""

    suite: Suite
    description: str
    compares_with: Mapping[str, str] = field(default_factory=dict)
    partition_column: str | None = None


def ree_prices_suite(ree_complementarity: pl.DataFrame) -> list[Expectation]:
    """Prices are positive and complete: every element with a complementarity score is priced,
    and no element, market and year appears twice."""
    return [
        ("ExpectColumnValuesToNotBeNull", {"column": "price_usd_per_kg"}),
        ("ExpectColumnValuesToBeBetween", {"column": "price_usd_per_kg", "min_value": 0, "strict_min": True}),
        (
            "ExpectColumnDistinctValuesToEqualSet",
            {"column": "element", "value_set": sorted(ree_complementarity["element"].to_list())},
        ),
        ("ExpectCompoundColumnsToBeUnique", {"column_list": ["element", "market", "year"]}),
    ]


def ree_total_requirements_suite() -> list[Expectation]:
    """Requirements are never negative (beyond rounding) and each (sic4, element) appears once."""
    return [
        ("ExpectColumnValuesToNotBeNull", {"column": "tr"}),
        ("ExpectColumnValuesToBeBetween", {"column": "tr", "min_value": -1e-9}),
        ("ExpectCompoundColumnsToBeUnique", {"column_list": ["sic4", "element"]}),
        ("ExpectColumnValueLengthsToEqual", {"column": "sic4", "value": 4}),
    ]


def ree_sensitivity_suite() -> list[Expectation]:
    """One non-negative, finite sensitivity per SIC industry."""
    return [
        ("ExpectColumnValuesToBeUnique", {"column": "sic4"}),
        ("ExpectColumnValuesToNotBeNull", {"column": "sensitivity"}),
        ("ExpectColumnValuesToBeBetween", {"column": "sensitivity", "min_value": 0, "max_value": 1}),
    ]


def patents_suite(years: range | None = None) -> list[Expectation]:
    """One row per patent with a grant date; an application is filed on or before its grant;
    the grant dates of a write lie in its grant years (``years``, the written partitions)."""
    expectations: list[Expectation] = [
        ("ExpectColumnValuesToBeUnique", {"column": "patent_id"}),
        ("ExpectColumnValuesToNotBeNull", {"column": "grant_date"}),
        (
            "ExpectColumnPairValuesAToBeGreaterThanB",
            {
                "column_A": "grant_date",
                "column_B": "application_date",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
        ),
    ]
    if years is not None:
        first, last = datetime(years.start, 1, 1), datetime(years.stop - 1, 12, 31)
        expectations.append(
            ("ExpectColumnValuesToBeBetween", {"column": "grant_date", "min_value": first, "max_value": last})
        )
    return expectations


def _in_set(column: str, values: tuple[str, ...]) -> Expectation:
    return ("ExpectColumnValuesToBeInSet", {"column": column, "value_set": list(values)})


def _alpha3(column: str = "country") -> Expectation:
    """ISO 3166 alpha-3 codes are three characters long (nulls, unknown countries, pass)."""
    return ("ExpectColumnValueLengthsToEqual", {"column": column, "value": 3})


def patent_texts_suite(years: range | None = None) -> list[Expectation]:
    """Sections are claims or description."""
    return [_in_set("section", TEXT_SECTIONS)]


def patent_assignees_suite(years: range | None = None) -> list[Expectation]:
    """Assignee types are organisation, individual, government or unknown; countries alpha-3."""
    return [
        ("ExpectColumnValuesToNotBeNull", {"column": "assignee_type"}),
        _in_set("assignee_type", ASSIGNEE_TYPES),
        _alpha3(),
    ]


def patent_inventors_suite(years: range | None = None) -> list[Expectation]:
    """Inventor countries are ISO alpha-3."""
    return [_alpha3()]


def patent_classes_suite(years: range | None = None) -> list[Expectation]:
    """Schemes are cpc, ipc or uspc."""
    return [_in_set("scheme", CLASS_SCHEMES)]


def patent_citations_suite(years: range | None = None) -> list[Expectation]:
    """Every citation names the office that issued the cited document, as a two-letter code."""
    return [
        ("ExpectColumnValuesToNotBeNull", {"column": "cited_office"}),
        ("ExpectColumnValuesToMatchRegex", {"column": "cited_office", "regex": "^[A-Z]{2}$"}),
    ]


PATENT_SUITES = {
    "patents": (patents_suite, "Unique ids, application on or before grant, grant dates in the written years."),
    "patent_texts": (patent_texts_suite, "Sections are claims or description."),
    "patent_assignees": (patent_assignees_suite, "Assignee types of tables.md; countries ISO alpha-3."),
    "patent_inventors": (patent_inventors_suite, "Countries ISO alpha-3."),
    "patent_classes": (patent_classes_suite, "Schemes are cpc, ipc or uspc."),
    "patent_citations": (patent_citations_suite, "Every citation has a two-letter issuing office."),
}

#: Stored table -> its suite.
SUITES: dict[str, TableSuite] = {
    "ree_total_requirements": TableSuite(
        ree_total_requirements_suite, "No negative REE requirements; keys unique (Great Expectations)."
    ),
    "ree_sensitivity": TableSuite(
        ree_sensitivity_suite, "One sensitivity in [0, 1] per SIC industry (Great Expectations)."
    ),
    "ree_prices": TableSuite(
        ree_prices_suite,
        "Prices > 0, every scored element priced, keys unique (Great Expectations).",
        {"ree_complementarity": "raw"},
    ),
    **{
        table: TableSuite(suite, f"{description} (Great Expectations)", partition_column=PARTITION_COLUMN)
        for table, (suite, description) in PATENT_SUITES.items()
    },
}


@dataclass(frozen=True)
class Coverage:
    """A rule tying two stored tables: every value of ``table.column`` (but those matching the
    regular expression ``exempt`` in full) is a value of ``other.other_column``. It is audited
    with a new version of either table, against the other table's version written in the same
    step if there is one, else its published version."""

    rule: str
    table: str
    column: str
    other: str
    other_column: str
    exempt: str = ""

    def tables(self) -> tuple[str, str]:
        return self.table, self.other


#: BEA's total rows and columns (T001-T008), which neither table of a pair need share.
_BEA_TOTAL = r"T0\d\d"


def make_use_rules(make: str, use: str) -> list[Coverage]:
    """How a BEA Make table and its Use table index each other (``core.io_table.supply_use``
    reads industries and commodities from Make and finds them in Use): industries are the Make
    rows and the Use columns, commodities the Make columns and the Use rows; Use adds only final
    uses (F*), value added (V*) and totals."""
    return [
        Coverage("every Make industry is a Use column", make, "industry_code", use, "col_code", _BEA_TOTAL),
        Coverage("every Make commodity is a Use row", make, "commodity_code", use, "row_code", _BEA_TOTAL),
        Coverage(
            "every Use column is a Make industry, a final use (F*) or a total",
            use,
            "col_code",
            make,
            "industry_code",
            f"F.*|{_BEA_TOTAL}",
        ),
        Coverage(
            "every Use row is a Make commodity, value added (V*) or a total",
            use,
            "row_code",
            make,
            "commodity_code",
            f"V.*|{_BEA_TOTAL}",
        ),
    ]


#: The rules tying two raw tables, audited before either is published.
CROSS_TABLE_RULES: list[Coverage] = [
    *make_use_rules("bea_make", "bea_use"),
    *make_use_rules("bea_summary_make", "bea_summary_use"),
]


def cross_table_rules(table: str) -> list[Coverage]:
    """The rules tying ``table`` to another table."""
    return [rule for rule in CROSS_TABLE_RULES if table in rule.tables()]
