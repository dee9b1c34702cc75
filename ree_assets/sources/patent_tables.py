"""The six canonical patent tables (``specs/tables.md``): names, contract typing, and the
normalisations every patent reader shares (patent numbers, dates, countries, assignee types).

A reader that meets a malformed record either fails the partition or skips the record and
reports it (file and line), as :class:`BadRecordPolicy` says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal

import polars as pl

from ree_assets.errors import DataValidationError, SourceNote
from ree_assets.sources.contracts import contract_columns

#: The canonical patent tables, all partitioned by the patent's grant year (column ``grant_year``).
PATENT_TABLES: tuple[str, ...] = (
    "patents",
    "patent_texts",
    "patent_assignees",
    "patent_inventors",
    "patent_classes",
    "patent_citations",
)
PARTITION_COLUMN = "grant_year"


def patent_column(table: str) -> str:
    """The column of a patent table naming the patent a row describes (the citing patent of a
    citation): a patent's rows lie in its grant year's partition."""
    return "citing_id" if table == "patent_citations" else "patent_id"


#: Values of the coded columns (``specs/tables.md``).
ASSIGNEE_TYPES: tuple[str, ...] = ("organisation", "individual", "government", "unknown")
CLASS_SCHEMES: tuple[str, ...] = ("cpc", "ipc", "uspc")
TEXT_SECTIONS: tuple[str, ...] = ("claims", "description")

#: What a reader does with a malformed record or row: fail the whole partition, or skip it and
#: report it.
BadRecordPolicy = Literal["fail", "skip"]


@dataclass(frozen=True)
class BadRecord:
    """A malformed record a reader skipped: where it is and what is wrong with it."""

    file: str
    line: int
    problem: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}: {self.problem}"


class AbsentSource(SourceNote):
    """A canonical table none of whose source files is in the folder: the reader returns it
    empty and the pull does not write it (its ``source_notes`` say so); a table that is empty
    while its files are present is bad data and is refused by the storage."""

    def __init__(self, table: str, message: str):
        super().__init__(f"{table}: {message}")
        self.table = table


def bad_record(record: BadRecord, policy: BadRecordPolicy, table: str) -> BadRecord:
    """Apply ``policy`` to a malformed record: raise (``fail``) or return it for the report."""
    if policy == "fail":
        raise DataValidationError(
            table, "every record is well-formed", row=f"{record.file}:{record.line}", detail=record.problem
        )
    if policy != "skip":
        raise ValueError(f"unknown bad-record policy {policy!r}: use 'fail' or 'skip'")
    return record


def conform(table: str, rows: pl.DataFrame | Mapping[str, Iterable]) -> pl.DataFrame:
    """A frame with exactly the contract's columns, in order and typed; ``rows`` is a frame or
    column name -> values. Raises DataValidationError naming a missing contract column."""
    columns = contract_columns(table)
    frame = (
        rows
        if isinstance(rows, pl.DataFrame)
        else pl.DataFrame({c: list(v) for c, v in rows.items()}, schema={c: columns.get(c, pl.String) for c in rows})
    )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(table, "has every contract column", column=missing[0], detail=f"missing {missing}")
    return frame.select(pl.col(c).cast(t) for c, t in columns.items())


def empty_tables() -> dict[str, pl.DataFrame]:
    """The six tables with no rows."""
    return {table: pl.DataFrame(schema=contract_columns(table)) for table in PATENT_TABLES}


_PATENT_NUMBER = re.compile(r"^([A-Z]{0,2})0*([0-9]+)$")


def patent_number(raw: str) -> str:
    """A USPTO patent number as PatentsView writes it: the kind prefix (D, RE, PP, H, T) and the
    number without zero padding ("07521045" -> "7521045", "D0656296" -> "D656296"). Other
    document numbers (foreign, application publications) are returned stripped."""
    text = raw.strip().replace(",", "")
    match = _PATENT_NUMBER.match(text)
    return match.group(1) + match.group(2) if match else text


def uspto_date(raw: str | None) -> date | None:
    """A USPTO ``YYYYMMDD`` date; a day or month 00 (month-precision citation dates) is the 1st.
    Empty: None. Raises ValueError on anything else."""
    text = (raw or "").strip().replace("-", "")
    if not text:
        return None
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"not a YYYYMMDD date: {raw!r}")
    return date(int(text[:4]), max(int(text[4:6]), 1), max(int(text[6:]), 1))


@cache
def iso3(code: str | None) -> str | None:
    """ISO 3166 alpha-3 of an alpha-2 (or alpha-3) country code, withdrawn codes included
    (DD -> DDR, SU -> SUN); None for anything that is not a country (``omitted``, ``EP``, ``WO``)."""
    import pycountry

    text = (code or "").strip().upper()
    if len(text) not in (2, 3) or not text.isalpha():
        return None
    for database in (pycountry.countries, pycountry.historic_countries):
        found = database.get(alpha_2=text) if len(text) == 2 else database.get(alpha_3=text)
        if found is not None:
            return found.alpha_3
    return None


#: USPTO / PatentsView assignee type codes (the last digit; 12-19 are part interests of 2-9).
_ASSIGNEE_TYPES = {
    2: "organisation",
    3: "organisation",
    4: "individual",
    5: "individual",
    6: "government",
    7: "government",
    8: "government",
    9: "government",
}


def assignee_type(code: str | int | None) -> str:
    """organisation, individual, government or unknown from a USPTO/PatentsView type code."""
    text = str(code or "").strip()
    if not text.isdigit():
        return "unknown"
    return _ASSIGNEE_TYPES.get(int(text) % 10, "unknown")


def uspc_code(raw: str) -> str | None:
    """A USPC classification field ("148301", "D 1128", "4241301", "426 99") as class/subclass:
    the class is the first three characters, the subclass the next three (leading zeros and blanks
    dropped) with any further characters as its decimals ("424/130.1", "D1/128", "426/99")."""
    text = raw.rstrip()
    if len(text) < 4:
        return None
    uspc_class = text[:3].replace(" ", "").lstrip("0")
    whole, decimals = text[3:6].strip().lstrip("0") or "0", text[6:].strip()
    return f"{uspc_class}/{whole}" + (f".{decimals}" if decimals else "")
