"""Reading and checking source files: text decoding, strict CSV, and a content check per format.

Every failure is a :class:`~ree_assets.errors.SourceFormatError` naming the table, the file and,
where known, the line; a reader never guesses past a broken file.

- Text is UTF-8 (a byte-order mark is allowed). A file that is not UTF-8 but decodes as
  Windows-1252 (a superset of printable Latin-1, the usual encoding of spreadsheet exports) is
  read as such, with a :class:`~ree_assets.errors.SourceNote` naming the file and the first line
  that is not UTF-8; BEA pads codes with non-breaking spaces, byte 0xA0 in Latin-1, so decoding it
  as anything else would turn ``331410\\xa0`` into a different code.
- A CSV has a header of unique names, and every non-blank line has as many fields as the header
  (Python's ``csv`` dialect: comma-separated, double-quoted). Values are cast to the contract's
  types strictly: a value that does not parse is an error naming its line and column
  (:func:`cast_strictly`, also used by readers that parse with Polars or JSON).
- A file a fast reader (Polars) refuses as not UTF-8 is located by :func:`not_utf8`: the line,
  the column and the byte.
- :func:`check_content` is the verification of a downloaded or cached file: not an HTML page,
  the format's own structure (xlsx: a zip holding ``[Content_Types].xml`` and
  ``xl/workbook.xml``; zip: every member's CRC, and the member the registry names; xls: an OLE2
  compound file; RData: R's ``RDX``/``RDA``/``RDB`` header,
  after gzip, bzip2 or xz; npz: a zip of ``.npy`` arrays; CSV: parses, with the expected columns),
  and an optional SHA-256.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import io
import lzma
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import polars as pl

from ree_assets.errors import SourceFormatError, SourceNote
from ree_assets.sources.contracts import PolarsType

#: First bytes of an OLE2 compound file (the legacy ``.xls`` workbook container).
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Decompressors of the containers R's ``save()`` writes, by their magic bytes.
_R_CONTAINERS = ((b"\x1f\x8b", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open))
_R_HEADERS = (b"RDX", b"RDA", b"RDB")
_XLSX_PARTS = ("[Content_Types].xml", "xl/workbook.xml")


def decode_text(path: Path, table: str) -> str:
    """The text of ``path``: UTF-8, else Windows-1252 with a :class:`SourceNote`; a file that is
    neither is a SourceFormatError naming the line of its first undecodable byte."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        line = data.count(b"\n", 0, utf8_error.start) + 1
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise SourceFormatError(
                table,
                "the file is UTF-8 or Windows-1252 text",
                file=path,
                line=data.count(b"\n", 0, error.start) + 1,
                detail=f"byte {data[error.start]:#04x} decodes in neither",
            ) from error
        warnings.warn(
            SourceNote(f"{path}: not UTF-8 (byte {data[utf8_error.start]:#04x} on line {line}); read as Windows-1252"),
            stacklevel=2,
        )
        return text


def read_csv(
    path: Path,
    table: str,
    dtypes: Mapping[str, PolarsType] | None = None,
    contract: Path | None = None,
    line_column: str | None = None,
) -> pl.DataFrame:
    """A CSV read strictly: unique header names, the same number of fields on every line (blank
    lines, whose fields are all empty, are skipped); empty fields are null. Columns named in
    ``dtypes`` must be present and are cast to their type (numbers after stripping blanks), the
    others stay strings. With ``line_column`` each row also has its line number in the file
    there, for a reader's later checks to name.

    Raises SourceFormatError naming the file, the line and, for a value that does not parse as
    its type, the column and the value.
    """
    reader = csv.reader(io.StringIO(decode_text(path, table), newline=""), strict=True)
    records, lines = [], []
    try:
        header = next(reader, None)
        if not header:
            raise SourceFormatError(table, "the file starts with a header line", file=path, line=1)
        duplicated = [name for name, count in Counter(header).items() if count > 1]
        if duplicated:
            raise SourceFormatError(
                table,
                "header names are unique",
                file=path,
                line=1,
                column=duplicated[0],
                detail=f"duplicated: {duplicated}",
                contract=contract,
            )
        end_of_last = reader.line_num
        for record in reader:
            line, end_of_last = end_of_last + 1, reader.line_num
            if not any(field.strip() for field in record):
                continue
            if len(record) != len(header):
                raise SourceFormatError(
                    table,
                    "every line has as many fields as the header",
                    file=path,
                    line=line,
                    detail=f"{len(record)} fields, the header has {len(header)}",
                )
            records.append([field if field != "" else None for field in record])
            lines.append(line)
    except csv.Error as error:
        raise SourceFormatError(
            table, "the file is a well-formed CSV", file=path, line=reader.line_num, detail=str(error)
        ) from error
    frame = pl.DataFrame(records, schema={name: pl.String for name in header}, orient="row")
    if line_column is not None:
        frame = frame.with_columns(pl.Series(line_column, lines, pl.Int64))
    dtypes = dict(dtypes or {})
    if missing := [name for name in dtypes if name not in header]:
        raise SourceFormatError(
            table,
            "the header has the columns the reader needs",
            file=path,
            line=1,
            detail=f"missing {missing}",
            contract=contract,
        )
    return cast_strictly(frame, dtypes, table, path, lines.__getitem__, contract)


