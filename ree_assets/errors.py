"""Errors raised on bad input: each names the table, where in it, and the rule broken."""

from __future__ import annotations


class DataValidationError(ValueError):
    """A table broke a rule. The message names the table, the row/column and the rule.

    Raised by source readers and core functions before they produce any number, so bad input
    never turns into silently wrong output.
    """

    def __init__(self, table: str, rule: str, *, row: object = None, column: object = None,
                 detail: str = ""):
        self.table, self.rule, self.row, self.column = table, rule, row, column
        where = ", ".join(f"{label} {value!r}" for label, value in (("row", row), ("column", column))
                          if value is not None)
        message = f"{table}: {where + ': ' if where else ''}violates rule '{rule}'"
        super().__init__(f"{message} ({detail})" if detail else message)


class SourceUnavailableError(FileNotFoundError):
    """A selected data-source mode cannot serve a table (e.g. ``local`` with a missing file)."""

    def __init__(self, table: str, expected: str, mode: str, contract: str):
        self.table, self.expected, self.mode, self.contract = table, expected, mode, contract
        super().__init__(
            f"source mode {mode!r} cannot serve table {table!r}: expected {expected} "
            f"(contract: {contract})"
        )
