"""Errors raised on bad input: each names the table, where in it, and the rule broken.

One hierarchy, rooted at :class:`SourceError`:

- :class:`DataValidationError` (also a ``ValueError``): a table broke a rule; readers add the file,
  the line or cell and the contract; :class:`SourceFormatError` is the case of a file that cannot be
  read as its format at all (not UTF-8, a ragged CSV line, an HTML page saved as ``.xlsx``).
- :class:`SourceUnavailableError` (also a ``FileNotFoundError``): a mode cannot serve a table.
- :class:`DownloadError` (also an ``OSError``): a fetch failed or fetched something unusable.

:class:`SourceNote` is the warning category of things a reader tells the user without failing
(columns it ignored, a cached file it refetched); :func:`collected_notes` gathers them for an
asset's metadata.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SourceError(Exception):
    """Base of every error raised on bad or unavailable input data."""


class DataValidationError(SourceError, ValueError):
    """A table broke a rule. The message names the table, the file, line, row and column where
    known, the rule, and the contract.

    Raised by source readers and core functions before they produce any number, so bad input
    never turns into silently wrong output. Core functions know no files; readers add the file,
    line and contract with :meth:`located`.
    """

    def __init__(
        self,
        table: str,
        rule: str,
        *,
        row: object = None,
        column: object = None,
        detail: str = "",
        file: str | Path | None = None,
        line: int | None = None,
        contract: str | Path | None = None,
        url: str | None = None,
    ):
        self.table, self.rule, self.row, self.column, self.detail = table, rule, row, column, detail
        self.file, self.line, self.contract, self.url = file, line, contract, url
        place = [f"file {str(file)!r}"] if file is not None else []
        place += [f"fetched from {url}"] if url is not None else []
        place += [
            f"{label} {value!r}"
            for label, value in (("line", line), ("row", row), ("column", column))
            if value is not None
        ]
        message = f"{table}: {', '.join(place) + ': ' if place else ''}violates rule '{rule}'"
        message = f"{message} ({detail})" if detail else message
        super().__init__(f"{message} [contract: {contract}]" if contract is not None else message)

    def located(
        self,
        *,
        table: str | None = None,
        file: str | Path | None = None,
        contract: str | Path | None = None,
        url: str | None = None,
    ) -> DataValidationError:
        """The same error, for ``table`` if given (a reader naming the table it was called for),
        with the file, contract and the URL the file was downloaded from filled in where it had none."""
        return type(self)(
            table or self.table,
            self.rule,
            row=self.row,
            column=self.column,
            detail=self.detail,
            line=self.line,
            file=self.file if self.file is not None else file,
            contract=self.contract if self.contract is not None else contract,
            url=self.url if self.url is not None else url,
        )


class SourceFormatError(DataValidationError):
    """A file cannot be read as its format (encoding, CSV structure, spreadsheet, magic bytes)."""


class SourceUnavailableError(SourceError, FileNotFoundError):
    """A selected data-source mode cannot serve a table (e.g. ``local`` with a missing file)."""

    def __init__(self, table: str, expected: str, mode: str, contract: str):
        self.table, self.expected, self.mode, self.contract = table, expected, mode, contract
        super().__init__(
            f"source mode {mode!r} cannot serve table {table!r}: expected {expected} (contract: {contract})"
        )


class DownloadError(SourceError, OSError):
    """A download failed (HTTP error, timeout, truncated body) or fetched a file that fails its
    verification; names the URL, the cached file and the table. Nothing is left in the cache."""

    def __init__(self, table: str, url: str, path: str | Path, reason: str):
        self.table, self.url, self.path, self.reason = table, url, path, reason
        super().__init__(f"download of {url} for table {table!r} into {str(path)!r} failed: {reason}")


class SourceNote(UserWarning):
    """Something a reader tells the user without failing: columns it did not keep, a bad cached
    file it refetched. The raw-table assets show these notes in their metadata and log."""


@contextmanager
def collected_notes() -> Iterator[list[SourceNote]]:
    """Gather the :class:`SourceNote` warnings raised inside the block (the first of each text,
    in order) into the list it yields, filled when the block ends; other warnings pass on."""
    notes: list[SourceNote] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SourceNote)
        yield notes
    for w in caught:
        if not isinstance(w.message, SourceNote):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        elif str(w.message) not in map(str, notes):
            notes.append(w.message)