def cast_strictly(
    frame: pl.DataFrame,
    dtypes: Mapping[str, PolarsType],
    table: str,
    path: Path | str,
    line: Callable[[int], int] | None = None,
    contract: Path | None = None,
) -> pl.DataFrame:
    """``frame`` (read from ``path``) with the columns of ``dtypes`` cast to their types, text
    as numbers after stripping blanks; null stays null. A value that does not parse is a
    SourceFormatError naming the file, its line (``line``: row of ``frame`` -> its line in the
    file; without it the 0-based row, e.g. the record of a JSON list), the column and the value."""
    cast = frame.with_columns(
        (pl.col(name).str.strip_chars() if dtype.is_numeric() and frame[name].dtype == pl.String else pl.col(name))
        .cast(dtype, strict=False)
        .alias(name)
        for name, dtype in dtypes.items()
    )
    for name, dtype in dtypes.items():
        bad = frame[name].is_not_null() & cast[name].is_null()
        if bad.any():
            index = int(bad.arg_true()[0])
            raise SourceFormatError(
                table,
                f"values of {name} parse as {dtype}",
                file=path,
                line=line(index) if line is not None else None,
                row=None if line is not None else index,
                column=name,
                detail=f"value {frame[name][index]!r}",
                contract=contract,
            )
    return cast


def not_utf8(path: Path, table: str, delimiter: str, contract: Path | None = None) -> SourceFormatError | None:
    """The error naming the first byte of a delimited text file that is not UTF-8: its line, its
    column (the header's name; ``field N`` in the header itself) and the byte; None when the file
    is UTF-8. The file is parsed as CSV (``"`` quotes), so a quoted field spanning lines is one
    field and the line is the byte's own."""
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"')
        header: list[str] | None = None
        start = 1
        for record in reader:
            for index, field in enumerate(record):
                bad = next((i for i, char in enumerate(field) if "\udc80" <= char <= "\udcff"), None)
                if bad is not None:
                    known = header is not None and index < len(header)
                    return SourceFormatError(
                        table,
                        "the file is UTF-8 text",
                        file=path,
                        line=start + (delimiter.join(record[:index]) + field[:bad]).count("\n"),
                        column=header[index] if header is not None and known else f"field {index + 1}",
                        detail=f"byte {ord(field[bad]) - 0xDC00:#04x} is not UTF-8; save the file as UTF-8",
                        contract=contract,
                    )
            header = record if header is None else header
            start = reader.line_num + 1
    return None


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _zip_names(path: Path) -> list[str]:
    """Member names of a zip archive whose members all pass their CRC check."""
    with zipfile.ZipFile(path) as archive:
        broken = archive.testzip()
        if broken is not None:
            raise zipfile.BadZipFile(f"member {broken} fails its CRC check")
        return archive.namelist()


def _format_problem(path: Path, suffix: str, columns: Iterable[str], table: str, member: str | None) -> str | None:
    """What is wrong with the content of ``path`` read as a ``suffix`` file (a zip: holding
    ``member`` when given), or None."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head:
        return "the file is empty"
    if _looks_like_html(head):
        return "the file is an HTML page, not the data file"
    if suffix == ".zip":
        try:
            names = _zip_names(path)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            return f"not a valid zip archive (BadZipFile: {error})"
        return f"the zip lacks the member {member!r}; it holds {names[:10]}" if member and member not in names else None
    if suffix in (".xlsx", ".xlsm", ".npz"):
        try:
            names = _zip_names(path)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            return f"not a valid zip archive, as a {suffix} file is (BadZipFile: {error})"
        if suffix == ".npz":
            return (
                None if names and all(n.endswith(".npy") for n in names) else f"a zip without .npy arrays: {names[:5]}"
            )
        missing = [part for part in _XLSX_PARTS if part not in names]
        return f"a zip without the workbook parts {missing}" if missing else None
    if suffix == ".xls":
        return None if head.startswith(OLE2_MAGIC) else "not an OLE2 compound file, as an .xls workbook is"
    if suffix in (".rdata", ".rda"):
        return None if _r_header(path, head) in _R_HEADERS else "no R save header (RDX/RDA/RDB) after decompression"
    if suffix == ".csv":
        header = read_csv(path, table).columns
        missing = [c for c in columns if c not in header]
        return f"the CSV lacks the expected columns {missing}" if missing else None
    return None


def _r_header(path: Path, head: bytes) -> bytes:
    """The first three bytes of an R save file after removing its compression container."""
    for magic, open_container in _R_CONTAINERS:
        if head.startswith(magic):
            try:
                with open_container(path, "rb") as stream:
                    return stream.read(3)
            except (OSError, EOFError, lzma.LZMAError, ValueError):
                return b""
    return head[:3]


def sha256_of(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """The SHA-256 of a file, read ``chunk_bytes`` at a time (a multi-GB zip never in memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def check_content(
    path: Path,
    table: str,
    *,
    suffix: str | None = None,
    columns: Iterable[str] = (),
    sha256: str | None = None,
    member: str | None = None,
) -> None:
    """Verify that ``path`` holds a usable file of its format (see the module docstring);
    ``suffix`` overrides the file's own (for a temporary download), ``columns`` are the header
    names a CSV must have, ``member`` the file a zip must hold, ``sha256`` the expected digest.

    Raises SourceFormatError naming the table, the file and what is wrong.
    """
    problem = _format_problem(path, (suffix or path.suffix).lower(), columns, table, member)
    if problem is None and sha256 is not None:
        digest = sha256_of(path)
        problem = None if digest == sha256.lower() else f"SHA-256 {digest} differs from the listed {sha256}"
    if problem is not None:
        raise SourceFormatError(table, "the file is a complete, valid file of its format", file=path, detail=problem)
