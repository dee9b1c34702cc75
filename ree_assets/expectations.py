"""Great Expectations suites of the stored tables, as data: where bad data would silently
corrupt results (shares, negative requirements, duplicate keys), these run in the audit of every
new version before it is published (``ree_assets.storage``), and the asset check
``great_expectations`` reports what they found.

Kept as plain tuples so importing this module does not import Great Expectations (~10 s).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from ree_assets.storage.audit import Expectation, Suite


@dataclass(frozen=True)
class TableSuite:
    """A table's suite and the other stored tables (name -> schema) it compares against; those
    are upstream of the table, so any selection that builds the table builds them first."""

    suite: Suite
    description: str
    compares_with: Mapping[str, str] = field(default_factory=dict)


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
}
